/*
 * gRPC over the gateway: what a gRPC client must see when the gateway itself answers, and the
 * request metadata the gateway reads (gRPC over HTTP/2, "PROTOCOL-HTTP2.md" of grpc/grpc).
 *
 * No allocation, no state: pure functions over caller buffers.
 */
#ifndef MG_GRPC_H
#define MG_GRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The gRPC status codes the gateway produces (grpc/grpc doc/statuscodes.md). */
enum mg_grpc_status {
	MG_GRPC_OK = 0,
	MG_GRPC_CANCELLED = 1,
	MG_GRPC_UNKNOWN = 2,
	MG_GRPC_DEADLINE_EXCEEDED = 4,
	MG_GRPC_NOT_FOUND = 5,
	MG_GRPC_PERMISSION_DENIED = 7,
	MG_GRPC_RESOURCE_EXHAUSTED = 8,
	MG_GRPC_UNIMPLEMENTED = 12,
	MG_GRPC_INTERNAL = 13,
	MG_GRPC_UNAVAILABLE = 14,
	MG_GRPC_UNAUTHENTICATED = 16,
};

/* Bytes of message text kept in a gateway-generated grpc-message (before percent-encoding). */
#define MG_GRPC_MESSAGE_MAX 200

/* The longest grpc-timeout the gateway honours, in ms (the 8-digit maximum in hours is ~11400
 * years; anything above this is taken as "no deadline"). */
#define MG_GRPC_TIMEOUT_MAX_MS (UINT64_C(1) << 53)

/*
 * mg_grpc_is_grpc() tells whether a Content-Type value (<v>, <n> bytes) marks a gRPC request:
 * "application/grpc" alone or followed by '+' (a subtype such as +proto) or ';' (parameters),
 * case-insensitively.  "application/grpc-web" is not gRPC over HTTP/2 and is not matched.
 */
bool mg_grpc_is_grpc(const char *v, size_t n);

/*
 * mg_grpc_status_for_http() maps the HTTP <status> of a gateway-generated failure to the
 * gRPC status the client gets:
 *   400, 413, 414, 431 -> INTERNAL, RESOURCE_EXHAUSTED for 413/431 (request too large)
 *   401 -> UNAUTHENTICATED (JWT failure), 403 -> PERMISSION_DENIED,
 *   404 -> UNIMPLEMENTED (no route: the method is not served here),
 *   429, 502, 503 -> UNAVAILABLE (overflow, no healthy upstream, connect failure: retriable),
 *   504 -> DEADLINE_EXCEEDED (the route timeout or grpc-timeout expired),
 *   501 -> UNIMPLEMENTED; anything else -> UNKNOWN (other 4xx) or INTERNAL (other 5xx).
 */
enum mg_grpc_status mg_grpc_status_for_http(int status);

/* mg_grpc_status_name() returns "UNAVAILABLE" etc., "UNKNOWN" for a code it does not know. */
const char *mg_grpc_status_name(int code);

/*
 * mg_grpc_timeout_parse() reads a grpc-timeout value (<v>, <n> bytes): 1 to 8 ASCII digits
 * followed by one unit, H M S m u n (hours .. nanoseconds), nothing else (no spaces, no sign).
 * On success *<ms> is the timeout in milliseconds, rounded up (a nonzero timeout never becomes
 * 0; "0m" is 0, an expired deadline) and capped at MG_GRPC_TIMEOUT_MAX_MS; returns 0.
 * Returns -EINVAL for anything else (the header is then ignored, as gRPC servers do).
 */
int mg_grpc_timeout_parse(const char *v, size_t n, uint64_t *ms);

/*
 * mg_grpc_write_error() writes into <out> (<size> bytes) the complete HTTP/1.1 response the
 * gateway sends for a failure with HTTP <status> on a gRPC request: a "Trailers-Only" gRPC
 * response, i.e. status 200, Content-Type application/grpc, grpc-status (from
 * mg_grpc_status_for_http) and grpc-message ("<status> <reason>: <detail>", its first
 * MG_GRPC_MESSAGE_MAX bytes, percent-encoded as gRPC requires: bytes outside 0x20..0x7e and
 * '%' become %XX), Content-Length 0 and Connection: close.  <extra> holds zero or more
 * complete field lines ending in CRLF, copied after them.  Returns the length, -ENOSPC when
 * <out> is too small, -EINVAL for a <status> outside 400..599 or a malformed <extra>.
 */
ssize_t mg_grpc_write_error(char *out, size_t size, int status, const char *detail,
                            size_t detail_len, const char *extra, size_t extra_len);

#endif /* MG_GRPC_H */
