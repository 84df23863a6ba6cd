#!/usr/bin/python3
"""What JWT authentication costs per request through the gateway: `make bench-jwt`
(docs/JWT.md, "Cost").

Usage: /usr/bin/python3 tools/bench/bench_jwt.py --gateway build/gateway [--quick]

Reuses tools/bench/bench.py's namespace, nginx upstream and gateway start (TLS listener, the
gateway pinned to its own CPU, clients on the other).  The configuration has three gateway
routes to the same nginx: /open (no requirement), /rs (an RS256 2048-bit JWKS provider) and
/es (an ES256 provider).  Phases at the same fixed offered rate (h2load, keep-alive HTTPS),
the token in the access_token query parameter:

  open          no token, no check: the baseline
  rs-cached     one RS256 token repeated: the verified-token cache answers
  rs-uncached   a different RS256 token on every request (more tokens than the run sends and
                than the cache holds): a signature verification per request
  es-cached, es-uncached   the same with ES256

CPU per request is the gateway worker's busy cycles (its own accounting, /stats) divided by
the 2xx responses, best of several rounds (phases interleaved); the JWT cost of a phase is its
CPU per request minus the baseline's.  The
verified-token cache counters (/metrics) are checked so that an "uncached" phase really missed.
The p50 latency at this low rate is a second view that preemption disturbs less: its
difference to the baseline is the time the verification adds to a request.  Writes
WORK/jwt-results.json and prints a table.  Exits 77 (skip) without root, nginx, h2load.
"""
import argparse
import json
import os
import re
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as B  # noqa: E402


