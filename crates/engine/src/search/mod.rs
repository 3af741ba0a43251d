//! Search: the only module that knows tantivy. It turns a chat question into a plan of analysed query
//! terms (spelling-corrected, synonym-expanded), scores it as a sum of boosted BM25 term and phrase
//! clauses over the tantivy index, re-ranks the candidates by how much of the question they cover,
//! and reports that coverage as the confidence. Raw user text never reaches tantivy's query parser.
//!
//! The index never changes while it is open (a reload opens a new one), so opening reads each
//! term's postings out of tantivy once: per field, its documents with their BM25 scores and, in the
//! phrase fields, its positions. A question is then scored term-at-a-time over those lists, exactly
//! as tantivy's term and phrase queries score (a test holds the phrase scores to tantivy's), without
//! decoding posting blocks per question.

mod analyzer;
mod index;
pub mod plan;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use tantivy::postings::Postings;
use tantivy::query::{Bm25StatisticsProvider, Bm25Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Searcher, Term, TERMINATED};

use analyzer::Analyzers;
pub use analyzer::ANALYZER;
use hitbot_knowledge::{Knowledge, Problem};
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
    fields: Fields,
    /// Per text field and phrase length: tantivy's BM25 weight of a phrase query there.
    phrase_bm25: [Vec<Bm25Weight>; 4],
    /// BM25 statistics of the text fields, for the phrase weights of unusually long phrases.
    stats: Stats,
    /// Each segment's term postings with their BM25 scores, read once at open: the index never
    /// changes while it is open (a reload opens a new one), and decoding posting blocks on every
    /// query cost more than the rest of the answer.
    segments: Vec<SegmentView>,
    vocab: plan::Vocabulary,
}

/// One segment of the index, with each term's postings read out once.
struct SegmentView {
    /// Every (doc id, BM25 score) of every term in every text field, grouped by term and field.
    impacts: Vec<(DocId, f32)>,
    /// Vocabulary term id → per text field (in [`Fields::boosted`] order), its range in `impacts`.
    ranges: Vec<[(u32, u32); 4]>,
    /// Every (doc id, range in `positions`) of every term in the phrase fields, grouped by term and
    /// field.
    occurrences: Vec<(DocId, u32, u32)>,
    /// Vocabulary term id → per text field, its range in `occurrences` (empty outside the phrase
    /// fields).
    occurrence_ranges: Vec<[(u32, u32); 4]>,
    /// Token positions, as tantivy indexed them (values of a multi-valued field continue the count).
    positions: Vec<u32>,
    /// Per text field, each doc's field-norm id (its length, as BM25 sees it).
    norms: [Vec<u8>; 4],
    /// Doc id → entry position.
    entries: Vec<usize>,
}

/// One query clause, scored with BM25 and summed per document (`field` indexes
/// [`Fields::boosted`]; ids are vocabulary term ids).
enum Clause<'a> {
    /// A term in one field.
    Term { field: usize, id: u32, boost: f32 },
    /// Terms in sequence in one field (tantivy's phrase query with slop 0).
    Phrase {
        field: usize,
        ids: &'a [u32],
        boost: f32,
    },
    /// Two terms at most one position apart, in either order (tantivy's phrase query with slop 1).
    Near {
        field: usize,
        ids: [u32; 2],
        boost: f32,
    },
}

