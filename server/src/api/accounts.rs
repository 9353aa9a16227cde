//! Sign-in, users, device tokens, API keys and the audit log.
//!
//! Secrets (passwords, tokens, keys) appear in a response exactly once, when they are
//! created, and never in a log line or the audit log.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::error::ApiError;
use super::middleware::RequestContext;
use super::security::{Auth, PersonAuth, denied};
use crate::auth::account::{InvalidUsername, NewPassword, Username, WeakPassword};
use crate::auth::secrets::{TokenKind, new_token, verify_password};
use crate::auth::{Principal, Role, check_scope};
use crate::startup::AppState;
use crate::storage::accounts::{CreateUserOutcome, Credential, NewUser, User, UserChanges};
use crate::storage::audit::{AuditEntry, AuditFilter};

/// How long a web session lasts.
const SESSION_HOURS: i64 = 12;
/// Failed logins allowed per account, and per address, in the window.
const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
const MAX_FAILURES_PER_ADDRESS: u64 = 20;
const FAILURE_WINDOW_MINUTES: i64 = 15;

/// Account endpoints.
pub struct AccountsApi {
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

/// Sign-in with a username and password.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username.
    pub username: String,
    /// Password.
    #[oai(write_only)]
    pub password: String,
}

/// A session: send `Authorization: Bearer <token>` with later requests.
#[derive(Debug, Object)]
pub struct SessionBody {
    /// The session token; shown only now.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub user: UserBody,
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

/// Who the caller is.
#[derive(Debug, Object)]
pub struct MeBody {
    /// Username, or `api-key:NAME`.
    pub name: String,
    /// `user` or `api_key`.
    pub kind: String,
    /// Role (users only).
    #[oai(skip_serializing_if_is_none)]
    pub role: Option<RoleParam>,
    /// Region covered.
    #[oai(skip_serializing_if_is_none)]
    pub scope_code: Option<String>,
    /// Counties (technicians).
    pub counties: Vec<String>,
}

/// A new user.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Sign-in name: 3–64 letters, digits, `-`, `_` or `.`.
    pub username: String,
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
    pub password: Option<String>,
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
    pub password: Option<String>,
    /// Enable or disable.
    #[oai(nullable)]
    pub active: Option<bool>,
}

/// A new device token or API key.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewDeviceTokenRequest {
    /// A label, e.g. the phone.
    pub name: String,
}

/// A new API key.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewApiKeyRequest {
    /// What the key is for.
    pub name: String,
    /// The region it may read (any level).
    pub scope_code: String,
    /// When it stops working (optional).
    #[oai(nullable)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A device token or API key (never its secret).
