//! What the Telegram front end logs: one startup line, and never the bot token, even when requests
//! fail in every way (a refused token, dropped connections, 4xx answers). Every log record of the
//! process, at every level and from every crate, is captured; other tests run bots in this process
//! at the same time, so lines are counted only from this test's runtime (its threads' name).

use std::sync::Mutex;

use hitbot_testkit::{Bot, Fault, MockApi};

const SECRET_TOKEN: &str = "987654:SuperSecretTokenValue_xyz";

/// Every record, with the name of the thread that logged it.
static RECORDS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// The name of this test's runtime threads (workers and blocking pool).
const THREADS: &str = "logs-test-runtime";

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        let line = format!("{} {}: {}", record.level(), record.target(), record.args());
        let thread = std::thread::current().name().unwrap_or("").to_string();
        RECORDS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((thread, line));
    }

    fn flush(&self) {}
}

/// Every line logged in the process so far, and those logged by this test's runtime.
fn records() -> (Vec<String>, Vec<String>) {
    let records = RECORDS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let ours = records
        .iter()
        .filter(|(thread, _)| thread == THREADS)
        .map(|(_, line)| line.clone())
        .collect();
    (records.into_iter().map(|(_, line)| line).collect(), ours)
}

#[test]
fn the_token_never_appears_in_logs() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(THREADS)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(tokens_never_logged());
}

async fn tokens_never_logged() {
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

    let (records, ours) = records();
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
    let startup: Vec<&String> = ours
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
            ours.iter().any(|r| r.contains(expected)),
            "no log line mentions {expected:?}"
        );
    }
}
