#!/usr/bin/env bash
# The lab on Docker Swarm (swarm.yaml): `bench swarm up|run|down` (internal/lab/swarm)
# from the repository root. The swarm and its node labels come first
# (docs/swarm.md). `scripts/swarm.sh run -h` lists the flags.
#   scripts/swarm.sh up                      # deploy the stack "macrobench", wait until ready
#   scripts/swarm.sh run --replicas 2 --rate 200 --connections 10 --duration 30s
#   scripts/swarm.sh down [--volumes]
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/ ./internal/cmd/bench
exec bin/bench swarm "$@"
