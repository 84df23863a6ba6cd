/*
 * SHA-256 through the x86 SHA extensions (platform/mbedtls/mg_sha256_x86.h, mbedTLS patch
 * 0004): FIPS 180-4 examples, then the same digests from the SHA-NI code and from
 * mbedTLS's C code (mg_sha256_x86_enable(0)) for every length from 0 to 1,100 bytes, fed
 * whole and in random pieces.  On a CPU without the extensions both runs use the C code and
 * the test says so.  MG_SHA256_REPORT=1 prints the speed of both.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mbedtls/sha256.h"

#include "tests/unit/mgtest.h"

#if defined(MG_SHA256_X86)
int mg_sha256_x86_enable(int on);
#else
static int
mg_sha256_x86_enable(int on)
{
	(void)on;
	return 0;
}
#endif

static void
digest_pieces(const uint8_t *m, size_t len, uint8_t out[32], uint32_t *seed)
{
	mbedtls_sha256_context c;
	size_t done = 0;

	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts(&c, 0);
	while (done < len) {
		size_t n;

		*seed = *seed * 1103515245u + 12345u;
		n = (*seed >> 16) % 150;
		if (n > len - done)
			n = len - done;
		mbedtls_sha256_update(&c, m + done, n);
		done += n;
	}
	mbedtls_sha256_finish(&c, out);
	mbedtls_sha256_free(&c);
}

MG_TEST(sha256_x86_fips_examples)
{
	static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
	                                0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
	                                0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
	                                0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	static const uint8_t two_blocks[32] = {0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8,
	                                       0xe5, 0xc0, 0x26, 0x93, 0x0c, 0x3e, 0x60, 0x39,
	                                       0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67,
	                                       0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1};
	static const uint8_t million_a[32] = {0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92,
	                                      0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
	                                      0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e,
	                                      0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
	const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t out[32], *a = malloc(1000000);

	MG_ASSERT(a != NULL);
	memset(a, 'a', 1000000);
	for (int on = 1; on >= 0; on--) {
		MG_CASE("%s", mg_sha256_x86_enable(on) ? "SHA-NI" : "C code");
		MG_ASSERT_EQ_INT(mbedtls_sha256((const uint8_t *)"abc", 3, out, 0), 0);
		MG_EXPECT_MEM(out, abc, 32);
		MG_ASSERT_EQ_INT(mbedtls_sha256((const uint8_t *)m2, strlen(m2), out, 0), 0);
		MG_EXPECT_MEM(out, two_blocks, 32);
		MG_ASSERT_EQ_INT(mbedtls_sha256(a, 1000000, out, 0), 0);
		MG_EXPECT_MEM(out, million_a, 32);
	}
	mg_sha256_x86_enable(1);
	free(a);
}

MG_TEST(sha256_x86_matches_c_code_every_length)
{
	uint8_t m[1100 + 16], x[32], c[32], y[32];
	uint32_t seed = 7, s1, s2;
	int with_ni = mg_sha256_x86_enable(1);

	if (!with_ni)
		printf("sha256_x86: this CPU has no SHA extensions: both runs use the C code\n");
	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 131 + (i >> 7));
	for (size_t len = 0; len <= 1100; len++) {
		size_t off = len % 16; /* unaligned starts too */

		MG_CASE("length %zu", len);
		mg_sha256_x86_enable(1);
		MG_ASSERT_EQ_INT(mbedtls_sha256(m + off, len, x, 0), 0);
		s1 = seed;
		digest_pieces(m + off, len, y, &s1);
		mg_sha256_x86_enable(0);
		MG_ASSERT_EQ_INT(mbedtls_sha256(m + off, len, c, 0), 0);
		MG_ASSERT_MEM(x, c, 32);
		MG_ASSERT_MEM(y, c, 32);
		s2 = seed;
		digest_pieces(m + off, len, y, &s2);
		MG_ASSERT_MEM(y, c, 32);
		seed = s1;
	}
	mg_sha256_x86_enable(1);
}

static double
mb_per_s(const uint8_t *buf, size_t len, int rounds)
{
	struct timespec a, b;
	uint8_t out[32];

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < rounds; i++)
		mbedtls_sha256(buf, len, out, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)len * rounds /
	       ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9) / 1e6;
}

/* On a CPU with the extensions, SHA-NI is at least twice the C code's speed on 600-byte
 * inputs (a JWT's size; 4-6x here).  MG_SHA256_REPORT=1 prints the figures. */
MG_TEST(sha256_x86_is_faster)
{
	static uint8_t buf[600];
	double ni, c, best_ni = 0, best_c = 0;

	if (!mg_sha256_x86_enable(1)) {
		printf("sha256_x86: SKIP speed check: no SHA extensions on this CPU\n");
		return;
	}
	for (int k = 0; k < 5; k++) {
		mg_sha256_x86_enable(1);
		ni = mb_per_s(buf, sizeof(buf), 4000);
		mg_sha256_x86_enable(0);
		c = mb_per_s(buf, sizeof(buf), 4000);
		best_ni = ni > best_ni ? ni : best_ni;
		best_c = c > best_c ? c : best_c;
	}
	mg_sha256_x86_enable(1);
	if (getenv("MG_SHA256_REPORT") != NULL)
		printf("sha256 of 600 bytes: SHA-NI %.0f MB/s (%.2f us), C %.0f MB/s (%.2f us)\n",
		       best_ni, 600 / best_ni, best_c, 600 / best_c);
	MG_EXPECT(best_ni > 2 * best_c);
}
