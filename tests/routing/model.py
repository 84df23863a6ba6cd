#!/usr/bin/python3
"""An executable reading of the routing semantics, to check the case files themselves.

Usage: model.py route-test --config FILE --json METHOD URL [-H 'name: value']...

Prints the decision `gateway route-test --json` prints, computed in Python straight from
the semantics the conformance cases are written against (docs/TESTING.md, "Routing
conformance"), so that a case whose expectation contradicts another can be found without
the gateway:

    /usr/bin/python3 tests/routing/route_test.py --route-test '/usr/bin/python3 tests/routing/model.py route-test'

This is not the gateway's implementation and nothing runs it in production; when it and
the gateway disagree, the semantics decide which one is wrong.  Standard library only; HTTP
listeners only (httpRoute); the weighted split is not modelled (route-test prints targets).
"""

import json
import re
import sys
from urllib.parse import unquote

UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
HEX = set("0123456789abcdefABCDEF")


class BadPath(Exception):
    pass


def normalise(path):
    """Percent-decode unreserved characters, upper-case other escapes, remove dot segments
    (RFC 3986 5.2.4, never above the root), merge slashes."""
    out, i = [], 0
    while i < len(path):
        c = path[i]
        if c == "%":
            h = path[i + 1:i + 3]
            if len(h) != 2 or not set(h) <= HEX:
                raise BadPath(path)
            ch = chr(int(h, 16))
            out.append(ch if ch in UNRESERVED else "%" + h.upper())
            i += 3
        else:
            out.append(c)
            i += 1
    path = "".join(out)
    segs, res = path.split("/")[1:], []
    for k, s in enumerate(segs):
        last = k == len(segs) - 1
        if s == ".":
            if last:
                res.append("")
        elif s == "..":
            if res:
                res.pop()
            if last:
                res.append("")
        else:
            res.append(s)
    path = "/" + "/".join(res)
    return re.sub("/{2,}", "/", path)


def header_value(headers, name):
    vals = [v for n, v in headers if n.lower() == name.lower()]
    return ",".join(vals) if vals else None


def value_match(m, v):
    if "exact" in m:
        return v == m["exact"]
    if "prefix" in m:
        return v.startswith(m["prefix"])
    if "suffix" in m:
        return v.endswith(m["suffix"])
    if "regex" in m:
        return re.fullmatch(m["regex"], v) is not None
    if "range" in m:
        if not re.fullmatch(r"[-+]?[0-9]+", v):
            return False
        return m["range"]["start"] <= int(v) < m["range"]["end"]
    return True


def headers_match(specs, headers):
    for h in specs or []:
        v = header_value(headers, h["name"])
        if v is None:
            return False
        ok = value_match(h.get("match", {}), v)
        if h.get("invert", False):
            ok = not ok
        if not ok:
            return False
    return True


def query_match(specs, query):
    params = [p.partition("=") for p in query.split("&")] if query is not None else []
    for q in specs or []:
        first = next((p for p in params if p[0] == q["name"]), None)
        if first is None:
            return False
        if "match" in q and "exact" in q["match"] and unquote(first[2]) != q["match"]["exact"]:
            return False
    return True


def path_match(m, path):
    """('exact'|'prefix'|'regex'|None, matched) for the path parts of a match."""
    if "prefix" in m:
        return path.startswith(m["prefix"])
    p = m.get("path")
    if p and "exact" in p:
        return path == p["exact"]
    if p and "regex" in p:
        return re.fullmatch(p["regex"], path) is not None
    return True


def order_key(spec, index):
    m = spec[kind_of(spec)]["match"]
    if "prefix" in m:
        cls, length = 1, -len(m["prefix"])
    elif "exact" in m.get("path", {}):
        cls, length = 0, 0
    elif "regex" in m.get("path", {}):
        cls, length = 2, 0
    else:
        cls, length = 3, 0
    pri = spec.get("priority")
    return (0 if pri is not None else 1, pri or 0, cls, length, index)


def kind_of(spec):
    return "httpRoute"


def rewrite_prefix(path, prefix, repl):
    rest = path[len(prefix):]
    if repl.endswith("/") and rest.startswith("/"):
        rest = rest[1:]
    return repl + rest


def find(items, key, name):
    return next(x for x in items if x[key] == name)


def main(argv):
    if len(argv) < 2 or argv[1] != "route-test":
        print("usage: model.py route-test --config FILE --json METHOD URL [-H 'n: v']...",
              file=sys.stderr)
        return 2
    args, headers = argv[2:], []
    cfg_path = args[args.index("--config") + 1]
    rest = [a for i, a in enumerate(args) if a not in ("--config", "--json")
            and (i == 0 or args[i - 1] != "--config")]
    method, url = rest[0], rest[1]
    i = 2
    while i < len(rest):
        assert rest[i] == "-H"
        n, _, v = rest[i + 1].partition(":")
        headers.append((n.strip(), v.strip()))
        i += 2
    cfg = json.load(open(cfg_path, encoding="utf-8"))
    print(json.dumps(decide(cfg, method, url, headers)))
    return 0


