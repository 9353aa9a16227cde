//! Coefficients that turn what a technician could record (grain yield, herd size) into
//! the amounts the indicators need (collectable straw, dung produced).
//!
//! The values are data, not code: a bureau edits `coefficients.csv` (or the server's
//! copy of it) without a release, and the formulas here only read them. A coefficient
//! without a confirmed value (an empty cell, REFERENCE.md: 青稞, 玉米, 豌豆/蚕豆) means
//! "cannot estimate": the crop's straw is left out of the straw indicator and reported as
//! excluded, never guessed.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::csv;
use crate::issue::{Issue, IssueCode};
use crate::regions::RegionTable;
use crate::survey::{Crop, StrawCrop, YakDungSection};
use crate::targets::NATIONAL;

/// The coefficient table shipped with the product.
const BUILTIN_COEFFICIENTS_CSV: &str = include_str!("../data/coefficients.csv");

/// Days of dung a yak produces in the survey year: the survey covers a whole year.
pub const DAYS_PER_YEAR: f64 = 365.0;

/// The coefficients the estimates need. Serializable so that a caller (the server, the
/// web page) can pass a bureau's own values as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coefficients {
    /// 草谷比 per crop: kg of straw per kg of grain or product. `None` (or a crop that is
    /// absent) means unconfirmed: the crop's straw cannot be estimated.
    pub straw_grain_ratio: BTreeMap<Crop, Option<f64>>,
    /// 收集系数: the collectable share of theoretical straw, 0–1.
    pub straw_collectable_coefficient: Option<f64>,
    /// Dung per yak per day, kg.
    pub yak_dung_kg_per_head_day: Option<f64>,
    /// Days per year used in the dung estimate.
    #[serde(default = "default_days")]
    pub days_per_year: f64,
    /// Minimum thickness of polyethylene mulch film, mm (GB 13735-2017).
    pub film_min_thickness_mm: f64,
}

fn default_days() -> f64 {
    DAYS_PER_YEAR
}

/// Whether an amount was recorded by the technician or computed from coefficients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Weighed (or otherwise measured in full) in the field.
    Measured,
    /// Counted in the field: bundles or cart-loads times the weight of one
    /// ([`crate::survey::StrawCount`]).
    Counted,
    /// Computed from yield or herd size with the coefficient table.
    Estimated,
}

/// An amount together with where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Amount {
    /// The amount, kg.
    pub kg: f64,
    /// Measured or estimated.
    pub source: Source,
}

impl Amount {
    /// An amount the technician measured.
    fn measured(kg: f64) -> Amount {
        Amount {
            kg,
            source: Source::Measured,
        }
    }

    /// An amount counted in the field.
    fn counted(kg: f64) -> Amount {
        Amount {
            kg,
            source: Source::Counted,
        }
    }

    /// An amount computed from coefficients.
    fn estimated(kg: f64) -> Amount {
        Amount {
            kg,
            source: Source::Estimated,
        }
    }
}

/// Why an amount could not be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CannotEstimate {
    /// Neither a measurement nor the input to estimate from (yield, head count).
    NoInput,
    /// The coefficient the estimate needs has no confirmed value.
    UnconfirmedCoefficient,
}

impl Coefficients {
    /// The table shipped with the product (`data/coefficients.csv`).
    pub fn builtin() -> Coefficients {
        // The shipped file is checked by a unit test. Should it ever fail to parse, the
        // empty table estimates nothing, which shows as excluded crops, not wrong numbers.
        Coefficients::from_csv(BUILTIN_COEFFICIENTS_CSV).unwrap_or_else(|_| Coefficients::empty())
    }

    /// A table with no coefficient confirmed: every estimate is refused.
    pub fn empty() -> Coefficients {
        Coefficients {
            straw_grain_ratio: BTreeMap::new(),
            straw_collectable_coefficient: None,
            yak_dung_kg_per_head_day: None,
            days_per_year: DAYS_PER_YEAR,
            film_min_thickness_mm: 0.010,
        }
    }

    /// Parses `kind,key,value,unit,status,source` rows (the national values; see
    /// [`CoefficientTable::from_csv`] for the optional region and year columns).
    pub fn from_csv(text: &str) -> Result<Coefficients, String> {
        Ok(CoefficientTable::from_csv(text)?.resolve(&RegionTable::default(), NATIONAL, i32::MAX))
    }

