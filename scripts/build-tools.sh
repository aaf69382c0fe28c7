#!/usr/bin/env bash
# Provides the monitoring binaries at the versions compose.yaml pins, for the
# live tests and the e2e stand-in images:
#   - Prometheus 3.16.0, built from its Go module (v0.316.0) in a throwaway
#     module (`go install pkg@version` refuses modules with replace directives)
#     with the release build's settings where the module allows (.promu.yml
#     and promu: CGO off, -tags netgo, the version's ldflags; builtinassets
#     needs the web UI's compiled assets, which the module does not hold:
#     docs/e2e.md); cached under ${MACROBENCH_CACHE:-$HOME/.cache/macrobench}/bin
#     by version and recipe.
#   - postgres_exporter 0.11.1 from Debian's prometheus-postgres-exporter
#     (the same release as the pinned quay.io image; not on the Go proxy).
#   - node_exporter 1.12.1 (swarm.yaml's prom/node-exporter:v1.12.1), built
#     from its Go module as Prometheus is (CGO off, -tags netgo, static, the
#     version's ldflags); cached beside it.
# Usage: scripts/build-tools.sh [--env]
#   --env  print `export MACROBENCH_PROMETHEUS_BIN=...`,
#          `export MACROBENCH_POSTGRES_EXPORTER_BIN=...` and
#          `export MACROBENCH_NODE_EXPORTER_BIN=...` on stdout.
# Everything else is logged to stderr.
set -euo pipefail

PROMETHEUS_MODULE_VERSION=v0.316.0 # == Prometheus v3.16.0 == prom/prometheus:v3.16.0 == internal/checks/stackcheck/go.mod's
POSTGRES_EXPORTER_DEB=/usr/bin/prometheus-postgres-exporter
NODE_EXPORTER_MODULE_VERSION=v1.12.1 # == prom/node-exporter:v1.12.1 (swarm.yaml)

print_env=0
case "${1:-}" in
  --env) print_env=1 ;;
  "") ;;
  *) echo "build-tools.sh: unknown argument: $1 (usage: build-tools.sh [--env])" >&2; exit 2 ;;
esac

log() { echo "build-tools.sh: $*" >&2; }

cache=${MACROBENCH_CACHE:-$HOME/.cache/macrobench}
bindir=$cache/bin
mkdir -p "$bindir"

# Several test runs may call this at once: one builds/installs, the others
# wait for it on this lock instead of doing the same work in parallel.
exec 9>"$bindir/.build-tools.lock"

# go_release BIN PACKAGE MODULE VERSION: build PACKAGE of MODULE@VERSION to
# BIN, once, as promu builds the Prometheus projects' releases: CGO_ENABLED=0,
# -tags netgo, static, the version ldflags (the version from the module's
# VERSION file, as promu reads it; branch HEAD, as a tag's checkout reports;
# no revision: the module has no git history, so the binary prints
# "unknown"), in a throwaway module (`go install pkg@version` refuses modules
# with replace directives).
go_release() {
  local bin=$1 pkg=$2 mod=$3 version=$4
  if [ ! -x "$bin" ]; then
    flock 9
  fi
  [ -x "$bin" ] && return
  log "building $mod $version (first time: minutes)"
  local work
  work=$(mktemp -d /tmp/macrobench-toolbuild.XXXXXX)
  (
    trap 'rm -rf "$work"' EXIT
    cd "$work"
    go mod init tmp >/dev/null 2>&1
    go get "$pkg@$version" >&2
    release=$(cat "$(go list -m -f '{{.Dir}}' "$mod")/VERSION")
    v=github.com/prometheus/common/version
    ldflags="-X $v.Version=$release -X $v.Branch=HEAD -X $v.BuildUser=$(whoami)@$(hostname)"
    ldflags+=" -X $v.BuildDate=$(date -u +%Y%m%d-%H:%M:%S) -extldflags '-static'"
    # Build to a temporary name, then rename: an interrupted build never
    # leaves a half-written binary under the cached name.
    CGO_ENABLED=0 go build -tags netgo -ldflags "$ldflags" -o "$bin.tmp.$$" "$pkg" >&2
    mv "$bin.tmp.$$" "$bin"
  )
  log "built $bin"
}

# Prometheus: .promu.yml's tags but builtinassets (the web UI's compiled
# assets are not in the module: docs/e2e.md).
prom_bin=$bindir/prometheus-$PROMETHEUS_MODULE_VERSION-netgo
go_release "$prom_bin" github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus "$PROMETHEUS_MODULE_VERSION"
# node_exporter: its .promu.yml names no flags of its own (promu's defaults).
node_bin=$bindir/node_exporter-$NODE_EXPORTER_MODULE_VERSION-netgo
go_release "$node_bin" github.com/prometheus/node_exporter github.com/prometheus/node_exporter "$NODE_EXPORTER_MODULE_VERSION"

exporter_bin=$(command -v postgres_exporter || true)
if [ -z "$exporter_bin" ] && [ -x "$POSTGRES_EXPORTER_DEB" ]; then
  exporter_bin=$POSTGRES_EXPORTER_DEB
fi
if [ -z "$exporter_bin" ]; then
  flock 9
  [ -x "$POSTGRES_EXPORTER_DEB" ] && exporter_bin=$POSTGRES_EXPORTER_DEB
fi
if [ -z "$exporter_bin" ]; then
  log "installing prometheus-postgres-exporter from Debian"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus-postgres-exporter >&2
  # The package starts a system service we do not want holding port 9187.
  $sudo systemctl disable --now prometheus-postgres-exporter >/dev/null 2>&1 || true
  $sudo service prometheus-postgres-exporter stop >/dev/null 2>&1 || true
  exporter_bin=$POSTGRES_EXPORTER_DEB
fi

if [ "$print_env" -eq 1 ]; then
  printf 'export MACROBENCH_PROMETHEUS_BIN=%q\n' "$prom_bin"
  printf 'export MACROBENCH_POSTGRES_EXPORTER_BIN=%q\n' "$exporter_bin"
  printf 'export MACROBENCH_NODE_EXPORTER_BIN=%q\n' "$node_bin"
else
  log "MACROBENCH_PROMETHEUS_BIN=$prom_bin"
  log "MACROBENCH_POSTGRES_EXPORTER_BIN=$exporter_bin"
  log "MACROBENCH_NODE_EXPORTER_BIN=$node_bin"
fi
