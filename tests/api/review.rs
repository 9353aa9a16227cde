//! The review workflow, scoped to regions, and its audit trail with before/after.

use anyhow::{Context, Result};
use e2e::{
    Backend, TestApp, example_survey, field_array, field_str, json_of, on_both_backends,
    synthetic_surveys,
};
use serde_json::json;

on_both_backends!(
    review_states_follow_the_workflow_and_are_audited,
    bulk_review_covers_a_filter_within_scope,
    technicians_see_only_their_own,
    reviewers_decide_on_what_they_saw
);

async fn review_states_follow_the_workflow_and_are_audited(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let tech = app
        .client_as("tech-a", "technician", None, &["542523"])
        .await?;
    let reviewer = app
        .client_as("reviewer-ali", "reviewer", Some("542500"), &[])
        .await?;
    let reviewer_qh = app
        .client_as("reviewer-qh", "reviewer", Some("630000"), &[])
        .await?;
    let viewer = app
        .client_as("viewer-ali", "viewer", Some("542500"), &[])
        .await?;

    let survey = example_survey();
    let id = field_str(&survey, "id").to_owned();
    let (status, created) = json_of(
        tech.post(app.url("/api/v1/surveys"))
            .json(&survey)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 201);
    assert_eq!(created["review"]["state"], "received");
    let review_url = app.url(&format!("/api/v1/surveys/{id}/review"));

    // has_issues needs a comment; only decisions can be set.
    let (status, body) = json_of(
        reviewer
            .post(&review_url)
            .json(&json!({"state": "has_issues"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("comment_required"))
    );
    let (status, body) = json_of(
        reviewer
            .post(&review_url)
            .json(&json!({"state": "edited"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("not_a_decision"))
    );
    // Out of the reviewer's region: as if it did not exist. A viewer may not review.
    assert_eq!(
        reviewer_qh
            .post(&review_url)
            .json(&json!({"state": "approved"}))
            .send()
            .await?
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        viewer
            .post(&review_url)
            .json(&json!({"state": "approved"}))
            .send()
            .await?
            .status()
            .as_u16(),
        403
    );

    let (status, body) = json_of(
        reviewer
            .post(&review_url)
            .json(&json!({"state": "has_issues", "comment": "回收量请复核 / please re-weigh recovered film"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["review"]["state"], "has_issues");
    assert_eq!(body["review"]["reviewed_by"], "reviewer-ali");

    // The technician sees the comment and corrects: the survey goes back to review as
    // `corrected`, a survey corrected after a reviewer returned it.
    let (_, mine) = json_of(
        tech.get(app.url(&format!("/api/v1/surveys/{id}")))
            .send()
            .await?,
    )
    .await?;
    assert!(
        mine["review"]["comment"]
            .as_str()
            .is_some_and(|c| c.contains("复核"))
    );
    let mut fixed = mine["survey"].clone();
    fixed["film"]["recovered_kg"] = json!(35.0);
    let (status, corrected) = json_of(
        tech.put(app.url(&format!("/api/v1/surveys/{id}")))
            .header("If-Match", "\"v1\"")
            .json(&json!({"survey": fixed, "note": "re-weighed"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 200, "{corrected}");
    assert_eq!(corrected["review"]["state"], "corrected");
    let (status, approved) = json_of(
        reviewer
            .post(&review_url)
            .json(&json!({"state": "approved"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(
        (status, approved["review"]["state"].as_str()),
        (200, Some("approved"))
    );

    // The audit log has every step with before and after, who and from where.
    let (status, audit) = app
        .get(&format!("/api/v1/audit?entity_type=survey&entity_id={id}"))
        .await?;
    assert_eq!(status, 200);
    let items = field_array(&audit, "items");
    let actions: Vec<&str> = items
        .iter()
        .rev()
        .map(|entry| field_str(entry, "action"))
        .collect();
    assert_eq!(
        actions,
        [
            "survey.create",
            "survey.review",
            "survey.correct",
            "survey.review"
        ]
    );
    let find = |action: &str| {
        items
            .iter()
            .rev()
            .find(|e| e["action"] == action)
            .with_context(|| format!("no {action} in {audit}"))
    };
    let first_review = find("survey.review")?;
    assert_eq!(first_review["actor"], "reviewer-ali");
    assert_eq!(first_review["before"]["state"], "received");
    assert_eq!(first_review["after"]["state"], "has_issues");
    assert_eq!(first_review["address"], "127.0.0.1");
    assert!(first_review["request_id"].is_string());
    let correction = find("survey.correct")?;
    assert_eq!(correction["actor"], "tech-a");
    assert_eq!(correction["before"]["survey"]["film"]["recovered_kg"], 36.5);
    assert_eq!(
        correction["after"]["survey"]["survey"]["film"]["recovered_kg"],
        35.0
    );
    assert_eq!(correction["before"]["review"]["state"], "has_issues");
    assert_eq!(
        correction["after"]["survey"]["review"]["state"],
        "corrected"
    );
    assert_eq!(correction["after"]["note"], "re-weighed");
    // Only admins read the audit log.
    assert_eq!(
        reviewer
            .get(app.url("/api/v1/audit"))
            .send()
            .await?
            .status()
            .as_u16(),
        403
    );
    Ok(())
}

async fn bulk_review_covers_a_filter_within_scope(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(300);
    assert_eq!(
        app.post("/api/v1/surveys/batch", &json!({"surveys": surveys}))
            .await?
            .0,
        200
    );
    let in_ali_2024 = surveys
        .iter()
        .filter(|s| {
            s["county_code"]
                .as_str()
                .is_some_and(|c| c.starts_with("5425"))
                && s["surveyed_on"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("2024"))
        })
        .count();
    let in_ali = surveys
        .iter()
        .filter(|s| {
            s["county_code"]
                .as_str()
                .is_some_and(|c| c.starts_with("5425"))
        })
        .count();
    assert!(in_ali_2024 > 0);

    let reviewer = app
        .client_as("reviewer-ali", "reviewer", Some("542500"), &[])
        .await?;
    let bulk = app.url("/api/v1/surveys/bulk-review");
    let request =
        json!({"filter": {"year": 2024, "review_state": "received"}, "state": "approved"});
    let (status, body) = json_of(reviewer.post(&bulk).json(&request).send().await?).await?;
    assert_eq!(
        (status, body["updated"].as_u64()),
        (200, Some(in_ali_2024 as u64))
    );
    // Again: nothing left to change.
    let (_, body) = json_of(reviewer.post(&bulk).json(&request).send().await?).await?;
    assert_eq!(body["updated"], 0);
    // A filter naming another region stays inside the reviewer's scope: nothing changes.
    let (_, body) = json_of(
        reviewer
            .post(&bulk)
            .json(&json!({"filter": {"region": "630000"}, "state": "rejected", "comment": "重复"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(body["updated"], 0);

    let approved = app.all_surveys("&review_state=approved").await?;
    assert_eq!(approved.len(), in_ali_2024);
    assert!(
        approved
            .iter()
            .all(|s| s["review"]["reviewed_by"] == "reviewer-ali")
    );
    let received_in_ali = app
        .all_surveys("&review_state=received&region=542500")
        .await?;
    assert_eq!(received_in_ali.len(), in_ali - in_ali_2024);
    let (_, audit) = app
        .get("/api/v1/audit?action=survey.review&limit=1000")
        .await?;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(in_ali_2024));
    Ok(())
}

async fn technicians_see_only_their_own(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let tech_a = app
        .client_as("tech-a", "technician", None, &["542523"])
        .await?;
    let tech_b = app
        .client_as("tech-b", "technician", None, &["542523", "542524"])
        .await?;
    let mine = example_survey();
    let theirs = example_survey();
    assert_eq!(
        tech_a
            .post(app.url("/api/v1/surveys"))
            .json(&mine)
            .send()
            .await?
            .status()
            .as_u16(),
        201
    );
    assert_eq!(
        tech_b
            .post(app.url("/api/v1/surveys"))
            .json(&theirs)
            .send()
            .await?
            .status()
            .as_u16(),
        201
    );
    // Not assigned to 632801: refused, naming the county.
    let mut elsewhere = example_survey();
    elsewhere["county_code"] = json!("632801");
    let (status, body) = json_of(
        tech_a
            .post(app.url("/api/v1/surveys"))
            .json(&elsewhere)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(
        (status, body["code"].as_str(), body["path"].as_str()),
        (403, Some("county_not_assigned"), Some("county_code"))
    );

    let (_, page) = json_of(tech_a.get(app.url("/api/v1/surveys")).send().await?).await?;
    let ids: Vec<&str> = field_array(&page, "items")
        .iter()
        .map(|item| field_str(item, "survey.id"))
        .collect();
    assert_eq!(ids, [field_str(&mine, "id")]);
    let other = app.url(&format!("/api/v1/surveys/{}", field_str(&theirs, "id")));
    assert_eq!(tech_a.get(&other).send().await?.status().as_u16(), 404);
    let correction = json!({"survey": theirs, "base_version": 1});
    assert_eq!(
        tech_a
            .put(&other)
            .json(&correction)
            .send()
            .await?
            .status()
            .as_u16(),
        404
    );
    Ok(())
}

/// What the review page relies on: a rejection says why, a decision names the version it
/// was made on, a bulk review can cover exactly the rows a reviewer selected, and the
/// listing finds the surveys with warnings.
async fn reviewers_decide_on_what_they_saw(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let tech = app
        .client_as("tech-a", "technician", None, &["542523"])
        .await?;
    let reviewer = app
        .client_as("reviewer-ali", "reviewer", Some("542500"), &[])
        .await?;
    let mut ids = Vec::new();
    for index in 0..3 {
        let mut survey = example_survey();
        if index == 2 {
            // 84 kg of film per mu: stored, with a warning.
            survey["film"]["area_mu"] = json!(0.5);
        }
        let (status, _) = json_of(
            tech.post(app.url("/api/v1/surveys"))
                .json(&survey)
                .send()
                .await?,
        )
        .await?;
        assert_eq!(status, 201);
        ids.push(field_str(&survey, "id").to_owned());
    }
    let state_of = |id: &str| {
        let url = app.url(&format!("/api/v1/surveys/{id}"));
        let reviewer = reviewer.clone();
        async move {
            let (_, body) = json_of(reviewer.get(url).send().await?).await?;
            anyhow::Ok(field_str(&body, "review.state").to_owned())
        }
    };
    let review_url = |id: &str| app.url(&format!("/api/v1/surveys/{id}/review"));
    let listed = |query: &'static str| {
        let url = app.url(&format!("/api/v1/surveys?{query}"));
        let reviewer = reviewer.clone();
        async move {
            let (status, body) = json_of(reviewer.get(url).send().await?).await?;
            assert_eq!(status, 200, "{body}");
            let ids: Vec<String> = field_array(&body, "items")
                .iter()
                .map(|item| field_str(item, "survey.id").to_owned())
                .collect();
            anyhow::Ok(ids)
        }
    };
    assert_eq!(listed("has_warnings=true").await?, [ids[2].clone()]);
    assert_eq!(
        listed("has_warnings=false&order=newest").await?,
        [ids[1].clone(), ids[0].clone()]
    );

    // A rejection without a reason (or with blanks only) is refused at `comment`.
    for comment in [json!(null), json!("  ")] {
        let (status, body) = json_of(
            reviewer
                .post(review_url(&ids[0]))
                .json(&json!({"state": "rejected", "comment": comment}))
                .send()
                .await?,
        )
        .await?;
        assert_eq!(
            (status, body["code"].as_str(), body["path"].as_str()),
            (422, Some("comment_required"), Some("comment"))
        );
    }
    assert_eq!(state_of(&ids[0]).await?, "received");

    // The technician corrects survey 0 to version 2 while the reviewer looks at version 1:
    // a decision on version 1 is a conflict and changes nothing.
    let (_, current) = json_of(
        tech.get(app.url(&format!("/api/v1/surveys/{}", ids[0])))
            .send()
            .await?,
    )
    .await?;
    let mut fixed = current["survey"].clone();
    fixed["household"] = json!("扎西 (corrected)");
    let (status, _) = json_of(
        tech.put(app.url(&format!("/api/v1/surveys/{}", ids[0])))
            .header("If-Match", "\"v1\"")
            .json(&json!({"survey": fixed}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 200);
    let (status, body) = json_of(
        reviewer
            .post(review_url(&ids[0]))
            .header("If-Match", "\"v1\"")
            .json(&json!({"state": "approved"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(
        (
            status,
            body["code"].as_str(),
            body["current_version"].as_i64()
        ),
        (409, Some("version_conflict"), Some(2)),
        "{body}"
    );
    assert_eq!(state_of(&ids[0]).await?, "edited");
    let (status, body) = json_of(
        reviewer
            .post(review_url(&ids[0]))
            .header("If-Match", "\"v2\"")
            .json(&json!({"state": "rejected", "comment": "重复录入 / duplicate"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["review"]["comment"], "重复录入 / duplicate");

    // A bulk review of selected ids changes those and nothing else.
    let bulk = app.url("/api/v1/surveys/bulk-review");
    let (status, body) = json_of(
        reviewer
            .post(&bulk)
            .json(&json!({"filter": {"ids": [ids[1]]}, "state": "approved"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!((status, body["updated"].as_u64()), (200, Some(1)), "{body}");
    assert_eq!(state_of(&ids[1]).await?, "approved");
    assert_eq!(state_of(&ids[2]).await?, "received");
    assert_eq!(state_of(&ids[0]).await?, "rejected");
    // Outside the reviewer's scope, a selected id matches nothing.
    let reviewer_qh = app
        .client_as("reviewer-qh", "reviewer", Some("630000"), &[])
        .await?;
    let (_, body) = json_of(
        reviewer_qh
            .post(&bulk)
            .json(&json!({"filter": {"ids": [ids[2]]}, "state": "approved"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(body["updated"], 0);
    assert_eq!(state_of(&ids[2]).await?, "received");
    // More ids than a page holds are refused, naming the field.
    let many: Vec<String> = (0..1001)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let (status, body) = json_of(
        reviewer
            .post(&bulk)
            .json(&json!({"filter": {"ids": many}, "state": "approved"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!((status, body["path"].as_str()), (422, Some("filter.ids")));
    Ok(())
}
