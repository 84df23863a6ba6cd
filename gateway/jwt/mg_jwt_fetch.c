/*
 * Remote key sets: the parsers of the fetcher (gateway/authn/mg_jwks_fetch.c), see
 * mg_jwt_fetch.h.
 */
#include "mg_jwt_fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http/mg_chunked.h"
#include "gateway/http/mg_h1.h"
#include "mg_jwt_json.h"

/* ---- pure parsers ------------------------------------------------------------------------ */

int
mg_jwt_url_parse(const char *url, size_t len, struct mg_jwt_url *out)
{
	const char *p = url, *end = url + len, *h, *he, *ps;
	unsigned long port = 443;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || url[i] == '#')
			return -EINVAL;
	if (len < 8 || strncmp(p, "https://", 8) != 0)
		return -EINVAL;
	h = p + 8;
	for (he = h; he < end && *he != '/' && *he != '?' && *he != ':'; he++)
		if (*he == '@' || *he == '[' || *he == ']')
			return -EINVAL;
	if (he == h || (size_t)(he - h) >= sizeof(out->host))
		return -EINVAL;
	for (i = 0; h + i < he; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return -EINVAL;
	}
	memcpy(out->host, h, (size_t)(he - h));
	ps = he;
	if (ps < end && *ps == ':') {
		port = 0;
		ps++;
		if (ps >= end || *ps < '0' || *ps > '9')
			return -EINVAL;
		for (; ps < end && *ps >= '0' && *ps <= '9'; ps++) {
			port = port * 10 + (unsigned long)(*ps - '0');
			if (port > 65535)
				return -EINVAL;
		}
		if (port == 0)
			return -EINVAL;
	}
	if (ps < end && *ps != '/' && *ps != '?')
		return -EINVAL;
	out->port = (uint16_t)port;
	if (ps == end || *ps == '?') {
		out->path[0] = '/';
		if ((size_t)(end - ps) + 2 > sizeof(out->path))
			return -EINVAL;
		memcpy(out->path + 1, ps, (size_t)(end - ps));
	} else {
		if ((size_t)(end - ps) + 1 > sizeof(out->path))
			return -EINVAL;
		memcpy(out->path, ps, (size_t)(end - ps));
	}
	return 0;
}

int
mg_jwt_http_response(const char *buf, size_t len, bool eof, char *body, size_t cap,
                     size_t *body_len, int *status)
{
	struct mg_h1_field fields[64];
	struct mg_h1_response r;
	struct mg_chunked d;
	size_t off, n = 0;
	int hl;

	*body_len = 0;
	*status = 0;
	mg_h1_response_init(&r, fields, 64, NULL, MG_H1_M_GET);
	hl = mg_h1_response_parse(&r, buf, len);
	if (hl == MG_H1_INCOMPLETE)
		return eof ? -EPROTO : 0;
	if (hl < 0)
		return -EPROTO;
	*status = r.status;
	if (r.status != 200)
		return -EBADMSG;
	off = (size_t)hl;
	switch (r.head.body) {
	case MG_H1_BODY_LENGTH:
		if (r.head.content_length > cap)
			return -EFBIG;
		if (len - off < r.head.content_length)
			return eof ? -EPROTO : 0;
		if (len - off > r.head.content_length)
			return -EPROTO; /* bytes after the response we asked to be the last */
		n = (size_t)r.head.content_length;
		memcpy(body, buf + off, n);
		break;
	case MG_H1_BODY_EOF:
		if (!eof)
			return 0;
		if (len - off > cap)
			return -EFBIG;
		n = len - off;
		memcpy(body, buf + off, n);
		break;
	case MG_H1_BODY_CHUNKED:
		mg_chunked_init(&d, NULL, NULL, 0);
		while (!mg_chunked_done(&d)) {
			struct mg_chunked_span sp;
			ssize_t k = mg_chunked_decode(&d, buf + off, len - off, &sp);

			if (k < 0)
				return -EPROTO;
			if (sp.data_len > cap - n)
				return -EFBIG;
			if (sp.data_len > 0)
				memcpy(body + n, sp.data, sp.data_len);
			n += sp.data_len;
			off += (size_t)k;
			if (k == 0 && !mg_chunked_done(&d))
				return eof ? -EPROTO : 0;
		}
		if (off != len)
			return -EPROTO;
		break;
	default:
		return -EPROTO; /* no body, a tunnel */
	}
	*body_len = n;
	return 1;
}

int
mg_jwt_discovery_jwks_uri(const char *json, size_t len, char *out, size_t cap)
{
	struct mg_jj_tok *toks;
	struct mg_jj_doc doc;
	long n;
	int t, rc = -EINVAL;

	if (cap == 0)
		return -EINVAL;
	toks = malloc(4096 * sizeof(*toks));
	if (toks == NULL)
		return -ENOMEM;
	if (mg_jj_parse(&doc, json, len, toks, 4096, 16) == MG_JJ_OK &&
	    (t = mg_jj_get(&doc, 0, "jwks_uri", 8)) > 0 &&
	    (n = mg_jj_str(&doc, t, out, cap - 1)) > 0 && memchr(out, '\0', (size_t)n) == NULL) {
		out[n] = '\0';
		rc = 0;
	}
	free(toks);
	return rc;
}
