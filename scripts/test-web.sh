#!/usr/bin/env bash
# Runs the browser end-to-end tests (tests/web/*.test.mjs): playwright-core drives Debian's
# headless Chromium against the real server binary (target/debug/agriwaste, or
# AGRIWASTE_BIN). Needs `just setup`, `just wasm` and a built server; `just test-web` does
# all three. Screenshots land in tests/web/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
# One test file at a time: each starts its own server and browser, and the machine is small.
node --test --test-concurrency=1 tests/web/*.test.mjs
