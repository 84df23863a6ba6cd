/*
 * libFuzzer target: the admin listener's request-head parser.
 *
 * The input is copied to a heap buffer of exactly its size, so that any read
 * past the end is caught by AddressSanitizer.  Beyond not crashing, the
 * parser's contract is checked: a positive result never exceeds the input,
 * views point inside it, and an error carries a 4xx/5xx status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/admin/mg_admin_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_ahttp_req req;
	char *buf = malloc(size > 0 ? size : 1);
	int rc;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	rc = mg_ahttp_parse(buf, size, &req);
	if (rc > 0) {
		if ((size_t)rc > size || req.method < buf || req.path < buf ||
		    req.path + req.path_len > buf + rc || req.method_len == 0)
			abort();
		if (req.query != NULL && req.query + req.query_len > buf + rc)
			abort();
	} else if (rc == MG_AHTTP_ERROR) {
		if (req.status < 400 || req.status > 599)
			abort();
	} else if (rc != MG_AHTTP_INCOMPLETE) {
		abort();
	}
	free(buf);
	return 0;
}
