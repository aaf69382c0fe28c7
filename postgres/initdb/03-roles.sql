-- The lab's clients and what each may do; no client is a superuser.
--
--   macrobench_app       the app and the original app: SELECT on the
--                        columns the agents query reads, nothing else (no
--                        writes, no temporary tables, no large objects)
--   macrobench_exporter  postgres_exporter: pg_monitor (statistics, settings)
--   macrobench_bench     the bench runner's evidence (pg_stat_statements with
--                        every query's text: pg_read_all_stats) and its
--                        pgbench ceilings (SELECT on the agents query's
--                        columns)
--
-- Passwords come from the environment, each role's from one of two places:
--   POSTGRES_APP_PASSWORD, POSTGRES_EXPORTER_PASSWORD, POSTGRES_BENCH_PASSWORD
--     the password itself (compose passes them from .env;
--     scripts/test.sh's throwaway clusters, internal/checks/pgcluster, too);
--   POSTGRES_APP_PASSWORD_FILE, POSTGRES_EXPORTER_PASSWORD_FILE,
--     POSTGRES_BENCH_PASSWORD_FILE
--     a file holding it, e.g. a Swarm secret in /run/secrets/ (one trailing
--     newline is dropped).
-- Both for one role is an error, and so is neither (or an empty or
-- unreadable file). psql reads them (\getenv, psql 15+, and `cat` in
-- backquotes, which runs only in the branch taken), so no password is
-- written in this file. postgres/pg_hba.conf lets exactly these roles in
-- over TCP.
--
-- Runs once, on a fresh data volume, like every script here: a changed password
-- takes `docker compose down -v` (or ALTER ROLE ... PASSWORD as the superuser).
\set ON_ERROR_STOP on

\getenv app_password POSTGRES_APP_PASSWORD
\getenv exporter_password POSTGRES_EXPORTER_PASSWORD
\getenv bench_password POSTGRES_BENCH_PASSWORD
\getenv app_password_file POSTGRES_APP_PASSWORD_FILE
\getenv exporter_password_file POSTGRES_EXPORTER_PASSWORD_FILE
\getenv bench_password_file POSTGRES_BENCH_PASSWORD_FILE
\if :{?app_password}
\else
  \set app_password ''
\endif
\if :{?exporter_password}
\else
  \set exporter_password ''
\endif
\if :{?bench_password}
\else
  \set bench_password ''
\endif
\if :{?app_password_file}
\else
  \set app_password_file ''
\endif
\if :{?exporter_password_file}
\else
  \set exporter_password_file ''
\endif
\if :{?bench_password_file}
\else
  \set bench_password_file ''
\endif
SELECT :'app_password' <> '' AND :'app_password_file' <> '' AS app_both,
       :'exporter_password' <> '' AND :'exporter_password_file' <> '' AS exporter_both,
       :'bench_password' <> '' AND :'bench_password_file' <> '' AS bench_both,
       :'app_password_file' <> '' AS app_from_file,
       :'exporter_password_file' <> '' AS exporter_from_file,
       :'bench_password_file' <> '' AS bench_from_file \gset
\if :app_both
  DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: both POSTGRES_APP_PASSWORD and POSTGRES_APP_PASSWORD_FILE are set: set one'; END $$;
\endif
\if :exporter_both
  DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: both POSTGRES_EXPORTER_PASSWORD and POSTGRES_EXPORTER_PASSWORD_FILE are set: set one'; END $$;
\endif
\if :bench_both
  DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: both POSTGRES_BENCH_PASSWORD and POSTGRES_BENCH_PASSWORD_FILE are set: set one'; END $$;
\endif
-- The file's content, less one trailing newline (psql's backquotes drop it).
-- An unreadable file reads as empty (cat's own error is printed above).
\if :app_from_file
  \set app_password `cat -- "$POSTGRES_APP_PASSWORD_FILE"`
  SELECT :'app_password' = '' AS app_file_empty \gset
  \if :app_file_empty
    DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: the file POSTGRES_APP_PASSWORD_FILE names is empty or unreadable'; END $$;
  \endif
\endif
\if :exporter_from_file
  \set exporter_password `cat -- "$POSTGRES_EXPORTER_PASSWORD_FILE"`
  SELECT :'exporter_password' = '' AS exporter_file_empty \gset
  \if :exporter_file_empty
    DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: the file POSTGRES_EXPORTER_PASSWORD_FILE names is empty or unreadable'; END $$;
  \endif
\endif
\if :bench_from_file
  \set bench_password `cat -- "$POSTGRES_BENCH_PASSWORD_FILE"`
  SELECT :'bench_password' = '' AS bench_file_empty \gset
  \if :bench_file_empty
    DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: the file POSTGRES_BENCH_PASSWORD_FILE names is empty or unreadable'; END $$;
  \endif
\endif
-- An unset or empty one would leave a role that cannot log in: stop instead.
SELECT :'app_password' = '' AS no_app_password,
       :'exporter_password' = '' AS no_exporter_password,
       :'bench_password' = '' AS no_bench_password \gset
\if :no_app_password
  DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: POSTGRES_APP_PASSWORD is not set (compose takes it from .env), nor POSTGRES_APP_PASSWORD_FILE'; END $$;
\endif
\if :no_exporter_password
  DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: POSTGRES_EXPORTER_PASSWORD is not set (compose takes it from .env), nor POSTGRES_EXPORTER_PASSWORD_FILE'; END $$;
\endif
\if :no_bench_password
  DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: POSTGRES_BENCH_PASSWORD is not set (compose takes it from .env), nor POSTGRES_BENCH_PASSWORD_FILE'; END $$;
\endif

-- No client may create anything in the database, temporary tables included;
-- only the roles below may connect to it.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
-- Large objects are the one kind of object every role may create by default.
REVOKE EXECUTE ON FUNCTION lo_create(oid), lo_creat(integer), lo_from_bytea(oid, bytea) FROM PUBLIC;

-- Each role's CONNECTION LIMIT caps its client, so that none can take the
-- slots the others need; together 128 + 5 + 24 = 157, within the 197 that
-- max_connections (200) less superuser_reserved_connections (3) leaves
-- (postgres/postgresql.conf), so each can always reach its own limit.
--   macrobench_app 128: at .env's defaults the app holds at most 25 (its pool,
--     APP_POOL_SIZE 16, + its /agents connections, APP_NEWCONN_LIMIT 8, +
--     one readiness probe) and the original 32 (ORIGINAL_WORKERS 16 sync
--     workers, each one pooled, ORIGINAL_POOL_SIZE 1, + one new on /agents):
--     57. 128 also holds .env's largest original (32 workers, pool 2: 96)
--     beside the app, and /agents backends still exiting after their client
--     closed.
--   macrobench_exporter 5: postgres_exporter holds one connection for its
--     queries and one for its collectors; the rest covers a restart's overlap.
--   macrobench_bench 24: a pgbench ceiling's 8 clients (-c 8,
--     internal/lab/benchrun/ceiling.go), as many again still exiting under -C
--     (a new connection per transaction), the evidence's one connection, and
--     an operator's psql or pgbench beside them.
-- Each role's statement_timeout ends a statement its client no longer waits
-- for (a session may set its own):
--   macrobench_app 10s: the agents query takes well under a millisecond. The
--     app sets its own per session (APP_DB_TIMEOUT, 2s); the original sets
--     none, and 10s ends a stuck query before gunicorn's worker timeout (30s)
--     kills the worker.
--   macrobench_exporter 5s: one scrape interval (prometheus.yml: every 5s,
--     4s timeout): a statement past it answers a scrape Prometheus gave up on.
--   macrobench_bench 30s: pgbench runs the agents query, one statement per
--     transaction (-T is the run's length, not a statement's), and the
--     evidence reads statistics (milliseconds).
CREATE ROLE macrobench_app LOGIN PASSWORD :'app_password' CONNECTION LIMIT 128;
CREATE ROLE macrobench_exporter LOGIN PASSWORD :'exporter_password' CONNECTION LIMIT 5;
CREATE ROLE macrobench_bench LOGIN PASSWORD :'bench_password' CONNECTION LIMIT 24;
ALTER ROLE macrobench_app SET statement_timeout = '10s';
ALTER ROLE macrobench_exporter SET statement_timeout = '5s';
ALTER ROLE macrobench_bench SET statement_timeout = '30s';

GRANT CONNECT ON DATABASE :"DBNAME" TO macrobench_app, macrobench_exporter, macrobench_bench;
-- Only the columns the agents query reads (internal/shared/agentscontract.Query,
-- original/app.py's QUERY, and the bench's pgbench script, which is the same
-- query): the app and the bench cannot read agentfeatures.passwd nor any
-- other column. count(*) of either table still works (it needs one column).
GRANT SELECT (id, number) ON agentfeatures TO macrobench_app, macrobench_bench;
GRANT SELECT (agent_id, extension, context, state_interface) ON agent_login_status TO macrobench_app, macrobench_bench;
GRANT pg_monitor TO macrobench_exporter;
GRANT pg_read_all_stats TO macrobench_bench;

-- The superuser keeps no password at all: it logs in only over the container's
-- Unix socket (peer), never over TCP (postgres/pg_hba.conf). The image's
-- entrypoint wants one at initialisation; compose gives it a random one it
-- never stores (POSTGRES_PASSWORD_FILE), dropped here.
ALTER ROLE CURRENT_USER PASSWORD NULL;
