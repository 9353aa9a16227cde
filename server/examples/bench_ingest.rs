//! The ingest benchmark of `just bench` (issue 7): how fast surveys get in through the
//! API, against the physical limit of SQLite on the same machine.
//!
//! `cargo run --release -p agriwaste-server --example bench_ingest -- BINARY OUT_JSON`
//!
//! Sizes come from the environment (defaults as issue 7 says):
//! `BENCH_INGEST_SURVEYS` (100 000), `BENCH_INGEST_BATCH` (250 surveys per request),
//! `BENCH_INGEST_CLIENTS` (4 concurrent phones syncing), `BENCH_SINGLE_SURVEYS`
//! (10 000), `BENCH_SINGLE_CLIENTS` (64).
//!
//! 1. Batch sync: a release server (`BINARY serve`) on a fresh SQLite file; the clients
//!    POST `/api/v1/surveys/batch` as the phones do, every item must come back
//!    `created`. Throughput is surveys per second of wall time over the whole run.
//! 2. Single POSTs: a second fresh server; `BENCH_SINGLE_CLIENTS` clients each POST
//!    `/api/v1/surveys` one survey at a time; throughput, p50 and p99 latency.
//! 3. Raw SQLite: every row the API wrote in step 1 for those surveys (`surveys`,
//!    `survey_versions`, `survey_facts`, the `survey.create` audit entries) is read into
//!    memory, then inserted into a fresh database migrated by the server's own
//!    migrations, with one prepared statement per table in one transaction, through
//!    rusqlite on the same bundled SQLite library the server links, with the server's
//!    pragmas (WAL, `synchronous = FULL`, foreign keys). Timed from `BEGIN` to `COMMIT`.
//!    That is the insert rate no API over this schema can beat on this machine.
//!
//! Writes the figures to OUT_JSON and prints a summary.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use agriwaste_analytics::synthetic::SyntheticSpec;
use agriwaste_server::storage::Storage;
use anyhow::{Context, bail, ensure};
use rusqlite::types::Value;

const PASSWORD: &str = "bench-password-2030";

fn env_usize(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .with_context(|| format!("{name} must be a whole number, got {v:?}")),
        Err(_) => Ok(default),
    }
}

/// A server process on a fresh SQLite database, with an admin to log in as.
struct Server {
    child: Child,
    base: String,
    db_path: PathBuf,
}

impl Server {
    fn start(binary: &Path, dir: &Path) -> anyhow::Result<Server> {
        let data = dir.join("data");
        let db_path = dir.join("api.db");
        let url = format!("sqlite://{}?mode=rwc", db_path.display());
        let mut add = Command::new(binary)
            .args(["user", "add", "--username", "bench", "--role", "admin"])
            .args(["--password-stdin", "--data-dir"])
            .arg(&data)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .context("starting `agriwaste user add`")?;
        {
            use std::io::Write;
            let mut stdin = add.stdin.take().context("stdin of user add")?;
            writeln!(stdin, "{PASSWORD}")?;
        }
        ensure!(add.wait()?.success(), "`agriwaste user add` failed");
        let mut child = Command::new(binary)
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .current_dir(dir)
            .stdout(Stdio::piped())
            .spawn()
            .context("starting `agriwaste serve`")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            match lines.next() {
                Some(line) => {
                    let line = line?;
                    if let Some(rest) = line.strip_prefix("agriwaste listening on ") {
                        break rest.trim().to_owned();
                    }
                }
                None => bail!("the server exited before listening"),
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Server {
            child,
            base,
            db_path,
        })
    }

    async fn login(&self, client: &reqwest::Client) -> anyhow::Result<String> {
        let response = client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"username": "bench", "password": PASSWORD}))
            .send()
            .await?
            .error_for_status()?;
        let body: serde_json::Value = response.json().await?;
        body["token"]
            .as_str()
            .map(str::to_owned)
            .context("login answered without a token")
    }

    /// SIGTERM, then wait: the server finishes its requests and closes the database.
    fn stop(mut self) -> anyhow::Result<PathBuf> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        ensure!(status.success(), "kill -TERM failed");
        self.child.wait()?;
        Ok(self.db_path)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn client(connections: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(600))
        .build()?)
}

