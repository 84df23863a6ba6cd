/*
 * HTTP helpers for the proxy.  See mg_http_util.h.
 */
#include <errno.h>
#include <string.h>

#include "mg_http_lex.h"
#include "mg_http_util.h"

/* A lower-case field name and its length: lists are searched by length first. */
struct word {
	const char *s;
	size_t n;
};
#define W(lit)                                                                                     \
	{                                                                                          \
		lit, sizeof(lit) - 1                                                               \
	}

/* Fields never forwarded, whatever Connection says (lower case). */
static const struct word hop_by_hop[] = {
    W("connection"),
    W("keep-alive"),
    W("proxy-connection"),
    W("te"),
    W("trailer"),
    W("transfer-encoding"),
    W("upgrade"),
    W("http2-settings"),
    W("proxy-authenticate"),
    W("proxy-authorization"),
};

/* Fields that are not allowed as trailers (RFC 9110 section 6.5.1), besides hop-by-hop ones. */
static const struct word not_trailers[] = {
    W("content-length"),
    W("host"),
    W("authorization"),
    W("www-authenticate"),
    W("set-cookie"),
    W("cookie"),
    W("cache-control"),
    W("expect"),
    W("max-forwards"),
    W("pragma"),
    W("range"),
    W("if-match"),
    W("if-none-match"),
    W("if-modified-since"),
    W("if-unmodified-since"),
    W("if-range"),
    W("age"),
    W("expires"),
    W("date"),
    W("location"),
    W("retry-after"),
    W("vary"),
    W("warning"),
    W("content-encoding"),
    W("content-type"),
    W("content-range"),
    W("content-location"),
};

static bool
in_list(const char *name, size_t len, const struct word *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (list[i].n == len && mg_http_ieq_n(name, list[i].s, len))
			return true;
	}
	return false;
}

bool
mg_http_is_hop_by_hop(const char *name, size_t len, const struct mg_h1_head *head)
{
	unsigned int i;

	if (in_list(name, len, hop_by_hop, sizeof(hop_by_hop) / sizeof(hop_by_hop[0])))
		return true;
	if (head == NULL || head->nconn_tokens == 0 || mg_http_ieq(name, len, "host") ||
	    mg_http_ieq(name, len, "content-length"))
		return false;
	for (i = 0; i < head->nconn_tokens; i++) {
		if (mg_http_ieq2(name, len, head->conn_tokens[i].p, head->conn_tokens[i].len))
			return true;
	}
	return false;
}

bool
mg_http_trailer_allowed(const char *name, size_t len)
{
	return !in_list(name, len, hop_by_hop, sizeof(hop_by_hop) / sizeof(hop_by_hop[0])) &&
	       !in_list(name, len, not_trailers, sizeof(not_trailers) / sizeof(not_trailers[0]));
}

const struct mg_h1_field *
mg_http_field_find(const struct mg_h1_field *fields, unsigned int n, const char *name,
                   unsigned int *idx)
{
	unsigned int i = idx != NULL ? *idx : 0;
	size_t len = strlen(name);

	for (; i < n; i++) {
		if (mg_http_ieq2(fields[i].name.p, fields[i].name.len, name, len)) {
			if (idx != NULL)
				*idx = i + 1;
			return &fields[i];
		}
	}
	if (idx != NULL)
		*idx = n;
	return NULL;
}

