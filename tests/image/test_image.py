#!/usr/bin/python3
"""The appliance image test (`make test-image`): boots the real disk image in QEMU (TCG, OVMF)
and talks to it only as a user would, through the serial console and the network.

Steps, each bounded in time, everything cleaned up even on failure:
  reproducible   a second build of the image from the same inputs has the same SHA-256
  https          config partition holds a TLS config bundle; the guest's DPDK drives the data
                 NIC (virtio-net on a TAP in a network namespace); curl over HTTPS through the
                 appliance reaches a python http.server in the namespace and gets its file
  user_data      a fake IMDSv2 (169.254.169.254 inside the namespace, reached through QEMU's
                 user-mode management NIC) serves a user-data bundle that moves the listener
                 to another port: the user-data wins over the config partition; a fake Amazon
                 Time Sync Service (NTP at 169.254.169.123) one hour ahead: PID 1 steps the
                 clock by that hour
  (https ends with the ACPI power button, user_data with Ctrl-Alt-Del: PID 1 must stop the
  gateway and power off / reboot cleanly)
  restart_back.. a config that passes --check but whose NIC is missing: the gateway exits and
                 PID 1 restarts it after 1, 2, 4 s
  power_cut_host the host tool killed by SIGKILL at random moments, 200 times
  multiqueue     workers 2 on a 2-queue virtio-net with RSS (QEMU computes the Toeplitz hash):
                 the guest's gateway runs a DPDK primary and a secondary, one queue pair each;
                 HTTPS over new connections is answered by both workers (per-worker counters
                 in the summed /metrics), upstream connections come back to their worker
  power_cut      QEMU is killed at random moments while PID 1 rewrites the config store in a
                 loop (stress mode); after every kill the store holds the last committed
                 generation or the one being written, whole; N rounds (IMAGE_POWER_CUTS)
Boot-to-ready (QEMU start to the gateway's "ready" line) is printed.
Without root, /dev/net/tun, qemu-system-x86_64 or OVMF the steps that boot the image are
reported SKIP with the reason; `reproducible` and `power_cut_host` need neither.
"""
import argparse
import hashlib
import http.server
import json
import os
import random
import re
import shutil
import signal
import socket
import threading
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
QEMU = shutil.which("qemu-system-x86_64")
NS = f"mg-img-{os.getpid()}"
TAP = "mgimg0"
HOST_IP, GW_IP = "10.99.0.1", "10.99.0.2"
results = []


def log(msg):
    print(msg, flush=True)


def run(*cmd, check=True, timeout=60, **kw):
    return subprocess.run(cmd, check=check, timeout=timeout, capture_output=True, text=True, **kw)


def ns(*cmd, **kw):
    return run("ip", "netns", "exec", NS, *cmd, **kw)


def skip_reason():
    if os.geteuid() != 0:
        return "needs root (network namespace, TAP device)"
    if QEMU is None:
        return "qemu-system-x86_64 not installed (Debian qemu-system-x86)"
    if not os.path.exists(OVMF_CODE):
        return f"no UEFI firmware at {OVMF_CODE} (Debian ovmf)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    return None


