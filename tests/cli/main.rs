//! End-to-end tests of the `hitbot` binary: the command line, the terminal chat, knowledge checking,
//! charts, the operator store and report, the documents' examples, and the Telegram bot as a process
//! (signals). One test binary, one file per feature.

mod chart;
mod chat;
mod cli;
mod common;
mod inbox;
mod knowledge;
#[cfg(unix)]
mod process;
mod readme;
mod report;
