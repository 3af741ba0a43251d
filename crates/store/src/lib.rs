//! Operator data: declined questions, low-confidence answers and 👍/👎, kept in an embedded SQLite file
//! (WAL mode) so that `hitbot report` can show what the bot fails at. Plain answers are only counted
//! (per hour), which is what the answer rate needs.
//!
//! Front ends hold an [`EventSink`] and call [`EventSink::record`], which never waits: the
//! [`Recorder`] hands each [`Event`] to a bounded queue read by one background thread that writes in
//! batches, one transaction each. When the queue is full the event is dropped with a warning, so a
//! slow disk slows nobody's answer and memory stays bounded. By default no chat id is stored (no user
//! ids or names ever are); `[store] keep_chat_id = true` keeps the chat id.
//!
//! The same writes keep the operator's [`inbox`] of misses up to date.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};

pub use config::StoreConfig;

mod config;
pub mod inbox;
pub mod journal;
pub mod report;

/// The schema, one step per version; `PRAGMA user_version` says how many steps a file has had.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE events (
        id         INTEGER PRIMARY KEY,
        at         INTEGER NOT NULL,  -- unix seconds
        kind       TEXT NOT NULL,     -- declined | low_confidence | up | down
        chat_type  TEXT NOT NULL,
        question   TEXT NOT NULL,
        normalized TEXT NOT NULL,     -- see `normalize`: what the report groups by
        entry      TEXT,
        confidence REAL NOT NULL,
        chat_id    INTEGER            -- NULL unless [store] keep_chat_id
    );
    CREATE INDEX events_kind_at ON events (kind, at);
    CREATE TABLE counts (
        hour INTEGER NOT NULL,        -- unix seconds / 3600
        kind TEXT NOT NULL,           -- answered | low_confidence | declined | up | down
        n    INTEGER NOT NULL,
        PRIMARY KEY (hour, kind)
    ) WITHOUT ROWID;
", "
    -- The inbox (see inbox.rs): misses grouped by their normalised text, kept by `insert`.
    CREATE TABLE inbox (
        id         INTEGER PRIMARY KEY,
        normalized TEXT NOT NULL UNIQUE,
        example    TEXT NOT NULL,       -- the most recent wording
        count      INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,    -- unix seconds
        last_seen  INTEGER NOT NULL,
        entry      TEXT,                -- of the most recent miss
        confidence REAL NOT NULL,       -- of the most recent miss
        status     TEXT NOT NULL DEFAULT 'new',  -- new | added | not_covered | dismissed
        target     TEXT,                -- the entry it was added to
        handled_at INTEGER              -- unix seconds
    );
    CREATE INDEX inbox_status ON inbox (status, count);
    CREATE TABLE inbox_actions (
        id              INTEGER PRIMARY KEY,
        at              INTEGER NOT NULL,
        item            INTEGER NOT NULL REFERENCES inbox (id),
        status          TEXT NOT NULL,  -- what the item became
        target          TEXT,
        file            TEXT,           -- the knowledge file edited; NULL: none
        before          BLOB,           -- its bytes before and after the edit, for undo
        after           BLOB,
        prev_target     TEXT,           -- the item's state before (its status was new)
        prev_handled_at INTEGER,
        undone          INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO inbox (normalized, example, count, first_seen, last_seen, entry, confidence)
    SELECT g.normalized,
           (SELECT question FROM events e WHERE e.normalized = g.normalized
              AND e.kind IN ('declined', 'low_confidence', 'down') ORDER BY at DESC, id DESC LIMIT 1),
           g.n, g.first, g.last,
           (SELECT entry FROM events e WHERE e.normalized = g.normalized
              AND e.kind IN ('declined', 'low_confidence', 'down') ORDER BY at DESC, id DESC LIMIT 1),
           (SELECT confidence FROM events e WHERE e.normalized = g.normalized
              AND e.kind IN ('declined', 'low_confidence', 'down') ORDER BY at DESC, id DESC LIMIT 1)
    FROM (SELECT normalized, COUNT(*) AS n, MIN(at) AS first, MAX(at) AS last FROM events
          WHERE kind IN ('declined', 'low_confidence', 'down') AND normalized <> ''
          GROUP BY normalized) AS g;
"];

/// Longest question text kept, in characters (Telegram allows 4096; the report needs far less).
pub const MAX_QUESTION_CHARS: usize = 500;
/// Most events written in one transaction.
const BATCH: usize = 256;
/// A full queue logs a warning on the first drop and then once per this many.
const WARN_EVERY: u64 = 1000;
/// How long a write waits for another connection's lock (e.g. a report being read).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: cannot create its folder: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: no store there yet (the bot creates it when it starts)")]
    Missing { path: PathBuf },
    #[error("{path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("journal {path}: {why}")]
    Journal { path: PathBuf, why: String },
    #[error("{path}: written by a newer hitbot (schema version {found}, this one knows {known})")]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },
}

