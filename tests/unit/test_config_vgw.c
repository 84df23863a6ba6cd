/*
 * Unit tests for the top-level `virtualGateway` section (gateway/config/vgw.c) and the
 * `appliance.proxy` settings (gateway/config/config.c): a real describe-virtual-gateway output
 * parsed to the exact struct, every field's type, range, union and unknown-field errors, the
 * App Mesh features that are accepted by the schema and then rejected, the rules across
 * fields and sections, and the defaults.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/config.h"
#include "gateway/config/schema.h"
#include "cfgtest.h"
#include "mgtest.h"

#define parse        mg_cfgtest_parse
#define print_errors mg_cfgtest_errors

/*
 * Expands the one "%s" of <fmt> into <fill> copies of 'a' (no expansion when <fill> is 0) in a
 * malloc'ed string; for values at length limits.
 */
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
/* A complete configuration: `aws appmesh describe-virtual-gateway` output, unchanged.        */

/*
 * The complete example of docs/CONFIG.md: the appliance, then the "virtualGateway" member of
 * `aws appmesh describe-virtual-gateway --mesh-name shop --virtual-gateway-name ingress-gw`
 * as the CLI prints it (metadata and status included).
 */
static const char describe_example[] =
    "{\n"
    "    \"appliance\": {\n"
    "        \"interfaces\": [\n"
    "            { \"name\": \"data0\", \"device\": \"net_tap0,iface=mgt0\",\n"
    "              \"address\": \"10.99.0.2/24\", \"gateway\": \"10.99.0.1\" }\n"
    "        ],\n"
    "        \"admin\": { \"interface\": \"data0\", \"port\": 9901 },\n"
    "        \"proxy\": {\n"
    "            \"staticUpstream\": { \"address\": \"10.99.0.10\", \"port\": 8080 },\n"
    "            \"additionalCertificates\": [\n"
    "                { \"certificateChain\": \"/etc/meshgate/legacy.crt\",\n"
    "                  \"privateKey\": \"/etc/meshgate/legacy.key\",\n"
    "                  \"serverNames\": [ \"shop.example.org\", \"*.shop.example.org\" ] }\n"
    "            ],\n"
    "            \"alpn\": [ \"http/1.1\" ],\n"
    "            \"sessionTicketLifetimeSeconds\": 7200,\n"
    "            \"handshakeTimeoutMs\": 5000,\n"
    "            \"requestHeaderTimeoutMs\": 15000,\n"
    "            \"idleTimeoutMs\": 60000,\n"
    "            \"connectTimeoutMs\": 2000,\n"
    "            \"maxRequestHeaderBytes\": 65536,\n"
    "            \"maxRequestBodyBytes\": 10485760,\n"
    "            \"httpsRedirectPort\": 80,\n"
    "            \"maxConnectionsPerEndpoint\": 512,\n"
    "            \"maxIdleConnectionsPerEndpoint\": 32\n"
    "        }\n"
    "    },\n"
    "    \"virtualGateway\": {\n"
    "        \"meshName\": \"shop\",\n"
    "        \"metadata\": {\n"
    "            \"arn\": \"arn:aws:appmesh:eu-west-1:123456789012:mesh/shop/virtualGateway/"
    "ingress-gw\",\n"
    "            \"createdAt\": \"2023-03-14T09:26:53.589000+00:00\",\n"
    "            \"lastUpdatedAt\": \"2024-06-02T17:41:08.107000+00:00\",\n"
    "            \"meshOwner\": \"123456789012\",\n"
    "            \"resourceOwner\": \"123456789012\",\n"
    "            \"uid\": \"0f3a5c1e-8a2b-4d6c-9e7f-1a2b3c4d5e6f\",\n"
    "            \"version\": 7\n"
    "        },\n"
    "        \"spec\": {\n"
    "            \"backendDefaults\": {\n"
    "                \"clientPolicy\": {\n"
    "                    \"tls\": {\n"
    "                        \"certificate\": {\n"
    "                            \"file\": {\n"
    "                                \"certificateChain\": \"/certs/gw-client.pem\",\n"
    "                                \"privateKey\": \"/certs/gw-client.key\"\n"
    "                            }\n"
    "                        },\n"
    "                        \"enforce\": true,\n"
    "                        \"ports\": [\n"
    "                            8443,\n"
    "                            9443\n"
    "                        ],\n"
    "                        \"validation\": {\n"
    "                            \"subjectAlternativeNames\": {\n"
    "                                \"match\": {\n"
    "                                    \"exact\": [\n"
    "                                        \"orders.shop.local\",\n"
    "                                        \"cart.shop.local\"\n"
    "                                    ]\n"
    "                                }\n"
    "                            },\n"
    "                            \"trust\": {\n"
    "                                \"file\": {\n"
    "                                    \"certificateChain\": \"/certs/mesh-ca.pem\"\n"
    "                                }\n"
    "                            }\n"
    "                        }\n"
    "                    }\n"
    "                }\n"
    "            },\n"
    "            \"listeners\": [\n"
    "                {\n"
    "                    \"connectionPool\": {\n"
    "                        \"http\": {\n"
    "                            \"maxConnections\": 2048,\n"
    "                            \"maxPendingRequests\": 4096\n"
    "                        }\n"
    "                    },\n"
    "                    \"healthCheck\": {\n"
    "                        \"healthyThreshold\": 2,\n"
    "                        \"intervalMillis\": 10000,\n"
    "                        \"path\": \"/ping\",\n"
    "                        \"port\": 8443,\n"
    "                        \"protocol\": \"http\",\n"
    "                        \"timeoutMillis\": 2000,\n"
    "                        \"unhealthyThreshold\": 3\n"
    "                    },\n"
    "                    \"portMapping\": {\n"
    "                        \"port\": 8443,\n"
    "                        \"protocol\": \"http\"\n"
    "                    },\n"
    "                    \"tls\": {\n"
    "                        \"certificate\": {\n"
    "                            \"file\": {\n"
    "                                \"certificateChain\": \"/certs/gw.pem\",\n"
    "                                \"privateKey\": \"/certs/gw.key\"\n"
    "                            }\n"
    "                        },\n"
    "                        \"mode\": \"STRICT\",\n"
    "                        \"validation\": {\n"
    "                            \"subjectAlternativeNames\": {\n"
    "                                \"match\": {\n"
    "                                    \"exact\": [\n"
    "                                        \"client.shop.example.org\"\n"
    "                                    ]\n"
    "                                }\n"
    "                            },\n"
    "                            \"trust\": {\n"
    "                                \"file\": {\n"
    "                                    \"certificateChain\": \"/certs/clients-ca.pem\"\n"
    "                                }\n"
    "                            }\n"
    "                        }\n"
    "                    }\n"
    "                }\n"
    "            ],\n"
    "            \"logging\": {\n"
    "                \"accessLog\": {\n"
    "                    \"file\": {\n"
    "                        \"format\": {\n"
    "                            \"json\": [\n"
    "                                {\n"
    "                                    \"key\": \"start\",\n"
    "                                    \"value\": \"%START_TIME%\"\n"
    "                                },\n"
    "                                {\n"
    "                                    \"key\": \"status\",\n"
    "                                    \"value\": \"%RESPONSE_CODE%\"\n"
    "                                }\n"
    "                            ]\n"
    "                        },\n"
    "                        \"path\": \"/dev/stdout\"\n"
    "                    }\n"
    "                }\n"
    "            }\n"
    "        },\n"
    "        \"status\": {\n"
    "            \"status\": \"ACTIVE\"\n"
    "        },\n"
    "        \"virtualGatewayName\": \"ingress-gw\"\n"
    "    }\n"
    "}\n";

MG_TEST(vgw_tables_pass_the_self_check)
{
	char why[256];

	MG_EXPECT_EQ_INT(mg_schema_check(&mg_config_vgw_schema, why, sizeof(why)), 0);
	MG_EXPECT_STR(why, "");
	MG_EXPECT_EQ_INT(mg_schema_check(&mg_config_schema, why, sizeof(why)), 0);
	MG_EXPECT_STR(why, "");
}

MG_TEST(vgw_describe_output_parses_to_the_exact_struct)
{
	static struct mg_config cfg, want;
	struct mg_cfg_virtual_gateway *v = &want.virtual_gateway;
	struct mg_cfg_listener *l = &v->listener;
	struct mg_cfg_client_tls *b = &v->backend_tls;
	struct mg_cfg_proxy *p = &want.appliance.proxy;
	struct mg_cfg_iface *w = &want.appliance.ifaces[0];
	struct mg_cfg_errors errs;
	char out[4096];

	memset(&want, 0, sizeof(want));
	strcpy(w->name, "data0");
	strcpy(w->device, "net_tap0,iface=mgt0");
	w->device_kind = MG_CFG_DEV_VDEV;
	w->addr = 0x0A630002;
	w->netmask = 0xFFFFFF00;
	w->gateway = 0x0A630001;
	w->prefix = 24;
	w->mtu = 1500;
	want.appliance.n_ifaces = 1;
	want.appliance.admin.iface = 0;
	want.appliance.admin.port = 9901;
	strcpy(want.appliance.admin.iface_name, "data0");
	want.appliance.dataplane.mbufs = 16384;
	want.appliance.dataplane.rx_desc = 1024;
	want.appliance.dataplane.tx_desc = 1024;
	want.appliance.dataplane.burst = 32;
	want.appliance.dataplane.workers = 1;

	p->has_upstream = true;
	p->upstream_addr = 0x0A63000A;
	p->upstream_port = 8080;
	p->n_extra_certs = 1;
	strcpy(p->extra_certs[0].cert.chain, "/etc/meshgate/legacy.crt");
	strcpy(p->extra_certs[0].cert.key, "/etc/meshgate/legacy.key");
	p->extra_certs[0].n_names = 2;
	strcpy(p->extra_certs[0].names[0], "shop.example.org");
	strcpy(p->extra_certs[0].names[1], "*.shop.example.org");
	p->alpn_http11 = true;
	p->session_ticket_lifetime_s = 7200;
	p->handshake_timeout_ms = 5000;
	p->request_header_timeout_ms = 15000;
	p->idle_timeout_ms = 60000;
	p->connect_timeout_ms = 2000;
	p->max_request_header_bytes = 65536;
	p->max_request_body_bytes = 10485760;
	p->https_redirect_port = 80;
	p->max_conns_per_endpoint = 512;
	p->max_idle_per_endpoint = 32;
	want.appliance.dns.timeout_ms = MG_CFG_DEFAULT_DNS_TIMEOUT_MS;

	want.has_virtual_gateway = true;
	strcpy(v->name, "ingress-gw");
	l->port = 8443;
	l->protocol = MG_CFG_PROTO_HTTP;
	l->tls_mode = MG_CFG_TLS_STRICT;
	strcpy(l->cert.chain, "/certs/gw.pem");
	strcpy(l->cert.key, "/certs/gw.key");
	l->has_validation = true;
	strcpy(l->trust_chain, "/certs/clients-ca.pem");
	l->validation_san.n = 1;
	strcpy(l->validation_san.names[0], "client.shop.example.org");
	l->pool_kind = MG_CFG_POOL_HTTP;
	l->max_connections = 2048;
	l->max_pending_requests = 4096;
	l->max_requests = 2147483647;
	l->has_health_check = true;
	l->health_check.healthy_threshold = 2;
	l->health_check.unhealthy_threshold = 3;
	l->health_check.interval_ms = 10000;
	l->health_check.timeout_ms = 2000;
	l->health_check.port = 8443;
	l->health_check.protocol = MG_CFG_PROTO_HTTP;
	strcpy(l->health_check.path, "/ping");
	b->present = true;
	b->enforce = true;
	b->n_ports = 2;
	b->ports[0] = 8443;
	b->ports[1] = 9443;
	b->has_client_cert = true;
	strcpy(b->client_cert.chain, "/certs/gw-client.pem");
	strcpy(b->client_cert.key, "/certs/gw-client.key");
	strcpy(b->trust_chain, "/certs/mesh-ca.pem");
	b->san.n = 2;
	strcpy(b->san.names[0], "orders.shop.local");
	strcpy(b->san.names[1], "cart.shop.local");
	v->has_access_log = true;
	strcpy(v->access_log_path, "/dev/stdout");
	v->access_log_json = true;
	v->n_access_log_json = 2;
	strcpy(v->access_log_json_fields[0].key, "start");
	strcpy(v->access_log_json_fields[0].value, "%START_TIME%");
	strcpy(v->access_log_json_fields[1].key, "status");
	strcpy(v->access_log_json_fields[1].value, "%RESPONSE_CODE%");

	if (!MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, describe_example, &errs), 0))
		printf("%s", mg_cfgtest_errors(&errs, out, sizeof(out)));
	MG_EXPECT_MEM(&cfg.appliance, &want.appliance, sizeof(cfg.appliance));
	MG_EXPECT_MEM(&cfg.virtual_gateway.listener, l, sizeof(*l));
	MG_EXPECT_MEM(&cfg.virtual_gateway.backend_tls, b, sizeof(*b));
	MG_EXPECT_MEM(&cfg, &want, sizeof(cfg));
	mg_cfg_errors_free(&errs);
}

