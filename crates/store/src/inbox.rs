//! The operator's inbox: the bot's misses (declined, low-confidence and 👎-voted questions) grouped
//! by their [`normalize`](crate::normalize)d text, each with a count, when it was first and last
//! seen, and a status: new, added (as an alternate question of an entry), not covered, or dismissed.
//!
//! [`Store::insert`](crate::Store::insert) keeps the items up to date as events are written, in the
//! same transaction. Handling an item takes it off the "new" list; an item marked added that fails
//! again afterwards (a miss asked after it was handled) comes back to "new", remembering the entry it
//! was added to. Every handling is an [`Action`] that can be undone: it keeps the item's previous
//! state and, for knowledge edits, the file's bytes before and after (which the front end restores;
//! this crate knows nothing of the knowledge or the engine).
//!
//! Items hold what the events hold: question texts, never a user id, name or chat id.

use std::path::PathBuf;
use std::time::SystemTime;

use rusqlite::{params, OptionalExtension as _, Row, TransactionBehavior};
use serde::Serialize;

use crate::{sql, unix_seconds, Store, StoreError};

/// The event kinds that are misses, as stored.
pub(crate) const MISS_KINDS: &[&str] = &["declined", "low_confidence", "down"];

/// Where an item stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "entry", rename_all = "snake_case")]
pub enum Status {
    /// Not handled yet (or added, and failing again since).
    New,
    /// Added as an alternate question of this entry.
    Added(String),
    /// Recorded as a question the guide does not cover.
    NotCovered,
    /// Nothing to do.
    Dismissed,
}

impl Status {
    fn code(&self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Added(_) => "added",
            Status::NotCovered => "not_covered",
            Status::Dismissed => "dismissed",
        }
    }

    fn from_row(code: &str, target: Option<String>) -> Status {
        match (code, target) {
            ("added", Some(entry)) => Status::Added(entry),
            ("not_covered", _) => Status::NotCovered,
            ("dismissed", _) => Status::Dismissed,
            _ => Status::New,
        }
    }
}

/// One group of misses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// Stable: what buttons and `hitbot inbox add N` name.
    pub id: i64,
    /// The grouping key.
    pub normalized: String,
    /// The most recent wording as asked.
    pub example: String,
    /// Misses recorded with this text.
    pub count: u64,
    /// Unix seconds.
    pub first_seen: i64,
    pub last_seen: i64,
    /// The entry of the most recent miss (answered, nearest when declined, or voted on).
    pub entry: Option<String>,
    pub confidence: f32,
    pub status: Status,
    /// Set on a "new" item that was added to this entry before and has failed again since.
    pub came_back_from: Option<String>,
}

/// How many items have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub new: u64,
    pub added: u64,
    pub not_covered: u64,
    pub dismissed: u64,
}

/// The knowledge file an action edited: what undo puts back (when the file still holds `after`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub file: PathBuf,
    pub before: Vec<u8>,
    pub after: Vec<u8>,
}

impl From<&hitbot_knowledge::edit::Edit> for FileChange {
    fn from(e: &hitbot_knowledge::edit::Edit) -> FileChange {
        FileChange {
            file: e.file.clone(),
            before: e.before.clone(),
            after: e.after.clone(),
        }
    }
}

impl FileChange {
    /// Takes the edit back when someone else handled the item meanwhile; a failure is logged.
    pub fn revert(&self) {
        if let Err(e) = hitbot_knowledge::edit::undo(&self.file, &self.before, &self.after) {
            log::warn!("inbox: could not take back an edit of a handled item: {e}");
        }
    }
}

