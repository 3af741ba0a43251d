//! The handler tree (dptree): which update gets which answer. Handlers decide and render; they never
//! wait for the network: replies go to the [`Outbox`], which delivers them per chat, in order.
//!
//! * messages: commands (also `/cmd@bot`), then questions. In groups only commands, mentions of the
//!   bot and replies to its messages are answered. Non-text messages get a one-line hint.
//! * callback queries: entry buttons, 👍/👎, the topic menu, the `/compare` pickers; always answered,
//!   stale data politely.
//! * inline queries: up to 5 articles; the main topics for an empty query.
//! * every update asks the [`AdvisorHandle`] for the advisor serving now (hot reload); messages and
//!   button presses pass the per-user flood gate first; answers, declines and 👍/👎 are recorded in
//!   the operator store ([`EventSink`]). Admin commands (`admin.rs`) are unknown commands to others,
//!   and the inbox's buttons (`inbox.rs`) are unknown data to them.
//!
//! Edited messages and other update kinds are not handled (and so not requested from Telegram).

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt as _;
use teloxide::dispatching::{
    DpHandlerDescription, HandlerExt as _, UpdateFilterExt as _, UpdateHandler,
};
use teloxide::dptree::di::DependencyMap;
use teloxide::dptree::HandlerDescription as _;
use teloxide::prelude::*;
use teloxide::types::{
    Chat, InlineKeyboardButton, InlineKeyboardButtonKind, InlineKeyboardMarkup, InlineQueryResult,
    InlineQueryResultArticle, InlineQueryResultsButton, InlineQueryResultsButtonKind,
    InputMessageContent, InputMessageContentText, LinkPreviewOptions, Me, MessageId, MessageKind,
    ParseMode,
};
use teloxide::utils::command::BotCommands as _;

use hitbot_careers::chart::ChartCache;
use hitbot_engine::advisor::{Advisor, EntryRef, Reply};
use hitbot_engine::memory::Memory;
use hitbot_engine::reload::AdvisorHandle;
use hitbot_store::{Event, EventSink};

use super::callback::Callback;
use super::commands::{self, AdminCommand, Command, More};
use super::delivery::{self, OutMessage, Outbox};
use super::feedback::Asked;
use super::flood::{FloodGate, Verdict};
use super::format::{self, Rendered};
use super::{admin, charts, inbox};

/// Errors a handler may return (none expected: delivery problems are handled by the outbox).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;
type HandlerResult = Result<(), HandlerError>;

/// Most results an inline query gets.
const INLINE_RESULTS: usize = 5;
/// How long Telegram may cache inline results (the knowledge changes rarely).
const INLINE_CACHE_SECONDS: u32 = 300;
/// The hint for stickers, photos, voice messages and other non-text messages.
const TEXT_ONLY: &str = "I read text questions only. Type your question, or send /help.";
/// The one notice a user over the flood limit gets.
pub const SLOW_DOWN: &str = "You're sending messages quickly — I'll answer again in a moment.";

/// What every handler needs (one per running bot).
pub struct App {
    /// The advisor serving now: every update asks it for the current one (`get()`), so a reload
    /// takes effect at the next update while the ones in flight finish with the old knowledge.
    pub handle: AdvisorHandle,
    /// Each chat's last answered entry, for follow-up questions.
    pub memory: Memory,
    /// The operator store: declined and low-confidence questions, answers (counted), 👍/👎 (the one
    /// place a vote is recorded).
    pub events: Arc<dyn EventSink>,
    /// The question behind recent answers, for the 👍/👎 events.
    pub asked: Asked,
    pub outbox: Arc<Outbox>,
    /// The advisor's confidence threshold (inline results below it are left out).
    pub min_confidence: f32,
    /// Answers below this confidence are recorded as low-confidence (`[store] low_confidence`).
    pub low_confidence: f32,
    /// Record the chat id with events (`[store] keep_chat_id`); off, no user data is recorded.
    pub keep_chat_id: bool,
    /// Show "typing…" only when an answer takes longer than this (it normally takes microseconds).
    pub typing_after: Duration,
    /// User ids allowed the admin commands (`[telegram] admins`).
    pub admins: Vec<i64>,
    /// Per-user message limit (`[telegram] flood_per_minute`).
    pub flood: FloodGate,
    /// The careers chart, drawn once per version of the career table.
    pub charts: Arc<ChartCache>,
    /// The store file the admin reports read (`[store] path`); `None`: no reports.
    pub store_path: Option<PathBuf>,
    /// Cancelled when the bot is stopping: journaled updates not yet started are left for the next
    /// start instead of holding up the stop.
    pub stopping: tokio_util::sync::CancellationToken,
}

