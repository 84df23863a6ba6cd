/*
 * Our P-256 signer (platform/mbedtls/mg_p256.c, hooked into mbedTLS's ecdsa.c by patch 0003):
 * RFC 6979 A.2.5 vectors, k·G against mbedtls_ecp_mul() for random and edge scalars,
 * signatures against mbedTLS's generic code (deterministic: bit for bit; random nonce: the same
 * signature from the same generator state; all verified by mbedtls_ecdsa_verify()), a TLS 1.3
 * and a TLS 1.2 handshake with a P-256 server key counting fast signatures, and the speed
 * (MG_P256_REPORT=1 prints signatures/s, ours and generic).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>

#include "platform/mbedtls/mg_p256.h"
#include "tests/tls/mg_tls_test.h"
#include "tests/unit/mgtest.h"

/* A small deterministic generator for the tests (xorshift64*): reproducible failures. */
struct trng {
	uint64_t s;
};

static int
trng_fill(void *ctx, unsigned char *out, size_t n)
{
	struct trng *t = ctx;

	for (size_t i = 0; i < n; i++) {
		t->s ^= t->s >> 12;
		t->s ^= t->s << 25;
		t->s ^= t->s >> 27;
		out[i] = (unsigned char)((t->s * 0x2545f4914f6cdd1dULL) >> 56);
	}
	return 0;
}

static void
unhex(uint8_t *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static bool
mpi_is(const mbedtls_mpi *x, const char *hex)
{
	uint8_t a[32], b[32];

	unhex(b, hex, 32);
	return mbedtls_mpi_write_binary(x, a, 32) == 0 && memcmp(a, b, 32) == 0;
}

MG_TEST(p256_rfc6979_a25_vectors)
{
	static const struct {
		const char *msg, *r, *s;
	} v[] = {
	    {"sample", "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
	     "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"},
	    {"test", "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
	     "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"},
	};
	uint8_t dk[32], ux[32], uy[32], x[32], y[32], h[32];
	mbedtls_ecp_group grp;
	mbedtls_mpi d, r, s;
	struct trng rng = {42};
	unsigned long n0;

	mg_p256_set_enabled(1);
	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	MG_ASSERT_EQ_INT(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1), 0);
	unhex(dk, "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721", 32);
	unhex(ux, "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6", 32);
	unhex(uy, "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299", 32);
	MG_ASSERT_EQ_INT(mbedtls_mpi_read_binary(&d, dk, 32), 0);
	MG_EXPECT_EQ_INT(mg_p256_base_mul(x, y, dk), 0);
	MG_EXPECT_MEM(x, ux, 32);
	MG_EXPECT_MEM(y, uy, 32);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		MG_CASE("%s", v[i].msg);
		MG_ASSERT_EQ_INT(
		    mbedtls_sha256((const unsigned char *)v[i].msg, strlen(v[i].msg), h, 0), 0);
		n0 = mg_p256_sign_count();
		MG_EXPECT_EQ_INT(mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &d, h, 32,
		                                            MBEDTLS_MD_SHA256, trng_fill, &rng),
		                 0);
		MG_EXPECT_EQ_UINT(mg_p256_sign_count(), n0 + 1);
		MG_EXPECT(mpi_is(&r, v[i].r));
		MG_EXPECT(mpi_is(&s, v[i].s));
	}
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_ecp_group_free(&grp);
}

