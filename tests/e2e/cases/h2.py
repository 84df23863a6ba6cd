"""HTTP/2 on the virtual gateway's listener (issue 9, docs/HTTP2.md), with clients nobody here
wrote: curl --http2 / --http2-prior-knowledge, nghttp, h2load and Python's grpcio; and the
attack generator tools/h2-attack/h2attack.py (rapid reset, CONTINUATION flood, HPACK bomb,
PING and SETTINGS floods, zero-window stall).

Upstreams are HTTP/1.1: tests/e2e/servers/h1_echo_grpc.py (echo, /bytes/N, gRPC framing over
HTTP/1.1) on {peer}:8081 and nginx on {peer}:8080.  The case h2_grpc_grpcio_upstream needs
HTTP/2 to upstreams (branch h2up) and is skipped, saying so, until the gateway has it.
"""

import copy
import json
import re
import time
from pathlib import Path

from steps import (PYTHON, Case, CaseSkipped, client, curl, fail, nginx, recording_upstream,
                   server, sh, Step, stats_back_to_baseline, stats_baseline)

TOP = Path(__file__).resolve().parents[3]
ATTACK = str(TOP / "tools" / "h2-attack" / "h2attack.py")
CLIENTS = Path(__file__).resolve().parents[1] / "clients"
MAKE_CERTS = str(TOP / "tests" / "tls" / "make-certs.sh")
PKI = "{logdir}/pki"
MIB = 1 << 20


def ms(v):
    return {"unit": "ms", "value": v}


def h2_config(protocol="http2", port=8080, tls=False, proxy=None):
    """A virtual gateway whose one listener speaks <protocol> on <port>, routing
    /echo, /hello, /bytes to h1_echo_grpc.py ({peer}:8081) and everything else to nginx
    ({peer}:8080) with http2Routes; both upstreams are HTTP/1.1 virtual nodes."""
    listener = {"portMapping": {"port": port, "protocol": protocol}}
    if tls:
        listener["tls"] = {"mode": "STRICT", "certificate": {"file": {
            "certificateChain": PKI + "/ec.crt", "privateKey": PKI + "/ec.key"}}}

    def gw_route(name, prefix, service):
        return {"gatewayRouteName": name, "spec": {"http2Route": {
            "match": {"prefix": prefix},
            "action": {"target": {"virtualService": {"virtualServiceName": service}},
                       "rewrite": {"prefix": {"defaultPrefix": "DISABLED"}}}}}}

    def node(name):
        return {"virtualNodeName": name, "spec": {
            "listeners": [{"portMapping": {"port": 80, "protocol": "http"},
                           "connectionPool": {"http": {"maxConnections": 512,
                                                       "maxPendingRequests": 20000}}}]}}
    cfg = {
        "virtualGateway": {"virtualGatewayName": "ingress", "spec": {"listeners": [listener]}},
        "appliance": {"endpoints": {"echo": [{"address": "10.99.0.1", "port": 8081}],
                                    "files": [{"address": "10.99.0.1", "port": 8080}]}},
        "gatewayRoutes": [gw_route("echo", "/echo", "echo.local"),
                          gw_route("hello", "/hello", "echo.local"),
                          gw_route("bytes", "/bytes/", "echo.local"),
                          gw_route("files", "/", "files.local")],
        "virtualServices": [
            {"virtualServiceName": "echo.local",
             "spec": {"provider": {"virtualNode": {"virtualNodeName": "echo"}}}},
            {"virtualServiceName": "files.local",
             "spec": {"provider": {"virtualNode": {"virtualNodeName": "files"}}}}],
        "virtualNodes": [node("echo"), node("files")],
    }
    if proxy:
        cfg["appliance"]["proxy"] = proxy
    return cfg


H2C = h2_config()
H2_TLS = h2_config(port=8443, tls=True)
# The zero-window case: a short idle timeout, so the stalled connection is closed in seconds.
H2C_IDLE = h2_config(proxy={"idleTimeoutMs": 2000})


