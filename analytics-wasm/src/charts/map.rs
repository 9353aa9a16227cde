//! Chart (4): survey GPS points on longitude/latitude axes, coloured by each household's
//! rate. No base map is shipped (the crate does no I/O and carries no outlines); equal
//! scaling of the axes keeps distances honest.

use plotters::prelude::*;

use super::svg::{self, SvgBackend};
use super::{
    Align, ChartError, ChartOptions, Lang, MapData, Overlay, Swatch, color, indicator_name, palette,
};

/// Rate bins and their colours: a sequential, colour-blind-safe ramp (viridis stops).
const BINS: [(f64, (u8, u8, u8), &str); 5] = [
    (0.5, (0x44, 0x01, 0x54), "< 50%"),
    (0.7, (0x3B, 0x52, 0x8B), "50–70%"),
    (0.85, (0x21, 0x91, 0x8C), "70–85%"),
    (0.95, (0x5E, 0xC9, 0x62), "85–95%"),
    (f64::INFINITY, (0xFD, 0xE7, 0x25), "≥ 95%"),
];

fn bin_colour(rate: f64) -> (u8, u8, u8) {
    BINS.iter()
        .find(|(upper, _, _)| rate < *upper)
        .map_or(BINS[4].1, |(_, c, _)| *c)
}

/// Draws chart (4) as SVG.
pub fn map(data: &MapData, options: &ChartOptions) -> Result<String, ChartError> {
    let lang = options.lang;
    let data = &data.sanitized();
    let (width, height) = options.size();
    let points: Vec<_> = data
        .points
        .iter()
        // Points that are not on the globe cannot be placed (validation rejects them).
        .filter(|p| p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0)
        .collect();
    let (mut lat0, mut lat1, mut lon0, mut lon1) = points.iter().fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), p| (a.min(p.lat), b.max(p.lat), c.min(p.lon), d.max(p.lon)),
    );
    if points.is_empty() {
        // The plateau, so that an empty map still has sensible axes.
        (lat0, lat1, lon0, lon1) = (29.0, 39.0, 78.0, 102.0);
    }
    let pad = 0.3;
    (lat0, lat1, lon0, lon1) = (lat0 - pad, lat1 + pad, lon0 - pad, lon1 + pad);
    // Widen one axis so that a degree of longitude is cos(latitude) of a degree of
    // latitude on screen.
    let plot_w = f64::from(width.saturating_sub(110));
    let plot_h = f64::from(height.saturating_sub(150));
    let cos = libm::cos(((lat0 + lat1) / 2.0).to_radians());
    let (span_x, span_y) = ((lon1 - lon0) * cos, lat1 - lat0);
    if span_x / span_y < plot_w / plot_h {
        let wanted = span_y * plot_w / plot_h / cos;
        let grow = (wanted - (lon1 - lon0)) / 2.0;
        (lon0, lon1) = (lon0 - grow, lon1 + grow);
    } else {
        let wanted = span_x * plot_h / plot_w;
        let grow = (wanted - (lat1 - lat0)) / 2.0;
        (lat0, lat1) = (lat0 - grow, lat1 + grow);
    }

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
            .build_cartesian_2d(lon0..lon1, lat0..lat1)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&|v| format!("{v:.1}°E"))
            .y_label_formatter(&|v| format!("{v:.1}°N"))
            .x_desc(lang.pick("经度", "longitude"))
            .y_desc(lang.pick("纬度", "latitude"))
            .axis_desc_style(("sans-serif", 13).into_font().color(&color(palette::INK)))
            .label_style(("sans-serif", 12).into_font().color(&color(palette::INK)))
            .bold_line_style(color(palette::GREY).mix(0.2))
            .light_line_style(TRANSPARENT)
            .axis_style(color(palette::GREY))
            .draw()?;
        // Households without the section first, so coloured points stay on top.
        chart.draw_series(
            points
                .iter()
                .filter(|p| p.rate.is_none())
                .map(|p| Circle::new((p.lon, p.lat), 2, color(palette::GREY).mix(0.6))),
        )?;
        chart.draw_series(points.iter().filter_map(|p| {
            let rate = p.rate?;
            Some(Circle::new(
                (p.lon, p.lat),
                3,
                color(bin_colour(rate)).filled(),
            ))
        }))?;
        // Names near the centre of their points: above if free, else below, right or
        // left; a name that fits nowhere is left out rather than drawn over another.
        let mut placed: Vec<(f64, f64, f64, f64)> = Vec::new();
        for label in &data.labels {
            let name = label.name.get(lang);
            let (px, py) = chart.backend_coord(&(label.lon, label.lat));
            let half = svg::text_width_em(name) * 6.0 + 2.0;
            let (px, py) = (f64::from(px), f64::from(py));
            let candidates = [
                (px, py - 12.0),
                (px, py + 22.0),
                (px + half + 10.0, py + 4.0),
                (px - half - 10.0, py + 4.0),
            ];
            let free = candidates.into_iter().find_map(|(x, y)| {
                // Keep the whole name on the canvas.
                let x = x.clamp(half + 2.0, f64::from(width) - half - 2.0);
                let bbox = (x - half, y - 11.0, x + half, y + 3.0);
                let clear = placed
                    .iter()
                    .all(|b| bbox.2 < b.0 || bbox.0 > b.2 || bbox.3 < b.1 || bbox.1 > b.3);
                clear.then_some((x, y, bbox))
            });
            if let Some((x, y, bbox)) = free {
                placed.push(bbox);
                overlay.halo_text((x.round() as i32, y.round() as i32), 12.0, name);
            }
        }
        if points.is_empty() {
            let (px, py) = chart.backend_coord(&((lon0 + lon1) / 2.0, (lat0 + lat1) / 2.0));
            overlay.text(
                (px, py),
                14.0,
                Align::Middle,
                palette::GREY,
                false,
                0,
                lang.pick("无GPS数据", "no GPS points"),
            );
        }
        root.present()?;
    }

    let name = indicator_name(data.indicator, lang);
    let title = options
        .title
        .clone()
        .unwrap_or_else(|| match (data.year, lang) {
            (Some(y), Lang::Zh) => format!("{y}年调查点位:{name}"),
            (Some(y), Lang::En) => format!("Survey points by {}, {y}", name.to_lowercase()),
            (None, Lang::Zh) => format!("调查点位:{name}"),
            (None, Lang::En) => format!("Survey points by {}", name.to_lowercase()),
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
    let with_rate = points.iter().filter(|p| p.rate.is_some()).count();
    overlay.text(
        (centre, 48),
        12.0,
        Align::Middle,
        palette::GREY,
        false,
        0,
        &match lang {
            Lang::Zh => format!("每点一户,颜色为该户比率;{with_rate} 户有该项数据,共 {} 个点位", points.len()),
            Lang::En => format!(
                "One dot per household, coloured by its own rate; {with_rate} of {} points have the section",
                points.len()
            ),
        },
    );
    let mut x = 76;
    for (_, tint, label) in BINS {
        x = overlay.legend_item((x, 72), Swatch::Dot, tint, label);
    }
    overlay.legend_item(
        (x, 72),
        Swatch::Dot,
        palette::GREY,
        lang.pick("无该项", "no section"),
    );
    Ok(overlay.finish(out))
}
