"""Observability end to end: admin API, /metrics exactness, access log, trace headers.

Usage: obs_check.py GW ADMIN_PORT TOKEN text|json ACCESS_LOG UPSTREAM_LOG [SYSLOG_FILE]

Against a gateway configured as tests/e2e/cases/observability.py does (gateway routes /ok ->
node web, /down -> node down without endpoints, /slow -> node slow that never answers, one
upstream connection per endpoint), this script:

  1. checks that the admin endpoints are not served on the data listener (port 8080), that
     /metrics, /stats, /config_dump and POST /reload want the bearer token (401) while /ready
     and /health do not;
  2. scrapes /metrics, sends known traffic (6 x 200, 3 x 404, 2 x 503 no endpoint, 3 x 401
     JWT failures of three reasons, one request the client abandons and one overflow 503
     behind it), scrapes again, and checks
     that every relevant counter moved by exactly what was sent; promtool accepts both
     scrapes;
  3. reads the access log back (Envoy's default text format, or the case's JSON keys) and
     matches every line to a request sent: method, path, status, flags, bytes, request id;
  4. checks the headers the upstream got: X-Request-Id kept or generated, traceparent
     continued (same trace-id, new parent-id, tracestate kept) or started, X-Amzn-Trace-Id
     passed through unchanged;
     With SYSLOG_FILE (datagrams a UDP sink received, one JSON string a line), every access
     log line also arrived as an RFC 5424 message;
  5. POST /reload of a broken file: 422, generation 1 stays; of the restored file: generation
     2, counters kept; /config_dump shows generation 2 and no token.
"""

import http.client
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time

GW, ADMIN, TOKEN, MODE, ACCESS_LOG, UPSTREAM_LOG = sys.argv[1:7]
SYSLOG = sys.argv[7] if len(sys.argv) > 7 else None
ADMIN = int(ADMIN)
DATA = 8080
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, flush=True)
    return cond


def request(port, method, path, headers=None, body=None):
    c = http.client.HTTPConnection(GW, port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def admin(method, path, token=TOKEN):
    h = {"Authorization": f"Bearer {token}"} if token else {}
    return request(ADMIN, method, path, h)


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape():
    st, hdr, body = admin("GET", "/metrics")
    check(st == 200, f"/metrics with the token: {st}")
    check(hdr.get("content-type", "").startswith("text/plain; version=0.0.4"),
          f"/metrics Content-Type {hdr.get('content-type')}")
    text = body.decode()
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True)
    check(p.returncode == 0, f"promtool check metrics: rc={p.returncode} {p.stdout}{p.stderr}")
    m = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        g = SAMPLE.match(line)
        if not check(g is not None, f"unparsable sample line {line!r}"):
            continue
        labels = tuple(sorted(LABEL.findall(g.group(3) or "")))
        m[(g.group(1), labels)] = float(g.group(4))
    return m


def val(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))), 0.0)


# ---- 1. where the admin API is, and its token
for path in ("/metrics", "/stats", "/config_dump", "/ready"):
    st, _, body = request(DATA, "GET", path)
    check(st == 404 and b"meshgate_" not in body and b"\"ports\"" not in body,
          f"data listener GET {path}: {st} (must be the gateway's 404, not the admin's)")
st, _, _ = request(DATA, "POST", "/reload")
check(st == 404, f"data listener POST /reload: {st}")
PROBES = [("GET", p, 404) for p in ("/metrics", "/stats", "/config_dump", "/ready")] + \
    [("POST", "/reload", 404)]
for path in ("/metrics", "/stats", "/config_dump"):
    st, hdr, _ = admin("GET", path, token=None)
    check(st == 401 and "bearer" in hdr.get("www-authenticate", "").lower(),
          f"admin GET {path} without the token: {st}")
    st, _, _ = admin("GET", path, token=TOKEN + "x")
    check(st == 401, f"admin GET {path} with a wrong token: {st}")
st, _, _ = admin("POST", "/reload", token=None)
check(st == 401, f"admin POST /reload without the token: {st}")
for path in ("/ready", "/health"):
    st, _, _ = admin("GET", path, token=None)
    check(st == 200, f"admin GET {path} without the token: {st}")

