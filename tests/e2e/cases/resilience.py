"""Resilience end to end, against tools/fault-upstream: retries, circuit breaking, timeouts
and outlier detection, with App Mesh's own fields (docs/RESILIENCE.md).
"""

import copy

from steps import Case, client, deep_merge, fault, fault_upstream


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


def ms(v):
    return {"unit": "ms", "value": v}


RETRY3 = {"retryPolicy": {"maxRetries": 3, "perRetryTimeout": ms(2000),
                          "httpRetryEvents": ["server-error"]}}
NO_RETRY = {"retryPolicy": {"maxRetries": 0, "perRetryTimeout": ms(5000),
                            "httpRetryEvents": ["server-error"]}}

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
                       "9003,9004", timeout=60, note=True)]),
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
]
