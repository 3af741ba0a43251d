//! Charts of the guide's career table, rendered in memory as PNG bytes.
//!
//! One horizontal bar per career path (phones show horizontal bars best): the path's name above its bar,
//! the median salary at the bar's end and the projected growth beside it, a title, and the source in small
//! print. The numbers are whatever the knowledge says ([`Career`] rows from `[entry.career]`), never
//! constants here. Text is rasterized with `ab_glyph` from DejaVu Sans embedded in the binary (no system
//! fonts, no fontconfig) into an RGB buffer that `png` encodes: a chart of rectangles and text needs no
//! plotting library. Pure: no teloxide, no tantivy.

use std::sync::{Arc, Mutex, OnceLock};

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};

use hitbot_knowledge::{Career, CareerLabels, Fingerprint, Knowledge};

/// Chart width in pixels; the height follows from the number of rows.
pub const WIDTH: u32 = 1000;
/// Part of every fingerprint: bump it when the drawing changes, so cached uploads are replaced.
const CHART_VERSION: &str = "chart-2";

/// The small print under every chart and card: where the figures come from and what they are
/// ("Source: BLS via computerscience.org guide (2021 medians; growth 2021-31)").
pub fn source_line(labels: &CareerLabels) -> String {
    let what = [
        (!labels.salary_year.is_empty()).then(|| format!("{} medians", labels.salary_year)),
        (!labels.growth_period.is_empty()).then(|| format!("growth {}", labels.growth_period)),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("; ");
    match (labels.source.is_empty(), what.is_empty()) {
        (false, false) => format!("Source: {} ({what})", labels.source),
        (false, true) => format!("Source: {}", labels.source),
        (true, false) => format!("Figures: {what}"),
        (true, true) => "Source: the knowledge's career table".to_string(),
    }
}

/// "Median salary 2021" (the year when the knowledge gives one).
pub fn salary_label(labels: &CareerLabels) -> String {
    join_label("Median salary", &labels.salary_year)
}

/// "Growth 2021-31" (the period when the knowledge gives one).
pub fn growth_label(labels: &CareerLabels) -> String {
    join_label("Growth", &labels.growth_period)
}

fn join_label(what: &str, when: &str) -> String {
    if when.is_empty() {
        what.to_string()
    } else {
        format!("{what} {when}")
    }
}

fn subtitle(labels: &CareerLabels) -> String {
    format!(
        "{} (USD) and projected job {}",
        join_label("Median annual salary", &labels.salary_year),
        join_label("growth", &labels.growth_period.replace('-', "\u{2013}"))
    )
}

/// The career table of the knowledge: its rows (`[entry.career]`, in file order) and what their
/// figures are (`guide.toml` `[careers]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CareerTable {
    pub rows: Vec<Career>,
    pub labels: CareerLabels,
}

impl CareerTable {
    pub fn of(knowledge: &Knowledge) -> CareerTable {
        CareerTable {
            rows: career_rows(knowledge),
            labels: knowledge.guide.careers.clone(),
        }
    }

    /// Equal fingerprints draw equal charts (rows, labels and the drawing's version).
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.rows, &self.labels)
    }

    pub fn source_line(&self) -> String {
        source_line(&self.labels)
    }
}

// Layout, in pixels.
const MARGIN: i32 = 40;
const HEADER: i32 = 128;
/// One path: its name, then its bar; more room below a bar than above it, so a name reads with its own bar.
const ROW: i32 = 100;
const NAME_TO_BAR: i32 = 32;
const BAR: i32 = 46;
const FOOTER: i32 = 54;
const LABEL_PAD: i32 = 14;

type Rgb = [u8; 3];
const BACKGROUND: Rgb = [255, 255, 255];
const INK: Rgb = [20, 24, 31];
const MUTED: Rgb = [85, 92, 102];
const BAR_FILL: Rgb = [24, 88, 140];
const BAR_TRACK: Rgb = [232, 237, 243];
const GROWTH_INK: Rgb = [17, 112, 55];

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("no career paths to chart: the knowledge has no entries with an [entry.career] table")]
    NoData,
    #[error("the embedded font could not be loaded")]
    Font,
    #[error("encoding the chart as PNG failed: {0}")]
    Encode(#[from] png::EncodingError),
}

/// The career rows of the knowledge, in file order (the order the guide's table uses).
pub fn career_rows(knowledge: &Knowledge) -> Vec<Career> {
    knowledge
        .entries
        .iter()
        .filter_map(|e| e.career.clone())
        .collect()
}

