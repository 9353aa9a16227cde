//! Chart (3): how each region's collectable straw is used, stacked by the five uses.

use plotters::prelude::*;

use super::svg::SvgBackend;
use super::{
    Align, ChartError, ChartOptions, Lang, Overlay, StrawUsesData, Swatch, category_labels, color,
    palette, percent,
};
use crate::indicators::StrawUse;

/// One colour per use, in [`StrawUse::ALL`] order.
const USE_COLOURS: [(u8, u8, u8); 5] = [
    palette::GREEN,
    palette::ORANGE,
    palette::PURPLE,
    palette::VERMILLION,
    palette::SKY_BLUE,
];

/// Draws chart (3) as SVG.
pub fn straw_uses(data: &StrawUsesData, options: &ChartOptions) -> Result<String, ChartError> {
    let lang = options.lang;
    let data = &data.sanitized();
    let (width, height) = options.size();
    let count = data.bars.len().max(1);
    let counts: Vec<usize> = data.bars.iter().map(|b| b.n).collect();
    let labels = category_labels(
        data.bars
            .iter()
            .map(|b| b.name.get(lang).to_owned())
            .collect(),
        &counts,
        width,
    );
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
            .build_cartesian_2d(0.0..count as f64, 0.0..1.0)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .y_label_formatter(&|v| percent(*v, 0))
            .y_desc(lang.pick("占可收集秸秆量 (%)", "share of collectable straw (%)"))
            .axis_desc_style(("sans-serif", 13).into_font().color(&color(palette::INK)))
            .label_style(("sans-serif", 12).into_font().color(&color(palette::INK)))
            .bold_line_style(color(palette::GREY).mix(0.25))
            .light_line_style(TRANSPARENT)
            .axis_style(color(palette::GREY))
            .draw()?;
        for (i, bar) in data.bars.iter().enumerate() {
            let x = i as f64;
            let mut base = 0.0;
            let known = bar.shares.iter().any(Option::is_some);
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
            if known {
                // The stack's height is the straw utilization rate.
                overlay.text(
                    (px, py - 6),
                    11.0,
                    Align::Middle,
                    palette::INK,
                    true,
                    0,
                    &percent(base, 1),
                );
            } else {
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
            let (px, py) = chart.backend_coord(&(x + 0.5, 0.0));
            let n_text = format!("n={}", bar.n);
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
        root.present()?;
    }

    let title = options
        .title
        .clone()
        .unwrap_or_else(|| match (data.year, lang) {
            (Some(y), Lang::Zh) => format!("{y}年各地区秸秆利用方式构成"),
            (Some(y), Lang::En) => format!("Straw use by region, {y}"),
            (None, Lang::Zh) => "各地区秸秆利用方式构成".to_owned(),
            (None, Lang::En) => "Straw use by region".to_owned(),
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
            "五料化利用量占可收集量的比例(加权);柱高即秸秆综合利用率",
            "Weighted share of collectable straw by use; bar height is the utilization rate",
        ),
    );
    let mut x = 76;
    for (use_, tint) in StrawUse::ALL.into_iter().zip(USE_COLOURS) {
        x = overlay.legend_item(
            (x, 72),
            Swatch::Box,
            tint,
            lang.pick(use_.name_zh(), use_.name_en()),
        );
    }
    Ok(overlay.finish(out))
}
