//! Spelling correction against the knowledge's own vocabulary: a word that is not in the vocabulary is
//! replaced by the closest word that is (one edit for words of 5–10 letters, two for longer ones;
//! words of 3–4 letters only lose or gain a doubled letter). A word that is in the vocabulary is never changed. Pure: the engine corrects questions with it, the careers crate path names.

use rustc_hash::FxHashMap as HashMap;

/// Vocabulary words bucketed by length in characters, with how often each occurs.
#[derive(Debug, Default, Clone)]
pub struct Speller {
    known: HashMap<String, u32>,
    /// First letter → words by length (a correction keeps the first letter).
    by_start: HashMap<char, Vec<Vec<Candidate>>>,
}

/// A vocabulary word ready for comparison.
#[derive(Debug, Clone)]
struct Candidate {
    chars: Vec<char>,
    /// Which letters a-z occur: each edit changes at most two bits, a cheap filter before the DP.
    letters: u32,
    text: String,
    freq: u32,
}

fn letters(chars: &[char]) -> u32 {
    chars.iter().fold(0, |m, c| match c {
        'a'..='z' => m | 1 << (*c as u32 - 'a' as u32),
        _ => m,
    })
}

/// How many edits a word of `len` characters may be corrected by. Two edits only for long words:
/// on shorter ones they turn real words into others ("connected" → "collected").
pub fn max_edits(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=10 => 1,
        _ => 2,
    }
}

impl Speller {
    pub fn new(words: impl IntoIterator<Item = (String, u32)>) -> Speller {
        let mut known: HashMap<String, u32> = HashMap::default();
        for (w, n) in words {
            *known.entry(w).or_default() += n;
        }
        let mut by_start: HashMap<char, Vec<Vec<Candidate>>> = HashMap::default();
        for (w, n) in &known {
            let chars: Vec<char> = w.chars().collect();
            let Some(first) = chars.first() else {
                continue;
            };
            let by_len = by_start.entry(*first).or_default();
            if by_len.len() <= chars.len() {
                by_len.resize(chars.len() + 1, Vec::new());
            }
            by_len[chars.len()].push(Candidate {
                letters: letters(&chars),
                chars,
                text: w.clone(),
                freq: *n,
            });
        }
        for bucket in by_start.values_mut().flatten() {
            bucket.sort_by(|a, b| a.text.cmp(&b.text));
        }
        Speller { known, by_start }
    }

    pub fn contains(&self, word: &str) -> bool {
        self.known.contains_key(word)
    }

