/*
 * The per-request JWT check of the proxy (issue 5): which gateway routes have a requirement
 * (appliance.jwt.routes), the verifier context of the current configuration generation
 * (gateway/jwt), and what a decision turns into: a 401/403 answer with its WWW-Authenticate
 * field, or the edits to the forwarded request head (token field dropped unless `forward`,
 * spoofable claim headers dropped, claim and payload headers added).
 *
 * The route callback calls mg_authn_check() after routing chose a gateway route; the proxy
 * applies the outcome while it builds the head, on the same call stack (the outcome is static,
 * one per worker).  Not thread-safe: one worker.
 */
#ifndef MG_AUTHN_H
#define MG_AUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/config/config.h"
#include "gateway/http/mg_h1.h"
#include "gateway/jwt/mg_jwt.h"

/*
 * Builds the verifier for <cfg> (appliance.jwt) and, on success, replaces the current one
 * (a configuration without appliance.jwt removes it: every route passes untouched).  On
 * failure the current verifier stays and <err> says why.  Returns 0 or a negative errno.
 */
int mg_authn_load(const struct mg_config *cfg, char *err, size_t errlen);
void mg_authn_stop(void);

/* The current context (NULL: no appliance.jwt), for the key fetcher and /metrics. */
struct mg_jwt_ctx *mg_authn_ctx(void);

/* What the proxy does with a request of a gateway route. */
struct mg_authn_verdict {
	bool checked;                         /* the route has a requirement */
	bool deny;                            /* answer <status> with <extra> and <detail> */
	int status;                           /* 401 or 403 */
	const char *detail;                   /* the error body text (static) */
	const char *extra;                    /* "WWW-Authenticate: ...\r\n" */
	const struct mg_jwt_outcome *outcome; /* allow: the edits (drop / add) */
};

/*
 * Checks <req>, routed to gateway route <gateway_route> (its name; NULL: not a gateway route,
 * passes), at the current wall-clock time.  The verdict's pointers stay valid until the next
 * call.
 */
void mg_authn_check(const char *gateway_route, const struct mg_h1_request *req,
                    struct mg_authn_verdict *v);

#endif /* MG_AUTHN_H */
