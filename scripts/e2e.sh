#!/usr/bin/env bash
# End to end on a real Docker engine, with no container registry: installs
# what is missing (Debian's docker.io and debootstrap, docker compose v2 built
# from its Go module), starts dockerd if none runs, builds registry-free
# stand-ins for the official images (scripts/e2e/), brings the stack up
# without grafana, checks it (internal/checks/e2echeck), runs `scripts/bench.sh
# --quick --targets app,original --generators 2` (the bench starts the original Flask app;
# then checks no generator container is left, and that Prometheus scraped
# every generator), the same small bench natively
# and Docker-only (no go on the PATH, not root: the runner image), the
# tests of one package Docker-only (scripts/test.sh's tests image, twice:
# the second reuses image and caches), a bench
# stopped by SIGINT (it marks its results and leaves no generator), a coarse
# rate sweep (`scripts/bench.sh --sweep --quick`), stops and restarts postgres
# under load, tears the stack down, then runs `bench run --swarm --quick`
# (in the runner container, driving the manager over tcp://)
# on a reduced matrix on a four-engine Swarm in containers (swarm.yaml,
# internal/cmd/nodecluster) and takes the cluster away; tears everything
# down, also on failure. Exits non-zero naming the failing step.
#
# Reuses what earlier runs built: the base image, the stand-ins (rebuilt only
# when their inputs change), Docker's layer cache, the compose plugin, Go's
# build cache and scripts/build-tools.sh's Prometheus.
#
# Usage: scripts/e2e.sh [--official]
#   --official  on a machine with Docker and internet: the official images
#               from compose.yaml alone (grafana included, and its live
#               checks run), nothing installed or built but the lab's own
#               images.
# Environment: MACROBENCH_CACHE (default ~/.cache/macrobench),
# E2E_KEEP=1 leaves the stack up on failure for a look.
set -euo pipefail
cd "$(dirname "$0")/.."

official=0
case "${1:-}" in
  --official) official=1 ;;
  "") ;;
  *) echo "e2e.sh: unknown argument: $1 (usage: e2e.sh [--official])" >&2; exit 2 ;;
esac

COMPOSE_VERSION=v2.40.3
# The buildx that compose v2.40.3 links (its go.mod): for the docker CLI
# stand-in, built beside compose from the same module graph.
BUILDX_VERSION=v0.29.1
BASE_IMAGE=macrobench-standin/debian:bookworm

cache=${MACROBENCH_CACHE:-$HOME/.cache/macrobench}
work=$(mktemp -d /tmp/macrobench-e2e.XXXXXX)
logdir=$work/logs
mkdir -p "$logdir" "$cache/e2e"

# The stand-ins replace the official images (not with --official); a project
# name of its own keeps `down -v` away from a user's macrobench volumes.
export COMPOSE_FILE=compose.yaml:scripts/e2e/compose.standins.yaml
services=(postgres app postgres-exporter prometheus)
if [ "$official" = 1 ]; then
  export COMPOSE_FILE=compose.yaml
  services+=(grafana)
fi
export COMPOSE_PROJECT_NAME=macrobench-e2e
# Host ports of its own (compose.yaml's port variables), so a lab already up
# on the default ports is no obstacle; e2echeck and the bench find them with
# `docker compose port`. The roles' passwords are .env's (or the caller's).
export POSTGRES_PORT=${POSTGRES_PORT:-15432} APP_PORT=${APP_PORT:-18000} PROMETHEUS_PORT=${PROMETHEUS_PORT:-19090} \
  GRAFANA_PORT=${GRAFANA_PORT:-13000} ORIGINAL_PORT=${ORIGINAL_PORT:-18001} LOADTEST_METRICS_PORT=${LOADTEST_METRICS_PORT:-19102}
# compose builds the app images with the engine's own BuildKit; Bake would
# need the buildx plugin, which is not installed.
export COMPOSE_BAKE=false

t0=$(date +%s)
step=start
stack_up=0
started_dockerd=""

log() { echo "e2e.sh [$(($(date +%s) - t0))s] $*" >&2; }
begin() { step=$1; log "== $step"; }