/// The chart of every career path: median salaries as bars, highest first, with the growth beside each.
pub fn careers_png(table: &CareerTable) -> Result<Vec<u8>, ChartError> {
    let mut rows = table.rows.clone();
    rows.sort_by_key(|r| std::cmp::Reverse(r.median_salary));
    let title = if table.labels.title.is_empty() {
        "Career paths"
    } else {
        table.labels.title.as_str()
    };
    render(title, &table.labels, &rows)
}

/// A two-bar chart comparing two career paths, in the order given.
pub fn compare_png(a: &Career, b: &Career, labels: &CareerLabels) -> Result<Vec<u8>, ChartError> {
    render(
        &format!("{} vs {}", a.name, b.name),
        labels,
        &[a.clone(), b.clone()],
    )
}

/// "$120,520".
pub fn dollars(amount: u32) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("${out}")
}

/// "+4%", "+2.5%", "-3%": whole numbers without decimals, others with one.
pub fn percent(growth: f64) -> String {
    let sign = if growth < 0.0 { "-" } else { "+" };
    let magnitude = growth.abs();
    if (magnitude - magnitude.round()).abs() < 0.05 {
        format!("{sign}{}%", magnitude.round())
    } else {
        format!("{sign}{magnitude:.1}%")
    }
}

/// A stable fingerprint (FNV-1a, 64 bit) of the rows and the chart's design: equal fingerprints draw equal
/// charts. The Telegram front end keys its uploaded `file_id` on it, so an edited salary is re-uploaded.
pub fn fingerprint(rows: &[Career], labels: &CareerLabels) -> String {
    let mut hash = Fingerprint::new();
    hash.field(CHART_VERSION)
        .field(&labels.title)
        .field(&labels.salary_year)
        .field(&labels.growth_period)
        .field(&labels.source);
    for r in rows {
        hash.field(&r.name)
            .field(&r.education)
            .field(&r.experience)
            .field(r.median_salary.to_string())
            .field(r.growth_percent.to_string());
    }
    hash.finish()
}

/// The careers chart, drawn once per distinct set of rows and shared after that.
#[derive(Debug, Default)]
pub struct ChartCache {
    /// The fingerprint of the rows last drawn, and the PNG drawn for them.
    last: Mutex<Option<(String, Arc<Vec<u8>>)>>,
}

impl ChartCache {
    pub fn new() -> ChartCache {
        ChartCache::default()
    }

    /// The careers chart for `rows` with its fingerprint; drawn only when the rows changed since the
    /// last call.
    pub fn careers(&self, table: &CareerTable) -> Result<(String, Arc<Vec<u8>>), ChartError> {
        let key = table.fingerprint();
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((k, png)) = last.as_ref() {
            if *k == key {
                return Ok((key, Arc::clone(png)));
            }
        }
        let png = Arc::new(careers_png(table)?);
        *last = Some((key.clone(), Arc::clone(&png)));
        Ok((key, png))
    }
}

/// DejaVu Sans, parsed once.
struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

fn fonts() -> Result<&'static Fonts, ChartError> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Some(Fonts {
                regular: FontRef::try_from_slice(dejavu::sans::regular()).ok()?,
                bold: FontRef::try_from_slice(dejavu::sans::bold()).ok()?,
            })
        })
        .as_ref()
        .ok_or(ChartError::Font)
}

/// A font at a size in a colour.
#[derive(Clone, Copy)]
struct Style {
    font: &'static FontRef<'static>,
    /// Pixel height of the font's ascent plus descent.
    size: f32,
    color: Rgb,
}

impl Style {
    /// Width of `text` in pixels, with kerning.
    fn width(&self, text: &str) -> i32 {
        let font = self.font.as_scaled(PxScale::from(self.size));
        let mut width = 0.0;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = previous {
                width += font.kern(p, id);
            }
            width += font.h_advance(id);
            previous = Some(id);
        }
        width.ceil() as i32
    }

    /// Height of a capital letter: what looks centred when centred.
    fn cap_height(&self) -> i32 {
        let glyph = self.font.glyph_id('H').with_scale(PxScale::from(self.size));
        self.font
            .outline_glyph(glyph)
            .map_or(self.size * 0.7, |g| g.px_bounds().height())
            .round() as i32
    }
}

/// An RGB picture being drawn.
struct Canvas {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(width: u32, height: u32, background: Rgb) -> Canvas {
        Canvas {
            width,
            height,
            rgb: background.repeat((width * height) as usize),
        }
    }

    /// Fills the rectangle from (x0, y0) to (x1, y1), exclusive, clipped to the picture.
    fn fill(&mut self, (x0, y0): (i32, i32), (x1, y1): (i32, i32), color: Rgb) {
        for y in y0.max(0)..y1.min(self.height as i32) {
            for x in x0.max(0)..x1.min(self.width as i32) {
                self.blend(x, y, color, 1.0);
            }
        }
    }

