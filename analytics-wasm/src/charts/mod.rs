//! Charts of the indicators, drawn with plotters into SVG on every target, and into PNG
//! on the server (feature `png`).
//!
//! Each chart is a function from plain data (serializable, so the web page can pass
//! JSON) to an SVG string. Coordinates, axes and shapes go through plotters; all text
//! goes through [`svg::SvgBackend`], which measures it with a fixed metric, so the SVG
//! is byte-identical natively and in WASM, and plotters' font code (which panics in
//! Node) is never reached. Colours are the Okabe–Ito palette, which stays distinct for
//! the common forms of colour blindness.
//!
//! Each chart's module holds its data type, the builder of that data from groups or
//! facts, and its draw function, so a chart is read in one file. This module holds what
//! they share (options, values and targets, the plot area and axes, the heading, the
//! region names under a category axis, the overlay) and the dispatch by kind.

mod bars;
mod layout;
mod map;
#[cfg(test)]
mod overlap;
#[cfg(feature = "png")]
mod png;
mod rows;
mod straw;
pub mod svg;
mod trend;

use plotters::chart::{ChartBuilder, ChartContext, MeshStyle};
use plotters::coord::Shift;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::types::RangedCoordf64;
use plotters::drawing::DrawingArea;
use plotters::style::{Color, IntoFont, TRANSPARENT};
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::ops::Range;

use crate::estimate::RatioEstimate;
use crate::indicators::{GroupIndicators, Indicator};
use crate::regions::Region;
use crate::targets::{ApplicableTarget, TargetOrigin};
use svg::SvgBackend;

pub use bars::{IndicatorByRegionData, RegionBar, indicator_by_region, indicator_by_region_data};
pub use map::{CountyTile, MapData, MapTile, Seat, county_tiles, map, map_data};
#[cfg(feature = "png")]
pub use png::svg_to_png;
pub use straw::{StrawBar, StrawUsesData, straw_uses, straw_uses_data};
pub use trend::{TrendData, YearPoint, trend, trend_data};

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
    /// Grid, axes and marks that are not text.
    pub const GREY: (u8, u8, u8) = (0x88, 0x88, 0x88);
    /// Secondary text: 5.7:1 on white, where `GREY` (3.5:1) is too faint to read.
    pub const GREY_TEXT: (u8, u8, u8) = (0x66, 0x66, 0x66);
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

impl From<&Region> for Label {
    fn from(region: &Region) -> Self {
        Label {
            zh: region.name_zh.clone(),
            en: region.name_en.clone(),
        }
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
    /// Where the target comes from (drawn beside the line); unknown when absent.
    #[serde(default)]
    pub source: Option<TargetOrigin>,
}

/// The short words a chart's target label gives for where the target comes from.
fn origin_words(origin: TargetOrigin, lang: Lang) -> &'static str {
    match origin {
        TargetOrigin::Own => lang.pick("本地区目标", "own target"),
        TargetOrigin::Enclosing => lang.pick("上级地区目标", "enclosing region's"),
        TargetOrigin::National => lang.pick("全国目标", "national"),
        TargetOrigin::NationalProxy => {
            lang.pick("全国畜禽粪污目标代用", "national manure target as proxy")
        }
    }
}

impl From<ApplicableTarget> for TargetLine {
    fn from(applicable: ApplicableTarget) -> Self {
        TargetLine {
            rate: applicable.target.target,
            year: applicable.target.year,
            source: Some(applicable.origin()),
        }
    }
}

