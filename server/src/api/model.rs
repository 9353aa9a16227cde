//! API objects: what the OpenAPI document describes and the responses carry.
//!
//! The survey itself is decoded and encoded with serde by the domain crate (one wire
//! format for phone, browser and server). The `*Doc` types below describe that same
//! format for the OpenAPI document; a test in this module round-trips a full survey
//! through them so the document cannot drift from what the server accepts.

use std::borrow::Cow;
use std::marker::PhantomData;

use agriwaste_analytics::Survey;
use agriwaste_analytics::review::ReviewState;
use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use poem_openapi::{Enum, Object};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::error::FieldIssue;
use crate::storage::attachments::Attachment;
use crate::storage::{StoredSurvey, SurveyVersion};

/// A domain value carried through poem-openapi with serde, documented by `Doc`'s schema.
pub struct Serde<T, Doc>(pub T, PhantomData<Doc>);

impl<T, Doc> Serde<T, Doc> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Serde(value, PhantomData)
    }
}

impl<T: std::fmt::Debug, Doc> std::fmt::Debug for Serde<T, Doc> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Send + Sync, Doc: Type> Type for Serde<T, Doc> {
    const IS_REQUIRED: bool = true;
    type RawValueType = T;
    type RawElementValueType = T;

    fn name() -> Cow<'static, str> {
        Doc::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        Doc::schema_ref()
    }

    fn register(registry: &mut Registry) {
        Doc::register(registry);
    }

    fn as_raw_value(&self) -> Option<&T> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a T> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl<T: Serialize + Send + Sync, Doc: Type> ToJSON for Serde<T, Doc> {
    fn to_json(&self) -> Option<serde_json::Value> {
        serde_json::to_value(&self.0).ok()
    }
}

impl<T: DeserializeOwned + Send + Sync, Doc: Type> ParseFromJSON for Serde<T, Doc> {
    fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
        let value = value.unwrap_or_default();
        serde_json::from_value(value)
            .map(Serde::new)
            .map_err(ParseError::custom)
    }
}

/// A survey in the wire format.
pub type SurveyJson = Serde<Survey, SurveyDoc>;

/// One farm-level survey: one household visited in one survey round. Every section is
/// optional but at least one must be present. Unknown fields are rejected.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Survey", deny_unknown_fields)]
pub struct SurveyDoc {
    /// Client-generated UUID; retrying with the same id never creates a second survey.
    pub id: Uuid,
    /// County-level division code (统计用区划代码), e.g. `542523` (噶尔县); see `/api/v1/regions`.
    pub county_code: String,
    /// Township (乡镇), free text.
    pub township: Option<String>,
    /// Village (村), free text.
    pub village: Option<String>,
    /// Household name or code.
    pub household: String,
    /// Date of the visit (China Standard Time); not in the future.
    pub surveyed_on: NaiveDate,
    /// Technician who filled the survey.
    pub technician: String,
    /// GPS fix, when the phone had one.
    pub location: Option<GeoPointDoc>,
    /// Sampling weight (households represented); default 1.
    pub weight: Option<f64>,
    /// Mulch film section.
    pub film: Option<FilmDoc>,
    /// Pesticide packaging section.
    pub pesticide_packaging: Option<PesticidePackagingDoc>,
    /// Straw section, one entry per crop.
    pub straw: Option<Vec<StrawCropDoc>>,
    /// Yak dung section.
    pub yak_dung: Option<YakDungDoc>,
}

/// A GPS fix (WGS 84).
#[derive(Debug, Clone, Object)]
#[oai(rename = "GeoPoint", deny_unknown_fields)]
pub struct GeoPointDoc {
    /// Latitude, degrees north, −90 to 90.
    pub lat: f64,
    /// Longitude, degrees east, −180 to 180.
    pub lon: f64,
    /// Horizontal accuracy, metres.
    pub accuracy_m: Option<f64>,
}

/// Mulch film used and recovered in the year (kg, mu, mm).
#[derive(Debug, Clone, Object)]
#[oai(rename = "FilmSection", deny_unknown_fields)]
pub struct FilmDoc {
    /// All film used, kg.
    pub used_kg: f64,
    /// Area covered, mu (亩).
    pub area_mu: Option<f64>,
    /// Thickness, mm (GB 13735-2017 minimum 0.010 mm).
    pub thickness_mm: Option<f64>,
    /// Degradable film used, kg; part of used_kg.
    pub degradable_kg: Option<f64>,
    /// Film recovered, kg; at most used_kg.
    pub recovered_kg: f64,
    /// Where most of the used film went.
    pub recovery_channel: Option<FilmRecoveryChannelDoc>,
}