    fn blend(&mut self, x: i32, y: i32, color: Rgb, alpha: f32) {
        if x < 0 || y < 0 || x >= self.width as i32 || y >= self.height as i32 {
            return;
        }
        let at = (y as usize * self.width as usize + x as usize) * 3;
        let alpha = alpha.clamp(0.0, 1.0);
        for (channel, ink) in self.rgb[at..at + 3].iter_mut().zip(color) {
            let mixed = f32::from(*channel) * (1.0 - alpha) + f32::from(ink) * alpha;
            *channel = mixed.round() as u8;
        }
    }

    /// Draws `text` with its left end at `x` and the top of its capitals at `top`.
    fn text(&mut self, text: &str, style: Style, x: i32, top: i32) {
        let scale = PxScale::from(style.size);
        let font = style.font.as_scaled(scale);
        let baseline = (top + style.cap_height()) as f32;
        let mut caret = x as f32;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = previous {
                caret += font.kern(p, id);
            }
            previous = Some(id);
            let glyph = id.with_scale_and_position(scale, point(caret, baseline));
            caret += font.h_advance(id);
            if let Some(outline) = style.font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
                outline.draw(|gx, gy, coverage| {
                    self.blend(left + gx as i32, top + gy as i32, style.color, coverage)
                });
            }
        }
    }

    /// Draws `text` vertically centred on `middle`, starting at `x`.
    fn text_centred(&mut self, text: &str, style: Style, x: i32, middle: i32) {
        self.text(text, style, x, middle - style.cap_height() / 2);
    }
}

/// Draws the bar chart and encodes it as PNG.
fn render(title: &str, labels: &CareerLabels, rows: &[Career]) -> Result<Vec<u8>, ChartError> {
    if rows.is_empty() {
        return Err(ChartError::NoData);
    }
    let fonts = fonts()?;
    let style = |bold: bool, size: f32, color: Rgb| Style {
        font: if bold { &fonts.bold } else { &fonts.regular },
        size,
        color,
    };
    let width = WIDTH as i32;
    let height = HEADER + ROW * rows.len() as i32 + FOOTER;
    let mut canvas = Canvas::new(WIDTH, height as u32, BACKGROUND);

    // A long title ("Health information technologist vs Software developer") gets smaller, not cut.
    let mut title_style = style(true, 36.0, INK);
    while title_style.width(title) > width - 2 * MARGIN && title_style.size > 26.0 {
        title_style.size -= 1.0;
    }
    canvas.text(
        &fit(title, title_style, width - 2 * MARGIN),
        title_style,
        MARGIN,
        28,
    );
    canvas.text(&subtitle(labels), style(false, 23.0, MUTED), MARGIN, 82);

    let name_style = style(true, 28.0, INK);
    let salary_inside = style(true, 28.0, BACKGROUND);
    let salary_outside = style(true, 28.0, INK);
    let growth_style = style(true, 28.0, GROWTH_INK);

    // The growth labels stand in a column right of the longest bar; the bars get the rest.
    let growths: Vec<String> = rows
        .iter()
        .map(|r| format!("{} growth", percent(r.growth_percent)))
        .collect();
    let growth_w = growths
        .iter()
        .map(|g| growth_style.width(g))
        .max()
        .unwrap_or(0);
    let bar_room = (width - 2 * MARGIN - growth_w - LABEL_PAD).max(width / 2);
    let max_salary = rows
        .iter()
        .map(|r| r.median_salary)
        .max()
        .unwrap_or(0)
        .max(1);

    for (i, (row, growth)) in rows.iter().zip(&growths).enumerate() {
        let y = HEADER + ROW * i as i32;
        canvas.text(
            &fit(&row.name, name_style, width - 2 * MARGIN),
            name_style,
            MARGIN,
            y,
        );

        let bar_top = y + NAME_TO_BAR;
        let bar_mid = bar_top + BAR / 2;
        let length =
            (f64::from(row.median_salary) / f64::from(max_salary) * f64::from(bar_room)) as i32;
        let bar_end = MARGIN + length.max(4);
        canvas.fill(
            (MARGIN, bar_top),
            (MARGIN + bar_room, bar_top + BAR),
            BAR_TRACK,
        );
        canvas.fill((MARGIN, bar_top), (bar_end, bar_top + BAR), BAR_FILL);

        // The salary sits inside the bar's end when it fits, else just after it.
        let salary = dollars(row.median_salary);
        let salary_w = salary_inside.width(&salary);
        let after_salary = if salary_w + 2 * LABEL_PAD <= length {
            canvas.text_centred(
                &salary,
                salary_inside,
                bar_end - LABEL_PAD - salary_w,
                bar_mid,
            );
            bar_end
        } else {
            canvas.text_centred(&salary, salary_outside, bar_end + LABEL_PAD, bar_mid);
            bar_end + LABEL_PAD + salary_w
        };
        let growth_x = after_salary.max(MARGIN + bar_room) + LABEL_PAD;
        canvas.text_centred(growth, growth_style, growth_x, bar_mid);
    }

    let small = style(false, 20.0, MUTED);
    canvas.text(
        &source_line(labels),
        small,
        MARGIN,
        height - 18 - small.cap_height(),
    );
    encode(&canvas.rgb, canvas.width, canvas.height)
}

