//! The agriwaste database schema. Every change to the schema is a migration here, applied
//! at server start-up and by `agriwaste migrate`; nothing else creates or alters tables.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_regions;
mod m20261123_000002_create_surveys;
mod m20261123_000003_accounts_review_audit;
mod m20261123_000004_survey_facts;
mod m20261123_000005_targets;
mod m20261123_000006_coefficients;
mod m20261201_000007_change_counter;
mod m20261201_000008_review_loop;
mod m20261201_000009_region_groups;
mod m20261201_000010_straw_counts;
mod m20261201_000011_survey_sums;

/// Runs the migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_regions::Migration),
            Box::new(m20261123_000002_create_surveys::Migration),
            Box::new(m20261123_000003_accounts_review_audit::Migration),
            Box::new(m20261123_000004_survey_facts::Migration),
            Box::new(m20261123_000005_targets::Migration),
            Box::new(m20261123_000006_coefficients::Migration),
            Box::new(m20261201_000007_change_counter::Migration),
            Box::new(m20261201_000008_review_loop::Migration),
            Box::new(m20261201_000009_region_groups::Migration),
            Box::new(m20261201_000010_straw_counts::Migration),
            Box::new(m20261201_000011_survey_sums::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm_migration::sea_orm::{ConnectionTrait, Database};

    async fn has_table(db: &impl ConnectionTrait, name: &str) -> Result<bool, DbErr> {
        let rows = db
            .query_all_raw(sea_orm_migration::sea_orm::Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                [name.into()],
            ))
            .await?;
        Ok(!rows.is_empty())
    }

    /// The region groups migration comes off and goes back on: its `down` undoes its
    /// `up`, and leaves the other tables alone.
    #[tokio::test]
    async fn the_region_groups_migration_goes_down_and_up_again() -> Result<(), DbErr> {
        let db = Database::connect("sqlite::memory:").await?;
        Migrator::up(&db, None).await?;
        assert!(has_table(&db, "region_groups").await?);
        let migration = m20261201_000009_region_groups::Migration;
        migration.down(&SchemaManager::new(&db)).await?;
        assert!(!has_table(&db, "region_groups").await?);
        assert!(has_table(&db, "surveys").await?);
        migration.up(&SchemaManager::new(&db)).await?;
        assert!(has_table(&db, "region_groups").await?);
        Ok(())
    }
}
