/*
 * AES-GCM bulk encryption and decryption with AES-NI and PCLMULQDQ (mg_gcm_x86.h has the
 * contract; library/gcm.c calls it through our patch 0007).
 *
 * GHASH works on byte-reflected blocks (PSHUFB with the byte-reversal mask): then a field
 * element's polynomial coefficients sit in the bit order PCLMULQDQ multiplies, except that the
 * 255-bit product of two reflected operands comes out one bit short, so it is shifted left by
 * one before the reduction (Gueron and Kounavis).  Eight blocks C_1..C_8 fold into the state X
 * as X' = (X + C_1)·H^8 + C_2·H^7 + ... + C_8·H: the eight products are summed unreduced
 * (256 bits, Karatsuba's three multiplications each) and reduced once.
 */
#include "mg_gcm_x86.h"

#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

#define MG_GCM_TARGET __attribute__((target("aes,pclmul,ssse3")))
#define MG_GCM_INLINE MG_GCM_TARGET __attribute__((always_inline)) static inline
/* The 256-bit path: VAES and VPCLMULQDQ do two blocks an instruction (Intel since Ice Lake,
 * AMD since Zen 3). */
#define MG_GCM_TARGET_V __attribute__((target("aes,pclmul,ssse3,avx,avx2,vaes,vpclmulqdq")))
#define MG_GCM_INLINE_V MG_GCM_TARGET_V __attribute__((always_inline)) static inline

/* -1: not decided yet; 0: mbedTLS's code; 1: AES-NI and PCLMULQDQ on 128-bit registers;
 * 2: VAES and VPCLMULQDQ on 256-bit ones. */
static int mg_gcm_x86_state = -1;

static int
mg_gcm_x86_cpu(void)
{
	unsigned int a, b, c, d, xcr0_lo, xcr0_hi;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_AES) || !(c & bit_PCLMUL) || !(c & bit_SSSE3) || !(d & bit_SSE2))
		return 0;
	/* 256-bit registers: the CPU has AVX and the OS saves their state (XCR0 bits 1, 2) */
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX))
		return 1;
	__asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
	if ((xcr0_lo & 6) != 6 || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 1;
	return (b & bit_AVX2) && (c & bit_VAES) && (c & bit_VPCLMULQDQ) ? 2 : 1;
}

int
mg_gcm_x86_use(void)
{
	if (__builtin_expect(mg_gcm_x86_state < 0, 0))
		mg_gcm_x86_state = mg_gcm_x86_cpu();
	return mg_gcm_x86_state;
}

int
mg_gcm_x86_enable(int level)
{
	int best = mg_gcm_x86_cpu();

	mg_gcm_x86_state = level < best ? level : best;
	return mg_gcm_x86_state;
}

/* Reverses the 16 bytes of a block: GCM's byte order <-> the reflected one. */
MG_GCM_INLINE __m128i
mg_bswap(__m128i v)
{
	return _mm_shuffle_epi8(v,
	                        _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/*
 * The field element whose reflected, unreduced 256-bit product is <hi>:<lo>: the product
 * shifted left by one bit, then reduced modulo x^128 + x^7 + x^2 + x + 1 (in the reflected
 * order: the low 128 bits folded into the high ones).
 */
MG_GCM_INLINE __m128i
mg_reduce(__m128i lo, __m128i hi)
{
	__m128i c_lo, c_hi, a, b, t;

	/* hi:lo <<= 1 (across the four 32-bit lanes and the two halves) */
	c_lo = _mm_srli_epi32(lo, 31);
	c_hi = _mm_srli_epi32(hi, 31);
	lo = _mm_slli_epi32(lo, 1);
	hi = _mm_slli_epi32(hi, 1);
	hi = _mm_or_si128(hi, _mm_slli_si128(c_hi, 4));
	hi = _mm_or_si128(hi, _mm_srli_si128(c_lo, 12));
	lo = _mm_or_si128(lo, _mm_slli_si128(c_lo, 4));

	/* first phase: lo times x^127 + x^126 + x^121 */
	a = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
	                  _mm_slli_epi32(lo, 25));
	b = _mm_srli_si128(a, 4);
	lo = _mm_xor_si128(lo, _mm_slli_si128(a, 12));
	/* second phase */
	t = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
	                  _mm_srli_epi32(lo, 7));
	t = _mm_xor_si128(_mm_xor_si128(t, b), lo);
	return _mm_xor_si128(hi, t);
}

