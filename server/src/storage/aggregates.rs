//! Maintained sums: every indicator's additive sums per county, year and review state
//! (`survey_sums`), kept in step with `survey_facts` in each write's transaction, so that
//! a figure costs what its answer's size costs, not what the number of surveys costs.
//!
//! One list, [`sum_columns`], says what is summed: each column's name in `survey_sums`
//! and the expression over a household's `survey_facts` row it sums. From that list come
//! the household `GROUP BY` (what a write's difference and `verify-aggregates` compute),
//! the maintained read (the shards' rows added), the upsert, and the decoding into the
//! crate's [`GroupSums`]. A write reads the sums of the surveys it changes before and
//! after changing them ([`SumsChange`]) and adds the difference, in key order, to one
//! shard per transaction.
//!
//! What cannot be summed: the film-per-mu median and outliers need every value. They
//! are exact, and cached at two levels under revisions (a fine group's revision is the
//! sum of its rows' `revision`, which every change moves): each county × year × review
//! state's values, read from a covering index only when that group changed; and each
//! query group's finished median and outliers, under its fine groups' revisions. A read
//! after a write so redoes one group's selection (linear time, no sort), not every
//! household's.
//!
//! A technician sees only their own surveys; the sums are not kept per technician, so
//! their figures are summed from their household rows (bounded by one person's surveys).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use agriwaste_analytics::aggregate::{GroupSums, crops_left_out};
use agriwaste_analytics::estimate::RatioSums;
use agriwaste_analytics::indicators::{GroupKey, Indicator};
use agriwaste_analytics::quality::{FilmOutliers, film_outliers};
use agriwaste_analytics::review::ReviewState;
use agriwaste_analytics::survey::Crop;
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement,
};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult};
use uuid::Uuid;

use super::facts::{INDICATOR_COLUMNS, IndicatorQuery, STRAW_USE_COLUMNS, region_column};
use super::{Storage, StorageError, lock_advisory_keys, rows_per_statement};

/// The maintained table.
pub(crate) const SUMS: &str = "survey_sums";
/// The household table the sums are of.
pub(crate) const FACTS: &str = "survey_facts";

/// How many rows each group is split into on PostgreSQL (see the migration).
const SHARDS: u128 = 16;

/// The advisory-lock key under which the sums are rebuilt from the household rows, so
/// that two replicas starting at once do not both fill the table.
const REBUILD_LOCK: i64 = 0x5355_4d53; // "SUMS"

fn col(name: &str) -> Alias {
    Alias::new(name)
}

/// What a sum column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A count of households (an integer).
    Count,
    /// A sum of amounts (a double).
    Amount,
}

/// One maintained sum: its column and what it sums per household.
#[derive(Debug)]
struct SumColumn {
    name: String,
    kind: Kind,
    /// The expression over one `survey_facts` row that the column sums.
    household: String,
}

/// The key columns of a maintained row, besides the shard.
const KEY_COLUMNS: [&str; 5] = [
    "county_code",
    "prefecture_code",
    "province_code",
    "survey_year",
    "review_state",
];

/// Every maintained sum, counts first. The names are the migration's.
fn sum_columns() -> &'static [SumColumn] {
    static COLUMNS: OnceLock<Vec<SumColumn>> = OnceLock::new();
    COLUMNS.get_or_init(|| {
        let count = |name: &str, household: &str| SumColumn {
            name: name.to_owned(),
            kind: Kind::Count,
            household: household.to_owned(),
        };
        let amount = |name: String, household: String| SumColumn {
            name,
            kind: Kind::Amount,
            household,
        };
        let mut columns = vec![
            count("households", "1"),
            count("warned", "CASE WHEN warnings > 0 THEN 1 ELSE 0 END"),
            count(
                "returned_exceeds",
                "CASE WHEN pesticide_count_y > pesticide_count_x THEN 1 ELSE 0 END",
            ),
        ];
        for (_, p) in INDICATOR_COLUMNS {
            columns.push(count(
                &format!("{p}_n"),
                &format!("CASE WHEN {p}_x IS NOT NULL THEN 1 ELSE 0 END"),
            ));
        }
        columns.push(count("straw_excluded", "straw_crops_excluded"));
        columns.push(count("dung_excluded_n", "dung_excluded"));
        columns.push(count(
            "film_n",
            "CASE WHEN film_kg_per_mu IS NOT NULL THEN 1 ELSE 0 END",
        ));
        // The crop records left out, per crop: bit k of the mask is crop k. Integer
        // division and remainder read a bit the same way in SQLite and PostgreSQL.
        for k in 0..Crop::ALL.len() {
            columns.push(count(
                &format!("straw_left_out_{k}"),
                &format!("(straw_excluded_crops / {}) % 2", 1u32 << k),
            ));
        }
        for (_, p) in INDICATOR_COLUMNS {
            for (s, expr) in [
                ("wy", format!("weight * {p}_y")),
                ("wx", format!("weight * {p}_x")),
                ("y", format!("{p}_y")),
                ("x", format!("{p}_x")),
                ("wwyy", format!("weight * {p}_y * weight * {p}_y")),
                ("wwxx", format!("weight * {p}_x * weight * {p}_x")),
                ("wwxy", format!("weight * {p}_x * weight * {p}_y")),
            ] {
                columns.push(amount(format!("{p}_{s}"), expr));
            }
        }
        for name in STRAW_USE_COLUMNS {
            columns.push(amount(
                format!("{name}_w"),
                format!("CASE WHEN straw_utilization_x IS NOT NULL THEN weight * {name} ELSE 0.0 END"),
            ));
            columns.push(amount(
                format!("{name}_raw"),
                format!("CASE WHEN straw_utilization_x IS NOT NULL THEN {name} ELSE 0.0 END"),
            ));
        }
        for (name, expr) in [
            (
                "straw_measured",
                "CASE WHEN straw_utilization_x IS NOT NULL THEN straw_utilization_x - straw_estimated_kg - straw_counted_kg ELSE 0.0 END",
            ),
            (
                "straw_counted",
                "CASE WHEN straw_utilization_x IS NOT NULL THEN straw_counted_kg ELSE 0.0 END",
            ),
            (
                "straw_estimated",
                "CASE WHEN straw_utilization_x IS NOT NULL THEN straw_estimated_kg ELSE 0.0 END",
            ),
            (
                "dung_measured",
                "CASE WHEN yak_dung_utilization_x IS NOT NULL THEN yak_dung_utilization_x - dung_estimated_kg ELSE 0.0 END",
            ),
            (
                "dung_estimated",
                "CASE WHEN yak_dung_utilization_x IS NOT NULL THEN dung_estimated_kg ELSE 0.0 END",
            ),
        ] {
            columns.push(amount(name.to_owned(), expr.to_owned()));
        }
        columns
    })
}

