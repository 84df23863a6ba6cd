/*
 * The chunked decoder and encoder (gateway/http/mg_chunked.c): valid bodies
 * decoded whole, byte by byte and in odd pieces (same data, same length,
 * same trailers), the malformed corpus with its reasons, the span
 * invariants, limits, and encode/decode round trips.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gateway/http/mg_chunked.h"
#include "tests/unit/mgtest.h"

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
	if (g->map == MAP_FAILED || mprotect(g->map + data, pg, PROT_NONE) != 0) {
		perror("mmap");
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

#define FEED_INCOMPLETE (-2)

/*
 * Plays the proxy: the bytes of <in> become available <step> at a time (0:
 * all at once); unconsumed bytes are presented again with the new ones.
 * With <guarded>, every call gets its window in a fresh guarded copy.  The
 * decoded data goes to <out>.  Returns the bytes the body took,
 * MG_CHUNKED_ERROR, or FEED_INCOMPLETE.  Checks the span invariants on the
 * way.
 */
static long
feed(struct mg_chunked *d, const char *in, size_t len, size_t step, bool guarded, char *out,
     size_t *out_len)
{
	size_t off = 0, avail = step == 0 || step > len ? len : step;
	struct mg_chunked_span sp;
	struct guard g;
	const char *win;
	ssize_t n;

	*out_len = 0;
	for (;;) {
		win = guarded ? guard_copy(&g, in + off, avail - off) : in + off;
		n = mg_chunked_decode(d, win, avail - off, &sp);
		if (n >= 0) {
			MG_EXPECT((size_t)n <= avail - off);
			MG_EXPECT_EQ_UINT(sp.framing + sp.data_len, (size_t)n);
			if (sp.data_len > 0) {
				MG_EXPECT(sp.data == win + n - sp.data_len);
				memcpy(out + *out_len, sp.data, sp.data_len);
				*out_len += sp.data_len;
			} else {
				MG_EXPECT(sp.data == NULL);
			}
		}
		if (guarded)
			guard_free(&g);
		if (n < 0)
			return MG_CHUNKED_ERROR;
		off += (size_t)n;
		if (mg_chunked_done(d))
			return (long)off;
		if (n == 0 || off == avail) {
			if (avail == len)
				return FEED_INCOMPLETE;
			avail = avail + step > len ? len : avail + step;
		}
	}
}

