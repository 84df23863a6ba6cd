/*
 * TLS session resumption (gateway/tls): TLS 1.3 and TLS 1.2 tickets, the client's session
 * cache, and ticket-key rotation driven by mg_tls_server_tick().
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/tls/mg_tls_int.h" /* white box: snapshots of the client's cached session */
#include "tests/tls/mg_tls_test.h"
#include "tests/unit/mgtest.h"

/* One connection between <s> and <c>; returns 1 resumed, 0 full handshake, -1 failure.  Data
 * flows from the server afterwards so that the client takes in TLS 1.3 tickets. */
static int
connect_once(struct mg_tls_server *s, struct mg_tls_client *c, const char *sni)
{
	struct tls_pair *p = tls_pair_new();
	struct mg_tls_conn_info si, ci;
	int ret = -1;

	if (p == NULL || !tls_pair_start(p, s, c, sni) || tls_pair_handshake(p) != 0 ||
	    !tls_transfer(p, false, 100) || !tls_transfer(p, true, 100))
		goto done;
	mg_tls_conn_info(p->srv, &si);
	mg_tls_conn_info(p->cli, &ci);
	if (si.resumed != ci.resumed) {
		mg_test_fail(__FILE__, __LINE__, "server says resumed=%d, client %d", si.resumed,
		             ci.resumed);
		goto done;
	}
	/* A resumed session was verified when it was made. */
	if (!ci.peer_verified)
		mg_test_fail(__FILE__, __LINE__, "client: peer not verified");
	ret = si.resumed;
done:
	tls_pair_free(p);
	return ret;
}

struct snapshot {
	unsigned char buf[4096];
	size_t len;
};

static bool
snap_take(struct mg_tls_client *c, struct snapshot *snap)
{
	return c->session_valid &&
	       mbedtls_ssl_session_save(&c->session, snap->buf, sizeof(snap->buf), &snap->len) == 0;
}

static bool
snap_restore(struct mg_tls_client *c, const struct snapshot *snap)
{
	mbedtls_ssl_session_free(&c->session);
	mbedtls_ssl_session_init(&c->session);
	c->session_valid = mbedtls_ssl_session_load(&c->session, snap->buf, snap->len) == 0;
	return c->session_valid;
}

static const char *
vname(int v)
{
	return v ? "TLS 1.2" : "TLS 1.3";
}

MG_TEST(tls_resumption_with_tickets)
{
	int v;

	MG_ASSERT(tls_test_setup());
	for (v = 0; v < 2; v++) {
		struct mg_tls_client_conf cc = {.max_version = v ? MG_TLS_VERSION_1_2
		                                                 : MG_TLS_VERSION_DEFAULT};
		struct mg_tls_server *s = tls_std_server(NULL);
		struct mg_tls_client *c = tls_std_client(&cc);

		MG_CASE("%s", vname(v));
		MG_ASSERT(s != NULL && c != NULL);
		mg_tls_server_tick(s, 10);
		MG_EXPECT_EQ_INT(connect_once(s, c, "a.example.com"), 0);
		MG_EXPECT(c->session_valid);
		MG_EXPECT_EQ_INT(connect_once(s, c, "a.example.com"), 1);
		MG_EXPECT_EQ_INT(connect_once(s, c, "a.example.com"), 1);
		/* The cache is per name: another SNI does not offer it. */
		MG_EXPECT_EQ_INT(connect_once(s, c, "b.example.com"), 0);
		MG_EXPECT_EQ_INT(connect_once(s, c, "b.example.com"), 1);
		MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->handshakes, 5);
		MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->resumed, 3);
		MG_EXPECT_EQ_UINT(mg_tls_client_stats(c)->resumed, 3);
		/* TLS 1.3: two tickets after a full handshake, one after a resumption; TLS 1.2: a
		 * ticket after a full handshake only. */
		MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->tickets_issued, v ? 2 : 7);
		mg_tls_client_free(c);
		mg_tls_server_free(s);
	}
}

