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
# Usage: scripts/build-tools.sh [--env]
#   --env  print `export MACROBENCH_PROMETHEUS_BIN=...` and
#          `export MACROBENCH_POSTGRES_EXPORTER_BIN=...` on stdout.
# Everything else is logged to stderr.
set -euo pipefail

PROMETHEUS_MODULE_VERSION=v0.316.0 # == Prometheus v3.16.0 == prom/prometheus:v3.16.0 == internal/checks/stackcheck/go.mod's
POSTGRES_EXPORTER_DEB=/usr/bin/prometheus-postgres-exporter

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

prom_bin=$bindir/prometheus-$PROMETHEUS_MODULE_VERSION-netgo
if [ ! -x "$prom_bin" ]; then
  flock 9
fi
if [ ! -x "$prom_bin" ]; then
  log "building Prometheus $PROMETHEUS_MODULE_VERSION (first time: several minutes)"
  work=$(mktemp -d /tmp/macrobench-prombuild.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  (
    cd "$work"
    go mod init tmp >/dev/null 2>&1
    go get "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_MODULE_VERSION" >&2
    # As promu builds the release: CGO_ENABLED=0, the tags .promu.yml names
    # but builtinassets, and its ldflags (the version from the module's
    # VERSION file, as promu reads it; branch HEAD, as a tag's checkout
    # reports; no revision: the module has no git history, so Prometheus
    # prints "unknown").
    release=$(cat "$(go list -m -f '{{.Dir}}' github.com/prometheus/prometheus)/VERSION")
    v=github.com/prometheus/common/version
    ldflags="-X $v.Version=$release -X $v.Branch=HEAD -X $v.BuildUser=$(whoami)@$(hostname)"
    ldflags+=" -X $v.BuildDate=$(date -u +%Y%m%d-%H:%M:%S) -extldflags '-static'"
    # Build to a temporary name, then rename: an interrupted build never
    # leaves a half-written binary under the cached name.
    CGO_ENABLED=0 go build -tags netgo -ldflags "$ldflags" \
      -o "$prom_bin.tmp.$$" github.com/prometheus/prometheus/cmd/prometheus >&2
  )
  mv "$prom_bin.tmp.$$" "$prom_bin"
  log "built $prom_bin"
fi

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
else
  log "MACROBENCH_PROMETHEUS_BIN=$prom_bin"
  log "MACROBENCH_POSTGRES_EXPORTER_BIN=$exporter_bin"
fi
