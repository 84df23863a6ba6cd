/*
 * RFC 6528 initial sequence numbers: the pure computation (the lwIP hook that
 * feeds it the clock is in mg_sys.c).  See mg_isn.h.
 */
#include <string.h>

#include "mg_isn.h"
#include "mg_siphash.h"

static uint8_t isn_secret[16];
static uint8_t hash_key[16];

void
mg_isn_init(const uint8_t secret[16])
{
	static const char label[2][16] = {"mg-pcb-hash-key0", "mg-pcb-hash-key1"};
	uint64_t k0 = mg_siphash24(secret, label[0], sizeof(label[0]));
	uint64_t k1 = mg_siphash24(secret, label[1], sizeof(label[1]));

	memcpy(isn_secret, secret, sizeof(isn_secret));
	memcpy(hash_key, &k0, 8);
	memcpy(hash_key + 8, &k1, 8);
}

uint32_t
mg_isn_tuple_hash(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
	uint8_t tuple[12];

	memcpy(tuple, &laddr, 4);
	memcpy(tuple + 4, &raddr, 4);
	memcpy(tuple + 8, &lport, 2);
	memcpy(tuple + 10, &rport, 2);
	return (uint32_t)mg_siphash24(hash_key, tuple, sizeof(tuple));
}

uint32_t
mg_isn_compute(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport, uint64_t usec)
{
	uint8_t tuple[12];

	memcpy(tuple, &laddr, 4);
	memcpy(tuple + 4, &raddr, 4);
	memcpy(tuple + 8, &lport, 2);
	memcpy(tuple + 10, &rport, 2);
	return (uint32_t)(usec >> 2) + (uint32_t)mg_siphash24(isn_secret, tuple, sizeof(tuple));
}
