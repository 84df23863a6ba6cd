/*
 * Strict, incremental HTTP/1.1 head parser.  See mg_h1.h for the contract
 * and docs/HTTP.md for the rules.
 *
 * Structure: a line scanner (find_eol) walks each line once, resuming where
 * the previous call stopped, and rejects bare CR, bare LF and control bytes
 * as soon as they arrive.  A complete line is then parsed once (start line or
 * field line), and each field that matters for framing or routing updates
 * the facts in the head.  The checks that need the whole head (CL with TE,
 * Host rules, body kind) run in finish() when the empty line arrives.
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mg_h1.h"
#include "mg_http_lex.h"

/* Values of st.stage. */
enum {
	ST_BEFORE = 0, /* skipping empty lines before the start line */
	ST_START,      /* in the start line */
	ST_FIELDS,     /* in the field lines */
	ST_DONE,       /* st.result is the head's length */
	ST_ERROR,      /* st.result is MG_H1_ERROR */
};

const struct mg_h1_limits mg_h1_limits_default = {
    .max_start_line = MG_H1_DEFAULT_MAX_START_LINE,
    .max_head = MG_H1_DEFAULT_MAX_HEAD,
    .max_fields = MG_H1_DEFAULT_MAX_FIELDS,
    .max_body = 0,
};

static const struct {
	const char *name;
	const char *text;
	int status;
} reasons[MG_H1_REASON_COUNT] = {
    [MG_H1_OK] = {"ok", "no error", 0},
    [MG_H1_E_BARE_CR] = {"bare_cr", "CR not followed by LF", 400},
    [MG_H1_E_BARE_LF] = {"bare_lf", "line ends in LF without CR", 400},
    [MG_H1_E_CTL] = {"ctl_char", "control character in the head", 400},
    [MG_H1_E_METHOD] = {"bad_method", "invalid method", 400},
    [MG_H1_E_REQUEST_LINE] = {"bad_request_line", "malformed request line", 400},
    [MG_H1_E_TARGET] = {"bad_target", "invalid request-target", 400},
    [MG_H1_E_TARGET_FORM] = {"target_form", "request-target form not allowed", 400},
    [MG_H1_E_START_LINE_TOO_LONG] = {"start_line_too_long", "request line too long", 414},
    [MG_H1_E_VERSION] = {"bad_version", "malformed HTTP version", 400},
    [MG_H1_E_VERSION_UNSUPPORTED] = {"version_not_supported", "HTTP version not supported", 505},
    [MG_H1_E_STATUS_LINE] = {"bad_status_line", "malformed status line", 502},
    [MG_H1_E_STATUS_CODE] = {"bad_status_code", "invalid status code", 502},
    [MG_H1_E_WS_BEFORE_FIRST_FIELD] = {"ws_before_first_field",
                                       "whitespace before the first field line", 400},
    [MG_H1_E_OBS_FOLD] = {"obs_fold", "obsolete line folding", 400},
    [MG_H1_E_FIELD_NAME] = {"bad_field_name", "invalid field name", 400},
    [MG_H1_E_WS_BEFORE_COLON] = {"ws_before_colon", "whitespace before colon", 400},
    [MG_H1_E_HEAD_TOO_LARGE] = {"head_too_large", "header section too large", 431},
    [MG_H1_E_TOO_MANY_FIELDS] = {"too_many_fields", "too many header fields", 431},
    [MG_H1_E_HOST_MISSING] = {"host_missing", "missing Host", 400},
    [MG_H1_E_HOST_DUPLICATE] = {"host_duplicate", "more than one Host", 400},
    [MG_H1_E_HOST_INVALID] = {"host_invalid", "invalid Host", 400},
    [MG_H1_E_HOST_MISMATCH] = {"host_mismatch", "Host differs from the target's authority", 400},
    [MG_H1_E_CL_INVALID] = {"cl_invalid", "invalid Content-Length", 400},
    [MG_H1_E_CL_LEADING_ZERO] = {"cl_leading_zero", "Content-Length with a leading zero", 400},
    [MG_H1_E_CL_OVERFLOW] = {"cl_overflow", "Content-Length too large to represent", 400},
    [MG_H1_E_CL_CONFLICT] = {"cl_conflict", "conflicting Content-Length values", 400},
    [MG_H1_E_CL_TOO_LARGE] = {"cl_too_large", "Content-Length above the body limit", 413},
    [MG_H1_E_CL_AND_TE] = {"cl_and_te", "both Content-Length and Transfer-Encoding", 400},
    [MG_H1_E_CL_NOT_ALLOWED] = {"cl_not_allowed", "Content-Length on a 1xx or 204 response", 502},
    [MG_H1_E_TE_INVALID] = {"te_invalid", "invalid Transfer-Encoding", 400},
    [MG_H1_E_TE_CHUNKED_TWICE] = {"te_chunked_twice", "chunked applied more than once", 400},
    [MG_H1_E_TE_CHUNKED_NOT_LAST] = {"te_chunked_not_last", "chunked is not the final coding", 400},
    [MG_H1_E_TE_UNSUPPORTED] = {"te_unsupported", "transfer coding not implemented", 501},
    [MG_H1_E_TE_HTTP10] = {"te_http10", "Transfer-Encoding in an HTTP/1.0 message", 400},
    [MG_H1_E_TE_NOT_ALLOWED] = {"te_not_allowed", "Transfer-Encoding on a 1xx or 204 response",
                                502},
    [MG_H1_E_CONNECTION_INVALID] = {"connection_invalid", "invalid Connection", 400},
    [MG_H1_E_CONNECTION_TOO_MANY] = {"connection_too_many", "too many Connection options", 400},
    [MG_H1_E_UPGRADE_INVALID] = {"upgrade_invalid", "invalid Upgrade", 400},
    [MG_H1_E_EXPECT] = {"expect_unsupported", "unsupported expectation", 417},
};

