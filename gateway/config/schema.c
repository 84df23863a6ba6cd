/*
 * The table-driven schema walker: see schema.h for the contract.
 *
 * The walker recurses once per nested JSON object or array, so its depth is bounded by
 * MG_JSON_MAX_DEPTH. It never stops at an error: a member that fails keeps its zero or default
 * value and the walk moves on to the next one.
 */
#include "schema.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Longest key, in bytes, for which an unknown field gets a "did you mean" suggestion. */
#define SUGGEST_MAX 64

static void parse_object(struct mg_schema_ctx *ctx, const struct mg_schema_object *obj, int tok,
                         void *base);

/* ------------------------------------------------------------------------------------------ */
/* Storage                                                                                    */

/* Stores <v> in an integer of <size> bytes at <dst>, signed if <is_signed>. */
static void
store_int(void *dst, size_t size, bool is_signed, int64_t v)
{
	switch (size) {
	case 1:
		if (is_signed)
			*(int8_t *)dst = (int8_t)v;
		else
			*(uint8_t *)dst = (uint8_t)v;
		break;
	case 2:
		if (is_signed)
			*(int16_t *)dst = (int16_t)v;
		else
			*(uint16_t *)dst = (uint16_t)v;
		break;
	case 4:
		if (is_signed)
			*(int32_t *)dst = (int32_t)v;
		else
			*(uint32_t *)dst = (uint32_t)v;
		break;
	case 8:
		*(int64_t *)dst = v;
		break;
	default:
		break;
	}
}

static int64_t
string_max(const struct mg_schema_field *f)
{
	int64_t cap = f->size > 0 ? (int64_t)f->size - 1 : 0;

	return f->max > 0 && f->max < cap ? f->max : cap;
}

static size_t
enum_count(const char *const *names)
{
	size_t n = 0;

	while (names != NULL && names[n] != NULL)
		n++;
	return n;
}

static bool
is_alternative(const struct mg_schema_object *obj, const struct mg_schema_field *f)
{
	return obj->kind == MG_SCHEMA_UNION && !(f->flags & MG_SCHEMA_F_SHARED);
}

static void
apply_field_default(const struct mg_schema_field *f, void *base)
{
	char *dst = (char *)base + f->offset;

	switch (f->type) {
	case MG_SCHEMA_INT:
	case MG_SCHEMA_ENUM:
		store_int(dst, f->size, f->min < 0, f->def);
		break;
	case MG_SCHEMA_BOOL:
		*(bool *)(void *)dst = f->def != 0;
		break;
	case MG_SCHEMA_OBJECT:
		mg_schema_apply_defaults(f->object, dst);
		break;
	case MG_SCHEMA_ARRAY:
		*(int *)(void *)((char *)base + f->count_offset) = 0;
		break;
	default:
		break;
	}
}

