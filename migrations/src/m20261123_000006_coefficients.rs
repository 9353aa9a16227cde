//! Coefficients, editable by admins per region and year: one row per region (or
//! `national`), first year of validity, kind and key, seeded from the table shipped in
//! the analytics crate. `coefficient_version` holds one counter that every edit moves,
//! so that each server process knows when its cached copy of the table is stale.

use agriwaste_analytics::coefficients::CoefficientTable;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Coefficients {
    Table,
    RegionCode,
    ValidFrom,
    Kind,
    Key,
    Value,
    Unit,
    Status,
    Source,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CoefficientVersion {
    Table,
    Id,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Coefficients::Table)
                    .col(
                        ColumnDef::new(Coefficients::RegionCode)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Coefficients::ValidFrom).integer().not_null())
                    .col(ColumnDef::new(Coefficients::Kind).string_len(64).not_null())
                    .col(ColumnDef::new(Coefficients::Key).string_len(64).not_null())
                    .col(ColumnDef::new(Coefficients::Value).double().null())
                    .col(ColumnDef::new(Coefficients::Unit).text().not_null())
                    .col(
                        ColumnDef::new(Coefficients::Status)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Coefficients::Source).text().not_null())
                    .col(ColumnDef::new(Coefficients::UpdatedBy).string().not_null())
                    .col(
                        ColumnDef::new(Coefficients::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(Coefficients::RegionCode)
                            .col(Coefficients::ValidFrom)
                            .col(Coefficients::Kind)
                            .col(Coefficients::Key),
                    )
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert()
            .into_table(Coefficients::Table)
            .columns([
                Coefficients::RegionCode,
                Coefficients::ValidFrom,
                Coefficients::Kind,
                Coefficients::Key,
                Coefficients::Value,
                Coefficients::Unit,
                Coefficients::Status,
                Coefficients::Source,
                Coefficients::UpdatedBy,
                Coefficients::UpdatedAt,
            ])
            .to_owned();
        for e in CoefficientTable::builtin().entries {
            insert
                .values([
                    e.region_code.into(),
                    e.valid_from.into(),
                    e.kind.key().into(),
                    e.key.into(),
                    e.value.into(),
                    e.unit.into(),
                    e.status.into(),
                    e.source.into(),
                    "shipped defaults".into(),
                    Expr::current_timestamp(),
                ])
                .map_err(|err| DbErr::Custom(format!("seeding coefficients: {err}")))?;
        }
        manager.exec_stmt(insert).await?;
        manager
            .create_table(
                Table::create()
                    .table(CoefficientVersion::Table)
                    .col(
                        ColumnDef::new(CoefficientVersion::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CoefficientVersion::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        let mut version = Query::insert()
            .into_table(CoefficientVersion::Table)
            .columns([CoefficientVersion::Id, CoefficientVersion::Version])
            .to_owned();
        version
            .values([1.into(), 1_i64.into()])
            .map_err(|err| DbErr::Custom(format!("seeding the coefficient version: {err}")))?;
        manager.exec_stmt(version).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CoefficientVersion::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Coefficients::Table).to_owned())
            .await
    }
}
