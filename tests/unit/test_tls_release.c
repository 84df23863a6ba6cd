/*
 * Idle connections give their record buffers back (mg_tls_release_idle(), our mbedTLS patch
 * 0002) and get them again on their next use: data keeps flowing both ways, in records of every
 * size, and the bytes held while idle drop by the 16 + 8 KiB buffers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/tls/mg_tls_test.h"
#include "tests/unit/mgtest.h"

MG_TEST(tls_idle_connections_release_record_buffers)
{
	struct mg_tls_server *s;
	struct mg_tls_client *c;
	struct tls_pair *p = tls_pair_new();
	size_t busy, idle;
	int round;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	c = tls_std_client(NULL);
	MG_ASSERT(s != NULL && c != NULL && p != NULL);
	MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
	MG_ASSERT_EQ_INT(tls_pair_handshake(p), 0);
	MG_EXPECT(tls_transfer(p, true, 100));
	MG_EXPECT(tls_transfer(p, false, 1000));
	for (round = 0; round < 3; round++) {
		busy = tls_mem_in_use();
		/* The first pass only notes that the connections were used; the second shrinks. */
		mg_tls_release_idle();
		MG_EXPECT_EQ_UINT(mg_tls_release_idle(), 2);
		MG_EXPECT_EQ_UINT(mg_tls_release_idle(), 0); /* already released */
		idle = tls_mem_in_use();
		if (getenv("MG_TLS_MEM_REPORT") != NULL)
			printf("two connections: %zu bytes busy, %zu idle\n", busy, idle);
		/* server 16 KiB + 8 KiB, client the same: at least 40 KB back */
		MG_EXPECT(busy > idle + 40000);
		/* Used again: buffers come back, data flows both ways, small and full records. */
		MG_EXPECT(tls_transfer(p, true, 100 + (size_t)round * 20000));
		MG_EXPECT(tls_transfer(p, false, 1000 + (size_t)round * 30000));
		MG_EXPECT(tls_mem_in_use() > idle + 40000); /* the buffers are back */
	}
	tls_pair_free(p);
	mg_tls_server_free(s);
	mg_tls_client_free(c);
}
