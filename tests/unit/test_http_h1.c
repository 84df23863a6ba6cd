/*
 * The HTTP/1.1 head parser (gateway/http/mg_h1.c): valid requests and their
 * facts, the malformed/smuggling corpus with the status and reason each one
 * gets, responses, limits, and the incremental contract (every prefix of a
 * valid head is incomplete; byte-at-a-time, moved-buffer and one-shot parses
 * agree; a head fed one byte at a time is scanned in O(n)).
 *
 * Inputs are parsed from a copy placed right before an inaccessible page, as
 * picohttpparser's tests do, so an over-read crashes even without ASan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gateway/http/mg_h1.h"
#include "tests/unit/mgtest.h"

/* A string literal and its length, embedded NULs included. */
#define S(lit) lit, sizeof(lit) - 1

struct guard {
	char *map;
	size_t map_len;
};

/* Copies <n> bytes of <s> so that they end right before a PROT_NONE page. */
static char *
guard_copy(struct guard *g, const char *s, size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (n + pg - 1) / pg * pg;
	char *p;

	if (data == 0)
		data = pg;
	g->map_len = data + pg;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED) {
		perror("mmap");
		abort();
	}
	if (mprotect(g->map + data, pg, PROT_NONE) != 0) {
		perror("mprotect");
		abort();
	}
	p = g->map + data - n;
	if (n > 0)
		memcpy(p, s, n);
	return p;
}

static void
guard_free(struct guard *g)
{
	munmap(g->map, g->map_len);
}

static bool
view_is(struct mg_h1_view v, const char *s)
{
	return v.p != NULL && v.len == strlen(s) && memcmp(v.p, s, v.len) == 0;
}

#define MAXF 128
static struct mg_h1_field fields_a[MAXF], fields_b[MAXF];

/* The guarded copy of the last one-shot parse: its views stay valid until the next one. */
static struct guard last;

static char *
last_copy(const char *s, size_t n)
{
	if (last.map != NULL)
		guard_free(&last);
	return guard_copy(&last, s, n);
}

/* Parses the whole of [s, s + n) from a guarded copy in one call. */
static int
parse_req(struct mg_h1_request *req, struct mg_h1_field *f, const char *s, size_t n,
          const struct mg_h1_limits *lim)
{
	mg_h1_request_init(req, f, MAXF, lim);
	return mg_h1_request_parse(req, last_copy(s, n), n);
}

static int
parse_resp(struct mg_h1_response *resp, struct mg_h1_field *f, const char *s, size_t n,
           enum mg_h1_method m)
{
	mg_h1_response_init(resp, f, MAXF, NULL, m);
	return mg_h1_response_parse(resp, last_copy(s, n), n);
}

/* Offset of a view in its buffer, or -1 when absent: compares parses of different copies. */
static long
off(struct mg_h1_view v, const char *base)
{
	return v.p == NULL ? -1 : (long)(v.p - base);
}

/* Checks that two parses of the same bytes (at <ba> and <bb>) found the same facts. */
static void
expect_same_head(const struct mg_h1_head *a, const char *ba, const struct mg_h1_head *b,
                 const char *bb)
{
	unsigned int i;

	MG_EXPECT_EQ_INT(a->minor, b->minor);
	MG_EXPECT_EQ_UINT(a->nfields, b->nfields);
	MG_EXPECT_EQ_INT(a->body, b->body);
	MG_EXPECT_EQ_INT(a->has_content_length, b->has_content_length);
	MG_EXPECT_EQ_UINT(a->content_length, b->content_length);
	MG_EXPECT_EQ_INT(a->chunked, b->chunked);
	MG_EXPECT_EQ_INT(a->keep_alive, b->keep_alive);
	MG_EXPECT_EQ_INT(a->upgrade, b->upgrade);
	MG_EXPECT_EQ_INT(off(a->upgrade_value, ba), off(b->upgrade_value, bb));
	MG_EXPECT_EQ_UINT(a->nconn_tokens, b->nconn_tokens);
	MG_EXPECT_EQ_INT(a->err_reason, b->err_reason);
	MG_EXPECT_EQ_INT(a->err_status, b->err_status);
	for (i = 0; i < a->nfields && i < b->nfields && a->fields && b->fields; i++) {
		MG_EXPECT_EQ_INT(off(a->fields[i].name, ba), off(b->fields[i].name, bb));
		MG_EXPECT_EQ_UINT(a->fields[i].name.len, b->fields[i].name.len);
		MG_EXPECT_EQ_INT(off(a->fields[i].value, ba), off(b->fields[i].value, bb));
		MG_EXPECT_EQ_UINT(a->fields[i].value.len, b->fields[i].value.len);
	}
	for (i = 0; i < a->nconn_tokens && i < b->nconn_tokens; i++)
		MG_EXPECT_EQ_INT(off(a->conn_tokens[i], ba), off(b->conn_tokens[i], bb));
}

static void
expect_same_request(const struct mg_h1_request *a, const char *ba, const struct mg_h1_request *b,
                    const char *bb)
{
	MG_EXPECT_EQ_INT(off(a->method, ba), off(b->method, bb));
	MG_EXPECT_EQ_UINT(a->method.len, b->method.len);
	MG_EXPECT_EQ_INT(a->method_id, b->method_id);
	MG_EXPECT_EQ_INT(off(a->target, ba), off(b->target, bb));
	MG_EXPECT_EQ_UINT(a->target.len, b->target.len);
	MG_EXPECT_EQ_INT(a->form, b->form);
	MG_EXPECT_EQ_INT(off(a->authority, ba), off(b->authority, bb));
	MG_EXPECT_EQ_INT(off(a->path, ba), off(b->path, bb));
	MG_EXPECT_EQ_UINT(a->path.len, b->path.len);
	MG_EXPECT_EQ_INT(off(a->query, ba), off(b->query, bb));
	MG_EXPECT_EQ_INT(off(a->host, ba), off(b->host, bb));
	MG_EXPECT_EQ_UINT(a->host.len, b->host.len);
	MG_EXPECT_EQ_INT(a->expect_100_continue, b->expect_100_continue);
	MG_EXPECT_EQ_INT(a->is_https, b->is_https);
	expect_same_head(&a->head, ba, &b->head, bb);
}

/* ---- valid requests ---------------------------------------------------------------------- */

