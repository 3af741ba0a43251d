//! The on-disk tantivy index: schema, building from the knowledge, and opening with the fingerprint
//! check. Each build goes to a fresh folder named after the knowledge fingerprint, so two processes
//! starting at once never share a writer lock: the first rename wins and the other uses its result.
//! A folder under that name which is not this version's finished build of the knowledge is rebuilt
//! (see [`open_or_build`]), never an error.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::{doc, Index, TantivyDocument};

use super::analyzer::{self, ANALYZER};
use super::SearchError;
use hitbot_knowledge::Knowledge;

/// Marker file written last into a finished build; its content is the fingerprint.
const MARKER: &str = "hitbot-fingerprint";
/// Writer heap for the one-off build (tantivy's minimum per thread is 15 MB).
const WRITER_HEAP: usize = 15_000_000;
/// A temporary build folder whose process cannot be told alive or dead is abandoned once nothing was
/// written in it for this long (a build writes its segments within seconds).
const ABANDONED_AFTER: Duration = Duration::from_secs(600);
/// A temporary build folder of a process that looks alive is still abandoned once nothing was
/// written in it for this long: its pid was reused by another process.
const ABANDONED_LIVE_AFTER: Duration = Duration::from_secs(3600);

/// The temporary folders of this process's builds running now (by name). A `tmp-<our pid>-…`
/// folder not in it was left by an earlier process that had the same pid (a container's pid 1).
static BUILDING: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// One of this process's builds, registered in [`BUILDING`] while it runs.
struct Building(String);

impl Building {
    fn start(name: String) -> Building {
        lock_building().push(name.clone());
        Building(name)
    }
}

impl Drop for Building {
    fn drop(&mut self) {
        lock_building().retain(|n| *n != self.0);
    }
}

fn lock_building() -> std::sync::MutexGuard<'static, Vec<String>> {
    BUILDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// The indexed fields.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub questions: Field,
    pub title: Field,
    pub keywords: Field,
    pub answer: Field,
}

impl Fields {
    /// Text fields with their boosts and vocabulary bits (`plan::IN_*`), strongest first.
    pub fn boosted(&self) -> [(Field, f32, u8); 4] {
        use super::plan::{IN_ANSWER, IN_KEYWORDS, IN_QUESTIONS, IN_TITLE};
        [
            (self.questions, 3.0, IN_QUESTIONS),
            (self.title, 2.0, IN_TITLE),
            (self.keywords, 2.0, IN_KEYWORDS),
            (self.answer, 1.0, IN_ANSWER),
        ]
    }
}

pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        questions: b.add_text_field("questions", text.clone()),
        title: b.add_text_field("title", text.clone()),
        keywords: b.add_text_field("keywords", text.clone()),
        answer: b.add_text_field("answer", text),
    };
    (b.build(), fields)
}

/// Why the index is built when it is opened.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildReason {
    /// No index under the folder: the first run (or the folder was emptied).
    FirstRun,
    /// Only indexes of other knowledge: the knowledge was edited (or hitbot updated) since.
    KnowledgeChanged,
    /// The index for this knowledge cannot be opened (the error).
    Unreadable(String),
}

/// The log line of a build at open, in plain words: "building the search index in index/ from 66
/// entries (first run: there is none yet)".
pub fn build_message(root: &Path, entries: usize, reason: &BuildReason) -> String {
    let why = match reason {
        BuildReason::FirstRun => "first run: there is none yet".to_string(),
        BuildReason::KnowledgeChanged => {
            "the knowledge changed since it was last built".to_string()
        }
        BuildReason::Unreadable(e) => format!("the one there cannot be read: {e}"),
    };
    let mut folder = root.display().to_string();
    if !folder.ends_with(std::path::MAIN_SEPARATOR) {
        folder.push(std::path::MAIN_SEPARATOR);
    }
    format!("building the search index in {folder} from {entries} entries ({why})")
}

/// Opens the index for `fingerprint` under `root` and hands it to `load` (which checks it against the
/// knowledge), building it first when it is missing, stale or unusable (logging one line saying why).
///
/// Whatever is at `root/<fingerprint>` and cannot be opened as this version's finished build of this
/// knowledge (another version's index, foreign files, a half-written folder, a corrupt `meta.json`,
/// documents of other entries) is removed and rebuilt with a warning, never an error: the knowledge
/// is what counts, the index is only derived from it. Only a failed build is an error.
pub fn open_or_build<T>(
    root: &Path,
    knowledge: &Knowledge,
    fingerprint: &str,
    load: impl Fn(&Path, Index, Fields) -> Result<T, SearchError>,
) -> Result<T, SearchError> {
    remove_abandoned(root);
    let dir = root.join(fingerprint);
    let reason = if dir.symlink_metadata().is_ok() {
        match open(&dir, fingerprint).and_then(|(index, fields)| load(&dir, index, fields)) {
            Ok(opened) => return Ok(opened),
            Err(e) => {
                remove_path(&dir);
                BuildReason::Unreadable(e.to_string())
            }
        }
    } else if has_other_builds(root, fingerprint) {
        BuildReason::KnowledgeChanged
    } else {
        BuildReason::FirstRun
    };
    let message = build_message(root, knowledge.entries.len(), &reason);
    match reason {
        BuildReason::Unreadable(_) => log::warn!("{message}"),
        _ => log::info!("{message}"),
    }
    build(root, &dir, knowledge, fingerprint)?;
    remove_other_builds(root, fingerprint);
    let (index, fields) = open(&dir, fingerprint)?;
    load(&dir, index, fields)
}

