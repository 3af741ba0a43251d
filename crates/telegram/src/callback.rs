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
//! | `c:<id>`      | compare career path `<id>` with… (the second is asked for) |
//! | `c:<a>:<b>`   | compare career paths `<a>` and `<b>`  |

/// Longest callback data Telegram accepts, in bytes.
pub const MAX_CALLBACK_DATA: usize = 64;

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
    CompareFirst(String),
    /// Compare two career paths.
    Compare(String, String),
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
            Callback::CompareFirst(id) => format!("c:{id}"),
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
                Some((a, b)) => (valid_id(a) && valid_id(b))
                    .then(|| Callback::Compare(a.to_string(), b.to_string())),
                None => valid_id(rest).then(|| Callback::CompareFirst(rest.to_string())),
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
            Callback::CompareFirst("path-coder".into()),
            Callback::Compare("path-coder".into(), "path-data-analyst".into()),
        ] {
            let data = c.encode().unwrap();
            assert!(data.len() <= MAX_CALLBACK_DATA);
            assert_eq!(Callback::decode(&data), Some(c));
        }
    }

    #[test]
    fn the_longest_entry_id_fits() {
        // knowledge.rs allows ids of up to 40 characters.
        let id = "a".repeat(40);
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
        // Two ids of 31 characters fit a comparison button; two of 40 do not.
        let pair = |n| Callback::Compare("a".repeat(n), "b".repeat(n)).encode();
        assert_eq!(pair(30).map(|d| d.len()), Some(63));
        assert_eq!(pair(40), None);
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
        ] {
            assert_eq!(Callback::decode(data), None, "{data:?}");
        }
    }
}
