/*
 * The proxy's HTTP helpers (gateway/http/mg_http_util.c): hop-by-hop and
 * trailer rules, X-Request-Id, UUIDs, X-Forwarded-*, reason phrases and the
 * gateway's own error responses (which the response parser must accept).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/http/mg_h1.h"
#include "gateway/http/mg_http_util.h"
#include "tests/unit/mgtest.h"

#define S(lit) lit, sizeof(lit) - 1

static struct mg_h1_field fields[32];

/* Parses the request head <s> (which must be valid) into the static fields. */
static void
parse(struct mg_h1_request *req, const char *s)
{
	mg_h1_request_init(req, fields, 32, NULL);
	if (mg_h1_request_parse(req, s, strlen(s)) != (int)strlen(s))
		mg_test_fail(__FILE__, __LINE__, "could not parse %s", s);
}

MG_TEST(http_hop_by_hop)
{
	static const struct {
		const char *name;
		bool hop;
	} fixed[] = {
	    {"Connection", true},
	    {"keep-alive", true},
	    {"Proxy-Connection", true},
	    {"TE", true},
	    {"Trailer", true},
	    {"transfer-encoding", true},
	    {"UPGRADE", true},
	    {"HTTP2-Settings", true},
	    {"Proxy-Authenticate", true},
	    {"Proxy-Authorization", true},
	    {"Host", false},
	    {"Content-Length", false},
	    {"Authorization", false},
	    {"X-Forwarded-For", false},
	    {"Cookie", false},
	    {"T", false},
	    {"Trailers", false},
	    {"", false},
	};
	struct mg_h1_request r;
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		MG_CASE("%s", fixed[i].name);
		MG_EXPECT_EQ_INT(mg_http_is_hop_by_hop(fixed[i].name, strlen(fixed[i].name), NULL),
		                 fixed[i].hop);
	}
	MG_CASE("%s", "");
	parse(&r, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close, X-Secret, host, "
	          "Content-Length\r\nConnection: x-other\r\n\r\n");
	MG_EXPECT(mg_http_is_hop_by_hop(S("x-secret"), &r.head));
	MG_EXPECT(mg_http_is_hop_by_hop(S("X-OTHER"), &r.head));
	MG_EXPECT(mg_http_is_hop_by_hop(S("Close"), &r.head));
	MG_EXPECT(!mg_http_is_hop_by_hop(S("X-Secre"), &r.head));
	/* A client cannot make the gateway drop Host or Content-Length. */
	MG_EXPECT(!mg_http_is_hop_by_hop(S("Host"), &r.head));
	MG_EXPECT(!mg_http_is_hop_by_hop(S("content-length"), &r.head));
}

MG_TEST(http_trailer_allowed)
{
	MG_EXPECT(mg_http_trailer_allowed(S("grpc-status")));
	MG_EXPECT(mg_http_trailer_allowed(S("Grpc-Message")));
	MG_EXPECT(mg_http_trailer_allowed(S("Server-Timing")));
	MG_EXPECT(!mg_http_trailer_allowed(S("Content-Length")));
	MG_EXPECT(!mg_http_trailer_allowed(S("transfer-encoding")));
	MG_EXPECT(!mg_http_trailer_allowed(S("Host")));
	MG_EXPECT(!mg_http_trailer_allowed(S("Authorization")));
	MG_EXPECT(!mg_http_trailer_allowed(S("Set-Cookie")));
	MG_EXPECT(!mg_http_trailer_allowed(S("Connection")));
	MG_EXPECT(!mg_http_trailer_allowed(S("Content-Type")));
}

MG_TEST(http_field_find)
{
	struct mg_h1_request r;
	const struct mg_h1_field *f;
	unsigned int idx = 0, n = 0;

	parse(&r, "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nX-B: 3\r\nX-A: 4\r\n\r\n");
	while ((f = mg_http_field_find(fields, r.head.nfields, "x-a", &idx)) != NULL) {
		MG_EXPECT(f->value.len == 1 && f->value.p[0] == "124"[n]);
		n++;
	}
	MG_EXPECT_EQ_UINT(n, 3);
	MG_EXPECT_EQ_UINT(idx, r.head.nfields);
	f = mg_http_field_find(fields, r.head.nfields, "X-B", NULL);
	MG_EXPECT(f == &fields[3]);
	MG_EXPECT(mg_http_field_find(fields, r.head.nfields, "X-C", NULL) == NULL);
}

