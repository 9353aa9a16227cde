//! The bureau dashboard's figures: the sums of every county, year and review class held in
//! memory with the targets, and every chart and the progress board recomputed from them
//! for one set of filters.
//!
//! The page loads `GET /api/v1/sums` once (kilobytes, whatever the number of surveys);
//! each filter change then runs [`FactSet::dashboard_of`] in WASM, which selects the rows
//! of the filters and adds and finishes them with the functions that turn the server's
//! SQL sums into `/api/v1/indicators`, so both show the same numbers. Every filter is a
//! union of rows: a region is its counties, a year range its years, "counted" the
//! approved and the counted-but-not-approved classes. Reading the sums, facts and
//! requests from JSON is the façade's part, in [`crate::api`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::aggregate::GroupSums;
use crate::charts::{self, IndicatorByRegionData, MapData, StrawUsesData, TrendData};
use crate::groups::GroupTable;
use crate::indicators::{
    self, GroupIndicators, GroupKey, Grouping, HouseholdFacts, Indicator, Provenance,
};
use crate::issue::{Issue, IssueCode};
use crate::plans::PlanTable;
use crate::progress::{ProgressBoard, ProgressRequest, ProgressTables, progress_board};
use crate::regions::{RegionLevel, RegionTable};
use crate::report::GroupReport;
use crate::sums::{ClassSums, SumsBody};
use crate::targets::TargetTable;

/// What the dashboard shows: the filters of one recompute ([`FactSet::dashboard_of`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardRequest {
    /// Only households within this region (any level); also the trend's region.
    #[serde(default)]
    pub within: Option<String>,
    /// From this year, inclusive.
    #[serde(default)]
    pub from: Option<i32>,
    /// To this year, inclusive.
    #[serde(default)]
    pub to: Option<i32>,
    /// Approved surveys only (otherwise every survey held: the server never sends
    /// rejected ones).
    #[serde(default)]
    pub approved_only: bool,
    /// The indicator of the bars, the trend and the map.
    #[serde(default = "indicators::default_shown")]
    pub indicator: Indicator,
    /// The calendar year now, by the caller's clock (in China): that year is drawn as in
    /// progress on the trend, never as a result. The crate has no clock of its own.
    #[serde(default)]
    pub current_year: Option<i32>,
}

impl DashboardRequest {
    /// Whether `year` is within the requested range.
    fn in_years(&self, year: i32) -> bool {
        self.from.is_none_or(|y| year >= y) && self.to.is_none_or(|y| year <= y)
    }
}

/// Every figure of the dashboard's charts for one set of filters (for `renderChart` and
/// the tables); the progress board is [`FactSet::progress_of`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Households matching the filters.
    pub households: usize,
    /// The years with data in the region and review filter (for the year pickers).
    pub years: Vec<i32>,
    /// Chart (1): the indicator by county, the years of the range pooled (a single
    /// year when `from` = `to`), with the target of the range's last year.
    pub by_region: IndicatorByRegionData,
    /// Chart (2): the indicator of `within` over every year (the year range does not
    /// apply: a trend shows the plan's phases); none without `within`.
    pub trend: Option<TrendData>,
    /// Chart (3): straw by use per county over the range.
    pub straw_uses: StrawUsesData,
    /// Measured, counted and estimated amounts of every household matching the filters,
    /// pooled, and what the straw and dung rates leave out (the note under the straw chart).
    pub provenance: Provenance,
    /// Chart (4): the schematic map, one tile per county, over the range.
    pub map: MapData,
}

/// A 400-style issue when `code` is not a known region.
fn check_region(regions: &RegionTable, code: &str) -> Result<(), Issue> {
    if regions.get(code).is_none() {
        return Err(Issue::error(
            "within",
            IssueCode::InvalidValue,
            format!("区划代码 {code} 不存在"),
            format!("region {code:?} is not known"),
        ));
    }
    Ok(())
}

/// The sums of every county, year and review class (from `GET /api/v1/sums`, or summed
/// from household facts) held in memory with the targets, so that a page recomputes every
/// figure for new filters without asking the server again: a filter selects rows, and
/// the rows are added into each chart's groups ([`GroupSums::absorb`]) and finished as
/// the server finishes its sums ([`GroupSums::into_indicators`]).
#[derive(Debug, Clone, Default)]
pub struct FactSet {
    rows: Vec<ClassSums>,
    households: usize,
    targets: TargetTable,
    groups: GroupTable,
    as_of: Option<String>,
}

