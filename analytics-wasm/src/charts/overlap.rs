//! The chart-overlap test: every chart drawn for 1, 7, 20 and 40 regions (or years), in
//! Chinese and English, at desktop and phone widths, must have no two text boxes that
//! overlap and none that leaves the canvas.
//!
//! It reads the finished SVG, not the layout code's intentions: every `<text>` element
//! with its `x`, `y` (baseline), `font-size`, `text-anchor`, weight and rotation, boxed
//! by the crate's own metric ([`svg::text_width_em`], the ascent and descent of
//! `layout`). `tests/web/charts.test.mjs` checks the same charts with Chromium's real
//! boxes.

use super::layout::{Rect, text_px};
use super::*;
use crate::plans::PlanTable;
use crate::regions::{RegionLevel, RegionTable};

/// One `<text>` of an SVG document and the corners of its box.
#[derive(Debug, Clone)]
pub(crate) struct TextBox {
    pub text: String,
    pub corners: [(f64, f64); 4],
}

/// The value of attribute `name` in the start tag `tag`.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(&tag[start..end])
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The canvas size and every text box of `svg`.
pub(crate) fn text_boxes(svg: &str) -> ((f64, f64), Vec<TextBox>) {
    let number = |tag: &str, name: &str| {
        attribute(tag, name)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let root_end = svg.find('>').unwrap_or(0);
    let root = &svg[..root_end];
    let size = (number(root, "width"), number(root, "height"));
    let mut boxes = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text ") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let Some(close) = after.find("</text>") else {
            break;
        };
        let text = unescape(&after[tag_end + 1..close]);
        rest = &after[close..];
        let (x, y) = (number(tag, "x"), number(tag, "y"));
        let font = number(tag, "font-size");
        let bold = attribute(tag, "font-weight") == Some("bold");
        let align = match attribute(tag, "text-anchor") {
            Some("middle") => Align::Middle,
            Some("end") => Align::End,
            _ => Align::Start,
        };
        let r = Rect::of_text((x, y), font, align, bold, &text);
        let mut corners = [(r.x0, r.y0), (r.x1, r.y0), (r.x1, r.y1), (r.x0, r.y1)];
        // transform="rotate(deg cx cy)", as the backend writes for rotated labels.
        if let Some(rotate) = attribute(tag, "transform").and_then(|t| t.strip_prefix("rotate(")) {
            let parts: Vec<f64> = rotate
                .trim_end_matches(')')
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
            if let [deg, cx, cy] = parts[..] {
                let (sin, cos) = deg.to_radians().sin_cos();
                for c in &mut corners {
                    let (dx, dy) = (c.0 - cx, c.1 - cy);
                    *c = (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos);
                }
            }
        }
        if text.trim().is_empty() {
            continue;
        }
        boxes.push(TextBox { text, corners });
    }
    (size, boxes)
}

/// Whether two convex quadrilaterals overlap by more than a hair (separating axes).
fn quads_overlap(a: &[(f64, f64); 4], b: &[(f64, f64); 4]) -> bool {
    for quad in [a, b] {
        for i in 0..4 {
            let (p, q) = (quad[i], quad[(i + 1) % 4]);
            let axis = (q.1 - p.1, p.0 - q.0);
            let len = (axis.0 * axis.0 + axis.1 * axis.1).sqrt();
            if len == 0.0 {
                continue;
            }
            let project = |c: &(f64, f64)| (c.0 * axis.0 + c.1 * axis.1) / len;
            let (a0, a1) = a
                .iter()
                .map(project)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                    (l.min(v), h.max(v))
                });
            let (b0, b1) = b
                .iter()
                .map(project)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                    (l.min(v), h.max(v))
                });
            if a1 <= b0 + 0.01 || b1 <= a0 + 0.01 {
                return false;
            }
        }
    }
    true
}

/// Every problem of `svg`'s text: pairs that overlap, boxes off the canvas.
pub(crate) fn text_problems(svg: &str) -> Vec<String> {
    let ((w, h), boxes) = text_boxes(svg);
    let mut problems = Vec::new();
    for b in &boxes {
        if b.corners
            .iter()
            .any(|&(x, y)| x < -0.01 || y < -0.01 || x > w + 0.01 || y > h + 0.01)
        {
            problems.push(format!(
                "{:?} leaves the {w}×{h} canvas: {:?}",
                b.text, b.corners
            ));
        }
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            if quads_overlap(&a.corners, &b.corners) {
                problems.push(format!("{:?} overlaps {:?}", a.text, b.text));
            }
        }
    }
    problems
}