/// The handler tree.
pub fn schema() -> UpdateHandler<HandlerError> {
    journaled()
        .branch(
            Update::filter_message()
                .branch(
                    dptree::entry()
                        .filter_command::<Command>()
                        .endpoint(on_command),
                )
                .branch(dptree::endpoint(on_message)),
        )
        .branch(Update::filter_callback_query().endpoint(on_callback))
        .branch(Update::filter_inline_query().endpoint(on_inline))
}

/// The root of the tree: runs the rest for one update, so that the messages it sends are journaled
/// with the update, marks the update handled when it is done, and contains a panic to this update
/// (logged; the chat's worker and every shared part go on).
fn journaled() -> UpdateHandler<HandlerError> {
    dptree::from_fn_with_description(
        DpHandlerDescription::entry(),
        |deps: DependencyMap, cont| async move {
            let update = deps.get::<Update>();
            let id = i64::from(update.id.0);
            let app = deps.try_get::<Arc<App>>();
            let journaled = app.as_ref().is_some_and(|a| a.outbox.journal().is_some())
                && update.chat().is_some();
            if journaled && app.as_ref().is_some_and(|a| a.stopping.is_cancelled()) {
                // Stopping: it stays in the journal, unhandled, and is answered at the next start.
                return ControlFlow::Break(Ok(()));
            }
            let run = std::panic::AssertUnwindSafe(delivery::answering(id, cont(deps)))
                .catch_unwind()
                .await;
            if let Some(app) = app.filter(|_| journaled) {
                app.outbox.handled(id);
            }
            match run {
                Ok(flow) => flow,
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    log::error!("update {id}: the handler panicked ({what}); update dropped");
                    ControlFlow::Break(Ok(()))
                }
            }
        },
        dptree::HandlerSignature::Entry,
    )
}

async fn on_command(app: Arc<App>, msg: Message, command: Command, me: Me) -> HandlerResult {
    if from_a_bot(&msg) || !app.admit(&msg) {
        return Ok(());
    }
    run_command(&app, &app.handle.get(), &msg, command, &me);
    Ok(())
}

fn run_command(app: &Arc<App>, advisor: &Advisor, msg: &Message, command: Command, me: &Me) {
    let chat = msg.chat.id;
    let reply_to = thread(msg);
    let rendered = match command {
        Command::Start(payload) => {
            if app.send_entry(advisor, chat, payload.trim(), reply_to) {
                return;
            }
            format::welcome(&advisor.topics())
        }
        Command::Help => {
            let commands: Vec<(String, String)> = Command::bot_commands()
                .into_iter()
                .map(|c| (c.command.trim_start_matches('/').to_string(), c.description))
                .collect();
            format::help(&commands, me.username())
        }
        Command::Compare(args) => {
            charts::compare_command(app, advisor, chat, &args, reply_to);
            return;
        }
        topic => {
            let id = topic.entry_id().unwrap_or_default();
            if app.send_entry(advisor, chat, id, reply_to) {
                return;
            }
            app.unavailable(advisor)
        }
    };
    app.outbox.send(OutMessage::new(chat, &rendered, reply_to));
}

