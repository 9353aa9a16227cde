//! The parameters of an indicator request, declared once, and the one pipeline every
//! indicator figure goes through: the database's grouped sums
//! (`Storage::indicator_sums`), finished into indicators by the analytics crate
//! (`GroupSums::into_indicators`), reported against the targets (`GroupReport::new`).
//! `/indicators`, the indicator exports, the charts and the annual report all call it,
//! so they cannot disagree. Also the region checks every API shares, so that an
//! unknown region is refused in one way.
//!
//! poem-openapi documents one parameter per handler argument, so the eight parameters
//! of [`IndicatorParams`] are one extractor that parses them with poem-openapi's own
//! query extractor (the same parsing and the same errors as eight arguments), and
//! [`WithParams`] adds them to the document of every operation of the API it wraps.
//! Any other group of parameters several operations share does the same through
//! [`SharedParams`] (the survey exports' filters).

use std::collections::HashMap;

use agriwaste_analytics::RegionLevel;
use agriwaste_analytics::indicators::{GroupIndicators, Indicator};
use agriwaste_analytics::report::GroupReport;
use agriwaste_analytics::review::Counting;
use agriwaste_analytics::targets::NATIONAL;
use poem::endpoint::BoxEndpoint;
use poem::http::{Method, StatusCode};
use poem::{Request, RequestBody};
use poem_openapi::param::Query;
use poem_openapi::registry::{MetaApi, MetaOperationParam, MetaParamIn, MetaSchema, Registry};
use poem_openapi::types::{ParseFromParameter, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, Enum, ExtractParamOptions, OpenApi};

use super::document::operations_of;
use super::error::{ApiError, ErrorCode};
use super::security::Auth;
use super::values::{IndicatorKeys, Listed, RegionCode};
use crate::auth::Principal;
use crate::state::AppState;
use crate::storage::aggregates::FilmDetail;
use crate::storage::facts::IndicatorQuery;

/// Region level to group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum LevelParam {
    /// 县.
    County,
    /// 地区/市/州.
    Prefecture,
    /// 省/自治区.
    Province,
    /// Every region together.
    All,
}

impl LevelParam {
    /// The region level groups are keyed by; `None` for one group of every region.
    pub fn region_level(self) -> Option<RegionLevel> {
        match self {
            LevelParam::County => Some(RegionLevel::County),
            LevelParam::Prefecture => Some(RegionLevel::Prefecture),
            LevelParam::Province => Some(RegionLevel::Province),
            LevelParam::All => None,
        }
    }

    /// The level for figures shown per region (a chart's bars, a report's rows): `all`
    /// has no regions, so it reads as the widest level.
    pub fn per_region(self) -> RegionLevel {
        self.region_level().unwrap_or(RegionLevel::Province)
    }

    /// The wire key.
    pub fn key(self) -> &'static str {
        match self {
            LevelParam::County => "county",
            LevelParam::Prefecture => "prefecture",
            LevelParam::Province => "province",
            LevelParam::All => "all",
        }
    }
}

/// Which review states count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ReviewFilter {
    /// Every state but `rejected` (the default).
    Counted,
    /// `approved` only.
    Approved,
}

impl ReviewFilter {
    /// The surveys this filter counts.
    pub fn counting(self) -> Counting {
        match self {
            ReviewFilter::Counted => Counting::Counted,
            ReviewFilter::Approved => Counting::ApprovedOnly,
        }
    }

    /// The wire key.
    pub fn key(self) -> &'static str {
        match self {
            ReviewFilter::Counted => "counted",
            ReviewFilter::Approved => "approved",
        }
    }
}

/// The query parameters of an indicator request (`/indicators` and the indicator
/// exports), in the order the document lists them.
pub struct IndicatorParams {
    /// Grouping level.
    pub level: Option<LevelParam>,
    /// Region filter.
    pub region: Option<String>,
    /// One year.
    pub year: Option<i32>,
    /// First year.
    pub from: Option<i32>,
    /// Last year.
    pub to: Option<i32>,
    /// Split by year.
    pub by_year: Option<bool>,
    /// One indicator.
    pub indicator: Option<String>,
    /// Review states counted.
    pub review: Option<ReviewFilter>,
}

/// One optional query parameter as the document describes it: what poem-openapi writes
/// for a `Query<Option<T>>` argument with that doc comment.
pub(crate) fn documented<T: ParseFromParameter>(
    name: &str,
    description: &str,
) -> MetaOperationParam {
    MetaOperationParam {
        name: name.to_owned(),
        schema: <Option<T> as Type>::schema_ref().merge(MetaSchema::ANY),
        in_type: MetaParamIn::Query,
        description: Some(description.to_owned()),
        required: false,
        deprecated: false,
        explode: true,
        style: None,
    }
}

