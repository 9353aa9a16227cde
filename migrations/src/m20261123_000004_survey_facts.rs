//! Per-survey indicator facts: each survey's numerator and denominator for every
//! indicator, computed by the analytics crate when the survey is stored, so that the
//! indicators endpoint can filter and sum in the database instead of reading every
//! survey's JSON.
//!
//! The filter columns (region codes, year, technician, review state) are copied from
//! `surveys` so that a grouped sum reads one table; storage keeps them in step.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The indicator columns: `<key>_y` (numerator) and `<key>_x` (denominator), nullable
/// where the household lacks the section.
pub const INDICATOR_KEYS: [&str; 7] = [
    "film_recovery",
    "pesticide_count",
    "pesticide_kg",
    "straw_utilization",
    "yak_dung_utilization",
    "film_thickness",
    "degradable_share",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(Alias::new("survey_facts"))
            .col(
                ColumnDef::new(Alias::new("survey_id"))
                    .string_len(36)
                    .not_null()
                    .primary_key(),
            )
            .col(
                ColumnDef::new(Alias::new("county_code"))
                    .string_len(12)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Alias::new("prefecture_code"))
                    .string_len(12)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Alias::new("province_code"))
                    .string_len(12)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Alias::new("survey_year"))
                    .integer()
                    .not_null(),
            )
            .col(ColumnDef::new(Alias::new("technician")).string().not_null())
            .col(
                ColumnDef::new(Alias::new("review_state"))
                    .string_len(16)
                    .not_null(),
            )
            .col(ColumnDef::new(Alias::new("weight")).double().not_null())
            .col(ColumnDef::new(Alias::new("warnings")).integer().not_null());
        for key in INDICATOR_KEYS {
            for part in ["y", "x"] {
                table.col(
                    ColumnDef::new(Alias::new(format!("{key}_{part}")))
                        .double()
                        .null(),
                );
            }
        }
        for name in [
            "straw_fertilizer_kg",
            "straw_feed_kg",
            "straw_substrate_kg",
            "straw_fuel_kg",
            "straw_raw_material_kg",
            "straw_estimated_kg",
            "dung_estimated_kg",
        ] {
            table.col(ColumnDef::new(Alias::new(name)).double().not_null());
        }
        table
            .col(
                ColumnDef::new(Alias::new("straw_crops_excluded"))
                    .integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(Alias::new("dung_excluded"))
                    .integer()
                    .not_null(),
            )
            .col(ColumnDef::new(Alias::new("film_kg_per_mu")).double().null())
            .foreign_key(
                ForeignKey::create()
                    .name("fk_survey_facts_survey")
                    .from(Alias::new("survey_facts"), Alias::new("survey_id"))
                    .to(Alias::new("surveys"), Alias::new("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            );
        manager.create_table(table.to_owned()).await?;
        for (name, cols) in [
            (
                "ix_survey_facts_county_year",
                ["county_code", "survey_year"],
            ),
            (
                "ix_survey_facts_prefecture_year",
                ["prefecture_code", "survey_year"],
            ),
            (
                "ix_survey_facts_province_year",
                ["province_code", "survey_year"],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Alias::new("survey_facts"));
            for col in cols {
                index.col(Alias::new(col));
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("survey_facts")).to_owned())
            .await
    }
}
