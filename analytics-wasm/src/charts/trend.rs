//! Chart (2): one indicator over the years, on the phase bands of the region's own
//! plan, with the target line. Only years of at least 30 households (and not the year in
//! progress) are joined into the line; the others are drawn apart and say why.

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::layout::{ASCENT_EM, DESCENT_EM, GAP, Heading, Placer, Rect, fit, line_step, text_px};
use super::svg::SvgBackend;
use super::{
    Align, ChartError, ChartOptions, Label, Lang, Overlay, Swatch, TargetLine, Value, color,
    draw_rate_axes, indicator_name, palette, percent, plot_area, rate_axis_labels, rate_axis_top,
};
use crate::estimate::SMALL_N;
use crate::indicators::{GroupIndicators, Indicator};
use crate::plans::{Phase, PlanTable};
use crate::regions::RegionTable;
use crate::targets::TargetTable;

/// Chart (2): one indicator of one region over the years.
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
    /// The phases of the plan the region follows (its own, else its nearest enclosing
    /// region's), earliest first; empty when no plan covers it, and then no bands are
    /// drawn.
    #[serde(default)]
    pub phases: Vec<Phase>,
    /// That plan's name.
    #[serde(default)]
    pub plan: Option<Label>,
    /// The year under way by the caller's clock: its point is drawn apart, labelled as in
    /// progress, and never joined into the line.
    #[serde(default)]
    pub year_in_progress: Option<i32>,
}

/// One year of a trend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YearPoint {
    /// The year.
    pub year: i32,
    /// The rate.
    pub value: Value,
}

/// Years a chart can show; beyond them a year is a typing mistake.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

impl TrendData {
    /// The points with non-finite numbers and years beyond any plan dropped, and phases
    /// that are not a span of such years.
    fn sanitized(&self) -> TrendData {
        TrendData {
            points: self
                .points
                .iter()
                .filter(|p| YEARS.contains(&p.year))
                .map(|p| YearPoint {
                    year: p.year,
                    value: p.value.sanitized(),
                })
                .collect(),
            target: self.target.and_then(TargetLine::sanitized),
            phases: self
                .phases
                .iter()
                .filter(|p| {
                    YEARS.contains(&p.first_year)
                        && YEARS.contains(&p.last_year)
                        && p.first_year <= p.last_year
                })
                .cloned()
                .collect(),
            ..self.clone()
        }
    }
}

/// Chart (2) data from one region's groups by year, with the phases of the plan the
/// region follows and the year now under way (`year_in_progress`, from the caller's
/// clock). The target is the one that applies in the latest complete year with data.
pub fn trend_data(
    groups: &[GroupIndicators],
    indicator: Indicator,
    region_code: &str,
    targets: &TargetTable,
    regions: &RegionTable,
    plans: &PlanTable,
    year_in_progress: Option<i32>,
) -> TrendData {
    let mine: Vec<&GroupIndicators> = groups
        .iter()
        .filter(|g| g.key.region_code.as_deref() == Some(region_code) && g.key.year.is_some())
        .collect();
    let region = regions
        .get(region_code)
        .map(Label::from)
        .unwrap_or_else(|| Label {
            zh: region_code.to_owned(),
            en: region_code.to_owned(),
        });
    let years = mine.iter().filter_map(|g| g.key.year);
    let last_complete = years.clone().filter(|y| Some(*y) != year_in_progress).max();
    let plan = plans.for_region(regions, region_code);
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
        target: last_complete
            .or_else(|| years.max())
            .and_then(|year| targets.applicable(regions, region_code, indicator, year))
            .map(TargetLine::from),
        phases: plan.map(|p| p.phases.clone()).unwrap_or_default(),
        plan: plan.map(|p| Label {
            zh: p.name_zh.clone(),
            en: p.name_en.clone(),
        }),
        year_in_progress,
    }
}

/// How a year's point is drawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// At least 30 households, a complete year: on the line.
    Ordinary,
    /// Fewer than 30 households: hollow, apart from the line.
    Small,
    /// The year under way: a diamond, apart from the line.
    InProgress,
}

