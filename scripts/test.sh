#!/usr/bin/env bash
# The test command: starts a throwaway PostgreSQL (seeded from postgres/) on a
# free port, provides the tool binaries the live tests need, runs the Go tests
# with the race detector, and tears the cluster down, also on failure.
# Extra arguments go to `go test` (default: -race ./...).
set -euo pipefail
cd "$(dirname "$0")/.."

pgdir=$(mktemp -d /tmp/macrobench-pg.XXXXXX)
cleanup() { go run ./internal/pgcluster/cmd/pgcluster stop "$pgdir" || true; }
trap cleanup EXIT INT TERM

echo "test.sh: starting PostgreSQL in $pgdir" >&2
MACROBENCH_TEST_DATABASE_URL=$(go run ./internal/pgcluster/cmd/pgcluster start "$pgdir")
export MACROBENCH_TEST_DATABASE_URL

# Prometheus and postgres_exporter at the versions compose.yaml pins, for the
# tests that run them live (built once, cached).
if [ -x scripts/build-tools.sh ]; then
  eval "$(scripts/build-tools.sh --env)"
fi

if [ $# -eq 0 ]; then set -- -race ./...; fi
go test "$@"
