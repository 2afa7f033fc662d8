#!/usr/bin/env bash
# A local multi-silo SessionMesh cluster without Docker: a throwaway PostgreSQL and N silo
# processes on 127.0.0.1. It stops exactly what it started (by the PIDs it recorded).
#   scripts/cluster.sh up [N]      start PostgreSQL and N silos (default 3)
#   scripts/cluster.sh status      which silos run, and whether they are ready
#   scripts/cluster.sh kill I      SIGKILL silo I (to watch failover)
#   scripts/cluster.sh start I     start silo I again
#   scripts/cluster.sh down        stop every silo, then PostgreSQL
# Silo I listens on HTTP 5280+I, silo port 11110+I, gateway 30000+I. Same settings as docker-compose.yml.
set -euo pipefail
cd "$(dirname "$0")/.."
state=${SESSION_MESH_CLUSTER_DIR:-${TMPDIR:-/tmp}/sessionmesh-cluster-$(id -u)}
pg_port=${SESSION_MESH_PG_PORT:-55432}
admin_key=${SESSION_MESH_ADMIN_KEY:-local-cluster-admin-key-0123456789}

start_silo() {
  local i=$1
  local dll=$state/silo/SessionMesh.Silo.dll
  SESSION_MESH_POSTGRES="$(cat "$state/connection")" SESSION_MESH_ADMIN_KEY="$admin_key" \
    nohup dotnet "$dll" \
      --SessionMesh:HttpUrl="http://127.0.0.1:$((5280 + i))" \
      --SessionMesh:SiloPort="$((11110 + i))" \
      --SessionMesh:GatewayPort="$((30000 + i))" \
      --SessionMesh:AdvertisedAddress=127.0.0.1 \
      --SessionMesh:Tls:Directory="$state/tls" \
      >"$state/silo$i.log" 2>&1 &
  echo $! >"$state/silo$i.pid"
  echo "silo $i: pid $!, API http://127.0.0.1:$((5280 + i))/api/session-mesh, dashboard http://127.0.0.1:$((5280 + i))/dashboard, log $state/silo$i.log"
}

ready() {
  curl -fsS --max-time 2 "http://127.0.0.1:$((5280 + $1))/health/ready" >/dev/null 2>&1
}

case "${1:-}" in
  up)
    n=${2:-3}
    mkdir -p "$state"
    scripts/postgres.sh start "$state/pg" "$pg_port" >"$state/connection"
    echo "PostgreSQL: $(cat "$state/connection")"
    dotnet publish silo/SessionMesh.Silo.csproj -c Release -o "$state/silo" --nologo -v quiet >/dev/null
    dotnet "$state/silo/SessionMesh.Silo.dll" tls init "$state/tls"   # the mesh CA + silo/client certificates, once
    for i in $(seq 1 "$n"); do start_silo "$i"; done
    for i in $(seq 1 "$n"); do
      for _ in $(seq 1 60); do ready "$i" && break; sleep 1; done
      ready "$i" && echo "silo $i ready" || echo "silo $i NOT ready (see $state/silo$i.log)"
    done
    echo "admin key: \$SESSION_MESH_ADMIN_KEY (default '$admin_key'); e.g. export SESSION_API_KEY='$admin_key'"
    ;;
  start)
    start_silo "${2:?silo number}"
    ;;
  status)
    for pidfile in "$state"/silo*.pid; do
      [ -e "$pidfile" ] || { echo "no silos"; break; }
      i=$(basename "$pidfile" .pid); i=${i#silo}
      pid=$(cat "$pidfile")
      if kill -0 "$pid" 2>/dev/null; then
        ready "$i" && echo "silo $i: pid $pid, ready" || echo "silo $i: pid $pid, not ready"
      else
        echo "silo $i: stopped"
      fi
    done
    ;;
  kill)
    i=${2:?silo number}
    kill -9 "$(cat "$state/silo$i.pid")" && echo "silo $i killed (SIGKILL)"
    ;;
  down)
    pids=()
    for pidfile in "$state"/silo*.pid; do
      [ -e "$pidfile" ] || continue
      pid=$(cat "$pidfile")
      kill -TERM "$pid" 2>/dev/null && { echo "stopping silo pid $pid"; pids+=("$pid"); } || true
      rm -f "$pidfile"
    done
    # Wait for a clean stop (they deactivate grains and leave the membership table), then insist.
    for pid in "${pids[@]}"; do
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && { echo "silo pid $pid did not stop in 30 s: SIGKILL"; kill -9 "$pid"; } || true
    done
    scripts/postgres.sh stop "$state/pg" || true
    echo "down"
    ;;
  *)
    sed -n '2,10p' "$0"; exit 2 ;;
esac