def decide(cfg, method, url, headers):
    """The decision for <method> <url> with <headers> [(name, value)] under <cfg>."""
    lport = cfg["virtualGateway"]["spec"]["listeners"][0]["portMapping"]["port"]
    u = url[len("http://"):]
    cut = min([k for k in (u.find("/"), u.find("?")) if k >= 0] or [len(u)])
    authority, target = u[:cut], u[cut:]
    h, sep, p = authority.rpartition(":")
    port = int(p) if sep and p.isdigit() else lport
    host = h if sep and p.isdigit() else authority
    raw_path, qs, query = target.partition("?")
    query = query if qs else None
    dec = {k: None for k in ("gatewayRoute", "virtualService", "virtualRouter", "route")}
    dec.update(status=404, targets=[], host=None, path=None)
    try:
        path = normalise(raw_path)
    except BadPath:
        dec["status"] = 400
        return dec
    grs = sorted(enumerate(cfg.get("gatewayRoutes", [])),
                 key=lambda e: order_key(e[1]["spec"], e[0]))
    chosen = None
    for _, g in grs:
        m = g["spec"]["httpRoute"]["match"]
        if not path_match(m, path):
            continue
        hm = m.get("hostname")
        if hm and "exact" in hm and host.lower() != hm["exact"].lower():
            continue
        if hm and "suffix" in hm and not host.lower().endswith(hm["suffix"].lower()):
            continue
        if "method" in m and m["method"] != method:
            continue
        if "port" in m and m["port"] != port:
            continue
        if not headers_match(m.get("headers"), headers) or not query_match(
                m.get("queryParameters"), query):
            continue
        chosen = g
        break
    if chosen is None:
        return dec
    spec = chosen["spec"]["httpRoute"]
    m, action = spec["match"], spec["action"]
    rw = action.get("rewrite", {})
    vsname = action["target"]["virtualService"]["virtualServiceName"]
    dec.update(gatewayRoute=chosen["gatewayRouteName"], virtualService=vsname)
    new_host = authority
    if rw.get("hostname", {}).get("defaultTargetHostname", "ENABLED") == "ENABLED":
        new_host = vsname
    new_path = path
    if "prefix" in m:
        pr = rw.get("prefix", {})
        if "value" in pr:
            new_path = rewrite_prefix(path, m["prefix"], pr["value"])
        elif pr.get("defaultPrefix", "ENABLED") == "ENABLED":
            new_path = rewrite_prefix(path, m["prefix"], "/")
    elif "path" in rw:
        new_path = rw["path"]["exact"]
    full = new_path + ("?" + query if query is not None else "")
    vs = find(cfg["virtualServices"], "virtualServiceName", vsname)
    prov = vs["spec"]["provider"]
    tport = action["target"].get("port")
    if "virtualNode" in prov:
        n = find(cfg["virtualNodes"], "virtualNodeName", prov["virtualNode"]["virtualNodeName"])
        lp = tport or n["spec"]["listeners"][0]["portMapping"]["port"]
        dec.update(status=200, targets=[{"virtualNode": n["virtualNodeName"], "weight": 100,
                                         "port": lp}], host=new_host, path=full)
        return dec
    rname = prov["virtualRouter"]["virtualRouterName"]
    rtr = find(cfg["virtualRouters"], "virtualRouterName", rname)
    rport = tport or rtr["spec"]["listeners"][0]["portMapping"]["port"]
    dec["virtualRouter"] = rname
    routes = [r for r in cfg.get("routes", []) if r["virtualRouterName"] == rname]
    for _, r in sorted(enumerate(routes), key=lambda e: order_key(e[1]["spec"], e[0])):
        rm = r["spec"]["httpRoute"]["match"]
        if rm.get("port", rport) != rport or not path_match(rm, new_path):
            continue
        if "method" in rm and rm["method"] != method:
            continue
        if not headers_match(rm.get("headers"), headers) or not query_match(
                rm.get("queryParameters"), query):
            continue
        targets = []
        for t in r["spec"]["httpRoute"]["action"]["weightedTargets"]:
            n = find(cfg["virtualNodes"], "virtualNodeName", t["virtualNode"])
            targets.append({"virtualNode": t["virtualNode"], "weight": t["weight"],
                            "port": t.get("port", n["spec"]["listeners"][0]["portMapping"]["port"])})
        dec.update(status=200, route=r["routeName"], targets=targets, host=new_host, path=full)
        return dec
    return dec


if __name__ == "__main__":
    sys.exit(main(sys.argv))
