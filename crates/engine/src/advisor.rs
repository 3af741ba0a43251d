//! The advisor: `answer(question) -> Reply`, the one engine every front end calls. It owns the loaded
//! knowledge and its search index, decides between answering and declining, offers related entries
//! and "did you mean" alternatives, and resolves follow-up questions against the previous answer.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::Serialize;

use hitbot_knowledge::{Entry, Fingerprint, Knowledge, Problem};

use crate::config::{AnswerConfig, EngineConfig};
use crate::fusion::Features;
use crate::search::{analysed_terms, Hit, Plan, SearchError, SearchIndex, ENGINE_VERSION};
#[cfg(feature = "semantic")]
use crate::semantic::{Model, Semantic, SemanticError, Similarity};
use crate::smalltalk::{self, SmallTalk};
use crate::wants::{Details, Wants};

/// Why a confident entry does not answer: the question asks what its answer does not hold.
#[derive(Debug, Clone, Copy)]
enum HeldBack {
    /// The kind of fact asked for.
    Lacks(Wants),
    /// A detail asked about (an index into `scope.toml` `details`).
    SilentOn(usize),
}

/// What the advisor says when it does not know. No guide figures in it, on purpose.
pub const DECLINE_TEXT: &str =
    "Sorry, I don't know that one. I can help with questions about health \
information technicians: what they do, skills, salary and job outlook, education and the RHIT \
credential, career paths, and professional organizations.";

/// What the advisor says when the question is about the subject, or near it, but the guide has no
/// answer to it (exam fees, fines, a named employer…). The closest topic is offered beside it.
pub const NOT_COVERED_TEXT: &str = "The guide I answer from doesn't cover that, so I'd rather not \
guess. The closest topic I have is below; or ask me about what health information technicians do, \
their skills, pay and outlook, education and the RHIT, career paths, or professional organizations.";

/// A declined question at least this close in meaning to an entry or to a not-covered question is
/// "not covered" (the guide's subject, but no answer) rather than "not understood".
const NEAR_SUBJECT: f32 = 0.4;

/// A question of at most this many content words is a few keywords: ties among entries covering it
/// all are left to the lexical rank.
const SHORT_QUESTION_SLOTS: usize = 2;

/// Candidates the model adds to tantivy's: the entries nearest in meaning.
#[cfg(feature = "semantic")]
const SEMANTIC_CANDIDATES: usize = 5;

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

/// A follow-up the previous entry covers only in part takes the context when the stages prefer that
/// entry with the context by at least this much over the best entry without it.
const FOLLOW_UP_MARGIN: f32 = 0.1;

/// Question words: a follow-up made only of these ("who is it for?", "when?") leans on the context.
const QUESTION_WORDS: &[&str] = &[
    "who", "whom", "whose", "what", "when", "where", "why", "how", "which",
];

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
    /// Set when declining a question near the subject that the guide does not answer: `related`
    /// then holds the closest topic.
    pub not_covered: bool,
    /// Set when the question was read as a follow-up: the entry whose subject it continued.
    pub follows: Option<EntryRef>,
    /// Set when the message asks to compare two career paths by name ("coder vs analyst", "compare
    /// the architect and the developer"): front ends show the comparison card of the two.
    pub compare: Option<(EntryRef, EntryRef)>,
}

impl Reply {
    /// What a conversation is about after this reply, for the next follow-up: the subject a
    /// follow-up continued, else the entry answered from; `None` when nothing was answered.
    pub fn subject(&self) -> Option<&str> {
        if !self.confident {
            return None;
        }
        self.follows
            .as_ref()
            .or(self.entry.as_ref())
            .map(|e| e.id.as_str())
    }
}

/// Cloneable: the callers of a coalesced reload each get its result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AdvisorError {
    #[error("the knowledge in {dir} has {} problem(s):\n{}", problems.len(), problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Knowledge {
        dir: PathBuf,
        problems: Vec<Problem>,
    },
    #[error(transparent)]
    Search(#[from] SearchError),
    /// The model cannot be loaded (set `[semantic] model_dir`, or `enabled = false`).
    #[cfg(feature = "semantic")]
    #[error(
        "{0} (set [semantic] model_dir in config.toml, or enabled = false to answer without it)"
    )]
    Semantic(SemanticError),
}

impl AdvisorError {
    /// Whether the operator must fix a file or the setup (the knowledge, the model folder), as
    /// opposed to a failure of the index on disk.
    pub fn is_setup(&self) -> bool {
        match self {
            AdvisorError::Knowledge { .. } => true,
            AdvisorError::Search(_) => false,
            #[cfg(feature = "semantic")]
            AdvisorError::Semantic(_) => true,
        }
    }
}

