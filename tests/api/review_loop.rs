//! The field loop between reviewer and technician: a decision with comments on fields
//! reaches the technician, the correction comes back marked as corrected after review,
//! and a rejected survey stays out of the figures until a reviewer has looked at its
//! correction. Also the listing's total and the years a year filter offers.

use anyhow::Result;
use e2e::{Backend, TestApp, example_survey, field_array, field_str, json_of, on_both_backends};
use reqwest::Client;
use serde_json::{Value, json};

on_both_backends!(
    a_rejected_survey_counts_again_only_after_its_correction_is_reviewed,
    field_comments_reach_the_technician_and_are_checked,
    listing_counts_matches_and_years_follow_the_scope
);

/// A technician of 噶尔县 and a reviewer of 阿里地区.
async fn tech_and_reviewer(app: &TestApp) -> Result<(Client, Client)> {
    let tech = app
        .client_as("tech-a", "technician", None, &["542523"])
        .await?;
    let reviewer = app
        .client_as("reviewer-ali", "reviewer", Some("542500"), &[])
        .await?;
    Ok((tech, reviewer))
}

/// GETs `path` as `client`.
async fn get_as(app: &TestApp, client: &Client, path: &str) -> Result<(u16, Value)> {
    json_of(client.get(app.url(path)).send().await?).await
}

/// Households counted by the indicators and by the dashboard's facts, which must agree.
async fn counted(app: &TestApp) -> Result<(u64, u64)> {
    let (status, indicators) = app.get("/api/v1/indicators").await?;
    assert_eq!(status, 200, "{indicators}");
    let from_sums = field_array(&indicators, "groups")
        .iter()
        .filter_map(|g| g["households"].as_u64())
        .sum();
    let (status, facts) = app.get("/api/v1/facts").await?;
    assert_eq!(status, 200);
    Ok((from_sums, facts["households"].as_u64().unwrap_or(u64::MAX)))
}

async fn submit(app: &TestApp, tech: &Client, household: &str) -> Result<String> {
    let mut survey = example_survey();
    survey["household"] = json!(household);
    let (status, body) = json_of(
        tech.post(app.url("/api/v1/surveys"))
            .json(&survey)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 201, "{body}");
    Ok(field_str(&survey, "id").to_owned())
}