const char *
mg_h1_reason_name(enum mg_h1_reason r)
{
	return (unsigned int)r < MG_H1_REASON_COUNT ? reasons[r].name : "unknown";
}

const char *
mg_h1_reason_text(enum mg_h1_reason r)
{
	return (unsigned int)r < MG_H1_REASON_COUNT ? reasons[r].text : "unknown";
}

int
mg_h1_reason_status(enum mg_h1_reason r)
{
	return (unsigned int)r < MG_H1_REASON_COUNT ? reasons[r].status : 400;
}

enum mg_h1_method
mg_h1_method_lookup(const char *p, size_t len)
{
	static const struct {
		const char *name;
		size_t len;
		enum mg_h1_method id;
	} methods[] = {
	    {"GET", 3, MG_H1_M_GET},         {"HEAD", 4, MG_H1_M_HEAD},
	    {"POST", 4, MG_H1_M_POST},       {"PUT", 3, MG_H1_M_PUT},
	    {"DELETE", 6, MG_H1_M_DELETE},   {"CONNECT", 7, MG_H1_M_CONNECT},
	    {"OPTIONS", 7, MG_H1_M_OPTIONS}, {"TRACE", 5, MG_H1_M_TRACE},
	    {"PATCH", 5, MG_H1_M_PATCH},
	};
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (methods[i].len == len && memcmp(methods[i].name, p, len) == 0)
			return methods[i].id;
	}
	return MG_H1_M_OTHER;
}

/* The parse in progress: which message, and the caller's buffer. */
struct ctx {
	struct mg_h1_head *h;
	struct mg_h1_request *req;   /* NULL when parsing a response */
	struct mg_h1_response *resp; /* NULL when parsing a request */
	const char *buf;
	size_t len;
};

static uint32_t
limit_or(uint32_t v, uint32_t def)
{
	if (v == 0)
		return def;
	return v > MG_H1_LIMIT_CAP ? MG_H1_LIMIT_CAP : v;
}

static void
head_init(struct mg_h1_head *h, struct mg_h1_field *fields, unsigned int nfields,
          const struct mg_h1_limits *limits)
{
	const struct mg_h1_limits *l = limits != NULL ? limits : &mg_h1_limits_default;

	memset(h, 0, sizeof(*h));
	h->fields = fields;
	h->limits.max_start_line = limit_or(l->max_start_line, MG_H1_DEFAULT_MAX_START_LINE);
	h->limits.max_head = limit_or(l->max_head, MG_H1_DEFAULT_MAX_HEAD);
	h->limits.max_fields = limit_or(l->max_fields, MG_H1_DEFAULT_MAX_FIELDS);
	h->limits.max_body = l->max_body;
	h->max_fields = h->limits.max_fields;
	if (fields != NULL && nfields < h->max_fields)
		h->max_fields = nfields;
	h->minor = 1;
}

void
mg_h1_request_init(struct mg_h1_request *req, struct mg_h1_field *fields, unsigned int nfields,
                   const struct mg_h1_limits *limits)
{
	memset(req, 0, sizeof(*req));
	head_init(&req->head, fields, nfields, limits);
}

void
mg_h1_response_init(struct mg_h1_response *resp, struct mg_h1_field *fields, unsigned int nfields,
                    const struct mg_h1_limits *limits, enum mg_h1_method req_method)
{
	memset(resp, 0, sizeof(*resp));
	head_init(&resp->head, fields, nfields, limits);
	resp->req_method = req_method;
}

