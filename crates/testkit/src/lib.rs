//! Test support: a mock Telegram Bot API served on 127.0.0.1 inside the test process, and a harness
//! that runs the real bot (`hitbot_telegram::run`) against it. The Telegram tests and the load
//! example (`examples/telegram_load.rs`) use it.
//!
//! The mock serves `/bot<TOKEN>/<Method>` (teloxide sends `SendMessage`; methods match
//! case-insensitively and are recorded as `sendMessage`), queues updates for `getUpdates` (real long
//! polling), records every call, and injects faults: 429 with `retry_after`, 500, a dropped
//! connection, or any error; for the next calls of a method or spread over them (every n-th).
//! Like Telegram, it rejects HTML it cannot parse, texts over 4096 characters and callback data over
//! 64 bytes, so tests see what Telegram would refuse. `sendPhoto` accepts an upload (recorded as
//! `{"upload": file name, "size": bytes, "png": true}`) or a `file_id` it handed out before, and
//! answers with a photo message whose largest size carries the `file_id`.
//!
//! Tests wait for recorded calls with a deadline (`wait_for`), never with fixed sleeps.

#![forbid(unsafe_code)]

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use hitbot_engine::{Advisor, AdvisorHandle, AnswerConfig, EngineConfig};
use hitbot_store::{EventKind, MemorySink, StoreConfig};
use hitbot_telegram::{self as telegram, Options, TelegramConfig, TelegramError};

/// The token tests run with.
pub const TOKEN: &str = "123456:TEST";
/// The bot's username in `getMe`.
pub const BOT_USERNAME: &str = "hitbot_test_bot";
/// The bot's user id (the token's number).
pub const BOT_ID: i64 = 123456;
/// How long a test waits for something the bot should do.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// One recorded Bot API call.
#[derive(Debug, Clone)]
pub struct Call {
    /// Order of completion (1, 2, ...).
    pub seq: usize,
    /// Canonical method name, e.g. `sendMessage`.
    pub method: String,
    pub params: Value,
    /// HTTP status answered; 0 for a dropped connection.
    pub status: u16,
    /// The `result` answered (e.g. the sent message), `null` on errors.
    pub result: Value,
    /// When the call was answered.
    pub at: Instant,
}

impl Call {
    pub fn ok(&self) -> bool {
        self.status == 200
    }

    /// The id of the message a successful send created.
    pub fn message_id(&self) -> i64 {
        self.result
            .get("message_id")
            .and_then(Value::as_i64)
            .unwrap_or_default()
    }

    pub fn chat_id(&self) -> Option<i64> {
        self.params.get("chat_id").and_then(Value::as_i64)
    }

    /// The message a sent message replies to (`reply_parameters.message_id`).
    pub fn reply_to(&self) -> Option<i64> {
        self.params
            .pointer("/reply_parameters/message_id")
            .and_then(Value::as_i64)
    }

