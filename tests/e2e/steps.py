"""Building blocks for declarative end-to-end cases (see harness.py).

A case is a Case(name, steps, config=..., start=..., needs=...).  A step is a
callable taking the harness Context; it raises CaseFailed when the gateway
does not behave as expected.  String arguments may hold placeholders that are
formatted at run time from the case's config: {gw} (gateway address), {peer}
(kernel side of the TAP), {admin}, {echo}, {discard} (ports), {unused} (an
address in the subnet nobody owns), {iface}, {logdir}.

Client scripts in clients/ follow one convention: exit status 0 iff every check
passed, human-readable progress on stdout, and a one-line summary as the last
line of stdout.
"""

import copy
import json
import re
import selectors
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

CLIENTS = Path(__file__).resolve().parent / "clients"
PYTHON = "/usr/bin/python3"


# The config every case starts from; a Case's `config` is deep-merged over it.
BASE_CONFIG = {
    "appliance": {
        "interfaces": [{
            "name": "data0",
            "device": "net_tap0,iface=mgt0",
            "address": "10.99.0.2/24",
            "gateway": "10.99.0.1",
            "mtu": 1500,
        }],
        "admin": {"interface": "data0", "port": 9901},
        "diagnostics": {"echoPort": 7, "discardPort": 9},
        "dataplane": {"mbufs": 16384},
    }
}


def deep_merge(base, over):
    """Return <base> with <over> merged in: dicts recursively, anything else replaced."""
    out = copy.deepcopy(base)
    for key, val in over.items():
        if isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], val)
        else:
            out[key] = copy.deepcopy(val)
    return out


class CaseFailed(Exception):
    """A case's expectation did not hold; the message says which and how."""


class CaseSkipped(Exception):
    """A step found that the case cannot run here (e.g. a feature the gateway does not have
    yet); the harness reports the case as SKIP with this message."""


@dataclass
class Case:
    name: str
    steps: list
    config: dict = field(default_factory=dict)  # deep-merged over BASE_CONFIG
    start: bool = True  # start the gateway and wait for /ready before the steps
    setup: list = field(default_factory=list)  # steps run before the gateway starts
    needs: tuple = ("curl",)  # commands that must exist, or the case is skipped
    bug: str = ""  # a known gateway bug this case shows: its FAIL line says so


class Step:
    """A named callable; <desc> appears in steps.log and in failure messages."""

    def __init__(self, desc, fn):
        self.desc, self.fn = desc, fn

    def __call__(self, ctx):
        self.fn(ctx, ctx.fmt(self.desc))


def fail(msg, output=""):
    out = output.strip()
    if out:
        msg += "\n      | " + "\n      | ".join(out.splitlines()[-8:])
    raise CaseFailed(msg)


# ---------------------------------------------------------------- commands

def sh(*argv, rc=0, stdout=None, within=None, timeout=30.0, desc=None):
    """Run argv in the namespace; expect exit status <rc> (None: any), stdout
    matching the regex <stdout>, and completion within <within> seconds."""
    desc = desc or " ".join(argv)

    def step(ctx, desc):
        got, out, err, took = ctx.run(list(argv), timeout)
        if rc is not None and got != rc:
            fail(f"{desc}: exit status {got}, expected {rc}", out + err)
        if stdout is not None and not re.search(stdout, out, re.M):
            fail(f"{desc}: output does not match /{stdout}/", out + err)
        if within is not None and took > within:
            fail(f"{desc}: took {took:.2f}s, expected at most {within:g}s")
    return Step(desc, step)


def ping(target, count, replies, within=None, size=None):
    """`ping -c <count> -W 1 [-s <size>] <target>` gets exactly <replies> replies,
    no duplicates."""
    desc = f"ping {target} x{count}{f' of {size} bytes' if size else ''} -> {replies} replies"
    extra = ["-s", str(size)] if size else []

    def step(ctx, desc):
        rc, out, err, took = ctx.run(["ping", "-n", "-c", str(count), "-W", "1", *extra, target],
                                     timeout=count * 2 + 10)
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        if not m:
            fail(f"{desc}: no ping summary", out + err)
        if int(m.group(2)) != replies or "duplicates" in out:
            fail(f"{desc}: {m.group(0)}", out + err)
        if within is not None and took > within:
            fail(f"{desc}: took {took:.2f}s, expected at most {within:g}s")
    return Step(desc, step)


