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

#![forbid(unsafe_code)]

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::DeTable;

pub mod edit;
mod fingerprint;
pub mod spelling;
pub mod toml_read;

pub use fingerprint::Fingerprint;
use toml_read::{self as tr, Lines};

/// The file holding the domain vocabulary, inside the knowledge folder.
pub const SYNONYMS_FILE: &str = "synonyms.toml";
/// The file listing other careers and topics the bot declines, inside the knowledge folder.
pub const SCOPE_FILE: &str = "scope.toml";
/// The file describing the guide as a whole (subject, topics, menu, career table), inside the
/// knowledge folder; read before the entries.
pub const GUIDE_FILE: &str = "guide.toml";

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
pub const MAX_ID_LEN: usize = 40;
/// Highest median salary accepted, in dollars.
const MAX_SALARY: i64 = 10_000_000;
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
    /// Questions near the subject that the guide does not answer (`scope.toml` `not_covered`):
    /// the semantic stage declines a question closer to one of these than to any entry.
    pub not_covered: Vec<String>,
    /// Names people often type in lower case: places, employers, schools (`scope.toml` `names`).
    /// A question naming one that the knowledge never mentions is about something no entry speaks
    /// to ("how much do HITs make in texas" when the guide names only three other states).
    pub names: Vec<String>,
    /// Details the guide is silent on (`scope.toml` `details`), each a list of the words and
    /// phrases that ask about it ("remote", "work from home"): a question about one is answered
    /// only from an entry whose answer speaks of it.
    pub details: Vec<Vec<String>>,
    /// The hash of the files' names and the exact bytes parsed (see [`fingerprint`]).
    pub fingerprint: String,
    /// Files that are not valid TOML (each has a problem): checks across files are skipped.
    pub unparsed: Vec<PathBuf>,
    /// `guide.toml`: what the whole guide is about and how it is organised.
    pub guide: Guide,
}

/// `guide.toml`: content about the guide as a whole, so that no code knows HIT facts. Without the
/// file every list is empty: any topic is allowed, there is no menu and no subject phrase.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Guide {
    /// Words and phrases naming the guide's subject ("health information technician", "HIT"),
    /// lower-case: a question naming it is about the guide even when it also uses unknown words.
    pub subject: Vec<String>,
    /// The topics an entry may belong to.
    pub topics: Vec<String>,
    /// Entry ids offered as the topic menu, in menu order.
    pub menu: Vec<String>,
    /// Hub entries whose message lists every career path (entries with a career row) as buttons,
    /// and comes with the careers chart.
    pub list_career_paths: Vec<String>,
    /// Hub entries whose message lists every other entry of their own topic as buttons.
    pub list_topic: Vec<String>,
    /// What the career table's figures are: shown on charts and comparison cards.
    pub careers: CareerLabels,
    /// Where the file and its lists of entry ids are, for problems with them.
    pub file: PathBuf,
    pub menu_line: usize,
    pub list_lines: (usize, usize),
}

/// `[careers]` of `guide.toml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CareerLabels {
    /// The chart's title ("Career paths for health information technicians").
    pub title: String,
    /// The year of the median salaries ("2021").
    pub salary_year: String,
    /// The period of the projected growth ("2021-31").
    pub growth_period: String,
    /// Where the figures come from ("BLS via computerscience.org guide").
    pub source: String,
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
        // The guide first: the entries' topics are checked against it.
        let mut files = files;
        files.sort_by_key(|p| p.file_name().is_none_or(|n| n != GUIDE_FILE));
        for path in files {
            // The fingerprint hashes these very bytes: an edit saved after this read changes the
            // folder's fingerprint, so the watcher sees it and loads it.
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    problems.push(file_problem(&path, format!("cannot read: {e}")));
                    knowledge.unparsed.push(path);
                    continue;
                }
            };
            hash_file(&mut hash, &path, &bytes);
            let text = match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => {
                    // The line of the first bad byte; the entries of this file are unknown, so
                    // references into it are not checked (they would all look broken).
                    let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                    let line = 1 + valid.iter().filter(|b| **b == b'\n').count();
                    let column = 1 + valid.iter().rev().take_while(|b| **b != b'\n').count();
                    problems.push(Problem {
                        line,
                        ..file_problem(
                            &path,
                            format!(
                                "not valid UTF-8 at byte {column} of the line: save the file as UTF-8"
                            ),
                        )
                    });
                    knowledge.unparsed.push(path);
                    continue;
                }
            };
            let Some((doc, lines)) = parse_toml(&path, &text, &mut problems) else {
                knowledge.unparsed.push(path);
                continue;
            };
            let doc = doc.get_ref();
            if path.file_name().is_some_and(|n| n == GUIDE_FILE) {
                knowledge.guide = parse_guide(&path, doc, &lines, &mut problems);
            } else if path.file_name().is_some_and(|n| n == SYNONYMS_FILE) {
                knowledge.synonyms = parse_synonyms(&path, doc, &lines, &mut problems);
            } else if path.file_name().is_some_and(|n| n == SCOPE_FILE) {
                let scope = parse_scope(&path, doc, &lines, &mut problems);
                knowledge.other_topics = scope.other_topics;
                knowledge.not_covered = scope.not_covered;
                knowledge.names = scope.names;
                knowledge.details = scope.details;
            } else {
                let entries = parse_entries(
                    &path,
                    doc,
                    &lines,
                    (max_answer_chars, &knowledge.guide.topics),
                    &mut problems,
                );
                knowledge.entries.extend(entries);
            }
        }
        knowledge.fingerprint = hash.finish();
        // References into a file that could not be parsed would all look broken: check them only
        // when every file was read.
        if knowledge.unparsed.is_empty() {
            check_references(&knowledge, &mut problems);
        }
        (knowledge, problems)
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }
}