static const struct {
	const char *in;
	size_t len;
	const char *data;
	size_t body_len; /* bytes of the chunked body; the rest is the next message */
	unsigned int ntrailers;
} valid_bodies[] = {
    {S("0\r\n\r\n"), "", 5, 0},
    {S("5\r\nhello\r\n0\r\n\r\n"), "hello", 15, 0},
    {S("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), "hello world", 26, 0},
    {S("A\r\n0123456789\r\n0\r\n\r\n"), "0123456789", 20, 0},
    {S("a;foo=bar\r\n0123456789\r\n0\r\n\r\n"), "0123456789", 28, 0},
    {S("3;name=\"quoted \\\"v\\\" \xe9\";x\r\nabc\r\n0\r\n\r\n"), "abc", 37, 0},
    {S("3 ;a = b ;c\t=\t\"d\"\r\nabc\r\n0\r\n\r\n"), "abc", 29, 0},
    {S("000003\r\nabc\r\n0000\r\n\r\n"), "abc", 21, 0},
    {S("2\r\n\r\n\r\n0\r\n\r\n"), "\r\n", 12, 0},
    {S("3\r\nabc\r\n0\r\nGrpc-Status: 0\r\ngrpc-message:  ok \r\n\r\n"), "abc", 49, 2},
    {S("0;ext=1\r\nX: y\r\n\r\n"), "", 17, 1},
    {S("1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n"), "x", 11, 0},
    {S("F\r\n0123456789abcde\r\n1\r\nf\r\n0\r\nX:\r\n\r\n"), "0123456789abcdef", 35, 1},
    {S("1;a;b=c;d=\"\\\\\";e\r\nx\r\n0\r\n\r\n"), "x", 26, 0},
};

MG_TEST(chunked_valid_bodies_all_ways)
{
	static const size_t steps[] = {0, 1, 2, 3, 7, 64};
	static char out[256];
	struct mg_h1_field tr[8];
	struct mg_chunked d;
	size_t i, k, out_len;
	long rc;

	for (i = 0; i < sizeof(valid_bodies) / sizeof(valid_bodies[0]); i++) {
		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			MG_CASE("valid body %zu, step %zu", i, steps[k]);
			mg_chunked_init(&d, NULL, tr, 8);
			rc = feed(&d, valid_bodies[i].in, valid_bodies[i].len, steps[k], true, out,
			          &out_len);
			MG_EXPECT_EQ_INT(rc, (long)valid_bodies[i].body_len);
			MG_EXPECT_EQ_UINT(out_len, strlen(valid_bodies[i].data));
			MG_EXPECT_MEM(out, valid_bodies[i].data, out_len);
			MG_EXPECT_EQ_UINT(d.body_len, out_len);
			MG_EXPECT_EQ_UINT(d.ntrailers, valid_bodies[i].ntrailers);
			MG_EXPECT(mg_chunked_done(&d));
		}
	}
}

MG_TEST(chunked_every_prefix_is_incomplete)
{
	static char out[256];
	struct mg_chunked d;
	size_t i, n, out_len;

	for (i = 0; i < sizeof(valid_bodies) / sizeof(valid_bodies[0]); i++) {
		for (n = 0; n < valid_bodies[i].body_len; n++) {
			MG_CASE("valid body %zu, prefix %zu", i, n);
			mg_chunked_init(&d, NULL, NULL, 0);
			MG_EXPECT_EQ_INT(feed(&d, valid_bodies[i].in, n, 0, true, out, &out_len),
			                 FEED_INCOMPLETE);
			MG_EXPECT(!mg_chunked_done(&d));
		}
	}
}

MG_TEST(chunked_trailers_and_done_state)
{
	static const char s[] = "3\r\nabc\r\n0\r\nGrpc-Status: 0\r\ngrpc-message:  ok \r\n\r\nNEXT";
	struct mg_h1_field tr[4];
	struct mg_chunked_span sp;
	struct mg_chunked d;
	size_t off = 0;
	ssize_t n;

	mg_chunked_init(&d, NULL, tr, 4);
	while (!mg_chunked_done(&d)) {
		n = mg_chunked_decode(&d, s + off, sizeof(s) - 1 - off, &sp);
		MG_ASSERT(n > 0);
		off += (size_t)n;
	}
	MG_EXPECT_EQ_UINT(off, sizeof(s) - 1 - 4);
	MG_ASSERT_EQ_UINT(d.ntrailers, 2);
	MG_EXPECT(tr[0].name.len == 11 && memcmp(tr[0].name.p, "Grpc-Status", 11) == 0);
	MG_EXPECT(tr[0].value.len == 1 && tr[0].value.p[0] == '0');
	MG_EXPECT(tr[1].name.len == 12 && memcmp(tr[1].name.p, "grpc-message", 12) == 0);
	MG_EXPECT(tr[1].value.len == 2 && memcmp(tr[1].value.p, "ok", 2) == 0);
	/* After the end nothing more is consumed. */
	MG_EXPECT_EQ_INT(mg_chunked_decode(&d, s + off, 4, &sp), 0);
	MG_EXPECT(sp.data == NULL && sp.data_len == 0 && sp.framing == 0);

	/* An empty call (even with no buffer) does nothing, in any state. */
	mg_chunked_init(&d, NULL, tr, 4);
	MG_EXPECT_EQ_INT(mg_chunked_decode(&d, NULL, 0, &sp), 0);
	MG_EXPECT_EQ_INT(mg_chunked_decode(&d, S("0\r\n"), &sp), 3);
	MG_EXPECT_EQ_INT(mg_chunked_decode(&d, NULL, 0, &sp), 0);
	MG_EXPECT(!mg_chunked_done(&d));

	/* A trailer section is not consumed until complete. */
	mg_chunked_init(&d, NULL, tr, 4);
	MG_EXPECT_EQ_INT(mg_chunked_decode(&d, S("0\r\nX: 1\r\n"), &sp), 3);
	MG_EXPECT_EQ_INT(mg_chunked_decode(&d, S("X: 1\r\n"), &sp), 0);
	MG_EXPECT(!mg_chunked_done(&d));
	MG_EXPECT_EQ_INT(mg_chunked_decode(&d, S("X: 1\r\n\r\n"), &sp), 8);
	MG_EXPECT(mg_chunked_done(&d) && d.ntrailers == 1);

	/* Without an array, trailers are validated and counted only. */
	mg_chunked_init(&d, NULL, NULL, 0);
	MG_EXPECT_EQ_INT(mg_chunked_decode(&d, S("0\r\nA: 1\r\nB: 2\r\n\r\n"), &sp), 17);
	MG_EXPECT(mg_chunked_done(&d) && d.ntrailers == 2);
}

static const struct {
	const char *in;
	size_t len;
	enum mg_chunked_reason reason;
	const char *what;
} bad_bodies[] = {
    {S("0x10\r\n"), MG_CHUNKED_E_SIZE, "0x prefix"},
    {S("-1\r\n"), MG_CHUNKED_E_SIZE, "negative"},
    {S("+1\r\n"), MG_CHUNKED_E_SIZE, "plus sign"},
    {S(" 5\r\nhello\r\n"), MG_CHUNKED_E_SIZE, "leading space"},
    {S("\r\n"), MG_CHUNKED_E_SIZE, "empty size"},
    {S("g\r\n"), MG_CHUNKED_E_SIZE, "not hex"},
    {S("5\0\r\nhello"), MG_CHUNKED_E_SIZE, "NUL after size"},
    {S("10000000000000000\r\n"), MG_CHUNKED_E_SIZE_TOO_LONG, "17 digits, overflow"},
    {S("00000000000000001\r\n"), MG_CHUNKED_E_SIZE_TOO_LONG, "17 digits, leading zeros"},
    {S("5\r\nhelloX\r\n0\r\n\r\n"), MG_CHUNKED_E_DATA_CRLF, "no CRLF after data"},
    {S("5\r\nhello\n0\r\n\r\n"), MG_CHUNKED_E_DATA_CRLF, "LF after data"},
    {S("5\r\nhello\r0\r\n\r\n"), MG_CHUNKED_E_DATA_CRLF, "CR after data"},
    {S("3\r\nhello\r\n0\r\n\r\n"), MG_CHUNKED_E_DATA_CRLF, "size smaller than data"},
    {S("5\nhello\r\n"), MG_CHUNKED_E_BARE_LF, "LF after size"},
    {S("5\rhello\r\n"), MG_CHUNKED_E_BARE_CR, "CR alone after size"},
    {S("5;a\nhello\r\n"), MG_CHUNKED_E_BARE_LF, "LF after extension"},
    {S("5 \r\nhello\r\n"), MG_CHUNKED_E_EXT, "space after size"},
    {S("5\t\r\nhello\r\n"), MG_CHUNKED_E_EXT, "tab after size"},
    {S("5;\r\nhello\r\n"), MG_CHUNKED_E_EXT, "empty extension"},
    {S("5;a=\r\nhello\r\n"), MG_CHUNKED_E_EXT, "empty extension value"},
    {S("5;a=\"x\r\nhello\r\n"), MG_CHUNKED_E_EXT, "unterminated quoted value"},
    {S("5;a b\r\nhello\r\n"), MG_CHUNKED_E_EXT, "two words"},
    {S("5;a=b c\r\nhello\r\n"), MG_CHUNKED_E_EXT, "value then word"},
    {S("5;a=\"b\"c\r\nhello\r\n"), MG_CHUNKED_E_EXT, "quoted then token"},
    {S("5;a\x01\r\nhello\r\n"), MG_CHUNKED_E_EXT, "control char in extension"},
    {S("5;a=(b)\r\nhello\r\n"), MG_CHUNKED_E_EXT, "delimiter in token value"},
    {S("5;a \r\nhello\r\n"), MG_CHUNKED_E_EXT, "space at end of extension"},
    {S("5;a=\"\\\x01\"\r\nhello\r\n"), MG_CHUNKED_E_EXT, "control char after backslash"},
    {S("5;a=\"\x7f\"\r\nhello\r\n"), MG_CHUNKED_E_EXT, "DEL in quoted value"},
    {S("5;a=b\nhello\r\n"), MG_CHUNKED_E_BARE_LF, "LF after extension value"},
    {S("5;a =\nhello\r\n"), MG_CHUNKED_E_BARE_LF, "LF after '='"},
    {S("0\r\nX y\r\n\r\n"), MG_CHUNKED_E_TRAILER_FIELD, "trailer without colon"},
    {S("0\r\n X: y\r\n\r\n"), MG_CHUNKED_E_TRAILER_FIELD, "folded trailer"},
    {S("0\r\nX : y\r\n\r\n"), MG_CHUNKED_E_TRAILER_FIELD, "space before colon"},
    {S("0\r\nX: \x01\r\n\r\n"), MG_CHUNKED_E_TRAILER_FIELD, "control char in trailer"},
    {S("0\r\n: y\r\n\r\n"), MG_CHUNKED_E_TRAILER_FIELD, "empty trailer name"},
    {S("0\r\nX: y\n\r\n"), MG_CHUNKED_E_BARE_LF, "LF in trailer"},
    {S("0\r\nX: y\r\r\n"), MG_CHUNKED_E_BARE_CR, "CR in trailer"},
    {S("0\r\n\n"), MG_CHUNKED_E_BARE_LF, "LF ending the body"},
};

MG_TEST(chunked_malformed_bodies_rejected)
{
	static const size_t steps[] = {0, 1, 3};
	static char out[64];
	struct mg_h1_field tr[8];
	struct mg_chunked d;
	size_t i, k, out_len;

	for (i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]); i++) {
		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			MG_CASE("%zu: %s, step %zu", i, bad_bodies[i].what, steps[k]);
			mg_chunked_init(&d, NULL, tr, 8);
			MG_EXPECT_EQ_INT(feed(&d, bad_bodies[i].in, bad_bodies[i].len, steps[k],
			                      true, out, &out_len),
			                 MG_CHUNKED_ERROR);
			MG_EXPECT_STR(mg_chunked_reason_name(d.reason),
			              mg_chunked_reason_name(bad_bodies[i].reason));
			MG_EXPECT_EQ_INT(mg_chunked_reason_status(d.reason), 400);
			/* Errors are sticky. */
			MG_EXPECT_EQ_INT(
			    mg_chunked_decode(&d, "0\r\n\r\n", 5, &(struct mg_chunked_span){0}),
			    MG_CHUNKED_ERROR);
		}
	}
}

