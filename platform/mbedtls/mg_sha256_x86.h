/*
 * SHA-256 with the x86 SHA extensions (SHA-NI), for mbedTLS.
 *
 * mbedTLS 3.6 has SHA-256 instructions for Armv8 only; on x86-64 it runs its portable C
 * compression function.  Our patch platform/mbedtls/patches/0004-sha256-x86-sha-ni.patch
 * includes this file into library/sha256.c (it is part of that translation unit, not a
 * header for anyone else) and routes mbedtls_internal_sha256_process() and the multi-block
 * path through mg_sha256_x86_blocks() when the CPU has the SHA extensions (CPUID leaf 7,
 * EBX bit 29) and SSE4.1, else through mbedTLS's C code.  Written from the instruction
 * definitions in Intel's SDM: sha256rnds2 does two rounds on the state held as (ABEF, CDGH),
 * sha256msg1 and sha256msg2 compute the message schedule four words at a time.
 *
 * Users: every SHA-256 in the gateway: the JWT verified-token cache key and the RS256/ES256
 * message hashes, TLS 1.3 transcripts and HKDF of SHA-256 suites, HMAC-DRBG, ticket keys.
 * tests/unit/test_sha256_x86.c compares it with the C code (mg_sha256_x86_enable(0)) on
 * every length up to 1,100 bytes and at random offsets, and times both.
 */
#ifndef MG_SHA256_X86_H
#define MG_SHA256_X86_H

#include <cpuid.h>
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

/* -1: not decided yet; 0: the C code; 1: SHA-NI. */
static int mg_sha256_x86_state = -1;

static int
mg_sha256_x86_cpu(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & (1u << 29)) != 0; /* SHA */
}

static inline int
mg_sha256_x86_use(void)
{
	if (__builtin_expect(mg_sha256_x86_state < 0, 0))
		mg_sha256_x86_state = mg_sha256_x86_cpu();
	return mg_sha256_x86_state;
}

/* Selects the code (tests and benchmarks): 0 the C code, 1 SHA-NI if the CPU has it.
 * Returns whether SHA-NI is used from now on. */
int mg_sha256_x86_enable(int on);
int
mg_sha256_x86_enable(int on)
{
	mg_sha256_x86_state = on ? mg_sha256_x86_cpu() : 0;
	return mg_sha256_x86_state;
}

/* One step of the message schedule: the four words W[t..t+3] from the four before them
 * (m0 = W[t-16..t-13], m1 = W[t-12..t-9], m2 = W[t-8..t-5], m3 = W[t-4..t-1]):
 * W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]. */
#define MG_SHA_SCHED(m0, m1, m2, m3)                                                               \
	_mm_sha256msg2_epu32(                                                                      \
	    _mm_add_epi32(_mm_sha256msg1_epu32((m0), (m1)), _mm_alignr_epi8((m3), (m2), 4)), (m3))

/* Four rounds with the words <w> (W[t..t+3]) and the constants K[t..t+3]. */
#define MG_SHA_ROUNDS4(w, t)                                                                       \
	do {                                                                                       \
		__m128i wk_ = _mm_add_epi32((w), _mm_loadu_si128((const __m128i *)&mg_sha_k[t]));  \
		cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk_);                                     \
		abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk_, 0x0e));            \
	} while (0)

static const uint32_t mg_sha_k[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Compresses <n> 64-byte blocks at <p> into <state> (A..H as mbedTLS keeps them). */
__attribute__((target("sha,sse4.1,ssse3"))) static void
mg_sha256_x86_blocks(uint32_t state[8], const unsigned char *p, size_t n)
{
	/* Big-endian words: reverse the bytes of each 32-bit lane. */
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
	__m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
	/* (A,B,C,D), (E,F,G,H) in lanes 0..3 -> abef = lanes (F,E,B,A), cdgh = (H,G,D,C):
	 * sha256rnds2 wants A, B, E, F in lanes 3, 2, 1, 0 of one register. */
	__m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);     /* B,A,D,C */
	__m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);     /* H,G,F,E */
	__m128i abef = _mm_alignr_epi8(cdab, efgh, 8);    /* F,E,B,A */
	__m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xf0); /* H,G,D,C */

	for (; n > 0; n--, p += 64) {
		const __m128i abef0 = abef, cdgh0 = cdgh;
		__m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
		__m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
		__m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
		__m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);

		MG_SHA_ROUNDS4(m0, 0);
		MG_SHA_ROUNDS4(m1, 4);
		MG_SHA_ROUNDS4(m2, 8);
		MG_SHA_ROUNDS4(m3, 12);
		for (int t = 16; t < 64; t += 16) {
			m0 = MG_SHA_SCHED(m0, m1, m2, m3);
			MG_SHA_ROUNDS4(m0, t);
			m1 = MG_SHA_SCHED(m1, m2, m3, m0);
			MG_SHA_ROUNDS4(m1, t + 4);
			m2 = MG_SHA_SCHED(m2, m3, m0, m1);
			MG_SHA_ROUNDS4(m2, t + 8);
			m3 = MG_SHA_SCHED(m3, m0, m1, m2);
			MG_SHA_ROUNDS4(m3, t + 12);
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	/* Back to (A,B,C,D), (E,F,G,H). */
	{
		__m128i feba = _mm_shuffle_epi32(abef, 0x1b); /* A,B,E,F */
		__m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1); /* G,H,C,D */
		dcba = _mm_blend_epi16(feba, dchg, 0xf0);     /* A,B,C,D */
		hgfe = _mm_alignr_epi8(dchg, feba, 8);        /* E,F,G,H */
		_mm_storeu_si128((__m128i *)&state[0], dcba);
		_mm_storeu_si128((__m128i *)&state[4], hgfe);
	}
}

#undef MG_SHA_SCHED
#undef MG_SHA_ROUNDS4

#endif /* MG_SHA256_X86_H */
