/*
 * Unit tests for gateway/config/schema.c: every field type, limits, defaults, unknown and
 * missing fields, arrays, callbacks, union objects and the table self-check.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/config.h"
#include "gateway/config/json.h"
#include "gateway/config/schema.h"
#include "mgtest.h"

#define REQ MG_SCHEMA_F_REQUIRED

/* ------------------------------------------------------------------------------------------ */
/* A struct covering every field type.                                                        */

struct t_inner {
	int32_t x;
	bool flag;
};

enum t_color { T_RED, T_GREEN, T_BLUE };

struct t_rec {
	char name[8];
	int8_t i8;
	uint16_t u16;
	int64_t i64;
	uint32_t pow;
	bool b;
	int color;
	struct t_inner inner;
	struct t_inner list[3];
	int n_list;
	uint16_t ports[4];
	int n_ports;
	char tags[2][4];
	int n_tags;
	uint32_t custom;
	int custom_calls;
	int validate_calls;
	int check_calls;
};

static const char *const color_names[] = {"RED", "GREEN", "BLUE", NULL};

static int
rec_check_name(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	struct t_rec *r = base;

	r->check_calls++;
	if (strcmp((char *)base + f->offset, "bad") == 0) {
		mg_json_error(ctx->doc, tok, "name 'bad' is refused by the check");
		return -EINVAL;
	}
	return 0;
}

/* Accepts any JSON value and stores its type plus 100. */
static int
rec_parse_custom(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	struct t_rec *r = base;

	r->custom_calls++;
	*(uint32_t *)(void *)((char *)base + f->offset) =
	    100u + (uint32_t)mg_json_type(ctx->doc, tok);
	return 0;
}

static int
rec_validate(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	struct t_rec *r = base;

	(void)o;
	r->validate_calls++;
	if (r->i8 == 13 && r->u16 == 13) {
		mg_json_error(ctx->doc, mg_json_obj_get(ctx->doc, tok, "u16"),
		              "i8 and u16 must not both be 13");
		return -EINVAL;
	}
	return 0;
}

static const struct mg_schema_field inner_fields[] = {
    {.name = "x",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct t_inner, x),
     .min = -1000,
     .max = 1000},
    {.name = "flag", .type = MG_SCHEMA_BOOL, MG_SCHEMA_MEMBER(struct t_inner, flag), .def = 1},
};

static const struct mg_schema_object inner_obj = {
    .name = "inner",
    .size = sizeof(struct t_inner),
    .fields = inner_fields,
    .n_fields = MG_SCHEMA_COUNT(inner_fields),
};

static const struct mg_schema_field inner_elem = {
    .name = "inner",
    .type = MG_SCHEMA_OBJECT,
    .size = sizeof(struct t_inner),
    .object = &inner_obj,
};

static const struct mg_schema_field port_elem = {
    .name = "port",
    .type = MG_SCHEMA_INT,
    .size = sizeof(uint16_t),
    .min = 1,
    .max = 65535,
};

static const struct mg_schema_field tag_elem = {
    .name = "tag",
    .type = MG_SCHEMA_STRING,
    .size = 4,
    .min = 1,
};

static const struct mg_schema_field rec_fields[] = {
    {.name = "name",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct t_rec, name),
     .min = 2,
     .check = rec_check_name},
    {.name = "i8",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct t_rec, i8),
     .min = -128,
     .max = 127,
     .def = -7},
    {.name = "u16",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct t_rec, u16),
     .min = 1,
     .max = 65535,
     .def = 8080},
    {.name = "i64",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct t_rec, i64),
     .min = INT64_MIN,
     .max = INT64_MAX},
    {.name = "pow",
     .type = MG_SCHEMA_INT,
     .flags = MG_SCHEMA_F_POW2,
     MG_SCHEMA_MEMBER(struct t_rec, pow),
     .min = 1,
     .max = 1 << 20,
     .def = 64},
    {.name = "b", .type = MG_SCHEMA_BOOL, MG_SCHEMA_MEMBER(struct t_rec, b)},
    {.name = "color",
     .type = MG_SCHEMA_ENUM,
     MG_SCHEMA_MEMBER(struct t_rec, color),
     .enum_names = color_names,
     .def = T_BLUE},
    {.name = "inner",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct t_rec, inner),
     .object = &inner_obj},
    {.name = "list",
     .type = MG_SCHEMA_ARRAY,
     MG_SCHEMA_MEMBER(struct t_rec, list),
     .min = 0,
     .max = 3,
     .elem = &inner_elem,
     .count_offset = offsetof(struct t_rec, n_list)},
    {.name = "ports",
     .type = MG_SCHEMA_ARRAY,
     MG_SCHEMA_MEMBER(struct t_rec, ports),
     .min = 1,
     .max = 4,
     .elem = &port_elem,
     .count_offset = offsetof(struct t_rec, n_ports)},
    {.name = "tags",
     .type = MG_SCHEMA_ARRAY,
     MG_SCHEMA_MEMBER(struct t_rec, tags),
     .min = 2,
     .max = 2,
     .elem = &tag_elem,
     .count_offset = offsetof(struct t_rec, n_tags)},
    {.name = "custom",
     .type = MG_SCHEMA_CUSTOM,
     MG_SCHEMA_MEMBER(struct t_rec, custom),
     .parse = rec_parse_custom},
};

