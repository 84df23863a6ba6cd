/*
 * Strict JSON over jsmn: see mg_jwt_json.h for the contract.
 *
 * jsmn (strict mode, parent links) builds the tree; check_value() then walks it and checks
 * every byte jsmn skipped or took on trust.
 */
#include "mg_jwt_json.h"

#include <stddef.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

_Static_assert(sizeof(struct mg_jj_tok) == sizeof(jsmntok_t), "mg_jj_tok mirrors jsmntok_t");
_Static_assert(offsetof(struct mg_jj_tok, start) == offsetof(jsmntok_t, start), "start");
_Static_assert(offsetof(struct mg_jj_tok, end) == offsetof(jsmntok_t, end), "end");
_Static_assert(offsetof(struct mg_jj_tok, size) == offsetof(jsmntok_t, size), "size");
_Static_assert(offsetof(struct mg_jj_tok, parent) == offsetof(jsmntok_t, parent), "parent");
_Static_assert((int)MG_JJ_OBJECT == (int)JSMN_OBJECT && (int)MG_JJ_STRING == (int)JSMN_STRING,
               "types");

/* The longest key compared for duplicates when it contains escapes. */
#define KEY_MAX 256

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static long
hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/*
 * Decodes one character of the string body <s>..<e> at *<pos> into <out> (up to 4 bytes) and
 * advances *<pos>.  Returns the byte count, or -1 on a bad escape, a control character or
 * invalid UTF-8.
 */
static int
str_step(const char *s, size_t e, size_t *pos, uint8_t out[4])
{
	size_t i = *pos;
	unsigned char c = (unsigned char)s[i];
	unsigned long cp;

	if (c < 0x20)
		return -1;
	if (c == '\\') {
		if (i + 1 >= e)
			return -1;
		switch (s[i + 1]) {
		case '"':
		case '\\':
		case '/':
			out[0] = (uint8_t)s[i + 1];
			*pos = i + 2;
			return 1;
		case 'b':
			out[0] = '\b';
			*pos = i + 2;
			return 1;
		case 'f':
			out[0] = '\f';
			*pos = i + 2;
			return 1;
		case 'n':
			out[0] = '\n';
			*pos = i + 2;
			return 1;
		case 'r':
			out[0] = '\r';
			*pos = i + 2;
			return 1;
		case 't':
			out[0] = '\t';
			*pos = i + 2;
			return 1;
		case 'u': {
			long hi, lo;

			if (i + 6 > e || (hi = hex4(s + i + 2)) < 0)
				return -1;
			i += 6;
			if (hi >= 0xDC00 && hi <= 0xDFFF)
				return -1;
			if (hi >= 0xD800 && hi <= 0xDBFF) {
				if (i + 6 > e || s[i] != '\\' || s[i + 1] != 'u' ||
				    (lo = hex4(s + i + 2)) < 0 || lo < 0xDC00 || lo > 0xDFFF)
					return -1;
				i += 6;
				cp = 0x10000 + ((unsigned long)(hi - 0xD800) << 10) +
				     (unsigned long)(lo - 0xDC00);
			} else {
				cp = (unsigned long)hi;
			}
			*pos = i;
			if (cp < 0x80) {
				out[0] = (uint8_t)cp;
				return 1;
			}
			if (cp < 0x800) {
				out[0] = (uint8_t)(0xC0 | cp >> 6);
				out[1] = (uint8_t)(0x80 | (cp & 0x3F));
				return 2;
			}
			if (cp < 0x10000) {
				out[0] = (uint8_t)(0xE0 | cp >> 12);
				out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
				out[2] = (uint8_t)(0x80 | (cp & 0x3F));
				return 3;
			}
			out[0] = (uint8_t)(0xF0 | cp >> 18);
			out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
			out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
			out[3] = (uint8_t)(0x80 | (cp & 0x3F));
			return 4;
		}
		default:
			return -1;
		}
	}
	if (c < 0x80) {
		out[0] = c;
		*pos = i + 1;
		return 1;
	}
	/* UTF-8: shortest form, no surrogates, at most U+10FFFF. */
	{
		int n;
		unsigned long min;

		if (c >= 0xC2 && c <= 0xDF) {
			n = 2;
			cp = c & 0x1F;
			min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 3;
			cp = c & 0x0F;
			min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 4;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return -1;
		}
		if (i + (size_t)n > e)
			return -1;
		out[0] = c;
		for (int k = 1; k < n; k++) {
			unsigned char cc = (unsigned char)s[i + (size_t)k];

			if ((cc & 0xC0) != 0x80)
				return -1;
			cp = cp << 6 | (cc & 0x3F);
			out[k] = cc;
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return -1;
		*pos = i + (size_t)n;
		return n;
	}
}

static bool
check_string(const char *text, const struct mg_jj_tok *t)
{
	size_t pos = (size_t)t->start, e = (size_t)t->end;
	uint8_t tmp[4];

	while (pos < e) {
		if (str_step(text, e, &pos, tmp) < 0)
			return false;
	}
	return true;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
check_primitive(const char *s, size_t n)
{
	size_t i = 0;

	if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0) ||
	    (n == 4 && memcmp(s, "null", 4) == 0))
		return true;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n || !is_digit(s[i]))
		return false;
	if (s[i] == '0')
		i++;
	else
		while (i < n && is_digit(s[i]))
			i++;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !is_digit(s[i]))
			return false;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return false;
		while (i < n && is_digit(s[i]))
			i++;
	}
	return i == n;
}

