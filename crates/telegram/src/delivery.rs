//! Delivery that loses nothing: every message to a chat goes through the [`Outbox`].
//!
//! * Handlers never wait for the network. They hand a message to the outbox and return, so
//!   teloxide's per-chat update queues (64 updates, and a full one blocks every chat) stay short.
//! * Every message is written to the [`Journal`] before it is sent (with the update it answers) and
//!   leaves it when Telegram has accepted it; a restart sends what is left ([`Outbox::resume`]).
//! * Each chat has its own delivery task, so messages to one chat keep their order while a chat that
//!   is failing (teloxide sleeps 10 s on any 5xx before returning the error), or waiting out a
//!   `429 retry_after`, never stalls the others. Telegram's rate limits are kept per chat and overall
//!   ([`pace`](super::pace)) unless `[telegram] throttle = false`.
//! * Network errors, 5xx answers and 429s are retried with bounded exponential backoff by the one
//!   retry helper, [`retry`], until the reply is older than `[telegram] give_up_after`; then it is
//!   dropped with a log line and counted (`/stats`).
//! * 403 (blocked, kicked, deactivated) and "chat not found" are logged once and the chat's queued
//!   messages are dropped. A part whose HTML Telegram rejects is resent as the same part's plain
//!   text (made with the HTML, never parsed out of it).
//! * `answerCallbackQuery`, `answerInlineQuery`, `sendChatAction` and edits are not limited or
//!   journaled; they run as tracked side tasks with a short retry (few attempts, no long waits).
//! * Photos (charts) are uploaded once per picture: the `file_id` Telegram returns is kept under the
//!   photo's key (the chart's fingerprint) and sent instead of the bytes afterwards. A picture is drawn
//!   only when it has to be uploaded. Photos are not journaled (a restart sends the answer, not its
//!   chart).
//!
//! Every delivery task and side call runs on the outbox's [`TaskTracker`]; at shutdown
//! [`Outbox::drain`] closes it, lets idle delivery tasks end at once, and waits (bounded) for the rest.
//! What has not gone out by then stays in the journal for the next start.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use teloxide::payloads::{
    AnswerCallbackQuerySetters, AnswerInlineQuerySetters, EditMessageReplyMarkupSetters,
    EditMessageTextSetters, SendMessageSetters, SendPhotoSetters,
};
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, ChatAction, FileId, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryId,
    InlineQueryResult, InlineQueryResultsButton, InputFile, LinkPreviewOptions, MessageId,
    ParseMode, ReplyParameters,
};
use teloxide::{ApiError, RequestError};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use hitbot_engine::cache::Cache;
use hitbot_store::journal::{Journal, Outbound};

use super::format::{self, Keyboard, Part, Rendered};
use super::pace::{ChatTurn, Pace};
use super::retry::{classify, describe, retry, Backoff, Failure};

/// A per-chat delivery task that has had nothing to do for this long ends (a new one starts on demand).
const IDLE: Duration = Duration::from_secs(60);
/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Attempts for `answer*`, edits: a callback or inline query is only answerable for a few seconds.
const SIDE_ATTEMPTS: u32 = 3;
/// A `retry_after` longer than this is not waited for on side calls (the query would be stale).
const SIDE_MAX_WAIT: Duration = Duration::from_secs(5);
/// Uploaded photos remembered at most (a knowledge version has one careers chart and a few
/// comparisons; old versions' charts are never asked for again, and are the first forgotten).
const MAX_FILE_IDS: usize = 256;

/// The Bot API client used for replies, and Telegram's overall rate limit (`None`: off, for
/// benchmarks against a local mock).
#[derive(Clone)]
pub struct Api {
    bot: Bot,
    pace: Option<Arc<Pace>>,
}

/// Runs the same request code against the client.
macro_rules! with_api {
    ($api:expr, |$r:ident| $body:expr) => {{
        let $r = &$api.bot;
        $body
    }};
}

impl Api {
    /// Sends through `bot`, keeping Telegram's rate limits when `throttle` is set.
    pub fn new(bot: Bot, throttle: bool) -> Api {
        Api {
            bot,
            pace: throttle.then(|| Arc::new(Pace::default())),
        }
    }
}

