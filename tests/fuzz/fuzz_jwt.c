/*
 * libFuzzer target: JWT parsing and verification (gateway/jwt/mg_jwt.c) against a fixed
 * JWKS (the RFC 7515 appendix A keys: RSA 2048, P-256, P-521) and an HS256 secret.
 *
 * Two input modes, chosen by the first byte: odd, the rest is a compact token as received;
 * even, the rest is "header JSON \n payload JSON \n signature bytes", which the harness
 * base64url-encodes into a token, so that mutations explore the JSON and not the base64.  The
 * token is tried against the JWKS provider and the HMAC provider (nothing the fuzzer makes may
 * verify: an ALLOW would be a forgery), and its payload bytes go through the claim checks,
 * which a forged token never reaches.  The token is an exact-size heap buffer so that an
 * over-read shows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/jwt/mg_b64url.h"
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

/* Builds base64url(header) "." base64url(payload) "." base64url(sig) from the three parts. */
static char *
build_token(const uint8_t *d, size_t n, size_t *len, const uint8_t **payload, size_t *plen)
{
	const uint8_t *parts[3] = {d, NULL, NULL};
	size_t lens[3] = {n, 0, 0}, cap, o = 0;
	char *tok;

	for (int k = 1; k < 3; k++) {
		const uint8_t *nl = memchr(parts[k - 1], '\n', lens[k - 1]);

		if (nl == NULL) {
			parts[k] = parts[k - 1] + lens[k - 1];
			continue;
		}
		parts[k] = nl + 1;
		lens[k] = lens[k - 1] - (size_t)(nl + 1 - parts[k - 1]);
		lens[k - 1] = (size_t)(nl - parts[k - 1]);
	}
	cap = MG_B64URL_ENCODED_LEN(n) + 8;
	tok = malloc(cap);
	for (int k = 0; k < 3; k++) {
		o += (size_t)mg_b64url_encode(parts[k], lens[k], tok + o, cap - o);
		if (k < 2)
			tok[o++] = '.';
	}
	*len = o;
	*payload = parts[1];
	*plen = lens[1];
	return tok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mg_jj_tok toks[MG_JWT_JSON_TOKENS];
	const uint8_t *payload;
	size_t plen, len;
	char *tok, *pcopy;
	struct mg_jj_doc doc;
	enum mg_jwt_reason r;

	if (ctx == NULL)
		setup();
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		len = size - 1;
		tok = malloc(len ? len : 1);
		memcpy(tok, data + 1, len);
		payload = data + 1;
		plen = len;
	} else {
		tok = build_token(data + 1, size - 1, &len, &payload, &plen);
	}
	r = mg_jwt_verify_token(ctx, pk, tok, len, 1300819000, NULL, 0);
	if (r == MG_JWT_OK || (unsigned int)r >= MG_JWT_REASON_COUNT)
		abort(); /* a forgery, or a reason outside the table */
	r = mg_jwt_verify_token(ctx, ph, tok, len, 1300819000, NULL, 0);
	if (r == MG_JWT_OK)
		abort();
	pcopy = malloc(plen ? plen : 1);
	memcpy(pcopy, payload, plen);
	if (mg_jj_parse(&doc, pcopy, plen, toks, MG_JWT_JSON_TOKENS, MG_JWT_JSON_DEPTH) ==
	    MG_JJ_OK) {
		struct mg_jwt_claim_req c = {.claim = "scope", .value = "read"};
		uint64_t exp;

		r = mg_jwt_claims_check(pk, &doc, 1300819000, NULL, 0, &exp);
		if ((unsigned int)r >= MG_JWT_REASON_COUNT)
			abort();
		(void)mg_jwt_claim_matches(&doc, &c);
	}
	free(pcopy);
	free(tok);
	return 0;
}
