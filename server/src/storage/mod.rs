//! Persistence: the database (SQLite or PostgreSQL through sea-orm) and the attachment
//! store on disk. The only module that knows SQL; handlers call the functions here.
//!
//! Durability: an API write is acknowledged only after its transaction commits. SQLite
//! runs in WAL mode with `synchronous = FULL`, so a committed transaction survives a
//! `kill -9` of the server and a power cut alike; PostgreSQL commits durably by default.

pub mod accounts;
pub mod aggregates;
pub mod attachments;
pub mod audit;
pub mod clock;
pub mod coefficients;
pub mod entities;
pub mod facts;
pub mod groups;
pub mod surveys;
pub mod targets;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use agriwaste_analytics::coefficients::CoefficientTable;
use agriwaste_analytics::{Region, RegionLevel, RegionTable};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveModelTrait, ConnectOptions, ConnectionTrait, Database, DatabaseBackend,
    DatabaseConnection, DbErr, EntityTrait, Iterable,
};
use tokio::sync::{Mutex, MutexGuard};

pub use surveys::{
    CorrectOutcome, CreateOutcome, Decision, ReviewOutcome, StoredSurvey, SurveyFilter,
    SurveyVersion,
};

/// A storage failure the caller cannot fix: the database or the disk failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// The attachment store failed.
    #[error("attachment store: {0}")]
    Io(#[from] std::io::Error),
    /// A stored record does not decode (should never happen: we wrote it).
    #[error("stored record {0} does not decode: {1}")]
    Corrupt(String, String),
}

/// Handle to the database and the attachment store; cheap to share behind an `Arc`.
pub struct Storage {
    db: DatabaseConnection,
    regions: RegionTable,
    /// The coefficient table and the `coefficient_version` it was read at.
    coefficient_cache: Mutex<Option<(i64, Arc<CoefficientTable>)>>,
    attachments_dir: PathBuf,
    /// SQLite has one writer at a time. Taking this lock before a write transaction keeps
    /// concurrent requests from failing with "database is locked" when a deferred read
    /// transaction tries to upgrade; PostgreSQL needs no such lock (and many replicas
    /// share one database, so it could not help there anyway).
    sqlite_writer: Option<Mutex<()>>,
    /// The time accounts run on: sessions, expiry, sign-in throttling.
    clock: clock::Clock,
    /// Film-per-mu values per county, year and review state, under the revision they
    /// were read at (see `aggregates`).
    film_cache: aggregates::FilmCache,
    /// Film-per-mu medians and outliers per group of fine groups, under their revisions.
    film_finished: aggregates::FilmFinishedCache,
}

impl Storage {
    /// Connects, applies pending migrations, loads the region table and brings derived
    /// data up to date (the maintained sums, the facts of surveys stored without them).
    pub async fn open(
        database_url: &str,
        attachments_dir: PathBuf,
        max_connections: u32,
    ) -> anyhow::Result<Storage> {
        let storage = Storage::open_as_is(database_url, attachments_dir, max_connections).await?;
        // Before the facts backfill: that adds its own surveys to the sums.
        let built = storage
            .build_sums_if_empty()
            .await
            .context("building the maintained sums")?;
        if built > 0 {
            tracing::info!(
                groups = built,
                "maintained sums built from the stored facts"
            );
        }
        let backfilled = storage
            .backfill_facts()
            .await
            .context("computing indicator facts")?;
        if backfilled > 0 {
            tracing::info!(
                surveys = backfilled,
                "indicator facts computed for surveys stored without them"
            );
        }
        Ok(storage)
    }

