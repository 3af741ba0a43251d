//! The terminal chat: the same engine as Telegram, on stdin and stdout. Works with a pipe too.
//!
//! Whatever the chat lists (the topics of the welcome and `/topics`, "Did you mean", "Related", the
//! topics under a decline) is numbered, and typing a listed number opens that entry. Any other number
//! ("0", "7" when three are listed) is a question like any other, asked on its own: never answered
//! from the previous answer. Lines that start with `/` are commands ([`COMMANDS`]).

use std::io::{self, BufRead, Write};
use std::time::{Duration, Instant};

use crate::render;
use hitbot_careers::compare;
use hitbot_engine::memory::Memory;
use hitbot_engine::{Advisor, EntryRef, Reply};

/// Chat id used for the terminal's follow-up memory.
const TERMINAL: i64 = 0;

/// How a comparison is asked for here, for the examples in the compare module's messages.
const COMPARE: &str = "/compare";

/// The terminal's commands and what each does, as `/help` lists them.
pub const COMMANDS: &[(&str, &str)] = &[
    ("/start", "the welcome and the topics"),
    ("/help", "this help"),
    ("/topics", "the topics, numbered"),
    (
        "/compare A B",
        "two career paths side by side, e.g. /compare coder analyst",
    ),
    ("/quit", "leave (Ctrl-D works too)"),
];

/// What a line typed in the chat is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input<'a> {
    Blank,
    Quit,
    Start,
    Help,
    Topics,
    /// `/compare` and the text after it.
    Compare(&'a str),
    /// A `/word` that is not a command: the word as typed.
    Unknown(&'a str),
    /// Only a number ("2", "2.", "-1"): a listed choice, or else a question on its own.
    Number(&'a str),
    Question(&'a str),
}

/// Reads a line. Pure.
fn parse(line: &str) -> Input<'_> {
    let q = line.trim();
    if q.is_empty() {
        return Input::Blank;
    }
    if let Some(rest) = q.strip_prefix('/') {
        if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let (word, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            return match word.to_ascii_lowercase().as_str() {
                "quit" | "exit" => Input::Quit,
                "start" => Input::Start,
                "help" => Input::Help,
                "topics" => Input::Topics,
                "compare" => Input::Compare(args.trim()),
                _ => Input::Unknown(&q[..word.len() + 1]),
            };
        }
    }
    let digits = q
        .strip_suffix(['.', ')'])
        .unwrap_or(q)
        .trim_start_matches(['-', '+']);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Input::Number(q);
    }
    Input::Question(q)
}

/// The choice a number names: "2" is the second listed. `None` for a number that names none.
fn chosen<'c>(number: &str, choices: &'c [EntryRef]) -> Option<&'c EntryRef> {
    let n: usize = number.trim_end_matches(['.', ')']).parse().ok()?;
    choices.get(n.checked_sub(1)?)
}

/// The welcome (at the start of an interactive chat, and `/start`), with the topics numbered.
fn welcome(topics: &[EntryRef]) -> String {
    format!(
        "Ask me about careers as a Health Information Technician (HIT), in your own words: \
         \"how much do HITs make?\", \"do I need the RHIT?\".\n{}\n\
         Type a number to open a listed choice, /help for the commands, Ctrl-D to quit.",
        render::list_line("Topics", topics, Some(1))
    )
}

/// `/help`: how to ask, how numbers work, and the commands.
fn help() -> String {
    let width = COMMANDS.iter().map(|(c, _)| c.len()).max().unwrap_or(0) + 3;
    let mut out = String::from(
        "Ask about careers as a Health Information Technician (HIT) in your own words, e.g. \
         \"what does a HIT do?\" or \"how much do HITs make?\". A follow-up such as \"and their \
         salary?\" is about the last answer.\n\
         What I list (topics, \"Did you mean\", related topics) is numbered: type a number to open \
         it.\nCommands:\n",
    );
    for (command, what) in COMMANDS {
        out.push_str(&format!("  {command:width$}{what}\n"));
    }
    out.truncate(out.trim_end().len());
    out
}

