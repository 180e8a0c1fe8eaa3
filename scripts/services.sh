#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on localhost: start installed ones, install missing ones
# with apt when running as root. Used by `make test` and `make bench`.
set -euo pipefail

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
wait_for() { for _ in $(seq 1 30); do "$1" && return 0; sleep 1; done; return 1; }
as_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
  as_root || { echo "services.sh: $* missing and not root: install it yourself" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "services.sh: installing PostgreSQL"
    apt_install postgresql
    fresh_pg=1
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for pg_up || { echo "services.sh: PostgreSQL did not start" >&2; exit 1; }
  if [ "${fresh_pg:-0}" = 1 ]; then
    # A fresh cluster wants a password over TCP: give postgres the one the tests use.
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\""
  fi
fi

# The tests connect as postgres/postgres over TCP: make sure that works on a cluster we did not
# install ourselves either (trust auth needs nothing; password auth needs the password set).
if command -v psql >/dev/null && ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -tAc 'select 1' >/dev/null 2>&1; then
  if as_root; then
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" || true
  fi
  PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -tAc 'select 1' >/dev/null \
    || { echo "services.sh: cannot sign in to PostgreSQL as postgres/postgres on 127.0.0.1" >&2; exit 1; }
fi

if ! redis_up; then
  if ! command -v redis-server >/dev/null; then
    echo "services.sh: installing Redis"
    apt_install redis-server
  fi
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for redis_up || { echo "services.sh: Redis did not start" >&2; exit 1; }
fi
echo "services.sh: PostgreSQL and Redis are up"
