//! `Advisor::answer` over a mixed list of questions: in-scope, typos, long rambling, out-of-scope.
//! `cargo bench` reports the time per question (throughput in questions/s).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hitbot::{Advisor, Config};

const QUESTIONS: &[&str] = &[
    "how much do HITs make?",
    "salary?",
    "rhit requirements",
    "what does AHIMA do",
    "which career path pays the most",
    "do I need a bachelor's degree to become a health information technician",
    "whats the job outlook for health info techs",
    "hipaa??",
    "what soft skills do I need",
    "certifcation for registerd health information technicians",
    "list the professional orginizations",
    "I'm 40 and switching careers from retail, could I get into this field with a certificate and how long would it take?",
    "what's the weather in paris",
    "tell me a joke",
    "qwpoeiru zmxn",
    "dental hygienist salary?",
];

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
