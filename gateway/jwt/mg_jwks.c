/*
 * JWKS documents (RFC 7517) into mbedTLS public keys, and signature verification with them
 * (RFC 7518 section 3).  Runs on the control path (boot, reload, key refresh), except for
 * mg_jwk_suits() and mg_jwk_verify(), which the data path calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>

#include "mg_b64url.h"
#include "mg_jwt_int.h"

#define JWKS_MAX_TOKENS 4096
#define JWKS_MAX_DEPTH  6
/* RSA moduli accepted: 2048 (RFC 7518 section 3.3's minimum) to 8192 bits. */
#define RSA_MIN_BYTES 256
#define RSA_MAX_BYTES 1024

static void
set_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* Decodes base64url member <name> of key object <obj> into <out>; returns its length or -1. */
static long
member_b64(const struct mg_jj_doc *doc, int obj, const char *name, uint8_t *out, size_t cap)
{
	char tmp[2 * RSA_MAX_BYTES];
	int v = mg_jj_get(doc, obj, name, strlen(name));
	long n;

	if (v < 0)
		return -1;
	n = mg_jj_str(doc, v, tmp, sizeof(tmp));
	if (n <= 0)
		return -1;
	return mg_b64url_decode(tmp, (size_t)n, out, cap);
}

static bool
member_is(const struct mg_jj_doc *doc, int obj, const char *name, const char *value)
{
	int v = mg_jj_get(doc, obj, name, strlen(name));

	return v >= 0 && mg_jj_str_eq(doc, v, value, strlen(value));
}

/* Fills <k> from JWK object <obj>; returns 0, 1 (skipped: not for us) or -1 (invalid). */
static int
jwk_parse(struct mg_jwk *k, const struct mg_jj_doc *doc, int obj)
{
	uint8_t a[RSA_MAX_BYTES + 1], b[RSA_MAX_BYTES + 1];
	int v;
	long na, nb;

	if (doc->toks[obj].type != MG_JJ_OBJECT)
		return -1;
	/* use, if present, must be "sig"; key_ops, if present, must allow "verify". */
	v = mg_jj_get(doc, obj, "use", 3);
	if (v >= 0 && !mg_jj_str_eq(doc, v, "sig", 3))
		return 1;
	v = mg_jj_get(doc, obj, "key_ops", 7);
	if (v >= 0) {
		bool verify = false;

		if (doc->toks[v].type != MG_JJ_ARRAY)
			return -1;
		for (int e = v + 1, i = 0; i < doc->toks[v].size; i++, e = mg_jj_skip(doc, e))
			verify = verify || mg_jj_str_eq(doc, e, "verify", 6);
		if (!verify)
			return 1;
	}
	v = mg_jj_get(doc, obj, "kid", 3);
	if (v >= 0) {
		long n = mg_jj_str(doc, v, k->kid, sizeof(k->kid));

		if (n < 0)
			return -1;
		k->kid_len = (size_t)n;
		k->has_kid = true;
	}
	v = mg_jj_get(doc, obj, "alg", 3);
	if (v >= 0) {
		char name[16];
		long n = mg_jj_str(doc, v, name, sizeof(name));

		/* A key for an algorithm we do not verify with (HS*, EdDSA, RSA-OAEP...) is
		 * skipped. */
		if (n < 0)
			return 1;
		k->alg = mg_jwt_alg_from_name(name, (size_t)n);
		if (k->alg == MG_JWT_ALG_INVALID || k->alg >= MG_JWT_HS256)
			return 1;
	}
	if (member_is(doc, obj, "kty", "RSA")) {
		k->kty = MG_JWK_RSA;
		if (k->alg != MG_JWT_ALG_INVALID && k->alg > MG_JWT_PS512)
			return -1;
		na = member_b64(doc, obj, "n", a, sizeof(a));
		nb = member_b64(doc, obj, "e", b, sizeof(b));
		if (na <= 0 || nb <= 0 || nb > 8)
			return -1;
		/* Leading zero bytes do not count toward the modulus size. */
		{
			long off = 0;

			while (off < na && a[off] == 0)
				off++;
			if (na - off < RSA_MIN_BYTES || na - off > RSA_MAX_BYTES)
				return -1;
		}
		mbedtls_rsa_init(&k->rsa);
		if (mbedtls_rsa_import_raw(&k->rsa, a, (size_t)na, NULL, 0, NULL, 0, NULL, 0, b,
		                           (size_t)nb) != 0 ||
		    mbedtls_rsa_complete(&k->rsa) != 0 || mbedtls_rsa_check_pubkey(&k->rsa) != 0) {
			mbedtls_rsa_free(&k->rsa);
			return -1;
		}
		return 0;
	}
	if (member_is(doc, obj, "kty", "EC")) {
		uint8_t pt[1 + 2 * 66];
		size_t flen;

		k->kty = MG_JWK_EC;
		if (member_is(doc, obj, "crv", "P-256")) {
			k->curve = MBEDTLS_ECP_DP_SECP256R1;
			flen = 32;
		} else if (member_is(doc, obj, "crv", "P-384")) {
			k->curve = MBEDTLS_ECP_DP_SECP384R1;
			flen = 48;
		} else if (member_is(doc, obj, "crv", "P-521")) {
			k->curve = MBEDTLS_ECP_DP_SECP521R1;
			flen = 66;
		} else {
			return 1;
		}
		if (k->alg != MG_JWT_ALG_INVALID && !mg_jwk_suits(k, k->alg))
			return -1;
		/* x and y are full-length field elements (RFC 7518 section 6.2.1.2). */
		na = member_b64(doc, obj, "x", a, sizeof(a));
		nb = member_b64(doc, obj, "y", b, sizeof(b));
		if (na != (long)flen || nb != (long)flen)
			return -1;
		pt[0] = 0x04;
		memcpy(pt + 1, a, flen);
		memcpy(pt + 1 + flen, b, flen);
		mbedtls_ecp_group_init(&k->grp);
		mbedtls_ecp_point_init(&k->q);
		if (mbedtls_ecp_group_load(&k->grp, k->curve) != 0 ||
		    mbedtls_ecp_point_read_binary(&k->grp, &k->q, pt, 1 + 2 * flen) != 0 ||
		    mbedtls_ecp_check_pubkey(&k->grp, &k->q) != 0) {
			mbedtls_ecp_point_free(&k->q);
			mbedtls_ecp_group_free(&k->grp);
			return -1;
		}
		return 0;
	}
	/* oct (shared secrets never come from a JWKS), OKP and unknown types. */
	return 1;
}

