//! Plain-text rendering of a reply, as the terminal chat and `hitbot ask` show it.

use hitbot_careers::compare;
use hitbot_engine::{Advisor, Reply};

/// A reply as the terminal shows it: the comparison card when the question asked to compare two
/// career paths, else the answer in plain text.
pub fn reply(advisor: &Advisor, reply: &Reply) -> String {
    if let Some((a, b)) = &reply.compare {
        match compare::compare(&a.id, &b.id, advisor.knowledge()) {
            Ok(c) => return c.to_text(),
            Err(e) => log::debug!("compare {} {}: {e}", a.id, b.id),
        }
    }
    plain(reply)
}

pub fn plain(reply: &Reply) -> String {
    let mut out = reply.text.trim().to_string();
    if let Some(source) = &reply.source {
        out.push_str("\n(Source: ");
        out.push_str(source);
        out.push(')');
    }
    if !reply.did_you_mean.is_empty() {
        let titles: Vec<&str> = reply
            .did_you_mean
            .iter()
            .map(|r| r.title.as_str())
            .collect();
        out.push_str("\nDid you mean: ");
        out.push_str(&titles.join(" | "));
        out.push('?');
    }
    if !reply.related.is_empty() {
        let titles: Vec<&str> = reply.related.iter().map(|r| r.title.as_str()).collect();
        out.push_str(if reply.not_covered {
            "\nClosest topic: "
        } else {
            "\nRelated: "
        });
        out.push_str(&titles.join(" | "));
    }
    out
}
