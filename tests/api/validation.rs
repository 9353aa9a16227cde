//! Invalid surveys: 422 with every problem named by field, code and message in Chinese
//! and English; nothing stored.

use anyhow::Result;
use e2e::{Backend, TestApp, example_survey, field_array, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(
    invalid_surveys_are_refused_with_field_errors,
    malformed_json_is_refused
);

/// One bad input: how to break the example survey, and the (path, code) expected.
struct Case {
    name: &'static str,
    edit: fn(&mut Value),
    path: &'static str,
    code: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "negative amount",
        edit: |v| v["film"]["used_kg"] = json!(-3.0),
        path: "film.used_kg",
        code: "negative",
    },
    Case {
        name: "recovered more than used",
        edit: |v| v["film"]["recovered_kg"] = json!(50.0),
        path: "film.recovered_kg",
        code: "exceeds_whole",
    },
    Case {
        name: "unknown county",
        edit: |v| v["county_code"] = json!("123456"),
        path: "county_code",
        code: "unknown_county",
    },
    Case {
        name: "prefecture instead of county",
        edit: |v| v["county_code"] = json!("542500"),
        path: "county_code",
        code: "not_a_county",
    },
    Case {
        name: "future date",
        edit: |v| v["surveyed_on"] = json!("2099-01-01"),
        path: "surveyed_on",
        code: "future_date",
    },
    Case {
        name: "missing household",
        edit: |v| v["household"] = json!(""),
        path: "household",
        code: "required",
    },
    Case {
        name: "no section",
        edit: |v| {
            for key in ["film", "pesticide_packaging", "straw", "yak_dung"] {
                v.as_object_mut().map(|o| o.remove(key));
            }
        },
        path: "",
        code: "no_section",
    },
    Case {
        name: "wrong type",
        edit: |v| v["film"]["used_kg"] = json!("forty"),
        path: "film.used_kg",
        code: "invalid_value",
    },
    Case {
        name: "unknown field",
        edit: |v| v["film"]["recoverd_kg"] = json!(1),
        path: "film.recoverd_kg",
        code: "unknown_field",
    },
    Case {
        name: "missing field",
        edit: |v| {
            v.as_object_mut()
                .map(|o| o.remove("technician"))
                .map(|_| ())
                .unwrap_or(())
        },
        path: "technician",
        code: "missing_field",
    },
    Case {
        name: "latitude out of range",
        edit: |v| v["location"]["lat"] = json!(91.0),
        path: "location.lat",
        code: "out_of_range",
    },
    Case {
        name: "zero weight",
        edit: |v| v["weight"] = json!(0),
        path: "weight",
        code: "out_of_range",
    },
    Case {
        name: "straw uses exceed straw",
        edit: |v| v["straw"][0]["feed_kg"] = json!(5000),
        path: "straw[0].straw_kg",
        code: "exceeds_whole",
    },
    Case {
        name: "dung uses exceed dung",
        edit: |v| v["yak_dung"]["produced_kg"] = json!(100),
        path: "yak_dung.produced_kg",
        code: "exceeds_whole",
    },
    Case {
        name: "negative count",
        edit: |v| v["pesticide_packaging"]["used_count"] = json!(-1),
        path: "pesticide_packaging.used_count",
        code: "negative",
    },
    Case {
        name: "unknown crop",
        edit: |v| v["straw"][0]["crop"] = json!("rice"),
        path: "straw[0].crop",
        code: "invalid_value",
    },
    Case {
        name: "bad date",
        edit: |v| v["surveyed_on"] = json!("2025-13-40"),
        path: "surveyed_on",
        code: "invalid_value",
    },
];

