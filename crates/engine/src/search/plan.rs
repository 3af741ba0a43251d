//! From question text to a query plan: surface words → stop words dropped → known terms kept, unknown
//! words spelling-corrected against the knowledge vocabulary → synonym phrases matched (longest first)
//! and expanded. Also the vocabulary statistics (document frequency, terms per entry) that weigh the
//! plan's slots and measure how much of a question an entry covers.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::OnceLock;

use super::analyzer::{self, Analyzers};
use hitbot_knowledge::spelling::Speller;
use hitbot_knowledge::{Knowledge, Problem};

/// Most content words a plan keeps.
const MAX_SLOTS: usize = 32;
const _: () = assert!(
    MAX_SLOTS <= 64,
    "question_similarity keeps matched slots in a u64"
);
/// Weight of a synonym form relative to the word the user typed.
const SYNONYM_WEIGHT: f32 = 0.7;
/// Weight of a spelling-corrected word relative to a correctly spelled one.
const CORRECTED_WEIGHT: f32 = 0.9;
/// Weight of a word the knowledge has never seen, relative to the rarest known word. Unknown words
/// are what out-of-scope questions are made of ("dental hygienist", "snow"), so they weigh a lot.
const UNKNOWN_FACTOR: f32 = 1.0;
/// When the question names the bot's subject ("HITs", "this career"), unknown words are more likely
/// chatter ("in plain english…") than another topic, and weigh this much less.
const ANCHORED_UNKNOWN_FACTOR: f32 = 0.4;
/// Further discount when the subject is the only known thing the question names.
const SUBJECT_ONLY_FACTOR: f32 = 0.25;
/// Questions with more content words than this discount unknown words proportionally.
const LONG_QUESTION_SLOTS: usize = 6;
/// "this career", "the job"…: a reference to the subject at hand.
const DEICTIC: &[&str] = &["this", "the", "that", "such"];
/// Words after which another career is someone the job deals with, not the question's subject.
const ALONGSIDE: &[&str] = &["with", "w", "alongside", "beside", "after", "among"];
const SUBJECT_NOUNS: &[&str] = &[
    "career",
    "job",
    "field",
    "role",
    "profession",
    "occupation",
    "path",
    "work",
    "line",
];
/// Credit for a question word found only in an entry's answer text, not its questions, title or
/// keywords: weaker evidence that the entry is about it ("nurse" in a reviewer's biography).
const ANSWER_ONLY_CREDIT: f32 = 0.75;
/// Weight of an unknown token with digits ("50k", "401k"): numbers say little about the topic.
const NUMBER_WEIGHT: f32 = 1.0;

/// A phrase as a sequence of terms (or surface words).
type Phrase = Vec<String>;
/// A synonym rule after analysis: the phrases that trigger it and the phrases it adds.
type AnalysedRule = (Vec<Phrase>, Vec<Phrase>);

/// Terms and statistics of the knowledge, computed once per index.
#[derive(Debug, Default)]
pub struct Vocabulary {
    n_docs: usize,
    /// Term → dense id; ids index the vectors below and the entry bit sets.
    ids: HashMap<String, u32>,
    idf_by_id: Vec<f32>,
    /// Which fields hold each term (bits: [`IN_QUESTIONS`], [`IN_TITLE`], [`IN_KEYWORDS`], [`IN_ANSWER`]).
    fields_by_id: Vec<u8>,
    entry_terms: Vec<TermSet>,
    /// Terms of the questions, title and keywords only: matching there is stronger evidence.
    entry_strong_terms: Vec<TermSet>,
    /// Each alternate question of each entry: its distinct term ids and their summed idf.
    entry_questions: Vec<Vec<(TermSet, f32)>>,
    /// (entry, term id) → which of the entry's first 64 questions hold the term (bit n: question n).
    question_masks: HashMap<(u32, u32), u64>,
    /// Surface word → index term, for every word of the knowledge and the synonyms.
    surface_term: HashMap<String, String>,
    speller: Speller,
    /// Synonym phrase (as terms) → the forms it expands to.
    expansions: HashMap<Vec<String>, Vec<Vec<String>>>,
    /// Synonym phrase as typed (surface words) → forms; tried before `expansions`, so two phrases
    /// that stem alike ("associate", "associations") keep their own meanings.
    surface_expansions: HashMap<Vec<String>, Vec<Vec<String>>>,
    longest_phrase: usize,
    /// First terms of the synonym phrases: such a word is known even when the knowledge lacks it.
    phrase_starts: HashSet<String>,
    /// Terms of other careers and topics (`scope.toml`).
    other_topics: HashSet<String>,
    /// Surface-word phrases naming the guide's subject (`guide.toml` `subject`).
    subject: Vec<Vec<String>>,
    /// Names people type in lower case (`scope.toml` `names`), as surface words.
    names: Vec<Vec<String>>,
}

pub const IN_QUESTIONS: u8 = 1;
pub const IN_TITLE: u8 = 2;
pub const IN_KEYWORDS: u8 = 4;
pub const IN_ANSWER: u8 = 8;

/// A set of term ids, sorted: an entry's or a question's own terms only, so memory grows with what
/// the knowledge says, not with entries × vocabulary.
#[derive(Debug, Default, Clone)]
struct TermSet(Vec<u32>);

impl TermSet {
    fn insert(&mut self, id: u32) {
        if let Err(at) = self.0.binary_search(&id) {
            self.0.insert(at, id);
        }
    }

    fn contains(&self, id: u32) -> bool {
        self.0.binary_search(&id).is_ok()
    }

    fn contains_all(&self, ids: &[u32]) -> bool {
        !ids.is_empty() && ids.iter().all(|i| self.contains(*i))
    }
}

#[cfg(test)]
mod term_set_tests {
    use super::TermSet;

