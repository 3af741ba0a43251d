//! Operating the Telegram bot: hot reload (`/reload`, the knowledge watcher), the operator store
//! (events, `/stats`, `/unanswered` for admins only), flood control, long questions, and a Bot API
//! that cannot be reached at startup. Against the mock Bot API in `support/`.

use std::path::Path;
use std::time::{Duration, SystemTime};

use hitbot_store::{Event, EventKind, Store};
use hitbot_telegram::SLOW_DOWN;
use hitbot_testkit::{Bot, Fault, MockApi, TOKEN};

const ADMIN: i64 = 1;
const SOMEONE: i64 = 2;
const ZEBRA_QUESTION: &str = "Who runs the zebra ranch for coders?";

/// A knowledge file with one entry about the zebra ranch, answering `answer`.
fn zebra_entry(answer: &str) -> String {
    format!(
        "[[entry]]\nid = \"zebra-ranch\"\ntopic = \"faq\"\ntitle = \"The zebra ranch\"\n\
         questions = [\"Who runs the zebra ranch for coders?\", \"zebra ranch\"]\n\
         answer = \"{answer}\"\nsource = \"Test fixture\"\n"
    )
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).expect("write knowledge");
}

// ---------------------------------------------------------------------------------------------
// Hot reload

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_serves_the_edited_knowledge_and_a_broken_edit_keeps_the_old() {
    let knowledge = hitbot_testkit::knowledge_copy("reload");
    let handle = hitbot_testkit::open_handle(knowledge.clone(), "reload", None);
    let entries = handle.get().knowledge().entries.len();
    let api = MockApi::start().await;
    let _bot = Bot::start_with(&api, handle, TOKEN, |o| o.telegram.admins = vec![ADMIN]).await;

    api.say(ADMIN, ZEBRA_QUESTION);
    let before = api.wait_for_replies(ADMIN, 1).await.remove(0);
    assert!(
        before.text().contains("Sorry") || before.text().contains("doesn't cover"),
        "{}",
        before.text()
    );

    // A good edit, reloaded by an admin: the new answer is served.
    write(
        &knowledge,
        "zz-zebra.toml",
        &zebra_entry("Zebras run it, version one."),
    );
    api.say(ADMIN, "/reload");
    let reloaded = api.wait_for_replies(ADMIN, 2).await.remove(1);
    assert_eq!(
        reloaded.text(),
        format!("Reloaded: {} entries", entries + 1)
    );
    api.say(ADMIN, ZEBRA_QUESTION);
    let after = api.wait_for_replies(ADMIN, 3).await.remove(2);
    assert!(after.text().contains("version one"), "{}", after.text());

    // A broken edit: the admin gets every file:line problem, and the old answer is still served.
    write(
        &knowledge,
        "zz-zebra.toml",
        "[[entry]]\nid = \"zebra-ranch\"\ncolour = \"striped\"\n",
    );
    api.say(ADMIN, "/reload");
    let failed = api.wait_for_replies(ADMIN, 4).await.remove(3);
    assert!(
        failed.text().starts_with("<b>Reload failed</b>"),
        "{}",
        failed.text()
    );
    assert!(
        failed
            .text()
            .contains("zz-zebra.toml:3: zebra-ranch: unknown key `colour`"),
        "{}",
        failed.text()
    );
    assert!(failed
        .text()
        .contains(&format!("({} entries)", entries + 1)));
    api.say(ADMIN, ZEBRA_QUESTION);
    let still = api.wait_for_replies(ADMIN, 5).await.remove(4);
    assert!(still.text().contains("version one"), "{}", still.text());

    // Anyone else: an unknown command, and nothing is reloaded.
    write(
        &knowledge,
        "zz-zebra.toml",
        &zebra_entry("Zebras run it, version two."),
    );
    api.say(SOMEONE, "/reload");
    let refused = api.reply_in(SOMEONE).await;
    assert!(
        refused
            .text()
            .starts_with("I don't know the command /reload."),
        "{}",
        refused.text()
    );
    api.say(SOMEONE, ZEBRA_QUESTION);
    let unchanged = api.wait_for_replies(SOMEONE, 2).await.remove(1);
    assert!(
        unchanged.text().contains("version one"),
        "{}",
        unchanged.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_knowledge_watcher_reloads_while_the_bot_answers() {
    let knowledge = hitbot_testkit::knowledge_copy("watch");
    let handle = hitbot_testkit::open_handle(knowledge.clone(), "watch", None);
    let api = MockApi::start().await;
    let _bot = Bot::start_with(&api, handle.clone(), TOKEN, |o| {
        o.watch_knowledge = Some(Duration::from_millis(50))
    })
    .await;
    write(
        &knowledge,
        "zz-zebra.toml",
        &zebra_entry("Zebras run it, watched."),
    );
    // The watcher swaps in the background (bounded wait for its outcome).
    let deadline = tokio::time::Instant::now() + hitbot_testkit::PATIENCE;
    while handle.get().entry("zebra-ranch").is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the watcher never reloaded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    api.say(3, ZEBRA_QUESTION);
    let reply = api.reply_in(3).await;
    assert!(reply.text().contains("watched"), "{}", reply.text());
}

// ---------------------------------------------------------------------------------------------
// The operator store

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_and_votes_are_recorded_without_user_ids() {
    let api = MockApi::start().await;
    let bot = Bot::start(&api).await;
    api.say(5, "What is the best pizza topping in Naples?");
    api.reply_in(5).await;
    api.say(5, "what does AHIMA do?");
    let answer = api.wait_for_replies(5, 2).await.remove(1);
    let query = api.press(5, answer.message_id(), "f:-:org-ahima");
    api.wait_for("answerCallbackQuery", |c| {
        c.params["callback_query_id"] == query
    })
    .await;

    let events = bot.events.events();
    assert_eq!(events.len(), 3, "{events:#?}");
    let declined = &events[0];
    assert_eq!(declined.kind, EventKind::Declined);
    assert_eq!(
        declined.question,
        "What is the best pizza topping in Naples?"
    );
    assert_eq!(declined.chat_type, "private");
    assert_eq!(events[1].kind, EventKind::Answered);
    assert_eq!(events[1].entry.as_deref(), Some("org-ahima"));
    let vote = &events[2];
    assert_eq!(vote.kind, EventKind::Feedback { up: false });
    assert_eq!(vote.entry.as_deref(), Some("org-ahima"));
    // The vote carries the question it was about.
    assert_eq!(vote.question, "what does AHIMA do?");
    assert_eq!(vote.confidence, events[1].confidence);
    assert!(events.iter().all(|e| e.chat_id.is_none()));
    // Commands and buttons are not questions: nothing recorded for them.
    api.say(5, "/salary");
    api.wait_for_replies(5, 3).await;
    assert_eq!(bot.events.events().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_talk_gets_a_friendly_reply_with_topics_and_is_not_recorded() {
    let api = MockApi::start().await;
    let bot = Bot::start(&api).await;
    api.say(6, "hi!");
    let hello = api.reply_in(6).await;
    assert!(hello.text().starts_with("Hi!"), "{}", hello.text());
    assert!(!hello.text().contains("Sorry"), "{}", hello.text());
    assert!(hello.all_buttons().contains(&"e:salary".to_string()));
    assert!(!hello.all_buttons().iter().any(|b| b.starts_with("f:")));
    api.say(6, "Who are you?");
    let about = api.wait_for_replies(6, 2).await.remove(1);
    assert!(about.text().contains("bot"), "{}", about.text());
    api.say(6, "thanks");
    let thanks = api.wait_for_replies(6, 3).await.remove(2);
    assert!(thanks.text().contains("welcome"), "{}", thanks.text());
    // A question after a greeting is still a question.
    api.say(6, "hi, what does AHIMA do?");
    let answer = api.wait_for_replies(6, 4).await.remove(3);
    assert!(
        answer.text().starts_with("<b>AHIMA</b>"),
        "{}",
        answer.text()
    );
    let events = bot.events.events();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].kind, EventKind::Answered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_ids_are_recorded_only_when_configured_and_groups_say_so() {
    let api = MockApi::start().await;
    let bot = Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.keep_chat_id = true
    })
    .await;
    let group = -77;
    api.say_in_group(
        group,
        9,
        &format!(
            "@{} tell me about quantum chromodynamics",
            hitbot_testkit::BOT_USERNAME
        ),
        None,
    );
    api.reply_in(group).await;
    let events = bot.events.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].chat_type, "group");
    assert_eq!(events[0].chat_id, Some(group));
    assert_eq!(events[0].question, "tell me about quantum chromodynamics");
}

