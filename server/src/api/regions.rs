//! `/api/v1/regions`: the administrative hierarchy surveys are filed under.

use std::sync::Arc;

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use super::ApiTags;
use super::error::ApiError;
use super::model::RegionBody;
use crate::state::AppState;

/// Region endpoints.
pub struct RegionsApi {
    pub(crate) state: Arc<AppState>,
}

#[derive(ApiResponse)]
enum ListResponse {
    /// Every region, provinces first, each followed by what lies below it.
    #[oai(status = 200)]
    Ok(Json<Vec<RegionBody>>),
}

#[derive(ApiResponse)]
enum GetResponse {
    /// The region.
    #[oai(status = 200)]
    Ok(Json<RegionBody>),
}

impl RegionsApi {
    fn body(&self, code: &str) -> Option<RegionBody> {
        let table = self.state.storage.regions();
        let region = table.get(code)?;
        Some(RegionBody {
            code: region.code.clone(),
            name_zh: region.name_zh.clone(),
            name_en: region.name_en.clone(),
            parent_code: region.parent_code.clone(),
            level: region.level.key().to_owned(),
            children: table
                .iter()
                .filter(|r| r.parent_code.as_deref() == Some(code))
                .map(|r| r.code.clone())
                .collect(),
        })
    }

    /// Depth-first from each province, so the list reads as an outline.
    fn outline(&self, code: &str, out: &mut Vec<RegionBody>) {
        if let Some(body) = self.body(code) {
            let children = body.children.clone();
            out.push(body);
            for child in children {
                self.outline(&child, out);
            }
        }
    }
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Regions")]
impl RegionsApi {
    /// List regions
    ///
    /// Provinces, prefectures and counties (统计用区划代码), as an outline.
    #[oai(path = "/regions", method = "get", operation_id = "listRegions")]
    async fn list(&self) -> ListResponse {
        let mut out = Vec::new();
        let roots: Vec<String> = self
            .state
            .storage
            .regions()
            .iter()
            .filter(|r| r.parent_code.is_none())
            .map(|r| r.code.clone())
            .collect();
        for root in roots {
            self.outline(&root, &mut out);
        }
        ListResponse::Ok(Json(out))
    }

    /// Get a region
    #[oai(path = "/regions/:code", method = "get", operation_id = "getRegion")]
    async fn get(&self, code: Path<String>) -> Result<GetResponse, ApiError> {
        self.body(&code.0)
            .map(|body| GetResponse::Ok(Json(body)))
            .ok_or_else(|| ApiError::not_found("区划", "region"))
    }
}
