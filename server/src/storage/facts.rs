//! Per-survey indicator facts and the grouped sums the indicators are finished from.
//!
//! When a survey is stored or corrected, the analytics crate reduces it to its
//! [`HouseholdFacts`] and they are written to `survey_facts` in the same transaction. The
//! indicators endpoint then asks the database for eight sums per indicator and group
//! (see `agriwaste_analytics::estimate::RatioSums`) and hands them to the crate, which
//! computes the rates, intervals and flags: the database filters and sums, the crate
//! does the statistics, and no survey JSON is read.

use agriwaste_analytics::indicators::{HouseholdFacts, Indicator};
use agriwaste_analytics::review::{Counting, ReviewState};
use agriwaste_analytics::{Coefficients, RegionLevel, Survey};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use uuid::Uuid;

use super::aggregates::{SumsChange, households_matching, rebuild_groups_of};
use super::coefficients::survey_rows_for_facts;
use super::{Storage, StorageError, rows_per_statement};
use crate::auth::SurveyScope;

const TABLE: &str = "survey_facts";

/// Each indicator and the prefix of its `_y` / `_x` columns.
pub(crate) const INDICATOR_COLUMNS: [(Indicator, &str); 7] = [
    (Indicator::FilmRecovery, "film_recovery"),
    (Indicator::PesticidePackagingRecovery, "pesticide_count"),
    (Indicator::PesticidePackagingRecoveryKg, "pesticide_kg"),
    (Indicator::StrawUtilization, "straw_utilization"),
    (Indicator::YakDungUtilization, "yak_dung_utilization"),
    (Indicator::FilmThicknessCompliance, "film_thickness"),
    (Indicator::DegradableFilmShare, "degradable_share"),
];

/// The straw-use columns, in `StrawUse::ALL` order.
pub(crate) const STRAW_USE_COLUMNS: [&str; 5] = [
    "straw_fertilizer_kg",
    "straw_feed_kg",
    "straw_substrate_kg",
    "straw_fuel_kg",
    "straw_raw_material_kg",
];

/// What [`Storage::data_version`] returns: equal tokens mean the same data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataVersion(String);

impl std::fmt::Display for DataVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

/// One `survey_facts` row: a survey reduced to its [`HouseholdFacts`], in the order of
/// [`fact_columns`].
pub(crate) struct FactsRow(Vec<sea_orm::Value>);

impl FactsRow {
    /// The facts of `survey` as estimated with `coefficients`.
    pub(crate) fn of(
        survey: &Survey,
        warnings: usize,
        review: ReviewState,
        prefecture_code: &str,
        province_code: &str,
        coefficients: &Coefficients,
    ) -> FactsRow {
        let facts = HouseholdFacts::from_survey(survey, coefficients, None);
        let mut values: Vec<sea_orm::Value> = vec![
            survey.id.to_string().into(),
            survey.county_code.clone().into(),
            prefecture_code.to_owned().into(),
            province_code.to_owned().into(),
            survey.year().into(),
            survey.technician.clone().into(),
            review.key().into(),
            facts.weight.into(),
            (warnings as i32).into(),
        ];
        for (indicator, _) in INDICATOR_COLUMNS {
            let ratio = facts.get(indicator);
            values.push(ratio.map(|r| r.y).into());
            values.push(ratio.map(|r| r.x).into());
        }
        values.extend(facts.straw_uses_kg.map(sea_orm::Value::from));
        values.extend([
            facts.straw_estimated_kg.into(),
            facts.dung_estimated_kg.into(),
            (facts.straw_crops_excluded as i32).into(),
            i32::from(facts.dung_excluded).into(),
            facts.film_kg_per_mu.into(),
            facts.straw_counted_kg.into(),
            i32::from(facts.straw_excluded_crops).into(),
        ]);
        FactsRow(values)
    }
}

/// The columns of a [`FactsRow`], in its order.
fn fact_columns() -> Vec<Alias> {
    let mut columns: Vec<Alias> = [
        "survey_id",
        "county_code",
        "prefecture_code",
        "province_code",
        "survey_year",
        "technician",
        "review_state",
        "weight",
        "warnings",
    ]
    .into_iter()
    .map(col)
    .collect();
    for (_, prefix) in INDICATOR_COLUMNS {
        columns.push(col(&format!("{prefix}_y")));
        columns.push(col(&format!("{prefix}_x")));
    }
    columns.extend(STRAW_USE_COLUMNS.map(col));
    columns.extend(
        [
            "straw_estimated_kg",
            "dung_estimated_kg",
            "straw_crops_excluded",
            "dung_excluded",
            "film_kg_per_mu",
            "straw_counted_kg",
            "straw_excluded_crops",
        ]
        .map(col),
    );
    columns
}

