# agriwaste: every command a person or CI runs is a recipe here.
# Quick start (README): `cargo install --locked just && just serve`, then
# `cargo install --locked just && just test`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Install what the build and the tests need (Debian packages, cargo tools); safe to re-run.
setup:
    scripts/setup.sh

# Build the server, the WASM module and the web pages, then serve on SQLite with demo data.
serve *ARGS: setup wasm
    cargo build --release -p agriwaste-server
    ./target/release/agriwaste serve --demo-data {{ARGS}}

# Run every test: lint, unit and property tests, WASM under Node, end-to-end on SQLite and PostgreSQL.
test: setup lint wasm
    cargo build -p agriwaste-server
    scripts/with-postgres.sh cargo test --workspace --all-targets
    just test-wasm
    scripts/test-web.sh
    just test-reliability

# Formatting and clippy, warnings as errors.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy -p agriwaste-e2e --test reliability -- -D warnings

# Load, kill -9, scale-out, hostile input, schemathesis and fuzzing, on SQLite and PostgreSQL (sizes: scripts/test-reliability.sh).
test-reliability: setup
    scripts/test-reliability.sh

# Apply the database migrations to DATABASE_URL (default: the SQLite file under ./data).
migrate:
    cargo run --release -p agriwaste-server -- migrate

# Build the analytics crate to WebAssembly: web/pkg for the browser, tests/node/pkg for Node.
wasm:
    scripts/wasm-build.sh

# Run the WASM tests under Node: native and WASM must give byte-identical JSON and SVG.
test-wasm:
    scripts/test-wasm.sh

# Run the browser tests: headless Chromium against the real server; screenshots in tests/web/screenshots/.
test-web: setup wasm
    cargo build -p agriwaste-server
    scripts/test-web.sh

# Time all indicators for 100 000 synthetic surveys by county × year, native vs WASM in Node.
bench-analytics: wasm
    scripts/bench-analytics.sh

# Time the indicators endpoint (cold, warm, 304, right after a write) on 100 000 and 1 000 000 synthetic surveys in SQLite and PostgreSQL against raw SQL (sizes: scripts/bench-api.sh).
bench-api: setup
    scripts/bench-api.sh

# Time the dashboard in Chromium on 100 000 synthetic surveys: first chart, recompute, payload (BENCH_SURVEYS to change).
bench-web: setup wasm
    scripts/bench-web.sh

# Bytes on the wire for a first visit to /collect/ and /dashboard/ in Chromium, compressed against identity (goal ≤ 450 KB each).
bench-bytes: setup wasm
    scripts/bench-bytes.sh

# Every benchmark in one run (ingest, aggregates, analytics vs WASM/pandas/polars, exports): one table with ratios, written to bench/results/latest.md. Sizes: scripts/bench.sh.
bench: setup wasm
    scripts/bench.sh
