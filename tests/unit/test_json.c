/*
 * Unit tests for gateway/config/json.c: strictness rules, error positions and paths, error
 * collection, accessors.
 *
 * Every input is parsed from a heap copy of exactly its length (no NUL after it), so that a
 * read past the end shows up under AddressSanitizer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/json.h"
#include "mgtest.h"

/* A parsed document and its errors. */
struct fx {
	char *buf;
	struct mg_json_doc doc;
	struct mg_json_errors errs;
	int rc;
};

static void
fx_parse_n(struct fx *f, const char *text, size_t len)
{
	f->buf = malloc(len > 0 ? len : 1);
	if (f->buf == NULL)
		abort();
	memcpy(f->buf, text, len);
	mg_json_errors_init(&f->errs, "t.json");
	f->rc = mg_json_parse(&f->doc, f->buf, len, &f->errs);
}

static void
fx_parse(struct fx *f, const char *text)
{
	fx_parse_n(f, text, strlen(text));
}

static void
fx_free(struct fx *f)
{
	mg_json_doc_free(&f->doc);
	free(f->buf);
	f->buf = NULL;
}

/* Prints the errors of <f> into <buf> (<size> bytes) as mg_json_errors_print() would. */
static const char *
fx_print(const struct fx *f, char *buf, size_t size)
{
	FILE *out = fmemopen(buf, size, "w");

	if (out == NULL)
		abort();
	mg_json_errors_print(&f->errs, out);
	fclose(out);
	return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* Rejected documents: each gives exactly one error, at a known place.                        */

struct bad_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
	unsigned int line, col;
	const char *path;
	const char *msg; /* a substring of the message */
	bool walkable;   /* doc->n_toks stays nonzero: a schema walk can go on */
};

