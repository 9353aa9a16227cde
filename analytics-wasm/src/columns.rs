//! Household facts in columns: the compact form `GET /api/v1/facts` sends and the
//! dashboard's WASM module reads.
//!
//! One array per field instead of one object per household: 100 000 households cost no
//! repeated key names, and a county code is an index into `counties`. The server builds
//! it from its `survey_facts` table with [`FactColumns::push`]; the browser turns it back
//! into [`HouseholdFacts`] with [`FactColumns::into_facts`] and groups them with the same
//! code the server's sums are finished with. Rows are in survey-id order.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::indicators::{HouseholdFacts, Indicator, Ratio};
use crate::issue::{Issue, IssueCode};

/// Household facts by column; every column has one entry per household.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FactColumns {
    /// The distinct county codes; `county` indexes into it.
    pub counties: Vec<String>,
    /// Survey id (simple form, 32 hex digits).
    pub id: Vec<String>,
    /// Index into `counties`.
    pub county: Vec<u32>,
    /// Survey year.
    pub year: Vec<i32>,
    /// Sampling weight.
    pub weight: Vec<f64>,
    /// 1 when the survey is `approved`, else 0 (rejected surveys are never sent).
    pub approved: Vec<u8>,
    /// Validation warnings stored with the survey.
    pub warnings: Vec<u32>,
    /// Numerators per indicator, in [`Indicator::ALL`] order; null: section absent.
    pub y: Vec<Vec<Option<f64>>>,
    /// Denominators per indicator, in [`Indicator::ALL`] order; null: section absent.
    pub x: Vec<Vec<Option<f64>>>,
    /// Straw by use, kg, one column per use in `StrawUse::ALL` order.
    pub straw_uses_kg: Vec<Vec<f64>>,
    /// Estimated part of the straw denominator, kg.
    pub straw_estimated_kg: Vec<f64>,
    /// Part of the straw denominator counted in bundles or cart-loads, kg.
    pub straw_counted_kg: Vec<f64>,
    /// Crops left out of straw (cannot be estimated).
    pub straw_crops_excluded: Vec<u32>,
    /// Which crops were left out: bit `k` for `Crop::ALL[k]`.
    pub straw_excluded_crops: Vec<u8>,
    /// Estimated part of the dung denominator, kg.
    pub dung_estimated_kg: Vec<f64>,
    /// 1 when the dung section was left out.
    pub dung_excluded: Vec<u8>,
    /// Film kg per mu covered.
    pub film_kg_per_mu: Vec<Option<f64>>,
    /// GPS latitude.
    pub lat: Vec<Option<f64>>,
    /// GPS longitude.
    pub lon: Vec<Option<f64>>,
}

fn bad(path: &str, zh: String, en: String) -> Issue {
    Issue::error(path, IssueCode::InvalidValue, zh, en)
}

impl FactColumns {
    /// Empty columns, ready for [`FactColumns::push`].
    pub fn new() -> FactColumns {
        FactColumns {
            y: vec![Vec::new(); Indicator::ALL.len()],
            x: vec![Vec::new(); Indicator::ALL.len()],
            straw_uses_kg: vec![Vec::new(); 5],
            ..FactColumns::default()
        }
    }

    /// Households held.
    pub fn len(&self) -> usize {
        self.year.len()
    }

    /// Whether no household is held.
    pub fn is_empty(&self) -> bool {
        self.year.is_empty()
    }

    /// Appends one household.
    pub fn push(&mut self, facts: &HouseholdFacts, approved: bool) {
        let county = match self.counties.iter().position(|c| *c == facts.county_code) {
            Some(i) => i,
            None => {
                self.counties.push(facts.county_code.clone());
                self.counties.len() - 1
            }
        };
        self.id.push(facts.survey_id.simple().to_string());
        self.county.push(county as u32);
        self.year.push(facts.year);
        self.weight.push(facts.weight);
        self.approved.push(u8::from(approved));
        self.warnings.push(facts.warnings);
        for (k, indicator) in Indicator::ALL.into_iter().enumerate() {
            let ratio = facts.get(indicator);
            if let (Some(y), Some(x)) = (self.y.get_mut(k), self.x.get_mut(k)) {
                y.push(ratio.map(|r| r.y));
                x.push(ratio.map(|r| r.x));
            }
        }
        for (column, kg) in self.straw_uses_kg.iter_mut().zip(facts.straw_uses_kg) {
            column.push(kg);
        }
        self.straw_estimated_kg.push(facts.straw_estimated_kg);
        self.straw_counted_kg.push(facts.straw_counted_kg);
        self.straw_crops_excluded.push(facts.straw_crops_excluded);
        self.straw_excluded_crops.push(facts.straw_excluded_crops);
        self.dung_estimated_kg.push(facts.dung_estimated_kg);
        self.dung_excluded.push(u8::from(facts.dung_excluded));
        self.film_kg_per_mu.push(facts.film_kg_per_mu);
        self.lat.push(facts.lat);
        self.lon.push(facts.lon);
    }

