//! `/api/v1/exports/surveys.{csv,xlsx,geojson,ndjson}`: every survey the caller may see
//! that matches the listing's filters, as one file; and
//! `/api/v1/exports/indicators.{csv,xlsx,ndjson}`: the figures of `/indicators` as a table.
//!
//! The handlers only parse the request and start the export; the work is
//! `crate::exports::export`, run in a task that writes into a pipe the response body
//! reads from. The line formats reach the client page by page, from the first thousand
//! surveys on, so a large export neither waits nor holds the rows in memory; an XLSX is
//! built in a temporary file first (a zip's directory comes last) and then sent. A
//! failure after the first byte cannot change the status any more: the body is then
//! cut off with an error, so the client sees a broken transfer, never a short file that
//! looks complete.

use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use poem::{Body, IntoResponse, Request, RequestBody, Response};
use poem_openapi::param::Query;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaOperationParam, MetaResponse, MetaResponses, MetaSchema,
    MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::{ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, OpenApi};
use tokio_util::io::ReaderStream;

use super::ApiTags;
use super::error::ApiError;
use super::model::ReviewStateParam;
use super::params::{IndicatorParams, LeadingParams, SharedParams, documented, query};
use super::security::Auth;
use super::surveys::filter;
use super::values::RegionCode;
use crate::exports::{self, ExportOptions, Format, Lang};
use crate::state::AppState;

/// Survey export endpoints.
pub struct ExportsApi {
    pub(crate) state: Arc<AppState>,
}

/// Indicator export endpoints: each takes the parameters of `/indicators`.
pub struct IndicatorExportsApi {
    pub(crate) state: Arc<AppState>,
}

/// Column-header language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, poem_openapi::Enum)]
#[oai(rename = "ExportLang", rename_all = "lowercase")]
pub enum LangParam {
    /// Chinese headers and sheet names (default).
    #[default]
    Zh,
    /// English headers: the wire-format field paths (`film.used_kg`).
    En,
}

/// Which format an export response documents.
pub trait ExportKind: Send {
    /// The format.
    const FORMAT: Format;
    /// The file name offered to the client.
    const FILE_NAME: &'static str;
    /// What the response holds, for the OpenAPI document.
    const DESCRIPTION: &'static str;

    /// The body's schema: bytes, unless the format is JSON a client would validate.
    fn schema() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")))
    }
}

/// CSV.
pub struct Csv;
impl ExportKind for Csv {
    const FORMAT: Format = Format::Csv;
    const FILE_NAME: &'static str = "surveys.csv";
    const DESCRIPTION: &'static str =
        "UTF-8 CSV with a byte order mark and CRLF line ends, one row per survey.";
}

/// XLSX.
pub struct Xlsx;
impl ExportKind for Xlsx {
    const FORMAT: Format = Format::Xlsx;
    const FILE_NAME: &'static str = "surveys.xlsx";
    const DESCRIPTION: &'static str = "An Excel workbook: a sheet per section (surveys, film, pesticide packaging, straw with one row per crop, yak dung).";
}

/// GeoJSON.
pub struct GeoJson;
impl ExportKind for GeoJson {
    const FORMAT: Format = Format::GeoJson;
    const FILE_NAME: &'static str = "surveys.geojson";
    const DESCRIPTION: &'static str = "A GeoJSON FeatureCollection of survey points; surveys without a location are left out and counted in the member `skipped_without_location`.";

    /// A JSON object, not bytes: clients (and schemathesis) parse `application/geo+json`.
    fn schema() -> MetaSchemaRef {
        let mut collection = MetaSchema::new("object");
        collection.required = vec!["type", "features"];
        collection.properties = vec![
            (
                "type",
                MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
            ),
            (
                "features",
                MetaSchemaRef::Inline(Box::new(MetaSchema {
                    items: Some(Box::new(MetaSchemaRef::Inline(Box::new(MetaSchema::new(
                        "object",
                    ))))),
                    ..MetaSchema::new("array")
                })),
            ),
            (
                "skipped_without_location",
                MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("integer", "uint64"))),
            ),
        ];
        MetaSchemaRef::Inline(Box::new(collection))
    }
}

