/*
 * Observability helpers: W3C traceparent propagation, access log formats (text with Envoy
 * operators, the default, JSON), /config_dump redaction.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "gateway/admin/mg_config_dump.h"
#include "gateway/config/config.h"
#include "gateway/http/mg_h1.h"
#include "gateway/mg_control.h"
#include "gateway/net/mg_conn.h"
#include "gateway/obs/mg_alog.h"
#include "gateway/obs/mg_obs.h"
#include "gateway/obs/mg_trace.h"
#include "gateway/route/mg_route.h"
#include "tests/unit/mgtest.h"

/* Stubs for what the gateway binary provides. */
bool
mg_conn_is_virtual(const struct mg_conn *c)
{
	(void)c;
	return false;
}

void
mg_conn_peer(const struct mg_conn *c, uint32_t *addr, uint16_t *port)
{
	(void)c;
	*addr = 0x0100000a; /* 10.0.0.1 */
	*port = 40000;
}

static const char *stub_config =
    "{\"appliance\":{\"admin\":{\"token\": \"s3cr3t-s3cr3t-s3cr3t\"}}}";

const char *
mg_control_config(const char **path, unsigned int *generation, size_t *len)
{
	*path = "/etc/meshgate/\"gw\".json";
	*generation = 3;
	*len = strlen(stub_config);
	return stub_config;
}

static const uint64_t RND[3] = {0x0123456789abcdefULL, 0xfedcba9876543210ULL,
                                0x1111222233334444ULL};

MG_TEST(trace_valid_parent_continues_with_a_new_span)
{
	const char *in = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
	char out[MG_TRACEPARENT_LEN + 1] = "";

	MG_EXPECT(mg_trace_next(in, strlen(in), RND, out));
	MG_EXPECT_STR(out, "00-4bf92f3577b34da6a3ce929d0e0e4736-1111222233334444-01");
}

MG_TEST(trace_later_version_is_read_as_00)
{
	const char *in = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what-the-future";
	char out[MG_TRACEPARENT_LEN + 1] = "";

	MG_EXPECT(mg_trace_next(in, strlen(in), RND, out));
	MG_EXPECT_STR(out, "00-4bf92f3577b34da6a3ce929d0e0e4736-1111222233334444-00");
}

MG_TEST(trace_invalid_parents_start_a_new_trace)
{
	static const char *const bad[] = {
	    "",
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",   /* short */
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", /* 00 with more */
	    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  /* upper case */
	    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  /* version ff */
	    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  /* zero trace-id */
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  /* zero parent-id */
	    "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  /* separator */
	    "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", /* no '-' after flags */
	    "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",  /* not hex */
	};
	char out[MG_TRACEPARENT_LEN + 1] = "";
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mg_test_case("%s", bad[i]);
		MG_EXPECT(!mg_trace_next(bad[i], strlen(bad[i]), RND, out));
		MG_EXPECT_STR(out, "00-0123456789abcdeffedcba9876543210-1111222233334444-00");
	}
	MG_EXPECT(!mg_trace_next(NULL, 0, RND, out));
}

MG_TEST(trace_two_traceparent_fields_are_invalid)
{
	static const char head[] =
	    "GET / HTTP/1.1\r\nHost: a\r\n"
	    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
	    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n";
	struct mg_h1_field fields[8];
	struct mg_h1_request r;
	char out[MG_TRACEPARENT_LEN + 1] = "";

	mg_h1_request_init(&r, fields, 8, NULL);
	MG_ASSERT(mg_h1_request_parse(&r, head, sizeof(head) - 1) > 0);
	MG_EXPECT(!mg_trace_propagate(r.head.fields, r.head.nfields, RND, out));
	MG_EXPECT(mg_trace_propagate(r.head.fields, 2, RND, out));
}

/* One exchange through the hooks: request <head>, routed to 10.0.0.9:8080 by gateway route
 * "gr" to node "web", answered <status> with <tx> body bytes; formats its line. */
static size_t
one_line(const char *head, int status, uint64_t tx, char *line, size_t cap)
{
	static struct mg_h1_field fields[16];
	struct mg_h1_request r;
	struct mg_obs_x x;
	struct mg_obs_route rt = {.gateway_route = "gr",
	                          .virtual_service = "web.local",
	                          .virtual_node = "web",
	                          .reason = MG_ROUTE_OK};
	size_t n;

	memset(&x, 0, sizeof(x));
	mg_h1_request_init(&r, fields, 16, NULL);
	if (mg_h1_request_parse(&r, head, strlen(head)) <= 0)
		return 0;
	mg_obs_begin_conn(&x, 8080, &r, NULL);
	mg_obs_routed(&x, &rt, 0x0900000a, 8080);
	mg_obs_upstream_sent(&x);
	mg_obs_first_byte(&x);
	mg_obs_status(&x, status);
	x.tx_bytes = tx;
	x.rx_bytes = 7;
	n = mg_alog_format(&x, 12345, 2000, line, cap);
	x.log = NULL; /* the slot goes back with the pool (the test does not emit) */
	return n;
}

