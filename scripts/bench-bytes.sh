#!/usr/bin/env bash
# Bytes on the wire for a first visit to /collect/ and /dashboard/ (issue 14), compressed
# against identity in the same run: bench/bytes_bench.mjs, Debian's Chromium, the server
# binary AGRIWASTE_BIN (default: the release build). Writes BENCH_JSON if set.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${AGRIWASTE_BIN:-$PWD/target/release/agriwaste}"
if [ "$bin" = "$PWD/target/release/agriwaste" ]; then
  cargo build --quiet --release -p agriwaste-server --bin agriwaste
fi
# The variants the server sends (built by `just wasm`; cheap when they are up to date).
scripts/compress-web.sh
AGRIWASTE_BIN="$bin" node bench/bytes_bench.mjs ${BENCH_JSON:+"$BENCH_JSON"}
