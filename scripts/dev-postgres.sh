#!/usr/bin/env bash
# dev-postgres.sh start|stop|url DIR — a private PostgreSQL cluster for the state dir DIR, laid out like
# decnetd --dev-stack (devstack/postgres.go): data in DIR/postgres when the postgres user can reach it, else in
# /var/lib/decnet-pg/<random> recorded in DIR/postgres.location; unix socket only (in the data dir); runs as the
# postgres user. Run as root.
set -euo pipefail
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}; dir=${2:-}
[[ -n $cmd && -n $dir ]] || { echo "usage: $0 start|stop|url DIR" >&2; exit 2; }
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)

datadir() {
  if [[ -s $dir/postgres.location ]]; then cat "$dir/postgres.location"; return; fi
  local d
  if runuser -u postgres -- test -x "$dir"; then d=$dir/postgres
  else mkdir -p /var/lib/decnet-pg; chmod 755 /var/lib/decnet-pg; d=/var/lib/decnet-pg/$(head -c8 /dev/urandom | od -An -tx1 | tr -d ' \n'); fi
  echo "$d" > "$dir/postgres.location"; echo "$d"
}
data=$(datadir)
url="postgres:///decnet?host=$data&user=postgres&sslmode=disable"

running() { [[ -f $data/postmaster.pid ]] && kill -0 "$(head -1 "$data/postmaster.pid")" 2>/dev/null; }

case $cmd in
start)
  mkdir -p "$data"; chown postgres:postgres "$data"; chmod 700 "$data"
  if [[ ! -f $data/PG_VERSION ]]; then
    runuser -u postgres -- "$BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale --no-instructions >/dev/null
    printf "\n# decnet dev stack: unix socket only\nlisten_addresses = ''\nunix_socket_directories = '%s'\nunix_socket_permissions = 0700\nmax_connections = 100\nmax_wal_size = 1GB\nlogging_collector = off\n" "$data" >> "$data/postgresql.conf"
  fi
  if ! running; then
    setsid runuser -u postgres -- "$BIN/postgres" -D "$data" >>"$data/server.log" 2>&1 < /dev/null &
    for _ in $(seq 1 300); do
      "$BIN/pg_isready" -q -h "$data" && break; sleep 0.1
    done
  fi
  "$BIN/pg_isready" -q -h "$data" || { echo "postgres did not start; see $data/server.log" >&2; exit 1; }
  "$BIN/psql" -h "$data" -U postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='decnet'" | grep -q 1 ||
    "$BIN/psql" -h "$data" -U postgres -qc "CREATE DATABASE decnet"
  echo "$url" ;;
stop)
  if running; then
    pid=$(head -1 "$data/postmaster.pid"); kill -INT "$pid"
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi ;;
url) echo "$url" ;;
*) echo "usage: $0 start|stop|url DIR" >&2; exit 2 ;;
esac
