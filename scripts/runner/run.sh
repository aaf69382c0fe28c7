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
# (summary.json "runner", summary.md). The container runs on this machine's
# engine and drives the one DOCKER_HOST names: its unix:// socket (or the
# default one) mounted, or a tcp:// engine such as a swarm's manager
# (scripts/swarm.sh) reached over the host's network (runner_engine).

# The variables the bench in the container gets from this shell when set
# here: the lab's compose.yaml, swarm.yaml and .env variables (the bench
# reads .env itself; the shell overrides it, as natively), compose's own,
# and the bench's (internal/checks/stackcheck checks this list is complete).
# DOCKER_HOST is not among them: runner_engine decides what the container
# gets for it.
runner_env=(COMPOSE_FILE COMPOSE_PROJECT_NAME COMPOSE_PROFILES COMPOSE_BAKE
  MACROBENCH_DATABASE_URL MACROBENCH_PROMETHEUS_URL MACROBENCH_GRAFANA_URL
  GRAFANA_TOKEN GRAFANA_USER GRAFANA_PASSWORD GRAFANA_ADMIN_PASSWORD
  GRAFANA_REPLICAS SWARM_OVERLAY
  APP_CPUS APP_CPUSET APP_NEWCONN_LIMIT APP_POOL_SIZE APP_PORT GRAFANA_CPUS GRAFANA_PORT
  LOADTEST_CPUS LOADTEST_CPUSET LOADTEST_METRICS_PORT NODE_EXPORTER_CPUS ORIGINAL_CPUS
  ORIGINAL_POOL_SIZE ORIGINAL_PORT ORIGINAL_WORKERS POSTGRES_APP_PASSWORD POSTGRES_BENCH_PASSWORD
  POSTGRES_CPUS POSTGRES_CPUSET POSTGRES_EXPORTER_CPUS POSTGRES_EXPORTER_PASSWORD
  POSTGRES_EXPORTER_PORT POSTGRES_PORT PROMETHEUS_CPUS PROMETHEUS_PORT)

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

# runner_engine ME: the engine the bench in the container drives, from
# DOCKER_HOST (the container paths only: natively the bench reads it
# itself). Sets runner_sock, the unix socket mounted into the container
# (the default one, or DOCKER_HOST's unix://), or runner_remote, a tcp://
# engine (a swarm's manager, say) that the container reaches over the host's
# network as this shell would: it gets DOCKER_HOST, and, with TLS
# (DOCKER_TLS_VERIFY or DOCKER_TLS set), the certificates' folder
# (DOCKER_CERT_PATH, default ~/.docker) read-only at its own path
# (runner_tls). The runner's own docker commands (the image's build, docker
# run) then go to this machine's engine: DOCKER_HOST and the TLS variables
# are unset here. Any other scheme (ssh://, npipe://) is refused.
runner_engine() {
  local me=$1
  runner_sock=/var/run/docker.sock runner_remote="" runner_tls=()
  # HOST:PORT without a scheme is TCP to the docker CLI too.
  case ${DOCKER_HOST:-} in "" | *://*) ;; *) DOCKER_HOST=tcp://$DOCKER_HOST ;; esac
  case ${DOCKER_HOST:-} in
    "") ;;
    unix://*) runner_sock=${DOCKER_HOST#unix://} ;;
    tcp://*)
      runner_sock="" runner_remote=$DOCKER_HOST
      if [ -n "${DOCKER_TLS_VERIFY:-}" ] || [ -n "${DOCKER_TLS:-}" ]; then
        local certs=${DOCKER_CERT_PATH:-${HOME:-}/.docker}
        if ! certs=$(cd "$certs" 2>/dev/null && pwd -P); then
          echo "$me: DOCKER_HOST=$DOCKER_HOST with TLS: no certificates' folder ${DOCKER_CERT_PATH:-~/.docker} (DOCKER_CERT_PATH) to give the container" >&2
          exit 1
        fi
        runner_tls=(-v "$certs:$certs:ro" -e "DOCKER_CERT_PATH=$certs")
        if [ -n "${DOCKER_TLS_VERIFY:-}" ]; then runner_tls+=(-e "DOCKER_TLS_VERIFY=$DOCKER_TLS_VERIFY"); fi
        if [ -n "${DOCKER_TLS:-}" ]; then runner_tls+=(-e "DOCKER_TLS=$DOCKER_TLS"); fi
      fi
      unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_TLS DOCKER_CERT_PATH
      ;;
    *)
      echo "$me: DOCKER_HOST=$DOCKER_HOST: the runner container reaches an engine through unix:// or tcp:// only, not ${DOCKER_HOST%%:*} (an ssh tunnel works: ssh -NL 2375:/var/run/docker.sock HOST, then DOCKER_HOST=tcp://127.0.0.1:2375; or Go $(sed -n 's/^go //p' go.mod) here, natively)" >&2
      exit 1
      ;;
  esac
}

