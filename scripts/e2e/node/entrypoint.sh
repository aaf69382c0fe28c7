#!/bin/sh
# Starts the node's engine: on its Unix socket, and on TCP port 2375 of the
# node's address on the cluster's network only (eth0; the host reaches it
# there as DOCKER_HOST=tcp://ADDRESS:2375). --tls=false says so on purpose:
# without it, dockerd 20.10 sleeps 15 s at start to warn about plain TCP. The
# network is the machine's own bridge. Arguments go to dockerd.
set -eu
ip=$(ip -4 -o addr show dev eth0 | awk '{split($4, a, "/"); print a[1]; exit}')
[ -n "$ip" ] || { echo "node-entrypoint: eth0 has no IPv4 address" >&2; exit 1; }
exec dockerd --host unix:///var/run/docker.sock --host "tcp://$ip:2375" --tls=false "$@"