/// How sends are retried (`retry_backoff`): until they succeed or the reply is too old.
pub fn send_backoff(first: Duration) -> Backoff {
    Backoff {
        attempts: None,
        first,
        max: MAX_BACKOFF,
        longest_retry_after: None,
        until: None,
        level: log::Level::Debug,
    }
}

/// A message for one chat: parts sent in order, the keyboard under the last one.
#[derive(Debug, Clone)]
pub struct OutMessage {
    pub chat: ChatId,
    /// Each part's HTML, and its plain text in case Telegram rejects the HTML.
    pub parts: Vec<Part>,
    pub keyboard: Option<InlineKeyboardMarkup>,
    /// In groups, the user's message the reply answers.
    pub reply_to: Option<MessageId>,
}

impl OutMessage {
    /// Splits a rendered message into parts Telegram accepts.
    pub fn new(chat: ChatId, rendered: &Rendered, reply_to: Option<MessageId>) -> OutMessage {
        OutMessage {
            chat,
            parts: format::split_rendered(rendered, format::MAX_MESSAGE_LEN),
            keyboard: markup(&rendered.keyboard),
            reply_to,
        }
    }
}

/// An [`OutMessage`] as the journal keeps it.
#[derive(Serialize, Deserialize)]
struct Stored {
    chat: i64,
    /// Each part's HTML and plain text.
    parts: Vec<(String, String)>,
    keyboard: Option<InlineKeyboardMarkup>,
    reply_to: Option<i32>,
}

impl Stored {
    fn of(m: &OutMessage) -> Stored {
        Stored {
            chat: m.chat.0,
            parts: m
                .parts
                .iter()
                .map(|p| (p.html.clone(), p.plain.clone()))
                .collect(),
            keyboard: m.keyboard.clone(),
            reply_to: m.reply_to.map(|id| id.0),
        }
    }

    fn into_message(self) -> OutMessage {
        OutMessage {
            chat: ChatId(self.chat),
            parts: self
                .parts
                .into_iter()
                .map(|(html, plain)| Part { html, plain })
                .collect(),
            keyboard: self.keyboard,
            reply_to: self.reply_to.map(MessageId),
        }
    }
}

/// A message's place in the journal.
#[derive(Debug, Clone, Copy)]
struct Tracked {
    /// Its journal row; `None`: not journaled (no journal, or writing it failed).
    row: Option<i64>,
    /// When it was made: its age decides when it is given up.
    created: SystemTime,
    /// Parts already delivered (before a restart).
    skip: usize,
}

/// A keyboard as teloxide wants it; `None` when empty.
pub fn markup(keyboard: &Keyboard) -> Option<InlineKeyboardMarkup> {
    let rows: Vec<Vec<InlineKeyboardButton>> = keyboard
        .iter()
        .map(|row| {
            row.iter()
                .map(|b| InlineKeyboardButton::callback(b.text.clone(), b.data.clone()))
                .collect::<Vec<_>>()
        })
        .filter(|row| !row.is_empty())
        .collect();
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

/// Draws a photo's PNG when it has to be uploaded; `None` if it cannot be drawn.
pub type Render = Arc<dyn Fn() -> Option<Arc<Vec<u8>>> + Send + Sync>;

/// A photo for one chat, sent by `file_id` once Telegram has it.
#[derive(Clone)]
pub struct OutPhoto {
    pub chat: ChatId,
    /// What the picture shows (e.g. a chart's fingerprint): equal keys mean equal pictures, so the
    /// `file_id` of one upload serves them all.
    pub key: String,
    pub render: Render,
    /// Plain text under the photo (at most 1024 characters).
    pub caption: String,
    /// The upload's file name.
    pub file_name: &'static str,
    pub reply_to: Option<MessageId>,
}

impl fmt::Debug for OutPhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutPhoto")
            .field("chat", &self.chat)
            .field("key", &self.key)
            .field("caption", &self.caption)
            .finish_non_exhaustive()
    }
}

