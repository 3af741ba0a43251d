//! hitbot's career paths: the `[entry.career]` rows of the knowledge as a comparison (`compare`:
//! fuzzy path names, the comparison card's data and plain text) and as PNG charts (`chart`: drawn in
//! memory with `ab_glyph` and the embedded DejaVu font, encoded by `png`). Pure: no markup, no
//! network; the front ends render and send.

#![forbid(unsafe_code)]

pub mod chart;
pub mod compare;
