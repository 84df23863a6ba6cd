/*
 * libFuzzer target: AES-GCM through our AES-NI/PCLMULQDQ code (platform/mbedtls/mg_gcm_x86.c,
 * compiled into this target instrumented; gcm.c calls it through patch 0007) against
 * mbedTLS's own code (mg_gcm_x86_enable(0); the library, uninstrumented), both variants
 * (128-bit registers; 256-bit VAES/VPCLMULQDQ) where the CPU has them.
 *
 * Input: one byte of flags (bits 0-1: key size 128/192/256; bit 2: decrypt; bit 3: an IV of
 * 1-32 bytes instead of 12; bit 4: set the 32-bit counter from the input, to cross its wrap),
 * 32 bytes of key, 32 of IV, 4 of counter, one byte of AAD length (0-63) and 64 of AAD, then
 * pieces: a length byte n, then min(n, what is left) bytes of message for one
 * mbedtls_gcm_update() call (n >= 200 means 16 * (n - 199) bytes: up to 896 in one call).
 * Missing header bytes are zero.  Checks that both give the same output, bit for bit, and
 * the same tag.
 */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS /* the counter block, for bit 4 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/gcm.h>

#include "platform/mbedtls/mg_gcm_x86.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { HDR = 1 + 32 + 32 + 4 + 1 + 64 };

static void
check(int cond)
{
	if (!cond)
		abort();
}

/* Runs the whole input through a fresh context; the output into <out>, the tag into <tag>. */
static void
run(const uint8_t *h, const uint8_t *data, size_t size, uint8_t *out, uint8_t tag[16])
{
	static const unsigned int bits[4] = {128, 192, 256, 128};
	mbedtls_gcm_context g;
	size_t ivlen = (h[0] & 8) ? 1 + h[33] % 32 : 12, alen = h[69] % 64, olen, done = 0;
	int mode = (h[0] & 4) ? MBEDTLS_GCM_DECRYPT : MBEDTLS_GCM_ENCRYPT;

	mbedtls_gcm_init(&g);
	check(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, h + 1, bits[h[0] & 3]) == 0);
	check(mbedtls_gcm_starts(&g, mode, h + 33, ivlen) == 0);
	if (h[0] & 16)
		memcpy(g.y + 12, h + 65, 4);
	check(mbedtls_gcm_update_ad(&g, h + 70, alen) == 0);
	while (size > 0) {
		size_t n = data[0] >= 200 ? 16 * (size_t)(data[0] - 199) : data[0];

		data++, size--;
		if (n > size)
			n = size;
		check(mbedtls_gcm_update(&g, data, n, out + done, n, &olen) == 0 && olen == n);
		data += n, size -= n, done += n;
	}
	check(mbedtls_gcm_finish(&g, NULL, 0, &olen, tag, 16) == 0);
	mbedtls_gcm_free(&g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t h[HDR] = {0}, t1[16], t2[16];
	uint8_t *o1, *o2;
	int best = mg_gcm_x86_enable(9);
	size_t n = size > HDR ? HDR : size;

	memcpy(h, data, n);
	data += n, size -= n;
	o1 = malloc(size + 1);
	o2 = malloc(size + 1);
	check(o1 != NULL && o2 != NULL);

	mg_gcm_x86_enable(0);
	run(h, data, size, o1, t1);
	for (int level = 1; level <= best; level++) {
		mg_gcm_x86_enable(level);
		run(h, data, size, o2, t2);
		check(memcmp(o1, o2, size) == 0);
		check(memcmp(t1, t2, 16) == 0);
	}

	free(o1);
	free(o2);
	return 0;
}
