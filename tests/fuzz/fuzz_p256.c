/*
 * libFuzzer target: our P-256 signer (platform/mbedtls/mg_p256.c, compiled into this target
 * instrumented) against mbedTLS's generic code (the library, uninstrumented).
 *
 * Input: 32 bytes of scalar k, 32 bytes of private key d, then up to 64 bytes of hash (missing
 * bytes are zero).  Checks k·G against mbedtls_ecp_mul() (k mod n; the point at infinity for
 * k ≡ 0), and that the deterministic signature with d (reduced mod n, 0 taken as 1) is the
 * generic code's, bit for bit, and verifies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#include "platform/mbedtls/mg_p256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* blinding randomness for the generic code: any bytes will do */
static int
fuzz_rng(void *ctx, unsigned char *out, size_t n)
{
	uint64_t *s = ctx;

	for (size_t i = 0; i < n; i++) {
		*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
		out[i] = (unsigned char)(*s >> 56);
	}
	return 0;
}

static void
check(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static mbedtls_ecp_group grp;
	static int ready;
	uint8_t in[128] = {0}, x[32], y[32], pt[65];
	uint64_t seed = 1;
	size_t hlen = size > 64 ? (size > 128 ? 64 : size - 64) : 0, olen;
	mbedtls_mpi m, r1, s1, r2, s2;
	mbedtls_ecp_point R;
	int inf;

	if (!ready) {
		mbedtls_ecp_group_init(&grp);
		check(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0);
		ready = 1;
	}
	memcpy(in, data, size > sizeof(in) ? sizeof(in) : size);
	mbedtls_mpi_init(&m);
	mbedtls_mpi_init(&r1);
	mbedtls_mpi_init(&s1);
	mbedtls_mpi_init(&r2);
	mbedtls_mpi_init(&s2);
	mbedtls_ecp_point_init(&R);

	/* k·G */
	inf = mg_p256_base_mul(x, y, in);
	check(mbedtls_mpi_read_binary(&m, in, 32) == 0);
	check(mbedtls_mpi_mod_mpi(&m, &m, &grp.N) == 0);
	if (mbedtls_mpi_cmp_int(&m, 0) == 0) {
		check(inf == -1);
	} else {
		check(inf == 0);
		check(mbedtls_ecp_mul(&grp, &R, &m, &grp.G, fuzz_rng, &seed) == 0);
		check(mbedtls_ecp_point_write_binary(&grp, &R, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
		                                     pt, sizeof(pt)) == 0);
		check(memcmp(pt + 1, x, 32) == 0 && memcmp(pt + 33, y, 32) == 0);
	}

	/* deterministic signatures, ours and generic */
	check(mbedtls_mpi_read_binary(&m, in + 32, 32) == 0);
	check(mbedtls_mpi_mod_mpi(&m, &m, &grp.N) == 0);
	if (mbedtls_mpi_cmp_int(&m, 0) == 0)
		check(mbedtls_mpi_lset(&m, 1) == 0);
	mg_p256_set_enabled(1);
	check(mbedtls_ecdsa_sign_det_ext(&grp, &r1, &s1, &m, in + 64, hlen, MBEDTLS_MD_SHA256,
	                                 fuzz_rng, &seed) == 0);
	mg_p256_set_enabled(0);
	check(mbedtls_ecdsa_sign_det_ext(&grp, &r2, &s2, &m, in + 64, hlen, MBEDTLS_MD_SHA256,
	                                 fuzz_rng, &seed) == 0);
	check(mbedtls_mpi_cmp_mpi(&r1, &r2) == 0 && mbedtls_mpi_cmp_mpi(&s1, &s2) == 0);
	check(mbedtls_ecp_mul(&grp, &R, &m, &grp.G, fuzz_rng, &seed) == 0);
	check(mbedtls_ecdsa_verify(&grp, in + 64, hlen, &R, &r1, &s1) == 0);

	mbedtls_ecp_point_free(&R);
	mbedtls_mpi_free(&m);
	mbedtls_mpi_free(&r1);
	mbedtls_mpi_free(&s1);
	mbedtls_mpi_free(&r2);
	mbedtls_mpi_free(&s2);
	return 0;
}
