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
use crate::survey::{Crop, StrawCrop, YakDungSection};

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
    /// Recorded (weighed or counted) in the field.
    Measured,
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

    /// Parses `kind,key,value,unit,status,source` rows. An empty value is an unconfirmed
    /// coefficient; unknown kinds are ignored so that the file can carry notes for other
    /// tools; a value that is not a finite non-negative number (or a collectable
    /// coefficient outside 0–1) is an error naming the row.
    pub fn from_csv(text: &str) -> Result<Coefficients, String> {
        let mut table = Coefficients::empty();
        for (index, row) in csv::records(text)?.into_iter().enumerate() {
            let line = index + 2;
            let field = |name: &str| row.get(name).map(String::as_str).unwrap_or_default();
            let raw = field("value");
            let value = if raw.is_empty() {
                None
            } else {
                let parsed: f64 = raw
                    .parse()
                    .map_err(|_| format!("line {line}: value {raw:?} is not a number"))?;
                if !parsed.is_finite() || parsed < 0.0 {
                    return Err(format!(
                        "line {line}: value {raw} must be a finite number ≥ 0"
                    ));
                }
                Some(parsed)
            };
            match field("kind") {
                "straw_grain_ratio" => {
                    let crop = Crop::from_key(field("key"))
                        .ok_or_else(|| format!("line {line}: unknown crop {:?}", field("key")))?;
                    table.straw_grain_ratio.insert(crop, value);
                }
                "straw_collectable_coefficient" => {
                    if value.is_some_and(|v| v > 1.0) {
                        return Err(format!(
                            "line {line}: the collectable coefficient must lie in 0–1"
                        ));
                    }
                    table.straw_collectable_coefficient = value;
                }
                "yak_dung_per_head_day" => table.yak_dung_kg_per_head_day = value,
                "film_min_thickness" => {
                    if let Some(mm) = value {
                        table.film_min_thickness_mm = mm;
                    }
                }
                _ => {}
            }
        }
        Ok(table)
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

    /// Collectable straw of one crop: the measured `straw_kg`, or else
    /// `yield × 草谷比 × 收集系数`.
    pub fn collectable_straw(&self, crop: &StrawCrop) -> Result<Amount, CannotEstimate> {
        if let Some(kg) = crop.straw_kg {
            return Ok(Amount {
                kg,
                source: Source::Measured,
            });
        }
        let yield_kg = crop.yield_kg.ok_or(CannotEstimate::NoInput)?;
        let ratio = self
            .straw_grain_ratio(crop.crop)
            .ok_or(CannotEstimate::UnconfirmedCoefficient)?;
        let collectable = self
            .collectable_coefficient()
            .ok_or(CannotEstimate::UnconfirmedCoefficient)?;
        Ok(Amount {
            kg: yield_kg * ratio * collectable,
            source: Source::Estimated,
        })
    }

    /// Dung produced by the household: the measured `produced_kg`, or else
    /// `heads × days × kg per head per day`.
    pub fn dung_produced(&self, dung: &YakDungSection) -> Result<Amount, CannotEstimate> {
        if let Some(kg) = dung.produced_kg {
            return Ok(Amount {
                kg,
                source: Source::Measured,
            });
        }
        let heads = dung.yak_head.ok_or(CannotEstimate::NoInput)?;
        let per_day = self
            .yak_dung_kg_per_head_day
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or(CannotEstimate::UnconfirmedCoefficient)?;
        Ok(Amount {
            kg: heads as f64 * self.days_per_year * per_day,
            source: Source::Estimated,
        })
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
            crop: kind,
            area_mu: None,
            yield_kg,
            straw_kg,
            fertilizer_kg: 0.0,
            feed_kg: 0.0,
            substrate_kg: 0.0,
            fuel_kg: 0.0,
            raw_material_kg: 0.0,
            burned_kg: 0.0,
            discarded_kg: 0.0,
        }
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

    #[test]
    fn coefficients_round_trip_as_json() {
        let table = Coefficients::builtin();
        let json = serde_json::to_string(&table).unwrap_or_default();
        let back: Result<Coefficients, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(table));
    }
}
