//! Career-path charts and `/compare`: the PNGs render from the knowledge's numbers (shipped and a fixture
//! with other numbers), names resolve with typos, and the CLI and terminal chat expose both.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::common::*;
use hitbot_careers::chart::{self, CareerTable, ChartCache, ChartError};
use hitbot_careers::compare::{self, CompareError};
use hitbot_engine::advisor;
use hitbot_knowledge::{Career, Knowledge};

/// A decoded RGB picture.
struct Picture {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Picture {
    fn read(png_bytes: &[u8]) -> Picture {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut rgb = vec![0; reader.output_buffer_size().expect("a buffer size")];
        let info = reader.next_frame(&mut rgb).expect("PNG image data");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        rgb.truncate(info.buffer_size());
        Picture {
            width: info.width,
            height: info.height,
            rgb,
        }
    }

    fn pixels(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]])
    }

    fn count(&self, color: [u8; 3]) -> usize {
        self.pixels().filter(|p| *p == color).count()
    }

    /// Not blank: text (anti-aliased, so many shades) and bars on a white background.
    fn assert_drawn(&self) {
        let colors: HashSet<[u8; 3]> = self.pixels().collect();
        assert!(colors.len() > 50, "only {} colours", colors.len());
        let total = (self.width * self.height) as usize;
        let ink = total - self.count([255, 255, 255]);
        let share = ink as f64 / total as f64;
        assert!(
            (0.08..0.7).contains(&share),
            "{:.0}% of the picture is not background",
            share * 100.0
        );
    }
}

/// The bars' fill colour.
const BAR_FILL: [u8; 3] = [24, 88, 140];

/// The shipped knowledge, loaded once per test binary.
fn shipped() -> &'static Knowledge {
    static KNOWLEDGE: std::sync::OnceLock<Knowledge> = std::sync::OnceLock::new();
    KNOWLEDGE.get_or_init(|| {
        let config = hitbot_engine::EngineConfig {
            knowledge_dir: root().join("knowledge"),
            ..hitbot_engine::EngineConfig::default()
        };
        advisor::load_checked(&config).expect("shipped knowledge is valid")
    })
}

fn fixture_dir() -> PathBuf {
    root().join("tests/fixtures/careers")
}

fn fixture() -> Knowledge {
    let (knowledge, problems) = Knowledge::load(&fixture_dir(), 700);
    assert!(problems.is_empty(), "{problems:?}");
    knowledge
}

