/*
 * libFuzzer target: the HTTP/1.1 response-head parser (gateway/http/mg_h1.c).
 *
 * The first input byte chooses the method of the request the response
 * answers (GET, HEAD, CONNECT, POST); the rest is copied to a heap buffer of
 * exactly its size.  Beyond not crashing, it checks the contract (length
 * within the input, views inside the head, a status of 100-599, a body kind
 * consistent with status, method and framing, 502 on every error) and that
 * parsing in pieces gives the same result as parsing at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http/mg_h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NF 100

static struct mg_h1_field fa[NF], fb[NF];

static void
check_view(struct mg_h1_view v, const char *buf, int rc)
{
	if (v.p != NULL && (v.p < buf || v.p + v.len > buf + rc))
		abort();
}

static void
check_ok(const struct mg_h1_response *r, const char *buf, size_t size, int rc)
{
	const struct mg_h1_head *h = &r->head;
	bool bodiless = r->status < 200 || r->status == 204 || r->status == 304 ||
	                r->req_method == MG_H1_M_HEAD;
	unsigned int i;

	if ((size_t)rc > size || r->status < 100 || r->status > 599)
		abort();
	check_view(r->reason, buf, rc);
	check_view(h->upgrade_value, buf, rc);
	for (i = 0; i < h->nfields; i++) {
		check_view(h->fields[i].name, buf, rc);
		check_view(h->fields[i].value, buf, rc);
	}
	if (h->chunked && h->has_content_length)
		abort();
	if (r->interim != (r->status < 200 && r->status != 101))
		abort();
	if (h->upgrade != (r->status == 101))
		abort();
	switch (h->body) {
	case MG_H1_BODY_TUNNEL:
		if (r->status != 101 && !(r->req_method == MG_H1_M_CONNECT && r->status / 100 == 2))
			abort();
		if (h->keep_alive)
			abort();
		break;
	case MG_H1_BODY_NONE:
		if (!bodiless)
			abort();
		break;
	case MG_H1_BODY_CHUNKED:
		if (!h->chunked || bodiless)
			abort();
		break;
	case MG_H1_BODY_LENGTH:
		if (!h->has_content_length || bodiless)
			abort();
		break;
	case MG_H1_BODY_EOF:
		if (h->chunked || h->has_content_length || bodiless || h->keep_alive)
			abort();
		break;
	default:
		abort();
	}
	if ((r->status < 200 || r->status == 204) && h->has_content_length &&
	    h->content_length != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mg_h1_method methods[4] = {MG_H1_M_GET, MG_H1_M_HEAD, MG_H1_M_CONNECT,
	                                             MG_H1_M_POST};
	struct mg_h1_response one, inc;
	enum mg_h1_method m;
	size_t n, step;
	char *buf;
	int rc, rc2;

	if (size == 0)
		return 0;
	m = methods[data[0] & 3];
	data++;
	size--;
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);

	mg_h1_response_init(&one, fa, NF, NULL, m);
	rc = mg_h1_response_parse(&one, buf, size);
	if (rc > 0) {
		check_ok(&one, buf, size, rc);
	} else if (rc == MG_H1_ERROR) {
		if (one.head.err_status != 502 || one.head.err_reason == MG_H1_OK ||
		    one.head.err_reason >= MG_H1_REASON_COUNT || one.head.keep_alive)
			abort();
	} else if (rc != MG_H1_INCOMPLETE) {
		abort();
	}

	step = 1 + size % 7;
	mg_h1_response_init(&inc, fb, NF, NULL, m);
	for (n = 0;; n = n + step > size ? size : n + step) {
		rc2 = mg_h1_response_parse(&inc, buf, n);
		if (rc2 != MG_H1_INCOMPLETE || n == size)
			break;
	}
	if (rc2 != rc || inc.head.err_reason != one.head.err_reason)
		abort();
	if (rc > 0 && (inc.status != one.status || inc.head.body != one.head.body ||
	               inc.head.nfields != one.head.nfields ||
	               inc.head.content_length != one.head.content_length ||
	               inc.head.keep_alive != one.head.keep_alive || inc.reason.p != one.reason.p))
		abort();
	if (rc > 0) {
		for (n = 0; n < (size_t)rc; n += 1 + n / 64) {
			mg_h1_response_init(&inc, fb, NF, NULL, m);
			if (mg_h1_response_parse(&inc, buf, n) != MG_H1_INCOMPLETE)
				abort();
		}
	}
	free(buf);
	return 0;
}
