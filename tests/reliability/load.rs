//! Load: many phones sync at once (a county's technicians when the township gets
//! signal), a fifth of their requests sent again with the same ids; afterwards the
//! database holds exactly the acknowledged surveys.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use e2e::{Backend, TestApp, on_both_backends};
use tokio::sync::watch;

use crate::fleet::{self, Ledger, Network, Rng, Sizes, Stats};

on_both_backends!(phones_sync_concurrently_without_loss_or_duplicates);

async fn phones_sync_concurrently_without_loss_or_duplicates(backend: Backend) -> Result<()> {
    let sizes = Sizes::from_env();
    let app = TestApp::spawn(backend).await?;
    let phones = fleet::enroll(&app, sizes.phones, "phone").await?;
    let (_server, server_rx) = watch::channel(Some(app.base.clone()));
    let net = Network {
        server: server_rx,
        stop: Arc::new(AtomicBool::new(false)),
        ledger: Arc::new(Ledger::default()),
        stats: Arc::new(Stats::default()),
        expect_kills: false,
        sizes,
    };
    let mut seeds = Rng::fresh();
    let started = Instant::now();
    let tasks: Vec<_> = phones
        .into_iter()
        .map(|phone| tokio::spawn(fleet::run_phone(phone, net.clone(), seeds.next_u64())))
        .collect();
    // How long the load lasts is the behaviour under test, not synchronisation.
    tokio::time::sleep(Duration::from_secs_f64(sizes.load_seconds)).await;
    net.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed();
    fleet::no_failures(&app, &net.stats).await?;
    let surveys = fleet::verify(&app, &net.ledger, true).await?;
    net.stats
        .report(
            &format!("load {backend:?}, {} phones", sizes.phones),
            surveys,
            elapsed,
        )
        .await;
    anyhow::ensure!(surveys > 0, "no survey was acknowledged");
    Ok(())
}
