/*
 * Route matching building blocks.  See mg_match.h.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "gateway/route/mg_match.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The work one regex match may do: PCRE2's match limit counts calls of its internal match
 * function (backtracking steps), the depth limit bounds its backtracking memory.  A linear
 * pattern on a 8 KiB value needs a few thousand steps; catastrophic backtracking needs
 * millions and is cut off here instead.
 */
#define REGEX_MATCH_LIMIT 200000
#define REGEX_DEPTH_LIMIT 10000

struct mg_match_regex {
	pcre2_code *code;
};

static struct {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	uint64_t limit_hits;
} rx;

/* ---- path normalisation ---------------------------------------------------------------- */

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

static bool
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Removes the last segment of out[0..*o): back to (not keeping) its '/'. */
static void
pop_segment(const char *out, size_t *o)
{
	size_t n = *o;

	while (n > 0 && out[n - 1] != '/')
		n--;
	*o = n > 0 ? n - 1 : 0;
}

int
mg_match_path_normalize(const char *in, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	char seg[MG_MATCH_PATH_MAX];
	size_t i = 0, o = 0, r, w;

	if (len == 0 || in[0] != '/')
		return -EINVAL;
	if (cap < len + 1)
		return -ENOSPC;
	/*
	 * Envoy's order: normalize_path first (decode, then remove dot segments, where an empty
	 * segment is a segment: "/a//../b" is "/a/b"), merge_slashes second.  Here out holds
	 * "/seg/seg..." (each segment after its '/'; "" is the root) while segments are resolved.
	 */
	while (i < len) {
		size_t sl = 0;
		bool last;

		i++; /* the '/' before this segment */
		/* Decode the segment up to the next '/' (an encoded slash stays encoded). */
		while (i < len && in[i] != '/') {
			if (sl + 3 > sizeof(seg))
				return -ENOSPC;
			if (in[i] == '%') {
				int hi, lo;

				if (i + 2 >= len)
					return -EINVAL;
				hi = hexval(in[i + 1]);
				lo = hexval(in[i + 2]);
				if (hi < 0 || lo < 0)
					return -EINVAL;
				if (is_unreserved((unsigned char)(hi << 4 | lo))) {
					seg[sl++] = (char)(hi << 4 | lo);
				} else {
					seg[sl++] = '%';
					seg[sl++] = hex[hi];
					seg[sl++] = hex[lo];
				}
				i += 3;
			} else {
				seg[sl++] = in[i++];
			}
		}
		last = i >= len;
		if (sl == 1 && seg[0] == '.') {
			/* "." goes; a final one leaves the path ending in '/'. */
		} else if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			pop_segment(out, &o);
		} else {
			out[o++] = '/';
			memcpy(out + o, seg, sl);
			o += sl;
			continue;
		}
		if (last)
			out[o++] = '/';
	}
	if (o == 0)
		out[o++] = '/';
	/* merge_slashes */
	for (r = 0, w = 0; r < o; r++)
		if (!(out[r] == '/' && w > 0 && out[w - 1] == '/'))
			out[w++] = out[r];
	return (int)w;
}

int
mg_match_pct_decode(const char *in, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++, o++) {
		int hi, lo;

		if (o == cap)
			return -1;
		if (in[i] != '%') {
			out[o] = in[i];
			continue;
		}
		if (i + 2 >= len || (hi = hexval(in[i + 1])) < 0 || (lo = hexval(in[i + 2])) < 0)
			return -1;
		out[o] = (char)(hi << 4 | lo);
		i += 2;
	}
	return (int)o;
}

/* ---- regexes -------------------------------------------------------------------------- */

int
mg_match_regex_compile(const char *pattern, struct mg_match_regex **out, char *err, size_t errlen)
{
	struct mg_match_regex *re;
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	int code;

	if (rx.md == NULL) {
		rx.md = pcre2_match_data_create(1, NULL);
		rx.mc = pcre2_match_context_create(NULL);
		if (rx.md == NULL || rx.mc == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		pcre2_set_match_limit(rx.mc, REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(rx.mc, REGEX_DEPTH_LIMIT);
	}
	re = calloc(1, sizeof(*re));
	if (re == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                         PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_NEVER_BACKSLASH_C |
	                             PCRE2_NO_AUTO_CAPTURE,
	                         &code, &off, NULL);
	if (re->code == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "invalid regular expression at offset %zu: %s", (size_t)off,
		         (const char *)msg);
		free(re);
		return -EINVAL;
	}
	/* JIT where the platform has it: the same results, several times faster. */
	(void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	*out = re;
	return 0;
}

void
mg_match_regex_free(struct mg_match_regex *re)
{
	if (re == NULL)
		return;
	pcre2_code_free(re->code);
	free(re);
}

bool
mg_match_regex_run(const struct mg_match_regex *re, const char *v, size_t len)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)(v != NULL ? v : ""), len, 0, 0, rx.md, rx.mc);

	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rx.limit_hits++;
	return rc >= 0;
}

uint64_t
mg_match_regex_limit_hits(void)
{
	return rx.limit_hits;
}

/* ---- string matchers -------------------------------------------------------------------- */

