//! Search: the only module that knows tantivy. It turns a chat question into a plan of analysed query
//! terms (spelling-corrected, synonym-expanded), scores it as a sum of boosted BM25 term and phrase
//! clauses over the tantivy index, re-ranks the candidates by how much of the question they cover,
//! and reports that coverage as the confidence. Raw user text never reaches tantivy's query parser.
//!
//! tantivy runs the query: a `BooleanQuery` of boosted `TermQuery`s and `PhraseQuery`s (slop 0 for
//! phrases, slop 1 for adjacent question words), scored by BM25 with our statistics
//! ([`Stats`], through `search_with_statistics_provider`), collected by `TopDocs`.

mod analyzer;
mod index;
pub mod plan;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use analyzer::Analyzers;
pub use analyzer::ANALYZER;
use hitbot_knowledge::{Knowledge, Problem};
use index::Fields;
pub use plan::{Plan, Slot};

/// Bumped whenever the analyzer or schema changes, so old indexes are rebuilt.
pub const ENGINE_VERSION: &str = "hitbot-index-4";

/// Slots weighing less than this (words in most entries) get no phrase or proximity queries.
const MIN_PHRASE_WEIGHT: f32 = 0.8;

/// Fields searched with phrase queries.
const PHRASE_FIELDS: u8 = plan::IN_QUESTIONS | plan::IN_TITLE;

/// Synonym forms searched per word: candidates are re-ranked by coverage, which sees every form.
const MAX_SYNONYM_FORMS: usize = 4;

/// Fields searched for synonyms of a question's words.
const SYNONYM_FIELDS: u8 = plan::IN_QUESTIONS | plan::IN_ANSWER;

/// How many candidates tantivy returns for re-ranking.
const CANDIDATES: usize = 8;

/// Longer phrases (long synonym phrases) are not searched as phrases; their words still are.
const MAX_PHRASE_TERMS: usize = 16;

/// Cloneable (the I/O error is shared) so that every caller of a coalesced reload gets its result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SearchError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::sync::Arc<std::io::Error>,
    },
    #[error("index {path}: {source}")]
    Tantivy {
        path: PathBuf,
        source: tantivy::TantivyError,
    },
    /// The index's schema or documents are not this version's build of the knowledge.
    #[error("index {0} was built by another version of hitbot, or from other knowledge")]
    Stale(PathBuf),
    /// The folder is not a finished build of this knowledge (no marker, or another one).
    #[error("index {path} is not a finished build of this knowledge: {why}")]
    Foreign { path: PathBuf, why: String },
}

impl SearchError {
    fn io(path: &Path, source: std::io::Error) -> SearchError {
        SearchError::Io {
            path: path.to_path_buf(),
            source: source.into(),
        }
    }
    fn tantivy(path: &Path, source: tantivy::TantivyError) -> SearchError {
        SearchError::Tantivy {
            path: path.to_path_buf(),
            source,
        }
    }
}

thread_local! {
    static ANALYZERS: RefCell<Analyzers> = RefCell::new(Analyzers::new());
}

/// One candidate answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Position of the entry in `Knowledge::entries`.
    pub entry: usize,
    /// BM25 score from tantivy.
    pub score: f32,
    /// Share of the question's idf weight that the entry covers, in [0, 1].
    pub coverage: f32,
    /// The re-ranking key: coverage first, BM25 to break near-ties.
    pub rank: f32,
    /// The covered weight and the question's total weight (coverage = covered / total).
    pub covered: f32,
    pub total: f32,
}

/// The search index over one version of the knowledge.
pub struct SearchIndex {
    searcher: Searcher,
    fields: Fields,
    /// BM25 statistics of the text fields (every term counts as rare; see [`Stats`]).
    stats: Stats,
    /// Per segment: doc id → entry position.
    entries: Vec<Vec<usize>>,
    /// Vocabulary term id → the term's text, to build tantivy terms from a plan.
    texts: Vec<String>,
    vocab: plan::Vocabulary,
}

