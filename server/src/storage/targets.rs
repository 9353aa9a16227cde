//! Targets as stored: the shipped defaults, then whatever admins set. Every change is
//! audited, which also moves the data version the indicator cache keys on.

use agriwaste_analytics::targets::{Comparison, Target, TargetTable};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult, TransactionTrait};
use serde_json::json;

use super::audit::{Change, append};
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

fn col(name: &str) -> Alias {
    Alias::new(name)
}

fn comparison_key(c: Comparison) -> &'static str {
    match c {
        Comparison::AtLeast => "at_least",
        Comparison::AtMost => "at_most",
    }
}

fn from_row(row: &QueryResult) -> Result<StoredTarget, StorageError> {
    let comparison: String = row.try_get("", "comparison")?;
    Ok(StoredTarget {
        target: Target {
            region_code: row.try_get("", "region_code")?,
            indicator: row.try_get("", "indicator")?,
            year: row.try_get("", "year")?,
            target: row.try_get("", "target")?,
            comparison: if comparison == "at_most" {
                Comparison::AtMost
            } else {
                Comparison::AtLeast
            },
            source: row.try_get("", "source")?,
        },
        updated_by: row.try_get("", "updated_by")?,
        updated_at: row.try_get("", "updated_at")?,
    })
}

fn audit_json(t: &Target) -> serde_json::Value {
    json!({"region_code": t.region_code, "indicator": t.indicator, "year": t.year,
           "target": t.target, "comparison": comparison_key(t.comparison), "source": t.source})
}

/// Every column of `targets`.
fn select_targets() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .columns(COLUMNS.map(col))
        .from(col("targets"))
        .to_owned()
}

const COLUMNS: [&str; 8] = [
    "region_code",
    "indicator",
    "year",
    "target",
    "comparison",
    "source",
    "updated_by",
    "updated_at",
];

impl Storage {
    /// Every target, by region, indicator and year.
    pub async fn list_targets(&self) -> Result<Vec<StoredTarget>, StorageError> {
        let select = select_targets()
            .order_by(col("region_code"), Order::Asc)
            .order_by(col("indicator"), Order::Asc)
            .order_by(col("year"), Order::Asc)
            .to_owned();
        self.db
            .query_all(&select)
            .await?
            .iter()
            .map(from_row)
            .collect()
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
        let select = select_targets()
            .and_where(Expr::col(col("region_code")).eq(region_code))
            .and_where(Expr::col(col("indicator")).eq(indicator))
            .and_where(Expr::col(col("year")).eq(year))
            .to_owned();
        conn.query_one(&select)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
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
        let key = |q: &mut sea_orm::sea_query::DeleteStatement| {
            q.and_where(Expr::col(col("region_code")).eq(target.region_code.clone()))
                .and_where(Expr::col(col("indicator")).eq(target.indicator.clone()))
                .and_where(Expr::col(col("year")).eq(target.year));
        };
        let mut delete = Query::delete();
        delete.from_table(col("targets"));
        key(&mut delete);
        txn.execute(&delete).await?;
        let mut insert = Query::insert();
        insert
            .into_table(col("targets"))
            .columns(COLUMNS.map(col))
            .values([
                target.region_code.clone().into(),
                target.indicator.clone().into(),
                target.year.into(),
                target.target.into(),
                comparison_key(target.comparison).into(),
                target.source.clone().into(),
                actor.name.clone().into(),
                at.into(),
            ])
            .map_err(|e| StorageError::Corrupt("target".to_owned(), e.to_string()))?;
        txn.execute(&insert).await?;
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
        let delete = Query::delete()
            .from_table(col("targets"))
            .and_where(Expr::col(col("region_code")).eq(region_code))
            .and_where(Expr::col(col("indicator")).eq(indicator))
            .and_where(Expr::col(col("year")).eq(year))
            .to_owned();
        txn.execute(&delete).await?;
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
