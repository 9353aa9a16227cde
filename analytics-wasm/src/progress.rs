//! Progress toward a target, as REFERENCE.md defines it ("Progress toward a target"):
//! for each region (or group of counties) and indicator, the latest complete year's
//! estimate with its interval and n, the applicable target and where it comes from, the
//! status, the observed trend with its uncertainty and the annual gain still required.
//!
//! The board is built from sums per county and year ([`GroupSums`]), which the server
//! reads from SQL and the browser adds up from households: every region's and group's
//! sums are its counties' sums added, so both compute the same board with this code.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::GroupSums;
use crate::estimate::RatioEstimate;
use crate::groups::GroupTable;
use crate::indicators::{GroupIndicators, GroupKey, Indicator};
use crate::plans::{Phase, PlanTable};
use crate::quality::exceeds_one;
use crate::regions::{RegionLevel, RegionTable};
use crate::targets::{ApplicableTarget, Comparison, NATIONAL, TargetOrigin, TargetTable};

/// Households a year's estimate needs before it says anything about a target, and before
/// the year counts in a trend (REFERENCE.md: flag n < 30). Below it the status is
/// "insufficient data", and the dashboard does not open on such a year.
pub const MIN_N: usize = 30;

/// Years with n ≥ [`MIN_N`] a trend needs.
pub const MIN_TREND_YEARS: usize = 3;

/// Where an estimate stands against its target; first match wins, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 数据异常: the rate exceeds 100 %, which a share of a whole cannot.
    Implausible,
    /// 数据不足: no estimate, or n < [`MIN_N`].
    Insufficient,
    /// 无目标: no target applies to the region for this indicator.
    NoTarget,
    /// 已达标: the whole interval is at or past the target.
    Met,
    /// 基本达标: the estimate is at or past the target, the interval's far end is not.
    Likely,
    /// 按期可达: short of the target, and the trend reaches it by the target year.
    OnTrack,
    /// 落后: otherwise.
    Behind,
}

impl Status {
    /// Every status, in rule order.
    pub const ALL: [Status; 7] = [
        Status::Implausible,
        Status::Insufficient,
        Status::NoTarget,
        Status::Met,
        Status::Likely,
        Status::OnTrack,
        Status::Behind,
    ];

    /// The wire key.
    pub fn key(self) -> &'static str {
        match self {
            Status::Implausible => "implausible",
            Status::Insufficient => "insufficient",
            Status::NoTarget => "no_target",
            Status::Met => "met",
            Status::Likely => "likely",
            Status::OnTrack => "on_track",
            Status::Behind => "behind",
        }
    }

    /// Chinese name, as REFERENCE.md gives it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Status::Implausible => "数据异常",
            Status::Insufficient => "数据不足",
            Status::NoTarget => "无目标",
            Status::Met => "已达标",
            Status::Likely => "基本达标",
            Status::OnTrack => "按期可达",
            Status::Behind => "落后",
        }
    }

    /// English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Status::Implausible => "implausible data",
            Status::Insufficient => "insufficient data",
            Status::NoTarget => "no target",
            Status::Met => "met",
            Status::Likely => "likely met",
            Status::OnTrack => "on track",
            Status::Behind => "behind",
        }
    }

    /// A symbol that tells the status without colour.
    pub fn icon(self) -> &'static str {
        match self {
            Status::Implausible => "!",
            Status::Insufficient => "?",
            Status::NoTarget => "–",
            Status::Met => "✓",
            Status::Likely => "≈",
            Status::OnTrack => "↗",
            Status::Behind => "✕",
        }
    }
}

/// One year's estimate of one indicator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YearEstimate {
    /// Survey year.
    pub year: i32,
    /// Households with the section.
    pub n: usize,
    /// The weighted rate; none without a denominator.
    pub rate: Option<f64>,
    /// Its standard error.
    pub se: Option<f64>,
    /// Lower end of the 95 % interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95 % interval.
    pub ci_high: Option<f64>,
}

impl YearEstimate {
    /// The estimate of `year`.
    pub fn of(year: i32, estimate: &RatioEstimate) -> YearEstimate {
        YearEstimate {
            year,
            n: estimate.n,
            rate: estimate.rate,
            se: estimate.se,
            ci_low: estimate.ci_low,
            ci_high: estimate.ci_high,
        }
    }

    /// Whether the year has enough households to speak of a target and join a trend.
    pub fn is_enough(&self) -> bool {
        self.n >= MIN_N && self.rate.is_some()
    }
}

