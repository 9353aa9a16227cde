//! Coefficients as stored: the shipped national values, then whatever admins set per
//! region and year. An edit rewrites the facts of every survey it can change, in the
//! edit's own transaction, so the indicators never mix old and new estimates.
//!
//! Concurrency. A survey write estimates with the table it read; an edit must not commit
//! between that read and the write's commit, or the write would store facts from the old
//! table that the edit's recomputation did not see. On SQLite the in-process writer lock
//! already serialises them. On PostgreSQL, where many server processes share the
//! database, survey writes hold a shared transaction-scoped advisory lock and edits an
//! exclusive one: an edit waits for writes in flight, and writes that start during an
//! edit wait for it and then read the new table.

use std::sync::Arc;

use agriwaste_analytics::coefficients::{CoefficientEntry, CoefficientKind, CoefficientTable};
use agriwaste_analytics::review::ReviewState;
use agriwaste_analytics::targets::NATIONAL;
use agriwaste_analytics::{RegionLevel, Survey};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QueryResult, Statement, TransactionTrait,
};

use super::aggregates::SumsDelta;
use super::audit::{Change, append};
use super::entities::{coefficient_version, coefficients};
use super::facts::{FactsRow, replace_facts};
use super::{Storage, StorageError};
use crate::auth::Actor;

/// The advisory lock that orders coefficient edits against survey writes, in the
/// two-key space ("agri", 1), which does not overlap the one-key space the batch writes
/// lock survey ids in.
const COEFFICIENT_LOCK_KEY: (i32, i32) = (0x6167_7269, 1);

/// Surveys whose facts are rewritten per statement round trip.
const RECOMPUTE_PAGE: u64 = 500;

/// A coefficient with who set it and when.
#[derive(Debug, Clone)]
pub struct StoredCoefficient {
    /// The coefficient.
    pub entry: CoefficientEntry,
    /// Who set it (`shipped defaults` for the seeded ones).
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

/// The key of one coefficient entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoefficientKey {
    /// Region code, or `national`.
    pub region_code: String,
    /// First survey year it applies to.
    pub valid_from: i32,
    /// Kind.
    pub kind: CoefficientKind,
    /// Crop key, or the kind's fixed key.
    pub key: String,
}

impl CoefficientKey {
    fn of(entry: &CoefficientEntry) -> CoefficientKey {
        CoefficientKey {
            region_code: entry.region_code.clone(),
            valid_from: entry.valid_from,
            kind: entry.kind,
            key: entry.key.clone(),
        }
    }

    fn audit_id(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.region_code,
            self.valid_from,
            self.kind.key(),
            self.key
        )
    }

    /// The primary key of the entry's row.
    fn row_id(&self) -> (String, i32, String, String) {
        (
            self.region_code.clone(),
            self.valid_from,
            self.kind.key().to_owned(),
            self.key.clone(),
        )
    }
}

/// The result of an edit.
#[derive(Debug, Clone)]
pub struct CoefficientEdit {
    /// The entry as stored (none after a deletion).
    pub stored: Option<StoredCoefficient>,
    /// Whether a new entry was created (false when one was replaced or deleted).
    pub created: bool,
    /// How many surveys had their facts recomputed.
    pub surveys_recomputed: u64,
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

/// A stored row as the domain's entry: the reverse of [`row_of`].
fn stored_coefficient(row: coefficients::Model) -> Result<StoredCoefficient, StorageError> {
    let kind = CoefficientKind::from_key(&row.kind).ok_or_else(|| {
        StorageError::Corrupt(format!("coefficient of {}", row.region_code), row.kind)
    })?;
    Ok(StoredCoefficient {
        entry: CoefficientEntry {
            kind,
            region_code: row.region_code,
            valid_from: row.valid_from,
            key: row.key,
            value: row.value,
            unit: row.unit,
            status: row.status,
            source: row.source,
        },
        updated_by: row.updated_by,
        updated_at: row.updated_at,
    })
}

/// The row `entry` is stored as, set by `updated_by` at `updated_at`.
fn row_of(
    entry: &CoefficientEntry,
    updated_by: &str,
    updated_at: DateTime<Utc>,
) -> coefficients::ActiveModel {
    coefficients::ActiveModel {
        region_code: Set(entry.region_code.clone()),
        valid_from: Set(entry.valid_from),
        kind: Set(entry.kind.key().to_owned()),
        key: Set(entry.key.clone()),
        value: Set(entry.value),
        unit: Set(entry.unit.clone()),
        status: Set(entry.status.clone()),
        source: Set(entry.source.clone()),
        updated_by: Set(updated_by.to_owned()),
        updated_at: Set(updated_at),
    }
}

fn audit_json(entry: &CoefficientEntry) -> serde_json::Value {
    serde_json::to_value(entry).unwrap_or(serde_json::Value::Null)
}

/// Every entry, by region, kind, key and year.
async fn load_entries(conn: &impl ConnectionTrait) -> Result<Vec<StoredCoefficient>, StorageError> {
    coefficients::Entity::find()
        .order_by_asc(coefficients::Column::RegionCode)
        .order_by_asc(coefficients::Column::Kind)
        .order_by_asc(coefficients::Column::Key)
        .order_by_asc(coefficients::Column::ValidFrom)
        .all(conn)
        .await?
        .into_iter()
        .map(stored_coefficient)
        .collect()
}

/// The id of `coefficient_version`'s one row.
const VERSION_ROW: i32 = 1;

async fn read_version(conn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(coefficient_version::Entity::find_by_id(VERSION_ROW)
        .one(conn)
        .await?
        .map_or(0, |row| row.version))
}

async fn advisory_lock(conn: &impl ConnectionTrait, exclusive: bool) -> Result<(), DbErr> {
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let function = if exclusive {
        "pg_advisory_xact_lock"
    } else {
        "pg_advisory_xact_lock_shared"
    };
    conn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        format!("SELECT {function}($1, $2)"),
        [COEFFICIENT_LOCK_KEY.0.into(), COEFFICIENT_LOCK_KEY.1.into()],
    ))
    .await
    .map(|_| ())
}