void
mg_schema_apply_defaults(const struct mg_schema_object *obj, void *base)
{
	size_t i;

	if (obj->kind == MG_SCHEMA_UNION)
		*(int *)(void *)((char *)base + obj->tag_offset) = 0;
	for (i = 0; i < obj->n_fields; i++) {
		if (!is_alternative(obj, &obj->fields[i]))
			apply_field_default(&obj->fields[i], base);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Messages                                                                                   */

/* Appends <s> to <buf> (<size> bytes, NUL-terminated), truncating. */
static void
cat(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

	if (n + 1 < size)
		snprintf(buf + n, size - n, "%s", s);
}

/*
 * Writes the names of <obj>'s fields to <buf> as "'a', 'b' or 'c'", only the union
 * alternatives if <alts_only>.
 */
static void
field_list(const struct mg_schema_object *obj, bool alts_only, char *buf, size_t size)
{
	size_t i, n = 0, total = 0;

	buf[0] = '\0';
	for (i = 0; i < obj->n_fields; i++)
		total += !alts_only || is_alternative(obj, &obj->fields[i]);
	for (i = 0; i < obj->n_fields; i++) {
		if (alts_only && !is_alternative(obj, &obj->fields[i]))
			continue;
		if (n > 0)
			cat(buf, size, n + 1 == total ? " or " : ", ");
		cat(buf, size, "'");
		cat(buf, size, obj->fields[i].name);
		cat(buf, size, "'");
		n++;
	}
}

/* Levenshtein distance between two short strings (both at most SUGGEST_MAX bytes). */
static size_t
edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[SUGGEST_MAX + 1], i, j;

	for (j = 0; j <= nb; j++)
		row[j] = j;
	for (i = 1; i <= na; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= nb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nb];
}

/* Reports key <key> as not a field of <obj>, suggesting a near name or listing the names. */
static void
report_unknown(struct mg_schema_ctx *ctx, const struct mg_schema_object *obj, int key)
{
	char ex[MG_JSON_EXCERPT_MAX], name[SUGGEST_MAX + 1], list[160];
	const char *best = NULL;
	size_t best_d = 3, n, i;

	mg_json_excerpt(ctx->doc, key, ex, sizeof(ex));
	if (mg_json_str_decode(ctx->doc, key, name, sizeof(name), &n) == 0) {
		for (i = 0; i < obj->n_fields; i++) {
			const char *f = obj->fields[i].name;
			size_t nf = strlen(f), d;

			if (nf > SUGGEST_MAX)
				continue;
			d = edit_distance(name, n, f, nf);
			if (d < best_d && d < nf) {
				best_d = d;
				best = f;
			}
		}
	}
	if (best != NULL) {
		mg_json_error(ctx->doc, key, "unknown field '%s' (did you mean '%s'?)", ex, best);
		return;
	}
	field_list(obj, false, list, sizeof(list));
	if (obj->n_fields == 0)
		mg_json_error(ctx->doc, key, "unknown field '%s' (%s takes no fields)", ex,
		              obj->name);
	else if (strlen(list) + 1 < sizeof(list))
		mg_json_error(ctx->doc, key, "unknown field '%s' (expected %s)", ex, list);
	else
		mg_json_error(ctx->doc, key, "unknown field '%s'", ex);
}

/* Reports that <tok> has the wrong JSON type; <want> is "a string", "an object", ... */
static void
type_error(struct mg_schema_ctx *ctx, int tok, const char *want)
{
	mg_json_error(ctx->doc, tok, "expected %s, got %s", want,
	              mg_json_type_name(mg_json_type(ctx->doc, tok)));
}

/* ------------------------------------------------------------------------------------------ */
/* Fields                                                                                     */

static void
parse_string(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	char *dst = (char *)base + f->offset;
	int64_t max = string_max(f);
	size_t n = 0;
	int rc;

	if (mg_json_type(ctx->doc, tok) != MG_JSON_STRING) {
		type_error(ctx, tok, "a string");
		return;
	}
	rc = mg_json_str_decode(ctx->doc, tok, dst, f->size, &n);
	if (rc == -ENOSPC || (rc == 0 && (int64_t)n > max)) {
		mg_json_error(ctx->doc, tok, "is too long (%zu bytes, at most %" PRId64 ")", n,
		              max);
		goto clear;
	}
	if (rc < 0)
		goto clear;
	if (strlen(dst) != n) {
		mg_json_error(ctx->doc, tok, "must not contain a NUL character (\\u0000)");
		goto clear;
	}
	if ((int64_t)n < f->min) {
		if (n == 0)
			mg_json_error(ctx->doc, tok, "must not be empty");
		else
			mg_json_error(ctx->doc, tok,
			              "is too short (%zu bytes, at least %" PRId64 ")", n, f->min);
		goto clear;
	}
	if (f->check != NULL && f->check(ctx, f, tok, base) < 0)
		goto clear;
	return;
clear:
	if (f->size > 0)
		dst[0] = '\0';
}

static void
parse_int(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	char ex[MG_JSON_EXCERPT_MAX];
	int64_t v = 0;
	int rc;

	if (mg_json_type(ctx->doc, tok) != MG_JSON_NUMBER) {
		type_error(ctx, tok, "an integer");
		return;
	}
	rc = mg_json_get_int(ctx->doc, tok, f->min, f->max, &v);
	if (rc == -ERANGE) {
		mg_json_error(ctx->doc, tok, "%s is out of range %" PRId64 "..%" PRId64,
		              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)), f->min, f->max);
		return;
	}
	if (rc < 0) {
		mg_json_error(ctx->doc, tok, "expected an integer, got %s",
		              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)));
		return;
	}
	if ((f->flags & MG_SCHEMA_F_POW2) && (v <= 0 || (v & (v - 1)) != 0)) {
		mg_json_error(ctx->doc, tok, "%" PRId64 " is not a power of two", v);
		return;
	}
	store_int((char *)base + f->offset, f->size, f->min < 0, v);
	if (f->check != NULL && f->check(ctx, f, tok, base) < 0)
		apply_field_default(f, base);
}

