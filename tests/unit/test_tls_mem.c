/*
 * Memory of the TLS layer (gateway/tls): the capped allocator under mbedTLS (an allocation
 * refused at every point of both handshakes fails them cleanly and leaks nothing), the
 * connection pool cap, the per-connection budget, and a full release at mg_tls_global_free().
 *
 * MG_TLS_MEM_REPORT=1 in the environment prints the measured bytes per connection (the
 * figures in docs/TLS.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tls/mg_tls_test.h"
#include "tests/unit/mgtest.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* One handshake between <s> and <c>, freed at once; 0 or MG_TLS_ERR. */
static int
handshake_once(struct mg_tls_server *s, struct mg_tls_client *c)
{
	struct tls_pair *p = tls_pair_new();
	int r = MG_TLS_ERR;

	if (p != NULL && tls_pair_start(p, s, c, "a.example.com"))
		r = tls_pair_handshake(p);
	tls_pair_free(p);
	return r;
}

MG_TEST(tls_alloc_cap_fails_handshakes_cleanly)
{
	struct mg_tls_client_conf cc13 = {.no_resumption = true};
	struct mg_tls_client_conf cc12 = {.no_resumption = true, .max_version = MG_TLS_VERSION_1_2};
	struct mg_tls_client *clients[2];
	struct mg_tls_server *s;
	struct mg_tls_mem_stats st;
	size_t base, setup, extra;
	unsigned int ok = 0, failed = 0, v;
	uint64_t failures0;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	clients[0] = tls_std_client(&cc13);
	clients[1] = tls_std_client(&cc12);
	MG_ASSERT(s != NULL && clients[0] != NULL && clients[1] != NULL);
	/* Warm up (PSA's key store grows once), then measure two fresh connections. */
	MG_EXPECT_EQ_INT(handshake_once(s, clients[0]), 0);
	MG_EXPECT_EQ_INT(handshake_once(s, clients[1]), 0);
	base = tls_mem_in_use();
	{
		struct tls_pair *p = tls_pair_new();

		MG_ASSERT(tls_pair_start(p, s, clients[0], "a.example.com"));
		setup = tls_mem_in_use() - base;
		tls_pair_free(p);
	}
	MG_EXPECT_EQ_UINT(tls_mem_in_use(), base);

	/* Not even the record buffers: mg_tls_accept() says NULL, counted, nothing held. */
	mg_tls_mem_stats(&st);
	failures0 = st.failures;
	mg_tls_mem_set_cap(base + setup / 4);
	{
		struct tls_pair *p = tls_pair_new();

		MG_EXPECT(!tls_pair_start(p, s, NULL, NULL));
		tls_pair_free(p);
	}
	mg_tls_mem_stats(&st);
	MG_EXPECT(st.failures > failures0);
	MG_EXPECT_EQ_UINT(st.in_use, base);
	MG_EXPECT_EQ_UINT(st.cap, base + setup / 4);
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->failures[MG_TLS_FAIL_ALLOC_FAILED], 1);

	/*
	 * Room for both connections plus <extra> bytes: walking <extra> up hits the allocation
	 * points of both handshakes one after the other.  Each run either completes or fails
	 * with alloc_failed on a side that was refused, and every byte comes back.
	 */
	for (v = 0; v < 2; v++) {
		for (extra = 0; extra < 48 * 1024; extra += 256) {
			int r;

			MG_CASE("%s, %zu bytes beyond setup", v ? "TLS 1.2" : "TLS 1.3", extra);
			mg_tls_mem_set_cap(base + setup + extra);
			{
				struct tls_pair *p = tls_pair_new();

				MG_ASSERT(tls_pair_start(p, s, clients[v], "a.example.com"));
				r = tls_pair_handshake(p);
				if (r == 0) {
					ok++;
				} else {
					failed++;
					MG_EXPECT(mg_tls_conn_failure(p->srv) ==
					              MG_TLS_FAIL_ALLOC_FAILED ||
					          mg_tls_conn_failure(p->cli) ==
					              MG_TLS_FAIL_ALLOC_FAILED);
				}
				tls_pair_free(p);
			}
			MG_EXPECT_EQ_UINT(tls_mem_in_use(), base);
		}
	}
	MG_CASE("%s", "");
	mg_tls_mem_set_cap(0);
	MG_EXPECT(ok > 0 && failed > 40);
	/* And the contexts still work. */
	MG_EXPECT_EQ_INT(handshake_once(s, clients[0]), 0);
	mg_tls_client_free(clients[0]);
	mg_tls_client_free(clients[1]);
	mg_tls_server_free(s);
}

MG_TEST(tls_connection_pool_is_capped)
{
	struct mg_tls_global_conf gc = {.max_conns = 3};
	struct mg_tls_mem_stats st;
	struct mg_tls_server *s;
	struct mg_tls_client *c;
	struct tls_pair *p = tls_pair_new(), *q = tls_pair_new();
	char err[128];

	MG_ASSERT(tls_test_setup());
	mg_tls_global_free();
	MG_ASSERT_EQ_INT(mg_tls_global_init(&gc, err, sizeof(err)), 0);
	MG_EXPECT_EQ_INT(mg_tls_global_init(&gc, err, sizeof(err)), -EALREADY);
	s = tls_std_server(NULL);
	c = tls_std_client(NULL);
	MG_ASSERT(s != NULL && c != NULL && p != NULL && q != NULL);
	MG_EXPECT(tls_pair_start(p, s, c, "a.example.com"));
	MG_EXPECT(!tls_pair_start(q, s, c, "a.example.com")); /* server yes, client no */
	MG_EXPECT(q->srv != NULL && q->cli == NULL);
	mg_tls_mem_stats(&st);
	MG_EXPECT_EQ_UINT(st.conns, 3);
	MG_EXPECT_EQ_UINT(st.conns_max, 3);
	MG_EXPECT_EQ_UINT(st.conns_refused, 1);
	MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);
	tls_pair_free(q);
	mg_tls_mem_stats(&st);
	MG_EXPECT_EQ_UINT(st.conns, 2);
	tls_pair_free(p);
	mg_tls_client_free(c);
	mg_tls_server_free(s);
	mg_tls_global_free();
	MG_EXPECT(tls_test_setup()); /* back to the defaults for the tests that follow */
}