    /// Sets one coefficient. A key the kind does not take is ignored (entries are checked
    /// with [`CoefficientEntry::check`] before they get here), and the film thickness
    /// standard keeps its value when given none: a mandatory standard has no
    /// "unconfirmed" state.
    pub fn set(&mut self, kind: CoefficientKind, key: &str, value: Option<f64>) {
        match kind {
            CoefficientKind::StrawGrainRatio => {
                if let Some(crop) = Crop::from_key(key) {
                    self.straw_grain_ratio.insert(crop, value);
                }
            }
            CoefficientKind::StrawCollectableCoefficient => {
                self.straw_collectable_coefficient = value;
            }
            CoefficientKind::YakDungPerHeadDay => self.yak_dung_kg_per_head_day = value,
            CoefficientKind::FilmMinThickness => {
                if let Some(mm) = value {
                    self.film_min_thickness_mm = mm;
                }
            }
        }
    }

    /// The confirmed 草谷比 of a crop, if any.
    pub fn straw_grain_ratio(&self, crop: Crop) -> Option<f64> {
        self.straw_grain_ratio
            .get(&crop)
            .copied()
            .flatten()
            .filter(|v| v.is_finite() && *v >= 0.0)
    }

    /// The confirmed 收集系数, if any (it must lie in 0–1 to count).
    pub fn collectable_coefficient(&self) -> Option<f64> {
        self.straw_collectable_coefficient
            .filter(|v| v.is_finite() && (0.0..=1.0).contains(v))
    }

    /// Collectable straw of one crop: the weighed `straw_kg`, else the counted
    /// `count × kg_each`, else `yield × 草谷比 × 收集系数`. (Validation refuses a crop
    /// with both a weight and a count; should one get here, the weight wins.)
    pub fn collectable_straw(&self, crop: &StrawCrop) -> Result<Amount, CannotEstimate> {
        if let Some(kg) = crop.straw_kg {
            return Ok(Amount::measured(kg));
        }
        if let Some(count) = &crop.straw_count {
            return Ok(Amount::counted(count.total_kg()));
        }
        let yield_kg = crop.yield_kg.ok_or(CannotEstimate::NoInput)?;
        let ratio = self
            .straw_grain_ratio(crop.crop)
            .ok_or(CannotEstimate::UnconfirmedCoefficient)?;
        let collectable = self
            .collectable_coefficient()
            .ok_or(CannotEstimate::UnconfirmedCoefficient)?;
        Ok(Amount::estimated(yield_kg * ratio * collectable))
    }

    /// Dung produced by the household: the measured `produced_kg`, or else
    /// `heads × days × kg per head per day`.
    pub fn dung_produced(&self, dung: &YakDungSection) -> Result<Amount, CannotEstimate> {
        if let Some(kg) = dung.produced_kg {
            return Ok(Amount::measured(kg));
        }
        let heads = dung.yak_head.ok_or(CannotEstimate::NoInput)?;
        let per_day = self
            .yak_dung_kg_per_head_day
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or(CannotEstimate::UnconfirmedCoefficient)?;
        Ok(Amount::estimated(
            heads as f64 * self.days_per_year * per_day,
        ))
    }
}

/// What a coefficient is for; its wire key is the `kind` column of `coefficients.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoefficientKind {
    /// 草谷比 of one crop (key: the crop's key).
    StrawGrainRatio,
    /// 收集系数, the collectable share of theoretical straw (key: `all`).
    StrawCollectableCoefficient,
    /// Dung per yak per day, kg (key: `yak`).
    YakDungPerHeadDay,
    /// Minimum mulch-film thickness, mm (key: `polyethylene`).
    FilmMinThickness,
}

impl CoefficientKind {
    /// Every kind.
    pub const ALL: [CoefficientKind; 4] = [
        CoefficientKind::StrawGrainRatio,
        CoefficientKind::StrawCollectableCoefficient,
        CoefficientKind::YakDungPerHeadDay,
        CoefficientKind::FilmMinThickness,
    ];