async fn on_message(app: Arc<App>, msg: Message, me: Me) -> HandlerResult {
    if from_a_bot(&msg) || !addressed(&msg, &me) || !app.admit(&msg) {
        return Ok(());
    }
    let advisor = app.handle.get();
    let chat = msg.chat.id;
    let Some(text) = msg.text() else {
        // Stickers, photos, voice... (`Empty`: content this teloxide version cannot read). Service
        // messages (members joining, pins) get nothing.
        if matches!(msg.kind, MessageKind::Common(_) | MessageKind::Empty {}) {
            let hint = Rendered::text(TEXT_ONLY);
            app.outbox.send(OutMessage::new(chat, &hint, thread(&msg)));
        }
        return Ok(());
    };
    if let Some(rest) = text.strip_prefix('/') {
        on_other_command(&app, &advisor, &msg, rest, &me).await;
        return Ok(());
    }
    let question = strip_mention(text, me.username());
    if question.is_empty() {
        let welcome = format::welcome(&advisor.topics());
        app.outbox
            .send(OutMessage::new(chat, &welcome, thread(&msg)));
        return Ok(());
    }
    let reply = app.answer(&advisor, &msg.chat, &question).await;
    if let Some((a, b)) = &reply.compare {
        if charts::compare_entries(&app, &advisor, chat, (&a.id, &b.id), thread(&msg)) {
            return Ok(());
        }
    }
    let rendered = format::render_reply(&reply, &question, &advisor.topics());
    app.outbox
        .send(OutMessage::new(chat, &rendered, thread(&msg)));
    // The careers hub answers with its chart, however it was asked for.
    if reply.confident {
        if let Some(e) = &reply.entry {
            if commands::listing(&advisor.knowledge().guide, &e.id) == More::CareerPaths {
                charts::send_careers_chart(&app, &advisor, chat, thread(&msg));
            }
        }
    }
    Ok(())
}

/// A `/word` the command parser refused: one of ours with extra words (`/salary please`), an admin
/// command, another bot's command (ignored), or an unknown one. Admin commands from anyone else get
/// exactly what an unknown command gets, so nothing hints that they exist.
async fn on_other_command(app: &Arc<App>, advisor: &Advisor, msg: &Message, rest: &str, me: &Me) {
    let mut words = rest.split_whitespace();
    let word = words.next().unwrap_or("");
    let (name, bot) = match word.split_once('@') {
        Some((name, bot)) => (name, Some(bot)),
        None => (word, None),
    };
    if bot.is_some_and(|b| !b.eq_ignore_ascii_case(me.username())) {
        return;
    }
    let lower = name.to_lowercase();
    if let Some(command) = AdminCommand::parse(&lower) {
        if app.is_admin(msg) {
            let args: Vec<&str> = words.collect();
            admin::run(app, msg.chat.id, thread(msg), command, &args.join(" ")).await;
            return;
        }
    } else if let Ok(command) = Command::parse(&format!("/{lower}"), me.username()) {
        run_command(app, advisor, msg, command, me);
        return;
    }
    let rendered = Rendered::text(&format!(
        "I don't know the command /{name}. Send /help for what I can do, or just ask a question."
    ));
    app.outbox
        .send(OutMessage::new(msg.chat.id, &rendered, thread(msg)));
}

