//! Chart (2): one indicator over the years, on the Ali plan's phase bands, with the
//! target line.

use plotters::prelude::*;

use super::svg::SvgBackend;
use super::{
    Align, ChartError, ChartOptions, Lang, Overlay, Swatch, TrendData, color, indicator_name,
    palette, percent,
};
use crate::targets::PlanPhase;

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
    let top = points
        .iter()
        .filter_map(|p| p.value.rate)
        .chain(data.target.map(|t| t.rate))
        .fold(1.0_f64, f64::max)
        // Rates beyond 1000 % are errors; the axis stops there and the bar is cut.
        .min(10.0);
    let y_max = if top > 1.0 {
        (top * 1.1 * 10.0).ceil() / 10.0
    } else {
        1.0
    };
    let clamp = |v: f64| v.clamp(0.0, y_max);
    let x_range = (f64::from(first) - 0.5)..(f64::from(last) + 0.5);

    let mut out = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SvgBackend::new(&mut out, width, height).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin_top(84)
            .margin_left(12)
            .margin_right(28)
            .margin_bottom(8)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range, 0.0..y_max)?;
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
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(if y_max > 1.0 { 12 } else { 6 })
            .y_label_formatter(&|v| percent(*v, 0))
            .y_desc(format!("{} (%)", indicator_name(data.indicator, lang)))
            .axis_desc_style(("sans-serif", 13).into_font().color(&color(palette::INK)))
            .label_style(("sans-serif", 12).into_font().color(&color(palette::INK)))
            .bold_line_style(color(palette::GREY).mix(0.25))
            .light_line_style(TRANSPARENT)
            .axis_style(color(palette::GREY))
            .draw()?;
        // Every year while they fit, else every second, fifth, ... year.
        let label_step = ((last - first) / 12 + 1) as usize;
        for year in (first..=last).step_by(label_step) {
            let (px, py) = chart.backend_coord(&(f64::from(year), 0.0));
            overlay.text(
                (px, py + 17),
                12.0,
                Align::Middle,
                palette::INK,
                false,
                0,
                &year.to_string(),
            );
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
                overlay.text(
                    (px, py + 18),
                    11.0,
                    Align::Middle,
                    palette::INK,
                    true,
                    0,
                    &percent(rate, 1),
                );
                overlay.text(
                    (px, py + 30),
                    10.0,
                    Align::Middle,
                    palette::GREY,
                    false,
                    0,
                    &format!("n={}", p.value.n),
                );
            }
        }
        root.present()?;
    }

    let title = options.title.clone().unwrap_or_else(|| {
        let name = indicator_name(data.indicator, lang);
        match lang {
            Lang::Zh => format!("{}{}变化趋势", data.region.zh, name),
            Lang::En => format!("{name}, {}: trend", data.region.en),
        }
    });
    let centre = (width / 2) as i32;
    overlay.text(
        (centre, 28),
        18.0,
        Align::Middle,
        palette::INK,
        true,
        0,
        &title,
    );
    overlay.text(
        (centre, 48),
        12.0,
        Align::Middle,
        palette::GREY,
        false,
        0,
        lang.pick(
            "底色为阿里地区规划阶段:基准年2023,近期2024–2025,中期2026–2027,远期2028–2030",
            "Bands: plan phases (baseline 2023, near 2024–25, mid 2026–27, long 2028–30)",
        ),
    );
    let mut x = 76;
    x = overlay.legend_item(
        (x, 72),
        Swatch::Dot,
        palette::BLUE,
        lang.pick("比率", "rate"),
    );
    x = overlay.legend_item(
        (x, 72),
        Swatch::Faded,
        palette::SKY_BLUE,
        lang.pick("95%置信区间", "95% confidence interval"),
    );
    overlay.legend_item(
        (x, 72),
        Swatch::Dash,
        palette::VERMILLION,
        lang.pick("适用目标", "applicable target"),
    );
    Ok(overlay.finish(out))
}
