/*
 * Strict JSON documents for the Meshgate configuration.
 *
 * mg_json_parse() tokenizes a buffer with jsmn and then checks everything jsmn lets through:
 * the exact JSON grammar between tokens (commas, colons, trailing data), number and literal
 * spelling, string escapes and UTF-8, duplicate keys, nesting depth and the rule that the top
 * level is an object. The result is a flat, read-only token array in document order that a
 * schema walker reads through the accessors below.
 *
 * Errors are not returned one at a time: every problem found is recorded in a caller-owned
 * struct mg_json_errors with its byte offset, 1-based line and column, a JSON path such as
 * `appliance.interfaces[0].address` and a message, and the list is printed in document order.
 *
 * Tokens are named by their index in the document (an int). Index 0 is the root object.
 * Every function that takes a token index accepts only indices of the document it was given;
 * a negative index is accepted where noted and means "no token".
 *
 * The configuration is parsed once at boot, so this module allocates with malloc() and is not
 * meant for the data path.
 */
#ifndef MG_CONFIG_JSON_H
#define MG_CONFIG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Limits. Nesting depth counts objects and arrays, the root object being depth 1: a document
 * with more than MG_JSON_MAX_DEPTH nested containers is rejected, which also bounds the
 * recursion of every walker over a parsed document. Larger inputs than MG_JSON_MAX_LEN bytes
 * and documents of more than MG_JSON_MAX_TOKENS values (keys count as values) are rejected.
 */
#define MG_JSON_MAX_DEPTH  64
#define MG_JSON_MAX_LEN    (64u << 20)
#define MG_JSON_MAX_TOKENS (1 << 20)

/* Capacity of an error list and the size of each of its text fields, NUL included. */
#define MG_JSON_ERR_MAX  64
#define MG_JSON_PATH_MAX 256
#define MG_JSON_MSG_MAX  256
#define MG_JSON_FILE_MAX 256

/* Value types. MG_JSON_INVALID is returned for an index that names no token. */
enum mg_json_type {
	MG_JSON_INVALID = 0,
	MG_JSON_OBJECT,
	MG_JSON_ARRAY,
	MG_JSON_STRING,
	MG_JSON_NUMBER,
	MG_JSON_TRUE,
	MG_JSON_FALSE,
	MG_JSON_NULL,
};

/*
 * One reported problem. <offset> is the byte offset of the offending character in the input,
 * <line> and <col> are 1-based (columns count UTF-8 characters, a tab counting as one). A
 * <line> of 0 means the error has no position (an I/O error, for instance); an empty <path>
 * means it has no JSON path. The path of the root object is "(root)".
 */
struct mg_json_error {
	size_t offset;
	unsigned int line;
	unsigned int col;
	char path[MG_JSON_PATH_MAX];
	char msg[MG_JSON_MSG_MAX];
};

/*
 * A list of errors kept sorted by offset (document order; errors at the same offset keep the
 * order they were reported in). When more than MG_JSON_ERR_MAX are reported, the ones that
 * come first in the document are kept and <dropped> counts the others. The struct is plain
 * data: it owns no memory and may live on the stack (it is about 33 KiB).
 */
struct mg_json_errors {
	char file[MG_JSON_FILE_MAX];
	int count;
	unsigned long dropped;
	struct mg_json_error list[MG_JSON_ERR_MAX];
};

/* Token flags. */
#define MG_JSON_TOK_KEY 0x01 /* the token is an object key (always a string) */
#define MG_JSON_TOK_BAD 0x02 /* lexically invalid (already reported): accessors refuse it */
#define MG_JSON_TOK_ESC 0x04 /* a string that contains backslash escapes */
#define MG_JSON_TOK_DUP 0x08 /* a key that repeats an earlier key of its object */

/*
 * One value. <start> and <end> delimit its text (quotes included for strings). <parent> is
 * the enclosing object or array (-1 for the root); an object's children alternate key and
 * value, both with the object as parent. <next> is the index just past the token's subtree.
 * <size> is the member count of an object or the element count of an array. <index> is the
 * position of a key or element in its parent (a value has the index of its key).
 */
