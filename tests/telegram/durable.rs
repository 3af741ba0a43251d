//! Work in flight survives: replies left by a stop go out at the next start, an outage of the Bot
//! API loses nothing, a reply that keeps failing is given up at its age limit and counted, and a
//! webhook update sent twice is answered once. Containment: one chat's `retry_after` holds back only
//! that chat, and an update with an impossible chat id is dropped before anything uses it. (Killing
//! the real binary is in `tests/cli/process.rs`.)

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use hitbot_store::journal::Journal;
use hitbot_telegram::Age;
use hitbot_testkit::{answered_entries, Bot, Fault, MockApi, COMMANDS, TOKEN};
use serde_json::json;

/// Asks the `rounds`-th commands in each chat; returns the entries expected, per chat, in order.
fn ask(
    api: &MockApi,
    chats: impl Iterator<Item = i64>,
    rounds: std::ops::Range<usize>,
) -> HashMap<i64, Vec<String>> {
    let mut expected: HashMap<i64, Vec<String>> = HashMap::new();
    let chats: Vec<i64> = chats.collect();
    for k in rounds {
        for &chat in &chats {
            let (command, entry) = COMMANDS[(k + chat as usize) % COMMANDS.len()];
            api.say(chat, command);
            expected.entry(chat).or_default().push(entry.to_string());
        }
    }
    expected
}

/// Waits until every chat has its replies, then a little longer; asserts each was answered exactly
/// once, in order.
async fn answered_exactly_once(api: &MockApi, expected: &HashMap<i64, Vec<String>>) {
    let total: usize = expected.values().map(Vec::len).sum();
    api.wait_until(&format!("{total} replies"), |calls| {
        expected
            .iter()
            .all(|(&chat, want)| answered_entries(calls, chat).len() >= want.len())
            .then_some(())
    })
    .await;
    // A late duplicate would show up now.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let calls = api.calls();
    for (&chat, want) in expected {
        assert_eq!(&answered_entries(&calls, chat), want, "chat {chat}");
    }
}

