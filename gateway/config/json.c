/*
 * Strict JSON over jsmn: see json.h for the contract.
 *
 * Parsing runs in three steps. jsmn first counts the tokens (sizing the array) and then fills
 * them; when jsmn fails, the failure position and jsmn's partial tree give a message and a
 * path. The tokens are then converted to struct mg_json_tok, and a recursive walk checks the
 * text between tokens against the JSON grammar (jsmn accepts `[1 2]`, `{"a":1,}`, `{"a" "b"}`
 * and more), bounds the depth, and runs the lexical checks on every token: number and literal
 * spelling, string escapes and UTF-8, duplicate keys. Grammar errors end the walk (the tree
 * cannot be trusted past them); lexical errors flag the token and the walk goes on, so that
 * every such error in the document is reported.
 */
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <jsmn.h>
#pragma GCC diagnostic pop

#define EXCERPT_CHARS 40
/* Our own failure code beside jsmn's negative ones: nesting too deep. */
#define FAIL_DEPTH 1
#define NO_END     UINT32_MAX

/* ------------------------------------------------------------------------------------------ */
/* Error lists                                                                                */

void
mg_json_errors_init(struct mg_json_errors *errs, const char *file)
{
	errs->count = 0;
	errs->dropped = 0;
	snprintf(errs->file, sizeof(errs->file), "%s", file != NULL ? file : "<input>");
}

unsigned long
mg_json_errors_total(const struct mg_json_errors *errs)
{
	return (unsigned long)errs->count + errs->dropped;
}

/*
 * Returns the slot where an error with sort key (<positioned>, <offset>) goes, shifting later
 * entries (and dropping the last one when the list is full), or NULL when the new error sorts
 * after a full list and is dropped itself.
 */
static struct mg_json_error *
errs_slot(struct mg_json_errors *errs, bool positioned, size_t offset)
{
	int pos = errs->count;

	while (pos > 0) {
		const struct mg_json_error *prev = &errs->list[pos - 1];
		bool prev_positioned = prev->line != 0;

		if (prev_positioned == positioned ? prev->offset <= offset : !prev_positioned)
			break;
		pos--;
	}
	if (errs->count == MG_JSON_ERR_MAX) {
		errs->dropped++;
		if (pos == MG_JSON_ERR_MAX)
			return NULL;
		memmove(&errs->list[pos + 1], &errs->list[pos],
		        (size_t)(MG_JSON_ERR_MAX - 1 - pos) * sizeof(errs->list[0]));
	} else {
		memmove(&errs->list[pos + 1], &errs->list[pos],
		        (size_t)(errs->count - pos) * sizeof(errs->list[0]));
		errs->count++;
	}
	memset(&errs->list[pos], 0, sizeof(errs->list[pos]));
	return &errs->list[pos];
}

/* Returns true if an error at <offset> would be kept rather than dropped. */
static bool
errs_wanted(const struct mg_json_errors *errs, size_t offset)
{
	const struct mg_json_error *last = &errs->list[MG_JSON_ERR_MAX - 1];

	return errs->count < MG_JSON_ERR_MAX || last->line == 0 || offset < last->offset;
}

