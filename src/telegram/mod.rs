//! The Telegram front end (the only module that knows teloxide): startup, the update listener
//! (long polling, or a webhook), the dispatcher running [`handlers::schema`], and a clean stop on
//! SIGINT or SIGTERM.
//!
//! | file          | owns                                                                  |
//! |---------------|-----------------------------------------------------------------------|
//! | `mod.rs`      | `run`: getMe, menu and descriptions, listener, dispatcher, shutdown    |
//! | `commands.rs` | the `/commands` (menu, help text)                                      |
//! | `handlers.rs` | the dptree handler tree: what each update gets                         |
//! | `format.rs`   | HTML rendering, escaping, splitting, keyboards as data (pure)          |
//! | `callback.rs` | `callback_data` encoding (pure)                                        |
//! | `delivery.rs` | the outbox: per-chat ordered sends, throttling, retries                |
//! | `feedback.rs` | where 👍/👎 go                                                          |
//! | `secrets.rs`  | keeps the token out of logs                                            |

mod callback;
mod commands;
mod delivery;
pub mod feedback;
mod format;
mod handlers;
mod secrets;

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use teloxide::dispatching::Dispatcher;
use teloxide::payloads::{SetMyDescriptionSetters, SetMyShortDescriptionSetters};
use teloxide::prelude::*;
use teloxide::types::Me;
use teloxide::update_listeners::{webhooks, Polling};
use teloxide::utils::command::BotCommands as _;
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::advisor::Advisor;
use crate::config::{Config, TelegramConfig};
use crate::memory::{Memory, DEFAULT_CAPACITY};

pub use feedback::{FeedbackCounter, FeedbackSink, Votes};

use commands::Command;
use delivery::{describe, Api, Outbox, RetryPolicy};
use handlers::{App, HandlerError};

/// Shown in an empty chat with the bot ("What can this bot do?"); at most 512 characters.
const DESCRIPTION: &str = "I answer questions about careers as a Health Information Technician (HIT): what \
the job is, the skills it takes, salary and job outlook, education and the RHIT credential, the five career \
paths, and professional organizations. Ask in your own words, or tap Start for the topics. Answers come \
from the guide \"What Is a Health Information Technician?\" on computerscience.org (see /about).";
/// Shown on the bot's profile; at most 120 characters.
const SHORT_DESCRIPTION: &str =
    "Answers about Health Information Technician careers: salary, skills, RHIT, education, career paths.";
/// How long a stop may wait for replies still being delivered.
const DRAIN: Duration = Duration::from_millis(1500);
/// Long-polling timeout (teloxide's HTTP client gives up after 17 s).
const POLL_TIMEOUT: Duration = Duration::from_secs(10);
/// getMe attempts at startup when Telegram cannot be reached.
const GET_ME_ATTEMPTS: u32 = 3;

/// Everything `run` needs besides the bot and the advisor.
pub struct Options {
    pub telegram: TelegramConfig,
    /// Inline results below this confidence are left out (`[answer] min_confidence`).
    pub min_confidence: f32,
    /// How long a chat's last answer is remembered for follow-ups.
    pub followup: Duration,
    /// Where 👍/👎 presses go.
    pub feedback: Arc<dyn FeedbackSink>,
    /// Show "typing…" when an answer takes longer than this.
    pub typing_after: Duration,
    /// Wait before the second attempt of a failed send (doubled for each further one).
    pub retry_backoff: Duration,
}

impl Options {
    pub fn from_config(config: &Config) -> Options {
        Options {
            telegram: config.telegram.clone(),
            min_confidence: config.answer.min_confidence,
            followup: Duration::from_secs(config.answer.followup_minutes * 60),
            feedback: Arc::new(FeedbackCounter::new()),
            typing_after: Duration::from_millis(300),
            retry_backoff: Duration::from_millis(500),
        }
    }
}