/* The smallest virtual gateway: a plaintext listener, everything else at its default. */
MG_TEST(vgw_minimal_and_defaults)
{
	static struct mg_config cfg;
	const struct mg_cfg_listener *l = &cfg.virtual_gateway.listener;
	const struct mg_cfg_proxy *p = &cfg.appliance.proxy;
	struct mg_cfg_errors errs;
	char out[4096];

	if (!MG_EXPECT_EQ_INT(
	        mg_cfgtest_parse(
	            &cfg,
	            "{\"appliance\":{\"interfaces\":[{\"name\":\"d\",\"address\":\"10.0.0.2/24\"}],"
	            "\"admin\":{\"interface\":\"d\",\"port\":9901}},"
	            "\"virtualGateway\":{\"virtualGatewayName\":\"g\",\"spec\":{\"listeners\":"
	            "[{\"portMapping\":{\"port\":8080,\"protocol\":\"http\"},"
	            "\"healthCheck\":{\"healthyThreshold\":2,\"unhealthyThreshold\":2,"
	            "\"intervalMillis\":5000,\"timeoutMillis\":2000,\"protocol\":\"grpc\"}}]}}}",
	            &errs),
	        0))
		printf("%s", mg_cfgtest_errors(&errs, out, sizeof(out)));
	MG_EXPECT(cfg.has_virtual_gateway);
	MG_EXPECT_STR(cfg.virtual_gateway.name, "g");
	MG_EXPECT_EQ_UINT(l->port, 8080);
	MG_EXPECT_EQ_INT(l->protocol, MG_CFG_PROTO_HTTP);
	MG_EXPECT_EQ_INT(l->tls_mode, MG_CFG_TLS_NONE);
	MG_EXPECT_STR(l->cert.chain, "");
	MG_EXPECT(!l->has_validation);
	MG_EXPECT_EQ_INT(l->pool_kind, MG_CFG_POOL_NONE);
	MG_EXPECT_EQ_UINT(l->max_connections, MG_CFG_POOL_UNLIMITED);
	MG_EXPECT_EQ_UINT(l->max_pending_requests, MG_CFG_POOL_UNLIMITED);
	MG_EXPECT_EQ_UINT(l->max_requests, MG_CFG_POOL_UNLIMITED);
	MG_EXPECT_EQ_UINT(MG_CFG_POOL_UNLIMITED, 2147483647u);
	/* An absent health check port is the listener's; an absent path is "/". */
	MG_EXPECT(l->has_health_check);
	MG_EXPECT_EQ_UINT(l->health_check.port, 8080);
	MG_EXPECT_EQ_INT(l->health_check.protocol, MG_CFG_PROTO_GRPC);
	MG_EXPECT_STR(l->health_check.path, "/");
	MG_EXPECT(!cfg.virtual_gateway.backend_tls.present);
	MG_EXPECT(!cfg.virtual_gateway.backend_tls.enforce);
	MG_EXPECT(!cfg.virtual_gateway.has_access_log);
	/* No staticUpstream: valid, routing comes later. */
	MG_EXPECT(!p->has_upstream);
	MG_EXPECT_EQ_UINT(p->upstream_addr, 0);
	MG_EXPECT_EQ_INT(p->n_extra_certs, 0);
	MG_EXPECT(p->alpn_http11);
	MG_EXPECT(!p->alpn_h2);
	MG_EXPECT_EQ_UINT(p->session_ticket_lifetime_s, 3600);
	MG_EXPECT_EQ_UINT(p->handshake_timeout_ms, 10000);
	MG_EXPECT_EQ_UINT(p->request_header_timeout_ms, 10000);
	MG_EXPECT_EQ_UINT(p->idle_timeout_ms, 300000);
	MG_EXPECT_EQ_UINT(p->connect_timeout_ms, 5000);
	MG_EXPECT_EQ_UINT(p->max_request_header_bytes, 32768);
	MG_EXPECT_EQ_UINT(p->max_request_body_bytes, 0);
	MG_EXPECT_EQ_UINT(p->https_redirect_port, 0);
	MG_EXPECT_EQ_UINT(p->max_conns_per_endpoint, 1024);
	MG_EXPECT_EQ_UINT(p->max_idle_per_endpoint, 64);

	/* Without a virtualGateway there is none, and an empty proxy object has the defaults. */
	MG_ASSERT_EQ_INT(
	    mg_cfgtest_parse(
	        &cfg,
	        "{\"appliance\":{\"interfaces\":[{\"name\":\"d\",\"address\":\"10.0.0.2/24\"}],"
	        "\"admin\":{\"interface\":\"d\",\"port\":9901},\"proxy\":{}}}",
	        &errs),
	    0);
	MG_EXPECT(!cfg.has_virtual_gateway);
	MG_EXPECT(p->alpn_http11);
	MG_EXPECT_EQ_UINT(p->idle_timeout_ms, 300000);
	MG_EXPECT_EQ_UINT(p->max_idle_per_endpoint, 64);
	mg_cfg_errors_free(&errs);
}

/* ------------------------------------------------------------------------------------------ */
/* Building blocks of the cases below.                                                        */

/* The appliance: admin on 9901, echo on 7, discard on 9; <proxy> adds members. */
#define APPL(proxy)                                                                                \
	"\"appliance\":{\"interfaces\":[{\"name\":\"data0\",\"address\":\"10.99.0.2/24\"}],"       \
	"\"admin\":{\"interface\":\"data0\",\"port\":9901},"                                       \
	"\"diagnostics\":{\"echoPort\":7,\"discardPort\":9}" proxy "}"
#define CFG(vgw)     "{" APPL("") ",\"virtualGateway\":" vgw "}"
#define VG(spec)     "{\"virtualGatewayName\":\"gw\",\"spec\":" spec "}"
#define LST(extra)   "{\"portMapping\":{\"port\":8443,\"protocol\":\"http\"}" extra "}"
#define SCFG(rest)   CFG(VG("{\"listeners\":[" LST("") "]" rest "}"))
#define LCFG(extra)  CFG(VG("{\"listeners\":[" LST(extra) "]}"))
#define PM(body)     CFG(VG("{\"listeners\":[{\"portMapping\":{" body "}}]}"))
#define FILE_CERT    "{\"file\":{\"certificateChain\":\"/c.pem\",\"privateKey\":\"/k.pem\"}}"
#define TLS(body)    LCFG(",\"tls\":{" body "}")
#define TLSM(rest)   TLS("\"mode\":\"STRICT\",\"certificate\":" FILE_CERT rest)
#define CERT(body)   TLS("\"mode\":\"STRICT\",\"certificate\":" body)
#define VAL(body)    TLSM(",\"validation\":{" body "}")
#define TRUSTF       "\"trust\":{\"file\":{\"certificateChain\":\"/ca.pem\"}}"
#define SAN(body)    VAL(TRUSTF ",\"subjectAlternativeNames\":" body)
#define POOL(body)   LCFG(",\"connectionPool\":" body)
#define HC(body)     LCFG(",\"healthCheck\":{" body "}")
#define HT           "\"healthyThreshold\":2"
#define UT           "\"unhealthyThreshold\":2"
#define IV           "\"intervalMillis\":5000"
#define TO           "\"timeoutMillis\":2000"
#define PR           "\"protocol\":\"http\""
#define HCW(extra)   HC(HT "," UT "," IV "," TO "," PR extra)
#define CTLS(body)   SCFG(",\"backendDefaults\":{\"clientPolicy\":{\"tls\":{" body "}}}")
#define CVAL(body)   CTLS("\"validation\":{" body "}")
#define CTLSW(extra) CTLS("\"validation\":{" TRUSTF "}" extra)
#define LOG(body)    SCFG(",\"logging\":" body)
#define FLOG(extra)  LOG("{\"accessLog\":{\"file\":{\"path\":\"/dev/stdout\"" extra "}}}")
#define FMT(body)    FLOG(",\"format\":" body)
#define ROOT(body)                                                                                 \
	CFG("{\"virtualGatewayName\":\"gw\",\"spec\":{\"listeners\":[" LST("") "]}" body "}")
#define PROXY(body)  "{" APPL(",\"proxy\":{" body "}") "}"
#define UPS(body)    PROXY("\"staticUpstream\":{" body "}")
#define XCERT(extra) "{\"certificateChain\":\"/x.pem\",\"privateKey\":\"/x.key\"" extra "}"
#define XCERTS(body) PROXY("\"additionalCertificates\":[" body "]")
#define NAMES(body)  XCERTS(XCERT(",\"serverNames\":[" body "]"))
/* A proxy beside a virtual gateway whose listener has tls <tls> ("" for none). */
#define PROXYV(body, tls)                                                                          \
	"{" APPL(",\"proxy\":{" body                                                               \
	         "}") ",\"virtualGateway\":" VG("{\"listeners\":[" LST(tls) "]}") "}"
#define STRICT ",\"tls\":{\"mode\":\"STRICT\",\"certificate\":" FILE_CERT "}"

#define P_VG  "virtualGateway"
#define P_L   "virtualGateway.spec.listeners[0]"
#define P_TLS P_L ".tls"
#define P_VAL P_L ".tls.validation"
#define P_HC  P_L ".healthCheck"
#define P_CP  P_L ".connectionPool"
#define P_BT  "virtualGateway.spec.backendDefaults.clientPolicy.tls"
#define P_LOG "virtualGateway.spec.logging.accessLog"
#define P_PX  "appliance.proxy"

/* Seventeen elements, for lists capped at sixteen (N16 has sixteen). */
#define N4(x)  x "," x "," x "," x
#define N16(x) N4(x) "," N4(x) "," N4(x) "," N4(x)
#define N17(x) N16(x) "," x

/* The rejection messages, in part. */
#define ACM_CERT                                                                                   \
	"ACM certificates are only available to App Mesh's managed Envoy; export the certificate " \
	"and use \"file\" {certificateChain, privateKey}"
#define ACM_TRUST "ACM Private CA trust is only available to App Mesh's managed Envoy"
#define SDS       "SDS secrets are not supported (Meshgate has no Secret Discovery Service agent)"
#define SDS_CERT  SDS "; write the certificate and key to files and use \"file\""
#define SDS_TRUST                                                                                  \
	SDS "; write the CA certificates to a PEM file and use \"file\" {certificateChain}"

/*
 * A configuration with errors: <count> errors (1 when 0) of which one is at <path> with a
 * message containing <msg>. With <fill> > 0, the "%s" in <text> becomes that many 'a's.
 */
struct vgw_err {
	const char *text;
	const char *path;
	const char *msg;
	int count;
	int fill;
};

