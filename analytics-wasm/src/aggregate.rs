//! A group's indicators from sums: the form in which a database can hand them over.
//!
//! [`GroupSums`] holds everything a group's [`GroupIndicators`] need: per indicator the
//! eight sums of [`RatioSums`], the straw-use and provenance totals, the counts behind
//! the quality flags, and the film-per-mu values whose median and outliers cannot be
//! summed. The browser builds it from households ([`GroupSums::from_members`]); the
//! server builds it from a `GROUP BY` over stored facts. Either way
//! [`GroupSums::into_indicators`] finishes the group, so the rates, intervals and flags
//! are computed by one piece of code.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::estimate::{Observation, RatioSums, ratio};
use crate::indicators::{
    GroupIndicators, GroupKey, HouseholdFacts, Indicator, Provenance, StrawUse, UseShare,
};
use crate::quality::{FilmOutliers, quality_flags_from};
use crate::regions::RegionTable;
use crate::survey::Crop;

/// What a group's indicators are computed from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GroupSums {
    /// The group.
    pub key: GroupKey,
    /// Households (surveys) in the group.
    pub households: usize,
    /// Surveys stored with at least one warning.
    pub surveys_with_warnings: usize,
    /// Households that returned more pesticide packages than they used.
    pub households_returned_exceeds_used: usize,
    /// Per indicator, the sums of its households (those carrying the section).
    pub indicators: BTreeMap<Indicator, RatioSums>,
    /// `Σ w · use` per straw use, over households with a straw rate.
    pub straw_uses_weighted_kg: [f64; 5],
    /// `Σ use` per straw use, over the same households.
    pub straw_uses_kg: [f64; 5],
    /// Measured versus estimated amounts.
    pub provenance: Provenance,
    /// Film use per mu and survey id of the households that have it.
    pub film_kg_per_mu: Vec<(f64, Uuid)>,
    /// The median and outliers of those values when already found (a store caching
    /// them per group; `film_kg_per_mu` is then empty). They cannot be added: a group
    /// that absorbs others needs the values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub film_finished: Option<FilmOutliers>,
}

/// Crop records left out, per crop in `Crop::ALL` order, as the map of
/// [`Provenance::straw_crops_left_out`] (crops with none are not listed). What a
/// database's per-crop sums are turned into too.
pub fn crops_left_out(counts: [u32; Crop::ALL.len()]) -> BTreeMap<Crop, u32> {
    Crop::ALL
        .into_iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .collect()
}

impl GroupSums {
    /// Sums a group's households (in the order given).
    pub fn from_members(key: GroupKey, members: &[&HouseholdFacts]) -> GroupSums {
        let mut sums = GroupSums {
            key,
            households: members.len(),
            ..GroupSums::default()
        };
        // Summed in an array indexed like `Indicator::ALL` and moved into the map once:
        // a map lookup per household and indicator cost more than the sums themselves.
        let mut by_indicator = [RatioSums::default(); Indicator::ALL.len()];
        let mut left_out = [0u32; Crop::ALL.len()];
        for f in members {
            if f.warnings > 0 {
                sums.surveys_with_warnings += 1;
            }
            if f.pesticide_recovery_count.is_some_and(|r| r.y > r.x) {
                sums.households_returned_exceeds_used += 1;
            }
            for (slot, indicator) in by_indicator.iter_mut().zip(Indicator::ALL) {
                if let Some(r) = f.get(indicator) {
                    slot.add(&Observation {
                        y: r.y,
                        x: r.x,
                        w: f.weight,
                    });
                }
            }
            if let Some(straw) = f.straw_utilization {
                for k in 0..5 {
                    sums.straw_uses_weighted_kg[k] += f.weight * f.straw_uses_kg[k];
                    sums.straw_uses_kg[k] += f.straw_uses_kg[k];
                }
                sums.provenance.straw_measured_kg +=
                    straw.x - f.straw_estimated_kg - f.straw_counted_kg;
                sums.provenance.straw_counted_kg += f.straw_counted_kg;
                sums.provenance.straw_estimated_kg += f.straw_estimated_kg;
            }
            sums.provenance.straw_crops_excluded += f.straw_crops_excluded;
            if f.straw_excluded_crops != 0 {
                for (k, count) in left_out.iter_mut().enumerate() {
                    *count += u32::from((f.straw_excluded_crops >> k) & 1);
                }
            }
            if let Some(dung) = f.yak_dung_utilization {
                sums.provenance.dung_measured_kg += dung.x - f.dung_estimated_kg;
                sums.provenance.dung_estimated_kg += f.dung_estimated_kg;
            }
            sums.provenance.dung_sections_excluded += u32::from(f.dung_excluded);
            if let Some(per_mu) = f.film_kg_per_mu {
                sums.film_kg_per_mu.push((per_mu, f.survey_id));
            }
        }
        sums.indicators = Indicator::ALL.into_iter().zip(by_indicator).collect();
        sums.provenance.straw_crops_left_out = crops_left_out(left_out);
        sums
    }

