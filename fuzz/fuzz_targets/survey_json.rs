//! Survey JSON from the network: decoding never panics and agrees between a single body
//! and a batch item, validation never panics on what decodes, and a decoded survey
//! survives its canonical JSON unchanged (the stored form).
#![no_main]

use agriwaste_analytics::coefficients::Coefficients;
use agriwaste_analytics::validation::{ValidationContext, validate};
use agriwaste_analytics::{RegionTable, Survey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The API's two paths: a body, and one item of a batch (the server's envelope).
    let from_text = agriwaste_analytics::survey::parse_survey(text);
    let wrapped = format!("{{\"surveys\":[{text}]}}");
    if let Ok(batch) = agriwaste_server::api::body::decode::<
        agriwaste_server::api::surveys::BatchEnvelope,
    >(wrapped.as_bytes())
    {
        if let [item] = batch.surveys.as_slice() {
            let from_batch = agriwaste_analytics::survey::parse_survey(item.get());
            assert_eq!(
                from_text.is_ok(),
                from_batch.is_ok(),
                "a survey decodes differently alone and in a batch"
            );
        }
    }
    let Ok(survey) = from_text else { return };
    let regions = RegionTable::builtin();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
    let coefficients = Coefficients::builtin();
    let ctx = ValidationContext {
        regions: &regions,
        today,
        coefficients: &coefficients,
    };
    let _ = validate(&survey, &ctx);
    let stored = survey.canonical_json();
    let back: Survey = serde_json::from_str(&stored)
        .unwrap_or_else(|e| panic!("canonical JSON does not decode: {e}"));
    assert_eq!(back, survey, "canonical JSON changed the survey");
});
