//! The `hitbot` binary: parse flags, load the config, start logging, run the command, and choose the
//! exit code (here and nowhere else): 0 success, 2 a problem the user must fix (broken knowledge, bad
//! config, missing or refused token, a bad argument file), 1 anything else.
//!
//! The work happens in the crates under `crates/`; this binary is the command line (`cli`), the
//! terminal chat (`chat`), plain-text rendering (`render`), `hitbot bench`, `hitbot inbox` (`inbox`)
//! and the composition of every crate's config section (`config`).

#![forbid(unsafe_code)]

mod bench;
mod chat;
mod cli;
mod config;
mod inbox;
mod render;

use std::process::ExitCode;

use clap::Parser;
use hitbot_engine::AdvisorError;
use hitbot_telegram::TelegramError;

use crate::cli::{Cli, MustFix};
use crate::config::{Config, ConfigError};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(&e.into()),
    };
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or(config.log.level.as_str()),
    )
    .init();
    match cli::run(cli, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// Prints the error with its causes and picks the exit code.
fn fail(error: &anyhow::Error) -> ExitCode {
    // The reader of our output went away (`hitbot export | head`): it has what it wanted.
    let closed_pipe = error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if closed_pipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("hitbot: {error:#}");
    ExitCode::from(if must_fix(error) { 2 } else { 1 })
}

/// Whether the user must change something (knowledge, config, token, arguments) for a retry to work.
fn must_fix(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.is::<MustFix>()
            || e.is::<ConfigError>()
            || e.downcast_ref::<AdvisorError>()
                .is_some_and(AdvisorError::is_setup)
            || e.downcast_ref::<TelegramError>()
                .is_some_and(TelegramError::is_setup)
    })
}
