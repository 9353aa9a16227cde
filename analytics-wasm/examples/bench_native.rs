//! The native half of `just bench-analytics`.
//!
//! Usage: `cargo run --release -p agriwaste-analytics --example bench_native -- OUT_DIR`
//!
//! Generates 100 000 synthetic surveys (`BENCH_ANALYTICS_SURVEYS` to change), writes them to `OUT_DIR/surveys.json` for the
//! WASM half (`bench/analytics.js`), and times, as the median of several runs:
//! - `compute`: every indicator by county × year from surveys already in memory
//!   (facts, grouping, estimates with intervals, quality flags, targets, JSON output),
//!   the work `SurveySet.computeIndicators` does in WASM;
//! - `end_to_end`: the same from the JSON text, parsing included (`computeIndicators`);
//! - `from_facts` (native only): indicators from per-household facts already made, the
//!   server's path once it stores facts (`indicators::compute`, no JSON).
//!
//! Prints the timings and writes them to `OUT_DIR/native.json`.

use agriwaste_analytics::Coefficients;
use agriwaste_analytics::api::{self, SurveySet};
use agriwaste_analytics::indicators::{Grouping, compute, facts_from_surveys};
use agriwaste_analytics::regions::{RegionLevel, RegionTable};
use agriwaste_analytics::synthetic::SyntheticSpec;
use std::path::PathBuf;
use std::time::Instant;

/// Surveys to generate, unless `BENCH_ANALYTICS_SURVEYS` says otherwise.
const SURVEYS: usize = 100_000;
const OPTIONS: &str = r#"{"level":"county","by_year":true}"#;

fn median_ms(runs: usize, mut work: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let start = Instant::now();
        size = work();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], size)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: bench_native OUT_DIR")?,
    );
    std::fs::create_dir_all(&out)?;
    let count = match std::env::var("BENCH_ANALYTICS_SURVEYS") {
        Ok(v) => v.parse()?,
        Err(_) => SURVEYS,
    };
    let surveys = SyntheticSpec::default().surveys(count);
    let json = serde_json::to_string(&surveys)?;
    std::fs::write(out.join("surveys.json"), &json)?;

    let facts = facts_from_surveys(&surveys, &Coefficients::builtin(), None);
    let regions = RegionTable::builtin();
    let grouping = Grouping {
        level: Some(RegionLevel::County),
        by_year: true,
    };
    let (from_facts_ms, _) = median_ms(7, || compute(&facts, grouping, &regions).len());
    let set = SurveySet::from_surveys(surveys);
    let (compute_ms, report_bytes) = median_ms(7, || {
        set.compute_indicators(OPTIONS)
            .map(|r| r.len())
            .unwrap_or(0)
    });
    let (end_to_end_ms, _) = median_ms(5, || {
        api::compute_indicators(&json, OPTIONS)
            .map(|r| r.len())
            .unwrap_or(0)
    });
    if report_bytes == 0 {
        return Err("the computation failed".into());
    }
    let summary = serde_json::json!({
        "surveys": count,
        "options": OPTIONS,
        "compute_ms": compute_ms,
        "end_to_end_ms": end_to_end_ms,
        "from_facts_ms": from_facts_ms,
        "report_bytes": report_bytes,
    });
    std::fs::write(out.join("native.json"), summary.to_string())?;
    println!(
        "native: compute {compute_ms:.1} ms, end to end (JSON parse included) {end_to_end_ms:.1} ms"
    );
    Ok(())
}