def client(script, *args, timeout=60.0, note=False):
    """Run clients/<script> ARGS in the namespace; it must exit 0 within <timeout>.
    With <note>, its summary line is appended to the case's PASS line."""
    desc = f"{script} {' '.join(map(str, args))}"

    def step(ctx, desc):
        rc, out, err, _ = ctx.run([PYTHON, "-B", str(CLIENTS / script), *map(str, args)], timeout)
        if rc != 0:
            fail(f"{desc}: exit status {rc}", out + err)
        last = out.strip().splitlines()[-1] if out.strip() else ""
        ctx.log(f"{script}: {last}", echo=False)
        if note and last:
            ctx.notes.append(last)
    return Step(desc, step)


# ---------------------------------------------------------------- HTTP via curl

def curl(ctx, *curl_args, timeout=10.0):
    """Run curl in the namespace (5 s per transfer); returns (rc, stdout, stderr)."""
    rc, out, err, _ = ctx.run(["curl", "-sS", "--max-time", "5", *curl_args], timeout)
    return rc, out, err


def http(method, path, status, content_type=None, check_body=None):
    """One request on its own connection: expect <status>, optionally a
    Content-Type prefix, and check_body(body_bytes) returning an error or None."""
    desc = f"{method} {path} -> {status}"

    def step(ctx, desc):
        body = ctx.logdir / f"body-{method}-{path.strip('/').replace('/', '_') or 'root'}"
        verb = ["--data", ""] if method == "POST" else ["-X", method]  # POST with Content-Length: 0
        rc, out, err = curl(ctx, *verb, "-o", str(body),
                            "-w", "%{http_code} %{content_type}",
                            ctx.fmt("http://{gw}:{admin}") + path)
        code, _, ctype = out.partition(" ")
        if rc != 0 or code != str(status):
            fail(f"{desc}: got HTTP {code} (curl rc={rc})", err)
        if content_type and not ctype.startswith(content_type):
            fail(f"{desc}: Content-Type {ctype!r}, expected {content_type}")
        if check_body:
            problem = check_body(body.read_bytes())
            if problem:
                fail(f"{desc}: {problem}")
    return Step(desc, step)


def http_reuse(path, n, status=200, close=False):
    """curl <path> <n> times in one invocation: every reply is <status>, and the
    requests share one connection (keep-alive) or, with <close> (sending
    `Connection: close`), each opens its own."""
    desc = f"{n} x GET {path} {'with Connection: close' if close else 'keep-alive'}"

    def step(ctx, desc):
        url = ctx.fmt("http://{gw}:{admin}") + path
        extra = ["-H", "Connection: close"] if close else []
        rc, out, err = curl(ctx, *extra, "-w", "%{http_code} %{num_connects}\\n",
                            *(["-o", "/dev/null"] * n), *([url] * n))
        lines = out.split()
        got = [tuple(lines[i:i + 2]) for i in range(0, len(lines), 2)]
        want = [(str(status), "1" if close or i == 0 else "0") for i in range(n)]
        if rc != 0 or got != want:
            fail(f"{desc}: got (status, new connections) {got}, expected {want} "
                 f"(curl rc={rc})", err)
    return Step(desc, step)


# ---------------------------------------------------------------- /stats

# Every key GET /stats must carry, by section ("ports" is a list of such objects).
STATS_KEYS = {
    "ports": ("name", "port", "rx_packets", "tx_packets", "rx_bytes", "tx_bytes",
              "rx_missed", "rx_errors", "tx_errors", "rx_nombuf"),
    "mempool": ("size", "in_use", "available"),
    "pbuf": ("rx_zero_copy_in_use", "pool_used", "ref_used", "heap_used_bytes"),
    "tcp": ("pcb_used", "listen_pcb_used", "seg_used", "active", "listen", "time_wait"),
    "worker": ("loops", "busy_cycles", "idle_cycles", "tsc_hz"),
}