    pub fn text(&self) -> &str {
        self.params
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Every `callback_data` of the inline keyboard, row by row.
    pub fn buttons(&self) -> Vec<Vec<String>> {
        let rows = self
            .params
            .pointer("/reply_markup/inline_keyboard")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        rows.iter()
            .map(|row| {
                row.as_array()
                    .into_iter()
                    .flatten()
                    .map(|b| {
                        b.get("callback_data")
                            .or_else(|| b.get("url"))
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string()
                    })
                    .collect()
            })
            .collect()
    }

    pub fn all_buttons(&self) -> Vec<String> {
        self.buttons().concat()
    }

    /// For `sendPhoto`: whether the photo was uploaded (not sent by `file_id`).
    pub fn uploaded(&self) -> bool {
        self.params["photo"].get("upload").is_some()
    }

    /// For `sendPhoto`: the `file_id` Telegram gave the photo (largest size).
    pub fn file_id(&self) -> &str {
        self.result["photo"]
            .as_array()
            .and_then(|sizes| sizes.last())
            .and_then(|s| s["file_id"].as_str())
            .unwrap_or("")
    }
}

/// A fault for the next call(s) of a method.
#[derive(Debug, Clone)]
pub enum Fault {
    /// HTTP 429 with `parameters.retry_after`.
    TooManyRequests { retry_after: u32 },
    /// HTTP 500 `Internal Server Error` (JSON body, as Telegram sends it).
    ServerError,
    /// The connection is closed without an answer; the call is not executed.
    Drop,
    /// The call is executed (a message is sent), then the connection is closed without an answer:
    /// the bot cannot know it worked (the one case where the Bot API forces a duplicate).
    DropAfter,
    /// Any error, e.g. `(403, "Forbidden: bot was blocked by the user")`.
    Error(u16, String),
}

struct FaultRule {
    method: String,
    chat: Option<i64>,
    fault: Fault,
    remaining: u32,
    /// The fault hits every `every`-th matching call (1: the next ones).
    every: u32,
    /// Matching calls seen so far.
    seen: u32,
}

#[derive(Default)]
struct State {
    next_update_id: i64,
    /// Updates not yet confirmed by a `getUpdates` offset.
    updates: VecDeque<Value>,
    /// The highest `offset` a `getUpdates` call confirmed.
    confirmed_offset: i64,
    calls: Vec<Call>,
    faults: Vec<FaultRule>,
    next_message_id: HashMap<i64, i64>,
    /// Every message in every chat (the users' and the bot's), for replies and button presses.
    messages: HashMap<(i64, i64), Value>,
    next_query_id: u64,
    /// When set, any other token gets 401.
    required_token: Option<String>,
    /// `getUpdates` calls that have arrived (calls are recorded only when answered, and a long
    /// poll is answered when an update comes or after its timeout).
    polls: usize,
    /// `file_id`s of uploaded photos.
    files: Vec<String>,
    /// Successful `sendMessage` calls so far.
    messages_sent: usize,
    /// Until then every call is dropped unanswered (the Bot API is down).
    down_until: Option<Instant>,
    /// Calls executed whose answer was dropped (`Fault::DropAfter`).
    lost_answers: usize,
}

struct Shared {
    state: Mutex<State>,
    changed: Notify,
}

/// The mock server. Dropping it stops serving.
pub struct MockApi {
    pub url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for MockApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Why a connection is closed without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

impl MockApi {
    pub async fn start() -> MockApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                next_update_id: 1000,
                ..State::default()
            }),
            changed: Notify::new(),
        });
        let server = tokio::spawn({
            let shared = Arc::clone(&shared);
            async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let shared = Arc::clone(&shared);
                    tokio::spawn(async move {
                        let service =
                            hyper::service::service_fn(move |req| serve(Arc::clone(&shared), req));
                        // An error from the service (a `Drop` fault) closes the connection unanswered.
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        });
        MockApi {
            url,
            shared,
            server,
        }
    }

    /// Only `token` is accepted from now on; others get 401 Unauthorized.
    pub fn require_token(&self, token: &str) {
        self.state().required_token = Some(token.to_string());
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, kind: &str, body: Value) -> i64 {
        let id = {
            let mut s = self.state();
            let id = s.next_update_id;
            s.next_update_id += 1;
            let mut update = json!({ "update_id": id });
            update[kind] = body;
            s.updates.push_back(update);
            id
        };
        self.shared.changed.notify_waiters();
        id
    }

    /// Queues a raw update (e.g. an `edited_message`); returns its update id.
    pub fn push_update(&self, kind: &str, body: Value) -> i64 {
        self.push(kind, body)
    }

    /// A user's text message in a private chat (chat id = user id); returns the message id.
    pub fn say(&self, chat: i64, text: &str) -> i64 {
        self.message(chat, chat, json!({ "text": text }), None)
    }

    /// A user's text message in a group chat (negative id), optionally replying to a message.
    pub fn say_in_group(&self, chat: i64, user: i64, text: &str, reply_to: Option<i64>) -> i64 {
        self.message(chat, user, json!({ "text": text }), reply_to)
    }

    /// A message with any content, e.g. `json!({"sticker": ...})`; returns the message id.
    pub fn message(&self, chat: i64, user: i64, content: Value, reply_to: Option<i64>) -> i64 {
        let msg = {
            let mut s = self.state();
            let id = next_message_id(&mut s, chat);
            let mut msg = json!({
                "message_id": id,
                "date": now(),
                "chat": chat_object(chat),
                "from": user_object(user),
            });
            merge(&mut msg, &content);
            if let Some(text) = content.get("text").and_then(Value::as_str) {
                if let Some(len) = command_length(text) {
                    msg["entities"] =
                        json!([{ "type": "bot_command", "offset": 0, "length": len }]);
                }
            }
            if let Some(r) = reply_to.and_then(|r| s.messages.get(&(chat, r)).cloned()) {
                msg["reply_to_message"] = r;
            }
            s.messages.insert((chat, id), msg.clone());
            msg
        };
        let id = msg["message_id"].as_i64().unwrap_or_default();
        self.push("message", msg);
        id
    }

    /// A press of the button with `data` on message `message_id` of the chat; returns the query id.
    pub fn press(&self, chat: i64, message_id: i64, data: &str) -> String {
        let (id, message) = {
            let mut s = self.state();
            s.next_query_id += 1;
            let message = s.messages.get(&(chat, message_id)).cloned().unwrap_or_else(
                || json!({ "message_id": message_id, "date": 0, "chat": chat_object(chat) }),
            );
            (format!("cq{}", s.next_query_id), message)
        };
        self.push(
            "callback_query",
            json!({
                "id": id,
                "from": user_object(if chat > 0 { chat } else { 1 }),
                "message": message,
                "chat_instance": "42",
                "data": data,
            }),
        );
        id
    }

    /// An inline query (`@bot QUERY`) from a user; returns the query id.
    pub fn inline(&self, user: i64, query: &str) -> String {
        let id = {
            let mut s = self.state();
            s.next_query_id += 1;
            format!("iq{}", s.next_query_id)
        };
        self.push(
            "inline_query",
            json!({ "id": id, "from": user_object(user), "query": query, "offset": "" }),
        );
        id
    }

    /// Makes the next `count` calls of `method` fail with `fault`.
    pub fn fail_next(&self, method: &str, fault: Fault, count: u32) {
        self.fail_next_in(method, None, fault, count);
    }

    /// Like `fail_next`, for calls to one chat only.
    pub fn fail_next_in(&self, method: &str, chat: Option<i64>, fault: Fault, count: u32) {
        self.state().faults.push(FaultRule {
            method: method.to_ascii_lowercase(),
            chat,
            fault,
            remaining: count,
            every: 1,
            seen: 0,
        });
    }

    /// Makes every `every`-th call of `method` fail with `fault`, `count` times in all (faults
    /// spread over a run rather than in a burst).
    pub fn fail_every(&self, method: &str, fault: Fault, every: u32, count: u32) {
        self.state().faults.push(FaultRule {
            method: method.to_ascii_lowercase(),
            chat: None,
            fault,
            remaining: count,
            every: every.max(1),
            seen: 0,
        });
    }

    /// The Bot API is down for `d` from now: every call's connection is closed unanswered.
    pub fn outage(&self, d: Duration) {
        self.state().down_until = Some(Instant::now() + d);
    }

    /// Calls executed whose answer was then dropped (`Fault::DropAfter`).
    pub fn lost_answers(&self) -> usize {
        self.state().lost_answers
    }

    /// Removes every fault rule (faults already hit stay hit).
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// How many `sendMessage` calls have succeeded so far.
    pub fn messages_sent(&self) -> usize {
        self.state().messages_sent
    }

    /// Waits (up to `patience`) until `n` messages have been sent in all; returns how many were.
    pub async fn wait_for_sent(&self, n: usize, patience: Duration) -> usize {
        let deadline = Instant::now() + patience;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let sent = self.messages_sent();
            if sent >= n || Instant::now() >= deadline {
                return sent;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// Calls of one method so far.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// Successful `sendMessage` calls to a chat so far.
    pub fn sent_to(&self, chat: i64) -> Vec<Call> {
        self.calls_of("sendMessage")
            .into_iter()
            .filter(|c| c.ok() && c.chat_id() == Some(chat))
            .collect()
    }

    /// The highest offset a `getUpdates` call has confirmed.
    pub fn confirmed_offset(&self) -> i64 {
        self.state().confirmed_offset
    }

    /// The last update id queued.
    pub fn last_update_id(&self) -> i64 {
        self.state().next_update_id - 1
    }

    /// Waits until the bot has started a `getUpdates` long poll.
    pub async fn wait_for_polling(&self) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.state().polls > 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for a getUpdates long poll"
            );
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    /// Waits until a call of `method` matching `pred` has been recorded; panics after `PATIENCE`.
    pub async fn wait_for(&self, method: &str, pred: impl Fn(&Call) -> bool) -> Call {
        self.wait_until(&format!("a {method} call"), |calls| {
            calls
                .iter()
                .find(|c| c.method == method && pred(c))
                .cloned()
        })
        .await
    }

    /// Waits until `n` successful messages have been sent to `chat`; returns them in order.
    pub async fn wait_for_replies(&self, chat: i64, n: usize) -> Vec<Call> {
        self.wait_until(&format!("{n} replies in chat {chat}"), |calls| {
            let sent: Vec<Call> = calls
                .iter()
                .filter(|c| c.method == "sendMessage" && c.ok() && c.chat_id() == Some(chat))
                .cloned()
                .collect();
            (sent.len() >= n).then_some(sent)
        })
        .await
    }

    /// Waits for the first successful reply in `chat`.
    pub async fn reply_in(&self, chat: i64) -> Call {
        self.wait_for_replies(chat, 1).await.remove(0)
    }

    /// Waits until `check` returns something; panics with the calls so far after `PATIENCE`.
    /// `check` runs with the mock's state locked: it must not call the mock.
    pub async fn wait_until<T>(&self, what: &str, check: impl Fn(&[Call]) -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // Checked under the lock, without copying the calls (a load test makes thousands).
            if let Some(found) = check(&self.state().calls) {
                return found;
            }
            if Instant::now() >= deadline {
                let calls: Vec<String> = self
                    .calls()
                    .iter()
                    .filter(|c| c.method != "getUpdates")
                    .map(|c| format!("{} {} {}", c.status, c.method, c.params))
                    .collect();
                panic!(
                    "timed out waiting for {what}; calls so far:\n{}",
                    calls.join("\n")
                );
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }
}

fn next_message_id(s: &mut State, chat: i64) -> i64 {
    let id = s.next_message_id.entry(chat).or_insert(0);
    *id += 1;
    *id
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn merge(target: &mut Value, extra: &Value) {
    if let (Some(t), Some(e)) = (target.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            t.insert(k.clone(), v.clone());
        }
    }
}

/// Length of a leading `/command[@bot]`.
fn command_length(text: &str) -> Option<usize> {
    if !text.starts_with('/') {
        return None;
    }
    Some(
        text.split_whitespace()
            .next()
            .map_or(0, |w| w.encode_utf16().count()),
    )
}

/// Commands with distinct answers: each reply's 👍 button names the entry it answers from.
pub const COMMANDS: [(&str, &str); 5] = [
    ("/salary", "salary"),
    ("/skills", "skills"),
    ("/certification", "certification"),
    ("/organizations", "organizations"),
    ("/about", "about"),
];

/// The entry each successful reply to `chat` answers from (its 👍 button), in the order sent.
pub fn answered_entries(calls: &[Call], chat: i64) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.method == "sendMessage" && c.ok() && c.chat_id() == Some(chat))
        .filter_map(|c| {
            c.all_buttons()
                .iter()
                .find_map(|b| b.strip_prefix("f:+:").map(str::to_string))
        })
        .collect()
}

