//! End-to-end test support: start the real `agriwaste` binary on a fresh database
//! (a SQLite file in a temporary directory, or a new PostgreSQL database), talk HTTP to
//! it, kill and restart it.
//!
//! Nothing is mocked: each test gets its own server process and its own database, so
//! tests run in parallel without sharing state.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use uuid::Uuid;

pub use agriwaste_analytics::synthetic::SyntheticSpec;

/// Which store the server under test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the test's temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server named by `AGRIWASTE_TEST_PG_URL`
    /// (default `postgres://postgres@127.0.0.1:5432/test`).
    Postgres,
}

/// Generates `mod NAME { sqlite, postgres }` tests that run `async fn NAME(Backend)` on
/// each store, so no storage test can forget one.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() -> anyhow::Result<()> {
                    super::$name($crate::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() -> anyhow::Result<()> {
                    super::$name($crate::Backend::Postgres).await
                }
            }
        )+
    };
}

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The server binary: `AGRIWASTE_BIN`, else `target/debug/agriwaste` beside this test.
fn server_binary() -> Result<PathBuf> {
    if let Ok(path) = std::env::var("AGRIWASTE_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    // target/debug/deps/api-HASH -> target/debug/agriwaste
    let candidate = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("agriwaste"))
        .context("locating the target directory")?;
    if !candidate.exists() {
        bail!(
            "{} does not exist: build the server first (`cargo build -p agriwaste-server`; `just test` does)",
            candidate.display()
        );
    }
    Ok(candidate)
}

/// How [`TestApp::advance_clock`] runs the server's clock ahead, in seconds: the
/// server's `storage::clock::TEST_CLOCK_OFFSET_VARIABLE` (this crate runs the binary
/// and does not link the server).
const TEST_CLOCK_OFFSET_VARIABLE: &str = "AGRIWASTE_TEST_CLOCK_OFFSET_SECS";

/// What the server logs when it runs its clock ahead: its
/// `storage::clock::TEST_CLOCK_LOG_MESSAGE`.
const TEST_CLOCK_LOG_MESSAGE: &str = "clock offset for tests";

fn admin_pg_url() -> String {
    std::env::var("AGRIWASTE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// The URL of another database on the same PostgreSQL server.
fn pg_url_for(admin: &str, database: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin, String::new()),
    };
    let root = base.rsplit_once('/').map(|(root, _)| root).unwrap_or(base);
    format!("{root}/{database}{query}")
}

async fn pg_admin(sql: &str) -> Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin_pg_url())
        .await
        .with_context(|| {
            format!(
                "connecting to PostgreSQL at {} (set AGRIWASTE_TEST_PG_URL)",
                admin_pg_url()
            )
        })?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Writes to a scratch database on the same PostgreSQL server as the tests' databases,
/// vacuums it and drops it: transactions that move the server's transaction ids and
/// snapshots but none of the data of any other database.
pub async fn write_to_another_database() -> Result<()> {
    use sqlx::Connection;
    let name = format!("agriwaste_scratch_{}", Uuid::new_v4().simple());
    pg_admin(&format!("CREATE DATABASE {name}")).await?;
    let mut conn = sqlx::PgConnection::connect(&pg_url_for(&admin_pg_url(), &name)).await?;
    // One statement each: VACUUM cannot run inside the implicit transaction of a
    // multi-statement query.
    for sql in [
        "CREATE TABLE scratch (id BIGSERIAL PRIMARY KEY, note TEXT NOT NULL)",
        "INSERT INTO scratch (note) SELECT 'unrelated' FROM generate_series(1, 100)",
        "DELETE FROM scratch WHERE id % 2 = 0",
        "VACUUM scratch",
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    pg_admin(&format!("DROP DATABASE {name}")).await
}

/// A running server under test.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A client signed in as the test's admin (every request carries its token).
    pub client: reqwest::Client,
    /// The admin's password (a random one per test).
    pub admin_password: String,
    /// The admin's session token (what `client` sends as `Authorization: Bearer`).
    pub admin_token: String,
    /// The store.
    pub backend: Backend,
    child: Option<Child>,
    data_dir: tempfile::TempDir,
    database_url: String,
    pg_database: Option<String>,
    extra_args: Vec<String>,
    starts: usize,
    clock_ahead_by: chrono::TimeDelta,
}

