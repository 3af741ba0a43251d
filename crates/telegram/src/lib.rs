//! The Telegram front end (the only crate that knows teloxide and axum): startup, the update listener
//! (long polling, or a webhook), the dispatcher running [`handlers::schema`], hot reload of the
//! knowledge (`/reload`, SIGHUP, the folder watcher), and a clean stop on SIGINT or SIGTERM.
//!
//! | file          | owns                                                                  |
//! |---------------|-----------------------------------------------------------------------|
//! | `lib.rs`      | `run`: getMe, menu and descriptions, listener, dispatcher, reload, stop |
//! | `config.rs`   | the `[telegram]` section of `config.toml`                              |
//! | `error.rs`    | [`TelegramError`]: what stopped the bot                                |
//! | `commands.rs` | the `/commands` (menu, help text) and the admin commands               |
//! | `handlers.rs` | the dptree handler tree: what each update gets                         |
//! | `charts.rs`   | the careers chart photo and `/compare`                                 |
//! | `admin.rs`    | `/reload`, `/stats`, `/unanswered` for `[telegram] admins`             |
//! | `inbox.rs`    | `/inbox` and its buttons: misses taught to the knowledge in one tap    |
//! | `flood.rs`    | per-user flood control (pure)                                          |
//! | `format.rs`   | HTML and plain rendering, splitting, keyboards as data (pure)          |
//! | `callback.rs` | `callback_data` encoding, career-path keys (pure)                      |
//! | `intake.rs`   | updates in: long polling, the webhook server, journal before ack, dedupe |
//! | `delivery.rs` | the outbox: journaled per-chat ordered sends, photos, draining         |
//! | `pace.rs`     | Telegram's rate limits, per chat and overall                           |
//! | `retry.rs`    | the one retry helper: failure classes, backoff (sends, side calls, getMe) |
//! | `feedback.rs` | the question behind each answer, for the 👍/👎 events                    |
//! | `secrets.rs`  | keeps the token out of logs                                            |

#![forbid(unsafe_code)]

mod admin;
mod callback;
mod charts;
mod commands;
mod config;
mod delivery;
mod error;
mod feedback;
mod flood;
pub mod format;
mod handlers;
mod inbox;
mod intake;
mod pace;
mod retry;
mod secrets;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use teloxide::dispatching::Dispatcher;
use teloxide::payloads::{SetMyDescriptionSetters, SetMyShortDescriptionSetters};
use teloxide::prelude::*;
use teloxide::types::Me;
use teloxide::utils::command::BotCommands as _;
use teloxide::{ApiError, RequestError};
use tokio_util::sync::CancellationToken;

use hitbot_careers::chart::ChartCache;
use hitbot_engine::memory::{Memory, DEFAULT_CAPACITY};
use hitbot_engine::reload::{AdvisorHandle, Watcher};
use hitbot_engine::AnswerConfig;
use hitbot_store::journal::{Journal, Recovery};
use hitbot_store::{Event, EventSink, Recorder, StoreConfig};

pub use config::{Age, TelegramConfig};
pub use error::TelegramError;
/// The Bot API client `run` takes (teloxide's), so that callers need not depend on teloxide.
pub use teloxide::Bot;

/// How comparison buttons name career paths (their callback data is `c:<key>` and `c:<key>:<key>`).
pub use callback::PathKey;
pub use handlers::SLOW_DOWN;

use commands::Command;
use delivery::{send_backoff, Api, Outbox};
use feedback::Asked;
use flood::FloodGate;
use handlers::{App, HandlerError};
use retry::{describe, retry, Backoff};

/// Shown in an empty chat with the bot ("What can this bot do?"); at most 512 characters.
const DESCRIPTION: &str = "I answer questions about careers as a Health Information Technician (HIT): what \
the job is, the skills it takes, salary and job outlook, education and the RHIT credential, the five career \
paths, and professional organizations. Ask in your own words, or tap Start for the topics. Answers come \
from the guide \"What Is a Health Information Technician?\" on computerscience.org (see /about).";
/// Shown on the bot's profile; at most 120 characters.
const SHORT_DESCRIPTION: &str =
    "Answers about Health Information Technician careers: salary, skills, RHIT, education, career paths.";
