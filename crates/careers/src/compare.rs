//! Comparing two career paths side by side: finding the paths a person named ("coder", "data analist",
//! "path-architect"), and the comparison card's data (education, experience, median salary, growth, what
//! the job is) with a plain-text rendering for the terminal.
//!
//! Names are matched against the career-path entries' own words (the `[entry.career]` name, the title, the
//! id, and keywords no other path shares), allowing typos, so an editor who renames or adds a path needs
//! no code change. Front ends format the card themselves (Telegram escapes it as HTML); this module
//! produces no markup. Pure: no teloxide, no tantivy.

use crate::chart::{self, ChartError};
use hitbot_knowledge::spelling::{max_edits, osa_distance};
use hitbot_knowledge::{Career, CareerLabels, Entry, Knowledge};

/// Why two paths could not be compared. The messages are meant for the person who asked; each front
/// end adds an example in its own syntax with [`CompareError::explain`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareError {
    #[error("The knowledge has no career paths to compare.")]
    NoPaths,
    #[error("I don't know a career path called \"{name}\". The paths are: {}.", .known.join(", "))]
    Unknown { name: String, known: Vec<String> },
    #[error("\"{name}\" could be {}. Which one did you mean?", .matches.join(" or "))]
    Ambiguous { name: String, matches: Vec<String> },
    #[error("Both names mean {name}: pick two different paths. The paths are: {}.", .known.join(", "))]
    Same { name: String, known: Vec<String> },
    #[error("{} The paths are: {}.", ask_for_two(.first), .known.join(", "))]
    NeedTwo {
        /// The path recognised when only one was named, so a front end can ask for the second.
        first: Option<String>,
        known: Vec<String>,
    },
}

fn ask_for_two(first: &Option<String>) -> String {
    match first {
        Some(f) => format!("Compare {f} with which path?"),
        None => "Name two career paths to compare.".into(),
    }
}

impl CompareError {
    /// The message, with an example of how to ask spelled as the front end takes it: `command` is
    /// `/compare` in a chat, `hitbot chart compare` on the command line.
    pub fn explain(&self, command: &str) -> String {
        match self {
            CompareError::Unknown { known, .. } | CompareError::NeedTwo { known, .. } => {
                match example(known, command) {
                    Some(example) => format!("{self} {example}"),
                    None => self.to_string(),
                }
            }
            _ => self.to_string(),
        }
    }
}

/// "For example: /compare coder analyst", made of `command` and the first two paths' last words.
fn example(known: &[String], command: &str) -> Option<String> {
    let words: Vec<String> = known
        .iter()
        .take(2)
        .filter_map(|n| n.split_whitespace().last().map(str::to_lowercase))
        .collect();
    (words.len() == 2).then(|| format!("For example: {command} {} {}", words[0], words[1]))
}

/// One side of the card.
#[derive(Debug, Clone, PartialEq)]
pub struct PathCard {
    /// The entry id, for "more about this path" links and buttons.
    pub id: String,
    pub career: Career,
    /// What the job is, in one sentence (the first of the entry's answer).
    pub what: String,
}

/// Two paths side by side, in the order they were named.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub left: PathCard,
    pub right: PathCard,
    /// What the figures are (`guide.toml` `[careers]`): the year, the period, the source.
    pub labels: CareerLabels,
}

/// The career-path entries (those with an `[entry.career]` row), in file order.
pub fn paths(knowledge: &Knowledge) -> Vec<&Entry> {
    knowledge
        .entries
        .iter()
        .filter(|e| e.career.is_some())
        .collect()
}

/// The career-path names, in file order: the list error messages and menus show.
pub fn path_names(knowledge: &Knowledge) -> Vec<String> {
    paths(knowledge)
        .iter()
        .filter_map(|e| e.career.as_ref().map(|c| c.name.clone()))
        .collect()
}

/// How to compare, and the paths there are: the reply to a bare `/compare`. `command` is how the front
/// end spells the comparison (see [`CompareError::explain`]).
pub fn usage(knowledge: &Knowledge, command: &str) -> String {
    let known = path_names(knowledge);
    if known.is_empty() {
        return CompareError::NoPaths.to_string();
    }
    let example = example(&known, command).map_or(String::new(), |e| format!(" {e}"));
    format!(
        "Compare two career paths side by side: {command} A B (a name or part of one; typos are fine).{example}\nThe paths: {}.",
        known.join(", ")
    )
}

