/*
 * Route matching building blocks: path normalisation, matchers, accessors, weighted split.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/route/mg_match.h"
#include "mgtest.h"

static const struct {
	const char *in, *out; /* out NULL: rejected with -EINVAL */
} norm_cases[] = {
    {"/", "/"},
    {"/a/b", "/a/b"},
    {"/a/b/", "/a/b/"},
    {"//a///b//", "/a/b/"},
    {"/a/./b", "/a/b"},
    {"/a/.", "/a/"},
    {"/a/b/..", "/a/"},
    {"/a/b/../c", "/a/c"},
    {"/a/../../../c", "/c"},
    /* Envoy: dot segments first (an empty segment is one), then slashes merged. */
    {"/api//../x", "/api/x"},
    {"/a//b/../../c", "/a/c"},
    {"/..", "/"},
    {"/../", "/"},
    {"/.", "/"},
    {"/a/%2e%2E/b", "/b"},
    {"/a/%2e/b", "/a/b"},
    {"/%61%62%7E%2D", "/ab~-"},
    {"/a%2fb", "/a%2Fb"},
    {"/a%2F..%2Fb", "/a%2F..%2Fb"},
    {"/%20x", "/%20x"},
    {"/a/..b/c.", "/a/..b/c."},
    {"/a/...", "/a/..."},
    {"/a?b", "/a?b"}, /* the caller passes the path without the query */
    {"/%", NULL},
    {"/%4", NULL},
    {"/%zz", NULL},
    {"/a%g0", NULL},
    {"a/b", NULL},
    {"", NULL},
};

MG_TEST(route_path_normalize)
{
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		int n;

		MG_CASE("%s", norm_cases[i].in);
		n = mg_match_path_normalize(norm_cases[i].in, strlen(norm_cases[i].in), out,
		                            sizeof(out));
		if (norm_cases[i].out == NULL) {
			MG_EXPECT_EQ_INT(n, -EINVAL);
			continue;
		}
		MG_ASSERT(n > 0);
		MG_EXPECT_MEM(out, norm_cases[i].out, strlen(norm_cases[i].out));
		MG_EXPECT_EQ_INT(n, (int)strlen(norm_cases[i].out));
	}
	/* The output is never longer than the input; too small an output is -ENOSPC. */
	MG_EXPECT_EQ_INT(mg_match_path_normalize("/abc", 4, out, 4), -ENOSPC);
	MG_EXPECT_EQ_INT(mg_match_path_normalize("/abc", 4, out, 5), 4);
}