/* Writes a body with no data and <n> trailer fields "T<i>: v". */
static size_t
build_trailers(char *in, size_t size, unsigned int n)
{
	size_t o;
	unsigned int i;

	o = (size_t)snprintf(in, size, "0\r\n");
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(in + o, size - o, "T%u: v\r\n", i);
	o += (size_t)snprintf(in + o, size - o, "\r\n");
	return o;
}

MG_TEST(chunked_limits)
{
	static char in[40000], out[40000];
	struct mg_chunked_limits lim = {0};
	struct mg_h1_field tr[64];
	struct mg_chunked d;
	size_t n, out_len;

	/* Extensions (";" and the name here): 1024 bytes pass, 1025 fail. */
	n = (size_t)snprintf(in, sizeof(in), "1;");
	memset(in + n, 'a', 1023);
	n += 1023;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nx\r\n0\r\n\r\n");
	mg_chunked_init(&d, NULL, tr, 64);
	MG_EXPECT_EQ_INT(feed(&d, in, n, 0, true, out, &out_len), (long)n);
	n = (size_t)snprintf(in, sizeof(in), "1;");
	memset(in + n, 'a', 1024);
	n += 1024;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nx\r\n0\r\n\r\n");
	mg_chunked_init(&d, NULL, tr, 64);
	MG_EXPECT_EQ_INT(feed(&d, in, n, 0, true, out, &out_len), MG_CHUNKED_ERROR);
	MG_EXPECT_EQ_INT(d.reason, MG_CHUNKED_E_EXT_TOO_LONG);

	/* Trailer section: 8192 bytes with its final CRLF pass, 8193 fail, before it ends. */
	n = (size_t)snprintf(in, sizeof(in), "0\r\nX: ");
	memset(in + n, 'v', 8192 - 3 - 4);
	n += 8192 - 3 - 4;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n\r\n");
	mg_chunked_init(&d, NULL, tr, 64);
	MG_EXPECT_EQ_INT(feed(&d, in, n, 0, true, out, &out_len), (long)n);
	memmove(in + 4, in + 3, n - 3);
	in[3] = 'Y';
	mg_chunked_init(&d, NULL, tr, 64);
	MG_EXPECT_EQ_INT(feed(&d, in, n + 1, 0, true, out, &out_len), MG_CHUNKED_ERROR);
	MG_EXPECT_EQ_INT(d.reason, MG_CHUNKED_E_TRAILER_TOO_LARGE);
	mg_chunked_init(&d, NULL, tr, 64);
	MG_EXPECT_EQ_INT(feed(&d, in, 3 + 8192, 0, true, out, &out_len), MG_CHUNKED_ERROR);
	MG_EXPECT_EQ_INT(d.reason, MG_CHUNKED_E_TRAILER_TOO_LARGE);

	/* Trailer fields: 32 pass, 33 fail; a smaller array is the tighter limit. */
	n = build_trailers(in, sizeof(in), 32);
	mg_chunked_init(&d, NULL, tr, 64);
	MG_EXPECT_EQ_INT(feed(&d, in, n, 0, true, out, &out_len), (long)n);
	MG_EXPECT_EQ_UINT(d.ntrailers, 32);
	mg_chunked_init(&d, NULL, tr, 5);
	MG_EXPECT_EQ_INT(feed(&d, in, n, 0, true, out, &out_len), MG_CHUNKED_ERROR);
	MG_EXPECT_EQ_INT(d.reason, MG_CHUNKED_E_TRAILER_TOO_MANY);
	n = build_trailers(in, sizeof(in), 33);
	mg_chunked_init(&d, NULL, tr, 64);
	MG_EXPECT_EQ_INT(feed(&d, in, n, 0, true, out, &out_len), MG_CHUNKED_ERROR);
	MG_EXPECT_EQ_INT(d.reason, MG_CHUNKED_E_TRAILER_TOO_MANY);

	/* Body: the sum of chunk sizes, checked at each size line. */
	lim.max_body = 10;
	mg_chunked_init(&d, &lim, NULL, 0);
	MG_EXPECT_EQ_INT(
	    feed(&d, S("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"), 0, true, out, &out_len), 25);
	mg_chunked_init(&d, &lim, NULL, 0);
	MG_EXPECT_EQ_INT(
	    feed(&d, S("5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n"), 0, true, out, &out_len),
	    MG_CHUNKED_ERROR);
	MG_EXPECT_EQ_INT(d.reason, MG_CHUNKED_E_BODY_TOO_LARGE);
	MG_EXPECT_EQ_INT(mg_chunked_reason_status(d.reason), 413);
	MG_EXPECT_EQ_UINT(out_len, 5);

	/* The largest chunk size is accepted; adding to it overflows and is refused. */
	mg_chunked_init(&d, NULL, NULL, 0);
	MG_EXPECT_EQ_INT(feed(&d, S("ffffffffffffffff\r\nabc"), 0, true, out, &out_len),
	                 FEED_INCOMPLETE);
	MG_EXPECT_EQ_UINT(out_len, 3);
	mg_chunked_init(&d, NULL, NULL, 0);
	d.body_len = UINT64_MAX - 1;
	MG_EXPECT_EQ_INT(feed(&d, S("2\r\n"), 0, false, out, &out_len), MG_CHUNKED_ERROR);
	MG_EXPECT_EQ_INT(d.reason, MG_CHUNKED_E_BODY_TOO_LARGE);
}

