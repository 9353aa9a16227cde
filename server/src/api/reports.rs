//! `/api/v1/reports/annual`: the summary both plans require each January: per region,
//! every indicator of the year with its target and gap, the change from the previous
//! year, and the data-quality flags.

use std::collections::BTreeMap;
use std::sync::Arc;

use agriwaste_analytics::indicators::Indicator;
use agriwaste_analytics::report::GroupReport;
use chrono::{DateTime, Utc};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::error::ApiError;
use super::params::{LevelParam, ReviewFilter, group_reports, region_filter, scoped_query};
use super::security::Auth;
use super::values::RegionCode;
use crate::state::AppState;
use crate::storage::facts::IndicatorQuery;

/// Endpoint.
pub struct ReportsApi {
    pub(crate) state: Arc<AppState>,
}

/// One indicator of one region in the report year.
#[derive(Debug, Object)]
pub struct ReportIndicator {
    /// Weighted rate; null without a denominator.
    #[oai(nullable)]
    pub rate: Option<f64>,
    /// 95 % interval.
    #[oai(nullable)]
    pub ci_low: Option<f64>,
    /// 95 % interval.
    #[oai(nullable)]
    pub ci_high: Option<f64>,
    /// Households carrying the section.
    pub n: u64,
    /// The applicable target, if any.
    #[oai(nullable)]
    pub target: Option<f64>,
    /// The target's year.
    #[oai(nullable)]
    pub target_year: Option<i32>,
    /// Whether the target was set for an enclosing region or nationally.
    #[oai(nullable)]
    pub target_inherited: Option<bool>,
    /// Rate minus target, percentage points.
    #[oai(nullable)]
    pub gap_pp: Option<f64>,
    /// Whether the target is met.
    #[oai(nullable)]
    pub met: Option<bool>,
    /// The previous year's rate.
    #[oai(nullable)]
    pub previous_rate: Option<f64>,
    /// Change from the previous year, percentage points.
    #[oai(nullable)]
    pub change_pp: Option<f64>,
}

/// One region in the report.
#[derive(Debug, Object)]
pub struct ReportRegion {
    /// Region code.
    pub region_code: String,
    /// Chinese name.
    #[oai(nullable)]
    pub name_zh: Option<String>,
    /// English name.
    #[oai(nullable)]
    pub name_en: Option<String>,
    /// Households surveyed in the year.
    pub households: u64,
    /// Households surveyed in the previous year.
    pub previous_households: u64,
    /// Every indicator, by key.
    pub indicators: BTreeMap<String, ReportIndicator>,
    /// The year's data-quality flags (warning share, pesticide recovery over 100 %,
    /// outliers, small n).
    pub quality: serde_json::Value,
}

/// The annual summary.
#[derive(Debug, Object)]
pub struct AnnualReport {
    /// The report year.
    pub year: i32,
    /// The level regions are reported at.
    pub level: String,
    /// When the figures were computed.
    pub as_of: DateTime<Utc>,
    /// Regions, by code.
    pub regions: Vec<ReportRegion>,
}

#[derive(ApiResponse)]
enum ReportResponse {
    /// The summary.
    #[oai(status = 200)]
    Ok(Json<AnnualReport>),
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Indicators")]
impl ReportsApi {
    /// Annual summary
    ///
    /// For the January report: per region (prefecture by default), every indicator of
    /// `year` with its target, gap and plan progress, the change from the year before, and
    /// the data-quality flags. Limited to the caller's region.
    #[oai(
        path = "/reports/annual",
        method = "get",
        operation_id = "annualReport"
    )]
    async fn annual(
        &self,
        auth: Auth,
        /// The report year.
        year: Query<i32>,
        /// `county`, `prefecture` (default) or `province`.
        level: Query<Option<LevelParam>>,
        /// Only this region (any level) and below.
        region: Query<Option<RegionCode>>,
        /// `counted` (default) or `approved`.
        review: Query<Option<ReviewFilter>>,
    ) -> Result<ReportResponse, ApiError> {
        let level = level.0.unwrap_or(LevelParam::Prefecture).per_region();
        let region = region_filter(&self.state, region.0)?;
        let query = IndicatorQuery {
            level: Some(level),
            by_year: true,
            // The earliest year has no year before it (and must not overflow).
            from_year: Some(year.0.checked_sub(1).unwrap_or(year.0)),
            to_year: Some(year.0),
            ..scoped_query(
                &self.state,
                auth.principal(),
                region,
                review.0.unwrap_or(ReviewFilter::Counted),
            )
        };
        let as_of = Utc::now();
        let groups = group_reports(&self.state, &query).await?;
        let mut by_region: BTreeMap<String, (Option<&GroupReport>, Option<&GroupReport>)> =
            BTreeMap::new();
        for group in &groups {
            let (Some(code), Some(y)) = (&group.group.key.region_code, group.group.key.year) else {
                continue;
            };
            let slot = by_region.entry(code.clone()).or_default();
            if y == year.0 {
                slot.1 = Some(group);
            } else {
                slot.0 = Some(group);
            }
        }
        let mut out = Vec::new();
        for (code, (previous, current)) in by_region {
            let Some(current) = current else { continue };
            let mut indicators = BTreeMap::new();
            for indicator in Indicator::ALL {
                let Some(estimate) = current.group.indicators.get(&indicator) else {
                    continue;
                };
                let progress = current.progress.get(&indicator);
                let previous_rate = previous
                    .and_then(|p| p.group.indicators.get(&indicator))
                    .and_then(|e| e.rate);
                indicators.insert(
                    indicator.key().to_owned(),
                    ReportIndicator {
                        rate: estimate.rate,
                        ci_low: estimate.ci_low,
                        ci_high: estimate.ci_high,
                        n: estimate.n as u64,
                        target: progress.map(|p| p.target.target.target),
                        target_year: progress.map(|p| p.target.target.year),
                        target_inherited: progress.map(|p| p.target.inherited),
                        gap_pp: progress.map(|p| p.gap_pp),
                        met: progress.map(|p| p.met),
                        previous_rate,
                        change_pp: estimate
                            .rate
                            .zip(previous_rate)
                            .map(|(now, before)| (now - before) * 100.0),
                    },
                );
            }
            out.push(ReportRegion {
                name_zh: current.group.region_name_zh.clone(),
                name_en: current.group.region_name_en.clone(),
                region_code: code,
                households: current.group.households as u64,
                previous_households: previous.map_or(0, |p| p.group.households as u64),
                indicators,
                quality: serde_json::to_value(&current.group.quality)
                    .map_err(ApiError::internal)?,
            });
        }
        Ok(ReportResponse::Ok(Json(AnnualReport {
            year: year.0,
            level: level.key().to_owned(),
            as_of,
            regions: out,
        })))
    }
}
