#!/usr/bin/env bash
# Efficiency check of the load generator (a benchmark, not a test): against
# nginx serving a static body on loopback, compare closed-loop throughput
# with Debian's wrk in the same run (-c400), then measure the CPU loadtest
# uses at a constant 4000 req/s. Needs root for apt-get when wrk or nginx is
# missing. Usage: scripts/loadtest-perf.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
threads=${PERF_THREADS:-2}

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
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
url="http://127.0.0.1:$port/index"

echo "== wrk -t$threads -c400 -d${secs}s $url"
wrk -t"$threads" -c400 -d"${secs}s" "$url" | tee "$dir/wrk.txt"
echo "== loadtest -t$threads -c400 -d${secs}s $url"
"$dir/loadtest" -t"$threads" -c400 -d"${secs}s" "$url" | tee "$dir/loadtest.txt"
wrk_rps=$(awk '/^Requests\/sec:/ {print $2}' "$dir/wrk.txt")
lt_rps=$(awk '/^Requests\/sec:/ {print $2}' "$dir/loadtest.txt")
echo "closed loop -c400: wrk $wrk_rps req/s, loadtest $lt_rps req/s, ratio $(awk -v a="$lt_rps" -v b="$wrk_rps" 'BEGIN {printf "%.3f", a/b}')"

echo "== loadtest -t$threads -c400 -d${secs}s -R4000 $url (CPU)"
"$dir/loadtest" -t"$threads" -c400 -d"${secs}s" -R4000 --json "$dir/r4000.json" "$url"
awk -F': ' '/"cpu_s"|"elapsed_s"|"achieved_rate"/ {gsub(/[ ,]/, "", $2); v[$1]=$2} END {
  for (k in v) if (k ~ /cpu_s/) c=v[k]; else if (k ~ /elapsed_s/) e=v[k]; else r=v[k];
  printf "rate 4000: achieved %.1f req/s, CPU %.3fs over %.2fs = %.2f%% of one core\n", r, c, e, 100*c/e }' "$dir/r4000.json"