static void
jwk_free(struct mg_jwk *k)
{
	if (k->kty == MG_JWK_RSA)
		mbedtls_rsa_free(&k->rsa);
	else if (k->kty == MG_JWK_EC) {
		mbedtls_ecp_point_free(&k->q);
		mbedtls_ecp_group_free(&k->grp);
	}
	k->kty = 0;
}

void
mg_jwks_free(struct mg_jwks *set)
{
	for (unsigned int i = 0; i < set->n; i++)
		jwk_free(&set->keys[i]);
	set->n = 0;
}

int
mg_jwks_parse(struct mg_jwks *set, const char *json, size_t len, char *err, size_t errlen)
{
	struct mg_jj_tok *toks = calloc(JWKS_MAX_TOKENS, sizeof(*toks));
	struct mg_jj_doc doc;
	int keys, e;

	if (toks == NULL) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (mg_jj_parse(&doc, json, len, toks, JWKS_MAX_TOKENS, JWKS_MAX_DEPTH) != MG_JJ_OK) {
		set_err(err, errlen, "not a strict JSON object (syntax, duplicate keys or depth)");
		goto bad;
	}
	keys = mg_jj_get(&doc, 0, "keys", 4);
	if (keys < 0 || doc.toks[keys].type != MG_JJ_ARRAY) {
		set_err(err, errlen, "no \"keys\" array");
		goto bad;
	}
	e = keys + 1;
	for (int i = 0; i < doc.toks[keys].size; i++, e = mg_jj_skip(&doc, e)) {
		struct mg_jwk *k;
		int rc;

		if (set->n == MG_JWT_MAX_KEYS) {
			set_err(err, errlen, "more keys than MG_JWT_MAX_KEYS");
			goto bad;
		}
		k = &set->keys[set->n];
		memset(k, 0, sizeof(*k));
		rc = jwk_parse(k, &doc, e);
		if (rc < 0) {
			set_err(err, errlen, "a key is invalid (members, sizes or point)");
			goto bad;
		}
		if (rc > 0)
			set->skipped++;
		else
			set->n++;
	}
	if (set->n == 0) {
		set_err(err, errlen, "no usable signature key");
		goto bad;
	}
	free(toks);
	return (int)set->n;
bad:
	mg_jwks_free(set);
	free(toks);
	return -EINVAL;
}

