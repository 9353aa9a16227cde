//! The six indicators of REFERENCE.md for any group of households, as ratios of totals.
//!
//! The work is split in two so that the server and the browser share it:
//!
//! 1. [`HouseholdFacts::from_survey`] reduces one survey to its numerator/denominator
//!    pairs (film recovered / used, packages returned / used, ...), its weight, its
//!    region and year. Facts are small, serializable and independent of each other, so
//!    the server can store them as columns, filter them in SQL, and hand the selected
//!    rows back here; the web page makes them from the surveys it holds.
//! 2. [`compute`] groups facts by region level and/or year and finishes every ratio,
//!    with weighted estimates and confidence intervals ([`crate::estimate`]) and the
//!    data-quality flags ([`crate::quality`]).
//!
//! Roll-up follows the region hierarchy from the households themselves: a prefecture's
//! rate is `Σ y / Σ x` over all its households, never an average of county rates.
//! Within a group, facts are taken in survey-id order, so the same households give
//! bit-identical results whatever order they arrive in, natively and in WASM.

use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use uuid::Uuid;

use crate::aggregate::GroupSums;
use crate::coefficients::{Coefficients, Source};
use crate::estimate::{RatioEstimate, ratio};
use crate::quality::QualityFlags;
use crate::regions::{RegionLevel, RegionTable};
use crate::survey::{Crop, Survey};
use crate::validation::{ValidationContext, validate};

/// The indicators, each a ratio of totals. The pesticide-packaging rate comes in two
/// variants (by count and by weight), so there are seven ratios for six indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Indicator {
    /// 农膜回收率: film recovered ÷ film used (kg).
    #[serde(rename = "film_recovery_rate")]
    FilmRecovery,
    /// 农药包装废弃物回收率: packages returned ÷ used (count). May exceed 1 (returns of
    /// earlier years); flagged, not clipped.
    #[serde(rename = "pesticide_packaging_recovery_rate")]
    PesticidePackagingRecovery,
    /// The same by weight (kg), for households that weighed their packaging.
    #[serde(rename = "pesticide_packaging_recovery_rate_kg")]
    PesticidePackagingRecoveryKg,
    /// 秸秆综合利用率: straw put to the five uses ÷ collectable straw.
    #[serde(rename = "straw_utilization_rate")]
    StrawUtilization,
    /// 牦牛粪便综合利用率: dung used ÷ dung produced.
    #[serde(rename = "yak_dung_utilization_rate")]
    YakDungUtilization,
    /// Polyethylene film at least 0.010 mm thick ÷ polyethylene film used (degradable
    /// film is outside GB 13735-2017 and left out of both sides).
    #[serde(rename = "film_thickness_compliance_rate")]
    FilmThicknessCompliance,
    /// Degradable film ÷ all film used.
    #[serde(rename = "degradable_film_share")]
    DegradableFilmShare,
}

/// The indicator a chart or the dashboard shows when the request names none.
pub(crate) fn default_shown() -> Indicator {
    Indicator::FilmRecovery
}

impl Indicator {
    /// Every indicator, in display order.
    pub const ALL: [Indicator; 7] = [
        Indicator::FilmRecovery,
        Indicator::PesticidePackagingRecovery,
        Indicator::PesticidePackagingRecoveryKg,
        Indicator::StrawUtilization,
        Indicator::YakDungUtilization,
        Indicator::FilmThicknessCompliance,
        Indicator::DegradableFilmShare,
    ];

    /// The key used on the wire and in `targets.csv`.
    pub fn key(self) -> &'static str {
        match self {
            Indicator::FilmRecovery => "film_recovery_rate",
            Indicator::PesticidePackagingRecovery => "pesticide_packaging_recovery_rate",
            Indicator::PesticidePackagingRecoveryKg => "pesticide_packaging_recovery_rate_kg",
            Indicator::StrawUtilization => "straw_utilization_rate",
            Indicator::YakDungUtilization => "yak_dung_utilization_rate",
            Indicator::FilmThicknessCompliance => "film_thickness_compliance_rate",
            Indicator::DegradableFilmShare => "degradable_film_share",
        }
    }

    /// Parses a key.
    pub fn from_key(key: &str) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|i| i.key() == key)
    }

    /// Chinese name, for titles.
    pub fn name_zh(self) -> &'static str {
        match self {
            Indicator::FilmRecovery => "农膜回收率",
            Indicator::PesticidePackagingRecovery => "农药包装废弃物回收率",
            Indicator::PesticidePackagingRecoveryKg => "农药包装废弃物回收率(按重量)",
            Indicator::StrawUtilization => "秸秆综合利用率",
            Indicator::YakDungUtilization => "牦牛粪便综合利用率",
            Indicator::FilmThicknessCompliance => "地膜厚度达标率",
            Indicator::DegradableFilmShare => "可降解地膜占比",
        }
    }

    /// English name, for titles.
    pub fn name_en(self) -> &'static str {
        match self {
            Indicator::FilmRecovery => "Film recovery rate",
            Indicator::PesticidePackagingRecovery => "Pesticide packaging recovery rate",
            Indicator::PesticidePackagingRecoveryKg => "Pesticide packaging recovery rate (kg)",
            Indicator::StrawUtilization => "Straw utilization rate",
            Indicator::YakDungUtilization => "Yak dung utilization rate",
            Indicator::FilmThicknessCompliance => "Film thickness compliance",
            Indicator::DegradableFilmShare => "Degradable film share",
        }
    }

    /// Whether a valid survey keeps the rate within 0–1. Pesticide returns may exceed
    /// use (REFERENCE.md); every other numerator is part of its denominator.
    pub fn bounded(self) -> bool {
        !matches!(
            self,
            Indicator::PesticidePackagingRecovery | Indicator::PesticidePackagingRecoveryKg
        )
    }
}

