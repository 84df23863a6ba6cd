"""HTTP/2 toward upstreams (gateway/h2/mg_h2c.h, docs/HTTP2.md "Upstream HTTP/2"): an HTTP/1.1
client reaches, through the gateway, a gRPC server from Debian's python3-grpcio that speaks only
HTTP/2 (h2c): unary calls (trailers carried back as the chunked trailer section), gRPC errors,
retries on UNAVAILABLE (grpcRetryEvents), the grpc maxRequests circuit breaker and gRPC health
checks.
"""

import copy
import importlib.util

from pathlib import Path

from steps import Case, client, deep_merge, gateway_logged, nginx, server, sh


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

# HTTP/2 on both sides: a grpcio client on the gateway's grpc listener (prior-knowledge h2c).
H2_BOTH = copy.deepcopy(CONFIG)
H2_BOTH["virtualGateway"]["spec"]["listeners"][0]["portMapping"]["protocol"] = "grpc"
H2_BOTH["gatewayRoutes"] = [
    {"gatewayRouteName": n, "spec": {"grpcRoute": {
        "match": {"serviceName": svc},
        "action": {"target": {"virtualService": {"virtualServiceName": f"{n}.local"}}}}}}
    for n, svc in (("greeter", "helloworld.Greeter"), ("svc", "test.Svc"))]

# h2 over TLS (ALPN) to nginx serving HTTP/2 (nginx proxies only HTTP/1.1 to its own
# upstreams, but serves h2 to its clients): a virtual node with protocol http2 behind
# backendDefaults.clientPolicy.tls; the test PKI of tests/tls/make-certs.sh.
MAKE_CERTS = str(Path(__file__).resolve().parents[2] / "tls" / "make-certs.sh")
PKI = "{logdir}/pki"
TLS_CONFIG = {
    "virtualGateway": {"virtualGatewayName": "ingress", "spec": {
        "listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}],
        "backendDefaults": {"clientPolicy": {"tls": {
            "validation": {"trust": {"file": {"certificateChain": PKI + "/ca.crt"}},
                           "subjectAlternativeNames": {"match": {"exact": ["b.example.com"]}}},
        }}}}},
    "appliance": {"endpoints": {"files": [{"address": "10.99.0.1", "port": 9443}]}},
    "gatewayRoutes": [{"gatewayRouteName": "files", "spec": {"httpRoute": {
        "match": {"prefix": "/"},
        "action": {"target": {"virtualService": {"virtualServiceName": "files.local"}}}}}}],
    "virtualServices": [{"virtualServiceName": "files.local", "spec": {"provider": {
        "virtualNode": {"virtualNodeName": "files"}}}}],
    "virtualNodes": [{"virtualNodeName": "files", "spec": {"listeners": [
        {"portMapping": {"port": 9443, "protocol": "http2"}}]}}],
}
NGINX_H2 = {"port": 9443, "cert": PKI + "/rsa-chain.crt", "key": PKI + "/rsa.key",
            "http2": True}
SIZE = "%{size_download} %{http_code}\n"

# The grpcio cases are skipped, visibly, without Debian's python3-grpcio (needs names a
# command that does not exist then, which the harness reports as the reason).
GRPC = ("curl",) if importlib.util.find_spec("grpc") is not None else ("python3-grpcio",)