def grpc_config(node_protocol, upstream_port):
    """A grpc listener on 8080; grpcRoute test.Echo -> virtual router (grpc) whose grpcRoutes
    send test.Echo/SlowRoute with a 1.5 s perRequest timeout and the rest with retries on
    UNAVAILABLE, to the node "greeter" (<node_protocol>) at {peer}:<upstream_port>."""
    return {
        "virtualGateway": {"virtualGatewayName": "ingress", "spec": {
            "listeners": [{"portMapping": {"port": 8080, "protocol": "grpc"}}]}},
        "appliance": {"endpoints": {"greeter": [{"address": "10.99.0.1",
                                                 "port": upstream_port}]}},
        "gatewayRoutes": [{"gatewayRouteName": "echo", "spec": {"grpcRoute": {
            "match": {"serviceName": "test.Echo"},
            "action": {"target": {"virtualService": {"virtualServiceName": "echo.local"}}}}}}],
        "virtualServices": [{"virtualServiceName": "echo.local", "spec": {"provider": {
            "virtualRouter": {"virtualRouterName": "r"}}}}],
        "virtualRouters": [{"virtualRouterName": "r", "spec": {
            "listeners": [{"portMapping": {"port": 8080, "protocol": "grpc"}}]}}],
        "routes": [
            {"routeName": "slow", "virtualRouterName": "r", "spec": {"priority": 0, "grpcRoute": {
                "match": {"serviceName": "test.Echo", "methodName": "SlowRoute"},
                "action": {"weightedTargets": [{"virtualNode": "greeter", "weight": 1}]},
                "timeout": {"perRequest": ms(1500)}}}},
            {"routeName": "echo", "virtualRouterName": "r", "spec": {"priority": 1, "grpcRoute": {
                "match": {"serviceName": "test.Echo"},
                "action": {"weightedTargets": [{"virtualNode": "greeter", "weight": 1}]},
                "retryPolicy": {"maxRetries": 2, "perRetryTimeout": ms(5000),
                                "grpcRetryEvents": ["unavailable"]},
                "timeout": {"perRequest": ms(10000)}}}}],
        "virtualNodes": [{"virtualNodeName": "greeter", "spec": {"listeners": [
            {"portMapping": {"port": 8080, "protocol": node_protocol}}]}}],
    }


# ---------------------------------------------------------------- steps

def curl_h2(url, *extra, status=200, version="2", body_re=None, desc=None, cacert=True):
    """curl <url> with <extra> options: HTTP status <status>, `%{http_version}` == <version>,
    and the body matching <body_re>."""
    desc = desc or f"curl {' '.join(extra)} {url} -> {status} over HTTP/{version}"

    def step(ctx, desc):
        tls = ["--cacert", ctx.fmt(PKI + "/ca.crt"), "--resolve",
               ctx.fmt("a.example.com:8443:{gw}")] if url.startswith("https") else []
        bodyf = ctx.logdir / "curl-body"
        rc, out, err = curl(ctx, *tls, *extra, "-o", str(bodyf),
                            "-w", "%{http_code} %{http_version}", ctx.fmt(url))
        body = bodyf.read_bytes() if bodyf.exists() else b""
        if rc != 0 or out.strip() != f"{status} {version}":
            fail(f"{desc}: got `{out.strip()}` (status, version), curl rc={rc}", err)
        if body_re and not re.search(body_re, body.decode("latin-1")):
            fail(f"{desc}: body {body[:200]!r} does not match /{body_re}/")
    return Step(desc, step)


def curl_post_echo(url, size, *extra, version="2"):
    """POST <size> random bytes with curl <extra> (HTTP/<version>); the upstream echo returns
    them intact (compared byte for byte) and its x-body-sha256 matches."""
    desc = f"curl {' '.join(extra)} POST {size} bytes to {url}: echoed intact"

    def step(ctx, desc):
        import hashlib
        import os
        src, dst = ctx.logdir / "post-src", ctx.logdir / "post-dst"
        data = os.urandom(size)
        src.write_bytes(data)
        hdrs = ctx.logdir / "post-headers"
        rc, out, err = curl(ctx, *extra, "--data-binary", f"@{src}", "-D", str(hdrs),
                            "-o", str(dst), "-w", "%{http_code} %{http_version}", ctx.fmt(url),
                            timeout=30)
        if rc != 0 or out.strip() != f"200 {version}":
            fail(f"{desc}: got `{out}` curl rc={rc}", err)
        got = dst.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if got != data or sha not in hdrs.read_text(errors="replace"):
            fail(f"{desc}: {len(got)} bytes back, equal={got == data}, upstream sha256 "
                 f"{'matches' if sha in hdrs.read_text(errors='replace') else 'differs'}")
    return Step(desc, step)