/// The reply to a `/word` that is not a command.
fn unknown_command(word: &str) -> String {
    let names: Vec<&str> = COMMANDS.iter().map(|(c, _)| *c).collect();
    format!(
        "Unknown command {word}. The commands: {}.",
        names.join(", ")
    )
}

/// One conversation: the follow-up memory and what was listed last.
struct Chat<'a> {
    advisor: &'a Advisor,
    memory: Memory,
    /// The choices the last list numbered, in number order: typing `n` opens `choices[n - 1]`.
    choices: Vec<EntryRef>,
}

impl Chat<'_> {
    /// What to print for `line`; `None` to end the chat.
    fn respond(&mut self, line: &str) -> Option<String> {
        let advisor = self.advisor;
        let reply = match parse(line) {
            Input::Blank => return Some(String::new()),
            Input::Quit => return None,
            Input::Start => {
                self.choices = advisor.topics();
                return Some(welcome(&self.choices));
            }
            Input::Help => return Some(help()),
            Input::Topics => {
                self.choices = advisor.topics();
                return Some(render::list_line("Topics", &self.choices, Some(1)));
            }
            Input::Compare(args) => return Some(compare_card(advisor, args)),
            Input::Unknown(word) => return Some(unknown_command(word)),
            Input::Number(n) => match chosen(n, &self.choices) {
                Some(choice) => advisor
                    .entry_reply(&choice.id)
                    .unwrap_or_else(|| advisor.answer(n)),
                // Not one of the listed choices: asked on its own, never about the last answer.
                None => advisor.answer(n),
            },
            Input::Question(q) => {
                let previous = self.memory.last_at(TERMINAL, Instant::now());
                advisor.answer_after(q, previous.as_deref())
            }
        };
        Some(self.show(&reply))
    }

    /// The reply with its choices numbered; the topics are listed under anything but an answer.
    fn show(&mut self, reply: &Reply) -> String {
        if let Some(subject) = reply.subject() {
            self.memory.remember(TERMINAL, subject);
        }
        if let Some(card) = render::comparison(self.advisor, reply) {
            self.choices.clear();
            return card;
        }
        let topics = if reply.confident {
            Vec::new()
        } else {
            self.advisor.topics()
        };
        let (text, choices) = render::numbered(reply, &topics);
        self.choices = choices;
        text
    }
}

pub fn run(
    advisor: &Advisor,
    input: impl BufRead,
    mut out: impl Write,
    interactive: bool,
    followup: Duration,
) -> io::Result<()> {
    let mut chat = Chat {
        advisor,
        memory: Memory::new(followup, 1),
        choices: Vec::new(),
    };
    if interactive {
        if let Some(text) = chat.respond("/start") {
            writeln!(out, "{text}")?;
        }
    }
    prompt(&mut out, interactive)?;
    for line in input.lines() {
        let line = match line {
            Ok(l) => l,
            // Invalid UTF-8 on a pipe: answer what can be read rather than stop.
            Err(e) if e.kind() == io::ErrorKind::InvalidData => String::new(),
            Err(e) => return Err(e),
        };
        match chat.respond(&line) {
            None => break,
            Some(text) if text.is_empty() => {}
            Some(text) => writeln!(out, "{text}\n")?,
        }
        prompt(&mut out, interactive)?;
    }
    Ok(())
}

/// The comparison card, or what is missing: the paths and how to ask.
fn compare_card(advisor: &Advisor, args: &str) -> String {
    let knowledge = advisor.knowledge();
    if args.is_empty() {
        return compare::usage(knowledge, COMPARE);
    }
    match compare::compare_args(args, knowledge) {
        Ok(c) => c.to_text(),
        Err(e) => e.explain(COMPARE),
    }
}