# ---- 2. known traffic between two scrapes
before = scrape()
RID = "0f6c1d0e-1111-4222-8333-944445555666"
TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
AMZN = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
sent = []  # (method, path, status, extra)
N, M, K = 6, 3, 2
for i in range(N):
    h, body = {}, None
    if i == 0:
        h["X-Request-Id"] = RID
    if i == 1:
        h.update({"traceparent": TP, "tracestate": "vendor=x", "X-Amzn-Trace-Id": AMZN})
    if i == 2:
        h.update({"traceparent": TP.upper(), "tracestate": "vendor=y"})
    method = "POST" if i == 3 else "GET"
    if i == 3:
        body = b"hello"
    st, hdr, data = request(DATA, method, f"/ok/{i}", h, body)
    check(st == 200, f"{method} /ok/{i}: {st}")
    sent.append((method, f"/ok/{i}", 200, {"tx": len(data), "rx": len(body or b"")}))
for i in range(M):
    st, _, _ = request(DATA, "GET", f"/nope/{i}")
    check(st == 404, f"GET /nope/{i}: {st}")
    sent.append(("GET", f"/nope/{i}", 404, {"flags": "NR"}))
for i in range(K):
    st, _, _ = request(DATA, "GET", f"/down/{i}")
    check(st == 503, f"GET /down/{i}: {st}")
    sent.append(("GET", f"/down/{i}", 503, {"flags": "UH"}))
# J JWT failures on /auth (gateway route "auth" needs a token): missing, malformed, alg none.
JWT_BAD = [("missing", None), ("malformed", "Bearer not-a-jwt"),
           ("alg_none", "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UifQ.")]
J = len(JWT_BAD)
for reason, auth in JWT_BAD:
    st, hdr, _ = request(DATA, "GET", f"/auth/{reason}", {"Authorization": auth} if auth else {})
    check(st == 401 and hdr.get("www-authenticate", "").startswith("Bearer "),
          f"GET /auth/{reason}: {st} {hdr.get('www-authenticate')} (expected 401 Bearer)")
    sent.append(("GET", f"/auth/{reason}", 401, {"flags": "UAEX"}))
# The slow node's circuit breaker (connectionPool maxConnections 1, maxPendingRequests 1):
# its one connection is taken by a request its client abandons, the one pending place by a
# second such request; the third request overflows (503 UO).
a = socket.create_connection((GW, DATA))
a.sendall(b"GET /slow/a HTTP/1.1\r\nHost: slow\r\n\r\n")
time.sleep(0.5)
b = socket.create_connection((GW, DATA))
b.sendall(b"GET /slow/b HTTP/1.1\r\nHost: slow\r\n\r\n")
time.sleep(0.5)
st, _, _ = request(DATA, "GET", "/slow/c")
check(st == 503, f"GET /slow/c behind a held connection and a pending request: {st} "
      "(expected overflow 503)")
sent.append(("GET", "/slow/c", 503, {"flags": "UO"}))
# Resets, as clients that give up do (a FIN alone waits behind the pending response); the
# pending one first, so that it does not take the connection the other frees.
for s_, path in ((b, "/slow/b"), (a, "/slow/a")):
    s_.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s_.close()
    sent.append(("GET", path, 0, {"flags": "DC"}))
    time.sleep(0.2)
time.sleep(0.5)
after = scrape()


def delta(name, **labels):
    return val(after, name, **labels) - val(before, name, **labels)


def expect(name, want, **labels):
    got = delta(name, **labels)
    check(got == want, f"{name}{labels}: moved by {got:g}, expected {want}")


L = {"listener": str(DATA)}
expect("meshgate_listener_requests_total", N, code_class="2xx", **L)
expect("meshgate_listener_requests_total", M + J, code_class="4xx", **L)
expect("meshgate_listener_requests_total", K + 1, code_class="5xx", **L)
expect("meshgate_listener_requests_total", 2, code_class="none", **L)
expect("meshgate_listener_request_duration_seconds_count", N + M + J + K + 3, **L)
expect("meshgate_listener_request_duration_seconds_bucket", N + M + J + K + 3, le="+Inf", **L)
expect("meshgate_listener_connections_total", N + M + J + K + 3, **L)
check(val(after, "meshgate_listener_connections_active", **L) == 0,
      "listener connections_active back to 0")
expect("meshgate_gateway_route_requests_total", N, gateway_route="ok", code_class="2xx")
expect("meshgate_gateway_route_requests_total", K, gateway_route="down", code_class="5xx")
expect("meshgate_gateway_route_requests_total", 1, gateway_route="slow", code_class="5xx")
expect("meshgate_gateway_route_requests_total", 2, gateway_route="slow", code_class="none")
expect("meshgate_virtual_service_requests_total", N, virtual_service="web.mesh.local",
       code_class="2xx")
