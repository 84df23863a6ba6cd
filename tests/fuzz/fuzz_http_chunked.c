/*
 * libFuzzer target: the chunked decoder and encoder (gateway/http/mg_chunked.c).
 *
 * The first input byte chooses how the body arrives (piece size 1 to 16, or
 * all at once) and whether small limits apply; the rest is the body, copied
 * to a heap buffer of exactly its size.  The harness plays the proxy: it
 * presents the unconsumed bytes again with each new piece, every call
 * getting its window in a fresh exact-size heap copy (so an over-read of the
 * window is caught too).  It checks, for every call:
 *   - the consumed count is within the window and equals framing + data;
 *   - the data span lies inside the window and is its consumed tail;
 * and at the end:
 *   - fed in pieces and fed at once give the same data, length, trailers
 *     and error reason;
 *   - re-encoding the decoded data and trailers with the encoder helpers
 *     and decoding that gives the same data and trailers back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http/mg_chunked.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NT 8

struct result {
	ssize_t consumed; /* body length, MG_CHUNKED_ERROR, or -2 when incomplete */
	enum mg_chunked_reason reason;
	size_t data_len;
	unsigned int ntrailers;
};

/*
 * Decodes <in> as it arrives <step> bytes at a time (0: at once), appending
 * body bytes to <out>.  Trailer views are copied into <tr_copy> (they point
 * into a window that is freed).
 */
static struct result
run(const char *in, size_t len, size_t step, const struct mg_chunked_limits *lim, char *out,
    char *tr_copy, size_t *tr_copy_len)
{
	struct mg_h1_field tr[NT];
	struct mg_chunked d;
	struct mg_chunked_span sp;
	struct result res = {-2, MG_CHUNKED_OK, 0, 0};
	size_t off = 0, avail = step == 0 || step > len ? len : step, w, i;
	char *win;
	ssize_t n;

	*tr_copy_len = 0;
	mg_chunked_init(&d, lim, tr, NT);
	for (;;) {
		w = avail - off;
		win = malloc(w > 0 ? w : 1);
		if (win == NULL)
			abort();
		memcpy(win, in + off, w);
		n = mg_chunked_decode(&d, win, w, &sp);
		if (n == MG_CHUNKED_ERROR) {
			free(win);
			res.consumed = MG_CHUNKED_ERROR;
			res.reason = d.reason;
			if (d.reason == MG_CHUNKED_OK || d.reason >= MG_CHUNKED_REASON_COUNT ||
			    d.err_offset > w)
				abort();
			return res;
		}
		if (n < 0 || (size_t)n > w || sp.framing + sp.data_len != (size_t)n)
			abort();
		if (sp.data_len > 0) {
			if (sp.data != win + n - sp.data_len)
				abort();
			memcpy(out + res.data_len, sp.data, sp.data_len);
			res.data_len += sp.data_len;
		} else if (sp.data != NULL) {
			abort();
		}
		off += (size_t)n;
		if (mg_chunked_done(&d)) {
			if (d.body_len != res.data_len || d.ntrailers > NT)
				abort();
			res.consumed = (ssize_t)off;
			res.ntrailers = d.ntrailers;
			for (i = 0; i < d.ntrailers; i++) {
				if (tr[i].name.p < win || tr[i].value.p + tr[i].value.len > win + n)
					abort();
				memcpy(tr_copy + *tr_copy_len, tr[i].name.p, tr[i].name.len);
				*tr_copy_len += tr[i].name.len;
				tr_copy[(*tr_copy_len)++] = ':';
				memcpy(tr_copy + *tr_copy_len, tr[i].value.p, tr[i].value.len);
				*tr_copy_len += tr[i].value.len;
				tr_copy[(*tr_copy_len)++] = '\n';
			}
			free(win);
			return res;
		}
		free(win);
		if (n == 0 || off == avail) {
			if (avail == len)
				return res;
			avail = avail + step > len ? len : avail + step;
		}
	}
}

