//! The knowledge base: loading and validating the human-edited files in `knowledge/`.
//!
//! Each `*.toml` file (except `synonyms.toml`) holds `[[entry]]` tables; `synonyms.toml` holds the domain
//! vocabulary. Loading never stops at the first mistake: it returns what it could read plus every problem,
//! each located as `file:line: entry-id: what is wrong`. The knowledge's [`Fingerprint`] is the hash of
//! the exact bytes that were parsed, so an index built from it always matches the text it holds.
//!
//! This crate owns the knowledge model and its validation, the fingerprint, and spelling correction
//! against a vocabulary ([`spelling`]), which the engine and the careers crate share. It knows nothing
//! of tantivy, tokio or Telegram.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::DeTable;

mod fingerprint;
pub mod spelling;
pub mod toml_read;

pub use fingerprint::Fingerprint;
use toml_read::{self as tr, Lines};

/// The file holding the domain vocabulary, inside the knowledge folder.
pub const SYNONYMS_FILE: &str = "synonyms.toml";
/// The file listing other careers and topics the bot declines, inside the knowledge folder.
pub const SCOPE_FILE: &str = "scope.toml";

/// Topics an entry may belong to, in the order menus show them.
pub const TOPICS: &[&str] = &[
    "overview",
    "history",
    "duties",
    "skills",
    "salary",
    "education",
    "certification",
    "careers",
    "organizations",
    "faq",
    "about",
];

const ENTRY_KEYS: &[&str] = &[
    "id",
    "topic",
    "title",
    "questions",
    "keywords",
    "answer",
    "related",
    "source",
    "career",
];
const CAREER_KEYS: &[&str] = &[
    "name",
    "education",
    "experience",
    "median_salary",
    "growth_percent",
];
/// Longest id: callback data is `x:<id>` and Telegram allows 64 bytes.
const MAX_ID_LEN: usize = 40;
/// Default answer length limit; `config.toml` `[answer] max_chars` overrides it.
pub const DEFAULT_MAX_ANSWER_CHARS: usize = 700;

/// One question-and-answer unit of the guide.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    pub topic: String,
    /// Short name shown on buttons and in "did you mean" lists.
    pub title: String,
    /// Alternate phrasings of the questions this entry answers; searched with the strongest boost.
    pub questions: Vec<String>,
    /// Extra search words that appear neither in the title nor in the questions.
    pub keywords: Vec<String>,
    pub answer: String,
    /// Follow-up entries offered under the answer.
    pub related: Vec<String>,
    /// Where the facts come from (guide section; BLS where used).
    pub source: String,
    /// The career table row, on the five career-path entries.
    pub career: Option<Career>,
    /// Where the entry starts, for error messages.
    pub file: PathBuf,
    pub line: usize,
}

/// One row of the guide's career-path table.
#[derive(Debug, Clone, PartialEq)]
pub struct Career {
    pub name: String,
    pub education: String,
    pub experience: String,
    /// Median annual salary in US dollars (2021).
    pub median_salary: u32,
    /// Projected growth 2021-31, in percent.
    pub growth_percent: f64,
}

/// A set of words and phrases that mean the same thing (both ways), or a one-way expansion.
#[derive(Debug, Clone, PartialEq)]
pub struct SynonymRule {
    /// Terms that trigger the rule.
    pub from: Vec<String>,
    /// Terms added to the query when one of `from` appears.
    pub to: Vec<String>,
    pub line: usize,
}

/// Everything in `knowledge/`.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    pub entries: Vec<Entry>,
    pub synonyms: Vec<SynonymRule>,
    pub synonyms_file: PathBuf,
    /// Words naming other careers and topics (`scope.toml`): a question using one without naming
    /// health information technicians is declined.
    pub other_topics: Vec<String>,
    /// The hash of the files' names and the exact bytes parsed (see [`fingerprint`]).
    pub fingerprint: String,
    /// Files that are not valid TOML (each has a problem): checks across files are skipped.
    pub unparsed: Vec<PathBuf>,
}

