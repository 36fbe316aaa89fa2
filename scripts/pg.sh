#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for tests and benchmarks (Debian's postgresql-15, installed
# by scripts/deps.sh --test or --bench). Nothing is installed as a service and nothing listens on
# TCP: the server listens only on a Unix socket inside DIR.
#
#   scripts/pg.sh start DIR [PORT]   creates DIR (which must not hold a cluster yet), a cluster in
#                                    DIR/data, starts it on the socket DIR/.s.PGSQL.PORT (PORT
#                                    default 5432: on a socket it only names the file), waits
#                                    until it accepts connections, and prints its libpq URL:
#                                    postgresql://postgres@/postgres?host=DIR&port=PORT
#   scripts/pg.sh url DIR            prints that URL again for a running cluster
#   scripts/pg.sh stop DIR           stops it (fast shutdown) and removes DIR
#
# initdb refuses to run as root: as root the cluster belongs to the `postgres` system user that
# Debian's package creates (made here if missing) and DIR is chowned to it; otherwise to the
# caller. Authentication is `trust`, so DIR is made mode 0700: only its owner and root can reach
# the socket. The server keeps PostgreSQL's durability defaults (fsync, synchronous_commit and
# full_page_writes on), since the tests check what a durable store promises; initdb alone runs
# with --no-sync (a cluster that a crash interrupts mid-initdb is thrown away anyway).
# The server's log is DIR/server.log. Waits are event-driven: pg_ctl -w and pg_isready.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
MARK=.undersigned-pg  # in DIR: this script made it, so `stop` may remove it

die() { echo "pg.sh: $*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}"; }

# as_owner CMD...: runs CMD as the cluster's owner (postgres when we are root).
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    # runuser keeps no controlling terminal and needs no password; cd / so that a cwd the
    # postgres user cannot read does not trouble it.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

url_of() {  # url_of DIR PORT
  echo "postgresql://postgres@/postgres?host=$1&port=$2"
}

start() {
  local dir=$1 port=${2:-5432}
  [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "PORT must be 1 to 65535: $port"
  [[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb not found: install postgresql-15 (scripts/deps.sh --test)"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # The socket's path must fit in sockaddr_un (107 bytes with the NUL).
  local sock="$dir/.s.PGSQL.$port"
  ((${#sock} <= 100)) || die "socket path too long (${#sock} > 100 bytes): $sock; use a shorter DIR"
  [[ -e $dir/data ]] && die "$dir/data exists: a cluster is already there (scripts/pg.sh stop $dir)"
  touch "$dir/$MARK"
  if [[ $(id -u) -eq 0 ]]; then
    if ! getent passwd postgres >/dev/null; then
      useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin postgres
    fi
    chown -R postgres: "$dir"
    # Every parent of DIR must be searchable by postgres (e.g. not a 0700 home directory).
    runuser -u postgres -- test -x "$dir" ||
      die "the postgres user cannot reach $dir (a parent is not searchable); use a DIR under /tmp"
  fi
  chmod 0700 "$dir"

  as_owner "$PG_BIN/initdb" --pgdata="$dir/data" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C --no-sync --no-instructions >"$dir/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -5 "$dir/initdb.log")"
  # -w: pg_ctl waits until the server accepts connections (it polls with PQping). Sockets only.
  as_owner "$PG_BIN/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
    --silent -o "-k '$dir' -p $port -c listen_addresses='' -c max_connections=200" start ||
    die "the server did not start: $(tail -5 "$dir/server.log" 2>/dev/null)"
  "$PG_BIN/pg_isready" --quiet --host="$dir" --port="$port" --username=postgres --timeout=30 ||
    die "the server does not accept connections (see $dir/server.log)"
  echo "$port" >"$dir/port"
  url_of "$dir" "$port"
}

stop() {
  local dir=$1
  [[ -d $dir ]] || die "no such directory: $dir"
  dir=$(cd "$dir" && pwd)
  [[ -f $dir/$MARK ]] || die "$dir was not made by scripts/pg.sh start; not touching it"
  if [[ -f $dir/data/postmaster.pid ]]; then
    as_owner "$PG_BIN/pg_ctl" --pgdata="$dir/data" --mode=fast --wait --timeout=60 --silent stop ||
      die "pg_ctl stop failed (see $dir/server.log)"
  fi
  rm -rf "$dir"
}

case ${1:-} in
  start) [[ $# -ge 2 && $# -le 3 ]] || { usage >&2; exit 2; }; start "$2" "${3:-}" ;;
  stop) [[ $# -eq 2 ]] || { usage >&2; exit 2; }; stop "$2" ;;
  url)
    [[ $# -eq 2 && -f $2/port ]] || { usage >&2; exit 2; }
    url_of "$(cd "$2" && pwd)" "$(cat "$2/port")"
    ;;
  -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