/// The career-path entry a person meant by `name`: its name, title, id, a word or keyword only it has,
/// the start of one of those, or any of them with a typo or two.
pub fn resolve<'k>(name: &str, knowledge: &'k Knowledge) -> Result<&'k Entry, CompareError> {
    best_match(name, knowledge).map(|(entry, _)| entry)
}

/// Compares the paths named `a` and `b`.
pub fn compare(a: &str, b: &str, knowledge: &Knowledge) -> Result<Comparison, CompareError> {
    let left = resolve(a, knowledge)?;
    let right = resolve(b, knowledge)?;
    pair(left, right, knowledge)
}

/// Compares the two paths named in the text after `/compare`: "coder analyst", "clinical coder data
/// analyst", "coder vs analyst", "coder, analyst".
pub fn compare_args(args: &str, knowledge: &Knowledge) -> Result<Comparison, CompareError> {
    let known = path_names(knowledge);
    if known.is_empty() {
        return Err(CompareError::NoPaths);
    }
    let args = args.trim();
    if let Some((a, b)) = split_on_separator(args) {
        return compare(a, b, knowledge);
    }
    let words: Vec<&str> = args.split_whitespace().collect();
    if words.is_empty() {
        return Err(CompareError::NeedTwo { first: None, known });
    }
    // One path only ("coder", "data analyst"): ask for the second.
    let whole = best_match(args, knowledge);
    match whole {
        Ok((entry, key)) if key.class == 0 || words.len() == 1 => {
            return Err(CompareError::NeedTwo {
                first: entry.career.as_ref().map(|c| c.name.clone()),
                known,
            });
        }
        Err(e) if words.len() == 1 => return Err(e),
        _ => {}
    }
    // No separator: try every place to split the words and keep the best reading.
    // Two different paths win; else one path and a name to explain ("clinical coder astronaut" is about
    // "astronaut", not coder vs coder); else the same path twice.
    let mut best: Option<(Key, &Entry, &Entry)> = None;
    let mut partial: Option<(Key, CompareError)> = None;
    let mut same: Option<(Key, &Entry)> = None;
    for cut in 1..words.len() {
        let (a, b) = (words[..cut].join(" "), words[cut..].join(" "));
        match (best_match(&a, knowledge), best_match(&b, knowledge)) {
            (Ok((ea, ka)), Ok((eb, kb))) => {
                let key = ka.combine(kb);
                if ea.id == eb.id {
                    if same.as_ref().is_none_or(|(k, _)| key < *k) {
                        same = Some((key, ea));
                    }
                } else if best.as_ref().is_none_or(|(k, _, _)| key < *k) {
                    best = Some((key, ea, eb));
                }
            }
            (Ok((_, k)), Err(e)) | (Err(e), Ok((_, k))) => {
                if partial.as_ref().is_none_or(|(pk, _)| k < *pk) {
                    partial = Some((k, e));
                }
            }
            (Err(_), Err(_)) => {}
        }
    }
    if let Some((_, a, b)) = best {
        return pair(a, b, knowledge);
    }
    if let Some((_, e)) = partial {
        return Err(e);
    }
    if let Some((_, entry)) = same {
        return pair(entry, entry, knowledge);
    }
    Err(CompareError::Unknown {
        name: args.to_string(),
        known,
    })
}

fn pair(left: &Entry, right: &Entry, knowledge: &Knowledge) -> Result<Comparison, CompareError> {
    let (Some(left_card), Some(right_card)) = (card(left), card(right)) else {
        return Err(CompareError::NoPaths);
    };
    if left.id == right.id {
        return Err(CompareError::Same {
            name: left_card.career.name,
            known: path_names(knowledge),
        });
    }
    Ok(Comparison {
        left: left_card,
        right: right_card,
        labels: knowledge.guide.careers.clone(),
    })
}

fn card(entry: &Entry) -> Option<PathCard> {
    let career = entry.career.clone()?;
    Some(PathCard {
        id: entry.id.clone(),
        what: what_the_job_is(&entry.answer, &career.name),
        career,
    })
}

