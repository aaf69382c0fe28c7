#!/usr/bin/env bash
# The benchmark: verifies the endpoints, runs the original's scenario matrix
# through the loadtest containers (or against --target URL from this machine),
# and writes results/<UTC timestamp>/ with summary.md. All logic is Go code:
# `loadtest bench` (internal/bench). `scripts/bench.sh -h` lists the flags.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./loadtest bench "$@"
