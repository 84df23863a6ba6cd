/*
 * ECDSA P-256 signing for mbedTLS, fast and constant time (see mg_p256.h for where it is
 * hooked and how to turn it off).
 *
 * Field and scalar arithmetic: 4 × 64-bit limbs, little-endian, Montgomery multiplication
 * (CIOS, unsigned __int128 products) and squaring modulo p and modulo n; additions and
 * subtractions as adc/sbb chains.  Every value is kept fully reduced (< modulus) after each
 * operation, and every reduction is a masked select, never a branch.
 *
 * Points: homogeneous projective coordinates (X : Y : Z), x = X/Z, y = Y/Z, and the complete
 * addition formulas of Renes, Costello and Batina ("Complete addition formulas for prime order
 * elliptic curves", EUROCRYPT 2016, algorithms 4 and 5 for a = -3), written here from the
 * paper.  They are correct for every pair of input points of a prime-order curve in short
 * Weierstrass form (P-256 has prime order n, cofactor 1): P + Q with P = Q, P = -Q, P or Q the
 * point at infinity (0 : 1 : 0) all come out right, so no input needs a special case.  The mixed
 * form (algorithm 5) takes Q in affine coordinates and is complete as long as Q is a point of the
 * curve, i.e. not the point at infinity, which has no affine form: see base_mul() for how the
 * zero digits are dealt with.
 *
 * Fixed-base scalar multiplication k·G: signed 7-bit windows (digits in [-64, 64], 37 of them
 * cover 256 bits plus the carry) and a table g_tab[i][j] = (j + 1)·2^(7i)·G, j = 0..63, in
 * affine Montgomery form (37 × 64 × 64 bytes ≈ 148 KiB), computed once per process (at
 * mg_tls_global_init(), or at the first use) and never written again.  Then
 * k·G = Σ d_i·2^(7i)·G is 37 mixed additions and no doubling.  Each table row is read whole
 * with masks, whatever the digit.
 *
 * Inversions (mod p for the affine x, mod n for k^-1) are Fermat's, a^(m-2): mod p by an
 * addition chain, mod n with the public exponent in 4-bit windows.  The only branches and
 * table indices depend on public values (loop counters, window positions, exponent digits, the
 * r = 0 and s = 0 retries); checked in the generated code of the point, lookup and inversion
 * functions (no conditional jump but their loops', no cmov).
 */
#include <pthread.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "mbedtls/ecp.h"
#include "mbedtls/error.h"
#include "mbedtls/platform_util.h"

#include "mg_p256.h"

typedef unsigned __int128 u128;

/* p = 2^256 - 2^224 + 2^192 + 2^96 - 1 and the group order n, little-endian limbs. */
static const uint64_t P[4] = {0xffffffffffffffffULL, 0x00000000ffffffffULL, 0,
                              0xffffffff00000001ULL};
static const uint64_t N[4] = {0xf3b9cac2fc632551ULL, 0xbce6faada7179e84ULL, 0xffffffffffffffffULL,
                              0xffffffff00000000ULL};
/* The curve's b and base point G (FIPS 186-4, D.1.2.3), ordinary (not Montgomery) form. */
static const uint64_t B_STD[4] = {0x3bce3c3e27d2604bULL, 0x651d06b0cc53b0f6ULL,
                                  0xb3ebbd55769886bcULL, 0x5ac635d8aa3a93e7ULL};
static const uint64_t GX_STD[4] = {0xf4a13945d898c296ULL, 0x77037d812deb33a0ULL,
                                   0xf8bce6e563a440f2ULL, 0x6b17d1f2e12c4247ULL};
static const uint64_t GY_STD[4] = {0xcbb6406837bf51f5ULL, 0x2bce33576b315eceULL,
                                   0x8ee7eb4a7c0f9e16ULL, 0x4fe342e2fe1a7f9bULL};
static const uint64_t ONE[4] = {1, 0, 0, 0};
/* -n^-1 mod 2^64 (init_once() checks it) */
#define N0 0xccd1c8aaee00bc4fULL

#define WIN    7
#define NWIN   37 /* ceil(257 / 7): 256 bits and the last carry */
#define NTAB   64 /* |digit| = 1..64 */
#define INLINE static inline __attribute__((always_inline))
/* The point functions and the lookup stay out of line: inlined into the 37 steps of base_mul()
 * they made a 50 KB function that no longer fitted the instruction cache (3x slower). */