enum Job {
    Message(OutMessage, Tracked),
    Photo(OutPhoto),
    EditMarkup {
        message: MessageId,
        keyboard: InlineKeyboardMarkup,
    },
    /// A message's text and keyboard replaced (the inbox says what a button did).
    EditText {
        message: MessageId,
        part: Part,
        keyboard: Option<InlineKeyboardMarkup>,
    },
}

enum Outcome {
    Delivered,
    /// Not delivered: refused for good, or (`aged`) still failing when the reply got too old.
    Lost {
        aged: bool,
    },
    /// The chat is gone (blocked, kicked...): drop what is queued for it.
    Gone(String),
}

tokio::task_local! {
    /// The update a handler is answering: messages it sends are journaled with it.
    static ANSWERING: i64;
}

/// Runs a handler: the messages it sends answer `update`.
pub async fn answering<F: Future>(update: i64, handler: F) -> F::Output {
    ANSWERING.scope(update, handler).await
}

/// Per-chat ordered delivery with retry, plus tracked side calls.
pub struct Outbox {
    api: Api,
    /// How sends (messages, photos) are retried.
    send: Backoff,
    /// How side calls are retried: a few quick attempts, since a callback or inline query can only
    /// be answered for a few seconds.
    side: Backoff,
    /// A reply still failing when it is this old is dropped (`[telegram] give_up_after`).
    give_up_after: Duration,
    /// Where messages wait until Telegram has them; `None`: in memory only.
    journal: Option<Arc<Journal>>,
    /// The queue of each chat with a live delivery task.
    chats: Mutex<HashMap<ChatId, mpsc::UnboundedSender<Job>>>,
    /// Every delivery task and side call, so that a stop can wait for what is still going out.
    tasks: TaskTracker,
    /// Cancelled when draining starts: a delivery task with nothing queued ends at once instead of
    /// idling for a minute.
    closing: CancellationToken,
    /// Telegram's `file_id` of each photo uploaded, by the photo's key.
    file_ids: Cache<String, String>,
    /// The tasks not known to have finished, so that a stop can end them at its deadline.
    running: Mutex<Vec<tokio::task::AbortHandle>>,
}

impl Outbox {
    /// An outbox sending through `api`, retrying sends as `send` says (see [`send_backoff`]) for up
    /// to `give_up_after`, journaling messages in `journal`.
    pub fn new(
        api: Api,
        send: Backoff,
        give_up_after: Duration,
        journal: Option<Arc<Journal>>,
    ) -> Arc<Outbox> {
        Arc::new(Outbox {
            api,
            send,
            side: Backoff {
                attempts: Some(SIDE_ATTEMPTS),
                longest_retry_after: Some(SIDE_MAX_WAIT),
                level: log::Level::Debug,
                ..send
            },
            give_up_after,
            journal,
            chats: Mutex::new(HashMap::new()),
            tasks: TaskTracker::new(),
            closing: CancellationToken::new(),
            file_ids: Cache::new(MAX_FILE_IDS, None),
            running: Mutex::new(Vec::new()),
        })
    }

