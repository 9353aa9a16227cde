//! Chart (4): a schematic map, one tile per county, placed by the rough position of its
//! seat and coloured by the county's rate. Not a map of boundaries: a map shown to the
//! public in China must be an approved one (审图号, 地图管理条例), and no approved county
//! outlines can ship with the product, so this chart says 示意图, not to scale, on its
//! face (README "Maps", CHARTS.md).
//!
//! Tiles come from the same county groups as the bars (never household GPS points).
//! Seats are `data/county_tiles.csv`: the town each county is governed from, its
//! position rounded to 0.1°, from public gazetteer entries of those towns. The tiles of
//! one prefecture form a block, laid out on a grid by those positions (nearest free cell
//! where two seats share one); blocks run west to east.

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::layout::{ASCENT_EM, Heading, line_step, text_px, wrap};
use super::svg::SvgBackend;
use super::{
    Align, ChartError, ChartOptions, Label, Lang, Overlay, Swatch, Value, finite, indicator_name,
    palette, percent, region_label,
};
use crate::csv;
use crate::estimate::SMALL_N;
use crate::indicators::{GroupIndicators, Indicator};
use crate::regions::{RegionLevel, RegionTable};

/// Chart (4): one tile per county.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapData {
    /// The indicator.
    pub indicator: Indicator,
    /// The year shown, if one.
    pub year: Option<i32>,
    /// One tile per county.
    pub tiles: Vec<MapTile>,
}

/// One county's tile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapTile {
    /// County code.
    pub code: String,
    /// The county's name.
    pub name: Label,
    /// The name written on the tile (without 县 / County).
    pub short: Label,
    /// The block the tile is drawn in: the county's prefecture.
    #[serde(default)]
    pub area: Option<Label>,
    /// The rough position of the county's seat; a tile without one is drawn in a block
    /// of its own, "position not recorded".
    #[serde(default)]
    pub seat: Option<Seat>,
    /// The county's rate.
    pub value: Value,
}

/// A rough position, degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Seat {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// The seats shipped with the product.
const COUNTY_TILES_CSV: &str = include_str!("../../data/county_tiles.csv");

/// A county's short names and seat, from `data/county_tiles.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct CountyTile {
    /// County code.
    pub code: String,
    /// Name on the tile.
    pub short: Label,
    /// The seat town's name.
    pub seat_name: Label,
    /// Its rough position.
    pub seat: Seat,
}

/// Every county's tile entry.
pub fn county_tiles() -> Vec<CountyTile> {
    // Checked by a unit test; a county missing here is drawn unplaced, never misplaced.
    parse_tiles(COUNTY_TILES_CSV).unwrap_or_default()
}

fn parse_tiles(text: &str) -> Result<Vec<CountyTile>, String> {
    csv::records(text)?
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            let field = |name: &str| row.get(name).cloned().unwrap_or_default();
            let degrees = |name: &str| {
                field(name)
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("line {}: {name} is not a number", index + 2))
            };
            Ok(CountyTile {
                code: field("code"),
                short: Label {
                    zh: field("short_zh"),
                    en: field("short_en"),
                },
                seat_name: Label {
                    zh: field("seat_zh"),
                    en: field("seat_en"),
                },
                seat: Seat {
                    lat: degrees("lat")?,
                    lon: degrees("lon")?,
                },
            })
        })
        .collect()
}

/// A name without its generic ending, for a county the tile table does not know.
fn shortened(name: &Label) -> Label {
    let zh = ["自治县", "县", "市", "区"]
        .iter()
        .find_map(|end| name.zh.strip_suffix(end).filter(|s| s.chars().count() >= 2))
        .unwrap_or(&name.zh);
    let en = [" County", " City", " District"]
        .iter()
        .find_map(|end| name.en.strip_suffix(end))
        .unwrap_or(&name.en);
    Label {
        zh: zh.to_owned(),
        en: en.to_owned(),
    }
}

