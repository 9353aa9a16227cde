//! `survey_sums`: the additive sums behind every indicator, kept per county, year and
//! review state, so that a figure costs what its answer's size costs, not what the
//! number of surveys costs.
//!
//! Every write that changes `survey_facts` adds the difference it makes to these rows in
//! the same transaction (the server's `storage::aggregates`). Each group is split into
//! `shard` rows: on PostgreSQL a transaction adds to one shard drawn at random, so many
//! replicas writing to one county do not queue on one row lock; a read sums the shards.
//! SQLite has one writer and uses shard 0. `revision` counts the changes a row received,
//! so the sum of a group's revisions moves whenever the group changes (what the
//! film-per-mu cache is keyed by). The table starts empty; the server fills it from
//! `survey_facts` on its first start after this migration.
//!
//! The columns are listed here, frozen as this migration created them, rather than
//! derived from the server's list, which a later change may extend with a migration of
//! its own.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "survey_sums";

/// The indicators' column prefixes, as in `survey_facts`.
const INDICATORS: [&str; 7] = [
    "film_recovery",
    "pesticide_count",
    "pesticide_kg",
    "straw_utilization",
    "yak_dung_utilization",
    "film_thickness",
    "degradable_share",
];

/// The eight sums of the ratio estimator, per indicator (`n` is a count).
const RATIO_SUMS: [&str; 7] = ["wy", "wx", "y", "x", "wwyy", "wwxx", "wwxy"];

const STRAW_USES: [&str; 5] = [
    "straw_fertilizer_kg",
    "straw_feed_kg",
    "straw_substrate_kg",
    "straw_fuel_kg",
    "straw_raw_material_kg",
];

const PROVENANCE: [&str; 5] = [
    "straw_measured",
    "straw_counted",
    "straw_estimated",
    "dung_measured",
    "dung_estimated",
];

/// Crops in the analytics crate's `Crop::ALL`, for the per-crop "left out" counts.
const CROPS: usize = 7;

/// The counted columns (integers), after the keys.
fn count_columns() -> Vec<String> {
    let mut columns: Vec<String> = ["households", "warned", "returned_exceeds"]
        .map(String::from)
        .to_vec();
    columns.extend(INDICATORS.map(|p| format!("{p}_n")));
    columns.extend(["straw_excluded", "dung_excluded_n", "film_n"].map(String::from));
    columns.extend((0..CROPS).map(|k| format!("straw_left_out_{k}")));
    columns
}

/// The summed amounts (doubles).
fn amount_columns() -> Vec<String> {
    let mut columns = Vec::new();
    for p in INDICATORS {
        columns.extend(RATIO_SUMS.map(|s| format!("{p}_{s}")));
    }
    for u in STRAW_USES {
        columns.push(format!("{u}_w"));
        columns.push(format!("{u}_raw"));
    }
    columns.extend(PROVENANCE.map(String::from));
    columns
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(Alias::new(TABLE))
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
            .col(
                ColumnDef::new(Alias::new("review_state"))
                    .string_len(16)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Alias::new("shard"))
                    .small_integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(Alias::new("revision"))
                    .big_integer()
                    .not_null(),
            );
        for name in count_columns() {
            table.col(
                ColumnDef::new(Alias::new(name))
                    .big_integer()
                    .not_null()
                    .default(0),
            );
        }
        for name in amount_columns() {
            table.col(
                ColumnDef::new(Alias::new(name))
                    .double()
                    .not_null()
                    .default(0.0),
            );
        }
        table.primary_key(
            Index::create()
                .col(Alias::new("county_code"))
                .col(Alias::new("survey_year"))
                .col(Alias::new("review_state"))
                .col(Alias::new("shard")),
        );
        manager.create_table(table.to_owned()).await?;
        // The film-per-mu values of one county, year and review state are read when that
        // group changed: an index on the three that carries the values and survey ids
        // makes that a range read of the index alone (the storage's FILM_INDEX_COLUMNS).
        manager
            .create_index(
                Index::create()
                    .name("ix_survey_facts_film")
                    .table(Alias::new("survey_facts"))
                    .col(Alias::new("county_code"))
                    .col(Alias::new("survey_year"))
                    .col(Alias::new("review_state"))
                    .col(Alias::new("film_kg_per_mu"))
                    .col(Alias::new("survey_id"))
                    .to_owned(),
            )
            .await?;
        // A technician's figures are summed from their own household rows.
        manager
            .create_index(
                Index::create()
                    .name("ix_survey_facts_technician")
                    .table(Alias::new("survey_facts"))
                    .col(Alias::new("technician"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_survey_facts_technician")
                    .table(Alias::new("survey_facts"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_survey_facts_film")
                    .table(Alias::new("survey_facts"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Alias::new(TABLE)).to_owned())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_are_the_estimators_sums_and_the_counts() {
        assert_eq!(count_columns().len(), 3 + 7 + 3 + CROPS);
        assert_eq!(amount_columns().len(), 7 * 7 + 10 + 5);
    }
}
