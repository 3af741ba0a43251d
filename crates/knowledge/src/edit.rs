//! Tidy edits of the knowledge files by the bot itself (the operator's inbox): one alternate question
//! added to an entry's `questions`, or one question added to `scope.toml`'s `not_covered`, and the
//! undo of either.
//!
//! An edit goes through `toml_edit`, so the file keeps its comments, order and formatting: the diff
//! is the one added line. It is refused, changing nothing, when the question is already there
//! (compared [`normalize`]d), when the entry no longer exists, or when the knowledge with the edit
//! would not pass the caller's check (`hitbot check`: the new file is checked in a staging copy of
//! the folder first). The file is replaced atomically (a temporary file in the same folder, then a
//! rename), so a crash never leaves a broken or half-written file. Edits are serialized by one
//! process-wide lock and each re-reads the file under it, so two concurrent edits never lose one.
//! An [`Edit`] keeps the file's previous bytes: [`undo`] puts them back, byte for byte, unless the
//! file has changed since.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use toml_edit::{Array, Document, DocumentMut, Item, Table, Value};

use crate::{knowledge_files, normalize, Problem, GUIDE_FILE, SCOPE_FILE, SYNONYMS_FILE};

/// Longest question added, in characters (the store keeps 500).
pub const MAX_ADDED_CHARS: usize = 500;

/// Every edit of the knowledge folder by this process holds it: read, change, check, rename.
static EDIT_LOCK: Mutex<()> = Mutex::new(());

/// The check the knowledge must pass with the edit (the folder given is a staging copy): every
/// problem, none when it is fine. `hitbot check` is [`crate::Knowledge::load`] plus the engine's
/// synonym check, so the front ends pass the engine's.
pub type Check<'a> = &'a (dyn Fn(&Path) -> Vec<Problem> + Sync);

