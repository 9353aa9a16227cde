//! Database rows, as sea-orm entities. These mirror the schema in `migrations/`; the
//! domain types live in the analytics crate and are converted at the storage edge.

pub mod regions {
    use sea_orm::entity::prelude::*;

    /// One administrative region.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "regions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name_zh: String,
        pub name_en: String,
        pub parent_code: Option<String>,
        pub level: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod surveys {
    use sea_orm::entity::prelude::*;

    /// The current version of one survey.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "surveys")]
    pub struct Model {
        /// Insertion order; the keyset for pagination.
        #[sea_orm(primary_key)]
        pub seq: i64,
        #[sea_orm(unique)]
        pub id: String,
        pub county_code: String,
        pub prefecture_code: String,
        pub province_code: String,
        pub township: String,
        pub village: String,
        pub household: String,
        pub technician: String,
        pub surveyed_on: Date,
        pub survey_year: i32,
        #[sea_orm(column_type = "Double")]
        pub weight: f64,
        #[sea_orm(column_type = "Double", nullable)]
        pub lat: Option<f64>,
        #[sea_orm(column_type = "Double", nullable)]
        pub lon: Option<f64>,
        /// The survey's canonical JSON.
        #[sea_orm(column_type = "Text")]
        pub payload: String,
        pub content_hash: String,
        /// Hash of version 1, so a phone's late retry of its original submission is
        /// still recognised as a duplicate after a correction.
        pub created_hash: String,
        #[sea_orm(column_type = "Text")]
        pub warnings: String,
        pub warning_count: i32,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub created_by: String,
        pub updated_at: DateTimeUtc,
        pub updated_by: String,
        pub review_state: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub review_comment: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub reviewed_by: Option<String>,
        pub reviewed_at: Option<DateTimeUtc>,
        /// The version the last decision was made on.
        pub reviewed_version: Option<i32>,
        /// The decision's comments on single fields, JSON `[{path, comment}]`.
        #[sea_orm(column_type = "Text", nullable)]
        pub review_field_comments: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod survey_versions {
    use sea_orm::entity::prelude::*;

    /// One stored version of a survey (every version, the current one included).
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_versions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub survey_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        #[sea_orm(column_type = "Text")]
        pub payload: String,
        pub content_hash: String,
        #[sea_orm(column_type = "Text")]
        pub warnings: String,
        pub change_kind: String,
        pub changed_by: String,
        pub changed_at: DateTimeUtc,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod survey_attachments {
    use sea_orm::entity::prelude::*;

    /// A photo attached to a survey; the bytes live on disk under their SHA-256.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_attachments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub survey_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub sha256: String,
        pub content_type: String,
        pub size_bytes: i64,
        pub file_name: Option<String>,
        pub uploaded_by: String,
        pub uploaded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod users {
    use sea_orm::entity::prelude::*;

    /// A person who signs in: technician, viewer, reviewer or admin.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        #[sea_orm(unique)]
        pub username: String,
        pub display_name: String,
        pub role: String,
        pub scope_code: Option<String>,
        /// JSON array of county codes (technicians).
        #[sea_orm(column_type = "Text")]
        pub counties: String,
        /// Argon2id PHC string; none for device-only technicians.
        #[sea_orm(column_type = "Text", nullable)]
        pub password_hash: Option<String>,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod credentials {
    use sea_orm::entity::prelude::*;

    /// A session, device token or API key, stored as the SHA-256 of its secret.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "credentials")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub kind: String,
        #[sea_orm(unique)]
        pub token_hash: String,
        pub user_id: Option<String>,
        pub name: String,
        pub scope_code: Option<String>,
        pub created_at: DateTimeUtc,
        pub created_by: String,
        pub expires_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        pub last_used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod login_failures {
    use sea_orm::entity::prelude::*;

    /// One failed login, for throttling.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_failures")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub username: String,
        pub address: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_log {
    use sea_orm::entity::prelude::*;

    /// One write: who, when, what, before and after, from where.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub actor: String,
        pub actor_kind: String,
        pub action: String,
        pub entity_type: String,
        pub entity_id: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub before: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub after: Option<String>,
        pub address: Option<String>,
        pub request_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod region_groups {
    use sea_orm::entity::prelude::*;

    /// A county group an admin defined (the shipped ones are not stored).
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "region_groups")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        #[sea_orm(column_type = "Text")]
        pub name_zh: String,
        #[sea_orm(column_type = "Text")]
        pub name_en: String,
        /// JSON array of county codes.
        #[sea_orm(column_type = "Text")]
        pub members: String,
        #[sea_orm(column_type = "Text")]
        pub source: String,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub updated_by: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod survey_facts {
    use sea_orm::entity::prelude::*;

    /// A survey reduced to what the indicators need ([`HouseholdFacts`] of the analytics
    /// crate), with the filter columns copied from the survey. `_y` / `_x` are an
    /// indicator's numerator and denominator, both absent when the household does not
    /// count for it.
    ///
    /// [`HouseholdFacts`]: agriwaste_analytics::indicators::HouseholdFacts
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_facts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub survey_id: String,
        pub county_code: String,
        pub prefecture_code: String,
        pub province_code: String,
        pub survey_year: i32,
        pub technician: String,
        pub review_state: String,
        pub weight: f64,
        pub warnings: i32,
        pub film_recovery_y: Option<f64>,
        pub film_recovery_x: Option<f64>,
        pub pesticide_count_y: Option<f64>,
        pub pesticide_count_x: Option<f64>,
        pub pesticide_kg_y: Option<f64>,
        pub pesticide_kg_x: Option<f64>,
        pub straw_utilization_y: Option<f64>,
        pub straw_utilization_x: Option<f64>,
        pub yak_dung_utilization_y: Option<f64>,
        pub yak_dung_utilization_x: Option<f64>,
        pub film_thickness_y: Option<f64>,
        pub film_thickness_x: Option<f64>,
        pub degradable_share_y: Option<f64>,
        pub degradable_share_x: Option<f64>,
        pub straw_fertilizer_kg: f64,
        pub straw_feed_kg: f64,
        pub straw_substrate_kg: f64,
        pub straw_fuel_kg: f64,
        pub straw_raw_material_kg: f64,
        pub straw_estimated_kg: f64,
        pub dung_estimated_kg: f64,
        pub straw_crops_excluded: i32,
        pub dung_excluded: i32,
        pub film_kg_per_mu: Option<f64>,
        pub straw_counted_kg: f64,
        pub straw_excluded_crops: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod targets {
    use sea_orm::entity::prelude::*;

    /// A target set for a region (or `national`), indicator and target year: the shipped
    /// defaults, then whatever admins set.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "targets")]
    pub struct Model {
        #[sea_orm(
            primary_key,
            auto_increment = false,
            column_type = "String(StringLen::N(12))"
        )]
        pub region_code: String,
        #[sea_orm(
            primary_key,
            auto_increment = false,
            column_type = "String(StringLen::N(64))"
        )]
        pub indicator: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        #[sea_orm(column_type = "Double")]
        pub target: f64,
        /// `at_least` or `at_most`.
        #[sea_orm(column_type = "String(StringLen::N(16))")]
        pub comparison: String,
        #[sea_orm(column_type = "Text")]
        pub source: String,
        pub updated_by: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod coefficients {
    use sea_orm::entity::prelude::*;

    /// A coefficient for a region (or `national`) from its first survey year on: the
    /// shipped national values, then whatever admins set.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "coefficients")]
    pub struct Model {
        #[sea_orm(
            primary_key,
            auto_increment = false,
            column_type = "String(StringLen::N(12))"
        )]
        pub region_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub valid_from: i32,
        /// A `CoefficientKind` key.
        #[sea_orm(
            primary_key,
            auto_increment = false,
            column_type = "String(StringLen::N(64))"
        )]
        pub kind: String,
        /// Crop key, or the kind's fixed key.
        #[sea_orm(
            primary_key,
            auto_increment = false,
            column_type = "String(StringLen::N(64))"
        )]
        pub key: String,
        /// NULL marks the value unconfirmed, so nothing is estimated with it.
        #[sea_orm(column_type = "Double", nullable)]
        pub value: Option<f64>,
        #[sea_orm(column_type = "Text")]
        pub unit: String,
        #[sea_orm(column_type = "String(StringLen::N(32))")]
        pub status: String,
        #[sea_orm(column_type = "Text")]
        pub source: String,
        pub updated_by: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod coefficient_version {
    use sea_orm::entity::prelude::*;

    /// The one row (id 1) whose version every coefficient edit moves, so that each server
    /// process knows when its cached copy of the coefficient table is stale.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "coefficient_version")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod change_counter {
    use sea_orm::entity::prelude::*;

    /// One shard of the data version: the version is the sum of `n` over the shards, to
    /// which a trigger on `audit_log` adds in every write's transaction (on PostgreSQL to
    /// one of several shards, so concurrent writers rarely wait for one row lock).
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "change_counter")]
    pub struct Model {
        /// SMALLINT, as the migration and the PostgreSQL trigger declare it.
        #[sea_orm(primary_key, auto_increment = false)]
        pub shard: i16,
        pub n: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[cfg(test)]
mod tests {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{
        ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, EntityTrait, Schema,
        Statement,
    };

    /// A table's columns as SQLite describes them: name, declared type (without a
    /// length), NOT NULL, and position in the primary key.
    async fn columns(db: &DatabaseConnection, table: &str) -> Result<Vec<String>, DbErr> {
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("PRAGMA table_info({table})"),
            ))
            .await?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get("", "name")?;
                let declared: String = row.try_get("", "type")?;
                // A VARCHAR's length bounds what PostgreSQL accepts, not how a value
                // reads or writes, and most entities do not repeat it.
                let declared = declared.split('(').next().unwrap_or_default();
                let not_null: i32 = row.try_get("", "notnull")?;
                let key: i32 = row.try_get("", "pk")?;
                Ok(format!("{name} {declared} not_null={not_null} key={key}"))
            })
            .collect()
    }