/// One handling of an item, undoable.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub id: i64,
    pub at: i64,
    pub item: i64,
    /// What the item became.
    pub status: Status,
    /// The knowledge edit, when there was one.
    pub change: Option<FileChange>,
    pub undone: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("there is no inbox item {id}")]
    NoItem { id: i64 },
    #[error("inbox item {id} is not new any more ({})", describe(status))]
    Handled { id: i64, status: Status },
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("that was undone already")]
    Undone { id: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A status in words: "added to salary", "not covered", "dismissed", "new".
pub fn describe(status: &Status) -> String {
    match status {
        Status::New => "new".into(),
        Status::Added(entry) => format!("added to {entry}"),
        Status::NotCovered => "marked not covered".into(),
        Status::Dismissed => "dismissed".into(),
    }
}

const ITEM_COLUMNS: &str =
    "id, normalized, example, count, first_seen, last_seen, entry, confidence, status, target";

fn item(r: &Row<'_>) -> rusqlite::Result<Item> {
    let code: String = r.get(8)?;
    let target: Option<String> = r.get(9)?;
    let status = Status::from_row(&code, target.clone());
    Ok(Item {
        id: r.get(0)?,
        normalized: r.get(1)?,
        example: r.get(2)?,
        count: r.get::<_, i64>(3)?.max(0) as u64,
        first_seen: r.get(4)?,
        last_seen: r.get(5)?,
        entry: r.get(6)?,
        confidence: r.get::<_, f64>(7)? as f32,
        came_back_from: target.filter(|_| status == Status::New),
        status,
    })
}

/// The new items, most frequent first (then most recent), `limit` of them from `offset` on.
pub fn new_items(store: &Store, offset: usize, limit: usize) -> Result<Vec<Item>, StoreError> {
    let err = |e| sql(store.path(), e);
    let mut stmt = store
        .conn()
        .prepare(&format!(
            "SELECT {ITEM_COLUMNS} FROM inbox WHERE status = 'new'
             ORDER BY count DESC, last_seen DESC, id LIMIT ?1 OFFSET ?2"
        ))
        .map_err(err)?;
    let clamp = |n: usize| n.min(i64::MAX as usize) as i64;
    let rows = stmt
        .query_map(params![clamp(limit), clamp(offset)], item)
        .map_err(err)?;
    rows.map(|r| r.map_err(err)).collect()
}

/// One item by id.
pub fn get(store: &Store, id: i64) -> Result<Option<Item>, StoreError> {
    store
        .conn()
        .query_row(
            &format!("SELECT {ITEM_COLUMNS} FROM inbox WHERE id = ?1"),
            params![id],
            item,
        )
        .optional()
        .map_err(|e| sql(store.path(), e))
}

/// How many items have each status.
pub fn counts(store: &Store) -> Result<Counts, StoreError> {
    let err = |e| sql(store.path(), e);
    let mut stmt = store
        .conn()
        .prepare("SELECT status, COUNT(*) FROM inbox GROUP BY status")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(err)?;
    let mut counts = Counts::default();
    for row in rows {
        let (status, n) = row.map_err(err)?;
        let n = n.max(0) as u64;
        match status.as_str() {
            "new" => counts.new += n,
            "added" => counts.added += n,
            "not_covered" => counts.not_covered += n,
            "dismissed" => counts.dismissed += n,
            _ => {}
        }
    }
    Ok(counts)
}

/// Handles a new item: it takes `status` (not [`Status::New`]), with the knowledge edit that
/// went with it. Refused when the item is not new (someone else handled it first): the caller then
/// undoes its edit. Returns the action, for undo.
pub fn handle(
    store: &mut Store,
    id: i64,
    status: &Status,
    change: Option<&FileChange>,
    now: SystemTime,
) -> Result<i64, InboxError> {
    let path = store.path().to_path_buf();
    let err = |e| sql(&path, e);
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    let current = tx
        .query_row(
            "SELECT status, target, handled_at FROM inbox WHERE id = ?1",
            params![id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            },
        )
        .optional()
        .map_err(err)?;
    let Some((code, target, handled_at)) = current else {
        return Err(InboxError::NoItem { id });
    };
    if code != "new" {
        return Err(InboxError::Handled {
            id,
            status: Status::from_row(&code, target),
        });
    }
    let at = unix_seconds(now);
    let new_target = match status {
        Status::Added(entry) => Some(entry.as_str()),
        _ => target.as_deref(),
    };
    tx.execute(
        "UPDATE inbox SET status = ?2, target = ?3, handled_at = ?4 WHERE id = ?1",
        params![id, status.code(), new_target, at],
    )
    .map_err(err)?;
    tx.execute(
        "INSERT INTO inbox_actions
         (at, item, status, target, file, before, after, prev_target, prev_handled_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            at,
            id,
            status.code(),
            new_target,
            change.map(|c| c.file.to_string_lossy().into_owned()),
            change.map(|c| c.before.as_slice()),
            change.map(|c| c.after.as_slice()),
            target,
            handled_at
        ],
    )
    .map_err(err)?;
    let action = tx.last_insert_rowid();
    tx.commit().map_err(err)?;
    Ok(action)
}

/// Why [`apply`] did not handle an item.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Inbox(#[from] InboxError),
    /// The knowledge edit was refused (nothing changed).
    #[error(transparent)]
    Edit(E),
}

