//! The `agriwaste` command: serve the API and web pages, or migrate the database.

use std::io::Write;

use agriwaste_analytics::review::ReviewState;
use agriwaste_server::auth::Role;
use agriwaste_server::config::SettingsArgs;
use agriwaste_server::exports::progress::Progress;
use agriwaste_server::exports::{self, Format, Lang};
use agriwaste_server::ingest::today_in_china;
use agriwaste_server::startup::Application;
use agriwaste_server::storage::SurveyFilter;
use agriwaste_server::storage::{Storage, redact};
use agriwaste_server::telemetry;
use anyhow::Context;
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
    /// Export surveys to a file (every survey in the database, or those matching the
    /// filters), as the API's exports do.
    Export(ExportArgs),
    /// Import surveys from a CSV or XLSX file in the export's format, or NDJSON. Rows
    /// already stored are skipped; bad rows go to FILE.errors.csv.
    Import {
        /// The file: .csv, .xlsx, .ndjson or .jsonl.
        file: std::path::PathBuf,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Recompute every maintained sum (per county, year and review state) from the
    /// household rows and report any difference; exits 1 when there is one. Changes
    /// nothing.
    VerifyAggregates(SettingsArgs),
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

#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// csv, xlsx, ndjson or geojson.
    #[arg(long, value_parser = parse_format)]
    format: Format,
    /// Where to write.
    #[arg(long)]
    out: std::path::PathBuf,
    /// Column headers (and sheet names): zh or en.
    #[arg(long, default_value = "zh", value_parser = parse_lang)]
    lang: Lang,
    /// A region code at any level; includes everything below it.
    #[arg(long)]
    region: Option<String>,
    /// Survey year.
    #[arg(long)]
    year: Option<i32>,
    /// Technician.
    #[arg(long)]
    technician: Option<String>,
    /// received, edited, approved, has_issues, rejected, corrected or resubmitted.
    #[arg(long, value_parser = parse_review_state)]
    review_state: Option<ReviewState>,
    /// Only surveys stored or corrected at or after this time (RFC 3339).
    #[arg(long)]
    modified_since: Option<chrono::DateTime<chrono::Utc>>,
    #[command(flatten)]
    settings: SettingsArgs,
}

fn parse_format(value: &str) -> Result<Format, String> {
    Format::from_key(value).ok_or_else(|| "one of csv, xlsx, ndjson, geojson".to_owned())
}

fn parse_lang(value: &str) -> Result<Lang, String> {
    Lang::from_key(value).ok_or_else(|| "zh or en".to_owned())
}

fn parse_review_state(value: &str) -> Result<ReviewState, String> {
    ReviewState::from_key(value).ok_or_else(|| {
        "one of received, edited, approved, has_issues, rejected, corrected, resubmitted".to_owned()
    })
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
        Command::Export(args) => export(args).await,
        Command::Import { file, settings } => {
            let settings = settings.resolve()?;
            telemetry::init(settings.log_format);
            let storage =
                Storage::open(&settings.database_url(), settings.attachments_dir(), 2).await?;
            let size = std::fs::metadata(&file).ok().map(|m| m.len());
            let mut progress = Progress::new("import", size);
            let summary = exports::import::import(
                &storage,
                &file,
                today_in_china(),
                &mut |summary, bytes| progress.update(bytes.unwrap_or(0), &summary.to_string()),
            )
            .await;
            progress.finish();
            let summary = summary?;
            println!("{summary}");
            println!(
                "error report: {}",
                exports::import::report_path(&file).display()
            );
            storage.close().await?;
            Ok(())
        }
        Command::VerifyAggregates(args) => {
            let settings = args.resolve()?;
            let url = settings.database_url();
            let storage = Storage::open_as_is(&url, settings.attachments_dir(), 1).await?;
            let report = storage.verify_aggregates().await?;
            storage.close().await?;
            for d in &report.differences {
                println!(
                    "differs: {} {}: households {} maintained {}",
                    d.group, d.column, d.households, d.maintained
                );
            }
            println!(
                "{}: {} groups, {} surveys, {} differences",
                redact(&url),
                report.groups,
                report.surveys,
                report.differences.len()
            );
            if report.differences.is_empty() {
                Ok(())
            } else {
                anyhow::bail!(
                    "the maintained sums differ from the household rows in {} places",
                    report.differences.len()
                )
            }
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

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let settings = args.settings.resolve()?;
    telemetry::init(settings.log_format);
    let storage = Storage::open(&settings.database_url(), settings.attachments_dir(), 2).await?;
    let region = match args.region {
        None => None,
        Some(code) => {
            let level = storage
                .regions()
                .get(&code)
                .map(|r| r.level)
                .with_context(|| format!("region {code:?} is not known"))?;
            Some((code, level))
        }
    };
    let filter = SurveyFilter {
        region,
        year: args.year,
        technician: args.technician,
        review_state: args.review_state,
        modified_since: args.modified_since,
        ..SurveyFilter::default()
    };
    let file = tokio::fs::File::create(&args.out)
        .await
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut out = tokio::io::BufWriter::new(file);
    let mut progress = Progress::new("export", None);
    let summary = exports::export(
        &storage,
        &filter,
        args.format,
        exports::ExportOptions {
            lang: args.lang,
            include_attachments: false,
        },
        &mut out,
        &mut |rows| progress.update(rows, &format!("{rows} surveys")),
    )
    .await;
    progress.finish();
    let summary = summary?;
    print!(
        "exported {} surveys to {}",
        summary.surveys,
        args.out.display()
    );
    if args.format == Format::GeoJson {
        print!(
            " ({} without a location left out)",
            summary.skipped_without_location
        );
    }
    println!();
    storage.close().await?;
    Ok(())
}
