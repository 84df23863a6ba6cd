"""A gRPC server over HTTP/2 (h2c) from Debian's python3-grpcio, with generic handlers on raw
bytes (no protoc): usage grpc_h2.py ADDR PORT [HEALTH]

  /helloworld.Greeter/SayHello   answers b"hello " + the request message, with the trailing
                                 metadata x-trailer: yes
  /test.Svc/Fail                 aborts with UNAVAILABLE (a Trailers-Only answer)
  /test.Svc/Flaky                UNAVAILABLE on calls 1, 3, 5, ...; "ok N" on the others
  /test.Svc/FlakyLate            the same, but the failing calls send their response headers
                                 first: UNAVAILABLE comes in the trailers (not Trailers-Only)
  /test.Svc/Slow                 answers "slow" after one second
  /test.Svc/Who                  answers HEALTH (which server answered)
  /grpc.health.v1.Health/Check   HealthCheckResponse status HEALTH (SERVING by default, or
                                 NOT_SERVING): field 1 varint 1 or 2
Prints "ready" once listening."""

import sys
import threading
import time
from concurrent import futures

import grpc

lock = threading.Lock()
count = [0]
health = sys.argv[3] if len(sys.argv) > 3 else "SERVING"


def say_hello(req, ctx):
    ctx.set_trailing_metadata((("x-trailer", "yes"),))
    return b"hello " + req


def fail(req, ctx):
    ctx.abort(grpc.StatusCode.UNAVAILABLE, "down")


def flaky(req, ctx):
    with lock:
        count[0] += 1
        i = count[0]
    if i % 2:
        ctx.abort(grpc.StatusCode.UNAVAILABLE, "flaky")
    return f"ok {i}".encode()


def flaky_late(req, ctx):
    with lock:
        count[0] += 1
        i = count[0]
    if i % 2:
        ctx.send_initial_metadata((("x-late", "1"),))
        ctx.abort(grpc.StatusCode.UNAVAILABLE, "flaky, late")
    return f"ok {i}".encode()


def slow(req, ctx):
    time.sleep(1.0)
    return b"slow"


def who(req, ctx):
    return health.encode()


def check(req, ctx):
    return b"\x08\x01" if health == "SERVING" else b"\x08\x02"


def unary(fn):
    return grpc.unary_unary_rpc_method_handler(fn)


server = grpc.server(futures.ThreadPoolExecutor(max_workers=64),
                     options=[("grpc.max_concurrent_streams", 100)])
server.add_generic_rpc_handlers((
    grpc.method_handlers_generic_handler("helloworld.Greeter", {"SayHello": unary(say_hello)}),
    grpc.method_handlers_generic_handler("test.Svc", {"Fail": unary(fail),
                                                      "Flaky": unary(flaky),
                                                      "FlakyLate": unary(flaky_late),
                                                      "Slow": unary(slow),
                                                      "Who": unary(who)}),
    grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": unary(check)}),
))
server.add_insecure_port(f"{sys.argv[1]}:{sys.argv[2]}")
server.start()
print("ready", flush=True)
server.wait_for_termination()
