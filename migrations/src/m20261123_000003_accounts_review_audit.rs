//! Accounts, credentials, login throttling, the review state of surveys, and the audit
//! log.
//!
//! Credentials (web sessions, device tokens, API keys) share one table: each is a random
//! secret shown once and stored only as its SHA-256, with an optional expiry and a
//! revocation time. Every write appends to `audit_log` in the same transaction as the
//! change itself, so the log and the data cannot disagree.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    Role,
    ScopeCode,
    Counties,
    PasswordHash,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Credentials {
    Table,
    Id,
    Kind,
    TokenHash,
    UserId,
    Name,
    ScopeCode,
    CreatedAt,
    CreatedBy,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    Username,
    Address,
    At,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    ActorKind,
    Action,
    EntityType,
    EntityId,
    Before,
    After,
    Address,
    RequestId,
}

#[derive(DeriveIden)]
enum Surveys {
    Table,
    ReviewState,
    ReviewComment,
    ReviewedBy,
    ReviewedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(
                        ColumnDef::new(Users::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Users::Username)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Users::DisplayName).string().not_null())
                    .col(ColumnDef::new(Users::Role).string_len(16).not_null())
                    .col(ColumnDef::new(Users::ScopeCode).string_len(12).null())
                    .col(ColumnDef::new(Users::Counties).text().not_null())
                    .col(ColumnDef::new(Users::PasswordHash).text().null())
                    .col(ColumnDef::new(Users::Active).boolean().not_null())
                    .col(
                        ColumnDef::new(Users::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Users::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Credentials::Table)
                    .col(
                        ColumnDef::new(Credentials::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Credentials::Kind).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Credentials::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Credentials::UserId).string_len(36).null())
                    .col(ColumnDef::new(Credentials::Name).string().not_null())
                    .col(ColumnDef::new(Credentials::ScopeCode).string_len(12).null())
                    .col(
                        ColumnDef::new(Credentials::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Credentials::CreatedBy).string().not_null())
                    .col(
                        ColumnDef::new(Credentials::ExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Credentials::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Credentials::LastUsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_credentials_user")
                            .from(Credentials::Table, Credentials::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_credentials_user")
                    .table(Credentials::Table)
                    .col(Credentials::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(
                        ColumnDef::new(LoginFailures::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(LoginFailures::Username)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LoginFailures::Address)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LoginFailures::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_login_failures_username", LoginFailures::Username),
            ("ix_login_failures_address", LoginFailures::Address),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(LoginFailures::Table)
                        .col(col)
                        .col(LoginFailures::At)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(
                        ColumnDef::new(AuditLog::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditLog::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::Actor).string().not_null())
                    .col(
                        ColumnDef::new(AuditLog::ActorKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::Action).string_len(32).not_null())
                    .col(
                        ColumnDef::new(AuditLog::EntityType)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::EntityId).string().not_null())
                    .col(ColumnDef::new(AuditLog::Before).text().null())
                    .col(ColumnDef::new(AuditLog::After).text().null())
                    .col(ColumnDef::new(AuditLog::Address).string_len(64).null())
                    .col(ColumnDef::new(AuditLog::RequestId).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_audit_entity",
                vec![AuditLog::EntityType, AuditLog::EntityId],
            ),
            ("ix_audit_actor", vec![AuditLog::Actor]),
            ("ix_audit_at", vec![AuditLog::At]),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditLog::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Surveys::Table)
                    .add_column(
                        ColumnDef::new(Surveys::ReviewState)
                            .string_len(16)
                            .not_null()
                            .default("received"),
                    )
                    .to_owned(),
            )
            .await?;
        for col in [Surveys::ReviewComment, Surveys::ReviewedBy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Surveys::Table)
                        .add_column(ColumnDef::new(col).text().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Surveys::Table)
                    .add_column(
                        ColumnDef::new(Surveys::ReviewedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_surveys_review_state")
                    .table(Surveys::Table)
                    .col(Surveys::ReviewState)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_surveys_review_state")
                    .table(Surveys::Table)
                    .to_owned(),
            )
            .await?;
        for col in [
            Surveys::ReviewedAt,
            Surveys::ReviewedBy,
            Surveys::ReviewComment,
            Surveys::ReviewState,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Surveys::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            AuditLog::Table.into_iden(),
            LoginFailures::Table.into_iden(),
            Credentials::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