def stats_problem(body):
    """Why <body> is not a valid /stats document, or None."""
    try:
        doc = json.loads(body)
    except ValueError as e:
        return f"invalid JSON ({e}): {body[:200]!r}"
    if not isinstance(doc, dict):
        return "not a JSON object"
    for section, keys in STATS_KEYS.items():
        objs = doc.get(section)
        if section == "ports":
            if not isinstance(objs, list) or not objs:
                return "ports is not a non-empty list"
        else:
            objs = [objs]
        for obj in objs:
            if not isinstance(obj, dict):
                return f"{section} is not an object"
            missing = [k for k in keys if k not in obj]
            if missing:
                return f"{section} lacks {', '.join(missing)}"
            for k in keys:
                if k != "name" and (not isinstance(obj[k], int) or obj[k] < 0):
                    return f"{section}.{k} = {obj[k]!r} is not a count"
    if doc["ports"][0]["name"] != "data0" or doc["ports"][0]["port"] != 0:
        return f"ports[0] is {doc['ports'][0]['name']!r}/{doc['ports'][0]['port']}, " \
               "expected data0/0"
    m = doc["mempool"]
    if m["in_use"] + m["available"] != m["size"]:
        return f"mempool in_use + available != size: {m}"
    return None


def get_stats(ctx):
    rc, out, err = curl(ctx, ctx.fmt("http://{gw}:{admin}/stats"))
    problem = stats_problem(out.encode()) if rc == 0 else f"curl rc={rc} {err.strip()}"
    if problem:
        fail(f"GET /stats: {problem}")
    return json.loads(out)


def leak_counters(stats):
    """The counters that must return to their idle value: mempool.in_use, pbuf.*,
    and pools.<name>.in_use for the gateway's named pools when it reports them."""
    out = {"mempool.in_use": stats["mempool"]["in_use"]}
    out.update({f"pbuf.{k}": v for k, v in stats["pbuf"].items()})
    for name, pool in (stats.get("pools") or {}).items():
        if isinstance(pool, dict) and "in_use" in pool:
            out[f"pools.{name}.in_use"] = pool["in_use"]
    return out


def stats_baseline():
    def step(ctx, desc):
        ctx.saved["baseline"] = leak_counters(get_stats(ctx))
        ctx.log(f"baseline: {ctx.saved['baseline']}")
    return Step("take /stats baseline", step)


def stats_back_to_baseline(timeout=30.0):
    """Poll /stats until mempool.in_use and every pbuf.* equal the baseline exactly."""
    def step(ctx, desc):
        base = ctx.saved["baseline"]
        deadline = time.monotonic() + timeout
        while True:
            now = leak_counters(get_stats(ctx))
            diff = {k: (now.get(k), base.get(k)) for k in set(base) | set(now)
                    if now.get(k) != base.get(k)}
            if not diff:
                return
            if time.monotonic() > deadline:
                # What still holds them: the TCP and connection sections, for the log.
                try:
                    full = json.loads(curl(ctx, ctx.fmt("http://{gw}:{admin}/stats"))[1])
                    where = {k: full.get(k) for k in ("tcp", "conns", "h2", "h2_upstream")}
                except (ValueError, IndexError):
                    where = {}
                fail(f"buffers not back to baseline after {timeout:g}s: " + ", ".join(
                    f"{k} {n} (baseline {b}, {n - b:+d})" if None not in (n, b) else
                    f"{k} {n} (baseline {b})" for k, (n, b) in sorted(diff.items())),
                    json.dumps(where))
            time.sleep(0.5)
    return Step(f"/stats back to baseline within {timeout:g}s", step)


# ---------------------------------------------------------------- lifecycle