/// Runs `clients` workers over `bodies`, each taking the next body when it is free.
/// Returns the wall time and every request's latency (seconds).
async fn drive(
    http: &reqwest::Client,
    url: String,
    token: &str,
    bodies: Vec<String>,
    clients: usize,
    expected_status: u16,
) -> anyhow::Result<(f64, Vec<f64>, Vec<String>)> {
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, bodies, next) = (http.clone(), url.clone(), bodies.clone(), next.clone());
        let auth = format!("Bearer {token}");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut answers = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let sent = Instant::now();
                let response = http
                    .post(&url)
                    .header("authorization", &auth)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?;
                let status = response.status().as_u16();
                let text = response.text().await?;
                latencies.push(sent.elapsed().as_secs_f64());
                if status != expected_status {
                    bail!("request {i} answered {status}: {text:.300}");
                }
                answers.push(text);
            }
            anyhow::Ok((latencies, answers))
        }));
    }
    let mut latencies = Vec::new();
    let mut answers = Vec::new();
    for task in tasks {
        let (l, a) = task.await??;
        latencies.extend(l);
        answers.extend(a);
    }
    let wall = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Ok((wall, latencies, answers))
}

/// The tables the API writes when it stores a survey, and which of their rows belong
/// to the surveys (the audit log also holds the account set-up).
const TABLES: [(&str, &str); 4] = [
    ("surveys", ""),
    ("survey_versions", ""),
    ("survey_facts", ""),
    ("audit_log", " WHERE action = 'survey.create'"),
];

