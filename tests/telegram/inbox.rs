//! The operator's inbox on Telegram: a declined question, taught to the bot by an admin in two taps
//! (`/inbox`, "➕ entry"), answered from that entry afterwards, the knowledge file one line longer
//! with every comment intact, and "↩ undo" putting it back byte for byte; refused edits (a
//! duplicate, a folder that would fail `hitbot check`, an entry that is gone) and forged buttons
//! from a non-admin changing nothing. The knowledge is a temp copy; the store a temp file written by
//! the real `Recorder`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use hitbot_store::inbox::{self, Status};
use hitbot_store::{Event, EventKind, EventSink, Recorder, Store, StoreConfig};
use hitbot_testkit::{Bot, Call, MockApi, TOKEN};

const ADMIN: i64 = 1;
const SOMEONE: i64 = 2;
const USER: i64 = 3;

/// Declined by the shipped knowledge; about pay, so "What HITs earn" is among its suggestions.
const QUESTION: &str = "what can a records tech pocket yearly";
const ENTRY: &str = "salary";
const TITLE: &str = "What HITs earn";
const FILE: &str = "salary.toml";

/// A running bot on a copy of the knowledge, recording into a store that `/inbox` reads.
struct Setup {
    api: MockApi,
    _bot: Bot,
    knowledge: PathBuf,
    store: PathBuf,
    recorder: Arc<Recorder>,
}

async fn start(name: &str) -> Setup {
    let knowledge = hitbot_testkit::knowledge_copy(name);
    let handle = hitbot_testkit::open_handle(knowledge.clone(), name, None);
    let store = hitbot_testkit::temp_dir(&format!("{name}-store")).join("ops.sqlite");
    let recorder = Arc::new(
        Recorder::open(&StoreConfig {
            path: store.clone(),
            ..StoreConfig::default()
        })
        .expect("open the store"),
    );
    let api = MockApi::start().await;
    let events = Arc::clone(&recorder);
    let path = store.clone();
    let bot = Bot::start_with(&api, handle, TOKEN, move |o| {
        o.telegram.admins = vec![ADMIN];
        o.events = events as Arc<dyn EventSink>;
        o.store_path = Some(path);
    })
    .await;
    Setup {
        api,
        _bot: bot,
        knowledge,
        store,
        recorder,
    }
}

impl Setup {
    /// Waits until every recorded event is in the store file.
    async fn flush(&self) {
        let r = Arc::clone(&self.recorder);
        tokio::task::spawn_blocking(move || r.flush())
            .await
            .expect("flush");
    }

    /// Sends `/inbox` as the admin; returns the message about `question` (waits for it).
    async fn inbox_item(&self, question: &str) -> Call {
        let before = self.api.sent_to(ADMIN).len();
        self.api.say(ADMIN, "/inbox");
        let q = question.to_string();
        self.api
            .wait_until("the inbox item", move |calls| {
                calls
                    .iter()
                    .filter(|c| c.method == "sendMessage" && c.chat_id() == Some(ADMIN))
                    .skip(before)
                    .find(|c| c.text().contains(&q))
                    .cloned()
            })
            .await
    }

    /// The n-th `editMessageText` of the admin's chat (1-based), waited for.
    async fn edit(&self, n: usize) -> Call {
        self.api
            .wait_until("an edited message", move |calls| {
                calls
                    .iter()
                    .filter(|c| c.method == "editMessageText" && c.chat_id() == Some(ADMIN))
                    .nth(n - 1)
                    .cloned()
            })
            .await
    }

    fn file(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.knowledge.join(name)).expect("read knowledge file")
    }

    /// The inbox item of `question`, whatever its status.
    fn item(&self, question: &str) -> inbox::Item {
        let store = Store::open_existing(&self.store).expect("store");
        let wanted = hitbot_store::normalize(question);
        (1..=100)
            .filter_map(|id| inbox::get(&store, id).expect("read the inbox"))
            .find(|i| i.normalized == wanted)
            .expect("the item is in the inbox")
    }
}

