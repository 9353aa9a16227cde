//! Offline sync: a batch with a mix of new, invalid, duplicate and conflicting surveys.

use anyhow::{Result, bail};
use e2e::{
    Backend, TestApp, example_survey, field_array, field_str, json_of, on_both_backends,
    synthetic_surveys,
};
use serde_json::{Value, json};

on_both_backends!(
    batch_results_per_item,
    oversized_batch_is_refused_whole,
    technician_batch_obeys_counties_and_authorship,
    concurrent_syncs_on_fresh_sessions_all_succeed
);

async fn batch_results_per_item(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let stored = example_survey();
    assert_eq!(app.post("/api/v1/surveys", &stored).await?.0, 201);
    let mut conflicting = stored.clone();
    conflicting["household"] = json!("HH-9999");
    let fresh = synthetic_surveys(3);
    let mut invalid = example_survey();
    invalid["film"]["recovered_kg"] = json!(99.0);
    let mut warned = example_survey();
    warned["pesticide_packaging"]["returned_count"] = json!(45);
    let batch = json!({ "surveys": [
        fresh[0], invalid, stored, conflicting, fresh[1], {"id": 7}, fresh[1], warned, fresh[2]
    ]});
    let (status, body) = app.post("/api/v1/surveys/batch", &batch).await?;
    assert_eq!(status, 200, "{body}");
    let statuses: Vec<&str> = field_array(&body, "results")
        .iter()
        .map(|item| field_str(item, "status"))
        .collect();
    assert_eq!(
        statuses,
        [
            "created",
            "invalid",
            "duplicate",
            "conflict",
            "created",
            "invalid",
            "duplicate",
            "created",
            "created"
        ]
    );
    assert_eq!(
        body["summary"],
        json!({"created": 4, "duplicate": 2, "conflict": 1, "invalid": 2})
    );
    assert_eq!(body["results"][1]["errors"][0]["path"], "film.recovered_kg");
    assert_eq!(body["results"][1]["errors"][0]["code"], "exceeds_whole");
    assert_eq!(body["results"][3]["errors"][0]["code"], "id_conflict");
    assert_eq!(body["results"][5]["errors"][0]["path"], "id");
    assert_eq!(
        body["results"][7]["warnings"][0]["code"],
        "returned_exceeds_used"
    );
    for (index, item) in field_array(&body, "results").iter().enumerate() {
        assert_eq!(item["index"], index);
    }
    // 1 stored before + 4 created.
    assert_eq!(app.all_surveys("").await?.len(), 5);
    // The whole batch again: nothing new.
    let (_, again) = app.post("/api/v1/surveys/batch", &batch).await?;
    assert_eq!(
        again["summary"],
        json!({"created": 0, "duplicate": 6, "conflict": 1, "invalid": 2})
    );
    assert_eq!(app.all_surveys("").await?.len(), 5);
    Ok(())
}

async fn oversized_batch_is_refused_whole(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(501);
    let (status, body) = app
        .post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
        .await?;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "too_many_items");
    assert_eq!(body["path"], "surveys");
    assert!(app.all_surveys("").await?.is_empty());
    let (status, body) = app
        .post(
            "/api/v1/surveys/batch",
            &json!({ "surveys": surveys[..500] }),
        )
        .await?;
    assert_eq!(status, 200);
    assert_eq!(body["summary"]["created"], 500);
    Ok(())
}

/// A technician's batch follows the rules of a single submission: items outside their
/// counties are refused one by one, and the technician is recorded as the author
/// whatever the phone typed.
async fn technician_batch_obeys_counties_and_authorship(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let tech = app
        .client_as("tech-gar", "technician", None, &["542523"])
        .await?;
    let mut mine = example_survey();
    mine["technician"] = json!("someone-else");
    let mut elsewhere = example_survey();
    elsewhere["county_code"] = json!("542521");
    let batch = json!({ "surveys": [mine, elsewhere] });
    let (status, body) = json_of(
        tech.post(app.url("/api/v1/surveys/batch"))
            .json(&batch)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "created", "{body}");
    assert_eq!(body["results"][1]["status"], "invalid", "{body}");
    let refusal = &body["results"][1]["errors"][0];
    assert_eq!(refusal["code"], "county_not_assigned");
    assert_eq!(refusal["path"], "county_code");
    assert!(
        refusal["message_zh"]
            .as_str()
            .is_some_and(|m| m.contains("542521")),
        "{refusal}"
    );
    assert_eq!(
        body["summary"],
        json!({"created": 1, "duplicate": 0, "conflict": 0, "invalid": 1})
    );

    let (status, stored) = app
        .get(&format!(
            "/api/v1/surveys/{}",
            field_str(&batch, "surveys.0.id")
        ))
        .await?;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["survey"]["technician"], "tech-gar");
    let (status, _) = app
        .get(&format!(
            "/api/v1/surveys/{}",
            field_str(&batch, "surveys.1.id")
        ))
        .await?;
    assert_eq!(
        status, 404,
        "nothing stored outside the technician's counties"
    );

    // Resending the same batch: the stored one is a duplicate (its author is the same
    // technician again), the refused one is refused again.
    let (_, again) = json_of(
        tech.post(app.url("/api/v1/surveys/batch"))
            .json(&batch)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(again["results"][0]["status"], "duplicate", "{again}");
    assert_eq!(again["results"][1]["status"], "invalid", "{again}");
    Ok(())
}