impl FactsRow {
    /// The survey the row is of.
    fn survey_id(&self) -> String {
        match self.0.first() {
            Some(sea_orm::Value::String(Some(id))) => id.to_string(),
            _ => String::new(),
        }
    }
}

/// Inserts rows of facts as few multi-row statements as the bind-parameter limit
/// allows; the sums are the caller's.
async fn insert_rows(conn: &impl ConnectionTrait, rows: Vec<FactsRow>) -> Result<(), DbErr> {
    let columns = fact_columns();
    let per_statement = rows_per_statement(columns.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut insert = Query::insert();
        insert.into_table(col(TABLE)).columns(columns.clone());
        for FactsRow(values) in rows.by_ref().take(per_statement) {
            insert
                .values(values.into_iter().map(Expr::val))
                .map_err(|e| DbErr::Custom(format!("survey facts: {e}")))?;
        }
        conn.execute(&insert).await?;
    }
    Ok(())
}

/// Inserts the facts of surveys that have none yet (new surveys) and adds them to the
/// maintained sums; call inside the transaction that stores the surveys.
pub(crate) async fn insert_facts(
    conn: &impl ConnectionTrait,
    rows: Vec<FactsRow>,
) -> Result<(), DbErr> {
    let change = SumsChange::new_surveys(rows.iter().map(FactsRow::survey_id).collect());
    insert_rows(conn, rows).await?;
    change.apply(conn).await
}

/// Writes (or rewrites) the facts of surveys, whatever they held before (a correction
/// may move a survey to another county or year, a coefficient edit changes its
/// estimates), and moves the maintained sums by the difference; call inside the
/// transaction that stores the surveys.
pub(crate) async fn replace_facts(
    conn: &impl ConnectionTrait,
    rows: Vec<FactsRow>,
) -> Result<(), DbErr> {
    let ids: Vec<String> = rows.iter().map(FactsRow::survey_id).collect();
    let change = SumsChange::before(conn, ids.clone()).await?;
    for chunk in ids.chunks(5_000) {
        let delete = Query::delete()
            .from_table(col(TABLE))
            .and_where(Expr::col(col("survey_id")).is_in(chunk.to_vec()))
            .to_owned();
        conn.execute(&delete).await?;
    }
    insert_rows(conn, rows).await?;
    change.apply(conn).await
}

/// The table whose sum is [`Storage::data_version`] (see the migration that creates it).
const CHANGE_COUNTER: &str = "change_counter";

/// Moves [`Storage::data_version`] for a write that appends no audit row (the start-up
/// backfill of facts); call inside the write's transaction, as its last statement, so the
/// counter's row lock is held only until the commit that follows and no lock is taken
/// after it. Audited writes need not call it: the audit log's trigger counts them.
pub(crate) async fn count_change(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    let update = Query::update()
        .table(col(CHANGE_COUNTER))
        .value(col("n"), Expr::col(col("n")).add(1))
        .and_where(Expr::col(col("shard")).eq(0))
        .to_owned();
    conn.execute(&update).await?;
    Ok(())
}

/// Keeps the facts' copy of the review state in step with the surveys', and moves the
/// surveys' sums from their old states to the new one.
pub(crate) async fn set_review_state(
    conn: &impl ConnectionTrait,
    ids: &[String],
    review: ReviewState,
) -> Result<(), DbErr> {
    let change = SumsChange::before(conn, ids.to_vec()).await?;
    let update = Query::update()
        .table(col(TABLE))
        .value(col("review_state"), review.key())
        .and_where(Expr::col(col("survey_id")).is_in(ids.to_vec()))
        .to_owned();
    conn.execute(&update).await?;
    change.apply(conn).await
}

