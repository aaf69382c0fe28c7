#!/usr/bin/env bash
# Compares two results folders cell by cell: scripts/compare.sh A B
# (`loadtest compare`, internal/compare).
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./loadtest compare "$@"