static const struct bad_case bad_cases[] = {
    /* The top level. */
    {"", 0, 1, 1, "(root)", "empty document", false},
    {" \n\t ", 0, 2, 3, "(root)", "empty document", false},
    {"[1]", 0, 1, 1, "(root)", "top-level value must be an object, got '['", false},
    {"\"x\"", 0, 1, 1, "(root)", "top-level value must be an object", false},
    {"1", 0, 1, 1, "(root)", "top-level value must be an object", false},
    {"null", 0, 1, 1, "(root)", "top-level value must be an object", false},
    {"{} x", 0, 1, 4, "(root)", "unexpected data after the top-level object", true},
    {"{}{}", 0, 1, 3, "(root)", "unexpected data after the top-level object", true},
    {"{}]", 0, 1, 3, "(root)", "unexpected data after the top-level object", true},
    {"{} \"a\"", 0, 1, 4, "(root)", "unexpected data after the top-level object", true},
    {"{\"a\":1}\n\n  1", 0, 3, 3, "(root)", "unexpected data after the top-level object", true},
    {"\xEF\xBB\xBF{}", 0, 1, 1, "(root)", "byte order mark", false},
    {"{\"a\":\"\0\"}", 9, 1, 7, "(root)", "NUL byte", false},
    {"{}\0", 3, 1, 3, "(root)", "NUL byte", false},
    /* Structure that jsmn lets through or rejects without a reason. */
    {"{\"a\":1,}", 0, 1, 8, "(root)", "trailing comma before '}'", false},
    {"{\"a\":[1,]}", 0, 1, 9, "a", "trailing comma before ']'", false},
    {"{\"a\":[,1]}", 0, 1, 7, "a", "expected a value, got ','", false},
    {"{,}", 0, 1, 2, "(root)", "expected a string key, got ','", false},
    {"{\"a\" \"b\"}", 0, 1, 6, "a", "expected ':' after the key, got '\"'", false},
    {"{\"a\" 1}", 0, 1, 6, "a", "expected ':' after the key, got '1'", false},
    {"{\"a\"}", 0, 1, 5, "a", "expected ':' after the key, got '}'", false},
    {"{\"a\":}", 0, 1, 6, "a", "expected a value, got '}'", false},
    {"{\"a\":,}", 0, 1, 6, "a", "expected a value, got ','", false},
    {"{\"a\":1 \"b\":2}", 0, 1, 8, "(root)", "expected ',' or '}' after a member", false},
    {"{\"a\":1 2}", 0, 1, 8, "(root)", "expected ',' or '}' after a member, got '2'", false},
    {"{\"a\":{\"b\":1}\"c\":2}", 0, 1, 13, "(root)", "expected ',' or '}'", false},
    {"{\"a\":[1 2]}", 0, 1, 9, "a", "expected ',' or ']' after an element, got '2'", false},
    {"{\"a\":[\"x\" \"y\"]}", 0, 1, 11, "a", "expected ',' or ']'", false},
    {"{\"a\":1:2}", 0, 1, 6, "a", "invalid number '1:2'", true},
    {"{\"a\":[\"k\":1]}", 0, 1, 10, "a", "expected ',' or ']'", false},
    {"{1:2}", 0, 1, 2, "(root)", "expected a string key, got '1'", false},
    {"{{}:1}", 0, 1, 2, "(root)", "expected a string key, got '{'", false},
    {"{'a':1}", 0, 1, 2, "(root)", "single quote", false},
    {"{\"a\":'x'}", 0, 1, 6, "a", "single quote", false},
    {"{\"a\":1 /* c */}", 0, 1, 8, "(root)", "expected ',' or '}'", false},
    {"{\"a\":1} // c", 0, 1, 9, "(root)", "unexpected data after the top-level object", true},
    {"{\f}", 0, 1, 2, "(root)", "expected a string key, got byte \\x0C", false},
    {"{\"a\":\xC2\xA0"
     "1}",
     0, 1, 6, "a", "expected a value, got byte \\xC2", false},
    /* Unclosed and mismatched. */
    {"{", 0, 1, 2, "(root)", "unexpected end of input: '{' opened at line 1, column 1", false},
    {"{\"a\":[1,2", 0, 1, 10, "a", "'[' opened at line 1, column 6 is not closed", false},
    {"{\"a\":{\"b\":[1,2,{\"c\":1", 0, 1, 22, "a.b[2]", "is not closed", false},
    {"{\"a\":1", 0, 1, 7, "(root)", "unexpected end of input", false},
    {"{\"a\":\"abc", 0, 1, 6, "a", "unterminated string", false},
    {"{\"a\":\"abc\\", 0, 1, 6, "a", "unterminated string", false},
    {"{\"a\":[1}", 0, 1, 8, "a", "expected ']' to close the array opened at line 1, column 6",
     false},
    {"{\"a\":{]}", 0, 1, 7, "a", "expected '}' to close the object", false},
    /* Found by fuzzing: jsmn hangs a second value under a key; the path must not read it as
     * a key (it read the 1-byte primitive before it with a length of SIZE_MAX). */
    {"{\"a\":1 {\"b\":\"x", 0, 1, 13, "?.b", "unterminated string", false},
    {"{\"a\":{} {\"b\":\"x", 0, 1, 14, "?.b", "unterminated string", false},
    /* Numbers. */
    {"{\"a\":01}", 0, 1, 6, "a", "invalid number '01': leading zeros are not allowed", true},
    {"{\"a\":-01}", 0, 1, 6, "a", "leading zeros", true},
    {"{\"a\":00}", 0, 1, 6, "a", "leading zeros", true},
    {"{\"a\":+1}", 0, 1, 6, "a", "a number starts with '-' or a digit", false},
    {"{\"a\":.5}", 0, 1, 6, "a", "a number starts with '-' or a digit", false},
    {"{\"a\":1.}", 0, 1, 6, "a", "expected a digit after '.'", true},
    {"{\"a\":1.e5}", 0, 1, 6, "a", "expected a digit after '.'", true},
    {"{\"a\":1e}", 0, 1, 6, "a", "expected a digit in the exponent", true},
    {"{\"a\":1e+}", 0, 1, 6, "a", "expected a digit in the exponent", true},
    {"{\"a\":1E-x}", 0, 1, 6, "a", "expected a digit in the exponent", true},
    {"{\"a\":-}", 0, 1, 6, "a", "expected a digit after '-'", true},
    {"{\"a\":--1}", 0, 1, 6, "a", "expected a digit after '-'", true},
    {"{\"a\":-Infinity}", 0, 1, 6, "a", "expected a digit after '-'", true},
    {"{\"a\":Infinity}", 0, 1, 6, "a", "expected a value, got 'I'", false},
    {"{\"a\":NaN}", 0, 1, 6, "a", "expected a value, got 'N'", false},
    {"{\"a\":0x1F}", 0, 1, 6, "a", "hexadecimal numbers are not allowed", true},
    {"{\"a\":1.5.2}", 0, 1, 6, "a", "unexpected character after the number", true},
    {"{\"a\":1-2}", 0, 1, 6, "a", "unexpected character after the number", true},
    {"{\"a\":[1\"x\"]}", 0, 1, 7, "a[0]", "invalid number '1\"x\"'", true},
    {"{\"a\":1\x7f}", 0, 1, 7, "a", "unexpected byte \\x7F in a literal", false},
    /* Literals. */
    {"{\"a\":tru}", 0, 1, 6, "a", "invalid literal 'tru' (expected true, false or null)", true},
    {"{\"a\":truee}", 0, 1, 6, "a", "invalid literal 'truee'", true},
    {"{\"a\":nul}", 0, 1, 6, "a", "invalid literal 'nul'", true},
    {"{\"a\":nan}", 0, 1, 6, "a", "invalid literal 'nan'", true},
    {"{\"a\":falsey}", 0, 1, 6, "a", "invalid literal 'falsey'", true},
    {"{\"a\":True}", 0, 1, 6, "a", "expected a value, got 'T'", false},
    {"{\"a\":FALSE}", 0, 1, 6, "a", "expected a value, got 'F'", false},
    {"{\"a\":undefined}", 0, 1, 6, "a", "expected a value, got 'u'", false},
    /* Strings: raw control characters. */
    {"{\"a\":\"x\x01\"}", 0, 1, 8, "a", "control character \\x01 in a string must be escaped",
     true},
    {"{\"a\":\"x\ty\"}", 0, 1, 8, "a", "control character \\x09", true},
    {"{\"a\":\"x\ny\"}", 0, 1, 8, "a", "control character \\x0A", true},
    {"{\"a\x1f\":1}", 0, 1, 4, "[\"a\\x1F\"]", "control character \\x1F", true},
    /* Strings: escapes. */
    {"{\"a\":\"\\q\"}", 0, 1, 7, "a", "invalid escape '\\q'", false},
    {"{\"a\":\"\\x41\"}", 0, 1, 7, "a", "invalid escape '\\x'", false},
    {"{\"a\":\"\\U0041\"}", 0, 1, 7, "a", "invalid escape '\\U'", false},
    {"{\"a\":\"\\'\"}", 0, 1, 7, "a", "invalid escape '\\''", false},
    {"{\"a\":\"x\\u12G4\"}", 0, 1, 8, "a", "invalid \\u escape: expected 4 hex digits", false},
    {"{\"a\":\"x\\u12\"}", 0, 1, 8, "a", "invalid \\u escape", false},
    {"{\"a\":\"\\uD800\"}", 0, 1, 7, "a", "high surrogate \\uD800 is not followed by a low", true},
    {"{\"a\":\"\\uD83D\\u0041\"}", 0, 1, 7, "a", "high surrogate \\uD83D", true},
    {"{\"a\":\"\\uDBFFx\"}", 0, 1, 7, "a", "high surrogate \\uDBFF", true},
    {"{\"a\":\"\\uD800\\uD800\"}", 0, 1, 7, "a", "high surrogate", true},
    {"{\"a\":\"x\\uDC00\"}", 0, 1, 8, "a", "unpaired low surrogate \\uDC00", true},
    {"{\"a\":\"\\udfff\\ud800\"}", 0, 1, 7, "a", "unpaired low surrogate \\uDFFF", true},
    /* Strings: UTF-8. */
    {"{\"a\":\"\xC0\xAF\"}", 0, 1, 7, "a", "overlong UTF-8 encoding", true},
    {"{\"a\":\"\xC1\xBF\"}", 0, 1, 7, "a", "overlong UTF-8 encoding", true},
    {"{\"a\":\"\xE0\x80\xAF\"}", 0, 1, 7, "a", "overlong UTF-8 encoding", true},
    {"{\"a\":\"\xE0\x9F\xBF\"}", 0, 1, 7, "a", "overlong UTF-8 encoding", true},
    {"{\"a\":\"\xF0\x80\x80\xAF\"}", 0, 1, 7, "a", "overlong UTF-8 encoding", true},
    {"{\"a\":\"\xF0\x8F\xBF\xBF\"}", 0, 1, 7, "a", "overlong UTF-8 encoding", true},
    {"{\"a\":\"\xED\xA0\x80\"}", 0, 1, 7, "a", "UTF-8 encoded surrogate", true},
    {"{\"a\":\"\xED\xBF\xBF\"}", 0, 1, 7, "a", "UTF-8 encoded surrogate", true},
    {"{\"a\":\"\xF4\x90\x80\x80\"}", 0, 1, 7, "a", "above U+10FFFF", true},
    {"{\"a\":\"\xF5\x80\x80\x80\"}", 0, 1, 7, "a", "code points end at U+10FFFF", true},
    {"{\"a\":\"\xFF\"}", 0, 1, 7, "a", "invalid UTF-8 byte", true},
    {"{\"a\":\"x\x80\"}", 0, 1, 8, "a", "unexpected UTF-8 continuation byte", true},
    {"{\"a\":\"\xE2\x82\"}", 0, 1, 7, "a", "truncated UTF-8 sequence", true},
    {"{\"a\":\"\xE2\x82"
     "A\"}",
     0, 1, 7, "a", "truncated UTF-8 sequence", true},
    {"{\"a\":\"\xF0\x9F\x98\"}", 0, 1, 7, "a", "truncated UTF-8 sequence", true},
    {"{\"\xC3\":1}", 0, 1, 3, "[\"\\xC3\"]", "truncated UTF-8 sequence", true},
    /* Duplicate keys. */
    {"{\"a\":1,\"a\":2}", 0, 1, 8, "a", "duplicate key 'a' (first defined at line 1, column 2)",
     true},
    {"{\"b\":1,\"\\u0062\":2}", 0, 1, 8, "[\"\\u0062\"]", "duplicate key '\\u0062'", true},
    {"{\"x\":{\"k\":1,\n \"k\":{}}}", 0, 2, 2, "x.k", "first defined at line 1, column 7", true},
    {"{\"\":1,\"\":2}", 0, 1, 7, "[\"\"]", "duplicate key ''", true},
    {"{\"\\u00e9\":1,\"\xC3\xA9\":2}", 0, 1, 13, "[\"\\xC3\\xA9\"]", "duplicate key", true},
};

