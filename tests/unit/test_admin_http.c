/*
 * The admin listener's strict request-head parser.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/admin/mg_admin_http.h"
#include "tests/unit/mgtest.h"

static int
parse(const char *s, struct mg_ahttp_req *r)
{
	return mg_ahttp_parse(s, strlen(s), r);
}

MG_TEST(ahttp_accepts_valid_heads)
{
	struct mg_ahttp_req r;
	const char *s = "GET /stats?pretty=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\nGET /";

	MG_ASSERT_EQ_INT(parse(s, &r), (int)(strstr(s, "\r\n\r\n") - s) + 4);
	MG_EXPECT(r.method_len == 3 && memcmp(r.method, "GET", 3) == 0);
	MG_EXPECT(r.path_len == 6 && memcmp(r.path, "/stats", 6) == 0);
	MG_EXPECT(r.query_len == 8 && memcmp(r.query, "pretty=1", 8) == 0);
	MG_EXPECT_EQ_INT(r.minor, 1);
	MG_EXPECT(r.keep_alive);
	MG_EXPECT(!r.has_body);

	MG_ASSERT(parse("GET /ready HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n", &r) > 0);
	MG_EXPECT(!r.keep_alive);
	MG_ASSERT(parse("GET /ready HTTP/1.0\r\n\r\n", &r) > 0);
	MG_EXPECT(!r.keep_alive);
	MG_ASSERT(parse("GET /ready HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r) > 0);
	MG_EXPECT(r.keep_alive);
	MG_ASSERT(parse("HEAD /ready HTTP/1.1\r\nContent-Length: 000\r\n\r\n", &r) > 0);
	MG_EXPECT(!r.has_body);
	MG_ASSERT(parse("POST /ready HTTP/1.1\r\nContent-Length: 5\r\n\r\n", &r) > 0);
	MG_EXPECT(r.has_body);
	MG_ASSERT(parse("POST /ready HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &r) > 0);
	MG_EXPECT(r.has_body);
}

MG_TEST(ahttp_incomplete_at_every_prefix)
{
	const char *s = "GET /ready HTTP/1.1\r\nHost: a\r\n\r\n";
	struct mg_ahttp_req r;
	size_t i;

	for (i = 0; i < strlen(s); i++) {
		MG_CASE("prefix %zu", i);
		MG_EXPECT_EQ_INT(mg_ahttp_parse(s, i, &r), MG_AHTTP_INCOMPLETE);
	}
	MG_EXPECT_EQ_INT(mg_ahttp_parse(s, strlen(s), &r), (int)strlen(s));
}

MG_TEST(ahttp_rejects_with_the_right_status)
{
	static const struct {
		const char *in;
		int status;
	} v[] = {
	    {"GET /ready HTTP/1.1\r\nHost : a\r\n\r\n", 400},   /* space before colon */
	    {"GET /ready HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400}, /* obs-fold */
	    {"GET /ready HTTP/1.1\r\nX: a\rb\r\n\r\n", 400},    /* bare CR */
	    {"GET /ready HTTP/1.1\nHost: a\r\n\r\n", 400},      /* bare LF */
	    {"GET /ready HTTP/1.1\r\nX: a\x01\r\n\r\n", 400},   /* control char */
	    {"GET /ready HTTP/1.1\r\n: a\r\n\r\n", 400},        /* empty name */
	    {"GET  /ready HTTP/1.1\r\n\r\n", 400},              /* double space */
	    {"GET ready HTTP/1.1\r\n\r\n", 400},                /* not origin-form */
	    {"G(T /ready HTTP/1.1\r\n\r\n", 400},               /* bad method */
	    {"GET /ready HTTP/1.2\r\n\r\n", 505},
	    {"GET /ready HTTP/2.0\r\n\r\n", 505},
	    {"GET /ready FTP/1.1\r\n\r\n", 400},
	    {"GET /ready HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400},
	    {"GET /ready HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
	    {"GET /ready HTTP/1.1\r\nContent-Length: \r\n\r\n", 400},
	};
	struct mg_ahttp_req r;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		MG_CASE("%zu: %s", i, v[i].in);
		MG_EXPECT_EQ_INT(parse(v[i].in, &r), MG_AHTTP_ERROR);
		MG_EXPECT_EQ_INT(r.status, v[i].status);
	}
}

MG_TEST(ahttp_limits)
{
	static char buf[MG_AHTTP_MAX_HEAD * 2];
	struct mg_ahttp_req r;
	size_t n;

	/* An overlong target without an end of line yet: 414 early. */
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', MG_AHTTP_MAX_TARGET + 100);
	MG_EXPECT_EQ_INT(mg_ahttp_parse(buf, 5 + MG_AHTTP_MAX_TARGET + 100, &r), MG_AHTTP_ERROR);
	MG_EXPECT_EQ_INT(r.status, 414);

	/* A complete request line with an overlong target: 414. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET /%0*d HTTP/1.1\r\n\r\n", MG_AHTTP_MAX_TARGET,
	                     0);
	MG_EXPECT_EQ_INT(mg_ahttp_parse(buf, n, &r), MG_AHTTP_ERROR);
	MG_EXPECT_EQ_INT(r.status, 414);

	/* Headers that never end: 431 at the cap. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
	while (n < MG_AHTTP_MAX_HEAD)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-A: b\r\n");
	MG_EXPECT_EQ_INT(mg_ahttp_parse(buf, n, &r), MG_AHTTP_ERROR);
	MG_EXPECT_EQ_INT(r.status, 431);

	/* Too many fields in a head that fits: 431. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= MG_AHTTP_MAX_FIELDS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "A: b\r\n");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	MG_EXPECT_EQ_INT(mg_ahttp_parse(buf, n, &r), MG_AHTTP_ERROR);
	MG_EXPECT_EQ_INT(r.status, 431);
}

MG_TEST(ahttp_reports_one_authorization)
{
	struct mg_ahttp_req r;

	MG_ASSERT(parse("GET /metrics HTTP/1.1\r\nAuthorization:  Bearer abc \r\n\r\n", &r) > 0);
	MG_ASSERT(r.authorization != NULL);
	MG_EXPECT(r.authorization_len == 10 && memcmp(r.authorization, "Bearer abc", 10) == 0);
	MG_ASSERT(parse("GET /metrics HTTP/1.1\r\n\r\n", &r) > 0);
	MG_EXPECT(r.authorization == NULL);
	MG_EXPECT_EQ_INT(parse("GET /metrics HTTP/1.1\r\nAuthorization: Bearer a\r\n"
	                       "authorization: Bearer b\r\n\r\n",
	                       &r),
	                 MG_AHTTP_ERROR);
	MG_EXPECT_EQ_INT(r.status, 400);
}