# quiet CMD...: run with output to a log file, shown (tail) only on failure.
quiet() {
  local f=$logdir/$(echo "$step" | tr -c 'a-zA-Z0-9\n' '-').log
  if ! "$@" >>"$f" 2>&1; then
    tail -n 40 "$f" >&2
    return 1
  fi
}

# The swarm-cluster step's cleanup: its four engines in containers, to the
# last cgroup folder and volume (nodecluster down; finding nothing is success).
cluster_up=0
cluster_cleanup() {
  if [ "$cluster_up" = 1 ]; then
    "$work/nodecluster" down --id "$CLUSTER_ID" >/dev/null 2>&1 || true
    cluster_up=0
  fi
}

finish() {
  local rc=$?
  trap - EXIT INT TERM
  cluster_cleanup
  if [ "$rc" -ne 0 ]; then
    log "FAILED at step: $step (exit $rc)"
    if [ "$stack_up" = 1 ]; then
      docker compose ps -a >&2 || true
      docker compose logs --no-color --tail 30 >&2 || true
    fi
  fi
  if [ "$stack_up" = 1 ] && [ "$rc" -ne 0 ] && [ "${E2E_KEEP:-0}" = 1 ]; then
    log "E2E_KEEP=1: the stack is left up (docker compose -p $COMPOSE_PROJECT_NAME down -v)"
  elif [ "$stack_up" = 1 ]; then
    docker compose --profile '*' down -v --remove-orphans --timeout 20 >/dev/null 2>&1 || true
  fi
  if [ -n "$started_dockerd" ] && [ "${E2E_KEEP:-0}" != 1 ]; then
    kill "$started_dockerd" 2>/dev/null || true
    wait "$started_dockerd" 2>/dev/null || true
  fi
  rm -rf "$work"
  if [ "$rc" -eq 0 ]; then
    log "e2e passed in $(($(date +%s) - t0))s"
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- install
if [ "$official" = 1 ]; then
  begin docker
  docker info >/dev/null || { log "no Docker engine answers"; exit 1; }
  docker compose version >/dev/null || { log "docker compose v2 is missing"; exit 1; }
else
begin install
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v chromium >/dev/null || need+=(chromium) # the results page's check and screenshot
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  quiet apt-get update -qq
  quiet env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

begin dockerd
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: $cache/e2e/dockerd.log)"
  dockerd >"$cache/e2e/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$started_dockerd" 2>/dev/null || { tail -n 20 "$cache/e2e/dockerd.log" >&2; exit 1; }
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -n 20 "$cache/e2e/dockerd.log" >&2; exit 1; }
fi
# The machine's Docker 28 CLI talks to Debian's 20.10 engine by negotiating
# the API version down (1.41): no DOCKER_API_VERSION needed.

begin compose-plugin
plugin=$HOME/.docker/cli-plugins/docker-compose
if [ "$(docker compose version --short 2>/dev/null)" != "${COMPOSE_VERSION#v}" ]; then
  log "building docker compose $COMPOSE_VERSION from its Go module (first time: a few minutes)"
  mod=$work/compose-mod
  mkdir -p "$mod" "$(dirname "$plugin")"
  (
    cd "$mod"
    go mod init tmp >/dev/null 2>&1
    go get "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION"
    go build -ldflags "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
      -o "$plugin.tmp" github.com/docker/compose/v2/cmd
  ) >"$logdir/compose-build.log" 2>&1 || { tail -n 30 "$logdir/compose-build.log" >&2; exit 1; }
  mv "$plugin.tmp" "$plugin"
fi

begin buildx-plugin
# buildx for the docker CLI stand-in (the runner image copies it), built
# from its Go module together with compose's (the versions compose links),
# and kept in the cache: never a plugin of this machine's CLI, whose
# builds stay as they are.
buildx_bin=$cache/e2e/docker-buildx-$BUILDX_VERSION
if [ ! -x "$buildx_bin" ]; then
  log "building docker buildx $BUILDX_VERSION from its Go module (first time: a few minutes)"
  mod=$work/buildx-mod
  mkdir -p "$mod"
  (
    cd "$mod"
    go mod init tmp >/dev/null 2>&1
    go get "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION" "github.com/docker/buildx/cmd/buildx@$BUILDX_VERSION"
    go build -ldflags "-X github.com/docker/buildx/version.Version=$BUILDX_VERSION" \
      -o "$buildx_bin.tmp" github.com/docker/buildx/cmd/buildx
  ) >"$logdir/buildx-build.log" 2>&1 || { tail -n 30 "$logdir/buildx-build.log" >&2; exit 1; }
  mv "$buildx_bin.tmp" "$buildx_bin"
