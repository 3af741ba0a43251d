//! The operator's inbox on Telegram, for `[telegram] admins` only: `/inbox` lists the most frequent
//! new misses, one message each, with a button per suggested entry ("➕ <title>"), "🆕 not covered"
//! and "✖ dismiss", and "more ▸" for the next page. A press edits the knowledge (alternate question,
//! or `scope.toml` `not_covered`), checks it, reloads it and edits the message to say what was done
//! and how the question is answered now, with "↩ undo". A refused edit (a duplicate, one that would
//! break `hitbot check`, an entry removed meanwhile, an item someone else handled) changes nothing
//! and says why.
//!
//! The work (store, files, reload, the engine's suggestions) runs on the blocking pool, one press at
//! a time in this process; the knowledge edit itself is `hitbot_knowledge::edit`.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use teloxide::types::{ChatId, MessageId};

use hitbot_engine::reload::AdvisorHandle;
use hitbot_engine::teach::{check_folder, Suggestion};
use hitbot_knowledge::edit::{self, Edit, EditError};
use hitbot_store::inbox::{self, ApplyError, FileChange, Item, Status};
use hitbot_store::report::utc_minute;
use hitbot_store::{Store, StoreError};

use super::callback::{Callback, InboxPress};
use super::delivery::OutMessage;
use super::format::{Button, Doc, Keyboard, Rendered};
use super::handlers::App;

/// Items per page.
pub const PAGE: usize = 5;
/// Suggested entries per item.
pub const SUGGESTIONS: usize = 3;

/// One press at a time in this process: read the item, edit, record, reload.
static SERIAL: Mutex<()> = Mutex::new(());

/// `/inbox`, or "more ▸": the new items from `offset` on, one message each.
pub async fn show(app: &App, chat: ChatId, offset: usize) {
    let Some(path) = app.store_path.clone() else {
        let none = Rendered::text("No operator store is configured, so there is no inbox.");
        app.outbox.send(OutMessage::new(chat, &none, None));
        return;
    };
    let advisor = app.handle.get();
    let listed = tokio::task::spawn_blocking(move || {
        let store = Store::open_existing(&path)?;
        let mut items = inbox::new_items(&store, offset, PAGE + 1)?;
        let more = items.len() > PAGE;
        items.truncate(PAGE);
        let counts = inbox::counts(&store)?;
        let with_suggestions: Vec<(Item, Vec<Suggestion>)> = items
            .into_iter()
            .map(|item| {
                let s = advisor.suggest(&item.example, SUGGESTIONS);
                (item, s)
            })
            .collect();
        Ok::<_, StoreError>((with_suggestions, more, counts))
    })
    .await;
    let (items, more, counts) = match listed {
        Ok(Ok(listed)) => listed,
        Ok(Err(e)) => {
            log::warn!("inbox: {e}");
            let text = Rendered::text(&format!("No inbox: {e}"));
            app.outbox.send(OutMessage::new(chat, &text, None));
            return;
        }
        Err(e) => {
            log::error!("inbox: {e}");
            let text = Rendered::text("No inbox (see the log).");
            app.outbox.send(OutMessage::new(chat, &text, None));
            return;
        }
    };
    if offset == 0 {
        let mut doc = Doc::new();
        if counts.new == 0 {
            doc.bold("Inbox: nothing new.");
        } else {
            doc.bold(&format!(
                "Inbox: {} new question{} the bot missed",
                counts.new,
                if counts.new == 1 { "" } else { "s" }
            ))
            .text(", most frequent first. Tap ➕ to add one to an entry.");
        }
        doc.text(&format!(
            "\nHandled: {} added, {} not covered, {} dismissed.",
            counts.added, counts.not_covered, counts.dismissed
        ));
        app.outbox
            .send(OutMessage::new(chat, &doc.done(Vec::new()), None));
    }
    for (item, suggestions) in &items {
        let rendered = item_message(item, suggestions, None);
        app.outbox.send(OutMessage::new(chat, &rendered, None));
    }
    if more {
        let next = Rendered::text("More questions are waiting.").with_keyboard(buttons(vec![(
            "more ▸".to_string(),
            InboxPress::More(offset + PAGE),
        )]));
        app.outbox.send(OutMessage::new(chat, &next, None));
    }
}

/// An admin pressed an inbox button on `message` (its chat and id, when Telegram sent them).
pub async fn press(app: &Arc<App>, at: Option<(ChatId, MessageId)>, press: InboxPress) {
    let Some((chat, message)) = at else {
        return;
    };
    if let InboxPress::More(offset) = press {
        show(app, chat, offset).await;
        return;
    }
    let Some(path) = app.store_path.clone() else {
        let none = Rendered::text("No operator store is configured, so there is no inbox.");
        app.outbox.send(OutMessage::new(chat, &none, None));
        return;
    };
    let handle = app.handle.clone();
    let done = tokio::task::spawn_blocking(move || act(&handle, &path, press)).await;
    match done {
        Ok(Done::Edited(rendered)) => app.outbox.edit_text(chat, message, &rendered),
        Ok(Done::Refused(why)) => {
            let mut doc = Doc::new();
            doc.bold("Nothing changed").text(&format!(": {why}"));
            app.outbox
                .send(OutMessage::new(chat, &doc.done(Vec::new()), None));
        }
        Err(e) => {
            log::error!("inbox: {e}");
            let text = Rendered::text("That did not work (see the log); nothing was changed.");
            app.outbox.send(OutMessage::new(chat, &text, None));
        }
    }
}

