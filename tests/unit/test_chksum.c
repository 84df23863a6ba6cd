/*
 * mg_chksum() (platform/lwip/mg_chksum.h), lwIP's Internet checksum: equal to
 * the RFC 1071 sum of 16-bit words for every length, alignment and content.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mgtest.h"
#include "platform/lwip/mg_chksum.h"

/* RFC 1071, two bytes at a time in memory order; a last odd byte is the low byte. */
static uint16_t
ref_chksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	uint16_t w;
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		memcpy(&w, p + i, 2);
		sum += w;
	}
	if (n & 1)
		sum += p[n - 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

MG_TEST(chksum_equals_rfc1071)
{
	static uint8_t buf[4096 + 16];
	unsigned int seed = 12345;
	size_t len, off, i;
	int round;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = round == 0 ? (uint8_t)(seed >> 16) : round == 1 ? 0xff : 0x00;
		}
		for (off = 0; off < 8; off++) {
			for (len = 0; len <= 1600; len++) {
				MG_CASE("round %d offset %zu length %zu", round, off, len);
				MG_EXPECT_EQ_UINT(mg_chksum(buf + off, (int)len),
				                  ref_chksum(buf + off, len));
			}
		}
		for (len = 1600; len <= 4096; len += 97) {
			MG_CASE("round %d length %zu", round, len);
			MG_EXPECT_EQ_UINT(mg_chksum(buf + 3, (int)len), ref_chksum(buf + 3, len));
		}
	}
}

/* The IPv4 header example of RFC 1071's successors: its checksum field is ~sum. */
MG_TEST(chksum_ipv4_header)
{
	const uint8_t hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	                         0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

	/* A header with its checksum in place sums to 0xffff. */
	MG_EXPECT_EQ_UINT(mg_chksum(hdr, 20), 0xffff);
	MG_EXPECT_EQ_UINT(mg_chksum(hdr, 0), 0);
	MG_EXPECT_EQ_UINT(mg_chksum(hdr, -1), 0);
}