#define NOINLINE static __attribute__((noinline))

struct ap { /* affine point, Montgomery form */
	uint64_t x[4], y[4];
};
struct jp { /* projective point (X : Y : Z), Montgomery form */
	uint64_t X[4], Y[4], Z[4];
};

static struct ap g_tab[NWIN][NTAB];
static uint64_t p_r2[4], n_r2[4];   /* R^2 mod p, R^2 mod n (R = 2^256) */
static uint64_t fe_one[4], fe_b[4]; /* 1 and b in Montgomery form mod p */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_enabled = -1;
static unsigned long g_signs;

/* ---- constant-time helpers ------------------------------------------------------------- */

/* Hides a value from the optimiser so that masks stay masks (no branch is made of them). */
INLINE uint64_t
ct_barrier(uint64_t x)
{
	__asm__("" : "+r"(x));
	return x;
}

/* 1 if x == 0, else 0, for any x. */
INLINE uint64_t
ct_is_zero(uint64_t x)
{
	return (~x & (x - 1)) >> 63;
}

/* All ones if bit == 1, zero if bit == 0. */
INLINE uint64_t
ct_mask(uint64_t bit)
{
	return ct_barrier(0 - bit);
}

/* r = mask ? a : b */
INLINE void
ct_select4(uint64_t r[4], uint64_t mask, const uint64_t a[4], const uint64_t b[4])
{
	for (int i = 0; i < 4; i++)
		r[i] = (a[i] & mask) | (b[i] & ~mask);
}

/* Add and subtract with carry/borrow: adc/sbb chains (gcc makes poor code of the __int128
 * equivalents: three times the instructions). */
INLINE unsigned char
addc(unsigned char c, uint64_t a, uint64_t b, uint64_t *r)
{
#if defined(__x86_64__)
	unsigned long long o;

	c = _addcarry_u64(c, a, b, &o);
	*r = o;
	return c;
#else
	u128 x = (u128)a + b + c;

	*r = (uint64_t)x;
	return (unsigned char)(x >> 64);
#endif
}

INLINE unsigned char
subb(unsigned char c, uint64_t a, uint64_t b, uint64_t *r)
{
#if defined(__x86_64__)
	unsigned long long o;

	c = _subborrow_u64(c, a, b, &o);
	*r = o;
	return c;
#else
	u128 x = (u128)a - b - c;

	*r = (uint64_t)x;
	return (unsigned char)((x >> 64) & 1);
#endif
}

/* ---- arithmetic modulo m (p or n) -------------------------------------------------------- */

/* r = a·b·2^-256 mod m, for a, b < m; m0 = -m^-1 mod 2^64.  CIOS: the intermediate stays below
 * 2m, one masked subtraction brings it below m. */
INLINE void
mont_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4], const uint64_t m[4], uint64_t m0)
{
	uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5, q, c, s[4], br;
	u128 x;

	for (int i = 0; i < 4; i++) {
		x = (u128)a[0] * b[i] + t0;
		t0 = (uint64_t)x;
		c = (uint64_t)(x >> 64);
		x = (u128)a[1] * b[i] + t1 + c;
		t1 = (uint64_t)x;
		c = (uint64_t)(x >> 64);
		x = (u128)a[2] * b[i] + t2 + c;
		t2 = (uint64_t)x;
		c = (uint64_t)(x >> 64);
		x = (u128)a[3] * b[i] + t3 + c;
		t3 = (uint64_t)x;
		c = (uint64_t)(x >> 64);
		x = (u128)t4 + c;
		t4 = (uint64_t)x;
		t5 = (uint64_t)(x >> 64);

		q = t0 * m0;
		x = (u128)q * m[0] + t0;
		c = (uint64_t)(x >> 64);
		x = (u128)q * m[1] + t1 + c;
		t0 = (uint64_t)x;
		c = (uint64_t)(x >> 64);
		x = (u128)q * m[2] + t2 + c;
		t1 = (uint64_t)x;
		c = (uint64_t)(x >> 64);
		x = (u128)q * m[3] + t3 + c;
		t2 = (uint64_t)x;
		c = (uint64_t)(x >> 64);
		x = (u128)t4 + c;
		t3 = (uint64_t)x;
		t4 = t5 + (uint64_t)(x >> 64);
	}
	/* (t4 t3 t2 t1 t0) < 2m: subtract m unless that borrows past t4. */
	x = (u128)t0 - m[0];
	s[0] = (uint64_t)x;
	br = (uint64_t)(x >> 64) & 1;
	x = (u128)t1 - m[1] - br;
	s[1] = (uint64_t)x;
	br = (uint64_t)(x >> 64) & 1;
	x = (u128)t2 - m[2] - br;
	s[2] = (uint64_t)x;
	br = (uint64_t)(x >> 64) & 1;
	x = (u128)t3 - m[3] - br;
	s[3] = (uint64_t)x;
	br = (uint64_t)(x >> 64) & 1;
	{
		uint64_t keep = ct_mask(br & (t4 ^ 1)), t[4] = {t0, t1, t2, t3};
		ct_select4(r, keep, t, s);
	}
}