/* Clears every result so that the head can be parsed again from its first byte. */
static void
restart(struct ctx *c)
{
	struct mg_h1_head *h = c->h;
	struct mg_h1_field *fields = h->fields;
	unsigned int max_fields = h->max_fields;
	struct mg_h1_limits limits = h->limits;
	enum mg_h1_method m;

	if (c->req != NULL) {
		memset(c->req, 0, sizeof(*c->req));
	} else {
		m = c->resp->req_method;
		memset(c->resp, 0, sizeof(*c->resp));
		c->resp->req_method = m;
	}
	h->fields = fields;
	h->max_fields = max_fields;
	h->limits = limits;
	h->minor = 1;
}

/* Records the error <r> found at offset <off> and returns MG_H1_ERROR. */
static int
fail(struct ctx *c, enum mg_h1_reason r, size_t off)
{
	struct mg_h1_head *h = c->h;

	h->err_reason = r;
	h->err_status = c->req != NULL ? reasons[r].status : 502;
	h->err_offset = off;
	h->keep_alive = false;
	h->st.stage = ST_ERROR;
	h->st.result = MG_H1_ERROR;
	return MG_H1_ERROR;
}

/* The start line has more than max_start_line bytes; <i> is the first byte too many. */
static int
start_line_too_long(struct ctx *c, size_t i)
{
	struct mg_h1_head *h = c->h;
	size_t pos = h->st.pos;

	h->st.examined += i - h->st.scan;
	/* A request line with no space within the limit is a bad method, not a long target. */
	if (c->req != NULL && memchr(c->buf + pos, ' ', i - pos) == NULL)
		return fail(c, MG_H1_E_METHOD, pos);
	return fail(c, MG_H1_E_START_LINE_TOO_LONG, i);
}

/*
 * Finds the CRLF that ends the line starting at st.pos, scanning from
 * st.scan.  Returns 1 with *<eol> set to the offset of its CR, 0 when more
 * bytes are needed (st.scan remembers how far the scan got), or MG_H1_ERROR.
 * Every byte before the CR is MG_HTTP_C_PLAIN when it returns 1.
 */
static int
find_eol(struct ctx *c, bool start_line, size_t *eol)
{
	struct mg_h1_head *h = c->h;
	const char *buf = c->buf;
	size_t i = h->st.scan;
	size_t end = c->len < h->limits.max_head ? c->len : h->limits.max_head;
	size_t lim = start_line ? h->st.pos + h->limits.max_start_line : (size_t)-1;
	unsigned char ch;

	while (i < end) {
#if defined(__SSE2__)
		/* Sixteen bytes at a time while none of them is a control character (HTAB
		 * included: the byte loop takes it) or DEL, and all are below <lim>. */
		while (i + 16 <= end && i + 16 <= lim) {
			const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + i));
			const __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)),
			                                   _mm_set1_epi8(0x1f));
			const __m128i del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
			const unsigned int m =
			    (unsigned int)_mm_movemask_epi8(_mm_or_si128(ctl, del));

			if (m != 0) {
				i += (size_t)__builtin_ctz(m);
				break;
			}
			i += 16;
		}
		if (i >= end)
			break;
#endif
		ch = (unsigned char)buf[i];
		if (mg_http_is(ch, MG_HTTP_C_PLAIN)) {
			if (i >= lim)
				return start_line_too_long(c, i);
			i++;
			continue;
		}
		if (ch == '\r' && i + 1 >= end)
			break; /* the CR is looked at again with its LF */
		h->st.examined += i + 1 - h->st.scan;
		if (ch == '\n')
			return fail(c, MG_H1_E_BARE_LF, i);
		if (ch != '\r')
			return fail(c, MG_H1_E_CTL, i);
		if (buf[i + 1] != '\n')
			return fail(c, MG_H1_E_BARE_CR, i);
		h->st.examined++;
		h->st.scan = (uint32_t)(i + 2);
		*eol = i;
		return 1;
	}
	h->st.examined += i - h->st.scan;
	h->st.scan = (uint32_t)i;
	if (c->len >= h->limits.max_head)
		return fail(c, MG_H1_E_HEAD_TOO_LARGE, h->limits.max_head);
	return 0;
}

/*
 * Returns true when [<a>, <a> + <n>) is uri-host [":" port] (RFC 3986:
 * IP-literal or reg-name, which covers IPv4 addresses) with a port of at most
 * 5 digits and at most 65535; with <port_required>, the port must be present
 * and non-empty (authority-form).  The host must not be empty, and
 * IPvFuture and userinfo are not accepted.
 */