/* k·G by mg_p256_base_mul() and by mbedtls_ecp_mul() (k mod n; infinity for k ≡ 0). */
static bool
check_base_mul(mbedtls_ecp_group *grp, const uint8_t k[32], struct trng *rng)
{
	uint8_t x[32], y[32], ex[32] = {0}, ey[32] = {0};
	mbedtls_mpi m;
	mbedtls_ecp_point R;
	int inf, ret;
	bool ok = true;

	mbedtls_mpi_init(&m);
	mbedtls_ecp_point_init(&R);
	inf = mg_p256_base_mul(x, y, k);
	ok &= mbedtls_mpi_read_binary(&m, k, 32) == 0;
	ok &= mbedtls_mpi_mod_mpi(&m, &m, &grp->N) == 0;
	if (mbedtls_mpi_cmp_int(&m, 0) == 0) {
		ok &= MG_EXPECT_EQ_INT(inf, -1);
	} else {
		ret = mbedtls_ecp_mul(grp, &R, &m, &grp->G, trng_fill, rng);
		ok &= MG_EXPECT_EQ_INT(ret, 0);
		uint8_t pt[65];
		size_t olen = 0;

		ok &= mbedtls_ecp_point_write_binary(grp, &R, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
		                                     pt, sizeof(pt)) == 0 &&
		      olen == 65;
		memcpy(ex, pt + 1, 32);
		memcpy(ey, pt + 33, 32);
		ok &= MG_EXPECT_EQ_INT(inf, 0);
		ok &= MG_EXPECT_MEM(x, ex, 32);
		ok &= MG_EXPECT_MEM(y, ey, 32);
	}
	mbedtls_mpi_free(&m);
	mbedtls_ecp_point_free(&R);
	return ok;
}

/* k = n + delta (delta small, signed), big-endian */
static void
n_plus(uint8_t k[32], const mbedtls_ecp_group *grp, int delta)
{
	mbedtls_mpi m;

	mbedtls_mpi_init(&m);
	mbedtls_mpi_copy(&m, &grp->N);
	if (delta >= 0)
		mbedtls_mpi_add_int(&m, &m, delta);
	else
		mbedtls_mpi_sub_int(&m, &m, -delta);
	mbedtls_mpi_write_binary(&m, k, 32);
	mbedtls_mpi_free(&m);
}

MG_TEST(p256_base_mul_matches_ecp_mul)
{
	static const int small[] = {1, 2, 3, 4, 5, 63, 64, 65, 127, 128, 129, 255, 256};
	static const int near_n[] = {-1, -2, -3, -64, -65, -128, 0, 1, 2};
	mbedtls_ecp_group grp;
	struct trng rng = {0x9e3779b97f4a7c15ULL};
	uint8_t k[32];
	bool ok = true;
	int i;

	mbedtls_ecp_group_init(&grp);
	MG_ASSERT_EQ_INT(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1), 0);
	for (i = 0; i < (int)(sizeof(small) / sizeof(small[0])) && ok; i++) {
		MG_CASE("k = %d", small[i]);
		memset(k, 0, 32);
		k[31] = (uint8_t)small[i];
		k[30] = (uint8_t)(small[i] >> 8);
		ok &= check_base_mul(&grp, k, &rng);
	}
	for (i = 0; i < (int)(sizeof(near_n) / sizeof(near_n[0])) && ok; i++) {
		MG_CASE("k = n%+d", near_n[i]);
		n_plus(k, &grp, near_n[i]);
		ok &= check_base_mul(&grp, k, &rng);
	}
	/* 2^j for every j (each window boundary), 2^j - 1 (2^128 - 1, 2^256 - 1 among them) */
	for (i = 0; i < 256 && ok; i++) {
		MG_CASE("k = 2^%d and 2^%d - 1", i, i + 1);
		memset(k, 0, 32);
		k[31 - i / 8] = (uint8_t)(1u << (i % 8));
		ok &= check_base_mul(&grp, k, &rng);
		memset(k, 0, 32);
		for (int b = 0; b <= i; b++)
			k[31 - b / 8] |= (uint8_t)(1u << (b % 8));
		ok &= check_base_mul(&grp, k, &rng);
	}
	/* every window 64 (largest digit, no carry), 65 (carries all the way), 127, 128 - 1 */
	for (int pat = 0; pat < 4 && ok; pat++) {
		static const unsigned int w[] = {64, 65, 127, 1};

		MG_CASE("all windows %u", w[pat]);
		memset(k, 0, 32);
		for (int b = 0; b < 256; b++)
			if ((w[pat] >> (b % 7)) & 1)
				k[31 - b / 8] |= (uint8_t)(1u << (b % 8));
		ok &= check_base_mul(&grp, k, &rng);
	}
	for (i = 0; i < 300 && ok; i++) {
		MG_CASE("random scalar %d", i);
		trng_fill(&rng, k, 32);
		ok &= check_base_mul(&grp, k, &rng);
	}
	mbedtls_ecp_group_free(&grp);
}

