"""Remote key sets end to end (issue 5): the gateway fetches discovery + JWKS from
tools/mock-oidc over HTTPS (its own lwIP + mbedTLS client), follows a key rotation with
exactly one refresh, and keeps serving known keys while the provider is down.

Usage: jwt_remote.py GW CONTROL_URL MODE [ADMIN_PORT]
  MODE rotation:  k1 tokens pass after the first fetch; after /rotate a k2 token passes
                  within a few seconds and the provider saw exactly one more JWKS fetch; a
                  burst of tokens with an unknown kid causes exactly one fetch; with the
                  provider down, k1 and k2 tokens (RS256 and ES256) still pass, also after
                  a POST /reload (the new generation inherits the key set).
  MODE untrusted: the provider's certificate is not signed by the caBundle: no key set, so
                  tokens get 401, and the provider never saw an HTTP request.
"""

import json
import re
import socket
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from httpc import Reader  # noqa: E402

GW, CTL, MODE = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
ADMIN = sys.argv[4] if len(sys.argv) > 4 else "9901"
REFRESH_MIN = 4  # refreshMinIntervalSeconds in tests/e2e/cases/jwt.py


def ctl(path):
    with urllib.request.urlopen(CTL + path, timeout=10) as r:
        return json.loads(r.read())


def status(token, path="/remote/x"):
    head = (f"GET {path} HTTP/1.1\r\nHost: api.example\r\nConnection: close\r\n"
            f"Authorization: Bearer {token}\r\n\r\n")
    with socket.create_connection((GW, 8080), timeout=5) as s:
        s.sendall(head.encode())
        r = Reader(s).response()
        return r.status, r.headers.get("www-authenticate", "")


def fail(msg):
    print(msg)
    sys.exit(1)


def expect(token, want, what):
    got, www = status(token)
    if got != want:
        fail(f"{what}: HTTP {got}, expected {want} ({www})")


if MODE == "untrusted":
    tok = ctl("/token?kid=k1")["token"]
    expect(tok, 401, "a token while the provider's certificate is untrusted")
    st = ctl("/stats")
    if st["discovery"] != 0 or st["jwks"] != 0:
        fail(f"the provider answered HTTP requests over an untrusted connection: {st}")
    print("untrusted provider certificate: no HTTP exchange, tokens refused (401)")
    sys.exit(0)

k1, e1 = ctl("/token?kid=k1")["token"], ctl("/token?kid=e1")["token"]
expect(k1, 200, "k1 (RS256) after the first fetch")
expect(e1, 200, "e1 (ES256) after the first fetch")
base = ctl("/stats")["jwks"]
if base != 1:
    fail(f"{base} JWKS fetches before any rotation, expected 1")

# Rotation: the new kid is unknown until one refresh brings it.
time.sleep(REFRESH_MIN + 0.5)  # clear of the refresh rate limit
ctl("/rotate")
k2 = ctl("/token?kid=k2")["token"]
t0, first = time.monotonic(), status(k2)[0]
while True:
    got = status(k2)[0]
    if got == 200:
        break
    if time.monotonic() - t0 > 5:
        fail(f"k2 not accepted within 5 s of the rotation (HTTP {got})")
    time.sleep(0.2)
took = time.monotonic() - t0
n = ctl("/stats")["jwks"]
if n != base + 1:
    fail(f"{n - base} JWKS fetches for the rotation, expected exactly 1")
expect(k1, 200, "k1 after the rotation (still published)")

# A burst of unknown kids: exactly one refresh.
time.sleep(REFRESH_MIN + 0.5)
bogus = ctl("/token?kid=nope")["token"]
for _ in range(30):
    expect(bogus, 401, "an unknown kid")
time.sleep(2.5)
m = ctl("/stats")["jwks"]
if m != n + 1:
    fail(f"{m - n} JWKS fetches for a burst of 30 unknown-kid tokens, expected exactly 1")

# The provider goes down: the last good key set keeps serving.
ctl("/down")
e2 = ctl("/token?kid=e2")["token"]
time.sleep(REFRESH_MIN + 0.5)
expect(bogus, 401, "an unknown kid while the provider is down")  # a refresh that fails
time.sleep(2.5)
for tok, what in ((k1, "k1"), (k2, "k2"), (e2, "e2 (ES256)")):
    expect(tok, 200, f"{what} while the provider is down")
# A reload while the provider is down: the new generation inherits the key set.
req = urllib.request.Request(f"http://{GW}:{ADMIN}/reload", data=b"", method="POST")
with urllib.request.urlopen(req, timeout=15) as r:
    if r.status != 200:
        fail(f"POST /reload: HTTP {r.status}")
for tok, what in ((k1, "k1"), (e2, "e2 (ES256)")):
    expect(tok, 200, f"{what} after a reload while the provider is down")
ctl("/up")
with urllib.request.urlopen(f"http://{GW}:{ADMIN}/metrics", timeout=10) as r:
    metrics = r.read().decode()
for series in ('meshgate_jwks_fetches_total{result="success"}',
               'meshgate_jwks_fetches_total{result="failure"}', "meshgate_jwks_kid_refreshes_total"):
    m = re.search("^" + re.escape(series) + r" (\d+)$", metrics, re.M)
    if m is None or int(m.group(1)) < 1:
        fail(f"/metrics: {series} is {m and m.group(1)}, expected at least 1")
print(f"rotation: k2 accepted {took:.1f} s after the rotation (first try HTTP {first}) with "
      f"exactly 1 JWKS fetch; 30 unknown kids -> 1 fetch; provider down -> known keys pass, also after a reload")