static bool
host_valid(const char *a, size_t n, bool port_required)
{
	size_t i = 0, digits;
	unsigned long port = 0;

	if (n == 0)
		return false;
	if (a[0] == '[') {
		for (i = 1; i < n && a[i] != ']'; i++) {
			if (!mg_http_is((unsigned char)a[i], MG_HTTP_C_HEX) && a[i] != ':' &&
			    a[i] != '.')
				return false;
		}
		if (i == n || i == 1)
			return false;
		i++;
	} else {
		for (; i < n && a[i] != ':'; i++) {
			if (a[i] == '%') {
				if (i + 2 >= n ||
				    !mg_http_is((unsigned char)a[i + 1], MG_HTTP_C_HEX) ||
				    !mg_http_is((unsigned char)a[i + 2], MG_HTTP_C_HEX))
					return false;
				i += 2;
			} else if (!mg_http_is((unsigned char)a[i], MG_HTTP_C_REGNAME)) {
				return false;
			}
		}
		if (i == 0)
			return false;
	}
	if (i == n)
		return !port_required;
	if (a[i] != ':')
		return false;
	digits = n - i - 1;
	if (digits > 5 || (digits == 0 && port_required))
		return false;
	for (i++; i < n; i++) {
		if (!mg_http_is((unsigned char)a[i], MG_HTTP_C_DIGIT))
			return false;
		port = port * 10 + (unsigned long)(a[i] - '0');
	}
	return port <= 65535;
}

/* Parses "path [ '?' query ]" of an origin-form (or the rest of an absolute-form) target. */
static bool
parse_path_query(struct mg_h1_request *req, const char *t, size_t n)
{
	size_t i;

	for (i = 0; i < n && t[i] != '?'; i++) {
		if (t[i] == '%') {
			if (i + 2 >= n || !mg_http_is((unsigned char)t[i + 1], MG_HTTP_C_HEX) ||
			    !mg_http_is((unsigned char)t[i + 2], MG_HTTP_C_HEX))
				return false;
			i += 2;
		} else if (!mg_http_is((unsigned char)t[i], MG_HTTP_C_PATH)) {
			return false;
		}
	}
	req->path.p = t;
	req->path.len = i;
	if (i == n)
		return true;
	req->query.p = t + i + 1;
	req->query.len = n - i - 1;
	return mg_http_all(req->query.p, req->query.len, MG_HTTP_C_QUERY);
}

/* Classifies and validates the request-target [<t>, <t> + <n>) (n > 0) for the method. */
static enum mg_h1_reason
parse_target(struct mg_h1_request *req, const char *t, size_t n)
{
	const char *a, *end = t + n;
	size_t i;

	req->target.p = t;
	req->target.len = n;
	if (req->method_id == MG_H1_M_CONNECT) {
		if (!host_valid(t, n, true))
			return t[0] == '/' || t[0] == '*' || memchr(t, '/', n) != NULL
			           ? MG_H1_E_TARGET_FORM
			           : MG_H1_E_TARGET;
		req->form = MG_H1_FORM_AUTHORITY;
		req->authority = req->target;
		return MG_H1_OK;
	}
	if (t[0] == '/') {
		req->form = MG_H1_FORM_ORIGIN;
		return parse_path_query(req, t, n) ? MG_H1_OK : MG_H1_E_TARGET;
	}
	if (n == 1 && t[0] == '*') {
		if (req->method_id != MG_H1_M_OPTIONS)
			return MG_H1_E_TARGET_FORM;
		req->form = MG_H1_FORM_ASTERISK;
		req->path = req->target;
		return MG_H1_OK;
	}

	/* absolute-form: scheme "://" authority path-abempty [ "?" query ] */
	for (i = 0; i < n && t[i] != ':'; i++) {
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
		      (i > 0 && (mg_http_is((unsigned char)t[i], MG_HTTP_C_DIGIT) || t[i] == '+' ||
		                 t[i] == '-' || t[i] == '.'))))
			return host_valid(t, n, true) ? MG_H1_E_TARGET_FORM : MG_H1_E_TARGET;
	}
	if (i == 0 || n - i < 3 || memcmp(t + i, "://", 3) != 0)
		return host_valid(t, n, true) ? MG_H1_E_TARGET_FORM : MG_H1_E_TARGET;
	if (mg_http_ieq(t, i, "https"))
		req->is_https = true;
	else if (!mg_http_ieq(t, i, "http"))
		return MG_H1_E_TARGET_FORM;
	a = t + i + 3;
	for (i = 0; a + i < end && a[i] != '/' && a[i] != '?'; i++)
		;
	if (!host_valid(a, i, false))
		return MG_H1_E_TARGET;
	req->form = MG_H1_FORM_ABSOLUTE;
	req->authority.p = a;
	req->authority.len = i;
	if (a + i == end) {
		req->path.p = end;
		req->path.len = 0;
		return MG_H1_OK;
	}
	return parse_path_query(req, a + i, (size_t)(end - a - i)) ? MG_H1_OK : MG_H1_E_TARGET;
}