def nghttp_checks(base):
    """nghttp (nghttp2-client) on <base> ({gw}-formatted, http:// = prior knowledge h2c):
    two GETs on one connection, a GET of 1 MiB (many WINDOW_UPDATEs), a POST of 300 KiB
    whose echo is intact, all with HTTP/2 status 200."""
    desc = f"nghttp GETs and a 300 KiB POST on {base}"

    def step(ctx, desc):
        import hashlib
        import os
        url = ctx.fmt(base)
        rc, out, err, _ = ctx.run(["nghttp", "-n", "-s", "-v", "-t", "10",
                                   url + "/hello/1", url + "/hello/2"], timeout=20)
        statuses = re.findall(r":status: (\d+)", out)
        if rc != 0 or statuses != ["200", "200"]:
            fail(f"{desc}: two GETs on one connection: statuses {statuses}, rc={rc}", out + err)
        streams = re.findall(r"recv HEADERS frame <length=\d+, flags=0x0[45], stream_id=(\d+)>",
                             out)
        if sorted(set(streams)) != ["13", "15"]:
            ctx.log(f"note: response streams {streams}")
        big = ctx.logdir / "nghttp-big"
        rc, out, err, _ = ctx.run(["bash", "-c", f"nghttp -t 20 {url}/bytes/1048576 > {big}"],
                                  timeout=30)
        pattern = bytes(i % 251 for i in range(251 * 64))
        want = (pattern * (MIB // len(pattern) + 1))[:MIB]
        if rc != 0 or big.read_bytes() != want:
            fail(f"{desc}: GET /bytes/1048576: rc={rc}, {big.stat().st_size} bytes, "
                 f"equal={big.read_bytes() == want}", err)
        src = ctx.logdir / "nghttp-post"
        data = os.urandom(300 * 1024)
        src.write_bytes(data)
        rc, out, err, _ = ctx.run(["nghttp", "-v", "-t", "20", "-d", str(src),
                                   url + "/echo/nghttp"], timeout=30)
        sha = hashlib.sha256(data).hexdigest()
        if rc != 0 or not re.search(r"x-body-sha256: " + sha, out) or \
                not re.search(r":status: 200", out):
            fail(f"{desc}: POST 300 KiB: rc={rc}, sha256 {sha} "
                 f"{'echoed' if sha in out else 'not in the response headers'}",
                 "\n".join(ln for ln in out.splitlines() if "x-body" in ln or ":status" in ln)
                 + err)
        ctx.notes.append("nghttp GET x2, 1 MiB GET, 300 KiB POST ok")
    return Step(desc, step)


def h2load_run(url, n=10000, c=100, m=100, within=60.0, extra=()):
    """h2load -n <n> -c <c> -m <m> <url>: every request succeeds (0 failed, 0 errored, all
    2xx) within <within> seconds."""
    desc = f"h2load -n {n} -c {c} -m {m} {url}: 0 errors within {within:g}s"

    def step(ctx, desc):
        rc, out, err, took = ctx.run(["h2load", "-n", str(n), "-c", str(c), "-m", str(m),
                                      "-T", "30", *extra, url], timeout=within + 15)
        m_ = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                       r"(\d+) failed, (\d+) errored, (\d+) timeout", out)
        codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
        proto = re.search(r"Application protocol: (\S+)", out)
        if not m_ or not codes:
            fail(f"{desc}: no h2load summary (rc={rc})", out + err)
        total, _, done, ok, failed, errored, timeouts = map(int, m_.groups())
        if failed or errored or timeouts or ok != n or int(codes.group(1)) != n:
            fail(f"{desc}: {m_.group(0)}; {codes.group(0)}", out + err)
        if not proto or proto.group(1) not in ("h2c", "h2"):
            fail(f"{desc}: application protocol {proto and proto.group(1)}", out)
        if took > within:
            fail(f"{desc}: took {took:.1f}s")
        rps = re.search(r"finished in ([\d.]+\w+), ([\d.]+) req/s", out)
        ctx.notes.append(f"h2load {n} req c{c} m{m}: 0 errors, "
                         f"{rps.group(2) if rps else '?'} req/s")
    return Step(desc, step)


def h2_settings(want):
    """The gateway's first SETTINGS frame (nghttp -nv) carries every setting of <want>
    ({name: value}; None: absent, i.e. the protocol default)."""
    desc = "gateway SETTINGS: " + ", ".join(f"{k}={v}" for k, v in want.items())

    def step(ctx, desc):
        rc, out, err, _ = ctx.run(["nghttp", "-nv", "-t", "5", ctx.fmt("http://{gw}:8080/hello/s")],
                                  timeout=15)
        m = re.search(r"recv SETTINGS frame <[^>]*flags=0x00[^>]*>\s*\(niv=\d+\)\n((?:\s*\[.*\]\n)*)",
                      out)
        if rc != 0 or not m:
            fail(f"{desc}: no SETTINGS from the gateway (rc={rc})", out + err)
        got = dict(re.findall(r"\[(SETTINGS_\w+)\(0x\w+\):(\d+)\]", m.group(1)))
        bad = {k: got.get(k) for k, v in want.items()
               if got.get(k) != (None if v is None else str(v))}
        if bad:
            fail(f"{desc}: got {got}")
        ctx.notes.append("SETTINGS " + ", ".join(f"{k[9:]}={v}" for k, v in got.items()))
    return Step(desc, step)


def big_header(size, status=431, desc=None):
    """A request with one <size>-byte header over h2c: HTTP <status> (a 431 for a header
    list over the listener's maxRequestHeaderBytes), or curl error when status is None (the
    stream or connection was reset)."""
    desc = desc or f"h2c request with a {size}-byte header -> {status or 'reset'}"

    def step(ctx, desc):
        hdr = ctx.logdir / "big-header"
        hdr.write_text("x-big: " + "a" * size + "\n")
        rc, out, err = curl(ctx, "--http2-prior-knowledge", "-H", f"@{hdr}", "-o", "/dev/null",
                            "-w", "%{http_code}", ctx.fmt("http://{gw}:8080/hello/big"))
        if status is None:
            if rc == 0 and out.strip() not in ("000", "431"):
                fail(f"{desc}: got HTTP {out}")
        elif rc != 0 or out.strip() != str(status):
            fail(f"{desc}: got HTTP {out} (curl rc={rc})", err)
        ctx.notes.append(f"{size}-byte header: {out.strip() or 'reset'}")
    return Step(desc, step)


def grpc_client(mode, *args, timeout=120.0):
    """clients/h2_grpc.py through the gateway's grpc listener; exit 77 = visible skip."""
    desc = f"h2_grpc.py {mode} {' '.join(args)}"

    def step(ctx, desc):
        rc, out, err, _ = ctx.run([PYTHON, "-B", str(CLIENTS / "h2_grpc.py"), "{gw}:8080",
                                   mode, *args], timeout)
        last = out.strip().splitlines()[-1] if out.strip() else ""
        if rc == 77:
            raise CaseSkipped(last.removeprefix("SKIP: "))
        if rc != 0:
            fail(f"{desc}: exit status {rc}", out + err)
        ctx.notes.append(last)
    return Step(desc, step)


# ---- /metrics and memory

def metrics(ctx):
    """{series: value} for every meshgate_h2_* series on the admin /metrics."""
    rc, out, err = curl(ctx, ctx.fmt("http://{gw}:{admin}/metrics"))
    if rc != 0:
        fail(f"GET /metrics: curl rc={rc}", err)
    got = {}
    for line in out.splitlines():
        if line.startswith("meshgate_h2_"):
            name, _, val = line.rpartition(" ")
            try:
                got[name] = float(val)
            except ValueError:
                pass
    return got


def rss_kib(ctx):
    with open(f"/proc/{ctx.gw.pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metric_moved(before, after, pattern):
    """The series matching the regex <pattern> whose value rose, as 'name +delta'."""
    return [f"{k} +{after[k] - before.get(k, 0):g}" for k in after
            if re.fullmatch(pattern, k) and after[k] > before.get(k, 0)]


def h2_metrics_exist(min_streams=0):
    """/metrics has the meshgate_h2_ counters the attack cases read, and
    meshgate_h2_streams_total is at least <min_streams>."""
    def step(ctx, desc):
        m = metrics(ctx)
        streams = m.get("meshgate_h2_streams_total", 0)
        if streams < min_streams:
            fail(f"{desc}: meshgate_h2_streams_total {streams}, expected >= {min_streams}")
        need = [r"meshgate_h2_streams_total", r'meshgate_h2_goaway(_sent)?_total\{reason="[^"]+"\}']
        missing = [p for p in need if not any(re.fullmatch(p, k) for k in m)]
        if missing:
            fail(f"{desc}: missing {missing}; meshgate_h2_ series: {sorted(m)}")
    return Step("/metrics has meshgate_h2_streams_total and goaway_total{reason}", step)


def under_attack(attack, seconds, counter, rss_bound_mib=64, extra=(), probe_url=None,
                 tls=False, expect_closed=True):
    """Run h2attack.py <attack> against the listener for <seconds> while a normal client
    (curl, a fresh HTTP/2 connection each time) requests every 100 ms.  Then:
      (a) the gateway's VmRSS, sampled throughout, never rose more than <rss_bound_mib> MiB
          over the value before the attack;
      (b) at least 95 % of the normal requests (and at least 10 of them) got 200, each
          within curl's 3 s;
      (c) with <expect_closed>, every attack connection ended with a GOAWAY or a close by the
          gateway (the attacker reports goaways + disconnects >= its connections, less the
          one open when its time ran out);
      (d) (checked by counter_rose(), a later step) a meshgate_h2_ series matching the
          regex <counter> rose."""
    desc = f"{attack} for {seconds:g}s: RSS +<{rss_bound_mib} MiB, normal client served, " \
        f"attacker stopped, counter /{counter}/ moved"

    def step(ctx, desc):
        port = 8443 if tls else 8080
        url = probe_url or (f"https://a.example.com:{port}/hello/probe" if tls else
                            f"http://{{gw}}:{port}/hello/probe")
        before = metrics(ctx)
        rss0 = peak = rss_kib(ctx)
        argv = [PYTHON, "-B", ATTACK, attack, "{gw}", str(port), "--seconds", str(seconds),
                "--max-conns", "2000", "--path", "/hello/attack", *extra]
        if tls:
            argv += ["--tls", "--sni", "a.example.com"]
        proc = ctx.spawn(argv, f"attack-{attack}")
        probe = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                 "--max-time", "3"]
        probe += (["--http2", "--cacert", ctx.fmt(PKI + "/ca.crt"), "--resolve",
                   ctx.fmt(f"a.example.com:{port}:{{gw}}")] if tls else
                  ["--http2-prior-knowledge"])
        results = []
        deadline = time.monotonic() + seconds + 30
        while proc.poll() is None and time.monotonic() < deadline:
            rc, out, err, took = ctx.run(probe + [ctx.fmt(url)], timeout=10, quiet=True)
            results.append((rc, out.strip(), round(took, 2)))
            peak = max(peak, rss_kib(ctx))
            time.sleep(0.1)
        if proc.poll() is None:
            proc.kill()
            fail(f"{desc}: the attacker did not stop within {seconds + 30:g}s")
        report_line = proc.stdout.read().decode(errors="replace").strip().splitlines()
        ctx.log(f"attacker: {report_line[-1] if report_line else '(nothing)'}")
        time.sleep(1.0)  # counters settle; the gateway frees what the attack held
        peak = max(peak, rss_kib(ctx))
        after = metrics(ctx)
        ctx.log(f"metrics before {before}\nmetrics after {after}")
        problems = []
        try:
            rep = json.loads(report_line[-1])
        except (ValueError, IndexError):
            fail(f"{desc}: no JSON report from the attacker",
                 (ctx.logdir / f"attack-{attack}.log").read_text(errors="replace"))
        if rep["connections"] == 0:
            fail(f"{desc}: the attacker could not connect: {rep}")
        grow = (peak - rss0) / 1024
        if grow >= rss_bound_mib:
            problems.append(f"(a) RSS grew {grow:.1f} MiB (from {rss0 // 1024} MiB), bound "
                            f"{rss_bound_mib}")
        ok = sum(1 for rc, out, _ in results if rc == 0 and out.startswith("200 2"))
        if len(results) < 10 or ok < 0.95 * len(results):
            bad = [r for r in results if not (r[0] == 0 and r[1].startswith("200 2"))][:5]
            problems.append(f"(b) normal client: {ok}/{len(results)} requests served "
                            f"(first failures {bad})")
        ended = rep["goaways"] + rep["disconnects"]
        if expect_closed and ended < rep["connections"] - 1 or ended == 0 and expect_closed:
            problems.append(f"(c) attacker not stopped: {rep['connections']} connections, "
                            f"{rep['goaways']} GOAWAY {rep['goaway_errors']}, "
                            f"{rep['disconnects']} closed")
        ctx.saved["attack_metrics"] = (before, after)
        summary = (f"{attack}: {rep['connections']} conns, {rep['frames_sent']} frames, "
                   f"GOAWAY {rep['goaway_errors'] or 0}, {rep['disconnects']} closed, "
                   f"RSS +{grow:.1f} MiB, normal {ok}/{len(results)}")
        ctx.log(summary)
        if problems:
            fail(f"{desc}: " + "; ".join(problems) + f"\n      attacker: {rep}")
        ctx.notes.append(summary)
    return Step(desc, step)


def counter_rose(counter):
    """(d) of under_attack(): between the /metrics taken before and after the attack, a
    meshgate_h2_ series matching the regex <counter> rose."""
    def step(ctx, desc):
        before, after = ctx.saved["attack_metrics"]
        moved = metric_moved(before, after, counter)
        if not after:
            fail(f"{desc}: /metrics has no meshgate_h2_ series at all")
        if not moved:
            fail(f"{desc}: no; h2 series that rose: {metric_moved(before, after, r'.*')}")
        ctx.notes.append(", ".join(moved))
    return Step(f"(d) /metrics: /{counter}/ rose during the attack", step)


def zero_window_closed(idle_s=2.0):
    """A client that advertises a zero stream window and never opens it (h2attack.py
    zero-window on a 1 MiB GET) has its connection closed by the gateway within the idle
    timeout plus 3 s, a normal request is served meanwhile, and
    meshgate_h2_goaway_total{reason="stall"} (or "idle") rose."""
    desc = f"zero-window stall: closed within {idle_s + 3:g}s (idle timeout {idle_s:g}s)"

    def step(ctx, desc):
        limit = idle_s + 3
        before = metrics(ctx)
        proc = ctx.spawn([PYTHON, "-B", ATTACK, "zero-window", "{gw}", "8080",
                          "--seconds", str(limit + 10), "--path", "/bytes/1048576"],
                         "attack-zero-window")
        time.sleep(0.5)
        rc, out, err, _ = ctx.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                   "--max-time", "3", "--http2-prior-knowledge",
                                   ctx.fmt("http://{gw}:8080/hello/while-stalled")], timeout=10)
        try:
            out_a, _ = proc.communicate(timeout=limit + 20)
        except Exception:
            proc.kill()
            fail(f"{desc}: the attacker did not stop")
        rep = json.loads(out_a.decode().strip().splitlines()[-1])
        ctx.log(f"attacker: {rep}")
        if out.strip() != "200":
            fail(f"{desc}: the normal request got {out!r} rc={rc}", err)
        closed = rep["goaways"] + rep["disconnects"] > 0
        if not closed or rep["held_open_seconds"] > limit:
            fail(f"{desc}: connection held {rep['held_open_seconds']}s, "
                 f"closed by the gateway: {closed} ({rep})")
        moved = metric_moved(before, metrics(ctx), GOAWAY % "stall|idle")
        if not moved:
            fail(f"{desc}: no meshgate_h2_goaway_total{{reason=stall|idle}} rose")
        ctx.notes.append(f"zero-window connection closed after {rep['held_open_seconds']}s, "
                         f"{', '.join(moved)}")
    return Step(desc, step)