static void
run_err_cases(const struct vgw_err *cases, size_t n)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	static char out[16384];
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		const struct vgw_err *c = &cases[i];
		char *text = expand(c->text, c->fill);
		int want = c->count > 0 ? c->count : 1;
		bool found = false;

		MG_CASE("#%zu %s", i, c->text);
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
}

/* ------------------------------------------------------------------------------------------ */
/* Errors, field by field.                                                                    */

static const struct vgw_err vgw_errors[] = {
    /* The resource. */
    {CFG("[]"), P_VG, "expected an object, got array"},
    {CFG("null"), P_VG, "expected an object, got null"},
    {CFG("{\"spec\":{\"listeners\":[" LST("") "]}}"), P_VG,
     "missing required field 'virtualGatewayName'"},
    {CFG("{\"virtualGatewayName\":\"gw\"}"), P_VG, "missing required field 'spec'"},
    {CFG("{\"virtualGatewayName\":\"\",\"spec\":{\"listeners\":[" LST("") "]}}"),
     P_VG ".virtualGatewayName", "must not be empty"},
    {CFG("{\"virtualGatewayName\":\"%s\",\"spec\":{\"listeners\":[" LST("") "]}}"),
     P_VG ".virtualGatewayName", "is too long (256 bytes, at most 255)", 0, 256},
    {CFG("{\"virtualGatewayName\":7,\"spec\":{\"listeners\":[" LST("") "]}}"),
     P_VG ".virtualGatewayName", "expected a string, got number"},
    {CFG("{\"virtualGatewayName\":\"g\\u0000w\",\"spec\":{\"listeners\":[" LST("") "]}}"),
     P_VG ".virtualGatewayName", "must not contain a NUL character"},
    {ROOT(",\"virtualGatewayname\":\"x\""), P_VG ".virtualGatewayname",
     "unknown field 'virtualGatewayname' (did you mean 'virtualGatewayName'?)"},
    {ROOT(",\"tags\":[]"), P_VG ".tags",
     "unknown field 'tags' (expected 'meshName', 'metadata', 'spec', 'status' or "
     "'virtualGatewayName')"},
    {ROOT(",\"meshName\":\"a\",\"meshName\":\"b\""), P_VG ".meshName", "duplicate key 'meshName'"},
    /* Ignored members are still JSON. */
    {ROOT(",\"metadata\":{\"version\":01}"), P_VG ".metadata.version",
     "leading zeros are not allowed"},
    {ROOT(",\"status\":{\"status\":\"ACTIVE\",\"status\":\"DELETED\"}"), P_VG ".status.status",
     "duplicate key 'status'"},
    {CFG("{\"virtualGatewayName\":\"gw\",\"spec\":[]}"), P_VG ".spec",
     "expected an object, got array"},

    /* spec */
    {CFG(VG("{}")), P_VG ".spec", "missing required field 'listeners'"},
    {CFG(VG("{\"listeners\":{}}")), P_VG ".spec.listeners", "expected an array, got object"},
    {CFG(VG("{\"listeners\":[]}")), P_VG ".spec.listeners", "must not be empty"},
    {CFG(VG("{\"listeners\":[7]}")), P_L, "expected an object, got number"},
    {CFG(VG("{\"listeners\":[" LST("") "," LST("") "]}")), P_VG ".spec.listeners[1]",
     "Meshgate serves one listener per virtual gateway, this spec has 2; run one Meshgate per "
     "listener"},
    {CFG(VG("{\"listeners\":[" LST("") "," LST(",\"tls\":{}") "," LST("") "]}")),
     P_VG ".spec.listeners[1].tls", "missing required field 'mode'", 3},
    {SCFG(",\"listener\":[]"), P_VG ".spec.listener",
     "unknown field 'listener' (did you mean 'listeners'?)"},
    {SCFG(",\"backendDefaults\":[]"), P_VG ".spec.backendDefaults",
     "expected an object, got array"},
    {SCFG(",\"logging\":7"), P_VG ".spec.logging", "expected an object, got number"},

    /* listeners[].portMapping */
    {CFG(VG("{\"listeners\":[{}]}")), P_L, "missing required field 'portMapping'"},
    {PM("\"protocol\":\"http\""), P_L ".portMapping", "missing required field 'port'"},
    {PM("\"port\":80"), P_L ".portMapping", "missing required field 'protocol'"},
    {PM("\"port\":0,\"protocol\":\"http\""), P_L ".portMapping.port", "0 is out of range 1..65535"},
    {PM("\"port\":65536,\"protocol\":\"http\""), P_L ".portMapping.port",
     "65536 is out of range 1..65535"},
    {PM("\"port\":\"80\",\"protocol\":\"http\""), P_L ".portMapping.port",
     "expected an integer, got string"},
    {PM("\"port\":80.0,\"protocol\":\"http\""), P_L ".portMapping.port",
     "expected an integer, got 80.0"},
    {PM("\"port\":80,\"protocol\":\"HTTP\""), P_L ".portMapping.protocol",
     "'HTTP' is not valid (expected http, http2 or grpc)"},
    {PM("\"port\":80,\"protocol\":\"tcp\""), P_L ".portMapping.protocol",
     "'tcp' is not valid (expected http, http2 or grpc)"},
    {PM("\"port\":80,\"protocol\":1"), P_L ".portMapping.protocol",
     "expected a string, got number"},
    {PM("\"port\":80,\"protocol\":\"http\",\"host\":\"x\""), P_L ".portMapping.host",
     "unknown field 'host' (did you mean 'port'?)"},
    {PM("\"port\":80,\"protocol\":\"http\",\"appProtocol\":\"x\""), P_L ".portMapping.appProtocol",
     "unknown field 'appProtocol' (expected 'port' or 'protocol')"},
    {LCFG(",\"timeout\":{}"), P_L ".timeout",
     "unknown field 'timeout' (expected 'connectionPool', 'healthCheck', 'portMapping' or "
     "'tls')"},
    {LCFG(",\"outlierDetection\":{}"), P_L ".outlierDetection", "unknown field"},

    /* listeners[].tls */
    {LCFG(",\"tls\":true"), P_TLS, "expected an object, got boolean"},
    {TLS("\"mode\":\"STRICT\""), P_TLS, "missing required field 'certificate'"},
    {TLS("\"certificate\":" FILE_CERT), P_TLS, "missing required field 'mode'"},
    {TLS("\"mode\":\"strict\",\"certificate\":" FILE_CERT), P_TLS ".mode",
     "'strict' is not valid (expected STRICT, PERMISSIVE or DISABLED)"},
    {TLS("\"mode\":true,\"certificate\":" FILE_CERT), P_TLS ".mode",
     "expected a string, got boolean"},
    {TLSM(",\"modes\":\"STRICT\""), P_TLS ".modes", "unknown field 'modes' (did you mean 'mode'?)"},
    /* listeners[].tls.certificate: acm | file | sds */
    {CERT("{}"), P_TLS ".certificate", "expected exactly one of 'acm', 'file' or 'sds'"},
    {CERT("[]"), P_TLS ".certificate", "expected an object, got array"},
    {CERT("{\"file\":{\"certificateChain\":\"/c\",\"privateKey\":\"/k\"},\"sds\":"
          "{\"secretName\":\"s\"}}"),
     P_TLS ".certificate.sds",
     "'sds' cannot be combined with 'file': set exactly one of 'acm', 'file' or 'sds'"},
    {CERT("{\"acm\":{\"certificateArn\":\"arn:aws:acm:eu-west-1:123456789012:certificate/"
          "12345678-1234-1234-1234-123456789012\"}}"),
     P_TLS ".certificate.acm", ACM_CERT},
    {CERT("{\"acm\":{}}"), P_TLS ".certificate.acm", ACM_CERT, 2},
    {CERT("{\"acm\":{}}"), P_TLS ".certificate.acm", "missing required field 'certificateArn'", 2},
    {CERT("{\"acm\":{\"certificateArn\":5}}"), P_TLS ".certificate.acm.certificateArn",
     "expected a string, got number", 2},
    {CERT("{\"sds\":{\"secretName\":\"gw-cert\"}}"), P_TLS ".certificate.sds",
     SDS_CERT " {certificateChain, privateKey}"},
    {CERT("{\"sds\":{\"secretName\":\"x\",\"name\":\"y\"}}"), P_TLS ".certificate.sds.name",
     "unknown field 'name'", 2},
    {CERT("{\"file\":{\"certificateChain\":\"/c\"}}"), P_TLS ".certificate.file",
     "missing required field 'privateKey'"},
    {CERT("{\"file\":{\"privateKey\":\"/k\"}}"), P_TLS ".certificate.file",
     "missing required field 'certificateChain'"},
    {CERT("{\"file\":{\"certificateChain\":\"\",\"privateKey\":\"/k\"}}"),
     P_TLS ".certificate.file.certificateChain", "must not be empty"},
    {CERT("{\"file\":{\"certificateChain\":\"/c\",\"privateKey\":\"\"}}"),
     P_TLS ".certificate.file.privateKey", "must not be empty"},
    {CERT("{\"file\":{\"certificateChain\":\"/%s\",\"privateKey\":\"/k\"}}"),
     P_TLS ".certificate.file.certificateChain", "is too long (256 bytes, at most 255)", 0, 255},
    {CERT("{\"file\":{\"certificateChain\":\"/c\",\"privateKey\":\"/k\\u0000.pem\"}}"),
     P_TLS ".certificate.file.privateKey", "must not contain a NUL character"},
    {CERT("{\"file\":{\"certificateChain\":[\"/c\"],\"privateKey\":\"/k\"}}"),
     P_TLS ".certificate.file.certificateChain", "expected a string, got array"},
    {CERT("{\"file\":{\"certificateChain\":\"/c\",\"privateKey\":\"/k\",\"password\":\"x\"}}"),
     P_TLS ".certificate.file.password",
     "unknown field 'password' (expected 'certificateChain' or 'privateKey')"},
    {CERT("{\"File\":{}}"), P_TLS ".certificate.File",
     "unknown field 'File' (did you mean 'file'?)", 2},
    /* listeners[].tls.validation: trust is file | sds (no acm here) */
    {TLSM(",\"validation\":\"x\""), P_VAL, "expected an object, got string"},
    {VAL(""), P_VAL, "missing required field 'trust'"},
    {VAL("\"trust\":{}"), P_VAL ".trust", "expected exactly one of 'file' or 'sds'"},
    {VAL("\"trust\":{\"sds\":{\"secretName\":\"ca\"}}"), P_VAL ".trust.sds", SDS_TRUST},
    {VAL("\"trust\":{\"sds\":{}}"), P_VAL ".trust.sds", "missing required field 'secretName'", 2},
    {VAL("\"trust\":{\"acm\":{\"certificateAuthorityArns\":[\"arn:x\"]},\"file\":"
         "{\"certificateChain\":\"/ca\"}}"),
     P_VAL ".trust.acm", "unknown field 'acm' (expected 'file' or 'sds')"},
    {VAL("\"trust\":{\"file\":{\"certificateChain\":\"/ca\"},\"sds\":{\"secretName\":\"s\"}}"),
     P_VAL ".trust.sds", "'sds' cannot be combined with 'file'"},
    {VAL("\"trust\":{\"file\":{}}"), P_VAL ".trust.file",
     "missing required field 'certificateChain'"},
    {VAL("\"trust\":{\"file\":{\"certificateChain\":\"\"}}"), P_VAL ".trust.file.certificateChain",
     "must not be empty"},
    {VAL("\"trust\":{\"file\":{\"certificateChain\":\"%s\"}}"),
     P_VAL ".trust.file.certificateChain", "is too long (256 bytes, at most 255)", 0, 256},
    {VAL(TRUSTF ",\"subjectAltNames\":{}"), P_VAL ".subjectAltNames",
     "unknown field 'subjectAltNames'"},
    /* subjectAlternativeNames.match.exact */
    {SAN("{}"), P_VAL ".subjectAlternativeNames", "missing required field 'match'"},
    {SAN("{\"match\":{}}"), P_VAL ".subjectAlternativeNames.match",
     "missing required field 'exact'"},
    {SAN("{\"match\":{\"exact\":\"a\"}}"), P_VAL ".subjectAlternativeNames.match.exact",
     "expected an array, got string"},
    {SAN("{\"match\":{\"exact\":[\"\"]}}"), P_VAL ".subjectAlternativeNames.match.exact[0]",
     "must not be empty"},
    {SAN("{\"match\":{\"exact\":[\"a\",1]}}"), P_VAL ".subjectAlternativeNames.match.exact[1]",
     "expected a string, got number"},
    {SAN("{\"match\":{\"exact\":[\"%s\"]}}"), P_VAL ".subjectAlternativeNames.match.exact[0]",
     "is too long (255 bytes, at most 254)", 0, 255},
    {SAN("{\"match\":{\"exact\":[" N17("\"a\"") "]}}"),
     P_VAL ".subjectAlternativeNames.match.exact", "has 17 elements, at most 16 allowed"},
    {SAN("{\"match\":{\"exact\":[],\"prefix\":[]}}"), P_VAL ".subjectAlternativeNames.match.prefix",
     "unknown field 'prefix' (expected 'exact')"},

    /* listeners[].connectionPool: grpc | http | http2 */
    {POOL("{}"), P_CP, "expected exactly one of 'grpc', 'http' or 'http2'"},
    {POOL("7"), P_CP, "expected an object, got number"},
    {POOL("{\"http\":{\"maxConnections\":1},\"http2\":{\"maxRequests\":1}}"), P_CP ".http2",
     "'http2' cannot be combined with 'http': set exactly one of 'grpc', 'http' or 'http2'"},
    {POOL("{\"tcp\":{\"maxConnections\":1}}"), P_CP ".tcp",
     "unknown field 'tcp' (did you mean 'http'?)", 2},
    {POOL("{\"http\":{}}"), P_CP ".http", "missing required field 'maxConnections'"},
    {POOL("{\"http\":{\"maxConnections\":0}}"), P_CP ".http.maxConnections",
     "0 is out of range 1..2147483647"},
    {POOL("{\"http\":{\"maxConnections\":2147483648}}"), P_CP ".http.maxConnections",
     "2147483648 is out of range 1..2147483647"},
    {POOL("{\"http\":{\"maxConnections\":\"10\"}}"), P_CP ".http.maxConnections",
     "expected an integer, got string"},
    {POOL("{\"http\":{\"maxConnections\":1,\"maxPendingRequests\":0}}"),
     P_CP ".http.maxPendingRequests", "0 is out of range 1..2147483647"},
    {POOL("{\"http\":{\"maxConnections\":1,\"maxPendingRequests\":2147483648}}"),
     P_CP ".http.maxPendingRequests", "out of range 1..2147483647"},
    {POOL("{\"http\":{\"maxConnections\":1,\"maxRequests\":1}}"), P_CP ".http.maxRequests",
     "unknown field 'maxRequests' (expected 'maxConnections' or 'maxPendingRequests')"},
    /* The pool's protocol must be the listener's. */
    {POOL("{\"http2\":{\"maxRequests\":1}}"), P_CP ".http2",
     "connectionPool 'http2' does not match portMapping.protocol 'http' (App Mesh requires the "
     "same protocol)"},
    {POOL("{\"grpc\":{\"maxRequests\":1}}"), P_CP ".grpc",
     "connectionPool 'grpc' does not match portMapping.protocol 'http'"},
    {POOL("{\"http2\":{\"maxRequests\":0}}"), P_CP ".http2.maxRequests",
     "0 is out of range 1..2147483647", 2},
    {POOL("{\"grpc\":{}}"), P_CP ".grpc", "missing required field 'maxRequests'", 2},

    /* listeners[].healthCheck */
    {LCFG(",\"healthCheck\":[]"), P_HC, "expected an object, got array"},
    {HC(UT "," IV "," TO "," PR), P_HC, "missing required field 'healthyThreshold'"},
    {HC(HT "," IV "," TO "," PR), P_HC, "missing required field 'unhealthyThreshold'"},
    {HC(HT "," UT "," TO "," PR), P_HC, "missing required field 'intervalMillis'"},
    {HC(HT "," UT "," IV "," PR), P_HC, "missing required field 'timeoutMillis'"},
    {HC(HT "," UT "," IV "," TO), P_HC, "missing required field 'protocol'"},
    {HC("\"healthyThreshold\":1," UT "," IV "," TO "," PR), P_HC ".healthyThreshold",
     "1 is out of range 2..10"},
    {HC("\"healthyThreshold\":11," UT "," IV "," TO "," PR), P_HC ".healthyThreshold",
     "11 is out of range 2..10"},
    {HC(HT ",\"unhealthyThreshold\":1," IV "," TO "," PR), P_HC ".unhealthyThreshold",
     "1 is out of range 2..10"},
    {HC(HT ",\"unhealthyThreshold\":11," IV "," TO "," PR), P_HC ".unhealthyThreshold",
     "11 is out of range 2..10"},
    {HC(HT "," UT ",\"intervalMillis\":4999," TO "," PR), P_HC ".intervalMillis",
     "4999 is out of range 5000..300000"},
    {HC(HT "," UT ",\"intervalMillis\":300001," TO "," PR), P_HC ".intervalMillis",
     "300001 is out of range 5000..300000"},
    {HC(HT "," UT "," IV ",\"timeoutMillis\":1999," PR), P_HC ".timeoutMillis",
     "1999 is out of range 2000..60000"},
    {HC(HT "," UT "," IV ",\"timeoutMillis\":60001," PR), P_HC ".timeoutMillis",
     "60001 is out of range 2000..60000"},
    {HC(HT "," UT "," IV "," TO ",\"protocol\":\"tcp\""), P_HC ".protocol",
     "'tcp' is not valid (expected http, http2 or grpc)"},
    {HCW(",\"port\":0"), P_HC ".port", "0 is out of range 1..65535"},
    {HCW(",\"port\":65536"), P_HC ".port", "65536 is out of range 1..65535"},
    {HCW(",\"port\":8080"), P_HC ".port",
     "port 8080 must equal portMapping.port (8443): the health check probes the listener's own "
     "port"},
    {HCW(",\"path\":\"\""), P_HC ".path", "must not be empty"},
    {HCW(",\"path\":5"), P_HC ".path", "expected a string, got number"},
    {HCW(",\"path\":\"/%s\""), P_HC ".path", "is too long (256 bytes, at most 255)", 0, 255},
    {HCW(",\"healthyTreshold\":2"), P_HC ".healthyTreshold",
     "unknown field 'healthyTreshold' (did you mean 'healthyThreshold'?)"},
    {HCW(",\"grace\":2"), P_HC ".grace",
     "unknown field 'grace' (expected 'healthyThreshold', 'intervalMillis', 'path', 'port', "
     "'protocol', 'timeoutMillis' or 'unhealthyThreshold')"},
    {HCW(",\"intervalMillis\":5000"), P_HC ".intervalMillis", "duplicate key 'intervalMillis'"},

    /* backendDefaults.clientPolicy.tls */
    {SCFG(",\"backendDefaults\":{\"clientpolicy\":{}}"), P_VG ".spec.backendDefaults.clientpolicy",
     "unknown field 'clientpolicy' (did you mean 'clientPolicy'?)"},
    {SCFG(",\"backendDefaults\":{\"clientPolicy\":{\"tls\":[]}}"), P_BT,
     "expected an object, got array"},
    {CTLS(""), P_BT, "missing required field 'validation'"},
    {CTLS("\"enforce\":true"), P_BT, "missing required field 'validation'"},
    {CTLSW(",\"enforce\":\"yes\""), P_BT ".enforce", "expected a boolean, got string"},
    {CTLSW(",\"enforce\":1"), P_BT ".enforce", "expected a boolean, got number"},
    {CTLSW(",\"ports\":443"), P_BT ".ports", "expected an array, got number"},
    {CTLSW(",\"ports\":[0]"), P_BT ".ports[0]", "0 is out of range 1..65535"},
    {CTLSW(",\"ports\":[443,65536]"), P_BT ".ports[1]", "65536 is out of range 1..65535"},
    {CTLSW(",\"ports\":[\"443\"]"), P_BT ".ports[0]", "expected an integer, got string"},
    {CTLSW(",\"ports\":[" N17("443") "]"), P_BT ".ports", "has 17 elements, at most 16 allowed"},
    {CTLSW(",\"mode\":\"STRICT\""), P_BT ".mode",
     "unknown field 'mode' (expected 'certificate', 'enforce', 'ports' or 'validation')"},
    /* certificate: file | sds (no acm here) */
    {CTLSW(",\"certificate\":{}"), P_BT ".certificate", "expected exactly one of 'file' or 'sds'"},
    {CTLSW(",\"certificate\":{\"sds\":{\"secretName\":\"client\"}}"), P_BT ".certificate.sds",
     SDS_CERT},
    {CTLSW(",\"certificate\":{\"acm\":{\"certificateArn\":\"arn:x\"},"
           "\"file\":"
           "{\"certificateChain\":\"/c\",\"privateKey\":\"/k\"}}"),
     P_BT ".certificate.acm", "unknown field 'acm' (expected 'file' or 'sds')"},
    {CTLSW(",\"certificate\":{\"file\":{\"certificateChain\":\"/c\"}}"), P_BT ".certificate.file",
     "missing required field 'privateKey'"},
    /* validation.trust: acm | file | sds */
    {CVAL(""), P_BT ".validation", "missing required field 'trust'"},
    {CVAL("\"trust\":{}"), P_BT ".validation.trust",
     "expected exactly one of 'acm', 'file' or 'sds'"},
    {CVAL("\"trust\":{\"acm\":{\"certificateAuthorityArns\":[\"arn:aws:acm-pca:eu-west-1:"
          "123456789012:certificate-authority/12345678-1234-1234-1234-123456789012\"]}}"),
     P_BT ".validation.trust.acm",
     ACM_TRUST "; export the CA certificates to a PEM file and use \"file\" {certificateChain}"},
    {CVAL("\"trust\":{\"acm\":{\"certificateAuthorityArns\":[]}}"),
     P_BT ".validation.trust.acm.certificateAuthorityArns", "must not be empty", 2},
    {CVAL("\"trust\":{\"acm\":{\"certificateAuthorityArns\":[\"a\",\"b\",\"c\",\"d\"]}}"),
     P_BT ".validation.trust.acm.certificateAuthorityArns", "has 4 elements, at most 3 allowed", 2},
    {CVAL("\"trust\":{\"acm\":{}}"), P_BT ".validation.trust.acm",
     "missing required field 'certificateAuthorityArns'", 2},
    {CVAL("\"trust\":{\"sds\":{\"secretName\":\"ca\"}}"), P_BT ".validation.trust.sds", SDS_TRUST},
    {CVAL("\"trust\":{\"file\":{\"certificateChain\":\"/ca\"},\"acm\":"
          "{\"certificateAuthorityArns\":[\"a\"]}}"),
     P_BT ".validation.trust.acm", "'acm' cannot be combined with 'file'"},
    {CVAL(TRUSTF ",\"subjectAlternativeNames\":{\"match\":{\"exact\":[\"\"]}}"),
     P_BT ".validation.subjectAlternativeNames.match.exact[0]", "must not be empty"},

    /* logging.accessLog: file { path, format: json | text } */
    {LOG("{\"accessLog\":{}}"), P_LOG, "expected exactly one of 'file'"},
    {LOG("{\"accessLog\":[]}"), P_LOG, "expected an object, got array"},
    {LOG("{\"accessLog\":{\"file\":{}}}"), P_LOG ".file", "missing required field 'path'"},
    {LOG("{\"accessLog\":{\"file\":{\"path\":\"\"}}}"), P_LOG ".file.path", "must not be empty"},
    {LOG("{\"accessLog\":{\"file\":{\"path\":\"/%s\"}}}"), P_LOG ".file.path",
     "is too long (256 bytes, at most 255)", 0, 255},
    {LOG("{\"accessLog\":{\"file\":{\"path\":\"/dev/stdout\"},\"cloudWatch\":{}}}"),
     P_LOG ".cloudWatch", "unknown field 'cloudWatch' (expected 'file')"},
    {LOG("{\"accessLogs\":{}}"), P_VG ".spec.logging.accessLogs",
     "unknown field 'accessLogs' (did you mean 'accessLog'?)"},
    {FMT("{}"), P_LOG ".file.format", "expected exactly one of 'json' or 'text'"},
    {FMT("\"%START_TIME%\""), P_LOG ".file.format", "expected an object, got string"},
    {FMT("{\"json\":[],\"text\":\"x\"}"), P_LOG ".file.format.text",
     "'text' cannot be combined with 'json': set exactly one of 'json' or 'text'"},
    {FMT("{\"text\":\"\"}"), P_LOG ".file.format.text", "must not be empty"},
    {FMT("{\"text\":\"%s\"}"), P_LOG ".file.format.text", "is too long (1001 bytes, at most 1000)",
     0, 1001},
    {FMT("{\"text\":[\"x\"]}"), P_LOG ".file.format.text", "expected a string, got array"},
    {FMT("{\"json\":{}}"), P_LOG ".file.format.json", "expected an array, got object"},
    {FMT("{\"json\":[{}]}"), P_LOG ".file.format.json[0]", "missing required field 'key'", 2},
    {FMT("{\"json\":[{\"key\":\"a\"}]}"), P_LOG ".file.format.json[0]",
     "missing required field 'value'"},
    {FMT("{\"json\":[{\"key\":\"\",\"value\":\"v\"}]}"), P_LOG ".file.format.json[0].key",
     "must not be empty"},
    {FMT("{\"json\":[{\"key\":\"k\",\"value\":\"%s\"}]}"), P_LOG ".file.format.json[0].value",
     "is too long (101 bytes, at most 100)", 0, 101},
    {FMT("{\"json\":[{\"key\":\"k\",\"value\":\"v\",\"type\":\"s\"}]}"),
     P_LOG ".file.format.json[0].type", "unknown field 'type' (expected 'key' or 'value')"},
    {FMT("{\"json\":[" N16(N4("{\"key\":\"k\",\"value\":\"v\"}")) ",{\"key\":\"k\",\"value\":"
                                                                  "\"v\"}]}"),
     P_LOG ".file.format.json", "has 65 elements, at most 64 allowed"},
};

