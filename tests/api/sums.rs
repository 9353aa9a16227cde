//! `/api/v1/sums`: the dashboard's county × year × review-class sums. Finished by the
//! analytics crate (the code the browser runs as WASM), they give the figures
//! `/api/v1/indicators` and `/api/v1/progress` report for the same filters; scope, ETag,
//! gzip and writes behave as documented.

use agriwaste_analytics::dashboard::{DashboardRequest, FactSet};
use anyhow::{Context, Result, bail};
use e2e::{
    Backend, TestApp, client_with, field_array, field_str, json_of, on_both_backends,
    synthetic_surveys,
};
use serde_json::{Value, json};

use super::facts::{
    CachedAnswer, assert_same_board, assert_same_groups, revalidates_and_gzips, reviewed_app,
};

on_both_backends!(
    sums_compute_to_the_indicators_and_progress_of_the_api,
    sums_follow_scope_etag_gzip_and_writes
);

async fn sums_text(client: &reqwest::Client, app: &TestApp, query: &str) -> Result<String> {
    let response = client
        .get(app.url(&format!("/api/v1/sums{query}")))
        .send()
        .await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    if status != 200 {
        bail!("sums{query}: {status} {text}");
    }
    Ok(text)
}

/// A FactSet from the sums the admin reads, with the stored targets.
async fn fact_set(app: &TestApp) -> Result<FactSet> {
    let mut set = FactSet::from_sums_json(&sums_text(&app.client, app, "").await?)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (_, targets) = app.get("/api/v1/targets").await?;
    set.set_targets(&targets.to_string())
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(set)
}

/// The groups without the film-per-mu median and outliers: household-level figures the
/// sums do not carry (no dashboard figure shows them).
fn without_film_values(mut report: Value) -> Value {
    for group in report["groups"].as_array_mut().into_iter().flatten() {
        group["quality"]["film_kg_per_mu_median"] = Value::Null;
        group["quality"]["film_kg_per_mu_outliers"] = json!([]);
    }
    report
}

/// `/api/v1/indicators?{query}` and the crate's groups of the sums for `filter` and
/// `options` agree.
async fn assert_indicators(
    app: &TestApp,
    set: &FactSet,
    query: &str,
    filter: Value,
    options: Value,
) -> Result<()> {
    let (status, api) = app.get(&format!("/api/v1/indicators?{query}")).await?;
    assert_eq!(status, 200, "{query}: {api}");
    let filter: DashboardRequest = serde_json::from_value(filter)?;
    let local: Value = serde_json::from_str(
        &set.compute_indicators(&filter, &options.to_string())
            .map_err(|e| anyhow::anyhow!("{e:?}"))?,
    )?;
    assert_same_groups(
        &without_film_values(api),
        &without_film_values(local),
        query,
    )
}

async fn sums_compute_to_the_indicators_and_progress_of_the_api(backend: Backend) -> Result<()> {
    let app = reviewed_app(backend).await?;

    let set = fact_set(&app).await?;
    assert_eq!(set.len(), 399, "every survey but the rejected one");
    let filters = [
        (
            "level=county",
            json!({}),
            json!({"level": "county", "by_year": true}),
        ),
        (
            "level=county&year=2025",
            json!({"from": 2025, "to": 2025}),
            json!({"level": "county", "by_year": true}),
        ),
        (
            "level=prefecture&region=630000&by_year=true",
            json!({"within": "630000"}),
            json!({"level": "prefecture", "by_year": true}),
        ),
        (
            "level=county&from=2024&to=2025&by_year=false&region=542500",
            json!({"from": 2024, "to": 2025, "within": "542500"}),
            json!({"level": "county", "by_year": false}),
        ),
        (
            "level=prefecture&review=approved",
            json!({"approved_only": true}),
            json!({"level": "prefecture", "by_year": true}),
        ),
        (
            "level=all&review=approved&year=2025",
            json!({"approved_only": true, "from": 2025, "to": 2025}),
            json!({"level": null, "by_year": true}),
        ),
    ];
    for (query, filter, options) in filters {
        assert_indicators(&app, &set, query, filter, options).await?;
    }

    // The board the page draws from the sums is the API's.
    for (query, request) in [
        (
            "region=542500&year=2025",
            json!({"within": "542500", "year": 2025}),
        ),
        ("", json!({})),
        (
            "region=630000&year=2024",
            json!({"within": "630000", "year": 2024}),
        ),
        ("review=approved", json!({"approved_only": true})),
    ] {
        let (status, api) = app.get(&format!("/api/v1/progress?{query}")).await?;
        assert_eq!(status, 200, "progress?{query}: {api}");
        let mut request = request;
        request["current_year"] = api["current_year"].clone();
        let local: Value = serde_json::from_str(
            &set.progress(&request.to_string())
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        )?;
        assert_same_board(&api, &local, &format!("progress?{query}"))?;
    }

    // The dashboard's bars are the county groups of the API, with the admin's target.
    let dashboard = set
        .dashboard_of(&serde_json::from_value(json!({
            "within": "542500", "from": 2025, "to": 2025, "indicator": "film_recovery_rate"
        }))?)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (_, api) = app
        .get("/api/v1/indicators?level=county&year=2025&region=542500")
        .await?;
    let groups = api["groups"].as_array().context("groups")?;
    assert_eq!(dashboard.by_region.bars.len(), groups.len());
    assert!(!groups.is_empty());
    for (bar, group) in dashboard.by_region.bars.iter().zip(groups) {
        assert_eq!(bar.code, field_str(group, "region_code"));
        let rate = group["indicators"]["film_recovery_rate"]["rate"].as_f64();
        let same = match (bar.value.rate, rate) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9,
            (a, b) => a == b,
        };
        assert!(same, "{bar:?} vs {rate:?}");
        assert_eq!(bar.target.map(|t| t.rate), Some(0.5), "the admin's target");
    }
    Ok(())
}