/// Where used film went.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "FilmRecoveryChannel", rename_all = "snake_case")]
pub enum FilmRecoveryChannelDoc {
    /// Recovery point (回收网点).
    RecoveryPoint,
    /// 垃圾超市 exchange.
    WasteSupermarket,
    /// Reused (一膜多茬).
    Reuse,
    /// Burned.
    Burned,
    /// Buried.
    Buried,
    /// Left in the field.
    LeftInField,
}

/// Pesticide packaging used and returned in the year.
#[derive(Debug, Clone, Object)]
#[oai(rename = "PesticidePackagingSection", deny_unknown_fields)]
pub struct PesticidePackagingDoc {
    /// Packages used.
    pub used_count: i64,
    /// Weight of packages used, kg.
    pub used_kg: Option<f64>,
    /// Packages returned; more than used is accepted and flagged.
    pub returned_count: i64,
    /// Weight of packages returned, kg.
    pub returned_kg: Option<f64>,
    /// Where they were returned.
    pub return_channel: Option<PackagingReturnChannelDoc>,
}

/// Where pesticide packages were returned.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "PackagingReturnChannel", rename_all = "snake_case")]
pub enum PackagingReturnChannelDoc {
    /// To the seller (销售者).
    Seller,
    /// To a recovery point.
    RecoveryPoint,
    /// At a 垃圾超市.
    WasteSupermarket,
    /// Improper disposal.
    ImproperDisposal,
}

/// One crop's straw output and uses, kg.
#[derive(Debug, Clone, Object)]
#[oai(rename = "StrawCrop", deny_unknown_fields)]
pub struct StrawCropDoc {
    /// The crop.
    pub crop: CropDoc,
    /// Sown area, mu.
    pub area_mu: Option<f64>,
    /// Grain or product yield, kg (used to estimate straw when straw_kg is absent).
    pub yield_kg: Option<f64>,
    /// Collectable straw, kg, when weighed. Give this or straw_count, not both.
    pub straw_kg: Option<f64>,
    /// The straw counted instead of weighed: bundles or cart-loads × the weight of one.
    /// Needs no 草谷比 (what technicians measure for 青稞).
    pub straw_count: Option<StrawCountDoc>,
    /// 肥料化 (fertilizer, incl. returned to field), kg.
    pub fertilizer_kg: Option<f64>,
    /// 饲料化 (feed), kg.
    pub feed_kg: Option<f64>,
    /// 基料化 (substrate), kg.
    pub substrate_kg: Option<f64>,
    /// 燃料化 (fuel), kg.
    pub fuel_kg: Option<f64>,
    /// 原料化 (raw material), kg.
    pub raw_material_kg: Option<f64>,
    /// Burned in the open, kg.
    pub burned_kg: Option<f64>,
    /// Discarded, kg.
    pub discarded_kg: Option<f64>,
}

/// Straw counted in the field: `count` bundles or cart-loads of `kg_each` kg each
/// (counted, neither weighed in full nor estimated).
#[derive(Debug, Clone, Object)]
#[oai(rename = "StrawCount", deny_unknown_fields)]
pub struct StrawCountDoc {
    /// What was counted.
    pub unit: StrawCountUnitDoc,
    /// How many, in whole or half units (a half-filled cart is 0.5); at least 0.
    pub count: f64,
    /// The weight of one bundle or cart-load, kg, weighed with a hand scale (the mean of
    /// a few); above 0. Outside 2–60 kg for a bundle or 100–1500 kg for a cart-load the
    /// survey is accepted with a warning.
    pub kg_each: f64,
}

/// What straw is counted in.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "StrawCountUnit", rename_all = "snake_case")]
pub enum StrawCountUnitDoc {
    /// A bundle (捆).
    Bundle,
    /// A cart-load (车).
    Cartload,
}

/// Crops with a straw-to-grain ratio (other: straw must be measured).
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "Crop", rename_all = "snake_case")]
pub enum CropDoc {
    /// 青稞.
    HighlandBarley,
    /// 春小麦.
    SpringWheat,
    /// 油菜.
    Rapeseed,
    /// 马铃薯.
    Potato,
    /// 玉米.
    Corn,
    /// 豌豆/蚕豆.
    PeaBroadBean,
    /// Other.
    Other,
}

