//! `change_counter`: the data version the response caches and ETags compare, moved by
//! every commit of this database and by nothing else.
//!
//! Every write appends to `audit_log` inside its own transaction, so a trigger on that
//! table adds 1 to the counter in the same transaction, and the version is the sum of
//! the counter's rows. Each commit adds at least 1 to the sum whatever order replicas'
//! transactions commit in, and neither other databases of the same server nor vacuum
//! touch it (as they do PostgreSQL's snapshot and transaction ids).
//!
//! On PostgreSQL the counter is split into `SHARDS` rows and each transaction adds to a
//! random one, so concurrent writers on many replicas rarely wait for one row lock. The
//! trigger is a deferred constraint trigger: it runs at commit, after every other lock
//! the transaction takes, so waiting for a shard can never close a deadlock cycle, and a
//! transaction-local setting makes it add once per transaction however many audit rows
//! a batch inserts. SQLite has one writer at a time: its trigger adds to shard 0.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeCounter {
    Table,
    Shard,
    N,
}

/// How many rows the counter is split into.
const SHARDS: i16 = 16;

fn postgres_up() -> [String; 2] {
    [
        format!(
            "CREATE FUNCTION count_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- Drawn once: random() in the WHERE clause would be drawn anew for every row.
    picked SMALLINT := floor(random() * {SHARDS})::smallint;
BEGIN
    IF current_setting('agriwaste.change_counted', true) = 'yes' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('agriwaste.change_counted', 'yes', true);
    UPDATE change_counter SET n = n + 1 WHERE shard = picked;
    RETURN NULL;
END
$$"
        ),
        "CREATE CONSTRAINT TRIGGER audit_log_counts_change AFTER INSERT ON audit_log \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_change()"
            .to_owned(),
    ]
}

const POSTGRES_DOWN: [&str; 2] = [
    "DROP TRIGGER audit_log_counts_change ON audit_log",
    "DROP FUNCTION count_change()",
];

const SQLITE_UP: [&str; 1] = [
    "CREATE TRIGGER audit_log_counts_change AFTER INSERT ON audit_log \
     BEGIN UPDATE change_counter SET n = n + 1 WHERE shard = 0; END",
];

const SQLITE_DOWN: [&str; 1] = ["DROP TRIGGER audit_log_counts_change"];

async fn execute_all(
    manager: &SchemaManager<'_>,
    statements: &[impl AsRef<str>],
) -> Result<(), DbErr> {
    for statement in statements {
        manager
            .get_connection()
            .execute_unprepared(statement.as_ref())
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeCounter::Table)
                    .col(
                        ColumnDef::new(ChangeCounter::Shard)
                            .small_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ChangeCounter::N).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        let mut shards = Query::insert()
            .into_table(ChangeCounter::Table)
            .columns([ChangeCounter::Shard, ChangeCounter::N])
            .to_owned();
        for shard in 0..SHARDS {
            shards
                .values([shard.into(), 0_i64.into()])
                .map_err(|err| DbErr::Custom(format!("seeding the change counter: {err}")))?;
        }
        manager.exec_stmt(shards).await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => execute_all(manager, &postgres_up()).await,
            _ => execute_all(manager, &SQLITE_UP).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => execute_all(manager, &POSTGRES_DOWN).await?,
            _ => execute_all(manager, &SQLITE_DOWN).await?,
        }
        manager
            .drop_table(Table::drop().table(ChangeCounter::Table).to_owned())
            .await
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection};

    use crate::{Migrator, MigratorTrait};

    use super::*;

    async fn audit(db: &DatabaseConnection) -> Result<(), DbErr> {
        db.execute_unprepared(
            "INSERT INTO audit_log (at, actor, actor_kind, action, entity_type, entity_id) \
             VALUES (CURRENT_TIMESTAMP, 'admin', 'user', 'test', 'test', 'x'), \
             (CURRENT_TIMESTAMP, 'admin', 'user', 'test', 'test', 'y')",
        )
        .await?;
        Ok(())
    }

    async fn changes(db: &DatabaseConnection) -> Result<i64, DbErr> {
        let row = db
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT CAST(SUM(n) AS BIGINT) AS n FROM change_counter",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("no sum".to_owned()))?;
        row.try_get("", "n")
    }

    /// On SQLite each audit row counts; `down` removes the trigger with the table, so the
    /// audit log takes rows again without it, and `up` starts counting anew.
    #[tokio::test]
    async fn the_counter_counts_audit_rows_and_migrates_down_and_up_again() -> Result<(), DbErr> {
        let path = std::env::temp_dir().join(format!(
            "agriwaste-change-counter-{}.db",
            std::process::id()
        ));
        let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display())).await?;
        Migrator::up(&db, None).await?;
        assert_eq!(changes(&db).await?, 0);
        audit(&db).await?;
        assert_eq!(changes(&db).await?, 2);
        // Down to just before this migration, whatever came after it.
        let after = Migrator::migrations()
            .iter()
            .rev()
            .position(|m| m.name() == Migration.name())
            .ok_or_else(|| DbErr::Custom("the change counter is not registered".to_owned()))?;
        Migrator::down(&db, Some(after as u32 + 1)).await?;
        audit(&db).await?;
        Migrator::up(&db, None).await?;
        assert_eq!(changes(&db).await?, 0);
        audit(&db).await?;
        assert_eq!(changes(&db).await?, 2);
        db.close().await?;
        let _ = std::fs::remove_file(&path);
        Ok(())
    }
}