static const struct mg_schema_object rec_obj = {
    .name = "rec",
    .size = sizeof(struct t_rec),
    .fields = rec_fields,
    .n_fields = MG_SCHEMA_COUNT(rec_fields),
    .validate = rec_validate,
};

/* ------------------------------------------------------------------------------------------ */
/* A union in the style of App Mesh: a route with a shared priority and one of four kinds.    */

enum t_kind { T_KIND_NONE = 0, T_KIND_HTTP = 1, T_KIND_HTTP2, T_KIND_GRPC, T_KIND_EXACT };

struct t_http {
	uint32_t max_conn;
	uint32_t max_pending;
};

struct t_route {
	int kind;
	int priority;
	struct t_http http, http2;
	struct {
		uint32_t max_req;
	} grpc;
	char exact[16];
};

static const struct mg_schema_field http_fields[] = {
    {.name = "maxConnections",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct t_http, max_conn),
     .min = 1,
     .max = INT32_MAX},
    {.name = "maxPendingRequests",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct t_http, max_pending),
     .min = 1,
     .max = INT32_MAX,
     .def = 1024},
};

static const struct mg_schema_object http_obj = {
    .name = "http",
    .size = sizeof(struct t_http),
    .fields = http_fields,
    .n_fields = MG_SCHEMA_COUNT(http_fields),
};

static const struct mg_schema_field grpc_fields[] = {
    {.name = "maxRequests",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     .offset = 0,
     .size = sizeof(uint32_t),
     .min = 1,
     .max = INT32_MAX},
};

static const struct mg_schema_object grpc_obj = {
    .name = "grpc",
    .size = sizeof(uint32_t),
    .fields = grpc_fields,
    .n_fields = MG_SCHEMA_COUNT(grpc_fields),
};

static const struct mg_schema_field route_fields[] = {
    {.name = "priority",
     .type = MG_SCHEMA_INT,
     .flags = MG_SCHEMA_F_SHARED,
     MG_SCHEMA_MEMBER(struct t_route, priority),
     .min = 0,
     .max = 1000},
    {.name = "http",
     .type = MG_SCHEMA_OBJECT,
     .tag = T_KIND_HTTP,
     MG_SCHEMA_MEMBER(struct t_route, http),
     .object = &http_obj},
    {.name = "http2",
     .type = MG_SCHEMA_OBJECT,
     .tag = T_KIND_HTTP2,
     MG_SCHEMA_MEMBER(struct t_route, http2),
     .object = &http_obj},
    {.name = "grpc",
     .type = MG_SCHEMA_OBJECT,
     .tag = T_KIND_GRPC,
     MG_SCHEMA_MEMBER(struct t_route, grpc),
     .object = &grpc_obj},
    {.name = "exact",
     .type = MG_SCHEMA_STRING,
     .tag = T_KIND_EXACT,
     MG_SCHEMA_MEMBER(struct t_route, exact),
     .min = 1},
};

static const struct mg_schema_object route_obj = {
    .name = "route",
    .kind = MG_SCHEMA_UNION,
    .size = sizeof(struct t_route),
    .tag_offset = offsetof(struct t_route, kind),
    .fields = route_fields,
    .n_fields = MG_SCHEMA_COUNT(route_fields),
};

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                    */

struct sfx {
	char *buf;
	struct mg_json_doc doc;
	struct mg_json_errors errs;
	struct mg_schema_ctx ctx;
	int json_rc;
	int rc;
};

/* Parses <text> and walks its root object with <obj> into <base> (zeroed first). */
static void
sfx_run(struct sfx *f, const char *text, const struct mg_schema_object *obj, void *base,
        size_t size)
{
	size_t len = strlen(text);

	f->buf = malloc(len > 0 ? len : 1);
	if (f->buf == NULL)
		abort();
	memcpy(f->buf, text, len);
	mg_json_errors_init(&f->errs, "s.json");
	memset(base, 0, size);
	f->json_rc = mg_json_parse(&f->doc, f->buf, len, &f->errs);
	f->ctx.doc = &f->doc;
	f->ctx.user = NULL;
	f->rc = f->doc.n_toks > 0 ? mg_schema_parse(&f->ctx, obj, 0, base) : -EINVAL;
}

static void
sfx_free(struct sfx *f)
{
	mg_json_doc_free(&f->doc);
	free(f->buf);
}

static void
sfx_dump(const struct sfx *f)
{
	mg_json_errors_print(&f->errs, stdout);
}

/* The minimal valid rec: required name, and the ports and tags arrays with their minimums. */
#define REC_MIN "\"name\":\"ab\",\"ports\":[1],\"tags\":[\"a\",\"b\"]"

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                      */

MG_TEST(schema_tables_pass_self_check)
{
	char why[256];

	MG_EXPECT_EQ_INT(mg_schema_check(&rec_obj, why, sizeof(why)), 0);
	MG_EXPECT_STR(why, "");
	MG_EXPECT_EQ_INT(mg_schema_check(&route_obj, why, sizeof(why)), 0);
	MG_EXPECT_STR(why, "");
	MG_EXPECT_EQ_INT(mg_schema_check(&mg_config_schema, why, sizeof(why)), 0);
	MG_EXPECT_STR(why, "");
}

