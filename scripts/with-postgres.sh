#!/usr/bin/env bash
# Runs a command with a PostgreSQL server for the tests, exported as AGRIWASTE_TEST_PG_URL.
#
# Uses the server at AGRIWASTE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test)
# when it answers. When none answers, starts a throwaway cluster from Debian's postgresql
# package on a free port and stops it afterwards, so the PostgreSQL suite always runs and
# never silently skips.
set -euo pipefail

url="${AGRIWASTE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"

answers() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -d "$1"
  else
    psql "$1" -qtAc 'select 1' >/dev/null 2>&1
  fi
}

if answers "$url"; then
  export AGRIWASTE_TEST_PG_URL="$url"
  exec "$@"
fi

echo "with-postgres: no PostgreSQL answers at $url; starting a throwaway cluster"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_postgres=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root.
  chown postgres "$dir"
  as_postgres=(runuser -u postgres --)
fi
"${as_postgres[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
"${as_postgres[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w start \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400" >/dev/null
stop() { "${as_postgres[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap stop EXIT
psql "postgres://postgres@127.0.0.1:$port/postgres" -qc 'create database test' >/dev/null
export AGRIWASTE_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/test"
"$@"
