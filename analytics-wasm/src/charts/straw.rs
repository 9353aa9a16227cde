//! Chart (3): how each region's collectable straw is used, stacked by the five uses.

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::layout::{COUNT_PX, GAP, Heading, VALUE_PX, fit, text_px};
use super::rows::{BAR_H, Rows};
use super::svg::SvgBackend;
use super::{
    Align, ChartError, ChartOptions, Label, Lang, Overlay, Swatch, color, draw_rate_axes, finite,
    palette, percent, plot_area, rate_axis_labels, region_label,
};
use crate::estimate::SMALL_N;
use crate::indicators::{GroupIndicators, Indicator, StrawUse};

/// Chart (3): straw by use, one stacked bar per region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrawUsesData {
    /// The year shown, if one.
    pub year: Option<i32>,
    /// One bar per region.
    pub bars: Vec<StrawBar>,
}

/// One region's straw uses, as shares of its collectable straw in
/// [`StrawUse::ALL`] order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrawBar {
    /// Region code.
    pub code: String,
    /// Region name.
    pub name: Label,
    /// Share of collectable straw by use, 0–1; none without collectable straw.
    pub shares: [Option<f64>; 5],
    /// Households with straw.
    pub n: usize,
}

impl StrawUsesData {
    /// The shares with non-finite numbers dropped and the rest kept within 0–1.
    fn sanitized(&self) -> StrawUsesData {
        StrawUsesData {
            bars: self
                .bars
                .iter()
                .map(|b| StrawBar {
                    shares: b.shares.map(|s| finite(s).map(|v| v.clamp(0.0, 1.0))),
                    ..b.clone()
                })
                .collect(),
            ..self.clone()
        }
    }
}

/// Chart (3) data from groups computed by region.
pub fn straw_uses_data(groups: &[GroupIndicators], year: Option<i32>) -> StrawUsesData {
    StrawUsesData {
        year,
        bars: groups
            .iter()
            .filter(|g| year.is_none() || g.key.year == year)
            .filter(|g| g.key.region_code.is_some())
            .map(|g| StrawBar {
                code: g.key.region_code.clone().unwrap_or_default(),
                name: region_label(g),
                shares: StrawUse::ALL.map(|u| g.straw_uses.get(&u).and_then(|s| s.share)),
                n: g.indicators
                    .get(&Indicator::StrawUtilization)
                    .map_or(0, |e| e.n),
            })
            .collect(),
    }
}

/// One colour per use, in [`StrawUse::ALL`] order.
const USE_COLOURS: [(u8, u8, u8); 5] = [
    palette::GREEN,
    palette::ORANGE,
    palette::PURPLE,
    palette::VERMILLION,
    palette::SKY_BLUE,
];

impl StrawBar {
    /// The stack's height (the share used), when any use is known.
    fn used(&self) -> Option<f64> {
        self.shares
            .iter()
            .any(Option::is_some)
            .then(|| self.shares.iter().flatten().sum::<f64>().min(1.0))
    }
}

/// Draws chart (3) as SVG: stacks side by side when they fit (few regions, wide chart),
/// else rows of horizontal stacks, most used first, as tall as they need.
pub fn straw_uses(data: &StrawUsesData, options: &ChartOptions) -> Result<String, ChartError> {
    let lang = options.lang;
    let data = &data.sanitized();
    let (width, height) = options.size();
    let mut legend: Vec<_> = StrawUse::ALL
        .into_iter()
        .zip(USE_COLOURS)
        .map(|(use_, tint)| (Swatch::Box, tint, lang.pick(use_.name_zh(), use_.name_en())))
        .collect();
    legend.push((
        Swatch::Hatched,
        palette::GREY,
        lang.pick("样本量 n < 30,仅供参考", "fewer than 30 households"),
    ));
    let title = || match (data.year, lang) {
        (Some(y), Lang::Zh) => format!("{y}年各地区秸秆利用方式构成"),
        (Some(y), Lang::En) => format!("Straw use by region, {y}"),
        (None, Lang::Zh) => "各地区秸秆利用方式构成".to_owned(),
        (None, Lang::En) => "Straw use by region".to_owned(),
    };
    let subtitle = lang.pick(
        "五料化利用量占可收集量的比例(加权);柱长即秸秆综合利用率",
        "Weighted share of collectable straw by use; the bar's length is the utilization rate",
    );
    let heading = Heading::new(options, title, subtitle, &legend);
    let labels: Vec<(String, String, String)> = data
        .bars
        .iter()
        .map(|b| {
            (
                b.name.get(lang).to_owned(),
                b.used().map_or_else(
                    || lang.pick("无数据", "no data").to_owned(),
                    |u| percent(u, 1),
                ),
                format!("n={}", b.n),
            )
        })
        .collect();
    let plot_height = height as i32 - heading.height - 44 - 8;
    let desc = lang.pick("占可收集秸秆量 (%)", "share of collectable straw (%)");
    if data.bars.is_empty() || super::bars::side_by_side(&labels, width, plot_height) {
        vertical(data, options, &heading, &labels, desc)
    } else {
        horizontal(data, options, &heading, desc)
    }
}