def upstream_trailers(want):
    """record_upstream.py logged requests whose trailers are exactly <want>, in order (one
    list of [name, value] pairs per request)."""
    def step(ctx, desc):
        got = [json.loads(ln).get("trailers") for ln in
               (ctx.logdir / "upstream.jsonl").read_text().splitlines() if ln.strip()]
        if got != want:
            fail(f"{desc}: the upstream got trailers {got}, expected {want}")
    return Step(f"the upstream received the trailers {want}", step)


def jwt_over_h2():
    """Over h2c: /main without a token -> 401 with WWW-Authenticate; with the first valid
    token for provider "main" from tokens.txt -> 200; with an expired one -> 401."""
    def step(ctx, desc):
        toks = {}
        for line in (Path(ctx.fmt("{logdir}/tok")) / "tokens.txt").read_text().splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[1] == "main":
                toks.setdefault(parts[2], parts[3])
        url = ctx.fmt("http://{gw}:8080/main/h2")
        for what, extra, want in (
                ("no token", [], "401"),
                ("valid token", ["-H", f"Authorization: Bearer {toks['allowed']}"], "200"),
                ("expired token", ["-H", f"Authorization: Bearer {toks['expired']}"], "401")):
            rc, out, err = curl(ctx, "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null",
                                "-w", "%{http_code} %{http_version}", *extra, url)
            code = out.strip().splitlines()[-1] if out.strip() else ""
            if rc != 0 or code != f"{want} 2":
                fail(f"{desc}: {what}: got `{code}`, expected `{want} 2` (curl rc={rc})",
                     out + err)
            if want == "401" and not re.search(r"^www-authenticate: Bearer", out, re.M | re.I):
                fail(f"{desc}: {what}: no www-authenticate in the HTTP/2 response", out)
        ctx.notes.append("JWT over h2: 401 / 200 / 401")
    return Step("JWT over h2c: missing, valid, expired", step)


