"""Several shared-nothing workers (docs/PERFORMANCE.md, "Multi-core"): with
appliance.dataplane.workers = 2 the gateway runs two worker processes, each with its own
lwIP, attached to one queue each of the same multi-queue TAP.  The kernel spreads client
connections over the queues; each worker opens its own connections to the upstream (nginx)
and the responses to them come back to the worker that opened them.  /metrics and /stats sum
the workers' counters and keep the per-worker ones apart.
"""

import json
import os
import re
import shutil
import subprocess
import time

from steps import (BASE_CONFIG, Case, CaseSkipped, Step, curl, fail, gateway_rejects, nginx,
                   sh)

WORKERS2 = {
    "virtualGateway": {
        "virtualGatewayName": "ingress",
        "spec": {"listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}]},
    },
    "appliance": {
        "proxy": {"staticUpstream": {"address": "10.99.0.1", "port": 8080}},
        "dataplane": {"workers": 2},
    },
}

N = 40  # client connections, each from a new source port


def requests(n, desc):
    # One curl per request: a new connection (new source port, new flow hash) each time.
    script = (f"for i in $(seq {n}); do curl -sS --max-time 5 -o /dev/null "
              "-w '%{http_code} %{size_download}\\n' http://{gw}:8080/f1k.bin; done")
    want = rf"\A(200 1024\n){{{n}}}\Z"
    return sh("sh", "-c", script, stdout=want, timeout=120, desc=desc)


def per_worker(text):
    return {int(w): int(v) for w, v in re.findall(
        r'^meshgate_worker_requests_total\{worker="(\d+)"\} (\d+)$', text, re.M)}


def both_workers_served(total):
    def step(ctx, desc):
        deadline = time.monotonic() + 5  # snapshots are at most 250 ms old
        while True:
            rc, out, err = curl(ctx, ctx.fmt("http://{gw}:{admin}/metrics"))
            if rc != 0:
                fail(f"{desc}: GET /metrics failed", err)
            got = per_worker(out)
            summed = re.search(r'^meshgate_responses_total\{code_class="2xx"\} (\d+)$', out, re.M)
            ok = (sorted(got) == [0, 1] and all(v > 0 for v in got.values())
                  and sum(got.values()) >= total and summed and int(summed.group(1)) >= total)
            if ok:
                ctx.log(f"requests per worker: {got}; 2xx summed: {summed.group(1)}")
                ctx.notes.append(f"requests per worker {got}")
                break
            if time.monotonic() > deadline:
                fail(f"{desc}: per-worker requests {got}, 2xx summed "
                     f"{summed.group(1) if summed else None}; want both > 0 and sum >= {total}")
            time.sleep(0.3)
        rc, out, err = curl(ctx, ctx.fmt("http://{gw}:{admin}/stats"))
        if rc != 0:
            fail(f"{desc}: GET /stats failed", err)
        st = json.loads(out)
        ws = st.get("workers", [])
        if sorted(w["index"] for w in ws) != [0, 1] or any(w["requests"] == 0 for w in ws):
            fail(f"{desc}: /stats workers {ws}")
        if st["proxy"]["requests"] < sum(w["requests"] for w in ws):
            fail(f"{desc}: /stats proxy.requests {st['proxy']['requests']} is not the sum of "
                 f"{[w['requests'] for w in ws]}")
    return Step(f"both workers served requests; /metrics and /stats sum them (>= {total})",
                step)


def promtool_accepts_summed_metrics():
    def step(ctx, desc):
        rc, out, err = curl(ctx, ctx.fmt("http://{gw}:{admin}/metrics"))
        if rc != 0:
            fail(f"{desc}: GET /metrics failed", err)
        if shutil.which("promtool") is None:
            ctx.notes.append("promtool missing: summed /metrics not linted")
            return
        p = subprocess.run(["promtool", "check", "metrics"], input=out, capture_output=True,
                           text=True, timeout=30)
        if p.returncode != 0:
            fail(f"{desc}: promtool check metrics rc={p.returncode}", p.stdout + p.stderr)
    return Step("promtool accepts the summed /metrics", step)


def pause(s):
    return Step(f"wait {s} s (longer than the TAP's 3 s flow-table ageing)",
                lambda ctx, desc: time.sleep(s))


CASES = [
    Case("multicore_two_workers_spread_and_proxy", config=WORKERS2, needs=("curl", "nginx"),
         steps=[
             nginx(8080, files={"f1k.bin": 1024}),
             requests(N, f"{N} proxied requests, one connection each: all 200 with the body"),
             both_workers_served(N),
             promtool_accepts_summed_metrics(),
             # Pooled upstream connections idle past the kernel's flow-table ageing: the
             # worker's request refreshes the entry, so the response still comes back to it.
             pause(4),
             requests(20, "20 more after the pause: all 200"),
             both_workers_served(N + 20),
             sh("curl", "-sS", "--max-time", "5", "-X", "POST", "http://{gw}:{admin}/reload",
                stdout=r"generation 2", desc="POST /reload reloads every worker"),
         ]),
]

def worker_death_stops_the_gateway(within=5.0, victim=-1):
    """SIGKILL one worker (<victim>: its index; -1 the last): the supervisor stops the other
    and exits with status 1."""
    def step(ctx, desc):
        kids = subprocess.run(["pgrep", "-P", str(ctx.gw.pid)], capture_output=True,
                              text=True).stdout.split()
        if len(kids) != 2:
            fail(f"{desc}: the gateway (pid {ctx.gw.pid}) has worker processes {kids}")
        # Worker k's pid, from the supervisor's "2 workers ready (pids A..B)".
        m = re.search(r"2 workers ready \(pids (\d+)\.\.(\d+)\)", ctx.gateway_output())
        if m:
            kids = [m.group(1), m.group(2)]
        ctx.stopped = True  # it exits on purpose now
        killed = kids[victim]
        kids = [k for k in kids if k != killed] + [killed]
        subprocess.run(["kill", "-KILL", killed])
        try:
            rc = ctx.gw.wait(timeout=within)
        except subprocess.TimeoutExpired:
            fail(f"{desc}: the gateway still runs {within:g} s after a worker was killed")
        if rc != 1:
            fail(f"{desc}: exit status {rc}, expected 1", ctx.gateway_output())
        left = subprocess.run(["pgrep", "-P", str(ctx.gw.pid)], capture_output=True,
                              text=True).stdout.split()
        if any(subprocess.run(["kill", "-0", k], capture_output=True).returncode == 0
               for k in kids[:-1]):
            fail(f"{desc}: worker {kids[0]} outlived the supervisor {left}")
    return Step(f"a killed worker ({'the last' if victim < 0 else victim}) stops the gateway: "
                "exit status 1, no worker left", step)


MINIMAL2 = {"appliance": {"dataplane": {"workers": 2}}}

# Several worker processes can share only a TAP here; other devices are refused at start.
AF_PACKET2 = {"appliance": dict(BASE_CONFIG["appliance"], interfaces=[dict(
    BASE_CONFIG["appliance"]["interfaces"][0], device="net_af_packet0,iface=lo")],
    dataplane={"workers": 2})}

CASES += [
    Case("multicore_worker_death_stops_all", config=MINIMAL2, steps=[
        worker_death_stops_the_gateway(),
    ]),
    Case("multicore_refuses_non_tap_devices", start=False, needs=(), steps=[
        gateway_rejects(AF_PACKET2, r"workers 2: interface data0 is not a net_tap device",
                        name="af_packet-2-workers"),
    ]),
]


# ---------------------------------------------------------------- DPDK primary + secondary

# With free hugepages (and hugetlbfs mounted) the gateway runs its workers as DPDK processes:
# worker 0 the primary (it configures the TAP with 2 queue pairs), worker 1 a secondary that
# attaches to queue 1 through EAL's IPC (the TAP PMD hands it the queue's descriptor).  The
# kernel's multi-queue flow hash steers as in the cases above (TAP has no RSS here).
HUGEPAGES = 256  # 2 MiB each: both workers' mempools (dataplane.mbufs each) and EAL's heap
NR_HUGEPAGES = "/proc/sys/vm/nr_hugepages"
HUGE_MNT = "/dev/hugepages"


def meminfo(key):
    with open("/proc/meminfo") as f:
        m = re.search(rf"^{key}:\s+(\d+)", f.read(), re.M)
    return int(m.group(1)) if m else 0


def hugetlbfs_mounts():
    with open("/proc/mounts") as f:
        return [w[1] for w in (line.split() for line in f) if len(w) > 2 and w[2] == "hugetlbfs"]


def eal_hugepage_files(prefix):
    return [f"{d}/{f}" for d in hugetlbfs_mounts() if os.path.isdir(d)
            for f in os.listdir(d) if f.startswith(prefix + "map_")]


def reserve_hugepages(n=HUGEPAGES):
    """Reserve <n> more 2 MiB hugepages (and mount hugetlbfs if none is) for this case only:
    the gateways of other cases and other sessions choose their EAL mode by whether hugepages
    are free, so the previous count (and mount state) comes back at teardown, on failure too."""
    def step(ctx, desc):
        try:
            with open(NR_HUGEPAGES) as f:
                before = int(f.read())
        except OSError as e:
            raise CaseSkipped(f"hugepages cannot be reserved here: {e}")
        mounted_here = False

        def restore_hugepages():
            # The gateway has exited, and its supervisor removed EAL's hugepage files; if it
            # was killed before it could, they would keep their pages: remove them here.
            if ctx.gw is not None:
                for path in eal_hugepage_files(f"mg{ctx.gw.pid}"):
                    os.unlink(path)
                shutil.rmtree(f"/var/run/dpdk/mg{ctx.gw.pid}", ignore_errors=True)
            with open(NR_HUGEPAGES, "w") as f:
                f.write(str(before))
            if mounted_here:
                subprocess.run(["umount", HUGE_MNT], capture_output=True, timeout=10)
            ctx.log(f"nr_hugepages restored to {before}; HugePages_Free "
                    f"{meminfo('HugePages_Free')}")
        ctx.cleanups.append(restore_hugepages)
        try:
            with open(NR_HUGEPAGES, "w") as f:
                f.write(str(before + n))
        except OSError as e:
            raise CaseSkipped(f"hugepages cannot be reserved here: {e}")
        free = meminfo("HugePages_Free")
        # (Pages other processes hold as surplus join the pool and stay theirs.)
        if free < n // 2:
            raise CaseSkipped(f"hugepages cannot be reserved here: asked {n} more, "
                              f"{free} free")
        if not hugetlbfs_mounts():
            os.makedirs(HUGE_MNT, exist_ok=True)
            r = subprocess.run(["mount", "-t", "hugetlbfs", "nodev", HUGE_MNT],
                               capture_output=True, text=True, timeout=10)
            if r.returncode != 0:
                raise CaseSkipped(f"cannot mount hugetlbfs on {HUGE_MNT}: {r.stderr.strip()}")
            mounted_here = True
        ctx.saved["huge_free"] = free
        ctx.log(f"nr_hugepages {before} -> {before + n}; HugePages_Free {free}")
    return Step(f"reserve {n} hugepages for this case (restored at teardown)", step)


def hold_spare_hugepages():
    """Other gateways on this machine (other sessions' tests) start in --in-memory mode while
    hugepages are free, and take some: once both workers are up, the pages they did not take
    are held by a file on hugetlbfs until teardown, which shortens that window to the
    gateway's start."""
    def step(ctx, desc):
        mounts = hugetlbfs_mounts()
        free = meminfo("HugePages_Free")
        if not mounts or free == 0:
            return
        path = os.path.join(mounts[0], f"mg-e2e-hold-{os.getpid()}")

        def release_spare_hugepages():
            if os.path.exists(path):
                os.unlink(path)
        ctx.cleanups.append(release_spare_hugepages)
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            os.posix_fallocate(fd, 0, free * meminfo("Hugepagesize") * 1024)
        except OSError as e:
            ctx.log(f"holding {free} spare hugepages: {e}")
        finally:
            os.close(fd)
        ctx.log(f"holding {free} spare hugepages; HugePages_Free now "
                f"{meminfo('HugePages_Free')}")
    return Step("hold the hugepages the workers did not take (until teardown)", step)


def runs_as_dpdk_processes():
    def step(ctx, desc):
        out = ctx.gateway_output()
        for want in (r"DPDK primary \(worker 0\) and secondary processes",
                     r"attached \(secondary process\): queue 1 of 2",
                     r"\(0, net_tap\): 2 queue pairs, RSS not available"):
            if not re.search(want, out):
                fail(f"{desc}: no /{want}/ in the gateway's output", out)
        kids = subprocess.run(["pgrep", "-P", str(ctx.gw.pid)], capture_output=True,
                              text=True).stdout.split()
        prefix = f"mg{ctx.gw.pid}"
        if not os.path.isdir(f"/var/run/dpdk/{prefix}"):
            fail(f"{desc}: no EAL runtime directory /var/run/dpdk/{prefix}")
        files = eal_hugepage_files(prefix)
        if not files:
            fail(f"{desc}: no hugepage files {prefix}map_* in {hugetlbfs_mounts()}")
        ctx.log(f"workers {kids}; {len(files)} hugepage files {prefix}map_*; HugePages_Free "
                f"{meminfo('HugePages_Free')} of {ctx.saved['huge_free']}")
    return Step("the workers are a DPDK primary and a secondary (2 queue pairs, hugepages)",
                step)


def eal_files_removed():
    # (Not HugePages_Free: other sessions' gateways start in --in-memory mode while hugepages
    # are free, and take some.)
    def step(ctx, desc):
        prefix = f"mg{ctx.gw.pid}"
        left = eal_hugepage_files(prefix)
        if left or os.path.exists(f"/var/run/dpdk/{prefix}"):
            fail(f"{desc}: EAL files left: {left[:4]}, runtime directory "
                 f"{os.path.exists(f'/var/run/dpdk/{prefix}')}")
    return Step("the supervisor removed EAL's hugepage files and runtime directory", step)


def arp_shared_between_workers():
    """ARP reaches one queue; the worker that got it copies it to the other (over a ring)."""
    def step(ctx, desc):
        deadline = time.monotonic() + 5  # snapshots are at most 250 ms old
        while True:
            rc, out, err = curl(ctx, ctx.fmt("http://{gw}:{admin}/stats"))
            if rc != 0:
                fail(f"{desc}: GET /stats failed", err)
            itf = json.loads(out)["ports"][0]
            if itf.get("arp_shared", 0) > 0 and itf.get("arp_from_workers", 0) > 0:
                break
            if time.monotonic() > deadline:
                fail(f"{desc}: /stats ports[0] {itf}")
            time.sleep(0.3)
        rc, out, err = curl(ctx, ctx.fmt("http://{gw}:{admin}/metrics"))
        m = re.search(r'^meshgate_port_arp_share_dropped_total\{[^}]*\} (\d+)$', out, re.M)
        if not m or int(m.group(1)) != 0:
            fail(f"{desc}: meshgate_port_arp_share_dropped_total {m and m.group(0)}")
        ctx.log(f"ARP frames shared {itf['arp_shared']}, taken from the other worker "
                f"{itf['arp_from_workers']} (summed)")
    return Step("ARP frames were copied between the workers, none lost", step)


MPROC2 = dict(WORKERS2, appliance=dict(WORKERS2["appliance"],
                                       dataplane={"workers": 2, "mbufs": 16384}))

CASES += [
    Case("multicore_mproc_primary_secondary", config=MPROC2, needs=("curl", "nginx"),
         setup=[reserve_hugepages()],
         steps=[
             hold_spare_hugepages(),
             runs_as_dpdk_processes(),
             nginx(8080, files={"f1k.bin": 1024}),
             requests(N, f"{N} proxied requests, one connection each: all 200 with the body"),
             both_workers_served(N),
             arp_shared_between_workers(),
             promtool_accepts_summed_metrics(),
             pause(4),
             requests(20, "20 more after the pause: all 200"),
             both_workers_served(N + 20),
             sh("curl", "-sS", "--max-time", "5", "-X", "POST", "http://{gw}:{admin}/reload",
                stdout=r"generation 2", desc="POST /reload reloads every worker"),
             worker_death_stops_the_gateway(),
             eal_files_removed(),
         ]),
]

CASES += [
    # The primary dies: the secondary is stopped too, and EAL's files are still removed.
    Case("multicore_mproc_primary_death_stops_all", config=MPROC2, setup=[reserve_hugepages()],
         steps=[
             hold_spare_hugepages(),
             runs_as_dpdk_processes(),
             worker_death_stops_the_gateway(victim=0),
             eal_files_removed(),
         ]),
]