async fn on_callback(app: Arc<App>, q: CallbackQuery) -> HandlerResult {
    match app.flood.check(q.from.id.0 as i64) {
        Verdict::Pass => {}
        Verdict::Notice => {
            app.outbox.answer_callback(q.id, Some(SLOW_DOWN.into()));
            return Ok(());
        }
        Verdict::Silent => {
            app.outbox.answer_callback(q.id, None);
            return Ok(());
        }
    }
    let advisor = app.handle.get();
    let chat = q.message.as_ref().map(|m| m.chat().id);
    let data = q.data.as_deref().unwrap_or_default();
    let stale = "Sorry, that button is out of date. Here are the topics.";
    match (Callback::decode(data), chat) {
        (Some(Callback::Entry(id)), Some(chat)) => {
            if advisor.entry(&id).is_some() {
                app.outbox.answer_callback(q.id, None);
                app.send_entry(&advisor, chat, &id, None);
            } else {
                app.outbox.answer_callback(q.id, Some(stale.into()));
                app.outbox
                    .send(OutMessage::new(chat, &app.unavailable(&advisor), None));
            }
        }
        (Some(Callback::Feedback { entry, helpful }), _) => {
            if advisor.entry(&entry).is_some() {
                app.record_feedback(&q, &entry, helpful);
            }
            app.outbox.answer_callback(q.id, Some("Thanks!".into()));
            // Take the 👍/👎 row away so that an answer is rated once.
            if let Some(m) = q.message.as_ref().and_then(|m| m.regular_message()) {
                if let Some(kept) = m.reply_markup().and_then(without_feedback) {
                    app.outbox.edit_markup(m.chat.id, m.id, kept);
                }
            }
        }
        (Some(Callback::Topics), Some(chat)) => {
            app.outbox.answer_callback(q.id, None);
            let menu = Rendered::text("Pick a topic:")
                .with_keyboard(format::topic_keyboard(&advisor.topics()));
            app.outbox.send(OutMessage::new(chat, &menu, None));
        }
        (Some(Callback::CompareFirst(key)), Some(chat)) => {
            app.outbox.answer_callback(q.id, None);
            charts::compare_second(&app, &advisor, chat, key);
        }
        (Some(Callback::Compare(a, b)), Some(chat)) => {
            app.outbox.answer_callback(q.id, None);
            charts::compare_pair(&app, &advisor, chat, a, b);
        }
        // Inbox buttons act for admins only; anyone else gets what unknown data gets.
        (Some(Callback::Inbox(press)), Some(_)) if app.admins.contains(&(q.from.id.0 as i64)) => {
            app.outbox.answer_callback(q.id.clone(), None);
            let at = q
                .message
                .as_ref()
                .and_then(|m| m.regular_message())
                .map(|m| (m.chat.id, m.id));
            inbox::press(&app, at, press).await;
        }
        (_, Some(chat)) => {
            app.outbox.answer_callback(q.id, Some(stale.into()));
            app.outbox
                .send(OutMessage::new(chat, &app.unavailable(&advisor), None));
        }
        (_, None) => {
            app.outbox
                .answer_callback(q.id, Some("Sorry, that button no longer works.".into()));
        }
    }
    Ok(())
}

async fn on_inline(app: Arc<App>, q: InlineQuery, me: Me) -> HandlerResult {
    let advisor = app.handle.get();
    let query = advisor.cut_question(q.query.trim());
    let entries: Vec<EntryRef> = if query.is_empty() {
        advisor.topics()
    } else {
        advisor
            .candidates(query, INLINE_RESULTS)
            .into_iter()
            .filter(|(_, coverage)| *coverage >= app.min_confidence)
            .map(|(e, _)| e)
            .collect()
    };
    // Every main topic for an empty query; the best few otherwise.
    let results: Vec<InlineQueryResult> = entries
        .iter()
        .filter_map(|e| advisor.entry_reply(&e.id))
        .filter_map(|reply| article(&reply, &me))
        .collect();
    let button = results.is_empty().then(|| InlineQueryResultsButton {
        text: "No answer found: ask me in a private chat".into(),
        kind: InlineQueryResultsButtonKind::StartParameter("inline".into()),
    });
    app.outbox
        .answer_inline(q.id, results, button, INLINE_CACHE_SECONDS);
    Ok(())
}

/// One inline result: the answer as the message, with a deep link to open the bot on that entry.
fn article(reply: &Reply, me: &Me) -> Option<InlineQueryResult> {
    let entry = reply.entry.as_ref()?;
    let text = format::split_for_telegram(&format::reply_html(reply), format::MAX_MESSAGE_LEN)
        .into_iter()
        .next()?;
    let content = InputMessageContent::Text(
        InputMessageContentText::new(text)
            .parse_mode(ParseMode::Html)
            .link_preview_options(LinkPreviewOptions {
                is_disabled: true,
                url: None,
                prefer_small_media: false,
                prefer_large_media: false,
                show_above_text: false,
            }),
    );
    let mut result = InlineQueryResultArticle::new(entry.id.clone(), entry.title.clone(), content)
        .description(format::description(reply));
    if let Ok(link) = url::Url::parse(&format!("{}?start={}", me.tme_url(), entry.id)) {
        result = result.reply_markup(InlineKeyboardMarkup::new([[InlineKeyboardButton::url(
            format!("More from @{}", me.username()),
            link,
        )]]));
    }
    Some(InlineQueryResult::Article(result))
}

