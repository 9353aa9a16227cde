//! `/api/v1/sums`: the dashboard's download, the sums of every county and year in the two
//! review classes (approved; counted but not approved).
//!
//! Every dashboard filter is a union of such rows (a region is its counties, a year range
//! its years, "counted" both classes), so the browser adds the rows of its filters and
//! finishes them with the analytics crate, as `/api/v1/indicators` finishes its SQL sums:
//! the same numbers, and a body that grows with counties × years, not with surveys. The
//! rows are two calls of `Storage::additive_sums` (county × year, one per class); the
//! wire shape is the crate's [`SumsBody`], which the page's WASM `FactSet` reads. As for
//! `/api/v1/facts`, the ETag is the query and the data version (a revalidation reads no
//! sums), the body is cached with its gzip form, and gzip is sent when accepted (here,
//! with the facts' encoder, rather than by a middleware).

use std::sync::Arc;

use agriwaste_analytics::regions::RegionLevel;
use agriwaste_analytics::review::Counting;
use agriwaste_analytics::sums::SumsBody;
use chrono::{SecondsFormat, Utc};
use poem::{IntoResponse, Response};
use poem_openapi::param::{Header, Query};
use poem_openapi::registry::{MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::error::ApiError;
use super::facts::{accepts_gzip, cached_json, gzip};
use super::indicators::{etag_of, etag_responses, names_etag, not_modified};
use super::params::{ReviewFilter, check_year_range, region_filter, scoped_query};
use super::security::Auth;
use super::values::RegionCode;
use crate::cache::CachedBody;
use crate::state::AppState;
use crate::storage::facts::IndicatorQuery;

/// Endpoint.
pub struct SumsApi {
    pub(crate) state: Arc<AppState>,
}

/// The sums of one county in one year and one review class.
#[derive(Debug, Object)]
#[oai(rename = "SumRow")]
pub struct SumRowDoc {
    /// Index into `counties`.
    pub county: u32,
    /// Survey year.
    pub year: i32,
    /// True: approved surveys; false: counted but not approved ones (rejected surveys are
    /// never included). The "counted" figures add both rows, "approved only" the first.
    pub approved: bool,
    /// Households (surveys).
    pub households: u64,
    /// Surveys stored with at least one warning.
    pub surveys_with_warnings: u64,
    /// Households that returned more pesticide packages than they used.
    pub households_returned_exceeds_used: u64,
    /// One entry per indicator, in the order film_recovery_rate,
    /// pesticide_packaging_recovery_rate, pesticide_packaging_recovery_rate_kg,
    /// straw_utilization_rate, yak_dung_utilization_rate, film_thickness_compliance_rate,
    /// degradable_film_share: the ratio estimator's eight sums `[n, Σwy, Σwx, Σy, Σx,
    /// Σw²y², Σw²x², Σw²xy]`, or null when no household of the row has the section.
    /// (Documented as any JSON value: the document format cannot say "nullable array"
    /// through this library's types.)
    pub indicators: Vec<serde_json::Value>,
    /// `Σ w · use` per straw use, kg: fertilizer, feed, substrate, fuel, raw material.
    pub straw_uses_weighted_kg: Vec<f64>,
    /// `Σ use` per straw use, kg, in the same order.
    pub straw_uses_kg: Vec<f64>,
    /// Measured, counted and estimated amounts and what was left out, as in a group of
    /// `/api/v1/indicators`.
    pub provenance: serde_json::Value,
}

/// County × year × review-class sums.
#[derive(Debug, Object)]
#[oai(rename = "Sums")]
pub struct SumsDoc {
    /// When the sums were read; every survey stored before then is included.
    pub as_of: String,
    /// Households in every row.
    pub households: u64,
    /// The distinct county codes; `county` of a row indexes into this list.
    pub counties: Vec<String>,
    /// Approved rows first, then counted-but-not-approved ones, each by county and year.
    pub rows: Vec<SumRowDoc>,
}

/// The sums (gzip when accepted), or 304.
pub enum SumsResponse {
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

impl IntoResponse for SumsResponse {
    fn into_response(self) -> Response {
        match self {
            SumsResponse::Ok { entry, gzip } => cached_json(&entry, gzip),
            SumsResponse::NotModified(etag) => not_modified(etag),
        }
    }
}

impl ApiResponse for SumsResponse {
    fn meta() -> MetaResponses {
        etag_responses(
            "County × year × review-class sums (Content-Encoding: gzip when accepted).",
            SumsDoc::schema_ref(),
        )
    }

    fn register(registry: &mut Registry) {
        SumsDoc::register(registry);
    }
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Indicators")]
impl SumsApi {
    /// County × year sums for the dashboard
    ///
    /// The additive sums behind every indicator (the eight of the ratio estimator per
    /// indicator, straw by use, measured and estimated amounts, warnings) per county and
    /// year, in two review classes: approved, and counted but not approved. A client adds
    /// the rows its filters select (a region's counties, a range's years, one class or
    /// both) and finishes them with the analytics module to get the figures of
    /// `/api/v1/indicators` and `/api/v1/progress`; its size follows counties × years,
    /// not surveys. Film use per mu (the outlier flags' median) is household-level and
    /// not included. Limited to the caller's region; rejected surveys never count.
    /// Compressed with gzip when `Accept-Encoding` allows it.
    #[oai(path = "/sums", method = "get", operation_id = "surveySums")]
    async fn sums(
        &self,
        auth: Auth,
        /// Only this region (any level) and what lies below it.
        region: Query<Option<RegionCode>>,
        /// From this year (inclusive).
        from: Query<Option<i32>>,
        /// To this year (inclusive).
        to: Query<Option<i32>>,
        /// The ETag of a previous response.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
        /// `gzip` for a compressed body.
        #[oai(name = "Accept-Encoding")]
        accept_encoding: Header<Option<String>>,
    ) -> Result<SumsResponse, ApiError> {
        let storage = &self.state.storage;
        let region = region_filter(&self.state, region.0)?;
        check_year_range(from.0, to.0)?;
        let query = IndicatorQuery {
            level: Some(RegionLevel::County),
            by_year: true,
            from_year: from.0,
            to_year: to.0,
            ..scoped_query(&self.state, auth.principal(), region, ReviewFilter::Counted)
        };
        let key = format!("sums|{query:?}");
        let version = storage.data_version().await?;
        let etag = etag_of("s", &format!("{key}|{version}"));
        if names_etag(if_none_match.0.as_deref(), &etag) {
            return Ok(SumsResponse::NotModified(etag));
        }
        let gzip_wanted = accepts_gzip(accept_encoding.0.as_deref());
        if let Some(entry) = self.state.indicator_cache.get(&key, &version) {
            return Ok(SumsResponse::Ok {
                entry,
                gzip: gzip_wanted,
            });
        }
        let class = |counting| IndicatorQuery {
            counting,
            ..query.clone()
        };
        let approved = storage
            .additive_sums(&class(Counting::ApprovedOnly))
            .await?;
        let unapproved = storage.additive_sums(&class(Counting::Unapproved)).await?;
        let as_of = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let body = SumsBody::from_classes(Some(as_of), &approved, &unapproved);
        let json = serde_json::to_vec(&body).map_err(ApiError::internal)?;
        let compressed = gzip(&json).map_err(ApiError::internal)?;
        let entry = self.state.indicator_cache.put(
            key,
            version,
            Arc::new(CachedBody {
                etag,
                json,
                gzip: Some(compressed),
            }),
        );
        Ok(SumsResponse::Ok {
            entry,
            gzip: gzip_wanted,
        })
    }
}
