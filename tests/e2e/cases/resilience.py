"""Resilience end to end, against tools/fault-upstream: retries, circuit breaking, timeouts
and outlier detection, with App Mesh's own fields (docs/RESILIENCE.md).
"""

import copy

import re

from steps import (Case, Step, client, curl, deep_merge, fail, fault, fault_upstream,
                   gateway_logged, get_stats, http, reload_config)


def mesh(ports, route_extra=None, listener_extra=None):
    """A gateway route to a router whose one route targets the node 'web', whose endpoints are
    the fault upstream's <ports> on the namespace side."""
    route = {"match": {"prefix": "/"},
             "action": {"weightedTargets": [{"virtualNode": "web", "weight": 1}]}}
    route.update(route_extra or {})
    listener = {"portMapping": {"port": 8080, "protocol": "http"}}
    listener.update(listener_extra or {})
    return {
        "virtualGateway": {"virtualGatewayName": "ingress", "spec": {
            "listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}]}},
        "appliance": {"endpoints": {"web": [{"address": "10.99.0.1", "port": p}
                                            for p in ports]}},
        "gatewayRoutes": [{"gatewayRouteName": "all", "spec": {"httpRoute": {
            "match": {"prefix": "/"},
            "action": {"target": {"virtualService": {"virtualServiceName": "web.local"}},
                       "rewrite": {"prefix": {"defaultPrefix": "DISABLED"}}}}}}],
        "virtualServices": [{"virtualServiceName": "web.local", "spec": {"provider": {
            "virtualRouter": {"virtualRouterName": "r"}}}}],
        "virtualRouters": [{"virtualRouterName": "r", "spec": {
            "listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}]}}],
        "routes": [{"routeName": "web", "virtualRouterName": "r",
                    "spec": {"httpRoute": route}}],
        "virtualNodes": [{"virtualNodeName": "web", "spec": {"listeners": [listener]}}],
    }


def metric(name, value):
    """/metrics on the admin listener has meshgate_<name> equal to <value>."""
    def step(ctx, desc):
        rc, out, err = curl(ctx, ctx.fmt("http://{gw}:{admin}/metrics"))
        if rc != 0:
            fail(f"{desc}: curl rc={rc} {err.strip()}")
        m = re.search(rf"^meshgate_{name} (\S+)$", out, re.M)
        if m is None or float(m.group(1)) != value:
            fail(f"{desc}: {m.group(0) if m else 'absent'}", out[-2000:])
    return Step(f"metric {name} == {value}", step)


def cluster_stat(node, key, value):
    """/stats "clusters" has the virtual node <node>'s cluster with <key> equal to <value>."""
    def step(ctx, desc):
        st = get_stats(ctx)
        cl = [c for c in st.get("clusters", []) if c.get("virtual_node") == node]
        if len(cl) != 1 or cl[0].get(key) != value:
            fail(f"{desc}: clusters = {st.get('clusters')!r}")
    return Step(f"/stats cluster {node} {key} == {value}", step)


def ms(v):
    return {"unit": "ms", "value": v}


RETRY3 = {"retryPolicy": {"maxRetries": 3, "perRetryTimeout": ms(2000),
                          "httpRetryEvents": ["server-error"]}}
NO_RETRY = {"retryPolicy": {"maxRetries": 0, "perRetryTimeout": ms(5000),
                            "httpRetryEvents": ["server-error"]}}

UNHEALTHY = {"healthCheck": {
    "protocol": "http", "path": "/hc?fault=status:503", "intervalMillis": 5000,
    "timeoutMillis": 2000, "healthyThreshold": 2, "unhealthyThreshold": 2}}

CASES = [
    # connectionPool.http maxConnections 10, maxPendingRequests 1; 50 slow requests at once:
    # 10 run, 1 waits and runs after, 39 get 503 x-envoy-overloaded at once.
    Case("resilience_circuit_breaker",
         config=mesh([9001], NO_RETRY, {"connectionPool": {"http": {
             "maxConnections": 10, "maxPendingRequests": 1}}}),
         steps=[fault_upstream([9001]), fault(9001, "delay", ms=1000),
                client("resilience.py", "overflow", "http://{gw}:8080/slow", 50, 11, 39, 10,
                       timeout=120, note=True)]),
    # Outlier detection: two of four endpoints answer 503; after maxServerErrors (3) in a row
    # each is ejected, so from one interval (1 s) on every request succeeds (no retries);
    # healed, they get traffic again once their ejection (3 s) ends.
    Case("resilience_outlier_ejection",
         config=mesh([9001, 9002, 9003, 9004], NO_RETRY, {"outlierDetection": {
             "maxServerErrors": 3, "interval": ms(1000), "baseEjectionDuration": ms(3000),
             "maxEjectionPercent": 50}}),
         steps=[fault_upstream([9001, 9002, 9003, 9004]),
                fault(9003, "status", status=503), fault(9004, "status", status=503),
                client("resilience.py", "eject", "http://{gw}:8080/o", "{peer}:9100", 3,
                       "9003,9004", timeout=60, note=True),
                metric("upstream_ejections_total", 2),
                cluster_stat("web", "ejections", 2), cluster_stat("web", "endpoints", 4)]),
]

# These failed until the timing wheel was fixed (gateway/net/mg_wheel.c): a deadline filed
# into the tick being swept waited a whole revolution (4.1 s), so retries and the per-request
# timeout were sometimes seconds late.
CASES += [
    # maxRetries 3 on server-error.  One endpoint failing 20 % at random: 0.2^4, so 99.8 % of
    # requests succeed (none without retries at 80 %).  Two endpoints, one failing every
    # request (the upstream fails 50 % of requests): a retry goes to the other endpoint, so
    # every request succeeds.
    Case("resilience_retries_same_endpoint", config=mesh([9001], RETRY3),
         steps=[fault_upstream([9001]), fault(9001, "fail", ratio=0.2, status=503),
                client("resilience.py", "success", "http://{gw}:8080/r", 2000, 99.0,
                       timeout=300, note=True)]),
    Case("resilience_retries_other_endpoint", config=mesh([9001, 9002], RETRY3),
         steps=[fault_upstream([9001, 9002]), fault(9002, "status", status=503),
                client("resilience.py", "success", "http://{gw}:8080/r", 2000, 99.0,
                       timeout=300, note=True)]),
    # timeout.perRequest 500 ms against an upstream that never answers: 504 in 500..600 ms.
    Case("resilience_per_request_timeout",
         config=mesh([9001], {"timeout": {"perRequest": ms(500)}}),
         steps=[fault_upstream([9001]),
                # One request first, so that the timed one uses a pooled connection and
                # measures the timeout alone.
                client("resilience.py", "success", "http://{gw}:8080/warm", 1, 100),
                fault(9001, "hang"),
                client("resilience.py", "timeout", "http://{gw}:8080/hang", 500, 600,
                       timeout=60, note=True)]),
    # Active health checks (http, App Mesh's smallest interval 5 s and timeout 2 s, thresholds
    # 2): a black-holed endpoint is out within interval x unhealthy + timeout = 12 s, plus the
    # checker's 100 ms tick twice (requests to it meanwhile get 504 after perRequest 1 s; the
    # time of the last failing request is when it was sent) and back after healthy threshold (2)
    # successes: at most 2 intervals + a tick, 10.5 s.
    Case("resilience_health_check",
         config=mesh([9001, 9002], {"timeout": {"perRequest": ms(1000)}}, {"healthCheck": {
             "protocol": "http", "path": "/health", "intervalMillis": 5000,
             "timeoutMillis": 2000, "healthyThreshold": 2, "unhealthyThreshold": 2}}),
         steps=[fault_upstream([9001, 9002]),
                # Both checked healthy first (the very first probes may find the upstream
                # not yet listening: then the next interval's do).
                gateway_logged(r"endpoint 10\.99\.0\.1:9001 pending -> healthy", timeout=15),
                gateway_logged(r"endpoint 10\.99\.0\.1:9002 pending -> healthy", timeout=15),
                client("resilience.py", "health", "http://{gw}:8080/h", "{peer}:9100", 9002,
                       12.3, 10.5, timeout=90, note=True),
                cluster_stat("web", "usable", 2),
                metric("upstream_health_check_transitions_total", 4)]),
    # A gateway that boots without gateway routes (a static upstream) and gets a mesh with
    # health checks by reload checks its endpoints too (the checker used to start only when
    # the boot configuration had gateway routes).
    Case("resilience_health_check_after_reload",
         config={"virtualGateway": mesh([9001])["virtualGateway"],
                 "appliance": {"proxy": {"staticUpstream": {"address": "10.99.0.1",
                                                            "port": 9001}}}},
         steps=[fault_upstream([9001]),
                reload_config(mesh([9001], None, {"healthCheck": {
                    "protocol": "http", "path": "/health", "intervalMillis": 5000,
                    "timeoutMillis": 2000, "healthyThreshold": 2, "unhealthyThreshold": 2}})),
                gateway_logged(r"endpoint 10\.99\.0\.1:9001 pending -> healthy", timeout=15)]),
    # Every endpoint unhealthy (the health check's path answers 503 while requests get 200):
    # fail-open (the default) keeps sending them traffic; fail-closed answers 503 at once.
    Case("resilience_fail_open", config=mesh([9001, 9002], NO_RETRY, UNHEALTHY),
         steps=[fault_upstream([9001, 9002]),
                client("resilience.py", "status", "http://{gw}:8080/x", 20, 200, 1000,
                       note=True),
                http("GET", "/health", 200)]),
    Case("resilience_fail_closed",
         config=deep_merge(mesh([9001, 9002], NO_RETRY, UNHEALTHY),
                           {"appliance": {"failClosed": ["web"]}}),
         steps=[fault_upstream([9001, 9002]),
                # "At once": no endpoint is tried (10 ms held on an idle machine; 50 ms leaves
                # room for the shared 2-core CI machine's scheduling).
                client("resilience.py", "status", "http://{gw}:8080/x", 20, 503, 50,
                       note=True),
                # ... and the gateway's own /health says it cannot serve.
                http("GET", "/health", 503)]),
]
