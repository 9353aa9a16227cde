//! The indicators endpoint against an independent reference computation over the same
//! fixture: the definitions of REFERENCE.md re-implemented here from the survey JSON,
//! not a call into the analytics crate.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use e2e::{
    Backend, TestApp, client_with, field_array, field_object, field_str, json_of, on_both_backends,
    straw_crops, synthetic_surveys,
};
use serde_json::{Value, json};

on_both_backends!(
    indicators_match_an_independent_computation,
    indicators_follow_review_scope_and_writes,
    charts_render_on_the_server,
    targets_are_read_by_all_and_set_by_admins,
    annual_report_compares_with_the_previous_year
);

/// Straw-to-grain ratios of `coefficients.csv` (the unconfirmed crops have none).
fn grain_ratio(crop: &str) -> Option<f64> {
    match crop {
        "spring_wheat" => Some(1.06),
        "rapeseed" => Some(2.87),
        "potato" => Some(0.71),
        _ => None,
    }
}
const COLLECTABLE: f64 = 0.81;
const DUNG_PER_HEAD_DAY: f64 = 2.15;

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// A household's (numerator, denominator) per indicator key.
type Ratios = BTreeMap<&'static str, (f64, f64)>;

/// One household's (numerator, denominator) per indicator key, by the definitions.
fn household(s: &Value) -> Ratios {
    let mut out = BTreeMap::new();
    let film = &s["film"];
    if let Some(used) = num(&film["used_kg"]) {
        let degradable = num(&film["degradable_kg"]).unwrap_or(0.0);
        out.insert(
            "film_recovery_rate",
            (num(&film["recovered_kg"]).unwrap_or(0.0), used),
        );
        out.insert("degradable_film_share", (degradable, used));
        let polyethylene = (used - degradable).max(0.0);
        if let (Some(mm), true) = (num(&film["thickness_mm"]), polyethylene > 0.0) {
            out.insert(
                "film_thickness_compliance_rate",
                (if mm >= 0.010 { polyethylene } else { 0.0 }, polyethylene),
            );
        }
    }
    let p = &s["pesticide_packaging"];
    if let (Some(used), Some(returned)) = (num(&p["used_count"]), num(&p["returned_count"])) {
        out.insert("pesticide_packaging_recovery_rate", (returned, used));
        if let (Some(used_kg), Some(returned_kg)) = (num(&p["used_kg"]), num(&p["returned_kg"])) {
            out.insert(
                "pesticide_packaging_recovery_rate_kg",
                (returned_kg, used_kg),
            );
        }
    }
    let mut straw: Option<(f64, f64)> = None;
    for crop in straw_crops(s) {
        // Weighed, else counted (bundles or cart-loads × the weight of one), else
        // estimated from the yield.
        let counted = num(&crop["straw_count"]["count"])
            .zip(num(&crop["straw_count"]["kg_each"]))
            .map(|(count, kg_each)| count * kg_each);
        let collectable = match num(&crop["straw_kg"]).or(counted) {
            Some(kg) => Some(kg),
            None => num(&crop["yield_kg"])
                .zip(grain_ratio(crop["crop"].as_str().unwrap_or("")))
                .map(|(y, r)| y * r * COLLECTABLE),
        };
        if let Some(x) = collectable {
            let used: f64 = [
                "fertilizer_kg",
                "feed_kg",
                "substrate_kg",
                "fuel_kg",
                "raw_material_kg",
            ]
            .iter()
            .filter_map(|k| num(&crop[*k]))
            .sum();
            let total = straw.get_or_insert((0.0, 0.0));
            total.0 += used;
            total.1 += x;
        }
    }
    if let Some(straw) = straw {
        out.insert("straw_utilization_rate", straw);
    }
    let dung = &s["yak_dung"];
    if dung.is_object() {
        let produced = num(&dung["produced_kg"])
            .or_else(|| num(&dung["yak_head"]).map(|h| h * 365.0 * DUNG_PER_HEAD_DAY));
        if let Some(x) = produced {
            let used: f64 = ["fuel_kg", "fertilizer_kg", "other_kg"]
                .iter()
                .filter_map(|k| num(&dung[*k]))
                .sum();
            out.insert("yak_dung_utilization_rate", (used, x));
        }
    }
    out
}