/// Longest wait between two getMe attempts while Telegram cannot be reached at startup.
const MAX_STARTUP_BACKOFF: Duration = Duration::from_secs(30);
/// The flood-control window (`[telegram] flood_per_minute`).
const MINUTE: Duration = Duration::from_secs(60);

/// Everything `run` needs besides the bot and the advisor.
pub struct Options {
    pub telegram: TelegramConfig,
    /// Inline results below this confidence are left out (`[answer] min_confidence`).
    pub min_confidence: f32,
    /// How long a chat's last answer is remembered for follow-ups.
    pub followup: Duration,
    /// Where answers, declined and low-confidence questions and 👍/👎 are recorded (the operator
    /// store in production).
    pub events: Arc<dyn EventSink>,
    /// The store file `/stats` and `/unanswered` read; `None`: they say there is no store.
    pub store_path: Option<PathBuf>,
    /// Answers below this confidence are recorded as low-confidence (`[store] low_confidence`).
    pub low_confidence: f32,
    /// Record chat ids with events (`[store] keep_chat_id`).
    pub keep_chat_id: bool,
    /// Show "typing…" when an answer takes longer than this.
    pub typing_after: Duration,
    /// Wait before the second attempt of a failed send (doubled for each further one); also the
    /// first wait when Telegram cannot be reached at startup.
    pub retry_backoff: Duration,
    /// How often the knowledge folder is checked for edits (`[telegram] watch_knowledge_secs`);
    /// `None`: never.
    pub watch_knowledge: Option<Duration>,
    /// The window `[telegram] flood_per_minute` counts in: a minute.
    pub flood_window: Duration,
    /// The journal of work in flight (`[telegram] journal`); `None`: in memory only.
    pub journal: Option<PathBuf>,
}

impl Options {
    /// The options the config sections ask for; events go nowhere until a store is attached.
    pub fn new(telegram: &TelegramConfig, answer: &AnswerConfig, store: &StoreConfig) -> Options {
        Options {
            telegram: telegram.clone(),
            min_confidence: answer.min_confidence,
            followup: Duration::from_secs(answer.followup_minutes * 60),
            events: Arc::new(NoEvents),
            store_path: None,
            low_confidence: store.low_confidence,
            keep_chat_id: store.keep_chat_id,
            typing_after: Duration::from_millis(300),
            retry_backoff: Duration::from_millis(500),
            watch_knowledge: (telegram.watch_knowledge_secs > 0)
                .then(|| Duration::from_secs(telegram.watch_knowledge_secs)),
            flood_window: MINUTE,
            journal: Some(journal_path(telegram, store)),
        }
    }
}

/// `[telegram] journal`, or `journal.sqlite` in the folder of `[store] path`.
pub fn journal_path(telegram: &TelegramConfig, store: &StoreConfig) -> PathBuf {
    telegram.journal.clone().unwrap_or_else(|| {
        store
            .path
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .join("journal.sqlite")
    })
}

/// Records nothing (when there is no store).
struct NoEvents;

impl EventSink for NoEvents {
    fn record(&self, _: Event) {}
}

/// Environment variable holding the bot token.
pub const TOKEN_ENV: &str = "TELOXIDE_TOKEN";