fn prompt(out: &mut impl Write, interactive: bool) -> io::Result<()> {
    if interactive {
        write!(out, "> ")?;
        out.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_recognised() {
        assert_eq!(parse("  /help "), Input::Help);
        assert_eq!(parse("/HELP"), Input::Help);
        assert_eq!(parse("/start"), Input::Start);
        assert_eq!(parse("/start salary"), Input::Start);
        assert_eq!(parse("/topics"), Input::Topics);
        assert_eq!(parse("/quit"), Input::Quit);
        assert_eq!(parse("/exit"), Input::Quit);
        assert_eq!(parse("/compare"), Input::Compare(""));
        assert_eq!(
            parse("/compare  coder analyst "),
            Input::Compare("coder analyst")
        );
        assert_eq!(parse(""), Input::Blank);
        assert_eq!(parse(" \t"), Input::Blank);
    }

    /// Regression: an unknown `/foo` got the "I don't know" answer.
    #[test]
    fn an_unknown_command_is_named_and_the_commands_listed() {
        assert_eq!(parse("/foo bar"), Input::Unknown("/foo"));
        assert_eq!(parse("/comparex a b"), Input::Unknown("/comparex"));
        let text = unknown_command("/foo");
        assert!(
            text.starts_with("Unknown command /foo. The commands: "),
            "{text}"
        );
        for (command, _) in COMMANDS {
            assert!(text.contains(command), "{command}: {text}");
        }
        // Not commands: a slash that starts no word is text.
        assert_eq!(parse("/ 2"), Input::Question("/ 2"));
        assert_eq!(parse("and/or"), Input::Question("and/or"));
    }

    #[test]
    fn numbers_alone_are_numbers() {
        for n in ["2", " 2 ", "2.", "2)", "0", "-1", "+3", "99", "007"] {
            assert_eq!(parse(n), Input::Number(n.trim()), "{n}");
        }
        for q in ["2 years", "1.5", "rhit 2", "-", ".", "💰💰💰?"] {
            assert_eq!(parse(q), Input::Question(q), "{q}");
        }
    }

    #[test]
    fn only_a_listed_number_is_a_choice() {
        let listed: Vec<EntryRef> = ["a", "b", "c"]
            .iter()
            .map(|id| EntryRef {
                id: id.to_string(),
                title: id.to_uppercase(),
            })
            .collect();
        assert_eq!(chosen("1", &listed).map(|c| c.id.as_str()), Some("a"));
        assert_eq!(chosen("3.", &listed).map(|c| c.id.as_str()), Some("c"));
        assert_eq!(chosen("2)", &listed).map(|c| c.id.as_str()), Some("b"));
        for n in ["0", "4", "7", "99", "-1", "18446744073709551616"] {
            assert_eq!(chosen(n, &listed), None, "{n}");
        }
        assert_eq!(chosen("1", &[]), None);
    }

    /// Regression: `/help` printed only a topic line.
    #[test]
    fn help_says_how_to_ask_and_lists_every_command() {
        let text = help();
        assert!(text.contains("in your own words"), "{text}");
        assert!(text.contains("type a number to open"), "{text}");
        for (command, what) in COMMANDS {
            assert!(
                text.lines()
                    .any(|l| l.trim_start().starts_with(command) && l.ends_with(what)),
                "{command}: {text}"
            );
        }
    }

    /// Regression: the welcome said "Type a number to open a listed choice" over topics without
    /// numbers.
    #[test]
    fn the_welcome_numbers_its_topics() {
        let topics = [
            EntryRef {
                id: "salary".into(),
                title: "Salary".into(),
            },
            EntryRef {
                id: "skills".into(),
                title: "Skills".into(),
            },
        ];
        let text = welcome(&topics);
        assert!(text.contains("\nTopics: 1) Salary | 2) Skills\n"), "{text}");
        assert!(
            text.contains("Type a number to open a listed choice"),
            "{text}"
        );
    }
}
