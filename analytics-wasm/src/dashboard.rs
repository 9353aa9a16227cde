//! The bureau dashboard's figures: household facts held in memory with the targets, and
//! every chart and the progress board recomputed from them for one set of filters.
//!
//! The page loads `GET /api/v1/facts` once; each filter change then runs
//! [`FactSet::dashboard_of`] in WASM, with the same grouping and finishing functions that
//! turn the server's SQL sums into `/api/v1/indicators`, so both show the same numbers.
//! Reading the facts and requests from JSON is the façade's part, in [`crate::api`].

use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;

use crate::aggregate::GroupSums;
use crate::charts::{self, IndicatorByRegionData, MapData, StrawUsesData, TrendData};
use crate::groups::GroupTable;
use crate::indicators::{self, GroupIndicators, Grouping, HouseholdFacts, Indicator, Provenance};
use crate::issue::{Issue, IssueCode};
use crate::plans::PlanTable;
use crate::progress::{ProgressBoard, ProgressRequest, ProgressTables, progress_board};
use crate::regions::{RegionLevel, RegionTable};
use crate::report::{GroupReport, compute_facts};
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

/// Household facts (from `GET /api/v1/facts`) held in memory, with the targets, so that
/// a page recomputes every figure for new filters without asking the server again.
#[derive(Debug, Clone, Default)]
pub struct FactSet {
    facts: Vec<HouseholdFacts>,
    approved: Vec<bool>,
    targets: TargetTable,
    groups: GroupTable,
    as_of: Option<String>,
    /// The last trend's groups (every year of a region), by region and review filter: a
    /// change of years or indicator does not regroup every year again.
    trend_memo: RefCell<Option<(String, bool, Vec<GroupIndicators>)>>,
    /// The sums per county and year, by review filter: the board's input, which only a
    /// change of the review filter changes.
    sums_memo: RefCell<Option<(bool, Vec<GroupSums>)>>,
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
    /// by the server at `as_of`; the targets are the shipped table until
    /// [`FactSet::replace_targets`].
    pub fn new(facts: Vec<HouseholdFacts>, approved: Vec<bool>, as_of: Option<String>) -> Self {
        FactSet {
            facts,
            approved,
            targets: TargetTable::builtin(),
            groups: GroupTable::builtin(),
            as_of,
            trend_memo: RefCell::new(None),
            sums_memo: RefCell::new(None),
        }
    }

    /// When the server computed the facts (`as_of` of the body), if it said.
    pub fn as_of(&self) -> Option<&str> {
        self.as_of.as_deref()
    }

    /// Households held.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    /// Whether no household is held.
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// Replaces the targets (an admin may have changed them since the page loaded).
    pub fn replace_targets(&mut self, targets: TargetTable) {
        self.targets = targets;
        self.trend_memo.replace(None);
    }

    /// Replaces the county groups (the shipped ones and those admins defined).
    pub fn replace_groups(&mut self, groups: GroupTable) {
        self.groups = groups;
    }

