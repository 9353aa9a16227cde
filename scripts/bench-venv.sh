#!/usr/bin/env bash
# The Python venv of the benchmarks (bench/.venv) with the pinned dataframe libraries of
# bench/requirements.txt. Idempotent: reinstalls only when the requirements change.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=bench/.venv
stamp="$venv/requirements.sha256"
want=$(sha256sum bench/requirements.txt | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
# Debian's python3 keeps venv (ensurepip) in a package of its own.
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bench-venv: installing python3-venv"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
fi
echo "bench-venv: installing bench/requirements.txt into $venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
echo "$want" >"$stamp"