MG_TEST(json_rejects_each_rule_with_position_and_path)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct fx f;

		MG_CASE("#%zu %s", i, c->text);
		fx_parse_n(&f, c->text, c->len > 0 ? c->len : strlen(c->text));
		MG_EXPECT_EQ_INT(f.rc, -EINVAL);
		if (MG_EXPECT_EQ_INT(f.errs.count, 1)) {
			const struct mg_json_error *e = &f.errs.list[0];

			MG_EXPECT_EQ_UINT(e->line, c->line);
			MG_EXPECT_EQ_UINT(e->col, c->col);
			MG_EXPECT_STR(e->path, c->path);
			MG_EXPECT_CONTAINS(e->msg, c->msg);
		}
		MG_EXPECT_EQ_INT(f.doc.n_toks > 0, c->walkable);
		fx_free(&f);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Accepted documents.                                                                        */

static const char *const good_docs[] = {
    "{}",
    " \t\r\n{ \t\r\n} \t\r\n",
    "{\"a\":0}",
    "{\"a\":-0}",
    "{\"a\":-0.0e-0}",
    "{\"a\":1.5E+10}",
    "{\"a\":123456789012345678901234567890}",
    "{\"a\":0.000001}",
    "{\"a\":1e400}",
    "{\"a\":true,\"b\":false,\"c\":null}",
    "{\"a\":[],\"b\":{},\"c\":[[]],\"d\":[{}]}",
    "{\"a\":\"\"}",
    "{\"\":1}",
    "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
    "{\"a\":\"\\u0000\\u001f\\u00e9\\uFFFF\"}",
    "{\"a\":\"\\ud83d\\ude00\\uDBFF\\uDFFF\"}",
    "{\"a\":\"\xC2\xA0\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\xEF\xBF\xBF\"}",
    "{\"a\":\"\x7f\"}",
    "{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":1}}",
    "{\"a\" : [ 1 , 2 ] , \"b\" : { \"c\" : null } }",
    "{\"A\":1,\"a\":2}",
};

MG_TEST(json_accepts_valid_documents)
{
	size_t i;

	for (i = 0; i < sizeof(good_docs) / sizeof(good_docs[0]); i++) {
		struct fx f;
		char out[1024];

		MG_CASE("#%zu %s", i, good_docs[i]);
		fx_parse(&f, good_docs[i]);
		MG_EXPECT_EQ_INT(f.rc, 0);
		if (!MG_EXPECT_EQ_INT(f.errs.count, 0))
			printf("%s", fx_print(&f, out, sizeof(out)));
		MG_EXPECT(f.doc.n_toks > 0);
		MG_EXPECT_EQ_INT(mg_json_type(&f.doc, 0), MG_JSON_OBJECT);
		fx_free(&f);
	}
}

/* Builds {"a": + <n> nested arrays + 1 + closers + } into <buf>. */
static size_t
nested(char *buf, int n)
{
	size_t len = 0;
	int i;

	len += (size_t)sprintf(buf, "{\"a\":");
	for (i = 0; i < n; i++)
		buf[len++] = '[';
	buf[len++] = '1';
	for (i = 0; i < n; i++)
		buf[len++] = ']';
	buf[len++] = '}';
	buf[len] = '\0';
	return len;
}