def json_path_re(*parts):
    """Regex for a JSON path in dotted (a.b[0].c) or pointer (/a/b/0/c) form."""
    rx = ""
    for p in parts:
        if isinstance(p, int):
            rx += rf"(?:\[{p}\]|[./]{p})"
        else:
            rx += (r"[./]" if rx else "") + re.escape(p)
    return rx


def gateway_rejects(config, stderr, within=5.0, name="bad"):
    """Start the gateway on <config> (a dict, raw text, or None for a file that
    does not exist): it must exit with a nonzero status (not a signal) within
    <within> s, printing something matching the regex <stderr> on stderr
    ("{path}" in it stands for the config file's path)."""
    desc = f"gateway rejects config {name!r}"

    def step(ctx, desc):
        path = ctx.logdir / f"{name}.json"
        if isinstance(config, dict):
            path.write_text(json.dumps(config, indent=2))
        elif config is not None:
            path.write_text(config)
        pattern = stderr.replace("{path}", re.escape(str(path)))
        rc, out, err, took = ctx.run([ctx.gateway, "--config", str(path)], timeout=within + 10)
        (ctx.logdir / f"gateway-{name}.stdout").write_text(out)
        (ctx.logdir / f"gateway-{name}.stderr").write_text(err)
        if rc is None or rc <= 0:
            fail(f"{desc}: exit {'status 0' if rc == 0 else f'by signal {-rc}'}, "
                 "expected a nonzero status", out + err)
        if took > within:
            fail(f"{desc}: took {took:.2f}s to exit, expected at most {within:g}s")
        if not re.search(pattern, err):
            fail(f"{desc}: stderr does not match /{pattern}/", err or "(stderr empty)")
    return Step(desc, step)


def sigterm_while_connected(within=3.0):
    """Hold connections open to the echo and admin ports (clients/hold.py), then
    SIGTERM the gateway: it must exit with status 0 within <within> s."""
    def step(ctx, desc):
        hold = ctx.spawn([PYTHON, "-B", str(CLIENTS / "hold.py"),
                          "{gw}", "{admin}", "{echo}", "60"], "hold")
        line = read_line(hold, timeout=10)
        if not line.startswith("holding"):
            fail(f"hold.py did not get its connections up: {line!r}",
                 (ctx.logdir / "hold.log").read_text())
        ctx.log(f"hold.py: {line}")
        took = ctx.stop_gateway(within)
        ctx.notes.append(f"exit 0 {took:.2f}s after SIGTERM")
    return Step(f"SIGTERM with open connections -> status 0 within {within:g}s", step)


def read_line(proc, timeout):
    """First line of <proc>'s stdout, or '' after <timeout> s or at EOF."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf, deadline = b"", time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not sel.select(left):
            break
        chunk = proc.stdout.read1(4096)
        if not chunk:
            break
        buf += chunk
    sel.close()
    return buf.decode("utf-8", "replace").split("\n")[0]


# ---------------------------------------------------------------- upstream servers

NGINX_CONF = """\
user root;
worker_processes 1;
pid {logdir}/nginx.pid;
error_log {logdir}/nginx-error.log info;
events {{ worker_connections 4096; }}
http {{
    access_log {logdir}/nginx-access.log;
    client_body_temp_path {logdir}/nginx-body;
    client_max_body_size 0;
    keepalive_requests 100000;
    keepalive_timeout 2s;  # idle upstream connections end, so pools return to idle
    server {{
        listen {peer}:{port} reuseport backlog=4096;
        root {logdir}/www;
        location / {{
            dav_methods PUT DELETE;
            create_full_put_path on;
        }}
        location = /status/503 {{ return 503 "down\\n"; }}
        location = /slow {{ return 200; }}
    }}
{tls_server}}}
"""


NGINX_TLS_SERVER = """\
    server {{
        listen {peer}:{port} ssl{http2} reuseport backlog=4096;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets on;
        {verify}
        root {logdir}/www;
        location / {{
            dav_methods PUT DELETE;
            create_full_put_path on;
        }}
        location = /whoami {{
            default_type text/plain;
            return 200 "client=$ssl_client_s_dn verify=$ssl_client_verify sni=$ssl_server_name proto=$ssl_protocol conn=$connection\\n";
        }}
    }}