/// One optional query parameter, parsed by poem-openapi's query extractor: a malformed
/// value is the same `ParseParamError` (400 `invalid_parameter` naming it) as for an
/// argument.
pub(crate) async fn query<T: ParseFromParameter>(
    req: &Request,
    body: &mut RequestBody,
    name: &'static str,
) -> poem::Result<Option<T>> {
    let options = ExtractParamOptions {
        name,
        ignore_case: false,
        default_value: None,
        example_value: None,
        explode: true,
        style: None,
    };
    let value = <Query<Option<T>> as ApiExtractor>::from_request(req, body, options).await?;
    Ok(value.0)
}

/// Query parameters that several operations share, parsed by one extractor: what the
/// document lists for them, first on every operation of an API wrapped in [`WithParams`].
pub trait SharedParams {
    /// The parameters in the document, in order.
    fn documented() -> Vec<MetaOperationParam>;
}

impl SharedParams for IndicatorParams {
    fn documented() -> Vec<MetaOperationParam> {
        vec![
            documented::<LevelParam>(
                "level",
                "Group by `county` (default), `prefecture`, `province`, or `all` regions together.",
            ),
            documented::<RegionCode>(
                "region",
                "Only this region (any level) and what lies below it.",
            ),
            documented::<i32>("year", "Only this year."),
            documented::<i32>("from", "From this year (inclusive)."),
            documented::<i32>("to", "To this year (inclusive)."),
            documented::<bool>("by_year", "Split groups by year (default true)."),
            documented::<Listed<IndicatorKeys>>(
                "indicator",
                "Only this indicator (by key); all by default.",
            ),
            documented::<ReviewFilter>(
                "review",
                "`counted` (every state but rejected, default) or `approved`.",
            ),
        ]
    }
}

impl<'a> ApiExtractor<'a> for IndicatorParams {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::PoemExtractor];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Option<LevelParam> as Type>::register(registry);
        <Option<ReviewFilter> as Type>::register(registry);
        <Option<Listed<IndicatorKeys>> as Type>::register(registry);
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(IndicatorParams {
            level: query(req, body, "level").await?,
            region: query(req, body, "region").await?,
            year: query(req, body, "year").await?,
            from: query(req, body, "from").await?,
            to: query(req, body, "to").await?,
            by_year: query(req, body, "by_year").await?,
            indicator: query(req, body, "indicator").await?,
            review: query(req, body, "review").await?,
        })
    }
}

/// An API each of whose operations takes the same [`SharedParams`] as its first
/// parameter: which ones.
pub trait LeadingParams {
    /// The parameters every operation of the API starts with.
    type Params: SharedParams;
}

/// An API whose operations all start with its [`LeadingParams`]: the document lists
/// them first on every operation.
pub struct WithParams<A>(pub A);

impl<A: OpenApi + LeadingParams> OpenApi for WithParams<A> {
    fn meta() -> Vec<MetaApi> {
        let mut apis = A::meta();
        for operation in operations_of(&mut apis) {
            operation
                .params
                .splice(0..0, <A::Params as SharedParams>::documented());
        }
        apis
    }

    fn register(registry: &mut Registry) {
        A::register(registry);
    }