/// "a vs b", "a versus b", "a and b", "a, b", "a / b", "a & b".
fn split_on_separator(args: &str) -> Option<(&str, &str)> {
    // Offsets found in the lower-cased text are used in `args`: only when lower-casing keeps every
    // character's length ("Ⱥ" grows by a byte while another shrinks: equal totals are not enough).
    let same_offsets = args
        .chars()
        .all(|c| c.to_lowercase().map(char::len_utf8).sum::<usize>() == c.len_utf8());
    if !same_offsets {
        return None; // fall back to splitting on words
    }
    let lower = args.to_lowercase();
    for sep in [",", "/", "&", " vs. ", " vs ", " versus ", " and ", " or "] {
        if let Some(at) = lower.find(sep) {
            let (a, b) = (args[..at].trim(), args[at + sep.len()..].trim());
            if !a.is_empty() && !b.is_empty() {
                return Some((a, b));
            }
        }
    }
    None
}

/// The first sentence of an answer: "what the job is". A lead-in that names the path before a colon
/// ("Architect (the guide says ...): technology architects manage ...") is dropped.
pub fn what_the_job_is(answer: &str, name: &str) -> String {
    let first_line = answer
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let chars: Vec<char> = first_line.chars().collect();
    let mut end = chars.len();
    for i in 0..chars.len() {
        // A sentence ends at ". " before a capital, unless the period ends an abbreviation: a single
        // letter or a word with periods inside ("U.S. Bureau", "e.g. Epic").
        let word_start = chars[..i]
            .iter()
            .rposition(|c| c.is_whitespace())
            .map_or(0, |p| p + 1);
        let word = &chars[word_start..i];
        if chars[i] == '.'
            && word.len() > 1
            && !word.contains(&'.')
            && chars.get(i + 1).is_none_or(|c| *c == ' ')
            && chars.get(i + 2).is_none_or(|c| c.is_uppercase())
        {
            end = i + 1;
            break;
        }
    }
    let sentence: String = chars[..end].iter().collect();
    if sentence.to_lowercase().starts_with(&name.to_lowercase()) {
        if let Some((_, rest)) = sentence.split_once("): ") {
            let mut rest = rest.trim().chars();
            if let Some(first) = rest.next() {
                return first.to_uppercase().chain(rest).collect();
            }
        }
    }
    sentence
}

/// What a card says for a path's experience. The career table's "None" means the guide lists no
/// experience requirement; "Experience: None" reads as if the figure were missing.
pub fn experience_shown(experience: &str) -> String {
    let experience = experience.trim();
    if experience.is_empty() || experience.eq_ignore_ascii_case("none") {
        NO_EXPERIENCE_LISTED.to_string()
    } else {
        experience.to_string()
    }
}

/// The card's experience value for a path whose table row lists none.
pub const NO_EXPERIENCE_LISTED: &str = "the guide lists no requirement";

impl Comparison {
    /// One-line observations: which pays more and by how much, which is growing faster.
    pub fn highlights(&self) -> Vec<String> {
        let (a, b) = (&self.left.career, &self.right.career);
        let mut out = Vec::new();
        if a.median_salary != b.median_salary {
            let (hi, lo) = if a.median_salary > b.median_salary {
                (a, b)
            } else {
                (b, a)
            };
            out.push(format!(
                "{} pays {} more a year at the median ({} vs {}).",
                hi.name,
                chart::dollars(hi.median_salary - lo.median_salary),
                chart::dollars(hi.median_salary),
                chart::dollars(lo.median_salary)
            ));
        }
        if (a.growth_percent - b.growth_percent).abs() >= 0.05 {
            let (hi, lo) = if a.growth_percent > b.growth_percent {
                (a, b)
            } else {
                (b, a)
            };
            let period = if self.labels.growth_period.is_empty() {
                String::new()
            } else {
                format!(", {}", self.labels.growth_period)
            };
            out.push(format!(
                "{} is projected to grow faster ({} vs {}{period}).",
                hi.name,
                chart::percent(hi.growth_percent),
                chart::percent(lo.growth_percent)
            ));
        }
        out
    }

    /// The rows of the card as (label, left, right), in display order.
    pub fn rows(&self) -> Vec<(String, String, String)> {
        let (a, b) = (&self.left.career, &self.right.career);
        vec![
            (
                chart::salary_label(&self.labels),
                chart::dollars(a.median_salary),
                chart::dollars(b.median_salary),
            ),
            (
                chart::growth_label(&self.labels),
                chart::percent(a.growth_percent),
                chart::percent(b.growth_percent),
            ),
            ("Education".into(), a.education.clone(), b.education.clone()),
            (
                "Experience".into(),
                experience_shown(&a.experience),
                experience_shown(&b.experience),
            ),
        ]
    }

