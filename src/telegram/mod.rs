//! The Telegram front end (the only module that knows teloxide).

use std::process::ExitCode;

use crate::advisor::Advisor;
use crate::config::Config;

pub fn run_blocking(_advisor: Advisor, _config: &Config) -> anyhow::Result<ExitCode> {
    eprintln!("hitbot: the Telegram front end is not built yet; use `hitbot chat`");
    Ok(ExitCode::from(2))
}