static void
parse_enum(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	char ex[MG_JSON_EXCERPT_MAX], list[160];
	size_t i, n = enum_count(f->enum_names);

	if (mg_json_type(ctx->doc, tok) != MG_JSON_STRING) {
		type_error(ctx, tok, "a string");
		return;
	}
	for (i = 0; i < n; i++) {
		if (mg_json_str_eq(ctx->doc, tok, f->enum_names[i])) {
			store_int((char *)base + f->offset, f->size, false, (int64_t)i);
			if (f->check != NULL && f->check(ctx, f, tok, base) < 0)
				apply_field_default(f, base);
			return;
		}
	}
	list[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			cat(list, sizeof(list), i + 1 == n ? " or " : ", ");
		cat(list, sizeof(list), f->enum_names[i]);
	}
	mg_json_error(ctx->doc, tok, "'%s' is not valid (expected %s)",
	              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)), list);
}

static void parse_field(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                        void *base);

static void
parse_array(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	char *dst = (char *)base + f->offset;
	int n = mg_json_size(ctx->doc, tok), stored = 0, e;

	if (mg_json_type(ctx->doc, tok) != MG_JSON_ARRAY) {
		type_error(ctx, tok, "an array");
		return;
	}
	if (n < f->min || n > f->max) {
		if (n == 0)
			mg_json_error(ctx->doc, tok, "must not be empty");
		else if (f->min == f->max)
			mg_json_error(ctx->doc, tok,
			              "must have exactly %" PRId64 " element%s, got %d", f->min,
			              f->min == 1 ? "" : "s", n);
		else if (n > f->max)
			mg_json_error(ctx->doc, tok, "has %d elements, at most %" PRId64 " allowed",
			              n, f->max);
		else
			mg_json_error(ctx->doc, tok,
			              "has %d element%s, at least %" PRId64 " needed", n,
			              n == 1 ? "" : "s", f->min);
	}
	for (e = mg_json_elem_first(ctx->doc, tok); e >= 0 && stored < f->max;
	     e = mg_json_elem_next(ctx->doc, e)) {
		parse_field(ctx, f->elem, e, dst + (size_t)stored * f->elem->size);
		stored++;
	}
	*(int *)(void *)((char *)base + f->count_offset) = stored;
}

