//! A fleet of simulated phones: each a technician with its own device token, syncing
//! batches of new surveys through `POST /api/v1/surveys/batch` the way the app does
//! (an outbox kept until the server acknowledges it), over a flaky network that drops
//! responses and makes the phone send the same batch again.
//!
//! The [`Ledger`] records what the server acknowledged; [`verify`] compares it with
//! the database, through the API listing and directly in SQL.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use agriwaste_analytics::Survey;
use anyhow::{Context, Result, bail, ensure};
use e2e::{Backend, SyntheticSpec, TestApp, client_with, field_array, field_str};
use serde_json::{Value, json};
use tokio::sync::{Mutex, watch};
use uuid::Uuid;

/// Sizes of a run, from the environment so a longer run needs no code change.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Concurrent phones (`RELIABILITY_PHONES`, default 64).
    pub phones: usize,
    /// How long the load test syncs (`RELIABILITY_LOAD_SECONDS`, default 6).
    pub load_seconds: f64,
    /// Server kills per backend in the crash test (`RELIABILITY_CRASHES`, default 10).
    pub crashes: usize,
    /// Longest run between two kills (`RELIABILITY_CRASH_SECONDS`, default 1.5).
    pub crash_seconds: f64,
    /// Largest batch a phone sends (`RELIABILITY_BATCH`, default 10).
    pub batch: usize,
    /// Share of requests sent again with the same ids (`RELIABILITY_RETRY_PERCENT`,
    /// default 20): half after a dropped response, half after an acknowledgement the
    /// phone never saw.
    pub retry_percent: u64,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Sizes {
    /// The sizes for this run.
    pub fn from_env() -> Sizes {
        Sizes {
            phones: env_or("RELIABILITY_PHONES", 64),
            load_seconds: env_or("RELIABILITY_LOAD_SECONDS", 6.0),
            crashes: env_or("RELIABILITY_CRASHES", 10),
            crash_seconds: env_or("RELIABILITY_CRASH_SECONDS", 1.5),
            batch: env_or("RELIABILITY_BATCH", 10).max(1),
            retry_percent: env_or("RELIABILITY_RETRY_PERCENT", 20).min(100),
        }
    }
}

/// A small deterministic generator (SplitMix64): enough randomness for timing and
/// choices, seeded per phone so a failing run can be told apart from another.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator seeded from a fresh UUID.
    pub fn fresh() -> Rng {
        Rng(Uuid::new_v4().as_u64_pair().0)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }
}

/// One simulated phone: a technician in one county with a device token.
pub struct Phone {
    /// The technician's username (the author the server records).
    pub username: String,
    /// A client carrying the phone's device token.
    pub client: reqwest::Client,
    spec: SyntheticSpec,
    next_index: u64,
}

impl Phone {
    /// The next new survey this phone records, as JSON.
    pub fn next_survey(&mut self) -> Value {
        let mut survey = self.spec.survey(self.next_index);
        self.next_index += 1;
        survey.technician = self.username.clone();
        serde_json::to_value(survey).unwrap_or(Value::Null)
    }
}

/// Counties the synthetic surveys are drawn from.
pub fn counties() -> Vec<String> {
    let mut counties: Vec<String> = SyntheticSpec::default()
        .surveys(400)
        .into_iter()
        .map(|s| s.county_code)
        .collect();
    counties.sort();
    counties.dedup();
    counties
}

/// Creates `count` technicians, each with one county and a device token, as an admin
/// would before handing out phones.
pub async fn enroll(app: &TestApp, count: usize, prefix: &str) -> Result<Vec<Phone>> {
    let counties = counties();
    let mut phones = Vec::with_capacity(count);
    for n in 0..count {
        let county = counties[n % counties.len()].clone();
        let username = format!("{prefix}-{n:03}");
        let (id, _) = app
            .create_user(&username, "technician", None, &[&county])
            .await?;
        let (status, issued) = app
            .post(
                &format!("/api/v1/users/{id}/device-tokens"),
                &json!({ "name": format!("phone of {username}") }),
            )
            .await?;
        ensure!(status == 201, "issuing a device token: {status} {issued}");
        let token = issued["secret"].as_str().context("device token")?;
        phones.push(Phone {
            username,
            client: client_with(&[("authorization", &format!("Bearer {token}"))])?,
            spec: SyntheticSpec {
                seed: Rng::fresh().next_u64(),
                counties: vec![county],
                ..SyntheticSpec::default()
            },
            next_index: 0,
        });
    }
    Ok(phones)
}

