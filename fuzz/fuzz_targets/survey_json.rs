//! Survey JSON from the network: decoding never panics, validation never panics on what
//! decodes, and a decoded survey survives its canonical JSON unchanged (the stored form).
#![no_main]

use agriwaste_analytics::validation::{ValidationContext, validate};
use agriwaste_analytics::{RegionTable, Survey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The API's path (one body) and the batch's (one item of a decoded array).
    let from_text = agriwaste_analytics::survey::parse_survey(text);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        let from_value = agriwaste_analytics::survey::survey_from_value(value);
        assert_eq!(
            from_text.is_ok(),
            from_value.is_ok(),
            "the two decoders disagree"
        );
    }
    let Ok(survey) = from_text else { return };
    let regions = RegionTable::builtin();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
    let ctx = ValidationContext {
        regions: &regions,
        today,
    };
    let _ = validate(&survey, &ctx);
    let stored = survey.canonical_json();
    let back: Survey = serde_json::from_str(&stored)
        .unwrap_or_else(|e| panic!("canonical JSON does not decode: {e}"));
    assert_eq!(back, survey, "canonical JSON changed the survey");
});
