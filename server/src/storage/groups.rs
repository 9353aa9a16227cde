//! County groups: the shipped ones (`GroupTable::builtin()`, such as the Ali
//! input-recovery pilot), which are not stored and cannot be changed, followed by the
//! ones admins define. Every change is audited in its own transaction, which also moves
//! the data version the figures are cached under (a group's figures are its members').

use agriwaste_analytics::groups::{GroupTable, RegionGroup};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, SqlErr, TransactionTrait};
use serde_json::json;

use super::audit::{Change, append};
use super::entities::region_groups;
use super::{Storage, StorageError};
use crate::auth::Actor;

/// A group with where it comes from and who last changed it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGroup {
    /// The group.
    pub group: RegionGroup,
    /// Shipped with the product: listed first, never changed or deleted.
    pub built_in: bool,
    /// Who last changed it (none for a shipped group).
    pub updated_by: Option<String>,
    /// When (none for a shipped group).
    pub updated_at: Option<DateTime<Utc>>,
}

/// The outcome of a change to a group.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupWrite {
    /// Done: the group as stored (as it was, for a deletion).
    Done(StoredGroup),
    /// Another group (shipped or stored) has the code.
    CodeTaken,
    /// No stored group has the code.
    NotFound,
    /// The code is a shipped group's, which cannot be changed or deleted.
    BuiltIn,
}

fn audit_json(g: &RegionGroup) -> serde_json::Value {
    json!({"code": g.code, "name_zh": g.name_zh, "name_en": g.name_en,
           "members": g.members, "source": g.source})
}

fn from_row(row: region_groups::Model) -> Result<StoredGroup, StorageError> {
    let members: Vec<String> = serde_json::from_str(&row.members)
        .map_err(|e| StorageError::Corrupt(format!("group {}", row.code), e.to_string()))?;
    Ok(StoredGroup {
        group: RegionGroup {
            code: row.code,
            name_zh: row.name_zh,
            name_en: row.name_en,
            members,
            source: row.source,
        },
        built_in: false,
        updated_by: Some(row.updated_by),
        updated_at: Some(row.updated_at),
    })
}

fn members_json(group: &RegionGroup) -> String {
    serde_json::to_string(&group.members).unwrap_or_else(|_| "[]".to_owned())
}

fn is_built_in(code: &str) -> bool {
    GroupTable::builtin().get(code).is_some()
}

impl Storage {
    /// Every group: the shipped ones, then the stored ones in the order they were
    /// created.
    pub async fn list_groups(&self) -> Result<Vec<StoredGroup>, StorageError> {
        let shipped = GroupTable::builtin().groups;
        let rows = region_groups::Entity::find()
            .order_by_asc(region_groups::Column::CreatedAt)
            .order_by_asc(region_groups::Column::Code)
            .all(&self.db)
            .await?;
        let mut groups: Vec<StoredGroup> = shipped
            .into_iter()
            .map(|group| StoredGroup {
                group,
                built_in: true,
                updated_by: None,
                updated_at: None,
            })
            .collect();
        for row in rows {
            // A stored row can never take a shipped group's code (creation refuses it),
            // unless a later release ships a group under a code an admin already used:
            // the shipped one wins, as the table promises.
            if !groups.iter().any(|g| g.group.code == row.code) {
                groups.push(from_row(row)?);
            }
        }
        Ok(groups)
    }

    /// The groups as the analytics crate takes them: the shipped ones, then the stored
    /// ones.
    pub async fn group_table(&self) -> Result<GroupTable, StorageError> {
        Ok(GroupTable {
            groups: self
                .list_groups()
                .await?
                .into_iter()
                .map(|g| g.group)
                .collect(),
        })
    }