struct mg_json_tok {
	uint32_t start;
	uint32_t end;
	int32_t parent;
	int32_t next;
	int32_t size;
	int32_t index;
	uint8_t type;
	uint8_t flags;
};

/*
 * A parsed document. All fields are private to json.c except for reading; the document
 * borrows <text> (which must stay valid and unchanged until mg_json_doc_free()) and the error
 * list, and owns <toks>.
 */
struct mg_json_doc {
	const char *text;
	size_t len;
	struct mg_json_tok *toks;
	int n_toks;
	struct mg_json_errors *errs;
	/* Line lookup cache: the last offset resolved, and its line and line start. */
	size_t lc_off;
	size_t lc_line_start;
	unsigned int lc_line;
};

/*
 * Clears <errs> and records <file> (truncated to MG_JSON_FILE_MAX - 1 bytes; NULL is taken as
 * "<input>") as the name printed in front of every error.
 */
void mg_json_errors_init(struct mg_json_errors *errs, const char *file);

/* Returns the number of errors reported to <errs>, the dropped ones included. */
unsigned long mg_json_errors_total(const struct mg_json_errors *errs);

/*
 * Records an error without a position, such as an I/O error, in front of all others.
 * <fmt> is a printf format.
 */
void mg_json_errors_add(struct mg_json_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Prints every kept error to <out> in document order, one per line, as
 * `FILE:LINE:COL: PATH: message` (`FILE: message` for errors without a position), then one
 * line telling how many more errors were dropped if any were.
 */
void mg_json_errors_print(const struct mg_json_errors *errs, FILE *out);

/*
 * Parses <len> bytes at <text> (no NUL terminator is needed or looked for) into <doc>,
 * reporting every problem found to <errs>, which must have been initialised with
 * mg_json_errors_init() and may already hold errors.
 *
 * Returns 0 when the document is valid JSON whose top level is an object. Returns -EINVAL
 * when errors were reported: if doc->n_toks is then nonzero, the token tree is complete and
 * a schema walk over it may report further errors (tokens with errors carry MG_JSON_TOK_BAD
 * and the accessors refuse them); if it is zero, the text was too broken to walk. Returns
 * -EFBIG for an input over MG_JSON_MAX_LEN bytes or MG_JSON_MAX_TOKENS values and -ENOMEM
 * when memory ran out; both are reported to <errs> too, and leave doc->n_toks at zero.
 * In every case <doc> must be released with mg_json_doc_free().
 */
int mg_json_parse(struct mg_json_doc *doc, const char *text, size_t len,
                  struct mg_json_errors *errs);

/* Releases the tokens of <doc> (safe on a zeroed or already freed document). */
void mg_json_doc_free(struct mg_json_doc *doc);

/* Returns the type of token <tok>, or MG_JSON_INVALID if <tok> names no token. */
enum mg_json_type mg_json_type(const struct mg_json_doc *doc, int tok);

/* Returns a word for <type> as used in messages ("object", "string", "boolean", ...). */
const char *mg_json_type_name(enum mg_json_type type);

/* Returns true if <tok> names a token for which an error was reported. */
bool mg_json_is_bad(const struct mg_json_doc *doc, int tok);

/*
 * Member iteration: mg_json_member_first() returns the first key token of object <obj> and
 * mg_json_member_next() the key after key <key>; both return -1 at the end (or if <obj> is
 * not an object). The value of a member is always the token after its key (<key> + 1).
 * Keys flagged MG_JSON_TOK_DUP (repeats of an earlier key, already reported) are skipped, so
 * that a walker sees each key once.
 */
int mg_json_member_first(const struct mg_json_doc *doc, int obj);
int mg_json_member_next(const struct mg_json_doc *doc, int key);

/*
 * Element iteration over array <arr>: the first element, the element after <elem>; -1 at the
 * end or if <arr> is not an array.
 */
int mg_json_elem_first(const struct mg_json_doc *doc, int arr);
int mg_json_elem_next(const struct mg_json_doc *doc, int elem);

/* Returns the number of members of an object or elements of an array, or -1 for others. */
int mg_json_size(const struct mg_json_doc *doc, int tok);

/*
 * Returns the value token of the member of object <obj> whose decoded key equals the C string
 * <key>, or -1 if there is none (or <obj> is not an object). With duplicate keys the first
 * one wins.
 */
int mg_json_obj_get(const struct mg_json_doc *doc, int obj, const char *key);

/* Returns element <i> (0-based) of array <arr>, or -1 if out of range or not an array. */
int mg_json_arr_get(const struct mg_json_doc *doc, int arr, int i);

/*
 * Follows <path>, a chain of `name` and `[N]` steps joined by dots such as
 * "appliance.interfaces[1].name", from token <tok>, and returns the token found or -1.
 * Keys containing '.', '[' or ']' cannot be named this way.
 */
int mg_json_lookup(const struct mg_json_doc *doc, int tok, const char *path);

/*
 * Sets *<p> and *<len> to the raw text between the quotes of string <tok>, escapes left as
 * written. The view points into the document's text. Returns 0, or -EINVAL if <tok> is not a
 * string or is bad.
 */
int mg_json_str_view(const struct mg_json_doc *doc, int tok, const char **p, size_t *len);

/*
 * Decodes string <tok> (escapes resolved, surrogate pairs joined, output in UTF-8) into <buf>
 * of <size> bytes and NUL-terminates it; the decoded length without the terminator goes to
 * *<out_len> if <out_len> is not NULL. A decoded string may contain NUL bytes (from \u0000):
 * callers that want a C string must compare *<out_len> with strlen(). Returns 0, -EINVAL if
 * <tok> is not a valid string, or -ENOSPC if the text plus terminator does not fit, in which
 * case *<out_len> still receives the full decoded length and <buf> holds a truncated,
 * terminated prefix (if <size> > 0).
 */
int mg_json_str_decode(const struct mg_json_doc *doc, int tok, char *buf, size_t size,
                       size_t *out_len);

/* Returns true if <tok> is a valid string whose decoded value equals the C string <s>. */
bool mg_json_str_eq(const struct mg_json_doc *doc, int tok, const char *s);

/*
 * Reads number <tok> as an integer into *<out>. Returns 0; -EINVAL if <tok> is not a valid
 * number or has a fraction or exponent (1.0 and 1e3 are not integers here); -ERANGE if it lies
 * outside <min>..<max> or outside int64_t (then *<out> is left unchanged).
 */
int mg_json_get_int(const struct mg_json_doc *doc, int tok, int64_t min, int64_t max, int64_t *out);

/* Reads true or false. Returns 0, or -EINVAL if <tok> is not a boolean. */
int mg_json_get_bool(const struct mg_json_doc *doc, int tok, bool *out);

/*
 * Writes the JSON path of <tok> to <buf> (always NUL-terminated when <size> > 0, truncated
 * with "..." if too long) and returns the length it wrote. Keys made only of letters, digits,
 * '_' and '-' appear as `.name`, others as `["raw text"]` with unprintable bytes as \xNN; a
 * key's path is the path of its member. The root is "(root)".
 */
size_t mg_json_path(const struct mg_json_doc *doc, int tok, char *buf, size_t size);

/*
 * Writes a printable excerpt of the source text of <tok> to <buf>: at most 40 characters
 * (then "..."), bytes outside printable ASCII as \xNN, quotes of strings left out. Meant for
 * quoting a value in a message. Returns <buf>.
 */
const char *mg_json_excerpt(const struct mg_json_doc *doc, int tok, char *buf, size_t size);

/* Size of a buffer that always holds a full mg_json_excerpt(). */
#define MG_JSON_EXCERPT_MAX 176

/* Computes the 1-based line and column of byte offset <offset> in the document. */
void mg_json_line_col(struct mg_json_doc *doc, size_t offset, unsigned int *line,
                      unsigned int *col);

/*
 * Reports an error located at token <tok> (its first character; its path) with the message
 * formatted from the printf format <fmt>. A negative <tok> reports at the start of the text
 * with the path "(root)". The error goes to the list the document was parsed with.
 */
void mg_json_error(struct mg_json_doc *doc, int tok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Like mg_json_error() but located at byte <offset> of the text, with the path of <tok>.
 */
void mg_json_error_at(struct mg_json_doc *doc, int tok, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* MG_CONFIG_JSON_H */
