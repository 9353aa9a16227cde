//! The data version the caches and ETags of `/api/v1/indicators` and `/api/v1/facts`
//! compare: every write to this database moves it, in its own transaction, through
//! whichever server process it arrives; nothing outside this database does.

use anyhow::{Context, Result};
use e2e::{Backend, TestApp, on_both_backends, synthetic_surveys, write_to_another_database};
use serde_json::{Value, json};

/// The data version as stored: the sum of the change counter's shards.
const CHANGES: &str = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM change_counter";

const INDICATORS: &str = "/api/v1/indicators?level=all&by_year=false";
const FACTS: &str = "/api/v1/facts";

/// The ETag `path` answers with at `base` (the app or a replica).
async fn etag(app: &TestApp, base: &str, path: &str) -> Result<String> {
    let response = app.client.get(format!("{base}{path}")).send().await?;
    anyhow::ensure!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    Ok(response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .context("etag")?
        .to_owned())
}

/// The status of a revalidation of `path` with `etag`.
async fn revalidate(app: &TestApp, path: &str, etag: &str) -> Result<u16> {
    Ok(app
        .client
        .get(app.url(path))
        .header("If-None-Match", etag)
        .send()
        .await?
        .status()
        .as_u16())
}

on_both_backends!(every_kind_of_write_moves_the_data_version);

/// Each write that changes an indicator or facts answer moves the stored counter and the
/// facts ETag (which is the query and the data version, nothing else): create, batch,
/// correction, review, bulk review, coefficient edit, target edit, group edit, and the
/// start-up backfill of facts, the one write that appends no audit row.
async fn every_kind_of_write_moves_the_data_version(backend: Backend) -> Result<()> {
    let mut app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(4);
    let id = surveys[0]["id"].as_str().context("id")?.to_owned();
    let survey = e2e::example_survey();
    let example_id = survey["id"].as_str().context("id")?.to_owned();
    let mut corrected = survey.clone();
    corrected["film"]["recovered_kg"] = json!(40.0);

    let mut seen = Seen::now(&app).await?;
    let written = app.post("/api/v1/surveys", &survey).await?;
    seen.moved_by(&app, "create", written).await?;
    let written = app
        .post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
        .await?;
    seen.moved_by(&app, "batch", written).await?;
    let written = app
        .put(
            &format!("/api/v1/surveys/{example_id}"),
            &json!({ "survey": corrected, "base_version": 1 }),
            &[],
        )
        .await?;
    seen.moved_by(&app, "correction", written).await?;
    let written = app
        .post(
            &format!("/api/v1/surveys/{id}/review"),
            &json!({ "state": "approved" }),
        )
        .await?;
    seen.moved_by(&app, "review", written).await?;
    let written = app
        .post(
            "/api/v1/surveys/bulk-review",
            &json!({ "filter": { "review_state": "received" }, "state": "approved" }),
        )
        .await?;
    seen.moved_by(&app, "bulk review", written).await?;
    let written = app
        .put(
            "/api/v1/coefficients/542523/2020/straw_grain_ratio/highland_barley",
            &json!({ "value": 1.2, "source": "噶尔县农业农村局 实测 (test)" }),
            &[],
        )
        .await?;
    seen.moved_by(&app, "coefficient edit", written).await?;
    let written = app
        .put(
            "/api/v1/targets/630100/film_recovery_rate/2025",
            &json!({ "target": 0.8, "source": "西宁市无废城市方案 (test)" }),
            &[],
        )
        .await?;
    seen.moved_by(&app, "target edit", written).await?;
    // A group's figures and progress are its members': defining one changes answers.
    let written = app
        .post(
            "/api/v1/groups",
            &json!({ "code": "ali-east", "name_zh": "阿里东部", "name_en": "Ali east",
                     "members": ["542525", "542526", "542527"] }),
        )
        .await?;
    seen.moved_by(&app, "group edit", written).await?;

    // Facts lost (here deleted behind the server's back) are rebuilt at start-up, and the
    // rebuild moves the version too.
    let deleted =
        format!("DELETE FROM survey_facts WHERE survey_id = '{id}' RETURNING CAST(1 AS BIGINT)");
    assert_eq!(app.sql_integer(&deleted).await?, 1);
    app.terminate().await?;
    app.start().await?;
    assert_eq!(
        app.sql_integer(&format!(
            "SELECT COUNT(*) FROM survey_facts WHERE survey_id = '{id}'"
        ))
        .await?,
        1,
        "the facts are backfilled"
    );
    seen.moved_by(&app, "backfill", (200, Value::Null)).await
}