    /// The small print: where the figures come from.
    pub fn source_line(&self) -> String {
        chart::source_line(&self.labels)
    }

    /// The card as plain text for the terminal: a two-column table, what each job is, the highlights and
    /// the source.
    pub fn to_text(&self) -> String {
        let rows = self.rows();
        let label_w = rows
            .iter()
            .map(|(l, _, _)| l.chars().count())
            .max()
            .unwrap_or(0)
            + 2;
        let left_w = rows
            .iter()
            .map(|(_, a, _)| a.chars().count())
            .chain([self.left.career.name.chars().count()])
            .max()
            .unwrap_or(0)
            + 3;
        let mut out = format!(
            "{} vs {}\n\n{:label_w$}{:left_w$}{}\n",
            self.left.career.name,
            self.right.career.name,
            "",
            self.left.career.name,
            self.right.career.name
        );
        for (label, a, b) in &rows {
            out.push_str(&format!("{label:label_w$}{a:left_w$}{b}\n"));
        }
        out.push('\n');
        for side in [&self.left, &self.right] {
            out.push_str(&format!("{}: {}\n", side.career.name, side.what));
        }
        for h in self.highlights() {
            out.push_str(&format!("• {h}\n"));
        }
        out.push_str(&self.source_line());
        out
    }

    /// The two-bar chart of this comparison.
    pub fn chart_png(&self) -> Result<Vec<u8>, ChartError> {
        chart::compare_png(&self.left.career, &self.right.career, &self.labels)
    }
}

/// How well a name matched, best first when compared: whole match before prefix before a match inside a
/// longer phrase; then fewer typos; then the alias's tier (name/title/id before a single word before a
/// keyword); then fewer extra words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    class: u8,
    edits: usize,
    tier: u8,
    extra: usize,
}

impl Key {
    fn combine(self, other: Key) -> Key {
        Key {
            class: self.class.max(other.class),
            edits: self.edits + other.edits,
            tier: self.tier.max(other.tier),
            extra: self.extra + other.extra,
        }
    }
}

const TIER_NAME: u8 = 0;
const TIER_WORD: u8 = 1;
const TIER_KEYWORD: u8 = 2;

/// Lower case, letters and digits only, words separated by one space; "a", "an", "the" dropped.
fn normalize(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "a" | "an" | "the"))
        .map(str::to_string)
        .collect()
}

/// Every alias of every path, with the path's index and the alias's tier.
fn aliases(paths: &[&Entry]) -> Vec<(usize, Vec<String>, u8)> {
    let mut out: Vec<(usize, Vec<String>, u8)> = Vec::new();
    for (i, e) in paths.iter().enumerate() {
        let name = e.career.as_ref().map(|c| c.name.as_str()).unwrap_or("");
        let title = e
            .title
            .split_once(": ")
            .map_or(e.title.as_str(), |(_, t)| t);
        let id_words = e.id.strip_prefix("path-").unwrap_or(&e.id);
        for alias in [name, title, &e.id, id_words] {
            out.push((i, normalize(alias), TIER_NAME));
        }
    }
    // Single words and keywords count only when no other path has them.
    let mut candidates: Vec<(usize, Vec<String>, u8)> = Vec::new();
    for (i, e) in paths.iter().enumerate() {
        let name = e.career.as_ref().map(|c| c.name.as_str()).unwrap_or("");
        let title = e
            .title
            .split_once(": ")
            .map_or(e.title.as_str(), |(_, t)| t);
        for w in normalize(name).into_iter().chain(normalize(title)) {
            if w.chars().count() >= 3 {
                candidates.push((i, vec![w], TIER_WORD));
            }
        }
        for k in &e.keywords {
            let words = normalize(k);
            let letters: usize = words.iter().map(|w| w.chars().count()).sum();
            if letters >= 4 && words.iter().all(|w| w.chars().all(char::is_alphabetic)) {
                candidates.push((i, words, TIER_KEYWORD));
            }
        }
    }
    for (i, words, tier) in &candidates {
        let shared = candidates
            .iter()
            .chain(out.iter())
            .any(|(j, other, _)| j != i && other == words);
        if !shared {
            out.push((*i, words.clone(), *tier));
        }
    }
    out.retain(|(_, words, _)| !words.is_empty());
    out
}