/// The button of `call` whose data starts with `prefix`.
fn button(call: &Call, prefix: &str) -> String {
    call.all_buttons()
        .into_iter()
        .find(|d| d.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix}… button in {:?}", call.buttons()))
}

/// `after` is `before` with exactly one line inserted; returns that line.
fn one_added_line(before: &str, after: &str) -> String {
    let (b, a): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(a.len(), b.len() + 1, "one line more");
    let at = b.iter().zip(&a).take_while(|(x, y)| x == y).count();
    assert_eq!(&a[at + 1..], &b[at..], "only one line added");
    a[at].to_string()
}

/// The id of the message an `editMessageText` changed.
fn edited(call: &Call) -> i64 {
    call.params["message_id"].as_i64().expect("message_id")
}

fn comments(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .collect()
}

fn is_decline(text: &str) -> bool {
    text.contains("Sorry, I don't know") || text.contains("doesn't cover")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_question_is_taught_in_two_taps_and_undone_byte_for_byte() {
    let s = start("inbox-teach").await;
    let original = s.file(FILE);

    // A user asks; the bot declines and records the miss.
    s.api.say(USER, QUESTION);
    let declined = s.api.reply_in(USER).await;
    assert!(is_decline(declined.text()), "{}", declined.text());
    s.flush().await;

    // Tap 1: the admin opens the inbox; the miss has a "➕ What HITs earn" button.
    let item = s.inbox_item(QUESTION).await;
    let add = format!("i:a:{}:{ENTRY}", s.item(QUESTION).id);
    assert!(item.all_buttons().contains(&add), "{:?}", item.buttons());
    assert!(item.all_buttons().iter().any(|d| d.starts_with("i:n:")));
    assert!(item.all_buttons().iter().any(|d| d.starts_with("i:d:")));
    let labels = item.params["reply_markup"]["inline_keyboard"].to_string();
    assert!(labels.contains(&format!("➕ {TITLE}")), "{labels}");

    // Tap 2: "➕ What HITs earn". The message says what was done and how it is answered now.
    s.api.press(ADMIN, item.message_id(), &add);
    let added = s.edit(1).await;
    assert!(
        added.text().contains(&format!(
            "Added to ‘{TITLE}’ — now answered with confidence"
        )),
        "{}",
        added.text()
    );
    let undo = button(&added, "i:u:");

    // The knowledge file: one added line, every comment intact.
    let (before, after) = (
        String::from_utf8(original.clone()).unwrap(),
        String::from_utf8(s.file(FILE)).unwrap(),
    );
    let line = one_added_line(&before, &after);
    assert!(line.contains(QUESTION), "{line}");
    assert_eq!(comments(&before), comments(&after));
    assert!(!comments(&before).is_empty());
    assert_eq!(s.item(QUESTION).status, Status::Added(ENTRY.to_string()));

    // The same user question is now answered from that entry.
    s.api.say(USER, QUESTION);
    let answered = s.api.wait_for_replies(USER, 2).await.remove(1);
    assert!(
        answered.text().starts_with(&format!("<b>{TITLE}</b>")),
        "{}",
        answered.text()
    );

    // "↩ undo": the file back byte for byte, the item new again with its buttons.
    s.api.press(ADMIN, edited(&added), &undo);
    let undone = s.edit(2).await;
    assert!(undone.text().contains("Undone"), "{}", undone.text());
    assert!(
        undone.all_buttons().contains(&add),
        "{:?}",
        undone.buttons()
    );
    assert_eq!(s.file(FILE), original);
    assert_eq!(s.item(QUESTION).status, Status::New);
    // Pressed again: refused, nothing changes.
    s.api.press(ADMIN, edited(&added), &undo);
    let again = s
        .api
        .wait_until("a refusal", |calls| {
            calls
                .iter()
                .find(|c| c.method == "sendMessage" && c.text().contains("undone already"))
                .cloned()
        })
        .await;
    assert!(
        again.text().starts_with("<b>Nothing changed</b>"),
        "{}",
        again.text()
    );
    assert_eq!(s.file(FILE), original);
}

/// Records a miss straight into the store (as the bot would have).
fn record(store: &Path, question: &str, kind: EventKind) {
    let mut s = Store::open(store).expect("store");
    s.insert(&[Event {
        at: SystemTime::now(),
        kind,
        chat_type: "private".into(),
        question: question.into(),
        entry: Some(ENTRY.into()),
        confidence: 0.3,
        chat_id: None,
    }])
    .expect("insert");
}

/// Waits for a "Nothing changed" message containing `why`.
async fn refusal(api: &MockApi, why: &str) -> Call {
    let why = why.to_string();
    api.wait_until("a refusal", move |calls| {
        calls
            .iter()
            .find(|c| {
                c.method == "sendMessage"
                    && c.chat_id() == Some(ADMIN)
                    && c.text().starts_with("<b>Nothing changed</b>")
                    && c.text().contains(&why)
            })
            .cloned()
    })
    .await
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_edits_say_why_and_change_nothing() {
    let s = start("inbox-refused").await;
    // A 👎 on an answer to a question that is already one of the entry's own.
    record(&s.store, "HIT salary?", EventKind::Feedback { up: false });
    let id = s.item("HIT salary?").id;
    let message = s.inbox_item("HIT salary?").await.message_id();
    let untouched = snapshot(&s.knowledge);

    // A duplicate (as normalised) of the entry's questions.
    s.api.press(ADMIN, message, &format!("i:a:{id}:{ENTRY}"));
    let dup = refusal(&s.api, "is already a question of entry `salary`").await;
    assert!(dup.text().contains(FILE), "{}", dup.text());

    // An entry that was removed (or renamed) since the list was shown.
    s.api
        .press(ADMIN, message, &format!("i:a:{id}:no-such-entry"));
    refusal(&s.api, "there is no entry `no-such-entry`").await;

    // A folder that would fail `hitbot check`: someone saved a broken file meanwhile.
    record(&s.store, "can a HIT work nights", EventKind::Declined);
    let other = s.item("can a HIT work nights").id;
    std::fs::write(
        s.knowledge.join("zz-draft.toml"),
        "[[entry]]\nid = \"Bad Id\"\n",
    )
    .unwrap();
    let untouched_with_draft = snapshot(&s.knowledge);
    s.api.press(ADMIN, message, &format!("i:a:{other}:{ENTRY}"));
    let broken = refusal(&s.api, "would not pass `hitbot check`").await;
    assert!(broken.text().contains("zz-draft.toml"), "{}", broken.text());
    assert_eq!(snapshot(&s.knowledge), untouched_with_draft);
    std::fs::remove_file(s.knowledge.join("zz-draft.toml")).unwrap();

    assert_eq!(snapshot(&s.knowledge), untouched);
    assert_eq!(s.item("HIT salary?").status, Status::New);
    assert_eq!(s.item("can a HIT work nights").status, Status::New);
    assert!(s.api.calls_of("editMessageText").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn others_get_nothing_from_the_inbox_and_admins_page_through_it() {
    let s = start("inbox-forged").await;
    record(&s.store, "can a HIT work nights", EventKind::Declined);
    let id = s.item("can a HIT work nights").id;
    let untouched = snapshot(&s.knowledge);

    s.api.say(SOMEONE, "/inbox");
    let reply = s.api.reply_in(SOMEONE).await;
    assert_eq!(
        reply.text(),
        "I don't know the command /inbox. Send /help for what I can do, or just ask a question."
    );
    // Forged buttons: each gets what any unknown button gets.
    let forged = [
        format!("i:a:{id}:{ENTRY}"),
        format!("i:n:{id}"),
        format!("i:d:{id}"),
        "i:u:1".to_string(),
        "i:m:0".to_string(),
    ];
    for (n, data) in forged.iter().enumerate() {
        s.api.press(SOMEONE, 1, data);
        let reply = s.api.wait_for_replies(SOMEONE, n + 2).await.remove(n + 1);
        assert!(
            reply
                .text()
                .starts_with("Sorry, that topic is not available any more"),
            "{data}: {}",
            reply.text()
        );
    }
    assert_eq!(snapshot(&s.knowledge), untouched);
    assert_eq!(s.item("can a HIT work nights").status, Status::New);
    assert!(s.api.calls_of("editMessageText").is_empty());

    // The admin pages through seven items: five, then "more ▸" for the last two.
    for n in 1..=6 {
        record(
            &s.store,
            &format!("zebra question number {n}"),
            EventKind::Declined,
        );
    }
    s.api.say(ADMIN, "/inbox");
    let first = s.api.wait_for_replies(ADMIN, 7).await;
    assert!(
        first[0].text().contains("Inbox: 7 new questions"),
        "{}",
        first[0].text()
    );
    assert!(
        first[6].text().contains("More questions are waiting"),
        "{}",
        first[6].text()
    );
    assert_eq!(first[6].all_buttons(), vec!["i:m:5".to_string()]);
    s.api.press(ADMIN, first[6].message_id(), "i:m:5");
    let next = s.api.wait_for_replies(ADMIN, 9).await;
    let shown: Vec<&str> = first[1..6]
        .iter()
        .chain(&next[7..9])
        .map(|c| c.text())
        .collect();
    for n in 1..=6 {
        let q = format!("zebra question number {n}");
        assert_eq!(
            shown.iter().filter(|t| t.contains(&q)).count(),
            1,
            "{q}: {shown:?}"
        );
    }
    assert!(next[8].all_buttons().iter().any(|d| d.starts_with("i:d:")));
    // Nothing after the last page: the next message in the chat is the reply to the next command.
    s.api.say(ADMIN, "/unanswered");
    let after = s.api.wait_for_replies(ADMIN, 10).await.remove(9);
    assert!(
        after.text().contains("Most frequent unanswered"),
        "{}",
        after.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_covered_and_dismiss_leave_the_new_list() {
    let s = start("inbox-scope").await;
    record(&s.store, "can a HIT work nights", EventKind::Declined);
    record(
        &s.store,
        "what does the RHIT exam cost in Ohio",
        EventKind::Declined,
    );
    let scope = s.file("scope.toml");

    let item = s.inbox_item("what does the RHIT exam cost in Ohio").await;
    s.api
        .press(ADMIN, item.message_id(), &button(&item, "i:n:"));
    let done = s.edit(1).await;
    assert!(
        done.text().contains("Recorded as not covered"),
        "{}",
        done.text()
    );
    assert!(done.text().contains("scope.toml"), "{}", done.text());
    let (before, after) = (
        String::from_utf8(scope).unwrap(),
        String::from_utf8(s.file("scope.toml")).unwrap(),
    );
    assert!(one_added_line(&before, &after).contains("what does the RHIT exam cost in Ohio"));

    let item = s.inbox_item("can a HIT work nights").await;
    s.api
        .press(ADMIN, item.message_id(), &button(&item, "i:d:"));
    let dismissed = s.edit(2).await;
    assert!(
        dismissed.text().contains("Dismissed"),
        "{}",
        dismissed.text()
    );
    assert_eq!(s.item("can a HIT work nights").status, Status::Dismissed);
    assert_eq!(
        s.item("what does the RHIT exam cost in Ohio").status,
        Status::NotCovered
    );
    // Nothing new is left.
    s.api.say(ADMIN, "/inbox");
    s.api
        .wait_until("an empty inbox", |calls| {
            calls
                .iter()
                .find(|c| c.text().contains("Inbox: nothing new."))
                .cloned()
        })
        .await;
}
