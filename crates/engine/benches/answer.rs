//! `Advisor::answer` over the benchmark questions (`benches/questions.txt` at the workspace root):
//! in-scope, typos, long rambling, out-of-scope. `cargo bench` reports the time per question.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hitbot_engine::{Advisor, EngineConfig};

const QUESTIONS: &str = include_str!("../../../benches/questions.txt");

fn answer(c: &mut Criterion) {
    let questions: Vec<&str> = QUESTIONS.lines().filter(|l| !l.is_empty()).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let index = tempfile::tempdir().expect("temp dir");
    let config = EngineConfig {
        knowledge_dir: root.join("knowledge"),
        index_dir: index.path().to_path_buf(),
        semantic: hitbot_engine::SemanticConfig {
            model_dir: root.join("models/all-minilm-l6-v2"),
            ..Default::default()
        },
        ..EngineConfig::default()
    };
    let advisor = Advisor::open(&config).expect("advisor");
    let mut group = c.benchmark_group("answer");
    group.throughput(Throughput::Elements(questions.len() as u64));
    group.bench_function("mixed", |b| {
        b.iter(|| {
            for q in &questions {
                black_box(advisor.answer(black_box(q)));
            }
        })
    });
    group.finish();
    for (name, q) in [
        ("in_scope", questions[0]),
        ("typo", questions[9]),
        ("long", questions[11]),
        ("out_of_scope", questions[12]),
    ] {
        c.bench_function(&format!("answer/{name}"), |b| {
            b.iter(|| black_box(advisor.answer(black_box(q))))
        });
    }
}

criterion_group!(benches, answer);
criterion_main!(benches);
