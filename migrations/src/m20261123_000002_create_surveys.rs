//! Surveys, every version of each, and their photo attachments.
//!
//! `surveys` holds the current version of each survey, with the columns that filters and
//! pagination need broken out of the JSON payload. `seq` is an immutable insertion order:
//! keyset pagination on it never skips or repeats a row while others are added or
//! corrected. `survey_versions` keeps every version ever stored, so a correction never
//! loses what it replaced.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_regions::Regions;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Surveys {
    Table,
    Seq,
    Id,
    CountyCode,
    PrefectureCode,
    ProvinceCode,
    Township,
    Village,
    Household,
    Technician,
    SurveyedOn,
    SurveyYear,
    Weight,
    Lat,
    Lon,
    Payload,
    ContentHash,
    CreatedHash,
    Warnings,
    WarningCount,
    Version,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum SurveyVersions {
    Table,
    SurveyId,
    Version,
    Payload,
    ContentHash,
    Warnings,
    ChangeKind,
    ChangedBy,
    ChangedAt,
    Note,
}

#[derive(DeriveIden)]
enum SurveyAttachments {
    Table,
    SurveyId,
    Sha256,
    ContentType,
    SizeBytes,
    FileName,
    UploadedBy,
    UploadedAt,
}

fn index(name: &str, table: impl IntoIden, cols: &[Surveys]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(*col);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Surveys::Table)
                    .col(
                        ColumnDef::new(Surveys::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Surveys::Id)
                            .string_len(36)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Surveys::CountyCode)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Surveys::PrefectureCode)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Surveys::ProvinceCode)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Surveys::Township).string().not_null())
                    .col(ColumnDef::new(Surveys::Village).string().not_null())
                    .col(ColumnDef::new(Surveys::Household).string().not_null())
                    .col(ColumnDef::new(Surveys::Technician).string().not_null())
                    .col(ColumnDef::new(Surveys::SurveyedOn).date().not_null())
                    .col(ColumnDef::new(Surveys::SurveyYear).integer().not_null())
                    .col(ColumnDef::new(Surveys::Weight).double().not_null())
                    .col(ColumnDef::new(Surveys::Lat).double().null())
                    .col(ColumnDef::new(Surveys::Lon).double().null())
                    .col(ColumnDef::new(Surveys::Payload).text().not_null())
                    .col(
                        ColumnDef::new(Surveys::ContentHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Surveys::CreatedHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Surveys::Warnings).text().not_null())
                    .col(ColumnDef::new(Surveys::WarningCount).integer().not_null())
                    .col(ColumnDef::new(Surveys::Version).integer().not_null())
                    .col(
                        ColumnDef::new(Surveys::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Surveys::CreatedBy).string().not_null())
                    .col(
                        ColumnDef::new(Surveys::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Surveys::UpdatedBy).string().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_surveys_county")
                            .from(Surveys::Table, Surveys::CountyCode)
                            .to(Regions::Table, Regions::Code),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_surveys_county_seq",
                &[Surveys::CountyCode, Surveys::Seq][..],
            ),
            (
                "ix_surveys_prefecture_seq",
                &[Surveys::PrefectureCode, Surveys::Seq][..],
            ),
            (
                "ix_surveys_province_seq",
                &[Surveys::ProvinceCode, Surveys::Seq][..],
            ),
            (
                "ix_surveys_year_seq",
                &[Surveys::SurveyYear, Surveys::Seq][..],
            ),
            (
                "ix_surveys_technician_seq",
                &[Surveys::Technician, Surveys::Seq][..],
            ),
            ("ix_surveys_updated_at", &[Surveys::UpdatedAt][..]),
        ] {
            manager
                .create_index(index(name, Surveys::Table, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(SurveyVersions::Table)
                    .col(
                        ColumnDef::new(SurveyVersions::SurveyId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(ColumnDef::new(SurveyVersions::Version).integer().not_null())
                    .col(ColumnDef::new(SurveyVersions::Payload).text().not_null())
                    .col(
                        ColumnDef::new(SurveyVersions::ContentHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(SurveyVersions::Warnings).text().not_null())
                    .col(
                        ColumnDef::new(SurveyVersions::ChangeKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SurveyVersions::ChangedBy)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SurveyVersions::ChangedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(SurveyVersions::Note).text().null())
                    .primary_key(
                        Index::create()
                            .col(SurveyVersions::SurveyId)
                            .col(SurveyVersions::Version),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_survey_versions_survey")
                            .from(SurveyVersions::Table, SurveyVersions::SurveyId)
                            .to(Surveys::Table, Surveys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SurveyAttachments::Table)
                    .col(
                        ColumnDef::new(SurveyAttachments::SurveyId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SurveyAttachments::Sha256)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SurveyAttachments::ContentType)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SurveyAttachments::SizeBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(SurveyAttachments::FileName).string().null())
                    .col(
                        ColumnDef::new(SurveyAttachments::UploadedBy)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SurveyAttachments::UploadedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(SurveyAttachments::SurveyId)
                            .col(SurveyAttachments::Sha256),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_survey_attachments_survey")
                            .from(SurveyAttachments::Table, SurveyAttachments::SurveyId)
                            .to(Surveys::Table, Surveys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SurveyAttachments::Table.into_iden(),
            SurveyVersions::Table.into_iden(),
            Surveys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
