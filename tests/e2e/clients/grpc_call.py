"""Unary gRPC calls with Debian's python3-grpcio (raw bytes, no protoc) through the gateway:
usage grpc_call.py TARGET N

N calls of /helloworld.Greeter/SayHello to TARGET (host:port, plaintext HTTP/2) must each
answer b"hello <i>" with the trailing metadata x-trailer: yes; then /test.Svc/Fail must fail
with UNAVAILABLE.  Prints one summary line; exit 0 iff all held."""

import sys

import grpc

target, n = sys.argv[1], int(sys.argv[2])
with grpc.insecure_channel(target) as ch:
    hello = ch.unary_unary("/helloworld.Greeter/SayHello")
    bad = []
    for i in range(n):
        m = str(i).encode()
        resp, call = hello.with_call(m, timeout=5)
        md = dict(call.trailing_metadata() or ())
        if resp != b"hello " + m or md.get("x-trailer") != "yes":
            bad.append((i, resp, md))
    try:
        ch.unary_unary("/test.Svc/Fail")(b"", timeout=5)
        fail_code = "OK"
    except grpc.RpcError as e:
        fail_code = e.code().name
print(f"grpc_call: {n - len(bad)}/{n} SayHello answered with x-trailer; /test.Svc/Fail: "
      f"{fail_code}" + (f"; first bad {bad[0]}" if bad else ""))
sys.exit(0 if not bad and fail_code == "UNAVAILABLE" else 1)
