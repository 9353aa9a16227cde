//! Fills a database with synthetic surveys for the API benchmarks, through the same
//! storage code the API uses (validation, facts, versions, audit), so the tables the
//! benchmarks read are exactly what the server would have written.
//!
//! `cargo run --release -p agriwaste-server --example bench_seed -- DATABASE_URL COUNT`
//!
//! DATABASE_URL is a SQLite or a PostgreSQL URL (the database must exist; it is migrated
//! here, as the server would): the benchmarks compare the two stores on the same rows.
//!
//! `bench_seed --print-surveys COUNT` prints COUNT more synthetic surveys, one JSON
//! document a line, for a benchmark to POST through the API: the same generator as the
//! seed with another seed, so they are valid and look like the stored ones, and their ids
//! are none of the seeded ones.
//!
//! Fast path for a million surveys: the surveys are stored in the order of their ids
//! (every primary key and the survey-id indexes then grow at their right edge instead of
//! touching a random page of a multi-gigabyte file per row), in large batches (one
//! `Storage::create_surveys` transaction each), while another thread generates and
//! validates the next batch. Only the order of insertion differs from surveys arriving
//! through the API: the rows are the ones `create_surveys` writes.
//!
//! An existing database with at least COUNT surveys is kept as it is; one with fewer
//! (an interrupted seed) is refused: delete it (scripts/bench-api.sh does).

use agriwaste_analytics::RegionTable;
use agriwaste_analytics::synthetic::SyntheticSpec;
use agriwaste_server::auth::Actor;
use agriwaste_server::ingest::{self, ValidatedSurvey};
use agriwaste_server::storage::Storage;
use anyhow::{Context, ensure};
use uuid::Uuid;

/// Surveys per transaction.
const BATCH: usize = 5_000;

/// The generator of the seeded surveys; [`WRITE_SEED`] that of the surveys a benchmark
/// writes through the API afterwards, so that none of theirs is a seeded id.
const SEED: u64 = 20_300_000;
const WRITE_SEED: u64 = 20_300_001;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_seed DATABASE_URL COUNT | bench_seed --print-surveys COUNT";
    let url = args.next().context(usage)?;
    let count: u64 = args.next().context(usage)?.parse().context(usage)?;
    if url == "--print-surveys" {
        return print_surveys(count);
    }
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(&url, dir.path().to_path_buf(), 4).await?;
    let have = storage.count_surveys().await?;
    if have >= count {
        println!("{have} surveys already there");
        return Ok(());
    }
    ensure!(
        have == 0,
        "the database holds {have} of {count} surveys (an interrupted seed): delete it"
    );
    let spec = SyntheticSpec {
        seed: SEED,
        ..SyntheticSpec::default()
    };
    let started = std::time::Instant::now();
    // Each survey depends only on its index: find every id, then generate in id order.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let mut order: Vec<(Uuid, u64)> = std::thread::scope(|scope| {
        let parts: Vec<_> = (0..threads)
            .map(|t| {
                let spec = &spec;
                scope.spawn(move || {
                    (t * count / threads..(t + 1) * count / threads)
                        .map(|i| (spec.survey(i).id, i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_default())
            .collect()
    });
    ensure!(order.len() as u64 == count, "id pass lost surveys");
    order.sort_unstable();
    eprintln!(
        "bench_seed: {count} ids in order after {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<ValidatedSurvey>>(2);
    let generator = {
        let regions: RegionTable = storage.regions().clone();
        let coefficients = storage.coefficient_table().await?;
        let spec = spec.clone();
        std::thread::spawn(move || -> anyhow::Result<()> {
            let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
            for chunk in order.chunks(BATCH) {
                let batch = chunk
                    .iter()
                    .map(|&(id, i)| {
                        ingest::validate(spec.survey(i), &regions, &coefficients, today).map_err(
                            |issues| {
                                anyhow::anyhow!("synthetic survey {id} is invalid: {issues:?}")
                            },
                        )
                    })
                    .collect::<anyhow::Result<_>>()?;
                if send.send(batch).is_err() {
                    return Ok(());
                }
            }
            Ok(())
        })
    };
    let actor = Actor::system("bench-seed");
    let mut stored = 0u64;
    let mut reported = 0u64;
    while let Ok(batch) = tokio::task::block_in_place(|| receive.recv()) {
        stored += batch.len() as u64;
        storage.create_surveys(&batch, &actor).await?;
        if stored - reported >= 100_000 {
            reported = stored;
            let rate = stored as f64 / started.elapsed().as_secs_f64();
            eprintln!("bench_seed: {stored} surveys ({rate:.0}/s)");
        }
    }
    generator
        .join()
        .map_err(|_| anyhow::anyhow!("the generator thread panicked"))??;
    let total = storage.count_surveys().await?;
    ensure!(total == count, "stored {total} of {count} surveys");
    println!(
        "seeded {count} surveys in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    storage.close().await?;
    Ok(())
}

/// Writes `count` synthetic surveys of [`WRITE_SEED`] to stdout, one JSON document a line.
fn print_surveys(count: u64) -> anyhow::Result<()> {
    use std::io::Write;
    let spec = SyntheticSpec {
        seed: WRITE_SEED,
        ..SyntheticSpec::default()
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for i in 0..count {
        serde_json::to_writer(&mut out, &spec.survey(i))?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}
