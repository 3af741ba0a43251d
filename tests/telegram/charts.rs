//! Charts in Telegram: the careers chart as a photo (uploaded once, then re-sent by `file_id`, and
//! uploaded again when a reload changes the career table), and `/compare` with names, typos, unknown
//! names, and buttons. Against the mock Bot API in `support/`.

use hitbot_telegram::PathKey;
use hitbot_testkit::{Bot, Call, MockApi, TOKEN};

const PATHS: [&str; 5] = [
    "path-architect",
    "path-data-analyst",
    "path-clinical-coder",
    "path-software-developer",
    "path-technologist",
];

/// The data of the button that picks path `id` first.
fn pick(id: &str) -> String {
    format!("c:{}", PathKey::of(id))
}

/// The data of the button that compares paths `a` and `b`.
fn pair(a: &str, b: &str) -> String {
    format!("c:{}:{}", PathKey::of(a), PathKey::of(b))
}

/// Waits until `n` successful `sendPhoto` calls have gone to `chat`; returns them in order.
async fn photos(api: &MockApi, chat: i64, n: usize) -> Vec<Call> {
    api.wait_until(&format!("{n} photos in chat {chat}"), |calls| {
        let sent: Vec<Call> = calls
            .iter()
            .filter(|c| c.method == "sendPhoto" && c.ok() && c.chat_id() == Some(chat))
            .cloned()
            .collect();
        (sent.len() >= n).then_some(sent)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_careers_chart_is_uploaded_once_then_sent_by_file_id() {
    let (api, _bot) = started().await;
    api.say(1, "/careers");
    let text = api.reply_in(1).await;
    assert_eq!(
        text.all_buttons()
            .iter()
            .filter(|b| b.starts_with("e:path-"))
            .count(),
        5
    );
    let first = photos(&api, 1, 1).await.remove(0);
    assert!(first.uploaded(), "{}", first.params);
    assert_eq!(first.params["photo"]["png"], true);
    assert!(first.params["photo"]["size"].as_u64().unwrap() > 10_000);
    let caption = first.params["caption"].as_str().unwrap();
    assert!(caption.contains("Source: BLS"), "{caption}");
    assert!(caption.chars().count() <= 200, "{caption}");
    // The text comes first, then the chart.
    assert!(text.seq < first.seq);
    let file_id = first.file_id().to_string();
    assert!(!file_id.is_empty());

    // /careers again, the Careers topic button, a deep link: the same picture by file_id.
    api.say(2, "/careers");
    let again = photos(&api, 2, 1).await.remove(0);
    assert!(!again.uploaded());
    assert_eq!(again.params["photo"], file_id.as_str());

    api.press(1, text.message_id(), "e:careers");
    let pressed = photos(&api, 1, 2).await.remove(1);
    assert_eq!(pressed.params["photo"], file_id.as_str());
    api.say(3, "/start careers");
    assert_eq!(
        photos(&api, 3, 1).await[0].params["photo"],
        file_id.as_str()
    );

    let uploads = api
        .calls_of("sendPhoto")
        .iter()
        .filter(|c| c.uploaded())
        .count();
    assert_eq!(uploads, 1);
    // A path's own entry has no chart.
    api.say(4, "/start path-architect");
    api.reply_in(4).await;
    api.say(4, "/salary");
    api.wait_for_replies(4, 2).await;
    assert!(api
        .calls_of("sendPhoto")
        .iter()
        .all(|c| c.chat_id() != Some(4)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_career_table_is_drawn_and_uploaded_again_after_a_reload() {
    let knowledge = hitbot_testkit::knowledge_copy("charts-reload");
    let handle = hitbot_testkit::open_handle(knowledge.clone(), "charts-reload", None);
    let api = MockApi::start().await;
    let _bot = Bot::start_with(&api, handle, TOKEN, |o| o.telegram.admins = vec![1]).await;
    api.say(1, "/careers");
    let first = photos(&api, 1, 1).await.remove(0);
    assert!(first.uploaded());

    let file = knowledge.join("careers.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("median_salary = 120520"));
    std::fs::write(
        &file,
        text.replace("median_salary = 120520", "median_salary = 130520"),
    )
    .unwrap();
    api.say(1, "/reload");
    api.wait_for("sendMessage", |c| c.text().starts_with("Reloaded:"))
        .await;
    api.say(1, "/careers");
    let second = photos(&api, 1, 2).await.remove(1);
    assert!(second.uploaded(), "the new table needs a new picture");
    assert_ne!(second.file_id(), first.file_id());
    api.say(1, "/careers");
    let third = photos(&api, 1, 3).await.remove(2);
    assert_eq!(third.params["photo"], second.file_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_with_names_or_typos_sends_the_card_and_its_chart() {
    let (api, _bot) = started().await;
    api.say(1, "/compare coder analyst");
    let card = api.reply_in(1).await;
    let text = card.text();
    assert!(
        text.starts_with("<b>Clinical coder vs Data analyst</b>"),
        "{text}"
    );
    assert!(
        text.contains("<b>Median salary 2021:</b> $46,660 | $100,910"),
        "{text}"
    );
    assert!(text.contains("<b>Education:</b> "), "{text}");
    // Regression: the table's "None" showed as "Experience: None".
    assert!(
        text.contains(
            "<b>Experience:</b> the guide lists no requirement | the guide lists no requirement"
        ),
        "{text}"
    );
    assert!(!text.contains("None"), "{text}");
    assert!(text.contains("<b>Clinical coder:</b> "), "{text}");
    assert!(text.contains("• Data analyst pays $54,250 more"), "{text}");
    assert!(text.contains("<i>Source: BLS"), "{text}");
    assert_eq!(
        card.all_buttons(),
        ["e:path-clinical-coder", "e:path-data-analyst"]
    );
    let chart = photos(&api, 1, 1).await.remove(0);
    assert!(chart.uploaded());
    assert!(chart.params["caption"]
        .as_str()
        .unwrap()
        .starts_with("Clinical coder vs Data analyst"));

    // Typos, and the same pair again: the chart goes by file_id.
    api.say(2, "/compare coder analist");
    let typo = api.reply_in(2).await;
    assert!(
        typo.text()
            .starts_with("<b>Clinical coder vs Data analyst</b>"),
        "{}",
        typo.text()
    );
    let again = photos(&api, 2, 1).await.remove(0);
    assert_eq!(again.params["photo"], chart.file_id());

    api.say(3, "/compare architect vs software developer");
    let full = api.reply_in(3).await;
    assert!(
        full.text()
            .starts_with("<b>Architect vs Software developer</b>"),
        "{}",
        full.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_with_an_unknown_name_explains_and_offers_the_paths() {
    let (api, _bot) = started().await;
    api.say(1, "/compare coder astronaut");
    let reply = api.reply_in(1).await;
    assert!(
        reply
            .text()
            .contains("I don't know a career path called \"astronaut\""),
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("Clinical coder"), "{}", reply.text());
    assert!(
        reply.text().contains("For example: /compare "),
        "the chat's own syntax: {}",
        reply.text()
    );
    let expected: Vec<String> = PATHS.iter().map(|id| pick(id)).collect();
    assert_eq!(reply.all_buttons(), expected);
    // Markup in a name is shown, not interpreted.
    api.say(2, "/compare <b>boss</b> coder");
    let reply = api.reply_in(2).await;
    assert!(reply.text().contains("&lt;b&gt;boss"), "{}", reply.text());
    assert!(api.calls_of("sendPhoto").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_without_names_asks_with_buttons_then_compares() {
    let (api, _bot) = started().await;
    api.say(1, "/compare");
    let first = api.reply_in(1).await;
    let expected: Vec<String> = PATHS.iter().map(|id| pick(id)).collect();
    assert_eq!(first.all_buttons(), expected);
    assert!(first.text().contains("/compare"), "{}", first.text());

    let q1 = api.press(1, first.message_id(), &pick("path-architect"));
    api.wait_for("answerCallbackQuery", |c| {
        c.params["callback_query_id"] == q1
    })
    .await;
    let second = api.wait_for_replies(1, 2).await.remove(1);
    assert_eq!(second.text(), "Compare <b>Architect</b> with which path?");
    let others: Vec<String> = PATHS
        .iter()
        .filter(|id| **id != "path-architect")
        .map(|id| pair("path-architect", id))
        .collect();
    assert_eq!(second.all_buttons(), others);

    let q2 = api.press(
        1,
        second.message_id(),
        &pair("path-architect", "path-technologist"),
    );
    api.wait_for("answerCallbackQuery", |c| {
        c.params["callback_query_id"] == q2
    })
    .await;
    let card = api.wait_for_replies(1, 3).await.remove(2);
    assert!(
        card.text()
            .starts_with("<b>Architect vs Health information technologist</b>"),
        "{}",
        card.text()
    );
    photos(&api, 1, 1).await;

    // One path named: the second is asked for.
    api.say(2, "/compare coder");
    let ask = api.reply_in(2).await;
    assert_eq!(ask.text(), "Compare <b>Clinical coder</b> with which path?");
    let coder = format!("c:{}:", PathKey::of("path-clinical-coder"));
    assert!(ask.all_buttons().iter().all(|b| b.starts_with(&coder)));
    // A pair from an old message whose path no longer exists: the picker again.
    api.press(
        2,
        ask.message_id(),
        &pair("path-clinical-coder", "path-astronaut"),
    );
    let stale = api.wait_for_replies(2, 2).await.remove(1);
    assert_eq!(stale.all_buttons(), expected);
    // So does a first pick of a path that no longer exists.
    api.press(2, ask.message_id(), &pick("path-astronaut"));
    let stale = api.wait_for_replies(2, 3).await.remove(2);
    assert_eq!(stale.all_buttons(), expected);
    // Comparison buttons of older versions (paths named by id) are answered as out of date.
    let q = api.press(
        2,
        ask.message_id(),
        "c:path-clinical-coder:path-data-analyst",
    );
    let answered = api
        .wait_for("answerCallbackQuery", |c| {
            c.params["callback_query_id"] == q
        })
        .await;
    assert!(answered.params["text"]
        .as_str()
        .unwrap_or_default()
        .contains("out of date"));
    let topics = api.wait_for_replies(2, 4).await.remove(3);
    assert!(topics.text().contains("not available"), "{}", topics.text());
}

/// Bug: `/compare` buttons silently vanished when two entry ids together exceeded Telegram's 64
/// bytes of callback data (`c:<id>:<id>`, with ids of up to 40 characters): the second picker left
/// those paths out. Paths are now named by a short key, so every pair gets its button.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_buttons_do_not_vanish_for_two_of_the_longest_ids() {
    const ARCHITECT: &str = "path-architect-of-digital-health-records";
    const ANALYST: &str = "path-data-analyst-in-hospital-and-clinic";
    let longest = hitbot_knowledge::MAX_ID_LEN;
    assert_eq!((ARCHITECT.len(), ANALYST.len()), (longest, longest));
    let knowledge = hitbot_testkit::knowledge_copy("compare-long-ids");
    for file in std::fs::read_dir(&knowledge).unwrap() {
        let path = file.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let renamed = text
            .replace("\"path-architect\"", &format!("\"{ARCHITECT}\""))
            .replace("\"path-data-analyst\"", &format!("\"{ANALYST}\""));
        std::fs::write(&path, renamed).unwrap();
    }
    let handle = hitbot_testkit::open_handle(knowledge, "compare-long-ids", None);
    assert!(handle.get().entry(ARCHITECT).is_some() && handle.get().entry(ANALYST).is_some());
    let api = MockApi::start().await;
    let _bot = Bot::start_with(&api, handle, TOKEN, |_| {}).await;

    api.say(1, "/compare");
    let first = api.reply_in(1).await;
    assert_eq!(first.all_buttons().len(), 5);
    api.press(1, first.message_id(), &pick(ARCHITECT));
    let second = api.wait_for_replies(1, 2).await.remove(1);
    let buttons = second.all_buttons();
    assert_eq!(buttons.len(), 4, "{buttons:?}");
    assert!(buttons.contains(&pair(ARCHITECT, ANALYST)), "{buttons:?}");
    assert!(buttons.iter().all(|b| b.len() <= 64));

    api.press(1, second.message_id(), &pair(ARCHITECT, ANALYST));
    let card = api.wait_for_replies(1, 3).await.remove(2);
    assert!(
        card.text().starts_with("<b>Architect vs Data analyst</b>"),
        "{}",
        card.text()
    );
    assert_eq!(
        card.all_buttons(),
        [format!("e:{ARCHITECT}"), format!("e:{ANALYST}")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_is_in_the_menu_and_the_help() {
    let (api, _bot) = started().await;
    let menu = api.wait_for("setMyCommands", |c| c.ok()).await;
    assert!(menu.params["commands"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["command"].as_str().unwrap().trim_start_matches('/') == "compare"));
    api.say(1, "/help");
    let help = api.reply_in(1).await;
    assert!(
        help.text().contains("/compare — Compare two career paths"),
        "{}",
        help.text()
    );
}

async fn started() -> (MockApi, Bot) {
    let api = MockApi::start().await;
    let bot = Bot::start(&api).await;
    (api, bot)
}

/// Issue 12: a comparison asked in plain words gets the same card and chart as `/compare`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comparison_in_plain_words_gets_the_compare_card() {
    let (api, _bot) = started().await;
    for (chat, question) in [
        (31, "compare coder and analyst"),
        (32, "coder vs analyst which pays more"),
    ] {
        api.say(chat, question);
        let card = api.reply_in(chat).await;
        let text = card.text();
        assert!(
            text.starts_with("<b>Clinical coder vs Data analyst</b>"),
            "{question}: {text}"
        );
        assert!(
            text.contains("<b>Median salary 2021:</b> $46,660 | $100,910"),
            "{text}"
        );
        photos(&api, chat, 1).await;
    }
}