/// What the progress board shows ([`FactSet::progress_of`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardRequest {
    /// Only this region and what lies in it.
    #[serde(default)]
    pub within: Option<String>,
    /// The year assessed; default the latest complete year with enough households.
    #[serde(default)]
    pub year: Option<i32>,
    /// Approved surveys only.
    #[serde(default)]
    pub approved_only: bool,
    /// Today's year in China: it and later years are in progress.
    pub current_year: i32,
}

impl FactSet {
    /// Holds `facts`, each approved or not (`approved`, in the same order), as computed
    /// by the server at `as_of`, summed at once into county × year × class rows (the
    /// film-per-mu values kept, so the quality flags of [`FactSet::reports_of`] are the
    /// households'); the targets are the shipped table until [`FactSet::replace_targets`].
    pub fn new(facts: Vec<HouseholdFacts>, approved: Vec<bool>, as_of: Option<String>) -> Self {
        let regions = RegionTable::builtin();
        let grouping = Grouping {
            level: Some(RegionLevel::County),
            by_year: true,
        };
        let households = facts.len();
        let mut rows = Vec::new();
        for class in [true, false] {
            let kept: Vec<&HouseholdFacts> = facts
                .iter()
                .zip(&approved)
                .filter(|(_, a)| **a == class)
                .map(|(f, _)| f)
                .collect();
            for (key, members) in indicators::group(&kept, grouping, &regions) {
                let members: Vec<&HouseholdFacts> = members.iter().map(|&i| kept[i]).collect();
                rows.push(ClassSums {
                    sums: GroupSums::from_members(key, &members),
                    approved: class,
                });
            }
        }
        FactSet::from_rows(rows, households, as_of)
    }

    /// Holds county × year × class rows as sent by `GET /api/v1/sums`.
    pub fn from_rows(rows: Vec<ClassSums>, households: usize, as_of: Option<String>) -> Self {
        FactSet {
            rows,
            households,
            targets: TargetTable::builtin(),
            groups: GroupTable::builtin(),
            as_of,
        }
    }

    /// The held rows as `GET /api/v1/sums` sends them (film-per-mu values dropped): what
    /// the server would send for the same households.
    pub fn sums_body(&self) -> SumsBody {
        let class = |approved: bool| -> Vec<GroupSums> {
            self.rows
                .iter()
                .filter(|r| r.approved == approved)
                .map(|r| r.sums.clone())
                .collect()
        };
        SumsBody::from_classes(self.as_of.clone(), &class(true), &class(false))
    }

    /// When the server computed the facts or sums (`as_of` of the body), if it said.
    pub fn as_of(&self) -> Option<&str> {
        self.as_of.as_deref()
    }

    /// Households held.
    pub fn len(&self) -> usize {
        self.households
    }

    /// Whether no household is held.
    pub fn is_empty(&self) -> bool {
        self.households == 0
    }

    /// Replaces the targets (an admin may have changed them since the page loaded).
    pub fn replace_targets(&mut self, targets: TargetTable) {
        self.targets = targets;
    }

    /// Replaces the county groups (the shipped ones and those admins defined).
    pub fn replace_groups(&mut self, groups: GroupTable) {
        self.groups = groups;
    }

    /// The progress board for `request`: the held rows of the review filter added per
    /// county and year (what the server's SQL sums give), then [`progress_board`].
    pub fn progress_of(&self, request: &BoardRequest) -> Result<ProgressBoard, Issue> {
        let regions = RegionTable::builtin();
        if let Some(code) = &request.within {
            check_region(&regions, code)?;
        }
        let kept = self
            .rows
            .iter()
            .filter(|r| !request.approved_only || r.approved);
        let sums = added(kept, |key| key.clone());
        let plans = PlanTable::builtin();
        Ok(progress_board(
            &sums,
            ProgressTables {
                regions: &regions,
                targets: &self.targets,
                plans: &plans,
                groups: &self.groups,
            },
            &ProgressRequest {
                within: request.within.clone(),
                year: request.year,
                current_year: request.current_year,
            },
        ))
    }

    /// The held rows within the region and review filter of `request`, in the order
    /// held; the year range is not applied (the trend shows every year).
    fn in_region_and_review(
        &self,
        request: &DashboardRequest,
        regions: &RegionTable,
    ) -> Vec<&ClassSums> {
        self.rows
            .iter()
            .filter(|r| !request.approved_only || r.approved)
            .filter(|r| {
                request.within.as_deref().is_none_or(|w| {
                    r.sums
                        .key
                        .region_code
                        .as_deref()
                        .is_some_and(|c| regions.is_within(c, w))
                })
            })
            .collect()
    }