    #[test]
    fn a_term_set_holds_what_was_inserted_once() {
        let mut b = TermSet::default();
        for id in [70_000, 3, 3, 64, 0] {
            b.insert(id);
        }
        assert_eq!(b.0, [0, 3, 64, 70_000]);
        assert!(b.contains(64) && !b.contains(65));
        assert!(b.contains_all(&[0, 70_000]) && !b.contains_all(&[]));
    }
}

/// One content word (or synonym phrase) of a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// What the user typed (after lower-casing and folding), joined by spaces for phrases.
    pub word: String,
    /// The analysed terms of what the user typed (or of its spelling correction).
    pub terms: Vec<String>,
    /// Synonym forms, each a term sequence.
    pub alternatives: Vec<Vec<String>>,
    /// The spelling-corrected word, when the typed one was unknown.
    pub corrected: Option<String>,
    /// Whether any form is in the knowledge vocabulary.
    pub known: bool,
    /// Importance of the slot for coverage (idf-like).
    pub weight: f32,
    /// Term ids of each form, in the order of [`Slot::forms`]; `None` where a term is unknown.
    form_ids: Vec<Option<Vec<u32>>>,
}

impl Slot {
    /// Vocabulary term ids of each form, in the order of [`Slot::forms`]; `None` where a term is unknown.
    pub fn form_ids(&self) -> &[Option<Vec<u32>>] {
        &self.form_ids
    }

    /// Every form to search for, with its weight relative to the slot.
    pub fn forms(&self) -> impl Iterator<Item = (&[String], f32)> {
        let own = if self.corrected.is_some() {
            CORRECTED_WEIGHT
        } else {
            1.0
        };
        std::iter::once((self.terms.as_slice(), own)).chain(
            self.alternatives
                .iter()
                .map(move |a| (a.as_slice(), SYNONYM_WEIGHT * own)),
        )
    }
}

/// The analysed question.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub slots: Vec<Slot>,
    /// Whether the question names the subject (HITs, "this career"), which discounts unknown words.
    pub anchored: bool,
    /// Whether the question names the subject outright ("HITs", "health information technician"),
    /// not only as "the job".
    pub named: bool,
    /// Multiplier for the weight of unknown words in this question (see [`Plan::new`]).
    pub unknown_factor: f32,
    /// The question is about another career or topic (a `scope.toml` word, subject not named).
    pub foreign: bool,
    /// Names the knowledge has never heard of: words the user capitalised inside a sentence
    /// ("Kaiser", "FAFSA", "Canada") and years ("2024"). Each is a specific thing the question is
    /// about that no entry can speak to.
    pub unknown_names: Vec<String>,
}

