/*
 * SipHash-2-4 against the reference vectors, and the RFC 6528 ISN function's
 * properties: keyed, tuple-sensitive, advancing with the 4 µs clock.
 */
#include <stdint.h>
#include <string.h>

#include "platform/lwip/mg_isn.h"
#include "platform/lwip/mg_siphash.h"
#include "tests/unit/mgtest.h"

static const uint8_t key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

MG_TEST(siphash_reference_vectors)
{
	/* From the SipHash paper's reference implementation (vectors.h):
	 * key 00..0f, message 00..(n-1). */
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = {
	    {0, 0x726fdb47dd0e0e31ULL},  {1, 0x74f839c593dc67fdULL},  {7, 0xab0200f58b01d137ULL},
	    {8, 0x93f5f5799a932462ULL},  {15, 0xa129ca6149be45e5ULL}, {16, 0x3f2acc7f57c29bdbULL},
	    {63, 0x958a324ceb064572ULL},
	};
	uint8_t msg[64];
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		MG_CASE("len %zu", v[i].len);
		MG_EXPECT_EQ_UINT(mg_siphash24(key, msg, v[i].len), v[i].want);
	}
}

MG_TEST(isn_depends_on_tuple_key_and_clock)
{
	uint8_t other[16];
	uint32_t a, b;

	mg_isn_init(key);
	a = mg_isn_compute(0x0200000a, 80, 0x0100000a, 40000, 0);
	MG_EXPECT_EQ_UINT(a, mg_isn_compute(0x0200000a, 80, 0x0100000a, 40000, 0));
	MG_EXPECT(a != mg_isn_compute(0x0200000a, 80, 0x0100000a, 40001, 0));
	MG_EXPECT(a != mg_isn_compute(0x0200000a, 81, 0x0100000a, 40000, 0));
	MG_EXPECT(a != mg_isn_compute(0x0300000a, 80, 0x0100000a, 40000, 0));
	MG_EXPECT(a != mg_isn_compute(0x0200000a, 80, 0x0101000a, 40000, 0));

	/* M advances one step per 4 µs (RFC 6528 section 3). */
	MG_EXPECT_EQ_UINT(mg_isn_compute(0x0200000a, 80, 0x0100000a, 40000, 4000), a + 1000);
	MG_EXPECT_EQ_UINT(mg_isn_compute(0x0200000a, 80, 0x0100000a, 40000, 3), a);

	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	mg_isn_init(other);
	b = mg_isn_compute(0x0200000a, 80, 0x0100000a, 40000, 0);
	MG_EXPECT(a != b);
}
