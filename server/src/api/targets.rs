//! `/api/v1/targets`: the targets indicators are measured against. Read by every
//! authenticated caller, set by admins, one per region (or `national`), indicator and
//! target year.

use std::sync::Arc;

use agriwaste_analytics::indicators::Indicator;
use agriwaste_analytics::targets::{Comparison, MANURE_KEY, Target, TargetOrigin, TargetTable};
use chrono::{DateTime, Datelike, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::ApiTags;
use super::body::StrictJson;
use super::error::{ApiError, ErrorCode};
use super::middleware::RequestContext;
use super::params::check_region_or_national;
use super::security::{Auth, PersonAuth, denied};
use super::values::{
    Fraction, InRange, Listed, RegionOrNational, RequiredText, TargetIndicatorKeys, Text,
};
use crate::ingest::today_in_china;
use crate::state::AppState;
use crate::storage::targets::StoredTarget;

/// Endpoint.
pub struct TargetsApi {
    pub(crate) state: Arc<AppState>,
}

/// Whether the rate should reach or stay under the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ComparisonParam {
    /// Reach at least the target (every target shipped).
    AtLeast,
    /// Stay at most at the target.
    AtMost,
}

/// A target.
#[derive(Debug, Object)]
#[oai(rename = "Target")]
pub struct TargetBody {
    /// Region code, or `national`.
    pub region_code: String,
    /// Indicator key (or `manure_utilization_rate`, the national livestock-manure target
    /// that stands in for yak dung where no regional target applies).
    pub indicator: String,
    /// Target year.
    pub year: i32,
    /// Target rate, 0–1.
    pub target: f64,
    /// Floor or ceiling.
    pub comparison: ComparisonParam,
    /// Where the target comes from (plan, document, task number).
    pub source: String,
    /// Who set it.
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

impl From<StoredTarget> for TargetBody {
    fn from(t: StoredTarget) -> Self {
        TargetBody {
            region_code: t.target.region_code,
            indicator: t.target.indicator,
            year: t.target.year,
            target: t.target.target,
            comparison: match t.target.comparison {
                Comparison::AtLeast => ComparisonParam::AtLeast,
                Comparison::AtMost => ComparisonParam::AtMost,
            },
            source: t.target.source,
            updated_by: t.updated_by,
            updated_at: t.updated_at,
        }
    }
}

/// Where the target that applies to a region comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "TargetOrigin", rename_all = "snake_case")]
pub enum TargetOriginParam {
    /// Set for the region itself (本地区目标).
    Own,
    /// Set for an enclosing region, named in `origin_zh` (继承自上级地区).
    Enclosing,
    /// The national target of the same indicator (全国目标代用).
    National,
    /// The national target of another indicator standing in, `proxy_indicator`: the
    /// livestock-manure target for yak dung (以全国畜禽粪污综合利用率目标代用).
    NationalProxy,
}

impl From<TargetOrigin> for TargetOriginParam {
    fn from(origin: TargetOrigin) -> Self {
        match origin {
            TargetOrigin::Own => TargetOriginParam::Own,
            TargetOrigin::Enclosing => TargetOriginParam::Enclosing,
            TargetOrigin::National => TargetOriginParam::National,
            TargetOrigin::NationalProxy => TargetOriginParam::NationalProxy,
        }
    }
}

/// The target that applies to one indicator of a region, and where it comes from.
#[derive(Debug, Object)]
pub struct ApplicableTargetBody {
    /// Indicator key.
    pub indicator: String,
    /// Indicator name, Chinese.
    pub indicator_name_zh: String,
    /// Indicator name, English.
    pub indicator_name_en: String,
    /// The target that applies; null when none does (无目标).
    #[oai(nullable)]
    pub target: Option<TargetBody>,
    /// Where it comes from; null when no target applies.
    #[oai(nullable)]
    pub origin: Option<TargetOriginParam>,
    /// The indicator whose target stands in (`manure_utilization_rate` for yak dung).
    #[oai(nullable)]
    pub proxy_indicator: Option<String>,
    /// Where the target comes from, in words to show (e.g. 继承自上级地区 阿里地区), or
    /// that there is none (无目标…).
    pub origin_zh: String,
    /// The same in English.
    pub origin_en: String,
}

/// The targets that apply to a region in a year, one per indicator.
#[derive(Debug, Object)]
pub struct ApplicableTargets {
    /// The region asked about (or `national`).
    pub region_code: String,
    /// The data year the targets apply to.
    pub year: i32,
    /// One entry per indicator a target is set for (the pesticide-packaging kg variant
    /// shares the count variant's target and has no entry of its own).
    pub targets: Vec<ApplicableTargetBody>,
}

/// A target to set.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TargetRequest {
    /// Target rate, 0–1 (e.g. 0.9 for ≥ 90 %).
    pub target: Fraction,
    /// Floor (default) or ceiling.
    #[oai(nullable)]
    pub comparison: Option<ComparisonParam>,
    /// Where the target comes from.
    pub source: Text<RequiredText>,
}

