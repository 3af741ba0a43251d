//! The README's examples say what the program prints. Every `$ command` in a ```` ```sh ```` block of
//! `README.md` and `docs/operations.md` is run with the real binary in a folder laid out like a fresh
//! clone (the knowledge, models and test data of this checkout; no operator store, no charts), and its
//! output is compared with the lines shown under it. A `...` stands for any text within a line, and a
//! line of only `...` for any number of lines. Figures the prose states (entry counts, the bench's
//! default rounds) are compared with the program's too.
//!
//! Examples that cannot be run as they stand (a week of recorded traffic) go in ```` ```text ````
//! blocks, which are not run.

use std::path::Path;

use crate::common::*;

/// The documents whose examples are held to the program.
const DOCUMENTS: &[&str] = &["README.md", "docs/operations.md"];

/// One `$ command` and the output shown under it.
#[derive(Debug, Clone, PartialEq)]
struct Example {
    /// `README.md:40`, for failures.
    at: String,
    command: String,
    expected: Vec<String>,
}

/// The examples of a Markdown text: `$ ` lines of ```` ```sh ```` blocks, each with the lines up to
/// the next `$ ` line or the end of the block.
fn examples(name: &str, text: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_sh = false;
    let mut in_other = false;
    let mut current: Option<Example> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        if in_sh {
            if fence {
                in_sh = false;
                out.extend(current.take());
            } else if let Some(command) = line.strip_prefix("$ ") {
                out.extend(current.take());
                current = Some(Example {
                    at: format!("{name}:{}", i + 1),
                    command: command.to_string(),
                    expected: Vec::new(),
                });
            } else if let Some(example) = current.as_mut() {
                example.expected.push(line.trim_end().to_string());
            }
        } else if in_other {
            in_other = !fence;
        } else if fence {
            let info = line.trim_start().trim_start_matches('`').trim();
            in_sh = info == "sh" || info == "console";
            in_other = !in_sh;
        }
    }
    out
}

/// Shell words: quotes ('…' and "…") group, `#` outside quotes starts a comment.
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    w.push(q);
                }
            }
            '#' if word.is_none() => break,
            c if c.is_whitespace() => out.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word);
    out
}

/// `printf`'s escapes (no `%` formats: an example should not need them).
fn printf(format: &str) -> String {
    assert!(
        !format.replace("%%", "").contains('%'),
        "printf formats are not supported: {format}"
    );
    format
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("%%", "%")
}

/// What an example runs: stdin, the binary's arguments, and a filter of its output lines.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    stdin: String,
    args: Vec<String>,
    /// `| tail -N` (negative: last N) or `| head -N`.
    keep: Option<i64>,
}

/// Reads an example's command; a shell construct the harness does not know is an error, so that an
/// example cannot silently go unchecked.
fn plan(command: &str) -> Result<Run, String> {
    let words = words(command);
    let mut stages: Vec<&[String]> = words.split(|w| w == "|").collect();
    let mut run = Run {
        stdin: String::new(),
        args: Vec::new(),
        keep: None,
    };
    let first = stages.first().copied().unwrap_or_default();
    match first.first().map(String::as_str) {
        Some("printf") if first.len() == 2 => {
            run.stdin = printf(&first[1]);
            stages.remove(0);
        }
        Some("echo") => {
            run.stdin = format!("{}\n", first[1..].join(" "));
            stages.remove(0);
        }
        _ => {}
    }
    let Some((hitbot, filters)) = stages.split_first() else {
        return Err("no command".into());
    };
    let strs: Vec<&str> = hitbot.iter().map(String::as_str).collect();
    run.args = match strs.as_slice() {
        ["cargo", "run", "--release", "--", args @ ..] => args,
        ["cargo", "run", "--release"] => &[],
        ["hitbot" | "target/release/hitbot", args @ ..] => args,
        other => return Err(format!("not a hitbot command: {other:?}")),
    }
    .iter()
    .map(|s| s.to_string())
    .collect();
    for filter in filters {
        let strs: Vec<&str> = filter.iter().map(String::as_str).collect();
        let count = |n: &str| {
            n.trim_start_matches('-')
                .parse::<i64>()
                .map_err(|e| e.to_string())
        };
        run.keep = Some(match strs.as_slice() {
            ["tail", n] => -count(n)?,
            ["tail", "-n", n] => -count(n)?,
            ["head", n] => count(n)?,
            ["head", "-n", n] => count(n)?,
            other => return Err(format!("unsupported filter: {other:?}")),
        });
    }
    Ok(run)
}

