/*
 * libFuzzer target: the gRPC helpers (gateway/h2/mg_grpc.c).  The input is a grpc-timeout
 * value and, after the first NUL, a Content-Type value and an error detail.  Checked beyond
 * not crashing: a parsed timeout is within the cap, and the error response is one well-formed
 * HTTP/1.1 head whose grpc-message has only printable ASCII.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/h2/mg_grpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nul = memchr(p, '\0', size);
	size_t n = nul != NULL ? (size_t)(nul - p) : size, i;
	char out[1024];
	uint64_t ms = 0;
	ssize_t w;

	if (mg_grpc_timeout_parse(p, n, &ms) == 0 && ms > MG_GRPC_TIMEOUT_MAX_MS)
		abort();
	if (nul == NULL)
		return 0;
	(void)mg_grpc_is_grpc(nul + 1, size - n - 1);
	w = mg_grpc_write_error(out, sizeof(out), 400 + (int)(n % 200), nul + 1, size - n - 1, NULL,
	                        0);
	if (w <= 0)
		abort();
	if ((size_t)w < 4 || memcmp(out + w - 4, "\r\n\r\n", 4) != 0)
		abort();
	for (i = 0; i < (size_t)w; i++)
		if ((out[i] < 0x20 || out[i] > 0x7e) && out[i] != '\r' && out[i] != '\n')
			abort();
	return 0;
}