    /// The key on the wire and in the CSV.
    pub fn key(self) -> &'static str {
        match self {
            CoefficientKind::StrawGrainRatio => "straw_grain_ratio",
            CoefficientKind::StrawCollectableCoefficient => "straw_collectable_coefficient",
            CoefficientKind::YakDungPerHeadDay => "yak_dung_per_head_day",
            CoefficientKind::FilmMinThickness => "film_min_thickness",
        }
    }

    /// Parses a wire key.
    pub fn from_key(key: &str) -> Option<CoefficientKind> {
        CoefficientKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The one key a kind other than the straw ratio takes.
    pub fn fixed_key(self) -> Option<&'static str> {
        match self {
            CoefficientKind::StrawGrainRatio => None,
            CoefficientKind::StrawCollectableCoefficient => Some("all"),
            CoefficientKind::YakDungPerHeadDay => Some("yak"),
            CoefficientKind::FilmMinThickness => Some("polyethylene"),
        }
    }

    /// The keys this kind takes: the crops that can be estimated from yield for the straw
    /// ratio (not `other`, whose straw must be weighed), else its fixed key.
    pub fn keys(self) -> Vec<&'static str> {
        match self.fixed_key() {
            Some(key) => vec![key],
            None => Crop::ALL
                .into_iter()
                .filter(|c| *c != Crop::Other)
                .map(Crop::key)
                .collect(),
        }
    }

    /// The values that make physical sense, inclusive. Wider than any published value,
    /// so a bureau's own measurement is never refused, but a slipped decimal point is.
    pub fn plausible_range(self) -> (f64, f64) {
        match self {
            CoefficientKind::StrawGrainRatio => (0.0, 10.0),
            CoefficientKind::StrawCollectableCoefficient => (0.0, 1.0),
            CoefficientKind::YakDungPerHeadDay => (0.0, 30.0),
            CoefficientKind::FilmMinThickness => (0.001, 1.0),
        }
    }

    /// The unit the value is in.
    pub fn unit(self) -> &'static str {
        match self {
            CoefficientKind::StrawGrainRatio => "kg straw per kg product",
            CoefficientKind::StrawCollectableCoefficient => "fraction 0-1",
            CoefficientKind::YakDungPerHeadDay => "kg dry matter per head per day",
            CoefficientKind::FilmMinThickness => "mm",
        }
    }

    fn name_zh(self) -> &'static str {
        match self {
            CoefficientKind::StrawGrainRatio => "草谷比",
            CoefficientKind::StrawCollectableCoefficient => "收集系数",
            CoefficientKind::YakDungPerHeadDay => "牦牛日排粪量",
            CoefficientKind::FilmMinThickness => "地膜最小厚度",
        }
    }
}

/// The first year a shipped (national) coefficient applies from.
pub const DEFAULT_VALID_FROM: i32 = 2000;

/// The years a coefficient may be set from.
pub const VALID_FROM_RANGE: (i32, i32) = (2000, 2100);

/// One stored coefficient: the value a region (or `national`) uses for surveys of
/// `valid_from` and later years, until a later entry of the same region takes over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoefficientEntry {
    /// Region code, or `national`.
    pub region_code: String,
    /// First survey year the value applies to.
    pub valid_from: i32,
    /// What the coefficient is for.
    pub kind: CoefficientKind,
    /// The crop for the straw ratio; `all`, `yak` or `polyethylene` for the others.
    pub key: String,
    /// The value; `None` marks it unconfirmed, so nothing is estimated with it.
    pub value: Option<f64>,
    /// Unit of the value.
    pub unit: String,
    /// `sourced`, `default`, `unconfirmed` or `set by bureau`.
    pub status: String,
    /// Where the value comes from (publication, measurement, document).
    pub source: String,
}