class JwtBench(B.Bench):
    def make_jwt(self):
        import jwt as pyjwt
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from jwcrypto import jwk
        n = 1300 if self.quick else 4300
        now = int(time.time())
        self.tokens = {}
        for name, alg, key in (("rs", "RS256", rsa.generate_private_key(65537, 2048)),
                               ("es", "ES256", ec.generate_private_key(ec.SECP256R1()))):
            k = json.loads(jwk.JWK.from_pyca(key.public_key()).export_public())
            k.update(kid=name, alg=alg, use="sig")
            (self.work / f"jwks-{name}.json").write_text(json.dumps({"keys": [k]}))
            self.tokens[name] = [
                pyjwt.encode({"iss": "https://idp.example.com", "aud": "api://gateway",
                              "sub": "bench", "jti": str(i), "iat": now, "exp": now + 86400},
                             key, algorithm=alg, headers={"kid": name}) for i in range(n)]
        self.token = self.tokens["rs"][0]

    def gateway_config(self, jwt, idle100k=False):
        cfg = super().gateway_config(False)
        del cfg["appliance"]["proxy"]["staticUpstream"]
        cfg["appliance"]["endpoints"] = {"web": [{"address": B.UP, "port": B.UPSTREAM}]}
        prov = {"issuer": "https://idp.example.com", "audiences": ["api://gateway"],
                "claimToHeaders": [{"headerName": "x-jwt-sub", "claimName": "sub"}]}
        cfg["appliance"]["jwt"] = {
            "cacheEntries": 1024,
            "providers": {n: {**prov, "jwks": {"file": str(self.work / f"jwks-{n}.json")}}
                          for n in ("rs", "es")},
            "routes": {"rs": {"providers": ["rs"]}, "es": {"providers": ["es"]}}}
        cfg["gatewayRoutes"] = [
            {"gatewayRouteName": n, "spec": {"httpRoute": {
                "match": {"prefix": f"/{n}/"},
                "action": {"target": {"virtualService": {"virtualServiceName": "web.local"}},
                           "rewrite": {"prefix": {"value": "/"}}}}}}
            for n in ("open", "rs", "es")]
        cfg["virtualServices"] = [{"virtualServiceName": "web.local", "spec": {
            "provider": {"virtualNode": {"virtualNodeName": "web"}}}}]
        cfg["virtualNodes"] = [{"virtualNodeName": "web", "spec": {"listeners": [
            {"portMapping": {"port": B.UPSTREAM, "protocol": "http"}}]}}]
        return cfg

    def cache_counters(self):
        rc, out = self.curl(f"http://{B.GW}:{B.ADMIN}/metrics")
        return {e: int(v) for e, v in re.findall(
            r'^meshgate_jwt_cache_total\{event="(\w+)"\} (\d+)$', out, re.M)}

    def load(self, uris, tag, conns, per, secs):
        f = self.work / f"uris-{tag}.txt"
        f.write_text("".join(f"https://{B.HOST}:{B.GW_TLS}{u}\n" for u in uris))
        logf = self.work / f"h2load-{tag}.log"
        argv = ["h2load", "--h1", f"--connect-to={B.GW}:{B.GW_TLS}", f"--log-file={logf}",
                "-c", str(conns), f"--rps={per}", "-D", str(secs), "-i", str(f)]
        p = self.nsrun(argv, 600)
        st = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", p.stdout)
        lat = sorted(int(ln.split()[2]) for ln in logf.read_text().splitlines()
                     if len(ln.split()) >= 3 and ln.split()[1] == "200") if logf.exists() else []
        return {"2xx": int(st.group(1)) if st else 0, "4xx": int(st.group(3)) if st else 0,
                "p50_ms": lat[len(lat) // 2] / 1000 if lat else None,
                "p99_ms": lat[int(0.99 * len(lat))] / 1000 if lat else None}

    def run(self):
        proc, why = self.start_gateway(jwt=True)
        if proc is None:
            raise RuntimeError(f"gateway refused the configuration: {why}")
        # One connection: h2load walks the URI list from its start in every client, so several
        # clients would send the same tokens.  200 requests/s keeps an uncached ES256 (~1-3 ms)
        # well below a full core.
        conns, per = 1, 200
        rounds, secs = (2, 3) if self.quick else (4, 5)
        per_round = per * secs + 50
        q = "/small.txt?access_token="
        res = {}
        self.load(["/open/small.txt"], "warm", conns, per, 2)
        # Rounds of every phase in turn; a phase's figure is its best round: busy cycles are
        # wall-clock, so a round in which the worker was preempted (a shared machine) reads
        # high, never low.
        for rnd in range(rounds):
            fresh = slice(1 + rnd * per_round, 1 + (rnd + 1) * per_round)
            phases = [("open", ["/open/small.txt"]),
                      ("rs-cached", ["/rs" + q + self.tokens["rs"][0]]),
                      ("rs-uncached", ["/rs" + q + t for t in self.tokens["rs"][fresh]]),
                      ("es-cached", ["/es" + q + self.tokens["es"][0]]),
                      ("es-uncached", ["/es" + q + t for t in self.tokens["es"][fresh]])]
            for tag, uris in phases:
                c0 = self.cache_counters()
                r = self.measure("meshgate", self.gw_cpu,
                                 lambda: self.load(uris, tag, conns, per, secs))
                c1 = self.cache_counters()
                r["cache"] = {k: c1.get(k, 0) - c0.get(k, 0) for k in ("hit", "miss")}
                r["cpu_us_per_req"] = r["cpu_s"] / max(1, r["2xx"]) * 1e6
                B.log(f"round {rnd + 1} {tag}: {r['2xx']} 2xx, {r['4xx']} 4xx, "
                      f"{r['cpu_us_per_req']:.1f} µs/request, cache {r['cache']}, "
                      f"p50 {r['p50_ms']} ms")
                best = res.get(tag)
                r["rounds"] = (best["rounds"] if best else []) + [r["cpu_us_per_req"]]
                r["4xx"] += best["4xx"] if best else 0
                r["cache"]["hit"] += best["cache"]["hit"] if best else 0
                if best is None or r["cpu_us_per_req"] < best["cpu_us_per_req"]:
                    res[tag] = r
                else:
                    best.update(rounds=r["rounds"], cache=r["cache"], **{"4xx": r["4xx"]})
        self.stop(proc)
        return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--work", default=str(B.TOP / "build/bench-jwt"))
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    args.out = args.work
    missing = [c for c in ("nginx", "h2load", "ip", "taskset", "curl") if shutil.which(c) is None]
    if os.geteuid() != 0:
        missing.append("root")
    if missing or not os.path.exists(args.gateway):
        print(f"SKIP bench-jwt: needs {', '.join(missing) or args.gateway}")
        return 77
    resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
    b = JwtBench(args)
    try:
        b.setup()
        res = b.run()
    finally:
        b.teardown()
    base = res["open"]["cpu_us_per_req"]
    print("\n| phase | CPU µs/request (best round) | JWT cost µs/request | all rounds | p50 ms | "
          "p50 − open, ms |")
    print("|---|---|---|---|---|---|")
    for tag, r in res.items():
        cost = "—" if tag == "open" else f"{r['cpu_us_per_req'] - base:.1f}"
        rounds = ", ".join(f"{x:.0f}" for x in r["rounds"])
        dl = "—" if tag == "open" else f"{r['p50_ms'] - res['open']['p50_ms']:+.3f}"
        print(f"| {tag} | {r['cpu_us_per_req']:.1f} | {cost} | {rounds} | {r['p50_ms']} | {dl} |")
    (Path(args.work) / "jwt-results.json").write_text(json.dumps(res, indent=1))
    bad = [t for t, r in res.items() if r["4xx"] or (t.endswith("uncached") and r["cache"]["hit"])]
    if bad:
        print(f"bench-jwt: phases with refusals or cache hits where none were expected: {bad}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
