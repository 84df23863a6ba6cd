"""TLS termination on the virtual gateway's listener, checked with clients nobody here
wrote: curl and openssl s_client.  The throw-away PKI comes from tests/tls/make-certs.sh
(EC P-256 certificate for a.example.com and *.wild.example.com as the listener's own,
an RSA-2048 chain for b.example.com as an additional certificate picked by SNI).
"""

from pathlib import Path

import json

from steps import (Case, client, deep_merge, gateway_logged, gateway_rss_below, http, nginx, sh,
                   stats_back_to_baseline, stats_baseline)
from cases.proxy import PROXY

MAKE_CERTS = str(Path(__file__).resolve().parents[2] / "tls" / "make-certs.sh")
PKI = "{logdir}/pki"
TLS = deep_merge(PROXY, {
    "virtualGateway": {"spec": {"listeners": [{
        "portMapping": {"port": 8443, "protocol": "http"},
        "tls": {"mode": "STRICT", "certificate": {"file": {
            "certificateChain": PKI + "/ec.crt", "privateKey": PKI + "/ec.key"}}},
    }]}},
    "appliance": {"proxy": {"additionalCertificates": [
        {"certificateChain": PKI + "/rsa-chain.crt", "privateKey": PKI + "/rsa.key"}]}},
})
PERMISSIVE = deep_merge(TLS, {})
PERMISSIVE["virtualGateway"]["spec"]["listeners"][0]["tls"]["mode"] = "PERMISSIVE"


def tls_counters(body):
    """/stats has the listener's TLS counters: the refused TLS 1.1 attempt is counted as
    protocol_version, the resumed session as resumed, and every handshake completed."""
    t = json.loads(body).get("tls")
    if t is None:
        return "no tls object in /stats"
    if t["handshakes"] < 8 or t["resumed"] < 1 or t["failures"]["protocol_version"] < 1:
        return f"unexpected TLS counters: {t}"
    return None


def curl_tls(host, *extra, expect=r"^200$", rc=0, desc=None):
    return sh("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}\n", "--max-time", "10",
              "--cacert", PKI + "/ca.crt", "--resolve", f"{host}:8443:{{gw}}", *extra,
              f"https://{host}:8443/f1m.bin", rc=rc,
              stdout=expect if rc is None or rc == 0 else None,
              desc=desc or f"curl https://{host} {' '.join(extra)}")


def s_client(*args, expect, desc, linger=False):
    # s_client reads stdin: an empty one ends it right after the handshake; <linger> keeps
    # it open a second so that TLS 1.3 session tickets (sent after the handshake) arrive.
    stdin = "(sleep 1) |" if linger else ""
    return sh("bash", "-c", stdin + "openssl s_client -connect {gw}:8443 -CAfile " + PKI +
              "/ca.crt " + " ".join(args) + (" </dev/null" if not linger else "") + " 2>&1",
              stdout=expect, desc=desc, timeout=20)


CASES = [
    Case("tls_termination", config=TLS, needs=("curl", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080, files={"f1m.bin": 1 << 20}),
             stats_baseline(),
             curl_tls("a.example.com", desc="TLS 1.3 (default), EC certificate by SNI"),
             curl_tls("a.example.com", "--tls-max", "1.2", desc="TLS 1.2"),
             curl_tls("x.wild.example.com", desc="wildcard name"),
             curl_tls("b.example.com", desc="RSA chain for b.example.com by SNI"),
             curl_tls("a.example.com", "--tls-max", "1.1", rc=35, desc="TLS 1.1 refused"),
             s_client("-servername a.example.com -tls1_3", expect=r"New, TLSv1\.3, Cipher is",
                      desc="s_client TLS 1.3"),
             s_client("-servername b.example.com -tls1_2", expect=r"subject=CN = b\.example\.com",
                      desc="s_client SNI b.example.com gets the RSA certificate"),
             s_client("-servername a.example.com -alpn http/1.1",
                      expect=r"ALPN protocol: http/1\.1", desc="ALPN http/1.1"),
             s_client("-servername a.example.com -tls1_2 -sess_out " + PKI + "/s12",
                      expect=r"Verify return code: 0", desc="TLS 1.2 session saved"),
             s_client("-servername a.example.com -tls1_2 -sess_in " + PKI + "/s12",
                      expect=r"^Reused, TLSv1\.2", desc="TLS 1.2 session resumed (Reused)"),
             s_client("-servername a.example.com -tls1_3 -sess_out " + PKI + "/s13",
                      expect=r"Verify return code: 0", desc="TLS 1.3 ticket saved", linger=True),
             s_client("-servername a.example.com -tls1_3 -sess_in " + PKI + "/s13",
                      expect=r"^Reused, TLSv1\.3", desc="TLS 1.3 session resumed (Reused)"),
             http("GET", "/stats", 200, check_body=tls_counters),
             stats_back_to_baseline(timeout=30),
         ]),
    Case("tls_permissive", config=PERMISSIVE, needs=("curl", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080, files={"f1m.bin": 1 << 20}),
             curl_tls("a.example.com", desc="TLS on a PERMISSIVE listener"),
             sh("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}\n", "--max-time", "10",
                "http://{gw}:8443/f1m.bin", stdout=r"^200$", desc="plaintext on the same port"),
         ]),
]

