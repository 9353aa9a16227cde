//! Chart (1): one indicator by region, with 95 % intervals and each region's target.

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::svg::SvgBackend;
use super::{
    ChartError, ChartOptions, Label, Lang, Overlay, Swatch, TargetLine, Value, category_labels,
    color, draw_rate_axes, indicator_name, palette, percent, plot_area, rate_axis_labels,
    rate_axis_top, region_label,
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

/// Draws chart (1) as SVG.
pub fn indicator_by_region(
    data: &IndicatorByRegionData,
    options: &ChartOptions,
) -> Result<String, ChartError> {
    let lang = options.lang;
    let data = &data.sanitized();
    let (width, height) = options.size();
    let count = data.bars.len().max(1);
    let counts: Vec<usize> = data.bars.iter().map(|b| b.value.n).collect();
    let labels = category_labels(
        data.bars
            .iter()
            .map(|b| b.name.get(lang).to_owned())
            .collect(),
        &counts,
        width,
    );
    let y_max = rate_axis_top(
        data.bars
            .iter()
            .flat_map(|b| [b.value.rate, b.target.map(|t| t.rate)])
            .flatten(),
    );

    let mut out = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SvgBackend::new(&mut out, width, height).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = plot_area(
            &root,
            labels.margin_left,
            labels.area,
            0.0..count as f64,
            0.0..y_max,
        )?;
        draw_rate_axes(
            &mut chart,
            rate_axis_labels(y_max),
            &format!("{} (%)", indicator_name(data.indicator, lang)),
        )?;

        let clamp = |v: f64| v.clamp(0.0, y_max);
        for (i, bar) in data.bars.iter().enumerate() {
            let x = i as f64;
            let small = bar.value.n < SMALL_N;
            if let Some(rate) = bar.value.rate {
                let fill = if small {
                    color(palette::BLUE).mix(0.45)
                } else {
                    color(palette::BLUE).mix(1.0)
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x + 0.18, 0.0), (x + 0.82, clamp(rate))],
                    fill.filled(),
                )))?;
                if let (Some(low), Some(high)) = (bar.value.ci_low, bar.value.ci_high) {
                    let (low, high) = (clamp(low), clamp(high));
                    let ink = color(palette::INK).stroke_width(1);
                    chart.draw_series([
                        PathElement::new(vec![(x + 0.5, low), (x + 0.5, high)], ink),
                        PathElement::new(vec![(x + 0.42, low), (x + 0.58, low)], ink),
                        PathElement::new(vec![(x + 0.42, high), (x + 0.58, high)], ink),
                    ])?;
                }
                // The value sits inside the bar's foot, clear of the whisker and the
                // target line; a bar too short for it gets the value above.
                let (px, base) = chart.backend_coord(&(x + 0.5, 0.0));
                let (_, top_px) = chart.backend_coord(&(x + 0.5, clamp(rate)));
                if base - top_px >= 26 {
                    overlay.rate((px, base - 9), (0xFF, 0xFF, 0xFF), rate);
                } else {
                    let above = bar.value.ci_high.map_or(rate, |h| h.max(rate));
                    let (_, py) = chart.backend_coord(&(x + 0.5, clamp(above)));
                    overlay.rate((px, py - 6), palette::INK, rate);
                }
            } else {
                let (px, py) = chart.backend_coord(&(x + 0.5, 0.0));
                overlay.no_data((px, py - 8), lang);
            }
            if let Some(target) = bar.target {
                let from = chart.backend_coord(&(x, clamp(target.rate)));
                let to = chart.backend_coord(&(x + 1.0, clamp(target.rate)));
                overlay.line(from, to, palette::VERMILLION, 2, true);
            }
            let foot = chart.backend_coord(&(x + 0.5, 0.0));
            labels.draw(&mut overlay, i, foot, bar.value.n);
        }
        if data.bars.is_empty() {
            let centre = chart.backend_coord(&(0.5, y_max / 2.0));
            overlay.empty_chart(centre, lang.pick("无数据", "no data"));
        }
        root.present()?;
    }

    // When every bar has the same target, the legend names it; otherwise each bar's own
    // dashed segment shows its level.
    let targets: Vec<_> = data.bars.iter().map(|b| b.target).collect();
    let shared = match targets.first() {
        Some(Some(first)) if targets.iter().all(|t| *t == Some(*first)) => Some(*first),
        _ => None,
    };
    let target_label = match shared {
        Some(t) => format!(
            "{} {} ({})",
            lang.pick("目标", "target"),
            percent(t.rate, 0),
            t.year
        ),
        None => lang.pick("适用目标", "applicable target").to_owned(),
    };
    overlay.heading(
        options,
        || {
            let name = indicator_name(data.indicator, lang);
            match (data.year, lang) {
                (Some(y), Lang::Zh) => format!("{y}年各地区{name}"),
                (Some(y), Lang::En) => format!("{name} by region, {y}"),
                (None, Lang::Zh) => format!("各地区{name}"),
                (None, Lang::En) => format!("{name} by region"),
            }
        },
        lang.pick(
            "加权比率估计,误差线为95%置信区间",
            "Weighted ratio estimates; whiskers show 95% confidence intervals",
        ),
        &[
            (Swatch::Box, palette::BLUE, lang.pick("比率", "rate")),
            (
                Swatch::Faded,
                palette::BLUE,
                lang.pick("样本量 n < 30", "small sample, n < 30"),
            ),
            (Swatch::Dash, palette::VERMILLION, &target_label),
        ],
    );
    Ok(overlay.finish(out))
}