/// How `query` matches `alias` (both as words), if at all.
fn match_key(query: &[String], alias: &[String], tier: u8) -> Option<Key> {
    let qc: Vec<Vec<char>> = query.iter().map(|w| w.chars().collect()).collect();
    let ac: Vec<Vec<char>> = alias.iter().map(|w| w.chars().collect()).collect();
    let word_edits = |q: &[char], a: &[char]| osa_distance(q, a, max_edits(a.len()));
    // The whole query is the alias, word for word, typos allowed.
    if qc.len() == ac.len() {
        let edits: Option<usize> = qc.iter().zip(&ac).map(|(q, a)| word_edits(q, a)).sum();
        if let Some(edits) = edits {
            return Some(Key {
                class: 0,
                edits,
                tier,
                extra: 0,
            });
        }
    }
    // One word of at least 3 letters that starts the alias: "dev", "arch".
    if qc.len() == 1 && qc[0].len() >= 3 && ac.len() == 1 && ac[0].starts_with(&qc[0]) {
        return Some(Key {
            class: 1,
            edits: 0,
            tier,
            extra: 0,
        });
    }
    // The alias inside a longer query: "healthcare data analyst", "medical coder job".
    if ac.len() < qc.len() {
        for start in 0..=qc.len() - ac.len() {
            let edits: Option<usize> = qc[start..start + ac.len()]
                .iter()
                .zip(&ac)
                .map(|(q, a)| word_edits(q, a))
                .sum();
            if let Some(edits) = edits {
                return Some(Key {
                    class: 2,
                    edits,
                    tier,
                    extra: qc.len() - ac.len(),
                });
            }
        }
    }
    None
}

