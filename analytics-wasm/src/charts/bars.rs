//! Chart (1): one indicator by region, with 95 % intervals and each region's target.

use plotters::prelude::*;

use super::svg::SvgBackend;
use super::{
    Align, ChartError, ChartOptions, IndicatorByRegionData, Overlay, Swatch, category_labels,
    color, indicator_name, palette, percent,
};
use crate::estimate::SMALL_N;

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
    let top = data
        .bars
        .iter()
        .flat_map(|b| [b.value.rate, b.target.map(|t| t.rate)])
        .flatten()
        .fold(1.0_f64, f64::max)
        // Rates beyond 1000 % are errors; the axis stops there and the bar is cut.
        .min(10.0);
    let y_max = if top > 1.0 {
        (top * 1.1 * 10.0).ceil() / 10.0
    } else {
        1.0
    };

    let mut out = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SvgBackend::new(&mut out, width, height).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin_top(84)
            .margin_left(labels.margin_left)
            .margin_right(28)
            .margin_bottom(8)
            .x_label_area_size(labels.area)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..count as f64, 0.0..y_max)?;
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
                    overlay.text(
                        (px, base - 9),
                        11.0,
                        Align::Middle,
                        (0xFF, 0xFF, 0xFF),
                        true,
                        0,
                        &percent(rate, 1),
                    );
                } else {
                    let above = bar.value.ci_high.map_or(rate, |h| h.max(rate));
                    let (_, py) = chart.backend_coord(&(x + 0.5, clamp(above)));
                    overlay.text(
                        (px, py - 6),
                        11.0,
                        Align::Middle,
                        palette::INK,
                        true,
                        0,
                        &percent(rate, 1),
                    );
                }
            } else {
                let (px, py) = chart.backend_coord(&(x + 0.5, 0.0));
                overlay.text(
                    (px, py - 8),
                    11.0,
                    Align::Middle,
                    palette::GREY,
                    false,
                    0,
                    lang.pick("无数据", "no data"),
                );
            }
            if let Some(target) = bar.target {
                let from = chart.backend_coord(&(x, clamp(target.rate)));
                let to = chart.backend_coord(&(x + 1.0, clamp(target.rate)));
                overlay.line(from, to, palette::VERMILLION, 2, true);
            }
            let (px, py) = chart.backend_coord(&(x + 0.5, 0.0));
            let n_text = format!("n={}", bar.value.n);
            if labels.rotate {
                overlay.text(
                    (px + 4, py + 14),
                    12.0,
                    Align::End,
                    palette::INK,
                    false,
                    -35,
                    &labels.names[i],
                );
            } else {
                overlay.text(
                    (px, py + 17),
                    12.0,
                    Align::Middle,
                    palette::INK,
                    false,
                    0,
                    &labels.names[i],
                );
                overlay.text(
                    (px, py + 32),
                    10.0,
                    Align::Middle,
                    palette::GREY,
                    false,
                    0,
                    &n_text,
                );
            }
        }
        if data.bars.is_empty() {
            let (px, py) = chart.backend_coord(&(0.5, y_max / 2.0));
            overlay.text(
                (px, py),
                14.0,
                Align::Middle,
                palette::GREY,
                false,
                0,
                lang.pick("无数据", "no data"),
            );
        }
        root.present()?;
    }

    let title = options.title.clone().unwrap_or_else(|| {
        let name = indicator_name(data.indicator, lang);
        match (data.year, lang) {
            (Some(y), super::Lang::Zh) => format!("{y}年各地区{name}"),
            (Some(y), super::Lang::En) => format!("{name} by region, {y}"),
            (None, super::Lang::Zh) => format!("各地区{name}"),
            (None, super::Lang::En) => format!("{name} by region"),
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
            "加权比率估计,误差线为95%置信区间",
            "Weighted ratio estimates; whiskers show 95% confidence intervals",
        ),
    );
    let mut x = 76;
    x = overlay.legend_item(
        (x, 72),
        Swatch::Box,
        palette::BLUE,
        lang.pick("比率", "rate"),
    );
    x = overlay.legend_item(
        (x, 72),
        Swatch::Faded,
        palette::BLUE,
        lang.pick("样本量 n < 30", "small sample, n < 30"),
    );
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
    overlay.legend_item((x, 72), Swatch::Dash, palette::VERMILLION, &target_label);
    Ok(overlay.finish(out))
}
