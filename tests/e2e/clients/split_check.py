"""A weighted split measured through the gateway.

Usage: split_check.py CASEFILE GW N TOLERANCE

Sends N requests, keep-alive on one connection (a new one only if the gateway closes it),
as the first request of CASEFILE (one of tests/routing/cases/*.json, whose expected
targets are the weighted split) and counts which upstream port answered each.  Every
response must be 200 from one of the targets with a weight above 0, and the share of each
target must be within TOLERANCE percentage points of weight / sum(weights).  Prints the
counts; the last line is the summary.  Exit status 0 iff the split holds.
"""

import http.client
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "routing"))
import routing_cases  # noqa: E402


def main():
    cf = routing_cases.CaseFile(sys.argv[1])
    gw, n, tol = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    r = cf.requests[0]
    targets = r.expect["targets"]
    total_w = sum(t["weight"] for t in targets)
    port_of = {routing_cases.upstream_port(cf.config, t["virtualNode"], t["port"]): t
               for t in targets if t["weight"] > 0}
    counts = {p: 0 for p in port_of}
    conn, conns, bad = None, 0, []
    for i in range(n):
        if conn is None:
            conn = http.client.HTTPConnection(gw, routing_cases.listener_port(cf.config),
                                              timeout=10)
            conns += 1
        try:
            conn.putrequest(r.method, r.target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", r.authority)
            for name, value in r.headers:
                conn.putheader(name, value)
            conn.endheaders()
            resp = conn.getresponse()
            resp.read()
        except (OSError, http.client.HTTPException) as e:
            print(f"request {i}: {type(e).__name__}: {e}")
            return 1
        up = resp.getheader("X-Upstream-Port", "")
        if resp.status != 200 or not up.isdigit() or int(up) not in counts:
            bad.append(f"request {i}: status {resp.status} from port {up or '(gateway)'}")
        else:
            counts[int(up)] += 1
        if resp.will_close:
            conn.close()
            conn = None
    if conn is not None:
        conn.close()
    for b in bad[:10]:
        print(b)
    ok = not bad
    parts = []
    for p, t in port_of.items():
        share = 100.0 * counts[p] / n
        want = 100.0 * t["weight"] / total_w
        within = abs(share - want) <= tol
        ok = ok and within
        parts.append(f"{t['virtualNode']} {counts[p]} ({share:.2f} %, expected {want:g} "
                     f"+- {tol:g}{'' if within else ': OUT OF RANGE'})")
    print(f"{n} requests on {conns} connection(s), {len(bad)} bad: " + ", ".join(parts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