fn temp_file(name: &str) -> PathBuf {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let path = DIR
        .get_or_init(|| tempfile::tempdir().unwrap())
        .path()
        .join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn read_png(path: &Path) -> Picture {
    Picture::read(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

// --- the charts ---------------------------------------------------------------------------------------

#[test]
fn the_careers_chart_renders_for_the_shipped_knowledge() {
    let table = CareerTable::of(shipped());
    assert_eq!(table.rows.len(), 5, "the guide's table has five paths");
    let picture = Picture::read(&chart::careers_png(&table).unwrap());
    assert_eq!(picture.width, chart::WIDTH);
    assert!(
        (600..=760).contains(&picture.height),
        "height {}",
        picture.height
    );
    picture.assert_drawn();
    assert!(picture.count(BAR_FILL) > 20_000, "the bars are drawn");
}

#[test]
fn the_careers_chart_renders_for_a_fixture_with_other_numbers() {
    let table = CareerTable::of(&fixture());
    assert_eq!(table.rows.len(), 5);
    let png_bytes = chart::careers_png(&table).unwrap();
    let picture = Picture::read(&png_bytes);
    assert_eq!(picture.width, chart::WIDTH);
    picture.assert_drawn();
    let shipped_png = chart::careers_png(&CareerTable::of(shipped())).unwrap();
    assert_ne!(png_bytes, shipped_png, "other numbers, another picture");
}

#[test]
fn the_bars_follow_the_salaries_in_the_knowledge() {
    let mut table = CareerTable::of(shipped());
    let before = Picture::read(&chart::careers_png(&table).unwrap()).count(BAR_FILL);
    // An editor raises the lowest salary: its bar grows, the others keep their length.
    let lowest = table
        .rows
        .iter_mut()
        .min_by_key(|r| r.median_salary)
        .unwrap();
    lowest.median_salary += 20_000;
    let after = Picture::read(&chart::careers_png(&table).unwrap()).count(BAR_FILL);
    assert!(after > before + 5_000, "bar pixels {before} -> {after}");
}

#[test]
fn the_compare_chart_has_two_bars_and_is_shorter() {
    let table = CareerTable::of(shipped());
    let five = Picture::read(&chart::careers_png(&table).unwrap());
    let two =
        Picture::read(&chart::compare_png(&table.rows[0], &table.rows[1], &table.labels).unwrap());
    assert_eq!(two.width, chart::WIDTH);
    assert!(two.height < five.height);
    two.assert_drawn();
}

#[test]
fn no_career_rows_is_an_error() {
    let good = root().join("tests/fixtures/good");
    let (knowledge, _) = Knowledge::load(&good, 700);
    assert!(chart::career_rows(&knowledge).is_empty());
    assert!(matches!(
        chart::careers_png(&CareerTable::of(&knowledge)),
        Err(ChartError::NoData)
    ));
}

#[test]
fn the_cache_renders_again_when_the_knowledge_changes() {
    let cache = ChartCache::new();
    let table = CareerTable::of(shipped());
    let (key, first) = cache.careers(&table).unwrap();
    let (same_key, again) = cache.careers(&table).unwrap();
    assert_eq!(key, same_key);
    assert!(std::sync::Arc::ptr_eq(&first, &again));
    let (other_key, other) = cache.careers(&CareerTable::of(&fixture())).unwrap();
    assert_ne!(key, other_key);
    assert_ne!(*first, *other);
}

// --- /compare -----------------------------------------------------------------------------------------

fn ids(args: &str, knowledge: &Knowledge) -> (String, String) {
    let c =
        compare::compare_args(args, knowledge).unwrap_or_else(|e| panic!("/compare {args}: {e}"));
    (c.left.id, c.right.id)
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[test]
fn compare_resolves_exact_and_short_names() {
    let k = shipped();
    for (name, id) in [
        ("Clinical coder", "path-clinical-coder"),
        ("coder", "path-clinical-coder"),
        ("medical coder", "path-clinical-coder"),
        ("data analyst", "path-data-analyst"),
        ("analyst", "path-data-analyst"),
        ("architect", "path-architect"),
        ("developer", "path-software-developer"),
        ("software developer", "path-software-developer"),
        ("technologist", "path-technologist"),
        ("Health information technologist", "path-technologist"),
        ("path-architect", "path-architect"),
    ] {
        let found = compare::resolve(name, k).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(found.id, id, "{name}");
    }
    assert_eq!(
        ids("coder analyst", k),
        pair("path-clinical-coder", "path-data-analyst")
    );
    assert_eq!(
        ids("clinical coder data analyst", k),
        pair("path-clinical-coder", "path-data-analyst")
    );
    assert_eq!(
        ids("software developer vs health information technologist", k),
        pair("path-software-developer", "path-technologist")
    );
}

#[test]
fn compare_accepts_typos() {
    let k = shipped();
    for (name, id) in [
        ("analist", "path-data-analyst"),
        ("arcitect", "path-architect"),
        ("devloper", "path-software-developer"),
        ("clinicle coder", "path-clinical-coder"),
        ("technologst", "path-technologist"),
    ] {
        let found = compare::resolve(name, k).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(found.id, id, "{name}");
    }
    assert_eq!(
        ids("analist arcitect", k),
        pair("path-data-analyst", "path-architect")
    );
}

#[test]
fn compare_with_an_unknown_name_lists_the_paths() {
    let k = shipped();
    let e = compare::compare_args("coder astronaut", k).unwrap_err();
    assert!(
        matches!(&e, CompareError::Unknown { name, .. } if name == "astronaut"),
        "{e:?}"
    );
    let text = e.explain("/compare");
    assert!(text.contains("\"astronaut\""), "{text}");
    for name in compare::path_names(k) {
        assert!(text.contains(&name), "{name} missing: {text}");
    }
    assert!(
        text.contains("For example: /compare "),
        "an example: {text}"
    );
}

#[test]
fn an_unknown_name_after_a_known_one_is_the_one_explained() {
    let k = shipped();
    match compare::compare_args("clinical coder astronaut", k) {
        Err(CompareError::Unknown { name, .. }) => assert_eq!(name, "astronaut"),
        other => panic!("{other:?}"),
    }
}

proptest::proptest! {
    #[test]
    fn compare_args_never_panics_and_never_pairs_a_path_with_itself(args in "\\PC{0,40}") {
        let k = shipped();
        if let Ok(c) = compare::compare_args(&args, k) {
            proptest::prop_assert_ne!(c.left.id, c.right.id);
        }
    }
}

#[test]
fn compare_without_two_names_says_how() {
    let k = shipped();
    assert!(matches!(
        compare::compare_args("", k),
        Err(CompareError::NeedTwo { first: None, .. })
    ));
    assert!(matches!(
        compare::compare_args("data analyst", k),
        Err(CompareError::NeedTwo { first: Some(f), .. }) if f == "Data analyst"
    ));
    assert!(matches!(
        compare::compare_args("coder clinical coder", k),
        Err(CompareError::Same { .. })
    ));
    let usage = compare::usage(k, "/compare");
    assert!(usage.contains("/compare"), "{usage}");
    for name in compare::path_names(k) {
        assert!(usage.contains(&name), "{name} missing: {usage}");
    }
}

#[test]
fn the_comparison_carries_the_knowledge_numbers_and_what_the_job_is() {
    let k = shipped();
    let c = compare::compare_args("coder analyst", k).unwrap();
    let career = |id: &str| -> Career { k.get(id).unwrap().career.clone().unwrap() };
    assert_eq!(c.left.career, career("path-clinical-coder"));
    assert_eq!(c.right.career, career("path-data-analyst"));
    assert!(
        c.left.what.starts_with("A clinical coder"),
        "{}",
        c.left.what
    );
    assert!(c.left.what.ends_with('.') && !c.left.what.contains('•'));
    let text = c.to_text();
    for side in [&c.left, &c.right] {
        assert!(
            text.contains(&chart::dollars(side.career.median_salary)),
            "{text}"
        );
        assert!(
            text.contains(&chart::percent(side.career.growth_percent)),
            "{text}"
        );
        assert!(text.contains(&side.career.education), "{text}");
        assert!(text.contains(&side.what), "{text}");
    }
    assert!(
        text.contains("Source: BLS via computerscience.org guide (2021 medians; growth 2021-31)")
    );
    Picture::read(&c.chart_png().unwrap()).assert_drawn();
}

#[test]
fn compare_follows_a_fixture_with_other_paths() {
    let k = fixture();
    assert_eq!(
        ids("curater nutritionst", &k),
        pair("path-curator", "path-nutritionist")
    );
    assert_eq!(
        ids("vet tech, head keeper", &k),
        pair("path-vet-tech", "path-head-keeper")
    );
    let c = compare::compare_args("curator keeper", &k).unwrap();
    assert_eq!(
        c.left.what,
        "Curators plan the animal collection and breeding programmes."
    );
    assert!(c.to_text().contains("+2.5%"));
}

// --- the command line and the terminal chat ---------------------------------------------------------------

#[test]
fn cli_chart_careers_writes_the_png() {
    let out_path = temp_file("careers.png");
    let out = hitbot(
        &["chart", "careers", "--out", out_path.to_str().unwrap()],
        "",
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("wrote "), "{}", stdout(&out));
    let picture = read_png(&out_path);
    assert_eq!(picture.width, chart::WIDTH);
    picture.assert_drawn();
}

#[test]
fn cli_chart_compare_writes_the_png_and_explains_unknown_names() {
    let out_path = temp_file("compare.png");
    let out = hitbot(
        &[
            "chart",
            "compare",
            "coder",
            "analist",
            "--out",
            out_path.to_str().unwrap(),
        ],
        "",
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    read_png(&out_path).assert_drawn();

    let bad = temp_file("bad.png");
    let out = hitbot(
        &[
            "chart",
            "compare",
            "coder",
            "astronaut",
            "--out",
            bad.to_str().unwrap(),
        ],
        "",
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Clinical coder"), "{}", stderr(&out));
    assert!(!bad.exists());
    // Regression: the command line suggested the chat's "/compare architect analyst".
    let err = stderr(&out);
    assert!(
        err.contains("For example: hitbot chart compare "),
        "the command line's own syntax: {err}"
    );
    assert!(!err.contains("/compare"), "{err}");
    let one = hitbot(&["chart", "compare", "coder"], "", None);
    assert_eq!(one.status.code(), Some(2));
    let err = stderr(&one);
    assert!(
        err.contains("Compare Clinical coder with which path?"),
        "{err}"
    );
    assert!(
        err.contains("hitbot chart compare ") && !err.contains("/compare"),
        "{err}"
    );
}

/// Regression: `hitbot chart` wrote `careers.png` / `compare.png` into the working folder (the
/// repository root), where they showed up as untracked files. Without `--out` they go to the
/// git-ignored `charts_dir` beside the config file, and it says where.
#[test]
fn cli_chart_without_out_writes_into_the_charts_folder_and_says_where() {
    let config = temp_config("chart-default", &root().join("knowledge"), "");
    let charts = config.parent().unwrap().join("charts");
    let cwd = tempfile::tempdir().unwrap();
    for (args, name) in [
        (&["chart", "careers"][..], "careers.png"),
        (&["chart", "compare", "coder", "analyst"][..], "compare.png"),
    ] {
        let out = hitbot_in(cwd.path(), args, "", Some(&config), &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let file = charts.join(name);
        let said = format!("wrote {} (", file.display());
        assert!(
            stdout(&out).starts_with(&said),
            "{said:?}: {}",
            stdout(&out)
        );
        read_png(&file).assert_drawn();
    }
    assert_eq!(
        std::fs::read_dir(cwd.path()).unwrap().count(),
        0,
        "nothing in the working folder"
    );
    // Asked for: the working folder.
    let out = hitbot_in(
        cwd.path(),
        &["chart", "careers", "--out", "mine.png"],
        "",
        Some(&config),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("wrote mine.png ("),
        "{}",
        stdout(&out)
    );
    read_png(&cwd.path().join("mine.png")).assert_drawn();
}

#[test]
fn cli_chart_uses_the_configured_knowledge() {
    let config = temp_config("chart-fixture", &fixture_dir(), "");
    let check = hitbot(&["check"], "", Some(&config));
    assert!(check.status.success(), "{}", stderr(&check));
    let out_path = temp_file("fixture.png");
    let out = hitbot(
        &["chart", "careers", "--out", out_path.to_str().unwrap()],
        "",
        Some(&config),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let from_cli = std::fs::read(&out_path).unwrap();
    assert_eq!(
        from_cli,
        chart::careers_png(&CareerTable::of(&fixture())).unwrap(),
        "the same picture as the library draws"
    );
}

#[test]
fn chat_compare_prints_the_card_and_the_usage() {
    let out = hitbot(
        &["chat"],
        "/compare coder analyst\n/compare\n/compare coder astronaut\n",
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Clinical coder vs Data analyst"), "{text}");
    assert!(text.contains("Median salary 2021"), "{text}");
    assert!(text.contains("Compare two career paths"), "{text}");
    assert!(
        text.contains("I don't know a career path called \"astronaut\""),
        "{text}"
    );
}

/// The years and the source on charts and cards are the knowledge's (`guide.toml` `[careers]`), not
/// constants in code.
#[test]
fn chart_and_card_labels_come_from_the_knowledge() {
    let knowledge = fixture();
    let c = compare::compare_args("keeper curator", &knowledge).expect("two fixture paths");
    let text = c.to_text();
    assert!(text.contains("Median salary 2030"), "{text}");
    assert!(text.contains("Growth 2030-40"), "{text}");
    assert!(
        text.ends_with("Source: Zoo survey (2030 medians; growth 2030-40)"),
        "{text}"
    );
    assert!(!text.contains("2021"), "{text}");
    let table = CareerTable::of(&knowledge);
    assert_ne!(
        table.fingerprint(),
        CareerTable::of(shipped()).fingerprint()
    );
}