fi
fi # official
log "docker engine $(docker version --format '{{.Server.Version}}'), $(docker compose version)"

begin e2echeck
go build -o "$work/e2echeck" ./internal/cmd/e2estep
check() { "$work/e2echeck" "$@"; }
check engine-warning # ports on 127.0.0.1 reachable from the LAN before Docker 28.0 (and 28.0.0-28.3.2 after a firewalld reload): said, not refused

# ---------------------------------------------------------------- images
if [ "$official" = 0 ]; then
begin base-image
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  sources=/etc/apt/sources.list.d/debian.sources
  mirror=http://deb.debian.org/debian
  [ -r "$sources" ] && mirror=$(check mirror "$sources")
  log "debootstrap bookworm from $mirror"
  rootfs=$work/rootfs
  quiet debootstrap --variant=minbase bookworm "$rootfs" "$mirror"
  # The machine's apt sources (with updates and security), no cached .debs.
  if [ -r "$sources" ]; then
    cp "$sources" "$rootfs/etc/apt/sources.list.d/debian.sources"
    rm -f "$rootfs/etc/apt/sources.list"
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | quiet docker import - "$BASE_IMAGE"
  rm -rf "$rootfs"
fi

# standin NAME IMAGE [EXTRA_INPUT...]: build scripts/e2e/NAME (staged with
# any extra files already copied into $ctx) unless an image exists whose
# label records the same inputs.
standin() {
  local name=$1 image=$2; shift 2
  local inputs
  inputs=$( (cd "scripts/e2e/$name" && find . -type f | sort | xargs sha256sum; docker image inspect -f '{{.Id}}' "$BASE_IMAGE"; printf '%s\n' "$@") | sha256sum | cut -c1-32)
  if [ "$(docker image inspect -f '{{index .Config.Labels "org.macrobench.standin.inputs"}}' "$image" 2>/dev/null)" = "$inputs" ]; then
    log "$image: up to date"
    return
  fi
  log "$image: building"
  local ctx=$work/ctx/$name
  mkdir -p "$ctx"
  cp -a "scripts/e2e/$name/." "$ctx/"
  [ -n "${stage:-}" ] && "$stage" "$ctx"
  # The classic builder: the Docker 28 CLI wants buildx for BuildKit.
  quiet env DOCKER_BUILDKIT=0 docker build --label "org.macrobench.standin.inputs=$inputs" -t "$image" "$ctx"
  rm -rf "$ctx"
}