MG_TEST(route_string_matchers)
{
	struct mg_match m = {.kind = MG_MATCH_EXACT, .s = "abc", .len = 3};
	char err[160];

	MG_EXPECT(mg_match_value(&m, "abc", 3));
	MG_EXPECT(!mg_match_value(&m, "abcd", 4));
	MG_EXPECT(!mg_match_value(&m, "ABC", 3));
	MG_EXPECT(!mg_match_value(&m, NULL, 0));
	m.ignore_case = true;
	MG_EXPECT(mg_match_value(&m, "ABC", 3));
	m.invert = true;
	MG_EXPECT(!mg_match_value(&m, "ABC", 3));
	MG_EXPECT(mg_match_value(&m, "xyz", 3));
	MG_EXPECT(!mg_match_value(&m, NULL, 0)); /* absent never matches, inverted or not */

	m = (struct mg_match){.kind = MG_MATCH_PREFIX, .s = "/api", .len = 4};
	MG_EXPECT(mg_match_value(&m, "/api/x", 6));
	MG_EXPECT(mg_match_value(&m, "/api", 4));
	MG_EXPECT(!mg_match_value(&m, "/ap", 3));
	m.kind = MG_MATCH_SUFFIX;
	m.s = ".example.com";
	m.len = 12;
	MG_EXPECT(mg_match_value(&m, "a.example.com", 13));
	MG_EXPECT(!mg_match_value(&m, "example.com", 11));

	m = (struct mg_match){.kind = MG_MATCH_RANGE, .start = -10, .end = 0};
	MG_EXPECT(mg_match_value(&m, "-10", 3));
	MG_EXPECT(mg_match_value(&m, "-1", 2));
	MG_EXPECT(!mg_match_value(&m, "0", 1)); /* half-open */
	MG_EXPECT(!mg_match_value(&m, "-11", 3));
	MG_EXPECT(!mg_match_value(&m, "-1.5", 4));
	MG_EXPECT(!mg_match_value(&m, " -1", 3));
	MG_EXPECT(!mg_match_value(&m, "", 0));
	MG_EXPECT(!mg_match_value(&m, "-", 1));
	m.invert = true; /* Envoy's example: [-10,0) matches -1, so inverted it does not */
	MG_EXPECT(!mg_match_value(&m, "-1", 2));
	MG_EXPECT(mg_match_value(&m, "abc", 3));
	m = (struct mg_match){.kind = MG_MATCH_RANGE, .start = INT64_MIN, .end = INT64_MAX};
	MG_EXPECT(mg_match_value(&m, "-9223372036854775808", 20));
	MG_EXPECT(!mg_match_value(&m, "-9223372036854775809", 20));
	MG_EXPECT(!mg_match_value(&m, "9223372036854775807", 19)); /* == end */
	MG_EXPECT(!mg_match_value(&m, "99999999999999999999", 20));

	m = (struct mg_match){.kind = MG_MATCH_PRESENT};
	MG_EXPECT(mg_match_value(&m, "", 0));
	MG_EXPECT(!mg_match_value(&m, NULL, 0));
	m.invert = true; /* "not present" */
	MG_EXPECT(!mg_match_value(&m, "", 0));
	MG_EXPECT(mg_match_value(&m, NULL, 0));

	/* Regexes match the whole value (Envoy's RE2 full match). */
	m = (struct mg_match){.kind = MG_MATCH_REGEX};
	MG_ASSERT_EQ_INT(mg_match_regex_compile("\\d{3}", &m.re, err, sizeof(err)), 0);
	MG_EXPECT(mg_match_value(&m, "123", 3));
	MG_EXPECT(!mg_match_value(&m, "1234", 4)); /* Envoy's invert example */
	MG_EXPECT(!mg_match_value(&m, "x123", 4));
	m.invert = true;
	MG_EXPECT(mg_match_value(&m, "1234", 4));
	mg_match_regex_free(m.re);
	MG_ASSERT_EQ_INT(mg_match_regex_compile("a|b", &m.re, err, sizeof(err)), 0);
	m.invert = false;
	MG_EXPECT(mg_match_value(&m, "b", 1)); /* the anchors bind the whole alternation */
	MG_EXPECT(!mg_match_value(&m, "ab", 2));
	mg_match_regex_free(m.re);
	MG_EXPECT_EQ_INT(mg_match_regex_compile("(", &m.re, err, sizeof(err)), -EINVAL);
	MG_EXPECT_CONTAINS(err, "invalid regular expression at offset 1");
}

MG_TEST(route_regex_work_is_bounded)
{
	struct mg_match m = {.kind = MG_MATCH_REGEX};
	char v[64], err[160];
	uint64_t hits = mg_match_regex_limit_hits();

	/* Catastrophic backtracking: a non-match costs 2^n steps without a limit. */
	MG_ASSERT_EQ_INT(mg_match_regex_compile("(a+)+b", &m.re, err, sizeof(err)), 0);
	memset(v, 'a', sizeof(v));
	MG_EXPECT(!mg_match_value(&m, v, sizeof(v)));
	(void)hits; /* JIT may prove the non-match quickly; either way it returns */
	mg_match_regex_free(m.re);
}