    /// Every figure of the dashboard for the filters of `request`.
    pub fn dashboard_of(&self, request: &DashboardRequest) -> Result<Dashboard, Issue> {
        let regions = RegionTable::builtin();
        if let Some(code) = &request.within {
            check_region(&regions, code)?;
        }
        let in_region_and_review = self.in_region_and_review(request, &regions);
        let selected: Vec<&ClassSums> = in_region_and_review
            .iter()
            .copied()
            .filter(|r| r.sums.key.year.is_some_and(|y| request.in_years(y)))
            .collect();
        let single_year = match (request.from, request.to) {
            (Some(f), Some(t)) if f == t => Some(f),
            _ => None,
        };
        let by_county = finished(
            &selected,
            Grouping {
                level: Some(RegionLevel::County),
                by_year: single_year.is_some(),
            },
            &regions,
        );
        let last_year = selected.iter().filter_map(|r| r.sums.key.year).max();
        let by_region = charts::indicator_by_region_data(
            &by_county,
            request.indicator,
            single_year,
            single_year.or(last_year).unwrap_or_default(),
            &self.targets,
            &regions,
        );
        // The counties' amounts added: what one pooled group would say, without grouping again.
        let mut provenance = Provenance::default();
        for group in &by_county {
            provenance.absorb(&group.provenance);
        }
        let straw_uses = charts::straw_uses_data(&by_county, single_year);
        let trend = request.within.as_ref().map(|code| {
            let level = regions.get(code).map_or(RegionLevel::County, |r| r.level);
            let groups = finished(
                &in_region_and_review,
                Grouping {
                    level: Some(level),
                    by_year: true,
                },
                &regions,
            );
            charts::trend_data(
                &groups,
                request.indicator,
                code,
                &self.targets,
                &regions,
                &PlanTable::builtin(),
                request.current_year,
            )
        });
        let map = charts::map_data(&by_county, request.indicator, single_year, &regions);
        let mut years: Vec<i32> = in_region_and_review
            .iter()
            .filter_map(|r| r.sums.key.year)
            .collect();
        years.sort_unstable();
        years.dedup();
        Ok(Dashboard {
            households: selected.iter().map(|r| r.sums.households).sum(),
            years,
            by_region,
            trend,
            straw_uses,
            provenance,
            map,
        })
    }

    /// The groups of the held rows that match `filter` (region, years, review;
    /// indicator and map size are ignored), with progress against the held targets.
    pub fn reports_of(&self, filter: &DashboardRequest, grouping: Grouping) -> Vec<GroupReport> {
        let regions = RegionTable::builtin();
        let selected: Vec<&ClassSums> = self
            .in_region_and_review(filter, &regions)
            .into_iter()
            .filter(|r| r.sums.key.year.is_some_and(|y| filter.in_years(y)))
            .collect();
        finished(&selected, grouping, &regions)
            .into_iter()
            .map(|group| GroupReport::new(group, &regions, &self.targets))
            .collect()
    }
}

/// The rows added into the groups `key_of` assigns them to, in key order (the order of
/// [`indicators::group`] and of the server's grouped sums).
fn added<'a>(
    rows: impl IntoIterator<Item = &'a ClassSums>,
    key_of: impl Fn(&GroupKey) -> GroupKey,
) -> Vec<GroupSums> {
    let mut groups: BTreeMap<GroupKey, GroupSums> = BTreeMap::new();
    for row in rows {
        let key = key_of(&row.sums.key);
        groups
            .entry(key.clone())
            .or_insert_with(|| GroupSums {
                key,
                ..GroupSums::default()
            })
            .absorb(&row.sums);
    }
    groups.into_values().collect()
}

/// The rows grouped as `grouping` says (a county's region at the level, as
/// [`indicators::group`] resolves it: a county the table lacks keeps its own code) and
/// finished.
fn finished(
    rows: &[&ClassSums],
    grouping: Grouping,
    regions: &RegionTable,
) -> Vec<GroupIndicators> {
    added(rows.iter().copied(), |key| GroupKey {
        region_code: grouping.level.and_then(|level| {
            key.region_code.as_deref().map(|county| {
                regions
                    .ancestor_at(county, level)
                    .map_or_else(|| county.to_owned(), |r| r.code.clone())
            })
        }),
        year: if grouping.by_year { key.year } else { None },
    })
    .into_iter()
    .map(|sums| sums.into_indicators(regions))
    .collect()
}