MG_TEST(tls_resumption_refused)
{
	struct mg_tls_server_conf off = {.no_tickets = true};
	struct mg_tls_client_conf nores = {.no_resumption = true};
	struct mg_tls_server *s, *s2, *s3;
	struct mg_tls_client *c, *c2;
	int v;

	MG_ASSERT(tls_test_setup());
	for (v = 0; v < 2; v++) {
		struct mg_tls_client_conf cc = {.max_version = v ? MG_TLS_VERSION_1_2
		                                                 : MG_TLS_VERSION_DEFAULT};

		MG_CASE("%s", vname(v));
		s = tls_std_server(NULL);
		s2 = tls_std_server(NULL); /* a restarted server: new ticket keys */
		s3 = tls_std_server(&off);
		c = tls_std_client(&cc);
		nores.max_version = cc.max_version;
		c2 = tls_std_client(&nores);
		MG_ASSERT(s != NULL && s2 != NULL && s3 != NULL && c != NULL && c2 != NULL);
		MG_EXPECT_EQ_INT(connect_once(s, c, "a.example.com"), 0);
		MG_EXPECT_EQ_INT(connect_once(s2, c, "a.example.com"), 0);
		MG_EXPECT_EQ_UINT(mg_tls_server_stats(s2)->tickets_unknown_key, 1);
		MG_EXPECT_EQ_INT(connect_once(s2, c, "a.example.com"), 1);
		MG_EXPECT_EQ_INT(connect_once(s3, c, "a.example.com"), 0);
		MG_EXPECT_EQ_INT(connect_once(s3, c, "a.example.com"), 0);
		MG_EXPECT_EQ_UINT(mg_tls_server_stats(s3)->tickets_issued, 0);
		MG_EXPECT_EQ_INT(connect_once(s, c2, "a.example.com"), 0);
		MG_EXPECT_EQ_INT(connect_once(s, c2, "a.example.com"), 0);
		MG_EXPECT(!c2->session_valid);
		mg_tls_client_free(c);
		mg_tls_client_free(c2);
		mg_tls_server_free(s);
		mg_tls_server_free(s2);
		mg_tls_server_free(s3);
	}
}

MG_TEST(tls_ticket_key_rotation)
{
	/* Tickets live 100 s; a key encrypts for 50 s, then only decrypts for 100 s more. */
	struct mg_tls_server_conf sc = {.ticket_lifetime = 100, .ticket_key_rotation = 50};
	static struct snapshot t0;
	int v;

	MG_ASSERT(tls_test_setup());
	for (v = 0; v < 2; v++) {
		struct mg_tls_client_conf cc = {.max_version = v ? MG_TLS_VERSION_1_2
		                                                 : MG_TLS_VERSION_DEFAULT};
		struct mg_tls_server *s = tls_std_server(&sc);
		struct mg_tls_client *c = tls_std_client(&cc);
		const struct mg_tls_stats *st;

		MG_CASE("%s", vname(v));
		MG_ASSERT(s != NULL && c != NULL);
		st = mg_tls_server_stats(s);
		mg_tls_server_tick(s, 1000);
		MG_EXPECT_EQ_INT(connect_once(s, c, "a.example.com"), 0);
		MG_ASSERT(snap_take(c, &t0)); /* a ticket issued at 1000 under key 1 */

		mg_tls_server_tick(s, 1040);
		MG_ASSERT(snap_restore(c, &t0));
		MG_EXPECT_EQ_INT(connect_once(s, c, "a.example.com"), 1);
		MG_EXPECT_EQ_UINT(st->ticket_key_rotations, 0);

		/* Key 2 takes over at 1050; key 1 still opens its tickets (grace). */
		mg_tls_server_tick(s, 1060);
		MG_EXPECT_EQ_UINT(st->ticket_key_rotations, 1);
		MG_ASSERT(snap_restore(c, &t0));
		MG_EXPECT_EQ_INT(connect_once(s, c, "a.example.com"), 1);

		/* Past the ticket's lifetime: refused, a full handshake, a fresh ticket that
		 * resumes. */
		mg_tls_server_tick(s, 1101);
		MG_ASSERT(snap_restore(c, &t0));
		MG_EXPECT_EQ_INT(connect_once(s, c, "a.example.com"), 0);
		MG_EXPECT_EQ_UINT(st->tickets_expired, 1);
		MG_EXPECT_EQ_INT(connect_once(s, c, "a.example.com"), 1);

		/* Key 1 (retired at 1060) is dropped 100 s later: its tickets are unknown.  Key 2,
		 * made at 1060 (the schedule runs on tick times), is replaced now too. */
		mg_tls_server_tick(s, 1161);
		MG_EXPECT_EQ_UINT(st->ticket_key_rotations, 2);
		MG_ASSERT(snap_restore(c, &t0));
		MG_EXPECT_EQ_INT(connect_once(s, c, "a.example.com"), 0);
		MG_EXPECT_EQ_UINT(st->tickets_unknown_key, 1);
		MG_EXPECT_EQ_UINT(st->tickets_expired, 1);

		/* A clock that goes backwards is ignored. */
		mg_tls_server_tick(s, 5);
		MG_EXPECT_EQ_INT(connect_once(s, c, "a.example.com"), 1);
		mg_tls_client_free(c);
		mg_tls_server_free(s);
	}
}