impl TestApp {
    /// Starts a server on a fresh database.
    pub async fn spawn(backend: Backend) -> Result<TestApp> {
        TestApp::spawn_with(backend, &[]).await
    }

    /// Starts a server on a fresh database with extra `serve` flags.
    pub async fn spawn_with(backend: Backend, extra_args: &[&str]) -> Result<TestApp> {
        let data_dir = tempfile::Builder::new()
            .prefix("agriwaste-e2e-")
            .tempdir()?;
        let (database_url, pg_database) = match backend {
            Backend::Sqlite => (
                format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.path().join("agriwaste.db").display()
                ),
                None,
            ),
            Backend::Postgres => {
                let name = format!("agriwaste_e2e_{}", Uuid::new_v4().simple());
                pg_admin(&format!("CREATE DATABASE {name}")).await?;
                (pg_url_for(&admin_pg_url(), &name), Some(name))
            }
        };
        let admin_password = format!("pw-{}", Uuid::new_v4().simple());
        let mut app = TestApp {
            base: String::new(),
            client: reqwest::Client::new(),
            admin_password,
            admin_token: String::new(),
            backend,
            child: None,
            data_dir,
            database_url,
            pg_database,
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
            starts: 0,
            clock_ahead_by: chrono::TimeDelta::zero(),
        };
        app.add_admin().await?;
        app.start().await?;
        let token = app.login("admin", &app.admin_password.clone()).await?;
        app.client = client_with(&[("authorization", &format!("Bearer {token}"))])?;
        app.admin_token = token;
        Ok(app)
    }

    /// Creates the first admin the way an operator would: `agriwaste user add`.
    async fn add_admin(&self) -> Result<()> {
        use std::io::Write;
        let mut child = Command::new(server_binary()?)
            .args([
                "user",
                "add",
                "--username",
                "admin",
                "--role",
                "admin",
                "--password-stdin",
            ])
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .current_dir(self.data_dir.path())
            .env("DATABASE_URL", &self.database_url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            writeln!(stdin, "{}", self.admin_password)?;
        }
        let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await??;
        if !output.status.success() {
            bail!(
                "agriwaste user add failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// Signs in and returns the session token.
    pub async fn login(&self, username: &str, password: &str) -> Result<String> {
        let response = reqwest::Client::new()
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await?;
        let (status, body) = json_of(response).await?;
        if status != 200 {
            bail!("sign-in as {username} failed: {status} {body}");
        }
        Ok(field_str(&body, "token").to_owned())
    }

    /// Creates a user through the API (as admin); returns their id and password.
    pub async fn create_user(
        &self,
        username: &str,
        role: &str,
        scope: Option<&str>,
        counties: &[&str],
    ) -> Result<(String, String)> {
        let password = format!("pw-{}", Uuid::new_v4().simple());
        let (status, body) = self
            .post(
                "/api/v1/users",
                &serde_json::json!({
                    "username": username, "role": role, "scope_code": scope,
                    "counties": counties, "password": password,
                }),
            )
            .await?;
        if status != 201 {
            bail!("creating {username} failed: {status} {body}");
        }
        Ok((field_str(&body, "user.id").to_owned(), password))
    }

    /// A client that signs in as a new user of this role and scope.
    pub async fn client_as(
        &self,
        username: &str,
        role: &str,
        scope: Option<&str>,
        counties: &[&str],
    ) -> Result<reqwest::Client> {
        let (_, password) = self.create_user(username, role, scope, counties).await?;
        let token = self.login(username, &password).await?;
        client_with(&[("authorization", &format!("Bearer {token}"))])
    }

    /// Starts the server process on this app's database and waits until it listens.
    pub async fn start(&mut self) -> Result<()> {
        self.starts += 1;
        let (child, addr) = self.launch(self.log_path(self.starts)).await?;
        self.child = Some(child);
        self.base = addr;
        Ok(())
    }

    /// Lets `by` pass for the server: restarts it on the same database with its clock
    /// that much further ahead (`AGRIWASTE_TEST_CLOCK_OFFSET_SECS`, which only a debug
    /// build honours; see the server's `storage::clock`), so that whatever expires
    /// within `by` has expired, without the test waiting. Sessions, keys and tokens stay
    /// valid across the restart, as they do across a real one. Fails if the server did
    /// not log that it moved its clock (a release build ignores the offset).
    pub async fn advance_clock(&mut self, by: chrono::TimeDelta) -> Result<()> {
        self.clock_ahead_by += by;
        self.kill()?;
        self.start().await?;
        let log = std::fs::read_to_string(self.log_path(self.starts))?;
        if !log.contains(TEST_CLOCK_LOG_MESSAGE) {
            bail!(
                "the server did not move its clock (is AGRIWASTE_BIN a release build?); log:\n{log}"
            );
        }
        Ok(())
    }

    /// Starts another server process on the same database (a replica behind a load
    /// balancer), logging beside this app's own logs.
    pub async fn start_replica(&mut self) -> Result<Replica> {
        self.starts += 1;
        let (child, base) = self.launch(self.log_path(self.starts)).await?;
        Ok(Replica {
            base,
            child: Some(child),
        })
    }

    /// Spawns `agriwaste serve` on this app's database and returns it with its address.
    async fn launch(&self, log_path: PathBuf) -> Result<(Child, String)> {
        let log = std::fs::File::create(log_path)?;
        let mut command = Command::new(server_binary()?);
        // Unset, not 0, unless a test moved the clock: nothing but that test's restarts
        // runs on a moved clock, whatever the environment of `cargo test` holds.
        if self.clock_ahead_by.is_zero() {
            command.env_remove(TEST_CLOCK_OFFSET_VARIABLE);
        } else {
            command.env(
                TEST_CLOCK_OFFSET_VARIABLE,
                self.clock_ahead_by.num_seconds().to_string(),
            );
        }
        let mut child = command
            .arg("serve")
            .args(["--bind", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .arg("--web-dir")
            .arg(repo_root().join("web"))
            .args(&self.extra_args)
            .current_dir(self.data_dir.path())
            .env("DATABASE_URL", &self.database_url)
            .env("RUST_LOG", "debug")
            .env_remove("AGRIWASTE_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .context("starting the agriwaste binary")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("agriwaste listening on ") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr.trim().to_owned());
                    }
                }
            }
        });
        match tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(120))).await?
        {
            Ok(addr) => Ok((child, addr)),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("server did not start; log:\n{}", self.log())
            }
        }
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The database URL the server runs on (a SQLite file or a PostgreSQL database).
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    fn log_path(&self, start: usize) -> PathBuf {
        self.data_dir.path().join(format!("server-{start}.log"))
    }

    /// Everything the server processes logged so far.
    pub fn log(&self) -> String {
        (1..=self.starts)
            .map(|n| std::fs::read_to_string(self.log_path(n)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Kills the server with SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Sends SIGTERM and waits for the process to exit; returns whether it exited 0.
    pub async fn terminate(&mut self) -> Result<bool> {
        let Some(mut child) = self.child.take() else {
            return Ok(true);
        };
        // A child we own and have not reaped, so the pid is still ours.
        let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id())?);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM)?;
        let status = tokio::task::spawn_blocking(move || child.wait()).await??;
        Ok(status.success())
    }

    /// Runs the `agriwaste` command line (`export ...`, `import ...`) on this app's
    /// database, with the same data directory as the server; fails unless it exits 0.
    /// Returns its standard output.
    pub fn cli(&self, args: &[&std::ffi::OsStr]) -> Result<String> {
        self.cli_with_stderr(args).map(|(stdout, _)| stdout)
    }

    /// [`TestApp::cli`], returning standard output and standard error.
    pub fn cli_with_stderr(&self, args: &[&std::ffi::OsStr]) -> Result<(String, String)> {
        let output = Command::new(server_binary()?)
            .args(args)
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .current_dir(self.data_dir.path())
            .env("DATABASE_URL", &self.database_url)
            .env_remove("AGRIWASTE_CONFIG")
            .stdin(Stdio::null())
            .output()
            .context("running the agriwaste command line")?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if !output.status.success() {
            bail!(
                "agriwaste {args:?} failed: {}\nstdout: {stdout}\nstderr: {stderr}",
                output.status,
            );
        }
        Ok((stdout, stderr))
    }

    /// The one integer `sql` selects (or returns), run directly on this app's database
    /// (SQLite or PostgreSQL), whatever the API says.
    pub async fn sql_integer(&self, sql: &str) -> Result<i64> {
        use sqlx::Connection;
        let (value,): (i64,) = match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.database_url).await?;
                let value = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut conn)
                    .await?;
                conn.close().await?;
                value
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.database_url).await?;
                let value = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut conn)
                    .await?;
                conn.close().await?;
                value
            }
        };
        Ok(value)
    }

    /// The temporary directory the server keeps its files in (removed with the app).
    pub fn dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POSTs JSON.
    pub async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value)> {
        let response = self.client.post(self.url(path)).json(body).send().await?;
        json_of(response).await
    }

    /// PUTs JSON with optional headers.
    pub async fn put(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Value)> {
        let mut request = self.client.put(self.url(path)).json(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        json_of(request.send().await?).await
    }

    /// GETs JSON.
    pub async fn get(&self, path: &str) -> Result<(u16, Value)> {
        json_of(self.client.get(self.url(path)).send().await?).await
    }

    /// Every survey, following the cursor to the end.
    pub async fn all_surveys(&self, query: &str) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/surveys?limit=1000{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let (status, page) = self.get(&path).await?;
            if status != 200 {
                bail!("listing failed: {status} {page}");
            }
            items.extend(field_array(&page, "items").clone());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(items),
            }
        }
    }
}