/// The five recognised straw uses (五料化).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrawUse {
    /// 肥料化, including returned to the field.
    Fertilizer,
    /// 饲料化.
    Feed,
    /// 基料化 (e.g. mushroom substrate).
    Substrate,
    /// 燃料化.
    Fuel,
    /// 原料化.
    RawMaterial,
}

impl StrawUse {
    /// Every use, in display (and stacking) order.
    pub const ALL: [StrawUse; 5] = [
        StrawUse::Fertilizer,
        StrawUse::Feed,
        StrawUse::Substrate,
        StrawUse::Fuel,
        StrawUse::RawMaterial,
    ];

    /// Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            StrawUse::Fertilizer => "肥料化",
            StrawUse::Feed => "饲料化",
            StrawUse::Substrate => "基料化",
            StrawUse::Fuel => "燃料化",
            StrawUse::RawMaterial => "原料化",
        }
    }

    /// English name.
    pub fn name_en(self) -> &'static str {
        match self {
            StrawUse::Fertilizer => "fertilizer",
            StrawUse::Feed => "feed",
            StrawUse::Substrate => "substrate",
            StrawUse::Fuel => "fuel",
            StrawUse::RawMaterial => "raw material",
        }
    }
}

/// One household's numerator `y` and denominator `x` for one indicator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    /// Numerator.
    pub y: f64,
    /// Denominator.
    pub x: f64,
}

/// What one survey contributes to the indicators: the compact per-household form that
/// both the server (from its tables) and the browser (from surveys) produce.
///
/// A `None` ratio means the household does not carry that section (or its denominator
/// could not be had): it does not count in that indicator's n.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdFacts {
    /// The survey's id; orders households within a group so results do not depend on
    /// input order.
    pub survey_id: Uuid,
    /// County code.
    pub county_code: String,
    /// Survey year.
    pub year: i32,
    /// Sampling weight (1 without a sampling design).
    pub weight: f64,
    /// Film recovered / used, kg.
    pub film_recovery: Option<Ratio>,
    /// Packages returned / used, count.
    pub pesticide_recovery_count: Option<Ratio>,
    /// Packaging returned / used, kg (only when both were weighed).
    pub pesticide_recovery_kg: Option<Ratio>,
    /// Straw utilized / collectable, kg, over the crops whose straw is known.
    pub straw_utilization: Option<Ratio>,
    /// Dung used / produced, kg.
    pub yak_dung_utilization: Option<Ratio>,
    /// Polyethylene film ≥ the minimum thickness / polyethylene film used, kg.
    pub film_thickness_compliance: Option<Ratio>,
    /// Degradable film / all film used, kg.
    pub degradable_film_share: Option<Ratio>,
    /// Straw by use, kg, in [`StrawUse::ALL`] order (same crops as `straw_utilization`).
    pub straw_uses_kg: [f64; 5],
    /// Part of the straw denominator estimated from yield, kg.
    pub straw_estimated_kg: f64,
    /// Part of the straw denominator counted in bundles or cart-loads, kg.
    #[serde(default)]
    pub straw_counted_kg: f64,
    /// Crops left out because their straw could not be estimated.
    pub straw_crops_excluded: u32,
    /// Which crops those are: bit `k` set for `Crop::ALL[k]` (see [`crop_mask`]). A crop
    /// occurs once per survey, so the bits count the crop records left out.
    #[serde(default)]
    pub straw_excluded_crops: u8,
    /// Part of the dung denominator estimated from the herd size, kg.
    pub dung_estimated_kg: f64,
    /// Whether the dung section was left out because it could not be estimated.
    pub dung_excluded: bool,
    /// Film used per mu covered, when both are known.
    pub film_kg_per_mu: Option<f64>,
    /// Validation warnings stored with the survey.
    pub warnings: u32,
    /// GPS latitude, degrees.
    pub lat: Option<f64>,
    /// GPS longitude, degrees.
    pub lon: Option<f64>,
}

