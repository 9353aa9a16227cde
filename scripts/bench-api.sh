#!/usr/bin/env bash
# The API benchmark of issue 5: the indicators endpoint on a large SQLite database
# (BENCH_SURVEYS, default 1 000 000 synthetic surveys, seeded once through the storage
# code and kept under bench/out/), cold and warm, against the same grouping as a
# hand-written SQL query run by the sqlite3 CLI on the same file; and survey exports over
# HTTP. Prints one table; see bench/api_bench.py. With BENCH_JSON set, also writes the
# figures there (`just bench` does).
set -euo pipefail
cd "$(dirname "$0")/.."
count="${BENCH_SURVEYS:-1000000}"
mkdir -p bench/out
db="bench/out/bench-${count}.db"
cargo build --quiet --release -p agriwaste-server --bin agriwaste --example bench_seed
# A database without its .complete marker is an interrupted seed (or one from before the
# marker): keep it only if it holds every survey.
if [ -f "$db" ] && [ ! -f "$db.complete" ]; then
  have=$(sqlite3 "$db" 'SELECT COUNT(*) FROM surveys' 2>/dev/null || echo 0)
  if [ "$have" -lt "$count" ]; then
    echo "bench-api: $db holds $have of $count surveys; seeding it anew"
    rm -f "$db" "$db-wal" "$db-shm"
  fi
fi
./target/release/examples/bench_seed "sqlite://${db}?mode=rwc" "$count"
touch "$db.complete"
python3 bench/api_bench.py --binary target/release/agriwaste --database "$db" --surveys "$count" \
  ${BENCH_JSON:+--json "$BENCH_JSON"}