pub fn chat_object(chat: i64) -> Value {
    if chat > 0 {
        json!({ "id": chat, "type": "private", "first_name": "Tester" })
    } else if chat <= -1_000_000_000_000 {
        json!({ "id": chat, "type": "supergroup", "title": "Test supergroup" })
    } else {
        json!({ "id": chat, "type": "group", "title": "Test group" })
    }
}

pub fn user_object(user: i64) -> Value {
    json!({ "id": user, "is_bot": false, "first_name": "Tester" })
}

fn bot_user() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": "HIT bot", "username": BOT_USERNAME })
}

type Answer = Result<Response<Full<Bytes>>, Dropped>;

fn respond(status: u16, body: Value) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

fn api_error(status: u16, description: &str) -> (u16, Value) {
    (
        status,
        json!({ "ok": false, "error_code": status, "description": description }),
    )
}

async fn serve(shared: Arc<Shared>, req: Request<Incoming>) -> Answer {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(Dropped),
    };
    let Some((token, method)) = path
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
        .map(|(t, m)| (t.to_string(), canonical(m)))
    else {
        return respond(
            404,
            json!({ "ok": false, "error_code": 404, "description": "Not Found" }),
        );
    };
    let mut params: Value = match content_type.split_once("boundary=") {
        Some((_, boundary)) => multipart(&body, boundary.trim_matches('"')),
        None => serde_json::from_slice(&body).unwrap_or_else(|_| json!({})),
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        if let Some((k, v)) = pair.split_once('=') {
            params[k] = Value::String(v.to_string());
        }
    }

    // Faults and the token check come first, as on a real server.
    let fault = {
        let mut s = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.required_token.as_ref().is_some_and(|t| *t != token) {
            let (status, body) = api_error(401, "Unauthorized");
            record(&shared, &mut s, &method, &params, status, &body);
            return respond(status, body);
        }
        if s.down_until.is_some_and(|t| Instant::now() < t) {
            Some(Fault::Drop)
        } else {
            take_fault(&mut s, &method, &params)
        }
    };
    let outcome: Option<(u16, Value)> = match fault {
        Some(Fault::TooManyRequests { retry_after }) => Some((
            429,
            json!({
                "ok": false, "error_code": 429,
                "description": format!("Too Many Requests: retry after {retry_after}"),
                "parameters": { "retry_after": retry_after },
            }),
        )),
        Some(Fault::ServerError) => Some(api_error(500, "Internal Server Error")),
        Some(Fault::Error(code, description)) => Some(api_error(code, &description)),
        Some(Fault::Drop) => {
            let mut s = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            record(&shared, &mut s, &method, &params, 0, &Value::Null);
            return Err(Dropped);
        }
        Some(Fault::DropAfter) if method != "getUpdates" => {
            let (status, body) = execute(&shared, &method, &params);
            let mut s = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            // Recorded as what it did (a sent message counts), though the bot never hears of it.
            record(&shared, &mut s, &method, &params, status, &body);
            s.lost_answers += 1;
            return Err(Dropped);
        }
        Some(Fault::DropAfter) => None,
        None => None,
    };
    let (status, body) = match outcome {
        Some(o) => o,
        None if method == "getUpdates" => {
            shared.state.lock().unwrap_or_else(|e| e.into_inner()).polls += 1;
            shared.changed.notify_waiters();
            get_updates(&shared, &params).await
        }
        None => execute(&shared, &method, &params),
    };
    {
        let mut s = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        record(&shared, &mut s, &method, &params, status, &body);
    }
    respond(status, body)
}

