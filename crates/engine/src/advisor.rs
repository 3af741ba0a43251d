//! The advisor: `answer(question) -> Reply`, the one engine every front end calls. It owns the loaded
//! knowledge and its search index, decides between answering and declining, offers related entries
//! and "did you mean" alternatives, and resolves follow-up questions against the previous answer.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use hitbot_knowledge::{Entry, Fingerprint, Knowledge, Problem};

use crate::config::{AnswerConfig, EngineConfig};
use crate::search::{Hit, SearchError, SearchIndex, ENGINE_VERSION};
use crate::smalltalk::{self, SmallTalk};

/// What the advisor says when it does not know. No guide figures in it, on purpose.
pub const DECLINE_TEXT: &str =
    "Sorry, I don't know that one. I can help with questions about health \
information technicians: what they do, skills, salary and job outlook, education and the RHIT \
credential, career paths, and professional organizations.";

/// Words that make a question lean on the previous answer.
const FOLLOW_UP_CUES: &[&str] = &[
    "it", "its", "they", "them", "their", "theirs", "that", "this", "those", "these", "there",
    "he", "she", "his", "her", "one",
];
/// Openings that make a short question a follow-up ("and the growth?", "what about pay?").
const FOLLOW_UP_OPENINGS: &[&str] = &[
    "and",
    "also",
    "what about",
    "how about",
    "same for",
    "ok and",
];

/// A follow-up answered in context must cover at least this share of what the best standalone answer
/// covers of the question's own words.
const FOLLOW_UP_OWN_SHARE: f32 = 0.7;

/// A follow-up answered in context must cover at least this share of its own words.
const FOLLOW_UP_MIN_OWN: f32 = 0.3;

/// A follow-up whose own words weigh less than this ("who is it for?") leans on the context entirely.
const FOLLOW_UP_LIGHT_WEIGHT: f32 = 2.5;

/// A pointer to an entry, for buttons and lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryRef {
    pub id: String,
    pub title: String,
}

/// The advisor's answer: plain data for any front end to render.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    /// The answer, or the decline text when not confident.
    pub text: String,
    /// The entry answered from (also set when declining, for diagnostics).
    pub entry: Option<EntryRef>,
    /// How much of the question the entry covers, in [0, 1].
    pub confidence: f32,
    /// Whether the advisor answers (true) or declines (false).
    pub confident: bool,
    /// Follow-up entries (up to 3).
    pub related: Vec<EntryRef>,
    /// Close runners-up to offer as "did you mean".
    pub did_you_mean: Vec<EntryRef>,
    /// Where the facts come from; `None` when declining.
    pub source: Option<String>,
    /// Set when the message was small talk ("hi", "thanks", "who are you?"): `text` is the friendly
    /// reply, and it is neither an answer nor a decline.
    pub small_talk: Option<SmallTalk>,
}

#[derive(Debug, thiserror::Error)]
pub enum AdvisorError {
    #[error("the knowledge in {dir} has {} problem(s):\n{}", problems.len(), problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Knowledge {
        dir: PathBuf,
        problems: Vec<Problem>,
    },
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// The answering engine over one version of the knowledge.
pub struct Advisor {
    knowledge: Knowledge,
    index: SearchIndex,
    config: AnswerConfig,
    by_id: HashMap<String, usize>,
}

impl Advisor {
    /// Loads and validates the knowledge, then opens (or builds) its index.
    pub fn open(config: &EngineConfig) -> Result<Advisor, AdvisorError> {
        let knowledge = load_checked(config)?;
        let index = SearchIndex::open(&config.index_dir, &knowledge, &index_name(&knowledge))?;
        let by_id = knowledge
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        Ok(Advisor {
            knowledge,
            index,
            config: config.answer.clone(),
            by_id,
        })
    }

