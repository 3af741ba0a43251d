//! From question text to a query plan: surface words → stop words dropped → known terms kept, unknown
//! words spelling-corrected against the knowledge vocabulary → synonym phrases matched (longest first)
//! and expanded. Also the vocabulary statistics (document frequency, terms per entry) that weigh the
//! plan's slots and measure how much of a question an entry covers.

use std::collections::{HashMap, HashSet};

use super::analyzer::{self, Analyzers};
use super::spelling::Speller;
use crate::knowledge::{Knowledge, Problem};

/// Longest question text analysed; the rest is ignored (a question is a few lines at most).
const MAX_QUESTION_CHARS: usize = 2000;
/// Most content words a plan keeps.
const MAX_SLOTS: usize = 32;
/// Weight of a synonym form relative to the word the user typed.
const SYNONYM_WEIGHT: f32 = 0.7;
/// Weight of a spelling-corrected word relative to a correctly spelled one.
const CORRECTED_WEIGHT: f32 = 0.9;
/// Weight of a word the knowledge has never seen, relative to the rarest known word. Unknown words
/// are what out-of-scope questions are made of ("dental hygienist", "snow"), so they weigh a lot.
const UNKNOWN_FACTOR: f32 = 0.7;
/// When the question names the bot's subject ("HITs", "this career"), unknown words are more likely
/// chatter ("in plain english…") than another topic, and weigh this much less.
const ANCHORED_UNKNOWN_FACTOR: f32 = 0.4;
/// Surface-word phrases that name the subject of the whole knowledge base.
const SUBJECT_PHRASES: &[&[&str]] = &[
    &["hit"],
    &["hits"],
    &["rhit"],
    &["health", "information", "technician"],
    &["health", "information", "technicians"],
    &["health", "info", "tech"],
    &["health", "info", "technician"],
    &["health", "information", "tech"],
    &["health", "information", "technology"],
    &["health", "it"],
];
/// "this career", "the job"…: a reference to the subject at hand.
const DEICTIC: &[&str] = &["this", "the", "that", "such", "a"];
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
    df: HashMap<String, u32>,
    entry_terms: Vec<HashSet<String>>,
    /// Terms of the questions, title and keywords only: matching there is stronger evidence.
    entry_strong_terms: Vec<HashSet<String>>,
    /// Terms of each alternate question of each entry.
    entry_questions: Vec<Vec<Vec<String>>>,
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
}

impl Slot {
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
}

impl Plan {
    pub fn new(question: &str, vocab: &Vocabulary, a: &mut Analyzers) -> Plan {
        let text = match question.char_indices().nth(MAX_QUESTION_CHARS) {
            Some((cut, _)) => &question[..cut],
            None => question,
        };
        let surface = analyzer::tokens(&mut a.surface, text);
        let anchored = names_subject(&surface);
        // 1. Content words, each resolved to a known term, a correction, or left unknown.
        let mut words: Vec<(String, String, Option<String>)> = Vec::new();
        for word in surface {
            if words.len() >= MAX_SLOTS * 2 {
                break;
            }
            let Some(term) = vocab.term_of(&word, a) else {
                continue;
            };
            if vocab.knows(&term) {
                words.push((word, term, None));
                continue;
            }
            match vocab.speller.correct(&word) {
                Some(fixed) => {
                    let fixed_term = vocab.term_of(fixed, a).unwrap_or_else(|| fixed.to_string());
                    words.push((word, fixed_term, Some(fixed.to_string())));
                }
                None => words.push((word, term, None)),
            }
        }
        // 2. Synonym phrases, longest first.
        let mut slots: Vec<Slot> = Vec::new();
        let mut i = 0;
        while i < words.len() && slots.len() < MAX_SLOTS {
            let mut matched = 1;
            let mut alternatives = Vec::new();
            for len in (1..=vocab.longest_phrase.min(words.len() - i)).rev() {
                let typed: Vec<String> = words[i..i + len]
                    .iter()
                    .map(|w| w.2.clone().unwrap_or_else(|| w.0.clone()))
                    .collect();
                let key: Vec<String> = words[i..i + len].iter().map(|w| w.1.clone()).collect();
                if let Some(forms) = vocab
                    .surface_expansions
                    .get(&typed)
                    .or_else(|| vocab.expansions.get(&key))
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
            };
            let known = slot.forms().any(|(f, _)| vocab.knows_all(f));
            slot.known = known;
            slot.weight = vocab.weight(&slot);
            if !slots.iter().any(|s| s.terms == slot.terms) {
                slots.push(slot);
            }
            i += matched;
        }
        Plan { slots, anchored }
    }

    pub fn known_slots(&self) -> usize {
        self.slots.iter().filter(|s| s.known).count()
    }

    /// Total weight of the question.
    pub fn weight(&self) -> f32 {
        self.slots.iter().map(|s| self.slot_weight(s)).sum()
    }