impl CoefficientEntry {
    /// What is wrong with this entry, each problem naming its field. The region code is
    /// checked by the caller, which knows the region table it stores against.
    pub fn check(&self) -> Vec<Issue> {
        let mut issues = Vec::new();
        let (first, last) = VALID_FROM_RANGE;
        if !(first..=last).contains(&self.valid_from) {
            issues.push(Issue::error(
                "valid_from",
                IssueCode::OutOfRange,
                format!("起始年份 {} 不在 {first}–{last} 之间", self.valid_from),
                format!("valid_from {} is outside {first}–{last}", self.valid_from),
            ));
        }
        let keys = self.kind.keys();
        if !keys.contains(&self.key.as_str()) {
            issues.push(Issue::error(
                "key",
                IssueCode::InvalidValue,
                format!(
                    "{}的键 {:?} 无效,可用:{}",
                    self.kind.name_zh(),
                    self.key,
                    keys.join(", ")
                ),
                format!(
                    "key {:?} is not one {} takes; use one of: {}",
                    self.key,
                    self.kind.key(),
                    keys.join(", ")
                ),
            ));
        }
        let (low, high) = self.kind.plausible_range();
        match self.value {
            None if self.kind == CoefficientKind::FilmMinThickness => issues.push(Issue::error(
                "value",
                IssueCode::Required,
                "地膜最小厚度是强制性国家标准,必须有值".to_owned(),
                "the film thickness standard needs a value (it cannot be unconfirmed)".to_owned(),
            )),
            None => {}
            Some(v) if !v.is_finite() => issues.push(Issue::error(
                "value",
                IssueCode::NotFinite,
                "系数值必须是有限数".to_owned(),
                "value must be a finite number".to_owned(),
            )),
            Some(v) if v < low || v > high => issues.push(Issue::error(
                "value",
                IssueCode::OutOfRange,
                format!("{}须在 {low}–{high} 之间,收到 {v}", self.kind.name_zh()),
                format!("{} must lie in {low}–{high}, got {v}", self.kind.key()),
            )),
            Some(_) => {}
        }
        issues
    }
}

/// A coefficient and whether it was set for an enclosing region rather than the region
/// itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedCoefficient {
    /// The entry that applies.
    pub entry: CoefficientEntry,
    /// Whether it belongs to an enclosing region (or is national).
    pub inherited: bool,
}

/// Coefficients by region and year, as a bureau maintains them.
///
/// For a survey in a county and year, each coefficient is looked up separately: the
/// nearest region that has an entry for it (county → prefecture → province → national),
/// and among that region's entries the latest `valid_from` not after the survey year. So
/// a county that confirms its own 青稞 ratio keeps the provincial collectable coefficient,
/// and a revised value for 2026 leaves the 2025 surveys as they were estimated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoefficientTable {
    /// Every entry.
    pub entries: Vec<CoefficientEntry>,
}

impl CoefficientTable {
    /// The table shipped with the product: national values from [`DEFAULT_VALID_FROM`].
    pub fn builtin() -> CoefficientTable {
        // Checked by a unit test; an empty table estimates nothing (excluded, not wrong).
        CoefficientTable::from_csv(BUILTIN_COEFFICIENTS_CSV).unwrap_or_default()
    }

    /// Parses `kind,key,value,unit,status,source` rows, with optional `region_code`
    /// (default `national`) and `valid_from` (default [`DEFAULT_VALID_FROM`]) columns.
    /// An empty value is an unconfirmed coefficient; unknown kinds are skipped so that the
    /// file can carry notes for other tools; any other problem is an error naming the
    /// line and the field.
    pub fn from_csv(text: &str) -> Result<CoefficientTable, String> {
        let mut entries = Vec::new();
        for (index, row) in csv::records(text)?.into_iter().enumerate() {
            let line = index + 2;
            let field = |name: &str| row.get(name).map(String::as_str).unwrap_or_default();
            let Some(kind) = CoefficientKind::from_key(field("kind")) else {
                continue;
            };
            let raw = field("value");
            let value = if raw.is_empty() {
                None
            } else {
                Some(
                    raw.parse::<f64>()
                        .map_err(|_| format!("line {line}: value {raw:?} is not a number"))?,
                )
            };
            let valid_from = match field("valid_from") {
                "" => DEFAULT_VALID_FROM,
                year => year
                    .parse()
                    .map_err(|_| format!("line {line}: valid_from {year:?} is not a year"))?,
            };
            let entry = CoefficientEntry {
                region_code: match field("region_code") {
                    "" => NATIONAL.to_owned(),
                    code => code.to_owned(),
                },
                valid_from,
                kind,
                key: field("key").to_owned(),
                value,
                unit: field("unit").to_owned(),
                status: field("status").to_owned(),
                source: field("source").to_owned(),
            };
            if let Some(issue) = entry.check().first() {
                return Err(format!("line {line}: {}: {}", issue.path, issue.message_en));
            }
            entries.push(entry);
        }
        Ok(CoefficientTable { entries })
    }

