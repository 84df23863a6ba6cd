/*
 * Meshgate's ECDSA P-256 signer (platform/mbedtls/mg_p256.c), compiled into the mbedTLS
 * library and called by mbedtls_ecdsa_sign_restartable() for secp256r1 keys (our mbedTLS patch
 * platform/mbedtls/patches/0003-*): every P-256 signature mbedTLS makes (TLS 1.3
 * CertificateVerify, TLS 1.2 ServerKeyExchange, PSA sign_hash, the deterministic RFC 6979 path)
 * goes through it.  The nonce k is drawn by mbedtls_ecp_gen_privkey() from the caller's
 * generator exactly as the generic code draws it, so deterministic signatures are bit-identical
 * to mbedTLS's.  Constant time: no branch and no memory index depends on k, d or the hash.
 *
 * MG_P256_GENERIC=1 in the environment (read once) or mg_p256_set_enabled(0) falls back to
 * mbedTLS's generic ecp.c, to measure one against the other.
 */
#ifndef MG_P256_H
#define MG_P256_H

#include <stddef.h>
#include <stdint.h>

#include "mbedtls/bignum.h"
#include "mbedtls/ecp.h"

/* Builds the table of multiples of G (≈ 150 KB, a few ms); idempotent and thread-safe.  The
 * first signature calls it; calling it at start-up takes that cost off the first handshake. */
void mg_p256_init(void);

/* 1 unless MG_P256_GENERIC=1 was in the environment at the first call or
 * mg_p256_set_enabled(0) was called. */
int mg_p256_enabled(void);
void mg_p256_set_enabled(int on);

/* Signatures made by mg_p256_ecdsa_sign() in this process. */
unsigned long mg_p256_sign_count(void);

/*
 * ECDSA signature (r, s) of the hash <buf, blen> with the P-256 private key <d> (1 <= d < n,
 * checked by the caller), the nonce drawn with mbedtls_ecp_gen_privkey(grp, ., f_rng, p_rng).
 * <grp> must be the loaded secp256r1 group.  Returns 0 or an mbedTLS error code, like
 * mbedtls_ecdsa_sign().
 */
int mg_p256_ecdsa_sign(mbedtls_ecp_group *grp, mbedtls_mpi *r, mbedtls_mpi *s, const mbedtls_mpi *d,
                       const unsigned char *buf, size_t blen,
                       int (*f_rng)(void *, unsigned char *, size_t), void *p_rng);

/*
 * k·G for a 32-byte big-endian scalar <k> (any value below 2^256), in constant time: the
 * affine coordinates, big-endian, into <x> and <y>.  Returns 0, or -1 when k·G is the point at
 * infinity (k ≡ 0 mod n; <x> and <y> are then zero).  For tests and the fuzz target.
 */
int mg_p256_base_mul(uint8_t x[32], uint8_t y[32], const uint8_t k[32]);

#endif /* MG_P256_H */
