/*
 * A table-driven walker that turns a parsed JSON document (json.h) into C structs.
 *
 * Each kind of JSON object is described by a struct mg_schema_object: a table of fields, each
 * naming a JSON member, its type, whether it is required, where its value goes in the C struct
 * (an offset) and its limits. mg_schema_parse() walks an object against its table and reports
 * every problem to the document's error list, without stopping at the first one: unknown
 * members ("unknown field 'foo'"), missing required members, wrong types (saying what was
 * expected), values out of range (saying the range), strings too long. Members that are absent
 * get their defaults.
 *
 * Two kinds of objects exist. A struct object (MG_SCHEMA_STRUCT) has any subset of its fields.
 * A union object (MG_SCHEMA_UNION) is a tagged union in the style of the AWS App Mesh API, such
 * as `{"http": {...}} | {"grpc": {...}}`: exactly one of its alternative fields must be present,
 * and the walker stores that field's <tag> in an int at the object's <tag_offset>. Fields
 * flagged MG_SCHEMA_F_SHARED in a union are ordinary members beside the alternatives (a route
 * spec's `priority`, for instance).
 *
 * Tables are static const data; mg_schema_check() verifies one (every nested table included)
 * and belongs in a unit test for each new table.
 */
#ifndef MG_CONFIG_SCHEMA_H
#define MG_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* The most fields one object table may have. */
#define MG_SCHEMA_MAX_FIELDS 64

/*
 * How a field's JSON value is read and stored at (char *)base + offset:
 *   MG_SCHEMA_STRING  a JSON string, decoded, stored NUL-terminated in a char[size]; its decoded
 *                     length in bytes must lie in min..max (max is capped at size - 1; a max of
 *                     0 means size - 1). Strings containing U+0000 are refused.
 *   MG_SCHEMA_INT     a JSON integer within min..max, stored in an integer of <size> bytes
 *                     (1, 2, 4 or 8), unsigned when min >= 0. MG_SCHEMA_F_POW2 also requires a
 *                     power of two.
 *   MG_SCHEMA_BOOL    true or false, stored in a bool.
 *   MG_SCHEMA_ENUM    a JSON string equal to one of <enum_names> (a NULL-terminated list),
 *                     stored as its index in an integer of <size> bytes.
 *   MG_SCHEMA_OBJECT  a JSON object described by <object>, stored in a struct at the offset.
 *   MG_SCHEMA_ARRAY   a JSON array of min..max elements, each described by <elem> (whose own
 *                     offset must be 0) and stored <elem>->size bytes apart from the offset;
 *                     the element count goes to the int at <count_offset>. Elements past
 *                     <max> are reported and not stored.
 *   MG_SCHEMA_CUSTOM  any JSON value, handed to <parse>.
 */
enum mg_schema_type {
	MG_SCHEMA_STRING = 1,
	MG_SCHEMA_INT,
	MG_SCHEMA_BOOL,
	MG_SCHEMA_ENUM,
	MG_SCHEMA_OBJECT,
	MG_SCHEMA_ARRAY,
	MG_SCHEMA_CUSTOM,
};

/* Field flags. */
#define MG_SCHEMA_F_REQUIRED 0x1 /* absence is an error */
#define MG_SCHEMA_F_POW2     0x2 /* MG_SCHEMA_INT: the value must be a power of two */
#define MG_SCHEMA_F_SHARED   0x4 /* in a union: an ordinary member, not an alternative */

enum mg_schema_kind {
	MG_SCHEMA_STRUCT = 0,
	MG_SCHEMA_UNION,
};

struct mg_schema_object;
struct mg_schema_field;

/*
 * State shared by one walk: the document (errors go to its list) and an opaque pointer for
 * callbacks, such as the whole configuration for cross-references.
 */
struct mg_schema_ctx {
	struct mg_json_doc *doc;
	void *user;
};

/*
 * A field callback. <tok> is the member's JSON value and <base> the C struct that holds the
 * field (for an array element: the element itself), so the value lives at
 * (char *)base + f->offset; a callback for a struct-specific field may also write other
 * members of <base>. A <check> callback runs after the typed value has been stored; a <parse>
 * callback (MG_SCHEMA_CUSTOM) stores the value itself. Either reports its own errors with
 * mg_json_error() and returns 0 or -EINVAL.
 */
struct mg_schema_field {
	const char *name;
	enum mg_schema_type type;
	unsigned int flags;
	size_t offset;
	size_t size;
	int64_t min;
	int64_t max;
	int64_t def;                           /* default of an absent INT, ENUM or BOOL */
	int tag;                               /* union alternatives: the nonzero tag stored */
	const struct mg_schema_object *object; /* OBJECT */
	const struct mg_schema_field *elem;    /* ARRAY */
	size_t count_offset;                   /* ARRAY */
	const char *const *enum_names;         /* ENUM */
	int (*check)(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
	             void *base);
	int (*parse)(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
	             void *base);
};

/*
 * An object type. <name> is used in messages and by mg_schema_check(); <size> is the size of
 * the C struct it fills, which mg_schema_check() compares with every field's offset. For a union,
 * <tag_offset> locates the int that receives the chosen alternative's tag (0 while none).
 * <validate>, if set, runs after the object's members were walked, whether or not some of them
 * had errors (those keep their defaults or zero, which a validator must treat as unknown and
 * not report again); it checks rules across members, reports with mg_json_error() and returns
 * 0 or -EINVAL.
 */
struct mg_schema_object {
	const char *name;
	enum mg_schema_kind kind;
	size_t size;
	const struct mg_schema_field *fields;
	size_t n_fields;
	size_t tag_offset;
	int (*validate)(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok,
	                void *base);
};

/* Helpers for writing tables. */
#define MG_SCHEMA_SIZEOF(type, member) sizeof(((type *)0)->member)
#define MG_SCHEMA_COUNT(array)         (sizeof(array) / sizeof((array)[0]))
#define MG_SCHEMA_MEMBER(type, member)                                                             \
	.offset = offsetof(type, member), .size = MG_SCHEMA_SIZEOF(type, member)

/*
 * Walks JSON value <tok> of ctx->doc against <obj> and stores the result in <base>, which the
 * caller has zeroed. Absent optional fields get their defaults, recursively. Returns 0 if no
 * error was reported during the walk, else -EINVAL; every problem is reported.
 */
int mg_schema_parse(struct mg_schema_ctx *ctx, const struct mg_schema_object *obj, int tok,
                    void *base);

/* Stores the defaults of every field of <obj> in <base>, recursing into nested objects. */
void mg_schema_apply_defaults(const struct mg_schema_object *obj, void *base);

/*
 * Verifies table <obj> and all tables it reaches: names present and unique, sizes that match
 * the types, every field inside its struct, integer ranges and defaults that fit the storage
 * (a default is either 0 or within min..max), array elements at offset 0, union tags nonzero
 * and unique, at most MG_SCHEMA_MAX_FIELDS fields. Returns 0, or -EINVAL
 * with a description of the first problem in <why> (<size> bytes).
 */
int mg_schema_check(const struct mg_schema_object *obj, char *why, size_t size);

#endif /* MG_CONFIG_SCHEMA_H */
