#!/usr/bin/python3
"""Meshgate and HAProxy 2.6 side by side: `make bench` (docs/PERFORMANCE.md).

Usage: /usr/bin/python3 tools/bench/bench.py --gateway build/gateway --out docs/perf [--quick]
                                             [--only NAME,...]

One network namespace holds everything: nginx (the upstream, 1 KiB responses, keep-alive) on
the kernel side of the gateway's TAP, the gateway (DPDK TAP + lwIP + mbedTLS) and HAProxy
(kernel sockets + OpenSSL), one after the other, each pinned to the same CPU (taskset), with
the clients (h2load, Python handshake loops, a Python idle-connection holder) and nginx on the other
CPU.  Both terminate TLS with the same ECDSA P-256 certificate and proxy to the same nginx.

Measured per proxy (phases):
  keepalive   CPU per keep-alive HTTPS request at a fixed offered rate, p50/p99 latency
              (h2load --rps, per-request log).  Meshgate: busy poll cycles (its own
              accounting, /stats worker.busy_cycles) per request; HAProxy: process CPU time
              (/proc/PID/stat utime+stime) per request.
  jwt         the same with an RS256 bearer token checked on every request (HAProxy:
              jwt_verify; Meshgate: appliance.jwt) -- skipped, with the reason, when the
              gateway does not enforce the token.
  saturation  requests/s with as many concurrent clients as it takes (one core each).
  handshake   full TLS 1.3 handshakes and resumed ones (tools/bench/hs_loop.py):
              CPU per handshake, reported as handshakes/s per core.
  idle        memory (RSS growth) per idle TLS connection with N idle connections open.
  workers     Meshgate alone: saturation throughput with 1 and with 2 shared-nothing workers
              (appliance.dataplane.workers; always on a TAP port, the only kind several
              worker processes share here), requests per worker, CPU per request.  On a
              2-core machine the second worker takes the clients' core: see
              docs/PERFORMANCE.md for what this can and cannot show.
  idle100k    Meshgate only, not part of the default run (several minutes): 100,000 idle TLS
              connections (one keep-alive request each, then idle) on one worker from six client
              processes and source addresses; RSS and mbedTLS
              bytes per connection, the worker's busy share while they sit idle.  Writes
              OUT/idle100k.json and OUT/idle100k.md (not results.*).

Writes OUT/results.json, OUT/results.md (the table), OUT/chart.dat and OUT/chart.png (gnuplot).
Needs root (ip netns), nginx, haproxy, h2load, openssl, gnuplot; exits 77 (skip) without them.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
GW, PEER, PREFIX = "10.99.0.2", "10.99.0.1", 24
# nginx and HAProxy live on the namespace's loopback (the TAP comes and goes with the gateway);
# the gateway reaches it through its next hop, the kernel side of the TAP.
UP = "10.98.0.1"
IFACE = "mgb0"  # the kernel side of the gateway's port (TAP, or one end of a veth pair)
GWIF = "mgb1"  # BENCH_PORT=af_packet: the veth end the gateway's net_af_packet port uses
PORT_KIND = os.environ.get("BENCH_PORT", "af_packet")  # or "tap"
ADMIN = 9901
GW_TLS = 8443
HAP_TLS = 9443
UPSTREAM = 8080
HOST = "a.example.com"
PROXY_CPU = "1"  # the proxy under test
CLIENT_CPU = "0"  # clients and nginx


def log(msg):
    print(f"bench: {msg}", flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.ns = f"mgbench{os.getpid()}"
        self.work = Path(args.work).resolve()
        self.out = Path(args.out).resolve()
        self.procs = []
        self.results = {"meshgate": {}, "haproxy": {}, "notes": []}
        self.port_kind = PORT_KIND
        self.workers = 1

    # ---------------------------------------------------------------- processes

    def nsrun(self, argv, timeout, cpu=CLIENT_CPU, check=True):
        full = ["ip", "netns", "exec", self.ns, "taskset", "-c", cpu, *argv]
        p = subprocess.run(full, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: rc={p.returncode}\n{p.stdout[-2000:]}"
                               f"{p.stderr[-2000:]}")
        return p

    def spawn(self, argv, name, cpu=CLIENT_CPU):
        f = open(self.work / f"{name}.log", "wb")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns, "taskset", "-c", cpu, *argv],
                             stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def stop(self, p, grace=10):
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()

    def curl(self, url, timeout=3):
        p = self.nsrun(["curl", "-s", "--max-time", str(timeout), url], timeout + 2, check=False)
        return p.returncode, p.stdout

    # ---------------------------------------------------------------- setup

    def setup(self):
        self.work.mkdir(parents=True, exist_ok=True)
        self.out.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "-n", self.ns, "addr", "add", f"{UP}/32", "dev", "lo"], check=True)
        pki = self.work / "pki"
        subprocess.run(["bash", str(TOP / "tests/tls/make-certs.sh"), str(pki)], check=True)
        (pki / "ec.pem").write_text((pki / "ec.crt").read_text() + (pki / "ec.key").read_text())
        self.pki = pki
        www = self.work / "www"
        www.mkdir(exist_ok=True)
        (www / "small.txt").write_bytes(os.urandom(1024))
        self.make_jwt()

    def make_jwt(self):
        """An RS256 key pair, its JWKS (Meshgate), its PEM public key (HAProxy), one token."""
        import jwt as pyjwt
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwcrypto import jwk
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pub = key.public_key()
        (self.work / "jwt.pub").write_bytes(pub.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        k = json.loads(jwk.JWK.from_pem(pub.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)).export())
        k.update({"kid": "bench", "alg": "RS256", "use": "sig"})
        (self.work / "jwks.json").write_text(json.dumps({"keys": [k]}))
        now = int(time.time())
        self.token = pyjwt.encode({"iss": "https://idp.example.com", "aud": "api://gateway",
                                   "sub": "bench", "iat": now, "exp": now + 86400},
                                  key, algorithm="RS256", headers={"kid": "bench"})

    def start_nginx(self):
        conf = self.work / "nginx.conf"
        conf.write_text(f"""user root;