impl App {
    /// Flood control for a message: `true` to handle it. The first message over the limit gets
    /// one notice; later ones nothing.
    fn admit(&self, msg: &Message) -> bool {
        // An anonymous group admin writes as the group; anyone else as themselves.
        let sender = msg
            .sender_chat
            .as_ref()
            .map(|c| c.id.0)
            .or_else(|| msg.from.as_ref().map(|u| u.id.0 as i64))
            .unwrap_or(msg.chat.id.0);
        match self.flood.check(sender) {
            Verdict::Pass => true,
            Verdict::Notice => {
                log::info!("chat {}: a sender is over the flood limit", msg.chat.id);
                let notice = Rendered::text(SLOW_DOWN);
                self.outbox
                    .send(OutMessage::new(msg.chat.id, &notice, thread(msg)));
                false
            }
            Verdict::Silent => false,
        }
    }

    /// Whether the sender is in `[telegram] admins`.
    fn is_admin(&self, msg: &Message) -> bool {
        msg.from
            .as_ref()
            .is_some_and(|u| self.admins.contains(&(u.id.0 as i64)))
    }

    /// Answers a question in a chat, remembering confident answers for follow-ups, and records it in
    /// the operator store.
    async fn answer(&self, advisor: &Arc<Advisor>, chat: &Chat, question: &str) -> Reply {
        let chat_id = chat.id;
        let question = advisor.cut_question(question);
        let previous = self.memory.last(chat_id.0);
        let work = Arc::clone(advisor);
        let q = question.to_string();
        let outbox = Arc::clone(&self.outbox);
        let reply = with_typing(
            move || work.answer_after(&q, previous.as_deref()),
            self.typing_after,
            move || outbox.typing(chat_id),
        )
        .await;
        let reply = reply.unwrap_or_else(|e| {
            log::error!("the advisor failed on a question: {e}");
            advisor.decline(0.0, None)
        });
        if let Some(subject) = reply.subject() {
            self.memory.remember(chat_id.0, subject);
        }
        if let Some(e) = reply.entry.as_ref().filter(|_| reply.confident) {
            self.asked
                .remember(chat_id.0, &e.id, question, reply.confidence);
        }
        // Small talk ("hi", "thanks") is neither answered nor unanswered: nothing to record.
        if reply.small_talk.is_none() {
            let mut event = Event::answer(
                question,
                chat_type(chat),
                reply.entry.as_ref().map(|e| e.id.as_str()),
                (reply.confident, reply.confidence),
                self.low_confidence,
            );
            event.chat_id = self.keep_chat_id.then_some(chat_id.0);
            self.events.record(event);
        }
        reply
    }

    /// Records a 👍/👎 (once: this event is its only record) with the question it was about, when
    /// it is remembered.
    fn record_feedback(&self, q: &CallbackQuery, entry: &str, helpful: bool) {
        let chat = q.message.as_ref().map(|m| m.chat());
        let kind = chat.map_or("unknown", chat_type);
        let mut event = Event::feedback(helpful, entry, kind);
        if let Some(chat) = chat {
            if let Some((question, confidence)) = self.asked.question(chat.id.0, entry) {
                event.question = question;
                event.confidence = confidence;
            }
            event.chat_id = self.keep_chat_id.then_some(chat.id.0);
        }
        self.events.record(event);
    }

    /// Sends entry `id` as a command, a button or a deep link shows it (the careers hub with its
    /// chart); `false` for an unknown id.
    pub(super) fn send_entry(
        &self,
        advisor: &Advisor,
        chat: ChatId,
        id: &str,
        reply_to: Option<MessageId>,
    ) -> bool {
        let Some(rendered) = self.entry_message(advisor, chat, id) else {
            return false;
        };
        self.outbox.send(OutMessage::new(chat, &rendered, reply_to));
        if commands::listing(&advisor.knowledge().guide, id) == More::CareerPaths {
            charts::send_careers_chart(self, advisor, chat, reply_to);
        }
        true
    }