impl Plan {
    pub fn new(question: &str, vocab: &Vocabulary, a: &mut Analyzers) -> Plan {
        // The advisor has cut the question to `[answer] max_question_chars`.
        let surface = analyzer::tokens(&mut a.surface, question);
        // Each surface word's index term, analysed once (`None` for stop words).
        let mut terms: Vec<Option<String>> = surface.iter().map(|w| vocab.term_of(w, a)).collect();
        let (subject, named) = subject_words(&surface, &vocab.subject);
        // Listed names in the question, however cased ("texas", "new hampshire").
        let listed: Vec<String> = vocab
            .names
            .iter()
            .filter(|name| surface.windows(name.len()).any(|w| w == name.as_slice()))
            .map(|name| name.join(" "))
            .collect();
        let anchored = !subject.is_empty();
        // Another career is the question's subject ("how much do nurses make"), not when it is
        // only someone the job deals with, as the knowledge says ("do they work with software
        // engineers", "what happens after a doctor collects the records"); "help me with my
        // calculus homework" stays foreign.
        let foreign = !named
            && !vocab.other_topics.is_empty()
            && surface.iter().zip(&terms).enumerate().any(|(at, (w, t))| {
                let other = vocab.other_topics.contains(w)
                    || t.as_ref().is_some_and(|t| vocab.other_topics.contains(t));
                let dealt_with = t.as_ref().is_some_and(|t| vocab.occurs(t))
                    && surface[at.saturating_sub(3)..at]
                        .iter()
                        .any(|p| ALONGSIDE.contains(&p.as_str()));
                other && !dealt_with
            });
        // 1. Content words, each resolved to a known term, a correction, or left unknown:
        // (surface word, index term, spelling correction).
        let mut words: Vec<(String, String, Option<String>)> = Vec::new();
        let deictic = deictic_nouns(&surface);
        for (at, word) in surface.into_iter().enumerate() {
            if words.len() >= MAX_SLOTS * 2 {
                break;
            }
            // "this career", "the job": a pointer to the subject, not a topic of its own.
            if deictic.contains(&at) {
                continue;
            }
            let Some(term) = terms[at].take() else {
                continue;
            };
            // Another career in a question about HITs ("do HITs make more than nurses?") is a point
            // of comparison the knowledge cannot speak to: leave it out of the search.
            if vocab.other_topics.contains(&word) || vocab.other_topics.contains(&term) {
                continue;
            }
            if vocab.knows(&term) {
                words.push((word, term, None));
                continue;
            }
            // A typo of a knowledge word first: "hrad" is "hard", not the stop word "had".
            let fix = vocab
                .speller
                .correct(&word)
                .filter(|f| !analyzer::stop_words().contains(*f));
            if fix.is_none() && is_misspelled_stop_word(&word) {
                continue;
            }
            match fix {
                Some(fixed) => {
                    let fixed_term = vocab.term_of(fixed, a).unwrap_or_else(|| fixed.to_string());
                    words.push((word, fixed_term, Some(fixed.to_string())));
                }
                None => words.push((word, term, None)),
            }
        }
        // Synonym rule keys: the words as typed (or corrected), and their terms.
        let typed: Vec<String> = words
            .iter()
            .map(|w| w.2.as_ref().unwrap_or(&w.0).clone())
            .collect();
        let keys: Vec<String> = words.iter().map(|w| w.1.clone()).collect();
        // 2. Synonym phrases, longest first.
        let mut slots: Vec<Slot> = Vec::new();
        let mut i = 0;
        while i < words.len() && slots.len() < MAX_SLOTS {
            let mut matched = 1;
            let mut alternatives = Vec::new();
            for len in (1..=vocab.longest_phrase.min(words.len() - i)).rev() {
                if let Some(forms) = vocab
                    .surface_expansions
                    .get(&typed[i..i + len])
                    .or_else(|| vocab.expansions.get(&keys[i..i + len]))
                {
                    matched = len;
                    alternatives = forms.clone();
                    break;
                }
            }
            let part = &words[i..i + matched];
            let terms: Vec<String> = part.iter().map(|w| w.1.clone()).collect();
            alternatives.retain(|f| *f != terms);
            let corrected = part.iter().find_map(|w| w.2.clone());
            let mut slot = Slot {
                word: part
                    .iter()
                    .map(|w| w.0.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                terms,
                alternatives,
                corrected,
                known: false,
                weight: 0.0,
                form_ids: Vec::new(),
            };
            // A decade ("the 90s", "1920s") finds the knowledge's years in it.
            if let [(word, _, None)] = part {
                for year in decade_years(word, vocab, a) {
                    if !slot.alternatives.contains(&year) && slot.terms != year {
                        slot.alternatives.push(year);
                    }
                }
            }
            let ids: Vec<Option<Vec<u32>>> = slot.forms().map(|(f, _)| vocab.form_ids(f)).collect();
            slot.form_ids = ids;
            let known = slot.form_ids.iter().any(Option::is_some);
            slot.known = known;
            slot.weight = vocab.weight(&slot);
            if !slots.iter().any(|s| s.terms == slot.terms) {
                slots.push(slot);
            }
            i += matched;
        }
        // Unknown words weigh less when the question names the subject, less still when the subject is
        // all it names ("in plain english, what does a HIT do?"), and less in long questions, where
        // personal context ("I'm 45, I work retail…") surrounds the actual question.
        let mut unknown_factor = 1.0;
        if anchored {
            unknown_factor *= ANCHORED_UNKNOWN_FACTOR;
            let is_subject = |s: &Slot| s.word.split(' ').all(|w| subject.iter().any(|x| x == w));
            if slots.iter().filter(|s| s.known).all(is_subject) {
                unknown_factor *= SUBJECT_ONLY_FACTOR;
            }
        }
        if slots.len() > LONG_QUESTION_SLOTS {
            unknown_factor *= LONG_QUESTION_SLOTS as f32 / slots.len() as f32;
        }
        let mut unknown_names: Vec<String> = Vec::new();
        let mut occurs = |name: &str| {
            analyzer::tokens(&mut a.surface, name)
                .iter()
                .filter_map(|w| vocab.term_of(w, a))
                .all(|t| vocab.occurs(&t))
        };
        // "new york or texas": one of them is in the guide, so it can answer in part.
        let listed = if listed.iter().any(|n| occurs(n)) {
            Vec::new()
        } else {
            listed
        };
        let capitalised = names(question).into_iter().map(|n| (n.to_string(), false));
        for (name, is_listed) in capitalised.chain(listed.into_iter().map(|n| (n, true))) {
            let words = analyzer::tokens(&mut a.surface, &name.to_lowercase());
            // A listed name counts only where the knowledge itself says it: a synonym rule
            // ("texas" → "state") routes the question, it does not answer it.
            let unknown = words.iter().filter_map(|w| vocab.term_of(w, a)).any(|t| {
                if is_listed {
                    !vocab.occurs(&t)
                } else {
                    !vocab.knows(&t)
                }
            });
            let seen = unknown_names.iter().any(|n| n.eq_ignore_ascii_case(&name));
            if unknown && !seen {
                unknown_names.push(name);
            }
        }
        Plan {
            slots,
            anchored,
            named,
            unknown_factor,
            foreign,
            unknown_names,
        }
    }

    pub fn known_slots(&self) -> usize {
        self.slots.iter().filter(|s| s.known).count()
    }

    /// Whether every known word is a bare number ("what is 2+2", "1996?"): a figure alone says
    /// nothing about which topic is meant, so such a question is declined.
    pub fn only_numbers(&self) -> bool {
        let mut known = self.slots.iter().filter(|s| s.known).peekable();
        known.peek().is_some()
            && known.all(|s| s.word.chars().all(|c| c.is_ascii_digit() || c == ' '))
    }

    /// Total weight of the question.
    pub fn weight(&self) -> f32 {
        self.slots.iter().map(|s| self.slot_weight(s)).sum()
    }

    /// A slot's weight in this question: unknown words count less when the subject is named.
    pub fn slot_weight(&self, slot: &Slot) -> f32 {
        if slot.known {
            slot.weight
        } else {
            slot.weight * self.unknown_factor
        }
    }
}

/// Positions of the nouns in "this career", "this path", "that job"… (the demonstrative makes them
/// point at the subject; "the career paths" is a topic and is kept).
fn deictic_nouns(words: &[String]) -> Vec<usize> {
    (1..words.len())
        .filter(|&i| {
            matches!(words[i - 1].as_str(), "this" | "that")
                && SUBJECT_NOUNS
                    .iter()
                    .any(|n| words[i] == *n || words[i].strip_suffix('s') == Some(n))
        })
        .collect()
}

/// The words of a question that name something: capitalised inside a sentence (not "I" or a
/// contraction such as "I'm"), or a year. A possessive "'s" is dropped ("SNHU's" → "SNHU").
fn names(question: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut sentence_start = true;
    for raw in question.split_whitespace() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’');
        let word = word
            .strip_suffix("'s")
            .or_else(|| word.strip_suffix("’s"))
            .unwrap_or(word);
        let year = word.len() == 4
            && word.bytes().all(|b| b.is_ascii_digit())
            && (word.starts_with("19") || word.starts_with("20"));
        let capital = word.chars().next().is_some_and(char::is_uppercase)
            && word.chars().all(char::is_alphanumeric)
            && word != "I";
        if year || (capital && !sentence_start) {
            out.push(word);
        }
        sentence_start = raw.ends_with(['.', '!', '?', ':']) || (sentence_start && word.is_empty());
    }
    out
}