struct TableRows {
    name: &'static str,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

fn read_rows(db: &Path) -> anyhow::Result<Vec<TableRows>> {
    let conn = rusqlite::Connection::open(db)?;
    let mut tables = Vec::new();
    for (name, filter) in TABLES {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {name}{filter} ORDER BY rowid"))?;
        let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let width = columns.len();
        let rows = stmt
            .query_map([], |row| {
                (0..width)
                    .map(|i| row.get::<_, Value>(i))
                    .collect::<Result<Vec<_>, _>>()
            })?
            .collect::<Result<Vec<_>, _>>()?;
        tables.push(TableRows {
            name,
            columns,
            rows,
        });
    }
    Ok(tables)
}

/// Inserts the rows into `target` in one transaction, one prepared statement per table;
/// returns the seconds from BEGIN to COMMIT (included).
fn raw_insert(target: &Path, tables: &[TableRows]) -> anyhow::Result<f64> {
    let mut conn = rusqlite::Connection::open(target)?;
    // The server's settings (storage::Storage::open).
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    ensure!(mode.eq_ignore_ascii_case("wal"), "journal mode {mode}");
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let started = Instant::now();
    let tx = conn.transaction()?;
    for table in tables {
        let placeholders = vec!["?"; table.columns.len()].join(", ");
        let columns = table
            .columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut insert = tx.prepare(&format!(
            "INSERT INTO {} ({columns}) VALUES ({placeholders})",
            table.name
        ))?;
        for row in &table.rows {
            insert.execute(rusqlite::params_from_iter(row.iter()))?;
        }
    }
    tx.commit()?;
    Ok(started.elapsed().as_secs_f64())
}

fn count(db: &Path, sql: &str) -> anyhow::Result<i64> {
    let conn = rusqlite::Connection::open(db)?;
    Ok(conn.query_row(sql, [], |row| row.get(0))?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_ingest AGRIWASTE_BINARY OUT_JSON";
    let binary = std::fs::canonicalize(args.next().context(usage)?)?;
    let out = PathBuf::from(args.next().context(usage)?);
    let surveys = env_usize("BENCH_INGEST_SURVEYS", 100_000)?;
    let batch = env_usize("BENCH_INGEST_BATCH", 250)?;
    let batch_clients = env_usize("BENCH_INGEST_CLIENTS", 4)?;
    let singles = env_usize("BENCH_SINGLE_SURVEYS", 10_000)?;
    let single_clients = env_usize("BENCH_SINGLE_CLIENTS", 64)?;
    ensure!(
        surveys > 0 && batch > 0 && batch_clients > 0 && single_clients > 0,
        "sizes must be positive"
    );

    let spec = SyntheticSpec {
        seed: 7_100_000,
        ..SyntheticSpec::default()
    };
    // Bodies are made before any clock starts: the phones have them ready.
    let batch_bodies: Vec<String> = (0..surveys as u64)
        .collect::<Vec<_>>()
        .chunks(batch)
        .map(|chunk| {
            let items: Vec<_> = chunk.iter().map(|&i| spec.survey(i)).collect();
            serde_json::to_string(&serde_json::json!({ "surveys": items }))
        })
        .collect::<Result<_, _>>()?;
    let single_bodies: Vec<String> = (surveys as u64..(surveys + singles) as u64)
        .map(|i| serde_json::to_string(&spec.survey(i)))
        .collect::<Result<_, _>>()?;
    let requests = batch_bodies.len();

    // 1. Batch sync.
    let work = tempfile::tempdir()?;
    let batch_dir = work.path().join("batch");
    std::fs::create_dir_all(&batch_dir)?;
    let server = Server::start(&binary, &batch_dir)?;
    let http = client(batch_clients.max(single_clients))?;
    let token = server.login(&http).await?;
    eprintln!(
        "bench_ingest: batch sync of {surveys} surveys, {batch} per request, {batch_clients} clients"
    );
    let (batch_wall, batch_latencies, answers) = drive(
        &http,
        format!("{}/api/v1/surveys/batch", server.base),
        &token,
        batch_bodies,
        batch_clients,
        200,
    )
    .await?;
    let created: u64 = answers
        .iter()
        .map(|a| {
            serde_json::from_str::<serde_json::Value>(a)
                .ok()
                .and_then(|v| v["summary"]["created"].as_u64())
                .unwrap_or(0)
        })
        .sum();
    ensure!(
        created == surveys as u64,
        "the API created {created} of {surveys} surveys"
    );
    let api_db = server.stop()?;
    ensure!(count(&api_db, "SELECT COUNT(*) FROM surveys")? == surveys as i64);

    // 2. Single POSTs on a fresh server.
    let single = if singles > 0 {
        let single_dir = work.path().join("single");
        std::fs::create_dir_all(&single_dir)?;
        let server = Server::start(&binary, &single_dir)?;
        let token = server.login(&http).await?;
        eprintln!("bench_ingest: {singles} single POSTs, {single_clients} clients");
        let (wall, latencies, _) = drive(
            &http,
            format!("{}/api/v1/surveys", server.base),
            &token,
            single_bodies,
            single_clients,
            201,
        )
        .await?;
        let db = server.stop()?;
        ensure!(count(&db, "SELECT COUNT(*) FROM surveys")? == singles as i64);
        Some(serde_json::json!({
            "surveys": singles,
            "clients": single_clients,
            "seconds": wall,
            "per_second": singles as f64 / wall,
            "p50_ms": percentile(&latencies, 0.50) * 1000.0,
            "p99_ms": percentile(&latencies, 0.99) * 1000.0,
            "max_ms": percentile(&latencies, 1.0) * 1000.0,
        }))
    } else {
        None
    };

    // 3. The same rows straight into SQLite.
    let tables = read_rows(&api_db)?;
    let rows: usize = tables.iter().map(|t| t.rows.len()).sum();
    for table in &tables {
        ensure!(
            table.rows.len() == surveys,
            "{} has {} rows for {surveys} surveys",
            table.name,
            table.rows.len()
        );
    }
    let raw_db = work.path().join("raw.db");
    // The schema after migrations, as the server would create it.
    let storage = Storage::open(
        &format!("sqlite://{}?mode=rwc", raw_db.display()),
        work.path().join("raw-attachments"),
        1,
    )
    .await?;
    storage.close().await?;
    eprintln!("bench_ingest: raw insert of {rows} rows ({surveys} surveys)");
    let raw_seconds = raw_insert(&raw_db, &tables)?;
    ensure!(count(&raw_db, "SELECT COUNT(*) FROM survey_facts")? == surveys as i64);

    let api_rate = surveys as f64 / batch_wall;
    let raw_rate = surveys as f64 / raw_seconds;
    let summary = serde_json::json!({
        "batch": {
            "surveys": surveys,
            "per_request": batch,
            "requests": requests,
            "clients": batch_clients,
            "seconds": batch_wall,
            "per_second": api_rate,
            "p50_ms": percentile(&batch_latencies, 0.50) * 1000.0,
            "p99_ms": percentile(&batch_latencies, 0.99) * 1000.0,
        },
        "raw": {
            "surveys": surveys,
            "rows": rows,
            "tables": tables.iter().map(|t| t.name).collect::<Vec<_>>(),
            "seconds": raw_seconds,
            "per_second": raw_rate,
        },
        "single": single,
        "sqlite_version": rusqlite::version(),
    });
    std::fs::write(&out, serde_json::to_string_pretty(&summary)?)?;
    println!(
        "ingest: API batch {api_rate:.0} surveys/s, raw SQLite {raw_rate:.0} surveys/s ({:.0} %)",
        100.0 * api_rate / raw_rate
    );
    Ok(())
}
