//! `Advisor::answer` over a mixed list of questions: in-scope, typos, long rambling, out-of-scope.
//! `cargo bench` reports the time per question (throughput in questions/s).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hitbot::{Advisor, Config};

use hitbot::bench::MIXED_QUESTIONS as QUESTIONS;

fn answer(c: &mut Criterion) {
    let config = Config::load().expect("config");
    let advisor = Advisor::open(&config).expect("advisor");
    let mut group = c.benchmark_group("answer");
    group.throughput(Throughput::Elements(QUESTIONS.len() as u64));
    group.bench_function("mixed", |b| {
        b.iter(|| {
            for q in QUESTIONS {
                black_box(advisor.answer(black_box(q)));
            }
        })
    });
    group.finish();
    for (name, q) in [
        ("in_scope", QUESTIONS[0]),
        ("typo", QUESTIONS[9]),
        ("long", QUESTIONS[11]),
        ("out_of_scope", QUESTIONS[12]),
    ] {
        c.bench_function(&format!("answer/{name}"), |b| {
            b.iter(|| black_box(advisor.answer(black_box(q))))
        });
    }
}

criterion_group!(benches, answer);
criterion_main!(benches);
