//! The real binary (`hitbot telegram`) against the mock Bot API: SIGHUP reloads the knowledge, the
//! operator store file gets the events, SIGTERM stops it cleanly. Unix only (signals).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use hitbot_store::Store;
use hitbot_testkit::{answered_entries, MockApi, COMMANDS, TOKEN};

const ZEBRA_QUESTION: &str = "Who runs the zebra ranch for coders?";

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// Kills the child if the test fails half-way.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_the_store_file_gets_the_events() {
    let root = hitbot_testkit::temp_dir("process");
    let knowledge = hitbot_testkit::knowledge_copy("process");
    let store = root.join("data/ops.sqlite");
    let config = root.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "knowledge_dir = \"{}\"\nindex_dir = \"{}\"\n[log]\nlevel = \"warn\"\n\
             [telegram]\nthrottle = false\nwatch_knowledge_secs = 0\nflood_per_minute = 0\n[store]\npath = \"{}\"\n\
             [semantic]\nenabled = false\nmodel_dir = \"{}\"\n",
            knowledge.display(),
            root.join("index").display(),
            store.display(),
            hitbot_testkit::model_dir().display()
        ),
    )
    .unwrap();
    let api = MockApi::start().await;
    let mut bot = start_bot(&api, &config);
    api.wait_for_polling().await;

    api.say(1, ZEBRA_QUESTION);
    let before = api.reply_in(1).await;
    assert!(before.text().contains("Sorry"), "{}", before.text());

    std::fs::write(
        knowledge.join("zz-zebra.toml"),
        "[[entry]]\nid = \"zebra-ranch\"\ntopic = \"faq\"\ntitle = \"The zebra ranch\"\n\
         questions = [\"Who runs the zebra ranch for coders?\"]\nanswer = \"Zebras, since the SIGHUP.\"\n\
         source = \"Test fixture\"\n",
    )
    .unwrap();
    signal(&bot.0, "HUP");
    // The reload runs in the background; ask until the new answer comes (bounded).
    let deadline = tokio::time::Instant::now() + hitbot_testkit::PATIENCE;
    let mut n = 1;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        api.say(1, ZEBRA_QUESTION);
        n += 1;
        let reply = api.wait_for_replies(1, n).await.remove(n - 1);
        if reply.text().contains("since the SIGHUP") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "SIGHUP did not reload"
        );
    }

    signal(&bot.0, "TERM");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = bot.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");

    // The declined questions (before the reload) and the answer are in the file.
    let store = Store::open_existing(&store).expect("the store file");
    let from = SystemTime::now() - Duration::from_secs(3600);
    let report = hitbot_store::report::build(&store, from, 10).expect("report");
    assert!(report.declined >= 1, "{report:?}");
    assert_eq!(report.answered, 1, "{report:?}");
    assert!(report
        .unanswered
        .iter()
        .any(|q| q.example == ZEBRA_QUESTION));
}

// ---------------------------------------------------------------------------------------------
// Killed, stopped, restarted: nothing lost (the journal)

const CHATS: i64 = 30;
const PER_CHAT: usize = 5;

/// A config for the real binary with Telegram's rate limits on (a burst takes seconds to deliver).
fn durable_config(root: &std::path::Path, drain_secs: u64) -> std::path::PathBuf {
    let config = root.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "knowledge_dir = \"{}\"\nindex_dir = \"{}\"\n[log]\nlevel = \"warn\"\n\
             [telegram]\nthrottle = true\nwatch_knowledge_secs = 0\nflood_per_minute = 0\n\
             drain_secs = {drain_secs}\n[store]\npath = \"{}\"\n\
             [semantic]\nenabled = false\nmodel_dir = \"{}\"\n",
            hitbot_testkit::knowledge_dir().display(),
            root.join("index").display(),
            root.join("data/hitbot.sqlite").display(),
            hitbot_testkit::model_dir().display()
        ),
    )
    .unwrap();
    config
}