/// Creates `dir` (and its parents) readable by the owner only: the store holds question text.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the store file, when it does not exist yet, readable by the owner only; SQLite gives its
/// `-wal` and `-shm` files the same permissions.
fn private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// What happened, as the report counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Answered confidently: only counted, the question is not stored.
    Answered,
    /// Answered, but with a confidence below `[store] low_confidence`.
    LowConfidence,
    /// The advisor said it does not know.
    Declined,
    /// A 👍 (`up: true`) or 👎 on an answer.
    Feedback { up: bool },
}

impl EventKind {
    /// The name in the database.
    pub fn code(self) -> &'static str {
        match self {
            EventKind::Answered => "answered",
            EventKind::LowConfidence => "low_confidence",
            EventKind::Declined => "declined",
            EventKind::Feedback { up: true } => "up",
            EventKind::Feedback { up: false } => "down",
        }
    }
}

/// One thing worth recording. No user id or name has a field here on purpose.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at: SystemTime,
    pub kind: EventKind,
    /// "private", "group", "supergroup", "channel", "inline", "terminal"…
    pub chat_type: String,
    /// The question as asked (empty when unknown, e.g. a vote on an old message).
    pub question: String,
    /// The entry answered (or nearest, when declined) or voted on.
    pub entry: Option<String>,
    pub confidence: f32,
    /// Stored only with `[store] keep_chat_id = true`; the recorder clears it otherwise.
    pub chat_id: Option<i64>,
}

impl Event {
    /// The event for an answer given now from `entry` (the nearest one when declined): declined,
    /// low-confidence (below `low_confidence`) or answered. Front ends build it from their reply.
    pub fn answer(
        question: &str,
        chat_type: &str,
        entry: Option<&str>,
        (confident, confidence): (bool, f32),
        low_confidence: f32,
    ) -> Event {
        let kind = if !confident {
            EventKind::Declined
        } else if confidence < low_confidence {
            EventKind::LowConfidence
        } else {
            EventKind::Answered
        };
        Event {
            at: SystemTime::now(),
            kind,
            chat_type: chat_type.to_string(),
            question: question.to_string(),
            entry: entry.map(str::to_string),
            confidence,
            chat_id: None,
        }
    }

    /// A 👍 or 👎 given now on the answer from `entry`; set `question` and `confidence` when known.
    pub fn feedback(up: bool, entry: &str, chat_type: &str) -> Event {
        Event {
            at: SystemTime::now(),
            kind: EventKind::Feedback { up },
            chat_type: chat_type.to_string(),
            question: String::new(),
            entry: Some(entry.to_string()),
            confidence: 0.0,
            chat_id: None,
        }
    }
}

/// Where front ends send events. `record` must never block.
pub trait EventSink: Send + Sync {
    fn record(&self, event: Event);
}

/// The question as the report and the inbox group it (the knowledge's one `normalize`).
pub use hitbot_knowledge::normalize;

/// Unix seconds (0 before 1970).
pub fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs().min(i64::MAX as u64) as i64)
}

