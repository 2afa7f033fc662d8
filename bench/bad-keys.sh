#!/usr/bin/env bash
# What a flood of bad API keys costs the silo: one embedded silo (its own temp data directory and free
# loopback ports) gets ROUNDS × 20,000 requests, each with a fresh random key id and secret; the
# silo's resident memory (VmRSS) is printed before and after each round with the answers' status
# codes. The throttle answers most of them 429; unknown key ids are refused from memory either way.
#   bench/bad-keys.sh [ROUNDS]        default: 2
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}

dotnet build silo -c Release >/dev/null
data=$(mktemp -d -t sessionmesh-badkeys-XXXXXX)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http_port=$(free_port) silo_port=$(free_port) gateway_port=$(free_port)
dotnet silo/bin/Release/net10.0/SessionMesh.Silo.dll \
  --SessionMesh:DataDirectory="$data" --SessionMesh:HttpUrl="http://127.0.0.1:$http_port" \
  --SessionMesh:SiloPort="$silo_port" --SessionMesh:GatewayPort="$gateway_port" >"$data/silo.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data"' EXIT

for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$http_port/health/ready" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$http_port/health/ready" >/dev/null || { echo "silo not ready; log: $data/silo.log" >&2; exit 1; }

rss() { awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status"; }
echo "# bad keys against one embedded silo — $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# Let start-up settle (the first requests JIT and warm the pipeline), then measure.
python3 - "$http_port" 200 >/dev/null <<'EOF'
import http.client, secrets, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    c.request("GET", "/api/session-mesh/stats", headers={"Authorization": f"Bearer smk_{secrets.token_hex(8)}_{secrets.token_urlsafe(24)}"})
    c.getresponse().read()
EOF
echo "after 200 warm-up requests: $(rss)"
for round in $(seq 1 "$rounds"); do
  counts=$(python3 - "$http_port" 20000 <<'EOF'
import collections, http.client, secrets, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
seen = collections.Counter()
for _ in range(int(sys.argv[2])):
    c.request("GET", "/api/session-mesh/stats", headers={"Authorization": f"Bearer smk_{secrets.token_hex(8)}_{secrets.token_urlsafe(24)}"})
    r = c.getresponse(); r.read(); seen[r.status] += 1
print(" ".join(f"{k}×{v}" for k, v in sorted(seen.items())))
EOF
)
  echo "after round $round (20,000 bad keys: $counts): $(rss)"
done