/// One query clause (`field` indexes [`Fields::boosted`]; ids are vocabulary term ids).
enum Clause<'a> {
    /// A term in one field.
    Term { field: usize, id: u32, boost: f32 },
    /// Terms in sequence in one field (a phrase query with slop 0).
    Phrase {
        field: usize,
        ids: &'a [u32],
        boost: f32,
    },
    /// Two terms at most one position apart, in either order (a phrase query with slop 1).
    Near {
        field: usize,
        ids: [u32; 2],
        boost: f32,
    },
}

impl SearchIndex {
    /// Opens (building if needed) the index for `knowledge` under `index_dir`. A folder there that
    /// is not this version's build of this knowledge (another version's, foreign files, half
    /// written, corrupt, other entries) is rebuilt with a warning; only a failed build is an error.
    pub fn open(
        index_dir: &Path,
        knowledge: &Knowledge,
        fingerprint: &str,
    ) -> Result<SearchIndex, SearchError> {
        index::open_or_build(index_dir, knowledge, fingerprint, |dir, index, fields| {
            SearchIndex::read(dir, &index, fields, knowledge)
        })
    }

    /// The searcher and tables of an opened index, checked against `knowledge`: every entry is one
    /// document of the index, and there are no others.
    fn read(
        dir: &Path,
        index: &tantivy::Index,
        fields: Fields,
        knowledge: &Knowledge,
    ) -> Result<SearchIndex, SearchError> {
        let tantivy_err = |e| SearchError::tantivy(dir, e);
        // An opened build never changes (a reload opens a new one): no file watcher, which would
        // also warn every half second once a reload has removed the old build's folder.
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()
            .map_err(tantivy_err)?;
        let searcher = reader.searcher();
        let stats = Stats::read(&searcher, &fields).map_err(tantivy_err)?;
        let ids = index::stored_ids(&searcher, &fields).map_err(tantivy_err)?;
        let by_id: HashMap<&str, usize> = knowledge
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.as_str(), i))
            .collect();
        let mut seen = vec![false; knowledge.entries.len()];
        let mut entries = Vec::new();
        for ids in ids {
            let mut of_segment = Vec::with_capacity(ids.len());
            for id in ids {
                match by_id.get(id.as_str()) {
                    Some(&i) if !std::mem::replace(&mut seen[i], true) => of_segment.push(i),
                    _ => return Err(SearchError::Stale(dir.to_path_buf())),
                }
            }
            entries.push(of_segment);
        }
        if seen.contains(&false) {
            return Err(SearchError::Stale(dir.to_path_buf()));
        }
        let vocab = ANALYZERS.with(|a| plan::Vocabulary::new(knowledge, &mut a.borrow_mut()));
        let mut texts = vec![String::new(); vocab.terms().count()];
        for (text, id) in vocab.terms() {
            texts[id as usize] = text.to_string();
        }
        Ok(SearchIndex {
            searcher,
            fields,
            stats,
            entries,
            texts,
            vocab,
        })
    }

    /// Builds the index for `knowledge` afresh (the `index` command).
    pub fn rebuild(
        index_dir: &Path,
        knowledge: &Knowledge,
        fingerprint: &str,
    ) -> Result<PathBuf, SearchError> {
        index::rebuild(index_dir, knowledge, fingerprint)
    }

    /// Analyses a question into a query plan.
    pub fn plan(&self, question: &str) -> Plan {
        ANALYZERS.with(|a| plan::Plan::new(question, &self.vocab, &mut a.borrow_mut()))
    }

    /// The best entries for a plan, best first, with their coverage. `prefer` adds weight to entries
    /// the caller favours (follow-up context), as extra rank.
    pub fn search(&self, plan: &Plan, limit: usize) -> Vec<Hit> {
        if plan.known_slots() == 0 || plan.foreign || plan.only_numbers() {
            return Vec::new();
        }
        let top = self.top_docs(&self.clauses(plan), CANDIDATES.max(limit));
        let best = top.first().map_or(1.0, |(s, _)| s.max(f32::EPSILON));
        let total = plan.weight();
        let mut hits: Vec<Hit> = top
            .into_iter()
            .map(|(score, entry)| {
                let covered = self.vocab.covered_weight(plan, entry);
                let coverage = if total > 0.0 {
                    (covered / total).min(1.0)
                } else {
                    0.0
                };
                let similar = self.vocab.question_similarity(plan, entry);
                Hit {
                    entry,
                    score,
                    coverage,
                    rank: 2.0 * coverage + 0.35 * score / best + 0.4 * similar,
                    covered,
                    total,
                }
            })
            .collect();
        hits.sort_by(|a, b| b.rank.total_cmp(&a.rank));
        hits.truncate(limit);
        hits
    }

    /// Coverage of the plan by one entry, for callers that re-rank by context.
    pub fn coverage(&self, plan: &Plan, entry: usize) -> f32 {
        self.vocab.coverage(plan, entry)
    }

    /// Synonym rules whose terms appear nowhere in the knowledge, or analyse to nothing.
    pub fn check_synonyms(knowledge: &Knowledge) -> Vec<Problem> {
        ANALYZERS.with(|a| plan::check_synonyms(knowledge, &mut a.borrow_mut()))
    }

    /// The clauses searched for a plan: each form of each word in the fields that hold it, phrases in
    /// the short fields, and adjacent word pairs in the questions.
    fn clauses<'p>(&self, plan: &'p Plan) -> Vec<Clause<'p>> {
        let fields = self.fields.boosted();
        let mut clauses = Vec::new();
        for slot in &plan.slots {
            // The word as typed, then at most MAX_SYNONYM_FORMS synonyms the knowledge actually uses.
            let forms = slot
                .forms()
                .zip(slot.form_ids())
                .filter_map(|((_, boost), ids)| {
                    let ids = ids.as_deref()?;
                    // The fields that hold every term of the form: the others cannot match.
                    let present = ids
                        .iter()
                        .fold(u8::MAX, |acc, id| acc & self.vocab.fields_of(*id));
                    (present != 0).then_some((boost, ids, present))
                })
                .take(1 + MAX_SYNONYM_FORMS);
            for (n, (boost, ids, present)) in forms.enumerate() {
                // Synonyms search the questions and answers only: fewer clauses, same recall
                // (titles and keywords repeat what the questions say).
                let allowed = if n == 0 { u8::MAX } else { SYNONYM_FIELDS };
                // Phrases are costly to match; for words that are everywhere ("HIT") they add nothing.
                if ids.len() > 1 && slot.weight < MIN_PHRASE_WEIGHT {
                    continue;
                }
                for (field, (_, field_boost, bit)) in fields.iter().enumerate() {
                    // Phrases only in the short fields: positions in long answers cost more than
                    // they tell.
                    if present & bit & allowed == 0 || (ids.len() > 1 && bit & PHRASE_FIELDS == 0) {
                        continue;
                    }
                    let boost = boost * field_boost;
                    clauses.push(match ids {
                        [id] => Clause::Term {
                            field,
                            id: *id,
                            boost,
                        },
                        _ => Clause::Phrase { field, ids, boost },
                    });
                }
            }
        }
        // Proximity: adjacent question words that stand together in an entry's questions rank it higher.
        for pair in plan.slots.windows(2) {
            if pair.iter().any(|s| s.weight < MIN_PHRASE_WEIGHT) {
                continue;
            }
            let (Some(Some(a)), Some(Some(b))) =
                (pair[0].form_ids().first(), pair[1].form_ids().first())
            else {
                continue;
            };
            if let ([a], [b]) = (a.as_slice(), b.as_slice()) {
                let both = self.vocab.fields_of(*a) & self.vocab.fields_of(*b);
                if a != b && both & plan::IN_QUESTIONS != 0 {
                    clauses.push(Clause::Near {
                        field: 0,
                        ids: [*a, *b],
                        boost: 0.5,
                    });
                }
            }
        }
        clauses
    }

    /// The clauses as one tantivy query: each a boosted term or phrase query, their scores summed.
    fn query(&self, clauses: &[Clause]) -> BooleanQuery {
        let fields = self.fields.boosted();
        let term = |field: usize, id: u32| {
            Term::from_field_text(fields[field].0, &self.texts[id as usize])
        };
        let phrase = |field: usize, ids: &[u32], slop: u32| {
            let mut q = PhraseQuery::new(ids.iter().map(|id| term(field, *id)).collect());
            q.set_slop(slop);
            q
        };
        let subqueries: Vec<(Occur, Box<dyn Query>)> = clauses
            .iter()
            .filter_map(|clause| {
                let (query, boost): (Box<dyn Query>, f32) = match *clause {
                    Clause::Term { field, id, boost } => (
                        Box::new(TermQuery::new(
                            term(field, id),
                            IndexRecordOption::WithFreqs,
                        )),
                        boost,
                    ),
                    Clause::Phrase { ids, .. } if ids.len() > MAX_PHRASE_TERMS => return None,
                    Clause::Phrase { field, ids, boost } => {
                        (Box::new(phrase(field, ids, 0)), boost)
                    }
                    Clause::Near { field, ids, boost } => (Box::new(phrase(field, &ids, 1)), boost),
                };
                Some((
                    Occur::Should,
                    Box::new(BoostQuery::new(query, boost)) as Box<dyn Query>,
                ))
            })
            .collect();
        BooleanQuery::new(subqueries)
    }

    /// Runs the clauses with tantivy and returns the best `limit` entries with their BM25 scores,
    /// best first.
    fn top_docs(&self, clauses: &[Clause], limit: usize) -> Vec<(f32, usize)> {
        if clauses.is_empty() {
            return Vec::new();
        }
        let collector = TopDocs::with_limit(limit).order_by_score();
        match self.searcher.search_with_statistics_provider(
            &self.query(clauses),
            &collector,
            &self.stats,
        ) {
            Ok(top) => top
                .into_iter()
                .filter_map(|(score, address)| {
                    let entries = self.entries.get(address.segment_ord as usize)?;
                    Some((score, *entries.get(address.doc_id as usize)?))
                })
                .collect(),
            Err(e) => {
                log::error!("search failed: {e}");
                Vec::new()
            }
        }
    }
}