MG_TEST(schema_full_record)
{
	struct sfx f;
	struct t_rec r;

	sfx_run(&f,
	        "{\"name\":\"abcdefg\",\"i8\":-128,\"u16\":65535,\"i64\":-9223372036854775808,"
	        "\"pow\":1048576,\"b\":true,\"color\":\"GREEN\",\"inner\":{\"x\":-1000,"
	        "\"flag\":false},\"list\":[{\"x\":1},{\"x\":2,\"flag\":false}],"
	        "\"ports\":[1,2,65535],\"tags\":[\"abc\",\"d\"],\"custom\":[1]}",
	        &rec_obj, &r, sizeof(r));
	if (!MG_EXPECT_EQ_INT(f.rc, 0))
		sfx_dump(&f);
	MG_EXPECT_STR(r.name, "abcdefg");
	MG_EXPECT_EQ_INT(r.i8, -128);
	MG_EXPECT_EQ_UINT(r.u16, 65535);
	MG_EXPECT(r.i64 == INT64_MIN);
	MG_EXPECT_EQ_UINT(r.pow, 1048576);
	MG_EXPECT(r.b);
	MG_EXPECT_EQ_INT(r.color, T_GREEN);
	MG_EXPECT_EQ_INT(r.inner.x, -1000);
	MG_EXPECT(!r.inner.flag);
	MG_EXPECT_EQ_INT(r.n_list, 2);
	MG_EXPECT(r.list[0].x == 1 && r.list[0].flag);
	MG_EXPECT(r.list[1].x == 2 && !r.list[1].flag);
	MG_EXPECT_EQ_INT(r.n_ports, 3);
	MG_EXPECT(r.ports[0] == 1 && r.ports[1] == 2 && r.ports[2] == 65535 && r.ports[3] == 0);
	MG_EXPECT_EQ_INT(r.n_tags, 2);
	MG_EXPECT_STR(r.tags[0], "abc");
	MG_EXPECT_STR(r.tags[1], "d");
	MG_EXPECT_EQ_UINT(r.custom, 100 + MG_JSON_ARRAY);
	MG_EXPECT_EQ_INT(r.custom_calls, 1);
	MG_EXPECT_EQ_INT(r.check_calls, 1);
	MG_EXPECT_EQ_INT(r.validate_calls, 1);
	sfx_free(&f);
}

MG_TEST(schema_defaults)
{
	struct sfx f;
	struct t_rec r;

	sfx_run(&f, "{" REC_MIN "}", &rec_obj, &r, sizeof(r));
	MG_ASSERT_EQ_INT(f.rc, 0);
	MG_EXPECT_EQ_INT(r.i8, -7);
	MG_EXPECT_EQ_UINT(r.u16, 8080);
	MG_EXPECT_EQ_INT(r.i64, 0);
	MG_EXPECT_EQ_UINT(r.pow, 64);
	MG_EXPECT(!r.b);
	MG_EXPECT_EQ_INT(r.color, T_BLUE);
	/* An absent optional object still gets its own defaults. */
	MG_EXPECT(r.inner.x == 0 && r.inner.flag);
	MG_EXPECT_EQ_INT(r.n_list, 0);
	MG_EXPECT_EQ_UINT(r.custom, 0);
	MG_EXPECT_EQ_INT(r.custom_calls, 0);
	sfx_free(&f);

	memset(&r, 0, sizeof(r));
	mg_schema_apply_defaults(&rec_obj, &r);
	MG_EXPECT(r.i8 == -7 && r.u16 == 8080 && r.pow == 64 && r.color == T_BLUE && r.inner.flag);
}

/* One wrong document and the single error it must produce. */
struct err_case {
	const char *text;
	const char *path;
	const char *msg;
};