/// Yak dung produced and used in the year, kg.
#[derive(Debug, Clone, Object)]
#[oai(rename = "YakDungSection", deny_unknown_fields)]
pub struct YakDungDoc {
    /// Yaks kept.
    pub yak_head: Option<i64>,
    /// Dung produced, kg, when measured (else estimated from yak_head).
    pub produced_kg: Option<f64>,
    /// Used as fuel, kg.
    pub fuel_kg: Option<f64>,
    /// Used as fertilizer, kg.
    pub fertilizer_kg: Option<f64>,
    /// Other standard-meeting uses, kg.
    pub other_kg: Option<f64>,
    /// Discarded, kg.
    pub discarded_kg: Option<f64>,
}

/// A stored survey with its version and provenance.
#[derive(Debug, Object)]
#[oai(rename = "StoredSurvey")]
pub struct StoredSurveyBody {
    /// The survey as stored.
    pub survey: SurveyJson,
    /// 1 for the original, +1 per correction.
    pub version: i32,
    /// The ETag of this version, for `If-Match` on a correction.
    pub etag: String,
    /// Plausibility warnings stored with this version.
    pub warnings: Vec<FieldIssue>,
    /// When the survey was first stored.
    pub created_at: DateTime<Utc>,
    /// Who submitted it.
    pub created_by: String,
    /// When the current version was stored.
    pub updated_at: DateTime<Utc>,
    /// Who stored the current version.
    pub updated_by: String,
    /// Where the survey stands in review.
    pub review: ReviewBody,
}

/// A review state, as a query parameter or in a review request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename = "ReviewState", rename_all = "snake_case")]
pub enum ReviewStateParam {
    /// Submitted, not yet reviewed.
    Received,
    /// Corrected since; to be reviewed again.
    Edited,
    /// Checked and accepted.
    Approved,
    /// Sent back to the technician with a comment.
    HasIssues,
    /// Not counted.
    Rejected,
    /// Corrected by the technician after it was returned with `has_issues`; to be
    /// reviewed again.
    Corrected,
    /// Corrected by the technician after it was rejected; to be reviewed again, and not
    /// counted until then.
    Resubmitted,
}

impl ReviewStateParam {
    /// The domain state.
    pub fn state(self) -> ReviewState {
        match self {
            ReviewStateParam::Received => ReviewState::Received,
            ReviewStateParam::Edited => ReviewState::Edited,
            ReviewStateParam::Approved => ReviewState::Approved,
            ReviewStateParam::HasIssues => ReviewState::HasIssues,
            ReviewStateParam::Rejected => ReviewState::Rejected,
            ReviewStateParam::Corrected => ReviewState::Corrected,
            ReviewStateParam::Resubmitted => ReviewState::Resubmitted,
        }
    }

    /// The API form of a domain state.
    pub fn from_state(state: ReviewState) -> Self {
        match state {
            ReviewState::Received => ReviewStateParam::Received,
            ReviewState::Edited => ReviewStateParam::Edited,
            ReviewState::Approved => ReviewStateParam::Approved,
            ReviewState::HasIssues => ReviewStateParam::HasIssues,
            ReviewState::Rejected => ReviewStateParam::Rejected,
            ReviewState::Corrected => ReviewStateParam::Corrected,
            ReviewState::Resubmitted => ReviewStateParam::Resubmitted,
        }
    }
}

/// A survey's review state.
#[derive(Debug, Object)]
#[oai(rename = "Review")]
pub struct ReviewBody {
    /// `received`, `edited`, `approved`, `has_issues`, `rejected`, `corrected` or
    /// `resubmitted`.
    pub state: ReviewStateParam,
    /// Whether the technician corrected the survey after a reviewer returned it
    /// (`corrected` or `resubmitted`): compare the version `reviewed_version` with the
    /// current one to see what changed since the decision.
    pub corrected_after_review: bool,
    /// Whether the survey counts in the indicators by default (a rejected survey does
    /// not, nor does its correction until a reviewer has decided on it).
    pub counts: bool,
    /// The reviewer's comment to the technician.
    #[oai(skip_serializing_if_is_none)]
    pub comment: Option<String>,
    /// Who set the state.
    #[oai(skip_serializing_if_is_none)]
    pub reviewed_by: Option<String>,
    /// When.
    #[oai(skip_serializing_if_is_none)]
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The version the decision was made on.
    #[oai(skip_serializing_if_is_none)]
    pub reviewed_version: Option<i32>,
    /// The reviewer's comments on single fields, by the field's path.
    #[oai(default, skip_serializing_if_is_empty)]
    pub field_comments: Vec<FieldCommentBody>,
}

