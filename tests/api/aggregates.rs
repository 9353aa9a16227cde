//! The maintained sums (`survey_sums`): every write keeps them equal to the household
//! rows (corrections that move a survey to another county and year, reviews, coefficient
//! edits), `agriwaste verify-aggregates` finds a difference when there is one, a database
//! without them has them built at start-up, and the film-per-mu flags, which cannot be
//! summed, follow writes through their cache. (Every test's app is verified when dropped;
//! these check mid-scenario too.)

use agriwaste_analytics::dashboard::{DashboardRequest, FactSet};
use anyhow::{Context, Result, bail};
use e2e::{Backend, TestApp, field_str, on_both_backends, synthetic_surveys};
use serde_json::{Value, json};

use crate::facts::assert_same_groups;

on_both_backends!(
    sums_follow_corrections_reviews_and_coefficients,
    verify_aggregates_reports_what_differs,
    sums_are_built_where_there_were_none,
    film_flags_follow_writes_through_their_cache
);

const BY_COUNTY_AND_YEAR: &str = "/api/v1/indicators?level=county&by_year=true";

/// The API's groups against the crate's, computed from the household facts the API
/// serves, by county × year and by prefecture over all years (each shape's film figures
/// are cached apart): the same figures, whatever the maintained sums went through.
async fn assert_indicators_are_the_households(app: &TestApp, what: &str) -> Result<()> {
    let response = app.client.get(app.url("/api/v1/facts")).send().await?;
    if response.status() != 200 {
        bail!("{what}: facts {}", response.status());
    }
    let set = FactSet::from_json(&response.text().await?).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let shapes = [
        (
            BY_COUNTY_AND_YEAR,
            r#"{"level": "county", "by_year": true}"#,
        ),
        (
            "/api/v1/indicators?level=prefecture&by_year=false",
            r#"{"level": "prefecture", "by_year": false}"#,
        ),
    ];
    for (path, grouping) in shapes {
        let (status, api) = app.get(path).await?;
        assert_eq!(status, 200, "{what}: {api}");
        let filter: DashboardRequest = serde_json::from_value(json!({}))?;
        let local: Value = serde_json::from_str(
            &set.compute_indicators(&filter, grouping)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        )?;
        assert_same_groups(&api, &local, what)?;
        // The median and outliers of film use per mu, from every value of the group,
        // exactly.
        for (a, l) in api["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(local["groups"].as_array().into_iter().flatten())
        {
            for flag in ["film_kg_per_mu_median", "film_kg_per_mu_outliers"] {
                assert_eq!(
                    a["quality"][flag], l["quality"][flag],
                    "{what}: {flag} of {} {} ({path})",
                    a["region_code"], a["year"]
                );
            }
        }
    }
    Ok(())
}

/// Households of one county and year in an indicators answer.
fn households(api: &Value, county: &str, year: i64) -> u64 {
    api["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["region_code"] == county && g["year"] == year)
        .and_then(|g| g["households"].as_u64())
        .unwrap_or(0)
}

fn county_and_year(survey: &Value) -> (String, i64) {
    let year = field_str(survey, "surveyed_on")[..4].parse().unwrap_or(0);
    (field_str(survey, "county_code").to_owned(), year)
}

async fn sums_follow_corrections_reviews_and_coefficients(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(60);
    let (status, _) = app
        .post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
        .await?;
    assert_eq!(status, 200);
    app.verify_aggregates()?;
    let (_, before) = app.get(BY_COUNTY_AND_YEAR).await?;

    // A correction that moves the survey to another county and year: its household
    // leaves one group and joins another.
    let moved = &surveys[0];
    let elsewhere = surveys[1..]
        .iter()
        .find(|s| county_and_year(s) != county_and_year(moved))
        .context("two county-years")?;
    let (from, to) = (county_and_year(moved), county_and_year(elsewhere));
    let mut corrected = elsewhere.clone();
    corrected["id"] = moved["id"].clone();
    let (status, body) = app
        .put(
            &format!("/api/v1/surveys/{}", field_str(moved, "id")),
            &json!({ "survey": corrected, "base_version": 1 }),
            &[],
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    app.verify_aggregates()?;
    let (_, after) = app.get(BY_COUNTY_AND_YEAR).await?;
    assert_eq!(
        households(&after, &from.0, from.1),
        households(&before, &from.0, from.1) - 1
    );
    assert_eq!(
        households(&after, &to.0, to.1),
        households(&before, &to.0, to.1) + 1
    );
    assert_indicators_are_the_households(&app, "after a correction across counties").await?;

    // Reviews: one rejected (it stops counting), a region approved in bulk.
    let (status, _) = app
        .post(
            &format!("/api/v1/surveys/{}/review", field_str(&surveys[2], "id")),
            &json!({"state": "rejected", "comment": "重复录入"}),
        )
        .await?;
    assert_eq!(status, 200);
    let (status, _) = app
        .post(
            "/api/v1/surveys/bulk-review",
            &json!({"filter": {"region": "542500"}, "state": "approved"}),
        )
        .await?;
    assert_eq!(status, 200);
    app.verify_aggregates()?;
    assert_indicators_are_the_households(&app, "after reviews").await?;

    // A coefficient edit re-estimates the straw of every survey it applies to.
    let (status, body) = app
        .put(
            "/api/v1/coefficients/542523/2020/straw_grain_ratio/highland_barley",
            &json!({ "value": 1.2, "source": "噶尔县农业农村局 实测 (test)" }),
            &[],
        )
        .await?;
    assert!(status == 200 || status == 201, "{status} {body}");
    app.verify_aggregates()?;
    assert_indicators_are_the_households(&app, "after a coefficient edit").await
}

async fn verify_aggregates_reports_what_differs(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(20);
    let (status, _) = app
        .post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
        .await?;
    assert_eq!(status, 200);
    let out = app.verify_aggregates()?;
    assert!(out.contains(", 20 surveys, 0 differences"), "{out}");

    let (county, year) = county_and_year(&surveys[0]);
    let one_row = format!(
        "county_code = '{county}' AND survey_year = {year} AND review_state = 'received' \
         AND shard = (SELECT MIN(shard) FROM survey_sums WHERE county_code = '{county}' \
         AND survey_year = {year} AND review_state = 'received')"
    );
    // A count and an amount, each changed behind the server's back and put back.
    for (set, change, undo) in [
        ("households", "households + 1", "households - 1"),
        (
            "straw_measured",
            "straw_measured + 0.5",
            "straw_measured - 0.5",
        ),
    ] {
        let changed = format!(
            "UPDATE survey_sums SET {set} = {change} WHERE {one_row} RETURNING CAST(1 AS BIGINT)"
        );
        assert_eq!(app.sql_integer(&changed).await?, 1);
        let Err(error) = app.verify_aggregates() else {
            bail!("verify-aggregates found nothing after {set} = {change}");
        };
        let message = format!("{error:#}");
        assert!(
            message.contains(&format!("differs: {county} {year} received {set}:")),
            "{message}"
        );
        let undone = format!(
            "UPDATE survey_sums SET {set} = {undo} WHERE {one_row} RETURNING CAST(1 AS BIGINT)"
        );
        assert_eq!(app.sql_integer(&undone).await?, 1);
        app.verify_aggregates()?;
    }
    Ok(())
}

async fn sums_are_built_where_there_were_none(backend: Backend) -> Result<()> {
    let mut app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(40);
    let (status, _) = app
        .post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
        .await?;
    assert_eq!(status, 200);
    let (_, before) = app.get(BY_COUNTY_AND_YEAR).await?;
    // A database as the migration that created the table leaves it: facts, no sums.
    app.terminate().await?;
    let gone = app
        .sql_integer("DELETE FROM survey_sums WHERE households >= 0 RETURNING CAST(1 AS BIGINT)")
        .await;
    // RETURNING gives one row per deleted row; the first is enough to know rows went.
    assert!(gone.is_ok(), "{gone:?}");
    app.start().await?;
    app.verify_aggregates()?;
    let (_, after) = app.get(BY_COUNTY_AND_YEAR).await?;
    let groups = |v: &Value| v["groups"].as_array().map_or(0, Vec::len);
    assert!(groups(&before) > 1);
    assert_eq!(groups(&before), groups(&after));
    for (b, a) in before["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(after["groups"].as_array().into_iter().flatten())
    {
        assert_eq!(b["households"], a["households"]);
        let (rb, ra) = (
            b["indicators"]["film_recovery_rate"]["rate"].as_f64(),
            a["indicators"]["film_recovery_rate"]["rate"].as_f64(),
        );
        match (rb, ra) {
            (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-12, "{x} vs {y}"),
            (x, y) => assert_eq!(x, y),
        }
    }
    Ok(())
}

async fn film_flags_follow_writes_through_their_cache(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys: Vec<Value> = synthetic_surveys(400)
        .into_iter()
        .filter(|s| s["film"].is_object())
        .collect();
    // The household to correct: one of the largest county × year group, so that its
    // median and spread are those of many neighbours.
    let mut sizes: std::collections::BTreeMap<(String, i64), usize> = Default::default();
    for s in &surveys {
        *sizes.entry(county_and_year(s)).or_default() += 1;
    }
    let (largest, size) = sizes
        .iter()
        .max_by_key(|(_, n)| **n)
        .context("film surveys")?;
    assert!(*size >= 5, "{sizes:?}");
    let target = surveys
        .iter()
        .find(|s| county_and_year(s) == *largest)
        .context("the largest group")?
        .clone();
    let (status, _) = app
        .post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
        .await?;
    assert_eq!(status, 200);
    // Read once: every group's film-per-mu values are now cached.
    assert_indicators_are_the_households(&app, "first read").await?;

    // One household's film use per mu becomes far larger than its neighbours' (a
    // warning, not an error): it must be flagged, so its group's cached values are stale.
    let target = &target;
    let mut corrected = target.clone();
    let used = corrected["film"]["used_kg"].as_f64().context("film used")?;
    corrected["film"]["area_mu"] = json!(used / 1000.0);
    let (status, body) = app
        .put(
            &format!("/api/v1/surveys/{}", field_str(target, "id")),
            &json!({ "survey": corrected, "base_version": 1 }),
            &[],
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    let (_, api) = app.get(BY_COUNTY_AND_YEAR).await?;
    let (county, year) = county_and_year(target);
    let group = api["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["region_code"] == county.as_str() && g["year"] == year)
        .context("the corrected survey's group")?;
    let outliers = group["quality"]["film_kg_per_mu_outliers"].to_string();
    assert!(
        outliers.contains(field_str(target, "id")),
        "1000 kg/mu among 2–10 is an outlier: {outliers}"
    );
    assert_indicators_are_the_households(&app, "after the correction").await?;

    // Rejected, it leaves the group and its flags.
    let (status, _) = app
        .post(
            &format!("/api/v1/surveys/{}/review", field_str(target, "id")),
            &json!({"state": "rejected", "comment": "面积录错"}),
        )
        .await?;
    assert_eq!(status, 200);
    let (_, api) = app.get(BY_COUNTY_AND_YEAR).await?;
    assert!(!api.to_string().contains(&format!(
        "\"film_kg_per_mu_outliers\":[\"{}\"",
        field_str(target, "id")
    )));
    assert_indicators_are_the_households(&app, "after the rejection").await
}