    /// The entry of every coefficient that applies to surveys in `region_code` in
    /// `year`, ordered by kind and key.
    pub fn applicable(
        &self,
        regions: &RegionTable,
        region_code: &str,
        year: i32,
    ) -> Vec<AppliedCoefficient> {
        let mut chain: Vec<&str> = regions
            .lineage(region_code)
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        if chain.is_empty() && region_code != NATIONAL {
            chain.push(region_code);
        }
        chain.push(NATIONAL);
        let mut coefficients: Vec<(CoefficientKind, &str)> = self
            .entries
            .iter()
            .map(|e| (e.kind, e.key.as_str()))
            .collect();
        coefficients.sort_unstable();
        coefficients.dedup();
        coefficients
            .into_iter()
            .filter_map(|(kind, key)| {
                chain.iter().enumerate().find_map(|(depth, code)| {
                    self.entries
                        .iter()
                        .filter(|e| {
                            e.region_code == *code
                                && e.kind == kind
                                && e.key == key
                                && e.valid_from <= year
                        })
                        .max_by_key(|e| e.valid_from)
                        .map(|entry| AppliedCoefficient {
                            entry: entry.clone(),
                            inherited: depth > 0,
                        })
                })
            })
            .collect()
    }

    /// The coefficients surveys in `region_code` in `year` are estimated with.
    pub fn resolve(&self, regions: &RegionTable, region_code: &str, year: i32) -> Coefficients {
        let mut coefficients = Coefficients::empty();
        for applied in self.applicable(regions, region_code, year) {
            let entry = applied.entry;
            coefficients.set(entry.kind, &entry.key, entry.value);
        }
        coefficients
    }
}

