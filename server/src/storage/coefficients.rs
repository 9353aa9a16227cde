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
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult, Statement, TransactionTrait};

use super::aggregates::SumsDelta;
use super::audit::{Change, append};
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

    fn restrict<T: sea_orm::sea_query::ConditionalStatement>(&self, q: &mut T) {
        q.and_where(Expr::col(col("region_code")).eq(self.region_code.clone()))
            .and_where(Expr::col(col("valid_from")).eq(self.valid_from))
            .and_where(Expr::col(col("kind")).eq(self.kind.key()))
            .and_where(Expr::col(col("key")).eq(self.key.clone()));
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

const COLUMNS: [&str; 10] = [
    "region_code",
    "valid_from",
    "kind",
    "key",
    "value",
    "unit",
    "status",
    "source",
    "updated_by",
    "updated_at",
];

fn select_coefficients() -> SelectStatement {
    Query::select()
        .columns(COLUMNS.map(col))
        .from(col("coefficients"))
        .order_by(col("region_code"), Order::Asc)
        .order_by(col("kind"), Order::Asc)
        .order_by(col("key"), Order::Asc)
        .order_by(col("valid_from"), Order::Asc)
        .to_owned()
}

fn from_row(row: &QueryResult) -> Result<StoredCoefficient, StorageError> {
    let kind: String = row.try_get("", "kind")?;
    let region_code: String = row.try_get("", "region_code")?;
    Ok(StoredCoefficient {
        entry: CoefficientEntry {
            kind: CoefficientKind::from_key(&kind).ok_or_else(|| {
                StorageError::Corrupt(format!("coefficient of {region_code}"), kind.clone())
            })?,
            region_code,
            valid_from: row.try_get("", "valid_from")?,
            key: row.try_get("", "key")?,
            value: row.try_get("", "value")?,
            unit: row.try_get("", "unit")?,
            status: row.try_get("", "status")?,
            source: row.try_get("", "source")?,
        },
        updated_by: row.try_get("", "updated_by")?,
        updated_at: row.try_get("", "updated_at")?,
    })
}

fn audit_json(entry: &CoefficientEntry) -> serde_json::Value {
    serde_json::to_value(entry).unwrap_or(serde_json::Value::Null)
}

async fn load_entries(conn: &impl ConnectionTrait) -> Result<Vec<StoredCoefficient>, StorageError> {
    conn.query_all(&select_coefficients())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

async fn read_version(conn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let select = Query::select()
        .column(col("version"))
        .from(col("coefficient_version"))
        .and_where(Expr::col(col("id")).eq(1))
        .to_owned();
    let row = conn.query_one(&select).await?;
    Ok(row
        .and_then(|r| r.try_get::<i64>("", "version").ok())
        .unwrap_or(0))
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
        let mut find = select_coefficients();
        key.restrict(&mut find);
        let before = txn
            .query_one(&find)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()?;
        let mut delete = Query::delete();
        delete.from_table(col("coefficients"));
        key.restrict(&mut delete);
        txn.execute(&delete).await?;
        let at = Utc::now().trunc_subsecs(6);
        if let Some(entry) = &replacement {
            let mut insert = Query::insert();
            insert
                .into_table(col("coefficients"))
                .columns(COLUMNS.map(col))
                .values([
                    entry.region_code.clone().into(),
                    entry.valid_from.into(),
                    entry.kind.key().into(),
                    entry.key.clone().into(),
                    entry.value.into(),
                    entry.unit.clone().into(),
                    entry.status.clone().into(),
                    entry.source.clone().into(),
                    actor.name.clone().into(),
                    at.into(),
                ])
                .map_err(|e| StorageError::Corrupt("coefficient".to_owned(), e.to_string()))?;
            txn.execute(&insert).await?;
        } else if before.is_none() {
            txn.rollback().await?;
            return Ok(None);
        }
        let bump = Query::update()
            .table(col("coefficient_version"))
            .value(col("version"), Expr::col(col("version")).add(1))
            .and_where(Expr::col(col("id")).eq(1))
            .to_owned();
        txn.execute(&bump).await?;
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
