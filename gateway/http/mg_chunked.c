/*
 * Streaming chunked-coding decoder and encoder helpers.  See mg_chunked.h.
 *
 * The grammar (RFC 9112 section 7.1), enforced byte by byte:
 *
 *   chunked-body   = *chunk last-chunk trailer-section CRLF
 *   chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-size     = 1*HEXDIG
 *   last-chunk     = 1*("0") [ chunk-ext ] CRLF
 *   chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 *   chunk-ext-val  = token / quoted-string
 */
#include <errno.h>
#include <string.h>

#include "mg_chunked.h"
#include "mg_http_lex.h"

/* Values of d->state. */
enum {
	CS_SIZE = 0,       /* in the hex digits of chunk-size */
	CS_EXT_BWS,        /* whitespace that must lead to ';' */
	CS_EXT_PRE_NAME,   /* after ';': BWS, then an extension name */
	CS_EXT_NAME,       /* in an extension name */
	CS_EXT_POST_NAME,  /* whitespace after a name: '=' or ';' next */
	CS_EXT_PRE_VAL,    /* after '=': BWS, then a token or a quoted-string */
	CS_EXT_TOKEN,      /* in a token value */
	CS_EXT_QUOTED,     /* in a quoted-string value */
	CS_EXT_QUOTED_ESC, /* after a backslash in a quoted-string */
	CS_EXT_AFTER_VAL,  /* after a value: BWS ';', ';' or CR */
	CS_SIZE_LF,        /* after the CR of the size line */
	CS_DATA,           /* in chunk-data, chunk_left bytes to go */
	CS_DATA_CR,        /* after chunk-data: CR expected */
	CS_DATA_LF,        /* after chunk-data and CR: LF expected */
	CS_TRAILER,        /* in the trailer section */
	CS_DONE,
	CS_ERROR,
};

const struct mg_chunked_limits mg_chunked_limits_default = {
    .max_ext = MG_CHUNKED_DEFAULT_MAX_EXT,
    .max_trailer = MG_CHUNKED_DEFAULT_MAX_TRAILER,
    .max_trailer_fields = MG_CHUNKED_DEFAULT_MAX_TRAILER_FIELDS,
    .max_body = 0,
};

static const char *const reason_names[MG_CHUNKED_REASON_COUNT] = {
    [MG_CHUNKED_OK] = "ok",
    [MG_CHUNKED_E_SIZE] = "chunk_size_invalid",
    [MG_CHUNKED_E_SIZE_TOO_LONG] = "chunk_size_too_long",
    [MG_CHUNKED_E_EXT] = "chunk_ext_invalid",
    [MG_CHUNKED_E_EXT_TOO_LONG] = "chunk_ext_too_long",
    [MG_CHUNKED_E_BARE_CR] = "chunk_bare_cr",
    [MG_CHUNKED_E_BARE_LF] = "chunk_bare_lf",
    [MG_CHUNKED_E_DATA_CRLF] = "chunk_data_crlf",
    [MG_CHUNKED_E_BODY_TOO_LARGE] = "chunked_body_too_large",
    [MG_CHUNKED_E_TRAILER_FIELD] = "trailer_field_invalid",
    [MG_CHUNKED_E_TRAILER_TOO_LARGE] = "trailer_too_large",
    [MG_CHUNKED_E_TRAILER_TOO_MANY] = "trailer_too_many",
};

const char *
mg_chunked_reason_name(enum mg_chunked_reason r)
{
	return (unsigned int)r < MG_CHUNKED_REASON_COUNT ? reason_names[r] : "unknown";
}

int
mg_chunked_reason_status(enum mg_chunked_reason r)
{
	switch (r) {
	case MG_CHUNKED_OK:
		return 0;
	case MG_CHUNKED_E_BODY_TOO_LARGE:
		return 413;
	default:
		return 400;
	}
}

static uint32_t
limit_or(uint32_t v, uint32_t def)
{
	if (v == 0)
		return def;
	return v > MG_H1_LIMIT_CAP ? MG_H1_LIMIT_CAP : v;
}

void
mg_chunked_init(struct mg_chunked *d, const struct mg_chunked_limits *limits,
                struct mg_h1_field *trailers, unsigned int ntrailers)
{
	const struct mg_chunked_limits *l = limits != NULL ? limits : &mg_chunked_limits_default;