    /// An entry's answer as a command or a button shows it, with the entries its topic lists;
    /// `None` for an unknown id (a stale button, a deep link to a removed entry).
    fn entry_message(&self, advisor: &Advisor, chat: ChatId, id: &str) -> Option<Rendered> {
        let reply = advisor.entry_reply(id)?;
        let more: Vec<EntryRef> = match commands::listing(&advisor.knowledge().guide, id) {
            More::Related => reply.related.clone(),
            More::CareerPaths => list(advisor, |e| e.career.is_some()),
            More::SameTopic => {
                let topic = advisor
                    .entry(id)
                    .map(|e| e.topic.clone())
                    .unwrap_or_default();
                list(advisor, |e| e.topic == topic && e.id != id)
            }
        };
        self.memory.remember(chat.0, id);
        Some(format::render_entry(&reply, &more))
    }

    /// The polite reply to a stale button or a removed topic.
    pub(super) fn unavailable(&self, advisor: &Advisor) -> Rendered {
        Rendered::text(
            "Sorry, that topic is not available any more. Here is what I can tell you about:",
        )
        .with_keyboard(format::topic_keyboard(&advisor.topics()))
    }
}

fn list(advisor: &Advisor, keep: impl Fn(&hitbot_knowledge::Entry) -> bool) -> Vec<EntryRef> {
    advisor
        .knowledge()
        .entries
        .iter()
        .filter(|e| keep(e))
        .map(|e| EntryRef {
            id: e.id.clone(),
            title: e.title.clone(),
        })
        .collect()
}

/// The chat's kind as the operator store records it.
fn chat_type(chat: &Chat) -> &'static str {
    if chat.is_private() {
        "private"
    } else if chat.is_supergroup() {
        "supergroup"
    } else if chat.is_group() {
        "group"
    } else if chat.is_channel() {
        "channel"
    } else {
        "unknown"
    }
}

/// Runs `work` on the blocking pool; calls `on_slow` if it has not finished after `after`.
pub async fn with_typing<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
    after: Duration,
    on_slow: impl FnOnce(),
) -> Result<T, tokio::task::JoinError> {
    let mut task = tokio::task::spawn_blocking(work);
    tokio::select! {
        biased;
        done = &mut task => done,
        _ = tokio::time::sleep(after) => {
            on_slow();
            task.await
        }
    }
}

/// In groups, replies quote the user's message; in private chats they don't need to.
fn thread(msg: &Message) -> Option<MessageId> {
    (!msg.chat.is_private()).then_some(msg.id)
}

/// Messages from other bots are ignored (no bot loops). An anonymous group admin also shows up as a bot
/// (`GroupAnonymousBot`), but with the group as `sender_chat`: those are people.
fn from_a_bot(msg: &Message) -> bool {
    msg.from.as_ref().is_some_and(|u| u.is_bot) && msg.sender_chat.is_none()
}

/// Whether a message is for the bot: anything in a private chat; in groups, a mention or a reply to
/// one of the bot's messages.
fn addressed(msg: &Message, me: &Me) -> bool {
    if msg.chat.is_private() {
        return true;
    }
    let replies_to_bot = msg
        .reply_to_message()
        .and_then(|r| r.from.as_ref())
        .is_some_and(|u| u.id == me.id);
    replies_to_bot
        || msg
            .text()
            .is_some_and(|t| find_mention(t, me.username()).is_some())
}

/// Byte range of `@username` in `text` (case-insensitive, not followed by more name characters).
fn find_mention(text: &str, username: &str) -> Option<(usize, usize)> {
    if username.is_empty() {
        return None;
    }
    let needle = format!("@{}", username.to_ascii_lowercase());
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(&needle) {
        let start = from + at;
        let end = start + needle.len();
        let next = lower[end..].chars().next();
        if !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Some((start, end));
        }
        from = end;
    }
    None
}

