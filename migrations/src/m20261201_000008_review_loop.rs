//! What the field loop needs of a review decision: the version it was made on (so the
//! reviewer sees what a correction changed since) and the reviewer's comments on single
//! fields (a JSON array of `{path, comment}`, shown on the phone at those fields).
//! Surveys reviewed before this migration have neither.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Surveys {
    Table,
    ReviewedVersion,
    ReviewFieldComments,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Surveys::Table)
                    .add_column(ColumnDef::new(Surveys::ReviewedVersion).integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Surveys::Table)
                    .add_column(ColumnDef::new(Surveys::ReviewFieldComments).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [Surveys::ReviewFieldComments, Surveys::ReviewedVersion] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Surveys::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
