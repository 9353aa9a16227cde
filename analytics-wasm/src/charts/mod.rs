//! Charts of the indicators, drawn with plotters into SVG on every target, and into PNG
//! on the server (feature `png`).
//!
//! Each chart is a function from plain data (serializable, so the web page can pass
//! JSON) to an SVG string. Coordinates, axes and shapes go through plotters; all text
//! goes through [`svg::SvgBackend`], which measures it with a fixed metric, so the SVG
//! is byte-identical natively and in WASM, and plotters' font code (which panics in
//! Node) is never reached. Colours are the Okabe–Ito palette, which stays distinct for
//! the common forms of colour blindness.

mod bars;
mod map;
#[cfg(feature = "png")]
mod png;
mod straw;
pub mod svg;
mod trend;

use serde::{Deserialize, Serialize};
use std::fmt::Write;

use crate::estimate::RatioEstimate;
use crate::indicators::{GroupIndicators, HouseholdFacts, Indicator, StrawUse};
use crate::regions::RegionTable;
use crate::targets::TargetTable;

pub use bars::indicator_by_region;
pub use map::map;
#[cfg(feature = "png")]
pub use png::svg_to_png;
pub use straw::straw_uses;
pub use trend::trend;

/// Okabe–Ito colours, as RGB.
pub mod palette {
    /// Orange.
    pub const ORANGE: (u8, u8, u8) = (0xE6, 0x9F, 0x00);
    /// Sky blue.
    pub const SKY_BLUE: (u8, u8, u8) = (0x56, 0xB4, 0xE9);
    /// Bluish green.
    pub const GREEN: (u8, u8, u8) = (0x00, 0x9E, 0x73);
    /// Yellow.
    pub const YELLOW: (u8, u8, u8) = (0xF0, 0xE4, 0x42);
    /// Blue.
    pub const BLUE: (u8, u8, u8) = (0x00, 0x72, 0xB2);
    /// Vermillion.
    pub const VERMILLION: (u8, u8, u8) = (0xD5, 0x5E, 0x00);
    /// Reddish purple.
    pub const PURPLE: (u8, u8, u8) = (0xCC, 0x79, 0xA7);
    /// Text and axes.
    pub const INK: (u8, u8, u8) = (0x33, 0x33, 0x33);
    /// Secondary text, grid.
    pub const GREY: (u8, u8, u8) = (0x88, 0x88, 0x88);
}

/// The language of titles and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// Chinese.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Picks the text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Size, language and an optional title of a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartOptions {
    /// Language of the generated text.
    #[serde(default)]
    pub lang: Lang,
    /// Width, px.
    #[serde(default = "default_width")]
    pub width: u32,
    /// Height, px.
    #[serde(default = "default_height")]
    pub height: u32,
    /// A title to use instead of the generated one.
    #[serde(default)]
    pub title: Option<String>,
}

fn default_width() -> u32 {
    800
}

fn default_height() -> u32 {
    480
}

impl ChartOptions {
    /// Width and height kept within 320×240 and 4000×4000 px: smaller cannot hold the
    /// labels, larger is a mistake that would make a huge document.
    pub fn size(&self) -> (u32, u32) {
        (self.width.clamp(320, 4000), self.height.clamp(240, 4000))
    }
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            lang: Lang::Zh,
            width: default_width(),
            height: default_height(),
            title: None,
        }
    }
}

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChartError {}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>>
    for ChartError
{
    fn from(err: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        ChartError(err.to_string())
    }
}

/// A region's name in both languages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Label {
    /// The text for `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

/// A rate with its interval and household count, as charts need it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Value {
    /// The rate; none when the group has no denominator.
    pub rate: Option<f64>,
    /// Lower end of the 95 % interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95 % interval.
    pub ci_high: Option<f64>,
    /// Households.
    pub n: usize,
}

impl From<&RatioEstimate> for Value {
    fn from(e: &RatioEstimate) -> Self {
        Value {
            rate: e.rate,
            ci_low: e.ci_low,
            ci_high: e.ci_high,
            n: e.n,
        }
    }
}

