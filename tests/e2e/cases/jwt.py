"""OIDC JWT authentication end to end (issue 5): tests/jwt/make-tokens.py mints fresh keys and
tokens (python3-jwt, python3-jwcrypto, every algorithm, the attack corpus) into the case's log
directory; the gateway loads the JWKS file and the shared secret from there;
clients/jwt_check.py sends every token through the data plane and checks status,
WWW-Authenticate, what the upstream received (token stripped, claim and payload headers,
spoofed claim header removed) and that refused requests never reach it.
"""

from pathlib import Path

import re
import time

from steps import (Case, CaseFailed, Step, client, curl, deep_merge, gateway_logged,
                   multi_upstream, read_line, sh)

TOP = Path(__file__).resolve().parents[3]
TOK = "{logdir}/tok"


def route(name, prefix):
    return {"gatewayRouteName": name, "spec": {"httpRoute": {
        "match": {"prefix": prefix},
        "action": {"target": {"virtualService": {"virtualServiceName": "web.mesh.local"}}}}}}


PROVIDER = {
    "issuer": "https://issuer.example",
    "audiences": ["api"],
    "claimToHeaders": [{"headerName": "x-jwt-sub", "claimName": "sub"}],
    "forwardPayloadHeader": "x-jwt-payload",
}

JWT = {
    "appliance": {
        "endpoints": {"web": [{"address": "10.99.0.1", "port": 8081}]},
        "jwt": {
            "realm": "meshgate-e2e",
            "providers": {
                "main": {**PROVIDER, "jwks": {"file": TOK + "/jwks.json"},
                         "fromHeaders": [{"name": "Authorization", "valuePrefix": "Bearer "},
                                         {"name": "X-Token", "valuePrefix": "Tok "}],
                         "fromParams": ["access_token"], "fromCookies": ["session"]},
                "hs": {**PROVIDER, "jwks": {"file": TOK + "/jwks.json"},
                       "sharedSecret": {"file": TOK + "/secret.bin"}},
            },
            "routes": {
                "main": {"providers": ["main"]},
                "hs": {"providers": ["hs"]},
                "scoped": {"providers": ["main"], "claims": [{"name": "scope", "value": "admin"}]},
                "maybe": {"providers": ["main"], "allowMissing": True},
            },
        },
    },
    "virtualGateway": {
        "virtualGatewayName": "ingress",
        "spec": {"listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}],
                 "logging": {"accessLog": {"file": {"path": "/dev/stdout"}}}},
    },
    "gatewayRoutes": [route(n, "/" + n) for n in ("main", "hs", "scoped", "maybe", "open")],
    "virtualServices": [{"virtualServiceName": "web.mesh.local",
                         "spec": {"provider": {"virtualNode": {"virtualNodeName": "web"}}}}],
    "virtualNodes": [{"virtualNodeName": "web", "spec": {"listeners": [
        {"portMapping": {"port": 8081, "protocol": "http"}}]}}],
}

MINT = (f"/usr/bin/python3 {TOP}/tests/jwt/make-tokens.py {TOK} && "
        f"/usr/bin/python3 -c \"import sys; open(sys.argv[2], 'wb').write(bytes.fromhex("
        f"open(sys.argv[1]).read().strip()))\" {TOK}/secret.hex {TOK}/secret.bin")