/* a·b of two reflected elements, schoolbook (for the key setup only). */
MG_GCM_INLINE __m128i
mg_gfmul(__m128i a, __m128i b)
{
	__m128i lo = _mm_clmulepi64_si128(a, b, 0x00);
	__m128i hi = _mm_clmulepi64_si128(a, b, 0x11);
	__m128i mid =
	    _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10));

	lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
	hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
	return mg_reduce(lo, hi);
}

MG_GCM_TARGET void
mg_gcm_x86_setkey(unsigned char *htab)
{
	__m128i h = mg_bswap(_mm_loadu_si128((const __m128i *)(htab + 16 * MG_GCM_X86_H_SLOT)));
	__m128i p[8], k;

	p[0] = h;
	for (int i = 1; i < 8; i++)
		p[i] = mg_gfmul(p[i - 1], h);
	for (int i = 0; i < 8; i++)
		_mm_storeu_si128((__m128i *)(htab + 16 * i), p[i]);
	for (int i = 0; i < 4; i++) {
		/* low half: H^(2i+1)'s halves XORed; high half: H^(2i+2)'s */
		k = _mm_unpacklo_epi64(
		    _mm_xor_si128(p[2 * i], _mm_srli_si128(p[2 * i], 8)),
		    _mm_xor_si128(p[2 * i + 1], _mm_srli_si128(p[2 * i + 1], 8)));
		_mm_storeu_si128((__m128i *)(htab + 16 * (9 + i)), k);
	}
}

/* The keys of the power H^<p> (1..8): the reflected power and its Karatsuba slot. */
#define MG_HPOW(htab, p) _mm_loadu_si128((const __m128i *)((htab) + 16 * ((p)-1)))
#define MG_HKAR(htab, p) _mm_loadu_si128((const __m128i *)((htab) + 16 * (9 + ((p)-1) / 2)))

/* Adds c·H^p (reflected c) to the unreduced sums lo, hi, mid (Karatsuba's middle term before
 * the lo and hi terms are taken out of it). */
#define MG_GHASH_ACC(c, htab, p, lo, hi, mid)                                                      \
	do {                                                                                       \
		__m128i h_ = MG_HPOW(htab, p);                                                     \
		__m128i ck_ = _mm_xor_si128((c), _mm_shuffle_epi32((c), 0x4e));                    \
		(lo) = _mm_xor_si128((lo), _mm_clmulepi64_si128((c), h_, 0x00));                   \
		(hi) = _mm_xor_si128((hi), _mm_clmulepi64_si128((c), h_, 0x11));                   \
		if ((((p)-1) & 1) == 0)                                                            \
			(mid) = _mm_xor_si128((mid),                                               \
			                      _mm_clmulepi64_si128(ck_, MG_HKAR(htab, p), 0x00));  \
		else                                                                               \
			(mid) = _mm_xor_si128((mid),                                               \
			                      _mm_clmulepi64_si128(ck_, MG_HKAR(htab, p), 0x10));  \
	} while (0)

/*
 * <m> blocks (1..8; a constant where it is called for speed): counter blocks ctr+1..ctr+m
 * (<ctr> byte-reflected, so the counter is its low 32-bit lane) through AES, XORed with
 * <in>, into <out>; the ciphertext folded into <x> (reflected).  <dec> says which side the
 * ciphertext is on.
 */
MG_GCM_INLINE void
mg_gcm_group(const __m128i *k, int nr, const unsigned char *htab, __m128i *ctr, __m128i *x,
             const unsigned char *in, unsigned char *out, int m, int dec)
{
	const __m128i one = _mm_set_epi32(0, 0, 0, 1);
	__m128i b[8], c[8], lo, hi, mid;
	int i, r;

	for (i = 0; i < m; i++) {
		*ctr = _mm_add_epi32(*ctr, one);
		b[i] = _mm_xor_si128(mg_bswap(*ctr), _mm_loadu_si128(&k[0]));
	}
	for (r = 1; r < nr; r++)
		for (i = 0; i < m; i++)
			b[i] = _mm_aesenc_si128(b[i], _mm_loadu_si128(&k[r]));
	for (i = 0; i < m; i++) {
		__m128i p = _mm_loadu_si128((const __m128i *)(in + 16 * i));

		b[i] = _mm_xor_si128(_mm_aesenclast_si128(b[i], _mm_loadu_si128(&k[nr])), p);
		c[i] = mg_bswap(dec ? p : b[i]);
	}
	for (i = 0; i < m; i++)
		_mm_storeu_si128((__m128i *)(out + 16 * i), b[i]);

	c[0] = _mm_xor_si128(c[0], *x);
	lo = hi = mid = _mm_setzero_si128();
	for (i = 0; i < m; i++)
		MG_GHASH_ACC(c[i], htab, m - i, lo, hi, mid);
	mid = _mm_xor_si128(mid, _mm_xor_si128(lo, hi));
	lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
	hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
	*x = mg_reduce(lo, hi);
}