fn pending_replies(journal: &Path) -> u64 {
    Journal::open(journal)
        .and_then(|j| j.stats())
        .map_or(0, |s| s.pending_replies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_left_at_a_stop_go_out_at_the_next_start_once() {
    let api = MockApi::start().await;
    let journal = hitbot_testkit::fresh_journal();
    // Telegram cannot be reached for sends: every reply stays queued.
    api.fail_next("sendMessage", Fault::Drop, 100_000);
    let first = Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.journal = Some(journal.clone());
        o.telegram.drain_secs = 0;
    })
    .await;
    let expected = ask(&api, 1..=4, 0..3);
    let deadline = tokio::time::Instant::now() + hitbot_testkit::PATIENCE;
    while pending_replies(&journal) < 12 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "replies never journaled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.stop().await.expect("a clean stop");
    assert!(api.calls_of("sendMessage").iter().all(|c| !c.ok()));

    api.clear_faults();
    let second = Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.journal = Some(journal.clone());
    })
    .await;
    answered_exactly_once(&api, &expected).await;
    second.stop().await.expect("a clean stop");
    assert_eq!(
        pending_replies(&journal),
        0,
        "delivered replies leave the journal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_taken_but_not_handled_are_handled_at_the_next_start() {
    let api = MockApi::start().await;
    let journal = hitbot_testkit::fresh_journal();
    // A previous run took two updates (journaled, acknowledged) and died before handling them.
    {
        let j = Journal::open(&journal).unwrap();
        let update = |id: i64, text: &str| hitbot_store::journal::Inbound {
            update_id: id,
            chat: Some(77),
            body: json!({
                "update_id": id,
                "message": {
                    "message_id": id, "date": 0, "chat": hitbot_testkit::chat_object(77),
                    "from": hitbot_testkit::user_object(77), "text": text,
                    "entities": [{ "type": "bot_command", "offset": 0, "length": text.len() }],
                },
            })
            .to_string(),
        };
        j.accept(&[update(1, "/salary"), update(2, "/skills")])
            .unwrap();
    }
    let bot = Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.journal = Some(journal.clone());
    })
    .await;
    // Asked after the restart: answered after the two from before.
    api.say(77, "/about");
    let expected = HashMap::from([(77, vec!["salary".into(), "skills".into(), "about".into()])]);
    answered_exactly_once(&api, &expected).await;
    bot.stop().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_of_thirty_seconds_loses_nothing() {
    let api = MockApi::start().await;
    let bot = Bot::start(&api).await;
    let mut expected = ask(&api, 1..=5, 0..1);
    api.reply_in(1).await;
    // Down with replies in flight, and more questions waiting at Telegram meanwhile.
    api.outage(Duration::from_secs(30));
    for (chat, more) in ask(&api, 1..=5, 1..3) {
        expected.entry(chat).or_default().extend(more);
    }
    tokio::time::sleep(Duration::from_secs(30)).await;
    answered_exactly_once(&api, &expected).await;
    bot.stop().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_still_failing_at_its_age_limit_is_given_up_and_counted() {
    let api = MockApi::start().await;
    let journal = hitbot_testkit::fresh_journal();
    api.fail_next_in("sendMessage", Some(7), Fault::Drop, 100_000);
    let bot = Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.journal = Some(journal.clone());
        o.telegram.give_up_after = Age(Duration::from_secs(1));
        o.telegram.admins = vec![8];
    })
    .await;
    api.say(7, "/salary");
    let deadline = tokio::time::Instant::now() + hitbot_testkit::PATIENCE;
    loop {
        let stats = Journal::open(&journal).unwrap().stats().unwrap();
        if stats.given_up == 1 {
            assert_eq!(stats.pending_replies, 0);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never given up: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    api.say(8, "/stats");
    let stats = api.reply_in(8).await;
    assert!(
        stats.text().contains("1 replies given up"),
        "{}",
        stats.text()
    );
    bot.stop().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_chats_retry_after_holds_back_only_that_chat() {
    let api = MockApi::start().await;
    let bot = Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.telegram.throttle = true;
    })
    .await;
    api.fail_next_in(
        "sendMessage",
        Some(1),
        Fault::TooManyRequests { retry_after: 6 },
        1,
    );
    api.say(1, "/salary");
    api.wait_for("sendMessage", |c| c.status == 429).await;
    let others = ask(&api, 2..=6, 0..2);
    api.wait_until("the other chats' replies", |calls| {
        others
            .iter()
            .all(|(&chat, want)| answered_entries(calls, chat).len() >= want.len())
            .then_some(())
    })
    .await;
    assert!(
        api.sent_to(1).is_empty(),
        "chat 1 is still waiting out its retry_after"
    );
    let late = api.reply_in(1).await;
    let waited = late.at - api.calls_of("sendMessage")[0].at;
    assert!(waited >= Duration::from_secs(6), "{waited:?}");
    bot.stop().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impossible_chat_id_is_dropped_and_the_rate_limits_stay_on() {
    let api = MockApi::start().await;
    let bot = Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.telegram.throttle = true;
    })
    .await;
    let bad = -9_223_372_036_854_775_807_i64;
    api.push_update(
        "message",
        json!({
            "message_id": 1, "date": 0,
            "chat": { "id": bad, "type": "supergroup", "title": "x" },
            "from": hitbot_testkit::user_object(5), "text": "/salary",
        }),
    );
    // Three messages at once to one chat: still one a second.
    for (command, _) in &COMMANDS[..3] {
        api.say(3, command);
    }
    let replies = api.wait_for_replies(3, 3).await;
    for pair in replies.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(900), "sent {gap:?} apart");
    }
    assert!(api
        .calls_of("sendMessage")
        .iter()
        .all(|c| c.chat_id() != Some(bad)));
    bot.stop().await.expect("a clean stop");
}