class VM:
    """One QEMU run of a copy of the disk image, inside the test's network namespace."""

    def __init__(self, work, disk, name, queues=1):
        self.work, self.disk, self.name, self.queues = work, disk, name, queues
        self.serial = os.path.join(work, f"{name}.serial.log")
        self.monitor = os.path.join(work, f"{name}.monitor")
        self.proc = None
        self.t0 = None

    def start(self):
        vars_fd = os.path.join(self.work, f"{self.name}.vars.fd")
        shutil.copy(OVMF_VARS, vars_fd)
        cmd = ["ip", "netns", "exec", NS, QEMU, "-accel", "tcg", "-cpu", "max", "-m", "1024",
               "-smp", "2", "-nodefaults", "-display", "none", "-no-reboot",
               "-chardev", f"socket,id=ser,path={self.serial}.sock,server=on,wait=off,"
               f"logfile={self.serial}", "-serial", "chardev:ser",
               "-monitor", f"unix:{self.monitor},server=on,wait=off",
               "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
               "-drive", f"if=pflash,format=raw,file={vars_fd}",
               "-drive", f"if=virtio,format=raw,file={self.disk}",
               "-netdev", "user,id=mgmt", "-device", "virtio-net-pci,netdev=mgmt,addr=3,romfile=",
               "-netdev", f"tap,id=data,ifname={TAP},script=no,downscript=no",
               "-device", "virtio-net-pci,netdev=data,addr=4,romfile="]
        if self.queues > 1:
            # A multi-queue TAP, and virtio-net with RSS (QEMU hashes in software under TCG).
            cmd[-3] += f",queues={self.queues}"
            cmd[-1] += f",mq=on,rss=on,vectors={2 * self.queues + 2}"
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(
            os.path.join(self.work, f"{self.name}.qemu.log"), "w"), start_new_session=True)

    def console(self):
        try:
            with open(self.serial, "rb") as f:
                return f.read().decode("utf-8", "replace").replace("\r", "")
        except FileNotFoundError:
            return ""

    def type(self, line, wait=None, timeout=60):
        """Types <line> and Enter on the serial console, as an operator would; then waits for
        <wait> (a regex) in the console output that follows."""
        if not hasattr(self, "tty"):
            self.tty = socket.socket(socket.AF_UNIX)
            self.tty.settimeout(10)
            for _ in range(50):
                try:
                    self.tty.connect(self.serial + ".sock")
                    break
                except OSError:
                    time.sleep(0.2)
            # QEMU writes the console to the socket too: drain it (the log file has it all).
            threading.Thread(target=lambda: self._drain(), daemon=True).start()
        mark = len(self.console())
        for ch in line + "\r":
            self.tty.sendall(ch.encode())
            time.sleep(0.01)
        if wait is None:
            return ""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(wait, self.console()[mark:])
            if m:
                return self.console()[mark:]
            time.sleep(0.2)
        raise RuntimeError(f"typed {line!r}: no {wait!r} within {timeout} s: "
                           f"{self.console()[mark:][-400:]!r}")

    def _drain(self):
        try:
            while self.tty.recv(4096):
                pass
        except OSError:
            pass

    def wait_for(self, pattern, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(pattern, self.console())
            if m:
                return m
            if self.proc.poll() is not None:
                raise RuntimeError(f"QEMU exited ({self.proc.returncode}) waiting for {pattern!r}")
            time.sleep(0.2)
        raise RuntimeError(f"no {pattern!r} on the console within {timeout} s")

    def command(self, line):
        """One QEMU monitor command (system_powerdown: the ACPI power button)."""
        with socket.socket(socket.AF_UNIX) as c:
            c.settimeout(10)
            c.connect(self.monitor)
            c.recv(4096)
            c.sendall(line.encode() + b"\n")
            time.sleep(0.5)

    def wait_exit(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"QEMU still running {timeout} s after the shutdown request")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


ONLY = set()
BOOT_TO_READY = {}  # step name -> seconds from QEMU start to the gateway's "ready" line


def step(name, fn, *args):
    if ONLY and name not in ONLY:
        return
    t = time.monotonic()
    try:
        detail = fn(*args) or ""
        results.append((name, "PASS", detail))
    except Exception as e:  # noqa: BLE001 - every failure is reported and the run goes on
        detail = str(e)
        results.append((name, "FAIL", detail))
    log(f"{results[-1][1]} image/{name} ({time.monotonic() - t:.1f} s) {detail}")


def make_bundle(args, work, name, config, files):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    paths = []
    with open(os.path.join(d, "meshgate.json"), "w") as f:
        json.dump(config, f, indent=1)
    paths.append(os.path.join(d, "meshgate.json"))
    for fn in files:
        shutil.copy(fn, d)
        paths.append(os.path.join(d, os.path.basename(fn)))
    out = os.path.join(work, name + ".bundle")
    run(args.mgstore, "pack", out, *paths)
    return out


def tls_config(port):
    return {
        "appliance": {
            "interfaces": [{"name": "data0", "address": f"{GW_IP}/24", "gateway": HOST_IP}],
            "admin": {"interface": "data0", "port": 9901},
            "dataplane": {"mbufs": 8192, "rxDescriptors": 512, "txDescriptors": 512},
            "proxy": {"staticUpstream": {"address": HOST_IP, "port": 8080}},
        },
        "virtualGateway": {"virtualGatewayName": "image-test", "spec": {"listeners": [{
            "portMapping": {"port": port, "protocol": "http"},
            "tls": {"mode": "STRICT", "certificate": {"file": {
                "certificateChain": "/etc/meshgate/ec.crt",
                "privateKey": "/etc/meshgate/ec.key"}}}}]}},
    }


def curl_https(pki, port, want):
    end = time.monotonic() + 60
    last = ""
    while time.monotonic() < end:
        r = ns("curl", "-sS", "--max-time", "10", "--cacert", f"{pki}/ca.crt", "--resolve",
               f"a.example.com:{port}:{GW_IP}", f"https://a.example.com:{port}/answer.txt",
               check=False, timeout=30)
        if r.returncode == 0 and r.stdout == want:
            return
        last = (r.stderr or r.stdout).strip()
        time.sleep(1)
    raise RuntimeError(f"curl https through the appliance on port {port}: {last}")


def boot_and_curl(args, work, pki, disk, name, port, want, expect_source, stop, also=()):
    """Boots, checks the config source and HTTPS through the appliance, then stops the VM as
    a user would: <stop> is (monitor command, console line PID 1 must print).  <also>: more
    console lines (regular expressions) that must appear."""
    vm = VM(work, disk, name)
    try:
        vm.start()
        vm.wait_for(r"meshgate .* ready: ", 240)
        ready = time.monotonic() - vm.t0
        BOOT_TO_READY[name] = ready
        src = vm.wait_for(r"config: (.*) \(boot steps", 5).group(1)
        if expect_source not in src:
            raise RuntimeError(f"config came from '{src}', expected '{expect_source}'")
        seen = [vm.wait_for(pat, 20).group(0) for pat in also]
        curl_https(pki, port, want)
        vm.command(stop[0])
        vm.wait_for(re.escape(stop[1]), 60)
        vm.wait_for(r"shutdown: done", 30)
        vm.wait_exit(30)
        return (f"boot-to-ready {ready:.1f} s, config from {src}, HTTPS answer correct; "
                f"'{stop[0]}' -> '{stop[1]}', clean exit" + "".join(f"; '{s}'" for s in seen))
    finally:
        vm.kill()


def test_shell(args, work, pki, disk, answer, answer2):
    """The serial config shell as an operator uses it: first-boot password, errors for bad
    input, a route change committed and seen by traffic, a reboot that keeps it."""
    vm = VM(work, disk, "shell")
    try:
        vm.start()
        vm.wait_for(r"meshgate .* ready: ", 240)
        BOOT_TO_READY["shell"] = time.monotonic() - vm.t0
        curl_https(pki, 8443, answer)
        vm.type("", r"No console password is set yet")
        vm.type("short", r"too short")
        vm.type("operator-pw-1", r"Repeat it")
        vm.type("operator-pw-1", r"console password set .*stored as slot")
        vm.type("frobnicate", r"error: unknown command 'frobnicate'")
        vm.type("set", r"error: usage: set PATH VALUE")
        vm.type('show "oops', r"error: unterminated quote")
        vm.type("help", r"factory-reset")
        vm.type("set appliance.admin.port notaport", r"meshgate\*> ")
        vm.type("commit", r"error: commit refused: validation failed")
        vm.type("rollback", r"candidate discarded")
        vm.type("logout", r"Password: ")
        vm.type("wrong-password", r"error: wrong password")
        vm.type("operator-pw-1", r"type help")
        vm.type("set appliance.proxy.staticUpstream.port 8081", r"meshgate\*> ")
        vm.type("diff", r"\+ appliance.proxy.staticUpstream.port = 8081")
        # The console can garble a byte of the reply when the old gateway logs its exit at the
        # same moment: the reply is matched loosely, PID 1's log line exactly.
        vm.type("commit", r"commit: stored as slot . generation \d+", 90)
        vm.wait_for(r"shell: commit stored as slot . generation \d+; gateway restarted", 10)
        curl_https(pki, 8443, answer2)
        vm.type("show config appliance.proxy", r"staticUpstream.port = 8081")
        vm.type("reboot", r"shutdown: done", 60)
        vm.wait_exit(30)
    finally:
        vm.kill()
    vm = VM(work, disk, "shell2")
    try:
        vm.start()
        vm.wait_for(r"meshgate .* ready: ", 240)
        src = vm.wait_for(r"config: (.*) \(boot steps", 5).group(1)
        curl_https(pki, 8443, answer2)
        vm.type("", r"Password: ")
        vm.type("wrong-password", r"error: wrong password")
        vm.type("operator-pw-1", r"type help")
        vm.type("show routes", r"staticUpstream.port = 8081")
        vm.type("poweroff", r"shutdown: done", 60)
        vm.wait_exit(30)
        return (f"password set, 4 bad inputs refused, port 8080 -> 8081 committed and served; "
                f"after reboot config from {src}, change kept, password asked")
    finally:
        vm.kill()


def curl_either(pki, port, answers):
    """The answer through the appliance, which must be one of <answers>."""
    end = time.monotonic() + 60
    last = ""
    while time.monotonic() < end:
        r = ns("curl", "-sS", "--max-time", "10", "--cacert", f"{pki}/ca.crt", "--resolve",
               f"a.example.com:{port}:{GW_IP}", f"https://a.example.com:{port}/answer.txt",
               check=False, timeout=30)
        if r.returncode == 0 and r.stdout in answers:
            return r.stdout
        last = (r.stderr or r.stdout).strip()
        time.sleep(1)
    raise RuntimeError(f"curl https through the appliance on port {port}: {last}")


def test_commit_kill(args, work, pki, disk, answer, answer2, rounds):
    """QEMU killed at a random moment after `commit` is typed, <rounds> times: each boot
    serves the old or the new configuration, never a broken one (the embedded default would
    not answer on 8443)."""
    by_port = {answer: 8080, answer2: 8081}
    outcomes = []
    want_new = None
    for i in range(rounds + 1):
        vm = VM(work, disk, f"commitkill{i}")
        try:
            vm.start()
            vm.wait_for(r"meshgate .* ready: ", 240)
            src = vm.wait_for(r"config: (.*) \(boot steps", 5).group(1)
            if "config partition" not in src:
                raise RuntimeError(f"round {i}: config from {src}")
            got = curl_either(pki, 8443, (answer, answer2))
            if want_new is not None:
                outcomes.append("new" if by_port[got] == want_new else "old")
            if i == rounds:
                break
            if "No console password" in vm.type("", r"Password: |No console password"):
                vm.type("operator-pw-1", r"Repeat it")  # run without the shell step
            vm.type("operator-pw-1", r"type help")
            want_new = 8080 if by_port[got] == 8081 else 8081
            vm.type(f"set appliance.proxy.staticUpstream.port {want_new}", r"meshgate\*> ")
            delay = random.uniform(0, 0.4)  # typed in 70 ms; the commit itself takes a few 100 ms
            vm.type("commit")
            time.sleep(delay)
        finally:
            vm.kill()
    return (f"{rounds} kills during commit at random moments: {outcomes.count('old')} old, "
            f"{outcomes.count('new')} new, never broken")


def test_restart_backoff(args, work, disk):
    """A config that passes --check but cannot start (its data NIC does not exist): PID 1
    restarts the gateway with doubling delays."""
    vm = VM(work, disk, "backoff")
    try:
        vm.start()
        vm.wait_for(r"gateway: exited with status 1 .* restart in 4000 ms", 300)
        con = vm.console()
        delays = [int(d) for d in re.findall(r"gateway: exited .* restart in (\d+) ms", con)]
        if delays[:3] != [1000, 2000, 4000]:
            raise RuntimeError(f"restart delays {delays}, expected 1000, 2000, 4000, ...")
        starts = len(re.findall(r"gateway: started", con))
        return f"gateway exited {len(delays)} times, restarted after {delays} ms ({starts} starts)"
    finally:
        vm.kill()


def test_reproducible(args, work):
    other = os.path.join(work, "rebuild")
    # The same inputs: the same binaries and the SOURCE_DATE_EPOCH of the first build (HEAD may
    # have moved since).
    env = dict(os.environ)
    with open(os.path.join(args.image_dir, "image.txt")) as f:
        m = re.search(r"^SOURCE_DATE_EPOCH=(\d+)$", f.read(), re.M)
    if m:
        env["SOURCE_DATE_EPOCH"] = m.group(1)
    run(os.path.join(TOP, "images/mkimage.sh"), other, args.gateway, args.init, timeout=300,
        env=env)
    out = []
    for f in ("meshgate.raw", "meshgate.qcow2"):
        a = hashlib.sha256(open(os.path.join(args.image_dir, f), "rb").read()).hexdigest()
        b = hashlib.sha256(open(os.path.join(other, f), "rb").read()).hexdigest()
        if a != b:
            raise RuntimeError(f"{f} differs between two builds: {a} vs {b}")
        out.append(f"{f} {a[:16]}")
    shutil.rmtree(other, ignore_errors=True)
    return "two builds identical: " + ", ".join(out)


def serve_fake_ntp(addr, ahead_s):
    """A stratum-1 NTP server whose clock is <ahead_s> seconds ahead of this machine's."""
    import struct
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 123))
    while True:
        q, peer = s.recvfrom(512)
        if len(q) < 48 or q[0] & 7 != 3:
            continue
        now = time.time() + ahead_s + 2208988800
        ts = struct.pack(">Q", int(now * (1 << 32)))
        s.sendto(bytes([0x24, 1, 4, 0xe9]) + bytes(8) + b"GPS\0" + ts + q[40:48] + ts + ts, peer)


