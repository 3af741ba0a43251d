//! Delivery under faults, at volume: 1000 messages from 50 chats while the mock Bot API answers some
//! sends with 429, some with 500 and drops some connections (and one `getUpdates`). Every message
//! must get exactly one reply, in order within its chat: nothing lost, nothing twice.

use std::collections::HashMap;
use std::time::Duration;

use hitbot_testkit::{Bot, Fault, MockApi, TOKEN};

const CHATS: i64 = 50;
const PER_CHAT: usize = 20;
/// Commands with distinct answers: each reply's 👍 button names the entry it answers from.
const COMMANDS: [(&str, &str); 6] = [
    ("/salary", "salary"),
    ("/skills", "skills"),
    ("/certification", "certification"),
    ("/faq", "faq"),
    ("/organizations", "organizations"),
    ("/about", "about"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_messages_under_faults_get_exactly_one_reply_each() {
    let api = MockApi::start().await;
    // Spread over the run. teloxide sleeps 10 s after any 5xx, so only two of those.
    api.fail_every("sendMessage", Fault::Drop, 23, 25);
    api.fail_every(
        "sendMessage",
        Fault::TooManyRequests { retry_after: 1 },
        37,
        15,
    );
    api.fail_every("sendMessage", Fault::ServerError, 311, 2);
    let bot = Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.telegram.throttle = false;

        o.retry_backoff = Duration::from_millis(20);
    })
    .await;
    api.fail_next("getUpdates", Fault::Drop, 1);

    let mut expected: HashMap<i64, Vec<String>> = HashMap::new();
    for k in 0..PER_CHAT {
        for chat in 1..=CHATS {
            let (command, entry) = COMMANDS[(k + chat as usize) % COMMANDS.len()];
            api.say(chat, command);
            expected
                .entry(chat)
                .or_default()
                .push(format!("f:+:{entry}"));
        }
    }
    let total = CHATS as usize * PER_CHAT;
    let sent = api.wait_for_sent(total, Duration::from_secs(40)).await;
    assert_eq!(sent, total, "replies missing");
    // Stopping drains the outbox: a late duplicate would show up now.
    bot.stop().await.expect("a clean stop");

    let faults: Vec<u16> = api
        .calls_of("sendMessage")
        .iter()
        .map(|c| c.status)
        .filter(|s| *s != 200)
        .collect();
    for status in [0, 429, 500] {
        assert!(
            faults.contains(&status),
            "no {status} was injected: {faults:?}"
        );
    }
    assert!(api.calls_of("getUpdates").iter().any(|c| c.status == 0));
    for chat in 1..=CHATS {
        let got: Vec<String> = api
            .sent_to(chat)
            .iter()
            .map(|c| {
                c.all_buttons()
                    .into_iter()
                    .find(|b| b.starts_with("f:+:"))
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(got, expected[&chat], "chat {chat}");
    }
    assert_eq!(api.messages_sent(), total);
}