/* The first and one-past-last byte of a token's text, quotes included. */
static size_t
tok_begin(const struct mg_jj_tok *t)
{
	return (size_t)(t->type == MG_JJ_STRING ? t->start - 1 : t->start);
}

static size_t
tok_finish(const struct mg_jj_tok *t)
{
	return (size_t)(t->type == MG_JJ_STRING ? t->end + 1 : t->end);
}

/*
 * True when text[a..b) is whitespace around exactly one <sep> (or, with sep 0, whitespace
 * only).
 */
static bool
gap_ok(const char *text, size_t a, size_t b, char sep)
{
	bool seen = sep == 0;

	if (a > b)
		return false;
	for (size_t i = a; i < b; i++) {
		if (is_ws(text[i]))
			continue;
		if (!seen && text[i] == sep) {
			seen = true;
			continue;
		}
		return false;
	}
	return seen;
}

int
mg_jj_skip(const struct mg_jj_doc *doc, int i)
{
	int j = i + 1;

	if (doc->toks[i].type == MG_JJ_OBJECT || doc->toks[i].type == MG_JJ_ARRAY) {
		while (j < doc->n && doc->toks[j].start < doc->toks[i].end)
			j++;
	}
	return j;
}

/* Compares two key strings after unescaping; -1 when one is too long to compare. */
static int
keys_equal(const struct mg_jj_doc *doc, int a, int b)
{
	char ba[KEY_MAX];
	long la = mg_jj_str(doc, a, ba, sizeof(ba));

	if (la < 0)
		return -1;
	return mg_jj_str_eq(doc, b, ba, (size_t)la) ? 1 : 0;
}

/*
 * Checks value <i> at nesting <depth> (its own); returns the index past its subtree, or
 * -1 with *<err> set.
 */
static int
check_value(const struct mg_jj_doc *doc, int i, unsigned int depth, unsigned int max_depth,
            enum mg_jj_err *err)
{
	const struct mg_jj_tok *t = &doc->toks[i];
	const char *text = doc->text;
	size_t pos;
	int j;

	switch (t->type) {
	case MG_JJ_PRIMITIVE:
		if (!check_primitive(text + t->start, (size_t)(t->end - t->start))) {
			*err = MG_JJ_E_SYNTAX;
			return -1;
		}
		return i + 1;
	case MG_JJ_STRING:
		if (!check_string(text, t)) {
			*err = MG_JJ_E_STRING;
			return -1;
		}
		return i + 1;
	case MG_JJ_OBJECT:
	case MG_JJ_ARRAY:
		break;
	default:
		*err = MG_JJ_E_SYNTAX;
		return -1;
	}
	if (depth > max_depth) {
		*err = MG_JJ_E_DEPTH;
		return -1;
	}
	pos = (size_t)t->start + 1;
	j = i + 1;
	for (int k = 0; k < t->size; k++) {
		const struct mg_jj_tok *m;

		if (j >= doc->n || doc->toks[j].parent != i) {
			*err = MG_JJ_E_SYNTAX;
			return -1;
		}
		m = &doc->toks[j];
		if (!gap_ok(text, pos, tok_begin(m), k == 0 ? 0 : ',')) {
			*err = MG_JJ_E_SYNTAX;
			return -1;
		}
		if (t->type == MG_JJ_OBJECT) {
			int key = j;

			if (m->type != MG_JJ_STRING || m->size != 1) {
				*err = MG_JJ_E_SYNTAX;
				return -1;
			}
			if (!check_string(text, m)) {
				*err = MG_JJ_E_STRING;
				return -1;
			}
			/* Duplicate keys: compare with every earlier key of this object. */
			for (int p = i + 1; p < key; p = mg_jj_skip(doc, p + 1)) {
				int eq = keys_equal(doc, p, key);

				if (eq != 0) {
					*err = eq < 0 ? MG_JJ_E_STRING : MG_JJ_E_DUP_KEY;
					return -1;
				}
			}
			j++;
			if (j >= doc->n || doc->toks[j].parent != key ||
			    !gap_ok(text, tok_finish(m), tok_begin(&doc->toks[j]), ':')) {
				*err = MG_JJ_E_SYNTAX;
				return -1;
			}
			m = &doc->toks[j];
		}
		j = check_value(doc, j, depth + 1, max_depth, err);
		if (j < 0)
			return -1;
		pos = tok_finish(m);
	}
	if (t->end < 1 || !gap_ok(text, pos, (size_t)t->end - 1, 0) ||
	    text[t->end - 1] != (t->type == MG_JJ_OBJECT ? '}' : ']')) {
		*err = MG_JJ_E_SYNTAX;
		return -1;
	}
	return j;
}

