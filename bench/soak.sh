#!/usr/bin/env bash
# A longer soak of the randomized model-based tests (tests/fast/Model): every property
# runs RUNS random operation sequences (the two-silo one SILO_RUNS) against a real cluster with the
# audit after each sequence, and the result is summed up as sequences, operations, violations.
#   bench/soak.sh [RUNS] [SILO_RUNS]        defaults: 500 and 25
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-500}
silo_runs=${2:-25}

dotnet build SessionMesh.Orleans.sln -c Release >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$(date +%s)
status=0
SESSION_MESH_MODEL_RUNS=$runs SESSION_MESH_MODEL_SILO_RUNS=$silo_runs \
  dotnet test tests/fast -c Release --no-build --filter "Category=Model" \
  --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?

# Passing properties print "MODEL <mix>: N sequences, M operations, 0 violations, T s";
# a failing one prints FsCheck's report: the seed, the original and the shrunk sequence.
grep -E "^\s*MODEL " "$log" | sed 's/^ *//' || true
grep -E -A3 "Falsifiable|^\s*Shrunk:|with exception:|ModelException|Failed SessionMesh" "$log" | grep -vE "^\s+at " || true
sequences=$(grep -oE "MODEL .*: [0-9]+ sequences" "$log" | grep -oE "[0-9]+ sequences" | awk '{s += $1} END {print s + 0}')
operations=$(grep -oE "[0-9]+ operations" "$log" | awk '{s += $1} END {print s + 0}')
failed=$(grep -cE "^\s+Failed SessionMesh" "$log" || true)
echo "soak: $sequences sequences, $operations operations in passing properties; $failed failing properties (each a violation with its shrunk counterexample above); $(( $(date +%s) - started )) s"
exit "$status"
