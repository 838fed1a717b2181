#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on loopback for the tests that need a real server
# (LedgerCentral, docs/CENTRAL.md), and prints the URL to export as TREATMENT_LEDGER_POSTGRES_URL.
# Installs Debian's `postgresql` when it is missing. Trust authentication on 127.0.0.1 only.
#   .ci/postgres.sh start [DATADIR] [PORT]   (defaults: /tmp/treatment-ledger-pg, 55432)
#   .ci/postgres.sh stop  [DATADIR]
set -euo pipefail
action=${1:-start}
data=${2:-/tmp/treatment-ledger-pg}
port=${3:-55432}
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
# PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$action" in
  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data"
      [ "$(id -u)" = 0 ] && chown postgres: "$data"
      as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data -c fsync=off -c max_connections=200" \
        start >/dev/null
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    ;;
  *) echo "usage: $0 start|stop [DATADIR] [PORT]" >&2; exit 2 ;;
esac
