//! Targets, progress against them, and the phases of the Ali plan (REFERENCE.md,
//! "Targets").
//!
//! Targets are data (`data/targets.csv`, editable by a bureau). A region inherits the
//! nearest ancestor's target for an indicator (county → prefecture → province →
//! national); among one region's targets for an indicator, the one for the nearest target
//! year at or after the data year applies, else the latest.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

use crate::csv;
use crate::indicators::Indicator;
use crate::plans::{Phase, PlanTable};
use crate::quality::exceeds_one;
use crate::regions::RegionTable;

/// The target table shipped with the product.
const BUILTIN_TARGETS_CSV: &str = include_str!("../data/targets.csv");

/// The region code of national targets in `targets.csv`.
pub const NATIONAL: &str = "national";

/// The national livestock-manure key of `targets.csv`. National plans set a target for
/// 畜禽粪污综合利用率 (all livestock manure), not for yak dung; where no regional yak-dung
/// target applies, the manure target is used for the yak-dung indicator, since on the
/// plateau yak dung is the livestock manure. [`ApplicableTarget::proxy`] says so.
pub const MANURE_KEY: &str = "manure_utilization_rate";

/// Whether a target is a floor or a ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// The rate should reach at least the target.
    AtLeast,
    /// The rate should stay at most the target.
    AtMost,
}

/// One target row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Region code, or `national`.
    pub region_code: String,
    /// Indicator key (an [`Indicator::key`], or [`MANURE_KEY`]).
    pub indicator: String,
    /// Target year.
    pub year: i32,
    /// Target rate, 0–1.
    pub target: f64,
    /// Floor or ceiling.
    pub comparison: Comparison,
    /// Where the target comes from.
    pub source: String,
}

/// Targets by region, indicator and year.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetTable {
    /// Every target.
    pub targets: Vec<Target>,
}

/// The target that applies to a region, indicator and year, and how it was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicableTarget {
    /// The target row.
    pub target: Target,
    /// Whether the target was set for an enclosing region (or nationally) rather than
    /// for the region itself.
    pub inherited: bool,
    /// Set when the target belongs to another indicator standing in for this one (the
    /// national manure target for yak dung): that indicator's key.
    pub proxy: Option<String>,
}

/// Where the target that applies to a region comes from, as a bureau reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetOrigin {
    /// Set for the region itself (本地区目标).
    Own,
    /// Set for an enclosing region, a prefecture or province (继承自上级地区).
    Enclosing,
    /// A national target of the same indicator, for a region with none of its own or
    /// above it (全国目标代用).
    National,
    /// The national target of another indicator standing in: the livestock-manure
    /// target for yak dung (以全国畜禽粪污综合利用率目标代用).
    NationalProxy,
}

impl TargetOrigin {
    /// The wire key.
    pub fn key(self) -> &'static str {
        match self {
            TargetOrigin::Own => "own",
            TargetOrigin::Enclosing => "enclosing",
            TargetOrigin::National => "national",
            TargetOrigin::NationalProxy => "national_proxy",
        }
    }
}

impl ApplicableTarget {
    /// Where the target comes from.
    pub fn origin(&self) -> TargetOrigin {
        if self.proxy.is_some() {
            TargetOrigin::NationalProxy
        } else if !self.inherited {
            TargetOrigin::Own
        } else if self.target.region_code == NATIONAL {
            TargetOrigin::National
        } else {
            TargetOrigin::Enclosing
        }
    }

    /// Where the target comes from, said in Chinese and English, naming the enclosing
    /// region a target is inherited from: what every page shows beside a target.
    pub fn origin_words(&self, regions: &RegionTable) -> (String, String) {
        match self.origin() {
            TargetOrigin::Own if self.target.region_code == NATIONAL => {
                ("全国目标".to_owned(), "national target".to_owned())
            }
            TargetOrigin::Own => (
                "本地区目标".to_owned(),
                "this region's own target".to_owned(),
            ),
            TargetOrigin::Enclosing => {
                let code = self.target.region_code.as_str();
                let (zh, en) = regions
                    .get(code)
                    .map_or((code, code), |r| (r.name_zh.as_str(), r.name_en.as_str()));
                (
                    format!("继承自上级地区 {zh}"),
                    format!("inherited from the enclosing region {en}"),
                )
            }
            TargetOrigin::National => (
                "全国目标代用".to_owned(),
                "the national target, used as a proxy".to_owned(),
            ),
            TargetOrigin::NationalProxy => (
                "以全国畜禽粪污综合利用率目标代用".to_owned(),
                "the national livestock-manure utilization target, used as a proxy for yak dung"
                    .to_owned(),
            ),
        }
    }
}

