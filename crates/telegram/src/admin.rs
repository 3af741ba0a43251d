//! The operators' commands, for the user ids in `[telegram] admins` only (anyone else gets what an
//! unknown command gets):
//!
//! * `/reload`: rebuilds the advisor from the knowledge folder and swaps it in; replies with the
//!   number of entries, or with every `file:line` problem while the old knowledge keeps serving.
//! * `/stats [7d]`: the operator report (`hitbot report`) over the store; `/unanswered [7d]` its
//!   list of the most frequent unanswered questions.
//! * `/inbox`: the misses with one-tap fixes (`inbox.rs`).
//!
//! Replies are escaped and sent as `<pre>` blocks, split like any long message.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use teloxide::types::{ChatId, MessageId};

use hitbot_engine::reload::{AdvisorHandle, Reloaded};
use hitbot_store::journal::Journal;
use hitbot_store::report;
use hitbot_store::Store;

use super::commands::AdminCommand;
use super::delivery::OutMessage;
use super::format::{Doc, Rendered};
use super::handlers::App;

/// The period a report covers when none is given.
const DEFAULT_SINCE: Duration = Duration::from_secs(7 * 86_400);
/// Rows per list in a report.
const TOP: usize = 10;

/// Runs an admin command and sends its reply.
pub async fn run(
    app: &App,
    chat: ChatId,
    reply_to: Option<MessageId>,
    command: AdminCommand,
    args: &str,
) {
    log::info!("chat {chat}: admin command {command:?}");
    let rendered = match command {
        AdminCommand::Reload => reload(&app.handle).await,
        AdminCommand::Stats => {
            let report = report(app.store_path.clone(), command, args).await;
            match app.outbox.journal() {
                Some(j) => with_delivery(report, j),
                None => report,
            }
        }
        AdminCommand::Unanswered => report(app.store_path.clone(), command, args).await,
        AdminCommand::Inbox => return super::inbox::show(app, chat, 0).await,
    };
    app.outbox.send(OutMessage::new(chat, &rendered, reply_to));
}

/// Reloads the knowledge (on the blocking pool: it may build an index) and says how it went.
pub async fn reload(handle: &AdvisorHandle) -> Rendered {
    let h = handle.clone();
    match tokio::task::spawn_blocking(move || h.reload()).await {
        Ok(Ok(Reloaded::Swapped { entries })) => {
            Rendered::text(&format!("Reloaded: {entries} entries"))
        }
        Ok(Ok(Reloaded::Unchanged { entries })) => {
            Rendered::text(&format!("Reloaded: {entries} entries (no changes)"))
        }
        Ok(Err(e)) => {
            log::warn!(
                "reload: the edited knowledge was not loaded; still serving the old one.\n{e}"
            );
            Doc::new()
                .bold("Reload failed")
                .text(&format!(
                    ": still serving the previous knowledge ({} entries).\n\n{e}",
                    handle.get().knowledge().entries.len(),
                ))
                .done(Vec::new())
        }
        Err(e) => {
            log::error!("reload: {e}");
            Rendered::text("Reload failed (see the log); still serving the previous knowledge.")
        }
    }
}

/// The report with the journal's delivery counts under it.
fn with_delivery(report: Rendered, journal: &Journal) -> Rendered {
    match journal.stats() {
        Ok(s) => {
            let line = format!(
                "Delivery: {} replies waiting to be sent, {} updates waiting to be handled; {} \
                 replies given up after [telegram] give_up_after, {} refused by Telegram (blocked \
                 bot, chat gone) since the journal was started.",
                s.pending_replies, s.pending_updates, s.given_up, s.dropped
            );
            report.with_footer(&line)
        }
        Err(e) => {
            log::warn!("journal: {e}");
            report
        }
    }
}

/// `/stats` or `/unanswered` over the store, for the period in `args` (`24h`, `7d`, `2w`...).
async fn report(path: Option<PathBuf>, command: AdminCommand, args: &str) -> Rendered {
    let Some(path) = path else {
        return Rendered::text("No operator store is configured.");
    };
    let since = match args.trim() {
        "" => DEFAULT_SINCE,
        text => match report::parse_since(text) {
            Ok(d) => d,
            Err(e) => return Rendered::text(&e),
        },
    };
    let built = tokio::task::spawn_blocking(move || {
        let store = Store::open_existing(&path)?;
        let from = SystemTime::now()
            .checked_sub(since)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let r = report::build(&store, from, TOP)?;
        Ok::<_, hitbot_store::StoreError>(match command {
            AdminCommand::Unanswered => report::render_unanswered(&r),
            _ => report::render_text(&r),
        })
    })
    .await;
    match built {
        Ok(Ok(text)) => Doc::new().pre(text.trim_end()).done(Vec::new()),
        Ok(Err(e)) => {
            log::warn!("report: {e}");
            Rendered::text(&format!("No report: {e}"))
        }
        Err(e) => {
            log::error!("report: {e}");
            Rendered::text("No report (see the log).")
        }
    }
}
