/*
 * libFuzzer target: the HTTP/1.1 request-head parser (gateway/http/mg_h1.c)
 * and the helpers the proxy applies to a parsed head (mg_http_util.c).
 *
 * The input is copied to a heap buffer of exactly its size, so any read past
 * the end is caught by AddressSanitizer.  Beyond not crashing, it checks:
 *   - the contract: a length within the input, views inside the head, facts
 *     consistent with each other (chunked excludes Content-Length, ...), an
 *     error with one of the documented statuses and a reason;
 *   - incrementality: fed in pieces (the same buffer growing, at a piece
 *     size taken from the input's length), the parser gives the same result
 *     and the same facts, and every shorter prefix of a valid head is
 *     incomplete;
 *   - restarts: a buffer that moves between calls gives the same result;
 *   - small limits: the same input under tight limits fails only with
 *     431/414/413 or parses the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http/mg_h1.h"
#include "gateway/http/mg_http_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NF 100

static struct mg_h1_field fa[NF], fb[NF];

static void
check_view(struct mg_h1_view v, const char *buf, int rc)
{
	if (v.p == NULL)
		return;
	if (v.p < buf || v.p + v.len > buf + rc)
		abort();
}

static void
check_ok(const struct mg_h1_request *r, const char *buf, size_t size, int rc)
{
	const struct mg_h1_head *h = &r->head;
	unsigned int i;

	if ((size_t)rc > size || r->method.len == 0 || r->target.len == 0)
		abort();
	check_view(r->method, buf, rc);
	check_view(r->target, buf, rc);
	check_view(r->authority, buf, rc);
	check_view(r->path, buf, rc);
	check_view(r->query, buf, rc);
	check_view(r->host, buf, rc);
	check_view(h->upgrade_value, buf, rc);
	if (h->nfields > NF || h->nconn_tokens > MG_H1_MAX_CONN_TOKENS)
		abort();
	for (i = 0; i < h->nfields; i++) {
		if (h->fields[i].name.len == 0)
			abort();
		check_view(h->fields[i].name, buf, rc);
		check_view(h->fields[i].value, buf, rc);
		if (memchr(h->fields[i].value.p, '\r', h->fields[i].value.len) != NULL ||
		    memchr(h->fields[i].value.p, '\n', h->fields[i].value.len) != NULL)
			abort();
	}
	for (i = 0; i < h->nconn_tokens; i++)
		check_view(h->conn_tokens[i], buf, rc);
	if (h->minor != 0 && h->minor != 1)
		abort();
	if (h->chunked && (h->has_content_length || h->body != MG_H1_BODY_CHUNKED || h->minor == 0))
		abort();
	if (h->has_content_length && (h->body != MG_H1_BODY_LENGTH ||
	                              h->content_length > (uint64_t)MG_H1_MAX_CONTENT_LENGTH))
		abort();
	if (!h->chunked && !h->has_content_length && h->body != MG_H1_BODY_NONE)
		abort();
	if (h->minor == 1 && r->host.p == NULL)
		abort();
	if (h->upgrade && h->minor != 1)
		abort();
	if (r->form == MG_H1_FORM_AUTHORITY && r->method_id != MG_H1_M_CONNECT)
		abort();
	if (r->form == MG_H1_FORM_ASTERISK && r->method_id != MG_H1_M_OPTIONS)
		abort();
	if (r->query.p != NULL && r->query.p != r->path.p + r->path.len + 1)
		abort();
}

static void
check_error(const struct mg_h1_head *h)
{
	switch (h->err_status) {
	case 400:
	case 413:
	case 414:
	case 417:
	case 431:
	case 501:
	case 505:
		break;
	default:
		abort();
	}
	if (h->err_reason == MG_H1_OK || h->err_reason >= MG_H1_REASON_COUNT ||
	    mg_h1_reason_status(h->err_reason) != h->err_status || h->keep_alive)
		abort();
}

static void
same(const struct mg_h1_request *a, const char *ba, const struct mg_h1_request *b, const char *bb)
{
	const struct mg_h1_head *x = &a->head, *y = &b->head;
	unsigned int i;

	if (x->err_reason != y->err_reason || x->err_status != y->err_status)
		abort();
	if (x->err_reason != MG_H1_OK)
		return;
	if (a->method.p - ba != b->method.p - bb || a->target.len != b->target.len ||
	    a->form != b->form || a->host.len != b->host.len || x->nfields != y->nfields ||
	    x->body != y->body || x->content_length != y->content_length ||
	    x->keep_alive != y->keep_alive || x->upgrade != y->upgrade ||
	    x->nconn_tokens != y->nconn_tokens || a->expect_100_continue != b->expect_100_continue)
		abort();
	for (i = 0; i < x->nfields; i++) {
		if (x->fields[i].name.p - ba != y->fields[i].name.p - bb ||
		    x->fields[i].value.p - ba != y->fields[i].value.p - bb ||
		    x->fields[i].value.len != y->fields[i].value.len)
			abort();
	}
}

/* What the proxy does with a parsed head: must not crash or write out of bounds. */
static void
use_helpers(const struct mg_h1_request *r)
{
	static char out[40000];
	unsigned int i;
	ssize_t n;

	for (i = 0; i < r->head.nfields; i++) {
		(void)mg_http_is_hop_by_hop(r->head.fields[i].name.p, r->head.fields[i].name.len,
		                            &r->head);
		(void)mg_http_trailer_allowed(r->head.fields[i].name.p, r->head.fields[i].name.len);
		(void)mg_http_request_id_valid(r->head.fields[i].value.p,
		                               r->head.fields[i].value.len);
	}
	n = mg_http_write_xff(out, sizeof(out), r->head.fields, r->head.nfields, "10.1.2.3", 8);
	if (n < 0)
		abort();
	n = mg_http_write_error(out, sizeof(out), 400, r->target.p, r->target.len, NULL, 0,
	                        r->method_id == MG_H1_M_HEAD);
	if (n <= 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mg_h1_limits tight = {64, 256, 4, 100};
	struct mg_h1_request one, inc;
	char *buf = malloc(size > 0 ? size : 1), *copy[2];
	size_t step, n, k;
	int rc, rc2 = MG_H1_INCOMPLETE;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);

	mg_h1_request_init(&one, fa, NF, NULL);
	rc = mg_h1_request_parse(&one, buf, size);
	if (rc > 0) {
		check_ok(&one, buf, size, rc);
		use_helpers(&one);
	} else if (rc == MG_H1_ERROR) {
		check_error(&one.head);
	} else if (rc != MG_H1_INCOMPLETE) {
		abort();
	}
	/* Idempotent once finished. */
	if (rc != MG_H1_INCOMPLETE && mg_h1_request_parse(&one, buf, size) != rc)
		abort();

	/* In pieces, in the same buffer. */
	step = 1 + size % 13;
	mg_h1_request_init(&inc, fb, NF, NULL);
	for (n = 0;; n = n + step > size ? size : n + step) {
		rc2 = mg_h1_request_parse(&inc, buf, n);
		if (rc2 != MG_H1_INCOMPLETE || n == size)
			break;
	}
	if (rc2 != rc)
		abort();
	if (rc != MG_H1_INCOMPLETE)
		same(&one, buf, &inc, buf);

	/* Every prefix of a valid head is incomplete. */
	if (rc > 0) {
		for (n = 0; n < (size_t)rc; n += 1 + n / 64) {
			mg_h1_request_init(&inc, fb, NF, NULL);
			if (mg_h1_request_parse(&inc, buf, n) != MG_H1_INCOMPLETE)
				abort();
		}
	}

	/* A buffer that moves between calls. */
	if (size <= 2048) {
		copy[0] = malloc(size > 0 ? size : 1);
		copy[1] = malloc(size > 0 ? size : 1);
		if (copy[0] != NULL && copy[1] != NULL) {
			memcpy(copy[0], data, size);
			memcpy(copy[1], data, size);
			mg_h1_request_init(&inc, fb, NF, NULL);
			rc2 = MG_H1_INCOMPLETE;
			for (n = size / 2, k = 0;;
			     n = n + 1 + n / 16 > size ? size : n + 1 + n / 16) {
				rc2 = mg_h1_request_parse(&inc, copy[k = !k], n);
				if (rc2 != MG_H1_INCOMPLETE || n == size)
					break;
			}
			if (rc2 != rc)
				abort();
			if (rc != MG_H1_INCOMPLETE)
				same(&one, buf, &inc, copy[k]);
		}
		free(copy[0]);
		free(copy[1]);
	}

	/* Tight limits: the same answer, or one of the limit statuses. */
	mg_h1_request_init(&inc, fb, NF, &tight);
	rc2 = mg_h1_request_parse(&inc, buf, size);
	if (rc2 == MG_H1_ERROR) {
		check_error(&inc.head);
		if (inc.head.err_status != 431 && inc.head.err_status != 414 &&
		    inc.head.err_status != 413 && inc.head.err_reason != MG_H1_E_METHOD &&
		    (rc != MG_H1_ERROR || inc.head.err_reason != one.head.err_reason))
			abort();
	} else if (rc2 > 0) {
		if (rc2 != rc || rc2 > 256)
			abort();
		check_ok(&inc, buf, size, rc2);
	}

	free(buf);
	return 0;
}