impl Storage {
    /// Every coefficient entry, by region, kind, key and year.
    pub async fn list_coefficients(&self) -> Result<Vec<StoredCoefficient>, StorageError> {
        load_entries(&self.db).await
    }

    /// The coefficient table for reading (cached; one small query checks it is current).
    pub async fn coefficient_table(&self) -> Result<Arc<CoefficientTable>, StorageError> {
        self.current_table(&self.db).await
    }

    /// The coefficient table a survey write estimates with. Call inside the write's
    /// transaction, before computing facts: on PostgreSQL it takes the shared side of the
    /// lock that coefficient edits take exclusively (see the module comment).
    pub(crate) async fn coefficient_table_for_write(
        &self,
        txn: &impl ConnectionTrait,
    ) -> Result<Arc<CoefficientTable>, StorageError> {
        advisory_lock(txn, false).await?;
        self.current_table(txn).await
    }

    async fn current_table(
        &self,
        conn: &impl ConnectionTrait,
    ) -> Result<Arc<CoefficientTable>, StorageError> {
        let version = read_version(conn).await?;
        if let Some((cached, table)) = self.coefficient_cache.lock().await.as_ref()
            && *cached == version
        {
            return Ok(table.clone());
        }
        let table = Arc::new(CoefficientTable {
            entries: load_entries(conn)
                .await?
                .into_iter()
                .map(|s| s.entry)
                .collect(),
        });
        *self.coefficient_cache.lock().await = Some((version, table.clone()));
        Ok(table)
    }

    /// Sets a coefficient (creating or replacing the entry with its key) and recomputes
    /// the facts of the surveys it can change: those within its region from its first
    /// year on. The entry must have passed [`CoefficientEntry::check`] and name a known
    /// region.
    pub async fn put_coefficient(
        &self,
        entry: CoefficientEntry,
        actor: &Actor,
    ) -> Result<CoefficientEdit, StorageError> {
        let key = CoefficientKey::of(&entry);
        let edit = self.edit_coefficients(&key, Some(entry), actor).await?;
        edit.ok_or_else(|| StorageError::Corrupt(key.audit_id(), "not stored".to_owned()))
    }

    /// Removes a coefficient entry and recomputes the surveys it applied to; none when
    /// there was no such entry.
    pub async fn delete_coefficient(
        &self,
        key: &CoefficientKey,
        actor: &Actor,
    ) -> Result<Option<CoefficientEdit>, StorageError> {
        self.edit_coefficients(key, None, actor).await
    }

