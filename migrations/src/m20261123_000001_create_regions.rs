//! The region hierarchy (province → prefecture → county), seeded from the table shipped
//! in the analytics crate so the server and the phone know the same counties.

use agriwaste_analytics::RegionTable;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Regions {
    Table,
    Code,
    NameZh,
    NameEn,
    ParentCode,
    Level,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Regions::Table)
                    .col(
                        ColumnDef::new(Regions::Code)
                            .string_len(12)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Regions::NameZh).string().not_null())
                    .col(ColumnDef::new(Regions::NameEn).string().not_null())
                    .col(ColumnDef::new(Regions::ParentCode).string_len(12).null())
                    .col(ColumnDef::new(Regions::Level).string_len(16).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_regions_parent")
                            .from(Regions::Table, Regions::ParentCode)
                            .to(Regions::Table, Regions::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_regions_parent")
                    .table(Regions::Table)
                    .col(Regions::ParentCode)
                    .to_owned(),
            )
            .await?;

        // Parents first, so the foreign key holds row by row.
        let table = RegionTable::builtin();
        let mut regions: Vec<_> = table.iter().collect();
        regions.sort_by_key(|r| r.level);
        let mut insert = Query::insert()
            .into_table(Regions::Table)
            .columns([
                Regions::Code,
                Regions::NameZh,
                Regions::NameEn,
                Regions::ParentCode,
                Regions::Level,
            ])
            .to_owned();
        for region in regions {
            insert
                .values([
                    region.code.clone().into(),
                    region.name_zh.clone().into(),
                    region.name_en.clone().into(),
                    region.parent_code.clone().into(),
                    region.level.key().into(),
                ])
                .map_err(|err| DbErr::Custom(format!("seeding regions: {err}")))?;
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Regions::Table).to_owned())
            .await
    }
}