/// The bot from the environment: `TELOXIDE_TOKEN`, and optionally `TELOXIDE_API_URL` (another Bot
/// API server) and `TELOXIDE_PROXY`. teloxide's `Bot::from_env()` panics on a malformed URL or
/// proxy; here each is an error that says which variable is wrong.
pub fn bot_from_env() -> Result<Bot, TelegramError> {
    let token = std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or(TelegramError::NoToken)?;
    let mut client = teloxide::net::default_reqwest_settings();
    if let Ok(proxy) = std::env::var("TELOXIDE_PROXY") {
        let parsed = reqwest::Proxy::all(&proxy).map_err(|e| TelegramError::BadProxy {
            value: proxy.clone(),
            reason: e.to_string(),
        })?;
        client = client.proxy(parsed);
    }
    let client = client
        .build()
        .map_err(|e| TelegramError::Client(e.to_string()))?;
    let mut bot = Bot::with_client(token, client);
    if let Ok(api_url) = std::env::var("TELOXIDE_API_URL") {
        let url = url::Url::parse(api_url.trim_end_matches('/')).map_err(|e| {
            TelegramError::BadApiUrl {
                value: api_url.clone(),
                reason: e.to_string(),
            }
        })?;
        bot = bot.set_api_url(url);
    }
    Ok(bot)
}

/// Runs `bot` (see [`bot_from_env`]) until SIGINT or SIGTERM, recording
/// operator data in `[store] path` and reloading the knowledge on SIGHUP.
pub fn run_blocking(
    bot: Bot,
    handle: AdvisorHandle,
    mut options: Options,
    store: &StoreConfig,
) -> Result<(), TelegramError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(TelegramError::Runtime)?;
    let result = runtime.block_on(async {
        let recorder = match Recorder::open(store) {
            Ok(r) => {
                let r = Arc::new(r);
                options.events = Arc::clone(&r) as Arc<dyn EventSink>;
                options.store_path = Some(store.path.clone());
                Some(r)
            }
            Err(e) => {
                log::error!("the operator store cannot be opened ({e}); nothing will be recorded");
                None
            }
        };
        #[cfg(unix)]
        tokio::spawn(reload_on_sighup(handle.clone()));
        let stop = CancellationToken::new();
        tokio::spawn({
            let stop = stop.clone();
            async move {
                stop_signal().await;
                stop.cancel();
            }
        });
        let result = run(bot, handle, options, stop).await;
        if let Some(r) = recorder {
            // What was recorded until the stop is written before the process exits.
            tokio::task::spawn_blocking(move || r.flush()).await.ok();
        }
        result
    });
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

/// Reloads the knowledge on every SIGHUP (`kill -HUP`, `systemctl reload`). A broken edit is logged
/// with every problem and the old knowledge keeps serving.
#[cfg(unix)]
async fn reload_on_sighup(handle: AdvisorHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangup = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            log::warn!("cannot listen for SIGHUP ({e}); reload with /reload instead");
            return;
        }
    };
    while hangup.recv().await.is_some() {
        log::info!("SIGHUP received: reloading the knowledge");
        // `admin::reload` logs a failure with its problems; its reply is for a chat.
        admin::reload(&handle).await;
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (systemd, Docker).
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => log::info!("SIGINT received, stopping"),
                _ = term.recv() => log::info!("SIGTERM received, stopping"),
            },
            Err(e) => {
                log::warn!("cannot listen for SIGTERM ({e}); only Ctrl-C stops the bot cleanly");
                let _ = tokio::signal::ctrl_c().await;
                log::info!("SIGINT received, stopping");
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        log::info!("Ctrl-C received, stopping");
    }
}

