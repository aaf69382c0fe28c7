#!/bin/bash
# The official postgres image's entrypoint contract, cut to what the lab uses:
# on an empty PGDATA, initdb as POSTGRES_USER with POSTGRES_PASSWORD (or the
# content of POSTGRES_PASSWORD_FILE), create POSTGRES_DB, run
# /docker-entrypoint-initdb.d/*.sql|*.sql.gz|*.sh on a server that listens on
# no TCP port, stop it; then exec the command (as postgres). Started as root it
# fixes ownership and drops to postgres; started as postgres (compose's
# `user: postgres`) it needs no capability at all.
set -Eeuo pipefail
shopt -s nullglob

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
if [ "$1" != 'postgres' ]; then exec "$@"; fi

if [ "$(id -u)" = '0' ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
# POSTGRES_PASSWORD_FILE: the password is the file's content, read now (the
# official image's file_env; compose.yaml points it at a random source).
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    echo 'docker-entrypoint.sh: both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE are set' >&2
    exit 1
  fi
  POSTGRES_PASSWORD=$(<"$POSTGRES_PASSWORD_FILE")
  export POSTGRES_PASSWORD
  unset POSTGRES_PASSWORD_FILE
fi
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  echo 'docker-entrypoint.sh: POSTGRES_PASSWORD is not set' >&2
  exit 1
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA"
  printf '\nhost all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"

  # Init server: unix socket only, so nothing connects before the seed is in.
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -p 5432" start
  psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER")
  if [ "$POSTGRES_DB" != 'postgres' ]; then
    "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)     echo "docker-entrypoint.sh: running $f"; . "$f" ;;
      *.sql)    echo "docker-entrypoint.sh: running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "docker-entrypoint.sh: running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
      *)        echo "docker-entrypoint.sh: ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo 'docker-entrypoint.sh: init done; starting server'
fi

exec "$@"