/// For a decade ("90s", "'90s", "1990s", "1920s"), the knowledge's terms for it: the decade written
/// out in full and every year of it ("1928" for "the 1920s"). A two-digit decade from 30 up is the
/// 1900s', below it the 2000s'.
fn decade_years(word: &str, vocab: &Vocabulary, a: &mut Analyzers) -> Vec<Vec<String>> {
    let digits = word.trim_start_matches(['\'', '’']);
    let Some(digits) = digits.strip_suffix('s') else {
        return Vec::new();
    };
    if !digits.ends_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let full = match digits.len() {
        2 if digits >= "30" => format!("19{digits}"),
        2 => format!("20{digits}"),
        4 => digits.to_string(),
        _ => return Vec::new(),
    };
    let prefix = &full[..3];
    let mut out: Vec<Vec<String>> = vocab
        .terms()
        .map(|(t, _)| t)
        .filter(|t| t.len() == 4 && t.starts_with(prefix) && t.bytes().all(|b| b.is_ascii_digit()))
        .map(|t| vec![t.to_string()])
        .collect();
    if let Some(t) = vocab
        .term_of(&format!("{full}s"), a)
        .filter(|t| vocab.occurs(t))
    {
        out.push(vec![t]);
    }
    out.sort();
    out
}

/// Whether an unknown short word is a typo of a stop word ("waht", "hwo", "teh", "dose").
fn is_misspelled_stop_word(word: &str) -> bool {
    /// Stop words of three letters or more, as letters and as sorted letters.
    static STOPS: OnceLock<Vec<(Vec<char>, Vec<char>)>> = OnceLock::new();
    let stops = STOPS.get_or_init(|| {
        analyzer::stop_words()
            .iter()
            .map(|w| w.chars().collect::<Vec<char>>())
            .filter(|c| c.len() >= 3)
            .map(|c| {
                let mut sorted = c.clone();
                sorted.sort_unstable();
                (c, sorted)
            })
            .collect()
    });
    let chars: Vec<char> = word.chars().collect();
    if !(3..=5).contains(&chars.len()) {
        return false;
    }
    let mut sorted = chars.clone();
    sorted.sort_unstable();
    stops.iter().any(|(s, s_sorted)| {
        if s.len().abs_diff(chars.len()) > 1 || s.first() != chars.first() && chars.len() > 3 {
            return false;
        }
        // Three letters: only swapped letters ("teh", "hwo"); "dan" is a name, not "don".
        if chars.len() == 3 {
            return *s_sorted == sorted
                && hitbot_knowledge::spelling::osa_distance(&chars, s, 1) == Some(1);
        }
        hitbot_knowledge::spelling::osa_distance(&chars, s, 1).is_some()
    })
}

/// The surface words that name the subject: "HIT", "health information technician", the noun of
/// "this career"… Empty when the question does not name it. The flag says whether the subject is
/// named outright (not just "the job").
fn subject_words(words: &[String], phrases: &[Vec<String>]) -> (Vec<String>, bool) {
    let has = |i: usize, phrase: &[String]| {
        phrase
            .iter()
            .enumerate()
            .all(|(k, p)| words.get(i + k).is_some_and(|w| w == p))
    };
    let mut found = Vec::new();
    let mut named = false;
    for i in 0..words.len() {
        for p in phrases.iter().filter(|p| has(i, p)) {
            found.extend(p.iter().cloned());
            named = true;
        }
        if DEICTIC.contains(&words[i].as_str()) {
            if let Some(w) = words.get(i + 1).filter(|w| {
                SUBJECT_NOUNS
                    .iter()
                    .any(|n| *w == n || w.strip_suffix('s') == Some(n))
            }) {
                found.push(w.clone());
            }
        }
    }
    (found, named)
}

