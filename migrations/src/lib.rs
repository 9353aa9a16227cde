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
mod m20261208_000010_straw_counts;

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
            Box::new(m20261208_000010_straw_counts::Migration),
        ]
    }
}