/// (n, Σwy, Σwx, R, unweighted R, SE) of a group, SE by the two-pass Taylor formula.
fn reference(
    members: &[(f64, (f64, f64))],
) -> (usize, f64, f64, Option<f64>, Option<f64>, Option<f64>) {
    let n = members.len();
    let wy: f64 = members.iter().map(|(w, (y, _))| w * y).sum();
    let wx: f64 = members.iter().map(|(w, (_, x))| w * x).sum();
    let y: f64 = members.iter().map(|(_, (y, _))| y).sum();
    let x: f64 = members.iter().map(|(_, (_, x))| x).sum();
    let rate = (wx != 0.0).then(|| wy / wx);
    let unweighted = (x != 0.0).then(|| y / x);
    let se = rate.filter(|_| n >= 2).map(|r| {
        let z: Vec<f64> = members
            .iter()
            .map(|(w, (y, x))| w * (y - r * x) / wx)
            .collect();
        let mean = z.iter().sum::<f64>() / n as f64;
        let ss: f64 = z.iter().map(|v| (v - mean) * (v - mean)).sum();
        (n as f64 / (n as f64 - 1.0) * ss).sqrt()
    });
    (n, wy, wx, rate, unweighted, se)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

async fn indicators_match_an_independent_computation(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(600);
    for chunk in surveys.chunks(300) {
        assert_eq!(
            app.post("/api/v1/surveys/batch", &json!({ "surveys": chunk }))
                .await?
                .0,
            200
        );
    }
    // Reject a few: they must not count.
    let rejected: Vec<String> = surveys
        .iter()
        .step_by(17)
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    for id in &rejected {
        let (status, _) = app
            .post(
                &format!("/api/v1/surveys/{id}/review"),
                &json!({"state": "rejected", "comment": "重复录入"}),
            )
            .await?;
        assert_eq!(status, 200);
    }

    let (status, body) = app.get("/api/v1/indicators?level=county").await?;
    assert_eq!(status, 200, "{body}");
    let mut groups: BTreeMap<(String, i64), Vec<&Value>> = BTreeMap::new();
    for s in surveys
        .iter()
        .filter(|s| !rejected.iter().any(|r| s["id"] == r.as_str()))
    {
        let year: i64 = s["surveyed_on"]
            .as_str()
            .and_then(|d| d[..4].parse().ok())
            .unwrap_or(0);
        groups
            .entry((s["county_code"].as_str().unwrap_or("").to_owned(), year))
            .or_default()
            .push(s);
    }
    let api_groups = field_array(&body, "groups");
    assert_eq!(api_groups.len(), groups.len());
    let mut checked = 0;
    for g in api_groups {
        let key = (
            g["region_code"].as_str().unwrap_or("").to_owned(),
            g["year"].as_i64().unwrap_or(0),
        );
        let members = &groups[&key];
        assert_eq!(
            g["households"].as_u64(),
            Some(members.len() as u64),
            "{key:?}"
        );
        let facts: Vec<(f64, Ratios)> = members
            .iter()
            .map(|s| (num(&s["weight"]).unwrap_or(1.0), household(s)))
            .collect();
        for (indicator, estimate) in field_object(g, "indicators") {
            let obs: Vec<(f64, (f64, f64))> = facts
                .iter()
                .filter_map(|(w, f)| f.get(indicator.as_str()).map(|r| (*w, *r)))
                .collect();
            let (n, wy, wx, rate, unweighted, se) = reference(&obs);
            let what = format!("{key:?} {indicator}");
            assert_eq!(estimate["n"].as_u64(), Some(n as u64), "{what}");
            assert!(
                close(
                    estimate["weighted_numerator"].as_f64().unwrap_or(f64::NAN),
                    wy
                ),
                "{what} Σwy"
            );
            assert!(
                close(
                    estimate["weighted_denominator"]
                        .as_f64()
                        .unwrap_or(f64::NAN),
                    wx
                ),
                "{what} Σwx"
            );
            match (estimate["rate"].as_f64(), rate) {
                (Some(a), Some(b)) => assert!(close(a, b), "{what}: rate {a} vs {b}"),
                (None, None) => {}
                other => panic!("{what}: rate {other:?}"),
            }
            match (estimate["unweighted_rate"].as_f64(), unweighted) {
                (Some(a), Some(b)) => assert!(close(a, b), "{what}: unweighted {a} vs {b}"),
                (None, None) => {}
                other => panic!("{what}: unweighted {other:?}"),
            }
            match (estimate["se"].as_f64(), se) {
                // The server computes the variance from sums of squares (all a database can
                // give), which loses a few digits when every household has nearly the same
                // rate: agreement to 1e-6 relative, or 1e-9 absolute on the rate scale.
                (Some(a), Some(b)) => {
                    assert!((a - b).abs() <= 1e-9 + 1e-6 * b, "{what}: se {a} vs {b}")
                }
                (None, None) => {}
                other => panic!("{what}: se {other:?}"),
            }
            if let (Some(r), Some(lo), Some(hi), Some(se)) = (
                estimate["rate"].as_f64(),
                estimate["ci_low"].as_f64(),
                estimate["ci_high"].as_f64(),
                estimate["se"].as_f64(),
            ) {
                // Symmetric, and wider than the normal interval (Student t, n − 1 df).
                assert!(close(hi - r, r - lo), "{what}: interval not symmetric");
                assert!(
                    se == 0.0 || (hi - r) / se > 1.959,
                    "{what}: interval too narrow"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} estimates checked");
    Ok(())
}

async fn indicators_follow_review_scope_and_writes(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(300);
    assert_eq!(
        app.post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
            .await?
            .0,
        200
    );
    let households = |body: &Value| -> u64 {
        body["groups"]
            .as_array()
            .map(|g| g.iter().filter_map(|x| x["households"].as_u64()).sum())
            .unwrap_or(0)
    };

    // Pooled over all regions and years: one group with every survey.
    let (_, all) = app
        .get("/api/v1/indicators?level=all&by_year=false")
        .await?;
    assert_eq!(all["groups"].as_array().map(Vec::len), Some(1));
    assert_eq!(households(&all), 300);
    // Targets and phases: 阿里 counties inherit the 2030 prefecture targets.
    let (_, ali) = app.get("/api/v1/indicators?level=prefecture&region=542500&year=2025&indicator=yak_dung_utilization_rate").await?;
    let group = &ali["groups"][0];
    assert_eq!(group["region_code"], "542500");
    assert_eq!(group["indicators"].as_object().map(|m| m.len()), Some(1));
    let progress = &group["progress"]["yak_dung_utilization_rate"];
    assert_eq!(progress["target"]["target"]["target"], 0.93);
    assert_eq!(progress["phase"]["key"], "near");
    assert_eq!(progress["phase"]["name_zh"], "近期");
    let gap = progress["gap_pp"].as_f64().unwrap_or(f64::NAN);
    let rate = group["indicators"]["yak_dung_utilization_rate"]["rate"]
        .as_f64()
        .unwrap_or(f64::NAN);
    assert!(close(gap, (rate - 0.93) * 100.0));

    // Approved only: nothing until something is approved.
    let (_, approved) = app
        .get("/api/v1/indicators?level=all&review=approved")
        .await?;
    assert_eq!(households(&approved), 0);
    let (_, bulk) = app
        .post(
            "/api/v1/surveys/bulk-review",
            &json!({"filter": {"region": "542500"}, "state": "approved"}),
        )
        .await?;
    let (_, approved) = app
        .get("/api/v1/indicators?level=all&review=approved")
        .await?;
    assert_eq!(households(&approved), bulk["updated"].as_u64().unwrap_or(0));

    // Scope: a key for 青海 sees no 阿里 group.
    let (_, key) = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "qh", "scope_code": "630000"}),
        )
        .await?;
    let consumer = client_with(&[("x-api-key", field_str(&key, "secret"))])?;
    let (status, scoped) = json_of(
        consumer
            .get(app.url("/api/v1/indicators?level=prefecture"))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 200);
    let codes: Vec<&str> = field_array(&scoped, "groups")
        .iter()
        .map(|group| field_str(group, "region_code"))
        .collect();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c.starts_with("63")),
        "{codes:?}"
    );

    // Caching: 304 while nothing changed; a new survey counts in the very next request.
    let response = app
        .client
        .get(app.url("/api/v1/indicators?level=all"))
        .send()
        .await?;
    let etag = response.headers()["etag"].to_str()?.to_owned();
    let (_, before) = json_of(response).await?;
    let again = app
        .client
        .get(app.url("/api/v1/indicators?level=all"))
        .header("If-None-Match", &etag)
        .send()
        .await?;
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(
        app.post("/api/v1/surveys", &e2e::example_survey()).await?.0,
        201
    );
    let after = app
        .client
        .get(app.url("/api/v1/indicators?level=all"))
        .header("If-None-Match", &etag)
        .send()
        .await?;
    assert_eq!(after.status().as_u16(), 200);
    assert_ne!(after.headers()["etag"].to_str()?, etag);
    let (_, after) = json_of(after).await?;
    assert_eq!(households(&after), households(&before) + 1);
    assert!(after["as_of"].as_str() >= before["as_of"].as_str());

    for (query, code) in [
        ("level=district", "invalid_parameter"),
        ("indicator=happiness", "unknown_indicator"),
        ("from=2026&to=2024", "invalid_range"),
        ("region=1", "unknown_region"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/indicators?{query}")).await?;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some(code)),
            "{query}"
        );
    }
    Ok(())
}