static const struct err_case rec_errors[] = {
    /* Unknown and missing fields. */
    {"{" REC_MIN ",\"nmae\":1}", "nmae", "unknown field 'nmae' (did you mean 'name'?)"},
    {"{" REC_MIN ",\"colour\":1}", "colour", "did you mean 'color'?"},
    {"{" REC_MIN ",\"zzzzzz\":1}", "zzzzzz", "unknown field 'zzzzzz' (expected 'name', 'i8'"},
    {"{" REC_MIN ",\"inner\":{\"x\":1,\"y\":2}}", "inner.y",
     "unknown field 'y' (expected 'x' or 'flag')"},
    {"{\"ports\":[1],\"tags\":[\"a\",\"b\"]}", "(root)", "missing required field 'name'"},
    {"{" REC_MIN ",\"inner\":{}}", "inner", "missing required field 'x'"},
    {"{" REC_MIN ",\"list\":[{\"x\":1},{}]}", "list[1]", "missing required field 'x'"},
    /* Types. */
    {"{" REC_MIN ",\"i8\":\"1\"}", "i8", "expected an integer, got string"},
    {"{" REC_MIN ",\"i8\":1.5}", "i8", "expected an integer, got 1.5"},
    {"{" REC_MIN ",\"i8\":1e2}", "i8", "expected an integer, got 1e2"},
    {"{" REC_MIN ",\"i8\":null}", "i8", "expected an integer, got null"},
    {"{" REC_MIN ",\"i8\":true}", "i8", "expected an integer, got boolean"},
    {"{" REC_MIN ",\"b\":\"true\"}", "b", "expected a boolean, got string"},
    {"{" REC_MIN ",\"b\":1}", "b", "expected a boolean, got number"},
    {"{\"name\":7,\"ports\":[1],\"tags\":[\"a\",\"b\"]}", "name", "expected a string, got number"},
    {"{" REC_MIN ",\"color\":0}", "color", "expected a string, got number"},
    {"{" REC_MIN ",\"inner\":[]}", "inner", "expected an object, got array"},
    {"{" REC_MIN ",\"list\":{}}", "list", "expected an array, got object"},
    {"{" REC_MIN ",\"list\":[1]}", "list[0]", "expected an object, got number"},
    {"{\"name\":\"ab\",\"ports\":[1,\"2\"],\"tags\":[\"a\",\"b\"]}", "ports[1]",
     "expected an integer, got string"},
    /* Ranges. */
    {"{" REC_MIN ",\"i8\":128}", "i8", "128 is out of range -128..127"},
    {"{" REC_MIN ",\"i8\":-129}", "i8", "-129 is out of range -128..127"},
    {"{" REC_MIN ",\"u16\":0}", "u16", "0 is out of range 1..65535"},
    {"{" REC_MIN ",\"u16\":65536}", "u16", "65536 is out of range 1..65535"},
    {"{" REC_MIN ",\"u16\":-1}", "u16", "-1 is out of range 1..65535"},
    {"{" REC_MIN ",\"i64\":9223372036854775808}", "i64",
     "9223372036854775808 is out of range -9223372036854775808..9223372036854775807"},
    {"{" REC_MIN ",\"pow\":0}", "pow", "0 is out of range 1..1048576"},
    {"{" REC_MIN ",\"pow\":3}", "pow", "3 is not a power of two"},
    {"{" REC_MIN ",\"pow\":1000}", "pow", "1000 is not a power of two"},
    {"{" REC_MIN ",\"pow\":2097152}", "pow", "out of range 1..1048576"},
    {"{" REC_MIN ",\"inner\":{\"x\":1001}}", "inner.x", "1001 is out of range -1000..1000"},
    {"{\"name\":\"ab\",\"ports\":[1,0],\"tags\":[\"a\",\"b\"]}", "ports[1]",
     "0 is out of range 1..65535"},
    /* Strings. */
    {"{\"name\":\"abcdefgh\",\"ports\":[1],\"tags\":[\"a\",\"b\"]}", "name",
     "is too long (8 bytes, at most 7)"},
    {"{\"name\":\"\\u00e9\\u00e9\\u00e9\\u00e9\",\"ports\":[1],\"tags\":[\"a\",\"b\"]}", "name",
     "is too long (8 bytes, at most 7)"},
    {"{\"name\":\"a\",\"ports\":[1],\"tags\":[\"a\",\"b\"]}", "name",
     "is too short (1 bytes, at least 2)"},
    {"{\"name\":\"\",\"ports\":[1],\"tags\":[\"a\",\"b\"]}", "name", "must not be empty"},
    {"{\"name\":\"a\\u0000b\",\"ports\":[1],\"tags\":[\"a\",\"b\"]}", "name",
     "must not contain a NUL character"},
    {"{\"name\":\"bad\",\"ports\":[1],\"tags\":[\"a\",\"b\"]}", "name",
     "name 'bad' is refused by the check"},
    {"{\"name\":\"ab\",\"ports\":[1],\"tags\":[\"a\",\"\"]}", "tags[1]", "must not be empty"},
    {"{\"name\":\"ab\",\"ports\":[1],\"tags\":[\"a\",\"abcd\"]}", "tags[1]",
     "is too long (4 bytes, at most 3)"},
    /* Enums. */
    {"{" REC_MIN ",\"color\":\"red\"}", "color",
     "'red' is not valid (expected RED, GREEN or BLUE)"},
    {"{" REC_MIN ",\"color\":\"\"}", "color", "'' is not valid"},
    /* Array sizes. */
    {"{\"name\":\"ab\",\"ports\":[],\"tags\":[\"a\",\"b\"]}", "ports", "must not be empty"},
    {"{\"name\":\"ab\",\"ports\":[1,2,3,4,5],\"tags\":[\"a\",\"b\"]}", "ports",
     "has 5 elements, at most 4 allowed"},
    {"{\"name\":\"ab\",\"ports\":[1],\"tags\":[\"a\"]}", "tags",
     "must have exactly 2 elements, got 1"},
    {"{" REC_MIN ",\"list\":[{\"x\":1},{\"x\":1},{\"x\":1},{\"x\":1}]}", "list",
     "has 4 elements, at most 3 allowed"},
    /* Cross-field validation. */
    {"{" REC_MIN ",\"i8\":13,\"u16\":13}", "u16", "i8 and u16 must not both be 13"},
};

static void
run_err_cases(const struct err_case *cases, size_t n, const struct mg_schema_object *obj,
              void *base, size_t size)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct sfx f;

		MG_CASE("#%zu %s", i, cases[i].text);
		sfx_run(&f, cases[i].text, obj, base, size);
		MG_EXPECT_EQ_INT(f.json_rc, 0);
		MG_EXPECT_EQ_INT(f.rc, -EINVAL);
		if (MG_EXPECT_EQ_INT(f.errs.count, 1)) {
			MG_EXPECT_STR(f.errs.list[0].path, cases[i].path);
			MG_EXPECT_CONTAINS(f.errs.list[0].msg, cases[i].msg);
		} else {
			sfx_dump(&f);
		}
		sfx_free(&f);
	}
}

MG_TEST(schema_reports_each_error)
{
	struct t_rec r;

	run_err_cases(rec_errors, sizeof(rec_errors) / sizeof(rec_errors[0]), &rec_obj, &r,
	              sizeof(r));
}