/// A store with a few records, as the bot would have written them.
fn store_with_records(name: &str) -> std::path::PathBuf {
    let path = hitbot_testkit::temp_dir(name).join("ops.sqlite");
    let mut store = Store::open(&path).expect("open store");
    let event = |kind, question: &str, entry: Option<&str>| Event {
        at: SystemTime::now(),
        kind,
        chat_type: "private".into(),
        question: question.into(),
        entry: entry.map(str::to_string),
        confidence: 0.2,
        chat_id: None,
    };
    store
        .insert(&[
            event(
                EventKind::Declined,
                "is <b>pizza</b> & pasta on the RHIT exam?",
                None,
            ),
            event(
                EventKind::Declined,
                "is <b>pizza</b> & pasta on the RHIT exam?",
                None,
            ),
            event(EventKind::Answered, "salary?", Some("salary")),
            event(EventKind::Feedback { up: false }, "", Some("salary")),
        ])
        .expect("insert");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_get_stats_and_unanswered_and_others_an_unknown_command() {
    let path = store_with_records("stats");
    let api = MockApi::start().await;
    let _bot = Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.telegram.admins = vec![ADMIN];
        o.store_path = Some(path.clone());
    })
    .await;

    api.say(ADMIN, "/stats");
    let stats = api.reply_in(ADMIN).await;
    let text = stats.text();
    assert!(text.starts_with("<pre>"), "{text}");
    assert!(text.contains("Answer rate: 33.3%"), "{text}");
    // The journal's counts follow the report.
    let (_, delivery) = text.split_once("</pre>").expect("a <pre> block");
    assert!(delivery.contains("Delivery: 0 replies waiting"), "{text}");
    assert!(delivery.contains("0 replies given up"), "{text}");
    assert!(text.contains("Feedback: 0 👍, 1 👎"), "{text}");
    // Escaped: the stored question is shown as typed, not as markup.
    assert!(
        text.contains("is &lt;b&gt;pizza&lt;/b&gt; &amp; pasta on the RHIT exam?"),
        "{text}"
    );

    api.say(ADMIN, "/unanswered 30d");
    let unanswered = api.wait_for_replies(ADMIN, 2).await.remove(1);
    assert!(
        unanswered
            .text()
            .contains("Most frequent unanswered questions"),
        "{}",
        unanswered.text()
    );
    assert!(
        unanswered.text().contains("    2  is &lt;b&gt;pizza"),
        "{}",
        unanswered.text()
    );
    api.say(ADMIN, "/stats fortnight");
    let bad = api.wait_for_replies(ADMIN, 3).await.remove(2);
    assert!(!bad.text().contains("<pre>"), "{}", bad.text());

    // Not an admin: the same reply as any unknown command, nothing about a report.
    for (n, command) in ["/stats", "/unanswered"].iter().enumerate() {
        api.say(SOMEONE, command);
        let reply = api.wait_for_replies(SOMEONE, n + 1).await.remove(n);
        assert_eq!(
            reply.text(),
            format!(
                "I don't know the command {command}. Send /help for what I can do, or just ask a question."
            )
        );
    }
    // And the help does not list them.
    api.say(SOMEONE, "/help");
    let help = api.wait_for_replies(SOMEONE, 3).await.remove(2);
    for hidden in ["/stats", "/unanswered", "/reload"] {
        assert!(!help.text().contains(hidden), "{}", help.text());
    }
}

