//! The Telegram front end end to end: the real handler tree and dispatcher (`telegram::run`) against
//! the mock Bot API in `support/` on 127.0.0.1. No network, no real token.

use std::time::Duration;

use hitbot_testkit::{Bot, Fault, MockApi, BOT_USERNAME, TOKEN};
use serde_json::{json, Value};

/// A question with one clear answer (the AHIMA entry): no "Did you mean…".
const QUESTION: &str = "What does AHIMA do?";
const OUT_OF_SCOPE: &str = "What is the best pizza topping in Naples?";

async fn started() -> (MockApi, Bot) {
    let api = MockApi::start().await;
    let bot = Bot::start(&api).await;
    (api, bot)
}

fn is_html(call: &hitbot_testkit::Call) -> bool {
    call.params["parse_mode"] == "HTML"
}

// ---------------------------------------------------------------------------------------------
// Startup and shutdown

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_sets_the_menu_and_descriptions() {
    let (api, bot) = started().await;
    let commands = api.wait_for("setMyCommands", |c| c.ok()).await;
    let names: Vec<&str> = commands.params["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap().trim_start_matches('/'))
        .collect();
    assert_eq!(
        names,
        [
            "start",
            "help",
            "salary",
            "skills",
            "certification",
            "careers",
            "compare",
            "organizations",
            "faq",
            "about"
        ]
    );
    let d = api.wait_for("setMyDescription", |c| c.ok()).await;
    assert!(d.params["description"]
        .as_str()
        .unwrap()
        .contains("Health Information Technician"));
    api.wait_for("setMyShortDescription", |c| c.ok()).await;
    bot.stop().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_acknowledges_the_last_update_offset() {
    let (api, bot) = started().await;
    api.say(1, "/help");
    api.reply_in(1).await;
    let last = api.last_update_id();
    bot.stop().await.expect("a clean stop");
    assert_eq!(
        api.confirmed_offset(),
        last + 1,
        "the final getUpdates must confirm every update"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_exits_with_code_2() {
    let api = MockApi::start().await;
    api.require_token(TOKEN);
    let bot = Bot::launch(&api, hitbot_testkit::handle(), "123456:WRONG", |_| {});
    assert!(matches!(
        bot.result().await,
        Err(hitbot_telegram::TelegramError::TokenRefused)
    ));
    assert!(api.calls_of("getUpdates").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Conversation

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_shows_a_welcome_and_the_topic_keyboard() {
    let (api, _bot) = started().await;
    api.say(1, "/start");
    let reply = api.reply_in(1).await;
    assert!(is_html(&reply));
    assert!(
        reply.text().contains("Health Information Technician"),
        "{}",
        reply.text()
    );
    let buttons = reply.all_buttons();
    for topic in [
        "e:salary",
        "e:skills",
        "e:certification",
        "e:careers",
        "e:organizations",
    ] {
        assert!(
            buttons.iter().any(|b| b == topic),
            "{topic} missing from {buttons:?}"
        );
    }
    assert!(reply.buttons().iter().all(|row| row.len() <= 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_link_jumps_to_its_topic() {
    let (api, _bot) = started().await;
    api.say(1, "/start salary");
    let reply = api.reply_in(1).await;
    assert!(reply.text().starts_with("<b>"), "{}", reply.text());
    assert!(reply.text().contains("$"), "{}", reply.text());
    assert!(reply.all_buttons().contains(&"f:+:salary".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_gets_an_html_answer_with_source_and_buttons() {
    let (api, _bot) = started().await;
    api.say(1, QUESTION);
    let reply = api.reply_in(1).await;
    assert!(is_html(&reply));
    let text = reply.text();
    assert!(text.starts_with("<b>AHIMA</b>"), "{text}");
    assert!(text.contains("<i>Source: "), "{text}");
    let rows = reply.buttons();
    let (feedback, related) = rows.split_last().unwrap();
    assert_eq!(
        feedback,
        &["f:+:org-ahima".to_string(), "f:-:org-ahima".to_string()]
    );
    assert!((1..=3).contains(&related.len()), "{rows:?}");
    assert!(related
        .iter()
        .all(|row| row.len() == 1 && row[0].starts_with("e:")));
    // Answers take microseconds: no "typing…".
    assert!(api.calls_of("sendChatAction").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_scope_question_is_declined_kindly_with_the_topics() {
    let (api, _bot) = started().await;
    api.say(1, OUT_OF_SCOPE);
    let reply = api.reply_in(1).await;
    assert!(
        reply.text().contains("Sorry") || reply.text().contains("doesn't cover"),
        "{}",
        reply.text()
    );
    assert!(reply.all_buttons().contains(&"e:salary".to_string()));
    assert!(!reply.all_buttons().iter().any(|b| b.starts_with("f:")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_in_a_question_is_escaped() {
    let (api, _bot) = started().await;
    api.say(1, "Can you teach me <b>chess</b> & go?");
    let reply = api.reply_in(1).await;
    assert!(is_html(&reply));
    assert!(
        reply.text().contains("&lt;b&gt;chess&lt;/b&gt; &amp; go?"),
        "{}",
        reply.text()
    );
    assert!(!reply.text().contains("<b>chess"));
    // The mock parsed it as Telegram would, and shows the user's text as typed.
    assert!(reply.result["text"]
        .as_str()
        .unwrap()
        .contains("<b>chess</b> & go?"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_commands_answer_from_the_knowledge() {
    let (api, _bot) = started().await;
    api.say(1, "/careers");
    let careers = api.reply_in(1).await;
    let paths: Vec<String> = careers
        .all_buttons()
        .into_iter()
        .filter(|b| b.starts_with("e:path-"))
        .collect();
    assert_eq!(paths.len(), 5, "{:?}", careers.buttons());

    api.say(1, "/organizations");
    let orgs = api.wait_for_replies(1, 2).await.remove(1);
    let org_buttons = orgs
        .all_buttons()
        .into_iter()
        .filter(|b| b.starts_with("e:org-"))
        .count();
    assert!(org_buttons >= 3, "{:?}", orgs.buttons());

    for (i, (command, expect)) in [("/about", "computerscience.org"), ("/help", "/salary")]
        .iter()
        .enumerate()
    {
        api.say(1, command);
        let reply = api.wait_for_replies(1, 3 + i).await.remove(2 + i);
        assert!(reply.text().contains(expect), "{command}: {}", reply.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_in_one_chat_are_answered_in_order() {
    let (api, _bot) = started().await;
    for command in ["/salary", "/skills", "/certification", "/faq"] {
        api.say(1, command);
    }
    let replies = api.wait_for_replies(1, 4).await;
    let ids: Vec<String> = replies
        .iter()
        .map(|r| {
            r.all_buttons()
                .into_iter()
                .find(|b| b.starts_with("f:+:"))
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        ids,
        ["f:+:salary", "f:+:skills", "f:+:certification", "f:+:faq"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_and_unknown_commands() {
    let (api, _bot) = started().await;
    api.say(1, "/salary please");
    assert!(api
        .reply_in(1)
        .await
        .all_buttons()
        .contains(&"f:+:salary".to_string()));
    api.say(1, "/frobnicate");
    let reply = api.wait_for_replies(1, 2).await.remove(1);
    assert!(
        reply
            .text()
            .contains("I don't know the command /frobnicate"),
        "{}",
        reply.text()
    );
}

// ---------------------------------------------------------------------------------------------
// Buttons

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_press_is_answered_and_opens_the_entry() {
    let (api, _bot) = started().await;
    api.say(1, "/start");
    let menu = api.reply_in(1).await;
    let query = api.press(1, menu.message_id(), "e:careers");
    let answered = api
        .wait_for("answerCallbackQuery", |c| {
            c.params["callback_query_id"] == query
        })
        .await;
    assert!(answered.ok());
    let reply = api.wait_for_replies(1, 2).await.remove(1);
    assert!(reply.text().contains("<b>"), "{}", reply.text());
    assert_eq!(
        reply
            .all_buttons()
            .iter()
            .filter(|b| b.starts_with("e:path-"))
            .count(),
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_or_unknown_buttons_get_a_polite_reply() {
    let (api, _bot) = started().await;
    api.say(1, "/start");
    let menu = api.reply_in(1).await;
    for (n, data) in ["e:an-entry-that-was-removed", "pressed-by-an-old-version"]
        .iter()
        .enumerate()
    {
        let query = api.press(1, menu.message_id(), data);
        let answered = api
            .wait_for("answerCallbackQuery", |c| {
                c.params["callback_query_id"] == query
            })
            .await;
        assert!(answered.params["text"]
            .as_str()
            .unwrap()
            .contains("out of date"));
        let reply = api.wait_for_replies(1, 2 + n).await.remove(1 + n);
        assert!(reply.text().contains("not available"), "{}", reply.text());
        assert!(reply.all_buttons().contains(&"e:salary".to_string()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_is_thanked_counted_and_its_buttons_removed() {
    let (api, bot) = started().await;
    api.say(1, QUESTION);
    let answer = api.reply_in(1).await;
    let query = api.press(1, answer.message_id(), "f:+:org-ahima");
    let thanks = api
        .wait_for("answerCallbackQuery", |c| {
            c.params["callback_query_id"] == query
        })
        .await;
    assert_eq!(thanks.params["text"], "Thanks!");
    let edit = api.wait_for("editMessageReplyMarkup", |c| c.ok()).await;
    assert_eq!(edit.params["message_id"], answer.message_id());
    let kept = edit.params["reply_markup"]["inline_keyboard"].to_string();
    assert!(!kept.contains("f:+:") && kept.contains("e:"), "{kept}");
    assert_eq!(bot.votes(Some("org-ahima")).helpful, 1);
    assert_eq!(bot.votes(None).not_helpful, 0);
}

/// Bug: every 👍/👎 was recorded twice: in the in-memory `FeedbackCounter` (which nothing ever read)
/// and as an event in the operator store. The event is now the one record of a press.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feedback_press_is_recorded_once() {
    let (api, bot) = started().await;
    api.say(1, QUESTION);
    let answer = api.reply_in(1).await;
    for (n, data) in ["f:-:org-ahima", "f:+:org-ahima"].into_iter().enumerate() {
        let query = api.press(1, answer.message_id(), data);
        api.wait_for("answerCallbackQuery", |c| {
            c.params["callback_query_id"] == query
        })
        .await;
        let votes: Vec<_> = bot
            .events
            .events()
            .into_iter()
            .filter(|e| matches!(e.kind, hitbot_store::EventKind::Feedback { .. }))
            .collect();
        assert_eq!(votes.len(), n + 1, "{votes:#?}");
    }
    assert_eq!(
        bot.votes(Some("org-ahima")),
        hitbot_testkit::Votes {
            helpful: 1,
            not_helpful: 1
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Inline mode

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inline_query_returns_up_to_five_articles() {
    let (api, _bot) = started().await;
    let query = api.inline(7, "salary");
    let answer = api
        .wait_for("answerInlineQuery", |c| {
            c.params["inline_query_id"] == query
        })
        .await;
    assert!(answer.ok());
    let results = answer.params["results"].as_array().unwrap();
    assert!((1..=5).contains(&results.len()), "{results:?}");
    assert_eq!(results[0]["id"], "salary");
    for r in results {
        assert_eq!(r["type"], "article");
        assert!(!r["title"].as_str().unwrap().is_empty());
        assert!(!r["description"].as_str().unwrap().is_empty());
        assert_eq!(r["input_message_content"]["parse_mode"], "HTML");
        let link = r["reply_markup"]["inline_keyboard"][0][0]["url"]
            .as_str()
            .unwrap();
        assert!(
            link.starts_with(&format!("https://t.me/{BOT_USERNAME}?start=")),
            "{link}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_inline_query_returns_the_main_topics() {
    let (api, _bot) = started().await;
    let query = api.inline(7, "");
    let answer = api
        .wait_for("answerInlineQuery", |c| {
            c.params["inline_query_id"] == query
        })
        .await;
    let ids: Vec<&str> = answer.params["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let topics: Vec<String> = hitbot_testkit::advisor()
        .topics()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, topics);

    let query = api.inline(7, OUT_OF_SCOPE);
    let answer = api
        .wait_for("answerInlineQuery", |c| {
            c.params["inline_query_id"] == query
        })
        .await;
    assert_eq!(answer.params["results"], json!([]));
    assert!(answer.params["button"]["start_parameter"].is_string());
}

// ---------------------------------------------------------------------------------------------
// Groups and other kinds of messages

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_groups_only_mentions_replies_and_commands_are_answered() {
    let (api, _bot) = started().await;
    let group = -100;
    // Chatter first: if it were answered, its reply would come before the next one (same chat, in order).
    api.say_in_group(group, 5, QUESTION, None);
    let mention = api.say_in_group(group, 5, &format!("@{BOT_USERNAME} {QUESTION}"), None);
    let replies = api.wait_for_replies(group, 1).await;
    assert_eq!(replies[0].params["reply_parameters"]["message_id"], mention);
    assert!(replies[0].text().contains("<b>AHIMA</b>"));

    let reply_to_bot = api.say_in_group(
        group,
        6,
        "what skills do they need?",
        Some(replies[0].message_id()),
    );
    let replies = api.wait_for_replies(group, 2).await;
    assert_eq!(
        replies[1].params["reply_parameters"]["message_id"],
        reply_to_bot
    );

    api.say_in_group(group, 6, "/salary@other_bot", None);
    api.say_in_group(group, 6, "a sticker-free remark about lunch", None);
    api.message(group, 6, json!({ "photo": [photo_size()] }), None);
    api.say_in_group(group, 6, &format!("/skills@{BOT_USERNAME}"), None);
    api.say_in_group(group, 6, "/faq", None);
    let replies = api.wait_for_replies(group, 4).await;
    assert!(replies[2].all_buttons().contains(&"f:+:skills".to_string()));
    assert!(replies[3].all_buttons().contains(&"f:+:faq".to_string()));
    assert_eq!(api.sent_to(group).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sticker_gets_a_one_line_hint() {
    let (api, _bot) = started().await;
    let sticker = json!({
        "file_id": "CAAD", "file_unique_id": "AgAD", "type": "regular",
        "width": 512, "height": 512, "is_animated": false, "is_video": false, "emoji": "👍",
    });
    api.message(1, 1, json!({ "sticker": sticker }), None);
    let reply = api.reply_in(1).await;
    assert_eq!(
        reply.text(),
        "I read text questions only. Type your question, or send /help."
    );
    api.message(
        1,
        1,
        json!({ "photo": [photo_size()], "caption": "what is this?" }),
        None,
    );
    let reply = api.wait_for_replies(1, 2).await.remove(1);
    assert!(reply.text().starts_with("I read text questions only"));
    // Content teloxide cannot classify (here a voice message without its size) gets the hint too.
    api.message(
        1,
        1,
        json!({ "voice": { "file_id": "V", "file_unique_id": "VU", "duration": 2 } }),
        None,
    );
    let reply = api.wait_for_replies(1, 3).await.remove(2);
    assert!(reply.text().starts_with("I read text questions only"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_messages_are_ignored() {
    let (api, _bot) = started().await;
    api.push_update(
        "edited_message",
        json!({
            "message_id": 1, "date": 0, "edit_date": 1, "chat": hitbot_testkit::chat_object(1),
            "from": hitbot_testkit::user_object(1), "text": QUESTION,
        }),
    );
    api.say(1, "/help");
    let replies = api.wait_for_replies(1, 1).await;
    assert!(replies[0].text().contains("How to use me"));
    assert_eq!(api.sent_to(1).len(), 1);
}

fn photo_size() -> Value {
    json!({ "file_id": "PH", "file_unique_id": "PHU", "width": 90, "height": 90 })
}

// ---------------------------------------------------------------------------------------------
// Delivery that loses nothing

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_retried_by_throttle() {
    let api = MockApi::start().await;
    let _bot = Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.telegram.throttle = true
    })
    .await;
    api.fail_next("sendMessage", Fault::TooManyRequests { retry_after: 1 }, 1);
    api.say(1, QUESTION);
    api.reply_in(1).await;
    let statuses: Vec<u16> = api
        .calls_of("sendMessage")
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [429, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_retried_without_throttle_too() {
    let (api, _bot) = started().await;
    api.fail_next("sendMessage", Fault::TooManyRequests { retry_after: 1 }, 1);
    api.say(1, QUESTION);
    api.reply_in(1).await;
    let statuses: Vec<u16> = api
        .calls_of("sendMessage")
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [429, 200]);
}

/// teloxide sleeps 10 s after any 5xx before it returns the error: the reply must still arrive, and
/// other chats must be answered meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_is_retried_without_stalling_other_chats() {
    let (api, _bot) = started().await;
    api.fail_next_in("sendMessage", Some(1), Fault::ServerError, 1);
    api.say(1, QUESTION);
    api.wait_for("sendMessage", |c| c.status == 500).await;
    api.say(2, QUESTION);
    api.reply_in(2).await;
    assert!(
        api.sent_to(1).is_empty(),
        "chat 1 is still waiting out teloxide's 10 s"
    );
    let reply = api.reply_in(1).await;
    assert!(reply.text().contains("<b>AHIMA</b>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_are_retried() {
    let (api, _bot) = started().await;
    api.fail_next("sendMessage", Fault::Drop, 2);
    api.say(1, QUESTION);
    api.reply_in(1).await;
    let statuses: Vec<u16> = api
        .calls_of("sendMessage")
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [0, 0, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_users_and_missing_chats_are_dropped_without_retries() {
    let (api, _bot) = started().await;
    api.fail_next_in(
        "sendMessage",
        Some(1),
        Fault::Error(403, "Forbidden: bot was blocked by the user".into()),
        1,
    );
    api.fail_next_in(
        "sendMessage",
        Some(3),
        Fault::Error(400, "Bad Request: chat not found".into()),
        1,
    );
    api.say(1, QUESTION);
    api.say(3, QUESTION);
    api.wait_for("sendMessage", |c| c.status == 403).await;
    api.wait_for("sendMessage", |c| c.status == 400).await;
    api.say(2, QUESTION);
    api.reply_in(2).await;
    // One attempt each, no retries.
    for chat in [1, 3] {
        let attempts = api
            .calls_of("sendMessage")
            .iter()
            .filter(|c| c.chat_id() == Some(chat))
            .count();
        assert_eq!(attempts, 1, "chat {chat}");
    }
}

/// The project's knowledge plus an entry whose answer is 60 paragraphs long (several messages),
/// asked for with [`LONG_QUESTION`].
fn long_answer_handle(name: &str) -> hitbot_engine::AdvisorHandle {
    let knowledge = hitbot_testkit::knowledge_copy(name);
    let paragraphs: Vec<String> = (1..=60)
        .map(|i| {
            format!(
                "Paragraph {i}: {}",
                "zebra facts & <figures> ".repeat(5).trim_end()
            )
        })
        .collect();
    std::fs::write(
        knowledge.join("zz-long-test.toml"),
        format!(
            "[[entry]]\nid = \"long-test\"\ntopic = \"faq\"\ntitle = \"A very long answer\"\n\
             questions = [\"Tell me the extremely long zebra answer\"]\nanswer = \"\"\"\n{}\n\"\"\"\n\
             source = \"Test fixture\"\n",
            paragraphs.join("\n\n")
        ),
    )
    .unwrap();
    hitbot_testkit::open_handle(knowledge, name, Some(20_000))
}

const LONG_QUESTION: &str = "Tell me the extremely long zebra answer";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_answer_is_split_at_paragraphs() {
    let handle = long_answer_handle("long");
    let api = MockApi::start().await;
    let _bot = Bot::start_with(&api, handle, TOKEN, |_| {}).await;

    api.say(1, LONG_QUESTION);
    api.wait_for_replies(1, 2).await;
    // The keyboard comes with the last part: once it is there, every part is.
    api.wait_for("sendMessage", |c| {
        c.ok() && c.params.get("reply_markup").is_some()
    })
    .await;
    let parts: Vec<hitbot_testkit::Call> = api.sent_to(1);
    assert!(parts.len() >= 2, "{}", parts.len());
    for (i, p) in parts.iter().enumerate() {
        assert!(p.text().encode_utf16().count() <= 4096);
        assert!(
            hitbot_testkit::parse_html(p.text()).is_ok(),
            "part {i} is not valid HTML"
        );
        let has_keyboard = !p.buttons().is_empty();
        assert_eq!(
            has_keyboard,
            i == parts.len() - 1,
            "keyboard only under the last part"
        );
    }
    assert!(parts[0].text().starts_with("<b>A very long answer</b>"));
    assert!(parts[0].text().contains("Paragraph 1:"));
    assert!(parts
        .last()
        .unwrap()
        .text()
        .contains("<i>Source: Test fixture</i>"));
    // Cut between paragraphs: every part ends a paragraph and the next starts one.
    for p in &parts[1..] {
        assert!(p.text().starts_with("Paragraph "), "{}", &p.text()[..40]);
    }
    let all: String = parts
        .iter()
        .map(|p| p.result["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n\n");
    for i in 1..=60 {
        assert_eq!(
            all.matches(&format!("Paragraph {i}: ")).count(),
            1,
            "paragraph {i}"
        );
    }
}

/// HTML that Telegram rejects is resent as plain text: the same part, as the message's plain
/// rendering has it (made with the HTML, not parsed back out of it), keyboard and all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_html_is_resent_as_the_same_part_in_plain_text() {
    let api = MockApi::start().await;
    let _bot = Bot::start_with(&api, long_answer_handle("plain-fallback"), TOKEN, |_| {}).await;
    let rejected = Fault::Error(
        400,
        "Bad Request: can't parse entities: Unsupported start tag \"zebra\"".into(),
    );
    // The second part of the long answer is rejected.
    api.fail_every("sendMessage", rejected.clone(), 2, 1);
    api.say(1, LONG_QUESTION);
    api.wait_for("sendMessage", |c| {
        c.ok() && c.params.get("reply_markup").is_some()
    })
    .await;
    let calls = api.calls_of("sendMessage");
    assert_eq!(calls[1].status, 400);
    let (failed, resent) = (&calls[1], &calls[2]);
    assert!(resent.ok() && resent.params.get("parse_mode").is_none());
    let shown = hitbot_testkit::parse_html(failed.text()).unwrap();
    assert_eq!(resent.text(), shown.trim());
    assert!(resent.text().starts_with("Paragraph "), "{}", resent.text());
    assert!(resent.text().contains("zebra facts & <figures>"));
    // The other parts went as HTML, and every paragraph arrived once.
    let sent = api.sent_to(1);
    assert!(sent.iter().filter(|c| c.seq != resent.seq).all(is_html));
    let all: String = sent
        .iter()
        .map(|c| match is_html(c) {
            true => hitbot_testkit::parse_html(c.text()).unwrap(),
            false => c.text().to_string(),
        })
        .collect();
    for i in 1..=60 {
        assert_eq!(
            all.matches(&format!("Paragraph {i}: ")).count(),
            1,
            "paragraph {i}"
        );
    }

    // A one-part answer rejected: sent plain with its buttons.
    api.fail_next_in("sendMessage", Some(2), rejected, 1);
    api.say(2, QUESTION);
    let reply = api.reply_in(2).await;
    assert!(!is_html(&reply));
    assert!(reply.text().starts_with("AHIMA\n\n"), "{}", reply.text());
    assert!(reply.text().contains("\n\nSource: "), "{}", reply.text());
    assert!(reply.all_buttons().contains(&"f:+:org-ahima".to_string()));
}

// ---------------------------------------------------------------------------------------------
// Webhook mode

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_receives_updates_with_the_secret() {
    let api = MockApi::start().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bot = Bot::launch(&api, hitbot_testkit::handle(), TOKEN, |o| {
        o.telegram.webhook_url = Some("https://bot.example.org/hitbot-hook".into());
        o.telegram.webhook_listen = format!("127.0.0.1:{port}");
        o.telegram.webhook_secret = Some("test-secret_1".into());
    });
    let set = api.wait_for("setWebhook", |c| c.ok()).await;
    assert_eq!(set.params["url"], "https://bot.example.org/hitbot-hook");
    assert_eq!(set.params["secret_token"], "test-secret_1");

    let update = json!({
        "update_id": 1,
        "message": {
            "message_id": 1, "date": 0, "chat": hitbot_testkit::chat_object(9),
            "from": hitbot_testkit::user_object(9), "text": "/salary",
        },
    });
    // The server may take a moment to start listening after setWebhook.
    let deadline = tokio::time::Instant::now() + hitbot_testkit::PATIENCE;
    loop {
        match post(port, "/hitbot-hook", Some("wrong"), &update).await {
            0 => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "webhook server never answered"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            status => {
                assert_eq!(status, 401, "a wrong secret is refused");
                break;
            }
        }
    }
    assert_eq!(
        post(port, "/hitbot-hook", None, &update).await,
        401,
        "no secret"
    );
    while post(port, "/hitbot-hook", Some("test-secret_1"), &update).await != 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "webhook server never answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reply = api.reply_in(9).await;
    assert!(reply.all_buttons().contains(&"f:+:salary".to_string()));
    // Telegram sends an update again when it did not see our 200: it is answered once.
    assert_eq!(
        post(port, "/hitbot-hook", Some("test-secret_1"), &update).await,
        200
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        api.sent_to(9).len(),
        1,
        "a replayed update is not answered again"
    );
    assert!(api.calls_of("getUpdates").is_empty());
    bot.stop().await.expect("a clean stop");
    api.wait_for("deleteWebhook", |c| c.ok()).await;
}

/// POSTs JSON to the local webhook server; returns the HTTP status (0 if the connection failed).
async fn post(port: u16, path: &str, secret: Option<&str>, body: &Value) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return 0;
    };
    let body = body.to_string();
    let secret = secret
        .map(|s| format!("X-Telegram-Bot-Api-Secret-Token: {s}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         {secret}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).await.is_err() {
        return 0;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response).await;
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Follow-ups, both ways (`tests/data/followups.jsonl`, shared with the engine and terminal tests)

/// The entry a reply answered from (its 👍 button), "decline", or "small talk".
fn answered_entry(call: &hitbot_testkit::Call) -> String {
    let buttons = call.all_buttons();
    if let Some(id) = buttons.iter().find_map(|b| b.strip_prefix("f:+:")) {
        return id.to_string();
    }
    if call.text().contains("don't know") || call.text().contains("doesn't cover") {
        "decline".to_string()
    } else {
        "small talk".to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_take_context_only_when_it_is_meant() {
    use hitbot_engine::eval;
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/followups.jsonl");
    let cases = eval::load_conversations(&file).unwrap();
    let advisor = hitbot_testkit::advisor();
    let (api, bot) = started().await;
    // One chat per conversation, all at once: memory is per chat.
    for (i, case) in cases.iter().enumerate() {
        let chat = 5000 + i as i64;
        for (n, q) in case.after.iter().enumerate() {
            api.say(chat, q);
            api.wait_for_replies(chat, n + 1).await;
        }
        api.say(chat, &case.ask);
    }
    let mut wrong = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let n = case.after.len() + 1;
        let replies = api.wait_for_replies(5000 + i as i64, n).await;
        let got = answered_entry(&replies[n - 1]);
        if !case.accepts(&got, &eval::outcome(&advisor.answer(&case.ask))) {
            wrong.push(case.failure(&got));
        }
    }
    bot.stop().await.expect("a clean stop");
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
