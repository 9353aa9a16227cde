//! Straw a technician counts in the field (bundles or cart-loads × the weight of one):
//! accepted, counted in the straw rate as counted (neither weighed nor estimated), and a
//! bad weight of one refused naming the field in Chinese and English. What the straw rate
//! leaves out (crops without a 草谷比, neither weighed nor counted) is said per group and
//! crop, in the indicators and the indicator export, and follows a bureau's new ratio.

use anyhow::{Result, bail};
use e2e::{
    Backend, TestApp, example_survey, field, field_array, field_f64, field_i64, field_str,
    on_both_backends,
};
use serde_json::{Value, json};

on_both_backends!(
    a_bundle_counted_barley_crop_is_accepted_and_counted_in_straw,
    a_bad_weight_of_one_bundle_is_refused_naming_the_field
);

/// A survey in 噶尔县 on 2025-09-01 with only the straw section, `crop`.
fn straw_survey(crop: Value) -> Value {
    let mut survey = example_survey();
    survey["surveyed_on"] = json!("2025-09-01");
    for section in ["film", "pesticide_packaging", "yak_dung"] {
        survey.as_object_mut().map(|s| s.remove(section));
    }
    survey["straw"] = json!([crop]);
    survey
}

/// 青稞 counted: 24 bundles of 12.5 kg (300 kg), 250 kg of it used.
fn counted_barley() -> Value {
    json!({
        "crop": "highland_barley", "area_mu": 3.0, "yield_kg": 900.0,
        "straw_count": {"unit": "bundle", "count": 24, "kg_each": 12.5},
        "fertilizer_kg": 100.0, "feed_kg": 150.0
    })
}

/// A crop with its yield only (500 kg used): estimated where a ratio is confirmed.
fn yield_only(crop: &str) -> Value {
    json!({"crop": crop, "yield_kg": 1000.0, "feed_kg": 500.0})
}

/// The 噶尔县 2025 group of `/api/v1/indicators`.
async fn garyarsa_2025(app: &TestApp) -> Result<Value> {
    let (status, body) = app
        .get("/api/v1/indicators?level=county&region=542523&year=2025")
        .await?;
    assert_eq!(status, 200, "{body}");
    let groups = field_array(&body, "groups");
    assert_eq!(groups.len(), 1, "{body}");
    Ok(groups[0].clone())
}

async fn a_bundle_counted_barley_crop_is_accepted_and_counted_in_straw(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let counted = straw_survey(counted_barley());
    let (status, body) = app.post("/api/v1/surveys", &counted).await?;
    assert_eq!(status, 201, "{body}");
    let id = field_str(&counted, "id");
    let (_, stored) = app.get(&format!("/api/v1/surveys/{id}")).await?;
    assert_eq!(
        field(&stored, "survey.straw.0.straw_count"),
        &json!({"unit": "bundle", "count": 24.0, "kg_each": 12.5})
    );
    assert_eq!(field_array(&stored, "warnings").len(), 0, "{stored}");

    // Counted straw is the whole: 250 of 300 kg, counted, nothing weighed or estimated.
    let group = garyarsa_2025(&app).await?;
    let straw = field(&group, "indicators.straw_utilization_rate");
    assert_eq!(field_i64(straw, "n"), 1);
    assert!(
        (field_f64(straw, "rate") - 250.0 / 300.0).abs() < 1e-12,
        "{straw}"
    );
    let provenance = field(&group, "provenance");
    assert_eq!(field_f64(provenance, "straw_counted_kg"), 300.0);
    assert_eq!(field_f64(provenance, "straw_measured_kg"), 0.0);
    assert_eq!(field_f64(provenance, "straw_estimated_kg"), 0.0);
    assert_eq!(field_i64(provenance, "straw_crops_excluded"), 0);
    assert_eq!(field(provenance, "straw_crops_left_out"), &json!({}));

    // Two crops with a yield only and no 草谷比 (青稞, 玉米): accepted, left out, and said.
    for crop in ["highland_barley", "corn"] {
        let (status, body) = app
            .post("/api/v1/surveys", &straw_survey(yield_only(crop)))
            .await?;
        assert_eq!(status, 201, "{body}");
    }
    let group = garyarsa_2025(&app).await?;
    let straw = field(&group, "indicators.straw_utilization_rate");
    assert_eq!(
        field_i64(straw, "n"),
        1,
        "the rate is still the counted crop's"
    );
    let provenance = field(&group, "provenance");
    assert_eq!(field_i64(provenance, "straw_crops_excluded"), 2);
    assert_eq!(
        field(provenance, "straw_crops_left_out"),
        &json!({"highland_barley": 1, "corn": 1})
    );

    // The facts the dashboard computes from carry the same, per household.
    let (status, facts) = app.get("/api/v1/facts").await?;
    assert_eq!(status, 200);
    let mut counted_kg: Vec<f64> = field_array(&facts, "facts.straw_counted_kg")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    counted_kg.sort_by(f64::total_cmp);
    assert_eq!(counted_kg, [0.0, 0.0, 300.0]);
    let mut masks: Vec<i64> = field_array(&facts, "facts.straw_excluded_crops")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    masks.sort_unstable();
    // Bit 0: 青稞, bit 4: 玉米 (the crops' order in the wire format).
    assert_eq!(masks, [0, 1, 16]);

    // The indicator export says it on the straw row, by crop name.
    let response = app
        .client
        .get(app.url("/api/v1/exports/indicators.csv?level=county&region=542523&year=2025&lang=en"))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let text = response.text().await?;
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers()?.clone();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (Some(indicator), Some(left_out), Some(crops)) =
        (at("indicator"), at("left_out"), at("straw_crops_left_out"))
    else {
        bail!("missing columns: {header:?}");
    };
    let mut straw_rows = 0;
    for record in reader.records() {
        let record = record?;
        if &record[indicator] == "straw_utilization_rate" {
            straw_rows += 1;
            assert_eq!(&record[left_out], "2");
            assert_eq!(&record[crops], "highland barley 1, corn 1");
        } else if &record[indicator] == "film_recovery_rate" {
            assert_eq!(&record[left_out], "");
        }
    }
    assert_eq!(straw_rows, 1);

    // A bureau sets 青稞's ratio: the yield-only 青稞 counts, estimated; 玉米 stays out.
    let (status, edit) = app
        .put(
            "/api/v1/coefficients/542523/2025/straw_grain_ratio/highland_barley",
            &json!({"value": 1.2, "source": "噶尔县农业农村局 2025 实测"}),
            &[],
        )
        .await?;
    assert_eq!(status, 201, "{edit}");
    let group = garyarsa_2025(&app).await?;
    let provenance = field(&group, "provenance");
    assert_eq!(
        field(provenance, "straw_crops_left_out"),
        &json!({"corn": 1})
    );
    let estimated = 1000.0 * 1.2 * 0.81;
    assert!((field_f64(provenance, "straw_estimated_kg") - estimated).abs() < 1e-9);
    assert_eq!(field_f64(provenance, "straw_counted_kg"), 300.0);
    let straw = field(&group, "indicators.straw_utilization_rate");
    assert_eq!(field_i64(straw, "n"), 2);
    let expected = (250.0 + 500.0) / (300.0 + estimated);
    assert!(
        (field_f64(straw, "rate") - expected).abs() < 1e-12,
        "{straw}"
    );
    Ok(())
}

