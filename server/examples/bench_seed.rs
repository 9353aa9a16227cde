//! Fills a database with synthetic surveys for the API benchmarks, through the same
//! storage code the API uses (validation, facts, audit), so the table the benchmark reads
//! is exactly what the server would have written.
//!
//! `cargo run --release -p agriwaste-server --example bench_seed -- DATABASE_URL COUNT`

use agriwaste_analytics::synthetic::SyntheticSpec;
use agriwaste_analytics::validation::{self, ValidationContext};
use agriwaste_server::storage::audit::Actor;
use agriwaste_server::storage::{NewSurvey, Storage};
use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .context("usage: bench_seed DATABASE_URL COUNT")?;
    let count: u64 = args
        .next()
        .context("usage: bench_seed DATABASE_URL COUNT")?
        .parse()?;
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(&url, dir.path().to_path_buf(), 4).await?;
    let have = storage.count_surveys().await?;
    if have >= count {
        println!("{have} surveys already there");
        return Ok(());
    }
    let spec = SyntheticSpec {
        seed: 20_300_000,
        ..SyntheticSpec::default()
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).context("date")?;
    let ctx = ValidationContext {
        regions: storage.regions(),
        today,
    };
    let actor = Actor::system("bench-seed");
    let started = std::time::Instant::now();
    let mut next = have;
    while next < count {
        let end = (next + 1000).min(count);
        let batch: Vec<NewSurvey> = (next..end)
            .map(|i| {
                let survey = spec.survey(i);
                let warnings = validation::validate(&survey, &ctx)
                    .into_iter()
                    .filter(|i| !i.is_error())
                    .collect();
                NewSurvey { survey, warnings }
            })
            .collect();
        storage.create_surveys(&batch, &actor).await?;
        next = end;
        if next % 100_000 == 0 {
            let rate = (next - have) as f64 / started.elapsed().as_secs_f64();
            eprintln!("bench_seed: {next} surveys ({rate:.0}/s)");
        }
    }
    println!(
        "seeded {} surveys in {:.1} s",
        count - have,
        started.elapsed().as_secs_f64()
    );
    storage.close().await?;
    Ok(())
}
