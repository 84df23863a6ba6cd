/*
 * X25519 public keys (fixed base u = 9) for mbedTLS, fast and constant time (see mg_x25519.h
 * for where it is hooked).
 *
 * Curve25519 in Montgomery form v^2 = u^3 + 486662u^2 + u is birationally equivalent to the
 * twisted Edwards curve -x^2 + y^2 = 1 + d·x^2·y^2, d = -121665/121666 (edwards25519), by
 * u = (1 + y)/(1 - y); the base point u = 9 maps to y = 4/5, the Ed25519 base point B.  So
 * X25519(a, 9) = u(a·B), and a·B is computed on the Edwards curve, where a fixed-base comb
 * with a precomputed table needs no ladder:
 *
 *   - the clamped scalar a (< 2^255) is written as 64 signed radix-16 digits e_i in [-8, 8],
 *     a = Σ e_i·16^i;
 *   - g_tab[i][j] = (j + 1)·256^i·B for i = 0..31, j = 0..7, in affine "Niels" form
 *     (y + x, y - x, 2d·x·y) padded to 16 words: 32 × 8 × 128 bytes = 32 KiB, built once
 *     per process (pthread_once, at the first use or at mg_x25519_init(), ≈ 0.5 ms) and
 *     never written again;
 *   - a·B = 16·Σ_{i odd} e_i·16^(i-1)·B + Σ_{i even} e_i·16^i·B: 32 mixed additions, 4
 *     doublings, 32 more mixed additions.  Each addend is read as a whole table row with masks
 *     (the row for 256^(i/2)), then negated by a masked swap when e_i < 0;
 *   - u = (Z + Y)/(Z - Y) in extended coordinates, one inversion, and the canonical encoding.
 *
 * Points: extended coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, x·y = T/Z, with the
 * a = -1 formulas of Hisil, Wong, Carter and Dawson ("Twisted Edwards curves revisited",
 * ASIACRYPT 2008, add-2008-hwcd-3 and dbl-2008-hwcd), written here from the paper.  With a = -1
 * a square and d a non-square mod p the addition law is complete: the identity (0 : 1 : 1 : 0),
 * P + P and P + (-P) need no special case, so the zero digits add the identity.  a·B is the
 * identity only when the prime order L of B (just above 2^252) divides a; the clamped a is a
 * multiple of 8 below 2^255 and 8L > 2^255, so a·B is never the identity and Z - Y is never 0.
 *
 * Field: GF(2^255 - 19) in 5 limbs of 51 bits (radix 2^51), products in unsigned __int128,
 * 2^255 ≡ 19 folded into the limb products.  Bounds: mul/sq outputs have limbs < 2^51 + 2^16;
 * fe_add() does not carry (< 2^53 for the sums used here), fe_sub() adds 4p and carries, the
 * negation of a table entry's 2d·x·y is 4p minus it uncarried (< 2^53); mul/sq take limbs
 * < 2^54.  Only loop counters and public table positions choose branches and indices.
 */
#include <pthread.h>
#include <string.h>

#include "mg_x25519.h"

typedef unsigned __int128 u128;

#define MASK51 ((1ULL << 51) - 1)
#define INLINE static inline __attribute__((always_inline))

struct fe {
	uint64_t v[5];
};

/* Extended point (X : Y : Z : T). */
struct ge_ext {
	struct fe X, Y, Z, T;
};
/* Projective point (X : Y : Z), the input of a doubling. */
struct ge_proj {
	struct fe X, Y, Z;
};
/* "Completed" point: x = X/Z, y = Y/T, the output of an addition or doubling before the
 * multiplications that bring it back to extended or projective form. */
struct ge_done {
	struct fe X, Y, Z, T;
};
/* Affine point in Niels form: y + x, y - x, 2d·x·y. */
struct ge_niels {
	struct fe ypx, ymx, xy2d;
};
/* copied to and from the table's rows of 64-bit words */
_Static_assert(sizeof(struct ge_niels) == 15 * sizeof(uint64_t), "ge_niels is 15 limbs");

/* Extended point in the form an addition of two extended points takes (table build only). */
struct ge_cached {
	struct fe ypx, ymx, Z, T2d;
};

/* 2d and the Ed25519 base point B = (x, 4/5), x even, in radix 2^51. */
static const struct fe FE_D2 = {{0x69b9426b2f159ULL, 0x35050762add7aULL, 0x3cf44c0038052ULL,
                                 0x6738cc7407977ULL, 0x2406d9dc56dffULL}};