/* request-line = method SP request-target SP HTTP-version, in [s, e). */
static int
parse_request_line(struct ctx *c, size_t s, size_t e)
{
	struct mg_h1_request *req = c->req;
	const char *line = c->buf + s, *end = c->buf + e, *p = line, *t, *sp, *v;
	enum mg_h1_reason r;

	while (p < end && mg_http_is((unsigned char)*p, MG_HTTP_C_TCHAR))
		p++;
	if (p == line)
		return fail(c, MG_H1_E_METHOD, s);
	if (p == end || *p == '\t')
		return fail(c, MG_H1_E_REQUEST_LINE, (size_t)(p - c->buf));
	if (*p != ' ')
		return fail(c, MG_H1_E_METHOD, (size_t)(p - c->buf));
	req->method.p = line;
	req->method.len = (size_t)(p - line);
	req->method_id = mg_h1_method_lookup(line, req->method.len);

	t = p + 1;
	sp = memchr(t, ' ', (size_t)(end - t));
	if (sp == NULL || sp == t)
		return fail(c, MG_H1_E_REQUEST_LINE, (size_t)(t - c->buf));

	v = sp + 1;
	if (end - v != 8) {
		if (memchr(v, ' ', (size_t)(end - v)) != NULL || v == end)
			return fail(c, MG_H1_E_REQUEST_LINE, (size_t)(v - c->buf));
		return fail(c, MG_H1_E_VERSION, (size_t)(v - c->buf));
	}
	if (memcmp(v, "HTTP/", 5) != 0 || !mg_http_is((unsigned char)v[5], MG_HTTP_C_DIGIT) ||
	    v[6] != '.' || !mg_http_is((unsigned char)v[7], MG_HTTP_C_DIGIT))
		return fail(c, MG_H1_E_VERSION, (size_t)(v - c->buf));
	if (v[5] != '1' || v[7] > '1')
		return fail(c, MG_H1_E_VERSION_UNSUPPORTED, (size_t)(v - c->buf));
	c->h->minor = v[7] - '0';

	r = parse_target(req, t, (size_t)(sp - t));
	if (r != MG_H1_OK)
		return fail(c, r, (size_t)(t - c->buf));
	return 0;
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ], in [s, e). */
static int
parse_status_line(struct ctx *c, size_t s, size_t e)
{
	struct mg_h1_response *resp = c->resp;
	const char *p = c->buf + s;
	size_t n = e - s;
	int i;

	if (n < 8 || memcmp(p, "HTTP/", 5) != 0)
		return fail(c, MG_H1_E_STATUS_LINE, s);
	if (!mg_http_is((unsigned char)p[5], MG_HTTP_C_DIGIT) || p[6] != '.' ||
	    !mg_http_is((unsigned char)p[7], MG_HTTP_C_DIGIT))
		return fail(c, MG_H1_E_VERSION, s);
	if (p[5] != '1' || p[7] > '1')
		return fail(c, MG_H1_E_VERSION_UNSUPPORTED, s);
	c->h->minor = p[7] - '0';
	if (n < 12 || p[8] != ' ')
		return fail(c, MG_H1_E_STATUS_LINE, s + 8);
	resp->status = 0;
	for (i = 9; i < 12; i++) {
		if (!mg_http_is((unsigned char)p[i], MG_HTTP_C_DIGIT))
			return fail(c, MG_H1_E_STATUS_CODE, s + 9);
		resp->status = resp->status * 10 + (p[i] - '0');
	}
	if (resp->status < 100 || resp->status > 599)
		return fail(c, MG_H1_E_STATUS_CODE, s + 9);
	if (n == 12) {
		/* No SP before an empty reason: tolerated, as HAProxy and most clients do. */
		resp->reason.p = p + 12;
		resp->reason.len = 0;
		return 0;
	}
	if (p[12] != ' ')
		return fail(c, MG_H1_E_STATUS_CODE, s + 9);
	/* Every byte here is HTAB, SP, VCHAR or obs-text: all allowed in a reason-phrase. */
	resp->reason.p = p + 13;
	resp->reason.len = n - 13;
	return 0;
}