# ---------------------------------------------------------------- cases

NEEDS = ("curl", "nginx")
ECHO = server("h1_echo_grpc.py", "{peer}", 8081, name="echo_upstream")
FILES = nginx(8080, files={"f1m.bin": MIB, "index.html": 1024})

CASES = [
    # 1. curl with prior-knowledge h2c, and HTTP/1.1 on the same plaintext listener.
    Case("h2_curl_h2c", config=H2C, needs=NEEDS, steps=[
        ECHO, FILES, stats_baseline(),
        curl_h2("http://{gw}:8080/hello/a", "--http2-prior-knowledge",
                body_re=r"^hello path=/hello/a "),
        curl_h2("http://{gw}:8080/f1m.bin", "--http2-prior-knowledge",
                desc="1 MiB file over h2c (flow control beyond the 64 KiB window)"),
        curl_h2("http://{gw}:8080/hello/h1", "--http1.1", version="1.1",
                body_re=r"^hello path=/hello/h1 ", desc="HTTP/1.1 on the same listener"),
        curl_h2("http://{gw}:8080/nothing-here", "--http2-prior-knowledge", status=404,
                desc="nginx's 404 over h2c"),
        sh("curl", "-sS", "--http2-prior-knowledge", "--limit-rate", "100k", "--max-time", "1",
           "-o", "/dev/null", "http://{gw}:8080/f1m.bin", rc=28,
           desc="a client that gives up in the middle of a 1 MiB h2c response (curl rc 28)"),
        sh("curl", "-sS", "--http2-prior-knowledge", "http://{gw}:8080/hello/headers",
           "-H", "Host: other.example", stdout=r"^Host: echo\.local$",
           desc="the gateway route's hostname rewrite applies to :authority"),
        curl_post_echo("http://{gw}:8080/echo/c", 200 * 1024, "--http2-prior-knowledge"),
        curl_post_echo("http://{gw}:8080/echo/c1", 200 * 1024, "--http1.1", version="1.1"),
        stats_back_to_baseline(timeout=30),
    ]),
    # The meshgate_h2_ counters on /metrics count the streams served.
    Case("h2_metrics_counters", config=H2C, needs=NEEDS, steps=[
        ECHO, FILES,
        *[curl_h2(f"http://{{gw}}:8080/hello/m{i}", "--http2-prior-knowledge") for i in range(3)],
        h2_metrics_exist(min_streams=3),
    ]),
    # HEAD over HTTP/2: HEADERS with END_STREAM, no body, nothing leaked.
    Case("h2_head", config=H2C, needs=NEEDS + ("nghttp",), steps=[
             ECHO, FILES, stats_baseline(),
             sh("nghttp", "-v", "-t", "5", "-H", ":method: HEAD", "http://{gw}:8080/f1m.bin",
                stdout=r"recv HEADERS frame <length=\d+, flags=0x05, stream_id=13>",
                desc="nghttp HEAD /f1m.bin: response HEADERS with END_STREAM"),
             curl_h2("http://{gw}:8080/f1m.bin", "--http2-prior-knowledge", "--head",
                     desc="curl --head over h2c: 200, HTTP/2"),
             stats_back_to_baseline(timeout=10),
         ]),
    # The limits the gateway announces, and the header-list limit enforced.
    Case("h2_limits", config=H2C, needs=NEEDS + ("nghttp",), steps=[
        ECHO, FILES,
        h2_settings({"SETTINGS_MAX_CONCURRENT_STREAMS": 100,
                     "SETTINGS_INITIAL_WINDOW_SIZE": 65536,
                     "SETTINGS_MAX_HEADER_LIST_SIZE": 32768}),
        big_header(16000, status=200, desc="a 16000-byte header is within the limit"),
        big_header(40000, status=431),
        curl_h2("http://{gw}:8080/hello/after", "--http2-prior-knowledge",
                desc="served after the refused header"),
    ]),
    # 1. curl --http2 over TLS (ALPN h2), and ALPN http/1.1 on the same listener.
    Case("h2_curl_tls_alpn", config=H2_TLS, needs=NEEDS + ("openssl",),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")], steps=[
             ECHO, FILES,
             curl_h2("https://a.example.com:8443/hello/tls", "--http2",
                     body_re=r"^hello path=/hello/tls "),
             curl_h2("https://a.example.com:8443/f1m.bin", "--http2",
                     desc="1 MiB over h2 (TLS)"),
             curl_h2("https://a.example.com:8443/hello/tls1", "--http1.1", version="1.1",
                     desc="ALPN http/1.1 still served"),
             sh("bash", "-c", "openssl s_client -connect {gw}:8443 -servername a.example.com "
                "-alpn h2,http/1.1 </dev/null 2>&1", stdout=r"ALPN protocol: h2",
                desc="ALPN offer h2,http/1.1: the gateway picks h2"),
             sh("bash", "-c", "openssl s_client -connect {gw}:8443 -servername a.example.com "
                "-alpn http/1.1 </dev/null 2>&1", stdout=r"ALPN protocol: http/1\.1",
                desc="ALPN offer http/1.1 only: http/1.1"),
             curl_post_echo("https://a.example.com:8443/echo/tls", 200 * 1024, "--http2",
                            "--cacert", PKI + "/ca.crt", "--resolve",
                             "a.example.com:8443:{gw}"),
         ]),
    # 2. nghttp: GETs, a large GET, a POST with a body echoed intact.
    Case("h2_nghttp", config=H2C, needs=NEEDS + ("nghttp", "cmp"), steps=[
        ECHO, FILES, nghttp_checks("http://{gw}:8080"),
        sh("nghttp", "-H", "cookie: a=1", "-H", "cookie: b=2", "-H", "x-multi: 1", "-H",
           "x-multi: 2", "http://{gw}:8080/hello/headers",
           stdout=r"(?s)^x-multi: 1\nx-multi: 2\n.*^Cookie: a=1; b=2$",
           desc="nghttp: cookie crumbs joined into one Cookie, repeated fields kept"),
        sh("bash", "-c", "nghttp -t 20 -w 10 -W 16 http://{gw}:8080/f1m.bin | "
           "cmp - {logdir}/www/f1m.bin && echo same", stdout=r"^same$", timeout=40,
           desc="nghttp with 1 KiB stream / 64 KiB connection windows: 1 MiB intact"),
        sh("curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w",
           "%{http_code} %{size_header}", "http://{gw}:8080/hello/bighdr/30000",
           stdout=r"^200 30\d\d\d$",
           desc="a 30000-byte response header (HEADERS + CONTINUATION from the gateway)"),
    ]),
    # Streams and connections abandoned half way: the gateway lets go of everything.
    Case("h2_abandoned_streams", config=H2C, needs=NEEDS + ("h2load", "timeout"), steps=[
        ECHO, FILES, stats_baseline(),
        client("h2_midreset.py", "{gw}", 8080, note=True),
        sh("bash", "-c", "timeout -s KILL 1.5 h2load -n 1000000 -c 20 -m 50 "
           "http://{gw}:8080/f1m.bin; echo killed", stdout=r"^killed$", timeout=20,
           desc="h2load (20 x 50 streams of 1 MiB downloads) killed after 1.5 s"),
        sh("bash", "-c", "timeout -s KILL 1.5 h2load -n 1000000 -c 20 -m 50 -d /etc/services "
           "http://{gw}:8080/echo/x; echo killed", stdout=r"^killed$", timeout=20,
           desc="h2load (20 x 50 uploads) killed after 1.5 s"),
        stats_back_to_baseline(timeout=30),
        curl_h2("http://{gw}:8080/hello/after", "--http2-prior-knowledge",
                desc="served afterwards"),
    ]),
    # 3. h2load, 100 connections x 100 concurrent streams.
    Case("h2_h2load_100x100", config=H2C, needs=NEEDS + ("h2load",), steps=[
        ECHO, FILES, stats_baseline(),
        h2load_run("http://{gw}:8080/index.html", n=10000, c=100, m=100, within=60),
        stats_back_to_baseline(timeout=30),
    ]),
    # 4. gRPC with python3-grpcio through a grpc listener and grpcRoute to an HTTP/1.1
    # upstream speaking gRPC framing with trailers.
    Case("h2_grpc_grpcio_client", config=grpc_config("http", 8081), needs=("curl",), steps=[
        ECHO, grpc_client("h1"),
    ]),
    # 4. the same with a real grpcio server as the upstream: needs h2 upstreams (h2up).
    Case("h2_grpc_grpcio_upstream", config=grpc_config("grpc", 9001), needs=("curl",), steps=[
        grpc_client("grpcio", "{peer}", "9001"),
    ]),
]

