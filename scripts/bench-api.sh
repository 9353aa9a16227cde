#!/usr/bin/env bash
# The API benchmarks of issues 5 and 14 (bench/api_bench.py): the indicators endpoint on
# SQLite and PostgreSQL holding the same synthetic surveys, cold, warm, 304 and cold after
# a write, against the same sums in hand-written SQL; and survey exports over HTTP.
#
# Sizes and stores come from the environment:
#   BENCH_SURVEYS (1000000): the largest size, the one the exports are timed at
#   BENCH_AGG_SIZES ("100000 $BENCH_SURVEYS"): every size the indicators are timed at
#   BENCH_STORES ("sqlite postgres")
#   BENCH_WRITES (20): surveys POSTed, each followed by the timed read
#   BENCH_PG (postgres://postgres@127.0.0.1:5432): the PostgreSQL server, trust auth
#   BENCH_JSON: also write the figures there (`just bench` does)
#
# Each size is seeded once through the storage code (server/examples/bench_seed.rs) and
# kept between runs: SQLite in bench/out/bench-COUNT.db, PostgreSQL in the database
# agriwaste_bench_COUNT, each marked complete when its seed finished. The benchmark writes,
# so it runs on a copy made for the run (bench/out/bench-COUNT-run.db,
# agriwaste_bench_COUNT_run), dropped afterwards: the seeded databases keep exactly COUNT
# surveys for the next run and for the dataframe stage of `just bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${BENCH_SURVEYS:-1000000}"
sizes=$(printf '%s\n' ${BENCH_AGG_SIZES:-100000 $count} | sort -n -u)
stores="${BENCH_STORES:-sqlite postgres}"
writes="${BENCH_WRITES:-20}"
pg="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
mkdir -p bench/out
[ -z "${BENCH_JSON:-}" ] || rm -f "$BENCH_JSON"
cargo build --quiet --release -p agriwaste-server --bin agriwaste --example bench_seed
seed=./target/release/examples/bench_seed

# Runs SQL on the PostgreSQL server's maintenance database (never on another's database).
pg_admin() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -A -t -v ON_ERROR_STOP=1 "$pg/postgres" -c "$1"; }

# Seeds bench/out/bench-$1.db (unless complete) and copies it for the run.
sqlite_run_copy() {
  local n=$1 db="bench/out/bench-$1.db" run="bench/out/bench-$1-run.db"
  # A database without its .complete marker is an interrupted seed (or one from before
  # the marker): keep it only if it holds every survey.
  if [ -f "$db" ] && [ ! -f "$db.complete" ]; then
    have=$(sqlite3 "$db" 'SELECT COUNT(*) FROM surveys' 2>/dev/null || echo 0)
    if [ "$have" -lt "$n" ]; then
      echo "bench-api: $db holds $have of $n surveys; seeding it anew" >&2
      rm -f "$db" "$db-wal" "$db-shm"
    fi
  fi
  # Also migrates a database seeded by older code, as the server would.
  "$seed" "sqlite://${db}?mode=rwc" "$n" >&2
  touch "$db.complete"
  rm -f "$run" "$run-wal" "$run-shm"
  cp "$db" "$run"
  [ ! -f "$db-wal" ] || cp "$db-wal" "$run-wal"
  echo "$run"
}

# Seeds the database agriwaste_bench_$1 (unless complete) and copies it for the run.
postgres_run_copy() {
  local n=$1 db="agriwaste_bench_$1" run="agriwaste_bench_$1_run"
  local exists complete
  exists=$(pg_admin "SELECT 1 FROM pg_database WHERE datname = '$db'")
  complete=$(pg_admin "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$db'")
  if [ -n "$exists" ] && [ "$complete" != "seed complete" ]; then
    have=$(psql -X -A -t "$pg/$db" -c 'SELECT COUNT(*) FROM surveys' 2>/dev/null || echo 0)
    if [ "$have" -lt "$n" ]; then
      echo "bench-api: database $db holds $have of $n surveys; seeding it anew" >&2
      pg_admin "DROP DATABASE $db" >&2
      exists=""
    fi
  fi
  [ -n "$exists" ] || pg_admin "CREATE DATABASE $db" >&2
  "$seed" "$pg/$db" "$n" >&2
  # What autovacuum does to a database after a million inserts, done now rather than
  # whenever it gets to it: statistics for the planner and the visibility map, without
  # which an index-only scan (the film-per-mu values of a changed group) visits the
  # table for every row. A database in service has both; a just-seeded one not yet.
  PGOPTIONS="-c client_min_messages=warning" psql -X -q "$pg/$db" -c 'VACUUM ANALYZE' >&2
  pg_admin "COMMENT ON DATABASE $db IS 'seed complete'" >&2
  pg_admin "DROP DATABASE IF EXISTS $run" >&2
  # A file copy of the seeded database: much faster than writing it through the WAL.
  pg_admin "CREATE DATABASE $run TEMPLATE $db STRATEGY FILE_COPY" >&2
  echo "$pg/$run"
}

# The run copies go when the script ends, however it ends.
cleanup() {
  for n in $sizes; do
    rm -f "bench/out/bench-$n-run.db" "bench/out/bench-$n-run.db-wal" "bench/out/bench-$n-run.db-shm"
    case " $stores " in *" postgres "*) pg_admin "DROP DATABASE IF EXISTS agriwaste_bench_${n}_run" || true ;; esac
  done
}
trap cleanup EXIT

surveys_file=bench/out/write-surveys.ndjson
"$seed" --print-surveys "$writes" >"$surveys_file"
for n in $sizes; do
  targets=()
  for store in $stores; do
    case "$store" in
      sqlite) targets+=(--sqlite "$(sqlite_run_copy "$n")") ;;
      postgres) targets+=(--postgres "$(postgres_run_copy "$n")") ;;
      *) echo "bench-api: unknown store $store (sqlite, postgres)" >&2; exit 2 ;;
    esac
  done
  exports=()
  [ "$n" != "$count" ] || exports=(--exports)
  python3 bench/api_bench.py --binary target/release/agriwaste --surveys "$n" "${targets[@]}" \
    --write-surveys "$surveys_file" "${exports[@]}" ${BENCH_JSON:+--json "$BENCH_JSON"}
done
