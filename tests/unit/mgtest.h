/*
 * mgtest: the unit-test harness.
 *
 * A test is a void function declared with MG_TEST(name) in any tests/unit/test_*.c file; a
 * constructor registers it, so adding a file adds its tests to the one build/tests/unit
 * binary (tests/unit/main.c is the runner). Tests run in file and line order.
 *
 * MG_ASSERT* report a failure and return from the enclosing function (so they only fit in
 * functions returning void); MG_EXPECT* report and carry on. Every failure is printed as
 * `FILE:LINE: TEST: message`, followed by the current case label when MG_CASE() set one,
 * which is how table-driven tests say which row failed. The runner ends with exactly one line
 * `N passed, M failed` and exits nonzero if a test failed.
 */
#ifndef MG_TESTS_UNIT_MGTEST_H
#define MG_TESTS_UNIT_MGTEST_H

#include <stdbool.h>
#include <stddef.h>

/* One registered test. */
struct mg_test {
	const char *name;
	const char *file;
	int line;
	void (*fn)(void);
	struct mg_test *next;
};

/* Adds <t> to the list of tests (called from constructors; <t> must be static). */
void mg_test_register(struct mg_test *t);

/*
 * Records a failure of the running test at <file>:<line> and prints it with the printf-style
 * message. Returns false so that macros can use it in expressions.
 */
bool mg_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets the case label printed with later failures of the running test ("" clears it). */
void mg_test_case(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Comparison helpers behind the macros; each returns true when the check holds, and prints the
 * failure otherwise.
 */
bool mg_test_check_int(const char *file, int line, const char *ea, const char *eb, long long a,
                       long long b);
bool mg_test_check_uint(const char *file, int line, const char *ea, const char *eb,
                        unsigned long long a, unsigned long long b);
bool mg_test_check_str(const char *file, int line, const char *ea, const char *eb, const char *a,
                       const char *b);
bool mg_test_check_contains(const char *file, int line, const char *ea, const char *eb,
                            const char *hay, const char *needle);
bool mg_test_check_mem(const char *file, int line, const char *ea, const char *eb, const void *a,
                       const void *b, size_t n);

#define MG_TEST(tname)                                                                             \
	static void mg_test_fn_##tname(void);                                                      \
	static struct mg_test mg_test_desc_##tname = {#tname, __FILE__, __LINE__,                  \
	                                              mg_test_fn_##tname, NULL};                   \
	__attribute__((constructor)) static void mg_test_reg_##tname(void)                         \
	{                                                                                          \
		mg_test_register(&mg_test_desc_##tname);                                           \
	}                                                                                          \
	static void mg_test_fn_##tname(void)

#define MG_CASE(...) mg_test_case(__VA_ARGS__)

/* Non-fatal checks. */
#define MG_EXPECT(cond) ((cond) ? true : mg_test_fail(__FILE__, __LINE__, "expected: %s", #cond))
#define MG_EXPECT_EQ_INT(a, b)                                                                     \
	mg_test_check_int(__FILE__, __LINE__, #a, #b, (long long)(a), (long long)(b))
#define MG_EXPECT_EQ_UINT(a, b)                                                                    \
	mg_test_check_uint(__FILE__, __LINE__, #a, #b, (unsigned long long)(a),                    \
	                   (unsigned long long)(b))
#define MG_EXPECT_STR(a, b) mg_test_check_str(__FILE__, __LINE__, #a, #b, (a), (b))
#define MG_EXPECT_CONTAINS(hay, needle)                                                            \
	mg_test_check_contains(__FILE__, __LINE__, #hay, #needle, (hay), (needle))
#define MG_EXPECT_MEM(a, b, n) mg_test_check_mem(__FILE__, __LINE__, #a, #b, (a), (b), (n))

/* Fatal checks: return from the enclosing void function on failure. */
#define MG_ASSERT(cond)                                                                            \
	do {                                                                                       \
		if (!MG_EXPECT(cond))                                                              \
			return;                                                                    \
	} while (0)
#define MG_ASSERT_EQ_INT(a, b)                                                                     \
	do {                                                                                       \
		if (!MG_EXPECT_EQ_INT(a, b))                                                       \
			return;                                                                    \
	} while (0)
#define MG_ASSERT_EQ_UINT(a, b)                                                                    \
	do {                                                                                       \
		if (!MG_EXPECT_EQ_UINT(a, b))                                                      \
			return;                                                                    \
	} while (0)
#define MG_ASSERT_STR(a, b)                                                                        \
	do {                                                                                       \
		if (!MG_EXPECT_STR(a, b))                                                          \
			return;                                                                    \
	} while (0)
#define MG_ASSERT_CONTAINS(hay, needle)                                                            \
	do {                                                                                       \
		if (!MG_EXPECT_CONTAINS(hay, needle))                                              \
			return;                                                                    \
	} while (0)
#define MG_ASSERT_MEM(a, b, n)                                                                     \
	do {                                                                                       \
		if (!MG_EXPECT_MEM(a, b, n))                                                       \
			return;                                                                    \
	} while (0)

#endif /* MG_TESTS_UNIT_MGTEST_H */
