//! Chart (1): one indicator by region, with 95 % intervals and each region's target.

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::layout::{COUNT_PX, GAP, Heading, VALUE_PX, fit, text_px};
use super::rows::{BAR_H, Rows};
use super::svg::SvgBackend;
use super::{
    Align, ChartError, ChartOptions, Label, Lang, Overlay, Swatch, TargetLine, Value, color,
    draw_rate_axes, indicator_name, palette, percent, plot_area, rate_axis_labels, rate_axis_top,
    region_label,
};
use crate::estimate::SMALL_N;
use crate::indicators::{GroupIndicators, Indicator};
use crate::regions::RegionTable;
use crate::targets::TargetTable;

/// Chart (1): one indicator across regions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorByRegionData {
    /// The indicator.
    pub indicator: Indicator,
    /// The year shown, if one.
    pub year: Option<i32>,
    /// One bar per region.
    pub bars: Vec<RegionBar>,
}

/// One region's bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionBar {
    /// Region code.
    pub code: String,
    /// Region name.
    pub name: Label,
    /// The rate.
    pub value: Value,
    /// The region's applicable target.
    pub target: Option<TargetLine>,
}

impl IndicatorByRegionData {
    /// The bars with non-finite numbers dropped and target years kept within any plan.
    fn sanitized(&self) -> IndicatorByRegionData {
        IndicatorByRegionData {
            bars: self
                .bars
                .iter()
                .map(|b| RegionBar {
                    value: b.value.sanitized(),
                    target: b.target.and_then(TargetLine::sanitized),
                    ..b.clone()
                })
                .collect(),
            ..self.clone()
        }
    }
}

/// Chart (1) data from groups computed by region (for one `year`, or all years pooled
/// when none): every group that has a region becomes a bar, with the target that
/// applies to it in `target_year` (the year shown, or for pooled years the latest).
pub fn indicator_by_region_data(
    groups: &[GroupIndicators],
    indicator: Indicator,
    year: Option<i32>,
    target_year: i32,
    targets: &TargetTable,
    regions: &RegionTable,
) -> IndicatorByRegionData {
    let bars = groups
        .iter()
        .filter(|g| year.is_none() || g.key.year == year)
        .filter_map(|g| {
            let code = g.key.region_code.clone()?;
            let estimate = g.indicators.get(&indicator)?;
            let target = targets
                .applicable(regions, &code, indicator, target_year)
                .map(TargetLine::from);
            Some(RegionBar {
                name: region_label(g),
                code,
                value: Value::from(estimate),
                target,
            })
        })
        .collect();
    IndicatorByRegionData {
        indicator,
        year,
        bars,
    }
}

/// The value label of a bar: its rate, or "no data".
fn value_label(bar: &RegionBar, lang: Lang) -> String {
    match bar.value.rate {
        Some(rate) => percent(rate, 1),
        None => lang.pick("无数据", "no data").to_owned(),
    }
}

/// Whether the bars stand side by side at this width: at most eight, each name, value and
/// count narrower than its slot, and room above the names for a readable plot.
pub(crate) fn side_by_side(
    labels: &[(String, String, String)],
    width: u32,
    plot_height: i32,
) -> bool {
    let count = labels.len();
    if count > 8 || plot_height < 120 {
        return false;
    }
    let slot = f64::from(width.saturating_sub(12 + 64 + 28)) / count.max(1) as f64;
    labels.iter().all(|(name, value, households)| {
        let need = text_px(name, 12.0, false)
            .max(text_px(value, VALUE_PX, true))
            .max(text_px(households, COUNT_PX, false));
        need + 3.0 * GAP <= slot
    })
}

