/*
 * Unit tests for the App Mesh resources of the mesh (gateway/config/mesh.c): `mesh`,
 * `gatewayRoutes`, `virtualServices`, `virtualRouters`, `routes`, `virtualNodes`, and the
 * appliance extensions `appliance.endpoints` and `appliance.dns`. A realistic mesh parsed to
 * the values the routing engine reads; every union, range boundary (in and out), unknown
 * field, dangling reference and duplicate name; all errors reported at once, in document order;
 * mg_config_free().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/config.h"
#include "gateway/config/config_int.h"
#include "gateway/config/schema.h"
#include "cfgtest.h"
#include "mgtest.h"

/* Expands the one "%s" of <fmt> into <fill> 'a's (none when <fill> is 0), malloc'ed. */
static char *
expand(const char *fmt, int fill)
{
	size_t n = strlen(fmt) + (size_t)fill + 1;
	char *pad, *out = malloc(n);

	if (out == NULL)
		abort();
	if (fill == 0) {
		memcpy(out, fmt, strlen(fmt) + 1);
		return out;
	}
	pad = malloc((size_t)fill + 1);
	if (pad == NULL)
		abort();
	memset(pad, 'a', (size_t)fill);
	pad[fill] = '\0';
	snprintf(out, n, fmt, pad);
	free(pad);
	return out;
}

/* ------------------------------------------------------------------------------------------ */
/* A small valid mesh, and builders that replace one of its parts.                            */

#define APPL_X(x)                                                                                  \
	"\"appliance\":{\"interfaces\":[{\"name\":\"data0\",\"address\":\"10.99.0.2/24\"}],"       \
	"\"admin\":{\"interface\":\"data0\",\"port\":9901}" x "}"
#define EPS_VN ",\"endpoints\":{\"vn\":[{\"address\":\"10.0.0.5\"}]}"
#define VGW                                                                                        \
	"\"virtualGateway\":{\"virtualGatewayName\":\"gw\",\"spec\":{\"listeners\":[{"             \
	"\"portMapping\":{\"port\":8080,\"protocol\":\"http\"}}]}}"
#define DOC(appx, gr, vs, vr, rt, vn)                                                              \
	"{" APPL_X(appx) "," VGW ",\"gatewayRoutes\":[" gr "],\"virtualServices\":[" vs            \
	                 "],\"virtualRouters\":[" vr "],\"routes\":[" rt "],\"virtualNodes\":[" vn \
	                 "]}"

#define TGT                "{\"target\":{\"virtualService\":{\"virtualServiceName\":\"svc\"}}}"
#define GRS(spec)          "{\"gatewayRouteName\":\"gr\",\"spec\":" spec "}"
#define GRH(match, action) GRS("{\"httpRoute\":{\"match\":" match ",\"action\":" action "}}")
#define GRM(match)         GRH(match, TGT)
#define GRRW(match, rw)                                                                            \
	GRH(match, "{\"target\":{\"virtualService\":{\"virtualServiceName\":\"svc\"}},"            \
	           "\"rewrite\":" rw "}")
#define GR0 GRM("{\"prefix\":\"/\"}")
#define VS0                                                                                        \
	"{\"virtualServiceName\":\"svc\",\"spec\":{\"provider\":{\"virtualRouter\":{"              \
	"\"virtualRouterName\":\"vr\"}}}}"
#define VR_L(l)           "{\"virtualRouterName\":\"vr\",\"spec\":{\"listeners\":[" l "]}}"
#define PM(port, proto)   "{\"portMapping\":{\"port\":" port ",\"protocol\":\"" proto "\"}}"
#define VR0               VR_L(PM("8080", "http"))
#define WT1               "{\"weightedTargets\":[{\"virtualNode\":\"vn\",\"weight\":1}]}"
#define RTS(spec)         "{\"routeName\":\"rt\",\"virtualRouterName\":\"vr\",\"spec\":" spec "}"
#define RTH(match, extra) RTS("{\"httpRoute\":{\"match\":" match ",\"action\":" WT1 extra "}}")
#define RTA(action)       RTS("{\"httpRoute\":{\"match\":{\"prefix\":\"/\"},\"action\":" action "}}")
#define RTX(extra)        RTH("{\"prefix\":\"/\"}", extra)
#define RT0               RTX("")
#define VNS(spec)         "{\"virtualNodeName\":\"vn\",\"spec\":" spec "}"
#define LST(x)            VNS("{\"listeners\":[{\"portMapping\":{\"port\":8080,\"protocol\":\"http\"}" x "}]}")
#define VN0               LST("")
#define VNX(x)            VNS("{\"listeners\":[" PM("8080", "http") "]," x "}")
#define VSD(sd)           VNS("{\"listeners\":[" PM("8080", "http") "],\"serviceDiscovery\":" sd "}")

#define W_GR(gr) DOC(EPS_VN, gr, VS0, VR0, RT0, VN0)
#define W_VS(vs) DOC(EPS_VN, GR0, vs, VR0, RT0, VN0)
#define W_VR(vr) DOC(EPS_VN, GR0, VS0, vr, RT0, VN0)
#define W_RT(rt) DOC(EPS_VN, GR0, VS0, VR0, rt, VN0)
#define W_VN(vn) DOC(EPS_VN, GR0, VS0, VR0, RT0, vn)
#define W_APP(x) DOC(x, GR0, VS0, VR0, RT0, VN0)
#define DUR      "{\"unit\":\"ms\",\"value\":100}"
#define RETRY(r) W_RT(RTX(",\"retryPolicy\":" r))
#define HDR(h)   W_GR(GRM("{\"prefix\":\"/\",\"headers\":[" h "]}"))
#define MATCH(m) "{\"name\":\"x-h\",\"match\":" m "}"
#define N5(x)    x "," x "," x "," x "," x
#define N10(x)   N5(x) "," N5(x)
#define N11(x)   N10(x) "," x

#define P_GR  "gatewayRoutes[0].spec.httpRoute"
#define P_GRM P_GR ".match"
#define P_H   P_GRM ".headers[0]"
#define P_RT  "routes[0].spec.httpRoute"
#define P_RP  P_RT ".retryPolicy"
#define P_VN  "virtualNodes[0].spec"
#define P_VL  P_VN ".listeners[0]"

MG_TEST(mesh_base_document_is_valid)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	static char out[8192];

	if (!MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, DOC(EPS_VN, GR0, VS0, VR0, RT0, VN0), &errs),
	                      0))
		printf("%s", mg_cfgtest_errors(&errs, out, sizeof(out)));
	MG_EXPECT_EQ_INT(cfg.n_routes, 1);
	MG_EXPECT_EQ_INT(cfg.routes[0].targets[0].node_index, 0);
	MG_EXPECT_EQ_INT(cfg.gateway_routes[0].target_service_index, 0);
	MG_EXPECT_EQ_INT(cfg.virtual_services[0].provider_index, 0);
	mg_cfg_errors_free(&errs);
	mg_config_free(&cfg);
}

MG_TEST(mesh_tables_pass_the_self_check)
{
	char why[256];
	int i;

	for (i = 0; mg_config_mesh_schemas[i] != NULL; i++) {
		MG_CASE("%s", mg_config_mesh_schemas[i]->name);
		MG_EXPECT_EQ_INT(mg_schema_check(mg_config_mesh_schemas[i], why, sizeof(why)), 0);
		MG_EXPECT_STR(why, "");
	}
	MG_EXPECT_EQ_INT(i, 6);
	MG_EXPECT_EQ_INT(mg_schema_check(&mg_config_schema, why, sizeof(why)), 0);
	MG_EXPECT_STR(why, "");
}

/* ------------------------------------------------------------------------------------------ */
/* The colors canary mesh, describe outputs as the CLI prints them.                           */

