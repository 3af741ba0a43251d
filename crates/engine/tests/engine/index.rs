//! The index folder on disk (issue 14): whatever is in `index/<name>/` that is not this version's
//! finished build of this knowledge is rebuilt, never fatal.

use std::path::{Path, PathBuf};

use hitbot_engine::{Advisor, EngineConfig};

use super::root;

/// A config over the two-entry `tests/fixtures/good` knowledge with a private index folder.
fn config(knowledge: &str) -> EngineConfig {
    EngineConfig {
        knowledge_dir: root().join("tests/fixtures").join(knowledge),
        index_dir: tempfile::tempdir().unwrap().keep(),
        semantic: hitbot_engine::SemanticConfig {
            model_dir: root().join("models/all-minilm-l6-v2"),
            ..Default::default()
        },
        ..EngineConfig::default()
    }
}

/// The build folders (16 hex digits) under `index`.
fn builds(index: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(index)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.len() == 16 && name.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .collect();
    found.sort();
    found
}

fn answers(config: &EngineConfig) {
    let advisor = Advisor::open(config).unwrap_or_else(|e| panic!("{e}"));
    let reply = advisor.answer("how much do zookeepers make");
    assert!(reply.text.contains("12,345 zorkmids"), "{}", reply.text);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Regression (issue 14): after a stop, `hitbot ask` and `hitbot telegram` exited with "index … was
/// built by another version of hitbot" while `hitbot check` said OK (a restart loop under systemd).
/// Each of these folders under the knowledge's name is rebuilt and the advisor answers.
#[test]
fn an_index_folder_that_is_not_this_build_is_rebuilt() {
    let good = config("good");
    answers(&good);
    let Ok([dir]) = <[PathBuf; 1]>::try_from(builds(&good.index_dir)) else {
        panic!("one build expected")
    };
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    // A finished index of other knowledge (another hitbot's, or one built from other entries).
    let other = config("careers");
    Advisor::open(&other).unwrap();
    let Ok([other_dir]) = <[PathBuf; 1]>::try_from(builds(&other.index_dir)) else {
        panic!("one build expected")
    };

    type Tamper = fn(&Path, &Path, &str);
    let tamperings: [(&str, Tamper); 7] = [
        ("documents of other entries", |dir, other, name| {
            std::fs::remove_dir_all(dir).unwrap();
            copy_dir(other, dir);
            std::fs::write(dir.join("hitbot-fingerprint"), name).unwrap();
        }),
        ("foreign files", |dir, _, _| {
            std::fs::remove_dir_all(dir).unwrap();
            std::fs::create_dir(dir).unwrap();
            std::fs::write(dir.join("notes.txt"), "not an index").unwrap();
        }),
        ("half written: no marker", |dir, _, _| {
            std::fs::remove_file(dir.join("hitbot-fingerprint")).unwrap();
        }),
        ("a marker naming other knowledge", |dir, _, _| {
            std::fs::write(dir.join("hitbot-fingerprint"), "0123456789abcdef").unwrap();
        }),
        ("corrupt meta.json", |dir, _, _| {
            std::fs::write(dir.join("meta.json"), "{ not json").unwrap();
        }),
        ("no meta.json", |dir, _, _| {
            std::fs::remove_file(dir.join("meta.json")).unwrap();
        }),
        ("a file, not a folder", |dir, _, _| {
            std::fs::remove_dir_all(dir).unwrap();
            std::fs::write(dir, "stray").unwrap();
        }),
    ];
    for (what, tamper) in tamperings {
        tamper(&dir, &other_dir, &name);
        answers(&good);
        assert_eq!(
            std::fs::read_to_string(dir.join("hitbot-fingerprint")).unwrap(),
            name,
            "{what}: not rebuilt"
        );
        assert_eq!(builds(&good.index_dir), vec![dir.clone()], "{what}");
    }
}

/// Issue 14: a `tmp-*` folder left by a killed build stayed forever (it was only looked at after a
/// build, and only once ten minutes old). Every open removes those whose process is gone, or is this
/// one (an earlier process with the same pid), and keeps the build of a process still running.
#[cfg(target_os = "linux")]
#[test]
fn temporary_folders_of_killed_builds_are_removed_at_open() {
    use std::time::{Duration, SystemTime};

    let good = config("good");
    answers(&good);
    let index = &good.index_dir;
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let mut running = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let live = running.id();
    let ours = std::process::id();
    let folder = |name: &str, idle: Duration| {
        let dir = index.join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("meta.json"), "{}").unwrap();
        std::fs::File::open(&dir)
            .unwrap()
            .set_modified(SystemTime::now() - idle)
            .unwrap();
        dir
    };
    let fresh = Duration::ZERO;
    let hours = Duration::from_secs(2 * 3600);
    let removed = [
        folder(&format!("tmp-{dead}-1"), fresh),
        folder(&format!("tmp-{ours}-2"), fresh),
        folder(&format!("tmp-{live}-3"), hours),
        folder("tmp-old", hours),
    ];
    let kept = [
        folder(&format!("tmp-{live}-4"), fresh),
        folder("tmp-new", fresh),
    ];
    // The index is there: this open builds nothing, and still cleans up.
    answers(&good);
    running.kill().unwrap();
    running.wait().unwrap();
    for dir in &removed {
        assert!(!dir.exists(), "{} was kept", dir.display());
    }
    for dir in &kept {
        assert!(dir.exists(), "{} was removed", dir.display());
    }
}
