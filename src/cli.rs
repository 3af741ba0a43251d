//! The command line: definition and glue (`inbox.rs` holds `hitbot inbox`). Every command that answers goes through `Advisor`.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use serde::Serialize;

use hitbot_careers::{chart, compare};
use hitbot_engine::advisor::{self, index_name};
use hitbot_engine::search::SearchIndex;
use hitbot_engine::{eval, Advisor, AdvisorHandle};
use hitbot_knowledge::Knowledge;
use hitbot_store::report;
use hitbot_telegram::TOKEN_ENV;

use crate::config::{Config, CONFIG_ENV};
use crate::inbox::{self, InboxCommand};
use crate::{bench, chat, render};

/// Prints a line on stdout; an error (e.g. a closed pipe: `hitbot export | head`) is returned, not a
/// panic.
fn say(text: std::fmt::Arguments) -> io::Result<()> {
    writeln!(io::stdout().lock(), "{text}")
}

/// Prints on stdout without a newline (see [`say`]).
fn put(text: std::fmt::Arguments) -> io::Result<()> {
    write!(io::stdout().lock(), "{text}")
}

/// A problem the user must fix (exit code 2), with what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MustFix(pub String);

#[derive(Debug, Parser)]
#[command(
    name = "hitbot",
    version,
    about = "Answers questions about careers as a Health Information Technician (HIT).",
    long_about = "Answers questions about careers as a Health Information Technician (HIT).\n\n\
        Without a command: runs the Telegram bot when TELOXIDE_TOKEN is set, else a terminal chat.\n\
        Config: the file --config names, else the one HITBOT_CONFIG names, else config.toml in the \
        working folder (paths in it are relative to the file). Logs: RUST_LOG."
)]
pub struct Cli {
    /// The config file (else HITBOT_CONFIG, else config.toml in the working folder).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How a comparison is asked for on the command line, for the examples in the compare module's
/// messages (the chats say `/compare`).
const CHART_COMPARE: &str = "hitbot chart compare";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Chat in the terminal (reads stdin; works with a pipe too).
    Chat,
    /// Answer one question, printed as the chat shows it.
    Ask {
        /// The question (several words are joined).
        #[arg(required = true, num_args = 1..)]
        question: Vec<String>,
        /// Print the whole reply as JSON.
        #[arg(long)]
        json: bool,
        /// Also show how the question was understood and the candidate entries.
        #[arg(long)]
        explain: bool,
    },
    /// Answer one question per stdin line, one JSON object per line: q, answer, entry, confidence, confident.
    Batch,
    /// Score a question file (JSON lines with expect_any / expect_none) and print accuracy.
    Eval {
        /// The question file, e.g. tests/data/regression.jsonl.
        file: PathBuf,
    },
    /// Build the search index from the knowledge files.
    Index,
    /// Validate the knowledge files and report every problem as file:line: entry: what is wrong.
    Check,
    /// Print every entry as a JSON line: id, topic, title, questions, answer, related, source.
    Export,
    /// Run the Telegram bot (needs TELOXIDE_TOKEN).
    Telegram,
    /// Draw a chart of the career-path table as a PNG file (in charts/ unless --out names one).
    #[command(subcommand)]
    Chart(ChartCommand),
    /// What the bot failed at: top unanswered questions, most 👎, counts per day, answer rate.
    Report {
        /// How far back: 24h, 7d, 30d, 2w...
        #[arg(long, default_value = "7d", value_parser = report::parse_since)]
        since: Duration,
        /// Rows per list.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The inbox of misses, most frequent first, with the closest entries; or handle one of them.
    Inbox {
        #[command(subcommand)]
        action: Option<InboxCommand>,
        /// Items to list.
        #[arg(long, default_value_t = 20)]
        top: usize,
    },
    /// Measure answer latency (p50/p90/p99), start-up time and memory on a mixed question list.
    Bench {
        /// Times to answer the whole question list.
        #[arg(long, default_value_t = 2000)]
        rounds: usize,
        /// A question file (JSON lines with `q`) answered once each, as unseen questions: the
        /// latency of questions whose vectors are not cached yet.
        #[arg(long)]
        unseen: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChartCommand {
    /// Every career path: median salary bars with the projected growth beside each.
    Careers {
        /// Where to write the PNG [default: careers.png in `charts_dir`, charts/ beside config.toml].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Two career paths side by side, e.g. `compare coder analyst` (typos are fine).
    Compare {
        /// The two paths' names ("clinical coder" "data analyst", or coder analyst).
        #[arg(required = true, num_args = 1..)]
        paths: Vec<String>,
        /// Where to write the PNG [default: compare.png in `charts_dir`, charts/ beside config.toml].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Runs the command. `main` turns the error into the exit code.
pub fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    let command = match cli.command {
        Some(c) => c,
        None if token_is_set() => Command::Telegram,
        None => {
            eprintln!(
                "hitbot: {TOKEN_ENV} is not set, so this is the terminal chat. To run the Telegram bot, \
                 set it to the token @BotFather gave you (export {TOKEN_ENV}=123456:ABC...) and run again."
            );
            Command::Chat
        }
    };
    match command {
        Command::Check => return check(&config),
        Command::Index => return index(&config),
        Command::Export => return export(&config),
        Command::Report { since, top, json } => return show_report(&config, since, top, json),
        Command::Chart(chart) => return draw_chart(&config, chart),
        Command::Inbox { action, top } => return inbox::run(&config, action, top),
        _ => {}
    }
    // Before opening anything: a missing token or a bad proxy is said at once.
    let bot = match command {
        Command::Telegram => Some(hitbot_telegram::bot_from_env()?),
        _ => None,
    };
    knowledge_folder(&config)?;
    let opening = std::time::Instant::now();
    let advisor = Advisor::open(&config.engine())?;
    let opened_in = opening.elapsed();
    match command {
        Command::Chat => {
            let stdin = io::stdin();
            let interactive = stdin.is_terminal();
            chat::run(
                &advisor,
                stdin.lock(),
                io::stdout().lock(),
                interactive,
                Duration::from_secs(config.answer.followup_minutes * 60),
            )?;
        }
        Command::Ask {
            question,
            json,
            explain,
        } => {
            let question = question.join(" ");
            let reply = advisor.answer(&question);
            let mut out = io::stdout().lock();
            if explain {
                writeln!(out, "{}", advisor.explain(&question))?;
            }
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&reply)?)?;
            } else {
                writeln!(out, "{}", render::reply(&advisor, &reply))?;
            }
        }
        Command::Batch => batch(&advisor)?,
        Command::Eval { file } => {
            let cases = eval::load_cases(&file).map_err(|e| MustFix(format!("eval: {e}")))?;
            put(format_args!("{}", eval::run(&advisor, &cases).render()))?;
        }
        Command::Telegram => {
            let bot = bot.expect("made above");
            let handle = AdvisorHandle::new(advisor, config.engine());
            let options =
                hitbot_telegram::Options::new(&config.telegram, &config.answer, &config.store);
            hitbot_telegram::run_blocking(bot, handle, options, &config.store)?;
        }
        Command::Bench { rounds, unseen } => {
            let cold = match unseen {
                Some(file) => {
                    let cases =
                        eval::load_cases(&file).map_err(|e| MustFix(format!("bench: {e}")))?;
                    let questions: Vec<String> = cases.into_iter().map(|c| c.q).collect();
                    Some((bench::unseen(&advisor, &questions), questions.len()))
                }
                None => None,
            };
            let r = bench::run(&advisor, rounds.max(1));
            say(format_args!(
                "advisor opened in {:.1} ms (index already built)",
                opened_in.as_secs_f64() * 1e3
            ))?;
            say(format_args!(
                "answer: {} questions x {} rounds: p50 {:.1} us, p90 {:.1} us, p99 {:.1} us, mean {:.1} us, {:.0} answers/s on one thread",
                bench::questions().len(),
                r.rounds,
                r.p50.as_secs_f64() * 1e6,
                r.p90.as_secs_f64() * 1e6,
                r.p99.as_secs_f64() * 1e6,
                r.mean.as_secs_f64() * 1e6,
                r.per_second
            ))?;
            if let Some(((u, runs), n)) = cold {
                say(format_args!(
                    "unseen: {n} questions once each: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, mean {:.2} ms, {:.0} answers/s; the model ran for {runs} ({:.0}%)",
                    u.p50.as_secs_f64() * 1e3,
                    u.p90.as_secs_f64() * 1e3,
                    u.p99.as_secs_f64() * 1e3,
                    u.mean.as_secs_f64() * 1e3,
                    u.per_second,
                    100.0 * runs as f64 / n.max(1) as f64
                ))?;
            }
            let scratch = std::env::temp_dir().join(format!("hitbot-bench-{}", std::process::id()));
            std::fs::create_dir_all(&scratch)?;
            let journal = bench::journal(&scratch, 20_000);
            let _ = std::fs::remove_dir_all(&scratch);
            let j = journal.map_err(|e| MustFix(format!("bench: journal: {e}")))?;
            say(format_args!(
                "journal: {} messages (accept, queue, handled, done): p50 {:.1} us, p99 {:.1} us, mean {:.1} us per message ({:.1}x an answer's mean); {} rows left",
                j.messages,
                j.p50.as_secs_f64() * 1e6,
                j.p99.as_secs_f64() * 1e6,
                j.mean.as_secs_f64() * 1e6,
                j.mean.as_secs_f64() / r.mean.as_secs_f64().max(1e-9),
                j.rows
            ))?;
            if let (Some(now), Some(peak)) = (bench::resident_kb(), bench::peak_resident_kb()) {
                say(format_args!(
                    "resident memory: {:.1} MB (peak {:.1} MB)",
                    now as f64 / 1024.0,
                    peak as f64 / 1024.0
                ))?;
            }
            // Last, so that building does not count in the memory figures above.
            let t = bench::index_build(&config.engine())?;
            say(format_args!(
                "index build: {} entries; knowledge loaded and checked in {:.1} ms, index written in {:.1} ms",
                t.entries,
                t.load.as_secs_f64() * 1e3,
                t.build.as_secs_f64() * 1e3
            ))?;
            if let Some(embed) = t.embed {
                say(format_args!(
                    "embeddings: model loaded and every knowledge text embedded in {:.1} s",
                    embed.as_secs_f64()
                ))?;
            }
        }
        Command::Check
        | Command::Index
        | Command::Export
        | Command::Chart(_)
        | Command::Inbox { .. }
        | Command::Report { .. } => {
            unreachable!("handled above")
        }
    }
    Ok(())
}

fn token_is_set() -> bool {
    std::env::var(TOKEN_ENV).is_ok_and(|t| !t.trim().is_empty())
}

fn check(config: &Config) -> anyhow::Result<()> {
    let k = load_knowledge(config)?;
    say(format_args!(
        "knowledge OK: {} entries, {} synonym rules in {}",
        k.entries.len(),
        k.synonyms.len(),
        config.knowledge_dir.display()
    ))?;
    Ok(())
}

fn load_knowledge(config: &Config) -> anyhow::Result<Knowledge> {
    knowledge_folder(config)?;
    Ok(advisor::load_checked(&config.engine())?)
}

/// A missing knowledge folder (hitbot run from another folder finds neither its config nor its
/// knowledge) is explained: which folder, from which config, and how to point at the right one.
fn knowledge_folder(config: &Config) -> Result<(), MustFix> {
    if config.knowledge_dir.is_dir() {
        return Ok(());
    }
    let folder =
        std::path::absolute(&config.knowledge_dir).unwrap_or_else(|_| config.knowledge_dir.clone());
    Err(MustFix(format!(
        "cannot find the knowledge folder {}: `knowledge_dir` comes from {}.\n\
         Run hitbot in its own folder (where config.toml and knowledge/ are), or name its config file \
         with --config /path/to/hitbot/config.toml or {CONFIG_ENV}=/path/to/hitbot/config.toml \
         (paths in the file are relative to it).",
        folder.display(),
        config.source
    )))
}

fn index(config: &Config) -> anyhow::Result<()> {
    let knowledge = load_knowledge(config)?;
    let dir = SearchIndex::rebuild(&config.index_dir, &knowledge, &index_name(&knowledge))?;
    say(format_args!(
        "indexed {} entries into {}",
        knowledge.entries.len(),
        dir.display()
    ))?;
    Ok(())
}

#[derive(Serialize)]
struct ExportedEntry<'a> {
    id: &'a str,
    topic: &'a str,
    title: &'a str,
    questions: &'a [String],
    answer: &'a str,
    related: &'a [String],
    source: &'a str,
}

fn export(config: &Config) -> anyhow::Result<()> {
    let knowledge = load_knowledge(config)?;
    let mut out = io::stdout().lock();
    for e in &knowledge.entries {
        let line = ExportedEntry {
            id: &e.id,
            topic: &e.topic,
            title: &e.title,
            questions: &e.questions,
            answer: &e.answer,
            related: &e.related,
            source: &e.source,
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    }
    Ok(())
}

/// `hitbot chart ...`: draws from the knowledge alone (no index needed) and writes the PNG.
fn draw_chart(config: &Config, command: ChartCommand) -> anyhow::Result<()> {
    let knowledge = load_knowledge(config)?;
    let (png, out) = match command {
        ChartCommand::Careers { out } => (
            chart::careers_png(&chart::CareerTable::of(&knowledge)),
            out.unwrap_or_else(|| config.charts_dir.join("careers.png")),
        ),
        ChartCommand::Compare { paths, out } => {
            let c = compare::compare_args(&paths.join(" "), &knowledge)
                .map_err(|e| MustFix(format!("chart compare: {}", e.explain(CHART_COMPARE))))?;
            (
                c.chart_png(),
                out.unwrap_or_else(|| config.charts_dir.join("compare.png")),
            )
        }
    };
    let png = match png {
        Ok(png) => png,
        Err(e @ chart::ChartError::NoData) => return Err(MustFix(format!("chart: {e}")).into()),
        Err(e) => return Err(e.into()),
    };
    if let Some(folder) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating the folder {}", folder.display()))?;
    }
    std::fs::write(&out, &png).with_context(|| format!("writing {}", out.display()))?;
    say(format_args!(
        "wrote {} ({} bytes)",
        out.display(),
        png.len()
    ))?;
    Ok(())
}

/// `hitbot report`: reads the operator store (`[store] path`); no index needed. No store yet (a fresh
/// clone, a bot that never ran) is the normal start: nothing recorded, and nothing created by reading.
fn show_report(config: &Config, since: Duration, top: usize, json: bool) -> anyhow::Result<()> {
    use hitbot_store::{Store, StoreError};
    let from = std::time::SystemTime::now()
        .checked_sub(since)
        .unwrap_or(std::time::UNIX_EPOCH);
    #[derive(Serialize)]
    struct WithInbox<'a> {
        #[serde(flatten)]
        report: &'a report::Report,
        inbox: hitbot_store::inbox::Counts,
    }
    let (report, counts) = match Store::open_existing(&config.store.path) {
        Ok(store) => {
            let report = report::build(&store, from, top)?;
            // The inbox as it stands (not limited to the period): what is left to handle.
            let counts = hitbot_store::inbox::counts(&store)?;
            (report, counts)
        }
        Err(StoreError::Missing { path }) if !json => {
            say(format_args!(
                "no events recorded yet ({} does not exist: the bot creates it when it starts)",
                path.display()
            ))?;
            return Ok(());
        }
        Err(StoreError::Missing { .. }) => (report::empty(from), Default::default()),
        Err(e @ StoreError::Newer { .. }) => return Err(MustFix(format!("report: {e}")).into()),
        Err(e) => return Err(e.into()),
    };
    if json {
        let full = WithInbox {
            report: &report,
            inbox: counts,
        };
        say(format_args!("{}", serde_json::to_string_pretty(&full)?))?;
    } else {
        put(format_args!("{}", report::render_text(&report)))?;
        say(format_args!(
            "\nInbox (hitbot inbox): {} new, {} added, {} not covered, {} dismissed",
            counts.new, counts.added, counts.not_covered, counts.dismissed
        ))?;
    }
    Ok(())
}

#[derive(Serialize)]
struct BatchLine<'a> {
    q: &'a str,
    answer: &'a str,
    entry: Option<&'a str>,
    confidence: f32,
    confident: bool,
}

fn batch(advisor: &Advisor) -> anyhow::Result<()> {
    let stdin = io::stdin();
    let mut out = io::BufWriter::new(io::stdout().lock());
    for line in stdin.lock().split(b'\n') {
        let bytes = line?;
        let q = String::from_utf8_lossy(&bytes);
        let q = q.trim_end_matches('\r');
        let reply = advisor.answer(q);
        let line = BatchLine {
            q,
            answer: &reply.text,
            entry: reply
                .entry
                .as_ref()
                .filter(|_| reply.confident)
                .map(|e| e.id.as_str()),
            confidence: reply.confidence,
            confident: reply.confident,
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
        // Each answer as soon as it is known: batch can be driven line by line.
        out.flush()?;
    }
    Ok(())
}