/// The observed trend: weighted least squares of yearly estimates on the year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// Observed annual gain, rate units a year (0.04 = 4 points a year).
    pub slope: f64,
    /// Standard error of the slope.
    pub slope_se: f64,
    /// The years fitted (those with n ≥ [`MIN_N`]).
    pub years: Vec<i32>,
    /// Whether the fit is weighted by `1 / SE²` (false when a year's SE is zero or
    /// unknown, and every year then weighs the same).
    pub weighted: bool,
    /// Weighted mean year of the fit.
    pub mean_year: f64,
    /// Weighted mean rate of the fit.
    pub mean_rate: f64,
}

impl Trend {
    /// Fits the years of `points` with n ≥ [`MIN_N`]; none with fewer than
    /// [`MIN_TREND_YEARS`] such years.
    pub fn fit(points: &[YearEstimate]) -> Option<Trend> {
        let used: Vec<(f64, f64, Option<f64>)> = points
            .iter()
            .filter(|p| p.is_enough())
            .filter_map(|p| p.rate.map(|r| (f64::from(p.year), r, p.se)))
            .collect();
        let years: BTreeSet<i32> = points
            .iter()
            .filter(|p| p.is_enough())
            .map(|p| p.year)
            .collect();
        if years.len() < MIN_TREND_YEARS || years.len() != used.len() {
            return None;
        }
        // Weights 1/SE²; a zero or unknown SE would weigh infinitely, so then none weighs more.
        let weighted = used
            .iter()
            .all(|(_, _, se)| se.is_some_and(|s| s.is_finite() && s > 0.0));
        let weight = |se: Option<f64>| match (weighted, se) {
            (true, Some(s)) => 1.0 / (s * s),
            _ => 1.0,
        };
        let total: f64 = used.iter().map(|(_, _, se)| weight(*se)).sum();
        let mean_year = used.iter().map(|(x, _, se)| weight(*se) * x).sum::<f64>() / total;
        let mean_rate = used.iter().map(|(_, y, se)| weight(*se) * y).sum::<f64>() / total;
        let sxx: f64 = used
            .iter()
            .map(|(x, _, se)| weight(*se) * (x - mean_year).powi(2))
            .sum();
        if sxx <= 0.0 {
            return None;
        }
        let sxy: f64 = used
            .iter()
            .map(|(x, y, se)| weight(*se) * (x - mean_year) * (y - mean_rate))
            .sum();
        let slope = sxy / sxx;
        // Known variances: var(slope) = 1 / Σ w (x − x̄)². Equal weights: the residuals'.
        let slope_se = if weighted {
            (1.0 / sxx).sqrt()
        } else {
            let residuals: f64 = used
                .iter()
                .map(|(x, y, _)| (y - mean_rate - slope * (x - mean_year)).powi(2))
                .sum();
            (residuals / (used.len() as f64 - 2.0) / sxx).sqrt()
        };
        Some(Trend {
            slope,
            slope_se,
            years: years.into_iter().collect(),
            weighted,
            mean_year,
            mean_rate,
        })
    }

    /// The fitted rate in `year`.
    pub fn at(&self, year: i32) -> f64 {
        self.mean_rate + self.slope * (f64::from(year) - self.mean_year)
    }
}

/// The target an assessment compares with, and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetUsed {
    /// Target rate, 0–1.
    pub value: f64,
    /// Target year.
    pub year: i32,
    /// Floor or ceiling.
    pub comparison: Comparison,
    /// The document that sets it.
    pub source: String,
    /// Where it comes from.
    pub origin: TargetOrigin,
    /// The region that set it (`national` for national targets).
    pub region_code: String,
    /// The indicator key whose target stands in, for a proxy.
    pub proxy: Option<String>,
    /// Where it comes from, in Chinese words (e.g. "沿用阿里地区目标").
    pub origin_zh: String,
    /// The same in English.
    pub origin_en: String,
}

impl TargetUsed {
    /// The target `applicable` found for a region, or for a county group (whose targets
    /// are its enclosing region's, so never its "own"), with its origin in words.
    fn from_applicable(
        mut applicable: ApplicableTarget,
        regions: &RegionTable,
        for_group: bool,
    ) -> TargetUsed {
        if for_group && applicable.target.region_code != NATIONAL {
            applicable.inherited = true;
        }
        let origin = applicable.origin();
        let (origin_zh, origin_en) = applicable.origin_words(regions);
        let t = applicable.target;
        TargetUsed {
            value: t.target,
            year: t.year,
            comparison: t.comparison,
            source: t.source,
            origin,
            region_code: t.region_code,
            proxy: applicable.proxy,
            origin_zh,
            origin_en,
        }
    }

