"""Sequential connections: usage sequential.py HOST PORT COUNT [TIMEOUT]

Opens COUNT TCP connections one after another; on each sends
`GET /ready` with `Connection: close`, expects 200 and then the server's close.
Every socket operation times out after TIMEOUT s (default 5).
Exit 0 iff every connection succeeded; prints the failure count otherwise.
"""

import sys
import time
from collections import Counter

import httpc


def one(host, port, timeout):
    resp = httpc.get(host, port, "/ready", timeout=timeout, close=True)
    if resp.status != 200:
        raise httpc.HttpError(f"status {resp.status}")


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
    errors, first = Counter(), []
    t0 = time.monotonic()
    for i in range(count):
        try:
            one(host, port, timeout)
        except (OSError, httpc.HttpError) as e:
            kind = f"{type(e).__name__}: {e}"
            errors[kind] += 1
            if len(first) < 5:
                first.append(f"connection {i}: {kind}")
    took = time.monotonic() - t0
    for line in first:
        print(line)
    for kind, n in errors.most_common():
        print(f"{n} x {kind}")
    ok = count - sum(errors.values())
    print(f"sequential: {ok}/{count} ok, {sum(errors.values())} failed, "
          f"{took:.1f}s ({count / took:.0f} conn/s)")
    return 0 if ok == count else 1


if __name__ == "__main__":
    sys.exit(main())