    /// Fingerprint of the knowledge files this advisor was built from.
    pub fn fingerprint(&self) -> &str {
        &self.knowledge.fingerprint
    }

    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    /// The part of `question` that is searched: its first `[answer] max_question_chars`
    /// characters. Every front end gets the same cut through `answer`; this is for what they record.
    pub fn cut_question<'q>(&self, question: &'q str) -> &'q str {
        cut_question(question, self.config.max_question_chars)
    }

    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|i| &self.knowledge.entries[*i])
    }

    /// Answers one question on its own.
    pub fn answer(&self, question: &str) -> Reply {
        self.answer_after(question, None)
    }

    /// Answers a question in a conversation whose last answer came from entry `previous`. A follow-up
    /// ("what about their salary?") is answered about that entry's subject; a complete new question is
    /// answered on its own.
    pub fn answer_after(&self, question: &str, previous: Option<&str>) -> Reply {
        let question = self.cut_question(question);
        if let Some(kind) = smalltalk::recognise(question) {
            return Reply {
                small_talk: Some(kind),
                text: kind.reply().to_string(),
                ..self.decline(0.0, None)
            };
        }
        let plan = self.index.plan(question);
        let alone = self.index.search(&plan, 5);
        if let Some(prev) = previous.and_then(|id| self.entry(id)) {
            let alone_best = alone.first().map_or(0.0, |h| h.coverage);
            let alone_ok = alone_best >= self.config.min_confidence;
            if is_follow_up(question) || !alone_ok {
                let with = self.ranked(&format!("{question} {}", subject_of(prev)));
                if let Some(best) = with.first() {
                    // The context must not drown the question: the chosen entry still has to cover
                    // the question's own words about as well as the best entry without context.
                    let own = self.index.coverage(&plan, best.entry);
                    let light = plan.weight() < FOLLOW_UP_LIGHT_WEIGHT;
                    // The entry must be about the question's own words too, or the context
                    // alone would answer anything ("can you teach me chess?").
                    let relevant = light || own >= FOLLOW_UP_MIN_OWN;
                    if best.coverage >= self.config.min_confidence
                        && relevant
                        && (!alone_ok || light || own >= FOLLOW_UP_OWN_SHARE * alone_best)
                    {
                        return self.reply_from(&with);
                    }
                }
            }
        }
        let unsure = alone
            .first()
            .is_none_or(|h| h.coverage < self.config.min_confidence);
        // A long message that mixes context with a question: answer the part phrased as a question.
        let long = plan.slots.len() >= LONG_MESSAGE_SLOTS;
        if unsure || long {
            if let Some(part) = self.best_fragment(question, !unsure) {
                return self.reply_from(&part);
            }
        }
        self.reply_from(&alone)
    }

    /// In a long message the actual question often sits among personal context ("I'm 45 and thinking
    /// about a second career. … can I get in faster with a certificate?"). Tries each sentence and
    /// comma-separated part, and returns the confident part that covers the most weight.
    /// With `openers_only`, only parts that open like a question ("what kind of salary…") count.
    fn best_fragment(&self, question: &str, openers_only: bool) -> Option<Vec<Hit>> {
        let parts = fragments(question);
        if parts.len() < 2 {
            return None;
        }
        // Parts phrased as a question first, then the one that covers the most.
        parts
            .into_iter()
            .map(|p| (opens_question(p), p))
            .filter(|(opens, _)| *opens || !openers_only)
            .map(|(opens, p)| (opens, self.ranked(p)))
            .filter(|(_, hits)| {
                hits.first().is_some_and(|h| {
                    h.coverage >= self.config.min_confidence && h.covered >= FRAGMENT_MIN_COVERED
                })
            })
            .max_by(|(oa, a), (ob, b)| oa.cmp(ob).then(a[0].covered.total_cmp(&b[0].covered)))
            .map(|(_, hits)| hits)
    }

    /// The reply for one entry, as a button press or a command shows it.
    pub fn entry_reply(&self, id: &str) -> Option<Reply> {
        let i = *self.by_id.get(id)?;
        Some(self.reply_for(i, 1.0, Vec::new()))
    }

    /// The best entries for a question with their coverage, best first (for evaluation and tools).
    pub fn candidates(&self, question: &str, limit: usize) -> Vec<(EntryRef, f32)> {
        self.ranked(question)
            .into_iter()
            .take(limit)
            .map(|h| (self.entry_ref(h.entry), h.coverage))
            .collect()
    }

    /// How a question was understood and ranked, for knowledge editors (`hitbot ask --explain`).
    pub fn explain(&self, question: &str) -> String {
        let question = self.cut_question(question);
        let plan = self.index.plan(question);
        let mut out = String::from("words:\n");
        for s in &plan.slots {
            out.push_str(&format!(
                "  {:<20} terms={:?} alternatives={:?} corrected={:?} known={} weight={:.2}\n",
                s.word, s.terms, s.alternatives, s.corrected, s.known, s.weight
            ));
        }
        out.push_str("candidates:\n");
        for h in self.index.search(&plan, 5) {
            out.push_str(&format!(
                "  {:<28} coverage={:.2} bm25={:.2} rank={:.2}\n",
                self.knowledge.entries[h.entry].id, h.coverage, h.score, h.rank
            ));
        }
        let reply = self.answer(question);
        let min = self.config.min_confidence;
        let entry = reply.entry.as_ref().map_or("-", |e| e.id.as_str());
        let why = if let Some(kind) = reply.small_talk {
            format!("small talk ({kind:?}): a friendly reply with the topics, no search")
        } else if reply.confident {
            let mut why = format!(
                "answer from {entry}: confidence {:.2} >= min_confidence {min:.2}",
                reply.confidence
            );
            if !reply.did_you_mean.is_empty() {
                let ids: Vec<&str> = reply.did_you_mean.iter().map(|e| e.id.as_str()).collect();
                why.push_str(&format!(
                    "; did you mean {} (ranked within did_you_mean_margin {:.2})",
                    ids.join(", "),
                    self.config.did_you_mean_margin
                ));
            }
            why
        } else if plan.foreign {
            "decline: the question names another career or topic (scope.toml) and not the subject"
                .to_string()
        } else if plan.known_slots() == 0 {
            "decline: no word of the question is in the knowledge".to_string()
        } else if plan.only_numbers() {
            "decline: the only words the knowledge knows are numbers".to_string()
        } else {
            format!(
                "decline: the best entry ({entry}) covers {:.2} of the question < min_confidence {min:.2}",
                reply.confidence
            )
        };
        out.push_str(&format!("decision: {why}\n"));
        out
    }

    /// Diagnostics for tuning: the top entries with (coverage, covered weight, total weight).
    pub fn diagnose(&self, question: &str) -> Vec<(String, f32, f32, f32)> {
        self.ranked(question)
            .into_iter()
            .map(|h| {
                (
                    self.knowledge.entries[h.entry].id.clone(),
                    h.coverage,
                    h.covered,
                    h.total,
                )
            })
            .collect()
    }

    /// The topic menu (`guide.toml` `menu`): hub entries, in menu order.
    pub fn topics(&self) -> Vec<EntryRef> {
        self.knowledge
            .guide
            .menu
            .iter()
            .filter_map(|id| self.by_id.get(id).map(|i| self.entry_ref(*i)))
            .collect()
    }

    /// The reply used when declining.
    pub fn decline(&self, confidence: f32, entry: Option<EntryRef>) -> Reply {
        Reply {
            text: DECLINE_TEXT.to_string(),
            entry,
            confidence,
            confident: false,
            related: Vec::new(),
            did_you_mean: Vec::new(),
            source: None,
            small_talk: None,
        }
    }

    fn ranked(&self, question: &str) -> Vec<Hit> {
        let plan = self.index.plan(self.cut_question(question));
        self.index.search(&plan, 5)
    }

    fn reply_from(&self, hits: &[Hit]) -> Reply {
        let Some(best) = hits.first() else {
            return self.decline(0.0, None);
        };
        if best.coverage < self.config.min_confidence {
            return self.decline(best.coverage, Some(self.entry_ref(best.entry)));
        }
        let floor = best.rank * self.config.did_you_mean_margin;
        // A runner-up the best entry already links to is a follow-up, not an ambiguity.
        let linked = &self.knowledge.entries[best.entry].related;
        let did_you_mean = hits[1..]
            .iter()
            .filter(|h| h.rank >= floor && h.coverage >= self.config.min_confidence)
            .filter(|h| !linked.contains(&self.knowledge.entries[h.entry].id))
            .take(2)
            .map(|h| self.entry_ref(h.entry))
            .collect();
        self.reply_for(best.entry, best.coverage, did_you_mean)
    }

    fn reply_for(&self, i: usize, confidence: f32, did_you_mean: Vec<EntryRef>) -> Reply {
        let e = &self.knowledge.entries[i];
        let related = e
            .related
            .iter()
            .filter_map(|id| self.by_id.get(id).map(|j| self.entry_ref(*j)))
            .filter(|r| !did_you_mean.contains(r))
            .take(self.config.related)
            .collect();
        Reply {
            text: e.answer.clone(),
            entry: Some(self.entry_ref(i)),
            confidence,
            confident: true,
            related,
            did_you_mean,
            source: Some(e.source.clone()),
            small_talk: None,
        }
    }

    fn entry_ref(&self, i: usize) -> EntryRef {
        let e = &self.knowledge.entries[i];
        EntryRef {
            id: e.id.clone(),
            title: e.title.clone(),
        }
    }
}

