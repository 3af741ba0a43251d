//! Dumps, for each question of the given question files, every candidate the advisor weighs with
//! its fusion inputs and whether its answer holds the expected facts: the training data of
//! `calibrate.py` (see `hitbot_engine::fusion`). Questions with `after` (follow-ups) are skipped.
//!
//! `cargo run --release -p hitbot-engine --example features -- tests/data/regression.jsonl > f.jsonl`

use std::path::{Path, PathBuf};

use hitbot_engine::{eval, Advisor, EngineConfig};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let index = std::env::temp_dir().join("hitbot-features-index");
    let config = EngineConfig {
        knowledge_dir: root.join("knowledge"),
        index_dir: index,
        semantic: hitbot_engine::SemanticConfig {
            model_dir: root.join("models/all-minilm-l6-v2"),
            ..Default::default()
        },
        ..EngineConfig::default()
    };
    let advisor = Advisor::open(&config).unwrap_or_else(|e| panic!("{e}"));
    for file in std::env::args().skip(1).map(PathBuf::from) {
        let cases = eval::load_cases(&file).unwrap_or_else(|e| panic!("{e}"));
        let set = file
            .file_stem()
            .map_or(String::new(), |s| s.to_string_lossy().into_owned());
        for case in cases.iter().filter(|c| c.after.is_none()) {
            let judged = advisor.scored(&case.q);
            let candidates: Vec<serde_json::Value> = judged
                .candidates
                .iter()
                .map(|c| {
                    let entry = &advisor.knowledge().entries[c.entry];
                    let right = case
                        .expect_any
                        .as_ref()
                        .is_some_and(|e| case.in_scope() && eval::matches(&entry.answer, e));
                    serde_json::json!({
                        "entry": entry.id,
                        "label": u8::from(right),
                        "x": c.features.inputs(),
                        "confidence": c.confidence,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({
                    "set": set,
                    "id": case.id,
                    "in_scope": case.in_scope(),
                    "semantic": judged.semantic,
                    "candidates": candidates,
                })
            );
        }
    }
}
