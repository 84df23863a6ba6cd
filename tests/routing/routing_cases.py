"""The routing conformance cases (tests/routing/cases/*.json): loading, checking, comparing.

Shared by the route-test runner (route_test.py), the end-to-end case
(tests/e2e/cases/routing.py) and its client (tests/e2e/clients/routing_check.py), so that
the three read the case files the same way.  Python 3 standard library only.

A case file is one JSON object:

  {
    "description": "what the file covers",
    "config": { <gatewayRoutes, virtualServices, virtualRouters, routes, virtualNodes,
                 appliance.endpoints: exactly as in a gateway configuration> },
    "requests": [
      { "name": "unique within the file",
        "method": "GET",                          (default GET)
        "url": "http://host[:port]/path?query",   (sent as written: Host is host[:port])
        "headers": [["name", "value"], ...],      (optional; repeat a name to send it twice)
        "expect": { "status": 200, "gatewayRoute": ..., "virtualService": ...,
                    "virtualRouter": ..., "route": ...,
                    "targets": [{"virtualNode": ..., "weight": ..., "port": ...}],
                    "host": ..., "path": ... } }
    ]
  }

"config" is deep-merged over tests/routing/base.json (the appliance and a virtual gateway
with one http listener on 8080; a case may replace the listener through "virtualGateway", e.g.
to give it the grpc protocol).  An "expect" with status 200 must give every key of the
decision; otherwise "status" is required and the other keys are compared when given.
"""

import copy
import json
from pathlib import Path

ROUTING_DIR = Path(__file__).resolve().parent
CASES_DIR = ROUTING_DIR / "cases"
BASE_FILE = ROUTING_DIR / "base.json"

# The keys of route-test's JSON decision, in the order they are reported.
DECISION_KEYS = ("status", "gatewayRoute", "virtualService", "virtualRouter", "route",
                 "targets", "host", "path")
CONFIG_KEYS = ("appliance", "mesh", "gatewayRoutes", "virtualServices", "virtualRouters",
               "routes", "virtualNodes", "virtualGateway")
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")


class CaseError(Exception):
    """A case file is malformed; the message names the file and the place."""


def deep_merge(base, over):
    """Return <base> with <over> merged in: dicts recursively, anything else replaced."""
    out = copy.deepcopy(base)
    for key, val in over.items():
        if isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], val)
        else:
            out[key] = copy.deepcopy(val)
    return out


def base_config():
    return json.loads(BASE_FILE.read_text(encoding="utf-8"))


def listener_port(config):
    return config["virtualGateway"]["spec"]["listeners"][0]["portMapping"]["port"]


class Request:
    """One request of a case file and its expected decision."""

    def __init__(self, casefile, index, raw, port):
        where = f"{casefile.path.name}: requests[{index}]"
        if not isinstance(raw, dict):
            raise CaseError(f"{where}: not an object")
        unknown = set(raw) - {"name", "method", "url", "headers", "expect"}
        if unknown:
            raise CaseError(f"{where}: unknown keys {sorted(unknown)}")
        self.name = raw.get("name")
        if not isinstance(self.name, str) or not self.name:
            raise CaseError(f"{where}: missing name")
        where = f"{casefile.path.name}: {self.name!r}"
        self.id = f"{casefile.name}: {self.name}"
        self.method = raw.get("method", "GET")
        if self.method not in METHODS:
            raise CaseError(f"{where}: method {self.method!r} is not an App Mesh method")
        self.url = raw.get("url")
        if not isinstance(self.url, str) or not self.url.startswith("http://"):
            raise CaseError(f"{where}: url must start with http://")
        rest = self.url[len("http://"):]
        cut = min([i for i in (rest.find("/"), rest.find("?")) if i >= 0] or [len(rest)])
        self.authority, self.target = rest[:cut], rest[cut:]
        if not self.authority or not self.target.startswith("/"):
            raise CaseError(f"{where}: url needs a host and an absolute path")
        host, sep, p = self.authority.rpartition(":")
        if sep and host and p.isdigit() and int(p) != port:
            # The only listener is the gateway's; the end-to-end run can only reach it.
            raise CaseError(f"{where}: url port {p} is not the listener port {port}")
        self.headers = raw.get("headers", [])
        if not isinstance(self.headers, list) or not all(
                isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h)
                and h[0] and h[0].lower() != "host" for h in self.headers):
            raise CaseError(f"{where}: headers must be [[name, value], ...] (Host comes "
                            "from the url)")
        self.expect = raw.get("expect")
        if not isinstance(self.expect, dict) or not isinstance(self.expect.get("status"), int):
            raise CaseError(f"{where}: expect.status is required")
        unknown = set(self.expect) - set(DECISION_KEYS)
        if unknown:
            raise CaseError(f"{where}: expect has unknown keys {sorted(unknown)}")
        if self.expect["status"] == 200:
            missing = [k for k in DECISION_KEYS if k not in self.expect]
            if missing:
                raise CaseError(f"{where}: a forwarded request must expect every key "
                                f"(missing {missing})")
            targets = self.expect["targets"]
            if not isinstance(targets, list) or not targets or not all(
                    isinstance(t, dict) and set(t) == {"virtualNode", "weight", "port"}
                    for t in targets):
                raise CaseError(f"{where}: targets must be a non-empty list of "
                                "{virtualNode, weight, port}")
            if not any(t["weight"] > 0 for t in targets):
                raise CaseError(f"{where}: no target has a weight above 0")

    def route_test_args(self):
        """METHOD URL [-H 'name: value'...] as route-test takes them."""
        args = [self.method, self.url]
        for name, value in self.headers:
            args += ["-H", f"{name}: {value}"]
        return args

    def chosen_targets(self):
        """The (virtualNode, port) pairs a forwarded request may go to (weight above 0)."""
        return [(t["virtualNode"], t["port"]) for t in self.expect["targets"] if t["weight"] > 0]