/// Where sums are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Summed from the household rows of `survey_facts`.
    Households,
    /// Read from `survey_sums`, its shards added.
    Maintained,
}

impl Source {
    fn table(self) -> &'static str {
        match self {
            Source::Households => FACTS,
            Source::Maintained => SUMS,
        }
    }
}

/// Adds every sum of [`sum_columns`] to `select`, named as its column, summed from
/// `source`; and, when grouped, only groups with households.
fn select_sums(select: &mut SelectStatement, source: Source) {
    for column in sum_columns() {
        let summed = match source {
            Source::Households => format!("COALESCE(SUM({}), 0)", column.household),
            Source::Maintained => format!("SUM({})", column.name),
        };
        let expr = match column.kind {
            Kind::Count => format!("CAST({summed} AS BIGINT)"),
            Kind::Amount => format!("CAST({summed} AS DOUBLE PRECISION)"),
        };
        select.expr_as(Expr::cust(expr), col(&column.name));
    }
}

/// Only groups that hold households: a maintained group every survey left stays as a
/// row of zeros (its revision must keep growing), and is no group.
fn having_households(select: &mut SelectStatement, source: Source) {
    let households = match source {
        Source::Households => "COUNT(*)",
        Source::Maintained => "SUM(households)",
    };
    select.and_having(Expr::cust(format!("{households} > 0")));
}

/// The household rows of `survey_facts` that `query` counts (its grouping aside).
pub(crate) fn households_matching(query: &IndicatorQuery) -> SelectStatement {
    filtered(query, Source::Households)
}

/// The surveys `query` counts, in `source`'s table (its grouping aside).
fn filtered(query: &IndicatorQuery, source: Source) -> SelectStatement {
    let table = source.table();
    let mut select = Query::select();
    select.from(col(table));
    for (code, level) in [&query.scope.region, &query.region].into_iter().flatten() {
        select.and_where(Expr::col((col(table), col(region_column(*level)))).eq(code.clone()));
    }
    if let Some(counties) = &query.scope.counties {
        select.and_where(Expr::col((col(table), col("county_code"))).is_in(counties.clone()));
    }
    if let Some(technician) = &query.scope.technician {
        select.and_where(Expr::col((col(table), col("technician"))).eq(technician.clone()));
    }
    if let Some(from) = query.from_year {
        select.and_where(Expr::col((col(table), col("survey_year"))).gte(from));
    }
    if let Some(to) = query.to_year {
        select.and_where(Expr::col((col(table), col("survey_year"))).lte(to));
    }
    // The counting policy is the analytics crate's, and nowhere else.
    select.and_where(
        Expr::col((col(table), col("review_state")))
            .is_in(query.counting.states().map(ReviewState::key)),
    );
    select
}

fn group_columns(query: &IndicatorQuery, select: &mut SelectStatement) {
    if let Some(level) = query.level {
        select.expr_as(Expr::col(col(region_column(level))), col("g_region"));
        select.group_by_col(col(region_column(level)));
        select.order_by(col(region_column(level)), Order::Asc);
    }
    if query.by_year {
        select.expr_as(Expr::col(col("survey_year")), col("g_year"));
        select.group_by_col(col("survey_year"));
        select.order_by(col("survey_year"), Order::Asc);
    }
}

fn key_of(row: &QueryResult, query: &IndicatorQuery) -> Result<GroupKey, DbErr> {
    Ok(GroupKey {
        region_code: if query.level.is_some() {
            Some(row.try_get::<String>("", "g_region")?)
        } else {
            None
        },
        year: if query.by_year {
            Some(row.try_get::<i32>("", "g_year")?)
        } else {
            None
        },
    })
}