static enum mg_h1_reason
apply_content_length(struct mg_h1_head *h, const char *v, size_t n)
{
	const uint64_t max = (uint64_t)MG_H1_MAX_CONTENT_LENGTH;
	uint64_t x = 0, d;
	size_t i;

	if (n == 0 || !mg_http_all(v, n, MG_HTTP_C_DIGIT))
		return MG_H1_E_CL_INVALID;
	if (n > 1 && v[0] == '0')
		return MG_H1_E_CL_LEADING_ZERO;
	for (i = 0; i < n; i++) {
		d = (uint64_t)(v[i] - '0');
		if (x > (max - d) / 10)
			return MG_H1_E_CL_OVERFLOW;
		x = x * 10 + d;
	}
	if (h->has_content_length && h->content_length != x)
		return MG_H1_E_CL_CONFLICT;
	h->has_content_length = true;
	h->content_length = x;
	return MG_H1_OK;
}

static enum mg_h1_reason
apply_transfer_encoding(struct mg_h1_head *h, const char *v, size_t n)
{
	const char *pos = v, *el;
	size_t elen;
	bool any = false;

	while (mg_http_list_next(&pos, v + n, &el, &elen)) {
		any = true;
		if (!mg_http_all(el, elen, MG_HTTP_C_TCHAR))
			return MG_H1_E_TE_INVALID;
		if (mg_http_ieq(el, elen, "chunked")) {
			if (h->st.te_chunked < 255)
				h->st.te_chunked++;
			h->st.te_last_chunked = true;
		} else {
			h->st.te_other = true;
			h->st.te_last_chunked = false;
		}
	}
	if (!any)
		return MG_H1_E_TE_INVALID;
	h->st.te_seen = true;
	return MG_H1_OK;
}

static enum mg_h1_reason
apply_connection(struct mg_h1_head *h, const char *v, size_t n)
{
	const char *pos = v, *el;
	size_t elen;

	while (mg_http_list_next(&pos, v + n, &el, &elen)) {
		if (!mg_http_all(el, elen, MG_HTTP_C_TCHAR))
			return MG_H1_E_CONNECTION_INVALID;
		if (h->nconn_tokens == MG_H1_MAX_CONN_TOKENS)
			return MG_H1_E_CONNECTION_TOO_MANY;
		h->conn_tokens[h->nconn_tokens].p = el;
		h->conn_tokens[h->nconn_tokens].len = elen;
		h->nconn_tokens++;
		if (mg_http_ieq(el, elen, "close"))
			h->st.conn_close = true;
		else if (mg_http_ieq(el, elen, "keep-alive"))
			h->st.conn_keep_alive = true;
		else if (mg_http_ieq(el, elen, "upgrade"))
			h->st.conn_upgrade = true;
	}
	return MG_H1_OK;
}

/* Upgrade = 1#protocol; protocol = token [ "/" token ]; one field line at most. */
static enum mg_h1_reason
apply_upgrade(struct mg_h1_head *h, const char *v, size_t n)
{
	const char *pos = v, *el, *slash;
	size_t elen;
	bool any = false;

	if (++h->st.upgrade_count > 1)
		return MG_H1_E_UPGRADE_INVALID;
	while (mg_http_list_next(&pos, v + n, &el, &elen)) {
		any = true;
		slash = memchr(el, '/', elen);
		if (slash == NULL) {
			if (!mg_http_all(el, elen, MG_HTTP_C_TCHAR))
				return MG_H1_E_UPGRADE_INVALID;
		} else if (slash == el || slash == el + elen - 1 ||
		           !mg_http_all(el, (size_t)(slash - el), MG_HTTP_C_TCHAR) ||
		           !mg_http_all(slash + 1, (size_t)(el + elen - slash - 1),
		                        MG_HTTP_C_TCHAR)) {
			return MG_H1_E_UPGRADE_INVALID;
		}
	}
	if (!any)
		return MG_H1_E_UPGRADE_INVALID;
	h->upgrade_value.p = v;
	h->upgrade_value.len = n;
	return MG_H1_OK;
}

static enum mg_h1_reason
apply_expect(struct mg_h1_request *req, const char *v, size_t n)
{
	const char *pos = v, *el;
	size_t elen;

	while (mg_http_list_next(&pos, v + n, &el, &elen)) {
		if (!mg_http_ieq(el, elen, "100-continue"))
			return MG_H1_E_EXPECT;
		req->expect_100_continue = true;
	}
	return MG_H1_OK;
}

