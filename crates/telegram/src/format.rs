//! What the bot says, as Telegram HTML and as plain text, and the keyboards under it, as plain data
//! (pure; of teloxide only its HTML escaping).
//!
//! Messages are written with a [`Doc`], which keeps the HTML and the plain text side by side from the
//! same pieces: every dynamic string (answers, titles, sources, the user's own question) is escaped
//! for the HTML by `teloxide::utils::html::escape`, and the only tags are the ones a `Doc` writes. The
//! plain text is what the delivery sends instead when Telegram rejects the HTML; it is never parsed
//! back out of the HTML. Messages longer than Telegram's 4096 characters are cut by
//! [`split_for_telegram`] at paragraph or line boundaries, never inside a tag or an entity, closing
//! and reopening any formatting that spans the cut; [`split_rendered`] cuts the plain text at the
//! same places.

use std::ops::Range;

/// Escaping for Telegram HTML is teloxide's (`<`, `>` and `&`; see the tests).
pub use teloxide::utils::html::escape;

use hitbot_careers::compare::Comparison;
use hitbot_engine::advisor::{EntryRef, Reply};

use super::callback::{Callback, PathKey};

/// Telegram's limit for a message's text.
pub const MAX_MESSAGE_LEN: usize = 4096;
/// Longest question echoed back in a "don't know" reply.
const MAX_ECHO_CHARS: usize = 120;
/// Longest description under an inline-mode result.
const MAX_DESCRIPTION_CHARS: usize = 100;

/// One inline button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    /// Callback data (at most 64 bytes; see `callback.rs`).
    pub data: String,
}

/// Rows of buttons.
pub type Keyboard = Vec<Vec<Button>>;

/// A message ready to send: HTML text, the same text plain, and the keyboard under it (empty: none).
/// Made by a [`Doc`], so the plain text is exactly what the HTML shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    /// What the HTML shows, as plain text (sent if Telegram rejects the HTML).
    pub plain: String,
    pub keyboard: Keyboard,
}

impl Rendered {
    /// Plain text as a message, without a keyboard.
    pub fn text(text: &str) -> Rendered {
        Doc::new().text(text).done(Vec::new())
    }

    /// The same message with `keyboard` under it.
    pub fn with_keyboard(self, keyboard: Keyboard) -> Rendered {
        Rendered { keyboard, ..self }
    }

    /// The same message with a paragraph of plain text after it.
    pub fn with_footer(mut self, text: &str) -> Rendered {
        self.html.push_str("\n\n");
        self.html.push_str(&escape(text));
        self.plain.push_str("\n\n");
        self.plain.push_str(text);
        self
    }
}

/// A message being written: its HTML and its plain text grow together from the same pieces. Text is
/// escaped for the HTML; the formatting shows in the HTML only.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    html: String,
    plain: String,
}

impl Doc {
    pub fn new() -> Doc {
        Doc::default()
    }

    /// Plain text.
    pub fn text(&mut self, text: &str) -> &mut Doc {
        self.html.push_str(&escape(text));
        self.plain.push_str(text);
        self
    }

    /// Text in bold.
    pub fn bold(&mut self, text: &str) -> &mut Doc {
        self.tagged("b", text)
    }

    /// Text in italics.
    pub fn italic(&mut self, text: &str) -> &mut Doc {
        self.tagged("i", text)
    }

    /// Text in a monospace font.
    pub fn code(&mut self, text: &str) -> &mut Doc {
        self.tagged("code", text)
    }

    /// A preformatted block (a report's aligned columns).
    pub fn pre(&mut self, text: &str) -> &mut Doc {
        self.tagged("pre", text)
    }

    fn tagged(&mut self, tag: &str, text: &str) -> &mut Doc {
        self.html
            .push_str(&format!("<{tag}>{}</{tag}>", escape(text)));
        self.plain.push_str(text);
        self
    }

    /// The message, with `keyboard` under it.
    pub fn done(&self, keyboard: Keyboard) -> Rendered {
        Rendered {
            html: self.html.clone(),
            plain: self.plain.clone(),
            keyboard,
        }
    }
}

/// An answer: the entry's title in bold, the answer, and the source in italics.
fn reply_doc(reply: &Reply) -> Doc {
    let mut doc = Doc::new();
    if let Some(e) = &reply.entry {
        doc.bold(&e.title).text("\n\n");
    }
    doc.text(reply.text.trim());
    if let Some(source) = &reply.source {
        doc.text("\n\n").italic(&format!("Source: {source}"));
    }
    doc
}