/// The question without the bot's `@username` in it.
fn strip_mention(text: &str, username: &str) -> String {
    let mut text = text.to_string();
    while let Some((start, end)) = find_mention(&text, username) {
        text.replace_range(start..end, " ");
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The keyboard without its 👍/👎 buttons; `None` if it had none.
fn without_feedback(keyboard: &InlineKeyboardMarkup) -> Option<InlineKeyboardMarkup> {
    let is_feedback = |b: &InlineKeyboardButton| {
        matches!(&b.kind, InlineKeyboardButtonKind::CallbackData(d)
            if matches!(Callback::decode(d), Some(Callback::Feedback { .. })))
    };
    if !keyboard.inline_keyboard.iter().flatten().any(is_feedback) {
        return None;
    }
    let rows: Vec<Vec<InlineKeyboardButton>> = keyboard
        .inline_keyboard
        .iter()
        .map(|row| {
            row.iter()
                .filter(|b| !is_feedback(b))
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|row| !row.is_empty())
        .collect();
    Some(InlineKeyboardMarkup::new(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn a_panicking_handler_loses_only_its_update() {
        let handler = journaled().endpoint(|| async {
            if true {
                panic!("boom");
            }
            Ok::<(), HandlerError>(())
        });
        let update: Update = serde_json::from_value(serde_json::json!({
            "update_id": 7,
            "message": {
                "message_id": 1, "date": 0, "text": "hi",
                "chat": { "id": 5, "type": "private", "first_name": "T" },
                "from": { "id": 5, "is_bot": false, "first_name": "T" },
            },
        }))
        .expect("an update");
        // The panic ends this update's handling as if it had been answered: the worker goes on.
        let flow = handler.dispatch(dptree::deps![update.clone()]).await;
        assert!(matches!(flow, ControlFlow::Break(Ok(()))), "{flow:?}");
        // And again: nothing was left broken by the first.
        let flow = handler.dispatch(dptree::deps![update]).await;
        assert!(matches!(flow, ControlFlow::Break(Ok(()))), "{flow:?}");
    }

    #[test]
    fn mentions_are_found_and_stripped() {
        assert_eq!(find_mention("hi @HitBot!", "hitbot"), Some((3, 10)));
        assert_eq!(find_mention("hi @hitbot_two", "hitbot"), None);
        assert_eq!(find_mention("no mention", "hitbot"), None);
        assert_eq!(
            strip_mention("@hitbot how much do HITs earn?", "hitbot"),
            "how much do HITs earn?"
        );
        assert_eq!(
            strip_mention("salary @HITBOT please", "hitbot"),
            "salary please"
        );
    }

    #[test]
    fn feedback_buttons_are_removed_and_others_kept() {
        let kb = InlineKeyboardMarkup::new([
            vec![InlineKeyboardButton::callback("Outlook", "e:outlook")],
            vec![
                InlineKeyboardButton::callback("👍", "f:+:salary"),
                InlineKeyboardButton::callback("👎", "f:-:salary"),
            ],
        ]);
        let kept = without_feedback(&kb).unwrap();
        assert_eq!(kept.inline_keyboard.len(), 1);
        assert_eq!(without_feedback(&kept), None);
    }

    #[tokio::test]
    async fn typing_is_shown_only_for_slow_answers() {
        let shown = AtomicBool::new(false);
        let r = with_typing(
            || 42,
            Duration::from_millis(300),
            || shown.store(true, Ordering::SeqCst),
        )
        .await;
        assert_eq!(r.unwrap(), 42);
        assert!(!shown.load(Ordering::SeqCst));

        let slow = || {
            std::thread::sleep(Duration::from_millis(150));
            7
        };
        let r = with_typing(slow, Duration::from_millis(20), || {
            shown.store(true, Ordering::SeqCst)
        })
        .await;
        assert_eq!(r.unwrap(), 7);
        assert!(shown.load(Ordering::SeqCst));
    }
}
