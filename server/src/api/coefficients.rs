//! `/api/v1/coefficients`: the coefficients straw and dung estimates are made with (草谷比,
//! 收集系数, dung per yak-day, the film thickness standard). Read by every authenticated
//! caller, set by admins per region (or `national`) and first year of validity. An edit
//! recomputes the stored facts of the surveys it changes before it is acknowledged.

use std::sync::Arc;

use agriwaste_analytics::coefficients::{
    AppliedCoefficient, CoefficientEntry, CoefficientKind, VALID_FROM_RANGE,
};
use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::body::StrictJson;
use super::error::{ApiError, ErrorCode};
use super::middleware::RequestContext;
use super::params::check_region_or_national;
use super::security::{Auth, PersonAuth, denied};
use super::values::{
    AtMost, CoefficientKeys, CoefficientKinds, InRange, Listed, RegionOrNational, Required, Text,
};
use crate::state::AppState;
use crate::storage::coefficients::{CoefficientEdit, CoefficientKey, StoredCoefficient};

/// Endpoint.
pub struct CoefficientsApi {
    pub(crate) state: Arc<AppState>,
}

/// Longest `status` text the store keeps.
const STATUS_MAX_CHARS: usize = 32;
/// Longest `unit` or `source` text accepted.
const TEXT_MAX_CHARS: usize = 500;

/// A coefficient entry.
#[derive(Debug, Object)]
#[oai(rename = "Coefficient")]
pub struct CoefficientBody {
    /// Region code, or `national`.
    pub region_code: String,
    /// First survey year the value applies to; it applies until a later entry of the
    /// same region, kind and key.
    pub valid_from: i32,
    /// `straw_grain_ratio`, `straw_collectable_coefficient`, `yak_dung_per_head_day` or
    /// `film_min_thickness`.
    pub kind: String,
    /// The crop for `straw_grain_ratio` (e.g. `highland_barley`); `all`, `yak` or
    /// `polyethylene` for the other kinds.
    pub key: String,
    /// The value; null when unconfirmed (nothing is estimated with it).
    #[oai(nullable)]
    pub value: Option<f64>,
    /// Unit of the value.
    pub unit: String,
    /// `sourced`, `default`, `unconfirmed` or `set by bureau`.
    pub status: String,
    /// Where the value comes from.
    pub source: String,
    /// Who set it.
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

impl From<StoredCoefficient> for CoefficientBody {
    fn from(c: StoredCoefficient) -> Self {
        CoefficientBody {
            region_code: c.entry.region_code,
            valid_from: c.entry.valid_from,
            kind: c.entry.kind.key().to_owned(),
            key: c.entry.key,
            value: c.entry.value,
            unit: c.entry.unit,
            status: c.entry.status,
            source: c.entry.source,
            updated_by: c.updated_by,
            updated_at: c.updated_at,
        }
    }
}

/// A coefficient as it applies to one region and year.
#[derive(Debug, Object)]
pub struct AppliedCoefficientBody {
    /// Region the entry was set for (`national`, or the region or one enclosing it).
    pub region_code: String,
    /// First year of the entry.
    pub valid_from: i32,
    /// Kind.
    pub kind: String,
    /// Crop or fixed key.
    pub key: String,
    /// Value; null when unconfirmed.
    #[oai(nullable)]
    pub value: Option<f64>,
    /// Unit.
    pub unit: String,
    /// Status.
    pub status: String,
    /// Source.
    pub source: String,
    /// True when the entry belongs to an enclosing region or is national.
    pub inherited: bool,
}

impl From<AppliedCoefficient> for AppliedCoefficientBody {
    fn from(a: AppliedCoefficient) -> Self {
        AppliedCoefficientBody {
            region_code: a.entry.region_code,
            valid_from: a.entry.valid_from,
            kind: a.entry.kind.key().to_owned(),
            key: a.entry.key,
            value: a.entry.value,
            unit: a.entry.unit,
            status: a.entry.status,
            source: a.entry.source,
            inherited: a.inherited,
        }
    }
}

/// The coefficients surveys of one region and year are estimated with.
#[derive(Debug, Object)]
pub struct ApplicableCoefficients {
    /// The region asked about.
    pub region_code: String,
    /// The survey year asked about.
    pub year: i32,
    /// One entry per coefficient.
    pub coefficients: Vec<AppliedCoefficientBody>,
}

/// A coefficient to set.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CoefficientRequest {
    /// The value, or null to mark it unconfirmed (nothing is then estimated with it).
    /// Required, so that forgetting it never silently unconfirms a coefficient.
    pub value: MaybeUndefined<f64>,
    /// Where the value comes from (publication, measurement, document).
    pub source: Text<Required<TEXT_MAX_CHARS>>,
    /// Status; default `set by bureau`, or `unconfirmed` when the value is null.
    pub status: Option<Text<AtMost<STATUS_MAX_CHARS>>>,
    /// Unit; default the kind's unit.
    pub unit: Option<Text<AtMost<TEXT_MAX_CHARS>>>,
}