void
mg_json_errors_add(struct mg_json_errors *errs, const char *fmt, ...)
{
	struct mg_json_error *e = errs_slot(errs, false, 0);
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void
mg_json_errors_print(const struct mg_json_errors *errs, FILE *out)
{
	int i;

	for (i = 0; i < errs->count; i++) {
		const struct mg_json_error *e = &errs->list[i];

		if (e->line == 0)
			fprintf(out, "%s: %s\n", errs->file, e->msg);
		else
			fprintf(out, "%s:%u:%u: %s: %s\n", errs->file, e->line, e->col,
			        e->path[0] != '\0' ? e->path : "(root)", e->msg);
	}
	if (errs->dropped > 0)
		fprintf(out, "%s: %lu more error%s not shown\n", errs->file, errs->dropped,
		        errs->dropped == 1 ? "" : "s");
}

/* ------------------------------------------------------------------------------------------ */
/* Small text helpers                                                                         */

/* A bounded string builder that remembers whether it had to cut. */
struct sbuf {
	char *buf;
	size_t size;
	size_t len;
	bool cut;
};

static void
sb_putc(struct sbuf *sb, char c)
{
	if (sb->len + 1 < sb->size)
		sb->buf[sb->len++] = c;
	else
		sb->cut = true;
}

static void
sb_puts(struct sbuf *sb, const char *s)
{
	while (*s != '\0')
		sb_putc(sb, *s++);
}

/* Appends byte <c> as itself if it is printable ASCII, else as \xNN. */
static void
sb_putbyte(struct sbuf *sb, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";

	if (c >= 0x20 && c < 0x7f) {
		sb_putc(sb, (char)c);
	} else {
		sb_puts(sb, "\\x");
		sb_putc(sb, hex[c >> 4]);
		sb_putc(sb, hex[c & 15]);
	}
}

/* NUL-terminates; when the text was cut, ends it with "..." instead. */
static size_t
sb_finish(struct sbuf *sb)
{
	if (sb->size == 0)
		return 0;
	if (sb->cut && sb->size >= 4) {
		if (sb->len > sb->size - 4)
			sb->len = sb->size - 4;
		memcpy(sb->buf + sb->len, "...", 3);
		sb->len += 3;
	}
	sb->buf[sb->len] = '\0';
	return sb->len;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_ws(const char *s, size_t len, size_t pos)
{
	while (pos < len && is_ws(s[pos]))
		pos++;
	return pos;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads 4 hex digits at <p> (the caller guarantees 4 bytes); returns -1 if any is not hex. */
static long
hex4(const char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int h = hex_val(p[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Describes the character at <pos> for a message: 'c', byte \xNN, or end of input. */
static const char *
describe_at(const char *s, size_t len, size_t pos, char *buf, size_t size)
{
	struct sbuf sb = {buf, size, 0, false};
	unsigned char c;

	if (pos >= len)
		return "end of input";
	c = (unsigned char)s[pos];
	if (c == '\'') {
		sb_puts(&sb, "a single quote (strings take double quotes)");
	} else if (c >= 0x20 && c < 0x7f) {
		sb_putc(&sb, '\'');
		sb_putc(&sb, (char)c);
		sb_putc(&sb, '\'');
	} else {
		sb_puts(&sb, "byte ");
		sb_putbyte(&sb, c);
	}
	sb_finish(&sb);
	return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* Positions, paths, excerpts                                                                 */

void
mg_json_line_col(struct mg_json_doc *doc, size_t offset, unsigned int *line, unsigned int *col)
{
	size_t i;
	unsigned int c = 1;

	if (offset > doc->len)
		offset = doc->len;
	if (doc->lc_line == 0 || offset < doc->lc_off) {
		doc->lc_off = 0;
		doc->lc_line_start = 0;
		doc->lc_line = 1;
	}
	for (i = doc->lc_off; i < offset; i++) {
		if (doc->text[i] == '\n') {
			doc->lc_line++;
			doc->lc_line_start = i + 1;
		}
	}
	doc->lc_off = offset;
	for (i = doc->lc_line_start; i < offset; i++) {
		/* UTF-8 continuation bytes do not start a character. */
		if (((unsigned char)doc->text[i] & 0xC0) != 0x80)
			c++;
	}
	*line = doc->lc_line;
	*col = c;
}

static bool
valid_tok(const struct mg_json_doc *doc, int tok)
{
	return tok >= 0 && tok < doc->n_toks;
}

/* Appends the path step that leads from <parent> to its child <node>. */
static void
path_step(const struct mg_json_doc *doc, struct sbuf *sb, bool first, int parent, int node)
{
	const struct mg_json_tok *p = &doc->toks[parent];
	char num[24];

	if (p->type == MG_JSON_OBJECT) {
		/* A value directly follows its key, so the key of a non-key child is node - 1. */
		int key = (doc->toks[node].flags & MG_JSON_TOK_KEY) ? node : node - 1;
		const struct mg_json_tok *k = &doc->toks[key];
		const char *s;
		size_t n, i;
		bool plain;

		/*
		 * In the partial tree of text that failed to parse, a value may hang under a
		 * container without a key before it (jsmn took it for a value of a value).
		 */
		if (key <= parent || !(k->flags & MG_JSON_TOK_KEY) || k->type != MG_JSON_STRING ||
		    k->end == NO_END || k->end < k->start + 2) {
			sb_puts(sb, first ? "?" : ".?");
			return;
		}
		s = doc->text + k->start + 1;
		n = k->end - k->start - 2;
		plain = n > 0;

		for (i = 0; i < n && plain; i++) {
			char c = s[i];

			plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
			        c == '_' || c == '-';
		}
		if (plain) {
			if (!first)
				sb_putc(sb, '.');
			for (i = 0; i < n; i++)
				sb_putc(sb, s[i]);
		} else {
			sb_puts(sb, "[\"");
			for (i = 0; i < n; i++)
				sb_putbyte(sb, (unsigned char)s[i]);
			sb_puts(sb, "\"]");
		}
	} else {
		snprintf(num, sizeof(num), "[%d]", (int)doc->toks[node].index);
		sb_puts(sb, num);
	}
}

size_t
mg_json_path(const struct mg_json_doc *doc, int tok, char *buf, size_t size)
{
	/* The steps nearest the root, enough to fill any path buffer. */
	enum { RING = MG_JSON_PATH_MAX / 2 + 1 };
	int ring[RING];
	size_t depth = 0, i, kept;
	struct sbuf sb = {buf, size, 0, false};
	int node;

	if (!valid_tok(doc, tok) || doc->toks[tok].parent < 0) {
		sb_puts(&sb, "(root)");
		return sb_finish(&sb);
	}
	for (node = tok; node >= 0; node = doc->toks[node].parent)
		ring[depth++ % RING] = node;
	/* ring now holds the last <kept> nodes visited, the root being the most recent. */
	kept = depth < RING ? depth : RING;
	if (depth > RING)
		sb.cut = true;
	for (i = 1; i < kept; i++) {
		int parent = ring[(depth - i) % RING];
		int child = ring[(depth - i - 1) % RING];

		path_step(doc, &sb, i == 1, parent, child);
	}
	return sb_finish(&sb);
}

const char *
mg_json_excerpt(const struct mg_json_doc *doc, int tok, char *buf, size_t size)
{
	struct sbuf sb = {buf, size, 0, false};
	const struct mg_json_tok *t;
	size_t start, end, i;

	if (!valid_tok(doc, tok)) {
		sb_finish(&sb);
		return buf;
	}
	t = &doc->toks[tok];
	start = t->start;
	end = t->end == NO_END || t->end > doc->len ? doc->len : t->end;
	if (t->type == MG_JSON_STRING && end - start >= 2) {
		start++;
		end--;
	}
	for (i = start; i < end && i - start < EXCERPT_CHARS; i++)
		sb_putbyte(&sb, (unsigned char)doc->text[i]);
	if (i < end)
		sb_puts(&sb, "...");
	sb_finish(&sb);
	return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* Reporting                                                                                  */

static void verror_at(struct mg_json_doc *doc, int tok, size_t offset, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
verror_at(struct mg_json_doc *doc, int tok, size_t offset, const char *fmt, va_list ap)
{
	struct mg_json_error *e = errs_slot(doc->errs, true, offset);

	if (e == NULL)
		return;
	e->offset = offset;
	mg_json_line_col(doc, offset, &e->line, &e->col);
	mg_json_path(doc, tok, e->path, sizeof(e->path));
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

void
mg_json_error_at(struct mg_json_doc *doc, int tok, size_t offset, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_at(doc, tok, offset, fmt, ap);
	va_end(ap);
}

void
mg_json_error(struct mg_json_doc *doc, int tok, const char *fmt, ...)
{
	size_t offset = valid_tok(doc, tok) ? doc->toks[tok].start : 0;
	va_list ap;

	va_start(ap, fmt);
	verror_at(doc, tok, offset, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------------------------------ */
/* Lexical checks                                                                             */

/*
 * Checks one UTF-8 sequence starting with a byte >= 0x80 at <p>, before <e>. Returns its
 * length, or 0 with *<why> set.
 */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *e, const char **why)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c < 0xC0) {
		*why = "unexpected UTF-8 continuation byte";
		return 0;
	} else if (c < 0xC2) {
		*why = "overlong UTF-8 encoding";
		return 0;
	} else if (c < 0xE0) {
		n = 2;
	} else if (c < 0xF0) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c < 0xF5) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		*why = "invalid UTF-8 byte (code points end at U+10FFFF)";
		return 0;
	}
	for (i = 1; i < n; i++) {
		if (p + i >= e || (p[i] & 0xC0) != 0x80) {
			*why = "truncated UTF-8 sequence";
			return 0;
		}
	}
	if (p[1] < lo) {
		*why = "overlong UTF-8 encoding";
		return 0;
	}
	if (p[1] > hi) {
		*why = c == 0xED ? "UTF-8 encoded surrogate (U+D800..U+DFFF)"
		                 : "UTF-8 sequence above U+10FFFF";
		return 0;
	}
	return n;
}

/*
 * Checks the content of string token <i>; the first problem is reported at its exact byte and
 * flags the token bad. Notes escapes in the token's flags.
 */
static void
check_string(struct mg_json_doc *doc, int i)
{
	struct mg_json_tok *t = &doc->toks[i];
	const unsigned char *base = (const unsigned char *)doc->text;
	const unsigned char *p = base + t->start + 1, *e = base + t->end - 1;
	const char *why;
	size_t n;
	long cp, lo;

	while (p < e) {
		if (*p < 0x20) {
			mg_json_error_at(doc, i, (size_t)(p - base),
			                 "control character \\x%02X in a string must be escaped",
			                 *p);
			goto bad;
		}
		if (*p < 0x80 && *p != '\\') {
			p++;
			continue;
		}
		if (*p >= 0x80) {
			n = utf8_seq(p, e, &why);
			if (n == 0) {
				mg_json_error_at(doc, i, (size_t)(p - base), "%s", why);
				goto bad;
			}
			p += n;
			continue;
		}
		t->flags |= MG_JSON_TOK_ESC;
		if (p + 1 >= e)
			goto bad_escape;
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			continue;
		case 'u':
			break;
		default:
			goto bad_escape;
		}
		cp = e - p >= 6 ? hex4((const char *)p + 2) : -1;
		if (cp < 0) {
			mg_json_error_at(doc, i, (size_t)(p - base),
			                 "invalid \\u escape: expected 4 hex digits");
			goto bad;
		}
		if (cp >= 0xDC00 && cp <= 0xDFFF) {
			mg_json_error_at(doc, i, (size_t)(p - base),
			                 "unpaired low surrogate \\u%04lX", cp);
			goto bad;
		}
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			lo = e - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4((const char *)p + 8)
			                                                : -1;
			if (lo < 0xDC00 || lo > 0xDFFF) {
				mg_json_error_at(doc, i, (size_t)(p - base),
				                 "high surrogate \\u%04lX is not followed by a low "
				                 "surrogate \\uDC00..\\uDFFF",
				                 cp);
				goto bad;
			}
			p += 12;
		} else {
			p += 6;
		}
	}
	return;

bad_escape:
	mg_json_error_at(doc, i, (size_t)(p - base), "invalid escape '\\%c'",
	                 p + 1 < e && p[1] >= 0x20 && p[1] < 0x7f ? p[1] : '?');
bad:
	t->flags |= MG_JSON_TOK_BAD;
}

/* Returns NULL if <s>[0..n) is a JSON number, else the reason it is not. */
static const char *
number_error(const char *s, size_t n)
{
	size_t p = 0;

	if (p < n && s[p] == '-')
		p++;
	if (p >= n || !is_digit(s[p]))
		return p > 0 ? "expected a digit after '-'" : "expected a digit";
	if (s[p] == '0') {
		p++;
		if (p < n && (s[p] == 'x' || s[p] == 'X'))
			return "hexadecimal numbers are not allowed";
		if (p < n && is_digit(s[p]))
			return "leading zeros are not allowed";
	} else {
		while (p < n && is_digit(s[p]))
			p++;
	}
	if (p < n && s[p] == '.') {
		p++;
		if (p >= n || !is_digit(s[p]))
			return "expected a digit after '.'";
		while (p < n && is_digit(s[p]))
			p++;
	}
	if (p < n && (s[p] == 'e' || s[p] == 'E')) {
		p++;
		if (p < n && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p >= n || !is_digit(s[p]))
			return "expected a digit in the exponent";
		while (p < n && is_digit(s[p]))
			p++;
	}
	if (p < n)
		return "unexpected character after the number";
	return NULL;
}

/* Types primitive token <i> and checks its spelling. */
static void
check_primitive(struct mg_json_doc *doc, int i)
{
	struct mg_json_tok *t = &doc->toks[i];
	const char *s = doc->text + t->start;
	size_t n = t->end - t->start;
	char ex[MG_JSON_EXCERPT_MAX];
	const char *why;

	if (s[0] == 't' || s[0] == 'f' || s[0] == 'n') {
		if (n == 4 && memcmp(s, "true", 4) == 0)
			return;
		if (n == 5 && memcmp(s, "false", 5) == 0)
			return;
		if (n == 4 && memcmp(s, "null", 4) == 0)
			return;
		mg_json_error(doc, i, "invalid literal '%s' (expected true, false or null)",
		              mg_json_excerpt(doc, i, ex, sizeof(ex)));
		t->flags |= MG_JSON_TOK_BAD;
		return;
	}
	why = number_error(s, n);
	if (why != NULL) {
		mg_json_error(doc, i, "invalid number '%s': %s",
		              mg_json_excerpt(doc, i, ex, sizeof(ex)), why);
		t->flags |= MG_JSON_TOK_BAD;
	}
}

/*
 * Decodes the content of a string token that passed check_string() into <out> (at most <cap>
 * bytes are written) and returns the full decoded length.
 */
static size_t
decode_into(const char *p, const char *e, char *out, size_t cap)
{
	size_t n = 0;
	unsigned long cp;
	char u[4];
	size_t ulen, k;

	while (p < e) {
		if (*p != '\\') {
			if (n < cap)
				out[n] = *p;
			n++;
			p++;
			continue;
		}
		switch (p[1]) {
		case 'b':
			u[0] = '\b';
			break;
		case 'f':
			u[0] = '\f';
			break;
		case 'n':
			u[0] = '\n';
			break;
		case 'r':
			u[0] = '\r';
			break;
		case 't':
			u[0] = '\t';
			break;
		case 'u':
			break;
		default:
			u[0] = p[1];
			break;
		}
		if (p[1] != 'u') {
			if (n < cap)
				out[n] = u[0];
			n++;
			p += 2;
			continue;
		}
		cp = (unsigned long)hex4(p + 2);
		p += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			cp =
			    0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)hex4(p + 2) - 0xDC00);
			p += 6;
		}
		if (cp < 0x80) {
			u[0] = (char)cp;
			ulen = 1;
		} else if (cp < 0x800) {
			u[0] = (char)(0xC0 | (cp >> 6));
			u[1] = (char)(0x80 | (cp & 0x3F));
			ulen = 2;
		} else if (cp < 0x10000) {
			u[0] = (char)(0xE0 | (cp >> 12));
			u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
			u[2] = (char)(0x80 | (cp & 0x3F));
			ulen = 3;
		} else {
			u[0] = (char)(0xF0 | (cp >> 18));
			u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
			u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
			u[3] = (char)(0x80 | (cp & 0x3F));
			ulen = 4;
		}
		for (k = 0; k < ulen; k++, n++) {
			if (n < cap)
				out[n] = u[k];
		}
	}
	return n;
}

/* ------------------------------------------------------------------------------------------ */
/* Duplicate keys                                                                             */

struct keyref {
	const char *p;
	size_t len;
	int tok;
	int first; /* for a repeated key, the token of its first occurrence; else -1 */
};

/* State of one validation walk. */
struct walk {
	struct mg_json_doc *doc;
	struct keyref *keys; /* scratch for the duplicate check, one entry per token */
	char *kbuf;          /* scratch for decoded keys, doc->len bytes */
	int nomem;
};

static int
keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = n > 0 ? memcmp(x->p, y->p, n) : 0;

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->tok < y->tok ? -1 : x->tok > y->tok;
}

static int
keyref_cmp_tok(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;

	return (x->tok > y->tok) - (x->tok < y->tok);
}

/*
 * Reports every key of object <obj> that repeats an earlier key (comparing decoded keys), and
 * flags it MG_JSON_TOK_DUP. Sorting keeps this O(n log n) for objects with many keys.
 */
static void
check_dups(struct walk *w, int obj)
{
	struct mg_json_doc *doc = w->doc;
	const struct mg_json_tok *o = &doc->toks[obj];
	size_t kofs = 0;
	int n = 0, k, m, first;

	if (o->size < 2)
		return;
	if (w->keys == NULL) {
		w->keys = malloc((size_t)doc->n_toks * sizeof(*w->keys));
		if (w->keys == NULL) {
			w->nomem = 1;
			return;
		}
	}
	for (k = obj + 1; k < o->next; k = doc->toks[k + 1].next) {
		const struct mg_json_tok *t = &doc->toks[k];
		struct keyref *r = &w->keys[n];

		if (t->flags & MG_JSON_TOK_BAD)
			continue;
		r->tok = k;
		r->p = doc->text + t->start + 1;
		r->len = t->end - t->start - 2;
		if (t->flags & MG_JSON_TOK_ESC) {
			if (w->kbuf == NULL) {
				w->kbuf = malloc(doc->len);
				if (w->kbuf == NULL) {
					w->nomem = 1;
					return;
				}
			}
			r->len = decode_into(r->p, r->p + r->len, w->kbuf + kofs, doc->len - kofs);
			r->p = w->kbuf + kofs;
			kofs += r->len;
		}
		n++;
	}
	qsort(w->keys, (size_t)n, sizeof(*w->keys), keyref_cmp);
	w->keys[0].first = -1;
	for (m = 1, first = 0; m < n; m++) {
		struct keyref *a = &w->keys[first], *b = &w->keys[m];

		b->first = -1;
		if (a->len != b->len || (a->len > 0 && memcmp(a->p, b->p, a->len) != 0)) {
			first = m;
			continue;
		}
		b->first = a->tok;
		doc->toks[b->tok].flags |= MG_JSON_TOK_DUP;
	}
	/* Report in document order, which keeps line lookups and the error list cheap. */
	qsort(w->keys, (size_t)n, sizeof(*w->keys), keyref_cmp_tok);
	for (m = 0; m < n; m++) {
		const struct keyref *b = &w->keys[m];
		unsigned int line, col;
		char ex[MG_JSON_EXCERPT_MAX];

		if (b->first < 0)
			continue;
		/* Locating the first key costs a scan: skip it for an error that will be dropped.
		 */
		if (!errs_wanted(doc->errs, doc->toks[b->tok].start)) {
			doc->errs->dropped++;
			continue;
		}
		mg_json_line_col(doc, doc->toks[b->first].start, &line, &col);
		mg_json_error(doc, b->tok,
		              "duplicate key '%s' (first defined at line %u, column %u)",
		              mg_json_excerpt(doc, b->tok, ex, sizeof(ex)), line, col);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The grammar walk                                                                           */

/*
 * Checks the value token <i>, which must begin at offset <pos>, and its subtree. <ctx> is the
 * token whose path describes where the value sits (its key or its array), <depth> the number
 * of containers around it. Returns the index past the subtree and sets *<endpos> to the offset
 * after the value, or returns -1 after reporting a grammar error.
 */
static int
walk_value(struct walk *w, int i, size_t pos, int ctx, int depth, size_t *endpos)
{
	struct mg_json_doc *doc = w->doc;
	const char *s = doc->text;
	size_t len = doc->len, p, e;
	struct mg_json_tok *t;
	bool is_obj, comma = false;
	char close, d[16];
	int j, k, count = 0;

	if (i >= doc->n_toks || doc->toks[i].start != pos) {
		mg_json_error_at(doc, ctx, pos, "expected a value, got %s",
		                 describe_at(s, len, pos, d, sizeof(d)));
		return -1;
	}
	t = &doc->toks[i];
	switch (t->type) {
	case MG_JSON_STRING:
		check_string(doc, i);
		t->next = i + 1;
		*endpos = t->end;
		return i + 1;
	case MG_JSON_OBJECT:
	case MG_JSON_ARRAY:
		break;
	default:
		check_primitive(doc, i);
		t->next = i + 1;
		*endpos = t->end;
		return i + 1;
	}

	if (depth + 1 > MG_JSON_MAX_DEPTH) {
		mg_json_error(doc, i, "nesting is deeper than %d levels", MG_JSON_MAX_DEPTH);
		return -1;
	}
	is_obj = t->type == MG_JSON_OBJECT;
	close = is_obj ? '}' : ']';
	p = skip_ws(s, len, pos + 1);
	j = i + 1;
	if (p >= len || s[p] != close) {
		for (;;) {
			if (is_obj) {
				if (j >= doc->n_toks || doc->toks[j].start != p ||
				    doc->toks[j].type != MG_JSON_STRING) {
					if (comma && p < len && s[p] == '}')
						mg_json_error_at(doc, i, p,
						                 "trailing comma before '}'");
					else
						mg_json_error_at(
						    doc, i, p, "expected a string key, got %s",
						    describe_at(s, len, p, d, sizeof(d)));
					return -1;
				}
				check_string(doc, j);
				doc->toks[j].next = j + 1;
				p = skip_ws(s, len, doc->toks[j].end);
				if (p >= len || s[p] != ':') {
					mg_json_error_at(doc, j, p,
					                 "expected ':' after the key, got %s",
					                 describe_at(s, len, p, d, sizeof(d)));
					return -1;
				}
				p = skip_ws(s, len, p + 1);
				k = walk_value(w, j + 1, p, j, depth + 1, &e);
			} else {
				if (comma && p < len && s[p] == ']') {
					mg_json_error_at(doc, i, p, "trailing comma before ']'");
					return -1;
				}
				k = walk_value(w, j, p, i, depth + 1, &e);
			}
			if (k < 0)
				return -1;
			count++;
			j = k;
			p = skip_ws(s, len, e);
			if (p < len && s[p] == ',') {
				p = skip_ws(s, len, p + 1);
				comma = true;
				continue;
			}
			if (p < len && s[p] == close)
				break;
			mg_json_error_at(doc, i, p, "expected ',' or '%c' after %s, got %s", close,
			                 is_obj ? "a member" : "an element",
			                 describe_at(s, len, p, d, sizeof(d)));
			return -1;
		}
	}
	if (t->end != p + 1 || t->size != count) {
		/* jsmn's tree disagrees with the text: never expected, but never trusted. */
		mg_json_error_at(doc, i, p, "malformed %s", is_obj ? "object" : "array");
		return -1;
	}
	t->next = j;
	if (is_obj)
		check_dups(w, i);
	*endpos = p + 1;
	return j;
}

/* ------------------------------------------------------------------------------------------ */
/* jsmn glue                                                                                  */

/*
 * Converts <n> jsmn tokens, possibly a partial tree from a failed parse, into doc->toks:
 * parents become the enclosing container (jsmn makes a value the child of its key), keys
 * are flagged, and sizes and indices are counted afresh.
 */
static void
convert_tokens(struct mg_json_doc *doc, const jsmntok_t *jt, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct mg_json_tok *t = &doc->toks[i];
		int p = jt[i].parent;

		/* jsmn allocates a container token before it may refuse it, leaving it unfilled. */
		if (jt[i].start < 0 || (jt[i].type == JSMN_STRING && jt[i].end < 0))
			break;
		memset(t, 0, sizeof(*t));
		switch (jt[i].type) {
		case JSMN_OBJECT:
			t->type = MG_JSON_OBJECT;
			break;
		case JSMN_ARRAY:
			t->type = MG_JSON_ARRAY;
			break;
		case JSMN_STRING:
			t->type = MG_JSON_STRING;
			break;
		default:
			switch (doc->text[jt[i].start]) {
			case 't':
				t->type = MG_JSON_TRUE;
				break;
			case 'f':
				t->type = MG_JSON_FALSE;
				break;
			case 'n':
				t->type = MG_JSON_NULL;
				break;
			default:
				t->type = MG_JSON_NUMBER;
				break;
			}
			break;
		}
		if (t->type == MG_JSON_STRING) {
			t->start = (uint32_t)jt[i].start - 1;
			t->end = (uint32_t)jt[i].end + 1;
		} else {
			t->start = (uint32_t)jt[i].start;
			t->end = jt[i].end < 0 ? NO_END : (uint32_t)jt[i].end;
		}
		t->next = i + 1;
		if (p < 0 || p >= i) {
			t->parent = -1;
		} else if (jt[p].type == JSMN_OBJECT || jt[p].type == JSMN_ARRAY) {
			t->parent = p;
			t->index = doc->toks[p].size++;
			if (jt[p].type == JSMN_OBJECT)
				t->flags |= MG_JSON_TOK_KEY;
		} else {
			/* The value of key <p> (or, in broken text, anything else under <p>). */
			t->parent = doc->toks[p].parent;
			t->index = doc->toks[p].index;
		}
	}
	doc->n_toks = i;
}

/*
 * Reports why jsmn failed with <code> at offset <pos>, using the partial tree in doc->toks
 * and jsmn's current container <super> for the path.
 */
static void
report_jsmn_error(struct mg_json_doc *doc, int code, size_t pos, int super)
{
	const char *s = doc->text;
	size_t len = doc->len, q;
	char d[64];
	int open = -1, i;
	unsigned int line, col;

	for (i = doc->n_toks - 1; i >= 0; i--) {
		const struct mg_json_tok *t = &doc->toks[i];

		if ((t->type == MG_JSON_OBJECT || t->type == MG_JSON_ARRAY) && t->end == NO_END) {
			open = i;
			break;
		}
	}
	if (code == FAIL_DEPTH) {
		mg_json_error_at(doc, super, pos, "nesting is deeper than %d levels",
		                 MG_JSON_MAX_DEPTH);
		return;
	}
	if (code == JSMN_ERROR_PART) {
		if (pos < len && s[pos] == '"') {
			mg_json_error_at(doc, super, pos, "unterminated string");
		} else if (open >= 0) {
			mg_json_line_col(doc, doc->toks[open].start, &line, &col);
			mg_json_error_at(doc, open, len,
			                 "unexpected end of input: '%c' opened at line %u, column "
			                 "%u is not closed",
			                 doc->toks[open].type == MG_JSON_OBJECT ? '{' : '[', line,
			                 col);
		} else {
			mg_json_error_at(doc, super, len, "unexpected end of input");
		}
		return;
	}
	if (code != JSMN_ERROR_INVAL || pos >= len) {
		mg_json_error_at(doc, super, pos < len ? pos : len, "internal parser error %d",
		                 code);
		return;
	}
	switch (s[pos]) {
	case '"':
		/* jsmn rejects a string only for a bad escape: find it. */
		for (q = pos + 1; q + 1 < len && s[q] != '"'; q++) {
			if (s[q] != '\\')
				continue;
			if (s[q + 1] != '\0' && strchr("\"\\/bfnrt", s[q + 1]) != NULL) {
				q++;
				continue;
			}
			if (s[q + 1] == 'u') {
				mg_json_error_at(doc, super, q,
				                 "invalid \\u escape: expected 4 hex digits");
				return;
			}
			if ((unsigned char)s[q + 1] >= 0x20 && (unsigned char)s[q + 1] < 0x7f)
				mg_json_error_at(doc, super, q, "invalid escape '\\%c'", s[q + 1]);
			else
				mg_json_error_at(doc, super, q,
				                 "invalid escape: backslash before %s",
				                 describe_at(s, len, q + 1, d, sizeof(d)));
			return;
		}
		mg_json_error_at(doc, super, pos, "invalid string");
		return;
	case '}':
	case ']':
		if (open >= 0) {
			char want = doc->toks[open].type == MG_JSON_OBJECT ? '}' : ']';

			mg_json_line_col(doc, doc->toks[open].start, &line, &col);
			mg_json_error_at(doc, open, pos,
			                 "expected '%c' to close the %s opened at line %u, column "
			                 "%u, got '%c'",
			                 want, want == '}' ? "object" : "array", line, col, s[pos]);
		} else {
			mg_json_error_at(doc, super, pos, "unexpected '%c'", s[pos]);
		}
		return;
	default:
		break;
	}
	if (super >= 0 && doc->toks[super].type == MG_JSON_OBJECT) {
		i = doc->n_toks - 1;
		if (i > super && (doc->toks[i].flags & MG_JSON_TOK_KEY) &&
		    doc->toks[i].parent == super)
			mg_json_error_at(doc, i, pos, "expected ':' after the key, got %s",
			                 describe_at(s, len, pos, d, sizeof(d)));
		else
			mg_json_error_at(doc, super, pos, "expected a string key, got %s",
			                 describe_at(s, len, pos, d, sizeof(d)));
		return;
	}
	if (super >= 0 && (doc->toks[super].flags & MG_JSON_TOK_KEY) && super < doc->n_toks - 1) {
		/* Something other than ',' or '}' after a member's value. */
		mg_json_error_at(doc, doc->toks[super].parent, pos,
		                 "expected ',' or '}' after a member, got %s",
		                 describe_at(s, len, pos, d, sizeof(d)));
		return;
	}
	if (strchr("-0123456789tfn", s[pos]) != NULL) {
		/* A literal or number with a byte jsmn refuses in it. */
		for (q = pos; q < len && !is_ws(s[q]) && strchr(",]}", s[q]) == NULL; q++) {
			unsigned char c = (unsigned char)s[q];

			if (c < 0x20 || c >= 0x7f)
				break;
		}
		mg_json_error_at(doc, super, q, "unexpected %s in a literal",
		                 describe_at(s, len, q, d, sizeof(d)));
		return;
	}
	if (s[pos] == '+' || s[pos] == '.')
		mg_json_error_at(doc, super, pos,
		                 "invalid number: a number starts with '-' or a digit");
	else
		mg_json_error_at(doc, super, pos, "expected a value, got %s",
		                 describe_at(s, len, pos, d, sizeof(d)));
}

/* ------------------------------------------------------------------------------------------ */
/* Parsing                                                                                    */

/*
 * Returns the offset of the first '{' or '[' (outside strings) that opens a container deeper
 * than MG_JSON_MAX_DEPTH, or <len> if there is none. jsmn must not see such text: closing
 * brackets walk its parent chain, which is quadratic in the nesting depth.
 */
static size_t
depth_scan(const char *s, size_t len)
{
	size_t i;
	int depth = 0;
	bool in_str = false;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > MG_JSON_MAX_DEPTH)
				return i;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return len;
}

void
mg_json_doc_free(struct mg_json_doc *doc)
{
	free(doc->toks);
	doc->toks = NULL;
	doc->n_toks = 0;
}

int
mg_json_parse(struct mg_json_doc *doc, const char *text, size_t len, struct mg_json_errors *errs)
{
	unsigned long before = mg_json_errors_total(errs);
	jsmntok_t *jt = NULL;
	jsmn_parser jp;
	struct walk w = {doc, NULL, NULL, 0};
	size_t plen = len, fail_pos = 0, pos, end;
	int count, r, fail_code = 0, n, rc;
	const char *nul;
	char d[64];

	memset(doc, 0, sizeof(*doc));
	doc->text = text;
	doc->len = len;
	doc->errs = errs;
	doc->lc_line = 1;

	if (len > MG_JSON_MAX_LEN) {
		mg_json_errors_add(errs, "input is larger than %u bytes", MG_JSON_MAX_LEN);
		return -EFBIG;
	}
	nul = len > 0 ? memchr(text, '\0', len) : NULL;
	if (nul != NULL) {
		mg_json_error_at(doc, -1, (size_t)(nul - text), "NUL byte in the input");
		return -EINVAL;
	}
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		mg_json_error_at(doc, -1, 0, "a byte order mark is not allowed");
		return -EINVAL;
	}
	pos = skip_ws(text, len, 0);
	if (pos >= len) {
		mg_json_error_at(doc, -1, pos, "empty document: expected an object");
		return -EINVAL;
	}
	if (text[pos] != '{') {
		mg_json_error_at(doc, -1, pos, "the top-level value must be an object, got %s",
		                 describe_at(text, len, pos, d, sizeof(d)));
		return -EINVAL;
	}

	/*
	 * Count the tokens. If jsmn fails, remember where and count again over the text before
	 * that point, so that the filling pass can give the failure a path. Text nested too
	 * deeply is cut the same way before jsmn sees it.
	 */
	plen = depth_scan(text, len);
	if (plen < len) {
		fail_code = FAIL_DEPTH;
		fail_pos = plen;
	}
	for (;;) {
		jsmn_init(&jp);
		count = jsmn_parse(&jp, text, plen, NULL, 0);
		if (count >= 0)
			break;
		if (jp.pos >= plen) {
			/* Cannot shrink further: report without a tree. */
			mg_json_error_at(doc, -1, jp.pos, "invalid JSON");
			return -EINVAL;
		}
		fail_code = count;
		fail_pos = jp.pos;
		plen = jp.pos;
	}
	if (count > MG_JSON_MAX_TOKENS) {
		mg_json_errors_add(errs, "document has more than %d values", MG_JSON_MAX_TOKENS);
		return -EFBIG;
	}
	n = count > 0 ? count : 1;
	jt = calloc((size_t)n, sizeof(*jt));
	doc->toks = calloc((size_t)n, sizeof(*doc->toks));
	if (jt == NULL || doc->toks == NULL) {
		rc = -ENOMEM;
		goto nomem;
	}
	jsmn_init(&jp);
	r = jsmn_parse(&jp, text, plen, jt, (unsigned int)count);
	convert_tokens(doc, jt, (int)jp.toknext);
	if (r < 0 && !(r == JSMN_ERROR_PART && fail_code != 0)) {
		/* An error before the one the counting pass found. */
		fail_code = r;
		fail_pos = jp.pos;
	}
	if (fail_code != 0) {
		/* A closed root object with junk after it is reported below, as in valid JSON. */
		if (doc->n_toks == 0 || doc->toks[0].end == NO_END || fail_pos < doc->toks[0].end) {
			report_jsmn_error(doc, fail_code, fail_pos, jp.toksuper);
			goto fail;
		}
	}
	free(jt);
	jt = NULL;

	/* Keep the root's subtree only; anything after it is trailing data. */
	end = doc->toks[0].end;
	for (n = 1; n < doc->n_toks && doc->toks[n].start < end; n++)
		;
	doc->n_toks = n;

	if (walk_value(&w, 0, pos, -1, 0, &end) < 0)
		goto fail;
	if (w.nomem) {
		rc = -ENOMEM;
		goto nomem;
	}
	pos = skip_ws(text, len, end);
	if (pos < len)
		mg_json_error_at(doc, -1, pos, "unexpected data after the top-level object");
	free(w.keys);
	free(w.kbuf);
	return mg_json_errors_total(errs) == before ? 0 : -EINVAL;

nomem:
	mg_json_errors_add(errs, "out of memory while parsing");
	free(jt);
	free(w.keys);
	free(w.kbuf);
	mg_json_doc_free(doc);
	return rc;
fail:
	free(jt);
	free(w.keys);
	free(w.kbuf);
	mg_json_doc_free(doc);
	return -EINVAL;
}

