//! Property-based API fuzzing from the OpenAPI document: schemathesis (PyPI, installed
//! into `./.venv` by `just setup`) generates requests for every operation of
//! `/openapi.json`, signed in as an admin, with every check (`--checks all`: no 5xx,
//! every answer as documented, schema-valid requests accepted and invalid ones refused,
//! 405s with `Allow`) over the examples, coverage, fuzzing and stateful phases (the
//! document's links chain created ids into the operations that use them). The few
//! rules a schema cannot state are named, with why, in `schemathesis.toml`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail, ensure};
use e2e::{Backend, TestApp, on_both_backends, repo_root, synthetic_surveys};
use serde_json::json;

on_both_backends!(every_operation_holds_under_schemathesis);

/// `AGRIWASTE_SCHEMATHESIS`, else the project venv's.
fn schemathesis() -> Result<PathBuf> {
    let path = std::env::var("AGRIWASTE_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join(".venv/bin/schemathesis"));
    ensure!(
        path.exists(),
        "{} does not exist: run `just setup` (it installs tests/reliability/requirements.txt into .venv)",
        path.display()
    );
    Ok(path)
}

/// Runs schemathesis's `phases` over the operations `filter` selects; returns its output.
async fn run(app: &TestApp, filter: &[&str], phases: &str, examples: u32) -> Result<String> {
    let config = repo_root().join("tests/reliability/schemathesis.toml");
    let output = tokio::process::Command::new(schemathesis()?)
        .arg("--config-file")
        .arg(&config)
        .args(["--no-color", "run"])
        .arg(app.url("/openapi.json"))
        .args(["--checks", "all"])
        .args([
            "--header",
            &format!("Authorization: Bearer {}", app.admin_token),
        ])
        .args(["--max-examples", &examples.to_string()])
        .args(["--phases", phases])
        // One worker: the machine's Python (3.11.7) compiles in threads with a shared
        // recursion-depth counter (CPython gh-106905, fixed in 3.11.8), which two
        // workers tripped over now and then ("AST constructor recursion depth mismatch").
        .args(["--workers", "1", "--request-timeout", "60"])
        // `--checks all` also times every answer (10 s by default). Speed is measured by
        // the benchmarks, not here: on a shared two-core machine a debug build may take
        // longer than that for a 4000 × 4000 px chart. The limit is the request timeout,
        // so only a request that hangs fails.
        .args(["--max-response-time", "60"])
        .args(filter)
        .current_dir(app.dir())
        .output()
        .await
        .context("running schemathesis")?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        bail!(
            "schemathesis found problems ({}):\n{stdout}\n{stderr}\nserver log:\n{}",
            output.status,
            tail(&app.log(), 60)
        );
    }
    Ok(stdout)
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

async fn every_operation_holds_under_schemathesis(backend: Backend) -> Result<()> {
    let examples: u32 = std::env::var("RELIABILITY_SCHEMATHESIS_EXAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let app = TestApp::spawn(backend).await?;
    // Some data, so reads find records and aggregates have groups.
    let (status, body) = app
        .post(
            "/api/v1/surveys/batch",
            &json!({ "surveys": synthetic_surveys(50) }),
        )
        .await?;
    ensure!(status == 200, "{status} {body}");
    // Signing out would end the session the run signs in with: that operation runs last.
    let main = run(
        &app,
        &["--exclude-operation-id", "logout"],
        "examples,coverage,fuzzing,stateful",
        examples,
    )
    .await?;
    // Alone, logout has no links to follow: no stateful phase.
    let logout = run(
        &app,
        &["--include-operation-id", "logout"],
        "examples,coverage,fuzzing",
        examples,
    )
    .await?;
    println!(
        "schemathesis {backend:?}, {examples} examples per operation:\n{}\n{}",
        tail(&main, 12),
        tail(&logout, 6)
    );
    Ok(())
}
