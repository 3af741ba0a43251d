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

use tantivy::collector::TopDocs;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

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
    /// Segment ord → doc id → entry position.
    doc_entry: Vec<Vec<usize>>,
    vocab: plan::Vocabulary,
}

impl SearchIndex {
    /// Opens (building if needed) the index for `knowledge` under `index_dir`.
    pub fn open(
        index_dir: &Path,
        knowledge: &Knowledge,
        fingerprint: &str,
    ) -> Result<SearchIndex, SearchError> {
        let (index, fields) = index::open_or_build(index_dir, knowledge, fingerprint)?;
        let reader = index
            .reader()
            .map_err(|e| SearchError::tantivy(index_dir, e))?;
        let searcher = reader.searcher();
        let stats =
            Stats::read(&searcher, &fields).map_err(|e| SearchError::tantivy(index_dir, e))?;
        let ids = index::stored_ids(&searcher, &fields)
            .map_err(|e| SearchError::tantivy(index_dir, e))?;
        let by_id: HashMap<&str, usize> = knowledge
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.as_str(), i))
            .collect();
        let mut doc_entry = Vec::new();
        for segment in ids {
            let mut map = Vec::with_capacity(segment.len());
            for id in segment {
                match by_id.get(id.as_str()) {
                    Some(i) => map.push(*i),
                    None => return Err(SearchError::Stale(index_dir.to_path_buf())),
                }
            }
            doc_entry.push(map);
        }
        let vocab = ANALYZERS.with(|a| plan::Vocabulary::new(knowledge, &mut a.borrow_mut()));
        Ok(SearchIndex {
            searcher,
            stats,
            fields,
            doc_entry,
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
        let query = self.query(plan);
        let top = match self.searcher.search_with_statistics_provider(
            &query,
            &TopDocs::with_limit(CANDIDATES.max(limit)).order_by_score(),
            &self.stats,
        ) {
            Ok(top) => top,
            Err(e) => {
                log::warn!("search failed: {e}");
                return Vec::new();
            }
        };
        let best = top.first().map_or(1.0, |(s, _)| s.max(f32::EPSILON));
        let mut hits: Vec<Hit> = top
            .into_iter()
            .filter_map(|(score, addr)| {
                let entry = *self
                    .doc_entry
                    .get(addr.segment_ord as usize)?
                    .get(addr.doc_id as usize)?;
                let covered = self.vocab.covered_weight(plan, entry);
                let total = plan.weight();
                let coverage = if total > 0.0 {
                    (covered / total).min(1.0)
                } else {
                    0.0
                };
                let similar = self.vocab.question_similarity(plan, entry);
                Some(Hit {
                    entry,
                    score,
                    coverage,
                    rank: 2.0 * coverage + 0.35 * score / best + 0.4 * similar,
                    covered,
                    total,
                })
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

    fn query(&self, plan: &Plan) -> BooleanQuery {
        let fields = self.fields.boosted();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for slot in &plan.slots {
            // The word as typed, then at most MAX_SYNONYM_FORMS synonyms the knowledge actually uses.
            let forms = slot
                .forms()
                .filter(|(terms, _)| self.vocab.fields_with(terms) != 0)
                .take(1 + MAX_SYNONYM_FORMS);
            for (n, (terms, boost)) in forms.enumerate() {
                // Synonyms search the questions and answers only: fewer clauses, same recall
                // (titles and keywords repeat what the questions say).
                let allowed = if n == 0 { u8::MAX } else { SYNONYM_FIELDS };
                // Phrases are costly to match; for words that are everywhere ("HIT") they add nothing.
                if terms.len() > 1 && slot.weight < MIN_PHRASE_WEIGHT {
                    continue;
                }
                // Only fields that hold every term of the form: the others cannot match.
                let present = self.vocab.fields_with(terms);
                for (field, field_boost, bit) in fields {
                    // Phrases only in the short fields: positions in long answers cost more than
                    // they tell.
                    if present & bit & allowed == 0 || (terms.len() > 1 && bit & PHRASE_FIELDS == 0)
                    {
                        continue;
                    }
                    let q: Box<dyn Query> = if terms.len() == 1 {
                        Box::new(TermQuery::new(
                            Term::from_field_text(field, &terms[0]),
                            IndexRecordOption::WithFreqs,
                        ))
                    } else {
                        Box::new(PhraseQuery::new(
                            terms
                                .iter()
                                .map(|t| Term::from_field_text(field, t))
                                .collect(),
                        ))
                    };
                    clauses.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(q, boost * field_boost)),
                    ));
                }
            }
        }
        // Proximity: adjacent question words that stand together in an entry rank it higher.
        for pair in plan.slots.windows(2) {
            if pair.iter().any(|s| s.weight < MIN_PHRASE_WEIGHT) {
                continue;
            }
            if let ([a], [b]) = (pair[0].terms.as_slice(), pair[1].terms.as_slice()) {
                if a != b
                    && self.vocab.knows_all(&pair[0].terms)
                    && self.vocab.knows_all(&pair[1].terms)
                {
                    let present = self.vocab.fields_with(&[a.clone(), b.clone()]);
                    for (field, _, bit) in fields {
                        if present & bit == 0 || bit != plan::IN_QUESTIONS {
                            continue;
                        }
                        let mut q = PhraseQuery::new(vec![
                            Term::from_field_text(field, a),
                            Term::from_field_text(field, b),
                        ]);
                        q.set_slop(1);
                        clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), 0.5))));
                    }
                }
            }
        }
        BooleanQuery::new(clauses)
    }
}

/// BM25 statistics of every term of the text fields, read once.
struct Stats {
    docs: u64,
    tokens: HashMap<Field, u64>,
    doc_freq: HashMap<Term, u64>,
}

impl Stats {
    fn read(searcher: &Searcher, fields: &Fields) -> tantivy::Result<Stats> {
        let mut tokens = HashMap::new();
        let mut doc_freq: HashMap<Term, u64> = HashMap::new();
        for (field, _, _) in fields.boosted() {
            tokens.insert(field, searcher.total_num_tokens(field)?);
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().stream()?;
                while stream.advance() {
                    let term = Term::from_field_bytes(field, stream.key());
                    *doc_freq.entry(term).or_default() += u64::from(stream.value().doc_freq);
                }
            }
        }
        Ok(Stats {
            docs: searcher.num_docs(),
            tokens,
            doc_freq,
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

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        Ok(self.doc_freq.get(term).copied().unwrap_or(0))
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