    /// A slot's weight in this question: unknown words count less when the subject is named.
    pub fn slot_weight(&self, slot: &Slot) -> f32 {
        if !slot.known && self.anchored {
            slot.weight * ANCHORED_UNKNOWN_FACTOR
        } else {
            slot.weight
        }
    }
}

/// Whether surface words name the subject: "HIT", "health information technician", "this career"…
fn names_subject(words: &[String]) -> bool {
    let has = |i: usize, phrase: &[&str]| {
        phrase
            .iter()
            .enumerate()
            .all(|(k, p)| words.get(i + k).is_some_and(|w| w == p))
    };
    (0..words.len()).any(|i| {
        SUBJECT_PHRASES.iter().any(|p| has(i, p))
            || (DEICTIC.contains(&words[i].as_str())
                && words.get(i + 1).is_some_and(|w| {
                    SUBJECT_NOUNS
                        .iter()
                        .any(|n| w == n || w.strip_suffix('s') == Some(n))
                }))
    })
}

impl Vocabulary {
    pub fn new(knowledge: &Knowledge, a: &mut Analyzers) -> Vocabulary {
        let mut v = Vocabulary {
            n_docs: knowledge.entries.len(),
            ..Vocabulary::default()
        };
        let mut counts: HashMap<String, u32> = HashMap::new();
        for e in &knowledge.entries {
            let mut terms = HashSet::new();
            let mut strong = HashSet::new();
            let mut questions = Vec::new();
            let texts = std::iter::once(&e.title)
                .chain(&e.questions)
                .chain(&e.keywords)
                .chain(std::iter::once(&e.answer));
            for (n, text) in texts.enumerate() {
                let mut these = Vec::new();
                for word in analyzer::tokens(&mut a.surface, text) {
                    if let Some(term) = v.term_of(&word, a) {
                        if !word.chars().any(|c| c.is_ascii_digit()) {
                            *counts.entry(word.clone()).or_default() += 1;
                        }
                        v.surface_term.entry(word).or_insert_with(|| term.clone());
                        these.push(term);
                    }
                }
                let is_answer = n == 1 + e.questions.len() + e.keywords.len();
                if !is_answer {
                    strong.extend(these.iter().cloned());
                }
                if (1..=e.questions.len()).contains(&n) {
                    questions.push(these.clone());
                }
                terms.extend(these);
            }
            for t in &terms {
                *v.df.entry(t.clone()).or_default() += 1;
            }
            v.entry_terms.push(terms);
            v.entry_strong_terms.push(strong);
            v.entry_questions.push(questions);
        }
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
        let mut expansions: HashMap<Vec<String>, Vec<Vec<String>>> = HashMap::new();
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
        let mut surface_expansions: HashMap<Vec<String>, Vec<Vec<String>>> = HashMap::new();
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
        self.df.contains_key(term) || self.phrase_starts.contains(term)
    }

    /// Whether every term of a form occurs in the knowledge.
    pub fn knows_all(&self, form: &[String]) -> bool {
        !form.is_empty() && form.iter().all(|t| self.df.contains_key(t))
    }

    /// BM25-style inverse document frequency; an unseen term gets the highest.
    fn idf(&self, df: u32) -> f32 {
        let n = self.n_docs as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    fn form_weight(&self, form: &[String]) -> f32 {
        form.iter()
            .map(|t| self.idf(self.df.get(t).copied().unwrap_or(0)))
            .fold(0.0, f32::max)
    }

    fn weight(&self, slot: &Slot) -> f32 {
        if !slot.known {
            return if slot.word.chars().any(|c| c.is_ascii_digit()) {
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
        let has = |set: &HashSet<String>, s: &Slot| {
            s.forms()
                .any(|(f, _)| !f.is_empty() && f.iter().all(|t| set.contains(t)))
        };
        let covered: f32 = plan
            .slots
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
            .sum();
        covered
    }

    /// How closely the question matches the entry's closest alternate question: weighted overlap
    /// over weighted union, in [0, 1].
    pub fn question_similarity(&self, plan: &Plan, entry: usize) -> f32 {
        let Some(questions) = self.entry_questions.get(entry) else {
            return 0.0;
        };
        let total = plan.weight();
        let mut best: f32 = 0.0;
        for q in questions {
            let mut matched = 0.0;
            let mut used: HashSet<&str> = HashSet::new();
            for s in &plan.slots {
                let form = s
                    .forms()
                    .find(|(f, _)| !f.is_empty() && f.iter().all(|t| q.contains(t)));
                if let Some((f, _)) = form {
                    matched += plan.slot_weight(s);
                    used.extend(f.iter().map(String::as_str));
                }
            }
            let extra: f32 = q
                .iter()
                .filter(|t| !used.contains(t.as_str()))
                .collect::<HashSet<_>>()
                .into_iter()
                .map(|t| self.idf(self.df.get(t).copied().unwrap_or(0)))
                .sum();
            let union = total + extra;
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
        let mut seen = HashSet::new();
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