    /// Connects, applies pending migrations and loads the region table, and changes no
    /// data: what a check of the stored data opens (`verify-aggregates`), so that it
    /// sees the data as the server left it.
    pub async fn open_as_is(
        database_url: &str,
        attachments_dir: PathBuf,
        max_connections: u32,
    ) -> anyhow::Result<Storage> {
        let is_sqlite = database_url.starts_with("sqlite:");
        if is_sqlite {
            ensure_sqlite_dir(database_url)?;
        }
        let mut options = ConnectOptions::new(database_url.to_owned());
        options
            .max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts: SqliteConnectOptions| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
            });
        let db = Database::connect(options)
            .await
            .with_context(|| format!("connecting to {}", redact(database_url)))?;
        Migrator::up(&db, None)
            .await
            .context("applying database migrations")?;
        let regions = load_regions(&db)
            .await
            .context("loading the region table")?;
        tokio::fs::create_dir_all(&attachments_dir)
            .await
            .with_context(|| format!("creating {}", attachments_dir.display()))?;
        let storage = Storage {
            sqlite_writer: is_sqlite.then(|| Mutex::new(())),
            db,
            regions,
            coefficient_cache: Mutex::new(None),
            attachments_dir,
            clock: clock::Clock::system(),
            film_cache: Default::default(),
            film_finished: Default::default(),
        };
        Ok(storage)
    }

    /// This storage, with its accounts on `clock` instead of the system clock.
    pub fn with_clock(self, clock: clock::Clock) -> Storage {
        Storage { clock, ..self }
    }

    /// Now, by the clock accounts run on: what a handler compares an expiry with or
    /// computes one from, so that it agrees with [`Storage::authenticate`].
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The region hierarchy as stored.
    pub fn regions(&self) -> &RegionTable {
        &self.regions
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.db
            .execute_unprepared("SELECT 1")
            .await
            .map(|_| ())
            .map_err(StorageError::from)
    }

    /// Serialises writers on SQLite; a no-op on PostgreSQL.
    async fn write_guard(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.sqlite_writer {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(self) -> Result<(), StorageError> {
        self.db.close().await.map_err(StorageError::from)
    }
}

/// Bind parameters one statement may carry on both backends: SQLite's limit
/// (`SQLITE_MAX_VARIABLE_NUMBER`, 32 766 since 3.32); PostgreSQL's is 65 535.
const MAX_BIND_PARAMETERS: usize = 32_766;

/// Rows of `columns` values each that fit in one statement.
pub(crate) fn rows_per_statement(columns: usize) -> usize {
    (MAX_BIND_PARAMETERS / columns.max(1)).max(1)
}

/// Inserts `models` with as few multi-row statements as the bind-parameter limit
/// allows, in their order: a batch of surveys costs a statement per table, not one per
/// survey and table.
pub(crate) async fn insert_all<A>(conn: &impl ConnectionTrait, models: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
{
    let per_statement = rows_per_statement(<A::Entity as EntityTrait>::Column::iter().count());
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        <A::Entity as EntityTrait>::insert_many(models.by_ref().take(per_statement))
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Takes PostgreSQL's transaction-scoped advisory lock on each of `keys`, in ascending
/// order whoever the caller is, so that two transactions wanting overlapping keys queue
/// instead of deadlocking; released when the transaction ends. A no-op on SQLite, where
/// the writer lock already serialises writers.
pub(crate) async fn lock_advisory_keys(
    conn: &impl ConnectionTrait,
    keys: impl IntoIterator<Item = i64>,
) -> Result<(), DbErr> {
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let mut keys: Vec<i64> = keys.into_iter().collect();
    keys.sort_unstable();
    keys.dedup();
    let keys = keys
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    conn.execute_unprepared(&format!(
        "SELECT count(pg_advisory_xact_lock(k)) FROM \
         (SELECT unnest(ARRAY[{keys}]::bigint[]) AS k ORDER BY k) AS ids"
    ))
    .await
    .map(|_| ())
}

/// Creates the directory of a SQLite file so `mode=rwc` can create the file.
fn ensure_sqlite_dir(database_url: &str) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::from_str(database_url).context("parsing the SQLite URL")?;
    if let Some(dir) = options
        .get_filename()
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

/// The URL without its password, for logs.
pub fn redact(database_url: &str) -> String {
    match (database_url.find("://"), database_url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &database_url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:***{}",
                    &database_url[..scheme + 3],
                    &database_url[at..]
                ),
                None => database_url.to_owned(),
            }
        }
        _ => database_url.to_owned(),
    }
}

async fn load_regions(db: &DatabaseConnection) -> Result<RegionTable, StorageError> {
    let rows = entities::regions::Entity::find().all(db).await?;
    let regions = rows
        .into_iter()
        .map(|row| {
            let level = RegionLevel::from_key(&row.level).ok_or_else(|| {
                StorageError::Corrupt(format!("region {}", row.code), row.level.clone())
            })?;
            Ok(Region {
                code: row.code,
                name_zh: row.name_zh,
                name_en: row.name_en,
                parent_code: row.parent_code,
                level,
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    Ok(RegionTable::from_regions(regions))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(
            redact("sqlite://./data/a.db?mode=rwc"),
            "sqlite://./data/a.db?mode=rwc"
        );
    }
}