static const struct {
	const char *in;
	size_t len;
} valid_requests[] = {
    {S("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")},
    {S("GET /a/b?c=d&e=%20f HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n"
       "User-Agent: curl/8.0\r\n\r\n")},
    {S("GET /?a[]=1&b={x}|^ HTTP/1.1\r\nHost: h\r\n\r\n")},
    {S("POST /upload HTTP/1.1\r\nHost: h:8080\r\nContent-Length: 5\r\n\r\n")},
    {S("POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")},
    {S("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\nExpect: 100-continue\r\n\r\n")},
    {S("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n")},
    {S("GET / HTTP/1.0\r\n\r\n")},
    {S("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")},
    {S("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")},
    {S("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")},
    {S("GET http://example.com:8080/x?y HTTP/1.1\r\nHost: EXAMPLE.com:8080\r\n\r\n")},
    {S("GET https://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n")},
    {S("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")},
    {S("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")},
    {S("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")},
    {S("PROPFIND /dav HTTP/1.1\r\nHost: [::1]:8443\r\nDepth: 1\r\n\r\n")},
    {S("GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Tabs:\t a \t\r\nX-8bit: caf\xc3\xa9\r\n\r\n")},
    {S("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Foo,, x-bar\r\nX-Foo: 1\r\n\r\n")},
    {S("DELETE /x HTTP/1.1\r\nhost: h\r\nContent-Length: 0\r\n\r\n")},
    {S("GET / HTTP/1.1\r\nHost: h\r\nTransfer_Encoding: chunked\r\n\r\n")},
    {S("GET / HTTP/1.1\r\nHost: 10.0.0.1\r\nExpect: 100-Continue\r\n\r\n")},
    {S("GET /a%2Fb%41/~x;p=1 HTTP/1.1\r\nHost: xn--bcher-kva.example%41:443\r\n"
       "Connection: close , x \r\n\r\n")},
    {S("CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:DB8::1]:443\r\n\r\n")},
};

MG_TEST(h1_valid_requests_parse_whole)
{
	struct mg_h1_request req;
	size_t i;

	for (i = 0; i < sizeof(valid_requests) / sizeof(valid_requests[0]); i++) {
		MG_CASE("valid request %zu", i);
		MG_EXPECT_EQ_INT(
		    parse_req(&req, fields_a, valid_requests[i].in, valid_requests[i].len, NULL),
		    (int)valid_requests[i].len);
	}
}

MG_TEST(h1_valid_requests_every_prefix_incomplete)
{
	struct mg_h1_request req;
	struct guard g;
	size_t i, n;
	char *buf;

	for (i = 0; i < sizeof(valid_requests) / sizeof(valid_requests[0]); i++) {
		for (n = 0; n < valid_requests[i].len; n++) {
			MG_CASE("valid request %zu, prefix %zu", i, n);
			buf = guard_copy(&g, valid_requests[i].in, n);
			mg_h1_request_init(&req, fields_a, MAXF, NULL);
			MG_EXPECT_EQ_INT(mg_h1_request_parse(&req, buf, n), MG_H1_INCOMPLETE);
			guard_free(&g);
		}
	}
}

MG_TEST(h1_byte_at_a_time_equals_one_shot)
{
	struct mg_h1_request one, inc, moved;
	struct guard g, gm;
	const char *in;
	size_t i, n, len;
	char *buf, *mb;
	int rc = 0;

	for (i = 0; i < sizeof(valid_requests) / sizeof(valid_requests[0]); i++) {
		in = valid_requests[i].in;
		len = valid_requests[i].len;
		MG_CASE("valid request %zu", i);
		buf = guard_copy(&g, in, len);
		mg_h1_request_init(&one, fields_a, MAXF, NULL);
		MG_EXPECT_EQ_INT(mg_h1_request_parse(&one, buf, len), (int)len);

		/* Same buffer, growing one byte per call: the resume path. */
		mg_h1_request_init(&inc, fields_b, MAXF, NULL);
		for (n = 0; n <= len; n++) {
			rc = mg_h1_request_parse(&inc, buf, n);
			if (n < len)
				MG_EXPECT_EQ_INT(rc, MG_H1_INCOMPLETE);
		}
		MG_EXPECT_EQ_INT(rc, (int)len);
		expect_same_request(&one, buf, &inc, buf);
		/* A finished parse answers the same again, with more bytes after the head. */
		MG_EXPECT_EQ_INT(mg_h1_request_parse(&inc, buf, len), (int)len);

		/* A new copy per call: the buffer moves, the parser starts over. */
		mg_h1_request_init(&moved, fields_b, MAXF, NULL);
		for (n = 0; n <= len; n++) {
			mb = guard_copy(&gm, in, n);
			rc = mg_h1_request_parse(&moved, mb, n);
			if (n < len) {
				MG_EXPECT_EQ_INT(rc, MG_H1_INCOMPLETE);
				guard_free(&gm);
			}
		}
		MG_EXPECT_EQ_INT(rc, (int)len);
		expect_same_request(&one, buf, &moved, mb);
		guard_free(&gm);
		guard_free(&g);
	}
}

MG_TEST(h1_request_facts)
{
	struct mg_h1_request r;
	const char *s;

	s = "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
	MG_ASSERT_EQ_INT(parse_req(&r, fields_a, s, strlen(s), NULL), (int)strlen(s));
	MG_EXPECT(view_is(r.method, "GET") && r.method_id == MG_H1_M_GET);
	MG_EXPECT(view_is(r.target, "/a/b?c=d") && r.form == MG_H1_FORM_ORIGIN);
	MG_EXPECT(view_is(r.path, "/a/b") && view_is(r.query, "c=d"));
	MG_EXPECT(r.authority.p == NULL);
	MG_EXPECT(view_is(r.host, "example.com"));
	MG_EXPECT_EQ_INT(r.head.minor, 1);
	MG_EXPECT_EQ_UINT(r.head.nfields, 2);
	MG_EXPECT(view_is(fields_a[1].name, "Accept") && view_is(fields_a[1].value, "*/*"));
	MG_EXPECT(r.head.keep_alive && !r.head.upgrade && !r.expect_100_continue);
	MG_EXPECT_EQ_INT(r.head.body, MG_H1_BODY_NONE);
	MG_EXPECT(!r.head.has_content_length && !r.head.chunked);

	s = "GET /p HTTP/1.1\r\nHost: h\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(view_is(r.path, "/p") && r.query.p == NULL);

	s = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12345\r\n\r\nbody...";
	MG_ASSERT_EQ_INT(parse_req(&r, fields_a, s, strlen(s), NULL),
	                 (int)(strstr(s, "\r\n\r\n") - s + 4));
	MG_EXPECT(r.head.has_content_length && r.head.content_length == 12345);
	MG_EXPECT_EQ_INT(r.head.body, MG_H1_BODY_LENGTH);

	s = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(r.head.has_content_length && r.head.content_length == 0);
	MG_EXPECT_EQ_INT(r.head.body, MG_H1_BODY_LENGTH);

	s = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT_EQ_UINT(r.head.content_length, 9223372036854775807ull);

	s = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(r.head.chunked && r.head.body == MG_H1_BODY_CHUNKED);

	/* A list spread over two lines is one list; chunked last. */
	s = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n";
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, s, strlen(s), NULL), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_reason, MG_H1_E_TE_INVALID);

	s = "GET http://Example.com:8080 HTTP/1.1\r\nHost: example.COM:8080\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT_EQ_INT(r.form, MG_H1_FORM_ABSOLUTE);
	MG_EXPECT(view_is(r.authority, "Example.com:8080"));
	MG_EXPECT(r.path.p != NULL && r.path.len == 0 && r.query.p == NULL);
	MG_EXPECT(view_is(r.host, "example.COM:8080") && !r.is_https);

	s = "GET https://h/x?q HTTP/1.1\r\nHost: h\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(r.is_https && view_is(r.authority, "h") && view_is(r.path, "/x") &&
	          view_is(r.query, "q"));

	s = "GET http://h?q HTTP/1.1\r\nHost: h\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(view_is(r.authority, "h") && r.path.len == 0 && view_is(r.query, "q"));

	/* HTTP/1.0 without Host takes the authority from an absolute-form target. */
	s = "GET http://h:81/ HTTP/1.0\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(view_is(r.host, "h:81"));
	s = "GET / HTTP/1.0\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(r.host.p == NULL && r.head.minor == 0 && !r.head.keep_alive);

	s = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(r.method_id == MG_H1_M_CONNECT && r.form == MG_H1_FORM_AUTHORITY);
	MG_EXPECT(view_is(r.authority, "example.com:443"));

	s = "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(r.form == MG_H1_FORM_ASTERISK && view_is(r.path, "*"));

	s = "get / HTTP/1.1\r\nHost: h\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT_EQ_INT(r.method_id, MG_H1_M_OTHER);

	/* Leading empty lines are skipped and counted. */
	s = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
	MG_ASSERT_EQ_INT(parse_req(&r, fields_a, s, strlen(s), NULL), (int)strlen(s));
	MG_EXPECT(view_is(r.method, "GET"));

	s = "GET / HTTP/1.1\r\nHost: h\r\nX_Y: 1\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(r.head.underscore_in_names);
	s = "GET / HTTP/1.1\r\nHost: h\r\nTransfer_Encoding: chunked\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(r.head.underscore_in_names && !r.head.chunked);
	MG_EXPECT_EQ_INT(r.head.body, MG_H1_BODY_NONE);

	/* Field values keep inner whitespace and obs-text, lose the outer OWS. */
	s = "GET / HTTP/1.1\r\nHost: h\r\nX:  \t a  b\xff \t\r\nY:\r\n\r\n";
	MG_ASSERT(parse_req(&r, fields_a, s, strlen(s), NULL) > 0);
	MG_EXPECT(view_is(fields_a[1].value, "a  b\xff"));
	MG_EXPECT(fields_a[2].value.len == 0 && fields_a[2].value.p != NULL);
}