/* A TLS 1.2 ClientHello (ECDHE-ECDSA-AES128-GCM, X25519) carrying <ticket> in the
 * session_ticket extension and a session ID, as a client resuming that way sends it. */
static size_t
tls12_hello_with_ticket(unsigned char *out, const unsigned char *ticket, size_t tlen)
{
	static const unsigned char ext[] = {
	    0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x1d, /* groups */
	    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,             /* point formats */
	    0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03, /* sig algs */
	    0x00, 0x17, 0x00, 0x00,                         /* EMS */
	};
	unsigned char *p = out + 9;
	size_t hs_len, ext_len = sizeof(ext) + 4 + tlen, i;

	*p++ = 3;
	*p++ = 3;
	for (i = 0; i < 32; i++)
		*p++ = (unsigned char)(i * 7);
	*p++ = 32;
	for (i = 0; i < 32; i++)
		*p++ = (unsigned char)(0xa0 + i);
	*p++ = 0;
	*p++ = 2;
	*p++ = 0xc0;
	*p++ = 0x2b;
	*p++ = 1;
	*p++ = 0;
	*p++ = (unsigned char)(ext_len >> 8);
	*p++ = (unsigned char)ext_len;
	memcpy(p, ext, sizeof(ext));
	p += sizeof(ext);
	*p++ = 0x00;
	*p++ = 0x23;
	*p++ = (unsigned char)(tlen >> 8);
	*p++ = (unsigned char)tlen;
	memcpy(p, ticket, tlen);
	p += tlen;
	hs_len = (size_t)(p - out) - 9;
	out[0] = 0x16;
	out[1] = 3;
	out[2] = 1;
	out[3] = (unsigned char)((hs_len + 4) >> 8);
	out[4] = (unsigned char)(hs_len + 4);
	out[5] = 1;
	out[6] = 0;
	out[7] = (unsigned char)(hs_len >> 8);
	out[8] = (unsigned char)hs_len;
	return (size_t)(p - out);
}

/* Offers <c>'s cached ticket to <s> in a TLS 1.2 ClientHello; true if the server's ticket
 * parser accepted it (what mbedTLS then does with the session is not looked at). */
static bool
offer_as_tls12(struct mg_tls_server *s, struct mg_tls_client *c)
{
	const mbedtls_ssl_session *sess = &c->session;
	struct tls_pair *p = tls_pair_new();
	bool taken;
	size_t len;

	if (p == NULL || !c->session_valid || !tls_pair_start(p, s, NULL, NULL)) {
		tls_pair_free(p);
		return false;
	}
	len = tls12_hello_with_ticket(p->c2s.buf, sess->MBEDTLS_PRIVATE(ticket),
	                              sess->MBEDTLS_PRIVATE(ticket_len));
	p->c2s.w = len;
	mg_tls_handshake(p->srv);
	taken = p->srv->ticket_accepted;
	tls_pair_free(p);
	return taken;
}

MG_TEST(tls_ticket_of_one_version_is_refused_by_the_other)
{
	struct mg_tls_client_conf c13 = {0};
	struct mg_tls_client_conf c12 = {.max_version = MG_TLS_VERSION_1_2};
	struct mg_tls_server *s;
	struct mg_tls_client *a, *b;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	a = tls_std_client(&c13);
	b = tls_std_client(&c12);
	MG_ASSERT(s != NULL && a != NULL && b != NULL);
	MG_EXPECT_EQ_INT(connect_once(s, a, "a.example.com"), 0);
	MG_EXPECT_EQ_INT(connect_once(s, b, "a.example.com"), 0);
	/* The TLS 1.2 ticket is taken in a TLS 1.2 hello (the check works) ... */
	MG_EXPECT(offer_as_tls12(s, b));
	/* ... the TLS 1.3 one (seen in clear in a TLS 1.3 ClientHello) is not. */
	MG_EXPECT(!offer_as_tls12(s, a));
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->tickets_unknown_key, 1);
	mg_tls_client_free(a);
	mg_tls_client_free(b);
	mg_tls_server_free(s);
}
