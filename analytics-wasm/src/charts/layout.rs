//! Text layout by the crate's fixed metric ([`svg::text_width_em`]): the box a piece
//! of text takes, wrapping and shortening to a width, a placer that finds room for a
//! label among those already placed, and the heading every chart opens with.
//!
//! Every chart lays its text out here, so that no two labels overlap and none leaves the
//! canvas by the same measure that the chart-overlap test applies to the finished SVG
//! (`charts/overlap.rs`). Real fonts differ a little from the metric (CHARTS.md), so
//! labels keep [`GAP`] px apart and the Chromium test checks the real boxes too.

use super::svg::text_width_em;
use super::{Align, ChartOptions, LegendEntry, Overlay, Swatch, palette};

/// Height of a line's box above its baseline, em: CJK ideographs reach about 0.88 em,
/// and browsers' boxes (the font's ascent) a little more.
pub(crate) const ASCENT_EM: f64 = 0.92;
/// Depth of a line's box below its baseline, em (descenders, the font's descent).
pub(crate) const DESCENT_EM: f64 = 0.26;
/// Bold text is drawn this much wider than the regular metric says (Helvetica Bold's
/// letters are up to 8 % wider; digits and CJK are not, so this errs on the safe side).
pub(crate) const BOLD_WIDTH: f64 = 1.08;
/// Least room kept between two labels, px.
pub(crate) const GAP: f64 = 4.0;
/// Size of the value labels of bars and columns, px.
pub(crate) const VALUE_PX: f64 = 11.0;
/// Size of the household counts under them, px.
pub(crate) const COUNT_PX: f64 = 10.0;

/// Width of `text` at `size` px by the metric, px.
pub(crate) fn text_px(text: &str, size: f64, bold: bool) -> f64 {
    text_width_em(text) * size * if bold { BOLD_WIDTH } else { 1.0 }
}

/// Distance between the baselines of two lines of `size` px text that must not touch.
pub(crate) fn line_step(size: f64) -> f64 {
    ((ASCENT_EM + DESCENT_EM) * size + 2.0).ceil()
}

