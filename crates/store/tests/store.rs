//! The operator store and its report: events written through the `Recorder` into a temp SQLite
//! file, the report's lists and counts, the queue-full drop path, and privacy (no chat id by default).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use hitbot_store::report::{self, Report};
use hitbot_store::{Event, EventKind, EventSink, Recorder, Store, StoreConfig};

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

fn temp_db(name: &str) -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix(&format!("hitbot-store-{name}-"))
        .tempdir()
        .unwrap()
        .keep();
    dir.join("data").join("hitbot.sqlite")
}

fn store_config(path: &Path) -> StoreConfig {
    StoreConfig {
        path: path.to_path_buf(),
        ..StoreConfig::default()
    }
}

/// A small fluent builder for events.
fn event(kind: EventKind, question: &str) -> Event {
    Event {
        at: SystemTime::now(),
        kind,
        chat_type: "private".into(),
        question: question.into(),
        entry: None,
        confidence: 0.0,
        chat_id: Some(123_456_789),
    }
}

trait EventExt {
    fn ago(self, d: Duration) -> Event;
    fn entry(self, id: &str, confidence: f32) -> Event;
}

impl EventExt for Event {
    fn ago(mut self, d: Duration) -> Event {
        self.at = SystemTime::now() - d;
        self
    }
    fn entry(mut self, id: &str, confidence: f32) -> Event {
        self.entry = Some(id.into());
        self.confidence = confidence;
        self
    }
}

fn vote(up: bool, entry: &str) -> Event {
    event(EventKind::Feedback { up }, "").entry(entry, 0.9)
}

/// A week of traffic: today, yesterday and one event 10 days ago (outside `--since 7d`).
fn week_of_events() -> Vec<Event> {
    let mut events = vec![
        event(EventKind::Declined, "What's the weather in Paris?"),
        event(EventKind::Declined, "whats the weather in   paris").ago(DAY),
        event(EventKind::Declined, "WHAT'S THE WEATHER IN PARIS!!"),
        event(EventKind::Declined, "tell me a joke"),
        event(EventKind::Declined, "pilot salary").ago(10 * DAY),
        event(EventKind::LowConfidence, "rhit exam cost?").entry("certification", 0.55),
        vote(false, "salary"),
        vote(false, "salary").ago(DAY),
        vote(true, "salary"),
        vote(false, "skills"),
        vote(true, "about"),
    ];
    for _ in 0..6 {
        events.push(event(EventKind::Answered, "how much do HITs make").entry("salary", 1.0));
    }
    events.push(event(EventKind::Answered, "rhit?").ago(DAY + HOUR));
    events
}

fn record_all(config: &StoreConfig, events: Vec<Event>) {
    let recorder = Recorder::open(config).unwrap();
    for e in events {
        recorder.record(e);
    }
    assert_eq!(recorder.dropped(), 0);
    // Dropping the recorder writes what is queued.
}

fn week_report(path: &Path) -> Report {
    let store = Store::open_existing(path).unwrap();
    report::build(&store, SystemTime::now() - 7 * DAY, 10).unwrap()
}

#[test]
fn report_groups_unanswered_questions_after_normalising() {
    let path = temp_db("groups");
    record_all(&store_config(&path), week_of_events());
    let r = week_report(&path);
    let top: Vec<(&str, u64)> = r
        .unanswered
        .iter()
        .map(|q| (q.normalized.as_str(), q.count))
        .collect();
    assert_eq!(
        top,
        [("whats the weather in paris", 3), ("tell me a joke", 1)]
    );
    // The example is the most recent wording, as asked.
    assert!(r.unanswered[0].example.ends_with("!!") || r.unanswered[0].example.ends_with('?'));
    assert_eq!(r.uncertain.len(), 1);
    assert_eq!(r.uncertain[0].entry.as_deref(), Some("certification"));
    assert!((r.uncertain[0].confidence - 0.55).abs() < 1e-6);
}

