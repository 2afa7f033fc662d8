#!/usr/bin/env bash
# The one command that runs every SessionMesh test on a fresh machine:
# restores packages, builds with warnings as errors, and runs the two xunit suites one after the
# other: tests/fast (grains and storage in process, real SQLite, stepped clocks; under a minute),
# then tests/integration (real HTTP, CLI and silo processes, TLS, Chromium, PostgreSQL).
# Arguments go to both `dotnet test` runs (e.g. --filter "Category=Postgres"). The PostgreSQL cluster tests get one throwaway server,
# provisioned here (scripts/postgres.sh installs Debian's package if the binaries are missing) and
# handed to the tests through SESSION_MESH_TEST_POSTGRES (admin connection string),
# SESSION_MESH_TEST_POSTGRES_DIR (its directory, for stopping and starting it) and PG_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# --- Browser tests (tests/integration/Browser): Playwright drives Debian's chromium, since the
# browser build Playwright would download cannot be fetched here. Install it when missing.
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
# --- end of browser tests block

dotnet restore SessionMesh.Orleans.sln
dotnet build SessionMesh.Orleans.sln --no-restore -c Release

log=$(mktemp)
pgdir=$(mktemp -d -t sessionmesh-test-pg-XXXXXX)
cleanup() {
  PG_BIN=${PG_BIN:-} scripts/postgres.sh stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$pgdir" "$log"
}
trap cleanup EXIT

PG_BIN=$(scripts/postgres.sh bin)
export PG_BIN
pgport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SESSION_MESH_TEST_POSTGRES=$(scripts/postgres.sh start "$pgdir" "$pgport")
export SESSION_MESH_TEST_POSTGRES SESSION_MESH_TEST_POSTGRES_DIR=$pgdir
status=0
for suite in tests/fast tests/integration; do
  echo "--- $suite"
  dotnet test "$suite" --no-build -c Release --blame-hang-timeout 5m --logger "console;verbosity=normal" "$@" 2>&1 | tee -a "$log" || status=$?
done

# One plain summary line, summed over every test assembly.
count() { { grep -oE "^\s+$1: [0-9]+" "$log" || true; } | awk '{s += $2} END {print s + 0}'; }
passed=$(count Passed)
failed=$(count Failed)
# Repeat every failure, with its message, last: a long log's tail is what a reader sees first.
if [ "$failed" != 0 ]; then
  echo "--- failed tests"
  awk '/^[ \t]+Failed [A-Za-z]/ {n = 25} n > 0 {print; n--}' "$log"
fi
echo "tests: $passed passed, $failed failed"
exit "$status"