impl HouseholdFacts {
    /// Reduces a survey to its facts. `validation`, when given, counts the survey's
    /// warnings (the server passes none and fills `warnings` from its stored issues).
    pub fn from_survey(
        survey: &Survey,
        coefficients: &Coefficients,
        validation: Option<&ValidationContext<'_>>,
    ) -> HouseholdFacts {
        let mut facts = HouseholdFacts {
            survey_id: survey.id,
            county_code: survey.county_code.clone(),
            year: survey.year(),
            weight: survey.weight,
            film_recovery: None,
            pesticide_recovery_count: None,
            pesticide_recovery_kg: None,
            straw_utilization: None,
            yak_dung_utilization: None,
            film_thickness_compliance: None,
            degradable_film_share: None,
            straw_uses_kg: [0.0; 5],
            straw_estimated_kg: 0.0,
            straw_counted_kg: 0.0,
            straw_crops_excluded: 0,
            straw_excluded_crops: 0,
            dung_estimated_kg: 0.0,
            dung_excluded: false,
            film_kg_per_mu: None,
            warnings: 0,
            lat: survey.location.map(|p| p.lat),
            lon: survey.location.map(|p| p.lon),
        };
        if let Some(film) = &survey.film {
            let used = film.used_kg;
            facts.film_recovery = Some(Ratio {
                y: film.recovered_kg,
                x: used,
            });
            facts.degradable_film_share = Some(Ratio {
                y: film.degradable_kg,
                x: used,
            });
            let polyethylene = (used - film.degradable_kg).max(0.0);
            if let Some(mm) = film.thickness_mm {
                if polyethylene > 0.0 {
                    // A hair of tolerance so that 0.010 typed by hand meets 0.010.
                    let compliant = mm >= coefficients.film_min_thickness_mm - 1e-12;
                    facts.film_thickness_compliance = Some(Ratio {
                        y: if compliant { polyethylene } else { 0.0 },
                        x: polyethylene,
                    });
                }
            }
            facts.film_kg_per_mu = film
                .area_mu
                .filter(|area| *area > 0.0)
                .and_then(|area| ratio(used, area));
        }
        if let Some(packaging) = &survey.pesticide_packaging {
            facts.pesticide_recovery_count = Some(Ratio {
                y: packaging.returned_count as f64,
                x: packaging.used_count as f64,
            });
            if let (Some(used), Some(returned)) = (packaging.used_kg, packaging.returned_kg) {
                facts.pesticide_recovery_kg = Some(Ratio {
                    y: returned,
                    x: used,
                });
            }
        }
        let mut straw = None::<Ratio>;
        for crop in &survey.straw {
            match coefficients.collectable_straw(crop) {
                Ok(amount) => {
                    let total = straw.get_or_insert(Ratio { y: 0.0, x: 0.0 });
                    total.x += amount.kg;
                    total.y += crop.utilized_kg();
                    let uses = [
                        crop.fertilizer_kg,
                        crop.feed_kg,
                        crop.substrate_kg,
                        crop.fuel_kg,
                        crop.raw_material_kg,
                    ];
                    for (sum, part) in facts.straw_uses_kg.iter_mut().zip(uses) {
                        *sum += part;
                    }
                    match amount.source {
                        Source::Estimated => facts.straw_estimated_kg += amount.kg,
                        Source::Counted => facts.straw_counted_kg += amount.kg,
                        Source::Measured => {}
                    }
                }
                Err(_) => {
                    facts.straw_crops_excluded += 1;
                    facts.straw_excluded_crops |= crop_mask(crop.crop);
                }
            }
        }
        facts.straw_utilization = straw;
        if let Some(dung) = &survey.yak_dung {
            match coefficients.dung_produced(dung) {
                Ok(amount) => {
                    facts.yak_dung_utilization = Some(Ratio {
                        y: dung.utilized_kg(),
                        x: amount.kg,
                    });
                    if amount.source == Source::Estimated {
                        facts.dung_estimated_kg = amount.kg;
                    }
                }
                Err(_) => facts.dung_excluded = true,
            }
        }
        if let Some(ctx) = validation {
            facts.warnings = validate(survey, ctx)
                .iter()
                .filter(|issue| !issue.is_error())
                .count() as u32;
        }
        facts
    }

