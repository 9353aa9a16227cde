//! The security schemes of the OpenAPI document, and how a presented credential becomes
//! a [`Principal`].
//!
//! Two ways to authenticate: `Authorization: Bearer <token>` for people (a session from
//! `POST /api/v1/auth/login`, or a technician's device token), and `X-API-Key: <key>` for
//! API consumers. Both are declared in the document, so `/docs` can authenticate.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::{Request, RequestBody};
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Bearer};
use poem_openapi::registry::Registry;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use super::error::{ApiError, ErrorCode};
use crate::auth::secrets::TokenKind;
use crate::auth::{Denied, Principal};
use crate::state::AppState;
use crate::storage::accounts::CredentialProblem;

/// A person: a session token from sign-in, or a technician's device token.
#[derive(SecurityScheme)]
#[oai(
    ty = "bearer",
    bearer_format = "opaque token",
    checker = "check_bearer"
)]
pub struct BearerAuth(Principal);

/// An API consumer's key, created by an admin.
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "X-API-Key",
    key_in = "header",
    checker = "check_api_key"
)]
pub struct ApiKeyAuth(Principal);

/// Either credential. Written out rather than derived: the derived form tries each
/// scheme in turn and reports the last failure, which would answer a revoked API key with
/// "no bearer token"; this one checks the credential the client actually sent.
pub enum Auth {
    /// `X-API-Key`.
    ApiKey(ApiKeyAuth),
    /// `Authorization: Bearer`.
    Bearer(BearerAuth),
}

impl<'a> ApiExtractor<'a> for Auth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <BearerAuth as ApiExtractor>::register(registry);
        <ApiKeyAuth as ApiExtractor>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        let mut schemes = <BearerAuth as ApiExtractor>::security_schemes();
        schemes.extend(<ApiKeyAuth as ApiExtractor>::security_schemes());
        schemes
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        if req.headers().contains_key("x-api-key") {
            ApiKeyAuth::from_request(req, body, param_opts)
                .await
                .map(Auth::ApiKey)
        } else {
            BearerAuth::from_request(req, body, param_opts)
                .await
                .map(Auth::Bearer)
        }
    }
}

impl Auth {
    /// The authenticated caller.
    pub fn principal(&self) -> &Principal {
        match self {
            Auth::ApiKey(ApiKeyAuth(p)) | Auth::Bearer(BearerAuth(p)) => p,
        }
    }
}

/// A person only (API keys may not use this operation).
#[derive(SecurityScheme)]
pub enum PersonAuth {
    /// `Authorization: Bearer`.
    Bearer(BearerAuth),
}

impl PersonAuth {
    /// The authenticated caller.
    pub fn principal(&self) -> &Principal {
        match self {
            PersonAuth::Bearer(BearerAuth(p)) => p,
        }
    }
}

fn unauthorized(code: ErrorCode, zh: &str, en: &str) -> poem::Error {
    ApiError::new(StatusCode::UNAUTHORIZED, code, zh, en).into()
}

async fn resolve(req: &Request, secret: &str, allowed: &[TokenKind]) -> poem::Result<Principal> {
    let state = req
        .data::<Arc<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))?;
    let (credential, user) = match state
        .storage
        .authenticate(secret)
        .await
        .map_err(ApiError::from)?
    {
        Ok(found) => found,
        Err(CredentialProblem::Revoked) => {
            return Err(unauthorized(
                ErrorCode::CredentialRevoked,
                "令牌或密钥已被撤销",
                "the token or key has been revoked",
            ));
        }
        Err(CredentialProblem::Expired) => {
            return Err(unauthorized(
                ErrorCode::CredentialExpired,
                "令牌或密钥已过期,请重新登录",
                "the token or key has expired",
            ));
        }
        Err(CredentialProblem::UserDisabled) => {
            return Err(unauthorized(
                ErrorCode::AccountDisabled,
                "账户已停用",
                "the account is disabled",
            ));
        }
        Err(CredentialProblem::Unknown) => {
            return Err(unauthorized(
                ErrorCode::InvalidCredentials,
                "令牌或密钥无效",
                "the token or key is not valid",
            ));
        }
    };
    if !allowed.contains(&credential.kind) {
        return Err(unauthorized(
            ErrorCode::InvalidCredentials,
            "令牌或密钥无效",
            "the token or key is not valid",
        ));
    }
    Ok(match user {
        Some(user) => Principal {
            id: user.id.to_string(),
            name: user.username,
            role: Some(user.role),
            credential_id: credential.id.to_string(),
            region_scope: user.scope_code,
            counties: user.counties,
        },
        None => Principal {
            id: credential.id.to_string(),
            name: format!("api-key:{}", credential.name),
            role: None,
            credential_id: credential.id.to_string(),
            region_scope: credential.scope_code,
            counties: Vec::new(),
        },
    })
}

async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    resolve(req, &bearer.token, &[TokenKind::Session, TokenKind::Device]).await
}

async fn check_api_key(req: &Request, key: ApiKey) -> poem::Result<Principal> {
    resolve(req, &key.key, &[TokenKind::ApiKey]).await
}

/// Turns a refusal into the response: 403 for what the role may not do, 404 for what
/// lies outside the caller's scope.
pub fn denied(denied: Denied, what_zh: &str, what_en: &str) -> ApiError {
    match denied {
        Denied::Role => ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "当前账户的角色无权执行此操作",
            "your role does not allow this operation",
        ),
        Denied::County(county) => ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::CountyNotAssigned,
            format!("您未被分配到县 {county},不能提交该县的调查"),
            format!("you are not assigned to county {county}"),
        )
        .at("county_code"),
        Denied::OutOfScope => ApiError::not_found(what_zh, what_en),
    }
}

/// Refuses anyone but an admin (403).
pub fn require_admin(principal: &Principal) -> Result<(), ApiError> {
    principal.may_administer().map_err(|d| denied(d, "", ""))
}
