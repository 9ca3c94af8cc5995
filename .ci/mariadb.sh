#!/usr/bin/env bash
# Installs (if missing) and starts a throwaway MariaDB bound to 127.0.0.1, with its data under the project.
# Usage: source .ci/mariadb.sh start | stop.  Exports MYSQL_URL for the project's own user.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/.mariadb"
PORT="${MARIADB_PORT:-3307}"
SOCK="$DIR/mariadb.sock"
PIDFILE="$DIR/mariadb.pid"

mariadb_start() {
  if ! command -v mariadbd >/dev/null 2>&1; then
    echo "== installing MariaDB from Debian packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
  fi
  mkdir -p "$DIR"
  if [ ! -d "$DIR/data/mysql" ]; then
    mariadb-install-db --user="$(id -un)" --datadir="$DIR/data" --auth-root-authentication-method=normal \
      --skip-test-db >"$DIR/install.log" 2>&1
  fi
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "== MariaDB already running (pid $(cat "$PIDFILE"))"
  else
    mariadbd --no-defaults --user="$(id -un)" --datadir="$DIR/data" --socket="$SOCK" --port="$PORT" \
      --bind-address=127.0.0.1 --pid-file="$PIDFILE" --skip-log-bin --innodb-buffer-pool-size=256M \
      --max-connections=500 --innodb-flush-log-at-trx-commit=2 >"$DIR/mariadb.log" 2>&1 &
    for _ in $(seq 1 60); do
      mariadb-admin --socket="$SOCK" -uroot ping >/dev/null 2>&1 && break
      sleep 0.5
    done
    mariadb-admin --socket="$SOCK" -uroot ping >/dev/null
    echo "== MariaDB started on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"
  fi
  mariadb --socket="$SOCK" -uroot <<SQL
CREATE USER IF NOT EXISTS 'pc'@'127.0.0.1' IDENTIFIED BY 'pc-dev-password';
GRANT ALL PRIVILEGES ON *.* TO 'pc'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS partner_center CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL
  export MYSQL_URL="mariadb://pc:pc-dev-password@127.0.0.1:$PORT/partner_center"
}

mariadb_stop() {
  if [ -f "$PIDFILE" ]; then
    local pid
    pid="$(cat "$PIDFILE")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    echo "== MariaDB stopped (pid $pid)"
  fi
}

case "${1:-start}" in
  start) mariadb_start ;;
  stop) mariadb_stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