#[derive(ApiResponse)]
enum ListResponse {
    /// Every target.
    #[oai(status = 200)]
    Ok(Json<Vec<TargetBody>>),
}

#[derive(ApiResponse)]
enum ApplicableResponse {
    /// The applicable targets.
    #[oai(status = 200)]
    Ok(Json<ApplicableTargets>),
}

#[derive(ApiResponse)]
enum PutResponse {
    /// Replaced.
    #[oai(status = 200)]
    Replaced(Json<TargetBody>),
    /// Created.
    #[oai(status = 201)]
    Created(Json<TargetBody>),
}

#[derive(ApiResponse)]
enum DeleteResponse {
    /// Removed.
    #[oai(status = 204)]
    Removed,
}

/// The years a target may be set for, and asked about.
const TARGET_YEARS: (i32, i32) = (2000, 2100);

fn invalid(code: ErrorCode, zh: String, en: String, path: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, zh, en).at(path)
}

impl TargetsApi {
    fn check_key(&self, region_code: &str, indicator: &str, year: i32) -> Result<(), ApiError> {
        check_region_or_national(&self.state, region_code, "region_code")?;
        if Indicator::from_key(indicator).is_none() && indicator != MANURE_KEY {
            return Err(invalid(
                ErrorCode::UnknownIndicator,
                format!("指标 {indicator} 不存在"),
                format!("indicator {indicator:?} is not known"),
                "indicator",
            ));
        }
        if !(TARGET_YEARS.0..=TARGET_YEARS.1).contains(&year) {
            return Err(invalid(
                ErrorCode::OutOfRange,
                format!("目标年份 {year} 不在 2000–2100 之间"),
                format!("year {year} is outside 2000–2100"),
                "year",
            ));
        }
        Ok(())
    }
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Indicators")]
impl TargetsApi {
    /// List targets
    ///
    /// A county inherits its prefecture's target, then its province's, then the national
    /// one; among a region's targets for an indicator, the nearest target year at or
    /// after the data year applies.
    #[oai(path = "/targets", method = "get", operation_id = "listTargets")]
    async fn list(&self, _auth: Auth) -> Result<ListResponse, ApiError> {
        let targets = self.state.storage.list_targets().await?;
        Ok(ListResponse::Ok(Json(
            targets.into_iter().map(TargetBody::from).collect(),
        )))
    }