    /// The progress board for `request`, from the held facts summed per county and year
    /// exactly as the server sums them in SQL, then [`progress_board`].
    pub fn progress_of(&self, request: &BoardRequest) -> Result<ProgressBoard, Issue> {
        let regions = RegionTable::builtin();
        if let Some(code) = &request.within {
            check_region(&regions, code)?;
        }
        let mut memo = self.sums_memo.borrow_mut();
        if memo
            .as_ref()
            .is_none_or(|(a, _)| *a != request.approved_only)
        {
            let kept: Vec<&HouseholdFacts> = self
                .facts
                .iter()
                .zip(&self.approved)
                .filter(|(_, approved)| !request.approved_only || **approved)
                .map(|(f, _)| f)
                .collect();
            let grouping = Grouping {
                level: Some(RegionLevel::County),
                by_year: true,
            };
            let sums = indicators::group(&kept, grouping, &regions)
                .into_iter()
                .map(|(key, members)| {
                    let members: Vec<&HouseholdFacts> = members.iter().map(|&i| kept[i]).collect();
                    GroupSums::from_members(key, &members)
                })
                .collect();
            *memo = Some((request.approved_only, sums));
        }
        let sums = memo.as_ref().map_or(&[][..], |(_, s)| s.as_slice());
        let plans = PlanTable::builtin();
        Ok(progress_board(
            sums,
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

    /// The held facts within the region and review filter of `request`, in the order
    /// held; the year range is not applied (the trend shows every year).
    fn in_region_and_review(
        &self,
        request: &DashboardRequest,
        regions: &RegionTable,
    ) -> Vec<&HouseholdFacts> {
        // Whether each county is within the region, decided once per county.
        let mut inside: HashMap<&str, bool> = HashMap::new();
        let mut kept: Vec<&HouseholdFacts> = Vec::with_capacity(self.facts.len());
        for (f, approved) in self.facts.iter().zip(&self.approved) {
            if request.approved_only && !approved {
                continue;
            }
            let ok = match &request.within {
                None => true,
                Some(w) => *inside
                    .entry(f.county_code.as_str())
                    .or_insert_with(|| regions.is_within(&f.county_code, w)),
            };
            if ok {
                kept.push(f);
            }
        }
        kept
    }

    /// Every figure of the dashboard for the filters of `request`.
    pub fn dashboard_of(&self, request: &DashboardRequest) -> Result<Dashboard, Issue> {
        let regions = RegionTable::builtin();
        if let Some(code) = &request.within {
            check_region(&regions, code)?;
        }
        let in_region_and_review = self.in_region_and_review(request, &regions);
        let selected: Vec<&HouseholdFacts> = in_region_and_review
            .iter()
            .copied()
            .filter(|f| request.in_years(f.year))
            .collect();
        let single_year = match (request.from, request.to) {
            (Some(f), Some(t)) if f == t => Some(f),
            _ => None,
        };
        let county = Some(RegionLevel::County);
        let by_county = indicators::compute(
            &selected,
            Grouping {
                level: county,
                by_year: single_year.is_some(),
            },
            &regions,
        );
        let last_year = selected.iter().map(|f| f.year).max();
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
        let trend = match &request.within {
            None => None,
            Some(code) => {
                let mut memo = self.trend_memo.borrow_mut();
                let fresh = memo
                    .as_ref()
                    .is_none_or(|(c, a, _)| c != code || *a != request.approved_only);
                if fresh {
                    let level = regions.get(code).map_or(RegionLevel::County, |r| r.level);
                    let groups = indicators::compute(
                        &in_region_and_review,
                        Grouping {
                            level: Some(level),
                            by_year: true,
                        },
                        &regions,
                    );
                    *memo = Some((code.clone(), request.approved_only, groups));
                }
                memo.as_ref().map(|(_, _, groups)| {
                    charts::trend_data(
                        groups,
                        request.indicator,
                        code,
                        &self.targets,
                        &regions,
                        &PlanTable::builtin(),
                        request.current_year,
                    )
                })
            }
        };
        let map = charts::map_data(&by_county, request.indicator, single_year, &regions);
        let mut years: Vec<i32> = in_region_and_review.iter().map(|f| f.year).collect();
        years.sort_unstable();
        years.dedup();
        Ok(Dashboard {
            households: selected.len(),
            years,
            by_region,
            trend,
            straw_uses,
            provenance,
            map,
        })
    }

    /// The groups of the held facts that match `filter` (region, years, review;
    /// indicator and map size are ignored), with progress against the held targets.
    pub fn reports_of(&self, filter: &DashboardRequest, grouping: Grouping) -> Vec<GroupReport> {
        let regions = RegionTable::builtin();
        let selected: Vec<&HouseholdFacts> = self
            .in_region_and_review(filter, &regions)
            .into_iter()
            .filter(|f| filter.in_years(f.year))
            .collect();
        compute_facts(&selected, grouping, &regions, &self.targets)
    }
}
