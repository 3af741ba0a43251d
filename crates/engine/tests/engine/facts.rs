//! The shipped answers say only what their cited sources say, and read right for any question that
//! reaches them.

use serde::Deserialize;

use crate::{advisor, root};

#[derive(Deserialize)]
struct Sources {
    source: Vec<Source>,
}

#[derive(Deserialize)]
struct Source {
    name: String,
    cites: Vec<String>,
    figures: Vec<String>,
}

/// The figures in a text, as written: "$55,560", "17%", "2021-31", "1928", "5".
fn figures(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_money = chars[i] == '$' && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit());
        let starts_number = chars[i].is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '$'));
        if !(starts_money || starts_number) {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        let digit_at = |k: usize| chars.get(k).is_some_and(|c| c.is_ascii_digit());
        loop {
            if digit_at(i) {
                i += 1;
            } else if matches!(chars.get(i), Some(',' | '.')) && digit_at(i + 1) {
                i += 2;
            } else {
                break;
            }
        }
        if chars.get(i) == Some(&'%') {
            i += 1;
        } else if chars.get(i) == Some(&'-') && digit_at(i + 1) {
            i += 1;
            while digit_at(i) {
                i += 1;
            }
        }
        out.push(chars[start..i].iter().collect());
    }
    out
}

#[test]
fn figures_are_read_as_written() {
    assert_eq!(
        figures("$55,560 in 2021 (about $26.71 an hour), 17% growth 2021-31; 5-9 years; 1990s."),
        ["$55,560", "2021", "$26.71", "17%", "2021-31", "5-9", "1990"]
    );
    assert_eq!(
        figures("SOC 29-9021, RHIT, mp3, H2O, 1,000."),
        ["29-9021", "1,000"]
    );
}

#[test]
fn every_figure_in_an_answer_is_in_its_cited_sources() {
    let text = std::fs::read_to_string(root().join("tests/data/source-figures.toml")).unwrap();
    let sources: Sources = toml::from_str(&text).unwrap();
    let mut wrong = Vec::new();
    for e in &advisor().knowledge().entries {
        let cited: Vec<&Source> = sources
            .source
            .iter()
            .filter(|s| s.cites.iter().any(|c| e.source.contains(c.as_str())))
            .collect();
        assert!(
            !cited.is_empty(),
            "{}: cites no known source: {:?}",
            e.id,
            e.source
        );
        for f in figures(&e.answer) {
            if !cited.iter().any(|s| s.figures.contains(&f)) {
                let names: Vec<&str> = cited.iter().map(|s| s.name.as_str()).collect();
                wrong.push(format!("{}: {f} is in none of {names:?}", e.id));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "figures not in the cited sources:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn a_made_up_figure_is_caught() {
    // The check above is only worth something if it can fail.
    let known = ["$55,560", "17%", "2021"];
    let unknown: Vec<String> = figures("The median was $55,650 in 2021, growing 17%.")
        .into_iter()
        .filter(|f| !known.contains(&f.as_str()))
        .collect();
    assert_eq!(unknown, ["$55,650"]);
}

/// Openings that answer a yes/no question, and read wrongly when the entry is reached by another
/// kind of question ("what specializations are there?" → "Yes. …").
const YES_NO: &[&str] = &[
    "yes",
    "no",
    "possibly",
    "maybe",
    "probably",
    "sure",
    "definitely",
];

#[test]
fn no_answer_opens_with_yes_or_no() {
    for e in &advisor().knowledge().entries {
        let first = e
            .answer
            .split(|c: char| !c.is_alphanumeric())
            .find(|w| !w.is_empty())
            .unwrap_or("")
            .to_lowercase();
        assert!(
            !YES_NO.contains(&first.as_str()),
            "{}: the answer opens with {first:?}, which reads wrongly for a question that is not a \
             yes/no one",
            e.id
        );
    }
}

/// Words of editors' notes that belong in TOML comments, not in what users read.
const EDITORS_NOTES: &[&str] = &[
    "we could not",
    "could not check",
    "unverified",
    "the seed",
    "FACTS.md",
];

#[test]
fn answers_carry_no_editors_notes() {
    for e in &advisor().knowledge().entries {
        for note in EDITORS_NOTES {
            assert!(
                !e.answer.to_lowercase().contains(&note.to_lowercase()),
                "{}: {note:?} is a note for editors; keep it in a TOML comment",
                e.id
            );
        }
    }
}