/// Band colours by phase: the baseline grey, the others light tints in turn.
fn band(phase: &Phase, index: usize) -> ((u8, u8, u8), f64) {
    if phase.key == "baseline" {
        return (palette::GREY, 0.14);
    }
    const TINTS: [((u8, u8, u8), f64); 3] = [
        (palette::SKY_BLUE, 0.16),
        (palette::GREEN, 0.13),
        (palette::ORANGE, 0.14),
    ];
    TINTS[index % TINTS.len()]
}

/// Size of the phase names, their years, the point values and their notes, px.
const PHASE_PX: f64 = 12.0;
const SPAN_PX: f64 = 10.0;
const VALUE_PX: f64 = 11.0;
const NOTE_PX: f64 = 10.0;
/// The plot's left and right edge as [`plot_area`] lays it out (margin and y labels on
/// the left, margin on the right), px.
const PLOT_LEFT: i32 = 12 + 64;
const PLOT_RIGHT_MARGIN: i32 = 28;

/// A phase's label above the plot: which strip row, and whether its years fit too.
struct PhaseLabel {
    centre: f64,
    row: usize,
    with_span: bool,
    name: String,
    span: String,
}

/// Height of one row of phase labels, px.
fn strip_row() -> f64 {
    line_step(PHASE_PX) + line_step(SPAN_PX)
}

/// Places the phases' labels above the plot, each centred over its band: in the first
/// row where it keeps clear of the labels already there, with its years if they fit,
/// else without; a label that fits in no row is left out (the table lists the phases).
fn phase_labels(
    phases: &[(&Phase, i32, i32)],
    lang: Lang,
    x_of: impl Fn(f64) -> f64,
    width: f64,
) -> Vec<PhaseLabel> {
    const ROWS: usize = 3;
    let mut taken: Vec<Vec<(f64, f64)>> = vec![Vec::new(); ROWS];
    let mut out = Vec::new();
    for &(phase, from, to) in phases {
        let name = lang.pick(&phase.name_zh, &phase.name_en).to_owned();
        let span = if from == to {
            format!("{from}")
        } else {
            format!("{from}–{to}")
        };
        let centre = x_of((f64::from(from) + f64::from(to)) / 2.0);
        let name_w = text_px(&name, PHASE_PX, true);
        let span_w = text_px(&span, SPAN_PX, false);
        let fits = |w: f64, row: &Vec<(f64, f64)>| {
            let (x0, x1) = (centre - w / 2.0, centre + w / 2.0);
            x0 >= 4.0 && x1 <= width - 4.0 && row.iter().all(|&(a, b)| x1 + GAP < a || x0 > b + GAP)
        };
        let choice = [true, false].into_iter().find_map(|with_span| {
            let w = if with_span {
                name_w.max(span_w)
            } else {
                name_w
            };
            (0..ROWS)
                .find(|&r| fits(w, &taken[r]))
                .map(|r| (r, with_span, w))
        });
        if let Some((row, with_span, w)) = choice {
            taken[row].push((centre - w / 2.0, centre + w / 2.0));
            out.push(PhaseLabel {
                centre,
                row,
                with_span,
                name,
                span,
            });
        }
    }
    out
}

/// The years to label on the axis: every year while they fit, else every 2nd, 5th, ...
fn year_step(px_per_year: f64) -> i32 {
    let label = text_px("2030", 12.0, false) + 3.0 * GAP;
    [1, 2, 5, 10, 20, 50]
        .into_iter()
        .find(|&step| f64::from(step) * px_per_year >= label)
        .unwrap_or(100)
}

