//! The audit log: every write appends who, when, what, before/after and from where, in
//! the same transaction as the write.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::Value;

use super::entities::audit_log;
use super::{Storage, StorageError, insert_all};
use crate::auth::Actor;

/// One audited change.
#[derive(Debug, Clone)]
pub struct Change {
    /// e.g. `survey.create`, `survey.correct`, `survey.review`, `user.create`.
    pub action: &'static str,
    /// e.g. `survey`, `user`, `credential`.
    pub entity_type: &'static str,
    /// The entity's id.
    pub entity_id: String,
    /// The state before (none for a creation).
    pub before: Option<Value>,
    /// The state after (none for a deletion).
    pub after: Option<Value>,
}

/// Appends one entry; call inside the transaction of the change.
pub(crate) async fn append(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    change: Change,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    append_all(conn, actor, vec![change], at).await
}

/// Appends one entry per change, in their order, with multi-row inserts; call inside
/// the transaction of the changes.
pub(crate) async fn append_all(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    changes: Vec<Change>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let rows = changes.into_iter().map(|change| audit_log::ActiveModel {
        at: Set(at),
        actor: Set(actor.name.clone()),
        actor_kind: Set(actor.kind.to_owned()),
        action: Set(change.action.to_owned()),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        before: Set(change.before.map(|v| v.to_string())),
        after: Set(change.after.map(|v| v.to_string())),
        address: Set(actor.address.clone()),
        request_id: Set(actor.request_id.clone()),
        ..Default::default()
    });
    insert_all(conn, rows.collect()).await
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Entity type.
    pub entity_type: Option<String>,
    /// Entity id.
    pub entity_id: Option<String>,
    /// Actor name.
    pub actor: Option<String>,
    /// Action.
    pub action: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
}

/// One entry as read back.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Position in the log.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// `user`, `api_key` or `system`.
    pub actor_kind: String,
    /// What.
    pub action: String,
    /// On what kind of thing.
    pub entity_type: String,
    /// On which.
    pub entity_id: String,
    /// Before.
    pub before: Option<Value>,
    /// After.
    pub after: Option<Value>,
    /// From where.
    pub address: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
}

impl Storage {
    /// Audit entries matching `filter`, newest first, before `before_id`.
    pub async fn audit_entries(
        &self,
        filter: &AuditFilter,
        before_id: Option<i64>,
        limit: u64,
    ) -> Result<(Vec<AuditEntry>, Option<i64>), StorageError> {
        let mut query = audit_log::Entity::find();
        if let Some(v) = &filter.entity_type {
            query = query.filter(audit_log::Column::EntityType.eq(v.clone()));
        }
        if let Some(v) = &filter.entity_id {
            query = query.filter(audit_log::Column::EntityId.eq(v.clone()));
        }
        if let Some(v) = &filter.actor {
            query = query.filter(audit_log::Column::Actor.eq(v.clone()));
        }
        if let Some(v) = &filter.action {
            query = query.filter(audit_log::Column::Action.eq(v.clone()));
        }
        if let Some(v) = filter.since {
            query = query.filter(audit_log::Column::At.gte(v));
        }
        if let Some(id) = before_id {
            query = query.filter(audit_log::Column::Id.lt(id));
        }
        let mut rows = query
            .order_by_desc(audit_log::Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(|r| r.id)
        } else {
            None
        };
        let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
        let entries = rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at,
                actor: r.actor,
                actor_kind: r.actor_kind,
                action: r.action,
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                before: parse(r.before),
                after: parse(r.after),
                address: r.address,
                request_id: r.request_id,
            })
            .collect();
        Ok((entries, next))
    }
}