static const char colors[] =
    "{\n"
    "  \"appliance\": {\n"
    "    \"interfaces\": [ { \"name\": \"data0\", \"address\": \"10.99.0.2/24\" } ],\n"
    "    \"admin\": { \"interface\": \"data0\", \"port\": 9901 },\n"
    "    \"dns\": { \"resolvers\": [ \"10.99.0.53\", \"10.99.0.54\" ], \"timeoutMs\": 2000 },\n"
    "    \"endpoints\": {\n"
    "      \"colors-blue\": [ { \"address\": \"10.99.0.11\", \"port\": 8081 },\n"
    "                       { \"address\": \"10.99.0.12\" } ]\n"
    "    }\n"
    "  },\n"
    "  \"mesh\": { \"meshName\": \"colors\", \"metadata\": { \"version\": 1 },\n"
    "            \"spec\": { \"egressFilter\": { \"type\": \"ALLOW_ALL\" },\n"
    "                      \"serviceDiscovery\": { \"ipPreference\": \"IPv4_ONLY\" } },\n"
    "            \"status\": { \"status\": \"ACTIVE\" } },\n"
    "  \"virtualGateway\": { \"meshName\": \"colors\", \"virtualGatewayName\": \"colors-gw\",\n"
    "    \"spec\": { \"listeners\": [ { \"portMapping\": { \"port\": 8080, \"protocol\": "
    "\"http\" } } ] } },\n"
    "  \"gatewayRoutes\": [\n"
    "    { \"meshName\": \"colors\", \"virtualGatewayName\": \"colors-gw\",\n"
    "      \"gatewayRouteName\": \"color-route\",\n"
    "      \"spec\": { \"priority\": 10, \"httpRoute\": {\n"
    "        \"match\": { \"prefix\": \"/color\", \"hostname\": { \"suffix\": \".example.com\" "
    "},\n"
    "                   \"method\": \"POST\", \"port\": 8080,\n"
    "                   \"headers\": [ { \"name\": \"x-canary\", \"invert\": true,\n"
    "                                  \"match\": { \"exact\": \"off\" } } ],\n"
    "                   \"queryParameters\": [ { \"name\": \"v\", \"match\": { \"exact\": "
    "\"\" } },\n"
    "                                        { \"name\": \"debug\" } ] },\n"
    "        \"action\": { \"target\": { \"virtualService\": { \"virtualServiceName\": "
    "\"color.colors.local\" } },\n"
    "                    \"rewrite\": { \"prefix\": { \"value\": \"/v2/\" },\n"
    "                                 \"hostname\": { \"defaultTargetHostname\": \"DISABLED\" "
    "} } } } } },\n"
    "    { \"gatewayRouteName\": \"legacy\", \"spec\": { \"httpRoute\": {\n"
    "        \"match\": { \"path\": { \"regex\": \"^/legacy/[0-9]+$\" } },\n"
    "        \"action\": { \"target\": { \"virtualService\": { \"virtualServiceName\": "
    "\"green.colors.local\" }, \"port\": 9080 },\n"
    "                    \"rewrite\": { \"path\": { \"exact\": \"/new\" } } } } } }\n"
    "  ],\n"
    "  \"virtualServices\": [\n"
    "    { \"virtualServiceName\": \"color.colors.local\",\n"
    "      \"spec\": { \"provider\": { \"virtualRouter\": { \"virtualRouterName\": "
    "\"color-router\" } } } },\n"
    "    { \"virtualServiceName\": \"green.colors.local\",\n"
    "      \"spec\": { \"provider\": { \"virtualNode\": { \"virtualNodeName\": \"colors-green\" "
    "} } } },\n"
    "    { \"virtualServiceName\": \"orphan.colors.local\", \"spec\": {} }\n"
    "  ],\n"
    "  \"virtualRouters\": [ { \"virtualRouterName\": \"color-router\",\n"
    "    \"spec\": { \"listeners\": [ { \"portMapping\": { \"port\": 8080, \"protocol\": "
    "\"http\" } } ] } } ],\n"
    "  \"routes\": [\n"
    "    { \"meshName\": \"colors\", \"virtualRouterName\": \"color-router\", \"routeName\": "
    "\"canary\",\n"
    "      \"spec\": { \"priority\": 0, \"httpRoute\": {\n"
    "        \"match\": { \"prefix\": \"/\", \"headers\": [ { \"name\": \"x-version\",\n"
    "                   \"match\": { \"range\": { \"start\": 2, \"end\": 5 } } } ] },\n"
    "        \"action\": { \"weightedTargets\": [ { \"virtualNode\": \"colors-blue\", "
    "\"weight\": 90 },\n"
    "                     { \"virtualNode\": \"colors-green\", \"weight\": 10, \"port\": 9080 } "
    "] },\n"
    "        \"retryPolicy\": { \"maxRetries\": 2, \"perRetryTimeout\": { \"unit\": \"ms\", "
    "\"value\": 500 },\n"
    "                         \"httpRetryEvents\": [ \"gateway-error\", \"stream-error\" ],\n"
    "                         \"tcpRetryEvents\": [ \"connection-error\" ] },\n"
    "        \"timeout\": { \"perRequest\": { \"unit\": \"s\", \"value\": 15 } } } } },\n"
    "    { \"virtualRouterName\": \"color-router\", \"routeName\": \"fallback\",\n"
    "      \"spec\": { \"httpRoute\": { \"match\": { \"prefix\": \"/\" },\n"
    "        \"action\": { \"weightedTargets\": [ { \"virtualNode\": \"colors-blue\", "
    "\"weight\": 1 } ] } } } }\n"
    "  ],\n"
    "  \"virtualNodes\": [\n"
    "    { \"virtualNodeName\": \"colors-blue\", \"spec\": {\n"
    "        \"listeners\": [ { \"portMapping\": { \"port\": 8080, \"protocol\": \"http\" },\n"
    "          \"healthCheck\": { \"protocol\": \"http\", \"healthyThreshold\": 2, "
    "\"unhealthyThreshold\": 3,\n"
    "                           \"intervalMillis\": 5000, \"timeoutMillis\": 2000 },\n"
    "          \"outlierDetection\": { \"maxServerErrors\": 5, \"maxEjectionPercent\": 10,\n"
    "            \"interval\": { \"unit\": \"s\", \"value\": 10 }, \"baseEjectionDuration\": { "
    "\"unit\": \"ms\", \"value\": 30000 } },\n"
    "          \"connectionPool\": { \"http\": { \"maxConnections\": 100 } },\n"
    "          \"timeout\": { \"http\": { \"idle\": { \"unit\": \"s\", \"value\": 300 } } } } "
    "],\n"
    "        \"serviceDiscovery\": { \"dns\": { \"hostname\": \"blue.colors.local\" } },\n"
    "        \"backends\": [ { \"virtualService\": { \"virtualServiceName\": "
    "\"green.colors.local\" } } ] } },\n"
    "    { \"virtualNodeName\": \"colors-green\", \"spec\": {\n"
    "        \"listeners\": [ { \"portMapping\": { \"port\": 9080, \"protocol\": \"http\" },\n"
    "          \"tls\": { \"mode\": \"STRICT\", \"certificate\": { \"acm\": { "
    "\"certificateArn\": \"arn:aws:acm:x\" } } } } ],\n"
    "        \"serviceDiscovery\": { \"dns\": { \"hostname\": \"green.colors.local\",\n"
    "          \"responseType\": \"ENDPOINTS\", \"ipPreference\": \"IPv6_PREFERRED\" } } } }\n"
    "  ]\n"
    "}\n";

MG_TEST(mesh_colors_parses_to_what_the_routing_engine_reads)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	static char out[8192];
	const struct mg_cfg_gateway_route *g;
	const struct mg_cfg_route *r;
	const struct mg_cfg_virtual_node *n;
	const struct mg_cfg_virtual_router *vr;

	if (!MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, colors, &errs), 0)) {
		printf("%s", mg_cfgtest_errors(&errs, out, sizeof(out)));
		return;
	}
	MG_EXPECT(cfg.has_mesh);
	MG_EXPECT_STR(cfg.mesh.name, "colors");
	MG_EXPECT_EQ_INT(cfg.mesh.egress, MG_CFG_EGRESS_ALLOW_ALL);
	MG_EXPECT_EQ_INT(cfg.mesh.ip_preference, MG_CFG_IP_IPV4_ONLY);
	MG_EXPECT_EQ_INT(cfg.appliance.dns.n_resolvers, 2);
	MG_EXPECT_EQ_UINT(cfg.appliance.dns.resolvers[1], 0x0A630036);
	MG_EXPECT_EQ_UINT(cfg.appliance.dns.timeout_ms, 2000);

	MG_ASSERT_EQ_INT(cfg.n_gateway_routes, 2);
	g = &cfg.gateway_routes[0];
	MG_EXPECT_STR(g->name, "color-route");
	MG_EXPECT(g->has_priority && g->priority == 10);
	MG_EXPECT_EQ_INT(g->kind, MG_CFG_ROUTE_HTTP);
	MG_EXPECT_STR(g->match.prefix, "/color");
	MG_EXPECT(g->match.path.kind == MG_CFG_MATCH_NONE && g->match.path.value == NULL);
	MG_EXPECT_EQ_INT(g->match.hostname.kind, MG_CFG_MATCH_SUFFIX);
	MG_EXPECT_STR(g->match.hostname.value, ".example.com");
	MG_EXPECT_EQ_INT(g->match.method, MG_CFG_METHOD_POST);
	MG_EXPECT_EQ_UINT(g->match.port, 8080);
	MG_ASSERT_EQ_INT(g->match.n_headers, 1);
	MG_EXPECT_STR(g->match.headers[0].name, "x-canary");
	MG_EXPECT(g->match.headers[0].invert);
	MG_EXPECT_EQ_INT(g->match.headers[0].match.kind, MG_CFG_MATCH_EXACT);
	MG_EXPECT_STR(g->match.headers[0].match.value, "off");
	MG_ASSERT_EQ_INT(g->match.n_query, 2);
	MG_EXPECT_STR(g->match.query[0].name, "v");
	MG_EXPECT_STR(g->match.query[0].exact, "");
	MG_EXPECT(g->match.query[1].exact == NULL);
	MG_EXPECT_STR(g->target_service, "color.colors.local");
	MG_EXPECT_EQ_INT(g->target_service_index, 0);
	MG_EXPECT_EQ_UINT(g->target_port, 0);
	MG_EXPECT_EQ_INT(g->rewrite_hostname, MG_CFG_REWRITE_DISABLED);
	MG_EXPECT_EQ_INT(g->rewrite_prefix_default, MG_CFG_REWRITE_UNSET);
	MG_EXPECT_STR(g->rewrite_prefix_value, "/v2/");
	MG_EXPECT(g->rewrite_path == NULL);
	g = &cfg.gateway_routes[1];
	MG_EXPECT(!g->has_priority);
	MG_EXPECT(g->match.prefix == NULL);
	MG_EXPECT_EQ_INT(g->match.path.kind, MG_CFG_MATCH_REGEX);
	MG_EXPECT_STR(g->match.path.value, "^/legacy/[0-9]+$");
	MG_EXPECT_EQ_INT(g->match.method, MG_CFG_METHOD_NONE);
	MG_EXPECT_EQ_INT(g->target_service_index, 1);
	MG_EXPECT_EQ_UINT(g->target_port, 9080);
	MG_EXPECT_EQ_INT(g->rewrite_hostname, MG_CFG_REWRITE_UNSET);
	MG_EXPECT_STR(g->rewrite_path, "/new");

	MG_ASSERT_EQ_INT(cfg.n_virtual_services, 3);
	MG_EXPECT_EQ_INT(cfg.virtual_services[0].provider_kind, MG_CFG_PROVIDER_ROUTER);
	MG_EXPECT_STR(cfg.virtual_services[0].provider_name, "color-router");
	MG_EXPECT_EQ_INT(cfg.virtual_services[0].provider_index, 0);
	MG_EXPECT_EQ_INT(cfg.virtual_services[1].provider_kind, MG_CFG_PROVIDER_NODE);
	MG_EXPECT_EQ_INT(cfg.virtual_services[1].provider_index, 1);
	MG_EXPECT_EQ_INT(cfg.virtual_services[2].provider_kind, MG_CFG_PROVIDER_NONE);
	MG_EXPECT(cfg.virtual_services[2].provider_name == NULL);
	MG_EXPECT_EQ_INT(cfg.virtual_services[2].provider_index, -1);

	MG_ASSERT_EQ_INT(cfg.n_virtual_routers, 1);
	vr = &cfg.virtual_routers[0];
	MG_ASSERT_EQ_INT(vr->n_listeners, 1);
	MG_EXPECT_EQ_UINT(vr->listeners[0].port, 8080);
	MG_EXPECT_EQ_INT(vr->listeners[0].protocol, MG_CFG_PP_HTTP);
	MG_ASSERT_EQ_INT(vr->n_routes, 2);
	MG_EXPECT(vr->routes[0] == 0 && vr->routes[1] == 1);

	MG_ASSERT_EQ_INT(cfg.n_routes, 2);
	r = &cfg.routes[0];
	MG_EXPECT_STR(r->name, "canary");
	MG_EXPECT_STR(r->router, "color-router");
	MG_EXPECT_EQ_INT(r->router_index, 0);
	MG_EXPECT(r->has_priority && r->priority == 0);
	MG_ASSERT_EQ_INT(r->match.n_headers, 1);
	MG_EXPECT_EQ_INT(r->match.headers[0].match.kind, MG_CFG_MATCH_RANGE);
	MG_EXPECT(r->match.headers[0].match.range_start == 2);
	MG_EXPECT(r->match.headers[0].match.range_end == 5);
	MG_EXPECT(r->match.headers[0].match.value == NULL);
	MG_ASSERT_EQ_INT(r->n_targets, 2);
	MG_EXPECT_EQ_INT(r->targets[0].node_index, 0);
	MG_EXPECT_EQ_UINT(r->targets[0].weight, 90);
	MG_EXPECT_EQ_UINT(r->targets[0].port, 0);
	MG_EXPECT_EQ_INT(r->targets[1].node_index, 1);
	MG_EXPECT_EQ_UINT(r->targets[1].port, 9080);
	MG_EXPECT(r->retry.present);
	MG_EXPECT(r->retry.max_retries == 2);
	MG_EXPECT(r->retry.per_retry_timeout.set && r->retry.per_retry_timeout.ms == 500);
	MG_EXPECT_EQ_UINT(r->retry.http_events,
	                  MG_CFG_RETRY_HTTP_GATEWAY_ERROR | MG_CFG_RETRY_HTTP_STREAM_ERROR);
	MG_EXPECT_EQ_UINT(r->retry.tcp_events, MG_CFG_RETRY_TCP_CONNECTION_ERROR);
	MG_EXPECT(r->per_request.set && r->per_request.ms == 15000);
	MG_EXPECT(!r->idle.set);
	MG_EXPECT(!cfg.routes[1].retry.present && !cfg.routes[1].has_priority);

	MG_ASSERT_EQ_INT(cfg.n_virtual_nodes, 2);
	n = &cfg.virtual_nodes[0];
	MG_EXPECT_STR(n->name, "colors-blue");
	MG_ASSERT_EQ_INT(n->n_listeners, 1);
	MG_EXPECT(n->listeners[0].has_health_check);
	MG_EXPECT_EQ_UINT(n->listeners[0].health_check.port, 8080);
	MG_EXPECT(n->listeners[0].health_check.path == NULL);
	MG_EXPECT_EQ_UINT(n->listeners[0].health_check.unhealthy_threshold, 3);
	MG_EXPECT(n->listeners[0].has_outlier_detection);
	MG_EXPECT(n->listeners[0].outlier_detection.interval.ms == 10000);
	MG_EXPECT(n->listeners[0].outlier_detection.base_ejection_duration.ms == 30000);
	MG_EXPECT_EQ_INT(n->listeners[0].pool_kind, MG_CFG_NODE_POOL_HTTP);
	MG_EXPECT_EQ_UINT(n->listeners[0].max_connections, 100);
	MG_EXPECT_EQ_UINT(n->listeners[0].max_pending_requests, MG_CFG_POOL_UNLIMITED);
	MG_EXPECT(n->listeners[0].idle.set && n->listeners[0].idle.ms == 300000);
	MG_EXPECT(!n->listeners[0].per_request.set);
	MG_EXPECT_EQ_INT(n->listeners[0].tls_mode, MG_CFG_TLS_NONE);
	MG_EXPECT_EQ_INT(n->discovery, MG_CFG_DISCOVERY_DNS);
	MG_EXPECT_STR(n->dns_hostname, "blue.colors.local");
	MG_EXPECT_EQ_INT(n->dns_response, MG_CFG_DNS_LOADBALANCER);
	MG_EXPECT_EQ_INT(n->ip_preference, MG_CFG_IP_IPV4_ONLY); /* the mesh's */
	MG_ASSERT_EQ_INT(n->n_endpoints, 2);
	MG_EXPECT_EQ_UINT(n->endpoints[0].addr, 0x0A63000B);
	MG_EXPECT_EQ_UINT(n->endpoints[0].port, 8081);
	MG_EXPECT_EQ_UINT(n->endpoints[1].port, 0);
	MG_ASSERT_EQ_INT(n->n_backends, 1);
	MG_EXPECT_STR(n->backends[0], "green.colors.local");
	n = &cfg.virtual_nodes[1];
	MG_EXPECT_EQ_INT(n->listeners[0].tls_mode, MG_CFG_TLS_STRICT);
	MG_EXPECT_EQ_INT(n->dns_response, MG_CFG_DNS_ENDPOINTS);
	MG_EXPECT_EQ_INT(n->ip_preference, MG_CFG_IP_IPV6_PREFERRED);
	MG_EXPECT_EQ_INT(n->n_endpoints, 0);
	MG_ASSERT_EQ_INT(cfg.appliance.n_endpoint_sets, 1);
	MG_EXPECT_EQ_INT(cfg.appliance.endpoint_sets[0].node_index, 0);

	mg_cfg_errors_free(&errs);
	mg_config_free(&cfg);
	MG_EXPECT(cfg.routes == NULL && cfg.n_routes == 0 && cfg.mesh.name == NULL);
	/* Freeing twice, or a zeroed configuration, is harmless. */
	mg_config_free(&cfg);
}