    pub fn len(&self) -> usize {
        self.known.len()
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The closest vocabulary word to an unknown `word` that starts with the same letter, or `None`
    /// when the word is known, has digits, is too short, or nothing is close enough. Ties go to the
    /// more frequent word.
    pub fn correct(&self, word: &str) -> Option<&str> {
        if self.contains(word) || word.chars().any(|c| !c.is_alphabetic()) {
            return None;
        }
        let chars: Vec<char> = word.chars().collect();
        let limit = max_edits(chars.len());
        if limit == 0 {
            return self.correct_doubling(&chars);
        }
        let mut best: Option<(usize, u32, &str)> = None;
        let mask = letters(&chars);
        let by_len = self.by_start.get(chars.first()?)?;
        let lo = chars.len().saturating_sub(limit);
        let hi = (chars.len() + limit).min(by_len.len().saturating_sub(1));
        for bucket in by_len.get(lo..=hi).into_iter().flatten() {
            for Candidate {
                chars: cand,
                letters,
                text,
                freq,
            } in bucket
            {
                // Typos rarely hit the first letter; allowing it turns "bread" into "read".
                if cand.first() != chars.first()
                    || (mask ^ letters).count_ones() as usize > 2 * limit
                {
                    continue;
                }
                let Some(d) = osa_distance(&chars, cand, limit) else {
                    continue;
                };
                let better = match best {
                    None => true,
                    Some((bd, bf, _)) => d < bd || (d == bd && *freq > bf),
                };
                if better {
                    best = Some((d, *freq, text));
                }
            }
        }
        best.map(|(_, _, w)| w)
    }

    /// Short words get two kinds of fix only: a letter typed twice, or once where the word doubles it
    /// ("jobb" → "job", "skil" → "skill"), and two neighbouring letters after the first typed the
    /// wrong way round ("mkae" → "make", "hrad" → "hard"). Any edit at all would turn short real
    /// words into others. Ties go to the more frequent word.
    fn correct_doubling(&self, chars: &[char]) -> Option<&str> {
        if chars.len() < 3 {
            return None;
        }
        let mut best: Option<(u32, &str)> = None;
        let mut consider = |word: String| {
            if let Some((known, freq)) = self.known.get_key_value(word.as_str()) {
                if best.is_none_or(|(f, _)| *freq > f) {
                    best = Some((*freq, known.as_str()));
                }
            }
        };
        for i in 0..chars.len() {
            if i > 0 && chars[i] == chars[i - 1] {
                consider(chars[..i].iter().chain(&chars[i + 1..]).collect());
            }
            consider(chars[..=i].iter().chain(&chars[i..]).collect());
            if i > 0 && i + 1 < chars.len() && chars[i] != chars[i + 1] {
                let mut swapped = chars.to_vec();
                swapped.swap(i, i + 1);
                consider(swapped.into_iter().collect());
            }
        }
        best.map(|(_, w)| w)
    }
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), or `None` when it
/// exceeds `limit`.
pub fn osa_distance(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    // Three rows of the DP table; on the stack for words of ordinary length.
    const STACK: usize = 48;
    let width = b.len() + 1;
    if width <= STACK {
        let mut rows = [0usize; 3 * STACK];
        osa_rows(a, b, limit, &mut rows[..3 * width])
    } else {
        osa_rows(a, b, limit, &mut vec![0usize; 3 * width])
    }
}

fn osa_rows(a: &[char], b: &[char], limit: usize, rows: &mut [usize]) -> Option<usize> {
    let width = b.len() + 1;
    let (mut prev2, rest) = rows.split_at_mut(width);
    let (mut prev, mut cur) = rest.split_at_mut(width);
    for (j, v) in prev.iter_mut().enumerate() {
        *v = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= limit).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speller() -> Speller {
        Speller::new(
            [
                "salary",
                "certification",
                "organizations",
                "registered",
                "technician",
                "associate",
                "coder",
                "code",
                "career",
                "careers",
                "job",
                "pay",
                "skill",
            ]
            .into_iter()
            .map(|w| (w.to_string(), 1)),
        )
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn distance_counts_edits_and_transpositions() {
        assert_eq!(osa_distance(&chars("salery"), &chars("salary"), 2), Some(1));
        assert_eq!(osa_distance(&chars("teh"), &chars("the"), 2), Some(1));
        assert_eq!(osa_distance(&chars("abc"), &chars("abc"), 0), Some(0));
        assert_eq!(osa_distance(&chars("kitten"), &chars("sitting"), 2), None);
        assert_eq!(osa_distance(&chars(""), &chars("ab"), 2), Some(2));
    }

    #[test]
    fn corrects_common_typos() {
        let s = speller();
        assert_eq!(s.correct("salery"), Some("salary"));
        assert_eq!(s.correct("certifcation"), Some("certification"));
        assert_eq!(s.correct("orginizations"), Some("organizations"));
        assert_eq!(s.correct("registerd"), Some("registered"));
        assert_eq!(s.correct("tecnician"), Some("technician"));
        assert_eq!(s.correct("assosiate"), Some("associate"));
    }

    #[test]
    fn short_words_only_lose_or_gain_a_doubled_letter_or_swap_two() {
        let s = speller();
        assert_eq!(s.correct("jobb"), Some("job"));
        assert_eq!(s.correct("joob"), Some("job"));
        assert_eq!(s.correct("payy"), Some("pay"));
        assert_eq!(s.correct("skil"), Some("skill"));
        assert_eq!(s.correct("jbo"), Some("job"));
        assert_eq!(s.correct("cdoe"), Some("code"));
        // Not the first letter.
        assert_eq!(s.correct("ajb"), None);
        assert_eq!(s.correct("jab"), None);
        assert_eq!(s.correct("ob"), None);
    }

    #[test]
    fn never_changes_a_known_word() {
        let s = speller();
        for w in ["coder", "code", "career", "careers", "salary"] {
            assert_eq!(s.correct(w), None, "{w}");
        }
    }

    #[test]
    fn leaves_short_far_and_numeric_words_alone() {
        let s = speller();
        assert_eq!(s.correct("cod"), None);
        assert_eq!(s.correct("weather"), None);
        assert_eq!(s.correct("sal4ry"), None);
        assert_eq!(s.correct(""), None);
    }
}