#[derive(Debug, Object)]
#[oai(rename = "Credential")]
pub struct CredentialBody {
    /// Id, for revoking.
    pub id: Uuid,
    /// `device` or `api_key`.
    pub kind: String,
    /// Label.
    pub name: String,
    /// Owner (device tokens).
    #[oai(skip_serializing_if_is_none)]
    pub user_id: Option<Uuid>,
    /// Region (API keys).
    #[oai(skip_serializing_if_is_none)]
    pub scope_code: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// By whom.
    pub created_by: String,
    /// Expiry.
    #[oai(skip_serializing_if_is_none)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Revocation.
    #[oai(skip_serializing_if_is_none)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last seen in use.
    #[oai(skip_serializing_if_is_none)]
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<Credential> for CredentialBody {
    fn from(c: Credential) -> Self {
        CredentialBody {
            id: c.id,
            kind: c.kind.key().to_owned(),
            name: c.name,
            user_id: c.user_id,
            scope_code: c.scope_code,
            created_at: c.created_at,
            created_by: c.created_by,
            expires_at: c.expires_at,
            revoked_at: c.revoked_at,
            last_used_at: c.last_used_at,
        }
    }
}

/// A credential with its secret, at creation.
#[derive(Debug, Object)]
pub struct IssuedCredentialBody {
    /// The credential.
    pub credential: CredentialBody,
    /// The secret; shown only now. Device tokens go in `Authorization: Bearer`, API keys
    /// in `X-API-Key`.
    pub secret: String,
}

/// One audit entry.
#[derive(Debug, Object)]
#[oai(rename = "AuditEntry")]
pub struct AuditEntryBody {
    /// Position in the log.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// `user`, `api_key` or `system`.
    pub actor_kind: String,
    /// What, e.g. `survey.correct`, `survey.review`, `user.create`.
    pub action: String,
    /// On what kind of thing.
    pub entity_type: String,
    /// On which.
    pub entity_id: String,
    /// Before the change.
    #[oai(skip_serializing_if_is_none)]
    pub before: Option<serde_json::Value>,
    /// After the change.
    #[oai(skip_serializing_if_is_none)]
    pub after: Option<serde_json::Value>,
    /// From which address.
    #[oai(skip_serializing_if_is_none)]
    pub address: Option<String>,
    /// The request's id.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
}

impl From<AuditEntry> for AuditEntryBody {
    fn from(e: AuditEntry) -> Self {
        AuditEntryBody {
            id: e.id,
            at: e.at,
            actor: e.actor,
            actor_kind: e.actor_kind,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            before: e.before,
            after: e.after,
            address: e.address,
            request_id: e.request_id,
        }
    }
}

/// A page of audit entries, newest first.
#[derive(Debug, Object)]
pub struct AuditPageBody {
    /// Entries.
    pub items: Vec<AuditEntryBody>,
    /// Pass as `cursor` for older entries.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum LoginResponse {
    /// Signed in.
    #[oai(status = 200)]
    Ok(Json<SessionBody>),
    /// Wrong username or password (the same answer for both).
    #[oai(status = 401)]
    Unauthorized(Json<super::error::ErrorBody>),
    /// Too many failed attempts; wait and retry.
    #[oai(status = 429)]
    TooMany(
        Json<super::error::ErrorBody>,
        #[oai(header = "Retry-After")] String,
    ),
}

#[derive(ApiResponse)]
enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
enum MeResponse {
    /// The caller.
    #[oai(status = 200)]
    Ok(Json<MeBody>),
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

#[derive(ApiResponse)]
enum CredentialsResponse {
    /// Credentials, newest first.
    #[oai(status = 200)]
    Ok(Json<Vec<CredentialBody>>),
}

#[derive(ApiResponse)]
enum IssuedResponse {
    /// Created; the secret is in the body, this once.
    #[oai(status = 201)]
    Created(Json<IssuedCredentialBody>),
}

#[derive(ApiResponse)]
enum AuditResponse {
    /// Entries, newest first.
    #[oai(status = 200)]
    Ok(Json<AuditPageBody>),
}

fn error_body(err: ApiError, ctx: &RequestContext) -> super::error::ErrorBody {
    let mut body = err.body().clone();
    body.request_id = Some(ctx.request_id.clone());
    body
}

fn invalid_username(err: InvalidUsername) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_username",
        err.message_zh(),
        err.to_string(),
    )
    .at("username")
}

fn weak_password(err: WeakPassword) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
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

fn require_admin(principal: &Principal) -> Result<(), ApiError> {
    principal.may_administer().map_err(|d| denied(d, "", ""))
}

