//! Per-survey indicator facts and the grouped sums the indicators are finished from.
//!
//! When a survey is stored or corrected, the analytics crate reduces it to its
//! [`HouseholdFacts`] and they are written to `survey_facts` in the same transaction. The
//! indicators endpoint then asks the database for eight sums per indicator and group
//! (see `agriwaste_analytics::estimate::RatioSums`) and hands them to the crate, which
//! computes the rates, intervals and flags: the database filters and sums, the crate
//! does the statistics, and no survey JSON is read.

use agriwaste_analytics::indicators::{HouseholdFacts, Indicator, Ratio};
use agriwaste_analytics::review::{Counting, ReviewState};
use agriwaste_analytics::{Coefficients, RegionLevel, Survey};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Iterable,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::aggregates::{SumsChange, SumsDelta, households_matching, rebuild_groups_of};
use super::coefficients::survey_rows_for_facts;
use super::entities::{change_counter, survey_facts};
use super::{Storage, StorageError, insert_all};
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

/// One `survey_facts` row: a survey reduced to its [`HouseholdFacts`].
pub(crate) struct FactsRow(survey_facts::ActiveModel);

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
        let f = HouseholdFacts::from_survey(survey, coefficients, None);
        let y = |r: Option<Ratio>| Set(r.map(|r| r.y));
        let x = |r: Option<Ratio>| Set(r.map(|r| r.x));
        let [fertilizer, feed, substrate, fuel, raw_material] = f.straw_uses_kg;
        FactsRow(survey_facts::ActiveModel {
            survey_id: Set(survey.id.to_string()),
            county_code: Set(survey.county_code.clone()),
            prefecture_code: Set(prefecture_code.to_owned()),
            province_code: Set(province_code.to_owned()),
            survey_year: Set(survey.year()),
            technician: Set(survey.technician.clone()),
            review_state: Set(review.key().to_owned()),
            weight: Set(f.weight),
            warnings: Set(warnings as i32),
            film_recovery_y: y(f.film_recovery),
            film_recovery_x: x(f.film_recovery),
            pesticide_count_y: y(f.pesticide_recovery_count),
            pesticide_count_x: x(f.pesticide_recovery_count),
            pesticide_kg_y: y(f.pesticide_recovery_kg),
            pesticide_kg_x: x(f.pesticide_recovery_kg),
            straw_utilization_y: y(f.straw_utilization),
            straw_utilization_x: x(f.straw_utilization),
            yak_dung_utilization_y: y(f.yak_dung_utilization),
            yak_dung_utilization_x: x(f.yak_dung_utilization),
            film_thickness_y: y(f.film_thickness_compliance),
            film_thickness_x: x(f.film_thickness_compliance),
            degradable_share_y: y(f.degradable_film_share),
            degradable_share_x: x(f.degradable_film_share),
            straw_fertilizer_kg: Set(fertilizer),
            straw_feed_kg: Set(feed),
            straw_substrate_kg: Set(substrate),
            straw_fuel_kg: Set(fuel),
            straw_raw_material_kg: Set(raw_material),
            straw_estimated_kg: Set(f.straw_estimated_kg),
            dung_estimated_kg: Set(f.dung_estimated_kg),
            straw_crops_excluded: Set(f.straw_crops_excluded as i32),
            dung_excluded: Set(i32::from(f.dung_excluded)),
            film_kg_per_mu: Set(f.film_kg_per_mu),
            straw_counted_kg: Set(f.straw_counted_kg),
            straw_excluded_crops: Set(i32::from(f.straw_excluded_crops)),
        })
    }
}

