//! The terminal chat: the same engine as Telegram, on stdin and stdout. Works with a pipe too.
//! Typing the number of a listed choice ("Did you mean", "Related") opens that entry.

use std::io::{self, BufRead, Write};
use std::time::{Duration, Instant};

use crate::render;
use hitbot_careers::compare;
use hitbot_engine::memory::Memory;
use hitbot_engine::{Advisor, EntryRef, Reply};

/// Chat id used for the terminal's follow-up memory.
const TERMINAL: i64 = 0;

pub fn run(
    advisor: &Advisor,
    input: impl BufRead,
    mut out: impl Write,
    interactive: bool,
    followup: Duration,
) -> io::Result<()> {
    let memory = Memory::new(followup, 1);
    if interactive {
        writeln!(
            out,
            "Ask me about careers as a Health Information Technician (HIT). Topics: {}.\nType a number to open a listed choice, /topics for the topics, /compare A B to compare two career paths, Ctrl-D to quit.",
            titles(&advisor.topics())
        )?;
    }
    let mut choices: Vec<EntryRef> = Vec::new();
    prompt(&mut out, interactive)?;
    for line in input.lines() {
        let line = match line {
            Ok(l) => l,
            // Invalid UTF-8 on a pipe: answer what can be read rather than stop.
            Err(e) if e.kind() == io::ErrorKind::InvalidData => String::new(),
            Err(e) => return Err(e),
        };
        let q = line.trim();
        if q.is_empty() {
            prompt(&mut out, interactive)?;
            continue;
        }
        if matches!(q, "/quit" | "/exit") {
            break;
        }
        if let Some(args) = compare_args(q) {
            writeln!(out, "{}\n", compare_card(advisor, args))?;
            prompt(&mut out, interactive)?;
            continue;
        }
        let reply = if q == "/topics" || q == "/start" || q == "/help" {
            writeln!(out, "Topics: {}", numbered(&advisor.topics()))?;
            choices = advisor.topics();
            prompt(&mut out, interactive)?;
            continue;
        } else if let Some(choice) = q
            .parse::<usize>()
            .ok()
            .and_then(|n| choices.get(n.wrapping_sub(1)))
        {
            advisor.entry_reply(&choice.id)
        } else {
            None
        };
        let reply: Reply = reply.unwrap_or_else(|| {
            let previous = memory.last_at(TERMINAL, Instant::now());
            advisor.answer_after(q, previous.as_deref())
        });
        if let Some(subject) = reply.subject() {
            memory.remember(TERMINAL, subject);
        }
        writeln!(out, "{}", render::reply(advisor, &reply))?;
        choices = reply
            .did_you_mean
            .iter()
            .chain(&reply.related)
            .cloned()
            .collect();
        if !reply.confident {
            choices = advisor.topics();
            writeln!(out, "Topics: {}", numbered(&choices))?;
        } else if interactive && !choices.is_empty() {
            writeln!(
                out,
                "(type 1-{} to open: {})",
                choices.len(),
                numbered(&choices)
            )?;
        }
        writeln!(out)?;
        prompt(&mut out, interactive)?;
    }
    Ok(())
}

/// The text after `/compare`, when `q` is that command.
fn compare_args(q: &str) -> Option<&str> {
    let rest = q.strip_prefix("/compare")?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then_some(rest.trim())
}

/// The comparison card, or what is missing: the paths and how to ask.
fn compare_card(advisor: &Advisor, args: &str) -> String {
    let knowledge = advisor.knowledge();
    if args.is_empty() {
        return compare::usage(knowledge);
    }
    match compare::compare_args(args, knowledge) {
        Ok(c) => c.to_text(),
        Err(e) => e.to_string(),
    }
}

fn prompt(out: &mut impl Write, interactive: bool) -> io::Result<()> {
    if interactive {
        write!(out, "> ")?;
        out.flush()?;
    }
    Ok(())
}

fn titles(refs: &[EntryRef]) -> String {
    refs.iter()
        .map(|r| r.title.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn numbered(refs: &[EntryRef]) -> String {
    refs.iter()
        .enumerate()
        .map(|(i, r)| format!("{}) {}", i + 1, r.title))
        .collect::<Vec<_>>()
        .join("  ")
}