begin standin-images
# The machine's extra CAs (a TLS-inspecting proxy's, say): the golang
# stand-in downloads modules through the same network as the machine.
localca=/usr/local/share/ca-certificates
stage_ca() {
  mkdir -p "$1/local-ca"
  if [ -d "$localca" ]; then cp -r "$localca/." "$1/local-ca/"; fi
}
cas=$(cat "$localca"/*.crt 2>/dev/null | sha256sum)
# golang: the machine's toolchain; hard links when on the same file system.
stage_go() { stage_ca "$1"; cp -al /usr/local/go "$1/go" 2>/dev/null || cp -a /usr/local/go "$1/go"; }
stage=stage_go standin golang macrobench-standin/golang:1.26.8-bookworm "$(go env GOROOT GOVERSION)" "$cas"
stage=stage_ca standin static macrobench-standin/distroless-static:nonroot "$cas"
stage="" standin postgres macrobench-standin/postgres:15
stage="" standin postgres-exporter macrobench-standin/postgres-exporter:v0.11.1
# Prometheus at the pinned version, from scripts/build-tools.sh (built once).
eval "$(scripts/build-tools.sh --env)"
stage_prom() { cp "$MACROBENCH_PROMETHEUS_BIN" "$1/prometheus"; }
stage=stage_prom standin prometheus macrobench-standin/prometheus:v3.16.0 "$(sha256sum <"$MACROBENCH_PROMETHEUS_BIN")"
# node_exporter at the pinned version, from the same script (swarm step).
stage_node() { cp "$MACROBENCH_NODE_EXPORTER_BIN" "$1/node_exporter"; }
stage=stage_node standin node-exporter macrobench-standin/node-exporter:v1.12.1 "$(sha256sum <"$MACROBENCH_NODE_EXPORTER_BIN")"
# The Docker CLI, the compose plugin (the machine's, as `docker compose`
# found them above) and buildx (built above) for the runner image.
docker_bin=$(command -v docker)
compose_bin=$(docker info --format '{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}')
stage_cli() { cp "$docker_bin" "$1/docker"; cp "$compose_bin" "$1/docker-compose"; cp "$buildx_bin" "$1/docker-buildx"; }
stage=stage_cli standin docker-cli macrobench-standin/docker:28.2.2-cli "$(cat "$docker_bin" "$compose_bin" "$buildx_bin" | sha256sum)"
export RUNNER_GO_IMAGE=macrobench-standin/golang:1.26.8-bookworm RUNNER_DOCKER_CLI_IMAGE=macrobench-standin/docker:28.2.2-cli
fi # not official

begin build-app-images
quiet docker compose --profile loadtest --profile original build app loadtest original

# ---------------------------------------------------------------- run
begin compose-up
stack_up=1
# Whatever an interrupted earlier run left of the project goes first.
quiet docker compose --profile "*" down -v --remove-orphans --timeout 20
quiet docker compose up -d
# Grafana (--official) may take minutes over its first start (its database
# migrations on one CPU: compose.yaml gives it a 3-minute start period).
check --timeout 5m healthy "${services[@]}"

begin check-stack
check stack
# The pool keeps an idle connection past the request timeout (a defect only
# long cells showed: idle connections were reopened).
check pool-idle
check security

if [ "$official" = 1 ]; then
  begin check-grafana
  # The official Grafana is up: its live checks (internal/checks/stackcheck:
  # health, the provisioned datasource answering, every dashboard there and
  # provisioned), anonymous, or as the admin when GRAFANA_ADMIN_PASSWORD is set.
  glog=$logdir/check-grafana.log
  if ! MACROBENCH_GRAFANA_URL="http://$(docker compose port grafana 3000)" MACROBENCH_REQUIRE_OFFICIAL=1 \
    go test -C internal/checks/stackcheck -count=1 -v -run '^TestGrafanaServesTheProvisionedDashboards$' . >"$glog" 2>&1 ||
    ! grep -q -- '--- PASS: TestGrafanaServesTheProvisionedDashboards' "$glog"; then
    tail -n 40 "$glog" >&2
    log "the live Grafana checks failed or did not run"
    exit 1
  fi
fi

begin bench-quick
if [ ! -x scripts/bench.sh ]; then
  log "scripts/bench.sh is missing"
  exit 1
fi
# The results go to the cache (the last run's are kept there for a look),
# not into the checkout. Without grafana, no annotations. One run measures
# both targets: the bench starts the original (profile "original"). Every
# measured run is two generator containers started together, merged
# (--generators 2; e2echeck bench checks the parts add up to the result).
rm -rf "$cache/e2e/bench-last"
grafana=()
[ "$official" = 1 ] || grafana=(--grafana off)
scripts/bench.sh --quick --targets app,original --generators 2 "${grafana[@]}" --out "$cache/e2e/bench-last"
check bench "$cache/e2e/bench-last"
# Its page (index.html) in headless Chromium, offline: under 1 MB, nothing
# fetched; a screenshot kept beside it (index.png).
check page "$cache/e2e/bench-last"
check live-generators
check no-generators
# The bench started the original (the stack came up without it): it has
# removed it again, leaving the lab as it found it.
check absent original

begin bench-docker-only
# Docker is all a user needs (scripts/runner/): the same small bench, first
# natively (Go on the PATH, as root), then with no Go on the PATH, as a user
# who is not root (uid $nonroot, in the engine socket's group) from its own
# clone of this commit, which runs it in the runner image, built here from
# the stand-ins. The two reports have
# the same structure and each names its runner; the container read the
# commit; every file it wrote belongs to that user.
# --repeat 2: rounds (each with its warm-up), -r1/-r2 files, the intervals'
# "no interval" line; too few repeats for compare to judge (exit 3).
small=(--quick --endpoints /index --scenarios rate10 --repeat 2 "${grafana[@]}")
native_out=$cache/e2e/bench-native-small
rm -rf "$native_out"
t=$(date +%s)
quiet scripts/bench.sh "${small[@]}" --out "$native_out"
native_s=$(($(date +%s) - t))
nonroot=4242
home=$work/nonroot
chmod 711 "$work"
mkdir -p "$home/.docker/cli-plugins"
cp "$(docker info --format '{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}')" "$home/.docker/cli-plugins/"
# That user's own clone of this commit: the checkout may sit in a folder
# only root can enter (a mktemp -d clone is 0700).
git clone -q --no-hardlinks "$PWD" "$home/repo"
chown -R "$nonroot:$nonroot" "$home"
nogo=$(IFS=:; for d in $PATH; do [ -x "$d/go" ] || printf '%s:' "$d"; done)
nogo=${nogo%:}
if PATH=$nogo command -v go >/dev/null; then log "go is still on the PATH: $nogo"; exit 1; fi
docker_out=$home/results
t=$(date +%s)
quiet setpriv --reuid="$nonroot" --regid="$nonroot" --groups="$(stat -c %g /var/run/docker.sock)" \
  env PATH="$nogo" HOME="$home" "$home/repo/scripts/bench.sh" "${small[@]}" --out "$docker_out"
log "the same bench: native ${native_s}s, Docker-only $(($(date +%s) - t))s (the runner image's build included)"
check same-report "$native_out" "$docker_out"
check owned "$docker_out" "$nonroot:$nonroot"
for f in index-rate10-r1.json index-rate10-r2.json warmup/index-r2.txt; do
  [ -s "$native_out/$f" ] || { log "--repeat 2: $native_out/$f missing"; exit 1; }
done
compare_rc=0
scripts/compare.sh "$native_out" "$docker_out" >"$logdir/compare-small.log" 2>&1 || compare_rc=$?
if [ "$compare_rc" -ne 3 ] || ! grep -q "^NOT JUDGED: .*fewer than 4 repeats per side" "$logdir/compare-small.log"; then
  tail -n 20 "$logdir/compare-small.log" >&2
  log "compare of two --repeat 2 runs exited $compare_rc, want 3 (too few repeats to judge)"
  exit 1
fi
check no-generators

begin tests-docker-only
# The tests with only Docker too (scripts/test.sh's container path): a
# subset that needs PostgreSQL (the agents package: its tests start clusters
# of their own), as the same user with no Go on the PATH, from the same
# clone, twice. The first run builds the tests image (the runner's base,
# from the stand-ins) unless an earlier e2e left it, and fills that user's
# caches' volume (macrobench-tests-cache-$nonroot, kept between runs like
# Docker's build cache: Go's module and build caches; the agents tests start
# no Prometheus, so MACROBENCH_BUILD_TOOLS=0 spares its build, 15 minutes cold
# on two cores); the second reuses both: the same image, nothing downloaded or
# built. Each ran its tests, and they passed (e2echeck test-log); the
# coverage profiles the container wrote outside the clone (their folder is
# mounted at its own path), and everything in the clone, are that user's.
agents=github.com/macrobench/macrobench/internal/service/agents
tests_out=$home/tests-out
mkdir -p "$tests_out"
chown "$nonroot:$nonroot" "$tests_out"
tests_s=()
tests_image=()
for i in 1 2; do
  tlog=$logdir/tests-docker-only-$i.log
  t=$(date +%s)
  if ! setpriv --reuid="$nonroot" --regid="$nonroot" --groups="$(stat -c %g /var/run/docker.sock)"     env PATH="$nogo" HOME="$home" MACROBENCH_BUILD_TOOLS=0 "$home/repo/scripts/test.sh" -v -count=1     -coverprofile="$tests_out/agents-$i.cover" ./internal/service/agents/... >"$tlog" 2>&1; then
    tail -n 40 "$tlog" >&2
    log "scripts/test.sh with only Docker (run $i) failed"
    exit 1
  fi
  tests_s+=($(($(date +%s) - t)))
  tests_image+=("$(docker image inspect -f '{{.Id}}' macrobench/tests:dev)")
  check test-log "$tlog" container "$agents"
  [ -s "$tests_out/agents-$i.cover" ] || { log "no coverage profile from run $i"; exit 1; }
done
if [ "${tests_image[0]}" != "${tests_image[1]}" ]; then
  log "the second run rebuilt the tests image"
  exit 1
fi
if grep -E "go: downloading|build-tools.sh: building" "$logdir/tests-docker-only-2.log" >&2; then
  log "the second run downloaded or built again: its caches were not reused"
  exit 1
fi
check owned "$tests_out" "$nonroot:$nonroot"
check owned "$home/repo" "$nonroot:$nonroot"
log "the tests with only Docker: first run ${tests_s[0]}s, second ${tests_s[1]}s (image and caches reused)"

begin bench-interrupt
# A bench stopped by SIGINT while its cell runs: it exits non-zero, keeps a
# results folder marked interrupted, and leaves no generator container.
# (scripts/bench.sh execs the bench once built: SIGINT goes to it alone.)
interrupted=$cache/e2e/bench-interrupted
rm -rf "$interrupted"
ilog=$logdir/bench-interrupt.log
scripts/bench.sh --quick --endpoints /index --scenarios rate10 --warmup 0s --ceiling-duration 0s \
  "${grafana[@]}" --out "$interrupted" >"$ilog" 2>&1 &
bench_pid=$!
for _ in $(seq 240); do
  grep -q "index-rate10 run 1/1: loadtest" "$ilog" && break
  kill -0 "$bench_pid" 2>/dev/null || break
  sleep 0.5
done
grep -q "index-rate10 run 1/1: loadtest" "$ilog" || { tail -n 30 "$ilog" >&2; log "the bench never started its cell"; exit 1; }
sleep 1 # the generator's container is starting or running
kill -INT "$bench_pid"
bench_rc=0
wait "$bench_pid" || bench_rc=$?
if [ "$bench_rc" -eq 0 ]; then
  tail -n 30 "$ilog" >&2
  log "an interrupted bench exited 0"
  exit 1
fi
log "interrupted bench exited $bench_rc"
check interrupted "$interrupted"
check no-generators

begin bench-sweep
# A coarse rate sweep of /index (--sweep --quick, a 40 s budget): steps
# through the loadtest container, a knee or a lower bound, report and chart.
sweep_out=$cache/e2e/sweep-last
rm -rf "$sweep_out"
scripts/bench.sh --sweep --quick --endpoints /index --sweep-budget 40s "${grafana[@]}" --out "$sweep_out"
check sweep "$sweep_out"
check no-generators

begin check-running
check running

begin postgres-outage
check outage

begin app-stop
# SIGTERM through Docker: the app exits 0 within its shutdown timeout, well
# inside the stop grace period (137 would mean SIGKILL).
quiet docker compose stop app
check stopped app

begin compose-down
quiet docker compose --profile "*" down -v --remove-orphans --timeout 20
stack_up=0
check gone

begin swarm-cluster
# `bench run --swarm` on a multi-node Swarm: four Docker engines in
# containers on this machine (docs/swarm.md, "The CI cluster": a manager
# with the database and the monitoring, an app node, two generator nodes),
# the images each node runs loaded by docker save/load. The bench runs as a
# user with only Docker would run it: `scripts/swarm.sh run` in the runner
# container (MACROBENCH_RUNNER=container; its image built by the
# bench-docker-only step above, a cached check here), on this machine's
# engine, driving the manager at DOCKER_HOST=tcp://... over the host's
# network (scripts/runner/run.sh). The reduced quick matrix with two
# generator tasks a run; e2echeck swarm-bench: every cell reconciled, the
# parts adding up to the app's own count, each network run's tasks on two
# different nodes, "via localhost" on the app's node, every node named with
# its clock offset, and the report naming the container runner; every file
# of it this user's. Then nothing of the cluster may be left (nodecluster
# leftovers); cluster_cleanup takes it away on failure too. The nodes are
# built on the stand-in base, which --official does not make.
if [ "$official" = 0 ]; then
  CLUSTER_ID=e2e
  cluster_t0=$(date +%s)
  go build -o "$work/nodecluster" ./internal/cmd/nodecluster
  quiet env DOCKER_BUILDKIT=0 docker build -t mbcluster-node:dev scripts/e2e/node
  cluster_up=1
  "$work/nodecluster" up --id "$CLUSTER_ID" \
    --load manager=macrobench-standin/postgres:15 --load manager=macrobench-standin/postgres-exporter:v0.11.1 \
    --load manager=macrobench-standin/prometheus:v3.16.0 --load app=macrobench/app:dev \
    --load manager,app,gen1,gen2=macrobench/loadtest:dev \
    --load macrobench-standin/node-exporter:v1.12.1 >"$work/cluster.env" 2>>"$logdir/swarm-cluster.log"
  manager=$(sed -n 's/^MBCLUSTER_MANAGER_HOST=//p' "$work/cluster.env")
  # The stack's overlay: encrypted (swarm.yaml's default) unless this
  # machine's kernel, which the nodes share, has no IPsec ESP (nodecluster
  # reads /proc/config.gz); the report records which (swarm_network).
  overlay=$(sed -n 's/^MBCLUSTER_OVERLAY=//p' "$work/cluster.env")
  log "swarm-cluster: 4 nodes up, images loaded in $(($(date +%s) - cluster_t0))s; the manager at $manager; SWARM_OVERLAY=$overlay"
  swarm_out=$cache/e2e/swarm-bench-last
  rm -rf "$swarm_out"
  t=$(date +%s)
  quiet env MACROBENCH_RUNNER=container DOCKER_HOST="$manager" SWARM_OVERLAY="$overlay" scripts/swarm.sh run -c scripts/e2e/swarm.standins.yaml --quick \
    --endpoints /index,/agents_with_pool --scenarios saturation,rate4000 --generators 2 --out "$swarm_out"
  log "swarm-cluster: the bench in the runner container against $manager in $(($(date +%s) - t))s"
  check swarm-bench "$swarm_out" container
  check owned "$swarm_out" "$(id -u):$(id -g)"
  # Every node's node-exporter (the global service) scraped by the stack's
  # Prometheus (through the stack's gateway: it publishes nothing), each
  # node's CPU read.
  mapfile -t cluster_nodes < <(DOCKER_HOST="$manager" docker node ls --format '{{.Hostname}}')
  env DOCKER_HOST="$manager" "$work/e2echeck" swarm-nodes macrobench "${cluster_nodes[@]}"
  # As anyone holding the manager's API sees the stack: no port published,
  # no password in a service's spec, the overlay SWARM_OVERLAY chose.
  env DOCKER_HOST="$manager" SWARM_OVERLAY="$overlay" "$work/e2echeck" swarm-closed macrobench
  quiet "$work/nodecluster" down --id "$CLUSTER_ID"
  cluster_up=0
  quiet "$work/nodecluster" leftovers --id "$CLUSTER_ID"
  log "swarm-cluster: passed, cluster gone, in $(($(date +%s) - cluster_t0))s"
fi

begin engine-cluster
# Four Docker engines in containers on this machine, the CI cluster of
# docs/swarm.md (internal/checks/enginecluster): they form a swarm, an overlay
# network carries HTTP between two of them, and neither a teardown nor a
# failed start nor a SIGTERM leaves a container, network, volume or cgroup
# folder behind. The tests that need an engine carry the enginecluster tag.
# The nodes are built on the stand-in base, which --official does not make.
if [ "$official" = 0 ]; then
  MACROBENCH_REQUIRE_SERVICES=1 go test -count=1 -tags enginecluster ./internal/checks/enginecluster/ ./internal/cmd/nodecluster/ ./internal/lab/swarm/
fi

# Images the rebuilt app and generator replaced would pile up run after run;
# the build cache (module downloads) stays, up to a bound.
docker image prune -f >/dev/null 2>&1 || true
docker builder prune -f --keep-storage 4GB >/dev/null 2>&1 || true
