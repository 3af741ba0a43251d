//! `hitbot inbox` from the command line: the list with the closest entries, `add N ENTRY` (one
//! added line, the question answered afterwards), `undo` (the file byte for byte), `not-covered`,
//! `dismiss`, refusals (exit code 2, nothing changed), and the inbox's counts in `hitbot report`.
//! The knowledge is a temp copy; the engine answers from the words alone (fast to reopen).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use hitbot_store::{Event, EventKind, Store};

use crate::common::{hitbot, root, stderr, stdout, temp_config};

const QUESTION: &str = "what can a records tech pocket yearly";

fn knowledge_copy() -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix("hitbot-inbox-knowledge-")
        .tempdir()
        .unwrap()
        .keep();
    for file in std::fs::read_dir(root().join("knowledge")).unwrap() {
        let path = file.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

fn declined(store: &Path, question: &str) {
    let mut s = Store::open(store).unwrap();
    s.insert(&[Event {
        at: SystemTime::now(),
        kind: EventKind::Declined,
        chat_type: "private".into(),
        question: question.into(),
        entry: None,
        confidence: 0.2,
        chat_id: None,
    }])
    .unwrap();
}

#[test]
fn the_inbox_from_the_terminal_adds_undoes_dismisses_and_counts() {
    let knowledge = knowledge_copy();
    let db = knowledge.parent().unwrap().join(format!(
        "{}-ops.sqlite",
        knowledge.file_name().unwrap().to_string_lossy()
    ));
    declined(&db, QUESTION);
    declined(&db, QUESTION);
    declined(&db, "what does the RHIT exam cost in Ohio");
    declined(&db, "HIT salary?");
    let config = temp_config(
        "inbox",
        &knowledge,
        // Words only: each command here opens the engine, and the model would re-embed the
        // edited knowledge every time (the Telegram tests cover the inbox with the model).
        &format!(
            "[store]\npath = {:?}\n[semantic]\nenabled = false\n",
            db.display().to_string()
        ),
    );
    let salary = knowledge.join("salary.toml");
    let original = std::fs::read(&salary).unwrap();

    let out = hitbot(&["inbox"], "", Some(&config));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("Inbox: 3 new (0 added, 0 not covered, 0 dismissed)"),
        "{text}"
    );
    assert!(text.contains("#1  2×  last "), "{text}");
    assert!(text.contains(QUESTION), "{text}");
    assert!(text.contains("salary \"What HITs earn\""), "{text}");

    let out = hitbot(&["inbox", "add", "1", "salary"], "", Some(&config));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Added to ‘What HITs earn’ — now answered with confidence"),
        "{text}"
    );
    let after = String::from_utf8(std::fs::read(&salary).unwrap()).unwrap();
    let before = String::from_utf8(original.clone()).unwrap();
    assert_eq!(after.lines().count(), before.lines().count() + 1);
    assert!(after.contains(&format!("  \"{QUESTION}\",\n")), "{after}");
    let out = hitbot(&["ask", QUESTION], "", Some(&config));
    assert!(stdout(&out).contains("$55,560"), "{}", stdout(&out));

    // Handled: refused a second time, nothing changed (exit code 2).
    let out = hitbot(&["inbox", "dismiss", "1"], "", Some(&config));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not new any more (added to salary)"),
        "{}",
        stderr(&out)
    );
    // A duplicate of one of the entry's questions is refused, the file as it was.
    let out = hitbot(&["inbox", "add", "3", "salary"], "", Some(&config));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is already a question of entry `salary`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&salary).unwrap(), after);

    let out = hitbot(&["report", "--json"], "", Some(&config));
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["inbox"]["added"], 1, "{json}");
    assert_eq!(json["inbox"]["new"], 2, "{json}");
    assert_eq!(json["declined"], 4, "the report itself is unchanged");

    // Undo the add: the file byte for byte.
    let out = hitbot(&["inbox", "undo"], "", Some(&config));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Undone: #1 is new again"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(&salary).unwrap(), original);

    let out = hitbot(&["inbox", "not-covered", "2"], "", Some(&config));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Recorded as not covered"),
        "{}",
        stdout(&out)
    );
    let out = hitbot(&["inbox", "dismiss", "1"], "", Some(&config));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "Dismissed #1.");
    let out = hitbot(&["inbox", "dismiss", "3"], "", Some(&config));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = hitbot(&["inbox", "add", "9", "salary"], "", Some(&config));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("there is no inbox item 9"),
        "{}",
        stderr(&out)
    );

    let out = hitbot(&["report"], "", Some(&config));
    assert!(
        stdout(&out).contains("Inbox (hitbot inbox): 0 new, 0 added, 1 not covered, 2 dismissed"),
        "{}",
        stdout(&out)
    );
}

/// A bot that never ran has an empty inbox: the list says so and exits 0; an action still needs
/// an item.
#[test]
fn the_inbox_without_a_store_is_empty_not_an_error() {
    let store = tempfile::tempdir()
        .unwrap()
        .path()
        .join("never/hitbot.sqlite");
    let config = temp_config(
        "inbox-empty",
        &root().join("knowledge"),
        &format!(
            "[store]\npath = {:?}\n[semantic]\nenabled = false\n",
            store.display().to_string()
        ),
    );
    let out = hitbot(&["inbox"], "", Some(&config));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Inbox: 0 new"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("no events recorded yet"),
        "{}",
        stdout(&out)
    );
    assert!(!store.exists(), "reading created the store");
    let add = hitbot(&["inbox", "add", "1", "salary"], "", Some(&config));
    assert_eq!(add.status.code(), Some(2), "{}", stdout(&add));
}
