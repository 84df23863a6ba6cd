#!/usr/bin/python3
"""End-to-end test harness for Meshgate.

Usage: /usr/bin/python3 tests/e2e/harness.py [-k SUBSTR] [--gateway PATH] [--keep-logs] [-v]

Every case runs in isolation: its own network namespace (mg-e2e-<pid>-<n>) and its
own gateway process, whose DPDK net_tap port puts the kernel side of the TAP into
that namespace.  The harness gives the TAP the peer address from the config, waits
for GET /ready, then runs the case's steps; clients (curl, ping, clients/*.py) run
inside the namespace and talk to the gateway's address.

Contracts:
  - Every wait is bounded.  Gateway processes, clients and namespaces are removed
    even on failure, exceptions, Ctrl-C and SIGTERM; namespaces left by dead
    earlier runs are removed at start.
  - A case fails if a step fails, if the gateway exits by itself, if it does not
    exit with status 0 within STOP_GRACE seconds of SIGTERM, or if its output
    holds a sanitizer report.
  - Logs of a failed case (gateway stdout/stderr, config, steps.log with every
    command and its output) are kept under build/tests/e2e/<case>/; a passed
    case's are deleted unless --keep-logs.
  - A step may raise steps.CaseSkipped (the case cannot run here, e.g. a gateway feature
    that is not built yet): the case is reported as SKIP with the step's reason.  A case
    with `bug` set shows a known gateway bug: its FAIL line starts with "known bug (...)".
  - Output: one line per case ("PASS name (1.2s)", "FAIL name: reason",
    "SKIP name: reason"), then exactly one line "N passed, M failed, K skipped".
    Exit status is 1 iff a case failed.
  - If this machine cannot run the cases (not root, no /dev/net/tun, no
    `ip netns`, no gateway binary), every case is SKIPPED with the reason.

Cases live in cases/*.py, each module exporting CASES, a list of steps.Case.
Python 3 standard library only; run with /usr/bin/python3.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

E2E_DIR = Path(__file__).resolve().parent
TOP = E2E_DIR.parents[1]
LOG_ROOT = TOP / "build" / "tests" / "e2e"
PYTHON = "/usr/bin/python3"
NS_PREFIX = "mg-e2e-"

TAP_TIMEOUT = 20.0  # gateway start until its TAP shows up in the namespace
READY_TIMEOUT = 20.0  # TAP up until GET /ready answers 200
STOP_GRACE = 5.0  # SIGTERM until the gateway must have exited
SANITIZER_RE = re.compile(
    r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|WARNING: ThreadSanitizer")

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, str(E2E_DIR))
from steps import BASE_CONFIG, CaseFailed, CaseSkipped, deep_merge  # noqa: E402


class Interrupted(BaseException):
    """Raised in the main thread by SIGINT/SIGTERM/SIGHUP outside critical sections."""


# Signals that arrive while cleanup runs are deferred until it is done.
_critical = 0
_pending_signal = None


def _on_signal(signum, _frame):
    global _pending_signal
    if _critical:
        _pending_signal = signum
    else:
        raise Interrupted(signum)


class critical:
    """Context manager: defer harness signals (cleanup must not be cut short)."""

    def __enter__(self):
        global _critical
        _critical += 1

    def __exit__(self, *exc):
        global _critical, _pending_signal
        _critical -= 1
        if _critical == 0 and _pending_signal is not None and exc[0] is None:
            signum, _pending_signal = _pending_signal, None
            raise Interrupted(signum)


# ---------------------------------------------------------------- processes

def kill_group(proc, sig=signal.SIGKILL):
    """Send <sig> to the process group of <proc> (started with start_new_session)."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_bounded(argv, timeout):
    """Run <argv> to completion or kill its process group after <timeout> seconds.

    Returns (rc, stdout, stderr, elapsed, timed_out); rc is None on timeout.
    Never leaves the child running, whatever happens.
    """
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_group(proc)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a grandchild escaped and holds the pipes
            out, err = b"", b""
    finally:
        if proc.poll() is None:
            kill_group(proc)
            proc.wait()
    text = lambda b: (b or b"").decode("utf-8", "replace")  # noqa: E731
    return (None if timed_out else proc.returncode, text(out), text(err),
            time.monotonic() - t0, timed_out)


