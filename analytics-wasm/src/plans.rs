//! Each region's own plan and its phases (REFERENCE.md, "Targets"; the seed documents).
//!
//! Plans are data (`data/plans.csv`): Ali's 2024–2030 plan has a baseline year and three
//! phases and covers 阿里地区 only; Qinghai's guidance (青政办〔2023〕4号) covers the 14th
//! five-year period, 2021–2025, as one phase. A region follows the plan of its nearest
//! enclosing region that has one; a region under no plan has no phases, and the trend
//! chart draws none rather than borrowing another region's.

use serde::{Deserialize, Serialize};

use crate::csv;
use crate::regions::RegionTable;

/// The plan table shipped with the product.
const BUILTIN_PLANS_CSV: &str = include_str!("../data/plans.csv");

/// One phase of a plan, years inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    /// Stable key (`baseline`, `near`, `mid`, `long`, `fyp14`).
    pub key: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// First year of the phase.
    pub first_year: i32,
    /// Last year of the phase.
    pub last_year: i32,
}

impl Phase {
    /// Whether `year` falls in the phase.
    pub fn contains(&self, year: i32) -> bool {
        (self.first_year..=self.last_year).contains(&year)
    }
}

/// A region's plan: its name, source and phases in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The region the plan belongs to.
    pub region_code: String,
    /// Chinese name of the plan.
    pub name_zh: String,
    /// English name of the plan.
    pub name_en: String,
    /// Where the phases come from.
    pub source: String,
    /// The phases, earliest first.
    pub phases: Vec<Phase>,
}

impl Plan {
    /// The phase `year` falls in, if any.
    pub fn phase_of(&self, year: i32) -> Option<&Phase> {
        self.phases.iter().find(|p| p.contains(year))
    }

    /// First and last year the plan covers.
    pub fn years(&self) -> Option<(i32, i32)> {
        let first = self.phases.iter().map(|p| p.first_year).min()?;
        let last = self.phases.iter().map(|p| p.last_year).max()?;
        Some((first, last))
    }
}

/// Every region's plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanTable {
    /// The plans, one per region.
    pub plans: Vec<Plan>,
}

impl PlanTable {
    /// The table shipped with the product.
    pub fn builtin() -> PlanTable {
        // Checked by a unit test; an empty table draws no phases, never wrong ones.
        PlanTable::from_csv(BUILTIN_PLANS_CSV).unwrap_or_default()
    }

    /// Parses `region_code,plan_zh,plan_en,phase,phase_zh,phase_en,first_year,last_year,source`
    /// rows; the rows of one region form its plan, in the order given.
    pub fn from_csv(text: &str) -> Result<PlanTable, String> {
        let mut plans: Vec<Plan> = Vec::new();
        for (index, row) in csv::records(text)?.into_iter().enumerate() {
            let line = index + 2;
            let field = |name: &str| row.get(name).cloned().unwrap_or_default();
            let year = |name: &str| {
                field(name)
                    .parse::<i32>()
                    .map_err(|_| format!("line {line}: {name} {:?} is not a year", field(name)))
            };
            let phase = Phase {
                key: field("phase"),
                name_zh: field("phase_zh"),
                name_en: field("phase_en"),
                first_year: year("first_year")?,
                last_year: year("last_year")?,
            };
            if phase.last_year < phase.first_year {
                return Err(format!("line {line}: the phase ends before it starts"));
            }
            let code = field("region_code");
            match plans.iter_mut().find(|p| p.region_code == code) {
                Some(plan) => plan.phases.push(phase),
                None => plans.push(Plan {
                    region_code: code,
                    name_zh: field("plan_zh"),
                    name_en: field("plan_en"),
                    source: field("source"),
                    phases: vec![phase],
                }),
            }
        }
        Ok(PlanTable { plans })
    }

    /// The plan `region_code` follows: its own, else its nearest enclosing region's.
    pub fn for_region(&self, regions: &RegionTable, region_code: &str) -> Option<&Plan> {
        let lineage = regions.lineage(region_code);
        let chain: Vec<&str> = if lineage.is_empty() {
            vec![region_code]
        } else {
            lineage.iter().map(|r| r.code.as_str()).collect()
        };
        chain
            .into_iter()
            .find_map(|code| self.plans.iter().find(|p| p.region_code == code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_plans_parse() {
        let plans = PlanTable::from_csv(BUILTIN_PLANS_CSV).unwrap_or_default();
        assert_eq!(plans.plans.len(), 2);
        assert_eq!(plans.plans[0].phases.len(), 4);
    }

    #[test]
    fn ali_phases_for_ali_only_and_qinghai_its_own_period() {
        let plans = PlanTable::builtin();
        let regions = RegionTable::builtin();
        // 噶尔县 follows 阿里地区's plan.
        let gar = plans.for_region(&regions, "542523");
        assert_eq!(gar.map(|p| p.region_code.as_str()), Some("542500"));
        assert_eq!(
            gar.and_then(|p| p.phase_of(2026)).map(|p| p.key.as_str()),
            Some("mid")
        );
        assert_eq!(gar.and_then(|p| p.years()), Some((2023, 2030)));
        // A 西宁 district follows Qinghai's 14th five-year guidance, never Ali's phases.
        let xining = plans.for_region(&regions, "630102");
        assert_eq!(xining.map(|p| p.region_code.as_str()), Some("630000"));
        assert_eq!(xining.and_then(|p| p.years()), Some((2021, 2025)));
        assert_eq!(xining.and_then(|p| p.phase_of(2026)), None);
        // Tibet as a whole has no plan of its own in the table.
        assert_eq!(plans.for_region(&regions, "540000"), None);
    }

    #[test]
    fn a_phase_that_ends_before_it_starts_is_refused() {
        let csv = "region_code,plan_zh,plan_en,phase,phase_zh,phase_en,first_year,last_year,source\n\
                   542500,a,a,near,近期,near,2025,2024,x\n";
        assert!(PlanTable::from_csv(csv).is_err());
    }
}