    /// Targets that apply to a region
    ///
    /// For each indicator, the target a region's figures of `year` are measured
    /// against, and where it comes from, in words: the region's own, an enclosing
    /// region's (named), the national one, or for yak dung the national livestock-manure
    /// target standing in. An indicator no target applies to says so (无目标).
    #[oai(
        path = "/targets/applicable",
        method = "get",
        operation_id = "applicableTargets"
    )]
    async fn applicable(
        &self,
        _auth: Auth,
        /// Region code (county, prefecture, province) or `national`.
        region: Query<RegionOrNational>,
        /// Data year; default this year (China Standard Time).
        year: Query<
            Option<InRange<i32, { TARGET_YEARS.0 as i64 }, { TARGET_YEARS.1 as i64 }>>,
        >,
    ) -> Result<ApplicableResponse, ApiError> {
        let region = Query(region.0.0);
        check_region_or_national(&self.state, &region.0, "region")?;
        let year = year
            .0
            .map(|y| y.0)
            .unwrap_or_else(|| today_in_china().year());
        if !(TARGET_YEARS.0..=TARGET_YEARS.1).contains(&year) {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidParameter,
                format!("年份 {year} 不在 2000–2100 之间"),
                format!("year {year} is outside 2000–2100"),
            )
            .at("year"));
        }
        let stored = self.state.storage.list_targets().await?;
        let table = TargetTable {
            targets: stored.iter().map(|t| t.target.clone()).collect(),
        };
        let regions = self.state.storage.regions();
        let targets = Indicator::ALL
            .into_iter()
            .filter(|i| *i != Indicator::PesticidePackagingRecoveryKg)
            .map(|indicator| {
                let found = table.applicable(regions, &region.0, indicator, year);
                let (origin_zh, origin_en) = found.as_ref().map_or_else(
                    || {
                        (
                            "无目标:本地区、上级地区和全国均未设定".to_owned(),
                            "no target: none is set for this region, above it or nationally"
                                .to_owned(),
                        )
                    },
                    |a| a.origin_words(regions),
                );
                let row = found.as_ref().and_then(|a| {
                    stored.iter().find(|s| {
                        s.target.region_code == a.target.region_code
                            && s.target.indicator == a.target.indicator
                            && s.target.year == a.target.year
                    })
                });
                ApplicableTargetBody {
                    indicator: indicator.key().to_owned(),
                    indicator_name_zh: indicator.name_zh().to_owned(),
                    indicator_name_en: indicator.name_en().to_owned(),
                    target: row.cloned().map(TargetBody::from),
                    origin: found.as_ref().map(|a| a.origin().into()),
                    proxy_indicator: found.and_then(|a| a.proxy),
                    origin_zh,
                    origin_en,
                }
            })
            .collect();
        Ok(ApplicableResponse::Ok(Json(ApplicableTargets {
            region_code: region.0,
            year,
            targets,
        })))
    }

    /// Set a target
    #[oai(
        path = "/targets/:region_code/:indicator/:year",
        method = "put",
        operation_id = "putTarget"
    )]
    async fn put(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        region_code: Path<RegionOrNational>,
        indicator: Path<Listed<TargetIndicatorKeys>>,
        year: Path<InRange<i32, { TARGET_YEARS.0 as i64 }, { TARGET_YEARS.1 as i64 }>>,
        body: StrictJson<TargetRequest>,
    ) -> Result<PutResponse, ApiError> {
        let principal = auth.principal();
        principal.may_administer().map_err(|d| denied(d, "", ""))?;
        let (region_code, indicator) = (region_code.0.0, indicator.0.into_string());
        let year = Path(year.0.0);
        self.check_key(&region_code, &indicator, year.0)?;
        let request = body.0;
        if !(request.target.0.is_finite() && (0.0..=1.0).contains(&request.target.0)) {
            return Err(invalid(
                ErrorCode::OutOfRange,
                "目标值须在 0% 到 100% 之间(接口中以 0–1 表示,如 0.9 即 90%)".to_owned(),
                "the target must lie between 0 % and 100 % (0–1 in the API: 0.9 for 90 %)"
                    .to_owned(),
                "target",
            ));
        }
        if request.source.trim().is_empty() {
            return Err(invalid(
                ErrorCode::Required,
                "请注明目标来源(文件、任务编号)".to_owned(),
                "source is required (document, task number)".to_owned(),
                "source",
            ));
        }
        let target = Target {
            region_code,
            indicator,
            year: year.0,
            target: request.target.0,
            comparison: match request.comparison {
                Some(ComparisonParam::AtMost) => Comparison::AtMost,
                _ => Comparison::AtLeast,
            },
            source: request.source.trim().to_owned(),
        };
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        let (stored, created) = self.state.storage.put_target(target, &actor).await?;
        Ok(if created {
            PutResponse::Created(Json(stored.into()))
        } else {
            PutResponse::Replaced(Json(stored.into()))
        })
    }

    /// Remove a target
    #[oai(
        path = "/targets/:region_code/:indicator/:year",
        method = "delete",
        operation_id = "deleteTarget"
    )]
    async fn delete(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        region_code: Path<RegionOrNational>,
        indicator: Path<Listed<TargetIndicatorKeys>>,
        year: Path<i32>,
    ) -> Result<DeleteResponse, ApiError> {
        let principal = auth.principal();
        principal.may_administer().map_err(|d| denied(d, "", ""))?;
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        if self
            .state
            .storage
            .delete_target(&region_code.0.0, indicator.0.as_str(), year.0, &actor)
            .await?
        {
            Ok(DeleteResponse::Removed)
        } else {
            Err(ApiError::not_found("目标", "target"))
        }
    }
}
