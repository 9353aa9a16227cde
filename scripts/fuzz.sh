#!/usr/bin/env bash
# Runs each cargo-fuzz target in fuzz/ for SECONDS (default 20): survey JSON decoding and
# validation, and the CSV, NDJSON and XLSX import parsers. Fails on any crash.
#
# cargo-fuzz needs nightly compiler flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# accept them. No sanitizer: the targets are safe Rust, and what we look for is panics,
# hangs and runaway memory. New inputs that reach new code go to fuzz/corpus/TARGET
# (kept between runs, not committed); the seeds are in fuzz/seeds/TARGET, and inputs that
# once crashed a target, fixed since, in fuzz/regressions/TARGET (each also has a unit test).
#
# FUZZ_PROFILE=dev (the default, what `just test` runs) builds without optimisation:
# the instrumented build of the server crate's dependencies takes about 4 minutes
# instead of twice that. The price is speed: measured here, survey_json ran ~4 500
# inputs/s unoptimised against ~69 000/s optimised, the import parsers 200-400/s against
# ~1 500-12 000/s. So CI's short run is a smoke test (the seeds, the regression inputs
# and a few thousand mutations per target); real fuzzing is the long run with
# FUZZ_PROFILE=release.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-20}"
export RUSTC_BOOTSTRAP=1
profile=()
[ "${FUZZ_PROFILE:-dev}" = release ] || profile=(--dev)
cargo fuzz build -s none "${profile[@]}"
for target in survey_json import_csv import_ndjson import_xlsx; do
  mkdir -p "corpus/$target" "regressions/$target"
  log=$(mktemp)
  if ! cargo fuzz run -s none "${profile[@]}" "$target" "corpus/$target" "seeds/$target" "regressions/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target failed; the input is in fuzz/artifacts/$target" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cover=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
  corpus=$(find "corpus/$target" -type f | wc -l)
  echo "fuzz: $target: $runs executions in ${seconds} s, $cover, corpus $corpus inputs, no crash"
  rm -f "$log"
done