/// The stacks side by side, names and counts under them.
fn vertical(
    data: &StrawUsesData,
    options: &ChartOptions,
    heading: &Heading,
    labels: &[(String, String, String)],
    desc: &str,
) -> Result<String, ChartError> {
    let lang = options.lang;
    let (width, height) = options.size();
    let count = data.bars.len().max(1);
    let mut out = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SvgBackend::new(&mut out, width, height).into_drawing_area();
        root.fill(&WHITE)?;
        let top = heading.height.max(0) as u32;
        let mut chart = plot_area(&root, top, 12, 44, 0.0..count as f64, 0.0..1.0)?;
        let plot_h = f64::from(height.saturating_sub(top + 44 + 8));
        draw_rate_axes(
            &mut chart,
            rate_axis_labels(1.0, plot_h),
            &fit(desc, 13.0, false, plot_h - 8.0),
        )?;
        for (i, bar) in data.bars.iter().enumerate() {
            let x = i as f64;
            let mut base = 0.0;
            for (share, tint) in bar.shares.iter().zip(USE_COLOURS) {
                let Some(share) = share else { continue };
                let top = (base + share).min(1.0);
                if top > base {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x + 0.18, base), (x + 0.82, top)],
                        color(tint).filled(),
                    )))?;
                }
                base = top;
            }
            let (px, py) = chart.backend_coord(&(x + 0.5, base));
            let (_, foot) = chart.backend_coord(&(x + 0.5, 0.0));
            if bar.n < SMALL_N && bar.used().is_some() {
                let (left, _) = chart.backend_coord(&(x + 0.18, 0.0));
                let (right, _) = chart.backend_coord(&(x + 0.82, 0.0));
                overlay.hatch((left, py), (right - left, foot - py), (0xFF, 0xFF, 0xFF));
            }
            // The stack's height is the straw utilization rate: written inside its top,
            // or above a short one.
            let y = match bar.used() {
                Some(_) if foot - py >= 28 => py + 15,
                Some(_) => py - 6,
                None => foot - 8,
            };
            overlay.halo_text(
                (px, y),
                VALUE_PX,
                Align::Middle,
                palette::INK,
                bar.used().is_some(),
                &labels[i].1,
            );
            overlay.column_caption(px, foot, &labels[i].0, &labels[i].2);
        }
        if data.bars.is_empty() {
            let centre = chart.backend_coord(&(0.5, 0.5));
            overlay.empty_chart(centre, lang.pick("无数据", "no data"));
        }
        root.present()?;
    }
    heading.draw(&mut overlay);
    Ok(overlay.finish(out))
}

/// Rows of horizontal stacks, most used first, each with its total and count at its end.
fn horizontal(
    data: &StrawUsesData,
    options: &ChartOptions,
    heading: &Heading,
    desc: &str,
) -> Result<String, ChartError> {
    let lang = options.lang;
    let width = options.size().0;
    let mut order: Vec<&StrawBar> = data.bars.iter().collect();
    order.sort_by(|a, b| {
        let key = |bar: &StrawBar| bar.used().unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a))
    });
    let ends: Vec<(String, String)> = order
        .iter()
        .map(|b| {
            let value = b.used().map_or_else(
                || lang.pick("无数据", "no data").to_owned(),
                |u| percent(u, 1),
            );
            (value, format!("n={}", b.n))
        })
        .collect();
    let end_px = ends
        .iter()
        .map(|(v, n)| text_px(v, VALUE_PX, true) + GAP + text_px(n, COUNT_PX, false))
        .fold(0.0, f64::max);
    let names: Vec<&str> = order.iter().map(|b| b.name.get(lang)).collect();
    let rows = Rows::new(&names, end_px, width, heading.height, 1.0);
    let height = rows.height.min(4000);
    let mut out = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SvgBackend::new(&mut out, width, height).into_drawing_area();
        root.fill(&WHITE)?;
        rows.draw_axis(&mut overlay, desc);
        for (i, bar) in order.iter().enumerate() {
            let centre = rows.centre(i);
            let (top, bottom) = (centre - BAR_H / 2, centre + BAR_H / 2);
            let mut base = 0.0;
            for (share, tint) in bar.shares.iter().zip(USE_COLOURS) {
                let Some(share) = share else { continue };
                let next = (base + share).min(1.0);
                let (from, to) = (rows.x(base), rows.x(next));
                if to > from {
                    root.draw(&Rectangle::new(
                        [(from, top), (to, bottom)],
                        color(tint).filled(),
                    ))?;
                }
                base = next;
            }
            let end = rows.x(base);
            if bar.n < SMALL_N && bar.used().is_some() {
                overlay.hatch((rows.x0, top), (end - rows.x0, BAR_H), (0xFF, 0xFF, 0xFF));
            }
            let known = bar.used().is_some();
            let (value, households) = &ends[i];
            let baseline = rows.baseline(i, VALUE_PX);
            overlay.row_value(end + GAP as i32 + 2, baseline, value, known, households);
            rows.draw_name(&mut overlay, i);
        }
        root.present()?;
    }
    heading.draw(&mut overlay);
    Ok(overlay.finish(out))
}
