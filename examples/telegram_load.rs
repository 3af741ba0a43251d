//! End-to-end load benchmark of the Telegram bot: the real dispatcher, handlers, advisor and outbox
//! (`hitbot_telegram::run`) against the mock Bot API of the tests (`hitbot-testkit`), served on
//! 127.0.0.1 in the same process. Prints messages per second and latency percentiles (from the
//! moment a message is queued for `getUpdates` to the moment its reply's `sendMessage` is answered).
//!
//! ```sh
//! cargo run --release --example telegram_load                       # 50 chats x 20, no rate limits
//! cargo run --release --example telegram_load -- --chats 500 --per-chat 40
//! cargo run --release --example telegram_load -- --rate 1000        # paced: 1000 msg/s arrive
//! cargo run --release --example telegram_load -- --throttle         # Telegram's limits on
//! cargo run --release --example telegram_load -- --chats 100 --per-chat 200 --faults --restart
//! cargo run --release --example telegram_load -- --no-journal      # what the journal costs
//! ```
//!
//! `--faults` spreads faults over the sends (dropped connections, 429s, a few 500s, and sends whose
//! answer is lost after Telegram executed them: the only duplicates allowed); `--restart` stops the
//! bot one second into the run with no time to drain and starts a new one on the same journal. Both
//! print how many questions were lost (must be 0) and answered twice.
//!
//! With `--throttle` it also prints the least time Telegram's limits allow for the run (30 messages a
//! second overall, 1 a second and 20 a minute per chat) and how far above it the run took.

use std::time::Duration;

use hitbot_testkit::{Bot, Fault, MockApi, TOKEN};
use tokio::time::Instant;

/// The benchmark questions (shared with `hitbot bench` and `cargo bench`).
const QUESTIONS_FILE: &str = include_str!("../benches/questions.txt");

/// What users send besides questions: a follow-up and topic commands.
const EXTRA: [&str; 4] = ["and their salary?", "/salary", "/skills", "/faq"];

struct Args {
    chats: i64,
    per_chat: usize,
    throttle: bool,
    /// Messages per second arriving; 0 = all at once.
    rate: f64,
    faults: bool,
    restart: bool,
    /// Work in flight in memory only (to measure what the journal costs).
    no_journal: bool,
}

fn args() -> Args {
    let mut a = Args {
        chats: 50,
        per_chat: 20,
        throttle: false,
        rate: 0.0,
        faults: false,
        restart: false,
        no_journal: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--chats" => a.chats = value().parse().expect("--chats N"),
            "--per-chat" => a.per_chat = value().parse().expect("--per-chat N"),
            "--rate" => a.rate = value().parse().expect("--rate R"),
            "--throttle" => a.throttle = true,
            "--faults" => a.faults = true,
            "--restart" => a.restart = true,
            "--no-journal" => a.no_journal = true,
            other => {
                eprintln!(
                    "unknown argument {other}; see the doc comment of examples/telegram_load.rs"
                );
                std::process::exit(2);
            }
        }
    }
    a
}

fn main() {
    // `RUST_LOG=hitbot_telegram=debug` shows what the bot does; quiet otherwise.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("error")).init();
    let a = args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(a));
}