"""


def nginx(port=8080, files=None, tls=None):
    """Start nginx from Debian on {peer}:<port> inside the namespace, serving
    {logdir}/www (which gets <files>: name -> size in bytes of random data)
    and accepting PUT uploads there; wait until it answers.  <tls> adds an
    HTTPS server on the same files: a dict with "port", "cert", "key" and,
    to require client certificates, "client_ca" ({logdir} is expanded), and
    "http2": True to serve HTTP/2 (ALPN h2) there; its /whoami answers with the client certificate's DN, SNI, TLS version and
    nginx's connection number."""
    desc = f"nginx on {{peer}}:{port}" + (f" and TLS on {{peer}}:{tls['port']}" if tls else "")

    def step(ctx, desc):
        import os
        www = ctx.logdir / "www"
        www.mkdir(exist_ok=True)
        for name, size in (files or {}).items():
            with open(www / name, "wb") as f:
                left = size
                while left > 0:
                    chunk = os.urandom(min(left, 1 << 20))
                    f.write(chunk)
                    left -= len(chunk)
        conf = ctx.logdir / "nginx.conf"
        tls_server = ""
        if tls:
            x = {k: str(v).replace("{logdir}", str(ctx.logdir)) for k, v in tls.items()}
            verify = ""
            if "client_ca" in x:
                verify = (f"ssl_client_certificate {x['client_ca']}; ssl_verify_client on; "
                          "ssl_verify_depth 2;")
            tls_server = NGINX_TLS_SERVER.format(http2=" http2" if tls.get("http2") else "",
                                                 peer=ctx.vars["peer"], port=x["port"],
                                                 cert=x["cert"], key=x["key"], verify=verify,
                                                 logdir=ctx.logdir)
        conf.write_text(NGINX_CONF.format(logdir=ctx.logdir, peer=ctx.vars["peer"], port=port,
                                          tls_server=tls_server))
        ctx.spawn(["nginx", "-c", str(conf), "-g", "daemon off;"], "nginx")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            rc, _, _, _ = ctx.run(["curl", "-s", "-o", "/dev/null", "--max-time", "1",
                                   f"http://{ctx.vars['peer']}:{port}/"], timeout=5, quiet=True)
            if rc == 0:
                return
            time.sleep(0.1)
        fail(f"{desc}: not answering after 10 s", (ctx.logdir / "nginx.log").read_text())
    return Step(desc, step)


def recording_upstream(port=8081):
    """Start servers/record_upstream.py on {peer}:<port>; it logs every
    request it receives to {logdir}/upstream.jsonl."""
    desc = f"recording upstream on {{peer}}:{port}"

    def step(ctx, desc):
        server = Path(__file__).resolve().parent / "servers" / "record_upstream.py"
        proc = ctx.spawn([PYTHON, "-B", str(server), ctx.vars["peer"], str(port),
                          str(ctx.logdir / "upstream.jsonl")], "upstream")
        if read_line(proc, 10) != "ready":
            fail(f"{desc}: did not start", (ctx.logdir / "upstream.log").read_text())
    return Step(desc, step)


def multi_upstream(ports, log="upstream.jsonl"):
    """Start servers/multi_upstream.py on {peer} at every port of <ports> ({port: label});
    it answers 200 naming the port and label, echoing the method, Host and path it got,
    and logs every request to {logdir}/<log>."""
    desc = f"multi-port upstream on {{peer}}:{','.join(map(str, sorted(ports)))}"

    def step(ctx, desc):
        server = Path(__file__).resolve().parent / "servers" / "multi_upstream.py"
        proc = ctx.spawn([PYTHON, "-B", str(server), ctx.vars["peer"], str(ctx.logdir / log),
                          *(f"{p}={label}" for p, label in sorted(ports.items()))],
                         "upstream")
        if read_line(proc, 10) != "ready":
            fail(f"{desc}: did not start", (ctx.logdir / "upstream.log").read_text())
    return Step(desc, step)