/* r = a·a·2^-256 mod m, for a < m: the 512-bit square (6 cross products, doubled, plus 4
 * squares) and then 4 word-by-word reduction steps; (a² + Q·m) / 2^256 < 2m as in mont_mul(). */
INLINE void
mont_sqr(uint64_t r[4], const uint64_t a[4], const uint64_t m[4], uint64_t m0)
{
	uint64_t t[9], s[4], c, q, br;
	u128 x;

	x = (u128)a[0] * a[1];
	t[1] = (uint64_t)x;
	c = (uint64_t)(x >> 64);
	x = (u128)a[0] * a[2] + c;
	t[2] = (uint64_t)x;
	c = (uint64_t)(x >> 64);
	x = (u128)a[0] * a[3] + c;
	t[3] = (uint64_t)x;
	t[4] = (uint64_t)(x >> 64);
	x = (u128)a[1] * a[2] + t[3];
	t[3] = (uint64_t)x;
	c = (uint64_t)(x >> 64);
	x = (u128)a[1] * a[3] + t[4] + c;
	t[4] = (uint64_t)x;
	t[5] = (uint64_t)(x >> 64);
	x = (u128)a[2] * a[3] + t[5];
	t[5] = (uint64_t)x;
	t[6] = (uint64_t)(x >> 64);
	t[7] = t[6] >> 63;
	for (int i = 6; i > 1; i--)
		t[i] = (t[i] << 1) | (t[i - 1] >> 63);
	t[1] <<= 1;
	t[0] = 0;
	c = 0;
	for (int i = 0; i < 4; i++) {
		u128 d = (u128)a[i] * a[i];

		x = (u128)t[2 * i] + (uint64_t)d + c;
		t[2 * i] = (uint64_t)x;
		c = (uint64_t)(x >> 64);
		x = (u128)t[2 * i + 1] + (uint64_t)(d >> 64) + c;
		t[2 * i + 1] = (uint64_t)x;
		c = (uint64_t)(x >> 64);
	}
	t[8] = 0;
	for (int i = 0; i < 4; i++) {
		q = t[i] * m0;
		c = 0;
		for (int j = 0; j < 4; j++) {
			x = (u128)q * m[j] + t[i + j] + c;
			t[i + j] = (uint64_t)x;
			c = (uint64_t)(x >> 64);
		}
		for (int j = i + 4; j < 9; j++) {
			x = (u128)t[j] + c;
			t[j] = (uint64_t)x;
			c = (uint64_t)(x >> 64);
		}
	}
	br = 0;
	for (int i = 0; i < 4; i++)
		br = subb((unsigned char)br, t[4 + i], m[i], &s[i]);
	ct_select4(r, ct_mask(br & (t[8] ^ 1)), t + 4, s);
}

/* r = a + b mod m, for a, b < m */
INLINE void
mod_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4], const uint64_t m[4])
{
	uint64_t t[4], s[4];
	unsigned char c = 0, br = 0;

	for (int i = 0; i < 4; i++)
		c = addc(c, a[i], b[i], &t[i]);
	for (int i = 0; i < 4; i++)
		br = subb(br, t[i], m[i], &s[i]);
	/* the sum is below m exactly when it did not carry out and subtracting m borrows */
	ct_select4(r, ct_mask((uint64_t)((c ^ 1) & br)), t, s);
}