/* ------------------------------------------------------------------------------------------ */
/* Accessors                                                                                  */

enum mg_json_type
mg_json_type(const struct mg_json_doc *doc, int tok)
{
	return valid_tok(doc, tok) ? (enum mg_json_type)doc->toks[tok].type : MG_JSON_INVALID;
}

const char *
mg_json_type_name(enum mg_json_type type)
{
	switch (type) {
	case MG_JSON_OBJECT:
		return "object";
	case MG_JSON_ARRAY:
		return "array";
	case MG_JSON_STRING:
		return "string";
	case MG_JSON_NUMBER:
		return "number";
	case MG_JSON_TRUE:
	case MG_JSON_FALSE:
		return "boolean";
	case MG_JSON_NULL:
		return "null";
	default:
		return "nothing";
	}
}

bool
mg_json_is_bad(const struct mg_json_doc *doc, int tok)
{
	return valid_tok(doc, tok) && (doc->toks[tok].flags & MG_JSON_TOK_BAD) != 0;
}

/* Returns <key> or the first following key of its object that is not a duplicate, or -1. */
static int
skip_dup_keys(const struct mg_json_doc *doc, int obj, int key)
{
	while (key < doc->toks[obj].next && (doc->toks[key].flags & MG_JSON_TOK_DUP))
		key = doc->toks[key + 1].next;
	return key < doc->toks[obj].next ? key : -1;
}