def ip(*args, timeout=10.0):
    """Run `ip ARGS`; returns (rc, stdout+stderr)."""
    rc, out, err, _, _ = run_bounded(["ip", *args], timeout)
    return rc, out + err


def netns_kill_all(ns):
    """SIGKILL every process inside namespace <ns>; wait (bounded) for them to go."""
    for _ in range(50):
        rc, out = ip("netns", "pids", ns)
        pids = [int(p) for p in out.split()] if rc == 0 else []
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def netns_delete(ns):
    """Kill everything in <ns> and delete it; warns on stderr if it stays."""
    netns_kill_all(ns)
    for _ in range(20):
        rc, out = ip("netns", "delete", ns)
        if ns not in netns_list():
            return
        time.sleep(0.1)
    print(f"warning: could not delete namespace {ns}: {out.strip()}", file=sys.stderr)


def netns_list():
    rc, out = ip("netns", "list")
    return [line.split()[0] for line in out.splitlines() if line.strip()] if rc == 0 else []


def remove_stale_namespaces():
    """Delete mg-e2e-<pid>-* namespaces whose harness process <pid> is gone."""
    for ns in netns_list():
        m = re.match(re.escape(NS_PREFIX) + r"(\d+)-", ns)
        if not m or int(m.group(1)) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{m.group(1)}/cmdline").read_bytes()
            if b"harness.py" in cmdline:
                continue  # a concurrent run owns it
        except OSError:
            pass
        print(f"removing stale namespace {ns}", flush=True)
        netns_delete(ns)


# ---------------------------------------------------------------- one case