impl Vocabulary {
    pub fn new(knowledge: &Knowledge, a: &mut Analyzers) -> Vocabulary {
        let mut v = Vocabulary {
            n_docs: knowledge.entries.len(),
            ..Vocabulary::default()
        };
        let mut counts: HashMap<String, u32> = HashMap::default();
        let mut df: Vec<u32> = Vec::new();
        let mut question_ids: Vec<Vec<Vec<u32>>> = Vec::new();
        for e in &knowledge.entries {
            let mut terms = TermSet::default();
            let mut strong = TermSet::default();
            let mut seen: Vec<u32> = Vec::new();
            let mut questions = Vec::new();
            let texts = std::iter::once((&e.title, IN_TITLE))
                .chain(e.questions.iter().map(|q| (q, IN_QUESTIONS)))
                .chain(e.keywords.iter().map(|k| (k, IN_KEYWORDS)))
                .chain(std::iter::once((&e.answer, IN_ANSWER)));
            for (text, field) in texts {
                let mut these: Vec<u32> = Vec::new();
                for word in analyzer::tokens(&mut a.surface, text) {
                    if let Some(term) = v.term_of(&word, a) {
                        if !word.chars().any(|c| c.is_ascii_digit()) {
                            *counts.entry(word.clone()).or_default() += 1;
                        }
                        v.surface_term.entry(word).or_insert_with(|| term.clone());
                        let next = v.ids.len() as u32;
                        let id = *v.ids.entry(term).or_insert(next);
                        if id == next {
                            v.fields_by_id.push(0);
                            df.push(0);
                        }
                        v.fields_by_id[id as usize] |= field;
                        if !these.contains(&id) {
                            these.push(id);
                        }
                    }
                }
                for &id in &these {
                    terms.insert(id);
                    if field != IN_ANSWER {
                        strong.insert(id);
                    }
                    if !seen.contains(&id) {
                        seen.push(id);
                        df[id as usize] += 1;
                    }
                }
                if field == IN_QUESTIONS {
                    questions.push(these);
                }
            }
            v.entry_terms.push(terms);
            v.entry_strong_terms.push(strong);
            question_ids.push(questions);
        }
        v.idf_by_id = df.iter().map(|d| v.idf(*d)).collect();
        for (entry, questions) in question_ids.iter().enumerate() {
            for (n, ids) in questions.iter().take(64).enumerate() {
                for id in ids {
                    *v.question_masks.entry((entry as u32, *id)).or_default() |= 1 << n;
                }
            }
        }
        v.entry_questions = question_ids
            .into_iter()
            .map(|questions| {
                questions
                    .into_iter()
                    .map(|ids| {
                        let sum = ids.iter().map(|i| v.idf_by_id[*i as usize]).sum();
                        let mut bits = TermSet::default();
                        ids.iter().for_each(|i| bits.insert(*i));
                        (bits, sum)
                    })
                    .collect()
            })
            .collect();
        // Synonyms: phrases as term sequences; one level of chaining ("make" → salary → pay, wage…).
        let mut rules: Vec<AnalysedRule> = Vec::new();
        let mut surface_rules: Vec<AnalysedRule> = Vec::new();
        for rule in &knowledge.synonyms {
            let typed: Vec<Vec<String>> = rule
                .from
                .iter()
                .map(|p| {
                    analyzer::tokens(&mut a.surface, p)
                        .into_iter()
                        .filter(|w| !analyzer::stop_words().contains(w.as_str()))
                        .collect::<Vec<String>>()
                })
                .collect();
            let mut analyse = |phrases: &[String]| -> Vec<Vec<String>> {
                phrases
                    .iter()
                    .map(|p| {
                        analyzer::tokens(&mut a.surface, p)
                            .into_iter()
                            .inspect(|w| {
                                counts.entry(w.clone()).or_insert(1);
                            })
                            .filter_map(|w| {
                                let t = v.term_of(&w, a)?;
                                v.surface_term.entry(w).or_insert_with(|| t.clone());
                                Some(t)
                            })
                            .collect::<Vec<String>>()
                    })
                    .filter(|t| !t.is_empty())
                    .collect()
            };
            let from = analyse(&rule.from);
            let to = analyse(&rule.to);
            surface_rules.push((
                typed.into_iter().filter(|t| !t.is_empty()).collect(),
                to.clone(),
            ));
            rules.push((from, to));
        }
        let mut expansions: HashMap<Vec<String>, Vec<Vec<String>>> = HashMap::default();
        for (from, to) in &rules {
            for f in from {
                let forms = expansions.entry(f.clone()).or_default();
                for t in to {
                    if !forms.contains(t) {
                        forms.push(t.clone());
                    }
                }
            }
        }
        let direct = expansions.clone();
        for forms in expansions.values_mut() {
            for t in forms.clone() {
                for chained in direct.get(&t).into_iter().flatten() {
                    if !forms.contains(chained) {
                        forms.push(chained.clone());
                    }
                }
            }
        }
        for (key, forms) in expansions.iter_mut() {
            forms.retain(|f| f != key);
        }
        let mut surface_expansions: HashMap<Vec<String>, Vec<Vec<String>>> = HashMap::default();
        for ((typed, to), (from, _)) in surface_rules.iter().zip(&rules) {
            for (t, f) in typed.iter().zip(from) {
                let forms = surface_expansions.entry(t.clone()).or_default();
                for g in to {
                    if g != f && !forms.contains(g) {
                        forms.push(g.clone());
                    }
                }
            }
        }
        v.surface_expansions = surface_expansions;
        v.longest_phrase = expansions
            .keys()
            .chain(v.surface_expansions.keys())
            .map(Vec::len)
            .max()
            .unwrap_or(1);
        v.phrase_starts = expansions
            .keys()
            .filter_map(|k| k.first().cloned())
            .collect();
        v.expansions = expansions;
        v.subject = knowledge
            .guide
            .subject
            .iter()
            .map(|p| p.split_whitespace().map(str::to_string).collect())
            .collect();
        v.other_topics = knowledge
            .other_topics
            .iter()
            .flat_map(|w| {
                let mut forms = vec![w.clone()];
                forms.extend(a.term(w));
                forms
            })
            .collect();
        v.names = knowledge
            .names
            .iter()
            .map(|n| analyzer::tokens(&mut a.surface, n))
            .filter(|words| !words.is_empty())
            .collect();
        v.speller = Speller::new(
            counts
                .into_iter()
                .filter(|(w, _)| !analyzer::stop_words().contains(w.as_str())),
        );
        v
    }

    /// The index term of a surface word, or `None` for a stop word.
    fn term_of(&self, word: &str, a: &mut Analyzers) -> Option<String> {
        if analyzer::stop_words().contains(word) {
            return None;
        }
        match self.surface_term.get(word) {
            Some(t) => Some(t.clone()),
            None => a.term(word),
        }
    }

    /// Whether a term occurs in the knowledge or starts a synonym rule.
    pub fn knows(&self, term: &str) -> bool {
        self.ids.contains_key(term) || self.phrase_starts.contains(term)
    }

    /// Whether a term occurs in the knowledge's entries (synonym rules aside).
    pub fn occurs(&self, term: &str) -> bool {
        self.ids.contains_key(term)
    }

    /// Every term of the knowledge with its id (ids are dense: 0..number of terms).
    pub fn terms(&self) -> impl Iterator<Item = (&str, u32)> {
        self.ids.iter().map(|(t, i)| (t.as_str(), *i))
    }

