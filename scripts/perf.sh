#!/usr/bin/env bash
# The app's performance benchmark (not a test): starts a throwaway PostgreSQL
# seeded from postgres/, builds the app and a bare net/http reference, and
# lets internal/checks/appperf run wrk and pgbench and print the ratios.
# Needs wrk, nginx and pgbench: apt-get install -y wrk nginx-light postgresql-contrib.
# Arguments go to the perf command (e.g. -only index -d 5s).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in wrk pgbench; do
  command -v "$tool" >/dev/null || { echo "perf.sh: $tool not found (apt-get install -y wrk nginx-light)" >&2; exit 1; }
done
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "perf.sh: nginx not found (apt-get install -y nginx-light)" >&2; exit 1; }

work=$(mktemp -d /tmp/macrobench-perf.XXXXXX)
cleanup() { go run ./internal/cmd/pgthrowaway stop "$work/pg" || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

go build -o "$work/app" ./app
go build -o "$work/barehttp" ./internal/cmd/barehttp
go build -o "$work/appperf" ./internal/cmd/perfrun
db=$(go run ./internal/cmd/pgthrowaway start "$work/pg")
"$work/appperf" -db "$db" -app "$work/app" -bare "$work/barehttp" "$@"
