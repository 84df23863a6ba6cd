/*
 * The routing table: evaluation order, rewrites, providers, splits and endpoints, on a
 * mesh parsed by the configuration loader (the conformance suite in tests/routing covers
 * every match kind end to end).
 */
#include <arpa/inet.h>
#include <string.h>

#include "cfgtest.h"
#include "gateway/route/mg_route.h"
#include "gateway/upstream/mg_upool.h"
#include "mgtest.h"

#define GR(name, extra, match, target)                                                             \
	"{\"gatewayRouteName\":\"" name "\",\"spec\":{" extra "\"httpRoute\":{\"match\":{" match   \
	"},\"action\":{\"target\":{\"virtualService\":{\"virtualServiceName\":\"" target           \
	"\"}}}}}}"

static const char mesh[] =
    "{\"appliance\":{\"interfaces\":[{\"name\":\"d\",\"address\":\"10.0.0.2/24\"}],"
    "\"admin\":{\"interface\":\"d\",\"port\":9901},\"endpoints\":{"
    "\"n1\":[{\"address\":\"10.0.0.5\"},{\"address\":\"10.0.0.6\",\"port\":9000}],"
    "\"n2\":[{\"address\":\"10.0.0.7\"}]}},"
    "\"virtualGateway\":{\"virtualGatewayName\":\"gw\",\"spec\":{\"listeners\":[{"
    "\"portMapping\":{\"port\":8080,\"protocol\":\"http\"}}]}},"
    "\"gatewayRoutes\":[" GR("p-short", "", "\"prefix\":\"/a\"", "svc") "," GR(
        "regex", "", "\"path\":{\"regex\":\"/a/.*\"}",
        "svc") "," GR("p-long", "", "\"prefix\":\"/a/b\"",
                      "svc") "," GR("exact", "",
                                    "\"path\":{"
                                    "\"exact\":"
                                    "\"/a/b/c\"}",
                                    "node-svc") "," GR("prio", "\"priority\":5,",
                                                       "\"prefix\":\"/"
                                                       "\",\"headers\":[{\"name\":\"x-prio\"}]",
                                                       "node-svc") "],"
                                                                   "\"virtualServices\":[{"
                                                                   "\"virtualServiceName\":\"svc\","
                                                                   "\"spec\":{\"provider\":{"
                                                                   "\"virtualRouter\":{"
                                                                   "\"virtualRouterName\":\"r\"}}}}"
                                                                   ",{\"virtualServiceName\":"
                                                                   "\"node-svc\","
                                                                   "\"spec\":{\"provider\":{"
                                                                   "\"virtualNode\":{"
                                                                   "\"virtualNodeName\":\"n1\"}}}}]"
                                                                   ","
                                                                   "\"virtualRouters\":[{"
                                                                   "\"virtualRouterName\":\"r\","
                                                                   "\"spec\":{\"listeners\":[{"
                                                                   "\"portMapping\":{\"port\":80,"
                                                                   "\"protocol\":\"http\"}}]}}],"
                                                                   "\"routes\":[{\"routeName\":"
                                                                   "\"all\",\"virtualRouterName\":"
                                                                   "\"r\",\"spec\":{\"httpRoute\":{"
                                                                   "\"match\":{\"prefix\":\"/"
                                                                   "\"},\"action\":{"
                                                                   "\"weightedTargets\":[{"
                                                                   "\"virtualNode\":\"n1\","
                                                                   "\"weight\":3},{\"virtualNode\":"
                                                                   "\"n2\",\"weight\":1}]}}}},"
                                                                   "{\"routeName\":\"first\","
                                                                   "\"virtualRouterName\":\"r\","
                                                                   "\"spec\":{\"priority\":1,"
                                                                   "\"httpRoute\":{\"match\":{"
                                                                   "\"prefix\":\"/"
                                                                   "\",\"method\":\"PUT\"},"
                                                                   "\"action\":{"
                                                                   "\"weightedTargets\":[{"
                                                                   "\"virtualNode\":\"n2\","
                                                                   "\"weight\":1}]}}}}],"
                                                                   "\"virtualNodes\":[{"
                                                                   "\"virtualNodeName\":\"n1\","
                                                                   "\"spec\":{\"listeners\":[{"
                                                                   "\"portMapping\":"
                                                                   "{\"port\":8081,\"protocol\":"
                                                                   "\"http\"}}]}},{"
                                                                   "\"virtualNodeName\":\"n2\","
                                                                   "\"spec\":{"
                                                                   "\"listeners\":[{"
                                                                   "\"portMapping\":{\"port\":8082,"
                                                                   "\"protocol\":\"http\"}}]}}]}";

/* Endpoints the table asked for, with reference counts: real structs (a smaller fake cast to
 * struct mg_endpoint was misaligned, which UBSan reported). */
static struct mg_endpoint eps[16];
static int n_eps;

static struct mg_endpoint *
ep_get(void *arg, uint32_t addr, uint16_t port, bool tls, const char *sni, bool h2)
{
	(void)arg;
	(void)h2;
	(void)tls;
	(void)sni;
	memset(&eps[n_eps], 0, sizeof(eps[n_eps]));
	eps[n_eps].addr = addr;
	eps[n_eps].port = port;
	eps[n_eps].refs = 1;
	return &eps[n_eps++];
}