static const struct fe FE_BX = {{0x62d608f25d51aULL, 0x412a4b4f6592aULL, 0x75b7171a4b31dULL,
                                 0x1ff60527118feULL, 0x216936d3cd6e5ULL}};
static const struct fe FE_BY = {{0x6666666666658ULL, 0x4ccccccccccccULL, 0x1999999999999ULL,
                                 0x3333333333333ULL, 0x6666666666666ULL}};

#define NROW 32 /* 256^i, i = 0..31 */
#define NCOL 8  /* |digit| = 1..8 */

/* Pairs of 64-bit words, the compiler's generic vectors (SSE2 on x86-64). */
typedef uint64_t v2u64 __attribute__((vector_size(16)));

/*
 * g_tab[i][j] = (j + 1)·256^i·B, an entry as 8 pairs of words (128 bytes, two cache lines): pair
 * k < 5 is limb k of (y + x, y - x), pairs 5, 6, 7 hold the limbs of 2d·x·y and a zero word.
 * So the masked reads are pairwise, and the negation swaps within pairs.  32 KiB in all.
 */
#define NPAIR 8
static v2u64 g_tab[NROW][NCOL][NPAIR] __attribute__((aligned(64)));

/* 4p limb by limb, in the pair layout of 2d·x·y: 4p - f is -f for limbs below 2^53, uncarried */
static const v2u64 FOURP_XY[3] = {{0x1fffffffffffb4ULL, 0x1ffffffffffffcULL},
                                  {0x1ffffffffffffcULL, 0x1ffffffffffffcULL},
                                  {0x1ffffffffffffcULL, 0}};
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* ---- field arithmetic ---------------------------------------------------------------------- */

INLINE void
fe_0(struct fe *h)
{
	memset(h, 0, sizeof(*h));
}

INLINE void
fe_1(struct fe *h)
{
	fe_0(h);
	h->v[0] = 1;
}

INLINE void
fe_add(struct fe *h, const struct fe *f, const struct fe *g)
{
	for (int i = 0; i < 5; i++)
		h->v[i] = f->v[i] + g->v[i];
}

/* Limbs back under 2^51 (limb 0 under 2^51 + 19·2^13): one carry pass, the top carry folded
 * into limb 0 times 19. */
INLINE void
fe_carry(struct fe *h)
{
	uint64_t c;

	c = h->v[0] >> 51;
	h->v[0] &= MASK51;
	h->v[1] += c;
	c = h->v[1] >> 51;
	h->v[1] &= MASK51;
	h->v[2] += c;
	c = h->v[2] >> 51;
	h->v[2] &= MASK51;
	h->v[3] += c;
	c = h->v[3] >> 51;
	h->v[3] &= MASK51;
	h->v[4] += c;
	c = h->v[4] >> 51;
	h->v[4] &= MASK51;
	h->v[0] += c * 19;
}

/* h = f - g + 4p, carried; g's limbs must be below 2^53 - 76. */
INLINE void
fe_sub(struct fe *h, const struct fe *f, const struct fe *g)
{
	h->v[0] = f->v[0] + 0x1fffffffffffb4ULL - g->v[0]; /* 4·(2^51 - 19) */
	h->v[1] = f->v[1] + 0x1ffffffffffffcULL - g->v[1]; /* 4·(2^51 - 1) */
	h->v[2] = f->v[2] + 0x1ffffffffffffcULL - g->v[2];
	h->v[3] = f->v[3] + 0x1ffffffffffffcULL - g->v[3];
	h->v[4] = f->v[4] + 0x1ffffffffffffcULL - g->v[4];
	fe_carry(h);
}

/* Reduces the five 128-bit column sums of a product into h. */
INLINE void
fe_reduce128(struct fe *h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
	uint64_t c;

	r1 += (uint64_t)(r0 >> 51);
	r2 += (uint64_t)(r1 >> 51);
	r3 += (uint64_t)(r2 >> 51);
	r4 += (uint64_t)(r3 >> 51);
	/* r4 < 2^113 here, so its carry is below 2^62 and 19 times it fits in 128 bits */
	r0 = ((uint64_t)r0 & MASK51) + (u128)(uint64_t)(r4 >> 51) * 19;
	h->v[1] = (uint64_t)r1 & MASK51;
	h->v[2] = (uint64_t)r2 & MASK51;
	h->v[3] = (uint64_t)r3 & MASK51;
	h->v[4] = (uint64_t)r4 & MASK51;
	c = (uint64_t)(r0 >> 51);
	h->v[0] = (uint64_t)r0 & MASK51;
	h->v[1] += c;
}

