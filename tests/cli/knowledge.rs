//! Knowledge validation: the shipped files pass, and broken files get every problem reported as
//! `file:line: entry-id: what is wrong`, all at once, with exit code 2.

use crate::common::*;

#[test]
fn shipped_knowledge_passes_check() {
    let out = hitbot(&["check"], "", None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("knowledge OK:"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn shipped_knowledge_is_the_whole_guide() {
    let k = crate::common::advisor().knowledge();
    assert!(
        (50..=120).contains(&k.entries.len()),
        "{} entries",
        k.entries.len()
    );
    for id in [
        "overview",
        "history",
        "duties",
        "skills",
        "salary",
        "outlook",
        "education",
        "certification",
        "careers",
        "careers-compare",
        "organizations",
        "faq",
        "about",
    ] {
        assert!(k.get(id).is_some(), "hub entry {id} is missing");
    }
    let careers: Vec<_> = k.entries.iter().filter_map(|e| e.career.as_ref()).collect();
    assert_eq!(careers.len(), 5, "five career paths carry their table row");
    for e in &k.entries {
        assert!(e.answer.chars().count() <= 700, "{} is too long", e.id);
        assert!(e.questions.len() >= 3, "{} needs alternate questions", e.id);
    }
}

#[test]
fn broken_files_report_every_problem_with_file_and_line() {
    let dir = root().join("tests/fixtures/broken");
    let config = temp_config("broken", &dir, "");
    let out = hitbot(&["check"], "", Some(&config));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let f = |name: &str| dir.join(name).display().to_string();
    let expected = [
        format!("{}:10: pay: unknown key `colour`", f("entries.toml")),
        format!(
            "{}:13: pay: duplicate id (first defined at {}:3)",
            f("entries.toml"),
            f("entries.toml")
        ),
        format!(
            "{}:3: pay: related id `nowhere` does not exist",
            f("entries.toml")
        ),
        format!(
            "{}:21: Bad Id: id must be 1-40 characters",
            f("entries.toml")
        ),
        format!("{}:22: Bad Id: unknown topic `weather`", f("entries.toml")),
        format!("{}:23: Bad Id: `title` is empty", f("entries.toml")),
        format!("{}:24: Bad Id: `questions` is empty", f("entries.toml")),
        format!("{}:25: Bad Id: answer is", f("entries.toml")),
        format!("{}:21: Bad Id: missing `source`", f("entries.toml")),
        format!(
            "{}:36: numbers: `related` must be a list of strings",
            f("entries.toml")
        ),
        format!(
            "{}:2: expands to nothing: none of `zebra`, `giraffe`",
            f("synonyms.toml")
        ),
        format!("{}:5: `the` is only stop words", f("synonyms.toml")),
        format!(
            "{}:9: a [[group]] needs at least two terms",
            f("synonyms.toml")
        ),
    ];
    for line in &expected {
        assert!(
            err.lines().any(|l| l.starts_with(line.as_str())),
            "missing {line:?} in:\n{err}"
        );
    }
}

#[test]
fn a_syntax_error_names_its_line_and_skips_cross_checks() {
    let dir = root().join("tests/fixtures/syntax");
    let config = temp_config("syntax", &dir, "");
    let out = hitbot(&["check"], "", Some(&config));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let want = format!("{}:3: not valid TOML", dir.join("entries.toml").display());
    assert!(err.lines().any(|l| l.starts_with(&want)), "{err}");
    assert!(!err.contains("does not exist"), "{err}");
}

#[test]
fn answering_commands_refuse_broken_knowledge() {
    let config = temp_config("broken-ask", &root().join("tests/fixtures/broken"), "");
    let out = hitbot(&["ask", "salary"], "", Some(&config));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown key `colour`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn other_knowledge_builds_its_own_index_and_answers() {
    let config = temp_config("good", &root().join("tests/fixtures/good"), "");
    let out = hitbot(&["ask", "what's a zookeeper's wage?"], "", Some(&config));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("12,345 zorkmids"), "{}", stdout(&out));
    let out = hitbot(&["index"], "", Some(&config));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("indexed 2 entries"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_changed_knowledge_file_rebuilds_the_index() {
    let src = root().join("tests/fixtures/good");
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().to_path_buf();
    for f in ["entries.toml", "synonyms.toml"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let config = temp_config("edit", &dir, "");
    let before = hitbot(&["ask", "zookeeper salary"], "", Some(&config));
    assert!(stdout(&before).contains("12,345"), "{}", stdout(&before));
    let text = std::fs::read_to_string(dir.join("entries.toml")).unwrap();
    std::fs::write(dir.join("entries.toml"), text.replace("12,345", "67,890")).unwrap();
    let after = hitbot(&["ask", "zookeeper salary"], "", Some(&config));
    assert!(stdout(&after).contains("67,890"), "{}", stdout(&after));
}

#[test]
fn an_unreadable_index_is_rebuilt() {
    let config = temp_config("corrupt", &root().join("tests/fixtures/good"), "");
    let index = config.parent().unwrap().join("index");
    assert!(hitbot(&["index"], "", Some(&config)).status.success());
    for build in std::fs::read_dir(&index).unwrap().filter_map(Result::ok) {
        let meta = build.path().join("meta.json");
        if meta.exists() {
            std::fs::write(meta, "{ not json").unwrap();
        }
    }
    let out = hitbot(&["ask", "zookeeper salary"], "", Some(&config));
    assert!(stdout(&out).contains("12,345"), "{}", stdout(&out));
}

#[test]
fn two_processes_building_at_once_both_answer() {
    let config = temp_config("race", &root().join("tests/fixtures/good"), "");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let c = config.clone();
            std::thread::spawn(move || hitbot(&["ask", "zookeeper salary"], "", Some(&c)))
        })
        .collect();
    for h in handles {
        let out = h.join().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("12,345"), "{}", stdout(&out));
    }
}