/// The SQLite file: schema, writes, and the connection the report reads through.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens the file, creating it and its folder when missing; WAL mode; brings the schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let create_err = |source| StoreError::CreateDir {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_dir(dir).map_err(create_err)?;
        }
        private_file(path).map_err(create_err)?;
        let conn = Connection::open(path).map_err(|e| sql(path, e))?;
        Store::setup(conn, path)
    }

    /// Opens a file that must exist already (for reading reports: a wrong path is not a new store).
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| sql(path, e))?;
        Store::setup(conn, path)
    }

    fn setup(mut conn: Connection, path: &Path) -> Result<Store, StoreError> {
        let err = |e| sql(path, e);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // WAL: readers (reports) never block the writer; NORMAL sync is safe with WAL.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            log::warn!("{}: journal mode is {mode}, not WAL", path.display());
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        let known = MIGRATIONS.len() as i64;
        let tx = conn.transaction().map_err(err)?;
        let found: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        if found > known {
            return Err(StoreError::Newer {
                path: path.to_path_buf(),
                found,
                known,
            });
        }
        for step in &MIGRATIONS[found as usize..] {
            tx.execute_batch(step).map_err(err)?;
        }
        tx.pragma_update(None, "user_version", known).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the file (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sql(&self.path, e))
    }

    /// Writes events in one transaction: each one counted per hour; all but plain answers stored.
    /// Chat ids are written as given (the [`Recorder`] clears them unless configured to keep them).
    pub fn insert(&mut self, events: &[Event]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |e| sql(&path, e);
        // IMMEDIATE: take the write lock up front, so a busy file is waited for (busy_timeout).
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        {
            let mut count = tx
                .prepare_cached(
                    "INSERT INTO counts (hour, kind, n) VALUES (?1, ?2, 1)
                     ON CONFLICT (hour, kind) DO UPDATE SET n = n + 1",
                )
                .map_err(err)?;
            let mut store = tx
                .prepare_cached(
                    "INSERT INTO events
                     (at, kind, chat_type, question, normalized, entry, confidence, chat_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(err)?;
            for e in events {
                let at = unix_seconds(e.at);
                count
                    .execute(params![at.div_euclid(3600), e.kind.code()])
                    .map_err(err)?;
                if e.kind == EventKind::Answered {
                    continue;
                }
                let question: String = e.question.chars().take(MAX_QUESTION_CHARS).collect();
                let normalized = normalize(&question);
                let confidence = if e.confidence.is_finite() {
                    e.confidence as f64
                } else {
                    0.0
                };
                store
                    .execute(params![
                        at,
                        e.kind.code(),
                        e.chat_type,
                        question,
                        normalized,
                        e.entry,
                        confidence,
                        e.chat_id
                    ])
                    .map_err(err)?;
                if inbox::MISS_KINDS.contains(&e.kind.code()) {
                    inbox::record_miss(
                        &tx,
                        (&normalized, &question),
                        at,
                        e.entry.as_deref(),
                        confidence,
                    )
                    .map_err(err)?;
                }
            }
        }
        tx.commit().map_err(err)
    }

    /// The connection, for the report's queries.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

pub(crate) fn sql(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Sql {
        path: path.to_path_buf(),
        source,
    }
}

enum Msg {
    Event(Event),
    /// Answered once everything queued before it is written.
    Flush(SyncSender<()>),
}

/// The [`EventSink`] in production: a bounded queue in front of a writer thread.
///
/// Dropping it writes what is queued and stops the thread.
pub struct Recorder {
    tx: Option<SyncSender<Msg>>,
    worker: Option<JoinHandle<()>>,
    keep_chat_id: bool,
    queue: usize,
    /// Events dropped because the queue was full (or the writer had stopped).
    dropped: AtomicU64,
}

impl Recorder {
    /// Opens `[store] path` and starts the writer.
    pub fn open(config: &StoreConfig) -> Result<Recorder, StoreError> {
        Ok(Recorder::start(Store::open(&config.path)?, config))
    }

    /// Starts the writer thread on `store`.
    pub fn start(mut store: Store, config: &StoreConfig) -> Recorder {
        let path = store.path.clone();
        Recorder::spawn(config, move |batch| {
            if let Err(e) = store.insert(batch) {
                log::error!("store: {} record(s) lost: {e}", batch.len());
            }
        })
        .unwrap_or_else(|e| {
            log::error!("store {}: cannot start the writer: {e}", path.display());
            Recorder::stopped(config)
        })
    }

    /// A recorder whose `write` runs on its own thread, one batch at a time.
    fn spawn(
        config: &StoreConfig,
        mut write: impl FnMut(&[Event]) + Send + 'static,
    ) -> std::io::Result<Recorder> {
        let (tx, rx) = mpsc::sync_channel(config.queue.max(1));
        let worker = std::thread::Builder::new()
            .name("hitbot-store".into())
            .spawn(move || drain(rx, &mut write))?;
        Ok(Recorder {
            tx: Some(tx),
            worker: Some(worker),
            keep_chat_id: config.keep_chat_id,
            queue: config.queue.max(1),
            dropped: AtomicU64::new(0),
        })
    }

    /// A recorder that drops everything (the writer could not start).
    fn stopped(config: &StoreConfig) -> Recorder {
        Recorder {
            tx: None,
            worker: None,
            keep_chat_id: config.keep_chat_id,
            queue: config.queue.max(1),
            dropped: AtomicU64::new(0),
        }
    }

    /// How many events were dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Waits until every event recorded before this call is written. Blocks: for shutdown and tests,
    /// not for async code.
    pub fn flush(&self) {
        let Some(tx) = &self.tx else { return };
        let (ack, done) = mpsc::sync_channel(1);
        if tx.send(Msg::Flush(ack)).is_ok() {
            let _ = done.recv();
        }
    }
}

impl EventSink for Recorder {
    fn record(&self, mut event: Event) {
        if !self.keep_chat_id {
            event.chat_id = None;
        }
        let sent = match &self.tx {
            Some(tx) => match tx.try_send(Msg::Event(event)) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            None => false,
        };
        if !sent {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n == 1 || n.is_multiple_of(WARN_EVERY) {
                log::warn!(
                    "store: the write queue ({} records) is full; {n} record(s) dropped so far",
                    self.queue
                );
            }
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.tx = None; // the writer sees the channel close after the last queued event
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The writer thread: waits for an event, takes whatever else is queued (up to a batch), writes it.
fn drain(rx: Receiver<Msg>, write: &mut impl FnMut(&[Event])) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut acks = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Msg::Event(e) => batch.push(e),
                Msg::Flush(ack) => acks.push(ack),
            }
            next = if batch.len() < BATCH {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if !batch.is_empty() {
            write(&batch);
            batch.clear();
        }
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

/// An [`EventSink`] that keeps events in memory, as given (for tests of front ends).
#[derive(Debug, Default)]
pub struct MemorySink {
    events: Mutex<Vec<Event>>,
}

impl MemorySink {
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    /// The events recorded so far, oldest first.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl EventSink for MemorySink {
    fn record(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event);
    }
}

impl<T: EventSink + ?Sized> EventSink for Arc<T> {
    fn record(&self, event: Event) {
        (**self).record(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let dir = tempfile::Builder::new()
            .prefix(&format!("hitbot-store-{name}-"))
            .tempdir()
            .unwrap()
            .keep();
        dir.join("sub").join("ops.sqlite")
    }

    fn config(queue: usize) -> StoreConfig {
        StoreConfig {
            queue,
            ..StoreConfig::default()
        }
    }

    fn declined(q: &str) -> Event {
        Event {
            at: SystemTime::now(),
            kind: EventKind::Declined,
            chat_type: "private".into(),
            question: q.into(),
            entry: None,
            confidence: 0.1,
            chat_id: Some(42),
        }
    }

    #[test]
    fn normalize_folds_case_punctuation_and_spaces() {
        assert_eq!(
            normalize("  What's the WEATHER, in   Paris?! "),
            "whats the weather in paris"
        );
        assert_eq!(
            normalize("what’s the weather in paris"),
            "whats the weather in paris"
        );
        assert_eq!(normalize("salary,skills"), "salary skills");
        assert_eq!(normalize("???"), "");
        assert_eq!(normalize("Ärzte 🙂 Gehalt"), "ärzte gehalt");
    }

    #[test]
    fn replies_are_classified_by_confidence() {
        let kind = |r| Event::answer("q", "private", Some("salary"), r, 0.65).kind;
        assert_eq!(kind((false, 0.3)), EventKind::Declined);
        assert_eq!(kind((true, 0.55)), EventKind::LowConfidence);
        assert_eq!(kind((true, 0.9)), EventKind::Answered);
        assert_eq!(
            Event::answer("q", "group", Some("salary"), (true, 0.9), 0.65)
                .entry
                .as_deref(),
            Some("salary")
        );
    }

    #[test]
    fn open_creates_the_folder_uses_wal_and_sets_the_schema_version() {
        let path = temp_path("open");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(store);
        // Opening again migrates nothing and keeps the data.
        let mut store = Store::open(&path).unwrap();
        store.insert(&[declined("x")]).unwrap();
        drop(store);
        let store = Store::open_existing(&path).unwrap();
        let n: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn a_file_from_a_newer_version_is_refused() {
        let path = temp_path("newer");
        let store = Store::open(&path).unwrap();
        store
            .conn()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        drop(store);
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::Newer { found: 99, .. })
        ));
    }

    #[test]
    fn open_existing_does_not_create_a_store() {
        let path = temp_path("missing");
        assert!(matches!(
            Store::open_existing(&path),
            Err(StoreError::Missing { .. })
        ));
        assert!(!path.exists());
    }

    #[test]
    fn plain_answers_are_counted_not_stored_and_long_questions_are_cut() {
        let mut store = Store::open(&temp_path("insert")).unwrap();
        let mut answered = declined("how much do HITs make");
        answered.kind = EventKind::Answered;
        let long = declined(&"word ".repeat(400));
        store.insert(&[answered, long]).unwrap();
        let (n, len): (i64, i64) = store
            .conn()
            .query_row(
                "SELECT COUNT(*), MAX(length(question)) FROM events",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((n, len), (1, MAX_QUESTION_CHARS as i64));
        let counted: i64 = store
            .conn()
            .query_row("SELECT SUM(n) FROM counts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(counted, 2);
    }

    #[test]
    fn a_full_queue_drops_instead_of_blocking() {
        // A writer that says when it starts a batch and then waits for the test's go.
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let written = Arc::new(Mutex::new(0usize));
        let seen = Arc::clone(&written);
        let recorder = Recorder::spawn(&config(2), move |batch| {
            let _ = started_tx.send(());
            let _ = go_rx.recv();
            *seen.lock().unwrap() += batch.len();
        })
        .unwrap();
        recorder.record(declined("first"));
        started_rx.recv().unwrap(); // the writer holds "first"; the queue is empty
        for i in 0..10 {
            recorder.record(declined(&format!("q{i}")));
        }
        assert_eq!(recorder.dropped(), 8, "two fit in the queue");
        for _ in 0..3 {
            go_tx.send(()).unwrap();
        }
        recorder.flush();
        assert_eq!(*written.lock().unwrap(), 3);
    }

    #[test]
    fn the_chat_id_is_cleared_unless_configured() {
        for keep in [false, true] {
            let seen = Arc::new(Mutex::new(Vec::new()));
            let sink = Arc::clone(&seen);
            let config = StoreConfig {
                keep_chat_id: keep,
                ..config(10)
            };
            let recorder = Recorder::spawn(&config, move |batch| {
                sink.lock().unwrap().extend(batch.iter().map(|e| e.chat_id));
            })
            .unwrap();
            recorder.record(declined("x"));
            drop(recorder); // writes what is queued
            let want = if keep { Some(42) } else { None };
            assert_eq!(*seen.lock().unwrap(), vec![want]);
        }
    }
}