    fn add_routes(self, route_table: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {
        self.0.add_routes(route_table);
    }
}

/// An indicator request, checked and limited to the caller's scope.
pub(crate) struct IndicatorRequest {
    /// What the database sums.
    pub query: IndicatorQuery,
    /// Only this indicator, if one was asked for.
    pub indicator: Option<Indicator>,
    /// The grouping level.
    pub level: LevelParam,
    /// The review filter.
    pub review: ReviewFilter,
}

impl IndicatorParams {
    /// Checks the parameters (unknown region or indicator, reversed years: 400 naming
    /// the parameter) and adds the caller's scope.
    pub(crate) fn parse(self, state: &AppState, auth: &Auth) -> Result<IndicatorRequest, ApiError> {
        let level = self.level.unwrap_or(LevelParam::County);
        let region = region_filter(state, self.region)?;
        let indicator = match self.indicator {
            None => None,
            Some(key) => Some(Indicator::from_key(&key).ok_or_else(|| {
                let keys: Vec<&str> = Indicator::ALL.iter().map(|i| i.key()).collect();
                ApiError::bad_request(
                    ErrorCode::UnknownIndicator,
                    format!("指标 {key} 不存在,可选:{}", keys.join(", ")),
                    format!("indicator {key:?} is not known; one of {}", keys.join(", ")),
                )
                .at("indicator")
            })?),
        };
        let (from_year, to_year) = match self.year {
            Some(y) => (Some(y), Some(y)),
            None => (self.from, self.to),
        };
        check_year_range(from_year, to_year)?;
        let review = self.review.unwrap_or(ReviewFilter::Counted);
        Ok(IndicatorRequest {
            query: IndicatorQuery {
                level: level.region_level(),
                by_year: self.by_year.unwrap_or(true),
                from_year,
                to_year,
                ..scoped_query(state, auth.principal(), region, review)
            },
            indicator,
            level,
            review,
        })
    }
}

impl IndicatorRequest {
    /// The groups, limited to the one indicator if one was asked for.
    pub(crate) async fn reports(&self, state: &AppState) -> Result<Vec<GroupReport>, ApiError> {
        let mut reports = group_reports(state, &self.query).await?;
        if let Some(only) = self.indicator {
            for report in &mut reports {
                report.group.indicators.retain(|i, _| *i == only);
                report.progress.retain(|i, _| *i == only);
            }
        }
        Ok(reports)
    }
}

/// Every survey the caller may see in `region` (all of them without one) that `review`
/// counts, as one group of every region and year: callers set the grouping and years.
pub(crate) fn scoped_query(
    state: &AppState,
    principal: &Principal,
    region: Option<(String, RegionLevel)>,
    review: ReviewFilter,
) -> IndicatorQuery {
    IndicatorQuery {
        level: None,
        by_year: false,
        region,
        scope: principal.survey_scope(state.storage.regions()),
        from_year: None,
        to_year: None,
        counting: review.counting(),
    }
}

/// The groups of `query`: the database's sums, finished by the analytics crate.
pub(crate) async fn group_indicators(
    state: &AppState,
    query: &IndicatorQuery,
) -> Result<Vec<GroupIndicators>, ApiError> {
    let regions = state.storage.regions();
    Ok(state
        .storage
        .indicator_sums(query, FilmDetail::Finished)
        .await?
        .into_iter()
        .map(|sums| sums.into_indicators(regions))
        .collect())
}

/// The groups of `query` with their progress against the targets.
pub(crate) async fn group_reports(
    state: &AppState,
    query: &IndicatorQuery,
) -> Result<Vec<GroupReport>, ApiError> {
    let groups = group_indicators(state, query).await?;
    let targets = state.storage.target_table().await?;
    let regions = state.storage.regions();
    Ok(groups
        .into_iter()
        .map(|group| GroupReport::new(group, regions, &targets))
        .collect())
}

/// The `region` parameter as a filter: the region's code and level, or a 400 naming it.
pub(crate) fn region_filter(
    state: &AppState,
    region: Option<impl Into<String>>,
) -> Result<Option<(String, RegionLevel)>, ApiError> {
    let Some(code) = region.map(Into::into) else {
        return Ok(None);
    };
    state
        .storage
        .regions()
        .get(&code)
        .map(|r| Some((r.code.clone(), r.level)))
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::UnknownRegion,
                format!("区划代码 {code} 不存在"),
                format!("region {code:?} is not known"),
            )
            .at("region")
        })
}

/// A 422 naming `path` unless `code` is a known region or `national` (targets and
/// coefficients are set for a region or for the whole country).
pub(crate) fn check_region_or_national(
    state: &AppState,
    code: &str,
    path: &str,
) -> Result<(), ApiError> {
    if code != NATIONAL && state.storage.regions().get(code).is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnknownRegion,
            format!("区划代码 {code} 不存在"),
            format!("region {code:?} is not known (or use national)"),
        )
        .at(path));
    }
    Ok(())
}

/// A 400 naming `from` when the year range is reversed.
pub(crate) fn check_year_range(from: Option<i32>, to: Option<i32>) -> Result<(), ApiError> {
    match (from, to) {
        (Some(f), Some(t)) if f > t => Err(ApiError::bad_request(
            ErrorCode::InvalidRange,
            format!("起始年份 from({f})晚于结束年份 to({t})"),
            format!("from ({f}) is after to ({t})"),
        )
        .at("from")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::exports::{ExportsApi, IndicatorExportsApi};
    use crate::api::indicators::IndicatorsApi;

    /// Every wrapped operation lists its shared parameters first, once each: a handler
    /// declaring one of them again as its own argument would list it twice.
    fn check<A: OpenApi + LeadingParams>() {
        let expected: Vec<String> = <A::Params as SharedParams>::documented()
            .into_iter()
            .map(|p| p.name)
            .collect();
        let operations: Vec<_> = <WithParams<A> as OpenApi>::meta()
            .into_iter()
            .flat_map(|api| api.paths)
            .flat_map(|path| path.operations)
            .collect();
        assert!(!operations.is_empty());
        for operation in operations {
            let names: Vec<&String> = operation.params.iter().map(|p| &p.name).collect();
            assert_eq!(
                names[..expected.len()].to_vec(),
                expected.iter().collect::<Vec<_>>()
            );
            for name in &names {
                assert_eq!(
                    names.iter().filter(|n| *n == name).count(),
                    1,
                    "{name} twice in {:?}",
                    operation.operation_id
                );
            }
        }
    }

    #[test]
    fn wrapped_operations_document_the_parameters_once() {
        check::<IndicatorsApi>();
        check::<IndicatorExportsApi>();
        check::<ExportsApi>();
    }
}
