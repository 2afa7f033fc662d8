#!/usr/bin/env bash
# Every figure of BENCHMARKS.md in one run, next to its alternative measured on the same machine:
#   bench/run.sh [--quick]
# writes bench/results/latest.json (named figures, the machine, the commit) and
# bench/results/scale.png (the 1k → 1M curve). --quick: 5 s per figure instead of 10, and no
# workstation-GC pass (9.4 minutes in its last run here). Installs what it needs when missing (wrk, gnuplot, PostgreSQL — Debian
# packages), starts a throwaway PostgreSQL and a silo process on free loopback ports, and stops
# both (by PID) when done.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac
seconds=$([ $quick = 1 ] && echo 5 || echo 10)
results=bench/results
mkdir -p "$results"

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]} (Debian packages)..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

work=$(mktemp -d /tmp/sessionmesh-bench.XXXXXX)
chmod 755 "$work"
figures=$work/figures.json
pgdir=$(mktemp -d -t sessionmesh-bench-pg-XXXXXX)
silo_pid=
cleanup() {
  [ -n "$silo_pid" ] && kill "$silo_pid" 2>/dev/null && wait "$silo_pid" 2>/dev/null || true
  PG_BIN=${PG_BIN:-} scripts/postgres.sh stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work" "$pgdir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

dotnet build bench -c Release -v q -nologo >/dev/null
# Figures go to $figures, or to $FIGURES when a call sets it.
bench() { dotnet bench/bin/Release/net10.0/SessionMesh.Bench.dll "$@" --json "${FIGURES:-$figures}"; }
embedded=(--seconds "$seconds" --concurrency 256 --sessions 100000 --pages 200)

echo "== heartbeats, no-op calls, SQLite spawns, alive discovery, memory (embedded SQLite)"
bench "${embedded[@]}"

workstation_gc=()
if [ $quick = 0 ]; then
  # Not in --quick (it keeps to the figures issue 15 names, under 10 minutes).
  echo "== the same with workstation GC (DOTNET_gcServer=0): the GC trade-off, next to the default's figures"
  DOTNET_gcServer=0 FIGURES=$work/figures-workstation-gc.json bench "${embedded[@]}"
  workstation_gc=(--workstation-gc "$work/figures-workstation-gc.json")
fi

echo "== PostgreSQL: three silos, spawn and handoff next to a raw upsert and a row update per heartbeat"
PG_BIN=$(scripts/postgres.sh bin)
export PG_BIN
postgres=$(scripts/postgres.sh start "$pgdir" "$(free_port)")
bench --postgres "$postgres" --concurrency 64 --seconds "$seconds"
scripts/postgres.sh stop "$pgdir" >/dev/null

echo "== scale: 1k, 10k, 100k, 1M stored sessions"
bench --scale --seconds "$seconds"

echo "== alive discovery with 100k and 1M tracked sessions (seeded; cold, then warm)"
bench --discovery-scale --pages 200

echo "== the older tool's design: one JSON file rewritten per change"
bench --json-file-design --seconds "$seconds"

echo "== HTTP: heartbeat vs GET /health/live on one silo process (wrk)"
http_port=$(free_port)
key=bench-admin-key-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
dotnet silo/bin/Release/net10.0/SessionMesh.Silo.dll \
  --SessionMesh:DataDirectory="$work/silo" --SessionMesh:HttpUrl="http://127.0.0.1:$http_port" \
  --SessionMesh:SiloPort="$(free_port)" --SessionMesh:GatewayPort="$(free_port)" \
  --SessionMesh:AdminKey="$key" --Logging:LogLevel:Default=Warning > "$work/silo.log" 2>&1 &
silo_pid=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$http_port/health/ready" >/dev/null 2>&1 && break
  kill -0 "$silo_pid" 2>/dev/null || { cat "$work/silo.log" >&2; exit 1; }
  sleep 0.5
done
for i in $(seq 0 255); do
  curl -fsS -o /dev/null -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d "{\"agent_id\": \"wrk-agent-$i\", \"specialization\": \"bench\", \"lease_ttl\": 600}" \
    "http://127.0.0.1:$http_port/api/session-mesh/registry"
done
cat > "$work/heartbeat.lua" <<'LUA'
-- The 256 requests are formatted once, so wrk spends on a heartbeat what it spends on /health/live
-- (on two cores it shares the CPU with the silo; formatting each request in Lua took a share of it).
local requests = {}
local n = 0
init = function(args)
  local key = os.getenv("BENCH_KEY")
  for i = 0, 255 do
    requests[i] = wrk.format("POST", "/api/session-mesh/agents/wrk-agent-" .. i .. "/heartbeat",
      { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }, '{"epoch": 1}')
  end
end
request = function()
  n = (n + 1) % 256
  return requests[n]
end
LUA
clock_ticks=$(getconf CLK_TCK)
# One wrk round; its output gains the silo's CPU seconds spent during it (user + system).
wrk_round() { # out-file wrk-args...
  local out=$1; shift
  local before after
  before=$(awk '{print $14 + $15}' "/proc/$silo_pid/stat")
  BENCH_KEY=$key wrk -t 2 -c 64 --latency "$@" > "$out"
  after=$(awk '{print $14 + $15}' "/proc/$silo_pid/stat")
  echo "silo CPU seconds: $(python3 -c "print(($after - $before) / $clock_ticks)")" >> "$out"
}
rate() { awk '/Requests\/sec/{print $2}' "$1"; }
# Warm-up until the JIT has settled: from a cold start the heartbeat path takes 20-25 s of load
# before its rate stops climbing (about 10,000 methods compiled and recompiled at higher tiers),
# and rounds timed inside that ramp measured the JIT. Pairs of 5 s rounds, at least three, until
# the heartbeat rate of a pair is within 10 % of the pair before (at most eight; four under --quick).
previous=0
for pair in $(seq 1 $([ $quick = 1 ] && echo 4 || echo 8)); do
  wrk_round "$work/warm-live.txt" -d 5s "http://127.0.0.1:$http_port/health/live"
  wrk_round "$work/warm-heartbeat.txt" -d 5s -s "$work/heartbeat.lua" "http://127.0.0.1:$http_port"
  current=$(rate "$work/warm-heartbeat.txt")
  echo "warm-up $pair: /health/live $(rate "$work/warm-live.txt") req/s, heartbeat $current req/s"
  [ "$pair" -ge 3 ] && python3 -c "import sys; sys.exit(0 if abs($current - $previous) <= 0.1 * $previous else 1)" && break
  previous=$current
done
# Rounds that alternate the endpoints (five; three under --quick); results.py reports the median round.
wrk_files=()
for round in $(seq 1 $([ $quick = 1 ] && echo 3 || echo 5)); do
  wrk_round "$work/wrk-live-$round.txt" -d "${seconds}s" "http://127.0.0.1:$http_port/health/live"
  wrk_round "$work/wrk-heartbeat-$round.txt" -d "${seconds}s" -s "$work/heartbeat.lua" "http://127.0.0.1:$http_port"
  grep -H "Requests/sec\|silo CPU" "$work/wrk-live-$round.txt" "$work/wrk-heartbeat-$round.txt"
  wrk_files+=(--wrk-live "$work/wrk-live-$round.txt" --wrk-heartbeat "$work/wrk-heartbeat-$round.txt")
done
kill "$silo_pid" && wait "$silo_pid" 2>/dev/null || true
silo_pid=

python3 bench/results.py "$figures" "${wrk_files[@]}" "${workstation_gc[@]}" \
  --quick "$quick" --seconds "$seconds" --load-at-start "$load_at_start" --out "$results"