#[cfg(feature = "semantic")]
impl From<SemanticError> for AdvisorError {
    fn from(e: SemanticError) -> AdvisorError {
        AdvisorError::Semantic(e)
    }
}

/// A candidate entry for a question, with what each stage knows of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub entry: usize,
    pub features: Features,
    /// The lexical stage's hit, when tantivy found the entry.
    pub hit: Option<Hit>,
    /// The calibrated confidence (the lexical coverage when the model did not run).
    pub confidence: f32,
    /// The ordering key: the lexical rank, or the confidence when the model ran.
    pub rank: f32,
}

/// The candidates for one question, best first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Judged {
    pub candidates: Vec<Candidate>,
    /// Whether the model ran (false: the lexical stage was sure, or the stage is off).
    pub semantic: bool,
    /// The closest not-covered question (`scope.toml`) and its similarity, when the model ran.
    pub not_covered: Option<(usize, f32)>,
    /// The question names another career or topic (`scope.toml` `other_topics`) and not the subject.
    pub foreign: bool,
    /// The kind of fact the question asks for, when its wording says ([`Wants::of`]).
    pub wants: Option<Wants>,
    /// Names in the question the knowledge has never heard of ([`Plan::unknown_names`]).
    pub unknown_names: Vec<String>,
    /// Details of `scope.toml` `details` the question asks about.
    pub details: Vec<usize>,
}

impl Judged {
    fn best(&self) -> Option<&Candidate> {
        self.candidates.first()
    }

    fn confidence(&self) -> f32 {
        self.best().map_or(0.0, |c| c.confidence)
    }
}

/// The answering engine over one version of the knowledge.
pub struct Advisor {
    knowledge: Knowledge,
    index: SearchIndex,
    config: AnswerConfig,
    by_id: HashMap<String, usize>,
    /// The model and the knowledge's vectors; `None` when `[semantic] enabled = false`.
    #[cfg(feature = "semantic")]
    semantic: Option<Semantic>,
    /// `[semantic] lexical_sure`.
    lexical_sure: f32,
    /// Each career-path entry with the words of its name that no other path and not the guide's
    /// subject shares ("coder", "analyst"): how a comparison names them.
    career_words: Vec<(usize, Vec<String>)>,
    /// Per entry, the kinds of fact its answer holds ([`Wants::mask_of`]).
    holds: Vec<u8>,
    /// `scope.toml` `details`, and per entry the ones its answer speaks of.
    details: Details,
    speaks_of: Vec<Vec<usize>>,
}