/// Builds the index into `root` whatever is there, and returns the folder it landed in.
pub fn rebuild(
    root: &Path,
    knowledge: &Knowledge,
    fingerprint: &str,
) -> Result<PathBuf, SearchError> {
    remove_abandoned(root);
    let dir = root.join(fingerprint);
    remove_path(&dir);
    build(root, &dir, knowledge, fingerprint)?;
    remove_other_builds(root, fingerprint);
    Ok(dir)
}

/// Removes a folder or a file, whichever `path` is (nothing if neither).
fn remove_path(path: &Path) {
    match path.symlink_metadata() {
        Ok(m) if m.is_dir() => {
            let _ = std::fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(path);
        }
        Err(_) => {}
    }
}

/// Whether `dir` holds a finished build for `fingerprint`: its marker, written last, names it.
fn is_finished(dir: &Path, fingerprint: &str) -> bool {
    std::fs::read_to_string(dir.join(MARKER)).is_ok_and(|m| m == fingerprint)
}

fn open(dir: &Path, fingerprint: &str) -> Result<(Index, Fields), SearchError> {
    if !is_finished(dir, fingerprint) {
        let why = if dir.join(MARKER).is_file() {
            "its marker names other knowledge"
        } else {
            "no marker (a half-written build, or not hitbot's)"
        };
        return Err(SearchError::Foreign {
            path: dir.to_path_buf(),
            why: why.to_string(),
        });
    }
    let index = Index::open_in_dir(dir).map_err(|e| SearchError::tantivy(dir, e))?;
    index.tokenizers().register(ANALYZER, analyzer::full());
    let (expected, fields) = schema();
    if index.schema() != expected {
        return Err(SearchError::Stale(dir.to_path_buf()));
    }
    Ok((index, fields))
}

fn build(
    root: &Path,
    dir: &Path,
    knowledge: &Knowledge,
    fingerprint: &str,
) -> Result<(), SearchError> {
    std::fs::create_dir_all(root).map_err(|e| SearchError::io(root, e))?;
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!("tmp-{}-{nanos}", std::process::id());
    let _building = Building::start(name.clone());
    let tmp = root.join(name);
    std::fs::create_dir_all(&tmp).map_err(|e| SearchError::io(&tmp, e))?;
    let result = write_index(&tmp, knowledge, fingerprint);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let mut renamed = std::fs::rename(&tmp, dir);
    if renamed.is_err() && !is_finished(dir, fingerprint) {
        // Something that is not a finished build is in the way (left since the open looked, or
        // not removable then): clear it and try once more.
        remove_path(dir);
        renamed = std::fs::rename(&tmp, dir);
    }
    match renamed {
        Ok(()) => Ok(()),
        // Another process finished the same build first: use theirs.
        Err(_) if is_finished(dir, fingerprint) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(SearchError::io(dir, e))
        }
    }
}

fn write_index(tmp: &Path, knowledge: &Knowledge, fingerprint: &str) -> Result<(), SearchError> {
    let (schema, f) = schema();
    let index = Index::create_in_dir(tmp, schema).map_err(|e| SearchError::tantivy(tmp, e))?;
    index.tokenizers().register(ANALYZER, analyzer::full());
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(1, WRITER_HEAP)
        .map_err(|e| SearchError::tantivy(tmp, e))?;
    for e in &knowledge.entries {
        let mut d = doc!(
            f.id => e.id.as_str(),
            f.title => e.title.as_str(),
            f.answer => e.answer.as_str(),
        );
        for q in &e.questions {
            d.add_text(f.questions, q);
        }
        for k in &e.keywords {
            d.add_text(f.keywords, k);
        }
        writer
            .add_document(d)
            .map_err(|err| SearchError::tantivy(tmp, err))?;
    }
    writer.commit().map_err(|e| SearchError::tantivy(tmp, e))?;
    writer
        .wait_merging_threads()
        .map_err(|e| SearchError::tantivy(tmp, e))?;
    std::fs::write(tmp.join(MARKER), fingerprint).map_err(|e| SearchError::io(tmp, e))
}

