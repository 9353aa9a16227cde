//! Data-quality flags of a group: what a reviewer should look at before trusting the
//! group's rates. Flags never change a rate; they sit beside it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::estimate::{RatioEstimate, SMALL_N, ratio};
use crate::indicators::Indicator;
use std::collections::BTreeMap;

/// How far from the group median film use per mu may lie, in scaled MADs, before a
/// household is called an outlier. 3 is the usual robust cut-off; the MAD is scaled by
/// 1.4826 so that it estimates the standard deviation for normal data.
pub const OUTLIER_MADS: f64 = 3.0;

/// Scales the median absolute deviation to a standard-deviation estimate.
const MAD_SCALE: f64 = 1.4826;

/// Quality flags of one group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QualityFlags {
    /// Surveys in the group.
    pub surveys: usize,
    /// Surveys stored with at least one validation warning.
    pub surveys_with_warnings: usize,
    /// `surveys_with_warnings / surveys`.
    pub warning_share: Option<f64>,
    /// The group's pesticide-packaging recovery (by count, weighted) exceeds 100 %:
    /// accepted, as REFERENCE.md says, but to be explained.
    pub pesticide_recovery_over_100: bool,
    /// Households that returned more packages than they used.
    pub households_returned_exceeds_used: usize,
    /// Bounded indicators whose group rate exceeds 1. Valid surveys cannot do that with
    /// measured amounts; it means an estimated denominator (straw from yield, dung from
    /// herd size) undershoots what households reported using.
    pub rates_above_one: Vec<Indicator>,
    /// Indicators whose group rate exceeds 100 %, which no group's can in principle:
    /// every rate is a share of a whole. That includes pesticide packaging, where one
    /// household may return more than it used (earlier years' stock) but a whole group
    /// returning more than it used means the use is underestimated (REFERENCE.md). The
    /// rate is still reported; its progress is `implausible` and never counts as met.
    pub implausible: Vec<Indicator>,
    /// Median film use per mu in the group, kg/mu.
    pub film_kg_per_mu_median: Option<f64>,
    /// Surveys whose film use per mu lies more than [`OUTLIER_MADS`] scaled MADs from
    /// the group median.
    pub film_kg_per_mu_outliers: Vec<Uuid>,
    /// Fewer than 30 surveys: intervals are wide.
    pub small_n: bool,
}

/// Whether a group rate lies above 100 %, which a share of a whole cannot. A rounding
/// hair above 1 is not a finding: a rate of exactly 1 summed in another order must not
/// flip the flag.
pub fn exceeds_one(rate: f64) -> bool {
    rate > 1.0 + 1e-9
}

/// The quality flags of a group, from its counts, its estimates and its households'
/// film use per mu, or the median and outliers already found from them
/// (`film_finished`; see [`crate::aggregate::GroupSums`]).
pub fn quality_flags_from(
    surveys: usize,
    surveys_with_warnings: usize,
    households_returned_exceeds_used: usize,
    estimates: &BTreeMap<Indicator, RatioEstimate>,
    film_kg_per_mu: &[(f64, Uuid)],
    film_finished: Option<FilmOutliers>,
) -> QualityFlags {
    let rate = |indicator| estimates.get(&indicator).and_then(|e| e.rate);
    let implausible: Vec<Indicator> = Indicator::ALL
        .into_iter()
        .filter(|&i| rate(i).is_some_and(exceeds_one))
        .collect();
    let rates_above_one = implausible
        .iter()
        .copied()
        .filter(|i| i.bounded())
        .collect();
    let FilmOutliers { median, outliers } = match film_finished {
        Some(finished) => finished,
        None => film_outliers(film_kg_per_mu),
    };
    QualityFlags {
        surveys,
        surveys_with_warnings,
        warning_share: ratio(surveys_with_warnings as f64, surveys as f64),
        pesticide_recovery_over_100: rate(Indicator::PesticidePackagingRecovery)
            .is_some_and(|r| r > 1.0),
        households_returned_exceeds_used,
        rates_above_one,
        implausible,
        film_kg_per_mu_median: median,
        film_kg_per_mu_outliers: outliers,
        small_n: surveys < SMALL_N,
    }
}