MG_TEST(route_header_and_query_accessors)
{
	struct mg_h1_field f[] = {
	    {{"Host", 4}, {"a", 1}},
	    {{"X-Tag", 5}, {"one", 3}},
	    {{"x-tag", 5}, {"two", 3}},
	    {{"Empty", 5}, {"", 0}},
	};
	char scratch[8];
	const char *v;

	MG_EXPECT_EQ_INT(mg_match_header(f, 4, "host", 4, scratch, sizeof(scratch), &v), 1);
	MG_EXPECT_MEM(v, "a", 1);
	MG_EXPECT_EQ_INT(mg_match_header(f, 4, "X-TAG", 5, scratch, sizeof(scratch), &v), 7);
	MG_EXPECT_MEM(v, "one,two", 7);
	MG_EXPECT(v == scratch);
	MG_EXPECT_EQ_INT(mg_match_header(f, 4, "empty", 5, scratch, sizeof(scratch), &v), 0);
	MG_EXPECT(v != NULL);
	MG_EXPECT_EQ_INT(mg_match_header(f, 4, "missing", 7, scratch, sizeof(scratch), &v), -1);
	MG_EXPECT(v == NULL);
	/* Joined values are cut at the scratch size. */
	MG_EXPECT_EQ_INT(mg_match_header(f, 4, "x-tag", 5, scratch, 5, &v), 5);

	MG_EXPECT_EQ_INT(mg_match_query_param("a=1&b=2&a=3", 11, "a", 1, &v), 1);
	MG_EXPECT_MEM(v, "1", 1);
	MG_EXPECT_EQ_INT(mg_match_query_param("a=1&b=2&a=3", 11, "b", 1, &v), 1);
	MG_EXPECT_MEM(v, "2", 1);
	MG_EXPECT_EQ_INT(mg_match_query_param("a=1&flag&c=", 11, "flag", 4, &v), 0);
	MG_EXPECT_EQ_INT(mg_match_query_param("a=1&flag&c=", 11, "c", 1, &v), 0);
	MG_EXPECT(v != NULL);
	MG_EXPECT_EQ_INT(mg_match_query_param("a=1&flag&c=", 11, "fla", 3, &v), -1);
	MG_EXPECT_EQ_INT(mg_match_query_param("x=a=b", 5, "x", 1, &v), 3);
	MG_EXPECT_MEM(v, "a=b", 3);
	MG_EXPECT_EQ_INT(mg_match_query_param("", 0, "x", 1, &v), -1);
	MG_EXPECT_EQ_INT(mg_match_query_param(NULL, 0, "x", 1, &v), -1);

	MG_EXPECT_EQ_UINT(mg_match_host_strip_port("a.com:8080", 10), 5);
	MG_EXPECT_EQ_UINT(mg_match_host_strip_port("a.com", 5), 5);
	MG_EXPECT_EQ_UINT(mg_match_host_strip_port("a.com:", 6), 6);
	MG_EXPECT_EQ_UINT(mg_match_host_strip_port("[::1]:443", 9), 5);
	MG_EXPECT_EQ_UINT(mg_match_host_strip_port("[::1]", 5), 5);
	MG_EXPECT_EQ_UINT(mg_match_host_strip_port("10.0.0.1:80", 11), 8);
}

MG_TEST(route_weighted_split_is_exact_and_smooth)
{
	static const uint8_t w9010[] = {90, 10}, w000[] = {0, 0, 0}, w3[] = {5, 0, 1};
	struct mg_match_wrr w;
	int count[3] = {0, 0, 0}, i, last = -1, run = 0, max_run = 0;

	mg_match_wrr_init(&w, w9010, 2);
	for (i = 0; i < 10000; i++) {
		int k = mg_match_wrr_pick(&w);

		MG_ASSERT(k == 0 || k == 1);
		count[k]++;
		if (k == 1) {
			MG_EXPECT(last != 1); /* the 10% target never twice in a row */
		}
		run = k == last ? run + 1 : 1;
		if (k == 0 && run > max_run)
			max_run = run;
		last = k;
	}
	MG_EXPECT_EQ_INT(count[0], 9000);
	MG_EXPECT_EQ_INT(count[1], 1000);
	MG_EXPECT(max_run <= 9);

	mg_match_wrr_init(&w, w000, 3);
	MG_EXPECT_EQ_INT(mg_match_wrr_pick(&w), -1);

	memset(count, 0, sizeof(count));
	mg_match_wrr_init(&w, w3, 3);
	for (i = 0; i < 600; i++)
		count[mg_match_wrr_pick(&w)]++;
	MG_EXPECT_EQ_INT(count[0], 500);
	MG_EXPECT_EQ_INT(count[1], 0);
	MG_EXPECT_EQ_INT(count[2], 100);
}