MG_TEST(schema_failed_values_keep_defaults)
{
	struct sfx f;
	struct t_rec r;

	sfx_run(&f,
	        "{\"name\":\"bad\",\"ports\":[1,2,3,4,5,6],\"tags\":[\"a\",\"b\"],\"i8\":500,"
	        "\"u16\":\"x\",\"pow\":3,\"color\":\"PINK\"}",
	        &rec_obj, &r, sizeof(r));
	MG_EXPECT_EQ_INT(f.rc, -EINVAL);
	MG_EXPECT_EQ_INT(f.errs.count, 6);
	MG_EXPECT_STR(r.name, "");
	MG_EXPECT_EQ_INT(r.i8, -7);
	MG_EXPECT_EQ_UINT(r.u16, 8080);
	MG_EXPECT_EQ_UINT(r.pow, 64);
	MG_EXPECT_EQ_INT(r.color, T_BLUE);
	/* Too many elements: the first <max> are kept, nothing is written past the array. */
	MG_EXPECT_EQ_INT(r.n_ports, 4);
	MG_EXPECT(r.ports[0] == 1 && r.ports[3] == 4);
	MG_EXPECT_EQ_INT(r.n_tags, 2);
	MG_EXPECT_EQ_INT(r.validate_calls, 1);
	sfx_free(&f);
}

MG_TEST(schema_collects_all_errors_in_document_order)
{
	static const char text[] = "{\n"
	                           "  \"name\": 5,\n"
	                           "  \"i8\": 01,\n"
	                           "  \"u16\": 0,\n"
	                           "  \"extra\": true,\n"
	                           "  \"inner\": { \"flag\": 1 },\n"
	                           "  \"ports\": [],\n"
	                           "  \"tags\": [\"a\", \"b\"],\n"
	                           "  \"i8\": 3\n"
	                           "}";
	static const struct {
		unsigned int line, col;
		const char *path, *msg;
	} want[] = {
	    {2, 11, "name", "expected a string, got number"},
	    {3, 9, "i8", "invalid number '01'"},
	    {4, 10, "u16", "0 is out of range 1..65535"},
	    {5, 3, "extra", "unknown field 'extra'"},
	    {6, 12, "inner", "missing required field 'x'"},
	    {6, 22, "inner.flag", "expected a boolean, got number"},
	    {7, 12, "ports", "must not be empty"},
	    {9, 3, "i8", "duplicate key 'i8' (first defined at line 3, column 3)"},
	};
	struct sfx f;
	struct t_rec r;
	size_t i;

	sfx_run(&f, text, &rec_obj, &r, sizeof(r));
	MG_EXPECT_EQ_INT(f.json_rc, -EINVAL);
	MG_EXPECT_EQ_INT(f.rc, -EINVAL);
	if (!MG_EXPECT_EQ_INT(f.errs.count, (int)(sizeof(want) / sizeof(want[0]))))
		sfx_dump(&f);
	for (i = 0; i < sizeof(want) / sizeof(want[0]) && i < (size_t)f.errs.count; i++) {
		MG_CASE("error %zu", i);
		MG_EXPECT_EQ_UINT(f.errs.list[i].line, want[i].line);
		MG_EXPECT_EQ_UINT(f.errs.list[i].col, want[i].col);
		MG_EXPECT_STR(f.errs.list[i].path, want[i].path);
		MG_EXPECT_CONTAINS(f.errs.list[i].msg, want[i].msg);
	}
	/* The duplicate is skipped: i8 keeps its default after the lexical error. */
	MG_EXPECT_EQ_INT(r.i8, -7);
	sfx_free(&f);
}

MG_TEST(schema_root_must_be_an_object_of_the_table)
{
	struct sfx f;
	struct t_rec r;

	sfx_run(&f, "{\"r\":[1]}", &rec_obj, &r, sizeof(r));
	MG_EXPECT_EQ_INT(f.rc, -EINVAL);
	/* The walker can also start below the root. */
	sfx_free(&f);
	sfx_run(&f, "{\"r\":[1]}", &inner_obj, &r.inner, sizeof(r.inner));
	mg_json_errors_init(&f.errs, "s.json");
	MG_EXPECT_EQ_INT(
	    mg_schema_parse(&f.ctx, &inner_obj, mg_json_lookup(&f.doc, 0, "r"), &r.inner), -EINVAL);
	MG_ASSERT_EQ_INT(f.errs.count, 1);
	MG_EXPECT_STR(f.errs.list[0].path, "r");
	MG_EXPECT_STR(f.errs.list[0].msg, "expected an object, got array");
	sfx_free(&f);
}

/* ------------------------------------------------------------------------------------------ */
/* Unions                                                                                     */

MG_TEST(schema_union_exactly_one)
{
	struct sfx f;
	struct t_route r;

	sfx_run(&f, "{\"http\":{\"maxConnections\":10}}", &route_obj, &r, sizeof(r));
	MG_EXPECT_EQ_INT(f.rc, 0);
	MG_EXPECT_EQ_INT(r.kind, T_KIND_HTTP);
	MG_EXPECT_EQ_UINT(r.http.max_conn, 10);
	MG_EXPECT_EQ_UINT(r.http.max_pending, 1024);
	MG_EXPECT_EQ_UINT(r.http2.max_pending, 0);
	sfx_free(&f);

	sfx_run(&f, "{\"priority\":5,\"grpc\":{\"maxRequests\":7}}", &route_obj, &r, sizeof(r));
	MG_EXPECT_EQ_INT(f.rc, 0);
	MG_EXPECT_EQ_INT(r.kind, T_KIND_GRPC);
	MG_EXPECT_EQ_INT(r.priority, 5);
	MG_EXPECT_EQ_UINT(r.grpc.max_req, 7);
	sfx_free(&f);

	/* An alternative need not be an object. */
	sfx_run(&f, "{\"exact\":\"/a\"}", &route_obj, &r, sizeof(r));
	MG_EXPECT_EQ_INT(f.rc, 0);
	MG_EXPECT_EQ_INT(r.kind, T_KIND_EXACT);
	MG_EXPECT_STR(r.exact, "/a");
	sfx_free(&f);
}

