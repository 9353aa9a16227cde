//! Durability: the server is killed with SIGKILL while clients submit; after a restart
//! every survey that was acknowledged is present and intact.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use e2e::{Backend, TestApp, field_str, on_both_backends, synthetic_surveys};
use serde_json::{Value, json};
use tokio::sync::watch;

on_both_backends!(acknowledged_surveys_survive_sigkill);

async fn acknowledged_surveys_survive_sigkill(backend: Backend) -> Result<()> {
    let mut app = TestApp::spawn(backend).await?;
    // The surveys the server acknowledged, watched so that the plug is pulled as soon as
    // enough are in. Only the clients hold the sender: if they all stop early, waiting
    // ends with an error instead of hanging.
    let (acknowledge, mut acknowledged) = watch::channel(Vec::<Value>::new());
    let acknowledge = Arc::new(acknowledge);
    let mut clients = Vec::new();
    for client_no in 0..8 {
        let base = app.base.clone();
        let client = app.client.clone();
        let acknowledge = acknowledge.clone();
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
                        // A body cut off by the kill is no acknowledgement.
                        Ok(r) if r.status().is_success() => matches!(
                            r.json::<Value>().await,
                            Ok(body) if body["results"][0]["status"] == "created"
                        ),
                        _ => false,
                    }
                } else {
                    matches!(
                        client.post(format!("{base}/api/v1/surveys")).json(&survey).send().await,
                        Ok(r) if r.status().is_success()
                    )
                };
                if ok {
                    acknowledge.send_modify(|surveys| surveys.push(survey));
                } else if client_no == 0 && n > 0 {
                    // The server is gone; stop.
                    return;
                }
            }
        }));
    }
    drop(acknowledge);
    // Let writes flow, then pull the plug mid-stream.
    tokio::time::timeout(
        Duration::from_secs(120),
        acknowledged.wait_for(|surveys| surveys.len() >= 150),
    )
    .await
    .context("150 acknowledgements within 2 minutes")?
    .context("the clients stopped before 150 acknowledgements")?;
    app.kill()?;
    for client in clients {
        client.await?;
    }
    let acknowledged = acknowledged.borrow().clone();
    assert!(acknowledged.len() >= 150);

    app.start().await?;
    for survey in &acknowledged {
        let id = field_str(survey, "id");
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