on_both_backends!(first_use_of_many_device_tokens_during_writes);

/// Regression (reliability suite): each credential's first use records `last_used_at`,
/// a write. On SQLite that write used to slip between another request's read and write
/// and fail its batch with "database is locked" (500).
async fn first_use_of_many_device_tokens_during_writes(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let mut phones = Vec::new();
    for n in 0..24 {
        let username = format!("tech-{n:02}");
        let (id, _) = app
            .create_user(&username, "technician", None, &["542523"])
            .await?;
        let (status, issued) = app
            .post(
                &format!("/api/v1/users/{id}/device-tokens"),
                &json!({ "name": "phone" }),
            )
            .await?;
        assert_eq!(status, 201, "{issued}");
        let token = field_str(&issued, "secret").to_owned();
        phones.push(e2e::client_with(&[(
            "authorization",
            &format!("Bearer {token}"),
        )])?);
    }
    let spec = e2e::SyntheticSpec {
        counties: vec!["542523".to_owned()],
        seed: 7,
        ..e2e::SyntheticSpec::default()
    };
    let requests = phones.iter().enumerate().map(|(n, client)| {
        let surveys: Vec<serde_json::Value> = (0..5)
            .map(|i| {
                let mut survey = spec.survey((n * 5 + i) as u64);
                survey.technician = format!("tech-{n:02}");
                json!(survey)
            })
            .collect();
        client
            .post(app.url("/api/v1/surveys/batch"))
            .json(&json!({ "surveys": surveys }))
            .send()
    });
    for response in futures_util::future::join_all(requests).await {
        let (status, body) = e2e::json_of(response?).await?;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["summary"]["created"], 5, "{body}");
    }
    assert_eq!(app.all_surveys("").await?.len(), 24 * 5);
    Ok(())
}

/// Regression (reliability suite): two replicas on one PostgreSQL database receive the
/// same surveys in opposite orders at once (a phone re-batched its outbox and its retry
/// reached the other replica). Inserting in batch order made the two transactions wait
/// for each other's rows: "deadlock detected", a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_batches_in_opposite_orders_on_two_replicas() -> Result<()> {
    let mut app = TestApp::spawn(Backend::Postgres).await?;
    let replica = app.start_replica().await?;
    for _ in 0..20 {
        let surveys = synthetic_surveys(20);
        let mut reversed = surveys.clone();
        reversed.reverse();
        let send = |base: &str, surveys: &[serde_json::Value]| {
            app.client
                .post(format!("{base}/api/v1/surveys/batch"))
                .json(&json!({ "surveys": surveys }))
                .send()
        };
        let (a, b) = tokio::join!(send(&app.base, &surveys), send(&replica.base, &reversed));
        let (a, b) = (e2e::json_of(a?).await?, e2e::json_of(b?).await?);
        assert_eq!((a.0, b.0), (200, 200), "{} / {}", a.1, b.1);
        let created = a.1["summary"]["created"].as_u64().unwrap_or(0)
            + b.1["summary"]["created"].as_u64().unwrap_or(0);
        let duplicate = a.1["summary"]["duplicate"].as_u64().unwrap_or(0)
            + b.1["summary"]["duplicate"].as_u64().unwrap_or(0);
        assert_eq!((created, duplicate), (20, 20), "{} / {}", a.1, b.1);
    }
    assert_eq!(app.all_surveys("").await?.len(), 400);
    Ok(())
}

on_both_backends!(a_duplicated_key_is_refused_in_a_batch_as_alone);

/// Regression (fuzzing): batch items were decoded from parsed JSON values, where a key
/// given twice silently keeps its last value, while a single submission refused it.
async fn a_duplicated_key_is_refused_in_a_batch_as_alone(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let survey = example_survey().to_string();
    let doubled = survey.replacen("\"household\":", "\"household\":\"HH-1\",\"household\":", 1);
    assert_ne!(doubled, survey);
    let single = app
        .client
        .post(app.url("/api/v1/surveys"))
        .header("content-type", "application/json")
        .body(doubled.clone())
        .send()
        .await?;
    assert_eq!(single.status().as_u16(), 422);
    let batch = app
        .client
        .post(app.url("/api/v1/surveys/batch"))
        .header("content-type", "application/json")
        .body(format!("{{\"surveys\":[{doubled}]}}"))
        .send()
        .await?;
    let (status, body) = e2e::json_of(batch).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "invalid", "{body}");
    assert!(app.all_surveys("").await?.is_empty());
    Ok(())
}