	memset(d, 0, sizeof(*d));
	d->limits.max_ext = limit_or(l->max_ext, MG_CHUNKED_DEFAULT_MAX_EXT);
	d->limits.max_trailer = limit_or(l->max_trailer, MG_CHUNKED_DEFAULT_MAX_TRAILER);
	d->limits.max_trailer_fields =
	    limit_or(l->max_trailer_fields, MG_CHUNKED_DEFAULT_MAX_TRAILER_FIELDS);
	d->limits.max_body = l->max_body;
	d->trailers = trailers;
	d->max_trailers = d->limits.max_trailer_fields;
	if (trailers != NULL && ntrailers < d->max_trailers)
		d->max_trailers = ntrailers;
	d->state = CS_SIZE;
}

bool
mg_chunked_done(const struct mg_chunked *d)
{
	return d->state == CS_DONE;
}

static ssize_t
fail(struct mg_chunked *d, enum mg_chunked_reason r, size_t off)
{
	d->state = CS_ERROR;
	d->reason = r;
	d->err_offset = off;
	return MG_CHUNKED_ERROR;
}

/*
 * Splits the complete trailer section [t, t + n) (its final empty line
 * excluded, every line ending in CRLF, every byte MG_HTTP_C_PLAIN, CR or LF)
 * into fields.  Returns MG_CHUNKED_OK or the error; *<bad> is the offset of
 * the offending line.
 */
static enum mg_chunked_reason
split_trailers(struct mg_chunked *d, const char *t, size_t n, size_t *bad)
{
	const char *p = t, *end = t + n, *cr, *name, *v;
	size_t nlen, vlen;

	while (p < end) {
		cr = memchr(p, '\r', (size_t)(end - p));
		*bad = (size_t)(p - t);
		if (cr == NULL || mg_http_is_ows(*p) ||
		    mg_http_split_field(p, (size_t)(cr - p), &name, &nlen, &v, &vlen) !=
		        MG_HTTP_FIELD_OK)
			return MG_CHUNKED_E_TRAILER_FIELD;
		if (d->ntrailers >= d->max_trailers)
			return MG_CHUNKED_E_TRAILER_TOO_MANY;
		if (d->trailers != NULL) {
			d->trailers[d->ntrailers].name.p = name;
			d->trailers[d->ntrailers].name.len = nlen;
			d->trailers[d->ntrailers].value.p = v;
			d->trailers[d->ntrailers].value.len = vlen;
		}
		d->ntrailers++;
		p = cr + 2;
	}
	return MG_CHUNKED_OK;
}

/*
 * The trailer section starts at <t> (<n> bytes available).  Returns its
 * length including the final CRLF once it is complete and valid, 0 when more
 * bytes are needed, or MG_CHUNKED_ERROR (offsets relative to <base>).
 */
static ssize_t
trailer(struct mg_chunked *d, const char *t, size_t n, size_t base)
{
	size_t j = d->tr_scan, line = d->tr_line, bad = 0;
	size_t end = n < d->limits.max_trailer ? n : d->limits.max_trailer;
	enum mg_chunked_reason r;
	unsigned char c;

	while (j < end) {
		c = (unsigned char)t[j];
		if (mg_http_is(c, MG_HTTP_C_PLAIN)) {
			j++;
			continue;
		}
		if (c == '\n')
			return fail(d, MG_CHUNKED_E_BARE_LF, base + j);
		if (c != '\r')
			return fail(d, MG_CHUNKED_E_TRAILER_FIELD, base + j);
		if (j + 1 >= end)
			break;
		if (t[j + 1] != '\n')
			return fail(d, MG_CHUNKED_E_BARE_CR, base + j);
		if (j == line) {
			d->examined += j + 2 - d->tr_scan;
			r = split_trailers(d, t, j, &bad);
			if (r != MG_CHUNKED_OK)
				return fail(d, r, base + bad);
			return (ssize_t)(j + 2);
		}
		j += 2;
		line = j;
	}
	d->examined += j - d->tr_scan;
	d->tr_scan = (uint32_t)j;
	d->tr_line = (uint32_t)line;
	if (n >= d->limits.max_trailer)
		return fail(d, MG_CHUNKED_E_TRAILER_TOO_LARGE, base + end);
	return 0;
}

/* Counts one byte of chunk-ext against the limit. */
static bool
ext_byte(struct mg_chunked *d)
{
	return ++d->ext_len <= d->limits.max_ext;
}