/* ------------------------------------------------------------------------------------------ */
/* Errors, one part at a time.                                                                */

struct mesh_err {
	const char *text;
	const char *path;
	const char *msg;
	int count;
	int fill;
};

static void
run_err_cases(const struct mesh_err *cases, size_t n)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	static char out[16384];
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		const struct mesh_err *c = &cases[i];
		char *text = expand(c->text, c->fill);
		int want = c->count > 0 ? c->count : 1;
		bool found = false;

		MG_CASE("#%zu %s", i, c->msg);
		MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, text, &errs), -EINVAL);
		for (j = 0; j < errs.list.count && !found; j++)
			found = strcmp(errs.list.list[j].path, c->path) == 0 &&
			        strstr(errs.list.list[j].msg, c->msg) != NULL;
		if (!MG_EXPECT_EQ_INT(errs.list.count, want) ||
		    !MG_EXPECT(found && "an error with this path and message"))
			printf("%s", mg_cfgtest_errors(&errs, out, sizeof(out)));
		mg_cfg_errors_free(&errs);
		free(text);
	}
	mg_config_free(&cfg);
}

#define LONG256 "%s"

static const struct mesh_err gateway_route_errors[] = {
    /* The resource and its spec union. */
    {W_GR("{\"spec\":{}}"), "gatewayRoutes[0]", "missing required field 'gatewayRouteName'", 2},
    {W_GR("{\"gatewayRouteName\":\"gr\"}"), "gatewayRoutes[0]", "missing required field 'spec'"},
    {W_GR(GRS("{}")), "gatewayRoutes[0].spec",
     "expected exactly one of 'grpcRoute', 'http2Route' or 'httpRoute'"},
    {W_GR(GRS("{\"priority\":1}")), "gatewayRoutes[0].spec", "expected exactly one of"},
    {W_GR("{\"gatewayRouteName\":\"gr\",\"spec\":{\"httpRoute\":{\"match\":{\"prefix\":\"/\"},"
          "\"action\":" TGT "},\"grpcRoute\":{}}}"),
     "gatewayRoutes[0].spec.grpcRoute", "'grpcRoute' cannot be combined with 'httpRoute'"},
    {W_GR("{\"gatewayRouteName\":\"%s\",\"spec\":{\"httpRoute\":{\"match\":{\"prefix\":\"/\"},"
          "\"action\":" TGT "}}}"),
     "gatewayRoutes[0].gatewayRouteName", "is too long (256 bytes, at most 255)", 0, 256},
    {W_GR("{\"gatewayRouteName\":\"\",\"spec\":{\"httpRoute\":{\"match\":{\"prefix\":\"/\"},"
          "\"action\":" TGT "}}}"),
     "gatewayRoutes[0].gatewayRouteName", "must not be empty"},
    {W_GR("{\"gatewayRoutename\":\"gr\",\"spec\":{}}"), "gatewayRoutes[0].gatewayRoutename",
     "did you mean 'gatewayRouteName'?", 3},
    {W_GR("{\"gatewayRouteName\":\"gr\",\"tags\":[],\"spec\":{\"httpRoute\":{\"match\":{"
          "\"prefix\":\"/\"},\"action\":" TGT "}}}"),
     "gatewayRoutes[0].tags", "unknown field 'tags'"},
    {DOC(EPS_VN, "7", VS0, VR0, RT0, VN0), "gatewayRoutes[0]", "expected an object, got number"},
    {"{" APPL_X(EPS_VN) "," VGW ",\"gatewayRoutes\":{}}", "gatewayRoutes",
     "expected an array, got object", 2},
    {W_GR("{\"gatewayRouteName\":\"gr\",\"spec\":{\"priority\":1001,\"httpRoute\":{\"match\":{"
          "\"prefix\":\"/\"},\"action\":" TGT "}}}"),
     "gatewayRoutes[0].spec.priority", "1001 is out of range 0..1000"},
    {W_GR("{\"gatewayRouteName\":\"gr\",\"spec\":{\"priority\":-1,\"httpRoute\":{\"match\":{"
          "\"prefix\":\"/\"},\"action\":" TGT "}}}"),
     "gatewayRoutes[0].spec.priority", "-1 is out of range 0..1000"},
    {W_GR(GRS("{\"httpRoute\":{\"action\":" TGT "}}")), P_GR, "missing required field 'match'"},
    {W_GR(GRS("{\"httpRoute\":{\"match\":{}}}")), P_GR, "missing required field 'action'"},
    {W_GR(GRS("{\"http2Route\":{\"match\":{},\"actions\":{}}}")),
     "gatewayRoutes[0].spec.http2Route.actions", "did you mean 'action'?", 2},
    /* match */
    {W_GR(GRM("{\"prefix\":\"color\"}")), P_GRM ".prefix", "'color' must start with '/'"},
    {W_GR(GRM("{\"prefix\":\"\"}")), P_GRM ".prefix", "must start with '/'"},
    {W_GR(GRM("{\"prefix\":\"/aws-appmesh/x\"}")), P_GRM ".prefix", "are reserved"},
    {W_GR(GRM("{\"prefix\":\"/AWS-App-Mesh\"}")), P_GRM ".prefix", "are reserved"},
    {W_GR(GRM("{\"path\":{}}")), P_GRM ".path", "expected exactly one of 'exact' or 'regex'"},
    {W_GR(GRM("{\"path\":{\"exact\":\"/a\",\"regex\":\"a\"}}")), P_GRM ".path.regex",
     "'regex' cannot be combined with 'exact'"},
    {W_GR(GRM("{\"path\":{\"exact\":\"a\"}}")), P_GRM ".path.exact", "must start with '/'"},
    {W_GR(GRM("{\"path\":{\"exact\":\"/%s\"}}")), P_GRM ".path.exact",
     "is too long (256 bytes, at most 255)", 0, 255},
    {W_GR(GRM("{\"path\":{\"regex\":\"(a\"}}")), P_GRM ".path.regex",
     "invalid regular expression: missing closing parenthesis (at offset 2)"},
    {W_GR(GRM("{\"path\":{\"regex\":\"\"}}")), P_GRM ".path.regex", "must not be empty"},
    {W_GR(GRM("{\"prefix\":\"/\",\"path\":{\"exact\":\"/a\"}}")), P_GRM ".path",
     "'path' cannot be combined with 'prefix'"},
    {W_GR(GRM("{\"hostname\":{\"exact\":\"a.b\",\"suffix\":\"b\"}}")), P_GRM ".hostname.suffix",
     "cannot be combined"},
    {W_GR(GRM("{\"hostname\":{}}")), P_GRM ".hostname",
     "expected exactly one of 'exact' or 'suffix'"},
    {W_GR(GRM("{\"hostname\":{\"exact\":\"a b\"}}")), P_GRM ".hostname.exact",
     "'a b' is not a host name"},
    {W_GR(GRM("{\"hostname\":{\"suffix\":\"%s\"}}")), P_GRM ".hostname.suffix",
     "is too long (254 bytes, at most 253)", 0, 254},
    {W_GR(GRM("{\"method\":\"FETCH\"}")), P_GRM ".method",
     "'FETCH' is not valid (expected GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE or "
     "PATCH)"},
    {W_GR(GRM("{\"port\":0}")), P_GRM ".port", "0 is out of range 1..65535"},
    {W_GR(GRM("{\"port\":65536}")), P_GRM ".port", "65536 is out of range 1..65535"},
    {W_GR(GRM("{\"port\":9090}")), P_GRM ".port",
     "port 9090 is not the virtual gateway's listener port (8080)"},
    {W_GR(GRM("{\"queryParameters\":[]}")), P_GRM ".queryParameters", "must not be empty"},
    {W_GR(GRM("{\"queryParameters\":[" N11("{\"name\":\"q\"}") "]}")), P_GRM ".queryParameters",
     "has 11 elements, at most 10 allowed"},
    {W_GR(GRM("{\"queryParameters\":[{}]}")), P_GRM ".queryParameters[0]",
     "missing required field 'name'"},
    {W_GR(GRM("{\"queryParameters\":[{\"name\":\"q\",\"match\":{\"regex\":\"x\"}}]}")),
     P_GRM ".queryParameters[0].match.regex", "unknown field 'regex' (expected 'exact')"},
    {W_GR(GRM("{\"scheme\":\"http\"}")), P_GRM ".scheme", "unknown field 'scheme'"},
    /* headers and their match union */
    {HDR(""), P_GRM ".headers", "must not be empty"},
    {HDR(N11("{\"name\":\"h\"}")), P_GRM ".headers", "has 11 elements, at most 10 allowed"},
    {HDR("{}"), P_H, "missing required field 'name'"},
    {HDR("{\"name\":\"%s\"}"), P_H ".name", "is too long (51 bytes, at most 50)", 0, 51},
    {HDR("{\"name\":\"x h\"}"), P_H ".name", "'x h' is not an HTTP header name"},
    {HDR("{\"name\":\"h\",\"invert\":\"yes\"}"), P_H ".invert", "expected a boolean, got string"},
    {HDR(MATCH("{}")), P_H ".match",
     "expected exactly one of 'exact', 'prefix', 'range', 'regex' or 'suffix'"},
    {HDR(MATCH("{\"exact\":\"a\",\"prefix\":\"b\"}")), P_H ".match.prefix",
     "'prefix' cannot be combined with 'exact'"},
    {HDR(MATCH("{\"exact\":\"\"}")), P_H ".match.exact", "must not be empty"},
    {HDR(MATCH("{\"suffix\":\"%s\"}")), P_H ".match.suffix", "is too long (256 bytes", 0, 256},
    {HDR(MATCH("{\"regex\":\"[\"}")), P_H ".match.regex", "invalid regular expression"},
    {HDR(MATCH("{\"range\":{\"start\":1}}")), P_H ".match.range", "missing required field 'end'"},
    {HDR(MATCH("{\"range\":{\"start\":1,\"end\":1}}")), P_H ".match.range",
     "start (1) must be less than end (1)"},
    {HDR(MATCH("{\"range\":{\"start\":1,\"end\":1.5}}")), P_H ".match.range.end",
     "expected an integer, got 1.5"},
    {HDR(MATCH("{\"contains\":\"x\"}")), P_H ".match.contains", "unknown field 'contains'", 2},
    /* action */
    {W_GR(GRH("{\"prefix\":\"/\"}", "{}")), P_GR ".action", "missing required field 'target'"},
    {W_GR(GRH("{\"prefix\":\"/\"}", "{\"target\":{}}")), P_GR ".action.target",
     "missing required field 'virtualService'"},
    {W_GR(GRH("{\"prefix\":\"/\"}", "{\"target\":{\"virtualService\":{}}}")),
     P_GR ".action.target.virtualService", "missing required field 'virtualServiceName'"},
    {W_GR(GRH("{\"prefix\":\"/\"}", "{\"target\":{\"virtualService\":{\"virtualServiceName\":"
                                    "\"svc\"},\"port\":0}}")),
     P_GR ".action.target.port", "0 is out of range 1..65535"},
    {W_GR(GRH("{\"prefix\":\"/\"}", "{\"target\":{\"virtualService\":{\"virtualServiceName\":"
                                    "\"svc\"},\"port\":9090}}")),
     P_GR ".action.target.port", "port 9090 is not a listener port of virtual router 'vr' (8080)"},
    {W_GR(GRH("{\"prefix\":\"/\"}",
              "{\"target\":{\"virtualService\":{\"virtualServiceName\":\"nope\"}}}")),
     P_GR ".action.target.virtualService.virtualServiceName",
     "there is no virtual service named 'nope' (in virtualServices)"},
    /* rewrites */
    {W_GR(GRRW("{\"path\":{\"exact\":\"/a\"}}", "{\"prefix\":{\"value\":\"/b\"}}")),
     P_GR ".action.rewrite.prefix", "a prefix rewrite needs a prefix match (match.prefix)"},
    {W_GR(GRRW("{\"prefix\":\"/\"}", "{\"path\":{\"exact\":\"/b\"}}")), P_GR ".action.rewrite.path",
     "a path rewrite needs a path match (match.path)"},
    {W_GR(GRRW("{\"prefix\":\"/\"}",
               "{\"prefix\":{\"defaultPrefix\":\"ENABLED\",\"value\":\"/b\"}}")),
     P_GR ".action.rewrite.prefix.value", "'value' cannot be combined with 'defaultPrefix'"},
    {W_GR(GRRW("{\"prefix\":\"/\"}", "{\"prefix\":{}}")), P_GR ".action.rewrite.prefix",
     "set 'defaultPrefix' or 'value'"},
    {W_GR(GRRW("{\"prefix\":\"/\"}", "{\"prefix\":{\"defaultPrefix\":\"ON\"}}")),
     P_GR ".action.rewrite.prefix.defaultPrefix",
     "'ON' is not valid (expected ENABLED or DISABLED)"},
    {W_GR(GRRW("{\"prefix\":\"/\"}", "{\"prefix\":{\"value\":\"b\"}}")),
     P_GR ".action.rewrite.prefix.value", "must start with '/'"},
    {W_GR(GRRW("{\"prefix\":\"/\"}", "{\"hostname\":{\"defaultTargetHostname\":\"NO\"}}")),
     P_GR ".action.rewrite.hostname.defaultTargetHostname", "'NO' is not valid"},
    {W_GR(GRRW("{\"path\":{\"exact\":\"/a\"}}", "{\"path\":{\"exact\":\"b\"}}")),
     P_GR ".action.rewrite.path.exact", "must start with '/'"},
    /* gRPC gateway routes */
    {W_GR(GRS("{\"grpcRoute\":{\"match\":{\"serviceName\":\"aws.appmesh.Health\"},\"action\":" TGT
              "}}")),
     "gatewayRoutes[0].spec.grpcRoute.match.serviceName", "are reserved", 2},
    {W_GR(GRS("{\"grpcRoute\":{\"match\":{\"metadata\":[" N11(
         "{\"name\":\"m\"}") "]},\"action\":" TGT "}}")),
     "gatewayRoutes[0].spec.grpcRoute.match.metadata", "has 11 elements, at most 10 allowed", 2},
    {W_GR(GRS("{\"grpcRoute\":{\"match\":{},\"action\":{\"target\":{\"virtualService\":{"
              "\"virtualServiceName\":\"svc\"}},\"rewrite\":{\"prefix\":{}}}}}")),
     "gatewayRoutes[0].spec.grpcRoute.action.rewrite.prefix",
     "unknown field 'prefix' (expected 'hostname')", 2},
    {W_GR(GRS("{\"grpcRoute\":{\"match\":{},\"action\":" TGT "}}")),
     "gatewayRoutes[0].spec.grpcRoute",
     "a grpcRoute cannot serve the virtual gateway's http listener: its gateway routes must be "
     "httpRoute"},
    {W_GR(GRS("{\"http2Route\":{\"match\":{},\"action\":" TGT "}}")),
     "gatewayRoutes[0].spec.http2Route", "a http2Route cannot serve"},
    /* Across resources. */
    {W_GR(GR0 "," GR0), "gatewayRoutes[1].gatewayRouteName",
     "'gr' is already the name of gatewayRoutes[0]"},
    {W_GR("{\"virtualGatewayName\":\"gw2\",\"gatewayRouteName\":\"gr\",\"spec\":{\"httpRoute\":{"
          "\"match\":{\"prefix\":\"/\"},\"action\":" TGT "}}}"),
     "gatewayRoutes[0].virtualGatewayName",
     "this gateway route belongs to virtual gateway 'gw2', not to 'gw'"},
    {"{" APPL_X("") ",\"gatewayRoutes\":[" GR0 "]}", "gatewayRoutes",
     "gateway routes need the virtualGateway they belong to"},
};

