"""Bulk echo: usage echo_bulk.py HOST PORT NBYTES [TIMEOUT]

On one TCP connection to the echo service, a sender thread writes NBYTES of
pseudo-random data while the main thread reads the echo back.  Passes iff
exactly NBYTES come back with the same SHA-256 as was sent, within TIMEOUT s
(default 180).  Every socket operation stalls for at most 30 s.  The summary
line gives the throughput in MB/s (10^6 bytes/s) each way.
"""

import hashlib
import os
import random
import socket
import sys
import threading
import time

CHUNK = 64 * 1024
STALL = 30.0


def sender(sock, nbytes, result):
    rng, digest, left = random.Random(0x6D657368), hashlib.sha256(), nbytes
    try:
        while left:
            data = rng.randbytes(min(CHUNK, left))
            digest.update(data)
            sock.sendall(data)
            left -= len(data)
        result["sent"] = digest.hexdigest()
    except OSError as e:
        result["send_error"] = f"{e} after {nbytes - left} bytes"


def main():
    host, port, nbytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 180.0
    sock = socket.create_connection((host, port), timeout=STALL)
    deadline = time.monotonic() + timeout
    result, digest, got = {}, hashlib.sha256(), 0
    t0 = time.monotonic()
    th = threading.Thread(target=sender, args=(sock, nbytes, result), daemon=True)
    th.start()
    try:
        while got < nbytes:
            if time.monotonic() > deadline:
                raise TimeoutError(f"deadline of {timeout:g}s passed")
            data = sock.recv(min(1 << 20, nbytes - got))
            if not data:
                raise ConnectionError("connection closed by the gateway")
            digest.update(data)
            got += len(data)
    except OSError as e:
        print(f"echo: receive failed after {got}/{nbytes} bytes: {e}; "
              f"sender: {result.get('send_error', 'ok')}")
        sys.stdout.flush()
        os._exit(1)  # the sender thread may be blocked in sendall
    took = time.monotonic() - t0
    th.join(max(1.0, deadline - time.monotonic()))
    sock.close()
    if "sent" not in result:
        print(f"echo: sender failed: {result.get('send_error', 'did not finish')}")
        return 1
    if result["sent"] != digest.hexdigest():
        print(f"echo: SHA-256 mismatch: sent {result['sent']}, received {digest.hexdigest()}")
        return 1
    print(f"sha256 {digest.hexdigest()} both ways")
    print(f"echo: {nbytes / 2**20:.0f} MiB each way in {took:.1f}s, "
          f"{nbytes / took / 1e6:.1f} MB/s, SHA-256 match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
