/*
 * Remote key sets (appliance.jwt providers with `jwks.remote` or `jwks.discovery`): the
 * gateway fetches them itself over HTTPS, on its own lwIP TCP (gateway/net/mg_conn) and
 * mbedTLS client (gateway/tls), validating the provider's certificate against the provider's
 * `caBundle` and the URI's host name (or IP address).
 *
 * Per provider: a fetch at start; again every cacheDurationSeconds (default 600); again at
 * once (at the next tick) when the verifier signals "refresh wanted" after a token named an
 * unknown kid (rate limited by the verifier: at most one per refreshMinIntervalSeconds); after
 * a failed fetch, again after 10 s (doubling up to the cache duration).  Discovery first reads
 * `<issuer>/.well-known/openid-configuration` (or the configured uri) for `jwks_uri`, which
 * must be https.  A fetch that fails in any way (connect, TLS, HTTP status, framing, size,
 * JSON, no usable key) leaves the last good key set in service.
 *
 * Control path only (the worker's once-a-second tick and lwIP callbacks); never on the data
 * path.  One worker.
 */
#ifndef MG_JWT_FETCH_H
#define MG_JWT_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/config/config.h"
#include "mg_jwt.h"

#define MG_JWT_FETCH_MAX_RESPONSE (256 * 1024) /* bytes of one HTTP response, head included */
#define MG_JWT_FETCH_RETRY_MIN    10           /* seconds before retrying a failed fetch */

/* ---- pure parsers (fuzzed by fuzz_jwks_fetch) ------------------------------------------- */

/* An https URL split up: host (no brackets, NUL-terminated), port (default 443), and path
 * with query ("/" when empty).  Returns 0, or -EINVAL for anything else (userinfo, fragment,
 * other schemes, bad port, control characters, IPv6 literals). */
struct mg_jwt_url {
	char host[256];
	uint16_t port;
	char path[1024];
};
int mg_jwt_url_parse(const char *url, size_t len, struct mg_jwt_url *out);

/*
 * A complete HTTP/1.1 response in <buf> (<len> bytes; <eof>: the server has closed).
 * Returns 1 with the decoded body in <body> (<cap> bytes; *body_len set) when the response is
 * complete with status 200, 0 when more bytes are needed, or a negative errno: -EPROTO (bad
 * framing or head), -EBADMSG (a status other than 200; *status set), -EFBIG (body larger than
 * <cap>).  Bodies by Content-Length, chunked, or until close.
 */
int mg_jwt_http_response(const char *buf, size_t len, bool eof, char *body, size_t cap,
                         size_t *body_len, int *status);

/* `jwks_uri` of an OpenID Provider Configuration document (strict JSON, an object), copied
 * into <out> (<cap> bytes).  Returns 0, or -EINVAL. */
int mg_jwt_discovery_jwks_uri(const char *json, size_t len, char *out, size_t cap);

/* ---- the fetcher --------------------------------------------------------------------------- */

/*
 * Starts fetching for every remote provider of <cfg> into the providers of <ctx> (built from
 * <cfg> by mg_jwt_ctx_from_config(): same indices); stops what fetched for a previous context.
 * Returns 0, or a negative errno with <err> naming the provider (unreadable caBundle, bad URI).
 */
int mg_jwt_fetch_start(struct mg_jwt_ctx *ctx, const struct mg_config *cfg, char *err,
                       size_t errlen);
void mg_jwt_fetch_stop(void);
/* Once a second from the worker: starts due fetches. */
void mg_jwt_fetch_tick(uint64_t now_s);
/* NULL when every remote provider has finished its first fetch (success or not), else a
 * sentence for /ready. */
const char *mg_jwt_fetch_unsettled(void);

struct mg_jwt_fetch_stats {
	uint64_t fetches, successes, failures, kid_refreshes;
};
const struct mg_jwt_fetch_stats *mg_jwt_fetch_stats(void);

#endif /* MG_JWT_FETCH_H */
