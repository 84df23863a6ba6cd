"""DNS changes move traffic: usage dns_switch.py GW_URL RECORDS_JSON NAME OLD NEW TTL

Sends a request through the gateway every 50 ms.  First every answer must come from OLD
(whoami_upstream.py's "addr=" body); then the A record of NAME is switched to NEW in
RECORDS_JSON and the answers must come from NEW within TTL + 1 seconds, and from NEW only
afterwards.  Finally the record lists both addresses (responseType ENDPOINTS) and both must
get traffic.  No request may fail at any point.  Prints one summary line.
"""

import json
import os
import re
import sys
import time
import urllib.request


def who(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        body = r.read().decode()
        if r.status != 200:
            raise RuntimeError(f"status {r.status}")
    m = re.search(r"addr=(\S+)", body)
    if not m:
        raise RuntimeError(f"unexpected body {body!r}")
    return m.group(1)


def write_records(path, name, addrs, ttl):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({name: {"addrs": addrs, "ttl": ttl}}, f)
    os.rename(tmp, path)


def main():
    url, path, name, old, new, ttl = sys.argv[1:7]
    ttl = int(ttl)
    n = 0

    def ask():
        nonlocal n
        n += 1
        return who(url)

    t_end = time.monotonic() + 2
    while time.monotonic() < t_end:
        got = ask()
        if got != old:
            print(f"before the change: answer from {got}, expected {old}")
            return 1
        time.sleep(0.05)
    write_records(path, name, [new], ttl)
    t0 = time.monotonic()
    while True:
        got = ask()
        if got == new:
            moved = time.monotonic() - t0
            break
        if time.monotonic() - t0 > ttl + 5:
            print(f"traffic still goes to {got} {ttl + 5} s after the change")
            return 1
        time.sleep(0.05)
    t_end = time.monotonic() + 1.5
    while time.monotonic() < t_end:
        got = ask()
        if got != new:
            print(f"after the move: answer from {got}, expected {new}")
            return 1
        time.sleep(0.05)
    write_records(path, name, [old, new], ttl)
    seen = set()
    t_end = time.monotonic() + ttl + 4
    while time.monotonic() < t_end and seen != {old, new}:
        seen.add(ask())
        time.sleep(0.05)
    ok = moved <= ttl + 1 and seen == {old, new}
    print(f"dns: traffic moved {moved:.2f}s after the A record changed (TTL {ttl}s), "
          f"{n} requests, 0 failed; both addresses of a 2-address answer used: "
          f"{seen == {old, new}}: {'ok' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a failed request ends the test
        print(f"request failed: {e}")
        sys.exit(1)