bool
mg_http_request_id_valid(const char *v, size_t len)
{
	size_t i;
	char c;

	if (len == 0 || len > MG_HTTP_REQUEST_ID_MAX)
		return false;
	for (i = 0; i < len; i++) {
		c = v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

void
mg_http_uuid_v4(const uint8_t rnd[16], char out[MG_HTTP_UUID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b;
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		b = rnd[i];
		if (i == 6)
			b = (uint8_t)((b & 0x0f) | 0x40); /* version 4 */
		else if (i == 8)
			b = (uint8_t)((b & 0x3f) | 0x80); /* variant 10 */
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b >> 4];
		out[o++] = hex[b & 0xf];
	}
}

/* An output buffer that remembers whether anything did not fit. */
struct wbuf {
	char *p;
	size_t size;
	size_t len;
	bool full;
};

static void
put(struct wbuf *w, const void *s, size_t n)
{
	if (w->full || w->size - w->len < n) {
		w->full = true;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
puts_lit(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

static void
put_u64(struct wbuf *w, uint64_t v)
{
	char tmp[20];
	size_t k = sizeof(tmp);

	do {
		tmp[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(w, tmp + k, sizeof(tmp) - k);
}

static ssize_t
done(const struct wbuf *w)
{
	return w->full ? -ENOSPC : (ssize_t)w->len;
}

ssize_t
mg_http_write_field(char *out, size_t size, const char *name, size_t name_len, const char *value,
                    size_t value_len)
{
	struct wbuf w = {out, size, 0, false};

	put(&w, name, name_len);
	put(&w, ": ", 2);
	put(&w, value, value_len);
	put(&w, "\r\n", 2);
	return done(&w);
}

ssize_t
mg_http_write_content_length(char *out, size_t size, uint64_t n)
{
	struct wbuf w = {out, size, 0, false};

	puts_lit(&w, "Content-Length: ");
	put_u64(&w, n);
	put(&w, "\r\n", 2);
	return done(&w);
}

ssize_t
mg_http_write_xff(char *out, size_t size, const struct mg_h1_field *fields, unsigned int n,
                  const char *ip, size_t ip_len)
{
	struct wbuf w = {out, size, 0, false};
	const struct mg_h1_field *f;
	unsigned int idx = 0;
	size_t i;

	if (ip_len == 0 || ip_len > MG_HTTP_IP_MAX)
		return -EINVAL;
	for (i = 0; i < ip_len; i++) {
		if (!mg_http_is((unsigned char)ip[i], MG_HTTP_C_HEX) && ip[i] != '.' &&
		    ip[i] != ':')
			return -EINVAL;
	}
	puts_lit(&w, "X-Forwarded-For: ");
	while ((f = mg_http_field_find(fields, n, "x-forwarded-for", &idx)) != NULL) {
		if (f->value.len == 0)
			continue;
		put(&w, f->value.p, f->value.len);
		put(&w, ", ", 2);
	}
	put(&w, ip, ip_len);
	put(&w, "\r\n", 2);
	return done(&w);
}

ssize_t
mg_http_write_xfproto(char *out, size_t size, bool https)
{
	struct wbuf w = {out, size, 0, false};

	puts_lit(&w, https ? "X-Forwarded-Proto: https\r\n" : "X-Forwarded-Proto: http\r\n");
	return done(&w);
}

ssize_t
mg_http_write_xfport(char *out, size_t size, uint16_t port)
{
	struct wbuf w = {out, size, 0, false};

	puts_lit(&w, "X-Forwarded-Port: ");
	put_u64(&w, port);
	put(&w, "\r\n", 2);
	return done(&w);
}

/* Reason phrases (RFC 9110, 6585, 7725, 8297, 8470, 4918, 5842, 3229, 2295), by code. */
static const struct {
	int status;
	const char *reason;
} status_reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {102, "Processing"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {208, "Already Reported"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {511, "Network Authentication Required"},
};

const char *
mg_http_status_reason(int status)
{
	size_t lo = 0, hi = sizeof(status_reasons) / sizeof(status_reasons[0]), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (status_reasons[mid].status == status)
			return status_reasons[mid].reason;
		if (status_reasons[mid].status < status)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "";
}

/* True when [p, p + n) is zero or more "name: value\r\n" lines. */
static bool
field_lines_valid(const char *p, size_t n)
{
	const char *end = p + n, *cr, *name, *v;
	size_t nlen, vlen;

	while (p < end) {
		cr = memchr(p, '\r', (size_t)(end - p));
		if (cr == NULL || cr + 1 >= end || cr[1] != '\n' || cr == p || mg_http_is_ows(*p) ||
		    !mg_http_all(p, (size_t)(cr - p), MG_HTTP_C_PLAIN) ||
		    mg_http_split_field(p, (size_t)(cr - p), &name, &nlen, &v, &vlen) !=
		        MG_HTTP_FIELD_OK)
			return false;
		p = cr + 2;
	}
	return true;
}

ssize_t
mg_http_write_error(char *out, size_t size, int status, const char *detail, size_t detail_len,
                    const char *extra, size_t extra_len, bool head_request)
{
	struct wbuf w = {out, size, 0, false};
	const char *reason = mg_http_status_reason(status);
	char body[3 + 1 + 40 + 2 + MG_HTTP_ERROR_DETAIL_MAX + 1];
	struct wbuf b = {body, sizeof(body), 0, false};
	size_t i;
	char c;

	if (status < 400 || status > 599)
		return -EINVAL;
	if (extra_len > 0 && (extra == NULL || !field_lines_valid(extra, extra_len)))
		return -EINVAL;

	put_u64(&b, (uint64_t)status);
	if (reason[0] != '\0') {
		put(&b, " ", 1);
		puts_lit(&b, reason);
	}
	if (detail != NULL && detail_len > 0) {
		put(&b, ": ", 2);
		if (detail_len > MG_HTTP_ERROR_DETAIL_MAX)
			detail_len = MG_HTTP_ERROR_DETAIL_MAX;
		for (i = 0; i < detail_len; i++) {
			c = detail[i] >= 0x20 && detail[i] <= 0x7e ? detail[i] : '?';
			put(&b, &c, 1);
		}
	}
	put(&b, "\n", 1);

	puts_lit(&w, "HTTP/1.1 ");
	put_u64(&w, (uint64_t)status);
	put(&w, " ", 1);
	puts_lit(&w, reason);
	puts_lit(&w, "\r\nContent-Type: text/plain\r\nContent-Length: ");
	put_u64(&w, b.len);
	puts_lit(&w, "\r\nConnection: close\r\n");
	if (extra_len > 0)
		put(&w, extra, extra_len);
	put(&w, "\r\n", 2);
	if (!head_request)
		put(&w, body, b.len);
	return done(&w);
}

size_t
mg_http_ip4(uint32_t addr, char out[16])
{
	const uint8_t *a = (const uint8_t *)&addr;
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (i > 0)
			out[n++] = '.';
		if (v >= 100)
			out[n++] = (char)('0' + v / 100);
		if (v >= 10)
			out[n++] = (char)('0' + v / 10 % 10);
		out[n++] = (char)('0' + v % 10);
	}
	out[n] = '\0';
	return n;
}
