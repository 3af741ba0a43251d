//! `config.toml`: the composition of each crate's own section. Parsed with serde (every table
//! `deny_unknown_fields`); a syntax error, an unknown key, a wrong type or a value out of range is an
//! error naming the key and its line. The file is the one `--config` names, else the one
//! `HITBOT_CONFIG` names, else `config.toml` in the working folder; when there is none, the defaults
//! apply. The config remembers which it was ([`Source`]), so that a missing folder can be explained.
//! The bot token never lives here.

use std::fmt;
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
    /// Where `hitbot chart` writes without `--out`: a generated, git-ignored folder, so that charts
    /// never show up as untracked files in the working folder.
    pub charts_dir: PathBuf,
    pub answer: AnswerConfig,
    pub semantic: SemanticConfig,
    pub log: LogConfig,
    pub telegram: TelegramConfig,
    pub store: StoreConfig,
    /// Which file this was read from (or that there was none), for messages about its paths.
    #[serde(skip)]
    pub source: Source,
}

/// Where the config came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The file `--config` named.
    Flag(PathBuf),
    /// The file `HITBOT_CONFIG` named.
    Env(PathBuf),
    /// `config.toml` in the working folder.
    WorkingFolder(PathBuf),
    /// No file: there was no `config.toml` in the working folder (this path) and neither `--config`
    /// nor `HITBOT_CONFIG` was given, so the defaults apply, relative to the working folder.
    Defaults { looked_for: PathBuf },
}

impl Default for Source {
    fn default() -> Self {
        Source::Defaults {
            looked_for: PathBuf::from("config.toml"),
        }
    }
}

impl Source {
    /// The file read, if any.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Source::Flag(p) | Source::Env(p) | Source::WorkingFolder(p) => Some(p),
            Source::Defaults { .. } => None,
        }
    }
}

/// Says which file was read, by its full path.
impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        match self {
            Source::Flag(p) => write!(f, "the config file {} (--config)", full(p).display()),
            Source::Env(p) => write!(f, "the config file {} ({CONFIG_ENV})", full(p).display()),
            Source::WorkingFolder(p) => write!(f, "the config file {}", full(p).display()),
            Source::Defaults { looked_for } => write!(
                f,
                "the defaults: no config file was found ({} does not exist, no --config, \
                 {CONFIG_ENV} is not set)",
                full(looked_for).display()
            ),
        }
    }
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Default log filter when `RUST_LOG` is unset.
    pub level: String,
}

/// The log levels `[log] level` may name.
const LOG_LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