# Request trailers from an HTTP/2 client reach the HTTP/1.1 upstream (as chunked trailers),
# as they do from an HTTP/1.1 client.
CASES.append(Case(
    "h2_request_trailers", config=H2C, needs=NEEDS,
    bug="an HTTP/2 client's request trailers are dropped: the upstream gets the chunked body "
        "with an empty trailer section (HTTP/1.1 clients' trailers are forwarded)",
    steps=[recording_upstream(8081), FILES,
           client("h2_trailers.py", "{gw}", 8080, "/echo/trailers"),
           upstream_trailers([[["x-trailer", "h2"]], [["x-trailer", "h1"]]])]))

# JWT checks apply to HTTP/2 streams as to HTTP/1.1 requests (the jwt.py configuration with
# an http2 listener and http2Routes).
def _jwt_h2_config():
    from cases.jwt import JWT
    cfg = copy.deepcopy(JWT)
    cfg["virtualGateway"]["spec"]["listeners"][0]["portMapping"]["protocol"] = "http2"
    for r in cfg["gatewayRoutes"]:
        r["spec"]["http2Route"] = r["spec"].pop("httpRoute")
    return cfg


def _jwt_h2_case():
    from cases.jwt import MINT
    from steps import multi_upstream
    return Case("h2_jwt", config=_jwt_h2_config(), setup=[
        sh("sh", "-c", MINT, desc="mint keys and tokens", timeout=60)], steps=[
        multi_upstream({8081: "web"}), jwt_over_h2()])