class Context:
    """What a step sees of its case: the namespace, the gateway, the logs.

    Steps call run()/spawn() to run commands inside the namespace and raise
    CaseFailed on a failed expectation.  `vars` holds the placeholders steps
    format their arguments with ({gw}, {peer}, {admin}, {echo}, {discard},
    {unused}, {iface}, {logdir}); `saved` carries values between steps.
    """

    def __init__(self, case, ns, logdir, gateway, verbose):
        self.case, self.ns, self.logdir = case, ns, logdir
        self.gateway, self.verbose = gateway, verbose
        self.config = deep_merge(BASE_CONFIG, case.config)
        self.gw = None  # Popen of the running gateway
        self.stopped = False  # the gateway was stopped on purpose by a step
        self.exit_reported = False  # a failure already says the gateway exited by itself
        self.saved, self.notes = {}, []
        self.cleanups = []  # callables run (last first) once the gateway has stopped
        self._files = []
        self._steplog = open(logdir / "steps.log", "a", encoding="utf-8")
        app = self.config["appliance"]
        itf = app["interfaces"][0]
        addr, prefix = itf["address"].split("/")
        m = re.search(r"iface=([^,]+)", itf["device"])
        self.vars = {
            "gw": addr, "prefix": prefix, "peer": itf["gateway"],
            "iface": m.group(1) if m else None,
            "admin": app["admin"]["port"],
            "echo": app["diagnostics"]["echoPort"],
            "discard": app["diagnostics"]["discardPort"],
            "unused": ".".join(addr.split(".")[:3] + ["77"]),
            "logdir": str(logdir),
        }

    def fmt(self, s):
        """<s> with known {placeholders} replaced; other braces (curl's %{...}) kept."""
        return re.sub(r"\{(\w+)\}", lambda m: str(self.vars.get(m.group(1), m.group(0))),
                      str(s))

    def log(self, text, echo=False):
        self._steplog.write(text.rstrip("\n") + "\n")
        self._steplog.flush()
        if self.verbose or echo:
            print("    " + text.rstrip("\n").replace("\n", "\n    "), flush=True)

    def run(self, argv, timeout, quiet=False):
        """Run <argv> inside the namespace, killed after <timeout> s.

        Returns (rc, stdout, stderr, elapsed); raises CaseFailed on timeout.
        Command and output always go to steps.log.
        """
        argv = [self.fmt(a) for a in argv]
        rc, out, err, elapsed, timed_out = run_bounded(
            ["ip", "netns", "exec", self.ns, *argv], timeout)
        self._steplog.write(f"$ {' '.join(argv)}\n{out}{err}-> rc={rc} in {elapsed:.2f}s\n")
        self._steplog.flush()
        if self.verbose and not quiet:
            print(f"    $ {' '.join(argv)}  -> rc={rc} ({elapsed:.2f}s)", flush=True)
        if timed_out:
            raise CaseFailed(f"`{' '.join(argv)}` timed out after {timeout:g}s"
                             f"{tail(out + err)}")
        return rc, out, err, elapsed

    def spawn(self, argv, name):
        """Start <argv> in the namespace in the background; output to <name>.log.

        The process is killed at teardown (with everything else in the namespace).
        """
        argv = [self.fmt(a) for a in argv]
        self.log(f"$ {' '.join(argv)} &  (output in {name}.log)")
        out = open(self.logdir / f"{name}.log", "wb")
        self._files.append(out)
        return subprocess.Popen(["ip", "netns", "exec", self.ns, *argv], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=out, start_new_session=True)

    # -- the gateway

    def gateway_argv(self, config_path):
        return ["ip", "netns", "exec", self.ns, self.gateway, "--config", str(config_path)]

    def start_gateway(self):
        cfg = self.logdir / "config.json"
        # Placeholders ({logdir}, ...) in config values, e.g. certificate paths.
        cfg.write_text(self.fmt(json.dumps(self.config, indent=2)) + "\n")
        out = open(self.logdir / "gateway.stdout", "wb")
        err = open(self.logdir / "gateway.stderr", "wb")
        self._files += [out, err]
        self.log(f"start: {' '.join(self.gateway_argv(cfg))}")
        # `ip netns exec` execs the gateway, so gw.pid is the gateway's pid.
        self.gw = subprocess.Popen(self.gateway_argv(cfg), stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=err, start_new_session=True)
        self.t_start = time.monotonic()

    def gateway_exited(self):
        """Return the gateway's exit status if it exited by itself, else None."""
        if self.gw is None or self.stopped:
            return None
        return self.gw.poll()

    def check_alive(self, when=""):
        rc = self.gateway_exited()
        if rc is not None:
            self.exit_reported = True
            raise CaseFailed(f"gateway exited by itself{when} with {describe_status(rc)}"
                             f"{tail(self.gateway_output())}")

    def gateway_output(self):
        text = ""
        for name in ("gateway.stdout", "gateway.stderr"):
            p = self.logdir / name
            if p.exists():
                text += p.read_text("utf-8", "replace")
        return text

    def wait_tap(self):
        """Wait until the TAP the gateway creates exists in the namespace."""
        deadline = time.monotonic() + TAP_TIMEOUT
        while True:
            self.check_alive(" before its TAP appeared")
            rc, _ = ip("-n", self.ns, "link", "show", "dev", self.vars["iface"])
            if rc == 0:
                self.log(f"TAP {self.vars['iface']} up after "
                         f"{time.monotonic() - self.t_start:.2f}s")
                return
            if time.monotonic() > deadline:
                raise CaseFailed(f"TAP {self.vars['iface']} did not appear in {self.ns} "
                                 f"within {TAP_TIMEOUT:g}s{tail(self.gateway_output())}")
            time.sleep(0.05)

    def configure_peer(self):
        """Give the kernel side of the TAP the peer (next hop) address."""
        v = self.vars
        for args in (("addr", "add", f"{v['peer']}/{v['prefix']}", "dev", v["iface"]),
                     ("link", "set", v["iface"], "up")):
            rc, out = ip("-n", self.ns, *args)
            if rc != 0:
                raise CaseFailed(f"ip -n {self.ns} {' '.join(args)}: {out.strip()}")

    def wait_ready(self):
        """Poll GET /ready (1 s per try) until 200, within READY_TIMEOUT."""
        url = self.fmt("http://{gw}:{admin}/ready")
        deadline = time.monotonic() + READY_TIMEOUT
        last = ""
        while time.monotonic() < deadline:
            self.check_alive(" before it was ready")
            rc, out, err, _ = self.run(["curl", "-s", "-o", "/dev/null", "--max-time", "1",
                                        "-w", "%{http_code}", url], timeout=5, quiet=True)
            if out.strip() == "200":
                self.log(f"ready after {time.monotonic() - self.t_start:.2f}s")
                return
            last = f"curl rc={rc} http_code={out.strip()} {err.strip()}"
            time.sleep(0.1)
        raise CaseFailed(f"GET /ready did not return 200 within {READY_TIMEOUT:g}s "
                         f"(last: {last}){tail(self.gateway_output())}")

    def stop_gateway(self, grace):
        """SIGTERM the gateway; it must exit with status 0 within <grace> s.

        SIGKILLs it otherwise.  Returns the seconds it took; raises CaseFailed.
        """
        if self.gw is None or self.gw.poll() is not None:
            return 0.0
        self.stopped = True
        t0 = time.monotonic()
        self.gw.send_signal(signal.SIGTERM)
        try:
            rc = self.gw.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            kill_group(self.gw)
            self.gw.wait()
            raise CaseFailed(f"gateway did not exit within {grace:g}s of SIGTERM (killed)")
        took = time.monotonic() - t0
        self.log(f"gateway exited {describe_status(rc)} {took:.2f}s after SIGTERM")
        if rc != 0:
            raise CaseFailed(f"gateway exited with {describe_status(rc)} on SIGTERM"
                             f"{tail(self.gateway_output())}")
        return took

    def teardown(self):
        """Stop everything; never raises CaseFailed.  Returns failure reasons."""
        reasons = []
        try:
            rc = self.gateway_exited()
            if rc is None:
                self.stop_gateway(STOP_GRACE)
            elif not self.exit_reported:
                reasons.append(f"gateway exited by itself with {describe_status(rc)}"
                               f"{tail(self.gateway_output())}")
        except CaseFailed as e:
            reasons.append(str(e))
        netns_delete(self.ns)
        if self.gw is not None and self.gw.poll() is None:
            kill_group(self.gw)
            self.gw.wait()
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # noqa: BLE001 (a cleanup must not hide the others)
                reasons.append(f"cleanup {getattr(fn, '__name__', fn)}: {e}")
        for f in self._files:
            f.close()
        for p in sorted(self.logdir.glob("gateway*")):
            m = SANITIZER_RE.search(p.read_text("utf-8", "replace"))
            if m:
                reasons.append(f"sanitizer report in {p.name}: {line_at(p, m.start())}")
        self._steplog.close()
        return reasons