/// The median film use per mu of a group and the surveys far from it: what cannot be
/// summed, so a store that keeps sums may keep these per group, found from the values by
/// [`film_outliers`], and hand them back with the sums.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FilmOutliers {
    /// Median film use per mu, kg/mu.
    pub median: Option<f64>,
    /// Surveys lying more than [`OUTLIER_MADS`] scaled MADs from the median, by id.
    pub outliers: Vec<Uuid>,
}

/// The median film use per mu of a group and the surveys lying more than
/// [`OUTLIER_MADS`] scaled MADs from it (sorted by id). Non-finite values are ignored.
pub fn film_outliers(per_mu: &[(f64, Uuid)]) -> FilmOutliers {
    let per_mu: Vec<(f64, Uuid)> = per_mu
        .iter()
        .copied()
        .filter(|(v, _)| v.is_finite())
        .collect();
    let mut values: Vec<f64> = per_mu.iter().map(|(v, _)| *v).collect();
    let median_value = median(&mut values);
    let mut outliers = Vec::new();
    if let Some(m) = median_value {
        let mut deviations: Vec<f64> = per_mu.iter().map(|(v, _)| (v - m).abs()).collect();
        let mad = median(&mut deviations).unwrap_or(0.0) * MAD_SCALE;
        // With a MAD of zero (most households identical) every other value would be an
        // outlier; that says more about the data entry than about the households, so
        // nothing is flagged.
        if mad > 0.0 {
            outliers = per_mu
                .iter()
                .filter(|(v, _)| (v - m).abs() > OUTLIER_MADS * mad)
                .map(|(_, id)| *id)
                .collect();
            outliers.sort();
        }
    }
    FilmOutliers {
        median: median_value,
        outliers,
    }
}