#[test]
fn report_counts_votes_days_and_the_answer_rate() {
    let path = temp_db("counts");
    record_all(&store_config(&path), week_of_events());
    let r = week_report(&path);
    let votes: Vec<(&str, u64, u64)> = r
        .feedback
        .iter()
        .map(|v| (v.entry.as_str(), v.down, v.up))
        .collect();
    assert_eq!(votes, [("salary", 2, 1), ("skills", 1, 0), ("about", 0, 1)]);
    // 6 + 1 answered plus 1 low-confidence; 4 declined within the week (the 5th is 10 days old).
    assert_eq!((r.answered, r.low_confidence, r.declined), (8, 1, 4));
    assert_eq!((r.up, r.down), (2, 3));
    let rate = r.answer_rate.unwrap();
    assert!((rate - 8.0 / 12.0).abs() < 1e-9, "{rate}");
    let per_day: u64 = r.days.iter().map(|d| d.answered + d.declined).sum();
    assert_eq!(per_day, 12);
    assert!((1..=3).contains(&r.days.len()), "{:?}", r.days);
    assert!(r.days.windows(2).all(|w| w[0].day < w[1].day));

    let text = report::render_text(&r);
    assert!(
        text.contains("Answer rate: 66.7% (8 answered, 4 declined"),
        "{text}"
    );
    assert!(text.contains("    3  "), "{text}");
    assert!(!text.contains("pilot"), "{text}");
    assert!(report::render_unanswered(&r).contains("tell me a joke"));
}

#[test]
fn an_empty_store_gives_an_empty_report() {
    let path = temp_db("empty");
    drop(Store::open(&path).unwrap());
    let r = week_report(&path);
    assert_eq!(r.answer_rate, None);
    assert!(r.unanswered.is_empty() && r.days.is_empty() && r.feedback.is_empty());
    assert!(report::render_text(&r).contains("no questions in this period"));
}

#[test]
fn chat_ids_are_not_stored_by_default() {
    let path = temp_db("privacy");
    record_all(&store_config(&path), week_of_events());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let with_id: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE chat_id IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(with_id, 0);
    // Nothing else about the user has a column.
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info('events')")
        .unwrap();
    let columns: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        columns,
        [
            "id",
            "at",
            "kind",
            "chat_type",
            "question",
            "normalized",
            "entry",
            "confidence",
            "chat_id"
        ]
    );
}

#[test]
fn chat_ids_are_stored_when_configured() {
    let path = temp_db("keep-chat-id");
    let config = StoreConfig {
        keep_chat_id: true,
        ..store_config(&path)
    };
    record_all(&config, vec![event(EventKind::Declined, "tell me a joke")]);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let id: Option<i64> = conn
        .query_row("SELECT chat_id FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(id, Some(123_456_789));
}

#[test]
fn a_full_queue_drops_records_instead_of_blocking() {
    let path = temp_db("full");
    let config = StoreConfig {
        queue: 4,
        ..store_config(&path)
    };
    let recorder = Recorder::open(&config).unwrap();
    // Another connection holds the write lock, so the writer stalls on its first batch.
    let lock = rusqlite::Connection::open(&path).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let sent = 1000;
    let started = std::time::Instant::now();
    for i in 0..sent {
        recorder.record(event(EventKind::Declined, &format!("question {i}")));
    }
    assert!(started.elapsed() < Duration::from_secs(2), "record blocked");
    let dropped = recorder.dropped();
    // At most one batch (256) taken by the writer plus the queue (4) got through.
    assert!(dropped >= sent - 256 - 4, "dropped {dropped}");
    lock.execute_batch("COMMIT").unwrap();
    recorder.flush();
    let stored: i64 = lock
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored as u64 + dropped, sent);
}

/// Issue 14: the store's folder was 0755 and its files 0644, so question text was world-readable.
#[cfg(unix)]
#[test]
fn the_store_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/hitbot.sqlite");
    let mut store = Store::open(&path).unwrap();
    store
        .insert(&[event(EventKind::Declined, "a question")])
        .unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    for name in ["hitbot.sqlite", "hitbot.sqlite-wal", "hitbot.sqlite-shm"] {
        let file = dir.path().join("data").join(name);
        if file.exists() {
            assert_eq!(mode(&file), 0o600, "{name}");
        }
    }
    assert!(
        dir.path().join("data/hitbot.sqlite-wal").exists(),
        "WAL mode makes a -wal file"
    );
    // An existing store opens as it is.
    drop(store);
    Store::open(&path).unwrap();
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    })]

    /// What the report groups questions by: stable under a second pass, single spaces, no symbols.
    #[test]
    fn normalize_is_idempotent_and_tidy(q in proptest::prelude::any::<String>()) {
        let n = hitbot_store::normalize(&q);
        proptest::prop_assert_eq!(hitbot_store::normalize(&n), n.clone());
        proptest::prop_assert!(!n.starts_with(' ') && !n.ends_with(' ') && !n.contains("  "));
        proptest::prop_assert!(n.chars().all(|c| c == ' ' || c.is_alphanumeric()));
    }
}
