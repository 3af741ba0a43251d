//! `hitbot bench`: latency percentiles of `Advisor::answer` over a mixed question list, the time to open
//! the advisor, and resident memory. A quick check beside the criterion benchmark (`cargo bench`).

use std::time::{Duration, Instant};

use crate::advisor::Advisor;

/// A mix of what users send: plain, short, typos, long, out-of-scope, gibberish.
pub const MIXED_QUESTIONS: &[&str] = &[
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

pub struct BenchReport {
    pub rounds: usize,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub mean: Duration,
    pub per_second: f64,
}

/// Answers every question `rounds` times, timing each call.
pub fn run(advisor: &Advisor, rounds: usize) -> BenchReport {
    for q in MIXED_QUESTIONS {
        std::hint::black_box(advisor.answer(q));
    }
    let mut times = Vec::with_capacity(rounds * MIXED_QUESTIONS.len());
    let start = Instant::now();
    for _ in 0..rounds {
        for q in MIXED_QUESTIONS {
            let t = Instant::now();
            std::hint::black_box(advisor.answer(std::hint::black_box(q)));
            times.push(t.elapsed());
        }
    }
    let total = start.elapsed();
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    BenchReport {
        rounds,
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        mean: total / times.len() as u32,
        per_second: times.len() as f64 / total.as_secs_f64(),
    }
}

/// Resident memory of this process in kB (Linux), if known.
pub fn resident_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