fn etag_of(response: &reqwest::Response) -> Result<String> {
    Ok(response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .context("etag")?
        .to_owned())
}

async fn sums_follow_scope_etag_gzip_and_writes(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(300);
    app.post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
        .await?;
    let (_, bulk) = app
        .post(
            "/api/v1/surveys/bulk-review",
            &json!({"filter": {"region": "630000"}, "state": "approved"}),
        )
        .await?;
    let approved = bulk["updated"].as_u64().unwrap_or(0);
    assert!(approved > 0);

    // The two classes: approved rows hold every approved survey, the others the rest.
    let body: Value = serde_json::from_str(&sums_text(&app.client, &app, "").await?)?;
    assert_eq!(body["households"], 300);
    let class = |body: &Value, approved: bool| -> u64 {
        field_array(body, "rows")
            .iter()
            .filter(|r| r["approved"] == approved)
            .map(|r| r["households"].as_u64().unwrap_or(0))
            .sum()
    };
    assert_eq!(class(&body, true), approved);
    assert_eq!(class(&body, false), 300 - approved);
    let in_542523: u64 = {
        let counties = field_array(&body, "counties");
        let at = counties
            .iter()
            .position(|c| c == "542523")
            .context("542523 has surveys")?;
        field_array(&body, "rows")
            .iter()
            .filter(|r| r["county"] == at)
            .map(|r| r["households"].as_u64().unwrap_or(0))
            .sum()
    };

    // Scope: a viewer of one county reads that county's rows only.
    let (_, password) = app
        .create_user("viewer-542523", "viewer", Some("542523"), &[])
        .await?;
    let token = app.login("viewer-542523", &password).await?;
    let viewer = client_with(&[("authorization", &format!("Bearer {token}"))])?;
    let scoped: Value = serde_json::from_str(&sums_text(&viewer, &app, "").await?)?;
    assert_eq!(scoped["counties"], json!(["542523"]), "{scoped}");
    assert_eq!(scoped["households"].as_u64(), Some(in_542523));
    let outside: Value = serde_json::from_str(&sums_text(&viewer, &app, "?region=630000").await?)?;
    assert_eq!(outside["households"], 0);
    assert_eq!(outside["rows"], json!([]));
    // What the viewer's FactSet shows is what the API shows the viewer.
    let set = FactSet::from_sums_json(&scoped.to_string()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (_, api) = json_of(
        viewer
            .get(app.url("/api/v1/progress?region=542523"))
            .send()
            .await?,
    )
    .await?;
    let local: Value = serde_json::from_str(
        &set.progress(
            &json!({"within": "542523", "current_year": api["current_year"]}).to_string(),
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))?,
    )?;
    assert_same_board(&api, &local, "viewer's progress")?;

    // Years and bad parameters.
    let (_, y2024) = app.get("/api/v1/sums?from=2024&to=2024").await?;
    assert!(
        field_array(&y2024, "rows")
            .iter()
            .all(|r| r["year"] == 2024)
            && !field_array(&y2024, "rows").is_empty()
    );
    let (status, error) = app.get("/api/v1/sums?from=2025&to=2024").await?;
    assert_eq!((status, error["path"].as_str()), (400, Some("from")));
    let (status, error) = app.get("/api/v1/sums?region=999999").await?;
    assert_eq!((status, error["path"].as_str()), (400, Some("region")));
    let (status, _) = json_of(
        reqwest::Client::new()
            .get(app.url("/api/v1/sums"))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 401);

    // ETag: 304 while nothing changes; gzip when accepted.
    let CachedAnswer {
        etag,
        plain,
        compressed,
    } = revalidates_and_gzips(&app, "/api/v1/sums").await?;
    assert!(compressed < plain);

    // A write: the ETag moves, the sums hold the new survey in its county, year and
    // class, and the figures finished from them are the API's again.
    let more = synthetic_surveys(1);
    let (status, _) = app.post("/api/v1/surveys", &more[0]).await?;
    assert_eq!(status, 201);
    let after = app
        .client
        .get(app.url("/api/v1/sums"))
        .header("if-none-match", &etag)
        .send()
        .await?;
    assert_eq!(after.status().as_u16(), 200);
    assert_ne!(etag_of(&after)?, etag);
    let (_, body) = json_of(after).await?;
    assert_eq!(body["households"], 301);
    assert_eq!(class(&body, false), 301 - approved);
    // A review decision moves a survey from one class to the other.
    let id = field_str(&more[0], "id");
    let (status, _) = app
        .post(
            &format!("/api/v1/surveys/{id}/review"),
            &json!({"state": "approved"}),
        )
        .await?;
    assert_eq!(status, 200);
    let (_, body) = app.get("/api/v1/sums").await?;
    assert_eq!(class(&body, true), approved + 1);
    let set = FactSet::from_sums_json(&body.to_string()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_indicators(
        &app,
        &set,
        "level=county&review=approved",
        json!({"approved_only": true}),
        json!({"level": "county", "by_year": true}),
    )
    .await?;
    Ok(())
}
