/*
 * The building blocks of App Mesh route matching, as Envoy (App Mesh's data plane) evaluates
 * them: path normalisation, string matchers for headers, hostnames and paths (exact, prefix,
 * suffix, anchored regex, integer range, with inversion), query parameters, and the smooth
 * weighted round robin that splits traffic between weighted targets.
 *
 * Pure functions over (pointer, length) views: no allocation on the request path (regexes
 * are compiled once, when a configuration generation is built), no I/O.  The routing table
 * (mg_route.h) composes them.
 *
 * Regexes are PCRE2, compiled anchored at both ends (Envoy's RE2 matches the whole value
 * too) and run with a match limit so that no pattern can make a request cost more than a
 * bounded amount of work; docs/ROUTING.md lists where PCRE2 and RE2 differ.
 *
 * Not thread-safe: the regex match state is per process (one worker owns it).
 */
#ifndef MG_MATCH_H
#define MG_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/http/mg_h1.h"

/* ---- path normalisation ---------------------------------------------------------------- */

/* The longest normalised path (without the query) the gateway routes; longer gets 414. */
#define MG_MATCH_PATH_MAX 8192

/*
 * mg_match_path_normalize() writes the normalised form of the absolute path <in> (<len>
 * bytes, starting with '/', without the query) to <out> (<cap> bytes, at least <len> + 1),
 * as Envoy's normalize_path then merge_slashes do before routing:
 *   - percent-encoded unreserved characters (ALPHA, DIGIT, '-', '.', '_', '~') are decoded,
 *     other percent-encodings get upper-case hex digits ("%2f" -> "%2F", which stays
 *     encoded: an encoded slash never becomes a path separator);
 *   - "." and ".." segments are removed (RFC 3986 section 5.2.4; ".." never climbs above
 *     the root), including those spelt with %2E; an empty segment counts as a segment, so
 *     "/a//../b" is "/a/b";
 *   - then runs of '/' are merged into one.
 * Returns the length written (never more than <len>), -EINVAL for a malformed
 * percent-encoding ('%' not followed by two hex digits) or a path not starting with '/', or
 * -ENOSPC when <cap> is too small.
 */
int mg_match_path_normalize(const char *in, size_t len, char *out, size_t cap);

/*
 * mg_match_pct_decode() percent-decodes all of <in> (<len> bytes) into <out> (<cap> bytes):
 * the length, or -1 for a malformed escape or when it does not fit.  Query parameter values
 * are compared decoded.
 */
int mg_match_pct_decode(const char *in, size_t len, char *out, size_t cap);

/* ---- string matchers -------------------------------------------------------------------- */

enum mg_match_kind {
	MG_MATCH_EXACT,
	MG_MATCH_PREFIX,
	MG_MATCH_SUFFIX,
	MG_MATCH_REGEX,
	MG_MATCH_RANGE,   /* the value is a base-10 integer in [start, end) */
	MG_MATCH_PRESENT, /* any value: the field is there */
};

struct mg_match_regex; /* a compiled PCRE2 pattern */

/*
 * One matcher.  <s>/<len> is the string for exact, prefix and suffix (and the pattern's
 * source for regex, kept for messages), <re> the compiled regex, <start>/<end> the range.
 * <ignore_case> compares ASCII letters case-insensitively (host names).  <invert> negates
 * the result for a value that is present; an absent value never matches, inverted or not
 * (Envoy's header matching).
 */
struct mg_match {
	enum mg_match_kind kind;
	bool invert;
	bool ignore_case;
	const char *s;
	size_t len;
	struct mg_match_regex *re;
	int64_t start, end;
};

/*
 * mg_match_regex_compile() compiles <pattern> (NUL-terminated) anchored at both ends.
 * Returns 0 and sets *<out>, or a negative errno with PCRE2's message and offset in <err>.
 * Runs at configuration time only.
 */
int mg_match_regex_compile(const char *pattern, struct mg_match_regex **out, char *err,
                           size_t errlen);
void mg_match_regex_free(struct mg_match_regex *re);

/*
 * mg_match_regex_run() tells whether <re> matches all of <v> (<len> bytes).  A match that
 * exceeds the work limit counts as no match (and in mg_match_regex_limit_hits()).
 */
bool mg_match_regex_run(const struct mg_match_regex *re, const char *v, size_t len);
uint64_t mg_match_regex_limit_hits(void);

/* mg_match_value() applies <m> to the value <v> (<len> bytes); <v> NULL means absent. */
bool mg_match_value(const struct mg_match *m, const char *v, size_t len);

/* ---- request accessors ------------------------------------------------------------------ */

/*
 * mg_match_header() finds the field <name> (<nlen> bytes, any case) among <fields>.  With
 * one occurrence, *<v> points at its value; with several, their values are joined with ","
 * into <scratch> (<cap> bytes; truncated at cap) as Envoy does before matching.  Returns
 * the value's length, or -1 when the field is absent (*<v> NULL).
 */
int mg_match_header(const struct mg_h1_field *fields, unsigned int n, const char *name, size_t nlen,
                    char *scratch, size_t cap, const char **v);

/*
 * mg_match_query_param() finds the first parameter named <name> (<nlen> bytes, compared
 * byte for byte, undecoded) in the query <q> (<qlen> bytes, without '?'; parameters split
 * on '&', name and value on the first '=').  Returns the raw value's length (0 for "name"
 * or "name="), or -1 when there is none (*<v> NULL).
 */
int mg_match_query_param(const char *q, size_t qlen, const char *name, size_t nlen, const char **v);

/*
 * mg_match_host_strip_port() returns the length of host <h> without a trailing ":port"
 * (an IPv6 literal keeps its brackets).
 */
size_t mg_match_host_strip_port(const char *h, size_t len);

/* ---- weighted split ---------------------------------------------------------------------- */

#define MG_MATCH_MAX_TARGETS 10 /* App Mesh: at most 10 weighted targets per route */

/*
 * Smooth weighted round robin (nginx's): every pick adds each target's weight to its
 * current value, takes the target with the highest, and subtracts the total from it.  Over
 * any run of total-weight picks each target is chosen exactly weight times, spread evenly
 * (for 90/10: one pick in ten, never two in a row), so a split is exact rather than
 * statistically close.  Weights are App Mesh's 0..100, relative; 0 is never picked.
 */
struct mg_match_wrr {
	unsigned int n;
	int32_t weight[MG_MATCH_MAX_TARGETS];
	int32_t current[MG_MATCH_MAX_TARGETS];
	int32_t total;
};

/* mg_match_wrr_init() sets <n> targets' weights (each 0..100) and resets the state. */
void mg_match_wrr_init(struct mg_match_wrr *w, const uint8_t *weights, unsigned int n);

/* mg_match_wrr_pick() returns the next target's index, or -1 when every weight is 0. */
int mg_match_wrr_pick(struct mg_match_wrr *w);

#endif /* MG_MATCH_H */