/// An axis-aligned box, px, `x0 ≤ x1`, `y0 ≤ y1` (y grows downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    /// The box of one line of text with its anchor at `x` and its baseline at `y`.
    #[cfg(test)]
    pub(crate) fn of_text(
        (x, y): (f64, f64),
        size: f64,
        align: Align,
        bold: bool,
        text: &str,
    ) -> Rect {
        let w = text_px(text, size, bold);
        let x0 = match align {
            Align::Start => x,
            Align::Middle => x - w / 2.0,
            Align::End => x - w,
        };
        Rect {
            x0,
            y0: y - ASCENT_EM * size,
            x1: x0 + w,
            y1: y + DESCENT_EM * size,
        }
    }

    /// Whether the two boxes share any area.
    pub(crate) fn overlaps(&self, other: &Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    /// The box grown by `by` px on every side.
    pub(crate) fn grown(&self, by: f64) -> Rect {
        Rect {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }

    /// Whether the box lies within `outer`.
    pub(crate) fn within(&self, outer: &Rect) -> bool {
        self.x0 >= outer.x0 && self.y0 >= outer.y0 && self.x1 <= outer.x1 && self.y1 <= outer.y1
    }
}

/// Characters that may not start a line (closing punctuation).
fn closes(c: char) -> bool {
    matches!(
        c,
        ',' | '.'
            | ';'
            | ':'
            | ')'
            | '%'
            | '，'
            | '。'
            | '；'
            | '：'
            | '、'
            | '）'
            | '》'
            | '”'
            | '’'
    )
}

/// Whether a line may break on either side of `c` (CJK writes no spaces).
fn breaks_around(c: char) -> bool {
    text_width_em(&c.to_string()) >= 1.0
}

/// Splits `text` into the pieces a line may break between: a word with the spaces after
/// it, or one CJK character; closing punctuation stays with what it follows.
fn pieces(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    // Set after a space or a CJK character: the next character may start a line.
    let mut boundary = false;
    for c in text.chars() {
        if c == ' ' {
            current.push(c);
            boundary = true;
            continue;
        }
        if closes(c) {
            current.push(c);
            continue;
        }
        if (boundary || breaks_around(c)) && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(c);
        boundary = breaks_around(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `text` cut to fit `max_px`, with "…" where it was cut.
pub(crate) fn fit(text: &str, size: f64, bold: bool, max_px: f64) -> String {
    if text_px(text, size, bold) <= max_px {
        return text.to_owned();
    }
    let mut short = String::new();
    for c in text.chars() {
        let next = format!("{short}{c}…");
        if text_px(&next, size, bold) > max_px {
            break;
        }
        short.push(c);
    }
    format!("{}…", short.trim_end())
}

/// `text` cut in the middle to fit `max_px`, keeping its start and its end ("Haixi
/// Mongol…County 12"): where names differ only at the end, the end tells them apart.
pub(crate) fn fit_middle(text: &str, size: f64, bold: bool, max_px: f64) -> String {
    if text_px(text, size, bold) <= max_px {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    // The longest end that starts a word (or at any CJK character) and takes at most 60 %
    // of the room; failing that, as many characters as fit in half of it.
    let starts_word = |i: usize| i > 0 && (chars[i - 1] == ' ' || breaks_around(chars[i]));
    let room = |share: f64, i: usize| {
        let end: String = chars[i..].iter().collect();
        text_px(&format!("…{end}"), size, bold) <= max_px * share
    };
    let start = (1..chars.len())
        .find(|&i| starts_word(i) && room(0.6, i))
        .or_else(|| (1..chars.len()).find(|&i| room(0.5, i)))
        .unwrap_or(chars.len());
    let tail: Vec<char> = chars[start..].to_vec();
    let tail: String = tail.into_iter().collect();
    let mut head = String::new();
    for &c in &chars {
        if text_px(&format!("{head}{c}…{tail}"), size, bold) > max_px {
            break;
        }
        head.push(c);
    }
    format!("{}…{}", head.trim_end(), tail.trim_start())
}

/// `text` broken into lines no wider than `max_px` (at spaces, and between CJK
/// characters); at most `max_lines`, the last cut in the middle ([`fit_middle`]) if text
/// remains.
pub(crate) fn wrap(
    text: &str,
    size: f64,
    bold: bool,
    max_px: f64,
    max_lines: usize,
) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for piece in pieces(text) {
        let candidate = format!("{line}{piece}");
        if line.is_empty() || text_px(candidate.trim_end(), size, bold) <= max_px {
            line = candidate;
            continue;
        }
        lines.push(line);
        line = piece;
    }
    if !line.trim().is_empty() {
        lines.push(line);
    }
    let max_lines = max_lines.max(1);
    if lines.len() > max_lines {
        let rest = lines.split_off(max_lines - 1).concat();
        lines.push(fit_middle(rest.trim_end(), size, bold, max_px));
    }
    // A single piece wider than a line (a long word) is shortened where it stands.
    lines
        .into_iter()
        .map(|l| fit_middle(l.trim_end(), size, bold, max_px))
        .collect()
}

/// Boxes already taken on a canvas, and the area labels must stay in.
pub(crate) struct Placer {
    bounds: Rect,
    taken: Vec<Rect>,
}

impl Placer {
    /// An empty placer whose labels must stay within `bounds`.
    pub(crate) fn new(bounds: Rect) -> Placer {
        Placer {
            bounds,
            taken: Vec::new(),
        }
    }

    /// Whether `rect` is within the bounds and at least [`GAP`] from every taken box.
    pub(crate) fn is_free(&self, rect: &Rect) -> bool {
        rect.within(&self.bounds) && self.taken.iter().all(|t| !t.grown(GAP).overlaps(rect))
    }

    /// Marks `rect` as taken.
    pub(crate) fn take(&mut self, rect: Rect) {
        self.taken.push(rect);
    }

    /// The first of `candidates` that is free, taken; its index.
    pub(crate) fn place(&mut self, candidates: impl IntoIterator<Item = Rect>) -> Option<usize> {
        for (i, rect) in candidates.into_iter().enumerate() {
            if self.is_free(&rect) {
                self.take(rect);
                return Some(i);
            }
        }
        None
    }
}

/// A legend entry where it goes: its position, swatch, colour and (shortened) label.
type PlacedLegend = (i32, i32, Swatch, (u8, u8, u8), String);

/// The block every chart opens with: its title, a grey line or two saying how to read
/// it, and the legend, each wrapped to the chart's width. Laid out before the plot, whose
/// top is the heading's [`height`](Heading::height).
pub(crate) struct Heading {
    title: Vec<String>,
    subtitle: Vec<String>,
    legend: Vec<PlacedLegend>,
    centre: i32,
    /// Where the plot may start, px from the top.
    pub height: i32,
}

/// Title size, px.
const TITLE_PX: f64 = 18.0;
/// Subtitle and legend size, px.
const SMALL_PX: f64 = 12.0;
/// Left and right margin of the heading, px.
const SIDE: f64 = 10.0;

impl Heading {
    /// Lays out the heading of a chart `options.size().0` px wide.
    pub(crate) fn new(
        options: &ChartOptions,
        default_title: impl FnOnce() -> String,
        subtitle: &str,
        legend: &[LegendEntry<'_>],
    ) -> Heading {
        let width = f64::from(options.size().0);
        let max = width - 2.0 * SIDE;
        let title_text = options.title.clone().unwrap_or_else(default_title);
        let title = wrap(&title_text, TITLE_PX, true, max, 3);
        let subtitle = wrap(subtitle, SMALL_PX, false, max, 4);
        let mut y = 8.0 + ASCENT_EM * TITLE_PX;
        y += line_step(TITLE_PX) * (title.len() as f64 - 1.0);
        if !subtitle.is_empty() {
            y += 4.0 + line_step(SMALL_PX);
            y += line_step(SMALL_PX) * (subtitle.len() as f64 - 1.0);
        }
        // Legend rows: swatch, label, then the next item, wrapping at the right margin.
        let mut items = Vec::new();
        let (mut x, mut row_y) = (SIDE, y + 6.0 + line_step(SMALL_PX));
        for &(swatch, color, label) in legend {
            let label = fit(label, SMALL_PX, false, max - 18.0);
            let w = 18.0 + text_px(&label, SMALL_PX, false);
            if x > SIDE && x + w > width - SIDE {
                x = SIDE;
                row_y += line_step(SMALL_PX) + 2.0;
            }
            items.push((x.round() as i32, row_y.round() as i32, swatch, color, label));
            x += w + 14.0;
        }
        let bottom = if items.is_empty() { y } else { row_y };
        Heading {
            title,
            subtitle,
            legend: items,
            centre: (width / 2.0).round() as i32,
            height: (bottom + DESCENT_EM * SMALL_PX + 14.0).ceil() as i32,
        }
    }

    /// Writes the heading.
    pub(crate) fn draw(&self, overlay: &mut Overlay) {
        let mut y = 8.0 + ASCENT_EM * TITLE_PX;
        for (i, line) in self.title.iter().enumerate() {
            if i > 0 {
                y += line_step(TITLE_PX);
            }
            overlay.text(
                (self.centre, y.round() as i32),
                TITLE_PX,
                Align::Middle,
                palette::INK,
                true,
                line,
            );
        }
        for (i, line) in self.subtitle.iter().enumerate() {
            y += line_step(SMALL_PX) + if i == 0 { 4.0 } else { 0.0 };
            overlay.text(
                (self.centre, y.round() as i32),
                SMALL_PX,
                Align::Middle,
                palette::GREY_TEXT,
                false,
                line,
            );
        }
        for (x, y, swatch, color, label) in &self.legend {
            overlay.legend_item((*x, *y), *swatch, *color, label);
        }
    }
}

/// The step between labelled ticks of a rate axis from 0 to `max` drawn `span_px`
/// long, so that labels such as "100%" (`size` px) keep apart: 10, 20, 25, 50 or 100
/// points, or more on an axis beyond 100 %.
pub(crate) fn rate_step(max: f64, span_px: f64, size: f64) -> f64 {
    let label = text_px("100%", size, false) + 3.0 * GAP;
    for step in [0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0] {
        if span_px * step / max >= label {
            return step;
        }
    }
    10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_spaces_and_between_ideographs() {
        let lines = wrap(
            "Weighted ratio estimates; whiskers show 95% intervals",
            12.0,
            false,
            150.0,
            9,
        );
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| text_px(l, 12.0, false) <= 150.0));
        assert_eq!(
            lines.join(" "),
            "Weighted ratio estimates; whiskers show 95% intervals"
        );
        let lines = wrap("加权比率估计,误差线为95%置信区间", 12.0, false, 100.0, 9);
        assert!(
            lines.iter().all(|l| text_px(l, 12.0, false) <= 100.0),
            "{lines:?}"
        );
        assert_eq!(lines.concat(), "加权比率估计,误差线为95%置信区间");
        // No line starts with closing punctuation.
        let lines = wrap("一二三四五,六七", 10.0, false, 50.0, 9);
        assert!(lines.iter().all(|l| !l.starts_with(',')), "{lines:?}");
    }

    #[test]
    fn too_many_lines_end_with_an_ellipsis() {
        let lines = wrap(&"word ".repeat(40), 12.0, false, 60.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].contains('…'));
        assert!(lines.iter().all(|l| text_px(l, 12.0, false) <= 60.0));
        let long = "Haixi Mongol and Tibetan Autonomous Prefecture County 12";
        let lines = wrap(long, 12.0, false, 120.0, 2);
        assert!(lines[1].ends_with("County 12"), "{lines:?}");
        assert!(lines.iter().all(|l| text_px(l, 12.0, false) <= 120.0));
        assert_eq!(fit("很长的名字很长的名字", 12.0, false, 40.0), "很长…");
    }

    #[test]
    fn placer_keeps_a_gap_and_the_bounds() {
        let mut placer = Placer::new(Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 100.0,
            y1: 100.0,
        });
        let a = Rect {
            x0: 10.0,
            y0: 10.0,
            x1: 40.0,
            y1: 20.0,
        };
        assert_eq!(placer.place([a]), Some(0));
        let near = Rect {
            x0: 42.0,
            y0: 10.0,
            x1: 60.0,
            y1: 20.0,
        };
        let clear = Rect {
            x0: 50.0,
            y0: 10.0,
            x1: 60.0,
            y1: 20.0,
        };
        let outside = Rect {
            x0: 90.0,
            y0: 10.0,
            x1: 110.0,
            y1: 20.0,
        };
        assert_eq!(placer.place([near, outside, clear]), Some(2));
    }
}