fn start_bot(api: &MockApi, config: &std::path::Path) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_hitbot"))
        .arg("telegram")
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", &api.url)
        .env("HITBOT_CONFIG", config)
        .env_remove("RUST_LOG")
        .env_remove("TELOXIDE_PROXY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hitbot");
    Running(child)
}

async fn wait_for_exit(bot: &mut Running, within: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = bot.0.try_wait().expect("wait") {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no exit within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A burst from many chats, the process stopped one second in (`signal`), then started again: every
/// question is answered, in order per chat, and twice only where a send Telegram accepted was not
/// yet marked done when the process died. Returns (questions, protocol-forced duplicates).
async fn burst_then(signal_name: &str, faults: bool) -> (usize, usize) {
    let root = hitbot_testkit::temp_dir(&format!("durable-{signal_name}-{faults}"));
    let config = durable_config(&root, 1);
    let api = MockApi::start().await;
    let mut bot = start_bot(&api, &config);
    api.wait_for_polling().await;

    let mut expected: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for k in 0..PER_CHAT {
        for chat in 1..=CHATS {
            let (command, entry) = COMMANDS[(k + chat as usize) % COMMANDS.len()];
            api.say(chat, command);
            expected.entry(chat).or_default().push(entry.to_string());
        }
    }
    if faults {
        api.fail_every("sendMessage", hitbot_testkit::Fault::Drop, 9, 20);
        api.fail_every(
            "sendMessage",
            hitbot_testkit::Fault::TooManyRequests { retry_after: 1 },
            7,
            20,
        );
        api.fail_every("sendMessage", hitbot_testkit::Fault::ServerError, 50, 2);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    signal(&bot.0, signal_name);
    let signalled = std::time::Instant::now();
    let status = wait_for_exit(&mut bot, Duration::from_secs(5)).await;
    if signal_name == "TERM" {
        assert!(status.success(), "{status:?}");
        // The README's promise: within drain_secs (1 here) and one second more.
        let took = signalled.elapsed();
        assert!(took < Duration::from_millis(2500), "SIGTERM took {took:?}");
    }
    let before = api.messages_sent();
    let total = CHATS as usize * PER_CHAT;
    assert!(
        before < total,
        "the stop came too late to test anything ({before} of {total} sent)"
    );

    let mut bot = start_bot(&api, &config);
    // teloxide sleeps 10 s after each 5xx: a chat hit twice needs more than the mock's patience.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let calls = api.calls();
        let missing: Vec<i64> = expected
            .iter()
            .filter(|(&chat, want)| answered_entries(&calls, chat).len() < want.len())
            .map(|(&chat, _)| chat)
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "chats {missing:?} not fully answered after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let anything late show up, then stop cleanly.
    tokio::time::sleep(Duration::from_secs(2)).await;
    signal(&bot.0, "TERM");
    assert!(wait_for_exit(&mut bot, Duration::from_secs(5))
        .await
        .success());

    let calls = api.calls();
    let mut duplicates = 0;
    for (&chat, want) in &expected {
        let mut got = answered_entries(&calls, chat);
        let sent = got.len();
        // A protocol-forced duplicate is the same reply again, right after itself.
        got.dedup();
        assert_eq!(
            &got, want,
            "chat {chat}: answered out of order or not at all"
        );
        duplicates += sent - got.len();
    }
    (total, duplicates)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_hard_in_a_burst_then_restarted_answers_every_question() {
    let (total, duplicates) = burst_then("KILL", false).await;
    eprintln!("kill -9: {total} questions, 0 lost, {duplicates} sent twice");
    // Only sends in flight at the kill can be sent twice: at most one per chat.
    assert!(duplicates <= CHATS as usize, "{duplicates}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_faults_then_restarted_answers_every_question() {
    let (total, duplicates) = burst_then("TERM", true).await;
    eprintln!("SIGTERM with faults: {total} questions, 0 lost, {duplicates} sent twice");
    assert!(duplicates <= CHATS as usize, "{duplicates}");
}