/* The extension limit holds in every state of the extension grammar. */
MG_TEST(chunked_ext_limit_in_every_state)
{
	/* The byte after <max> extension bytes is handled in the state named. */
	static const struct {
		const char *in;
		uint32_t max;
	} v[] = {
	    {"1     ", 4},     /* whitespace after the size */
	    {"1 ;  a", 4},     /* whitespace before a name */
	    {"1;abcd", 4},     /* name */
	    {"1;a  =", 4},     /* whitespace after a name */
	    {"1;a= b", 4},     /* whitespace before a value */
	    {"1;a=bcde", 4},   /* token value */
	    {"1;a=\"bcd", 4},  /* quoted value */
	    {"1;a=\"\\x", 5},  /* quoted-pair */
	    {"1;a=\"\" ;", 5}, /* after a quoted value */
	    {"1;a;bc", 4},     /* a second extension */
	};
	struct mg_chunked_limits lim = {0};
	struct mg_chunked_span sp;
	struct mg_chunked d;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		MG_CASE("%s", v[i].in);
		lim.max_ext = v[i].max;
		mg_chunked_init(&d, &lim, NULL, 0);
		MG_EXPECT_EQ_INT(mg_chunked_decode(&d, v[i].in, v[i].max + 2, &sp),
		                 MG_CHUNKED_ERROR);
		MG_EXPECT_EQ_INT(d.reason, MG_CHUNKED_E_EXT_TOO_LONG);
		MG_EXPECT_EQ_UINT(d.err_offset, v[i].max + 1);
		/* One byte less is fine. */
		mg_chunked_init(&d, &lim, NULL, 0);
		MG_EXPECT_EQ_INT(mg_chunked_decode(&d, v[i].in, v[i].max + 1, &sp), v[i].max + 1);
	}
	MG_EXPECT_EQ_INT(mg_chunked_reason_status(MG_CHUNKED_OK), 0);
}

