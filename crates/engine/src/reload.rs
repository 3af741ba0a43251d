//! Hot reload: the advisor currently serving, swapped atomically for a new one built from the edited
//! knowledge while answering goes on. A broken edit keeps the old knowledge serving and reports every
//! `file:line` problem. [`Watcher`] polls the knowledge fingerprint and reloads once it has been
//! stable for one more poll (debounce: an editor's save is often several writes); the front end
//! decides how often to call it (no runtime here).

use std::sync::{Arc, RwLock};

use crate::advisor::{Advisor, AdvisorError};
use crate::config::EngineConfig;

/// The advisor being served, shared by every front end; cloning the handle is cheap.
#[derive(Clone)]
pub struct AdvisorHandle {
    current: Arc<RwLock<Arc<Advisor>>>,
    config: Arc<EngineConfig>,
}

/// What a reload did.
#[derive(Debug, PartialEq, Eq)]
pub enum Reloaded {
    /// The new knowledge is serving; `entries` of them.
    Swapped { entries: usize },
    /// The files are byte for byte what is serving: nothing was rebuilt.
    Unchanged { entries: usize },
}

impl AdvisorHandle {
    pub fn new(advisor: Advisor, config: EngineConfig) -> AdvisorHandle {
        AdvisorHandle {
            current: Arc::new(RwLock::new(Arc::new(advisor))),
            config: Arc::new(config),
        }
    }

    /// The advisor to answer with now. Holding it across a reload is fine: the old one lives on until
    /// the last holder drops it.
    pub fn get(&self) -> Arc<Advisor> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Rebuilds from the knowledge folder and swaps the new advisor in, unless the files are what is
    /// serving already. On error the old one keeps serving and the error lists every problem.
    pub fn reload(&self) -> Result<Reloaded, AdvisorError> {
        let serving = self.get();
        if self.disk_fingerprint().as_deref() == Some(serving.fingerprint()) {
            return Ok(Reloaded::Unchanged {
                entries: serving.knowledge().entries.len(),
            });
        }
        let next = Advisor::open(&self.config)?;
        let entries = next.knowledge().entries.len();
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        log::info!("reload: now serving {entries} knowledge entries");
        Ok(Reloaded::Swapped { entries })
    }

    /// The settings advisors are opened with (the knowledge folder, for edits and their check).
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The fingerprint of the knowledge folder as it is on disk now.
    pub fn disk_fingerprint(&self) -> Option<String> {
        hitbot_knowledge::fingerprint(&self.config.knowledge_dir).ok()
    }
}

/// Polls the knowledge folder and reloads an edit once it has stayed the same for one more poll.
pub struct Watcher {
    handle: AdvisorHandle,
    /// A changed fingerprint seen once, waiting to be seen again before reloading.
    pending: Option<String>,
    /// A broken edit is reported once, not on every poll, until the files change again.
    failed: Option<String>,
}

impl Watcher {
    pub fn new(handle: AdvisorHandle) -> Watcher {
        Watcher {
            handle,
            pending: None,
            failed: None,
        }
    }

