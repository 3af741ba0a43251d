//! `hitbot bench`: latency percentiles of `Advisor::answer` over a mixed question list, the time to open
//! the advisor, resident memory, and the time to build the index from the knowledge. A quick check
//! beside the criterion benchmark (`cargo bench`); the README's "Performance" section has the figures.

use std::time::{Duration, Instant};

use hitbot_engine::advisor::{self, index_name};
use hitbot_engine::search::SearchIndex;
use hitbot_engine::{Advisor, AdvisorError, EngineConfig};

/// The benchmark questions (`benches/questions.txt`, shared with `cargo bench` and the Telegram load
/// example): plain, short, typos, long, out-of-scope, gibberish, another language.
pub const QUESTIONS_FILE: &str = include_str!("../benches/questions.txt");

/// The questions of [`QUESTIONS_FILE`], one per non-empty line.
pub fn questions() -> Vec<&'static str> {
    QUESTIONS_FILE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect()
}

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
    let questions = questions();
    for q in &questions {
        std::hint::black_box(advisor.answer(q));
    }
    let mut times = Vec::with_capacity(rounds * questions.len());
    let start = Instant::now();
    for _ in 0..rounds {
        for q in &questions {
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

/// Answers each question once, in order, as a new user would ask it: no vector of it cached yet
/// (questions repeated in the list excepted). Also counts how often the model ran.
pub fn unseen(advisor: &Advisor, questions: &[String]) -> (BenchReport, usize) {
    let mut times = Vec::with_capacity(questions.len());
    let mut model_runs = 0;
    let start = Instant::now();
    for q in questions {
        let t = Instant::now();
        std::hint::black_box(advisor.answer(std::hint::black_box(q)));
        times.push(t.elapsed());
    }
    let total = start.elapsed();
    for q in questions {
        model_runs += usize::from(advisor.scored(q).semantic);
    }
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let report = BenchReport {
        rounds: 1,
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        mean: total / times.len().max(1) as u32,
        per_second: times.len() as f64 / total.as_secs_f64(),
    };
    (report, model_runs)
}

/// What the journal of work in flight costs per message: one update accepted, one reply queued,
/// the update marked handled and the reply marked done, as the Telegram front end does for each
/// question, in a journal file under `dir`.
pub struct JournalCost {
    pub messages: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub mean: Duration,
    /// Rows left in the journal afterwards (handled update ids kept for deduplication).
    pub rows: u64,
}

pub fn journal(
    dir: &std::path::Path,
    messages: usize,
) -> Result<JournalCost, hitbot_store::StoreError> {
    use hitbot_store::journal::{Inbound, Journal};
    let path = dir.join("journal.sqlite");
    let _ = std::fs::remove_file(&path);
    let j = Journal::open(&path)?;
    let body = "{\"update_id\":1,\"message\":{\"text\":\"how much do HITs make?\"}}".to_string();
    let reply = "{\"chat\":1,\"parts\":[[\"<b>Salary</b> ...\",\"Salary ...\"]]}";
    let mut times = Vec::with_capacity(messages);
    let start = Instant::now();
    for id in 1..=messages as i64 {
        let t = Instant::now();
        let update = Inbound {
            update_id: id,
            chat: Some(id % 100),
            body: body.clone(),
        };
        j.accept(std::slice::from_ref(&update))?;
        let row = j.queue(Some(id), id % 100, reply, std::time::SystemTime::now())?;
        j.handled(id)?;
        j.done(row)?;
        times.push(t.elapsed());
    }
    let total = start.elapsed();
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let rows = j.rows()?;
    drop(j);
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(p));
    }
    Ok(JournalCost {
        messages,
        p50: at(0.5),
        p99: at(0.99),
        mean: total / messages.max(1) as u32,
        rows,
    })
}

/// Resident memory of this process in kB (Linux), if known.
pub fn resident_kb() -> Option<u64> {
    proc_status_kb("VmRSS:")
}

/// The most resident memory this process has had so far, in kB (Linux), if known.
pub fn peak_resident_kb() -> Option<u64> {
    proc_status_kb("VmHWM:")
}

fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// How long building the index from `knowledge/` takes.
pub struct IndexTimes {
    pub entries: usize,
    /// Reading and validating the knowledge files (what `hitbot check` does).
    pub load: Duration,
    /// Writing the tantivy index (what `hitbot index` does after loading).
    pub build: Duration,
    /// Loading the model afresh and embedding every knowledge text (none remembered), when the
    /// semantic stage is on.
    pub embed: Option<Duration>,
}

/// Loads the knowledge and builds its index into a fresh temporary folder (removed afterwards), so
/// the index in use is left alone.
pub fn index_build(config: &EngineConfig) -> Result<IndexTimes, AdvisorError> {
    let started = Instant::now();
    let knowledge = advisor::load_checked(config)?;
    let fingerprint = index_name(&knowledge);
    let load = started.elapsed();
    let dir = std::env::temp_dir().join(format!("hitbot-bench-index-{}", std::process::id()));
    let started = Instant::now();
    let built = SearchIndex::rebuild(&dir, &knowledge, &fingerprint);
    let build = started.elapsed();
    let embed = match built {
        Ok(ref folder) => embed(config, &knowledge, folder),
        Err(_) => Ok(None),
    };
    let _ = std::fs::remove_dir_all(&dir);
    built?;
    Ok(IndexTimes {
        entries: knowledge.entries.len(),
        load,
        build,
        embed: embed?,
    })
}

#[cfg(feature = "semantic")]
fn embed(
    config: &EngineConfig,
    knowledge: &hitbot_knowledge::Knowledge,
    folder: &std::path::Path,
) -> Result<Option<Duration>, AdvisorError> {
    use hitbot_engine::semantic::{Model, Semantic};
    if !config.semantic.enabled {
        return Ok(None);
    }
    let started = Instant::now();
    let model = Model::load(&config.semantic.model_dir, config.semantic.int8)
        .map_err(AdvisorError::from)?;
    Semantic::open(std::sync::Arc::new(model), knowledge, folder, 1).map_err(AdvisorError::from)?;
    Ok(Some(started.elapsed()))
}

#[cfg(not(feature = "semantic"))]
fn embed(
    _: &EngineConfig,
    _: &hitbot_knowledge::Knowledge,
    _: &std::path::Path,
) -> Result<Option<Duration>, AdvisorError> {
    Ok(None)
}
