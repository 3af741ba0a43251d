//! The journal of work in flight: what the bot has taken from Telegram and still owes somebody,
//! kept in its own SQLite file (WAL) so that a kill, a crash or a deploy loses nothing.
//!
//! The protocol (the Telegram front end follows it; [`tests`] and the model test check it):
//!
//! 1. **accept**: an update is written here before Telegram is told it arrived (before the polling
//!    offset moves past it, before a webhook request is answered). An update id seen before is a
//!    duplicate ([`Journal::accept`] says so) and is not handled again.
//! 2. **queue**: each reply is written here (with the update it answers) before it is sent.
//! 3. **handled**: once the update's handler has finished, the update is marked handled.
//! 4. **done**: once Telegram has accepted a reply, its row is removed ([`Journal::progress`]
//!    records the parts of a long reply already sent, so a restart sends only the rest).
//!
//! On start, [`Journal::recover`] gives the replies still queued (to send first, in order) and the
//! updates accepted but neither handled nor answered (to handle again, before new updates). A reply
//! Telegram accepted whose acceptance never reached us (the connection dropped, the process died in
//! between) may be sent twice: the Bot API has no idempotency key. Nothing else is.
//!
//! The journal stays small: replies leave it when delivered or given up, and handled updates are
//! kept only as the last [`KEEP_HANDLED`] ids, for deduplication (ids below them count as seen).
//! SQLite's transactions keep the file whole through a crash or a full disk; a file from another
//! version of hitbot, or one SQLite cannot read, is set aside and a new one started, with a log line.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{private_dir, private_file, StoreError};

/// The journal's schema version (`PRAGMA user_version`).
pub const VERSION: i64 = 1;
/// Handled update ids kept for deduplication.
pub const KEEP_HANDLED: i64 = 10_000;
/// Compact after this many updates were marked handled.
const COMPACT_EVERY: u64 = 1_000;

const SCHEMA: &str = "
    CREATE TABLE inbound (
        update_id INTEGER PRIMARY KEY,
        chat      INTEGER,            -- NULL: an update without a chat (inline query)
        body      TEXT NOT NULL,      -- the update as JSON
        received  INTEGER NOT NULL,   -- unix milliseconds
        handled   INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX inbound_pending ON inbound (handled, update_id);
    CREATE TABLE outbound (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        update_id  INTEGER,           -- the update it answers; NULL: none
        chat       INTEGER NOT NULL,
        body       TEXT NOT NULL,     -- the reply as JSON
        created    INTEGER NOT NULL,  -- unix milliseconds
        sent_parts INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX outbound_update ON outbound (update_id);
    CREATE TABLE counters (
        name  TEXT PRIMARY KEY,       -- floor: update ids at or below it count as seen
        value INTEGER NOT NULL        -- given_up: replies dropped for age; dropped: refused for good
    ) WITHOUT ROWID;
";

/// An update taken from Telegram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub update_id: i64,
    pub chat: Option<i64>,
    pub body: String,
}

/// A reply waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// The row, for [`Journal::done`].
    pub id: i64,
    pub update_id: Option<i64>,
    pub chat: i64,
    pub body: String,
    /// When the reply was made (its age decides when it is given up).
    pub created: SystemTime,
    /// Parts of it already delivered.
    pub sent_parts: u32,
}

/// What a restart owes: replies to send first, then updates to handle again; both oldest first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    pub outbound: Vec<Outbound>,
    pub inbound: Vec<Inbound>,
}

/// Counts for `/stats` and the benchmark.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JournalStats {
    /// Updates accepted and not yet handled.
    pub pending_updates: u64,
    /// Replies not yet delivered.
    pub pending_replies: u64,
    /// Replies dropped because they were older than `[telegram] give_up_after`.
    pub given_up: u64,
    /// Replies Telegram refused for good (blocked bot, chat gone, bad request).
    pub dropped: u64,
}

