/*
 * libFuzzer target: our X25519 public-key code (platform/mbedtls/mg_x25519.c, compiled into this
 * target instrumented) against Everest's Montgomery ladder, Hacl_Curve25519_crypto_scalarmult
 * with u = 9, from the gateway's mbedTLS library (uninstrumented).
 *
 * Input: up to four 32-byte secrets (the last one padded with zero bytes); each must give the
 * same 32 bytes both ways, computed into a separate buffer and in place.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform/mbedtls/mg_x25519.h"

/* In the mbedTLS library (3rdparty/everest); its header needs Everest's private include paths. */
void Hacl_Curve25519_crypto_scalarmult(uint8_t *mypublic, uint8_t *secret, uint8_t *basepoint);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t secret[32], ours[32], theirs[32], base[32];
	size_t off, n;

	for (off = 0; off == 0 || (off < size && off < 128); off += 32) {
		n = size - off < 32 ? size - off : 32;
		memset(secret, 0, sizeof(secret));
		memcpy(secret, data + off, n);
		mg_x25519_base(ours, secret);
		memset(base, 0, sizeof(base));
		base[0] = 9;
		Hacl_Curve25519_crypto_scalarmult(theirs, secret, base);
		if (memcmp(ours, theirs, 32) != 0)
			abort();
		mg_x25519_base(secret, secret);
		if (memcmp(secret, theirs, 32) != 0)
			abort();
	}
	return 0;
}