class FakeIMDS(http.server.BaseHTTPRequestHandler):
    """IMDSv2: PUT /latest/api/token, then GET /latest/user-data with the token."""
    user_data = b""
    token = "test-token-" + str(os.getpid())

    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get(
                "X-aws-ec2-metadata-token-ttl-seconds"):
            self.reply(200, self.token.encode())
        else:
            self.reply(400, b"")

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != self.token:
            self.reply(401, b"")
        elif self.path == "/latest/user-data":
            self.reply(200, self.user_data)
        else:
            self.reply(404, b"")

    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def test_power_cut(args, work, disk, rounds):
    """Kills QEMU while PID 1 rewrites the store; checks the store after every kill."""
    run(args.mgstore, "write", disk, make_stress_bundle(args, work))
    boots, kills_mid_write, last = 0, 0, 0
    for i in range(rounds):
        vm = VM(work, disk, f"stress{i}")
        try:
            vm.start()
            boots += 1
            vm.wait_for(r"stress: (committed|writing) generation", 240)
            time.sleep(random.uniform(0.0, 2.5))
        finally:
            vm.kill()
        con = vm.console()
        committed = [int(g) for g in re.findall(r"committed generation (\d+)", con)]
        writing = [int(g) for g in re.findall(r"writing generation (\d+)", con)]
        lo = max(committed) if committed else last
        hi = max(writing) if writing else lo
        if hi > lo:
            kills_mid_write += 1
        r = run(args.mgstore, "verify-stress", disk, check=False)
        m = re.search(r"generation (\d+) intact", r.stdout)
        if r.returncode != 0 or not m:
            raise RuntimeError(f"round {i}: {r.stdout.strip()} {r.stderr.strip()}")
        got = int(m.group(1))
        # Never older than the last generation the console saw committed; it may be newer,
        # since the console can lag the disk by a line or two when QEMU dies.
        if got < lo:
            raise RuntimeError(f"round {i}: store holds generation {got}, but {lo} was "
                               f"committed")
        last = got
    return (f"{rounds} kills of QEMU during store writes ({kills_mid_write} mid-write), "
            f"store always whole and old-or-new; last generation {last}")


