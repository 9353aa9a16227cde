//! The `agriwaste` command: serve the API and web pages, or migrate the database.

use std::io::Write;

use agriwaste_server::auth::Role;
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
    /// Manage user accounts (the first admin, for instance).
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user and print their password (generated unless --password-stdin).
    Add {
        /// Sign-in name.
        #[arg(long)]
        username: String,
        /// technician, viewer, reviewer or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Region a viewer or reviewer covers (county, prefecture or province code).
        #[arg(long)]
        scope: Option<String>,
        /// County a technician works in (repeat for several).
        #[arg(long = "county")]
        counties: Vec<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        settings: SettingsArgs,
    },
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::from_key(value).ok_or_else(|| "one of technician, viewer, reviewer, admin".to_owned())
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
            for line in app.banner() {
                println!("{line}");
            }
            // Machine-readable too: test harnesses wait for this line.
            println!("agriwaste listening on http://{}", app.local_addr());
            let _ = std::io::stdout().flush();
            tracing::info!(address = %app.local_addr(), "listening");
            app.run_until_stopped().await
        }
        Command::User(UserCommand::Add {
            username,
            role,
            scope,
            counties,
            password_stdin,
            settings,
        }) => {
            let settings = settings.resolve()?;
            telemetry::init(settings.log_format);
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let storage =
                Storage::open(&settings.database_url(), settings.attachments_dir(), 1).await?;
            let (user, password) = agriwaste_server::bootstrap::add_user(
                &storage, &username, role, scope, counties, password,
            )
            .await?;
            println!("created {} {}", user.role.key(), user.username);
            if !password_stdin {
                println!("password: {password}");
            }
            storage.close().await?;
            Ok(())
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