impl MapData {
    /// The tiles with non-finite numbers and seats off the globe dropped.
    fn sanitized(&self) -> MapData {
        MapData {
            tiles: self
                .tiles
                .iter()
                .map(|t| MapTile {
                    value: t.value.sanitized(),
                    seat: t.seat.filter(|s| {
                        finite(Some(s.lat)).is_some()
                            && finite(Some(s.lon)).is_some()
                            && s.lat.abs() <= 90.0
                            && s.lon.abs() <= 180.0
                    }),
                    ..t.clone()
                })
                .collect(),
            ..self.clone()
        }
    }
}

/// Chart (4) data from groups computed by county (for one `year`, or all years pooled
/// when none): one tile per county group, with its seat and prefecture.
pub fn map_data(
    groups: &[GroupIndicators],
    indicator: Indicator,
    year: Option<i32>,
    regions: &RegionTable,
) -> MapData {
    let seats = county_tiles();
    let tiles = groups
        .iter()
        .filter(|g| year.is_none() || g.key.year == year)
        .filter_map(|g| {
            let code = g.key.region_code.clone()?;
            let region = regions.get(&code);
            if region.is_some_and(|r| r.level != RegionLevel::County) {
                return None;
            }
            let name = region_label(g);
            let entry = seats.iter().find(|t| t.code == code);
            let area = region
                .and_then(|r| r.parent_code.as_deref())
                .and_then(|p| regions.get(p))
                .map(Label::from);
            let value = g.indicators.get(&indicator).map_or(
                Value {
                    rate: None,
                    ci_low: None,
                    ci_high: None,
                    n: 0,
                },
                Value::from,
            );
            Some(MapTile {
                short: entry.map_or_else(|| shortened(&name), |t| t.short.clone()),
                seat: entry.map(|t| t.seat),
                code,
                name,
                area,
                value,
            })
        })
        .collect();
    MapData {
        indicator,
        year,
        tiles,
    }
}

/// Rate classes and their colours: a sequential ramp (viridis stops), readable with the
/// common colour-vision deficiencies; the classes are of the rate, not of the status.
const BINS: [(f64, (u8, u8, u8), &str); 5] = [
    (0.5, (0x44, 0x01, 0x54), "< 50%"),
    (0.7, (0x3B, 0x52, 0x8B), "50–70%"),
    (0.85, (0x21, 0x91, 0x8C), "70–85%"),
    (0.95, (0x5E, 0xC9, 0x62), "85–95%"),
    (f64::INFINITY, (0xFD, 0xE7, 0x25), "≥ 95%"),
];

/// A tile without data.
const NO_DATA_FILL: (u8, u8, u8) = (0xEE, 0xEE, 0xEE);
/// Text on light tiles.
const DARK_TEXT: (u8, u8, u8) = (0x11, 0x11, 0x11);

fn bin_colour(rate: f64) -> (u8, u8, u8) {
    BINS.iter()
        .find(|(upper, _, _)| rate < *upper)
        .map_or(BINS[4].1, |(_, c, _)| *c)
}