static void
fe_mul(struct fe *h, const struct fe *f, const struct fe *g)
{
	uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
	uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
	uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
	u128 r0, r1, r2, r3, r4;

	r0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 +
	     (u128)f4 * g1_19;
	r1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 + (u128)f4 * g2_19;
	r2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 + (u128)f4 * g3_19;
	r3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
	r4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
	fe_reduce128(h, r0, r1, r2, r3, r4);
}

static void
fe_sq(struct fe *h, const struct fe *f)
{
	uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
	uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1;
	uint64_t f1_38 = 38 * f1, f2_38 = 38 * f2, f3_38 = 38 * f3, f3_19 = 19 * f3,
	         f4_19 = 19 * f4;
	u128 r0, r1, r2, r3, r4;

	r0 = (u128)f0 * f0 + (u128)f1_38 * f4 + (u128)f2_38 * f3;
	r1 = (u128)f0_2 * f1 + (u128)f2_38 * f4 + (u128)f3_19 * f3;
	r2 = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)f3_38 * f4;
	r3 = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4_19 * f4;
	r4 = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;
	fe_reduce128(h, r0, r1, r2, r3, r4);
}

/* h = f^(2^n), n >= 1 */
static void
fe_sqn(struct fe *h, const struct fe *f, int n)
{
	fe_sq(h, f);
	while (--n > 0)
		fe_sq(h, h);
}

/* h = z^(p - 2) = z^(2^255 - 21) = 1/z (0 for z = 0), by a fixed addition chain. */
static void
fe_invert(struct fe *h, const struct fe *z)
{
	struct fe z2, z9, z11, a, b, c, t;

	fe_sq(&z2, z);          /* 2 */
	fe_sqn(&t, &z2, 2);     /* 8 */
	fe_mul(&z9, &t, z);     /* 9 */
	fe_mul(&z11, &z9, &z2); /* 11 */
	fe_sq(&t, &z11);        /* 22 */
	fe_mul(&a, &t, &z9);    /* 31 = 2^5 - 1 */
	fe_sqn(&t, &a, 5);      /* 2^10 - 2^5 */
	fe_mul(&b, &t, &a);     /* 2^10 - 1 */
	fe_sqn(&t, &b, 10);     /* 2^20 - 2^10 */
	fe_mul(&c, &t, &b);     /* 2^20 - 1 */
	fe_sqn(&t, &c, 20);     /* 2^40 - 2^20 */
	fe_mul(&t, &t, &c);     /* 2^40 - 1 */
	fe_sqn(&t, &t, 10);     /* 2^50 - 2^10 */
	fe_mul(&a, &t, &b);     /* a = 2^50 - 1 */
	fe_sqn(&t, &a, 50);     /* 2^100 - 2^50 */
	fe_mul(&b, &t, &a);     /* b = 2^100 - 1 */
	fe_sqn(&t, &b, 100);    /* 2^200 - 2^100 */
	fe_mul(&t, &t, &b);     /* 2^200 - 1 */
	fe_sqn(&t, &t, 50);     /* 2^250 - 2^50 */
	fe_mul(&t, &t, &a);     /* 2^250 - 1 */
	fe_sqn(&t, &t, 5);      /* 2^255 - 2^5 */
	fe_mul(h, &t, &z11);    /* 2^255 - 21 */
}