class CaseFile:
    """One case file: its merged configuration and its requests."""

    def __init__(self, path):
        self.path = Path(path)
        self.name = self.path.stem
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise CaseError(f"{self.path.name}: {e}") from None
        if not isinstance(raw, dict) or set(raw) - {"description", "config", "requests"}:
            raise CaseError(f"{self.path.name}: expected an object with description, config "
                            "and requests")
        self.description = raw.get("description", "")
        cfg = raw.get("config")
        if not isinstance(cfg, dict) or set(cfg) - set(CONFIG_KEYS):
            raise CaseError(f"{self.path.name}: config must be an object with only "
                            f"{', '.join(CONFIG_KEYS)}")
        self.config = deep_merge(base_config(), cfg)
        port = listener_port(self.config)
        reqs = raw.get("requests")
        if not isinstance(reqs, list) or not reqs:
            raise CaseError(f"{self.path.name}: requests must be a non-empty list")
        self.requests = [Request(self, i, r, port) for i, r in enumerate(reqs)]
        names = [r.name for r in self.requests]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise CaseError(f"{self.path.name}: duplicate request names {dupes}")
        self.upstream = upstream_ports(self.config, self.path.name)
        for r in self.requests:
            if r.expect["status"] == 200:
                for node, tport in r.chosen_targets():
                    upstream_port(self.config, node, tport, f"{self.path.name}: {r.name!r}")

    def config_text(self):
        return json.dumps(self.config, indent=2) + "\n"


def _node(config, name, where):
    for n in config.get("virtualNodes", []):
        if n.get("virtualNodeName") == name:
            return n
    raise CaseError(f"{where}: no virtual node {name!r}")


def _endpoints(config, node):
    return config.get("appliance", {}).get("endpoints", {}).get(node)


def upstream_port(config, node, port, where="config"):
    """The port on the peer that receives what the gateway sends to <node>'s listener
    <port>: the node's static endpoint port, or the listener port when the endpoint gives
    none.  Every node's endpoints must be exactly one address with the peer's address."""
    listeners = [l["portMapping"]["port"] for l in _node(config, node, where)["spec"]
                 .get("listeners", [])]
    if port not in listeners:
        raise CaseError(f"{where}: {port} is not a listener port of {node!r} ({listeners})")
    eps = _endpoints(config, node)
    if not eps or len(eps) != 1:
        raise CaseError(f"{where}: appliance.endpoints[{node!r}] must be one endpoint")
    return eps[0].get("port", port)


def upstream_ports(config, where="config"):
    """{peer port: (virtual node, node listener port or None)} for every node: what the
    end-to-end upstream listens on.  Ports must not be shared between nodes."""
    peer = config["appliance"]["interfaces"][0]["gateway"]
    out = {}
    for n in config.get("virtualNodes", []):
        name = n["virtualNodeName"]
        eps = _endpoints(config, name)
        if not eps or len(eps) != 1 or eps[0].get("address") != peer:
            raise CaseError(f"{where}: appliance.endpoints[{name!r}] must be one endpoint "
                            f"at the peer address {peer}")
        listeners = [l["portMapping"]["port"] for l in n["spec"].get("listeners", [])]
        pairs = [(eps[0]["port"], None)] if "port" in eps[0] else [(p, p) for p in listeners]
        for p, lp in pairs:
            if p in out:
                raise CaseError(f"{where}: upstream port {p} of {name!r} is also "
                                f"{out[p][0]!r}'s: give every node its own port")
            out[p] = (name, lp)
    return out


def load(paths=None):
    """The case files at <paths> (default: every tests/routing/cases/*.json), sorted."""
    paths = paths or sorted(CASES_DIR.glob("*.json"))
    return [CaseFile(p) for p in paths]


def _target_key(t):
    return (str(t.get("virtualNode")), int(t.get("port") or 0), int(t.get("weight") or 0))


def compare(expect, got):
    """The differences between an expected decision and route-test's, as messages ('' none).
    Only the keys <expect> gives are compared; targets compare as a set."""
    problems = []
    for key in DECISION_KEYS:
        if key not in expect:
            continue
        if key not in got:
            problems.append(f"{key} missing (expected {json.dumps(expect[key])})")
            continue
        want, have = expect[key], got[key]
        if key == "targets" and isinstance(have, list) and all(isinstance(t, dict) for t in have):
            same = sorted(map(_target_key, want)) == sorted(map(_target_key, have)) and all(
                set(t) >= {"virtualNode", "weight", "port"} for t in have)
        else:
            same = type(want) is type(have) and want == have
        if not same:
            problems.append(f"{key} {json.dumps(have)}, expected {json.dumps(want)}")
    return problems
