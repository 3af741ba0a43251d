//! Delivery that loses nothing: every message to a chat goes through the [`Outbox`].
//!
//! * Handlers never wait for the network. They hand a message to the outbox and return, so
//!   teloxide's per-chat update queues (64 updates, and a full one blocks every chat) stay short.
//! * Each chat has its own delivery task, so messages to one chat keep their order while a chat that
//!   is failing (teloxide sleeps 10 s on any 5xx before returning the error) never stalls the others.
//! * Sends go through teloxide's `Throttle` (Telegram's rate limits; it retries 429s) unless
//!   `[telegram] throttle = false`. On top of it, network errors, 5xx answers and 429s are retried
//!   here with bounded exponential backoff (`send_attempts`).
//! * 403 (blocked, kicked, deactivated) and "chat not found" are logged once and the chat's queued
//!   messages are dropped. HTML that Telegram rejects is resent as plain text.
//! * `answerCallbackQuery`, `answerInlineQuery`, `sendChatAction` and edits are not limited or retried
//!   by `Throttle`; they run as tracked side tasks with their own short retry.
//! * Photos (charts) are uploaded once per picture: the `file_id` Telegram returns is kept under the
//!   photo's key (the chart's fingerprint) and sent instead of the bytes afterwards. A picture is drawn
//!   only when it has to be uploaded.
//!
//! Shutdown waits (bounded) for [`Outbox::drain`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use teloxide::adaptors::throttle::{Limits, Settings};
use teloxide::adaptors::Throttle;
use teloxide::payloads::{
    AnswerCallbackQuerySetters, AnswerInlineQuerySetters, EditMessageReplyMarkupSetters,
    SendMessageSetters, SendPhotoSetters,
};
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, ChatAction, FileId, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryId,
    InlineQueryResult, InlineQueryResultsButton, InputFile, LinkPreviewOptions, MessageId,
    ParseMode, ReplyParameters,
};
use teloxide::{ApiError, RequestError};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::format::{self, Keyboard, Rendered};
use super::secrets::redact;

/// A per-chat delivery task that has had nothing to do for this long ends (a new one starts on demand).
const IDLE: Duration = Duration::from_secs(60);
/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Attempts for `answer*`, edits: a callback or inline query is only answerable for a few seconds.
const SIDE_ATTEMPTS: u32 = 3;
/// A `retry_after` longer than this is not waited for on side calls (the query would be stale).
const SIDE_MAX_WAIT: Duration = Duration::from_secs(5);
/// Uploaded photos remembered at most (a knowledge version has one careers chart and a few
/// comparisons; old versions' charts are never asked for again).
const MAX_FILE_IDS: usize = 256;

/// Telegram's limits for bots: about 30 messages a second overall, 1 a second in one chat, 20 a minute
/// in one chat or group (teloxide's default for groups and channels is a more careful 10).
const TELEGRAM_LIMITS: Limits = Limits {
    messages_per_sec_chat: 1,
    messages_per_min_chat: 20,
    messages_per_min_channel_or_supergroup: 20,
    messages_per_sec_overall: 30,
};

/// The Bot API client used for replies: throttled (the default) or plain (benchmarks).
#[derive(Clone)]
pub enum Api {
    Throttled(Throttle<Bot>),
    Plain(Bot),
}

/// Runs the same request code against either client.
macro_rules! with_api {
    ($api:expr, |$r:ident| $body:expr) => {
        match $api {
            Api::Throttled($r) => $body,
            Api::Plain($r) => $body,
        }
    };
}

impl Api {
    /// Wraps `bot` in `Throttle` with Telegram's limits when `throttle` is set. Needs a Tokio runtime.
    pub fn new(bot: Bot, throttle: bool) -> Api {
        if !throttle {
            return Api::Plain(bot);
        }
        // A full queue is normal in a burst (the outbox keeps the rest); teloxide would warn every
        // few seconds.
        let settings =
            Settings::default()
                .limits(TELEGRAM_LIMITS)
                .on_queue_full(|pending| async move {
                    log::debug!("Throttle queue is full ({pending} pending requests)")
                });
        let (throttled, worker) = Throttle::with_settings(bot, settings);
        tokio::spawn(worker);
        Api::Throttled(throttled)
    }
}