    async fn edit_coefficients(
        &self,
        key: &CoefficientKey,
        replacement: Option<CoefficientEntry>,
        actor: &Actor,
    ) -> Result<Option<CoefficientEdit>, StorageError> {
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        advisory_lock(&txn, true).await?;
        let before = coefficients::Entity::find_by_id(key.row_id())
            .one(&txn)
            .await?
            .map(stored_coefficient)
            .transpose()?;
        coefficients::Entity::delete_by_id(key.row_id())
            .exec(&txn)
            .await?;
        let at = Utc::now().trunc_subsecs(6);
        if let Some(entry) = &replacement {
            coefficients::Entity::insert(row_of(entry, &actor.name, at))
                .exec_without_returning(&txn)
                .await?;
        } else if before.is_none() {
            txn.rollback().await?;
            return Ok(None);
        }
        coefficient_version::Entity::update_many()
            .col_expr(
                coefficient_version::Column::Version,
                Expr::col(coefficient_version::Column::Version).add(1),
            )
            .filter(coefficient_version::Column::Id.eq(VERSION_ROW))
            .exec(&txn)
            .await?;
        let table = CoefficientTable {
            entries: load_entries(&txn)
                .await?
                .into_iter()
                .map(|s| s.entry)
                .collect(),
        };
        let surveys_recomputed = self
            .recompute_facts(&txn, &table, &key.region_code, key.valid_from)
            .await?;
        let change = Change {
            action: if replacement.is_some() {
                "coefficient.set"
            } else {
                "coefficient.delete"
            },
            entity_type: "coefficient",
            entity_id: key.audit_id(),
            before: before.as_ref().map(|b| audit_json(&b.entry)),
            after: replacement.as_ref().map(audit_json),
        };
        append(&txn, actor, change, at).await?;
        txn.commit().await?;
        // The next read reloads: the version moved.
        *self.coefficient_cache.lock().await = None;
        tracing::info!(
            coefficient = key.audit_id(),
            surveys = surveys_recomputed,
            "coefficient edited, indicator facts recomputed"
        );
        Ok(Some(CoefficientEdit {
            created: replacement.is_some() && before.is_none(),
            stored: replacement.map(|entry| StoredCoefficient {
                entry,
                updated_by: actor.name.clone(),
                updated_at: at,
            }),
            surveys_recomputed,
        }))
    }

    /// Rewrites the facts of every survey within `region_code` (all for `national`) of
    /// `from_year` or later with `table`, page by page inside `txn`.
    async fn recompute_facts(
        &self,
        txn: &impl ConnectionTrait,
        table: &CoefficientTable,
        region_code: &str,
        from_year: i32,
    ) -> Result<u64, StorageError> {
        let region_column = if region_code == NATIONAL {
            None
        } else {
            let level = self
                .regions
                .get(region_code)
                .map(|r| r.level)
                .ok_or_else(|| StorageError::Corrupt("region".to_owned(), region_code.into()))?;
            Some(match level {
                RegionLevel::County => "county_code",
                RegionLevel::Prefecture => "prefecture_code",
                RegionLevel::Province => "province_code",
            })
        };
        let mut after: Option<String> = None;
        let mut written = 0;
        // Added to the sums once, after every page: one statement in key order.
        let mut delta = SumsDelta::default();
        loop {
            let mut select = survey_rows_for_facts();
            select
                .and_where(Expr::col(col("survey_year")).gte(from_year))
                .order_by(col("id"), Order::Asc)
                .limit(RECOMPUTE_PAGE);
            if let Some(column) = region_column {
                select.and_where(Expr::col(col(column)).eq(region_code));
            }
            if let Some(last) = &after {
                select.and_where(Expr::col(col("id")).gt(last.clone()));
            }
            let rows = txn.query_all(&select).await?;
            let Some(last) = rows.last() else {
                delta.apply(txn).await?;
                return Ok(written);
            };
            after = Some(last.try_get("", "id")?);
            let (rewritten, difference) = self.rewrite_facts(txn, &rows, table).await?;
            written += rewritten;
            delta.absorb(difference);
        }
    }

    /// Recomputes and writes the facts of the surveys in `rows` (as selected by
    /// [`survey_rows_for_facts`]); returns how many, and the difference to the sums.
    pub(crate) async fn rewrite_facts(
        &self,
        txn: &impl ConnectionTrait,
        rows: &[QueryResult],
        table: &CoefficientTable,
    ) -> Result<(u64, SumsDelta), StorageError> {
        let mut facts = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("", "id")?;
            let payload: String = row.try_get("", "payload")?;
            let survey: Survey = serde_json::from_str(&payload)
                .map_err(|e| StorageError::Corrupt(format!("survey {id}"), e.to_string()))?;
            let state: String = row.try_get("", "review_state")?;
            let review = ReviewState::from_key(&state).unwrap_or(ReviewState::Received);
            let warnings: i32 = row.try_get("", "warning_count")?;
            let prefecture: String = row.try_get("", "prefecture_code")?;
            let province: String = row.try_get("", "province_code")?;
            let coefficients = table.resolve(&self.regions, &survey.county_code, survey.year());
            facts.push(FactsRow::of(
                &survey,
                Ord::max(warnings, 0) as usize,
                review,
                &prefecture,
                &province,
                &coefficients,
            ));
        }
        let difference = replace_facts(txn, facts).await?;
        Ok((rows.len() as u64, difference))
    }
}

/// The survey columns facts are computed from, selected from `surveys`.
pub(crate) fn survey_rows_for_facts() -> SelectStatement {
    Query::select()
        .columns(
            [
                "id",
                "payload",
                "warning_count",
                "review_state",
                "prefecture_code",
                "province_code",
            ]
            .map(|c| (col("surveys"), col(c))),
        )
        .from(col("surveys"))
        .to_owned()
}
