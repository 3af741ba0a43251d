//! The one retry helper. Every Bot API call that may fail for a moment goes through [`retry`]: sends
//! and photos (the outbox), side calls (`answerCallbackQuery`, `answerInlineQuery`, edits) and `getMe`
//! at startup. [`classify`] says what a failure means; only [`Failure::Transient`] ones (network
//! errors, 5xx, 429) are tried again, after a [`Backoff`] wait that is never shorter than Telegram's
//! `retry_after`. What to do about the others (a moved group, rejected HTML, a blocked bot) is the
//! caller's business.

use std::future::Future;
use std::time::Duration;

use teloxide::types::ChatId;
use teloxide::{ApiError, RequestError};

use super::secrets::redact;

/// How a failed request should be dealt with.
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

/// How often and how patiently a call is tried again.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Attempts in all, the first included; `None`: until it succeeds (getMe at startup: a bot started
    /// before the network is up just waits).
    pub attempts: Option<u32>,
    /// The wait before the second attempt; doubled for each further one.
    pub first: Duration,
    /// The longest wait between two attempts.
    pub max: Duration,
    /// A `retry_after` longer than this is not waited for: the failure is returned. Side calls set
    /// it, since a callback or inline query can only be answered for a few seconds.
    pub longest_retry_after: Option<Duration>,
    /// No attempt starts after this (a reply's age limit, `[telegram] give_up_after`); the last
    /// failure is returned instead.
    pub until: Option<tokio::time::Instant>,
    /// How a retry is logged: a warning while the bot cannot start, debug for routine send retries.
    pub level: log::Level,
}

impl Backoff {
    /// The wait before attempt `attempt + 1`: `first`, 2×, 4×… capped at `max`, plus a little jitter
    /// (up to a quarter of `first`) so that chats failing together do not retry in lockstep.
    pub fn wait(&self, attempt: u32) -> Duration {
        let exp = self
            .first
            .saturating_mul(1 << attempt.saturating_sub(1).min(16));
        let jitter_ms = u64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos()),
        ) % (self.first.as_millis() as u64 / 4 + 1);
        exp.min(self.max) + Duration::from_millis(jitter_ms)
    }
}

/// Runs `call` until it succeeds or fails for good. A transient failure (network, 5xx, 429) is tried
/// again after [`Backoff::wait`] (or Telegram's `retry_after`, if longer) while attempts are left;
/// any other failure, the last transient one, or a 429 asking to wait longer than
/// `longest_retry_after`, is returned as it came. `what` names the call in the log.
pub async fn retry<T, F, Fut>(backoff: &Backoff, what: &str, mut call: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut attempt = 1;
    loop {
        let e = match call().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let Failure::Transient(at_least) = classify(&e) else {
            return Err(e);
        };
        let out_of_attempts = backoff.attempts.is_some_and(|n| attempt >= n);
        let too_long = backoff.longest_retry_after.is_some_and(|m| at_least > m);
        let wait = at_least.max(backoff.wait(attempt));
        let too_late = backoff
            .until
            .is_some_and(|until| tokio::time::Instant::now() + wait > until);
        if out_of_attempts || too_long || too_late {
            return Err(e);
        }
        let of = backoff.attempts.map_or(String::new(), |n| format!("/{n}"));
        log::log!(
            backoff.level,
            "{what} failed ({}); attempt {}{of} in {:.1} s",
            describe(&e),
            attempt + 1,
            wait.as_secs_f64()
        );
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
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

    fn backoff(attempts: Option<u32>) -> Backoff {
        Backoff {
            attempts,
            first: Duration::from_millis(1),
            max: Duration::from_millis(4),
            until: None,
            longest_retry_after: Some(Duration::from_secs(5)),
            level: log::Level::Debug,
        }
    }

    #[test]
    fn the_wait_grows_and_is_capped() {
        let b = Backoff {
            first: Duration::from_millis(400),
            max: Duration::from_secs(8),
            ..backoff(None)
        };
        let (b1, b3) = (b.wait(1), b.wait(3));
        assert!(b1 >= b.first && b1 <= b.first + b.first / 4 + Duration::from_millis(1));
        assert!(b3 >= b.first * 4);
        assert!(b.wait(30) <= b.max + b.first / 4 + Duration::from_millis(1));
        assert!(b.wait(u32::MAX) <= b.max + b.first);
    }

    /// A call failing with `errors` (one a call, in order), then answering with its call count.
    fn failing(
        calls: &AtomicU32,
        errors: Vec<fn() -> RequestError>,
    ) -> impl FnMut() -> std::future::Ready<Result<u32, RequestError>> + '_ {
        move || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(match errors.get(n as usize) {
                Some(e) => Err(e()),
                None => Ok(n + 1),
            })
        }
    }

    fn server_error() -> RequestError {
        RequestError::Api(ApiError::Unknown("Internal Server Error".into()))
    }

    fn too_many_requests() -> RequestError {
        RequestError::RetryAfter(Seconds::from_seconds(0))
    }

    fn blocked() -> RequestError {
        RequestError::Api(ApiError::BotBlocked)
    }

    #[tokio::test]
    async fn transient_failures_are_tried_again_until_the_call_succeeds() {
        let calls = AtomicU32::new(0);
        let errors = vec![server_error as fn() -> RequestError, too_many_requests];
        let r = retry(&backoff(Some(3)), "test", failing(&calls, errors)).await;
        assert_eq!(r.ok(), Some(3));
    }

    #[tokio::test]
    async fn attempts_are_bounded_and_the_last_failure_is_returned() {
        let calls = AtomicU32::new(0);
        let errors = vec![server_error as fn() -> RequestError; 5];
        let r = retry(&backoff(Some(3)), "test", failing(&calls, errors)).await;
        assert!(matches!(r, Err(RequestError::Api(ApiError::Unknown(_)))));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        // Without a bound (getMe at startup) it keeps trying.
        let calls = AtomicU32::new(0);
        let errors = vec![server_error as fn() -> RequestError; 6];
        let r = retry(&backoff(None), "test", failing(&calls, errors)).await;
        assert_eq!(r.ok(), Some(7));
    }

    #[tokio::test]
    async fn other_failures_and_long_retry_afters_are_returned_at_once() {
        let calls = AtomicU32::new(0);
        let r = retry(&backoff(Some(5)), "test", failing(&calls, vec![blocked])).await;
        assert!(matches!(r, Err(RequestError::Api(ApiError::BotBlocked))));
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let calls = AtomicU32::new(0);
        let long_wait = || RequestError::RetryAfter(Seconds::from_seconds(30));
        let r = retry(&backoff(Some(5)), "test", failing(&calls, vec![long_wait])).await;
        assert!(matches!(r, Err(RequestError::RetryAfter(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
