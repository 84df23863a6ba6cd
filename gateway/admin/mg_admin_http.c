/*
 * Strict request-head parser for the admin listener.  See mg_admin_http.h.
 */
#include <string.h>

#include "mg_admin_http.h"

/* RFC 9110 tchar. */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field-value octets: VCHAR, SP, HTAB, obs-text. */
static bool
is_vchar_ws(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool
ieq(const char *a, size_t alen, const char *lit)
{
	size_t i, n = strlen(lit);

	if (alen != n)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		if (c != (unsigned char)lit[i])
			return false;
	}
	return true;
}

/* True if the comma-separated list <v> holds token <tok> (case-insensitive). */
static bool
list_has(const char *v, size_t len, const char *tok)
{
	size_t i = 0, s, e;

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && ieq(v + s, e - s, tok))
			return true;
	}
	return false;
}

static int
fail(struct mg_ahttp_req *req, int status)
{
	req->status = status;
	return MG_AHTTP_ERROR;
}

int
mg_ahttp_parse(const char *buf, size_t len, struct mg_ahttp_req *req)
{
	const char *p = buf, *end, *line_end, *colon, *v, *ve;
	bool conn_close = false, conn_keep = false, seen_cl = false;
	unsigned int nfields = 0;
	size_t i;

	memset(req, 0, sizeof(*req));

	/* Find the end of the head first: nothing is judged on a partial line
	 * except its length. */
	end = NULL;
	for (i = 0; i + 3 < len; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n') {
			end = buf + i + 4;
			break;
		}
	}
	if (end == NULL) {
		const char *nl = memchr(buf, '\n', len);

		/* Judge the request line early so that an oversized target gets
		 * 414 rather than 431. */
		if (nl == NULL && len > MG_AHTTP_MAX_TARGET + 32)
			return fail(req, 414);
		if (len >= MG_AHTTP_MAX_HEAD)
			return fail(req, 431);
		if (len > 0 && nl == NULL)
			return MG_AHTTP_INCOMPLETE;
		/* Fall through to validate what is complete, but report
		 * incompleteness if it is all well-formed. */
	} else if ((size_t)(end - buf) > MG_AHTTP_MAX_HEAD) {
		return fail(req, 431);
	}

	/* Request line: method SP request-target SP HTTP-version CRLF. */
	req->method = p;
	while (p < buf + len && is_tchar((unsigned char)*p))
		p++;
	req->method_len = (size_t)(p - req->method);
	if (p == buf + len)
		return end == NULL ? MG_AHTTP_INCOMPLETE : fail(req, 400);
	if (req->method_len == 0 || *p != ' ')
		return fail(req, 400);
	p++;
	req->path = p;
	while (p < buf + len && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f && *p != '?')
		p++;
	req->path_len = (size_t)(p - req->path);
	if (p < buf + len && *p == '?') {
		req->query = ++p;
		while (p < buf + len && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f)
			p++;
		req->query_len = (size_t)(p - req->query);
	}
	if ((size_t)(p - req->path) > MG_AHTTP_MAX_TARGET)
		return fail(req, 414);
	if (p == buf + len)
		return end == NULL ? MG_AHTTP_INCOMPLETE : fail(req, 400);
	if (*p != ' ' || req->path_len == 0 || req->path[0] != '/')
		return fail(req, 400);
	p++;
	if ((size_t)(buf + len - p) < 10)
		return end == NULL ? MG_AHTTP_INCOMPLETE : fail(req, 400);
	if (memcmp(p, "HTTP/1.", 7) != 0 || p[8] != '\r' || p[9] != '\n')
		return memcmp(p, "HTTP/", 5) == 0 && p[5] >= '2' && p[5] <= '9' ? fail(req, 505)
		                                                                : fail(req, 400);
	if (p[7] != '0' && p[7] != '1')
		return fail(req, 505);
	req->minor = p[7] - '0';
	p += 10;
	if (end == NULL)
		return MG_AHTTP_INCOMPLETE;

	/* Header fields: field-name ":" OWS field-value OWS CRLF.  No
	 * whitespace before the colon, no obs-fold, no bare CR or LF. */
	for (;;) {
		line_end = p;
		while (line_end < end && *line_end != '\r' && *line_end != '\n')
			line_end++;
		if (line_end + 1 >= end || line_end[0] != '\r' || line_end[1] != '\n')
			return fail(req, 400);
		if (line_end == p)
			break; /* the empty line */
		if (++nfields > MG_AHTTP_MAX_FIELDS)
			return fail(req, 431);
		colon = p;
		while (colon < line_end && is_tchar((unsigned char)*colon))
			colon++;
		if (colon == p || colon == line_end || *colon != ':')
			return fail(req, 400);
		v = colon + 1;
		while (v < line_end && (*v == ' ' || *v == '\t'))
			v++;
		ve = line_end;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (i = 0; i < (size_t)(ve - v); i++)
			if (!is_vchar_ws((unsigned char)v[i]))
				return fail(req, 400);
		if (ieq(p, (size_t)(colon - p), "connection")) {
			conn_close |= list_has(v, (size_t)(ve - v), "close");
			conn_keep |= list_has(v, (size_t)(ve - v), "keep-alive");
		} else if (ieq(p, (size_t)(colon - p), "content-length")) {
			if (seen_cl || ve == v)
				return fail(req, 400);
			seen_cl = true;
			for (i = 0; i < (size_t)(ve - v); i++) {
				if (v[i] < '0' || v[i] > '9')
					return fail(req, 400);
				if (v[i] != '0')
					req->has_body = true;
			}
		} else if (ieq(p, (size_t)(colon - p), "transfer-encoding")) {
			req->has_body = true;
		} else if (ieq(p, (size_t)(colon - p), "authorization")) {
			if (req->authorization != NULL)
				return fail(req, 400); /* one credential, not two */
			req->authorization = v;
			req->authorization_len = (size_t)(ve - v);
		}
		p = line_end + 2;
	}
	req->keep_alive = req->minor == 1 ? !conn_close : conn_keep && !conn_close;
	return (int)(end - buf);
}
