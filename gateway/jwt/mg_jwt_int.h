/*
 * Internals of gateway/jwt shared between its files, the unit tests and the fuzz targets.
 * Not an API for the rest of the gateway (mg_jwt.h is).
 */
#ifndef MG_JWT_INT_H
#define MG_JWT_INT_H

#include <mbedtls/ecp.h>
#include <mbedtls/rsa.h>

#include "mg_jwt.h"
#include "mg_jwt_json.h"

#define MG_JWK_KID_MAX 128

enum mg_jwk_kty {
	MG_JWK_RSA = 1,
	MG_JWK_EC,
};

/* One usable public key of a JWKS. */
struct mg_jwk {
	char kid[MG_JWK_KID_MAX];
	size_t kid_len;
	bool has_kid;
	enum mg_jwk_kty kty;
	enum mg_jwt_alg alg; /* MG_JWT_ALG_INVALID when the JWK has no alg */
	mbedtls_ecp_group_id curve;
	mbedtls_rsa_context rsa;
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
};

struct mg_jwks {
	unsigned int n;
	unsigned int skipped; /* keys left out: oct, unknown kty/crv, use other than sig */
	struct mg_jwk keys[MG_JWT_MAX_KEYS];
};

/*
 * Parses a JWKS document into <set> (zeroed by the caller; release with mg_jwks_free()).
 * Returns the number of usable keys (> 0) or -EINVAL with a reason in <err>.
 */
int mg_jwks_parse(struct mg_jwks *set, const char *json, size_t len, char *err, size_t errlen);
void mg_jwks_free(struct mg_jwks *set);

/* True when <k> may verify a token signed with <alg> (kty, alg, curve agree). */
bool mg_jwk_suits(const struct mg_jwk *k, enum mg_jwt_alg alg);

/*
 * Verifies <sig> (<slen> bytes, raw: RSA modulus length, or R||S for ECDSA) over <in> with
 * key <k> and <alg>.  Returns MG_JWT_OK, MG_JWT_R_SIG_FORMAT or MG_JWT_R_SIG_INVALID.
 */
enum mg_jwt_reason mg_jwk_verify(const struct mg_jwk *k, enum mg_jwt_alg alg, const uint8_t *in,
                                 size_t len, const uint8_t *sig, size_t slen);

/*
 * Checks the registered claims of payload <doc> (root object 0) against provider <p> at
 * <now_s>: exp/nbf/iat with skew, iss, aud (<audiences> replacing the provider's when
 * <n_aud> > 0).  *<exp_out> receives exp (0 if absent).  Returns MG_JWT_OK or the reason.
 */
enum mg_jwt_reason mg_jwt_claims_check(const struct mg_jwt_provider *p, const struct mg_jj_doc *doc,
                                       uint64_t now_s, const char (*audiences)[MG_JWT_STR_MAX],
                                       unsigned int n_aud, uint64_t *exp_out);

/* True when payload <doc> satisfies required claim <c>. */
bool mg_jwt_claim_matches(const struct mg_jj_doc *doc, const struct mg_jwt_claim_req *c);

/* Empties the verified-token cache (tests and benchmarks of the uncached path). */
void mg_jwt_cache_clear(struct mg_jwt_ctx *ctx);

#endif /* MG_JWT_INT_H */