static void
open_log(struct mg_cfg_virtual_gateway *vg)
{
	char err[256] = "";

	vg->has_access_log = true;
	strcpy(vg->access_log_path, "/dev/null");
	mg_alog_close();
	MG_EXPECT_EQ_INT(mg_alog_open(vg, 4, NULL, err, sizeof(err)), 0);
}

MG_TEST(alog_default_format_is_envoys)
{
	static struct mg_cfg_virtual_gateway vg;
	char line[1024];
	size_t n;

	mg_obs_init(1000000);
	memset(&vg, 0, sizeof(vg));
	open_log(&vg);
	n = one_line("GET /p?q=1 HTTP/1.1\r\nHost: svc\r\nUser-Agent: t/1\r\n"
	             "X-Request-Id: 0f6c1d0e-1111-4222-8333-944445555666\r\n\r\n",
	             200, 5, line, sizeof(line));
	MG_ASSERT(n > 0);
	line[n] = '\0';
	MG_EXPECT(line[0] == '[' && line[24] == 'Z' && line[25] == ']');
	MG_EXPECT_STR(line + 26, " \"GET /p?q=1 HTTP/1.1\" 200 - 7 5 12 - \"-\" \"t/1\" "
	                         "\"0f6c1d0e-1111-4222-8333-944445555666\" \"svc\" "
	                         "\"10.0.0.9:8080\"\n");
	mg_alog_close();
}

MG_TEST(alog_text_operators)
{
	static struct mg_cfg_virtual_gateway vg;
	char line[1024];
	size_t n;

	memset(&vg, 0, sizeof(vg));
	strcpy(vg.access_log_text,
	       "%REQ(:AUTHORITY)% %REQ(X-MISSING?HOST)% %REQ(USER-AGENT):3% %UPSTREAM_CLUSTER% "
	       "%ROUTE_NAME% %VIRTUAL_SERVICE% %ROUTING_REASON% %DOWNSTREAM_REMOTE_ADDRESS% "
	       "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %RESPONSE_DURATION% %DURATION% 100%% "
	       "%PROTOCOL% %RESP(X-FOO)%");
	open_log(&vg);
	n = one_line("GET / HTTP/1.0\r\nHost: h\r\nUser-Agent: abcdef\r\n\r\n", 503, 0, line,
	             sizeof(line));
	MG_ASSERT(n > 0);
	line[n] = '\0';
	MG_EXPECT_STR(line, "h h abc web gr web.local ok 10.0.0.1:40000 10.0.0.1 2 12 100% "
	                    "HTTP/1.0 -\n");
	mg_alog_close();
}

MG_TEST(alog_json_format)
{
	static struct mg_cfg_virtual_gateway vg;
	static const char *const kv[][2] = {
	    {"code", "%RESPONSE_CODE%"},    {"path", "%REQ(:PATH)%"},
	    {"ua", "ua=%REQ(USER-AGENT)%"}, {"flags", "%RESPONSE_FLAGS%"},
	    {"rd", "%RESPONSE_DURATION%"},  {"lit", "x"},
	};
	char line[1024];
	size_t n, i;

	memset(&vg, 0, sizeof(vg));
	vg.access_log_json = true;
	for (i = 0; i < 6; i++) {
		strcpy(vg.access_log_json_fields[i].key, kv[i][0]);
		strcpy(vg.access_log_json_fields[i].value, kv[i][1]);
	}
	vg.n_access_log_json = 6;
	open_log(&vg);
	n = one_line("GET /a\"b HTTP/1.1\r\nHost: h\r\nUser-Agent: q\"\\\r\n\r\n", 404, 0, line,
	             sizeof(line));
	MG_ASSERT(n > 0);
	line[n] = '\0';
	MG_EXPECT_STR(line, "{\"code\":404,\"path\":\"/a\\\"b\",\"ua\":\"ua=q\\\"\\\\\","
	                    "\"flags\":\"-\",\"rd\":2,\"lit\":\"x\"}\n");
	mg_alog_close();
}

MG_TEST(alog_refuses_unknown_operators)
{
	char err[256] = "";

	MG_EXPECT_EQ_INT(mg_alog_compile_text("%NOPE%", err, sizeof(err)), -EINVAL);
	MG_EXPECT_CONTAINS(err, "NOPE");
	MG_EXPECT_EQ_INT(mg_alog_compile_text("%REQ(X%", err, sizeof(err)), -EINVAL);
	MG_EXPECT_EQ_INT(mg_alog_compile_text("a % b", err, sizeof(err)), 0);
}

MG_TEST(config_dump_redacts_tokens)
{
	char out[512];
	int n;

	n = mg_config_dump_json(out, sizeof(out));
	MG_ASSERT(n > 0);
	out[n] = '\0';
	MG_EXPECT_STR(out,
	              "{\"generation\":3,\"path\":\"/etc/meshgate/\\\"gw\\\".json\",\"config\":"
	              "{\"appliance\":{\"admin\":{\"token\": \"[redacted]\"}}}}\n");
	n = mg_config_redact("{\"x\":\"token\",\"token\" :\n \"a\\\"b\",\"y\":1}", 37, out,
	                     sizeof(out));
	MG_ASSERT(n > 0);
	out[n] = '\0';
	MG_EXPECT_STR(out, "{\"x\":\"token\",\"token\" :\n \"[redacted]\",\"y\":1}");
}