/// `text` shortened with "..." until it is at most `room` pixels wide.
fn fit(text: &str, style: Style, room: i32) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let mut candidate = text.to_string();
    while style.width(&candidate) > room && !chars.is_empty() {
        chars.pop();
        candidate = format!("{}...", chars.iter().collect::<String>().trim_end());
    }
    candidate
}

fn encode(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, salary: u32, growth: f64) -> Career {
        Career {
            name: name.into(),
            education: "Bachelor's degree".into(),
            experience: "None".into(),
            median_salary: salary,
            growth_percent: growth,
        }
    }

    #[test]
    fn dollars_group_thousands() {
        assert_eq!(dollars(0), "$0");
        assert_eq!(dollars(999), "$999");
        assert_eq!(dollars(46_660), "$46,660");
        assert_eq!(dollars(120_520), "$120,520");
        assert_eq!(dollars(1_234_567), "$1,234,567");
    }

    #[test]
    fn percent_keeps_decimals_only_when_there_are_some() {
        assert_eq!(percent(4.0), "+4%");
        assert_eq!(percent(36.0), "+36%");
        assert_eq!(percent(2.5), "+2.5%");
        assert_eq!(percent(0.0), "+0%");
        assert_eq!(percent(-3.0), "-3%");
    }

    #[test]
    fn fingerprint_changes_with_any_number() {
        let a = [row("Coder", 46_660, 7.0)];
        let b = [row("Coder", 46_661, 7.0)];
        let c = [row("Coder", 46_660, 8.0)];
        let l = CareerLabels::default();
        assert_eq!(fingerprint(&a, &l), fingerprint(&a.clone(), &l));
        assert_ne!(fingerprint(&a, &l), fingerprint(&b, &l));
        assert_ne!(fingerprint(&a, &l), fingerprint(&c, &l));
        let other_year = CareerLabels {
            salary_year: "2030".into(),
            ..CareerLabels::default()
        };
        assert_ne!(fingerprint(&a, &l), fingerprint(&a, &other_year));
    }

    fn table(rows: &[Career]) -> CareerTable {
        CareerTable {
            rows: rows.to_vec(),
            labels: CareerLabels {
                salary_year: "2021".into(),
                growth_period: "2021-31".into(),
                source: "BLS".into(),
                ..CareerLabels::default()
            },
        }
    }

    #[test]
    fn labels_come_from_the_knowledge() {
        let t = table(&[]);
        assert_eq!(
            t.source_line(),
            "Source: BLS (2021 medians; growth 2021-31)"
        );
        assert_eq!(salary_label(&t.labels), "Median salary 2021");
        assert_eq!(growth_label(&CareerLabels::default()), "Growth");
    }

    #[test]
    fn no_rows_is_an_error_not_an_empty_picture() {
        assert!(matches!(careers_png(&table(&[])), Err(ChartError::NoData)));
    }

    #[test]
    fn a_chart_is_a_png_of_the_expected_width() {
        let png = careers_png(&table(&[
            row("Coder", 46_660, 7.0),
            row("Analyst", 100_910, 36.0),
        ]))
        .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height, big-endian, right after the chunk header.
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), WIDTH);
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!(height as i32, HEADER + 2 * ROW + FOOTER);
    }

    #[test]
    fn the_cache_draws_again_only_when_the_rows_change() {
        let cache = ChartCache::new();
        let rows = table(&[row("Coder", 46_660, 7.0)]);
        let (k1, first) = cache.careers(&rows).unwrap();
        let (k2, second) = cache.careers(&rows).unwrap();
        assert_eq!(k1, k2);
        assert!(Arc::ptr_eq(&first, &second), "same rows: the same bytes");
        let (k3, third) = cache.careers(&table(&[row("Coder", 50_000, 7.0)])).unwrap();
        assert_ne!(k1, k3);
        assert!(!Arc::ptr_eq(&first, &third));
    }
}
