#!/usr/bin/env bash
# Compares two results folders cell by cell: scripts/compare.sh A B
# (`bench compare`, internal/cmd/bench, internal/compare).
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/bench ./internal/cmd/bench
exec bin/bench compare "$@"
