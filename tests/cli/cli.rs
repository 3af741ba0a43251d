//! The command line as a user runs it: `ask`, `batch`, `eval`, `export`, `chat`, exit codes and errors.

use std::path::Path;

use crate::common::*;

#[test]
fn ask_prints_the_answer_and_its_source() {
    let out = hitbot(&["ask", "how", "much", "do", "HITs", "make?"], "", None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("$55,560"), "{text}");
    assert!(text.contains("(Source: "), "{text}");
}

#[test]
fn ask_json_prints_the_whole_reply() {
    let out = hitbot(&["ask", "--json", "what does AHIMA do?"], "", None);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    for key in [
        "text",
        "entry",
        "confidence",
        "confident",
        "related",
        "did_you_mean",
        "source",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["confident"], true);
}

#[test]
fn batch_prints_one_json_object_per_line_with_the_eval_keys() {
    let out = hitbot(
        &["batch"],
        "hit salary\nwhat's the weather in paris\n\n",
        None,
    );
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for v in &lines {
        let obj = v.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["answer", "confidence", "confident", "entry", "q"]);
    }
    assert_eq!(lines[0]["confident"], true);
    assert!(lines[0]["answer"].as_str().unwrap().contains("55,560"));
    assert_eq!(lines[1]["confident"], false);
    assert_eq!(lines[1]["entry"], serde_json::Value::Null);
}

#[test]
fn eval_ends_with_the_accuracy_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("eval.jsonl");
    std::fs::write(
        &file,
        "{\"id\":\"a\",\"q\":\"hit salary\",\"expect_any\":[[\"55,560\"]],\"topic\":\"salary\"}\n\
         {\"id\":\"b\",\"q\":\"hit salary\",\"expect_any\":[[\"99,999\"]],\"topic\":\"salary\"}\n\
         {\"id\":\"c\",\"q\":\"best pizza in town\",\"expect_none\":true,\"topic\":\"out_of_scope\"}\n",
    )
    .unwrap();
    let out = hitbot(&["eval", file.to_str().unwrap()], "", None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.lines().last(),
        Some("ACCURACY in_scope=0.500 out_of_scope=1.000 n=3"),
        "{text}"
    );
    assert!(
        text.contains("- b [salary] \"hit salary\" -> wrong answer: entry salary"),
        "{text}"
    );
    assert!(text.contains("recall@3"), "{text}");
}

#[test]
fn eval_names_the_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.jsonl");
    std::fs::write(&file, "{\"q\":\"a\",\"expect_none\":true}\nnot json\n").unwrap();
    let out = hitbot(&["eval", file.to_str().unwrap()], "", None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{}:2:", file.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn export_prints_every_entry() {
    let out = hitbot(&["export"], "", None);
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), advisor().knowledge().entries.len());
    for key in [
        "id",
        "topic",
        "title",
        "questions",
        "answer",
        "related",
        "source",
    ] {
        assert!(lines[0].get(key).is_some(), "{key}");
    }
}

