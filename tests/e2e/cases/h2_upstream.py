"""HTTP/2 toward upstreams (gateway/h2/mg_h2c.h, docs/HTTP2.md "Upstream HTTP/2"): an HTTP/1.1
client reaches, through the gateway, a gRPC server from Debian's python3-grpcio that speaks only
HTTP/2 (h2c): unary calls (trailers carried back as the chunked trailer section), gRPC errors,
retries on UNAVAILABLE (grpcRetryEvents), the grpc maxRequests circuit breaker and gRPC health
checks.
"""

import copy

from steps import Case, client, gateway_logged, server


def ms(v):
    return {"unit": "ms", "value": v}


def svc_route(name, prefix, node):
    return {"gatewayRouteName": name, "spec": {"httpRoute": {
        "match": {"prefix": prefix},
        "action": {"target": {"virtualService": {"virtualServiceName": f"{node}.local"}},
                   "rewrite": {"prefix": {"defaultPrefix": "DISABLED"}}}}}}


def node(name, **extra):
    listener = {"portMapping": {"port": 8080, "protocol": "grpc"}}
    listener.update(extra)
    return {"virtualNodeName": name, "spec": {"listeners": [listener]}}


CONFIG = {
    "virtualGateway": {"virtualGatewayName": "ingress", "spec": {
        "listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}]}},
    "appliance": {"endpoints": {"greeter": [{"address": "10.99.0.1", "port": 9003}],
                                "svc": [{"address": "10.99.0.1", "port": 9003}]}},
    "gatewayRoutes": [svc_route("greeter", "/helloworld.Greeter/", "greeter"),
                      svc_route("svc", "/test.Svc/", "svc")],
    "virtualServices": [
        {"virtualServiceName": "greeter.local", "spec": {"provider": {
            "virtualNode": {"virtualNodeName": "greeter"}}}},
        {"virtualServiceName": "svc.local", "spec": {"provider": {
            "virtualRouter": {"virtualRouterName": "r"}}}}],
    "virtualRouters": [{"virtualRouterName": "r", "spec": {
        "listeners": [{"portMapping": {"port": 8080, "protocol": "grpc"}}]}}],
    "routes": [{"routeName": "svc", "virtualRouterName": "r", "spec": {"grpcRoute": {
        "match": {"serviceName": "test.Svc"},
        "action": {"weightedTargets": [{"virtualNode": "svc", "weight": 1}]},
        "timeout": {"perRequest": ms(10000)}}}}],
    "virtualNodes": [node("greeter"), node("svc")],
}

RETRY_CONFIG = copy.deepcopy(CONFIG)
RETRY_CONFIG["routes"][0]["spec"]["grpcRoute"]["retryPolicy"] = {
    "maxRetries": 2, "perRetryTimeout": ms(2000), "grpcRetryEvents": ["unavailable"]}

POOL_CONFIG = copy.deepcopy(CONFIG)
POOL_CONFIG["virtualNodes"][1] = node("svc", connectionPool={"grpc": {"maxRequests": 2}})

# Two grpcio servers, one answering NOT_SERVING to grpc.health.v1.Health/Check.
HC = {"protocol": "grpc", "healthyThreshold": 2, "unhealthyThreshold": 2,
      "intervalMillis": 5000, "timeoutMillis": 2000}
HC_CONFIG = copy.deepcopy(CONFIG)
HC_CONFIG["appliance"]["endpoints"]["svc"] = [{"address": "10.99.0.1", "port": 9003},
                                               {"address": "10.99.0.1", "port": 9004}]
HC_CONFIG["virtualNodes"] = [node("greeter", healthCheck=HC), node("svc", healthCheck=HC)]

CASES = [
    Case("h2_upstream_grpc_unary", config=CONFIG,
         steps=[server("grpc_h2.py", "{peer}", 9003),
                client("h2up.py", "unary", "http://{gw}:8080/helloworld.Greeter/SayHello",
                       20, 1, note=True),
                # 200 calls, 20 at a time: streams multiplexed on the upstream connections
                client("h2up.py", "unary", "http://{gw}:8080/helloworld.Greeter/SayHello",
                       200, 20, note=True),
                # a Trailers-Only error: grpc-status stays in the head
                client("h2up.py", "status", "http://{gw}:8080/test.Svc/Fail", 14, note=True),
                # an unknown method: the server's UNIMPLEMENTED
                client("h2up.py", "status", "http://{gw}:8080/test.Svc/Nope", 12, note=True)]),
    Case("h2_upstream_retry_unavailable", config=RETRY_CONFIG,
         steps=[server("grpc_h2.py", "{peer}", 9003),
                client("h2up.py", "retry", "http://{gw}:8080/test.Svc/Flaky", 20, note=True)]),
    Case("h2_upstream_max_requests", config=POOL_CONFIG,
         steps=[server("grpc_h2.py", "{peer}", 9003),
                client("h2up.py", "overflow", "http://{gw}:8080/test.Svc/Slow", 10, 2,
                       note=True)]),
    Case("h2_upstream_grpc_health_check", config=HC_CONFIG,
         steps=[server("grpc_h2.py", "{peer}", 9003, name="serving"),
                server("grpc_h2.py", "{peer}", 9004, "NOT_SERVING", name="not_serving"),
                gateway_logged(r"health check: endpoint 10\.99\.0\.1:9004 pending -> unhealthy",
                               timeout=20),
                gateway_logged(r"health check: endpoint 10\.99\.0\.1:9003 pending -> healthy",
                               timeout=10),
                client("h2up.py", "unary", "http://{gw}:8080/helloworld.Greeter/SayHello",
                       5, 1, note=True),
                # the NOT_SERVING endpoint gets no traffic (one of two healthy: no panic)
                client("h2up.py", "who", "http://{gw}:8080/test.Svc/Who", 20, "SERVING",
                       note=True)]),
]