impl TargetLine {
    /// "目标 90%(2030年)" / "target 90% by 2030", and the source words when known.
    pub(crate) fn label(&self, lang: Lang) -> (String, Option<&'static str>) {
        let head = match lang {
            Lang::Zh => format!("目标 {}({}年)", percent(self.rate, 0), self.year),
            Lang::En => format!("target {} by {}", percent(self.rate, 0), self.year),
        };
        (head, self.source.map(|s| origin_words(s, lang)))
    }
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

// Every chart first drops what cannot be drawn (non-finite numbers, years beyond any
// plan), so that no bad input reaches plotters' integer pixel arithmetic.

/// The number, if it is one (not NaN, not infinite).
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
    /// The line, if its rate is finite, with its year kept within any plan.
    fn sanitized(self) -> Option<TargetLine> {
        self.rate.is_finite().then_some(TargetLine {
            rate: self.rate,
            year: self.year.clamp(1900, 2200),
            source: self.source,
        })
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

/// A group's region name, or its code where the group has no name.
fn region_label(group: &GroupIndicators) -> Label {
    let code = group.key.region_code.clone().unwrap_or_default();
    Label {
        zh: group.region_name_zh.clone().unwrap_or_else(|| code.clone()),
        en: group.region_name_en.clone().unwrap_or(code),
    }
}

/// The plot area of the charts with a y axis: `margin_top` px above (the heading), fixed
/// room to the right and below; `margin_left` and `x_label_area` (px) vary with the
/// names under the axis.
pub(crate) fn plot_area<'a, 'b>(
    root: &'a DrawingArea<SvgBackend<'b>, Shift>,
    margin_top: u32,
    margin_left: u32,
    x_label_area: u32,
    x: Range<f64>,
    y: Range<f64>,
) -> Result<PlotArea<'a, 'b>, ChartError> {
    Ok(ChartBuilder::on(root)
        .margin_top(margin_top)
        .margin_left(margin_left)
        .margin_right(28)
        .margin_bottom(8)
        .x_label_area_size(x_label_area)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)?)
}

/// What [`plot_area`] returns: plotters' chart over two `f64` axes.
pub(crate) type PlotArea<'a, 'b> =
    ChartContext<'a, SvgBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The look of every chart's axes: ink text, grey axes, a faint grid of `grid_alpha`.
pub(crate) fn house_style<'m, 'a, 'b, 'c>(
    mesh: &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, SvgBackend<'c>>,
    grid_alpha: f64,
) -> &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, SvgBackend<'c>> {
    mesh.axis_desc_style(("sans-serif", 13).into_font().color(&color(palette::INK)))
        .label_style(("sans-serif", 12).into_font().color(&color(palette::INK)))
        .bold_line_style(color(palette::GREY).mix(grid_alpha))
        .light_line_style(TRANSPARENT)
        .axis_style(color(palette::GREY))
}

/// Draws the axes of a chart whose x axis holds categories (regions or years, labelled
/// by the overlay) and whose y axis is a rate in percent, named `y_desc`.
pub(crate) fn draw_rate_axes(
    chart: &mut PlotArea<'_, '_>,
    y_labels: usize,
    y_desc: &str,
) -> Result<(), ChartError> {
    house_style(
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(y_labels)
            .y_label_formatter(&|v| percent(*v, 0))
            .y_desc(y_desc),
        0.25,
    )
    .draw()?;
    Ok(())
}

/// The top of a rate axis: 100 %, or a little above the highest of `rates` when one
/// exceeds it. Rates beyond 1000 % are errors; the axis stops there and the bar is cut.
pub(crate) fn rate_axis_top(rates: impl Iterator<Item = f64>) -> f64 {
    let top = rates.fold(1.0_f64, f64::max).min(10.0);
    if top > 1.0 {
        (top * 1.1 * 10.0).ceil() / 10.0
    } else {
        1.0
    }
}

/// How many labelled ticks a rate axis up to `y_max` gets on a plot `plot_h` px tall:
/// six up to 100 %, twelve on a taller axis, fewer where they would crowd.
pub(crate) fn rate_axis_labels(y_max: f64, plot_h: f64) -> usize {
    let wanted = if y_max > 1.0 { 12 } else { 6 };
    wanted.min((plot_h / 26.0).floor().max(2.0) as usize)
}

/// Formats a rate as a percentage for labels.
pub(crate) fn percent(rate: f64, decimals: usize) -> String {
    format!("{:.*}%", decimals, rate * 100.0)
}

/// The indicator's title text.
pub(crate) fn indicator_name(indicator: Indicator, lang: Lang) -> &'static str {
    lang.pick(indicator.name_zh(), indicator.name_en())
}

/// Markup drawn after plotters' own elements: text, legends, dashed lines, hatching, the
/// things plotters has no element for. Same escaping and number formatting as the
/// backend, so it is as deterministic.
#[derive(Default)]
pub(crate) struct Overlay {
    markup: String,
}