int
mg_json_member_first(const struct mg_json_doc *doc, int obj)
{
	if (mg_json_type(doc, obj) != MG_JSON_OBJECT || doc->toks[obj].size == 0)
		return -1;
	return skip_dup_keys(doc, obj, obj + 1);
}

int
mg_json_member_next(const struct mg_json_doc *doc, int key)
{
	if (!valid_tok(doc, key) || !(doc->toks[key].flags & MG_JSON_TOK_KEY))
		return -1;
	return skip_dup_keys(doc, doc->toks[key].parent, doc->toks[key + 1].next);
}

int
mg_json_elem_first(const struct mg_json_doc *doc, int arr)
{
	if (mg_json_type(doc, arr) != MG_JSON_ARRAY || doc->toks[arr].size == 0)
		return -1;
	return arr + 1;
}

int
mg_json_elem_next(const struct mg_json_doc *doc, int elem)
{
	int parent;

	if (!valid_tok(doc, elem))
		return -1;
	parent = doc->toks[elem].parent;
	if (parent < 0 || doc->toks[parent].type != MG_JSON_ARRAY)
		return -1;
	return doc->toks[elem].next < doc->toks[parent].next ? doc->toks[elem].next : -1;
}

int
mg_json_size(const struct mg_json_doc *doc, int tok)
{
	enum mg_json_type t = mg_json_type(doc, tok);

	return t == MG_JSON_OBJECT || t == MG_JSON_ARRAY ? doc->toks[tok].size : -1;
}