/// Handles new item `id` with a knowledge edit: `edit` makes it (given the item) and returns what
/// it changed; the item then takes `status`. Refused before editing when the item is missing or not
/// new; when someone else handled it meanwhile, `revert` undoes the edit. Returns the action id.
pub fn apply<E: std::error::Error + 'static>(
    store: &mut Store,
    id: i64,
    status: &Status,
    now: SystemTime,
    edit: impl FnOnce(&Item) -> Result<Option<FileChange>, E>,
    revert: impl FnOnce(&FileChange),
) -> Result<i64, ApplyError<E>> {
    let Some(item) = get(store, id).map_err(InboxError::from)? else {
        return Err(InboxError::NoItem { id }.into());
    };
    if item.status != Status::New {
        return Err(InboxError::Handled {
            id,
            status: item.status,
        }
        .into());
    }
    let change = edit(&item).map_err(ApplyError::Edit)?;
    match handle(store, id, status, change.as_ref(), now) {
        Ok(action) => Ok(action),
        Err(e) => {
            if let Some(c) = &change {
                revert(c);
            }
            Err(e.into())
        }
    }
}

/// An action by id, or the most recent one not undone yet (`None`).
pub fn action(store: &Store, id: Option<i64>) -> Result<Option<Action>, StoreError> {
    let select = "SELECT id, at, item, status, target, file, before, after, undone
                  FROM inbox_actions";
    let read = |r: &Row<'_>| {
        let file: Option<String> = r.get(5)?;
        let before: Option<Vec<u8>> = r.get(6)?;
        let after: Option<Vec<u8>> = r.get(7)?;
        let change = match (file, before, after) {
            (Some(file), Some(before), Some(after)) => Some(FileChange {
                file: PathBuf::from(file),
                before,
                after,
            }),
            _ => None,
        };
        Ok(Action {
            id: r.get(0)?,
            at: r.get(1)?,
            item: r.get(2)?,
            status: Status::from_row(&r.get::<_, String>(3)?, r.get(4)?),
            change,
            undone: r.get::<_, i64>(8)? != 0,
        })
    };
    let conn = store.conn();
    match id {
        Some(id) => conn.query_row(&format!("{select} WHERE id = ?1"), params![id], read),
        None => conn.query_row(
            &format!("{select} WHERE undone = 0 ORDER BY id DESC LIMIT 1"),
            [],
            read,
        ),
    }
    .optional()
    .map_err(|e| sql(store.path(), e))
}