CASES = [
    Case("h2_upstream_grpc_unary", config=CONFIG, needs=GRPC,
         steps=[server("grpc_h2.py", "{peer}", 9003),
                client("h2up.py", "unary", "http://{gw}:8080/helloworld.Greeter/SayHello",
                       20, 1, note=True),
                # 200 calls, 20 at a time: streams multiplexed on the upstream connections
                client("h2up.py", "unary", "http://{gw}:8080/helloworld.Greeter/SayHello",
                       200, 20, note=True),
                # a Trailers-Only error: grpc-status stays in the head
                client("h2up.py", "status", "http://{gw}:8080/test.Svc/Fail", 14, note=True),
                # an unknown method: the server's UNIMPLEMENTED
                client("h2up.py", "status", "http://{gw}:8080/test.Svc/Nope", 12, note=True),
                # all 222 exchanges were streams of one upstream connection (grpcio allows 100
                # concurrent streams), none left open
                sh("curl", "-sS", "http://{gw}:9901/stats",
                   stdout=r'"h2_upstream":\{"connections":1,"connect_failures":0,'
                          r'"alpn_refused":0,"active_connections":1,"streams":222,'
                          r'"active_streams":0,"resets_received":0,')]),
    Case("h2_upstream_retry_unavailable", config=RETRY_CONFIG, needs=GRPC,
         steps=[server("grpc_h2.py", "{peer}", 9003),
                client("h2up.py", "retry", "http://{gw}:8080/test.Svc/Flaky", 20, note=True)]),
    # The same with UNAVAILABLE in the trailers, after the response headers (not
    # Trailers-Only): the gateway holds the small response until its trailers and retries
    # (10 of 20 failed before).
    Case("h2_upstream_retry_unavailable_in_trailers", config=RETRY_CONFIG, needs=GRPC,
         steps=[server("grpc_h2.py", "{peer}", 9003),
                client("h2up.py", "retry", "http://{gw}:8080/test.Svc/FlakyLate", 20,
                       note=True)]),
    Case("h2_upstream_max_requests", config=POOL_CONFIG, needs=GRPC,
         steps=[server("grpc_h2.py", "{peer}", 9003),
                client("h2up.py", "overflow", "http://{gw}:8080/test.Svc/Slow", 10, 2,
                       note=True)]),
    Case("h2_upstream_grpc_health_check", config=HC_CONFIG, needs=GRPC,
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
    Case("h2_upstream_grpc_both_sides", config=H2_BOTH, needs=GRPC,
         steps=[server("grpc_h2.py", "{peer}", 9003),
                client("grpc_call.py", "{gw}:8080", 50, note=True)]),
    Case("h2_upstream_tls_nginx", config=TLS_CONFIG, needs=("curl", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[nginx(8080, files={"f1m.bin": 1 << 20, "small.txt": 100, "f100k.bin": 100000}, tls=NGINX_H2),
                # a 1 MiB body: sixteen 64 KiB stream windows reopened as the client reads
                sh("curl", "-sS", "-o", "/dev/null", "-w", SIZE, "--max-time", "10",
                   "http://{gw}:8080/f1m.bin", stdout=r"^1048576 200$"),
                sh("bash", "-c", "for i in $(seq 20); do curl -sS -o /dev/null -w '"
                   + SIZE + "' --max-time 5 http://{gw}:8080/small.txt & done; wait",
                   stdout=r"^(100 200\n){19}100 200$"),
                sh("curl", "-sS", "-o", "/dev/null", "-w", SIZE, "--max-time", "10",
                   "http://{gw}:8080/missing", stdout=r"^\d+ 404$"),
                # 150 downloads of 100 kB on one connection: DATA the gateway still held when
                # the stream closed is given back to the connection window as it is read
                # (else the 6.4 MB connection window runs dry after about 100)
                sh("bash", "-c", "for i in $(seq 150); do curl -sS -o /dev/null -w '"
                   + SIZE + "' --max-time 5 http://{gw}:8080/f100k.bin; done | sort | uniq -c",
                   stdout=r"^\s*150 100000 200$", timeout=60),
                # uploads: 1 MiB with Content-Length, then chunked (DATA as the client sends)
                sh("bash", "-c", "head -c 1048576 /dev/urandom > {logdir}/up.bin && "
                   "curl -sS -o /dev/null -w '%{http_code}\n' --max-time 10 -T {logdir}/up.bin "
                   "http://{gw}:8080/u1.bin && curl -sS -o /dev/null -w '%{http_code}\n' "
                   "--max-time 10 -H 'Transfer-Encoding: chunked' -T {logdir}/up.bin "
                   "http://{gw}:8080/u2.bin && cmp {logdir}/up.bin {logdir}/www/u1.bin && "
                   "cmp {logdir}/up.bin {logdir}/www/u2.bin && echo same",
                   stdout=r"^201\n201\nsame$"),
                # nginx ends idle connections after 2 s (GOAWAY, then close): the next request
                # opens a new one
                sh("bash", "-c", "sleep 3; curl -sS -o /dev/null -w '" + SIZE + "' --max-time 5 "
                   "http://{gw}:8080/small.txt; curl -sS http://{gw}:9901/stats",
                   stdout=r'^100 200\n(.|\n)*"h2_upstream":\{"connections":[2-9],'
                          r'"connect_failures":0,"alpn_refused":0,"active_connections":1,'
                          r'.*"active_streams":0,"resets_received":0,"goaway_received":[1-9]'),
                # nginx saw them as HTTP/2 requests
                sh("bash", "-c", "grep -c 'HTTP/2.0\" 200' {logdir}/nginx-access.log",
                   stdout=r"^17[2-9]$")]),
]

# HTTP/2 end to end with clients nobody here wrote: curl --http2 and nghttp over TLS (ALPN h2)
# on an http2 listener, an http2Route, and h2 over TLS to nginx behind the virtual node.
H2_TLS_BOTH = copy.deepcopy(TLS_CONFIG)
H2_TLS_BOTH["virtualGateway"]["spec"]["listeners"] = [{
    "portMapping": {"port": 8443, "protocol": "http2"},
    "tls": {"mode": "STRICT", "certificate": {"file": {
        "certificateChain": PKI + "/ec.crt", "privateKey": PKI + "/ec.key"}}}}]
H2_TLS_BOTH["gatewayRoutes"] = [{"gatewayRouteName": "files", "spec": {"http2Route": {
    "match": {"prefix": "/"},
    "action": {"target": {"virtualService": {"virtualServiceName": "files.local"}}}}}}]
CURL_TLS = ["--cacert", PKI + "/ca.crt", "--resolve", "a.example.com:8443:{gw}"]

CASES += [
    Case("h2_upstream_curl_nghttp_both_sides", config=H2_TLS_BOTH,
         needs=("curl", "nginx", "openssl", "nghttp"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[nginx(8080, files={"f1m.bin": 1 << 20, "small.txt": 100}, tls=NGINX_H2),
                sh("curl", "-sS", "--http2", *CURL_TLS, "-o", "{logdir}/got.bin", "-w",
                   "%{size_download} %{http_code} %{http_version}\n", "--max-time", "10",
                   "https://a.example.com:8443/f1m.bin", stdout=r"^1048576 200 2$",
                   desc="curl --http2 (TLS) -> gateway -> h2 over TLS -> nginx: 1 MiB"),
                sh("cmp", "{logdir}/got.bin", "{logdir}/www/f1m.bin", desc="the same bytes"),
                sh("bash", "-c", "head -c 300000 /dev/urandom > {logdir}/up.bin && curl -sS "
                   "--http2 --cacert " + PKI + "/ca.crt --resolve a.example.com:8443:{gw} "
                   "-o /dev/null -w '%{http_code} %{http_version}\n' --max-time 10 "
                   "-T {logdir}/up.bin https://a.example.com:8443/up.bin && "
                   "cmp {logdir}/up.bin {logdir}/www/up.bin && echo same",
                   stdout=r"^201 2\nsame$", desc="curl --http2 PUT 300 kB, stored byte-exact"),
                sh("nghttp", "-v", "--no-verify-peer", "https://{gw}:8443/small.txt",
                   "https://{gw}:8443/f1m.bin", stdout=r"recv HEADERS frame(.|\n)*:status: 200",
                   desc="nghttp (TLS): two requests on one connection, 200"),
                sh("curl", "-sS", "http://{gw}:9901/stats", stdout=r'"h2_upstream":\{"connections":[1-9]',
                   desc="the upstream side was HTTP/2"),
                ]),
]