static const struct err_case route_errors[] = {
    {"{}", "(root)", "expected exactly one of 'http', 'http2', 'grpc' or 'exact'"},
    {"{\"priority\":1}", "(root)", "expected exactly one of 'http', 'http2', 'grpc' or 'exact'"},
    {"{\"http\":{\"maxConnections\":1},\"grpc\":{\"maxRequests\":1}}", "grpc",
     "'grpc' cannot be combined with 'http': set exactly one of 'http', 'http2', 'grpc' or "
     "'exact'"},
    {"{\"http2\":{\"maxConnections\":1},\"priority\":1,\"exact\":\"x\"}", "exact",
     "'exact' cannot be combined with 'http2'"},
    {"{\"http\":{}}", "http", "missing required field 'maxConnections'"},
    {"{\"exact\":\"x\",\"htpp\":{}}", "htpp", "unknown field 'htpp' (did you mean 'http'?)"},
    {"{\"http\":[]}", "http", "expected an object, got array"},
    {"{\"grpc\":{\"maxRequests\":0}}", "grpc.maxRequests", "0 is out of range 1..2147483647"},
    {"{\"priority\":1001,\"exact\":\"x\"}", "priority", "1001 is out of range 0..1000"},
};

MG_TEST(schema_union_errors)
{
	struct t_route r;

	run_err_cases(route_errors, sizeof(route_errors) / sizeof(route_errors[0]), &route_obj, &r,
	              sizeof(r));
}

MG_TEST(schema_union_keeps_first_alternative)
{
	struct sfx f;
	struct t_route r;

	sfx_run(&f, "{\"exact\":\"x\",\"http\":{\"maxConnections\":1},\"grpc\":{}}", &route_obj, &r,
	        sizeof(r));
	MG_EXPECT_EQ_INT(f.rc, -EINVAL);
	/* Two conflicts; the rejected alternatives are not walked (no error for grpc's body). */
	MG_EXPECT_EQ_INT(f.errs.count, 2);
	MG_EXPECT_EQ_INT(r.kind, T_KIND_EXACT);
	MG_EXPECT_STR(r.exact, "x");
	MG_EXPECT_EQ_UINT(r.http.max_conn, 0);
	sfx_free(&f);
}

/* A union nested in an array of structs, as in App Mesh listeners. */
struct t_listener {
	uint16_t port;
	struct t_route pool;
};

struct t_vgw {
	struct t_listener listeners[2];
	int n_listeners;
};

static const struct mg_schema_field listener_fields[] = {
    {.name = "port",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct t_listener, port),
     .min = 1,
     .max = 65535},
    {.name = "connectionPool",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct t_listener, pool),
     .object = &route_obj},
};

static const struct mg_schema_object listener_obj = {
    .name = "listener",
    .size = sizeof(struct t_listener),
    .fields = listener_fields,
    .n_fields = MG_SCHEMA_COUNT(listener_fields),
};

static const struct mg_schema_field listener_elem = {
    .name = "listener",
    .type = MG_SCHEMA_OBJECT,
    .size = sizeof(struct t_listener),
    .object = &listener_obj,
};

static const struct mg_schema_field vgw_fields[] = {
    {.name = "listeners",
     .type = MG_SCHEMA_ARRAY,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct t_vgw, listeners),
     .min = 1,
     .max = 2,
     .elem = &listener_elem,
     .count_offset = offsetof(struct t_vgw, n_listeners)},
};

static const struct mg_schema_object vgw_obj = {
    .name = "virtualGateway",
    .size = sizeof(struct t_vgw),
    .fields = vgw_fields,
    .n_fields = MG_SCHEMA_COUNT(vgw_fields),
};

MG_TEST(schema_union_nested_in_arrays)
{
	struct sfx f;
	struct t_vgw v;
	char why[256];

	MG_EXPECT_EQ_INT(mg_schema_check(&vgw_obj, why, sizeof(why)), 0);
	sfx_run(&f,
	        "{\"listeners\":[{\"port\":80,\"connectionPool\":{\"http2\":"
	        "{\"maxConnections\":3}}},{\"port\":81}]}",
	        &vgw_obj, &v, sizeof(v));
	MG_EXPECT_EQ_INT(f.rc, 0);
	MG_EXPECT_EQ_INT(v.n_listeners, 2);
	MG_EXPECT_EQ_INT(v.listeners[0].pool.kind, T_KIND_HTTP2);
	MG_EXPECT_EQ_UINT(v.listeners[0].pool.http2.max_conn, 3);
	/* An absent optional union has no alternative chosen. */
	MG_EXPECT_EQ_INT(v.listeners[1].pool.kind, T_KIND_NONE);
	sfx_free(&f);

	sfx_run(&f, "{\"listeners\":[{\"port\":80,\"connectionPool\":{}}]}", &vgw_obj, &v,
	        sizeof(v));
	MG_ASSERT_EQ_INT(f.errs.count, 1);
	MG_EXPECT_STR(f.errs.list[0].path, "listeners[0].connectionPool");
	MG_EXPECT_CONTAINS(f.errs.list[0].msg, "expected exactly one of");
	sfx_free(&f);
}

