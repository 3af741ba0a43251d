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
/// Weight of an unknown token with digits ("50k", "401k"): numbers say little about the topic.
const NUMBER_WEIGHT: f32 = 1.0;

/// Terms and statistics of the knowledge, computed once per index.
#[derive(Debug, Default)]
pub struct Vocabulary {
    n_docs: usize,
    df: HashMap<String, u32>,
    entry_terms: Vec<HashSet<String>>,
    /// Surface word → index term, for every word of the knowledge and the synonyms.
    surface_term: HashMap<String, String>,
    speller: Speller,
    /// Synonym phrase (as terms) → the forms it expands to.
    expansions: HashMap<Vec<String>, Vec<Vec<String>>>,
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
}

impl Plan {
    pub fn new(question: &str, vocab: &Vocabulary, a: &mut Analyzers) -> Plan {
        let text = match question.char_indices().nth(MAX_QUESTION_CHARS) {
            Some((cut, _)) => &question[..cut],
            None => question,
        };
        // 1. Content words, each resolved to a known term, a correction, or left unknown.
        let mut words: Vec<(String, String, Option<String>)> = Vec::new();
        for word in analyzer::tokens(&mut a.surface, text) {
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
                let key: Vec<String> = words[i..i + len].iter().map(|w| w.1.clone()).collect();
                if let Some(forms) = vocab.expansions.get(&key) {
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
                word: part.iter().map(|w| w.0.as_str()).collect::<Vec<_>>().join(" "),
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
        Plan { slots }
    }

    pub fn known_slots(&self) -> usize {
        self.slots.iter().filter(|s| s.known).count()
    }

    /// Total weight of the question.
    pub fn weight(&self) -> f32 {
        self.slots.iter().map(|s| s.weight).sum()
    }
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
            let texts = std::iter::once(&e.title)
                .chain(&e.questions)
                .chain(&e.keywords)
                .chain(std::iter::once(&e.answer));
            for text in texts {
                for word in analyzer::tokens(&mut a.surface, text) {
                    if let Some(term) = v.term_of(&word, a) {
                        if !word.chars().any(|c| c.is_ascii_digit()) {
                            *counts.entry(word.clone()).or_default() += 1;
                        }
                        v.surface_term.entry(word).or_insert_with(|| term.clone());
                        terms.insert(term);
                    }
                }
            }
            for t in &terms {
                *v.df.entry(t.clone()).or_default() += 1;
            }
            v.entry_terms.push(terms);
        }
        // Synonyms: phrases as term sequences; one level of chaining ("make" → salary → pay, wage…).
        let mut rules: Vec<(Vec<Vec<String>>, Vec<Vec<String>>)> = Vec::new();
        for rule in &knowledge.synonyms {
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
            rules.push((analyse(&rule.from), analyse(&rule.to)));
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
        v.longest_phrase = expansions.keys().map(Vec::len).max().unwrap_or(1);
        v.phrase_starts = expansions.keys().filter_map(|k| k.first().cloned()).collect();
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
                self.idf(0)
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

    /// Share of the plan's weight whose slots the entry contains (any form, all its terms).
    pub fn coverage(&self, plan: &Plan, entry: usize) -> f32 {
        let Some(terms) = self.entry_terms.get(entry) else {
            return 0.0;
        };
        let total = plan.weight();
        if total <= 0.0 {
            return 0.0;
        }
        let covered: f32 = plan
            .slots
            .iter()
            .filter(|s| s.forms().any(|(f, _)| !f.is_empty() && f.iter().all(|t| terms.contains(t))))
            .map(|s| s.weight)
            .sum();
        (covered / total).clamp(0.0, 1.0)
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
        for phrase in rule.from.iter().chain(&rule.to) {
            let terms: Vec<String> = analyzer::tokens(&mut a.full, phrase);
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
