# Sourced by scripts/bench.sh and scripts/compare.sh, from the repository
# root: run_bench SUBCOMMAND ARGS... runs `bench SUBCOMMAND ARGS...` (never
# returns).
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
  POSTGRES_PORT PROMETHEUS_CPUS PROMETHEUS_PORT PROMETHEUS_RETENTION_SIZE
  PROMETHEUS_RETENTION_TIME)

# suitable_go: a go on the PATH that loads this module without another toolchain.
suitable_go() {
  command -v go >/dev/null 2>&1 && GOTOOLCHAIN=local go list -m >/dev/null 2>&1
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

  if ! docker info >/dev/null 2>&1; then
    echo "$me: needs Go $(sed -n 's/^go //p' go.mod) or newer (GOTOOLCHAIN=local builds with it), or Docker with compose v2 to run the bench in a container: neither answers here" >&2
    exit 1
  fi
  local sock=/var/run/docker.sock
  case ${DOCKER_HOST:-} in
    "") ;;
    unix://*) sock=${DOCKER_HOST#unix://} ;;
    *) echo "$me: DOCKER_HOST=$DOCKER_HOST: the runner container reaches the engine through a unix socket only" >&2; exit 1 ;;
  esac
  local repo
  repo=$(pwd -P)

  echo "$me: $why: the bench runs in the runner image (scripts/runner/)" >&2
  local log
  log=$(mktemp)
  if ! docker compose -p macrobench-runner -f scripts/runner/compose.yaml build runner >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    echo "$me: building the runner image failed" >&2
    exit 1
  fi
  rm -f "$log"

  local args=(run --rm --init
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
    -e HOME=/tmp -e GIT_CONFIG_COUNT=1 -e GIT_CONFIG_KEY_0=safe.directory -e GIT_CONFIG_VALUE_0='*'
    # Confined like the lab's services.
    --security-opt no-new-privileges:true --cap-drop ALL --read-only --tmpfs /tmp
    --memory 1g --pids-limit 256)
  local v dir prev="" paths=()
  for v in "${runner_env[@]}"; do
    if [ -n "${!v+set}" ]; then args+=(-e "$v"); fi
  done
  # Mounted at their own paths too: git's directory when it lives elsewhere
  # (a worktree's .git is a file naming it), and the folders the arguments
  # name (run's --out, created here so it is the user's; compare's two).
  if [ -f .git ]; then
    dir=$(sed -n 's/^gitdir: //p' .git)
    [ -f "$dir/commondir" ] && dir=$dir/$(cat "$dir/commondir")
    paths+=("$dir")
  fi
  for v in "$@"; do
    case $prev in -out | --out) mkdir -p -- "$v"; paths+=("$v") ;; esac
    case $v in -out=* | --out=*) mkdir -p -- "${v#*=}"; paths+=("${v#*=}") ;; esac
    if [ "$1" = compare ] && [ -d "$v" ]; then paths+=("$v"); fi
    prev=$v
  done
  for dir in "${paths[@]}"; do
    dir=$(cd "$dir" && pwd -P)
    case $dir/ in "$repo"/*) ;; *) args+=(-v "$dir:$dir") ;; esac
  done
  # Attached, docker run passes SIGINT and SIGTERM on to the bench (through
  # docker's init), which stops its generators and marks its results, as
  # natively; on a terminal, a Ctrl-C goes through the container's own.
  if [ -t 0 ] && [ -t 1 ]; then args+=(-it); fi
  exec docker "${args[@]}" macrobench/runner:dev "$@"
}