expect("meshgate_virtual_service_requests_total", K, virtual_service="down.mesh.local",
       code_class="5xx")
expect("meshgate_virtual_node_requests_total", N, virtual_node="web", code_class="2xx")
expect("meshgate_virtual_node_upstream_ttfb_seconds_count", N, virtual_node="web")
expect("meshgate_virtual_node_upstream_overflows_total", 1, virtual_node="slow")
expect("meshgate_endpoint_requests_total", N, endpoint="10.99.0.1:8081", code_class="2xx")
expect("meshgate_endpoint_upstream_ttfb_seconds_count", N, endpoint="10.99.0.1:8081")
expect("meshgate_routing_decisions_total", N + J + 3, reason="ok")  # JWT checks come after routing
expect("meshgate_routing_decisions_total", M, reason="no_gateway_route")
expect("meshgate_routing_decisions_total", K, reason="no_endpoint")
expect("meshgate_upstream_overflows_total", 1)
expect("meshgate_upstream_retries_total", 0)  # no retryPolicy in this configuration
expect("meshgate_upstream_ejections_total", 0)
expect("meshgate_gateway_route_requests_total", J, gateway_route="auth", code_class="4xx")
for reason, _ in JWT_BAD:
    expect("meshgate_jwt_requests_total", 1, reason=reason)
expect("meshgate_jwt_requests_total", 0, reason="allowed")
expect("meshgate_responses_total", N, code_class="2xx")
expect("meshgate_responses_total", M + J, code_class="4xx")
expect("meshgate_responses_total", K + 1, code_class="5xx")
expect("meshgate_requests_total", N + M + J + K + 3)
expect("meshgate_access_log_lines_total", N + M + J + K + 3)
check(val(after, "meshgate_access_log_dropped_total") == 0, "no access log line dropped")
for c in ("1xx", "3xx"):
    expect("meshgate_listener_requests_total", 0, code_class=c, **L)

# ---- 3. the access log
TEXT = re.compile(r'^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\] "(\S+) (\S+) (\S+)" (\d+) (\S+) '
                  r'(\d+) (\d+) (\d+) (\S+) "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)"$')


def parse_line(line):
    if MODE == "text":
        g = TEXT.match(line)
        if not g:
            return None
        return {"method": g.group(2), "path": g.group(3), "proto": g.group(4),
                "code": int(g.group(5)), "flags": g.group(6), "rx": int(g.group(7)),
                "tx": int(g.group(8)), "rid": g.group(13), "authority": g.group(14),
                "upstream": g.group(15)}
    return json.loads(line)


want_lines = len(PROBES) + len(sent)
deadline = time.time() + 5
lines = []
while time.time() < deadline:
    with open(ACCESS_LOG, encoding="utf-8") as f:
        lines = [x for x in f.read().splitlines() if x.strip()]
    if len(lines) >= want_lines:
        break
    time.sleep(0.2)
check(len(lines) == want_lines, f"access log: {len(lines)} lines, expected {want_lines}")
entries = []
for line in lines:
    e = parse_line(line)
    if check(e is not None, f"access log line not in the {MODE} format: {line!r}"):
        entries.append(e)
got = sorted((e["method"], e["path"], int(e["code"])) for e in entries)
want = sorted([(m, p, c) for m, p, c in PROBES] + [(m, p, c) for m, p, c, _ in sent])
check(got == want, f"access log requests {got} != sent {want}")
by_path = {e["path"]: e for e in entries}
for method, path, code, extra in sent:
    e = by_path.get(path)
    if e is None:
        continue
    if "flags" in extra:
        check(e["flags"] == extra["flags"], f"{path}: flags {e['flags']}, expected {extra['flags']}")
    else:
        check(e["flags"] == "-", f"{path}: flags {e['flags']}, expected -")
    if "tx" in extra:
        check(int(e["tx"]) == extra["tx"], f"{path}: bytes sent {e['tx']}, expected {extra['tx']}")
        check(int(e["rx"]) == extra["rx"], f"{path}: bytes received {e['rx']}, expected {extra['rx']}")
        check(e["upstream"] == "10.99.0.1:8081", f"{path}: upstream host {e['upstream']}")
    if MODE == "json" and code == 200:
        check(e.get("route") == "ok" and e.get("node") == "web",
              f"{path}: route/node {e.get('route')}/{e.get('node')}")
