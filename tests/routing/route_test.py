#!/usr/bin/python3
"""Routing conformance: every request of tests/routing/cases/*.json through `gateway route-test`.

Usage: /usr/bin/python3 tests/routing/route_test.py [--gateway PATH] [--route-test CMD]
                                                    [-k SUBSTR] [-v] [FILE...]

For each case file, the configuration (the file's "config" merged over base.json) is written
to build/tests/routing/<file>.json and must pass `gateway --check`; then each request runs as

    gateway route-test --config build/tests/routing/<file>.json --json METHOD URL [-H 'n: v']...

which must exit 0 and print one JSON object, compared key by key with the request's "expect"
(see routing_cases.py).  Output: one line per failure ("FAIL file: request: what differs";
with -v also the command that reproduces it, and a PASS line per passed case), then exactly
one line "N cases, M passed".  Exit status 1 iff a case failed, or if the
gateway has no route-test command.

--route-test CMD replaces "<gateway> route-test" (split on spaces), e.g. to check the case
files against the reference model: --route-test '/usr/bin/python3 tests/routing/model.py'.
"""

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import routing_cases  # noqa: E402

TOP = routing_cases.ROUTING_DIR.parents[1]
OUT_DIR = TOP / "build" / "tests" / "routing"
TIMEOUT = 20.0


def run(argv):
    """(rc, stdout, stderr) of <argv>; rc None when it timed out."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           errors="replace", timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or "", e.stderr or ""
    except OSError as e:
        return 127, "", str(e)


def first_line(text):
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[0].strip() if lines else "(no output)"


def decision(rc, out):
    """route-test's JSON object, or None when it printed none (or not exactly one)."""
    if rc != 0:
        return None
    try:
        got = json.loads(out)
    except ValueError:
        return None
    return got if isinstance(got, dict) and "status" in got else None


def rerun(args, argv):
    """With -v, the command that reproduces a failure, under its FAIL line."""
    if args.verbose:
        print(f"      $ {' '.join(map(shlex.quote, argv))}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gateway", default=str(TOP / "build" / "gateway"),
                    help="gateway binary (default: build/gateway)")
    ap.add_argument("--route-test", dest="route_test", metavar="CMD",
                    help="command replacing '<gateway> route-test'")
    ap.add_argument("-k", dest="select", metavar="SUBSTR",
                    help="only requests whose 'file: name' contains SUBSTR")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every request")
    ap.add_argument("files", nargs="*", help="case files (default: tests/routing/cases/*.json)")
    args = ap.parse_args()

    try:
        cases = routing_cases.load([Path(f) for f in args.files] or None)
    except routing_cases.CaseError as e:
        print(f"FAIL case file: {e}")
        print("0 cases, 0 passed")
        return 1
    gateway = str(Path(args.gateway).resolve())
    if not Path(gateway).is_file():
        print(f"FAIL no gateway binary at {gateway} (build it first: make)")
        print("0 cases, 0 passed")
        return 1
    route_test = shlex.split(args.route_test) if args.route_test else [gateway, "route-test"]
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    total = passed = 0
    probed = False
    for cf in cases:
        reqs = [r for r in cf.requests if not args.select or args.select in r.id]
        if not reqs:
            continue
        cfg = OUT_DIR / f"{cf.name}.json"
        cfg.write_text(cf.config_text(), encoding="utf-8")
        rc, out, err = run([gateway, "--check", str(cfg)])
        if rc != 0:
            total += len(reqs)
            print(f"FAIL {cf.name}: its configuration does not pass gateway --check "
                  f"({len(reqs)} cases not run): {first_line(out + err)}")
            continue
        for r in reqs:
            argv = route_test + ["--config", str(cfg), "--json"] + r.route_test_args()
            rc, out, err = run(argv)
            got = decision(rc, out)
            if not probed:
                probed = True
                if got is None and rc != 0 and "usage" in (out + err).lower():
                    # The gateway printed its usage: it has no route-test command.
                    print("FAIL route-test not available: `" + " ".join(map(shlex.quote, argv)) +
                          f"` exited with {rc} and printed its usage: {first_line(err + out)}")
                    print(f"{sum(len(c.requests) for c in cases)} cases, 0 passed")
                    return 1
            total += 1
            if got is None:
                why = "timed out" if rc is None else f"exit status {rc}"
                print(f"FAIL {r.id}: no JSON decision ({why}): {first_line(out + err)}")
                rerun(args, argv)
                continue
            problems = routing_cases.compare(r.expect, got)
            if problems:
                print(f"FAIL {r.id}: " + "; ".join(problems))
                rerun(args, argv)
                continue
            passed += 1
            if args.verbose:
                print(f"PASS {r.id}")
    print(f"{total} cases, {passed} passed")
    return 0 if total and passed == total else 1


if __name__ == "__main__":
    sys.exit(main())