MG_TEST(h1_connection_keep_alive_upgrade_expect)
{
	static const struct {
		const char *in;
		bool keep_alive, upgrade, expect;
		unsigned int ntokens;
	} v[] = {
	    {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true, false, false, 0},
	    {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false, false, false, 1},
	    {"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, CLOSE\r\n\r\n", false, false,
	     false, 2},
	    {"GET / HTTP/1.1\r\nHost: h\r\nConnection: a\r\nConnection: close\r\n\r\n", false,
	     false, false, 2},
	    {"GET / HTTP/1.0\r\n\r\n", false, false, false, 0},
	    {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, false, false, 1},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false, false, false, 2},
	    {"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", true,
	     true, false, 1},
	    {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", true, false, false, 0},
	    {"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n", true, false, false, 1},
	    {"GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", false, false,
	     false, 1},
	    {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
	     "Upgrade: h2c, HTTP/2.0\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
	     true, true, false, 2},
	    {"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
	     true, false, true, 0},
	    {"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", false, false,
	     false, 0},
	    {"GET / HTTP/1.1\r\nHost: h\r\nExpect:\r\n\r\n", true, false, false, 0},
	};
	struct mg_h1_request r;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		MG_CASE("%zu: %s", i, v[i].in);
		if (!MG_EXPECT_EQ_INT(parse_req(&r, fields_a, v[i].in, strlen(v[i].in), NULL),
		                      (int)strlen(v[i].in)))
			continue;
		MG_EXPECT_EQ_INT(r.head.keep_alive, v[i].keep_alive);
		MG_EXPECT_EQ_INT(r.head.upgrade, v[i].upgrade);
		MG_EXPECT_EQ_INT(r.expect_100_continue, v[i].expect);
		MG_EXPECT_EQ_UINT(r.head.nconn_tokens, v[i].ntokens);
	}
	MG_ASSERT(parse_req(&r, fields_a, v[11].in, strlen(v[11].in), NULL) > 0);
	MG_EXPECT(view_is(r.head.conn_tokens[0], "Upgrade"));
	MG_EXPECT(view_is(r.head.conn_tokens[1], "HTTP2-Settings"));
	MG_EXPECT(view_is(r.head.upgrade_value, "h2c, HTTP/2.0"));
}

/* ---- the malformed / smuggling corpus ---------------------------------------------------- */

#define H "Host: h\r\n"

