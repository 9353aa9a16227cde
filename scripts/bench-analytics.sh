#!/usr/bin/env bash
# `just bench-analytics`: native timing (release build), then the same work in WASM
# under Node, and the comparison. Expects the WASM build (`just wasm`).
set -euo pipefail
cd "$(dirname "$0")/.."

out=bench/out/analytics
mkdir -p "$out"
cargo run --quiet --release -p agriwaste-analytics --example bench_native -- "$out"
node bench/analytics.js "$out"