impl Default for Coefficients {
    fn default() -> Self {
        Coefficients::builtin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crop(kind: Crop, yield_kg: Option<f64>, straw_kg: Option<f64>) -> StrawCrop {
        StrawCrop {
            yield_kg,
            straw_kg,
            ..StrawCrop::new(kind)
        }
    }

    #[test]
    fn counted_straw_is_count_times_kg_each_and_needs_no_coefficient() {
        use crate::survey::{StrawCount, StrawCountUnit};
        let counted = StrawCrop {
            straw_count: Some(StrawCount {
                unit: StrawCountUnit::Bundle,
                count: 24.0,
                kg_each: 12.5,
            }),
            ..crop(Crop::HighlandBarley, Some(1000.0), None)
        };
        let expected = Ok(Amount {
            kg: 300.0,
            source: Source::Counted,
        });
        // 青稞 has no confirmed ratio; the count does not need one, and the yield beside
        // it is not used.
        assert_eq!(
            Coefficients::builtin().collectable_straw(&counted),
            expected
        );
        assert_eq!(Coefficients::empty().collectable_straw(&counted), expected);
        // A weighed amount comes first (validation refuses both; the facts still agree).
        let both = StrawCrop {
            straw_kg: Some(280.0),
            ..counted.clone()
        };
        assert_eq!(
            Coefficients::builtin().collectable_straw(&both),
            Ok(Amount {
                kg: 280.0,
                source: Source::Measured
            })
        );
    }

    #[test]
    fn builtin_table_matches_the_reference() {
        let table = Coefficients::from_csv(BUILTIN_COEFFICIENTS_CSV);
        let Ok(table) = table else {
            panic!("shipped coefficients do not parse: {table:?}")
        };
        assert_eq!(table.straw_grain_ratio(Crop::SpringWheat), Some(1.06));
        assert_eq!(table.straw_grain_ratio(Crop::Rapeseed), Some(2.87));
        assert_eq!(table.straw_grain_ratio(Crop::Potato), Some(0.71));
        assert_eq!(table.straw_grain_ratio(Crop::HighlandBarley), None);
        assert_eq!(table.straw_grain_ratio(Crop::Corn), None);
        assert_eq!(table.collectable_coefficient(), Some(0.81));
        assert_eq!(table.yak_dung_kg_per_head_day, Some(2.15));
        assert_eq!(table.film_min_thickness_mm, 0.010);
    }

    #[test]
    fn straw_is_yield_times_ratio_times_collectable() {
        let table = Coefficients::builtin();
        let estimate = table.collectable_straw(&crop(Crop::SpringWheat, Some(1000.0), None));
        assert_eq!(
            estimate,
            Ok(Amount {
                kg: 1000.0 * 1.06 * 0.81,
                source: Source::Estimated
            })
        );
        let measured = table.collectable_straw(&crop(Crop::SpringWheat, Some(1000.0), Some(5.0)));
        assert_eq!(measured.map(|a| a.source), Ok(Source::Measured));
    }

    #[test]
    fn unconfirmed_coefficient_refuses_to_estimate() {
        let table = Coefficients::builtin();
        assert_eq!(
            table.collectable_straw(&crop(Crop::HighlandBarley, Some(1000.0), None)),
            Err(CannotEstimate::UnconfirmedCoefficient)
        );
        assert_eq!(
            table.collectable_straw(&crop(Crop::Potato, None, None)),
            Err(CannotEstimate::NoInput)
        );
        // A bureau that confirms 青稞 gets estimates without a code change.
        let edited = BUILTIN_COEFFICIENTS_CSV.replace(
            "straw_grain_ratio,highland_barley,,",
            "straw_grain_ratio,highland_barley,1.2,",
        );
        let edited = Coefficients::from_csv(&edited).unwrap_or_else(|_| Coefficients::empty());
        let estimate = edited.collectable_straw(&crop(Crop::HighlandBarley, Some(100.0), None));
        assert_eq!(estimate.map(|a| a.kg), Ok(100.0 * 1.2 * 0.81));
    }

    #[test]
    fn dung_is_heads_times_days_times_coefficient() {
        let table = Coefficients::builtin();
        let dung = YakDungSection {
            yak_head: Some(25),
            produced_kg: None,
            fuel_kg: 0.0,
            fertilizer_kg: 0.0,
            other_kg: 0.0,
            discarded_kg: 0.0,
        };
        assert_eq!(
            table.dung_produced(&dung),
            Ok(Amount {
                kg: 25.0 * 365.0 * 2.15,
                source: Source::Estimated
            })
        );
        let none = YakDungSection {
            yak_head: None,
            ..dung
        };
        assert_eq!(table.dung_produced(&none), Err(CannotEstimate::NoInput));
    }

    #[test]
    fn bad_values_are_rejected_with_the_line() {
        let bad = "kind,key,value,unit,status,source\nstraw_collectable_coefficient,all,1.5,,,\n";
        assert!(Coefficients::from_csv(bad).is_err_and(|e| e.contains("line 2")));
        let bad = "kind,key,value,unit,status,source\nstraw_grain_ratio,rice,1,,,\n";
        assert!(Coefficients::from_csv(bad).is_err());
        let bad = "kind,key,value,unit,status,source\nstraw_grain_ratio,potato,-1,,,\n";
        assert!(Coefficients::from_csv(bad).is_err());
    }

    fn entry(
        region: &str,
        valid_from: i32,
        kind: CoefficientKind,
        key: &str,
        value: Option<f64>,
    ) -> CoefficientEntry {
        CoefficientEntry {
            region_code: region.to_owned(),
            valid_from,
            kind,
            key: key.to_owned(),
            value,
            unit: kind.unit().to_owned(),
            status: "set by bureau".to_owned(),
            source: "test".to_owned(),
        }
    }

    #[test]
    fn the_nearest_region_and_latest_year_not_after_the_survey_apply() {
        let regions = RegionTable::builtin();
        // 噶尔县 (Ali) lies in 阿里地区 (542500), in 西藏 (540000).
        let county = "542523";
        let mut table = CoefficientTable::builtin();
        table.entries.extend([
            entry(
                "540000",
                2024,
                CoefficientKind::StrawCollectableCoefficient,
                "all",
                Some(0.7),
            ),
            entry(
                "542500",
                2026,
                CoefficientKind::StrawCollectableCoefficient,
                "all",
                Some(0.6),
            ),
            entry(
                county,
                2025,
                CoefficientKind::StrawGrainRatio,
                "highland_barley",
                Some(1.2),
            ),
        ]);
        let at = |year| table.resolve(&regions, county, year);
        // Before any regional entry: the national values.
        assert_eq!(at(2023).collectable_coefficient(), Some(0.81));
        assert_eq!(at(2023).straw_grain_ratio(Crop::HighlandBarley), None);
        // The province's value from 2024; the county's own barley ratio from 2025.
        assert_eq!(at(2024).collectable_coefficient(), Some(0.7));
        assert_eq!(at(2025).straw_grain_ratio(Crop::HighlandBarley), Some(1.2));
        // The prefecture is nearer than the province once its entry starts.
        assert_eq!(at(2026).collectable_coefficient(), Some(0.6));
        // Coefficients the region did not touch stay national.
        assert_eq!(at(2026).straw_grain_ratio(Crop::Rapeseed), Some(2.87));
        assert_eq!(at(2026).yak_dung_kg_per_head_day, Some(2.15));
        // A county elsewhere sees none of it.
        let other = table.resolve(&regions, "632222", 2026);
        assert_eq!(other.collectable_coefficient(), Some(0.81));
        let applied = table.applicable(&regions, county, 2025);
        let barley = applied.iter().find(|a| a.entry.key == "highland_barley");
        assert_eq!(barley.map(|a| a.inherited), Some(false));
        let collectable = applied.iter().find(|a| a.entry.key == "all");
        assert_eq!(
            collectable.map(|a| (a.inherited, a.entry.region_code.as_str())),
            Some((true, "540000"))
        );
    }

    #[test]
    fn entries_are_checked_field_by_field() {
        let paths = |e: CoefficientEntry| e.check().into_iter().map(|i| i.path).collect::<Vec<_>>();
        let ok = entry(
            NATIONAL,
            2025,
            CoefficientKind::StrawGrainRatio,
            "corn",
            Some(1.1),
        );
        assert!(ok.check().is_empty());
        let unconfirmed = entry(
            NATIONAL,
            2025,
            CoefficientKind::StrawGrainRatio,
            "corn",
            None,
        );
        assert!(unconfirmed.check().is_empty());
        assert_eq!(
            paths(entry(
                NATIONAL,
                2025,
                CoefficientKind::StrawGrainRatio,
                "rice",
                Some(1.0)
            )),
            ["key"]
        );
        assert_eq!(
            paths(entry(
                NATIONAL,
                2025,
                CoefficientKind::StrawGrainRatio,
                "other",
                Some(1.0)
            )),
            ["key"]
        );
        assert_eq!(
            paths(entry(
                NATIONAL,
                2025,
                CoefficientKind::YakDungPerHeadDay,
                "all",
                Some(2.0)
            )),
            ["key"]
        );
        assert_eq!(
            paths(entry(
                NATIONAL,
                1990,
                CoefficientKind::YakDungPerHeadDay,
                "yak",
                Some(2.0)
            )),
            ["valid_from"]
        );
        assert_eq!(
            paths(entry(
                NATIONAL,
                2025,
                CoefficientKind::StrawCollectableCoefficient,
                "all",
                Some(1.5)
            )),
            ["value"]
        );
        assert_eq!(
            paths(entry(
                NATIONAL,
                2025,
                CoefficientKind::StrawGrainRatio,
                "corn",
                Some(-0.1)
            )),
            ["value"]
        );
        assert_eq!(
            paths(entry(
                NATIONAL,
                2025,
                CoefficientKind::StrawGrainRatio,
                "corn",
                Some(f64::NAN)
            )),
            ["value"]
        );
        assert_eq!(
            paths(entry(
                NATIONAL,
                2025,
                CoefficientKind::FilmMinThickness,
                "polyethylene",
                None
            )),
            ["value"]
        );
        let issue = entry(
            NATIONAL,
            2025,
            CoefficientKind::StrawCollectableCoefficient,
            "all",
            Some(1.5),
        )
        .check();
        assert!(
            issue
                .iter()
                .all(|i| !i.message_zh.is_empty() && i.message_en.contains("0–1"))
        );
    }

    #[test]
    fn the_shipped_table_is_national_from_the_default_year() {
        let table = CoefficientTable::builtin();
        assert_eq!(table.entries.len(), 9);
        assert!(
            table
                .entries
                .iter()
                .all(|e| e.region_code == NATIONAL && e.valid_from == DEFAULT_VALID_FROM)
        );
        assert_eq!(
            table.resolve(&RegionTable::builtin(), "542523", 2025),
            Coefficients::builtin()
        );
    }

    #[test]
    fn coefficients_round_trip_as_json() {
        let table = Coefficients::builtin();
        let json = serde_json::to_string(&table).unwrap_or_default();
        let back: Result<Coefficients, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(table));
    }
}
