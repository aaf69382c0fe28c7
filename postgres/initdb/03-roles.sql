-- The lab's clients and what each may do; no client is a superuser.
--
--   macrobench_app       the app and the original app: SELECT on the two
--                        tables the agents query reads, nothing else (no
--                        writes, no temporary tables, no large objects)
--   macrobench_exporter  postgres_exporter: pg_monitor (statistics, settings)
--   macrobench_bench     the bench runner's evidence (pg_stat_statements with
--                        every query's text: pg_read_all_stats) and its
--                        pgbench ceilings (SELECT on the two tables)
--
-- Passwords come from the environment: compose passes POSTGRES_APP_PASSWORD,
-- POSTGRES_EXPORTER_PASSWORD and POSTGRES_BENCH_PASSWORD (.env) to the postgres
-- service; scripts/test.sh's throwaway clusters (internal/checks/pgcluster) do the same.
-- psql reads them (\getenv, psql 15+), so no password is written in this file.
-- postgres/pg_hba.conf lets exactly these roles in over TCP.
--
-- Runs once, on a fresh data volume, like every script here: a changed password
-- takes `docker compose down -v` (or ALTER ROLE ... PASSWORD as the superuser).
\set ON_ERROR_STOP on

\getenv app_password POSTGRES_APP_PASSWORD
\getenv exporter_password POSTGRES_EXPORTER_PASSWORD
\getenv bench_password POSTGRES_BENCH_PASSWORD
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
-- An unset or empty one would leave a role that cannot log in: stop instead.
SELECT :'app_password' = '' AS no_app_password,
       :'exporter_password' = '' AS no_exporter_password,
       :'bench_password' = '' AS no_bench_password \gset
\if :no_app_password
  DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: POSTGRES_APP_PASSWORD is not set (compose takes it from .env)'; END $$;
\endif
\if :no_exporter_password
  DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: POSTGRES_EXPORTER_PASSWORD is not set (compose takes it from .env)'; END $$;
\endif
\if :no_bench_password
  DO $$ BEGIN RAISE EXCEPTION '03-roles.sql: POSTGRES_BENCH_PASSWORD is not set (compose takes it from .env)'; END $$;
\endif

-- No client may create anything in the database, temporary tables included;
-- only the roles below may connect to it.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
-- Large objects are the one kind of object every role may create by default.
REVOKE EXECUTE ON FUNCTION lo_create(oid), lo_creat(integer), lo_from_bytea(oid, bytea) FROM PUBLIC;

CREATE ROLE macrobench_app LOGIN PASSWORD :'app_password';
CREATE ROLE macrobench_exporter LOGIN PASSWORD :'exporter_password';
CREATE ROLE macrobench_bench LOGIN PASSWORD :'bench_password';

GRANT CONNECT ON DATABASE :"DBNAME" TO macrobench_app, macrobench_exporter, macrobench_bench;
GRANT SELECT ON agentfeatures, agent_login_status TO macrobench_app, macrobench_bench;
GRANT pg_monitor TO macrobench_exporter;
GRANT pg_read_all_stats TO macrobench_bench;

-- The superuser keeps no password at all: it logs in only over the container's
-- Unix socket (peer), never over TCP (postgres/pg_hba.conf). The image's
-- entrypoint wants one at initialisation; compose gives it a random one it
-- never stores (POSTGRES_PASSWORD_FILE), dropped here.
ALTER ROLE CURRENT_USER PASSWORD NULL;
