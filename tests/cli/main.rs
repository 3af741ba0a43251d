//! End-to-end tests of the `hitbot` binary: the command line, knowledge checking, charts, the
//! operator store and report, and the Telegram bot as a process (signals). One test binary, one
//! file per feature.

mod chart;
mod cli;
mod common;
mod inbox;
mod knowledge;
#[cfg(unix)]
mod process;
mod report;
