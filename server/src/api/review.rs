//! `/api/v1/surveys/{id}/review` and `/api/v1/surveys/bulk-review`: reviewers' decisions
//! on surveys, one at a time or every survey matching a filter. The rules of a decision
//! (which states a reviewer sets, when a comment is needed) are the analytics crate's
//! `ReviewState`; the version check happens inside storage's transaction.

use std::sync::Arc;

use agriwaste_analytics::review::{FieldComment, FieldCommentError, ReviewState};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::body::StrictJson;
use super::error::{ApiError, ErrorCode};
use super::middleware::RequestContext;
use super::model::{FieldCommentBody, ReviewStateParam, StoredSurveyBody};
use super::security::{PersonAuth, denied};
use super::surveys::{filter, if_match_version, visible};
use super::values::{DecisionKeys, Listed, Region, Text};
use crate::state::AppState;
use crate::storage::{Decision, ReviewOutcome};

/// Most surveys a bulk review may name by id (a page of the listing at its largest).
pub(crate) const BULK_IDS_MAX: usize = 1000;

/// A review decision on one survey.
#[derive(Debug, poem_openapi::Object)]
#[oai(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `approved`, `has_issues` or `rejected`.
    pub state: Listed<DecisionKeys>,
    /// What the technician should fix, or why the survey is rejected (required with
    /// `has_issues` and `rejected`).
    #[oai(nullable)]
    pub comment: Option<String>,
    /// Comments on single fields (at most 100), shown to the technician at those fields;
    /// one with an empty comment is dropped. They replace the previous decision's.
    #[oai(nullable)]
    pub field_comments: Option<Vec<FieldCommentBody>>,
}

/// Which surveys a bulk review covers; filters combine with AND and stay within the
/// reviewer's scope.
#[derive(Debug, poem_openapi::Object)]
#[oai(deny_unknown_fields)]
pub struct BulkReviewFilter {
    /// A region code at any level.
    #[oai(nullable)]
    pub region: Option<Text<Region>>,
    /// Survey year.
    #[oai(nullable)]
    pub year: Option<i32>,
    /// Technician.
    #[oai(nullable)]
    pub technician: Option<String>,
    /// Current review state (e.g. `received` to approve everything not yet reviewed).
    #[oai(nullable)]
    pub review_state: Option<ReviewStateParam>,
    /// Only these surveys (at most 1000), e.g. the rows a reviewer selected; ids outside
    /// the reviewer's scope match nothing.
    #[oai(nullable)]
    pub ids: Option<Vec<Uuid>>,
}

/// A review decision on every survey matching a filter.
#[derive(Debug, poem_openapi::Object)]
#[oai(deny_unknown_fields)]
pub struct BulkReviewRequest {
    /// Which surveys.
    pub filter: BulkReviewFilter,
    /// `approved`, `has_issues` or `rejected`.
    pub state: Listed<DecisionKeys>,
    /// Comment to the technicians (required with `has_issues` and `rejected`).
    #[oai(nullable)]
    pub comment: Option<String>,
}

/// How many surveys a bulk review changed.
#[derive(Debug, poem_openapi::Object)]
pub struct BulkReviewResult {
    /// Surveys whose state changed (those already in the state are left alone).
    pub updated: u64,
}

#[derive(ApiResponse)]
enum ReviewResponse {
    /// The survey with its new review state.
    #[oai(status = 200)]
    Ok(Json<StoredSurveyBody>),
}

#[derive(ApiResponse)]
enum BulkReviewResponse {
    /// The number of surveys changed.
    #[oai(status = 200)]
    Ok(Json<BulkReviewResult>),
}