/// Runs the bot from the environment (`TELOXIDE_TOKEN`, optional `TELOXIDE_API_URL`) until SIGINT
/// or SIGTERM. Exit code 2 when the token is refused or the setup is wrong.
pub fn run_blocking(advisor: Advisor, config: &Config) -> anyhow::Result<ExitCode> {
    // Bot::from_env() panics on a malformed URL; say what is wrong instead.
    if let Ok(api_url) = std::env::var("TELOXIDE_API_URL") {
        if let Err(e) = url::Url::parse(api_url.trim_end_matches('/')) {
            eprintln!("hitbot: TELOXIDE_API_URL is not a valid URL ({e}): {api_url}");
            return Ok(ExitCode::from(2));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let code = runtime.block_on(async {
        let bot = Bot::from_env();
        run(
            bot,
            Arc::new(advisor),
            Options::from_config(config),
            stop_signal(),
        )
        .await
    });
    runtime.shutdown_timeout(Duration::from_millis(200));
    code
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

/// Runs the bot until `stop` resolves, then stops cleanly: the listener acknowledges the last update
/// offset (so nothing is answered twice after a restart) and queued replies get up to 1.5 s to go out.
pub async fn run(
    bot: Bot,
    advisor: Arc<Advisor>,
    options: Options,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<ExitCode> {
    secrets::register(bot.token());
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        let _ = stop_tx.send(true);
    });
    let stopped = wait_for_stop(stop_rx.clone());

    let me = tokio::select! {
        me = get_me(&bot) => me,
        () = stopped => return Ok(ExitCode::SUCCESS),
    };
    let me = match me {
        Ok(me) => me,
        Err(RequestError::Api(ApiError::InvalidToken)) => {
            log::error!(
                "Telegram refused the bot token (401 Unauthorized). Set TELOXIDE_TOKEN to the token \
                 @BotFather gave you."
            );
            return Ok(ExitCode::from(2));
        }
        Err(e) => {
            log::error!("cannot reach the Telegram Bot API: {}", describe(&e));
            return Ok(ExitCode::from(1));
        }
    };

    let telegram = options.telegram.clone();
    let api = Api::new(bot.clone(), telegram.throttle);
    let outbox = Outbox::new(
        api,
        RetryPolicy {
            attempts: telegram.send_attempts,
            backoff: options.retry_backoff,
        },
    );
    let app = Arc::new(App {
        advisor: Arc::clone(&advisor),
        memory: Memory::new(options.followup, DEFAULT_CAPACITY),
        feedback: options.feedback,
        outbox: Arc::clone(&outbox),
        min_confidence: options.min_confidence,
        typing_after: options.typing_after,
    });
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
    let token = dispatcher.shutdown_token();
    let watcher = tokio::spawn({
        let stopped = wait_for_stop(stop_rx.clone());
        async move {
            stopped.await;
            // The token refuses while the dispatcher is still starting: try until it takes.
            loop {
                match token.shutdown() {
                    Ok(done) => return done.await,
                    Err(_idle) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }
    });

    let mode = match &telegram.webhook_url {
        Some(url) => format!("webhook {url}"),
        None => "long polling".to_string(),
    };
    let entries = advisor.knowledge().entries.len();
    let started = match &telegram.webhook_url {
        None => {
            if let Err(e) = bot.delete_webhook().await {
                log::warn!("deleteWebhook failed: {}", describe(&e));
            }
            let listener = Polling::builder(bot.clone()).timeout(POLL_TIMEOUT).build();
            log::info!(
                "hitbot is running as @{} with {entries} knowledge entries ({mode})",
                me.username()
            );
            dispatcher
                .try_dispatch_with_listener(listener, Arc::new(listener_error))
                .await
        }
        Some(url) => {
            let listener = match webhook_listener(&bot, url, &telegram).await {
                Ok(listener) => listener,
                Err(code) => {
                    watcher.abort();
                    return Ok(code);
                }
            };
            log::info!(
                "hitbot is running as @{} with {entries} knowledge entries ({mode})",
                me.username()
            );
            dispatcher
                .try_dispatch_with_listener(listener, Arc::new(no_listener_errors))
                .await
        }
    };
    watcher.abort();
    if let Err(e) = started {
        log::error!("cannot start dispatching: {}", describe(&e));
        return Ok(ExitCode::from(1));
    }
    let left = outbox.drain(Instant::now() + DRAIN).await;
    if left > 0 {
        log::warn!("stopped with {left} replies or calls still in flight");
    }
    if *stop_rx.borrow() {
        log::info!("hitbot stopped");
        Ok(ExitCode::SUCCESS)
    } else {
        log::error!("the update listener ended unexpectedly");
        Ok(ExitCode::from(1))
    }
}

async fn wait_for_stop(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn no_listener_errors(e: std::convert::Infallible) {
    match e {}
}

async fn listener_error(e: RequestError) {
    log::warn!("getUpdates failed: {}", describe(&e));
}

/// getMe, retried briefly when Telegram cannot be reached (a refused token is not retried).
async fn get_me(bot: &Bot) -> Result<Me, RequestError> {
    let mut attempt = 1;
    loop {
        match bot.get_me().await {
            Ok(me) => return Ok(me),
            Err(e @ RequestError::Api(ApiError::InvalidToken)) => return Err(e),
            Err(e) if attempt >= GET_ME_ATTEMPTS => return Err(e),
            Err(e) => {
                log::warn!("getMe failed ({}); retrying", describe(&e));
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                attempt += 1;
            }
        }
    }
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

/// Binds the webhook server, registers the webhook with Telegram (`setWebhook`), and returns the
/// listener; the server stops and the webhook is deleted when the listener is stopped.
async fn webhook_listener(
    bot: &Bot,
    url: &str,
    telegram: &TelegramConfig,
) -> Result<impl teloxide::update_listeners::UpdateListener<Err = std::convert::Infallible>, ExitCode>
{
    let address: SocketAddr = telegram.webhook_listen.parse().map_err(|_| {
        log::error!(
            "`telegram.webhook_listen` is not an address: {}",
            telegram.webhook_listen
        );
        ExitCode::from(2)
    })?;
    let url = url::Url::parse(url).map_err(|e| {
        log::error!("`telegram.webhook_url` is not a URL ({e}): {url}");
        ExitCode::from(2)
    })?;
    let mut options = webhooks::Options::new(address, url);
    if let Some(secret) = &telegram.webhook_secret {
        options = options.secret_token(secret.clone());
    }
    let tcp = tokio::net::TcpListener::bind(address).await.map_err(|e| {
        log::error!("cannot listen on {address} for the webhook: {e}");
        ExitCode::from(2)
    })?;
    let (listener, stopped, router) = webhooks::axum_to_router(bot.clone(), options)
        .await
        .map_err(|e| {
            log::error!("setWebhook failed: {}", describe(&e));
            ExitCode::from(1)
        })?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(tcp, router)
            .with_graceful_shutdown(stopped)
            .await
        {
            log::error!("the webhook server failed: {e}");
        }
    });
    Ok(listener)
}
