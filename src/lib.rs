//! hitbot: a Telegram bot that answers questions about careers as a Health Information Technician.
//!
//! `knowledge` (human-edited files) → `search` (tantivy index) → `advisor` (`answer(question) -> Reply`)
//! → front ends: `telegram`, `chat` (terminal), `cli` (ask, batch, eval, index, check, export).
//! `chart` and `compare` draw and compare the career-path table (`[entry.career]` rows).
//! `store` keeps operator data (declined and low-confidence questions, 👍/👎); `report` sums it up.

pub mod advisor;
pub mod bench;
pub mod chart;
pub mod chat;
pub mod cli;
pub mod compare;
pub mod config;
pub mod eval;
pub mod knowledge;
pub mod memory;
pub mod reload;
pub mod render;
pub mod report;
pub mod search;
pub mod smalltalk;
pub mod store;
pub mod telegram;
mod toml_read;

pub use advisor::{Advisor, EntryRef, Reply};
pub use config::Config;