def describe_status(rc):
    return f"signal {-rc}" if rc is not None and rc < 0 else f"status {rc}"


def tail(text, lines=8):
    """Last <lines> lines of <text>, indented, for failure messages ('' if empty)."""
    text = text.strip()
    if not text:
        return ""
    return "\n      | " + "\n      | ".join(text.splitlines()[-lines:])


def line_at(path, offset):
    text = path.read_text("utf-8", "replace")
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start:end if end >= 0 else None].strip()


def run_case(case, n, args):
    """Run one case; returns (status, detail) with status PASS/FAIL/SKIP."""
    logdir = LOG_ROOT / case.name
    shutil.rmtree(logdir, ignore_errors=True)
    logdir.mkdir(parents=True)
    ns = f"{NS_PREFIX}{os.getpid()}-{n}"
    reasons, ctx, skipped = [], None, None
    try:
        with critical():
            rc, out = ip("netns", "add", ns)
            if rc != 0:
                raise CaseFailed(f"ip netns add {ns}: {out.strip()}")
        ctx = Context(case, ns, logdir, args.gateway, args.verbose)
        # IPv6 off before the TAP exists, so no router/neighbour solicitations reach the port.
        ctx.run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                 "net.ipv6.conf.default.disable_ipv6=1"], timeout=10)
        ip("-n", ns, "link", "set", "lo", "up")
        for step in case.setup:
            ctx.log(f"== setup: {ctx.fmt(step.desc)}")
            step(ctx)
        if case.start:
            ctx.start_gateway()
            ctx.wait_tap()
            ctx.configure_peer()
            ctx.wait_ready()
        for step in case.steps:
            ctx.log(f"== {ctx.fmt(step.desc)}")
            step(ctx)
            ctx.check_alive(f" during `{ctx.fmt(step.desc)}`")
    except CaseFailed as e:
        reasons.append(str(e))
    except CaseSkipped as e:
        skipped = str(e)
    except Interrupted:
        reasons.append("interrupted")
        raise
    except Exception:
        reasons.append("harness error:\n" + traceback.format_exc())
    finally:
        with critical():
            if ctx is not None:  # gateway-side reasons first: they explain step failures
                reasons = ctx.teardown() + reasons
            else:
                netns_delete(ns)
            if reasons:
                (logdir / "failure.txt").write_text("\n".join(reasons) + "\n")
            elif not args.keep_logs:
                shutil.rmtree(logdir, ignore_errors=True)
    if reasons:
        known = f"known bug ({case.bug}): " if case.bug else ""
        return "FAIL", known + "\n      and: ".join(reasons) + f"\n      logs: {logdir}"
    if skipped is not None:
        return "SKIP", skipped
    return "PASS", ", ".join(ctx.notes)


