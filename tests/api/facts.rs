//! `/api/v1/facts`: the dashboard's household facts. Computed with the analytics crate
//! (the code the browser runs as WASM), they give the figures `/api/v1/indicators`
//! reports for the same filters; scope, review, ETag and gzip behave as documented.

use std::io::Read;

use agriwaste_analytics::dashboard::{DashboardRequest, FactSet};
use agriwaste_analytics::indicators::Indicator;
use anyhow::{Context, Result, bail};
use e2e::{
    Backend, TestApp, client_with, field_array, field_str, json_of, on_both_backends,
    synthetic_surveys,
};
use serde_json::{Value, json};

on_both_backends!(
    facts_come_in_pages_without_gaps_or_repeats,
    facts_compute_to_the_indicators_of_the_api,
    facts_follow_scope_review_etag_and_gzip
);

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Whether two JSON numbers (or nulls) agree to summation-order rounding.
fn same_number(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => close(x, y),
        _ => a == b,
    }
}

/// Compares the groups of the API with the groups the crate computed from the facts:
/// same groups, households, n, and every figure of every indicator and its progress.
/// The progress boards of the API and of the crate from facts agree: rows, statuses,
/// targets, estimates and trends.
pub(crate) fn assert_same_board(api: &Value, local: &Value, what: &str) -> Result<()> {
    for key in ["year", "current_year", "min_n", "years"] {
        assert_eq!(api[key], local[key], "{what}: {key}");
    }
    let (Some(api_rows), Some(rows)) = (api["rows"].as_array(), local["rows"].as_array()) else {
        bail!("{what}: no rows in {api} or {local}");
    };
    assert!(!rows.is_empty(), "{what}: nothing to compare");
    assert_eq!(api_rows.len(), rows.len(), "{what}: row count");
    for (a, l) in api_rows.iter().zip(rows) {
        for key in ["kind", "code", "households", "plan", "members"] {
            assert_eq!(a[key], l[key], "{what}: {key}");
        }
        for indicator in Indicator::ALL {
            let (ca, cl) = (&a["cells"][indicator.key()], &l["cells"][indicator.key()]);
            let at = format!("{what} {} {}", a["code"], indicator.key());
            for key in ["status", "target", "target_year_passed"] {
                assert_eq!(ca[key], cl[key], "{at}: {key}");
            }
            for key in [
                "gap_pp",
                "required_gain_pp",
                "observed_gain_pp",
                "observed_gain_se_pp",
            ] {
                assert!(
                    same_number(&ca[key], &cl[key]),
                    "{at}: {key} {} vs {}",
                    ca[key],
                    cl[key]
                );
            }
            for field in ["rate", "se", "ci_low", "ci_high"] {
                let (ea, el) = (&ca["estimate"][field], &cl["estimate"][field]);
                assert!(same_number(ea, el), "{at}: estimate.{field} {ea} vs {el}");
            }
        }
    }
    Ok(())
}

pub(crate) fn assert_same_groups(api: &Value, local: &Value, what: &str) -> Result<()> {
    let (Some(api), Some(local)) = (api["groups"].as_array(), local["groups"].as_array()) else {
        bail!("{what}: no groups in {api} or {local}");
    };
    assert_eq!(api.len(), local.len(), "{what}: group count");
    assert!(!api.is_empty(), "{what}: nothing to compare");
    for (a, l) in api.iter().zip(local) {
        for key in ["region_code", "year", "households", "region_name_zh"] {
            assert_eq!(a[key], l[key], "{what}: {key}");
        }
        for indicator in Indicator::ALL {
            let k = indicator.key();
            let (ea, el) = (&a["indicators"][k], &l["indicators"][k]);
            assert_eq!(ea["n"], el["n"], "{what}: {k} n");
            for field in [
                "rate",
                "weighted_numerator",
                "weighted_denominator",
                "se",
                "ci_low",
                "ci_high",
            ] {
                assert!(
                    same_number(&ea[field], &el[field]),
                    "{what} {} {}: {k}.{field} API {} vs crate {}",
                    a["region_code"],
                    a["year"],
                    ea[field],
                    el[field]
                );
            }
            let (pa, pl) = (&a["progress"][k], &l["progress"][k]);
            assert_eq!(pa["met"], pl["met"], "{what}: {k} met");
            assert_eq!(pa["target"], pl["target"], "{what}: {k} target");
            assert!(same_number(&pa["gap_pp"], &pl["gap_pp"]), "{what}: {k} gap");
        }
        for part in ["fertilizer", "feed", "substrate", "fuel", "raw_material"] {
            assert!(
                same_number(
                    &a["straw_uses"][part]["share"],
                    &l["straw_uses"][part]["share"]
                ),
                "{what}: straw {part}"
            );
        }
        assert_eq!(
            a["quality"]["surveys_with_warnings"], l["quality"]["surveys_with_warnings"],
            "{what}: warnings"
        );
        assert_eq!(
            a["quality"]["film_kg_per_mu_outliers"], l["quality"]["film_kg_per_mu_outliers"],
            "{what}: outliers"
        );
    }
    Ok(())
}

