#!/usr/bin/env bash
# The benchmark: verifies the endpoints, runs the original's scenario matrix
# through the loadtest containers (or against --target URL from this machine),
# and writes results/<UTC timestamp>/ with summary.md. All logic is Go code:
# `bench run` (internal/cmd/bench, internal/lab/benchrun). `scripts/bench.sh -h`
# lists the flags.
# With a suitable Go (go.mod's version, GOTOOLCHAIN=local), builds bin/bench
# and, beside it, bin/loadtest (the generator --target runs use), then execs
# bench (not `go run`, which turns every failure into exit 1). Without one,
# runs the same bench in a container built from this checkout: Docker is
# all it needs (scripts/runner/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/runner/run.sh
run_bench run "$@"
