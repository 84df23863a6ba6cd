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
                 to another port: the user-data wins over the config partition
  power_cut      QEMU is killed at random moments while PID 1 rewrites the config store in a
                 loop (stress mode); after every kill the store holds the last committed
                 generation or the one being written, whole; N rounds (IMAGE_POWER_CUTS)
Boot-to-ready (QEMU start to the gateway's "ready" line) is printed.
Without root, /dev/net/tun, qemu-system-x86_64 or OVMF every step is reported SKIP.
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
import subprocess
import sys
import tempfile
import threading
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

    def __init__(self, work, disk, name):
        self.work, self.disk, self.name = work, disk, name
        self.serial = os.path.join(work, f"{name}.serial.log")
        self.proc = None
        self.t0 = None

    def start(self):
        vars_fd = os.path.join(self.work, f"{self.name}.vars.fd")
        shutil.copy(OVMF_VARS, vars_fd)
        cmd = ["ip", "netns", "exec", NS, QEMU, "-accel", "tcg", "-cpu", "max", "-m", "1024",
               "-smp", "2", "-nodefaults", "-display", "none", "-no-reboot",
               "-serial", f"file:{self.serial}",
               "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
               "-drive", f"if=pflash,format=raw,file={vars_fd}",
               "-drive", f"if=virtio,format=raw,file={self.disk}",
               "-netdev", "user,id=mgmt", "-device", "virtio-net-pci,netdev=mgmt,addr=3,romfile=",
               "-netdev", f"tap,id=data,ifname={TAP},script=no,downscript=no",
               "-device", "virtio-net-pci,netdev=data,addr=4,romfile="]
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(
            os.path.join(self.work, f"{self.name}.qemu.log"), "w"), start_new_session=True)

    def console(self):
        try:
            with open(self.serial, "rb") as f:
                return f.read().decode("utf-8", "replace").replace("\r", "")
        except FileNotFoundError:
            return ""

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

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def step(name, fn, *args):
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


def boot_and_curl(args, work, pki, disk, name, port, want, expect_source):
    vm = VM(work, disk, name)
    try:
        vm.start()
        vm.wait_for(r"meshgate .* ready: ", 240)
        ready = time.monotonic() - vm.t0
        src = vm.wait_for(r"config: (.*) \(boot steps", 5).group(1)
        if expect_source not in src:
            raise RuntimeError(f"config came from '{src}', expected '{expect_source}'")
        curl_https(pki, port, want)
        return f"boot-to-ready {ready:.1f} s, config from {src}, HTTPS answer correct"
    finally:
        vm.kill()
        if results and results[-1][1] == "FAIL":
            pass


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image-dir", required=True)
    ap.add_argument("--mgstore", required=True)
    ap.add_argument("--gateway", default=os.path.join(TOP, "build/gateway"))
    ap.add_argument("--init", default=os.path.join(TOP, "build/meshgate-init"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    t_start = time.monotonic()
    rounds = int(os.environ.get("IMAGE_POWER_CUTS", "8"))
    steps = ["reproducible", "https", "user_data", "power_cut", "power_cut_host"]
    reason = skip_reason()
    if reason:
        for s in steps:
            log(f"SKIP image/{s}: {reason}")
        return 0
    work = tempfile.mkdtemp(prefix="mg-image-test-", dir=os.path.join(TOP, "build"))
    imds = backend = None
    try:
        run("ip", "netns", "add", NS)
        ns("ip", "link", "set", "lo", "up")
        ns("ip", "tuntap", "add", "dev", TAP, "mode", "tap")
        ns("ip", "addr", "add", f"{HOST_IP}/24", "dev", TAP)
        ns("ip", "link", "set", TAP, "up")
        # The fake IMDS answers at EC2's address inside the namespace; the guest reaches it
        # through QEMU's user-mode (slirp) management NIC.
        ns("ip", "addr", "add", "169.254.169.254/32", "dev", "lo")
        www = os.path.join(work, "www")
        os.makedirs(www)
        answer = f"meshgate image test {os.getpid()} {random.randrange(1 << 30)}\n"
        with open(os.path.join(www, "answer.txt"), "w") as f:
            f.write(answer)
        backend = subprocess.Popen(["ip", "netns", "exec", NS, "/usr/bin/python3", "-m",
                                    "http.server", "8080", "--bind", HOST_IP, "-d", www],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pki = os.path.join(work, "pki")
        run(os.path.join(TOP, "tests/tls/make-certs.sh"), pki)
        certs = [f"{pki}/ec.crt", f"{pki}/ec.key"]

        step("reproducible", test_reproducible, args, work)

        disk = os.path.join(work, "disk.raw")
        shutil.copy(os.path.join(args.image_dir, "meshgate.raw"), disk)
        run(args.mgstore, "write", disk, make_bundle(args, work, "partition", tls_config(8443),
                                                     certs))
        step("https", boot_and_curl, args, work, pki, disk, "https", 8443, answer,
             "config partition slot A generation 1")

        FakeIMDS.user_data = open(make_bundle(args, work, "userdata", tls_config(9443), certs),
                                  "rb").read()
        imds = subprocess.Popen(["ip", "netns", "exec", NS, "/usr/bin/python3", __file__,
                                 "--serve-imds", os.path.join(work, "userdata.bundle")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        step("user_data", boot_and_curl, args, work, pki, disk, "userdata", 9443, answer,
             "EC2 user-data")
        imds.kill()
        imds = None

        step("power_cut", test_power_cut, args, work, os.path.join(work, "disk.raw"), rounds)
        step("power_cut_host", test_host_power_cut, args, work, 200)
    finally:
        for p in (imds, backend):
            if p is not None:
                p.kill()
                p.wait()
        run("ip", "netns", "del", NS, check=False)
        failed = [r for r in results if r[1] == "FAIL"]
        if failed or args.keep:
            log(f"image test: logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    failed = [r for r in results if r[1] == "FAIL"]
    log(f"image: {len(results) - len(failed)} passed, {len(failed)} failed "
        f"({time.monotonic() - t_start:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-imds":
        FakeIMDS.user_data = open(sys.argv[2], "rb").read()
        http.server.HTTPServer(("169.254.169.254", 80), FakeIMDS).serve_forever()
    sys.exit(main())
