//! The dashboard's download: the [`GroupSums`] of every county and year, split into the
//! two review classes every filter is a union of (approved; counted but not approved).
//!
//! The body of `GET /api/v1/sums` is a [`SumsBody`]: the server writes it from two calls
//! of its grouped sums, the dashboard's `FactSet` reads it back into the same
//! [`GroupSums`] and adds rows up with [`GroupSums::absorb`]. Its size follows the number
//! of county × year rows, not of surveys, which is why a phone can afford it at a
//! million surveys. The film-per-mu values (household-level, for the quality flags'
//! median and outliers) are not sent: no dashboard figure reads them, and they are the
//! one part that grows with the surveys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::GroupSums;
use crate::estimate::RatioSums;
use crate::indicators::{GroupKey, Indicator, Provenance};
use crate::issue::{Issue, IssueCode};

/// One indicator's sums on the wire, as an array: `n`, `Σwy`, `Σwx`, `Σy`, `Σx`,
/// `Σw²y²`, `Σw²x²`, `Σw²xy` (the eight of [`RatioSums`], in that order).
pub type WireRatioSums = (u64, f64, f64, f64, f64, f64, f64, f64);

/// The sums of one county in one year and one review class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SumRow {
    /// Index into [`SumsBody::counties`].
    pub county: u32,
    /// Survey year.
    pub year: i32,
    /// Approved surveys (true) or counted but not approved ones (false).
    pub approved: bool,
    /// Households (surveys).
    pub households: usize,
    /// Surveys stored with at least one warning.
    pub surveys_with_warnings: usize,
    /// Households that returned more pesticide packages than they used.
    pub households_returned_exceeds_used: usize,
    /// Per indicator in `Indicator::ALL` order, its sums; null when no household of the
    /// row carries the section (the sums would all be zero).
    pub indicators: Vec<Option<WireRatioSums>>,
    /// `Σ w · use` per straw use (fertilizer, feed, substrate, fuel, raw material).
    pub straw_uses_weighted_kg: [f64; 5],
    /// `Σ use` per straw use.
    pub straw_uses_kg: [f64; 5],
    /// Measured, counted and estimated amounts, and what was left out.
    pub provenance: Provenance,
}

/// The body of `GET /api/v1/sums`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SumsBody {
    /// When the sums were read (RFC 3339), if the writer says.
    #[serde(default)]
    pub as_of: Option<String>,
    /// Households in every row.
    #[serde(default)]
    pub households: usize,
    /// The distinct county codes the rows index.
    pub counties: Vec<String>,
    /// Approved rows first, then counted-but-not-approved ones, each by county and year.
    pub rows: Vec<SumRow>,
}

/// One county × year × class of sums, as the dashboard holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSums {
    /// The sums, keyed by county and year.
    pub sums: GroupSums,
    /// Whether they are of approved surveys.
    pub approved: bool,
}

fn to_wire(sums: &RatioSums) -> Option<WireRatioSums> {
    (sums.n > 0).then_some((
        sums.n, sums.wy, sums.wx, sums.y, sums.x, sums.wwyy, sums.wwxx, sums.wwxy,
    ))
}

fn from_wire(wire: Option<WireRatioSums>) -> RatioSums {
    wire.map_or_else(RatioSums::default, |(n, wy, wx, y, x, wwyy, wwxx, wwxy)| {
        RatioSums {
            n,
            wy,
            wx,
            y,
            x,
            wwyy,
            wwxx,
            wwxy,
        }
    })
}

fn bad_body(zh: String, en: String) -> Issue {
    Issue::error("rows", IssueCode::InvalidValue, zh, en)
}

impl SumsBody {
    /// The body of the two review classes' county × year sums (each group keyed by a
    /// county and a year; others are skipped). Film-per-mu values are dropped.
    pub fn from_classes(
        as_of: Option<String>,
        approved: &[GroupSums],
        unapproved: &[GroupSums],
    ) -> SumsBody {
        let mut counties: Vec<String> = Vec::new();
        let mut index: BTreeMap<String, u32> = BTreeMap::new();
        let mut rows = Vec::with_capacity(approved.len() + unapproved.len());
        let classes = [(true, approved), (false, unapproved)];
        for (is_approved, groups) in classes {
            for group in groups {
                let (Some(county), Some(year)) = (&group.key.region_code, group.key.year) else {
                    continue;
                };
                let at = *index.entry(county.clone()).or_insert_with(|| {
                    counties.push(county.clone());
                    (counties.len() - 1) as u32
                });
                rows.push(SumRow {
                    county: at,
                    year,
                    approved: is_approved,
                    households: group.households,
                    surveys_with_warnings: group.surveys_with_warnings,
                    households_returned_exceeds_used: group.households_returned_exceeds_used,
                    indicators: Indicator::ALL
                        .iter()
                        .map(|i| group.indicators.get(i).and_then(to_wire))
                        .collect(),
                    straw_uses_weighted_kg: group.straw_uses_weighted_kg,
                    straw_uses_kg: group.straw_uses_kg,
                    provenance: group.provenance.clone(),
                });
            }
        }
        SumsBody {
            as_of,
            households: rows.iter().map(|r| r.households).sum(),
            counties,
            rows,
        }
    }

