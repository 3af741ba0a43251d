//! `hitbot inbox`: the operator's inbox in the terminal, the same as `/inbox` on Telegram. Lists the
//! new misses with the engine's closest entries; `add N ENTRY`, `not-covered N`, `dismiss N` handle
//! item N (its `#N` in the list); `undo` takes back the last of these. Edits go through
//! `hitbot_knowledge::edit` (checked, atomic, one added line); a running bot reloads them by itself
//! (its knowledge watcher) or on `/reload`.

use std::io::{self, Write as _};
use std::path::Path;
use std::time::SystemTime;

use clap::Subcommand;

use hitbot_engine::teach::{check_folder, Suggestion};
use hitbot_engine::Advisor;
use hitbot_knowledge::edit::{self, Edit, EditError};
use hitbot_store::inbox::{self, ApplyError, FileChange, InboxError, Status};
use hitbot_store::report::utc_minute;
use hitbot_store::{Store, StoreError};

use crate::cli::MustFix;
use crate::config::Config;

/// Suggested entries per item.
const SUGGESTIONS: usize = 3;

#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Add item N's question to entry ENTRY's `questions` (checked, then written).
    Add {
        /// The item's number (`#N` in the list).
        n: i64,
        /// The entry id, e.g. salary.
        entry: String,
    },
    /// Record item N's question as not covered: an example in scope.toml's `not_covered`.
    NotCovered { n: i64 },
    /// Take item N off the list without changing the knowledge.
    Dismiss { n: i64 },
    /// Take back the last add, not-covered or dismiss (the file byte for byte as it was).
    Undo,
}

/// Runs `hitbot inbox [COMMAND]`.
pub fn run(config: &Config, command: Option<InboxCommand>, top: usize) -> anyhow::Result<()> {
    if command.is_none() && !config.store.path.exists() {
        // A bot that never ran has missed nothing yet: the normal start, not an error.
        println!(
            "Inbox: 0 new (0 added, 0 not covered, 0 dismissed)\nno events recorded yet ({} does not exist: the bot creates it when it starts)",
            config.store.path.display()
        );
        return Ok(());
    }
    let mut store = open_store(config)?;
    match command {
        None => list(config, &store, top),
        Some(InboxCommand::Undo) => undo(&mut store),
        Some(c) => handle(config, &mut store, c),
    }
}

fn open_store(config: &Config) -> anyhow::Result<Store> {
    match Store::open_existing(&config.store.path) {
        Ok(s) => Ok(s),
        Err(e @ (StoreError::Missing { .. } | StoreError::Newer { .. })) => {
            Err(MustFix(format!("inbox: {e}")).into())
        }
        Err(e) => Err(e.into()),
    }
}

fn list(config: &Config, store: &Store, top: usize) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    let counts = inbox::counts(store)?;
    let items = inbox::new_items(store, 0, top)?;
    writeln!(
        out,
        "Inbox: {} new ({} added, {} not covered, {} dismissed)",
        counts.new, counts.added, counts.not_covered, counts.dismissed
    )?;
    if items.is_empty() {
        return Ok(());
    }
    let advisor = Advisor::open(&config.engine())?;
    for item in &items {
        writeln!(out)?;
        let times = if item.count == 1 {
            "once".to_string()
        } else {
            format!("{}×", item.count)
        };
        writeln!(
            out,
            "#{}  {times}  last {}  \"{}\"",
            item.id,
            utc_minute(item.last_seen),
            hitbot_store::report::printable(
                &item
                    .example
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        )?;
        if let Some(entry) = &item.came_back_from {
            writeln!(
                out,
                "    came back: it was added to {entry} and missed again since"
            )?;
        }
        let suggestions: Vec<Suggestion> = advisor.suggest(&item.example, SUGGESTIONS);
        if suggestions.is_empty() {
            writeln!(out, "    no entry comes close")?;
        } else {
            let shown: Vec<String> = suggestions
                .iter()
                .map(|s| format!("{} \"{}\" {:.2}", s.entry.id, s.entry.title, s.confidence))
                .collect();
            writeln!(out, "    closest: {}", shown.join(" | "))?;
            writeln!(
                out,
                "    hitbot inbox add {} {}   (or: not-covered {0}, dismiss {0})",
                item.id, suggestions[0].entry.id
            )?;
        }
    }
    Ok(())
}

