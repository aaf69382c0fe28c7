#!/usr/bin/env bash
# Compares two results folders cell by cell: scripts/compare.sh A B
# (`loadtest compare`, internal/compare).
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/loadtest ./loadtest
exec bin/loadtest compare "$@"
