//! `[store]` of `config.toml`: where operator data is kept and how much may wait to be written.

use std::path::PathBuf;

use serde::Deserialize;

/// `[store]`: where operator data (declined and low-confidence questions, 👍/👎) is kept.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// The SQLite file (created with its folder on first use).
    pub path: PathBuf,
    /// Keep the chat id with each record. Off by default: the report needs no user data.
    pub keep_chat_id: bool,
    /// Records waiting to be written; when full, new ones are dropped so answering never waits.
    pub queue: usize,
    /// Answers below this confidence (but above `min_confidence`) are recorded as low-confidence.
    pub low_confidence: f32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: PathBuf::from("data/hitbot.sqlite"),
            keep_chat_id: false,
            queue: 10_000,
            low_confidence: 0.65,
        }
    }
}

impl StoreConfig {
    /// Checks the ranges; an error names the key (within `[store]`) and what it must be.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=1_000_000).contains(&self.queue) {
            return Err(("queue", "must be an integer from 1 to 1000000".into()));
        }
        if !(0.0..=1.0).contains(&self.low_confidence) {
            return Err(("low_confidence", "must be a number from 0 to 1".into()));
        }
        Ok(())
    }
}