fn best_match<'k>(name: &str, knowledge: &'k Knowledge) -> Result<(&'k Entry, Key), CompareError> {
    let paths = paths(knowledge);
    if paths.is_empty() {
        return Err(CompareError::NoPaths);
    }
    let known = || path_names(knowledge);
    let query = normalize(name);
    if query.is_empty() {
        return Err(CompareError::NeedTwo {
            first: None,
            known: known(),
        });
    }
    // The best key for each path.
    let mut per_path: Vec<Option<Key>> = vec![None; paths.len()];
    for (i, alias, tier) in aliases(&paths) {
        if let Some(key) = match_key(&query, &alias, tier) {
            if per_path[i].is_none_or(|k| key < k) {
                per_path[i] = Some(key);
            }
        }
    }
    let Some(best) = per_path.iter().flatten().min().copied() else {
        return Err(CompareError::Unknown {
            name: name.trim().to_string(),
            known: known(),
        });
    };
    let tied: Vec<usize> = (0..paths.len())
        .filter(|i| per_path[*i] == Some(best))
        .collect();
    if tied.len() > 1 {
        return Err(CompareError::Ambiguous {
            name: name.trim().to_string(),
            matches: tied
                .iter()
                .filter_map(|i| paths[*i].career.as_ref().map(|c| c.name.clone()))
                .collect(),
        });
    }
    Ok((paths[tied[0]], best))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn entry(id: &str, title: &str, name: &str, keywords: &[&str], answer: &str) -> Entry {
        Entry {
            id: id.into(),
            topic: "careers".into(),
            title: title.into(),
            questions: vec![format!("what does a {name} do")],
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            answer: answer.into(),
            related: vec![],
            source: "Fixture".into(),
            career: Some(Career {
                name: name.into(),
                education: "Bachelor's degree".into(),
                experience: "None".into(),
                median_salary: 50_000,
                growth_percent: 5.0,
            }),
            file: PathBuf::from("fixture.toml"),
            line: 1,
        }
    }

    fn knowledge() -> Knowledge {
        Knowledge {
            entries: vec![
                entry(
                    "path-architect",
                    "Path: architect",
                    "Architect",
                    &["it architect", "hired"],
                    "Architect (the guide says just \"architect\"): technology architects manage IT. More.",
                ),
                entry(
                    "path-data-analyst",
                    "Path: data analyst",
                    "Data analyst",
                    &["analytics", "hired"],
                    "A data analyst turns data into care. The rest.",
                ),
                entry(
                    "path-clinical-coder",
                    "Path: clinical coder",
                    "Clinical coder",
                    &["medical coder", "hired"],
                    "A clinical coder converts records into codes.\n• Education: certificate",
                ),
                entry(
                    "path-software-developer",
                    "Path: software developer",
                    "Software developer",
                    &["programmer"],
                    "A developer builds software.",
                ),
                entry(
                    "path-technologist",
                    "Path: health info technologist",
                    "Health information technologist",
                    &[],
                    "A technologist works on records systems.",
                ),
            ],
            ..Knowledge::default()
        }
    }

    fn id(name: &str) -> String {
        match resolve(name, &knowledge()) {
            Ok(e) => e.id.clone(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn exact_names_titles_and_ids_resolve() {
        assert_eq!(id("Clinical coder"), "path-clinical-coder");
        assert_eq!(id("data analyst"), "path-data-analyst");
        assert_eq!(id("health info technologist"), "path-technologist");
        assert_eq!(id("path-software-developer"), "path-software-developer");
        assert_eq!(id("Health Information Technologist"), "path-technologist");
    }

    #[test]
    fn single_distinctive_words_resolve() {
        assert_eq!(id("coder"), "path-clinical-coder");
        assert_eq!(id("analyst"), "path-data-analyst");
        assert_eq!(id("architect"), "path-architect");
        assert_eq!(id("developer"), "path-software-developer");
        assert_eq!(id("technologist"), "path-technologist");
        assert_eq!(id("programmer"), "path-software-developer");
        assert_eq!(id("medical coder"), "path-clinical-coder");
    }

    #[test]
    fn typos_and_prefixes_resolve() {
        assert_eq!(id("analist"), "path-data-analyst");
        assert_eq!(id("arcitect"), "path-architect");
        assert_eq!(id("devloper"), "path-software-developer");
        assert_eq!(id("data analist"), "path-data-analyst");
        assert_eq!(id("technolgist"), "path-technologist");
        assert_eq!(id("dev"), "path-software-developer");
        assert_eq!(id("healthcare data analyst"), "path-data-analyst");
    }

    /// Found by the chart command's property test: "Ⱥ" grows by a byte when lower-cased and "𐤿"
    /// stays, so offsets in the lower-cased text fell inside a character of the original.
    #[test]
    fn separators_are_found_whatever_lower_casing_does_to_lengths() {
        assert_eq!(split_on_separator("Ⱥ/𐤿Ƛ"), None);
        assert_eq!(
            split_on_separator("Coder / Analyst"),
            Some(("Coder", "Analyst"))
        );
        assert_eq!(
            split_on_separator("café, Ünïcode"),
            Some(("café", "Ünïcode"))
        );
    }

    #[test]
    fn a_keyword_every_path_shares_is_not_an_alias() {
        assert!(id("hired").starts_with("error"), "{}", id("hired"));
    }

    #[test]
    fn an_unknown_name_lists_the_paths() {
        let e = resolve("astronaut", &knowledge()).unwrap_err();
        let text = e.explain("/compare");
        assert!(text.contains("\"astronaut\""), "{text}");
        for name in [
            "Architect",
            "Data analyst",
            "Clinical coder",
            "Software developer",
        ] {
            assert!(text.contains(name), "{text}");
        }
        assert!(text.contains("/compare architect analyst"), "{text}");
    }

    /// Regression: the command line's `hitbot chart compare coder astronaut` suggested the chat's
    /// "/compare architect analyst". Each front end's messages show its own syntax.
    #[test]
    fn examples_are_spelled_as_the_front_end_takes_them() {
        let k = knowledge();
        let unknown = resolve("astronaut", &k).unwrap_err();
        let cli = unknown.explain("hitbot chart compare");
        assert!(
            cli.ends_with("For example: hitbot chart compare architect analyst"),
            "{cli}"
        );
        assert!(!cli.contains("/compare"), "{cli}");
        let one = compare_args("coder", &k).unwrap_err();
        let cli = one.explain("hitbot chart compare");
        assert!(
            cli.starts_with("Compare Clinical coder with which path?"),
            "{cli}"
        );
        assert!(
            cli.contains("hitbot chart compare architect analyst"),
            "{cli}"
        );
        assert!(!unknown.to_string().contains("For example"), "{unknown}");
        let chat = usage(&k, "/compare");
        assert!(chat.contains(": /compare A B "), "{chat}");
        assert!(
            chat.contains("For example: /compare architect analyst"),
            "{chat}"
        );
        assert!(usage(&k, "hitbot chart compare").contains("hitbot chart compare A B"));
    }

    /// Regression: `/compare` showed "Experience: None" where the entries say the guide lists no
    /// requirement.
    #[test]
    fn no_experience_reads_as_no_requirement_listed() {
        let mut k = knowledge();
        if let Some(c) = k.entries[0].career.as_mut() {
            c.experience = "5 years or more".into();
        }
        let c = compare("architect", "coder", &k).unwrap();
        let experience = c.rows().into_iter().find(|(l, _, _)| l == "Experience");
        assert_eq!(
            experience,
            Some((
                "Experience".into(),
                "5 years or more".into(),
                "the guide lists no requirement".into()
            ))
        );
        let text = c.to_text();
        assert!(!text.contains("None"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("Experience")
                    && l.ends_with("the guide lists no requirement")),
            "{text}"
        );
        assert_eq!(experience_shown(" none "), NO_EXPERIENCE_LISTED);
        assert_eq!(experience_shown(""), NO_EXPERIENCE_LISTED);
        assert_eq!(experience_shown("2 years"), "2 years");
    }

    #[test]
    fn compare_args_splits_multi_word_names() {
        let k = knowledge();
        let c = compare_args("clinical coder data analyst", &k).unwrap();
        assert_eq!(
            (c.left.id.as_str(), c.right.id.as_str()),
            ("path-clinical-coder", "path-data-analyst")
        );
        let c = compare_args("coder vs analyst", &k).unwrap();
        assert_eq!(c.right.id, "path-data-analyst");
        let c = compare_args("health information technologist, architect", &k).unwrap();
        assert_eq!(
            (c.left.id.as_str(), c.right.id.as_str()),
            ("path-technologist", "path-architect")
        );
        let c = compare_args("devloper arcitect", &k).unwrap();
        assert_eq!(
            (c.left.id.as_str(), c.right.id.as_str()),
            ("path-software-developer", "path-architect")
        );
    }

    #[test]
    fn compare_args_explains_what_is_missing() {
        let k = knowledge();
        assert!(matches!(
            compare_args("", &k),
            Err(CompareError::NeedTwo { first: None, .. })
        ));
        assert_eq!(
            compare_args("coder", &k).unwrap_err(),
            CompareError::NeedTwo {
                first: Some("Clinical coder".into()),
                known: path_names(&k)
            }
        );
        assert_eq!(
            compare_args("data analyst", &k).unwrap_err(),
            CompareError::NeedTwo {
                first: Some("Data analyst".into()),
                known: path_names(&k)
            }
        );
        assert!(matches!(
            compare_args("coder clinical coder", &k),
            Err(CompareError::Same { .. })
        ));
        match compare_args("clinical coder astronaut", &k) {
            Err(CompareError::Unknown { name, .. }) => assert_eq!(name, "astronaut"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn what_the_job_is_is_the_first_sentence_without_a_lead_in() {
        let k = knowledge();
        let c = compare("architect", "coder", &k).unwrap();
        assert_eq!(c.left.what, "Technology architects manage IT.");
        assert_eq!(
            c.right.what,
            "A clinical coder converts records into codes."
        );
        assert_eq!(
            what_the_job_is("The U.S. Bureau counts them. Then more.", "x"),
            "The U.S. Bureau counts them."
        );
        assert_eq!(
            what_the_job_is("Tools, e.g. Epic and Cerner, run on IT. More.", "x"),
            "Tools, e.g. Epic and Cerner, run on IT."
        );
        assert_eq!(
            what_the_job_is("No period at the end", "x"),
            "No period at the end"
        );
    }

    #[test]
    fn the_text_card_has_both_columns_and_the_source() {
        let mut k = knowledge();
        if let Some(c) = k.entries[2].career.as_mut() {
            c.median_salary = 46_660;
            c.growth_percent = 7.0;
        }
        let card = compare("coder", "analyst", &k).unwrap();
        let text = card.to_text();
        assert!(
            text.starts_with("Clinical coder vs Data analyst\n"),
            "{text}"
        );
        assert!(
            text.contains("$46,660") && text.contains("$50,000"),
            "{text}"
        );
        assert!(text.contains("+7%") && text.contains("+5%"), "{text}");
        assert!(text.contains("Data analyst pays $3,340 more"), "{text}");
        assert!(
            text.contains("Clinical coder is projected to grow faster"),
            "{text}"
        );
        assert!(text.ends_with(&card.source_line()), "{text}");
    }
}