/// Which surveys count, and how to group them.
#[derive(Debug, Clone)]
pub struct IndicatorQuery {
    /// Group by this region level (none: one group for every region).
    pub level: Option<RegionLevel>,
    /// Split groups by year.
    pub by_year: bool,
    /// Only surveys in this region.
    pub region: Option<(String, RegionLevel)>,
    /// The caller's scope.
    pub scope: SurveyScope,
    /// Years, inclusive.
    pub from_year: Option<i32>,
    /// Years, inclusive.
    pub to_year: Option<i32>,
    /// Which review states count.
    pub counting: Counting,
}

/// The column of `survey_facts` (and `survey_sums`) holding a survey's region at `level`.
pub(crate) fn region_column(level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::County => "county_code",
        RegionLevel::Prefecture => "prefecture_code",
        RegionLevel::Province => "province_code",
    }
}

/// A household's ratio from its numerator and denominator columns: none unless both
/// are there (the household does not count for that indicator).
fn ratio_of(
    row: &QueryResult,
    y: &str,
    x: &str,
) -> Result<Option<agriwaste_analytics::indicators::Ratio>, DbErr> {
    Ok(
        match (
            row.try_get::<Option<f64>>("", y)?,
            row.try_get::<Option<f64>>("", x)?,
        ) {
            (Some(y), Some(x)) => Some(agriwaste_analytics::indicators::Ratio { y, x }),
            _ => None,
        },
    )
}

/// The survey a row of facts belongs to.
fn survey_id_of(row: &QueryResult) -> Result<Uuid, StorageError> {
    let id: String = row.try_get("", "survey_id")?;
    Uuid::parse_str(&id).map_err(|e| StorageError::Corrupt(format!("facts of {id}"), e.to_string()))
}

impl Storage {
    /// A token that changes whenever anything the indicators depend on changes, for the
    /// response caches and ETags: the sum of `change_counter`, to which a trigger on
    /// `audit_log` adds in the transaction of every write (every write appends to the
    /// audit log in its own transaction); the rare write without an audit row calls
    /// `count_change`.
    ///
    /// A sum rather than the audit log's last id because on PostgreSQL two replicas'
    /// transactions can commit out of id order: a response computed between those
    /// commits would see the later id but not the earlier transaction's rows, and stay
    /// cached until some other write. Every commit adds at least 1 to the sum, in
    /// whatever order it lands, and the sets of commits that successive reads see only
    /// grow, so equal sums mean the same commits. Unlike PostgreSQL's snapshot and
    /// transaction ids, which every database of the server and vacuum move, only this
    /// database's writes move the counter, so a revalidation stays a 304 while nothing
    /// here changed. Callers read the version before computing the answer, so an answer
    /// is never older than the version it is kept under.
    pub async fn data_version(&self) -> Result<DataVersion, StorageError> {
        let select = Query::select()
            .expr_as(Expr::cust("CAST(COALESCE(SUM(n), 0) AS BIGINT)"), col("v"))
            .from(col(CHANGE_COUNTER))
            .to_owned();
        let row = self.db.query_one(&select).await?;
        let changes = match row {
            Some(row) => row.try_get::<i64>("", "v")?,
            None => 0,
        };
        Ok(DataVersion(changes.to_string()))
    }

    /// Computes facts for surveys stored before facts existed (or by an older version):
    /// run at start-up, cheap when there is nothing to do.
    pub(crate) async fn backfill_facts(&self) -> Result<u64, StorageError> {
        let mut written = 0;
        loop {
            let select = survey_rows_for_facts()
                .left_join(
                    col(TABLE),
                    Expr::col((col(TABLE), col("survey_id"))).equals((col("surveys"), col("id"))),
                )
                .and_where(Expr::col((col(TABLE), col("survey_id"))).is_null())
                .limit(500)
                .to_owned();
            let rows = self.db.query_all(&select).await?;
            if rows.is_empty() {
                return Ok(written);
            }
            let _writer = self.write_guard().await;
            let txn = sea_orm::TransactionTrait::begin(&self.db).await?;
            let table = self.coefficient_table_for_write(&txn).await?;
            written += self.rewrite_facts(&txn, &rows, &table).await?;
            // Whether the sums still hold these surveys (facts lost) or not (deleted by a
            // migration to be recomputed) is not known: their groups are summed anew.
            let ids: Vec<String> = rows
                .iter()
                .map(|row| row.try_get::<String>("", "id"))
                .collect::<Result<_, _>>()?;
            rebuild_groups_of(&txn, &ids).await?;
            count_change(&txn).await?;
            txn.commit().await?;
        }
    }
}