MG_TEST(mesh_gateway_route_errors)
{
	run_err_cases(gateway_route_errors, MG_SCHEMA_COUNT(gateway_route_errors));
}

static const struct mesh_err route_errors[] = {
    {W_RT("{\"routeName\":\"rt\",\"spec\":{\"httpRoute\":{\"match\":{},\"action\":" WT1 "}}}"),
     "routes[0]", "missing required field 'virtualRouterName'"},
    {W_RT("{\"routeName\":\"rt\",\"virtualRouterName\":\"nope\",\"spec\":{\"tcpRoute\":{"
          "\"action\":" WT1 "}}}"),
     "routes[0].virtualRouterName", "there is no virtual router named 'nope' (in virtualRouters)"},
    {W_RT(RTS("{}")), "routes[0].spec",
     "expected exactly one of 'grpcRoute', 'http2Route', 'httpRoute' or 'tcpRoute'"},
    {W_RT(RTS("{\"tcpRoute\":{\"action\":" WT1 "},\"httpRoute\":{}}")), "routes[0].spec.httpRoute",
     "'httpRoute' cannot be combined with 'tcpRoute'", 2},
    {W_RT(RTS("{\"priority\":1001,\"httpRoute\":{\"match\":{},\"action\":" WT1 "}}")),
     "routes[0].spec.priority", "1001 is out of range 0..1000"},
    /* weighted targets */
    {W_RT(RTA("{}")), P_RT ".action", "missing required field 'weightedTargets'"},
    {W_RT(RTA("{\"weightedTargets\":[]}")), P_RT ".action.weightedTargets", "must not be empty"},
    {W_RT(RTA("{\"weightedTargets\":[" N11("{\"virtualNode\":\"vn\",\"weight\":1}") "]}")),
     P_RT ".action.weightedTargets", "has 11 elements, at most 10 allowed"},
    {W_RT(RTA("{\"weightedTargets\":[{\"virtualNode\":\"vn\",\"weight\":101}]}")),
     P_RT ".action.weightedTargets[0].weight", "101 is out of range 0..100"},
    {W_RT(RTA("{\"weightedTargets\":[{\"virtualNode\":\"vn\",\"weight\":-1}]}")),
     P_RT ".action.weightedTargets[0].weight", "-1 is out of range 0..100"},
    {W_RT(RTA("{\"weightedTargets\":[{\"virtualNode\":\"vn\",\"weight\":0}]}")),
     P_RT ".action.weightedTargets", "every weight is 0"},
    {W_RT(RTA("{\"weightedTargets\":[{\"weight\":1}]}")), P_RT ".action.weightedTargets[0]",
     "missing required field 'virtualNode'"},
    {W_RT(RTA("{\"weightedTargets\":[{\"virtualNode\":\"vn\"}]}")),
     P_RT ".action.weightedTargets[0]", "missing required field 'weight'"},
    {W_RT(RTA("{\"weightedTargets\":[{\"virtualNode\":\"vn\",\"weight\":1,\"port\":65536}]}")),
     P_RT ".action.weightedTargets[0].port", "65536 is out of range 1..65535"},
    {W_RT(RTA("{\"weightedTargets\":[{\"virtualNode\":\"vn\",\"weight\":1,\"port\":81}]}")),
     P_RT ".action.weightedTargets[0].port",
     "port 81 is not a listener port of virtual node 'vn' (8080)"},
    {W_RT(RTA("{\"weightedTargets\":[{\"virtualNode\":\"ghost\",\"weight\":1}]}")),
     P_RT ".action.weightedTargets[0].virtualNode",
     "there is no virtual node named 'ghost' (in virtualNodes)"},
    {DOC(EPS_VN, GR0, VS0, VR0, RT0,
         LST("},{\"portMapping\":{\"port\":8081,\"protocol\":\"http\"}")),
     P_RT ".action.weightedTargets[0]",
     "virtual node 'vn' has 2 listeners (ports 8080, 8081): set the port to pick one"},
    {DOC("", GR0, VS0, VR0, RT0, VNS("{}")), P_RT ".action.weightedTargets[0].virtualNode",
     "virtual node 'vn' has no listeners, so it cannot receive traffic"},
    /* match */
    {W_RT(RTH("{\"prefix\":\"a\"}", "")), P_RT ".match.prefix", "must start with '/'"},
    {W_RT(RTH("{\"port\":8081}", "")), P_RT ".match.port",
     "port 8081 is not a listener port of virtual router 'vr' (8080)"},
    {W_RT(RTH("{\"scheme\":\"ftp\"}", "")), P_RT ".match.scheme",
     "'ftp' is not valid (expected http or https)"},
    {W_RT(RTH("{\"hostname\":{\"exact\":\"a\"}}", "")), P_RT ".match.hostname",
     "unknown field 'hostname'"},
    {W_RT(RTH("{\"method\":\"get\"}", "")), P_RT ".match.method", "'get' is not valid"},
    {W_RT(
         RTH("{\"headers\":[{\"name\":\"h\",\"match\":{\"range\":{\"start\":9,\"end\":2}}}]}", "")),
     P_RT ".match.headers[0].match.range", "start (9) must be less than end (2)"},
    /* retry policy */
    {RETRY("{}"), P_RP, "missing required field 'maxRetries'", 3},
    {RETRY("{\"maxRetries\":1,\"perRetryTimeout\":" DUR "}"), P_RP,
     "needs at least one of 'httpRetryEvents' or 'tcpRetryEvents'"},
    {RETRY("{\"maxRetries\":-1,\"perRetryTimeout\":" DUR ",\"tcpRetryEvents\":[\"connection-"
           "error\"]}"),
     P_RP ".maxRetries", "-1 is out of range 0..9223372036854775807"},
    {RETRY("{\"maxRetries\":1,\"perRetryTimeout\":" DUR ",\"httpRetryEvents\":[\"5xx\"]}"),
     P_RP ".httpRetryEvents[0]",
     "'5xx' is not valid (expected server-error, gateway-error, client-error or stream-error)"},
    {RETRY("{\"maxRetries\":1,\"perRetryTimeout\":" DUR ",\"httpRetryEvents\":[]}"),
     P_RP ".httpRetryEvents", "must not be empty"},
    {RETRY("{\"maxRetries\":1,\"perRetryTimeout\":" DUR
           ",\"tcpRetryEvents\":[\"connection-error\",\"connection-error\"]}"),
     P_RP ".tcpRetryEvents", "must have exactly 1 element, got 2"},
    {RETRY("{\"maxRetries\":1,\"perRetryTimeout\":" DUR ",\"grpcRetryEvents\":[\"internal\"]}"),
     P_RP ".grpcRetryEvents", "unknown field 'grpcRetryEvents'", 2},
    {RETRY("{\"maxRetries\":1,\"perRetryTimeout\":{\"unit\":\"m\",\"value\":1},"
           "\"httpRetryEvents\":[\"server-error\"]}"),
     P_RP ".perRetryTimeout.unit", "'m' is not valid (expected s or ms)"},
    {RETRY("{\"maxRetries\":1,\"perRetryTimeout\":{\"unit\":\"s\",\"value\":-1},"
           "\"httpRetryEvents\":[\"server-error\"]}"),
     P_RP ".perRetryTimeout.value", "-1 is out of range 0..9223372036854775807"},
    {RETRY("{\"maxRetries\":1,\"perRetryTimeout\":{\"unit\":\"s\"},"
           "\"httpRetryEvents\":[\"server-error\"]}"),
     P_RP ".perRetryTimeout", "missing required field 'value'"},
    {RETRY("{\"maxRetries\":1,\"perRetryTimeout\":{\"unit\":\"s\",\"value\":"
           "9223372036854775807},\"httpRetryEvents\":[\"server-error\"]}"),
     P_RP ".perRetryTimeout.value", "seconds is too long"},
    /* timeouts */
    {W_RT(RTX(",\"timeout\":{\"idle\":{\"value\":1}}")), P_RT ".timeout.idle",
     "missing required field 'unit'"},
    {W_RT(RTX(",\"timeout\":{\"perrequest\":" DUR "}")), P_RT ".timeout.perrequest",
     "did you mean 'perRequest'?"},
    /* gRPC */
    {W_RT(RTS("{\"grpcRoute\":{\"match\":{\"methodName\":\"Get\"},\"action\":" WT1 "}}")),
     "routes[0].spec.grpcRoute.match.methodName", "a methodName needs a serviceName", 2},
    {W_RT(RTS("{\"grpcRoute\":{\"match\":{\"serviceName\":\"s\",\"methodName\":\"%s\"},"
              "\"action\":" WT1 "}}")),
     "routes[0].spec.grpcRoute.match.methodName", "is too long (51 bytes, at most 50)", 2, 51},
    {W_RT(RTS("{\"grpcRoute\":{\"match\":{},\"action\":" WT1 ",\"retryPolicy\":{\"maxRetries\":1,"
              "\"perRetryTimeout\":" DUR ",\"grpcRetryEvents\":[" N5("\"internal\"") ",\"internal\""
                                                                                     "]}}}")),
     "routes[0].spec.grpcRoute.retryPolicy.grpcRetryEvents", "has 6 elements, at most 5 allowed",
     2},
    {W_RT(RTS("{\"grpcRoute\":{\"match\":{},\"action\":" WT1 ",\"retryPolicy\":{\"maxRetries\":1,"
              "\"perRetryTimeout\":" DUR "}}}")),
     "routes[0].spec.grpcRoute.retryPolicy",
     "needs at least one of 'grpcRetryEvents', 'httpRetryEvents' or 'tcpRetryEvents'", 2},
    /* TCP */
    {W_RT(RTS("{\"tcpRoute\":{\"match\":{\"prefix\":\"/\"},\"action\":" WT1 "}}")),
     "routes[0].spec.tcpRoute.match.prefix", "unknown field 'prefix' (expected 'port')", 2},
    {W_RT(RTS("{\"tcpRoute\":{\"action\":" WT1 ",\"timeout\":{\"perRequest\":" DUR "}}}")),
     "routes[0].spec.tcpRoute.timeout.perRequest", "unknown field 'perRequest'", 2},
    {W_RT(RTS("{\"tcpRoute\":{\"action\":" WT1 "}}")), "routes[0].spec.tcpRoute",
     "a tcpRoute cannot serve the http listener (port 8080) of virtual router 'vr': its routes "
     "must be httpRoute"},
    /* Across resources. */
    {DOC(EPS_VN, GR0, VS0, VR_L(PM("8080", "http") "," PM("8081", "http")), RT0, VN0),
     P_RT ".match", "virtual router 'vr' has 2 listeners (ports 8080, 8081): set the port", 2},
    {W_RT(RT0 "," RT0), "routes[1].routeName",
     "'rt' is already the name of routes[0] (route names are unique per virtual router)"},
};

