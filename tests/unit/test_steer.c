/*
 * Source-port steering for several workers (gateway/net/mg_steer.c).
 */
#include <arpa/inet.h>

#include "gateway/net/mg_steer.h"
#include "tests/unit/mgtest.h"

MG_TEST(steer_partition_gives_each_worker_its_own_ports)
{
	struct mg_steer s[3];
	unsigned int k, i;

	for (k = 0; k < 3; k++)
		mg_steer_init(&s[k], 3, k, 12345);
	for (k = 0; k < 3; k++)
		for (i = 0; i < 10000; i++) {
			uint16_t p = mg_steer_port(&s[k], htonl(0x0a630001), 8080, 0);

			MG_ASSERT(p >= MG_STEER_PORT_MIN);
			MG_ASSERT_EQ_UINT((p - MG_STEER_PORT_MIN) % 3, k);
		}
}

MG_TEST(steer_rss_reply_and_forward_land_on_the_opening_worker)
{
	const uint32_t up = htonl(0x0a000105), me = htonl(0x0a000202);
	unsigned int n, k, i;

	/* The symmetric key hashes both directions alike. */
	{
		struct mg_steer s;

		mg_steer_init(&s, 4, 0, 0);
		mg_steer_set_rss(&s, mg_steer_symmetric_key, 128, me);
		for (i = 0; i < 1000; i++)
			MG_ASSERT_EQ_UINT(
			    mg_steer_rss_queue(&s, up, me, 443, (uint16_t)(50000 + i)),
			    mg_steer_rss_queue(&s, me, up, (uint16_t)(50000 + i), 443));
	}
	for (n = 2; n <= 8; n *= 2)
		for (k = 0; k < n; k++) {
			struct mg_steer s;
			unsigned int hits[8] = {0};

			mg_steer_init(&s, n, k, 7 * k);
			mg_steer_set_rss(&s, mg_steer_symmetric_key, 128, me);
			for (i = 0; i < 200; i++) {
				uint16_t p = mg_steer_port(&s, up, 443, i);

				MG_ASSERT(p != 0);
				MG_ASSERT_EQ_UINT(mg_steer_rss_queue(&s, up, me, 443, p), k);
				hits[mg_steer_rss_queue(&s, me, up, p, 443)]++;
			}
			MG_EXPECT_EQ_UINT(hits[k], 200);
		}
}

MG_TEST(steer_rss_follows_the_port_redirection_table)
{
	const uint32_t up = htonl(0x0a000105), me = htonl(0x0a000202);
	uint16_t reta[64];
	unsigned int k, i;

	/* Not round robin: entries 0..47 to queue 0, 48..63 to queue 1 (as a PMD or an operator
	 * may set it); the ports chosen follow the table read back, not i % n. */
	for (i = 0; i < 64; i++)
		reta[i] = i < 48 ? 0 : 1;
	for (k = 0; k < 2; k++) {
		struct mg_steer s, rr;

		mg_steer_init(&s, 2, k, 99);
		mg_steer_set_rss(&s, mg_steer_symmetric_key, 64, me);
		mg_steer_set_reta(&s, reta, 64);
		mg_steer_init(&rr, 2, k, 99);
		mg_steer_set_rss(&rr, mg_steer_symmetric_key, 64, me);
		for (i = 0; i < 200; i++) {
			uint16_t p = mg_steer_port(&s, up, 443, i);

			MG_ASSERT(p != 0);
			MG_ASSERT_EQ_UINT(mg_steer_rss_queue(&s, up, me, 443, p), k);
			MG_ASSERT_EQ_UINT(mg_steer_rss_queue(&s, me, up, p, 443), k);
		}
		/* The table matters: with it, some ports differ from the round-robin choice. */
		for (i = 0; i < 2000; i++)
			if (mg_steer_rss_queue(&s, up, me, 443, (uint16_t)(50000 + i)) !=
			    mg_steer_rss_queue(&rr, up, me, 443, (uint16_t)(50000 + i)))
				break;
		MG_EXPECT(i < 2000);
	}
}

MG_TEST(steer_port_ok_matches_the_policy)
{
	const uint32_t dns = htonl(0x0a000135), me = htonl(0x0a000202);
	unsigned int k, p, mine;

	for (k = 0; k < 4; k++) {
		struct mg_steer s;

		mg_steer_init(&s, 4, k, 0);
		MG_ASSERT(!mg_steer_port_ok(&s, dns, 53, 1024));
		for (p = MG_STEER_PORT_MIN; p < 65536; p += 7)
			MG_ASSERT(mg_steer_port_ok(&s, dns, 53, (uint16_t)p) ==
			          ((p - MG_STEER_PORT_MIN) % 4 == k));
		mg_steer_set_rss(&s, mg_steer_symmetric_key, 128, me);
		for (p = MG_STEER_PORT_MIN, mine = 0; p < 65536; p++) {
			bool ok = mg_steer_port_ok(&s, dns, 53, (uint16_t)p);

			MG_ASSERT(ok == (mg_steer_rss_queue(&s, dns, me, 53, (uint16_t)p) == k));
			mine += ok;
		}
		/* About a quarter of the ports are this worker's. */
		MG_EXPECT(mine > 16384 / 8 && mine < 16384 / 2);
	}
}