REDIRECT = deep_merge(TLS, {"appliance": {"proxy": {"httpsRedirectPort": 8000}}})

CASES += [
    # appliance.proxy.httpsRedirectPort: a plaintext port that sends every request to HTTPS.
    Case("tls_https_redirect", config=REDIRECT, needs=("curl", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080, files={"f1m.bin": 1 << 20}),
             sh("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}\n",
                "--max-time", "10", "http://a.example.com:8000/f1m.bin?x=1",
                "--resolve", "a.example.com:8000:{gw}",
                stdout=r"^308 https://a\.example\.com:8443/f1m\.bin\?x=1$",
                desc="308 to https on the listener's port, path and query kept"),
             sh("curl", "-sS", "-L", "-o", "/dev/null", "-w", "%{http_code}\n", "--max-time", "10",
                "--cacert", PKI + "/ca.crt", "--resolve", "a.example.com:8000:{gw}",
                "--resolve", "a.example.com:8443:{gw}", "http://a.example.com:8000/f1m.bin",
                stdout=r"^200$", desc="curl -L follows it over TLS"),
         ]),
]

CASES += [
    # 1,000 concurrent keep-alive TLS clients (h2load over HTTP/1.1), zero errors.
    Case("tls_1000_clients", config=TLS, needs=("h2load", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080, files={"small.txt": 1024}),
             stats_baseline(),
             sh("h2load", "--h1", "-c", "1000", "-n", "10000", "-T", "60", "-N", "60",
                "--connect-to={gw}:8443", "https://a.example.com:8443/small.txt",
                stdout=r"requests: 10000 total, 10000 started, 10000 done, 10000 succeeded, "
                       r"0 failed, 0 errored",
                timeout=180, desc="h2load: 1000 TLS clients, 10000 requests, all succeed"),
             stats_back_to_baseline(timeout=60),
         ]),
]

CASES += [
    # testssl.sh (Debian's) finds nothing rated HIGH or CRITICAL; its summary stays in the
    # case's log directory (testssl.txt, testssl.json).
    Case("tls_testssl", config=TLS, needs=("testssl", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080, files={"index.html": 512}),
             client("testssl_check.py", "{gw}", 8443, "a.example.com", PKI + "/ca.crt",
                    "{logdir}", timeout=900, note=True),
         ]),
]

MTLS = deep_merge(TLS, {})
MTLS["virtualGateway"]["spec"]["listeners"][0]["tls"]["validation"] = {
    "trust": {"file": {"certificateChain": PKI + "/ca.crt"}},
    "subjectAlternativeNames": {"match": {"exact": ["spiffe://mesh.local/ns/default/sa/web"]}},
}


def client_cert_failures(body):
    """Each refused client was refused for its own reason."""
    f = json.loads(body)["tls"]["failures"]
    want = ("no_client_cert", "unknown_ca", "san_mismatch")
    if any(f[r] < 1 for r in want):
        return f"expected one failure each of {want}, got {f}"
    return None


def curl_cert(cert, rc, expect=None, desc=""):
    extra = ["--cert", PKI + f"/{cert}.crt", "--key", PKI + f"/{cert}.key"] if cert else []
    return curl_tls("a.example.com", *extra, rc=rc, expect=expect or r"^200$", desc=desc)


CASES += [
    # App Mesh listener tls.validation: a client certificate from the trust chain with an
    # exactly matching SAN is required.
    Case("tls_client_certificates", config=MTLS, needs=("curl", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080, files={"f1m.bin": 1 << 20}),
             curl_cert("client", 0, desc="trusted client certificate with the SAN: 200"),
             # curl reports no HTTP status (000) when the handshake or the first read fails.
             curl_cert(None, None, r"^000$", desc="no client certificate: refused"),
             curl_cert("client-other", None, r"^000$", desc="certificate from another CA: refused"),
             curl_cert("client-nosan", None, r"^000$", desc="trusted but without the SAN: refused"),
             http("GET", "/stats", 200, check_body=client_cert_failures),
         ]),
]