MG_TEST(mesh_route_errors)
{
	run_err_cases(route_errors, MG_SCHEMA_COUNT(route_errors));
}

static const struct mesh_err service_router_errors[] = {
    {W_VS("{\"virtualServiceName\":\"svc\",\"spec\":{\"provider\":{}}}"),
     "virtualServices[0].spec.provider",
     "expected exactly one of 'virtualNode' or 'virtualRouter'"},
    {W_VS("{\"virtualServiceName\":\"svc\",\"spec\":{\"provider\":{\"virtualNode\":{"
          "\"virtualNodeName\":\"vn\"},\"virtualRouter\":{\"virtualRouterName\":\"vr\"}}}}"),
     "virtualServices[0].spec.provider.virtualRouter", "cannot be combined with 'virtualNode'"},
    {W_VS("{\"virtualServiceName\":\"svc\",\"spec\":{\"provider\":{\"virtualNode\":{}}}}"),
     "virtualServices[0].spec.provider.virtualNode", "missing required field 'virtualNodeName'"},
    {W_VS("{\"virtualServiceName\":\"svc\",\"spec\":{\"provider\":{\"virtualNode\":{"
          "\"virtualNodeName\":\"ghost\"}}}}"),
     "virtualServices[0].spec.provider.virtualNode.virtualNodeName",
     "there is no virtual node named 'ghost' (in virtualNodes)"},
    {W_VS("{\"virtualServiceName\":\"svc\",\"spec\":{\"provider\":{\"virtualRouter\":{"
          "\"virtualRouterName\":\"ghost\"}}}}"),
     "virtualServices[0].spec.provider.virtualRouter.virtualRouterName",
     "there is no virtual router named 'ghost' (in virtualRouters)"},
    {W_VS("{\"virtualServiceName\":\"svc\",\"spec\":{\"providers\":{}}}"),
     "virtualServices[0].spec.providers", "did you mean 'provider'?"},
    {W_VS("{\"virtualServiceName\":\"svc\"}"), "virtualServices[0]",
     "missing required field 'spec'"},
    {W_VS(VS0 "," VS0), "virtualServices[1].virtualServiceName",
     "'svc' is already the name of virtualServices[0]"},
    {W_VR(VR_L(PM("0", "http"))), "virtualRouters[0].spec.listeners[0].portMapping.port",
     "0 is out of range 1..65535"},
    {W_VR(VR_L(PM("8080", "udp"))), "virtualRouters[0].spec.listeners[0].portMapping.protocol",
     "'udp' is not valid (expected http, tcp, http2 or grpc)"},
    {W_VR(VR_L("{}")), "virtualRouters[0].spec.listeners[0]",
     "missing required field 'portMapping'"},
    {W_VR(VR_L(PM("8080", "http") "," PM("8080", "tcp"))),
     "virtualRouters[0].spec.listeners[1].portMapping.port",
     "port 8080 is already used by listeners[0]", 3},
    {W_VR(VR0 "," VR0), "virtualRouters[1].virtualRouterName",
     "'vr' is already the name of virtualRouters[0]"},
    /* mesh */
    {"{" APPL_X("") ",\"mesh\":{\"spec\":{}}}", "mesh", "missing required field 'meshName'"},
    {"{" APPL_X("") ",\"mesh\":{\"meshName\":\"m\",\"spec\":{\"egressFilter\":{}}}}",
     "mesh.spec.egressFilter", "missing required field 'type'"},
    {"{" APPL_X("") ",\"mesh\":{\"meshName\":\"m\",\"spec\":{\"egressFilter\":{\"type\":"
                    "\"DENY\"}}}}",
     "mesh.spec.egressFilter.type", "'DENY' is not valid (expected ALLOW_ALL or DROP_ALL)"},
    {"{" APPL_X("") ",\"mesh\":{\"meshName\":\"m\",\"spec\":{\"serviceDiscovery\":{"
                    "\"ipPreference\":\"IPv5\"}}}}",
     "mesh.spec.serviceDiscovery.ipPreference",
     "'IPv5' is not valid (expected IPv6_PREFERRED, IPv4_PREFERRED, IPv4_ONLY or IPv6_ONLY)"},
    {"{" APPL_X("") ",\"mesh\":{\"meshName\":\"m\",\"spec\":{}},\"virtualServices\":[{"
                    "\"meshName\":\"other\",\"virtualServiceName\":\"s\",\"spec\":{}}]}",
     "virtualServices[0].meshName",
     "'other' is not this configuration's mesh ('m', mesh.meshName)"},
};