bool
mg_jwk_suits(const struct mg_jwk *k, enum mg_jwt_alg alg)
{
	if (k->alg != MG_JWT_ALG_INVALID && k->alg != alg)
		return false;
	switch (alg) {
	case MG_JWT_RS256:
	case MG_JWT_RS384:
	case MG_JWT_RS512:
	case MG_JWT_PS256:
	case MG_JWT_PS384:
	case MG_JWT_PS512:
		return k->kty == MG_JWK_RSA;
	case MG_JWT_ES256:
		return k->kty == MG_JWK_EC && k->curve == MBEDTLS_ECP_DP_SECP256R1;
	case MG_JWT_ES384:
		return k->kty == MG_JWK_EC && k->curve == MBEDTLS_ECP_DP_SECP384R1;
	case MG_JWT_ES512:
		return k->kty == MG_JWK_EC && k->curve == MBEDTLS_ECP_DP_SECP521R1;
	default:
		return false;
	}
}

static mbedtls_md_type_t
alg_md(enum mg_jwt_alg alg)
{
	switch (alg) {
	case MG_JWT_RS256:
	case MG_JWT_PS256:
	case MG_JWT_ES256:
	case MG_JWT_HS256:
		return MBEDTLS_MD_SHA256;
	case MG_JWT_RS384:
	case MG_JWT_PS384:
	case MG_JWT_ES384:
	case MG_JWT_HS384:
		return MBEDTLS_MD_SHA384;
	default:
		return MBEDTLS_MD_SHA512;
	}
}

enum mg_jwt_reason
mg_jwk_verify(const struct mg_jwk *k, enum mg_jwt_alg alg, const uint8_t *in, size_t len,
              const uint8_t *sig, size_t slen)
{
	mbedtls_md_type_t md = alg_md(alg);
	const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
	uint8_t hash[64];
	size_t hlen;
	int rc;

	if (info == NULL || !mg_jwk_suits(k, alg))
		return MG_JWT_R_KEY_MISMATCH;
	hlen = mbedtls_md_get_size(info);
	if (mbedtls_md(info, in, len, hash) != 0)
		return MG_JWT_R_SIG_INVALID;
	if (k->kty == MG_JWK_RSA) {
		if (slen != mbedtls_rsa_get_len(&k->rsa))
			return MG_JWT_R_SIG_FORMAT;
		if (alg <= MG_JWT_RS512)
			rc = mbedtls_rsa_rsassa_pkcs1_v15_verify((mbedtls_rsa_context *)&k->rsa, md,
			                                         (unsigned int)hlen, hash, sig);
		else
			/* RFC 7518 section 3.5: MGF1 with the same hash, salt as long as the hash.
			 */
			rc = mbedtls_rsa_rsassa_pss_verify_ext((mbedtls_rsa_context *)&k->rsa, md,
			                                       (unsigned int)hlen, hash, md,
			                                       (int)hlen, sig);
		return rc == 0 ? MG_JWT_OK : MG_JWT_R_SIG_INVALID;
	} else {
		/* JWS ECDSA signatures are R || S, each the curve's size (RFC 7518 3.4). */
		size_t flen = k->curve == MBEDTLS_ECP_DP_SECP256R1   ? 32
		              : k->curve == MBEDTLS_ECP_DP_SECP384R1 ? 48
		                                                     : 66;
		mbedtls_mpi r, s;

		if (slen != 2 * flen)
			return MG_JWT_R_SIG_FORMAT;
		mbedtls_mpi_init(&r);
		mbedtls_mpi_init(&s);
		rc = mbedtls_mpi_read_binary(&r, sig, flen);
		if (rc == 0)
			rc = mbedtls_mpi_read_binary(&s, sig + flen, flen);
		if (rc == 0)
			rc = mbedtls_ecdsa_verify((mbedtls_ecp_group *)&k->grp, hash, hlen, &k->q,
			                          &r, &s);
		mbedtls_mpi_free(&r);
		mbedtls_mpi_free(&s);
		return rc == 0 ? MG_JWT_OK : MG_JWT_R_SIG_INVALID;
	}
}
