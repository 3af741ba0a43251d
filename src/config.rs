//! `config.toml`: the composition of each crate's own section. Parsed with serde (every table
//! `deny_unknown_fields`); a syntax error, an unknown key, a wrong type or a value out of range is an
//! error naming the key and its line. A missing file means defaults; `HITBOT_CONFIG` points at another
//! file. The bot token never lives here.

use std::path::{Path, PathBuf};

use hitbot_engine::{AnswerConfig, EngineConfig, SemanticConfig};
use hitbot_knowledge::toml_read::{self, Lines};
use hitbot_store::StoreConfig;
use hitbot_telegram::TelegramConfig;
use serde::Deserialize;

/// Environment variable naming another config file.
pub const CONFIG_ENV: &str = "HITBOT_CONFIG";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Folder of the human-edited knowledge files.
    pub knowledge_dir: PathBuf,
    /// Folder of the built search index (generated).
    pub index_dir: PathBuf,
    pub answer: AnswerConfig,
    pub semantic: SemanticConfig,
    pub log: LogConfig,
    pub telegram: TelegramConfig,
    pub store: StoreConfig,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Default log filter when `RUST_LOG` is unset.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        let engine = EngineConfig::default();
        Config {
            knowledge_dir: engine.knowledge_dir,
            index_dir: engine.index_dir,
            answer: engine.answer,
            semantic: engine.semantic,
            log: LogConfig::default(),
            telegram: TelegramConfig::default(),
            store: StoreConfig::default(),
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
            &mut config.semantic.model_dir,
            &mut config.store.path,
        ] {
            if dir.is_relative() && !base.as_os_str().is_empty() {
                *dir = base.join(&*dir);
            }
        }
        Ok(config)
    }

    /// Parses config text; an error is `(line, message)`, the message naming the key.
    pub fn parse(text: &str) -> Result<Config, (usize, String)> {
        let lines = Lines::new(text);
        let deserializer = toml::Deserializer::parse(text).map_err(|e| {
            let line = e.span().map_or(1, |s| lines.line(s.start));
            (line, format!("not valid TOML: {}", e.message().trim()))
        })?;
        let config: Config = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let e = e.into_inner();
            let line = e.span().map_or(1, |s| lines.line(s.start));
            (line, format!("`{key}`: {}", e.message().trim()))
        })?;
        let checks = [
            ("answer", config.answer.validate()),
            ("semantic", config.semantic.validate()),
            ("telegram", config.telegram.validate()),
            ("store", config.store.validate()),
        ];
        for (section, check) in checks {
            if let Err((key, message)) = check {
                let line = line_of_key(text, section, key).unwrap_or(1);
                return Err((line, format!("`{section}.{key}` {message}")));
            }
        }
        Ok(config)
    }

    /// The engine's part: where the knowledge and index live and how to answer.
    pub fn engine(&self) -> EngineConfig {
        EngineConfig {
            knowledge_dir: self.knowledge_dir.clone(),
            index_dir: self.index_dir.clone(),
            answer: self.answer.clone(),
            semantic: self.semantic.clone(),
        }
    }
}

/// The line of `[section] key` in `text`, for a value serde read but a check refused.
fn line_of_key(text: &str, section: &str, key: &str) -> Option<usize> {
    let doc = toml_read::parse(text).ok()?;
    let table = toml_read::as_table(toml_read::get(doc.get_ref(), section)?.get_ref()).ok()?;
    let value = toml_read::get(table, key)?;
    Some(Lines::new(text).line_of(&value.span()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_text_gives_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn the_shipped_config_toml_holds_the_defaults() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"))
            .expect("config.toml");
        assert_eq!(Config::parse(&text).unwrap(), Config::default());
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
        assert_eq!(c.engine().index_dir, PathBuf::from("/tmp/x"));
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
        assert_eq!(err.0, 2);
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
        assert!(err.1.contains("`store.keep_chat_id`"), "{}", err.1);
        assert!(err.1.contains("expected a boolean"), "{}", err.1);
        let err = Config::parse("[store]\nfile = \"x\"\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(err.1.contains("`store.file`: unknown field"), "{}", err.1);
    }

    #[test]
    fn store_path_is_relative_to_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "[store]\npath = \"ops/x.sqlite\"\n").unwrap();
        let c = Config::from_file(&file).unwrap();
        assert_eq!(c.store.path, dir.path().join("ops/x.sqlite"));
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
        assert!(
            err.1.contains("`answer.min_confidance`: unknown field"),
            "{}",
            err.1
        );
        let err = Config::parse("knowledge = \"k\"\n").unwrap_err();
        assert_eq!(err.0, 1);
        assert!(err.1.contains("unknown field `knowledge`"), "{}", err.1);
    }

    #[test]
    fn wrong_type_is_named_with_its_line() {
        let err = Config::parse("\n[answer]\nmin_confidence = \"high\"\n").unwrap_err();
        assert_eq!(err.0, 3);
        assert!(err.1.contains("`answer.min_confidence`"), "{}", err.1);
        let err = Config::parse("[telegram]\nthrottle = 1\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(err.1.contains("`telegram.throttle`"), "{}", err.1);
        let err = Config::parse("[answer]\nmin_confidence = 1.5\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(
            err.1
                .contains("`answer.min_confidence` must be a number from 0 to 1"),
            "{}",
            err.1
        );
        let err = Config::parse("[answer\n").unwrap_err();
        assert!(err.1.contains("not valid TOML"), "{}", err.1);
    }
}
