//! The `hitbot` binary: logging, CLI parsing, dispatch. The work happens in the library.

use std::process::ExitCode;

use clap::Parser;
use hitbot::cli::{self, Cli};
use hitbot::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hitbot: {e}");
            return ExitCode::from(2);
        }
    };
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or(config.log_level.as_str()),
    )
    .init();
    match cli::run(cli, config) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hitbot: {e:#}");
            ExitCode::from(1)
        }
    }
}
