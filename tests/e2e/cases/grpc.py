"""gRPC requests end to end (gateway/h2/mg_grpc.h, docs/HTTP2.md): gateway-generated failures
answer HTTP 200 with grpc-status / grpc-message, and grpc-timeout shortens the route timeout.
The requests use HTTP/1.1 framing: the HTTP/2 listener is not built yet (issue 9).
"""

import copy

from steps import Case, client, fault_upstream, server


def ms(v):
    return {"unit": "ms", "value": v}


CONFIG = {
    "virtualGateway": {"virtualGatewayName": "ingress", "spec": {
        "listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}]}},
    "appliance": {"endpoints": {"greeter": [{"address": "10.99.0.1", "port": 9001}],
                                "empty": [{"address": "10.99.0.1", "port": 9009}]}},
    "gatewayRoutes": [
        {"gatewayRouteName": "greeter", "spec": {"httpRoute": {
            "match": {"prefix": "/helloworld.Greeter/"},
            "action": {"target": {"virtualService": {"virtualServiceName": "greeter.local"}},
                       "rewrite": {"prefix": {"defaultPrefix": "DISABLED"}}}}}},
        {"gatewayRouteName": "empty", "spec": {"httpRoute": {
            "match": {"prefix": "/empty.Svc/"},
            "action": {"target": {"virtualService": {"virtualServiceName": "empty.local"}},
                       "rewrite": {"prefix": {"defaultPrefix": "DISABLED"}}}}}}],
    "virtualServices": [
        {"virtualServiceName": "greeter.local", "spec": {"provider": {
            "virtualRouter": {"virtualRouterName": "r"}}}},
        {"virtualServiceName": "empty.local", "spec": {"provider": {
            "virtualNode": {"virtualNodeName": "empty"}}}}],
    "virtualRouters": [{"virtualRouterName": "r", "spec": {
        "listeners": [{"portMapping": {"port": 8080, "protocol": "grpc"}}]}}],
    "routes": [{"routeName": "greeter", "virtualRouterName": "r", "spec": {"grpcRoute": {
        "match": {"serviceName": "helloworld.Greeter"},
        "action": {"weightedTargets": [{"virtualNode": "greeter", "weight": 1}]},
        "timeout": {"perRequest": ms(10000)}}}}],
    # The nodes' listeners say http: these test upstreams speak gRPC's framing over HTTP/1.1
    # (a node with protocol grpc is reached over HTTP/2: tests/e2e/cases/h2_upstream.py).
    "virtualNodes": [
        {"virtualNodeName": "greeter", "spec": {"listeners": [
            {"portMapping": {"port": 8080, "protocol": "http"}}]}},
        {"virtualNodeName": "empty", "spec": {"listeners": [
            {"portMapping": {"port": 8080, "protocol": "http"}}]}}],
}

# The same, with the greeter behind grpc_flaky.py and a retry policy on UNAVAILABLE.
RETRY_CONFIG = copy.deepcopy(CONFIG)
RETRY_CONFIG["appliance"]["endpoints"]["greeter"] = [{"address": "10.99.0.1", "port": 9002}]
RETRY_CONFIG["routes"][0]["spec"]["grpcRoute"]["retryPolicy"] = {
    "maxRetries": 2, "perRetryTimeout": ms(2000), "grpcRetryEvents": ["unavailable"]}

CASES = [
    Case("grpc_errors", config=CONFIG,
         steps=[fault_upstream([9001]),
                # no gateway route: 404 -> UNIMPLEMENTED (12)
                client("grpc_errors.py", "status", "http://{gw}:8080/other.Svc/Call", 12,
                       note=True),
                # an endpoint that refuses connections: 503 -> UNAVAILABLE (14)
                client("grpc_errors.py", "status", "http://{gw}:8080/empty.Svc/Call", 14,
                       note=True),
                client("grpc_errors.py", "plain", "http://{gw}:8080/empty.Svc/Call", 503),
                # grpc-timeout 300m under the route's 10 s: DEADLINE_EXCEEDED (4)
                client("grpc_errors.py", "deadline", "http://{gw}:8080/helloworld.Greeter/SayHello",
                       300, 500, timeout=60, note=True),
                # again on a fresh gateway->upstream connection (the timing-wheel fix in main:
                # no more deadlines a wheel revolution, ~4.1 s, late): at most 200 ms late
                client("grpc_errors.py", "deadline",
                       "http://{gw}:8080/helloworld.Greeter/SayHello", 300, 500, "cold",
                       timeout=60, note=True)]),
    # grpcRetryEvents: every other upstream answer is grpc-status 14; each call is retried
    # once and succeeds (without the retry half the calls would fail).
    Case("grpc_retry_unavailable", config=RETRY_CONFIG,
         steps=[server("grpc_flaky.py", "{peer}", 9002),
                client("grpc_errors.py", "retry",
                       "http://{gw}:8080/helloworld.Greeter/SayHello", 20, note=True)]),
]