/// Draws chart (1) as SVG: side by side when the bars fit (few regions, wide chart),
/// else as rows of horizontal bars sorted highest first, as tall as they need.
pub fn indicator_by_region(
    data: &IndicatorByRegionData,
    options: &ChartOptions,
) -> Result<String, ChartError> {
    let lang = options.lang;
    let data = &data.sanitized();
    let (width, height) = options.size();
    let y_max = rate_axis_top(
        data.bars
            .iter()
            .flat_map(|b| [b.value.rate, b.target.map(|t| t.rate)])
            .flatten(),
    );

    // When every bar has the same target, the legend names it; otherwise each bar's own
    // dashed mark shows its level.
    let targets: Vec<_> = data.bars.iter().map(|b| b.target).collect();
    let shared = match targets.first() {
        Some(Some(first)) if targets.iter().all(|t| *t == Some(*first)) => Some(*first),
        _ => None,
    };
    let target_label = match shared {
        Some(t) => match t.label(lang) {
            (head, Some(source)) => format!("{head} · {source}"),
            (head, None) => head,
        },
        None => lang
            .pick("各地区适用目标", "each region's target")
            .to_owned(),
    };
    let labels: Vec<(String, String, String)> = data
        .bars
        .iter()
        .map(|b| {
            (
                b.name.get(lang).to_owned(),
                value_label(b, lang),
                format!("n={}", b.value.n),
            )
        })
        .collect();
    let legend = [
        (Swatch::Box, palette::BLUE, lang.pick("比率", "rate")),
        (
            Swatch::Hatched,
            palette::BLUE,
            lang.pick("样本量 n < 30,仅供参考", "fewer than 30 households"),
        ),
        (Swatch::Dash, palette::VERMILLION, target_label.as_str()),
    ];
    let title = || {
        let name = indicator_name(data.indicator, lang);
        match (data.year, lang) {
            (Some(y), Lang::Zh) => format!("{y}年各地区{name}"),
            (Some(y), Lang::En) => format!("{name} by region, {y}"),
            (None, Lang::Zh) => format!("各地区{name}"),
            (None, Lang::En) => format!("{name} by region"),
        }
    };
    let heading_of = |subtitle: &str| Heading::new(options, title, subtitle, &legend);
    let vertical_heading = heading_of(lang.pick(
        "加权比率估计,误差线为95%置信区间",
        "Weighted ratio estimates; whiskers show 95% confidence intervals",
    ));
    let plot_height = height as i32 - vertical_heading.height - 44 - 8;
    let desc = format!("{} (%)", indicator_name(data.indicator, lang));
    if data.bars.is_empty() || side_by_side(&labels, width, plot_height) {
        return vertical(data, options, &vertical_heading, y_max, &labels, &desc);
    }
    let heading = heading_of(lang.pick(
        "加权比率估计,从高到低排列;误差线为95%置信区间",
        "Weighted ratio estimates, highest first; whiskers show 95% confidence intervals",
    ));
    horizontal(data, options, &heading, y_max, &desc)
}

/// The bars side by side, names and counts under them.
fn vertical(
    data: &IndicatorByRegionData,
    options: &ChartOptions,
    heading: &Heading,
    y_max: f64,
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
        let mut chart = plot_area(&root, top, 12, 44, 0.0..count as f64, 0.0..y_max)?;
        let plot_h = f64::from(height.saturating_sub(top + 44 + 8));
        draw_rate_axes(
            &mut chart,
            rate_axis_labels(y_max, plot_h),
            &fit(desc, 13.0, false, plot_h - 8.0),
        )?;

        let clamp = |v: f64| v.clamp(0.0, y_max);
        for (i, bar) in data.bars.iter().enumerate() {
            let x = i as f64;
            let small = bar.value.n < SMALL_N;
            let (px, base) = chart.backend_coord(&(x + 0.5, 0.0));
            if let Some(rate) = bar.value.rate {
                let fill = if small {
                    color(palette::BLUE).mix(0.35)
                } else {
                    color(palette::BLUE).mix(1.0)
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x + 0.18, 0.0), (x + 0.82, clamp(rate))],
                    fill.filled(),
                )))?;
                let (left, top_px) = chart.backend_coord(&(x + 0.18, clamp(rate)));
                let (right, _) = chart.backend_coord(&(x + 0.82, 0.0));
                if small {
                    overlay.hatch((left, top_px), (right - left, base - top_px), palette::BLUE);
                }
                if let (Some(low), Some(high)) = (bar.value.ci_low, bar.value.ci_high) {
                    let (low, high) = (clamp(low), clamp(high));
                    let ink = color(palette::INK).stroke_width(1);
                    chart.draw_series([
                        PathElement::new(vec![(x + 0.5, low), (x + 0.5, high)], ink),
                        PathElement::new(vec![(x + 0.42, low), (x + 0.58, low)], ink),
                        PathElement::new(vec![(x + 0.42, high), (x + 0.58, high)], ink),
                    ])?;
                }
                // The value sits inside the bar's foot, clear of the whisker's top and the
                // target line; a bar too short for it gets the value just above it.
                if base - top_px >= 28 && !small {
                    overlay.text(
                        (px, base - 8),
                        VALUE_PX,
                        Align::Middle,
                        (0xFF, 0xFF, 0xFF),
                        true,
                        &labels[i].1,
                    );
                } else {
                    let y = if base - top_px >= 28 {
                        base - 8
                    } else {
                        top_px - 6
                    };
                    overlay.halo_text(
                        (px, y),
                        VALUE_PX,
                        Align::Middle,
                        palette::INK,
                        true,
                        &labels[i].1,
                    );
                }
            } else {
                overlay.text(
                    (px, base - 8),
                    VALUE_PX,
                    Align::Middle,
                    palette::GREY_TEXT,
                    false,
                    &labels[i].1,
                );
            }
            if let Some(target) = bar.target {
                let from = chart.backend_coord(&(x + 0.04, clamp(target.rate)));
                let to = chart.backend_coord(&(x + 0.96, clamp(target.rate)));
                overlay.line(from, to, palette::VERMILLION, 2, true);
            }
            overlay.column_caption(px, base, &labels[i].0, &labels[i].2);
        }
        if data.bars.is_empty() {
            let centre = chart.backend_coord(&(0.5, y_max / 2.0));
            overlay.empty_chart(centre, lang.pick("无数据", "no data"));
        }
        root.present()?;
    }
    heading.draw(&mut overlay);
    Ok(overlay.finish(out))
}

