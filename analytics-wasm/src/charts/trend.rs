//! Chart (2): one indicator over the years, on the Ali plan's phase bands, with the
//! target line.

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::svg::SvgBackend;
use super::{
    Align, ChartError, ChartOptions, Label, Lang, Overlay, Swatch, TargetLine, Value, color,
    draw_rate_axes, indicator_name, palette, percent, plot_area, rate_axis_labels, rate_axis_top,
};
use crate::indicators::{GroupIndicators, Indicator};
use crate::regions::RegionTable;
use crate::targets::{PlanPhase, TargetTable};

/// Chart (2): one indicator over the years of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendData {
    /// The indicator.
    pub indicator: Indicator,
    /// The region shown.
    pub region: Label,
    /// One point per year with data.
    pub points: Vec<YearPoint>,
    /// The applicable target.
    pub target: Option<TargetLine>,
}

/// One year of a trend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YearPoint {
    /// The year.
    pub year: i32,
    /// The rate.
    pub value: Value,
}

impl TrendData {
    /// The points with non-finite numbers and years beyond any plan dropped.
    fn sanitized(&self) -> TrendData {
        TrendData {
            points: self
                .points
                .iter()
                .filter(|p| (1900..=2200).contains(&p.year))
                .map(|p| YearPoint {
                    year: p.year,
                    value: p.value.sanitized(),
                })
                .collect(),
            target: self.target.and_then(TargetLine::sanitized),
            ..self.clone()
        }
    }
}

/// Chart (2) data from one region's groups by year.
pub fn trend_data(
    groups: &[GroupIndicators],
    indicator: Indicator,
    region_code: &str,
    targets: &TargetTable,
    regions: &RegionTable,
) -> TrendData {
    let mine: Vec<&GroupIndicators> = groups
        .iter()
        .filter(|g| g.key.region_code.as_deref() == Some(region_code) && g.key.year.is_some())
        .collect();
    let region = regions
        .get(region_code)
        .map(Label::from)
        .unwrap_or_else(|| Label {
            zh: region_code.to_owned(),
            en: region_code.to_owned(),
        });
    // The target that applies in the latest year with data; without data, none.
    let last_year = mine.iter().filter_map(|g| g.key.year).max();
    TrendData {
        indicator,
        region,
        points: mine
            .iter()
            .filter_map(|g| {
                Some(YearPoint {
                    year: g.key.year?,
                    value: Value::from(g.indicators.get(&indicator)?),
                })
            })
            .collect(),
        target: last_year
            .and_then(|year| targets.applicable(regions, region_code, indicator, year))
            .map(TargetLine::from),
    }
}

/// Band colours per phase: light tints of the palette, distinct but quiet.
fn band(phase: PlanPhase) -> ((u8, u8, u8), f64) {
    match phase {
        PlanPhase::Baseline => (palette::GREY, 0.12),
        PlanPhase::Near => (palette::SKY_BLUE, 0.14),
        PlanPhase::Mid => (palette::GREEN, 0.12),
        PlanPhase::Long => (palette::ORANGE, 0.12),
    }
}