impl AccountsApi {
    fn check_scope(
        &self,
        role: Option<Role>,
        scope: Option<&str>,
        counties: &[String],
    ) -> Result<(), ApiError> {
        check_scope(role, scope, counties, self.state.storage.regions()).map_err(
            |(path, zh, en)| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_scope", zh, en).at(path)
            },
        )
    }

    async fn user_or_404(&self, id: Uuid) -> Result<User, ApiError> {
        self.state
            .storage
            .get_user(id)
            .await?
            .ok_or_else(|| ApiError::not_found("用户", "user"))
    }
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Accounts")]
impl AccountsApi {
    /// Sign in
    ///
    /// Username and password; answers a session token for `Authorization: Bearer`. A wrong
    /// password and an unknown username get the same answer. After 5 failures for an
    /// account (or 20 from an address) in 15 minutes, sign-in is refused with 429 for a
    /// while.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        ctx: Data<&RequestContext>,
        body: Json<LoginRequest>,
    ) -> Result<LoginResponse, ApiError> {
        let storage = &self.state.storage;
        let address = ctx.address.clone().unwrap_or_else(|| "unknown".to_owned());
        let username = body.0.username.trim().to_owned();
        let since = Utc::now() - Duration::minutes(FAILURE_WINDOW_MINUTES);
        let (by_account, by_address) = storage
            .recent_login_failures(&username, &address, since)
            .await?;
        if by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS {
            let err = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("登录失败次数过多,请 {FAILURE_WINDOW_MINUTES} 分钟后再试"),
                format!("too many failed sign-ins; try again in {FAILURE_WINDOW_MINUTES} minutes"),
            );
            return Ok(LoginResponse::TooMany(
                Json(error_body(err, &ctx)),
                (FAILURE_WINDOW_MINUTES * 60).to_string(),
            ));
        }
        let found = storage.user_for_login(&username).await?;
        let password = body.0.password;
        let (user, ok) = {
            let stored_hash = found.as_ref().and_then(|(_, hash)| hash.clone());
            // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
            let ok = tokio::task::spawn_blocking(move || {
                verify_password(&password, stored_hash.as_deref())
            })
            .await
            .map_err(ApiError::internal)?;
            (found.map(|(user, _)| user), ok)
        };
        let user = match user {
            Some(user) if ok && user.active => user,
            _ => {
                storage.record_login_failure(&username, &address).await?;
                let err = ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_credentials",
                    "用户名或密码错误",
                    "wrong username or password",
                );
                return Ok(LoginResponse::Unauthorized(Json(error_body(err, &ctx))));
            }
        };
        let token = new_token(TokenKind::Session);
        let expires_at = Utc::now() + Duration::hours(SESSION_HOURS);
        let actor = crate::storage::audit::Actor {
            name: user.username.clone(),
            kind: "user",
            address: ctx.address.clone(),
            request_id: Some(ctx.request_id.clone()),
        };
        let credential = storage
            .issue_credential(
                TokenKind::Session,
                &token,
                Some(user.id),
                "web session",
                None,
                Some(expires_at),
                &actor,
            )
            .await?;
        tracing::info!(user = %user.username, session = %credential.id, "signed in");
        Ok(LoginResponse::Ok(Json(SessionBody {
            token,
            expires_at,
            user: user.into(),
        })))
    }

    /// Sign out
    ///
    /// Ends the session whose token authenticates this request.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
    ) -> Result<NoContent, ApiError> {
        let principal = auth.principal();
        let id = Uuid::parse_str(&principal.credential_id).map_err(ApiError::internal)?;
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        self.state
            .storage
            .revoke_credential(id, TokenKind::Session, None, &actor)
            .await?;
        Ok(NoContent::Done)
    }

    /// Who am I
    #[oai(path = "/auth/me", method = "get", operation_id = "me")]
    async fn me(&self, auth: Auth) -> MeResponse {
        let p = auth.principal();
        MeResponse::Ok(Json(MeBody {
            name: p.name.clone(),
            kind: if p.is_api_key() { "api_key" } else { "user" }.to_owned(),
            role: p.role.map(RoleParam::from),
            scope_code: p.region_scope.clone(),
            counties: p.counties.clone(),
        }))
    }

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
        body: Json<NewUserRequest>,
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
        self.check_scope(Some(role), scope_code.as_deref(), &counties)?;
        let (password, generated) = match request.password {
            Some(password) => (NewPassword::parse(password).map_err(weak_password)?, None),
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
                "username_taken",
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
        Ok(UserResponse::Ok(Json(self.user_or_404(id.0).await?.into())))
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
        body: Json<UserPatch>,
    ) -> Result<UserResponse, ApiError> {
        let principal = auth.principal();
        require_admin(principal)?;
        let current = self.user_or_404(id.0).await?;
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
        self.check_scope(Some(role), scope.as_deref(), &counties)?;
        if patch.active == Some(false) && principal.id == current.id.to_string() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "cannot_disable_self",
                "不能停用自己的账户",
                "you cannot disable your own account",
            )
            .at("active"));
        }
        let password_hash = match patch.password {
            Some(password) => {
                Some(hashed(NewPassword::parse(password).map_err(weak_password)?).await?)
            }
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

    /// List a technician's device tokens
    #[oai(
        path = "/users/:id/device-tokens",
        method = "get",
        operation_id = "listDeviceTokens"
    )]
    async fn list_device_tokens(
        &self,
        auth: PersonAuth,
        id: Path<Uuid>,
    ) -> Result<CredentialsResponse, ApiError> {
        require_admin(auth.principal())?;
        self.user_or_404(id.0).await?;
        let list = self
            .state
            .storage
            .list_credentials(TokenKind::Device, Some(id.0))
            .await?;
        Ok(CredentialsResponse::Ok(Json(
            list.into_iter().map(CredentialBody::from).collect(),
        )))
    }

    /// Issue a device token
    ///
    /// A long-lived token for a technician's phone (`Authorization: Bearer`), shown once;
    /// revoke it when the phone is lost.
    #[oai(
        path = "/users/:id/device-tokens",
        method = "post",
        operation_id = "issueDeviceToken"
    )]
    async fn issue_device_token(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        id: Path<Uuid>,
        body: Json<NewDeviceTokenRequest>,
    ) -> Result<IssuedResponse, ApiError> {
        let principal = auth.principal();
        require_admin(principal)?;
        let user = self.user_or_404(id.0).await?;
        let token = new_token(TokenKind::Device);
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        let name = label(&body.0.name)?;
        let credential = self
            .state
            .storage
            .issue_credential(
                TokenKind::Device,
                &token,
                Some(user.id),
                &name,
                None,
                None,
                &actor,
            )
            .await?;
        Ok(IssuedResponse::Created(Json(IssuedCredentialBody {
            credential: credential.into(),
            secret: token,
        })))
    }

    /// Revoke a device token
    #[oai(
        path = "/users/:id/device-tokens/:token_id",
        method = "delete",
        operation_id = "revokeDeviceToken"
    )]
    async fn revoke_device_token(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        id: Path<Uuid>,
        token_id: Path<Uuid>,
    ) -> Result<NoContent, ApiError> {
        let principal = auth.principal();
        require_admin(principal)?;
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        self.state
            .storage
            .revoke_credential(token_id.0, TokenKind::Device, Some(id.0), &actor)
            .await?
            .ok_or_else(|| ApiError::not_found("令牌", "device token"))?;
        Ok(NoContent::Done)
    }

    /// List API keys
    #[oai(path = "/api-keys", method = "get", operation_id = "listApiKeys")]
    async fn list_api_keys(&self, auth: PersonAuth) -> Result<CredentialsResponse, ApiError> {
        require_admin(auth.principal())?;
        let list = self
            .state
            .storage
            .list_credentials(TokenKind::ApiKey, None)
            .await?;
        Ok(CredentialsResponse::Ok(Json(
            list.into_iter().map(CredentialBody::from).collect(),
        )))
    }

    /// Create an API key
    ///
    /// For API consumers: reads surveys, aggregates and exports within `scope_code`. The
    /// key is shown once and stored hashed; send it as `X-API-Key`.
    #[oai(path = "/api-keys", method = "post", operation_id = "createApiKey")]
    async fn create_api_key(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        body: Json<NewApiKeyRequest>,
    ) -> Result<IssuedResponse, ApiError> {
        let principal = auth.principal();
        require_admin(principal)?;
        let request = body.0;
        self.check_scope(None, Some(&request.scope_code), &[])?;
        if request.expires_at.is_some_and(|e| e <= Utc::now()) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "expiry_in_past",
                "到期时间必须晚于现在",
                "expires_at must be in the future",
            )
            .at("expires_at"));
        }
        let name = label(&request.name)?;
        let key = new_token(TokenKind::ApiKey);
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        let credential = self
            .state
            .storage
            .issue_credential(
                TokenKind::ApiKey,
                &key,
                None,
                &name,
                Some(request.scope_code),
                request.expires_at,
                &actor,
            )
            .await?;
        Ok(IssuedResponse::Created(Json(IssuedCredentialBody {
            credential: credential.into(),
            secret: key,
        })))
    }

    /// Revoke an API key
    #[oai(
        path = "/api-keys/:id",
        method = "delete",
        operation_id = "revokeApiKey"
    )]
    async fn revoke_api_key(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        id: Path<Uuid>,
    ) -> Result<NoContent, ApiError> {
        let principal = auth.principal();
        require_admin(principal)?;
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        self.state
            .storage
            .revoke_credential(id.0, TokenKind::ApiKey, None, &actor)
            .await?
            .ok_or_else(|| ApiError::not_found("密钥", "API key"))?;
        Ok(NoContent::Done)
    }

    /// Read the audit log
    ///
    /// Every write: who, when, what, before and after, from which address. Newest first.
    #[oai(path = "/audit", method = "get", operation_id = "listAudit")]
    #[expect(clippy::too_many_arguments, reason = "one per filter")]
    async fn audit(
        &self,
        auth: PersonAuth,
        /// Entity type: `survey`, `user`, `credential`.
        entity_type: Query<Option<String>>,
        /// Entity id, e.g. a survey id.
        entity_id: Query<Option<String>>,
        /// Who.
        actor: Query<Option<String>>,
        /// What, e.g. `survey.review`.
        action: Query<Option<String>>,
        /// At or after (RFC 3339).
        since: Query<Option<DateTime<Utc>>>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1–1000 (default 100).
        limit: Query<Option<u32>>,
    ) -> Result<AuditResponse, ApiError> {
        require_admin(auth.principal())?;
        let limit = limit.0.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                "limit 必须在 1 到 1000 之间",
                "limit must be between 1 and 1000",
            )
            .at("limit"));
        }
        let before = match cursor.0.as_deref() {
            None | Some("") => None,
            Some(text) => Some(text.parse::<i64>().map_err(|_| {
                ApiError::bad_request("invalid_cursor", "分页游标无效", "the cursor is not valid")
                    .at("cursor")
            })?),
        };
        let filter = AuditFilter {
            entity_type: entity_type.0,
            entity_id: entity_id.0,
            actor: actor.0,
            action: action.0,
            since: since.0,
        };
        let (entries, next) = self
            .state
            .storage
            .audit_entries(&filter, before, u64::from(limit))
            .await?;
        Ok(AuditResponse::Ok(Json(AuditPageBody {
            items: entries.into_iter().map(AuditEntryBody::from).collect(),
            next_cursor: next.map(|id| id.to_string()),
        })))
    }
}

fn label(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
            "名称不能为空,且不超过 100 个字符",
            "name must be 1–100 characters",
        )
        .at("name"));
    }
    Ok(name.to_owned())
}