/* ------------------------------------------------------------------------------------------ */
/* The table self-check catches broken tables.                                                */

struct t_small {
	uint8_t u8;
	char s[4];
	int count;
	uint16_t arr[2];
	int tag;
};

static int
dummy_parse(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	(void)ctx;
	(void)f;
	(void)tok;
	(void)base;
	return 0;
}

static const struct mg_schema_field u16_elem = {
    .name = "e", .type = MG_SCHEMA_INT, .size = 2, .min = 0, .max = 65535};
static const struct mg_schema_field u16_elem_off = {
    .name = "e", .type = MG_SCHEMA_INT, .offset = 2, .size = 2, .max = 65535};
static const char *const no_names[] = {NULL};

static const struct {
	struct mg_schema_field f;
	enum mg_schema_kind kind;
	const char *why;
} broken_fields[] = {
    {{.name = NULL, .type = MG_SCHEMA_INT, .size = 1, .max = 1}, MG_SCHEMA_STRUCT, "has no name"},
    {{.name = "", .type = MG_SCHEMA_INT, .size = 1, .max = 1}, MG_SCHEMA_STRUCT, "has no name"},
    {{.name = "a", .type = MG_SCHEMA_INT, .size = 3, .max = 1}, MG_SCHEMA_STRUCT, "integer size 3"},
    {{.name = "a", .type = MG_SCHEMA_INT, .size = 1, .max = 256},
     MG_SCHEMA_STRUCT,
     "does not fit 1 bytes"},
    {{.name = "a", .type = MG_SCHEMA_INT, .size = 1, .min = -1, .max = 200},
     MG_SCHEMA_STRUCT,
     "does not fit"},
    {{.name = "a", .type = MG_SCHEMA_INT, .size = 1, .min = 5, .max = 4},
     MG_SCHEMA_STRUCT,
     "range 5..4"},
    {{.name = "a", .type = MG_SCHEMA_INT, .size = 1, .min = 1, .max = 9, .def = 10},
     MG_SCHEMA_STRUCT,
     "default 10 is outside its range"},
    {{.name = "a",
      .type = MG_SCHEMA_INT,
      .flags = MG_SCHEMA_F_POW2,
      .size = 1,
      .min = 1,
      .max = 9,
      .def = 3},
     MG_SCHEMA_STRUCT,
     "default 3"},
    {{.name = "a",
      .type = MG_SCHEMA_INT,
      .offset = offsetof(struct t_small, tag) + 1,
      .size = 4,
      .max = 1},
     MG_SCHEMA_STRUCT,
     "do not fit in"},
    {{.name = "a", .type = MG_SCHEMA_STRING, .size = 0}, MG_SCHEMA_STRUCT, "bad string size"},
    {{.name = "a", .type = MG_SCHEMA_STRING, .size = 4, .min = 4},
     MG_SCHEMA_STRUCT,
     "bad string size"},
    {{.name = "a", .type = MG_SCHEMA_STRING, .offset = offsetof(struct t_small, tag), .size = 64},
     MG_SCHEMA_STRUCT,
     "do not fit in"},
    {{.name = "a", .type = MG_SCHEMA_BOOL, .size = 4}, MG_SCHEMA_STRUCT, "sizeof(bool)"},
    {{.name = "a", .type = MG_SCHEMA_ENUM, .size = 1}, MG_SCHEMA_STRUCT, "bad enum names"},
    {{.name = "a", .type = MG_SCHEMA_ENUM, .size = 1, .enum_names = no_names},
     MG_SCHEMA_STRUCT,
     "bad enum names"},
    {{.name = "a", .type = MG_SCHEMA_ENUM, .size = 1, .enum_names = color_names, .def = 3},
     MG_SCHEMA_STRUCT,
     "bad enum names or default"},
    {{.name = "a", .type = MG_SCHEMA_OBJECT}, MG_SCHEMA_STRUCT, "object field without a table"},
    {{.name = "a",
      .type = MG_SCHEMA_OBJECT,
      .offset = offsetof(struct t_small, tag),
      .object = &inner_obj},
     MG_SCHEMA_STRUCT,
     "do not fit in"},
    {{.name = "a", .type = MG_SCHEMA_OBJECT, .size = 1, .object = &inner_obj},
     MG_SCHEMA_STRUCT,
     "differs from table 'inner'"},
    {{.name = "a",
      .type = MG_SCHEMA_ARRAY,
      .max = 2,
      .count_offset = offsetof(struct t_small, count)},
     MG_SCHEMA_STRUCT,
     "bad array element"},
    {{.name = "a",
      .type = MG_SCHEMA_ARRAY,
      .offset = offsetof(struct t_small, arr),
      .max = 2,
      .elem = &u16_elem_off,
      .count_offset = offsetof(struct t_small, count)},
     MG_SCHEMA_STRUCT,
     "bad array element"},
    {{.name = "a",
      .type = MG_SCHEMA_ARRAY,
      .offset = offsetof(struct t_small, arr),
      .max = 5,
      .elem = &u16_elem,
      .count_offset = offsetof(struct t_small, count)},
     MG_SCHEMA_STRUCT,
     "do not fit in"},
    {{.name = "a",
      .type = MG_SCHEMA_ARRAY,
      .offset = offsetof(struct t_small, arr),
      .min = 3,
      .max = 2,
      .elem = &u16_elem,
      .count_offset = offsetof(struct t_small, count)},
     MG_SCHEMA_STRUCT,
     "bad array element"},
    {{.name = "a",
      .type = MG_SCHEMA_ARRAY,
      .offset = offsetof(struct t_small, arr),
      .max = 2,
      .elem = &u16_elem,
      .count_offset = sizeof(struct t_small)},
     MG_SCHEMA_STRUCT,
     "count offset"},
    {{.name = "a",
      .type = MG_SCHEMA_ARRAY,
      .offset = offsetof(struct t_small, arr),
      .size = 2,
      .max = 2,
      .elem = &u16_elem,
      .count_offset = offsetof(struct t_small, count)},
     MG_SCHEMA_STRUCT,
     "is not max * element size"},
    {{.name = "a", .type = MG_SCHEMA_CUSTOM, .size = 1},
     MG_SCHEMA_STRUCT,
     "without a parse callback"},
    {{.name = "a", .type = (enum mg_schema_type)99, .size = 1},
     MG_SCHEMA_STRUCT,
     "unknown type 99"},
    {{.name = "a", .type = MG_SCHEMA_CUSTOM, .size = 1, .parse = dummy_parse},
     MG_SCHEMA_UNION,
     "union alternative with tag 0"},
    {{.name = "a",
      .type = MG_SCHEMA_CUSTOM,
      .flags = MG_SCHEMA_F_SHARED,
      .size = 1,
      .parse = dummy_parse},
     MG_SCHEMA_UNION,
     "union without alternatives"},
};

