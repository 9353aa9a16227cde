//! `/api/v1/charts/{kind}.svg|png`: the analytics crate's charts, drawn on the server for
//! bureaus to send up the chain and for API consumers, from the same grouped figures as
//! `/api/v1/indicators`.

use std::sync::Arc;

use agriwaste_analytics::charts::{self, Chart, ChartOptions, Lang};
use agriwaste_analytics::indicators::Indicator;
use agriwaste_analytics::plans::PlanTable;
use agriwaste_analytics::regions::RegionLevel;
use chrono::Datelike;
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::param::{Path, Query};
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::{ApiResponse, Enum, OpenApi};

use super::ApiTags;
use super::error::{ApiError, ErrorCode};
use super::params::{LevelParam, ReviewFilter, group_indicators, region_filter, scoped_query};
use super::security::Auth;
use super::values::{ChartFiles, IndicatorKeys, Listed, RegionCode};
use crate::state::AppState;
use crate::storage::facts::IndicatorQuery;

/// Endpoint.
pub struct ChartsApi {
    pub(crate) state: Arc<AppState>,
}

/// Language of titles and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum LangParam {
    /// Chinese (default).
    Zh,
    /// English.
    En,
}

/// A drawn chart.
pub struct ChartImage {
    bytes: Vec<u8>,
    content_type: &'static str,
}

impl IntoResponse for ChartImage {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(self.content_type)
            .header("Cache-Control", "private, no-cache")
            .body(self.bytes)
    }
}

impl ApiResponse for ChartImage {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The chart: SVG (`.svg`) or PNG (`.png`).",
                status: Some(200),
                status_range: None,
                content: ["image/svg+xml", "image/png"]
                    .into_iter()
                    .map(|content_type| MetaMediaType {
                        content_type,
                        schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format(
                            "string", "binary",
                        ))),
                    })
                    .collect(),
                headers: vec![],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

