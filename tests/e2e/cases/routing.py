"""Routing conformance end to end: every case file of tests/routing/cases/ through the data
plane.  One case per file: the gateway runs on the file's configuration, whose virtual
nodes' endpoints are {peer}:<a port per node> (or the node's listener ports), served by
servers/multi_upstream.py; clients/routing_check.py sends each request as written and checks
the status, the node that got it and the Host and path it received (the same expectations
tests/routing/route_test.py checks through `gateway route-test`).

routing_split also sends 10,000 keep-alive requests through the 90/10 route of split.json:
node-major must get 90 +- 1.5 % of them.
"""

import sys
from pathlib import Path

from steps import Case, CaseFailed, Step, client, multi_upstream

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "routing"))
import routing_cases  # noqa: E402

SPLIT_REQUESTS = 10000
SPLIT_TOLERANCE = 1.5  # percentage points


def labels(cf):
    """{port: label} of the upstream ports of case file <cf>."""
    return {p: node if lp is None else f"{node}:{lp}" for p, (node, lp) in cf.upstream.items()}


def broken(error):
    def step(ctx, desc):
        raise CaseFailed(f"routing case files: {error}")
    return Step("load tests/routing/cases", step)


CASES = []
try:
    FILES = routing_cases.load()
except routing_cases.CaseError as e:
    FILES = []
    CASES.append(Case("routing_cases", start=False, steps=[broken(e)]))

for cf in FILES:
    steps = [
        multi_upstream(labels(cf)),
        client("routing_check.py", cf.path, "{gw}", "{logdir}/upstream.jsonl",
               timeout=60 + 5 * len(cf.requests), note=True),
    ]
    if cf.name == "split":
        steps.append(client("split_check.py", cf.path, "{gw}", SPLIT_REQUESTS, SPLIT_TOLERANCE,
                            timeout=600, note=True))
    CASES.append(Case(f"routing_{cf.name}", config=cf.config, steps=steps))