/* A trailer section fed one byte at a time is scanned in O(n). */
MG_TEST(chunked_trailer_one_byte_at_a_time_is_linear)
{
	static char in[8000], out[16];
	struct mg_chunked d;
	size_t n, i, out_len;

	n = (size_t)snprintf(in, sizeof(in), "0\r\n");
	for (i = 0; i < 30; i++) {
		n += (size_t)snprintf(in + n, sizeof(in) - n, "T%zu: ", i);
		memset(in + n, 'v', 200);
		n += 200;
		n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n");
	}
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n");
	mg_chunked_init(&d, NULL, NULL, 0);
	MG_EXPECT_EQ_INT(feed(&d, in, n, 1, false, out, &out_len), (long)n);
	MG_EXPECT(d.examined <= 2 * n);
}

MG_TEST(chunked_encoder)
{
	struct mg_h1_field tr[2] = {
	    {{"grpc-status", 11}, {"0", 1}},
	    {{"X-Empty", 7}, {"", 0}},
	};
	char out[64];
	size_t k;

	MG_EXPECT_EQ_INT(mg_chunked_write_size(out, sizeof(out), 1), 3);
	MG_EXPECT_MEM(out, "1\r\n", 3);
	MG_EXPECT_EQ_INT(mg_chunked_write_size(out, sizeof(out), 0x10), 4);
	MG_EXPECT_MEM(out, "10\r\n", 4);
	MG_EXPECT_EQ_INT(mg_chunked_write_size(out, sizeof(out), 0xabcdef), 8);
	MG_EXPECT_MEM(out, "abcdef\r\n", 8);
	MG_EXPECT_EQ_INT(mg_chunked_write_size(out, sizeof(out), UINT64_MAX),
	                 MG_CHUNKED_SIZE_LINE_MAX);
	MG_EXPECT_MEM(out, "ffffffffffffffff\r\n", 18);
	MG_EXPECT_EQ_INT(mg_chunked_write_size(out, sizeof(out), 0), -EINVAL);
	MG_EXPECT_EQ_INT(mg_chunked_write_size(out, 3, 0x10), -ENOSPC);

	MG_EXPECT_EQ_INT(mg_chunked_write_end(out, sizeof(out), NULL, 0), 5);
	MG_EXPECT_MEM(out, "0\r\n\r\n", 5);
	MG_EXPECT_EQ_INT(mg_chunked_write_end(out, sizeof(out), tr, 2), 32);
	MG_EXPECT_MEM(out, "0\r\ngrpc-status: 0\r\nX-Empty: \r\n\r\n", 32);
	for (k = 0; k < 32; k++) {
		MG_CASE("size %zu", k);
		MG_EXPECT_EQ_INT(mg_chunked_write_end(out, k, tr, 2), -ENOSPC);
	}
}

