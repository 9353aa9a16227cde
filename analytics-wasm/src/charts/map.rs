//! Chart (4): survey GPS points on longitude/latitude axes, coloured by each household's
//! rate. No base map is shipped (the crate does no I/O and carries no outlines); equal
//! scaling of the axes keeps distances honest.

use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::svg::{self, SvgBackend};
use super::{
    ChartError, ChartOptions, Label, Lang, Overlay, Swatch, color, finite, house_style,
    indicator_name, palette, plot_area,
};
use crate::estimate::ratio;
use crate::indicators::{HouseholdFacts, Indicator};
use crate::regions::RegionTable;

/// Chart (4): survey points coloured by a household's rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapData {
    /// The indicator.
    pub indicator: Indicator,
    /// The year shown, if one.
    pub year: Option<i32>,
    /// One point per household with a GPS fix.
    pub points: Vec<MapPoint>,
    /// Place names to write on the map (e.g. each county at the centre of its points).
    #[serde(default)]
    pub labels: Vec<MapLabel>,
}

/// A name written on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapLabel {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// The name.
    pub name: Label,
}

/// A household on the map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MapPoint {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// The household's own rate (y / x); none when it lacks the section.
    pub rate: Option<f64>,
}

impl MapData {
    /// The points and names on the globe, with non-finite rates dropped.
    fn sanitized(&self) -> MapData {
        MapData {
            points: self
                .points
                .iter()
                .filter(|p| p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0)
                .map(|p| MapPoint {
                    rate: finite(p.rate),
                    ..*p
                })
                .collect(),
            labels: self
                .labels
                .iter()
                .filter(|l| l.lat.abs() <= 90.0 && l.lon.abs() <= 180.0)
                .cloned()
                .collect(),
            ..self.clone()
        }
    }
}

/// Chart (4) data from household facts: every household with a GPS fix, and each
/// county's name at the centre of its points.
pub fn map_data(
    facts: &[HouseholdFacts],
    indicator: Indicator,
    year: Option<i32>,
    regions: &RegionTable,
) -> MapData {
    let located: Vec<(&HouseholdFacts, f64, f64)> = facts
        .iter()
        .filter(|f| year.is_none_or(|y| f.year == y))
        .filter_map(|f| Some((f, f.lat?, f.lon?)))
        .collect();
    let mut centres: BTreeMap<&str, (f64, f64, usize)> = BTreeMap::new();
    for (f, lat, lon) in &located {
        let centre = centres.entry(f.county_code.as_str()).or_default();
        centre.0 += lat;
        centre.1 += lon;
        centre.2 += 1;
    }
    MapData {
        indicator,
        year,
        points: located
            .iter()
            .map(|(f, lat, lon)| MapPoint {
                lat: *lat,
                lon: *lon,
                rate: f.get(indicator).and_then(|r| ratio(r.y, r.x)),
            })
            .collect(),
        labels: centres
            .into_iter()
            .filter_map(|(code, (lat, lon, count))| {
                let region = regions.get(code)?;
                Some(MapLabel {
                    lat: lat / count as f64,
                    lon: lon / count as f64,
                    name: Label::from(region),
                })
            })
            .collect(),
    }
}

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
        let mut chart = plot_area(&root, 12, 44, lon0..lon1, lat0..lat1)?;
        house_style(
            chart
                .configure_mesh()
                .x_labels(8)
                .y_labels(6)
                .x_label_formatter(&|v| format!("{v:.1}°E"))
                .y_label_formatter(&|v| format!("{v:.1}°N"))
                .x_desc(lang.pick("经度", "longitude"))
                .y_desc(lang.pick("纬度", "latitude")),
            0.2,
        )
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
            let centre = chart.backend_coord(&((lon0 + lon1) / 2.0, (lat0 + lat1) / 2.0));
            overlay.empty_chart(centre, lang.pick("无GPS数据", "no GPS points"));
        }
        root.present()?;
    }

    let name = indicator_name(data.indicator, lang);
    let with_rate = points.iter().filter(|p| p.rate.is_some()).count();
    let subtitle = match lang {
        Lang::Zh => format!(
            "每点一户,颜色为该户比率;{with_rate} 户有该项数据,共 {} 个点位",
            points.len()
        ),
        Lang::En => format!(
            "One dot per household, coloured by its own rate; {with_rate} of {} points have the section",
            points.len()
        ),
    };
    let mut legend: Vec<_> = BINS
        .iter()
        .map(|&(_, tint, label)| (Swatch::Dot, tint, label))
        .collect();
    legend.push((
        Swatch::Dot,
        palette::GREY,
        lang.pick("无该项", "no section"),
    ));
    overlay.heading(
        options,
        || match (data.year, lang) {
            (Some(y), Lang::Zh) => format!("{y}年调查点位:{name}"),
            (Some(y), Lang::En) => format!("Survey points by {}, {y}", name.to_lowercase()),
            (None, Lang::Zh) => format!("调查点位:{name}"),
            (None, Lang::En) => format!("Survey points by {}", name.to_lowercase()),
        },
        &subtitle,
        &legend,
    );
    Ok(overlay.finish(out))
}