/// Relative luminance (WCAG 2).
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            libm::pow((c + 0.055) / 1.055, 2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// Contrast ratio of two colours (WCAG 2), 1–21.
pub(crate) fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// White or near-black, whichever reads better on `fill`.
fn text_on(fill: (u8, u8, u8)) -> (u8, u8, u8) {
    let white = (0xFF, 0xFF, 0xFF);
    if contrast(white, fill) >= contrast(DARK_TEXT, fill) {
        white
    } else {
        DARK_TEXT
    }
}

/// Grid cells (column, row) for positions `(lat, lon)`, in order: each position scaled
/// onto a grid of about √n columns (fewer than `max_cols`), in the nearest free cell
/// where two share one; columns and rows from 0.
fn grid(seats: &[Seat], max_cols: i32) -> Vec<(i32, i32)> {
    let n = seats.len();
    if n == 0 {
        return Vec::new();
    }
    let mean_lat = seats.iter().map(|s| s.lat).sum::<f64>() / n as f64;
    let cos = libm::cos(mean_lat.to_radians()).max(0.1);
    let xy: Vec<(f64, f64)> = seats.iter().map(|s| (s.lon * cos, -s.lat)).collect();
    let (x_min, x_max) = xy
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
    let (y_min, y_max) = xy
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    let (w, h) = (x_max - x_min, y_max - y_min);
    let aspect = if h > 1e-9 {
        (w / h).clamp(0.5, 2.5)
    } else {
        2.5
    };
    let cols = ((n as f64 * aspect).sqrt().ceil() as i32).clamp(1, max_cols.max(1));
    let span = w.max(h).max(1e-6);
    let mut cell = if w > 1e-9 {
        w / f64::from((cols - 1).max(1))
    } else {
        span / f64::from((cols - 1).max(1))
    };
    for _ in 0..12 {
        let cells = assign(&xy, (x_min, y_min), cell);
        let min_c = cells.iter().map(|c| c.0).min().unwrap_or(0);
        let max_c = cells.iter().map(|c| c.0).max().unwrap_or(0);
        if max_c - min_c < max_cols.max(1) {
            let min_r = cells.iter().map(|c| c.1).min().unwrap_or(0);
            return cells.iter().map(|&(c, r)| (c - min_c, r - min_r)).collect();
        }
        cell *= 1.3;
    }
    // Positions no grid of that width holds: row by row, in order.
    let cols = max_cols.max(1);
    (0..n as i32).map(|i| (i % cols, i / cols)).collect()
}

/// Each position in the cell nearest it that is still free, in order.
fn assign(xy: &[(f64, f64)], (x_min, y_min): (f64, f64), cell: f64) -> Vec<(i32, i32)> {
    let mut taken: Vec<(i32, i32)> = Vec::new();
    for &(x, y) in xy {
        let (fx, fy) = ((x - x_min) / cell, (y - y_min) / cell);
        let home = (fx.round() as i32, fy.round() as i32);
        let mut best = None;
        'rings: for radius in 0..=(xy.len() as i32 + 2) {
            let mut ring: Vec<((i32, i32), f64)> = Vec::new();
            for dy in -radius..=radius {
                for dx in -radius..=radius {
                    if dx.abs().max(dy.abs()) != radius {
                        continue;
                    }
                    let c = (home.0 + dx, home.1 + dy);
                    if !taken.contains(&c) {
                        let d = (f64::from(c.0) - fx).powi(2) + (f64::from(c.1) - fy).powi(2);
                        ring.push((c, d));
                    }
                }
            }
            // The nearest free cell of the ring; ties go to the upper, then the left one.
            ring.sort_by(|a, b| {
                a.1.total_cmp(&b.1)
                    .then((a.0.1, a.0.0).cmp(&(b.0.1, b.0.0)))
            });
            if let Some((c, _)) = ring.first() {
                best = Some(*c);
                break 'rings;
            }
        }
        taken.push(best.unwrap_or(home));
    }
    taken
}

/// Sizes, px.
const MARGIN: f64 = 10.0;
const TILE_GAP: i32 = 4;
const NAME_PX: f64 = 11.0;
const VALUE_PX: f64 = 12.0;
const COUNT_PX: f64 = 10.0;
const CAPTION_PX: f64 = 12.0;
const MIN_TILE: i32 = 58;
const MAX_TILE: i32 = 92;

/// One block of tiles: its caption, tiles (indexes into the data) and their cells.
struct Block {
    caption: Vec<String>,
    tiles: Vec<usize>,
    cells: Vec<(i32, i32)>,
    cols: i32,
    rows: i32,
    mean_lon: f64,
}