/// Checks a reviewer's decision: a state a reviewer may set, with a comment when the
/// technician must act, and field comments the crate accepts.
fn check_decision(
    state: &Listed<DecisionKeys>,
    comment: &Option<String>,
    field_comments: Option<Vec<FieldCommentBody>>,
) -> Result<Decision, ApiError> {
    let Some(state) = ReviewState::from_key(state.as_str()).filter(|s| s.is_decision()) else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::NotADecision,
            "审核结果只能是通过、有问题或退回",
            "a review decision is approved, has issues or rejected",
        )
        .at("state"));
    };
    let comment = comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if state.needs_comment() && comment.is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::CommentRequired,
            "标记“有问题”或退回时必须填写说明(需要修改什么或退回原因)",
            "marking issues or rejecting needs a comment: what to fix, or why the survey is rejected",
        )
        .at("comment"));
    }
    let field_comments = field_comments.unwrap_or_default();
    if field_comments.len() > FieldComment::MAX_PER_DECISION {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::TooManyItems,
            format!(
                "一次审核最多对 {} 个字段写说明",
                FieldComment::MAX_PER_DECISION
            ),
            format!(
                "a decision may comment on at most {} fields",
                FieldComment::MAX_PER_DECISION
            ),
        )
        .at("field_comments"));
    }
    let mut parsed = Vec::with_capacity(field_comments.len());
    for (index, c) in field_comments.iter().enumerate() {
        match FieldComment::parse(&c.path, &c.comment) {
            None => {}
            Some(Ok(comment)) => parsed.push(comment),
            Some(Err(FieldCommentError::Path)) => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::InvalidValue,
                    "字段说明缺少字段或字段名过长",
                    "a field comment names no field, or a field name too long",
                )
                .at(format!("field_comments[{index}].path")));
            }
            Some(Err(FieldCommentError::TooLong)) => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::TooLong,
                    format!("字段说明最多 {} 个字", FieldComment::MAX_COMMENT_CHARS),
                    format!(
                        "a field comment may have at most {} characters",
                        FieldComment::MAX_COMMENT_CHARS
                    ),
                )
                .at(format!("field_comments[{index}].comment")));
            }
        }
    }
    Ok(Decision {
        state,
        comment,
        field_comments: parsed,
    })
}

/// Review endpoints.
pub struct ReviewApi {
    pub(crate) state: Arc<AppState>,
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Review")]
impl ReviewApi {
    /// Review a survey
    ///
    /// Reviewers and admins, within their region: `approved`, `has_issues` (with a
    /// comment to the technician) or `rejected` (with the reason), optionally with
    /// comments on single fields. A later correction by the technician moves the survey
    /// to `edited`, or to `corrected` (after `has_issues`) or `resubmitted` (after
    /// `rejected`; it does not count until it is reviewed again). Send the ETag of the version you
    /// reviewed as `If-Match`: if the survey was corrected since, the answer is 409 with
    /// the current version and nothing changes.
    #[oai(
        path = "/surveys/:id/review",
        method = "post",
        operation_id = "reviewSurvey"
    )]
    async fn review(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        id: Path<Uuid>,
        /// The ETag of the version reviewed.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: StrictJson<ReviewRequest>,
    ) -> Result<ReviewResponse, ApiError> {
        let principal = auth.principal();
        principal
            .may_review()
            .map_err(|d| denied(d, "调查", "survey"))?;
        visible(&self.state, principal, id.0).await?;
        let request = body.0;
        let decision = check_decision(&request.state, &request.comment, request.field_comments)?;
        let base_version = if_match_version(if_match.0.as_deref())?;
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        match self
            .state
            .storage
            .review_survey(id.0, &decision, base_version, &actor)
            .await?
        {
            ReviewOutcome::Reviewed(stored) => Ok(ReviewResponse::Ok(Json(stored.into()))),
            ReviewOutcome::Stale(current) => Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::VersionConflict,
                format!(
                    "该调查已被更正为第 {} 版,审核未保存;请查看最新版本后重新审核",
                    current.version
                ),
                format!(
                    "the survey was corrected meanwhile and is now at version {}; the review was not stored, review the current version",
                    current.version
                ),
            )
            .at("If-Match")
            .with_current_version(current.version)),
            ReviewOutcome::NotFound => Err(ApiError::not_found("调查", "survey")),
        }
    }

    /// Review every survey matching a filter
    ///
    /// Sets the state of all surveys matching the filter within the reviewer's region in
    /// one request (for example: approve every `received` survey of a county and year,
    /// or the rows a reviewer selected, by `ids`). Each change is recorded in the audit
    /// log.
    #[oai(
        path = "/surveys/bulk-review",
        method = "post",
        operation_id = "bulkReviewSurveys"
    )]
    async fn bulk_review(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        body: StrictJson<BulkReviewRequest>,
    ) -> Result<BulkReviewResponse, ApiError> {
        let principal = auth.principal();
        principal
            .may_review()
            .map_err(|d| denied(d, "调查", "survey"))?;
        let request = body.0;
        let decision = check_decision(&request.state, &request.comment, None)?;
        let f = request.filter;
        if f.ids.as_ref().is_some_and(|ids| ids.len() > BULK_IDS_MAX) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::TooManyItems,
                format!("一次最多按编号审核 {BULK_IDS_MAX} 份调查"),
                format!("a bulk review may name at most {BULK_IDS_MAX} surveys by id"),
            )
            .at("filter.ids"));
        }
        let mut filter = filter(
            &self.state,
            principal,
            f.region.map(Text::into_string),
            f.year,
            f.technician,
            f.review_state,
        )?;
        filter.ids = f.ids;
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        let updated = self
            .state
            .storage
            .bulk_review(&filter, &decision, &actor)
            .await?;
        Ok(BulkReviewResponse::Ok(Json(BulkReviewResult { updated })))
    }
}