    /// The household's numerator and denominator for an indicator.
    pub fn get(&self, indicator: Indicator) -> Option<Ratio> {
        match indicator {
            Indicator::FilmRecovery => self.film_recovery,
            Indicator::PesticidePackagingRecovery => self.pesticide_recovery_count,
            Indicator::PesticidePackagingRecoveryKg => self.pesticide_recovery_kg,
            Indicator::StrawUtilization => self.straw_utilization,
            Indicator::YakDungUtilization => self.yak_dung_utilization,
            Indicator::FilmThicknessCompliance => self.film_thickness_compliance,
            Indicator::DegradableFilmShare => self.degradable_film_share,
        }
    }
}

/// The bit of `crop` in [`HouseholdFacts::straw_excluded_crops`]: `1 << k` for
/// `Crop::ALL[k]`.
pub fn crop_mask(crop: Crop) -> u8 {
    let k = Crop::ALL.iter().position(|c| *c == crop).unwrap_or(0);
    1 << k
}

/// Facts for many surveys (see [`HouseholdFacts::from_survey`]).
pub fn facts_from_surveys(
    surveys: &[Survey],
    coefficients: &Coefficients,
    validation: Option<&ValidationContext<'_>>,
) -> Vec<HouseholdFacts> {
    surveys
        .iter()
        .map(|s| HouseholdFacts::from_survey(s, coefficients, validation))
        .collect()
}

/// How to group households.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grouping {
    /// Region level to group by; none puts every region in one group.
    #[serde(default)]
    pub level: Option<RegionLevel>,
    /// Whether to split groups by survey year.
    #[serde(default)]
    pub by_year: bool,
}

/// Which group a household falls in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupKey {
    /// Region code at the grouping level; none when not grouped by region. A county
    /// missing from the region table keeps its own code (and no name) rather than being
    /// dropped.
    pub region_code: Option<String>,
    /// Survey year; none when not grouped by year.
    pub year: Option<i32>,
}

/// A straw use's part of the group's collectable straw.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UseShare {
    /// Weighted straw put to this use, kg (`Σ w · use`).
    pub weighted_kg: f64,
    /// Straw put to this use as recorded, kg.
    pub kg: f64,
    /// Share of the weighted collectable straw; none when there is none.
    pub share: Option<f64>,
}

/// Which figures of a group were measured and which estimated from coefficients, and
/// what was left out.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Provenance {
    /// Collectable straw weighed in the field, kg.
    pub straw_measured_kg: f64,
    /// Collectable straw counted in the field (bundles or cart-loads × kg each), kg.
    #[serde(default)]
    pub straw_counted_kg: f64,
    /// Collectable straw estimated from yield × 草谷比 × 收集系数, kg.
    pub straw_estimated_kg: f64,
    /// Crop records left out of the straw rate: their straw was neither weighed nor
    /// counted, and no confirmed coefficient (草谷比, 收集系数) for their county and
    /// year estimates it from the yield. They are reported, never guessed.
    pub straw_crops_excluded: u32,
    /// The same records by crop key (`highland_barley`: 12), only crops with any: which
    /// crops a bureau would have to give a 草谷比 (or technicians count) for them to
    /// count.
    #[serde(default)]
    pub straw_crops_left_out: BTreeMap<Crop, u32>,
    /// Dung produced as measured, kg.
    pub dung_measured_kg: f64,
    /// Dung produced as estimated from heads × days × coefficient, kg.
    pub dung_estimated_kg: f64,
    /// Dung sections left out because they could not be estimated.
    pub dung_sections_excluded: u32,
}

impl Provenance {
    /// Adds another group's amounts to these (listed field by field, so that a new
    /// field cannot be forgotten).
    pub fn absorb(&mut self, other: &Provenance) {
        let Provenance {
            straw_measured_kg,
            straw_counted_kg,
            straw_estimated_kg,
            straw_crops_excluded,
            straw_crops_left_out,
            dung_measured_kg,
            dung_estimated_kg,
            dung_sections_excluded,
        } = other;
        self.straw_measured_kg += straw_measured_kg;
        self.straw_counted_kg += straw_counted_kg;
        self.straw_estimated_kg += straw_estimated_kg;
        self.straw_crops_excluded += straw_crops_excluded;
        for (crop, n) in straw_crops_left_out {
            *self.straw_crops_left_out.entry(*crop).or_default() += n;
        }
        self.dung_measured_kg += dung_measured_kg;
        self.dung_estimated_kg += dung_estimated_kg;
        self.dung_sections_excluded += dung_sections_excluded;
    }
}