async fn charts_render_on_the_server(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(400);
    assert_eq!(
        app.post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
            .await?
            .0,
        200
    );
    for (file, needle_zh, needle_en) in [
        (
            "indicator_by_region.svg?indicator=yak_dung_utilization_rate&year=2025&region=542500",
            "牦牛粪便综合利用率",
            "Yak dung",
        ),
        (
            "trend.svg?region=542500&indicator=film_recovery_rate",
            "近期",
            "near term",
        ),
        ("straw_uses.svg?level=prefecture", "饲料化", "feed"),
        // The schematic county map: a tile per county (short names), never points.
        (
            "map.svg?indicator=film_recovery_rate",
            "示意图",
            "not to scale",
        ),
        (
            "map.svg?indicator=film_recovery_rate&region=542500",
            ">噶尔<",
            ">Gar<",
        ),
    ] {
        for (lang, needle) in [("zh", needle_zh), ("en", needle_en)] {
            let response = app
                .client
                .get(app.url(&format!("/api/v1/charts/{file}&lang={lang}")))
                .send()
                .await?;
            assert_eq!(response.status().as_u16(), 200, "{file} {lang}");
            assert_eq!(response.headers()["content-type"], "image/svg+xml");
            let svg = response.text().await?;
            assert!(
                svg.starts_with("<svg") || svg.starts_with("<?xml"),
                "{file}"
            );
            assert!(svg.contains(needle), "{file} {lang}: {needle} missing");
            if file.starts_with("map") {
                assert!(!svg.contains("<circle"), "{file}: no household points");
            }
        }
    }
    let png = app
        .client
        .get(app.url("/api/v1/charts/trend.png?region=630100&indicator=straw_utilization_rate"))
        .send()
        .await?;
    assert_eq!(png.status().as_u16(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await?.starts_with(b"\x89PNG\r\n\x1a\n"));
    for (file, status) in [
        ("trend.svg", 400),
        ("pie.svg", 404),
        ("trend.gif?region=542500", 404),
        ("indicator_by_region.svg?indicator=x", 400),
    ] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/charts/{file}")))
            .send()
            .await?;
        assert_eq!(response.status().as_u16(), status, "{file}");
    }
    Ok(())
}

