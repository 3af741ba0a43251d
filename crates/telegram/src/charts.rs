//! Charts and comparisons in Telegram.
//!
//! * The careers chart goes out as a photo after the careers hub's answer (`/careers`, its button, a
//!   deep link, a question it answers). It is drawn by [`ChartCache`](hitbot_careers::chart::ChartCache) and
//!   uploaded once per version of the career table: the outbox keeps Telegram's `file_id` under the
//!   rows' fingerprint, so an edited salary (after a reload) is drawn and uploaded again.
//! * `/compare A B`: the comparison card (HTML) and its two-bar chart. A bare `/compare` offers the
//!   paths as buttons (`c:<key>`); after the first press, the others (`c:<key>:<key>`); the second
//!   press sends the comparison. Buttons name paths by [`PathKey`], looked up among the career paths
//!   of the knowledge serving now; a key that matches none (a path removed since) gets the picker
//!   again. A name that matches no path gets the compare module's own explanation with the path
//!   buttons.

use std::sync::Arc;

use teloxide::types::{ChatId, MessageId};

use hitbot_careers::chart;
use hitbot_careers::compare::{self, CompareError, Comparison};
use hitbot_engine::advisor::Advisor;
use hitbot_knowledge::Knowledge;

use super::callback::PathKey;
use super::delivery::{OutMessage, OutPhoto};
use super::format::{self, PathChoice};
use super::handlers::App;

/// How a comparison is asked for here, for the examples in the compare module's messages.
const COMPARE: &str = "/compare";

/// Under the careers chart.
const CAREERS_CAPTION: &str = "Career paths at a glance: median salary and projected job growth.";

/// Sends the careers chart (by `file_id` once uploaded); nothing when the knowledge has no career
/// table.
pub fn send_careers_chart(app: &App, advisor: &Advisor, chat: ChatId, reply_to: Option<MessageId>) {
    let table = chart::CareerTable::of(advisor.knowledge());
    if table.rows.is_empty() {
        return;
    }
    let key = format!("careers-{}", table.fingerprint());
    let caption = format!("{CAREERS_CAPTION}\n{}", table.source_line());
    let charts = Arc::clone(&app.charts);
    app.outbox.send_photo(OutPhoto {
        chat,
        key,
        render: Arc::new(move || match charts.careers(&table) {
            Ok((_, png)) => Some(png),
            Err(e) => {
                log::error!("the careers chart cannot be drawn: {e}");
                None
            }
        }),
        caption,
        file_name: "careers.png",
        reply_to,
    });
}

/// `/compare ARGS`.
pub fn compare_command(
    app: &App,
    advisor: &Advisor,
    chat: ChatId,
    args: &str,
    reply_to: Option<MessageId>,
) {
    let knowledge = advisor.knowledge();
    let rendered = match compare::compare_args(args, knowledge) {
        Ok(c) => return send_comparison(app, chat, &c, reply_to),
        Err(CompareError::NeedTwo { first: None, .. }) => {
            format::compare_pick_first(&compare::usage(knowledge, COMPARE), &choices(knowledge))
        }
        Err(CompareError::NeedTwo {
            first: Some(name), ..
        }) => match choices(knowledge).into_iter().find(|(_, n)| *n == name) {
            Some(first) => format::compare_pick_second(&first, &choices(knowledge)),
            None => {
                format::compare_pick_first(&compare::usage(knowledge, COMPARE), &choices(knowledge))
            }
        },
        Err(e) => format::compare_pick_first(&e.explain(COMPARE), &choices(knowledge)),
    };
    app.outbox.send(OutMessage::new(chat, &rendered, reply_to));
}

/// The first path was pressed: ask for the second.
pub fn compare_second(app: &App, advisor: &Advisor, chat: ChatId, first: PathKey) {
    let knowledge = advisor.knowledge();
    let paths = choices(knowledge);
    let rendered = match paths.iter().find(|(id, _)| first.is(id)) {
        Some(first) => format::compare_pick_second(first, &paths),
        // The path was removed since the button was made.
        None => format::compare_pick_first(&compare::usage(knowledge, COMPARE), &paths),
    };
    app.outbox.send(OutMessage::new(chat, &rendered, None));
}

/// Both paths were pressed: the comparison.
pub fn compare_pair(app: &App, advisor: &Advisor, chat: ChatId, a: PathKey, b: PathKey) {
    let knowledge = advisor.knowledge();
    let paths = compare::paths(knowledge);
    let id = |key: PathKey| paths.iter().find(|e| key.is(&e.id)).map(|e| e.id.as_str());
    match (id(a), id(b)) {
        (Some(a), Some(b)) => match compare::compare(a, b, knowledge) {
            Ok(c) => return send_comparison(app, chat, &c, None),
            Err(e) => log::debug!("compare {a} {b}: {e}"),
        },
        // A path removed or renamed since the buttons were made.
        _ => log::debug!("compare {a} {b}: no such career path"),
    }
    let rendered =
        format::compare_pick_first(&compare::usage(knowledge, COMPARE), &choices(knowledge));
    app.outbox.send(OutMessage::new(chat, &rendered, None));
}

/// A question asking to compare two career paths (the advisor's `Reply::compare`): the same card
/// and chart as `/compare`. False when the two cannot be compared (then the reply is sent instead).
pub fn compare_entries(
    app: &App,
    advisor: &Advisor,
    chat: ChatId,
    (a, b): (&str, &str),
    reply_to: Option<MessageId>,
) -> bool {
    match compare::compare(a, b, advisor.knowledge()) {
        Ok(c) => {
            send_comparison(app, chat, &c, reply_to);
            true
        }
        Err(e) => {
            log::debug!("compare {a} {b}: {e}");
            false
        }
    }
}

/// The card, then its chart.
fn send_comparison(app: &App, chat: ChatId, c: &Comparison, reply_to: Option<MessageId>) {
    app.outbox
        .send(OutMessage::new(chat, &format::comparison(c), reply_to));
    let (a, b) = (c.left.career.clone(), c.right.career.clone());
    let labels = c.labels.clone();
    let key = format!(
        "compare-{}",
        chart::fingerprint(&[a.clone(), b.clone()], &labels)
    );
    let caption = format!("{} vs {}\n{}", a.name, b.name, c.source_line());
    app.outbox.send_photo(OutPhoto {
        chat,
        key,
        render: Arc::new(move || match chart::compare_png(&a, &b, &labels) {
            Ok(png) => Some(Arc::new(png)),
            Err(e) => {
                log::error!("the comparison chart cannot be drawn: {e}");
                None
            }
        }),
        caption,
        file_name: "compare.png",
        reply_to: None,
    });
}

/// The career paths as (entry id, name), in file order.
fn choices(knowledge: &Knowledge) -> Vec<PathChoice> {
    compare::paths(knowledge)
        .iter()
        .filter_map(|e| Some((e.id.clone(), e.career.as_ref()?.name.clone())))
        .collect()
}
