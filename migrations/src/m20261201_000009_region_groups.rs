//! County groups defined by admins (the shipped ones, such as the Ali input-recovery
//! pilot, live in the analytics crate and are not stored): a code, names in Chinese and
//! English, the member counties as a JSON array of county codes, and why the group
//! exists.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RegionGroups {
    Table,
    Code,
    NameZh,
    NameEn,
    Members,
    Source,
    CreatedBy,
    CreatedAt,
    UpdatedBy,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RegionGroups::Table)
                    .col(
                        ColumnDef::new(RegionGroups::Code)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(RegionGroups::NameZh).text().not_null())
                    .col(ColumnDef::new(RegionGroups::NameEn).text().not_null())
                    .col(ColumnDef::new(RegionGroups::Members).text().not_null())
                    .col(ColumnDef::new(RegionGroups::Source).text().not_null())
                    .col(ColumnDef::new(RegionGroups::CreatedBy).string().not_null())
                    .col(
                        ColumnDef::new(RegionGroups::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RegionGroups::UpdatedBy).string().not_null())
                    .col(
                        ColumnDef::new(RegionGroups::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RegionGroups::Table).to_owned())
            .await
    }
}
