/*
 * Strict JSON for JWT headers, payloads and JWKS documents, over jsmn.
 *
 * jsmn tokenizes into a caller-owned token array (no allocation); a second pass then checks
 * what jsmn lets through, so that exactly RFC 8259 JSON is accepted: the grammar between
 * tokens (commas, colons, trailing data), the spelling of numbers and literals, string
 * escapes (surrogates paired), UTF-8 and control characters in strings, nesting depth, and
 * duplicate keys in any object (compared after unescaping, so "a" and "\u0061" collide).  The
 * top level must be an object.  A token's claims are read from this tree, so two JSON readers
 * can never disagree about them (RFC 7519 section 4 lets parsers take the last duplicate;
 * we refuse instead).
 *
 * Tokens are named by their index; index 0 is the root object.
 */
#ifndef MG_JWT_JSON_H
#define MG_JWT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The same layout as jsmntok_t (checked in mg_jwt_json.c); read-only for callers. */
struct mg_jj_tok {
	int type; /* MG_JJ_OBJECT ... MG_JJ_PRIMITIVE */
	int start;
	int end;
	int size;
	int parent;
};

enum {
	MG_JJ_OBJECT = 1,
	MG_JJ_ARRAY = 2,
	MG_JJ_STRING = 3,
	MG_JJ_PRIMITIVE = 4,
};

/* Why a document was refused (one label each for metrics and tests). */
enum mg_jj_err {
	MG_JJ_OK = 0,
	MG_JJ_E_SYNTAX,   /* not JSON, or the top level is not an object */
	MG_JJ_E_TOO_MANY, /* more values than the token array holds */
	MG_JJ_E_DEPTH,    /* nesting deeper than allowed */
	MG_JJ_E_DUP_KEY,  /* an object repeats a key */
	MG_JJ_E_STRING,   /* bad escape, control character, invalid UTF-8 */
};

struct mg_jj_doc {
	const char *text;
	size_t len;
	struct mg_jj_tok *toks;
	int n;
};

/*
 * Parses <len> bytes at <text> into <doc> using the caller's <toks> array (<cap> entries).
 * Containers may nest <max_depth> deep (the root object is depth 1).  Returns MG_JJ_OK or the
 * reason of the refusal.  <doc> borrows <text> and <toks>.
 */
enum mg_jj_err mg_jj_parse(struct mg_jj_doc *doc, const char *text, size_t len,
                           struct mg_jj_tok *toks, unsigned int cap, unsigned int max_depth);

/* The index just past the subtree of token <i>. */
int mg_jj_skip(const struct mg_jj_doc *doc, int i);

/* The value of member <key> (<klen> bytes, compared unescaped) of object <obj>, or -1. */
int mg_jj_get(const struct mg_jj_doc *doc, int obj, const char *key, size_t klen);

/*
 * Follows a dotted path of member names ("realm_access.roles") from object <obj>; a name
 * cannot contain '.'.  Returns the value's index or -1.
 */
int mg_jj_path(const struct mg_jj_doc *doc, int obj, const char *path, size_t plen);

/* True when string <tok> unescapes to the <len> bytes at <s>. */
bool mg_jj_str_eq(const struct mg_jj_doc *doc, int tok, const char *s, size_t len);

/*
 * Unescapes string <tok> into <buf> (<cap> bytes, no NUL added).  Returns its length, or -1
 * when <tok> is not a string or it does not fit.
 */
long mg_jj_str(const struct mg_jj_doc *doc, int tok, char *buf, size_t cap);

/*
 * Reads a NumericDate (RFC 7519 section 2): a non-negative JSON number, with an optional
 * fraction (dropped) but no exponent, below 2^53.  Returns 0 or -1.
 */
int mg_jj_numeric_date(const struct mg_jj_doc *doc, int tok, int64_t *out);

/* The raw text of token <tok> (strings without their quotes). */
static inline const char *
mg_jj_raw(const struct mg_jj_doc *doc, int tok, size_t *len)
{
	*len = (size_t)(doc->toks[tok].end - doc->toks[tok].start);
	return doc->text + doc->toks[tok].start;
}

/* True when primitive <tok> is the literal true / false / null. */
bool mg_jj_is_literal(const struct mg_jj_doc *doc, int tok, const char *lit);

#endif /* MG_JWT_JSON_H */