/// NDJSON.
pub struct Ndjson;
impl ExportKind for Ndjson {
    const FORMAT: Format = Format::Ndjson;
    const FILE_NAME: &'static str = "surveys.ndjson";
    const DESCRIPTION: &'static str =
        "One survey per line, in the wire format of `POST /api/v1/surveys`.";
}

/// Indicators as CSV.
pub struct IndicatorsCsv;
impl ExportKind for IndicatorsCsv {
    const FORMAT: Format = Format::Csv;
    const FILE_NAME: &'static str = "indicators.csv";
    const DESCRIPTION: &'static str =
        "UTF-8 CSV with a byte order mark and CRLF line ends, one row per group and indicator.";
}

/// Indicators as XLSX.
pub struct IndicatorsXlsx;
impl ExportKind for IndicatorsXlsx {
    const FORMAT: Format = Format::Xlsx;
    const FILE_NAME: &'static str = "indicators.xlsx";
    const DESCRIPTION: &'static str = "An Excel workbook: the indicators (one row per group and indicator) and the straw five-use structure (one row per group and use), typed cells, frozen header rows.";
}

/// Indicators as NDJSON.
pub struct IndicatorsNdjson;
impl ExportKind for IndicatorsNdjson {
    const FORMAT: Format = Format::Ndjson;
    const FILE_NAME: &'static str = "indicators.ndjson";
    const DESCRIPTION: &'static str =
        "One JSON object per group and indicator, keyed like the CSV's English headers.";
}

/// An export file, streamed.
pub struct ExportFile<K: ExportKind> {
    body: Body,
    kind: PhantomData<K>,
}

impl<K: ExportKind> IntoResponse for ExportFile<K> {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(K::FORMAT.content_type())
            .header(
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", K::FILE_NAME),
            )
            .header("Cache-Control", "no-store")
            .body(self.body)
    }
}

impl<K: ExportKind> ApiResponse for ExportFile<K> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: K::DESCRIPTION,
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: K::FORMAT.content_type(),
                    schema: K::schema(),
                }],
                headers: vec![MetaHeader {
                    name: "Content-Disposition".to_owned(),
                    description: Some(format!("`attachment; filename=\"{}\"`", K::FILE_NAME)),
                    required: true,
                    deprecated: false,
                    schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
                }],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

/// The listing's filters, shared by the four formats: one extractor, documented first
/// on each of their operations ([`WithParams`](super::params::WithParams)).
pub struct SurveyFilterParams {
    region: Option<String>,
    year: Option<i32>,
    technician: Option<String>,
    review_state: Option<ReviewStateParam>,
    modified_since: Option<DateTime<Utc>>,
}

impl SharedParams for SurveyFilterParams {
    fn documented() -> Vec<MetaOperationParam> {
        vec![
            documented::<RegionCode>(
                "region",
                "A region code at any level (county, prefecture or province); includes everything below it.",
            ),
            documented::<i32>("year", "Survey year."),
            documented::<String>("technician", "Technician."),
            documented::<ReviewStateParam>("review_state", "Review state."),
            documented::<DateTime<Utc>>(
                "modified_since",
                "Only surveys stored or corrected at or after this time (RFC 3339).",
            ),
        ]
    }
}

impl<'a> ApiExtractor<'a> for SurveyFilterParams {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::PoemExtractor];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Option<ReviewStateParam> as Type>::register(registry);
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(SurveyFilterParams {
            region: query(req, body, "region").await?,
            year: query(req, body, "year").await?,
            technician: query(req, body, "technician").await?,
            review_state: query(req, body, "review_state").await?,
            modified_since: query(req, body, "modified_since").await?,
        })
    }
}

impl LeadingParams for ExportsApi {
    type Params = SurveyFilterParams;
}

impl LeadingParams for IndicatorExportsApi {
    type Params = IndicatorParams;
}