// ---------------------------------------------------------------------------------------------
// Protection

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_user_gets_one_notice_then_silence_and_others_are_answered() {
    let api = MockApi::start().await;
    let _bot = Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.telegram.flood_per_minute = 3
    })
    .await;
    // In a group, so that another member's message marks the end: updates of one chat are handled
    // in order.
    let group = -42;
    for _ in 0..7 {
        api.say_in_group(group, 10, "/salary", None);
    }
    api.say_in_group(group, 11, "/faq", None);
    let replies = api.wait_for_replies(group, 5).await;
    let kinds: Vec<String> = replies
        .iter()
        .map(|r| {
            if r.text() == SLOW_DOWN {
                "notice".to_string()
            } else {
                r.all_buttons()
                    .into_iter()
                    .find(|b| b.starts_with("f:+:"))
                    .unwrap_or_default()
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "f:+:salary",
            "f:+:salary",
            "f:+:salary",
            "notice",
            "f:+:faq"
        ]
    );
    assert_eq!(api.sent_to(group).len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_very_long_question_is_cut_for_searching_not_rejected() {
    let api = MockApi::start().await;
    let mut config = hitbot_testkit::test_config(hitbot_testkit::knowledge_dir(), "cut", None);
    config.answer.max_question_chars = 20;
    let advisor = hitbot_engine::Advisor::open(&config).expect("advisor");
    let handle = hitbot_engine::AdvisorHandle::new(advisor, config);
    let bot = Bot::start_with(&api, handle, TOKEN, |_| {}).await;
    // Searched whole, the unknown words after the question would make the bot decline.
    let question = format!(
        "what does AHIMA do? {}",
        "zebra giraffe okapi narwhal axolotl ".repeat(100)
    );
    api.say(6, &question);
    let reply = api.reply_in(6).await;
    assert!(reply.text().contains("<b>AHIMA</b>"), "{}", reply.text());
    let events = bot.events.events();
    assert!(
        events[0].question.chars().count() <= 20,
        "{:?}",
        events[0].question
    );
}

/// Telegram down at startup: getMe is retried (network errors and a 5xx) until it answers; the bot
/// then runs normally. (A 5xx costs 10 s: teloxide waits that long before returning it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_bot_api_at_startup_is_retried() {
    let api = MockApi::start().await;
    api.fail_next("getMe", Fault::Drop, 2);
    api.fail_next("getMe", Fault::ServerError, 1);
    let bot = Bot::launch(&api, hitbot_testkit::handle(), TOKEN, |_| {});
    let me = api
        .wait_until("a successful getMe", |calls| {
            calls
                .iter()
                .find(|c| c.method == "getMe" && c.ok())
                .cloned()
        })
        .await;
    assert_eq!(me.seq, 4, "three failures, then the answer");
    // The first four getMe calls: two drops, a 500, then the answer (teloxide may ask again later).
    let statuses: Vec<u16> = api.calls_of("getMe").iter().map(|c| c.status).collect();
    assert_eq!(statuses[..4], [0, 0, 500, 200], "{statuses:?}");
    api.say(1, "/salary");
    api.reply_in(1).await;
    bot.stop().await.expect("a clean stop");
}