# ---------------------------------------------------------------- the run

def environment_problem(gateway):
    """Why end-to-end cases cannot run on this machine, or None."""
    if os.geteuid() != 0:
        return "not root (network namespaces and TAP need root)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    if shutil.which("ip") is None:
        return "no 'ip' command (iproute2)"
    probe = f"{NS_PREFIX}{os.getpid()}-probe"
    rc, out = ip("netns", "add", probe)
    if rc != 0:
        return f"'ip netns' does not work here: {out.strip()}"
    netns_delete(probe)
    if not (os.path.isfile(gateway) and os.access(gateway, os.X_OK)):
        return f"no gateway binary at {gateway} (build it first)"
    return None


def load_cases():
    """All steps.Case objects from cases/*.py, in file then list order."""
    cases = []
    for path in sorted((E2E_DIR / "cases").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"e2e_cases_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        cases += getattr(mod, "CASES", [])
    names = [c.name for c in cases]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        sys.exit(f"duplicate case names: {', '.join(sorted(dupes))}")
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", dest="select", metavar="SUBSTR",
                    help="run only cases whose name contains SUBSTR")
    ap.add_argument("--gateway", default=str(TOP / "build" / "gateway"),
                    help="gateway binary (default: build/gateway)")
    ap.add_argument("--keep-logs", action="store_true", help="keep logs of passed cases too")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every step and command")
    args = ap.parse_args()
    args.gateway = os.path.abspath(args.gateway)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    cases = [c for c in load_cases() if not args.select or args.select in c.name]
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}

    def report(status, name, detail):
        """PASS lines carry "(1.2s) [notes]"; FAIL/SKIP lines carry ": reason"."""
        counts[status] += 1
        print(f"PASS {name} {detail}" if status == "PASS" else f"{status} {name}: {detail}",
              flush=True)

    problem = None
    try:
        problem = environment_problem(args.gateway)
        if problem is None:
            remove_stale_namespaces()
        for n, case in enumerate(cases):
            missing = [c for c in case.needs if shutil.which(c) is None]
            if problem or missing:
                report("SKIP", case.name, problem or f"needs {', '.join(missing)}")
                continue
            if args.verbose:
                print(f"RUN  {case.name}", flush=True)
            t0 = time.monotonic()
            status, detail = run_case(case, n, args)
            took = f"({time.monotonic() - t0:.1f}s)"
            report(status, case.name,
                   f"{took}{' ' + detail if detail else ''}" if status == "PASS" else detail)
    except Interrupted as e:
        done = sum(counts.values())
        print(f"interrupted by signal {e.args[0]}", flush=True)
        for case in cases[done:]:
            if case is cases[done]:
                report("FAIL", case.name, f"interrupted\n      logs: {LOG_ROOT / case.name}")
            else:
                report("SKIP", case.name, "interrupted")
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped",
          flush=True)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