/// How to deal with a failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try, after at least this long (network error, 5xx, 429).
    Transient(Duration),
    /// The group became a supergroup: send there instead.
    Migrated(ChatId),
    /// Telegram could not parse our HTML (a bug here): send as plain text instead.
    BadHtml,
    /// The chat cannot receive messages from us any more (blocked, kicked, not found).
    Gone(String),
    /// Anything else: retrying would fail the same way.
    Permanent,
}

/// Sorts an error into what to do about it. teloxide drops the HTTP status, so a 5xx is recognised
/// by elimination: an unknown API error whose description is not a 4xx one (`Bad Request: ...`,
/// `Forbidden: ...`), or a body that is not JSON at all (an HTML 502 page from a proxy).
pub fn classify(error: &RequestError) -> Failure {
    match error {
        RequestError::RetryAfter(s) => Failure::Transient(s.duration()),
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            Failure::Transient(Duration::ZERO)
        }
        RequestError::MigrateToChatId(to) => Failure::Migrated(*to),
        RequestError::Api(ApiError::CantParseEntities(_)) => Failure::BadHtml,
        RequestError::Api(ApiError::ChatNotFound) => Failure::Gone("chat not found".into()),
        RequestError::Api(api) => {
            let description = match api {
                ApiError::Unknown(d) => d.clone(),
                known => known.to_string(),
            };
            if description.starts_with("Forbidden")
                || description.starts_with("Unauthorized: bot was kicked")
            {
                Failure::Gone(description)
            } else if matches!(api, ApiError::Unknown(_)) && is_server_error(&description) {
                Failure::Transient(Duration::ZERO)
            } else {
                Failure::Permanent
            }
        }
    }
}

fn is_server_error(description: &str) -> bool {
    const CLIENT_ERRORS: &[&str] = &[
        "Bad Request",
        "Unauthorized",
        "Forbidden",
        "Not Found",
        "Conflict",
        "Too Many Requests",
    ];
    !CLIENT_ERRORS.iter().any(|p| description.starts_with(p))
}

/// An error as it may be logged: without the token.
pub fn describe(error: &RequestError) -> String {
    redact(&error.to_string())
}

/// Wait before attempt `attempt + 1`: `base`, 2×, 4×… capped, plus a little jitter so that chats
/// failing together do not retry in lockstep.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1 << attempt.saturating_sub(1).min(6));
    let jitter_ms = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()),
    ) % (base.as_millis() as u64 / 4 + 1);
    exp.min(MAX_BACKOFF) + Duration::from_millis(jitter_ms)
}

/// Retry settings for sends.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per message part, the first included (`[telegram] send_attempts`).
    pub attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub backoff: Duration,
}

/// A message for one chat: HTML parts sent in order, the keyboard under the last one.
#[derive(Debug, Clone)]
pub struct OutMessage {
    pub chat: ChatId,
    pub parts: Vec<String>,
    pub keyboard: Option<InlineKeyboardMarkup>,
    /// In groups, the user's message the reply answers.
    pub reply_to: Option<MessageId>,
}

impl OutMessage {
    /// Splits a rendered message into parts Telegram accepts.
    pub fn new(chat: ChatId, rendered: &Rendered, reply_to: Option<MessageId>) -> OutMessage {
        OutMessage {
            chat,
            parts: format::split_for_telegram(&rendered.html, format::MAX_MESSAGE_LEN),
            keyboard: markup(&rendered.keyboard),
            reply_to,
        }
    }
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
    Message(OutMessage),
    Photo(OutPhoto),
    EditMarkup {
        message: MessageId,
        keyboard: InlineKeyboardMarkup,
    },
}

enum Outcome {
    Delivered,
    Lost,
    /// The chat is gone (blocked, kicked...): drop what is queued for it.
    Gone(String),
}