async fn invalid_surveys_are_refused_with_field_errors(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    for case in CASES {
        let mut survey = example_survey();
        (case.edit)(&mut survey);
        let (status, body) = app.post("/api/v1/surveys", &survey).await?;
        assert_eq!(status, 422, "{}: {body}", case.name);
        assert_eq!(body["code"], "validation_failed", "{}", case.name);
        let errors = field_array(&body, "errors");
        let found = errors
            .iter()
            .find(|e| e["path"] == case.path && e["code"] == case.code);
        let Some(found) = found else {
            panic!(
                "{}: expected {} at {:?}, got {body}",
                case.name, case.code, case.path
            )
        };
        assert_eq!(found["severity"], "error");
        assert!(
            found["message_zh"]
                .as_str()
                .is_some_and(|m| !m.is_empty() && !m.is_ascii()),
            "{}",
            case.name
        );
        assert!(
            found["message_en"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            case.name
        );
        assert!(body["request_id"].is_string());
        if let Some(id) = survey["id"].as_str() {
            assert_eq!(
                app.get(&format!("/api/v1/surveys/{id}")).await?.0,
                404,
                "{} was stored",
                case.name
            );
        }
    }
    assert!(app.all_surveys("").await?.is_empty());
    Ok(())
}

async fn malformed_json_is_refused(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let survey = example_survey().to_string();
    for (name, body) in [
        ("NaN", survey.replace("42.0", "NaN")),
        ("Infinity", survey.replace("42.0", "Infinity")),
        ("overflow", survey.replace("42.0", "1e999")),
        ("truncated", survey[..survey.len() / 2].to_owned()),
        ("trailing garbage", format!("{survey} x")),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/surveys"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let (status, json) = e2e::json_of(response).await?;
        assert_eq!(status, 422, "{name}: {json}");
        assert_eq!(json["errors"][0]["code"], "invalid_json", "{name}: {json}");
        assert!(
            json["errors"][0]["message_zh"]
                .as_str()
                .is_some_and(|m| m.contains("JSON"))
        );
    }
    let bytes = app
        .client
        .post(app.url("/api/v1/surveys"))
        .header("content-type", "application/json")
        .body(vec![b'{', 0xFF, 0xFE, b'}'])
        .send()
        .await?;
    let (status, json) = e2e::json_of(bytes).await?;
    assert_eq!(
        (status, json["errors"][0]["code"].as_str()),
        (422, Some("invalid_json"))
    );
    let wrong_type = app
        .client
        .post(app.url("/api/v1/surveys"))
        .header("content-type", "text/plain")
        .body(survey)
        .send()
        .await?;
    let (status, json) = e2e::json_of(wrong_type).await?;
    assert_eq!(
        (status, json["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    assert!(app.all_surveys("").await?.is_empty());
    Ok(())
}

on_both_backends!(nul_characters_are_refused_naming_the_field);

/// Regression (reliability suite): PostgreSQL cannot store U+0000 in text, so a survey
/// with one in a text field was a 500 there. Both backends now refuse it up front.
async fn nul_characters_are_refused_naming_the_field(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let mut survey = example_survey();
    survey["household"] = serde_json::json!("户\u{0}主");
    let (status, body) = app.post("/api/v1/surveys", &survey).await?;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "invalid_text");
    assert_eq!(body["path"], "household");
    let (status, body) = app
        .post(
            "/api/v1/surveys/batch",
            &serde_json::json!({ "surveys": [example_survey(), survey] }),
        )
        .await?;
    assert_eq!(
        (status, body["path"].as_str()),
        (422, Some("surveys[1].household")),
        "{body}"
    );
    let (status, body) = app.get("/api/v1/surveys?technician=x%00y").await?;
    assert_eq!(
        (status, body["path"].as_str()),
        (400, Some("technician")),
        "{body}"
    );
    // The text `\u0000` (an escaped backslash) is just text.
    let mut survey = example_survey();
    survey["household"] = serde_json::json!("\\u0000");
    assert_eq!(app.post("/api/v1/surveys", &survey).await?.0, 201);
    assert_eq!(app.all_surveys("").await?.len(), 1);
    Ok(())
}