CASES.append(_jwt_h2_case())

# 5. Attacks, each for a few seconds against a gateway also serving a normal client.
GOAWAY = r'meshgate_h2_goaway(_sent)?_total\{reason="(%s)"\}'
ATTACK_CASES = [
    ("rapid_reset", "rapid-reset",
     r"meshgate_h2_rapid_resets_total|" + GOAWAY % "rapid_reset"),
    ("continuation_flood", "continuation", GOAWAY % "continuation_flood|continuation|header_bomb|headers|memory"),
    ("hpack_bomb", "hpack-bomb", GOAWAY % "header_bomb|headers|memory"),
    ("ping_flood", "ping-flood", GOAWAY % "flood"),
    ("settings_flood", "settings-flood", GOAWAY % "flood"),
]
for name, attack, counter in ATTACK_CASES:
    CASES.append(Case(f"h2_attack_{name}", config=H2C, needs=NEEDS, steps=[
        ECHO, FILES, stats_baseline(), under_attack(attack, 5, counter),
        curl_h2("http://{gw}:8080/hello/after", "--http2-prior-knowledge",
                desc="served after the attack"),
        stats_back_to_baseline(timeout=30), counter_rose(counter),
    ]))
CASES += [
    # Rapid reset over TLS too (the h2 server behind ALPN).
    Case("h2_attack_rapid_reset_tls", config=H2_TLS, needs=NEEDS + ("openssl",),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")], steps=[
             ECHO, FILES, stats_baseline(),
             under_attack("rapid-reset", 5, ATTACK_CASES[0][2], tls=True),
             stats_back_to_baseline(timeout=30), counter_rose(ATTACK_CASES[0][2])]),
    Case("h2_attack_zero_window", config=H2C_IDLE, needs=NEEDS, steps=[
        ECHO, FILES, zero_window_closed(2.0),
    ]),
]