/* Re-chunking: any split of any data, encoded with the helpers, decodes to the same bytes. */
MG_TEST(chunked_encode_decode_round_trip)
{
	static char data[5000], enc[12000], out[5000];
	struct mg_h1_field tr[1] = {{{"Digest", 6}, {"sha-256=:x:", 11}}};
	struct mg_h1_field got[2];
	struct mg_chunked d;
	unsigned int seed = 12345, round;
	size_t len, o, at, c, out_len;
	int w;

	for (round = 0; round < 50; round++) {
		MG_CASE("round %u", round);
		len = (size_t)(rand_r(&seed) % (int)sizeof(data));
		for (at = 0; at < len; at++)
			data[at] = (char)rand_r(&seed);
		o = 0;
		for (at = 0; at < len; at += c) {
			c = 1 + (size_t)(rand_r(&seed) % 700);
			if (c > len - at)
				c = len - at;
			w = mg_chunked_write_size(enc + o, sizeof(enc) - o, c);
			MG_ASSERT(w > 0);
			o += (size_t)w;
			memcpy(enc + o, data + at, c);
			o += c;
			memcpy(enc + o, "\r\n", 2);
			o += 2;
		}
		o += (size_t)mg_chunked_write_end(enc + o, sizeof(enc) - o, tr, round % 2);
		mg_chunked_init(&d, NULL, got, 2);
		MG_EXPECT_EQ_INT(feed(&d, enc, o, 1 + round * 37 % 101, false, out, &out_len),
		                 (long)o);
		MG_EXPECT_EQ_UINT(out_len, len);
		MG_EXPECT_MEM(out, data, len);
		MG_EXPECT_EQ_UINT(d.ntrailers, round % 2);
	}
}

MG_TEST(chunked_reason_names)
{
	unsigned int r;

	for (r = 0; r < MG_CHUNKED_REASON_COUNT; r++) {
		MG_CASE("reason %u", r);
		MG_EXPECT(strcmp(mg_chunked_reason_name((enum mg_chunked_reason)r), "unknown") !=
		          0);
	}
	MG_EXPECT_STR(mg_chunked_reason_name(MG_CHUNKED_REASON_COUNT), "unknown");
}
