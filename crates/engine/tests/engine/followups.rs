//! Follow-up questions, both ways (`tests/data/followups.jsonl`): context fills in only what a
//! question leaves open, and never overrides a question that stands on its own. The terminal chat
//! and the Telegram front end run the same file (`tests/cli/`, `tests/telegram/`).

use hitbot_engine::eval::{self, Conversation};
use hitbot_engine::{Advisor, Reply};

use crate::{advisor, root};

/// Asks the conversation's questions in order, remembering what the front ends remember.
fn converse(advisor: &Advisor, case: &Conversation) -> Reply {
    let mut subject: Option<String> = None;
    for q in &case.after {
        let reply = advisor.answer_after(q, subject.as_deref());
        if let Some(s) = reply.subject() {
            subject = Some(s.to_string());
        }
    }
    assert!(
        subject.is_some(),
        "{:?}: the opening got no answer",
        case.after
    );
    advisor.answer_after(&case.ask, subject.as_deref())
}

#[test]
fn follow_ups_take_context_only_when_it_is_meant() {
    let advisor = advisor();
    let cases = eval::load_conversations(&root().join("tests/data/followups.jsonl")).unwrap();
    assert!(cases.len() >= 40);
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let got = eval::outcome(&converse(advisor, case));
            let alone = eval::outcome(&advisor.answer(&case.ask));
            (!case.accepts(&got, &alone)).then(|| case.failure(&got))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_subject_of_a_follow_up_is_the_entry_it_continued() {
    let advisor = advisor();
    let first = advisor.answer("what does a health informatics software developer do");
    assert_eq!(first.subject(), Some("path-software-developer"));
    let pay = advisor.answer_after("what's the pay like?", first.subject());
    assert_eq!(
        pay.follows.as_ref().map(|e| e.id.as_str()),
        Some("path-software-developer")
    );
    assert_eq!(pay.subject(), Some("path-software-developer"));
    // A decline leaves the conversation's subject as it was.
    assert_eq!(
        advisor.answer("what is the weather tomorrow").subject(),
        None
    );
}

#[test]
fn plain_text_comparisons_name_the_two_paths() {
    let advisor = advisor();
    for (q, a, b) in [
        (
            "compare coder and analyst",
            "path-clinical-coder",
            "path-data-analyst",
        ),
        (
            "coder vs analyst which pays more",
            "path-clinical-coder",
            "path-data-analyst",
        ),
        (
            "does an architect earn more than a software developer?",
            "path-architect",
            "path-software-developer",
        ),
        (
            "data analyst or technologist, which is better?",
            "path-data-analyst",
            "path-technologist",
        ),
        (
            "whats the difference between a medical coder and a data anaylst",
            "path-clinical-coder",
            "path-data-analyst",
        ),
    ] {
        let reply = advisor.answer(q);
        let pair = reply
            .compare
            .as_ref()
            .map(|(x, y)| (x.id.as_str(), y.id.as_str()));
        assert_eq!(pair, Some((a, b)), "{q:?}");
    }
    for q in [
        "what does a clinical coder do",
        "how much do coders and HITs make",
        "do HITs make more than nurses?",
        "what's the difference between an associate degree and a certificate",
        "which pays more, the architect path?",
        "do health information technicians earn more than coders?",
    ] {
        assert_eq!(advisor.answer(q).compare, None, "{q:?}");
    }
}
