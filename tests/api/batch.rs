//! Offline sync: a batch with a mix of new, invalid, duplicate and conflicting surveys.

use anyhow::Result;
use e2e::{Backend, TestApp, example_survey, on_both_backends, synthetic_surveys};
use serde_json::json;

on_both_backends!(
    batch_results_per_item,
    oversized_batch_is_refused_whole,
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
    let statuses: Vec<&str> = body["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|i| i["status"].as_str().unwrap_or("?"))
                .collect()
        })
        .unwrap_or_default();
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
    for (index, item) in body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
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