/* Updates the facts for the field <name>: <v>; returns MG_H1_OK or why it is rejected. */
static enum mg_h1_reason
apply_field(struct ctx *c, const char *name, size_t nlen, const char *v, size_t vlen)
{
	struct mg_h1_head *h = c->h;

	switch (nlen) {
	case 4:
		if (c->req != NULL && mg_http_ieq(name, nlen, "host")) {
			if (++h->st.host_count > 1)
				return MG_H1_E_HOST_DUPLICATE;
			if (!host_valid(v, vlen, false))
				return MG_H1_E_HOST_INVALID;
			c->req->host.p = v;
			c->req->host.len = vlen;
		}
		break;
	case 6:
		if (c->req != NULL && mg_http_ieq(name, nlen, "expect"))
			return apply_expect(c->req, v, vlen);
		break;
	case 7:
		if (mg_http_ieq(name, nlen, "upgrade"))
			return apply_upgrade(h, v, vlen);
		break;
	case 10:
		if (mg_http_ieq(name, nlen, "connection"))
			return apply_connection(h, v, vlen);
		break;
	case 14:
		if (mg_http_ieq(name, nlen, "content-length"))
			return apply_content_length(h, v, vlen);
		break;
	case 17:
		if (mg_http_ieq(name, nlen, "transfer-encoding"))
			return apply_transfer_encoding(h, v, vlen);
		break;
	default:
		break;
	}
	return MG_H1_OK;
}

/* A field line in [s, e), e > s. */
static int
parse_field_line(struct ctx *c, size_t s, size_t e)
{
	struct mg_h1_head *h = c->h;
	const char *line = c->buf + s, *name, *v;
	size_t nlen, vlen;
	enum mg_h1_reason r;

	if (mg_http_is_ows(line[0]))
		return fail(c, h->nfields == 0 ? MG_H1_E_WS_BEFORE_FIRST_FIELD : MG_H1_E_OBS_FOLD,
		            s);
	switch (mg_http_split_field(line, e - s, &name, &nlen, &v, &vlen)) {
	case MG_HTTP_FIELD_OK:
		break;
	case MG_HTTP_FIELD_WS_BEFORE_COLON:
		return fail(c, MG_H1_E_WS_BEFORE_COLON, s);
	default:
		return fail(c, MG_H1_E_FIELD_NAME, s);
	}
	if (h->nfields >= h->max_fields)
		return fail(c, MG_H1_E_TOO_MANY_FIELDS, s);
	if (h->fields != NULL) {
		h->fields[h->nfields].name.p = name;
		h->fields[h->nfields].name.len = nlen;
		h->fields[h->nfields].value.p = v;
		h->fields[h->nfields].value.len = vlen;
	}
	h->nfields++;
	if (memchr(name, '_', nlen) != NULL)
		h->underscore_in_names = true;
	r = apply_field(c, name, nlen, v, vlen);
	return r == MG_H1_OK ? 0 : fail(c, r, s);
}

static int
finish_request(struct ctx *c, size_t end)
{
	struct mg_h1_request *req = c->req;
	struct mg_h1_head *h = c->h;

	if (h->chunked) {
		h->body = MG_H1_BODY_CHUNKED;
	} else if (h->has_content_length) {
		if (h->limits.max_body != 0 && h->content_length > h->limits.max_body)
			return fail(c, MG_H1_E_CL_TOO_LARGE, end);
		h->body = MG_H1_BODY_LENGTH;
	}
	if (h->st.host_count == 0) {
		if (h->minor == 1)
			return fail(c, MG_H1_E_HOST_MISSING, end);
		if (req->authority.p != NULL)
			req->host = req->authority;
	} else if (req->authority.p != NULL &&
	           !mg_http_ieq2(req->host.p, req->host.len, req->authority.p,
	                         req->authority.len)) {
		return fail(c, MG_H1_E_HOST_MISMATCH, end);
	}
	h->upgrade = h->minor == 1 && h->st.conn_upgrade && h->st.upgrade_count == 1;
	if (h->minor == 0)
		req->expect_100_continue = false;
	return 0;
}

static int
finish_response(struct ctx *c, size_t end)
{
	struct mg_h1_response *resp = c->resp;
	struct mg_h1_head *h = c->h;
	int status = resp->status;
	bool bodiless_status = status < 200 || status == 204;

	if (bodiless_status && h->st.te_seen)
		return fail(c, MG_H1_E_TE_NOT_ALLOWED, end);
	if (bodiless_status && h->has_content_length && h->content_length != 0)
		return fail(c, MG_H1_E_CL_NOT_ALLOWED, end);
	resp->interim = status < 200 && status != 101;
	if (status == 101) {
		if (h->st.upgrade_count == 0)
			return fail(c, MG_H1_E_UPGRADE_INVALID, end);
		h->upgrade = true;
		h->body = MG_H1_BODY_TUNNEL;
		h->keep_alive = false;
	} else if (resp->req_method == MG_H1_M_CONNECT && status / 100 == 2) {
		h->body = MG_H1_BODY_TUNNEL;
		h->keep_alive = false;
	} else if (bodiless_status || status == 304 || resp->req_method == MG_H1_M_HEAD) {
		h->body = MG_H1_BODY_NONE;
	} else if (h->chunked) {
		h->body = MG_H1_BODY_CHUNKED;
	} else if (h->has_content_length) {
		h->body = MG_H1_BODY_LENGTH;
	} else {
		h->body = MG_H1_BODY_EOF;
		h->keep_alive = false;
	}
	return 0;
}