async fn targets_are_read_by_all_and_set_by_admins(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    assert_eq!(
        app.post(
            "/api/v1/surveys/batch",
            &json!({ "surveys": synthetic_surveys(300) })
        )
        .await?
        .0,
        200
    );
    let viewer = app
        .client_as("viewer-qh", "viewer", Some("630000"), &[])
        .await?;
    let (status, list) = json_of(viewer.get(app.url("/api/v1/targets")).send().await?).await?;
    assert_eq!(status, 200);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(6),
        "the shipped targets"
    );
    assert!(list.as_array().is_some_and(|l| {
        l.iter()
            .any(|t| t["region_code"] == "542500" && t["target"] == 0.93)
    }));

    let url = "/api/v1/targets/630100/film_recovery_rate/2025";
    let body = json!({"target": 0.8, "source": "西宁市无废城市方案 (test)"});
    assert_eq!(
        viewer
            .put(app.url(url))
            .json(&body)
            .send()
            .await?
            .status()
            .as_u16(),
        403
    );
    // Before: 西宁 inherits the national 85 %.
    let query =
        "/api/v1/indicators?level=prefecture&region=630100&year=2025&indicator=film_recovery_rate";
    let (_, before) = app.get(query).await?;
    let progress = &before["groups"][0]["progress"]["film_recovery_rate"]["target"];
    assert_eq!(
        (
            progress["target"]["target"].as_f64(),
            progress["inherited"].as_bool()
        ),
        (Some(0.85), Some(true))
    );

    let (status, created) = app.put(url, &body, &[]).await?;
    assert_eq!(
        (status, created["updated_by"].as_str()),
        (201, Some("admin"))
    );
    let (_, after) = app.get(query).await?;
    let progress = &after["groups"][0]["progress"]["film_recovery_rate"]["target"];
    assert_eq!(
        (
            progress["target"]["target"].as_f64(),
            progress["inherited"].as_bool()
        ),
        (Some(0.8), Some(false))
    );
    assert_eq!(
        app.put(url, &json!({"target": 0.82, "source": "revised"}), &[])
            .await?
            .0,
        200
    );

    for (path, body, code) in [
        (url, json!({"target": 1.5, "source": "x"}), "out_of_range"),
        (url, json!({"target": 0.5, "source": " "}), "required"),
        (
            "/api/v1/targets/630100/happiness/2025",
            json!({"target": 0.5, "source": "x"}),
            "unknown_indicator",
        ),
        (
            "/api/v1/targets/999999/film_recovery_rate/2025",
            json!({"target": 0.5, "source": "x"}),
            "unknown_region",
        ),
    ] {
        let (status, err) = app.put(path, &body, &[]).await?;
        assert_eq!(
            (status, err["code"].as_str()),
            (422, Some(code)),
            "{path} {body}"
        );
    }
    let (_, audit) = app.get("/api/v1/audit?action=target.set").await?;
    let latest = &audit["items"][0];
    assert_eq!(
        (
            latest["before"]["target"].as_f64(),
            latest["after"]["target"].as_f64()
        ),
        (Some(0.8), Some(0.82))
    );
    assert_eq!(
        app.client
            .delete(app.url(url))
            .send()
            .await?
            .status()
            .as_u16(),
        204
    );
    assert_eq!(
        app.client
            .delete(app.url(url))
            .send()
            .await?
            .status()
            .as_u16(),
        404
    );
    Ok(())
}

