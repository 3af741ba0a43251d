//! `[telegram]` of `config.toml`: admins, rate limits, retries, webhook mode, reload and flood control.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramConfig {
    /// User ids allowed to use admin commands.
    pub admins: Vec<i64>,
    /// Respect Telegram's rate limits (off only for benchmarks against a local mock).
    pub throttle: bool,
    /// Attempts for a send that fails with a network error or a 5xx.
    pub send_attempts: u32,
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
            send_attempts: 4,
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
        if !(1..=20).contains(&self.send_attempts) {
            return Err(("send_attempts", "must be an integer from 1 to 20".into()));
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
