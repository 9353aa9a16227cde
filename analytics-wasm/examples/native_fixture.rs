//! Writes the native side of the native-versus-WASM comparison (`just test-wasm`).
//!
//! Usage: `cargo run -p agriwaste-analytics --example native_fixture -- OUT_DIR`
//!
//! Writes `surveys.json` (a deterministic synthetic fixture, with one undecodable item)
//! and `cases.json`: for every WASM export, the arguments and the output of the same
//! function of `agriwaste_analytics::api` run natively. The Node test
//! (`tests/node/native-vs-wasm.test.js`) calls the WASM module with the same arguments
//! and requires byte-identical output. An argument `"@surveys"` stands for the fixture.

use agriwaste_analytics::api;
use agriwaste_analytics::synthetic::SyntheticSpec;
use serde_json::{Value, json};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: native_fixture OUT_DIR")?,
    );
    std::fs::create_dir_all(&out)?;
    let mut surveys: Vec<Value> = SyntheticSpec::default()
        .surveys(2_000)
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    // An item that does not decode, so that the rejection path is compared too.
    surveys.push(json!({"id": "not-a-uuid", "county_code": "542523"}));
    let surveys_json = serde_json::to_string(&surveys)?;
    std::fs::write(out.join("surveys.json"), &surveys_json)?;

    let mut cases = Vec::new();
    let mut case = |name: &str,
                    function: &str,
                    args: Vec<&str>,
                    output: Result<String, agriwaste_analytics::Issue>| {
        let output = match output {
            Ok(text) => json!({"ok": text}),
            Err(issue) => json!({"err": serde_json::to_string(&issue).unwrap_or_default()}),
        };
        let args: Vec<&str> = args
            .into_iter()
            .map(|a| if a == surveys_json { "@surveys" } else { a })
            .collect();
        cases.push(json!({"name": name, "function": function, "args": args, "expected": output}));
    };

    for options in [
        r#"{"level":"county","by_year":true}"#,
        r#"{"level":"prefecture","by_year":true,"today":"2026-01-01"}"#,
        r#"{"level":"province"}"#,
        r#"{}"#,
        r#"{"level":"county","by_year":true,"coefficients":{"straw_grain_ratio":{"highland_barley":1.2,"potato":0.71},"straw_collectable_coefficient":0.8,"yak_dung_kg_per_head_day":2.0,"film_min_thickness_mm":0.01}}"#,
        r#"{"levle":"county"}"#,
    ] {
        case(
            &format!("computeIndicators {options}"),
            "computeIndicators",
            vec![&surveys_json, options],
            api::compute_indicators(&surveys_json, options),
        );
    }
    let facts_options = r#"{"today":"2026-01-01"}"#;
    let facts = api::household_facts(&surveys_json, facts_options);
    case(
        "householdFacts",
        "householdFacts",
        vec![&surveys_json, facts_options],
        facts.clone(),
    );
    let facts = facts.map_err(|e| e.message_en)?;
    let options = r#"{"level":"prefecture","by_year":true}"#;
    case(
        "computeFromFacts",
        "computeFromFacts",
        vec![&facts, options],
        api::compute_from_facts(&facts, options),
    );
    let chart_requests = [
        (
            "indicator_by_region",
            r#"{"kind":"indicator_by_region","indicator":"yak_dung_utilization_rate","year":2025,"within":"542500"}"#,
        ),
        (
            "indicator_by_region",
            r#"{"kind":"indicator_by_region","indicator":"film_recovery_rate","level":"prefecture"}"#,
        ),
        (
            "trend",
            r#"{"kind":"trend","indicator":"film_recovery_rate","region_code":"630100"}"#,
        ),
        (
            "trend",
            r#"{"kind":"trend","indicator":"yak_dung_utilization_rate","region_code":"542500","current_year":2025}"#,
        ),
        (
            "indicator_by_region",
            r#"{"kind":"indicator_by_region","indicator":"film_recovery_rate","year":2025}"#,
        ),
        ("straw_uses", r#"{"kind":"straw_uses"}"#),
        (
            "straw_uses",
            r#"{"kind":"straw_uses","year":2025,"within":"630000"}"#,
        ),
        (
            "map",
            r#"{"kind":"map","indicator":"yak_dung_utilization_rate","year":2024}"#,
        ),
    ];
    for (kind, request) in chart_requests {
        let data = api::chart_data(&surveys_json, request);
        case(
            &format!("chartData {request}"),
            "chartData",
            vec![&surveys_json, request],
            data.clone(),
        );
        let data = data.map_err(|e| e.message_en)?;
        for options in [
            r#"{"lang":"zh"}"#,
            r#"{"lang":"en","width":640,"height":420}"#,
        ] {
            case(
                &format!("renderChart {kind} {options}"),
                "renderChart",
                vec![kind, &data, options],
                api::render_chart(kind, &data, options),
            );
        }
    }
    let example = include_str!("../data/example-survey.json");
    for today in ["2026-01-01", "2025-09-01", "not a date"] {
        case(
            &format!("validateSurvey {today}"),
            "validateSurvey",
            vec![example, today, ""],
            api::validate_survey(example, today, ""),
        );
    }
    // A bureau's own dung coefficient, low enough that the example's dung use is more
    // than twice the herd-size estimate: a warning in both builds.
    let mut applicable: serde_json::Value = serde_json::json!({
        "region_code": "542523", "year": 2025,
        "coefficients": agriwaste_analytics::coefficients::CoefficientTable::builtin()
            .applicable(&agriwaste_analytics::RegionTable::builtin(), "542523", 2025)
            .into_iter()
            .map(|a| a.entry)
            .collect::<Vec<_>>(),
    });
    if let Some(entries) = applicable["coefficients"].as_array_mut() {
        for entry in entries {
            if entry["kind"] == "yak_dung_per_head_day" {
                entry["value"] = 0.25.into();
            }
        }
    }
    let applicable = applicable.to_string();
    let coefficients = api::coefficients_of_applicable(&applicable);
    case(
        "coefficientsOfApplicable",
        "coefficientsOfApplicable",
        vec![&applicable],
        coefficients.clone(),
    );
    let coefficients = coefficients.map_err(|e| e.message_en)?;
    case(
        "validateSurvey with a county's coefficients",
        "validateSurvey",
        vec![example, "2026-01-01", &coefficients],
        api::validate_survey(example, "2026-01-01", &coefficients),
    );
    // Straw counted in bundles instead of weighed, with a weight of one that is not a
    // bundle's (a warning) and one below 0 (an error), as the form checks them.
    let counted = example.replace(
        r#""straw_kg": 1600,"#,
        r#""straw_count": {"unit": "bundle", "count": 20, "kg_each": 80},"#,
    );
    let negative = counted.replace(r#""kg_each": 80"#, r#""kg_each": -8"#);
    for (name, survey) in [("counted", &counted), ("negative weight of one", &negative)] {
        case(
            &format!("validateSurvey straw {name}"),
            "validateSurvey",
            vec![survey, "2026-01-01", ""],
            api::validate_survey(survey, "2026-01-01", ""),
        );
    }
    for crop in [
        r#"{"crop":"rapeseed","yield_kg":812.5}"#,
        r#"{"crop":"highland_barley","yield_kg":1000}"#,
        r#"{"crop":"potato","straw_kg":300}"#,
        r#"{"crop":"highland_barley","straw_count":{"unit":"bundle","count":24,"kg_each":12.5}}"#,
        r#"{"crop":"corn","straw_count":{"unit":"cartload","count":2.5,"kg_each":412.3}}"#,
    ] {
        case(
            &format!("estimateStraw {crop}"),
            "estimateStraw",
            vec![crop, ""],
            api::estimate_straw(crop, ""),
        );
    }
    let dung = r#"{"yak_head":37}"#;
    case(
        "estimateDung",
        "estimateDung",
        vec![dung, ""],
        api::estimate_dung(dung, ""),
    );
    case(
        "defaultCoefficients",
        "defaultCoefficients",
        vec![],
        api::default_coefficients(),
    );
    // REFERENCE.md's status rules: the worked example (on track) and each status's edge,
    // so that the browser judges a target exactly as the server does.
    let point = |year: i32, rate: f64, se: f64, n: u32, low: f64| json!({"year": year, "n": n, "rate": rate, "se": se, "ci_low": low, "ci_high": rate + 2.0 * se});
    let worked = vec![
        point(2023, 0.70, 0.02, 40, 0.66),
        point(2024, 0.74, 0.02, 40, 0.70),
        point(2025, 0.78, 0.02, 40, 0.74),
    ];
    let assessments = [
        (
            "worked example: on track",
            2025,
            worked.clone(),
            json!({"value": 0.90, "year": 2030}),
        ),
        (
            "behind: the trend falls short",
            2025,
            worked.clone(),
            json!({"value": 0.99, "year": 2030}),
        ),
        (
            "met: the interval's low end at the target",
            2025,
            vec![point(2025, 0.93, 0.01, 40, 0.90)],
            json!({"value": 0.90, "year": 2030}),
        ),
        (
            "likely: the estimate at the target",
            2025,
            vec![point(2025, 0.90, 0.01, 40, 0.88)],
            json!({"value": 0.90, "year": 2030}),
        ),
        (
            "insufficient: 29 households",
            2025,
            vec![point(2025, 0.95, 0.01, 29, 0.93)],
            json!({"value": 0.90, "year": 2030}),
        ),
        (
            "implausible: above 100 %",
            2025,
            vec![point(2025, 1.05, 0.01, 40, 1.03)],
            json!({"value": 0.90, "year": 2030}),
        ),
        (
            "behind: the target year passed",
            2026,
            [worked.clone(), vec![point(2026, 0.82, 0.02, 40, 0.78)]].concat(),
            json!({"value": 0.90, "year": 2025}),
        ),
    ];
    for (name, year, history, target) in assessments {
        let input = json!({"year": year, "history": history, "target": target}).to_string();
        case(
            &format!("assessProgress {name}"),
            "assessProgress",
            vec![&input],
            api::assess_progress(&input),
        );
    }
    let no_target =
        json!({"year": 2025, "history": [point(2025, 0.5, 0.01, 40, 0.48)]}).to_string();
    case(
        "assessProgress no target",
        "assessProgress",
        vec![&no_target],
        api::assess_progress(&no_target),
    );
    case(
        "assessProgress bad input",
        "assessProgress",
        vec!["{\"year\": \"x\"}"],
        api::assess_progress("{\"year\": \"x\"}"),
    );
    for request in [
        r#"{"within": "542500", "current_year": 2026}"#,
        r#"{"current_year": 2026, "year": 2024}"#,
        r#"{"within": "630000", "current_year": 2025}"#,
    ] {
        case(
            &format!("progressBoard {request}"),
            "progressBoard",
            vec!["@surveys", request],
            api::progress_board(&surveys_json, request),
        );
    }
    // The dashboard's FactSet from the sums `GET /api/v1/sums` sends: the fixture's
    // households, every other one approved, summed per county, year and review class.
    let mut columns = agriwaste_analytics::columns::FactColumns::new();
    for (i, f) in api::facts(&surveys_json, "{}")
        .map_err(|e| e.message_en)?
        .iter()
        .enumerate()
    {
        columns.push(f, i % 2 == 0);
    }
    let facts_body = json!({"as_of": "2026-01-01T00:00:00Z", "facts": columns}).to_string();
    let sums_body = serde_json::to_string(
        &agriwaste_analytics::dashboard::FactSet::from_json(&facts_body)
            .map_err(|e| e.message_en)?
            .sums_body(),
    )?;
    let from_sums = |body: &str| agriwaste_analytics::dashboard::FactSet::from_sums_json(body);
    for request in [
        r#"{"current_year": 2026}"#,
        r#"{"within": "542500", "from": 2025, "to": 2025, "indicator": "yak_dung_utilization_rate", "current_year": 2025}"#,
        r#"{"within": "630000", "from": 2023, "to": 2024, "approved_only": true, "indicator": "film_recovery_rate"}"#,
        r#"{"within": "999999"}"#,
    ] {
        case(
            &format!("FactSet.fromSums dashboard {request}"),
            "FactSet.fromSums#dashboard",
            vec![&sums_body, request],
            from_sums(&sums_body).and_then(|set| set.dashboard(request)),
        );
    }
    for request in [
        r#"{"current_year": 2026}"#,
        r#"{"within": "542500", "year": 2024, "approved_only": true, "current_year": 2026}"#,
    ] {
        case(
            &format!("FactSet.fromSums progress {request}"),
            "FactSet.fromSums#progress",
            vec![&sums_body, request],
            from_sums(&sums_body).and_then(|set| set.progress(request)),
        );
    }
    let bad_sums = r#"{"counties": ["542523"], "rows": [{"county": 4}]}"#;
    case(
        "FactSet.fromSums a malformed body",
        "FactSet.fromSums#dashboard",
        vec![bad_sums, "{}"],
        from_sums(bad_sums).and_then(|set| set.dashboard("{}")),
    );

    std::fs::write(
        out.join("cases.json"),
        serde_json::to_string_pretty(&cases)?,
    )?;
    println!("wrote {} cases to {}", cases.len(), out.display());
    Ok(())
}
