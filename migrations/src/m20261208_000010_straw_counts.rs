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