def test_multiqueue(args, work, pki, answer, certs):
    """workers 2 on a 2-queue virtio-net with RSS: a DPDK primary and a secondary in the guest,
    HTTPS over 40 new connections all answered, both workers served some (docs/PERFORMANCE.md,
    Multi-core)."""
    # QEMU opens each queue of a multi-queue TAP with IFF_MULTI_QUEUE: the single-queue TAP of
    # the other steps is replaced by a multi-queue one with the same address.
    ns("ip", "link", "del", TAP)
    ns("ip", "tuntap", "add", "dev", TAP, "mode", "tap", "multi_queue")
    ns("ip", "addr", "add", f"{HOST_IP}/24", "dev", TAP)
    ns("ip", "link", "set", TAP, "up")
    cfg = tls_config(8443)
    cfg["appliance"]["dataplane"]["workers"] = 2
    disk = os.path.join(work, "multiqueue.raw")
    shutil.copy(os.path.join(args.image_dir, "meshgate.raw"), disk)
    run(args.mgstore, "write", disk, make_bundle(args, work, "multiqueue", cfg, certs))
    vm = VM(work, disk, "multiqueue", queues=2)
    try:
        vm.start()
        vm.wait_for(r"meshgate .* ready: .*worker 1 of 2", 300)
        BOOT_TO_READY["multiqueue"] = time.monotonic() - vm.t0
        seen = [vm.wait_for(pat, 10).group(0) for pat in (
            r"DPDK primary \(worker 0\) and secondary processes",
            r"2 queue pairs, RSS on[^\n]*",
            r"attached \(secondary process\): queue 1 of 2",
            r"upstream source ports: those whose replies RSS sends to queue 1")]
        n = 40
        for _ in range(n):  # one connection each: RSS spreads them by their 4-tuple
            curl_https(pki, 8443, answer)
        per = {}
        end = time.monotonic() + 30
        while time.monotonic() < end:
            r = ns("curl", "-sS", "--max-time", "10", f"http://{GW_IP}:9901/metrics",
                   check=False, timeout=30)
            per = {int(w): int(v) for w, v in re.findall(
                r'^meshgate_worker_requests_total\{worker="(\d+)"\} (\d+)$', r.stdout, re.M)}
            if sorted(per) == [0, 1] and sum(per.values()) >= n:
                break
            time.sleep(1)
        if sorted(per) != [0, 1] or min(per.values()) == 0 or sum(per.values()) < n:
            raise RuntimeError(f"requests per worker {per}: want both > 0, sum >= {n}")
        vm.command("system_powerdown")
        vm.wait_for(r"shutdown: done", 90)
        vm.wait_exit(30)
        return (f"{n} HTTPS requests (new connections) all answered; requests per worker "
                f"{per}; " + "; ".join(f"'{x}'" for x in seen))
    finally:
        vm.kill()