/* r = a - b mod m, for a, b < m */
INLINE void
mod_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4], const uint64_t m[4])
{
	uint64_t t[4], mask;
	unsigned char c = 0, br = 0;

	for (int i = 0; i < 4; i++)
		br = subb(br, a[i], b[i], &t[i]);
	mask = ct_mask(br);
	for (int i = 0; i < 4; i++)
		c = addc(c, t[i], m[i] & mask, &r[i]);
}

/* r = a - m if a >= m, else a (a < 2^256 < 2m) */
INLINE void
cond_sub(uint64_t r[4], const uint64_t a[4], const uint64_t m[4])
{
	uint64_t s[4];
	unsigned char br = 0;

	for (int i = 0; i < 4; i++)
		br = subb(br, a[i], m[i], &s[i]);
	ct_select4(r, ct_mask(br), a, s);
}

/* r = a^e mod m in Montgomery form (a = xR gives x^e·R), e public: 4-bit fixed windows. */
INLINE void
mont_pow(uint64_t r[4], const uint64_t a[4], const uint64_t e[4], const uint64_t m[4], uint64_t m0,
         const uint64_t one[4])
{
	uint64_t tab[16][4], acc[4];

	memcpy(tab[0], one, 32);
	memcpy(tab[1], a, 32);
	for (int i = 2; i < 16; i++)
		mont_mul(tab[i], tab[i - 1], a, m, m0);
	memcpy(acc, one, 32);
	for (int i = 63; i >= 0; i--) {
		unsigned int nib = (unsigned int)(e[i / 16] >> (4 * (i % 16))) & 15;

		for (int j = 0; j < 4; j++)
			mont_sqr(acc, acc, m, m0);
		mont_mul(acc, acc, tab[nib], m, m0); /* nib is a digit of the public exponent */
	}
	memcpy(r, acc, 32);
	mbedtls_platform_zeroize(tab, sizeof(tab));
}

/* R^2 mod m, by doubling 1 512 times (init only) */
static void
calc_r2(uint64_t r[4], const uint64_t m[4])
{
	uint64_t t[4] = {1, 0, 0, 0};

	for (int i = 0; i < 512; i++)
		mod_add(t, t, t, m);
	memcpy(r, t, 32);
}

/* field (mod p): P[0] = 2^64 - 1, so -p^-1 mod 2^64 = 1 */
INLINE void
fe_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
	mont_mul(r, a, b, P, 1);
}
INLINE void
fe_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
	mod_add(r, a, b, P);
}
INLINE void
fe_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
	mod_sub(r, a, b, P);
}
INLINE void
fe_sqr(uint64_t r[4], const uint64_t a[4])
{
	mont_sqr(r, a, P, 1);
}

/* r = a^(2^n) · b */
static void
fe_sqr_n_mul(uint64_t r[4], const uint64_t a[4], int n, const uint64_t b[4])
{
	uint64_t t[4];

	memcpy(t, a, 32);
	for (int i = 0; i < n; i++)
		fe_sqr(t, t);
	fe_mul(r, t, b);
}

/*
 * r = a^(p-2) = a^-1 (0 gives 0), by an addition chain: 255 squarings and 12 multiplications.
 * x_k denotes a^(2^k - 1) (k one bits).  p - 2 in 32-bit words, most significant first:
 * ffffffff 00000001 00000000 00000000 00000000 ffffffff ffffffff fffffffd.
 */
static void
fe_inv(uint64_t r[4], const uint64_t a[4])
{
	uint64_t x2[4], x3[4], x6[4], x12[4], x15[4], x30[4], x32[4], t[4];

	fe_sqr_n_mul(x2, a, 1, a);
	fe_sqr_n_mul(x3, x2, 1, a);
	fe_sqr_n_mul(x6, x3, 3, x3);
	fe_sqr_n_mul(x12, x6, 6, x6);
	fe_sqr_n_mul(x15, x12, 3, x3);
	fe_sqr_n_mul(x30, x15, 15, x15);
	fe_sqr_n_mul(x32, x30, 2, x2);
	fe_sqr_n_mul(t, x32, 32, a);  /* ffffffff 00000001 */
	fe_sqr_n_mul(t, t, 128, x32); /* 00000000 × 3, ffffffff */
	fe_sqr_n_mul(t, t, 32, x32);  /* ffffffff */
	fe_sqr_n_mul(t, t, 30, x30);  /* the 30 leading ones of fffffffd */
	fe_sqr_n_mul(r, t, 2, a);     /* its last two bits, 01 */
	mbedtls_platform_zeroize(t, sizeof(t));
}