/// What the server acknowledged, and what it may or may not have stored (sent, but the
/// answer never arrived).
#[derive(Default)]
pub struct Ledger {
    /// Acknowledged (`created` or `duplicate`) surveys, as sent.
    pub acknowledged: Mutex<HashMap<Uuid, Value>>,
    /// Sent without an answer, not yet acknowledged.
    pub in_doubt: Mutex<HashSet<Uuid>>,
    /// Notified at every acknowledgement.
    pub acknowledgements: tokio::sync::Notify,
}

/// Counters and findings of a run. Findings (`failures`) fail the test.
#[derive(Default)]
pub struct Stats {
    /// Latency of each answered request, microseconds.
    pub latencies_us: Mutex<Vec<u64>>,
    /// Requests sent, answered or not.
    pub requests: AtomicU64,
    /// Requests re-sent with the same surveys.
    pub retries: AtomicU64,
    /// Requests whose answer the phone dropped.
    pub dropped: AtomicU64,
    /// Requests that failed in transport (the server was killed).
    pub transport_errors: AtomicU64,
    /// Everything that must not happen: 5xx, conflicts, invalid items, lost
    /// acknowledgements of a retry.
    pub failures: Mutex<Vec<String>>,
}

impl Stats {
    async fn fail(&self, what: String) {
        self.failures.lock().await.push(what);
    }

    /// Prints p50/p99 latency and throughput.
    pub async fn report(&self, label: &str, surveys: usize, elapsed: Duration) {
        let mut latencies = self.latencies_us.lock().await.clone();
        latencies.sort_unstable();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
                .map_or(0.0, |us| *us as f64 / 1000.0)
        };
        let seconds = elapsed.as_secs_f64();
        println!(
            "{label}: {surveys} surveys acknowledged in {seconds:.1} s = {:.0} surveys/s; \
             {} requests ({:.0}/s), {} retried with the same ids, {} answers dropped, \
             {} transport errors; latency p50 {:.1} ms, p99 {:.1} ms",
            surveys as f64 / seconds,
            self.requests.load(Ordering::Relaxed),
            self.requests.load(Ordering::Relaxed) as f64 / seconds,
            self.retries.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
            self.transport_errors.load(Ordering::Relaxed),
            at(0.5),
            at(0.99),
        );
    }
}

/// What the phones share: where the server is (`None` while it is down), when to
/// stop, the ledger and the counters.
#[derive(Clone)]
pub struct Network {
    /// The server's base URL.
    pub server: watch::Receiver<Option<String>>,
    /// Set to stop: each phone finishes (syncs) its outbox, then returns.
    pub stop: Arc<AtomicBool>,
    /// What was acknowledged.
    pub ledger: Arc<Ledger>,
    /// Counters.
    pub stats: Arc<Stats>,
    /// Transport errors are expected (the crash test kills the server).
    pub expect_kills: bool,
    /// The sizes.
    pub sizes: Sizes,
}

/// How a phone sends one attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Attempt {
    /// Send and read the answer.
    Normal,
    /// Give up on the answer after a few milliseconds, as when the signal drops: the
    /// server may or may not have stored the batch.
    DropAnswer,
    /// Read the answer, then send the same batch again (the acknowledgement was lost on
    /// the way to the app).
    ResendAfterAck,
}

/// Runs one phone until `stop`, then syncs what is left in its outbox.
pub async fn run_phone(mut phone: Phone, mut net: Network, seed: u64) {
    let mut rng = Rng::new(seed);
    while !net.stop.load(Ordering::Relaxed) {
        let size = rng.between(1, net.sizes.batch as u64) as usize;
        let batch: Vec<Value> = (0..size).map(|_| phone.next_survey()).collect();
        sync(&phone, &mut net, &mut rng, batch).await;
    }
}

