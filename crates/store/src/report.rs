//! The operator's report over the store: the most frequent unanswered questions (grouped by
//! [`normalize`](crate::normalize)), low-confidence answers, the entries with the most 👎,
//! counts per day and the answer rate. [`build`] returns plain data (serializable, for `--json` and
//! for the Telegram admin commands); [`render_text`] and [`render_unanswered`] turn it into plain
//! text. Days are UTC.

use std::time::{Duration, SystemTime};

use rusqlite::params;
use serde::Serialize;

use crate::{sql, unix_seconds, Store, StoreError};

/// Everything `hitbot report` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Start of the period, unix seconds (counts start at the hour that contains it).
    pub since: i64,
    /// When the report was made, unix seconds.
    pub until: i64,
    /// Questions answered, including low-confidence ones.
    pub answered: u64,
    pub low_confidence: u64,
    pub declined: u64,
    /// answered / (answered + declined); `None` without any question.
    pub answer_rate: Option<f64>,
    pub up: u64,
    pub down: u64,
    /// Declined questions, most frequent first.
    pub unanswered: Vec<QuestionCount>,
    /// Answered with low confidence, most frequent first.
    pub uncertain: Vec<QuestionCount>,
    /// Entries with votes, most 👎 first.
    pub feedback: Vec<EntryVotes>,
    /// One row per UTC day with any activity, oldest first.
    pub days: Vec<DayCounts>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionCount {
    /// The grouping key: the question normalised.
    pub normalized: String,
    /// The most recent wording as asked.
    pub example: String,
    pub count: u64,
    /// The entry of the most recent one (answered, or nearest when declined).
    pub entry: Option<String>,
    /// Average confidence of the group.
    pub confidence: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryVotes {
    pub entry: String,
    pub down: u64,
    pub up: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayCounts {
    /// YYYY-MM-DD (UTC).
    pub day: String,
    /// Including low-confidence answers.
    pub answered: u64,
    pub low_confidence: u64,
    pub declined: u64,
    pub up: u64,
    pub down: u64,
}

/// The report of a period in which nothing was recorded: every count zero, every list empty (also
/// what `hitbot report --json` prints before there is a store).
pub fn empty(since: SystemTime) -> Report {
    Report {
        since: unix_seconds(since),
        until: unix_seconds(SystemTime::now()),
        answered: 0,
        low_confidence: 0,
        declined: 0,
        answer_rate: None,
        up: 0,
        down: 0,
        unanswered: Vec::new(),
        uncertain: Vec::new(),
        feedback: Vec::new(),
        days: Vec::new(),
    }
}

/// Reads the report for everything since `since`, with at most `top` rows per list.
pub fn build(store: &Store, since: SystemTime, top: usize) -> Result<Report, StoreError> {
    let conn = store.conn();
    let err = |e| sql(store.path(), e);
    let mut report = empty(since);
    let since = report.since;
    let top = top.min(i64::MAX as usize) as i64;

    let mut stmt = conn
        .prepare(
            "SELECT date(hour * 3600, 'unixepoch') AS day, kind, SUM(n) FROM counts
             WHERE hour >= ?1 GROUP BY day, kind ORDER BY day",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map(params![since.div_euclid(3600)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(err)?;
    for row in rows {
        let (day, kind, n) = row.map_err(err)?;
        let n = n.max(0) as u64;
        if report.days.last().is_none_or(|d| d.day != day) {
            report.days.push(DayCounts {
                day,
                ..DayCounts::default()
            });
        }
        let Some(d) = report.days.last_mut() else {
            continue;
        };
        match kind.as_str() {
            "answered" => d.answered += n,
            "low_confidence" => {
                d.answered += n;
                d.low_confidence += n;
            }
            "declined" => d.declined += n,
            "up" => d.up += n,
            "down" => d.down += n,
            _ => {}
        }
    }
    for d in &report.days {
        report.answered += d.answered;
        report.low_confidence += d.low_confidence;
        report.declined += d.declined;
        report.up += d.up;
        report.down += d.down;
    }
    let asked = report.answered + report.declined;
    report.answer_rate = (asked > 0).then(|| report.answered as f64 / asked as f64);

    // The bare columns come from the group's most recent row (SQLite's max() rule).
    let mut stmt = conn
        .prepare(
            "SELECT normalized, question, COUNT(*), entry, AVG(confidence), MAX(at) FROM events
             WHERE kind = ?1 AND at >= ?2 GROUP BY normalized
             ORDER BY COUNT(*) DESC, MAX(at) DESC LIMIT ?3",
        )
        .map_err(err)?;
    for (kind, list) in [
        ("declined", &mut report.unanswered),
        ("low_confidence", &mut report.uncertain),
    ] {
        let rows = stmt
            .query_map(params![kind, since, top], |r| {
                Ok(QuestionCount {
                    normalized: r.get(0)?,
                    example: r.get(1)?,
                    count: r.get::<_, i64>(2)?.max(0) as u64,
                    entry: r.get(3)?,
                    confidence: r.get::<_, f64>(4)? as f32,
                })
            })
            .map_err(err)?;
        for row in rows {
            list.push(row.map_err(err)?);
        }
    }

    let mut stmt = conn
        .prepare(
            "SELECT entry, SUM(kind = 'down'), SUM(kind = 'up') FROM events
             WHERE kind IN ('up', 'down') AND at >= ?1 AND entry IS NOT NULL
             GROUP BY entry ORDER BY 2 DESC, 3 ASC, entry LIMIT ?2",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map(params![since, top], |r| {
            Ok(EntryVotes {
                entry: r.get(0)?,
                down: r.get::<_, i64>(1)?.max(0) as u64,
                up: r.get::<_, i64>(2)?.max(0) as u64,
            })
        })
        .map_err(err)?;
    for row in rows {
        report.feedback.push(row.map_err(err)?);
    }
    Ok(report)
}

/// Reads a period like `7d`, `24h`, `30m` or `2w`.
pub fn parse_since(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not a period like 7d, 24h, 30m or 2w");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let unit_secs = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_secs)
        .filter(|&s| s > 0)
        .map(Duration::from_secs)
        .ok_or_else(bad)
}

/// The whole report as plain text (monospace-friendly; Telegram can show it in `<pre>`).
pub fn render_text(r: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Report since {} (until {})\n",
        utc_minute(r.since),
        utc_minute(r.until)
    ));
    match r.answer_rate {
        Some(rate) => out.push_str(&format!(
            "Answer rate: {:.1}% ({} answered, {} declined; {} of the answers with low confidence)\n",
            rate * 100.0,
            r.answered,
            r.declined,
            r.low_confidence
        )),
        None => out.push_str("Answer rate: no questions in this period\n"),
    }
    out.push_str(&format!("Feedback: {} 👍, {} 👎\n", r.up, r.down));
    out.push('\n');
    out.push_str(&render_unanswered(r));
    if !r.uncertain.is_empty() {
        out.push_str("\nLow-confidence answers:\n");
        for q in &r.uncertain {
            out.push_str(&format!(
                "{:>5}  {}  -> {} ({:.2})\n",
                q.count,
                shown(&q.example),
                q.entry.as_deref().unwrap_or("?"),
                q.confidence
            ));
        }
    }
    out.push_str("\nMost 👎:\n");
    if r.feedback.is_empty() {
        out.push_str("  (no votes)\n");
    }
    for v in &r.feedback {
        out.push_str(&format!("{:>5} 👎 {:>5} 👍  {}\n", v.down, v.up, v.entry));
    }
    out.push_str("\nPer day (UTC):\n");
    if r.days.is_empty() {
        out.push_str("  (nothing recorded)\n");
    } else {
        out.push_str("day          answered  low conf.  declined    👍    👎\n");
    }
    for d in &r.days {
        out.push_str(&format!(
            "{:<10} {:>10} {:>10} {:>9} {:>5} {:>5}\n",
            d.day, d.answered, d.low_confidence, d.declined, d.up, d.down
        ));
    }
    out
}

