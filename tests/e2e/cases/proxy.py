"""HTTP/1.1 reverse proxy: the gateway's listener forwards to nginx (Debian's)
on the namespace side of the TAP.  Plaintext for now; TLS termination cases
join when the TLS layer is wired to the listener.
"""

from steps import (Case, client, deep_merge, gateway_rss_below, nginx, server, sh, silent_upstream,
                   ws_echo_upstream, recording_upstream, stats_back_to_baseline,
                   stats_baseline)

MIB = 1 << 20

PROXY = {
    "virtualGateway": {
        "virtualGatewayName": "ingress",
        "spec": {"listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}]},
    },
    "appliance": {"proxy": {"staticUpstream": {"address": "10.99.0.1", "port": 8080}}},
}

RECORDED = deep_merge(PROXY, {"appliance": {"proxy": {"staticUpstream": {"port": 8081}}}})

CASES = [
    Case("proxy_transfers", config=PROXY, needs=("curl", "nginx"), steps=[
        nginx(8080, files={"f32m.bin": 32 * MIB}),
        stats_baseline(),
        client("http_transfer.py", "{gw}", 8080, "{logdir}/www", "f32m.bin", 16, timeout=180,
               note=True),
        stats_back_to_baseline(timeout=30),
    ]),
]

CASES += [
    # A corpus of malformed and smuggling requests: each gets its documented
    # status, and the upstream never sees a desynchronised request.
    Case("proxy_smuggling_corpus", config=RECORDED, steps=[
        recording_upstream(8081),
        stats_baseline(),
        client("smuggle.py", "{gw}", 8080, "{logdir}/upstream.jsonl", timeout=120, note=True),
        stats_back_to_baseline(timeout=30),
    ]),
]

CASES += [
    # 1 GiB up and 1 GiB down through the gateway to nginx: bodies stream,
    # so the gateway's memory does not grow with them.  The bound is what the
    # gateway touches at boot (EAL's memory, the mbuf pool, lwIP's pools) plus
    # headroom; a buffered body would blow through it.
    Case("proxy_1gib_each_way", config=PROXY, needs=("curl", "nginx"), steps=[
        nginx(8080),
        gateway_rss_below(200),
        client("big_transfer.py", "{gw}", 8080, "{logdir}/www", 1024, timeout=600, note=True),
        gateway_rss_below(200),
    ]),
]

WEBSOCKET = deep_merge(PROXY, {"appliance": {"proxy": {"staticUpstream": {"port": 8082}}}})

CASES += [
    # HTTP/1.1 Upgrade: after the upstream's 101 the gateway carries the
    # WebSocket as a byte stream both ways, and both ends close cleanly.
    Case("proxy_websocket", config=WEBSOCKET, steps=[
        ws_echo_upstream(8082),
        stats_baseline(),
        client("ws_roundtrip.py", "ws://{gw}:8080/echo", 20, timeout=60, note=True),
        stats_back_to_baseline(timeout=30),
    ]),
]

SILENT = deep_merge(PROXY, {"appliance": {"proxy": {"staticUpstream": {"port": 8083}}}})


def status_and_body(url, status, body_re, desc, method="GET"):
    return sh("curl", "-sS", "-X", method, "-w", "\n%{http_code}\n", "--max-time", "30", url,
              stdout=body_re + r"\n+" + str(status) + "$", desc=desc, timeout=40)


CASES += [
    # Upstream failures get Envoy's statuses and a body naming the cause.
    Case("proxy_upstream_down", config=PROXY, steps=[
        stats_baseline(),
        status_and_body("http://{gw}:8080/x", 503, r"503 Service Unavailable: upstream connect failed",
                        "nothing listens upstream: 503"),
        stats_back_to_baseline(timeout=30),
    ]),
    Case("proxy_upstream_timeout", config=SILENT, steps=[
        silent_upstream(8083),
        status_and_body("http://{gw}:8080/x", 504, r"504 Gateway Timeout: upstream request timeout",
                        "no response within 15 s: 504"),
    ]),
]

STALE = deep_merge(PROXY, {"appliance": {"proxy": {"staticUpstream": {"port": 8084}}},
                           "virtualGateway": {"spec": {"logging": {"accessLog": {"file": {
                               "path": "/dev/stdout"}}}}}})

CASES += [
    # The keep-alive race: every pooled connection is closed by the upstream when the next
    # request arrives on it.  Bodiless GETs are sent again on another connection: every
    # one is answered 200 (each was a 502 before), and a POST is not re-sent (502).
    Case("proxy_stale_keepalive_retried", config=STALE, steps=[
        server("one_shot_keepalive.py", "{peer}", 8084),
        *[sh("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}\n", "--max-time", "5",
             "http://{gw}:8080/get/" + str(i), stdout=r"^200$", desc=f"GET {i} -> 200")
          for i in range(4)],
        sh("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}\n", "--max-time", "5",
           "--data", "x=1", "http://{gw}:8080/post", stdout=r"^502$",
           desc="POST on a connection the upstream closes -> 502 (never re-sent)"),
    ]),
]
