//! Taking updates from Telegram without losing them. Both ways in — long polling ([`poll`]) and the
//! webhook server ([`webhook`]) — go through [`Intake::take`]: an update is checked, written to the
//! [`Journal`] and only then acknowledged (the next `getUpdates` offset moves past it; the webhook
//! request gets its `200`). An update the journal has seen before (a webhook retry, a batch Telegram
//! sends again after a kill) is not handled twice; one whose chat id no Telegram chat can have is
//! dropped before anything uses it (teloxide's rate limiter panicked on one).
//!
//! The dispatcher reads one [`listener`]: the updates a previous run had taken but not handled
//! (from the journal, oldest first), then what the intake passes on.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use teloxide::payloads::{GetUpdatesSetters, SetWebhookSetters};
use teloxide::prelude::*;
use teloxide::stop::{mk_stop_token, StopToken};
use teloxide::types::{AllowedUpdate, UpdateKind};
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use hitbot_store::journal::{Inbound, Journal};
use hitbot_store::StoreError;

use super::retry::{classify, describe, Backoff, Failure};

/// The update kinds the handlers answer (see `handlers::schema`).
pub const ALLOWED: [AllowedUpdate; 3] = [
    AllowedUpdate::Message,
    AllowedUpdate::CallbackQuery,
    AllowedUpdate::InlineQuery,
];
/// Long-polling timeout, in seconds (teloxide's HTTP client gives up after 17 s).
const POLL_TIMEOUT_SECS: u32 = 10;
/// Longest wait between two failed `getUpdates`.
const MAX_POLL_BACKOFF: Duration = Duration::from_secs(5);
/// Updates taken but not yet read by the dispatcher; a full queue holds back polling (they are
/// journaled already).
pub const QUEUE: usize = 1024;

/// Telegram's chat ids: users and bots `1..2^40`, basic groups `-1..-10^12`, supergroups and channels
/// from `-10^12` down to `-1997852516352` (the ranges teloxide maps; any other id panics it).
pub fn valid_chat_id(id: i64) -> bool {
    const MIN_CHANNEL: i64 = -1_997_852_516_352;
    const MAX_USER: i64 = (1 << 40) - 1;
    id != 0 && (MIN_CHANNEL..=MAX_USER).contains(&id)
}

/// Checks, journals and passes on updates.
#[derive(Clone)]
pub struct Intake {
    journal: Option<Arc<Journal>>,
    tx: mpsc::Sender<Update>,
}

impl Intake {
    pub fn new(journal: Option<Arc<Journal>>, tx: mpsc::Sender<Update>) -> Intake {
        Intake { journal, tx }
    }

    /// Takes a batch. `Err`: the journal could not write it, and Telegram must not be told it
    /// arrived (it will be sent again).
    pub async fn take(&self, updates: Vec<Update>) -> Result<(), StoreError> {
        let mut keep = Vec::with_capacity(updates.len());
        let mut rows = Vec::new();
        for u in updates {
            if let UpdateKind::Error(_) = u.kind {
                log::warn!("update {}: not an update hitbot can read; ignored", u.id.0);
                continue;
            }
            let chat = u.chat().map(|c| c.id.0);
            if let Some(id) = chat.filter(|&id| !valid_chat_id(id)) {
                log::warn!(
                    "update {}: chat id {id} is not a Telegram chat id; ignored",
                    u.id.0
                );
                continue;
            }
            // Inline queries can only be answered for a few seconds: not worth a journal row.
            let journaled = self.journal.is_some() && chat.is_some();
            if journaled {
                match serde_json::to_string(&u) {
                    Ok(body) => rows.push((
                        keep.len(),
                        Inbound {
                            update_id: i64::from(u.id.0),
                            chat,
                            body,
                        },
                    )),
                    Err(e) => log::warn!("update {}: cannot be journaled ({e})", u.id.0),
                }
            }
            keep.push((u, true));
        }
        if let (Some(journal), false) = (&self.journal, rows.is_empty()) {
            let batch: Vec<Inbound> = rows.iter().map(|(_, r)| r.clone()).collect();
            let fresh = journal.accept(&batch)?;
            for ((at, row), new) in rows.iter().zip(fresh) {
                if !new {
                    log::debug!("update {}: seen before; not handled again", row.update_id);
                    keep[*at].1 = false;
                }
            }
        }
        for (u, new) in keep {
            if new && self.tx.send(u).await.is_err() {
                // The dispatcher has stopped: what is journaled is handled at the next start.
                break;
            }
        }
        Ok(())
    }
}

/// The updates a previous run left unhandled, then what the intake passes on; ends when the
/// intake is dropped.
pub fn listener(
    replay: Vec<Update>,
    rx: mpsc::Receiver<Update>,
) -> impl UpdateListener<Err = Infallible> + Send {
    let (token, _flag) = mk_stop_token();
    StatefulListener::new((replay.into(), rx, token), stream, stop_token)
}

type ListenerState = (VecDeque<Update>, mpsc::Receiver<Update>, StopToken);

fn stream(
    state: &mut ListenerState,
) -> impl futures::Stream<Item = Result<Update, Infallible>> + Send + '_ {
    futures::stream::poll_fn(move |cx| {
        if let Some(u) = state.0.pop_front() {
            return Poll::Ready(Some(Ok(u)));
        }
        state.1.poll_recv(cx).map(|u| u.map(Ok))
    })
}

fn stop_token(state: &mut ListenerState) -> StopToken {
    state.2.clone()
}