fn count(row: &QueryResult, name: &str) -> Result<u64, DbErr> {
    Ok(row
        .try_get::<Option<i64>>("", name)?
        .unwrap_or(0)
        .clamp(0, i64::MAX) as u64)
}

fn amount(row: &QueryResult, name: &str) -> Result<f64, DbErr> {
    Ok(row.try_get::<Option<f64>>("", name)?.unwrap_or(0.0))
}

/// A group's sums from a row carrying every column of [`sum_columns`].
///
/// Maintained sums are differences added over time, so a sum over households that all
/// left may keep a rounding residue where the household sum is exactly zero: the sums of
/// an indicator no household carries are its zero, and likewise the straw and dung
/// amounts, which are over the households with a straw or dung rate.
fn group_sums_of(row: &QueryResult, key: GroupKey) -> Result<GroupSums, DbErr> {
    let mut sums = GroupSums {
        key,
        households: count(row, "households")? as usize,
        surveys_with_warnings: count(row, "warned")? as usize,
        households_returned_exceeds_used: count(row, "returned_exceeds")? as usize,
        ..GroupSums::default()
    };
    for (indicator, p) in INDICATOR_COLUMNS {
        let n = count(row, &format!("{p}_n"))?;
        let get = |s: &str| -> Result<f64, DbErr> {
            if n == 0 {
                Ok(0.0)
            } else {
                amount(row, &format!("{p}_{s}"))
            }
        };
        sums.indicators.insert(
            indicator,
            RatioSums {
                n,
                wy: get("wy")?,
                wx: get("wx")?,
                y: get("y")?,
                x: get("x")?,
                wwyy: get("wwyy")?,
                wwxx: get("wwxx")?,
                wwxy: get("wwxy")?,
            },
        );
    }
    let has = |indicator: Indicator| sums.indicators.get(&indicator).is_some_and(|s| s.n > 0);
    let (straw, dung) = (
        has(Indicator::StrawUtilization),
        has(Indicator::YakDungUtilization),
    );
    let when = |present: bool, name: &str| -> Result<f64, DbErr> {
        if present { amount(row, name) } else { Ok(0.0) }
    };
    for (k, name) in STRAW_USE_COLUMNS.into_iter().enumerate() {
        sums.straw_uses_weighted_kg[k] = when(straw, &format!("{name}_w"))?;
        sums.straw_uses_kg[k] = when(straw, &format!("{name}_raw"))?;
    }
    sums.provenance.straw_measured_kg = when(straw, "straw_measured")?;
    sums.provenance.straw_counted_kg = when(straw, "straw_counted")?;
    sums.provenance.straw_estimated_kg = when(straw, "straw_estimated")?;
    sums.provenance.dung_measured_kg = when(dung, "dung_measured")?;
    sums.provenance.dung_estimated_kg = when(dung, "dung_estimated")?;
    sums.provenance.straw_crops_excluded = count(row, "straw_excluded")? as u32;
    sums.provenance.dung_sections_excluded = count(row, "dung_excluded_n")? as u32;
    let mut left_out = [0u32; Crop::ALL.len()];
    for (k, n) in left_out.iter_mut().enumerate() {
        *n = count(row, &format!("straw_left_out_{k}"))? as u32;
    }
    sums.provenance.straw_crops_left_out = crops_left_out(left_out);
    Ok(sums)
}

/// The finest grain the sums are kept at: one county, year and review state.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FineKey {
    pub county: String,
    pub prefecture: String,
    pub province: String,
    pub year: i32,
    pub state: String,
}

impl FineKey {
    fn of(row: &QueryResult) -> Result<FineKey, DbErr> {
        Ok(FineKey {
            county: row.try_get("", "county_code")?,
            prefecture: row.try_get("", "prefecture_code")?,
            province: row.try_get("", "province_code")?,
            year: row.try_get("", "survey_year")?,
            state: row.try_get("", "review_state")?,
        })
    }

    /// The group of `query` this fine group falls in.
    fn group_key(&self, query: &IndicatorQuery) -> GroupKey {
        use agriwaste_analytics::RegionLevel;
        GroupKey {
            region_code: query.level.map(|level| match level {
                RegionLevel::County => self.county.clone(),
                RegionLevel::Prefecture => self.prefecture.clone(),
                RegionLevel::Province => self.province.clone(),
            }),
            year: query.by_year.then_some(self.year),
        }
    }
}

/// One fine group's sums, as numbers in [`sum_columns`] order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FineSums {
    counts: Vec<i64>,
    amounts: Vec<f64>,
}

impl FineSums {
    fn zero() -> FineSums {
        let columns = sum_columns();
        FineSums {
            counts: vec![0; columns.iter().filter(|c| c.kind == Kind::Count).count()],
            amounts: vec![0.0; columns.iter().filter(|c| c.kind == Kind::Amount).count()],
        }
    }

    fn of(row: &QueryResult) -> Result<FineSums, DbErr> {
        let mut sums = FineSums {
            counts: Vec::new(),
            amounts: Vec::new(),
        };
        for column in sum_columns() {
            match column.kind {
                Kind::Count => sums
                    .counts
                    .push(row.try_get::<Option<i64>>("", &column.name)?.unwrap_or(0)),
                Kind::Amount => sums
                    .amounts
                    .push(row.try_get::<Option<f64>>("", &column.name)?.unwrap_or(0.0)),
            }
        }
        Ok(sums)
    }