/// An answer as HTML (inline-mode results).
pub fn reply_html(reply: &Reply) -> String {
    reply_doc(reply).html
}

/// How a reply to a question is shown: the answer with related buttons and feedback, with "Did you
/// mean…" buttons first when other candidates are close; or a kind "don't know" with the topic menu.
pub fn render_reply(reply: &Reply, question: &str, topics: &[EntryRef]) -> Rendered {
    if reply.small_talk.is_some() {
        // "hi", "thanks", "who are you?": the friendly reply and the topics, no "don't know".
        return Doc::new()
            .text(reply.text.trim())
            .done(topic_keyboard(topics));
    }
    if !reply.confident {
        return declined(reply, question, topics);
    }
    let mut rendered = render_entry(reply, &reply.related);
    // Close runners-up: the best answer is shown, the others offered first in the keyboard.
    let offers: Keyboard = reply
        .did_you_mean
        .iter()
        .filter_map(|e| {
            let mut b = entry_button(e)?;
            b.text = format!("Did you mean: {}?", e.title);
            Some(vec![b])
        })
        .collect();
    rendered.keyboard.splice(0..0, offers);
    rendered
}

/// An entry's answer with `more` as buttons (one a row) and the feedback row.
pub fn render_entry(reply: &Reply, more: &[EntryRef]) -> Rendered {
    let mut keyboard = entry_rows(more);
    if let Some(e) = &reply.entry {
        keyboard.push(feedback_row(&e.id));
    }
    reply_doc(reply).done(keyboard)
}

/// The "don't know" reply: the question echoed, the advisor's text, and the topics.
fn declined(reply: &Reply, question: &str, topics: &[EntryRef]) -> Rendered {
    let mut doc = Doc::new();
    let question = question.trim();
    if !question.is_empty() {
        doc.italic(&format!("“{}”", truncate_chars(question, MAX_ECHO_CHARS)))
            .text("\n");
    }
    doc.text(reply.text.trim());
    if reply.not_covered && !reply.related.is_empty() {
        // Not covered: the closest topic first, then the menu.
        doc.text("\n\nThe closest topic, or pick another:");
        let mut keyboard = entry_rows(&reply.related);
        keyboard.extend(topic_keyboard(topics));
        return doc.done(keyboard);
    }
    doc.text("\n\nPick a topic, or ask another way:");
    doc.done(topic_keyboard(topics))
}

/// The welcome shown by `/start`.
pub fn welcome(topics: &[EntryRef]) -> Rendered {
    Doc::new()
        .text("👋 Hi! I answer questions about careers as a ")
        .bold("Health Information Technician")
        .text(
            " (HIT): what the job is, skills, salary and job outlook, education and the RHIT \
             credential, career paths, and professional organizations.\n\n\
             Ask me anything in your own words, for example ",
        )
        .italic("How much do HITs earn?")
        .text(", or pick a topic:")
        .done(topic_keyboard(topics))
}

/// The `/help` text; `commands` are (name, description) pairs as the menu shows them.
pub fn help(commands: &[(String, String)], bot_username: &str) -> Rendered {
    let mut doc = Doc::new();
    doc.bold("How to use me").text(
        "\nAsk a question about Health Information Technician careers in your own words. Tap the \
         buttons under an answer for related topics, and 👍 or 👎 to tell me whether it helped.\n\n",
    );
    doc.bold("Commands").text("\n");
    for (name, description) in commands {
        doc.text(&format!("/{name} — {description}\n"));
    }
    doc.text("\n")
        .bold("In other chats")
        .text("\nType ")
        .code(&format!("@{bot_username} your question"))
        .text(&format!(
            " in any chat to share an answer. In groups, mention @{bot_username} or reply to my \
             message."
        ));
    doc.done(Vec::new())
}

/// The topic menu: two buttons a row.
pub fn topic_keyboard(topics: &[EntryRef]) -> Keyboard {
    let buttons: Vec<Button> = topics.iter().filter_map(entry_button).collect();
    buttons.chunks(2).map(<[Button]>::to_vec).collect()
}

/// One button a row, for entries.
pub fn entry_rows(entries: &[EntryRef]) -> Keyboard {
    entries
        .iter()
        .filter_map(entry_button)
        .map(|b| vec![b])
        .collect()
}