/// The fields of a `multipart/form-data` body (teloxide sends `setWebhook` and uploads this way);
/// JSON-looking values are decoded, and a file part becomes `{"upload": name, "size": bytes, "png":
/// whether it is a PNG}`.
fn multipart(body: &[u8], boundary: &str) -> Value {
    let delimiter = format!("--{boundary}");
    let mut params = json!({});
    for part in split_bytes(body, delimiter.as_bytes()) {
        let Some(head_end) = find_bytes(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..head_end]);
        let mut value = &part[head_end + 4..];
        if value.ends_with(b"\r\n") {
            value = &value[..value.len() - 2];
        }
        let field = |key: &str| {
            head.split(&format!("{key}=\""))
                .nth(1)
                .and_then(|n| n.split('"').next())
                .map(str::to_string)
        };
        // `name=` also matches inside `filename=`: take the name from before any filename.
        let Some(name) = head
            .split("filename=")
            .next()
            .and_then(|h| h.split("name=\"").nth(1))
            .and_then(|n| n.split('"').next())
        else {
            continue;
        };
        params[name] = match field("filename") {
            Some(file) => json!({
                "upload": file,
                "size": value.len(),
                "png": value.starts_with(b"\x89PNG\r\n\x1a\n"),
            }),
            None => {
                let text = String::from_utf8_lossy(value);
                serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()))
            }
        };
    }
    // teloxide names uploads `attach://<part>` in the field and sends the file as that part.
    if let Some(fields) = params.as_object_mut() {
        let attached: Vec<(String, String)> = fields
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.clone(),
                    v.as_str()?.strip_prefix("attach://")?.to_string(),
                ))
            })
            .collect();
        for (field, part) in attached {
            if let Some(file) = fields.remove(&part) {
                fields.insert(field, file);
            }
        }
    }
    params
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(mut body: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    while let Some(at) = find_bytes(body, delimiter) {
        parts.push(&body[..at]);
        body = &body[at + delimiter.len()..];
    }
    parts.push(body);
    parts
}