/// The journaled updates a previous run took but did not handle, as updates (unreadable ones are
/// marked handled and skipped).
pub fn replay(journal: &Journal, pending: Vec<Inbound>) -> Vec<Update> {
    pending
        .into_iter()
        .filter_map(|row| match serde_json::from_str::<Update>(&row.body) {
            Ok(u) => Some(u),
            Err(e) => {
                log::warn!(
                    "journal: update {} cannot be read ({e}); skipped",
                    row.update_id
                );
                let _ = journal.handled(row.update_id);
                None
            }
        })
        .collect()
}

/// Long polling until `stop`: each batch is taken (journaled) before the next `getUpdates`
/// acknowledges it; at the end one more call acknowledges the last batch.
pub async fn poll(bot: Bot, intake: Intake, stop: CancellationToken, first_backoff: Duration) {
    // The one backoff of `retry.rs`: growing waits, never shorter than Telegram's `retry_after`.
    let backoff = Backoff {
        attempts: None,
        first: first_backoff.max(Duration::from_millis(10)),
        max: MAX_POLL_BACKOFF,
        longest_retry_after: None,
        until: None,
        level: log::Level::Warn,
    };
    let mut offset: Option<i32> = None;
    let mut failures: u32 = 0;
    loop {
        let mut request = bot
            .get_updates()
            .timeout(POLL_TIMEOUT_SECS)
            .allowed_updates(ALLOWED);
        if let Some(o) = offset {
            request = request.offset(o);
        }
        let got = tokio::select! {
            () = stop.cancelled() => break,
            got = request.send() => got,
        };
        let wait = match got {
            Ok(updates) => {
                let next = updates.iter().map(|u| u.id.0 as i32 + 1).max();
                match intake.take(updates).await {
                    Ok(()) => {
                        failures = 0;
                        if next.is_some() {
                            offset = next;
                        }
                        continue;
                    }
                    Err(e) => {
                        log::error!(
                            "journal: cannot record updates ({e}); Telegram keeps them until it can"
                        );
                        failures += 1;
                        backoff.wait(failures)
                    }
                }
            }
            Err(e) => {
                failures += 1;
                log::warn!("getUpdates failed: {}", describe(&e));
                let at_least = match classify(&e) {
                    Failure::Transient(d) => d,
                    _ => Duration::ZERO,
                };
                at_least.max(backoff.wait(failures))
            }
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
        }
    }
    // Acknowledge the last batch, so that the next start does not get it again (the journal would
    // know it, but there is no need to fetch it twice).
    if let Some(o) = offset {
        let ack = bot.get_updates().offset(o).limit(1).timeout(0).send();
        if let Ok(Err(e)) = tokio::time::timeout(Duration::from_millis(500), ack).await {
            log::debug!("acknowledging the last updates failed: {}", describe(&e));
        }
    }
}

struct Hook {
    intake: Intake,
    secret: String,
    stop: CancellationToken,
}

/// The webhook: registers `url` with Telegram (`setWebhook` with `secret`), serves updates on
/// `tcp` until `stop`, then deletes the webhook (Telegram keeps updates until the next start).
pub async fn webhook(
    bot: Bot,
    url: url::Url,
    secret: String,
    tcp: tokio::net::TcpListener,
    intake: Intake,
    stop: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, teloxide::RequestError> {
    bot.set_webhook(url.clone())
        .secret_token(secret.clone())
        .allowed_updates(ALLOWED)
        .await?;
    let path = match url.path() {
        "" => "/".to_string(),
        p => p.to_string(),
    };
    let hook = Arc::new(Hook {
        intake,
        secret,
        stop: stop.clone(),
    });
    let router = axum::Router::new()
        .route(&path, axum::routing::post(on_post))
        .with_state(hook);
    let address: Option<SocketAddr> = tcp.local_addr().ok();
    Ok(tokio::spawn(async move {
        let served = axum::serve(tcp, router)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        if let Err(e) = served {
            log::error!("the webhook server on {address:?} failed: {e}");
        }
        if let Err(e) = bot.delete_webhook().await {
            log::warn!("deleteWebhook failed: {}", describe(&e));
        }
    }))
}

/// One update from Telegram: `401` without the secret, `503` while stopping and `500` if the
/// journal cannot take it (Telegram tries again later), else `200`.
async fn on_post(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers
        .get("x-telegram-bot-api-secret-token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same(given, hook.secret.as_bytes()) {
        return StatusCode::UNAUTHORIZED;
    }
    if hook.stop.is_cancelled() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            // Telegram would send it again and again: take it and say why it was ignored.
            log::warn!("webhook: a request that is not an update ({e}); ignored");
            return StatusCode::OK;
        }
    };
    match hook.intake.take(vec![update]).await {
        Ok(()) => StatusCode::OK,
        Err(e) => {
            log::error!("journal: cannot record an update ({e}); Telegram will send it again");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// Compares secrets in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A random webhook secret (32 characters of A-Z, a-z, 0-9), from the standard library's hash seeds.
pub fn random_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(32);
    let mut k = 0u64;
    while out.len() < 32 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(k);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        let mut bits = h.finish();
        for _ in 0..8 {
            out.push(ALPHABET[(bits % ALPHABET.len() as u64) as usize] as char);
            bits /= ALPHABET.len() as u64;
        }
        k += 1;
    }
    out.truncate(32);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_ids_outside_telegrams_ranges_are_refused() {
        assert!(valid_chat_id(42));
        assert!(valid_chat_id(-42));
        assert!(valid_chat_id(-1_001_234_567_890));
        assert!(valid_chat_id((1 << 40) - 1));
        assert!(!valid_chat_id(0));
        assert!(!valid_chat_id(-9_223_372_036_854_775_807));
        assert!(!valid_chat_id(i64::MAX));
        assert!(!valid_chat_id(-1_997_852_516_353));
    }

    #[test]
    fn secrets_compare_and_are_random() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
    }
}
