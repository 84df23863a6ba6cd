/*
 * libFuzzer target: JWT parsing and verification (gateway/jwt/mg_jwt.c) against a fixed
 * JWKS (the RFC 7515 appendix A keys: RSA 2048, P-256, P-521) and an HS256 secret.
 *
 * The input is tried three ways: as a compact token for the JWKS provider and for the HMAC
 * provider (nothing the fuzzer makes should verify: an ALLOW would mean a forgery), and as a
 * payload for the claims checks, which a forged token never reaches.  The token copy is an
 * exact-size heap buffer so that an over-read shows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/jwt/mg_jwt_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char jwks[] = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a2\","
                           "\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
                           "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
                           "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"
                           "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
                           "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"
                           "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\",\"e\":\"AQAB\"},"
                           "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"a3\","
                           "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                           "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";

static struct mg_jwt_ctx *ctx;
static struct mg_jwt_provider *pk, *ph;

static void
setup(void)
{
	struct mg_jwt_provider_cfg cfg = {.name = "keys", .issuer = "joe", .exp_optional = true};

	ctx = mg_jwt_ctx_new(64, NULL);
	pk = mg_jwt_provider_get(ctx, mg_jwt_provider_add(ctx, &cfg));
	if (pk == NULL || mg_jwt_provider_set_keys(pk, jwks, sizeof(jwks) - 1, NULL, 0) != 2)
		abort();
	strcpy(cfg.name, "hmac");
	cfg.issuer[0] = '\0';
	cfg.n_audiences = 1;
	strcpy(cfg.audiences[0], "api");
	memset(cfg.secret, 0x5a, 32);
	cfg.secret_len = 32;
	ph = mg_jwt_provider_get(ctx, mg_jwt_provider_add(ctx, &cfg));
	if (ph == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mg_jj_tok toks[MG_JWT_JSON_TOKENS];
	char *tok;
	struct mg_jj_doc doc;
	enum mg_jwt_reason r;

	if (ctx == NULL)
		setup();
	tok = malloc(size ? size : 1);
	memcpy(tok, data, size);
	r = mg_jwt_verify_token(ctx, pk, tok, size, 1300819000, NULL, 0);
	if (r == MG_JWT_OK || (unsigned int)r >= MG_JWT_REASON_COUNT)
		abort(); /* a forgery, or a reason outside the table */
	r = mg_jwt_verify_token(ctx, ph, tok, size, 1300819000, NULL, 0);
	if (r == MG_JWT_OK)
		abort();
	if (mg_jj_parse(&doc, tok, size, toks, MG_JWT_JSON_TOKENS, MG_JWT_JSON_DEPTH) == MG_JJ_OK) {
		struct mg_jwt_claim_req c = {.claim = "scope", .value = "read"};
		uint64_t exp;

		r = mg_jwt_claims_check(pk, &doc, 1300819000, NULL, 0, &exp);
		if ((unsigned int)r >= MG_JWT_REASON_COUNT)
			abort();
		(void)mg_jwt_claim_matches(&doc, &c);
	}
	free(tok);
	return 0;
}
