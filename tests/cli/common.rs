#![allow(dead_code)]
//! Helpers shared by the integration tests: the shipped advisor, and running the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use hitbot_engine::{Advisor, EngineConfig};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The advisor over the shipped knowledge, opened once per test binary.
pub fn advisor() -> &'static Advisor {
    static ADVISOR: OnceLock<Advisor> = OnceLock::new();
    ADVISOR.get_or_init(|| {
        let config = EngineConfig {
            knowledge_dir: root().join("knowledge"),
            index_dir: tempfile::tempdir().unwrap().keep(),
            semantic: hitbot_engine::SemanticConfig {
                model_dir: root().join("models/all-minilm-l6-v2"),
                ..Default::default()
            },
            ..EngineConfig::default()
        };
        Advisor::open(&config).expect("shipped knowledge opens")
    })
}

/// A config file in a fresh temp folder pointing at `knowledge` and a private index.
pub fn temp_config(name: &str, knowledge: &Path, extra: &str) -> PathBuf {
    // Kept for the test binary's run: the config is handed to child processes by path.
    let dir = tempfile::Builder::new()
        .prefix(&format!("hitbot-test-{name}-"))
        .tempdir()
        .unwrap()
        .keep();
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "knowledge_dir = {:?}\nindex_dir = {:?}\n{extra}\n{}",
            knowledge.display().to_string(),
            dir.join("index").display().to_string(),
            if extra.contains("[semantic]") {
                String::new()
            } else {
                format!(
                    "[semantic]\nmodel_dir = {:?}\n",
                    root().join("models/all-minilm-l6-v2").display().to_string()
                )
            }
        ),
    )
    .unwrap();
    path
}

/// Runs `hitbot ARGS` in the repo root with stdin, without a token.
pub fn hitbot(args: &[&str], stdin: &str, config: Option<&Path>) -> Output {
    hitbot_with_env(args, stdin, config, &[])
}

/// Runs `hitbot ARGS` like [`hitbot`], with these environment variables set too.
pub fn hitbot_with_env(
    args: &[&str],
    stdin: &str,
    config: Option<&Path>,
    env: &[(&str, &str)],
) -> Output {
    hitbot_in(&root(), args, stdin, config, env)
}

/// Runs `hitbot ARGS` like [`hitbot_with_env`], in the working folder `cwd`.
pub fn hitbot_in(
    cwd: &Path,
    args: &[&str],
    stdin: &str,
    config: Option<&Path>,
    env: &[(&str, &str)],
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hitbot"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("HITBOT_CONFIG")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(c) = config {
        cmd.env("HITBOT_CONFIG", c);
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd.spawn().expect("run hitbot");
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
