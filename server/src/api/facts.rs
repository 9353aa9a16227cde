//! `/api/v1/facts`: every household's indicator facts, by column, for the dashboard.
//!
//! The dashboard loads this once and computes every figure in the browser with the
//! analytics crate (WASM), so a filter change costs no round trip. The columns are the
//! crate's [`FactColumns`] (one array per field, counties as indexes), the same facts
//! `/api/v1/indicators` sums in SQL. The body is gzip-compressed when the client accepts
//! it (done here rather than by poem's compression middleware, which would build the
//! zstd and brotli codecs too, for one endpoint that needs gzip). The ETag is the query
//! and the data version (`Storage::data_version`), so a revalidation costs no read of
//! the facts; the last few bodies are kept, compressed.

use std::io::Write;
use std::sync::Arc;

use agriwaste_analytics::columns::FactColumns;
use chrono::{DateTime, Utc};
use poem::{IntoResponse, Response};
use poem_openapi::param::{Header, Query};
use poem_openapi::registry::{MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Serialize;

use super::ApiTags;
use super::error::{ApiError, ErrorCode};
use super::indicators::{etag_of, etag_responses, names_etag, not_modified};
use super::params::{ReviewFilter, check_year_range, region_filter, scoped_query};
use super::security::Auth;
use super::surveys::{encode_cursor, parse_cursor};
use super::values::{InRange, RegionCode};
use crate::cache::CachedBody;
use crate::state::AppState;
use crate::storage::facts::{FactsPage, IndicatorQuery};

/// Endpoint.
pub struct FactsApi {
    pub(crate) state: Arc<AppState>,
}

/// The household facts by column; every array has one entry per household, in
/// survey-id order.
#[derive(Debug, Object)]
#[oai(rename = "FactColumns")]
pub struct FactColumnsDoc {
    /// The distinct county codes; `county` indexes into this list.
    pub counties: Vec<String>,
    /// Survey id, 32 hex digits.
    pub id: Vec<String>,
    /// Index into `counties`.
    pub county: Vec<u32>,
    /// Survey year.
    pub year: Vec<i32>,
    /// Sampling weight.
    pub weight: Vec<f64>,
    /// 1 when the survey is approved, else 0 (rejected surveys are never included).
    pub approved: Vec<u8>,
    /// Validation warnings stored with the survey.
    pub warnings: Vec<u32>,
    /// Numerators: one column per indicator, in the order film_recovery_rate,
    /// pesticide_packaging_recovery_rate, pesticide_packaging_recovery_rate_kg,
    /// straw_utilization_rate, yak_dung_utilization_rate, film_thickness_compliance_rate,
    /// degradable_film_share; each entry a number, or null when the household lacks the
    /// section. (Documented as any JSON value: the document format cannot say "array of
    /// nullable numbers" through this library's types.)
    pub y: Vec<Vec<serde_json::Value>>,
    /// Denominators, the same seven columns as `y`; numbers or null.
    pub x: Vec<Vec<serde_json::Value>>,
    /// Straw by use, kg: five columns (fertilizer, feed, substrate, fuel, raw material).
    pub straw_uses_kg: Vec<Vec<f64>>,
    /// Part of the straw denominator estimated from yield, kg.
    pub straw_estimated_kg: Vec<f64>,
    /// Part of the straw denominator counted in bundles or cart-loads (count × kg each), kg.
    pub straw_counted_kg: Vec<f64>,
    /// Crops left out because their straw could not be had: neither weighed nor counted,
    /// and no confirmed 草谷比 (or 收集系数) to estimate it from the yield.
    pub straw_crops_excluded: Vec<u32>,
    /// Which crops those are: bit k set for the k-th crop of highland_barley,
    /// spring_wheat, rapeseed, potato, corn, pea_broad_bean, other (1 = highland_barley).
    pub straw_excluded_crops: Vec<u8>,
    /// Part of the dung denominator estimated from herd size, kg.
    pub dung_estimated_kg: Vec<f64>,
    /// 1 when the dung section could not be estimated and was left out.
    pub dung_excluded: Vec<u8>,
    /// Film used per mu covered: a number, or null unless both are known.
    pub film_kg_per_mu: Vec<serde_json::Value>,
    /// GPS latitude: a number, or null without a fix.
    pub lat: Vec<serde_json::Value>,
    /// GPS longitude: a number, or null without a fix.
    pub lon: Vec<serde_json::Value>,
}

/// Household facts.
#[derive(Debug, Object)]
#[oai(rename = "Facts")]
pub struct FactsDoc {
    /// When the facts were read; every survey stored before then is included.
    pub as_of: DateTime<Utc>,
    /// Which review states are included (`counted`: all but rejected; `approved`).
    pub review: String,
    /// Households (rows).
    pub households: u64,
    /// The facts.
    pub facts: FactColumnsDoc,
    /// With `limit`: pass as `cursor` for the next page; absent on the last page (and
    /// without `limit`, which sends every household).
    pub next_cursor: Option<String>,
}

#[derive(Serialize)]
struct FactsBody<'a> {
    as_of: DateTime<Utc>,
    review: &'a str,
    households: usize,
    facts: FactColumns,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// Households per page at most.
const FACTS_PAGE_MAX: u32 = 100_000;

/// The facts (gzip when accepted), or 304.
pub enum FactsResponse {
    /// The body.
    Ok {
        /// The body and its ETag.
        entry: Arc<CachedBody>,
        /// Send the gzip form.
        gzip: bool,
    },
    /// The client's copy is current.
    NotModified(String),
}

impl IntoResponse for FactsResponse {
    fn into_response(self) -> Response {
        match self {
            FactsResponse::Ok { entry, gzip } => cached_json(&entry, gzip),
            FactsResponse::NotModified(etag) => not_modified(etag),
        }
    }
}

/// A cached JSON body with its ETag, gzip-compressed when `gzip` and the cache holds
/// that form; revalidated on every use (the data version is in the ETag).
pub(crate) fn cached_json(entry: &CachedBody, gzip: bool) -> Response {
    let builder = Response::builder()
        .content_type("application/json; charset=utf-8")
        .header("ETag", entry.etag.clone())
        .header("Cache-Control", "private, no-cache")
        .header("Vary", "Accept-Encoding");
    match entry.gzip.as_ref().filter(|_| gzip) {
        Some(compressed) => builder
            .header("Content-Encoding", "gzip")
            .body(compressed.clone()),
        None => builder.body(entry.json.clone()),
    }
}

impl ApiResponse for FactsResponse {
    fn meta() -> MetaResponses {
        etag_responses(
            "Household facts by column (Content-Encoding: gzip when accepted).",
            FactsDoc::schema_ref(),
        )
    }

    fn register(registry: &mut Registry) {
        FactsDoc::register(registry);
    }
}

/// The gzip form of `bytes` (fast compression: a body of every household is megabytes).
pub(crate) fn gzip(bytes: &[u8]) -> Result<Vec<u8>, std::io::Error> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// Whether `Accept-Encoding` allows gzip (`*` does; `q=0` refuses).
pub(crate) fn accepts_gzip(header: Option<&str>) -> bool {
    header.is_some_and(|h| {
        h.split(',').any(|part| {
            let mut pieces = part.split(';');
            let coding = pieces.next().unwrap_or_default().trim();
            let refused = pieces.any(|p| {
                let p = p.trim().replace(' ', "");
                p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
    })
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Indicators")]
impl FactsApi {
    /// Household facts for the dashboard
    ///
    /// Each household's numerators and denominators for every indicator, straw by use,
    /// what was estimated, warnings, approval and GPS position, as columns (one array per
    /// field): what `/api/v1/indicators` sums, for a browser to compute the same figures
    /// with the analytics module and to refilter without asking again. Limited to the
    /// caller's region. Rejected surveys are never included; `review=approved` sends
    /// approved ones only (otherwise `approved` tells them apart). Compressed with gzip
    /// when `Accept-Encoding` allows it. Without `limit` every household comes at once
    /// (in survey-id order); with `limit`, a page in the order surveys were stored and a
    /// `next_cursor` for the next, with no gaps or repeats while surveys are written.
    #[oai(path = "/facts", method = "get", operation_id = "surveyFacts")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per filter, as the API documents them"
    )]
    async fn facts(
        &self,
        auth: Auth,
        /// Only this region (any level) and what lies below it.
        region: Query<Option<RegionCode>>,
        /// From this year (inclusive).
        from: Query<Option<i32>>,
        /// To this year (inclusive).
        to: Query<Option<i32>>,
        /// `counted` (every state but rejected, default) or `approved`.
        review: Query<Option<ReviewFilter>>,
        /// Households per page (1 to 100 000); without it, every household at once.
        limit: Query<Option<InRange<u32, 1, { FACTS_PAGE_MAX as i64 }>>>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// The ETag of a previous response.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
        /// `gzip` for a compressed body.
        #[oai(name = "Accept-Encoding")]
        accept_encoding: Header<Option<String>>,
    ) -> Result<FactsResponse, ApiError> {
        let storage = &self.state.storage;
        let region = region_filter(&self.state, region.0)?;
        check_year_range(from.0, to.0)?;
        let review = review.0.unwrap_or(ReviewFilter::Counted);
        let query = IndicatorQuery {
            from_year: from.0,
            to_year: to.0,
            ..scoped_query(&self.state, auth.principal(), region, review)
        };
        let page = match limit.0.map(|l| l.0) {
            None => None,
            Some(limit) if (1..=FACTS_PAGE_MAX).contains(&limit) => Some(FactsPage {
                after: parse_cursor(cursor.0.as_deref())?,
                limit: u64::from(limit),
            }),
            Some(_) => {
                return Err(ApiError::bad_request(
                    ErrorCode::InvalidParameter,
                    format!("每页户数 limit 必须在 1 到 {FACTS_PAGE_MAX} 之间"),
                    format!("limit (households per page) must be between 1 and {FACTS_PAGE_MAX}"),
                )
                .at("limit"));
            }
        };
        if page.is_none() && cursor.0.as_deref().is_some_and(|c| !c.is_empty()) {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidParameter,
                "使用分页游标 cursor 时须同时给出每页户数 limit",
                "a cursor needs limit (households per page) too",
            )
            .at("limit"));
        }
        let key = format!("{query:?}|{page:?}");
        let version = storage.data_version().await?;
        let etag = etag_of("f", &format!("{key}|{version}"));
        if names_etag(if_none_match.0.as_deref(), &etag) {
            return Ok(FactsResponse::NotModified(etag));
        }
        let gzip_wanted = accepts_gzip(accept_encoding.0.as_deref());
        if let Some(entry) = self.state.facts_cache.get(&key, &version) {
            return Ok(FactsResponse::Ok {
                entry,
                gzip: gzip_wanted,
            });
        }
        let (facts, next) = storage.fact_columns(&query, page).await?;
        let body = FactsBody {
            as_of: Utc::now(),
            review: review.key(),
            households: facts.len(),
            facts,
            next_cursor: next.map(encode_cursor),
        };
        let json = serde_json::to_vec(&body).map_err(ApiError::internal)?;
        let compressed = tokio::task::spawn_blocking(move || gzip(&json).map(|gz| (json, gz)))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
        let entry = self.state.facts_cache.put(
            key,
            version,
            Arc::new(CachedBody {
                etag,
                json: compressed.0,
                gzip: Some(compressed.1),
            }),
        );
        Ok(FactsResponse::Ok {
            entry,
            gzip: gzip_wanted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        assert!(accepts_gzip(Some("gzip, deflate, br")));
        assert!(accepts_gzip(Some("br;q=1.0, gzip;q=0.8")));
        assert!(accepts_gzip(Some("*")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("br")));
        assert!(!accepts_gzip(None));
    }
}