int
mg_json_obj_get(const struct mg_json_doc *doc, int obj, const char *key)
{
	int k;

	for (k = mg_json_member_first(doc, obj); k >= 0; k = mg_json_member_next(doc, k)) {
		if (mg_json_str_eq(doc, k, key))
			return k + 1;
	}
	return -1;
}

int
mg_json_arr_get(const struct mg_json_doc *doc, int arr, int i)
{
	int e, n;

	if (i < 0)
		return -1;
	for (e = mg_json_elem_first(doc, arr), n = 0; e >= 0 && n < i;
	     e = mg_json_elem_next(doc, e), n++)
		;
	return e;
}

int
mg_json_lookup(const struct mg_json_doc *doc, int tok, const char *path)
{
	char name[MG_JSON_PATH_MAX];
	const char *p = path;
	size_t n;
	long idx;
	char *endp;

	while (tok >= 0 && *p != '\0') {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			idx = strtol(p + 1, &endp, 10);
			if (endp == p + 1 || *endp != ']' || idx < 0 || idx > INT_MAX)
				return -1;
			tok = mg_json_arr_get(doc, tok, (int)idx);
			p = endp + 1;
			continue;
		}
		n = strcspn(p, ".[");
		if (n >= sizeof(name))
			return -1;
		memcpy(name, p, n);
		name[n] = '\0';
		tok = mg_json_obj_get(doc, tok, name);
		p += n;
	}
	return tok;
}