# runner_args ME ARGS...: sets runner_docker to the `docker run` arguments
# both images get (the engine as runner_engine found it, the repository at
# its host path, the invoking user), plus the host paths that ARGS name
# outside the repository (see run_bench and run_tests), mounted at their own
# paths, and the folders runner_ro names mounted read-only at their own
# paths, inside the repository too (over its mount).
runner_args() {
  local me=$1; shift
  local repo
  repo=$(pwd -P)
  runner_docker=(run --rm --init)
  # The engine: the bench drives compose (or the swarm) through it. Whoever
  # holds its socket or its TCP port controls the engine, which is root on
  # its host: the runner is as trusted as running docker yourself.
  if [ -n "$runner_remote" ]; then
    runner_docker+=(-e "DOCKER_HOST=$runner_remote" "${runner_tls[@]}")
  else
    runner_docker+=(-v "$runner_sock:/var/run/docker.sock")
  fi
  runner_docker+=(
    # The repository at the same path as on the host: the bench's compose
    # resolves compose.yaml's relative bind mounts and the results folder it
    # mounts into generators here, and the engine reads those paths on the host.
    -v "$repo:$repo" -w "$repo"
    # The host's network: the bench reads its evidence (the published ports)
    # at 127.0.0.1, and reaches a tcp:// engine at the address given here.
    --network host
    # The invoking user: the results are theirs, never root's.
    --user "$(id -u):$(id -g)"
    # git does not know that user, who owns the checkout: the report records
    # its commit. This checkout alone is safe, no other repository.
    -e HOME=/tmp -e GIT_CONFIG_COUNT=1 -e GIT_CONFIG_KEY_0=safe.directory -e "GIT_CONFIG_VALUE_0=$repo")
  # The socket's group lets them reach the engine.
  if [ -n "$runner_sock" ]; then runner_docker+=(--group-add "$(stat -c %g "$runner_sock")"); fi
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
  for dir in "${runner_ro[@]}"; do
    dir=$(cd "$dir" && pwd -P)
    runner_docker+=(-v "$dir:$dir:ro")
  done
  # Attached, docker run passes SIGINT and SIGTERM on (through docker's
  # init), and the command stops as it does natively; on a terminal, a
  # Ctrl-C goes through the container's own.
  if [ -t 0 ] && [ -t 1 ]; then runner_docker+=(-it); fi
}

# runner_docker_answers ME WHAT: exits naming what is missing when no engine
# answers (after runner_engine: this machine's, where the container runs).
runner_docker_answers() {
  local here=""
  [ -z "$runner_remote" ] || here=" on this machine (the container runs here; DOCKER_HOST=$runner_remote is the bench's)"
  if ! docker info >/dev/null 2>&1; then
    echo "$1: needs Go $(sed -n 's/^go //p' go.mod) or newer (GOTOOLCHAIN=local builds with it), or Docker$here to run $2 in a container: neither answers here" >&2
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

  runner_engine "$me"
  runner_docker_answers "$me" "the bench (with compose v2)"
  echo "$me: $why: the bench runs in the runner image (scripts/runner/)${runner_remote:+, against DOCKER_HOST=$runner_remote}" >&2
  runner_build "$me" runner

  # The folders the arguments name: run's --out (created here so it is the
  # user's), a stack file's (-c, with --swarm); compare's two, read-only
  # (runner_ro: compare only reads them).
  local v prev="" paths=() runner_ro=()
  for v in "$@"; do
    case $prev in -out | --out) mkdir -p -- "$v"; paths+=("$v") ;; esac
    case $v in -out=* | --out=*) mkdir -p -- "${v#*=}"; paths+=("${v#*=}") ;; esac
    case $prev in -c | --c) if [ -f "$v" ]; then paths+=("$(dirname -- "$v")"); fi ;; esac
    case $v in -c=* | --c=*) if [ -f "${v#*=}" ]; then paths+=("$(dirname -- "${v#*=}")"); fi ;; esac
    if [ "$1" = compare ] && [ -d "$v" ]; then runner_ro+=("$v"); fi
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
  runner_engine "$me"
  runner_docker_answers "$me" "the tests"
  if [ -z "$(docker image ls -q macrobench/tests:dev 2>/dev/null)" ]; then
    echo "$me: building the tests image (first time: a few minutes)" >&2
  fi
  runner_build "$me" tests

  # Absolute paths the arguments name (-coverprofile=/x/c.out, -o /x/bin):
  # their folders, when they exist.
  local v p paths=() runner_ro=()
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
