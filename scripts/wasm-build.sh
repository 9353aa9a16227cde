#!/usr/bin/env bash
# Builds the analytics crate for wasm32 and binds it for the browser (web/pkg) and for
# Node (tests/node/pkg). Uses the installed wasm32 target when rustup has one, else
# Debian's rustc-web with build-std (docs: ../shared/docs/wasm-toolchain.md).
set -euo pipefail
cd "$(dirname "$0")/.."

crate=agriwaste-analytics
lib=agriwaste_analytics
target=wasm32-unknown-unknown
# Its own target dir: the wasm build may use another rustc than the native one.
export CARGO_TARGET_DIR=target/wasm

if rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  cargo build -p "$crate" --release --target "$target"
else
  RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 /usr/bin/cargo build -p "$crate" --release \
    --target "$target" -Zbuild-std=std,panic_abort
fi

wasm="$CARGO_TARGET_DIR/$target/release/$lib.wasm"

# wasm-opt (binaryen) makes the module smaller and faster. It runs before wasm-bindgen:
# Debian's binaryen 108 mangles the externref table that wasm-bindgen adds. Optional, as
# a machine without binaryen gets a module that works the same.
if command -v wasm-opt >/dev/null; then
  optimized="$CARGO_TARGET_DIR/$target/release/$lib.opt.wasm"
  wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    -o "$optimized" "$wasm"
  wasm="$optimized"
fi

wasm-bindgen --target web --out-name "$lib" --out-dir web/pkg "$wasm"
wasm-bindgen --target nodejs --out-name "$lib" --out-dir tests/node/pkg "$wasm"
echo "wasm: $(wc -c <"web/pkg/${lib}_bg.wasm") bytes, $(gzip -9c "web/pkg/${lib}_bg.wasm" | wc -c) bytes gzipped"
# Precompressed variants of every web file, the new module included (server/src/web_assets.rs).
scripts/compress-web.sh