fn bad(code: ErrorCode, zh: String, en: String, path: &str) -> ApiError {
    ApiError::bad_request(code, zh, en).at(path)
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Indicators")]
impl ChartsApi {
    /// A chart, as SVG or PNG
    ///
    /// `file` is `{kind}.svg` or `{kind}.png`, kind one of `indicator_by_region` (one
    /// indicator by region with each region's target: side by side for a few regions,
    /// sorted horizontal bars for many, as tall as they need), `trend` (one region's
    /// indicator over the years on the phases of its own plan, with the target; years of
    /// fewer than 30 households and the year in progress are drawn apart, never joined;
    /// needs `region`), `straw_uses` (straw by the five uses per region) and `map` (a
    /// schematic map, 示意图, not to scale: one tile per county placed by the rough
    /// position of its seat, coloured by the indicator, never household points). The
    /// chart data behind each kind is the JSON that `renderChart` takes in the browser,
    /// documented in the analytics crate (`charts::IndicatorByRegionData`, `TrendData`,
    /// `StrawUsesData`, `MapData` with its `tiles`: `code`, `name`, `short`, `area`,
    /// `seat` `{lat, lon}`, `value` `{rate, ci_low, ci_high, n}`). The filters are those
    /// of `/api/v1/indicators`; `lang` picks Chinese or English. `height` is a minimum:
    /// charts of many regions are taller, and the SVG's `height` says how tall.
    #[oai(path = "/charts/:file", method = "get", operation_id = "chart")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per filter, as the API documents them"
    )]
    async fn chart(
        &self,
        auth: Auth,
        /// `indicator_by_region.svg`, `trend.png`, ...
        file: Path<Listed<ChartFiles>>,
        /// Indicator key (default `film_recovery_rate`; ignored by `straw_uses`).
        indicator: Query<Option<Listed<IndicatorKeys>>>,
        /// Bars by `county` (default), `prefecture` or `province`.
        level: Query<Option<LevelParam>>,
        /// Only this region (any level); the trend's region.
        region: Query<Option<RegionCode>>,
        /// The year shown (all years pooled when absent; the trend shows every year).
        year: Query<Option<i32>>,
        /// `counted` (default) or `approved`.
        review: Query<Option<ReviewFilter>>,
        /// `zh` (default) or `en`.
        lang: Query<Option<LangParam>>,
        /// Width in pixels (320–4000, default 800).
        width: Query<Option<u32>>,
        /// Height in pixels (240–4000, default 480); a minimum for charts that grow with
        /// their regions.
        height: Query<Option<u32>>,
    ) -> Result<ChartImage, ApiError> {
        let storage = &self.state.storage;
        let regions = storage.regions();
        let file = file.0.into_string();
        let (kind, format) = file.rsplit_once('.').unwrap_or((file.as_str(), ""));
        if !matches!(format, "svg" | "png") {
            return Err(ApiError::not_found("图表", "chart"));
        }
        let indicator = match indicator.0.map(Listed::into_string) {
            None => Indicator::FilmRecovery,
            Some(key) => Indicator::from_key(&key).ok_or_else(|| {
                bad(
                    ErrorCode::UnknownIndicator,
                    format!("指标 {key} 不存在"),
                    format!("indicator {key:?} is not known"),
                    "indicator",
                )
            })?,
        };
        let region = region_filter(&self.state, region.0)?;
        let level = level.0.unwrap_or(LevelParam::County).per_region();
        let mut query = IndicatorQuery {
            level: Some(level),
            by_year: year.0.is_some(),
            from_year: year.0,
            to_year: year.0,
            ..scoped_query(
                &self.state,
                auth.principal(),
                region.clone(),
                review.0.unwrap_or(ReviewFilter::Counted),
            )
        };
        let targets = storage.target_table().await?;
        let chart = match kind {
            "indicator_by_region" => {
                // All years pooled are compared with the targets of the latest year.
                let target_year = match year.0 {
                    Some(y) => y,
                    None => storage.latest_year(&query).await?.unwrap_or_default(),
                };
                Chart::IndicatorByRegion(charts::indicator_by_region_data(
                    &group_indicators(&self.state, &query).await?,
                    indicator,
                    year.0,
                    target_year,
                    &targets,
                    regions,
                ))
            }
            "straw_uses" => Chart::StrawUses(charts::straw_uses_data(
                &group_indicators(&self.state, &query).await?,
                year.0,
            )),
            "trend" => {
                let (code, level) = region.ok_or_else(|| {
                    bad(
                        ErrorCode::RegionRequired,
                        "趋势图需要指定区域 region".to_owned(),
                        "a trend chart needs region".to_owned(),
                        "region",
                    )
                })?;
                query.level = Some(level);
                query.by_year = true;
                query.from_year = None;
                query.to_year = None;
                Chart::Trend(charts::trend_data(
                    &group_indicators(&self.state, &query).await?,
                    indicator,
                    &code,
                    &targets,
                    regions,
                    &PlanTable::builtin(),
                    Some(crate::ingest::today_in_china().year()),
                ))
            }
            "map" => {
                // Always by county: the map has one tile per county.
                query.level = Some(RegionLevel::County);
                Chart::Map(charts::map_data(
                    &group_indicators(&self.state, &query).await?,
                    indicator,
                    year.0,
                    regions,
                ))
            }
            _ => return Err(ApiError::not_found("图表", "chart")),
        };
        let options = ChartOptions {
            lang: if lang.0 == Some(LangParam::En) {
                Lang::En
            } else {
                Lang::Zh
            },
            width: width.0.unwrap_or(800),
            height: height.0.unwrap_or(480),
            title: None,
        };
        let svg = charts::render_svg(&chart, &options)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("drawing {kind}: {}", e.0)))?;
        if format == "svg" {
            return Ok(ChartImage {
                bytes: svg.into_bytes(),
                content_type: "image/svg+xml",
            });
        }
        let font = self.state.chart_font.as_deref().ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::PngUnavailable,
                "服务器未安装中文字体,暂不能生成 PNG;请使用 SVG",
                "no Chinese font is installed on the server, so PNG is unavailable; use SVG",
            )
        })?;
        let png = charts::svg_to_png(&svg, font, 2.0)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("rasterizing {kind}: {}", e.0)))?;
        Ok(ChartImage {
            bytes: png,
            content_type: "image/png",
        })
    }
}