/// One edit that was written: enough to say what changed and to undo it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The file written.
    pub file: PathBuf,
    /// Its bytes before the edit (what [`undo`] restores).
    pub before: Vec<u8>,
    /// Its bytes after the edit (undo refuses when the file no longer holds exactly these).
    pub after: Vec<u8>,
    /// The 1-based line of the added question.
    pub line: usize,
    /// The question as written (trimmed, on one line).
    pub question: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("the question is empty")]
    Empty,
    #[error("there is no entry `{id}` in the knowledge (was it removed or renamed?)")]
    NoEntry { id: String },
    #[error("{}:{line}: `{existing}` is already a question of entry `{id}`", file.display())]
    Duplicate {
        id: String,
        existing: String,
        file: PathBuf,
        line: usize,
    },
    #[error("{}:{line}: `{existing}` is already in `not_covered`", file.display())]
    DuplicateNotCovered {
        existing: String,
        file: PathBuf,
        line: usize,
    },
    #[error("the knowledge would not pass `hitbot check` with this edit:\n{}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    WouldBreak { problems: Vec<Problem> },
    #[error("{}: cannot edit it: {message}", file.display())]
    Unreadable { file: PathBuf, message: String },
    #[error("{}: changed since the edit, so it is not undone (edit it by hand)", file.display())]
    Changed { file: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Adds `question` as an alternate question of entry `id`, in whichever file of `dir` holds it.
pub fn add_question(dir: &Path, id: &str, question: &str, check: Check) -> Result<Edit, EditError> {
    let question = one_line(question)?;
    let _guard = EDIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let wanted = normalize(&question);
    let mut target = None;
    let mut duplicate = None;
    for path in entry_files(dir)? {
        let text = read_text(&path)?;
        let doc = spanned(&path, &text)?;
        for table in entries(&doc) {
            let this = table.get("id").and_then(Item::as_str);
            if duplicate.is_none() {
                if let Some((existing, i)) = strings(table.get("questions"))
                    .into_iter()
                    .enumerate()
                    .find_map(|(i, q)| (normalize(q) == wanted).then_some((q.to_string(), i)))
                {
                    duplicate = Some(EditError::Duplicate {
                        id: this.unwrap_or("?").to_string(),
                        existing,
                        line: line_of_item(&text, table.get("questions"), i),
                        file: path.clone(),
                    });
                }
            }
            if this == Some(id) && target.is_none() {
                target = Some((path.clone(), text.clone()));
            }
        }
    }
    // An entry that is gone is the first thing to say; then a question that is there already.
    let Some((path, text)) = target else {
        return Err(EditError::NoEntry { id: id.to_string() });
    };
    if let Some(duplicate) = duplicate {
        return Err(duplicate);
    }
    let mut doc = parse(&path, &text)?;
    let array = doc
        .get_mut("entry")
        .and_then(Item::as_array_of_tables_mut)
        .and_then(|list| {
            list.iter_mut()
                .find(|t| t.get("id").and_then(Item::as_str) == Some(id))
        })
        .and_then(|t| t.get_mut("questions"))
        .and_then(Item::as_array_mut)
        .ok_or_else(|| EditError::Unreadable {
            file: path.clone(),
            message: format!("entry `{id}` has no `questions` list"),
        })?;
    append(array, &question);
    write_checked(dir, &path, text, doc.to_string(), question, check)
}

/// Adds `question` to `not_covered` in the folder's `scope.toml`: an example of what the guide does
/// not answer, so that the semantic stage declines questions like it.
pub fn add_not_covered(dir: &Path, question: &str, check: Check) -> Result<Edit, EditError> {
    let question = one_line(question)?;
    let _guard = EDIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let path = dir.join(SCOPE_FILE);
    let text = read_text(&path)?;
    let wanted = normalize(&question);
    {
        let doc = spanned(&path, &text)?;
        let list = strings(doc.get("not_covered"));
        if let Some(i) = list.iter().position(|q| normalize(q) == wanted) {
            return Err(EditError::DuplicateNotCovered {
                existing: list[i].to_string(),
                line: line_of_item(&text, doc.get("not_covered"), i),
                file: path,
            });
        }
    }
    let mut doc = parse(&path, &text)?;
    if doc.get("not_covered").is_none() {
        doc.insert("not_covered", Item::Value(Value::Array(Array::new())));
    }
    let array = doc
        .get_mut("not_covered")
        .and_then(Item::as_array_mut)
        .ok_or_else(|| EditError::Unreadable {
            file: path.clone(),
            message: "`not_covered` is not a list".into(),
        })?;
    append(array, &question);
    write_checked(dir, &path, text, doc.to_string(), question, check)
}

/// Puts `file` back as it was before an edit (`before`), byte for byte; refused when it no longer
/// holds exactly what the edit wrote (`after`).
pub fn undo(file: &Path, before: &[u8], after: &[u8]) -> Result<(), EditError> {
    let _guard = EDIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let now = std::fs::read(file).map_err(|source| EditError::Io {
        path: file.to_path_buf(),
        source,
    })?;
    if now != after {
        return Err(EditError::Changed {
            file: file.to_path_buf(),
        });
    }
    write_atomic(file, before)?;
    log::info!("knowledge: {} restored as it was", file.display());
    Ok(())
}

impl Edit {
    /// Undoes this edit (see [`undo`]).
    pub fn undo(&self) -> Result<(), EditError> {
        undo(&self.file, &self.before, &self.after)
    }
}

/// The question trimmed, on one line (a line break would be more than one added line).
fn one_line(question: &str) -> Result<String, EditError> {
    let words: Vec<&str> = question.split_whitespace().collect();
    let line: String = words.join(" ").chars().take(MAX_ADDED_CHARS).collect();
    if normalize(&line).is_empty() {
        return Err(EditError::Empty);
    }
    Ok(line.trim_end().to_string())
}

/// The entry files of the folder (not the guide, synonyms or scope).
fn entry_files(dir: &Path) -> Result<Vec<PathBuf>, EditError> {
    let files = knowledge_files(dir).map_err(|source| EditError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(files
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n != GUIDE_FILE && n != SYNONYMS_FILE && n != SCOPE_FILE)
        })
        .collect())
}