/// One thing wrong with the knowledge files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    pub entry: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        if let Some(id) = &self.entry {
            write!(f, "{id}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl Knowledge {
    /// Loads and validates every file in `dir`. Entries with problems are still returned where they
    /// could be read; callers refuse to serve when the problem list is not empty.
    pub fn load(dir: &Path, max_answer_chars: usize) -> (Knowledge, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut knowledge = Knowledge {
            synonyms_file: dir.join(SYNONYMS_FILE),
            ..Knowledge::default()
        };
        let files = match knowledge_files(dir) {
            Ok(files) => files,
            Err(e) => {
                problems.push(file_problem(
                    dir,
                    format!("cannot read the knowledge folder: {e}"),
                ));
                return (knowledge, problems);
            }
        };
        if files.is_empty() {
            problems.push(file_problem(
                dir,
                "no knowledge files (*.toml) found".into(),
            ));
        }
        let mut hash = Fingerprint::new();
        for path in files {
            // The fingerprint hashes these very bytes: an edit saved after this read changes the
            // folder's fingerprint, so the watcher sees it and loads it.
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    problems.push(file_problem(&path, format!("cannot read: {e}")));
                    continue;
                }
            };
            hash_file(&mut hash, &path, &bytes);
            let text = match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => {
                    problems.push(file_problem(&path, format!("cannot read: {e}")));
                    continue;
                }
            };
            let Some((doc, lines)) = parse_toml(&path, &text, &mut problems) else {
                knowledge.unparsed.push(path);
                continue;
            };
            let doc = doc.get_ref();
            if path.file_name().is_some_and(|n| n == SYNONYMS_FILE) {
                knowledge.synonyms = parse_synonyms(&path, doc, &lines, &mut problems);
            } else if path.file_name().is_some_and(|n| n == SCOPE_FILE) {
                knowledge.other_topics = parse_scope(&path, doc, &lines, &mut problems);
            } else {
                knowledge.entries.extend(parse_entries(
                    &path,
                    doc,
                    &lines,
                    max_answer_chars,
                    &mut problems,
                ));
            }
        }
        knowledge.fingerprint = hash.finish();
        // References into a file that could not be parsed would all look broken: check them only
        // when every file was read.
        if knowledge.unparsed.is_empty() {
            check_references(&knowledge.entries, &mut problems);
        }
        (knowledge, problems)
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }
}

/// The `*.toml` files of the knowledge folder, sorted by name so loading is deterministic.
pub fn knowledge_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// The fingerprint of the knowledge folder as it is on disk now: equal to [`Knowledge::fingerprint`]
/// of a load that read the same bytes. The watcher compares the two to see an edit.
pub fn fingerprint(dir: &Path) -> std::io::Result<String> {
    let mut hash = Fingerprint::new();
    for path in knowledge_files(dir)? {
        hash_file(&mut hash, &path, &std::fs::read(&path)?);
    }
    Ok(hash.finish())
}

fn hash_file(hash: &mut Fingerprint, path: &Path, bytes: &[u8]) {
    hash.field(
        path.file_name()
            .map(|n| n.as_encoded_bytes())
            .unwrap_or(b""),
    );
    hash.field(bytes);
}

fn file_problem(path: &Path, message: String) -> Problem {
    Problem {
        file: path.to_path_buf(),
        line: 0,
        entry: None,
        message,
    }
}

/// Collects problems for one entry, located by the spans of its keys.
struct EntryReader<'a> {
    path: &'a Path,
    lines: &'a Lines,
    id: Option<String>,
    start_line: usize,
    problems: &'a mut Vec<Problem>,
}

impl EntryReader<'_> {
    fn problem(&mut self, line: usize, message: String) {
        self.problems.push(Problem {
            file: self.path.to_path_buf(),
            line,
            entry: Some(self.id.clone().unwrap_or_else(|| "(no id)".into())),
            message,
        });
    }

    fn string(&mut self, table: &DeTable<'_>, key: &str, required: bool) -> String {
        match tr::get(table, key) {
            None => {
                if required {
                    self.problem(self.start_line, format!("missing `{key}`"));
                }
                String::new()
            }
            Some(v) => {
                let line = self.lines.line_of(&v.span());
                match tr::as_str(v.get_ref()) {
                    Ok(s) if s.trim().is_empty() => {
                        self.problem(line, format!("`{key}` is empty"));
                        String::new()
                    }
                    Ok(s) => s.trim().to_string(),
                    Err(expected) => {
                        self.problem(line, format!("`{key}` must be {expected}"));
                        String::new()
                    }
                }
            }
        }
    }

    fn list(&mut self, table: &DeTable<'_>, key: &str, required: bool) -> Vec<String> {
        match tr::get(table, key) {
            None => {
                if required {
                    self.problem(self.start_line, format!("missing `{key}`"));
                }
                Vec::new()
            }
            Some(v) => {
                let line = self.lines.line_of(&v.span());
                match tr::as_string_list(v.get_ref()) {
                    Ok(items) => {
                        if required && items.is_empty() {
                            self.problem(line, format!("`{key}` is empty"));
                        }
                        if items.iter().any(|s| s.trim().is_empty()) {
                            self.problem(line, format!("`{key}` has an empty item"));
                        }
                        items
                            .into_iter()
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    }
                    Err(expected) => {
                        self.problem(line, format!("`{key}` must be {expected}"));
                        Vec::new()
                    }
                }
            }
        }
    }
}

