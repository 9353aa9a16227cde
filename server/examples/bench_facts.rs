//! The native side of the dataframe comparison in `just bench` (issue 7): the indicator
//! computation of the analytics crate on the facts of a large benchmark database, against
//! pandas and polars doing the same on the same rows (bench/dataframes.py).
//!
//! `bench_facts export DB CSV` writes the `survey_facts` rows the indicators count
//! (review state not rejected) to CSV, floats in Rust's shortest round-trip form, so the
//! three readers get exactly the numbers the database holds.
//!
//! `bench_facts compute CSV OUT_JSON [RUNS]` loads the CSV into the crate's
//! `HouseholdFacts` (timed: the load), then runs `indicators::compute` by county × year
//! RUNS times (default 5; the median is the compute time) and writes the timings and
//! every group's estimates to OUT_JSON, which bench/dataframes.py checks its own numbers
//! against.

use std::path::Path;
use std::time::Instant;

use agriwaste_analytics::indicators::{
    Grouping, HouseholdFacts, Indicator, Ratio, compute as compute_indicators,
};
use agriwaste_analytics::{RegionLevel, RegionTable};
use anyhow::{Context, bail, ensure};
use uuid::Uuid;

/// The indicator column prefixes of `survey_facts`, in `Indicator::ALL` order.
const INDICATORS: [&str; 7] = [
    "film_recovery",
    "pesticide_count",
    "pesticide_kg",
    "straw_utilization",
    "yak_dung_utilization",
    "film_thickness",
    "degradable_share",
];

const STRAW_USES: [&str; 5] = [
    "straw_fertilizer_kg",
    "straw_feed_kg",
    "straw_substrate_kg",
    "straw_fuel_kg",
    "straw_raw_material_kg",
];

fn columns() -> Vec<String> {
    let mut columns: Vec<String> = [
        "survey_id",
        "county_code",
        "survey_year",
        "weight",
        "warnings",
    ]
    .map(str::to_owned)
    .to_vec();
    for prefix in INDICATORS {
        columns.push(format!("{prefix}_y"));
        columns.push(format!("{prefix}_x"));
    }
    columns.extend(STRAW_USES.map(str::to_owned));
    columns.extend(
        [
            "straw_estimated_kg",
            "dung_estimated_kg",
            "straw_crops_excluded",
            "dung_excluded",
            "film_kg_per_mu",
            "straw_counted_kg",
            "straw_excluded_crops",
        ]
        .map(str::to_owned),
    );
    columns
}

fn export(db: &Path, csv_path: &Path) -> anyhow::Result<()> {
    use rusqlite::types::ValueRef;
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let columns = columns();
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM survey_facts WHERE review_state <> 'rejected' ORDER BY rowid",
        columns.join(", ")
    ))?;
    let tmp = csv_path.with_extension("csv.partial");
    let mut out = csv::Writer::from_path(&tmp)?;
    out.write_record(&columns)?;
    let mut rows = stmt.query([])?;
    let mut record: Vec<String> = Vec::with_capacity(columns.len());
    let mut n = 0u64;
    while let Some(row) = rows.next()? {
        record.clear();
        for (i, column) in columns.iter().enumerate() {
            record.push(match row.get_ref(i)? {
                ValueRef::Null => String::new(),
                ValueRef::Integer(v) => v.to_string(),
                ValueRef::Real(v) => format!("{v:?}"),
                ValueRef::Text(t) => String::from_utf8(t.to_vec())?,
                ValueRef::Blob(_) => bail!("unexpected blob in column {column}"),
            });
        }
        out.write_record(&record)?;
        n += 1;
    }
    out.flush()?;
    std::fs::rename(&tmp, csv_path)?;
    println!("exported {n} facts rows to {}", csv_path.display());
    Ok(())
}

fn num(field: &str, column: &str) -> anyhow::Result<f64> {
    field
        .parse()
        .with_context(|| format!("column {column}: {field:?} is not a number"))
}

fn opt(field: &str, column: &str) -> anyhow::Result<Option<f64>> {
    if field.is_empty() {
        Ok(None)
    } else {
        num(field, column).map(Some)
    }
}