fn read_text(path: &Path) -> Result<String, EditError> {
    let bytes = std::fs::read(path).map_err(|source| EditError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| EditError::Unreadable {
        file: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The file to edit (spans dropped: every decor is text that can be read and copied).
fn parse(path: &Path, text: &str) -> Result<DocumentMut, EditError> {
    Ok(spanned(path, text)?.into_mut())
}

/// The file as parsed, with the span of every value (for the line of a duplicate).
fn spanned<'t>(path: &Path, text: &'t str) -> Result<Document<&'t str>, EditError> {
    Document::parse(text).map_err(|e| EditError::Unreadable {
        file: path.to_path_buf(),
        message: format!("not valid TOML: {}", e.message().trim()),
    })
}

fn entries(doc: &Table) -> Vec<&Table> {
    doc.get("entry")
        .and_then(Item::as_array_of_tables)
        .map(|list| list.iter().collect())
        .unwrap_or_default()
}

/// The strings of a list value (others skipped).
fn strings(item: Option<&Item>) -> Vec<&str> {
    item.and_then(Item::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The 1-based line of item `i` of a list, from its span in `text`.
fn line_of_item(text: &str, item: Option<&Item>, i: usize) -> usize {
    item.and_then(Item::as_array)
        .and_then(|a| a.get(i))
        .and_then(Value::span)
        .map_or(0, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        })
}

/// Appends a string to a list as its own line when the list is written one item per line (the
/// indentation of the last item; a comment after the last item stays on its line), else inline.
fn append(array: &mut Array, question: &str) {
    let prefix_of = |v: &Value| {
        v.decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_string()
    };
    let prefixes: Vec<String> = array.iter().map(prefix_of).collect();
    let trailing = array.trailing().as_str().unwrap_or("").to_string();
    let multi_line = prefixes.iter().any(|p| p.contains('\n')) || trailing.contains('\n');
    let mut value = Value::from(question);
    if multi_line {
        let indent = prefixes
            .iter()
            .rev()
            .find_map(|p| p.rfind('\n').map(|nl| p[nl + 1..].to_string()))
            .unwrap_or_else(|| "  ".to_string());
        // What follows the last item on its line (` # comment`) stays there.
        let (head, rest) = match trailing.find('\n') {
            Some(nl) => (&trailing[..nl], &trailing[nl..]),
            None => (trailing.as_str(), "\n"),
        };
        value.decor_mut().set_prefix(format!("{head}\n{indent}"));
        value.decor_mut().set_suffix("");
        array.set_trailing(rest.to_string());
    } else {
        let prefix = if array.is_empty() { "" } else { " " };
        value.decor_mut().set_prefix(prefix);
        value.decor_mut().set_suffix("");
    }
    array.push_formatted(value);
}

/// Checks the folder with `after` in place of `path` (in a staging copy), then writes it.
fn write_checked(
    dir: &Path,
    path: &Path,
    before: String,
    after: String,
    question: String,
    check: Check,
) -> Result<Edit, EditError> {
    let problems = check_staged(dir, path, after.as_bytes(), check)?;
    if !problems.is_empty() {
        return Err(EditError::WouldBreak { problems });
    }
    write_atomic(path, after.as_bytes())?;
    let line = first_changed_line(&before, &after);
    log::info!("knowledge: added {question:?} at {}:{line}", path.display());
    Ok(Edit {
        file: path.to_path_buf(),
        before: before.into_bytes(),
        after: after.into_bytes(),
        line,
        question,
    })
}

/// Runs `check` over a copy of `dir` whose `path` holds `bytes`; the problems name the real files.
fn check_staged(
    dir: &Path,
    path: &Path,
    bytes: &[u8],
    check: Check,
) -> Result<Vec<Problem>, EditError> {
    let staging = unique_path(&std::env::temp_dir(), "hitbot-staging");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EditError::Io { path, source }
    };
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    let result = (|| -> Result<Vec<Problem>, EditError> {
        for file in knowledge_files(dir).map_err(io(dir))? {
            let Some(name) = file.file_name() else {
                continue;
            };
            let copy = staging.join(name);
            if file.file_name() == path.file_name() {
                std::fs::write(&copy, bytes).map_err(io(&copy))?;
            } else {
                std::fs::copy(&file, &copy).map_err(io(&copy))?;
            }
        }
        let mut problems = check(&staging);
        for p in &mut problems {
            if let Ok(rest) = p.file.strip_prefix(&staging) {
                p.file = dir.join(rest);
            } else if p.file == staging {
                p.file = dir.to_path_buf();
            }
        }
        Ok(problems)
    })();
    if let Err(e) = std::fs::remove_dir_all(&staging) {
        log::warn!("{}: cannot remove: {e}", staging.display());
    }
    result
}

/// Writes a temporary file beside `path` and renames it over `path`: readers see the old file or the
/// new one, never a part of it.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EditError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A dot name without the `.toml` extension: the loader and the watcher never read it.
    let temp = unique_path(dir, &format!(".{name}"));
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| EditError::Io { path: p, source }
    };
    let written = (|| -> Result<(), EditError> {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&temp).map_err(io(&temp))?;
        file.write_all(bytes).map_err(io(&temp))?;
        file.sync_all().map_err(io(&temp))?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions()).map_err(io(&temp))?;
        }
        std::fs::rename(&temp, path).map_err(io(path))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    // Make the rename itself durable where the platform allows opening a folder.
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// A path in `dir` no other call (in this or another process) uses: `<prefix>.<pid>.<n>.tmp`.
fn unique_path(dir: &Path, prefix: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    dir.join(format!("{prefix}.{}.{n}.{nanos}.tmp", std::process::id()))
}

