//! Scoring the advisor on a question file (JSON lines): `expect_any` lists alternatives of lower-case
//! substrings (one alternative must match entirely), `expect_none` means the advisor must decline,
//! `after` is a previous question in the same conversation (follow-ups).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::advisor::Advisor;

#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    #[serde(default)]
    pub id: Option<String>,
    pub q: String,
    #[serde(default)]
    pub expect_any: Option<Vec<Vec<String>>>,
    #[serde(default)]
    pub expect_none: Option<bool>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
}

impl Case {
    pub fn in_scope(&self) -> bool {
        self.expect_none != Some(true)
    }
}

/// Reads a JSON-lines question file; an error names the file and line.
pub fn load_cases(path: &Path) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_cases(&text).map_err(|(line, e)| format!("{}:{line}: {e}", path.display()))
}

pub fn parse_cases(text: &str) -> Result<Vec<Case>, (usize, String)> {
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: Case = serde_json::from_str(line).map_err(|e| (i + 1, e.to_string()))?;
        if case.in_scope() && case.expect_any.as_ref().is_none_or(|a| a.is_empty()) {
            return Err((i + 1, "needs `expect_any` or `expect_none: true`".into()));
        }
        cases.push(case);
    }
    Ok(cases)
}

/// A conversation that pins a follow-up rule (`tests/data/followups.jsonl`): the questions asked
/// before, the question, and what it must get. Front ends replay it and compare what they showed.
#[derive(Debug, Clone, Deserialize)]
pub struct Conversation {
    pub after: Vec<String>,
    pub ask: String,
    /// Entry ids any of which is right; `["decline"]`; or `["alone"]`: what `ask` gets on its own.
    pub expect: Vec<String>,
    pub why: String,
}

impl Conversation {
    /// Whether `got` (an [`outcome`]) is right, given what the question gets on its own.
    pub fn accepts(&self, got: &str, alone: &str) -> bool {
        if self.expect == ["alone"] {
            got == alone
        } else {
            self.expect.iter().any(|e| e == got)
        }
    }

    /// The line a failing conversation is reported with.
    pub fn failure(&self, got: &str) -> String {
        format!(
            "{:?} → {:?}: got {got}, expected {:?} ({})",
            self.after, self.ask, self.expect, self.why
        )
    }
}

/// Reads a JSON-lines file of [`Conversation`]s; an error names the file and line.
pub fn load_conversations(path: &Path) -> Result<Vec<Conversation>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// What a reply was, in a [`Conversation`]'s terms: the entry answered from, "decline", or
/// "small talk".
pub fn outcome(reply: &crate::Reply) -> String {
    match (&reply.entry, reply.confident) {
        (Some(e), true) => e.id.clone(),
        _ if reply.small_talk.is_some() => "small talk".to_string(),
        _ => "decline".to_string(),
    }
}

/// Lower-cases, drops `$`, joins digit groups split by thousands commas, and turns dashes into `-`.
pub fn normalise(text: &str) -> String {
    let lower = text.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut out = String::with_capacity(lower.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '$' => {}
            ',' if i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()) => {}
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            _ => out.push(c),
        }
    }
    out
}

/// Whether `answer` satisfies one of the alternatives.
pub fn matches(answer: &str, expect_any: &[Vec<String>]) -> bool {
    let answer = normalise(answer);
    expect_any
        .iter()
        .any(|alt| alt.iter().all(|s| answer.contains(&normalise(s))))
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub case: Case,
    pub passed: bool,
    /// A right answer among the top three entries (in-scope cases).
    pub in_top3: bool,
    pub entry: Option<String>,
    pub confidence: f32,
    pub confident: bool,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
}

