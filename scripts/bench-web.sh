#!/usr/bin/env bash
# The dashboard benchmark of issue 6: BENCH_SURVEYS (default 100 000) synthetic surveys
# seeded once into bench/out/ through the storage code (server/examples/bench_seed.rs),
# the release server, Debian's Chromium via playwright-core; see bench/web_bench.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${BENCH_SURVEYS:-100000}"
mkdir -p bench/out
cargo build --quiet --release -p agriwaste-server --bin agriwaste --example bench_seed
./target/release/examples/bench_seed "sqlite://bench/out/bench-${count}.db?mode=rwc" "$count"
AGRIWASTE_BIN="$PWD/target/release/agriwaste" BENCH_SURVEYS="$count" node bench/web_bench.mjs