fn is_build_name(name: &str) -> bool {
    name.len() == 16 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

fn has_other_builds(root: &Path, fingerprint: &str) -> bool {
    std::fs::read_dir(root).is_ok_and(|rd| {
        rd.filter_map(Result::ok).any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            is_build_name(&name) && name != fingerprint
        })
    })
}

/// Removes builds for other fingerprints and abandoned temporary folders. Processes still reading an
/// old build keep working: their files stay mapped until they close them.
fn remove_other_builds(root: &Path, fingerprint: &str) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        if is_build_name(&name) && name != fingerprint {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    remove_abandoned(root);
}

/// Removes the `tmp-<pid>-<nanos>` folders left by builds that will never finish (the process was
/// killed, or the machine stopped), at every open and build. The rule, cheap to check:
///
/// - this process's pid: abandoned unless it is one of this process's builds running now (an earlier
///   process had the same pid, as a container's pid 1 does at every start);
/// - another pid, where `/proc` tells (Linux): abandoned when that process is gone; kept while it
///   runs, unless nothing was written in the folder for an hour (the pid was reused);
/// - otherwise (no `/proc`, a name without a pid): abandoned when nothing was written in it for ten
///   minutes.
///
/// So a build running in another live process on this machine is never removed. Processes in other
/// pid namespaces (two containers sharing one index volume) cannot be seen: share the volume only
/// between processes of one namespace.
fn remove_abandoned(root: &Path) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    let procfs = Path::new("/proc/self").is_dir();
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with("tmp-") {
            continue;
        }
        let idle = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .unwrap_or_default();
        let pid = name
            .strip_prefix("tmp-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let abandoned = match pid {
            Some(pid) if pid == std::process::id() => !lock_building().contains(&name),
            Some(pid) if procfs => {
                !Path::new("/proc").join(pid.to_string()).exists() || idle > ABANDONED_LIVE_AFTER
            }
            _ => idle > ABANDONED_AFTER,
        };
        if abandoned {
            log::info!(
                "removing {}, left by a build that did not finish",
                e.path().display()
            );
            remove_path(&e.path());
        }
    }
}

/// The stored id of every document, by segment and doc id.
pub fn stored_ids(
    searcher: &tantivy::Searcher,
    fields: &Fields,
) -> Result<Vec<Vec<String>>, tantivy::TantivyError> {
    let mut out = Vec::new();
    for reader in searcher.segment_readers() {
        let store = reader.get_store_reader(1)?;
        let mut ids = Vec::with_capacity(reader.max_doc() as usize);
        for doc_id in 0..reader.max_doc() {
            let d: TantivyDocument = store.get(doc_id)?;
            let id = d
                .get_first(fields.id)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            ids.push(id);
        }
        out.push(ids);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a first run logged "index: no index in index yet".
    #[test]
    fn the_build_line_says_what_happens_in_plain_words() {
        let root = Path::new("index");
        assert_eq!(
            build_message(root, 66, &BuildReason::FirstRun),
            format!(
                "building the search index in index{} from 66 entries (first run: there is none yet)",
                std::path::MAIN_SEPARATOR
            )
        );
        let changed = build_message(root, 66, &BuildReason::KnowledgeChanged);
        assert!(
            changed.ends_with("(the knowledge changed since it was last built)"),
            "{changed}"
        );
        let broken = build_message(root, 3, &BuildReason::Unreadable("bad meta.json".into()));
        assert!(
            broken.ends_with("from 3 entries (the one there cannot be read: bad meta.json)"),
            "{broken}"
        );
        for line in [changed, broken] {
            assert!(!line.contains("no index in"), "{line}");
        }
    }

    /// A `tmp-<our pid>-…` folder is removed unless it is one of this process's builds running now.
    #[test]
    fn a_build_running_in_this_process_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("tmp-{}-42", std::process::id());
        std::fs::create_dir(dir.path().join(&name)).unwrap();
        let building = Building::start(name.clone());
        remove_abandoned(dir.path());
        assert!(dir.path().join(&name).is_dir());
        drop(building);
        remove_abandoned(dir.path());
        assert!(!dir.path().join(&name).exists());
    }

    #[test]
    fn a_first_open_builds_and_a_second_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("index");
        let knowledge = Knowledge::default();
        assert!(!has_other_builds(&root, "0123456789abcdef"));
        open_or_build(&root, &knowledge, "0123456789abcdef", |_, _, _| Ok(())).unwrap();
        assert!(root.join("0123456789abcdef").join(MARKER).is_file());
        assert!(has_other_builds(&root, "fedcba9876543210"));
    }
}