/// `count` counties: the real ones of the region table first (阿里's 7, then 青海's),
/// then synthetic ones with long names.
fn counties(count: usize) -> Vec<(String, Label, Option<Label>)> {
    let regions = RegionTable::builtin();
    let mut out: Vec<(String, Label, Option<Label>)> = regions
        .iter()
        .filter(|r| r.level == RegionLevel::County)
        .map(|r| {
            let parent = r
                .parent_code
                .as_deref()
                .and_then(|p| regions.get(p))
                .map(Label::from);
            (r.code.clone(), Label::from(r), parent)
        })
        .collect();
    let mut i = 1;
    while out.len() < count {
        out.push((
            format!("99{i:04}"),
            Label {
                zh: format!("海西蒙古族藏族自治州示范县第{i}号"),
                en: format!("Haixi Mongol and Tibetan Autonomous Prefecture County {i}"),
            },
            None,
        ));
        i += 1;
    }
    out.truncate(count);
    out
}

/// A varied value for the `i`th group: rates across the range, one above 100 % (as
/// 普兰's 144.8 % from 4 households), one without data, every fifth from few households.
fn value(i: usize) -> Value {
    let rate = match i {
        2 => Some(1.448),
        3 => None,
        _ => Some(0.35 + ((i * 37) % 62) as f64 / 100.0),
    };
    let half = 0.05 + (i % 4) as f64 * 0.04;
    Value {
        rate,
        ci_low: rate.map(|r| r - half),
        ci_high: rate.map(|r| r + half),
        n: match i {
            2 => 4,
            _ if i % 5 == 0 => 12,
            _ => 30 + (i * 13) % 90,
        },
    }
}

fn target(i: usize) -> Option<TargetLine> {
    Some(if i % 2 == 0 {
        TargetLine {
            rate: 0.93,
            year: 2030,
            source: Some(TargetOrigin::Enclosing),
        }
    } else {
        TargetLine {
            rate: 0.85,
            year: 2025,
            source: Some(TargetOrigin::National),
        }
    })
}

/// Every chart kind for `count` groups (a trend: `count` years, with plan `plan`).
fn charts_for(count: usize, plan: Option<&str>) -> Vec<Chart> {
    let counties = counties(count);
    let bars = counties
        .iter()
        .enumerate()
        .map(|(i, (code, name, _))| RegionBar {
            code: code.clone(),
            name: name.clone(),
            value: value(i),
            target: target(i),
        })
        .collect();
    let straw = counties
        .iter()
        .enumerate()
        .map(|(i, (code, name, _))| {
            let used = value(i).rate.map(|r| r.min(1.0));
            StrawBar {
                code: code.clone(),
                name: name.clone(),
                shares: match used {
                    Some(u) => [0.4, 0.3, 0.05, 0.2, 0.05].map(|s| Some(s * u)),
                    None => [None; 5],
                },
                n: value(i).n,
            }
        })
        .collect();
    let seats = county_tiles();
    let tiles = counties
        .iter()
        .enumerate()
        .map(|(i, (code, name, area))| {
            let entry = seats.iter().find(|t| &t.code == code);
            MapTile {
                code: code.clone(),
                name: name.clone(),
                short: entry.map_or_else(|| name.clone(), |t| t.short.clone()),
                area: area.clone(),
                seat: entry.map(|t| t.seat),
                value: value(i),
            }
        })
        .collect();
    let regions = RegionTable::builtin();
    let plans = PlanTable::builtin();
    let plan = plan.and_then(|code| plans.for_region(&regions, code));
    let last = 2025;
    let points = (0..count)
        .map(|k| YearPoint {
            year: last - (count - 1 - k) as i32,
            value: Value {
                n: if k % 3 == 1 { 9 } else { 40 + k },
                ..value(k + 4)
            },
        })
        .collect();
    vec![
        Chart::IndicatorByRegion(IndicatorByRegionData {
            indicator: Indicator::PesticidePackagingRecovery,
            year: Some(2025),
            bars,
        }),
        Chart::Trend(TrendData {
            indicator: Indicator::FilmRecovery,
            region: Label {
                zh: "海西蒙古族藏族自治州".into(),
                en: "Haixi Mongol and Tibetan Autonomous Prefecture".into(),
            },
            points,
            target: Some(TargetLine {
                rate: 0.9,
                year: 2030,
                source: Some(TargetOrigin::NationalProxy),
            }),
            phases: plan.map(|p| p.phases.clone()).unwrap_or_default(),
            plan: plan.map(|p| Label {
                zh: p.name_zh.clone(),
                en: p.name_en.clone(),
            }),
            year_in_progress: Some(last),
        }),
        Chart::StrawUses(StrawUsesData {
            year: Some(2025),
            bars: straw,
        }),
        Chart::Map(MapData {
            indicator: Indicator::YakDungUtilization,
            year: Some(2025),
            tiles,
        }),
    ]
}