worker_processes 1;
pid {self.work}/nginx.pid;
error_log {self.work}/nginx-error.log warn;
events {{ worker_connections 20000; }}
worker_rlimit_nofile 20000;
http {{
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    server {{
        listen {UP}:{UPSTREAM} reuseport backlog=4096;
        root {self.work}/www;
    }}
}}
""")
        self.nginx = self.spawn(["nginx", "-c", str(conf), "-g", "daemon off;"], "nginx")

    # ---------------------------------------------------------------- the proxies

    def gateway_config(self, jwt, idle100k=False):
        cfg = {
            "appliance": {
                "interfaces": [{"name": "data0", "device": (
                    f"net_af_packet0,iface={GWIF}" if self.port_kind == "af_packet"
                    else f"net_tap0,iface={IFACE}"),
                                "address": f"{GW}/{PREFIX}", "gateway": PEER, "mtu": 1500}],
                "admin": {"interface": "data0", "port": ADMIN},
                "dataplane": {"mbufs": 65536, "workers": self.workers},
                "proxy": {"staticUpstream": {"address": UP, "port": UPSTREAM}},
            },
            "virtualGateway": {"virtualGatewayName": "bench", "spec": {"listeners": [{
                "portMapping": {"port": GW_TLS, "protocol": "http"},
                "tls": {"mode": "STRICT", "certificate": {"file": {
                    "certificateChain": str(self.pki / "ec.crt"),
                    "privateKey": str(self.pki / "ec.key")}}}}]}},
        }
        if idle100k:
            # Opening 100,000 connections takes minutes here (over 300 s, the most a request
            # head may take): each connection makes one request first and then idles as a
            # keep-alive connection, closed only after idleTimeoutMs (the most: one hour).
            cfg["appliance"]["proxy"]["idleTimeoutMs"] = 3600000
        if jwt:
            # A requirement attaches to a gateway route: the JWT run routes everything through
            # gateway route "api" to virtual node "web" (the same upstream), and checks there.
            del cfg["appliance"]["proxy"]["staticUpstream"]
            cfg["appliance"]["endpoints"] = {"web": [{"address": UP, "port": UPSTREAM}]}
            cfg["appliance"]["jwt"] = {"providers": {"idp": {
                "issuer": "https://idp.example.com", "audiences": ["api://gateway"],
                "jwks": {"file": str(self.work / "jwks.json")},
                "claimToHeaders": [{"headerName": "x-jwt-sub", "claimName": "sub"}]}},
                "routes": {"api": {"providers": ["idp"]}}}
            cfg["gatewayRoutes"] = [{"gatewayRouteName": "api", "spec": {"httpRoute": {
                "match": {"prefix": "/"},
                "action": {"target": {"virtualService": {"virtualServiceName": "web.local"}}}}}}]
            cfg["virtualServices"] = [{"virtualServiceName": "web.local", "spec": {
                "provider": {"virtualNode": {"virtualNodeName": "web"}}}}]
            cfg["virtualNodes"] = [{"virtualNodeName": "web", "spec": {"listeners": [
                {"portMapping": {"port": UPSTREAM, "protocol": "http"}}]}}]
        return cfg

    def start_gateway(self, jwt=False, idle100k=False):
        path = self.work / f"gateway{'-jwt' if jwt else ''}{'-idle100k' if idle100k else ''}.json"
        path.write_text(json.dumps(self.gateway_config(jwt, idle100k), indent=1))
        chk = subprocess.run([self.args.gateway, "--check", str(path)],
                             capture_output=True, text=True)
        if chk.returncode != 0:
            return None, chk.stdout + chk.stderr
        if self.port_kind == "af_packet":
            # A veth pair: the kernel end gets the peer address; checksum offloads off on both
            # ends (af_packet hands the gateway the frames as the kernel queued them).
            ns = ["ip", "-n", self.ns]
            subprocess.run([*ns, "link", "add", IFACE, "type", "veth", "peer", "name", GWIF],
                           check=True)
            for dev in (IFACE, GWIF):
                subprocess.run(["ip", "netns", "exec", self.ns, "ethtool", "-K", dev, "tx", "off",
                                "rx", "off", "tso", "off", "gso", "off", "gro", "off"],
                               capture_output=True)
                subprocess.run([*ns, "link", "set", dev, "up"], check=True)
        # Several workers: one CPU each (worker k on the k-th CPU the process may use).
        cpus = PROXY_CPU if self.workers == 1 else ",".join(
            str(c) for c in range(min(self.workers, os.cpu_count())))
        p = self.spawn([self.args.gateway, "--config", str(path)], "gateway", cpu=cpus)
        self.proxy_pid = p.pid
        deadline = time.monotonic() + 30
        while subprocess.run(["ip", "-n", self.ns, "link", "show", IFACE],
                             capture_output=True).returncode != 0:
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gateway TAP did not appear: see gateway.log")
            time.sleep(0.05)
        subprocess.run(["ip", "-n", self.ns, "addr", "add", f"{PEER}/{PREFIX}", "dev", IFACE],
                       check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", IFACE, "up"], check=True)
        # GET /ready answers 200 "ready" once every worker is up (503 "waiting: ..." before).
        while self.curl(f"http://{GW}:{ADMIN}/ready", 1)[1].strip() != "ready":
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gateway not ready: see gateway.log")
            time.sleep(0.1)
        if not hasattr(self, "nginx"):
            self.start_nginx()
            time.sleep(0.5)
        return p, ""

    def start_haproxy(self, jwt=False):
        rules = ""
        if jwt:
            rules = f"""
    http-request set-var(txn.bearer) http_auth_bearer
    http-request deny status 401 unless {{ var(txn.bearer) -m found }}
    http-request set-var(txn.jwt_alg) var(txn.bearer),jwt_header_query('$.alg')
    http-request deny status 401 unless {{ var(txn.jwt_alg) -m str RS256 }}
    http-request deny status 401 unless {{ var(txn.bearer),jwt_verify(txn.jwt_alg,"{self.work}/jwt.pub") -m int 1 }}
    http-request set-var(txn.iss) var(txn.bearer),jwt_payload_query('$.iss')
    http-request set-var(txn.aud) var(txn.bearer),jwt_payload_query('$.aud')
    http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('$.exp','int')
    http-request set-var(txn.now) date()
    http-request deny status 401 unless {{ var(txn.iss) -m str https://idp.example.com }}
    http-request deny status 403 unless {{ var(txn.aud) -m sub api://gateway }}
    http-request deny status 401 if {{ var(txn.exp),add(60),sub(txn.now) -m int lt 0 }}
    http-request set-header x-jwt-sub %[var(txn.bearer),jwt_payload_query('$.sub')]
"""
        conf = self.work / f"haproxy{'-jwt' if jwt else ''}.cfg"
        conf.write_text(f"""global
    nbthread 1
    maxconn 9980
    ulimit-n 20000
    ssl-default-bind-options ssl-min-ver TLSv1.2
    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
    stats socket {self.work}/haproxy.sock
defaults
    mode http
    maxconn 9980
    timeout connect 5s
    timeout client 300s
    timeout server 15s
    timeout http-keep-alive 300s
frontend vgw_https
    bind {UP}:{HAP_TLS} ssl crt {self.pki}/ec.pem alpn http/1.1
{rules}    default_backend vs_default
backend vs_default
    http-reuse always
    server d1 {UP}:{UPSTREAM}
""")
        if not hasattr(self, "nginx"):
            self.start_nginx()
            time.sleep(0.5)
        p = self.spawn(["haproxy", "-db", "-f", str(conf)], "haproxy", cpu=PROXY_CPU)
        self.proxy_pid = p.pid
        deadline = time.monotonic() + 10
        while self.nsrun(["bash", "-c", f"exec 3<>/dev/tcp/{UP}/{HAP_TLS}"], 5,
                         check=False).returncode != 0:
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("haproxy did not start: see haproxy.log")
            time.sleep(0.1)
        return p

    # ---------------------------------------------------------------- CPU accounting

    def gw_cpu(self):
        """Busy seconds of the gateway's worker (its own accounting)."""
        rc, out = self.curl(f"http://{GW}:{ADMIN}/stats")
        if rc != 0:
            raise RuntimeError("GET /stats failed")
        s = json.loads(out)
        w = s["worker"]
        self.last_stats = s
        if "workers" in s:  # several workers: /stats lists each one's loop counters
            return sum(x["busy_cycles"] for x in s["workers"]) / w["tsc_hz"]
        return w["busy_cycles"] / w["tsc_hz"]

    def tls_mem(self):
        """Bytes mbedTLS holds in the gateway (its capped allocator's count)."""
        self.gw_cpu()
        return self.last_stats["tls"]["mem_in_use"]

    @staticmethod
    def proc_cpu(pid):
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def proc_times(pid):
        """(user, system) CPU seconds of <pid>."""
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        hz = os.sysconf("SC_CLK_TCK")
        return int(f[11]) / hz, int(f[12]) / hz

    @staticmethod
    def loop_cycles(s):
        """(busy, idle) cycles of all workers' loops in a /stats snapshot."""
        ws = s.get("workers") or [s["worker"]]
        return sum(w["busy_cycles"] for w in ws), sum(w["idle_cycles"] for w in ws)

    @classmethod
    def tree_times(cls, pid):
        """(user, system) CPU seconds of <pid> and its children (several workers: the
        gateway's first process only supervises its worker processes)."""
        u, k = cls.proc_times(pid)
        try:
            kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            kids = []
        for c in kids:
            try:
                cu, ck = cls.proc_times(int(c))
            except OSError:
                continue
            u, k = u + cu, k + ck
        return u, k

    @staticmethod
    def rss_kib(pid):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    # ---------------------------------------------------------------- phases

    def h2load(self, port, extra, headers=(), tag="run"):
        logf = self.work / f"h2load-{tag}.log"
        argv = ["h2load", "--h1", f"--connect-to={UP if port == HAP_TLS else GW}:{port}",
                f"--log-file={logf}", *extra]
        for h in headers:
            argv += ["-H", h]
        argv.append(f"https://{HOST}:{port}/small.txt")
        p = self.nsrun(argv, 600)
        m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                      r"(\d+) failed, (\d+) errored", p.stdout)
        st = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", p.stdout)
        rps = re.search(r"finished in ([\d.]+)s, ([\d.]+) req/s", p.stdout)
        lat = []
        if logf.exists():
            for line in logf.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 3 and parts[1] == "200":
                    lat.append(int(parts[2]))
            logf.unlink()
        lat.sort()

        def pct(q):
            return lat[min(len(lat) - 1, int(q * len(lat)))] / 1000.0 if lat else None
        return {"done": int(m.group(3)) if m else 0, "succeeded": int(m.group(4)) if m else 0,
                "2xx": int(st.group(1)) if st else 0, "rps": float(rps.group(2)) if rps else 0,
                "p50_ms": pct(0.50), "p99_ms": pct(0.99), "raw": p.stdout[-1500:]}

    @staticmethod
    def safe(res, key, fn):
        """res[key] = fn(), or {"error": why}: one failed phase does not lose the others."""
        try:
            res[key] = fn()
        except Exception as e:  # noqa: BLE001 (reported in the results)
            log(f"{key}: {e!r}")
            res[key] = {"error": repr(e)[-600:]}

    def measure(self, name, cpu_fn, fn):
        """fn()'s result plus the proxy's CPU over it: cpu_s from <cpu_fn>; for the gateway
        also cpu_got_s (the CPU time the kernel gave its process) and busy_share.  Busy
        cycles are wall-clock (TSC): on a shared machine a busy iteration preempted by
        another process counts that process's time too, which HAProxy's CPU time does not
        (cpu_got_s well below the phase's length shows it happened)."""
        pid = getattr(self, "proxy_pid", None)
        t0 = self.tree_times(pid) if pid else (0, 0)
        c0 = cpu_fn()
        w0 = self.loop_cycles(self.last_stats) if cpu_fn == self.gw_cpu else None
        p0 = self.port_packets(self.last_stats) if w0 is not None else None
        m0 = time.monotonic()
        r = fn()
        c1 = cpu_fn()
        t1 = self.tree_times(pid) if pid else (0, 0)
        r["cpu_s"] = c1 - c0
        if w0 is not None:
            w1 = self.loop_cycles(self.last_stats)
            busy = w1[0] - w0[0]
            idle = w1[1] - w0[1]
            r["busy_share"] = busy / max(1, busy + idle)
            r["wall_s"] = time.monotonic() - m0
            r["loop_s"] = (busy + idle) / self.last_stats["worker"]["tsc_hz"]
            r["cpu_got_s"] = (t1[0] - t0[0]) + (t1[1] - t0[1])
            p1 = self.port_packets(self.last_stats)
            r["port_rx_packets"], r["port_tx_packets"] = p1[0] - p0[0], p1[1] - p0[1]
            # Busy time spent inside the PMD's transmit calls: for net_af_packet the
            # kernel's sendto(), which here also delivers each frame through the veth into
            # the peer's TCP stack (work a real NIC's peer does on its own machine).
            hz = self.last_stats["worker"]["tsc_hz"]
            r["port_tx_s"] = (p1[2] - p0[2]) / hz
            # ... and processing what arrived: lwIP, TLS, HTTP, routing (the PMD's receive,
            # timers and the loop itself are the rest of the busy time).
            r["port_rx_s"] = (p1[3] - p0[3]) / hz
        return r

    @staticmethod
    def port_packets(s):
        """(received, sent) packets of the gateway's ports in a /stats snapshot: with the
        requests or handshakes of a phase, how many packets each one costs."""
        ports = s.get("ports") or []
        return (sum(p.get("rx_packets", 0) for p in ports),
                sum(p.get("tx_packets", 0) for p in ports),
                sum(p.get("tx_cycles", 0) for p in ports),
                sum(p.get("rx_cycles", 0) for p in ports))

    def phase_keepalive(self, who, port, cpu_fn, tag, headers=()):
        conns, per = (10, 200) if self.quick else (20, 250)
        secs = 5 if self.quick else 20
        # warm up (the upstream pool, caches)
        self.h2load(port, ["-c", str(conns), "-n", "2000"], headers, tag + "-warm")
        perf = self.perf_start(tag, secs)
        k0 = self.proc_times(self.proxy_pid)
        r = self.measure(who, cpu_fn, lambda: self.h2load(
            port, ["-c", str(conns), f"--rps={per}", "-D", str(secs)], headers, tag))
        k1 = self.proc_times(self.proxy_pid)
        r["utime_s"], r["stime_s"] = k1[0] - k0[0], k1[1] - k0[1]
        # utime/stime are kept for analysis only: the gateway's kernel time (TAP system
        # calls, SIGIO) also lands in idle iterations, so it cannot be split off busy cycles.
        if perf is not None:
            perf.wait(timeout=60)
        r["offered_rps"] = conns * per
        r["cpu_us_per_req"] = r["cpu_s"] / max(1, r["2xx"]) * 1e6
        if "port_tx_s" in r:
            r["tx_us_per_req"] = r["port_tx_s"] / max(1, r["2xx"]) * 1e6
            r["rx_us_per_req"] = r["port_rx_s"] / max(1, r["2xx"]) * 1e6
        return r

    def perf_start(self, tag, secs):
        """A CPU profile of the proxy for <secs> s (BENCH_PERF=1 or dwarf), or None; perf's
        cpu-clock event: hardware counters are not available in these VMs."""
        if not os.environ.get("BENCH_PERF") or not getattr(self, "proxy_pid", None):
            return None
        cg = ["--call-graph", "dwarf,8192"] if os.environ["BENCH_PERF"] == "dwarf" else ["-g"]
        return subprocess.Popen(["perf", "record", "-e", "cpu-clock", *cg, "-p",
                                 str(self.proxy_pid), "-o", str(self.work / f"perf-{tag}.data"),
                                 "--", "sleep", str(secs)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def phase_saturation(self, port, cpu_fn, tag):
        secs = 5 if self.quick else 15
        r = self.measure(None, cpu_fn, lambda: self.h2load(
            port, ["-c", "64", "-D", str(secs)], (), tag))
        r["cpu_us_per_req"] = r["cpu_s"] / max(1, r["2xx"]) * 1e6
        return r

    def hs_loop(self, host, port, mode, secs):
        argv = ["/usr/bin/python3", str(TOP / "tools/bench/hs_loop.py"), host, str(port),
                str(secs), mode, str(self.pki / "ca.crt"), HOST]
        procs = [subprocess.Popen(["ip", "netns", "exec", self.ns, "taskset", "-c", CLIENT_CPU,
                                   *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, start_new_session=True) for _ in range(3)]
        r = {"connections": 0, "resumed": 0, "errors": 0}
        for p in procs:
            try:
                out, _ = p.communicate(timeout=secs + 30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                out, _ = p.communicate()
                r["errors"] += 1
            m = re.search(r"connections (\d+) resumed (\d+) errors (\d+)", out)
            if m:
                r["connections"] += int(m.group(1))
                r["resumed"] += int(m.group(2))
                r["errors"] += int(m.group(3))
        return r

    def phase_handshake(self, host, port, cpu_fn, mode):
        secs = 5 if self.quick else 15
        perf = self.perf_start(f"hs-{mode}-{port}", secs)
        r = self.measure(None, cpu_fn, lambda: self.hs_loop(host, port, mode, secs))
        if perf is not None:
            perf.wait(timeout=60)
        r["cpu_us_per_hs"] = r["cpu_s"] / max(1, r["connections"]) * 1e6
        if "port_tx_s" in r:
            r["tx_us_per_hs"] = r["port_tx_s"] / max(1, r["connections"]) * 1e6
            r["rx_us_per_hs"] = r["port_rx_s"] / max(1, r["connections"]) * 1e6
        r["hs_per_core_s"] = 1e6 / r["cpu_us_per_hs"] if r["cpu_us_per_hs"] > 0 else 0
        return r

    def phase_idle(self, host, port, pid):
        n = 2000 if self.quick else 9900  # HAProxy: maxconn 9980 fits the hard FD limit (20,000)
        holder = TOP / "tools/bench/hold_tls.py"
        gw = host == GW
        tls0 = self.tls_mem() if gw else 0
        before = self.rss_kib(pid)
        p = subprocess.Popen(["ip", "netns", "exec", self.ns, "taskset", "-c", CLIENT_CPU,
                              "/usr/bin/python3", str(holder), host, str(port), str(n),
                              str(self.pki / "ca.crt"), HOST], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        line = p.stdout.readline().strip()
        time.sleep(3)  # the gateway releases idle connections' buffers within 2 s
        after = self.rss_kib(pid)
        tls1 = self.tls_mem() if gw else 0
        p.stdin = None
        os.killpg(p.pid, signal.SIGTERM)
        err = p.communicate(timeout=30)[1]
        m = re.match(r"open (\d+)", line)
        opened = int(m.group(1)) if m else 0
        if opened == 0:
            return {"error": f"holder: {line} {err[-500:]}"}
        r = {"connections": opened, "rss_before_kib": before, "rss_after_kib": after,
             "bytes_per_conn": (after - before) * 1024 / opened}
        if gw:
            # What mbedTLS holds (the allocator's count): RSS can be lower on a fresh heap,
            # where calloc() leaves untouched pages of the 16 KiB input buffers unmapped;
            # once the heap has been churned those pages are resident too.
            r["tls_alloc_bytes_per_conn"] = (tls1 - tls0) / opened
        return r

    def phase_workers(self):
        """Saturation with 1 and 2 workers (Meshgate only, TAP port)."""
        secs = 5 if self.quick else 15
        res = {}
        saved = self.port_kind
        try:
            for n in (1, 2):
                self.port_kind, self.workers = "tap", n
                proc, why = self.start_gateway()
                if proc is None:
                    raise RuntimeError(f"gateway --check refused workers={n}: {why}")
                try:
                    self.h2load(GW_TLS, ["-c", "64", "-n", "2000"], (), f"workers{n}-warm")
                    if os.environ.get("BENCH_DEBUG"):
                        for cmd in (["ip", "-d", "link", "show", IFACE],
                                    ["tc", "-s", "qdisc", "show", "dev", IFACE]):
                            log(self.nsrun(cmd, 10, check=False).stdout)
                        log(self.curl(f"http://{GW}:{ADMIN}/ready")[1])
                    self.gw_cpu()
                    s0 = self.last_stats
                    r = self.measure(None, self.gw_cpu, lambda: self.h2load(
                        GW_TLS, ["-c", "64", "-D", str(secs)], (), f"workers{n}"))
                    s1 = self.last_stats
                    per0 = {w["index"]: w["requests"] for w in s0.get("workers", [s0["worker"]])}
                    per1 = {w["index"]: w["requests"] for w in s1.get("workers", [s1["worker"]])}
                    r["requests_per_worker"] = {k: per1[k] - per0.get(k, 0) for k in sorted(per1)}
                    r["cpu_us_per_req"] = r["cpu_s"] / max(1, r["2xx"]) * 1e6
                    # Packets the kernel queued to each TAP queue (= worker), from its qdiscs.
                    q = self.nsrun(["tc", "-s", "qdisc", "show", "dev", IFACE], 10, check=False)
                    r["tap_queue_packets"] = re.findall(
                        r"parent :(\d+) .*\n\s*Sent \d+ bytes (\d+) pkt", q.stdout)
                    r.pop("raw", None)
                    res[str(n)] = r
                    log(f"meshgate: {n} worker(s): {r['rps']:.0f} req/s, "
                        f"{r['cpu_us_per_req']:.1f} µs busy per request, per worker "
                        f"{r['requests_per_worker']}")
                finally:
                    self.stop(proc)
                    time.sleep(0.5)
                    subprocess.run(["ip", "-n", self.ns, "link", "del", IFACE],
                                   capture_output=True)
        finally:
            self.port_kind, self.workers = saved, 1
        if res.get("1", {}).get("rps") and res.get("2", {}).get("rps"):
            res["scaling_2_over_1"] = round(res["2"]["rps"] / res["1"]["rps"], 2)
        return res
    def phase_idle100k(self, pid, n=100000):
        """<n> idle TLS connections on the gateway's one worker, from five source addresses
        (one address has fewer than 64k ports)."""
        # Six holder processes (the hard limit on open files here is 20,000 per process), each
        # with its own source address (the kernel's ephemeral range per address is < 64k).
        k = max(1, (n + 17999) // 18000)
        srcs = [f"10.99.0.{11 + i}" for i in range(k)]
        for a in srcs:
            subprocess.run(["ip", "-n", self.ns, "addr", "add", f"{a}/{PREFIX}", "dev", IFACE],
                           check=True)
        self.nsrun(["sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000"], 10)
        self.gw_cpu()
        s0 = self.last_stats
        tls0, before = s0["tls"]["mem_in_use"], self.rss_kib(pid)
        holder = TOP / "tools/bench/hold_tls.py"
        errf = open(self.work / "hold100k.log", "w")
        t0 = time.monotonic()
        procs = []
        for i, a in enumerate(srcs):
            procs.append(subprocess.Popen(
                ["ip", "netns", "exec", self.ns, "taskset", "-c", CLIENT_CPU,
                 "/usr/bin/python3", str(holder), GW, str(GW_TLS),
                 str(n // k + (1 if i < n % k else 0)), str(self.pki / "ca.crt"), HOST, a,
                 "request"],
                stdout=subprocess.PIPE, stderr=errf, text=True, start_new_session=True))
        # Bounded: every connect has 30 s in the holder; the whole run 30 minutes.
        killer = subprocess.Popen(["sleep", "1800"])
        opened = herrors = 0
        lines = []
        try:
            for p in procs:
                line = ""
                while not line and p.poll() is None and killer.poll() is None:
                    line = p.stdout.readline().strip()
                lines.append(line)
                m = re.match(r"open (\d+) errors (\d+)", line)
                if m:
                    opened += int(m.group(1))
                    herrors += int(m.group(2))
            open_s = time.monotonic() - t0
            time.sleep(5)  # the gateway releases idle connections' buffers within 2 s
            after = self.rss_kib(pid)
            c0 = self.gw_cpu()
            s1 = self.last_stats
            time.sleep(10)
            c1 = self.gw_cpu()
            holder_kib = sum(self.rss_kib(p.pid) for p in procs if p.poll() is None)
        finally:
            killer.kill()
            for p in procs:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            for p in procs:
                try:
                    p.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            errf.close()
        if opened == 0:
            return {"error": f"holders: {lines} (see {self.work / 'hold100k.log'})"}
        pools = {k: v["in_use"] for k, v in s1.get("pools", {}).items()}
        return {"connections": opened, "holder_errors": herrors, "holders": k,
                "open_seconds": round(open_s, 1),
                "gateway_conns_open": s1["conns"]["open"], "conns": s1["conns"], "tcp": s1["tcp"],
                "rss_before_kib": before, "rss_after_kib": after,
                "bytes_per_conn": (after - before) * 1024 / opened,
                "tls_alloc_bytes_per_conn": (s1["tls"]["mem_in_use"] - tls0) / opened,
                "tls": s1["tls"], "pools_in_use": pools,
                "idle_busy_share": (c1 - c0) / 10.0, "client_rss_kib": holder_kib}

    def run_idle100k(self):
        proc, why = self.start_gateway(idle100k=True)
        if proc is None:
            raise RuntimeError(f"gateway --check refused the bench config: {why}")
        try:
            log("meshgate: 100,000 idle TLS connections")
            self.safe(self.results["meshgate"], "idle100k",
                      lambda: self.phase_idle100k(proc.pid, int(os.environ.get("BENCH_IDLE_N", "100000"))))
        finally:
            self.stop(proc)
            subprocess.run(["ip", "-n", self.ns, "link", "del", IFACE], capture_output=True)

    # ---------------------------------------------------------------- the run

    def run_phases(self, who, only):
        res = self.results[who]
        if who == "meshgate" and "workers" in only:
            log("meshgate: saturation with 1 and 2 workers (TAP)")
            self.safe(res, "workers", self.phase_workers)
        if only <= {"workers"}:
            return
        if who == "meshgate":
            proc, why = self.start_gateway()
            if proc is None:
                raise RuntimeError(f"gateway --check refused the bench config: {why}")
            cpu_fn = self.gw_cpu
            port, host = GW_TLS, GW
        else:
            proc = self.start_haproxy()
            cpu_fn = lambda: self.proc_cpu(proc.pid)  # noqa: E731
            port, host = HAP_TLS, UP
        try:
            if "keepalive" in only:
                log(f"{who}: keep-alive at a fixed rate")
                self.safe(res, "keepalive", lambda: self.phase_keepalive(who, port, cpu_fn, f"{who}-ka"))
            if "saturation" in only:
                log(f"{who}: saturation")
                self.safe(res, "saturation", lambda: self.phase_saturation(port, cpu_fn, f"{who}-sat"))
            if "handshake" in only:
                log(f"{who}: full handshakes")
                self.safe(res, "full_hs", lambda: self.phase_handshake(host, port, cpu_fn, "full"))
                log(f"{who}: resumed handshakes")
                self.safe(res, "resumed_hs", lambda: self.phase_handshake(host, port, cpu_fn, "resume"))
                if who == "meshgate":
                    res["tls_stats"] = getattr(self, "last_stats", {}).get("tls")
            if "idle" in only:
                log(f"{who}: idle connections")
                self.safe(res, "idle", lambda: self.phase_idle(host, port, proc.pid))
        finally:
            self.stop(proc)
            time.sleep(0.5)
            if who == "meshgate":
                subprocess.run(["ip", "-n", self.ns, "link", "del", IFACE], capture_output=True)
        if "jwt" in only:
            log(f"{who}: keep-alive with an RS256 JWT check")
            hdr = [f"authorization: Bearer {self.token}"]
            if who == "meshgate":
                proc, why = self.start_gateway(jwt=True)
                if proc is None:
                    res["jwt"] = {"skipped": "gateway --check refuses appliance.jwt for the "
                                  "static upstream: " + why.strip()[-300:]}
                    return
                cpu_fn = self.gw_cpu
            else:
                proc = self.start_haproxy(jwt=True)
                cpu_fn = lambda: self.proc_cpu(proc.pid)  # noqa: E731
            try:
                probe = self.h2load(port, ["-c", "1", "-n", "1"], (), f"{who}-noauth")
                if probe["2xx"] > 0:
                    res["jwt"] = {"skipped": "the gateway answers 200 without a token: the "
                                  "JWT check is not enforced on this path"}
                else:
                    self.safe(res, "jwt", lambda: self.phase_keepalive(who, port, cpu_fn, f"{who}-jwt", hdr))
            finally:
                self.stop(proc)
                time.sleep(0.5)
                if who == "meshgate":
                    subprocess.run(["ip", "-n", self.ns, "link", "del", IFACE],
                                   capture_output=True)

    def teardown(self):
        for p in self.procs:
            self.stop(p, 5)
        r = subprocess.run(["ip", "netns", "pids", self.ns], capture_output=True, text=True)
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "delete", self.ns], capture_output=True)


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def report(res, out, quick, machine, rounds=None):
    """The table of ratios.  With several rounds (<rounds>: each round's results, both proxies
    measured in each), every row shows the round with the median ratio and the range of the
    ratios over all rounds."""
    rounds = rounds or [res]
    m = res["meshgate"]
    rows = []

    def g(d, *keys):
        for k in keys:
            if not isinstance(d, dict) or k not in d:
                return None
            d = d[k]
        return d

    def row(name, mkeys, hkeys, unit, target, better):
        got = []
        for rr in rounds:
            mv, hv = g(rr["meshgate"], *mkeys), g(rr["haproxy"], *hkeys)
            got.append((ratio(mv, hv), mv, hv))
        have = sorted((x for x in got if x[0] is not None), key=lambda x: x[0])
        if have:
            r, mv, hv = have[(len(have) - 1) // 2] if better == "higher" else have[len(have) // 2]
        else:
            r, mv, hv = None, got[0][1], got[0][2]
        ok = None
        if r is not None and target is not None:
            ok = r <= target if better == "lower" else r >= target
        rows.append({"metric": name, "meshgate": mv, "haproxy": hv, "unit": unit, "ratio": r,
                     "target": target, "better": better, "met": ok,
                     "ratios": [x[0] for x in got]})
    row("CPU per keep-alive request", ("keepalive", "cpu_us_per_req"),
        ("keepalive", "cpu_us_per_req"), "µs", 0.5, "lower")
    row("CPU per keep-alive request, RS256 JWT", ("jwt", "cpu_us_per_req"),
        ("jwt", "cpu_us_per_req"), "µs", 0.3, "lower")
    row("p50 latency at fixed rate", ("keepalive", "p50_ms"), ("keepalive", "p50_ms"),
        "ms", 1.0, "lower")
    row("p99 latency at fixed rate", ("keepalive", "p99_ms"), ("keepalive", "p99_ms"),
        "ms", 1.0, "lower")
    row("p99 latency at fixed rate, JWT", ("jwt", "p99_ms"), ("jwt", "p99_ms"),
        "ms", 1.0, "lower")
    row("throughput at saturation, one core", ("saturation", "rps"),
        ("saturation", "rps"), "req/s", None, "higher")
    row("full TLS 1.3 handshakes per core", ("full_hs", "hs_per_core_s"),
        ("full_hs", "hs_per_core_s"), "/s", 1.5, "higher")
    row("resumed TLS 1.3 handshakes per core", ("resumed_hs", "hs_per_core_s"),
        ("resumed_hs", "hs_per_core_s"), "/s", 2.0, "higher")
    row("memory per idle TLS connection", ("idle", "bytes_per_conn"),
        ("idle", "bytes_per_conn"), "bytes", 1.0, "lower")
    row("  Meshgate: bytes mbedTLS holds per idle conn.", ("idle", "tls_alloc_bytes_per_conn"),
        ("idle", "bytes_per_conn"), "bytes", 1.0, "lower")
    res["table"] = rows
    res["machine"] = machine
    res["quick"] = quick
    res["rounds"] = len(rounds)
    if len(rounds) > 1:  # rounds[0] is <res> itself
        res["other_rounds"] = [{w: rr[w] for w in ("meshgate", "haproxy")} for rr in rounds[1:]]

    def fmt(v):
        if v is None:
            return "—"
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
    multi = len(rounds) > 1
    lines = [f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
             f"{' (BENCH_QUICK)' if quick else ''} on {machine}"
             + (f"; {len(rounds)} rounds, each proxy measured in each (the round with the "
                "median ratio shown)" if multi else ""), "",
             "| metric | Meshgate | HAProxy 2.6 | unit | ratio M/H | target | met |"
             + (" ratios, all rounds |" if multi else ""),
             "|---|---|---|---|---|---|---|" + ("---|" if multi else "")]
    for r in rows:
        t = "—" if r["target"] is None else ("≤ " if r["better"] == "lower" else "≥ ") + \
            f"{r['target']}"
        met = "—" if r["met"] is None else ("yes" if r["met"] else "**no**")
        extra = (" " + ", ".join(fmt(x) for x in r["ratios"]) + " |") if multi else ""
        lines.append(f"| {r['metric']} | {fmt(r['meshgate'])} | {fmt(r['haproxy'])} | "
                     f"{r['unit']} | {fmt(r['ratio'])} | {t} | {met} |{extra}")
    wk = m.get("workers") if isinstance(m.get("workers"), dict) else None
    if wk and "1" in wk and "2" in wk:
        lines += ["", "Meshgate with 1 and 2 shared-nothing workers (TAP port, saturation, "
                  "64 keep-alive HTTPS connections; 2 CPUs shared by the workers, h2load and "
                  "nginx):", "",
                  "| workers | req/s | busy µs per request (all workers) | requests per worker |",
                  "|---|---|---|---|"]
        for n in ("1", "2"):
            w = wk[n]
            lines.append(f"| {n} | {fmt(w.get('rps'))} | {fmt(w.get('cpu_us_per_req'))} | "
                         f"{w.get('requests_per_worker')} |")
        lines.append(f"\nscaling 2 workers / 1 worker: {wk.get('scaling_2_over_1')}")
    for who in ("meshgate", "haproxy"):
        for k, v in res[who].items():
            if isinstance(v, dict) and "skipped" in v:
                lines.append(f"\n{who} {k}: skipped: {v['skipped']}")
            if isinstance(v, dict) and "error" in v:
                lines.append(f"\n{who} {k}: error: {v['error']}")
    (out / "results.md").write_text("\n".join(lines) + "\n")
    (out / "results.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    # The chart: ratios against their targets (log scale).
    dat = ["# metric ratio target"]
    for i, r in enumerate(rows):
        if r["ratio"] is not None:
            label = r["metric"].replace(" ", "_")
            dat.append(f"{i} \"{label}\" {r['ratio']} {r['target'] or 'NaN'}")
    (out / "chart.dat").write_text("\n".join(dat) + "\n")
    gp = f"""set terminal pngcairo size 1100,560 font ",9"
set rmargin 14
set output "{out}/chart.png"
set title "Meshgate / HAProxy 2.6 (same machine, same run); bars: ratio, points: target"
set style fill solid 0.6
set boxwidth 0.6
set logscale y 2
set yrange [0.05:8]
set ylabel "ratio Meshgate / HAProxy"
set xtics rotate by -25 noenhanced
set grid ytics
plot "{out}/chart.dat" using 1:3:xtic(2) with boxes title "ratio", \\
     "" using 1:4 with points pt 7 ps 1.5 title "target", 1 with lines dt 2 lc rgb "gray" title "parity"
"""
    if shutil.which("gnuplot"):
        r = subprocess.run(["gnuplot"], input=gp, text=True, capture_output=True)
        if r.returncode != 0:
            gp = gp.replace("pngcairo", "png")
            subprocess.run(["gnuplot"], input=gp, text=True, capture_output=True)
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--out", default=str(TOP / "docs/perf"))
    ap.add_argument("--work", default=str(TOP / "build/bench"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="keepalive,jwt,saturation,handshake,idle,workers")
    ap.add_argument("--rounds", type=int, default=1,
                    help="measure both proxies this many times, alternating which goes first; "
                    "the table shows the median ratio and the range")
    args = ap.parse_args()
    only = set(args.only.split(","))
    # The workers and idle100k phases run Meshgate alone.
    need = ("nginx", "h2load", "openssl", "ip", "taskset", "curl") + \
        (() if only <= {"workers", "idle100k"} else ("haproxy",))
    missing = [c for c in need if shutil.which(c) is None]
    if os.geteuid() != 0:
        missing.append("root")
    if missing or not os.path.exists(args.gateway):
        print(f"SKIP bench: needs {', '.join(missing) or args.gateway}")
        return 77
    if os.cpu_count() < 2:
        print("SKIP bench: needs 2 CPUs (proxy on one, clients on the other)")
        return 77
    resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
    b = Bench(args)
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    machine = (f"{cpu}, {os.cpu_count()} CPUs, "
               f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') >> 30} GiB, "
               f"{subprocess.run(['uname', '-r'], capture_output=True, text=True).stdout.strip()}")
    if only == {"idle100k"}:
        try:
            b.setup()
            b.run_idle100k()
        finally:
            b.teardown()
        r = b.results["meshgate"].get("idle100k", {})
        r["machine"] = machine
        (b.out / "idle100k.json").write_text(json.dumps(r, indent=1, default=str) + "\n")
        lines = [f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine}", ""]
        if "error" in r:
            lines.append(f"idle100k: error: {r['error']}")
        else:
            lines += [
                "| idle TLS 1.3 connections, one worker | value |", "|---|---|",
                f"| connections held (client; gateway `conns.open`) | {r['connections']:,}; "
                f"{r['gateway_conns_open']:,} |",
                f"| time to open them | {r['open_seconds']} s |",
                f"| gateway RSS before → after | {r['rss_before_kib'] / 1024:,.0f} MiB → "
                f"{r['rss_after_kib'] / 1024:,.0f} MiB |",
                f"| RSS growth per connection | {r['bytes_per_conn']:,.0f} B |",
                f"| bytes mbedTLS holds per connection | {r['tls_alloc_bytes_per_conn']:,.0f} B |",
                f"| worker busy share while they sit idle (10 s) | "
                f"{r['idle_busy_share'] * 100:.2f} % |",
                f"| longest PCB hash chain seen | {r['tcp'].get('hash_max_chain')} |",
                f"| the client's RSS (Python, for scale) | {r['client_rss_kib'] / 1024:,.0f} MiB |"]
        (b.out / "idle100k.md").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
        return 0
    if "idle100k" in only:
        log("idle100k runs alone (BENCH_ONLY=idle100k): left out of this run")
        only.discard("idle100k")
    rounds = []
    try:
        b.setup()
        for n in range(max(1, args.rounds)):
            if n > 0:
                b.results = {"meshgate": {}, "haproxy": {}, "notes": b.results.get("notes", [])}
            # Alternate which proxy goes first, so a drift of the machine over the run does not
            # favour one; the workers phase (Meshgate alone) runs in the first round only.
            order = ("meshgate", "haproxy") if n % 2 == 0 else ("haproxy", "meshgate")
            ronly = only if n == 0 else only - {"workers"}
            if args.rounds > 1:
                log(f"round {n + 1} of {args.rounds}")
            for who in order:
                try:
                    b.run_phases(who, ronly)
                except Exception as e:  # noqa: BLE001 (reported; the other proxy still runs)
                    log(f"{who}: {e!r}")
                    b.results[who]["error"] = {"error": repr(e)[-600:]}
            rounds.append(b.results)
    finally:
        b.teardown()
    res = rounds[0]
    report(res, b.out, args.quick, machine, rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
