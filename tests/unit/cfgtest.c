/*
 * Helpers shared by the configuration unit tests.  See cfgtest.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgtest.h"

int
mg_cfgtest_parse(struct mg_config *cfg, const char *text, struct mg_cfg_errors *errs)
{
	size_t len = strlen(text);
	char *buf = malloc(len > 0 ? len : 1);
	int rc;

	if (buf == NULL)
		abort();
	memcpy(buf, text, len);
	mg_config_free(cfg);
	rc = mg_config_parse(cfg, buf, len, "c.json", errs);
	free(buf);
	return rc;
}

const char *
mg_cfgtest_errors(const struct mg_cfg_errors *errs, char *buf, size_t size)
{
	FILE *out = fmemopen(buf, size, "w");

	if (out == NULL)
		abort();
	mg_cfg_errors_print(errs, out);
	fclose(out);
	return buf;
}
