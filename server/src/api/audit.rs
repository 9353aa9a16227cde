//! `/api/v1/audit`: the audit log, for admins: every write, who made it, when, from
//! where, before and after. Newest first, in keyset pages.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::error::{ApiError, ErrorCode};
use super::security::{PersonAuth, require_admin};
use super::values::{AuditCursor, InRange, Text};
use crate::state::AppState;
use crate::storage::audit::{AuditEntry, AuditFilter};

/// Audit log endpoint.
pub struct AuditApi {
    pub(crate) state: Arc<AppState>,
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
enum AuditResponse {
    /// Entries, newest first.
    #[oai(status = 200)]
    Ok(Json<AuditPageBody>),
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Accounts")]
impl AuditApi {
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
        cursor: Query<Option<Text<AuditCursor>>>,
        /// Page size, 1–1000 (default 100).
        limit: Query<Option<InRange<u32, 1, 1000>>>,
    ) -> Result<AuditResponse, ApiError> {
        require_admin(auth.principal())?;
        let limit = limit.0.map_or(100, |l| l.0);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidParameter,
                "limit 必须在 1 到 1000 之间",
                "limit must be between 1 and 1000",
            )
            .at("limit"));
        }
        let before = match cursor.0.as_ref().map(|c| c.as_str()) {
            None | Some("") => None,
            Some(text) => Some(text.parse::<i64>().map_err(|_| {
                ApiError::bad_request(
                    ErrorCode::InvalidCursor,
                    "分页游标无效",
                    "the cursor is not valid",
                )
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