check(by_path.get("/ok/0", {}).get("rid") == RID, "the client's X-Request-Id is logged")

# ---- 4. what the upstream received
ups = {}
with open(UPSTREAM_LOG, encoding="utf-8") as f:
    for line in f:
        r = json.loads(line)
        # The gateway route's prefix /ok is rewritten to / (App Mesh's default).
        ups["/ok" + r["path"]] = {n: v for n, v in r["headers"]}
for i in range(N):
    h = ups.get(f"/ok/{i}", {})
    tp = h.get("traceparent", "")
    check(re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", tp) is not None,
          f"/ok/{i}: traceparent {tp!r} forwarded")
    rid = h.get("x-request-id", "")
    check(by_path.get(f"/ok/{i}", {}).get("rid") == rid,
          f"/ok/{i}: X-Request-Id upstream {rid!r} == logged")
check(ups.get("/ok/0", {}).get("x-request-id") == RID, "X-Request-Id kept")
h1 = ups.get("/ok/1", {})
check(h1.get("traceparent", "")[:36] == TP[:36] and h1.get("traceparent", "")[36:52] != TP[36:52]
      and h1.get("traceparent", "").endswith("-01"),
      f"valid traceparent continued with a new parent-id: {h1.get('traceparent')}")
check(h1.get("tracestate") == "vendor=x", "tracestate kept with a valid traceparent")
check(h1.get("x-amzn-trace-id") == AMZN, "X-Amzn-Trace-Id passed through unchanged")
h2 = ups.get("/ok/2", {})
check(h2.get("traceparent", "")[3:35] != TP[3:35].upper().lower() and "tracestate" not in h2,
      f"invalid traceparent: a new trace, tracestate dropped: {h2}")

# ---- 5. reload through the admin API: a broken file is refused (422, generation 1 stays),
# the restored one goes into service as generation 2
cfg = os.path.join(os.path.dirname(UPSTREAM_LOG), "config.json")
with open(cfg, encoding="utf-8") as f:
    good = f.read()
with open(cfg, "w", encoding="utf-8") as f:
    f.write(good.replace('"gatewayRoutes"', '"gatewayRoutez"', 1))
st, _, body = admin("POST", "/reload")
check(st == 422 and b"generation 1 stays in service" in body, f"POST /reload of a bad file: {st} {body!r}")
with open(cfg, "w", encoding="utf-8") as f:
    f.write(good)
st, _, body = admin("POST", "/reload")
check(st == 200 and b"generation 2 in service" in body, f"POST /reload: {st} {body!r}")
again = scrape()
check(val(again, "meshgate_config_generation") == 2, "config_generation 2 after the reload")
for key in (("meshgate_listener_requests_total", (("code_class", "2xx"), ("listener", "8080"))),
            ("meshgate_gateway_route_requests_total",
             (("code_class", "2xx"), ("gateway_route", "ok")))):
    check(again.get(key) == after.get(key), f"{key} survives the reload")
st, hdr, body = admin("GET", "/config_dump")
dump = json.loads(body) if st == 200 else {}
check(dump.get("generation") == 2, f"/config_dump generation {dump.get('generation')}")
check(TOKEN.encode() not in body, "/config_dump does not show the token")
check(isinstance(dump.get("config"), dict) and "gatewayRoutes" in dump["config"],
      "/config_dump has the configuration")
if SYSLOG:
    RFC5424 = re.compile(r"^<134>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ meshgate \d+ access - (.*)$")
    with open(SYSLOG, encoding="utf-8") as f:
        msgs = [json.loads(x) for x in f if x.strip()]
    bodies = []
    for m in msgs:
        g = RFC5424.match(m)
        if check(g is not None, f"syslog message not RFC 5424 as expected: {m!r}"):
            bodies.append(g.group(1))
    check(sorted(bodies) == sorted(lines), f"syslog messages {len(bodies)} != access log lines {len(lines)}")
    check(val(again, "meshgate_access_log_syslog_messages_total") == len(lines),
          "access_log_syslog_messages_total counts them")
st, _, body = admin("GET", "/health", token=None)
check(st == 200 and body == b"healthy\n", f"/health {st} {body!r}")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print(f"observability ({MODE}): {len(lines)} access log lines matched, every counter exact, "
      f"promtool accepts /metrics")