static void
ep_put(void *arg, struct mg_endpoint *ep)
{
	(void)arg;
	ep->refs--;
}

static enum mg_route_reason
decide(struct mg_route_table *t, const char *req, struct mg_route_decision *d)
{
	static char head[1024], out[MG_ROUTE_PATH_BUF];
	static struct mg_h1_field fields[16];
	static struct mg_h1_request r;

	strcpy(head, req);
	mg_h1_request_init(&r, fields, 16, NULL);
	if (mg_h1_request_parse(&r, head, strlen(head)) <= 0)
		return MG_ROUTE_REASON_COUNT;
	return mg_route_decide(t, &r, 8080, out, sizeof(out), d);
}

MG_TEST(route_table_order_rewrites_and_splits)
{
	static struct mg_config cfg;
	struct mg_route_env env = {.ep_get = ep_get, .ep_put = ep_put};
	struct mg_route_table *t;
	struct mg_route_decision d;
	struct mg_cfg_errors errs;
	char err[256], buf[8192];
	int i, n1 = 0, n2 = 0;

	n_eps = 0;
	if (mg_cfgtest_parse(&cfg, mesh, &errs) != 0)
		MG_ASSERT(!mg_cfgtest_errors(&errs, buf, sizeof(buf)));
	mg_cfg_errors_free(&errs);
	MG_ASSERT_EQ_INT(mg_route_table_build(&t, &cfg, &env, err, sizeof(err)), 0);
	/* Static endpoints: a port left out is the listener's. */
	MG_ASSERT_EQ_INT(n_eps, 3);
	MG_EXPECT_EQ_UINT(eps[0].port, 8081);
	MG_EXPECT_EQ_UINT(eps[1].port, 9000);
	MG_EXPECT_EQ_UINT(eps[0].addr, htonl(0x0a000005));

	/* Exact path before prefixes; the longest prefix first; prefixes before regexes. */
	MG_EXPECT_EQ_INT(decide(t, "GET /a/b/c HTTP/1.1\r\nHost: h\r\n\r\n", &d), MG_ROUTE_OK);
	MG_EXPECT_STR(d.gateway_route, "exact");
	MG_EXPECT_EQ_INT(decide(t, "GET /a/b/x HTTP/1.1\r\nHost: h\r\n\r\n", &d), MG_ROUTE_OK);
	MG_EXPECT_STR(d.gateway_route, "p-long");
	MG_EXPECT_EQ_INT(decide(t, "GET /a/x HTTP/1.1\r\nHost: h\r\n\r\n", &d), MG_ROUTE_OK);
	MG_EXPECT_STR(d.gateway_route, "p-short");
	/* A priority beats any specificity. */
	MG_EXPECT_EQ_INT(decide(t, "GET /a/b/c HTTP/1.1\r\nHost: h\r\nX-Prio: 1\r\n\r\n", &d),
	                 MG_ROUTE_OK);
	MG_EXPECT_STR(d.gateway_route, "prio");
	MG_EXPECT_EQ_INT(decide(t, "GET /zzz HTTP/1.1\r\nHost: h\r\n\r\n", &d),
	                 MG_ROUTE_NO_GATEWAY_ROUTE);
	MG_EXPECT_EQ_INT(mg_route_reason_status(d.reason), 404);

	/* Default rewrites: Host is the virtual service, the prefix becomes "/". */
	MG_EXPECT_EQ_INT(decide(t, "GET /a//b/./x/../y?q=1 HTTP/1.1\r\nHost: h:1\r\n\r\n", &d),
	                 MG_ROUTE_OK);
	MG_EXPECT_STR(d.gateway_route, "p-long");
	MG_EXPECT_EQ_UINT(d.path_len, 6);
	MG_EXPECT_MEM(d.path, "/y?q=1", 6);
	MG_EXPECT_EQ_UINT(d.host_len, 3);
	MG_EXPECT_MEM(d.host, "svc", 3);
	MG_EXPECT_STR(d.virtual_router, "r");

	/* The router's routes: priority first; then a 3:1 split, exact over 4 picks. */
	MG_EXPECT_EQ_INT(decide(t, "PUT /a/x HTTP/1.1\r\nHost: h\r\n\r\n", &d), MG_ROUTE_OK);
	MG_EXPECT_STR(d.route, "first");
	for (i = 0; i < 400; i++) {
		MG_ASSERT_EQ_INT(decide(t, "GET /a/x HTTP/1.1\r\nHost: h\r\n\r\n", &d),
		                 MG_ROUTE_OK);
		MG_ASSERT_EQ_UINT(d.n_targets, 2);
		if (d.chosen == 0)
			n1++;
		else
			n2++;
	}
	MG_EXPECT_EQ_INT(n1, 300);
	MG_EXPECT_EQ_INT(n2, 100);

	/* A virtual node provider: endpoints in turn. */
	MG_EXPECT_EQ_INT(decide(t, "GET /a/b/c HTTP/1.1\r\nHost: h\r\n\r\n", &d), MG_ROUTE_OK);
	MG_EXPECT(d.ep == &eps[0]);
	MG_EXPECT_EQ_INT(decide(t, "GET /a/b/c HTTP/1.1\r\nHost: h\r\n\r\n", &d), MG_ROUTE_OK);
	MG_EXPECT(d.ep == &eps[1]);
	MG_EXPECT_EQ_INT(d.targets[0].port, 8081);

	/* Targets that are not paths (the HTTP parser already refuses bad percent-encoding). */
	MG_EXPECT_EQ_INT(decide(t, "GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", &d),
	                 MG_ROUTE_REASON_COUNT);
	MG_EXPECT_EQ_INT(decide(t, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &d), MG_ROUTE_BAD_PATH);

	mg_route_table_free(t);
	for (i = 0; i < n_eps; i++)
		MG_EXPECT_EQ_UINT(eps[i].refs, 0);
	mg_config_free(&cfg);
}