fn lang_of(lang: Option<LangParam>) -> Lang {
    match lang.unwrap_or_default() {
        LangParam::Zh => Lang::Zh,
        LangParam::En => Lang::En,
    }
}

impl<K: ExportKind> ExportFile<K> {
    /// A file already built in memory (indicator tables are small: one row per group).
    fn whole(bytes: Vec<u8>) -> ExportFile<K> {
        ExportFile {
            body: Body::from(bytes),
            kind: PhantomData,
        }
    }
}

impl ExportsApi {
    fn start<K: ExportKind>(
        &self,
        auth: &Auth,
        filters: SurveyFilterParams,
        options: ExportOptions,
    ) -> Result<ExportFile<K>, ApiError> {
        let mut filter = filter(
            &self.state,
            auth.principal(),
            filters.region,
            filters.year,
            filters.technician,
            filters.review_state,
        )?;
        filter.modified_since = filters.modified_since;
        let (mut writer, reader) = tokio::io::duplex(256 * 1024);
        let state = self.state.clone();
        let task = tokio::spawn(async move {
            let result = exports::export(
                &state.storage,
                &filter,
                K::FORMAT,
                options,
                &mut writer,
                &mut |_| {},
            )
            .await;
            if let Err(err) = &result {
                tracing::warn!(error = %err, format = K::FORMAT.extension(), "export stopped");
            }
            result
        });
        // After the pipe's end, the task's outcome: an error becomes a body error, which
        // aborts the response instead of ending it cleanly.
        let outcome = futures_util::stream::once(async move {
            match task.await {
                Ok(Ok(_)) => None,
                Ok(Err(err)) => Some(Err(std::io::Error::other(err))),
                Err(err) => Some(Err(std::io::Error::other(err))),
            }
        })
        .filter_map(|item| async move { item });
        let stream = ReaderStream::new(reader).chain(outcome);
        Ok(ExportFile {
            body: Body::from_bytes_stream(stream),
            kind: PhantomData,
        })
    }
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Exports")]
impl ExportsApi {
    /// Export surveys as CSV
    ///
    /// Every survey the caller may see that matches the filters (as in `listSurveys`),
    /// oldest first: one row per survey, straw as a column group per crop with
    /// `straw.crops` giving the survey's crop order. UTF-8 with BOM and CRLF so that
    /// Excel opens it in any locale. Survey content only; importable with
    /// `agriwaste import`.
    #[oai(
        path = "/exports/surveys.csv",
        method = "get",
        operation_id = "exportSurveysCsv"
    )]
    async fn csv(
        &self,
        auth: Auth,
        filters: SurveyFilterParams,
        /// Header language: `zh` (default) or `en`.
        lang: Query<Option<LangParam>>,
    ) -> Result<ExportFile<Csv>, ApiError> {
        let options = ExportOptions {
            lang: lang_of(lang.0),
            include_attachments: false,
        };
        self.start(&auth, filters, options)
    }

    /// Export surveys as XLSX
    ///
    /// The same surveys as the CSV export, as a workbook with one sheet per section,
    /// typed cells and a frozen header row. Section sheets refer to the surveys sheet by
    /// `survey_id`; the straw sheet has one row per crop, in the survey's order.
    #[oai(
        path = "/exports/surveys.xlsx",
        method = "get",
        operation_id = "exportSurveysXlsx"
    )]
    async fn xlsx(
        &self,
        auth: Auth,
        filters: SurveyFilterParams,
        /// Header and sheet-name language: `zh` (default) or `en`.
        lang: Query<Option<LangParam>>,
    ) -> Result<ExportFile<Xlsx>, ApiError> {
        let options = ExportOptions {
            lang: lang_of(lang.0),
            include_attachments: false,
        };
        self.start(&auth, filters, options)
    }

    /// Export survey points as GeoJSON
    ///
    /// A FeatureCollection (RFC 7946) with a Point `[lon, lat]` per survey that has a
    /// location; properties are the survey plus `review_state` and `version`. Surveys
    /// without a location are left out; their number is the collection's
    /// `skipped_without_location` member, after the features. With
    /// `include_attachments=true` each feature also lists the survey's photos
    /// (`attachments`: sha256, content type, size and download URL).
    #[oai(
        path = "/exports/surveys.geojson",
        method = "get",
        operation_id = "exportSurveysGeoJson"
    )]
    async fn geojson(
        &self,
        auth: Auth,
        filters: SurveyFilterParams,
        /// List each survey's photos in its properties (default false).
        include_attachments: Query<Option<bool>>,
    ) -> Result<ExportFile<GeoJson>, ApiError> {
        let options = ExportOptions {
            lang: Lang::default(),
            include_attachments: include_attachments.0.unwrap_or(false),
        };
        self.start(&auth, filters, options)
    }

    /// Export surveys as NDJSON
    ///
    /// One survey per line in the wire format, oldest first: what `POST /surveys`
    /// accepts, and what `agriwaste import` reads.
    #[oai(
        path = "/exports/surveys.ndjson",
        method = "get",
        operation_id = "exportSurveysNdjson"
    )]
    async fn ndjson(
        &self,
        auth: Auth,
        filters: SurveyFilterParams,
    ) -> Result<ExportFile<Ndjson>, ApiError> {
        let options = ExportOptions {
            lang: Lang::default(),
            include_attachments: false,
        };
        self.start(&auth, filters, options)
    }
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Exports")]
impl IndicatorExportsApi {
    /// Export indicators as CSV
    ///
    /// The figures of `GET /indicators` for the same parameters, one row per group
    /// (region and year) and indicator: rate, interval, numerator, denominator, n,
    /// target, gap, phase and quality. UTF-8 with BOM and CRLF.
    #[oai(
        path = "/exports/indicators.csv",
        method = "get",
        operation_id = "exportIndicatorsCsv"
    )]
    async fn indicators_csv(
        &self,
        auth: Auth,
        params: IndicatorParams,
        /// Header language: `zh` (default) or `en`.
        lang: Query<Option<LangParam>>,
    ) -> Result<ExportFile<IndicatorsCsv>, ApiError> {
        let groups = params
            .parse(&self.state, &auth)?
            .reports(&self.state)
            .await?;
        let lang = lang_of(lang.0);
        Ok(ExportFile::whole(
            exports::indicators::indicator_table(&groups, lang).to_csv(lang),
        ))
    }

    /// Export indicators as XLSX
    ///
    /// The same rows as the CSV on an `indicators` sheet, and the straw five-use
    /// structure (one row per group and use) on a second sheet; typed cells, frozen
    /// header rows.
    #[oai(
        path = "/exports/indicators.xlsx",
        method = "get",
        operation_id = "exportIndicatorsXlsx"
    )]
    async fn indicators_xlsx(
        &self,
        auth: Auth,
        params: IndicatorParams,
        /// Header and sheet-name language: `zh` (default) or `en`.
        lang: Query<Option<LangParam>>,
    ) -> Result<ExportFile<IndicatorsXlsx>, ApiError> {
        let groups = params
            .parse(&self.state, &auth)?
            .reports(&self.state)
            .await?;
        let lang = lang_of(lang.0);
        let bytes = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<u8>> {
            let file = tempfile::NamedTempFile::new()?;
            exports::indicators::write_xlsx(&groups, lang, file.path())?;
            Ok(std::fs::read(file.path())?)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
        Ok(ExportFile::whole(bytes))
    }

    /// Export indicators as NDJSON
    ///
    /// One JSON object per group and indicator, keyed like the CSV's English headers.
    #[oai(
        path = "/exports/indicators.ndjson",
        method = "get",
        operation_id = "exportIndicatorsNdjson"
    )]
    async fn indicators_ndjson(
        &self,
        auth: Auth,
        params: IndicatorParams,
    ) -> Result<ExportFile<IndicatorsNdjson>, ApiError> {
        let groups = params
            .parse(&self.state, &auth)?
            .reports(&self.state)
            .await?;
        Ok(ExportFile::whole(exports::indicators::ndjson(&groups)))
    }
}
