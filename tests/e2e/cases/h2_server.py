"""HTTP/2 on the gateway's listener (gateway/h2/mg_h2.c, docs/HTTP2.md): prior-knowledge h2c
and HTTP/1.1 on one plaintext port, bodies both ways, to an HTTP/1.1 upstream (nginx)."""

import hashlib
from pathlib import Path

from steps import (Case, Step, curl, deep_merge, fail, nginx, sh, stats_back_to_baseline,
                   stats_baseline)

MIB = 1 << 20

H2 = {
    "virtualGateway": {
        "virtualGatewayName": "ingress",
        "spec": {"listeners": [{"portMapping": {"port": 8080, "protocol": "http2"}}],
                 "logging": {"accessLog": {"file": {"path": "/dev/stdout"}}}},
    },
    "appliance": {"proxy": {"staticUpstream": {"address": "10.99.0.1", "port": 8080}}},
}


def h2_get(path, size, version="2", flag="--http2-prior-knowledge"):
    """GET <path> with curl <flag>: 200, the HTTP version curl reports, the file's bytes."""
    desc = f"GET {path} with {flag}: HTTP/{version}, {size} bytes"

    def step(ctx, desc):
        out_file = ctx.logdir / f"got-{path.strip('/')}-{version}"
        rc, out, err = curl(ctx, flag, "-o", str(out_file), "-w", "%{http_code} %{http_version}",
                            ctx.fmt("http://{gw}:8080") + path, timeout=30)
        if rc != 0 or out != f"200 {version}":
            fail(f"{desc}: got {out!r} (curl rc={rc})", err)
        want = (ctx.logdir / "www" / path.strip("/")).read_bytes()
        got = out_file.read_bytes()
        if hashlib.sha256(got).digest() != hashlib.sha256(want).digest():
            fail(f"{desc}: body differs ({len(got)} bytes, expected {len(want)})")
    return Step(desc, step)


def h2_put(name, size, with_length=True):
    """PUT <size> random bytes over h2c (with Content-Length, or without: then the gateway
    sends the body chunked to the upstream); nginx must store exactly those bytes."""
    desc = f"PUT {size} bytes over h2c ({'with' if with_length else 'without'} Content-Length)"

    def step(ctx, desc):
        import os
        src = ctx.logdir / f"up-{name}"
        src.write_bytes(os.urandom(size))
        rc, out, err = curl(ctx, "--http2-prior-knowledge", "-T", str(src), "-H",
                            "Transfer-Encoding:",
                            *([] if with_length else ["-H", "Content-Length:"]),
                            "-o", "/dev/null", "-w",
                            "%{http_code} %{http_version}",
                            ctx.fmt("http://{gw}:8080/") + name, timeout=60)
        if rc != 0 or out.split()[1:] != ["2"] or out.split()[0] not in ("201", "204"):
            fail(f"{desc}: got {out!r} (curl rc={rc})", err)
        got = (ctx.logdir / "www" / name).read_bytes()
        if got != src.read_bytes():
            fail(f"{desc}: the upstream stored {len(got)} bytes, not the {size} sent")
    return Step(desc, step)


def access_logged(regex):
    """The gateway's access log (its stdout) has a line matching <regex>."""
    desc = f"access log line /{regex}/"

    def step(ctx, desc):
        import re
        import time
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if re.search(regex, (ctx.logdir / "gateway.stdout").read_text()):
                return
            time.sleep(0.1)
        fail(f"{desc}: not found")
    return Step(desc, step)


CASES = [
    Case("h2_prior_knowledge_basics", config=H2, needs=("curl", "nginx"), steps=[
        nginx(8080, files={"small.txt": 100, "f4m.bin": 4 * MIB}),
        stats_baseline(),
        h2_get("/small.txt", 100),
        h2_get("/f4m.bin", 4 * MIB),
        h2_get("/f4m.bin", 4 * MIB, version="1.1", flag="--http1.1"),
        access_logged(r'"GET /small.txt HTTP/2" 200 '),
        access_logged(r'"GET /f4m.bin HTTP/1.1" 200 '),
        # HEAD: the answer's Content-Length announces no body (it hung, then reset the
        # stream and freed it twice, before the fix)
        sh("curl", "-sS", "--max-time", "5", "--http2-prior-knowledge", "-I", "-o", "/dev/null",
           "-w", "%{http_code} %{http_version} %{size_download}\n",
           "http://{gw}:8080/f4m.bin", stdout=r"^200 2 0$", desc="HEAD over h2c"),
        h2_put("put1.bin", 3 * MIB + 7),
        h2_put("put2.bin", 2 * MIB + 13, with_length=False),
        sh("h2load", "-n", "10000", "-c", "100", "-m", "100", "http://{gw}:8080/small.txt",
           stdout=r"requests: 10000 total, 10000 started, 10000 done, 10000 succeeded, 0 failed, "
                  r"0 errored", timeout=120, desc="h2load -n 10000 -c 100 -m 100: no error"),
        stats_back_to_baseline(timeout=30),
    ]),
]

# HTTPS: ALPN offers h2 then http/1.1 on an http2 listener; each client gets what it asks for.
MAKE_CERTS = str(Path(__file__).resolve().parents[2] / "tls" / "make-certs.sh")
PKI = "{logdir}/pki"
H2_TLS = deep_merge(H2, {
    "virtualGateway": {"spec": {"listeners": [{
        "portMapping": {"port": 8443, "protocol": "http2"},
        "tls": {"mode": "STRICT", "certificate": {"file": {
            "certificateChain": PKI + "/ec.crt", "privateKey": PKI + "/ec.key"}}},
    }]}},
})


def curl_https(flag, version):
    return sh("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{http_version}\n",
              "--max-time", "10", "--cacert", PKI + "/ca.crt", "--resolve",
              "a.example.com:8443:{gw}", flag, "https://a.example.com:8443/small.txt",
              stdout=f"^200 {version}$", desc=f"curl {flag} over TLS: HTTP/{version}")


CASES += [
    Case("h2_tls_alpn", config=H2_TLS, needs=("curl", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")], steps=[
             nginx(8080, files={"small.txt": 100}),
             stats_baseline(),
             curl_https("--http2", "2"),
             curl_https("--http1.1", "1.1"),
             sh("bash", "-c", "openssl s_client -connect {gw}:8443 -CAfile " + PKI +
                "/ca.crt -alpn h2,http/1.1 </dev/null 2>&1", stdout=r"ALPN protocol: h2",
                desc="openssl s_client: the server picks h2"),
             sh("nghttp", "-n", "--stat", "-v", "https://{gw}:8443/small.txt",
                stdout=r"recv HEADERS frame", desc="nghttp over TLS"),
             stats_back_to_baseline(timeout=30),
         ]),
]