/// The median (mean of the middle two for an even count); reorders `values`. A
/// selection, not a sort: linear time, for groups of hundreds of thousands of households.
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let (len, mid) = (values.len(), values.len() / 2);
    let (below, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    Some(if len % 2 == 0 {
        let lower = below
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(upper);
        (lower + upper) / 2.0
    } else {
        upper
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::GroupSums;
    use crate::coefficients::Coefficients;
    use crate::indicators::{GroupKey, HouseholdFacts, Ratio};
    use crate::regions::RegionTable;
    use crate::synthetic::{SyntheticSpec, uuid_for};

    /// The flags of a group made of `members`, the way every caller gets them.
    fn quality_flags(members: &[&HouseholdFacts]) -> QualityFlags {
        GroupSums::from_members(GroupKey::default(), members)
            .into_indicators(&RegionTable::default())
            .quality
    }

    fn facts(seed: u64) -> HouseholdFacts {
        let survey = SyntheticSpec::default().survey(seed);
        HouseholdFacts::from_survey(&survey, &Coefficients::builtin(), None)
    }

    #[test]
    fn the_selected_median_is_the_sorted_one() {
        let mut state = 7_u64;
        for len in 1..60 {
            let mut values: Vec<f64> = (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((state >> 33) % 17) as f64 / 4.0
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let m = sorted.len() / 2;
            let expected = if sorted.len() % 2 == 0 {
                (sorted[m - 1] + sorted[m]) / 2.0
            } else {
                sorted[m]
            };
            assert_eq!(median(&mut values), Some(expected), "{sorted:?}");
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn film_use_far_from_the_median_is_an_outlier() {
        let mut group: Vec<HouseholdFacts> = (0..20)
            .map(|i| {
                let mut f = facts(i);
                f.survey_id = uuid_for(i);
                f.film_kg_per_mu = Some(4.0 + (i % 5) as f64 * 0.25);
                f
            })
            .collect();
        group[7].film_kg_per_mu = Some(40.0);
        let members: Vec<&HouseholdFacts> = group.iter().collect();
        let flags = quality_flags(&members);
        assert_eq!(flags.film_kg_per_mu_outliers, vec![uuid_for(7)]);
        assert_eq!(flags.film_kg_per_mu_median, Some(4.5));
        assert!(flags.small_n);
    }

    /// A store that caches each group's median and outliers hands them over instead of
    /// the values: the group's figures are the same.
    #[test]
    fn finished_film_figures_give_the_flags_the_values_give() {
        let group: Vec<HouseholdFacts> = (0..200)
            .map(|i| {
                let mut f = facts(i);
                f.survey_id = uuid_for(i);
                f.film_kg_per_mu =
                    Some(3.0 + (i * 37 % 23) as f64 * 0.2 + (i % 50 == 0) as u64 as f64 * 30.0);
                f
            })
            .collect();
        let members: Vec<&HouseholdFacts> = group.iter().collect();
        let from_values = GroupSums::from_members(GroupKey::default(), &members);
        let mut finished = from_values.clone();
        finished.film_finished = Some(film_outliers(&finished.film_kg_per_mu));
        finished.film_kg_per_mu.clear();
        let regions = RegionTable::default();
        let (a, b) = (
            from_values.into_indicators(&regions),
            finished.into_indicators(&regions),
        );
        assert_eq!(
            a.quality.film_kg_per_mu_outliers.len(),
            4,
            "{:?}",
            a.quality
        );
        assert_eq!(a, b);
    }

    #[test]
    fn pesticide_over_100_and_warnings_are_flagged() {
        let mut a = facts(1);
        a.pesticide_recovery_count = Some(Ratio { y: 12.0, x: 10.0 });
        a.weight = 1.0;
        a.warnings = 1;
        let mut b = facts(2);
        b.pesticide_recovery_count = Some(Ratio { y: 5.0, x: 10.0 });
        b.weight = 1.0;
        b.warnings = 0;
        let flags = quality_flags(&[&a, &b]);
        assert_eq!(flags.households_returned_exceeds_used, 1);
        assert!(!flags.pesticide_recovery_over_100);
        assert_eq!(flags.warning_share, Some(0.5));
        let flags = quality_flags(&[&a]);
        assert!(flags.pesticide_recovery_over_100);
    }

    #[test]
    fn estimated_denominators_that_undershoot_are_flagged() {
        let mut a = facts(3);
        a.straw_utilization = Some(Ratio { y: 120.0, x: 100.0 });
        let flags = quality_flags(&[&a]);
        assert!(flags.rates_above_one.contains(&Indicator::StrawUtilization));
        assert!(flags.implausible.contains(&Indicator::StrawUtilization));
    }

    #[test]
    fn a_group_rate_above_100_percent_is_implausible_and_exactly_100_is_not() {
        let with = |film: Ratio, packages: Ratio, dung: Ratio| {
            let mut f = facts(4);
            f.weight = 1.0;
            f.film_recovery = Some(film);
            f.pesticide_recovery_count = Some(packages);
            f.yak_dung_utilization = Some(dung);
            f.straw_utilization = Some(Ratio { y: 50.0, x: 100.0 });
            quality_flags(&[&f])
        };
        // Exactly 1.0 (everything recovered, returned, used) is plausible.
        let whole = Ratio { y: 10.0, x: 10.0 };
        let flags = with(whole, whole, whole);
        assert_eq!(flags.implausible, Vec::<Indicator>::new());
        // Just above, for film, pesticide packaging and yak dung alike: pesticide returns
        // beyond use are fine for one household, not for a group's rate.
        let above = Ratio { y: 10.01, x: 10.0 };
        let flags = with(above, Ratio { y: 11.0, x: 10.0 }, above);
        assert_eq!(
            flags.implausible,
            vec![
                Indicator::FilmRecovery,
                Indicator::PesticidePackagingRecovery,
                Indicator::YakDungUtilization
            ]
        );
        // The older flag keeps its meaning (bounded once validated: pesticide apart).
        assert_eq!(
            flags.rates_above_one,
            vec![Indicator::FilmRecovery, Indicator::YakDungUtilization]
        );
        assert!(exceeds_one(1.0 + 1e-6) && !exceeds_one(1.0) && !exceeds_one(1.0 + 1e-12));
    }
}
