//! Corrections: optimistic concurrency, every version kept.

use anyhow::Result;
use e2e::{Backend, TestApp, example_survey, field_array, field_str, on_both_backends};
use serde_json::json;

on_both_backends!(corrections_keep_history_and_refuse_stale_versions);

async fn corrections_keep_history_and_refuse_stale_versions(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let original = example_survey();
    let id = field_str(&original, "id").to_owned();
    let path = format!("/api/v1/surveys/{id}");
    assert_eq!(app.post("/api/v1/surveys", &original).await?.0, 201);

    // No version named: 428.
    let mut fixed = original.clone();
    fixed["film"]["recovered_kg"] = json!(40.0);
    let (status, body) = app.put(&path, &json!({ "survey": fixed }), &[]).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (428, Some("version_required"))
    );

    // With If-Match: version 2.
    let (status, body) = app
        .put(
            &path,
            &json!({ "survey": fixed, "note": "weighed again" }),
            &[("If-Match", "\"v1\"")],
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["etag"], "\"v2\"");
    assert_eq!(body["survey"]["film"]["recovered_kg"], 40.0);

    // A second corrector still on version 1 is refused, and told the current version.
    let mut other = original.clone();
    other["household"] = json!("HH-0043");
    let (status, body) = app
        .put(&path, &json!({ "survey": other, "base_version": 1 }), &[])
        .await?;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "version_conflict");
    assert_eq!(body["current_version"], 2);

    // Reapplied on version 2, it succeeds.
    let mut rebased = fixed.clone();
    rebased["household"] = json!("HH-0043");
    let (status, body) = app
        .put(&path, &json!({ "survey": rebased, "base_version": 2 }), &[])
        .await?;
    assert_eq!((status, body["version"].as_i64()), (200, Some(3)));

    // An invalid correction changes nothing.
    let mut broken = rebased.clone();
    broken["film"]["recovered_kg"] = json!(100.0);
    let (status, body) = app
        .put(&path, &json!({ "survey": broken, "base_version": 3 }), &[])
        .await?;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["path"], "survey.film.recovered_kg");

    // The id in the body must be the one in the path.
    let mut elsewhere = rebased.clone();
    elsewhere["id"] = json!(uuid::Uuid::new_v4().to_string());
    let (status, body) = app
        .put(
            &path,
            &json!({ "survey": elsewhere, "base_version": 3 }),
            &[],
        )
        .await?;
    assert_eq!((status, body["code"].as_str()), (422, Some("id_mismatch")));

    // Correcting a survey that does not exist.
    let missing = format!("/api/v1/surveys/{}", field_str(&elsewhere, "id"));
    assert_eq!(
        app.put(
            &missing,
            &json!({ "survey": elsewhere, "base_version": 1 }),
            &[]
        )
        .await?
        .0,
        404
    );

    // History: every version, oldest first, with who, when and why.
    let (status, history) = app.get(&format!("{path}/history")).await?;
    assert_eq!(status, 200);
    let versions = field_array(&history, "versions");
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[0]["change_kind"], "created");
    assert_eq!(versions[0]["survey"]["film"]["recovered_kg"], 36.5);
    assert_eq!(versions[1]["change_kind"], "corrected");
    assert_eq!(versions[1]["note"], "weighed again");
    assert_eq!(versions[2]["survey"]["household"], "HH-0043");
    assert!(
        versions
            .iter()
            .all(|v| v["changed_by"] == "admin" && v["changed_at"].is_string())
    );

    // The phone's late retry of its original submission is still a duplicate.
    let (status, body) = app.post("/api/v1/surveys", &original).await?;
    assert_eq!((status, body["version"].as_i64()), (200, Some(3)));
    Ok(())
}
