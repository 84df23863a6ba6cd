"""TCP: a client may reuse its port while the gateway still holds the old connection in
TIME-WAIT (docs/PERFORMANCE.md; platform/lwip/patches/0002-*).  The gateway closes first
(`Connection: close`), so its side of the connection sits in TIME-WAIT for 2 * MSL; a new SYN
from the same client port with a higher sequence number must open a new connection at once,
as on BSD and Linux, not be answered with a bare ACK until TIME-WAIT ends (load generators and
NATed clients recycle ports quickly).
"""

import json

from steps import Case, sh, Step, curl, fail

PORT = 40123


def time_wait_at_least(n):
    def step(ctx, desc):
        rc, out, err = curl(ctx, ctx.fmt("http://{gw}:{admin}/stats"))
        if rc != 0:
            fail(f"{desc}: GET /stats failed", err)
        tw = json.loads(out)["tcp"]["time_wait"]
        if tw < n:
            fail(f"{desc}: tcp.time_wait is {tw}")
    return Step(f"the gateway holds at least {n} connection(s) in TIME-WAIT", step)


def close_from_port(desc):
    return sh("curl", "-sS", "--max-time", "3", "--local-port", str(PORT), "-H",
              "Connection: close", "-o", "/dev/null", "-w", "%{http_code}\n",
              "http://{gw}:{admin}/ready", stdout=r"^200$", within=3, timeout=10, desc=desc)


CASES = [
    Case("tcp_port_reuse_over_time_wait", steps=[
        close_from_port(f"GET /ready from port {PORT}, Connection: close"),
        time_wait_at_least(1),
        close_from_port(f"GET /ready again from port {PORT} at once: answered within 3 s"),
        close_from_port(f"and a third time from port {PORT}"),
    ]),
]