/// The outcome of an edit.
#[derive(Debug, Object)]
pub struct CoefficientEditBody {
    /// The entry as stored; absent after a deletion.
    #[oai(skip_serializing_if_is_none)]
    pub coefficient: Option<CoefficientBody>,
    /// How many surveys had their indicator facts recomputed with the new table.
    pub surveys_recomputed: u64,
}

impl From<CoefficientEdit> for CoefficientEditBody {
    fn from(edit: CoefficientEdit) -> Self {
        CoefficientEditBody {
            coefficient: edit.stored.map(CoefficientBody::from),
            surveys_recomputed: edit.surveys_recomputed,
        }
    }
}

#[derive(ApiResponse)]
enum ListResponse {
    /// Every coefficient entry.
    #[oai(status = 200)]
    Ok(Json<Vec<CoefficientBody>>),
}

#[derive(ApiResponse)]
enum ApplicableResponse {
    /// The applicable coefficients.
    #[oai(status = 200)]
    Ok(Json<ApplicableCoefficients>),
}

#[derive(ApiResponse)]
enum PutResponse {
    /// Replaced; affected surveys recomputed.
    #[oai(status = 200)]
    Replaced(Json<CoefficientEditBody>),
    /// Created; affected surveys recomputed.
    #[oai(status = 201)]
    Created(Json<CoefficientEditBody>),
}

#[derive(ApiResponse)]
enum DeleteResponse {
    /// Removed; the surveys it applied to were recomputed with what applies now.
    #[oai(status = 200)]
    Removed(Json<CoefficientEditBody>),
}

fn invalid(code: ErrorCode, zh: String, en: String, path: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, zh, en).at(path)
}

fn too_long(path: &str, max: usize) -> ApiError {
    invalid(
        ErrorCode::TooLong,
        format!("{path} 最多 {max} 个字符"),
        format!("{path} is longer than {max} characters"),
        path,
    )
}

impl CoefficientsApi {
    fn check_region(&self, region_code: &str, path: &str) -> Result<(), ApiError> {
        check_region_or_national(&self.state, region_code, path)
    }

