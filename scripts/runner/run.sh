# Sourced by scripts/bench.sh and scripts/compare.sh, from the repository
# root: run_bench SUBCOMMAND ARGS... runs `bench SUBCOMMAND ARGS...` (never
# returns). Sourced by scripts/test.sh too: run_tests ARGS... runs
# `scripts/test.sh ARGS...` in the tests image (below).
#
# Natively when this machine's Go builds the module as it is, with no
# toolchain download (GOTOOLCHAIN=local: go.mod's go line or newer): bin/bench
# and bin/loadtest, built here. Otherwise in the runner image
# (scripts/runner/Dockerfile, built from this checkout through compose.yaml
# beside this file), so Docker is all it needs. MACROBENCH_RUNNER=native or
# container picks one (default auto); the report records which ran
# (summary.json "runner", summary.md).

# The variables the bench in the container gets from this shell when set
# here: the lab's compose.yaml and .env variables (the bench's compose reads
# .env itself; the shell overrides it, as natively), compose's own, and the
# bench's (internal/checks/stackcheck checks this list is complete).
runner_env=(COMPOSE_FILE COMPOSE_PROJECT_NAME COMPOSE_PROFILES COMPOSE_BAKE
  MACROBENCH_DATABASE_URL MACROBENCH_PROMETHEUS_URL MACROBENCH_GRAFANA_URL
  GRAFANA_TOKEN GRAFANA_USER GRAFANA_PASSWORD GRAFANA_ADMIN_PASSWORD
  APP_CPUS APP_CPUSET APP_NEWCONN_LIMIT APP_POOL_SIZE APP_PORT GRAFANA_CPUS GRAFANA_PORT
  LOADTEST_CPUS LOADTEST_CPUSET LOADTEST_METRICS_PORT ORIGINAL_CPUS ORIGINAL_POOL_SIZE
  ORIGINAL_PORT ORIGINAL_WORKERS POSTGRES_APP_PASSWORD POSTGRES_BENCH_PASSWORD
  POSTGRES_CPUS POSTGRES_CPUSET POSTGRES_EXPORTER_CPUS POSTGRES_EXPORTER_PASSWORD
  POSTGRES_PORT PROMETHEUS_CPUS PROMETHEUS_PORT)

# suitable_go: a go on the PATH that loads this module without another toolchain.
suitable_go() {
  command -v go >/dev/null 2>&1 && GOTOOLCHAIN=local go list -m >/dev/null 2>&1
}

# runner_build ME SERVICE: builds scripts/runner/compose.yaml's SERVICE
# (runner or tests; a cached check once built), its log shown on failure.
runner_build() {
  local log
  log=$(mktemp)
  if ! docker compose -p macrobench-runner -f scripts/runner/compose.yaml build "$2" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    echo "$1: building the $2 image (scripts/runner/) failed" >&2
    exit 1
  fi
  rm -f "$log"
}

