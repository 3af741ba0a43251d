//! hitbot: a Telegram bot that answers questions about careers as a Health Information Technician.
//!
//! `knowledge` (human-edited files) → `search` (tantivy index) → `advisor` (`answer(question) -> Reply`)
//! → front ends: `telegram`, `chat` (terminal), `cli` (ask, batch, eval, index, check, export).
//! `chart` and `compare` draw and compare the career-path table (`[entry.career]` rows).

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
pub mod search;
pub mod telegram;
mod toml_read;

pub use advisor::{Advisor, EntryRef, Reply};
pub use config::Config;