    /// One poll: reloads (blocking) when the files changed and have been stable since the last poll.
    /// Returns what a reload did, or `None` when there was nothing to do.
    pub fn poll(&mut self) -> Option<Result<Reloaded, AdvisorError>> {
        let now = self.handle.disk_fingerprint();
        let serving = Some(self.handle.get().fingerprint().to_string());
        if now == serving || now == self.failed {
            self.pending = None;
            return None;
        }
        if self.pending != now {
            self.pending = now;
            return None;
        }
        self.pending = None;
        let result = self.handle.reload();
        match &result {
            Ok(_) => self.failed = None,
            Err(e) => {
                log::warn!(
                    "reload: the edited knowledge was not loaded; still serving the old one.\n{e}"
                );
                self.failed = now;
            }
        }
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_knowledge(name: &str) -> (std::path::PathBuf, EngineConfig) {
        let root = tempfile::Builder::new()
            .prefix(&format!("hitbot-reload-{name}-"))
            .tempdir()
            .unwrap()
            .keep();
        std::fs::create_dir_all(root.join("knowledge")).unwrap();
        let entries = r#"
[[entry]]
id = "pay"
topic = "salary"
title = "Pay"
questions = ["how much do zookeepers make", "zookeeper salary"]
answer = "Zookeepers earn 100 zorkmids."
source = "Fixture"
"#;
        std::fs::write(root.join("knowledge/entries.toml"), entries).unwrap();
        let config = EngineConfig {
            knowledge_dir: root.join("knowledge"),
            index_dir: root.join("index"),
            semantic: crate::SemanticConfig {
                model_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/all-minilm-l6-v2")
                    .into(),
                ..Default::default()
            },
            ..EngineConfig::default()
        };
        (root, config)
    }

    #[test]
    fn a_good_edit_swaps_and_a_broken_one_keeps_serving() {
        let (root, config) = temp_knowledge("swap");
        let handle = AdvisorHandle::new(Advisor::open(&config).unwrap(), config);
        let before = handle.get();
        assert!(before
            .answer("zookeeper salary")
            .text
            .contains("100 zorkmids"));
        let file = root.join("knowledge/entries.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replace("100 zorkmids", "200 zorkmids")).unwrap();
        assert!(matches!(
            handle.reload(),
            Ok(Reloaded::Swapped { entries: 1 })
        ));
        assert!(handle
            .get()
            .answer("zookeeper salary")
            .text
            .contains("200 zorkmids"));
        // The advisor held across the reload still answers with what it had.
        assert!(before
            .answer("zookeeper salary")
            .text
            .contains("100 zorkmids"));

        std::fs::write(&file, "[[entry]]\nid = \"pay\"\ncolour = 1\n").unwrap();
        let err = handle.reload().unwrap_err().to_string();
        assert!(
            err.contains("entries.toml:3: pay: unknown key `colour`"),
            "{err}"
        );
        assert!(handle
            .get()
            .answer("zookeeper salary")
            .text
            .contains("200 zorkmids"));
    }

    #[test]
    fn reload_without_an_edit_is_unchanged() {
        let (_root, config) = temp_knowledge("unchanged");
        let handle = AdvisorHandle::new(Advisor::open(&config).unwrap(), config);
        let before = handle.get();
        assert_eq!(handle.reload().unwrap(), Reloaded::Unchanged { entries: 1 });
        assert!(Arc::ptr_eq(&before, &handle.get()));
    }

    #[test]
    fn the_watcher_reloads_after_a_stable_change() {
        let (root, config) = temp_knowledge("watch");
        let handle = AdvisorHandle::new(Advisor::open(&config).unwrap(), config);
        let mut watcher = Watcher::new(handle.clone());
        assert!(watcher.poll().is_none());
        let file = root.join("knowledge/entries.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replace("100 zorkmids", "300 zorkmids")).unwrap();
        // Seen once: wait for it to stay the same.
        assert!(watcher.poll().is_none());
        assert!(matches!(
            watcher.poll(),
            Some(Ok(Reloaded::Swapped { entries: 1 }))
        ));
        assert!(handle
            .get()
            .answer("zookeeper salary")
            .text
            .contains("300 zorkmids"));
        // A broken edit is tried once, then left alone until the files change again.
        std::fs::write(&file, "[[entry]]\nid = \"pay\"\ncolour = 1\n").unwrap();
        assert!(watcher.poll().is_none());
        assert!(matches!(watcher.poll(), Some(Err(_))));
        assert!(watcher.poll().is_none());
        assert!(watcher.poll().is_none());
    }

    /// Regression: the knowledge was loaded and then read again to fingerprint it, so an edit saved in
    /// between gave an index of the old text under the new fingerprint, which the watcher never
    /// reloaded. The fingerprint is now of the bytes parsed: the advisor's fingerprint is the one of
    /// the text it answers from, and an edit after the load is always seen.
    #[test]
    fn fingerprint_race_an_edit_after_the_load_is_seen() {
        let (root, config) = temp_knowledge("race");
        let file = root.join("knowledge/entries.toml");
        let old = std::fs::read_to_string(&file).unwrap();
        let (knowledge, problems) = hitbot_knowledge::Knowledge::load(&config.knowledge_dir, 700);
        assert!(problems.is_empty());
        // The edit lands after the load read the files.
        std::fs::write(&file, old.replace("100 zorkmids", "400 zorkmids")).unwrap();
        let disk = hitbot_knowledge::fingerprint(&config.knowledge_dir).unwrap();
        assert_ne!(knowledge.fingerprint, disk);
        std::fs::write(&file, &old).unwrap();
        assert_eq!(
            knowledge.fingerprint,
            hitbot_knowledge::fingerprint(&config.knowledge_dir).unwrap()
        );
    }
}
