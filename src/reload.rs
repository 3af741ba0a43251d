//! Hot reload: the advisor currently serving, swapped atomically for a new one built from the edited
//! knowledge while answering goes on. A broken edit keeps the old knowledge serving and reports every
//! `file:line` problem. The watcher polls the knowledge fingerprint and reloads once it has been
//! stable for one more poll (debounce: an editor's save is often several writes).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::advisor::{Advisor, AdvisorError};
use crate::config::Config;
use crate::knowledge;
use crate::search::ENGINE_VERSION;

/// The advisor being served, shared by every front end; cloning the handle is cheap.
#[derive(Clone)]
pub struct AdvisorHandle {
    current: Arc<RwLock<Arc<Advisor>>>,
    config: Arc<Config>,
}

/// What a reload did.
#[derive(Debug)]
pub enum Reloaded {
    /// The new knowledge is serving; `entries` of them.
    Swapped { entries: usize },
    /// The knowledge did not change.
    Unchanged,
}

impl AdvisorHandle {
    pub fn new(advisor: Advisor, config: Config) -> AdvisorHandle {
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

    /// Rebuilds from the knowledge folder and swaps the new advisor in. On error the old one keeps
    /// serving and the error lists every problem.
    pub fn reload(&self) -> Result<Reloaded, AdvisorError> {
        let next = Advisor::open(&self.config)?;
        let entries = next.knowledge().entries.len();
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        log::info!("reload: now serving {entries} knowledge entries");
        Ok(Reloaded::Swapped { entries })
    }

    /// The fingerprint of the knowledge folder as it is on disk now.
    pub fn disk_fingerprint(&self) -> Option<String> {
        knowledge::fingerprint(&self.config.knowledge_dir, ENGINE_VERSION).ok()
    }

    /// Watches the knowledge folder every `period` and reloads after a change that has stayed the
    /// same for one more period. Runs until `shutdown` resolves.
    pub async fn watch(self, period: Duration, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut pending: Option<String> = None;
        // A broken edit is reported once, not on every poll, until the files change again.
        let mut failed: Option<String> = None;
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tick.tick() => {}
            }
            let now = self.disk_fingerprint();
            let serving = Some(self.get().fingerprint().to_string());
            if now == serving || now == failed {
                pending = None;
                continue;
            }
            if pending != now {
                pending = now;
                continue;
            }
            pending = None;
            let handle = self.clone();
            match tokio::task::spawn_blocking(move || handle.reload()).await {
                Ok(Ok(_)) => failed = None,
                Ok(Err(e)) => {
                    log::warn!("reload: the edited knowledge was not loaded; still serving the old one.\n{e}");
                    failed = now;
                }
                Err(e) => log::warn!("reload: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_knowledge(name: &str) -> (std::path::PathBuf, Config) {
        let root =
            std::env::temp_dir().join(format!("hitbot-reload-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
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
        let config = Config {
            knowledge_dir: root.join("knowledge"),
            index_dir: root.join("index"),
            ..Config::default()
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

    #[tokio::test]
    async fn the_watcher_reloads_after_a_stable_change() {
        let (root, config) = temp_knowledge("watch");
        let handle = AdvisorHandle::new(Advisor::open(&config).unwrap(), config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let watcher = tokio::spawn(handle.clone().watch(Duration::from_millis(20), async {
            let _ = stopped.await;
        }));
        let file = root.join("knowledge/entries.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replace("100 zorkmids", "300 zorkmids")).unwrap();
        // Poll for the outcome (bounded), not a fixed sleep.
        for _ in 0..500 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if handle
                .get()
                .answer("zookeeper salary")
                .text
                .contains("300 zorkmids")
            {
                break;
            }
        }
        assert!(handle
            .get()
            .answer("zookeeper salary")
            .text
            .contains("300 zorkmids"));
        let _ = stop.send(());
        watcher.await.unwrap();
    }
}