async fn facts_text(client: &reqwest::Client, app: &TestApp, query: &str) -> Result<String> {
    let response = client
        .get(app.url(&format!("/api/v1/facts{query}")))
        .send()
        .await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    if status != 200 {
        bail!("facts{query}: {status} {text}");
    }
    Ok(text)
}

/// An app holding 400 synthetic surveys, those of 542500 in 2025 approved, one rejected,
/// and an admin's film target for 542500: what the dashboard's inputs are compared on
/// (the review filter and the exclusion both matter).
pub(crate) async fn reviewed_app(backend: Backend) -> Result<TestApp> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(400);
    let (status, _) = app
        .post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
        .await?;
    assert_eq!(status, 200);
    app.post(
        "/api/v1/surveys/bulk-review",
        &json!({"filter": {"region": "542500", "year": 2025}, "state": "approved"}),
    )
    .await?;
    let rejected = field_str(&surveys[0], "id");
    let (status, _) = app
        .post(
            &format!("/api/v1/surveys/{rejected}/review"),
            &json!({"state": "rejected", "comment": "重复录入"}),
        )
        .await?;
    assert_eq!(status, 200);
    app.put(
        "/api/v1/targets/542500/film_recovery_rate/2025",
        &json!({"target": 0.5, "source": "e2e"}),
        &[],
    )
    .await?;
    Ok(app)
}

async fn facts_compute_to_the_indicators_of_the_api(backend: Backend) -> Result<()> {
    let app = reviewed_app(backend).await?;

    let mut set = FactSet::from_json(&facts_text(&app.client, &app, "").await?)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(set.len(), 399, "every survey but the rejected one");
    let (_, targets) = app.get("/api/v1/targets").await?;
    set.set_targets(&targets.to_string())
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;

    for (query, filter, options) in [
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
            "level=county&from=2024&to=2025&by_year=false&region=542500",
            json!({"from": 2024, "to": 2025, "within": "542500"}),
            json!({"level": "county", "by_year": false}),
        ),
        (
            "level=prefecture&review=approved",
            json!({"approved_only": true}),
            json!({"level": "prefecture", "by_year": true}),
        ),
    ] {
        let (status, api) = app.get(&format!("/api/v1/indicators?{query}")).await?;
        assert_eq!(status, 200, "{query}: {api}");
        let filter: DashboardRequest = serde_json::from_value(filter)?;
        let local: Value = serde_json::from_str(
            &set.compute_indicators(&filter, &options.to_string())
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        )?;
        assert_same_groups(&api, &local, query)?;
    }

    // The dashboard's progress board is the API's, computed from the same sums in the
    // browser: every row, status and estimate agree.
    for (query, request) in [
        (
            "region=542500&year=2025",
            json!({"within": "542500", "year": 2025}),
        ),
        ("", json!({})),
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
        assert_same_board(&api, &local, query)?;
    }
    let dashboard = set
        .dashboard_of(&serde_json::from_value(json!({
            "within": "542500", "from": 2025, "to": 2025, "indicator": "film_recovery_rate"
        }))?)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (_, api) = app
        .get("/api/v1/indicators?level=county&year=2025&region=542500")
        .await?;
    let county_groups = api["groups"].as_array().context("groups")?.len();
    assert_eq!(dashboard.by_region.bars.len(), county_groups);
    for (bar, group) in dashboard
        .by_region
        .bars
        .iter()
        .zip(api["groups"].as_array().context("groups")?)
    {
        assert_eq!(bar.code, field_str(group, "region_code"));
        let rate = group["indicators"]["film_recovery_rate"]["rate"].as_f64();
        let same = match (bar.value.rate, rate) {
            (Some(a), Some(b)) => close(a, b),
            (a, b) => a == b,
        };
        assert!(same, "{bar:?} vs {rate:?}");
        assert_eq!(bar.target.map(|t| t.rate), Some(0.5), "the admin's target");
    }
    Ok(())
}

