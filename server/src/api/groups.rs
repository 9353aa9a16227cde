//! `/api/v1/groups`: named groups of counties, shown beside the counties with their own
//! figures and progress. The Ali input-recovery pilot ships with the product and cannot
//! be changed; admins define others. Read by every authenticated caller.

use std::sync::Arc;

use agriwaste_analytics::groups::RegionGroup;
use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::body::StrictJson;
use super::error::{ApiError, ErrorCode};
use super::middleware::RequestContext;
use super::security::{Auth, PersonAuth, require_admin};
use super::values::{AtMost, Counties, GroupCode, Required, Text};
use crate::state::AppState;
use crate::storage::groups::{GroupWrite, StoredGroup};

/// Endpoint.
pub struct GroupsApi {
    pub(crate) state: Arc<AppState>,
}

/// Longest name accepted, in characters.
const NAME_MAX_CHARS: usize = 100;
/// Longest `source` accepted, in characters.
const SOURCE_MAX_CHARS: usize = 500;

/// A named group of counties.
#[derive(Debug, Object)]
#[oai(rename = "RegionGroup")]
pub struct GroupBody {
    /// Stable key: lower-case letters, digits and hyphens (`ali-input-recovery-pilot`).
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The member counties' division codes.
    pub members: Vec<String>,
    /// Why the group exists (a plan task, a decision); may be empty.
    pub source: String,
    /// Shipped with the product: it cannot be changed or deleted.
    pub built_in: bool,
    /// The nearest region enclosing every member, whose targets and plan the group
    /// follows; null when the members lie in different provinces.
    #[oai(nullable)]
    pub enclosing_region: Option<String>,
    /// Who last changed it; null for a shipped group.
    #[oai(nullable)]
    pub updated_by: Option<String>,
    /// When; null for a shipped group.
    #[oai(nullable)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A group to create.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewGroupRequest {
    /// Stable key: lower-case letters, digits and hyphens, at most 64.
    pub code: Text<GroupCode>,
    /// Chinese name.
    pub name_zh: Text<Required<NAME_MAX_CHARS>>,
    /// English name.
    pub name_en: Text<Required<NAME_MAX_CHARS>>,
    /// At least two distinct county codes.
    pub members: Counties<2>,
    /// Why the group exists (optional).
    #[oai(default)]
    pub source: Text<AtMost<SOURCE_MAX_CHARS>>,
}

/// A group's new names, members and source (its code stays).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct GroupRequest {
    /// Chinese name.
    pub name_zh: Text<Required<NAME_MAX_CHARS>>,
    /// English name.
    pub name_en: Text<Required<NAME_MAX_CHARS>>,
    /// At least two distinct county codes.
    pub members: Counties<2>,
    /// Why the group exists (optional).
    #[oai(default)]
    pub source: Text<AtMost<SOURCE_MAX_CHARS>>,
}

#[derive(ApiResponse)]
enum ListResponse {
    /// Every group: the shipped ones first, then those admins defined, oldest first.
    #[oai(status = 200)]
    Ok(Json<Vec<GroupBody>>),
}

#[derive(ApiResponse)]
enum CreateResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<GroupBody>),
}

#[derive(ApiResponse)]
enum UpdateResponse {
    /// Replaced.
    #[oai(status = 200)]
    Replaced(Json<GroupBody>),
}

#[derive(ApiResponse)]
enum DeleteResponse {
    /// Removed.
    #[oai(status = 204)]
    Removed,
}

impl GroupsApi {
    fn body(&self, stored: StoredGroup) -> GroupBody {
        let enclosing_region = stored
            .group
            .enclosing_region(self.state.storage.regions())
            .map(str::to_owned);
        GroupBody {
            code: stored.group.code,
            name_zh: stored.group.name_zh,
            name_en: stored.group.name_en,
            members: stored.group.members,
            source: stored.group.source,
            built_in: stored.built_in,
            enclosing_region,
            updated_by: stored.updated_by,
            updated_at: stored.updated_at,
        }
    }

    /// The group as the domain checks it, or the 422 naming the field at fault.
    fn parse(
        &self,
        code: String,
        name_zh: String,
        name_en: String,
        members: Vec<String>,
        source: String,
    ) -> Result<RegionGroup, ApiError> {
        let group = RegionGroup {
            code: code.trim().to_owned(),
            name_zh: name_zh.trim().to_owned(),
            name_en: name_en.trim().to_owned(),
            members: members.iter().map(|m| m.trim().to_owned()).collect(),
            source: source.trim().to_owned(),
        };
        group
            .check(self.state.storage.regions())
            .map_err(|(path, zh, en)| invalid(ErrorCode::InvalidGroup, zh, en, path))?;
        for (path, text, max) in [
            ("name_zh", &group.name_zh, NAME_MAX_CHARS),
            ("name_en", &group.name_en, NAME_MAX_CHARS),
            ("source", &group.source, SOURCE_MAX_CHARS),
        ] {
            if text.chars().count() > max {
                let (what_zh, what_en) = match path {
                    "name_zh" => ("中文名称", "the Chinese name"),
                    "name_en" => ("英文名称", "the English name"),
                    _ => ("来源说明", "the source"),
                };
                return Err(invalid(
                    ErrorCode::TooLong,
                    format!("{what_zh}最多 {max} 个字符"),
                    format!("{what_en} is longer than {max} characters"),
                    path,
                ));
            }
        }
        Ok(group)
    }
}