/// A question as the operator's tools compare it (the store's report and inbox group by it; edits
/// refuse a question already there by it): lowercase, apostrophes dropped ("what's" = "whats"), other
/// punctuation and symbols as spaces, whitespace collapsed.
pub fn normalize(question: &str) -> String {
    let mut out = String::with_capacity(question.len());
    let mut space = false;
    // Lowercase first: a few letters lowercase to a letter and a combining mark ("İ"), and the
    // result must be a fixed point.
    for c in question.to_lowercase().chars() {
        if c == '\'' || c == '\u{2019}' {
            continue;
        }
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
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
    (max_answer_chars, topics): (usize, &[String]),
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
        if !topic.is_empty() && !topics.is_empty() && !topics.contains(&topic) {
            let line = tr::get(table, "topic").map_or(start_line, |v| lines.line_of(&v.span()));
            r.problem(
                line,
                format!(
                    "unknown topic `{topic}` (one of: {}; see {GUIDE_FILE})",
                    topics.join(", ")
                ),
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
    // The salary is a whole number of dollars (a float would be cut or saturated by a cast); growth
    // may be negative: the charts draw a shrinking path too.
    let salary = match tr::get(t, "median_salary") {
        None => {
            r.problem(line, "missing `career.median_salary`".into());
            None
        }
        Some(v) => match tr::as_int(v.get_ref()) {
            Ok(x) if (1..=MAX_SALARY).contains(&x) => u32::try_from(x).ok(),
            _ => {
                let l = r.lines.line_of(&v.span());
                r.problem(
                    l,
                    format!(
                        "`career.median_salary` must be a whole number of dollars from 1 to {MAX_SALARY}"
                    ),
                );
                None
            }
        },
    };
    let growth = match tr::get(t, "growth_percent") {
        None => {
            r.problem(line, "missing `career.growth_percent`".into());
            None
        }
        Some(v) => match tr::as_float(v.get_ref()) {
            Ok(x) if (-100.0..=1000.0).contains(&x) => Some(x),
            _ => {
                let l = r.lines.line_of(&v.span());
                r.problem(
                    l,
                    "`career.growth_percent` must be a number from -100 to 1000".into(),
                );
                None
            }
        },
    };
    Some(Career {
        name,
        education,
        experience,
        median_salary: salary?,
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

fn check_references(knowledge: &Knowledge, problems: &mut Vec<Problem>) {
    let entries = &knowledge.entries;
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
    let guide = &knowledge.guide;
    for (key, list, line) in [
        ("menu", &guide.menu, guide.menu_line),
        (
            "list_career_paths",
            &guide.list_career_paths,
            guide.list_lines.0,
        ),
        ("list_topic", &guide.list_topic, guide.list_lines.1),
    ] {
        for id in list.iter().filter(|id| !ids.contains(id.as_str())) {
            problems.push(Problem {
                file: guide.file.clone(),
                line,
                entry: None,
                message: format!("`{key}` names entry `{id}`, which does not exist"),
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

const GUIDE_KEYS: &[&str] = &[
    "subject",
    "topics",
    "menu",
    "list_career_paths",
    "list_topic",
    "careers",
];
const CAREER_LABEL_KEYS: &[&str] = &["title", "salary_year", "growth_period", "source"];

fn parse_guide(
    path: &Path,
    doc: &DeTable<'_>,
    lines: &Lines,
    problems: &mut Vec<Problem>,
) -> Guide {
    let mut problem = |line: usize, message: String| {
        problems.push(Problem {
            file: path.to_path_buf(),
            line,
            entry: None,
            message,
        })
    };
    for (key, span) in tr::unknown_keys(doc, GUIDE_KEYS) {
        problem(
            lines.line_of(&span),
            format!("unknown key `{key}` (allowed: {})", GUIDE_KEYS.join(", ")),
        );
    }
    let list = |table: &DeTable<'_>, key: &str, problem: &mut dyn FnMut(usize, String)| {
        let Some(v) = tr::get(table, key) else {
            return (Vec::new(), 0);
        };
        let line = lines.line_of(&v.span());
        match tr::as_string_list(v.get_ref()) {
            Ok(items) => (
                items
                    .into_iter()
                    .map(|w| w.trim().to_lowercase())
                    .filter(|w| !w.is_empty())
                    .collect(),
                line,
            ),
            Err(expected) => {
                problem(line, format!("`{key}` must be {expected}"));
                (Vec::new(), line)
            }
        }
    };
    let (subject, _) = list(doc, "subject", &mut problem);
    let (topics, _) = list(doc, "topics", &mut problem);
    let (menu, menu_line) = list(doc, "menu", &mut problem);
    let (list_career_paths, paths_line) = list(doc, "list_career_paths", &mut problem);
    let (list_topic, topic_line) = list(doc, "list_topic", &mut problem);
    let mut careers = CareerLabels::default();
    if let Some(v) = tr::get(doc, "careers") {
        match tr::as_table(v.get_ref()) {
            Ok(t) => {
                for (key, span) in tr::unknown_keys(t, CAREER_LABEL_KEYS) {
                    problem(
                        lines.line_of(&span),
                        format!(
                            "unknown key `careers.{key}` (allowed: {})",
                            CAREER_LABEL_KEYS.join(", ")
                        ),
                    );
                }
                for (key, slot) in [
                    ("title", &mut careers.title),
                    ("salary_year", &mut careers.salary_year),
                    ("growth_period", &mut careers.growth_period),
                    ("source", &mut careers.source),
                ] {
                    if let Some(v) = tr::get(t, key) {
                        match tr::as_str(v.get_ref()) {
                            Ok(text) => *slot = text.trim().to_string(),
                            Err(expected) => problem(
                                lines.line_of(&v.span()),
                                format!("`careers.{key}` must be {expected}"),
                            ),
                        }
                    }
                }
            }
            Err(expected) => problem(
                lines.line_of(&v.span()),
                format!("`careers` must be {expected}"),
            ),
        }
    }
    Guide {
        subject,
        topics,
        menu,
        list_career_paths,
        list_topic,
        careers,
        file: path.to_path_buf(),
        menu_line,
        list_lines: (paths_line, topic_line),
    }
}

/// The lists of `scope.toml`.
struct Scope {
    other_topics: Vec<String>,
    not_covered: Vec<String>,
    names: Vec<String>,
    details: Vec<Vec<String>>,
}

fn parse_scope(
    path: &Path,
    doc: &DeTable<'_>,
    lines: &Lines,
    problems: &mut Vec<Problem>,
) -> Scope {
    for (key, span) in tr::unknown_keys(doc, &["other_topics", "not_covered", "names", "details"]) {
        problems.push(Problem {
            file: path.to_path_buf(),
            line: lines.line_of(&span),
            entry: None,
            message: format!(
                "unknown key `{key}` (allowed: other_topics, not_covered, names, details)"
            ),
        });
    }
    let mut list = |key: &str, lower: bool| match tr::get(doc, key) {
        None => Vec::new(),
        Some(v) => match tr::as_string_list(v.get_ref()) {
            Ok(items) => items
                .into_iter()
                .map(|w| {
                    let w = w.trim();
                    if lower {
                        w.to_lowercase()
                    } else {
                        w.to_string()
                    }
                })
                .filter(|w| !w.is_empty())
                .collect(),
            Err(expected) => {
                problems.push(Problem {
                    file: path.to_path_buf(),
                    line: lines.line_of(&v.span()),
                    entry: None,
                    message: format!("`{key}` must be {expected}"),
                });
                Vec::new()
            }
        },
    };
    Scope {
        other_topics: list("other_topics", true),
        not_covered: list("not_covered", false),
        names: list("names", true),
        // "remote, work from home": one detail, its ways of asking separated by commas.
        details: list("details", true)
            .iter()
            .map(|d| {
                d.split(',')
                    .map(|w| w.trim().to_string())
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<String>>()
            })
            .filter(|d| !d.is_empty())
            .collect(),
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
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        Knowledge::load(dir.path(), 100)
    }

    fn career_entry(salary: &str, growth: &str) -> String {
        format!(
            "[[entry]]\nid = \"p\"\ntopic = \"careers\"\ntitle = \"P\"\nquestions = [\"q\"]\n\
             answer = \"a\"\nsource = \"s\"\n\n[entry.career]\nname = \"P\"\neducation = \"e\"\n\
             experience = \"x\"\nmedian_salary = {salary}\ngrowth_percent = {growth}\n"
        )
    }

    /// Regression: a `median_salary` written as a float was cut (or saturated) by an `as u32` cast,
    /// and a negative growth was refused although the chart can draw it.
    #[test]
    fn median_salary_from_a_float_is_a_problem_and_negative_growth_is_fine() {
        let (k, problems) = load_text(&[("e.toml", &career_entry("46660", "-3.5"))]);
        assert!(problems.is_empty(), "{problems:?}");
        let career = k.entries[0].career.as_ref().unwrap();
        assert_eq!(
            (career.median_salary, career.growth_percent),
            (46_660, -3.5)
        );
        for bad in ["46660.7", "5e9", "-1", "0"] {
            let (_, problems) = load_text(&[("e.toml", &career_entry(bad, "4"))]);
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            let p = problems[0].to_string();
            assert!(
                p.contains("e.toml:13: p: `career.median_salary` must be a whole number"),
                "{p}"
            );
        }
        let (_, problems) = load_text(&[("e.toml", &career_entry("1", "-150"))]);
        assert!(problems[0]
            .to_string()
            .contains("e.toml:14: p: `career.growth_percent`"));
    }

    #[test]
    fn the_guide_lists_topics_subject_menu_and_career_labels() {
        let guide =
            "subject = [\"Zoo Keeper\"]\ntopics = [\"careers\"]\nmenu = [\"p\", \"nope\"]\n\
                     [careers]\nsalary_year = \"2030\"\n";
        let (k, problems) = load_text(&[
            (
                "e.toml",
                &career_entry("1", "1").replace("careers", "weather"),
            ),
            (GUIDE_FILE, guide),
        ]);
        assert_eq!(k.guide.subject, ["zoo keeper"]);
        assert_eq!(k.guide.careers.salary_year, "2030");
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text[0].contains("e.toml:3: p: unknown topic `weather`"),
            "{text:?}"
        );
        assert!(
            text[1].contains("guide.toml:3: `menu` names entry `nope`"),
            "{text:?}"
        );
    }

    #[test]
    fn invalid_utf8_names_the_line_and_brings_no_follow_on_problems() {
        // Regression: `file:0` and 13 false "unknown related entry" problems.
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge");
        let dir = tempfile::tempdir().unwrap();
        for file in knowledge_files(&shipped).unwrap() {
            std::fs::copy(&file, dir.path().join(file.file_name().unwrap())).unwrap();
        }
        let careers = dir.path().join("careers.toml");
        let text = std::fs::read_to_string(&careers).unwrap();
        let mut lines: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
        lines[4].extend_from_slice(b" caf\xe9");
        std::fs::write(&careers, lines.join(&b'\n')).unwrap();
        let (_, problems) = Knowledge::load(dir.path(), DEFAULT_MAX_ANSWER_CHARS);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].file, careers);
        assert_eq!(problems[0].line, 5, "{}", problems[0]);
        assert!(problems[0].message.contains("UTF-8"), "{}", problems[0]);
    }

    #[test]
    fn the_fingerprint_is_of_the_bytes_loaded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("e.toml"), career_entry("1", "1")).unwrap();
        let (k, _) = Knowledge::load(dir.path(), 100);
        assert_eq!(k.fingerprint, fingerprint(dir.path()).unwrap());
        std::fs::write(dir.path().join("e.toml"), career_entry("2", "1")).unwrap();
        assert_ne!(k.fingerprint, fingerprint(dir.path()).unwrap());
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
