//! Listing: filters, and keyset pagination with no gaps or repeats while writes happen.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use e2e::{Backend, TestApp, field_array, field_str, on_both_backends, synthetic_surveys};
use serde_json::{Value, json};

on_both_backends!(
    filters_select_by_region_year_and_technician,
    pages_have_no_gaps_or_repeats_under_writes
);

fn ids(items: &[Value]) -> HashSet<String> {
    items
        .iter()
        .filter_map(|i| i["survey"]["id"].as_str().map(str::to_owned))
        .collect()
}

async fn filters_select_by_region_year_and_technician(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(300);
    let (status, _) = app
        .post("/api/v1/surveys/batch", &json!({ "surveys": surveys }))
        .await?;
    assert_eq!(status, 200);

    let expect = |keep: &dyn Fn(&Value) -> bool| -> HashSet<String> {
        surveys
            .iter()
            .filter(|s| keep(s))
            .filter_map(|s| s["id"].as_str().map(str::to_owned))
            .collect()
    };
    let in_ali = expect(&|s| {
        s["county_code"]
            .as_str()
            .is_some_and(|c| c.starts_with("5425"))
    });
    assert!(!in_ali.is_empty());
    assert_eq!(ids(&app.all_surveys("&region=542500").await?), in_ali);
    assert_eq!(ids(&app.all_surveys("&region=540000").await?), in_ali);
    let gar = expect(&|s| s["county_code"] == "542523");
    assert_eq!(ids(&app.all_surveys("&region=542523").await?), gar);
    let in_2024 = expect(&|s| {
        s["surveyed_on"]
            .as_str()
            .is_some_and(|d| d.starts_with("2024"))
    });
    assert_eq!(ids(&app.all_surveys("&year=2024").await?), in_2024);
    let technician = field_str(&surveys[0], "technician").to_owned();
    let theirs = expect(&|s| s["technician"] == technician.as_str());
    assert_eq!(
        ids(&app
            .all_surveys(&format!("&technician={technician}"))
            .await?),
        theirs
    );
    let both = expect(&|s| {
        s["county_code"]
            .as_str()
            .is_some_and(|c| c.starts_with("6301"))
            && s["surveyed_on"]
                .as_str()
                .is_some_and(|d| d.starts_with("2025"))
    });
    assert_eq!(
        ids(&app.all_surveys("&region=630100&year=2025").await?),
        both
    );

    // Modified since: nothing after now; everything since the start.
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let encoded = later.replace('+', "%2B");
    assert!(
        app.all_surveys(&format!("&modified_since={encoded}"))
            .await?
            .is_empty()
    );
    assert_eq!(
        app.all_surveys("&modified_since=2020-01-01T00:00:00Z")
            .await?
            .len(),
        300
    );

    // Newest first, paged: the reverse of the default order.
    let oldest: Vec<Value> = app.all_surveys("").await?;
    let mut newest = Vec::new();
    let mut cursor = String::new();
    loop {
        let (_, page) = app
            .get(&format!(
                "/api/v1/surveys?order=newest&limit=70&cursor={cursor}"
            ))
            .await?;
        newest.extend(field_array(&page, "items").clone());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    newest.reverse();
    assert_eq!(newest, oldest);

    for (query, code) in [
        ("region=999999", "unknown_region"),
        ("cursor=garbage", "invalid_cursor"),
        ("limit=0", "invalid_parameter"),
        ("limit=5000", "invalid_parameter"),
        ("year=abc", "invalid_parameter"),
        ("order=sideways", "invalid_parameter"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/surveys?{query}")).await?;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some(code)),
            "{query}"
        );
    }
    Ok(())
}

async fn pages_have_no_gaps_or_repeats_under_writes(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let before = synthetic_surveys(250);
    let (status, _) = app
        .post("/api/v1/surveys/batch", &json!({ "surveys": before }))
        .await?;
    assert_eq!(status, 200);
    let expected: HashSet<String> = before
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();

    // While one client pages through, others add surveys and correct existing ones.
    let writer = {
        let base = app.base.clone();
        let client = app.client.clone();
        let to_correct: Vec<Value> = before.iter().step_by(10).cloned().collect();
        tokio::spawn(async move {
            for (n, batch) in synthetic_surveys(200).chunks(20).enumerate() {
                let _ = client
                    .post(format!("{base}/api/v1/surveys/batch"))
                    .json(&json!({ "surveys": batch }))
                    .send()
                    .await;
                if let Some(survey) = to_correct.get(n) {
                    let mut fixed = survey.clone();
                    fixed["household"] = json!(format!("HH-FIXED-{n}"));
                    let id = field_str(&fixed, "id").to_owned();
                    let _ = client
                        .put(format!("{base}/api/v1/surveys/{id}"))
                        .json(&json!({ "survey": fixed, "base_version": 1 }))
                        .send()
                        .await;
                }
            }
        })
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/api/v1/surveys?limit=17".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get(&path).await?;
        assert_eq!(status, 200);
        for item in field_array(&page, "items") {
            if let Some(id) = item["survey"]["id"].as_str() {
                *seen.entry(id.to_owned()).or_default() += 1;
            }
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        tokio::task::yield_now().await;
    }
    writer.await?;
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "repeated: {repeated:?}");
    let missing: Vec<_> = expected
        .iter()
        .filter(|id| !seen.contains_key(*id))
        .collect();
    assert!(missing.is_empty(), "missing: {missing:?}");
    Ok(())
}