    /// The rows as [`GroupSums`] keyed by county and year, in the order sent; a county
    /// index out of range or a row without one entry per indicator is refused.
    pub fn into_class_sums(self) -> Result<Vec<ClassSums>, Issue> {
        let SumsBody { counties, rows, .. } = self;
        rows.into_iter()
            .enumerate()
            .map(|(at, row)| {
                let county = counties.get(row.county as usize).ok_or_else(|| {
                    bad_body(
                        format!("第 {at} 行的县序号 {} 超出县列表", row.county),
                        format!("row {at}: county index {} is not in counties", row.county),
                    )
                })?;
                if row.indicators.len() != Indicator::ALL.len() {
                    return Err(bad_body(
                        format!(
                            "第 {at} 行有 {} 个指标的合计,应为 {} 个",
                            row.indicators.len(),
                            Indicator::ALL.len()
                        ),
                        format!(
                            "row {at}: {} indicator sums where {} are expected",
                            row.indicators.len(),
                            Indicator::ALL.len()
                        ),
                    ));
                }
                Ok(ClassSums {
                    approved: row.approved,
                    sums: GroupSums {
                        key: GroupKey {
                            region_code: Some(county.clone()),
                            year: Some(row.year),
                        },
                        households: row.households,
                        surveys_with_warnings: row.surveys_with_warnings,
                        households_returned_exceeds_used: row.households_returned_exceeds_used,
                        indicators: Indicator::ALL
                            .into_iter()
                            .zip(row.indicators.into_iter().map(from_wire))
                            .collect(),
                        straw_uses_weighted_kg: row.straw_uses_weighted_kg,
                        straw_uses_kg: row.straw_uses_kg,
                        provenance: row.provenance,
                        film_kg_per_mu: Vec::new(),
                        film_finished: None,
                    },
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::{self, Grouping, HouseholdFacts};
    use crate::regions::{RegionLevel, RegionTable};
    use crate::synthetic::SyntheticSpec;

    fn county_years(facts: &[&HouseholdFacts]) -> Vec<GroupSums> {
        let regions = RegionTable::builtin();
        let grouping = Grouping {
            level: Some(RegionLevel::County),
            by_year: true,
        };
        indicators::group(facts, grouping, &regions)
            .into_iter()
            .map(|(key, members)| {
                let members: Vec<&HouseholdFacts> = members.iter().map(|&i| facts[i]).collect();
                GroupSums::from_members(key, &members)
            })
            .collect()
    }

    #[test]
    fn the_wire_gives_back_every_sum_but_the_film_values() {
        let facts = indicators::facts_from_surveys(
            &SyntheticSpec::default().surveys(600),
            &crate::coefficients::Coefficients::default(),
            None,
        );
        let (approved, rest): (Vec<&HouseholdFacts>, Vec<&HouseholdFacts>) =
            facts.iter().partition(|f| f.survey_id.as_u128() % 3 == 0);
        let (approved, rest) = (county_years(&approved), county_years(&rest));
        let body = SumsBody::from_classes(Some("now".to_owned()), &approved, &rest);
        assert_eq!(body.households, 600);
        let text = serde_json::to_string(&body).unwrap_or_default();
        let back: SumsBody = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, body);
        let rows = back.into_class_sums().unwrap_or_default();
        assert_eq!(rows.len(), approved.len() + rest.len());
        for (row, original) in rows.iter().zip(approved.iter().chain(&rest)) {
            let mut expected = original.clone();
            expected.film_kg_per_mu.clear();
            assert_eq!(row.sums, expected);
        }
        assert!(rows[..approved.len()].iter().all(|r| r.approved));
        assert!(rows[approved.len()..].iter().all(|r| !r.approved));
    }

    #[test]
    fn a_malformed_body_is_refused_with_its_row() {
        let facts = indicators::facts_from_surveys(
            &SyntheticSpec::default().surveys(50),
            &crate::coefficients::Coefficients::default(),
            None,
        );
        let refs: Vec<&HouseholdFacts> = facts.iter().collect();
        let mut body = SumsBody::from_classes(None, &county_years(&refs), &[]);
        let mut short = body.clone();
        short.rows[1].indicators.pop();
        assert!(
            short
                .into_class_sums()
                .is_err_and(|e| e.message_en.starts_with("row 1:"))
        );
        body.rows[0].county = 9999;
        assert!(body.into_class_sums().is_err_and(|e| e.path == "rows"));
    }
}