enum mg_jj_err
mg_jj_parse(struct mg_jj_doc *doc, const char *text, size_t len, struct mg_jj_tok *toks,
            unsigned int cap, unsigned int max_depth)
{
	jsmn_parser p;
	enum mg_jj_err err = MG_JJ_OK;
	int n;

	doc->text = text;
	doc->len = len;
	doc->toks = toks;
	doc->n = 0;
	if (len > (size_t)1 << 30 || cap > (1u << 30))
		return MG_JJ_E_TOO_MANY;
	jsmn_init(&p);
	n = jsmn_parse(&p, text, len, (jsmntok_t *)toks, cap);
	if (n == JSMN_ERROR_NOMEM)
		return MG_JJ_E_TOO_MANY;
	if (n <= 0)
		return MG_JJ_E_SYNTAX;
	doc->n = n;
	if (toks[0].type != MG_JJ_OBJECT || !gap_ok(text, 0, (size_t)toks[0].start, 0) ||
	    !gap_ok(text, (size_t)toks[0].end, len, 0)) {
		doc->n = 0;
		return MG_JJ_E_SYNTAX;
	}
	if (check_value(doc, 0, 1, max_depth, &err) != n) {
		doc->n = 0;
		return err != MG_JJ_OK ? err : MG_JJ_E_SYNTAX;
	}
	return MG_JJ_OK;
}

long
mg_jj_str(const struct mg_jj_doc *doc, int tok, char *buf, size_t cap)
{
	const struct mg_jj_tok *t;
	size_t pos, e, o = 0;
	uint8_t tmp[4];

	if (tok < 0 || tok >= doc->n || doc->toks[tok].type != MG_JJ_STRING)
		return -1;
	t = &doc->toks[tok];
	pos = (size_t)t->start;
	e = (size_t)t->end;
	while (pos < e) {
		int k = str_step(doc->text, e, &pos, tmp);

		if (k < 0 || o + (size_t)k > cap)
			return -1;
		memcpy(buf + o, tmp, (size_t)k);
		o += (size_t)k;
	}
	return (long)o;
}

bool
mg_jj_str_eq(const struct mg_jj_doc *doc, int tok, const char *s, size_t len)
{
	const struct mg_jj_tok *t;
	size_t pos, e, o = 0;
	uint8_t tmp[4];

	if (tok < 0 || tok >= doc->n || doc->toks[tok].type != MG_JJ_STRING)
		return false;
	t = &doc->toks[tok];
	pos = (size_t)t->start;
	e = (size_t)t->end;
	while (pos < e) {
		int k = str_step(doc->text, e, &pos, tmp);

		if (k < 0 || o + (size_t)k > len || memcmp(s + o, tmp, (size_t)k) != 0)
			return false;
		o += (size_t)k;
	}
	return o == len;
}

int
mg_jj_get(const struct mg_jj_doc *doc, int obj, const char *key, size_t klen)
{
	int j;

	if (obj < 0 || obj >= doc->n || doc->toks[obj].type != MG_JJ_OBJECT)
		return -1;
	j = obj + 1;
	for (int k = 0; k < doc->toks[obj].size && j + 1 < doc->n; k++) {
		if (mg_jj_str_eq(doc, j, key, klen))
			return j + 1;
		j = mg_jj_skip(doc, j + 1);
	}
	return -1;
}

int
mg_jj_path(const struct mg_jj_doc *doc, int obj, const char *path, size_t plen)
{
	size_t a = 0;
	int cur = obj;

	while (cur >= 0) {
		size_t b = a;

		while (b < plen && path[b] != '.')
			b++;
		cur = mg_jj_get(doc, cur, path + a, b - a);
		if (b >= plen)
			return cur;
		a = b + 1;
	}
	return -1;
}

bool
mg_jj_is_literal(const struct mg_jj_doc *doc, int tok, const char *lit)
{
	size_t n;
	const char *s;

	if (tok < 0 || tok >= doc->n || doc->toks[tok].type != MG_JJ_PRIMITIVE)
		return false;
	s = mg_jj_raw(doc, tok, &n);
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

int
mg_jj_numeric_date(const struct mg_jj_doc *doc, int tok, int64_t *out)
{
	const char *s;
	size_t n, i;
	int64_t v = 0;

	if (tok < 0 || tok >= doc->n || doc->toks[tok].type != MG_JJ_PRIMITIVE)
		return -1;
	s = mg_jj_raw(doc, tok, &n);
	if (n == 0 || !is_digit(s[0]))
		return -1;
	for (i = 0; i < n && is_digit(s[i]); i++) {
		v = v * 10 + (s[i] - '0');
		if (v >= ((int64_t)1 << 53))
			return -1;
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && is_digit(s[i]); i++)
			;
	}
	if (i != n)
		return -1;
	*out = v;
	return 0;
}