fn entry_button(e: &EntryRef) -> Option<Button> {
    Some(Button {
        text: e.title.clone(),
        data: Callback::Entry(e.id.clone()).encode()?,
    })
}

/// 👍 / 👎 for an answer.
pub fn feedback_row(entry: &str) -> Vec<Button> {
    [(true, "👍"), (false, "👎")]
        .into_iter()
        .filter_map(|(helpful, text)| {
            let data = Callback::Feedback {
                entry: entry.to_string(),
                helpful,
            }
            .encode()?;
            Some(Button {
                text: text.to_string(),
                data,
            })
        })
        .collect()
}

/// The comparison card: both paths' rows as "Label: left | right" lines (narrow enough for a phone),
/// what each job is, the highlights and the source; buttons to open either path.
pub fn comparison(c: &Comparison) -> Rendered {
    let (left, right) = (&c.left.career.name, &c.right.career.name);
    let mut doc = Doc::new();
    doc.bold(&format!("{left} vs {right}"))
        .text("\n")
        .italic(&format!("{left} | {right}"))
        .text("\n\n");
    for (label, a, b) in c.rows() {
        doc.bold(&format!("{label}:"))
            .text(&format!(" {a} | {b}\n"));
    }
    doc.text("\n");
    for side in [&c.left, &c.right] {
        doc.bold(&format!("{}:", side.career.name))
            .text(&format!(" {}\n", side.what));
    }
    let highlights = c.highlights();
    if !highlights.is_empty() {
        doc.text("\n");
        for h in highlights {
            doc.text(&format!("• {h}\n"));
        }
    }
    doc.text("\n").italic(&c.source_line());
    let keyboard = [&c.left, &c.right]
        .iter()
        .filter_map(|side| {
            Some(vec![Button {
                text: format!("More: {}", side.career.name),
                data: Callback::Entry(side.id.clone()).encode()?,
            }])
        })
        .collect();
    doc.done(keyboard)
}

/// A career path as a button and a name: (entry id, name).
pub type PathChoice = (String, String);

/// `text` (plain) with a button for each path; pressing one picks the first path of a comparison.
pub fn compare_pick_first(text: &str, paths: &[PathChoice]) -> Rendered {
    let keyboard = paths
        .iter()
        .filter_map(|(id, name)| {
            Some(vec![Button {
                text: name.clone(),
                data: Callback::CompareFirst(PathKey::of(id)).encode()?,
            }])
        })
        .collect();
    Rendered::text(text).with_keyboard(keyboard)
}

/// "Compare X with which path?" with a button for each other path.
pub fn compare_pick_second(first: &PathChoice, paths: &[PathChoice]) -> Rendered {
    let keyboard = paths
        .iter()
        .filter(|(id, _)| *id != first.0)
        .filter_map(|(id, name)| {
            Some(vec![Button {
                text: name.clone(),
                data: Callback::Compare(PathKey::of(&first.0), PathKey::of(id)).encode()?,
            }])
        })
        .collect();
    Doc::new()
        .text("Compare ")
        .bold(&first.1)
        .text(" with which path?")
        .done(keyboard)
}

/// A short plain-text description of an answer (inline mode).
pub fn description(reply: &Reply) -> String {
    let plain: String = reply.text.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate_chars(&plain, MAX_DESCRIPTION_CHARS)
}

/// At most `max` characters, cut at a word boundary with an ellipsis.
fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end())
}

/// One message's worth of a [`Rendered`]: its HTML, and the same stretch of the plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub html: String,
    pub plain: String,
}

/// Splits a rendered message into parts of at most `limit` UTF-16 units, as [`split_for_telegram`]
/// does; each part's plain text is cut from the message's plain text at the same places (the plain
/// text shows one character for each character or entity of the HTML's text, so it is never longer).
pub fn split_rendered(rendered: &Rendered, limit: usize) -> Vec<Part> {
    // Byte offset of each character of the plain text, and its end.
    let bounds: Vec<usize> = rendered
        .plain
        .char_indices()
        .map(|(i, _)| i)
        .chain([rendered.plain.len()])
        .collect();
    let at = |visible: usize| bounds[visible.min(bounds.len() - 1)];
    cut(&rendered.html, limit)
        .into_iter()
        .map(|(html, visible)| Part {
            html,
            plain: rendered.plain[at(visible.start)..at(visible.end)]
                .trim()
                .to_string(),
        })
        .collect()
}