fn load(csv_path: &Path) -> anyhow::Result<Vec<HouseholdFacts>> {
    let mut reader = csv::Reader::from_path(csv_path)?;
    let header = reader.headers()?.clone();
    ensure!(
        header.iter().eq(columns().iter().map(String::as_str)),
        "unexpected CSV header"
    );
    let mut facts = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        let f = |i: usize| &record[i];
        let ratio = |k: usize| -> anyhow::Result<Option<Ratio>> {
            let (yc, xc) = (5 + 2 * k, 6 + 2 * k);
            Ok(match (opt(f(yc), &header[yc])?, opt(f(xc), &header[xc])?) {
                (Some(y), Some(x)) => Some(Ratio { y, x }),
                (None, None) => None,
                _ => bail!("{} has one side of a ratio only", &header[yc]),
            })
        };
        let mut straw_uses_kg = [0.0; 5];
        for (k, slot) in straw_uses_kg.iter_mut().enumerate() {
            *slot = num(f(19 + k), &header[19 + k])?;
        }
        facts.push(HouseholdFacts {
            survey_id: Uuid::parse_str(f(0)).context("survey_id")?,
            county_code: f(1).to_owned(),
            year: f(2).parse().context("survey_year")?,
            weight: num(f(3), "weight")?,
            warnings: f(4).parse().context("warnings")?,
            film_recovery: ratio(0)?,
            pesticide_recovery_count: ratio(1)?,
            pesticide_recovery_kg: ratio(2)?,
            straw_utilization: ratio(3)?,
            yak_dung_utilization: ratio(4)?,
            film_thickness_compliance: ratio(5)?,
            degradable_film_share: ratio(6)?,
            straw_uses_kg,
            straw_estimated_kg: num(f(24), "straw_estimated_kg")?,
            dung_estimated_kg: num(f(25), "dung_estimated_kg")?,
            straw_crops_excluded: f(26).parse().context("straw_crops_excluded")?,
            dung_excluded: f(27) == "1",
            film_kg_per_mu: opt(f(28), "film_kg_per_mu")?,
            straw_counted_kg: num(f(29), "straw_counted_kg")?,
            straw_excluded_crops: f(30).parse().context("straw_excluded_crops")?,
            lat: None,
            lon: None,
        });
    }
    Ok(facts)
}

fn compute(csv_path: &Path, out: &Path, runs: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let facts = load(csv_path)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let regions = RegionTable::builtin();
    let grouping = Grouping {
        level: Some(RegionLevel::County),
        by_year: true,
    };
    let mut times = Vec::with_capacity(runs);
    let mut groups = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        groups = compute_indicators(&facts, grouping, &regions);
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let results: Vec<serde_json::Value> = groups
        .iter()
        .map(|g| {
            let indicators: serde_json::Map<String, serde_json::Value> = INDICATORS
                .iter()
                .zip(Indicator::ALL)
                .map(|(prefix, indicator)| {
                    let e = g.indicators.get(&indicator).copied();
                    let value = e.map_or(serde_json::Value::Null, |e| {
                        serde_json::json!({
                            "n": e.n,
                            "wy": e.weighted_numerator,
                            "wx": e.weighted_denominator,
                            "rate": e.rate,
                            "unweighted_rate": e.unweighted_rate,
                            "se": e.se,
                            "ci_low": e.ci_low,
                            "ci_high": e.ci_high,
                        })
                    });
                    ((*prefix).to_owned(), value)
                })
                .collect();
            serde_json::json!({
                "county_code": g.key.region_code,
                "survey_year": g.key.year,
                "households": g.households,
                "indicators": indicators,
            })
        })
        .collect();
    let summary = serde_json::json!({
        "rows": facts.len(),
        "groups": groups.len(),
        "load_seconds": load_seconds,
        "compute_seconds": times[times.len() / 2],
        "compute_runs": times,
        "results": results,
    });
    std::fs::write(out, serde_json::to_string(&summary)?)?;
    println!(
        "native: {} facts rows loaded in {load_seconds:.2} s; indicators by county × year ({} groups) in {:.1} ms (median of {})",
        facts.len(),
        groups.len(),
        times[times.len() / 2] * 1000.0,
        times.len()
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["export", db, csv] => export(Path::new(db), Path::new(csv)),
        ["compute", csv, out] => compute(Path::new(csv), Path::new(out), 5),
        ["compute", csv, out, runs] => compute(Path::new(csv), Path::new(out), runs.parse()?),
        _ => bail!("usage: bench_facts export DB CSV | bench_facts compute CSV OUT_JSON [RUNS]"),
    }
}
