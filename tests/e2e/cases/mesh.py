"""App Mesh resources end to end: gateway routes, virtual services and nodes routed by the
gateway's own table, and hot reload (SIGHUP) while traffic flows.
"""

from steps import (Case, client, deep_merge, gateway_logged, nginx, reloads_under_load, server,
                   sh)

# One virtual node (nginx on the namespace side) behind one virtual service; the gateway
# route rewrites /x to a file, so which generation served a request shows in its size.
MESH = {
    "virtualGateway": {
        "virtualGatewayName": "ingress",
        "spec": {"listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}]},
    },
    "appliance": {"endpoints": {"web": [{"address": "10.99.0.1", "port": 8080}]}},
    "gatewayRoutes": [{"gatewayRouteName": "x", "spec": {"httpRoute": {
        "match": {"prefix": "/x"},
        "action": {"target": {"virtualService": {"virtualServiceName": "web.mesh.local"}},
                   "rewrite": {"prefix": {"value": "/a.bin"}}}}}}],
    "virtualServices": [{"virtualServiceName": "web.mesh.local",
                         "spec": {"provider": {"virtualNode": {"virtualNodeName": "web"}}}}],
    "virtualNodes": [{"virtualNodeName": "web", "spec": {
        "listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}]}}],
}
TO_B = {"gatewayRoutes": [{"gatewayRouteName": "x", "spec": {"httpRoute": {
    "match": {"prefix": "/x"},
    "action": {"target": {"virtualService": {"virtualServiceName": "web.mesh.local"}},
               "rewrite": {"prefix": {"value": "/b.bin"}}}}}}]}


def size_of(path, size, desc):
    return sh("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}\n",
              "--max-time", "10", "http://{gw}:8080" + path, stdout=rf"^200 {size}$", desc=desc)


CASES = [
    Case("mesh_route_to_virtual_node", config=MESH, needs=("curl", "nginx"), steps=[
        nginx(8080, files={"a.bin": 1000, "b.bin": 2000}),
        size_of("/x", 1000, "gateway route x -> web.mesh.local -> node web, /x rewritten"),
        sh("curl", "-sS", "-w", "\n%{http_code}\n", "--max-time", "10", "http://{gw}:8080/y",
           stdout=r"no gateway route matches the request\n+404$", desc="no gateway route: 404"),
    ]),
    # 20 reloads (valid ones alternating between two generations, and invalid files that
    # must be refused) while h2load keeps 20 keep-alive connections busy: no request fails.
    Case("mesh_reload_under_load", config=MESH, needs=("curl", "nginx", "h2load"), steps=[
        nginx(8080, files={"a.bin": 1000, "b.bin": 2000}),
        size_of("/x", 1000, "generation 1 serves a.bin"),
        reloads_under_load([TO_B, {}, "invalid", TO_B, {}], "http://{gw}:8080/x", n=20),
        size_of("/x", 1000, "the last valid generation (a.bin) is in service"),
        gateway_logged(r"reload: .* has 1 error\(s\); generation \d+ stays in service"),
    ]),
]

# DNS service discovery: the node is found through the test's DNS server ({peer}:53); when
# its A record changes, traffic follows within TTL + 1 s and no request fails.
DNS = deep_merge(MESH, {
    "appliance": {"dns": {"resolvers": ["10.99.0.1"]}},
    "virtualNodes": [{"virtualNodeName": "web", "spec": {
        "listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}],
        "serviceDiscovery": {"dns": {"hostname": "web.mesh.local",
                                     "responseType": "ENDPOINTS"}}}}],
})
del DNS["appliance"]["endpoints"]
DNS["gatewayRoutes"][0]["spec"]["httpRoute"]["match"]["prefix"] = "/"
del DNS["gatewayRoutes"][0]["spec"]["httpRoute"]["action"]["rewrite"]
RECORDS = "{logdir}/records.json"

CASES += [
    # The DNS server starts before the gateway (which resolves at boot; /ready waits for the
    # first answer), listening on every address of the namespace.
    Case("mesh_dns_moves_traffic", config=DNS, needs=("curl",), setup=[
        sh("sh", "-c", "echo '{\"web.mesh.local\": {\"addrs\": [\"10.99.0.1\"], \"ttl\": 2}}' > "
           + RECORDS, desc="web.mesh.local A 10.99.0.1, TTL 2"),
        server("dns_server.py", "0.0.0.0", RECORDS),
    ], steps=[
        sh("ip", "addr", "add", "10.99.0.3/24", "dev", "{iface}", desc="a second upstream address"),
        server("whoami_upstream.py", "10.99.0.1", 8080, name="upstream-1"),
        server("whoami_upstream.py", "10.99.0.3", 8080, name="upstream-3"),
        client("dns_switch.py", "http://{gw}:8080/", RECORDS, "web.mesh.local", "10.99.0.1",
               "10.99.0.3", 2, timeout=60, note=True),
    ]),
]