/// Splits Telegram HTML into messages of at most `limit` UTF-16 code units each (Telegram counts
/// UTF-16 units; counting the raw HTML, tags included, over-estimates and so is always safe).
///
/// Cuts at the last paragraph break that fits, else the last line break, else the last space, else
/// anywhere between two characters; never inside a tag or an entity such as `&amp;`. Formatting open
/// at a cut is closed at the end of one part and reopened at the start of the next. Whitespace at the
/// edges of a part is dropped; parts with no visible text are left out.
pub fn split_for_telegram(html: &str, limit: usize) -> Vec<String> {
    cut(html, limit).into_iter().map(|(part, _)| part).collect()
}

/// [`split_for_telegram`]'s parts, each with the range of the HTML's text characters (characters
/// and entities outside tags, counted from the start) it shows.
fn cut(html: &str, limit: usize) -> Vec<(String, Range<usize>)> {
    /// Open tags as (name, raw opening tag), outermost first.
    type Stack<'a> = Vec<(&'a str, &'a str)>;
    let atoms = atoms(html);
    // visible[k]: text characters before atom k.
    let visible: Vec<usize> = std::iter::once(0)
        .chain(atoms.iter().scan(0, |n, a| {
            *n += usize::from(matches!(a, Atom::Text(_)));
            Some(*n)
        }))
        .collect();
    let mut parts = Vec::new();
    let mut open: Stack = Vec::new(); // open at the start of a part
    let mut i = 0;
    while i < atoms.len() {
        // Whitespace at the start of a part is dropped.
        while i < atoms.len() && atoms[i].is_space() {
            i += 1;
        }
        if i == atoms.len() {
            break;
        }
        let prefix: usize = open.iter().map(|(_, raw)| utf16_len(raw)).sum();
        let mut stack = open.clone();
        let mut len = prefix;
        // Best cut per kind: (index after the last atom kept, stack there). 0 = anywhere, 1 = space,
        // 2 = line, 3 = paragraph.
        let mut cuts: [Option<(usize, Stack)>; 4] = [None, None, None, None];
        let mut j = i;
        let mut previous_newline = false;
        while j < atoms.len() {
            let atom = &atoms[j];
            let mut next = stack.clone();
            atom.apply(&mut next);
            let closing: usize = next.iter().map(|(name, _)| name.len() + 3).sum();
            if len + atom.len() + closing > limit {
                break;
            }
            len += atom.len();
            stack = next;
            // A cut at a space or a line break is made before it (the whitespace is dropped with the
            // cut); anywhere else, after this atom.
            if j > i {
                match atom {
                    Atom::Text("\n") if previous_newline => cuts[3] = Some((j, stack.clone())),
                    Atom::Text("\n") => cuts[2] = Some((j, stack.clone())),
                    a if a.is_space() => cuts[1] = Some((j, stack.clone())),
                    _ => {}
                }
            }
            if !atom.is_space() {
                cuts[0] = Some((j + 1, stack.clone()));
            }
            previous_newline = matches!(atom, Atom::Text("\n"));
            j += 1;
        }
        let (end, end_stack) = if j == atoms.len() {
            (j, stack)
        } else if j == i {
            // Not even one atom fits (a limit smaller than a tag): take it anyway rather than loop.
            let mut s = open.clone();
            atoms[i].apply(&mut s);
            (i + 1, s)
        } else {
            cuts.iter()
                .rev()
                .flatten()
                .next()
                .cloned()
                .unwrap_or((j, stack))
        };
        let mut part = String::new();
        for (_, raw) in &open {
            part.push_str(raw);
        }
        let mut body_end = end;
        while body_end > i && atoms[body_end - 1].is_space() {
            body_end -= 1;
        }
        for atom in &atoms[i..body_end] {
            part.push_str(atom.raw());
        }
        // Tags after the trimmed whitespace still have to be kept.
        for atom in &atoms[body_end..end] {
            if !atom.is_space() {
                part.push_str(atom.raw());
            }
        }
        for (name, _) in end_stack.iter().rev() {
            part.push_str("</");
            part.push_str(name);
            part.push('>');
        }
        if atoms[i..end].iter().any(Atom::is_visible) {
            parts.push((part, visible[i]..visible[body_end]));
        }
        open = end_stack;
        i = end;
    }
    parts
}