async fn facts_follow_scope_review_etag_and_gzip(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(200);
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

    // Scope: a key for 青海 sees 青海 counties only; a region narrows further.
    let (_, key) = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "qh", "scope_code": "630000"}),
        )
        .await?;
    let consumer = client_with(&[("x-api-key", field_str(&key, "secret"))])?;
    let body: Value = serde_json::from_str(&facts_text(&consumer, &app, "").await?)?;
    let counties: Vec<&str> = field_array(&body, "facts.counties")
        .iter()
        .map(|county| {
            county
                .as_str()
                .with_context(|| format!("county {county} in {body}"))
        })
        .collect::<Result<_>>()?;
    assert!(
        !counties.is_empty() && counties.iter().all(|c| c.starts_with("63")),
        "{counties:?}"
    );
    let households = body["households"].as_u64().unwrap_or(0);
    assert_eq!(
        body["facts"]["year"].as_array().map(Vec::len),
        Some(households as usize)
    );
    // Every household of 青海 was approved above.
    assert_eq!(households, approved);
    let (_, out_of_scope) = json_of(
        consumer
            .get(app.url("/api/v1/facts?region=542500"))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(out_of_scope["households"], 0);

    // Review: approved only.
    let (_, all) = app.get("/api/v1/facts").await?;
    let (_, only_approved) = app.get("/api/v1/facts?review=approved").await?;
    assert_eq!(all["households"], 200);
    assert_eq!(only_approved["households"].as_u64(), Some(approved));
    assert!(
        only_approved["facts"]["approved"]
            .as_array()
            .is_some_and(|a| a.iter().all(|v| v == 1))
    );

    // Years.
    let (_, y2024) = app.get("/api/v1/facts?from=2024&to=2024").await?;
    assert!(
        y2024["facts"]["year"]
            .as_array()
            .is_some_and(|y| !y.is_empty() && y.iter().all(|v| v == 2024))
    );
    let (status, error) = app.get("/api/v1/facts?from=2025&to=2024").await?;
    assert_eq!(status, 400);
    assert_eq!(error["path"], "from");
    assert!(
        error["message_zh"]
            .as_str()
            .is_some_and(|m| m.contains("from"))
    );
    assert!(
        error["message_en"]
            .as_str()
            .is_some_and(|m| m.contains("after"))
    );
    let (status, error) = app.get("/api/v1/facts?region=999999").await?;
    assert_eq!((status, error["path"].as_str()), (400, Some("region")));

    // ETag: 304 while nothing changes; gzip when accepted; a write changes the ETag.
    let CachedAnswer {
        etag,
        plain,
        compressed,
    } = revalidates_and_gzips(&app, "/api/v1/facts").await?;
    assert!(compressed * 10 < plain * 7, "{compressed} vs {plain}");

    let more = synthetic_surveys(1);
    app.post("/api/v1/surveys", &more[0]).await?;
    let after = app
        .client
        .get(app.url("/api/v1/facts"))
        .header("if-none-match", &etag)
        .send()
        .await?;
    assert_eq!(after.status().as_u16(), 200);
    let (_, body) = json_of(after).await?;
    assert_eq!(body["households"], 201);
    Ok(())
}

/// `/api/v1/facts?limit=`: pages in the order surveys were stored, each with the cursor
/// of the next, no gaps or repeats while surveys are written; bad paging is a 400 naming
/// the parameter.
async fn facts_come_in_pages_without_gaps_or_repeats(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(23);
    let (status, _) = app
        .post(
            "/api/v1/surveys/batch",
            &json!({ "surveys": surveys[..20] }),
        )
        .await?;
    assert_eq!(status, 200);
    let mut seen: Vec<String> = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let (status, page) = app
            .get(&format!("/api/v1/facts?limit=6&cursor={cursor}"))
            .await?;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        let ids = field_array(&page, "facts.id");
        assert!(ids.len() <= 6);
        seen.extend(ids.iter().filter_map(|v| v.as_str().map(str::to_owned)));
        if pages == 1 {
            // Written while paging: they come on a later page, none is repeated.
            let (status, _) = app
                .post(
                    "/api/v1/surveys/batch",
                    &json!({ "surveys": surveys[20..] }),
                )
                .await?;
            assert_eq!(status, 200);
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 4, "23 households in pages of 6");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no household twice");
    let (_, all) = app.get("/api/v1/facts").await?;
    let mut every: Vec<String> = field_array(&all, "facts.id")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    every.sort();
    assert_eq!(unique, every, "the pages hold every household");
    assert!(all.get("next_cursor").is_none());

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=100001", "limit"),
        ("limit=5&cursor=nonsense", "cursor"),
        ("cursor=c2VxOjE", "limit"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/facts?{query}")).await?;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["path"], field, "{query}: {body}");
    }
    Ok(())
}

/// What [`revalidates_and_gzips`] saw: the ETag, and the body's size plain and gzipped.
pub(crate) struct CachedAnswer {
    pub etag: String,
    pub plain: usize,
    pub compressed: usize,
}

/// `path` answers 304 to its own ETag while nothing changes, and gzip when accepted,
/// the same JSON once decompressed.
pub(crate) async fn revalidates_and_gzips(app: &TestApp, path: &str) -> Result<CachedAnswer> {
    let first = app.client.get(app.url(path)).send().await?;
    let etag = first
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .context("etag")?
        .to_owned();
    let plain = first.bytes().await?;
    let again = app
        .client
        .get(app.url(path))
        .header("if-none-match", &etag)
        .send()
        .await?;
    assert_eq!(again.status().as_u16(), 304, "{path}");
    let zipped = app
        .client
        .get(app.url(path))
        .header("accept-encoding", "gzip")
        .send()
        .await?;
    assert_eq!(
        zipped
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip"),
        "{path}"
    );
    let compressed = zipped.bytes().await?;
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..]).read_to_end(&mut unzipped)?;
    assert_eq!(unzipped, plain.to_vec(), "{path}");
    Ok(CachedAnswer {
        etag,
        plain: plain.len(),
        compressed: compressed.len(),
    })
}