def make_stress_bundle(args, work):
    d = os.path.join(work, "stress")
    os.makedirs(d, exist_ok=True)
    for n, body in (("meshgate.json", "{}"), ("meshgate-store-stress", "1")):
        with open(os.path.join(d, n), "w") as f:
            f.write(body)
    out = os.path.join(work, "stress.bundle")
    run(args.mgstore, "pack", out, os.path.join(d, "meshgate.json"),
        os.path.join(d, "meshgate-store-stress"))
    return out


def test_host_power_cut(args, work, rounds):
    """The same with the host tool killed by SIGKILL at random moments (fast, many rounds)."""
    img = os.path.join(work, "host-stress.img")
    with open(img, "wb") as f:
        f.truncate(16 << 20)
    spec = f"{img}@0:{16 << 20}"
    for i in range(rounds):
        p = subprocess.Popen([args.mgstore, "stress", spec], stdout=subprocess.DEVNULL)
        time.sleep(random.uniform(0.001, 0.05))
        p.kill()
        p.wait()
        r = run(args.mgstore, "verify-stress", spec, check=False)
        if r.returncode != 0:
            raise RuntimeError(f"round {i}: {r.stdout.strip()}")
    return f"{rounds} SIGKILLs of the writer, store always whole ({r.stdout.strip()})"