fn parse_entries(
    path: &Path,
    doc: &DeTable<'_>,
    lines: &Lines,
    max_answer_chars: usize,
    problems: &mut Vec<Problem>,
) -> Vec<Entry> {
    for (key, span) in tr::unknown_keys(doc, &["entry"]) {
        problems.push(Problem {
            file: path.to_path_buf(),
            line: lines.line_of(&span),
            entry: None,
            message: format!("unknown key `{key}` (entries are written as [[entry]] tables)"),
        });
    }
    let Some(list) = tr::get(doc, "entry") else {
        problems.push(file_problem(path, "no [[entry]] tables".into()));
        return Vec::new();
    };
    let tables = match tr::as_table_list(list.get_ref()) {
        Ok(tables) => tables,
        Err(expected) => {
            problems.push(Problem {
                file: path.to_path_buf(),
                line: lines.line_of(&list.span()),
                entry: None,
                message: format!("`entry` must be {expected} ([[entry]])"),
            });
            return Vec::new();
        }
    };

    let mut entries = Vec::new();
    for (table, span) in tables {
        // The span of an array-of-tables item starts at its first key; the header is the line before.
        let start_line = table
            .iter()
            .map(|(k, _)| lines.line_of(&k.span()))
            .min()
            .unwrap_or_else(|| lines.line_of(&span));
        let id_value = tr::get(table, "id").and_then(|v| tr::as_str(v.get_ref()).ok());
        let mut r = EntryReader {
            path,
            lines,
            id: id_value.map(str::to_string),
            start_line,
            problems,
        };
        for (key, span) in tr::unknown_keys(table, ENTRY_KEYS) {
            r.problem(
                lines.line_of(&span),
                format!("unknown key `{key}` (allowed: {})", ENTRY_KEYS.join(", ")),
            );
        }
        let id = r.string(table, "id", true);
        if !id.is_empty() && !valid_id(&id) {
            let line = tr::get(table, "id").map_or(start_line, |v| lines.line_of(&v.span()));
            r.problem(
                line,
                format!("id must be 1-{MAX_ID_LEN} characters of a-z, 0-9 and '-'"),
            );
        }
        let topic = r.string(table, "topic", true);
        if !topic.is_empty() && !TOPICS.contains(&topic.as_str()) {
            let line = tr::get(table, "topic").map_or(start_line, |v| lines.line_of(&v.span()));
            r.problem(
                line,
                format!("unknown topic `{topic}` (one of: {})", TOPICS.join(", ")),
            );
        }
        let title = r.string(table, "title", true);
        let questions = r.list(table, "questions", true);
        let keywords = r.list(table, "keywords", false);
        let answer = r.string(table, "answer", true);
        let answer_chars = answer.chars().count();
        if answer_chars > max_answer_chars {
            let line = tr::get(table, "answer").map_or(start_line, |v| lines.line_of(&v.span()));
            r.problem(
                line,
                format!("answer is {answer_chars} characters; the limit is {max_answer_chars}"),
            );
        }
        let related = r.list(table, "related", false);
        let source = r.string(table, "source", true);
        let career = tr::get(table, "career").and_then(|v| {
            let line = lines.line_of(&v.span());
            match tr::as_table(v.get_ref()) {
                Ok(t) => parse_career(&mut r, t, line),
                Err(expected) => {
                    r.problem(line, format!("`career` must be {expected}"));
                    None
                }
            }
        });
        entries.push(Entry {
            id,
            topic,
            title,
            questions,
            keywords,
            answer,
            related,
            source,
            career,
            file: path.to_path_buf(),
            line: start_line,
        });
    }
    entries
}