/// Runs the bot until `stop` is cancelled (SIGINT or SIGTERM in production, the test in tests), then
/// stops cleanly: no more updates are taken (the last ones are acknowledged), the updates taken are
/// handled, and replies get up to `[telegram] drain_secs` to go out. Whatever is left stays in the
/// journal and goes out at the next start, before anything new.
pub async fn run(
    bot: Bot,
    handle: AdvisorHandle,
    options: Options,
    stop: CancellationToken,
) -> Result<(), TelegramError> {
    secrets::register(bot.token());
    let me = tokio::select! {
        me = get_me(&bot, options.retry_backoff) => me,
        () = stop.cancelled() => return Ok(()),
    };
    let me = match me {
        Ok(me) => me,
        Err(RequestError::Api(ApiError::InvalidToken)) => return Err(TelegramError::TokenRefused),
        Err(e) => return Err(TelegramError::Unreachable(describe(&e))),
    };

    let telegram = options.telegram.clone();
    let (journal, recovery) = open_journal(options.journal.as_deref());
    let api = Api::new(bot.clone(), telegram.throttle);
    let outbox = Outbox::new(
        api,
        send_backoff(options.retry_backoff),
        telegram.give_up_after.0,
        journal.clone(),
    );
    // What the last run left: its replies first, then its unhandled updates, then anything new.
    let resent = outbox.resume(recovery.outbound);
    let replay = match &journal {
        Some(j) => intake::replay(j, recovery.inbound),
        None => Vec::new(),
    };
    if resent > 0 || !replay.is_empty() {
        log::info!(
            "journal: sending {resent} replies and handling {} updates left by the last run",
            replay.len()
        );
    }
    let app = Arc::new(App {
        handle: handle.clone(),
        memory: Memory::new(options.followup, DEFAULT_CAPACITY),
        events: options.events,
        asked: Asked::new(DEFAULT_CAPACITY),
        outbox: Arc::clone(&outbox),
        min_confidence: options.min_confidence,
        low_confidence: options.low_confidence,
        keep_chat_id: options.keep_chat_id,
        typing_after: options.typing_after,
        admins: telegram.admins.clone(),
        flood: FloodGate::new(
            telegram.flood_per_minute,
            options.flood_window,
            flood::DEFAULT_CAPACITY,
        ),
        charts: Arc::new(ChartCache::new()),
        store_path: options.store_path,
        stopping: stop.clone(),
    });
    if let Some(period) = options.watch_knowledge {
        tokio::spawn(watch_knowledge(handle.clone(), period, stop.clone()));
    }
    // Menu and descriptions in the background: a slow or failing call must not delay answering.
    tokio::spawn(set_up_profile(bot.clone()));

    let mut dispatcher = Dispatcher::builder(bot.clone(), handlers::schema())
        .dependencies(dptree::deps![app])
        .default_handler(|update| async move { log::trace!("ignored update {}", update.id.0) })
        .error_handler(Arc::new(|e: HandlerError| async move {
            log::error!("handler error: {}", secrets::redact(&e.to_string()))
        }))
        // Updates of one chat in order, chats concurrently; inline queries (no chat) by user.
        .distribution_function(|u: &Update| {
            u.chat()
                .map(|c| c.id.0)
                .or_else(|| u.from().map(|f| f.id.0 as i64))
        })
        .build();

    // The intake ends at `stop`; the dispatcher then handles what was taken and returns.
    let (tx, rx) = tokio::sync::mpsc::channel(intake::QUEUE);
    let intake = intake::Intake::new(journal.clone(), tx);
    let listener = intake::listener(replay, rx);
    let entries = handle.get().knowledge().entries.len();
    let (mode, taking) = match &telegram.webhook_url {
        None => {
            if let Err(e) = bot.delete_webhook().await {
                log::warn!("deleteWebhook failed: {}", describe(&e));
            }
            let task = tokio::spawn(intake::poll(
                bot.clone(),
                intake,
                stop.clone(),
                options.retry_backoff,
            ));
            ("long polling".to_string(), task)
        }
        Some(url) => {
            let task = start_webhook(&bot, url, &telegram, intake, stop.clone()).await?;
            (format!("webhook {url}"), task)
        }
    };
    log::info!(
        "hitbot is running as @{} with {entries} knowledge entries ({mode})",
        me.username()
    );
    let dispatched = dispatcher
        .try_dispatch_with_listener(listener, Arc::new(no_listener_errors))
        .await;
    if dispatched.is_err() {
        stop.cancel();
    }
    let _ = taking.await;
    if let Err(e) = dispatched {
        return Err(TelegramError::Dispatch(describe(&e)));
    }
    let left = outbox.drain(Duration::from_secs(telegram.drain_secs)).await;
    if left > 0 {
        log::warn!(
            "stopped with {left} deliveries still in flight after [telegram] drain_secs = {}; \
             their replies are sent at the next start",
            telegram.drain_secs
        );
    }
    if stop.is_cancelled() {
        log::info!("hitbot stopped");
        Ok(())
    } else {
        Err(TelegramError::ListenerEnded)
    }
}

