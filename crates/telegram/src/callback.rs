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
        ] {
            assert_eq!(Callback::decode(data), None, "{data:?}");
        }
    }
}