pub fn run(advisor: &Advisor, cases: &[Case]) -> Report {
    let mut outcomes = Vec::new();
    for case in cases {
        let previous = case.after.as_ref().and_then(|q| {
            let r = advisor.answer(q);
            r.subject().map(str::to_string)
        });
        let reply = advisor.answer_after(&case.q, previous.as_deref());
        let (passed, in_top3) = match &case.expect_any {
            Some(expect) if case.in_scope() => {
                let passed = reply.confident && matches(&reply.text, expect);
                let in_top3 = passed
                    || advisor.candidates(&case.q, 3).iter().any(|(e, _)| {
                        advisor
                            .entry(&e.id)
                            .is_some_and(|entry| matches(&entry.answer, expect))
                    });
                (passed, in_top3)
            }
            _ => (!reply.confident, !reply.confident),
        };
        outcomes.push(Outcome {
            case: case.clone(),
            passed,
            in_top3,
            entry: reply.entry.map(|e| e.id),
            confidence: reply.confidence,
            confident: reply.confident,
            text: reply.text,
        });
    }
    Report { outcomes }
}

impl Report {
    fn rate(&self, in_scope: bool, f: impl Fn(&Outcome) -> bool) -> (f64, usize) {
        let selected: Vec<&Outcome> = self
            .outcomes
            .iter()
            .filter(|o| o.case.in_scope() == in_scope)
            .collect();
        if selected.is_empty() {
            return (1.0, 0);
        }
        let ok = selected.iter().filter(|o| f(o)).count();
        (ok as f64 / selected.len() as f64, selected.len())
    }

    pub fn in_scope_accuracy(&self) -> f64 {
        self.rate(true, |o| o.passed).0
    }

    pub fn out_of_scope_accuracy(&self) -> f64 {
        self.rate(false, |o| o.passed).0
    }

    pub fn recall_at_3(&self) -> f64 {
        self.rate(true, |o| o.in_top3).0
    }

    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| !o.passed)
    }

    /// The per-topic table, the failures, recall@3 and the last `ACCURACY` line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut topics: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for o in &self.outcomes {
            let t = topics
                .entry(o.case.topic.as_deref().unwrap_or("-"))
                .or_default();
            t.0 += 1;
            t.1 += usize::from(o.passed);
        }
        let _ = writeln!(
            out,
            "{:<28} {:>5} {:>6} {:>8}",
            "topic", "n", "passed", "accuracy"
        );
        for (topic, (n, ok)) in &topics {
            let _ = writeln!(
                out,
                "{topic:<28} {n:>5} {ok:>6} {:>8.3}",
                *ok as f64 / *n as f64
            );
        }
        let failures: Vec<&Outcome> = self.failures().collect();
        if !failures.is_empty() {
            let _ = writeln!(out, "\nFailures ({}):", failures.len());
            for o in failures {
                let what = if !o.case.in_scope() {
                    "answered (should decline)"
                } else if o.confident {
                    "wrong answer"
                } else {
                    "declined"
                };
                let _ = writeln!(
                    out,
                    "- {} [{}] {:?}{} -> {}: entry {} (confidence {:.2})",
                    o.case.id.as_deref().unwrap_or("?"),
                    o.case.topic.as_deref().unwrap_or("-"),
                    o.case.q,
                    o.case
                        .after
                        .as_ref()
                        .map(|a| format!(" (after {a:?})"))
                        .unwrap_or_default(),
                    what,
                    o.entry.as_deref().unwrap_or("none"),
                    o.confidence
                );
            }
        }
        let _ = writeln!(out, "\nrecall@3 in_scope={:.3}", self.recall_at_3());
        let _ = writeln!(
            out,
            "ACCURACY in_scope={:.3} out_of_scope={:.3} n={}",
            self.in_scope_accuracy(),
            self.out_of_scope_accuracy(),
            self.outcomes.len()
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_drops_dollars_and_thousands_commas() {
        assert_eq!(
            normalise("About $55,560 a year, or 1, 2"),
            "about 55560 a year, or 1, 2"
        );
        assert_eq!(normalise("5–9 years"), "5-9 years");
    }

    #[test]
    fn matches_any_alternative_entirely() {
        let expect = vec![vec!["55,560".to_string()], vec!["a".into(), "zzz".into()]];
        assert!(matches("The median was $55,560.", &expect));
        assert!(!matches("A median of 50,000", &expect));
    }

    #[test]
    fn parse_reports_the_bad_line() {
        let err = parse_cases("{\"q\":\"a\",\"expect_none\":true}\n{oops}\n").unwrap_err();
        assert_eq!(err.0, 2);
        let err = parse_cases("{\"q\":\"a\"}\n").unwrap_err();
        assert_eq!(err.0, 1);
    }
}
