#!/usr/bin/env bash
# Starts, when they are not already running, the replication pairs the replica tests use,
# each on its own ports with its own data directory under $BELLOWS_REPLICAS_DIR
# (default /tmp/bellows-replicas), leaving the default servers (5432, 3306) alone:
#
#   PostgreSQL primary 127.0.0.1:5434 (initdb'd here: the default cluster does not allow
#              replication connections) and a streaming replica 127.0.0.1:5433
#   MariaDB    primary 127.0.0.1:3307 (binary log on) and a replica 127.0.0.1:3308, which
#              reports itself to the primary (report_host, for SHOW SLAVE HOSTS)
#
# Idempotent and fast when everything is up (it only checks); starts cold on a fresh
# machine. Runs as root (the PostgreSQL servers run as the postgres user, MariaDB as root
# with --user=root), or as the postgres user for the PostgreSQL pair. Prints the test URLs
# as `export` lines:
#   eval "$(scripts/replicas.sh)"
set -euo pipefail

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}
BASE=${BELLOWS_REPLICAS_DIR:-/tmp/bellows-replicas}
PG_PRIMARY=5434 PG_REPLICA=5433 MY_PRIMARY=3307 MY_REPLICA=3308

log() { echo "replicas: $*" >&2; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_up() { "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$1"; }

pg_start() { # data dir, port
  as_postgres "$PGBIN/pg_ctl" -D "$1" -l "$1.log" -w -t 60 -o "-p $2" start >/dev/null
}

start_postgres() {
  mkdir -p "$BASE"
  chmod 755 "$BASE"
  [ "$(id -u)" = 0 ] && chown postgres "$BASE"
  local primary=$BASE/pg-primary replica=$BASE/pg-replica
  if ! pg_up $PG_PRIMARY; then
    if [ ! -f "$primary/PG_VERSION" ]; then
      log "initdb PostgreSQL primary in $primary"
      as_postgres "$PGBIN/initdb" -D "$primary" -U postgres --auth=trust -E UTF8 >/dev/null
      as_postgres tee -a "$primary/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BASE'
wal_level = replica
max_wal_senders = 5
shared_buffers = 32MB
fsync = off
EOF
      echo "host replication all 127.0.0.1/32 trust" | as_postgres tee -a "$primary/pg_hba.conf" >/dev/null
    fi
    log "starting the PostgreSQL primary on $PG_PRIMARY"
    pg_start "$primary" $PG_PRIMARY
  fi
  if ! pg_up $PG_REPLICA; then
    if [ ! -f "$replica/PG_VERSION" ]; then
      log "pg_basebackup of the primary into $replica"
      as_postgres "$PGBIN/pg_basebackup" -h 127.0.0.1 -p $PG_PRIMARY -U postgres -D "$replica" -R -X stream
    fi
    log "starting the PostgreSQL replica on $PG_REPLICA"
    pg_start "$replica" $PG_REPLICA
  fi
}

my() { mariadb --protocol=tcp -h 127.0.0.1 -P "$1" -u root "${@:2}"; }

my_up() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$1" -u root ping >/dev/null 2>&1; }

start_mariadb_server() { # name, port, server id; returns 1 when it was already up
  local dir=$BASE/my-$1
  if my_up "$2"; then
    # A replica started before it reported itself (report_host) is restarted once.
    if [ "$1" = replica ] && [ "$(my "$2" -N -e 'SELECT @@report_host IS NULL')" = 1 ]; then
      log "restarting MariaDB $1 on $2 with report_host"
      mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$2" -u root shutdown
    else
      return 1
    fi
  fi
  if [ ! -d "$dir/mysql" ]; then
    log "mariadb-install-db into $dir"
    mkdir -p "$dir"
    mkdir -p "$dir.tmp"
    mariadb-install-db --no-defaults --user=root --datadir="$dir" --tmpdir="$dir.tmp" \
      --auth-root-authentication-method=normal --skip-test-db >/dev/null
  fi
  log "starting MariaDB $1 on $2"
  mkdir -p "$dir.tmp"
  setsid mariadbd --no-defaults --user=root --datadir="$dir" --tmpdir="$dir.tmp" --port="$2" --bind-address=127.0.0.1 \
    --socket="$BASE/my-$1.sock" --pid-file="$BASE/my-$1.pid" --log-error="$BASE/my-$1.err" \
    --server-id="$3" --log-bin=binlog --binlog-format=ROW --innodb-buffer-pool-size=64M \
    --skip-name-resolve --report-host=127.0.0.1 --report-port="$2" </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 120); do
    my_up "$2" && return
    sleep 0.25
  done
  log "MariaDB $1 did not start; see $BASE/my-$1.err"
  exit 1
}

start_mariadb() {
  mkdir -p "$BASE"
  start_mariadb_server primary $MY_PRIMARY 1 || true
  # Replication is started only with the replica: a running test may have stopped its
  # SQL thread on purpose (the tests start it again themselves).
  if start_mariadb_server replica $MY_REPLICA 2; then
    if [ -z "$(my $MY_REPLICA -N -e 'SHOW SLAVE STATUS')" ]; then
      log "pointing the MariaDB replica at the primary"
      my $MY_REPLICA -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$MY_PRIMARY, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos"
    fi
    my $MY_REPLICA -e "START SLAVE"
  fi
}

start_postgres
start_mariadb
cat <<EOF
export BELLOWS_TEST_PG_PRIMARY_URL=postgres://postgres@127.0.0.1:$PG_PRIMARY/postgres
export BELLOWS_TEST_PG_REPLICA_URL=postgres://postgres@127.0.0.1:$PG_REPLICA/postgres
export BELLOWS_TEST_MY_PRIMARY_URL=mysql://root@127.0.0.1:$MY_PRIMARY/mysql
export BELLOWS_TEST_MY_REPLICA_URL=mysql://root@127.0.0.1:$MY_REPLICA/mysql
EOF