    /// `value` expressed so that larger is better (a ceiling is mirrored).
    fn oriented(&self, value: f64) -> f64 {
        match self.comparison {
            Comparison::AtLeast => value,
            Comparison::AtMost => -value,
        }
    }
}

/// One indicator of one region or group against its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The status.
    pub status: Status,
    /// The year assessed (the board's year).
    pub year: i32,
    /// That year's estimate; none when the region has no data for it.
    pub estimate: Option<YearEstimate>,
    /// The latest earlier year's estimate, for the change from one year to the next.
    pub previous: Option<YearEstimate>,
    /// The target compared with; none when no target applies.
    pub target: Option<TargetUsed>,
    /// `rate − target`, percentage points; negative means short of a floor.
    pub gap_pp: Option<f64>,
    /// The gain a year still needed to reach the target by its year,
    /// `(T − R) / (Y_T − y)` in points; none when reached, or when the target year is
    /// not after the year assessed.
    pub required_gain_pp: Option<f64>,
    /// The observed trend (years up to the year assessed); none with fewer than three
    /// years of n ≥ 30.
    pub trend: Option<Trend>,
    /// The observed annual gain in points (the trend's slope × 100).
    pub observed_gain_pp: Option<f64>,
    /// Its standard error in points.
    pub observed_gain_se_pp: Option<f64>,
    /// The trend's value in the target year.
    pub fitted_at_target_year: Option<f64>,
    /// The target year is not after the year assessed: no time is left to catch up.
    pub target_year_passed: bool,
}

/// Assesses `history` (one indicator's yearly estimates of one region, any order) in
/// `year` against `target`, by REFERENCE.md's rules. `invalid` marks a group whose data
/// a quality flag invalidates. Every indicator is a share of a whole, so a group rate
/// above 100 % is implausible for all of them (pesticide packaging too: one household
/// may return more than it used, a whole group cannot).
pub fn assess(
    year: i32,
    history: &[YearEstimate],
    target: Option<TargetUsed>,
    invalid: bool,
) -> Assessment {
    let estimate = history.iter().find(|p| p.year == year).copied();
    let previous = history
        .iter()
        .filter(|p| p.year < year && p.rate.is_some())
        .max_by_key(|p| p.year)
        .copied();
    let upto: Vec<YearEstimate> = history.iter().filter(|p| p.year <= year).copied().collect();
    let trend = Trend::fit(&upto);
    let rate = estimate.and_then(|e| e.rate);
    let implausible = invalid || rate.is_some_and(exceeds_one);
    let enough = estimate.is_some_and(|e| e.is_enough());
    let target_year_passed = target.as_ref().is_some_and(|t| t.year <= year);
    let fitted_at_target_year = match (&trend, &target) {
        (Some(trend), Some(t)) => Some(trend.at(t.year)),
        _ => None,
    };
    let status = match (&target, rate) {
        _ if implausible => Status::Implausible,
        (_, None) => Status::Insufficient,
        _ if !enough => Status::Insufficient,
        (None, _) => Status::NoTarget,
        (Some(t), Some(r)) => {
            let goal = t.oriented(t.value);
            let at = t.oriented(r);
            // The interval's end on the far side from the target direction.
            let near_end = match t.comparison {
                Comparison::AtLeast => estimate.and_then(|e| e.ci_low),
                Comparison::AtMost => estimate.and_then(|e| e.ci_high),
            };
            if near_end.is_some_and(|end| t.oriented(end) >= goal) {
                Status::Met
            } else if at >= goal {
                Status::Likely
            } else if !target_year_passed
                && fitted_at_target_year.is_some_and(|fitted| t.oriented(fitted) >= goal)
            {
                Status::OnTrack
            } else {
                Status::Behind
            }
        }
    };
    let gap_pp = match (&target, rate) {
        (Some(t), Some(r)) => Some((r - t.value) * 100.0),
        _ => None,
    };
    let required_gain_pp = match (&target, rate) {
        (Some(t), Some(r)) if t.year > year && t.oriented(r) < t.oriented(t.value) => {
            Some((t.value - r) / f64::from(t.year - year) * 100.0)
        }
        _ => None,
    };
    Assessment {
        status,
        year,
        estimate,
        previous,
        gap_pp,
        required_gain_pp,
        observed_gain_pp: trend.as_ref().map(|t| t.slope * 100.0),
        observed_gain_se_pp: trend.as_ref().map(|t| t.slope_se * 100.0),
        fitted_at_target_year,
        trend,
        target,
        target_year_passed,
    }
}

