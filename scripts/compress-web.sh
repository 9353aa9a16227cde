#!/usr/bin/env bash
# Precompresses the web pages' files for the server (server/src/web_assets.rs): beside
# every text file and the WASM module under web/ (or the directory given), NAME.br
# (brotli, quality 11) and NAME.gz (gzip -9), so that no request pays for compressing at
# the best ratio. Only variants missing or older than their file are written, so a second
# run takes a moment. The variants are build output (gitignored); the server never sends
# one older than its file. Needs Debian's brotli (scripts/setup.sh).
#
# Pages (*.html) are left out: the server rewrites them when it serves them (their
# scripts and styles under the versioned prefix), so it compresses them itself, once
# per version.
set -euo pipefail
cd "$(dirname "$0")/.."
web="${1:-web}"

written=0
# Writes FILE.br and FILE.gz unless they are there and not older than FILE.
compress() {
  local file="$1" variant out tmp
  for variant in br gz; do
    out="$file.$variant"
    if [ -f "$out" ] && ! [ "$file" -nt "$out" ]; then
      continue
    fi
    # Written beside, then moved: the server never reads half a variant.
    tmp="$out.tmp.$$"
    if [ "$variant" = br ]; then
      brotli --best --force --output="$tmp" -- "$file"
    else
      gzip -9 --no-name --stdout -- "$file" >"$tmp"
    fi
    # Brotli copies the file's time; the variant must not look older than its file.
    touch "$tmp"
    mv -f "$tmp" "$out"
    written=$((written + 1))
  done
}

# The site's own files; then the vendored modules the admin page loads
# (web/vendor/node_modules, which may be a link).
while IFS= read -r -d '' file; do compress "$file"; done < <(
  find "$web" \( -name node_modules -o -name '.*' \) -prune -o -type f \( -name '*.js' \
    -o -name '*.mjs' -o -name '*.css' -o -name '*.svg' -o -name '*.wasm' -o -name '*.json' \
    -o -name '*.webmanifest' -o -name '*.txt' \) -print0
)
if [ -d "$web/vendor/node_modules" ]; then
  while IFS= read -r -d '' file; do compress "$file"; done < <(
    find -L "$web/vendor/node_modules" -name '.*' -prune -o -type f \( -name '*.js' -o -name '*.mjs' \) -print0
  )
fi

wasm="$web/pkg/agriwaste_analytics_bg.wasm"
if [ -f "$wasm" ]; then
  echo "compress-web: $written variants written; WASM $(wc -c <"$wasm") bytes, $(wc -c <"$wasm.br") br, $(wc -c <"$wasm.gz") gzip"
else
  echo "compress-web: $written variants written (no WASM module yet: run just wasm)"
fi