/* scalars (mod n) */
INLINE void
sc_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
	mont_mul(r, a, b, N, N0);
}
static void
sc_inv(uint64_t r[4], const uint64_t a[4]) /* Montgomery form in and out */
{
	static const uint64_t e[4] = {0xf3b9cac2fc63254fULL, 0xbce6faada7179e84ULL,
	                              0xffffffffffffffffULL, 0xffffffff00000000ULL};
	uint64_t one[4];

	sc_mul(one, ONE, n_r2);
	mont_pow(r, a, e, N, N0, one);
}

/* ---- points ------------------------------------------------------------------------------ */

/* R = P + Q, complete (RCB algorithm 4, a = -3): any P, Q, including equal, opposite and the
 * point at infinity.  R may alias P or Q. */
NOINLINE void
point_add(struct jp *R, const struct jp *p, const struct jp *q)
{
	uint64_t t0[4], t1[4], t2[4], t3[4], t4[4], X3[4], Y3[4], Z3[4];

	fe_mul(t0, p->X, q->X);
	fe_mul(t1, p->Y, q->Y);
	fe_mul(t2, p->Z, q->Z);
	fe_add(t3, p->X, p->Y);
	fe_add(t4, q->X, q->Y);
	fe_mul(t3, t3, t4);
	fe_add(t4, t0, t1);
	fe_sub(t3, t3, t4);
	fe_add(t4, p->Y, p->Z);
	fe_add(X3, q->Y, q->Z);
	fe_mul(t4, t4, X3);
	fe_add(X3, t1, t2);
	fe_sub(t4, t4, X3);
	fe_add(X3, p->X, p->Z);
	fe_add(Y3, q->X, q->Z);
	fe_mul(X3, X3, Y3);
	fe_add(Y3, t0, t2);
	fe_sub(Y3, X3, Y3);
	fe_mul(Z3, fe_b, t2);
	fe_sub(X3, Y3, Z3);
	fe_add(Z3, X3, X3);
	fe_add(X3, X3, Z3);
	fe_sub(Z3, t1, X3);
	fe_add(X3, t1, X3);
	fe_mul(Y3, fe_b, Y3);
	fe_add(t1, t2, t2);
	fe_add(t2, t1, t2);
	fe_sub(Y3, Y3, t2);
	fe_sub(Y3, Y3, t0);
	fe_add(t1, Y3, Y3);
	fe_add(Y3, t1, Y3);
	fe_add(t1, t0, t0);
	fe_add(t0, t1, t0);
	fe_sub(t0, t0, t2);
	fe_mul(t1, t4, Y3);
	fe_mul(t2, t0, Y3);
	fe_mul(Y3, X3, Z3);
	fe_add(Y3, Y3, t2);
	fe_mul(X3, t3, X3);
	fe_sub(X3, X3, t1);
	fe_mul(Z3, t4, Z3);
	fe_mul(t1, t3, t0);
	fe_add(Z3, Z3, t1);
	memcpy(R->X, X3, 32);
	memcpy(R->Y, Y3, 32);
	memcpy(R->Z, Z3, 32);
}

/* R = P + Q with Q affine (RCB algorithm 5, a = -3): complete for any P (infinity, Q, -Q
 * included) as long as Q is a point of the curve.  R may alias P. */