/* Compares <n> bytes, ASCII letters ignoring case when <icase>. */
static bool
bytes_eq(const char *a, const char *b, size_t n, bool icase)
{
	size_t i;

	if (!icase)
		return memcmp(a, b, n) == 0;
	for (i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

/* Parses all of <v> as a base-10 int64 with an optional sign, as absl::SimpleAtoi does. */
static bool
parse_i64(const char *v, size_t len, int64_t *out)
{
	uint64_t acc = 0, limit;
	bool neg = false;
	size_t i = 0;

	if (len > 0 && (v[0] == '-' || v[0] == '+')) {
		neg = v[0] == '-';
		i = 1;
	}
	if (i == len)
		return false;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		if (acc > (limit - (uint64_t)(v[i] - '0')) / 10)
			return false;
		acc = acc * 10 + (uint64_t)(v[i] - '0');
	}
	*out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return true;
}

static bool
match_present(const struct mg_match *m, const char *v, size_t len)
{
	int64_t x;

	switch (m->kind) {
	case MG_MATCH_EXACT:
		return len == m->len && bytes_eq(v, m->s, len, m->ignore_case);
	case MG_MATCH_PREFIX:
		return len >= m->len && bytes_eq(v, m->s, m->len, m->ignore_case);
	case MG_MATCH_SUFFIX:
		return len >= m->len && bytes_eq(v + len - m->len, m->s, m->len, m->ignore_case);
	case MG_MATCH_REGEX:
		return mg_match_regex_run(m->re, v, len);
	case MG_MATCH_RANGE:
		return parse_i64(v, len, &x) && x >= m->start && x < m->end;
	case MG_MATCH_PRESENT:
		return true;
	}
	return false;
}

bool
mg_match_value(const struct mg_match *m, const char *v, size_t len)
{
	/* An absent value matches nothing, except an inverted presence match (Envoy). */
	if (v == NULL)
		return m->kind == MG_MATCH_PRESENT && m->invert;
	return match_present(m, v, len) != m->invert;
}

/* ---- request accessors ------------------------------------------------------------------ */

int
mg_match_header(const struct mg_h1_field *fields, unsigned int n, const char *name, size_t nlen,
                char *scratch, size_t cap, const char **v)
{
	const struct mg_h1_field *first = NULL;
	size_t o = 0;
	unsigned int i, count = 0;

	*v = NULL;
	for (i = 0; i < n; i++) {
		const struct mg_h1_field *f = &fields[i];
		size_t take;

		if (f->name.len != nlen || !bytes_eq(f->name.p, name, nlen, true))
			continue;
		if (count++ == 0) {
			first = f;
			continue;
		}
		if (count == 2) {
			take = first->value.len < cap ? first->value.len : cap;
			memcpy(scratch, first->value.p, take);
			o = take;
		}
		if (o < cap)
			scratch[o++] = ',';
		take = f->value.len < cap - o ? f->value.len : cap - o;
		memcpy(scratch + o, f->value.p, take);
		o += take;
	}
	if (count == 0)
		return -1;
	if (count == 1) {
		*v = first->value.p != NULL ? first->value.p : "";
		return (int)first->value.len;
	}
	*v = scratch;
	return (int)o;
}

int
mg_match_query_param(const char *q, size_t qlen, const char *name, size_t nlen, const char **v)
{
	size_t i = 0;

	*v = NULL;
	while (q != NULL && i <= qlen) {
		size_t start = i, eq;

		while (i < qlen && q[i] != '&')
			i++;
		for (eq = start; eq < i && q[eq] != '='; eq++)
			;
		if (eq - start == nlen && memcmp(q + start, name, nlen) == 0) {
			if (eq == i) {
				*v = q + i;
				return 0;
			}
			*v = q + eq + 1;
			return (int)(i - eq - 1);
		}
		i++;
	}
	return -1;
}

size_t
mg_match_host_strip_port(const char *h, size_t len)
{
	size_t i = len;

	while (i > 0 && h[i - 1] >= '0' && h[i - 1] <= '9')
		i--;
	if (i > 0 && i < len && h[i - 1] == ':') {
		/* "[v6]:port" or "name:port"; a bare IPv6 literal has no port. */
		if (h[0] != '[' || (i >= 2 && h[i - 2] == ']'))
			return i - 1;
	}
	return len;
}

/* ---- weighted split ---------------------------------------------------------------------- */

void
mg_match_wrr_init(struct mg_match_wrr *w, const uint8_t *weights, unsigned int n)
{
	unsigned int i;

	memset(w, 0, sizeof(*w));
	w->n = n < MG_MATCH_MAX_TARGETS ? n : MG_MATCH_MAX_TARGETS;
	for (i = 0; i < w->n; i++) {
		w->weight[i] = weights[i] <= 100 ? weights[i] : 100;
		w->total += w->weight[i];
	}
}

int
mg_match_wrr_pick(struct mg_match_wrr *w)
{
	unsigned int i;
	int best = -1;

	if (w->total == 0)
		return -1;
	for (i = 0; i < w->n; i++) {
		if (w->weight[i] == 0)
			continue;
		w->current[i] += w->weight[i];
		if (best < 0 || w->current[i] > w->current[best])
			best = (int)i;
	}
	w->current[best] -= w->total;
	return best;
}
