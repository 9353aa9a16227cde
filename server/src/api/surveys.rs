//! `/api/v1/surveys`: submit (one or a batch), read, list, correct, history. Review
//! decisions are `api::review`.
//!
//! Handlers parse into the domain, validate with the analytics crate (the same rules the
//! phone runs), call storage, and map the outcome to a response.

use std::sync::Arc;

use agriwaste_analytics::coefficients::CoefficientTable;
use agriwaste_analytics::validation;
use agriwaste_analytics::{Issue, Survey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::body::DomainJson;
use super::error::{ApiError, ErrorCode, FieldIssue};
use super::middleware::RequestContext;
use super::model::*;
use super::params::region_filter;
use super::security::{Auth, PersonAuth, denied};
use super::values::{InRange, RegionCode};
use crate::auth::{Denied, Principal};
use crate::ingest::{self, ValidatedSurvey, today_in_china};
use crate::state::AppState;
use crate::storage::surveys::Correction;
use crate::storage::{CorrectOutcome, CreateOutcome, StoredSurvey, SurveyFilter};

/// Most surveys one batch may carry.
pub const MAX_BATCH: usize = 500;
/// Default and largest page size.
const PAGE_DEFAULT: u32 = 100;
const PAGE_MAX: u32 = 1000;

/// Survey endpoints.
pub struct SurveysApi {
    pub(crate) state: Arc<AppState>,
}

#[derive(ApiResponse)]
enum CreateResponse {
    /// The survey was stored.
    #[oai(status = 201)]
    Created(
        Json<StoredSurveyBody>,
        #[oai(header = "ETag")] String,
        #[oai(header = "Location")] String,
    ),
    /// The same id with the same content was already stored; nothing was written.
    #[oai(status = 200)]
    Duplicate(Json<StoredSurveyBody>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum BatchResponse {
    /// One result per survey, in order.
    #[oai(status = 200)]
    Ok(Json<BatchResultBody>),
}

#[derive(ApiResponse)]
enum GetResponse {
    /// The current version.
    #[oai(status = 200)]
    Ok(Json<StoredSurveyBody>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum ListResponse {
    /// One page of surveys.
    #[oai(status = 200)]
    Ok(Json<SurveyPageBody>),
}

#[derive(ApiResponse)]
enum YearsResponse {
    /// The years, oldest first.
    #[oai(status = 200)]
    Ok(Json<SurveyYearsBody>),
}

#[derive(ApiResponse)]
enum CorrectResponse {
    /// The correction was stored as a new version (or equalled the current one).
    #[oai(status = 200)]
    Ok(Json<StoredSurveyBody>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum HistoryResponse {
    /// Every version, oldest first.
    #[oai(status = 200)]
    Ok(Json<SurveyHistoryBody>),
}

impl SurveysApi {
    /// Runs the shared validation rules with the coefficient table `coefficients` (read
    /// once per request); errors reject, warnings are stored with it.
    fn check(
        &self,
        survey: Survey,
        coefficients: &CoefficientTable,
    ) -> Result<ValidatedSurvey, Vec<Issue>> {
        ingest::validate(
            survey,
            self.state.storage.regions(),
            coefficients,
            today_in_china(),
        )
    }
}

impl SurveysApi {
    /// A technician's surveys carry their username: the authenticated principal is the
    /// author, whatever the phone typed.
    fn as_author(principal: &Principal, mut survey: Survey) -> Survey {
        if principal.authors_own_surveys() {
            survey.technician = principal.name.clone();
        }
        survey
    }

    async fn visible(&self, principal: &Principal, id: Uuid) -> Result<StoredSurvey, ApiError> {
        visible(&self.state, principal, id).await
    }
}

/// The survey if the caller may see it; otherwise not found, as if it did not exist.
pub async fn visible(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<StoredSurvey, ApiError> {
    {
        let stored = state.storage.get_survey(id).await?;
        match stored {
            Some(s)
                if principal.can_see(
                    &s.survey.county_code,
                    &s.survey.technician,
                    state.storage.regions(),
                ) =>
            {
                Ok(s)
            }
            _ => Err(ApiError::not_found("调查", "survey")),
        }
    }
}

/// Parses the filters shared by listing and bulk review, within the caller's scope.
pub(crate) fn filter(
    state: &AppState,
    principal: &Principal,
    region: Option<String>,
    year: Option<i32>,
    technician: Option<String>,
    review_state: Option<ReviewStateParam>,
) -> Result<SurveyFilter, ApiError> {
    let region = region_filter(state, region)?;
    Ok(SurveyFilter {
        scope: principal.survey_scope(state.storage.regions()),
        review_state: review_state.map(ReviewStateParam::state),
        region,
        year,
        technician,
        ..SurveyFilter::default()
    })
}

/// A refusal of one batch item, reported as that item's error (e.g. a county the
/// technician is not assigned to, at `county_code`).
fn denied_issue(err: &ApiError) -> FieldIssue {
    let body = err.body();
    FieldIssue {
        path: body.path.clone().unwrap_or_default(),
        code: err.code().wire_name(),
        severity: "error".to_owned(),
        message_zh: body.message_zh.clone(),
        message_en: body.message_en.clone(),
    }
}

fn conflict(existing_version: i32, id: Uuid) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::IdConflict,
        format!("编号 {id} 的调查已用不同内容保存;如需修改请提交更正(PUT)"),
        format!("survey {id} is already stored with different content; send a correction (PUT) to change it"),
    )
    .at("id")
    .with_current_version(existing_version)
}

/// The version an `If-Match` header names, if one was sent.
pub(crate) fn if_match_version(header: Option<&str>) -> Result<Option<i32>, ApiError> {
    header
        .map(|value| {
            version_from_etag(value).ok_or_else(|| {
                ApiError::bad_request(
                    ErrorCode::InvalidIfMatch,
                    "If-Match 不是有效的 ETag",
                    "If-Match is not a valid ETag",
                )
                .at("If-Match")
            })
        })
        .transpose()
}

/// The id a refused batch item names, if any (read only for those: the valid ones are
/// decoded once, as surveys).
fn id_of(raw: &str) -> Option<Uuid> {
    serde_json::from_str::<serde_json::Value>(raw)
        .ok()?
        .get("id")?
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
}

pub(crate) fn encode_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("seq:{seq}"))
}

/// A page cursor from the query (`next_cursor` of an earlier page; none or empty: the
/// first page), or a 400 naming `cursor`.
pub(crate) fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    match cursor {
        None | Some("") => Ok(None),
        Some(text) => decode_cursor(text).map(Some).ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidCursor,
                "分页游标无效",
                "the cursor is not valid",
            )
            .at("cursor")
        }),
    }
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("seq:")?
        .parse()
        .ok()
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Surveys")]
impl SurveysApi {
    /// Submit a survey
    ///
    /// Idempotent on the survey's `id`: retrying with the same content answers 200 with
    /// the stored survey and writes nothing; the same id with different content is 409.
    /// Invalid surveys are answered 422 listing every problem, and nothing is stored.
    #[oai(path = "/surveys", method = "post", operation_id = "createSurvey")]
    async fn create(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        body: DomainJson<Survey, SurveyDoc>,
    ) -> Result<CreateResponse, ApiError> {
        let principal = auth.principal();
        let survey = Self::as_author(principal, body.0);
        let coefficients = self.state.storage.coefficient_table().await?;
        let new = self
            .check(survey, &coefficients)
            .map_err(ApiError::invalid)?;
        principal
            .may_submit(&new.survey().county_code)
            .map_err(|d| denied(d, "调查", "survey"))?;
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        match self.state.storage.create_survey(&new, &actor).await? {
            CreateOutcome::Created(stored) => {
                let location = format!("/api/v1/surveys/{}", stored.survey.id);
                let tag = etag(stored.version);
                Ok(CreateResponse::Created(Json(stored.into()), tag, location))
            }
            CreateOutcome::Duplicate(stored) => {
                let tag = etag(stored.version);
                Ok(CreateResponse::Duplicate(Json(stored.into()), tag))
            }
            CreateOutcome::Conflict(stored) => Err(conflict(stored.version, stored.survey.id)),
        }
    }

    /// Submit up to 500 surveys (offline sync)
    ///
    /// Each survey is stored or refused on its own: one invalid survey does not stop the
    /// others. The result lists, in order, `created`, `duplicate` (already stored, nothing
    /// written), `conflict` (the id is stored with other content) or `invalid` (with its
    /// errors). Safe to retry as a whole. Each item obeys the rules of a single
    /// submission: a technician is recorded as its author and submits only in their
    /// counties (an item elsewhere is `invalid`, `county_not_assigned` at `county_code`).
    #[oai(path = "/surveys/batch", method = "post", operation_id = "syncSurveys")]
    async fn batch(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        body: DomainJson<BatchEnvelope, SurveyBatchDoc>,
    ) -> Result<BatchResponse, ApiError> {
        let principal = auth.principal();
        if principal.may_correct().is_err() {
            // Only technicians and admins submit; say so once rather than per item.
            return Err(denied(Denied::Role, "调查", "survey"));
        }
        let items = body.0.surveys;
        if items.len() > MAX_BATCH {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::TooManyItems,
                format!("一次最多同步 {MAX_BATCH} 份调查,收到 {} 份", items.len()),
                format!(
                    "a batch may carry at most {MAX_BATCH} surveys; got {}",
                    items.len()
                ),
            )
            .at("surveys"));
        }
        let coefficients = self.state.storage.coefficient_table().await?;
        let mut results: Vec<BatchItemResult> = Vec::with_capacity(items.len());
        let mut to_store = Vec::new();
        let mut store_index = Vec::new();
        for (index, raw) in items.into_iter().enumerate() {
            // Each item is decoded from its own text, exactly as `POST /surveys` decodes
            // a body (a duplicated key is refused here too, not resolved to its last
            // value), under the same rules as a single submission: the caller is the
            // author, the survey must validate, and a technician submits only in their
            // counties.
            let parsed = agriwaste_analytics::survey::parse_survey(raw.get())
                .map(|survey| Self::as_author(principal, survey))
                .map_err(|issue| vec![issue]);
            let checked = parsed.and_then(|survey| self.check(survey, &coefficients));
            if let Ok(survey) = &checked {
                let survey = survey.survey();
                if let Err(d) = principal.may_submit(&survey.county_code) {
                    results.push(BatchItemResult {
                        index: index as u32,
                        id: Some(survey.id),
                        status: BatchItemStatus::Invalid,
                        version: None,
                        errors: vec![denied_issue(&denied(d, "调查", "survey"))],
                        warnings: Vec::new(),
                    });
                    continue;
                }
            }
            match checked {
                Ok(survey) => {
                    store_index.push(results.len());
                    results.push(BatchItemResult {
                        index: index as u32,
                        id: Some(survey.survey().id),
                        status: BatchItemStatus::Created,
                        version: None,
                        errors: Vec::new(),
                        warnings: Vec::new(),
                    });
                    to_store.push(survey);
                }
                Err(issues) => {
                    let (errors, warnings) = validation::split(issues);
                    results.push(BatchItemResult {
                        index: index as u32,
                        id: id_of(raw.get()),
                        status: BatchItemStatus::Invalid,
                        version: None,
                        errors: errors.into_iter().map(FieldIssue::from).collect(),
                        warnings: warnings.into_iter().map(FieldIssue::from).collect(),
                    });
                }
            }
        }
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        let outcomes = self.state.storage.create_surveys(&to_store, &actor).await?;
        for (slot, outcome) in store_index.into_iter().zip(outcomes) {
            let result = &mut results[slot];
            let (status, stored) = match outcome {
                CreateOutcome::Created(s) => (BatchItemStatus::Created, s),
                CreateOutcome::Duplicate(s) => (BatchItemStatus::Duplicate, s),
                CreateOutcome::Conflict(s) => (BatchItemStatus::Conflict, s),
            };
            result.status = status;
            result.version = Some(stored.version);
            if status == BatchItemStatus::Conflict {
                let err = conflict(stored.version, stored.survey.id);
                result.errors.push(FieldIssue {
                    path: "id".to_owned(),
                    code: err.code().wire_name(),
                    severity: "error".to_owned(),
                    message_zh: format!("编号 {} 的调查已用不同内容保存", stored.survey.id),
                    message_en: format!(
                        "survey {} is already stored with different content",
                        stored.survey.id
                    ),
                });
            } else {
                result.warnings = stored.warnings.into_iter().map(FieldIssue::from).collect();
            }
        }
        let mut summary = BatchSummary::default();
        for result in &results {
            match result.status {
                BatchItemStatus::Created => summary.created += 1,
                BatchItemStatus::Duplicate => summary.duplicate += 1,
                BatchItemStatus::Conflict => summary.conflict += 1,
                BatchItemStatus::Invalid => summary.invalid += 1,
            }
        }
        Ok(BatchResponse::Ok(Json(BatchResultBody {
            results,
            summary,
        })))
    }

    /// List surveys
    ///
    /// Filters combine with AND. Pages follow the order in which surveys were first
    /// stored (or its reverse with `order=newest`); pass `next_cursor` back as `cursor`,
    /// with the same filters and order, for the next page. Surveys added while you page
    /// oldest-first appear at the end; none is skipped or repeated.
    #[oai(path = "/surveys", method = "get", operation_id = "listSurveys")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per filter, as the API documents them"
    )]
    async fn list(
        &self,
        auth: Auth,
        /// A region code at any level (county, prefecture or province); includes everything below it.
        region: Query<Option<RegionCode>>,
        /// Survey year.
        year: Query<Option<i32>>,
        /// Technician.
        technician: Query<Option<String>>,
        /// Only surveys stored or corrected at or after this time (RFC 3339).
        modified_since: Query<Option<DateTime<Utc>>>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1–1000 (default 100).
        limit: Query<Option<InRange<u32, 1, { PAGE_MAX as i64 }>>>,
        /// `oldest` first (default) or `newest` first.
        order: Query<Option<ListOrder>>,
        /// Review state.
        review_state: Query<Option<ReviewStateParam>>,
        /// `true`: only surveys with plausibility warnings; `false`: only those without.
        has_warnings: Query<Option<bool>>,
        /// `true`: only surveys corrected after a reviewer returned them (`corrected`,
        /// `resubmitted`); `false`: only the others.
        corrected_after_review: Query<Option<bool>>,
        /// `true`: also answer how many surveys match the filters in all (`total`).
        include_total: Query<Option<bool>>,
    ) -> Result<ListResponse, ApiError> {
        let after = parse_cursor(cursor.0.as_deref())?;
        let limit = limit.0.map_or(PAGE_DEFAULT, |l| l.0);
        if !(1..=PAGE_MAX).contains(&limit) {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidParameter,
                format!("limit 必须在 1 到 {PAGE_MAX} 之间"),
                format!("limit must be between 1 and {PAGE_MAX}"),
            )
            .at("limit"));
        }
        let mut filter = filter(
            &self.state,
            auth.principal(),
            region.0.map(|r| r.0),
            year.0,
            technician.0,
            review_state.0,
        )?;
        filter.modified_since = modified_since.0;
        filter.has_warnings = has_warnings.0;
        filter.corrected_after_review = corrected_after_review.0;
        filter.newest_first = order.0 == Some(ListOrder::Newest);
        let page = self
            .state
            .storage
            .list_surveys(&filter, after, u64::from(limit))
            .await?;
        let total = if include_total.0 == Some(true) {
            Some(self.state.storage.count_matching(&filter).await?)
        } else {
            None
        };
        Ok(ListResponse::Ok(Json(SurveyPageBody {
            items: page.items.into_iter().map(StoredSurveyBody::from).collect(),
            next_cursor: page.next_after.map(encode_cursor),
            total,
        })))
    }

    /// Survey years present
    ///
    /// The years of the surveys the caller may see, oldest first: what a year filter
    /// offers.
    #[oai(
        path = "/surveys/years",
        method = "get",
        operation_id = "listSurveyYears"
    )]
    async fn years(&self, auth: Auth) -> Result<YearsResponse, ApiError> {
        let scope = auth.principal().survey_scope(self.state.storage.regions());
        let years = self.state.storage.survey_years(&scope).await?;
        Ok(YearsResponse::Ok(Json(SurveyYearsBody { years })))
    }

    /// Get a survey
    #[oai(path = "/surveys/:id", method = "get", operation_id = "getSurvey")]
    async fn get(&self, auth: Auth, id: Path<Uuid>) -> Result<GetResponse, ApiError> {
        let stored = self.visible(auth.principal(), id.0).await?;
        let tag = etag(stored.version);
        Ok(GetResponse::Ok(Json(stored.into()), tag))
    }

    /// Correct a survey
    ///
    /// Name the version being replaced, with `If-Match: <ETag>` or `base_version`. If
    /// someone else corrected the survey since, the answer is 409 with the current
    /// version: fetch it, reapply your change, and retry. Every earlier version is kept.
    #[oai(path = "/surveys/:id", method = "put", operation_id = "correctSurvey")]
    async fn correct(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        id: Path<Uuid>,
        /// The ETag of the version being replaced.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: DomainJson<CorrectionRequest, CorrectionDoc>,
    ) -> Result<CorrectResponse, ApiError> {
        let principal = auth.principal();
        principal
            .may_correct()
            .map_err(|d| denied(d, "调查", "survey"))?;
        let current = self.visible(principal, id.0).await?;
        let request = body.0;
        if request.survey.id != id.0 {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdMismatch,
                "请求体中的调查编号与地址中的不一致",
                "the survey id in the body differs from the one in the path",
            )
            .at("survey.id"));
        }
        let header_version = if_match_version(if_match.0.as_deref())?;
        let base_version = match (header_version, request.base_version) {
            (Some(a), Some(b)) if a != b => {
                return Err(ApiError::bad_request(
                    ErrorCode::VersionMismatch,
                    "请求头 If-Match 与请求中的基础版本指向不同的版本",
                    "the If-Match header and the base version in the body name different versions",
                )
                .at("base_version"));
            }
            (Some(v), _) | (None, Some(v)) => v,
            (None, None) => {
                return Err(ApiError::new(
                    StatusCode::PRECONDITION_REQUIRED,
                    ErrorCode::VersionRequired,
                    "更正必须指明所替换的版本(请求头 If-Match 或请求中的基础版本)",
                    "a correction must name the version it replaces (the If-Match header or the base version in the body)",
                )
                .at("base_version"));
            }
        };
        let survey = Self::as_author(principal, request.survey.clone());
        if survey.county_code != current.survey.county_code {
            principal
                .may_submit(&survey.county_code)
                .map_err(|d| denied(d, "调查", "survey"))?;
        }
        let coefficients = self.state.storage.coefficient_table().await?;
        let survey = self.check(survey, &coefficients).map_err(|issues| {
            ApiError::invalid(issues.into_iter().map(|i| i.under("survey")).collect())
        })?;
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        let correction = Correction {
            survey,
            base_version,
            note: request.note,
        };
        match self.state.storage.correct_survey(&correction, &actor).await? {
            CorrectOutcome::Corrected(stored) | CorrectOutcome::Unchanged(stored) => {
                let tag = etag(stored.version);
                Ok(CorrectResponse::Ok(Json(stored.into()), tag))
            }
            CorrectOutcome::Stale(current) => Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::VersionConflict,
                format!("该调查已被更正为第 {} 版;请基于最新版本重新更正", current.version),
                format!(
                    "the survey was corrected meanwhile and is now at version {}; reapply your change to it",
                    current.version
                ),
            )
            .at("base_version")
            .with_current_version(current.version)),
            CorrectOutcome::NotFound => Err(ApiError::not_found("调查", "survey")),
        }
    }

    /// Every version of a survey
    #[oai(
        path = "/surveys/:id/history",
        method = "get",
        operation_id = "surveyHistory"
    )]
    async fn history(&self, auth: Auth, id: Path<Uuid>) -> Result<HistoryResponse, ApiError> {
        self.visible(auth.principal(), id.0).await?;
        let versions = self
            .state
            .storage
            .survey_history(id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("调查", "survey"))?;
        Ok(HistoryResponse::Ok(Json(SurveyHistoryBody {
            id: id.0,
            versions: versions.into_iter().map(SurveyVersionBody::from).collect(),
        })))
    }
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum ListOrder {
    /// In the order surveys were first stored.
    Oldest,
    /// Most recently stored first.
    Newest,
}

/// The batch body as decoded: items stay raw JSON text so that each is decoded, and
/// refused, on its own, by the same decoder as a single survey.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchEnvelope {
    /// The surveys.
    pub surveys: Vec<Box<serde_json::value::RawValue>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::body::decode;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(12345)), Some(12345));
        assert_eq!(decode_cursor("bm9wZQ"), None);
        assert_eq!(decode_cursor("%%%"), None);
    }

    #[test]
    fn batch_items_decode_independently() {
        let envelope: Result<BatchEnvelope, _> = decode(br#"{"surveys":[{"id":1},{}]}"#);
        assert!(envelope.is_ok_and(|e| e.surveys.len() == 2));
    }
}
