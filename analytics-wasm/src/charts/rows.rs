//! Horizontal bars, one row per region: the layout of the by-region and straw charts
//! when the regions are many or the chart is narrow. Names on the left (two lines where
//! long), bars from a common zero, a label at each bar's end, a rate axis below. The
//! chart is as tall as its rows need, so that a row stays readable however many there
//! are; the SVG's `height` says how tall that is.

use super::layout::{ASCENT_EM, DESCENT_EM, GAP, fit, line_step, rate_step, text_px, wrap};
use super::{Align, Overlay, palette, percent};

/// Size of the names, px.
const NAME_PX: f64 = 12.0;
/// Size of the tick labels, px.
const TICK_PX: f64 = 12.0;
/// Size of the axis description, px.
const DESC_PX: f64 = 13.0;
/// Left and right margin, px.
const MARGIN: f64 = 10.0;
/// Thickness of a bar, px.
pub(crate) const BAR_H: i32 = 14;

/// Where the rows, names and axis of a horizontal bar chart go.
pub(crate) struct Rows {
    width: f64,
    names: Vec<Vec<String>>,
    name_right: i32,
    /// The axis's zero, px from the left.
    pub x0: i32,
    /// The axis's end (`x_max`), px from the left.
    pub x1: i32,
    x_max: f64,
    top: i32,
    row_h: i32,
    axis_y: i32,
    /// Height of the whole chart, px.
    pub height: u32,
}

/// The baseline of the first of `lines` lines of `size` px text centred on `centre`.
pub(crate) fn first_baseline(centre: f64, lines: usize, size: f64) -> f64 {
    let step = line_step(size);
    centre - step * (lines as f64 - 1.0) / 2.0 + (ASCENT_EM - DESCENT_EM) * size / 2.0
}

impl Rows {
    /// Lays out `names` (in drawing order, top first) in a chart `width` px wide whose
    /// heading ends at `top`, with labels up to `end_label_px` wide after the bars and an
    /// axis from 0 to `x_max`.
    pub(crate) fn new(names: &[&str], end_label_px: f64, width: u32, top: i32, x_max: f64) -> Rows {
        let width = f64::from(width);
        let widest = names
            .iter()
            .map(|n| text_px(n, NAME_PX, false))
            .fold(0.0, f64::max);
        // Names take at most 36 % of the width and wrap to a second line beyond it.
        let name_w = widest.min((width * 0.36).floor()).max(24.0).ceil();
        let names: Vec<Vec<String>> = names
            .iter()
            .map(|n| wrap(n, NAME_PX, false, name_w, 2))
            .collect();
        let lines = names.iter().map(Vec::len).max().unwrap_or(1);
        let row_h = if lines > 1 { 40 } else { 26 };
        let name_right = (MARGIN + name_w).ceil() as i32;
        let x0 = name_right + 8;
        let x1 = ((width - MARGIN - end_label_px - 2.0 * GAP).floor() as i32).max(x0 + 40);
        let rows = names.len().max(1) as i32;
        let axis_y = top + rows * row_h + 4;
        let height = f64::from(axis_y) + 6.0 + line_step(TICK_PX) + line_step(DESC_PX) + 10.0;
        Rows {
            width,
            names,
            name_right,
            x0,
            x1,
            x_max,
            top,
            row_h,
            axis_y,
            height: height.ceil() as u32,
        }
    }

    /// The x of `value` on the axis, px.
    pub(crate) fn x(&self, value: f64) -> i32 {
        let share = value.clamp(0.0, self.x_max) / self.x_max;
        self.x0 + (share * f64::from(self.x1 - self.x0)).round() as i32
    }

    /// The vertical centre of row `i`, px.
    pub(crate) fn centre(&self, i: usize) -> i32 {
        self.top + i as i32 * self.row_h + self.row_h / 2
    }

    /// The baseline of one line of `size` px text centred on row `i`.
    pub(crate) fn baseline(&self, i: usize, size: f64) -> i32 {
        first_baseline(f64::from(self.centre(i)), 1, size).round() as i32
    }

    /// Writes row `i`'s name, right-aligned before the axis.
    pub(crate) fn draw_name(&self, overlay: &mut Overlay, i: usize) {
        let Some(lines) = self.names.get(i) else {
            return;
        };
        let first = first_baseline(f64::from(self.centre(i)), lines.len(), NAME_PX);
        for (k, line) in lines.iter().enumerate() {
            let y = first + k as f64 * line_step(NAME_PX);
            overlay.text(
                (self.name_right, y.round() as i32),
                NAME_PX,
                Align::End,
                palette::INK,
                false,
                line,
            );
        }
    }

    /// Writes the axis: grid lines through the rows, the zero line, tick labels below
    /// (as many as fit) and `desc` under them.
    pub(crate) fn draw_axis(&self, overlay: &mut Overlay, desc: &str) {
        let step = rate_step(self.x_max, f64::from(self.x1 - self.x0), TICK_PX);
        let ticks = (self.x_max / step + 1e-9).floor() as usize;
        let tick_y = (f64::from(self.axis_y) + 6.0 + ASCENT_EM * TICK_PX).round() as i32;
        for k in 0..=ticks {
            let value = step * k as f64;
            let x = self.x(value);
            if k > 0 {
                overlay.line(
                    (x, self.top),
                    (x, self.axis_y),
                    (0xDD, 0xDD, 0xDD),
                    1,
                    false,
                );
            }
            overlay.text(
                (x, tick_y),
                TICK_PX,
                Align::Middle,
                palette::INK,
                false,
                &percent(value, 0),
            );
        }
        overlay.line(
            (self.x0, self.top),
            (self.x0, self.axis_y),
            palette::GREY,
            1,
            false,
        );
        overlay.line(
            (self.x0, self.axis_y),
            (self.x1, self.axis_y),
            palette::GREY,
            1,
            false,
        );
        let desc = fit(desc, DESC_PX, false, self.width - 2.0 * MARGIN);
        let desc_y = f64::from(tick_y) + line_step(DESC_PX) + 2.0;
        // Centred under the axis, but never past either edge of the chart.
        let half = text_px(&desc, DESC_PX, false) / 2.0;
        let centre = (f64::from(self.x0 + self.x1) / 2.0)
            .min(self.width - MARGIN - half)
            .max(MARGIN + half);
        overlay.text(
            (centre.round() as i32, desc_y.round() as i32),
            DESC_PX,
            Align::Middle,
            palette::INK,
            false,
            &desc,
        );
    }
}