/// A reviewer's comment on one field of a survey.
#[derive(Debug, Clone, Object)]
#[oai(rename = "FieldComment", deny_unknown_fields)]
pub struct FieldCommentBody {
    /// The field's path in the survey, as issues name it (`film.used_kg`).
    pub path: String,
    /// What the technician should check or fix there.
    pub comment: String,
}

/// The ETag of a survey version.
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// Reads a version from an `If-Match` value (`"v3"`, `W/"v3"` or `3`).
pub fn version_from_etag(value: &str) -> Option<i32> {
    let value = value.trim().trim_start_matches("W/").trim_matches('"');
    value.strip_prefix('v').unwrap_or(value).parse().ok()
}

impl From<StoredSurvey> for StoredSurveyBody {
    fn from(stored: StoredSurvey) -> Self {
        StoredSurveyBody {
            etag: etag(stored.version),
            survey: Serde::new(stored.survey),
            version: stored.version,
            warnings: stored.warnings.into_iter().map(FieldIssue::from).collect(),
            created_at: stored.created_at,
            created_by: stored.created_by,
            updated_at: stored.updated_at,
            updated_by: stored.updated_by,
            review: ReviewBody {
                state: ReviewStateParam::from_state(stored.review.state),
                corrected_after_review: stored.review.state.is_corrected_after_review(),
                counts: stored.review.state.counts_by_default(),
                comment: stored.review.comment,
                reviewed_by: stored.review.reviewed_by,
                reviewed_at: stored.review.reviewed_at,
                reviewed_version: stored.review.reviewed_version,
                field_comments: stored
                    .review
                    .field_comments
                    .into_iter()
                    .map(|c| FieldCommentBody {
                        path: c.path,
                        comment: c.comment,
                    })
                    .collect(),
            },
        }
    }
}

/// One page of surveys.
#[derive(Debug, Object)]
#[oai(rename = "SurveyPage")]
pub struct SurveyPageBody {
    /// Surveys in the order they were first stored.
    pub items: Vec<StoredSurveyBody>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
    /// How many surveys match the filters in all (with `include_total=true`).
    #[oai(skip_serializing_if_is_none)]
    pub total: Option<u64>,
}

/// The survey years present within the caller's scope.
#[derive(Debug, Object)]
#[oai(rename = "SurveyYears")]
pub struct SurveyYearsBody {
    /// Oldest first.
    pub years: Vec<i32>,
}

/// A batch of surveys for offline sync.
#[derive(Debug, Clone, Object)]
#[oai(rename = "SurveyBatch", deny_unknown_fields)]
pub struct SurveyBatchDoc {
    /// Up to 500 surveys; each is stored or refused on its own.
    pub surveys: Vec<SurveyDoc>,
}

/// What happened to one survey of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "BatchItemStatus", rename_all = "snake_case")]
pub enum BatchItemStatus {
    /// Stored as a new survey.
    Created,
    /// Already stored with the same content; nothing written.
    Duplicate,
    /// The id is stored with other content; nothing written.
    Conflict,
    /// Rejected; see `errors`.
    Invalid,
}

/// The result for one survey of a batch.
#[derive(Debug, Object)]
#[oai(rename = "BatchItemResult")]
pub struct BatchItemResult {
    /// Position in the submitted array, from 0.
    pub index: u32,
    /// The survey's id, when it could be read.
    #[oai(skip_serializing_if_is_none)]
    pub id: Option<Uuid>,
    /// What happened.
    pub status: BatchItemStatus,
    /// The stored version (created, duplicate, conflict).
    #[oai(skip_serializing_if_is_none)]
    pub version: Option<i32>,
    /// Why it was rejected (invalid) or why it conflicts.
    pub errors: Vec<FieldIssue>,
    /// Plausibility warnings stored with it.
    pub warnings: Vec<FieldIssue>,
}

/// Counts per status.
#[derive(Debug, Default, Object)]
#[oai(rename = "BatchSummary")]
pub struct BatchSummary {
    /// New surveys stored.
    pub created: u32,
    /// Retries of surveys already stored.
    pub duplicate: u32,
    /// Ids stored with other content.
    pub conflict: u32,
    /// Rejected surveys.
    pub invalid: u32,
}

/// The outcome of a batch sync.
#[derive(Debug, Object)]
#[oai(rename = "BatchResult")]
pub struct BatchResultBody {
    /// One result per submitted survey, in order.
    pub results: Vec<BatchItemResult>,
    /// Counts per status.
    pub summary: BatchSummary,
}