/// What a press did.
#[derive(Debug)]
enum Done {
    /// The message becomes this.
    Edited(Rendered),
    /// Nothing was changed, for this reason.
    Refused(String),
}

/// Does what a press asks (blocking: store, files, reload).
fn act(handle: &AdvisorHandle, path: &Path, press: InboxPress) -> Done {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut store = match Store::open_existing(path) {
        Ok(s) => s,
        Err(e) => return Done::Refused(e.to_string()),
    };
    let config = handle.config().clone();
    let dir = config.knowledge_dir.clone();
    let check = move |staged: &Path| check_folder(&config, staged);
    let now = SystemTime::now();
    let mut written: Option<Edit> = None;
    let result = match &press {
        InboxPress::Add { item, entry } => inbox::apply(
            &mut store,
            *item,
            &Status::Added(entry.clone()),
            now,
            |it| {
                let e = edit::add_question(&dir, entry, &it.example, &check)?;
                let change = FileChange::from(&e);
                written = Some(e);
                Ok(Some(change))
            },
            FileChange::revert,
        ),
        InboxPress::NotCovered(item) => inbox::apply(
            &mut store,
            *item,
            &Status::NotCovered,
            now,
            |it| {
                let e = edit::add_not_covered(&dir, &it.example, &check)?;
                let change = FileChange::from(&e);
                written = Some(e);
                Ok(Some(change))
            },
            FileChange::revert,
        ),
        InboxPress::Dismiss(item) => inbox::apply(
            &mut store,
            *item,
            &Status::Dismissed,
            now,
            |_| Ok::<_, EditError>(None),
            FileChange::revert,
        ),
        InboxPress::Undo(action) => return undo(handle, &mut store, *action),
        InboxPress::More(_) => return Done::Refused("nothing to do".into()),
    };
    let action = match result {
        Ok(action) => action,
        Err(ApplyError::Edit(e)) => return Done::Refused(e.to_string()),
        Err(ApplyError::Inbox(e)) => return Done::Refused(e.to_string()),
    };
    let reload = written.as_ref().map(|_| reload(handle));
    let advisor = handle.get();
    let mut doc = Doc::new();
    match (&press, &written) {
        (InboxPress::Add { entry, .. }, Some(e)) => {
            let title = advisor.entry(entry).map_or(entry.as_str(), |x| &x.title);
            doc.text(&format!(
                "✅ Added to ‘{title}’ — {}",
                advisor.outcome(&e.question, entry).describe()
            ));
            doc.text("\n\n").text(&format!(
                "“{}” is now {}:{}.",
                e.question,
                file_name(&e.file),
                e.line
            ));
        }
        (InboxPress::NotCovered(_), Some(e)) => {
            doc.text(&format!(
                "🆕 Recorded as not covered — {}",
                advisor.outcome(&e.question, "").describe_not_covered()
            ));
            doc.text("\n\n").text(&format!(
                "“{}” is now an out-of-scope example in {}:{} (not a draft entry): questions like \
                 it get the honest “the guide doesn't cover that” reply instead of a guess.",
                e.question,
                file_name(&e.file),
                e.line
            ));
        }
        _ => {
            doc.text("✖ Dismissed.");
        }
    }
    if let Some(Err(problem)) = reload {
        doc.text("\n\n").bold("The reload failed").text(&format!(
            ": still serving the previous knowledge until it loads.\n{problem}"
        ));
    }
    Done::Edited(doc.done(buttons(vec![(
        "↩ undo".to_string(),
        InboxPress::Undo(action),
    )])))
}

/// "↩ undo": the file back byte for byte (unless it changed since), the item new again; the
/// message shows the item again with its buttons.
fn undo(handle: &AdvisorHandle, store: &mut Store, action: i64) -> Done {
    let found = match inbox::action(store, Some(action)) {
        Ok(Some(a)) if a.undone => return Done::Refused("that was undone already.".into()),
        Ok(Some(a)) => a,
        Ok(None) => return Done::Refused("there is nothing to undo.".into()),
        Err(e) => return Done::Refused(e.to_string()),
    };
    if let Some(c) = &found.change {
        if let Err(e) = edit::undo(&c.file, &c.before, &c.after) {
            return Done::Refused(e.to_string());
        }
    }
    if let Err(e) = inbox::undo(store, action) {
        return Done::Refused(e.to_string());
    }
    let mut note = match &found.change {
        Some(c) => format!("↩ Undone: {} is back as it was.", file_name(&c.file)),
        None => "↩ Undone.".to_string(),
    };
    if found.change.is_some() {
        if let Err(problem) = reload(handle) {
            note.push_str(&format!(" The reload failed: {problem}"));
        }
    }
    let advisor = handle.get();
    match inbox::get(store, found.item) {
        Ok(Some(item)) => {
            let suggestions = advisor.suggest(&item.example, SUGGESTIONS);
            Done::Edited(item_message(&item, &suggestions, Some(&note)))
        }
        _ => Done::Edited(Rendered::text(&note)),
    }
}