static const struct {
	const char *in;
	size_t len;
	int status;
	enum mg_h1_reason reason;
	const char *what;
} bad_requests[] = {
    /* CL.TE and TE.CL */
    {S("POST / HTTP/1.1\r\n" H "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"), 400,
     MG_H1_E_CL_AND_TE, "CL.TE"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n"), 400,
     MG_H1_E_CL_AND_TE, "TE.CL"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"), 400,
     MG_H1_E_CL_AND_TE, "TE with CL 0"},
    {S("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\nTransfer-Encoding: xchunked\r\n\r\n"), 400,
     MG_H1_E_CL_AND_TE, "CL with unknown TE"},
    /* TE.TE obfuscations */
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: xchunked\r\n\r\n"), 501, MG_H1_E_TE_UNSUPPORTED,
     "xchunked"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding : chunked\r\n\r\n"), 400, MG_H1_E_WS_BEFORE_COLON,
     "space before colon"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding\t: chunked\r\n\r\n"), 400,
     MG_H1_E_WS_BEFORE_COLON, "tab before colon"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, identity\r\n\r\n"), 400,
     MG_H1_E_TE_CHUNKED_NOT_LAST, "chunked, identity"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n"), 400,
     MG_H1_E_TE_CHUNKED_NOT_LAST, "second TE line after chunked"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
     400, MG_H1_E_TE_CHUNKED_TWICE, "duplicated TE"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, chunked\r\n\r\n"), 400,
     MG_H1_E_TE_CHUNKED_TWICE, "chunked, chunked"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: \x0b"
       "chunked\r\n\r\n"),
     400, MG_H1_E_CTL, "vertical tab before chunked"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\x0c\r\n\r\n"), 400, MG_H1_E_CTL,
     "form feed after chunked"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: \"chunked\"\r\n\r\n"), 400, MG_H1_E_TE_INVALID,
     "quoted chunked"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked;q=1\r\n\r\n"), 400, MG_H1_E_TE_INVALID,
     "chunked with a parameter"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chu nked\r\n\r\n"), 400, MG_H1_E_TE_INVALID,
     "space inside chunked"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\n\r\n"), 400, MG_H1_E_TE_INVALID, "empty TE"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n\r\n"), 501,
     MG_H1_E_TE_UNSUPPORTED, "gzip, chunked"},
    {S("POST / HTTP/1.1\r\n" H "Transfer-Encoding: identity\r\n\r\n"), 501, MG_H1_E_TE_UNSUPPORTED,
     "identity"},
    {S("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400, MG_H1_E_TE_HTTP10,
     "TE in HTTP/1.0"},
    {S("POST / HTTP/1.1\r\n" H " Transfer-Encoding: chunked\r\n\r\n"), 400, MG_H1_E_OBS_FOLD,
     "TE on a folded line"},
    {S("POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\n" H "\r\n"), 400,
     MG_H1_E_WS_BEFORE_FIRST_FIELD, "whitespace before the first field"},
    {S("POST / HTTP/1.1\r\n" H "X: a\r\n\tb\r\n\r\n"), 400, MG_H1_E_OBS_FOLD, "obs-fold"},
    /* Content-Length */
    {S("POST / HTTP/1.1\r\n" H "Content-Length: +5\r\n\r\n"), 400, MG_H1_E_CL_INVALID, "CL with +"},
    {S("POST / HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n"), 400, MG_H1_E_CL_INVALID,
     "negative CL"},
    {S("POST / HTTP/1.1\r\n" H "Content-Length: 1 2\r\n\r\n"), 400, MG_H1_E_CL_INVALID,
     "space inside CL"},
    {S("POST / HTTP/1.1\r\n" H "Content-Length: 0x10\r\n\r\n"), 400, MG_H1_E_CL_INVALID, "hex CL"},
    {S("POST / HTTP/1.1\r\n" H "Content-Length: 5, 5\r\n\r\n"), 400, MG_H1_E_CL_INVALID,
     "CL as a list"},
    {S("POST / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n"), 400, MG_H1_E_CL_INVALID, "empty CL"},
    {S("POST / HTTP/1.1\r\n" H "Content-Length: 5\xc2\xa0\r\n\r\n"), 400, MG_H1_E_CL_INVALID,
     "CL with 8-bit space"},
    {S("POST / HTTP/1.1\r\n" H "Content-Length: 007\r\n\r\n"), 400, MG_H1_E_CL_LEADING_ZERO,
     "CL leading zeros"},
    {S("POST / HTTP/1.1\r\n" H "Content-Length: 99999999999999999999\r\n\r\n"), 400,
     MG_H1_E_CL_OVERFLOW, "CL overflow"},
    {S("POST / HTTP/1.1\r\n" H "Content-Length: 9223372036854775808\r\n\r\n"), 400,
     MG_H1_E_CL_OVERFLOW, "CL 2^63"},
    {S("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400,
     MG_H1_E_CL_CONFLICT, "two different CLs"},
    /* line endings and control characters */
    {S("GET / HTTP/1.1\n" H "\r\n"), 400, MG_H1_E_BARE_LF, "bare LF after request line"},
    {S("GET / HTTP/1.1\r\nHost: h\n\r\n"), 400, MG_H1_E_BARE_LF, "bare LF after a field"},
    {S("GET / HTTP/1.1\r\n" H "\n"), 400, MG_H1_E_BARE_LF, "bare LF as the empty line"},
    {S("\nGET / HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_BARE_LF, "bare LF before request line"},
    {S("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"), 400, MG_H1_E_BARE_CR, "bare CR in a value"},
    {S("GET / HTTP/1.1\r\r\n" H "\r\n"), 400, MG_H1_E_BARE_CR, "CR CR LF"},
    {S("\r\rGET / HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_BARE_CR, "bare CR before request line"},
    {S("GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n"), 400, MG_H1_E_CTL, "NUL in a value"},
    {S("GET /\0 HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_CTL, "NUL in the target"},
    {S("GET / HTTP/1.1\r\n" H "X: a\x7f\r\n\r\n"), 400, MG_H1_E_CTL, "DEL in a value"},
    {S("GET / HTTP/1.1\r\n" H "Content-Length\0: 5\r\n\r\n"), 400, MG_H1_E_CTL, "NUL in a name"},
    /* field names */
    {S("GET / HTTP/1.1\r\n" H "Ho\xe9st: a\r\n\r\n"), 400, MG_H1_E_FIELD_NAME,
     "8-bit byte in a name"},
    {S("GET / HTTP/1.1\r\n" H ": a\r\n\r\n"), 400, MG_H1_E_FIELD_NAME, "empty name"},
    {S("GET / HTTP/1.1\r\n" H "NoColon\r\n\r\n"), 400, MG_H1_E_FIELD_NAME, "no colon"},
    {S("GET / HTTP/1.1\r\n" H "X\"Y: a\r\n\r\n"), 400, MG_H1_E_FIELD_NAME, "quote in a name"},
    {S("GET / HTTP/1.1\r\n" H "X Y: a\r\n\r\n"), 400, MG_H1_E_FIELD_NAME, "space in a name"},
    {S("GET / HTTP/1.1\r\n" H "Content-Length\r\n : 5\r\n\r\n"), 400, MG_H1_E_FIELD_NAME,
     "name folded away from its colon"},
    /* request line */
    {S("GET  / HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_REQUEST_LINE, "two spaces after method"},
    {S("GET /  HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_REQUEST_LINE, "two spaces after target"},
    {S("GET / HTTP/1.1 \r\n" H "\r\n"), 400, MG_H1_E_REQUEST_LINE, "trailing space"},
    {S("GET /a b HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_REQUEST_LINE, "space in the target"},
    {S("GET\t/ HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_REQUEST_LINE, "tab separator"},
    {S("GET /\r\n\r\n"), 400, MG_H1_E_REQUEST_LINE, "HTTP/0.9 request"},
    {S("GET\r\n\r\n"), 400, MG_H1_E_REQUEST_LINE, "method alone"},
    {S(" GET / HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_METHOD, "space before method"},
    {S("G(T / HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_METHOD, "parenthesis in method"},
    {S("G\xc3\x89T / HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_METHOD, "8-bit method"},
    {S("GET / HTTP/1.2\r\n" H "\r\n"), 505, MG_H1_E_VERSION_UNSUPPORTED, "HTTP/1.2"},
    {S("GET / HTTP/2.0\r\n" H "\r\n"), 505, MG_H1_E_VERSION_UNSUPPORTED, "HTTP/2.0"},
    {S("GET / HTTP/0.9\r\n" H "\r\n"), 505, MG_H1_E_VERSION_UNSUPPORTED, "HTTP/0.9"},
    {S("GET / HTTP/1.10\r\n" H "\r\n"), 400, MG_H1_E_VERSION, "two-digit minor"},
    {S("GET / http/1.1\r\n" H "\r\n"), 400, MG_H1_E_VERSION, "lower-case version"},
    {S("GET / HTTP/1,1\r\n" H "\r\n"), 400, MG_H1_E_VERSION, "comma in version"},
    /* targets */
    {S("GET /a#frag HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET, "fragment"},
    {S("GET /a%zz HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET, "bad percent-encoding"},
    {S("GET /a%2 HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET, "truncated percent-encoding"},
    {S("GET /a\\..\\b HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET, "backslash in path"},
    {S("GET /\xff HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET, "8-bit target"},
    {S("GET a/b HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET, "relative target"},
    {S("GET http://u:p@h/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400, MG_H1_E_TARGET,
     "userinfo in absolute-form"},
    {S("GET http:///x HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET, "empty authority"},
    {S("GET * HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET_FORM, "asterisk for GET"},
    {S("GET h:80 HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET_FORM, "authority-form for GET"},
    {S("CONNECT / HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET_FORM, "origin-form CONNECT"},
    {S("CONNECT h HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET, "CONNECT without port"},
    {S("GET ftp://h/ HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET_FORM, "ftp scheme"},
    /* Host */
    {S("GET / HTTP/1.1\r\n\r\n"), 400, MG_H1_E_HOST_MISSING, "HTTP/1.1 without Host"},
    {S("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400, MG_H1_E_HOST_DUPLICATE, "two Hosts"},
    {S("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400, MG_H1_E_HOST_DUPLICATE,
     "two Hosts in HTTP/1.0"},
    {S("GET / HTTP/1.1\r\nHost:\r\n\r\n"), 400, MG_H1_E_HOST_INVALID, "empty Host"},
    {S("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400, MG_H1_E_HOST_INVALID, "space in Host"},
    {S("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n"), 400, MG_H1_E_HOST_INVALID, "userinfo in Host"},
    {S("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n"), 400, MG_H1_E_HOST_INVALID, "Host list"},
    {S("GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n"), 400, MG_H1_E_HOST_INVALID, "Host port"},
    {S("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400, MG_H1_E_HOST_INVALID, "slash in Host"},
    {S("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400, MG_H1_E_HOST_INVALID, "open IP-literal"},
    {S("GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n"), 400, MG_H1_E_HOST_INVALID, "non-hex IP-literal"},
    {S("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"), 400, MG_H1_E_HOST_INVALID,
     "junk after IP-literal"},
    {S("GET / HTTP/1.1\r\nHost: a%4\r\n\r\n"), 400, MG_H1_E_HOST_INVALID,
     "truncated percent-encoding in Host"},
    {S("GET / HTTP/1.1\r\nHost: :80\r\n\r\n"), 400, MG_H1_E_HOST_INVALID, "port only"},
    {S("GET / HTTP/1.1\r\nHost: a:1x\r\n\r\n"), 400, MG_H1_E_HOST_INVALID, "non-digit port"},
    {S("CONNECT [::1]: HTTP/1.1\r\nHost: [::1]:\r\n\r\n"), 400, MG_H1_E_TARGET,
     "CONNECT with an empty port"},
    {S("GET /%4g HTTP/1.1\r\n" H "\r\n"), 400, MG_H1_E_TARGET, "non-hex percent-encoding"},
    {S("GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n"), 400, MG_H1_E_HOST_MISMATCH,
     "absolute-form vs Host"},
    {S("CONNECT a:443 HTTP/1.1\r\nHost: b:443\r\n\r\n"), 400, MG_H1_E_HOST_MISMATCH,
     "authority-form vs Host"},
    /* Connection, Upgrade, Expect */
    {S("GET / HTTP/1.1\r\n" H "Connection: close, a b\r\n\r\n"), 400, MG_H1_E_CONNECTION_INVALID,
     "non-token Connection option"},
    {S("GET / HTTP/1.1\r\n" H "Connection: a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\r\n\r\n"), 400,
     MG_H1_E_CONNECTION_TOO_MANY, "17 Connection options"},
    {S("GET / HTTP/1.1\r\n" H "Upgrade: a\r\nUpgrade: b\r\n\r\n"), 400, MG_H1_E_UPGRADE_INVALID,
     "two Upgrade lines"},
    {S("GET / HTTP/1.1\r\n" H "Upgrade: /x\r\n\r\n"), 400, MG_H1_E_UPGRADE_INVALID,
     "Upgrade without protocol name"},
    {S("GET / HTTP/1.1\r\n" H "Upgrade: a/\r\n\r\n"), 400, MG_H1_E_UPGRADE_INVALID,
     "Upgrade without protocol version"},
    {S("GET / HTTP/1.1\r\n" H "Upgrade: ,\r\n\r\n"), 400, MG_H1_E_UPGRADE_INVALID, "empty Upgrade"},
    {S("GET / HTTP/1.1\r\n" H "Upgrade: a b\r\n\r\n"), 400, MG_H1_E_UPGRADE_INVALID,
     "Upgrade with a space"},
    {S("GET / HTTP/1.1\r\n" H "Expect: 200-ok\r\n\r\n"), 417, MG_H1_E_EXPECT,
     "unknown expectation"},
};

_Static_assert(sizeof(bad_requests) / sizeof(bad_requests[0]) >= 40, "the corpus has 40+ cases");

MG_TEST(h1_malformed_requests_rejected)
{
	struct mg_h1_request r;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		MG_CASE("%zu: %s", i, bad_requests[i].what);
		rc = parse_req(&r, fields_a, bad_requests[i].in, bad_requests[i].len, NULL);
		MG_EXPECT_EQ_INT(rc, MG_H1_ERROR);
		MG_EXPECT_EQ_INT(r.head.err_status, bad_requests[i].status);
		MG_EXPECT_STR(mg_h1_reason_name(r.head.err_reason),
		              mg_h1_reason_name(bad_requests[i].reason));
		MG_EXPECT_EQ_INT(mg_h1_reason_status(r.head.err_reason), bad_requests[i].status);
		MG_EXPECT(r.head.err_offset <= bad_requests[i].len);
		MG_EXPECT(!r.head.keep_alive);
	}
}

/* Fed one byte at a time, a malformed head is incomplete until it fails, for the same reason. */
MG_TEST(h1_malformed_requests_byte_at_a_time)
{
	struct mg_h1_request r;
	struct guard g;
	size_t i, n;
	char *buf;
	int rc;

	for (i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		MG_CASE("%zu: %s", i, bad_requests[i].what);
		buf = guard_copy(&g, bad_requests[i].in, bad_requests[i].len);
		mg_h1_request_init(&r, fields_a, MAXF, NULL);
		rc = MG_H1_INCOMPLETE;
		for (n = 0; n <= bad_requests[i].len && rc == MG_H1_INCOMPLETE; n++)
			rc = mg_h1_request_parse(&r, buf, n);
		MG_EXPECT_EQ_INT(rc, MG_H1_ERROR);
		MG_EXPECT_EQ_INT(r.head.err_reason, bad_requests[i].reason);
		/* Errors are sticky. */
		MG_EXPECT_EQ_INT(mg_h1_request_parse(&r, buf, bad_requests[i].len), MG_H1_ERROR);
		guard_free(&g);
	}
}

/* ---- limits --------------------------------------------------------------------------------- */

/* Builds "GET /<target_len - 1 x 'a'> HTTP/1.1\r\nHost: h\r\n" + <nfields> "X-n: v" + CRLF. */
static size_t
build_request(char *out, size_t size, size_t target_len, unsigned int nfields, size_t value_len)
{
	size_t o = 0, k;
	unsigned int i;

	o += (size_t)snprintf(out + o, size - o, "GET /");
	for (k = 1; k < target_len; k++)
		out[o++] = 'a';
	o += (size_t)snprintf(out + o, size - o, " HTTP/1.1\r\nHost: h\r\n");
	for (i = 0; i < nfields; i++) {
		o += (size_t)snprintf(out + o, size - o, "X-%u: ", i);
		for (k = 0; k < value_len; k++)
			out[o++] = 'v';
		out[o++] = '\r';
		out[o++] = '\n';
	}
	out[o++] = '\r';
	out[o++] = '\n';
	return o;
}

MG_TEST(h1_limits_and_their_statuses)
{
	static char big[300000];
	struct mg_h1_request r;
	struct mg_h1_limits lim = {0};
	size_t n;

	/* Request line: exactly 8192 bytes without CRLF is fine, one more is 414. */
	n = build_request(big, sizeof(big), 8192 - 4 - 9, 0, 0);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, n, NULL), (int)n);
	n = build_request(big, sizeof(big), 8192 - 4 - 9 + 1, 0, 0);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, n, NULL), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_status, 414);
	MG_EXPECT_EQ_INT(r.head.err_reason, MG_H1_E_START_LINE_TOO_LONG);
	/* ... and it is found before the line ends. */
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, 8193, NULL), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_status, 414);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, 8192, NULL), MG_H1_INCOMPLETE);
	/* A "method" longer than the line limit is a bad method. */
	memset(big, 'A', 9000);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, 9000, NULL), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_reason, MG_H1_E_METHOD);

	/* 100 fields (Host + 99) pass, 101 get 431. */
	n = build_request(big, sizeof(big), 1, 99, 1);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, n, NULL), (int)n);
	MG_EXPECT_EQ_UINT(r.head.nfields, 100);
	n = build_request(big, sizeof(big), 1, 100, 1);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, n, NULL), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_status, 431);
	MG_EXPECT_EQ_INT(r.head.err_reason, MG_H1_E_TOO_MANY_FIELDS);
	/* A smaller caller array is the tighter limit. */
	n = build_request(big, sizeof(big), 1, 3, 1);
	mg_h1_request_init(&r, fields_a, 3, NULL);
	MG_EXPECT_EQ_INT(mg_h1_request_parse(&r, big, n), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_reason, MG_H1_E_TOO_MANY_FIELDS);
	/* Without an array the fields are only counted. */
	mg_h1_request_init(&r, NULL, 0, NULL);
	MG_EXPECT_EQ_INT(mg_h1_request_parse(&r, big, n), (int)n);
	MG_EXPECT_EQ_UINT(r.head.nfields, 4);

	/* Head: exactly 32768 bytes pass, 32769 get 431, found without waiting for the end. */
	n = build_request(big, sizeof(big), 1, 1, 32768 - 34);
	MG_ASSERT_EQ_UINT(n, 32768);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, n, NULL), (int)n);
	n = build_request(big, sizeof(big), 1, 1, 32768 - 34 + 1);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, n, NULL), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_status, 431);
	MG_EXPECT_EQ_INT(r.head.err_reason, MG_H1_E_HEAD_TOO_LARGE);
	n = build_request(big, sizeof(big), 1, 1, 100000);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, 32768, NULL), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_status, 431);
	/* Leading empty lines count. */
	memset(big, 0, sizeof(big));
	for (n = 0; n < 32768; n += 2)
		memcpy(big + n, "\r\n", 2);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, n, NULL), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_status, 431);

	/* Configured limits. */
	lim.max_start_line = 100;
	lim.max_head = 200;
	lim.max_fields = 2;
	lim.max_body = 1000;
	n = build_request(big, sizeof(big), 101 - 4 - 9, 0, 0);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, n, &lim), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_status, 414);
	n = build_request(big, sizeof(big), 1, 2, 1);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, n, &lim), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_status, 431);
	n = build_request(big, sizeof(big), 1, 1, 170);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a, big, n, &lim), MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_reason, MG_H1_E_HEAD_TOO_LARGE);
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a,
	                           S("POST / HTTP/1.1\r\nHost: h\r\n"
	                             "Content-Length: 1000\r\n\r\n"),
	                           &lim),
	                 (int)strlen("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n"));
	MG_EXPECT_EQ_INT(parse_req(&r, fields_a,
	                           S("POST / HTTP/1.1\r\nHost: h\r\n"
	                             "Content-Length: 1001\r\n\r\n"),
	                           &lim),
	                 MG_H1_ERROR);
	MG_EXPECT_EQ_INT(r.head.err_status, 413);
	MG_EXPECT_EQ_INT(r.head.err_reason, MG_H1_E_CL_TOO_LARGE);
	/* Limits are capped so that lengths fit an int; zero means the default. */
	lim.max_start_line = 0;
	lim.max_head = 0xffffffffu;
	lim.max_fields = 0;
	mg_h1_request_init(&r, fields_a, MAXF, &lim);
	MG_EXPECT_EQ_UINT(r.head.limits.max_head, MG_H1_LIMIT_CAP);
	MG_EXPECT_EQ_UINT(r.head.limits.max_start_line, MG_H1_DEFAULT_MAX_START_LINE);
	MG_EXPECT_EQ_UINT(r.head.limits.max_fields, MG_H1_DEFAULT_MAX_FIELDS);
	lim.max_start_line = 100;
	lim.max_head = 200;
	lim.max_fields = 2;
	/* Chunked bodies are limited by the decoder (mg_chunked_limits.max_body). */
	MG_EXPECT(parse_req(&r, fields_a,
	                    S("POST / HTTP/1.1\r\nHost: h\r\n"
	                      "Transfer-Encoding: chunked\r\n\r\n"),
	                    &lim) > 0);
}

/* Feeding a 32 KiB head one byte at a time examines O(n) bytes, not O(n^2). */
MG_TEST(h1_one_byte_at_a_time_is_linear)
{
	static char big[40000];
	struct mg_h1_request r;
	size_t n, i;
	int rc = 0;

	n = build_request(big, sizeof(big), 5000, 30, 800);
	mg_h1_request_init(&r, fields_a, MAXF, NULL);
	for (i = 0; i <= n; i++)
		rc = mg_h1_request_parse(&r, big, i);
	MG_EXPECT_EQ_INT(rc, (int)n);
	MG_EXPECT(r.head.st.examined <= 2 * n);
	MG_EXPECT(r.head.st.examined >= n - 2);
}

/* ---- responses ------------------------------------------------------------------------------ */

static const struct {
	const char *in;
	size_t len;
	enum mg_h1_method method;
	int status;
	enum mg_h1_body body;
	bool keep_alive;
} valid_responses[] = {
    {S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), MG_H1_M_GET, 200, MG_H1_BODY_LENGTH, true},
    {S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), MG_H1_M_GET, 200,
     MG_H1_BODY_CHUNKED, true},
    {S("HTTP/1.1 200 OK\r\n\r\n"), MG_H1_M_GET, 200, MG_H1_BODY_EOF, false},
    {S("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n"), MG_H1_M_GET, 200, MG_H1_BODY_LENGTH, false},
    {S("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n"), MG_H1_M_GET, 200,
     MG_H1_BODY_LENGTH, true},
    {S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), MG_H1_M_HEAD, 200, MG_H1_BODY_NONE, true},
    {S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), MG_H1_M_HEAD, 200, MG_H1_BODY_NONE,
     true},
    {S("HTTP/1.1 204 No Content\r\n\r\n"), MG_H1_M_GET, 204, MG_H1_BODY_NONE, true},
    {S("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"), MG_H1_M_DELETE, 204,
     MG_H1_BODY_NONE, true},
    {S("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"), MG_H1_M_GET, 304,
     MG_H1_BODY_NONE, true},
    {S("HTTP/1.1 100 Continue\r\n\r\n"), MG_H1_M_POST, 100, MG_H1_BODY_NONE, true},
    {S("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"), MG_H1_M_GET, 103,
     MG_H1_BODY_NONE, true},
    {S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"),
     MG_H1_M_GET, 101, MG_H1_BODY_TUNNEL, false},
    {S("HTTP/1.1 200 Connection established\r\n\r\n"), MG_H1_M_CONNECT, 200, MG_H1_BODY_TUNNEL,
     false},
    {S("HTTP/1.1 407 Proxy Auth\r\nContent-Length: 0\r\n\r\n"), MG_H1_M_CONNECT, 407,
     MG_H1_BODY_LENGTH, true},
    {S("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"), MG_H1_M_GET, 200, MG_H1_BODY_LENGTH, true},
    {S("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"), MG_H1_M_GET, 200, MG_H1_BODY_LENGTH, true},
    {S("HTTP/1.1 404 Not\tFound \xe9\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
     MG_H1_M_GET, 404, MG_H1_BODY_LENGTH, false},
    {S("HTTP/1.1 599 Whatever\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n"), MG_H1_M_GET, 599,
     MG_H1_BODY_LENGTH, true},
};

MG_TEST(h1_valid_responses)
{
	struct mg_h1_response one, inc;
	struct guard g;
	size_t i, n, len;
	char *buf;
	int rc = 0;

	for (i = 0; i < sizeof(valid_responses) / sizeof(valid_responses[0]); i++) {
		len = valid_responses[i].len;
		MG_CASE("valid response %zu", i);
		buf = guard_copy(&g, valid_responses[i].in, len);
		mg_h1_response_init(&one, fields_a, MAXF, NULL, valid_responses[i].method);
		MG_EXPECT_EQ_INT(mg_h1_response_parse(&one, buf, len), (int)len);
		MG_EXPECT_EQ_INT(one.status, valid_responses[i].status);
		MG_EXPECT_EQ_INT(one.head.body, valid_responses[i].body);
		MG_EXPECT_EQ_INT(one.head.keep_alive, valid_responses[i].keep_alive);
		MG_EXPECT_EQ_INT(one.interim, one.status < 200 && one.status != 101);
		MG_EXPECT_EQ_INT(one.head.upgrade, one.status == 101);

		mg_h1_response_init(&inc, fields_b, MAXF, NULL, valid_responses[i].method);
		for (n = 0; n <= len; n++) {
			rc = mg_h1_response_parse(&inc, buf, n);
			if (n < len)
				MG_EXPECT_EQ_INT(rc, MG_H1_INCOMPLETE);
		}
		MG_EXPECT_EQ_INT(rc, (int)len);
		MG_EXPECT_EQ_INT(off(inc.reason, buf), off(one.reason, buf));
		MG_EXPECT_EQ_UINT(inc.reason.len, one.reason.len);
		expect_same_head(&one.head, buf, &inc.head, buf);
		guard_free(&g);
	}
	MG_ASSERT(parse_resp(&one, fields_a, S("HTTP/1.1 404 Not Found\r\n\r\n"), MG_H1_M_GET) > 0);
	MG_EXPECT(view_is(one.reason, "Not Found"));
}

/* A response whose buffer moves between calls parses the same as one that does not. */
MG_TEST(h1_response_buffer_moves)
{
	static const char s[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX: y\r\n\r\nabc";
	struct mg_h1_response r;
	char a[sizeof(s)], b[sizeof(s)];

	memcpy(a, s, sizeof(s));
	memcpy(b, s, sizeof(s));
	mg_h1_response_init(&r, fields_a, MAXF, NULL, MG_H1_M_HEAD);
	MG_EXPECT_EQ_INT(mg_h1_response_parse(&r, a, 20), MG_H1_INCOMPLETE);
	MG_EXPECT_EQ_INT(mg_h1_response_parse(&r, b, 30), MG_H1_INCOMPLETE);
	MG_EXPECT_EQ_INT(mg_h1_response_parse(&r, a, sizeof(s) - 1), (int)sizeof(s) - 1 - 3);
	MG_EXPECT(r.status == 200 && r.req_method == MG_H1_M_HEAD);
	MG_EXPECT_EQ_INT(r.head.body, MG_H1_BODY_NONE);
	MG_EXPECT(r.head.nfields == 2 && fields_a[1].value.p == a + 39);
}

MG_TEST(h1_interim_then_final_response)
{
	static const char s[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
	                        "Content-Length: 0\r\n\r\n";
	struct mg_h1_response r;
	int a, b;

	mg_h1_response_init(&r, fields_a, MAXF, NULL, MG_H1_M_POST);
	a = mg_h1_response_parse(&r, s, sizeof(s) - 1);
	MG_ASSERT_EQ_INT(a, 25);
	MG_EXPECT(r.interim);
	mg_h1_response_init(&r, fields_a, MAXF, NULL, MG_H1_M_POST);
	b = mg_h1_response_parse(&r, s + a, sizeof(s) - 1 - (size_t)a);
	MG_EXPECT_EQ_INT(a + b, (int)sizeof(s) - 1);
	MG_EXPECT(!r.interim && r.status == 201);
}

static const struct {
	const char *in;
	size_t len;
	enum mg_h1_method method;
	enum mg_h1_reason reason;
	const char *what;
} bad_responses[] = {
    {S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"), MG_H1_M_GET,
     MG_H1_E_CL_AND_TE, "CL and TE"},
    {S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), MG_H1_M_GET,
     MG_H1_E_CL_CONFLICT, "two CLs"},
    {S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), MG_H1_M_GET,
     MG_H1_E_TE_CHUNKED_NOT_LAST, "chunked not last"},
    {S("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), MG_H1_M_GET, MG_H1_E_TE_UNSUPPORTED,
     "gzip"},
    {S("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), MG_H1_M_GET, MG_H1_E_TE_HTTP10,
     "TE in HTTP/1.0"},
    {S("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"), MG_H1_M_GET, MG_H1_E_CL_NOT_ALLOWED,
     "204 with a body length"},
    {S("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n"), MG_H1_M_GET,
     MG_H1_E_TE_NOT_ALLOWED, "204 chunked"},
    {S("HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n"), MG_H1_M_GET, MG_H1_E_CL_NOT_ALLOWED,
     "100 with a body length"},
    {S("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n\r\n"), MG_H1_M_GET,
     MG_H1_E_UPGRADE_INVALID, "101 without Upgrade"},
    {S("HTTP/1.1 20 OK\r\n\r\n"), MG_H1_M_GET, MG_H1_E_STATUS_CODE, "two-digit status"},
    {S("HTTP/1.1 2000 OK\r\n\r\n"), MG_H1_M_GET, MG_H1_E_STATUS_CODE, "four-digit status"},
    {S("HTTP/1.1 099 Low\r\n\r\n"), MG_H1_M_GET, MG_H1_E_STATUS_CODE, "status below 100"},
    {S("HTTP/1.1 600 High\r\n\r\n"), MG_H1_M_GET, MG_H1_E_STATUS_CODE, "status above 599"},
    {S("HTTP/1.1  200 OK\r\n\r\n"), MG_H1_M_GET, MG_H1_E_STATUS_CODE, "two spaces"},
    {S("HTTP/1.1\r\n\r\n"), MG_H1_M_GET, MG_H1_E_STATUS_LINE, "no status"},
    {S("HTTP/2 200\r\n\r\n"), MG_H1_M_GET, MG_H1_E_VERSION, "HTTP/2"},
    {S("HTTP/2.0 200 OK\r\n\r\n"), MG_H1_M_GET, MG_H1_E_VERSION_UNSUPPORTED, "HTTP/2.0"},
    {S("ICY 200 OK\r\n\r\n"), MG_H1_M_GET, MG_H1_E_STATUS_LINE, "not HTTP"},
    {S("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"), MG_H1_M_GET, MG_H1_E_BARE_LF, "bare LF"},
    {S("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"), MG_H1_M_GET, MG_H1_E_BARE_CR, "bare CR"},
    {S("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"), MG_H1_M_GET, MG_H1_E_OBS_FOLD, "obs-fold"},
    {S("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"), MG_H1_M_GET, MG_H1_E_WS_BEFORE_COLON,
     "space before colon"},
    {S("HTTP/1.1 200 OK\0\r\n\r\n"), MG_H1_M_GET, MG_H1_E_CTL, "NUL in the reason"},
};

MG_TEST(h1_malformed_responses_are_502)
{
	struct mg_h1_response r;
	size_t i;

	for (i = 0; i < sizeof(bad_responses) / sizeof(bad_responses[0]); i++) {
		MG_CASE("%zu: %s", i, bad_responses[i].what);
		MG_EXPECT_EQ_INT(parse_resp(&r, fields_a, bad_responses[i].in, bad_responses[i].len,
		                            bad_responses[i].method),
		                 MG_H1_ERROR);
		MG_EXPECT_EQ_INT(r.head.err_status, 502);
		MG_EXPECT_STR(mg_h1_reason_name(r.head.err_reason),
		              mg_h1_reason_name(bad_responses[i].reason));
	}
}

MG_TEST(h1_reason_tables_complete)
{
	unsigned int r, s;

	for (r = 0; r < MG_H1_REASON_COUNT; r++) {
		MG_CASE("reason %u", r);
		MG_EXPECT(mg_h1_reason_name((enum mg_h1_reason)r) != NULL);
		MG_EXPECT(strcmp(mg_h1_reason_name((enum mg_h1_reason)r), "unknown") != 0);
		MG_EXPECT(mg_h1_reason_text((enum mg_h1_reason)r) != NULL);
		s = (unsigned int)mg_h1_reason_status((enum mg_h1_reason)r);
		MG_EXPECT(r == MG_H1_OK ? s == 0 : s >= 400 && s <= 505);
	}
	MG_EXPECT_STR(mg_h1_reason_name(MG_H1_REASON_COUNT), "unknown");
	MG_EXPECT_STR(mg_h1_reason_name(MG_H1_E_CL_AND_TE), "cl_and_te");
	MG_EXPECT_EQ_INT(mg_h1_method_lookup("PATCH", 5), MG_H1_M_PATCH);
	MG_EXPECT_EQ_INT(mg_h1_method_lookup("PATCHX", 6), MG_H1_M_OTHER);
}

/*
 * The line scanner looks at sixteen bytes at a time where it can: a control
 * character or DEL at any position of a long line, in the target or in a
 * value, is found at its exact offset, and HTAB, obs-text and the edges of
 * the plain range pass wherever they are.
 */
MG_TEST(h1_line_scan_every_position)
{
	static const unsigned char bad[] = {0x00, 0x01, 0x08, 0x0b, 0x1f, 0x7f, '\n', '\r'};
	static const unsigned char good[] = {'\t', ' ', '!', '~', 0x80, 0xff};
	const char *pre_t = "GET /", *pre_v = "GET / HTTP/1.1\r\nHost: h\r\nX: v";
	struct mg_h1_request r;
	char buf[256];
	size_t k, pos, n, at;
	int target, rc;

	for (target = 0; target <= 1; target++) {
		const char *pre = target ? pre_t : pre_v;
		size_t pl = strlen(pre);

		for (pos = 0; pos < 70; pos++) {
			for (k = 0; k < sizeof(bad) + sizeof(good); k++) {
				unsigned char ch = k < sizeof(bad) ? bad[k] : good[k - sizeof(bad)];

				if (target && (ch == ' ' || ch == '\t' || ch >= 0x80))
					continue; /* not allowed in a target: other errors */
				memcpy(buf, pre, pl);
				memset(buf + pl, 'a', 70);
				at = pl + pos;
				buf[at] = (char)ch;
				n = pl + 70;
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s",
				                      target ? " HTTP/1.1\r\nHost: h\r\n\r\n"
				                             : "\r\n\r\n");
				MG_CASE("%s byte 0x%02x at %zu", target ? "target" : "value", ch,
				        pos);
				rc = parse_req(&r, fields_a, buf, n, NULL);
				if (k >= sizeof(bad)) {
					MG_EXPECT_EQ_INT(rc, (int)n);
					continue;
				}
				MG_EXPECT_EQ_INT(rc, MG_H1_ERROR);
				MG_EXPECT_EQ_UINT(r.head.err_offset, at);
				MG_EXPECT_EQ_INT(r.head.err_reason, ch == '\n'   ? MG_H1_E_BARE_LF
				                                    : ch == '\r' ? MG_H1_E_BARE_CR
				                                                 : MG_H1_E_CTL);
			}
		}
	}
}
