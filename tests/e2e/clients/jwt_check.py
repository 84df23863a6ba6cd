"""JWT authentication through the data plane (issue 5), against the tokens that
tests/jwt/make-tokens.py minted with python3-jwt and python3-jwcrypto (fresh keys each run).

Usage: jwt_check.py GW TOKDIR UPSTREAM_LOG

The gateway (tests/e2e/cases/jwt.py) has gateway routes /main (provider `main`: the minted
JWKS, claim `sub` to x-jwt-sub, payload to x-jwt-payload), /hs (provider `hs`: the shared
secret), /scoped (provider `main`, required scope `admin`), /maybe (allowMissing) and
/open (no requirement).  For every token of tokens.txt: a valid one gets 200 and the upstream
sees no Authorization field, x-jwt-sub: alice and never the client's spoofed x-jwt-sub; a
refused one gets 401 (or 403 for audience / claim mismatches) with an RFC 6750
WWW-Authenticate naming the error code, and never reaches the upstream.  Also: the token in
the access_token query parameter and in a cookie, a missing token (401, no error=), and
routes without requirement untouched.  Tokens whose outcome depends on the second they are
checked in (the `within-skew` cases) are left to the unit tests, which fix `now`.
"""

import base64
import json
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from httpc import Reader  # noqa: E402

GW, TOKDIR, LOG = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
PORT = 8080
FORBIDDEN = {"audience", "claim_mismatch"}
problems = []


def send(path, headers=()):
    head = f"GET {path} HTTP/1.1\r\nHost: api.example\r\nConnection: close\r\n"
    head += "".join(f"{n}: {v}\r\n" for n, v in headers) + "\r\n"
    with socket.create_connection((GW, PORT), timeout=5) as s:
        s.sendall(head.encode())
        return Reader(s).response()


def hdr(resp, name):
    return resp.headers.get(name)


def up(path):
    """The path the upstream sees: the gateway route's prefix is rewritten to / (App Mesh)."""
    return "/" + path.split("/", 2)[2]


def upstream_records():
    recs = {}
    for line in LOG.read_text().splitlines() if LOG.exists() else []:
        r = json.loads(line)
        if "path" in r:
            recs[r["path"]] = dict(r["headers"])
    return recs


def expect_refused(what, resp, reason):
    status = 403 if reason in FORBIDDEN else 401
    if resp.status != status:
        problems.append(f"{what}: HTTP {resp.status}, expected {status} ({reason})")
        return
    www = hdr(resp, "www-authenticate") or ""
    code = "insufficient_scope" if status == 403 else "invalid_token"
    if not www.startswith('Bearer realm="meshgate-e2e"'):
        problems.append(f"{what}: WWW-Authenticate {www!r}")
    elif reason == "missing":
        if "error=" in www:
            problems.append(f"{what}: a missing token must not get error= ({www!r})")
    elif f'error="{code}"' not in www or "error_description=" not in www:
        problems.append(f"{what}: WWW-Authenticate {www!r} lacks error=\"{code}\"")


lines = (TOKDIR / "tokens.txt").read_text().splitlines()
assert lines[0].startswith("now ")
cases = [ln.split(" ", 3) for ln in lines[1:] if ln.strip()]
allowed, refused, skipped = [], [], 0
spoof = ("x-jwt-sub", "mallory")
for name, prov, reason, tok in cases:
    if "within-skew" in name:
        skipped += 1
        continue
    path = f"/{prov}/{name}"
    resp = send(path, [("Authorization", "Bearer " + tok), spoof])
    if reason == "allowed":
        allowed.append((name, up(path), tok))
        if resp.status != 200:
            problems.append(f"{name}: HTTP {resp.status}, expected 200 "
                            f"({hdr(resp, 'www-authenticate')})")
    else:
        refused.append(up(path))
        expect_refused(name, resp, reason)

good = next(tok for name, prov, reason, tok in cases if name == "pyjwt-RS256")
# Other locations of the default set, and a cookie and a named header configured for `main`.
extra = [
    ("/main/query?access_token=" + good, []),
    ("/main/cookie", [("Cookie", "a=b; session=" + good)]),
    ("/main/xheader", [("X-Token", "Tok " + good)]),
]
for path, h in extra:
    resp = send(path, h)
    if resp.status != 200:
        problems.append(f"{path.split('?')[0]}: HTTP {resp.status}, expected 200")
# Missing token, scope, allow-missing, unchecked route.
expect_refused("missing", send("/main/missing"), "missing")
expect_refused("scope admin", send("/scoped/scope", [("Authorization", "Bearer " + good)]),
               "claim_mismatch")
for path, h in (("/maybe/none", []), ("/open/x", [("Authorization", "Bearer junk"), spoof])):
    resp = send(path, h)
    if resp.status != 200:
        problems.append(f"{path}: HTTP {resp.status}, expected 200")
refused_bad = send("/maybe/bad", [("Authorization", "Bearer a.b.c")])
if refused_bad.status != 401:
    problems.append(f"/maybe/bad: an invalid token with allowMissing got {refused_bad.status}")

time.sleep(0.5)
recs = upstream_records()
for name, path, tok in allowed:
    h = recs.get(path)
    if h is None:
        problems.append(f"{name}: allowed but the upstream has no record of {path}")
        continue
    if "authorization" in h:
        problems.append(f"{name}: the token was forwarded")
    if h.get("x-jwt-sub") != "alice":
        problems.append(f"{name}: x-jwt-sub {h.get('x-jwt-sub')!r}, expected 'alice'")
    pl = h.get("x-jwt-payload", "")
    try:
        if json.loads(base64.urlsafe_b64decode(pl + "=" * (-len(pl) % 4)))["sub"] != "alice":
            raise ValueError
    except Exception:
        problems.append(f"{name}: x-jwt-payload {pl[:40]!r}")
for path in refused:
    if path in recs:
        problems.append(f"{path}: refused but reached the upstream")
q = next((p for p in recs if p.startswith("/query?")), None)
if q is None or recs.get("/cookie", {}).get("x-jwt-sub") != "alice":
    problems.append("query / cookie tokens did not reach the upstream authenticated")
o = recs.get("/x", {})
if o.get("authorization") != "Bearer junk" or o.get("x-jwt-sub") != "mallory":
    problems.append(f"/open/x: a route without requirement was modified: {o}")
if "x-jwt-sub" in recs.get("/none", {"x-jwt-sub": 1}):
    problems.append("/maybe/none: not forwarded, or a claim header without a token")

for p in problems:
    print(p)
print(f"{len(allowed)} valid tokens accepted, {len(refused)} attack tokens refused with their "
      f"status and error code, {len(extra)} other token locations, {skipped} clock-edge cases "
      f"left to the unit tests; {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