def metrics_and_log():
    """/metrics counts requests per JWT reason; refused ones are flagged UAEX in the access
    log (Envoy's flag for an external authorization denial)."""
    def step(ctx, desc):
        rc, out, err = curl(ctx, ctx.fmt("http://{gw}:{admin}/metrics"))
        if rc != 0:
            raise CaseFailed(f"/metrics: curl rc={rc} {err}")
        want = {"allowed": 39, "expired": 1, "alg_none": 2, "kid_unknown": 1, "audience": 2,
                "claim_mismatch": 1, "missing": 1, "too_large": 1}
        for reason, n in want.items():
            m = re.search(r'^meshgate_jwt_requests_total\{reason="%s"\} (\d+)$' % reason, out,
                          re.M)
            if m is None or int(m.group(1)) != n:
                raise CaseFailed(f"/metrics: jwt_requests_total{{reason={reason}}} is "
                                 f"{m and m.group(1)}, expected {n}")
        deadline = time.monotonic() + 5  # the access log is flushed once a second
        while True:
            log = (ctx.logdir / "gateway.stdout").read_text()
            uaex = [ln for ln in log.splitlines() if " UAEX " in ln]
            exp = [ln for ln in uaex if '"GET /main/expired HTTP/1.1" 401 UAEX ' in ln]
            if exp or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if not exp:
            raise CaseFailed("access log: no `401 UAEX` line for /main/expired")
        if exp[0].split()[7] == "0":
            raise CaseFailed(f"access log: BYTES_SENT 0 for a 401 with a body: {exp[0]}")
        ctx.notes.append(f"/metrics per reason ok, {len(uaex)} UAEX access log lines")
    return Step("/metrics jwt_requests_total and UAEX in the access log", step)


OIDC = "{logdir}/oidc"


def mock_oidc():
    """tools/mock-oidc on {peer}:8443 (HTTPS) with its control API on {peer}:9100, started
    before the gateway (which reads the CA it writes): bound to every address."""
    def step(ctx, desc):
        tool = TOP / "tools" / "mock-oidc" / "mock_oidc.py"
        peer = ctx.vars["peer"]
        proc = ctx.spawn(["/usr/bin/python3", "-B", str(tool), "--listen", f"{peer}:8443",
                          "--control", f"{peer}:9100", "--bind", "0.0.0.0",
                          "--dir", ctx.fmt(OIDC)], "mock-oidc")
        if read_line(proc, 30) != "ready":
            raise CaseFailed("mock-oidc did not start: " +
                             (ctx.logdir / "mock-oidc.log").read_text()[-2000:])
    return Step("mock OIDC provider (discovery + JWKS over HTTPS)", step)


def remote(ca):
    return deep_merge(JWT, {"appliance": {"jwt": {
        "providers": {"remote": {
            "issuer": "https://{peer}:8443", "audiences": ["api"],
            "jwks": {"discovery": {"uri": "https://{peer}:8443/.well-known/openid-configuration",
                                   "caBundle": OIDC + "/" + ca, "timeoutMs": 2000}},
            "refreshMinIntervalSeconds": 4}},
        "routes": {"remote": {"providers": ["remote"]}}}},
        "gatewayRoutes": JWT["gatewayRoutes"] + [route("remote", "/remote")]})


CASES = [
    Case("jwt_end_to_end", config=JWT, setup=[
        sh("sh", "-c", MINT, desc="mint keys and tokens (python3-jwt, python3-jwcrypto)",
           timeout=60),
    ], steps=[
        multi_upstream({8081: "web"}),
        client("jwt_check.py", "{gw}", TOK, "{logdir}/upstream.jsonl", timeout=120, note=True),
        metrics_and_log(),
        # a gRPC call without a token: HTTP 200 with grpc-status 16 UNAUTHENTICATED
        client("grpc_errors.py", "status", "http://{gw}:8080/main/x.Svc/Call", 16, note=True),
    ]),
    Case("jwt_remote_refetched", config=remote("ca.pem"), setup=[
        sh("sh", "-c", MINT, desc="mint keys and tokens", timeout=60), mock_oidc(),
    ], steps=[
        multi_upstream({8081: "web"}),
        client("jwt_remote.py", "{gw}", "http://{peer}:9100", "rotation", "{admin}", timeout=90,
               note=True),
    ]),
    Case("jwt_provider_certificate_untrusted", config=remote("other-ca.pem"), setup=[
        sh("sh", "-c", MINT, desc="mint keys and tokens", timeout=60), mock_oidc(),
    ], steps=[
        multi_upstream({8081: "web"}),
        gateway_logged(r"jwt: provider remote: fetching .* failed: TLS handshake"),
        client("jwt_remote.py", "{gw}", "http://{peer}:9100", "untrusted", timeout=30, note=True),
    ]),
]