static bool
is_qdtext(unsigned char c)
{
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

ssize_t
mg_chunked_decode(struct mg_chunked *d, const char *buf, size_t len, struct mg_chunked_span *span)
{
	size_t i = 0, take;
	ssize_t n;
	unsigned char c;
	int hex;

	span->data = NULL;
	span->data_len = 0;
	span->framing = 0;
	if (d->state == CS_ERROR)
		return MG_CHUNKED_ERROR;
	if (len == 0)
		return 0; /* nothing to do, and no arithmetic on a NULL <buf> */

	while (i < len || d->state == CS_TRAILER) {
		if (d->state == CS_DONE)
			break;
		if (d->state == CS_DATA) {
			take = len - i;
			if (take > d->chunk_left)
				take = (size_t)d->chunk_left;
			span->data = buf + i;
			span->data_len = take;
			span->framing = i;
			d->chunk_left -= take;
			d->body_len += take;
			if (d->chunk_left == 0)
				d->state = CS_DATA_CR;
			return (ssize_t)(i + take);
		}
		if (d->state == CS_TRAILER) {
			n = trailer(d, buf + i, len - i, i);
			if (n < 0)
				return n;
			if (n == 0)
				break;
			i += (size_t)n;
			d->state = CS_DONE;
			break;
		}

		c = (unsigned char)buf[i];
		switch (d->state) {
		case CS_SIZE:
			if (c >= '0' && c <= '9')
				hex = c - '0';
			else if (c >= 'a' && c <= 'f')
				hex = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				hex = c - 'A' + 10;
			else
				hex = -1;
			if (hex >= 0) {
				if (d->digits == MG_CHUNKED_MAX_SIZE_DIGITS)
					return fail(d, MG_CHUNKED_E_SIZE_TOO_LONG, i);
				d->digits++;
				d->chunk_left = (d->chunk_left << 4) | (uint64_t)hex;
				break;
			}
			if (d->digits == 0)
				return fail(d, MG_CHUNKED_E_SIZE, i);
			if (c == '\r')
				d->state = CS_SIZE_LF;
			else if (c == ';')
				d->state = CS_EXT_PRE_NAME;
			else if (c == ' ' || c == '\t')
				d->state = CS_EXT_BWS;
			else if (c == '\n')
				return fail(d, MG_CHUNKED_E_BARE_LF, i);
			else
				return fail(d, MG_CHUNKED_E_SIZE, i);
			if (c != '\r' && !ext_byte(d))
				return fail(d, MG_CHUNKED_E_EXT_TOO_LONG, i);
			break;
		case CS_EXT_BWS:
		case CS_EXT_AFTER_VAL:
			if (c == '\r' && d->state == CS_EXT_AFTER_VAL) {
				d->state = CS_SIZE_LF;
				break;
			}
			if (c == ';')
				d->state = CS_EXT_PRE_NAME;
			else if (c == ' ' || c == '\t')
				d->state = CS_EXT_BWS;
			else
				return fail(d, c == '\n' ? MG_CHUNKED_E_BARE_LF : MG_CHUNKED_E_EXT,
				            i);
			if (!ext_byte(d))
				return fail(d, MG_CHUNKED_E_EXT_TOO_LONG, i);
			break;
		case CS_EXT_PRE_NAME:
			if (mg_http_is(c, MG_HTTP_C_TCHAR))
				d->state = CS_EXT_NAME;
			else if (c != ' ' && c != '\t')
				return fail(d, c == '\n' ? MG_CHUNKED_E_BARE_LF : MG_CHUNKED_E_EXT,
				            i);
			if (!ext_byte(d))
				return fail(d, MG_CHUNKED_E_EXT_TOO_LONG, i);
			break;
		case CS_EXT_NAME:
		case CS_EXT_POST_NAME:
			if (c == '\r' && d->state == CS_EXT_NAME) {
				d->state = CS_SIZE_LF;
				break;
			}
			if (c == '=')
				d->state = CS_EXT_PRE_VAL;
			else if (c == ';')
				d->state = CS_EXT_PRE_NAME;
			else if (c == ' ' || c == '\t')
				d->state = CS_EXT_POST_NAME;
			else if (!(d->state == CS_EXT_NAME && mg_http_is(c, MG_HTTP_C_TCHAR)))
				return fail(d, c == '\n' ? MG_CHUNKED_E_BARE_LF : MG_CHUNKED_E_EXT,
				            i);
			if (!ext_byte(d))
				return fail(d, MG_CHUNKED_E_EXT_TOO_LONG, i);
			break;
		case CS_EXT_PRE_VAL:
			if (mg_http_is(c, MG_HTTP_C_TCHAR))
				d->state = CS_EXT_TOKEN;
			else if (c == '"')
				d->state = CS_EXT_QUOTED;
			else if (c != ' ' && c != '\t')
				return fail(d, c == '\n' ? MG_CHUNKED_E_BARE_LF : MG_CHUNKED_E_EXT,
				            i);
			if (!ext_byte(d))
				return fail(d, MG_CHUNKED_E_EXT_TOO_LONG, i);
			break;
		case CS_EXT_TOKEN:
			if (c == '\r') {
				d->state = CS_SIZE_LF;
				break;
			}
			if (c == ';')
				d->state = CS_EXT_PRE_NAME;
			else if (c == ' ' || c == '\t')
				d->state = CS_EXT_BWS;
			else if (!mg_http_is(c, MG_HTTP_C_TCHAR))
				return fail(d, c == '\n' ? MG_CHUNKED_E_BARE_LF : MG_CHUNKED_E_EXT,
				            i);
			if (!ext_byte(d))
				return fail(d, MG_CHUNKED_E_EXT_TOO_LONG, i);
			break;
		case CS_EXT_QUOTED:
			if (c == '"')
				d->state = CS_EXT_AFTER_VAL;
			else if (c == '\\')
				d->state = CS_EXT_QUOTED_ESC;
			else if (!is_qdtext(c))
				return fail(d, MG_CHUNKED_E_EXT, i);
			if (!ext_byte(d))
				return fail(d, MG_CHUNKED_E_EXT_TOO_LONG, i);
			break;
		case CS_EXT_QUOTED_ESC:
			/* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
			if (c != '\t' && c != ' ' && !(c >= 0x21 && c != 0x7f))
				return fail(d, MG_CHUNKED_E_EXT, i);
			d->state = CS_EXT_QUOTED;
			if (!ext_byte(d))
				return fail(d, MG_CHUNKED_E_EXT_TOO_LONG, i);
			break;
		case CS_SIZE_LF:
			if (c != '\n')
				return fail(d, MG_CHUNKED_E_BARE_CR, i - (i > 0));
			d->digits = 0;
			d->ext_len = 0;
			if (d->chunk_left == 0) {
				d->state = CS_TRAILER;
				d->tr_scan = 0;
				d->tr_line = 0;
				break;
			}
			if (d->chunk_left > UINT64_MAX - d->body_len ||
			    (d->limits.max_body != 0 &&
			     d->body_len + d->chunk_left > d->limits.max_body))
				return fail(d, MG_CHUNKED_E_BODY_TOO_LARGE, i);
			d->state = CS_DATA;
			break;
		case CS_DATA_CR:
			if (c != '\r')
				return fail(d, MG_CHUNKED_E_DATA_CRLF, i);
			d->state = CS_DATA_LF;
			break;
		case CS_DATA_LF:
			if (c != '\n')
				return fail(d, MG_CHUNKED_E_DATA_CRLF, i);
			d->state = CS_SIZE;
			break;
		default:
			return fail(d, MG_CHUNKED_E_SIZE, i);
		}
		i++;
	}
	span->framing = i;
	return (ssize_t)i;
}

int
mg_chunked_write_size(char *out, size_t size, uint64_t n)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[MG_CHUNKED_SIZE_LINE_MAX];
	size_t k = 0, i;

	if (n == 0)
		return -EINVAL;
	while (n != 0) {
		tmp[k++] = hex[n & 0xf];
		n >>= 4;
	}
	if (size < k + 2)
		return -ENOSPC;
	for (i = 0; i < k; i++)
		out[i] = tmp[k - 1 - i];
	out[k] = '\r';
	out[k + 1] = '\n';
	return (int)(k + 2);
}

ssize_t
mg_chunked_write_end(char *out, size_t size, const struct mg_h1_field *trailers, unsigned int n)
{
	size_t need = 5, o = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		need += trailers[i].name.len + 2 + trailers[i].value.len + 2;
	if (size < need)
		return -ENOSPC;
	memcpy(out, "0\r\n", 3);
	o = 3;
	for (i = 0; i < n; i++) {
		memcpy(out + o, trailers[i].name.p, trailers[i].name.len);
		o += trailers[i].name.len;
		memcpy(out + o, ": ", 2);
		o += 2;
		if (trailers[i].value.len > 0)
			memcpy(out + o, trailers[i].value.p, trailers[i].value.len);
		o += trailers[i].value.len;
		memcpy(out + o, "\r\n", 2);
		o += 2;
	}
	memcpy(out + o, "\r\n", 2);
	return (ssize_t)(o + 2);
}