fn parse_career(r: &mut EntryReader<'_>, t: &DeTable<'_>, line: usize) -> Option<Career> {
    for (key, span) in tr::unknown_keys(t, CAREER_KEYS) {
        r.problem(
            r.lines.line_of(&span),
            format!(
                "unknown key `career.{key}` (allowed: {})",
                CAREER_KEYS.join(", ")
            ),
        );
    }
    let name = r.string(t, "name", true);
    let education = r.string(t, "education", true);
    let experience = r.string(t, "experience", true);
    let mut number = |key: &str| -> Option<f64> {
        match tr::get(t, key) {
            None => {
                r.problem(line, format!("missing `career.{key}`"));
                None
            }
            Some(v) => match tr::as_float(v.get_ref()) {
                Ok(x) if x >= 0.0 => Some(x),
                _ => {
                    let l = r.lines.line_of(&v.span());
                    r.problem(l, format!("`career.{key}` must be a number >= 0"));
                    None
                }
            },
        }
    };
    let salary = number("median_salary");
    let growth = number("growth_percent");
    Some(Career {
        name,
        education,
        experience,
        median_salary: salary? as u32,
        growth_percent: growth?,
    })
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_references(entries: &[Entry], problems: &mut Vec<Problem>) {
    let mut seen: HashMap<&str, &Entry> = HashMap::new();
    for e in entries.iter().filter(|e| !e.id.is_empty()) {
        if let Some(first) = seen.get(e.id.as_str()) {
            problems.push(Problem {
                file: e.file.clone(),
                line: e.line,
                entry: Some(e.id.clone()),
                message: format!(
                    "duplicate id (first defined at {}:{})",
                    first.file.display(),
                    first.line
                ),
            });
        } else {
            seen.insert(&e.id, e);
        }
    }
    let ids: HashSet<&str> = seen.keys().copied().collect();
    for e in entries {
        for r in &e.related {
            let message = if !ids.contains(r.as_str()) {
                format!("related id `{r}` does not exist")
            } else if *r == e.id {
                "an entry cannot be related to itself".to_string()
            } else {
                continue;
            };
            problems.push(Problem {
                file: e.file.clone(),
                line: e.line,
                entry: Some(e.id.clone()),
                message,
            });
        }
    }
}

/// Parses a knowledge file, reporting a syntax error as a problem with its line.
fn parse_toml<'t>(
    path: &Path,
    text: &'t str,
    problems: &mut Vec<Problem>,
) -> Option<(toml::Spanned<DeTable<'t>>, Lines)> {
    match tr::parse(text) {
        Ok(doc) => Some((doc, Lines::new(text))),
        Err((line, message)) => {
            problems.push(Problem {
                file: path.to_path_buf(),
                line,
                entry: None,
                message: format!("not valid TOML: {message}"),
            });
            None
        }
    }
}

fn parse_scope(
    path: &Path,
    doc: &DeTable<'_>,
    lines: &Lines,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    for (key, span) in tr::unknown_keys(doc, &["other_topics"]) {
        problems.push(Problem {
            file: path.to_path_buf(),
            line: lines.line_of(&span),
            entry: None,
            message: format!("unknown key `{key}` (allowed: other_topics)"),
        });
    }
    match tr::get(doc, "other_topics") {
        None => Vec::new(),
        Some(v) => match tr::as_string_list(v.get_ref()) {
            Ok(words) => words
                .into_iter()
                .map(|w| w.trim().to_lowercase())
                .filter(|w| !w.is_empty())
                .collect(),
            Err(expected) => {
                problems.push(Problem {
                    file: path.to_path_buf(),
                    line: lines.line_of(&v.span()),
                    entry: None,
                    message: format!("`other_topics` must be {expected}"),
                });
                Vec::new()
            }
        },
    }
}