/// The smallest pieces of HTML that must stay whole: a tag, an entity, or one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom<'a> {
    Open { name: &'a str, raw: &'a str },
    Close { name: &'a str, raw: &'a str },
    Text(&'a str),
}

impl<'a> Atom<'a> {
    fn raw(&self) -> &'a str {
        match self {
            Atom::Open { raw, .. } | Atom::Close { raw, .. } => raw,
            Atom::Text(t) => t,
        }
    }

    fn len(&self) -> usize {
        utf16_len(self.raw())
    }

    fn is_space(&self) -> bool {
        matches!(self, Atom::Text(t) if t.chars().all(char::is_whitespace))
    }

    /// Text that shows: not a tag, not whitespace.
    fn is_visible(&self) -> bool {
        matches!(self, Atom::Text(_)) && !self.is_space()
    }

    /// Updates the stack of open tags.
    fn apply(&self, stack: &mut Vec<(&'a str, &'a str)>) {
        match *self {
            Atom::Open { name, raw } => stack.push((name, raw)),
            Atom::Close { name, .. } => {
                if let Some(pos) = stack.iter().rposition(|(n, _)| *n == name) {
                    stack.truncate(pos);
                }
            }
            Atom::Text(_) => {}
        }
    }
}

fn atoms(html: &str) -> Vec<Atom<'_>> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let take = match c {
            '<' => rest.find('>').map(|end| {
                let raw = &rest[..=end];
                let inner = raw[1..raw.len() - 1].trim();
                let atom = if let Some(name) = inner.strip_prefix('/') {
                    Atom::Close {
                        name: name.trim(),
                        raw,
                    }
                } else {
                    let name = inner
                        .split(|c: char| c.is_whitespace())
                        .next()
                        .unwrap_or("");
                    Atom::Open { name, raw }
                };
                (atom, raw.len())
            }),
            '&' => rest
                .char_indices()
                .take(12)
                .find(|(_, c)| *c == ';')
                .filter(|(end, _)| {
                    rest[1..*end]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '#')
                })
                .map(|(end, _)| (Atom::Text(&rest[..=end]), end + 1)),
            _ => None,
        };
        let (atom, n) = take.unwrap_or_else(|| (Atom::Text(&rest[..c.len_utf8()]), c.len_utf8()));
        out.push(atom);
        rest = &rest[n..];
    }
    out
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What Telegram shows of `html`: tags dropped, entities decoded.
    fn visible(html: &str) -> String {
        atoms(html)
            .into_iter()
            .map(|a| match a {
                Atom::Text(t) => decode_entity(t),
                _ => String::new(),
            })
            .collect()
    }

    fn decode_entity(text: &str) -> String {
        if !(text.starts_with('&') && text.ends_with(';') && text.len() > 2) {
            return text.to_string();
        }
        let name = &text[1..text.len() - 1];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            _ => name.strip_prefix('#').and_then(|n| {
                let code = match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => n.parse().ok(),
                };
                code.and_then(char::from_u32)
            }),
        };
        decoded.map_or_else(|| text.to_string(), String::from)
    }

    fn entry(id: &str, title: &str) -> EntryRef {
        EntryRef {
            id: id.into(),
            title: title.into(),
        }
    }

    fn path(id: &str, name: &str, salary: u32, growth: f64) -> hitbot_careers::compare::PathCard {
        hitbot_careers::compare::PathCard {
            id: id.into(),
            career: hitbot_knowledge::Career {
                name: name.into(),
                education: "Bachelor's <or> more".into(),
                experience: "None".into(),
                median_salary: salary,
                growth_percent: growth,
            },
            what: format!("{name}s do things & more."),
        }
    }

    #[test]
    fn the_comparison_card_is_escaped_html_with_both_paths() {
        let c = Comparison {
            left: path("path-coder", "Coder", 46_660, 7.0),
            right: path("path-analyst", "R&D <analyst>", 100_910, 36.0),
            labels: hitbot_knowledge::CareerLabels {
                salary_year: "2021".into(),
                ..Default::default()
            },
        };
        let r = comparison(&c);
        assert!(
            r.html
                .starts_with("<b>Coder vs R&amp;D &lt;analyst&gt;</b>"),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("<b>Median salary 2021:</b> $46,660 | $100,910"),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("<b>Education:</b> Bachelor's &lt;or&gt; more | Bachelor's"),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("<b>Coder:</b> Coders do things &amp; more."),
            "{}",
            r.html
        );
        // Regression: the table's "None" showed as "Experience: None".
        let no_requirement = "the guide lists no requirement | the guide lists no requirement";
        assert!(
            r.html
                .contains(&format!("<b>Experience:</b> {no_requirement}")),
            "{}",
            r.html
        );
        assert!(
            r.plain.contains(&format!("Experience: {no_requirement}")),
            "{}",
            r.plain
        );
        assert!(!r.plain.contains("None"), "{}", r.plain);
        assert!(
            r.html
                .contains("• R&amp;D &lt;analyst&gt; pays $54,250 more"),
            "{}",
            r.html
        );
        assert!(r.html.ends_with("</i>"));
        assert_eq!(r.plain, visible(&r.html));
        assert!(
            r.plain.starts_with("Coder vs R&D <analyst>\n"),
            "{}",
            r.plain
        );
        assert_eq!(r.keyboard.len(), 2);
        assert_eq!(r.keyboard[0][0].data, "e:path-coder");
    }

    #[test]
    fn compare_pickers_leave_out_the_first_path() {
        let paths: Vec<PathChoice> = ["a", "b", "c"]
            .iter()
            .map(|id| (format!("path-{id}"), id.to_uppercase()))
            .collect();
        let key = |id: &str| PathKey::of(id).to_string();
        let first = compare_pick_first("Pick <one>", &paths);
        assert_eq!(first.html, "Pick &lt;one&gt;");
        assert_eq!(first.plain, "Pick <one>");
        let data: Vec<String> = first.keyboard.iter().map(|r| r[0].data.clone()).collect();
        let expected: Vec<String> = paths
            .iter()
            .map(|(id, _)| format!("c:{}", key(id)))
            .collect();
        assert_eq!(data, expected);
        let second = compare_pick_second(&paths[1], &paths);
        let data: Vec<String> = second.keyboard.iter().map(|r| r[0].data.clone()).collect();
        let (a, b, c) = (key("path-a"), key("path-b"), key("path-c"));
        assert_eq!(data, [format!("c:{b}:{a}"), format!("c:{b}:{c}")]);
        assert_eq!(second.html, "Compare <b>B</b> with which path?");
        assert_eq!(second.plain, "Compare B with which path?");
    }

    fn answer() -> Reply {
        Reply {
            text: "Median pay is $47,180 & rising <fast>.".into(),
            entry: Some(entry("salary", "Pay & outlook")),
            confidence: 0.9,
            confident: true,
            related: vec![
                entry("outlook", "Job outlook"),
                entry("pay-by-location", "By state"),
            ],
            did_you_mean: vec![],
            source: Some("Guide: Salary <BLS>".into()),
            small_talk: None,
            not_covered: false,
            follows: None,
            compare: None,
        }
    }

    /// teloxide's `escape` is ours: it must escape exactly what Telegram's HTML parser treats
    /// specially (`<`, `>`, `&`) and leave everything else as it is.
    #[test]
    fn teloxide_escapes_the_three_special_characters() {
        assert_eq!(escape("<b>a & b</b>"), "&lt;b&gt;a &amp; b&lt;/b&gt;");
        assert_eq!(
            escape("plain “text” 'quoted' \"too\" 😀"),
            "plain “text” 'quoted' \"too\" 😀"
        );
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn a_doc_writes_escaped_html_and_the_same_text_plain() {
        let mut doc = Doc::new();
        doc.bold("R&D <lab>")
            .text(" costs < $5 & ")
            .italic("more")
            .text("\n")
            .code("@bot q")
            .pre("a  b");
        let r = doc.done(Vec::new());
        assert_eq!(
            r.html,
            "<b>R&amp;D &lt;lab&gt;</b> costs &lt; $5 &amp; <i>more</i>\n<code>@bot q</code><pre>a  b</pre>"
        );
        assert_eq!(r.plain, "R&D <lab> costs < $5 & more\n@bot qa  b");
        assert_eq!(r.plain, visible(&r.html));
        assert_eq!(Rendered::text("1 < 2").html, "1 &lt; 2");
        assert_eq!(Rendered::text("1 < 2").plain, "1 < 2");
    }

    #[test]
    fn replies_are_rendered_plain_directly() {
        let r = render_reply(&answer(), "pay?", &[]);
        assert_eq!(
            r.plain,
            "Pay & outlook\n\nMedian pay is $47,180 & rising <fast>.\n\nSource: Guide: Salary <BLS>"
        );
        let topics = [entry("salary", "Salary")];
        for r in [
            welcome(&topics),
            help(&[("salary".into(), "Pay & <more>".into())], "hit_bot"),
            declined(&answer(), "what <is> it?", &topics),
        ] {
            assert_eq!(r.plain, visible(&r.html), "{}", r.html);
        }
    }

    #[test]
    fn the_plain_text_is_split_at_the_same_places_as_the_html() {
        let mut doc = Doc::new();
        doc.bold(&"a&b ".repeat(12))
            .text("\n\n")
            .text(&"x<y ".repeat(12))
            .text("\n")
            .italic("tail");
        let r = doc.done(Vec::new());
        let parts = split_rendered(&r, 60);
        assert!(parts.len() > 1, "{parts:?}");
        let html: Vec<String> = parts.iter().map(|p| p.html.clone()).collect();
        assert_eq!(html, split_for_telegram(&r.html, 60));
        for p in &parts {
            assert_eq!(p.plain, visible(&p.html).trim(), "{p:?}");
        }
        // One short message: one part, the whole plain text.
        let short = Rendered::text("fish & chips");
        assert_eq!(
            split_rendered(&short, MAX_MESSAGE_LEN),
            vec![Part {
                html: "fish &amp; chips".into(),
                plain: "fish & chips".into()
            }]
        );
    }

    #[test]
    fn answer_has_bold_title_escaped_text_and_italic_source() {
        let html = reply_html(&answer());
        assert_eq!(
            html,
            "<b>Pay &amp; outlook</b>\n\nMedian pay is $47,180 &amp; rising &lt;fast&gt;.\n\n\
             <i>Source: Guide: Salary &lt;BLS&gt;</i>"
        );
    }

    #[test]
    fn answer_keyboard_is_related_then_feedback() {
        let r = render_reply(&answer(), "pay?", &[]);
        let data: Vec<Vec<String>> = r
            .keyboard
            .iter()
            .map(|row| row.iter().map(|b| b.data.clone()).collect())
            .collect();
        assert_eq!(
            data,
            vec![
                vec!["e:outlook".to_string()],
                vec!["e:pay-by-location".to_string()],
                vec!["f:+:salary".to_string(), "f:-:salary".to_string()],
            ]
        );
    }

    #[test]
    fn close_candidates_become_did_you_mean_buttons() {
        let mut reply = answer();
        reply.did_you_mean = vec![entry("salary-details", "Hourly pay")];
        let r = render_reply(&reply, "pay", &[]);
        assert!(r.html.contains(&escape(&reply.text)), "{}", r.html);
        assert_eq!(r.keyboard[0][0].data, "e:salary-details");
        assert_eq!(r.keyboard[0][0].text, "Did you mean: Hourly pay?");
        assert!(r.keyboard.last().unwrap()[0].data.starts_with("f:+:"));
    }

    #[test]
    fn decline_echoes_the_question_escaped_and_offers_topics() {
        let reply = Reply {
            text: "Sorry, I don't know that one.".into(),
            entry: None,
            confidence: 0.1,
            confident: false,
            related: vec![],
            did_you_mean: vec![],
            source: None,
            small_talk: None,
            not_covered: false,
            follows: None,
            compare: None,
        };
        let topics = [
            entry("salary", "Salary"),
            entry("skills", "Skills"),
            entry("faq", "FAQ"),
        ];
        let r = render_reply(&reply, "what is <b>chess</b> & go?", &topics);
        assert!(
            r.html.contains("&lt;b&gt;chess&lt;/b&gt; &amp; go?"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<b>chess"));
        assert_eq!(r.keyboard.len(), 2);
        assert_eq!(r.keyboard[0].len(), 2);
        assert_eq!(r.keyboard[1].len(), 1);
    }

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(
            split_for_telegram("<b>hi</b> there", 4096),
            vec!["<b>hi</b> there"]
        );
        assert!(split_for_telegram("  \n ", 4096).is_empty());
    }

    #[test]
    fn splits_at_the_last_paragraph_that_fits() {
        let text = format!(
            "{}\n\n{}\n\n{}",
            "a".repeat(40),
            "b".repeat(40),
            "c".repeat(40)
        );
        let parts = split_for_telegram(&text, 90);
        assert_eq!(
            parts,
            vec![
                format!("{}\n\n{}", "a".repeat(40), "b".repeat(40)),
                "c".repeat(40)
            ]
        );
    }

    #[test]
    fn falls_back_to_lines_then_spaces() {
        let text = format!("{}\n{}", "a".repeat(30), "b".repeat(30));
        assert_eq!(
            split_for_telegram(&text, 40),
            vec!["a".repeat(30), "b".repeat(30)]
        );
        let words = "word ".repeat(20);
        for part in split_for_telegram(&words, 12) {
            assert_eq!(part, "word word");
        }
    }

    #[test]
    fn never_cuts_an_entity() {
        let text = "&amp;".repeat(10);
        let parts = split_for_telegram(&text, 12);
        assert_eq!(parts, vec!["&amp;&amp;"; 5]);
    }

    #[test]
    fn formatting_is_closed_and_reopened_across_a_cut() {
        let text = format!("<b>{} {}</b> end", "x".repeat(20), "y".repeat(20));
        let parts = split_for_telegram(&text, 32);
        assert_eq!(parts[0], format!("<b>{}</b>", "x".repeat(20)));
        assert_eq!(parts[1], format!("<b>{}</b> end", "y".repeat(20)));
    }

    #[test]
    fn limit_counts_utf16_units() {
        let text = "😀".repeat(10); // 2 units each
        let parts = split_for_telegram(&text, 8);
        assert_eq!(parts, vec!["😀😀😀😀", "😀😀😀😀", "😀😀"]);
    }

    /// Tags balanced and properly nested; entities whole.
    fn well_formed(part: &str) -> bool {
        let mut stack = Vec::new();
        for atom in atoms(part) {
            match atom {
                Atom::Open { name, .. } => stack.push(name),
                Atom::Close { name, .. } => {
                    if stack.pop() != Some(name) {
                        return false;
                    }
                }
                Atom::Text(t) if t == "&" || t == "<" || t == ">" => return false,
                Atom::Text(_) => {}
            }
        }
        stack.is_empty()
    }

    /// Random answer-like HTML: escaped words, newlines, and balanced <b>/<i> around some words.
    fn html_doc() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zA-Z0-9 ,.$%é😀]{1,12}".prop_map(|s| escape(&s)),
            Just("\n".to_string()),
            Just("\n\n".to_string()),
            Just(" & ".to_string()).prop_map(|s| escape(&s)),
            "[a-z <>&]{1,10}".prop_map(|s| format!("<b>{}</b>", escape(&s))),
            "[a-z ]{1,10}".prop_map(|s| format!("<i>a <b>{s}</b> z</i>")),
        ];
        prop::collection::vec(piece, 0..80).prop_map(|v| v.concat())
    }

    /// Text without whitespace: a hard cut inside a long word makes a space where there was none.
    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    proptest! {
        #[test]
        fn parts_fit_are_well_formed_and_keep_the_text(doc in html_doc(), limit in 24usize..300) {
            let parts = split_for_telegram(&doc, limit);
            for p in &parts {
                prop_assert!(utf16_len(p) <= limit, "part too long: {} > {}: {:?}", utf16_len(p), limit, p);
                prop_assert!(well_formed(p), "malformed part {:?}", p);
                prop_assert!(!visible(p).trim().is_empty());
            }
            let joined: String = parts.iter().map(|p| visible(p)).collect();
            prop_assert_eq!(squash(&joined), squash(&visible(&doc)));
        }

        #[test]
        fn plain_parts_are_the_html_parts_shown_plain(
            pieces in prop::collection::vec((0u8..4, "[a-z <>&;#\n😀]{1,16}"), 0..60),
            limit in 24usize..300,
        ) {
            let mut doc = Doc::new();
            for (style, text) in &pieces {
                match style {
                    0 => doc.bold(text),
                    1 => doc.italic(text),
                    _ => doc.text(text),
                };
            }
            let r = doc.done(Vec::new());
            prop_assert_eq!(&r.plain, &visible(&r.html));
            let parts = split_rendered(&r, limit);
            for p in &parts {
                let shown = visible(&p.html);
                prop_assert_eq!(p.plain.as_str(), shown.trim());
                prop_assert!(utf16_len(&p.plain) <= limit);
            }
            let joined: String = parts.iter().map(|p| p.plain.as_str()).collect();
            prop_assert_eq!(squash(&joined), squash(&r.plain));
        }
    }
}
