//! `/api/v1/progress`: the bureau's question, "will each county reach its target?".
//!
//! The database sums each county's surveys per year (`Storage::indicator_sums`); the
//! analytics crate adds them up per region and county group, assesses every indicator
//! against the applicable target (REFERENCE.md, "Progress toward a target") and names
//! where each target comes from (`progress::progress_board`). The dashboard computes the
//! same board from the same sums in WASM. Cached by query and data version, like
//! `/indicators`; the data version moves with every audited change (surveys, reviews,
//! targets, coefficients, groups), so an edited target shows at once.

use std::sync::Arc;

use agriwaste_analytics::plans::PlanTable;
use agriwaste_analytics::progress::{
    ProgressBoard, ProgressRequest, ProgressTables, progress_board,
};
use agriwaste_analytics::regions::RegionLevel;
use chrono::Datelike;
use poem_openapi::param::{Header, Query};
use poem_openapi::registry::{MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::ApiTags;
use super::error::ApiError;
use super::indicators::{CachedJson, etag_of, etag_responses, names_etag};
use super::params::{ReviewFilter, check_year_range, region_filter, scoped_query};
use super::plans::PhaseBody;
use super::security::Auth;
use super::targets::TargetOriginParam;
use super::values::RegionCode;
use crate::cache::CachedBody;
use crate::ingest::today_in_china;
use crate::state::AppState;
use crate::storage::aggregates::FilmDetail;

/// Endpoint.
pub struct ProgressApi {
    pub(crate) state: Arc<AppState>,
}

/// A status, first matching rule wins (REFERENCE.md).
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "ProgressStatus", rename_all = "snake_case")]
pub enum StatusDoc {
    /// 数据异常: the rate is above 100 %, which a share of a whole cannot be.
    Implausible,
    /// 数据不足: no estimate, or fewer than 30 households.
    Insufficient,
    /// 无目标: no target applies to the region for this indicator.
    NoTarget,
    /// 已达标: the whole 95 % interval is at or past the target.
    Met,
    /// 基本达标: the estimate is at or past the target, the interval's low end is not.
    Likely,
    /// 按期可达: short of the target, and the trend reaches it by the target year.
    OnTrack,
    /// 落后: otherwise (also when too few years give no trend).
    Behind,
}

/// One year's estimate.
#[derive(Debug, Object)]
#[oai(rename = "YearEstimate")]
pub struct YearEstimateDoc {
    /// Survey year.
    pub year: i32,
    /// Households with the section.
    pub n: u64,
    /// Weighted rate, 0–1; null without a denominator.
    #[oai(nullable)]
    pub rate: Option<f64>,
    /// Standard error.
    #[oai(nullable)]
    pub se: Option<f64>,
    /// Lower end of the 95 % interval.
    #[oai(nullable)]
    pub ci_low: Option<f64>,
    /// Upper end of the 95 % interval.
    #[oai(nullable)]
    pub ci_high: Option<f64>,
}

/// The observed trend: weighted least squares of the yearly estimates (weights 1/SE²)
/// over years with n ≥ 30.
#[derive(Debug, Object)]
#[oai(rename = "Trend")]
pub struct TrendDoc {
    /// Annual gain, rate units a year.
    pub slope: f64,
    /// Its standard error.
    pub slope_se: f64,
    /// The years fitted.
    pub years: Vec<i32>,
    /// False when a year's SE was zero and every year weighed the same.
    pub weighted: bool,
    /// Weighted mean year.
    pub mean_year: f64,
    /// Weighted mean rate.
    pub mean_rate: f64,
}