#[test]
fn no_command_without_a_token_is_the_terminal_chat() {
    let out = hitbot(&[], "how much do HITs make?\n", None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("TELOXIDE_TOKEN is not set"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("$55,560"), "{}", stdout(&out));
}

#[test]
fn chat_remembers_the_conversation_and_opens_numbered_choices() {
    let out = hitbot(
        &["chat"],
        "tell me about the clinical coder path\nand their salary?\nwhat's the weather\n1\n",
        None,
    );
    let text = stdout(&out);
    assert!(text.contains("46,660"), "{text}");
    assert!(
        text.contains("Sorry, I don't know") || text.contains("doesn't cover that"),
        "{text}"
    );
    assert!(text.contains("Topics: 1) "), "{text}");
}

#[test]
fn telegram_without_a_token_explains_how_to_set_one() {
    let out = hitbot(&["telegram"], "", None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("export TELOXIDE_TOKEN="),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_bad_config_names_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[answer]\nrelated = 2\nmin_confidance = 0.4\n").unwrap();
    let out = hitbot(&["ask", "salary"], "", Some(&path));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:3:", path.display())) && err.contains("answer.min_confidance"),
        "{err}"
    );
}

#[test]
fn help_is_available_for_every_command() {
    for cmd in [
        "chat", "ask", "batch", "eval", "index", "check", "export", "telegram",
    ] {
        let out = hitbot(&[cmd, "--help"], "", None);
        assert!(out.status.success(), "{cmd}");
        assert!(stdout(&out).contains("Usage: hitbot"), "{cmd}");
    }
}

/// Regression: a malformed `TELOXIDE_PROXY` made `Bot::from_env()` panic. It is a clear error that
/// names the variable, with exit code 2, and the token is not printed.
#[test]
fn malformed_teloxide_proxy_is_a_clear_error() {
    let out = hitbot_with_env(
        &["telegram"],
        "",
        None,
        &[
            ("TELOXIDE_TOKEN", "123456:SECRET-proxy-test"),
            ("TELOXIDE_PROXY", "::not a proxy::"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("TELOXIDE_PROXY is not a valid proxy URL"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("SECRET-proxy-test"), "{err}");
}

#[test]
fn a_malformed_api_url_is_a_clear_error() {
    let out = hitbot_with_env(
        &["telegram"],
        "",
        None,
        &[
            ("TELOXIDE_TOKEN", "123456:x"),
            ("TELOXIDE_API_URL", "not a url"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("TELOXIDE_API_URL is not a valid URL"),
        "{}",
        stderr(&out)
    );
}

/// Regression: `[answer] max_question_chars` applied only on Telegram; the CLI and the terminal chat
/// cut questions at another constant. Every front end now gets the advisor's cut.
#[test]
fn max_question_chars_applies_to_every_front_end() {
    // One run-on sentence: a question mark would let its question part be answered alone.
    let asked =
        "what does the professional organization AHIMA do for health information technicians";
    let question = format!(
        "{asked} {}",
        "zebra giraffe okapi narwhal axolotl ".repeat(20)
    );
    // Words only: the model would read past the animals.
    let lexical = "[semantic]\nenabled = false\n";
    let whole = temp_config(
        "max-question-chars-whole",
        &root().join("knowledge"),
        lexical,
    );
    let full = hitbot(&["ask", "--json", &question], "", Some(&whole));
    let full: serde_json::Value = serde_json::from_str(&stdout(&full)).expect("json");
    assert_eq!(
        full["confident"], false,
        "searched whole, the animals make it decline"
    );

    let config = temp_config(
        "max-question-chars",
        &root().join("knowledge"),
        &format!("[answer]\nmax_question_chars = 90\n{lexical}"),
    );
    let cut = hitbot(&["ask", "--json", &question], "", Some(&config));
    let cut: serde_json::Value = serde_json::from_str(&stdout(&cut)).expect("json");
    assert_eq!(cut["confident"], true, "{cut}");
    assert!(cut["text"].as_str().unwrap().contains("AHIMA"), "{cut}");
    let chat = hitbot(&["chat"], &format!("{question}\n"), Some(&config));
    assert!(stdout(&chat).contains("AHIMA"), "{}", stdout(&chat));
}

/// Regression: `hitbot bench | head -1` panicked ("failed printing to stdout: Broken pipe"). Output to
/// a reader that has gone away ends the command quietly.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    // `hitbot check | head -0` (a few bytes into a pipe already closed) and `export` (~75 kB: more
    // than a pipe holds, so writing must meet the closed end).
    for command in ["check", "export"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hitbot"))
            .arg(command)
            .current_dir(root())
            .env_remove("TELOXIDE_TOKEN")
            .env_remove("HITBOT_CONFIG")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run hitbot");
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{command}: {err}");
        assert_eq!(out.status.code(), Some(0), "{command}: {err}");
    }
}

/// The entry a terminal reply came from (by its answer's first line), "decline" or "small talk".
fn answered_entry(block: &str) -> String {
    let mut best: Option<(usize, &str)> = None;
    for e in &advisor().knowledge().entries {
        let first = e.answer.trim().lines().next().unwrap_or("");
        if !first.is_empty() && block.contains(first) && best.is_none_or(|(n, _)| first.len() > n) {
            best = Some((first.len(), &e.id));
        }
    }
    match best {
        Some((_, id)) => id.to_string(),
        None if block.contains("don't know") || block.contains("doesn't cover") => "decline".into(),
        None => "small talk".into(),
    }
}

/// The follow-up conversations of `tests/data/followups.jsonl` (shared with the engine and Telegram
/// tests), each in its own terminal chat.
#[test]
fn chat_takes_context_only_when_it_is_meant() {
    use hitbot_engine::eval;
    let cases = eval::load_conversations(&root().join("tests/data/followups.jsonl")).unwrap();
    let wrong: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(8)
            .map(|chunk| {
                s.spawn(move || {
                    let mut wrong = Vec::new();
                    for case in chunk {
                        let mut stdin = case.after.join("\n");
                        stdin.push('\n');
                        stdin.push_str(&case.ask);
                        stdin.push('\n');
                        let out = stdout(&hitbot(&["chat"], &stdin, None));
                        let blocks: Vec<&str> =
                            out.split("\n\n").filter(|b| !b.trim().is_empty()).collect();
                        let got = blocks
                            .last()
                            .map_or("nothing".into(), |b| answered_entry(b));
                        if !case.accepts(&got, &eval::outcome(&advisor().answer(&case.ask))) {
                            wrong.push(case.failure(&got));
                        }
                    }
                    wrong
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

/// Regression: run from another folder, hitbot said only "knowledge:0: cannot read the knowledge
/// folder". It says which folder, from which config (here none), and how to point at them.
#[test]
fn run_from_another_folder_says_what_it_looked_for_and_how_to_point_at_it() {
    let elsewhere = tempfile::tempdir().unwrap();
    let out = hitbot_in(elsewhere.path(), &["ask", "salary"], "", None, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    // The working folder as the process sees it (symbolic links resolved).
    let folder = elsewhere.path().canonicalize().unwrap();
    for said in [
        format!(
            "cannot find the knowledge folder {}",
            folder.join("knowledge").display()
        ),
        format!(
            "no config file was found ({} does not exist",
            folder.join("config.toml").display()
        ),
        "--config /path/to/hitbot/config.toml".to_string(),
        "HITBOT_CONFIG=/path/to/hitbot/config.toml".to_string(),
    ] {
        assert!(err.contains(&said), "{said:?} missing: {err}");
    }
    assert!(!err.contains("knowledge:0:"), "{err}");
    // Nothing was created there.
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);

    // A config file whose knowledge folder is wrong is named.
    let config = elsewhere.path().join("other.toml");
    std::fs::write(&config, "knowledge_dir = \"nowhere\"\n").unwrap();
    let out = hitbot_in(elsewhere.path(), &["check"], "", Some(&config), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("nowhere"), "{err}");
    assert!(err.contains("other.toml (HITBOT_CONFIG)"), "{err}");
}

#[test]
fn config_flag_and_env_work_from_any_folder() {
    let elsewhere = tempfile::tempdir().unwrap();
    let shipped = root().join("config.toml");
    let shipped = shipped.to_str().unwrap();
    let knowledge = format!("in {}", root().join("knowledge").display());
    // --config, before or after the command.
    for args in [
        vec!["--config", shipped, "check"],
        vec!["check", "--config", shipped],
    ] {
        let out = hitbot_in(elsewhere.path(), &args, "", None, &[]);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).contains(&knowledge), "{}", stdout(&out));
    }
    // HITBOT_CONFIG, and --config winning over it.
    let out = hitbot_in(
        elsewhere.path(),
        &["check"],
        "",
        Some(Path::new(shipped)),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&knowledge), "{}", stdout(&out));
    let missing = elsewhere.path().join("missing.toml");
    let out = hitbot_in(
        elsewhere.path(),
        &["--config", shipped, "check"],
        "",
        Some(&missing),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = hitbot_in(
        elsewhere.path(),
        &["--config", missing.to_str().unwrap(), "check"],
        "",
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{}: cannot read", missing.display())),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

/// Regression: a first run logged "index: no index in index yet".
#[test]
fn a_first_run_says_in_plain_words_that_it_builds_the_index() {
    let config = temp_config(
        "first-run",
        &root().join("knowledge"),
        "[semantic]\nenabled = false\n",
    );
    let index = config.parent().unwrap().join("index");
    let entries = advisor().knowledge().entries.len();
    let run = || {
        hitbot_with_env(
            &["ask", "salary"],
            "",
            Some(&config),
            &[("RUST_LOG", "info")],
        )
    };
    let first = run();
    assert!(first.status.success(), "{}", stderr(&first));
    let said = format!(
        "building the search index in {}/ from {entries} entries (first run: there is none yet)",
        index.display()
    );
    assert!(
        stderr(&first).contains(&said),
        "{said:?} missing: {}",
        stderr(&first)
    );
    assert!(
        !stderr(&first).contains("no index in"),
        "{}",
        stderr(&first)
    );
    let second = run();
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        !stderr(&second).contains("building the search index"),
        "{}",
        stderr(&second)
    );
}

/// Regression (issue 14): after a stop, `hitbot ask` and `hitbot telegram` exited 1 with "index … was
/// built by another version of hitbot" (a restart loop under systemd). A folder under the
/// knowledge's name that is not its finished build is rebuilt, with a warning saying why.
#[test]
fn a_foreign_index_folder_is_rebuilt_with_a_warning() {
    let config = temp_config(
        "foreign-index",
        &root().join("tests/fixtures/good"),
        "[semantic]\nenabled = false\n",
    );
    let index = config.parent().unwrap().join("index");
    let ask = || hitbot(&["ask", "how much do zookeepers make"], "", Some(&config));
    let first = ask();
    assert!(first.status.success(), "{}", stderr(&first));
    let build = std::fs::read_dir(&index)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("hitbot-fingerprint").is_file())
        .expect("a finished build");
    std::fs::remove_dir_all(&build).unwrap();
    std::fs::create_dir(&build).unwrap();
    std::fs::write(build.join("meta.json"), "{ not an index").unwrap();
    let again = ask();
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("12,345 zorkmids"),
        "{}",
        stdout(&again)
    );
    let said = stderr(&again);
    assert!(
        said.contains("WARN")
            && said.contains("building the search index in")
            && said.contains("cannot be read"),
        "{said}"
    );
    assert!(build.join("hitbot-fingerprint").is_file());
}

/// Issue 14: `hitbot batch` held every answer until stdin closed; it answers line by line, so it
/// can be driven interactively.
#[test]
fn batch_answers_each_line_before_the_next_arrives() {
    use std::io::{BufRead, BufReader, Write};
    let config = temp_config(
        "batch-lines",
        &root().join("knowledge"),
        "[semantic]\nenabled = false\n",
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hitbot"))
        .args(["--config", config.to_str().unwrap(), "batch"])
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("HITBOT_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run hitbot");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    writeln!(stdin, "how much do HITs make?").unwrap();
    stdin.flush().unwrap();
    // stdin stays open: the answer must come anyway.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("an answer while stdin is still open");
    assert!(line.contains("\"entry\":\"salary\""), "{line}");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}
