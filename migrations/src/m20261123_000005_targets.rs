//! Targets, editable by admins: one row per region (or `national`), indicator and target
//! year, seeded from the table shipped in the analytics crate.

use agriwaste_analytics::targets::{Comparison, TargetTable};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Targets {
    Table,
    RegionCode,
    Indicator,
    Year,
    Target,
    Comparison,
    Source,
    UpdatedBy,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Targets::Table)
                    .col(
                        ColumnDef::new(Targets::RegionCode)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Targets::Indicator).string_len(64).not_null())
                    .col(ColumnDef::new(Targets::Year).integer().not_null())
                    .col(ColumnDef::new(Targets::Target).double().not_null())
                    .col(
                        ColumnDef::new(Targets::Comparison)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Targets::Source).text().not_null())
                    .col(ColumnDef::new(Targets::UpdatedBy).string().not_null())
                    .col(
                        ColumnDef::new(Targets::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(Targets::RegionCode)
                            .col(Targets::Indicator)
                            .col(Targets::Year),
                    )
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert()
            .into_table(Targets::Table)
            .columns([
                Targets::RegionCode,
                Targets::Indicator,
                Targets::Year,
                Targets::Target,
                Targets::Comparison,
                Targets::Source,
                Targets::UpdatedBy,
                Targets::UpdatedAt,
            ])
            .to_owned();
        for t in TargetTable::builtin().targets {
            let comparison = match t.comparison {
                Comparison::AtLeast => "at_least",
                Comparison::AtMost => "at_most",
            };
            insert
                .values([
                    t.region_code.into(),
                    t.indicator.into(),
                    t.year.into(),
                    t.target.into(),
                    comparison.into(),
                    t.source.into(),
                    "shipped defaults".into(),
                    Expr::current_timestamp(),
                ])
                .map_err(|err| DbErr::Custom(format!("seeding targets: {err}")))?;
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Targets::Table).to_owned())
            .await
    }
}