MG_TEST(mesh_service_router_and_mesh_errors)
{
	run_err_cases(service_router_errors, MG_SCHEMA_COUNT(service_router_errors));
}

static const struct mesh_err node_errors[] = {
    {W_VN(VNS("{\"listeners\":{}}")), P_VN ".listeners", "expected an array, got object", 2},
    {W_VN(VNS("{\"listeners\":[{}]}")), P_VL, "missing required field 'portMapping'"},
    {W_VN(LST(",\"connectionPool\":{\"tcp\":{\"maxConnections\":1}}")), P_VL ".connectionPool",
     "connectionPool 'tcp' does not match portMapping.protocol 'http'"},
    {W_VN(LST(",\"connectionPool\":{\"http\":{\"maxConnections\":0}}")),
     P_VL ".connectionPool.http.maxConnections", "0 is out of range 1..2147483647"},
    {W_VN(LST(",\"connectionPool\":{\"http\":{\"maxConnections\":1,\"maxPendingRequests\":0}}")),
     P_VL ".connectionPool.http.maxPendingRequests", "0 is out of range 1..2147483647"},
    {W_VN(LST(",\"connectionPool\":{\"http2\":{\"maxRequests\":1},\"grpc\":{\"maxRequests\":1}}")),
     P_VL ".connectionPool.grpc", "cannot be combined with 'http2'", 2},
    {W_VN(LST(",\"connectionPool\":{}")), P_VL ".connectionPool",
     "expected exactly one of 'grpc', 'http', 'http2' or 'tcp'"},
    {W_VN(LST(",\"healthCheck\":{\"protocol\":\"http\",\"healthyThreshold\":1,"
              "\"unhealthyThreshold\":2,\"intervalMillis\":5000,\"timeoutMillis\":2000}")),
     P_VL ".healthCheck.healthyThreshold", "1 is out of range 2..10"},
    {W_VN(LST(",\"healthCheck\":{\"protocol\":\"http\",\"healthyThreshold\":2,"
              "\"unhealthyThreshold\":11,\"intervalMillis\":5000,\"timeoutMillis\":2000}")),
     P_VL ".healthCheck.unhealthyThreshold", "11 is out of range 2..10"},
    {W_VN(LST(",\"healthCheck\":{\"protocol\":\"http\",\"healthyThreshold\":2,"
              "\"unhealthyThreshold\":2,\"intervalMillis\":4999,\"timeoutMillis\":2000}")),
     P_VL ".healthCheck.intervalMillis", "4999 is out of range 5000..300000"},
    {W_VN(LST(",\"healthCheck\":{\"protocol\":\"http\",\"healthyThreshold\":2,"
              "\"unhealthyThreshold\":2,\"intervalMillis\":300001,\"timeoutMillis\":2000}")),
     P_VL ".healthCheck.intervalMillis", "300001 is out of range 5000..300000"},
    {W_VN(LST(",\"healthCheck\":{\"protocol\":\"http\",\"healthyThreshold\":2,"
              "\"unhealthyThreshold\":2,\"intervalMillis\":5000,\"timeoutMillis\":60001}")),
     P_VL ".healthCheck.timeoutMillis", "60001 is out of range 2000..60000"},
    {W_VN(LST(",\"healthCheck\":{\"protocol\":\"udp\",\"healthyThreshold\":2,"
              "\"unhealthyThreshold\":2,\"intervalMillis\":5000,\"timeoutMillis\":1999}")),
     P_VL ".healthCheck.protocol", "'udp' is not valid", 2},
    {W_VN(LST(",\"healthCheck\":{\"protocol\":\"tcp\",\"port\":81,\"healthyThreshold\":2,"
              "\"unhealthyThreshold\":2,\"intervalMillis\":5000,\"timeoutMillis\":2000}")),
     P_VL ".healthCheck.port", "port 81 must equal portMapping.port (8080)"},
    {W_VN(LST(",\"healthCheck\":{}")), P_VL ".healthCheck", "missing required field", 5},
    {W_VN(LST(",\"outlierDetection\":{\"maxServerErrors\":0,\"maxEjectionPercent\":10,"
              "\"interval\":" DUR ",\"baseEjectionDuration\":" DUR "}")),
     P_VL ".outlierDetection.maxServerErrors", "0 is out of range 1..9223372036854775807"},
    {W_VN(LST(",\"outlierDetection\":{\"maxServerErrors\":1,\"maxEjectionPercent\":101,"
              "\"interval\":" DUR ",\"baseEjectionDuration\":" DUR "}")),
     P_VL ".outlierDetection.maxEjectionPercent", "101 is out of range 0..100"},
    {W_VN(LST(",\"outlierDetection\":{\"maxServerErrors\":1,\"maxEjectionPercent\":1,"
              "\"baseEjectionDuration\":" DUR "}")),
     P_VL ".outlierDetection", "missing required field 'interval'"},
    {W_VN(LST(",\"timeout\":{\"tcp\":{\"perRequest\":" DUR "}}")), P_VL ".timeout.tcp.perRequest",
     "unknown field 'perRequest' (expected 'idle')", 2},
    {W_VN(LST(",\"timeout\":{\"grpc\":{\"idle\":" DUR "}}")), P_VL ".timeout",
     "timeout 'grpc' does not match portMapping.protocol 'http'"},
    {W_VN(LST(",\"tls\":{\"mode\":\"STRICT\"}")), P_VL ".tls",
     "missing required field 'certificate'"},
    {W_VN(LST(",\"tls\":{\"mode\":\"ON\",\"certificate\":{\"sds\":{\"secretName\":\"s\"}}}")),
     P_VL ".tls.mode", "'ON' is not valid (expected STRICT, PERMISSIVE or DISABLED)"},
    {W_VN(LST(",\"tls\":{\"mode\":\"STRICT\",\"certificate\":{}}")), P_VL ".tls.certificate",
     "expected exactly one of 'acm', 'file' or 'sds'"},
    {W_VN(LST(",\"tls\":{\"mode\":\"STRICT\",\"certificate\":{\"file\":{\"certificateChain\":"
              "\"/c\"}},\"validation\":{\"trust\":{\"acm\":{}}}}")),
     P_VL ".tls.validation.trust.acm", "unknown field 'acm' (expected 'file' or 'sds')", 3},
    {W_VN(LST("},{\"portMapping\":{\"port\":8080,\"protocol\":\"tcp\"}")),
     P_VN ".listeners[1].portMapping.port", "port 8080 is already used by listeners[0]", 2},
    /* service discovery */
    {W_VN(VSD("{}")), P_VN ".serviceDiscovery", "expected exactly one of 'awsCloudMap' or 'dns'"},
    {W_VN(VSD("{\"awsCloudMap\":{\"namespaceName\":\"ns\",\"serviceName\":\"s\"}}")),
     P_VN ".serviceDiscovery.awsCloudMap",
     "AWS Cloud Map service discovery is not supported yet; use \"dns\" {hostname}"},
    {W_VN(VSD("{\"awsCloudMap\":{\"namespaceName\":\"ns\",\"serviceName\":\"s\","
              "\"attributes\":[{\"key\":\"a b\",\"value\":\"v\"}]}}")),
     P_VN ".serviceDiscovery.awsCloudMap.attributes[0].key",
     "must be printable ASCII without spaces", 2},
    {W_VN(VSD("{\"dns\":{}}")), P_VN ".serviceDiscovery.dns", "missing required field 'hostname'"},
    {W_VN(VSD("{\"dns\":{\"hostname\":\"a..b\"}}")), P_VN ".serviceDiscovery.dns.hostname",
     "has an empty label"},
    {W_VN(VSD("{\"dns\":{\"hostname\":\"a/b\"}}")), P_VN ".serviceDiscovery.dns.hostname",
     "'a/b' is not a host name"},
    {W_VN(VSD("{\"dns\":{\"hostname\":\"%s.b\"}}")), P_VN ".serviceDiscovery.dns.hostname",
     "has a label longer than 63 characters", 0, 64},
    {W_VN(VSD("{\"dns\":{\"hostname\":\"a\",\"responseType\":\"ALL\"}}")),
     P_VN ".serviceDiscovery.dns.responseType",
     "'ALL' is not valid (expected LOADBALANCER or ENDPOINTS)"},
    {W_VN(VSD("{\"dns\":{\"hostname\":\"a\",\"ipPreference\":\"IPv4\"}}")),
     P_VN ".serviceDiscovery.dns.ipPreference", "'IPv4' is not valid"},
    /* backends, backendDefaults, logging */
    {W_VN(VNX("\"backends\":[{}]")), P_VN ".backends[0]",
     "expected exactly one of 'virtualService'"},
    {W_VN(VNX("\"backends\":[{\"virtualService\":{}}]")), P_VN ".backends[0].virtualService",
     "missing required field 'virtualServiceName'"},
    {W_VN(VNX("\"backendDefaults\":{\"clientPolicy\":{\"tls\":{}}}")),
     P_VN ".backendDefaults.clientPolicy.tls", "missing required field 'validation'"},
    {W_VN(VNX("\"backendDefaults\":{\"clientPolicy\":{\"tls\":{\"ports\":[0],\"validation\":{"
              "\"trust\":{\"acm\":{\"certificateAuthorityArns\":[]}}}}}}")),
     P_VN ".backendDefaults.clientPolicy.tls.ports[0]", "0 is out of range 1..65535", 2},
    {W_VN(VNX("\"logging\":{\"accessLog\":{\"file\":{\"path\":\"\"}}}")),
     P_VN ".logging.accessLog.file.path", "must not be empty"},
    {W_VN(VNX("\"logging\":{\"accessLog\":{\"file\":{\"path\":\"/p\",\"format\":{\"text\":\"t\","
              "\"json\":[]}}}}")),
     P_VN ".logging.accessLog.file.format.json", "cannot be combined with 'text'"},
    /* reaching the node */
    {DOC("", GR0, VS0, VR0, RT0, VN0), P_VN,
     "virtual node 'vn' has listeners but no way to reach them: give it serviceDiscovery.dns, "
     "or its addresses in appliance.endpoints[\"vn\"]"},
    {DOC("", GR0, VS0, VR0, RT0, VSD("{\"dns\":{\"hostname\":\"vn.local\"}}")),
     P_VN ".serviceDiscovery.dns",
     "DNS service discovery needs resolvers: add appliance.dns {\"resolvers\": [...]}"},
    {W_VN(VN0 "," VN0), "virtualNodes[1].virtualNodeName",
     "'vn' is already the name of virtualNodes[0]"},
};