static bool
good_string(const struct mg_json_doc *doc, int tok)
{
	return mg_json_type(doc, tok) == MG_JSON_STRING &&
	       !(doc->toks[tok].flags & MG_JSON_TOK_BAD);
}

int
mg_json_str_view(const struct mg_json_doc *doc, int tok, const char **p, size_t *len)
{
	if (!good_string(doc, tok))
		return -EINVAL;
	*p = doc->text + doc->toks[tok].start + 1;
	*len = doc->toks[tok].end - doc->toks[tok].start - 2;
	return 0;
}

int
mg_json_str_decode(const struct mg_json_doc *doc, int tok, char *buf, size_t size, size_t *out_len)
{
	const char *p;
	size_t n, len;

	if (mg_json_str_view(doc, tok, &p, &len) < 0)
		return -EINVAL;
	n = decode_into(p, p + len, buf, size);
	if (out_len != NULL)
		*out_len = n;
	if (n >= size) {
		if (size > 0)
			buf[size - 1] = '\0';
		return -ENOSPC;
	}
	buf[n] = '\0';
	return 0;
}

bool
mg_json_str_eq(const struct mg_json_doc *doc, int tok, const char *s)
{
	size_t slen = strlen(s), len;
	const char *p;
	char small[128], *buf;
	bool eq;

	if (mg_json_str_view(doc, tok, &p, &len) < 0)
		return false;
	if (!(doc->toks[tok].flags & MG_JSON_TOK_ESC))
		return len == slen && memcmp(p, s, len) == 0;
	/* A decoded string is never longer than its source text. */
	buf = len < sizeof(small) ? small : malloc(len + 1);
	if (buf == NULL)
		return false;
	eq = decode_into(p, p + len, buf, len) == slen && memcmp(buf, s, slen) == 0;
	if (buf != small)
		free(buf);
	return eq;
}

int
mg_json_get_int(const struct mg_json_doc *doc, int tok, int64_t min, int64_t max, int64_t *out)
{
	const struct mg_json_tok *t;
	const char *s;
	size_t n, i = 0;
	uint64_t v = 0, limit;
	bool neg;
	int64_t r;

	if (mg_json_type(doc, tok) != MG_JSON_NUMBER || mg_json_is_bad(doc, tok))
		return -EINVAL;
	t = &doc->toks[tok];
	s = doc->text + t->start;
	n = t->end - t->start;
	neg = s[0] == '-';
	if (neg)
		i++;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d;

		if (!is_digit(s[i]))
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (neg)
		r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		r = (int64_t)v;
	if (r < min || r > max)
		return -ERANGE;
	*out = r;
	return 0;
}

int
mg_json_get_bool(const struct mg_json_doc *doc, int tok, bool *out)
{
	enum mg_json_type t = mg_json_type(doc, tok);

	if (t != MG_JSON_TRUE && t != MG_JSON_FALSE)
		return -EINVAL;
	if (mg_json_is_bad(doc, tok))
		return -EINVAL;
	*out = t == MG_JSON_TRUE;
	return 0;
}
