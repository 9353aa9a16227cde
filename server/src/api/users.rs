//! `/api/v1/users`: an admin lists, creates and changes users (role, scope, counties,
//! password, disabling).
//!
//! A generated password appears in a response exactly once, at creation; passwords are
//! stored as Argon2id hashes only.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::body::StrictJson;
use super::error::{ApiError, ErrorCode};
use super::middleware::RequestContext;
use super::security::{PersonAuth, require_admin};
use super::values::{PasswordRule, Text, UsernameRule};
use crate::auth::account::{InvalidUsername, NewPassword, Username, WeakPassword};
use crate::auth::{Role, check_scope};
use crate::state::AppState;
use crate::storage::accounts::{CreateUserOutcome, NewUser, User, UserChanges};

/// User endpoints.
pub struct UsersApi {
    pub(crate) state: Arc<AppState>,
}

/// A role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "Role", rename_all = "snake_case")]
pub enum RoleParam {
    /// Submits surveys; sees and corrects their own in their counties.
    Technician,
    /// Reads surveys and aggregates in a region.
    Viewer,
    /// A viewer who also reviews surveys in the region.
    Reviewer,
    /// Manages users, keys, targets and coefficients.
    Admin,
}

impl From<RoleParam> for Role {
    fn from(role: RoleParam) -> Role {
        match role {
            RoleParam::Technician => Role::Technician,
            RoleParam::Viewer => Role::Viewer,
            RoleParam::Reviewer => Role::Reviewer,
            RoleParam::Admin => Role::Admin,
        }
    }
}

impl From<Role> for RoleParam {
    fn from(role: Role) -> RoleParam {
        match role {
            Role::Technician => RoleParam::Technician,
            Role::Viewer => RoleParam::Viewer,
            Role::Reviewer => RoleParam::Reviewer,
            Role::Admin => RoleParam::Admin,
        }
    }
}

/// A user (never with a password).
#[derive(Debug, Object)]
#[oai(rename = "User")]
pub struct UserBody {
    /// Id.
    pub id: Uuid,
    /// Sign-in name.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Role.
    pub role: RoleParam,
    /// Region a viewer or reviewer covers.
    #[oai(skip_serializing_if_is_none)]
    pub scope_code: Option<String>,
    /// Counties a technician works in.
    pub counties: Vec<String>,
    /// Whether the user can sign in with a password.
    pub has_password: bool,
    /// Disabled users cannot sign in; their tokens stop working.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserBody {
    fn from(u: User) -> Self {
        UserBody {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role.into(),
            scope_code: u.scope_code,
            counties: u.counties,
            has_password: u.has_password,
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A new user.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Sign-in name: 3–64 letters, digits, `-`, `_` or `.`.
    pub username: Text<UsernameRule>,
    /// Name shown to people (default: the username).
    #[oai(nullable)]
    pub display_name: Option<String>,
    /// Role.
    pub role: RoleParam,
    /// Region code for a viewer or reviewer.
    #[oai(nullable)]
    pub scope_code: Option<String>,
    /// County codes for a technician.
    #[oai(nullable)]
    pub counties: Option<Vec<String>>,
    /// Password (at least 10 characters); omit to have one generated and shown once.
    #[oai(nullable, write_only)]
    pub password: Option<Text<PasswordRule>>,
}

/// A created user, with the generated password if one was generated.
#[derive(Debug, Object)]
pub struct CreatedUserBody {
    /// The user.
    pub user: UserBody,
    /// The generated password; shown only now.
    #[oai(skip_serializing_if_is_none)]
    pub generated_password: Option<String>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UserPatch {
    /// New display name.
    #[oai(nullable)]
    pub display_name: Option<String>,
    /// New role.
    #[oai(nullable)]
    pub role: Option<RoleParam>,
    /// New region scope.
    #[oai(nullable)]
    pub scope_code: Option<String>,
    /// New counties.
    #[oai(nullable)]
    pub counties: Option<Vec<String>>,
    /// New password (at least 10 characters).
    #[oai(nullable, write_only)]
    pub password: Option<Text<PasswordRule>>,
    /// Enable or disable.
    #[oai(nullable)]
    pub active: Option<bool>,
}

#[derive(ApiResponse)]
enum UsersResponse {
    /// Every user.
    #[oai(status = 200)]
    Ok(Json<Vec<UserBody>>),
}

#[derive(ApiResponse)]
enum CreateUserResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<CreatedUserBody>),
}

#[derive(ApiResponse)]
enum UserResponse {
    /// The user.
    #[oai(status = 200)]
    Ok(Json<UserBody>),
}

fn invalid_username(err: InvalidUsername) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidUsername,
        err.message_zh(),
        err.to_string(),
    )
    .at("username")
}

fn weak_password(err: WeakPassword) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::WeakPassword,
        err.message_zh(),
        err.to_string(),
    )
    .at("password")
}

/// The password's hash, computed off the async workers (Argon2 takes tens of
/// milliseconds of CPU).
async fn hashed(password: NewPassword) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password.hash())
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing a password: {e}")))
}