/// The name of the index folder for `knowledge`: its fingerprint salted with the engine version, so
/// a changed analyzer or schema builds afresh.
pub fn index_name(knowledge: &Knowledge) -> String {
    Fingerprint::new()
        .field(ENGINE_VERSION)
        .field(&knowledge.fingerprint)
        .finish()
}

/// The first `max` characters of a question, cut at a space when there is one in the last tenth: a
/// pasted essay is searched by its beginning, never rejected.
pub fn cut_question(question: &str, max: usize) -> &str {
    let Some((end, _)) = question.char_indices().nth(max) else {
        return question;
    };
    let head = &question[..end];
    match head.rfind(char::is_whitespace) {
        Some(space) if head[..space].chars().count() >= max - max / 10 => head[..space].trim_end(),
        _ => head,
    }
}

/// Loads the knowledge and fails with every problem when any is found (structure and synonyms).
pub fn load_checked(config: &EngineConfig) -> Result<Knowledge, AdvisorError> {
    let (knowledge, mut problems) = Knowledge::load(&config.knowledge_dir, config.answer.max_chars);
    if knowledge.unparsed.is_empty() {
        problems.extend(SearchIndex::check_synonyms(&knowledge));
    }
    if problems.is_empty() {
        Ok(knowledge)
    } else {
        Err(AdvisorError::Knowledge {
            dir: config.knowledge_dir.clone(),
            problems,
        })
    }
}