/// Phrase lengths whose BM25 weights are computed at open; longer phrases get theirs per query.
const PHRASE_WEIGHTS: usize = 8;

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
        let docs = stats.docs.max(1);
        // tantivy's BM25 weight of a term in each text field. Every term gets the same idf (see
        // [`Stats`]), so one weight per field serves them all.
        let bm25 = boosted.map(|(f, _, _)| {
            let average = stats.tokens.get(&f).copied().unwrap_or(0) as f32 / docs as f32;
            Bm25Weight::for_one_term_without_explain(0, docs, average)
        });
        let mut segments = Vec::new();
        for (segment, ids) in searcher.segment_readers().iter().zip(ids) {
            let mut entries = Vec::with_capacity(ids.len());
            for id in ids {
                match by_id.get(id.as_str()) {
                    Some(i) => entries.push(*i),
                    None => return Err(SearchError::Stale(index_dir.to_path_buf())),
                }
            }
            let mut view = SegmentView {
                impacts: Vec::new(),
                ranges: vec![[(0, 0); 4]; terms.len()],
                occurrences: Vec::new(),
                occurrence_ranges: vec![[(0, 0); 4]; terms.len()],
                positions: Vec::new(),
                norms: Default::default(),
                entries,
            };
            let mut buffer = Vec::new();
            for (k, (field, _, bit)) in boosted.iter().enumerate() {
                let postings = segment.inverted_index(*field).map_err(tantivy_err)?;
                let norms = segment.get_fieldnorms_reader(*field).map_err(tantivy_err)?;
                view.norms[k] = (0..segment.max_doc())
                    .map(|d| norms.fieldnorm_id(d))
                    .collect();
                let phrases = bit & PHRASE_FIELDS != 0;
                let option = if phrases {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                };
                for &(text, id) in &terms {
                    let (start, first) = (view.impacts.len() as u32, view.occurrences.len() as u32);
                    let term = Term::from_field_text(*field, text);
                    if let Some(mut p) = postings
                        .read_postings(&term, option)
                        .map_err(|e| SearchError::io(index_dir, e))?
                    {
                        let mut doc = p.doc();
                        while doc != TERMINATED {
                            let score = bm25[k].score(norms.fieldnorm_id(doc), p.term_freq());
                            view.impacts.push((doc, score));
                            if phrases {
                                p.positions(&mut buffer);
                                let from = view.positions.len() as u32;
                                view.positions.extend_from_slice(&buffer);
                                view.occurrences
                                    .push((doc, from, view.positions.len() as u32));
                            }
                            doc = p.advance();
                        }
                    }
                    view.ranges[id as usize][k] = (start, view.impacts.len() as u32);
                    view.occurrence_ranges[id as usize][k] = (first, view.occurrences.len() as u32);
                }
            }
            segments.push(view);
        }
        let phrase_bm25 = try_map(&boosted, |(field, _, _)| {
            (0..PHRASE_WEIGHTS)
                .map(|n| phrase_weight(&stats, *field, n.max(1)))
                .collect::<tantivy::Result<Vec<_>>>()
        })
        .map_err(tantivy_err)?;
        Ok(SearchIndex {
            searcher,
            fields,
            phrase_bm25,
            stats,
            segments,
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

    /// Runs the clauses over every segment, summing each document's clause scores, and returns the
    /// best `limit` entries with their scores, best first.
    fn top_docs(&self, clauses: &[Clause], limit: usize) -> Vec<(f32, usize)> {
        let mut top: Vec<(f32, usize)> = Vec::new();
        let mut scores: Vec<f32> = Vec::new();
        let mut left: Vec<u32> = Vec::new();
        for (view, reader) in self.segments.iter().zip(self.searcher.segment_readers()) {
            scores.clear();
            scores.resize(view.entries.len(), 0.0);
            for clause in clauses {
                match *clause {
                    Clause::Term { field, id, boost } => {
                        let Some(&(start, end)) = view.ranges.get(id as usize).map(|r| &r[field])
                        else {
                            continue;
                        };
                        for &(doc, score) in &view.impacts[start as usize..end as usize] {
                            if let Some(s) = scores.get_mut(doc as usize) {
                                *s += boost * score;
                            }
                        }
                    }
                    Clause::Phrase { field, ids, boost } => {
                        self.score_phrase(view, field, ids, 0, boost, &mut scores, &mut left)
                    }
                    Clause::Near { field, ids, boost } => {
                        self.score_phrase(view, field, &ids, 1, boost, &mut scores, &mut left)
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
        top
    }

    /// Adds `boost` times the BM25 phrase score of each document where the terms `ids` stand in
    /// sequence in field `field` (`slop` 0), or, for two terms with `slop` 1, at most one position
    /// apart in either order. Scores as tantivy's `PhraseQuery` does (same matching, same counts,
    /// same weights), over the positions read at open.
    #[allow(clippy::too_many_arguments)]
    fn score_phrase(
        &self,
        view: &SegmentView,
        field: usize,
        ids: &[u32],
        slop: u32,
        boost: f32,
        scores: &mut [f32],
        left: &mut Vec<u32>,
    ) {
        debug_assert!(ids.len() >= 2 && (slop == 0 || ids.len() == 2));
        if ids.len() > MAX_PHRASE_TERMS {
            return;
        }
        let mut lists: [&[(DocId, u32, u32)]; MAX_PHRASE_TERMS] = [&[]; MAX_PHRASE_TERMS];
        for (list, id) in lists.iter_mut().zip(ids) {
            let Some(&(start, end)) = view.occurrence_ranges.get(*id as usize).map(|r| &r[field])
            else {
                return;
            };
            *list = &view.occurrences[start as usize..end as usize];
        }
        let lists = &mut lists[..ids.len()];
        let weight = match self.phrase_bm25[field].get(ids.len()) {
            Some(w) => std::borrow::Cow::Borrowed(w),
            None => match phrase_weight(&self.stats, self.fields.boosted()[field].0, ids.len()) {
                Ok(w) => std::borrow::Cow::Owned(w),
                Err(_) => return,
            },
        };
        let last = ids.len() - 1;
        let positions =
            |&(_, from, to): &(DocId, u32, u32)| &view.positions[from as usize..to as usize];
        'docs: while let Some(&(doc, ..)) = lists[0].first() {
            // Doc-at-a-time intersection: every list moves to its first doc at or after `target`.
            let mut target = doc;
            for list in lists.iter_mut() {
                let skip = list.partition_point(|o| o.0 < target);
                *list = &list[skip..];
                match list.first() {
                    None => break 'docs,
                    Some(o) => target = target.max(o.0),
                }
            }
            if lists.iter().any(|l| l[0].0 != target) {
                // Some list is past the others: start again from the furthest doc.
                let skip = lists[0].partition_point(|o| o.0 < target);
                lists[0] = &lists[0][skip..];
                continue;
            }
            // tantivy shifts term i's positions by (last - i), so a phrase's terms line up.
            left.clear();
            left.extend(positions(&lists[0][0]).iter().map(|p| p + last as u32));
            let count = if slop == 0 {
                // Positions are distinct, so the survivors of the last intersection are the count.
                for (i, list) in lists.iter().enumerate().skip(1) {
                    intersect(left, positions(&list[0]), (last - i) as u32);
                }
                left.len() as u32
            } else {
                intersection_count_with_slop(left, positions(&lists[1][0]), slop)
            };
            if count > 0 {
                if let Some(s) = scores.get_mut(target as usize) {
                    *s += boost * weight.score(view.norms[field][target as usize], count);
                }
            }
            for list in lists.iter_mut() {
                *list = &list[1..];
            }
        }
    }
}

/// Maps the four text fields through a fallible function.
fn try_map<T, U>(items: &[T; 4], f: impl Fn(&T) -> tantivy::Result<U>) -> tantivy::Result<[U; 4]> {
    Ok([f(&items[0])?, f(&items[1])?, f(&items[2])?, f(&items[3])?])
}

/// tantivy's BM25 weight of an `n`-term phrase query in `field` (as `PhraseQuery::weight` makes it).
fn phrase_weight(stats: &Stats, field: Field, n: usize) -> tantivy::Result<Bm25Weight> {
    Bm25Weight::for_terms(stats, &vec![Term::from_field_text(field, ""); n])
}

/// Phrases longer than this are not searched (synonym forms are a few words).
const MAX_PHRASE_TERMS: usize = 16;

/// Keeps the values of `left` that equal some `right` value plus `shift` (both sorted).
fn intersect(left: &mut Vec<u32>, right: &[u32], shift: u32) {
    let (mut l, mut r, mut kept) = (0, 0, 0);
    while l < left.len() && r < right.len() {
        match left[l].cmp(&(right[r] + shift)) {
            std::cmp::Ordering::Less => l += 1,
            std::cmp::Ordering::Greater => r += 1,
            std::cmp::Ordering::Equal => {
                left[kept] = left[l];
                kept += 1;
                l += 1;
                r += 1;
            }
        }
    }
    left.truncate(kept);
}

/// How many `right` positions have a `left` position at most `slop` away, each pairing used once:
/// tantivy's count for a two-term phrase with slop.
fn intersection_count_with_slop(left: &[u32], right: &[u32], slop: u32) -> u32 {
    let (mut l, mut r, mut count) = (0, 0, 0);
    while l < left.len() && r < right.len() {
        let (lv, rv) = (left[l], right[r]);
        if lv.abs_diff(rv) <= slop {
            // A later left position may be closer.
            while l + 1 < left.len() && left[l + 1] <= rv {
                l += 1;
            }
            count += 1;
            l += 1;
            r += 1;
        } else if lv < rv {
            l += 1;
        } else {
            r += 1;
        }
    }
    count
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

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::query::{EnableScoring, PhraseQuery, Query};

    /// The phrase matcher over the positions read at open must score exactly as tantivy's
    /// `PhraseQuery` does: same documents, same floats. Phrases: each run of two and three adjacent
    /// terms in the knowledge's questions and titles (the phrases that match), the same pairs
    /// reversed, and pseudo-random pairs and triples (mostly no match).
    #[test]
    fn phrase_scores_match_tantivy_phrase_queries() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let (knowledge, problems) = Knowledge::load(&root.join("knowledge"), usize::MAX);
        assert!(problems.is_empty(), "{problems:?}");
        let dir = std::env::temp_dir().join(format!("hitbot-phrase-test-{}", std::process::id()));
        let index = SearchIndex::open(&dir, &knowledge, "phrase-test").expect("index");
        let ids: HashMap<&str, u32> = index.vocab.terms().collect();
        let texts: Vec<&str> = {
            let mut t = vec![""; ids.len()];
            for (text, id) in &ids {
                t[*id as usize] = text;
            }
            t
        };
        let mut phrases: Vec<Vec<u32>> = Vec::new();
        for e in &knowledge.entries {
            for text in e.questions.iter().chain([&e.title]) {
                let terms: Vec<u32> = ANALYZERS
                    .with(|a| analyzer::tokens(&mut a.borrow_mut().full, text))
                    .iter()
                    .filter_map(|t| ids.get(t.as_str()).copied())
                    .collect();
                for w in terms.windows(2) {
                    phrases.push(w.to_vec());
                    phrases.push(vec![w[1], w[0]]);
                }
                phrases.extend(terms.windows(3).map(<[u32]>::to_vec));
            }
        }
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ((seed >> 33) % ids.len() as u64) as u32
        };
        for n in 0..3000 {
            phrases.push((0..2 + n % 2).map(|_| next()).collect());
        }
        let fields = index.fields.boosted();
        let stats = EnableScoring::enabled_from_statistics_provider(&index.stats, &index.searcher);
        let (mut matched, mut compared) = (0, 0);
        let mut left = Vec::new();
        for phrase in &phrases {
            for (field, (f, _, bit)) in fields.iter().enumerate() {
                if bit & PHRASE_FIELDS == 0 {
                    continue;
                }
                for slop in [0, 1] {
                    if slop > 0 && phrase.len() != 2 {
                        continue;
                    }
                    let mut query = PhraseQuery::new(
                        phrase
                            .iter()
                            .map(|id| Term::from_field_text(*f, texts[*id as usize]))
                            .collect(),
                    );
                    query.set_slop(slop);
                    let weight = query.weight(stats).expect("weight");
                    for (view, reader) in
                        index.segments.iter().zip(index.searcher.segment_readers())
                    {
                        let mut expected = vec![0.0f32; view.entries.len()];
                        weight
                            .for_each(reader, &mut |doc, score| expected[doc as usize] += score)
                            .expect("tantivy phrase query");
                        let mut got = vec![0.0f32; view.entries.len()];
                        index.score_phrase(view, field, phrase, slop, 1.0, &mut got, &mut left);
                        let bits = |v: &[f32]| v.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
                        let words: Vec<&str> = phrase.iter().map(|i| texts[*i as usize]).collect();
                        assert_eq!(
                            bits(&got),
                            bits(&expected),
                            "{words:?} field {field} slop {slop}"
                        );
                        compared += 1;
                        matched += expected.iter().filter(|s| **s > 0.0).count();
                    }
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            compared > 10_000 && matched > 1_000,
            "{compared} queries, {matched} matches"
        );
    }
}