fn ids_of(batch: &[Value]) -> Vec<Uuid> {
    batch
        .iter()
        .filter_map(|s| s["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()))
        .collect()
}

/// Sends a batch until the server acknowledges every survey in it.
async fn sync(phone: &Phone, net: &mut Network, rng: &mut Rng, batch: Vec<Value>) {
    let body = json!({ "surveys": batch });
    let ids = ids_of(&batch);
    let half = net.sizes.retry_percent / 2;
    let mut first = true;
    let mut acknowledged_once = false;
    loop {
        let Some(base) = current_server(&mut net.server).await else {
            return;
        };
        let attempt = match rng.next_u64() % 100 {
            n if first && n < half => Attempt::DropAnswer,
            n if first && n < 2 * half => Attempt::ResendAfterAck,
            _ => Attempt::Normal,
        };
        if !first {
            net.stats.retries.fetch_add(1, Ordering::Relaxed);
        }
        first = false;
        net.stats.requests.fetch_add(1, Ordering::Relaxed);
        let url = format!("{base}/api/v1/surveys/batch");
        let request = async {
            let response = phone.client.post(&url).json(&body).send().await?;
            let status = response.status().as_u16();
            let text = response.text().await?;
            Ok::<_, reqwest::Error>((status, text))
        };
        let started = Instant::now();
        let answer = if attempt == Attempt::DropAnswer {
            net.ledger.in_doubt.lock().await.extend(ids.iter().copied());
            let wait = Duration::from_millis(rng.between(1, 40));
            match tokio::time::timeout(wait, request).await {
                Ok(answer) => answer,
                Err(_) => {
                    net.stats.dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
        } else {
            request.await
        };
        let (status, text) = match answer {
            Ok(answer) => answer,
            Err(err) => {
                net.stats.transport_errors.fetch_add(1, Ordering::Relaxed);
                net.ledger.in_doubt.lock().await.extend(ids.iter().copied());
                if !net.expect_kills {
                    net.stats
                        .fail(format!("{}: transport error {err}", phone.username))
                        .await;
                    return;
                }
                // The server is gone: wait until it is back at a new address, unless
                // it already is.
                if net.server.borrow().as_deref() != Some(base.as_str()) {
                    continue;
                }
                match tokio::time::timeout(Duration::from_secs(120), net.server.changed()).await {
                    Ok(Ok(())) => continue,
                    Ok(Err(_)) => return,
                    Err(_) => {
                        net.stats
                            .fail(format!(
                                "{}: the server did not come back: {err}",
                                phone.username
                            ))
                            .await;
                        return;
                    }
                }
            }
        };
        net.stats
            .latencies_us
            .lock()
            .await
            .push(started.elapsed().as_micros() as u64);
        if status != 200 {
            net.stats
                .fail(format!(
                    "{}: batch answered {status}: {text}",
                    phone.username
                ))
                .await;
            return;
        }
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let results = field_array(&answer, "results");
        if results.len() != batch.len() {
            net.stats
                .fail(format!(
                    "{}: {} results for {} surveys",
                    phone.username,
                    results.len(),
                    batch.len()
                ))
                .await;
            return;
        }
        let mut ok = true;
        for (result, survey) in results.iter().zip(&batch) {
            let state = result["status"].as_str().unwrap_or("?");
            let expected: &[&str] = if acknowledged_once {
                &["duplicate"]
            } else {
                &["created", "duplicate"]
            };
            if !expected.contains(&state) {
                ok = false;
                net.stats
                    .fail(format!(
                        "{}: survey {} answered {state} (expected {expected:?}): {result}",
                        phone.username, survey["id"]
                    ))
                    .await;
            }
        }
        if !ok {
            return;
        }
        {
            let mut acknowledged = net.ledger.acknowledged.lock().await;
            for (id, survey) in ids.iter().zip(&batch) {
                acknowledged.insert(*id, survey.clone());
            }
        }
        net.ledger.acknowledgements.notify_waiters();
        {
            let mut in_doubt = net.ledger.in_doubt.lock().await;
            for id in &ids {
                in_doubt.remove(id);
            }
        }
        if attempt == Attempt::ResendAfterAck {
            acknowledged_once = true;
            continue;
        }
        return;
    }
}

/// The server's address, waiting while it is down; `None` when the run is over.
async fn current_server(server: &mut watch::Receiver<Option<String>>) -> Option<String> {
    loop {
        if let Some(base) = server.borrow_and_update().clone() {
            return Some(base);
        }
        server.changed().await.ok()?;
    }
}

/// Compares the database with the ledger, through the API listing and in SQL: every
/// acknowledged survey is there, equal to what was sent; nothing is there twice;
/// nothing is there that was not sent. With `exact`, nothing is in doubt any more and
/// the stored set equals the acknowledged set.
pub async fn verify(app: &TestApp, ledger: &Ledger, exact: bool) -> Result<usize> {
    let acknowledged = ledger.acknowledged.lock().await.clone();
    let in_doubt = ledger.in_doubt.lock().await.clone();
    if exact {
        ensure!(
            in_doubt.iter().all(|id| acknowledged.contains_key(id)),
            "surveys left unacknowledged at the end"
        );
    }

    // Through the API.
    let listed = app.all_surveys("").await?;
    let mut by_api: HashMap<Uuid, Value> = HashMap::with_capacity(listed.len());
    for item in listed {
        let id = Uuid::parse_str(field_str(&item, "survey.id"))?;
        ensure!(
            by_api.insert(id, item["survey"].clone()).is_none(),
            "survey {id} listed twice"
        );
    }
    check_set("API listing", &by_api, &acknowledged, &in_doubt, exact)?;

    // Directly in the database.
    let by_sql = stored_in_database(app).await?;
    check_set("database", &by_sql, &acknowledged, &in_doubt, exact)?;
    Ok(acknowledged.len())
}

fn check_set(
    source: &str,
    stored: &HashMap<Uuid, Value>,
    acknowledged: &HashMap<Uuid, Value>,
    in_doubt: &HashSet<Uuid>,
    exact: bool,
) -> Result<()> {
    let mut lost = 0;
    for (id, sent) in acknowledged {
        let Some(found) = stored.get(id) else {
            lost += 1;
            continue;
        };
        let sent: Survey = serde_json::from_value(sent.clone())?;
        let found: Survey = serde_json::from_value(found.clone())
            .with_context(|| format!("{source}: survey {id} does not decode"))?;
        ensure!(
            found == sent,
            "{source}: survey {id} changed: sent {sent:?}, stored {found:?}"
        );
    }
    ensure!(lost == 0, "{source}: {lost} acknowledged surveys lost");
    for id in stored.keys() {
        let known = acknowledged.contains_key(id) || (!exact && in_doubt.contains(id));
        ensure!(
            known,
            "{source}: survey {id} is stored but was never acknowledged"
        );
    }
    if exact {
        ensure!(
            stored.len() == acknowledged.len(),
            "{source}: {} stored, {} acknowledged",
            stored.len(),
            acknowledged.len()
        );
    }
    Ok(())
}

/// Every survey row, read with SQL: id to payload. Fails if an id has two rows or a
/// survey has no version 1.
pub async fn stored_in_database(app: &TestApp) -> Result<HashMap<Uuid, Value>> {
    type Row = (String, String);
    let counts = "SELECT (SELECT COUNT(*) FROM surveys), (SELECT COUNT(DISTINCT id) FROM surveys), \
                  (SELECT COUNT(*) FROM survey_versions WHERE version = 1)";
    let (rows, (total, distinct, firsts)): (Vec<Row>, (i64, i64, i64)) = match app.backend {
        Backend::Sqlite => {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(app.database_url()).await?;
            let rows = sqlx::query_as("SELECT id, payload FROM surveys")
                .fetch_all(&mut conn)
                .await?;
            let counts = sqlx::query_as(counts).fetch_one(&mut conn).await?;
            conn.close().await?;
            (rows, counts)
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(app.database_url()).await?;
            let rows = sqlx::query_as("SELECT id, payload FROM surveys")
                .fetch_all(&mut conn)
                .await?;
            let counts = sqlx::query_as(counts).fetch_one(&mut conn).await?;
            conn.close().await?;
            (rows, counts)
        }
    };
    ensure!(total == distinct, "{total} survey rows for {distinct} ids");
    ensure!(
        firsts == total,
        "{firsts} first versions for {total} surveys"
    );
    let mut stored = HashMap::with_capacity(rows.len());
    for (id, payload) in rows {
        let value: Value = serde_json::from_str(&payload)?;
        stored.insert(Uuid::parse_str(&id)?, value);
    }
    Ok(stored)
}

/// Fails with the run's findings, if any, and the errors the server logged.
pub async fn no_failures(app: &TestApp, stats: &Stats) -> Result<()> {
    let failures = stats.failures.lock().await;
    if !failures.is_empty() {
        let log = app.log();
        let errors: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("ERROR") || l.contains("WARN"))
            .take(10)
            .collect();
        bail!(
            "{} failures, first ones:\n{}\nserver errors:\n{}",
            failures.len(),
            failures
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n"),
            errors.join("\n")
        );
    }
    Ok(())
}
