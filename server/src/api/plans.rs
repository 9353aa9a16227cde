//! `/api/v1/plans`: each region's own plan and its phases (Ali's 2024–2030 plan for
//! 阿里地区 and its counties, Qinghai's guidance for the 14th five-year period). A region
//! follows the plan of the nearest enclosing region that has one, and a region under
//! none has no phases. Read by every authenticated caller.

use std::sync::Arc;

use agriwaste_analytics::plans::{Phase, Plan, PlanTable};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::error::ApiError;
use super::params::check_region_or_national;
use super::security::Auth;
use super::values::RegionOrNational;
use crate::state::AppState;

/// Endpoint.
pub struct PlansApi {
    pub(crate) state: Arc<AppState>,
}

/// One phase of a plan, years inclusive.
#[derive(Debug, Object)]
#[oai(rename = "PlanPhase")]
pub struct PhaseBody {
    /// Stable key (`baseline`, `near`, `mid`, `long`, `fyp14`).
    pub key: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// First year of the phase.
    pub first_year: i32,
    /// Last year of the phase.
    pub last_year: i32,
}

/// A region's plan.
#[derive(Debug, Object)]
#[oai(rename = "Plan")]
pub struct PlanBody {
    /// The region the plan belongs to.
    pub region_code: String,
    /// That region's Chinese name.
    pub region_name_zh: String,
    /// That region's English name.
    pub region_name_en: String,
    /// Chinese name of the plan.
    pub name_zh: String,
    /// English name of the plan.
    pub name_en: String,
    /// Where the phases come from (document and section).
    pub source: String,
    /// First year the plan covers.
    pub first_year: i32,
    /// Last year the plan covers.
    pub last_year: i32,
    /// The phases, earliest first.
    pub phases: Vec<PhaseBody>,
    /// True when the plan belongs to a region enclosing the one asked about.
    pub inherited: bool,
}

/// Plans.
#[derive(Debug, Object)]
#[oai(rename = "Plans")]
pub struct PlansBody {
    /// The region asked about; null when every plan is listed.
    #[oai(nullable)]
    pub region_code: Option<String>,
    /// With `region`: the plan it follows (none when no plan covers it); without: every
    /// plan.
    pub plans: Vec<PlanBody>,
}

#[derive(ApiResponse)]
enum ListResponse {
    /// The plans.
    #[oai(status = 200)]
    Ok(Json<PlansBody>),
}

impl PlansApi {
    fn body(&self, plan: &Plan, asked: Option<&str>) -> PlanBody {
        let region = self.state.storage.regions().get(&plan.region_code);
        let (first_year, last_year) = plan.years().unwrap_or_default();
        PlanBody {
            region_code: plan.region_code.clone(),
            region_name_zh: region.map_or(plan.region_code.clone(), |r| r.name_zh.clone()),
            region_name_en: region.map_or(plan.region_code.clone(), |r| r.name_en.clone()),
            name_zh: plan.name_zh.clone(),
            name_en: plan.name_en.clone(),
            source: plan.source.clone(),
            first_year,
            last_year,
            phases: plan.phases.iter().map(phase_body).collect(),
            inherited: asked.is_some_and(|code| code != plan.region_code),
        }
    }
}

fn phase_body(p: &Phase) -> PhaseBody {
    PhaseBody {
        key: p.key.clone(),
        name_zh: p.name_zh.clone(),
        name_en: p.name_en.clone(),
        first_year: p.first_year,
        last_year: p.last_year,
    }
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Indicators")]
impl PlansApi {
    /// List plans
    ///
    /// Without `region`, every region's plan. With it, the plan that region follows (its
    /// own, else its nearest enclosing region's) or none: a region under no plan has no
    /// phases, and never borrows another region's.
    #[oai(path = "/plans", method = "get", operation_id = "listPlans")]
    async fn list(
        &self,
        _auth: Auth,
        /// Region code (county, prefecture, province) or `national`.
        region: Query<Option<RegionOrNational>>,
    ) -> Result<ListResponse, ApiError> {
        let table = PlanTable::builtin();
        let region = region.0.map(|r| r.0);
        let plans = match region.as_deref() {
            Some(code) => {
                check_region_or_national(&self.state, code, "region")?;
                table
                    .for_region(self.state.storage.regions(), code)
                    .map(|plan| self.body(plan, Some(code)))
                    .into_iter()
                    .collect()
            }
            None => table.plans.iter().map(|p| self.body(p, None)).collect(),
        };
        Ok(ListResponse::Ok(Json(PlansBody {
            region_code: region,
            plans,
        })))
    }
}