impl LogConfig {
    /// A level ("info") or `RUST_LOG`-style directives ("info,hitbot_engine=debug"), each with a
    /// known level: "warning" or "bogus" would otherwise be read as a module name and silence every
    /// log line, errors included.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        for directive in self.level.split(',').map(str::trim) {
            let level = directive
                .rsplit_once('=')
                .map_or(directive, |(_, l)| l.trim());
            if !LOG_LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
                return Err((
                    "level",
                    format!(
                        "has {directive:?}: not a log level (one of {}, or module=level)",
                        LOG_LEVELS.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
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
            charts_dir: PathBuf::from("charts"),
            answer: engine.answer,
            semantic: engine.semantic,
            log: LogConfig::default(),
            telegram: TelegramConfig::default(),
            store: StoreConfig::default(),
            source: Source::default(),
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
    /// Loads the file `flag` names (`--config`), else the one `HITBOT_CONFIG` names, else
    /// `config.toml` in the working folder; without any of them, the defaults. A named file must
    /// exist. Relative paths in the file are relative to the file's folder.
    pub fn load(flag: Option<&Path>) -> Result<Config, ConfigError> {
        let env = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty());
        let source = match (flag, env) {
            (Some(p), _) => Source::Flag(p.to_path_buf()),
            (None, Some(p)) => Source::Env(PathBuf::from(p)),
            (None, None) if Path::new("config.toml").exists() => {
                Source::WorkingFolder(PathBuf::from("config.toml"))
            }
            (None, None) => Source::Defaults {
                looked_for: std::path::absolute("config.toml")
                    .unwrap_or_else(|_| PathBuf::from("config.toml")),
            },
        };
        let config = match source.file() {
            Some(file) => Config::from_file(file)?,
            None => Config::default(),
        };
        Ok(Config { source, ..config })
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
            &mut config.charts_dir,
            &mut config.semantic.model_dir,
            &mut config.store.path,
        ] {
            if dir.is_relative() && !base.as_os_str().is_empty() {
                *dir = base.join(&*dir);
            }
        }
        config.source = Source::WorkingFolder(path.to_path_buf());
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
            ("log", config.log.validate()),
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
    fn unknown_log_levels_are_refused_with_the_key_and_line() {
        for bad in ["warning", "bogus", "info,hitbot=loud", ""] {
            let text = format!("[answer]\nrelated = 3\n[log]\nlevel = {bad:?}\n");
            let (line, message) = Config::parse(&text).unwrap_err();
            assert_eq!(line, 4, "{bad:?}: {message}");
            assert!(message.starts_with("`log.level`"), "{message}");
        }
        for good in ["warn", "INFO", "info,hitbot_engine=debug", "off"] {
            let text = format!("[log]\nlevel = {good:?}\n");
            assert!(Config::parse(&text).is_ok(), "{good:?}");
        }
    }

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
             webhook_secret = \"s3cret_-X\"\ngive_up_after = \"30m\"\ndrain_secs = 3\n",
        )
        .unwrap();
        assert_eq!(
            c.telegram.webhook_url.as_deref(),
            Some("https://bot.example.org/hitbot")
        );
        assert_eq!(c.telegram.webhook_listen, "0.0.0.0:8443");
        assert_eq!(c.telegram.webhook_secret.as_deref(), Some("s3cret_-X"));
        assert_eq!(
            c.telegram.give_up_after.0,
            std::time::Duration::from_secs(1800)
        );
        assert_eq!(c.telegram.drain_secs, 3);
        let err = Config::parse("[telegram]\ngive_up_after = \"soon\"\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(err.1.contains("give_up_after"), "{}", err.1);
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
    fn paths_are_relative_to_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "[store]\npath = \"ops/x.sqlite\"\n").unwrap();
        let c = Config::from_file(&file).unwrap();
        assert_eq!(c.store.path, dir.path().join("ops/x.sqlite"));
        assert_eq!(c.knowledge_dir, dir.path().join("knowledge"));
        assert_eq!(c.charts_dir, dir.path().join("charts"));
        assert_eq!(c.source.file(), Some(file.as_path()));
        let said = Source::Flag(file.clone()).to_string();
        assert!(said.contains(&file.display().to_string()), "{said}");
        assert!(said.ends_with("(--config)"), "{said}");
    }

    /// Regression: `hitbot chart` wrote its PNGs into the repository root, where they showed up as
    /// untracked files. The default folder is git-ignored.
    #[test]
    fn the_default_charts_dir_is_git_ignored() {
        let ignore = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.gitignore"))
            .expect(".gitignore");
        let dir = Config::default().charts_dir;
        assert!(dir.is_relative(), "{}", dir.display());
        let pattern = format!("/{}/", dir.display());
        assert!(
            ignore.lines().any(|l| l.trim() == pattern),
            "{pattern} is not in .gitignore:\n{ignore}"
        );
    }

    #[test]
    fn without_a_file_the_source_says_where_it_looked() {
        let said = Source::Defaults {
            looked_for: PathBuf::from("/somewhere/config.toml"),
        }
        .to_string();
        assert!(
            said.contains("/somewhere/config.toml does not exist"),
            "{said}"
        );
        assert!(
            said.contains("--config") && said.contains(CONFIG_ENV),
            "{said}"
        );
        assert_eq!(Source::default().file(), None);
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