/* One (key, hash) pair: ours and the generic code, deterministic and with a random nonce. */
static bool
compare_sign(mbedtls_ecp_group *grp, const mbedtls_mpi *d, const mbedtls_ecp_point *Q,
             const uint8_t *h, size_t hlen, struct trng *rng, bool random_too)
{
	mbedtls_mpi r1, s1, r2, s2;
	struct trng a, b;
	bool ok = true;

	mbedtls_mpi_init(&r1);
	mbedtls_mpi_init(&s1);
	mbedtls_mpi_init(&r2);
	mbedtls_mpi_init(&s2);
	mg_p256_set_enabled(1);
	ok &= MG_EXPECT_EQ_INT(mbedtls_ecdsa_sign_det_ext(grp, &r1, &s1, d, h, hlen,
	                                                  MBEDTLS_MD_SHA256, trng_fill, rng),
	                       0);
	mg_p256_set_enabled(0);
	ok &= MG_EXPECT_EQ_INT(mbedtls_ecdsa_sign_det_ext(grp, &r2, &s2, d, h, hlen,
	                                                  MBEDTLS_MD_SHA256, trng_fill, rng),
	                       0);
	ok &= MG_EXPECT(mbedtls_mpi_cmp_mpi(&r1, &r2) == 0 && mbedtls_mpi_cmp_mpi(&s1, &s2) == 0);
	ok &= MG_EXPECT_EQ_INT(mbedtls_ecdsa_verify(grp, h, hlen, Q, &r1, &s1), 0);
	if (random_too) {
		/* the same generator state: the same k, so the same signature */
		a = *rng;
		b = *rng;
		trng_fill(rng, (unsigned char[8]){0}, 8);
		mg_p256_set_enabled(1);
		ok &= MG_EXPECT_EQ_INT(mbedtls_ecdsa_sign(grp, &r1, &s1, d, h, hlen, trng_fill, &a),
		                       0);
		mg_p256_set_enabled(0);
		ok &= MG_EXPECT_EQ_INT(mbedtls_ecdsa_sign(grp, &r2, &s2, d, h, hlen, trng_fill, &b),
		                       0);
		ok &= MG_EXPECT(mbedtls_mpi_cmp_mpi(&r1, &r2) == 0 &&
		                mbedtls_mpi_cmp_mpi(&s1, &s2) == 0);
		ok &= MG_EXPECT_EQ_INT(mbedtls_ecdsa_verify(grp, h, hlen, Q, &r1, &s1), 0);
	}
	mg_p256_set_enabled(1);
	mbedtls_mpi_free(&r1);
	mbedtls_mpi_free(&s1);
	mbedtls_mpi_free(&r2);
	mbedtls_mpi_free(&s2);
	return ok;
}

MG_TEST(p256_signatures_match_generic_code)
{
	mbedtls_ecp_group grp;
	mbedtls_mpi d;
	mbedtls_ecp_point Q;
	struct trng rng = {0x0123456789abcdefULL};
	uint8_t h[64], dk[32];
	bool ok = true;
	int i;

	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_ecp_point_init(&Q);
	MG_ASSERT_EQ_INT(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1), 0);
	for (i = 0; i < 2000 && ok; i++) {
		/* hash lengths 32 (mostly), 20, 48 and 64; some hashes above n (all 0xff) */
		size_t hlen = i % 7 == 1 ? 20 : i % 7 == 2 ? 48 : i % 7 == 3 ? 64 : 32;

		MG_CASE("pair %d (hash of %zu bytes)", i, hlen);
		if (i % 3 == 0) {     /* a new key every third pair */
			if (i == 3) { /* and the edge keys 1 and n - 1 */
				ok &= mbedtls_mpi_lset(&d, 1) == 0;
			} else if (i == 6) {
				ok &= mbedtls_mpi_sub_int(&d, &grp.N, 1) == 0;
			} else {
				ok &= mbedtls_ecp_gen_privkey(&grp, &d, trng_fill, &rng) == 0;
			}
			ok &= mbedtls_ecp_mul(&grp, &Q, &d, &grp.G, trng_fill, &rng) == 0;
			ok &= mbedtls_mpi_write_binary(&d, dk, 32) == 0;
		}
		trng_fill(&rng, h, sizeof(h));
		if (i % 50 == 7)
			memset(h, 0xff, sizeof(h));
		if (i % 50 == 9)
			memset(h, 0, sizeof(h));
		ok &= compare_sign(&grp, &d, &Q, h, hlen, &rng, i % 10 == 0);
	}
	MG_EXPECT(ok);
	mbedtls_ecp_point_free(&Q);
	mbedtls_mpi_free(&d);
	mbedtls_ecp_group_free(&grp);
}

