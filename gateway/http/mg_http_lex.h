/*
 * HTTP/1.1 lexical helpers shared by the head parser (mg_h1.c), the chunked
 * decoder (mg_chunked.c) and the header utilities (mg_http_util.c).  Code
 * above gateway/http may use them too (the proxy matches field names with
 * mg_http_ieq()); the character table's bits may change, so such code
 * should stick to the functions.
 *
 * Every function works on (pointer, length) views and never reads outside
 * them.
 */
#ifndef MG_HTTP_LEX_H
#define MG_HTTP_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Character classes, one bit each, in mg_http_ctype[byte]. */
#define MG_HTTP_C_TCHAR   0x01 /* RFC 9110 tchar */
#define MG_HTTP_C_PLAIN   0x02 /* may appear inside a head line: SP, HTAB, VCHAR, obs-text */
#define MG_HTTP_C_HEX     0x04 /* HEXDIG, either case */
#define MG_HTTP_C_DIGIT   0x08 /* DIGIT */
#define MG_HTTP_C_PATH    0x10 /* accepted in the path of a request-target (see docs/HTTP.md) */
#define MG_HTTP_C_QUERY   0x20 /* accepted in the query of a request-target */
#define MG_HTTP_C_REGNAME 0x40 /* RFC 3986 unreserved and sub-delims (reg-name without '%') */

extern const uint8_t mg_http_ctype[256];

static inline bool
mg_http_is(unsigned char c, uint8_t cls)
{
	return (mg_http_ctype[c] & cls) != 0;
}

static inline bool
mg_http_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static inline unsigned char
mg_http_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* mg_http_ieq_n() compares the <n> bytes at <a>, ignoring ASCII case, with
 * the <n> lower-case bytes at <lit>. */
bool mg_http_ieq_n(const char *a, const char *lit, size_t n);

/*
 * mg_http_ieq() returns true when the <alen> bytes at <a> equal the
 * NUL-terminated lower-case ASCII literal <lit>, ignoring ASCII case.  The
 * lengths are compared first (a literal's is a constant), so most calls
 * return without looking at a byte.
 */
static inline bool
mg_http_ieq(const char *a, size_t alen, const char *lit)
{
	return __builtin_strlen(lit) == alen && mg_http_ieq_n(a, lit, alen);
}

/* mg_http_ieq2() compares two views ignoring ASCII case. */
bool mg_http_ieq2(const char *a, size_t alen, const char *b, size_t blen);

/* mg_http_all() returns true when every one of the <len> bytes at <p> is in class <cls>. */
bool mg_http_all(const char *p, size_t len, uint8_t cls);

/*
 * mg_http_list_next() walks a comma-separated list (RFC 9110 section 5.6.1)
 * in the view [*<pos>, <end>).  It skips empty elements and the optional
 * whitespace around elements, stores the next non-empty element in
 * <*elem>/<*elen> (without surrounding whitespace), advances *<pos> past it,
 * and returns true; it returns false when no element is left.  Quoted
 * strings are not recognised: callers use it only for lists of tokens and
 * validate each element themselves.
 */
bool mg_http_list_next(const char **pos, const char *end, const char **elem, size_t *elen);

/* The outcome of mg_http_split_field(). */
enum mg_http_field_err {
	MG_HTTP_FIELD_OK = 0,
	MG_HTTP_FIELD_BAD_NAME,        /* empty name, a non-token byte, or no colon */
	MG_HTTP_FIELD_WS_BEFORE_COLON, /* "Name : value" */
};

/*
 * mg_http_split_field() splits the field line [<line>, <line> + <len>)
 * (without its CRLF; the caller has already checked that every byte is
 * MG_HTTP_C_PLAIN and that the line does not start with whitespace) into a
 * name, which must be a non-empty token followed directly by ':', and a value
 * with leading and trailing optional whitespace removed.  The views point into
 * <line>.  Returns MG_HTTP_FIELD_OK or the error.
 */
enum mg_http_field_err mg_http_split_field(const char *line, size_t len, const char **name,
                                           size_t *name_len, const char **value, size_t *value_len);

#endif /* MG_HTTP_LEX_H */
