#!/usr/bin/env bash
# The test command: starts a throwaway PostgreSQL (seeded from postgres/) on a
# free port, provides the tool binaries the live tests need, runs `go vet` and
# the Go tests with the race detector in both modules (the root one and
# internal/stackcheck, which keeps Prometheus's and compose-go's dependencies
# out of the product's build graph), and tears the cluster down, also on
# failure. Under it, a test whose service is missing fails instead of skipping
# (MACROBENCH_REQUIRE_SERVICES=1, see internal/testenv).
# Extra arguments replace the default and go to `go test` in the root module,
# e.g. `scripts/test.sh -race ./internal/agents/...`; for the nested module,
# `scripts/test.sh -C internal/stackcheck -race ./...`.
set -euo pipefail
cd "$(dirname "$0")/.."

pgdir=$(mktemp -d /tmp/macrobench-pg.XXXXXX)
cleanup() { go run ./internal/cmd/pgcluster stop "$pgdir" || true; }
trap cleanup EXIT INT TERM

echo "test.sh: starting PostgreSQL in $pgdir" >&2
MACROBENCH_TEST_DATABASE_URL=$(go run ./internal/cmd/pgcluster start "$pgdir")
export MACROBENCH_TEST_DATABASE_URL

# Prometheus and postgres_exporter at the versions compose.yaml pins, for the
# tests that run them live (built once, cached).
if [ -x scripts/build-tools.sh ]; then
  eval "$(scripts/build-tools.sh --env)"
fi

export MACROBENCH_REQUIRE_SERVICES=1

if [ $# -gt 0 ]; then
  go test "$@" # not exec: the trap stops the cluster
  exit 0
fi

# Every module of the repository (the root and each nested go.mod under
# internal/); each runs even when an earlier one failed.
modules=(.)
while IFS= read -r mod; do modules+=("$(dirname "$mod")"); done < <(find internal -name go.mod | sort)
status=0
for m in "${modules[@]}"; do
  echo "test.sh: go vet, go test -race in module $m" >&2
  go vet -C "$m" ./... || status=1
  go test -C "$m" -race ./... || status=1
done
exit $status