    /// Runs `task` on the tracker, abortable by [`Outbox::drain`].
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let handle = self.tasks.spawn(task).abort_handle();
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.len() >= 1024 {
            running.retain(|h| !h.is_finished());
        }
        running.push(handle);
    }

    /// The journal, if any.
    pub fn journal(&self) -> Option<&Arc<Journal>> {
        self.journal.as_ref()
    }

    /// Queues a message (journaled first, with the update being answered); returns at once.
    pub fn send(self: &Arc<Self>, message: OutMessage) {
        if message.parts.is_empty() {
            return;
        }
        let created = SystemTime::now();
        let row = self.journal.as_ref().and_then(|j| {
            let body = serde_json::to_string(&Stored::of(&message)).ok()?;
            let update = ANSWERING.try_with(|u| *u).ok();
            j.queue(update, message.chat.0, &body, created)
                .map_err(|e| log::error!("journal: a reply is kept in memory only: {e}"))
                .ok()
        });
        let chat = message.chat;
        let tracked = Tracked {
            row,
            created,
            skip: 0,
        };
        self.enqueue(chat, Job::Message(message, tracked));
    }

    /// Queues the replies a journal still held at start (before anything new), in their order.
    /// Returns how many were queued.
    pub fn resume(self: &Arc<Self>, replies: Vec<Outbound>) -> usize {
        let mut queued = 0;
        for o in replies {
            match serde_json::from_str::<Stored>(&o.body) {
                Ok(stored) => {
                    let message = stored.into_message();
                    let tracked = Tracked {
                        row: Some(o.id),
                        created: o.created,
                        skip: o.sent_parts as usize,
                    };
                    if tracked.skip >= message.parts.len() {
                        self.finished(tracked, &Outcome::Delivered);
                        continue;
                    }
                    self.enqueue(message.chat, Job::Message(message, tracked));
                    queued += 1;
                }
                Err(e) => {
                    log::warn!("journal: reply {} cannot be read ({e}); dropped", o.id);
                    if let Some(j) = &self.journal {
                        let _ = j.give_up(o.id, false);
                    }
                }
            }
        }
        queued
    }

    /// Tells the journal how a message ended.
    fn finished(&self, tracked: Tracked, outcome: &Outcome) {
        let (Some(journal), Some(row)) = (&self.journal, tracked.row) else {
            return;
        };
        let result = match outcome {
            Outcome::Delivered => journal.done(row),
            Outcome::Lost { aged } => journal.give_up(row, *aged),
            Outcome::Gone(_) => journal.give_up(row, false),
        };
        if let Err(e) = result {
            log::error!("journal: {e}");
        }
    }

    /// Marks an update handled in the journal (its replies, if any, are queued).
    pub fn handled(&self, update: i64) {
        if let Some(j) = &self.journal {
            if let Err(e) = j.handled(update) {
                log::error!("journal: {e}");
            }
        }
    }

    /// Queues a photo (after the chat's earlier messages).
    pub fn send_photo(self: &Arc<Self>, photo: OutPhoto) {
        let chat = photo.chat;
        self.enqueue(chat, Job::Photo(photo));
    }

    /// The `file_id` Telegram gave the photo with this key, if it was uploaded.
    pub fn file_id(&self, key: &str) -> Option<String> {
        self.file_ids.get(&key.to_string())
    }

    /// Keeps (or, with `None`, forgets) the `file_id` of the photo with this key.
    fn remember_file_id(&self, key: &str, file_id: Option<String>) {
        self.file_ids
            .update_at(key.to_string(), std::time::Instant::now(), |slot| {
                *slot = file_id
            });
    }

    /// Queues a keyboard change of a message the bot sent (after the chat's earlier messages).
    pub fn edit_markup(
        self: &Arc<Self>,
        chat: ChatId,
        message: MessageId,
        keyboard: InlineKeyboardMarkup,
    ) {
        self.enqueue(chat, Job::EditMarkup { message, keyboard });
    }

    /// Queues a change of a message the bot sent: its text becomes `rendered` (the first part, if
    /// it is longer than a message) with its keyboard (none when empty).
    pub fn edit_text(self: &Arc<Self>, chat: ChatId, message: MessageId, rendered: &Rendered) {
        let Some(part) = format::split_rendered(rendered, format::MAX_MESSAGE_LEN)
            .into_iter()
            .next()
        else {
            return;
        };
        let keyboard = markup(&rendered.keyboard);
        self.enqueue(
            chat,
            Job::EditText {
                message,
                part,
                keyboard,
            },
        );
    }

    /// Answers a button press (stops the client's spinner), with a short retry.
    pub fn answer_callback(self: &Arc<Self>, id: CallbackQueryId, text: Option<String>) {
        let outbox = Arc::clone(self);
        self.spawn(async move {
            let result = retry(&outbox.side, "answerCallbackQuery", || {
                let (id, text) = (id.clone(), text.clone());
                async {
                    with_api!(&outbox.api, |r| {
                        let mut req = r.answer_callback_query(id);
                        if let Some(t) = text {
                            req = req.text(t);
                        }
                        req.await.map(drop)
                    })
                }
            })
            .await;
            if let Err(e) = result {
                log::warn!("answerCallbackQuery failed: {}", describe(&e));
            }
        });
    }

    /// Answers an inline query, with a short retry.
    pub fn answer_inline(
        self: &Arc<Self>,
        id: InlineQueryId,
        results: Vec<InlineQueryResult>,
        button: Option<InlineQueryResultsButton>,
        cache_time: u32,
    ) {
        let outbox = Arc::clone(self);
        self.spawn(async move {
            let result = retry(&outbox.side, "answerInlineQuery", || {
                let (id, results, button) = (id.clone(), results.clone(), button.clone());
                async {
                    with_api!(&outbox.api, |r| {
                        let mut req = r.answer_inline_query(id, results).cache_time(cache_time);
                        if let Some(b) = button {
                            req = req.button(b);
                        }
                        req.await.map(drop)
                    })
                }
            })
            .await;
            if let Err(e) = result {
                log::warn!("answerInlineQuery failed: {}", describe(&e));
            }
        });
    }

    /// Shows "typing…" in a chat; best effort, one attempt.
    pub fn typing(self: &Arc<Self>, chat: ChatId) {
        let api = self.api.clone();
        self.spawn(async move {
            let result = with_api!(&api, |r| r
                .send_chat_action(chat, ChatAction::Typing)
                .await
                .map(drop));
            if let Err(e) = result {
                log::debug!("chat {chat}: sendChatAction failed: {}", describe(&e));
            }
        });
    }

    /// Stops taking its time: idle delivery tasks end, and this waits until every queued message and
    /// side call has finished, or `within` has passed; then what is still running is ended (its
    /// messages stay in the journal). Returns how many tasks had not finished.
    pub async fn drain(&self, within: Duration) -> usize {
        self.closing.cancel();
        self.tasks.close();
        match tokio::time::timeout(within, self.tasks.wait()).await {
            Ok(()) => 0,
            Err(_late) => {
                let left = self.tasks.len();
                for task in self
                    .running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .drain(..)
                {
                    task.abort();
                }
                left
            }
        }
    }

    fn enqueue(self: &Arc<Self>, chat: ChatId, job: Job) {
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        // The task removes its queue under this lock only once the queue is empty, so a job sent
        // here is never stranded.
        let job = match chats.get(&chat) {
            Some(tx) => match tx.send(job) {
                Ok(()) => return,
                Err(mpsc::error::SendError(back)) => back,
            },
            None => job,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(job);
        chats.insert(chat, tx);
        self.spawn(Arc::clone(self).chat_task(chat, rx));
    }

    /// Delivers one chat's jobs in order; ends after `IDLE` without work, or as soon as it has none
    /// once draining has started.
    async fn chat_task(self: Arc<Self>, chat: ChatId, mut rx: mpsc::UnboundedReceiver<Job>) {
        let pace = ChatTurn::new(chat.0);
        loop {
            let job = tokio::select! {
                biased;
                job = rx.recv() => job,
                () = self.closing.cancelled() => self.last_job(chat, &mut rx),
                () = tokio::time::sleep(IDLE) => self.last_job(chat, &mut rx),
            };
            let Some(job) = job else { return };
            let outcome = match job {
                Job::Message(m, tracked) => {
                    let outcome = self.deliver(m, tracked, &pace).await;
                    self.finished(tracked, &outcome);
                    outcome
                }
                Job::Photo(p) => self.deliver_photo(p, &pace).await,
                Job::EditMarkup { message, keyboard } => self.edit(chat, message, keyboard).await,
                Job::EditText {
                    message,
                    part,
                    keyboard,
                } => self.edit_text_now(chat, message, part, keyboard).await,
            };
            if let Outcome::Gone(reason) = &outcome {
                let mut dropped = 0;
                while let Ok(job) = rx.try_recv() {
                    if let Job::Message(_, tracked) = job {
                        self.finished(tracked, &outcome);
                    }
                    dropped += 1;
                }
                log::info!("chat {chat}: {reason}; reply dropped (and {dropped} queued)");
            }
        }
    }

    /// A job that came in at the last moment, or `None` after removing the chat's queue (under the
    /// lock `enqueue` takes, so nothing can be sent to it afterwards).
    fn last_job(&self, chat: ChatId, rx: &mut mpsc::UnboundedReceiver<Job>) -> Option<Job> {
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        match rx.try_recv() {
            Ok(job) => Some(job),
            Err(_) => {
                chats.remove(&chat);
                None
            }
        }
    }

    async fn deliver(&self, m: OutMessage, tracked: Tracked, pace: &ChatTurn) -> Outcome {
        let last = m.parts.len() - 1;
        let mut chat = m.chat;
        let mut outcome = Outcome::Delivered;
        let deadline = self.deadline(tracked.created);
        for (k, part) in m.parts.into_iter().enumerate().skip(tracked.skip) {
            let keyboard = if k == last { m.keyboard.as_ref() } else { None };
            let reply_to = if k == 0 { m.reply_to } else { None };
            match self
                .send_part(&mut chat, part, keyboard, reply_to, deadline, pace)
                .await
            {
                Outcome::Delivered => {}
                lost @ Outcome::Lost { .. } => outcome = lost,
                gone @ Outcome::Gone(_) => return gone,
            }
            if k < last {
                if let (Some(j), Some(row)) = (&self.journal, tracked.row) {
                    if let Err(e) = j.progress(row, k as u32 + 1) {
                        log::error!("journal: {e}");
                    }
                }
            }
        }
        outcome
    }

    /// When a reply made at `created` is given up.
    fn deadline(&self, created: SystemTime) -> tokio::time::Instant {
        let age = created.elapsed().unwrap_or_default();
        tokio::time::Instant::now() + self.give_up_after.saturating_sub(age)
    }

    /// Sends one part as HTML, or as its plain text if Telegram rejects the HTML.
    async fn send_part(
        &self,
        chat: &mut ChatId,
        part: Part,
        keyboard: Option<&InlineKeyboardMarkup>,
        reply_to: Option<MessageId>,
        deadline: tokio::time::Instant,
        pace: &ChatTurn,
    ) -> Outcome {
        let mut html = true;
        loop {
            let text = if html { &part.html } else { &part.plain };
            let result = self
                .sending(chat, "sendMessage", deadline, pace, |chat| {
                    let text = text.clone();
                    async move {
                        with_api!(&self.api, |r| {
                            let mut req = r
                                .send_message(chat, text)
                                .link_preview_options(no_preview());
                            if html {
                                req = req.parse_mode(ParseMode::Html);
                            }
                            if let Some(k) = keyboard {
                                req = req.reply_markup(k.clone());
                            }
                            if let Some(id) = reply_to {
                                req = req.reply_parameters(
                                    ReplyParameters::new(id).allow_sending_without_reply(),
                                );
                            }
                            req.await.map(drop)
                        })
                    }
                })
                .await;
            match result {
                Ok(()) => return Outcome::Delivered,
                Err((Failure::BadHtml, e)) if html => {
                    log::error!(
                        "chat {chat}: Telegram rejected our HTML ({}); sending plain text",
                        describe(&e)
                    );
                    html = false;
                }
                Err(failure) => return lost(*chat, failure),
            }
        }
    }

    /// Sends a photo by its `file_id` when Telegram has it, else draws and uploads it and keeps the
    /// `file_id` Telegram returns.
    async fn deliver_photo(&self, p: OutPhoto, pace: &ChatTurn) -> Outcome {
        let mut chat = p.chat;
        let deadline = self.deadline(SystemTime::now());
        if let Some(id) = self.file_id(&p.key) {
            match self
                .send_photo_once(
                    &mut chat,
                    &p,
                    InputFile::file_id(FileId(id)),
                    deadline,
                    pace,
                )
                .await
            {
                Ok(_) => return Outcome::Delivered,
                // Telegram no longer knows the file (a new bot token, say): upload it again.
                Err((Failure::Permanent, e)) => {
                    log::info!(
                        "chat {chat}: sending photo {} by file_id failed ({}); uploading it",
                        p.key,
                        describe(&e)
                    );
                    self.remember_file_id(&p.key, None);
                }
                Err(failure) => return lost(chat, failure),
            }
        }
        let render = Arc::clone(&p.render);
        let png = match tokio::task::spawn_blocking(move || render()).await {
            Ok(Some(png)) => png,
            Ok(None) | Err(_) => {
                log::error!("chat {chat}: photo {} could not be drawn", p.key);
                return Outcome::Lost { aged: false };
            }
        };
        let file = InputFile::memory(png.as_ref().clone()).file_name(p.file_name);
        match self
            .send_photo_once(&mut chat, &p, file, deadline, pace)
            .await
        {
            Ok(file_id) => {
                if file_id.is_none() {
                    log::warn!("chat {chat}: sendPhoto returned no photo sizes");
                }
                self.remember_file_id(&p.key, file_id);
                Outcome::Delivered
            }
            Err(failure) => lost(chat, failure),
        }
    }

    /// One `sendPhoto` (with retries); the `file_id` of the largest size Telegram stored.
    async fn send_photo_once(
        &self,
        chat: &mut ChatId,
        p: &OutPhoto,
        file: InputFile,
        deadline: tokio::time::Instant,
        pace: &ChatTurn,
    ) -> Result<Option<String>, (Failure, RequestError)> {
        self.sending(chat, "sendPhoto", deadline, pace, |chat| {
            let file = file.clone();
            async move {
                let sent = with_api!(&self.api, |r| {
                    let mut req = r.send_photo(chat, file).caption(p.caption.clone());
                    if let Some(id) = p.reply_to {
                        req = req.reply_parameters(
                            ReplyParameters::new(id).allow_sending_without_reply(),
                        );
                    }
                    req.await
                })?;
                Ok(sent
                    .photo()
                    .and_then(|sizes| sizes.iter().max_by_key(|s| s.width * s.height))
                    .map(|s| s.file.id.0.clone()))
            }
        })
        .await
    }

    /// Runs a send through [`retry`] until `deadline`, each attempt in the chat's turn (`pace`),
    /// following a group's move to a supergroup once. A failure for good (or a transient one still
    /// there at the deadline) is returned with how to treat it.
    async fn sending<T, F, Fut>(
        &self,
        chat: &mut ChatId,
        method: &str,
        deadline: tokio::time::Instant,
        pace: &ChatTurn,
        mut call: F,
    ) -> Result<T, (Failure, RequestError)>
    where
        F: FnMut(ChatId) -> Fut,
        Fut: Future<Output = Result<T, RequestError>>,
    {
        let mut moved = false;
        loop {
            let to = *chat;
            let what = format!("chat {to}: {method}");
            let backoff = Backoff {
                until: Some(deadline),
                ..self.send
            };
            let overall = self.api.pace.as_deref();
            let attempt = || {
                let request = call(to);
                async move {
                    pace.wait(overall).await;
                    request.await
                }
            };
            let e = match retry(&backoff, &what, attempt).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            match classify(&e) {
                Failure::Migrated(new) if !moved => {
                    log::info!("chat {to} moved to {new}; sending there");
                    *chat = new;
                    moved = true;
                }
                failure => return Err((failure, e)),
            }
        }
    }

    async fn edit(
        &self,
        chat: ChatId,
        message: MessageId,
        keyboard: InlineKeyboardMarkup,
    ) -> Outcome {
        let result = retry(&self.side, "editMessageReplyMarkup", || {
            let keyboard = keyboard.clone();
            async move {
                with_api!(&self.api, |r| r
                    .edit_message_reply_markup(chat, message)
                    .reply_markup(keyboard)
                    .await
                    .map(drop))
            }
        })
        .await;
        match result {
            Ok(()) => Outcome::Delivered,
            // Pressed twice, or the message is gone: nothing to change.
            Err(RequestError::Api(
                ApiError::MessageNotModified | ApiError::MessageToEditNotFound,
            )) => Outcome::Delivered,
            Err(e) => {
                log::debug!(
                    "chat {chat}: editMessageReplyMarkup failed: {}",
                    describe(&e)
                );
                Outcome::Lost { aged: false }
            }
        }
    }
}

