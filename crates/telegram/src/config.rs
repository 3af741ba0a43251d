//! `[telegram]` of `config.toml`: admins, rate limits, retries, webhook mode, reload and flood control.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramConfig {
    /// User ids allowed to use admin commands.
    pub admins: Vec<i64>,
    /// Respect Telegram's rate limits (off only for benchmarks against a local mock).
    pub throttle: bool,
    /// A reply that still fails (network errors, 5xx, 429) when it is this old is dropped and
    /// counted: `"1h"`, `"30m"`, `"90s"` or a number of seconds.
    pub give_up_after: Age,
    /// On SIGTERM or SIGINT, keep delivering for at most this many seconds, then exit; what is left
    /// stays in the journal for the next start. Below Docker's 10 s stop timeout by default.
    pub drain_secs: u64,
    /// The journal of work in flight (updates taken, replies not yet delivered). Unset: `journal.sqlite`
    /// in the folder of `[store] path`.
    pub journal: Option<PathBuf>,
    /// Webhook mode: public HTTPS URL Telegram posts updates to. Unset = long polling.
    pub webhook_url: Option<String>,
    /// Webhook mode: local address the webhook server listens on.
    pub webhook_listen: String,
    /// Webhook mode: the secret Telegram sends with every update, so that nobody else can post
    /// updates. Unset = a random one for each start (set it only if a proxy must check it).
    pub webhook_secret: Option<String>,
    /// Check the knowledge folder for edits this often and reload them; 0 = never (`/reload` and
    /// SIGHUP still work).
    pub watch_knowledge_secs: u64,
    /// Messages one user may send in a minute; the excess gets one notice, then silence until the
    /// minute has passed. 0 = no limit.
    pub flood_per_minute: u32,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        TelegramConfig {
            admins: Vec::new(),
            throttle: true,
            give_up_after: Age(Duration::from_secs(3600)),
            drain_secs: 8,
            journal: None,
            webhook_url: None,
            webhook_listen: "127.0.0.1:8443".into(),
            webhook_secret: None,
            watch_knowledge_secs: 2,
            flood_per_minute: 20,
        }
    }
}

impl TelegramConfig {
    /// Checks the values; an error names the key (within `[telegram]`) and what it must be.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(Duration::from_secs(1)..=Duration::from_secs(7 * 86_400))
            .contains(&self.give_up_after.0)
        {
            return Err((
                "give_up_after",
                "must be from 1s to 7d, like \"1h\", \"30m\" or 3600".into(),
            ));
        }
        if self.drain_secs > 600 {
            return Err(("drain_secs", "must be an integer from 0 to 600".into()));
        }
        if let Some(url) = &self.webhook_url {
            if !url.starts_with("https://") || url::Url::parse(url).is_err() {
                return Err((
                    "webhook_url",
                    "must be a URL that starts with https://".into(),
                ));
            }
        }
        if self.webhook_listen.parse::<std::net::SocketAddr>().is_err() {
            return Err((
                "webhook_listen",
                "must be an address like 127.0.0.1:8443".into(),
            ));
        }
        if let Some(s) = &self.webhook_secret {
            // Telegram's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
            let ok = (1..=256).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err((
                    "webhook_secret",
                    "must be 1-256 characters of A-Z, a-z, 0-9, _ and -".into(),
                ));
            }
        }
        if self.watch_knowledge_secs > 3600 {
            return Err((
                "watch_knowledge_secs",
                "must be an integer from 0 to 3600".into(),
            ));
        }
        if self.flood_per_minute > 10_000 {
            return Err((
                "flood_per_minute",
                "must be an integer from 0 to 10000".into(),
            ));
        }
        Ok(())
    }
}

/// A length of time in `config.toml`: a number of seconds, or a number with `s`, `m`, `h` or `d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Age(pub Duration);

impl<'de> Deserialize<'de> for Age {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Age, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Seconds(s) => Ok(Age(Duration::from_secs(s))),
            Raw::Text(t) => parse_age(&t).map(Age).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "{t:?} is not a length of time (like \"1h\", \"30m\", \"90s\" or 3600)"
                ))
            }),
        }
    }
}

/// `"90s"`, `"30m"`, `"1h"`, `"2d"` or `"3600"`.
pub fn parse_age(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => t.split_at(at),
        None => (t, "s"),
    };
    let n: u64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(seconds).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_with_their_units() {
        assert_eq!(parse_age("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_age("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_age("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_age("2d"), Some(Duration::from_secs(172_800)));
        assert_eq!(parse_age("45"), Some(Duration::from_secs(45)));
        assert_eq!(parse_age("1 h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_age("an hour"), None);
        assert_eq!(parse_age("1w"), None);
        assert_eq!(parse_age(""), None);
    }
}