    /// The table the migrations create and the one sea-orm would create from the entity
    /// describe the same columns: the entity reads and writes the rows the schema holds.
    /// SQLite tells SMALLINT from INTEGER but writes BIGINT as INTEGER; that an `i64`
    /// field is BIGINT on PostgreSQL is checked where the end-to-end tests decode it.
    async fn check<E: EntityTrait>(migrated: &DatabaseConnection, entity: E) -> Result<(), DbErr> {
        let from_entity = Database::connect("sqlite::memory:").await?;
        let create = Schema::new(DbBackend::Sqlite).create_table_from_entity(entity);
        from_entity.execute(&create).await?;
        let table = entity.table_name();
        assert_eq!(
            columns(&from_entity, table).await?,
            columns(migrated, table).await?,
            "{table}: the entity's columns (left) against the migrations' (right)"
        );
        Ok(())
    }

    #[tokio::test]
    async fn every_entity_has_the_columns_the_migrations_create() -> Result<(), DbErr> {
        let migrated = Database::connect("sqlite::memory:").await?;
        Migrator::up(&migrated, None).await?;
        check(&migrated, super::regions::Entity).await?;
        check(&migrated, super::surveys::Entity).await?;
        check(&migrated, super::survey_versions::Entity).await?;
        check(&migrated, super::survey_attachments::Entity).await?;
        check(&migrated, super::users::Entity).await?;
        check(&migrated, super::credentials::Entity).await?;
        check(&migrated, super::login_failures::Entity).await?;
        check(&migrated, super::audit_log::Entity).await?;
        check(&migrated, super::region_groups::Entity).await?;
        check(&migrated, super::survey_facts::Entity).await?;
        check(&migrated, super::targets::Entity).await?;
        check(&migrated, super::coefficients::Entity).await?;
        check(&migrated, super::coefficient_version::Entity).await?;
        check(&migrated, super::change_counter::Entity).await?;
        Ok(())
    }
}