    fn parse_kind(kind: &str) -> Result<CoefficientKind, ApiError> {
        CoefficientKind::from_key(kind).ok_or_else(|| {
            let kinds: Vec<&str> = CoefficientKind::ALL.map(CoefficientKind::key).to_vec();
            invalid(
                ErrorCode::InvalidValue,
                format!("系数类别 {kind} 不存在,可用:{}", kinds.join(", ")),
                format!(
                    "kind {kind:?} is not known; use one of: {}",
                    kinds.join(", ")
                ),
                "kind",
            )
        })
    }
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Indicators")]
impl CoefficientsApi {
    /// List coefficients
    ///
    /// Every entry of the coefficient table. For a survey, each coefficient is taken
    /// from the nearest region that has one (county → prefecture → province →
    /// national), and of that region's entries the latest `valid_from` not after the
    /// survey year. `GET /coefficients/applicable` does that lookup.
    #[oai(
        path = "/coefficients",
        method = "get",
        operation_id = "listCoefficients"
    )]
    async fn list(&self, _auth: Auth) -> Result<ListResponse, ApiError> {
        let entries = self.state.storage.list_coefficients().await?;
        Ok(ListResponse::Ok(Json(
            entries.into_iter().map(CoefficientBody::from).collect(),
        )))
    }

    /// Coefficients that apply to a region and year
    #[oai(
        path = "/coefficients/applicable",
        method = "get",
        operation_id = "applicableCoefficients"
    )]
    async fn applicable(
        &self,
        _auth: Auth,
        /// Region code (county, prefecture, province) or `national`.
        region: Query<RegionOrNational>,
        /// Survey year.
        year: Query<i32>,
    ) -> Result<ApplicableResponse, ApiError> {
        let region = Query(region.0.0);
        self.check_region(&region.0, "region")?;
        let table = self.state.storage.coefficient_table().await?;
        let applied = table.applicable(self.state.storage.regions(), &region.0, year.0);
        Ok(ApplicableResponse::Ok(Json(ApplicableCoefficients {
            region_code: region.0,
            year: year.0,
            coefficients: applied.into_iter().map(Into::into).collect(),
        })))
    }

    /// Set a coefficient
    ///
    /// Creates or replaces the entry, then recomputes the indicator facts of every
    /// survey within the region from `valid_from` on, in the same transaction: the
    /// response comes after both are durable, and the indicators' ETag moves.
    #[oai(
        path = "/coefficients/:region_code/:valid_from/:kind/:key",
        method = "put",
        operation_id = "putCoefficient"
    )]
    #[expect(clippy::too_many_arguments, reason = "one per path parameter")]
    async fn put(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        region_code: Path<RegionOrNational>,
        valid_from: Path<
            InRange<i32, { VALID_FROM_RANGE.0 as i64 }, { VALID_FROM_RANGE.1 as i64 }>,
        >,
        kind: Path<Listed<CoefficientKinds>>,
        key: Path<Listed<CoefficientKeys>>,
        body: StrictJson<CoefficientRequest>,
    ) -> Result<PutResponse, ApiError> {
        let principal = auth.principal();
        principal.may_administer().map_err(|d| denied(d, "", ""))?;
        let (region_code, kind, key) = (region_code.0.0, kind.0, key.0.into_string());
        self.check_region(&region_code, "region_code")?;
        let kind = Self::parse_kind(kind.as_str())?;
        let request = body.0;
        let value = match request.value {
            MaybeUndefined::Undefined => {
                return Err(invalid(
                    ErrorCode::Required,
                    "请填写系数值(未确认的系数填 null)".to_owned(),
                    "value is required (null marks the coefficient unconfirmed)".to_owned(),
                    "value",
                ));
            }
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(v) => Some(v),
        };
        let source = request.source.trim().to_owned();
        if source.is_empty() {
            return Err(invalid(
                ErrorCode::Required,
                "请注明系数来源(文献、测定、文件)".to_owned(),
                "source is required (publication, measurement, document)".to_owned(),
                "source",
            ));
        }
        if source.chars().count() > TEXT_MAX_CHARS {
            return Err(too_long("source", TEXT_MAX_CHARS));
        }
        let status = match request.status.map(|s| s.trim().to_owned()) {
            Some(s) if !s.is_empty() => s,
            _ if value.is_none() => "unconfirmed".to_owned(),
            _ => "set by bureau".to_owned(),
        };
        if status.chars().count() > STATUS_MAX_CHARS {
            return Err(too_long("status", STATUS_MAX_CHARS));
        }
        let unit = match request.unit.map(|u| u.trim().to_owned()) {
            Some(u) if !u.is_empty() => u,
            _ => kind.unit().to_owned(),
        };
        if unit.chars().count() > TEXT_MAX_CHARS {
            return Err(too_long("unit", TEXT_MAX_CHARS));
        }
        let entry = CoefficientEntry {
            region_code,
            valid_from: valid_from.0.0,
            kind,
            key,
            value,
            unit,
            status,
            source,
        };
        let issues = entry.check();
        if !issues.is_empty() {
            return Err(ApiError::invalid(issues));
        }
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        let edit = self.state.storage.put_coefficient(entry, &actor).await?;
        Ok(if edit.created {
            PutResponse::Created(Json(edit.into()))
        } else {
            PutResponse::Replaced(Json(edit.into()))
        })
    }

    /// Remove a coefficient
    ///
    /// The surveys it applied to fall back to what applies without it (an earlier
    /// entry, or the enclosing region's) and are recomputed.
    #[oai(
        path = "/coefficients/:region_code/:valid_from/:kind/:key",
        method = "delete",
        operation_id = "deleteCoefficient"
    )]
    async fn delete(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        region_code: Path<RegionOrNational>,
        valid_from: Path<i32>,
        kind: Path<Listed<CoefficientKinds>>,
        key: Path<Listed<CoefficientKeys>>,
    ) -> Result<DeleteResponse, ApiError> {
        let principal = auth.principal();
        principal.may_administer().map_err(|d| denied(d, "", ""))?;
        let kind = Self::parse_kind(kind.0.as_str())?;
        let key = CoefficientKey {
            region_code: region_code.0.0,
            valid_from: valid_from.0,
            kind,
            key: key.0.into_string(),
        };
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        match self.state.storage.delete_coefficient(&key, &actor).await? {
            Some(edit) => Ok(DeleteResponse::Removed(Json(edit.into()))),
            None => Err(ApiError::not_found("系数", "coefficient")),
        }
    }
}
