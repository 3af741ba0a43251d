//! Property tests: arbitrary text never panics the engine, and its replies keep their invariants.
//!
//! `PROPTEST_CASES` sets the number of cases per property (proptest's default, 256, keeps `cargo test`
//! fast). The long run: `PROPTEST_CASES=1000000 cargo test --release -p hitbot-engine --test engine fuzz`.
//! The Telegram formatter and splitter have their own properties (`tests/telegram/format_fuzz.rs`).

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

use hitbot_engine::Reply;

use crate::advisor;

/// Cases from `PROPTEST_CASES` (default 256); no regression files written into the source tree.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every word of the knowledge's questions and titles, to build text the engine half-understands.
fn vocabulary() -> &'static [String] {
    static WORDS: OnceLock<Vec<String>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut words: Vec<String> = advisor()
            .knowledge()
            .entries
            .iter()
            .flat_map(|e| e.questions.iter().chain([&e.title, &e.id]))
            .flat_map(|q| q.split_whitespace().map(str::to_string))
            .collect();
        words.sort();
        words.dedup();
        words
    })
}

/// Any text, from short scraps to more than a Telegram message.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => prop::collection::vec(any::<char>(), 0..5000).prop_map(|c| c.into_iter().collect()),
        1 => "[ -~]{0,200}",
    ]
}

/// Question-like text: known words, typos, HTML and entity fragments, punctuation and odd characters.
fn question_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => prop::sample::select(vocabulary()).prop_map(|w| w.clone()),
        2 => prop::sample::select(vocabulary()).prop_flat_map(|w| {
            let n = w.chars().count().max(1);
            (Just(w), 0..n, any::<char>()).prop_map(|(w, at, c)| {
                w.chars().enumerate().map(|(i, x)| if i == at { c } else { x }).collect()
            })
        }),
        1 => prop::sample::select(vec![
            "?", "!", ",", ".", "...", "'", "\"", "&", "&amp;", "<b>", "</i>", "<", ">", "\n",
            "\n\n", "\t", "🙂", "👍", "\u{200b}", "\u{0}", "é", "ß", "İ", "ﬁ", "٣", "RHIT?", "HITs",
        ])
        .prop_map(str::to_string),
        1 => "[a-z]{1,12}",
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|p| p.join(" "))
}

fn check_reply(reply: &Reply) -> Result<(), TestCaseError> {
    prop_assert!(
        reply.confidence.is_finite() && (0.0..=1.0).contains(&reply.confidence),
        "confidence {}",
        reply.confidence
    );
    prop_assert!(!reply.text.trim().is_empty());
    if reply.confident {
        prop_assert!(reply.entry.is_some() && reply.source.is_some());
    } else {
        prop_assert_eq!(reply.source.as_deref(), None);
    }
    prop_assert!(reply.related.len() <= 3);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn answer_survives_any_text(q in any_text()) {
        check_reply(&advisor().answer(&q))?;
    }

    #[test]
    fn answer_survives_question_like_text(q in question_like()) {
        check_reply(&advisor().answer(&q))?;
    }

    #[test]
    fn follow_ups_survive_any_text(
        q in question_like(),
        previous in prop::sample::select(vec!["salary", "certification", "no-such-entry", ""]),
    ) {
        check_reply(&advisor().answer_after(&q, Some(previous)))?;
    }
}