/* The TLS server's CertificateVerify (1.3) and ServerKeyExchange (1.2) with the P-256 key of
 * a.example.com go through our signer; with it off, through the generic code. */
MG_TEST(p256_tls_handshakes_sign_with_it)
{
	static const struct {
		enum mg_tls_version max;
		int fast;
	} cases[] = {
	    {MG_TLS_VERSION_DEFAULT, 1},
	    {MG_TLS_VERSION_1_2, 1},
	    {MG_TLS_VERSION_DEFAULT, 0},
	};
	struct mg_tls_server *s;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	MG_ASSERT(s != NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_tls_client_conf cc = {.max_version = cases[i].max};
		struct tls_pair *p = tls_pair_new();
		struct mg_tls_client *c = tls_std_client(&cc);
		struct mg_tls_conn_info si;
		unsigned long n0 = mg_p256_sign_count();

		MG_CASE("case %zu", i);
		MG_ASSERT(c != NULL && p != NULL);
		mg_p256_set_enabled(cases[i].fast);
		MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
		MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);
		MG_EXPECT_EQ_INT(mg_tls_conn_info(p->srv, &si), 0);
		MG_EXPECT_STR(si.version,
		              cases[i].max == MG_TLS_VERSION_1_2 ? "TLSv1.2" : "TLSv1.3");
		MG_EXPECT(tls_transfer(p, true, 100));
		/* one signature per full handshake by the server (the client signs nothing) */
		MG_EXPECT_EQ_UINT(mg_p256_sign_count() - n0, cases[i].fast ? 1 : 0);
		mg_p256_set_enabled(1);
		tls_pair_free(p);
		mg_tls_client_free(c);
	}
	mg_tls_server_free(s);
}

static double
sign_rate(mbedtls_ecdsa_context *key, int iters, struct trng *rng)
{
	unsigned char sig[MBEDTLS_ECDSA_MAX_LEN], h[32];
	struct timespec t0, t1;
	size_t n;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (int i = 0; i < iters; i++) {
		h[0] = (unsigned char)i;
		if (mbedtls_ecdsa_write_signature(key, MBEDTLS_MD_SHA256, h, 32, sig, sizeof(sig),
		                                  &n, trng_fill, rng) != 0)
			return 0;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	return iters / ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* Deterministic signatures as TLS makes them (mbedtls_ecdsa_write_signature).
 * MG_P256_REPORT=1 prints the rates, per second of this process's CPU time (the machine is
 * shared); the check is only that ours is faster (sanitizers, a
 * busy machine). */
MG_TEST(p256_sign_speed)
{
	mbedtls_ecdsa_context key;
	struct trng rng = {7};
	double fast, generic;

	mbedtls_ecdsa_init(&key);
	MG_ASSERT_EQ_INT(mbedtls_ecdsa_genkey(&key, MBEDTLS_ECP_DP_SECP256R1, trng_fill, &rng), 0);
	mg_p256_init();
	mg_p256_set_enabled(1);
	fast = sign_rate(&key, 2000, &rng);
	mg_p256_set_enabled(0);
	generic = sign_rate(&key, 200, &rng);
	mg_p256_set_enabled(1);
	if (getenv("MG_P256_REPORT") != NULL)
		fprintf(
		    stderr,
		    "P-256 signatures: %.0f/s (%.1f us) ours, %.0f/s (%.1f us) generic, %.1fx\n",
		    fast, 1e6 / fast, generic, 1e6 / generic, fast / generic);
	MG_EXPECT(fast > 0 && generic > 0);
	MG_EXPECT(fast > generic);
	mbedtls_ecdsa_free(&key);
}
