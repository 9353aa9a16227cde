//! Durability: the server is killed with SIGKILL while clients submit; after a restart
//! every survey that was acknowledged is present and intact.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use e2e::{Backend, TestApp, on_both_backends, synthetic_surveys};
use serde_json::{Value, json};
use tokio::sync::Mutex;

on_both_backends!(acknowledged_surveys_survive_sigkill);

async fn acknowledged_surveys_survive_sigkill(backend: Backend) -> Result<()> {
    let mut app = TestApp::spawn(backend).await?;
    let acknowledged: Arc<Mutex<Vec<Value>>> = Arc::default();
    let mut clients = Vec::new();
    for client_no in 0..8 {
        let base = app.base.clone();
        let client = app.client.clone();
        let acknowledged = acknowledged.clone();
        clients.push(tokio::spawn(async move {
            for (n, survey) in synthetic_surveys(400).into_iter().enumerate() {
                // Alternate single submissions and small batches, as phones do.
                let ok = if n % 5 == 0 {
                    let batch = json!({ "surveys": [survey.clone()] });
                    match client
                        .post(format!("{base}/api/v1/surveys/batch"))
                        .json(&batch)
                        .send()
                        .await
                    {
                        Ok(r) if r.status().is_success() => {
                            let body: Value = r.json().await.unwrap_or_default();
                            body["results"][0]["status"] == "created"
                        }
                        _ => false,
                    }
                } else {
                    matches!(
                        client.post(format!("{base}/api/v1/surveys")).json(&survey).send().await,
                        Ok(r) if r.status().is_success()
                    )
                };
                if ok {
                    acknowledged.lock().await.push(survey);
                } else if client_no == 0 && n > 0 {
                    // The server is gone; stop.
                    return;
                }
            }
        }));
    }
    // Let writes flow, then pull the plug mid-stream.
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if acknowledged.lock().await.len() >= 150 {
            break;
        }
    }
    app.kill()?;
    for client in clients {
        client.await?;
    }
    let acknowledged = acknowledged.lock().await.clone();
    assert!(acknowledged.len() >= 150);

    app.start().await?;
    for survey in &acknowledged {
        let id = survey["id"].as_str().unwrap_or_default();
        let (status, stored) = app.get(&format!("/api/v1/surveys/{id}")).await?;
        assert_eq!(status, 200, "acknowledged survey {id} lost after SIGKILL");
        let mut expected: agriwaste_analytics::Survey = serde_json::from_value(survey.clone())?;
        let actual: agriwaste_analytics::Survey = serde_json::from_value(stored["survey"].clone())?;
        expected.id = actual.id;
        assert_eq!(actual, expected, "survey {id} changed");
    }
    // The restarted server works normally.
    let (status, _) = app.post("/api/v1/surveys", &e2e::example_survey()).await?;
    assert_eq!(status, 201);
    Ok(())
}
