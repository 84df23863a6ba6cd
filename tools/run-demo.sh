#!/usr/bin/env bash
# `make run`: starts the gateway on its embedded demo configuration
# (gateway/demo/meshgate-demo.json) inside a network namespace, on a DPDK
# net_tap port, and prints what to try against it.  Ctrl-C stops it; the
# namespace is removed on exit, whatever happened.
#
# Usage: tools/run-demo.sh GATEWAY
set -euo pipefail

gw=${1:?usage: run-demo.sh GATEWAY}
ns=meshgate-demo
tap=mgdemo0          # must match the demo config's device
peer=10.77.0.1/24    # the namespace's side of the TAP
addr=10.77.0.2       # the gateway

[ "$(id -u)" = 0 ] || { echo "make run: needs root (network namespaces and a TAP device)" >&2; exit 1; }
[ -c /dev/net/tun ] || { echo "make run: /dev/net/tun is missing" >&2; exit 1; }

gwpid=
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$gwpid" ] && kill -0 "$gwpid" 2>/dev/null; then
		kill -TERM "$gwpid" 2>/dev/null || true
		for _ in $(seq 30); do kill -0 "$gwpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$gwpid" 2>/dev/null || true
	fi
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
# Ctrl-C is how the user stops the demo: not an error.
trap 'exit 0' INT TERM

ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

ip netns exec "$ns" "$gw" --demo &
gwpid=$!

# The TAP's kernel side appears once the gateway's port is up.
for _ in $(seq 100); do
	ip -n "$ns" link show "$tap" >/dev/null 2>&1 && break
	kill -0 "$gwpid" 2>/dev/null || { wait "$gwpid" || true; echo "make run: the gateway exited" >&2; exit 1; }
	sleep 0.1
done
ip -n "$ns" link show "$tap" >/dev/null 2>&1 || { echo "make run: $tap did not appear in 10 s" >&2; exit 1; }
ip -n "$ns" addr add "$peer" dev "$tap"
ip -n "$ns" link set "$tap" up

# The demo mesh's two virtual nodes (colors-blue, colors-green): tiny upstreams in the
# namespace that say which color answered.
here=$(cd "$(dirname "$0")/.." && pwd)
ip netns exec "$ns" /usr/bin/python3 -B "$here/tests/e2e/servers/whoami_upstream.py" 10.77.0.1 9001 >/dev/null &
ip netns exec "$ns" /usr/bin/python3 -B "$here/tests/e2e/servers/whoami_upstream.py" 10.77.0.1 9002 >/dev/null &

cat <<MSG

Meshgate is running in network namespace '$ns' at $addr (Ctrl-C stops it).
Try, from another terminal:
  ip netns exec $ns ping -c 3 $addr
  ip netns exec $ns curl -s http://$addr:9901/ready
  ip netns exec $ns curl -s http://$addr:8080/color/hello    # gateway route -> router -> 90/10 canary
  ip netns exec $ns sh -c 'for i in \$(seq 20); do curl -s http://$addr:8080/color/; done | sort | uniq -c'
  ip netns exec $ns curl -s http://$addr:9901/stats
  ip netns exec $ns sh -c 'echo hello | nc -N $addr 7'      # echo service
  ip netns exec $ns sh -c 'head -c 10M /dev/zero | nc -N $addr 9'  # discard service

MSG
wait "$gwpid"
