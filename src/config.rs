//! `config.toml`: where the knowledge and index live, answer limits, the confidence threshold, logging,
//! and the `[telegram]` table. A missing file means defaults; an unknown key or a wrong type is an error
//! naming the key and its line. `HITBOT_CONFIG` points at another file. The bot token never lives here.

use std::path::{Path, PathBuf};

use toml::de::DeTable;

use crate::knowledge::DEFAULT_MAX_ANSWER_CHARS;
use crate::toml_read::{self as tr, Lines};

/// Environment variable naming another config file.
pub const CONFIG_ENV: &str = "HITBOT_CONFIG";

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Folder of the human-edited knowledge files.
    pub knowledge_dir: PathBuf,
    /// Folder of the built search index (generated).
    pub index_dir: PathBuf,
    pub answer: AnswerConfig,
    /// Default log filter when `RUST_LOG` is unset.
    pub log_level: String,
    pub telegram: TelegramConfig,
    pub store: StoreConfig,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnswerConfig {
    /// Longest answer a knowledge entry may have (checked by `hitbot check`).
    pub max_chars: usize,
    /// Below this confidence the advisor declines instead of guessing.
    pub min_confidence: f32,
    /// How many related entries to offer under an answer.
    pub related: usize,
    /// A runner-up within this share of the best answer's rank is offered as "did you mean".
    pub did_you_mean_margin: f32,
    /// How long a chat's last answer is remembered for follow-up questions.
    pub followup_minutes: u64,
    /// Longer questions are cut to this many characters for searching (never rejected): a pasted
    /// essay costs no more than a paragraph.
    pub max_question_chars: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TelegramConfig {
    /// User ids allowed to use admin commands.
    pub admins: Vec<i64>,
    /// Respect Telegram's rate limits (off only for benchmarks against a local mock).
    pub throttle: bool,
    /// Attempts for a send that fails with a network error or a 5xx.
    pub send_attempts: u32,
    /// Webhook mode: public HTTPS URL Telegram posts updates to. Unset = long polling.
    pub webhook_url: Option<String>,
    /// Webhook mode: local address the webhook server listens on.
    pub webhook_listen: String,
    /// Webhook mode: the secret Telegram sends with every update, so that nobody else can post
    /// updates. Unset = a random one for each start (set it only if a proxy must check it).
    pub webhook_secret: Option<String>,
    /// Check the knowledge folder for edits this often and reload them; 0 = never (`/reload` and
    /// SIGHUP still work).
    pub watch_knowledge_secs: u64,
    /// Messages one user may send in a minute; the excess gets one notice, then silence until the
    /// minute has passed. 0 = no limit.
    pub flood_per_minute: u32,
}

/// `[store]`: where operator data (declined and low-confidence questions, 👍/👎) is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// The SQLite file (created with its folder on first use).
    pub path: PathBuf,
    /// Keep the chat id with each record. Off by default: the report needs no user data.
    pub keep_chat_id: bool,
    /// Records waiting to be written; when full, new ones are dropped so answering never waits.
    pub queue: usize,
    /// Answers below this confidence (but above `min_confidence`) are recorded as low-confidence.
    pub low_confidence: f32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            knowledge_dir: PathBuf::from("knowledge"),
            index_dir: PathBuf::from("index"),
            answer: AnswerConfig {
                max_chars: DEFAULT_MAX_ANSWER_CHARS,
                min_confidence: 0.5,
                related: 3,
                did_you_mean_margin: 0.9,
                followup_minutes: 30,
                max_question_chars: 1000,
            },
            log_level: "info".into(),
            telegram: TelegramConfig {
                admins: Vec::new(),
                throttle: true,
                send_attempts: 4,
                webhook_url: None,
                webhook_listen: "127.0.0.1:8443".into(),
                webhook_secret: None,
                watch_knowledge_secs: 2,
                flood_per_minute: 20,
            },
            store: StoreConfig {
                path: PathBuf::from("data/hitbot.sqlite"),
                keep_chat_id: false,
                queue: 10_000,
                low_confidence: 0.65,
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl Config {
    /// Loads the file named by `HITBOT_CONFIG`, else `config.toml` in the working folder; a missing
    /// default file means defaults. Relative paths in the file are relative to the file's folder.
    pub fn load() -> Result<Config, ConfigError> {
        match std::env::var_os(CONFIG_ENV) {
            Some(p) => Config::from_file(Path::new(&p)),
            None if Path::new("config.toml").exists() => {
                Config::from_file(Path::new("config.toml"))
            }
            None => Ok(Config::default()),
        }
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Config::parse(&text).map_err(|(line, message)| ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        for dir in [
            &mut config.knowledge_dir,
            &mut config.index_dir,
            &mut config.store.path,
        ] {
            if dir.is_relative() && !base.as_os_str().is_empty() {
                *dir = base.join(&*dir);
            }
        }
        Ok(config)
    }

    /// Parses config text; an error is `(line, message)`.
    pub fn parse(text: &str) -> Result<Config, (usize, String)> {
        let doc = tr::parse(text).map_err(|(line, m)| (line, format!("not valid TOML: {m}")))?;
        let lines = Lines::new(text);
        let mut c = Config::default();
        let r = Reader { lines: &lines };
        let root = doc.get_ref();
        r.known(
            root,
            "",
            &[
                "knowledge_dir",
                "index_dir",
                "answer",
                "log",
                "telegram",
                "store",
            ],
        )?;
        if let Some(s) = r.string(root, "", "knowledge_dir")? {
            c.knowledge_dir = s.into();
        }
        if let Some(s) = r.string(root, "", "index_dir")? {
            c.index_dir = s.into();
        }
        if let Some(t) = r.table(root, "", "answer")? {
            r.known(
                t,
                "answer.",
                &[
                    "max_chars",
                    "min_confidence",
                    "related",
                    "did_you_mean_margin",
                    "followup_minutes",
                    "max_question_chars",
                ],
            )?;
            if let Some(v) = r.int(t, "answer.", "max_chars", 1, 4000)? {
                c.answer.max_chars = v as usize;
            }
            if let Some(v) = r.float(t, "answer.", "min_confidence", 0.0, 1.0)? {
                c.answer.min_confidence = v as f32;
            }
            if let Some(v) = r.int(t, "answer.", "related", 0, 3)? {
                c.answer.related = v as usize;
            }
            if let Some(v) = r.float(t, "answer.", "did_you_mean_margin", 0.0, 1.0)? {
                c.answer.did_you_mean_margin = v as f32;
            }
            if let Some(v) = r.int(t, "answer.", "followup_minutes", 0, 24 * 60)? {
                c.answer.followup_minutes = v as u64;
            }
            if let Some(v) = r.int(t, "answer.", "max_question_chars", 50, 4096)? {
                c.answer.max_question_chars = v as usize;
            }
        }
        if let Some(t) = r.table(root, "", "log")? {
            r.known(t, "log.", &["level"])?;
            if let Some(s) = r.string(t, "log.", "level")? {
                c.log_level = s;
            }
        }
        if let Some(t) = r.table(root, "", "telegram")? {
            r.known(
                t,
                "telegram.",
                &[
                    "admins",
                    "throttle",
                    "send_attempts",
                    "webhook_url",
                    "webhook_listen",
                    "webhook_secret",
                    "watch_knowledge_secs",
                    "flood_per_minute",
                ],
            )?;
            if let Some(v) = tr::get(t, "admins") {
                let line = lines.line_of(&v.span());
                let tr::DeValueRef::Array(items) = tr::DeValueRef::of(v.get_ref()) else {
                    return Err((line, "`telegram.admins` must be a list of user ids".into()));
                };
                c.telegram.admins = items
                    .iter()
                    .map(|i| tr::as_int(i.get_ref()))
                    .collect::<Result<_, _>>()
                    .map_err(|_| {
                        (
                            line,
                            "`telegram.admins` must be a list of user ids".to_string(),
                        )
                    })?;
            }
            if let Some(v) = tr::get(t, "throttle") {
                c.telegram.throttle = tr::as_bool(v.get_ref()).map_err(|e| {
                    (
                        lines.line_of(&v.span()),
                        format!("`telegram.throttle` must be {e}"),
                    )
                })?;
            }
            if let Some(v) = r.int(t, "telegram.", "send_attempts", 1, 20)? {
                c.telegram.send_attempts = v as u32;
            }
            if let Some(s) = r.string(t, "telegram.", "webhook_url")? {
                if !s.starts_with("https://") {
                    let line = tr::get(t, "webhook_url").map_or(1, |v| lines.line_of(&v.span()));
                    return Err((
                        line,
                        "`telegram.webhook_url` must start with https://".into(),
                    ));
                }
                c.telegram.webhook_url = Some(s);
            }
            if let Some(s) = r.string(t, "telegram.", "webhook_listen")? {
                if s.parse::<std::net::SocketAddr>().is_err() {
                    let line = tr::get(t, "webhook_listen").map_or(1, |v| lines.line_of(&v.span()));
                    return Err((
                        line,
                        "`telegram.webhook_listen` must be an address like 127.0.0.1:8443".into(),
                    ));
                }
                c.telegram.webhook_listen = s;
            }
            if let Some(s) = r.string(t, "telegram.", "webhook_secret")? {
                // Telegram's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
                let ok = (1..=256).contains(&s.len())
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !ok {
                    let line = tr::get(t, "webhook_secret").map_or(1, |v| lines.line_of(&v.span()));
                    return Err((
                        line,
                        "`telegram.webhook_secret` must be 1-256 characters of A-Z, a-z, 0-9, _ and -".into(),
                    ));
                }
                c.telegram.webhook_secret = Some(s);
            }
            if let Some(v) = r.int(t, "telegram.", "watch_knowledge_secs", 0, 3600)? {
                c.telegram.watch_knowledge_secs = v as u64;
            }
            if let Some(v) = r.int(t, "telegram.", "flood_per_minute", 0, 10_000)? {
                c.telegram.flood_per_minute = v as u32;
            }
        }
        if let Some(t) = r.table(root, "", "store")? {
            r.known(
                t,
                "store.",
                &["path", "keep_chat_id", "queue", "low_confidence"],
            )?;
            if let Some(s) = r.string(t, "store.", "path")? {
                c.store.path = s.into();
            }
            if let Some(v) = tr::get(t, "keep_chat_id") {
                c.store.keep_chat_id = tr::as_bool(v.get_ref()).map_err(|e| {
                    (
                        lines.line_of(&v.span()),
                        format!("`store.keep_chat_id` must be {e}"),
                    )
                })?;
            }
            if let Some(v) = r.int(t, "store.", "queue", 1, 1_000_000)? {
                c.store.queue = v as usize;
            }
            if let Some(v) = r.float(t, "store.", "low_confidence", 0.0, 1.0)? {
                c.store.low_confidence = v as f32;
            }
        }
        Ok(c)
    }
}

struct Reader<'a> {
    lines: &'a Lines,
}

type Res<T> = Result<T, (usize, String)>;

impl Reader<'_> {
    fn known(&self, t: &DeTable<'_>, prefix: &str, allowed: &[&str]) -> Res<()> {
        match tr::unknown_keys(t, allowed).first() {
            Some((key, span)) => Err((
                self.lines.line_of(span),
                format!(
                    "unknown key `{prefix}{key}` (known: {})",
                    allowed.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    fn string(&self, t: &DeTable<'_>, prefix: &str, key: &str) -> Res<Option<String>> {
        let Some(v) = tr::get(t, key) else {
            return Ok(None);
        };
        tr::as_str(v.get_ref())
            .map(|s| Some(s.to_string()))
            .map_err(|e| {
                (
                    self.lines.line_of(&v.span()),
                    format!("`{prefix}{key}` must be {e}"),
                )
            })
    }

    fn int(&self, t: &DeTable<'_>, prefix: &str, key: &str, lo: i64, hi: i64) -> Res<Option<i64>> {
        let Some(v) = tr::get(t, key) else {
            return Ok(None);
        };
        match tr::as_int(v.get_ref()) {
            Ok(i) if (lo..=hi).contains(&i) => Ok(Some(i)),
            _ => Err((
                self.lines.line_of(&v.span()),
                format!("`{prefix}{key}` must be an integer from {lo} to {hi}"),
            )),
        }
    }

    fn float(
        &self,
        t: &DeTable<'_>,
        prefix: &str,
        key: &str,
        lo: f64,
        hi: f64,
    ) -> Res<Option<f64>> {
        let Some(v) = tr::get(t, key) else {
            return Ok(None);
        };
        match tr::as_float(v.get_ref()) {
            Ok(x) if (lo..=hi).contains(&x) => Ok(Some(x)),
            _ => Err((
                self.lines.line_of(&v.span()),
                format!("`{prefix}{key}` must be a number from {lo} to {hi}"),
            )),
        }
    }

    fn table<'a, 'i>(
        &self,
        t: &'a DeTable<'i>,
        prefix: &str,
        key: &str,
    ) -> Res<Option<&'a DeTable<'i>>> {
        let Some(v) = tr::get(t, key) else {
            return Ok(None);
        };
        tr::as_table(v.get_ref()).map(Some).map_err(|e| {
            (
                self.lines.line_of(&v.span()),
                format!("`{prefix}{key}` must be {e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_text_gives_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn values_are_read() {
        let c = Config::parse(
            "index_dir = \"/tmp/x\"\n[answer]\nmin_confidence = 0.6\n[telegram]\nadmins = [1, 2]\nthrottle = false\n",
        )
        .unwrap();
        assert_eq!(c.index_dir, PathBuf::from("/tmp/x"));
        assert_eq!(c.answer.min_confidence, 0.6);
        assert_eq!(c.telegram.admins, vec![1, 2]);
        assert!(!c.telegram.throttle);
    }

    #[test]
    fn telegram_webhook_keys_are_read_and_checked() {
        let c = Config::parse(
            "[telegram]\nwebhook_url = \"https://bot.example.org/hitbot\"\nwebhook_listen = \"0.0.0.0:8443\"\n\
             webhook_secret = \"s3cret_-X\"\nsend_attempts = 6\n",
        )
        .unwrap();
        assert_eq!(
            c.telegram.webhook_url.as_deref(),
            Some("https://bot.example.org/hitbot")
        );
        assert_eq!(c.telegram.webhook_listen, "0.0.0.0:8443");
        assert_eq!(c.telegram.webhook_secret.as_deref(), Some("s3cret_-X"));
        assert_eq!(c.telegram.send_attempts, 6);
        assert_eq!(Config::default().telegram.webhook_secret, None);
        assert!(Config::default().telegram.throttle);

        let err = Config::parse("[telegram]\n\nwebhook_secret = \"has space\"\n").unwrap_err();
        assert_eq!(err.0, 3);
        assert!(err.1.contains("`telegram.webhook_secret`"), "{}", err.1);
        let err = Config::parse("[telegram]\nwebhook_url = \"http://insecure\"\n").unwrap_err();
        assert!(err.1.contains("https://"), "{}", err.1);
    }

    #[test]
    fn store_keys_are_read_and_checked() {
        let d = Config::default().store;
        assert_eq!(d.path, PathBuf::from("data/hitbot.sqlite"));
        assert!(!d.keep_chat_id);
        assert_eq!((d.queue, d.low_confidence), (10_000, 0.65));
        let c = Config::parse(
            "[store]\npath = \"/var/lib/hitbot/ops.sqlite\"\nkeep_chat_id = true\nqueue = 50\nlow_confidence = 0.7\n",
        )
        .unwrap();
        assert_eq!(c.store.path, PathBuf::from("/var/lib/hitbot/ops.sqlite"));
        assert!(c.store.keep_chat_id);
        assert_eq!((c.store.queue, c.store.low_confidence), (50, 0.7));

        let err = Config::parse("[store]\n\nqueue = 0\n").unwrap_err();
        assert_eq!(err.0, 3);
        assert!(
            err.1.contains("`store.queue` must be an integer"),
            "{}",
            err.1
        );
        let err = Config::parse("[store]\nkeep_chat_id = \"yes\"\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(
            err.1.contains("`store.keep_chat_id` must be true or false"),
            "{}",
            err.1
        );
        let err = Config::parse("[store]\nfile = \"x\"\n").unwrap_err();
        assert!(err.1.contains("unknown key `store.file`"), "{}", err.1);
    }

    #[test]
    fn store_path_is_relative_to_the_config_file() {
        let dir = std::env::temp_dir().join(format!("hitbot-config-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config.toml");
        std::fs::write(&file, "[store]\npath = \"ops/x.sqlite\"\n").unwrap();
        let c = Config::from_file(&file).unwrap();
        assert_eq!(c.store.path, dir.join("ops/x.sqlite"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn protection_and_reload_keys_are_read_and_checked() {
        let d = Config::default();
        assert_eq!(d.answer.max_question_chars, 1000);
        assert_eq!(d.telegram.watch_knowledge_secs, 2);
        assert_eq!(d.telegram.flood_per_minute, 20);
        let c = Config::parse(
            "[answer]\nmax_question_chars = 300\n[telegram]\nwatch_knowledge_secs = 0\nflood_per_minute = 5\n",
        )
        .unwrap();
        assert_eq!(c.answer.max_question_chars, 300);
        assert_eq!(c.telegram.watch_knowledge_secs, 0);
        assert_eq!(c.telegram.flood_per_minute, 5);

        let err = Config::parse("[telegram]\nflood_per_minute = -1\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(err.1.contains("`telegram.flood_per_minute`"), "{}", err.1);
        let err = Config::parse("[telegram]\n\nwatch_knowledge_secs = \"2s\"\n").unwrap_err();
        assert_eq!(err.0, 3);
        assert!(
            err.1.contains("`telegram.watch_knowledge_secs`"),
            "{}",
            err.1
        );
        let err = Config::parse("[answer]\nmax_question_chars = 10\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(err.1.contains("`answer.max_question_chars`"), "{}", err.1);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = Config::parse("[answer]\nrelated = 2\nmin_confidance = 0.5\n").unwrap_err();
        assert_eq!(err.0, 3);
        assert!(err.1.contains("`answer.min_confidance`"), "{}", err.1);
    }

    #[test]
    fn wrong_type_is_named_with_its_line() {
        let err = Config::parse("\n[answer]\nmin_confidence = \"high\"\n").unwrap_err();
        assert_eq!(err.0, 3);
        assert!(
            err.1.contains("`answer.min_confidence` must be a number"),
            "{}",
            err.1
        );
        let err = Config::parse("[telegram]\nthrottle = 1\n").unwrap_err();
        assert!(
            err.1.contains("`telegram.throttle` must be true or false"),
            "{}",
            err.1
        );
    }
}
