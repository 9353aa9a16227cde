#!/usr/bin/env bash
# The API benchmark of issue 5: the indicators endpoint on a large SQLite database
# (BENCH_SURVEYS, default 1 000 000 synthetic surveys, seeded once and kept under
# bench/out/), cold and warm, against the same grouping as a hand-written SQL query run
# by the sqlite3 CLI on the same file. Prints one table; see bench/api_bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${BENCH_SURVEYS:-1000000}"
mkdir -p bench/out
db="bench/out/bench-${count}.db"
cargo build --quiet --release -p agriwaste-server --bin agriwaste --example bench_seed
./target/release/examples/bench_seed "sqlite://${db}?mode=rwc" "$count"
python3 bench/api_bench.py --binary target/release/agriwaste --database "$db" --surveys "$count"
