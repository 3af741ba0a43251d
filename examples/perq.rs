//! Tuning aid: median answer time per question of the bench list. `cargo run --release --example perq`.
fn main() {
    let config = hitbot::Config::load().expect("config");
    let advisor = hitbot::Advisor::open(&config).expect("advisor");
    for q in hitbot::bench::MIXED_QUESTIONS {
        let mut t: Vec<f64> = (0..300)
            .map(|_| {
                let s = std::time::Instant::now();
                std::hint::black_box(advisor.answer(q));
                s.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        t.sort_by(f64::total_cmp);
        println!("{:>8.1} us  {q}", t[150]);
    }
}
