#!/usr/bin/env bash
# The test command: starts a throwaway PostgreSQL (seeded from postgres/) on a
# free port, provides the tool binaries the live tests need, runs `go vet` and
# the Go tests with the race detector in both modules (the root one and
# internal/checks/stackcheck, which keeps Prometheus's and compose-go's dependencies
# out of the product's build graph), and tears the cluster down, also on
# failure. Under it, a test whose service is missing fails instead of skipping
# (MACROBENCH_REQUIRE_SERVICES=1, see internal/checks/testenv).
# Extra arguments replace the default and go to `go test` in the root module,
# e.g. `scripts/test.sh -race ./internal/service/agents/...`; for the nested module,
# `scripts/test.sh -C internal/checks/stackcheck -race ./...`.
#
# On a fresh Debian or Ubuntu machine it installs what the tests need and
# the machine lacks (apt-get, as root or through sudo without a password):
# PostgreSQL's server binaries and pgbench, psql, and gunicorn and Flask for
# the original app's tests, and Chromium for the results page's. Where it cannot, and Docker answers, the
# throwaway PostgreSQL runs in a container (the tests that start a cluster of
# their own then skip, unless CI or MACROBENCH_REQUIRE_SERVICES fails them).
#
# Without a Go that builds the module as it is (GOTOOLCHAIN=local go list -m:
# go.mod's version or newer), it runs itself, with the same arguments, in the
# tests image built from this checkout (scripts/runner/, the bench runner's
# base with PostgreSQL, gunicorn and Flask): Docker is all it needs.
# MACROBENCH_TESTS=native|container picks one (default auto). The first line
# it prints says which ran.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/runner/run.sh

gover=$(sed -n 's/^go //p' go.mod)
if [ -n "${MACROBENCH_TESTS_IMAGE:-}" ]; then
  # In the tests image, as the invoking user: initdb, psql and git look the
  # uid up, which the image does not know (its /etc/passwd is writable).
  getent passwd "$(id -u)" >/dev/null ||
    echo "macrobench:x:$(id -u):$(id -g):macrobench tests:/tmp:/bin/sh" >>/etc/passwd
else
  tests=${MACROBENCH_TESTS:-auto}
  case $tests in
    auto) if suitable_go; then tests=native why="Go $(go env GOVERSION) here"; else tests=container why="no Go $gover or newer here (GOTOOLCHAIN=local)"; fi ;;
    native | container) why="MACROBENCH_TESTS=$tests" ;;
    *) echo "test.sh: MACROBENCH_TESTS=$tests: want auto, native or container" >&2; exit 2 ;;
  esac
  if [ "$tests" = container ]; then
    echo "test.sh: container: $why: the tests run in the tests image (scripts/runner/)" >&2
    run_tests "$@"
  fi
  echo "test.sh: native: $why" >&2
fi

command -v go >/dev/null || { echo "test.sh: needs Go $gover (https://go.dev/dl/), or Docker (MACROBENCH_TESTS=container)" >&2; exit 1; }

have_pg() { [ -n "${MACROBENCH_PG_BIN:-}" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; }
pg_packages="postgresql postgresql-client"
need=()
have_pg && command -v psql >/dev/null || need+=($pg_packages)
command -v gunicorn >/dev/null || need+=(gunicorn)
/usr/bin/python3 -c 'import flask' >/dev/null 2>&1 || need+=(python3-flask)
/usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1 || need+=(python3-psycopg2)
# Headless Chromium renders the results page (index.html) in the tests of
# internal/checks/browser, internal/lab/benchrun and internal/lab/compare.
[ -n "${MACROBENCH_CHROMIUM:-}" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo -n)
  if [ ${#sudo[@]} -eq 0 ] || sudo -n true 2>/dev/null; then
    echo "test.sh: apt-get install ${need[*]}" >&2
    if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; }; then
      echo "test.sh: apt-get install failed; going on with what is here" >&2
    fi
  fi
fi

pgdir=$(mktemp -d /tmp/macrobench-pg.XXXXXX)
cleanup() { go run ./internal/cmd/pgthrowaway stop "$pgdir" || true; }
trap cleanup EXIT INT TERM

pg_docker=()
if ! have_pg; then
  if ! docker info >/dev/null 2>&1; then
    echo "test.sh: needs PostgreSQL's server binaries (apt-get install $pg_packages, as root) or Docker for its throwaway database" >&2
    exit 1
  fi
  pg_docker=(--docker)
  echo "test.sh: no PostgreSQL server binaries: the throwaway PostgreSQL runs in Docker; tests that start a cluster of their own need them (apt-get install $pg_packages)" >&2
fi
echo "test.sh: starting PostgreSQL in $pgdir" >&2
MACROBENCH_TEST_DATABASE_URL=$(go run ./internal/cmd/pgthrowaway start "${pg_docker[@]}" "$pgdir")
export MACROBENCH_TEST_DATABASE_URL

# Prometheus and postgres_exporter at the versions compose.yaml pins, for the
# tests that run them live (built once, cached).
# MACROBENCH_BUILD_TOOLS=0 skips them, for a run of packages that start
# neither (the live tests that do would then fail or skip, as testenv says).
if [ -x scripts/build-tools.sh ] && [ "${MACROBENCH_BUILD_TOOLS:-1}" != 0 ]; then
  eval "$(scripts/build-tools.sh --env)"
fi

# Every service is here (a missing one fails its tests), unless PostgreSQL
# runs in Docker: then tests that need the server binaries skip, unless the
# caller requires services (CI does).
[ ${#pg_docker[@]} -gt 0 ] || export MACROBENCH_REQUIRE_SERVICES=1

if [ $# -gt 0 ]; then
  go test "$@" # not exec: the trap stops the cluster
  exit 0
fi

# Every module of the repository (the root and each nested go.mod under
# internal/); each runs even when an earlier one failed.
# -timeout bounds each test binary: the slowest, internal/lab/benchrun, took
# 268 s in CI on a quiet machine (December 2026); 20 minutes leaves room for
# a machine loaded on every core (go test's default is 10).
timeout=20m
modules=(.)
while IFS= read -r mod; do modules+=("$(dirname "$mod")"); done < <(find internal -name go.mod | sort)
status=0
for m in "${modules[@]}"; do
  echo "test.sh: go vet, go test -race in module $m" >&2
  go vet -C "$m" ./... || status=1
  go test -C "$m" -race -timeout "$timeout" ./... || status=1
done
exit $status