/// Another server process on a [`TestApp`]'s database; killed when dropped.
pub struct Replica {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    child: Option<Child>,
}

impl Replica {
    /// Kills the process with SIGKILL.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// A client that sends these headers with every request.
pub fn client_with(headers: &[(&str, &str)]) -> Result<reqwest::Client> {
    let mut map = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            reqwest::header::HeaderName::from_bytes(name.as_bytes())?,
            reqwest::header::HeaderValue::from_str(value)?,
        );
    }
    Ok(reqwest::Client::builder()
        .default_headers(map)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// Status and JSON body of a response (`Null` when the body is not JSON).
pub async fn json_of(response: reqwest::Response) -> Result<(u16, Value)> {
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

impl TestApp {
    /// Runs `agriwaste verify-aggregates` on this app's database: the maintained sums
    /// must equal the sums of the household rows. Every test's app runs it when dropped,
    /// after the scenario and after the server stopped; call it to check mid-scenario.
    pub fn verify_aggregates(&self) -> Result<String> {
        self.cli(&["verify-aggregates".as_ref()])
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.kill();
        // After every scenario, unless it failed already (its own failure says more).
        let verified = if std::thread::panicking() {
            Ok(String::new())
        } else {
            self.verify_aggregates()
        };
        if let Some(name) = self.pg_database.take() {
            // Drop runs outside any runtime we may block, so use a thread of our own.
            let _ = std::thread::spawn(move || {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    let _ = runtime.block_on(pg_admin(&format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )));
                }
            })
            .join();
        }
        if let Err(e) = verified {
            panic!("the maintained sums do not match the household rows: {e:#}");
        }
    }
}

