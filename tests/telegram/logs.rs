//! What the Telegram front end logs: one startup line, and never the bot token, even when requests
//! fail in every way (a refused token, dropped connections, 4xx answers). Every log record of the
//! process, at every level and from every crate, is captured.

use std::sync::Mutex;

use hitbot_testkit::{Bot, Fault, MockApi};

const SECRET_TOKEN: &str = "987654:SuperSecretTokenValue_xyz";

static RECORDS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        let line = format!("{} {}: {}", record.level(), record.target(), record.args());
        RECORDS.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }

    fn flush(&self) {}
}

fn records() -> Vec<String> {
    RECORDS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_appears_in_logs() {
    log::set_logger(&Capture).expect("the only logger");
    log::set_max_level(log::LevelFilter::Trace);

    // A refused token.
    let api = MockApi::start().await;
    api.require_token("987654:the-right-one");
    let bot = Bot::launch(&api, hitbot_testkit::handle(), SECRET_TOKEN, |_| {});
    // The error goes to `main`, which prints it: it says what happened, without the token.
    let error = bot
        .result()
        .await
        .expect_err("a refused token stops the bot");
    assert!(matches!(
        error,
        hitbot_telegram::TelegramError::TokenRefused
    ));
    assert!(error.to_string().contains("401 Unauthorized"), "{error}");
    assert!(!error.to_string().contains(SECRET_TOKEN), "{error}");

    // Failures of every kind while running.
    let api = MockApi::start().await;
    api.fail_next("getUpdates", Fault::Drop, 1);
    api.fail_next(
        "setMyCommands",
        Fault::Error(400, "Bad Request: BOT_COMMAND_INVALID".into()),
        1,
    );
    api.fail_next_in("sendMessage", Some(1), Fault::Drop, 1);
    api.fail_next_in(
        "sendMessage",
        Some(2),
        Fault::Error(403, "Forbidden: bot was blocked by the user".into()),
        1,
    );
    let bot = Bot::launch(&api, hitbot_testkit::handle(), SECRET_TOKEN, |_| {});
    api.say(1, "/salary");
    api.say(2, "/salary");
    api.reply_in(1).await;
    api.wait_for("sendMessage", |c| c.status == 403).await;
    api.wait_for("setMyCommands", |c| c.status == 400).await;
    bot.stop().await.expect("a clean stop");

    let records = records();
    let leaks: Vec<&String> = records
        .iter()
        .filter(|r| r.contains("SuperSecretTokenValue"))
        .collect();
    assert!(
        leaks.is_empty(),
        "the token was logged:\n{}",
        leaks
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let startup: Vec<&String> = records
        .iter()
        .filter(|r| r.contains("is running as @hitbot_test_bot with"))
        .collect();
    assert_eq!(startup.len(), 1, "{startup:?}");
    assert!(
        startup[0].starts_with("INFO") && startup[0].contains("knowledge entries"),
        "{}",
        startup[0]
    );
    // The failures were reported (without the token).
    for expected in [
        "getUpdates failed",
        "setMyCommands failed",
        "bot was blocked by the user",
    ] {
        assert!(
            records.iter().any(|r| r.contains(expected)),
            "no log line mentions {expected:?}"
        );
    }
}
