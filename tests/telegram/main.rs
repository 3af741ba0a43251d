//! The Telegram front end end to end, in one test binary: the real handlers, dispatcher and delivery
//! against the mock Bot API of `hitbot-testkit`, served on 127.0.0.1 inside the test process. No
//! network, no token. One file per feature.

mod charts;
mod conversation;
mod durable;
mod faults;
mod format_fuzz;
mod inbox;
mod logs;
mod ops;