/// A year with data and its households, for the year picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearCount {
    /// Survey year.
    pub year: i32,
    /// Households surveyed in the selection.
    pub households: usize,
    /// The year is not over yet (the current year or later): its figures are partial.
    pub in_progress: bool,
}

/// Whether a row is a region or a named group of counties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// An administrative region.
    Region,
    /// A named group of counties ([`crate::groups`]).
    Group,
}

/// The plan a row follows, with the phase of the board's year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanUsed {
    /// The region whose plan it is.
    pub region_code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Source document.
    pub source: String,
    /// Every phase.
    pub phases: Vec<Phase>,
    /// The phase of the board's year; none outside the plan's years.
    pub phase: Option<Phase>,
}

/// One row of the board: a region or a group, every indicator assessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressRow {
    /// Region or group.
    pub kind: RowKind,
    /// Region code, or group code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The region's level; none for a group.
    pub level: Option<RegionLevel>,
    /// A group's member counties (empty for a region).
    pub members: Vec<String>,
    /// Households surveyed in the board's year.
    pub households: usize,
    /// The plan the row follows.
    pub plan: Option<PlanUsed>,
    /// Every indicator, assessed.
    pub cells: BTreeMap<Indicator, Assessment>,
    /// The row's indicators in the board's year, for the tables and the report.
    pub indicators: Option<GroupIndicators>,
}

/// The progress board: every region and group of the selection against its targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressBoard {
    /// The year assessed; none without data.
    pub year: Option<i32>,
    /// The year the board was computed in: it and later years are in progress.
    pub current_year: i32,
    /// Households a year needs ([`MIN_N`]).
    pub min_n: usize,
    /// Every year with data in the selection.
    pub years: Vec<YearCount>,
    /// Regions first (enclosing region, then what lies in it, by code), then groups.
    pub rows: Vec<ProgressRow>,
}

/// The tables a board is computed with.
#[derive(Debug, Clone, Copy)]
pub struct ProgressTables<'a> {
    /// The region hierarchy.
    pub regions: &'a RegionTable,
    /// The targets in force.
    pub targets: &'a TargetTable,
    /// The plans.
    pub plans: &'a PlanTable,
    /// The named groups.
    pub groups: &'a GroupTable,
}

/// What a board shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressRequest {
    /// Only this region and what lies in it (any level); everything without.
    #[serde(default)]
    pub within: Option<String>,
    /// The year to assess; default [`default_year`].
    #[serde(default)]
    pub year: Option<i32>,
    /// Today's year (in China): it and later years are in progress.
    pub current_year: i32,
}

/// The year the board opens on: the latest complete year (before `current_year`) with at
/// least [`MIN_N`] households; else the latest complete year with any; else the latest.
pub fn default_year(years: &[YearCount]) -> Option<i32> {
    let complete = || years.iter().filter(|y| !y.in_progress);
    complete()
        .filter(|y| y.households >= MIN_N)
        .map(|y| y.year)
        .max()
        .or_else(|| complete().map(|y| y.year).max())
        .or_else(|| years.iter().map(|y| y.year).max())
}

