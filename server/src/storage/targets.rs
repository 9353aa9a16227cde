//! Targets as stored: the shipped defaults, then whatever admins set. Every change is
//! audited, which also moves the data version the indicator cache keys on.

use agriwaste_analytics::targets::{Comparison, Target, TargetTable};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, TransactionTrait};
use serde_json::json;

use super::audit::{Change, append};
use super::entities::targets;
use super::{Storage, StorageError};
use crate::auth::Actor;

/// A target with who set it and when.
#[derive(Debug, Clone)]
pub struct StoredTarget {
    /// The target.
    pub target: Target,
    /// Who set it (`shipped defaults` for the seeded ones).
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

fn comparison_key(c: Comparison) -> &'static str {
    match c {
        Comparison::AtLeast => "at_least",
        Comparison::AtMost => "at_most",
    }
}

/// A stored row as the domain's target: the reverse of [`row_of`].
fn stored_target(row: targets::Model) -> StoredTarget {
    StoredTarget {
        target: Target {
            region_code: row.region_code,
            indicator: row.indicator,
            year: row.year,
            target: row.target,
            comparison: if row.comparison == "at_most" {
                Comparison::AtMost
            } else {
                Comparison::AtLeast
            },
            source: row.source,
        },
        updated_by: row.updated_by,
        updated_at: row.updated_at,
    }
}

/// The row `target` is stored as, set by `updated_by` at `updated_at`.
fn row_of(target: &Target, updated_by: &str, updated_at: DateTime<Utc>) -> targets::ActiveModel {
    targets::ActiveModel {
        region_code: Set(target.region_code.clone()),
        indicator: Set(target.indicator.clone()),
        year: Set(target.year),
        target: Set(target.target),
        comparison: Set(comparison_key(target.comparison).to_owned()),
        source: Set(target.source.clone()),
        updated_by: Set(updated_by.to_owned()),
        updated_at: Set(updated_at),
    }
}

/// The primary key of the row for a region, indicator and year.
fn key(region_code: &str, indicator: &str, year: i32) -> (String, String, i32) {
    (region_code.to_owned(), indicator.to_owned(), year)
}

fn audit_json(t: &Target) -> serde_json::Value {
    json!({"region_code": t.region_code, "indicator": t.indicator, "year": t.year,
           "target": t.target, "comparison": comparison_key(t.comparison), "source": t.source})
}

impl Storage {
    /// Every target, by region, indicator and year.
    pub async fn list_targets(&self) -> Result<Vec<StoredTarget>, StorageError> {
        Ok(targets::Entity::find()
            .order_by_asc(targets::Column::RegionCode)
            .order_by_asc(targets::Column::Indicator)
            .order_by_asc(targets::Column::Year)
            .all(&self.db)
            .await?
            .into_iter()
            .map(stored_target)
            .collect())
    }

    /// The targets as the analytics crate takes them.
    pub async fn target_table(&self) -> Result<TargetTable, StorageError> {
        Ok(TargetTable {
            targets: self
                .list_targets()
                .await?
                .into_iter()
                .map(|t| t.target)
                .collect(),
        })
    }

    async fn find_target(
        &self,
        conn: &impl ConnectionTrait,
        region_code: &str,
        indicator: &str,
        year: i32,
    ) -> Result<Option<StoredTarget>, StorageError> {
        Ok(
            targets::Entity::find_by_id(key(region_code, indicator, year))
                .one(conn)
                .await?
                .map(stored_target),
        )
    }

    /// Sets a target (creating or replacing the row for its region, indicator and year).
    /// Returns the stored target and whether it is new.
    pub async fn put_target(
        &self,
        target: Target,
        actor: &Actor,
    ) -> Result<(StoredTarget, bool), StorageError> {
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let before = self
            .find_target(&txn, &target.region_code, &target.indicator, target.year)
            .await?;
        let at = Utc::now().trunc_subsecs(6);
        targets::Entity::delete_by_id(key(&target.region_code, &target.indicator, target.year))
            .exec(&txn)
            .await?;
        targets::Entity::insert(row_of(&target, &actor.name, at))
            .exec_without_returning(&txn)
            .await?;
        let change = Change {
            action: "target.set",
            entity_type: "target",
            entity_id: format!(
                "{}/{}/{}",
                target.region_code, target.indicator, target.year
            ),
            before: before.as_ref().map(|b| audit_json(&b.target)),
            after: Some(audit_json(&target)),
        };
        append(&txn, actor, change, at).await?;
        txn.commit().await?;
        Ok((
            StoredTarget {
                target,
                updated_by: actor.name.clone(),
                updated_at: at,
            },
            before.is_none(),
        ))
    }

    /// Removes a target; false when there was none.
    pub async fn delete_target(
        &self,
        region_code: &str,
        indicator: &str,
        year: i32,
        actor: &Actor,
    ) -> Result<bool, StorageError> {
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let Some(before) = self.find_target(&txn, region_code, indicator, year).await? else {
            return Ok(false);
        };
        targets::Entity::delete_by_id(key(region_code, indicator, year))
            .exec(&txn)
            .await?;
        let at = Utc::now().trunc_subsecs(6);
        let change = Change {
            action: "target.delete",
            entity_type: "target",
            entity_id: format!("{region_code}/{indicator}/{year}"),
            before: Some(audit_json(&before.target)),
            after: None,
        };
        append(&txn, actor, change, at).await?;
        txn.commit().await?;
        Ok(true)
    }
}
