/*
 * libFuzzer target: JWKS documents (gateway/jwt/mg_jwks.c) and the strict JSON under them
 * (gateway/jwt/mg_jwt_json.c).
 *
 * The input is copied to an exact-size heap buffer so that an over-read shows.  Checks: a
 * parsed set has 1..MG_JWT_MAX_KEYS keys, each RSA or EC; strict JSON parsing is
 * deterministic, and every accepted document has a root object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/jwt/mg_jwt_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mg_jj_tok toks[512], toks2[512];
	static struct mg_jwks set;
	char *buf = malloc(size ? size : 1);
	struct mg_jj_doc doc, doc2;
	enum mg_jj_err e1, e2;
	int n;

	memcpy(buf, data, size);
	e1 = mg_jj_parse(&doc, buf, size, toks, 512, 8);
	e2 = mg_jj_parse(&doc2, buf, size, toks2, 512, 8);
	if (e1 != e2 || (e1 == MG_JJ_OK && (doc.n != doc2.n || toks[0].type != MG_JJ_OBJECT)))
		abort();
	memset(&set, 0, sizeof(set));
	n = mg_jwks_parse(&set, buf, size, NULL, 0);
	if (n > 0) {
		if ((unsigned int)n != set.n || set.n > MG_JWT_MAX_KEYS)
			abort();
		for (unsigned int i = 0; i < set.n; i++) {
			if (set.keys[i].kty != MG_JWK_RSA && set.keys[i].kty != MG_JWK_EC)
				abort();
		}
		mg_jwks_free(&set);
	}
	free(buf);
	return 0;
}
