#!/usr/bin/env bash
# A throwaway PostgreSQL for tests and local clusters: Debian's server binaries, a cluster in DIR,
# listening on 127.0.0.1:PORT only. Installs the Debian package when the binaries are missing,
# unless PG_BIN names the server's bin directory (then it only uses that, and never installs).
#   scripts/postgres.sh start DIR [PORT]   prints the connection string on stdout
#   scripts/postgres.sh stop DIR
#   scripts/postgres.sh restart DIR
#   scripts/postgres.sh bin                prints the bin directory (installing the package if needed)
set -euo pipefail
cmd=${1:?usage: postgres.sh start|stop|restart DIR [PORT] | bin}
if [ "$cmd" = bin ]; then set -- bin -; fi
dir=${2:?usage: postgres.sh start|stop|restart DIR [PORT] | bin}
port=${3:-55432}

pgbin() {
  local bin
  if [ -n "${PG_BIN:-}" ]; then
    [ -x "$PG_BIN/initdb" ] || { echo "postgres.sh: PG_BIN=$PG_BIN has no initdb" >&2; exit 1; }
    echo "$PG_BIN"; return
  fi
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "postgres.sh: installing PostgreSQL (Debian package)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$bin"
}

# initdb and the server refuse to run as root: run them as the postgres user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    bin=$(pgbin)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; chmod 700 "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >&2 \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" > "$dir/port"
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = 'sessionmesh'" | grep -q 1 \
      || as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres sessionmesh
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=sessionmesh;Maximum Pool Size=50"
    ;;
  stop)
    bin=$(pgbin)
    [ -f "$dir/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    ;;
  restart)
    bin=$(pgbin)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 restart \
      -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" -l "$dir/server.log" >&2
    ;;
  bin)
    pgbin
    ;;
  *)
    echo "usage: postgres.sh start|stop|restart DIR [PORT]" >&2; exit 2 ;;
esac