/// Draws chart (2) as SVG.
pub fn trend(data: &TrendData, options: &ChartOptions) -> Result<String, ChartError> {
    let lang = options.lang;
    let data = &data.sanitized();
    let (width, height) = options.size();
    let mut points = data.points.clone();
    points.sort_by_key(|p| p.year);
    let kind = |p: &YearPoint| {
        if Some(p.year) == data.year_in_progress {
            Kind::InProgress
        } else if p.value.n < SMALL_N {
            Kind::Small
        } else {
            Kind::Ordinary
        }
    };

    // The axis spans the plan's phases, the data and the target year; at most 60 years,
    // the latest kept.
    let years = points
        .iter()
        .map(|p| p.year)
        .chain(data.phases.iter().flat_map(|p| [p.first_year, p.last_year]))
        .chain(data.target.map(|t| t.year));
    let (mut first, last) = match (years.clone().min(), years.max()) {
        (Some(a), Some(b)) => (a, b),
        _ => (2021, 2030),
    };
    first = first.max(last - 60);
    points.retain(|p| (first..=last).contains(&p.year));
    let y_max = rate_axis_top(
        points
            .iter()
            .filter_map(|p| p.value.rate)
            .chain(data.target.map(|t| t.rate)),
    );
    let clamp = |v: f64| v.clamp(0.0, y_max);
    let x_range = (f64::from(first) - 0.5)..(f64::from(last) + 0.5);

    // The heading and the row(s) of phase labels come first: the plot starts below them.
    let any = |k: Kind| {
        points
            .iter()
            .any(|p| kind(p) == k && p.value.rate.is_some())
    };
    let target_words = data.target.map(|t| t.label(lang));
    let target_legend = match &target_words {
        Some((head, Some(source))) => format!("{head} · {source}"),
        Some((head, None)) => head.clone(),
        None => String::new(),
    };
    let mut legend = vec![(
        Swatch::Dot,
        palette::BLUE,
        lang.pick("比率(n ≥ 30,连线)", "rate (n ≥ 30, joined)"),
    )];
    if any(Kind::Small) {
        legend.push((
            Swatch::Hollow,
            palette::BLUE,
            lang.pick("n < 30,不连线", "n < 30, not joined"),
        ));
    }
    if any(Kind::InProgress) {
        legend.push((
            Swatch::Diamond,
            palette::INK,
            lang.pick("进行中的年份", "year in progress"),
        ));
    }
    legend.push((
        Swatch::Faded,
        palette::SKY_BLUE,
        lang.pick("95%置信区间", "95% confidence interval"),
    ));
    if data.target.is_some() {
        legend.push((Swatch::Dash, palette::VERMILLION, &target_legend));
    }
    let subtitle = match (&data.plan, data.phases.is_empty(), lang) {
        (Some(plan), false, Lang::Zh) => format!("底色为规划阶段:{}", plan.zh),
        (Some(plan), false, Lang::En) => format!("Bands: phases of the {}", plan.en),
        (_, _, Lang::Zh) => "该地区没有适用的规划阶段".to_owned(),
        (_, _, Lang::En) => "No plan phases apply to this region".to_owned(),
    };
    let heading = Heading::new(
        options,
        || {
            let name = indicator_name(data.indicator, lang);
            match lang {
                Lang::Zh => format!("{}{}变化趋势", data.region.zh, name),
                Lang::En => format!("{name}, {}: trend", data.region.en),
            }
        },
        &subtitle,
        &legend,
    );
    let plot_right = width as i32 - PLOT_RIGHT_MARGIN;
    let px_per_year = f64::from(plot_right - PLOT_LEFT) / f64::from(last - first + 1);
    let predicted_x =
        |year: f64| f64::from(PLOT_LEFT) + (year - f64::from(first) + 0.5) * px_per_year;
    let shown_phases: Vec<(&Phase, i32, i32)> = data
        .phases
        .iter()
        .filter(|p| p.last_year >= first && p.first_year <= last)
        .map(|p| (p, p.first_year.max(first), p.last_year.min(last)))
        .collect();
    let labels = phase_labels(&shown_phases, lang, predicted_x, f64::from(width));
    let strip_rows = labels.iter().map(|l| l.row + 1).max().unwrap_or(0);
    let strip_top = heading.height;
    let top = strip_top
        + (strip_rows as f64 * strip_row()).ceil() as i32
        + if strip_rows > 0 { 6 } else { 0 };

    // A plot at least 200 px tall, however much the heading took: the chart grows.
    let height = height.max((top + 200 + 44 + 8).max(0) as u32).min(4000);

    let mut out = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SvgBackend::new(&mut out, width, height).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = plot_area(&root, top.max(0) as u32, 12, 44, x_range, 0.0..y_max)?;
        // The bands run up through the strip of their labels.
        for (index, (phase, from, to)) in shown_phases.iter().enumerate() {
            let (tint, alpha) = band(phase, index);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(f64::from(*from) - 0.5, 0.0), (f64::from(*to) + 0.5, y_max)],
                color(tint).mix(alpha).filled(),
            )))?;
            let (x0, y0) = chart.backend_coord(&(f64::from(*from) - 0.5, y_max));
            let (x1, _) = chart.backend_coord(&(f64::from(*to) + 0.5, y_max));
            overlay.rect((x0, strip_top), (x1 - x0, y0 - strip_top), tint, alpha);
        }
        for label in &labels {
            let y = f64::from(strip_top) + label.row as f64 * strip_row() + ASCENT_EM * PHASE_PX;
            let x = label.centre.round() as i32;
            overlay.text(
                (x, y.round() as i32),
                PHASE_PX,
                Align::Middle,
                palette::INK,
                true,
                &label.name,
            );
            if label.with_span {
                overlay.text(
                    (x, (y + line_step(SPAN_PX)).round() as i32),
                    SPAN_PX,
                    Align::Middle,
                    palette::GREY_TEXT,
                    false,
                    &label.span,
                );
            }
        }
        let plot_h = f64::from(height as i32 - top - 44 - 8);
        draw_rate_axes(
            &mut chart,
            rate_axis_labels(y_max, plot_h),
            &fit(
                &format!("{} (%)", indicator_name(data.indicator, lang)),
                13.0,
                false,
                plot_h - 8.0,
            ),
        )?;
        let step = year_step(px_per_year);
        for year in first..=last {
            let labelled = if step == 1 {
                true
            } else {
                year.rem_euclid(step) == 0
            };
            if labelled {
                let (px, py) = chart.backend_coord(&(f64::from(year), 0.0));
                overlay.text(
                    (px, py + 17),
                    12.0,
                    Align::Middle,
                    palette::INK,
                    false,
                    &year.to_string(),
                );
            }
        }
        let (px, py) = chart.backend_coord(&(f64::from(first) - 0.5, 0.0));
        let (qx, top_py) = chart.backend_coord(&(f64::from(last) + 0.5, y_max));
        overlay.text(
            ((px + qx) / 2, py + 37),
            13.0,
            Align::Middle,
            palette::INK,
            false,
            lang.pick("年份", "year"),
        );

        let ordinary: Vec<&YearPoint> = points
            .iter()
            .filter(|p| kind(p) == Kind::Ordinary && p.value.rate.is_some())
            .collect();
        // The 95 % band over the joined years; a whisker at every other point.
        let with_ci: Vec<(f64, f64, f64)> = ordinary
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
        }
        for p in &points {
            let alone = kind(p) != Kind::Ordinary || with_ci.len() < 2;
            if let (true, Some(low), Some(high)) = (alone, p.value.ci_low, p.value.ci_high) {
                let x = f64::from(p.year);
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, clamp(low)), (x, clamp(high))],
                    color(palette::SKY_BLUE).stroke_width(3),
                )))?;
            }
        }

        // Labels keep inside the plot and clear of each other and of the marks.
        let plot = Rect {
            x0: f64::from(px) + 2.0,
            y0: f64::from(top_py) + 2.0,
            x1: f64::from(qx) - 2.0,
            y1: f64::from(py) - 2.0,
        };
        let mut placer = Placer::new(plot);
        for p in &points {
            if let Some(rate) = p.value.rate {
                let (x, y) = chart.backend_coord(&(f64::from(p.year), clamp(rate)));
                let (x, y) = (f64::from(x), f64::from(y));
                placer.take(Rect {
                    x0: x - 6.0,
                    y0: y - 6.0,
                    x1: x + 6.0,
                    y1: y + 6.0,
                });
            }
        }

        if let (Some(target), Some((head, source))) = (data.target, &target_words) {
            let from = chart.backend_coord(&(f64::from(first) - 0.5, clamp(target.rate)));
            let to = chart.backend_coord(&(f64::from(last) + 0.5, clamp(target.rate)));
            overlay.line(from, to, palette::VERMILLION, 2, true);
            let at = chart.backend_coord(&(f64::from(target.year), clamp(target.rate)));
            // A ring, so that a data point in the target year stays visible.
            overlay.ring(at, 7, palette::VERMILLION);
            let one_line = match source {
                Some(source) => format!("{head} · {source}"),
                None => head.clone(),
            };
            let mut lines = vec![one_line];
            if text_px(&lines[0], VALUE_PX, true) > plot.x1 - plot.x0 - 16.0 {
                lines = std::iter::once(head.clone())
                    .chain(source.map(str::to_owned))
                    .map(|l| fit(&l, VALUE_PX, true, plot.x1 - plot.x0 - 16.0))
                    .collect();
            }
            let sizes = vec![VALUE_PX; lines.len()];
            let bold = vec![true; lines.len()];
            let block = Block {
                lines: &lines,
                sizes: &sizes,
                bold: &bold,
            };
            // Above or below the line, ending at the ring; else from the plot's left
            // edge; else anywhere near the ring.
            let (_, h, _) = block.size();
            let (rx, ry) = (f64::from(at.0), f64::from(at.1));
            let mut spots = vec![
                (rx - 12.0, ry - 6.0 - h, Align::End),
                (rx - 12.0, ry + 6.0, Align::End),
                (plot.x0 + 4.0, ry - 6.0 - h, Align::Start),
                (plot.x0 + 4.0, ry + 6.0, Align::Start),
            ];
            spots.extend(block.around((rx, ry), 10.0));
            let placed = block.place(&mut placer, &spots);
            if let Some((x, y, align)) = placed {
                for (k, line) in lines.iter().enumerate() {
                    overlay.halo_text(
                        (x, (y + k as f64 * line_step(VALUE_PX)).round() as i32),
                        VALUE_PX,
                        align,
                        palette::VERMILLION,
                        true,
                        line,
                    );
                }
            }
        }

        let line: Vec<(f64, f64)> = ordinary
            .iter()
            .filter_map(|p| Some((f64::from(p.year), clamp(p.value.rate?))))
            .collect();
        if line.len() >= 2 {
            chart.draw_series(std::iter::once(PathElement::new(
                line.clone(),
                color(palette::BLUE).stroke_width(2),
            )))?;
        }
        chart.draw_series(
            line.iter()
                .map(|&(x, y)| Circle::new((x, y), 4, color(palette::BLUE).filled())),
        )?;

        // Points apart from the line first (their notes matter most), then the rest from
        // the latest year back; a label that finds no room is left out (the table has it).
        let mut order: Vec<&YearPoint> = points.iter().filter(|p| p.value.rate.is_some()).collect();
        order.sort_by_key(|p| (kind(p) == Kind::Ordinary, std::cmp::Reverse(p.year)));
        for p in order {
            let Some(rate) = p.value.rate else { continue };
            let at = chart.backend_coord(&(f64::from(p.year), clamp(rate)));
            match kind(p) {
                Kind::Ordinary => {}
                Kind::Small => overlay.hollow(at, 4, palette::BLUE),
                Kind::InProgress => overlay.diamond(at, 6, palette::INK),
            }
            let note = match kind(p) {
                Kind::InProgress => match lang {
                    Lang::Zh => format!("进行中 n={}", p.value.n),
                    Lang::En => format!("in progress, n={}", p.value.n),
                },
                _ => format!("n={}", p.value.n),
            };
            let value = percent(rate, 1);
            let at = (f64::from(at.0), f64::from(at.1));
            // The last resort of a point apart from the line: why it is apart, in a word.
            let short = match kind(p) {
                Kind::InProgress => lang.pick("进行中", "in progress").to_owned(),
                _ => format!("n={}", p.value.n),
            };
            let full = [value.clone(), note.clone(), short];
            let bold = [true, false, false];
            let sizes = [VALUE_PX, NOTE_PX, NOTE_PX];
            let place = |placer: &mut Placer, range: std::ops::Range<usize>| {
                let block = Block {
                    lines: &full[range.clone()],
                    sizes: &sizes[range.clone()],
                    bold: &bold[range.clone()],
                };
                block
                    .place(placer, &block.around(at, 8.0))
                    .map(|spot| (spot, range))
            };
            // Both lines, else one: the value on the line, the note for a point apart.
            let one = if kind(p) == Kind::Ordinary {
                0..1
            } else {
                1..2
            };
            let drawn = place(&mut placer, 0..2)
                .or_else(|| place(&mut placer, one))
                .or_else(|| match kind(p) {
                    Kind::InProgress => place(&mut placer, 2..3),
                    _ => None,
                });
            if let Some(((x, y, align), range)) = drawn {
                let mut baseline = y;
                for k in range.clone() {
                    if k > range.start {
                        baseline += line_step(sizes[k - 1].max(sizes[k]));
                    }
                    let ink = if bold[k] {
                        palette::INK
                    } else {
                        palette::GREY_TEXT
                    };
                    overlay.halo_text(
                        (x, baseline.round() as i32),
                        sizes[k],
                        align,
                        ink,
                        bold[k],
                        &full[k],
                    );
                }
            }
        }
        if points.iter().all(|p| p.value.rate.is_none()) {
            let centre =
                chart.backend_coord(&((f64::from(first) + f64::from(last)) / 2.0, y_max / 2.0));
            overlay.empty_chart(centre, lang.pick("无数据", "no data"));
        }
        root.present()?;
    }
    heading.draw(&mut overlay);
    Ok(overlay.finish(out))
}

