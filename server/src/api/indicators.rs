//! `/api/v1/indicators`: every indicator per region and year, against the targets.
//!
//! The database filters and sums (`Storage::indicator_sums`); the analytics crate
//! finishes the rates, intervals, flags and progress (`GroupSums::into_indicators`,
//! `GroupReport::new`): one code path, the same the browser runs. Results are cached by
//! query and data version (`Storage::data_version`, which every write moves), so a
//! repeated request costs one indexed lookup and the next request after any write counts
//! it.

use std::collections::BTreeMap;
use std::sync::Arc;

use agriwaste_analytics::report::GroupReport;
use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::param::Header;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::ApiTags;
use super::error::ApiError;
use super::params::{IndicatorParams, LeadingParams};
use super::security::Auth;
use crate::cache::CachedBody;
use crate::state::AppState;

/// Endpoint.
pub struct IndicatorsApi {
    pub(crate) state: Arc<AppState>,
}

/// One indicator of one group.
#[derive(Debug, Object)]
#[oai(rename = "IndicatorEstimate")]
pub struct EstimateDoc {
    /// Households carrying the section.
    pub n: u64,
    /// `Σ w y`.
    pub weighted_numerator: f64,
    /// `Σ w x`.
    pub weighted_denominator: f64,
    /// `Σ y`.
    pub numerator: f64,
    /// `Σ x`.
    pub denominator: f64,
    /// Weighted rate `Σ w y / Σ w x`; null when the denominator is zero.
    #[oai(nullable)]
    pub rate: Option<f64>,
    /// `Σ y / Σ x`.
    #[oai(nullable)]
    pub unweighted_rate: Option<f64>,
    /// Taylor-linearized standard error (null below two households).
    #[oai(nullable)]
    pub se: Option<f64>,
    /// 95 % interval, Student t with n − 1 degrees of freedom.
    #[oai(nullable)]
    pub ci_low: Option<f64>,
    /// Upper end of the interval.
    #[oai(nullable)]
    pub ci_high: Option<f64>,
    /// n < 30: read the interval with care.
    pub small_n: bool,
}

/// Progress against the applicable target.
#[derive(Debug, Object)]
#[oai(rename = "Progress")]
pub struct ProgressDoc {
    /// The target (`target.target` is the rate, `inherited` whether it comes from an
    /// enclosing region, `proxy` the indicator standing in, if any).
    pub target: serde_json::Value,
    /// The rate compared.
    pub rate: f64,
    /// Rate minus target, percentage points.
    pub gap_pp: f64,
    /// Whether the target is met; never when `implausible`.
    pub met: bool,
    /// The rate is above 100 %, which a share of a whole cannot be (数据异常): check the
    /// data (an underestimated whole, such as dung estimated from the herd size) before
    /// reading the rate against the target.
    pub implausible: bool,
    /// The year's phase in the plan the region follows (Ali's 2024–2030 plan for Ali:
    /// `baseline` 2023, `near` 2024–25, `mid` 2026–27, `long` 2028–30; Qinghai's
    /// guidance: `fyp14` 2021–25); null outside every plan.
    #[oai(nullable)]
    pub phase: Option<super::plans::PhaseBody>,
}

/// One group (a region in a year) with every indicator.
#[derive(Debug, Object)]
#[oai(rename = "IndicatorGroup")]
pub struct GroupDoc {
    /// Region code at the grouping level.
    #[oai(nullable)]
    pub region_code: Option<String>,
    /// Survey year.
    #[oai(nullable)]
    pub year: Option<i32>,
    /// Region name, Chinese.
    #[oai(nullable)]
    pub region_name_zh: Option<String>,
    /// Region name, English.
    #[oai(nullable)]
    pub region_name_en: Option<String>,
    /// Households (surveys) in the group.
    pub households: u64,
    /// Each indicator by key (`film_recovery_rate`, `pesticide_packaging_recovery_rate`,
    /// `pesticide_packaging_recovery_rate_kg`, `straw_utilization_rate`,
    /// `yak_dung_utilization_rate`, `film_thickness_compliance_rate`, `degradable_film_share`).
    pub indicators: BTreeMap<String, EstimateDoc>,
    /// Straw by the five uses: weighted kg, kg, share of collectable straw.
    pub straw_uses: serde_json::Value,
    /// Where the straw and dung denominators come from, kg: weighed
    /// (`straw_measured_kg`), counted in bundles or cart-loads (`straw_counted_kg`),
    /// estimated from coefficients (`straw_estimated_kg`, `dung_estimated_kg`); and what
    /// was left out and why: `straw_crops_excluded` crop records whose straw was neither
    /// weighed nor counted and has no confirmed 草谷比 (or 收集系数) for its county and
    /// year, by crop key in `straw_crops_left_out` (`{"highland_barley": 12}`), and
    /// `dung_sections_excluded`.
    pub provenance: serde_json::Value,
    /// Data-quality flags.
    pub quality: serde_json::Value,
    /// Progress against targets, by indicator key.
    pub progress: BTreeMap<String, ProgressDoc>,
}

