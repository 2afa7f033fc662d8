#!/usr/bin/env bash
# A local multi-silo SessionMesh cluster without Docker: a throwaway PostgreSQL and N silo
# processes on 127.0.0.1. It stops exactly what it started (by the PIDs it recorded, after checking
# that each is still one of its own silos).
#   scripts/cluster.sh up [N]      start PostgreSQL and N silos (default 3); fails if one is not ready
#   scripts/cluster.sh status      which silos run, and whether they are ready
#   scripts/cluster.sh kill I      SIGKILL silo I (to watch failover)
#   scripts/cluster.sh start I     start silo I again
#   scripts/cluster.sh down        stop every silo, then PostgreSQL
# Ports: silo I listens on HTTP 5280+I, silo port 11110+I, gateway 30000+I, PostgreSQL on 55432.
# With SESSION_MESH_BASE_PORT=B: HTTP B+I, silo port B+10+I, gateway B+20+I, PostgreSQL B+50
# (up to 9 silos), so two clusters (two checkouts) can share a host. State lives in a temp folder per checkout
# (SESSION_MESH_CLUSTER_DIR overrides it). Same settings as docker-compose.yml.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$(pwd -P)
state=${SESSION_MESH_CLUSTER_DIR:-${TMPDIR:-/tmp}/sessionmesh-cluster-$(id -u)-$(printf '%s' "$checkout" | sha256sum | cut -c1-12)}
admin_key=${SESSION_MESH_ADMIN_KEY:-local-cluster-admin-key-0123456789}

# Ports are fixed when the cluster comes up and read back by every later command.
if [ -f "$state/ports" ]; then
  # shellcheck disable=SC1091
  . "$state/ports"
elif [ -n "${SESSION_MESH_BASE_PORT:-}" ]; then
  http_base=$SESSION_MESH_BASE_PORT silo_base=$((SESSION_MESH_BASE_PORT + 10))
  gateway_base=$((SESSION_MESH_BASE_PORT + 20)) pg_port=${SESSION_MESH_PG_PORT:-$((SESSION_MESH_BASE_PORT + 50))}
else
  http_base=5280 silo_base=11110 gateway_base=30000 pg_port=${SESSION_MESH_PG_PORT:-55432}
fi

die() { echo "cluster.sh: $*" >&2; exit 1; }

# A recorded PID is ours only while it runs and its command line names this cluster's state folder.
ours() {
  local pid=$1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$state/"
}

silo_pid() { cat "$state/silo$1.pid" 2>/dev/null || true; }

