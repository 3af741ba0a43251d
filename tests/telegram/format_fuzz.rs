//! Property tests for the Telegram formatter and splitter: any text gives parts of at most 4096
//! characters that are valid Telegram HTML, and a plain text that says exactly what the HTML shows
//! (as the mock Bot API's HTML parser reads it). `PROPTEST_CASES` sets the number of cases.

use hitbot_telegram::format::{
    escape, render_reply, reply_html, split_for_telegram, split_rendered, MAX_MESSAGE_LEN,
};
use hitbot_testkit::{advisor, parse_html};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

/// The text Telegram shows for `html` (valid HTML only).
fn shown(html: &str) -> String {
    parse_html(html).unwrap_or_else(|e| panic!("{e}: {html:?}"))
}

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Telegram's HTML as we use it: only known tags, properly nested and closed; `<`, `>` only in tags;
/// `&` only as an entity.
fn valid_html(html: &str) -> Result<(), String> {
    const TAGS: &[&str] = &[
        "b",
        "i",
        "u",
        "s",
        "code",
        "pre",
        "a",
        "tg-spoiler",
        "blockquote",
    ];
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest
                    .find('>')
                    .ok_or_else(|| format!("unclosed tag at {rest:.40?}"))?;
                let inner = &rest[1..end];
                if inner.contains('<') {
                    return Err(format!("`<` inside a tag: {inner:?}"));
                }
                if let Some(name) = inner.strip_prefix('/') {
                    match stack.pop() {
                        Some(open) if open == name => {}
                        other => return Err(format!("</{name}> closes {other:?}")),
                    }
                } else {
                    let name = inner.split(' ').next().unwrap_or("");
                    if !TAGS.contains(&name) {
                        return Err(format!("unknown tag <{inner}>"));
                    }
                    stack.push(name);
                }
                rest = &rest[end + 1..];
            }
            '>' => return Err("raw `>`".into()),
            '&' => {
                let end = rest.find(';').ok_or("raw `&`")?;
                let name = &rest[1..end];
                let ok = matches!(name, "amp" | "lt" | "gt" | "quot")
                    || name
                        .strip_prefix('#')
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
                if !ok {
                    return Err(format!("bad entity &{name};"));
                }
                rest = &rest[end + 1..];
            }
            _ => rest = &rest[c.len_utf8()..],
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed {stack:?}"))
    }
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => prop::collection::vec(any::<char>(), 0..9000).prop_map(|c| c.into_iter().collect()),
        2 => prop::collection::vec(
            prop_oneof![
                Just("\n".to_string()), Just("\n\n".to_string()), Just(" ".to_string()),
                Just("&".to_string()), Just("<".to_string()), Just("🙂".to_string()),
                "[a-z]{1,30}", "[a-z]{300,900}",
            ],
            0..800,
        ).prop_map(|p| p.concat()),
    ]
}

/// Our kind of HTML: escaped text in (possibly nested) b / i / code tags, with line breaks.
fn our_html() -> impl Strategy<Value = String> {
    let leaf = any_text().prop_map(|t| escape(&t));
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            (prop::sample::select(vec!["b", "i", "code"]), inner.clone())
                .prop_map(|(t, s)| format!("<{t}>{s}</{t}>")),
            prop::collection::vec(inner, 1..4).prop_map(|v| v.join("\n\n")),
        ]
    })
}

fn check_parts(html: &str, parts: &[String], limit: usize) -> Result<(), TestCaseError> {
    for p in parts {
        prop_assert!(utf16_len(p) <= limit, "part of {} > {limit}", utf16_len(p));
        if let Err(e) = valid_html(p) {
            return Err(TestCaseError::fail(format!("invalid part: {e}")));
        }
    }
    // No visible text is lost (whitespace aside).
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let joined: String = parts.iter().map(|p| shown(p)).collect();
    prop_assert_eq!(squash(&joined), squash(&shown(html)));
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn formatted_answers_split_into_valid_messages(q in any_text()) {
        let a = advisor();
        let reply = a.answer(&q);
        let rendered = render_reply(&reply, &q, &a.topics());
        prop_assert!(valid_html(&rendered.html).is_ok(), "{:?}", valid_html(&rendered.html));
        prop_assert!(valid_html(&reply_html(&reply)).is_ok());
        let parts = split_for_telegram(&rendered.html, MAX_MESSAGE_LEN);
        check_parts(&rendered.html, &parts, MAX_MESSAGE_LEN)?;
        // The plain fallback says what the HTML shows, part by part.
        prop_assert_eq!(&rendered.plain, &shown(&rendered.html));
        for part in split_rendered(&rendered, MAX_MESSAGE_LEN) {
            let html_part = shown(&part.html);
            prop_assert_eq!(part.plain.as_str(), html_part.trim());
            prop_assert!(utf16_len(&part.plain) <= MAX_MESSAGE_LEN);
        }
    }

    #[test]
    fn escaped_text_round_trips(t in any_text()) {
        let html = escape(&t);
        prop_assert!(valid_html(&html).is_ok());
        prop_assert_eq!(shown(&html), t);
    }

    #[test]
    fn our_html_splits_into_valid_messages(html in our_html(), limit in 64usize..5000) {
        let parts = split_for_telegram(&html, limit);
        check_parts(&html, &parts, limit)?;
        let parts = split_for_telegram(&html, MAX_MESSAGE_LEN);
        check_parts(&html, &parts, MAX_MESSAGE_LEN)?;
    }

    #[test]
    fn the_splitter_survives_raw_text(t in any_text(), limit in 0usize..5000) {
        let _ = split_for_telegram(&t, limit);
    }
}