    /// The households back as facts, each with whether it is approved. Fails, naming
    /// the column, when the columns disagree in length or an index or id is bad.
    pub fn into_facts(self) -> Result<Vec<(HouseholdFacts, bool)>, Issue> {
        let n = self.len();
        let lengths = [
            ("id", self.id.len()),
            ("county", self.county.len()),
            ("weight", self.weight.len()),
            ("approved", self.approved.len()),
            ("warnings", self.warnings.len()),
            ("straw_estimated_kg", self.straw_estimated_kg.len()),
            ("straw_counted_kg", self.straw_counted_kg.len()),
            ("straw_crops_excluded", self.straw_crops_excluded.len()),
            ("straw_excluded_crops", self.straw_excluded_crops.len()),
            ("dung_estimated_kg", self.dung_estimated_kg.len()),
            ("dung_excluded", self.dung_excluded.len()),
            ("film_kg_per_mu", self.film_kg_per_mu.len()),
            ("lat", self.lat.len()),
            ("lon", self.lon.len()),
        ];
        let nested = self
            .y
            .iter()
            .map(|c| ("y", c.len()))
            .chain(self.x.iter().map(|c| ("x", c.len())))
            .chain(
                self.straw_uses_kg
                    .iter()
                    .map(|c| ("straw_uses_kg", c.len())),
            );
        for (name, len) in lengths.into_iter().chain(nested) {
            if len != n {
                return Err(bad(
                    name,
                    format!("{name} 列有 {len} 个值,应与 year 列一样有 {n} 个"),
                    format!("column {name} has {len} values; year has {n}"),
                ));
            }
        }
        for (name, count, want) in [
            ("y", self.y.len(), Indicator::ALL.len()),
            ("x", self.x.len(), Indicator::ALL.len()),
            ("straw_uses_kg", self.straw_uses_kg.len(), 5),
        ] {
            if count != want {
                return Err(bad(
                    name,
                    format!("{name} 应有 {want} 列,实际 {count} 列"),
                    format!("{name} must have {want} columns, not {count}"),
                ));
            }
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let county_index = self.county[i] as usize;
            let Some(county_code) = self.counties.get(county_index) else {
                return Err(bad(
                    &format!("county[{i}]"),
                    format!("county[{i}] 的索引 {county_index} 超出 counties 范围"),
                    format!("county[{i}] = {county_index} is not an index of counties"),
                ));
            };
            let survey_id = Uuid::parse_str(&self.id[i]).map_err(|_| {
                bad(
                    &format!("id[{i}]"),
                    format!("id[{i}] 不是 UUID"),
                    format!("id[{i}] is not a UUID"),
                )
            })?;
            let ratio = |k: usize| match (self.y[k][i], self.x[k][i]) {
                (Some(y), Some(x)) => Some(Ratio { y, x }),
                _ => None,
            };
            let facts = HouseholdFacts {
                survey_id,
                county_code: county_code.clone(),
                year: self.year[i],
                weight: self.weight[i],
                film_recovery: ratio(0),
                pesticide_recovery_count: ratio(1),
                pesticide_recovery_kg: ratio(2),
                straw_utilization: ratio(3),
                yak_dung_utilization: ratio(4),
                film_thickness_compliance: ratio(5),
                degradable_film_share: ratio(6),
                straw_uses_kg: [0, 1, 2, 3, 4].map(|u| self.straw_uses_kg[u][i]),
                straw_estimated_kg: self.straw_estimated_kg[i],
                straw_counted_kg: self.straw_counted_kg[i],
                straw_crops_excluded: self.straw_crops_excluded[i],
                straw_excluded_crops: self.straw_excluded_crops[i],
                dung_estimated_kg: self.dung_estimated_kg[i],
                dung_excluded: self.dung_excluded[i] != 0,
                film_kg_per_mu: self.film_kg_per_mu[i],
                warnings: self.warnings[i],
                lat: self.lat[i],
                lon: self.lon[i],
            };
            out.push((facts, self.approved[i] != 0));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Coefficients;
    use crate::synthetic::SyntheticSpec;

    #[test]
    fn columns_round_trip_through_json() {
        let surveys = SyntheticSpec::default().surveys(200);
        let facts: Vec<HouseholdFacts> = surveys
            .iter()
            .map(|s| HouseholdFacts::from_survey(s, &Coefficients::builtin(), None))
            .collect();
        let mut columns = FactColumns::new();
        for (i, f) in facts.iter().enumerate() {
            columns.push(f, i % 3 == 0);
        }
        let json = serde_json::to_string(&columns).unwrap_or_default();
        let back: FactColumns = serde_json::from_str(&json).unwrap_or_default();
        let decoded = back.into_facts().unwrap_or_default();
        assert_eq!(decoded.len(), 200);
        for (i, ((f, approved), original)) in decoded.iter().zip(&facts).enumerate() {
            assert_eq!(f, original);
            assert_eq!(*approved, i % 3 == 0);
        }
    }

    #[test]
    fn ragged_columns_name_the_column() {
        let mut columns = FactColumns::new();
        let surveys = SyntheticSpec::default().surveys(3);
        for s in &surveys {
            columns.push(
                &HouseholdFacts::from_survey(s, &Coefficients::builtin(), None),
                false,
            );
        }
        columns.lat.pop();
        let err = columns.into_facts();
        assert!(err.is_err_and(|e| e.path == "lat" && e.message_en.contains("2 values")));
    }
}
