//! Offline sync: a batch with a mix of new, invalid, duplicate and conflicting surveys.

use anyhow::Result;
use e2e::{Backend, TestApp, example_survey, json_of, on_both_backends, synthetic_surveys};
use serde_json::json;

on_both_backends!(
    batch_results_per_item,
    oversized_batch_is_refused_whole,
    technician_batch_obeys_counties_and_authorship
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
            batch["surveys"][0]["id"].as_str().unwrap_or_default()
        ))
        .await?;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["survey"]["technician"], "tech-gar");
    let (status, _) = app
        .get(&format!(
            "/api/v1/surveys/{}",
            batch["surveys"][1]["id"].as_str().unwrap_or_default()
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