/// Widths and heights the dashboard draws at: a wide card, a half-width card on a
/// laptop, and two phones.
const SIZES: [(u32, u32); 4] = [(900, 440), (640, 440), (360, 400), (340, 400)];

#[test]
fn no_text_overlaps_or_leaves_the_canvas() {
    let mut failures = Vec::new();
    let mut drawn = 0;
    for count in [1, 7, 20, 40] {
        for plan in [Some("542500"), Some("630100"), None] {
            for chart in charts_for(count, plan) {
                if plan != Some("542500") && !matches!(chart, Chart::Trend(_)) {
                    continue;
                }
                for lang in [Lang::Zh, Lang::En] {
                    for (width, height) in SIZES {
                        let options = ChartOptions {
                            lang,
                            width,
                            height,
                            title: None,
                        };
                        let svg = render_svg(&chart, &options).unwrap_or_default();
                        drawn += 1;
                        let kind = match &chart {
                            Chart::IndicatorByRegion(_) => "by region",
                            Chart::Trend(_) => "trend",
                            Chart::StrawUses(_) => "straw uses",
                            Chart::Map(_) => "map",
                        };
                        for problem in text_problems(&svg) {
                            failures.push(format!(
                                "{kind}, {count} groups, plan {plan:?}, {lang:?}, {width} px: {problem}"
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(drawn >= 4 * 4 * 2 * 4, "{drawn} charts drawn");
    assert!(
        failures.is_empty(),
        "{} problems, the first:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
}

#[test]
fn the_checker_sees_overlaps_and_text_off_the_canvas() {
    let svg = |body: &str| {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\">{body}</svg>"
        )
    };
    let clean = svg(
        "<text x=\"10\" y=\"20\" font-size=\"12.0\" text-anchor=\"start\">普兰县</text>\
         <text x=\"60\" y=\"20\" font-size=\"12.0\" text-anchor=\"start\">札达县</text>",
    );
    assert_eq!(text_problems(&clean), Vec::<String>::new());
    // 普兰县 at 12 px is 36 px wide: a second name 30 px to the right overlaps it.
    let overlapping = svg(
        "<text x=\"10\" y=\"20\" font-size=\"12.0\" text-anchor=\"start\">普兰县</text>\
         <text x=\"40\" y=\"20\" font-size=\"12.0\" text-anchor=\"start\">札达县</text>",
    );
    assert_eq!(text_problems(&overlapping).len(), 1);
    let clipped =
        svg("<text x=\"195\" y=\"20\" font-size=\"12.0\" text-anchor=\"start\">3.6%</text>");
    assert_eq!(text_problems(&clipped).len(), 1);
    // Rotated text is boxed where it is drawn: up and to the left of its anchor.
    let rotated = svg(
        "<text x=\"100\" y=\"90\" font-size=\"12.0\" text-anchor=\"end\" transform=\"rotate(-35 100 90)\">Datong Hui and Tu</text>\
         <text x=\"40\" y=\"60\" font-size=\"12.0\" text-anchor=\"start\">x</text>",
    );
    assert_eq!(
        text_problems(&rotated).len(),
        1,
        "{:?}",
        text_problems(&rotated)
    );
}

#[test]
fn many_regions_make_taller_charts_with_readable_rows() {
    for kind in 0..4 {
        if kind == 1 {
            continue; // the trend keeps the height it is given
        }
        let heights: Vec<f64> = [7, 20, 40]
            .into_iter()
            .map(|count| {
                let chart = &charts_for(count, Some("542500"))[kind];
                let options = ChartOptions {
                    width: 360,
                    height: 400,
                    ..ChartOptions::default()
                };
                text_boxes(&render_svg(chart, &options).unwrap_or_default())
                    .0
                    .1
            })
            .collect();
        assert!(
            heights[0] < heights[1] && heights[1] < heights[2],
            "{kind}: {heights:?}"
        );
        if kind != 3 {
            // A row of at least 24 px per region.
            assert!(heights[2] >= 40.0 * 24.0, "{kind}: {heights:?}");
        }
    }
}

#[test]
fn text_widths_follow_the_metric() {
    assert_eq!(text_px("普兰县", 12.0, false), 36.0);
}