/// The board for `request` from `county_years`: sums of one county in one year each
/// (already limited to what the caller may see and to the review filter).
pub fn progress_board(
    county_years: &[GroupSums],
    tables: ProgressTables<'_>,
    request: &ProgressRequest,
) -> ProgressBoard {
    let regions = tables.regions;
    let within = |county: &str| {
        request
            .within
            .as_deref()
            .is_none_or(|w| regions.is_within(county, w))
    };
    let selected: Vec<&GroupSums> = county_years
        .iter()
        .filter(|s| s.key.region_code.as_deref().is_some_and(within) && s.key.year.is_some())
        .collect();
    let mut by_year: BTreeMap<i32, usize> = BTreeMap::new();
    for s in &selected {
        *by_year.entry(s.key.year.unwrap_or_default()).or_default() += s.households;
    }
    let years: Vec<YearCount> = by_year
        .into_iter()
        .map(|(year, households)| YearCount {
            year,
            households,
            in_progress: year >= request.current_year,
        })
        .collect();
    let Some(year) = request.year.or_else(|| default_year(&years)) else {
        return ProgressBoard {
            year: None,
            current_year: request.current_year,
            min_n: MIN_N,
            years,
            rows: Vec::new(),
        };
    };
    // The regions shown: the one asked for (or every top region), and every region in it
    // that holds a county with data.
    let counties: BTreeSet<&str> = selected
        .iter()
        .filter_map(|s| s.key.region_code.as_deref())
        .collect();
    let mut shown: BTreeSet<String> = BTreeSet::new();
    if let Some(w) = &request.within {
        shown.insert(w.clone());
    }
    for county in &counties {
        for region in regions.lineage(county) {
            let inside = request
                .within
                .as_deref()
                .is_none_or(|w| regions.is_within(&region.code, w));
            if inside {
                shown.insert(region.code.clone());
            }
        }
        if regions.get(county).is_none() {
            shown.insert((*county).to_owned());
        }
    }
    let mut rows: Vec<ProgressRow> = Vec::new();
    for code in &shown {
        let members = |county: &str| county == code || regions.is_within(county, code);
        let region = regions.get(code);
        rows.push(row_of(
            RowKind::Region,
            code,
            region.map_or(code.as_str(), |r| r.name_zh.as_str()),
            region.map_or(code.as_str(), |r| r.name_en.as_str()),
            region.map(|r| r.level),
            Vec::new(),
            &selected,
            members,
            code,
            year,
            tables,
        ));
    }
    for group in &tables.groups.groups {
        let has_data = group.members.iter().any(|m| counties.contains(m.as_str()));
        let inside = request
            .within
            .as_deref()
            .is_none_or(|w| group.members.iter().all(|m| regions.is_within(m, w)));
        if !has_data || !inside {
            continue;
        }
        let anchor = group.enclosing_region(regions).unwrap_or(NATIONAL);
        rows.push(row_of(
            RowKind::Group,
            &group.code,
            &group.name_zh,
            &group.name_en,
            None,
            group.members.clone(),
            &selected,
            |county| group.contains(county),
            anchor,
            year,
            tables,
        ));
    }
    ProgressBoard {
        year: Some(year),
        current_year: request.current_year,
        min_n: MIN_N,
        years,
        rows,
    }
}

/// One row: the member counties' sums added per year, finished, and assessed.
#[allow(clippy::too_many_arguments)]
fn row_of(
    kind: RowKind,
    code: &str,
    name_zh: &str,
    name_en: &str,
    level: Option<RegionLevel>,
    members: Vec<String>,
    selected: &[&GroupSums],
    is_member: impl Fn(&str) -> bool,
    anchor: &str,
    year: i32,
    tables: ProgressTables<'_>,
) -> ProgressRow {
    let regions = tables.regions;
    let mut per_year: BTreeMap<i32, GroupSums> = BTreeMap::new();
    for s in selected {
        let (Some(county), Some(y)) = (s.key.region_code.as_deref(), s.key.year) else {
            continue;
        };
        if !is_member(county) {
            continue;
        }
        per_year
            .entry(y)
            .or_insert_with(|| GroupSums {
                key: GroupKey {
                    region_code: Some(code.to_owned()),
                    year: Some(y),
                },
                ..GroupSums::default()
            })
            .absorb(s);
    }
    let finished: BTreeMap<i32, GroupIndicators> = per_year
        .into_iter()
        .map(|(y, sums)| (y, sums.into_indicators(regions)))
        .collect();
    let for_group = kind == RowKind::Group;
    let cells = Indicator::ALL
        .into_iter()
        .map(|indicator| {
            let history: Vec<YearEstimate> = finished
                .iter()
                .filter_map(|(y, g)| {
                    g.indicators
                        .get(&indicator)
                        .map(|e| YearEstimate::of(*y, e))
                })
                .collect();
            let target = tables
                .targets
                .applicable(regions, anchor, indicator, year)
                .map(|a| TargetUsed::from_applicable(a, regions, for_group));
            let invalid = finished
                .get(&year)
                .is_some_and(|g| g.quality.implausible.contains(&indicator));
            (indicator, assess(year, &history, target, invalid))
        })
        .collect();
    let plan = tables.plans.for_region(regions, anchor).map(|p| PlanUsed {
        region_code: p.region_code.clone(),
        name_zh: p.name_zh.clone(),
        name_en: p.name_en.clone(),
        source: p.source.clone(),
        phases: p.phases.clone(),
        phase: p.phase_of(year).cloned(),
    });
    let indicators = finished.get(&year).cloned();
    ProgressRow {
        kind,
        code: code.to_owned(),
        name_zh: name_zh.to_owned(),
        name_en: name_en.to_owned(),
        level,
        members,
        households: indicators.as_ref().map_or(0, |g| g.households),
        plan,
        cells,
        indicators,
    }
}

#[cfg(test)]
mod tests;