/// The target an assessment compares with.
#[derive(Debug, Object)]
#[oai(rename = "TargetUsed")]
pub struct TargetUsedDoc {
    /// Target rate, 0–1.
    pub value: f64,
    /// Target year.
    pub year: i32,
    /// `at_least` or `at_most`.
    pub comparison: String,
    /// The document that sets it.
    pub source: String,
    /// Where it comes from.
    pub origin: TargetOriginParam,
    /// The region that set it, or `national`.
    pub region_code: String,
    /// The indicator whose target stands in, for a proxy.
    #[oai(nullable)]
    pub proxy: Option<String>,
    /// Where it comes from, in Chinese.
    pub origin_zh: String,
    /// Where it comes from, in English.
    pub origin_en: String,
}

/// One indicator of one region or group against its target.
#[derive(Debug, Object)]
#[oai(rename = "Assessment")]
pub struct AssessmentDoc {
    /// The status.
    pub status: StatusDoc,
    /// The year assessed.
    pub year: i32,
    /// That year's estimate.
    #[oai(nullable)]
    pub estimate: Option<YearEstimateDoc>,
    /// The latest earlier year's estimate.
    #[oai(nullable)]
    pub previous: Option<YearEstimateDoc>,
    /// The target; null when none applies.
    #[oai(nullable)]
    pub target: Option<TargetUsedDoc>,
    /// Rate minus target, percentage points.
    #[oai(nullable)]
    pub gap_pp: Option<f64>,
    /// Gain a year still needed: (T − R) / (target year − year), points.
    #[oai(nullable)]
    pub required_gain_pp: Option<f64>,
    /// The observed trend; null with fewer than three years of n ≥ 30.
    #[oai(nullable)]
    pub trend: Option<TrendDoc>,
    /// Observed gain a year, points.
    #[oai(nullable)]
    pub observed_gain_pp: Option<f64>,
    /// Its standard error, points.
    #[oai(nullable)]
    pub observed_gain_se_pp: Option<f64>,
    /// The trend's value in the target year.
    #[oai(nullable)]
    pub fitted_at_target_year: Option<f64>,
    /// The target year is not after the year assessed.
    pub target_year_passed: bool,
}

/// The plan a row follows.
#[derive(Debug, Object)]
#[oai(rename = "PlanUsed")]
pub struct PlanDoc {
    /// The region whose plan it is.
    pub region_code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Source document.
    pub source: String,
    /// Every phase.
    pub phases: Vec<PhaseBody>,
    /// The phase of the board's year.
    #[oai(nullable)]
    pub phase: Option<PhaseBody>,
}

/// Region or group.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "ProgressRowKind", rename_all = "snake_case")]
pub enum RowKindDoc {
    /// An administrative region.
    Region,
    /// A named group of counties.
    Group,
}

/// One row of the board.
#[derive(Debug, Object)]
#[oai(rename = "ProgressRow")]
pub struct RowDoc {
    /// Region or group.
    pub kind: RowKindDoc,
    /// Region or group code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// `province`, `prefecture` or `county`; null for a group.
    #[oai(nullable)]
    pub level: Option<String>,
    /// A group's member counties.
    pub members: Vec<String>,
    /// Households surveyed in the board's year.
    pub households: u64,
    /// The plan the row follows.
    #[oai(nullable)]
    pub plan: Option<PlanDoc>,
    /// Every indicator by key, assessed.
    pub cells: std::collections::BTreeMap<String, AssessmentDoc>,
    /// The row's indicators in the board's year (as one group of `/indicators`).
    #[oai(nullable)]
    pub indicators: Option<serde_json::Value>,
}

/// A year with data.
#[derive(Debug, Object)]
#[oai(rename = "YearCount")]
pub struct YearCountDoc {
    /// Survey year.
    pub year: i32,
    /// Households surveyed.
    pub households: u64,
    /// The year is not over: its figures are partial.
    pub in_progress: bool,
}