/// Where a rate stands against its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The applicable target.
    pub target: ApplicableTarget,
    /// The rate compared.
    pub rate: f64,
    /// `rate − target` in percentage points; negative means behind for a floor.
    pub gap_pp: f64,
    /// Whether the target is met; never when the rate is implausible.
    pub met: bool,
    /// The rate exceeds 100 %, which a share of a whole cannot (REFERENCE.md, status
    /// 数据异常): the data need checking before the rate says anything about the target.
    pub implausible: bool,
    /// The phase of the data year in the plan the region follows (its own or its
    /// enclosing region's, [`crate::plans`]); none outside every plan.
    pub phase: Option<Phase>,
}

impl TargetTable {
    /// The table shipped with the product.
    pub fn builtin() -> TargetTable {
        // Checked by a unit test; an empty table shows "no target", not a wrong one.
        TargetTable::from_csv(BUILTIN_TARGETS_CSV).unwrap_or_default()
    }

    /// Parses `region_code,indicator,year,target,comparison,source` rows.
    pub fn from_csv(text: &str) -> Result<TargetTable, String> {
        let mut targets = Vec::new();
        for (index, row) in csv::records(text)?.into_iter().enumerate() {
            let line = index + 2;
            let field = |name: &str| row.get(name).map(String::as_str).unwrap_or_default();
            let year = field("year")
                .parse()
                .map_err(|_| format!("line {line}: year {:?} is not a year", field("year")))?;
            let target: f64 = field("target").parse().map_err(|_| {
                format!("line {line}: target {:?} is not a number", field("target"))
            })?;
            if !(0.0..=10.0).contains(&target) {
                return Err(format!("line {line}: target {target} is not a rate"));
            }
            let comparison = match field("comparison") {
                "at_least" | "" => Comparison::AtLeast,
                "at_most" => Comparison::AtMost,
                other => return Err(format!("line {line}: unknown comparison {other:?}")),
            };
            targets.push(Target {
                region_code: field("region_code").to_owned(),
                indicator: field("indicator").to_owned(),
                year,
                target,
                comparison,
                source: field("source").to_owned(),
            });
        }
        Ok(TargetTable { targets })
    }

    /// The target for `indicator` that applies to `region_code` in `year`.
    ///
    /// The pesticide-packaging target applies to both its count and kg variants.
    pub fn applicable(
        &self,
        regions: &RegionTable,
        region_code: &str,
        indicator: Indicator,
        year: i32,
    ) -> Option<ApplicableTarget> {
        let key = match indicator {
            Indicator::PesticidePackagingRecoveryKg => Indicator::PesticidePackagingRecovery.key(),
            other => other.key(),
        };
        let mut chain: Vec<&str> = regions
            .lineage(region_code)
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        if chain.is_empty() {
            chain.push(region_code);
        }
        chain.push(NATIONAL);
        for (depth, code) in chain.iter().enumerate() {
            if let Some(target) = self.pick(code, key, year) {
                return Some(ApplicableTarget {
                    target: target.clone(),
                    inherited: depth > 0,
                    proxy: None,
                });
            }
        }
        if indicator == Indicator::YakDungUtilization {
            return self
                .pick(NATIONAL, MANURE_KEY, year)
                .map(|t| ApplicableTarget {
                    target: t.clone(),
                    inherited: true,
                    proxy: Some(MANURE_KEY.to_owned()),
                });
        }
        None
    }