def gateway_rss_below(mib):
    """The gateway's resident memory (VmRSS) is below <mib> MiB."""
    desc = f"gateway RSS below {mib} MiB"

    def step(ctx, desc):
        rss = 0
        with open(f"/proc/{ctx.gw.pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) // 1024
        ctx.notes.append(f"RSS {rss} MiB")
        if rss >= mib:
            fail(f"{desc}: {rss} MiB")
    return Step(desc, step)


def ws_echo_upstream(port=8082):
    """Start servers/ws_echo.py (python3-websockets) on {peer}:<port>."""
    desc = f"WebSocket echo upstream on {{peer}}:{port}"

    def step(ctx, desc):
        server = Path(__file__).resolve().parent / "servers" / "ws_echo.py"
        proc = ctx.spawn([PYTHON, "-B", str(server), ctx.vars["peer"], str(port)], "ws_upstream")
        if read_line(proc, 10) != "ready":
            fail(f"{desc}: did not start", (ctx.logdir / "ws_upstream.log").read_text())
    return Step(desc, step)


def silent_upstream(port=8083):
    """Start servers/silent_upstream.py on {peer}:<port>: accepts, reads, never answers."""
    desc = f"silent upstream on {{peer}}:{port}"

    def step(ctx, desc):
        server = Path(__file__).resolve().parent / "servers" / "silent_upstream.py"
        proc = ctx.spawn([PYTHON, "-B", str(server), ctx.vars["peer"], str(port)], "silent")
        if read_line(proc, 10) != "ready":
            fail(f"{desc}: did not start", (ctx.logdir / "silent.log").read_text())
    return Step(desc, step)


def gateway_logged(regex, timeout=5.0):
    """The gateway's stderr gets a line matching <regex> within <timeout> seconds (event-log
    lines are written once a second)."""
    desc = f"gateway logs /{regex}/"

    def step(ctx, desc):
        path = ctx.logdir / "gateway.stderr"
        deadline = time.monotonic() + timeout
        while True:
            text = path.read_text(errors="replace") if path.exists() else ""
            if re.search(regex, text, re.M):
                return
            if time.monotonic() >= deadline:
                fail(f"{desc}: not within {timeout:g}s", text[-4000:])
            time.sleep(0.2)
    return Step(desc, step)


def reload_config(config, timeout=10.0):
    """Replaces the gateway's configuration file with the case's base merged with <config>
    (a dict), sends SIGHUP and waits for "generation N in service"."""
    desc = "reload to a new configuration"

    def step(ctx, desc):
        import json as _json
        import os
        import signal
        path = ctx.logdir / "config.json"
        log = ctx.logdir / "gateway.stderr"
        before = len(re.findall(r"reload: generation \d+ in service",
                                log.read_text(errors="replace") if log.exists() else ""))
        tmp = path.with_suffix(".tmp")
        tmp.write_text(ctx.fmt(_json.dumps(deep_merge(ctx.config, config), indent=2)) + "\n")
        os.rename(tmp, path)
        os.kill(ctx.gw.pid, signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while True:
            text = log.read_text(errors="replace") if log.exists() else ""
            if len(re.findall(r"reload: generation \d+ in service", text)) > before:
                return
            if time.monotonic() >= deadline:
                fail(f"{desc}: no 'generation N in service' within {timeout:g}s", text[-4000:])
            time.sleep(0.2)
    return Step(desc, step)


def reloads_under_load(variants, url, n=20, interval=0.4, clients=20):
    """While h2load keeps <clients> keep-alive connections busy on <url> ({gw} expanded),
    rewrite the gateway's configuration file <n> times, cycling through <variants> (dicts
    merged onto the case's configuration; a variant may be the string "invalid" for a file
    that fails validation), each followed by SIGHUP.  Passes when h2load saw no failed
    request and no status other than 2xx, and the gateway logged one outcome per reload:
    "generation N in service" for a valid file, "stays in service" for an invalid one."""
    desc = f"{n} reloads under h2load load"

    def step(ctx, desc):
        import json as _json
        import os
        import signal
        duration = int(n * interval + 4)
        proc = ctx.spawn(["h2load", "--h1", "-c", str(clients), "-D", str(duration),
                          "--warm-up-time=1", url], "h2load")
        time.sleep(1.5)
        path = ctx.logdir / "config.json"
        want_ok = want_bad = 0
        for i in range(n):
            v = variants[i % len(variants)]
            text = "{ this is not JSON" if v == "invalid" else ctx.fmt(
                _json.dumps(deep_merge(ctx.config, v), indent=2))
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text + "\n")
            os.rename(tmp, path)  # the gateway never reads half a file
            if v == "invalid":
                want_bad += 1
            else:
                want_ok += 1
            os.kill(ctx.gw.pid, signal.SIGHUP)
            time.sleep(interval)
        try:
            out, _ = proc.communicate(timeout=duration + 30)
        except subprocess.TimeoutExpired:
            proc.kill()
            fail(f"{desc}: h2load did not finish")
        out = out.decode(errors="replace")
        ctx.log(out)
        m = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, "
                      r"(\d+) failed, (\d+) errored", out)
        codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
        if not m or not codes:
            fail(f"{desc}: no h2load summary", out)
        if int(m.group(4)) or int(m.group(5)) or int(m.group(3)) == 0 or any(
                int(codes.group(k)) for k in (2, 3, 4)):
            fail(f"{desc}: requests failed", out)
        log = (ctx.logdir / "gateway.stderr").read_text(errors="replace")
        applied = len(re.findall(r"reload: generation \d+ in service", log))
        rejected = len(re.findall(r"reload: .* stays in service", log))
        if applied != want_ok or rejected != want_bad:
            fail(f"{desc}: {applied} reloads applied, {rejected} rejected of {n} "
                 f"({want_ok} valid, {want_bad} invalid)", log[-3000:])
        ctx.notes.append(f"{m.group(3)} requests, 0 failed; {applied} reloads applied, "
                         f"{rejected} rejected")
    return Step(desc, step)