/// BM25 statistics of the text fields, read once. Every term counts as rare (document frequency 0):
/// how rare a question's words are already weighs in coverage, the first ranking key, and counting it
/// in BM25 as well measured worse (our regression set: 0.964 against 0.973 in scope). BM25 here
/// rewards repeated terms in short fields.
struct Stats {
    docs: u64,
    tokens: HashMap<Field, u64>,
}

impl Stats {
    fn read(searcher: &Searcher, fields: &Fields) -> tantivy::Result<Stats> {
        let mut tokens = HashMap::new();
        for (field, _, _) in fields.boosted() {
            tokens.insert(field, searcher.total_num_tokens(field)?);
        }
        Ok(Stats {
            docs: searcher.num_docs(),
            tokens,
        })
    }
}

impl Bm25StatisticsProvider for Stats {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        Ok(self.tokens.get(&field).copied().unwrap_or(0))
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.docs)
    }

    fn doc_freq(&self, _term: &Term) -> tantivy::Result<u64> {
        Ok(0)
    }
}

/// Distinct analysed terms of a text, for callers comparing texts (tests, tools).
pub fn analysed_terms(text: &str) -> HashSet<String> {
    ANALYZERS.with(|a| {
        analyzer::tokens(&mut a.borrow_mut().full, text)
            .into_iter()
            .collect()
    })
}
