//! What can stop the Telegram front end. Which of these is the operator's to fix (exit code 2) is
//! decided once, in the binary's `main`.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error(
        "TELOXIDE_TOKEN is not set. Get a token from @BotFather in Telegram (/newbot), then \
         `export TELOXIDE_TOKEN=123456789:AAH...` and start again"
    )]
    NoToken,
    #[error("TELOXIDE_API_URL is not a valid URL ({reason}): {value}")]
    BadApiUrl { value: String, reason: String },
    #[error("TELOXIDE_PROXY is not a valid proxy URL ({reason}): {value}")]
    BadProxy { value: String, reason: String },
    #[error("`{key}` is not valid: {value}")]
    BadSetting { key: &'static str, value: String },
    #[error(
        "Telegram refused the bot token (401 Unauthorized). Set TELOXIDE_TOKEN to the token \
         @BotFather gave you"
    )]
    TokenRefused,
    #[error("cannot listen on {address} for the webhook: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot reach the Telegram Bot API: {0}")]
    Unreachable(String),
    #[error("setWebhook failed: {0}")]
    SetWebhook(String),
    #[error("cannot start dispatching: {0}")]
    Dispatch(String),
    #[error("the update listener ended unexpectedly")]
    ListenerEnded,
    #[error("cannot create the HTTP client: {0}")]
    Client(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

impl TelegramError {
    /// Whether the operator must change something (token, environment, config) before a restart can
    /// work, as opposed to a failure that may pass (network, Telegram).
    pub fn is_setup(&self) -> bool {
        matches!(
            self,
            TelegramError::NoToken
                | TelegramError::BadApiUrl { .. }
                | TelegramError::BadProxy { .. }
                | TelegramError::BadSetting { .. }
                | TelegramError::TokenRefused
                | TelegramError::Listen { .. }
        )
    }
}
