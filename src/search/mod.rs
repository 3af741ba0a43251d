//! Search: the only module that knows tantivy. It turns a chat question into a plan of analysed query
//! terms (spelling-corrected, synonym-expanded), runs it as a boolean query of boosted term and phrase
//! queries, re-ranks the candidates by how much of the question they cover, and reports that coverage
//! as the confidence. Raw user text never reaches tantivy's query parser.

mod analyzer;
mod index;
pub mod plan;
pub mod spelling;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, TermInfo};
use tantivy::query::{Bm25StatisticsProvider, Bm25Weight, EnableScoring, PhraseQuery, Query};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, InvertedIndexReader, Searcher, Term, TERMINATED};

use crate::knowledge::{Knowledge, Problem};
use analyzer::Analyzers;
pub use analyzer::ANALYZER;
use index::Fields;
pub use plan::{Plan, Slot};

/// Bumped whenever the analyzer or schema changes, so old indexes are rebuilt.
pub const ENGINE_VERSION: &str = "hitbot-index-1";

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

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("index {path}: {source}")]
    Tantivy {
        path: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("index {0} was built by another version of hitbot")]
    Stale(PathBuf),
}

impl SearchError {
    fn io(path: &Path, source: std::io::Error) -> SearchError {
        SearchError::Io {
            path: path.to_path_buf(),
            source,
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
    /// BM25 statistics read once at open: the index never changes while it is open, and looking
    /// them up in the term dictionary on every query costs more than the search itself.
    stats: Stats,
    fields: Fields,
    /// What each segment's term queries need, opened once.
    segments: Vec<SegmentView>,
    /// Per text field (in [`Fields::boosted`] order): tantivy's BM25 weight of a term there. Every
    /// term gets the same idf (see [`Stats`]), so one weight per field serves them all.
    bm25: [Bm25Weight; 4],
    vocab: plan::Vocabulary,
}

/// One segment of the index, with its readers opened once.
struct SegmentView {
    /// Inverted index and field norms of each text field, in [`Fields::boosted`] order.
    postings: [Arc<InvertedIndexReader>; 4],
    norms: [FieldNormReader; 4],
    /// Vocabulary term id → where its postings are in each text field.
    term_info: Vec<[Option<TermInfo>; 4]>,
    /// Doc id → entry position.
    entries: Vec<usize>,
}

/// One query clause, scored with BM25 and summed per document.
enum Clause<'a> {
    /// A term in one field (`field` indexes [`Fields::boosted`]).
    Term { field: usize, id: u32, boost: f32 },
    /// Terms in sequence in one field, at most `slop` positions apart.
    Phrase {
        field: usize,
        terms: Vec<&'a str>,
        slop: u32,
        boost: f32,
    },
}

impl SearchIndex {
    /// Opens (building if needed) the index for `knowledge` under `index_dir`.
    pub fn open(
        index_dir: &Path,
        knowledge: &Knowledge,
        fingerprint: &str,
    ) -> Result<SearchIndex, SearchError> {
        let (index, fields) = index::open_or_build(index_dir, knowledge, fingerprint)?;
        let tantivy_err = |e| SearchError::tantivy(index_dir, e);
        let reader = index.reader().map_err(tantivy_err)?;
        let searcher = reader.searcher();
        let stats = Stats::read(&searcher, &fields).map_err(tantivy_err)?;
        let ids = index::stored_ids(&searcher, &fields).map_err(tantivy_err)?;
        let by_id: HashMap<&str, usize> = knowledge
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.as_str(), i))
            .collect();
        let vocab = ANALYZERS.with(|a| plan::Vocabulary::new(knowledge, &mut a.borrow_mut()));
        let boosted = fields.boosted();
        let terms: Vec<(&str, u32)> = vocab.terms().collect();
        let mut segments = Vec::new();
        for (segment, ids) in searcher.segment_readers().iter().zip(ids) {
            let mut entries = Vec::with_capacity(ids.len());
            for id in ids {
                match by_id.get(id.as_str()) {
                    Some(i) => entries.push(*i),
                    None => return Err(SearchError::Stale(index_dir.to_path_buf())),
                }
            }
            let postings =
                try_map(&boosted, |(f, _, _)| segment.inverted_index(*f)).map_err(tantivy_err)?;
            let norms = try_map(&boosted, |(f, _, _)| segment.get_fieldnorms_reader(*f))
                .map_err(tantivy_err)?;
            let mut term_info = vec![[const { None }; 4]; terms.len()];
            for &(text, id) in &terms {
                for (k, (field, _, _)) in boosted.iter().enumerate() {
                    term_info[id as usize][k] = postings[k]
                        .get_term_info(&Term::from_field_text(*field, text))
                        .map_err(|e| SearchError::io(index_dir, e))?;
                }
            }
            segments.push(SegmentView {
                postings,
                norms,
                term_info,
                entries,
            });
        }
        let docs = stats.docs.max(1);
        let bm25 = boosted.map(|(f, _, _)| {
            let average = stats.tokens.get(&f).copied().unwrap_or(0) as f32 / docs as f32;
            Bm25Weight::for_one_term_without_explain(0, docs, average)
        });
        Ok(SearchIndex {
            searcher,
            stats,
            fields,
            segments,
            bm25,
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
        if plan.known_slots() == 0 || plan.foreign {
            return Vec::new();
        }
        let top = match self.top_docs(&self.clauses(plan), CANDIDATES.max(limit)) {
            Ok(top) => top,
            Err(e) => {
                log::warn!("search failed: {e}");
                return Vec::new();
            }
        };
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
                .filter_map(|((terms, boost), ids)| {
                    let ids = ids.as_deref()?;
                    // The fields that hold every term of the form: the others cannot match.
                    let present = ids
                        .iter()
                        .fold(u8::MAX, |acc, id| acc & self.vocab.fields_of(*id));
                    (present != 0).then_some((terms, boost, ids, present))
                })
                .take(1 + MAX_SYNONYM_FORMS);
            for (n, (terms, boost, ids, present)) in forms.enumerate() {
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
                        _ => Clause::Phrase {
                            field,
                            terms: terms.iter().map(String::as_str).collect(),
                            slop: 0,
                            boost,
                        },
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
                    clauses.push(Clause::Phrase {
                        field: 0,
                        terms: vec![&pair[0].terms[0], &pair[1].terms[0]],
                        slop: 1,
                        boost: 0.5,
                    });
                }
            }
        }
        clauses
    }

    /// Runs the clauses over every segment, summing each document's clause scores, and returns the
    /// best `limit` entries with their scores, best first.
    fn top_docs(&self, clauses: &[Clause], limit: usize) -> tantivy::Result<Vec<(f32, usize)>> {
        let fields = self.fields.boosted();
        let mut top: Vec<(f32, usize)> = Vec::new();
        let mut scores: Vec<f32> = Vec::new();
        for (view, reader) in self.segments.iter().zip(self.searcher.segment_readers()) {
            scores.clear();
            scores.resize(view.entries.len(), 0.0);
            for clause in clauses {
                match *clause {
                    Clause::Term { field, id, boost } => {
                        let Some(info) = view
                            .term_info
                            .get(id as usize)
                            .and_then(|t| t[field].as_ref())
                        else {
                            continue;
                        };
                        let bm25 = &self.bm25[field];
                        let norms = &view.norms[field];
                        let mut postings = view.postings[field]
                            .read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
                        let mut doc = postings.doc();
                        while doc != TERMINATED {
                            if let Some(s) = scores.get_mut(doc as usize) {
                                *s += boost
                                    * bm25.score(norms.fieldnorm_id(doc), postings.term_freq());
                            }
                            doc = postings.advance();
                        }
                    }
                    Clause::Phrase {
                        field,
                        ref terms,
                        slop,
                        boost,
                    } => {
                        let mut query = PhraseQuery::new(
                            terms
                                .iter()
                                .map(|t| Term::from_field_text(fields[field].0, t))
                                .collect(),
                        );
                        query.set_slop(slop);
                        let weight =
                            query.weight(EnableScoring::enabled_from_statistics_provider(
                                &self.stats,
                                &self.searcher,
                            ))?;
                        weight.for_each(reader, &mut |doc, score| {
                            if let Some(s) = scores.get_mut(doc as usize) {
                                *s += boost * score;
                            }
                        })?;
                    }
                }
            }
            let alive = reader.alive_bitset();
            top.extend(
                scores
                    .iter()
                    .enumerate()
                    .filter(|(doc, s)| **s > 0.0 && alive.is_none_or(|a| a.is_alive(*doc as DocId)))
                    .map(|(doc, s)| (*s, view.entries[doc])),
            );
        }
        // Best score first; equal scores in index order, as tantivy's collector keeps them.
        top.sort_by(|a, b| b.0.total_cmp(&a.0));
        top.truncate(limit);
        Ok(top)
    }
}

/// Maps the four text fields through a fallible function.
fn try_map<T, U>(items: &[T; 4], f: impl Fn(&T) -> tantivy::Result<U>) -> tantivy::Result<[U; 4]> {
    Ok([f(&items[0])?, f(&items[1])?, f(&items[2])?, f(&items[3])?])
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
