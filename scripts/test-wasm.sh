#!/usr/bin/env bash
# Runs the WASM tests under Node: the native side writes its outputs for a fixture, the
# Node tests call the WASM build (from `just wasm`) with the same inputs and require
# byte-identical results.
set -euo pipefail
cd "$(dirname "$0")/.."

native_dir=$(mktemp -d)
trap 'rm -rf "$native_dir"' EXIT
cargo run --quiet -p agriwaste-analytics --example native_fixture -- "$native_dir"
AGRIWASTE_NATIVE_DIR="$native_dir" node --test tests/node/