MG_TEST(json_depth_is_bounded)
{
	static char buf[2 * 100000 + 64];
	struct fx f;

	/* The root object is level 1, so 63 arrays inside it are exactly the limit. */
	fx_parse_n(&f, buf, nested(buf, MG_JSON_MAX_DEPTH - 1));
	MG_EXPECT_EQ_INT(f.rc, 0);
	fx_free(&f);

	fx_parse_n(&f, buf, nested(buf, MG_JSON_MAX_DEPTH));
	MG_EXPECT_EQ_INT(f.rc, -EINVAL);
	MG_EXPECT_EQ_INT(f.errs.count, 1);
	MG_EXPECT_CONTAINS(f.errs.list[0].msg, "nesting is deeper than 64 levels");
	MG_EXPECT_EQ_UINT(f.errs.list[0].col, 6 + MG_JSON_MAX_DEPTH - 1);
	MG_EXPECT_EQ_INT(f.doc.n_toks, 0);
	fx_free(&f);

	/*
	 * Very deep input must neither overflow the stack nor take quadratic time: jsmn's
	 * closing brackets walk its parent chain, so the text is cut at the 65th level before
	 * jsmn sees it (found by review; 100000 levels took about 10 s before).
	 */
	fx_parse_n(&f, buf, nested(buf, 100000));
	MG_EXPECT_EQ_INT(f.rc, -EINVAL);
	MG_EXPECT_EQ_INT(f.errs.count, 1);
	MG_EXPECT_CONTAINS(f.errs.list[0].msg, "nesting is deeper than 64 levels");
	MG_EXPECT_EQ_UINT(f.errs.list[0].col, 6 + MG_JSON_MAX_DEPTH - 1);
	MG_EXPECT(strncmp(f.errs.list[0].path, "a[0][0]", 7) == 0);
	fx_free(&f);

	/* Unclosed, and with brackets inside strings, which do not count. */
	fx_parse_n(&f, buf, nested(buf, 100000) - 100001);
	MG_EXPECT_EQ_INT(f.rc, -EINVAL);
	MG_EXPECT_CONTAINS(f.errs.list[0].msg, "nesting is deeper");
	fx_free(&f);
	{
		char text[1024];
		size_t len = (size_t)sprintf(text, "{\"a\":");
		int i;

		for (i = 0; i < MG_JSON_MAX_DEPTH - 2; i++)
			len += (size_t)sprintf(text + len, "[\"[{\\\"[\",");
		len += (size_t)sprintf(text + len, "{\"x\":1}");
		for (i = 0; i < MG_JSON_MAX_DEPTH - 2; i++)
			text[len++] = ']';
		text[len++] = '}';
		fx_parse_n(&f, text, len);
		MG_EXPECT_EQ_INT(f.rc, 0);
		fx_free(&f);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Collecting errors.                                                                         */

MG_TEST(json_collects_all_lexical_errors_in_document_order)
{
	static const char text[] = "{\n"
	                           "  \"a\": 01,\n"
	                           "  \"b\": [tru, \"ok\", \"\\uD800\"],\n"
	                           "  \"c\": { \"d\": 1, \"d\": 2 },\n"
	                           "  \"e\": \"\xC0\xAF\",\n"
	                           "  \"f\": 1.\n"
	                           "}";
	static const struct {
		unsigned int line, col;
		const char *path, *msg;
	} want[] = {
	    {2, 8, "a", "leading zeros"},      {3, 9, "b[0]", "invalid literal 'tru'"},
	    {3, 21, "b[2]", "high surrogate"}, {4, 18, "c.d", "duplicate key 'd'"},
	    {5, 9, "e", "overlong"},           {6, 8, "f", "expected a digit after '.'"},
	};
	struct fx f;
	size_t i;

	fx_parse(&f, text);
	MG_EXPECT_EQ_INT(f.rc, -EINVAL);
	MG_EXPECT(f.doc.n_toks > 0);
	MG_ASSERT_EQ_INT(f.errs.count, (int)(sizeof(want) / sizeof(want[0])));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		MG_CASE("error %zu", i);
		MG_EXPECT_EQ_UINT(f.errs.list[i].line, want[i].line);
		MG_EXPECT_EQ_UINT(f.errs.list[i].col, want[i].col);
		MG_EXPECT_STR(f.errs.list[i].path, want[i].path);
		MG_EXPECT_CONTAINS(f.errs.list[i].msg, want[i].msg);
	}
	/* Bad tokens are flagged so that walkers stay quiet about them. */
	MG_EXPECT(mg_json_is_bad(&f.doc, mg_json_lookup(&f.doc, 0, "a")));
	MG_EXPECT(mg_json_is_bad(&f.doc, mg_json_lookup(&f.doc, 0, "b[0]")));
	MG_EXPECT(!mg_json_is_bad(&f.doc, mg_json_lookup(&f.doc, 0, "b[1]")));
	fx_free(&f);
}

MG_TEST(json_triple_duplicate_reports_each_repeat)
{
	struct fx f;

	fx_parse(&f, "{\"k\":1,\"x\":0,\"k\":2,\"k\":3}");
	MG_ASSERT_EQ_INT(f.errs.count, 2);
	MG_EXPECT_EQ_UINT(f.errs.list[0].col, 14);
	MG_EXPECT_EQ_UINT(f.errs.list[1].col, 20);
	MG_EXPECT_CONTAINS(f.errs.list[1].msg, "first defined at line 1, column 2");
	/* The walker sees the first "k" only; lookups find the first value. */
	MG_EXPECT_EQ_INT(mg_json_size(&f.doc, 0), 4);
	{
		int k, n = 0;
		int64_t v = 0;

		for (k = mg_json_member_first(&f.doc, 0); k >= 0;
		     k = mg_json_member_next(&f.doc, k))
			n++;
		MG_EXPECT_EQ_INT(n, 2);
		MG_EXPECT_EQ_INT(mg_json_get_int(&f.doc, mg_json_obj_get(&f.doc, 0, "k"), 0, 9, &v),
		                 0);
		MG_EXPECT_EQ_INT(v, 1);
	}
	fx_free(&f);
}

MG_TEST(json_many_duplicates_are_fast_and_capped)
{
	/* 20000 copies of one key: sorted, not compared pairwise. */
	enum { N = 20000 };
	static char buf[N * 8 + 16];
	size_t len = 0;
	struct fx f;
	int i;

	buf[len++] = '{';
	for (i = 0; i < N; i++)
		len += (size_t)sprintf(buf + len, "%s\"k\":1", i > 0 ? "," : "");
	buf[len++] = '}';
	fx_parse_n(&f, buf, len);
	MG_EXPECT_EQ_INT(f.rc, -EINVAL);
	MG_EXPECT_EQ_INT(f.errs.count, MG_JSON_ERR_MAX);
	MG_EXPECT_EQ_UINT(f.errs.dropped, N - 1 - MG_JSON_ERR_MAX);
	MG_EXPECT_EQ_UINT(mg_json_errors_total(&f.errs), N - 1);
	/* The kept ones are the first in the document. */
	MG_EXPECT_EQ_UINT(f.errs.list[0].offset, 7);
	MG_EXPECT_EQ_UINT(f.errs.list[MG_JSON_ERR_MAX - 1].offset, 7 + 6 * (MG_JSON_ERR_MAX - 1));
	fx_free(&f);
}

MG_TEST(json_error_list_sorts_and_caps)
{
	char text[4096], out[16384];
	size_t len = 0;
	struct fx f;
	int i, k;

	/* 100 members; errors are reported for them from last to first. */
	len += (size_t)sprintf(text, "{");
	for (i = 0; i < 100; i++)
		len += (size_t)sprintf(text + len, "%s\n\"m%d\":%d", i > 0 ? "," : "", i, i);
	len += (size_t)sprintf(text + len, "}");
	fx_parse_n(&f, text, len);
	MG_ASSERT_EQ_INT(f.rc, 0);
	for (i = 99; i >= 0; i--) {
		char name[16];

		snprintf(name, sizeof(name), "m%d", i);
		mg_json_error(&f.doc, mg_json_obj_get(&f.doc, 0, name), "bad %d", i);
	}
	mg_json_errors_add(&f.errs, "positionless comes first");
	MG_EXPECT_EQ_INT(f.errs.count, MG_JSON_ERR_MAX);
	MG_EXPECT_EQ_UINT(f.errs.dropped, 101 - MG_JSON_ERR_MAX);
	MG_EXPECT_STR(f.errs.list[0].msg, "positionless comes first");
	MG_EXPECT_EQ_UINT(f.errs.list[0].line, 0);
	for (k = 1; k < MG_JSON_ERR_MAX; k++) {
		char want[16];

		snprintf(want, sizeof(want), "bad %d", k - 1);
		MG_CASE("kept %d", k);
		MG_EXPECT_STR(f.errs.list[k].msg, want);
		MG_EXPECT_EQ_UINT(f.errs.list[k].line, (unsigned)k + 1);
	}
	fx_print(&f, out, sizeof(out));
	MG_EXPECT(strncmp(out,
	                  "t.json: positionless comes first\nt.json:2:6: m0: bad 0\n"
	                  "t.json:3:6: m1: bad 1\n",
	                  54 + 23) == 0);
	MG_EXPECT_CONTAINS(out, "t.json:64:7: m62: bad 62\nt.json: 37 more errors not shown\n");
	fx_free(&f);
}

MG_TEST(json_errors_at_same_offset_keep_report_order)
{
	struct fx f;

	fx_parse(&f, "{\"a\":{}}");
	MG_ASSERT_EQ_INT(f.rc, 0);
	mg_json_error(&f.doc, 1, "first");
	mg_json_error(&f.doc, 2, "second");
	mg_json_error(&f.doc, 2, "third");
	mg_json_error(&f.doc, 0, "root");
	MG_ASSERT_EQ_INT(f.errs.count, 4);
	MG_EXPECT_STR(f.errs.list[0].msg, "root");
	MG_EXPECT_STR(f.errs.list[0].path, "(root)");
	MG_EXPECT_STR(f.errs.list[1].msg, "first");
	MG_EXPECT_STR(f.errs.list[1].path, "a");
	MG_EXPECT_STR(f.errs.list[2].msg, "second");
	MG_EXPECT_STR(f.errs.list[3].msg, "third");
	fx_free(&f);
}

MG_TEST(json_print_format)
{
	struct fx f;
	char out[1024];

	fx_parse(&f, "{\n  \"a\": [1, 02]\n}");
	fx_print(&f, out, sizeof(out));
	MG_EXPECT_STR(out,
	              "t.json:2:12: a[1]: invalid number '02': leading zeros are not allowed\n");
	fx_free(&f);

	mg_json_errors_init(&f.errs, NULL);
	mg_json_errors_add(&f.errs, "cannot open: %s", "No such file or directory");
	f.buf = NULL;
	memset(&f.doc, 0, sizeof(f.doc));
	fx_print(&f, out, sizeof(out));
	MG_EXPECT_STR(out, "<input>: cannot open: No such file or directory\n");

	/* A long file name is cut, not overflowed. */
	{
		char name[600];

		memset(name, 'x', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		mg_json_errors_init(&f.errs, name);
		MG_EXPECT_EQ_UINT(strlen(f.errs.file), MG_JSON_FILE_MAX - 1);
	}
}

MG_TEST(json_line_and_column)
{
	static const char text[] = "{\r\n"
	                           "\t\"\xC3\xA9\xC3\xA9\": 1,\r\n"
	                           "\t\"b\": \"\xE2\x82\xAC\", \"c\": tru\n"
	                           "}";
	struct fx f;

	fx_parse(&f, text);
	MG_ASSERT_EQ_INT(f.errs.count, 1);
	/* A tab is one column, and so is each UTF-8 character. */
	MG_EXPECT_EQ_UINT(f.errs.list[0].line, 3);
	MG_EXPECT_EQ_UINT(f.errs.list[0].col, 17);
	MG_EXPECT_STR(f.errs.list[0].path, "c");
	{
		unsigned int line, col;

		mg_json_line_col(&f.doc, 0, &line, &col);
		MG_EXPECT(line == 1 && col == 1);
		mg_json_line_col(&f.doc, sizeof(text) - 1, &line, &col);
		MG_EXPECT(line == 4 && col == 2);
		mg_json_line_col(&f.doc, 5, &line, &col);
		MG_EXPECT(line == 2 && col == 3);
		mg_json_line_col(&f.doc, 100000, &line, &col);
		MG_EXPECT(line == 4 && col == 2);
	}
	fx_free(&f);
}

/* ------------------------------------------------------------------------------------------ */
/* Paths and excerpts.                                                                        */

MG_TEST(json_paths)
{
	static const struct {
		const char *lookup, *path;
	} cases[] = {
	    {"appliance", "appliance"},
	    {"appliance.interfaces", "appliance.interfaces"},
	    {"appliance.interfaces[0]", "appliance.interfaces[0]"},
	    {"appliance.interfaces[1].address", "appliance.interfaces[1].address"},
	    {"appliance.interfaces[1].x[2][0]", "appliance.interfaces[1].x[2][0]"},
	    {"k-e_y9", "k-e_y9"},
	};
	struct fx f;
	char buf[MG_JSON_PATH_MAX];
	size_t i;
	int t;

	fx_parse(&f,
	         "{\"appliance\":{\"interfaces\":[{},{\"address\":\"a\",\"x\":[0,1,[true]]}]},"
	         "\"k-e_y9\":1,\"a.b\":{\"c\":[5]},\"q\\\"\\u0041\\n\":1,\"\":2,\"\xC3\xA9\":3}");
	MG_ASSERT_EQ_INT(f.rc, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		MG_CASE("%s", cases[i].lookup);
		t = mg_json_lookup(&f.doc, 0, cases[i].lookup);
		if (MG_EXPECT(t > 0)) {
			mg_json_path(&f.doc, t, buf, sizeof(buf));
			MG_EXPECT_STR(buf, cases[i].path);
			/* A key has the path of its member. */
			if (f.doc.toks[t - 1].flags & MG_JSON_TOK_KEY) {
				mg_json_path(&f.doc, t - 1, buf, sizeof(buf));
				MG_EXPECT_STR(buf, cases[i].path);
			}
		}
	}
	MG_CASE("%s", "");
	mg_json_path(&f.doc, 0, buf, sizeof(buf));
	MG_EXPECT_STR(buf, "(root)");
	mg_json_path(&f.doc, -1, buf, sizeof(buf));
	MG_EXPECT_STR(buf, "(root)");
	mg_json_path(&f.doc, 99999, buf, sizeof(buf));
	MG_EXPECT_STR(buf, "(root)");

	/* Keys that are not plain names are bracketed and shown as written. */
	t = mg_json_obj_get(&f.doc, 0, "a.b");
	mg_json_path(&f.doc, mg_json_arr_get(&f.doc, mg_json_obj_get(&f.doc, t, "c"), 0), buf,
	             sizeof(buf));
	MG_EXPECT_STR(buf, "[\"a.b\"].c[0]");
	mg_json_path(&f.doc, mg_json_obj_get(&f.doc, 0, "q\"A\n"), buf, sizeof(buf));
	MG_EXPECT_STR(buf, "[\"q\\\"\\u0041\\n\"]");
	mg_json_path(&f.doc, mg_json_obj_get(&f.doc, 0, ""), buf, sizeof(buf));
	MG_EXPECT_STR(buf, "[\"\"]");
	mg_json_path(&f.doc, mg_json_obj_get(&f.doc, 0, "\xC3\xA9"), buf, sizeof(buf));
	MG_EXPECT_STR(buf, "[\"\\xC3\\xA9\"]");

	/* Small buffers are cut with "..." and always terminated. */
	t = mg_json_lookup(&f.doc, 0, "appliance.interfaces[1].address");
	MG_EXPECT_EQ_UINT(mg_json_path(&f.doc, t, buf, 12), 11);
	MG_EXPECT_STR(buf, "applianc...");
	MG_EXPECT_EQ_UINT(mg_json_path(&f.doc, t, buf, 2), 1);
	MG_EXPECT_STR(buf, "a");
	fx_free(&f);
}

MG_TEST(json_long_paths_are_cut)
{
	char text[MG_JSON_PATH_MAX * 2 + 64], buf[MG_JSON_PATH_MAX];
	size_t len = 0;
	struct fx f;
	int i;

	/* A key longer than the path buffer. */
	len += (size_t)sprintf(text, "{\"");
	for (i = 0; i < MG_JSON_PATH_MAX + 10; i++)
		text[len++] = 'k';
	len += (size_t)sprintf(text + len, "\":01}");
	fx_parse_n(&f, text, len);
	MG_ASSERT_EQ_INT(f.errs.count, 1);
	MG_EXPECT_EQ_UINT(strlen(f.errs.list[0].path), MG_JSON_PATH_MAX - 1);
	MG_EXPECT(strcmp(f.errs.list[0].path + MG_JSON_PATH_MAX - 4, "...") == 0);
	mg_json_path(&f.doc, 2, buf, sizeof(buf));
	MG_EXPECT_STR(buf, f.errs.list[0].path);
	fx_free(&f);
}

MG_TEST(json_excerpts)
{
	struct fx f;
	char buf[MG_JSON_EXCERPT_MAX];

	fx_parse(&f,
	         "{\"s\":\"ab\\ncd\",\"n\":-12.5,\"l\":\"0123456789012345678901234567890123456789"
	         "0123\",\"u\":\"\xC3\xA9\"}");
	MG_ASSERT_EQ_INT(f.rc, 0);
	MG_EXPECT_STR(mg_json_excerpt(&f.doc, mg_json_obj_get(&f.doc, 0, "s"), buf, sizeof(buf)),
	              "ab\\ncd");
	MG_EXPECT_STR(mg_json_excerpt(&f.doc, mg_json_obj_get(&f.doc, 0, "n"), buf, sizeof(buf)),
	              "-12.5");
	MG_EXPECT_STR(mg_json_excerpt(&f.doc, mg_json_obj_get(&f.doc, 0, "l"), buf, sizeof(buf)),
	              "0123456789012345678901234567890123456789...");
	MG_EXPECT_STR(mg_json_excerpt(&f.doc, mg_json_obj_get(&f.doc, 0, "u"), buf, sizeof(buf)),
	              "\\xC3\\xA9");
	MG_EXPECT_STR(mg_json_excerpt(&f.doc, -5, buf, sizeof(buf)), "");
	MG_EXPECT_STR(mg_json_excerpt(&f.doc, mg_json_obj_get(&f.doc, 0, "n"), buf, 4), "...");
	fx_free(&f);
}

/* ------------------------------------------------------------------------------------------ */
/* Accessors.                                                                                 */

MG_TEST(json_iteration_and_lookup)
{
	struct fx f;
	int k, e, n, arr;
	const char *names[] = {"x", "arr", "o"};

	fx_parse(&f, "{\"x\":1,\"arr\":[10,[20,21],{\"k\":30},40],\"o\":{}}");
	MG_ASSERT_EQ_INT(f.rc, 0);
	MG_EXPECT_EQ_INT(mg_json_size(&f.doc, 0), 3);
	for (k = mg_json_member_first(&f.doc, 0), n = 0; k >= 0;
	     k = mg_json_member_next(&f.doc, k), n++) {
		MG_CASE("member %d", n);
		MG_EXPECT(n < 3 && mg_json_str_eq(&f.doc, k, names[n]));
		MG_EXPECT(f.doc.toks[k].flags & MG_JSON_TOK_KEY);
	}
	MG_CASE("%s", "");
	MG_EXPECT_EQ_INT(n, 3);

	arr = mg_json_obj_get(&f.doc, 0, "arr");
	MG_EXPECT_EQ_INT(mg_json_type(&f.doc, arr), MG_JSON_ARRAY);
	MG_EXPECT_EQ_INT(mg_json_size(&f.doc, arr), 4);
	for (e = mg_json_elem_first(&f.doc, arr), n = 0; e >= 0; e = mg_json_elem_next(&f.doc, e))
		n++;
	MG_EXPECT_EQ_INT(n, 4);
	MG_EXPECT_EQ_INT(mg_json_type(&f.doc, mg_json_arr_get(&f.doc, arr, 1)), MG_JSON_ARRAY);
	MG_EXPECT_EQ_INT(mg_json_type(&f.doc, mg_json_arr_get(&f.doc, arr, 2)), MG_JSON_OBJECT);
	MG_EXPECT_EQ_INT(mg_json_arr_get(&f.doc, arr, 4), -1);
	MG_EXPECT_EQ_INT(mg_json_arr_get(&f.doc, arr, -1), -1);
	MG_EXPECT_EQ_INT(mg_json_arr_get(&f.doc, 0, 0), -1);
	MG_EXPECT_EQ_INT(mg_json_lookup(&f.doc, 0, "arr[2].k"),
	                 mg_json_obj_get(&f.doc, mg_json_arr_get(&f.doc, arr, 2), "k"));
	MG_EXPECT_EQ_INT(mg_json_lookup(&f.doc, 0, "arr[1][1]"),
	                 mg_json_arr_get(&f.doc, mg_json_arr_get(&f.doc, arr, 1), 1));
	MG_EXPECT_EQ_INT(mg_json_lookup(&f.doc, 0, ""), 0);
	MG_EXPECT_EQ_INT(mg_json_lookup(&f.doc, 0, "nope"), -1);
	MG_EXPECT_EQ_INT(mg_json_lookup(&f.doc, 0, "arr[9]"), -1);
	MG_EXPECT_EQ_INT(mg_json_lookup(&f.doc, 0, "arr[x]"), -1);
	MG_EXPECT_EQ_INT(mg_json_lookup(&f.doc, 0, "arr[1"), -1);
	MG_EXPECT_EQ_INT(mg_json_lookup(&f.doc, 0, "x.y"), -1);
	MG_EXPECT_EQ_INT(mg_json_obj_get(&f.doc, arr, "k"), -1);

	/* Empty containers and non-containers. */
	k = mg_json_obj_get(&f.doc, 0, "o");
	MG_EXPECT_EQ_INT(mg_json_member_first(&f.doc, k), -1);
	MG_EXPECT_EQ_INT(mg_json_size(&f.doc, k), 0);
	MG_EXPECT_EQ_INT(mg_json_member_first(&f.doc, arr), -1);
	MG_EXPECT_EQ_INT(mg_json_elem_first(&f.doc, 0), -1);
	MG_EXPECT_EQ_INT(mg_json_size(&f.doc, mg_json_obj_get(&f.doc, 0, "x")), -1);
	MG_EXPECT_EQ_INT(mg_json_member_next(&f.doc, arr), -1);
	MG_EXPECT_EQ_INT(mg_json_elem_next(&f.doc, 0), -1);
	MG_EXPECT_EQ_INT(mg_json_elem_next(&f.doc, -3), -1);
	MG_EXPECT_EQ_INT(mg_json_type(&f.doc, -1), MG_JSON_INVALID);
	MG_EXPECT_EQ_INT(mg_json_type(&f.doc, f.doc.n_toks), MG_JSON_INVALID);
	fx_free(&f);
}

MG_TEST(json_strings)
{
	struct fx f;
	char buf[64];
	const char *p;
	size_t n;
	int t;

	fx_parse(&f, "{\"plain\":\"abc\",\"esc\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\","
	             "\"u\":\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\",\"nul\":\"a\\u0000b\","
	             "\"utf8\":\"\xC3\xA9\",\"num\":5,\"k\\u0065y\":1}");
	MG_ASSERT_EQ_INT(f.rc, 0);

	t = mg_json_obj_get(&f.doc, 0, "plain");
	MG_EXPECT_EQ_INT(mg_json_str_view(&f.doc, t, &p, &n), 0);
	MG_EXPECT(n == 3 && memcmp(p, "abc", 3) == 0);
	MG_EXPECT_EQ_INT(mg_json_str_decode(&f.doc, t, buf, sizeof(buf), &n), 0);
	MG_EXPECT_STR(buf, "abc");

	t = mg_json_obj_get(&f.doc, 0, "esc");
	MG_EXPECT_EQ_INT(mg_json_str_view(&f.doc, t, &p, &n), 0);
	MG_EXPECT_EQ_UINT(n, 20);
	MG_EXPECT_EQ_INT(mg_json_str_decode(&f.doc, t, buf, sizeof(buf), &n), 0);
	MG_EXPECT_STR(buf, "a\"b\\c/d\b\f\n\r\t");
	MG_EXPECT_EQ_UINT(n, 12);
	MG_EXPECT(mg_json_str_eq(&f.doc, t, "a\"b\\c/d\b\f\n\r\t"));
	MG_EXPECT(!mg_json_str_eq(&f.doc, t, "a\"b\\c/d\b\f\n\r"));

	/* \u escapes come out as UTF-8, surrogate pairs joined. */
	t = mg_json_obj_get(&f.doc, 0, "u");
	MG_EXPECT_EQ_INT(mg_json_str_decode(&f.doc, t, buf, sizeof(buf), &n), 0);
	MG_EXPECT_STR(buf, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
	MG_EXPECT_EQ_UINT(n, 10);

	/* Too small a buffer: -ENOSPC, the full length, a terminated prefix. */
	MG_EXPECT_EQ_INT(mg_json_str_decode(&f.doc, t, buf, 10, &n), -ENOSPC);
	MG_EXPECT_EQ_UINT(n, 10);
	MG_EXPECT_EQ_UINT(strlen(buf), 9);
	MG_EXPECT_EQ_INT(mg_json_str_decode(&f.doc, t, buf, 11, &n), 0);
	MG_EXPECT_EQ_INT(mg_json_str_decode(&f.doc, t, buf, 0, NULL), -ENOSPC);

	/* \u0000 decodes to a NUL byte inside the string. */
	t = mg_json_obj_get(&f.doc, 0, "nul");
	MG_EXPECT_EQ_INT(mg_json_str_decode(&f.doc, t, buf, sizeof(buf), &n), 0);
	MG_EXPECT(n == 3 && memcmp(buf, "a\0b", 4) == 0);
	MG_EXPECT(!mg_json_str_eq(&f.doc, t, "a"));

	t = mg_json_obj_get(&f.doc, 0, "utf8");
	MG_EXPECT(mg_json_str_eq(&f.doc, t, "\xC3\xA9"));

	/* An escaped key matches its decoded name. */
	MG_EXPECT(mg_json_obj_get(&f.doc, 0, "key") > 0);

	/* Not a string. */
	t = mg_json_obj_get(&f.doc, 0, "num");
	MG_EXPECT_EQ_INT(mg_json_str_view(&f.doc, t, &p, &n), -EINVAL);
	MG_EXPECT_EQ_INT(mg_json_str_decode(&f.doc, t, buf, sizeof(buf), &n), -EINVAL);
	MG_EXPECT(!mg_json_str_eq(&f.doc, t, "5"));
	fx_free(&f);

	/* A long escaped string compares through a heap buffer. */
	{
		char text[1300], want[300];
		size_t len = 0;
		int i;

		len += (size_t)sprintf(text, "{\"k\":\"");
		for (i = 0; i < 200; i++)
			len += (size_t)sprintf(text + len, "\\u0078");
		len += (size_t)sprintf(text + len, "\"}");
		memset(want, 'x', 200);
		want[200] = '\0';
		fx_parse_n(&f, text, len);
		MG_EXPECT(mg_json_str_eq(&f.doc, 2, want));
		want[199] = '\0';
		MG_EXPECT(!mg_json_str_eq(&f.doc, 2, want));
		fx_free(&f);
	}
}

MG_TEST(json_integers)
{
	static const struct {
		const char *text;
		int64_t min, max;
		int rc;
		int64_t want;
	} cases[] = {
	    {"0", 0, 10, 0, 0},
	    {"-0", 0, 10, 0, 0},
	    {"10", 0, 10, 0, 10},
	    {"11", 0, 10, -ERANGE, 0},
	    {"-1", 0, 10, -ERANGE, 0},
	    {"-5", -10, 10, 0, -5},
	    {"9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX},
	    {"-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN},
	    {"9223372036854775808", INT64_MIN, INT64_MAX, -ERANGE, 0},
	    {"-9223372036854775809", INT64_MIN, INT64_MAX, -ERANGE, 0},
	    {"99999999999999999999999", INT64_MIN, INT64_MAX, -ERANGE, 0},
	    {"1.0", 0, 10, -EINVAL, 0},
	    {"1.5", 0, 10, -EINVAL, 0},
	    {"1e3", 0, 10000, -EINVAL, 0},
	    {"\"1\"", 0, 10, -EINVAL, 0},
	    {"true", 0, 10, -EINVAL, 0},
	    {"null", 0, 10, -EINVAL, 0},
	    {"01", 0, 10, -EINVAL, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[64];
		struct fx f;
		int64_t v = 42;

		MG_CASE("%s", cases[i].text);
		snprintf(text, sizeof(text), "{\"v\":%s}", cases[i].text);
		fx_parse(&f, text);
		MG_EXPECT_EQ_INT(mg_json_get_int(&f.doc, mg_json_obj_get(&f.doc, 0, "v"),
		                                 cases[i].min, cases[i].max, &v),
		                 cases[i].rc);
		MG_EXPECT_EQ_INT(v, cases[i].rc == 0 ? cases[i].want : 42);
		fx_free(&f);
	}
}

MG_TEST(json_booleans_and_types)
{
	struct fx f;
	bool b = false;

	fx_parse(&f,
	         "{\"t\":true,\"f\":false,\"n\":null,\"s\":\"true\",\"x\":1,\"o\":{},\"a\":[]}");
	MG_ASSERT_EQ_INT(f.rc, 0);
	MG_EXPECT_EQ_INT(mg_json_get_bool(&f.doc, mg_json_obj_get(&f.doc, 0, "t"), &b), 0);
	MG_EXPECT(b);
	MG_EXPECT_EQ_INT(mg_json_get_bool(&f.doc, mg_json_obj_get(&f.doc, 0, "f"), &b), 0);
	MG_EXPECT(!b);
	MG_EXPECT_EQ_INT(mg_json_get_bool(&f.doc, mg_json_obj_get(&f.doc, 0, "n"), &b), -EINVAL);
	MG_EXPECT_EQ_INT(mg_json_get_bool(&f.doc, mg_json_obj_get(&f.doc, 0, "s"), &b), -EINVAL);
	MG_EXPECT_EQ_INT(mg_json_get_bool(&f.doc, mg_json_obj_get(&f.doc, 0, "x"), &b), -EINVAL);
	MG_EXPECT_STR(mg_json_type_name(mg_json_type(&f.doc, mg_json_obj_get(&f.doc, 0, "t"))),
	              "boolean");
	MG_EXPECT_STR(mg_json_type_name(mg_json_type(&f.doc, mg_json_obj_get(&f.doc, 0, "f"))),
	              "boolean");
	MG_EXPECT_STR(mg_json_type_name(mg_json_type(&f.doc, mg_json_obj_get(&f.doc, 0, "n"))),
	              "null");
	MG_EXPECT_STR(mg_json_type_name(mg_json_type(&f.doc, mg_json_obj_get(&f.doc, 0, "s"))),
	              "string");
	MG_EXPECT_STR(mg_json_type_name(mg_json_type(&f.doc, mg_json_obj_get(&f.doc, 0, "x"))),
	              "number");
	MG_EXPECT_STR(mg_json_type_name(mg_json_type(&f.doc, mg_json_obj_get(&f.doc, 0, "o"))),
	              "object");
	MG_EXPECT_STR(mg_json_type_name(mg_json_type(&f.doc, mg_json_obj_get(&f.doc, 0, "a"))),
	              "array");
	MG_EXPECT_STR(mg_json_type_name(MG_JSON_INVALID), "nothing");
	fx_free(&f);
}

MG_TEST(json_bad_tokens_are_refused_by_accessors)
{
	struct fx f;
	char buf[16];
	const char *p;
	size_t n;
	int64_t v;
	bool b;

	fx_parse(&f, "{\"n\":01,\"s\":\"\\uD800\",\"b\":tru}");
	MG_ASSERT_EQ_INT(f.errs.count, 3);
	MG_EXPECT_EQ_INT(mg_json_get_int(&f.doc, mg_json_obj_get(&f.doc, 0, "n"), 0, 9, &v),
	                 -EINVAL);
	MG_EXPECT_EQ_INT(mg_json_str_view(&f.doc, mg_json_obj_get(&f.doc, 0, "s"), &p, &n),
	                 -EINVAL);
	MG_EXPECT_EQ_INT(
	    mg_json_str_decode(&f.doc, mg_json_obj_get(&f.doc, 0, "s"), buf, sizeof(buf), &n),
	    -EINVAL);
	MG_EXPECT_EQ_INT(mg_json_get_bool(&f.doc, mg_json_obj_get(&f.doc, 0, "b"), &b), -EINVAL);
	fx_free(&f);
}

MG_TEST(json_input_is_not_read_past_its_length)
{
	/* Every prefix of a valid document is parsed from an exact-size heap copy. */
	static const char text[] = "{\"a\":[1,-2.5e3,true,null,\"\\u00e9\\ud83d\\ude00x\"],"
	                           "\"b\":{\"c\":false}}";
	size_t n;

	for (n = 0; n <= sizeof(text) - 1; n++) {
		struct fx f;

		MG_CASE("prefix %zu", n);
		fx_parse_n(&f, text, n);
		MG_EXPECT_EQ_INT(f.rc, n == sizeof(text) - 1 ? 0 : -EINVAL);
		MG_EXPECT(mg_json_errors_total(&f.errs) == (n == sizeof(text) - 1 ? 0u : 1u));
		fx_free(&f);
	}
}

MG_TEST(json_oversized_input)
{
	struct mg_json_doc doc;
	struct mg_json_errors errs;

	/* The size check comes before any read, so the text pointer is never touched. */
	mg_json_errors_init(&errs, "big");
	MG_EXPECT_EQ_INT(mg_json_parse(&doc, "{}", (size_t)MG_JSON_MAX_LEN + 1, &errs), -EFBIG);
	MG_EXPECT_EQ_INT(errs.count, 1);
	MG_EXPECT_CONTAINS(errs.list[0].msg, "larger than");
	MG_EXPECT_EQ_INT(doc.n_toks, 0);
	mg_json_doc_free(&doc);
	mg_json_doc_free(&doc);
}