/// Regression (found by `just bench`): a session's first request notes its use with a
/// write; on SQLite that write once ran outside the writer lock, committed inside another
/// request's sync transaction, and the sync failed with 500 "database is locked".
async fn concurrent_syncs_on_fresh_sessions_all_succeed(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (clients, rounds, per_batch) = (6, 4, 40);
    let mut expected = 0;
    for _ in 0..rounds {
        let mut tasks = Vec::new();
        for _ in 0..clients {
            // A fresh session each time: its first use is the write in question.
            let token = app.login("admin", &app.admin_password).await?;
            let client = e2e::client_with(&[("authorization", &format!("Bearer {token}"))])?;
            let url = app.url("/api/v1/surveys/batch");
            let body = json!({ "surveys": synthetic_surveys(per_batch) });
            tasks.push(tokio::spawn(async move {
                let response = client.post(url).json(&body).send().await?;
                e2e::json_of(response).await
            }));
        }
        for task in tasks {
            let (status, body) = task.await??;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["summary"]["created"], per_batch);
            expected += per_batch;
        }
    }
    assert_eq!(app.all_surveys("").await?.len(), expected);
    Ok(())
}

on_both_backends!(a_batch_writes_each_table_once_per_created_survey);

/// Rows per table, read with SQL: what a batch wrote, whatever the API says.
async fn table_counts(app: &TestApp) -> Result<[i64; 4]> {
    use sqlx::Connection;
    let sql = "SELECT (SELECT COUNT(*) FROM surveys), (SELECT COUNT(*) FROM survey_versions), \
               (SELECT COUNT(*) FROM survey_facts), \
               (SELECT COUNT(*) FROM audit_log WHERE action = 'survey.create')";
    let counts: (i64, i64, i64, i64) = match app.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(app.database_url()).await?;
            let counts = sqlx::query_as(sql).fetch_one(&mut conn).await?;
            conn.close().await?;
            counts
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(app.database_url()).await?;
            let counts = sqlx::query_as(sql).fetch_one(&mut conn).await?;
            conn.close().await?;
            counts
        }
    };
    Ok([counts.0, counts.1, counts.2, counts.3])
}

/// Regression (batched write path): new, stored, conflicting and in-batch repeated ids
/// in one batch. The first occurrence of an id in a batch is stored; a repeat is a
/// duplicate or a conflict of it. Every created survey has exactly one row in each of
/// `surveys`, `survey_versions`, `survey_facts` and one `survey.create` audit entry
/// holding the stored content; listings follow the batch's order.
async fn a_batch_writes_each_table_once_per_created_survey(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let stored = example_survey();
    assert_eq!(app.post("/api/v1/surveys", &stored).await?.0, 201);
    assert_eq!(table_counts(&app).await?, [1, 1, 1, 1]);
    let mut conflicting = stored.clone();
    conflicting["household"] = json!("HH-9999");
    let fresh = synthetic_surveys(4);
    let mut repeated_otherwise = fresh[2].clone();
    repeated_otherwise["household"] = json!("HH-8888");
    let batch = json!({ "surveys": [
        fresh[0], stored, conflicting, fresh[1], fresh[1], fresh[2], repeated_otherwise, fresh[3]
    ]});
    let (status, body) = app.post("/api/v1/surveys/batch", &batch).await?;
    assert_eq!(status, 200, "{body}");
    let results = field_array(&body, "results");
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        statuses,
        [
            "created",
            "duplicate",
            "conflict",
            "created",
            "duplicate",
            "created",
            "conflict",
            "created"
        ]
    );
    for result in results {
        assert_eq!(result["version"], 1, "{result}");
    }
    assert_eq!(results[6]["errors"][0]["code"], "id_conflict");
    assert_eq!(table_counts(&app).await?, [5, 5, 5, 5]);

    let listed: Vec<Value> = app.all_surveys("").await?;
    let ids: Vec<&Value> = listed.iter().map(|s| &s["survey"]["id"]).collect();
    let expected = [&stored, &fresh[0], &fresh[1], &fresh[2], &fresh[3]];
    assert_eq!(ids, expected.map(|s| &s["id"]));
    // The first content of a repeated id is the one stored.
    assert_eq!(listed[3]["survey"]["household"], fresh[2]["household"]);

    for survey in expected {
        let id = field_str(survey, "id");
        let (status, audit) = app
            .get(&format!(
                "/api/v1/audit?action=survey.create&entity_id={id}"
            ))
            .await?;
        assert_eq!(status, 200, "{audit}");
        let items = field_array(&audit, "items");
        assert_eq!(items.len(), 1, "{audit}");
        let (_, current) = app.get(&format!("/api/v1/surveys/{id}")).await?;
        assert_eq!(items[0]["after"]["survey"], current["survey"], "{id}");
        assert_eq!(items[0]["after"]["version"], 1);
        assert_eq!(items[0]["after"]["review"]["state"], "received");
        assert_eq!(items[0]["actor"], "admin");
    }

    // Again: nothing new anywhere.
    let (_, again) = app.post("/api/v1/surveys/batch", &batch).await?;
    assert_eq!(
        again["summary"],
        json!({"created": 0, "duplicate": 6, "conflict": 2, "invalid": 0})
    );
    assert_eq!(table_counts(&app).await?, [5, 5, 5, 5]);
    Ok(())
}