fn reload(handle: &AdvisorHandle) -> Result<(), String> {
    match handle.reload() {
        Ok(_) => Ok(()),
        Err(e) => {
            log::warn!("inbox: the edited knowledge was not loaded: {e}");
            Err(e.to_string())
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// An item as a message: the question, how often and when, where it came back from, the
/// suggestions with their confidence; buttons to add it to each, mark it not covered, or dismiss.
pub fn item_message(item: &Item, suggestions: &[Suggestion], note: Option<&str>) -> Rendered {
    let mut doc = Doc::new();
    if let Some(note) = note {
        doc.text(note).text("\n\n");
    }
    doc.bold(&format!("“{}”", one_line(&item.example)));
    let times = if item.count == 1 {
        "once".to_string()
    } else {
        format!("{}×", item.count)
    };
    doc.text(&format!("\n{times} · last {}", utc_minute(item.last_seen)));
    if let Some(entry) = &item.came_back_from {
        doc.text(&format!(
            "\nCame back: it was added to {entry} and missed again since."
        ));
    }
    if suggestions.is_empty() {
        doc.text("\nNo entry comes close.");
    } else {
        let list: Vec<String> = suggestions
            .iter()
            .map(|s| format!("{} {:.2}", s.entry.title, s.confidence))
            .collect();
        doc.text(&format!("\nClosest: {}", list.join(" · ")));
    }
    let mut keyboard: Keyboard = suggestions
        .iter()
        .filter_map(|s| {
            button(
                format!("➕ {}", s.entry.title),
                InboxPress::Add {
                    item: item.id,
                    entry: s.entry.id.clone(),
                },
            )
        })
        .map(|b| vec![b])
        .collect();
    keyboard.push(
        [
            button("🆕 not covered".into(), InboxPress::NotCovered(item.id)),
            button("✖ dismiss".into(), InboxPress::Dismiss(item.id)),
        ]
        .into_iter()
        .flatten()
        .collect(),
    );
    doc.done(keyboard)
}

fn button(text: String, press: InboxPress) -> Option<Button> {
    Some(Button {
        text,
        data: Callback::Inbox(press).encode()?,
    })
}

/// One row of buttons.
fn buttons(list: Vec<(String, InboxPress)>) -> Keyboard {
    vec![list
        .into_iter()
        .filter_map(|(text, press)| button(text, press))
        .collect()]
}

/// A stored question on one line, at most 200 characters.
fn one_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(199).collect::<String>())
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hitbot_engine::advisor::EntryRef;

    fn item() -> Item {
        Item {
            id: 7,
            normalized: "hit pay per hour".into(),
            example: "HIT pay <per> hour?".into(),
            count: 3,
            first_seen: 0,
            last_seen: 1_700_000_000,
            entry: None,
            confidence: 0.2,
            status: Status::New,
            came_back_from: Some("salary".into()),
        }
    }

    #[test]
    fn an_item_has_a_button_per_suggestion_and_escapes_the_question() {
        let suggestions = vec![
            Suggestion {
                entry: EntryRef {
                    id: "salary-details".into(),
                    title: "Hourly pay".into(),
                },
                confidence: 0.48,
            },
            Suggestion {
                entry: EntryRef {
                    id: "salary".into(),
                    title: "What HITs earn".into(),
                },
                confidence: 0.41,
            },
        ];
        let m = item_message(&item(), &suggestions, None);
        assert!(
            m.html.contains("<b>“HIT pay &lt;per&gt; hour?”</b>"),
            "{}",
            m.html
        );
        assert!(
            m.plain.contains("3× · last 2023-11-14 22:13 UTC"),
            "{}",
            m.plain
        );
        assert!(m.plain.contains("Came back: it was added to salary"));
        assert!(m
            .plain
            .contains("Closest: Hourly pay 0.48 · What HITs earn 0.41"));
        let rows: Vec<Vec<(&str, &str)>> = m
            .keyboard
            .iter()
            .map(|r| {
                r.iter()
                    .map(|b| (b.text.as_str(), b.data.as_str()))
                    .collect()
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                vec![("➕ Hourly pay", "i:a:7:salary-details")],
                vec![("➕ What HITs earn", "i:a:7:salary")],
                vec![("🆕 not covered", "i:n:7"), ("✖ dismiss", "i:d:7")],
            ]
        );
    }
}
