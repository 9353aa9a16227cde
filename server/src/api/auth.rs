//! `/api/v1/auth/*`: sign-in (a session token for `Authorization: Bearer`), sign-out,
//! and who the caller is.
//!
//! The session token appears in a response exactly once, when it is issued, and never in
//! a log line or the audit log.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::body::StrictJson;
use super::error::{ApiError, ErrorBody, ErrorCode};
use super::middleware::RequestContext;
use super::model::NoContent;
use super::security::{Auth, PersonAuth};
use super::users::{RoleParam, UserBody};
use crate::auth::Actor;
use crate::auth::secrets::{TokenKind, new_token, verify_password};
use crate::state::AppState;
use crate::storage::accounts::LoginLimits;

/// How long a web session lasts.
const SESSION_HOURS: i64 = 12;
/// Password evaluations allowed per account, and per address, in the window; a right
/// password gives its attempt back, so in effect these count failures.
const LOGIN_LIMITS: LoginLimits = LoginLimits {
    per_account: 5,
    per_address: 20,
    window: Duration::minutes(FAILURE_WINDOW_MINUTES),
};
const FAILURE_WINDOW_MINUTES: i64 = 15;

/// Sign-in endpoints.
pub struct AuthApi {
    pub(crate) state: Arc<AppState>,
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

#[derive(ApiResponse)]
enum LoginResponse {
    /// Signed in.
    #[oai(status = 200)]
    Ok(Json<SessionBody>),
    /// Wrong username or password (the same answer for both).
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Too many failed attempts; wait and retry.
    #[oai(status = 429)]
    TooMany(Json<ErrorBody>, #[oai(header = "Retry-After")] String),
}

#[derive(ApiResponse)]
enum MeResponse {
    /// The caller.
    #[oai(status = 200)]
    Ok(Json<MeBody>),
}

fn error_body(err: ApiError, ctx: &RequestContext) -> ErrorBody {
    let mut body = err.body().clone();
    body.request_id = Some(ctx.request_id.clone());
    body
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Accounts")]
impl AuthApi {
    /// Sign in
    ///
    /// Username and password; answers a session token for `Authorization: Bearer`. A wrong
    /// password and an unknown username get the same answer. After 5 failures for an
    /// account (or 20 from an address) in 15 minutes, sign-in is refused with 429 for a
    /// while, the right password too; concurrent attempts count as they arrive, so no
    /// more than that many passwords are ever evaluated.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        ctx: Data<&RequestContext>,
        body: StrictJson<LoginRequest>,
    ) -> Result<LoginResponse, ApiError> {
        let storage = &self.state.storage;
        let address = ctx.address.clone().unwrap_or_else(|| "unknown".to_owned());
        let username = body.0.username.trim().to_owned();
        // Reserved before the password is looked at, so that concurrent guesses cannot
        // all be evaluated before the first failure is on record.
        let Some(attempt) = storage
            .reserve_login_attempt(&username, &address, &LOGIN_LIMITS)
            .await?
        else {
            let err = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyAttempts,
                format!("登录失败次数过多,请 {FAILURE_WINDOW_MINUTES} 分钟后再试"),
                format!("too many failed sign-ins; try again in {FAILURE_WINDOW_MINUTES} minutes"),
            );
            return Ok(LoginResponse::TooMany(
                Json(error_body(err, &ctx)),
                (FAILURE_WINDOW_MINUTES * 60).to_string(),
            ));
        };
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
            Some(user) if ok && user.active => {
                storage.release_login_attempt(attempt).await?;
                user
            }
            _ => {
                // The reservation stays: it is this failure's record.
                let err = ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::InvalidCredentials,
                    "用户名或密码错误",
                    "wrong username or password",
                );
                return Ok(LoginResponse::Unauthorized(Json(error_body(err, &ctx))));
            }
        };
        let token = new_token(TokenKind::Session);
        let expires_at = storage.now() + Duration::hours(SESSION_HOURS);
        let actor = Actor {
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
}