/// `SendMessage` → `sendMessage`.
fn canonical(method: &str) -> String {
    let mut chars = method.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn record(shared: &Shared, s: &mut State, method: &str, params: &Value, status: u16, body: &Value) {
    let seq = s.calls.len() + 1;
    if method == "sendMessage" && status == 200 {
        s.messages_sent += 1;
    }
    s.calls.push(Call {
        seq,
        method: method.to_string(),
        params: params.clone(),
        status,
        result: body.get("result").cloned().unwrap_or(Value::Null),
        at: Instant::now(),
    });
    shared.changed.notify_waiters();
}

fn take_fault(s: &mut State, method: &str, params: &Value) -> Option<Fault> {
    let lower = method.to_ascii_lowercase();
    let chat = params.get("chat_id").and_then(Value::as_i64);
    for rule in s
        .faults
        .iter_mut()
        .filter(|r| r.remaining > 0 && r.method == lower && (r.chat.is_none() || r.chat == chat))
    {
        rule.seen += 1;
        if rule.seen % rule.every == 0 {
            rule.remaining -= 1;
            return Some(rule.fault.clone());
        }
    }
    None
}

async fn get_updates(shared: &Shared, params: &Value) -> (u16, Value) {
    let offset = params.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let timeout = params
        .get("timeout")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .min(50);
    let limit = params
        .get("limit")
        .and_then(Value::as_u64)
        .unwrap_or(100)
        .clamp(1, 100) as usize;
    let deadline = Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = shared.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut s = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            if offset > 0 {
                s.updates
                    .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                s.confirmed_offset = s.confirmed_offset.max(offset);
            }
            if !s.updates.is_empty() || Instant::now() >= deadline {
                let batch: Vec<Value> = s.updates.iter().take(limit).cloned().collect();
                return (200, json!({ "ok": true, "result": batch }));
            }
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

fn execute(shared: &Shared, method: &str, p: &Value) -> (u16, Value) {
    let mut s = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    let ok = |result: Value| (200, json!({ "ok": true, "result": result }));
    match method {
        "getMe" => {
            let mut me = bot_user();
            merge(
                &mut me,
                &json!({
                    "can_join_groups": true, "can_read_all_group_messages": false,
                    "supports_inline_queries": true, "can_connect_to_business": false,
                    "has_main_web_app": false,
                }),
            );
            ok(me)
        }
        "sendMessage" => {
            let Some(chat) = p.get("chat_id").and_then(Value::as_i64) else {
                return api_error(400, "Bad Request: chat not found");
            };
            let text = p.get("text").and_then(Value::as_str).unwrap_or("");
            let visible = if p.get("parse_mode").and_then(Value::as_str) == Some("HTML") {
                match parse_html(text) {
                    Ok(v) => v,
                    Err(e) => {
                        return api_error(400, &format!("Bad Request: can't parse entities: {e}"))
                    }
                }
            } else {
                text.to_string()
            };
            if visible.trim().is_empty() {
                return api_error(400, "Bad Request: message text is empty");
            }
            if visible.encode_utf16().count() > 4096 {
                return api_error(400, "Bad Request: message is too long");
            }
            if let Some(e) = check_keyboard(p.get("reply_markup")) {
                return api_error(400, &e);
            }
            let id = next_message_id(&mut s, chat);
            let mut msg = json!({
                "message_id": id, "date": now(), "chat": chat_object(chat), "from": bot_user(), "text": visible,
            });
            if let Some(markup) = p.get("reply_markup") {
                msg["reply_markup"] = markup.clone();
            }
            s.messages.insert((chat, id), msg.clone());
            ok(msg)
        }
        "sendPhoto" => {
            let Some(chat) = p.get("chat_id").and_then(Value::as_i64) else {
                return api_error(400, "Bad Request: chat not found");
            };
            let caption = p.get("caption").and_then(Value::as_str).unwrap_or("");
            if caption.encode_utf16().count() > 1024 {
                return api_error(400, "Bad Request: message caption is too long");
            }
            let file_id = match &p["photo"] {
                Value::String(id) if s.files.contains(id) => id.clone(),
                Value::Object(upload) if upload.get("png") == Some(&json!(true)) => {
                    let id = format!("AgACph{}", s.files.len() + 1);
                    s.files.push(id.clone());
                    id
                }
                Value::Object(_) => return api_error(400, "Bad Request: IMAGE_PROCESS_FAILED"),
                _ => {
                    return api_error(400, "Bad Request: wrong file identifier/HTTP URL specified")
                }
            };
            let id = next_message_id(&mut s, chat);
            let msg = json!({
                "message_id": id, "date": now(), "chat": chat_object(chat), "from": bot_user(),
                "caption": caption,
                "photo": [
                    { "file_id": format!("{file_id}-s"), "file_unique_id": format!("{file_id}-su"),
                      "width": 90, "height": 60 },
                    { "file_id": file_id, "file_unique_id": format!("{file_id}-u"),
                      "width": 1000, "height": 700 },
                ],
            });
            s.messages.insert((chat, id), msg.clone());
            ok(msg)
        }
        "editMessageReplyMarkup" => {
            let chat = p.get("chat_id").and_then(Value::as_i64).unwrap_or(0);
            let id = p.get("message_id").and_then(Value::as_i64).unwrap_or(0);
            if let Some(e) = check_keyboard(p.get("reply_markup")) {
                return api_error(400, &e);
            }
            match s.messages.get_mut(&(chat, id)) {
                Some(msg) => {
                    match p.get("reply_markup") {
                        Some(m) => msg["reply_markup"] = m.clone(),
                        None => {
                            msg.as_object_mut().map(|o| o.remove("reply_markup"));
                        }
                    }
                    ok(msg.clone())
                }
                None => api_error(400, "Bad Request: message to edit not found"),
            }
        }
        "editMessageText" => {
            let chat = p.get("chat_id").and_then(Value::as_i64).unwrap_or(0);
            let id = p.get("message_id").and_then(Value::as_i64).unwrap_or(0);
            let text = p.get("text").and_then(Value::as_str).unwrap_or("");
            let visible = if p.get("parse_mode").and_then(Value::as_str) == Some("HTML") {
                match parse_html(text) {
                    Ok(v) => v,
                    Err(e) => {
                        return api_error(400, &format!("Bad Request: can't parse entities: {e}"))
                    }
                }
            } else {
                text.to_string()
            };
            if visible.trim().is_empty() {
                return api_error(400, "Bad Request: message text is empty");
            }
            if let Some(e) = check_keyboard(p.get("reply_markup")) {
                return api_error(400, &e);
            }
            match s.messages.get_mut(&(chat, id)) {
                Some(msg) => {
                    msg["text"] = json!(visible);
                    match p.get("reply_markup") {
                        Some(m) => msg["reply_markup"] = m.clone(),
                        None => {
                            msg.as_object_mut().map(|o| o.remove("reply_markup"));
                        }
                    }
                    ok(msg.clone())
                }
                None => api_error(400, "Bad Request: message to edit not found"),
            }
        }
        "answerCallbackQuery" => {
            let text = p.get("text").and_then(Value::as_str).unwrap_or("");
            if text.chars().count() > 200 {
                return api_error(400, "Bad Request: MESSAGE_TOO_LONG");
            }
            ok(json!(true))
        }
        "answerInlineQuery" => {
            let results = p
                .get("results")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if results.len() > 50 {
                return api_error(400, "Bad Request: RESULTS_TOO_MUCH");
            }
            for r in &results {
                let text = r
                    .pointer("/input_message_content/message_text")
                    .and_then(Value::as_str);
                if let Some(Err(e)) = text.map(parse_html) {
                    return api_error(400, &format!("Bad Request: can't parse entities: {e}"));
                }
            }
            ok(json!(true))
        }
        "setMyCommands" => {
            let commands = p
                .get("commands")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for c in &commands {
                let name = c["command"].as_str().unwrap_or("").trim_start_matches('/');
                let valid = !name.is_empty()
                    && name.len() <= 32
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !valid {
                    return api_error(400, "Bad Request: BOT_COMMAND_INVALID");
                }
            }
            ok(json!(true))
        }
        "setMyDescription" => {
            let d = p.get("description").and_then(Value::as_str).unwrap_or("");
            if d.chars().count() > 512 {
                return api_error(400, "Bad Request: description is too long");
            }
            ok(json!(true))
        }
        "setMyShortDescription" => {
            let d = p
                .get("short_description")
                .and_then(Value::as_str)
                .unwrap_or("");
            if d.chars().count() > 120 {
                return api_error(400, "Bad Request: short description is too long");
            }
            ok(json!(true))
        }
        _ => ok(json!(true)),
    }
}

/// Callback data must be 1-64 bytes.
fn check_keyboard(markup: Option<&Value>) -> Option<String> {
    let rows = markup?.get("inline_keyboard")?.as_array()?;
    for b in rows.iter().filter_map(Value::as_array).flatten() {
        if let Some(d) = b.get("callback_data").and_then(Value::as_str) {
            if d.is_empty() || d.len() > 64 {
                return Some("Bad Request: BUTTON_DATA_INVALID".into());
            }
        }
    }
    None
}

/// Telegram's HTML: the supported tags, properly nested; returns the visible text.
pub fn parse_html(html: &str) -> Result<String, String> {
    const TAGS: &[&str] = &[
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    ];
    let mut out = String::new();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let end = rest
                .find('>')
                .ok_or_else(|| "unclosed start tag".to_string())?;
            let inner = &rest[1..end];
            if let Some(name) = inner.strip_prefix('/') {
                let name = name.trim().to_ascii_lowercase();
                match stack.pop() {
                    Some(open) if open == name => {}
                    Some(open) => {
                        return Err(format!(
                            "Unmatched end tag, expected \"</{open}>\", found \"</{name}>\""
                        ))
                    }
                    None => return Err(format!("Unexpected end tag \"</{name}>\"")),
                }
            } else {
                let name = inner
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    return Err(format!("Unsupported start tag \"{name}\""));
                }
                stack.push(name);
            }
            rest = &rest[end + 1..];
        } else if c == '&' {
            let entity = rest
                .char_indices()
                .take(10)
                .find(|(_, ch)| *ch == ';')
                .map(|(i, _)| &rest[..=i]);
            let decoded = match entity {
                Some("&lt;") => Some('<'),
                Some("&gt;") => Some('>'),
                Some("&amp;") => Some('&'),
                Some("&quot;") => Some('"'),
                _ => None,
            };
            match (decoded, entity) {
                (Some(ch), Some(e)) => {
                    out.push(ch);
                    rest = &rest[e.len()..];
                }
                _ => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        } else if c == '>' {
            return Err("Character '>' is reserved".into());
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    match stack.pop() {
        Some(open) => Err(format!(
            "Can't find end tag corresponding to start tag \"{open}\""
        )),
        None => Ok(out),
    }
}

// ----------------------------------------------------------------------------------------------
// The bot under test

/// The handle serving the project's knowledge, built once per test binary (index in a temp
/// folder). Never reloaded: tests of reloading make their own with [`open_handle`].
pub fn handle() -> AdvisorHandle {
    static HANDLE: OnceLock<AdvisorHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| open_handle(knowledge_dir(), "main", None))
        .clone()
}

/// The advisor `handle()` serves.
pub fn advisor() -> Arc<Advisor> {
    handle().get()
}

/// The project's `knowledge/` folder.
pub fn knowledge_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../knowledge"))
}