static void
parse_field(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	/* A token with a lexical error was reported by the JSON layer: stay quiet. */
	if (mg_json_is_bad(ctx->doc, tok))
		return;
	switch (f->type) {
	case MG_SCHEMA_STRING:
		parse_string(ctx, f, tok, base);
		break;
	case MG_SCHEMA_INT:
		parse_int(ctx, f, tok, base);
		break;
	case MG_SCHEMA_BOOL: {
		bool b;

		if (mg_json_get_bool(ctx->doc, tok, &b) < 0) {
			type_error(ctx, tok, "a boolean");
			break;
		}
		*(bool *)(void *)((char *)base + f->offset) = b;
		if (f->check != NULL && f->check(ctx, f, tok, base) < 0)
			apply_field_default(f, base);
		break;
	}
	case MG_SCHEMA_ENUM:
		parse_enum(ctx, f, tok, base);
		break;
	case MG_SCHEMA_OBJECT:
		parse_object(ctx, f->object, tok, (char *)base + f->offset);
		break;
	case MG_SCHEMA_ARRAY:
		parse_array(ctx, f, tok, base);
		break;
	case MG_SCHEMA_CUSTOM:
		f->parse(ctx, f, tok, base);
		break;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Objects                                                                                    */

static int
find_field(const struct mg_json_doc *doc, const struct mg_schema_object *obj, int key)
{
	size_t i;

	for (i = 0; i < obj->n_fields; i++) {
		if (mg_json_str_eq(doc, key, obj->fields[i].name))
			return (int)i;
	}
	return -1;
}

static void
parse_object(struct mg_schema_ctx *ctx, const struct mg_schema_object *obj, int tok, void *base)
{
	struct mg_json_doc *doc = ctx->doc;
	bool seen[MG_SCHEMA_MAX_FIELDS];
	char list[160];
	int key, fi, alt_key = -1;
	size_t i;

	mg_schema_apply_defaults(obj, base);
	if (mg_json_type(doc, tok) != MG_JSON_OBJECT) {
		type_error(ctx, tok, "an object");
		return;
	}
	if (obj->n_fields > MG_SCHEMA_MAX_FIELDS) {
		mg_json_error(doc, tok, "internal error: schema '%s' has too many fields",
		              obj->name);
		return;
	}
	memset(seen, 0, sizeof(seen));
	for (key = mg_json_member_first(doc, tok); key >= 0; key = mg_json_member_next(doc, key)) {
		const struct mg_schema_field *f;

		if (mg_json_is_bad(doc, key))
			continue;
		fi = find_field(doc, obj, key);
		if (fi < 0) {
			report_unknown(ctx, obj, key);
			continue;
		}
		f = &obj->fields[fi];
		seen[fi] = true;
		if (is_alternative(obj, f)) {
			if (alt_key >= 0) {
				char ex[MG_JSON_EXCERPT_MAX], first[MG_JSON_EXCERPT_MAX];

				field_list(obj, true, list, sizeof(list));
				mg_json_error(
				    doc, key,
				    "'%s' cannot be combined with '%s': set exactly one of %s",
				    mg_json_excerpt(doc, key, ex, sizeof(ex)),
				    mg_json_excerpt(doc, alt_key, first, sizeof(first)), list);
				continue;
			}
			alt_key = key;
			*(int *)(void *)((char *)base + obj->tag_offset) = f->tag;
		}
		parse_field(ctx, f, key + 1, base);
	}
	for (i = 0; i < obj->n_fields; i++) {
		const struct mg_schema_field *f = &obj->fields[i];

		if (seen[i] || is_alternative(obj, f))
			continue;
		if (f->flags & MG_SCHEMA_F_REQUIRED)
			mg_json_error(doc, tok, "missing required field '%s'", f->name);
	}
	if (obj->kind == MG_SCHEMA_UNION && alt_key < 0) {
		field_list(obj, true, list, sizeof(list));
		mg_json_error(doc, tok, "expected exactly one of %s", list);
	}
	if (obj->validate != NULL)
		obj->validate(ctx, obj, tok, base);
}

int
mg_schema_parse(struct mg_schema_ctx *ctx, const struct mg_schema_object *obj, int tok, void *base)
{
	unsigned long before = mg_json_errors_total(ctx->doc->errs);

	parse_object(ctx, obj, tok, base);
	return mg_json_errors_total(ctx->doc->errs) == before ? 0 : -EINVAL;
}

/* ------------------------------------------------------------------------------------------ */
/* Table self-check                                                                           */

static bool
int_fits(int64_t v, size_t size, bool is_signed)
{
	int bits = (int)size * 8;

	if (size == 8)
		return is_signed || v >= 0;
	if (is_signed)
		return v >= -((int64_t)1 << (bits - 1)) && v < ((int64_t)1 << (bits - 1));
	return v >= 0 && v < ((int64_t)1 << bits);
}

static int check_object(const struct mg_schema_object *obj, char *why, size_t size, int depth);

/* Checks field <f> stored in a struct of <container> bytes; <where> names it in messages. */
static int
check_field(const struct mg_schema_field *f, size_t container, const char *where, char *why,
            size_t size, int depth)
{
	size_t storage = f->size;

	switch (f->type) {
	case MG_SCHEMA_STRING:
		if (f->size == 0 || f->min < 0 || f->min > string_max(f) || f->max < 0) {
			snprintf(why, size, "%s: bad string size or length limits", where);
			return -EINVAL;
		}
		break;
	case MG_SCHEMA_INT:
	case MG_SCHEMA_ENUM:
		if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8) {
			snprintf(why, size, "%s: integer size %zu is not 1, 2, 4 or 8", where,
			         f->size);
			return -EINVAL;
		}
		if (f->type == MG_SCHEMA_ENUM) {
			size_t n = enum_count(f->enum_names);

			if (n == 0 || !int_fits((int64_t)n - 1, f->size, false) || f->def < 0 ||
			    (size_t)f->def >= n || f->min != 0) {
				snprintf(why, size, "%s: bad enum names or default", where);
				return -EINVAL;
			}
			break;
		}
		if (f->min > f->max || !int_fits(f->min, f->size, f->min < 0) ||
		    !int_fits(f->max, f->size, f->min < 0)) {
			snprintf(why, size,
			         "%s: range %" PRId64 "..%" PRId64 " does not fit %zu bytes", where,
			         f->min, f->max, f->size);
			return -EINVAL;
		}
		if (f->def != 0 &&
		    (f->def < f->min || f->def > f->max ||
		     ((f->flags & MG_SCHEMA_F_POW2) && (f->def & (f->def - 1)) != 0))) {
			snprintf(why, size, "%s: default %" PRId64 " is outside its range", where,
			         f->def);
			return -EINVAL;
		}
		break;
	case MG_SCHEMA_BOOL:
		if (f->size != sizeof(bool)) {
			snprintf(why, size, "%s: a bool field must have size sizeof(bool)", where);
			return -EINVAL;
		}
		break;
	case MG_SCHEMA_OBJECT:
		if (f->object == NULL) {
			snprintf(why, size, "%s: object field without a table", where);
			return -EINVAL;
		}
		if (f->size != 0 && f->size != f->object->size) {
			snprintf(why, size, "%s: size %zu differs from table '%s' (%zu)", where,
			         f->size, f->object->name, f->object->size);
			return -EINVAL;
		}
		storage = f->object->size;
		if (check_object(f->object, why, size, depth + 1) < 0)
			return -EINVAL;
		break;
	case MG_SCHEMA_ARRAY:
		if (f->elem == NULL || f->elem->offset != 0 || f->elem->size == 0 || f->min < 0 ||
		    f->max < 1 || f->min > f->max || f->max > INT32_MAX ||
		    f->count_offset + sizeof(int) > container) {
			snprintf(why, size, "%s: bad array element, limits or count offset", where);
			return -EINVAL;
		}
		storage = (size_t)f->max * f->elem->size;
		if (f->size != 0 && f->size != storage) {
			snprintf(why, size, "%s: size %zu is not max * element size (%zu)", where,
			         f->size, storage);
			return -EINVAL;
		}
		if (check_field(f->elem, f->elem->size, where, why, size, depth + 1) < 0)
			return -EINVAL;
		break;
	case MG_SCHEMA_CUSTOM:
		if (f->parse == NULL) {
			snprintf(why, size, "%s: custom field without a parse callback", where);
			return -EINVAL;
		}
		break;
	default:
		snprintf(why, size, "%s: unknown type %d", where, (int)f->type);
		return -EINVAL;
	}
	if (f->offset > container || storage > container - f->offset) {
		snprintf(why, size, "%s: %zu bytes at offset %zu do not fit in %zu", where, storage,
		         f->offset, container);
		return -EINVAL;
	}
	return 0;
}

static int
check_object(const struct mg_schema_object *obj, char *why, size_t size, int depth)
{
	char where[160];
	size_t i, j, alts = 0;

	if (depth > MG_JSON_MAX_DEPTH) {
		snprintf(why, size, "tables nest deeper than %d levels", MG_JSON_MAX_DEPTH);
		return -EINVAL;
	}
	if (obj->name == NULL || obj->size == 0 || obj->n_fields > MG_SCHEMA_MAX_FIELDS ||
	    (obj->n_fields > 0 && obj->fields == NULL)) {
		snprintf(why, size, "table '%s': bad name, size or field count",
		         obj->name != NULL ? obj->name : "?");
		return -EINVAL;
	}
	if (obj->kind == MG_SCHEMA_UNION && obj->tag_offset + sizeof(int) > obj->size) {
		snprintf(why, size, "table '%s': tag offset outside the struct", obj->name);
		return -EINVAL;
	}
	for (i = 0; i < obj->n_fields; i++) {
		const struct mg_schema_field *f = &obj->fields[i];

		if (f->name == NULL || f->name[0] == '\0') {
			snprintf(why, size, "table '%s': field %zu has no name", obj->name, i);
			return -EINVAL;
		}
		snprintf(where, sizeof(where), "%s.%s", obj->name, f->name);
		for (j = 0; j < i; j++) {
			if (strcmp(obj->fields[j].name, f->name) == 0) {
				snprintf(why, size, "%s: duplicate field name", where);
				return -EINVAL;
			}
		}
		if (is_alternative(obj, f)) {
			alts++;
			if (f->tag == 0) {
				snprintf(why, size, "%s: union alternative with tag 0", where);
				return -EINVAL;
			}
			for (j = 0; j < i; j++) {
				if (is_alternative(obj, &obj->fields[j]) &&
				    obj->fields[j].tag == f->tag) {
					snprintf(why, size, "%s: tag %d used twice", where, f->tag);
					return -EINVAL;
				}
			}
		}
		if (check_field(f, obj->size, where, why, size, depth) < 0)
			return -EINVAL;
	}
	if (obj->kind == MG_SCHEMA_UNION && alts == 0) {
		snprintf(why, size, "table '%s': union without alternatives", obj->name);
		return -EINVAL;
	}
	return 0;
}

int
mg_schema_check(const struct mg_schema_object *obj, char *why, size_t size)
{
	if (size > 0)
		why[0] = '\0';
	return check_object(obj, why, size, 0);
}