/// The journal file. All methods take `&self` (one connection behind a lock; each call is one short
/// transaction).
pub struct Journal {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// Updates marked handled since the last compaction.
    since_compaction: Mutex<u64>,
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().min(i64::MAX as u128) as i64)
}

fn from_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

impl Journal {
    /// Opens (or creates, owner-only, with its folder) the journal at `path`. A file of another
    /// version, or one that is not a readable SQLite database, is renamed to `<path>.discarded-<unix
    /// seconds>` with a warning and a new journal is started.
    pub fn open(path: &Path) -> Result<Journal, StoreError> {
        let create_err = |source| StoreError::CreateDir {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_dir(dir).map_err(create_err)?;
        }
        match Journal::try_open(path) {
            Ok(j) => Ok(j),
            Err(why) => {
                let aside = path.with_extension(format!(
                    "{}discarded-{}",
                    path.extension()
                        .map(|e| format!("{}.", e.to_string_lossy()))
                        .unwrap_or_default(),
                    millis(SystemTime::now()) / 1000
                ));
                log::warn!(
                    "journal {}: {why}; set aside as {} and a new journal started",
                    path.display(),
                    aside.display()
                );
                std::fs::rename(path, &aside).map_err(create_err)?;
                for suffix in ["-wal", "-shm"] {
                    let mut side = path.as_os_str().to_owned();
                    side.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(side));
                }
                Journal::try_open(path).map_err(|why| StoreError::Journal {
                    path: path.to_path_buf(),
                    why,
                })
            }
        }
    }

    /// Opens the file as this version's journal; `Err` says why it cannot be used.
    fn try_open(path: &Path) -> Result<Journal, String> {
        private_file(path).map_err(|e| e.to_string())?;
        let conn = Connection::open(path).map_err(|e| e.to_string())?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| format!("not a journal ({e})"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            log::warn!(
                "journal {}: journal mode is {mode}, not WAL",
                path.display()
            );
        }
        // NORMAL with WAL: a committed transaction survives the process being killed; only a power
        // loss may take the last ones back (never leaving a broken file).
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| e.to_string())?;
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| format!("not a journal ({e})"))?;
        match found {
            VERSION => {}
            0 => {
                let tables: i64 = conn
                    .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                    .map_err(|e| e.to_string())?;
                if tables > 0 {
                    return Err("not a hitbot journal (unknown tables)".into());
                }
                conn.execute_batch(SCHEMA).map_err(|e| e.to_string())?;
                conn.pragma_update(None, "user_version", VERSION)
                    .map_err(|e| e.to_string())?;
            }
            other => {
                return Err(format!(
                    "written by another version of hitbot (journal version {other}, this one \
                     knows {VERSION})"
                ))
            }
        }
        Ok(Journal {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            since_compaction: Mutex::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut conn).map_err(|source| StoreError::Sql {
            path: self.path.clone(),
            source,
        })
    }

    /// Writes the updates of a batch in one transaction; for each, whether it is new (`false`: seen
    /// before, do not handle it again). Only after this returns may Telegram be told they arrived.
    pub fn accept(&self, batch: &[Inbound]) -> Result<Vec<bool>, StoreError> {
        let now = millis(SystemTime::now());
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let floor = counter(&tx, "floor")?;
            let mut fresh = Vec::with_capacity(batch.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO inbound (update_id, chat, body, received) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?;
                for u in batch {
                    let new = u.update_id > floor
                        && insert.execute(params![u.update_id, u.chat, u.body, now])? == 1;
                    fresh.push(new);
                }
            }
            tx.commit()?;
            Ok(fresh)
        })
    }

    /// Marks an update handled: its replies (if any) are queued, and it is never handled again.
    pub fn handled(&self, update_id: i64) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.prepare_cached("UPDATE inbound SET handled = 1 WHERE update_id = ?1")?
                .execute([update_id])
                .map(drop)
        })?;
        let due = {
            let mut n = self
                .since_compaction
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            *n += 1;
            *n >= COMPACT_EVERY
        };
        if due {
            self.compact()?;
        }
        Ok(())
    }

    /// Queues a reply (answering `update_id`, if any) made at `created`; returns its row id.
    pub fn queue(
        &self,
        update_id: Option<i64>,
        chat: i64,
        body: &str,
        created: SystemTime,
    ) -> Result<i64, StoreError> {
        self.with(|conn| {
            conn.prepare_cached(
                "INSERT INTO outbound (update_id, chat, body, created) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![update_id, chat, body, millis(created)])?;
            Ok(conn.last_insert_rowid())
        })
    }

    /// Records that the first `sent_parts` parts of reply `id` were delivered.
    pub fn progress(&self, id: i64, sent_parts: u32) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.prepare_cached("UPDATE outbound SET sent_parts = ?2 WHERE id = ?1")?
                .execute(params![id, sent_parts])
                .map(drop)
        })
    }

    /// Reply `id` was delivered: it leaves the journal.
    pub fn done(&self, id: i64) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.prepare_cached("DELETE FROM outbound WHERE id = ?1")?
                .execute([id])
                .map(drop)
        })
    }

    /// Reply `id` will not be delivered: older than the age limit (`aged`), or refused for good.
    pub fn give_up(&self, id: i64, aged: bool) -> Result<(), StoreError> {
        let name = if aged { "given_up" } else { "dropped" };
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if tx.execute("DELETE FROM outbound WHERE id = ?1", [id])? == 1 {
                bump(&tx, name, 1)?;
            }
            tx.commit()
        })
    }

    /// What a start owes: queued replies, oldest first, and the updates accepted but neither
    /// handled nor answered by any queued reply, oldest first. Compacts first.
    pub fn recover(&self) -> Result<Recovery, StoreError> {
        self.compact()?;
        self.with(|conn| {
            // An update with a reply queued was handled as far as it matters: its answer is out or
            // on its way. Handling it again would answer twice.
            conn.execute(
                "UPDATE inbound SET handled = 1 WHERE handled = 0 AND EXISTS \
                 (SELECT 1 FROM outbound o WHERE o.update_id = inbound.update_id)",
                [],
            )?;
            let outbound = conn
                .prepare(
                    "SELECT id, update_id, chat, body, created, sent_parts FROM outbound \
                     ORDER BY id",
                )?
                .query_map([], |r| {
                    Ok(Outbound {
                        id: r.get(0)?,
                        update_id: r.get(1)?,
                        chat: r.get(2)?,
                        body: r.get(3)?,
                        created: from_millis(r.get(4)?),
                        sent_parts: r.get::<_, i64>(5)?.clamp(0, u32::MAX.into()) as u32,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let inbound = conn
                .prepare("SELECT update_id, chat, body FROM inbound WHERE handled = 0 ORDER BY update_id")?
                .query_map([], |r| {
                    Ok(Inbound {
                        update_id: r.get(0)?,
                        chat: r.get(1)?,
                        body: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Recovery { outbound, inbound })
        })
    }

    /// Removes handled updates but the newest [`KEEP_HANDLED`]; the ids removed count as seen.
    pub fn compact(&self) -> Result<(), StoreError> {
        *self
            .since_compaction
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = 0;
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let cut: Option<i64> = tx
                .query_row(
                    "SELECT update_id FROM inbound WHERE handled = 1 ORDER BY update_id DESC \
                     LIMIT 1 OFFSET ?1",
                    [KEEP_HANDLED],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(cut) = cut {
                tx.execute(
                    "DELETE FROM inbound WHERE handled = 1 AND update_id <= ?1",
                    [cut],
                )?;
                let floor = counter(&tx, "floor")?.max(cut);
                set(&tx, "floor", floor)?;
            }
            tx.commit()
        })
    }

    /// Pending work and what was given up.
    pub fn stats(&self) -> Result<JournalStats, StoreError> {
        self.with(|conn| {
            let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
            Ok(JournalStats {
                pending_updates: count("SELECT count(*) FROM inbound WHERE handled = 0")? as u64,
                pending_replies: count("SELECT count(*) FROM outbound")? as u64,
                given_up: counter(conn, "given_up")? as u64,
                dropped: counter(conn, "dropped")? as u64,
            })
        })
    }

    /// Rows in the journal (both tables), to show that it stays bounded.
    pub fn rows(&self) -> Result<u64, StoreError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT (SELECT count(*) FROM inbound) + (SELECT count(*) FROM outbound)",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
        })
    }
}

fn counter(conn: &Connection, name: &str) -> rusqlite::Result<i64> {
    conn.query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .optional()
    .map(Option::unwrap_or_default)
}

fn set(conn: &Connection, name: &str, value: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )
    .map(drop)
}

fn bump(conn: &Connection, name: &str, by: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
        params![name, by],
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(id: i64, chat: i64) -> Inbound {
        Inbound {
            update_id: id,
            chat: Some(chat),
            body: format!("{{\"update_id\":{id}}}"),
        }
    }

    #[test]
    fn accepted_updates_are_recovered_until_handled_or_answered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/journal.sqlite");
        let j = Journal::open(&path).unwrap();
        assert_eq!(
            j.accept(&[update(1, 7), update(2, 7), update(3, 8)])
                .unwrap(),
            vec![true, true, true]
        );
        // A second delivery of the same update (a webhook retry, a restart) is a duplicate.
        assert_eq!(
            j.accept(&[update(2, 7), update(4, 8)]).unwrap(),
            vec![false, true]
        );
        j.handled(1).unwrap();
        let reply = j.queue(Some(2), 7, "answer 2", SystemTime::now()).unwrap();
        drop(j);

        let j = Journal::open(&path).unwrap();
        let r = j.recover().unwrap();
        assert_eq!(r.outbound.len(), 1);
        assert_eq!(r.outbound[0].body, "answer 2");
        assert_eq!(
            r.inbound.iter().map(|u| u.update_id).collect::<Vec<_>>(),
            [3, 4]
        );
        j.progress(reply, 1).unwrap();
        assert_eq!(j.recover().unwrap().outbound[0].sent_parts, 1);
        j.done(reply).unwrap();
        assert!(j.recover().unwrap().outbound.is_empty());
        let stats = j.stats().unwrap();
        assert_eq!((stats.pending_updates, stats.pending_replies), (2, 0));
    }

    #[test]
    fn given_up_and_dropped_replies_are_counted_once() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        let a = j.queue(None, 1, "a", SystemTime::now()).unwrap();
        let b = j.queue(None, 1, "b", SystemTime::now()).unwrap();
        j.give_up(a, true).unwrap();
        j.give_up(a, true).unwrap();
        j.give_up(b, false).unwrap();
        let stats = j.stats().unwrap();
        assert_eq!((stats.given_up, stats.dropped), (1, 1));
        assert_eq!(stats.pending_replies, 0);
    }

    #[test]
    fn compaction_keeps_it_bounded_and_old_ids_stay_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        let n = KEEP_HANDLED + 2_500;
        let batch: Vec<Inbound> = (1..=n).map(|id| update(id, 1)).collect();
        assert!(j.accept(&batch).unwrap().iter().all(|&new| new));
        for id in 1..=n {
            j.handled(id).unwrap();
        }
        j.compact().unwrap();
        assert_eq!(j.rows().unwrap(), KEEP_HANDLED as u64);
        // Removed ids are still known as seen.
        assert_eq!(
            j.accept(&[update(1, 1), update(n + 1, 1)]).unwrap(),
            [false, true]
        );
    }

    #[test]
    fn a_foreign_or_newer_file_is_set_aside_with_a_fresh_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        std::fs::write(
            &path,
            b"this is not a database, just some text of some length...",
        )
        .unwrap();
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.accept(&[update(1, 1)]).unwrap(), [true]);
        drop(j);
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.accept(&[update(1, 1)]).unwrap(), [true], "a new journal");
        let aside = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("discarded")
            })
            .count();
        assert!(aside >= 1);
    }

    #[test]
    fn a_full_disk_refuses_the_write_and_keeps_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.accept(&[update(1, 1)]).unwrap(), [true]);
        // A disk with no room left: SQLite refuses to grow the file.
        let pages: i64 = j
            .with(|c| c.query_row("PRAGMA page_count", [], |r| r.get(0)))
            .unwrap();
        j.with(|c| c.pragma_update(None, "max_page_count", pages))
            .unwrap();
        let big: Vec<Inbound> = (2..200)
            .map(|id| Inbound {
                body: "x".repeat(4000),
                ..update(id, 1)
            })
            .collect();
        assert!(
            j.accept(&big).is_err(),
            "the batch is refused, not half-written"
        );
        drop(j);
        let j = Journal::open(&path).unwrap();
        let r = j.recover().unwrap();
        assert_eq!(
            r.inbound.iter().map(|u| u.update_id).collect::<Vec<_>>(),
            [1],
            "what was written before is intact, nothing of the refused batch is"
        );
        assert_eq!(
            j.accept(&big).unwrap().len(),
            big.len(),
            "room again: taken"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_journal_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/journal.sqlite");
        let _j = Journal::open(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }

    /// The model test: a simulated bot that follows the protocol of the module documentation
    /// against a simulated Telegram, under any interleaving of arrivals, polls, handling, sends,
    /// lost answers and crashes. However it goes, once the bot runs to quiet after a last restart,
    /// every question is answered, in order per chat, and twice only where Telegram accepted a send
    /// whose acceptance the bot never saw.
    mod model {
        use std::collections::{BTreeMap, BTreeSet, VecDeque};

        use proptest::prelude::*;

        use super::super::*;

        #[derive(Debug, Clone, Copy)]
        enum Op {
            /// A user in chat 0..3 asks.
            Arrive(u8),
            /// getUpdates: journal, then confirm the offset (`crash`: die in between).
            Poll {
                crash: bool,
            },
            /// The next update's handler runs (`crash`: die after queueing, before `handled`).
            Handle {
                crash: bool,
            },
            /// The next reply goes out: accepted, and (`lost`) its answer lost or (`crash`) the
            /// process dies before `done`.
            Send {
                lost: bool,
                crash: bool,
            },
            Crash,
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                3 => (0u8..3).prop_map(Op::Arrive),
                2 => (0u8..4).prop_map(|k| Op::Poll { crash: k == 0 }),
                3 => (0u8..8).prop_map(|k| Op::Handle { crash: k == 0 }),
                3 => (0u8..10).prop_map(|k| Op::Send { lost: k == 0, crash: k == 1 }),
                1 => Just(Op::Crash),
            ]
        }

        /// The running process: what it holds in memory.
        struct Process {
            journal: Journal,
            to_handle: VecDeque<Inbound>,
            to_send: VecDeque<(i64, i64, i64)>, // (row, update id, chat)
        }

        struct World {
            path: PathBuf,
            /// Telegram's unconfirmed updates.
            updates: Vec<Inbound>,
            next_id: i64,
            /// Every question, by chat, in the order asked.
            asked: BTreeMap<i64, Vec<i64>>,
            /// Every reply Telegram accepted, in order.
            delivered: Vec<(i64, i64)>, // (chat, update id)
            /// Updates whose reply Telegram accepted without the bot knowing.
            forced: BTreeSet<i64>,
            process: Option<Process>,
        }

        impl World {
            fn start(&mut self) -> &mut Process {
                if self.process.is_none() {
                    let journal = Journal::open(&self.path).expect("open");
                    let r = journal.recover().expect("recover");
                    self.process = Some(Process {
                        to_send: r
                            .outbound
                            .iter()
                            .map(|o| (o.id, o.update_id.unwrap_or(-1), o.chat))
                            .collect(),
                        to_handle: r.inbound.into(),
                        journal,
                    });
                }
                self.process.as_mut().expect("running")
            }

            fn step(&mut self, op: Op) {
                match op {
                    Op::Arrive(chat) => {
                        let (id, chat) = (self.next_id, i64::from(chat));
                        self.next_id += 1;
                        self.asked.entry(chat).or_default().push(id);
                        self.updates.push(Inbound {
                            update_id: id,
                            chat: Some(chat),
                            body: id.to_string(),
                        });
                    }
                    Op::Poll { crash } => {
                        let batch = self.updates.clone();
                        let p = self.start();
                        let fresh = p.journal.accept(&batch).expect("accept");
                        for (u, new) in batch.into_iter().zip(fresh) {
                            if new {
                                p.to_handle.push_back(u);
                            }
                        }
                        if crash {
                            self.process = None;
                        } else {
                            self.updates.clear();
                        }
                    }
                    Op::Handle { crash } => {
                        let p = self.start();
                        let Some(u) = p.to_handle.pop_front() else {
                            return;
                        };
                        let chat = u.chat.expect("chat");
                        let row = p
                            .journal
                            .queue(Some(u.update_id), chat, &u.body, SystemTime::now())
                            .expect("queue");
                        p.to_send.push_back((row, u.update_id, chat));
                        if crash {
                            self.process = None;
                            return;
                        }
                        p.journal.handled(u.update_id).expect("handled");
                    }
                    Op::Send { lost, crash } => {
                        let p = self.start();
                        let Some(&(row, update, chat)) = p.to_send.front() else {
                            return;
                        };
                        self.delivered.push((chat, update));
                        if crash {
                            self.forced.insert(update);
                            self.process = None;
                        } else if lost {
                            // A transient error as far as the bot knows: it stays first in line.
                            self.forced.insert(update);
                        } else {
                            let p = self.process.as_mut().expect("running");
                            p.to_send.pop_front();
                            p.journal.done(row).expect("done");
                        }
                    }
                    Op::Crash => self.process = None,
                }
            }

            /// A last restart, then polling, handling and sending until there is nothing left.
            fn run_to_quiet(&mut self) {
                self.process = None;
                loop {
                    self.step(Op::Poll { crash: false });
                    let p = self.start();
                    if p.to_handle.is_empty() && p.to_send.is_empty() {
                        return;
                    }
                    while !self.start().to_handle.is_empty() {
                        self.step(Op::Handle { crash: false });
                    }
                    while !self.start().to_send.is_empty() {
                        self.step(Op::Send {
                            lost: false,
                            crash: false,
                        });
                    }
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
            #[test]
            fn every_accepted_question_is_answered_once_in_order(ops in prop::collection::vec(op(), 1..80)) {
                let dir = tempfile::tempdir().unwrap();
                let mut world = World {
                    path: dir.path().join("journal.sqlite"),
                    updates: Vec::new(),
                    next_id: 1,
                    asked: BTreeMap::new(),
                    delivered: Vec::new(),
                    forced: BTreeSet::new(),
                    process: None,
                };
                for op in ops {
                    world.step(op);
                }
                world.run_to_quiet();

                let mut times: BTreeMap<i64, usize> = BTreeMap::new();
                for &(_, update) in &world.delivered {
                    *times.entry(update).or_default() += 1;
                }
                for (chat, asked) in &world.asked {
                    for id in asked {
                        let n = times.get(id).copied().unwrap_or(0);
                        prop_assert!(n >= 1, "update {} in chat {} never answered", id, chat);
                        prop_assert!(n == 1 || world.forced.contains(id),
                            "update {} answered {} times without a lost acceptance", id, n);
                    }
                    // In order: the first answers in this chat follow the order of the questions.
                    let mut first = Vec::new();
                    for &(c, update) in &world.delivered {
                        if c == *chat && !first.contains(&update) {
                            first.push(update);
                        }
                    }
                    prop_assert_eq!(&first, asked);
                }
                // Nothing is owed any more, and the journal holds only dedup ids.
                let j = Journal::open(&world.path).unwrap();
                let stats = j.stats().unwrap();
                prop_assert_eq!((stats.pending_updates, stats.pending_replies), (0, 0));
            }
        }
    }
}