    /// Adds `sign` × `other`.
    fn add(&mut self, other: &FineSums, sign: i8) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += i64::from(sign) * b;
        }
        for (a, b) in self.amounts.iter_mut().zip(&other.amounts) {
            *a += f64::from(sign) * b;
        }
    }

    fn is_zero(&self) -> bool {
        self.counts.iter().all(|&c| c == 0) && self.amounts.iter().all(|&a| a == 0.0)
    }

    /// The values in column order, for an insert.
    fn values(&self) -> Vec<sea_orm::Value> {
        let (mut counts, mut amounts) = (self.counts.iter(), self.amounts.iter());
        sum_columns()
            .iter()
            .map(|column| match column.kind {
                Kind::Count => counts.next().copied().unwrap_or(0).into(),
                Kind::Amount => amounts.next().copied().unwrap_or(0.0).into(),
            })
            .collect()
    }
}

/// Fine groups' sums, in key order.
pub(crate) type FineTable = BTreeMap<FineKey, FineSums>;

/// Surveys per `IN` list when reading their sums.
const IDS_PER_STATEMENT: usize = 5_000;

/// The sums, per fine group, of the household rows of `ids`.
async fn household_sums_of(
    conn: &impl ConnectionTrait,
    ids: &[String],
) -> Result<FineTable, DbErr> {
    let mut table = FineTable::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut select = fine_select(Source::Households);
        select.and_where(Expr::col(col("survey_id")).is_in(chunk.to_vec()));
        for row in conn.query_all(&select).await? {
            let key = FineKey::of(&row)?;
            let sums = FineSums::of(&row)?;
            table
                .entry(key)
                .or_insert_with(FineSums::zero)
                .add(&sums, 1);
        }
    }
    Ok(table)
}

/// Every sum of `source` grouped by the fine key.
fn fine_select(source: Source) -> SelectStatement {
    let mut select = Query::select();
    select.from(col(source.table()));
    for name in KEY_COLUMNS {
        select.column(col(name));
        select.group_by_col(col(name));
    }
    select_sums(&mut select, source);
    select
}

/// What a write does to the sums: the sums of the surveys it changes, read before the
/// change; [`SumsChange::apply`] reads them again after it and adds the difference.
/// Create one before touching `survey_facts` and apply it in the same transaction.
#[must_use = "the sums change only when applied"]
pub(crate) struct SumsChange {
    ids: Vec<String>,
    before: FineTable,
}

impl SumsChange {
    /// Before changing the facts of `ids`.
    pub(crate) async fn before(
        conn: &impl ConnectionTrait,
        ids: Vec<String>,
    ) -> Result<SumsChange, DbErr> {
        let before = household_sums_of(conn, &ids).await?;
        Ok(SumsChange { ids, before })
    }

    /// Surveys that have no facts yet (new ones): nothing to read before.
    pub(crate) fn new_surveys(ids: Vec<String>) -> SumsChange {
        SumsChange {
            ids,
            before: FineTable::new(),
        }
    }

    /// Adds the change to the sums: the surveys' sums now, less those before.
    pub(crate) async fn apply(self, conn: &impl ConnectionTrait) -> Result<(), DbErr> {
        self.difference(conn).await?.apply(conn).await
    }

    /// The change, to be added later with others ([`SumsDelta::absorb`]): a write that
    /// changes facts in several statements adds to the sums once, in key order.
    pub(crate) async fn difference(self, conn: &impl ConnectionTrait) -> Result<SumsDelta, DbErr> {
        let mut delta = household_sums_of(conn, &self.ids).await?;
        for (key, sums) in &self.before {
            delta
                .entry(key.clone())
                .or_insert_with(FineSums::zero)
                .add(sums, -1);
        }
        Ok(SumsDelta(delta))
    }
}

/// A difference to add to the maintained sums ([`SumsChange::difference`]).
#[must_use = "the sums change only when applied"]
#[derive(Debug, Default)]
pub(crate) struct SumsDelta(FineTable);

impl SumsDelta {
    /// Adds `other` to this difference.
    pub(crate) fn absorb(&mut self, other: SumsDelta) {
        for (key, sums) in other.0 {
            self.0
                .entry(key)
                .or_insert_with(FineSums::zero)
                .add(&sums, 1);
        }
    }

    /// Adds the difference to the maintained sums.
    pub(crate) async fn apply(self, conn: &impl ConnectionTrait) -> Result<(), DbErr> {
        let mut delta = self.0;
        delta.retain(|_, sums| !sums.is_zero());
        add_to_sums(conn, delta.into_iter().map(|(k, s)| (k, s, 1)).collect()).await
    }
}

/// Fine groups per statement when naming them one by one.
const GROUPS_PER_STATEMENT: usize = 200;

/// Matches the fine groups `keys` (county, year and review state).
fn groups_condition(keys: &[FineKey]) -> Condition {
    let mut any = Condition::any();
    for key in keys {
        any = any.add(
            Condition::all()
                .add(Expr::col(col("county_code")).eq(key.county.clone()))
                .add(Expr::col(col("survey_year")).eq(key.year))
                .add(Expr::col(col("review_state")).eq(key.state.clone())),
        );
    }
    any
}