/// Rows of horizontal bars, highest first, each with its value and count at its end.
fn horizontal(
    data: &IndicatorByRegionData,
    options: &ChartOptions,
    heading: &Heading,
    y_max: f64,
    desc: &str,
) -> Result<String, ChartError> {
    let lang = options.lang;
    let width = options.size().0;
    let mut order: Vec<&RegionBar> = data.bars.iter().collect();
    // Highest first; bars without a rate last, in their given order.
    order.sort_by(|a, b| {
        let key = |bar: &RegionBar| bar.value.rate.unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a))
    });
    let ends: Vec<(String, String)> = order
        .iter()
        .map(|b| (value_label(b, lang), format!("n={}", b.value.n)))
        .collect();
    let end_px = ends
        .iter()
        .map(|(v, n)| text_px(v, VALUE_PX, true) + GAP + text_px(n, COUNT_PX, false))
        .fold(0.0, f64::max);
    let names: Vec<&str> = order.iter().map(|b| b.name.get(lang)).collect();
    let rows = Rows::new(&names, end_px, width, heading.height, y_max);
    let height = rows.height.min(4000);

    let mut out = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SvgBackend::new(&mut out, width, height).into_drawing_area();
        root.fill(&WHITE)?;
        rows.draw_axis(&mut overlay, desc);
        for (i, bar) in order.iter().enumerate() {
            let centre = rows.centre(i);
            let baseline = rows.baseline(i, VALUE_PX);
            let (top, bottom) = (centre - BAR_H / 2, centre + BAR_H / 2);
            let mut end = rows.x0;
            if let Some(rate) = bar.value.rate {
                let x = rows.x(rate);
                let small = bar.value.n < SMALL_N;
                let fill = if small {
                    color(palette::BLUE).mix(0.35)
                } else {
                    color(palette::BLUE).mix(1.0)
                };
                root.draw(&Rectangle::new(
                    [(rows.x0, top), (x.max(rows.x0 + 1), bottom)],
                    fill.filled(),
                ))?;
                if small {
                    overlay.hatch((rows.x0, top), (x - rows.x0, BAR_H), palette::BLUE);
                }
                end = x;
                if let (Some(low), Some(high)) = (bar.value.ci_low, bar.value.ci_high) {
                    let (l, h) = (rows.x(low), rows.x(high));
                    let ink = color(palette::INK).stroke_width(1);
                    root.draw(&PathElement::new(vec![(l, centre), (h, centre)], ink))?;
                    root.draw(&PathElement::new(
                        vec![(l, centre - 4), (l, centre + 4)],
                        ink,
                    ))?;
                    root.draw(&PathElement::new(
                        vec![(h, centre - 4), (h, centre + 4)],
                        ink,
                    ))?;
                    end = end.max(h);
                }
            }
            if let Some(target) = bar.target {
                let x = rows.x(target.rate);
                overlay.line((x, top - 5), (x, bottom + 5), palette::VERMILLION, 2, true);
            }
            let (value, households) = &ends[i];
            overlay.row_value(
                end + GAP as i32 + 2,
                baseline,
                value,
                bar.value.rate.is_some(),
                households,
            );
            rows.draw_name(&mut overlay, i);
        }
        root.present()?;
    }
    heading.draw(&mut overlay);
    Ok(overlay.finish(out))
}