    /// Stores a new group, which must have passed [`RegionGroup::check`].
    pub async fn create_group(
        &self,
        group: RegionGroup,
        actor: &Actor,
    ) -> Result<GroupWrite, StorageError> {
        if is_built_in(&group.code) {
            return Ok(GroupWrite::CodeTaken);
        }
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let at = Utc::now().trunc_subsecs(6);
        let inserted = region_groups::Entity::insert(region_groups::ActiveModel {
            code: Set(group.code.clone()),
            name_zh: Set(group.name_zh.clone()),
            name_en: Set(group.name_en.clone()),
            members: Set(members_json(&group)),
            source: Set(group.source.clone()),
            created_by: Set(actor.name.clone()),
            created_at: Set(at),
            updated_by: Set(actor.name.clone()),
            updated_at: Set(at),
        })
        .exec_without_returning(&txn)
        .await;
        match inserted {
            // Two admins creating the same code at once: the database decides.
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Ok(GroupWrite::CodeTaken);
            }
            other => {
                other?;
            }
        }
        let change = Change {
            action: "group.create",
            entity_type: "group",
            entity_id: group.code.clone(),
            before: None,
            after: Some(audit_json(&group)),
        };
        append(&txn, actor, change, at).await?;
        txn.commit().await?;
        Ok(GroupWrite::Done(StoredGroup {
            group,
            built_in: false,
            updated_by: Some(actor.name.clone()),
            updated_at: Some(at),
        }))
    }

    /// Replaces a stored group's names, members and source (its code stays); the group
    /// must have passed [`RegionGroup::check`].
    pub async fn update_group(
        &self,
        group: RegionGroup,
        actor: &Actor,
    ) -> Result<GroupWrite, StorageError> {
        if is_built_in(&group.code) {
            return Ok(GroupWrite::BuiltIn);
        }
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let Some(row) = region_groups::Entity::find_by_id(group.code.clone())
            .one(&txn)
            .await?
        else {
            return Ok(GroupWrite::NotFound);
        };
        let before = from_row(row.clone())?;
        let at = Utc::now().trunc_subsecs(6);
        let mut active: region_groups::ActiveModel = row.into();
        active.name_zh = Set(group.name_zh.clone());
        active.name_en = Set(group.name_en.clone());
        active.members = Set(members_json(&group));
        active.source = Set(group.source.clone());
        active.updated_by = Set(actor.name.clone());
        active.updated_at = Set(at);
        match active.update(&txn).await {
            // Deleted by someone else since it was read.
            Err(sea_orm::DbErr::RecordNotUpdated) => return Ok(GroupWrite::NotFound),
            other => {
                other?;
            }
        }
        let change = Change {
            action: "group.update",
            entity_type: "group",
            entity_id: group.code.clone(),
            before: Some(audit_json(&before.group)),
            after: Some(audit_json(&group)),
        };
        append(&txn, actor, change, at).await?;
        txn.commit().await?;
        Ok(GroupWrite::Done(StoredGroup {
            group,
            built_in: false,
            updated_by: Some(actor.name.clone()),
            updated_at: Some(at),
        }))
    }

    /// Deletes a stored group; answers with the group as it was.
    pub async fn delete_group(
        &self,
        code: &str,
        actor: &Actor,
    ) -> Result<GroupWrite, StorageError> {
        if is_built_in(code) {
            return Ok(GroupWrite::BuiltIn);
        }
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let Some(row) = region_groups::Entity::find_by_id(code.to_owned())
            .one(&txn)
            .await?
        else {
            return Ok(GroupWrite::NotFound);
        };
        let before = from_row(row)?;
        let deleted = region_groups::Entity::delete_by_id(code.to_owned())
            .exec(&txn)
            .await?;
        if deleted.rows_affected == 0 {
            return Ok(GroupWrite::NotFound);
        }
        let at = Utc::now().trunc_subsecs(6);
        let change = Change {
            action: "group.delete",
            entity_type: "group",
            entity_id: code.to_owned(),
            before: Some(audit_json(&before.group)),
            after: None,
        };
        append(&txn, actor, change, at).await?;
        txn.commit().await?;
        Ok(GroupWrite::Done(before))
    }
}
