/*
 * Meshgate's X25519 public-key computation (platform/mbedtls/mg_x25519.c), compiled into the
 * mbedTLS library and called by psa_export_public_key() for X25519 key pairs (our mbedTLS patch
 * platform/mbedtls/patches/0001-*): the server's ephemeral key share of every TLS 1.3
 * handshake that uses X25519.  The shared secret (a variable-base multiplication) still goes
 * through Everest's Montgomery ladder.
 *
 * The result is bit-identical to Hacl_Curve25519_crypto_scalarmult(pub, secret, u = 9) for every
 * 32-byte secret, about 4x faster (11-12 us instead of 43-50 us of CPU here): a fixed-base comb on
 * the Edwards form of the curve with a precomputed table (32 KiB).  Constant time: no branch and no
 * memory index depends on the secret.
 */
#ifndef MG_X25519_H
#define MG_X25519_H

#include <stddef.h>
#include <stdint.h>

/* Builds the table of multiples of the base point (32 KiB, well under a millisecond); idempotent
 * and thread-safe (pthread_once), called by the first mg_x25519_base() of each process.  Calling
 * it before workers fork or start takes that cost off their first handshake. */
void mg_x25519_init(void);

/* Size of the table in bytes, for documentation and tests. */
size_t mg_x25519_table_size(void);

/*
 * X25519(secret, 9) of RFC 7748: the scalar is clamped (bits 0-2 and 255 cleared, bit 254 set)
 * and <pub> receives the u-coordinate of secret·B in canonical little-endian form (< p).
 * <secret> is not modified; <pub> and <secret> may be the same buffer.
 */
void mg_x25519_base(uint8_t pub[32], const uint8_t secret[32]);

#endif /* MG_X25519_H */
