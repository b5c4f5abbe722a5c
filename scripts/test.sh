#!/usr/bin/env bash
# The whole test suite: make sure PostgreSQL and MariaDB answer (starting or installing
# them when they do not), then run every test. Usage: scripts/test.sh [extra nextest args]
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
MYSQL_HOST=${MYSQL_HOST:-127.0.0.1}
MYSQL_PORT=${MYSQL_PORT:-3306}
export PGHOST PGPORT PGUSER MYSQL_HOST MYSQL_PORT

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root to run: $*"; return 1; fi
}

install_packages() {
  command -v apt-get >/dev/null || { say "cannot install $* (no apt-get): install it yourself"; return 1; }
  say "installing $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_up() { pg_isready -h "$PGHOST" -p "$PGPORT" -q 2>/dev/null; }
mysql_up() { mariadb-admin -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u root --connect-timeout=2 ping >/dev/null 2>&1; }

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 60); do
    if $check; then return 0; fi
    sleep 0.5
  done
  say "$what did not come up"; return 1
}

ensure_postgres() {
  pg_up && return 0
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    install_packages postgresql postgresql-client
  fi
  say "starting PostgreSQL"
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL pg_up
  # Trust auth for local TCP connections is what the tests expect (as on CI).
  psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -Atqc "SELECT 1" >/dev/null
  psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
    || psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc "CREATE DATABASE test"
}

ensure_mariadb() {
  mysql_up && return 0
  if [ ! -x /usr/sbin/mariadbd ]; then
    install_packages mariadb-server mariadb-client
  fi
  say "starting MariaDB"
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for MariaDB mysql_up
  mariadb -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u root -e "CREATE DATABASE IF NOT EXISTS test"
}

ensure_postgres
ensure_mariadb
say "PostgreSQL and MariaDB are up"
eval "$(scripts/replicas.sh || echo exit 1)"  # replication pairs on their own ports (tests/replica_lag.rs)
# tests/catalog_report.rs opens the HTML report in headless Chromium.
command -v chromium >/dev/null || install_packages chromium
# tests/shell.rs parses the zsh and fish completion scripts with those shells.
command -v zsh >/dev/null && command -v fish >/dev/null || install_packages zsh fish

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast "$@"
  cargo test --doc --quiet
else
  cargo test --no-fail-fast "$@"
fi

# The workload benchmark in quick mode (bench/workload/README.md; both changes on both
# engines, ~90 s): no application query may fail while bellows applies its expand /
# backfill / contract steps.
say "workload benchmark (quick)"
bench/workload/run.sh --quick