MG_TEST(mesh_virtual_node_errors)
{
	run_err_cases(node_errors, MG_SCHEMA_COUNT(node_errors));
}

#define EP(x)  W_APP(",\"endpoints\":{\"vn\":" x "}")
#define DNS(x) W_APP(EPS_VN ",\"dns\":" x)

static const struct mesh_err appliance_errors[] = {
    {W_APP(",\"endpoints\":[]"), "appliance.endpoints",
     "expected an object keyed by virtual node name, got array", 2},
    {EP("{}"), "appliance.endpoints.vn", "expected an array of endpoints, got object", 2},
    {EP("[]"), "appliance.endpoints.vn", "must not be empty", 2},
    {EP("[{}]"), "appliance.endpoints.vn[0]", "missing required field 'address'"},
    {EP("[{\"address\":\"10.0.0.256\"}]"), "appliance.endpoints.vn[0].address",
     "'10.0.0.256' is not an IPv4 address like 10.0.0.5"},
    {EP("[{\"address\":\"224.0.0.1\"}]"), "appliance.endpoints.vn[0].address",
     "224.0.0.1 is not a unicast address a host can have (multicast)"},
    {EP("[{\"address\":10}]"), "appliance.endpoints.vn[0].address",
     "expected a string like \"10.0.0.5\", got number"},
    {EP("[{\"address\":\"10.0.0.5\",\"port\":0}]"), "appliance.endpoints.vn[0].port",
     "0 is out of range 1..65535"},
    {EP("[{\"address\":\"10.0.0.5\",\"port\":80},{\"address\":\"10.0.0.5\",\"port\":80}]"),
     "appliance.endpoints.vn[1]", "endpoint 10.0.0.5:80 is listed twice (as [0])"},
    {EP("[{\"address\":\"10.0.0.5\",\"prot\":80}]"), "appliance.endpoints.vn[0].prot",
     "did you mean 'port'?"},
    {W_APP(",\"endpoints\":{\"vn\":[{\"address\":\"10.0.0.5\"}],\"ghost\":[{\"address\":"
           "\"10.0.0.6\"}]}"),
     "appliance.endpoints.ghost", "there is no virtual node named 'ghost' (in virtualNodes)"},
    {W_APP(",\"endpoints\":{\"\":[{\"address\":\"10.0.0.6\"}]}"), "appliance.endpoints[\"\"]",
     "'' is not a virtual node name (1..255 bytes)", 2},
    {DNS("{}"), "appliance.dns", "missing required field 'resolvers'"},
    {DNS("{\"resolvers\":[]}"), "appliance.dns.resolvers", "must not be empty"},
    {DNS("{\"resolvers\":[\"10.0.0.1\",\"10.0.0.2\",\"10.0.0.3\",\"10.0.0.4\",\"10.0.0.5\"]}"),
     "appliance.dns.resolvers", "has 5 elements, at most 4 allowed"},
    {DNS("{\"resolvers\":[\"dns.local\"]}"), "appliance.dns.resolvers[0]",
     "'dns.local' is not an IPv4 address like 10.0.0.2"},
    {DNS("{\"resolvers\":[\"10.0.0.1\",\"10.0.0.1\"]}"), "appliance.dns.resolvers[1]",
     "this resolver is already listed (resolvers[0])"},
    {DNS("{\"resolvers\":[\"10.0.0.1\"],\"timeoutMs\":99}"), "appliance.dns.timeoutMs",
     "99 is out of range 100..60000"},
    {DNS("{\"resolvers\":[\"10.0.0.1\"],\"timeoutMs\":60001}"), "appliance.dns.timeoutMs",
     "60001 is out of range 100..60000"},
    {DNS("{\"resolvers\":[\"10.0.0.1\"],\"timeout\":1}"), "appliance.dns.timeout",
     "did you mean 'timeoutMs'?"},
};

MG_TEST(mesh_appliance_extension_errors)
{
	run_err_cases(appliance_errors, MG_SCHEMA_COUNT(appliance_errors));
}

/* ------------------------------------------------------------------------------------------ */
/* Values at their limits are accepted.                                                       */

struct mesh_ok {
	const char *text;
	int fill; /* what the "%s" of <text> becomes: that many 'a's */
};