/// The progress board.
#[derive(Debug, Object)]
#[oai(rename = "ProgressBoard")]
pub struct BoardDoc {
    /// The year assessed: as asked, else the latest complete year with at least 30
    /// households, else the latest complete year, else the latest; null without data.
    #[oai(nullable)]
    pub year: Option<i32>,
    /// This year in China: it and later years are in progress.
    pub current_year: i32,
    /// Households a year needs before its estimate is judged (30).
    pub min_n: u64,
    /// Every year with data in the selection.
    pub years: Vec<YearCountDoc>,
    /// Regions (the one asked for, then what lies in it, by code), then county groups.
    pub rows: Vec<RowDoc>,
}

/// The board, or 304.
pub struct BoardResponse(CachedJson);

impl poem::IntoResponse for BoardResponse {
    fn into_response(self) -> poem::Response {
        self.0.into_response()
    }
}

impl ApiResponse for BoardResponse {
    fn meta() -> MetaResponses {
        etag_responses("The progress board.", BoardDoc::schema_ref())
    }

    fn register(registry: &mut Registry) {
        BoardDoc::register(registry);
    }
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Indicators")]
impl ProgressApi {
    /// Progress toward the targets
    ///
    /// For each region in `region` (the region itself, every region in it with data) and
    /// each county group whose counties lie in it (the Ali input-recovery pilot ships as
    /// one): every indicator in one year against the applicable target, with where the
    /// target comes from (the region's own, an enclosing region's, or a national one
    /// standing in), the status (已达标 met, 基本达标 likely, 按期可达 on track, 落后 behind,
    /// 数据不足 insufficient, 数据异常 implausible, 无目标 no target), the observed trend
    /// with its standard error and the gain a year still required. The year defaults to
    /// the latest complete year with at least 30 households; the current year is in
    /// progress and never the default. Limited to the caller's region; rejected surveys
    /// never count.
    #[oai(path = "/progress", method = "get", operation_id = "progress")]
    async fn progress(
        &self,
        auth: Auth,
        /// Region code (any level); every region the caller may see without.
        region: Query<Option<RegionCode>>,
        /// The year to assess; default the latest complete year with enough households.
        year: Query<Option<i32>>,
        /// `counted` (every state but rejected, the default) or `approved` only.
        review: Query<Option<ReviewFilter>>,
        /// The ETag of a previous response.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<BoardResponse, ApiError> {
        let state = &self.state;
        check_year_range(year.0, year.0)?;
        let region = region_filter(state, region.0)?;
        let within = region.as_ref().map(|(code, _)| code.clone());
        let review = review.0.unwrap_or(ReviewFilter::Counted);
        let mut query = scoped_query(state, auth.principal(), region, review);
        query.level = Some(RegionLevel::County);
        query.by_year = true;
        let current_year = today_in_china().year();
        let key = format!("progress|{query:?}|{within:?}|{:?}|{current_year}", year.0);
        let version = state.storage.data_version().await?;
        let response = match state.indicator_cache.get(&key, &version) {
            Some(cached) => cached,
            None => {
                let sums = state
                    .storage
                    .indicator_sums(&query, FilmDetail::Values)
                    .await?;
                let targets = state.storage.target_table().await?;
                let groups = state.storage.group_table().await?;
                let plans = PlanTable::builtin();
                let tables = ProgressTables {
                    regions: state.storage.regions(),
                    targets: &targets,
                    plans: &plans,
                    groups: &groups,
                };
                let request = ProgressRequest {
                    within,
                    year: year.0,
                    current_year,
                };
                let board: ProgressBoard = progress_board(&sums, tables, &request);
                let text = serde_json::to_string(&board).map_err(ApiError::internal)?;
                let etag = etag_of("p", &format!("{key}|{version}|{text}"));
                state.indicator_cache.put(
                    key,
                    version,
                    Arc::new(CachedBody {
                        etag,
                        json: text.into_bytes(),
                        gzip: None,
                    }),
                )
            }
        };
        if names_etag(if_none_match.0.as_deref(), &response.etag) {
            return Ok(BoardResponse(CachedJson::NotModified(
                response.etag.clone(),
            )));
        }
        Ok(BoardResponse(CachedJson::Ok(response)))
    }
}