/// Horizontal text alignment of overlay text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Start,
    Middle,
    End,
}

impl Align {
    fn anchor(self) -> &'static str {
        match self {
            Align::Start => "start",
            Align::Middle => "middle",
            Align::End => "end",
        }
    }
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

    /// A rectangle's outline, `width` px, dashed or solid, inside the rectangle.
    pub(crate) fn outline(
        &mut self,
        (x, y): (i32, i32),
        (w, h): (i32, i32),
        color: (u8, u8, u8),
        width: u32,
        dashed: bool,
    ) {
        let dash = if dashed {
            " stroke-dasharray=\"4 3\""
        } else {
            ""
        };
        let inset = width as i32 / 2;
        let _ = writeln!(
            self.markup,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width}\"{dash}/>",
            x + inset,
            y + inset,
            (w - 2 * inset).max(0),
            (h - 2 * inset).max(0),
            rgb(color)
        );
    }

    /// Diagonal hatching (45°, every 5 px) over the rectangle, clipped to it: marks a
    /// figure from few households without relying on colour.
    pub(crate) fn hatch(&mut self, (x, y): (i32, i32), (w, h): (i32, i32), color: (u8, u8, u8)) {
        if w <= 0 || h <= 0 {
            return;
        }
        let mut d = String::new();
        // Lines x − y = c run up to the right; each is clipped to the rectangle.
        let mut c = -h + 3;
        while c < w {
            let (x0, y0) = if c >= 0 { (c, h) } else { (0, h + c) };
            let (x1, y1) = if c + h <= w {
                (c + h, 0)
            } else {
                (w, h - (w - c))
            };
            let _ = write!(d, "M{} {}L{} {}", x + x0, y + y0, x + x1, y + y1);
            c += 5;
        }
        let _ = writeln!(
            self.markup,
            "<path d=\"{d}\" stroke=\"{}\" stroke-width=\"1\" fill=\"none\"/>",
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

    /// An unfilled ring, to mark a position without hiding what lies under it.
    pub(crate) fn ring(&mut self, (x, y): (i32, i32), r: u32, color: (u8, u8, u8)) {
        let _ = writeln!(
            self.markup,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"{r}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
            rgb(color)
        );
    }

    /// A hollow point: white inside, so that the band behind does not fill it.
    pub(crate) fn hollow(&mut self, (x, y): (i32, i32), r: u32, color: (u8, u8, u8)) {
        let _ = writeln!(
            self.markup,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"{r}\" fill=\"#ffffff\" stroke=\"{}\" stroke-width=\"2\"/>",
            rgb(color)
        );
    }

    /// An outlined diamond of half-diagonal `r`.
    pub(crate) fn diamond(&mut self, (x, y): (i32, i32), r: i32, color: (u8, u8, u8)) {
        let _ = writeln!(
            self.markup,
            "<polygon points=\"{},{} {},{} {},{} {},{}\" fill=\"#ffffff\" stroke=\"{}\" stroke-width=\"2\"/>",
            x,
            y - r,
            x + r,
            y,
            x,
            y + r,
            x - r,
            y,
            rgb(color)
        );
    }

    /// Text with its baseline at `y`.
    pub(crate) fn text(
        &mut self,
        (x, y): (i32, i32),
        size: f64,
        align: Align,
        color: (u8, u8, u8),
        bold: bool,
        content: &str,
    ) {
        self.write_text((x, y), size, align, color, bold, false, content);
    }

    /// Text with a white halo, legible over lines and shapes.
    pub(crate) fn halo_text(
        &mut self,
        (x, y): (i32, i32),
        size: f64,
        align: Align,
        color: (u8, u8, u8),
        bold: bool,
        content: &str,
    ) {
        self.write_text((x, y), size, align, color, bold, true, content);
    }

    #[expect(clippy::too_many_arguments, reason = "one text element's attributes")]
    fn write_text(
        &mut self,
        (x, y): (i32, i32),
        size: f64,
        align: Align,
        color: (u8, u8, u8),
        bold: bool,
        halo: bool,
        content: &str,
    ) {
        let weight = if bold { " font-weight=\"bold\"" } else { "" };
        let halo = if halo {
            " stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\""
        } else {
            ""
        };
        let _ = writeln!(
            self.markup,
            "<text x=\"{x}\" y=\"{y}\" font-size=\"{size:.1}\" text-anchor=\"{}\" fill=\"{}\"{weight}{halo}>{}</text>",
            align.anchor(),
            rgb(color),
            svg::escape(content)
        );
    }

    /// A legend entry: a swatch and its label (whose room [`layout::Heading`] measured).
    pub(crate) fn legend_item(
        &mut self,
        (x, y): (i32, i32),
        swatch: Swatch,
        color: (u8, u8, u8),
        label: &str,
    ) {
        match swatch {
            Swatch::Box => self.rect((x, y - 10), (12, 12), color, 1.0),
            Swatch::Faded => self.rect((x, y - 10), (12, 12), color, 0.45),
            Swatch::Hatched => {
                self.rect((x, y - 10), (12, 12), color, 0.35);
                self.hatch((x, y - 10), (12, 12), color);
            }
            Swatch::DashedBox => {
                self.rect((x, y - 10), (12, 12), (0xDD, 0xDD, 0xDD), 1.0);
                self.outline((x, y - 10), (12, 12), color, 2, true);
            }
            Swatch::Dash => self.line((x, y - 4), (x + 14, y - 4), color, 2, true),
            Swatch::Dot => self.circle((x + 6, y - 4), 5, color),
            Swatch::Hollow => self.hollow((x + 6, y - 4), 4, color),
            Swatch::Diamond => self.diamond((x + 6, y - 4), 5, color),
        }
        self.text((x + 18, y), 12.0, Align::Start, palette::INK, false, label);
    }

    /// The caption under one column of a column chart (bars and straw alike): the
    /// region's name, then its count, centred on `x` below the axis at `base`.
    pub(crate) fn column_caption(&mut self, x: i32, base: i32, name: &str, count: &str) {
        self.text(
            (x, base + 17),
            12.0,
            Align::Middle,
            palette::INK,
            false,
            name,
        );
        self.text(
            (x, base + 34),
            layout::COUNT_PX,
            Align::Middle,
            palette::GREY_TEXT,
            false,
            count,
        );
    }

    /// The value at the end of one row of a row chart (bold when known, grey "no data"
    /// otherwise) followed by its household count, both haloed over the grid.
    pub(crate) fn row_value(
        &mut self,
        x: i32,
        baseline: i32,
        value: &str,
        known: bool,
        count: &str,
    ) {
        let color = if known {
            palette::INK
        } else {
            palette::GREY_TEXT
        };
        self.halo_text(
            (x, baseline),
            layout::VALUE_PX,
            Align::Start,
            color,
            known,
            value,
        );
        let count_x = f64::from(x) + layout::text_px(value, layout::VALUE_PX, known) + layout::GAP;
        self.halo_text(
            (count_x.ceil() as i32, baseline),
            layout::COUNT_PX,
            Align::Start,
            palette::GREY_TEXT,
            false,
            count,
        );
    }

    /// A message in the middle of a chart with nothing to draw.
    pub(crate) fn empty_chart(&mut self, at: (i32, i32), message: &str) {
        self.text(at, 14.0, Align::Middle, palette::GREY_TEXT, false, message);
    }

    /// Inserts the overlay into a finished SVG document, on top of everything else.
    pub(crate) fn finish(self, mut svg: String) -> String {
        if let Some(end) = svg.rfind("</svg>") {
            svg.insert_str(end, &self.markup);
        }
        svg
    }
}

/// One legend entry: how it is drawn, its colour and its text.
pub(crate) type LegendEntry<'a> = (Swatch, (u8, u8, u8), &'a str);

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    /// A filled square.
    Box,
    /// A pale square.
    Faded,
    /// A pale, hatched square (few households).
    Hatched,
    /// A grey square with a dashed outline in the colour.
    DashedBox,
    /// A dashed line (a target).
    Dash,
    /// A filled dot.
    Dot,
    /// A hollow point.
    Hollow,
    /// An unfilled diamond.
    Diamond,
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