/// Checks a role's scope settings against the region table: 422 naming the field.
pub(crate) fn checked_scope(
    state: &AppState,
    role: Option<Role>,
    scope: Option<&str>,
    counties: &[String],
) -> Result<(), ApiError> {
    check_scope(role, scope, counties, state.storage.regions()).map_err(|(path, zh, en)| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidScope,
            zh,
            en,
        )
        .at(path)
    })
}

/// The user with this id, or 404.
pub(crate) async fn user_or_404(state: &AppState, id: Uuid) -> Result<User, ApiError> {
    state
        .storage
        .get_user(id)
        .await?
        .ok_or_else(|| ApiError::not_found("用户", "user"))
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Accounts")]
impl UsersApi {
    /// List users
    #[oai(path = "/users", method = "get", operation_id = "listUsers")]
    async fn list_users(&self, auth: PersonAuth) -> Result<UsersResponse, ApiError> {
        require_admin(auth.principal())?;
        let users = self.state.storage.list_users().await?;
        Ok(UsersResponse::Ok(Json(
            users.into_iter().map(UserBody::from).collect(),
        )))
    }

    /// Create a user
    ///
    /// Technicians need `counties`; viewers and reviewers a `scope_code` (a county,
    /// prefecture or province, covering everything below it).
    #[oai(path = "/users", method = "post", operation_id = "createUser")]
    async fn create_user(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        body: StrictJson<NewUserRequest>,
    ) -> Result<CreateUserResponse, ApiError> {
        let principal = auth.principal();
        require_admin(principal)?;
        let request = body.0;
        let username = Username::parse(&request.username)
            .map_err(invalid_username)?
            .into_string();
        let role: Role = request.role.into();
        let counties = request.counties.unwrap_or_default();
        let scope_code = if role.keeps_region_scope() {
            request.scope_code
        } else {
            None
        };
        checked_scope(&self.state, Some(role), scope_code.as_deref(), &counties)?;
        let (password, generated) = match request.password {
            Some(password) => (
                NewPassword::parse(password.into_string()).map_err(weak_password)?,
                None,
            ),
            None => {
                let password = NewPassword::generate();
                let shown = password.reveal().to_owned();
                (password, Some(shown))
            }
        };
        let password_hash = Some(hashed(password).await?);
        let new = NewUser {
            display_name: request
                .display_name
                .filter(|d| !d.trim().is_empty())
                .unwrap_or_else(|| username.clone()),
            username,
            role,
            scope_code,
            counties: if role.keeps_counties() {
                counties
            } else {
                Vec::new()
            },
            password_hash,
        };
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        match self.state.storage.create_user(new, &actor).await? {
            CreateUserOutcome::Created(user) => {
                Ok(CreateUserResponse::Created(Json(CreatedUserBody {
                    user: user.into(),
                    generated_password: generated,
                })))
            }
            CreateUserOutcome::UsernameTaken => Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::UsernameTaken,
                "用户名已被使用",
                "the username is taken",
            )
            .at("username")),
        }
    }

    /// Get a user
    #[oai(path = "/users/:id", method = "get", operation_id = "getUser")]
    async fn get_user(&self, auth: PersonAuth, id: Path<Uuid>) -> Result<UserResponse, ApiError> {
        require_admin(auth.principal())?;
        Ok(UserResponse::Ok(Json(
            user_or_404(&self.state, id.0).await?.into(),
        )))
    }

    /// Change a user
    ///
    /// Role, scope, counties, password, display name, or disable (`active: false`, which
    /// also stops their tokens working).
    #[oai(path = "/users/:id", method = "patch", operation_id = "updateUser")]
    async fn update_user(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        id: Path<Uuid>,
        body: StrictJson<UserPatch>,
    ) -> Result<UserResponse, ApiError> {
        let principal = auth.principal();
        require_admin(principal)?;
        let current = user_or_404(&self.state, id.0).await?;
        let patch = body.0;
        let role: Role = patch.role.map(Role::from).unwrap_or(current.role);
        let counties = patch
            .counties
            .clone()
            .unwrap_or_else(|| current.counties.clone());
        let scope = patch
            .scope_code
            .clone()
            .or_else(|| current.scope_code.clone());
        let scope = if role.keeps_region_scope() {
            scope
        } else {
            None
        };
        checked_scope(&self.state, Some(role), scope.as_deref(), &counties)?;
        if patch.active == Some(false) && principal.id == current.id.to_string() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::CannotDisableSelf,
                "不能停用自己的账户",
                "you cannot disable your own account",
            )
            .at("active"));
        }
        let password_hash = match patch.password {
            Some(password) => Some(
                hashed(NewPassword::parse(password.into_string()).map_err(weak_password)?).await?,
            ),
            None => None,
        };
        let changes = UserChanges {
            display_name: patch.display_name,
            role: patch.role.map(Role::from),
            scope_code: Some(scope),
            counties: Some(if role.keeps_counties() {
                counties
            } else {
                Vec::new()
            }),
            password_hash,
            active: patch.active,
        };
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        let user = self
            .state
            .storage
            .update_user(id.0, changes, &actor)
            .await?
            .ok_or_else(|| ApiError::not_found("用户", "user"))?;
        Ok(UserResponse::Ok(Json(user.into())))
    }
}