fn parse_synonyms(
    path: &Path,
    doc: &DeTable<'_>,
    lines: &Lines,
    problems: &mut Vec<Problem>,
) -> Vec<SynonymRule> {
    let mut rules = Vec::new();
    let mut problem = |line: usize, message: String| {
        problems.push(Problem {
            file: path.to_path_buf(),
            line,
            entry: None,
            message,
        })
    };
    for (key, span) in tr::unknown_keys(doc, &["group", "expand"]) {
        problem(
            lines.line_of(&span),
            format!("unknown key `{key}` (use [[group]] terms = [...] or [[expand]] from/to)"),
        );
    }
    for kind in ["group", "expand"] {
        let Some(list) = tr::get(doc, kind) else {
            continue;
        };
        let tables = match tr::as_table_list(list.get_ref()) {
            Ok(t) => t,
            Err(expected) => {
                problem(
                    lines.line_of(&list.span()),
                    format!("`{kind}` must be {expected}"),
                );
                continue;
            }
        };
        for (table, span) in tables {
            let line = table
                .iter()
                .map(|(k, _)| lines.line_of(&k.span()))
                .min()
                .unwrap_or_else(|| lines.line_of(&span));
            let allowed: &[&str] = if kind == "group" {
                &["terms"]
            } else {
                &["from", "to"]
            };
            for (key, span) in tr::unknown_keys(table, allowed) {
                problem(
                    lines.line_of(&span),
                    format!(
                        "unknown key `{key}` in [[{kind}]] (allowed: {})",
                        allowed.join(", ")
                    ),
                );
            }
            let mut read = |key: &str, single: bool| -> Vec<String> {
                let Some(v) = tr::get(table, key) else {
                    problem(line, format!("[[{kind}]] is missing `{key}`"));
                    return Vec::new();
                };
                let got = if single {
                    tr::as_str(v.get_ref()).map(|s| vec![s.to_string()])
                } else {
                    tr::as_string_list(v.get_ref())
                };
                match got {
                    Ok(items) => items
                        .into_iter()
                        .map(|s| s.trim().to_lowercase())
                        .filter(|s| !s.is_empty())
                        .collect(),
                    Err(expected) => {
                        problem(
                            lines.line_of(&v.span()),
                            format!("`{key}` must be {expected}"),
                        );
                        Vec::new()
                    }
                }
            };
            if kind == "group" {
                let terms = read("terms", false);
                if terms.len() < 2 {
                    problem(line, "a [[group]] needs at least two terms".into());
                }
                rules.push(SynonymRule {
                    from: terms.clone(),
                    to: terms,
                    line,
                });
            } else {
                let from = read("from", true);
                let to = read("to", false);
                if !from.is_empty() && to.is_empty() {
                    problem(line, "an [[expand]] needs at least one `to` term".into());
                }
                rules.push(SynonymRule { from, to, line });
            }
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(files: &[(&str, &str)]) -> (Knowledge, Vec<Problem>) {
        let dir = std::env::temp_dir().join(format!(
            "hitbot-knowledge-test-{}-{}",
            std::process::id(),
            files[0].1.len()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let out = Knowledge::load(&dir, 100);
        let _ = std::fs::remove_dir_all(&dir);
        out
    }

    const GOOD: &str = r#"
[[entry]]
id = "a"
topic = "salary"
title = "A"
questions = ["q1", "q2"]
answer = "ok"
related = ["b"]
source = "Guide"

[[entry]]
id = "b"
topic = "salary"
title = "B"
questions = ["q"]
answer = "ok"
source = "Guide"
"#;

    #[test]
    fn good_file_loads_without_problems() {
        let (k, problems) = load_text(&[("a.toml", GOOD)]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(k.entries.len(), 2);
        assert_eq!(k.entries[0].line, 3);
        assert_eq!(k.entries[1].line, 12);
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let bad = GOOD
            .replace("related = [\"b\"]", "related = [\"zzz\"]\ncolour = \"red\"")
            .replace("id = \"b\"", "id = \"a\"");
        let (_, problems) = load_text(&[("bad.toml", &bad)]);
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(text.iter().any(|t| t.ends_with("bad.toml:9: a: unknown key `colour` (allowed: id, topic, title, questions, keywords, answer, related, source, career)")), "{text:?}");
        assert!(
            text.iter()
                .any(|t| t.contains("bad.toml:3: a: related id `zzz` does not exist")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("bad.toml:13: a: duplicate id (first defined at")),
            "{text:?}"
        );
    }
}
