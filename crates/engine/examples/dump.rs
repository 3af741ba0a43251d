//! Tuning aid: prints, for each case of a question file, the top entry's coverage and weights and
//! whether its answer is right, as tab-separated values. From the workspace root:
//! `cargo run -p hitbot-engine --example dump FILE` (the knowledge in `knowledge/`, the index in `index/`).
fn main() {
    let path = std::env::args().nth(1).expect("usage: dump FILE");
    let config = hitbot_engine::EngineConfig::default();
    let advisor = hitbot_engine::Advisor::open(&config).expect("advisor");
    let cases = hitbot_engine::eval::load_cases(std::path::Path::new(&path)).expect("cases");
    for c in cases {
        let d = advisor.diagnose(&c.q);
        let (id, cov, covered, total) = d.first().cloned().unwrap_or_default();
        let right = match &c.expect_any {
            Some(e) if c.in_scope() => advisor
                .entry(&id)
                .is_some_and(|x| hitbot_engine::eval::matches(&x.answer, e)),
            _ => false,
        };
        println!(
            "{}\t{}\t{:.3}\t{:.2}\t{:.2}\t{}\t{}",
            u8::from(c.in_scope()),
            u8::from(right),
            cov,
            covered,
            total,
            id,
            c.q
        );
    }
}