/// Indicators by group.
#[derive(Debug, Object)]
#[oai(rename = "Indicators")]
pub struct IndicatorsDoc {
    /// When the figures were computed; every survey stored before then counts.
    pub as_of: DateTime<Utc>,
    /// The grouping level.
    pub level: String,
    /// Whether groups are split by year.
    pub by_year: bool,
    /// Which review states count.
    pub review: String,
    /// The groups, by region code then year.
    pub groups: Vec<GroupDoc>,
}

#[derive(Serialize)]
struct IndicatorsBody<'a> {
    as_of: DateTime<Utc>,
    level: &'a str,
    by_year: bool,
    review: &'a str,
    groups: Vec<GroupReport>,
}

/// A pre-serialized JSON body with its ETag, or 304.
pub enum CachedJson {
    /// The body.
    Ok(Arc<CachedBody>),
    /// The client's copy is current.
    NotModified(String),
}

impl IntoResponse for CachedJson {
    fn into_response(self) -> Response {
        match self {
            CachedJson::Ok(cached) => Response::builder()
                .content_type("application/json; charset=utf-8")
                .header("ETag", cached.etag.clone())
                .header("Cache-Control", "private, no-cache")
                .body(cached.json.clone()),
            CachedJson::NotModified(etag) => not_modified(etag),
        }
    }
}

/// The `ETag` response header as the document describes it (indicators and facts).
pub(crate) fn etag_header() -> MetaHeader {
    MetaHeader {
        name: "ETag".to_owned(),
        description: Some(
            "Send back as If-None-Match to get 304 while nothing changed.".to_owned(),
        ),
        required: true,
        deprecated: false,
        schema: String::schema_ref(),
    }
}

/// The ETag of a body known by `identity` (its query and data version, perhaps its
/// text): 32 hex digits of the SHA-256, after `prefix`, quoted.
pub(crate) fn etag_of(prefix: &str, identity: &str) -> String {
    format!(
        "\"{prefix}{}\"",
        &hex::encode(Sha256::digest(identity))[..32]
    )
}

/// Whether an `If-None-Match` header names `etag`, so that 304 may answer.
pub(crate) fn names_etag(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag))
}

/// The 304 answer to a client whose copy is current.
pub(crate) fn not_modified(etag: String) -> Response {
    Response::builder()
        .status(StatusCode::NOT_MODIFIED)
        .header("ETag", etag)
        .finish()
}

/// The document's responses of a JSON body with an ETag: 200 with `schema`, described
/// as `description`, or 304.
pub(crate) fn etag_responses(description: &'static str, schema: MetaSchemaRef) -> MetaResponses {
    MetaResponses {
        responses: vec![
            MetaResponse {
                description,
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema,
                }],
                headers: vec![etag_header()],
            },
            MetaResponse {
                description: "Not modified since the ETag in If-None-Match.",
                status: Some(304),
                status_range: None,
                content: vec![],
                headers: vec![etag_header()],
            },
        ],
    }
}

impl ApiResponse for CachedJson {
    fn meta() -> MetaResponses {
        etag_responses("Indicators by group.", IndicatorsDoc::schema_ref())
    }

    fn register(registry: &mut Registry) {
        IndicatorsDoc::register(registry);
    }
}

impl LeadingParams for IndicatorsApi {
    type Params = IndicatorParams;
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Indicators")]
impl IndicatorsApi {
    /// Indicators by region and year
    ///
    /// Every indicator (film recovery, pesticide-packaging recovery by count and by kg,
    /// straw utilization with its five uses, yak-dung utilization, film thickness
    /// compliance, degradable-film share) as ratios of totals for each group, with
    /// numerator, denominator, n, the weighted estimate and its 95 % interval, measured
    /// versus estimated amounts, data-quality flags, and progress against the applicable
    /// target with the plan phase. Limited to the caller's region. Rejected surveys never
    /// count; `review=approved` counts approved ones only.
    #[oai(path = "/indicators", method = "get", operation_id = "indicators")]
    async fn indicators(
        &self,
        auth: Auth,
        params: IndicatorParams,
        /// The ETag of a previous response.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<CachedJson, ApiError> {
        let request = params.parse(&self.state, &auth)?;
        let storage = &self.state.storage;
        let key = format!("{:?}|{:?}", request.query, request.indicator);
        let version = storage.data_version().await?;
        let cached = self.state.indicator_cache.get(&key, &version);
        let response = match cached {
            Some(cached) => cached,
            None => {
                let body = IndicatorsBody {
                    as_of: Utc::now(),
                    level: request.level.key(),
                    by_year: request.query.by_year,
                    review: request.review.key(),
                    groups: request.reports(&self.state).await?,
                };
                let text = serde_json::to_string(&body).map_err(ApiError::internal)?;
                let etag = etag_of("", &format!("{key}|{version}|{text}"));
                self.state.indicator_cache.put(
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
            return Ok(CachedJson::NotModified(response.etag.clone()));
        }
        Ok(CachedJson::Ok(response))
    }
}