async fn annual_report_compares_with_the_previous_year(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    assert_eq!(
        app.post(
            "/api/v1/surveys/batch",
            &json!({ "surveys": synthetic_surveys(500) })
        )
        .await?
        .0,
        200
    );
    let (status, report) = app.get("/api/v1/reports/annual?year=2025").await?;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["level"], "prefecture");
    let (_, by_year) = app
        .get("/api/v1/indicators?level=prefecture&from=2024&to=2025")
        .await?;
    let rate = |code: &str, year: i64, key: &str| {
        by_year["groups"]
            .as_array()
            .and_then(|g| {
                g.iter()
                    .find(|x| x["region_code"] == code && x["year"] == year)
                    .cloned()
            })
            .and_then(|g| g["indicators"][key]["rate"].as_f64())
    };
    let regions = field_array(&report, "regions");
    assert_eq!(regions.len(), 4, "the four prefectures");
    for region in regions {
        let code = field_str(region, "region_code");
        let dung = &region["indicators"]["yak_dung_utilization_rate"];
        let (now, before) = (
            rate(code, 2025, "yak_dung_utilization_rate"),
            rate(code, 2024, "yak_dung_utilization_rate"),
        );
        assert_eq!(dung["rate"].as_f64(), now, "{code}");
        assert_eq!(dung["previous_rate"].as_f64(), before, "{code}");
        if let (Some(n), Some(b)) = (now, before) {
            assert!(close(
                dung["change_pp"].as_f64().unwrap_or(f64::NAN),
                (n - b) * 100.0
            ));
        }
        assert!(region["quality"]["surveys"].as_u64().is_some());
    }
    let ali = regions
        .iter()
        .find(|r| r["region_code"] == "542500")
        .with_context(|| format!("no 阿里 (542500) in {report}"))?;
    assert_eq!(ali["indicators"]["film_recovery_rate"]["target"], 0.9);
    assert_eq!(ali["indicators"]["film_recovery_rate"]["target_year"], 2030);
    assert_eq!(
        app.get("/api/v1/reports/annual").await?.0,
        400,
        "year is required"
    );
    for year in [i32::MIN, i32::MAX] {
        let (status, empty) = app
            .get(&format!("/api/v1/reports/annual?year={year}"))
            .await?;
        assert_eq!(status, 200, "a year without surveys: {empty}");
        assert_eq!(field_array(&empty, "regions").len(), 0, "{empty}");
    }
    Ok(())
}