def vm_steps(args, work, rounds, procs):
    """The steps that boot the image: a namespace with the data NIC's TAP, a backend, a PKI."""
    run("ip", "netns", "add", NS)
    procs.append("netns")
    ns("ip", "link", "set", "lo", "up")
    ns("ip", "tuntap", "add", "dev", TAP, "mode", "tap")
    ns("ip", "addr", "add", f"{HOST_IP}/24", "dev", TAP)
    ns("ip", "link", "set", TAP, "up")
    # The fake IMDS answers at EC2's address inside the namespace; the guest reaches it
    # through QEMU's user-mode (slirp) management NIC.
    ns("ip", "addr", "add", "169.254.169.254/32", "dev", "lo")
    ns("ip", "addr", "add", "169.254.169.123/32", "dev", "lo")
    www = os.path.join(work, "www")
    os.makedirs(www)
    answer = f"meshgate image test {os.getpid()} {random.randrange(1 << 30)}\n"
    with open(os.path.join(www, "answer.txt"), "w") as f:
        f.write(answer)
    procs.append(subprocess.Popen(["ip", "netns", "exec", NS, "/usr/bin/python3", "-m",
                                   "http.server", "8080", "--bind", HOST_IP, "-d", www],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    # A second backend on 8081 with another answer: the shell test moves traffic to it.
    www2 = os.path.join(work, "www2")
    os.makedirs(www2)
    answer2 = "moved " + answer
    with open(os.path.join(www2, "answer.txt"), "w") as f:
        f.write(answer2)
    procs.append(subprocess.Popen(["ip", "netns", "exec", NS, "/usr/bin/python3", "-m",
                                   "http.server", "8081", "--bind", HOST_IP, "-d", www2],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    pki = os.path.join(work, "pki")
    run(os.path.join(TOP, "tests/tls/make-certs.sh"), pki)
    certs = [f"{pki}/ec.crt", f"{pki}/ec.key"]

    disk = os.path.join(work, "disk.raw")
    shutil.copy(os.path.join(args.image_dir, "meshgate.raw"), disk)
    run(args.mgstore, "write", disk, make_bundle(args, work, "partition", tls_config(8443),
                                                 certs))
    step("https", boot_and_curl, args, work, pki, disk, "https", 8443, answer,
         "config partition slot A generation 1",
         ("system_powerdown", "shutdown: power off (power button)"))

    if not ONLY or "shell" in ONLY or "commit_kill" in ONLY:
        sdisk = os.path.join(work, "shell.raw")
        shutil.copy(os.path.join(args.image_dir, "meshgate.raw"), sdisk)
        run(args.mgstore, "write", sdisk, os.path.join(work, "partition.bundle"))
        step("shell", test_shell, args, work, pki, sdisk, answer, answer2)
        step("commit_kill", test_commit_kill, args, work, pki, sdisk, answer, answer2,
             int(os.environ.get("IMAGE_COMMIT_KILLS", "4")))

    make_bundle(args, work, "userdata", tls_config(9443), certs)
    imds = subprocess.Popen(["ip", "netns", "exec", NS, "/usr/bin/python3", __file__,
                             "--serve-imds", os.path.join(work, "userdata.bundle")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(imds)
    step("user_data", boot_and_curl, args, work, pki, disk, "userdata", 9443, answer,
         "EC2 user-data", ("sendkey ctrl-alt-delete", "shutdown: reboot (Ctrl-Alt-Del)"),
         (r"ntp: 169\.254\.169\.123:123 \(stratum 1\): offset \+(359\d|360\d)\d{3}\.\d{3} ms, "
          r"delay [0-9.]+ ms, clock stepped",))
    imds.kill()

    bad = tls_config(8443)
    bad["appliance"]["interfaces"][0]["device"] = "0000:00:1f.7"
    run(args.mgstore, "write", disk, make_bundle(args, work, "backoff", bad, certs))
    step("restart_backoff", test_restart_backoff, args, work, disk)

    step("power_cut", test_power_cut, args, work, disk, rounds)

    # Last: it replaces the TAP with a multi-queue one.
    step("multiqueue", test_multiqueue, args, work, pki, answer, certs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image-dir", required=True)
    ap.add_argument("--mgstore", required=True)
    ap.add_argument("--gateway", default=os.path.join(TOP, "build/gateway"))
    ap.add_argument("--init", default=os.path.join(TOP, "build/meshgate-init"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--only", default="", help="comma-separated steps to run (default: all)")
    args = ap.parse_args()
    ONLY.update(x for x in args.only.split(",") if x)
    t_start = time.monotonic()
    rounds = int(os.environ.get("IMAGE_POWER_CUTS", "5"))
    build = os.path.join(TOP, "build")
    work = tempfile.mkdtemp(prefix="mg-image-test-",
                            dir=build if os.access(build, os.W_OK) else None)
    procs = []
    try:
        # These two need neither root nor QEMU.
        step("reproducible", test_reproducible, args, work)
        step("power_cut_host", test_host_power_cut, args, work, 200)
        reason = skip_reason()
        if reason:
            for s in ("https", "shell", "commit_kill", "user_data", "restart_backoff", "power_cut",
                      "multiqueue"):
                if not ONLY or s in ONLY:
                    log(f"SKIP image/{s}: {reason}")
        else:
            vm_steps(args, work, rounds, procs)
    finally:
        for p in procs:
            if p == "netns":
                run("ip", "netns", "del", NS, check=False)
            elif p.poll() is None:
                p.kill()
                p.wait()
        failed = [r for r in results if r[1] == "FAIL"]
        if failed or args.keep:
            log(f"image test: logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    failed = [r for r in results if r[1] == "FAIL"]
    raw = os.path.join(args.image_dir, "meshgate.raw")
    qcow = os.path.join(args.image_dir, "meshgate.qcow2")
    boots = ", ".join(f"{k} {v:.1f} s" for k, v in BOOT_TO_READY.items()) or "not measured"
    log(f"image: raw {os.path.getsize(raw) >> 20} MiB, qcow2 {os.path.getsize(qcow) / 1e6:.1f} MB; "
        f"boot-to-ready under QEMU TCG: {boots}")
    log(f"image: {len(results) - len(failed)} passed, {len(failed)} failed "
        f"({time.monotonic() - t_start:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-imds":
        FakeIMDS.user_data = open(sys.argv[2], "rb").read()
        import threading
        threading.Thread(target=serve_fake_ntp, args=("169.254.169.123", 3600), daemon=True).start()
        http.server.HTTPServer(("169.254.169.254", 80), FakeIMDS).serve_forever()
    sys.exit(main())