MG_TEST(vgw_each_field_error)
{
	run_err_cases(vgw_errors, sizeof(vgw_errors) / sizeof(vgw_errors[0]));
}

static const struct vgw_err proxy_errors[] = {
    {PROXY("") "x", "(root)", "unexpected data after the top-level object"},
    {"{" APPL(",\"proxy\":[]") "}", P_PX, "expected an object, got array"},
    {PROXY("\"staticUpStream\":{}"), P_PX ".staticUpStream",
     "unknown field 'staticUpStream' (did you mean 'staticUpstream'?)"},
    {PROXY("\"routes\":{}"), P_PX ".routes", "unknown field 'routes'"},
    /* staticUpstream */
    {PROXY("\"staticUpstream\":\"10.0.0.1:80\""), P_PX ".staticUpstream",
     "expected an object, got string"},
    {UPS("\"port\":80"), P_PX ".staticUpstream", "missing required field 'address'"},
    {UPS("\"address\":\"10.0.0.1\""), P_PX ".staticUpstream", "missing required field 'port'"},
    {UPS("\"address\":\"10.0.0.1\",\"port\":0"), P_PX ".staticUpstream.port",
     "0 is out of range 1..65535"},
    {UPS("\"address\":\"10.0.0.1\",\"port\":65536"), P_PX ".staticUpstream.port",
     "65536 is out of range 1..65535"},
    {UPS("\"address\":\"10.0.0.1\",\"port\":\"80\""), P_PX ".staticUpstream.port",
     "expected an integer, got string"},
    {UPS("\"address\":\"10.0.0\",\"port\":80"), P_PX ".staticUpstream.address",
     "'10.0.0' is not an IPv4 address like 10.0.0.10"},
    {UPS("\"address\":\"10.0.0.1:80\",\"port\":80"), P_PX ".staticUpstream.address",
     "is not an IPv4 address"},
    {UPS("\"address\":\"upstream.local\",\"port\":80"), P_PX ".staticUpstream.address",
     "is not an IPv4 address"},
    {UPS("\"address\":\"10.0.0.1/24\",\"port\":80"), P_PX ".staticUpstream.address",
     "is not an IPv4 address"},
    {UPS("\"address\":10,\"port\":80"), P_PX ".staticUpstream.address",
     "expected a string like \"10.0.0.10\", got number"},
    {UPS("\"address\":\"127.0.0.1\",\"port\":80"), P_PX ".staticUpstream.address",
     "upstream 127.0.0.1 is a loopback address"},
    {UPS("\"address\":\"0.0.0.0\",\"port\":80"), P_PX ".staticUpstream.address",
     "upstream 0.0.0.0 is in 0.0.0.0/8"},
    {UPS("\"address\":\"239.1.1.1\",\"port\":80"), P_PX ".staticUpstream.address",
     "is a multicast address"},
    {UPS("\"address\":\"255.255.255.255\",\"port\":80"), P_PX ".staticUpstream.address",
     "is a reserved or broadcast address"},
    {UPS("\"address\":\"10.0.0.1\",\"port\":80,\"tls\":true"), P_PX ".staticUpstream.tls",
     "unknown field 'tls' (expected 'address', 'port' or 'serverName')"},
    {UPS("\"address\":\"10.0.0.1\",\"port\":80,\"serverName\":\"\""),
     P_PX ".staticUpstream.serverName", "must not be empty"},
    {UPS("\"address\":\"10.0.0.1\",\"port\":80,\"serverName\":\"*.example.com\""),
     P_PX ".staticUpstream.serverName", "is one exact DNS name, not a wildcard"},
    {UPS("\"address\":\"10.0.0.1\",\"port\":80,\"serverName\":\"10.0.0.1\""),
     P_PX ".staticUpstream.serverName", "an IP address is not a server name"},
    {UPS("\"address\":\"10.0.0.1\",\"port\":80,\"serverName\":\"a..b\""),
     P_PX ".staticUpstream.serverName", "empty label"},
    /* additionalCertificates */
    {XCERTS(""), P_PX ".additionalCertificates", "must not be empty"},
    {PROXY("\"additionalCertificates\":{}"), P_PX ".additionalCertificates",
     "expected an array, got object"},
    {XCERTS(N16(XCERT(""))), P_PX ".additionalCertificates", "has 16 elements, at most 15 allowed"},
    {XCERTS("{}"), P_PX ".additionalCertificates[0]", "missing required field 'certificateChain'",
     2},
    {XCERTS("{\"certificateChain\":\"/x\"}"), P_PX ".additionalCertificates[0]",
     "missing required field 'privateKey'"},
    {XCERTS("{\"certificateChain\":\"\",\"privateKey\":\"/k\"}"),
     P_PX ".additionalCertificates[0].certificateChain", "must not be empty"},
    {XCERTS("{\"certificateChain\":\"/c\",\"privateKey\":\"%s\"}"),
     P_PX ".additionalCertificates[0].privateKey", "is too long (256 bytes, at most 255)", 0, 256},
    {XCERTS(XCERT(",\"sni\":[]")), P_PX ".additionalCertificates[0].sni", "unknown field 'sni'"},
    {XCERTS(XCERT(",\"serverNames\":\"a.com\"")), P_PX ".additionalCertificates[0].serverNames",
     "expected an array, got string"},
    {NAMES(""), P_PX ".additionalCertificates[0].serverNames", "must not be empty"},
    {NAMES("\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\","
           "\"n\",\"o\",\"p\",\"q\""),
     P_PX ".additionalCertificates[0].serverNames", "has 17 elements, at most 16 allowed"},
    {NAMES("\"\""), P_PX ".additionalCertificates[0].serverNames[0]", "must not be empty"},
    {NAMES("7"), P_PX ".additionalCertificates[0].serverNames[0]", "expected a string, got number"},
    {NAMES("\"*.com\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "'*.com' is not a DNS name or a wildcard like *.example.com: a wildcard needs at least two "
     "labels after '*.'"},
    {NAMES("\"*\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "a wildcard is a whole first label"},
    {NAMES("\"*example.com\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "a wildcard is a whole first label"},
    {NAMES("\"a.*.example.com\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "'*' is only allowed as the whole first label"},
    {NAMES("\"*.*.example.com\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "'*' is only allowed as the whole first label"},
    {NAMES("\"a..com\""), P_PX ".additionalCertificates[0].serverNames[0]", "empty label"},
    {NAMES("\".a.com\""), P_PX ".additionalCertificates[0].serverNames[0]", "empty label"},
    {NAMES("\"a.com.\""), P_PX ".additionalCertificates[0].serverNames[0]", "empty label"},
    {NAMES("\"-a.com\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "a label starts with '-'"},
    {NAMES("\"a-.com\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "a label ends with '-'"},
    {NAMES("\"a_b.com\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "labels are made of letters, digits and '-'"},
    {NAMES("\"a b.com\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "labels are made of letters, digits and '-'"},
    {NAMES("\"caf\\u00e9.com\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "labels are made of letters, digits and '-'"},
    {NAMES("\"10.0.0.1\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "an IP address is not a server name"},
    {NAMES("\"%s.com\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "a label is longer than 63 characters", 0, 64},
    {NAMES("\"%s\""), P_PX ".additionalCertificates[0].serverNames[0]",
     "is too long (254 bytes, at most 253)", 0, 254},
    /* A server name picks one certificate. */
    {NAMES("\"a.example.com\",\"b.example.com\",\"A.Example.com\""),
     P_PX ".additionalCertificates[0].serverNames[2]",
     "server name 'a.example.com' is already listed in additionalCertificates[0]"},
    {XCERTS(XCERT(",\"serverNames\":[\"x.com\",\"*.x.com\"]") "," XCERT(
         ",\"serverNames\":[\"y.com\",\"*.X.com\"]")),
     P_PX ".additionalCertificates[1].serverNames[1]",
     "server name '*.x.com' is already listed in additionalCertificates[0]"},
    /* alpn */
    {PROXY("\"alpn\":\"http/1.1\""), P_PX ".alpn", "expected an array, got string"},
    {PROXY("\"alpn\":[]"), P_PX ".alpn", "must not be empty"},
    {PROXY("\"alpn\":[\"h2\",\"h2\"]"), P_PX ".alpn[1]", "'h2' is listed twice"},
    {PROXY("\"alpn\":[\"http/1.0\"]"), P_PX ".alpn[0]",
     "'http/1.0' is not valid (expected http/1.1 or h2)"},
    {PROXY("\"alpn\":[\"HTTP/1.1\"]"), P_PX ".alpn[0]", "is not valid (expected http/1.1 or h2)"},
    {PROXY("\"alpn\":[\"http/1.1\",\"http/1.1\"]"), P_PX ".alpn[1]", "'http/1.1' is listed twice"},
    {PROXY("\"alpn\":[1]"), P_PX ".alpn[0]", "expected a string, got number"},
    {PROXY("\"alpn\":[\"http/1.1\",01]"), P_PX ".alpn[1]", "leading zeros are not allowed"},
    /* Numbers at both edges and of the wrong type. */
    {PROXY("\"sessionTicketLifetimeSeconds\":59"), P_PX ".sessionTicketLifetimeSeconds",
     "59 is out of range 60..86400"},
    {PROXY("\"sessionTicketLifetimeSeconds\":86401"), P_PX ".sessionTicketLifetimeSeconds",
     "86401 is out of range 60..86400"},
    {PROXY("\"sessionTicketLifetimeSeconds\":\"1h\""), P_PX ".sessionTicketLifetimeSeconds",
     "expected an integer, got string"},
    {PROXY("\"handshakeTimeoutMs\":999"), P_PX ".handshakeTimeoutMs",
     "999 is out of range 1000..60000"},
    {PROXY("\"handshakeTimeoutMs\":60001"), P_PX ".handshakeTimeoutMs",
     "60001 is out of range 1000..60000"},
    {PROXY("\"handshakeTimeoutMs\":1e4"), P_PX ".handshakeTimeoutMs",
     "expected an integer, got 1e4"},
    {PROXY("\"requestHeaderTimeoutMs\":999"), P_PX ".requestHeaderTimeoutMs",
     "999 is out of range 1000..300000"},
    {PROXY("\"requestHeaderTimeoutMs\":300001"), P_PX ".requestHeaderTimeoutMs",
     "300001 is out of range 1000..300000"},
    {PROXY("\"requestHeaderTimeoutMs\":null"), P_PX ".requestHeaderTimeoutMs",
     "expected an integer, got null"},
    {PROXY("\"idleTimeoutMs\":999"), P_PX ".idleTimeoutMs", "999 is out of range 1000..3600000"},
    {PROXY("\"idleTimeoutMs\":3600001"), P_PX ".idleTimeoutMs",
     "3600001 is out of range 1000..3600000"},
    {PROXY("\"idleTimeoutMs\":true"), P_PX ".idleTimeoutMs", "expected an integer, got boolean"},
    {PROXY("\"connectTimeoutMs\":99"), P_PX ".connectTimeoutMs", "99 is out of range 100..60000"},
    {PROXY("\"connectTimeoutMs\":60001"), P_PX ".connectTimeoutMs",
     "60001 is out of range 100..60000"},
    {PROXY("\"connectTimeoutMs\":[5000]"), P_PX ".connectTimeoutMs",
     "expected an integer, got array"},
    {PROXY("\"maxRequestHeaderBytes\":1023"), P_PX ".maxRequestHeaderBytes",
     "1023 is out of range 1024..1048576"},
    {PROXY("\"maxRequestHeaderBytes\":1048577"), P_PX ".maxRequestHeaderBytes",
     "1048577 is out of range 1024..1048576"},
    {PROXY("\"maxRequestHeaderBytes\":\"32k\""), P_PX ".maxRequestHeaderBytes",
     "expected an integer, got string"},
    {PROXY("\"maxRequestBodyBytes\":-1"), P_PX ".maxRequestBodyBytes",
     "-1 is out of range 0..9007199254740992"},
    {PROXY("\"maxRequestBodyBytes\":9007199254740993"), P_PX ".maxRequestBodyBytes",
     "9007199254740993 is out of range 0..9007199254740992"},
    {PROXY("\"maxRequestBodyBytes\":1.5"), P_PX ".maxRequestBodyBytes",
     "expected an integer, got 1.5"},
    {PROXY("\"httpsRedirectPort\":0"), P_PX ".httpsRedirectPort", "0 is out of range 1..65535"},
    {PROXY("\"httpsRedirectPort\":65536"), P_PX ".httpsRedirectPort",
     "65536 is out of range 1..65535"},
    {PROXY("\"httpsRedirectPort\":\"80\""), P_PX ".httpsRedirectPort",
     "expected an integer, got string"},
    {PROXY("\"maxConnectionsPerEndpoint\":0"), P_PX ".maxConnectionsPerEndpoint",
     "0 is out of range 1..65535"},
    {PROXY("\"maxConnectionsPerEndpoint\":65536"), P_PX ".maxConnectionsPerEndpoint",
     "65536 is out of range 1..65535"},
    {PROXY("\"maxConnectionsPerEndpoint\":{}"), P_PX ".maxConnectionsPerEndpoint",
     "expected an integer, got object"},
    {PROXY("\"maxIdleConnectionsPerEndpoint\":-1"), P_PX ".maxIdleConnectionsPerEndpoint",
     "-1 is out of range 0..65535"},
    {PROXY("\"maxIdleConnectionsPerEndpoint\":65536"), P_PX ".maxIdleConnectionsPerEndpoint",
     "65536 is out of range 0..65535"},
    {PROXY("\"maxIdleConnectionsPerEndpoint\":\"64\""), P_PX ".maxIdleConnectionsPerEndpoint",
     "expected an integer, got string"},
    {PROXY("\"maxIdleConnectionsPerEndpoint\":100,\"maxConnectionsPerEndpoint\":50"),
     P_PX ".maxIdleConnectionsPerEndpoint", "100 is more than maxConnectionsPerEndpoint (50)"},
    {PROXY("\"maxIdleConnectionsPerEndpoint\":1025"), P_PX ".maxIdleConnectionsPerEndpoint",
     "1025 is more than maxConnectionsPerEndpoint (1024)"},
    {PROXY("\"maxIdleConnections\":1"), P_PX ".maxIdleConnections",
     "unknown field 'maxIdleConnections'"},
    {PROXY("\"idleTimeoutMS\":1000"), P_PX ".idleTimeoutMS",
     "unknown field 'idleTimeoutMS' (did you mean 'idleTimeoutMs'?)"},
};

MG_TEST(vgw_proxy_each_field_error)
{
	run_err_cases(proxy_errors, sizeof(proxy_errors) / sizeof(proxy_errors[0]));
}

/* ------------------------------------------------------------------------------------------ */
/* Rules across sections.                                                                     */

#define LPORT(port, tls)                                                                           \
	"{" APPL("") ",\"virtualGateway\":" VG("{\"listeners\":[{\"portMapping\":{\"port\":" port  \
	                                       ",\"protocol\":\"http\"}" tls "}]}") "}"

static const struct vgw_err cross_errors[] = {
    {LPORT("9901", ""), P_L ".portMapping.port",
     "port 9901 is already used by the admin listener (appliance.admin.port, on interface "
     "'data0')"},
    {LPORT("7", ""), P_L ".portMapping.port",
     "port 7 is already used by appliance.diagnostics.echoPort"},
    {LPORT("9", ""), P_L ".portMapping.port",
     "port 9 is already used by appliance.diagnostics.discardPort"},
    {PROXY("\"httpsRedirectPort\":9901"), P_PX ".httpsRedirectPort",
     "port 9901 is already used by appliance.admin.port"},
    {PROXY("\"httpsRedirectPort\":7"), P_PX ".httpsRedirectPort",
     "port 7 is already used by appliance.diagnostics.echoPort"},
    {PROXY("\"httpsRedirectPort\":9"), P_PX ".httpsRedirectPort",
     "port 9 is already used by appliance.diagnostics.discardPort"},
    {PROXYV("\"httpsRedirectPort\":8443", STRICT), P_PX ".httpsRedirectPort",
     "port 8443 is already used by the listener "
     "(virtualGateway.spec.listeners[0].portMapping.port)"},
    /* Redirecting to https, or more certificates, need a listener that terminates TLS. */
    {PROXYV("\"httpsRedirectPort\":80", ""), P_PX ".httpsRedirectPort",
     "redirects to https, but the listener does not terminate TLS (it needs "
     "virtualGateway.spec.listeners[0].tls with mode STRICT or PERMISSIVE)"},
    {PROXYV("\"httpsRedirectPort\":80",
            ",\"tls\":{\"mode\":\"DISABLED\",\"certificate\":" FILE_CERT "}"),
     P_PX ".httpsRedirectPort", "redirects to https, but the listener does not terminate TLS"},
    {PROXYV("\"additionalCertificates\":[" XCERT("") "]", ""), P_PX ".additionalCertificates",
     "additional certificates are served by a TLS listener, but the listener does not terminate "
     "TLS"},
    {PROXYV("\"additionalCertificates\":[" XCERT("") "]",
            ",\"tls\":{\"mode\":\"DISABLED\",\"certificate\":" FILE_CERT "}"),
     P_PX ".additionalCertificates", "does not terminate TLS"},
};

MG_TEST(vgw_cross_section_rules)
{
	run_err_cases(cross_errors, sizeof(cross_errors) / sizeof(cross_errors[0]));
}

/* ------------------------------------------------------------------------------------------ */
/* Accepted values: each edge, with what it must store.                                       */

struct vgw_ok {
	const char *text;
	const char *what;
	unsigned long long want;
	int fill;
};

static const struct vgw_ok vgw_accepts[] = {
    {PM("\"port\":1,\"protocol\":\"http\""), "port", 1},
    {PM("\"port\":65535,\"protocol\":\"http\""), "port", 65535},
    {PM("\"protocol\":\"http\",\"port\":80"), "protocol", MG_CFG_PROTO_HTTP},
    {CFG("{\"virtualGatewayName\":\"%s\",\"spec\":{\"listeners\":[" LST("") "]}}"), "name_len", 255,
     255},
    {CFG("{\"virtualGatewayName\":\"g\\u00e9\",\"spec\":{\"listeners\":[" LST("") "]}}"),
     "name_len", 3},
    /* Ignored members: any JSON value. */
    {ROOT(",\"meshName\":7,\"metadata\":[],\"status\":null"), "port", 8443},
    {ROOT(",\"metadata\":{\"arn\":\"x\",\"deep\":[[[{\"a\":[true,false,-1.5e3]}]]]},"
          "\"status\":{\"status\":\"DELETED\"}"),
     "port", 8443},
    /* tls */
    {TLSM(""), "tls_mode", MG_CFG_TLS_STRICT},
    {TLS("\"mode\":\"PERMISSIVE\",\"certificate\":" FILE_CERT), "tls_mode", MG_CFG_TLS_PERMISSIVE},
    {TLS("\"mode\":\"DISABLED\",\"certificate\":" FILE_CERT), "tls_mode", MG_CFG_TLS_DISABLED},
    {LCFG(""), "tls_mode", MG_CFG_TLS_NONE},
    {CERT("{\"file\":{\"certificateChain\":\"/%s\",\"privateKey\":\"k\"}}"), "chain_len", 255, 254},
    {CERT("{\"file\":{\"certificateChain\":\"c\",\"privateKey\":\"k\"}}"), "chain_len", 1},
    {VAL(TRUSTF), "has_validation", 1},
    {VAL(TRUSTF), "san_n", 0},
    {TLSM(""), "has_validation", 0},
    {SAN("{\"match\":{\"exact\":[]}}"), "san_n", 0},
    {SAN("{\"match\":{\"exact\":[" N16("\"spiffe://shop/client\"") "]}}"), "san_n", 16},
    {SAN("{\"match\":{\"exact\":[\"%s\"]}}"), "san0_len", 254, 254},
    /* connectionPool */
    {POOL("{\"http\":{\"maxConnections\":1}}"), "max_connections", 1},
    {POOL("{\"http\":{\"maxConnections\":2147483647}}"), "max_connections", 2147483647},
    {POOL("{\"http\":{\"maxConnections\":1}}"), "max_pending", 2147483647},
    {POOL("{\"http\":{\"maxConnections\":1}}"), "max_requests", 2147483647},
    {POOL("{\"http\":{\"maxConnections\":1}}"), "pool_kind", MG_CFG_POOL_HTTP},
    {POOL("{\"http\":{\"maxConnections\":1,\"maxPendingRequests\":1}}"), "max_pending", 1},
    {POOL("{\"http\":{\"maxConnections\":1,\"maxPendingRequests\":2147483647}}"), "max_pending",
     2147483647},
    {LCFG(""), "pool_kind", MG_CFG_POOL_NONE},
    /* healthCheck */
    {HCW(""), "hc", 1},
    {LCFG(""), "hc", 0},
    {HC("\"healthyThreshold\":10," UT "," IV "," TO "," PR), "hc_healthy", 10},
    {HCW(""), "hc_healthy", 2},
    {HC(HT ",\"unhealthyThreshold\":10," IV "," TO "," PR), "hc_unhealthy", 10},
    {HCW(""), "hc_unhealthy", 2},
    {HCW(""), "hc_interval", 5000},
    {HC(HT "," UT ",\"intervalMillis\":300000," TO "," PR), "hc_interval", 300000},
    {HCW(""), "hc_timeout", 2000},
    {HC(HT "," UT "," IV ",\"timeoutMillis\":60000," PR), "hc_timeout", 60000},
    {HCW(",\"port\":8443"), "hc_port", 8443},
    {HCW(""), "hc_port", 8443},
    {HC(HT "," UT "," IV "," TO ",\"protocol\":\"http2\""), "hc_protocol", MG_CFG_PROTO_HTTP2},
    {HCW(",\"path\":\"/%s\""), "hc_path_len", 255, 254},
    {HCW(",\"path\":\"/healthz\""), "hc_path_len", 8},
    {HCW(""), "hc_path_len", 1},
    /* backendDefaults */
    {SCFG(",\"backendDefaults\":{}"), "bt", 0},
    {SCFG(",\"backendDefaults\":{\"clientPolicy\":{}}"), "bt", 0},
    {CTLSW(""), "bt", 1},
    {CTLSW(""), "bt_enforce", 1},
    {CTLSW(",\"enforce\":false"), "bt_enforce", 0},
    {CTLSW(",\"enforce\":true"), "bt_enforce", 1},
    {CTLSW(""), "bt_ports", 0},
    {CTLSW(",\"ports\":[]"), "bt_ports", 0},
    {CTLSW(",\"ports\":[1,65535]"), "bt_port1", 65535},
    {CTLSW(",\"ports\":[" N16("443") "]"), "bt_ports", 16},
    {CTLSW(""), "bt_cert", 0},
    {CTLSW(",\"certificate\":" FILE_CERT), "bt_cert", 1},
    {CVAL(TRUSTF ",\"subjectAlternativeNames\":{\"match\":{\"exact\":[\"a\",\"b\"]}}"), "bt_san",
     2},
    /* logging */
    {LOG("{}"), "log", 0},
    {FLOG(""), "log", 1},
    {FLOG(""), "log_json", 0},
    {FLOG(""), "log_text_len", 0},
    {FMT("{\"text\":\"%s\"}"), "log_text_len", 1000, 1000},
    {FMT("{\"text\":\"[%START_TIME%] \\\"%REQ(:METHOD)%\\\" %RESPONSE_CODE%\\n\"}"), "log_text_len",
     48},
    {FMT("{\"json\":[]}"), "log_json", 1},
    {FMT("{\"json\":[]}"), "log_json_n", 0},
    {FMT("{\"json\":[" N16(N4("{\"key\":\"k\",\"value\":\"v\"}")) "]}"), "log_json_n", 64},
    {FMT("{\"json\":[{\"key\":\"%s\",\"value\":\"v\"}]}"), "log_key0_len", 100, 100},
    {LOG("{\"accessLog\":{\"file\":{\"path\":\"/%s\"}}}"), "log_path_len", 255, 254},
};

static unsigned long long
vgw_value(const struct mg_config *cfg, const char *what)
{
	static const struct {
		const char *name;
		size_t off;
		int kind; /* 0 integer of <size> bytes, 1 strlen, 2 bool */
		size_t size;
	} fields[] = {
#define U(n, m) {n, offsetof(struct mg_config, m), 0, sizeof(((struct mg_config *)0)->m)}
#define SL(n, m)                                                                                   \
	{                                                                                          \
		n, offsetof(struct mg_config, m), 1, 0                                             \
	}
#define B(n, m)                                                                                    \
	{                                                                                          \
		n, offsetof(struct mg_config, m), 2, 0                                             \
	}
	    U("port", virtual_gateway.listener.port),
	    U("protocol", virtual_gateway.listener.protocol),
	    SL("name_len", virtual_gateway.name),
	    U("tls_mode", virtual_gateway.listener.tls_mode),
	    SL("chain_len", virtual_gateway.listener.cert.chain),
	    B("has_validation", virtual_gateway.listener.has_validation),
	    U("san_n", virtual_gateway.listener.validation_san.n),
	    SL("san0_len", virtual_gateway.listener.validation_san.names[0]),
	    U("max_connections", virtual_gateway.listener.max_connections),
	    U("max_pending", virtual_gateway.listener.max_pending_requests),
	    U("max_requests", virtual_gateway.listener.max_requests),
	    U("pool_kind", virtual_gateway.listener.pool_kind),
	    B("hc", virtual_gateway.listener.has_health_check),
	    U("hc_healthy", virtual_gateway.listener.health_check.healthy_threshold),
	    U("hc_unhealthy", virtual_gateway.listener.health_check.unhealthy_threshold),
	    U("hc_interval", virtual_gateway.listener.health_check.interval_ms),
	    U("hc_timeout", virtual_gateway.listener.health_check.timeout_ms),
	    U("hc_port", virtual_gateway.listener.health_check.port),
	    U("hc_protocol", virtual_gateway.listener.health_check.protocol),
	    SL("hc_path_len", virtual_gateway.listener.health_check.path),
	    B("bt", virtual_gateway.backend_tls.present),
	    B("bt_enforce", virtual_gateway.backend_tls.enforce),
	    U("bt_ports", virtual_gateway.backend_tls.n_ports),
	    U("bt_port1", virtual_gateway.backend_tls.ports[1]),
	    B("bt_cert", virtual_gateway.backend_tls.has_client_cert),
	    U("bt_san", virtual_gateway.backend_tls.san.n),
	    B("log", virtual_gateway.has_access_log),
	    B("log_json", virtual_gateway.access_log_json),
	    SL("log_text_len", virtual_gateway.access_log_text),
	    U("log_json_n", virtual_gateway.n_access_log_json),
	    SL("log_key0_len", virtual_gateway.access_log_json_fields[0].key),
	    SL("log_path_len", virtual_gateway.access_log_path),
	    B("upstream", appliance.proxy.has_upstream),
	    U("upstream_addr", appliance.proxy.upstream_addr),
	    U("upstream_port", appliance.proxy.upstream_port),
	    U("n_extra", appliance.proxy.n_extra_certs),
	    U("n_names0", appliance.proxy.extra_certs[0].n_names),
	    SL("name00_len", appliance.proxy.extra_certs[0].names[0]),
	    B("alpn_http11", appliance.proxy.alpn_http11),
	    B("alpn_h2", appliance.proxy.alpn_h2),
	    U("ticket", appliance.proxy.session_ticket_lifetime_s),
	    U("handshake", appliance.proxy.handshake_timeout_ms),
	    U("header_timeout", appliance.proxy.request_header_timeout_ms),
	    U("idle", appliance.proxy.idle_timeout_ms),
	    U("connect", appliance.proxy.connect_timeout_ms),
	    U("max_header", appliance.proxy.max_request_header_bytes),
	    U("max_body", appliance.proxy.max_request_body_bytes),
	    U("redirect", appliance.proxy.https_redirect_port),
	    U("max_conns", appliance.proxy.max_conns_per_endpoint),
	    U("max_idle", appliance.proxy.max_idle_per_endpoint),
#undef U
#undef SL
#undef B
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *p = (const char *)cfg + fields[i].off;

		if (strcmp(fields[i].name, what) != 0)
			continue;
		if (fields[i].kind == 1)
			return strlen(p);
		if (fields[i].kind == 2)
			return *(const bool *)(const void *)p;
		switch (fields[i].size) {
		case 2:
			return *(const uint16_t *)(const void *)p;
		case 4:
			return *(const uint32_t *)(const void *)p;
		case 8:
			return *(const uint64_t *)(const void *)p;
		default:
			return ~0ull;
		}
	}
	return ~0ull;
}

static void
run_ok_cases(const struct vgw_ok *cases, size_t n)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	static char out[16384];
	size_t i;

	for (i = 0; i < n; i++) {
		char *text = expand(cases[i].text, cases[i].fill);

		MG_CASE("#%zu %s -> %s", i, cases[i].text, cases[i].what);
		if (!MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, text, &errs), 0))
			printf("%s", mg_cfgtest_errors(&errs, out, sizeof(out)));
		else
			MG_EXPECT_EQ_UINT(vgw_value(&cfg, cases[i].what), cases[i].want);
		free(text);
	}
	mg_cfg_errors_free(&errs);
}

MG_TEST(vgw_accepts_edge_values)
{
	run_ok_cases(vgw_accepts, sizeof(vgw_accepts) / sizeof(vgw_accepts[0]));
}

static const struct vgw_ok proxy_accepts[] = {
    {UPS("\"address\":\"10.99.0.10\",\"port\":8080"), "upstream", 1},
    {UPS("\"address\":\"10.99.0.10\",\"port\":8080"), "upstream_addr", 0x0A63000A},
    {UPS("\"address\":\"223.255.255.254\",\"port\":1"), "upstream_addr", 0xDFFFFFFE},
    {UPS("\"address\":\"1.0.0.0\",\"port\":65535"), "upstream_port", 65535},
    {UPS("\"port\":1,\"address\":\"1.0.0.0\""), "upstream_port", 1},
    {PROXY(""), "upstream", 0},
    {XCERTS(XCERT("")), "n_extra", 1},
    {XCERTS(XCERT("")), "n_names0", 0},
    {XCERTS(N4(XCERT("")) "," N4(XCERT("")) "," N4(XCERT("")) "," XCERT("") "," XCERT("") "," XCERT(
         "")),
     "n_extra", 15},
    {NAMES("\"a\""), "n_names0", 1},
    {NAMES("\"*.example.com\",\"example.com\",\"x-1.y2.example\""), "n_names0", 3},
    {NAMES("\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\","
           "\"o\",\"p\""),
     "n_names0", 16},
    {NAMES("\"%s.com\""), "name00_len", 67, 63},
    {NAMES("\"1.2.3.4.example\""), "n_names0", 1},
    {PROXY("\"alpn\":[\"http/1.1\"]"), "alpn_http11", 1},
    {PROXY("\"alpn\":[\"http/1.1\"]"), "alpn_h2", 0},
    {PROXY("\"alpn\":[\"h2\",\"http/1.1\"]"), "alpn_h2", 1},
    {PROXY("\"alpn\":[\"h2\"]"), "alpn_http11", 0},
    {PROXY(""), "alpn_http11", 1},
    {PROXY("\"sessionTicketLifetimeSeconds\":60"), "ticket", 60},
    {PROXY("\"sessionTicketLifetimeSeconds\":86400"), "ticket", 86400},
    {PROXY(""), "ticket", 3600},
    {PROXY("\"handshakeTimeoutMs\":1000"), "handshake", 1000},
    {PROXY("\"handshakeTimeoutMs\":60000"), "handshake", 60000},
    {PROXY(""), "handshake", 10000},
    {PROXY("\"requestHeaderTimeoutMs\":1000"), "header_timeout", 1000},
    {PROXY("\"requestHeaderTimeoutMs\":300000"), "header_timeout", 300000},
    {PROXY(""), "header_timeout", 10000},
    {PROXY("\"idleTimeoutMs\":1000"), "idle", 1000},
    {PROXY("\"idleTimeoutMs\":3600000"), "idle", 3600000},
    {PROXY(""), "idle", 300000},
    {PROXY("\"connectTimeoutMs\":100"), "connect", 100},
    {PROXY("\"connectTimeoutMs\":60000"), "connect", 60000},
    {PROXY(""), "connect", 5000},
    {PROXY("\"maxRequestHeaderBytes\":1024"), "max_header", 1024},
    {PROXY("\"maxRequestHeaderBytes\":1048576"), "max_header", 1048576},
    {PROXY(""), "max_header", 32768},
    {PROXY("\"maxRequestBodyBytes\":0"), "max_body", 0},
    {PROXY("\"maxRequestBodyBytes\":9007199254740992"), "max_body", 9007199254740992ull},
    {PROXY(""), "max_body", 0},
    {PROXY("\"httpsRedirectPort\":1"), "redirect", 1},
    {PROXY("\"httpsRedirectPort\":65535"), "redirect", 65535},
    {PROXY(""), "redirect", 0},
    {PROXY("\"maxConnectionsPerEndpoint\":1,\"maxIdleConnectionsPerEndpoint\":1"), "max_conns", 1},
    {PROXY("\"maxConnectionsPerEndpoint\":65535"), "max_conns", 65535},
    {PROXY(""), "max_conns", 1024},
    {PROXY("\"maxIdleConnectionsPerEndpoint\":0"), "max_idle", 0},
    {PROXY("\"maxConnectionsPerEndpoint\":65535,\"maxIdleConnectionsPerEndpoint\":65535"),
     "max_idle", 65535},
    {PROXY("\"maxIdleConnectionsPerEndpoint\":1024"), "max_idle", 1024},
    {PROXY(""), "max_idle", 64},
    /* With a TLS listener (STRICT or PERMISSIVE), redirects and more certificates are fine. */
    {PROXYV("\"httpsRedirectPort\":80", STRICT), "redirect", 80},
    {PROXYV("\"httpsRedirectPort\":80",
            ",\"tls\":{\"mode\":\"PERMISSIVE\",\"certificate\":" FILE_CERT "}"),
     "redirect", 80},
    {PROXYV("\"additionalCertificates\":[" XCERT("") "]", STRICT), "n_extra", 1},
    /* Without a virtual gateway they have nothing to check against. */
    {PROXY("\"httpsRedirectPort\":80,\"additionalCertificates\":[" XCERT("") "]"), "n_extra", 1},
};

MG_TEST(vgw_proxy_accepts_edge_values)
{
	run_ok_cases(proxy_accepts, sizeof(proxy_accepts) / sizeof(proxy_accepts[0]));
}

MG_TEST(vgw_proxy_server_names_are_stored_in_lower_case)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	const struct mg_cfg_extra_cert *x = &cfg.appliance.proxy.extra_certs[0];
	char name[300];

	MG_ASSERT_EQ_INT(
	    mg_cfgtest_parse(&cfg, NAMES("\"*.Shop.EXAMPLE.org\",\"WWW.example.org\""), &errs), 0);
	MG_EXPECT_STR(x->names[0], "*.shop.example.org");
	MG_EXPECT_STR(x->names[1], "www.example.org");
	MG_EXPECT_STR(x->cert.chain, "/x.pem");
	MG_EXPECT_STR(x->cert.key, "/x.key");

	/* The longest name: 253 bytes in labels of at most 63. */
	snprintf(name, sizeof(name), "%.63s.%.63s.%.63s.%.61s",
	         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	MG_ASSERT_EQ_UINT(strlen(name), 253);
	{
		char text[1024];

		snprintf(text, sizeof(text),
		         PROXY("\"additionalCertificates\":[{\"certificateChain\":\"/c\","
		               "\"privateKey\":\"/k\",\"serverNames\":[\"%s\"]}]"),
		         name);
		MG_ASSERT_EQ_INT(mg_cfgtest_parse(&cfg, text, &errs), 0);
		MG_EXPECT_STR(x->names[0], name);
	}
	mg_cfg_errors_free(&errs);
}

MG_TEST(vgw_server_name_syntax)
{
	static const struct {
		const char *s;
		int rc;
	} cases[] = {
	    {"example.com", 0},
	    {"a", 0},
	    {"localhost", 0},
	    {"*.example.com", 0},
	    {"*.a.b", 0},
	    {"xn--caf-dma.example", 0},
	    {"a-b.c-d.e", 0},
	    {"0.example", 0},
	    {"1.2.3.4.5", 0},
	    {"", -EINVAL},
	    {"*", -EINVAL},
	    {"*.", -EINVAL},
	    {"*.com", -EINVAL},
	    {"*.*.com", -EINVAL},
	    {"*a.com", -EINVAL},
	    {"a*.com", -EINVAL},
	    {"a.*", -EINVAL},
	    {".", -EINVAL},
	    {"a.", -EINVAL},
	    {".a", -EINVAL},
	    {"a..b", -EINVAL},
	    {"-a", -EINVAL},
	    {"a-", -EINVAL},
	    {"a_b", -EINVAL},
	    {"a b", -EINVAL},
	    {"a:443", -EINVAL},
	    {"1.2.3.4", -EINVAL},
	    {"*.1.2.3.4", -EINVAL},
	    {"\xc3\xa9.com", -EINVAL},
	};
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		MG_CASE("'%s'", cases[i].s);
		why[0] = '\0';
		MG_EXPECT_EQ_INT(mg_cfg_server_name_check(cases[i].s, why, sizeof(why)),
		                 cases[i].rc);
		MG_EXPECT(cases[i].rc == 0 || why[0] != '\0');
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Reporting as a whole.                                                                      */

MG_TEST(vgw_reports_all_errors_at_once)
{
	static const char text[] =
	    "{\n"
	    "  \"appliance\": {\n"
	    "    \"interfaces\": [ { \"name\": \"data0\", \"address\": \"10.99.0.2/24\" } ],\n"
	    "    \"admin\": { \"interface\": \"data0\", \"port\": 9901 },\n"
	    "    \"proxy\": { \"alpn\": [\"h2\"], \"idleTimeoutMs\": 10 }\n"
	    "  },\n"
	    "  \"virtualGateway\": {\n"
	    "    \"virtualGatewayName\": \"gw\",\n"
	    "    \"status\": { \"status\": \"ACTIVE\" },\n"
	    "    \"spec\": {\n"
	    "      \"listeners\": [ {\n"
	    "        \"portMapping\": { \"port\": 9901, \"protocol\": \"http\" },\n"
	    "        \"tls\": { \"mode\": \"STRICT\",\n"
	    "                 \"certificate\": { \"acm\": { \"certificateArn\": \"arn:a\" } } },\n"
	    "        \"healthCheck\": { \"protocol\": \"http\", \"port\": 80, "
	    "\"healthyThreshold\": 1 }\n"
	    "      } ],\n"
	    "      \"backendDefaults\": { \"clientPolicy\": { \"tls\": { \"validation\": {\n"
	    "        \"trust\": { \"sds\": { \"secretName\": \"ca\" } } } } } },\n"
	    "      \"logging\": { \"accessLog\": { \"file\": { \"path\": \"\" } } }\n"
	    "    }\n"
	    "  }\n"
	    "}\n";
	static const char want[] =
	    "c.json:5:49: appliance.proxy.idleTimeoutMs: 10 is out of range 1000..3600000\n"
	    "c.json:12:34: virtualGateway.spec.listeners[0].portMapping.port: port 9901 is already "
	    "used by the admin listener (appliance.admin.port, on interface 'data0')\n"
	    "c.json:14:42: virtualGateway.spec.listeners[0].tls.certificate.acm: " ACM_CERT "\n"
	    "c.json:15:24: virtualGateway.spec.listeners[0].healthCheck: missing required field "
	    "'intervalMillis'\n"
	    "c.json:15:24: virtualGateway.spec.listeners[0].healthCheck: missing required field "
	    "'timeoutMillis'\n"
	    "c.json:15:24: virtualGateway.spec.listeners[0].healthCheck: missing required field "
	    "'unhealthyThreshold'\n"
	    "c.json:15:54: virtualGateway.spec.listeners[0].healthCheck.port: port 80 must equal "
	    "portMapping.port (9901): the health check probes the listener's own port\n"
	    "c.json:15:78: virtualGateway.spec.listeners[0].healthCheck.healthyThreshold: 1 is out "
	    "of range 2..10\n"
	    "c.json:18:27: "
	    "virtualGateway.spec.backendDefaults.clientPolicy.tls.validation.trust.sds: "
	    "" SDS_TRUST "\n"
	    "c.json:19:53: virtualGateway.spec.logging.accessLog.file.path: must not be empty\n";
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	static char out[8192];

	MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, text, &errs), -EINVAL);
	MG_EXPECT_EQ_UINT(mg_cfg_errors_count(&errs), 10);
	MG_EXPECT_STR(mg_cfgtest_errors(&errs, out, sizeof(out)), want);
	mg_cfg_errors_free(&errs);
}

/* The virtualGateway member may come before the appliance; the cross checks still run. */
MG_TEST(vgw_order_of_sections_does_not_matter)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;

	MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg,
	                                  "{\"virtualGateway\":" VG(
	                                      "{\"listeners\":[{\"portMapping\":{\"port\":9901,"
	                                      "\"protocol\":\"http\"}}]}") "," APPL("") "}",
	                                  &errs),
	                 -EINVAL);
	MG_ASSERT_EQ_INT(errs.list.count, 1);
	MG_EXPECT_STR(errs.list.list[0].path, P_L ".portMapping.port");
	MG_EXPECT_EQ_UINT(errs.list.list[0].line, 1);
	MG_EXPECT_EQ_UINT(errs.list.list[0].col, 90);
	mg_cfg_errors_free(&errs);
}

/* ------------------------------------------------------------------------------------------ */
/* TLS origination to the static upstream                                                     */

/* A static upstream on port 8443 beside a virtual gateway whose backend TLS policy is <tls>. */
#define UPSTLS(ups, tls)                                                                           \
	"{" APPL(                                                                                  \
	    ",\"proxy\":{\"staticUpstream\":{\"address\":\"10.0.0.1\",\"port\":8443" ups           \
	    "}}") ",\"virtualGateway\":" VG("{\"listeners\":[" LST("") "],"                        \
	                                                               "\"backendDefaults\":{"     \
	                                                               "\"clientPolicy\":{"        \
	                                                               "\"tls\":{"                 \
	                                                               "\"validation\":{" TRUSTF   \
	                                                                   tls "}}}}") "}"

MG_TEST(vgw_upstream_tls_policy)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	char buf[4096];

	/* The policy applies, with a name to check the certificate against. */
	MG_ASSERT_EQ_INT(
	    mg_cfgtest_parse(&cfg, UPSTLS(",\"serverName\":\"API.example.com\"", "}"), &errs), 0);
	MG_EXPECT(mg_cfg_upstream_tls(&cfg) == &cfg.virtual_gateway.backend_tls);
	MG_EXPECT_STR(cfg.appliance.proxy.upstream_sni, "api.example.com");
	MG_EXPECT_STR(cfg.virtual_gateway.backend_tls.trust_chain, "/ca.pem");

	/* SANs in the policy are enough; no name is sent then. */
	MG_ASSERT_EQ_INT(
	    mg_cfgtest_parse(&cfg,
	                     UPSTLS("", ",\"subjectAlternativeNames\":{\"match\":{\"exact\":"
	                                "[\"api.example.com\"]}}}"),
	                     &errs),
	    0);
	MG_EXPECT(mg_cfg_upstream_tls(&cfg) != NULL);
	MG_EXPECT_STR(cfg.appliance.proxy.upstream_sni, "");

	/* Neither: the certificate could not be checked against any name. */
	MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, UPSTLS("", "}"), &errs), -EINVAL);
	MG_EXPECT(strstr(mg_cfgtest_errors(&errs, buf, sizeof(buf)),
	                 "appliance.proxy.staticUpstream: TLS is originated to this upstream") !=
	          NULL);

	/* Ports that leave the upstream's port out, or enforce false: plaintext. */
	MG_ASSERT_EQ_INT(mg_cfgtest_parse(&cfg, UPSTLS("", "},\"ports\":[443]"), &errs), 0);
	MG_EXPECT(mg_cfg_upstream_tls(&cfg) == NULL);
	MG_ASSERT_EQ_INT(mg_cfgtest_parse(&cfg, UPSTLS("", "},\"ports\":[443,8443]"), &errs),
	                 -EINVAL);
	MG_ASSERT_EQ_INT(mg_cfgtest_parse(&cfg, UPSTLS("", "},\"enforce\":false"), &errs), 0);
	MG_EXPECT(mg_cfg_upstream_tls(&cfg) == NULL);
	mg_cfg_errors_free(&errs);
}