/// The most frequent unanswered questions, as plain text (also the Telegram `/unanswered` list).
pub fn render_unanswered(r: &Report) -> String {
    let mut out = String::from("Most frequent unanswered questions:\n");
    if r.unanswered.is_empty() {
        out.push_str("  (none)\n");
    }
    for q in &r.unanswered {
        out.push_str(&format!("{:>5}  {}\n", q.count, shown(&q.example)));
    }
    out
}

/// A stored question on one line, at most 80 characters.
/// `text` safe to print on a terminal: control characters (escape sequences, bells, NULs) are
/// shown as `\x1b`-style escapes instead of reaching the operator's terminal.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn shown(question: &str) -> String {
    let one_line = printable(&question.split_whitespace().collect::<Vec<_>>().join(" "));
    if one_line.chars().count() > 80 {
        let cut: String = one_line.chars().take(79).collect();
        format!("{cut}…")
    } else if one_line.is_empty() {
        "(no words)".to_string()
    } else {
        one_line
    }
}

/// `YYYY-MM-DD HH:MM UTC` for unix seconds.
pub fn utc_minute(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => format!("{secs} (unix seconds)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_parsed() {
        assert_eq!(parse_since("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_since("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_since("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_since("2w"), Ok(Duration::from_secs(14 * 86_400)));
        for bad in ["", "7", "d", "7x", "0d", "-1d", "99999999999999999999d"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn utc_times_are_formatted() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(951_782_400 + 3_661), "2000-02-29 01:01 UTC");
        assert_eq!(utc_minute(1_700_000_000), "2023-11-14 22:13 UTC");
    }

    #[test]
    fn long_questions_are_shortened_on_one_line() {
        assert_eq!(shown("a\nb   c"), "a b c");
        assert_eq!(shown(&"x".repeat(100)).chars().count(), 80);
        assert_eq!(shown(" "), "(no words)");
        // Regression: a question could carry terminal escape sequences into the operator's terminal.
        assert_eq!(
            shown("sal\u{0}ary\u{1}\u{7}\u{1b}[31m?"),
            "sal\\x00ary\\x01\\x07\\x1b[31m?"
        );
        assert!(!shown("\u{1b}]0;owned\u{7}").chars().any(char::is_control));
    }
}