/*
 * Eight blocks as mg_gcm_group() does them, two to a 256-bit register: <hp>[j] holds the
 * powers of H for blocks 2j and 2j + 1 (H^(8-2j) in the low lane, H^(7-2j) in the high one),
 * <hk>[j] their Karatsuba halves.
 */
MG_GCM_INLINE_V void
mg_gcm_group8_v(const __m128i *k, int nr, const __m256i *hp, const __m256i *hk, __m128i *ctr,
                __m128i *x, const unsigned char *in, unsigned char *out, int dec)
{
	const __m256i bsw = _mm256_broadcastsi128_si256(
	    _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
	const __m256i c0 = _mm256_broadcastsi128_si256(*ctr);
	__m256i b[4], c[4], key, lo, hi, mid;
	__m128i l, h, m;
	int j, r;

	key = _mm256_broadcastsi128_si256(_mm_loadu_si128(&k[0]));
	for (j = 0; j < 4; j++) {
		__m256i inc = _mm256_set_epi32(0, 0, 0, 2 * j + 2, 0, 0, 0, 2 * j + 1);

		b[j] = _mm256_xor_si256(_mm256_shuffle_epi8(_mm256_add_epi32(c0, inc), bsw), key);
	}
	*ctr = _mm_add_epi32(*ctr, _mm_set_epi32(0, 0, 0, 8));
	for (r = 1; r < nr; r++) {
		key = _mm256_broadcastsi128_si256(_mm_loadu_si128(&k[r]));
		for (j = 0; j < 4; j++)
			b[j] = _mm256_aesenc_epi128(b[j], key);
	}
	key = _mm256_broadcastsi128_si256(_mm_loadu_si128(&k[nr]));
	for (j = 0; j < 4; j++) {
		__m256i p = _mm256_loadu_si256((const __m256i *)(in + 32 * j));

		b[j] = _mm256_xor_si256(_mm256_aesenclast_epi128(b[j], key), p);
		c[j] = _mm256_shuffle_epi8(dec ? p : b[j], bsw);
	}
	for (j = 0; j < 4; j++)
		_mm256_storeu_si256((__m256i *)(out + 32 * j), b[j]);

	c[0] = _mm256_xor_si256(c[0], _mm256_inserti128_si256(_mm256_setzero_si256(), *x, 0));
	lo = hi = mid = _mm256_setzero_si256();
	for (j = 0; j < 4; j++) {
		__m256i ck = _mm256_xor_si256(c[j], _mm256_shuffle_epi32(c[j], 0x4e));

		lo = _mm256_xor_si256(lo, _mm256_clmulepi64_epi128(c[j], hp[j], 0x00));
		hi = _mm256_xor_si256(hi, _mm256_clmulepi64_epi128(c[j], hp[j], 0x11));
		mid = _mm256_xor_si256(mid, _mm256_clmulepi64_epi128(ck, hk[j], 0x00));
	}
	l = _mm_xor_si128(_mm256_castsi256_si128(lo), _mm256_extracti128_si256(lo, 1));
	h = _mm_xor_si128(_mm256_castsi256_si128(hi), _mm256_extracti128_si256(hi, 1));
	m = _mm_xor_si128(_mm256_castsi256_si128(mid), _mm256_extracti128_si256(mid, 1));
	m = _mm_xor_si128(m, _mm_xor_si128(l, h));
	l = _mm_xor_si128(l, _mm_slli_si128(m, 8));
	h = _mm_xor_si128(h, _mm_srli_si128(m, 8));
	*x = mg_reduce(l, h);
}

/* Zeroes <n> bytes at <p> with stores the compiler cannot drop. */
static void
mg_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

/* The fewer than eight blocks after the groups of eight: one of four, then one at a time. */
MG_GCM_INLINE void
mg_gcm_tail(const __m128i *k, int nr, const unsigned char *htab, __m128i *ctr, __m128i *xs,
            const unsigned char *in, unsigned char *out, size_t n, int dec)
{
	if (n >= 4) {
		mg_gcm_group(k, nr, htab, ctr, xs, in, out, 4, dec);
		n -= 4, in += 64, out += 64;
	}
	for (; n > 0; n--, in += 16, out += 16)
		mg_gcm_group(k, nr, htab, ctr, xs, in, out, 1, dec);
}

/* The blocks of mg_gcm_x86_crypt() with groups of eight in 256-bit registers; inlined with
 * <dec> a constant, so that each direction gets code of its own. */
MG_GCM_INLINE_V void
mg_gcm_blocks_v(const __m128i *k, int nr, const unsigned char *htab, const __m256i *hp,
                const __m256i *hk, __m128i *ctr, __m128i *xs, const unsigned char *in,
                unsigned char *out, size_t n, int dec)
{
	for (; n >= 8; n -= 8, in += 128, out += 128)
		mg_gcm_group8_v(k, nr, hp, hk, ctr, xs, in, out, dec);
	mg_gcm_tail(k, nr, htab, ctr, xs, in, out, n, dec);
}

/* The body of mg_gcm_x86_crypt() with groups of eight in 256-bit registers.  The powers of H
 * paired up for it live on the stack during the call and are wiped after. */
MG_GCM_TARGET_V static void
mg_gcm_crypt_v(const __m128i *k, int nr, const unsigned char *htab, __m128i *ctr, __m128i *xs,
               const unsigned char *in, unsigned char *out, size_t n, int dec)
{
	__m256i hp[4], hk[4];

	for (int j = 0; j < 4; j++) {
		hp[j] = _mm256_set_m128i(MG_HPOW(htab, 7 - 2 * j), MG_HPOW(htab, 8 - 2 * j));
		hk[j] = _mm256_xor_si256(hp[j], _mm256_shuffle_epi32(hp[j], 0x4e));
	}
	if (dec)
		mg_gcm_blocks_v(k, nr, htab, hp, hk, ctr, xs, in, out, n, 1);
	else
		mg_gcm_blocks_v(k, nr, htab, hp, hk, ctr, xs, in, out, n, 0);
	mg_wipe(hp, sizeof(hp));
	mg_wipe(hk, sizeof(hk));
}

/* The same with 128-bit registers. */
MG_GCM_INLINE void
mg_gcm_blocks_x(const __m128i *k, int nr, const unsigned char *htab, __m128i *ctr, __m128i *xs,
                const unsigned char *in, unsigned char *out, size_t n, int dec)
{
	for (; n >= 8; n -= 8, in += 128, out += 128)
		mg_gcm_group(k, nr, htab, ctr, xs, in, out, 8, dec);
	mg_gcm_tail(k, nr, htab, ctr, xs, in, out, n, dec);
}

MG_GCM_TARGET static void
mg_gcm_crypt_x(const __m128i *k, int nr, const unsigned char *htab, __m128i *ctr, __m128i *xs,
               const unsigned char *in, unsigned char *out, size_t n, int dec)
{
	if (dec)
		mg_gcm_blocks_x(k, nr, htab, ctr, xs, in, out, n, 1);
	else
		mg_gcm_blocks_x(k, nr, htab, ctr, xs, in, out, n, 0);
}

MG_GCM_TARGET size_t
mg_gcm_x86_crypt(const unsigned char *rk, int nr, const unsigned char *htab, unsigned char y[16],
                 unsigned char x[16], const unsigned char *in, unsigned char *out, size_t nblocks,
                 int decrypt)
{
	/* The round keys stay where they are: no copy of them is left on the stack. */
	const __m128i *k = (const __m128i *)rk;
	__m128i ctr, xs;

	if (nr != 10 && nr != 12 && nr != 14)
		return 0;
	ctr = mg_bswap(_mm_loadu_si128((const __m128i *)y));
	xs = mg_bswap(_mm_loadu_si128((const __m128i *)x));
	if (mg_gcm_x86_use() == 2)
		mg_gcm_crypt_v(k, nr, htab, &ctr, &xs, in, out, nblocks, decrypt);
	else
		mg_gcm_crypt_x(k, nr, htab, &ctr, &xs, in, out, nblocks, decrypt);
	_mm_storeu_si128((__m128i *)y, mg_bswap(ctr));
	_mm_storeu_si128((__m128i *)x, mg_bswap(xs));
	return 16 * nblocks;
}