fn handle(config: &Config, store: &mut Store, command: InboxCommand) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    let engine = config.engine();
    let dir = &config.knowledge_dir;
    let check = move |staged: &Path| check_folder(&engine, staged);
    let mut written: Option<Edit> = None;
    let now = SystemTime::now();
    let (id, result) = match &command {
        InboxCommand::Add { n, entry } => (
            *n,
            inbox::apply(
                store,
                *n,
                &Status::Added(entry.clone()),
                now,
                |it| {
                    let e = edit::add_question(dir, entry, &it.example, &check)?;
                    let change = FileChange::from(&e);
                    written = Some(e);
                    Ok(Some(change))
                },
                FileChange::revert,
            ),
        ),
        InboxCommand::NotCovered { n } => (
            *n,
            inbox::apply(
                store,
                *n,
                &Status::NotCovered,
                now,
                |it| {
                    let e = edit::add_not_covered(dir, &it.example, &check)?;
                    let change = FileChange::from(&e);
                    written = Some(e);
                    Ok(Some(change))
                },
                FileChange::revert,
            ),
        ),
        InboxCommand::Dismiss { n } => (
            *n,
            inbox::apply(
                store,
                *n,
                &Status::Dismissed,
                now,
                |_| Ok::<_, EditError>(None),
                FileChange::revert,
            ),
        ),
        InboxCommand::Undo => unreachable!("handled by `undo`"),
    };
    match result {
        Ok(_) => {}
        Err(ApplyError::Edit(e)) => {
            return Err(MustFix(format!("inbox: nothing changed: {e}")).into())
        }
        Err(ApplyError::Inbox(InboxError::Store(e))) => return Err(e.into()),
        Err(ApplyError::Inbox(e)) => {
            return Err(MustFix(format!("inbox: nothing changed: {e}")).into())
        }
    }
    let Some(e) = written else {
        writeln!(out, "Dismissed #{id}.")?;
        return Ok(());
    };
    // How the question is answered with the edit: the knowledge as a running bot will load it.
    let advisor = Advisor::open(&config.engine())?;
    match &command {
        InboxCommand::Add { entry, .. } => {
            let title = advisor.entry(entry).map_or(entry.as_str(), |x| &x.title);
            writeln!(
                out,
                "Added to ‘{title}’ — {} ({}:{}).",
                advisor.outcome(&e.question, entry).describe(),
                e.file.display(),
                e.line
            )?;
        }
        _ => writeln!(
            out,
            "Recorded as not covered — {} (an out-of-scope example in {}:{}, not a draft entry).",
            advisor.outcome(&e.question, "").describe_not_covered(),
            e.file.display(),
            e.line
        )?,
    }
    writeln!(
        out,
        "A running bot reloads it by itself (or send /reload); `hitbot inbox undo` takes it back."
    )?;
    Ok(())
}

fn undo(store: &mut Store) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    let Some(action) = inbox::action(store, None)? else {
        return Err(MustFix("inbox: there is nothing to undo".into()).into());
    };
    if let Some(c) = &action.change {
        edit::undo(&c.file, &c.before, &c.after)
            .map_err(|e| MustFix(format!("inbox: not undone: {e}")))?;
    }
    inbox::undo(store, action.id).map_err(|e| MustFix(format!("inbox: not undone: {e}")))?;
    let what = inbox::describe(&action.status);
    match &action.change {
        Some(c) => writeln!(
            out,
            "Undone: #{} is new again (it was {what}); {} is back as it was.",
            action.item,
            c.file.display()
        )?,
        None => writeln!(
            out,
            "Undone: #{} is new again (it was {what}).",
            action.item
        )?,
    }
    Ok(())
}
