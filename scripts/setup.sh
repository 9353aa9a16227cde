#!/usr/bin/env bash
# Installs what agriwaste's build and tests need on a Debian machine with Rust (rustup).
# Idempotent: checks before it installs, so a second run takes a second.
set -euo pipefail

# Debian packages the project needs, by purpose.
packages=(
  # WebAssembly: Debian's rustc-web has the wasm32 target's std source, which rustup
  # cannot download on machines without network access (docs: ARCHITECTURE.md).
  rustc-web cargo-web rust-web-src lld-22 binaryen
  # The sqlite3 CLI is the raw-SQL baseline of the benchmarks.
  sqlite3
  # A CJK font for PNG charts: the server passes its bytes to the analytics crate, which
  # rasterizes chart SVG with it (analytics-wasm/CHARTS.md). Small (5 MB), one file:
  # /usr/share/fonts/truetype/wqy/wqy-microhei.ttc.
  fonts-wqy-microhei
  # Browser tests (`just test-web`): playwright-core drives Debian's Chromium at
  # /usr/bin/chromium; no browser is ever downloaded by playwright.
  chromium chromium-driver
  # The annual report's browser test reads the PDF Chromium prints: pdfinfo (pages, A4),
  # pdftotext (each page's text), pdftoppm (the pages as PNG, to look at).
  poppler-utils
  # cargo-fuzz's libfuzzer-sys compiles libFuzzer, which is C++.
  g++
  # The web files' brotli variants (scripts/compress-web.sh; gzip is always there).
  brotli
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
# Node runs the WASM tests and benchmarks. Any Node >= 18 will do: use the one on PATH if
# there is one (NodeSource's nodejs bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# Python 3 (standard library only) runs the independent estimator check, the CSV export
# check and the benchmark driver, and picks a free port for a throwaway PostgreSQL.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# The reliability suite's API fuzzer (schemathesis) lives in a project venv.
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# wasm-bindgen's CLI must match the wasm-bindgen crate in Cargo.lock exactly.
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[" ]/, ""); sub("version=", ""); print; exit}' Cargo.lock)
if [ -n "$wasm_bindgen_version" ] && ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $wasm_bindgen_version"; then
  echo "setup: installing wasm-bindgen-cli $wasm_bindgen_version"
  cargo install --quiet --locked wasm-bindgen-cli --version "$wasm_bindgen_version" ||
    cargo install --quiet wasm-bindgen-cli --version "$wasm_bindgen_version"
fi

# npm packages from committed lockfiles, each folder installed again only when its
# node_modules is missing or its lockfile changed: the browser tests' (tests/web:
# playwright-core, with playwright's browser download switched off since the tests use
# Debian's Chromium; jsqr, which decodes the admin page's QR code) and the pages' own
# (web/vendor: qrcode-generator, served at /vendor/node_modules/ to the admin page).
root="$(cd "$(dirname "$0")/.." && pwd)"
for npm_dir in "$root/tests/web" "$root/web/vendor"; do
  stamp="$npm_dir/node_modules/.package-lock.sha256"
  lock_sum=$(sha256sum "$npm_dir/package-lock.json" | cut -d' ' -f1)
  if [ ! -d "$npm_dir/node_modules" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
    echo "setup: installing npm packages (npm ci in $npm_dir)"
    (cd "$npm_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sum" >"$stamp"
  fi
done

# Reliability suite: schemathesis (pinned in tests/reliability/requirements.txt) in
# ./.venv, reinstalled only when the requirements change; cargo-fuzz for the fuzz
# targets in fuzz/ (run with RUSTC_BOOTSTRAP=1 on stable Rust).
requirements=tests/reliability/requirements.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing $requirements into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "setup: installing cargo-fuzz"
  cargo install --quiet --locked cargo-fuzz
fi
