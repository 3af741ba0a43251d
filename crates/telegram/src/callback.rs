//! The `callback_data` carried by inline buttons: encoding and decoding (pure).
//!
//! Telegram allows 1-64 bytes of callback data. The formats are short and prefixed so that data from
//! an older version of the bot (or an entry removed by a knowledge change) decodes to something the
//! handlers can answer politely:
//!
//! | data          | meaning                               |
//! |---------------|---------------------------------------|
//! | `e:<id>`      | open entry `<id>`                     |
//! | `f:+:<id>`    | "this answer helped" for entry `<id>` |
//! | `f:-:<id>`    | "this answer did not help"            |
//! | `t`           | show the topic menu                   |
//! | `c:<key>`     | compare the career path with key `<key>` with… (the second is asked for) |
//! | `c:<a>:<b>`   | compare the career paths with keys `<a>` and `<b>` |
//! | `i:a:<n>:<id>` | inbox (admins): add item `<n>`'s question to entry `<id>` |
//! | `i:n:<n>`, `i:d:<n>` | inbox: mark item `<n>` not covered, dismiss it |
//! | `i:u:<n>`     | inbox: undo action `<n>`                |
//! | `i:m:<n>`     | inbox: the next page, from position `<n>` |
//!
//! Inbox items and actions are named by their store ids (numbers), so an add button fits an entry
//! id of 40 characters. Whoever presses them, the handlers act only for `[telegram] admins`.
//!
//! Entry ids may be 40 characters long, so two of them do not fit one button: a comparison names its
//! paths by [`PathKey`], a short stable hash of the entry id, which the handlers look up among the
//! career paths of the knowledge serving now. A key that matches no path (the path was removed or
//! renamed) is answered like any other stale button.

use hitbot_knowledge::Fingerprint;

/// Longest callback data Telegram accepts, in bytes.
pub const MAX_CALLBACK_DATA: usize = 64;

/// A career path in a comparison button: the fingerprint of its entry id (16 hex digits), the same
/// for the same id in every version of the bot and the knowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PathKey(u64);

impl PathKey {
    /// The key of the career path with entry id `id`.
    pub fn of(id: &str) -> PathKey {
        let hex = Fingerprint::new().field(id).finish();
        PathKey(u64::from_str_radix(&hex, 16).unwrap_or_default())
    }

    /// Whether this is the key of entry `id`.
    pub fn is(&self, id: &str) -> bool {
        PathKey::of(id) == *self
    }

    /// Exactly what `Display` writes: 16 lower-case hex digits.
    fn parse(text: &str) -> Option<PathKey> {
        let hex = text.len() == 16 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !hex {
            return None;
        }
        u64::from_str_radix(text, 16).ok().map(PathKey)
    }
}

impl std::fmt::Display for PathKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What a button press asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// Open an entry.
    Entry(String),
    /// Feedback on the answer from an entry.
    Feedback { entry: String, helpful: bool },
    /// Show the topic menu.
    Topics,
    /// The first career path of a comparison was picked: ask for the second.
    CompareFirst(PathKey),
    /// Compare two career paths.
    Compare(PathKey, PathKey),
    /// An inbox button (admins only).
    Inbox(InboxPress),
}

/// What an inbox button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxPress {
    /// Add the item's question to an entry's `questions`.
    Add { item: i64, entry: String },
    /// Record the item's question as not covered (`scope.toml`).
    NotCovered(i64),
    /// Nothing to do.
    Dismiss(i64),
    /// Undo an action.
    Undo(i64),
    /// The next page of the inbox, from this position.
    More(usize),
}

impl Callback {
    /// The callback data, or `None` when it would exceed Telegram's 64 bytes (such a button is left
    /// out rather than rejected by Telegram with `BUTTON_DATA_INVALID`).
    pub fn encode(&self) -> Option<String> {
        let data = match self {
            Callback::Entry(id) => format!("e:{id}"),
            Callback::Feedback { entry, helpful } => {
                format!("f:{}:{entry}", if *helpful { '+' } else { '-' })
            }
            Callback::Topics => "t".to_string(),
            Callback::CompareFirst(key) => format!("c:{key}"),
            Callback::Compare(a, b) => format!("c:{a}:{b}"),
            Callback::Inbox(press) => match press {
                InboxPress::Add { item, entry } => format!("i:a:{item}:{entry}"),
                InboxPress::NotCovered(item) => format!("i:n:{item}"),
                InboxPress::Dismiss(item) => format!("i:d:{item}"),
                InboxPress::Undo(action) => format!("i:u:{action}"),
                InboxPress::More(offset) => format!("i:m:{offset}"),
            },
        };
        (!data.is_empty() && data.len() <= MAX_CALLBACK_DATA).then_some(data)
    }

    /// Decodes callback data; `None` for anything this version does not know.
    pub fn decode(data: &str) -> Option<Callback> {
        if data == "t" {
            return Some(Callback::Topics);
        }
        if let Some(id) = data.strip_prefix("e:") {
            return valid_id(id).then(|| Callback::Entry(id.to_string()));
        }
        if let Some(rest) = data.strip_prefix("c:") {
            return match rest.split_once(':') {
                Some((a, b)) => Some(Callback::Compare(PathKey::parse(a)?, PathKey::parse(b)?)),
                None => PathKey::parse(rest).map(Callback::CompareFirst),
            };
        }
        if let Some(rest) = data.strip_prefix("i:") {
            let (kind, rest) = rest.split_once(':')?;
            let press = match kind {
                "a" => {
                    let (item, entry) = rest.split_once(':')?;
                    if !valid_id(entry) {
                        return None;
                    }
                    InboxPress::Add {
                        item: number(item)?,
                        entry: entry.to_string(),
                    }
                }
                "n" => InboxPress::NotCovered(number(rest)?),
                "d" => InboxPress::Dismiss(number(rest)?),
                "u" => InboxPress::Undo(number(rest)?),
                "m" => InboxPress::More(usize::try_from(number(rest)?).ok()?),
                _ => return None,
            };
            return Some(Callback::Inbox(press));
        }
        if let Some(rest) = data.strip_prefix("f:") {
            let (sign, id) = rest.split_once(':')?;
            let helpful = match sign {
                "+" => true,
                "-" => false,
                _ => return None,
            };
            return valid_id(id).then(|| Callback::Feedback {
                entry: id.to_string(),
                helpful,
            });
        }
        None
    }
}