    /// Among one region's targets for one indicator: the nearest target year at or after
    /// `year`, else the latest.
    fn pick(&self, region_code: &str, key: &str, year: i32) -> Option<&Target> {
        let candidates = || {
            self.targets
                .iter()
                .filter(move |t| t.region_code == region_code && t.indicator == key)
        };
        candidates()
            .filter(|t| t.year >= year)
            .min_by_key(|t| t.year)
            .or_else(|| candidates().max_by_key(|t| t.year))
    }

    /// Progress of `rate` against the applicable target; none without a rate or target.
    pub fn progress(
        &self,
        regions: &RegionTable,
        region_code: &str,
        indicator: Indicator,
        year: i32,
        rate: Option<f64>,
    ) -> Option<Progress> {
        let rate = rate?;
        let target = self.applicable(regions, region_code, indicator, year)?;
        let phase = builtin_plans()
            .for_region(regions, region_code)
            .and_then(|plan| plan.phase_of(year))
            .cloned();
        Some(progress(target, rate, phase))
    }
}

/// The shipped plans, parsed once.
fn builtin_plans() -> &'static PlanTable {
    static PLANS: OnceLock<PlanTable> = OnceLock::new();
    PLANS.get_or_init(PlanTable::builtin)
}

/// Where `rate` stands against `target`, in plan phase `phase`. A rate above 100 % is
/// implausible and never meets a target, however far above a floor it lies.
pub fn progress(target: ApplicableTarget, rate: f64, phase: Option<Phase>) -> Progress {
    let goal = target.target.target;
    let implausible = exceeds_one(rate);
    let met = !implausible
        && match target.target.comparison {
            Comparison::AtLeast => rate >= goal,
            Comparison::AtMost => rate <= goal,
        };
    Progress {
        gap_pp: (rate - goal) * 100.0,
        met,
        implausible,
        rate,
        phase,
        target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(region: &str, indicator: Indicator, year: i32) -> Option<ApplicableTarget> {
        TargetTable::builtin().applicable(&RegionTable::builtin(), region, indicator, year)
    }

    #[test]
    fn builtin_table_parses() {
        let table = TargetTable::from_csv(BUILTIN_TARGETS_CSV);
        assert_eq!(table.map(|t| t.targets.len()), Ok(6));
    }

    #[test]
    fn county_inherits_prefecture_then_national() {
        // 噶尔县 → 阿里地区's 2030 film target.
        let gar = lookup("542523", Indicator::FilmRecovery, 2025);
        assert_eq!(gar.as_ref().map(|t| t.target.target), Some(0.90));
        assert_eq!(gar.as_ref().map(|t| t.inherited), Some(true));
        // 西宁's 城东区 has no regional target: the national 2025 one.
        let xining = lookup("630102", Indicator::FilmRecovery, 2025);
        assert_eq!(xining.as_ref().map(|t| t.target.year), Some(2025));
        assert_eq!(xining.map(|t| t.target.target), Some(0.85));
        // Past the last national target year, the latest target still applies.
        let late = lookup("630102", Indicator::StrawUtilization, 2028);
        assert_eq!(late.map(|t| t.target.target), Some(0.86));
        // The prefecture's own target is not inherited.
        let ali = lookup("542500", Indicator::YakDungUtilization, 2024);
        assert_eq!(
            ali.map(|t| (t.target.target, t.inherited)),
            Some((0.93, false))
        );
        assert_eq!(lookup("630102", Indicator::DegradableFilmShare, 2025), None);
    }

    #[test]
    fn nearest_target_year_at_or_after_the_data_year() {
        let csv = "region_code,indicator,year,target,comparison,source\n\
                   national,film_recovery_rate,2025,0.85,at_least,a\n\
                   national,film_recovery_rate,2030,0.90,at_least,b\n";
        let table = TargetTable::from_csv(csv).unwrap_or_default();
        let regions = RegionTable::builtin();
        let at = |year| {
            table
                .applicable(&regions, "630102", Indicator::FilmRecovery, year)
                .map(|t| t.target.year)
        };
        assert_eq!(at(2024), Some(2025));
        assert_eq!(at(2025), Some(2025));
        assert_eq!(at(2026), Some(2030));
        assert_eq!(at(2031), Some(2030));
    }

    #[test]
    fn every_origin_is_said_in_words_naming_the_region() {
        let regions = RegionTable::builtin();
        let words = |region: &str, indicator| {
            lookup(region, indicator, 2026).map(|t| (t.origin(), t.origin_words(&regions).0))
        };
        assert_eq!(
            words("542500", Indicator::FilmRecovery),
            Some((TargetOrigin::Own, "本地区目标".to_owned()))
        );
        assert_eq!(
            words("542523", Indicator::FilmRecovery),
            Some((
                TargetOrigin::Enclosing,
                "继承自上级地区 阿里地区".to_owned()
            ))
        );
        assert_eq!(
            words("542523", Indicator::StrawUtilization),
            Some((TargetOrigin::National, "全国目标代用".to_owned()))
        );
        assert_eq!(
            words("632701", Indicator::YakDungUtilization),
            Some((
                TargetOrigin::NationalProxy,
                "以全国畜禽粪污综合利用率目标代用".to_owned()
            ))
        );
        // Ali's own yak-dung target wins over the proxy for its counties.
        assert_eq!(
            words("542523", Indicator::YakDungUtilization).map(|w| w.0),
            Some(TargetOrigin::Enclosing)
        );
        assert_eq!(
            words("national", Indicator::FilmRecovery),
            Some((TargetOrigin::Own, "全国目标".to_owned()))
        );
        let english =
            lookup("542523", Indicator::FilmRecovery, 2026).map(|t| t.origin_words(&regions).1);
        assert_eq!(
            english.as_deref(),
            Some("inherited from the enclosing region Ngari (Ali) Prefecture")
        );
    }

    #[test]
    fn yak_dung_falls_back_to_the_national_manure_target() {
        let yushu = lookup("632701", Indicator::YakDungUtilization, 2025);
        assert_eq!(yushu.as_ref().map(|t| t.target.target), Some(0.80));
        assert_eq!(yushu.and_then(|t| t.proxy), Some(MANURE_KEY.to_owned()));
    }

    #[test]
    fn gap_in_points_and_phase() {
        let table = TargetTable::builtin();
        let regions = RegionTable::builtin();
        let p = table.progress(
            &regions,
            "542523",
            Indicator::FilmRecovery,
            2026,
            Some(0.75),
        );
        let Some(p) = p else { panic!("no progress") };
        assert!((p.gap_pp - -15.0).abs() < 1e-9);
        assert!(!p.met);
        assert_eq!(p.phase.map(|p| p.key), Some("mid".to_owned()));
        // A Qinghai county follows Qinghai's 14th five-year period, never Ali's phases.
        let qinghai = table.progress(&regions, "630102", Indicator::FilmRecovery, 2024, Some(0.8));
        assert_eq!(
            qinghai.and_then(|p| p.phase).map(|p| p.key),
            Some("fyp14".to_owned())
        );
        assert_eq!(
            table.progress(&regions, "542523", Indicator::FilmRecovery, 2026, None),
            None
        );
    }

    #[test]
    fn a_rate_above_100_percent_is_implausible_and_never_meets_its_target() {
        let table = TargetTable::builtin();
        let regions = RegionTable::builtin();
        let at = |indicator, rate| {
            table
                .progress(&regions, "542523", indicator, 2025, Some(rate))
                .unwrap_or_else(|| panic!("no target for {indicator:?}"))
        };
        // Exactly 100 % meets the 90 % film target and is plausible.
        let whole = at(Indicator::FilmRecovery, 1.0);
        assert!(whole.met && !whole.implausible);
        // Just above: flagged, not met, though far above the floor; the gap is reported.
        for indicator in [
            Indicator::FilmRecovery,
            Indicator::PesticidePackagingRecovery,
            Indicator::YakDungUtilization,
        ] {
            let above = at(indicator, 1.02);
            assert!(above.implausible && !above.met, "{indicator:?}: {above:?}");
            assert!(above.gap_pp > 0.0);
        }
        // A rate below the target is plausible and not met, as before.
        let behind = at(Indicator::FilmRecovery, 0.5);
        assert!(!behind.implausible && !behind.met);
    }
}
