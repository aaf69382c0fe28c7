#!/usr/bin/env bash
# The stand-in's entry point, written to behave as the official image's
# (docker-library/postgres, 15/bookworm/docker-entrypoint.sh) does in every
# step the lab goes through, so that what fails there fails here:
#
#  1. `postgres ARGS` (or ARGS starting with a flag) runs the server; any
#     other command is exec'd as it is, and so is `postgres --help` and the
#     like.
#  2. POSTGRES_PASSWORD, POSTGRES_USER (default postgres), POSTGRES_DB
#     (default the user) and POSTGRES_INITDB_ARGS, each also from a file
#     named by VAR_FILE (both set is an error): compose.yaml gives
#     POSTGRES_PASSWORD_FILE.
#  3. PGDATA made and set to 0700, the socket folder /var/run/postgresql to
#     3775, failures ignored (a user without the right keeps what the image
#     or the mount gave); started as root, both are given to postgres and
#     the script starts again as postgres (gosu). compose.yaml starts it as
#     postgres: no capability is needed.
#  4. On a PGDATA without PG_VERSION: a password is required (unless
#     POSTGRES_HOST_AUTH_METHOD=trust); initdb --username --pwfile plus
#     POSTGRES_INITDB_ARGS and nothing else, so PGDATA/pg_hba.conf has
#     initdb's own default (trust) and gets one line added, `host all all
#     all METHOD`, METHOD being password_encryption as `postgres -C` reads it
#     with the server's own arguments.
#  5. A temporary server, `pg_ctl start` with the server's own arguments plus
#     `-c listen_addresses='' -p 5432`: it listens on the Unix socket only,
#     and a `-c config_file=...` among the arguments, with the hba_file that
#     file names, governs the init scripts' connections (compose.yaml's
#     pg_hba.conf: peer). PGPASSWORD is POSTGRES_PASSWORD meanwhile.
#  6. POSTGRES_DB created unless it exists, then /docker-entrypoint-initdb.d/*
#     in name order: *.sh run when executable, sourced otherwise; *.sql,
#     *.sql.gz, *.sql.xz and *.sql.zst through `psql -v ON_ERROR_STOP=1
#     --username POSTGRES_USER --no-password --no-psqlrc --dbname
#     POSTGRES_DB` with PGHOST and PGHOSTADDR empty; anything else ignored.
#  7. The temporary server stopped (-m fast), then `exec "$@"`.
#
# Left out (the lab uses none of them): nss_wrapper for a uid that
# /etc/passwd lacks, POSTGRES_INITDB_WALDIR, and the data layout checks of
# PostgreSQL 18 and later.
set -Eeo pipefail

# from_file VAR [DEFAULT]: VAR, or the content of the file VAR_FILE names.
from_file() {
  local var=$1 file_var="${1}_FILE" val=${2:-}
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$file_var"
    exit 1
  fi
  if [ -n "${!var:-}" ]; then
    val=${!var}
  elif [ -n "${!file_var:-}" ]; then
    val=$(<"${!file_var}")
  fi
  export "$var=$val"
  unset "$file_var"
}

wants_help() {
  local a
  for a; do
    case "$a" in -'?' | --help | --describe-config | -V | --version) return 0 ;; esac
  done
  return 1
}

# sql ARGS...: psql as the init scripts get it.
sql() {
  local q=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ -n "$POSTGRES_DB" ]; then q+=(--dbname "$POSTGRES_DB"); fi
  PGHOST= PGHOSTADDR= "${q[@]}" "$@"
}

run_init_files() {
  local f
  for f; do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then
          printf '%s: running %s\n' "$0" "$f"
          "$f"
        else
          printf '%s: sourcing %s\n' "$0" "$f"
          . "$f"
        fi
        ;;
      *.sql) printf '%s: running %s\n' "$0" "$f"; sql -f "$f" ;;
      *.sql.gz) printf '%s: running %s\n' "$0" "$f"; gunzip -c "$f" | sql ;;
      *.sql.xz) printf '%s: running %s\n' "$0" "$f"; xzcat "$f" | sql ;;
      *.sql.zst) printf '%s: running %s\n' "$0" "$f"; zstd -dc "$f" | sql ;;
      *) printf '%s: ignoring %s\n' "$0" "$f" ;;
    esac
  done
}

main() {
  if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
  if [ "$1" != 'postgres' ] || wants_help "$@"; then exec "$@"; fi

  from_file POSTGRES_PASSWORD
  from_file POSTGRES_USER postgres
  from_file POSTGRES_DB "$POSTGRES_USER"
  from_file POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}"

  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" || :
  mkdir -p /var/run/postgresql || :
  chmod 03775 /var/run/postgresql || :
  if [ "$(id -u)" = '0' ]; then
    find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
    find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
    exec gosu postgres "$BASH_SOURCE" "$@"
  fi

  if [ -s "$PGDATA/PG_VERSION" ]; then
    printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
    exec "$@"
  fi

  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo >&2 'Error: Database is uninitialized and superuser password is not specified.'
    exit 1
  fi
  ls /docker-entrypoint-initdb.d/ >/dev/null

  # POSTGRES_INITDB_ARGS is split as the shell would (the official eval).
  eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"

  local server=("${@:2}") method
  method=$(postgres -C password_encryption "${server[@]}")
  : "${POSTGRES_HOST_AUTH_METHOD:=$method}"
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
  server+=(-c 'listen_addresses=' -p "${PGPORT:-5432}")
  NOTIFY_SOCKET= PGUSER="${PGUSER:-$POSTGRES_USER}" \
    pg_ctl -D "$PGDATA" -o "$(printf '%q ' "${server[@]}")" -w start

  local exists
  exists=$(POSTGRES_DB= sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
  if [ -z "$exists" ]; then
    POSTGRES_DB= sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  run_init_files /docker-entrypoint-initdb.d/*

  PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  printf '\nPostgreSQL init process complete; ready for start up.\n\n'
  exec "$@"
}

# Sourced (the tests do), it only defines the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
