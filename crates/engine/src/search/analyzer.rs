//! The English analyzer shared by indexing and querying: split on non-alphanumerics, drop very long
//! tokens, lower-case, fold accents to ASCII, drop chat stop words, stem. Registered under
//! [`ANALYZER`] every time an index is opened, and used on questions so both sides agree on terms.

use rustc_hash::FxHashSet as HashSet;
use std::sync::OnceLock;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer,
};

/// Name under which the analyzer is registered in the index.
pub const ANALYZER: &str = "hitbot_en";

/// Words that carry no topic in a chat question: English function words, question words that do not
/// pick a topic, chat filler and contraction remnants ("what's" → "what", "s").
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "actually",
    "already",
    "although",
    "always",
    "anybody",
    "anyway",
    "anyways",
    "around",
    "ask",
    "asking",
    "back",
    "basically",
    "currently",
    "curious",
    "definitely",
    "especially",
    "even",
    "exactly",
    "feel",
    "guess",
    "hear",
    "heard",
    "hm",
    "hmm",
    "honestly",
    "hoping",
    "however",
    "idk",
    "literally",
    "look",
    "looks",
    "looking",
    "lol",
    "lit",
    "nah",
    "rn",
    "tho",
    "ya",
    "sorta",
    "lowkey",
    "ngl",
    "tbh",
    "fr",
    "bruh",
    "mean",
    "mostly",
    "never",
    "often",
    "probably",
    "seem",
    "seems",
    "since",
    "sometimes",
    "soon",
    "though",
    "thinking",
    "think",
    "trying",
    "whether",
    "wondering",
    "wonder",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "anyone",
    "anything",
    "are",
    "aren",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "cannot",
    "could",
    "couldn",
    "d",
    "did",
    "didn",
    "do",
    "does",
    "doesn",
    "doing",
    "don",
    "down",
    "during",
    "each",
    "eh",
    "either",
    "else",
    "etc",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "generally",
    "get",
    "gets",
    "getting",
    "give",
    "go",
    "going",
    "gonna",
    "got",
    "had",
    "hadn",
    "has",
    "hasn",
    "have",
    "haven",
    "having",
    "he",
    "hello",
    "her",
    "here",
    "hers",
    "hiya",
    "hold",
    "holds",
    "herself",
    "hey",
    "hi",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "im",
    "in",
    "into",
    "is",
    "isn",
    "it",
    "its",
    "itself",
    "just",
    "kind",
    "kinda",
    "know",
    "let",
    "ll",
    "lot",
    "lots",
    "m",
    "may",
    "maybe",
    "me",
    "might",
    "more",
    "mine",
    "much",
    "must",
    "my",
    "myself",
    "need",
    "needs",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "ok",
    "okay",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "please",
    "pls",
    "plz",
    "pretty",
    "question",
    "quick",
    "quickly",
    "quite",
    "re",
    "really",
    "s",
    "same",
    "say",
    "says",
    "she",
    "should",
    "shouldn",
    "so",
    "some",
    "something",
    "sort",
    "still",
    "such",
    "sure",
    "t",
    "tell",
    "than",
    "thank",
    "thanks",
    "thanx",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "this",
    "those",
    "through",
    "thx",
    "to",
    "too",
    "u",
    "under",
    "until",
    "up",
    "ur",
    "us",
    "usually",
    "ve",
    "very",
    "want",
    "wanna",
    "was",
    "wasn",
    "way",
    "we",
    "well",
    "were",
    "weren",
    "what",
    "whats",
    "which",
    "while",
    "whom",
    "will",
    "with",
    "w",
    "won",
    "would",
    "wouldn",
    "y",
    "yeah",
    "yo",
    "yes",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// Longest token kept; longer runs of letters are noise (pasted hashes, keyboard mashing).
const MAX_TOKEN_LEN: usize = 40;

pub fn stop_words() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

/// The full analyzer, as registered in the index.
pub fn full() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|w| w.to_string()),
        ))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The first half of [`full`]: surface words, lower-cased and folded, stop words kept.
pub fn surface() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The second half of [`full`] for one surface word: the stemmer alone.
pub fn stemmer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Runs an analyzer over `text`, returning the token texts in order.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// Analyzers for one thread of work; cheap to clone from a prototype.
#[derive(Clone)]
pub struct Analyzers {
    pub full: TextAnalyzer,
    pub surface: TextAnalyzer,
    pub stemmer: TextAnalyzer,
}

impl Analyzers {
    pub fn new() -> Analyzers {
        Analyzers {
            full: full(),
            surface: surface(),
            stemmer: stemmer(),
        }
    }

    /// The index term of one surface word (already lower-cased and folded), or `None` for a stop word.
    pub fn term(&mut self, word: &str) -> Option<String> {
        if stop_words().contains(word) {
            return None;
        }
        let mut stream = self.stemmer.token_stream(word);
        stream.next().map(|t| t.text.clone())
    }
}

impl Default for Analyzers {
    fn default() -> Self {
        Analyzers::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_analyzer_lowercases_folds_drops_stop_words_and_stems() {
        let got = tokens(&mut full(), "What's the Salary of HITs in Café-land?");
        assert_eq!(got, vec!["salari", "hit", "cafe", "land"]);
    }

    #[test]
    fn surface_then_term_equals_full() {
        let mut a = Analyzers::new();
        let text = "Which organizations do registered technicians join, and what's their pay?";
        let words = tokens(&mut a.surface.clone(), text);
        let split: Vec<String> = words.iter().filter_map(|w| a.term(w)).collect();
        assert_eq!(split, tokens(&mut a.full, text));
    }
}