/// Every indicator of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupIndicators {
    /// The group.
    #[serde(flatten)]
    pub key: GroupKey,
    /// Region name in Chinese, when grouped by a known region.
    pub region_name_zh: Option<String>,
    /// Region name in English, when grouped by a known region.
    pub region_name_en: Option<String>,
    /// Households (surveys) in the group.
    pub households: usize,
    /// Each indicator: weighted rate, unweighted rate, numerator, denominator, n, SE, CI.
    pub indicators: BTreeMap<Indicator, RatioEstimate>,
    /// The straw-utilization breakdown by the five uses.
    pub straw_uses: BTreeMap<StrawUse, UseShare>,
    /// Measured versus estimated amounts.
    pub provenance: Provenance,
    /// Data-quality flags.
    pub quality: QualityFlags,
}

/// Groups the facts and computes every indicator of every group, ordered by region code
/// then year.
/// `facts` may be owned facts or references (a filtered view of a larger set).
pub fn compute<F: Borrow<HouseholdFacts>>(
    facts: &[F],
    grouping: Grouping,
    regions: &RegionTable,
) -> Vec<GroupIndicators> {
    group(facts, grouping, regions)
        .into_iter()
        .map(|(key, members)| {
            let members: Vec<&HouseholdFacts> =
                members.iter().map(|&i| facts[i].borrow()).collect();
            GroupSums::from_members(key, &members).into_indicators(regions)
        })
        .collect()
}

/// Surveys to facts to indicators in one call, for callers that hold surveys.
pub fn compute_from_surveys(
    surveys: &[Survey],
    coefficients: &Coefficients,
    grouping: Grouping,
    regions: &RegionTable,
    validation: Option<&ValidationContext<'_>>,
) -> Vec<GroupIndicators> {
    compute(
        &facts_from_surveys(surveys, coefficients, validation),
        grouping,
        regions,
    )
}

/// Splits facts into groups: each group's member indices, in survey-id order.
pub fn group<F: Borrow<HouseholdFacts>>(
    facts: &[F],
    grouping: Grouping,
    regions: &RegionTable,
) -> Vec<(GroupKey, Vec<usize>)> {
    // Each distinct county is resolved to its group region once; a household then costs
    // one hash of its county code, a scan of that region's few years and no allocation.
    let mut region_index: HashMap<&str, usize, BuildHasherDefault<CodeHasher>> = HashMap::default();
    let mut region_codes: Vec<Option<String>> = Vec::new();
    let mut years_by_region: Vec<Vec<(i32, usize)>> = Vec::new();
    // Members carry their survey id (as one integer, which compares faster than its
    // bytes) so that the sort below reads contiguous memory.
    let mut members: Vec<Vec<(u128, usize)>> = Vec::new();
    for (index, fact) in facts.iter().enumerate() {
        let fact: &HouseholdFacts = fact.borrow();
        let region = *region_index
            .entry(fact.county_code.as_str())
            .or_insert_with(|| {
                region_codes.push(grouping.level.map(|level| {
                    regions
                        .ancestor_at(&fact.county_code, level)
                        .map_or_else(|| fact.county_code.clone(), |r| r.code.clone())
                }));
                years_by_region.push(Vec::new());
                region_codes.len() - 1
            });
        let year = if grouping.by_year { fact.year } else { 0 };
        let years = &mut years_by_region[region];
        let slot = match years.iter().find(|(y, _)| *y == year) {
            Some(&(_, slot)) => slot,
            None => {
                members.push(Vec::new());
                years.push((year, members.len() - 1));
                members.len() - 1
            }
        };
        members[slot].push((fact.survey_id.as_u128(), index));
    }
    // Counties that share a region (all counties of a prefecture) share one group.
    let mut groups: BTreeMap<GroupKey, Vec<(u128, usize)>> = BTreeMap::new();
    for (region, years) in years_by_region.into_iter().enumerate() {
        for (year, slot) in years {
            let key = GroupKey {
                region_code: region_codes[region].clone(),
                year: grouping.by_year.then_some(year),
            };
            groups.entry(key).or_default().append(&mut members[slot]);
        }
    }
    groups
        .into_iter()
        .map(|(key, mut members)| {
            // Survey id, then input position for (invalid) duplicate ids. Facts read in
            // id order (the facts endpoint's) are already sorted: only a check is paid.
            if !members.is_sorted() {
                members.sort_unstable();
            }
            (key, members.into_iter().map(|(_, index)| index).collect())
        })
        .collect()
}

/// FxHash (the Rust compiler's own hasher) for the county codes of [`group`]: SipHash's
/// defence against crafted keys buys nothing for a few dozen region codes and cost more
/// than the sums it fed.
#[derive(Default)]
struct CodeHasher(u64);

