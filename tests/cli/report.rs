//! `hitbot report` from the command line, and the events front ends build from the advisor's replies.

use std::time::{Duration, SystemTime};

use hitbot_store::{Event, EventKind, EventSink, Recorder, StoreConfig};

use crate::common::{advisor, hitbot, root, stderr, stdout, temp_config};

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = tempfile::Builder::new()
        .prefix(&format!("hitbot-report-{name}-"))
        .tempdir()
        .unwrap()
        .keep();
    dir.join("data").join("hitbot.sqlite")
}

fn event(kind: EventKind, question: &str, ago: Duration) -> Event {
    Event {
        at: SystemTime::now() - ago,
        kind,
        chat_type: "private".into(),
        question: question.into(),
        entry: None,
        confidence: 0.0,
        chat_id: None,
    }
}

/// A week of traffic: one question declined three times (spelled three ways), one declined 10 days
/// ago (outside `--since 7d`), and six answers: six of the week's nine questions were answered.
fn record_week(path: &std::path::Path) {
    let day = Duration::from_secs(86_400);
    let recorder = Recorder::open(&StoreConfig {
        path: path.to_path_buf(),
        ..StoreConfig::default()
    })
    .unwrap();
    for (kind, q, ago) in [
        (
            EventKind::Declined,
            "What's the weather in Paris?",
            Duration::ZERO,
        ),
        (EventKind::Declined, "whats the weather in   paris", day),
        (
            EventKind::Declined,
            "WHAT'S THE WEATHER IN PARIS!!",
            Duration::ZERO,
        ),
        (EventKind::Declined, "pilot salary", 10 * day),
    ] {
        recorder.record(event(kind, q, ago));
    }
    for _ in 0..6 {
        recorder.record(event(
            EventKind::Answered,
            "how much do HITs make",
            Duration::ZERO,
        ));
    }
    assert_eq!(recorder.dropped(), 0);
    // Dropping the recorder writes what is queued.
}

#[test]
fn the_advisors_replies_are_classified() {
    let a = advisor();
    let low = StoreConfig::default().low_confidence;
    let event = |q: &str, chat: &str| {
        let r = a.answer(q);
        let entry = r.entry.as_ref().map(|e| e.id.as_str());
        Event::answer(q, chat, entry, (r.confident, r.confidence), low)
    };
    let declined = event("what's the weather in paris", "private");
    assert_eq!(declined.kind, EventKind::Declined);
    let answered = event("how much do HITs make?", "group");
    assert_eq!(answered.kind, EventKind::Answered);
    assert_eq!(answered.chat_id, None);
}

#[test]
fn hitbot_report_prints_text_and_json() {
    let path = temp_db("cli");
    record_week(&path);
    let config = temp_config(
        "store-report",
        &root().join("knowledge"),
        &format!("[store]\npath = {:?}\n", path.display().to_string()),
    );
    let out = hitbot(&["report", "--since", "7d"], "", Some(&config));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Most frequent unanswered questions:"),
        "{text}"
    );
    assert!(
        text.to_lowercase()
            .contains("3  what's the weather in paris"),
        "{text}"
    );
    assert!(text.contains("Answer rate: 66.7%"), "{text}"); // 6 of 9

    let out = hitbot(
        &["report", "--json", "--since", "30d", "--top", "1"],
        "",
        Some(&config),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["declined"], 4, "the 10-day-old one is in 30 days");
    assert_eq!(json["unanswered"].as_array().unwrap().len(), 1);
    assert_eq!(json["unanswered"][0]["count"], 3);

    let out = hitbot(&["report", "--since", "7x"], "", Some(&config));
    assert_eq!(out.status.code(), Some(2));
}

/// Regression: on a fresh clone `hitbot report` exited 2 with "no store there yet". No store is the
/// normal start: nothing recorded, exit 0, valid JSON of the usual shape, and no file created.
#[test]
fn hitbot_report_without_a_store_says_no_events_yet() {
    let missing = temp_db("cli-missing");
    let config = temp_config(
        "store-missing",
        &root().join("knowledge"),
        &format!("[store]\npath = {:?}\n", missing.display().to_string()),
    );
    let out = hitbot(&["report"], "", Some(&config));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("no events recorded yet"), "{text}");
    assert!(text.contains(&missing.display().to_string()), "{text}");
    assert!(!missing.exists());
    assert!(
        !missing.parent().unwrap().exists(),
        "reading created the folder"
    );

    let out = hitbot(&["report", "--json"], "", Some(&config));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let empty: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    for count in ["answered", "low_confidence", "declined", "up", "down"] {
        assert_eq!(empty[count], 0, "{count}: {empty}");
    }
    for list in ["unanswered", "uncertain", "feedback", "days"] {
        assert_eq!(empty[list], serde_json::json!([]), "{list}: {empty}");
    }
    assert_eq!(empty["answer_rate"], serde_json::Value::Null);
    assert!(!missing.exists());

    // The same shape as a report of a store with events.
    let path = temp_db("cli-shape");
    record_week(&path);
    let full = temp_config(
        "store-shape",
        &root().join("knowledge"),
        &format!("[store]\npath = {:?}\n", path.display().to_string()),
    );
    let out = hitbot(&["report", "--json"], "", Some(&full));
    let full: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&empty), keys(&full));
    assert!(empty["since"].as_i64().unwrap() < empty["until"].as_i64().unwrap());
}
