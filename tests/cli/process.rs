//! The real binary (`hitbot telegram`) against the mock Bot API: SIGHUP reloads the knowledge, the
//! operator store file gets the events, SIGTERM stops it cleanly. Unix only (signals).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use hitbot_store::Store;
use hitbot_testkit::{MockApi, TOKEN};

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
    let child = Command::new(env!("CARGO_BIN_EXE_hitbot"))
        .arg("telegram")
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", &api.url)
        .env("HITBOT_CONFIG", &config)
        .env_remove("RUST_LOG")
        .env_remove("TELOXIDE_PROXY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hitbot");
    let mut bot = Running(child);
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