    /// Adds `other`'s sums to these (a region's or group's sums are its counties'
    /// added: every sum of the estimator is additive). The key stays.
    pub fn absorb(&mut self, other: &GroupSums) {
        // Listed field by field, so that a new sum cannot be forgotten here.
        let GroupSums {
            key: _,
            households,
            surveys_with_warnings,
            households_returned_exceeds_used,
            indicators,
            straw_uses_weighted_kg,
            straw_uses_kg,
            provenance,
            film_kg_per_mu,
            film_finished,
        } = other;
        assert!(
            film_finished.is_none() && self.film_finished.is_none(),
            "a finished median cannot be added to: absorb needs the film values"
        );
        self.households += households;
        self.surveys_with_warnings += surveys_with_warnings;
        self.households_returned_exceeds_used += households_returned_exceeds_used;
        for (indicator, sums) in indicators {
            self.indicators.entry(*indicator).or_default().absorb(sums);
        }
        for k in 0..5 {
            self.straw_uses_weighted_kg[k] += straw_uses_weighted_kg[k];
            self.straw_uses_kg[k] += straw_uses_kg[k];
        }
        self.provenance.absorb(provenance);
        self.film_kg_per_mu.extend(film_kg_per_mu.iter().copied());
    }

    /// Finishes the group: rates, standard errors, intervals, straw shares, flags.
    pub fn into_indicators(self, regions: &RegionTable) -> GroupIndicators {
        let estimates: BTreeMap<_, _> = Indicator::ALL
            .into_iter()
            .map(|i| {
                (
                    i,
                    self.indicators
                        .get(&i)
                        .copied()
                        .unwrap_or_default()
                        .estimate(),
                )
            })
            .collect();
        let straw_total = self
            .indicators
            .get(&Indicator::StrawUtilization)
            .map(|s| s.wx)
            .unwrap_or(0.0);
        let straw_uses = StrawUse::ALL
            .into_iter()
            .enumerate()
            .map(|(k, use_)| {
                let share = UseShare {
                    weighted_kg: self.straw_uses_weighted_kg[k],
                    kg: self.straw_uses_kg[k],
                    share: ratio(self.straw_uses_weighted_kg[k], straw_total),
                };
                (use_, share)
            })
            .collect();
        let quality = quality_flags_from(
            self.households,
            self.surveys_with_warnings,
            self.households_returned_exceeds_used,
            &estimates,
            &self.film_kg_per_mu,
            self.film_finished,
        );
        let region = self.key.region_code.as_deref().and_then(|c| regions.get(c));
        GroupIndicators {
            region_name_zh: region.map(|r| r.name_zh.clone()),
            region_name_en: region.map(|r| r.name_en.clone()),
            key: self.key,
            households: self.households,
            indicators: estimates,
            straw_uses,
            provenance: self.provenance,
            quality,
        }
    }
}