/// Draws chart (2) as SVG.
pub fn trend(data: &TrendData, options: &ChartOptions) -> Result<String, ChartError> {
    let lang = options.lang;
    let data = &data.sanitized();
    let (width, height) = options.size();
    let mut points = data.points.clone();
    points.sort_by_key(|p| p.year);
    let years = points.iter().map(|p| p.year);
    // Years outside 1900–2200 are typing mistakes; they would stretch the axis.
    let years = years.filter(|y| (1900..=2200).contains(y));
    // The axis spans the whole plan, and any data or target year beyond it.
    let (plan_start, plan_end) = (PlanPhase::Baseline.years().0, PlanPhase::Long.years().1);
    let first = years.clone().min().unwrap_or(plan_start).min(plan_start);
    let last = years
        .max()
        .unwrap_or(plan_end)
        .max(plan_end)
        .max(data.target.map_or(plan_end, |t| t.year.clamp(1900, 2200)));
    points.retain(|p| (first..=last).contains(&p.year));
    let y_max = rate_axis_top(
        points
            .iter()
            .filter_map(|p| p.value.rate)
            .chain(data.target.map(|t| t.rate)),
    );
    let clamp = |v: f64| v.clamp(0.0, y_max);
    let x_range = (f64::from(first) - 0.5)..(f64::from(last) + 0.5);

    let mut out = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SvgBackend::new(&mut out, width, height).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = plot_area(&root, 12, 44, x_range, 0.0..y_max)?;
        for phase in PlanPhase::ALL {
            let (from, to) = phase.years();
            if to < first || from > last {
                continue;
            }
            let (tint, alpha) = band(phase);
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (f64::from(from.max(first)) - 0.5, 0.0),
                    (f64::from(to.min(last)) + 0.5, y_max),
                ],
                color(tint).mix(alpha).filled(),
            )))?;
            // Labelled at the foot of the band: rates and targets sit high on this chart,
            // and a label at the top would collide with the target line.
            let (px, py) = chart.backend_coord(&(
                (f64::from(from.max(first)) + f64::from(to.min(last))) / 2.0,
                0.0,
            ));
            let label = match lang {
                Lang::Zh => phase.name_zh().to_owned(),
                Lang::En => phase.name_en().to_owned(),
            };
            overlay.text(
                (px, py - 26),
                12.0,
                Align::Middle,
                palette::INK,
                true,
                0,
                &label,
            );
            let span = if from == to {
                format!("{from}")
            } else {
                format!("{from}–{to}")
            };
            overlay.text(
                (px, py - 12),
                10.0,
                Align::Middle,
                palette::GREY,
                false,
                0,
                &span,
            );
        }
        draw_rate_axes(
            &mut chart,
            rate_axis_labels(y_max),
            &format!("{} (%)", indicator_name(data.indicator, lang)),
        )?;
        // Every year while they fit, else every second, fifth, ... year.
        let label_step = ((last - first) / 12 + 1) as usize;
        for year in (first..=last).step_by(label_step) {
            let (px, py) = chart.backend_coord(&(f64::from(year), 0.0));
            overlay.axis_label((px, py + 17), &year.to_string());
        }
        let (px, py) = chart.backend_coord(&(f64::from(first) - 0.5, 0.0));
        let (qx, _) = chart.backend_coord(&(f64::from(last) + 0.5, 0.0));
        overlay.text(
            ((px + qx) / 2, py + 36),
            13.0,
            Align::Middle,
            palette::INK,
            false,
            0,
            lang.pick("年份", "year"),
        );

        // The 95 % band, joined across consecutive years that have one.
        let with_ci: Vec<(f64, f64, f64)> = points
            .iter()
            .filter_map(|p| {
                Some((
                    f64::from(p.year),
                    clamp(p.value.ci_low?),
                    clamp(p.value.ci_high?),
                ))
            })
            .collect();
        if with_ci.len() >= 2 {
            let mut outline: Vec<(f64, f64)> = with_ci.iter().map(|(x, _, h)| (*x, *h)).collect();
            outline.extend(with_ci.iter().rev().map(|(x, l, _)| (*x, *l)));
            chart.draw_series(std::iter::once(Polygon::new(
                outline,
                color(palette::SKY_BLUE).mix(0.35).filled(),
            )))?;
        } else {
            for (x, low, high) in &with_ci {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(*x, *low), (*x, *high)],
                    color(palette::SKY_BLUE).stroke_width(3),
                )))?;
            }
        }
        if let Some(target) = data.target {
            let from = chart.backend_coord(&(f64::from(first) - 0.5, clamp(target.rate)));
            let to = chart.backend_coord(&(f64::from(last) + 0.5, clamp(target.rate)));
            overlay.line(from, to, palette::VERMILLION, 2, true);
            let at = chart.backend_coord(&(f64::from(target.year), clamp(target.rate)));
            // A ring, so that a data point in the target year stays visible.
            overlay.ring(at, 7, palette::VERMILLION);
            overlay.text(
                (at.0 - 8, at.1 - 8),
                11.0,
                Align::End,
                palette::VERMILLION,
                true,
                0,
                &format!(
                    "{} {} ({})",
                    lang.pick("目标", "target"),
                    percent(target.rate, 0),
                    target.year
                ),
            );
        }
        let line: Vec<(f64, f64)> = points
            .iter()
            .filter_map(|p| Some((f64::from(p.year), clamp(p.value.rate?))))
            .collect();
        chart.draw_series(std::iter::once(PathElement::new(
            line.clone(),
            color(palette::BLUE).stroke_width(2),
        )))?;
        chart.draw_series(
            line.iter()
                .map(|&(x, y)| Circle::new((x, y), 4, color(palette::BLUE).filled())),
        )?;
        for p in &points {
            if let Some(rate) = p.value.rate {
                let (px, py) = chart.backend_coord(&(f64::from(p.year), clamp(rate)));
                overlay.rate((px, py + 18), palette::INK, rate);
                overlay.households((px, py + 30), p.value.n);
            }
        }
        root.present()?;
    }

    overlay.heading(
        options,
        || {
            let name = indicator_name(data.indicator, lang);
            match lang {
                Lang::Zh => format!("{}{}变化趋势", data.region.zh, name),
                Lang::En => format!("{name}, {}: trend", data.region.en),
            }
        },
        lang.pick(
            "底色为阿里地区规划阶段:基准年2023,近期2024–2025,中期2026–2027,远期2028–2030",
            "Bands: plan phases (baseline 2023, near 2024–25, mid 2026–27, long 2028–30)",
        ),
        &[
            (Swatch::Dot, palette::BLUE, lang.pick("比率", "rate")),
            (
                Swatch::Faded,
                palette::SKY_BLUE,
                lang.pick("95%置信区间", "95% confidence interval"),
            ),
            (
                Swatch::Dash,
                palette::VERMILLION,
                lang.pick("适用目标", "applicable target"),
            ),
        ],
    );
    Ok(overlay.finish(out))
}