/// Draws chart (4) as SVG, as tall as its blocks need.
pub fn map(data: &MapData, options: &ChartOptions) -> Result<String, ChartError> {
    let lang = options.lang;
    let data = &data.sanitized();
    let width = options.size().0;
    let name = indicator_name(data.indicator, lang);
    let mut legend: Vec<_> = BINS
        .iter()
        .map(|&(_, tint, label)| (Swatch::Box, tint, label))
        .collect();
    legend.push((Swatch::Box, NO_DATA_FILL, lang.pick("无数据", "no data")));
    legend.push((
        Swatch::DashedBox,
        palette::INK,
        lang.pick("虚线框:n < 30,仅供参考", "dashed: fewer than 30 households"),
    ));
    let heading = Heading::new(
        options,
        || match (data.year, lang) {
            (Some(y), Lang::Zh) => format!("{y}年各县{name}(示意图)"),
            (Some(y), Lang::En) => format!("{name} by county, {y} (schematic)"),
            (None, Lang::Zh) => format!("各县{name}(示意图)"),
            (None, Lang::En) => format!("{name} by county (schematic)"),
        },
        lang.pick(
            "示意图,不按比例:每格一县,按县城大致方位排列,不表示行政区域界线",
            "Schematic, not to scale: one tile per county, placed by the rough position of its seat; not a map of boundaries",
        ),
        &legend,
    );

    // Blocks: one per prefecture, then the counties without a recorded seat.
    let avail = f64::from(width) - 2.0 * MARGIN;
    let max_cols =
        (((avail + f64::from(TILE_GAP)) / f64::from(MIN_TILE + TILE_GAP)).floor() as i32).max(1);
    let mut blocks: Vec<Block> = Vec::new();
    let mut areas: Vec<Option<Label>> = Vec::new();
    for t in data.tiles.iter().filter(|t| t.seat.is_some()) {
        if !areas.contains(&t.area) {
            areas.push(t.area.clone());
        }
    }
    for area in &areas {
        let tiles: Vec<usize> = (0..data.tiles.len())
            .filter(|&i| data.tiles[i].seat.is_some() && &data.tiles[i].area == area)
            .collect();
        let seats: Vec<Seat> = tiles.iter().filter_map(|&i| data.tiles[i].seat).collect();
        let cells = grid(&seats, max_cols);
        let caption = area.as_ref().map_or_else(
            || lang.pick("其他", "other").to_owned(),
            |a| a.get(lang).to_owned(),
        );
        blocks.push(block(
            caption,
            tiles,
            cells,
            seats.iter().map(|s| s.lon).sum::<f64>() / seats.len().max(1) as f64,
        ));
    }
    let unplaced: Vec<usize> = (0..data.tiles.len())
        .filter(|&i| data.tiles[i].seat.is_none())
        .collect();
    blocks.sort_by(|a, b| a.mean_lon.total_cmp(&b.mean_lon));
    if !unplaced.is_empty() {
        let cells = (0..unplaced.len() as i32)
            .map(|i| (i % max_cols, i / max_cols))
            .collect();
        blocks.push(block(
            lang.pick("位置未登记", "position not recorded").to_owned(),
            unplaced,
            cells,
            f64::INFINITY,
        ));
    }

    // One tile size for all: the widest block fits the width.
    let widest = blocks.iter().map(|b| b.cols).max().unwrap_or(1);
    let tile_w = ((avail as i32 - (widest - 1) * TILE_GAP) / widest).clamp(MIN_TILE, MAX_TILE);
    let text_w = f64::from(tile_w - 8);
    let names: Vec<Vec<String>> = data
        .tiles
        .iter()
        .map(|t| wrap(t.short.get(lang), NAME_PX, false, text_w, 2))
        .collect();
    let name_lines = names.iter().map(Vec::len).max().unwrap_or(1);
    let tile_h = (6.0
        + line_step(NAME_PX) * name_lines as f64
        + line_step(VALUE_PX)
        + line_step(COUNT_PX)
        + 2.0)
        .ceil() as i32;

    // Blocks flow left to right, wrapping to a new band when the width is used up.
    let caption_h = |b: &Block| (line_step(CAPTION_PX) * b.caption.len() as f64).ceil() as i32 + 4;
    let mut placed: Vec<(i32, i32)> = Vec::new();
    let (mut x, mut y) = (MARGIN as i32, heading.height);
    let mut band_h = 0;
    for b in &mut blocks {
        let grid_w = b.cols * tile_w + (b.cols - 1) * TILE_GAP;
        b.caption = wrap(
            &b.caption.concat(),
            CAPTION_PX,
            true,
            f64::from(grid_w.max(tile_w * 2)),
            2,
        );
        let caption_w = b
            .caption
            .iter()
            .map(|l| text_px(l, CAPTION_PX, true).ceil() as i32)
            .max()
            .unwrap_or(0);
        let footprint = grid_w.max(caption_w);
        if x > MARGIN as i32 && f64::from(x + footprint) > f64::from(width) - MARGIN {
            x = MARGIN as i32;
            y += band_h + 14;
            band_h = 0;
        }
        placed.push((x, y));
        band_h = band_h.max(caption_h(b) + b.rows * tile_h + (b.rows - 1) * TILE_GAP);
        x += footprint + 18;
    }
    // As tall as the blocks need (the asked height would only add white space).
    let height = ((y + band_h + 14).max(0) as u32).clamp(240, 4000);

    let mut out = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SvgBackend::new(&mut out, width, height).into_drawing_area();
        root.fill(&WHITE)?;
        for (b, &(bx, by)) in blocks.iter().zip(&placed) {
            for (k, line) in b.caption.iter().enumerate() {
                let baseline =
                    f64::from(by) + ASCENT_EM * CAPTION_PX + k as f64 * line_step(CAPTION_PX);
                overlay.text(
                    (bx, baseline.round() as i32),
                    CAPTION_PX,
                    Align::Start,
                    palette::INK,
                    true,
                    line,
                );
            }
            let grid_top = by + caption_h(b);
            for (&index, &(col, row)) in b.tiles.iter().zip(&b.cells) {
                let tile = &data.tiles[index];
                let tx = bx + col * (tile_w + TILE_GAP);
                let ty = grid_top + row * (tile_h + TILE_GAP);
                draw_tile(
                    &root,
                    &mut overlay,
                    tile,
                    &names[index],
                    (tx, ty),
                    (tile_w, tile_h),
                    lang,
                )?;
            }
        }
        if data.tiles.is_empty() {
            overlay.empty_chart(
                ((width / 2) as i32, heading.height + 40),
                lang.pick("无数据", "no data"),
            );
        }
        root.present()?;
    }
    heading.draw(&mut overlay);
    Ok(overlay.finish(out))
}