/// The stored counter and the facts ETag as last seen.
struct Seen {
    changes: i64,
    facts_etag: String,
}

impl Seen {
    async fn now(app: &TestApp) -> Result<Seen> {
        Ok(Seen {
            changes: app.sql_integer(CHANGES).await?,
            facts_etag: etag(app, &app.base, FACTS).await?,
        })
    }

    /// Checks that `write` succeeded and moved both since last seen.
    async fn moved_by(
        &mut self,
        app: &TestApp,
        write: &str,
        (status, body): (u16, Value),
    ) -> Result<()> {
        assert!((200..300).contains(&status), "{write}: {status} {body}");
        let now = Seen::now(app).await?;
        assert!(
            now.changes > self.changes,
            "{write} moves the counter ({} -> {})",
            self.changes,
            now.changes
        );
        assert_ne!(
            now.facts_etag, self.facts_etag,
            "{write} changes the facts ETag"
        );
        *self = now;
        Ok(())
    }
}

/// Regression: the version carried PostgreSQL's current snapshot, which every
/// transaction of the server moves, in any database, and so does autovacuum: a
/// revalidation that should have been a 304 got the whole answer again whenever another
/// database of the same server was written to (as the other tests do). Transactions and
/// a vacuum in another database now leave both ETags as they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_to_another_database_leave_the_etags_alone() -> Result<()> {
    let app = TestApp::spawn(Backend::Postgres).await?;
    let (status, _) = app
        .post(
            "/api/v1/surveys/batch",
            &json!({ "surveys": synthetic_surveys(20) }),
        )
        .await?;
    assert_eq!(status, 200);
    let indicators = etag(&app, &app.base, INDICATORS).await?;
    let facts = etag(&app, &app.base, FACTS).await?;
    write_to_another_database().await?;
    assert_eq!(revalidate(&app, INDICATORS, &indicators).await?, 304);
    assert_eq!(revalidate(&app, FACTS, &facts).await?, 304);
    Ok(())
}

/// A survey stored through a second server process on the same PostgreSQL database (a
/// replica behind a load balancer) changes the ETags the first process answers with, and
/// counts in its very next answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_through_another_replica_changes_the_etags() -> Result<()> {
    let mut app = TestApp::spawn(Backend::Postgres).await?;
    let surveys = synthetic_surveys(21);
    let (status, _) = app
        .post(
            "/api/v1/surveys/batch",
            &json!({ "surveys": surveys[..20] }),
        )
        .await?;
    assert_eq!(status, 200);
    let replica = app.start_replica().await?;
    let indicators = etag(&app, &app.base, INDICATORS).await?;
    let facts = etag(&app, &app.base, FACTS).await?;
    assert_eq!(revalidate(&app, INDICATORS, &indicators).await?, 304);

    let response = app
        .client
        .post(format!("{}/api/v1/surveys", replica.base))
        .json(&surveys[20])
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 201);

    assert_eq!(revalidate(&app, INDICATORS, &indicators).await?, 200);
    assert_eq!(revalidate(&app, FACTS, &facts).await?, 200);
    let (_, body) = app.get(INDICATORS).await?;
    let households = |body: &Value| body["groups"][0]["households"].as_u64();
    assert_eq!(households(&body), Some(21));
    // Both processes agree on the new version.
    assert_eq!(
        etag(&app, &replica.base, FACTS).await?,
        etag(&app, &app.base, FACTS).await?
    );
    Ok(())
}