/// The project's model folder (`models/all-minilm-l6-v2`).
pub fn model_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/all-minilm-l6-v2"
    ))
}

/// The config of an advisor on `knowledge` with its index in a fresh temp folder named after `name`.
pub fn test_config(knowledge: PathBuf, name: &str, max_chars: Option<usize>) -> EngineConfig {
    let mut config = EngineConfig {
        knowledge_dir: knowledge,
        index_dir: temp_dir(&format!("index-{name}")),
        ..EngineConfig::default()
    };
    config.semantic.model_dir = model_dir();
    if let Some(m) = max_chars {
        config.answer.max_chars = m;
    }
    config
}

/// Opens an advisor on `knowledge` with its index in a fresh temp folder named after `name`.
pub fn open_advisor(knowledge: PathBuf, name: &str, max_chars: Option<usize>) -> Advisor {
    let config = test_config(knowledge, name, max_chars);
    Advisor::open(&config).unwrap_or_else(|e| panic!("cannot open the advisor: {e}"))
}

/// A handle serving `knowledge`, which `reload()` reads again.
pub fn open_handle(knowledge: PathBuf, name: &str, max_chars: Option<usize>) -> AdvisorHandle {
    let config = test_config(knowledge, name, max_chars);
    let advisor = Advisor::open(&config).unwrap_or_else(|e| panic!("cannot open the advisor: {e}"));
    AdvisorHandle::new(advisor, config)
}