postgres_runs() {
  local pid
  pid=$(head -n 1 "$state/pg/data/postmaster.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

connection() {
  local c
  c=$(cat "$state/connection" 2>/dev/null || true)
  [ -n "$c" ] || die "no PostgreSQL connection string in $state/connection: run 'scripts/cluster.sh up' (a silo never falls back to SQLite)"
  printf '%s' "$c"
}

start_silo() {
  local i=$1 conn log
  conn=$(connection)
  [ -f "$state/silo/SessionMesh.Silo.dll" ] || die "no published silo in $state/silo: run 'scripts/cluster.sh up'"
  ours "$(silo_pid "$i")" && die "silo $i already runs (pid $(silo_pid "$i"))"
  log=$state/silo$i.log
  # Keep the log of the silo that ran before (it may have just died): rotate it, never truncate.
  [ -s "$log" ] && mv "$log" "$log.$(date -u +%Y%m%dT%H%M%SZ)"
  SESSION_MESH_POSTGRES="$conn" SESSION_MESH_ADMIN_KEY="$admin_key" \
    nohup dotnet "$state/silo/SessionMesh.Silo.dll" \
      --SessionMesh:Mode=cluster \
      --SessionMesh:HttpUrl="http://127.0.0.1:$((http_base + i))" \
      --SessionMesh:SiloPort="$((silo_base + i))" \
      --SessionMesh:GatewayPort="$((gateway_base + i))" \
      --SessionMesh:AdvertisedAddress=127.0.0.1 \
      --SessionMesh:Tls:Directory="$state/tls" \
      >>"$log" 2>&1 &
  echo $! >"$state/silo$i.pid"
  echo "silo $i: pid $!, API http://127.0.0.1:$((http_base + i))/api/session-mesh, dashboard http://127.0.0.1:$((http_base + i))/dashboard, gateway 127.0.0.1:$((gateway_base + i)), log $log"
}

ready() {
  curl -fsS --max-time 2 "http://127.0.0.1:$((http_base + $1))/health/ready" >/dev/null 2>&1
}

case "${1:-}" in
  up)
    n=${2:-3}
    [ -z "${SESSION_MESH_BASE_PORT:-}" ] || [ "$n" -le 9 ] || die "with SESSION_MESH_BASE_PORT at most 9 silos"
    mkdir -p "$state"
    if postgres_runs; then die "this checkout's cluster already runs ($state): 'scripts/cluster.sh down' first"; fi
    for pidfile in "$state"/silo*.pid; do
      [ -e "$pidfile" ] || continue
      if ours "$(cat "$pidfile")"; then die "this checkout's cluster already runs ($state): 'scripts/cluster.sh down' first"; fi
    done
    printf 'http_base=%s silo_base=%s gateway_base=%s pg_port=%s\n' "$http_base" "$silo_base" "$gateway_base" "$pg_port" >"$state/ports"
    # Written aside and moved into place only when PostgreSQL answered with a connection string.
    scripts/postgres.sh start "$state/pg" "$pg_port" >"$state/connection.new"
    [ -s "$state/connection.new" ] || die "PostgreSQL gave no connection string (see $state/pg/server.log)"
    mv "$state/connection.new" "$state/connection"
    echo "PostgreSQL: $(cat "$state/connection")"
    dotnet publish silo/SessionMesh.Silo.csproj -c Release -o "$state/silo" --nologo -v quiet >/dev/null
    dotnet "$state/silo/SessionMesh.Silo.dll" tls init "$state/tls"   # the mesh CA + silo/client certificates, once
    for i in $(seq 1 "$n"); do start_silo "$i"; done
    failed=0
    for i in $(seq 1 "$n"); do
      for _ in $(seq 1 90); do ready "$i" && break; ours "$(silo_pid "$i")" || break; sleep 1; done
      if ready "$i"; then echo "silo $i ready"; else echo "silo $i NOT ready (see $state/silo$i.log)" >&2; failed=1; fi
    done
    echo "admin key: \$SESSION_MESH_ADMIN_KEY (default '$admin_key'); e.g. export SESSION_API_KEY='$admin_key'"
    exit "$failed"
    ;;
  start)
    start_silo "${2:?silo number}"
    ;;
  status)
    postgres_runs && echo "PostgreSQL: $(cat "$state/connection" 2>/dev/null)" || echo "PostgreSQL: stopped"
    for pidfile in "$state"/silo*.pid; do
      [ -e "$pidfile" ] || { echo "no silos"; break; }
      i=$(basename "$pidfile" .pid); i=${i#silo}
      pid=$(cat "$pidfile")
      if ours "$pid"; then
        ready "$i" && echo "silo $i: pid $pid, ready" || echo "silo $i: pid $pid, not ready"
      else
        echo "silo $i: stopped"
      fi
    done
    ;;
  kill)
    i=${2:?silo number}
    pid=$(silo_pid "$i")
    ours "$pid" || die "silo $i is not running (pid file: ${pid:-none}); nothing signalled"
    kill -9 "$pid" && echo "silo $i killed (SIGKILL)"
    ;;
  down)
    pids=()
    for pidfile in "$state"/silo*.pid; do
      [ -e "$pidfile" ] || continue
      pid=$(cat "$pidfile")
      if ours "$pid"; then
        kill -TERM "$pid" && { echo "stopping silo pid $pid"; pids+=("$pid"); }
      else
        echo "pid file $pidfile names pid ${pid:-none}, not one of this cluster's silos: left alone"
      fi
      rm -f "$pidfile"
    done
    # Wait for a clean stop (they deactivate grains and leave the membership table), then insist.
    for pid in "${pids[@]}"; do
      for _ in $(seq 1 60); do ours "$pid" || break; sleep 0.5; done
      if ours "$pid"; then echo "silo pid $pid did not stop in 30 s: SIGKILL"; kill -9 "$pid"; fi
    done
    if [ -f "$state/pg/data/postmaster.pid" ]; then scripts/postgres.sh stop "$state/pg" || true; fi
    rm -f "$state/ports"
    echo "down"
    ;;
  *)
    sed -n '2,13p' "$0"; exit 2 ;;
esac
