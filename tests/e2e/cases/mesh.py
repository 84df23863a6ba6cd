"""App Mesh resources end to end: gateway routes, virtual services and nodes routed by the
gateway's own table, and hot reload (SIGHUP) while traffic flows.
"""

from steps import Case, deep_merge, gateway_logged, nginx, reloads_under_load, sh

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