/// Inserts a `surveys` row for `survey` in a transaction of its own and returns it
/// uncommitted: another writer's insert of the same id, caught in flight.
async fn uncommitted_insert(app: &TestApp, survey: &Value) -> Result<sqlx::PgConnection> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(app.database_url()).await?;
    sqlx::raw_sql("BEGIN").execute(&mut conn).await?;
    sqlx::query(
        "INSERT INTO surveys (id, county_code, prefecture_code, province_code, township, \
         village, household, technician, surveyed_on, survey_year, weight, payload, \
         content_hash, created_hash, warnings, warning_count, version, created_at, \
         created_by, updated_at, updated_by, review_state) \
         VALUES ($1, $2, '', '', 't', 'v', 'h', 'elsewhere', CURRENT_DATE, 2026, 1.0, $3, \
         'other', 'other', '[]', 0, 1, now(), 'other-replica', now(), 'other-replica', \
         'received')",
    )
    .bind(field_str(survey, "id"))
    .bind(field_str(survey, "county_code"))
    .bind(survey.to_string())
    .execute(&mut conn)
    .await?;
    Ok(conn)
}

/// Commits `other`'s open transaction once a server connection waits for its lock: the
/// server has looked its ids up and now waits to learn whether the raced row commits.
async fn commit_once_blocked(mut other: sqlx::PgConnection) -> Result<()> {
    wait_until_blocked_by(&mut other).await?;
    sqlx::raw_sql("COMMIT").execute(&mut other).await?;
    Ok(())
}

/// Waits until another backend waits for a lock that `holder`'s open transaction holds
/// (the server's insert of a raced id, waiting to learn whether the row commits), as
/// PostgreSQL's lock table shows it. Fails after 30 s: the server never got there.
async fn wait_until_blocked_by(holder: &mut sqlx::PgConnection) -> Result<()> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks \
             WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))",
        )
        .fetch_one(&mut *holder)
        .await?;
        if waiting > 0 {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("after 30 s no server connection waits on the uncommitted insert's lock");
        }
        // The interval between looks at the lock table; the look decides, not the pause.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Regression (batched write path): another writer that takes no advisory lock (a raw
/// insert here) inserts an id of a batch between the batch's look-up and its insert.
/// The batch's multi-row insert fails on the unique key; the items are then stored one
/// by one and the raced id is answered as a conflict, never a 5xx. A single POST in the
/// same race is a 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_racing_another_writer_on_postgres_stores_item_by_item() -> Result<()> {
    let app = TestApp::spawn(Backend::Postgres).await?;
    let fresh = synthetic_surveys(3);
    let raced = example_survey();
    let other = uncommitted_insert(&app, &raced).await?;
    let batch = json!({ "surveys": [fresh[0], raced, fresh[1], fresh[2]] });
    let send = app
        .client
        .post(app.url("/api/v1/surveys/batch"))
        .json(&batch)
        .send();
    let (response, committed) = tokio::join!(send, commit_once_blocked(other));
    committed?;
    let (status, body) = e2e::json_of(response?).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["summary"],
        json!({"created": 3, "duplicate": 0, "conflict": 1, "invalid": 0}),
        "{body}"
    );
    assert_eq!(body["results"][1]["status"], "conflict");
    assert!(
        app.log().contains("storing the batch item by item"),
        "the batch did not take the item-by-item path"
    );
    assert_eq!(table_counts(&app).await?[1..], [3, 3, 3]);

    let single = example_survey();
    let other = uncommitted_insert(&app, &single).await?;
    let send = app.post("/api/v1/surveys", &single);
    let (response, committed) = tokio::join!(send, commit_once_blocked(other));
    committed?;
    let (status, body) = response?;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "id_conflict");
    assert_eq!(table_counts(&app).await?[1..], [3, 3, 3]);
    Ok(())
}