/// Whether `line` is what `pattern` shows: equal, where each `...` stands for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let pieces: Vec<&str> = pattern.split("...").collect();
    let (first, rest) = (pieces[0], &pieces[1..]);
    let Some(mut left) = line.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return left.is_empty();
    };
    for piece in middle {
        match left.find(piece) {
            Some(at) => left = &left[at + piece.len()..],
            None => return false,
        }
    }
    left.ends_with(last)
}

/// Whether the output lines are what the expected lines show; a line of only `...` stands for any
/// number of lines.
fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e.trim() == "..." => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, tail)| line_matches(e, a) && lines_match(rest, tail)),
    }
}

/// A folder laid out like a fresh clone of this checkout: the knowledge, models, question sets and
/// config are this checkout's (linked); the index is the checkout's, so its vectors are not computed
/// again (building it is not part of any example's output); no operator store, no charts. Removing
/// the folder removes the links, not what they point at.
fn fresh_clone() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("hitbot-readme-")
        .tempdir()
        .unwrap();
    for name in ["knowledge", "models", "tests", "benches", "index"] {
        link(&root().join(name), &dir.path().join(name));
    }
    std::fs::copy(root().join("config.toml"), dir.path().join("config.toml")).unwrap();
    dir
}

#[cfg(unix)]
fn link(from: &Path, to: &Path) {
    std::os::unix::fs::symlink(from, to).unwrap();
}

#[cfg(not(unix))]
fn link(from: &Path, to: &Path) {
    std::os::windows::fs::symlink_dir(from, to).unwrap();
}

/// Runs `example` in `dir`; `Err` says what differs.
fn check(example: &Example, dir: &Path) -> Result<(), String> {
    let run = plan(&example.command).map_err(|e| format!("{}: {e}", example.at))?;
    let args: Vec<&str> = run.args.iter().map(String::as_str).collect();
    let out = hitbot_in(dir, &args, &run.stdin, None, &[]);
    let text = stdout(&out);
    let mut lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    // Blank lines at the end are not shown.
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    match run.keep {
        Some(n) if n < 0 => lines = lines.split_off(lines.len().saturating_sub((-n) as usize)),
        Some(n) => lines.truncate(n as usize),
        None => {}
    }
    if !out.status.success() {
        return Err(format!(
            "{}: `{}` failed ({}): {}",
            example.at,
            example.command,
            out.status,
            stderr(&out)
        ));
    }
    let expected: Vec<String> = {
        let mut e = example.expected.clone();
        while e.last().is_some_and(|l| l.is_empty()) {
            e.pop();
        }
        e
    };
    if lines_match(&expected, &lines) {
        Ok(())
    } else {
        Err(format!(
            "{}: `{}` prints\n{}\nbut the document shows\n{}",
            example.at,
            example.command,
            lines.join("\n"),
            expected.join("\n")
        ))
    }
}

/// Regression: the README's figures drifted from the program's, and its `eval` example used a file
/// that is not in a clone. Every example runs and prints what the document shows.
#[test]
fn the_documents_examples_print_what_they_show() {
    let clone = fresh_clone();
    let dir = clone.path();
    let mut all = Vec::new();
    for name in DOCUMENTS {
        let text = std::fs::read_to_string(root().join(name)).unwrap();
        all.extend(examples(name, &text));
    }
    assert!(all.len() >= 8, "the examples were not found: {all:#?}");
    let failures: Vec<String> = all.iter().filter_map(|e| check(e, dir).err()).collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
    // Reading the report and charting left no operator store behind, and nothing outside charts/.
    assert!(!dir.join("data").exists());
}

