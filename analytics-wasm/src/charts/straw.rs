//! Chart (3): how each region's collectable straw is used, stacked by the five uses.

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::svg::SvgBackend;
use super::{
    ChartError, ChartOptions, Label, Lang, Overlay, Swatch, category_labels, color, draw_rate_axes,
    finite, palette, plot_area, region_label,
};
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
        let mut chart = plot_area(
            &root,
            labels.margin_left,
            labels.area,
            0.0..count as f64,
            0.0..1.0,
        )?;
        draw_rate_axes(
            &mut chart,
            6,
            lang.pick("占可收集秸秆量 (%)", "share of collectable straw (%)"),
        )?;
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
                overlay.rate((px, py - 6), palette::INK, base);
            } else {
                overlay.no_data((px, py - 8), lang);
            }
            let foot = chart.backend_coord(&(x + 0.5, 0.0));
            labels.draw(&mut overlay, i, foot, bar.n);
        }
        root.present()?;
    }

    let legend: Vec<_> = StrawUse::ALL
        .into_iter()
        .zip(USE_COLOURS)
        .map(|(use_, tint)| (Swatch::Box, tint, lang.pick(use_.name_zh(), use_.name_en())))
        .collect();
    overlay.heading(
        options,
        || match (data.year, lang) {
            (Some(y), Lang::Zh) => format!("{y}年各地区秸秆利用方式构成"),
            (Some(y), Lang::En) => format!("Straw use by region, {y}"),
            (None, Lang::Zh) => "各地区秸秆利用方式构成".to_owned(),
            (None, Lang::En) => "Straw use by region".to_owned(),
        },
        lang.pick(
            "五料化利用量占可收集量的比例(加权);柱高即秸秆综合利用率",
            "Weighted share of collectable straw by use; bar height is the utilization rate",
        ),
        &legend,
    );
    Ok(overlay.finish(out))
}