NOINLINE void
point_add_mixed(struct jp *R, const struct jp *p, const struct ap *q)
{
	uint64_t t0[4], t1[4], t2[4], t3[4], t4[4], X3[4], Y3[4], Z3[4];

	fe_mul(t0, p->X, q->x);
	fe_mul(t1, p->Y, q->y);
	fe_add(t3, q->x, q->y);
	fe_add(t4, p->X, p->Y);
	fe_mul(t3, t3, t4);
	fe_add(t4, t0, t1);
	fe_sub(t3, t3, t4);
	fe_mul(t4, q->y, p->Z);
	fe_add(t4, t4, p->Y);
	fe_mul(Y3, q->x, p->Z);
	fe_add(Y3, Y3, p->X);
	fe_mul(Z3, fe_b, p->Z);
	fe_sub(X3, Y3, Z3);
	fe_add(Z3, X3, X3);
	fe_add(X3, X3, Z3);
	fe_sub(Z3, t1, X3);
	fe_add(X3, t1, X3);
	fe_mul(Y3, fe_b, Y3);
	fe_add(t1, p->Z, p->Z);
	fe_add(t2, t1, p->Z);
	fe_sub(Y3, Y3, t2);
	fe_sub(Y3, Y3, t0);
	fe_add(t1, Y3, Y3);
	fe_add(Y3, t1, Y3);
	fe_add(t1, t0, t0);
	fe_add(t0, t1, t0);
	fe_sub(t0, t0, t2);
	fe_mul(t1, t4, Y3);
	fe_mul(t2, t0, Y3);
	fe_mul(Y3, X3, Z3);
	fe_add(Y3, Y3, t2);
	fe_mul(X3, t3, X3);
	fe_sub(X3, X3, t1);
	fe_mul(Z3, t4, Z3);
	fe_mul(t1, t3, t0);
	fe_add(Z3, Z3, t1);
	memcpy(R->X, X3, 32);
	memcpy(R->Y, Y3, 32);
	memcpy(R->Z, Z3, 32);
}

/* The table: row i holds (j+1)·2^(7i)·G, j = 0..63, made with complete additions and put in
 * affine form with one inversion (Montgomery's batch trick).  None of these multiples is the
 * point at infinity: (j+1)·2^(7i) is never a multiple of the odd prime n > 64, so every Z is
 * invertible. */
static void
build_table(void)
{
	struct jp *t = calloc(NWIN * NTAB, sizeof(*t));
	uint64_t(*pre)[4] = calloc(NWIN * NTAB, sizeof(*pre));
	uint64_t inv[4], zi[4];
	struct jp base;
	int i, j, k;

	if (t == NULL || pre == NULL)
		abort(); /* ≈ 300 KB once at start-up */
	fe_mul(base.X, GX_STD, p_r2);
	fe_mul(base.Y, GY_STD, p_r2);
	memcpy(base.Z, fe_one, 32);
	for (i = 0; i < NWIN; i++) {
		t[i * NTAB] = base;
		for (j = 1; j < NTAB; j++)
			point_add(&t[i * NTAB + j], &t[i * NTAB + j - 1], &base);
		point_add(&base, &t[i * NTAB + NTAB - 1], &t[i * NTAB + NTAB - 1]); /* 128·base */
	}
	/* pre[k] = Z_0·…·Z_k; inv = 1/pre[last]; walking back, 1/Z_k = inv·pre[k-1], inv·= Z_k */
	memcpy(pre[0], t[0].Z, 32);
	for (k = 1; k < NWIN * NTAB; k++)
		fe_mul(pre[k], pre[k - 1], t[k].Z);
	fe_inv(inv, pre[NWIN * NTAB - 1]);
	for (k = NWIN * NTAB - 1; k >= 0; k--) {
		if (k > 0) {
			fe_mul(zi, inv, pre[k - 1]);
			fe_mul(inv, inv, t[k].Z);
		} else {
			memcpy(zi, inv, 32);
		}
		fe_mul(g_tab[k / NTAB][k % NTAB].x, t[k].X, zi);
		fe_mul(g_tab[k / NTAB][k % NTAB].y, t[k].Y, zi);
	}
	free(t);
	free(pre);
}

static void
init_once(void)
{
	uint64_t inv = N[0];

	calc_r2(p_r2, P);
	calc_r2(n_r2, N);
	for (int i = 0; i < 5;
	     i++) /* Newton: each step doubles the correct low bits (3 at start) */
		inv *= 2 - N[0] * inv;
	if (0 - inv != N0)
		abort(); /* cannot happen: a constant of the curve */
	fe_mul(fe_one, ONE, p_r2);
	fe_mul(fe_b, B_STD, p_r2);
	build_table();
}

void
mg_p256_init(void)
{
	pthread_once(&g_once, init_once);
}

/* Bits 7i .. 7i+6 of k (i is public). */
static uint64_t
window7(const uint64_t k[4], unsigned int pos)
{
	unsigned int limb = pos / 64, sh = pos % 64;
	uint64_t w = k[limb] >> sh;

	if (sh > 64 - WIN && limb < 3)
		w |= k[limb + 1] << (64 - sh);
	return w & ((1u << WIN) - 1);
}