/// The entry counts and the bench's rounds the prose states are the program's.
#[test]
fn the_readme_figures_are_the_programs() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let check = stdout(&hitbot(&["check"], "", None));
    let entries: usize = check
        .strip_prefix("knowledge OK: ")
        .and_then(|rest| rest.split_once(" entries"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("hitbot check says {check}"));
    let mut counted = 0;
    for (n, _) in numbers_before(&readme, " entries")
        .into_iter()
        .chain(numbers_before(&readme, " knowledge entries"))
    {
        assert_eq!(
            n, entries,
            "README says {n} entries; the knowledge has {entries}"
        );
        counted += 1;
    }
    assert!(counted >= 3, "the README's entry counts were not found");

    let help = stdout(&hitbot(&["bench", "--help"], "", None));
    let default = help
        .split_once("[default: ")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(n, _)| n.to_string())
        .expect("bench --help shows the default rounds");
    let row = readme
        .lines()
        .find(|l| l.starts_with("| `bench"))
        .expect("the README's bench row");
    let said = row
        .split_once("default ")
        .map(|(_, rest)| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .expect("the bench row states the default rounds");
    assert_eq!(said, default, "{row}");

    // A measurement that names `hitbot bench` with other rounds than the default names the flag
    // that reproduces it; the benchmark list's size is the program's.
    let default: usize = default.parse().unwrap();
    let questions = std::fs::read_to_string(root().join("benches/questions.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let mut measured = 0;
    for name in ["README.md", "docs/performance.md"] {
        let text = std::fs::read_to_string(root().join(name)).unwrap();
        for line in text.lines().filter(|l| l.contains("hitbot bench")) {
            let rounds = numbers_after(line, "× ")
                .into_iter()
                .chain(numbers_before(line, " rounds").into_iter().map(|(n, _)| n));
            for r in rounds {
                measured += 1;
                assert!(
                    r == default || line.contains(&format!("--rounds {r}")),
                    "{name}: {r} rounds without `--rounds {r}` (the default is {default}): {line}"
                );
            }
            for (n, _) in numbers_before(line, " questions ×")
                .into_iter()
                .chain(numbers_before(line, " mixed questions ×"))
            {
                assert_eq!(n, questions, "{name}: {line}");
            }
        }
    }
    assert!(measured >= 2, "the bench measurements were not found");
}

/// Every number written just after `word` in `text` ("× 500").
fn numbers_after(text: &str, word: &str) -> Vec<usize> {
    text.match_indices(word)
        .filter_map(|(at, _)| {
            let digits: String = text[at + word.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

/// Every number written just before `word` in `text` ("66 entries"), with where it is.
fn numbers_before(text: &str, word: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(word) {
        let digits: String = text[..at]
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if let Ok(n) = digits.parse() {
            out.push((n, at));
        }
    }
    out
}

// --- the harness itself: it must be able to fail -----------------------------------------------------

#[test]
fn patterns_match_only_what_they_show() {
    assert!(line_matches(
        "knowledge OK: 66 entries",
        "knowledge OK: 66 entries"
    ));
    assert!(!line_matches(
        "knowledge OK: 67 entries",
        "knowledge OK: 66 entries"
    ));
    assert!(!line_matches("knowledge OK", "knowledge OK: 66 entries"));
    assert!(line_matches(
        "wrote charts/x.png (... bytes)",
        "wrote charts/x.png (123 bytes)"
    ));
    assert!(!line_matches(
        "wrote charts/x.png (... bytes)",
        "wrote x.png (123 bytes)"
    ));
    assert!(line_matches("a ... c ... e", "a b c d e"));
    assert!(!line_matches("a ... c ... e", "a b d e"));
    assert!(line_matches("According to ...", "According to the BLS"));
    let e = |lines: &[&str]| -> Vec<String> { lines.iter().map(|l| l.to_string()).collect() };
    assert!(lines_match(&e(&["a", "...", "z"]), &["a", "b", "c", "z"]));
    assert!(lines_match(&e(&["a", "...", "z"]), &["a", "z"]));
    assert!(!lines_match(&e(&["a", "...", "z"]), &["a", "b"]));
    assert!(!lines_match(&e(&["a", "b"]), &["a", "b", "c"]));
    assert!(!lines_match(&e(&["a", "b", "c"]), &["a", "b"]));
}

#[test]
fn examples_and_commands_are_read_like_a_shell_would() {
    let doc = "text\n```sh\n$ cargo run --release -- check\nknowledge OK\n\n$ printf 'a\\nb\\n' | hitbot batch   # two\n```\n```text\n$ hitbot report\nnot run\n```\n```sh\ncargo test\n```\n";
    let found = examples("X.md", doc);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].at, "X.md:3");
    assert_eq!(found[0].expected, ["knowledge OK", ""]);
    assert_eq!(found[1].expected, Vec::<String>::new());
    let run = plan(&found[1].command).unwrap();
    assert_eq!(run.stdin, "a\nb\n");
    assert_eq!(run.args, ["batch"]);
    let run = plan("cargo run --release -- ask \"how much do HITs make?\" | tail -1").unwrap();
    assert_eq!(run.args, ["ask", "how much do HITs make?"]);
    assert_eq!(run.keep, Some(-1));
    assert!(plan("grep salary README.md").is_err());
    assert!(plan("hitbot export | wc -l").is_err());
}
