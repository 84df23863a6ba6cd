/*
 * The per-request JWT check of the proxy: see mg_authn.h.
 */
#include "mg_authn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/jwt/mg_jwt_config.h"
#include "gateway/jwt/mg_jwt_fetch.h"

struct authn_route {
	const char *name; /* points into the configuration the context was built from */
	int req;
};

static struct {
	struct mg_jwt_ctx *ctx;
	unsigned int n_routes;
	struct authn_route *routes;
	struct mg_jwt_outcome out;
	char buf[4096];
	char extra[4096 + 32];
} an;

static void drop_current(void);

int
mg_authn_load(const struct mg_config *cfg, char *err, size_t errlen)
{
	struct authn_route *routes = NULL;
	struct mg_jwt_ctx *ctx = NULL;
	unsigned int n = 0;
	int *route_req = NULL;
	int g;

	err[0] = '\0';
	if (cfg->appliance.jwt.present) {
		route_req = calloc(cfg->n_gateway_routes > 0 ? (size_t)cfg->n_gateway_routes : 1,
		                   sizeof(*route_req));
		routes = calloc(cfg->n_gateway_routes > 0 ? (size_t)cfg->n_gateway_routes : 1,
		                sizeof(*routes));
		if (route_req == NULL || routes == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		ctx = mg_jwt_ctx_from_config(cfg, route_req, err, errlen);
		if (ctx == NULL) {
			if (err[0] == '\0')
				snprintf(err, errlen, "appliance.jwt: cannot build the verifier");
			goto fail;
		}
		for (g = 0; g < cfg->n_gateway_routes; g++) {
			if (route_req[g] < 0)
				continue;
			routes[n].name = strdup(cfg->gateway_routes[g].name);
			if (routes[n].name == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			routes[n++].req = route_req[g];
		}
		free(route_req);
		route_req = NULL;
	}
	/* Remote key sets: the new context's fetchers replace the old one's. */
	if (mg_jwt_fetch_start(ctx, cfg, err, errlen) != 0)
		goto fail;
	drop_current();
	an.ctx = ctx;
	an.routes = routes;
	an.n_routes = n;
	return 0;
fail:
	while (n > 0)
		free((void *)routes[--n].name);
	free(routes);
	free(route_req);
	if (ctx != NULL)
		mg_jwt_ctx_free(ctx);
	return -EINVAL;
}

static void
drop_current(void)
{
	while (an.n_routes > 0)
		free((void *)an.routes[--an.n_routes].name);
	free(an.routes);
	an.routes = NULL;
	if (an.ctx != NULL)
		mg_jwt_ctx_free(an.ctx);
	an.ctx = NULL;
}

void
mg_authn_stop(void)
{
	mg_jwt_fetch_stop();
	drop_current();
}

struct mg_jwt_ctx *
mg_authn_ctx(void)
{
	return an.ctx;
}

void
mg_authn_check(const char *gateway_route, const struct mg_h1_request *req,
               struct mg_authn_verdict *v)
{
	const struct mg_jwt_requirement *rq = NULL;
	struct timespec ts;
	unsigned int i;
	int n;

	memset(v, 0, sizeof(*v));
	if (an.ctx == NULL || gateway_route == NULL)
		return;
	for (i = 0; i < an.n_routes; i++) {
		if (strcmp(an.routes[i].name, gateway_route) == 0) {
			rq = mg_jwt_requirement_get(an.ctx, an.routes[i].req);
			break;
		}
	}
	if (rq == NULL)
		return;
	v->checked = true;
	/* CLOCK_REALTIME_COARSE: the vDSO, no system call (docs/JWT.md, wall-clock time). */
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	mg_jwt_outcome_init(&an.out, an.buf, sizeof(an.buf));
	if (mg_jwt_check(an.ctx, rq, req, (uint64_t)ts.tv_sec, &an.out) == MG_JWT_ALLOW) {
		v->outcome = &an.out;
		return;
	}
	v->deny = true;
	v->status = an.out.status;
	v->detail = an.out.body.p != NULL ? an.out.body.p : "";
	if (an.out.status == 503) /* the ECDSA budget: a valid token may pass a second later */
		n = snprintf(an.extra, sizeof(an.extra), "Retry-After: 1\r\n");
	else
		n = snprintf(an.extra, sizeof(an.extra), "WWW-Authenticate: %.*s\r\n",
		             (int)an.out.www_authenticate.len, an.out.www_authenticate.p);
	v->extra = n > 0 && (size_t)n < sizeof(an.extra) ? an.extra : NULL;
}