/* The empty line ending the head is at [end - 2, end): checks that need the whole head. */
static int
finish(struct ctx *c, size_t end)
{
	struct mg_h1_head *h = c->h;
	int rc;

	if (h->st.te_seen) {
		if (h->has_content_length)
			return fail(c, MG_H1_E_CL_AND_TE, end);
		if (h->minor == 0)
			return fail(c, MG_H1_E_TE_HTTP10, end);
		if (h->st.te_chunked > 1)
			return fail(c, MG_H1_E_TE_CHUNKED_TWICE, end);
		if (!h->st.te_last_chunked)
			return fail(c,
			            h->st.te_chunked > 0 ? MG_H1_E_TE_CHUNKED_NOT_LAST
			                                 : MG_H1_E_TE_UNSUPPORTED,
			            end);
		if (h->st.te_other)
			return fail(c, MG_H1_E_TE_UNSUPPORTED, end);
		h->chunked = true;
	}
	if (h->minor == 1)
		h->keep_alive = !h->st.conn_close;
	else
		h->keep_alive = h->st.conn_keep_alive && !h->st.conn_close;
	rc = c->req != NULL ? finish_request(c, end) : finish_response(c, end);
	if (rc < 0)
		return rc;
	h->st.stage = ST_DONE;
	h->st.result = (int)end;
	return (int)end;
}

static int
parse(struct ctx *c)
{
	struct mg_h1_head *h = c->h;
	const char *buf = c->buf;
	size_t eol, pos;
	int rc;

	if (h->st.stage == ST_ERROR)
		return MG_H1_ERROR;
	if (h->st.base != NULL && (h->st.base != buf || c->len < h->st.scan)) {
		/* The buffer moved or shrank: start over (see the contract in mg_h1.h). */
		restart(c);
	} else if (h->st.stage == ST_DONE) {
		return h->st.result;
	}
	h->st.base = buf;

	for (;;) {
		switch (h->st.stage) {
		case ST_BEFORE:
			/* RFC 9112 section 2.2: ignore empty lines before the start line. */
			pos = h->st.pos;
			while (pos < c->len && buf[pos] == '\r') {
				if (pos + 1 == c->len)
					break;
				if (buf[pos + 1] != '\n')
					return fail(c, MG_H1_E_BARE_CR, pos);
				pos += 2;
				if (pos >= h->limits.max_head)
					return fail(c, MG_H1_E_HEAD_TOO_LARGE, pos);
			}
			h->st.examined += pos - h->st.pos;
			h->st.pos = h->st.scan = (uint32_t)pos;
			if (pos < c->len && buf[pos] == '\n')
				return fail(c, MG_H1_E_BARE_LF, pos);
			if (pos == c->len || buf[pos] == '\r')
				return MG_H1_INCOMPLETE;
			h->st.stage = ST_START;
			break;
		case ST_START:
			rc = find_eol(c, true, &eol);
			if (rc <= 0)
				return rc == 0 ? MG_H1_INCOMPLETE : rc;
			rc = c->req != NULL ? parse_request_line(c, h->st.pos, eol)
			                    : parse_status_line(c, h->st.pos, eol);
			if (rc < 0)
				return rc;
			h->st.pos = (uint32_t)(eol + 2);
			h->st.stage = ST_FIELDS;
			break;
		case ST_FIELDS:
			rc = find_eol(c, false, &eol);
			if (rc <= 0)
				return rc == 0 ? MG_H1_INCOMPLETE : rc;
			if (eol == h->st.pos) {
				h->st.pos = (uint32_t)(eol + 2);
				return finish(c, eol + 2);
			}
			rc = parse_field_line(c, h->st.pos, eol);
			if (rc < 0)
				return rc;
			h->st.pos = (uint32_t)(eol + 2);
			break;
		default:
			return h->st.result;
		}
	}
}

int
mg_h1_request_parse(struct mg_h1_request *req, const char *buf, size_t len)
{
	struct ctx c = {&req->head, req, NULL, buf, len};

	return parse(&c);
}

int
mg_h1_response_parse(struct mg_h1_response *resp, const char *buf, size_t len)
{
	struct ctx c = {&resp->head, NULL, resp, buf, len};

	return parse(&c);
}