impl Outbox {
    /// `editMessageText` with the part's HTML, or its plain text if Telegram rejects the HTML.
    async fn edit_text_now(
        &self,
        chat: ChatId,
        message: MessageId,
        part: Part,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Outcome {
        let mut html = true;
        loop {
            let text = if html { &part.html } else { &part.plain };
            let result = retry(&self.side, "editMessageText", || {
                let keyboard = keyboard.clone();
                async move {
                    with_api!(&self.api, |r| {
                        let mut req = r
                            .edit_message_text(chat, message, text.clone())
                            .link_preview_options(no_preview());
                        if html {
                            req = req.parse_mode(ParseMode::Html);
                        }
                        if let Some(k) = keyboard {
                            req = req.reply_markup(k);
                        }
                        req.await.map(drop)
                    })
                }
            })
            .await;
            match result {
                Ok(()) => return Outcome::Delivered,
                Err(RequestError::Api(
                    ApiError::MessageNotModified | ApiError::MessageToEditNotFound,
                )) => return Outcome::Delivered,
                Err(e) if html && matches!(classify(&e), Failure::BadHtml) => {
                    log::error!(
                        "chat {chat}: Telegram rejected our HTML ({}); editing as plain text",
                        describe(&e)
                    );
                    html = false;
                }
                Err(e) => {
                    log::warn!("chat {chat}: editMessageText failed: {}", describe(&e));
                    return Outcome::Lost { aged: false };
                }
            }
        }
    }
}

/// What a send that failed for good means for the chat's queue, logged once.
fn lost(chat: ChatId, (failure, e): (Failure, RequestError)) -> Outcome {
    match failure {
        Failure::Gone(reason) => Outcome::Gone(reason),
        // Sends retry transient failures until the deadline: one that comes back is the last.
        Failure::Transient(_) => {
            log::warn!(
                "chat {chat}: reply given up: still failing at [telegram] give_up_after ({}); if \
                 Telegram's answers were what got lost it may have arrived",
                describe(&e)
            );
            Outcome::Lost { aged: true }
        }
        _ => {
            log::warn!("chat {chat}: reply dropped: {}", describe(&e));
            Outcome::Lost { aged: false }
        }
    }
}

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outbox whose Bot API refuses every connection (nothing listens on port 1).
    fn outbox() -> Arc<Outbox> {
        let url = "http://127.0.0.1:1".parse().expect("url");
        let api = Api::new(Bot::new("1:TEST").set_api_url(url), false);
        Outbox::new(
            api,
            send_backoff(Duration::from_millis(1)),
            Duration::from_millis(50),
            None,
        )
    }