MG_TEST(http_request_id_rule)
{
	static const struct {
		const char *v;
		bool ok;
	} v[] = {
	    {"f47ac10b-58cc-4372-a567-0e02b2c3d479", true},
	    {"01ARZ3NDEKTSV4RRFFQ69G5FAV", true},
	    {"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", false},
	    {"abc.DEF_123:456-789", true},
	    {"a", true},
	    {"", false},
	    {"a b", false},
	    {"a\tb", false},
	    {"a\"b", false},
	    {"a/b", false},
	    {"caf\xc3\xa9", false},
	    {"<script>", false},
	};
	char big[200];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		MG_CASE("%s", v[i].v);
		MG_EXPECT_EQ_INT(mg_http_request_id_valid(v[i].v, strlen(v[i].v)), v[i].ok);
	}
	memset(big, 'a', sizeof(big));
	MG_EXPECT(mg_http_request_id_valid(big, MG_HTTP_REQUEST_ID_MAX));
	MG_EXPECT(!mg_http_request_id_valid(big, MG_HTTP_REQUEST_ID_MAX + 1));
}

MG_TEST(http_uuid_v4)
{
	static const uint8_t zero[16], ones[16] = {
	                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                               };
	static const uint8_t seq[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	                                0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	char out[MG_HTTP_UUID_LEN + 1];

	out[MG_HTTP_UUID_LEN] = '\0';
	mg_http_uuid_v4(zero, out);
	MG_EXPECT_STR(out, "00000000-0000-4000-8000-000000000000");
	mg_http_uuid_v4(ones, out);
	MG_EXPECT_STR(out, "ffffffff-ffff-4fff-bfff-ffffffffffff");
	mg_http_uuid_v4(seq, out);
	MG_EXPECT_STR(out, "00112233-4455-4677-8899-aabbccddeeff");
	MG_EXPECT(mg_http_request_id_valid(out, MG_HTTP_UUID_LEN));
}

MG_TEST(http_forwarded_fields)
{
	struct mg_h1_request r;
	char out[256];
	ssize_t n;

	parse(&r, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	n = mg_http_write_xff(out, sizeof(out), fields, r.head.nfields, S("10.0.0.9"));
	MG_ASSERT(n > 0);
	MG_EXPECT_MEM(out, "X-Forwarded-For: 10.0.0.9\r\n", (size_t)n);
	MG_EXPECT_EQ_INT(n, 27);

	parse(&r, "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4,  5.6.7.8\r\n"
	          "X-Other: z\r\nx-forwarded-for:\r\nX-Forwarded-For: 2001:db8::1\r\n\r\n");
	n = mg_http_write_xff(out, sizeof(out), fields, r.head.nfields, S("fe80::1"));
	MG_ASSERT(n > 0);
	out[n] = '\0';
	MG_EXPECT_STR(out, "X-Forwarded-For: 1.2.3.4,  5.6.7.8, 2001:db8::1, fe80::1\r\n");
	MG_EXPECT_EQ_INT(
	    mg_http_write_xff(out, (size_t)n - 1, fields, r.head.nfields, S("fe80::1")), -ENOSPC);
	MG_EXPECT_EQ_INT(mg_http_write_xff(out, sizeof(out), fields, 0, S("1.2.3.4\r\nX: y")),
	                 -EINVAL);
	MG_EXPECT_EQ_INT(mg_http_write_xff(out, sizeof(out), fields, 0, "", 0), -EINVAL);

	n = mg_http_write_xfproto(out, sizeof(out), true);
	MG_EXPECT(n == 26 && memcmp(out, "X-Forwarded-Proto: https\r\n", 26) == 0);
	n = mg_http_write_xfproto(out, sizeof(out), false);
	MG_EXPECT(n == 25 && memcmp(out, "X-Forwarded-Proto: http\r\n", 25) == 0);
	n = mg_http_write_xfport(out, sizeof(out), 443);
	MG_EXPECT(n == 23 && memcmp(out, "X-Forwarded-Port: 443\r\n", 23) == 0);
	n = mg_http_write_xfport(out, sizeof(out), 0);
	MG_EXPECT(n == 21 && memcmp(out, "X-Forwarded-Port: 0\r\n", 21) == 0);
	MG_EXPECT_EQ_INT(mg_http_write_xfport(out, 22, 65535), -ENOSPC);
	n = mg_http_write_content_length(out, sizeof(out), 18446744073709551615ull);
	MG_EXPECT(n == 38 && memcmp(out, "Content-Length: 18446744073709551615\r\n", 38) == 0);
	n = mg_http_write_field(out, sizeof(out), S("X-Request-Id"), S("abc"));
	MG_EXPECT(n == 19 && memcmp(out, "X-Request-Id: abc\r\n", 19) == 0);
}

MG_TEST(http_status_reasons)
{
	static const struct {
		int status;
		const char *reason;
	} v[] = {
	    {100, "Continue"},
	    {200, "OK"},
	    {204, "No Content"},
	    {301, "Moved Permanently"},
	    {400, "Bad Request"},
	    {413, "Content Too Large"},
	    {414, "URI Too Long"},
	    {417, "Expectation Failed"},
	    {421, "Misdirected Request"},
	    {429, "Too Many Requests"},
	    {431, "Request Header Fields Too Large"},
	    {501, "Not Implemented"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Gateway Timeout"},
	    {505, "HTTP Version Not Supported"},
	    {511, "Network Authentication Required"},
	    {0, ""},
	    {99, ""},
	    {299, ""},
	    {600, ""},
	    {-1, ""},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		MG_CASE("%d", v[i].status);
		MG_EXPECT_STR(mg_http_status_reason(v[i].status), v[i].reason);
	}
	/* Every status a parser rejection maps to has a phrase. */
	for (i = 1; i < MG_H1_REASON_COUNT; i++) {
		MG_CASE("reason %zu", i);
		MG_EXPECT(mg_http_status_reason(mg_h1_reason_status((enum mg_h1_reason)i))[0] !=
		          '\0');
	}
}

MG_TEST(http_error_response)
{
	static const char want[] = "HTTP/1.1 502 Bad Gateway\r\n"
	                           "Content-Type: text/plain\r\n"
	                           "Content-Length: 41\r\n"
	                           "Connection: close\r\n"
	                           "\r\n"
	                           "502 Bad Gateway: upstream connect failed\n";
	struct mg_h1_field rf[8];
	struct mg_h1_response resp;
	char out[1024];
	ssize_t n;
	size_t k;

	n = mg_http_write_error(out, sizeof(out), 502, S("upstream connect failed"), NULL, 0,
	                        false);
	MG_ASSERT_EQ_INT(n, (ssize_t)sizeof(want) - 1);
	MG_EXPECT_MEM(out, want, sizeof(want) - 1);
	for (k = 0; k < sizeof(want) - 1; k++) {
		MG_CASE("size %zu", k);
		MG_EXPECT_EQ_INT(
		    mg_http_write_error(out, k, 502, S("upstream connect failed"), NULL, 0, false),
		    -ENOSPC);
	}
	MG_CASE("%s", "");

	/* The response parser accepts what the writer writes. */
	n = mg_http_write_error(out, sizeof(out), 401, S("token expired"),
	                        S("WWW-Authenticate: Bearer error=\"invalid_token\"\r\n"), false);
	MG_ASSERT(n > 0);
	mg_h1_response_init(&resp, rf, 8, NULL, MG_H1_M_GET);
	MG_ASSERT_EQ_INT(mg_h1_response_parse(&resp, out, (size_t)n),
	                 (int)(strstr(out, "\r\n\r\n") - out + 4));
	MG_EXPECT(resp.status == 401 && resp.head.body == MG_H1_BODY_LENGTH);
	MG_EXPECT(!resp.head.keep_alive && resp.head.nfields == 4);
	MG_EXPECT_EQ_UINT(resp.head.content_length, strlen("401 Unauthorized: token expired\n"));
	MG_EXPECT_MEM(out + n - (ssize_t)resp.head.content_length,
	              "401 Unauthorized: token expired\n", resp.head.content_length);

	/* HEAD: same head, no body. */
	n = mg_http_write_error(out, sizeof(out), 502, S("upstream connect failed"), NULL, 0, true);
	MG_EXPECT_EQ_INT(n, (ssize_t)sizeof(want) - 1 - 41);
	MG_EXPECT_MEM(out, want, (size_t)n);

	/* No detail; a status without a phrase. */
	n = mg_http_write_error(out, sizeof(out), 404, NULL, 0, NULL, 0, false);
	MG_ASSERT(n > 0);
	MG_EXPECT(memcmp(out + n - 14, "404 Not Found\n", 14) == 0);
	n = mg_http_write_error(out, sizeof(out), 599, NULL, 0, NULL, 0, false);
	MG_ASSERT(n > 0);
	out[n] = '\0';
	MG_EXPECT_CONTAINS(out, "HTTP/1.1 599 \r\n");
	MG_EXPECT_CONTAINS(out, "\r\n\r\n599\n");

	/* Details are made printable and cut; nothing can end the head early. */
	n = mg_http_write_error(out, sizeof(out), 400, S("bad\r\nX-Evil: 1\x01\xff"), NULL, 0,
	                        false);
	MG_ASSERT(n > 0);
	out[n] = '\0';
	MG_EXPECT_CONTAINS(out, "400 Bad Request: bad??X-Evil: 1??\n");
	{
		char detail[500];

		memset(detail, 'd', sizeof(detail));
		n = mg_http_write_error(out, sizeof(out), 500, detail, sizeof(detail), NULL, 0,
		                        false);
		MG_ASSERT(n > 0);
		out[n] = '\0';
		MG_EXPECT_CONTAINS(out, "Content-Length: 228\r\n");
	}

	/* Invalid arguments. */
	MG_EXPECT_EQ_INT(mg_http_write_error(out, sizeof(out), 200, NULL, 0, NULL, 0, false),
	                 -EINVAL);
	MG_EXPECT_EQ_INT(mg_http_write_error(out, sizeof(out), 600, NULL, 0, NULL, 0, false),
	                 -EINVAL);
	MG_EXPECT_EQ_INT(
	    mg_http_write_error(out, sizeof(out), 401, NULL, 0, S("X: a\r\n\r\n"), false), -EINVAL);
	MG_EXPECT_EQ_INT(mg_http_write_error(out, sizeof(out), 401, NULL, 0, S("X: a"), false),
	                 -EINVAL);
	MG_EXPECT_EQ_INT(mg_http_write_error(out, sizeof(out), 401, NULL, 0, S("X : a\r\n"), false),
	                 -EINVAL);
	MG_EXPECT_EQ_INT(
	    mg_http_write_error(out, sizeof(out), 401, NULL, 0, S("X: a\nY: b\r\n"), false),
	    -EINVAL);
	MG_EXPECT_EQ_INT(mg_http_write_error(out, sizeof(out), 405, NULL, 0,
	                                     S("Allow: GET, HEAD\r\nX: \r\n"), false) > 0,
	                 1);
}

/* mg_http_ip4() writes what inet_ntop() writes, for every octet value in every position. */
MG_TEST(http_ip4_matches_inet_ntop)
{
	char a[16], b[INET_ADDRSTRLEN];
	unsigned int v, pos;
	uint32_t addr;
	uint8_t *o = (uint8_t *)&addr;

	for (pos = 0; pos < 4; pos++) {
		for (v = 0; v < 256; v++) {
			memset(o, (int)(pos * 37 + 1), 4);
			o[pos] = (uint8_t)v;
			MG_CASE("octet %u = %u", pos, v);
			inet_ntop(AF_INET, &addr, b, sizeof(b));
			MG_EXPECT_EQ_UINT(mg_http_ip4(addr, a), strlen(b));
			MG_EXPECT_STR(a, b);
		}
	}
	addr = 0xffffffffu;
	MG_EXPECT_EQ_UINT(mg_http_ip4(addr, a), 15);
	MG_EXPECT_STR(a, "255.255.255.255");
}
