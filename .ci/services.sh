#!/usr/bin/env bash
# Makes sure MariaDB and Redis answer on 127.0.0.1, starting them, or installing
# them from Debian's packages, when they do not. Sourced by .ci/run and the demo.

log() { echo "[services] $*" >&2; }

mariadb_answers() { mariadb -h127.0.0.1 -uroot --connect-timeout=2 -e 'SELECT 1' >/dev/null 2>&1; }
redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

apt_install() {
  log "installing $* from Debian's packages"
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >&2; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

wait_for() { # wait_for SECONDS CHECK
  local until=$(( $(date +%s) + $1 )); shift
  while ! "$@"; do
    [ "$(date +%s)" -ge "$until" ] && return 1
    sleep 0.5
  done
}

ensure_mariadb() {
  mariadb_answers && return 0
  [ -x /usr/sbin/mariadbd ] || apt_install mariadb-server mariadb-client
  log "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for 60 mariadb -uroot --connect-timeout=2 -e 'SELECT 1' || { log "MariaDB did not start"; return 1; }
  if ! mariadb_answers; then
    # A fresh Debian install lets root in only over the socket; tests connect over TCP with no password.
    log "allowing root over TCP with an empty password (local test server)"
    mariadb -uroot -e "ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(''); FLUSH PRIVILEGES;"
  fi
  mariadb_answers || { log "MariaDB does not accept root@127.0.0.1"; return 1; }
  mariadb -h127.0.0.1 -uroot -e 'CREATE DATABASE IF NOT EXISTS test'
}

# The end-to-end tests run several publishers and subscribers at once, each with a pool.
raise_connection_limit() {
  mariadb -h127.0.0.1 -uroot -e 'SET GLOBAL max_connections = GREATEST(@@max_connections, 500)' || log "could not raise max_connections"
}

ensure_redis() {
  redis_answers && return 0
  command -v redis-server >/dev/null || apt_install redis-server
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_for 30 redis_answers || { log "Redis did not start"; return 1; }
}

# Debian's Chromium, for the browser tests (playwright-core drives it; it downloads no browser of its own).
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  apt_install chromium
}

ensure_services() {
  ensure_mariadb
  raise_connection_limit
  ensure_redis
  log "MariaDB and Redis answer on 127.0.0.1"
}

# Run directly (npm run demo does): make sure both answer, or fail saying which does not.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  ensure_services
fi