/* The canonical little-endian encoding of f (its value mod p, < p). */
static void
fe_tobytes(uint8_t out[32], const struct fe *f)
{
	struct fe h = *f;
	uint64_t q, w[4];

	fe_carry(&h); /* value < 2^255 + 2^18 < 2p */
	/* q = 1 iff value + 19 >= 2^255, i.e. value >= p: then value - p = value + 19 - 2^255 */
	q = (h.v[0] + 19) >> 51;
	q = (h.v[1] + q) >> 51;
	q = (h.v[2] + q) >> 51;
	q = (h.v[3] + q) >> 51;
	q = (h.v[4] + q) >> 51;
	h.v[0] += 19 * q;
	h.v[1] += h.v[0] >> 51;
	h.v[0] &= MASK51;
	h.v[2] += h.v[1] >> 51;
	h.v[1] &= MASK51;
	h.v[3] += h.v[2] >> 51;
	h.v[2] &= MASK51;
	h.v[4] += h.v[3] >> 51;
	h.v[3] &= MASK51;
	h.v[4] &= MASK51; /* drops 2^255 */
	w[0] = h.v[0] | h.v[1] << 51;
	w[1] = h.v[1] >> 13 | h.v[2] << 38;
	w[2] = h.v[2] >> 26 | h.v[3] << 25;
	w[3] = h.v[3] >> 39 | h.v[4] << 12;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			out[8 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

/* An all-ones mask from a 0/1 flag, opaque to the optimizer so that it stays arithmetic. */
INLINE uint64_t
ct_mask(uint64_t flag)
{
	uint64_t m = 0 - flag;

	__asm__("" : "+r"(m));
	return m;
}

/* ---- points ---------------------------------------------------------------------------------- */

INLINE void
ge_done_to_ext(struct ge_ext *r, const struct ge_done *p)
{
	fe_mul(&r->X, &p->X, &p->T);
	fe_mul(&r->Y, &p->Y, &p->Z);
	fe_mul(&r->Z, &p->Z, &p->T);
	fe_mul(&r->T, &p->X, &p->Y);
}

INLINE void
ge_done_to_proj(struct ge_proj *r, const struct ge_done *p)
{
	fe_mul(&r->X, &p->X, &p->T);
	fe_mul(&r->Y, &p->Y, &p->Z);
	fe_mul(&r->Z, &p->Z, &p->T);
}

/*
 * r = 2p (dbl-2008-hwcd, a = -1): A = X^2, B = Y^2, C = 2Z^2, E = (X + Y)^2 - A - B,
 * G = B - A, F = G - C, H = -A - B; then X3 = E·F, Y3 = G·H, Z3 = F·G, T3 = E·H, kept as the
 * completed point (E, H, G, F).
 */
static void
ge_dbl(struct ge_done *r, const struct ge_proj *p)
{
	struct fe a, b, c, s, t;

	fe_sq(&a, &p->X);
	fe_sq(&b, &p->Y);
	fe_sq(&c, &p->Z);
	fe_add(&c, &c, &c);
	fe_add(&t, &p->X, &p->Y);
	fe_sq(&t, &t);
	fe_add(&s, &a, &b);       /* A + B */
	fe_sub(&r->X, &t, &s);    /* E */
	fe_sub(&r->Z, &b, &a);    /* G */
	fe_sub(&r->T, &r->Z, &c); /* F */
	fe_0(&t);
	fe_sub(&r->Y, &t, &s); /* H */
}

/*
 * r = p + q with q affine (add-2008-hwcd-3 with Z2 = 1): A = (Y1 - X1)(y2 - x2),
 * B = (Y1 + X1)(y2 + x2), C = T1·2d·x2·y2, D = 2Z1, E = B - A, F = D - C, G = D + C, H = B + A,
 * kept as the completed point (E, H, G, F).
 */
static void
ge_madd(struct ge_done *r, const struct ge_ext *p, const struct ge_niels *q)
{
	struct fe a, b, c, d, t;

	fe_add(&t, &p->Y, &p->X);
	fe_mul(&b, &t, &q->ypx);
	fe_sub(&t, &p->Y, &p->X);
	fe_mul(&a, &t, &q->ymx);
	fe_mul(&c, &p->T, &q->xy2d);
	fe_add(&d, &p->Z, &p->Z);
	fe_sub(&r->X, &b, &a); /* E */
	fe_add(&r->Y, &b, &a); /* H */
	fe_add(&r->Z, &d, &c); /* G */
	fe_sub(&r->T, &d, &c); /* F */
}

/* r = p + q for two extended points, q cached (the same formula with D = 2·Z1·Z2). */
static void
ge_add(struct ge_done *r, const struct ge_ext *p, const struct ge_cached *q)
{
	struct fe a, b, c, d, t;

	fe_add(&t, &p->Y, &p->X);
	fe_mul(&b, &t, &q->ypx);
	fe_sub(&t, &p->Y, &p->X);
	fe_mul(&a, &t, &q->ymx);
	fe_mul(&c, &p->T, &q->T2d);
	fe_mul(&d, &p->Z, &q->Z);
	fe_add(&d, &d, &d);
	fe_sub(&r->X, &b, &a);
	fe_add(&r->Y, &b, &a);
	fe_add(&r->Z, &d, &c);
	fe_sub(&r->T, &d, &c);
}

static void
ge_to_cached(struct ge_cached *r, const struct ge_ext *p)
{
	fe_add(&r->ypx, &p->Y, &p->X);
	fe_carry(&r->ypx);
	fe_sub(&r->ymx, &p->Y, &p->X);
	r->Z = p->Z;
	fe_mul(&r->T2d, &p->T, &FE_D2);
}

static void
ge_ext_0(struct ge_ext *r)
{
	fe_0(&r->X);
	fe_1(&r->Y);
	fe_1(&r->Z);
	fe_0(&r->T);
}

/* ---- the table --------------------------------------------------------------------------- */

static void
init_once(void)
{
	/* e[i·8 + j] = (j + 1)·256^i·B, extended; then all made affine with one inversion */
	static struct ge_ext e[NROW * NCOL];
	static struct fe prod[NROW * NCOL];
	struct ge_ext cur;
	struct ge_cached c;
	struct ge_done d;
	struct ge_proj pr;
	struct ge_niels n;
	struct fe inv, zi, x, y, t;
	int i, j, k;

	cur.X = FE_BX;
	cur.Y = FE_BY;
	fe_1(&cur.Z);
	fe_mul(&cur.T, &FE_BX, &FE_BY);
	for (i = 0; i < NROW; i++) {
		e[i * NCOL] = cur;
		ge_to_cached(&c, &cur);
		for (j = 1; j < NCOL; j++) {
			ge_add(&d, &e[i * NCOL + j - 1], &c);
			ge_done_to_ext(&e[i * NCOL + j], &d);
		}
		/* 256·cur = 32·(8·cur) */
		pr.X = e[i * NCOL + NCOL - 1].X;
		pr.Y = e[i * NCOL + NCOL - 1].Y;
		pr.Z = e[i * NCOL + NCOL - 1].Z;
		for (k = 0; k < 5; k++) {
			ge_dbl(&d, &pr);
			if (k < 4)
				ge_done_to_proj(&pr, &d);
		}
		ge_done_to_ext(&cur, &d);
	}
	/* Montgomery's batch inversion: prod[n] = Z_0···Z_n, inverted once, unwound. */
	prod[0] = e[0].Z;
	for (k = 1; k < NROW * NCOL; k++)
		fe_mul(&prod[k], &prod[k - 1], &e[k].Z);
	fe_invert(&inv, &prod[NROW * NCOL - 1]);
	for (k = NROW * NCOL - 1; k >= 0; k--) {
		if (k > 0) {
			fe_mul(&zi, &inv, &prod[k - 1]); /* 1/Z_k */
			fe_mul(&inv, &inv, &e[k].Z);     /* 1/(Z_0···Z_{k-1}) */
		} else {
			zi = inv;
		}
		fe_mul(&x, &e[k].X, &zi);
		fe_mul(&y, &e[k].Y, &zi);
		fe_add(&n.ypx, &y, &x);
		fe_carry(&n.ypx);
		fe_sub(&n.ymx, &y, &x);
		fe_mul(&t, &x, &y);
		fe_mul(&n.xy2d, &t, &FE_D2);
		v2u64 *tab = g_tab[k / NCOL][k % NCOL];
		for (i = 0; i < 5; i++)
			tab[i] = (v2u64){n.ypx.v[i], n.ymx.v[i]};
		tab[5] = (v2u64){n.xy2d.v[0], n.xy2d.v[1]};
		tab[6] = (v2u64){n.xy2d.v[2], n.xy2d.v[3]};
		tab[7] = (v2u64){n.xy2d.v[4], 0};
	}
}

void
mg_x25519_init(void)
{
	pthread_once(&g_once, init_once);
}

size_t
mg_x25519_table_size(void)
{
	return sizeof(g_tab);
}

/* ---- X25519(a, 9) ------------------------------------------------------------------------ */

/* t = d·256^row·B for a digit d in [-8, 8], reading the whole row whatever d. */
static void
select_niels(struct ge_niels *t, int row, int8_t d)
{
	uint64_t neg = (uint64_t)(int64_t)d >> 63; /* 1 when d < 0 */
	uint64_t abs = (uint64_t)(((int64_t)d ^ -(int64_t)neg) + (int64_t)neg);
	uint64_t mask;
	v2u64 acc[NPAIR], m, x;
	int j, k;

	/* the identity (1, 1, 0) when d = 0, else exactly one entry ORed in */
	mask = ct_mask((abs - 1) >> 63);
	acc[0] = (v2u64){1 & mask, 1 & mask};
	for (k = 1; k < NPAIR; k++)
		acc[k] = (v2u64){0, 0};
	for (j = 0; j < NCOL; j++) {
		mask = ct_mask(((abs ^ (uint64_t)(j + 1)) - 1) >> 63);
		m = (v2u64){mask, mask};
		for (k = 0; k < NPAIR; k++)
			acc[k] |= g_tab[row][j][k] & m;
	}
	/* -(x, y) = (-x, y): y + x and y - x swap, 2d·x·y changes sign */
	mask = ct_mask(neg);
	m = (v2u64){mask, mask};
	for (k = 0; k < 5; k++) {
		x = (v2u64){acc[k][1], acc[k][0]};
		acc[k] ^= (acc[k] ^ x) & m;
	}
	for (k = 5; k < NPAIR; k++) {
		x = FOURP_XY[k - 5] - acc[k];
		acc[k] ^= (acc[k] ^ x) & m;
	}
	for (k = 0; k < 5; k++) {
		t->ypx.v[k] = acc[k][0];
		t->ymx.v[k] = acc[k][1];
	}
	t->xy2d.v[0] = acc[5][0];
	t->xy2d.v[1] = acc[5][1];
	t->xy2d.v[2] = acc[6][0];
	t->xy2d.v[3] = acc[6][1];
	t->xy2d.v[4] = acc[7][0];
}

void
mg_x25519_base(uint8_t pub[32], const uint8_t secret[32])
{
	uint8_t a[32];
	int8_t e[64];
	int8_t carry = 0;
	struct ge_ext h;
	struct ge_done r;
	struct ge_proj p;
	struct ge_niels t;
	struct fe num, den;
	int i;

	mg_x25519_init();
	memcpy(a, secret, 32);
	a[0] &= 248;
	a[31] &= 127;
	a[31] |= 64;

	/* 64 radix-16 digits in [0, 15], then recentred to [-8, 7] with carries; the last one is
	 * at most 7 + 1 since a < 2^255. */
	for (i = 0; i < 32; i++) {
		e[2 * i] = (int8_t)(a[i] & 15);
		e[2 * i + 1] = (int8_t)(a[i] >> 4);
	}
	for (i = 0; i < 63; i++) {
		e[i] = (int8_t)(e[i] + carry);
		carry = (int8_t)((e[i] + 8) >> 4);
		e[i] = (int8_t)(e[i] - carry * 16);
	}
	e[63] = (int8_t)(e[63] + carry);

	ge_ext_0(&h);
	for (i = 1; i < 63; i += 2) {
		select_niels(&t, i / 2, e[i]);
		ge_madd(&r, &h, &t);
		ge_done_to_ext(&h, &r);
	}
	select_niels(&t, 63 / 2, e[63]);
	ge_madd(&r, &h, &t);
	/* times 16 (the doublings need no T) */
	ge_done_to_proj(&p, &r);
	ge_dbl(&r, &p);
	ge_done_to_proj(&p, &r);
	ge_dbl(&r, &p);
	ge_done_to_proj(&p, &r);
	ge_dbl(&r, &p);
	ge_done_to_proj(&p, &r);
	ge_dbl(&r, &p);
	ge_done_to_ext(&h, &r);
	for (i = 0; i < 64; i += 2) {
		select_niels(&t, i / 2, e[i]);
		ge_madd(&r, &h, &t);
		ge_done_to_ext(&h, &r);
	}

	/* u = (1 + y)/(1 - y) = (Z + Y)/(Z - Y) */
	fe_add(&num, &h.Z, &h.Y);
	fe_sub(&den, &h.Z, &h.Y);
	fe_invert(&den, &den);
	fe_mul(&num, &num, &den);
	fe_tobytes(pub, &num);

	/* the secret's traces on the stack (the barrier keeps the stores) */
	memset(a, 0, sizeof(a));
	memset(e, 0, sizeof(e));
	memset(&h, 0, sizeof(h));
	memset(&r, 0, sizeof(r));
	memset(&p, 0, sizeof(p));
	memset(&t, 0, sizeof(t));
	__asm__ __volatile__("" : : "r"(a), "r"(e), "r"(&h), "r"(&r), "r"(&p), "r"(&t) : "memory");
}
