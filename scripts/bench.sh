#!/usr/bin/env bash
# The benchmark: verifies the endpoints, runs the original's scenario matrix
# through the loadtest containers (or against --target URL from this machine),
# and writes results/<UTC timestamp>/ with summary.md. All logic is Go code:
# `loadtest bench` (internal/bench). `scripts/bench.sh -h` lists the flags.
# Built, then exec'd (not `go run`, which turns every failure into exit 1).
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/loadtest ./loadtest
exec bin/loadtest bench "$@"
