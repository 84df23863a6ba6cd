/*
 * The unit-test runner: runs every test registered with MG_TEST() (see mgtest.h).
 *
 * Usage: unit [-v] [-l] [SUBSTRING...]
 *   -v         also print a line for each passing test
 *   -l         list the tests and exit
 *   SUBSTRING  run only tests whose name contains one of the substrings
 *
 * The last line printed is always `N passed, M failed`. The exit status is 0 when every test
 * that ran passed and at least one ran, else 1.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgtest.h"

static struct mg_test *tests;
static const struct mg_test *current;
static int current_failures;
static char current_case[256];

void
mg_test_register(struct mg_test *t)
{
	t->next = tests;
	tests = t;
}

bool
mg_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	current_failures++;
	printf("%s:%d: %s: ", file, line, current != NULL ? current->name : "?");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (current_case[0] != '\0')
		printf(" [case: %s]", current_case);
	printf("\n");
	return false;
}

void
mg_test_case(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(current_case, sizeof(current_case), fmt, ap);
	va_end(ap);
}

bool
mg_test_check_int(const char *file, int line, const char *ea, const char *eb, long long a,
                  long long b)
{
	if (a == b)
		return true;
	return mg_test_fail(file, line, "expected %s == %s, got %lld and %lld", ea, eb, a, b);
}

bool
mg_test_check_uint(const char *file, int line, const char *ea, const char *eb, unsigned long long a,
                   unsigned long long b)
{
	if (a == b)
		return true;
	return mg_test_fail(file, line, "expected %s == %s, got %llu (0x%llx) and %llu (0x%llx)",
	                    ea, eb, a, a, b, b);
}

bool
mg_test_check_str(const char *file, int line, const char *ea, const char *eb, const char *a,
                  const char *b)
{
	if (a != NULL && b != NULL && strcmp(a, b) == 0)
		return true;
	return mg_test_fail(file, line, "expected %s == %s, got \"%s\" and \"%s\"", ea, eb,
	                    a != NULL ? a : "(null)", b != NULL ? b : "(null)");
}

bool
mg_test_check_contains(const char *file, int line, const char *ea, const char *eb, const char *hay,
                       const char *needle)
{
	if (hay != NULL && needle != NULL && strstr(hay, needle) != NULL)
		return true;
	return mg_test_fail(file, line, "expected %s to contain %s, got \"%s\" and \"%s\"", ea, eb,
	                    hay != NULL ? hay : "(null)", needle != NULL ? needle : "(null)");
}

bool
mg_test_check_mem(const char *file, int line, const char *ea, const char *eb, const void *a,
                  const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < n; i++) {
		if (x[i] != y[i])
			return mg_test_fail(file, line,
			                    "expected %s == %s over %zu bytes, first difference at "
			                    "byte %zu: 0x%02x and 0x%02x",
			                    ea, eb, n, i, x[i], y[i]);
	}
	return true;
}

static int
test_cmp(const void *a, const void *b)
{
	const struct mg_test *x = *(const struct mg_test *const *)a;
	const struct mg_test *y = *(const struct mg_test *const *)b;
	int c = strcmp(x->file, y->file);

	return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

static bool
selected(const struct mg_test *t, int argc, char **argv, int first)
{
	int i;

	if (first >= argc)
		return true;
	for (i = first; i < argc; i++) {
		if (strstr(t->name, argv[i]) != NULL)
			return true;
	}
	return false;
}

int
main(int argc, char **argv)
{
	struct mg_test **list, *t;
	size_t n = 0, i;
	int passed = 0, failed = 0, first = 1;
	bool verbose = false, list_only = false;

	/* Failures must interleave correctly with any output of the code under test. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "-v") == 0) {
			verbose = true;
		} else if (strcmp(argv[first], "-l") == 0) {
			list_only = true;
		} else {
			fprintf(stderr, "usage: %s [-v] [-l] [SUBSTRING...]\n", argv[0]);
			return 2;
		}
	}
	for (t = tests; t != NULL; t = t->next)
		n++;
	list = calloc(n > 0 ? n : 1, sizeof(*list));
	if (list == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	for (t = tests, i = 0; t != NULL; t = t->next)
		list[i++] = t;
	qsort(list, n, sizeof(*list), test_cmp);

	for (i = 0; i < n; i++) {
		t = list[i];
		if (!selected(t, argc, argv, first))
			continue;
		if (list_only) {
			printf("%s (%s:%d)\n", t->name, t->file, t->line);
			continue;
		}
		current = t;
		current_failures = 0;
		current_case[0] = '\0';
		t->fn();
		if (current_failures > 0) {
			printf("FAIL %s (%s:%d)\n", t->name, t->file, t->line);
			failed++;
		} else {
			if (verbose)
				printf("ok   %s\n", t->name);
			passed++;
		}
	}
	current = NULL;
	free(list);
	if (list_only)
		return 0;
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}
