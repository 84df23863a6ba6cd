"""Send every request of a routing case file through the gateway and check where it lands.

Usage: routing_check.py CASEFILE GW UPSTREAM_LOG

CASEFILE is one of tests/routing/cases/*.json (its configuration is the gateway's);
servers/multi_upstream.py listens for every virtual node, logging to UPSTREAM_LOG.
Each request goes on its own connection to GW at the listener port, exactly as the case
writes it (method, request target unnormalised, Host from the URL, headers in order,
repeats included), and must get:
  - a forwarded request (expected status 200): 200 from the upstream port of the
    expected target (for weighted targets: of one with a weight above 0), which received
    the expected method, Host and path;
  - otherwise: the expected status from the gateway itself (no upstream header).
At the end the upstream log must hold no desynchronised request.  Prints one line per
request, then "N requests, M as expected"; exit status 0 iff all were.
"""

import http.client
import json
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "routing"))
import routing_cases  # noqa: E402

BODY_METHODS = ("POST", "PUT", "PATCH")


def send(gw, port, r):
    """(status, headers dict with lower-case names, body) of request <r>."""
    conn = http.client.HTTPConnection(gw, port, timeout=10)
    try:
        conn.putrequest(r.method, r.target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", r.authority)
        for name, value in r.headers:
            conn.putheader(name, value)
        if r.method in BODY_METHODS:
            conn.putheader("Content-Length", "0")
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def check(cf, r, gw, port):
    """A problem with request <r>, or None; and the node that answered (or None)."""
    want = r.expect
    try:
        status, hdrs, body = send(gw, port, r)
    except (OSError, http.client.HTTPException) as e:
        return f"{type(e).__name__}: {e}", None
    up = hdrs.get("x-upstream-port")
    node = cf.upstream.get(int(up))[0] if up and up.isdigit() and int(up) in cf.upstream else up
    if want["status"] != 200:
        if status != want["status"]:
            return f"status {status} (from {node or 'the gateway'}), expected {want['status']}", node
        if up is not None:
            return f"status {status} came from the upstream ({node}), not the gateway", node
        return None, None
    if status != 200 or up is None:
        return (f"status {status} from {node or 'the gateway'}, expected 200 from the upstream: "
                f"{body[:120]!r}"), node
    allowed = {routing_cases.upstream_port(cf.config, n, p): n for n, p in r.chosen_targets()}
    problems = []
    if int(up) not in allowed:
        problems.append(f"reached {node} (port {up}), expected "
                        + " or ".join(f"{n} (port {p})" for p, n in allowed.items()))
    for key, hdr in (("method", "x-echo-method"), ("host", "x-echo-host"),
                     ("path", "x-echo-path")):
        exp = r.method if key == "method" else want[key]
        if hdrs.get(hdr) != exp:
            problems.append(f"upstream got {key} {hdrs.get(hdr)!r}, expected {exp!r}")
    return ("; ".join(problems) or None), node


def main():
    cf = routing_cases.CaseFile(sys.argv[1])
    gw, log = sys.argv[2], Path(sys.argv[3])
    port = routing_cases.listener_port(cf.config)
    ok = 0
    for r in cf.requests:
        problem, node = check(cf, r, gw, port)
        if problem:
            print(f"FAIL {r.name}: {r.method} {r.url}: {problem}")
        else:
            ok += 1
            print(f"ok   {r.name} -> {node or r.expect['status']}")
    desync = []
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if "desync" in rec:
                desync.append(rec)
    for rec in desync:
        print(f"FAIL upstream saw a desynchronised request on port {rec.get('port')}: "
              f"{rec['desync']}")
    print(f"{len(cf.requests)} requests, {ok} as expected"
          + (f", {len(desync)} desynchronised at the upstream" if desync else ""))
    return 0 if ok == len(cf.requests) and not desync else 1


if __name__ == "__main__":
    sys.exit(main())
