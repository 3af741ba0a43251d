//! Times one forward pass of the shipped model per question of a question file (one thread), in
//! f32 and in 8-bit arithmetic (`[semantic] int8`) in the same run, and how far apart their
//! vectors are:
//!
//! ```sh
//! cargo build --release -p hitbot-engine --example pass
//! RAYON_NUM_THREADS=1 taskset -c 1 target/release/examples/pass tests/data/fresh-5.jsonl
//! ```
use std::path::Path;
use std::time::Instant;

use hitbot_engine::semantic::Model;

fn main() {
    let file = std::env::args()
        .nth(1)
        .expect("usage: pass QUESTIONS.jsonl");
    let questions: Vec<String> = std::fs::read_to_string(&file)
        .expect("a readable question file")
        .lines()
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).ok()?;
            Some(v["q"].as_str()?.to_string())
        })
        .collect();
    assert!(!questions.is_empty(), "no questions in {file}");
    let dir = Path::new("models/all-minilm-l6-v2");
    let exact = Model::load(dir, false).expect("the model in models/all-minilm-l6-v2");
    let int8 = Model::load(dir, true).expect("the model in models/all-minilm-l6-v2");
    let mut worst = 1f32;
    for q in &questions {
        let (a, b) = (
            exact.embed(q).expect("a vector"),
            int8.embed(q).expect("a vector"),
        );
        worst = worst.min(a.iter().zip(&b).map(|(x, y)| x * y).sum());
    }
    println!("lowest cosine between the f32 and the 8-bit vector of a question: {worst:.4}");
    for (name, model) in [("f32", &exact), ("int8", &int8)] {
        // Warm up: page in the weights, size the allocator's pools.
        for q in questions.iter().take(20) {
            model.embed(q).expect("a vector");
        }
        let mut ms: Vec<f64> = questions
            .iter()
            .map(|q| {
                let start = Instant::now();
                model.embed(q).expect("a vector");
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        let mean = ms.iter().sum::<f64>() / ms.len() as f64;
        println!(
            "one forward pass ({name}): n={} p50={:.2} ms p90={:.2} ms mean={mean:.2} ms",
            ms.len(),
            ms[ms.len() / 2],
            ms[ms.len() * 9 / 10]
        );
    }
}
