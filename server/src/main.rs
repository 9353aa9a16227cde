//! The `agriwaste` command: serve the API and web pages, or migrate the database.

use std::io::Write;

use agriwaste_server::config::SettingsArgs;
use agriwaste_server::startup::Application;
use agriwaste_server::storage::{Storage, redact};
use agriwaste_server::telemetry;
use clap::{Parser, Subcommand};

/// Agricultural-waste field surveys for the zero-waste city programmes of Qinghai and
/// Ali: a survey ingestion API with its web pages, on SQLite or PostgreSQL.
///
/// Settings come from flags, then environment variables, then the TOML file named by
/// --config (keys as the flag names with underscores: bind, database_url, data_dir,
/// web_dir, demo_data, max_body_bytes, max_batch_body_bytes, max_attachment_bytes,
/// db_max_connections, log_format), then built-in defaults.
#[derive(Debug, Parser)]
#[command(name = "agriwaste", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (/api/v1), its docs (/docs, /openapi.json), health probes
    /// (/healthz, /readyz) and the web pages (/). Migrates the database first.
    Serve(SettingsArgs),
    /// Apply pending database migrations and exit.
    Migrate(SettingsArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "agriwaste failed");
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let settings = args.resolve()?;
            telemetry::init(settings.log_format);
            let app = Application::build(settings).await?;
            // Machine-readable too: test harnesses wait for this line.
            println!("agriwaste listening on http://{}", app.local_addr());
            let _ = std::io::stdout().flush();
            tracing::info!(address = %app.local_addr(), "listening");
            app.run_until_stopped().await
        }
        Command::Migrate(args) => {
            let settings = args.resolve()?;
            telemetry::init(settings.log_format);
            let url = settings.database_url();
            let storage = Storage::open(&url, settings.attachments_dir(), 1).await?;
            println!("database {} is up to date", redact(&url));
            storage.close().await?;
            Ok(())
        }
    }
}