/* Re-chunks <data> in pieces of varying size and appends the trailers from <tr_copy>. */
static size_t
encode(const char *data, size_t len, const char *tr_copy, size_t tr_len, char *out)
{
	struct mg_h1_field tr[NT];
	const char *p = tr_copy, *end = tr_copy + tr_len, *colon, *nl;
	unsigned int nt = 0;
	size_t o = 0, at, c;
	ssize_t w2;
	int w;

	for (at = 0; at < len; at += c) {
		c = 1 + (at * 7 + len) % 97;
		if (c > len - at)
			c = len - at;
		w = mg_chunked_write_size(out + o, 32, c);
		if (w <= 0)
			abort();
		o += (size_t)w;
		memcpy(out + o, data + at, c);
		o += c;
		memcpy(out + o, "\r\n", 2);
		o += 2;
	}
	while (p < end && nt < NT) {
		colon = memchr(p, ':', (size_t)(end - p));
		nl = memchr(p, '\n', (size_t)(end - p));
		tr[nt].name.p = p;
		tr[nt].name.len = (size_t)(colon - p);
		tr[nt].value.p = colon + 1;
		tr[nt].value.len = (size_t)(nl - colon - 1);
		nt++;
		p = nl + 1;
	}
	/* Exactly: "0\r\n", "name: value\r\n" per field (tr_len has 2 per field), "\r\n". */
	w2 = mg_chunked_write_end(out + o, 5 + tr_len + 2 * nt, tr, nt);
	if (w2 != (ssize_t)(5 + tr_len + 2 * nt))
		abort();
	return o + (size_t)w2;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mg_chunked_limits tight = {8, 64, 2, 100};
	static const struct mg_chunked_limits roomy = {0, 2 * MG_CHUNKED_DEFAULT_MAX_TRAILER, 0, 0};
	const struct mg_chunked_limits *lim;
	struct result a, b, c;
	char *in, *out_a, *out_b, *tr_a, *tr_b, *enc;
	size_t step, tr_a_len, tr_b_len, enc_len;

	if (size == 0)
		return 0;
	step = data[0] & 0x0f;
	lim = data[0] & 0x10 ? &tight : NULL;
	data++;
	size--;
	in = malloc(size + 1);
	out_a = malloc(size + 1);
	out_b = malloc(size + 1);
	tr_a = malloc(size + 1);
	tr_b = malloc(size + 1);
	if (in == NULL || out_a == NULL || out_b == NULL || tr_a == NULL || tr_b == NULL)
		abort();
	memcpy(in, data, size);

	a = run(in, size, 0, lim, out_a, tr_a, &tr_a_len);
	b = run(in, size, step == 0 ? 1 : step, lim, out_b, tr_b, &tr_b_len);
	if (a.consumed != b.consumed || a.reason != b.reason || a.ntrailers != b.ntrailers ||
	    tr_a_len != tr_b_len || memcmp(tr_a, tr_b, tr_a_len) != 0)
		abort();
	/* Data returned before an error may differ in how far it got; otherwise it must match. */
	if (a.consumed != MG_CHUNKED_ERROR &&
	    (a.data_len != b.data_len || memcmp(out_a, out_b, a.data_len) != 0))
		abort();

	if (a.consumed >= 0) {
		/* Worst case: a 3-byte size line and CRLF per data byte, plus the end. */
		enc = malloc(a.data_len * 6 + tr_a_len + 3 * NT + 16);
		if (enc == NULL)
			abort();
		enc_len = encode(out_a, a.data_len, tr_a, tr_a_len, enc);
		/* Room for the space the encoder adds after each trailer colon. */
		c = run(enc, enc_len, 0, &roomy, out_b, tr_b, &tr_b_len);
		if (c.consumed != (ssize_t)enc_len || c.data_len != a.data_len ||
		    memcmp(out_b, out_a, a.data_len) != 0 || c.ntrailers != a.ntrailers ||
		    tr_b_len != tr_a_len || memcmp(tr_a, tr_b, tr_a_len) != 0)
			abort();
		free(enc);
	}
	free(in);
	free(out_a);
	free(out_b);
	free(tr_a);
	free(tr_b);
	return 0;
}
