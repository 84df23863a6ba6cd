#!/usr/bin/env bash
# `make run` works as the README says: tools/run-demo.sh starts the gateway on its embedded
# demo mesh in the meshgate-demo namespace; a gateway route sends /color to a virtual router
# whose route splits 90/10 between two virtual nodes.  Checks the split over 20 requests
# (exactly 18/2 with the gateway's weighted round robin), then stops the demo with SIGINT as
# a user's Ctrl-C would, and checks that the namespace is gone.  Skipped (visibly) when not
# root or without /dev/net/tun.
set -uo pipefail
gw=${GATEWAY:-build/gateway}
ns=meshgate-demo
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
	echo "SKIP run_demo: needs root and /dev/net/tun"
	exit 0
fi
if ip netns list | grep -qw "$ns"; then
	echo "SKIP run_demo: namespace $ns exists (a demo is running)"
	exit 0
fi
log=$(mktemp)
setsid tools/run-demo.sh "$gw" >"$log" 2>&1 &
pid=$!
fail() {
	echo "FAIL run_demo: $*"
	tail -20 "$log"
	kill -INT -- -"$pid" 2>/dev/null
	sleep 2
	ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -f "$log"
	exit 1
}
for _ in $(seq 300); do
	grep -q "Meshgate is running" "$log" && break
	kill -0 "$pid" 2>/dev/null || fail "run-demo.sh exited early"
	sleep 0.1
done
grep -q "Meshgate is running" "$log" || fail "not running after 30 s"
for _ in $(seq 100); do
	ip netns exec "$ns" curl -s -o /dev/null --max-time 1 http://10.77.0.2:9901/ready && break
	sleep 0.1
done
out=$(ip netns exec "$ns" sh -c 'for i in $(seq 20); do curl -s --max-time 5 http://10.77.0.2:8080/color/x; done' 2>&1)
blue=$(printf '%s\n' "$out" | grep -c "port=9001 host=color.demo.local path=/x")
green=$(printf '%s\n' "$out" | grep -c "port=9002 host=color.demo.local path=/x")
[ "$blue" = 18 ] && [ "$green" = 2 ] || fail "split blue $blue green $green of 20, expected 18 and 2: $out"
kill -INT -- -"$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "did not stop within 10 s of Ctrl-C"
wait "$pid"
rc=$?
ip netns list | grep -qw "$ns" && fail "namespace $ns left behind"
rm -f "$log"
[ $rc = 0 ] || { echo "FAIL run_demo: exit status $rc after Ctrl-C"; exit 1; }
echo "PASS run_demo: demo mesh up, /color split 18/2 over 20 requests, stopped cleanly"
