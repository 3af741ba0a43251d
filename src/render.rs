//! Plain-text rendering of a reply, as `hitbot ask` shows it ([`plain`]) and as the terminal chat
//! shows it, with every listed choice numbered ([`numbered`]).

use hitbot_careers::compare;
use hitbot_engine::{Advisor, EntryRef, Reply};

/// A reply as the terminal shows it: the comparison card when the question asked to compare two
/// career paths, else the answer in plain text.
pub fn reply(advisor: &Advisor, reply: &Reply) -> String {
    comparison(advisor, reply).unwrap_or_else(|| plain(reply))
}

/// The comparison card's text, when the reply is a comparison of two career paths.
pub fn comparison(advisor: &Advisor, reply: &Reply) -> Option<String> {
    let (a, b) = reply.compare.as_ref()?;
    match compare::compare(&a.id, &b.id, advisor.knowledge()) {
        Ok(c) => Some(c.to_text()),
        Err(e) => {
            log::debug!("compare {} {}: {e}", a.id, b.id);
            None
        }
    }
}

/// The reply with its source and the titles it offers ("Did you mean", "Related").
pub fn plain(reply: &Reply) -> String {
    render(reply, &[], false).0
}

/// The reply as the terminal chat shows it: "Did you mean", "Related" (or "Closest topic") and then
/// `topics` (given when the chat lists the topics under a reply), numbered from 1 on in that order.
/// Returns the text and the choices in number order: choice `n` is `choices[n - 1]`.
pub fn numbered(reply: &Reply, topics: &[EntryRef]) -> (String, Vec<EntryRef>) {
    render(reply, topics, true)
}

/// `label` and the titles on one line, numbered from `first` on when it is given:
/// "Topics: 1) Salary | 2) Skills".
pub fn list_line(label: &str, refs: &[EntryRef], first: Option<usize>) -> String {
    let titles: Vec<String> = refs
        .iter()
        .enumerate()
        .map(|(i, r)| match first {
            Some(first) => format!("{}) {}", first + i, r.title),
            None => r.title.clone(),
        })
        .collect();
    format!("{label}: {}", titles.join(" | "))
}

fn render(reply: &Reply, topics: &[EntryRef], numbered: bool) -> (String, Vec<EntryRef>) {
    let mut out = reply.text.trim().to_string();
    if let Some(source) = &reply.source {
        out.push_str("\n(Source: ");
        out.push_str(source);
        out.push(')');
    }
    let related = if reply.not_covered {
        "Closest topic"
    } else {
        "Related"
    };
    let mut choices: Vec<EntryRef> = Vec::new();
    for (label, refs, end) in [
        ("Did you mean", &reply.did_you_mean[..], "?"),
        (related, &reply.related[..], ""),
        ("Topics", topics, ""),
    ] {
        if refs.is_empty() {
            continue;
        }
        let first = numbered.then_some(choices.len() + 1);
        out.push('\n');
        out.push_str(&list_line(label, refs, first));
        out.push_str(end);
        choices.extend(refs.iter().cloned());
    }
    (out, choices)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, title: &str) -> EntryRef {
        EntryRef {
            id: id.into(),
            title: title.into(),
        }
    }

    fn reply(did_you_mean: &[EntryRef], related: &[EntryRef]) -> Reply {
        Reply {
            text: "The answer.\n".into(),
            entry: Some(entry("salary", "Salary")),
            confidence: 0.9,
            confident: true,
            related: related.to_vec(),
            did_you_mean: did_you_mean.to_vec(),
            source: Some("Guide".into()),
            small_talk: None,
            not_covered: false,
            follows: None,
            compare: None,
        }
    }

    #[test]
    fn plain_lists_titles_without_numbers() {
        let r = reply(&[entry("a", "A")], &[entry("b", "B"), entry("c", "C")]);
        assert_eq!(
            plain(&r),
            "The answer.\n(Source: Guide)\nDid you mean: A?\nRelated: B | C"
        );
    }

    /// Regression: the chat said "Type a number to open a listed choice" but printed some lists
    /// without numbers. Every list is numbered, in one sequence, in the order the choices open.
    #[test]
    fn numbered_numbers_every_list_in_one_sequence() {
        let r = reply(&[entry("a", "A")], &[entry("b", "B"), entry("c", "C")]);
        let topics = [entry("t", "Topic")];
        let (text, choices) = numbered(&r, &topics);
        assert_eq!(
            text,
            "The answer.\n(Source: Guide)\nDid you mean: 1) A?\nRelated: 2) B | 3) C\nTopics: 4) Topic"
        );
        let ids: Vec<&str> = choices.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "t"]);
    }

    #[test]
    fn the_closest_topic_of_a_not_covered_question_is_choice_one() {
        let mut r = reply(&[], &[entry("exam", "The exam")]);
        r.not_covered = true;
        r.source = None;
        let (text, choices) = numbered(&r, &[entry("t", "Topic")]);
        assert_eq!(
            text,
            "The answer.\nClosest topic: 1) The exam\nTopics: 2) Topic"
        );
        assert_eq!(choices.len(), 2);
        assert_eq!(
            list_line("Topics", &[entry("a", "A"), entry("b", "B")], Some(1)),
            "Topics: 1) A | 2) B"
        );
    }
}