static const struct mesh_ok mesh_accepts[] = {
    {W_GR(GRS("{\"priority\":0,\"httpRoute\":{\"match\":{\"prefix\":\"/\"},\"action\":" TGT "}}"))},
    {W_GR(GRS("{\"priority\":1000,\"httpRoute\":{\"match\":{},\"action\":" TGT "}}"))},
    {W_GR(GRM("{\"port\":8080,\"method\":\"PATCH\",\"hostname\":{\"exact\":\"%s\"}}")), 253},
    {W_GR(GRM("{\"path\":{\"exact\":\"/%s\"}}")), 254},
    {W_GR(GRM("{\"path\":{\"regex\":\"^/(a|b)+$\"}}"))},
    {W_GR(GRM("{\"prefix\":\"/aws\"}"))},
    {HDR(N10(MATCH("{\"range\":{\"start\":-9223372036854775808,\"end\":9223372036854775807}}")))},
    {HDR("{\"name\":\"%s\"}"), 50},
    {HDR("{\"name\":\":authority\",\"invert\":false,\"match\":{\"prefix\":\"a\"}}")},
    {HDR(MATCH("{\"suffix\":\"%s\"}")), 255},
    {W_GR(GRM("{\"queryParameters\":[" N10("{\"name\":\"q\",\"match\":{\"exact\":\"\"}}") "]}"))},
    {W_GR(GRRW("{\"prefix\":\"/a\"}", "{\"prefix\":{\"defaultPrefix\":\"DISABLED\"},\"hostname\":{"
                                      "\"defaultTargetHostname\":\"ENABLED\"}}"))},
    {W_GR(GRRW("{\"path\":{\"regex\":\"/a.*\"}}", "{\"path\":{\"exact\":\"/b\"}}"))},
    {W_GR("{\"meshName\":\"any\",\"virtualGatewayName\":\"gw\",\"metadata\":{},\"status\":{},"
          "\"gatewayRouteName\":\"%s\",\"spec\":{\"httpRoute\":{\"match\":{\"prefix\":\"/\"},"
          "\"action\":" TGT "}}}"),
     255},
    {W_RT(RTA("{\"weightedTargets\":[{\"virtualNode\":\"vn\",\"weight\":0},{\"virtualNode\":"
              "\"vn\",\"weight\":100,\"port\":8080}]}"))},
    {W_RT(RTA("{\"weightedTargets\":[" N10("{\"virtualNode\":\"vn\",\"weight\":10}") "]}"))},
    {W_RT(RTH("{\"prefix\":\"/aws-appmesh\",\"port\":8080,\"method\":\"GET\",\"scheme\":\"https\"}",
              ""))},
    {W_RT(RTX(",\"retryPolicy\":{\"maxRetries\":0,\"perRetryTimeout\":{\"unit\":\"s\",\"value\":"
              "0},\"httpRetryEvents\":[\"server-error\",\"gateway-error\",\"client-error\","
              "\"stream-error\"]},\"timeout\":{\"idle\":{\"unit\":\"ms\",\"value\":0},"
              "\"perRequest\":{\"unit\":\"s\",\"value\":9223372036854775}}"))},
    /* Route names are unique per router only. */
    {DOC(EPS_VN, GR0, VS0,
         VR0 ",{\"virtualRouterName\":\"vr2\",\"spec\":{\"listeners\":[" PM("8080", "http") "]}}",
         RT0 ",{\"routeName\":\"rt\",\"virtualRouterName\":\"vr2\",\"spec\":{\"httpRoute\":{"
             "\"match\":{\"prefix\":\"/\"},\"action\":" WT1 "}}}",
         VN0)},
    /* A router with two listeners: every route and target names its port. */
    {DOC(EPS_VN,
         GRH("{\"prefix\":\"/\"}", "{\"target\":{\"virtualService\":{\"virtualServiceName\":"
                                   "\"svc\"},\"port\":8081}}"),
         VS0, VR_L(PM("8080", "http") "," PM("8081", "grpc")),
         RTH("{\"prefix\":\"/\",\"port\":8080}",
             "") ","
                 "{\"routeName\":\"g\",\"virtualRouterName\":\"vr\",\"spec\":{\"grpcRoute\":{"
                 "\"match\":{"
                 "\"serviceName\":\"s\",\"methodName\":\"%s\",\"port\":8081,\"metadata\":[{"
                 "\"name\":"
                 "\"m\",\"match\":{\"regex\":\"a+\"}}]},\"action\":" WT1 ",\"retryPolicy\":{"
                 "\"maxRetries\":3,\"perRetryTimeout\":" DUR ",\"grpcRetryEvents\":[\"cancelled\","
                 "\"deadline-exceeded\",\"internal\",\"resource-exhausted\",\"unavailable\"]},"
                 "\"timeout\":{\"perRequest\":" DUR "}}}}",
         VN0),
     50},
    {DOC(EPS_VN, GR0, VS0, VR_L(PM("65535", "tcp")),
         RTS("{\"tcpRoute\":{\"match\":{\"port\":65535},\"action\":" WT1
             ",\"timeout\":{\"idle\":" DUR "}}}"),
         VN0)},
    {W_VS("{\"virtualServiceName\":\"svc\",\"spec\":{\"provider\":{\"virtualNode\":{"
          "\"virtualNodeName\":\"vn\"}}}}")},
    {W_VS(VS0 ",{\"virtualServiceName\":\"%s\",\"spec\":{}}"), 255},
    {W_VR(VR_L(PM("1", "http")) ",{\"virtualRouterName\":\"empty\",\"spec\":{}}")},
    {W_VN(LST(",\"connectionPool\":{\"http\":{\"maxConnections\":2147483647,"
              "\"maxPendingRequests\":1}},\"healthCheck\":{\"protocol\":\"grpc\",\"port\":8080,"
              "\"path\":\"/\",\"healthyThreshold\":10,\"unhealthyThreshold\":10,"
              "\"intervalMillis\":300000,\"timeoutMillis\":60000},\"outlierDetection\":{"
              "\"maxServerErrors\":1,\"maxEjectionPercent\":0,\"interval\":" DUR
              ",\"baseEjectionDuration\":" DUR "},\"timeout\":{\"http\":{\"perRequest\":" DUR
              ",\"idle\":" DUR "}},\"tls\":{\"mode\":\"PERMISSIVE\",\"certificate\":{\"sds\":{"
              "\"secretName\":\"s\"}},\"validation\":{\"trust\":{\"file\":{\"certificateChain\":"
              "\"/ca\"}},\"subjectAlternativeNames\":{\"match\":{\"exact\":[\"a\"]}}}}"))},
    {W_VN(VNX("\"backends\":[{\"virtualService\":{\"virtualServiceName\":\"svc\",\"clientPolicy\":"
              "{\"tls\":{\"enforce\":false,\"ports\":[443],\"validation\":{\"trust\":{\"acm\":{"
              "\"certificateAuthorityArns\":[\"a\",\"b\",\"c\"]}}}}}}}],\"backendDefaults\":{"
              "\"clientPolicy\":{}},\"logging\":{\"accessLog\":{\"file\":{\"path\":"
              "\"/dev/stdout\",\"format\":{\"json\":[{\"key\":\"k\",\"value\":\"v\"}]}}}}"))},
    {DOC(EPS_VN ",\"dns\":{\"resolvers\":[\"10.0.0.1\",\"10.0.0.2\",\"10.0.0.3\",\"10.0.0.4\"],"
                "\"timeoutMs\":100}",
         GR0, VS0, VR0, RT0,
         VN0 ",{\"virtualNodeName\":\"dns\",\"spec\":{\"listeners\":[" PM(
             "8080",
             "tcp") "],\"serviceDiscovery\":{\"dns\":{\"hostname\":\"a.b.svc.cluster.local.\","
                    "\"responseType\":\"LOADBALANCER\",\"ipPreference\":\"IPv4_ONLY\"}}}},"
                    "{\"virtualNodeName\":\"client-only\",\"spec\":{}}")},
    {W_APP(",\"endpoints\":{\"vn\":[{\"address\":\"10.0.0.5\",\"port\":1},{\"address\":"
           "\"10.0.0.5\",\"port\":65535},{\"address\":\"10.0.0.5\"}]}")},
};

MG_TEST(mesh_accepts_edge_values)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	static char out[16384];
	size_t i;

	for (i = 0; i < MG_SCHEMA_COUNT(mesh_accepts); i++) {
		char *text = expand(mesh_accepts[i].text, mesh_accepts[i].fill);

		MG_CASE("#%zu", i);
		if (!MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, text, &errs), 0))
			printf("%s", mg_cfgtest_errors(&errs, out, sizeof(out)));
		mg_cfg_errors_free(&errs);
		free(text);
	}
	mg_config_free(&cfg);
}

/* ------------------------------------------------------------------------------------------ */
/* Every error at once, in document order, with positions.                                    */

MG_TEST(mesh_reports_all_errors_at_once)
{
	static const char text[] =
	    "{\n"
	    "  \"appliance\": {\n"
	    "    \"interfaces\": [ { \"name\": \"data0\", \"address\": \"10.99.0.2/24\" } ],\n"
	    "    \"admin\": { \"interface\": \"data0\", \"port\": 9901 },\n"
	    "    \"endpoints\": { \"ghost\": [ { \"address\": \"10.0.0.9\" } ] }\n"
	    "  },\n"
	    "  \"mesh\": { \"meshName\": \"m\", \"spec\": {} },\n"
	    "  \"virtualGateway\": { \"virtualGatewayName\": \"gw\", \"spec\": { \"listeners\": [\n"
	    "    { \"portMapping\": { \"port\": 8080, \"protocol\": \"http\" } } ] } },\n"
	    "  \"virtualNodes\": [\n"
	    "    { \"virtualNodeName\": \"vn\", \"spec\": { \"listeners\": [\n"
	    "      { \"portMapping\": { \"port\": 8080, \"protocol\": \"http\" } } ] } }\n"
	    "  ],\n"
	    "  \"gatewayRoutes\": [\n"
	    "    { \"gatewayRouteName\": \"gr\", \"meshName\": \"x\", \"spec\": { \"httpRoute\": "
	    "{\n"
	    "      \"match\": { \"prefix\": \"/aws-app-mesh\" },\n"
	    "      \"action\": { \"target\": { \"virtualService\": { \"virtualServiceName\": "
	    "\"nope\" } } } } } }\n"
	    "  ],\n"
	    "  \"routes\": [\n"
	    "    { \"routeName\": \"rt\", \"virtualRouterName\": \"vr\", \"spec\": { "
	    "\"httpRoute\": {\n"
	    "      \"match\": { \"path\": { \"regex\": \"*\" } },\n"
	    "      \"action\": { \"weightedTargets\": [ { \"virtualNode\": \"vn\", \"weight\": 0 } "
	    "] "
	    "} } } }\n"
	    "  ]\n"
	    "}\n";
	static const char want[] =
	    "c.json:5:20: appliance.endpoints.ghost: there is no virtual node named 'ghost' (in "
	    "virtualNodes)\n"
	    "c.json:11:40: virtualNodes[0].spec: virtual node 'vn' has listeners but no way to "
	    "reach "
	    "them: give it serviceDiscovery.dns, or its addresses in appliance.endpoints[\"vn\"]\n"
	    "c.json:15:45: gatewayRoutes[0].meshName: 'x' is not this configuration's mesh ('m', "
	    "mesh.meshName)\n"
	    "c.json:16:28: gatewayRoutes[0].spec.httpRoute.match.prefix: prefixes starting with "
	    "/aws-appmesh or /aws-app-mesh are reserved (App Mesh refuses them too)\n"
	    "c.json:17:73: "
	    "gatewayRoutes[0].spec.httpRoute.action.target.virtualService.virtualServiceName: "
	    "there "
	    "is no virtual service named 'nope' (in virtualServices)\n"
	    "c.json:20:47: routes[0].virtualRouterName: there is no virtual router named 'vr' (in "
	    "virtualRouters)\n"
	    "c.json:21:37: routes[0].spec.httpRoute.match.path.regex: invalid regular expression: "
	    "quantifier does not follow a repeatable item (at offset 0)\n"
	    "c.json:22:38: routes[0].spec.httpRoute.action.weightedTargets: every weight is 0, so "
	    "no "
	    "target would get any traffic\n";
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	static char out[8192];

	MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, text, &errs), -EINVAL);
	MG_EXPECT_EQ_UINT(mg_cfg_errors_count(&errs), 8);
	MG_EXPECT_STR(mg_cfgtest_errors(&errs, out, sizeof(out)), want);
	mg_cfg_errors_free(&errs);
	mg_config_free(&cfg);
}

/* ------------------------------------------------------------------------------------------ */
/* The fuzz seeds stay what their names say (the unit binary runs from the repository top).   */

MG_TEST(mesh_fuzz_seeds_are_what_their_names_say)
{
	static const struct {
		const char *path;
		int rc;
		int n_routes, n_nodes;
	} seeds[] = {
	    {"tests/fuzz/corpus/config/valid_mesh_colors.json", 0, 1, 3},
	    {"tests/fuzz/corpus/config/valid_mesh_shop.json", 0, 3, 4},
	    {"tests/fuzz/corpus/config/invalid_mesh_many.json", -EINVAL, 2, 4},
	};
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	static char out[16384];
	size_t i;

	for (i = 0; i < MG_SCHEMA_COUNT(seeds); i++) {
		MG_CASE("%s", seeds[i].path);
		if (!MG_EXPECT_EQ_INT(mg_config_load_file(&cfg, seeds[i].path, &errs), seeds[i].rc))
			printf("%s", mg_cfgtest_errors(&errs, out, sizeof(out)));
		MG_EXPECT_EQ_INT(cfg.n_routes, seeds[i].n_routes);
		MG_EXPECT_EQ_INT(cfg.n_virtual_nodes, seeds[i].n_nodes);
		if (seeds[i].rc != 0)
			MG_EXPECT(mg_cfg_errors_count(&errs) >= 10);
		mg_cfg_errors_free(&errs);
		mg_config_free(&cfg);
	}
}