/* Row i, entry |d| - 1 (|d| = 1..64), or (0, 0) when |d| = 0: every entry is read. */
NOINLINE void
lookup(struct ap *out, const struct ap row[NTAB], uint64_t absd)
{
	uint64_t acc[8] = {0};

	for (int j = 0; j < NTAB; j++) {
		uint64_t m = ct_mask(ct_is_zero(absd ^ (uint64_t)(j + 1)));
		const uint64_t *e = row[j].x, *f = row[j].y;

		for (int l = 0; l < 4; l++) {
			acc[l] |= e[l] & m;
			acc[4 + l] |= f[l] & m;
		}
	}
	memcpy(out->x, acc, 32);
	memcpy(out->y, acc + 4, 32);
}

/*
 * R = k·G, projective, for any k < 2^256.  Recoding: window value v = w_i + carry (0..128); a
 * value above 64 becomes the digit v - 128 with a carry of 1 into the next window, so digits are
 * in [-63, 64] (v = 128 gives 0 with a carry) and Σ d_i·2^(7i) = k; the last window (bits
 * 252..255, at most 15 + 1) never carries.  A digit of 0 has no table entry: the lookup yields
 * (0, 0), which is not a point, the mixed addition is computed anyway on it and its result
 * thrown away by a masked select, so the complete-formula argument only ever applies to real
 * points.  The accumulator may be infinity or equal ±Q: the formulas are complete.
 */
static void
base_mul(struct jp *R, const uint64_t k[4])
{
	struct jp acc, t;
	struct ap q;
	uint64_t carry = 0, ny[4];

	memset(&acc, 0, sizeof(acc));
	memcpy(acc.Y, fe_one, 32); /* (0 : 1 : 0) */
	for (int i = 0; i < NWIN; i++) {
		uint64_t v = window7(k, (unsigned int)(WIN * i)) + carry;
		uint64_t cm, absd, nz;

		carry = (v + 63) >> WIN; /* 1 iff v >= 65 */
		cm = ct_mask(carry);
		absd = (v & ~cm) | ((128 - v) & cm);
		lookup(&q, g_tab[i], absd);
		fe_sub(ny, (const uint64_t[4]){0}, q.y);
		ct_select4(q.y, cm, ny, q.y);
		point_add_mixed(&t, &acc, &q);
		nz = ct_mask(ct_is_zero(absd) ^ 1);
		ct_select4(acc.X, nz, t.X, acc.X);
		ct_select4(acc.Y, nz, t.Y, acc.Y);
		ct_select4(acc.Z, nz, t.Z, acc.Z);
	}
	*R = acc;
	mbedtls_platform_zeroize(&acc, sizeof(acc));
	mbedtls_platform_zeroize(&t, sizeof(t));
	mbedtls_platform_zeroize(&q, sizeof(q));
}

/* Affine coordinates in ordinary form; (0, 0) for the point at infinity (Z = 0 inverts to 0). */
static void
to_affine(uint64_t x[4], uint64_t y[4], const struct jp *p)
{
	uint64_t zi[4];

	fe_inv(zi, p->Z);
	fe_mul(x, p->X, zi);
	fe_mul(x, x, ONE);
	if (y != NULL) {
		fe_mul(y, p->Y, zi);
		fe_mul(y, y, ONE);
	}
}

static void
load_be(uint64_t r[4], const uint8_t b[32])
{
	for (int i = 0; i < 4; i++) {
		uint64_t v = 0;

		for (int j = 0; j < 8; j++)
			v = (v << 8) | b[8 * i + j];
		r[3 - i] = v;
	}
}

static void
store_be(uint8_t b[32], const uint64_t r[4])
{
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			b[8 * i + j] = (uint8_t)(r[3 - i] >> (56 - 8 * j));
}

static int
is_zero4(const uint64_t a[4]) /* for public values only */
{
	return (a[0] | a[1] | a[2] | a[3]) == 0;
}

int
mg_p256_base_mul(uint8_t x[32], uint8_t y[32], const uint8_t k[32])
{
	uint64_t kk[4], xx[4], yy[4];
	struct jp R;
	int inf;

	mg_p256_init();
	load_be(kk, k);
	base_mul(&R, kk);
	inf = is_zero4(R.Z);
	to_affine(xx, yy, &R);
	store_be(x, xx);
	store_be(y, yy);
	mbedtls_platform_zeroize(kk, sizeof(kk));
	return inf ? -1 : 0;
}