/// The 1-based line where two texts first differ.
fn first_changed_line(before: &str, after: &str) -> usize {
    before
        .lines()
        .zip(after.lines())
        .take_while(|(a, b)| a == b)
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Knowledge;

    const SALARY: &str = r#"# Salary: what HITs earn.
# A second comment line.

[[entry]]
id = "salary"
topic = "salary"
title = "What HITs earn"
questions = [
  "How much do HITs make?",
  # a comment inside the list
  "hit salary", # after the last one
]
answer = "About $55,560 a year."   # trailing comment
source = "Guide"

[[entry]]
id = "skills"
topic = "skills"
title = "Skills"
questions = ["what skills do I need", "HIT skills"]
answer = "Coding and care."
related = ["salary"]
source = "Guide"
"#;

    const SCOPE: &str = "other_topics = [\"nurse\"]\n\nnot_covered = [\n  # fees\n  \"how much is the exam fee\",\n]\n";

    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("salary.toml"), SALARY).unwrap();
        std::fs::write(dir.path().join(SCOPE_FILE), SCOPE).unwrap();
        dir
    }

    /// The knowledge crate's own validation (the engine adds its synonym check).
    fn load_check(dir: &Path) -> Vec<Problem> {
        Knowledge::load(dir, 700).1
    }

    /// The lines of `after` are those of `before` with exactly one line inserted; returns it.
    fn one_added_line(before: &str, after: &str) -> String {
        let (b, a): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
        assert_eq!(a.len(), b.len() + 1, "{after}");
        let at = b.iter().zip(&a).take_while(|(x, y)| x == y).count();
        assert_eq!(&a[..at], &b[..at]);
        assert_eq!(&a[at + 1..], &b[at..], "{after}");
        a[at].to_string()
    }

    #[test]
    fn a_question_is_one_added_line_and_keeps_every_comment() {
        let dir = folder();
        let edit = add_question(
            dir.path(),
            "salary",
            "  what do HITs\nmake per year? ",
            &load_check,
        )
        .unwrap();
        let after = std::fs::read_to_string(dir.path().join("salary.toml")).unwrap();
        assert_eq!(after.as_bytes(), edit.after.as_slice());
        assert_eq!(edit.before, SALARY.as_bytes());
        let added = one_added_line(SALARY, &after);
        assert_eq!(added, "  \"what do HITs make per year?\",");
        assert_eq!(edit.line, 12);
        assert_eq!(after.lines().nth(edit.line - 1), Some(added.as_str()));
        assert!(after.contains("\"hit salary\", # after the last one\n"));
        let (k, problems) = Knowledge::load(dir.path(), 700);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            k.get("salary")
                .unwrap()
                .questions
                .last()
                .map(String::as_str),
            Some("what do HITs make per year?")
        );
        // No temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn a_one_line_list_stays_on_its_line() {
        let dir = folder();
        add_question(dir.path(), "skills", "do I need coding", &load_check).unwrap();
        let after = std::fs::read_to_string(dir.path().join("salary.toml")).unwrap();
        assert!(after.contains(
            "questions = [\"what skills do I need\", \"HIT skills\", \"do I need coding\"]\n"
        ));
        assert_eq!(after.lines().count(), SALARY.lines().count());
    }

    #[test]
    fn quotes_and_backslashes_are_written_as_valid_toml() {
        let dir = folder();
        let q = r#"what's a "HIT" \ RHIT?"#;
        add_question(dir.path(), "salary", q, &load_check).unwrap();
        let (k, problems) = Knowledge::load(dir.path(), 700);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(k.get("salary").unwrap().questions.iter().any(|x| x == q));
    }

    #[test]
    fn duplicates_are_refused_in_any_entry_as_normalised() {
        let dir = folder();
        for (id, q) in [
            ("salary", "HIT Salary?!"),
            ("skills", "how much do hits make"),
        ] {
            match add_question(dir.path(), id, q, &load_check) {
                Err(EditError::Duplicate { id, line, .. }) => {
                    assert_eq!(id, "salary");
                    assert!(line == 9 || line == 11, "{line}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join("salary.toml")).unwrap(),
            SALARY
        );
    }

    #[test]
    fn a_missing_entry_or_an_empty_question_is_refused() {
        let dir = folder();
        assert!(matches!(
            add_question(dir.path(), "gone", "a new question", &load_check),
            Err(EditError::NoEntry { id }) if id == "gone"
        ));
        assert!(matches!(
            add_question(dir.path(), "salary", " ?! ", &load_check),
            Err(EditError::Empty)
        ));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("salary.toml")).unwrap(),
            SALARY
        );
    }

    #[test]
    fn an_edit_the_check_refuses_changes_nothing_and_names_the_real_file() {
        let dir = folder();
        let refuse = |staged: &Path| {
            // The staged copy holds the edit; the real folder does not yet.
            let text = std::fs::read_to_string(staged.join("salary.toml")).unwrap();
            assert!(text.contains("breaks it"));
            vec![Problem {
                file: staged.join("salary.toml"),
                line: 12,
                entry: Some("salary".into()),
                message: "synonyms clash".into(),
            }]
        };
        match add_question(dir.path(), "salary", "breaks it", &refuse) {
            Err(EditError::WouldBreak { problems }) => {
                assert_eq!(problems[0].file, dir.path().join("salary.toml"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join("salary.toml")).unwrap(),
            SALARY
        );
    }

    #[test]
    fn undo_restores_the_bytes_unless_the_file_changed() {
        let dir = folder();
        let path = dir.path().join("salary.toml");
        let edit = add_question(dir.path(), "salary", "hit wages", &load_check).unwrap();
        edit.undo().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), SALARY.as_bytes());
        // Undone already: the file no longer holds the edit.
        assert!(matches!(edit.undo(), Err(EditError::Changed { .. })));
        let edit = add_question(dir.path(), "salary", "hit wages", &load_check).unwrap();
        let touched = format!(
            "{}\n# edited by hand\n",
            String::from_utf8_lossy(&edit.after)
        );
        std::fs::write(&path, &touched).unwrap();
        assert!(matches!(edit.undo(), Err(EditError::Changed { .. })));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), touched);
    }

    #[test]
    fn not_covered_is_one_line_in_scope_and_refuses_duplicates() {
        let dir = folder();
        let edit = add_not_covered(dir.path(), "can I work from Mars", &load_check).unwrap();
        let after = std::fs::read_to_string(dir.path().join(SCOPE_FILE)).unwrap();
        assert_eq!(one_added_line(SCOPE, &after), "  \"can I work from Mars\",");
        let (k, _) = Knowledge::load(dir.path(), 700);
        assert_eq!(k.not_covered.len(), 2);
        assert!(matches!(
            add_not_covered(dir.path(), "Can I work from mars?", &load_check),
            Err(EditError::DuplicateNotCovered { line: 6, .. })
        ));
        edit.undo().unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(SCOPE_FILE)).unwrap(),
            SCOPE
        );
    }

    #[test]
    fn concurrent_adds_lose_no_edit() {
        let dir = folder();
        std::thread::scope(|s| {
            for i in 0..8 {
                let dir = dir.path();
                s.spawn(move || {
                    add_question(
                        dir,
                        "salary",
                        &format!("parallel question {i}"),
                        &load_check,
                    )
                    .unwrap();
                });
            }
        });
        let (k, problems) = Knowledge::load(dir.path(), 700);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(k.get("salary").unwrap().questions.len(), 2 + 8);
    }

    /// toml_edit writes every knowledge file of the repository back byte for byte: an edit changes
    /// only what it adds.
    #[test]
    fn the_repository_knowledge_round_trips_unchanged() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge");
        let files = knowledge_files(&dir).unwrap();
        assert!(files.len() > 5);
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let doc = parse(&path, &text).unwrap();
            assert_eq!(doc.to_string(), text, "{}", path.display());
        }
    }
}