    /// The fields (bit set of `IN_*`) that hold a term, by id.
    pub fn fields_of(&self, id: u32) -> u8 {
        self.fields_by_id.get(id as usize).copied().unwrap_or(0)
    }

    /// Whether every term of a form occurs in the knowledge.
    pub fn knows_all(&self, form: &[String]) -> bool {
        !form.is_empty() && form.iter().all(|t| self.ids.contains_key(t))
    }

    /// The ids of a form's terms, if all are known.
    fn form_ids(&self, form: &[String]) -> Option<Vec<u32>> {
        if form.is_empty() {
            return None;
        }
        form.iter().map(|t| self.ids.get(t).copied()).collect()
    }

    /// The fields (bit set of `IN_*`) that hold every term of a form.
    pub fn fields_with(&self, form: &[String]) -> u8 {
        form.iter().fold(0xff, |acc, t| {
            acc & self
                .ids
                .get(t)
                .map_or(0, |i| self.fields_by_id[*i as usize])
        })
    }

    /// BM25-style inverse document frequency; an unseen term gets the highest.
    fn idf(&self, df: u32) -> f32 {
        let n = self.n_docs as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    fn form_weight(&self, form: &[String]) -> f32 {
        form.iter()
            .map(|t| {
                self.ids
                    .get(t)
                    .map_or(self.idf(0), |i| self.idf_by_id[*i as usize])
            })
            .fold(0.0, f32::max)
    }

    fn weight(&self, slot: &Slot) -> f32 {
        if !slot.known {
            // Numbers ("50k") and one- or two-letter scraps ("yo") say little about the topic.
            return if slot.word.chars().any(|c| c.is_ascii_digit())
                || slot.word.chars().count() <= 2
            {
                NUMBER_WEIGHT
            } else {
                self.idf(0) * UNKNOWN_FACTOR
            };
        }
        if self.knows_all(&slot.terms) {
            return self.form_weight(&slot.terms);
        }
        slot.alternatives
            .iter()
            .filter(|f| self.knows_all(f))
            .map(|f| self.form_weight(f))
            .fold(0.0, f32::max)
    }

    /// Share of the plan's weight whose slots the entry contains (any form, all its terms). A slot
    /// found only in the answer text counts for [`ANSWER_ONLY_CREDIT`] of its weight.
    pub fn coverage(&self, plan: &Plan, entry: usize) -> f32 {
        let total = plan.weight();
        if total <= 0.0 {
            return 0.0;
        }
        (self.covered_weight(plan, entry) / total).clamp(0.0, 1.0)
    }

    /// The weight of the plan's slots that the entry contains (see [`Vocabulary::coverage`]).
    pub fn covered_weight(&self, plan: &Plan, entry: usize) -> f32 {
        let (Some(terms), Some(strong)) = (
            self.entry_terms.get(entry),
            self.entry_strong_terms.get(entry),
        ) else {
            return 0.0;
        };
        let has =
            |set: &TermSet, s: &Slot| s.form_ids.iter().flatten().any(|ids| set.contains_all(ids));
        plan.slots
            .iter()
            .map(|s| {
                let credit = if has(strong, s) {
                    1.0
                } else if has(terms, s) {
                    ANSWER_ONLY_CREDIT
                } else {
                    0.0
                };
                credit * plan.slot_weight(s)
            })
            .sum()
    }

    /// How closely the question matches the entry's closest alternate question: weighted overlap
    /// over weighted union, in [0, 1].
    pub fn question_similarity(&self, plan: &Plan, entry: usize) -> f32 {
        let (Some(questions), Some(strong)) = (
            self.entry_questions.get(entry),
            self.entry_strong_terms.get(entry),
        ) else {
            return 0.0;
        };
        // Only forms the entry's questions, title or keywords hold can match one of its questions:
        // (slot number, slot weight, form ids) for those, in slot and form order.
        let mut held: Vec<(usize, f32, &[u32])> = Vec::new();
        for (n, s) in plan.slots.iter().enumerate() {
            for f in s.form_ids.iter().flatten() {
                if strong.contains_all(f) {
                    held.push((n, plan.slot_weight(s), f));
                }
            }
        }
        if held.is_empty() {
            return 0.0;
        }
        // The questions (of the first 64) that hold some form: the others match nothing and score 0.
        let mut candidates: u64 = 0;
        for &(_, _, f) in &held {
            candidates |= f.iter().fold(u64::MAX, |acc, id| {
                acc & self
                    .question_masks
                    .get(&(entry as u32, *id))
                    .copied()
                    .unwrap_or(0)
            });
        }
        let total = plan.weight();
        let mut used: Vec<u32> = Vec::new();
        let mut best: f32 = 0.0;
        for (q, (bits, idf_sum)) in questions.iter().enumerate() {
            if q < 64 && candidates & (1 << q) == 0 {
                continue;
            }
            used.clear();
            let mut matched = 0.0;
            // Slots already matched: only a slot's first matching form counts (MAX_SLOTS <= 64).
            let mut done: u64 = 0;
            for &(n, weight, f) in &held {
                if done & (1 << n) != 0 || !bits.contains_all(f) {
                    continue;
                }
                done |= 1 << n;
                matched += weight;
                for t in f {
                    if !used.contains(t) {
                        used.push(*t);
                    }
                }
            }
            let used_idf: f32 = used.iter().map(|i| self.idf_by_id[*i as usize]).sum();
            let union = total + (idf_sum - used_idf).max(0.0);
            if union > 0.0 {
                best = best.max(matched / union);
            }
        }
        best
    }
}

/// Synonym terms that analyse to nothing, and rules none of whose terms occur in the knowledge.
pub fn check_synonyms(knowledge: &Knowledge, a: &mut Analyzers) -> Vec<Problem> {
    let vocab = Vocabulary::new(
        &Knowledge {
            synonyms: Vec::new(),
            ..knowledge.clone()
        },
        a,
    );
    let mut problems = Vec::new();
    let mut problem = |line: usize, message: String| {
        problems.push(Problem {
            file: knowledge.synonyms_file.clone(),
            line,
            entry: None,
            message,
        })
    };
    for rule in &knowledge.synonyms {
        let mut any_known = false;
        let mut phrases: Vec<&String> = rule.from.iter().chain(&rule.to).collect();
        phrases.dedup();
        let mut seen = HashSet::default();
        phrases.retain(|p| seen.insert(*p));
        for phrase in phrases {
            let terms: Vec<String> = analyzer::tokens(&mut a.full, phrase);
            let words: Vec<String> = analyzer::tokens(&mut a.surface, phrase)
                .into_iter()
                .filter(|w| w.len() > 1)
                .collect();
            let dropped: Vec<&String> = words
                .iter()
                .filter(|w| analyzer::stop_words().contains(w.as_str()))
                .collect();
            // A phrase that collapses to one word fires on that word alone, which is rarely meant.
            if terms.len() == 1
                && words.len() > 1
                && !dropped.is_empty()
                && rule.from.contains(phrase)
            {
                problem(
                    rule.line,
                    format!(
                        "`{phrase}` contains stop words ({}) that questions never keep, so it would fire on `{}` alone",
                        dropped.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(", "),
                        words
                            .iter()
                            .filter(|w| !analyzer::stop_words().contains(w.as_str()))
                            .map(|w| w.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                );
            }
            if terms.is_empty() {
                problem(
                    rule.line,
                    format!("`{phrase}` is only stop words, so it can never match"),
                );
            } else if vocab.knows_all(&terms) && rule.to.contains(phrase) {
                any_known = true;
            }
        }
        if !any_known && !rule.to.is_empty() {
            problem(
                rule.line,
                format!(
                    "expands to nothing: none of {} appears in the knowledge",
                    rule.to
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    problems
}

#[cfg(test)]
mod tests {

    #[test]
    fn names_are_capitalised_inside_a_sentence_or_years() {
        assert_eq!(
            names("Does Kaiser hire HITs in 2024? I'm asking for SNHU's program."),
            ["Kaiser", "HITs", "2024", "SNHU"]
        );
        assert!(names("When I finish, what jobs are there? Maybe.").is_empty());
        assert!(names("how much do hits make in texas").is_empty());
    }

    #[test]
    fn listed_names_count_in_any_case_unless_the_knowledge_says_them() {
        let mut k = Knowledge {
            entries: vec![entry(
                "pay-by-location",
                &["which states pay the most"],
                "New York and California pay the most.",
            )],
            names: vec!["new york".into(), "ohio".into(), "new mexico".into()],
            ..Default::default()
        };
        k.synonyms = vec![rule(&["ohio"], &["state"])];
        let mut a = Analyzers::new();
        let vocab = Vocabulary::new(&k, &mut a);
        let unknown = |q: &str, a: &mut Analyzers| Plan::new(q, &vocab, a).unknown_names;
        assert_eq!(unknown("pay in ohio?", &mut a), ["ohio"]);
        assert_eq!(
            unknown("pay in New Mexico", &mut a),
            ["Mexico", "new mexico"]
        );
        assert!(unknown("pay in new york", &mut a).is_empty());
        assert!(unknown("new york or ohio, which pays more", &mut a).is_empty());
    }
    use super::*;
    use hitbot_knowledge::{Entry, SynonymRule};

    fn entry(id: &str, questions: &[&str], answer: &str) -> Entry {
        Entry {
            id: id.into(),
            topic: "salary".into(),
            title: id.into(),
            questions: questions.iter().map(|q| q.to_string()).collect(),
            keywords: Vec::new(),
            answer: answer.into(),
            related: Vec::new(),
            source: "test".into(),
            career: None,
            file: "t.toml".into(),
            line: 1,
        }
    }

    fn rule(from: &[&str], to: &[&str]) -> SynonymRule {
        SynonymRule {
            from: from.iter().map(|s| s.to_string()).collect(),
            to: to.iter().map(|s| s.to_string()).collect(),
            line: 1,
        }
    }

    fn fixture() -> (Vocabulary, Analyzers) {
        let knowledge = Knowledge {
            entries: vec![
                entry(
                    "salary",
                    &["how much do technicians earn"],
                    "The median salary is high.",
                ),
                entry(
                    "ehr",
                    &["what is an electronic health record"],
                    "Records kept on computers.",
                ),
                entry(
                    "rhit",
                    &["what is the rhit credential"],
                    "Registered Health Information Technician.",
                ),
                entry(
                    "skill",
                    &["organization skills"],
                    "Keeping the records dentists hand over in order.",
                ),
                entry(
                    "orgs",
                    &["which professional associations exist"],
                    "Four associations, the oldest from 1928.",
                ),
            ],
            synonyms: vec![
                rule(&["salary", "pay", "wage"], &["salary", "pay", "wage"]),
                rule(&["make"], &["salary"]),
                rule(
                    &["ehr", "emr", "electronic health record"],
                    &["ehr", "emr", "electronic health record"],
                ),
                rule(&["organizations"], &["associations"]),
                rule(
                    &["associate", "two year degree"],
                    &["associate", "two year degree"],
                ),
                rule(
                    &["associations", "societies"],
                    &["associations", "societies"],
                ),
            ],
            synonyms_file: "synonyms.toml".into(),
            other_topics: vec!["dentist".into(), "plumber".into()],
            guide: hitbot_knowledge::Guide {
                subject: vec!["hit".into(), "health information technicians".into()],
                ..hitbot_knowledge::Guide::default()
            },
            ..Knowledge::default()
        };
        let mut a = Analyzers::new();
        let v = Vocabulary::new(&knowledge, &mut a);
        (v, a)
    }

    fn plan(q: &str) -> Plan {
        let (v, mut a) = fixture();
        Plan::new(q, &v, &mut a)
    }

    #[test]
    fn a_decade_finds_the_years_in_it() {
        for q in [
            "which association goes back to the 1920s",
            "1920s association?",
        ] {
            let p = plan(q);
            let decade = p.slots.iter().find(|s| s.word.contains("20s")).expect(q);
            assert!(decade.known, "{q}: {decade:?}");
            assert!(
                decade.alternatives.contains(&vec!["1928".to_string()]),
                "{q}"
            );
        }
        let p = plan("what happened in the 1930s");
        assert!(p.slots.iter().all(|s| !s.known || !s.word.contains("30s")));
    }

    #[test]
    fn synonyms_expand_both_ways_for_groups() {
        let p = plan("wage");
        assert_eq!(p.slots.len(), 1);
        assert!(p.slots[0].known);
        assert!(p.slots[0]
            .alternatives
            .contains(&vec!["salari".to_string()]));
    }

    #[test]
    fn one_way_expansions_do_not_reverse() {
        assert!(plan("make").slots[0]
            .alternatives
            .contains(&vec!["salari".to_string()]));
        let salary = plan("salary");
        assert!(!salary.slots[0]
            .alternatives
            .contains(&vec!["make".to_string()]));
    }

    #[test]
    fn multi_word_phrases_become_one_slot_with_their_abbreviation() {
        let p = plan("electronic health record");
        assert_eq!(p.slots.len(), 1, "{:?}", p.slots);
        assert!(p.slots[0].alternatives.contains(&vec!["ehr".to_string()]));
        let p = plan("emr");
        assert!(p.slots[0].alternatives.contains(&vec![
            "electron".to_string(),
            "health".to_string(),
            "record".to_string()
        ]));
    }

    #[test]
    fn words_that_stem_alike_keep_their_own_synonyms() {
        // "associate" (the degree) and "associations" (the bodies) both stem to "associ".
        let degree = plan("associate");
        assert!(degree.slots[0].alternatives.contains(&vec![
            "two".into(),
            "year".into(),
            "degre".into()
        ]));
        assert!(
            !degree.slots[0]
                .alternatives
                .contains(&vec!["societi".to_string()]),
            "{:?}",
            degree.slots
        );
        let bodies = plan("associations");
        assert!(
            bodies.slots[0]
                .alternatives
                .contains(&vec!["societi".to_string()]),
            "{:?}",
            bodies.slots
        );
        assert!(
            !bodies.slots[0].alternatives.iter().any(|f| f.len() == 3),
            "{:?}",
            bodies.slots
        );
    }

    #[test]
    fn unknown_words_are_corrected_and_known_words_kept() {
        let p = plan("salery");
        assert_eq!(p.slots[0].corrected.as_deref(), Some("salary"));
        assert!(p.slots[0].known);
        let p = plan("records");
        assert_eq!(p.slots[0].corrected, None);
    }

    #[test]
    fn misspelled_stop_words_are_dropped() {
        assert!(plan("waht salary").slots.iter().all(|s| s.word != "waht"));
        assert!(plan("teh salary").slots.iter().all(|s| s.word != "teh"));
        assert!(plan("dan salary").slots.iter().any(|s| s.word == "dan"));
    }

    #[test]
    fn coverage_decides_abstention() {
        let (v, mut a) = fixture();
        let in_scope = Plan::new("technician salary", &v, &mut a);
        assert!(v.coverage(&in_scope, 0) > 0.9);
        // Another occupation's pay: the unknown words outweigh the matched one.
        let other = Plan::new("dental hygienist salary", &v, &mut a);
        assert!(v.coverage(&other, 0) < 0.5, "{}", v.coverage(&other, 0));
        let foreign = Plan::new("how much do dentists earn", &v, &mut a);
        assert!(foreign.foreign);
        // Someone the job deals with is not the question's subject.
        for q in [
            "do they work with dentists at all",
            "what happens after a dentist hands off the records",
        ] {
            let dealt_with = Plan::new(q, &v, &mut a);
            assert!(!dealt_with.foreign, "{q}");
            assert!(dealt_with
                .slots
                .iter()
                .all(|s| !s.word.starts_with("dentist")));
        }
        // Only someone the knowledge speaks of.
        assert!(Plan::new("can you help me with a plumber", &v, &mut a).foreign);
        let compared = Plan::new(
            "do health information technicians earn more than dentists",
            &v,
            &mut a,
        );
        assert!(!compared.foreign);
        assert!(compared.slots.iter().all(|s| s.word != "dentists"));
        let nothing = Plan::new("qwpoeiru zmxn", &v, &mut a);
        assert_eq!(nothing.known_slots(), 0);
        assert_eq!(v.coverage(&nothing, 0), 0.0);
    }

    #[test]
    fn answer_only_matches_count_less() {
        let (v, mut a) = fixture();
        let p = Plan::new("median", &v, &mut a);
        let c = v.coverage(&p, 0);
        assert!((c - ANSWER_ONLY_CREDIT).abs() < 1e-6, "{c}");
    }

    #[test]
    fn this_career_points_at_the_subject_and_is_not_searched() {
        let words = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(deictic_nouns(&words("is this career worth it")), vec![2]);
        assert!(deictic_nouns(&words("list the career paths")).is_empty());
        assert!(plan("is this career salary good")
            .slots
            .iter()
            .all(|s| s.word != "career"));
    }

    #[test]
    fn naming_the_subject_discounts_unknown_words() {
        let words = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let phrases = vec![words("hit"), words("health information technician")];
        let subject = |q: &str| subject_words(&words(q), &phrases);
        assert!(subject("in plain english what does a hit do").1);
        assert!(subject("is a health information technician for me").1);
        assert!(!subject("is this career worth it").0.is_empty());
        assert!(!subject("is this career worth it").1);
        assert!(subject("is it going to snow").0.is_empty());
    }
}