int
mg_p256_enabled(void)
{
	if (g_enabled < 0) {
		const char *v = getenv("MG_P256_GENERIC");

		g_enabled = !(v != NULL && v[0] == '1');
	}
	return g_enabled;
}

void
mg_p256_set_enabled(int on)
{
	g_enabled = on ? 1 : 0;
}

unsigned long
mg_p256_sign_count(void)
{
	return g_signs;
}

/*
 * The generic mbedtls_ecdsa_sign_restartable() step by step, with the same nonce draws and the
 * same retry rules (a new k while r = 0, at most 10 times; a new k and r while s = 0, at most 10
 * times), so that for the same generator the same signature comes out.
 */
int
mg_p256_ecdsa_sign(mbedtls_ecp_group *grp, mbedtls_mpi *r, mbedtls_mpi *s, const mbedtls_mpi *d,
                   const unsigned char *buf, size_t blen,
                   int (*f_rng)(void *, unsigned char *, size_t), void *p_rng)
{
	int ret = 0, sign_tries = 0, key_tries;
	uint8_t tmp[32];
	uint64_t dd[4], e[4], kk[4], rr[4], ss[4], km[4], ki[4], t[4], u[4];
	size_t use = blen > 32 ? 32 : blen;
	struct jp R;
	mbedtls_mpi k;

	mg_p256_init();
	mbedtls_mpi_init(&k);
	MBEDTLS_MPI_CHK(mbedtls_mpi_write_binary(d, tmp, 32));
	load_be(dd, tmp);
	/* e: the leftmost 256 bits of the hash (SEC1 4.1.3 step 5), reduced mod n once, as
	 * derive_mpi() does; a shorter hash is a smaller number. */
	memset(tmp, 0, sizeof(tmp));
	memcpy(tmp + 32 - use, buf, use);
	load_be(e, tmp);
	cond_sub(e, e, N);
	do {
		if (sign_tries++ > 10) {
			ret = MBEDTLS_ERR_ECP_RANDOM_FAILED;
			goto cleanup;
		}
		key_tries = 0;
		do {
			if (key_tries++ > 10) {
				ret = MBEDTLS_ERR_ECP_RANDOM_FAILED;
				goto cleanup;
			}
			MBEDTLS_MPI_CHK(mbedtls_ecp_gen_privkey(grp, &k, f_rng, p_rng));
			MBEDTLS_MPI_CHK(mbedtls_mpi_write_binary(&k, tmp, 32));
			load_be(kk, tmp);
			base_mul(&R, kk);
			to_affine(rr, NULL, &R);
			cond_sub(rr, rr, N); /* x < p < 2n */
		} while (is_zero4(rr));      /* r is public */
		/* s = k^-1 (e + r·d) mod n; mont(x, y) = x·y·R^-1 (R = 2^256) */
		sc_mul(km, kk, n_r2); /* k·R */
		sc_inv(ki, km);       /* k^-1·R */
		sc_mul(u, dd, n_r2);  /* d·R */
		sc_mul(t, rr, u);     /* r·d */
		mod_add(t, t, e, N);  /* e + r·d */
		sc_mul(ss, t, ki);    /* s */
	} while (is_zero4(ss));       /* s is public */
	store_be(tmp, rr);
	MBEDTLS_MPI_CHK(mbedtls_mpi_read_binary(r, tmp, 32));
	store_be(tmp, ss);
	MBEDTLS_MPI_CHK(mbedtls_mpi_read_binary(s, tmp, 32));
	g_signs++;

cleanup:
	mbedtls_mpi_free(&k);
	mbedtls_platform_zeroize(tmp, sizeof(tmp));
	mbedtls_platform_zeroize(dd, sizeof(dd));
	mbedtls_platform_zeroize(kk, sizeof(kk));
	mbedtls_platform_zeroize(km, sizeof(km));
	mbedtls_platform_zeroize(ki, sizeof(ki));
	mbedtls_platform_zeroize(t, sizeof(t));
	mbedtls_platform_zeroize(u, sizeof(u));
	mbedtls_platform_zeroize(&R, sizeof(R));
	return ret;
}