async fn decide(
    app: &TestApp,
    reviewer: &Client,
    id: &str,
    etag: &str,
    decision: Value,
) -> Result<Value> {
    let (status, body) = json_of(
        reviewer
            .post(app.url(&format!("/api/v1/surveys/{id}/review")))
            .header("If-Match", etag)
            .json(&decision)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    Ok(body)
}

/// The technician's correction of the film recovered, from version `base`.
async fn correct(
    app: &TestApp,
    tech: &Client,
    id: &str,
    base: &str,
    recovered_kg: f64,
) -> Result<Value> {
    let (status, current) = get_as(app, tech, &format!("/api/v1/surveys/{id}")).await?;
    assert_eq!(status, 200);
    let mut survey = current["survey"].clone();
    survey["film"]["recovered_kg"] = json!(recovered_kg);
    let (status, body) = json_of(
        tech.put(app.url(&format!("/api/v1/surveys/{id}")))
            .header("If-Match", base)
            .json(&json!({ "survey": survey }))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    Ok(body)
}

async fn a_rejected_survey_counts_again_only_after_its_correction_is_reviewed(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (tech, reviewer) = tech_and_reviewer(&app).await?;
    let rejected = submit(&app, &tech, "HH-1").await?;
    let returned = submit(&app, &tech, "HH-2").await?;
    assert_eq!(counted(&app).await?, (2, 2));

    let body = decide(
        &app,
        &reviewer,
        &rejected,
        "\"v1\"",
        json!({"state": "rejected", "comment": "回收量不可信"}),
    )
    .await?;
    assert_eq!(body["review"]["counts"], false);
    assert_eq!(body["review"]["reviewed_version"], 1);
    decide(
        &app,
        &reviewer,
        &returned,
        "\"v1\"",
        json!({"state": "has_issues", "comment": "请复核"}),
    )
    .await?;
    assert_eq!(
        counted(&app).await?,
        (1, 1),
        "a rejected survey does not count"
    );

    // Corrected, the rejected survey is marked as such and still does not count; the one
    // returned with issues counted before and still does.
    let body = correct(&app, &tech, &rejected, "\"v1\"", 30.0).await?;
    assert_eq!(body["review"]["state"], "resubmitted");
    assert_eq!(body["review"]["corrected_after_review"], true);
    assert_eq!(body["review"]["counts"], false);
    assert_eq!(
        body["review"]["reviewed_version"], 1,
        "the decision's version is kept"
    );
    assert_eq!(body["review"]["comment"], "回收量不可信");
    let body = correct(&app, &tech, &returned, "\"v1\"", 31.0).await?;
    assert_eq!(body["review"]["state"], "corrected");
    assert_eq!(body["review"]["counts"], true);
    assert_eq!(
        counted(&app).await?,
        (1, 1),
        "not before a reviewer has looked at it"
    );
    // A second correction before any review leaves it resubmitted.
    let body = correct(&app, &tech, &rejected, "\"v2\"", 29.0).await?;
    assert_eq!(body["review"]["state"], "resubmitted");

    // Both are listed as corrected after review, and nothing else is.
    let (status, page) = app
        .get("/api/v1/surveys?corrected_after_review=true&include_total=true")
        .await?;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 2);
    assert_eq!(field_array(&page, "items").len(), 2);
    let (_, page) = app
        .get("/api/v1/surveys?corrected_after_review=false")
        .await?;
    assert_eq!(field_array(&page, "items").len(), 0);
    let (_, page) = app.get("/api/v1/surveys?review_state=resubmitted").await?;
    assert_eq!(
        field_str(&field_array(&page, "items")[0], "survey.id"),
        rejected
    );

    // The reviewer approves the correction: it counts again, and is no longer marked.
    let body = decide(
        &app,
        &reviewer,
        &rejected,
        "\"v3\"",
        json!({"state": "approved"}),
    )
    .await?;
    assert_eq!(body["review"]["corrected_after_review"], false);
    assert_eq!(body["review"]["reviewed_version"], 3);
    assert_eq!(counted(&app).await?, (2, 2));
    let (_, page) = app
        .get("/api/v1/surveys?corrected_after_review=true&include_total=true")
        .await?;
    assert_eq!(page["total"], 1);
    Ok(())
}

async fn field_comments_reach_the_technician_and_are_checked(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (tech, reviewer) = tech_and_reviewer(&app).await?;
    let id = submit(&app, &tech, "HH-1").await?;
    let review_url = app.url(&format!("/api/v1/surveys/{id}/review"));

    for (comments, path, code) in [
        (
            json!([{"path": " ", "comment": "x"}]),
            "field_comments[0].path",
            "invalid_value",
        ),
        (
            json!([{"path": "film.used_kg", "comment": "好".repeat(2001)}]),
            "field_comments[0].comment",
            "too_long",
        ),
    ] {
        let (status, body) = json_of(
            reviewer
                .post(&review_url)
                .json(&json!({"state": "has_issues", "comment": "请复核", "field_comments": comments}))
                .send()
                .await?,
        )
        .await?;
        assert_eq!(
            (status, body["path"].as_str(), body["code"].as_str()),
            (422, Some(path), Some(code)),
            "{body}"
        );
    }
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"path": format!("straw.crops[{i}].yield_kg"), "comment": "?"}))
        .collect();
    let (status, body) = json_of(
        reviewer
            .post(&review_url)
            .json(&json!({"state": "has_issues", "comment": "请复核", "field_comments": many}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("too_many_items")),
        "{body}"
    );

    decide(
        &app,
        &reviewer,
        &id,
        "\"v1\"",
        json!({"state": "has_issues", "comment": "请复核地膜", "field_comments": [
            {"path": "film.recovered_kg", "comment": " 回收量大于使用量? "},
            {"path": "household", "comment": ""}
        ]}),
    )
    .await?;
    // The technician's listing (what the phone reads) carries the comments, trimmed, and
    // without the empty one.
    let (status, page) = get_as(&app, &tech, "/api/v1/surveys?order=newest").await?;
    assert_eq!(status, 200);
    let mine = &field_array(&page, "items")[0];
    assert_eq!(
        mine["review"]["field_comments"],
        json!([{"path": "film.recovered_kg", "comment": "回收量大于使用量?"}])
    );
    assert_eq!(mine["review"]["state"], "has_issues");
    // A correction keeps them for the reviewer to compare; a new decision replaces them.
    let body = correct(&app, &tech, &id, "\"v1\"", 20.0).await?;
    assert_eq!(field_array(&body, "review.field_comments").len(), 1);
    let body = decide(&app, &reviewer, &id, "\"v2\"", json!({"state": "approved"})).await?;
    assert!(body["review"].get("field_comments").is_none(), "{body}");
    let (status, audit) = app
        .get(&format!(
            "/api/v1/audit?entity_type=survey&entity_id={id}&limit=10"
        ))
        .await?;
    assert_eq!(status, 200);
    let first_review = field_array(&audit, "items")
        .iter()
        .rev()
        .find(|e| e["action"] == "survey.review")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        first_review["after"]["field_comments"][0]["path"],
        "film.recovered_kg"
    );
    assert_eq!(first_review["after"]["reviewed_version"], 1);
    Ok(())
}