MG_TEST(schema_check_catches_broken_tables)
{
	size_t i;
	char why[256];

	for (i = 0; i < sizeof(broken_fields) / sizeof(broken_fields[0]); i++) {
		struct mg_schema_object o = {
		    .name = "small",
		    .kind = broken_fields[i].kind,
		    .size = sizeof(struct t_small),
		    .fields = &broken_fields[i].f,
		    .n_fields = 1,
		    .tag_offset = offsetof(struct t_small, tag),
		};

		MG_CASE("#%zu (%s)", i, broken_fields[i].why);
		MG_EXPECT_EQ_INT(mg_schema_check(&o, why, sizeof(why)), -EINVAL);
		MG_EXPECT_CONTAINS(why, broken_fields[i].why);
	}
}

MG_TEST(schema_check_catches_broken_objects)
{
	static const struct mg_schema_field two_same[] = {
	    {.name = "a", .type = MG_SCHEMA_BOOL, .size = sizeof(bool)},
	    {.name = "a", .type = MG_SCHEMA_BOOL, .size = sizeof(bool)},
	};
	static const struct mg_schema_field two_tags[] = {
	    {.name = "a", .type = MG_SCHEMA_BOOL, .size = sizeof(bool), .tag = 1},
	    {.name = "b", .type = MG_SCHEMA_BOOL, .size = sizeof(bool), .tag = 1},
	};
	struct mg_schema_object o = {.name = "o", .size = 8, .fields = two_same, .n_fields = 2};
	char why[256];

	MG_EXPECT_EQ_INT(mg_schema_check(&o, why, sizeof(why)), -EINVAL);
	MG_EXPECT_CONTAINS(why, "o.a: duplicate field name");

	o.fields = two_tags;
	o.kind = MG_SCHEMA_UNION;
	o.tag_offset = 4;
	MG_EXPECT_EQ_INT(mg_schema_check(&o, why, sizeof(why)), -EINVAL);
	MG_EXPECT_CONTAINS(why, "o.b: tag 1 used twice");

	o.tag_offset = 6;
	MG_EXPECT_EQ_INT(mg_schema_check(&o, why, sizeof(why)), -EINVAL);
	MG_EXPECT_CONTAINS(why, "tag offset outside the struct");

	o.kind = MG_SCHEMA_STRUCT;
	o.n_fields = MG_SCHEMA_MAX_FIELDS + 1;
	MG_EXPECT_EQ_INT(mg_schema_check(&o, why, sizeof(why)), -EINVAL);
	MG_EXPECT_CONTAINS(why, "bad name, size or field count");

	o.n_fields = 1;
	o.size = 0;
	MG_EXPECT_EQ_INT(mg_schema_check(&o, why, sizeof(why)), -EINVAL);

	/* Nested tables are checked too, with the field named in the message. */
	{
		static const struct mg_schema_field bad_inner[] = {
		    {.name = "deep", .type = MG_SCHEMA_INT, .size = 2, .max = 70000},
		};
		static const struct mg_schema_object inner = {
		    .name = "inner2",
		    .size = 2,
		    .fields = bad_inner,
		    .n_fields = 1,
		};
		static const struct mg_schema_field outer_f[] = {
		    {.name = "in", .type = MG_SCHEMA_OBJECT, .object = &inner},
		};
		struct mg_schema_object outer = {
		    .name = "outer", .size = 2, .fields = outer_f, .n_fields = 1};

		MG_EXPECT_EQ_INT(mg_schema_check(&outer, why, sizeof(why)), -EINVAL);
		MG_EXPECT_CONTAINS(why, "inner2.deep: range 0..70000 does not fit 2 bytes");
	}
}
