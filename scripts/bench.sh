#!/usr/bin/env bash
# `just bench` (issue 7): every benchmark in one run, then one table with the ratios,
# printed and written to bench/results/latest.md with the machine description.
#
# Sizes (defaults as issue 7 says):
#   BENCH_INGEST_SURVEYS (100000), BENCH_INGEST_BATCH (250), BENCH_INGEST_CLIENTS (4),
#   BENCH_SINGLE_SURVEYS (10000), BENCH_SINGLE_CLIENTS (64)    -> server/examples/bench_ingest.rs
#   BENCH_SURVEYS (1000000): the aggregates database and the dataframe comparison
#                                                              -> scripts/bench-api.sh, server/examples/bench_facts.rs
#   BENCH_AGG_SIZES ("100000 $BENCH_SURVEYS"), BENCH_STORES ("sqlite postgres"), BENCH_WRITES (20),
#   BENCH_PG (postgres://postgres@127.0.0.1:5432): the aggregates on both stores (issue 14)
#                                                              -> scripts/bench-api.sh
#   BENCH_ANALYTICS_SURVEYS (100000): native vs WASM           -> scripts/bench-analytics.sh
#   BENCH_SURVEYS also sizes the dashboard in Chromium (download, first chart)
#                                                              -> scripts/bench-web.sh
#   BENCH_RUNS (5): timed repetitions of the dataframe computations (median reported)
#   (first-visit bytes of /collect/ and /dashboard/: no size)    -> scripts/bench-bytes.sh
# BENCH_REPORT (bench/results/latest.md) is where the report goes.
set -euo pipefail
cd "$(dirname "$0")/.."

count="${BENCH_SURVEYS:-1000000}"
runs="${BENCH_RUNS:-5}"
report="${BENCH_REPORT:-bench/results/latest.md}"
out=bench/out/results
rm -rf "$out"
mkdir -p "$out" bench/out
log="$out/commands.txt"

# Notes the load average (the machine may be shared) before each stage.
stage() {
  echo "$1 $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)" >>"$out/load.txt"
  echo "== bench: $1"
}
# Runs a command and records it for the report.
run() {
  echo "$*" >>"$log"
  "$@"
}

stage start
env | grep -E '^BENCH_' | sort >"$out/env.txt" || true
scripts/bench-venv.sh
cargo build --quiet --release -p agriwaste-server --bin agriwaste \
  --example bench_seed --example bench_ingest --example bench_facts

stage ingest
run ./target/release/examples/bench_ingest target/release/agriwaste "$out/ingest.json"

stage aggregates
run env BENCH_SURVEYS="$count" BENCH_JSON="$out/aggregates.json" scripts/bench-api.sh

stage analytics
run scripts/bench-analytics.sh
cp bench/out/analytics/native.json "$out/analytics-native.json"
cp bench/out/analytics/wasm.json "$out/analytics-wasm.json"

stage web
run env BENCH_SURVEYS="$count" BENCH_JSON="$out/web.json" scripts/bench-web.sh

stage dataframes
db="bench/out/bench-${count}.db"
csv="bench/out/facts-${count}.csv"
if [ ! -f "$csv" ] || [ "$db" -nt "$csv" ]; then
  run ./target/release/examples/bench_facts export "$db" "$csv"
fi
run ./target/release/examples/bench_facts compute "$csv" "$out/facts-native.json" "$runs"
run bench/.venv/bin/python bench/dataframes.py "$csv" "$out/facts-native.json" "$out/dataframes.json" "$runs"

stage bytes
run env BENCH_JSON="$out/bytes.json" AGRIWASTE_BIN="$PWD/target/release/agriwaste" scripts/bench-bytes.sh

stage end
mkdir -p "$(dirname "$report")"
python3 bench/report.py "$out" "$report"