/// A block of label lines: each line's text, size and weight.
struct Block<'a> {
    lines: &'a [String],
    sizes: &'a [f64],
    bold: &'a [bool],
}

impl Block<'_> {
    /// Width, height from the first line's top to the last line's bottom, and the first
    /// line's ascent, px.
    fn size(&self) -> (f64, f64, f64) {
        let w = self
            .lines
            .iter()
            .zip(self.sizes)
            .zip(self.bold)
            .map(|((l, s), b)| text_px(l, *s, *b))
            .fold(0.0, f64::max);
        let steps: f64 = (1..self.lines.len())
            .map(|k| line_step(self.sizes[k - 1].max(self.sizes[k])))
            .sum();
        let ascent = ASCENT_EM * self.sizes[0];
        let descent = DESCENT_EM * self.sizes[self.lines.len() - 1];
        (w, ascent + steps + descent, ascent)
    }

    /// Places the block at the first free of `spots` (anchor x, top, alignment); its
    /// anchor x, first baseline and alignment.
    fn place(&self, placer: &mut Placer, spots: &[(f64, f64, Align)]) -> Option<(i32, f64, Align)> {
        if self.lines.is_empty() {
            return None;
        }
        let (w, h, ascent) = self.size();
        // Whole pixels, as the text is written: the box checked is the box drawn.
        let spots: Vec<(f64, f64, Align)> = spots
            .iter()
            .map(|&(ax, top, align)| (ax.round(), (top + ascent).round() - ascent, align))
            .collect();
        let rects = spots.iter().map(|&(ax, top, align)| {
            let x0 = match align {
                Align::Start => ax,
                Align::Middle => ax - w / 2.0,
                Align::End => ax - w,
            };
            Rect {
                x0,
                y0: top,
                x1: x0 + w,
                y1: top + h,
            }
        });
        let index = placer.place(rects)?;
        let (ax, top, align) = spots[index];
        Some((ax as i32, top + ascent, align))
    }

    /// Spots around a mark at `(x, y)`, `offset` px away: below, above, then beside it,
    /// each also a line and two further out.
    fn around(&self, (x, y): (f64, f64), offset: f64) -> Vec<(f64, f64, Align)> {
        let (_, h, _) = self.size();
        let mut spots = Vec::new();
        for k in 0..3 {
            let extra = f64::from(k) * line_step(self.sizes[0]);
            let below = y + offset + extra;
            let above = y - offset - extra - h;
            for (ax, align) in [
                (x, Align::Middle),
                (x - 4.0, Align::End),
                (x + 4.0, Align::Start),
            ] {
                spots.push((ax, below, align));
                spots.push((ax, above, align));
            }
        }
        spots.push((x + offset + 2.0, y - h / 2.0, Align::Start));
        spots.push((x - offset - 2.0, y - h / 2.0, Align::End));
        spots
    }
}
