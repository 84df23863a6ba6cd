/*
 * X25519 through PSA, as TLS 1.3 uses it (psa_generate_key, psa_export_public_key,
 * psa_raw_key_agreement): our mbedTLS patch (platform/mbedtls/patches/0001-*) computes the
 * public key with Everest instead of the generic ladder.  Checked against RFC 7748 section 6.1
 * (unclamped private keys: the clamping must happen) and for agreement between fresh keys.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "psa/crypto.h"

#include "tests/unit/mgtest.h"

static const uint8_t alice_priv[32] = {
    0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
    0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a};
static const uint8_t alice_pub[32] = {
    0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
    0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a};
static const uint8_t bob_priv[32] = {
    0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f, 0x8b, 0x83, 0x80, 0x0e, 0xe6,
    0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18, 0xb6, 0xfd, 0x1c, 0x2f, 0x8b, 0x27, 0xff, 0x88, 0xe0, 0xeb};
static const uint8_t bob_pub[32] = {
    0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2, 0xec, 0xe4, 0x35, 0x37,
    0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d, 0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f};
static const uint8_t shared[32] = {0x4a, 0x5d, 0x9d, 0x5b, 0xa4, 0xce, 0x2d, 0xe1, 0x72, 0x8e, 0x3b,
                                   0xf4, 0x80, 0x35, 0x0f, 0x25, 0xe0, 0x7e, 0x21, 0xc9, 0x47, 0xd1,
                                   0x9e, 0x33, 0x76, 0xf0, 0x9b, 0x3c, 0x1e, 0x16, 0x17, 0x42};

static void
x25519_attrs(psa_key_attributes_t *a)
{
	*a = psa_key_attributes_init();
	psa_set_key_type(a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY));
	psa_set_key_bits(a, 255);
	psa_set_key_usage_flags(a, PSA_KEY_USAGE_DERIVE | PSA_KEY_USAGE_EXPORT);
	psa_set_key_algorithm(a, PSA_ALG_ECDH);
}

MG_TEST(tls_x25519_psa_rfc7748_vectors)
{
	psa_key_attributes_t a;
	psa_key_id_t ka = 0, kb = 0;
	uint8_t pub[32], out[32];
	size_t n = 0;
	bool ok = true;

	ok &= MG_EXPECT_EQ_INT(psa_crypto_init(), PSA_SUCCESS);
	x25519_attrs(&a);
	ok &= MG_EXPECT_EQ_INT(psa_import_key(&a, alice_priv, 32, &ka), PSA_SUCCESS);
	ok &= MG_EXPECT_EQ_INT(psa_import_key(&a, bob_priv, 32, &kb), PSA_SUCCESS);
	ok &= MG_EXPECT_EQ_INT(psa_export_public_key(ka, pub, sizeof(pub), &n), PSA_SUCCESS);
	ok &= MG_EXPECT_EQ_UINT(n, 32);
	ok &= MG_EXPECT_MEM(pub, alice_pub, 32);
	ok &= MG_EXPECT_EQ_INT(psa_export_public_key(kb, pub, sizeof(pub), &n), PSA_SUCCESS);
	ok &= MG_EXPECT_MEM(pub, bob_pub, 32);
	ok &= MG_EXPECT_EQ_INT(psa_export_public_key(kb, pub, 31, &n), PSA_ERROR_BUFFER_TOO_SMALL);
	ok &= MG_EXPECT_EQ_INT(psa_raw_key_agreement(PSA_ALG_ECDH, ka, bob_pub, 32, out, 32, &n),
	                       PSA_SUCCESS);
	ok &= MG_EXPECT_MEM(out, shared, 32);
	psa_destroy_key(ka);
	psa_destroy_key(kb);
	(void)ok;
}

MG_TEST(tls_x25519_psa_fresh_keys_agree)
{
	psa_key_attributes_t a;
	psa_key_id_t ka = 0, kb = 0;
	uint8_t pa[32], pb[32], sa[32], sb[32];
	size_t n = 0;
	bool ok = true;
	int i;

	ok &= MG_EXPECT_EQ_INT(psa_crypto_init(), PSA_SUCCESS);
	x25519_attrs(&a);
	for (i = 0; i < 8 && ok; i++) {
		ok &= MG_EXPECT_EQ_INT(psa_generate_key(&a, &ka), PSA_SUCCESS);
		ok &= MG_EXPECT_EQ_INT(psa_generate_key(&a, &kb), PSA_SUCCESS);
		ok &= MG_EXPECT_EQ_INT(psa_export_public_key(ka, pa, 32, &n), PSA_SUCCESS);
		ok &= MG_EXPECT_EQ_INT(psa_export_public_key(kb, pb, 32, &n), PSA_SUCCESS);
		ok &= MG_EXPECT_EQ_INT(psa_raw_key_agreement(PSA_ALG_ECDH, ka, pb, 32, sa, 32, &n),
		                       PSA_SUCCESS);
		ok &= MG_EXPECT_EQ_INT(psa_raw_key_agreement(PSA_ALG_ECDH, kb, pa, 32, sb, 32, &n),
		                       PSA_SUCCESS);
		ok &= MG_EXPECT_MEM(sa, sb, 32);
		psa_destroy_key(ka);
		psa_destroy_key(kb);
	}
	(void)ok;
}

/* The point of the patch: an X25519 key share (generate + export) costs about one scalar
 * multiplication of Everest's, not one of the generic ladder.  MG_TLS_X25519_REPORT=1 prints
 * the rate; the bound is loose (sanitizers, a busy machine). */
MG_TEST(tls_x25519_psa_key_share_is_fast)
{
	psa_key_attributes_t a;
	psa_key_id_t k = 0;
	uint8_t p[32];
	size_t n = 0;
	struct timespec t0, t1;
	double secs;
	int i, iters = 200;
	bool ok = true;

	ok &= MG_EXPECT_EQ_INT(psa_crypto_init(), PSA_SUCCESS);
	x25519_attrs(&a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < iters && ok; i++) {
		ok &= MG_EXPECT_EQ_INT(psa_generate_key(&a, &k), PSA_SUCCESS);
		ok &= MG_EXPECT_EQ_INT(psa_export_public_key(k, p, 32, &n), PSA_SUCCESS);
		psa_destroy_key(k);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (getenv("MG_TLS_X25519_REPORT") != NULL)
		fprintf(stderr, "x25519 key shares: %.0f/s\n", iters / secs);
	ok &= MG_EXPECT(secs < 2.0);
	(void)ok;
}
