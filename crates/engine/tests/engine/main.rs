//! The engine's integration tests, in one test binary: its answers on the shipped knowledge
//! (`answers`), property tests on arbitrary text (`fuzz`) and the index folder on disk (`index`).

mod answers;
mod facts;
mod followups;
mod fuzz;
mod index;

use std::path::PathBuf;
use std::sync::OnceLock;

use hitbot_engine::{Advisor, EngineConfig};

/// The workspace root (the knowledge and the question sets are there).
fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The advisor over the shipped knowledge, opened once (index in a temp folder).
fn advisor() -> &'static Advisor {
    static ADVISOR: OnceLock<Advisor> = OnceLock::new();
    ADVISOR.get_or_init(|| {
        let config = EngineConfig {
            knowledge_dir: root().join("knowledge"),
            index_dir: tempfile::tempdir().unwrap().keep(),
            semantic: hitbot_engine::SemanticConfig {
                model_dir: root().join("models/all-minilm-l6-v2"),
                ..Default::default()
            },
            ..EngineConfig::default()
        };
        Advisor::open(&config).expect("shipped knowledge opens")
    })
}
