//! Crash: the load of `load.rs` while the server is killed with SIGKILL at random
//! moments; after every restart the server is ready at once and every acknowledged
//! survey is there, unchanged. The phones keep their outboxes across the outages, so at
//! the end the database holds exactly the acknowledged surveys.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use e2e::{Backend, TestApp, on_both_backends};
use tokio::sync::watch;

use crate::fleet::{self, Ledger, Network, Rng, Sizes, Stats};

on_both_backends!(acknowledged_surveys_survive_repeated_sigkill);

async fn acknowledged_surveys_survive_repeated_sigkill(backend: Backend) -> Result<()> {
    let sizes = Sizes::from_env();
    let mut app = TestApp::spawn(backend).await?;
    let phones = fleet::enroll(&app, sizes.phones, "phone").await?;
    let (server, server_rx) = watch::channel(Some(app.base.clone()));
    let net = Network {
        server: server_rx,
        stop: Arc::new(AtomicBool::new(false)),
        ledger: Arc::new(Ledger::default()),
        stats: Arc::new(Stats::default()),
        expect_kills: true,
        sizes,
    };
    let mut rng = Rng::fresh();
    let started = Instant::now();
    let tasks: Vec<_> = phones
        .into_iter()
        .map(|phone| tokio::spawn(fleet::run_phone(phone, net.clone(), rng.next_u64())))
        .collect();
    let mut kills = 0;
    let mut in_doubt_at_kills = 0;
    while kills < sizes.crashes {
        // A random moment while phones are writing: once the restarted server has
        // acknowledged something, at a random time within `crash_seconds`.
        net.ledger.acknowledgements.notified().await;
        let millis = rng.between(0, (sizes.crash_seconds * 1000.0) as u64);
        // The pause is the randomness of the kill's moment, not synchronisation.
        tokio::time::sleep(Duration::from_millis(millis)).await;
        app.kill()?;
        server.send_replace(None);
        kills += 1;
        in_doubt_at_kills += net.ledger.in_doubt.lock().await.len();

        app.start().await?;
        let (status, ready) = app.get("/readyz").await?;
        ensure!(
            status == 200,
            "not ready after restart {kills}: {status} {ready}"
        );
        let checked = fleet::verify(&app, &net.ledger, false).await?;
        println!("crash {backend:?}: kill {kills}: {checked} acknowledged surveys intact");
        // The phones wait for the server's address: nothing writes while this runs.
        let sums = app.verify_aggregates()?;
        println!("crash {backend:?}: kill {kills}: {}", sums.trim());
        server.send_replace(Some(app.base.clone()));
    }
    net.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed();
    fleet::no_failures(&app, &net.stats).await?;
    let surveys = fleet::verify(&app, &net.ledger, true).await?;
    net.stats
        .report(
            &format!(
                "crash {backend:?}, {} phones, {kills} kills ({in_doubt_at_kills} surveys in doubt at the kills)",
                sizes.phones
            ),
            surveys,
            elapsed,
        )
        .await;
    ensure!(surveys > 0, "no survey was acknowledged");
    Ok(())
}
