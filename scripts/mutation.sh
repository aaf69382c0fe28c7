#!/usr/bin/env bash
# Test strength, not a test: runs gremlins (mutation testing) on the packages
# whose arithmetic and rules the figures rest on, one worker, and prints per
# package what gremlins counted: killed, lived, not covered, timed out (apart:
# a mutant that hangs a test is neither killed nor lived), efficacy (killed
# over killed + lived) and mutant coverage. Not in CI: it takes tens of
# minutes. Survivors judged equivalent are listed in docs/testing.md.
# Usage: scripts/mutation.sh [package ...]   (default: the list below)
# Output per package is kept under ${MACROBENCH_CACHE:-~/.cache/macrobench}/mutation/.
set -euo pipefail
cd "$(dirname "$0")/.."

GREMLINS_VERSION=v0.6.0
packages=(
  ./internal/loadgen/wire       # the response parser
  ./internal/loadgen            # the generator's engine
  ./internal/shared/runresult   # the results vocabulary
  ./internal/lab/merge          # exact merging of generator parts
  ./internal/lab/compare        # the statistics of bench compare
  ./internal/lab/accounting     # the bench's accounting and reconciliation
)
[ $# -gt 0 ] && packages=("$@")

cache=${MACROBENCH_CACHE:-$HOME/.cache/macrobench}
bin=$cache/bin/gremlins-$GREMLINS_VERSION
if [ ! -x "$bin" ]; then
  echo "mutation.sh: installing gremlins $GREMLINS_VERSION" >&2
  mkdir -p "$cache/bin"
  tmp=$(mktemp -d)
  GOBIN=$tmp go install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
  mv "$tmp/gremlins" "$bin"
  rmdir "$tmp"
fi

out=$cache/mutation
mkdir -p "$out"
status=0
for p in "${packages[@]}"; do
  [ -d "$p" ] || { echo "mutation.sh: $p: no such package folder" >&2; exit 2; }
  log=$out/$(echo "${p#./}" | tr / _).txt
  start=$(date +%s)
  # gremlins mutates every file under the folder and measures coverage with
  # ./folder/...: a package's subpackages are excluded by their path
  # (relative to the folder), so that only its own files are mutated. The
  # engine's subpackages (cli, wire, wrkreport) have lines of their own.
  exclude=()
  for sub in "$p"/*/; do
    [ -d "$sub" ] && ls "$sub"*.go >/dev/null 2>&1 && exclude+=(--exclude-files "^$(basename "$sub")/")
  done
  # compare's page test renders the page in headless Chromium, seconds
  # per mutant: with only Go on the PATH it finds no browser and skips that
  # step (testenv: not under CI); its checks of the page's content still
  # run. (CGO_ENABLED=0: no C compiler on that PATH.)
  envs=()
  [ "$p" = ./internal/lab/compare ] && envs=(PATH="$(dirname "$(command -v go)")" CGO_ENABLED=0)
  # --timeout-coefficient: the race-free tests of a mutant get 10x the
  # coverage run's time before it counts as timed out (a loaded machine).
  if ! env "${envs[@]}" "$bin" unleash --workers 1 --timeout-coefficient 10 "${exclude[@]}" "$p" >"$log" 2>&1; then
    echo "$p: gremlins failed (see $log)" >&2
    status=1
    continue
  fi
  printf '%s (%ss):\n' "$p" "$(($(date +%s) - start))"
  grep -E '^(Killed|Timed out|Test efficacy)' "$log" | sed 's/^/  /'
done
exit $status