/// Recomputes from their household rows the whole maintained groups the surveys `ids`
/// are in, replacing what the rows held: for facts written without knowing what they
/// replaced (the start-up backfill of facts lost or deleted by a migration, whose
/// surveys the sums may or may not hold). Each group's revision still moves.
pub(crate) async fn rebuild_groups_of(
    conn: &impl ConnectionTrait,
    ids: &[String],
) -> Result<(), DbErr> {
    let keys: Vec<FineKey> = household_sums_of(conn, ids).await?.into_keys().collect();
    for chunk in keys.chunks(GROUPS_PER_STATEMENT) {
        let mut revisions = Query::select();
        revisions
            .from(col(SUMS))
            .cond_where(groups_condition(chunk));
        for name in KEY_COLUMNS {
            revisions.column(col(name));
            revisions.group_by_col(col(name));
        }
        revisions.expr_as(Expr::cust("CAST(SUM(revision) AS BIGINT)"), col("rev"));
        let mut old: HashMap<FineKey, i64> = HashMap::new();
        for row in conn.query_all(&revisions).await? {
            old.insert(FineKey::of(&row)?, row.try_get("", "rev")?);
        }
        let delete = Query::delete()
            .from_table(col(SUMS))
            .cond_where(groups_condition(chunk))
            .to_owned();
        conn.execute(&delete).await?;
        let mut select = fine_select(Source::Households);
        select.cond_where(groups_condition(chunk));
        let mut rows = Vec::new();
        for row in conn.query_all(&select).await? {
            let key = FineKey::of(&row)?;
            let revision = old.get(&key).copied().unwrap_or(0) + 1;
            rows.push((key, FineSums::of(&row)?, revision));
        }
        add_to_sums(conn, rows).await?;
    }
    Ok(())
}

/// Adds `delta` to the maintained rows of one shard, creating rows that are not there,
/// in key order: every transaction takes the rows' locks in the same order, so two
/// writers queue rather than deadlock. Each row's revision moves by 1, or starts at the
/// revision given with its delta.
async fn add_to_sums(
    conn: &impl ConnectionTrait,
    mut delta: Vec<(FineKey, FineSums, i64)>,
) -> Result<(), DbErr> {
    delta.sort_by(|a, b| a.0.cmp(&b.0));
    if delta.is_empty() {
        return Ok(());
    }
    let shard: i16 = match conn.get_database_backend() {
        DatabaseBackend::Postgres => (Uuid::new_v4().as_u128() % SHARDS) as i16,
        _ => 0,
    };
    let mut columns: Vec<Alias> = KEY_COLUMNS.into_iter().map(col).collect();
    columns.extend([col("shard"), col("revision")]);
    columns.extend(sum_columns().iter().map(|c| col(&c.name)));
    let mut update: Vec<(Alias, sea_orm::sea_query::SimpleExpr)> =
        vec![(col("revision"), Expr::cust(format!("{SUMS}.revision + 1")))];
    for column in sum_columns() {
        let name = &column.name;
        update.push((
            col(name),
            Expr::cust(format!("{SUMS}.{name} + excluded.{name}")),
        ));
    }
    let on_conflict =
        OnConflict::columns(["county_code", "survey_year", "review_state", "shard"].map(col))
            .values(update)
            .to_owned();
    let per_statement = rows_per_statement(columns.len());
    for chunk in delta.chunks(per_statement) {
        let mut insert = Query::insert();
        insert
            .into_table(col(SUMS))
            .columns(columns.clone())
            .on_conflict(on_conflict.clone());
        for (key, sums, revision) in chunk {
            let mut values: Vec<sea_orm::Value> = vec![
                key.county.clone().into(),
                key.prefecture.clone().into(),
                key.province.clone().into(),
                key.year.into(),
                key.state.clone().into(),
                shard.into(),
                (*revision).into(),
            ];
            values.extend(sums.values());
            insert
                .values(values.into_iter().map(Expr::val))
                .map_err(|e| DbErr::Custom(format!("survey sums: {e}")))?;
        }
        conn.execute(&insert).await?;
    }
    Ok(())
}

/// A difference between the maintained sums and the household rows.
#[derive(Debug, Clone, PartialEq)]
pub struct SumsDifference {
    /// The group: county, year, review state.
    pub group: String,
    /// The sum that differs.
    pub column: String,
    /// What the household rows sum to.
    pub households: f64,
    /// What the maintained rows say.
    pub maintained: f64,
}

/// What `agriwaste verify-aggregates` found.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyReport {
    /// Groups compared (county × year × review state, with households either way).
    pub groups: usize,
    /// Surveys counted in the household rows.
    pub surveys: u64,
    /// Every difference found.
    pub differences: Vec<SumsDifference>,
}