impl std::hash::Hasher for CodeHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::{
        Crop, FilmSection, PesticidePackagingSection, StrawCrop, Survey, YakDungSection,
    };
    use crate::synthetic::{SyntheticSpec, uuid_for};
    use chrono::NaiveDate;

    fn survey(seed: u64, county: &str, year: i32, weight: f64) -> Survey {
        Survey {
            id: uuid_for(seed),
            county_code: county.to_owned(),
            township: "t".to_owned(),
            village: "v".to_owned(),
            household: format!("H{seed}"),
            surveyed_on: NaiveDate::from_ymd_opt(year, 8, 1).unwrap_or_default(),
            technician: "tech".to_owned(),
            location: None,
            weight,
            film: None,
            pesticide_packaging: None,
            straw: Vec::new(),
            yak_dung: None,
        }
    }

    fn film(used: f64, recovered: f64) -> FilmSection {
        FilmSection {
            used_kg: used,
            area_mu: None,
            thickness_mm: None,
            degradable_kg: 0.0,
            recovered_kg: recovered,
            recovery_channel: None,
        }
    }

    fn straw(crop: Crop, straw_kg: Option<f64>, yield_kg: Option<f64>, used: f64) -> StrawCrop {
        StrawCrop {
            crop,
            area_mu: None,
            yield_kg,
            straw_kg,
            straw_count: None,
            fertilizer_kg: used / 2.0,
            feed_kg: used / 2.0,
            substrate_kg: 0.0,
            fuel_kg: 0.0,
            raw_material_kg: 0.0,
            burned_kg: 0.0,
            discarded_kg: 0.0,
        }
    }

    fn dung(produced: f64, used: f64) -> YakDungSection {
        YakDungSection {
            yak_head: None,
            produced_kg: Some(produced),
            fuel_kg: used,
            fertilizer_kg: 0.0,
            other_kg: 0.0,
            discarded_kg: 0.0,
        }
    }

    fn packaging(used_count: i64, returned_count: i64) -> PesticidePackagingSection {
        PesticidePackagingSection {
            used_count,
            used_kg: None,
            returned_count,
            returned_kg: None,
            return_channel: None,
        }
    }

    /// The three households of REFERENCE.md's worked example, as surveys.
    fn reference_households() -> Vec<Survey> {
        let mut h1 = survey(1, "542523", 2025, 10.0);
        h1.film = Some(film(40.0, 30.0));
        h1.pesticide_packaging = Some(packaging(20, 15));
        h1.straw = vec![straw(Crop::SpringWheat, Some(1000.0), None, 800.0)];
        h1.yak_dung = Some(dung(10000.0, 8000.0));
        let mut h2 = survey(2, "542523", 2025, 30.0);
        h2.film = Some(film(10.0, 10.0));
        h2.pesticide_packaging = Some(packaging(10, 12));
        h2.straw = vec![straw(Crop::SpringWheat, Some(500.0), None, 450.0)];
        h2.yak_dung = Some(dung(5000.0, 5000.0));
        let mut h3 = survey(3, "542523", 2025, 20.0);
        h3.film = Some(film(50.0, 20.0));
        h3.yak_dung = Some(dung(20000.0, 15000.0));
        vec![h1, h2, h3]
    }

    fn rate(group: &GroupIndicators, indicator: Indicator) -> Option<f64> {
        group.indicators.get(&indicator).and_then(|e| e.rate)
    }

    #[test]
    fn worked_example_from_surveys() {
        let regions = RegionTable::builtin();
        let groups = compute_from_surveys(
            &reference_households(),
            &Coefficients::builtin(),
            Grouping {
                level: Some(RegionLevel::County),
                by_year: true,
            },
            &regions,
            None,
        );
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!(g.key.region_code.as_deref(), Some("542523"));
        assert_eq!(g.region_name_zh.as_deref(), Some("噶尔县"));
        assert_eq!(g.households, 3);
        let film = &g.indicators[&Indicator::FilmRecovery];
        assert_eq!(film.n, 3);
        assert!((film.rate.unwrap_or(0.0) - 0.588235294118).abs() < 1e-9);
        assert!((film.se.unwrap_or(0.0) - 0.168771604128).abs() < 1e-9);
        let packaging = &g.indicators[&Indicator::PesticidePackagingRecovery];
        assert_eq!(packaging.n, 2);
        assert!((packaging.rate.unwrap_or(0.0) - 1.02).abs() < 1e-12);
        assert!(g.quality.pesticide_recovery_over_100);
        assert!((rate(g, Indicator::StrawUtilization).unwrap_or(0.0) - 0.86).abs() < 1e-12);
        assert!(
            (rate(g, Indicator::YakDungUtilization).unwrap_or(0.0) - 0.815384615385).abs() < 1e-9
        );
        // No household weighed its packaging: no kg rate, null rather than NaN.
        assert_eq!(rate(g, Indicator::PesticidePackagingRecoveryKg), None);
        let json = serde_json::to_string(&groups).unwrap_or_default();
        assert!(json.contains(r#""pesticide_packaging_recovery_rate_kg":{"n":0"#));
        assert!(!json.contains("NaN"));
    }

    #[test]
    fn unconfirmed_crops_are_excluded_and_reported() {
        let mut s = survey(9, "630102", 2024, 1.0);
        s.straw = vec![
            // Estimated: 1000 × 1.06 × 0.81 = 858.6 kg collectable.
            straw(Crop::SpringWheat, None, Some(1000.0), 600.0),
            // 青稞 has no confirmed 草谷比: left out entirely, uses included.
            straw(Crop::HighlandBarley, None, Some(1000.0), 900.0),
        ];
        let facts = HouseholdFacts::from_survey(&s, &Coefficients::builtin(), None);
        assert_eq!(facts.straw_crops_excluded, 1);
        let expected_x = 1000.0 * 1.06 * 0.81;
        assert_eq!(
            facts.straw_utilization,
            Some(Ratio {
                y: 600.0,
                x: expected_x
            })
        );
        assert_eq!(facts.straw_estimated_kg, expected_x);
        let groups = compute(&[facts], Grouping::default(), &RegionTable::builtin());
        assert_eq!(groups[0].provenance.straw_crops_excluded, 1);
        assert_eq!(groups[0].provenance.straw_estimated_kg, expected_x);
        assert_eq!(groups[0].provenance.straw_measured_kg, 0.0);
        let feed = groups[0].straw_uses[&StrawUse::Feed];
        assert_eq!(feed.kg, 300.0);
        assert_eq!(feed.share, Some(300.0 / expected_x));
    }

    #[test]
    fn counted_straw_is_in_the_denominator_and_left_out_crops_are_named() {
        use crate::survey::{StrawCount, StrawCountUnit};
        let bundles = |count: f64, kg_each: f64| {
            Some(StrawCount {
                unit: StrawCountUnit::Bundle,
                count,
                kg_each,
            })
        };
        // H1: 青稞 counted, 24 bundles × 12.5 kg = 300 kg, 250 kg used; 春小麦 weighed.
        let mut h1 = survey(11, "542521", 2025, 2.0);
        h1.straw = vec![
            StrawCrop {
                straw_count: bundles(24.0, 12.5),
                ..straw(Crop::HighlandBarley, None, Some(900.0), 250.0)
            },
            straw(Crop::SpringWheat, Some(400.0), None, 300.0),
        ];
        // H2: 青稞 and 玉米 with yield only (no ratio for either): both left out.
        let mut h2 = survey(12, "542521", 2025, 1.0);
        h2.straw = vec![
            straw(Crop::HighlandBarley, None, Some(800.0), 500.0),
            straw(Crop::Corn, None, Some(300.0), 100.0),
        ];
        // H3: 青稞 with yield only again, beside a 马铃薯 estimated from its yield.
        let mut h3 = survey(13, "542522", 2025, 1.0);
        h3.straw = vec![
            straw(Crop::Potato, None, Some(1000.0), 400.0),
            straw(Crop::HighlandBarley, None, Some(600.0), 300.0),
        ];
        let coefficients = Coefficients::builtin();
        let facts = facts_from_surveys(&[h1, h2, h3], &coefficients, None);
        assert_eq!(
            facts[0].straw_utilization,
            Some(Ratio { y: 550.0, x: 700.0 })
        );
        assert_eq!(facts[0].straw_counted_kg, 300.0);
        assert_eq!(facts[0].straw_estimated_kg, 0.0);
        assert_eq!(
            (facts[0].straw_crops_excluded, facts[0].straw_excluded_crops),
            (0, 0)
        );
        // A household whose every crop is left out has no straw rate at all.
        assert_eq!(facts[1].straw_utilization, None);
        assert_eq!(facts[1].straw_crops_excluded, 2);
        assert_eq!(
            facts[1].straw_excluded_crops,
            crop_mask(Crop::HighlandBarley) | crop_mask(Crop::Corn)
        );
        let potato_kg = 1000.0 * 0.71 * 0.81;
        assert_eq!(facts[2].straw_estimated_kg, potato_kg);
        let groups = compute(&facts, Grouping::default(), &RegionTable::builtin());
        let provenance = &groups[0].provenance;
        assert_eq!(provenance.straw_counted_kg, 300.0);
        assert_eq!(provenance.straw_measured_kg, 400.0);
        assert_eq!(provenance.straw_estimated_kg, potato_kg);
        assert_eq!(provenance.straw_crops_excluded, 3);
        assert_eq!(
            provenance.straw_crops_left_out,
            BTreeMap::from([(Crop::HighlandBarley, 2), (Crop::Corn, 1)])
        );
        // The weighted rate counts the counted straw like weighed straw.
        let straw_rate = rate(&groups[0], Indicator::StrawUtilization).unwrap_or(0.0);
        let expected = (2.0 * 550.0 + 400.0) / (2.0 * 700.0 + potato_kg);
        assert!((straw_rate - expected).abs() < 1e-12, "{straw_rate}");
        // On the wire, by crop key.
        let json = serde_json::to_value(provenance).unwrap_or_default();
        assert_eq!(
            json["straw_crops_left_out"],
            serde_json::json!({"highland_barley": 2, "corn": 1})
        );
        // Per county: 普兰 has H1 and H2, 札达 H3.
        let by_county = compute(
            &facts,
            Grouping {
                level: Some(RegionLevel::County),
                by_year: true,
            },
            &RegionTable::builtin(),
        );
        let left_out: Vec<_> = by_county
            .iter()
            .map(|g| g.provenance.straw_crops_left_out.clone())
            .collect();
        assert_eq!(
            left_out,
            [
                BTreeMap::from([(Crop::HighlandBarley, 1), (Crop::Corn, 1)]),
                BTreeMap::from([(Crop::HighlandBarley, 1)])
            ]
        );
    }

    #[test]
    fn thickness_compliance_leaves_degradable_film_out() {
        let mut s = survey(4, "630102", 2024, 1.0);
        s.film = Some(FilmSection {
            thickness_mm: Some(0.008),
            degradable_kg: 4.0,
            area_mu: Some(2.0),
            ..film(10.0, 5.0)
        });
        let facts = HouseholdFacts::from_survey(&s, &Coefficients::builtin(), None);
        assert_eq!(
            facts.film_thickness_compliance,
            Some(Ratio { y: 0.0, x: 6.0 })
        );
        assert_eq!(facts.degradable_film_share, Some(Ratio { y: 4.0, x: 10.0 }));
        assert_eq!(facts.film_kg_per_mu, Some(5.0));
        s.film = Some(FilmSection {
            thickness_mm: Some(0.010),
            ..film(10.0, 5.0)
        });
        let facts = HouseholdFacts::from_survey(&s, &Coefficients::builtin(), None);
        assert_eq!(
            facts.film_thickness_compliance,
            Some(Ratio { y: 10.0, x: 10.0 })
        );
    }

    #[test]
    fn prefecture_rolls_up_households_not_county_rates() {
        // County A: 90 of 100 kg; county B: 1 of 10 kg. Mean of county rates would be
        // 0.5; the prefecture's ratio of totals is 91/110.
        let mut a = survey(5, "542521", 2025, 1.0);
        a.film = Some(film(100.0, 90.0));
        let mut b = survey(6, "542522", 2025, 1.0);
        b.film = Some(film(10.0, 1.0));
        let regions = RegionTable::builtin();
        let facts = facts_from_surveys(&[a, b], &Coefficients::builtin(), None);
        let prefecture = compute(
            &facts,
            Grouping {
                level: Some(RegionLevel::Prefecture),
                by_year: false,
            },
            &regions,
        );
        assert_eq!(prefecture.len(), 1);
        assert_eq!(prefecture[0].key.region_code.as_deref(), Some("542500"));
        assert_eq!(
            rate(&prefecture[0], Indicator::FilmRecovery),
            Some(91.0 / 110.0)
        );
        let province = compute(
            &facts,
            Grouping {
                level: Some(RegionLevel::Province),
                by_year: true,
            },
            &regions,
        );
        assert_eq!(province[0].key.region_code.as_deref(), Some("540000"));
        assert_eq!(province[0].key.year, Some(2025));
    }

    #[test]
    fn synthetic_data_groups_by_county_and_year() {
        let surveys = SyntheticSpec::default().surveys(3_000);
        let regions = RegionTable::builtin();
        let groups = compute_from_surveys(
            &surveys,
            &Coefficients::builtin(),
            Grouping {
                level: Some(RegionLevel::County),
                by_year: true,
            },
            &regions,
            None,
        );
        assert_eq!(groups.iter().map(|g| g.households).sum::<usize>(), 3_000);
        // 27 counties × 3 years, all present with 3 000 surveys.
        assert_eq!(groups.len(), 81);
        // Synthetic recovery improves year on year (the plan's intent).
        let film_by_year = compute_from_surveys(
            &surveys,
            &Coefficients::builtin(),
            Grouping {
                level: None,
                by_year: true,
            },
            &regions,
            None,
        );
        let rates: Vec<f64> = film_by_year
            .iter()
            .filter_map(|g| rate(g, Indicator::FilmRecovery))
            .collect();
        assert_eq!(rates.len(), 3);
        assert!(rates[0] < rates[1] && rates[1] < rates[2], "{rates:?}");
    }
}