struct mem_case {
	const char *what;
	const char *sni;
	enum mg_tls_version max;
	bool client_cert;
	bool resume;
	size_t budget; /* most an idle server connection may hold */
	bool rsa;      /* the server has only the RSA certificate */
};

static void
measure(const struct mem_case *k, bool report)
{
	struct mg_tls_client_conf cc = {.max_version = k->max};
	struct mg_tls_server_conf sc = {0};
	struct mg_tls_conn_info si, ci;
	struct mg_tls_server *s;
	struct mg_tls_client *c;
	struct tls_pair *p;
	size_t before;

	MG_CASE("%s", k->what);
	if (k->client_cert) {
		sc.client_ca_file = tls_file("ca.crt");
		cc.cert_chain_file = tls_file("client.crt");
		cc.key_file = tls_file("client.key");
	}
	if (k->rsa) {
		struct mg_tls_cert_conf rsa = {tls_file("rsa-chain.crt"), tls_file("rsa.key")};
		char err[256];

		sc.certs = &rsa;
		sc.ncerts = 1;
		if (mg_tls_server_new(&s, &sc, err, sizeof(err)) != 0)
			s = NULL;
	} else {
		s = tls_std_server(&sc);
	}
	c = tls_std_client(&cc);
	MG_ASSERT(s != NULL && c != NULL);
	/* The first connection warms up (and makes a ticket); the second is measured. */
	p = tls_pair_new();
	if (tls_pair_start(p, s, c, k->sni) && tls_pair_handshake(p) == 0)
		tls_transfer(p, false, 10);
	tls_pair_free(p);
	if (!k->resume) {
		mg_tls_client_free(c);
		c = tls_std_client(&cc);
	}
	before = tls_mem_in_use();
	p = tls_pair_new();
	MG_ASSERT(tls_pair_start(p, s, c, k->sni));
	MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);
	/* Idle: after the handshake and a request/response, nothing in flight. */
	MG_EXPECT(tls_transfer(p, true, 500) && tls_transfer(p, false, 5000));
	mg_tls_conn_info(p->srv, &si);
	mg_tls_conn_info(p->cli, &ci);
	MG_EXPECT_EQ_INT(si.resumed, k->resume);
	MG_EXPECT(si.mem <= k->budget);
	MG_EXPECT(si.mem_peak >= si.mem && ci.mem_peak >= ci.mem);
	if (report)
		printf("%-34s server idle %6zu peak %6zu | client idle %6zu peak %6zu | "
		       "process %zu\n",
		       k->what, si.mem, si.mem_peak, ci.mem, ci.mem_peak,
		       tls_mem_in_use() - before);
	tls_pair_free(p);
	mg_tls_client_free(c);
	mg_tls_server_free(s);
}

MG_TEST(tls_memory_per_connection)
{
	static const struct mem_case cases[] = {
	    {"TLS 1.3, ECDSA P-256, X25519", "a.example.com", MG_TLS_VERSION_DEFAULT, false, false,
	     32000},
	    {"TLS 1.3, resumed", "a.example.com", MG_TLS_VERSION_DEFAULT, false, true, 32000},
	    {"TLS 1.3, RSA-2048 + intermediate", "b.example.com", MG_TLS_VERSION_DEFAULT, false,
	     false, 33000, true},
	    {"TLS 1.3, client certificate", "a.example.com", MG_TLS_VERSION_DEFAULT, true, false,
	     33500},
	    {"TLS 1.2, ECDSA P-256, X25519", "a.example.com", MG_TLS_VERSION_1_2, false, false,
	     28000},
	    {"TLS 1.2, resumed", "a.example.com", MG_TLS_VERSION_1_2, false, true, 28000},
	};
	bool report = getenv("MG_TLS_MEM_REPORT") != NULL;
	unsigned int i;

	MG_ASSERT(tls_test_setup());
	if (report)
		printf(
		    "\nbytes held in the capped allocator (16-byte header per block included)\n");
	for (i = 0; i < N(cases); i++)
		measure(&cases[i], report);
}

MG_TEST(tls_global_free_returns_every_byte)
{
	struct mg_tls_server *s;
	struct mg_tls_client *c;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	c = tls_std_client(NULL);
	MG_ASSERT(s != NULL && c != NULL);
	/* The reseed path (first tick anchors, the next reseeds) leaves the generator working. */
	mg_tls_tick(100);
	mg_tls_tick(100 + MG_TLS_RESEED_INTERVAL);
	MG_EXPECT_EQ_INT(handshake_once(s, c), 0);
	MG_EXPECT(tls_mem_in_use() > 0);
	mg_tls_client_free(c);
	mg_tls_server_free(s);
	mg_tls_global_free();
	MG_EXPECT_EQ_UINT(tls_mem_in_use(), 0);
	MG_EXPECT(tls_test_setup());
}