/// A stored row's facts, with the survey's position: the reverse of [`FactsRow::of`].
fn household_facts(
    row: survey_facts::Model,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Result<HouseholdFacts, StorageError> {
    let survey_id = Uuid::parse_str(&row.survey_id)
        .map_err(|e| StorageError::Corrupt(format!("facts of {}", row.survey_id), e.to_string()))?;
    let ratio = |y: Option<f64>, x: Option<f64>| match (y, x) {
        (Some(y), Some(x)) => Some(Ratio { y, x }),
        _ => None,
    };
    Ok(HouseholdFacts {
        survey_id,
        county_code: row.county_code,
        year: row.survey_year,
        weight: row.weight,
        film_recovery: ratio(row.film_recovery_y, row.film_recovery_x),
        pesticide_recovery_count: ratio(row.pesticide_count_y, row.pesticide_count_x),
        pesticide_recovery_kg: ratio(row.pesticide_kg_y, row.pesticide_kg_x),
        straw_utilization: ratio(row.straw_utilization_y, row.straw_utilization_x),
        yak_dung_utilization: ratio(row.yak_dung_utilization_y, row.yak_dung_utilization_x),
        film_thickness_compliance: ratio(row.film_thickness_y, row.film_thickness_x),
        degradable_film_share: ratio(row.degradable_share_y, row.degradable_share_x),
        straw_uses_kg: [
            row.straw_fertilizer_kg,
            row.straw_feed_kg,
            row.straw_substrate_kg,
            row.straw_fuel_kg,
            row.straw_raw_material_kg,
        ],
        straw_estimated_kg: row.straw_estimated_kg,
        straw_counted_kg: row.straw_counted_kg,
        straw_crops_excluded: Ord::max(row.straw_crops_excluded, 0) as u32,
        straw_excluded_crops: row.straw_excluded_crops.clamp(0, i32::from(u8::MAX)) as u8,
        dung_estimated_kg: row.dung_estimated_kg,
        dung_excluded: row.dung_excluded != 0,
        film_kg_per_mu: row.film_kg_per_mu,
        warnings: Ord::max(row.warnings, 0) as u32,
        lat,
        lon,
    })
}

impl FactsRow {
    /// The survey the row is of.
    fn survey_id(&self) -> String {
        match &self.0.survey_id {
            sea_orm::ActiveValue::Set(id) | sea_orm::ActiveValue::Unchanged(id) => id.clone(),
            sea_orm::ActiveValue::NotSet => String::new(),
        }
    }
}

/// Inserts rows of facts as few multi-row statements as the bind-parameter limit
/// allows; the sums are the caller's.
async fn insert_rows(conn: &impl ConnectionTrait, rows: Vec<FactsRow>) -> Result<(), DbErr> {
    insert_all(conn, rows.into_iter().map(|FactsRow(row)| row).collect()).await
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
/// estimates); returns the difference to the maintained sums, for the caller to apply in
/// the same transaction (once, when it replaces facts in several statements).
pub(crate) async fn replace_facts(
    conn: &impl ConnectionTrait,
    rows: Vec<FactsRow>,
) -> Result<SumsDelta, DbErr> {
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
    change.difference(conn).await
}

/// Moves [`Storage::data_version`] for a write that appends no audit row (the start-up
/// backfill of facts); call inside the write's transaction, as its last statement, so the
/// counter's row lock is held only until the commit that follows and no lock is taken
/// after it. Audited writes need not call it: the audit log's trigger counts them.
pub(crate) async fn count_change(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    // Shard 0, where SQLite's trigger counts too: a write without an audit row is rare
    // enough that spreading it over the shards would gain nothing.
    change_counter::Entity::update_many()
        .col_expr(
            change_counter::Column::N,
            Expr::col(change_counter::Column::N).add(1),
        )
        .filter(change_counter::Column::Shard.eq(0_i16))
        .exec(conn)
        .await?;
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

/// One page of household facts: after the survey stored at insertion sequence `after`
/// (none: from the first), at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactsPage {
    /// The last insertion sequence of the previous page.
    pub after: Option<i64>,
    /// Households at most.
    pub limit: u64,
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
        // Cast: PostgreSQL sums BIGINT as NUMERIC, which does not decode as i64.
        let sum = Func::cast_as(
            Func::coalesce([
                Expr::from(Func::sum(Expr::col(change_counter::Column::N))),
                Expr::val(0_i64),
            ]),
            Alias::new("BIGINT"),
        );
        let changes: Option<i64> = change_counter::Entity::find()
            .select_only()
            .column_as(Expr::from(sum), "v")
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(DataVersion(changes.unwrap_or(0).to_string()))
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
            let (rewritten, _summed_anew_below) = self.rewrite_facts(&txn, &rows, &table).await?;
            written += rewritten;
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

impl Storage {
    /// The facts of the households matching `query` (its grouping is ignored), with the
    /// survey's GPS position, as columns: every one in survey-id order, or with `page`
    /// one page in insertion order after the cursor (keyset on `surveys.seq`, so pages
    /// have no gaps or repeats while surveys are written), with the cursor of the next
    /// page when there is one. One query.
    pub async fn fact_columns(
        &self,
        query: &IndicatorQuery,
        page: Option<FactsPage>,
    ) -> Result<(agriwaste_analytics::columns::FactColumns, Option<i64>), StorageError> {
        let mut select = households_matching(query);
        for column in survey_facts::Column::iter() {
            select.column((col(TABLE), column));
        }
        select
            .columns([
                (col("s"), col("lat")),
                (col("s"), col("lon")),
                (col("s"), col("seq")),
            ])
            .join_as(
                sea_orm::sea_query::JoinType::InnerJoin,
                col("surveys"),
                col("s"),
                Expr::col((col("s"), col("id"))).equals((col(TABLE), col("survey_id"))),
            );
        match page {
            None => {
                select.order_by((col(TABLE), col("survey_id")), Order::Asc);
            }
            Some(FactsPage { after, limit }) => {
                if let Some(after) = after {
                    select.and_where(Expr::col((col("s"), col("seq"))).gt(after));
                }
                select
                    .order_by((col("s"), col("seq")), Order::Asc)
                    .limit(limit + 1);
            }
        }
        let mut rows = self.db.query_all(&select).await?;
        let next = match page {
            Some(FactsPage { limit, .. }) if rows.len() as u64 > limit => {
                rows.truncate(limit as usize);
                rows.last()
                    .map(|row| row.try_get::<i64>("", "seq"))
                    .transpose()?
            }
            _ => None,
        };
        let mut columns = agriwaste_analytics::columns::FactColumns::new();
        for row in &rows {
            let stored = survey_facts::Model::from_query_result(row, "")?;
            let approved = stored.review_state == ReviewState::Approved.key();
            let facts = household_facts(stored, row.try_get("", "lat")?, row.try_get("", "lon")?)?;
            columns.push(&facts, approved);
        }
        Ok((columns, next))
    }
}
