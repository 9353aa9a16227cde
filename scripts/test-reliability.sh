#!/usr/bin/env bash
# The reliability suite (issue 7): 64 phones syncing with retries, kill -9 of the server
# mid-write, two replicas on one PostgreSQL database, hand-written hostile input,
# schemathesis over the OpenAPI document, then each fuzz target for a short while.
# Every figure it prints comes from this run. Sizes (see tests/reliability/fleet.rs):
#   RELIABILITY_PHONES=64 RELIABILITY_LOAD_SECONDS=6 RELIABILITY_CRASHES=10
#   RELIABILITY_CRASH_SECONDS=1.5 RELIABILITY_BATCH=10 RELIABILITY_RETRY_PERCENT=20
#   RELIABILITY_SCHEMATHESIS_EXAMPLES=20 RELIABILITY_FUZZ_SECONDS=20
# The tests run one at a time: they measure, and must not compete for the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p agriwaste-server
scripts/with-postgres.sh cargo test -p agriwaste-e2e --test reliability -- --test-threads=1 --nocapture
scripts/fuzz.sh "${RELIABILITY_FUZZ_SECONDS:-20}"