/// Opens the journal and reads what the last run left; without one (none configured, or it cannot
/// be opened: logged) the bot runs with work in flight kept in memory only.
fn open_journal(path: Option<&std::path::Path>) -> (Option<Arc<Journal>>, Recovery) {
    let Some(path) = path else {
        return (None, Recovery::default());
    };
    let opened = Journal::open(path).and_then(|j| {
        let r = j.recover()?;
        Ok((j, r))
    });
    match opened {
        Ok((j, r)) => (Some(Arc::new(j)), r),
        Err(e) => {
            log::error!(
                "the journal cannot be used ({e}); replies in flight will be lost if the bot stops"
            );
            (None, Recovery::default())
        }
    }
}

/// Polls the knowledge folder every `period` (see [`Watcher`]) until `stop` is cancelled; a reload
/// runs on the blocking pool.
async fn watch_knowledge(handle: AdvisorHandle, period: Duration, stop: CancellationToken) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut watcher = Some(Watcher::new(handle));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let Some(mut w) = watcher.take() else { return };
        match tokio::task::spawn_blocking(move || {
            w.poll();
            w
        })
        .await
        {
            Ok(w) => watcher = Some(w),
            Err(e) => {
                log::error!("the knowledge watcher stopped: {e}");
                return;
            }
        }
    }
}

async fn no_listener_errors(e: std::convert::Infallible) {
    match e {}
}

/// getMe, retried with growing waits for as long as Telegram cannot be reached (network errors,
/// 5xx, 429): a bot started before the network is up just waits. A refused token (401) or any other
/// error is returned at once.
async fn get_me(bot: &Bot, first: Duration) -> Result<Me, RequestError> {
    let startup = Backoff {
        attempts: None,
        first: first.max(Duration::from_millis(1)),
        max: MAX_STARTUP_BACKOFF,
        longest_retry_after: None,
        until: None,
        level: log::Level::Warn,
    };
    retry(&startup, "getMe at startup", || bot.get_me().send()).await
}

/// The command menu and what an empty chat and the profile show.
async fn set_up_profile(bot: Bot) {
    if let Err(e) = bot.set_my_commands(Command::bot_commands()).await {
        log::warn!("setMyCommands failed: {}", describe(&e));
    }
    if let Err(e) = bot.set_my_description().description(DESCRIPTION).await {
        log::warn!("setMyDescription failed: {}", describe(&e));
    }
    if let Err(e) = bot
        .set_my_short_description()
        .short_description(SHORT_DESCRIPTION)
        .await
    {
        log::warn!("setMyShortDescription failed: {}", describe(&e));
    }
}

/// Binds the webhook server and registers the webhook with Telegram (`setWebhook`); the server
/// stops and the webhook is deleted at `stop`.
async fn start_webhook(
    bot: &Bot,
    url: &str,
    telegram: &TelegramConfig,
    intake: intake::Intake,
    stop: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, TelegramError> {
    let address: SocketAddr =
        telegram
            .webhook_listen
            .parse()
            .map_err(|_| TelegramError::BadSetting {
                key: "telegram.webhook_listen",
                value: telegram.webhook_listen.clone(),
            })?;
    let url = url::Url::parse(url).map_err(|_| TelegramError::BadSetting {
        key: "telegram.webhook_url",
        value: url.to_string(),
    })?;
    let secret = telegram
        .webhook_secret
        .clone()
        .unwrap_or_else(intake::random_secret);
    let tcp = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| TelegramError::Listen { address, source })?;
    intake::webhook(bot.clone(), url, secret, tcp, intake, stop)
        .await
        .map_err(|e| TelegramError::SetWebhook(describe(&e)))
}