/// A correction of a stored survey.
#[derive(Debug, Clone, Object)]
#[oai(rename = "SurveyCorrection", deny_unknown_fields)]
pub struct CorrectionDoc {
    /// The version being replaced; or send `If-Match` with its ETag.
    pub base_version: Option<i32>,
    /// Why the survey is corrected, kept in its history.
    pub note: Option<String>,
    /// The corrected survey; its id must be the one in the path.
    pub survey: SurveyDoc,
}

/// The body of a correction, as decoded.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    /// The version being replaced.
    #[serde(default)]
    pub base_version: Option<i32>,
    /// Why.
    #[serde(default)]
    pub note: Option<String>,
    /// The corrected survey.
    pub survey: Survey,
}

/// One version in a survey's history.
#[derive(Debug, Object)]
#[oai(rename = "SurveyVersion")]
pub struct SurveyVersionBody {
    /// Version number.
    pub version: i32,
    /// `created` or `corrected`.
    pub change_kind: String,
    /// Who stored this version.
    pub changed_by: String,
    /// When.
    pub changed_at: DateTime<Utc>,
    /// Why it was corrected, if given.
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
    /// The survey as it was in this version.
    pub survey: SurveyJson,
    /// Warnings of this version.
    pub warnings: Vec<FieldIssue>,
}

impl From<SurveyVersion> for SurveyVersionBody {
    fn from(v: SurveyVersion) -> Self {
        SurveyVersionBody {
            version: v.version,
            change_kind: v.change_kind,
            changed_by: v.changed_by,
            changed_at: v.changed_at,
            note: v.note,
            survey: Serde::new(v.survey),
            warnings: v.warnings.into_iter().map(FieldIssue::from).collect(),
        }
    }
}

/// Every version of a survey, oldest first.
#[derive(Debug, Object)]
#[oai(rename = "SurveyHistory")]
pub struct SurveyHistoryBody {
    /// The survey.
    pub id: Uuid,
    /// Its versions, oldest first; the last is the current one.
    pub versions: Vec<SurveyVersionBody>,
}

/// A photo attached to a survey.
#[derive(Debug, Object)]
#[oai(rename = "Attachment")]
pub struct AttachmentBody {
    /// SHA-256 of the bytes; the attachment's id.
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `image/webp`, from the content.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// The file name the phone gave.
    #[oai(skip_serializing_if_is_none)]
    pub file_name: Option<String>,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: DateTime<Utc>,
    /// Where to download it.
    pub url: String,
}

impl From<Attachment> for AttachmentBody {
    fn from(a: Attachment) -> Self {
        AttachmentBody {
            url: format!("/api/v1/surveys/{}/attachments/{}", a.survey_id, a.sha256),
            sha256: a.sha256,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            file_name: a.file_name,
            uploaded_by: a.uploaded_by,
            uploaded_at: a.uploaded_at,
        }
    }
}

/// The answer of an operation that has nothing to send back (sign-out, revocations).
#[derive(poem_openapi::ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

/// An administrative region.
#[derive(Debug, Object)]
#[oai(rename = "Region")]
pub struct RegionBody {
    /// Division code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Enclosing region; absent for a province.
    #[oai(skip_serializing_if_is_none)]
    pub parent_code: Option<String>,
    /// `province`, `prefecture` or `county`.
    pub level: String,
    /// Codes of the regions directly below.
    pub children: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OpenAPI types must accept exactly what serde produces, field for field.
    #[test]
    fn document_types_round_trip_a_full_survey() {
        let json = include_str!("../../../analytics-wasm/data/example-survey.json");
        let survey: Survey = serde_json::from_str(json).expect("the example survey decodes");
        let value = serde_json::to_value(&survey).expect("a survey serialises");
        let doc = SurveyDoc::parse_from_json(Some(value.clone()))
            .map_err(|e| e.into_message())
            .expect("the document type accepts the example survey");
        let back = doc.to_json().expect("the document type serialises");
        let reparsed: Survey =
            serde_json::from_value(back).expect("the document type's JSON decodes as a survey");
        assert_eq!(reparsed, survey);
        for survey in agriwaste_analytics::synthetic::SyntheticSpec::default().surveys(200) {
            let value = serde_json::to_value(&survey).expect("a survey serialises");
            assert!(
                SurveyDoc::parse_from_json(Some(value)).is_ok(),
                "{survey:?}"
            );
        }
    }

    #[test]
    fn etags_round_trip() {
        assert_eq!(version_from_etag(&etag(7)), Some(7));
        assert_eq!(version_from_etag("W/\"v3\""), Some(3));
        assert_eq!(version_from_etag("4"), Some(4));
        assert_eq!(version_from_etag("\"x\""), None);
    }
}
