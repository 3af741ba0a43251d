//! hitbot's answering engine: one `Advisor::answer(question) -> Reply` that every front end calls.
//!
//! It owns the search (`search`: the only code in the workspace that knows tantivy), the semantic
//! stage (`semantic`: the sentence-embedding model, the only code that knows candle; `fusion`: one
//! calibrated confidence from both stages), the advisor
//! (answer or decline, related entries, "did you mean", follow-ups, long messages), small talk,
//! per-chat conversation memory, hot reload of the knowledge, the evaluation of question files and
//! what the operator's inbox needs (`teach`: suggestions, the edit check, the outcome of an edit).
//! Replies are plain data; rendering belongs to the front ends. No teloxide, no SQLite, no tokio.

#![forbid(unsafe_code)]

pub mod advisor;
pub mod cache;
pub mod config;
pub mod eval;
pub mod fusion;
pub mod memory;
pub mod reload;
pub mod search;
#[cfg(feature = "semantic")]
pub mod semantic;
pub mod smalltalk;
pub mod teach;
pub mod wants;

pub use advisor::{Advisor, AdvisorError, Candidate, EntryRef, Judged, Reply};
pub use config::{AnswerConfig, EngineConfig, SemanticConfig};
pub use reload::{AdvisorHandle, Reloaded};
pub use teach::{Outcome, Suggestion};
