//! Scale-out: two server processes on one PostgreSQL database, as behind a load
//! balancer whose clients retry against the other replica. Every batch reaches both at
//! once; each survey must end up stored once, with no 5xx from the unique-key race, and
//! two corrections from the same base through different replicas must not both win.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use e2e::{Backend, TestApp, field_array, field_str, json_of};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fleet::{self, Ledger, Rng, Sizes};

/// Phones in the scale-out test: a quarter of the load test's.
fn phones(sizes: &Sizes) -> usize {
    (sizes.phones / 4).max(2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_store_each_survey_once() -> Result<()> {
    let sizes = Sizes::from_env();
    let mut app = TestApp::spawn(Backend::Postgres).await?;
    let replica = app.start_replica().await?;
    let bases = [app.base.clone(), replica.base.clone()];
    let phones = fleet::enroll(&app, phones(&sizes), "lb").await?;
    let deadline = Instant::now() + Duration::from_secs_f64(sizes.load_seconds);
    let mut tasks = Vec::new();
    for (n, mut phone) in phones.into_iter().enumerate() {
        let bases = bases.clone();
        let mut rng = Rng::fresh();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged: HashMap<Uuid, Value> = HashMap::new();
            let mut failures = Vec::new();
            let mut round = 0usize;
            while Instant::now() < deadline {
                round += 1;
                let size = rng.between(1, sizes.batch as u64) as usize;
                let batch: Vec<Value> = (0..size).map(|_| phone.next_survey()).collect();
                // The second replica gets the batch in reverse order every other round:
                // a phone that re-batches its outbox.
                let mut other = batch.clone();
                if (n + round) % 2 == 0 {
                    other.reverse();
                }
                let send = |base: &str, surveys: &[Value]| {
                    phone
                        .client
                        .post(format!("{base}/api/v1/surveys/batch"))
                        .json(&json!({ "surveys": surveys }))
                        .send()
                };
                let (first, second) =
                    tokio::join!(send(&bases[0], &batch), send(&bases[1], &other));
                let (a, b) = (json_of(first?).await?, json_of(second?).await?);
                if a.0 != 200 || b.0 != 200 {
                    failures.push(format!("answers {} {} / {} {}", a.0, a.1, b.0, b.1));
                    continue;
                }
                let mut statuses: HashMap<String, Vec<String>> = HashMap::new();
                for answer in [&a.1, &b.1] {
                    for result in field_array(answer, "results") {
                        statuses
                            .entry(field_str(result, "id").to_owned())
                            .or_default()
                            .push(result["status"].as_str().unwrap_or("?").to_owned());
                    }
                }
                for survey in &batch {
                    let id = field_str(survey, "id");
                    let mut got = statuses.remove(id).unwrap_or_default();
                    got.sort();
                    if got != ["created", "duplicate"] {
                        failures.push(format!(
                            "survey {id}: {got:?} (expected one created, one duplicate)"
                        ));
                    }
                    acknowledged.insert(Uuid::parse_str(id)?, survey.clone());
                }
            }
            anyhow::Ok((acknowledged, failures, round))
        }));
    }
    let ledger = Ledger::default();
    let mut failures = Vec::new();
    let mut rounds = 0;
    for task in tasks {
        let (acknowledged, found, phone_rounds) = task.await??;
        ledger.acknowledged.lock().await.extend(acknowledged);
        failures.extend(found);
        rounds += phone_rounds;
    }
    if !failures.is_empty() {
        let log = app.log();
        let errors: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("ERROR"))
            .take(5)
            .collect();
        anyhow::bail!(
            "{} failures, first: {:?}\nserver errors:\n{}",
            failures.len(),
            &failures[..failures.len().min(3)],
            errors.join("\n")
        );
    }
    let surveys = fleet::verify(&app, &ledger, true).await?;
    ensure!(surveys > 0, "no survey was acknowledged");
    // Each survey was created once: one audit entry, whichever replica won.
    let creations: (i64,) = {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(app.database_url()).await?;
        let row = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.create'")
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        row
    };
    ensure!(
        creations.0 as usize == surveys,
        "{} creations audited for {surveys} surveys",
        creations.0
    );
    println!(
        "scale-out: {rounds} batches sent to both replicas at once, {surveys} surveys stored once each"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_corrections_through_two_replicas_one_wins() -> Result<()> {
    let mut app = TestApp::spawn(Backend::Postgres).await?;
    let replica = app.start_replica().await?;
    let bases = [app.base.clone(), replica.base.clone()];
    let surveys = e2e::synthetic_surveys(40);
    let (status, body) = app
        .post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
        .await?;
    ensure!(
        status == 200 && body["summary"]["created"] == 40,
        "{status} {body}"
    );
    let mut wins = [0usize; 2];
    for (n, survey) in surveys.iter().enumerate() {
        let id = field_str(survey, "id");
        let correction = |household: &str, header: bool| {
            let mut fixed = survey.clone();
            fixed["household"] = json!(household);
            let mut body = json!({ "survey": fixed, "note": "reweighed" });
            if !header {
                body["base_version"] = json!(1);
            }
            body
        };
        // Alternate If-Match and base_version, and which replica goes first.
        let (x, y) = if n % 2 == 0 { (0, 1) } else { (1, 0) };
        let put = |base: &str, body: Value, header: bool| {
            let mut request = app
                .client
                .put(format!("{base}/api/v1/surveys/{id}"))
                .json(&body);
            if header {
                request = request.header("if-match", "\"v1\"");
            }
            request.send()
        };
        let (first, second) = tokio::join!(
            put(&bases[x], correction("fixed-by-a", true), true),
            put(&bases[y], correction("fixed-by-b", false), false)
        );
        let (a, b) = (json_of(first?).await?, json_of(second?).await?);
        let winner = match (a.0, b.0) {
            (200, 409 | 412) => "fixed-by-a",
            (409 | 412, 200) => "fixed-by-b",
            other => anyhow::bail!("survey {id}: answers {other:?}: {} / {}", a.1, b.1),
        };
        wins[usize::from(winner == "fixed-by-b")] += 1;
        let loser = if winner == "fixed-by-a" { &b.1 } else { &a.1 };
        ensure!(
            loser["current_version"] == 2,
            "the refused correction names the current version: {loser}"
        );
        for base in &bases {
            let (status, stored) = json_of(
                app.client
                    .get(format!("{base}/api/v1/surveys/{id}"))
                    .send()
                    .await?,
            )
            .await?;
            ensure!(status == 200 && stored["version"] == 2, "{status} {stored}");
            ensure!(stored["survey"]["household"] == winner, "{stored}");
        }
        let (_, history) = app.get(&format!("/api/v1/surveys/{id}/history")).await?;
        ensure!(
            history["versions"].as_array().map(Vec::len) == Some(2),
            "{history}"
        );
    }
    println!(
        "scale-out corrections: {} pairs, first replica won {}, second {}; every loser got 409",
        surveys.len(),
        wins[0],
        wins[1]
    );
    Ok(())
}