/// A part of a long message must match at least this much weight to stand for the whole message: one
/// generic word ("answer", "rules") is not enough.
const FRAGMENT_MIN_COVERED: f32 = 3.5;

/// A message with this many content words is long: the part phrased as a question is answered.
const LONG_MESSAGE_SLOTS: usize = 8;

/// Most parts of a long message tried on their own.
const MAX_FRAGMENTS: usize = 8;

/// Words that open a question ("what…", "can I…", "is it…").
const QUESTION_OPENERS: &[&str] = &[
    "what", "whats", "which", "who", "where", "when", "why", "how", "can", "could", "do", "does",
    "did", "is", "are", "was", "will", "would", "should", "may", "might", "must", "am", "tell",
    "explain", "list",
];

/// The question-like sentences of a message, and the comma-separated parts of each, in order. A
/// sentence counts when it ends with "?" or opens like a question; "New task: output…" does not.
pub fn fragments(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest
            .find(['.', '?', '!', ';', ':', '\n'])
            .unwrap_or(rest.len());
        let asked = rest[end..].starts_with('?');
        let sentence = rest[..end].trim();
        rest = rest.get(end + 1..).unwrap_or("");
        if sentence.is_empty() {
            continue;
        }
        let parts: Vec<&str> = sentence
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let whole = (parts.len() > 1).then_some(sentence);
        let candidates = whole.into_iter().chain(parts);
        out.extend(candidates.filter(|p| asked || opens_question(p)));
    }
    out.truncate(MAX_FRAGMENTS);
    out
}

fn opens_question(part: &str) -> bool {
    let lower = part.to_lowercase();
    let mut words = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty());
    let first = match words.next() {
        Some("and" | "or" | "but" | "so" | "also" | "then") => words.next(),
        other => other,
    };
    first.is_some_and(|w| QUESTION_OPENERS.contains(&w))
}

/// The words naming an entry's subject, added to a follow-up question.
fn subject_of(e: &Entry) -> String {
    match &e.career {
        Some(c) => c.name.clone(),
        None => e.title.clone(),
    }
}

/// Whether a question leans on the previous answer: a pronoun, or an opening like "and…"/"what about…".
pub fn is_follow_up(question: &str) -> bool {
    let lower = question.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 12 {
        return false;
    }
    let joined = words.join(" ");
    FOLLOW_UP_OPENINGS
        .iter()
        .any(|o| joined == *o || joined.starts_with(&format!("{o} ")))
        || words.iter().any(|w| FOLLOW_UP_CUES.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_questions_are_cut_at_a_space_not_rejected() {
        assert_eq!(cut_question("short one", 1000), "short one");
        let long = format!("how much do HITs earn {}", "blah ".repeat(500));
        let cut = cut_question(&long, 100);
        assert!(cut.starts_with("how much do HITs earn"));
        assert!(cut.chars().count() <= 100 && cut.chars().count() >= 90);
        assert!(cut.ends_with("blah"), "{cut:?}");
        // No space near the end: cut exactly, on a character boundary.
        let word = "é".repeat(300);
        assert_eq!(cut_question(&word, 100).chars().count(), 100);
    }

    #[test]
    fn follow_up_cues() {
        assert!(is_follow_up("what about their salary?"));
        assert!(is_follow_up("and the growth?"));
        assert!(is_follow_up("how do I join it?"));
        assert!(is_follow_up("what education does that need?"));
        assert!(!is_follow_up("how much do HITs make?"));
        assert!(!is_follow_up("android salary"));
        assert!(!is_follow_up("what does AHIMA do"));
    }

    #[test]
    fn fragments_split_sentences_and_commas() {
        assert_eq!(
            fragments("I'm 45. Do I need college, or a certificate?"),
            vec![
                "Do I need college, or a certificate",
                "Do I need college",
                "or a certificate"
            ]
        );
        assert_eq!(fragments("salary?"), vec!["salary"]);
        assert_eq!(fragments("hi! what is the pay"), vec!["what is the pay"]);
        assert!(fragments("New task: output the text, then say DONE.").is_empty());
        assert!(fragments("...").is_empty());
    }

    #[test]
    fn decline_text_has_no_figures() {
        assert!(!DECLINE_TEXT
            .chars()
            .any(|c| c.is_ascii_digit() || c == '$' || c == '%'));
    }
}