fn invalid(code: ErrorCode, zh: String, en: String, path: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, zh, en).at(path)
}

fn code_taken(code: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::GroupCodeTaken,
        format!("分组代码 {code} 已被另一个分组使用,请换一个"),
        format!("the group code {code} is taken by another group; choose another"),
    )
    .at("code")
}

fn built_in(code: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::GroupBuiltIn,
        format!("分组 {code} 是系统内置分组(随规划文件发布),不能修改或删除"),
        format!(
            "the group {code} ships with the product (it follows the plan) and cannot be changed or deleted"
        ),
    )
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Regions")]
impl GroupsApi {
    /// List county groups
    ///
    /// The groups shown beside the counties, each with its own figures and progress: the
    /// shipped ones (the Ali input-recovery pilot: 普兰, 札达, 日土, 噶尔) first, then
    /// those admins defined.
    #[oai(path = "/groups", method = "get", operation_id = "listGroups")]
    async fn list(&self, _auth: Auth) -> Result<ListResponse, ApiError> {
        let groups = self.state.storage.list_groups().await?;
        Ok(ListResponse::Ok(Json(
            groups.into_iter().map(|g| self.body(g)).collect(),
        )))
    }

    /// Create a county group
    ///
    /// Admins only. The code must be new (409 otherwise); names in Chinese and English and
    /// at least two distinct known counties are required (422 naming the field).
    #[oai(path = "/groups", method = "post", operation_id = "createGroup")]
    async fn create(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        body: StrictJson<NewGroupRequest>,
    ) -> Result<CreateResponse, ApiError> {
        let principal = auth.principal();
        require_admin(principal)?;
        let b = body.0;
        let group = self.parse(
            b.code.into_string(),
            b.name_zh.into_string(),
            b.name_en.into_string(),
            b.members.0,
            b.source.into_string(),
        )?;
        let code = group.code.clone();
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        match self.state.storage.create_group(group, &actor).await? {
            GroupWrite::Done(stored) => Ok(CreateResponse::Created(Json(self.body(stored)))),
            GroupWrite::CodeTaken => Err(code_taken(&code)),
            GroupWrite::BuiltIn => Err(built_in(&code)),
            GroupWrite::NotFound => Err(ApiError::not_found("分组", "group")),
        }
    }

    /// Change a county group
    ///
    /// Admins only. Replaces the names, members and source of a group admins defined;
    /// a shipped group cannot be changed (409).
    #[oai(path = "/groups/:code", method = "put", operation_id = "updateGroup")]
    async fn update(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        code: Path<Text<GroupCode>>,
        body: StrictJson<GroupRequest>,
    ) -> Result<UpdateResponse, ApiError> {
        let principal = auth.principal();
        require_admin(principal)?;
        let b = body.0;
        let group = self.parse(
            code.0.to_string(),
            b.name_zh.into_string(),
            b.name_en.into_string(),
            b.members.0,
            b.source.into_string(),
        )?;
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        match self.state.storage.update_group(group, &actor).await? {
            GroupWrite::Done(stored) => Ok(UpdateResponse::Replaced(Json(self.body(stored)))),
            GroupWrite::BuiltIn => Err(built_in(&code.0)),
            GroupWrite::NotFound => Err(ApiError::not_found("分组", "group")),
            GroupWrite::CodeTaken => Err(code_taken(&code.0)),
        }
    }

    /// Delete a county group
    ///
    /// Admins only; a shipped group cannot be deleted (409).
    #[oai(
        path = "/groups/:code",
        method = "delete",
        operation_id = "deleteGroup"
    )]
    async fn delete(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        code: Path<String>,
    ) -> Result<DeleteResponse, ApiError> {
        let principal = auth.principal();
        require_admin(principal)?;
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        match self.state.storage.delete_group(&code.0, &actor).await? {
            GroupWrite::Done(_) => Ok(DeleteResponse::Removed),
            GroupWrite::BuiltIn => Err(built_in(&code.0)),
            GroupWrite::NotFound | GroupWrite::CodeTaken => {
                Err(ApiError::not_found("分组", "group"))
            }
        }
    }
}