async fn a_bad_weight_of_one_bundle_is_refused_naming_the_field(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let with_count = |count: Value| {
        let mut crop = counted_barley();
        crop["straw_count"] = count;
        straw_survey(crop)
    };
    for (name, survey, path, code, zh, en) in [
        (
            "negative weight of one",
            with_count(json!({"unit": "bundle", "count": 24, "kg_each": -12.5})),
            "straw[0].straw_count.kg_each",
            "negative",
            "每捆或每车重量(公斤)不能为负数",
            "Weight of one bundle or cart-load (kg) cannot be negative",
        ),
        (
            "weight of one of 0",
            with_count(json!({"unit": "bundle", "count": 24, "kg_each": 0})),
            "straw[0].straw_count.kg_each",
            "out_of_range",
            "每捆或每车重量(公斤)必须大于 0",
            "Weight of one bundle or cart-load (kg) must be greater than 0",
        ),
        (
            "weight of one not a number",
            with_count(json!({"unit": "bundle", "count": 24, "kg_each": "heavy"})),
            "straw[0].straw_count.kg_each",
            "invalid_value",
            "每捆或每车重量(公斤):请填写数字",
            "Weight of one bundle or cart-load (kg): enter a number",
        ),
        (
            "weighed and counted",
            {
                let mut survey = straw_survey(counted_barley());
                survey["straw"][0]["straw_kg"] = json!(300.0);
                survey
            },
            "straw[0].straw_kg",
            "conflicting_measures",
            "秸秆计数",
            "Straw counted",
        ),
    ] {
        let (status, body) = app.post("/api/v1/surveys", &survey).await?;
        assert_eq!(status, 422, "{name}: {body}");
        let errors = field_array(&body, "errors");
        let Some(found) = errors.iter().find(|e| e["path"] == path) else {
            bail!("{name}: nothing at {path} in {body}")
        };
        assert_eq!(field_str(found, "code"), code, "{name}");
        assert!(
            field_str(found, "message_zh").contains(zh),
            "{name}: {found}"
        );
        assert!(
            field_str(found, "message_en").contains(en),
            "{name}: {found}"
        );
        for message in [
            field_str(found, "message_zh"),
            field_str(found, "message_en"),
        ] {
            assert!(!message.contains("kg_each"), "{name}: {message}");
        }
    }
    assert!(app.all_surveys("").await?.is_empty(), "nothing was stored");

    // A weight of one far outside a bundle's (80 kg) is kept, with a warning asking
    // whether cart-loads were counted.
    let heavy = with_count(json!({"unit": "bundle", "count": 4, "kg_each": 80}));
    let (status, body) = app.post("/api/v1/surveys", &heavy).await?;
    assert_eq!(status, 201, "{body}");
    let warnings = field_array(&body, "warnings");
    assert_eq!(warnings.len(), 1, "{body}");
    assert_eq!(
        field_str(&warnings[0], "path"),
        "straw[0].straw_count.kg_each"
    );
    assert_eq!(field_str(&warnings[0], "code"), "implausible_unit_weight");
    assert!(field_str(&warnings[0], "message_en").contains("were cart-loads counted?"));
    Ok(())
}
