/*
 * Helpers shared by the configuration unit tests (test_config*.c).
 */
#ifndef MG_TESTS_UNIT_CFGTEST_H
#define MG_TESTS_UNIT_CFGTEST_H

#include <stddef.h>

#include "gateway/config/config.h"

/*
 * mg_cfgtest_parse() parses the NUL-terminated <text> as "c.json" from an exact-size heap
 * copy (no terminator), so that a read past the end shows under ASan.  <cfg> must be zeroed
 * or hold the result of an earlier call, which is freed first (mg_config_free()), so a test
 * may parse into the same struct again and again.  Returns what mg_config_parse() returns.
 */
int mg_cfgtest_parse(struct mg_config *cfg, const char *text, struct mg_cfg_errors *errs);

/* mg_cfgtest_errors() prints <errs> into <buf> (<size> bytes) and returns <buf>. */
const char *mg_cfgtest_errors(const struct mg_cfg_errors *errs, char *buf, size_t size);

#endif /* MG_TESTS_UNIT_CFGTEST_H */
