#!/usr/bin/env bash
# Efficiency check of the load generator (a benchmark, not a test): against
# nginx serving a static body on loopback, compare closed-loop throughput
# with Debian's wrk in the same run (-c400), then measure the CPU loadtest
# uses at a constant 4000 req/s. Needs root for apt-get when wrk or nginx is
# missing. Rounds run one after the other (with CPU per request from GNU
# time, which depends far less on what else the machine runs), then both at
# once (the same moment, the same load). Exits 1 when the median throughput
# ratio of the simultaneous rounds is below 0.9.
# Usage: scripts/loadtest-perf.sh [seconds per run, default 10] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-3}
threads=${PERF_THREADS:-2}

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null || ! [ -x /usr/bin/time ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light time >/dev/null
fi

dir=$(mktemp -d /tmp/loadtest-perf.XXXXXX)
port=${PERF_PORT:-18080}
chmod 755 "$dir"
printf '{"hello":"world"}' >"$dir/index"
chmod 644 "$dir/index"
cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$port;
    root $dir;
    location / { default_type application/json; }
  }
}
CONF
nginx -c "$dir/nginx.conf" -p "$dir" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$dir"' EXIT
sleep 0.5

go build -o "$dir/loadtest" ./loadtest
go build -o "$dir/perfratio" ./internal/cmd/perfratio
url="http://127.0.0.1:$port/index"

# Interleaved rounds: the machine is shared, a single round proves little.
pairs=()
for i in $(seq "$rounds"); do
  echo "== round $i: wrk -t$threads -c400 -d${secs}s, then loadtest, same arguments"
  /usr/bin/time -o "$dir/wrk$i.cpu" -f "cpu %U+%S" wrk -t"$threads" -c400 -d"${secs}s" "$url" >"$dir/wrk$i.txt"
  /usr/bin/time -o "$dir/loadtest$i.cpu" -f "cpu %U+%S" "$dir/loadtest" -t"$threads" -c400 -d"${secs}s" "$url" >"$dir/loadtest$i.txt"
  cat "$dir/wrk$i.cpu" >>"$dir/wrk$i.txt"
  cat "$dir/loadtest$i.cpu" >>"$dir/loadtest$i.txt"
  pairs+=("$dir/wrk$i.txt" "$dir/loadtest$i.txt")
done
echo "-- one after the other (CPU per request from GNU time):"
"$dir/perfratio" "${pairs[@]}" || true

# The same, both at once against the same nginx: each sees the same
# machine at the same moment, which takes out most of the swings a shared
# machine causes between rounds. This median decides the exit status.
pairs=()
for i in $(seq "$rounds"); do
  echo "== round $i, both at once: wrk -t$threads -c400 -d${secs}s and loadtest"
  wrk -t"$threads" -c400 -d"${secs}s" "$url" >"$dir/cwrk$i.txt" &
  wrk_pid=$!
  "$dir/loadtest" -t"$threads" -c400 -d"${secs}s" "$url" >"$dir/cloadtest$i.txt"
  wait $wrk_pid
  pairs+=("$dir/cwrk$i.txt" "$dir/cloadtest$i.txt")
done
echo "-- both at once:"
status=0
"$dir/perfratio" "${pairs[@]}" || status=$?

echo "== loadtest -t$threads -c400 -d${secs}s -R4000 (CPU)"
"$dir/loadtest" -t"$threads" -c400 -d"${secs}s" -R4000 --json "$dir/r4000.json" "$url" | grep -E 'requests in|Requests/sec'
"$dir/perfratio" -cpu "$dir/r4000.json"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