/// A target to draw as a line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TargetLine {
    /// Target rate.
    pub rate: f64,
    /// Target year.
    pub year: i32,
}

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

/// Any chart, tagged by kind (the form `renderChart` takes from JavaScript).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Chart {
    /// Chart (1).
    IndicatorByRegion(IndicatorByRegionData),
    /// Chart (2).
    Trend(TrendData),
    /// Chart (3).
    StrawUses(StrawUsesData),
    /// Chart (4).
    Map(MapData),
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

impl Value {
    /// Non-finite numbers (possible only from native callers) dropped.
    fn sanitized(self) -> Value {
        Value {
            rate: finite(self.rate),
            ci_low: finite(self.ci_low),
            ci_high: finite(self.ci_high),
            n: self.n,
        }
    }
}

impl TargetLine {
    fn sanitized(self) -> Option<TargetLine> {
        self.rate.is_finite().then_some(TargetLine {
            rate: self.rate,
            year: self.year.clamp(1900, 2200),
        })
    }
}

// Every chart first drops what cannot be drawn (non-finite numbers, years beyond any
// plan), so that no bad input reaches plotters' integer pixel arithmetic.
impl IndicatorByRegionData {
    pub(crate) fn sanitized(&self) -> IndicatorByRegionData {
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

impl TrendData {
    pub(crate) fn sanitized(&self) -> TrendData {
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

impl StrawUsesData {
    pub(crate) fn sanitized(&self) -> StrawUsesData {
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

impl MapData {
    pub(crate) fn sanitized(&self) -> MapData {
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

/// Draws any chart as SVG.
pub fn render_svg(chart: &Chart, options: &ChartOptions) -> Result<String, ChartError> {
    match chart {
        Chart::IndicatorByRegion(data) => indicator_by_region(data, options),
        Chart::Trend(data) => trend(data, options),
        Chart::StrawUses(data) => straw_uses(data, options),
        Chart::Map(data) => map(data, options),
    }
}

/// Draws any chart as PNG (server only): the SVG of [`render_svg`] rasterized with
/// `font` (bytes of a CJK font file) at `scale`.
#[cfg(feature = "png")]
pub fn render_png(
    chart: &Chart,
    options: &ChartOptions,
    font: &[u8],
    scale: f32,
) -> Result<Vec<u8>, ChartError> {
    svg_to_png(&render_svg(chart, options)?, font, scale)
}

/// Parses chart data of the named kind from JSON and draws it: the entry point for
/// callers holding JSON (the WASM API, the server's chart endpoint).
pub fn render_svg_json(
    kind: &str,
    data_json: &str,
    options: &ChartOptions,
) -> Result<String, ChartError> {
    let parse_error = |e: serde_json::Error| ChartError(format!("{kind} data: {e}"));
    let chart = match kind {
        "indicator_by_region" => {
            Chart::IndicatorByRegion(serde_json::from_str(data_json).map_err(parse_error)?)
        }
        "trend" => Chart::Trend(serde_json::from_str(data_json).map_err(parse_error)?),
        "straw_uses" => Chart::StrawUses(serde_json::from_str(data_json).map_err(parse_error)?),
        "map" => Chart::Map(serde_json::from_str(data_json).map_err(parse_error)?),
        other => {
            return Err(ChartError(format!(
                "unknown chart kind {other:?}; expected indicator_by_region, trend, straw_uses or map"
            )));
        }
    };
    render_svg(&chart, options)
}

fn region_label(group: &GroupIndicators) -> Label {
    let code = group.key.region_code.clone().unwrap_or_default();
    Label {
        zh: group.region_name_zh.clone().unwrap_or_else(|| code.clone()),
        en: group.region_name_en.clone().unwrap_or(code),
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
                .map(|t| TargetLine {
                    rate: t.target.target,
                    year: t.target.year,
                });
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
        .map(|r| Label {
            zh: r.name_zh.clone(),
            en: r.name_en.clone(),
        })
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
            .map(|t| TargetLine {
                rate: t.target.target,
                year: t.target.year,
            }),
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
    let mut centres: std::collections::BTreeMap<&str, (f64, f64, usize)> =
        std::collections::BTreeMap::new();
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
                rate: f
                    .get(indicator)
                    .and_then(|r| crate::estimate::ratio(r.y, r.x)),
            })
            .collect(),
        labels: centres
            .into_iter()
            .filter_map(|(code, (lat, lon, count))| {
                let region = regions.get(code)?;
                Some(MapLabel {
                    lat: lat / count as f64,
                    lon: lon / count as f64,
                    name: Label {
                        zh: region.name_zh.clone(),
                        en: region.name_en.clone(),
                    },
                })
            })
            .collect(),
    }
}

/// How region names fit under a category axis.
pub(crate) struct CategoryLabels {
    /// Rotate the names (they do not fit side by side).
    pub rotate: bool,
    /// Height of the label area below the axis, px.
    pub area: u32,
    /// Left margin, px: room for the first rotated name.
    pub margin_left: u32,
    /// The names, shortened with an ellipsis where too long to rotate.
    pub names: Vec<String>,
}

/// Longest a rotated name may be, px; longer ones are shortened.
const MAX_ROTATED_PX: f64 = 170.0;

/// Lays out region `names` under the slots of a `width`-px chart. Side by side, a name
/// and its household count go on two lines; rotated, on one, as `name (n=12)`.
pub(crate) fn category_labels(names: Vec<String>, counts: &[usize], width: u32) -> CategoryLabels {
    let count = names.len().max(1);
    let slot_px = f64::from(width.saturating_sub(110)) / count as f64;
    let px = |n: &str| svg::text_width_em(n) * 12.0;
    let rotate = names.iter().any(|n| px(n) > slot_px - 6.0);
    if !rotate {
        return CategoryLabels {
            rotate,
            area: 44,
            margin_left: 12,
            names,
        };
    }
    let names: Vec<String> = names
        .into_iter()
        .map(|name| {
            if px(&name) <= MAX_ROTATED_PX - 48.0 {
                return name;
            }
            let mut short = String::new();
            for c in name.chars() {
                if px(&short) + px(&c.to_string()) + px("…") > MAX_ROTATED_PX - 48.0 {
                    break;
                }
                short.push(c);
            }
            short.push('…');
            short
        })
        .zip(counts)
        .map(|(name, n)| format!("{name} (n={n})"))
        .collect();
    let widest = names.iter().map(|n| px(n)).fold(0.0, f64::max);
    // The names run up-left at 35°: the first needs cos 35° of its width left of its
    // slot's centre, of which the y-label area (64 px) and half a slot are there already.
    let first = names.first().map_or(0.0, |n| px(n));
    let needed = first * 0.82 - 64.0 - slot_px / 2.0 + 8.0;
    CategoryLabels {
        rotate,
        area: (widest * 0.58 + 24.0).ceil() as u32,
        margin_left: needed.clamp(12.0, 160.0).ceil() as u32,
        names,
    }
}

/// Formats a rate as a percentage for labels.
pub(crate) fn percent(rate: f64, decimals: usize) -> String {
    format!("{:.*}%", decimals, rate * 100.0)
}

/// The indicator's title text.
pub(crate) fn indicator_name(indicator: Indicator, lang: Lang) -> &'static str {
    lang.pick(indicator.name_zh(), indicator.name_en())
}

/// Markup drawn after plotters' own elements: legends, rotated labels, dashed lines, the
/// things plotters has no element for. Same escaping and number formatting as the
/// backend, so it is as deterministic.
#[derive(Default)]
pub(crate) struct Overlay {
    markup: String,
}

/// Horizontal text alignment of overlay text.
#[derive(Clone, Copy)]
pub(crate) enum Align {
    Start,
    Middle,
    End,
}

impl Overlay {
    pub(crate) fn line(
        &mut self,
        from: (i32, i32),
        to: (i32, i32),
        color: (u8, u8, u8),
        width: u32,
        dashed: bool,
    ) {
        let dash = if dashed {
            " stroke-dasharray=\"7 4\""
        } else {
            ""
        };
        let _ = writeln!(
            self.markup,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{width}\"{dash}/>",
            from.0,
            from.1,
            to.0,
            to.1,
            rgb(color)
        );
    }

    pub(crate) fn rect(
        &mut self,
        (x, y): (i32, i32),
        (w, h): (i32, i32),
        color: (u8, u8, u8),
        opacity: f64,
    ) {
        let alpha = if opacity >= 1.0 {
            String::new()
        } else {
            format!(" fill-opacity=\"{opacity:.3}\"")
        };
        let _ = writeln!(
            self.markup,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{}\"{alpha}/>",
            rgb(color)
        );
    }

    pub(crate) fn circle(&mut self, (x, y): (i32, i32), r: u32, color: (u8, u8, u8)) {
        let _ = writeln!(
            self.markup,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"{r}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"0.5\"/>",
            rgb(color)
        );
    }

    /// Text with a white halo, legible over coloured points.
    pub(crate) fn halo_text(&mut self, (x, y): (i32, i32), size: f64, content: &str) {
        let _ = writeln!(
            self.markup,
            "<text x=\"{x}\" y=\"{y}\" font-size=\"{size:.1}\" text-anchor=\"middle\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\">{}</text>",
            rgb(palette::INK),
            svg::escape(content)
        );
    }

    /// An unfilled ring, to mark a position without hiding what lies under it.
    pub(crate) fn ring(&mut self, (x, y): (i32, i32), r: u32, color: (u8, u8, u8)) {
        let _ = writeln!(
            self.markup,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"{r}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
            rgb(color)
        );
    }

    /// Text with its baseline at `y`, rotated by `degrees` about its anchor.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text(
        &mut self,
        (x, y): (i32, i32),
        size: f64,
        align: Align,
        color: (u8, u8, u8),
        bold: bool,
        degrees: i32,
        content: &str,
    ) {
        let anchor = match align {
            Align::Start => "start",
            Align::Middle => "middle",
            Align::End => "end",
        };
        let weight = if bold { " font-weight=\"bold\"" } else { "" };
        let rotate = if degrees == 0 {
            String::new()
        } else {
            format!(" transform=\"rotate({degrees} {x} {y})\"")
        };
        let _ = writeln!(
            self.markup,
            "<text x=\"{x}\" y=\"{y}\" font-size=\"{size:.1}\" text-anchor=\"{anchor}\" fill=\"{}\"{weight}{rotate}>{}</text>",
            rgb(color),
            svg::escape(content)
        );
    }

    /// A legend row: a swatch and its label; returns the x after it.
    pub(crate) fn legend_item(
        &mut self,
        (x, y): (i32, i32),
        swatch: Swatch,
        color: (u8, u8, u8),
        label: &str,
    ) -> i32 {
        match swatch {
            Swatch::Box => self.rect((x, y - 9), (12, 12), color, 1.0),
            Swatch::Faded => self.rect((x, y - 9), (12, 12), color, 0.45),
            Swatch::Dash => self.line((x, y - 3), (x + 14, y - 3), color, 2, true),
            Swatch::Dot => self.circle((x + 6, y - 3), 5, color),
        }
        self.text(
            (x + 18, y),
            12.0,
            Align::Start,
            palette::INK,
            false,
            0,
            label,
        );
        x + 18 + (svg::text_width_em(label) * 12.0).ceil() as i32 + 16
    }

    /// Inserts the overlay into a finished SVG document, on top of everything else.
    pub(crate) fn finish(self, mut svg: String) -> String {
        if let Some(end) = svg.rfind("</svg>") {
            svg.insert_str(end, &self.markup);
        }
        svg
    }
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
pub(crate) enum Swatch {
    Box,
    Faded,
    Dash,
    Dot,
}

pub(crate) fn rgb((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// A plotters colour from a palette entry.
pub(crate) fn color((r, g, b): (u8, u8, u8)) -> plotters::style::RGBColor {
    plotters::style::RGBColor(r, g, b)
}

#[cfg(test)]
mod tests;