def server(script, *args, name=None):
    """Start servers/<script> with <args> ({placeholders} expanded) in the namespace and
    wait for it to print "ready"; its output goes to <name>.log."""
    name = name or script.rsplit(".", 1)[0]
    desc = f"{script} {' '.join(map(str, args))}"

    def step(ctx, desc):
        path = Path(__file__).resolve().parent / "servers" / script
        proc = ctx.spawn([PYTHON, "-B", str(path), *map(str, args)], name)
        if read_line(proc, 10) != "ready":
            fail(f"{desc}: did not start", (ctx.logdir / f"{name}.log").read_text())
    return Step(desc, step)


def fault_upstream(ports, control=9100):
    """Start tools/fault-upstream on {peer}:<ports> with its control API on {peer}:<control>."""
    desc = f"fault-upstream on {{peer}}:{','.join(map(str, ports))}"

    def step(ctx, desc):
        tool = Path(__file__).resolve().parents[2] / "tools" / "fault-upstream"
        argv = [PYTHON, "-B", str(tool), "--control", f"{ctx.vars['peer']}:{control}"]
        for p in ports:
            argv += ["--listen", f"{ctx.vars['peer']}:{p}"]
        proc = ctx.spawn(argv, "fault-upstream")
        if read_line(proc, 10) != "ready":
            fail(f"{desc}: did not start", (ctx.logdir / "fault-upstream.log").read_text())
    return Step(desc, step)


def fault(port, mode, control=9100, **params):
    """Tell tools/fault-upstream's listener <port> (or "all") to behave as <mode>."""
    q = "&".join([f"port={port}", f"mode={mode}"] + [f"{k}={v}" for k, v in params.items()])
    return sh("curl", "-sS", "--max-time", "5", f"http://{{peer}}:{control}/set?{q}",
              stdout=r'"ok": true', desc=f"fault upstream {port}: {mode} {params or ''}")