/// Per-chat ordered delivery with retry, plus tracked side calls.
pub struct Outbox {
    api: Api,
    policy: RetryPolicy,
    /// The queue of each chat with a live delivery task.
    chats: Mutex<HashMap<ChatId, mpsc::UnboundedSender<(Job, Pending)>>>,
    /// Jobs and side calls not finished yet (for a bounded drain at shutdown).
    pending: AtomicUsize,
    /// Telegram's `file_id` of each photo uploaded, by the photo's key.
    file_ids: Mutex<HashMap<String, String>>,
}

/// Decrements `pending` when a job or side call ends, however it ends.
struct Pending(Arc<Outbox>);

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Outbox {
    pub fn new(api: Api, policy: RetryPolicy) -> Arc<Outbox> {
        Arc::new(Outbox {
            api,
            policy: RetryPolicy {
                attempts: policy.attempts.max(1),
                backoff: policy.backoff,
            },
            chats: Mutex::new(HashMap::new()),
            pending: AtomicUsize::new(0),
            file_ids: Mutex::new(HashMap::new()),
        })
    }

    /// Queues a message; returns at once.
    pub fn send(self: &Arc<Self>, message: OutMessage) {
        if message.parts.is_empty() {
            return;
        }
        let chat = message.chat;
        self.enqueue(chat, Job::Message(message));
    }

    /// Queues a photo (after the chat's earlier messages).
    pub fn send_photo(self: &Arc<Self>, photo: OutPhoto) {
        let chat = photo.chat;
        self.enqueue(chat, Job::Photo(photo));
    }

    /// The `file_id` Telegram gave the photo with this key, if it was uploaded.
    pub fn file_id(&self, key: &str) -> Option<String> {
        self.file_ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    fn remember_file_id(&self, key: &str, file_id: Option<String>) {
        let mut ids = self.file_ids.lock().unwrap_or_else(|e| e.into_inner());
        match file_id {
            Some(id) => {
                if ids.len() >= MAX_FILE_IDS && !ids.contains_key(key) {
                    ids.clear();
                }
                ids.insert(key.to_string(), id);
            }
            None => {
                ids.remove(key);
            }
        }
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

    /// Answers a button press (stops the client's spinner), with a short retry.
    pub fn answer_callback(self: &Arc<Self>, id: CallbackQueryId, text: Option<String>) {
        let api = self.api.clone();
        let base = self.policy.backoff;
        self.spawn_side(async move {
            let result = side_retry(base, "answerCallbackQuery", || {
                let (id, text) = (id.clone(), text.clone());
                let api = api.clone();
                async move {
                    with_api!(&api, |r| {
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
        let api = self.api.clone();
        let base = self.policy.backoff;
        self.spawn_side(async move {
            let result = side_retry(base, "answerInlineQuery", || {
                let (id, results, button) = (id.clone(), results.clone(), button.clone());
                let api = api.clone();
                async move {
                    with_api!(&api, |r| {
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
        self.spawn_side(async move {
            let result = with_api!(&api, |r| r
                .send_chat_action(chat, ChatAction::Typing)
                .await
                .map(drop));
            if let Err(e) = result {
                log::debug!("chat {chat}: sendChatAction failed: {}", describe(&e));
            }
        });
    }

    /// Waits until every queued message and side call has finished, or `deadline`; returns how many
    /// had not.
    pub async fn drain(&self, deadline: Instant) -> usize {
        loop {
            let left = self.pending.load(Ordering::Acquire);
            if left == 0 || Instant::now() >= deadline {
                return left;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn track(self: &Arc<Self>) -> Pending {
        self.pending.fetch_add(1, Ordering::AcqRel);
        Pending(Arc::clone(self))
    }

    fn spawn_side(self: &Arc<Self>, call: impl Future<Output = ()> + Send + 'static) {
        let pending = self.track();
        tokio::spawn(async move {
            call.await;
            drop(pending);
        });
    }

    fn enqueue(self: &Arc<Self>, chat: ChatId, job: Job) {
        let pending = self.track();
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        // The task removes its queue under this lock only once the queue is empty, so a job sent
        // here is never stranded.
        let job = match chats.get(&chat) {
            Some(tx) => match tx.send((job, pending)) {
                Ok(()) => return,
                Err(mpsc::error::SendError(back)) => back,
            },
            None => (job, pending),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(job);
        chats.insert(chat, tx);
        tokio::spawn(Arc::clone(self).chat_task(chat, rx));
    }

    /// Delivers one chat's jobs in order; ends after `IDLE` without work.
    async fn chat_task(
        self: Arc<Self>,
        chat: ChatId,
        mut rx: mpsc::UnboundedReceiver<(Job, Pending)>,
    ) {
        loop {
            let (job, pending) = match tokio::time::timeout(IDLE, rx.recv()).await {
                Ok(Some(item)) => item,
                Ok(None) => return,
                Err(_idle) => {
                    let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
                    match rx.try_recv() {
                        Ok(item) => item,
                        Err(_) => {
                            chats.remove(&chat);
                            return;
                        }
                    }
                }
            };
            let outcome = match job {
                Job::Message(m) => self.deliver(m).await,
                Job::Photo(p) => self.deliver_photo(p).await,
                Job::EditMarkup { message, keyboard } => self.edit(chat, message, keyboard).await,
            };
            drop(pending);
            if let Outcome::Gone(reason) = outcome {
                let mut dropped = 0;
                while let Ok((_job, pending)) = rx.try_recv() {
                    dropped += 1;
                    drop(pending);
                }
                log::info!("chat {chat}: {reason}; reply dropped (and {dropped} queued)");
            }
        }
    }

    async fn deliver(&self, m: OutMessage) -> Outcome {
        let last = m.parts.len() - 1;
        let mut chat = m.chat;
        let mut outcome = Outcome::Delivered;
        for (k, part) in m.parts.into_iter().enumerate() {
            let keyboard = if k == last { m.keyboard.as_ref() } else { None };
            let reply_to = if k == 0 { m.reply_to } else { None };
            match self.send_part(&mut chat, part, keyboard, reply_to).await {
                Outcome::Delivered => {}
                Outcome::Lost => outcome = Outcome::Lost,
                gone @ Outcome::Gone(_) => return gone,
            }
        }
        outcome
    }

    async fn send_part(
        &self,
        chat: &mut ChatId,
        mut text: String,
        keyboard: Option<&InlineKeyboardMarkup>,
        reply_to: Option<MessageId>,
    ) -> Outcome {
        let mut html = true;
        loop {
            let result = self
                .retrying(chat, |chat| {
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
                    text = format::html_to_plain(&text);
                }
                Err(failure) => return lost(*chat, failure),
            }
        }
    }

    /// Sends a photo by its `file_id` when Telegram has it, else draws and uploads it and keeps the
    /// `file_id` Telegram returns.
    async fn deliver_photo(&self, p: OutPhoto) -> Outcome {
        let mut chat = p.chat;
        if let Some(id) = self.file_id(&p.key) {
            match self
                .send_photo_once(&mut chat, &p, InputFile::file_id(FileId(id)))
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
                return Outcome::Lost;
            }
        };
        let file = InputFile::memory(png.as_ref().clone()).file_name(p.file_name);
        match self.send_photo_once(&mut chat, &p, file).await {
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
    ) -> Result<Option<String>, (Failure, RequestError)> {
        self.retrying(chat, |chat| {
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

    /// Runs a send until it succeeds, retrying transient failures (network, 5xx, 429) with backoff
    /// up to `attempts` times and following a group's move to a supergroup. Any other failure, or the
    /// last transient one, is returned with how to treat it.
    async fn retrying<T, F, Fut>(
        &self,
        chat: &mut ChatId,
        mut call: F,
    ) -> Result<T, (Failure, RequestError)>
    where
        F: FnMut(ChatId) -> Fut,
        Fut: Future<Output = Result<T, RequestError>>,
    {
        let mut attempt = 1;
        loop {
            let e = match call(*chat).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            match classify(&e) {
                Failure::Transient(wait) if attempt < self.policy.attempts => {
                    let wait = wait.max(backoff(self.policy.backoff, attempt));
                    log::debug!(
                        "chat {chat}: send failed ({}); attempt {}/{} in {} ms",
                        describe(&e),
                        attempt + 1,
                        self.policy.attempts,
                        wait.as_millis()
                    );
                    tokio::time::sleep(wait).await;
                }
                Failure::Migrated(to) if attempt < self.policy.attempts => {
                    log::info!("chat {chat} moved to {to}; sending there");
                    *chat = to;
                }
                failure => return Err((failure, e)),
            }
            attempt += 1;
        }
    }

    async fn edit(
        &self,
        chat: ChatId,
        message: MessageId,
        keyboard: InlineKeyboardMarkup,
    ) -> Outcome {
        let result = side_retry(self.policy.backoff, "editMessageReplyMarkup", || {
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
                Outcome::Lost
            }
        }
    }
}

/// What a send that failed for good means for the chat's queue, logged once.
fn lost(chat: ChatId, (failure, e): (Failure, RequestError)) -> Outcome {
    match failure {
        Failure::Gone(reason) => Outcome::Gone(reason),
        Failure::Transient(_) => {
            log::warn!(
                "chat {chat}: reply lost after its last attempt: {}",
                describe(&e)
            );
            Outcome::Lost
        }
        _ => {
            log::warn!("chat {chat}: reply dropped: {}", describe(&e));
            Outcome::Lost
        }
    }
}

/// A few quick attempts for calls `Throttle` does not retry (answers, edits).
async fn side_retry<F, Fut>(base: Duration, what: &str, mut call: F) -> Result<(), RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), RequestError>>,
{
    let mut attempt = 1;
    loop {
        let e = match call().await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        match classify(&e) {
            Failure::Transient(wait) if attempt < SIDE_ATTEMPTS && wait <= SIDE_MAX_WAIT => {
                let wait = wait.max(backoff(base, attempt));
                log::debug!(
                    "{what} failed ({}); retrying in {} ms",
                    describe(&e),
                    wait.as_millis()
                );
                tokio::time::sleep(wait).await;
            }
            _ => return Err(e),
        }
        attempt += 1;
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
    use teloxide::types::Seconds;

    #[test]
    fn transient_errors_are_retried_and_4xx_are_not() {
        assert_eq!(
            classify(&RequestError::RetryAfter(Seconds::from_seconds(3))),
            Failure::Transient(Duration::from_secs(3))
        );
        assert_eq!(
            classify(&RequestError::Api(ApiError::Unknown(
                "Internal Server Error".into()
            ))),
            Failure::Transient(Duration::ZERO)
        );
        assert_eq!(
            classify(&RequestError::Api(ApiError::Unknown("Bad Gateway".into()))),
            Failure::Transient(Duration::ZERO)
        );
        assert_eq!(
            classify(&RequestError::Api(ApiError::Unknown(
                "Bad Request: something new".into()
            ))),
            Failure::Permanent
        );
        assert_eq!(
            classify(&RequestError::Api(ApiError::MessageTextIsEmpty)),
            Failure::Permanent
        );
        assert_eq!(
            classify(&RequestError::Api(ApiError::InvalidToken)),
            Failure::Permanent
        );
    }

    #[test]
    fn blocked_and_missing_chats_are_gone() {
        for e in [
            ApiError::BotBlocked,
            ApiError::ChatNotFound,
            ApiError::UserDeactivated,
            ApiError::BotKicked,
        ] {
            assert!(
                matches!(classify(&RequestError::Api(e.clone())), Failure::Gone(_)),
                "{e:?}"
            );
        }
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown(
                "Forbidden: bot can't initiate conversation with a user".into()
            ))),
            Failure::Gone(_)
        ));
    }

    #[test]
    fn bad_html_falls_back_to_plain_text() {
        let e = RequestError::Api(ApiError::CantParseEntities("Can't find end tag".into()));
        assert_eq!(classify(&e), Failure::BadHtml);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(400);
        let b1 = backoff(base, 1);
        let b3 = backoff(base, 3);
        assert!(b1 >= base && b1 <= base + base / 4 + Duration::from_millis(1));
        assert!(b3 >= base * 4);
        assert!(backoff(base, 30) <= MAX_BACKOFF + base);
    }
}
