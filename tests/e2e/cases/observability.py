"""Observability end to end (issue 7): the admin API (token, /health, /metrics, /config_dump,
POST /reload) and its isolation from the data listener, exact /metrics counters after known
traffic (promtool checks the exposition), access logs in Envoy's default text format and in
JSON read back and matched to the requests, and trace headers.  clients/obs_check.py does the
checking; see its docstring.  The JSON case also sends the access log to remote syslog
(RFC 5424 over UDP) and reads the messages back.
"""

import json

from steps import Case, client, deep_merge, multi_upstream, server, sh, silent_upstream

TOKEN = "obs-test-token-0123456789"

OBS = {
    "appliance": {
        "admin": {"token": TOKEN},
        "proxy": {"maxIdleConnectionsPerEndpoint": 1},
        "endpoints": {"web": [{"address": "10.99.0.1", "port": 8081}],
                      "slow": [{"address": "10.99.0.1", "port": 8083}]},
        # /auth needs a token of the RFC 7515 A.3 key: the check sends bad ones only.
        "jwt": {"providers": {"rfc": {"issuer": "joe", "jwks": {"inline": json.dumps({"keys": [{
            "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})}}},
                "routes": {"auth": {"providers": ["rfc"]}}},
    },
    "virtualGateway": {
        "virtualGatewayName": "ingress",
        "spec": {"listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}],
                 "logging": {"accessLog": {"file": {"path": "/dev/stdout"}}}},
    },
    "gatewayRoutes": [
        {"gatewayRouteName": name, "spec": {"httpRoute": {
            "match": {"prefix": "/" + name},
            "action": {"target": {"virtualService": {
                "virtualServiceName": f"{svc}.mesh.local"}}}}}}
        for name, svc in (("ok", "web"), ("down", "down"), ("slow", "slow"), ("auth", "web"))],
    "virtualServices": [
        {"virtualServiceName": f"{n}.mesh.local",
         "spec": {"provider": {"virtualNode": {"virtualNodeName": n}}}}
        for n in ("web", "down", "slow")],
    "virtualNodes": [
        {"virtualNodeName": "web",
         "spec": {"listeners": [{"portMapping": {"port": 8081, "protocol": "http"}}]}},
        {"virtualNodeName": "down", "spec": {}},
        {"virtualNodeName": "slow",
         "spec": {"listeners": [{"portMapping": {"port": 8083, "protocol": "http"},
                                 "connectionPool": {"http": {"maxConnections": 1,
                                                             "maxPendingRequests": 1}}}]}},
    ],
}

JSON_FIELDS = [
    ("start", "%START_TIME%"), ("method", "%REQ(:METHOD)%"), ("path", "%REQ(:PATH)%"),
    ("proto", "%PROTOCOL%"), ("code", "%RESPONSE_CODE%"), ("flags", "%RESPONSE_FLAGS%"),
    ("rx", "%BYTES_RECEIVED%"), ("tx", "%BYTES_SENT%"), ("duration", "%DURATION%"),
    ("upstream", "%UPSTREAM_HOST%"), ("rid", "%REQ(X-REQUEST-ID)%"),
    ("client", "%DOWNSTREAM_REMOTE_ADDRESS%"), ("route", "%ROUTE_NAME%"),
    ("node", "%UPSTREAM_CLUSTER%"), ("authority", "%REQ(:AUTHORITY)%"),
]

OBS_JSON = deep_merge(OBS, {
    "appliance": {"admin": {"token": None, "tokenFile": "{logdir}/admin.token"},
                  "syslog": {"address": "10.99.0.1", "port": 5514, "facility": 16}},
    "virtualGateway": {"spec": {"logging": {"accessLog": {"file": {
        "path": "{logdir}/access.json",
        "format": {"json": [{"key": k, "value": v} for k, v in JSON_FIELDS]}}}}}},
})
del OBS_JSON["appliance"]["admin"]["token"]

UPSTREAMS = [multi_upstream({8081: "web"}), silent_upstream(8083)]

CASES = [
    Case("observability_text", config=OBS, needs=("promtool",), steps=UPSTREAMS + [
        client("obs_check.py", "{gw}", "{admin}", TOKEN, "text", "{logdir}/gateway.stdout",
               "{logdir}/upstream.jsonl", timeout=90, note=True),
    ]),
    Case("observability_json", config=OBS_JSON, needs=("promtool",), setup=[
        sh("sh", "-c", f"echo {TOKEN} > {{logdir}}/admin.token", desc="the admin token file"),
        server("udp_sink.py", "0.0.0.0", 5514, "{logdir}/syslog.jsonl", name="syslog"),
    ], steps=UPSTREAMS + [
        client("obs_check.py", "{gw}", "{admin}", TOKEN, "json", "{logdir}/access.json",
               "{logdir}/upstream.jsonl", "{logdir}/syslog.jsonl", timeout=90, note=True),
    ]),
]