/* http2Route match.scheme: the request's scheme is that of the client's connection. */
static const char scheme_mesh[] =
    "{\"appliance\":{\"interfaces\":[{\"name\":\"d\",\"address\":\"10.0.0.2/24\"}],"
    "\"admin\":{\"interface\":\"d\",\"port\":9901},\"endpoints\":{"
    "\"plain\":[{\"address\":\"10.0.0.5\"}],\"secure\":[{\"address\":\"10.0.0.6\"}]}},"
    "\"virtualGateway\":{\"virtualGatewayName\":\"gw\",\"spec\":{\"listeners\":[{"
    "\"portMapping\":{\"port\":8080,\"protocol\":\"http2\"}}]}},"
    "\"gatewayRoutes\":[{\"gatewayRouteName\":\"all\",\"spec\":{\"http2Route\":{\"match\":{"
    "\"prefix\":\"/\"},\"action\":{\"target\":{\"virtualService\":{\"virtualServiceName\":"
    "\"svc\"}}}}}}],"
    "\"virtualServices\":[{\"virtualServiceName\":\"svc\",\"spec\":{\"provider\":{"
    "\"virtualRouter\":{\"virtualRouterName\":\"r\"}}}}],"
    "\"virtualRouters\":[{\"virtualRouterName\":\"r\",\"spec\":{\"listeners\":[{"
    "\"portMapping\":{\"port\":8080,\"protocol\":\"http2\"}}]}}],"
    "\"routes\":[{\"routeName\":\"tls-only\",\"virtualRouterName\":\"r\",\"spec\":{"
    "\"http2Route\":{\"match\":{\"prefix\":\"/\",\"scheme\":\"https\"},\"action\":{"
    "\"weightedTargets\":[{\"virtualNode\":\"secure\",\"weight\":1}]}}}},"
    "{\"routeName\":\"any\",\"virtualRouterName\":\"r\",\"spec\":{\"http2Route\":{"
    "\"match\":{\"prefix\":\"/\"},\"action\":{\"weightedTargets\":[{\"virtualNode\":"
    "\"plain\",\"weight\":1}]}}}}],"
    "\"virtualNodes\":[{\"virtualNodeName\":\"plain\",\"spec\":{\"listeners\":[{"
    "\"portMapping\":{\"port\":8080,\"protocol\":\"http2\"}}]}},"
    "{\"virtualNodeName\":\"secure\",\"spec\":{\"listeners\":[{\"portMapping\":{"
    "\"port\":8080,\"protocol\":\"http2\"}}]}}]}";

MG_TEST(route_table_http2_scheme)
{
	static struct mg_config cfg;
	static char head[] = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n", out[MG_ROUTE_PATH_BUF];
	struct mg_route_env env = {.ep_get = ep_get, .ep_put = ep_put};
	struct mg_h1_field fields[8];
	struct mg_route_table *t;
	struct mg_route_decision d;
	struct mg_h1_request r;
	struct mg_cfg_errors errs;
	char err[256], buf[8192];
	int i;

	n_eps = 0;
	if (mg_cfgtest_parse(&cfg, scheme_mesh, &errs) != 0)
		MG_ASSERT(!mg_cfgtest_errors(&errs, buf, sizeof(buf)));
	mg_cfg_errors_free(&errs);
	MG_ASSERT_EQ_INT(mg_route_table_build(&t, &cfg, &env, err, sizeof(err)), 0);
	mg_h1_request_init(&r, fields, 8, NULL);
	MG_ASSERT(mg_h1_request_parse(&r, head, strlen(head)) > 0);
	MG_EXPECT_EQ_INT(mg_route_decide_scheme(t, &r, 8080, true, out, sizeof(out), &d),
	                 MG_ROUTE_OK);
	MG_EXPECT_STR(d.route, "tls-only");
	MG_EXPECT_EQ_INT(mg_route_decide_scheme(t, &r, 8080, false, out, sizeof(out), &d),
	                 MG_ROUTE_OK);
	MG_EXPECT_STR(d.route, "any");
	mg_route_table_free(t);
	for (i = 0; i < n_eps; i++)
		MG_EXPECT_EQ_UINT(eps[i].refs, 0);
	mg_config_free(&cfg);
}