/// A store id as we write it: 1-18 decimal digits, nothing else.
fn number(text: &str) -> Option<i64> {
    let digits = !text.is_empty() && text.len() <= 18 && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

/// Entry ids are short lowercase slugs; anything else is not from us.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 48
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for c in [
            Callback::Entry("salary".into()),
            Callback::Feedback {
                entry: "path-data-analyst".into(),
                helpful: true,
            },
            Callback::Feedback {
                entry: "org-ahima".into(),
                helpful: false,
            },
            Callback::Topics,
            Callback::CompareFirst(PathKey::of("path-coder")),
            Callback::Compare(PathKey::of("path-coder"), PathKey::of("path-data-analyst")),
            Callback::Inbox(InboxPress::Add {
                item: 12,
                entry: "salary".into(),
            }),
            Callback::Inbox(InboxPress::NotCovered(3)),
            Callback::Inbox(InboxPress::Dismiss(0)),
            Callback::Inbox(InboxPress::Undo(99)),
            Callback::Inbox(InboxPress::More(5)),
        ] {
            let data = c.encode().unwrap();
            assert!(data.len() <= MAX_CALLBACK_DATA);
            assert_eq!(Callback::decode(&data), Some(c));
        }
    }

    #[test]
    fn the_longest_entry_id_fits() {
        let id = "a".repeat(hitbot_knowledge::MAX_ID_LEN);
        let data = Callback::Feedback {
            entry: id,
            helpful: false,
        }
        .encode()
        .unwrap();
        assert!(data.len() <= MAX_CALLBACK_DATA, "{}", data.len());
    }

    #[test]
    fn an_inbox_add_fits_the_longest_entry_id() {
        let add = Callback::Inbox(InboxPress::Add {
            item: 999_999_999_999,
            entry: "a".repeat(hitbot_knowledge::MAX_ID_LEN),
        });
        let data = add.encode().expect("fits");
        assert!(data.len() <= MAX_CALLBACK_DATA, "{}", data.len());
        assert_eq!(Callback::decode(&data), Some(add));
    }

    #[test]
    fn too_long_data_is_not_encoded() {
        assert_eq!(Callback::Entry("x".repeat(70)).encode(), None);
    }

    /// Bug: `/compare` buttons silently vanished when two entry ids together exceeded Telegram's
    /// 64 bytes (`c:<id>:<id>`; ids may be 40 characters), because such a button is left out. Paths
    /// are now named by their short key, so every valid pair fits.
    #[test]
    fn compare_buttons_fit_two_of_the_longest_ids() {
        // hitbot-knowledge allows entry ids of up to 40 characters.
        let (a, b) = ("a".repeat(40), format!("path-{}", "b".repeat(35)));
        let pair = Callback::Compare(PathKey::of(&a), PathKey::of(&b));
        let data = pair.encode().expect("a pair of the longest ids is encoded");
        assert!(data.len() <= MAX_CALLBACK_DATA, "{}", data.len());
        let Some(Callback::Compare(x, y)) = Callback::decode(&data) else {
            panic!("{data:?} does not decode to a comparison");
        };
        assert!(x.is(&a) && y.is(&b) && !x.is(&b));
        let first = Callback::CompareFirst(PathKey::of(&a)).encode().unwrap();
        assert_eq!(
            Callback::decode(&first),
            Some(Callback::CompareFirst(PathKey::of(&a)))
        );
    }

    #[test]
    fn path_keys_are_stable() {
        // The same id gives the same key in every version of the bot (buttons outlive restarts).
        assert_eq!(PathKey::of("path-coder").to_string(), "c145594d64c427aa");
        assert_ne!(PathKey::of("path-coder"), PathKey::of("path-coders"));
    }

    #[test]
    fn unknown_or_foreign_data_decodes_to_none() {
        for data in [
            "",
            "e:",
            "e:Salary",
            "e:<b>",
            "f:+",
            "f:?:salary",
            "x:salary",
            "pressed",
            "f:+:",
            "c:",
            "c:path-coder:",
            "c::path-coder",
            "c:a:b:c",
            "c:Path",
            // Comparison data of older versions named the paths by id.
            "c:path-coder",
            "c:path-coder:path-data-analyst",
            "c:C145594D64C427AA",
            "c:+145594d64c427aa",
            "c:c145594d64c427aa:",
            "c:c145594d64c427aa:c145594d64c427aa:c145594d64c427aa",
            // Forged or broken inbox data.
            "i:",
            "i:a:1",
            "i:a:x:salary",
            "i:a:1:Salary",
            "i:a:-1:salary",
            "i:a::salary",
            "i:n:",
            "i:n:+1",
            "i:d:1 ",
            "i:u:1e3",
            "i:m:99999999999999999999",
            "i:z:1",
        ] {
            assert_eq!(Callback::decode(data), None, "{data:?}");
        }
    }
}
