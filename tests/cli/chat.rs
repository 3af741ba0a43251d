//! The terminal chat as a newcomer meets it: numbered choices, `/help`, `/start`, unknown commands,
//! and numbers that are not one of the listed choices.

use crate::common::*;

fn chat(input: &str) -> String {
    let out = hitbot(&["chat"], input, None);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

/// The text an entry's reply starts with, as the chat prints it.
fn opening_of(id: &str) -> String {
    let reply = advisor().entry_reply(id).expect("an entry");
    reply.text.trim().lines().next().unwrap().to_string()
}

/// Regression: the welcome listed topics without numbers and said "Type a number to open a listed
/// choice"; typing "2" then got "Sorry, I don't know that one."
#[test]
fn the_welcome_numbers_its_topics_and_two_opens_the_second() {
    let topics = advisor().topics();
    assert!(topics.len() >= 2);
    let text = chat("/start\n2\n");
    assert!(
        text.contains("Type a number to open a listed choice"),
        "{text}"
    );
    let numbered = format!("Topics: 1) {} | 2) {}", topics[0].title, topics[1].title);
    assert!(text.contains(&numbered), "{numbered} missing: {text}");
    assert!(text.contains(&opening_of(&topics[1].id)), "{text}");
    assert!(!text.contains("Sorry, I don't know"), "{text}");

    let text = chat("/topics\n1\n");
    assert!(
        text.starts_with(&format!("Topics: 1) {}", topics[0].title)),
        "{text}"
    );
    assert!(text.contains(&opening_of(&topics[0].id)), "{text}");
}

#[test]
fn related_topics_are_numbered_and_open_by_number() {
    let question = "what does AHIMA do?";
    let reply = advisor().answer(question);
    assert!(reply.confident && !reply.related.is_empty(), "{reply:?}");
    let text = chat(&format!("{question}\n1\n"));
    let related: Vec<String> = reply
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{}) {}", i + 1, r.title))
        .collect();
    let line = format!("Related: {}", related.join(" | "));
    assert!(text.contains(&line), "{line} missing: {text}");
    assert!(text.contains(&opening_of(&reply.related[0].id)), "{text}");
}

#[test]
fn did_you_mean_comes_first_in_the_numbering_and_opens_by_number() {
    let asked = [
        "specializations?",
        "soft skills?",
        "education requirements?",
        "what does a medical coder do",
        "orginizations for health information technicians?",
    ];
    let (question, reply) = asked
        .iter()
        .map(|q| (*q, advisor().answer(q)))
        .find(|(_, r)| r.confident && !r.did_you_mean.is_empty())
        .expect("one of these questions gets a \"Did you mean\"");
    let text = chat(&format!("{question}\n1\n"));
    let line = format!("Did you mean: 1) {}", reply.did_you_mean[0].title);
    assert!(text.contains(&line), "{line} missing: {text}");
    let first_related = reply.did_you_mean.len() + 1;
    if let Some(related) = reply.related.first() {
        let line = format!("Related: {first_related}) {}", related.title);
        assert!(text.contains(&line), "{line} missing: {text}");
    }
    assert!(
        text.contains(&opening_of(&reply.did_you_mean[0].id)),
        "{text}"
    );
}

#[test]
fn the_topics_under_a_decline_are_numbered_and_open_by_number() {
    let topics = advisor().topics();
    let text = chat("what's the weather in paris\n1\n");
    assert!(text.contains("Topics: 1) "), "{text}");
    assert!(text.contains(&opening_of(&topics[0].id)), "{text}");
}

/// Regression: "RHIT" then "7", "0", "99" or "-1" repeated the RHIT answer. A number that names no
/// listed choice is asked on its own.
#[test]
fn a_number_that_is_not_a_listed_choice_is_asked_alone() {
    let rhit = advisor().answer("RHIT");
    assert!(rhit.confident, "{rhit:?}");
    let listed = rhit.did_you_mean.len() + rhit.related.len();
    let beyond = (listed + 1).to_string();
    let text = chat(&format!("RHIT\n{beyond}\n0\n99\n-1\n"));
    let opening = rhit.text.trim().lines().next().unwrap();
    assert_eq!(text.matches(opening).count(), 1, "{text}");
    for n in [beyond.as_str(), "0", "99", "-1"] {
        let alone = advisor().answer(n);
        let first = alone.text.trim().lines().next().unwrap();
        assert!(
            text.contains(first),
            "{n} alone is answered with {first:?}: {text}"
        );
    }
}

/// Regression: `/help` and `/start` printed only a topic line.
#[test]
fn help_says_how_to_ask_and_lists_the_commands() {
    let text = chat("/help\n");
    assert!(text.contains("in your own words"), "{text}");
    assert!(text.contains("Commands:"), "{text}");
    for command in ["/start", "/help", "/topics", "/compare A B", "/quit"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(command)),
            "{command} missing: {text}"
        );
    }
    assert!(!text.contains("Sorry, I don't know"), "{text}");
    let start = chat("/start\n");
    assert!(start.starts_with("Ask me about careers"), "{start}");
    assert!(start.contains("/help for the commands"), "{start}");
}

/// Regression: an unknown `/foo` got the "I don't know" answer.
#[test]
fn an_unknown_command_is_named_with_the_list_of_commands() {
    let text = chat("/foo\n/salary now\n");
    assert!(
        text.contains(
            "Unknown command /foo. The commands: /start, /help, /topics, /compare A B, /quit."
        ),
        "{text}"
    );
    assert!(text.contains("Unknown command /salary."), "{text}");
    assert!(!text.contains("Sorry, I don't know"), "{text}");
}

/// Regression: `/compare` showed "Experience: None" where the entries say the guide lists no
/// requirement.
#[test]
fn the_chat_card_says_the_guide_lists_no_experience_requirement() {
    let text = chat("/compare coder analyst\n");
    let line = text
        .lines()
        .find(|l| l.starts_with("Experience"))
        .unwrap_or_else(|| panic!("no experience row: {text}"));
    assert!(line.contains("the guide lists no requirement"), "{line}");
    assert!(!line.contains("None"), "{line}");
}

/// Issue 12: a comparison asked in plain words gets the same card as `/compare`.
#[test]
fn a_comparison_in_plain_words_gets_the_compare_card() {
    let card = chat("/compare coder analyst\n");
    for question in [
        "compare coder and analyst",
        "coder vs analyst which pays more",
    ] {
        let text = chat(&format!("{question}\n"));
        assert!(
            text.contains("Clinical coder vs Data analyst"),
            "{question}: {text}"
        );
        assert_eq!(text.trim(), card.trim(), "{question}");
    }
}