/// Regression: on PostgreSQL two replicas' transactions can commit out of audit-id
/// order. The cache was keyed by the audit log's last id alone, so a response computed
/// between the two commits (seeing the later id, not the earlier transaction's rows)
/// stayed cached after the earlier one committed: a reviewer's rejection made on
/// another replica did not count until some unrelated write. Here the "other replica"
/// is a transaction held open on the database: it takes an audit id and rejects a
/// survey, a later write commits through the API, the indicators are read (and cached),
/// then the held transaction commits: the next read must count the rejection.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_commit_landing_out_of_audit_order_is_not_served_stale() -> Result<()> {
    use sqlx::{Connection, Row};
    let app = TestApp::spawn(Backend::Postgres).await?;
    let surveys = synthetic_surveys(4);
    let (status, _) = app
        .post("/api/v1/surveys/batch", &json!({ "surveys": surveys[..3] }))
        .await?;
    assert_eq!(status, 200);
    let path = "/api/v1/indicators?level=all&by_year=false";
    let households = |body: &Value| body["groups"][0]["households"].as_u64();

    let mut other_replica = sqlx::PgConnection::connect(app.database_url()).await?;
    let mut held = other_replica.begin().await?;
    let held_id: i64 = sqlx::query(
        "INSERT INTO audit_log (at, actor, actor_kind, action, entity_type, entity_id) \
         VALUES (now(), 'reviewer', 'user', 'survey.review', 'survey', $1) RETURNING id",
    )
    .bind(surveys[0]["id"].as_str())
    .fetch_one(&mut *held)
    .await?
    .try_get("id")?;
    // What a rejection on another replica writes: the facts' state and the maintained
    // sums. Here every survey of the first one's county, year and state is rejected at
    // once, so that the sums' rows move whole, as the household rows do.
    let group =
        sqlx::query("SELECT county_code, survey_year FROM survey_facts WHERE survey_id = $1")
            .bind(surveys[0]["id"].as_str())
            .fetch_one(&mut *held)
            .await?;
    let (county, year): (String, i32) =
        (group.try_get("county_code")?, group.try_get("survey_year")?);
    let rejected = sqlx::query(
        "UPDATE survey_facts SET review_state = 'rejected' \
         WHERE county_code = $1 AND survey_year = $2 AND review_state = 'received'",
    )
    .bind(&county)
    .bind(year)
    .execute(&mut *held)
    .await?
    .rows_affected();
    assert!(rejected >= 1);
    let moved = sqlx::query(
        "UPDATE survey_sums SET review_state = 'rejected' \
         WHERE county_code = $1 AND survey_year = $2 AND review_state = 'received'",
    )
    .bind(&county)
    .bind(year)
    .execute(&mut *held)
    .await?;
    assert!(moved.rows_affected() >= 1);

    // A later write commits first, with a higher audit id.
    let (status, _) = app.post("/api/v1/surveys", &surveys[3]).await?;
    assert_eq!(status, 201);
    let (_, before) = app.get(path).await?;
    assert_eq!(
        households(&before),
        Some(4),
        "the held rejection is not visible yet"
    );

    held.commit().await?;
    let last_id: i64 = sqlx::query("SELECT MAX(id) AS id FROM audit_log")
        .fetch_one(&mut other_replica)
        .await?
        .try_get("id")?;
    assert!(
        held_id < last_id,
        "the held transaction's id is the earlier one"
    );
    other_replica.close().await?;
    let (_, after) = app.get(path).await?;
    assert_eq!(
        households(&after),
        Some(4 - rejected),
        "the rejection committed on the other replica counts in the next request"
    );
    Ok(())
}
