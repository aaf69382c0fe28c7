#!/usr/bin/env bash
# The lab on Docker Swarm (swarm.yaml), from the repository root; the swarm
# and its node labels come first, and the docker CLI must talk to a manager
# (DOCKER_HOST; docs/swarm.md).
#   scripts/swarm.sh up [--stack NAME] [-c FILE]     # `bench swarm up`: deploy, wait until ready
#   scripts/swarm.sh run [bench run flags]           # a shortcut to `bench run --swarm ...`:
#                                                    # the whole bench (verification, matrix,
#                                                    # ceilings, evidence, report) on the stack
#   scripts/swarm.sh forward grafana:3000 ...        # `bench swarm forward`: a service on this
#                                                    # machine's 127.0.0.1 through the Docker API
#                                                    # (the stack publishes nothing; needs Go here)
#   scripts/swarm.sh down [--volumes]                # `bench swarm down`
# `scripts/swarm.sh run -h` lists the bench's flags (--generators, --stack, -c ...).
# Like scripts/bench.sh: natively with a suitable Go, otherwise in the runner
# container (scripts/runner/run.sh), which reaches a manager at a tcp://
# DOCKER_HOST or this machine's engine (docs/runner.md).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/runner/run.sh
if [ "${1:-}" = run ]; then
  shift
  run_bench run --swarm "$@"
fi
run_bench swarm "$@"