impl Advisor {
    /// Loads and validates the knowledge, then opens (or builds) its index.
    pub fn open(config: &EngineConfig) -> Result<Advisor, AdvisorError> {
        let knowledge = load_checked(config)?;
        let name = index_name(&knowledge);
        let index = SearchIndex::open(&config.index_dir, &knowledge, &name)?;
        #[cfg(feature = "semantic")]
        let semantic = if config.semantic.enabled {
            let model = Model::shared(&config.semantic.model_dir, config.semantic.int8)?;
            Some(Semantic::open(
                model,
                &knowledge,
                &config.index_dir.join(&name),
                config.semantic.cache,
            )?)
        } else {
            None
        };
        #[cfg(not(feature = "semantic"))]
        if config.semantic.enabled {
            log::warn!(
                "this build has no semantic stage (feature `semantic`): answering lexically"
            );
        }
        let by_id = knowledge
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        let career_words = career_words(&knowledge);
        let holds = knowledge
            .entries
            .iter()
            .map(|e| Wants::mask_of(&e.answer))
            .collect();
        let details = Details::new(&knowledge.details);
        let speaks_of = knowledge
            .entries
            .iter()
            .map(|e| details.in_text(&e.answer))
            .collect();
        Ok(Advisor {
            career_words,
            holds,
            details,
            speaks_of,
            knowledge,
            index,
            config: config.answer.clone(),
            by_id,
            #[cfg(feature = "semantic")]
            semantic,
            lexical_sure: config.semantic.lexical_sure,
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
        let alone = self.judge(question, &plan);
        // A side the knowledge has never heard of ("epic or cerner") is no comparison of its paths.
        let comparison = self
            .comparison(question)
            .filter(|_| alone.unknown_names.is_empty());
        if let Some((a, b)) = comparison {
            let mut reply = self.reply_from(&alone);
            if !reply.confident {
                reply = self.reply_for(a, 1.0, Vec::new());
            }
            reply.compare = Some((self.entry_ref(a), self.entry_ref(b)));
            return reply;
        }
        let prev = previous.and_then(|id| self.by_id.get(id).copied());
        if let Some(prev) = prev {
            if let Some(with) = self.in_context(question, &plan, &alone, prev) {
                let mut reply = self.reply_from(&with);
                reply.follows = Some(self.entry_ref(prev));
                return reply;
            }
        }
        let mut reply = self.answer_alone(question, &plan, &alone);
        if let Some(prev) = prev.filter(|p| self.continues(question, &plan, &alone, *p)) {
            reply.follows = Some(self.entry_ref(prev));
        }
        reply
    }

    /// The reply to a question on its own (no conversation), once it is judged.
    fn answer_alone(&self, question: &str, plan: &Plan, alone: &Judged) -> Reply {
        let unsure = !self.answers(alone);
        // A long message that mixes context with a question: answer the part phrased as a question,
        // and offer the best other part as a button.
        let long = plan.slots.len() >= LONG_MESSAGE_SLOTS || questions_in(question) >= 2;
        if !plan.foreign && (unsure || long) {
            // Confident but held back by what the message names ("I'm Dana from Target, what skills
            // does a HIT need?"): the part that asks may stand alone.
            let vetoed = alone.confidence() >= self.config.min_confidence && unsure;
            let names = &alone.unknown_names;
            if let Some((part, other)) = self.best_fragment(question, !unsure, vetoed, names) {
                let mut reply = self.reply_from(&part);
                if let Some(other) = other.filter(|o| reply.entry.as_ref() != Some(o)) {
                    reply.related.retain(|r| *r != other);
                    reply.related.insert(0, other);
                    reply.related.truncate(self.config.related.max(1));
                }
                return reply;
            }
        }
        self.reply_from(alone)
    }

    /// The question read as a follow-up of entry `prev`, when the context fills in what it leaves
    /// open: "and the salary?", "how do I join it?", "what's the pay like?" after a career path.
    /// `None` when the question stands on its own: it names its own subject ("how much do HITs
    /// make?", "and amia?"), it is out of scope ("nurse salary"), it has no words ("7", "💰💰"),
    /// "this job" or "this field" follows something that is not a job (AHIMA), or the context would
    /// answer something other than what it asks ("is this job hard?" after the data analyst).
    fn in_context(
        &self,
        question: &str,
        plan: &Plan,
        alone: &Judged,
        prev: usize,
    ) -> Option<Judged> {
        // A word the knowledge has never seen names something else ("the average salary for a
        // radiologist" after the architect): the question is not about the previous subject.
        if plan.foreign
            || !question.chars().any(char::is_alphabetic)
            || plan.slots.iter().any(|s| !s.known)
        {
            return None;
        }
        let alone_ok = alone.confidence() >= self.config.min_confidence;
        if alone_ok && self.stands_alone(plan, alone, prev) {
            return None;
        }
        // The entry must be about the question's own words too, or the context alone would answer
        // anything ("can you teach me chess?"); "who is it for?" leans on the context entirely.
        // Question words ("who", "when") say what kind of answer is wanted, not what about: the
        // entry must cover the other words.
        let content = Plan {
            slots: plan
                .slots
                .iter()
                .filter(|s| !is_question_word(&s.word))
                .cloned()
                .collect(),
            ..plan.clone()
        };
        // A question that reads fine alone takes the context only to say whose it is: the previous
        // entry itself answers it ("what's the pay like?" after the software developer path),
        // covering its words about as well as the best entry without context, or at least in part
        // while the stages clearly prefer it with the context. When the previous entry covers too
        // little of them, nothing can pass: no second search (and no second forward pass).
        let alone_own = alone
            .candidates
            .iter()
            .map(|c| self.index.coverage(&content, c.entry))
            .fold(0.0, f32::max);
        let prev_own = self.index.coverage(&content, prev);
        let prev_may_answer = content.slots.is_empty()
            || prev_own >= FOLLOW_UP_MIN_OWN.min(FOLLOW_UP_OWN_SHARE * alone_own);
        if alone_ok && !prev_may_answer {
            return None;
        }
        let with_text = format!("{question} {}", subject_of(&self.knowledge.entries[prev]));
        let with_plan = self.index.plan(&with_text);
        let with = self.judge(&with_text, &with_plan);
        let best = with.best()?;
        if best.confidence < self.config.min_confidence {
            return None;
        }
        let own = self.index.coverage(&content, best.entry);
        let fits = if alone_ok {
            let rival = alone.best().map_or(0.0, |a| {
                with.candidates
                    .iter()
                    .find(|c| c.entry == a.entry && a.entry != prev)
                    .map_or(0.0, |c| c.confidence)
            });
            let margin = best.confidence - rival;
            log::debug!(
                "follow-up of {}: in context {} (own coverage {own:.2}, margin {margin:.2}), alone {:?} (coverage {alone_own:.2})",
                self.knowledge.entries[prev].id,
                self.knowledge.entries[best.entry].id,
                alone.best().map(|c| &self.knowledge.entries[c.entry].id),
            );
            best.entry == prev
                && (content.slots.is_empty()
                    || own >= FOLLOW_UP_OWN_SHARE * alone_own
                    || (own >= FOLLOW_UP_MIN_OWN && margin >= FOLLOW_UP_MARGIN))
        } else {
            plan.weight() < FOLLOW_UP_LIGHT_WEIGHT || own >= FOLLOW_UP_MIN_OWN
        };
        fits.then_some(with)
    }

    /// Whether a question that reads fine alone stands on its own after entry `prev`: it names the
    /// guide's subject ("how much do HITs make?") or the career path it is answered from ("what
    /// about the data analyst?"), or it says "this job" / "this field" after an entry that is not
    /// about a job (an organization, a credential): the job is then the guide's subject.
    fn stands_alone(&self, plan: &Plan, alone: &Judged, prev: usize) -> bool {
        let points_at_the_job = plan.anchored && !plan.named;
        plan.named
            || self.names_subject(plan, alone)
            || (points_at_the_job && self.knowledge.entries[prev].career.is_none())
    }

    /// Whether a question that did not take the context still continues the conversation's
    /// subject: it leans on it ("and what do they earn?") without naming a subject of its own.
    fn continues(&self, question: &str, plan: &Plan, alone: &Judged, prev: usize) -> bool {
        is_follow_up(question) && !self.stands_alone(plan, alone, prev)
    }

    /// The two career paths a message asks to compare: "coder vs analyst", "architect or developer,
    /// which pays more?", "compare the coder and the technologist". Each side of the separator must
    /// name one path by a word of its name; "and", "with" and "to" count only beside a word that asks
    /// for a comparison ("compare", "difference", "better"…).
    fn comparison(&self, question: &str) -> Option<(usize, usize)> {
        let lower = question.to_lowercase();
        let cued = lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| COMPARE_CUES.contains(&w));
        for (sep, compares) in COMPARE_SEPARATORS {
            let Some(at) = lower.find(sep) else {
                continue;
            };
            if !compares && !cued {
                continue;
            }
            let (a, b) = (&lower[..at], &lower[at + sep.len()..]);
            if let (Some(x), Some(y)) = (self.career_named(a), self.career_named(b)) {
                if x != y {
                    return Some((x, y));
                }
            }
        }
        None
    }

    /// The one career path a text names by a word of its name (spelling corrected), if exactly one.
    fn career_named(&self, text: &str) -> Option<usize> {
        let plan = self.index.plan(text);
        let asked = asked_terms(&plan.slots);
        let mut named = self
            .career_words
            .iter()
            .filter(|(_, words)| words.iter().any(|w| asked.contains(w.as_str())))
            .map(|(e, _)| *e);
        let first = named.next()?;
        named.next().is_none().then_some(first)
    }

    /// Whether the question names the career path its own best entry is about ("what about the data
    /// analyst?"): every word of the path's name is in the question.
    fn names_subject(&self, plan: &Plan, alone: &Judged) -> bool {
        let Some(career) = alone
            .best()
            .and_then(|c| self.knowledge.entries[c.entry].career.as_ref())
        else {
            return false;
        };
        let asked = asked_terms(&plan.slots);
        let name = analysed_terms(&career.name);
        !name.is_empty() && name.iter().all(|t| asked.contains(t.as_str()))
    }

    /// The candidates for a question: tantivy's, judged by the lexical stage alone when it is sure
    /// (the model cannot change the outcome), else fused with the semantic stage's.
    pub fn judge(&self, question: &str, plan: &Plan) -> Judged {
        Judged {
            wants: Wants::of(question),
            unknown_names: plan.unknown_names.clone(),
            details: self.details.in_text(question),
            ..self.judge_stages(question, plan)
        }
    }

    fn judge_stages(&self, question: &str, plan: &Plan) -> Judged {
        let hits = self.index.search(plan, 5);
        if plan.foreign {
            return Judged {
                foreign: true,
                ..Judged::default()
            };
        }
        if self.lexically_sure(plan, &hits) {
            return lexical(hits);
        }
        #[cfg(feature = "semantic")]
        if let Some(semantic) = &self.semantic {
            // The model reads the question with the lexical stage's spelling corrections: its word
            // pieces do not know "salery".
            let fixes: Vec<(&str, &str)> = plan
                .slots
                .iter()
                .filter_map(|s| Some((s.word.as_str(), s.corrected.as_deref()?)))
                .collect();
            let text = crate::semantic::rewrite(question, &fixes);
            match semantic.similarity(&text) {
                Ok(sim) => return self.fuse(plan, hits, &sim),
                Err(e) => log::error!("the semantic stage failed, answering lexically: {e}"),
            }
        }
        let _ = question;
        lexical(hits)
    }

    /// The lexical stage is sure: its best entry covers (nearly) every word of the question, and no
    /// other entry covers it as well (or the question is a couple of keywords).
    fn lexically_sure(&self, plan: &Plan, hits: &[Hit]) -> bool {
        let Some(best) = hits.first() else {
            return false;
        };
        // Two entries both covering the question: the words cannot tell them apart, the model
        // can, unless the question is a couple of keywords ("hit pay"), where the entry whose own
        // questions match them best (the lexical rank) measured right more often.
        let tied = hits.get(1).is_some_and(|h| h.coverage >= self.lexical_sure);
        best.coverage >= self.lexical_sure && (!tied || plan.slots.len() <= SHORT_QUESTION_SLOTS)
    }

    /// tantivy's candidates and the entries nearest in meaning, each scored from both stages.
    #[cfg(feature = "semantic")]
    fn fuse(&self, plan: &Plan, hits: Vec<Hit>, sim: &Similarity) -> Judged {
        let best_bm25 = hits.iter().map(|h| h.score).fold(f32::EPSILON, f32::max);
        let best_rank = hits.iter().map(|h| h.rank).fold(f32::EPSILON, f32::max);
        let mut entries: Vec<usize> = hits.iter().map(|h| h.entry).collect();
        for e in sim.nearest(SEMANTIC_CANDIDATES) {
            if !entries.contains(&e) {
                entries.push(e);
            }
        }
        let nearest = sim.nearest(2);
        let mut candidates: Vec<Candidate> = entries
            .into_iter()
            .map(|entry| {
                let hit = hits.iter().find(|h| h.entry == entry).cloned();
                let rival = nearest
                    .iter()
                    .find(|e| **e != entry)
                    .map_or(-1.0, |e| sim.question[*e]);
                let features = Features {
                    coverage: self.index.coverage(plan, entry),
                    bm25: hit.as_ref().map_or(0.0, |h| h.score / best_bm25),
                    question: sim.question[entry],
                    answer: sim.answer[entry],
                    not_covered: sim.not_covered_score(),
                    lead: sim.question[entry] - rival,
                    lexical: hit.as_ref().map_or(0.0, |h| h.rank / best_rank),
                };
                let confidence = features.confidence();
                Candidate {
                    entry,
                    features,
                    hit,
                    confidence,
                    rank: confidence,
                }
            })
            .collect();
        candidates.sort_by(|a, b| b.rank.total_cmp(&a.rank));
        Judged {
            candidates,
            semantic: true,
            not_covered: sim.not_covered,
            foreign: false,
            wants: None,
            unknown_names: Vec::new(),
            details: Vec::new(),
        }
    }

    /// In a long message the actual question often sits among personal context ("I'm 45 and thinking
    /// about a second career. … can I get in faster with a certificate?"). Tries each sentence and
    /// comma-separated part, and returns the confident part that covers the most weight, with the
    /// entry of the best other confident part (another question in the same message).
    /// With `openers_only`, only parts that open like a question ("what kind of salary…") count.
    /// `names`: the message's names the knowledge never heard of; no part answers when one of them
    /// sits in a piece that neither asks nor speaks of the user.
    fn best_fragment(
        &self,
        question: &str,
        openers_only: bool,
        vetoed: bool,
        names: &[String],
    ) -> Option<(Judged, Option<EntryRef>)> {
        let parts = fragments(question);
        // One part is worth trying alone only when it is not the whole message.
        let whole = question
            .trim()
            .trim_end_matches(['?', '.', '!', ';', ':', ' ']);
        if parts.len() < 2 && parts.first().is_none_or(|p| *p == whole) {
            return None;
        }
        // A name the knowledge never heard of may be dropped with the user's own context ("I work
        // at Target, what skills…?"), not when it is the question's own object ("which EHR is most
        // common, epic or cerner").
        let lower = question.to_lowercase();
        let object = lower
            .split(['.', ',', ';', ':', '!', '?', '\n'])
            .filter(|piece| !opens_question(piece) && !is_about_the_user(piece))
            .any(|piece| names.iter().any(|n| piece.contains(&n.to_lowercase())));
        if object {
            return None;
        }
        let mut judged: Vec<(bool, bool, f32, Judged)> = parts
            .into_iter()
            .map(|p| (opens_question(p), p))
            .filter(|(opens, _)| *opens || !openers_only)
            .filter_map(|(opens, p)| {
                let plan = self.index.plan(p);
                let judged = self.judge(p, &plan);
                let best = judged.best()?;
                let covered = best.hit.as_ref().map_or(0.0, |h| h.covered);
                // One generic word ("answer", "rules") is not enough for a part to stand for the
                // message, unless the model vouches for it.
                // A part phrased as a question, of a message held back only for what else it names,
                // is enough as it is.
                let enough =
                    judged.semantic || covered >= FRAGMENT_MIN_COVERED || (vetoed && opens);
                let key = if judged.semantic {
                    best.confidence
                } else {
                    covered
                };
                self.answers(&judged)
                    .then_some((opens, enough, key, judged))
            })
            .collect();
        // Parts phrased as a question first, then the one the stages are surest of.
        judged.sort_by(|(oa, _, a, _), (ob, _, b, _)| ob.cmp(oa).then(b.total_cmp(a)));
        let main = judged.iter().position(|(_, enough, _, _)| *enough)?;
        let (_, _, _, main) = judged.remove(main);
        let main_entry = main.best().map(|c| c.entry);
        // Any other confident part may be offered: a button costs nothing if it is not wanted.
        let other = judged
            .iter()
            .filter_map(|(_, _, _, j)| j.best().map(|c| c.entry))
            .find(|e| Some(*e) != main_entry)
            .map(|e| self.entry_ref(e));
        Some((main, other))
    }

    /// The reply for one entry, as a button press or a command shows it.
    pub fn entry_reply(&self, id: &str) -> Option<Reply> {
        let i = *self.by_id.get(id)?;
        Some(self.reply_for(i, 1.0, Vec::new()))
    }

    /// The best entries for a question with their confidence, best first (for evaluation and tools).
    pub fn candidates(&self, question: &str, limit: usize) -> Vec<(EntryRef, f32)> {
        let question = self.cut_question(question);
        let plan = self.index.plan(question);
        self.judge(question, &plan)
            .candidates
            .into_iter()
            .take(limit)
            .map(|c| (self.entry_ref(c.entry), c.confidence))
            .collect()
    }

    /// Every candidate for a question with what each stage knows of it, best first (calibration).
    pub fn scored(&self, question: &str) -> Judged {
        let question = self.cut_question(question);
        self.judge(question, &self.index.plan(question))
    }

    /// Whether the semantic stage is loaded.
    pub fn semantic_enabled(&self) -> bool {
        #[cfg(feature = "semantic")]
        return self.semantic.is_some();
        #[cfg(not(feature = "semantic"))]
        false
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
        let judged = self.judge(question, &plan);
        out.push_str(&format!(
            "model: {}\n",
            if judged.semantic {
                "ran (the lexical stage was not sure)"
            } else if self.semantic_enabled() {
                "skipped (the lexical stage was sure, or the question names another topic)"
            } else {
                "off ([semantic] enabled = false)"
            }
        ));
        if let Some((n, s)) = judged.not_covered {
            out.push_str(&format!(
                "closest not-covered question: {:?} similarity={s:.2}\n",
                self.knowledge.not_covered.get(n).map_or("", |q| q.as_str())
            ));
        }
        if let Some(w) = judged.wants {
            out.push_str(&format!("asks for: {}\n", w.describe()));
        }
        if !judged.unknown_names.is_empty() {
            out.push_str(&format!(
                "names the knowledge has never heard of: {}\n",
                judged.unknown_names.join(", ")
            ));
        }
        if !judged.details.is_empty() {
            let names: Vec<String> = judged
                .details
                .iter()
                .map(|d| self.details.name(*d))
                .collect();
            out.push_str(&format!(
                "asks about (scope.toml details): {}\n",
                names.join(", ")
            ));
        }
        out.push_str("candidates:\n");
        for c in judged.candidates.iter().take(6) {
            let f = &c.features;
            let bm25 = c.hit.as_ref().map_or(0.0, |h| h.score);
            out.push_str(&format!(
                "  {:<28} coverage={:.2} bm25={bm25:.2}",
                self.knowledge.entries[c.entry].id, f.coverage
            ));
            if judged.semantic {
                out.push_str(&format!(
                    " similarity(question)={:.2} similarity(answer)={:.2} lead={:.2}",
                    f.question, f.answer, f.lead
                ));
            }
            out.push_str(&format!(" confidence={:.2}\n", c.confidence));
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
            "decline (not covered): the question names another career or topic (scope.toml) and \
             not the subject"
                .to_string()
        } else if let Some(held) = reply
            .entry
            .as_ref()
            .and_then(|e| self.by_id.get(&e.id))
            .filter(|_| reply.not_covered && reply.confidence >= min)
            .and_then(|i| self.held_back(&judged, *i))
        {
            let what = match held {
                HeldBack::Lacks(w) => format!("asks for {} and", w.describe()),
                HeldBack::SilentOn(d) => format!(
                    "asks about {:?} (scope.toml details) and",
                    self.details.name(d)
                ),
            };
            format!(
                "decline (not covered): the question {what} the best entry ({entry}, confidence \
                 {:.2}) says nothing of it",
                reply.confidence
            )
        } else if reply.not_covered && !judged.unknown_names.is_empty() {
            format!(
                "decline (not covered): the question names {} and the knowledge never does",
                judged.unknown_names.join(", ")
            )
        } else if reply.not_covered {
            format!(
                "decline (not covered): the best entry ({entry}) has confidence {:.2} < \
                 min_confidence {min:.2}, and the question is near the subject",
                reply.confidence
            )
        } else if plan.known_slots() == 0 && !judged.semantic {
            "decline: no word of the question is in the knowledge".to_string()
        } else {
            format!(
                "decline (not understood): the best entry ({entry}) has confidence {:.2} < \
                 min_confidence {min:.2}",
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
            not_covered: false,
            follows: None,
            compare: None,
        }
    }

    fn ranked(&self, question: &str) -> Vec<Hit> {
        let plan = self.index.plan(self.cut_question(question));
        self.index.search(&plan, 5)
    }

    fn reply_from(&self, judged: &Judged) -> Reply {
        let Some(best) = judged.best() else {
            return self.decline_for(judged, None);
        };
        if best.confidence < self.config.min_confidence {
            return self.decline_for(judged, Some(best));
        }
        if !self.answers(judged) {
            // About this entry's subject, but asking for a kind of fact it does not hold ("how much
            // does the exam cost?" of the RHIT rules), or about something the knowledge has never
            // heard of ("does Kaiser hire HITs?"): not covered, with the entry as the closest topic.
            let mut reply = self.decline(best.confidence, Some(self.entry_ref(best.entry)));
            reply.text = NOT_COVERED_TEXT.to_string();
            reply.not_covered = true;
            reply.related = vec![self.entry_ref(best.entry)];
            return reply;
        }
        let floor = best.rank * self.config.did_you_mean_margin;
        // A runner-up the best entry already links to is a follow-up, not an ambiguity.
        let linked = &self.knowledge.entries[best.entry].related;
        let did_you_mean = judged.candidates[1..]
            .iter()
            .filter(|c| c.rank >= floor && c.confidence >= self.config.min_confidence)
            .filter(|c| !linked.contains(&self.knowledge.entries[c.entry].id))
            .take(2)
            .map(|c| self.entry_ref(c.entry))
            .collect();
        self.reply_for(best.entry, best.confidence, did_you_mean)
    }

    /// Whether the judged question gets an answer: its best entry is confident, holds the kind of
    /// fact asked for and speaks of the details asked about, and the question names nothing the
    /// knowledge has never heard of.
    fn answers(&self, judged: &Judged) -> bool {
        judged.best().is_some_and(|b| {
            b.confidence >= self.config.min_confidence
                && self.held_back(judged, b.entry).is_none()
                && judged.unknown_names.is_empty()
        })
    }

    /// What the question asks that entry `entry`'s answer does not hold: a kind of fact
    /// ([`Wants`]) or a detail of `scope.toml` `details`.
    fn held_back(&self, judged: &Judged, entry: usize) -> Option<HeldBack> {
        let holds = self.holds.get(entry)?;
        if let Some(w) = judged.wants.filter(|w| holds & w.bit() == 0) {
            return Some(HeldBack::Lacks(w));
        }
        let spoken = self.speaks_of.get(entry)?;
        judged
            .details
            .iter()
            .find(|d| !spoken.contains(d))
            .map(|d| HeldBack::SilentOn(*d))
    }

    /// Declining: "not covered" (with the closest topic as a button) when the question is about the
    /// subject or near it, else "I don't know".
    fn decline_for(&self, judged: &Judged, best: Option<&Candidate>) -> Reply {
        let mut reply = self.decline(
            best.map_or(0.0, |c| c.confidence),
            best.map(|c| self.entry_ref(c.entry)),
        );
        if judged.foreign {
            reply.text = NOT_COVERED_TEXT.to_string();
            reply.not_covered = true;
        } else if judged.semantic {
            let near = best.map_or(0.0, |c| c.features.question);
            let not_covered = judged.not_covered.map_or(0.0, |(_, s)| s);
            if near.max(not_covered) >= NEAR_SUBJECT {
                reply.text = NOT_COVERED_TEXT.to_string();
                reply.not_covered = true;
                if let Some(c) = best.filter(|_| near >= NEAR_SUBJECT) {
                    reply.related = vec![self.entry_ref(c.entry)];
                }
            }
        }
        reply
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
            not_covered: false,
            follows: None,
            compare: None,
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

/// tantivy's candidates judged by the lexical stage alone: confidence is coverage.
fn lexical(hits: Vec<Hit>) -> Judged {
    let best_bm25 = hits.iter().map(|h| h.score).fold(f32::EPSILON, f32::max);
    Judged {
        candidates: hits
            .into_iter()
            .map(|h| Candidate {
                entry: h.entry,
                features: Features {
                    coverage: h.coverage,
                    bm25: h.score / best_bm25,
                    ..Features::default()
                },
                confidence: h.coverage,
                rank: h.rank,
                hit: Some(h),
            })
            .collect(),
        semantic: false,
        not_covered: None,
        wants: None,
        unknown_names: Vec::new(),
        details: Vec::new(),
        foreign: false,
    }
}

/// Separators between two things compared, and whether they make a comparison by themselves.
const COMPARE_SEPARATORS: &[(&str, bool)] = &[
    (" vs. ", true),
    (" vs ", true),
    (" versus ", true),
    (" or ", true),
    (" than ", true),
    (" and ", false),
    (" with ", false),
    (" to ", false),
    (",", false),
    (" / ", false),
];

/// Words that make "X and Y" a comparison.
const COMPARE_CUES: &[&str] = &[
    "compare",
    "comparing",
    "comparison",
    "difference",
    "differences",
    "differ",
    "between",
    "better",
    "more",
    "less",
    "higher",
    "lower",
    "which",
    "vs",
    "versus",
];

/// Each career-path entry with the analysed words of its name that no other path and not the
/// guide's subject phrases share.
fn career_words(knowledge: &Knowledge) -> Vec<(usize, Vec<String>)> {
    // The subject's words as typed ("health", "information"): "technologist" is not one of them,
    // although it shares its stem with "technology".
    let subject: HashSet<String> = knowledge
        .guide
        .subject
        .iter()
        .flat_map(|p| p.split_whitespace().map(str::to_lowercase))
        .collect();
    let names: Vec<(usize, HashSet<String>)> = knowledge
        .entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let name = e.career.as_ref()?.name.to_lowercase();
            let own: Vec<&str> = name
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty() && !subject.contains(*w))
                .collect();
            Some((i, analysed_terms(&own.join(" "))))
        })
        .collect();
    names
        .iter()
        .map(|(i, words)| {
            let own = words
                .iter()
                .filter(|w| names.iter().all(|(j, other)| j == i || !other.contains(*w)))
                .cloned()
                .collect();
            (*i, own)
        })
        .collect()
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

/// How many sentences of a message are questions (end with "?"): two or more make it multi-part.
fn questions_in(text: &str) -> usize {
    text.split_inclusive(['.', '?', '!', '\n'])
        .filter(|s| s.trim_end().ends_with('?') && s.trim().len() > 3)
        .count()
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

/// Whether a part of a message is the user speaking of themselves ("I work at Target", "my name is
/// Dana", "we live in Ohio").
fn is_about_the_user(part: &str) -> bool {
    let lower = part.to_lowercase();
    let first = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .find(|w| !w.is_empty());
    first.is_some_and(|w| {
        matches!(
            w.replace('’', "'").as_str(),
            "i" | "i'm"
                | "im"
                | "i've"
                | "ive"
                | "i'd"
                | "i'll"
                | "my"
                | "me"
                | "we"
                | "we're"
                | "our"
                | "us"
        )
    })
}

/// The words naming an entry's subject, added to a follow-up question.
fn subject_of(e: &Entry) -> String {
    match &e.career {
        Some(c) => c.name.clone(),
        None => e.title.clone(),
    }
}

/// The analysed terms a question typed (or its spelling corrections), without synonyms.
fn asked_terms(slots: &[crate::search::Slot]) -> HashSet<&str> {
    slots
        .iter()
        .flat_map(|s| s.terms.iter().map(String::as_str))
        .collect()
}

/// Whether a slot's words are question words only ("who").
fn is_question_word(word: &str) -> bool {
    word.split(' ').all(|w| QUESTION_WORDS.contains(&w))
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