    #[test]
    fn file_ids_are_kept_forgotten_and_bounded() {
        let outbox = outbox();
        outbox.remember_file_id("careers-1", Some("AgAC1".into()));
        assert_eq!(outbox.file_id("careers-1").as_deref(), Some("AgAC1"));
        outbox.remember_file_id("careers-1", None);
        assert_eq!(outbox.file_id("careers-1"), None);
        for k in 0..1000 {
            outbox.remember_file_id(&format!("chart-{k}"), Some(format!("id-{k}")));
        }
        assert!(outbox.file_ids.len() <= MAX_FILE_IDS);
        // The most recent uploads are the ones kept.
        assert_eq!(outbox.file_id("chart-999").as_deref(), Some("id-999"));
        assert_eq!(outbox.file_id("chart-0"), None);
    }

    #[tokio::test]
    async fn draining_ends_idle_delivery_tasks_at_once() {
        let outbox = outbox();
        assert_eq!(outbox.drain(Duration::from_secs(1)).await, 0);

        let outbox = self::outbox();
        let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("a", "t")]]);
        outbox.edit_markup(ChatId(5), MessageId(1), keyboard);
        outbox.answer_callback(CallbackQueryId("q".into()), None);
        // The edit fails (after its retries) and its chat's task then idles for a minute; the stop
        // must not wait for that.
        let started = std::time::Instant::now();
        assert_eq!(outbox.drain(Duration::from_secs(20)).await, 0);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(outbox.chats.lock().unwrap().is_empty());
    }
}