# runner_args ME ARGS...: sets runner_docker to the `docker run` arguments
# both images get (the engine's socket, the repository at its host path, the
# invoking user), plus the host paths that ARGS name outside the repository
# (see run_bench and run_tests), mounted at their own paths.
runner_args() {
  local me=$1; shift
  local sock=/var/run/docker.sock
  case ${DOCKER_HOST:-} in
    "") ;;
    unix://*) sock=${DOCKER_HOST#unix://} ;;
    *) echo "$me: DOCKER_HOST=$DOCKER_HOST: the container reaches the engine through a unix socket only" >&2; exit 1 ;;
  esac
  local repo
  repo=$(pwd -P)
  runner_docker=(run --rm --init
    # The engine's socket: the bench drives compose through it. Whoever holds
    # it controls the engine, which is root on the host: the runner is as
    # trusted as running docker yourself.
    -v "$sock:/var/run/docker.sock"
    # The repository at the same path as on the host: the bench's compose
    # resolves compose.yaml's relative bind mounts and the results folder it
    # mounts into generators here, and the engine reads those paths on the host.
    -v "$repo:$repo" -w "$repo"
    # The host's network: the bench reads its evidence (the published ports)
    # at 127.0.0.1.
    --network host
    # The invoking user: the results are theirs, never root's; the socket's
    # group lets them reach the engine.
    --user "$(id -u):$(id -g)" --group-add "$(stat -c %g "$sock")"
    # git does not know that user, who owns the checkout: the report records
    # its commit.
    -e HOME=/tmp -e GIT_CONFIG_COUNT=1 -e GIT_CONFIG_KEY_0=safe.directory -e GIT_CONFIG_VALUE_0='*')
  # Mounted at their own paths too: git's directory when it lives elsewhere
  # (a worktree's .git is a file naming it), and the given paths.
  local dir paths=("$@")
  if [ -f .git ]; then
    dir=$(sed -n 's/^gitdir: //p' .git)
    [ -f "$dir/commondir" ] && dir=$dir/$(cat "$dir/commondir")
    paths+=("$dir")
  fi
  for dir in "${paths[@]}"; do
    dir=$(cd "$dir" && pwd -P)
    case $dir/ in "$repo"/*) ;; *) runner_docker+=(-v "$dir:$dir") ;; esac
  done
  # Attached, docker run passes SIGINT and SIGTERM on (through docker's
  # init), and the command stops as it does natively; on a terminal, a
  # Ctrl-C goes through the container's own.
  if [ -t 0 ] && [ -t 1 ]; then runner_docker+=(-it); fi
}

# runner_docker_answers ME WHAT: exits naming what is missing when no engine
# answers.
runner_docker_answers() {
  if ! docker info >/dev/null 2>&1; then
    echo "$1: needs Go $(sed -n 's/^go //p' go.mod) or newer (GOTOOLCHAIN=local builds with it), or Docker to run $2 in a container: neither answers here" >&2
    exit 1
  fi
}

run_bench() {
  local me why runner=${MACROBENCH_RUNNER:-auto}
  me=$(basename "$0")
  why="MACROBENCH_RUNNER=$runner"
  case $runner in
    auto) if suitable_go; then runner=native; else runner=container why="no Go $(sed -n 's/^go //p' go.mod) or newer here (GOTOOLCHAIN=local)"; fi ;;
    native | container) ;;
    *) echo "$me: MACROBENCH_RUNNER=$runner: want auto, native or container" >&2; exit 2 ;;
  esac
  if [ "$runner" = native ]; then
    export MACROBENCH_RUNNER=native
    # bench run needs the generator beside it for --target runs.
    if [ "$1" = run ]; then go build -o bin/ ./internal/cmd/bench ./loadtest; else go build -o bin/bench ./internal/cmd/bench; fi
    exec bin/bench "$@"
  fi

  runner_docker_answers "$me" "the bench (with compose v2)"
  echo "$me: $why: the bench runs in the runner image (scripts/runner/)" >&2
  runner_build "$me" runner

  # The folders the arguments name: run's --out (created here so it is the
  # user's), compare's two.
  local v prev="" paths=()
  for v in "$@"; do
    case $prev in -out | --out) mkdir -p -- "$v"; paths+=("$v") ;; esac
    case $v in -out=* | --out=*) mkdir -p -- "${v#*=}"; paths+=("${v#*=}") ;; esac
    if [ "$1" = compare ] && [ -d "$v" ]; then paths+=("$v"); fi
    prev=$v
  done
  local runner_docker
  runner_args "$me" "${paths[@]}"
  # Confined like the lab's services.
  runner_docker+=(--security-opt no-new-privileges:true --cap-drop ALL --read-only --tmpfs /tmp
    --memory 1g --pids-limit 256)
  for v in "${runner_env[@]}"; do
    if [ -n "${!v+set}" ]; then runner_docker+=(-e "$v"); fi
  done
  exec docker "${runner_docker[@]}" macrobench/runner:dev "$@"
}

# The variables the tests in the container get from this shell when set:
# the services' policy (internal/checks/testenv) and how Go reaches modules.
tests_env=(CI MACROBENCH_REQUIRE_SERVICES MACROBENCH_BUILD_TOOLS GOFLAGS GOPROXY GOPRIVATE GONOPROXY
  GONOSUMDB GOSUMDB GOINSECURE HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy
  https_proxy no_proxy)

# run_tests ARGS...: scripts/test.sh ARGS... in the tests image (never
# returns; the exit code is the tests'), for scripts/test.sh when there is
# no suitable Go (or MACROBENCH_TESTS=container). The same script runs
# inside, with the same arguments, natively there: the image has go.mod's
# Go and what the tests need (scripts/runner/Dockerfile, target tests).
run_tests() {
  local me=test.sh
  runner_docker_answers "$me" "the tests"
  if [ -z "$(docker image ls -q macrobench/tests:dev 2>/dev/null)" ]; then
    echo "$me: building the tests image (first time: a few minutes)" >&2
  fi
  runner_build "$me" tests

  # Absolute paths the arguments name (-coverprofile=/x/c.out, -o /x/bin):
  # their folders, when they exist.
  local v p paths=()
  for v in "$@"; do
    p=$v
    case $p in -*=/*) p=${p#*=} ;; esac
    case $p in /*) ;; *) continue ;; esac
    [ -d "$p" ] || p=$(dirname -- "$p")
    [ -d "$p" ] && paths+=("$p")
  done
  local runner_docker
  runner_args "$me" "${paths[@]}"
  # The caches, in a named volume per user (Go's module and build caches,
  # scripts/build-tools.sh's Prometheus: /cache, see the Dockerfile), so a
  # second run downloads and builds nothing again. Not read-only, and with
  # the default capabilities: as root, the tests run PostgreSQL as its
  # "postgres" user (internal/checks/pgcluster).
  runner_docker+=(-v "macrobench-tests-cache-$(id -u):/cache" --security-opt no-new-privileges:true
    --name "macrobench-tests-$(id -u)-$$")
  for v in "${tests_env[@]}"; do
    if [ -n "${!v+set}" ]; then runner_docker+=(-e "$v"); fi
  done
  exec docker "${runner_docker[@]}" macrobench/tests:dev scripts/test.sh "$@"
}
