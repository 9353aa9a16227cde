//! Request bodies over the configured limit: 413 with the common JSON error, declared
//! length or not.

use anyhow::Result;
use e2e::{Backend, TestApp, example_survey, json_of, on_both_backends};

on_both_backends!(bodies_over_the_limit_get_413);

async fn bodies_over_the_limit_get_413(backend: Backend) -> Result<()> {
    let app = TestApp::spawn_with(backend, &["--max-body-bytes", "4096"]).await?;
    let mut survey = example_survey();
    survey["village"] = serde_json::json!("村".repeat(3000));
    let body = survey.to_string();
    assert!(body.len() > 4096);

    let response = app
        .client
        .post(app.url("/api/v1/surveys"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await?;
    let (status, json) = json_of(response).await?;
    assert_eq!(status, 413);
    assert_eq!(json["code"], "payload_too_large");
    assert!(
        json["message_zh"]
            .as_str()
            .is_some_and(|m| m.contains("4096"))
    );

    // Chunked, with no declared length: cut off at the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
        .as_bytes()
        .chunks(1000)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let stream = futures_util::stream::iter(chunks);
    let response = app
        .client
        .post(app.url("/api/v1/surveys"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await?;
    let (status, json) = json_of(response).await?;
    assert_eq!(
        (status, json["code"].as_str()),
        (413, Some("payload_too_large"))
    );

    // Under the limit is fine.
    assert_eq!(app.post("/api/v1/surveys", &example_survey()).await?.0, 201);
    assert_eq!(app.all_surveys("").await?.len(), 1);
    Ok(())
}
