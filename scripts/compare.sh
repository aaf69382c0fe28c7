#!/usr/bin/env bash
# Compares two results folders cell by cell: scripts/compare.sh A B
# (`bench compare`, internal/cmd/bench, internal/lab/compare). Natively with a
# suitable Go, else in the runner container (scripts/runner/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/runner/run.sh
run_bench compare "$@"
