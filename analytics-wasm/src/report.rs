//! What an indicator computation answers: every group with its progress against the
//! applicable targets, and the surveys left out and why.
//!
//! The server (from SQL sums), the dashboard (from facts in the browser) and
//! `computeIndicators` (from surveys) all finish their groups with [`GroupReport::new`],
//! so the three show the same progress for the same group.

use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::BTreeMap;

use crate::indicators::{self, GroupIndicators, Grouping, HouseholdFacts, Indicator};
use crate::issue::Issue;
use crate::regions::RegionTable;
use crate::targets::{Progress, TargetTable};
use crate::validation::has_errors;

/// A survey left out of the computation, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    /// Position in the input array.
    pub index: usize,
    /// The problems (errors only).
    pub issues: Vec<Issue>,
}

impl Rejected {
    /// The survey at `index` rejected for the errors among `issues`, if there are any
    /// (warnings alone never leave a survey out).
    pub fn for_errors(index: usize, issues: Vec<Issue>) -> Option<Rejected> {
        has_errors(&issues).then(|| Rejected {
            index,
            issues: issues.into_iter().filter(Issue::is_error).collect(),
        })
    }
}

/// One group with its progress against the applicable targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupReport {
    /// The group's indicators.
    #[serde(flatten)]
    pub group: GroupIndicators,
    /// Progress per indicator that has a rate and a target (grouped by region and year
    /// only: a target applies to a region in a year).
    pub progress: BTreeMap<Indicator, Progress>,
}

impl GroupReport {
    /// A group with its progress against the targets that apply to it (only groups of one
    /// region in one year have targets).
    pub fn new(
        group: GroupIndicators,
        regions: &RegionTable,
        targets: &TargetTable,
    ) -> GroupReport {
        let progress = match (&group.key.region_code, group.key.year) {
            (Some(code), Some(year)) => group
                .indicators
                .iter()
                .filter_map(|(indicator, estimate)| {
                    targets
                        .progress(regions, code, *indicator, year, estimate.rate)
                        .map(|p| (*indicator, p))
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        GroupReport { group, progress }
    }
}

/// What `computeIndicators` and its kin return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorReport {
    /// Every group, by region code then year.
    pub groups: Vec<GroupReport>,
    /// Surveys left out.
    pub rejected: Vec<Rejected>,
}

/// Groups already-made facts and finishes every indicator, with target progress.
pub fn compute_facts<F: Borrow<HouseholdFacts>>(
    facts: &[F],
    grouping: Grouping,
    regions: &RegionTable,
    targets: &TargetTable,
) -> Vec<GroupReport> {
    indicators::compute(facts, grouping, regions)
        .into_iter()
        .map(|group| GroupReport::new(group, regions, targets))
        .collect()
}
