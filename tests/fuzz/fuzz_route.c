/*
 * libFuzzer target: the route matcher (gateway/route): path normalisation, every match kind,
 * rewrites and weighted splits, driven by request heads.
 *
 * A fixed mesh (below) with gateway routes of every match kind is compiled once.  Each input
 * is a request head (the gateway's parser reads it first, as in the proxy), routed on two
 * listener ports.  Checks: a routed decision has a target that starts with '/' inside the
 * buffer, a Host, 1..10 targets and a chosen one among them; an unrouted one has a 4xx/5xx
 * status; normalising the normalised path changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/config.h"
#include "gateway/http/mg_h1.h"
#include "gateway/route/mg_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char mesh[] =
    "{\"appliance\":{\"interfaces\":[{\"name\":\"d\",\"address\":\"10.0.0.2/24\"}],"
    "\"admin\":{\"interface\":\"d\",\"port\":9901},\"endpoints\":{\"n1\":[{\"address\":"
    "\"10.0.0.5\"}],\"n2\":[{\"address\":\"10.0.0.6\"}]}},"
    "\"virtualGateway\":{\"virtualGatewayName\":\"gw\",\"spec\":{\"listeners\":[{"
    "\"portMapping\":{\"port\":8080,\"protocol\":\"http\"}}]}},"
    "\"gatewayRoutes\":["
    "{\"gatewayRouteName\":\"a\",\"spec\":{\"priority\":1,\"httpRoute\":{\"match\":{"
    "\"prefix\":\"/a\",\"hostname\":{\"suffix\":\".example.com\"},\"method\":\"POST\","
    "\"headers\":[{\"name\":\"x-v\",\"match\":{\"range\":{\"start\":-5,\"end\":5}}},"
    "{\"name\":\"x-r\",\"invert\":true,\"match\":{\"regex\":\"(a+)+b\"}}],"
    "\"queryParameters\":[{\"name\":\"q\",\"match\":{\"exact\":\"a b\"}}]},"
    "\"action\":{\"target\":{\"virtualService\":{\"virtualServiceName\":\"svc\"}},"
    "\"rewrite\":{\"prefix\":{\"value\":\"/z/\"}}}}}},"
    "{\"gatewayRouteName\":\"b\",\"spec\":{\"httpRoute\":{\"match\":{\"path\":{\"regex\":"
    "\"/b/[0-9]+(/.*)?\"},\"headers\":[{\"name\":\"x-p\",\"match\":{\"prefix\":\"v\"}},"
    "{\"name\":\"x-s\"}]},\"action\":{\"target\":{\"virtualService\":{"
    "\"virtualServiceName\":\"svc\"}},\"rewrite\":{\"path\":{\"exact\":\"/rewritten\"}}}}}},"
    "{\"gatewayRouteName\":\"c\",\"spec\":{\"httpRoute\":{\"match\":{\"path\":{\"exact\":"
    "\"/c\"},\"hostname\":{\"exact\":\"c.example.com\"}},\"action\":{\"target\":{"
    "\"virtualService\":{\"virtualServiceName\":\"node-svc\"}},\"rewrite\":{\"hostname\":{"
    "\"defaultTargetHostname\":\"DISABLED\"}}}}}},"
    "{\"gatewayRouteName\":\"d\",\"spec\":{\"httpRoute\":{\"match\":{\"prefix\":\"/\"},"
    "\"action\":{\"target\":{\"virtualService\":{\"virtualServiceName\":\"svc\"}}}}}}],"
    "\"virtualServices\":[{\"virtualServiceName\":\"svc\",\"spec\":{\"provider\":{"
    "\"virtualRouter\":{\"virtualRouterName\":\"r\"}}}},{\"virtualServiceName\":\"node-svc\","
    "\"spec\":{\"provider\":{\"virtualNode\":{\"virtualNodeName\":\"n1\"}}}}],"
    "\"virtualRouters\":[{\"virtualRouterName\":\"r\",\"spec\":{\"listeners\":[{"
    "\"portMapping\":{\"port\":80,\"protocol\":\"http\"}}]}}],"
    "\"routes\":[{\"routeName\":\"r1\",\"virtualRouterName\":\"r\",\"spec\":{\"priority\":0,"
    "\"httpRoute\":{\"match\":{\"prefix\":\"/z\",\"headers\":[{\"name\":\"x-c\",\"match\":{"
    "\"exact\":\"1\"}}]},\"action\":{\"weightedTargets\":[{\"virtualNode\":\"n1\",\"weight\":"
    "90},{\"virtualNode\":\"n2\",\"weight\":10}]}}}},"
    "{\"routeName\":\"r2\",\"virtualRouterName\":\"r\",\"spec\":{\"httpRoute\":{\"match\":{"
    "\"prefix\":\"/\"},\"action\":{\"weightedTargets\":[{\"virtualNode\":\"n2\",\"weight\":"
    "1}]}}}}],"
    "\"virtualNodes\":[{\"virtualNodeName\":\"n1\",\"spec\":{\"listeners\":[{\"portMapping\":"
    "{\"port\":8081,\"protocol\":\"http\"}}]}},{\"virtualNodeName\":\"n2\",\"spec\":{"
    "\"listeners\":[{\"portMapping\":{\"port\":8082,\"protocol\":\"http\"}}]}}]}";

static struct mg_config cfg;
static struct mg_route_table *table;

static void
setup(void)
{
	struct mg_route_env env = {0};
	struct mg_cfg_errors errs;
	char err[256];

	if (mg_config_parse(&cfg, mesh, sizeof(mesh) - 1, "fuzz", &errs) != 0) {
		mg_cfg_errors_print(&errs, stderr);
		abort();
	}
	mg_cfg_errors_free(&errs);
	if (mg_route_table_build(&table, &cfg, &env, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[MG_ROUTE_PATH_BUF];
	struct mg_h1_field fields[64];
	struct mg_route_decision d;
	struct mg_h1_request r;
	char *buf, norm[MG_MATCH_PATH_MAX], again[MG_MATCH_PATH_MAX];
	unsigned int port;
	int rc;

	if (table == NULL)
		setup();
	buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	mg_h1_request_init(&r, fields, 64, NULL);
	rc = mg_h1_request_parse(&r, buf, size);
	if (rc <= 0) {
		free(buf);
		return 0;
	}
	if (r.path.len > 0 && r.path.p[0] == '/') {
		int n = mg_match_path_normalize(r.path.p, r.path.len, norm, sizeof(norm));

		if (n > 0) {
			int m = mg_match_path_normalize(norm, (size_t)n, again, sizeof(again));

			if (m != n || memcmp(norm, again, (size_t)n) != 0)
				abort();
		}
	}
	for (port = 8080; port <= 8081; port++) {
		mg_route_decide(table, &r, (uint16_t)port, out, sizeof(out), &d);
		if (d.reason == MG_ROUTE_OK) {
			if (d.path == NULL || d.path_len == 0 || d.path[0] != '/' ||
			    d.path_len > sizeof(out) || d.host == NULL || d.n_targets == 0 ||
			    d.n_targets > MG_MATCH_MAX_TARGETS || d.chosen < 0 ||
			    (unsigned int)d.chosen >= d.n_targets || d.gateway_route == NULL)
				abort();
		} else if (mg_route_reason_status(d.reason) < 400) {
			abort();
		}
	}
	free(buf);
	return 0;
}