/// Marks an action undone and gives its item back the state it had before (the caller has put the
/// knowledge file back first). Refused when it was undone already.
pub fn undo(store: &mut Store, action: i64) -> Result<Action, InboxError> {
    let Some(found) = self::action(store, Some(action))? else {
        return Err(InboxError::NothingToUndo);
    };
    if found.undone {
        return Err(InboxError::Undone { id: action });
    }
    let path = store.path().to_path_buf();
    let err = |e| sql(&path, e);
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    let changed = tx
        .execute(
            "UPDATE inbox_actions SET undone = 1 WHERE id = ?1 AND undone = 0",
            params![action],
        )
        .map_err(err)?;
    if changed == 0 {
        return Err(InboxError::Undone { id: action });
    }
    tx.execute(
        "UPDATE inbox SET status = 'new',
           target = (SELECT prev_target FROM inbox_actions WHERE id = ?2),
           handled_at = (SELECT prev_handled_at FROM inbox_actions WHERE id = ?2)
         WHERE id = ?1",
        params![found.item, action],
    )
    .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(found)
}

/// Keeps the item of one miss up to date (called by `Store::insert` in its transaction): counted,
/// seen, its latest wording, and back to "new" when it was added and fails again.
pub(crate) fn record_miss(
    tx: &rusqlite::Transaction<'_>,
    (normalized, question): (&str, &str),
    at: i64,
    entry: Option<&str>,
    confidence: f64,
) -> rusqlite::Result<()> {
    if normalized.is_empty() {
        return Ok(());
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO inbox (normalized, example, count, first_seen, last_seen, entry, confidence)
         VALUES (?1, ?2, 1, ?3, ?3, ?4, ?5)
         ON CONFLICT (normalized) DO UPDATE SET
           count = count + 1,
           example = CASE WHEN excluded.last_seen >= last_seen THEN excluded.example ELSE example END,
           entry = CASE WHEN excluded.last_seen >= last_seen THEN excluded.entry ELSE entry END,
           confidence = CASE WHEN excluded.last_seen >= last_seen
                        THEN excluded.confidence ELSE confidence END,
           first_seen = MIN(first_seen, excluded.first_seen),
           last_seen = MAX(last_seen, excluded.last_seen),
           status = CASE WHEN status = 'added' AND excluded.last_seen > handled_at
                    THEN 'new' ELSE status END",
    )?;
    stmt.execute(params![normalized, question, at, entry, confidence])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventKind};
    use std::time::{Duration, UNIX_EPOCH};

    fn store() -> Store {
        let dir = tempfile::tempdir().unwrap().keep();
        Store::open(&dir.join("ops.sqlite")).unwrap()
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn miss(kind: EventKind, question: &str, secs: u64) -> Event {
        Event {
            at: at(secs),
            kind,
            chat_type: "private".into(),
            question: question.into(),
            entry: Some("salary".into()),
            confidence: 0.3,
            chat_id: Some(77),
        }
    }

    fn declined(question: &str, secs: u64) -> Event {
        miss(EventKind::Declined, question, secs)
    }

    #[test]
    fn misses_are_grouped_by_their_normalised_text() {
        let mut s = store();
        s.insert(&[
            declined("How much do HITs make?", 10),
            declined("how much do hits make", 30),
            miss(EventKind::LowConfidence, "HOW MUCH do HITs make!!", 20),
            miss(
                EventKind::Feedback { up: false },
                "how much do HITs make",
                40,
            ),
            declined("what is a nurse", 50),
            // Not misses: answered, 👍, a vote on an unknown question.
            miss(EventKind::Answered, "how much do HITs make", 60),
            miss(
                EventKind::Feedback { up: true },
                "how much do HITs make",
                70,
            ),
            miss(EventKind::Feedback { up: false }, "", 80),
        ])
        .unwrap();
        let items = new_items(&s, 0, 10).unwrap();
        assert_eq!(items.len(), 2, "{items:?}");
        let top = &items[0];
        assert_eq!(top.normalized, "how much do hits make");
        assert_eq!(top.count, 4);
        assert_eq!(top.example, "how much do HITs make");
        assert_eq!(
            (top.first_seen, top.last_seen),
            (unix_seconds(at(10)), unix_seconds(at(40)))
        );
        assert_eq!(top.status, Status::New);
        assert_eq!(items[1].count, 1);
        // Paging.
        assert_eq!(new_items(&s, 1, 10).unwrap(), vec![items[1].clone()]);
        assert_eq!(
            counts(&s).unwrap(),
            Counts {
                new: 2,
                ..Counts::default()
            }
        );
    }

    #[test]
    fn handled_items_leave_the_new_list_and_are_counted_by_status() {
        let mut s = store();
        s.insert(&[declined("a b", 1), declined("c d", 2), declined("e f", 3)])
            .unwrap();
        let ids: Vec<i64> = new_items(&s, 0, 10).unwrap().iter().map(|i| i.id).collect();
        handle(&mut s, ids[0], &Status::Added("salary".into()), None, at(5)).unwrap();
        handle(&mut s, ids[1], &Status::NotCovered, None, at(5)).unwrap();
        handle(&mut s, ids[2], &Status::Dismissed, None, at(5)).unwrap();
        assert!(new_items(&s, 0, 10).unwrap().is_empty());
        assert_eq!(
            counts(&s).unwrap(),
            Counts {
                new: 0,
                added: 1,
                not_covered: 1,
                dismissed: 1
            }
        );
        assert_eq!(
            get(&s, ids[0]).unwrap().unwrap().status,
            Status::Added("salary".into())
        );
        // A second handling of the same item is refused (two admins, one item).
        match handle(&mut s, ids[0], &Status::Dismissed, None, at(6)) {
            Err(InboxError::Handled { status, .. }) => {
                assert_eq!(status, Status::Added("salary".into()))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            handle(&mut s, 999, &Status::Dismissed, None, at(6)),
            Err(InboxError::NoItem { id: 999 })
        ));
    }

    #[test]
    fn an_added_item_that_fails_again_comes_back() {
        let mut s = store();
        s.insert(&[declined("hit pay", 1), declined("nurse pay", 1)])
            .unwrap();
        let items = new_items(&s, 0, 10).unwrap();
        let (added, dismissed) = (items[0].id, items[1].id);
        handle(&mut s, added, &Status::Added("salary".into()), None, at(10)).unwrap();
        handle(&mut s, dismissed, &Status::Dismissed, None, at(10)).unwrap();
        // A miss asked before the handling but written late does not bring it back.
        s.insert(&[declined("HIT pay", 9)]).unwrap();
        assert!(new_items(&s, 0, 10).unwrap().is_empty());
        // Failing after: back to new, remembering where it was added. A dismissed one stays.
        s.insert(&[
            miss(EventKind::LowConfidence, "hit pay?", 11),
            declined("nurse pay", 11),
        ])
        .unwrap();
        let back = new_items(&s, 0, 10).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].id, added);
        assert_eq!(back[0].count, 3);
        assert_eq!(back[0].came_back_from.as_deref(), Some("salary"));
        assert_eq!(
            get(&s, dismissed).unwrap().unwrap().status,
            Status::Dismissed
        );
        // It can be handled again.
        handle(&mut s, added, &Status::NotCovered, None, at(12)).unwrap();
        assert_eq!(get(&s, added).unwrap().unwrap().status, Status::NotCovered);
    }

    #[test]
    fn undo_gives_the_item_its_previous_state_and_keeps_the_file_bytes() {
        let mut s = store();
        s.insert(&[declined("hit pay", 1)]).unwrap();
        let id = new_items(&s, 0, 1).unwrap()[0].id;
        let change = FileChange {
            file: PathBuf::from("knowledge/salary.toml"),
            before: b"old".to_vec(),
            after: b"new".to_vec(),
        };
        let first = handle(
            &mut s,
            id,
            &Status::Added("salary".into()),
            Some(&change),
            at(2),
        )
        .unwrap();
        let last = action(&s, None).unwrap().unwrap();
        assert_eq!(last.id, first);
        assert_eq!(last.change.as_ref(), Some(&change));
        assert_eq!(last.status, Status::Added("salary".into()));
        let undone = undo(&mut s, first).unwrap();
        assert_eq!(undone.change, Some(change));
        let item = get(&s, id).unwrap().unwrap();
        assert_eq!((item.status, item.came_back_from), (Status::New, None));
        assert!(matches!(
            undo(&mut s, first),
            Err(InboxError::Undone { .. })
        ));
        assert_eq!(action(&s, None).unwrap(), None);
        // Undone, the item is new again and can be handled again.
        handle(&mut s, id, &Status::Dismissed, None, at(3)).unwrap();
        assert_eq!(action(&s, None).unwrap().unwrap().change, None);
    }

    #[test]
    fn apply_edits_only_new_items_and_takes_the_edit_back_when_beaten() {
        let mut s = store();
        s.insert(&[declined("hit pay", 1)]).unwrap();
        let id = new_items(&s, 0, 1).unwrap()[0].id;
        let change = FileChange {
            file: PathBuf::from("salary.toml"),
            before: b"a".to_vec(),
            after: b"ab".to_vec(),
        };
        // A refused edit leaves the item new.
        let refused = apply(
            &mut s,
            id,
            &Status::NotCovered,
            at(2),
            |_| Err(std::io::Error::other("duplicate")),
            |_| panic!("nothing to revert"),
        );
        assert!(matches!(refused, Err(ApplyError::Edit(_))));
        assert_eq!(get(&s, id).unwrap().unwrap().status, Status::New);
        // Someone else handles the item while the edit is written: the edit is reverted.
        let path = s.path().to_path_buf();
        let mut reverted = Vec::new();
        let beaten = apply(
            &mut s,
            id,
            &Status::Added("salary".into()),
            at(3),
            |item| {
                assert_eq!(item.example, "hit pay");
                let mut other = Store::open(&path).unwrap();
                handle(&mut other, id, &Status::Dismissed, None, at(3)).unwrap();
                Ok::<_, std::io::Error>(Some(change.clone()))
            },
            |c| reverted.push(c.clone()),
        );
        assert!(matches!(
            beaten,
            Err(ApplyError::Inbox(InboxError::Handled {
                status: Status::Dismissed,
                ..
            }))
        ));
        assert_eq!(reverted, vec![change.clone()]);
        // Not new: refused before editing.
        let again = apply(
            &mut s,
            id,
            &Status::NotCovered,
            at(4),
            |_| -> Result<_, std::io::Error> { panic!("no edit for a handled item") },
            |_| {},
        );
        assert!(matches!(
            again,
            Err(ApplyError::Inbox(InboxError::Handled { .. }))
        ));
    }

    #[test]
    fn items_hold_no_chat_id_or_user_data() {
        let mut s = store();
        s.insert(&[declined("hit pay", 1)]).unwrap();
        let columns: Vec<String> = s
            .conn()
            .prepare("SELECT name FROM pragma_table_info('inbox')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(!columns
            .iter()
            .any(|c| c.contains("chat") || c.contains("user")));
    }

    #[test]
    fn the_migration_fills_the_inbox_from_older_events() {
        let dir = tempfile::tempdir().unwrap().keep();
        let path = dir.join("ops.sqlite");
        {
            // A version-1 file with misses in it.
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(crate::MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            for (i, q) in ["Hit pay?", "hit pay", "other"].iter().enumerate() {
                conn.execute(
                    "INSERT INTO events (at, kind, chat_type, question, normalized, confidence)
                     VALUES (?1, 'declined', 'private', ?2, ?3, 0.2)",
                    params![100 + i as i64, q, crate::normalize(q)],
                )
                .unwrap();
            }
        }
        let s = Store::open(&path).unwrap();
        let items = new_items(&s, 0, 10).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(
            (
                items[0].count,
                items[0].example.as_str(),
                items[0].first_seen,
                items[0].last_seen
            ),
            (2, "hit pay", 100, 101)
        );
    }
}