/// What `survey_facts` holds per household, besides the survey id and the region codes.
const FACT_COLUMNS: [&str; 10] = [
    "survey_year",
    "weight",
    "review_state",
    "warnings",
    "straw_estimated_kg",
    "straw_counted_kg",
    "straw_crops_excluded",
    "straw_excluded_crops",
    "dung_estimated_kg",
    "dung_excluded",
];

impl Storage {
    /// The facts of every household matching `query` (its grouping is ignored), with the
    /// survey's GPS position, in survey-id order, as columns: what the dashboard computes
    /// its figures from. One query.
    pub async fn fact_columns(
        &self,
        query: &IndicatorQuery,
    ) -> Result<agriwaste_analytics::columns::FactColumns, StorageError> {
        let mut select = households_matching(query);
        select.columns([
            (col(TABLE), col("survey_id")),
            (col(TABLE), col("county_code")),
        ]);
        for name in FACT_COLUMNS.into_iter().chain(["film_kg_per_mu"]) {
            select.column((col(TABLE), col(name)));
        }
        for (_, p) in INDICATOR_COLUMNS {
            select.column((col(TABLE), col(&format!("{p}_y"))));
            select.column((col(TABLE), col(&format!("{p}_x"))));
        }
        for name in STRAW_USE_COLUMNS {
            select.column((col(TABLE), col(name)));
        }
        select
            .columns([(col("s"), col("lat")), (col("s"), col("lon"))])
            .join_as(
                sea_orm::sea_query::JoinType::InnerJoin,
                col("surveys"),
                col("s"),
                Expr::col((col("s"), col("id"))).equals((col(TABLE), col("survey_id"))),
            )
            .order_by((col(TABLE), col("survey_id")), Order::Asc);
        let rows = self.db.query_all(&select).await?;
        let mut columns = agriwaste_analytics::columns::FactColumns::new();
        for row in &rows {
            let survey_id = survey_id_of(row)?;
            let ratio = |p: &str| ratio_of(row, &format!("{p}_y"), &format!("{p}_x"));
            let mut uses = [0.0; 5];
            for (slot, name) in uses.iter_mut().zip(STRAW_USE_COLUMNS) {
                *slot = row.try_get::<Option<f64>>("", name)?.unwrap_or(0.0);
            }
            let facts = HouseholdFacts {
                survey_id,
                county_code: row.try_get("", "county_code")?,
                year: row.try_get("", "survey_year")?,
                weight: row.try_get("", "weight")?,
                film_recovery: ratio("film_recovery")?,
                pesticide_recovery_count: ratio("pesticide_count")?,
                pesticide_recovery_kg: ratio("pesticide_kg")?,
                straw_utilization: ratio("straw_utilization")?,
                yak_dung_utilization: ratio("yak_dung_utilization")?,
                film_thickness_compliance: ratio("film_thickness")?,
                degradable_film_share: ratio("degradable_share")?,
                straw_uses_kg: uses,
                straw_estimated_kg: row
                    .try_get::<Option<f64>>("", "straw_estimated_kg")?
                    .unwrap_or(0.0),
                straw_counted_kg: row
                    .try_get::<Option<f64>>("", "straw_counted_kg")?
                    .unwrap_or(0.0),
                straw_crops_excluded: Ord::max(
                    row.try_get::<Option<i32>>("", "straw_crops_excluded")?
                        .unwrap_or(0),
                    0,
                ) as u32,
                straw_excluded_crops: row
                    .try_get::<Option<i32>>("", "straw_excluded_crops")?
                    .unwrap_or(0)
                    .clamp(0, i32::from(u8::MAX)) as u8,
                dung_estimated_kg: row
                    .try_get::<Option<f64>>("", "dung_estimated_kg")?
                    .unwrap_or(0.0),
                dung_excluded: row
                    .try_get::<Option<i32>>("", "dung_excluded")?
                    .unwrap_or(0)
                    != 0,
                film_kg_per_mu: row.try_get("", "film_kg_per_mu")?,
                warnings: Ord::max(row.try_get::<Option<i32>>("", "warnings")?.unwrap_or(0), 0)
                    as u32,
                lat: row.try_get("", "lat")?,
                lon: row.try_get("", "lon")?,
            };
            let review: String = row.try_get("", "review_state")?;
            columns.push(&facts, review == ReviewState::Approved.key());
        }
        Ok(columns)
    }
}
