//! `/api/v1/users/{id}/device-tokens` and `/api/v1/api-keys`: the long-lived credentials
//! an admin issues and revokes: device tokens for technicians' phones, API keys for API
//! consumers.
//!
//! A secret appears in a response exactly once, when it is issued, and is stored as its
//! SHA-256 only.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::body::StrictJson;
use super::error::{ApiError, ErrorCode};
use super::middleware::RequestContext;
use super::model::NoContent;
use super::security::{PersonAuth, require_admin};
use super::users::{checked_scope, user_or_404};
use super::values::{Region, Required, Text};
use crate::auth::Actor;
use crate::auth::secrets::{TokenKind, new_token};
use crate::state::AppState;
use crate::storage::accounts::Credential;

/// Device token and API key endpoints.
pub struct CredentialsApi {
    pub(crate) state: Arc<AppState>,
}

/// A new device token or API key.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewDeviceTokenRequest {
    /// A label, e.g. the phone.
    pub name: Text<Required<100>>,
}

/// A new API key.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewApiKeyRequest {
    /// What the key is for.
    pub name: Text<Required<100>>,
    /// The region it may read (any level).
    pub scope_code: Text<Region>,
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

fn label(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidName,
            "名称不能为空,且不超过 100 个字符",
            "name must be 1–100 characters",
        )
        .at("name"));
    }
    Ok(name.to_owned())
}

/// What device tokens and API keys share once a request is checked: listing, issuing and
/// revoking one kind, so that the two kinds cannot drift apart in how they answer.
impl CredentialsApi {
    /// The credentials of `kind` (of one user when `user_id` is given), newest first.
    async fn listed(
        &self,
        kind: TokenKind,
        user_id: Option<Uuid>,
    ) -> Result<CredentialsResponse, ApiError> {
        let list = self.state.storage.list_credentials(kind, user_id).await?;
        Ok(CredentialsResponse::Ok(Json(
            list.into_iter().map(CredentialBody::from).collect(),
        )))
    }

    /// Stores a fresh secret of `kind` and answers with it, the one time it is shown.
    async fn issued(
        &self,
        kind: TokenKind,
        owner: Owner,
        name: &str,
        actor: &Actor,
    ) -> Result<IssuedResponse, ApiError> {
        let secret = new_token(kind);
        let credential = self
            .state
            .storage
            .issue_credential(
                kind,
                &secret,
                owner.user_id,
                name,
                owner.scope_code,
                owner.expires_at,
                actor,
            )
            .await?;
        Ok(IssuedResponse::Created(Json(IssuedCredentialBody {
            credential: credential.into(),
            secret,
        })))
    }

    /// Revokes credential `id` of `kind` (of one user when `user_id` is given); an id that
    /// names no such credential is a 404 naming `what` (zh, en).
    async fn revoked(
        &self,
        id: Uuid,
        kind: TokenKind,
        user_id: Option<Uuid>,
        actor: &Actor,
        what: (&str, &str),
    ) -> Result<NoContent, ApiError> {
        self.state
            .storage
            .revoke_credential(id, kind, user_id, actor)
            .await?
            .ok_or_else(|| ApiError::not_found(what.0, what.1))?;
        Ok(NoContent::Done)
    }
}

/// Whom a credential belongs to and how far it reaches: a device token has a user, an
/// API key a scope and perhaps an expiry.
struct Owner {
    user_id: Option<Uuid>,
    scope_code: Option<String>,
    expires_at: Option<DateTime<Utc>>,
}

/// The actor an admin's request writes as; anyone else is refused.
fn admin_actor(auth: &PersonAuth, ctx: &RequestContext) -> Result<Actor, ApiError> {
    let principal = auth.principal();
    require_admin(principal)?;
    Ok(principal.actor(ctx.address.clone(), &ctx.request_id))
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Accounts")]
impl CredentialsApi {
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
        user_or_404(&self.state, id.0).await?;
        self.listed(TokenKind::Device, Some(id.0)).await
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
        body: StrictJson<NewDeviceTokenRequest>,
    ) -> Result<IssuedResponse, ApiError> {
        let actor = admin_actor(&auth, &ctx)?;
        let user = user_or_404(&self.state, id.0).await?;
        let name = label(&body.0.name)?;
        let owner = Owner {
            user_id: Some(user.id),
            scope_code: None,
            expires_at: None,
        };
        self.issued(TokenKind::Device, owner, &name, &actor).await
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
        let actor = admin_actor(&auth, &ctx)?;
        self.revoked(
            token_id.0,
            TokenKind::Device,
            Some(id.0),
            &actor,
            ("令牌", "device token"),
        )
        .await
    }

    /// List API keys
    #[oai(path = "/api-keys", method = "get", operation_id = "listApiKeys")]
    async fn list_api_keys(&self, auth: PersonAuth) -> Result<CredentialsResponse, ApiError> {
        require_admin(auth.principal())?;
        self.listed(TokenKind::ApiKey, None).await
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
        body: StrictJson<NewApiKeyRequest>,
    ) -> Result<IssuedResponse, ApiError> {
        let actor = admin_actor(&auth, &ctx)?;
        let request = body.0;
        checked_scope(&self.state, None, Some(&request.scope_code), &[])?;
        if request
            .expires_at
            .is_some_and(|e| e <= self.state.storage.now())
        {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ExpiryInPast,
                "到期时间必须晚于现在",
                "the expiry must be in the future",
            )
            .at("expires_at"));
        }
        let name = label(&request.name)?;
        let owner = Owner {
            user_id: None,
            scope_code: Some(request.scope_code.into_string()),
            expires_at: request.expires_at,
        };
        self.issued(TokenKind::ApiKey, owner, &name, &actor).await
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
        let actor = admin_actor(&auth, &ctx)?;
        self.revoked(id.0, TokenKind::ApiKey, None, &actor, ("密钥", "API key"))
            .await
    }
}