async fn listing_counts_matches_and_years_follow_the_scope(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let tech_a = app
        .client_as("tech-a", "technician", None, &["542523"])
        .await?;
    let tech_b = app
        .client_as("tech-b", "technician", None, &["542523"])
        .await?;
    let reviewer_qh = app
        .client_as("reviewer-qh", "reviewer", Some("630000"), &[])
        .await?;
    for household in ["HH-1", "HH-2", "HH-3"] {
        submit(&app, &tech_a, household).await?;
    }
    let mut other_year = example_survey();
    other_year["surveyed_on"] = json!("2024-08-01");
    let (status, _) = json_of(
        tech_b
            .post(app.url("/api/v1/surveys"))
            .json(&other_year)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 201);

    let (_, page) = app
        .get("/api/v1/surveys?limit=2&include_total=true")
        .await?;
    assert_eq!(
        (field_array(&page, "items").len(), page["total"].as_u64()),
        (2, Some(4))
    );
    let (_, page) = app.get("/api/v1/surveys?limit=2").await?;
    assert!(page.get("total").is_none(), "only when asked: {page}");
    let (_, page) = app
        .get("/api/v1/surveys?year=2025&include_total=true")
        .await?;
    assert_eq!(page["total"], 3);
    // A technician's listing holds their own surveys only, and so does the total.
    let (_, page) = get_as(&app, &tech_b, "/api/v1/surveys?include_total=true").await?;
    assert_eq!(page["total"], 1);
    assert_eq!(
        field_str(&field_array(&page, "items")[0], "survey.technician"),
        "tech-b"
    );

    let (status, years) = app.get("/api/v1/surveys/years").await?;
    assert_eq!(
        (status, years["years"].clone()),
        (200, json!([2024, 2025])),
        "{years}"
    );
    let (_, years) = get_as(&app, &tech_b, "/api/v1/surveys/years").await?;
    assert_eq!(years["years"], json!([2024]));
    let (_, years) = get_as(&app, &reviewer_qh, "/api/v1/surveys/years").await?;
    assert_eq!(years["years"], json!([]));
    Ok(())
}
