//! Straw counted in bundles or cart-loads, and which crops were left out of the straw
//! rate: two columns of `survey_facts`. `straw_counted_kg` is the part of the straw
//! denominator counted in the field (`straw_count`: count × kg each), beside the part
//! estimated from yield; `straw_excluded_crops` has bit `k` set for the `k`-th crop of
//! the analytics crate's `Crop::ALL` when that crop's straw could not be had (no
//! confirmed 草谷比, neither weighed nor counted), so that a grouped sum can say which
//! crops the rate leaves out.
//!
//! No survey stored before this migration was counted (the wire format had no count), so
//! 0 is the right `straw_counted_kg` for every existing row. Their excluded crops are not
//! known without the survey, so the facts of surveys with any crop left out are deleted
//! here and recomputed, with these columns, by the start-up backfill of facts that runs
//! right after the migrations.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SurveyFacts {
    Table,
    StrawCountedKg,
    StrawExcludedCrops,
    StrawCropsExcluded,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(SurveyFacts::Table)
                    .add_column(
                        ColumnDef::new(SurveyFacts::StrawCountedKg)
                            .double()
                            .not_null()
                            .default(0.0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SurveyFacts::Table)
                    .add_column(
                        ColumnDef::new(SurveyFacts::StrawExcludedCrops)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(SurveyFacts::Table)
                    .and_where(Expr::col(SurveyFacts::StrawCropsExcluded).gt(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [SurveyFacts::StrawExcludedCrops, SurveyFacts::StrawCountedKg] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SurveyFacts::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection};

    use super::*;
    use crate::{Migrator, MigratorTrait};

    /// A stored survey and its facts as an earlier version wrote them, with
    /// `crops_excluded` crops left out of straw.
    async fn survey_with_facts(
        db: &DatabaseConnection,
        id: &str,
        crops_excluded: i32,
    ) -> Result<(), DbErr> {
        db.execute_unprepared(&format!(
            "INSERT INTO surveys (id, county_code, prefecture_code, province_code, township, \
             village, household, technician, surveyed_on, survey_year, weight, payload, \
             content_hash, created_hash, warnings, warning_count, version, created_at, \
             created_by, updated_at, updated_by) VALUES ('{id}', '542523', '542500', '540000', \
             't', 'v', 'h', 'tech', '2025-09-01', 2025, 1.0, '{{}}', 'x', 'x', '[]', 0, 1, \
             CURRENT_TIMESTAMP, 'tech', CURRENT_TIMESTAMP, 'tech')"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO survey_facts (survey_id, county_code, prefecture_code, province_code, \
             survey_year, technician, review_state, weight, warnings, straw_fertilizer_kg, \
             straw_feed_kg, straw_substrate_kg, straw_fuel_kg, straw_raw_material_kg, \
             straw_estimated_kg, dung_estimated_kg, straw_crops_excluded, dung_excluded) \
             VALUES ('{id}', '542523', '542500', '540000', 2025, 'tech', 'received', 1.0, 0, \
             0, 0, 0, 0, 0, 0, 0, {crops_excluded}, 0)"
        ))
        .await?;
        Ok(())
    }

    async fn integer(db: &DatabaseConnection, sql: &str) -> Result<i64, DbErr> {
        let row = db
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await?
            .ok_or_else(|| DbErr::Custom(format!("no row for {sql}")))?;
        row.try_get_by_index(0)
    }

    /// Facts without crops left out keep their row, counted 0 and nothing left out, which
    /// is right for them; facts with crops left out are removed for the start-up backfill
    /// to recompute with the crops. Down drops the two columns and keeps the rows.
    #[tokio::test]
    async fn facts_with_crops_left_out_are_recomputed_and_down_drops_the_columns()
    -> Result<(), DbErr> {
        let path =
            std::env::temp_dir().join(format!("agriwaste-straw-counts-{}.db", std::process::id()));
        let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display())).await?;
        let before = Migrator::migrations()
            .iter()
            .position(|m| m.name() == Migration.name())
            .ok_or_else(|| DbErr::Custom("the migration is not registered".to_owned()))?;
        Migrator::up(&db, Some(before as u32)).await?;
        survey_with_facts(&db, "s-weighed", 0).await?;
        survey_with_facts(&db, "s-yield-only", 1).await?;
        Migrator::up(&db, Some(1)).await?;
        assert_eq!(integer(&db, "SELECT COUNT(*) FROM survey_facts").await?, 1);
        assert_eq!(
            integer(
                &db,
                "SELECT COUNT(*) FROM survey_facts WHERE survey_id = 's-weighed' \
                 AND straw_counted_kg = 0 AND straw_excluded_crops = 0"
            )
            .await?,
            1
        );
        Migrator::down(&db, Some(1)).await?;
        assert!(
            integer(&db, "SELECT straw_counted_kg FROM survey_facts")
                .await
                .is_err()
        );
        assert_eq!(integer(&db, "SELECT COUNT(*) FROM survey_facts").await?, 1);
        db.close().await?;
        let _ = std::fs::remove_file(&path);
        Ok(())
    }
}