/// A copy of the project's knowledge in a fresh temp folder, to edit.
pub fn knowledge_copy(name: &str) -> PathBuf {
    let dir = temp_dir(&format!("knowledge-{name}"));
    for file in std::fs::read_dir(knowledge_dir()).expect("knowledge folder") {
        let path = file.expect("knowledge file").path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().expect("file name")))
                .expect("copy knowledge");
        }
    }
    dir
}

/// A fresh folder under the system temp folder, unique to this process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hitbot-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A running bot: stop it with [`Bot::stop`].
pub struct Bot {
    /// The stop signal `run` was started with (as SIGTERM is in production).
    stop: CancellationToken,
    task: Option<JoinHandle<Result<(), TelegramError>>>,
    /// Every event the bot recorded for the operator store.
    pub events: Arc<MemorySink>,
}

/// 👍 and 👎 counted from the recorded events.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Votes {
    pub helpful: usize,
    pub not_helpful: usize,
}

/// Test defaults: fast retries, no throttling (tests of the rate limits turn it on), no
/// knowledge watcher (tests of reloading turn it on).
pub fn options() -> Options {
    let mut o = Options::new(
        &TelegramConfig::default(),
        &AnswerConfig::default(),
        &StoreConfig::default(),
    );
    o.telegram.throttle = false;
    o.retry_backoff = Duration::from_millis(50);
    o.watch_knowledge = None;
    // Within `Bot::stop`'s patience.
    o.telegram.drain_secs = 2;
    // Each bot its own journal (a test that restarts a bot passes the same one again).
    o.journal = Some(fresh_journal());
    o
}

