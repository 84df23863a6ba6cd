/*
 * gRPC helpers (gateway/h2/mg_grpc.c): request detection, grpc-timeout parsing, the status
 * mapping of gateway-generated failures and the Trailers-Only error response.
 */
#include <errno.h>
#include <string.h>

#include "gateway/h2/mg_grpc.h"
#include "gateway/http/mg_h1.h"
#include "tests/unit/mgtest.h"

#define S(lit) lit, sizeof(lit) - 1

MG_TEST(grpc_content_type)
{
	MG_EXPECT(mg_grpc_is_grpc(S("application/grpc")));
	MG_EXPECT(mg_grpc_is_grpc(S("application/grpc+proto")));
	MG_EXPECT(mg_grpc_is_grpc(S("Application/GRPC;charset=utf-8")));
	MG_EXPECT(!mg_grpc_is_grpc(S("application/grpc-web")));
	MG_EXPECT(!mg_grpc_is_grpc(S("application/grpcx")));
	MG_EXPECT(!mg_grpc_is_grpc(S("application/json")));
	MG_EXPECT(!mg_grpc_is_grpc(S("application/grp")));
	MG_EXPECT(!mg_grpc_is_grpc(NULL, 0));
}

MG_TEST(grpc_timeout)
{
	static const struct {
		const char *v;
		int rc;
		uint64_t ms;
	} t[] = {
	    {"1H", 0, 3600000},
	    {"2M", 0, 120000},
	    {"3S", 0, 3000},
	    {"250m", 0, 250},
	    {"0m", 0, 0},
	    {"1u", 0, 1},
	    {"1500u", 0, 2},
	    {"1n", 0, 1},
	    {"99999999n", 0, 100},
	    {"99999999H", 0, UINT64_C(99999999) * 3600000},
	    {"100000000m", -EINVAL, 0},
	    {"", -EINVAL, 0},
	    {"S", -EINVAL, 0},
	    {"10", -EINVAL, 0},
	    {"10s", -EINVAL, 0},
	    {" 10S", -EINVAL, 0},
	    {"10 S", -EINVAL, 0},
	    {"-1S", -EINVAL, 0},
	    {"+1S", -EINVAL, 0},
	    {"1SS", -EINVAL, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t ms = 12345;

		MG_CASE("%s", t[i].v);
		MG_EXPECT_EQ_INT(mg_grpc_timeout_parse(t[i].v, strlen(t[i].v), &ms), t[i].rc);
		if (t[i].rc == 0)
			MG_EXPECT_EQ_UINT(ms, t[i].ms);
	}
}

MG_TEST(grpc_status_mapping)
{
	MG_EXPECT_EQ_INT(mg_grpc_status_for_http(503), MG_GRPC_UNAVAILABLE);
	MG_EXPECT_EQ_INT(mg_grpc_status_for_http(502), MG_GRPC_UNAVAILABLE);
	MG_EXPECT_EQ_INT(mg_grpc_status_for_http(429), MG_GRPC_UNAVAILABLE);
	MG_EXPECT_EQ_INT(mg_grpc_status_for_http(504), MG_GRPC_DEADLINE_EXCEEDED);
	MG_EXPECT_EQ_INT(mg_grpc_status_for_http(401), MG_GRPC_UNAUTHENTICATED);
	MG_EXPECT_EQ_INT(mg_grpc_status_for_http(403), MG_GRPC_PERMISSION_DENIED);
	MG_EXPECT_EQ_INT(mg_grpc_status_for_http(404), MG_GRPC_UNIMPLEMENTED);
	MG_EXPECT_EQ_INT(mg_grpc_status_for_http(431), MG_GRPC_RESOURCE_EXHAUSTED);
	MG_EXPECT_EQ_INT(mg_grpc_status_for_http(400), MG_GRPC_INTERNAL);
	MG_EXPECT_EQ_INT(mg_grpc_status_for_http(500), MG_GRPC_INTERNAL);
	MG_EXPECT_EQ_INT(mg_grpc_status_for_http(418), MG_GRPC_UNKNOWN);
	MG_EXPECT_STR(mg_grpc_status_name(14), "UNAVAILABLE");
	MG_EXPECT_STR(mg_grpc_status_name(16), "UNAUTHENTICATED");
	MG_EXPECT_STR(mg_grpc_status_name(99), "UNKNOWN");
	MG_EXPECT_STR(mg_grpc_status_name(-1), "UNKNOWN");
}

MG_TEST(grpc_write_error)
{
	static char out[1024];
	struct mg_h1_field f[16];
	struct mg_h1_response r;
	ssize_t n;

	n = mg_grpc_write_error(out, sizeof(out), 503, S("upstream overflow: 100% \xff\n"),
	                        S("x-envoy-overloaded: true\r\n"));
	MG_ASSERT(n > 0);
	out[n] = '\0';
	MG_EXPECT_CONTAINS(out, "HTTP/1.1 200 OK\r\n");
	MG_EXPECT_CONTAINS(out, "Content-Type: application/grpc\r\n");
	MG_EXPECT_CONTAINS(out, "grpc-status: 14\r\n");
	MG_EXPECT_CONTAINS(
	    out, "grpc-message: 503 Service Unavailable: upstream overflow: 100%25 %FF%0A\r\n");
	MG_EXPECT_CONTAINS(out, "x-envoy-overloaded: true\r\n");
	/* The response parser (what an HTTP/1.1 client sees) accepts it whole. */
	mg_h1_response_init(&r, f, 16, NULL, MG_H1_M_POST);
	MG_EXPECT_EQ_INT(mg_h1_response_parse(&r, out, (size_t)n), (int)n);

	n = mg_grpc_write_error(out, sizeof(out), 504, S("upstream request timeout"), NULL, 0);
	MG_ASSERT(n > 0);
	out[n] = '\0';
	MG_EXPECT_CONTAINS(out, "grpc-status: 4\r\n");

	MG_EXPECT_EQ_INT(mg_grpc_write_error(out, sizeof(out), 200, NULL, 0, NULL, 0), -EINVAL);
	MG_EXPECT_EQ_INT(mg_grpc_write_error(out, sizeof(out), 503, NULL, 0, S("bad\r\n")),
	                 -EINVAL);
	MG_EXPECT_EQ_INT(mg_grpc_write_error(out, sizeof(out), 503, NULL, 0, S("a: b\n")), -EINVAL);
	MG_EXPECT_EQ_INT(mg_grpc_write_error(out, 40, 503, NULL, 0, NULL, 0), -ENOSPC);
}
