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

/* After a busy spell the memory goes back to the kernel: 24 pairs (48 connections, ≈ 1.2 MB of
 * record buffers) released in one pass trigger one malloc_trim() (counted), the record buffers
 * kept for reuse are dropped with it, and the connections still work.  A handshake takes its
 * record buffers from those kept when there are some (counted as reuse hits). */
MG_TEST(tls_release_pass_returns_memory)
{
	enum { PAIRS = 24 };
	struct tls_pair *p[PAIRS];
	struct mg_tls_mem_stats m0, m1, m2;
	struct mg_tls_server *s;
	struct mg_tls_client *c;
	unsigned int i;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	c = tls_std_client(NULL);
	MG_ASSERT(s != NULL && c != NULL);
	mg_tls_mem_stats(&m0);
	for (i = 0; i < PAIRS; i++) {
		p[i] = tls_pair_new();
		MG_ASSERT(p[i] != NULL);
		MG_ASSERT(tls_pair_start(p[i], s, c, "a.example.com"));
		MG_ASSERT_EQ_INT(tls_pair_handshake(p[i]), 0);
		MG_EXPECT(tls_transfer(p[i], true, 100));
		MG_EXPECT(tls_transfer(p[i], false, 1000));
	}
	mg_tls_release_idle();
	MG_EXPECT_EQ_UINT(mg_tls_release_idle(), 2 * PAIRS);
	mg_tls_mem_stats(&m1);
	MG_EXPECT_EQ_UINT(m1.trims, m0.trims + 1);
	MG_EXPECT_EQ_UINT(m1.reuse_bytes, 0);
	/* Used again: the buffers come back (and new handshakes reuse freed ones). */
	for (i = 0; i < PAIRS; i++)
		MG_EXPECT(tls_transfer(p[i], i % 2 == 0, 5000));
	tls_pair_free(p[0]);
	p[0] = tls_pair_new();
	MG_ASSERT(p[0] != NULL && tls_pair_start(p[0], s, c, "a.example.com"));
	MG_ASSERT_EQ_INT(tls_pair_handshake(p[0]), 0);
	mg_tls_mem_stats(&m2);
	MG_EXPECT(m2.reuse_hits > m1.reuse_hits);
	if (getenv("MG_TLS_MEM_REPORT") != NULL)
		printf("release pass: trims %llu (last %llu us), reuse hits %llu\n",
		       (unsigned long long)m1.trims, (unsigned long long)m1.trim_us,
		       (unsigned long long)m2.reuse_hits);
	for (i = 0; i < PAIRS; i++)
		tls_pair_free(p[i]);
	mg_tls_server_free(s);
	mg_tls_client_free(c);
}