/// A journal path no other bot of this process uses.
pub fn fresh_journal() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir()
        .join(format!("hitbot-test-{}-journals", std::process::id()))
        .join(format!("journal-{n}.sqlite"))
}

impl Bot {
    /// Starts the bot with the test defaults against `api`.
    pub async fn start(api: &MockApi) -> Bot {
        Bot::start_with(api, handle(), TOKEN, |_| {}).await
    }

    /// Starts the bot with changed options; waits until it polls.
    pub async fn start_with(
        api: &MockApi,
        handle: AdvisorHandle,
        token: &str,
        change: impl FnOnce(&mut Options),
    ) -> Bot {
        let bot = Bot::launch(api, handle, token, change);
        api.wait_for_polling().await;
        bot
    }

    /// Starts the bot without waiting for anything.
    pub fn launch(
        api: &MockApi,
        handle: AdvisorHandle,
        token: &str,
        change: impl FnOnce(&mut Options),
    ) -> Bot {
        let events = Arc::new(MemorySink::new());
        let mut o = options();
        o.events = Arc::clone(&events) as Arc<dyn hitbot_store::EventSink>;
        change(&mut o);
        let client = telegram::Bot::new(token).set_api_url(api.url.parse().expect("mock url"));
        let stop = CancellationToken::new();
        let task = tokio::spawn(telegram::run(client, handle, o, stop.clone()));
        Bot {
            stop,
            task: Some(task),
            events,
        }
    }

    /// The 👍/👎 recorded so far on `entry` (`None`: on every entry).
    pub fn votes(&self, entry: Option<&str>) -> Votes {
        let mut votes = Votes::default();
        for e in self.events.events() {
            if entry.is_some() && e.entry.as_deref() != entry {
                continue;
            }
            match e.kind {
                EventKind::Feedback { up: true } => votes.helpful += 1,
                EventKind::Feedback { up: false } => votes.not_helpful += 1,
                _ => {}
            }
        }
        votes
    }

    /// Waits for `run` to return by itself (e.g. after a refused token).
    pub async fn result(mut self) -> Result<(), TelegramError> {
        let task = self.task.take().expect("running");
        tokio::time::timeout(PATIENCE, task)
            .await
            .expect("the bot did not stop")
            .expect("the bot panicked")
    }

    /// Asks the bot to stop and waits (at most 3 s) for it to finish.
    pub async fn stop(mut self) -> Result<(), TelegramError> {
        self.stop.cancel();
        let task = self.task.take().expect("running");
        tokio::time::timeout(Duration::from_secs(3), task)
            .await
            .expect("the bot did not stop within 3 s")
            .expect("the bot panicked")
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