/// Whether two sums agree: counts exactly, amounts to the rounding that summing in
/// another order, and adding differences over time, can leave (1e-9 of the larger of
/// the two, or of 1).
fn agrees(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

impl Storage {
    /// Recomputes every maintained sum from the household rows and reports each
    /// difference: what `agriwaste verify-aggregates` prints, and the end-to-end tests
    /// run after every scenario.
    pub async fn verify_aggregates(&self) -> Result<VerifyReport, StorageError> {
        let households = self.fine_table(Source::Households).await?;
        let maintained = self.fine_table(Source::Maintained).await?;
        let zero = FineSums::zero();
        let mut keys: Vec<&FineKey> = households.keys().chain(maintained.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut differences = Vec::new();
        let mut groups = 0;
        for key in keys {
            let h = households.get(key).unwrap_or(&zero);
            let m = maintained.get(key).unwrap_or(&zero);
            // A maintained group every survey left is a row of zeros (or rounding).
            if h.counts[0] == 0 && m.counts[0] == 0 {
                continue;
            }
            groups += 1;
            let group = format!("{} {} {}", key.county, key.year, key.state);
            let (mut hc, mut mc) = (h.counts.iter(), m.counts.iter());
            let (mut ha, mut ma) = (h.amounts.iter(), m.amounts.iter());
            let n_of = |sums: &FineSums, name: &str| {
                sum_columns()
                    .iter()
                    .filter(|c| c.kind == Kind::Count)
                    .position(|c| c.name == name)
                    .map_or(0, |i| sums.counts[i])
            };
            for column in sum_columns() {
                let (a, b) = match column.kind {
                    Kind::Count => {
                        let (a, b) = (hc.next(), mc.next());
                        (
                            a.copied().unwrap_or(0) as f64,
                            b.copied().unwrap_or(0) as f64,
                        )
                    }
                    Kind::Amount => (
                        ha.next().copied().unwrap_or(0.0),
                        ma.next().copied().unwrap_or(0.0),
                    ),
                };
                let exact = column.kind == Kind::Count;
                // An amount over households none of which carry it is read as zero (see
                // `group_sums_of`): a residue there is not a difference anyone sees.
                let carried = INDICATOR_COLUMNS
                    .iter()
                    .find(|(_, p)| column.name.starts_with(&format!("{p}_")))
                    .map(|(_, p)| n_of(h, &format!("{p}_n")) > 0)
                    .unwrap_or(true);
                let ok = if exact {
                    a == b
                } else {
                    !carried && a == 0.0 || agrees(a, b)
                };
                if !ok {
                    differences.push(SumsDifference {
                        group: group.clone(),
                        column: column.name.clone(),
                        households: a,
                        maintained: b,
                    });
                }
            }
        }
        let surveys = households
            .values()
            .map(|s| Ord::max(s.counts[0], 0) as u64)
            .sum();
        Ok(VerifyReport {
            groups,
            surveys,
            differences,
        })
    }

    async fn fine_table(&self, source: Source) -> Result<FineTable, StorageError> {
        let rows = self.db.query_all(&fine_select(source)).await?;
        let mut table = FineTable::new();
        for row in rows {
            table.insert(FineKey::of(&row)?, FineSums::of(&row)?);
        }
        Ok(table)
    }

    /// Fills the maintained sums from the household rows when they are empty and there
    /// are households (the first start after the migration that created them); once,
    /// whichever replica starts first. Returns the groups written.
    pub(crate) async fn build_sums_if_empty(&self) -> Result<usize, StorageError> {
        let _writer = self.write_guard().await;
        let txn = sea_orm::TransactionTrait::begin(&self.db).await?;
        lock_advisory_keys(&txn, [REBUILD_LOCK]).await?;
        let any = |table: &str| {
            Query::select()
                .expr(Expr::cust("1"))
                .from(col(table))
                .limit(1)
                .to_owned()
        };
        let sums_exist = txn.query_one(&any(SUMS)).await?.is_some();
        let facts_exist = txn.query_one(&any(FACTS)).await?.is_some();
        if sums_exist || !facts_exist {
            txn.commit().await?;
            return Ok(0);
        }
        let rows = txn.query_all(&fine_select(Source::Households)).await?;
        let mut table = FineTable::new();
        for row in rows {
            table.insert(FineKey::of(&row)?, FineSums::of(&row)?);
        }
        let groups = table.len();
        add_to_sums(&txn, table.into_iter().map(|(k, s)| (k, s, 1)).collect()).await?;
        super::facts::count_change(&txn).await?;
        txn.commit().await?;
        Ok(groups)
    }

    /// The latest survey year among the surveys matching `query` (its grouping aside),
    /// or `None` when none match: what a chart pooling every year compares with that
    /// year's targets, found without summing anything.
    pub async fn latest_year(&self, query: &IndicatorQuery) -> Result<Option<i32>, StorageError> {
        let source = source_for(query);
        let mut select = filtered(query, source);
        // Per year, not per row: one shard's row may count -1 households where another
        // counts +1, and a year every survey left is no year.
        select
            .expr_as(Expr::col(col("survey_year")), col("latest"))
            .group_by_col(col("survey_year"))
            .order_by(col("survey_year"), Order::Desc)
            .limit(1);
        having_households(&mut select, source);
        let row = self.db.query_one(&select).await?;
        Ok(match row {
            Some(row) => row.try_get::<Option<i32>>("", "latest")?,
            None => None,
        })
    }

    /// The grouped sums of the surveys matching `query`: one query of the maintained
    /// sums (or of a technician's own household rows), one of the groups' revisions, and
    /// the film-per-mu figures as `film` asks for them, from the caches where the groups'
    /// revisions are the cached ones (see [`FilmDetail`]).
    pub async fn indicator_sums(
        &self,
        query: &IndicatorQuery,
        film: FilmDetail,
    ) -> Result<Vec<GroupSums>, StorageError> {
        let source = source_for(query);
        // Revisions first: values read after them are at least as new as the key they
        // are cached under.
        let revisions = match source {
            Source::Maintained => Some(self.revisions(query).await?),
            Source::Households => None,
        };
        let mut groups = self.additive_sums(query).await?;
        let index: HashMap<GroupKey, usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.key.clone(), i))
            .collect();
        let Some(revisions) = revisions else {
            self.household_film_values(query, source, &index, &mut groups)
                .await?;
            return Ok(groups);
        };
        // Each group's fine groups with film values, in key order.
        let mut members: Vec<Vec<(FineKey, i64)>> = vec![Vec::new(); groups.len()];
        for (key, revision) in revisions {
            if let Some(&i) = index.get(&key.group_key(query)) {
                members[i].push((key, revision));
            }
        }
        for group in &mut members {
            group.sort();
        }
        match film {
            FilmDetail::Values => {
                let all = members.iter().flatten().cloned().collect();
                let values: HashMap<FineKey, FilmValues> =
                    self.film_values(all).await?.into_iter().collect();
                for (group, members) in groups.iter_mut().zip(&members) {
                    for (key, _) in members {
                        if let Some(values) = values.get(key) {
                            group.film_kg_per_mu.extend(values.iter().copied());
                        }
                    }
                }
            }
            FilmDetail::Finished => self.finish_film(&mut groups, &members).await?,
        }
        Ok(groups)
    }

    /// Sets each group's film median and outliers, from the cache where its fine groups'
    /// revisions are the cached ones, else found from their values (themselves read only
    /// for the fine groups that changed) and cached.
    async fn finish_film(
        &self,
        groups: &mut [GroupSums],
        members: &[Vec<(FineKey, i64)>],
    ) -> Result<(), StorageError> {
        let mut missing = Vec::new();
        {
            let cache = self.film_finished.lock().unwrap_or_else(|e| e.into_inner());
            for (i, (group, members)) in groups.iter_mut().zip(members).enumerate() {
                let keys: Vec<FineKey> = members.iter().map(|(k, _)| k.clone()).collect();
                match cache.get(&keys) {
                    Some((revisions, finished))
                        if revisions.iter().eq(members.iter().map(|(_, r)| r)) =>
                    {
                        group.film_finished = Some(FilmOutliers::clone(finished));
                    }
                    _ => missing.push(i),
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let needed = missing
            .iter()
            .flat_map(|&i| members[i].iter().cloned())
            .collect();
        let values: HashMap<FineKey, FilmValues> =
            self.film_values(needed).await?.into_iter().collect();
        let mut cache = self.film_finished.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() > FILM_FINISHED_ENTRIES {
            cache.clear();
        }
        for i in missing {
            let mut all = Vec::new();
            for (key, _) in &members[i] {
                all.extend(values.get(key).into_iter().flat_map(|v| v.iter().copied()));
            }
            let finished = Arc::new(film_outliers(&all));
            groups[i].film_finished = Some(FilmOutliers::clone(&finished));
            let keys = members[i].iter().map(|(k, _)| k.clone()).collect();
            let revisions = members[i].iter().map(|(_, r)| *r).collect();
            cache.insert(keys, (revisions, finished));
        }
        Ok(())
    }

    /// A technician's groups' film values, from their own household rows.
    async fn household_film_values(
        &self,
        query: &IndicatorQuery,
        source: Source,
        index: &HashMap<GroupKey, usize>,
        groups: &mut [GroupSums],
    ) -> Result<(), StorageError> {
        let mut select = filtered(query, source);
        for name in KEY_COLUMNS {
            select.column(col(name));
        }
        select
            .column(col("survey_id"))
            .column(col("film_kg_per_mu"))
            .and_where(Expr::col(col("film_kg_per_mu")).is_not_null());
        for row in self.db.query_all(&select).await? {
            let key = FineKey::of(&row)?.group_key(query);
            let id: String = row.try_get("", "survey_id")?;
            let value: f64 = row.try_get("", "film_kg_per_mu")?;
            if let (Some(&i), Ok(id)) = (index.get(&key), Uuid::parse_str(&id)) {
                groups[i].film_kg_per_mu.push((value, id));
            }
        }
        Ok(())
    }

    /// The grouped sums of the surveys matching `query` without the film-per-mu values
    /// (`film_kg_per_mu` empty): everything that adds up, in one query whose cost is the
    /// answer's size. What a client that finishes the figures itself downloads.
    pub async fn additive_sums(
        &self,
        query: &IndicatorQuery,
    ) -> Result<Vec<GroupSums>, StorageError> {
        let source = source_for(query);
        let mut select = filtered(query, source);
        group_columns(query, &mut select);
        select_sums(&mut select, source);
        having_households(&mut select, source);
        let rows = self.db.query_all(&select).await?;
        rows.iter()
            .map(|row| Ok(group_sums_of(row, key_of(row, query)?)?))
            .collect()
    }

    /// Each fine group `query` covers that has film-per-mu values, with its revision.
    async fn revisions(&self, query: &IndicatorQuery) -> Result<Vec<(FineKey, i64)>, StorageError> {
        let mut select = filtered(query, Source::Maintained);
        for name in KEY_COLUMNS {
            select.column(col(name));
            select.group_by_col(col(name));
        }
        select.expr_as(Expr::cust("CAST(SUM(revision) AS BIGINT)"), col("rev"));
        select.and_having(Expr::cust("SUM(households) > 0"));
        select.and_having(Expr::cust("SUM(film_n) > 0"));
        let rows = self.db.query_all(&select).await?;
        rows.iter()
            .map(|row| Ok((FineKey::of(row)?, row.try_get::<i64>("", "rev")?)))
            .collect()
    }

    /// The film-per-mu values of each fine group, from the cache where its revision is
    /// the one cached, else read (all the changed groups in as few queries as the
    /// bind-parameter limit allows) and cached.
    async fn film_values(
        &self,
        revisions: Vec<(FineKey, i64)>,
    ) -> Result<Vec<(FineKey, FilmValues)>, StorageError> {
        let mut found = Vec::with_capacity(revisions.len());
        let mut stale = Vec::new();
        {
            let cache = self.film_cache.lock().unwrap_or_else(|e| e.into_inner());
            for (key, revision) in revisions {
                match cache.get(&key) {
                    Some((cached, values)) if *cached == revision => {
                        found.push((key, values.clone()));
                    }
                    _ => stale.push((key, revision)),
                }
            }
        }
        for chunk in stale.chunks(GROUPS_PER_STATEMENT) {
            // Only the index's columns (`ix_survey_facts_film`): the values are read from
            // the index alone, not from a million-row table's pages.
            let select = Query::select()
                .columns(FILM_INDEX_COLUMNS.map(col))
                .from(col(FACTS))
                .and_where(Expr::col(col("film_kg_per_mu")).is_not_null())
                .cond_where(groups_condition(
                    &chunk.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
                ))
                .to_owned();
            let mut read: HashMap<(String, i32, String), Vec<(f64, Uuid)>> = HashMap::new();
            for row in self.db.query_all(&select).await? {
                let id: String = row.try_get("", "survey_id")?;
                let id = Uuid::parse_str(&id)
                    .map_err(|e| StorageError::Corrupt(format!("facts of {id}"), e.to_string()))?;
                let key = (
                    row.try_get("", "county_code")?,
                    row.try_get("", "survey_year")?,
                    row.try_get("", "review_state")?,
                );
                read.entry(key)
                    .or_default()
                    .push((row.try_get("", "film_kg_per_mu")?, id));
            }
            let mut cache = self.film_cache.lock().unwrap_or_else(|e| e.into_inner());
            for (key, revision) in chunk {
                let triple = (key.county.clone(), key.year, key.state.clone());
                let values: FilmValues = Arc::new(read.remove(&triple).unwrap_or_default());
                cache.insert(key.clone(), (*revision, values.clone()));
                found.push((key.clone(), values));
            }
        }
        Ok(found)
    }
}

/// Film-per-mu values and survey ids of one fine group.
pub(crate) type FilmValues = Arc<Vec<(f64, Uuid)>>;

/// The film-per-mu cache: per fine group, the revision its values were read at.
pub(crate) type FilmCache = std::sync::Mutex<HashMap<FineKey, (i64, FilmValues)>>;

/// The finished film figures: per set of fine groups (a group of some query), their
/// revisions and the median and outliers of their values.
pub(crate) type FilmFinishedCache =
    std::sync::Mutex<HashMap<Vec<FineKey>, (Vec<i64>, Arc<FilmOutliers>)>>;

/// Entries of [`FilmFinishedCache`] before it is emptied: each query shape (level, years,
/// review filter, region) keeps one per group, so this is many shapes' worth, a few
/// megabytes at most.
const FILM_FINISHED_ENTRIES: usize = 20_000;

/// The columns of `ix_survey_facts_film`: the fine group, then what the median needs.
const FILM_INDEX_COLUMNS: [&str; 5] = [
    "county_code",
    "survey_year",
    "review_state",
    "film_kg_per_mu",
    "survey_id",
];

/// How [`Storage::indicator_sums`] hands over the film-per-mu figures, which cannot be
/// summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilmDetail {
    /// Every household's value (`GroupSums::film_kg_per_mu`): for callers that add
    /// groups together (the progress board adds counties into regions).
    Values,
    /// Each group's median and outliers (`GroupSums::film_finished`), found once per
    /// group and revision and cached, so a read after a write redoes only the group that
    /// changed: for callers that finish the groups as they come (`/indicators`).
    Finished,
}

/// Maintained sums serve every filter but a technician's own surveys.
fn source_for(query: &IndicatorQuery) -> Source {
    if query.scope.technician.is_some() {
        Source::Households
    } else {
        Source::Maintained
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sum_has_a_unique_column() {
        let mut names: Vec<&str> = sum_columns().iter().map(|c| c.name.as_str()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        assert_eq!(sum_columns()[0].name, "households", "verify reads it first");
    }

    #[test]
    fn a_difference_added_back_gives_zero() {
        let mut a = FineSums::zero();
        a.counts[0] = 3;
        a.amounts[1] = 2.5;
        let mut b = a.clone();
        b.add(&a, -1);
        assert!(b.is_zero());
        assert!(agrees(1e12, 1e12 + 1.0));
        assert!(!agrees(1.0, 1.0 + 1e-6));
    }
}