/// The value at `path` in a JSON answer: a field name, or a dotted path through nested
/// objects and arrays (`credential.id`, `surveys.0.id`). A missing field fails the test
/// with the path and the whole body, where `body["x"]` would quietly give `null`.
#[track_caller]
pub fn field<'a>(json: &'a Value, path: &str) -> &'a Value {
    let mut value = json;
    for segment in path.split('.') {
        let next = match value {
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            Value::Object(fields) => fields.get(segment),
            _ => None,
        };
        match next {
            Some(next) => value = next,
            None => panic!("no field `{path}` in {json}"),
        }
    }
    value
}

/// [`field`], read as `kind` by `read`; a value of another type fails the test with the
/// path, the value and the whole body.
#[track_caller]
fn typed_field<'a, T>(
    json: &'a Value,
    path: &str,
    kind: &str,
    read: impl FnOnce(&'a Value) -> Option<T>,
) -> T {
    let value = field(json, path);
    match read(value) {
        Some(typed) => typed,
        None => panic!("field `{path}` is {value}, not {kind}, in {json}"),
    }
}

/// The string at `path` (see [`field`]); anything else fails the test.
#[track_caller]
pub fn field_str<'a>(json: &'a Value, path: &str) -> &'a str {
    typed_field(json, path, "a string", Value::as_str)
}

