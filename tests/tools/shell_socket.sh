#!/usr/bin/env bash
# build/meshgate-shell (the config shell on a UNIX socket, for a gateway run as a process):
# unknown commands, usage errors, bad paths and an invalid value get errors and the shell
# carries on; a valid change is committed to the file (validated by gateway --check) and the
# gateway's pid gets SIGHUP; the socket is mode 0600.
set -uo pipefail
gw=${GATEWAY:-build/gateway}
sh=${MGSHELL:-build/meshgate-shell}
[ -x "$sh" ] || { echo "FAIL shell_socket: $sh is not built (make $sh)"; exit 1; }
scratch=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$scratch"' EXIT
cat >"$scratch/c.json" <<'JSON'
{ "appliance": { "interfaces": [ { "name": "data0", "address": "10.77.0.2/24" } ],
                 "admin": { "interface": "data0", "port": 9901 } } }
JSON
# A stand-in for the gateway: counts the SIGHUPs it gets.
bash -c 'trap "echo hup >>'"$scratch"'/hups" HUP; while :; do sleep 0.1; done' &
pids+=($!)
"$sh" --config "$scratch/c.json" --pid "${pids[0]}" --gateway "$gw" --socket "$scratch/s" 2>/dev/null &
pids+=($!)
for _ in $(seq 50); do [ -S "$scratch/s" ] && break; sleep 0.1; done
out=$(/usr/bin/python3 - "$scratch/s" <<'PY'
import socket, sys, time
c = socket.socket(socket.AF_UNIX)
c.connect(sys.argv[1])
c.settimeout(10)
buf = b""
def cmd(line, want):
    global buf
    c.sendall(line.encode() + b"\r")
    end = time.monotonic() + 15
    while want.encode() not in buf and time.monotonic() < end:
        try:
            buf += c.recv(4096)
        except socket.timeout:
            break
    ok = want.encode() in buf
    print(("ok  " if ok else "BAD ") + line + " -> " + want)
    buf = b""
cmd("", "type help")
cmd("frobnicate", "error: unknown command")
cmd("set", "error: usage: set PATH VALUE")
cmd("set appliance..x 1", "error: appliance..x: bad path")
cmd("set appliance.nope.x 1", "no such path")
cmd("set appliance.admin.port notaport", "meshgate*>")
cmd("commit", "error: commit refused: validation failed")
cmd("rollback", "candidate discarded")
cmd("set appliance.admin.port 9902", "meshgate*>")
cmd("diff", "+ appliance.admin.port = 9902")
cmd("commit", "hot reload asked")
cmd("show config appliance.admin", "appliance.admin.port = 9902")
cmd("reboot", "error: reboot is an appliance command")
cmd("help", "factory-reset")
PY
)
fail=0
if grep -q '^BAD' <<<"$out"; then echo "FAIL shell_socket:"; echo "$out" | grep '^BAD'; fail=1; fi
grep -q '"port": 9902' "$scratch/c.json" || { echo "FAIL shell_socket: the file was not changed"; fail=1; }
sleep 0.3
[ "$(wc -l <"$scratch/hups" 2>/dev/null)" = 1 ] || { echo "FAIL shell_socket: expected one SIGHUP"; fail=1; }
[ "$(stat -c %a "$scratch/s")" = 600 ] || { echo "FAIL shell_socket: socket mode $(stat -c %a "$scratch/s")"; fail=1; }
kill -0 "${pids[1]}" 2>/dev/null || { echo "FAIL shell_socket: meshgate-shell died"; fail=1; }
[ $fail = 0 ] && echo "PASS shell_socket: $(grep -c '^ok' <<<"$out") commands as expected, file committed, one SIGHUP, socket 0600"
exit $fail
