//! Hot reload: the advisor currently serving, swapped atomically for a new one built from the edited
//! knowledge while answering goes on. A broken edit keeps the old knowledge serving and reports every
//! `file:line` problem. [`Watcher`] polls the knowledge fingerprint and reloads once it has been
//! stable for one more poll (debounce: an editor's save is often several writes); the front end
//! decides how often to call it (no runtime here).
//!
//! Reloads are serialized per handle (SIGHUP, `/reload`, the inbox and the watcher all call
//! [`AdvisorHandle::reload`]): one runs at a time, and the latest edit wins. A reload asked for while
//! one is running waits; when the running one ends, exactly one more runs for all who waited
//! (coalesced), reading the files as they are then, and each of them gets its result. The advisor
//! serving keeps the fingerprint of the bytes it was built from (read before the build), so an edit
//! saved during a build is never taken for "unchanged" afterwards.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};

use crate::advisor::{Advisor, AdvisorError};
use crate::config::EngineConfig;

/// The advisor being served, shared by every front end; cloning the handle is cheap.
#[derive(Clone)]
pub struct AdvisorHandle {
    current: Arc<RwLock<Arc<Advisor>>>,
    config: Arc<EngineConfig>,
    reloads: Arc<Reloads>,
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reloaded {
    /// The new knowledge is serving; `entries` of them.
    Swapped { entries: usize },
    /// The files are byte for byte what is serving: nothing was rebuilt.
    Unchanged { entries: usize },
}

/// The one-at-a-time gate of a handle's reloads.
#[derive(Default)]
struct Reloads {
    state: Mutex<ReloadState>,
    /// Signalled when a reload ends.
    ended: Condvar,
    /// Test hook: called after each build, before its advisor is swapped in.
    #[cfg(test)]
    after_build: Mutex<Option<Box<dyn FnMut() + Send>>>,
}

#[derive(Default)]
struct ReloadState {
    /// Reloads asked for so far; a caller's ticket is this count when it asked.
    requested: u64,
    /// Every ticket up to this one was served by a reload that started after it was asked for.
    served: u64,
    running: bool,
    /// The result of the last reload that ended, for the callers it served.
    last: Option<Result<Reloaded, AdvisorError>>,
}

/// Marks the end of the running reload, also when it panicked (then the waiters run one again).
struct Running<'a>(&'a Reloads);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).running = false;
        self.0.ended.notify_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AdvisorHandle {
    pub fn new(advisor: Advisor, config: EngineConfig) -> AdvisorHandle {
        AdvisorHandle {
            current: Arc::new(RwLock::new(Arc::new(advisor))),
            config: Arc::new(config),
            reloads: Arc::default(),
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
    ///
    /// Blocks while another reload of this handle runs; then one reload, shared by every caller that
    /// waited, reads the files as they are (see the module's documentation).
    pub fn reload(&self) -> Result<Reloaded, AdvisorError> {
        let gate = &*self.reloads;
        let mut state = lock(&gate.state);
        state.requested += 1;
        let ticket = state.requested;
        loop {
            if state.served >= ticket {
                if let Some(last) = &state.last {
                    return last.clone();
                }
            }
            if !state.running {
                break;
            }
            state = gate.ended.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.running = true;
        // This reload serves every ticket asked for until now: it reads the files after them.
        let covers = state.requested;
        drop(state);
        let _running = Running(gate);
        let result = self.build_and_swap();
        let mut state = lock(&gate.state);
        state.served = covers;
        state.last = Some(result.clone());
        result
    }

    /// One reload, with the handle's gate held.
    fn build_and_swap(&self) -> Result<Reloaded, AdvisorError> {
        let serving = self.get();
        if self.disk_fingerprint().as_deref() == Some(serving.fingerprint()) {
            return Ok(Reloaded::Unchanged {
                entries: serving.knowledge().entries.len(),
            });
        }
        let next = Advisor::open(&self.config)?;
        #[cfg(test)]
        if let Some(hook) = lock(&self.reloads.after_build).as_mut() {
            hook();
        }
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

    fn edit(root: &std::path::Path, zorkmids: u32) {
        let file = root.join("knowledge/entries.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        let at = text.find(" zorkmids").unwrap();
        let start = text[..at].rfind(' ').unwrap() + 1;
        let edited = format!("{}{zorkmids}{}", &text[..start], &text[at..]);
        std::fs::write(&file, edited).unwrap();
    }

    fn serves(handle: &AdvisorHandle, zorkmids: u32) -> bool {
        let text = handle.get().answer("zookeeper salary").text;
        text.contains(&format!("{zorkmids} zorkmids"))
    }

    /// Sets the hook called after each build, before the swap.
    fn after_build(handle: &AdvisorHandle, hook: impl FnMut() + Send + 'static) {
        *lock(&handle.reloads.after_build) = Some(Box::new(hook));
    }

    /// Regression (issue 14): reloads from SIGHUP, `/reload` and the watcher ran side by side, and
    /// the one that read the files first could swap last, leaving the old knowledge serving. Now one
    /// runs at a time; the callers that asked meanwhile share exactly one more, which reads the files
    /// as they are when it starts.
    #[test]
    fn concurrent_reloads_are_serialized_and_the_last_edit_wins() {
        let (root, config) = temp_knowledge("serial");
        let handle = AdvisorHandle::new(Advisor::open(&config).unwrap(), config);
        let (building_tx, building) = std::sync::mpsc::channel();
        let (go, go_rx) = std::sync::mpsc::channel::<()>();
        let builds = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = builds.clone();
        after_build(&handle, move || {
            // The first build waits for the test; the others go straight on.
            if counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                building_tx.send(()).unwrap();
                go_rx.recv().unwrap();
            }
        });
        let reload = |handle: &AdvisorHandle| {
            let handle = handle.clone();
            std::thread::spawn(move || handle.reload())
        };
        edit(&root, 101);
        let first = reload(&handle);
        building.recv().unwrap();
        // Edits and reload requests while the first build is running.
        edit(&root, 102);
        let second = reload(&handle);
        let third = reload(&handle);
        while lock(&handle.reloads.state).requested < 3 {
            std::thread::yield_now();
        }
        edit(&root, 103);
        go.send(()).unwrap();
        assert_eq!(
            first.join().unwrap().unwrap(),
            Reloaded::Swapped { entries: 1 }
        );
        let second = second.join().unwrap().unwrap();
        assert_eq!(second, Reloaded::Swapped { entries: 1 });
        assert_eq!(third.join().unwrap().unwrap(), second);
        assert!(
            serves(&handle, 103),
            "{}",
            handle.get().answer("zookeeper salary").text
        );
        // One build for the first request, one for the two that waited.
        assert_eq!(builds.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert_eq!(handle.reload().unwrap(), Reloaded::Unchanged { entries: 1 });
    }

    /// An edit saved while a build runs (after it read the files) is not taken for "unchanged": the
    /// advisor keeps the fingerprint of the bytes it was built from, so the next reload, and the
    /// watcher, see the edit.
    #[test]
    fn an_edit_saved_during_a_build_is_reloaded_next() {
        let (root, config) = temp_knowledge("during");
        let handle = AdvisorHandle::new(Advisor::open(&config).unwrap(), config);
        let mut edited = false;
        let during = root.clone();
        after_build(&handle, move || {
            if !std::mem::replace(&mut edited, true) {
                edit(&during, 202);
            }
        });
        edit(&root, 201);
        assert_eq!(handle.reload().unwrap(), Reloaded::Swapped { entries: 1 });
        assert!(serves(&handle, 201));
        assert_ne!(
            handle.disk_fingerprint().as_deref(),
            Some(handle.get().fingerprint())
        );
        let mut watcher = Watcher::new(handle.clone());
        assert!(watcher.poll().is_none());
        assert_eq!(
            watcher.poll().unwrap().unwrap(),
            Reloaded::Swapped { entries: 1 }
        );
        assert!(serves(&handle, 202));
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