# TLS origination (virtualGateway backendDefaults.clientPolicy.tls): the gateway verifies the
# upstream's chain (rsa-chain.crt: b.example.com under the intermediate) against ca.crt and the
# name staticUpstream.serverName, and presents client.crt, which nginx requires.
UPSTREAM_TLS = {"port": 9443, "cert": PKI + "/rsa-chain.crt", "key": PKI + "/rsa.key",
                "client_ca": PKI + "/ca.crt"}
ORIGIN = deep_merge(TLS, {
    "appliance": {"proxy": {"staticUpstream": {"port": 9443, "serverName": "b.example.com"}}},
    "virtualGateway": {"spec": {"backendDefaults": {"clientPolicy": {"tls": {
        "certificate": {"file": {"certificateChain": PKI + "/client.crt",
                                 "privateKey": PKI + "/client.key"}},
        "validation": {"trust": {"file": {"certificateChain": PKI + "/ca.crt"}}},
    }}}}},
})
WRONG_NAME = deep_merge(ORIGIN, {"appliance": {"proxy": {"staticUpstream": {
    "serverName": "c.example.com"}}}})
NOT_TLS = deep_merge(ORIGIN, {"appliance": {"proxy": {"staticUpstream": {"port": 8080}}}})


def upstream_tls_counters(body):
    """Upstream handshakes happened, fewer than requests (connections are reused), and none
    failed."""
    st = json.loads(body)
    t = st.get("upstream_tls")
    if t is None:
        return "no upstream_tls object in /stats"
    if t["handshakes"] < 1 or t["handshakes"] >= st["proxy"]["requests"]:
        return f"expected reused upstream TLS connections: {t}, proxy {st['proxy']}"
    if any(t["failures"].values()):
        return f"upstream TLS failures: {t['failures']}"
    return None


def whoami(n, expect, desc):
    urls = ["https://a.example.com:8443/whoami"] * n
    return sh("curl", "-sS", "--max-time", "10", "--cacert", PKI + "/ca.crt", "--resolve",
              "a.example.com:8443:{gw}", *urls, stdout=expect, desc=desc)


CASES += [
    Case("tls_origination", config=ORIGIN, needs=("curl", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080, files={"f1m.bin": 1 << 20}, tls=UPSTREAM_TLS),
             stats_baseline(),
             curl_tls("a.example.com", desc="a 1 MiB file through TLS on both sides"),
             whoami(1, r"^client=CN=web verify=SUCCESS sni=b\.example\.com proto=TLSv1\.3 ",
                    desc="nginx saw the client certificate, the SNI and TLS 1.3"),
             whoami(5, r"conn=(\d+)\n(client=.* conn=\1\n){4}",
                    desc="five requests, one upstream TLS connection (pooled)"),
             http("GET", "/stats", 200, check_body=upstream_tls_counters),
             stats_back_to_baseline(timeout=30),
         ]),
    Case("tls_origination_failures", config=WRONG_NAME, needs=("curl", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080, tls=UPSTREAM_TLS),
             sh("curl", "-sS", "-w", "\n%{http_code}\n", "--max-time", "10", "--cacert",
                PKI + "/ca.crt", "--resolve", "a.example.com:8443:{gw}",
                "https://a.example.com:8443/whoami",
                stdout=r"upstream TLS handshake failed: san_mismatch\n+503$",
                desc="upstream certificate without the expected name: 503"),
             gateway_logged(r"event: \S+ 503 to client [0-9.]+:\d+: upstream TLS handshake "
                            r"failed: san_mismatch \(upstream [0-9.]+:9443, TLS\)"),
         ]),
    Case("tls_origination_to_plaintext", config=NOT_TLS, needs=("curl", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080),
             sh("curl", "-sS", "-w", "\n%{http_code}\n", "--max-time", "10", "--cacert",
                PKI + "/ca.crt", "--resolve", "a.example.com:8443:{gw}",
                "https://a.example.com:8443/",
                stdout=r"upstream TLS handshake failed: \w+\n+503$",
                desc="TLS spoken to a plaintext upstream: 503"),
             gateway_logged(r"503 to client .*upstream TLS handshake failed"),
         ]),
    # 1 GiB each way with TLS on both sides, resident memory bounded as in the plaintext case.
    Case("tls_1gib_each_way", config=ORIGIN, needs=("curl", "nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080, tls=UPSTREAM_TLS),
             gateway_rss_below(200),
             client("big_transfer.py", "{gw}", 8443, "{logdir}/www", 1024, PKI + "/ca.crt",
                    "a.example.com", timeout=900, note=True),
             gateway_rss_below(200),
         ]),
]