/// The integer at `path` (see [`field`]); anything else fails the test.
#[track_caller]
pub fn field_i64(json: &Value, path: &str) -> i64 {
    typed_field(json, path, "an integer", Value::as_i64)
}

/// The number at `path` (see [`field`]); anything else fails the test.
#[track_caller]
pub fn field_f64(json: &Value, path: &str) -> f64 {
    typed_field(json, path, "a number", Value::as_f64)
}

/// The array at `path` (see [`field`]); anything else fails the test.
#[track_caller]
pub fn field_array<'a>(json: &'a Value, path: &str) -> &'a Vec<Value> {
    typed_field(json, path, "an array", Value::as_array)
}

/// The object at `path` (see [`field`]); anything else fails the test.
#[track_caller]
pub fn field_object<'a>(json: &'a Value, path: &str) -> &'a serde_json::Map<String, Value> {
    typed_field(json, path, "an object", Value::as_object)
}

/// A survey's crops (`straw`): the wire format leaves the field out when there are none,
/// so absent is empty, while anything but an array fails the test.
#[track_caller]
pub fn straw_crops(survey: &Value) -> &[Value] {
    match survey.get("straw") {
        None => &[],
        Some(_) => field_array(survey, "straw"),
    }
}

/// The example survey of the wire-format documentation, with a fresh id.
pub fn example_survey() -> Value {
    let text = include_str!("../../analytics-wasm/data/example-survey.json");
    let mut value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    value["id"] = Value::String(Uuid::new_v4().to_string());
    value
}

/// `count` valid synthetic surveys (as JSON) with ids no other test uses.
pub fn synthetic_surveys(count: usize) -> Vec<Value> {
    let spec = SyntheticSpec {
        seed: Uuid::new_v4().as_u64_pair().0,
        ..SyntheticSpec::default()
    };
    spec.surveys(count)
        .into_iter()
        .map(|s| serde_json::json!(s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> Value {
        serde_json::json!({"credential": {"id": "c-1"}, "surveys": [{"id": "s-1", "year": 2025}]})
    }

    #[test]
    fn fields_are_read_through_objects_and_arrays() {
        let answer = answer();
        assert_eq!(field_str(&answer, "credential.id"), "c-1");
        assert_eq!(field_str(&answer, "surveys.0.id"), "s-1");
        assert_eq!(field_i64(&answer, "surveys.0.year"), 2025);
        assert_eq!(field_array(&answer, "surveys").len(), 1);
    }

    #[test]
    #[should_panic(expected = r#"no field `surveys.1.id` in {"credential":{"id":"c-1"}"#)]
    fn a_missing_field_fails_naming_it_and_the_body() {
        field_str(&answer(), "surveys.1.id");
    }

    #[test]
    #[should_panic(expected = "field `surveys.0.year` is 2025, not a string, in {")]
    fn a_field_of_another_type_fails_naming_it_and_the_body() {
        field_str(&answer(), "surveys.0.year");
    }
}
