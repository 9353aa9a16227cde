//! Submitting one survey: created, idempotent retry, conflicting retry.

use anyhow::{Context, Result};
use e2e::{Backend, TestApp, example_survey, field_str, on_both_backends};

on_both_backends!(
    create_then_read,
    retry_with_same_content_is_a_duplicate,
    retry_with_other_content_is_a_conflict
);

async fn create_then_read(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let survey = example_survey();
    let id = field_str(&survey, "id").to_owned();

    let response = app
        .client
        .post(app.url("/api/v1/surveys"))
        .json(&survey)
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(
        response.headers()["location"],
        format!("/api/v1/surveys/{id}").as_str()
    );
    assert_eq!(response.headers()["etag"], "\"v1\"");
    let (_, created) = e2e::json_of(response).await?;
    assert_eq!(created["version"], 1);
    assert_eq!(created["created_by"], "admin");
    assert_eq!(created["warnings"], serde_json::json!([]));

    let (status, stored) = app.get(&format!("/api/v1/surveys/{id}")).await?;
    assert_eq!(status, 200);
    assert_eq!(stored["survey"]["film"]["recovered_kg"], 36.5);
    assert_eq!(stored["survey"]["straw"][0]["crop"], "highland_barley");
    assert_eq!(stored["survey"]["county_code"], "542523");
    assert_eq!(stored["survey"], created["survey"]);

    let (status, missing) = app
        .get(&format!("/api/v1/surveys/{}", uuid::Uuid::new_v4()))
        .await?;
    assert_eq!(status, 404);
    assert_eq!(missing["code"], "not_found");
    Ok(())
}

async fn retry_with_same_content_is_a_duplicate(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let survey = example_survey();
    let (first, _) = app.post("/api/v1/surveys", &survey).await?;
    assert_eq!(first, 201);
    // A phone on a bad connection resends, with keys in another order.
    let reordered: serde_json::Map<String, serde_json::Value> = survey
        .as_object()
        .context("the example survey is an object")?
        .clone()
        .into_iter()
        .rev()
        .collect();
    let (second, body) = app
        .post("/api/v1/surveys", &serde_json::Value::Object(reordered))
        .await?;
    assert_eq!(second, 200);
    assert_eq!(body["version"], 1);
    assert_eq!(app.all_surveys("").await?.len(), 1);
    Ok(())
}

async fn retry_with_other_content_is_a_conflict(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let survey = example_survey();
    let id = field_str(&survey, "id").to_owned();
    assert_eq!(app.post("/api/v1/surveys", &survey).await?.0, 201);
    let mut changed = survey.clone();
    changed["film"]["recovered_kg"] = serde_json::json!(30.0);
    let (status, body) = app.post("/api/v1/surveys", &changed).await?;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "id_conflict");
    assert_eq!(body["path"], "id");
    assert_eq!(body["current_version"], 1);
    assert!(
        body["message_zh"]
            .as_str()
            .is_some_and(|m| m.contains("更正"))
    );
    // Nothing changed.
    let (_, stored) = app.get(&format!("/api/v1/surveys/{id}")).await?;
    assert_eq!(stored["survey"]["film"]["recovered_kg"], 36.5);
    assert_eq!(app.all_surveys("").await?.len(), 1);
    Ok(())
}