fn block(caption: String, tiles: Vec<usize>, cells: Vec<(i32, i32)>, mean_lon: f64) -> Block {
    let cols = cells.iter().map(|c| c.0 + 1).max().unwrap_or(1);
    let rows = cells.iter().map(|c| c.1 + 1).max().unwrap_or(1);
    Block {
        caption: vec![caption],
        tiles,
        cells,
        cols,
        rows,
        mean_lon,
    }
}

/// One tile: its colour (or "no data"), a dashed frame when n < 30, and its name, value
/// and household count in the colour that reads best on it.
fn draw_tile(
    root: &DrawingArea<SvgBackend<'_>, plotters::coord::Shift>,
    overlay: &mut Overlay,
    tile: &MapTile,
    name: &[String],
    (x, y): (i32, i32),
    (w, h): (i32, i32),
    lang: Lang,
) -> Result<(), ChartError> {
    let fill = tile.value.rate.map_or(NO_DATA_FILL, bin_colour);
    let small = tile.value.rate.is_some() && tile.value.n < SMALL_N;
    if small {
        // A white frame inside a dashed outline, visible on every class colour.
        overlay.outline((x, y), (w, h), palette::INK, 2, true);
        root.draw(&Rectangle::new(
            [(x + 4, y + 4), (x + w - 4, y + h - 4)],
            super::color(fill).filled(),
        ))?;
    } else {
        root.draw(&Rectangle::new(
            [(x, y), (x + w, y + h)],
            super::color(fill).filled(),
        ))?;
        if tile.value.rate.is_none() {
            overlay.outline((x, y), (w, h), (0xBB, 0xBB, 0xBB), 1, false);
        }
    }
    let ink = if tile.value.rate.is_some() {
        text_on(fill)
    } else {
        palette::GREY_TEXT
    };
    let cx = x + w / 2;
    let mut baseline = f64::from(y) + 5.0 + ASCENT_EM * NAME_PX;
    for line in name {
        overlay.text(
            (cx, baseline.round() as i32),
            NAME_PX,
            Align::Middle,
            ink,
            false,
            line,
        );
        baseline += line_step(NAME_PX);
    }
    // The value and count sit at the same place in every tile, whatever the name's lines.
    let count_baseline = f64::from(y + h) - 4.0 - 0.26 * COUNT_PX;
    let value_baseline = count_baseline - line_step(COUNT_PX);
    let value = match tile.value.rate {
        Some(rate) => percent(rate, 1),
        None => lang.pick("无数据", "no data").to_owned(),
    };
    overlay.text(
        (cx, value_baseline.round() as i32),
        VALUE_PX,
        Align::Middle,
        ink,
        tile.value.rate.is_some(),
        &value,
    );
    overlay.text(
        (cx, count_baseline.round() as i32),
        COUNT_PX,
        Align::Middle,
        ink,
        false,
        &format!("n={}", tile.value.n),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_county_of_the_region_table_has_a_seat() {
        let tiles = county_tiles();
        assert_eq!(
            parse_tiles(COUNTY_TILES_CSV).map(|t| t.len()),
            Ok(tiles.len())
        );
        let regions = RegionTable::builtin();
        for county in regions.iter().filter(|r| r.level == RegionLevel::County) {
            let tile = tiles.iter().find(|t| t.code == county.code);
            let Some(tile) = tile else {
                panic!(
                    "{} {} has no seat in county_tiles.csv",
                    county.code, county.name_zh
                )
            };
            // The seat lies in the county's prefecture's rough box.
            let bbox = regions.bounding_box(&county.code);
            assert!(
                bbox.is_some_and(|b| b.contains(tile.seat.lat, tile.seat.lon)),
                "{}: seat {:?} outside {bbox:?}",
                county.code,
                tile.seat
            );
        }
    }

    #[test]
    fn seats_keep_their_compass_order_on_the_grid() {
        // Ali: 日土 is north of 噶尔, which is north of 普兰; 措勤 is the easternmost.
        let tiles = county_tiles();
        let ali: Vec<&CountyTile> = tiles
            .iter()
            .filter(|t| t.code.starts_with("5425"))
            .collect();
        let cells = grid(&ali.iter().map(|t| t.seat).collect::<Vec<_>>(), 6);
        let cell = |code: &str| {
            ali.iter()
                .position(|t| t.code == code)
                .map(|i| cells[i])
                .unwrap_or((-1, -1))
        };
        assert!(cell("542524").1 < cell("542523").1);
        assert!(cell("542523").1 < cell("542521").1);
        assert!(cells.iter().all(|c| c.0 <= cell("542527").0));
        // No two tiles share a cell.
        for (i, a) in cells.iter().enumerate() {
            assert!(!cells[i + 1..].contains(a), "{cells:?}");
        }
    }

    #[test]
    fn tile_text_is_legible_on_every_class() {
        for (_, fill, label) in BINS {
            assert!(contrast(text_on(fill), fill) >= 4.5, "{label}");
        }
        assert!(contrast(palette::GREY_TEXT, NO_DATA_FILL) >= 4.5);
    }
}