async fn run(a: Args) {
    let api = MockApi::start().await;
    let throttle = a.throttle;
    let journal = (!a.no_journal).then(hitbot_testkit::fresh_journal);
    let start_bot = |drain: u64| {
        let journal = journal.clone();
        Bot::start_with(&api, hitbot_testkit::handle(), TOKEN, move |o| {
            o.telegram.throttle = throttle;
            o.telegram.flood_per_minute = 0;
            o.telegram.drain_secs = drain;
            o.journal = journal;
        })
    };
    let mut bot = start_bot(if a.restart { 0 } else { 2 }).await;
    // Warm up (menu calls, first answers) so that they do not count.
    api.say(1_000_000, "/start");
    api.reply_in(1_000_000).await;
    let before = api.messages_sent();

    let messages: Vec<&str> = QUESTIONS_FILE
        .lines()
        .filter(|l| !l.is_empty())
        .chain(EXTRA)
        .collect();
    let total = a.chats as usize * a.per_chat;
    if a.faults {
        let n = (total / 20).max(1) as u32;
        api.fail_every("sendMessage", Fault::Drop, 23, n);
        api.fail_every(
            "sendMessage",
            Fault::TooManyRequests { retry_after: 1 },
            37,
            n,
        );
        api.fail_every("sendMessage", Fault::DropAfter, 101, n);
        // teloxide sleeps 10 s after each 5xx: a few only.
        api.fail_every("sendMessage", Fault::ServerError, 997, 5);
    }
    let mut queued: Vec<Vec<Instant>> = vec![Vec::with_capacity(a.per_chat); a.chats as usize];
    let start = Instant::now();
    for k in 0..a.per_chat {
        for chat in 0..a.chats {
            if a.rate > 0.0 {
                let due = start
                    + Duration::from_secs_f64(
                        (k * a.chats as usize + chat as usize) as f64 / a.rate,
                    );
                tokio::time::sleep_until(due).await;
            }
            let text = messages[(k * 7 + chat as usize) % messages.len()];
            queued[chat as usize].push(Instant::now());
            api.say(chat + 1, text);
        }
    }
    if a.restart {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let _ = bot.stop().await;
        println!(
            "stopped after 1 s with {} of {total} replies sent; restarting on the same journal",
            api.messages_sent() - before
        );
        bot = start_bot(2).await;
    }
    let patience = Duration::from_secs(30 + total as u64 / 10);
    let sent = api.wait_for_sent(before + total, patience).await - before;
    // Every chat its replies (duplicates count in `sent`, so it may come early), then anything late.
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline
        && (1..=a.chats).any(|chat| api.sent_to(chat).len() < a.per_chat)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent = sent.max(api.messages_sent() - before);
    let mut lost = 0;
    let mut twice = 0;
    for chat in 0..a.chats {
        let n = api.sent_to(chat + 1).len();
        lost += a.per_chat.saturating_sub(n);
        twice += n.saturating_sub(a.per_chat);
    }
    let took = api
        .calls_of("sendMessage")
        .iter()
        .filter(|c| c.ok())
        .map(|c| c.at)
        .max()
        .unwrap_or(start)
        - start;

    let mut latencies: Vec<Duration> = Vec::with_capacity(total);
    for chat in 0..a.chats {
        for (k, reply) in api.sent_to(chat + 1).iter().enumerate() {
            if let Some(at) = queued[chat as usize].get(k) {
                latencies.push(reply.at.saturating_duration_since(*at));
            }
        }
    }
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "{total} messages from {} chats ({} each), Telegram's rate limits {}, {}",
        a.chats,
        a.per_chat,
        if a.throttle { "on" } else { "off" },
        if a.rate > 0.0 {
            format!("arriving at {} msg/s", a.rate)
        } else {
            "all at once".to_string()
        }
    );
    println!(
        "replies: {sent}/{total} in {:.3} s = {:.0} msg/s",
        took.as_secs_f64(),
        sent as f64 / took.as_secs_f64()
    );
    println!(
        "latency (queued -> reply sent): p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
    if a.faults || a.restart {
        println!(
            "lost: {lost}; answered twice: {twice} (the protocol-forced ones: sends the mock executed \
             and then dropped the answer of: {}, and with --restart the sends in flight when the first \
             bot was stopped)",
            api.lost_answers()
        );
    }
    if a.throttle {
        let least = least_time(total, a.per_chat);
        println!(
            "least time Telegram's limits allow: {:.1} s; this run took {:.2}x that",
            least.as_secs_f64(),
            took.as_secs_f64() / least.as_secs_f64()
        );
    }
    let _ = bot.stop().await;
    if lost > 0 || sent < total {
        eprintln!("{} replies missing", lost.max(total.saturating_sub(sent)));
        std::process::exit(1);
    }
}

/// The least time from the first message to the last that 30 msg/s overall, 1 msg/s and 20 msg/min
/// per chat allow (every chat gets `per_chat` messages; the first ones may all go at once).
fn least_time(total: usize, per_chat: usize) -> Duration {
    let overall = total.saturating_sub(30) as f64 / 30.0;
    let per_second = per_chat.saturating_sub(1) as f64;
    let per_minute = (per_chat.saturating_sub(1) / 20) as f64 * 60.0;
    Duration::from_secs_f64(overall.max(per_second).max(per_minute))
}
