/*
 * TLS handshakes between an in-process server and client (gateway/tls): versions and data in
 * both directions, certificate choice by SNI, ALPN, refused versions and suites, non-blocking
 * I/O with a 1-byte and a nearly full transport, close_notify, and failure reporting.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/x509_crt.h>

#include "gateway/tls/mg_tls_int.h" /* white box: the certificate the client received */
#include "tests/tls/mg_tls_test.h"
#include "tests/unit/mgtest.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

MG_TEST(tls_handshake_versions_and_data_both_ways)
{
	static const struct {
		enum mg_tls_version min, max;
		const char *version;
	} cases[] = {
	    {MG_TLS_VERSION_DEFAULT, MG_TLS_VERSION_DEFAULT, "TLSv1.3"},
	    {MG_TLS_VERSION_DEFAULT, MG_TLS_VERSION_1_2, "TLSv1.2"},
	    {MG_TLS_VERSION_1_3, MG_TLS_VERSION_1_3, "TLSv1.3"},
	};
	struct mg_tls_server *s;
	unsigned int i;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	MG_ASSERT(s != NULL);
	for (i = 0; i < N(cases); i++) {
		struct mg_tls_client_conf cc = {.min_version = cases[i].min,
		                                .max_version = cases[i].max};
		struct mg_tls_conn_info si, ci;
		struct tls_pair *p = tls_pair_new();
		struct mg_tls_client *c = tls_std_client(&cc);

		MG_CASE("%s", cases[i].version);
		MG_ASSERT(c != NULL && p != NULL);
		MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
		MG_EXPECT(!mg_tls_conn_handshake_done(p->srv));
		MG_EXPECT_EQ_INT(mg_tls_conn_info(p->srv, &si), -EAGAIN);
		MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);
		MG_EXPECT(mg_tls_conn_handshake_done(p->srv) && mg_tls_conn_handshake_done(p->cli));
		MG_EXPECT_EQ_INT(mg_tls_conn_info(p->srv, &si), 0);
		MG_EXPECT_EQ_INT(mg_tls_conn_info(p->cli, &ci), 0);
		MG_EXPECT_STR(si.version, cases[i].version);
		MG_EXPECT_STR(ci.version, cases[i].version);
		MG_EXPECT_STR(si.cipher, ci.cipher);
		MG_EXPECT_EQ_UINT(si.cipher_id, ci.cipher_id);
		/* AES-128-GCM is preferred (AES-NI) */
		MG_EXPECT(strstr(si.cipher, "AES-128-GCM") != NULL);
		MG_EXPECT_STR(si.sni, "a.example.com");
		MG_EXPECT_STR(ci.sni, "a.example.com");
		MG_EXPECT(si.alpn == NULL && ci.alpn == NULL);
		MG_EXPECT(ci.peer_cert && ci.peer_verified);
		MG_EXPECT(!si.peer_cert && !si.peer_verified);
		MG_EXPECT(!si.resumed && !ci.resumed);
		MG_EXPECT_EQ_INT(mg_tls_conn_failure(p->srv), MG_TLS_FAIL_NONE);
		MG_EXPECT(tls_transfer(p, true, 1000));
		MG_EXPECT(tls_transfer(p, false, 100000));
		MG_EXPECT(tls_transfer(p, true, 70000));
		MG_EXPECT(tls_transfer(p, false, 1));
		tls_pair_free(p);
		MG_EXPECT_EQ_UINT(mg_tls_client_stats(c)->handshakes, 1);
		mg_tls_client_free(c);
	}
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->handshakes, 3);
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->tls13, 2);
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->sni_default, 0);
	mg_tls_server_free(s);
}

/* The server's order picks the suite (mbedTLS patch 0005): a TLS 1.3 client that lists
 * AES-256-GCM-SHA384 (as OpenSSL's clients do) or ChaCha20 first gets AES-128-GCM-SHA256, the
 * first of our list; one that offers only AES-256 gets it.  Before the patch mbedTLS took the
 * client's first. */
MG_TEST(tls13_server_order_picks_the_cipher_suite)
{
	static const int aes256_first[] = {MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
	                                   MBEDTLS_TLS1_3_AES_128_GCM_SHA256, 0};
	static const int chacha_first[] = {MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
	                                   MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
	                                   MBEDTLS_TLS1_3_AES_128_GCM_SHA256, 0};
	static const int aes256_only[] = {MBEDTLS_TLS1_3_AES_256_GCM_SHA384, 0};
	static const struct {
		const int *suites;
		const char *want;
	} cases[] = {
	    {aes256_first, "TLS1-3-AES-128-GCM-SHA256"},
	    {chacha_first, "TLS1-3-AES-128-GCM-SHA256"},
	    {aes256_only, "TLS1-3-AES-256-GCM-SHA384"},
	};
	struct mg_tls_server *s;
	unsigned int i;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	MG_ASSERT(s != NULL);
	for (i = 0; i < N(cases); i++) {
		struct mg_tls_client_conf cc = {.min_version = MG_TLS_VERSION_1_3,
		                                .max_version = MG_TLS_VERSION_1_3};
		struct mg_tls_conn_info si;
		struct tls_pair *p = tls_pair_new();
		struct mg_tls_client *c = tls_std_client(&cc);

		MG_CASE("%s", cases[i].want);
		MG_ASSERT(c != NULL && p != NULL);
		mbedtls_ssl_conf_ciphersuites(&c->conf, cases[i].suites);
		MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
		MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);
		MG_EXPECT_EQ_INT(mg_tls_conn_info(p->srv, &si), 0);
		MG_EXPECT_STR(si.cipher, cases[i].want);
		MG_EXPECT(tls_transfer(p, true, 1000));
		tls_pair_free(p);
		mg_tls_client_free(c);
	}
	mg_tls_server_free(s);
}

/* The CN and key type of the certificate <t> (a client) received: "CN=...;EC" or ";RSA". */
static void
peer_identity(struct mg_tls_conn *t, char *out, size_t len)
{
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&t->ssl);
	char dn[128];

	if (crt == NULL) {
		snprintf(out, len, "(none)");
		return;
	}
	mbedtls_x509_dn_gets(dn, sizeof(dn), &crt->subject);
	snprintf(out, len, "%s;%s", dn,
	         mbedtls_pk_get_type(&crt->pk) == MBEDTLS_PK_RSA ? "RSA" : "EC");
}

MG_TEST(tls_sni_selects_certificate)
{
	/* The client accepts any of the test names (SAN list), so it can see every choice. */
	static const char *const all[] = {"a.example.com", "b.example.com", "default.example.com"};
	static const struct {
		const char *sni;
		const char *want;
		bool dflt;
	} cases[] = {
	    {"a.example.com", "CN=a.example.com;EC", false},
	    {"A.Example.COM", "CN=a.example.com;EC", false},
	    {"x.wild.example.com", "CN=a.example.com;EC", false},
	    {"X-1.WILD.example.com", "CN=a.example.com;EC", false},
	    {"a.b.wild.example.com", "CN=default.example.com;EC", true}, /* two labels */
	    {"wild.example.com", "CN=default.example.com;EC", true},
	    {"unknown.example.org", "CN=default.example.com;EC", true},
	    {NULL, "CN=default.example.com;EC", true},
	    {"b.example.com", "CN=b.example.com;EC", false}, /* EC before RSA */
	    {"default.example.com", "CN=default.example.com;EC", false},
	};
	struct mg_tls_client_conf cc = {.san = all, .nsan = N(all)};
	struct mg_tls_server *s;
	struct mg_tls_client *c;
	char got[160];
	unsigned int i, dflt = 0;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	c = tls_std_client(&cc);
	MG_ASSERT(s != NULL && c != NULL);
	for (i = 0; i < N(cases); i++) {
		struct tls_pair *p = tls_pair_new();
		struct mg_tls_conn_info si;

		MG_CASE("sni %s", cases[i].sni != NULL ? cases[i].sni : "(none)");
		MG_ASSERT(tls_pair_start(p, s, c, cases[i].sni));
		MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);
		peer_identity(p->cli, got, sizeof(got));
		MG_EXPECT_STR(got, cases[i].want);
		MG_EXPECT_EQ_INT(mg_tls_conn_info(p->srv, &si), 0);
		if (cases[i].sni != NULL)
			MG_EXPECT_STR(si.sni, cases[i].sni); /* as received, case kept */
		else
			MG_EXPECT(si.sni == NULL);
		dflt += cases[i].dflt;
		tls_pair_free(p);
	}
	MG_CASE("%s", "");
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->sni_default, dflt);
	mg_tls_client_free(c);
	mg_tls_server_free(s);
}

MG_TEST(tls_sni_cn_fallback_rsa_chain_and_explicit_names)
{
	static const char *const api[] = {"api.example.net", "*.api.example.net"};
	struct mg_tls_cert_conf certs[] = {
	    {tls_file("dflt.crt"), tls_file("dflt.key")},
	    {tls_file("rsa-chain.crt"), tls_file("rsa.key")},
	    {tls_file("ec.crt"), tls_file("ec.key"), api, N(api)},
	    {tls_file("cn.crt"), tls_file("cn.key")},
	};
	static const struct {
		const char *sni;
		enum mg_tls_version max;
		const char *want;
	} cases[] = {
	    {"b.example.com", MG_TLS_VERSION_DEFAULT, "CN=b.example.com;RSA"}, /* RSA-PSS */
	    {"b.example.com", MG_TLS_VERSION_1_2, "CN=b.example.com;RSA"},     /* ECDHE-RSA */
	    {"cn.example.com", MG_TLS_VERSION_DEFAULT, "CN=cn.example.com;EC"},
	    {"api.example.net", MG_TLS_VERSION_DEFAULT, "CN=a.example.com;EC"},
	    {"v2.api.example.net", MG_TLS_VERSION_1_2, "CN=a.example.com;EC"},
	};
	struct mg_tls_server_conf sc = {.certs = certs, .ncerts = N(certs)};
	struct mg_tls_server *s;
	char err[256], got[160];
	unsigned int i;

	MG_ASSERT(tls_test_setup());
	MG_ASSERT_EQ_INT(mg_tls_server_new(&s, &sc, err, sizeof(err)), 0);
	for (i = 0; i < N(cases); i++) {
		/* The server name check: the certificate must match the SNI, or for names
		 * configured explicitly (api.*), the SAN list. */
		static const char *const a[] = {"a.example.com"};
		struct mg_tls_client_conf cc = {.max_version = cases[i].max};
		struct mg_tls_client *c = tls_std_client(&cc);
		struct tls_pair *p = tls_pair_new();

		MG_CASE("sni %s max %d", cases[i].sni, cases[i].max);
		if (strstr(cases[i].sni, "api.") != NULL) {
			cc.san = a;
			cc.nsan = 1;
			mg_tls_client_free(c);
			c = tls_std_client(&cc);
		}
		MG_ASSERT(c != NULL);
		MG_ASSERT(tls_pair_start(p, s, c, cases[i].sni));
		MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);
		peer_identity(p->cli, got, sizeof(got));
		MG_EXPECT_STR(got, cases[i].want);
		MG_EXPECT(tls_transfer(p, false, 5000));
		tls_pair_free(p);
		mg_tls_client_free(c);
	}
	/* Explicit names replace the certificate's own: a.example.com now gets the default,
	 * which does not match it. */
	{
		struct mg_tls_client *c = tls_std_client(NULL);
		struct tls_pair *p = tls_pair_new();

		MG_CASE("%s", "explicit names replace SANs");
		MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
		MG_EXPECT_EQ_INT(tls_pair_handshake(p), MG_TLS_ERR);
		MG_EXPECT_EQ_INT(mg_tls_conn_failure(p->cli), MG_TLS_FAIL_SAN_MISMATCH);
		tls_pair_free(p);
		mg_tls_client_free(c);
	}
	mg_tls_server_free(s);
}

MG_TEST(tls_alpn_selection)
{
	static const char *const h1[] = {"http/1.1"};
	static const char *const h2h1[] = {"h2", "http/1.1"};
	static const char *const h1h2[] = {"http/1.1", "h2"};
	static const char *const h2[] = {"h2"};
	static const struct {
		const char *const *srv;
		unsigned int nsrv;
		const char *const *cli;
		unsigned int ncli;
		const char *want; /* NULL: none; "!" the handshake fails */
	} cases[] = {
	    {h1, 1, h2h1, 2, "http/1.1"}, {h1, 1, NULL, 0, NULL},
	    {NULL, 0, h2h1, 2, NULL}, /* never h2 unless configured */
	    {h2h1, 2, h1h2, 2, "h2"}, /* the server's preference */
	    {h1, 1, h2, 1, "!"},      /* no_application_protocol */
	};
	unsigned int i, v;

	MG_ASSERT(tls_test_setup());
	for (i = 0; i < N(cases); i++) {
		for (v = 0; v < 2; v++) {
			struct mg_tls_server_conf sc = {.alpn = cases[i].srv,
			                                .nalpn = cases[i].nsrv};
			struct mg_tls_client_conf cc = {.alpn = cases[i].cli,
			                                .nalpn = cases[i].ncli,
			                                .max_version = v ? MG_TLS_VERSION_1_2
			                                                 : MG_TLS_VERSION_DEFAULT};
			struct mg_tls_server *s = tls_std_server(&sc);
			struct mg_tls_client *c = tls_std_client(&cc);
			struct tls_pair *p = tls_pair_new();
			struct mg_tls_conn_info si, ci;

			MG_CASE("case %u, %s", i, v ? "TLS 1.2" : "TLS 1.3");
			MG_ASSERT(s != NULL && c != NULL);
			MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
			if (cases[i].want != NULL && strcmp(cases[i].want, "!") == 0) {
				MG_EXPECT_EQ_INT(tls_pair_handshake(p), MG_TLS_ERR);
				MG_EXPECT_EQ_INT(mg_tls_conn_failure(p->srv),
				                 MG_TLS_FAIL_ALPN_MISMATCH);
				MG_EXPECT_EQ_INT(mg_tls_conn_failure(p->cli),
				                 MG_TLS_FAIL_ALPN_MISMATCH);
				MG_EXPECT_EQ_UINT(
				    mg_tls_server_stats(s)->failures[MG_TLS_FAIL_ALPN_MISMATCH], 1);
			} else {
				MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);
				mg_tls_conn_info(p->srv, &si);
				mg_tls_conn_info(p->cli, &ci);
				if (cases[i].want == NULL) {
					MG_EXPECT(si.alpn == NULL && ci.alpn == NULL);
				} else {
					MG_EXPECT_STR(si.alpn, cases[i].want);
					MG_EXPECT_STR(ci.alpn, cases[i].want);
				}
			}
			tls_pair_free(p);
			mg_tls_client_free(c);
			mg_tls_server_free(s);
		}
	}
}

/*
 * A ClientHello offering only <version> (no supported_versions extension), X25519/P-256 and
 * the given suites, as a TLS 1.0/1.1 client or a legacy TLS 1.2 client sends it.  Returns the
 * record's length.
 */
static size_t
legacy_client_hello(unsigned char *out, uint16_t version, const uint16_t *suites,
                    unsigned int nsuites)
{
	static const unsigned char ext[] = {
	    0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, /* groups */
	    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                         /* ec_point_formats */
	    0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04, /* sig algs */
	};
	unsigned char *p = out + 9;
	size_t hs_len, i;

	*p++ = (unsigned char)(version >> 8);
	*p++ = (unsigned char)version;
	for (i = 0; i < 32; i++)
		*p++ = (unsigned char)(i * 13);
	*p++ = 0; /* session id */
	*p++ = (unsigned char)((2 * nsuites) >> 8);
	*p++ = (unsigned char)(2 * nsuites);
	for (i = 0; i < nsuites; i++) {
		*p++ = (unsigned char)(suites[i] >> 8);
		*p++ = (unsigned char)suites[i];
	}
	*p++ = 1; /* compression methods: null */
	*p++ = 0;
	*p++ = 0;
	*p++ = sizeof(ext);
	memcpy(p, ext, sizeof(ext));
	p += sizeof(ext);
	hs_len = (size_t)(p - out) - 9;
	out[0] = 0x16;
	out[1] = 0x03;
	out[2] = 0x01;
	out[3] = (unsigned char)((hs_len + 4) >> 8);
	out[4] = (unsigned char)(hs_len + 4);
	out[5] = 0x01;
	out[6] = 0;
	out[7] = (unsigned char)(hs_len >> 8);
	out[8] = (unsigned char)hs_len;
	return (size_t)(p - out);
}

/* The first alert record in <pipe>, -1 if none (plaintext alerts only). */
static int
alert_in(const struct tls_pipe *pipe)
{
	size_t off = pipe->r;

	while (off + 5 <= pipe->w) {
		size_t len = (size_t)pipe->buf[off + 3] << 8 | pipe->buf[off + 4];

		if (pipe->buf[off] == 0x15 && len == 2 && off + 7 <= pipe->w)
			return pipe->buf[off + 6];
		off += 5 + len;
	}
	return -1;
}

/* Feeds a hand-made ClientHello to a server connection; returns the alert it answered with
 * and sets *why to the server's failure. */
static int
raw_hello(struct mg_tls_server *s, const unsigned char *hello, size_t len, enum mg_tls_failure *why)
{
	struct tls_pair *p = tls_pair_new();
	int alert, r, i;

	if (p == NULL || !tls_pair_start(p, s, NULL, NULL)) {
		tls_pair_free(p);
		return -2;
	}
	memcpy(p->c2s.buf, hello, len);
	p->c2s.w = len;
	for (i = 0, r = MG_TLS_WANT_READ; i < 10 && r != MG_TLS_ERR && r != 0; i++)
		r = mg_tls_handshake(p->srv);
	*why = mg_tls_conn_failure(p->srv);
	alert = alert_in(&p->s2c);
	tls_pair_free(p);
	return alert;
}

MG_TEST(tls_refuses_old_versions_and_non_aead_suites)
{
	static const uint16_t modern[] = {0xc02b, 0xc02f}; /* ECDHE-{ECDSA,RSA}-AES128-GCM */
	static const uint16_t cbc[] = {0xc009, 0xc013, 0x002f, 0x000a};
	static const struct {
		uint16_t version;
		const uint16_t *suites;
		unsigned int n;
		int alert;
		enum mg_tls_failure why;
	} cases[] = {
	    {0x0300, modern, N(modern), 70, MG_TLS_FAIL_PROTOCOL_VERSION}, /* SSL 3.0 */
	    {0x0301, modern, N(modern), 70, MG_TLS_FAIL_PROTOCOL_VERSION}, /* TLS 1.0 */
	    {0x0302, modern, N(modern), 70, MG_TLS_FAIL_PROTOCOL_VERSION}, /* TLS 1.1 */
	    {0x0303, cbc, N(cbc), 40, MG_TLS_FAIL_NO_SHARED_CIPHER},       /* CBC only */
	};
	unsigned char hello[512];
	struct mg_tls_server *s;
	enum mg_tls_failure why;
	unsigned int i;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	MG_ASSERT(s != NULL);
	for (i = 0; i < N(cases); i++) {
		size_t len =
		    legacy_client_hello(hello, cases[i].version, cases[i].suites, cases[i].n);

		MG_CASE("version 0x%04x", cases[i].version);
		MG_EXPECT_EQ_INT(raw_hello(s, hello, len, &why), cases[i].alert);
		MG_EXPECT_STR(mg_tls_failure_label(why), mg_tls_failure_label(cases[i].why));
	}
	MG_CASE("%s", "");
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->failures[MG_TLS_FAIL_PROTOCOL_VERSION], 3);
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->failures[MG_TLS_FAIL_NO_SHARED_CIPHER], 1);
	/* The same hello as TLS 1.2 with AEAD suites gets past version and suite selection. */
	MG_EXPECT_EQ_INT(raw_hello(s, hello, legacy_client_hello(hello, 0x0303, modern, 2), &why),
	                 -1);
	mg_tls_server_free(s);
}

MG_TEST(tls_version_floor_mismatch)
{
	struct mg_tls_server_conf sc = {.min_version = MG_TLS_VERSION_1_3};
	struct mg_tls_client_conf cc = {.max_version = MG_TLS_VERSION_1_2};
	struct mg_tls_server *s;
	struct mg_tls_client *c;
	struct tls_pair *p = tls_pair_new();
	bool received;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(&sc);
	c = tls_std_client(&cc);
	MG_ASSERT(s != NULL && c != NULL && p != NULL);
	MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
	MG_EXPECT_EQ_INT(tls_pair_handshake(p), MG_TLS_ERR);
	MG_EXPECT_EQ_INT(mg_tls_conn_failure(p->srv), MG_TLS_FAIL_PROTOCOL_VERSION);
	MG_EXPECT_EQ_INT(mg_tls_conn_failure(p->cli), MG_TLS_FAIL_PROTOCOL_VERSION);
	MG_EXPECT_EQ_INT(mg_tls_conn_alert(p->srv, &received), 70);
	MG_EXPECT(!received);
	MG_EXPECT_EQ_INT(mg_tls_conn_alert(p->cli, &received), 70);
	MG_EXPECT(received);
	/* A failed connection stays failed. */
	MG_EXPECT_EQ_INT(mg_tls_handshake(p->srv), MG_TLS_ERR);
	MG_EXPECT_EQ_INT(mg_tls_read(p->srv, (char[8]){0}, 8), MG_TLS_ERR);
	MG_EXPECT_EQ_INT(mg_tls_write(p->cli, "x", 1), MG_TLS_ERR);
	MG_EXPECT_EQ_UINT(mg_tls_client_stats(c)->failures[MG_TLS_FAIL_PROTOCOL_VERSION], 1);
	tls_pair_free(p);
	mg_tls_client_free(c);
	mg_tls_server_free(s);
}

MG_TEST(tls_one_byte_at_a_time_with_want_between)
{
	unsigned int v;

	MG_ASSERT(tls_test_setup());
	for (v = 0; v < 2; v++) {
		struct mg_tls_client_conf cc = {.max_version = v ? MG_TLS_VERSION_1_2
		                                                 : MG_TLS_VERSION_DEFAULT};
		struct mg_tls_server *s = tls_std_server(NULL);
		struct mg_tls_client *c = tls_std_client(&cc);
		struct tls_pair *p = tls_pair_new();

		MG_CASE("%s", v ? "TLS 1.2" : "TLS 1.3");
		MG_ASSERT(s != NULL && c != NULL && p != NULL);
		p->c2s.max_per_call = p->s2c.max_per_call = 1;
		p->c2s.stutter = p->s2c.stutter = true;
		MG_ASSERT(tls_pair_start(p, s, c, "b.example.com"));
		MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);
		MG_EXPECT(tls_transfer(p, true, 3000));
		MG_EXPECT(tls_transfer(p, false, 20000));
		tls_pair_free(p);
		mg_tls_client_free(c);
		mg_tls_server_free(s);
	}
}

MG_TEST(tls_write_into_a_full_transport)
{
	struct mg_tls_server *s;
	struct mg_tls_client *c;
	struct tls_pair *p = tls_pair_new();
	static unsigned char big[40000];
	unsigned char buf[1000];
	int r, n, got = 0, i;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	c = tls_std_client(NULL);
	MG_ASSERT(s != NULL && c != NULL && p != NULL);
	/* The transport takes at most 300 bytes until the peer reads: every flight is split. */
	p->c2s.limit = p->s2c.limit = 300;
	MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
	MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);

	/* A write takes one record even when the transport holds only part of it. */
	r = mg_tls_write(p->srv, big, sizeof(big));
	MG_EXPECT(r > 300 && r <= 16384);
	MG_EXPECT(mg_tls_want_flush(p->srv));
	MG_EXPECT_EQ_INT(mg_tls_write(p->srv, big, sizeof(big)), MG_TLS_WANT_WRITE);
	MG_EXPECT_EQ_INT(mg_tls_flush(p->srv), MG_TLS_WANT_WRITE);
	/* The client reads, the server flushes, until the whole record went through. */
	for (i = 0; i < 1000 && got < r; i++) {
		n = mg_tls_read(p->cli, buf, sizeof(buf));
		if (n > 0)
			got += n;
		else if (n == MG_TLS_WANT_READ)
			mg_tls_flush(p->srv);
		else
			break;
	}
	MG_EXPECT_EQ_INT(got, r);
	MG_EXPECT_EQ_INT(mg_tls_flush(p->srv), 0);
	MG_EXPECT(!mg_tls_want_flush(p->srv));
	MG_EXPECT(tls_transfer(p, false, 50000));
	MG_EXPECT(tls_transfer(p, true, 50000));
	MG_EXPECT(!mg_tls_want_flush(p->srv));
	tls_pair_free(p);
	mg_tls_client_free(c);
	mg_tls_server_free(s);
}

MG_TEST(tls_close_notify_and_truncation)
{
	struct mg_tls_server *s;
	struct mg_tls_client *c;
	struct tls_pair *p = tls_pair_new(), *q = tls_pair_new();
	char buf[64];

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	c = tls_std_client(NULL);
	MG_ASSERT(s != NULL && c != NULL && p != NULL && q != NULL);

	MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
	MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);
	MG_EXPECT_EQ_INT(mg_tls_write(p->srv, "bye", 3), 3);
	MG_EXPECT_EQ_INT(mg_tls_close_notify(p->srv), 0);
	MG_EXPECT_EQ_INT(mg_tls_close_notify(p->srv), 0); /* idempotent */
	MG_EXPECT_EQ_INT(mg_tls_read(p->cli, buf, sizeof(buf)), 3);
	MG_EXPECT_EQ_INT(mg_tls_read(p->cli, buf, sizeof(buf)), 0);
	MG_EXPECT_EQ_INT(mg_tls_read(p->cli, buf, sizeof(buf)), 0);
	MG_EXPECT_EQ_INT(mg_tls_conn_failure(p->cli), MG_TLS_FAIL_NONE);

	/* The transport ends without close_notify: an error, not a clean end. */
	MG_ASSERT(tls_pair_start(q, s, c, "a.example.com"));
	MG_EXPECT_EQ_INT(tls_pair_handshake(q), 0);
	tls_drain(q->cli);
	q->s2c.eof = true;
	MG_EXPECT_EQ_INT(mg_tls_read(q->cli, buf, sizeof(buf)), MG_TLS_ERR);
	MG_EXPECT_EQ_INT(mg_tls_conn_failure(q->cli), MG_TLS_FAIL_PEER_CLOSED);
	/* after the handshake: not a handshake failure */
	MG_EXPECT_EQ_UINT(mg_tls_client_stats(c)->failures[MG_TLS_FAIL_PEER_CLOSED], 0);
	tls_pair_free(p);
	tls_pair_free(q);
	mg_tls_client_free(c);
	mg_tls_server_free(s);
}

MG_TEST(tls_handshake_failures_of_the_transport)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	struct mg_tls_server *s;
	struct mg_tls_client *c;
	struct tls_pair *p;
	uint64_t t0;

	MG_ASSERT(tls_test_setup());
	s = tls_std_server(NULL);
	c = tls_std_client(NULL);
	MG_ASSERT(s != NULL && c != NULL);

	/* Plaintext HTTP on a TLS port. */
	p = tls_pair_new();
	MG_ASSERT(tls_pair_start(p, s, NULL, NULL));
	memcpy(p->c2s.buf, http, sizeof(http) - 1);
	p->c2s.w = sizeof(http) - 1;
	MG_EXPECT_EQ_INT(mg_tls_handshake(p->srv), MG_TLS_ERR);
	MG_EXPECT_EQ_INT(mg_tls_conn_failure(p->srv), MG_TLS_FAIL_DECODE_ERROR);
	tls_pair_free(p);

	/* The client goes away mid-handshake: FIN, then reset. */
	p = tls_pair_new();
	MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
	MG_EXPECT_EQ_INT(mg_tls_handshake(p->cli), MG_TLS_WANT_READ);
	p->c2s.eof = true;
	MG_EXPECT_EQ_INT(mg_tls_handshake(p->srv), MG_TLS_ERR); /* after its first flight */
	MG_EXPECT_EQ_INT(mg_tls_conn_failure(p->srv), MG_TLS_FAIL_PEER_CLOSED);
	p->s2c.reset = true;
	MG_EXPECT_EQ_INT(mg_tls_handshake(p->cli), MG_TLS_ERR);
	MG_EXPECT_EQ_INT(mg_tls_conn_failure(p->cli), MG_TLS_FAIL_PEER_CLOSED);
	tls_pair_free(p);

	/* The caller's timer fires: handshake_timeout, counted once. */
	p = tls_pair_new();
	t0 = mg_tls_now_ms();
	MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
	MG_EXPECT(mg_tls_conn_started_at(p->srv) >= t0);
	MG_EXPECT(mg_tls_conn_started_at(p->srv) <= mg_tls_now_ms());
	MG_EXPECT_EQ_INT(mg_tls_handshake(p->cli), MG_TLS_WANT_READ);
	mg_tls_conn_abort(p->srv, MG_TLS_FAIL_HANDSHAKE_TIMEOUT);
	mg_tls_conn_abort(p->srv, MG_TLS_FAIL_PEER_CLOSED);
	MG_EXPECT_STR(mg_tls_failure_label(mg_tls_conn_failure(p->srv)), "handshake_timeout");
	MG_EXPECT_EQ_INT(mg_tls_handshake(p->srv), MG_TLS_ERR);
	tls_pair_free(p);

	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->failures[MG_TLS_FAIL_DECODE_ERROR], 1);
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->failures[MG_TLS_FAIL_PEER_CLOSED], 1);
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->failures[MG_TLS_FAIL_HANDSHAKE_TIMEOUT], 1);
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->failures[MG_TLS_FAIL_PEER_CLOSED], 1);
	MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->handshakes, 0);
	mg_tls_client_free(c);
	mg_tls_server_free(s);
}

MG_TEST(tls_configuration_errors)
{
	struct mg_tls_cert_conf mismatch = {tls_file("ec.crt"), tls_file("dflt.key")};
	struct mg_tls_cert_conf missing = {tls_file("nope.crt"), tls_file("ec.key")};
	struct mg_tls_cert_conf rsa_as_ec = {tls_file("ec.crt"), tls_file("rsa.key")};
	static const char *const bad_names[] = {"a..example.com"};
	static const char *const bad_alpn[] = {""};
	struct mg_tls_cert_conf named = {tls_file("ec.crt"), tls_file("ec.key"), bad_names, 1};
	struct mg_tls_cert_conf good = {tls_file("ec.crt"), tls_file("ec.key")};
	static const struct {
		const char *what;
		const char *needle;
	} want[] = {
	    {"mismatch", "does not match"},
	    {"missing", "nope.crt"},
	    {"rsa key", "does not match"},
	    {"bad name", "not a valid server name"},
	    {"default", "default certificate"},
	    {"rotation", "rotation"},
	    {"lifetime", "lifetime"},
	    {"alpn", "ALPN"},
	    {"san without ca", "without a client trust chain"},
	};
	struct mg_tls_server_conf confs[N(want)];
	struct mg_tls_client_conf cc = {0};
	struct mg_tls_server *s;
	struct mg_tls_client *c;
	char err[256];
	unsigned int i;

	MG_ASSERT(tls_test_setup());
	memset(confs, 0, sizeof(confs));
	for (i = 0; i < N(want); i++) {
		confs[i].certs = &good;
		confs[i].ncerts = 1;
	}
	confs[0].certs = &mismatch;
	confs[1].certs = &missing;
	confs[2].certs = &rsa_as_ec;
	confs[3].certs = &named;
	confs[4].default_cert = 1;
	confs[5].ticket_lifetime = 7000;
	confs[5].ticket_key_rotation = 999;
	confs[6].ticket_lifetime = 700000;
	confs[7].alpn = bad_alpn;
	confs[7].nalpn = 1;
	confs[8].client_san = bad_names;
	confs[8].nclient_san = 1;
	for (i = 0; i < N(want); i++) {
		MG_CASE("%s", want[i].what);
		err[0] = '\0';
		s = (struct mg_tls_server *)1;
		MG_EXPECT(mg_tls_server_new(&s, &confs[i], err, sizeof(err)) < 0);
		MG_EXPECT(s == NULL);
		MG_EXPECT_CONTAINS(err, want[i].needle);
	}
	MG_CASE("%s", "client without ca");
	MG_EXPECT_EQ_INT(mg_tls_client_new(&c, &cc, err, sizeof(err)), -EINVAL);
	MG_EXPECT_CONTAINS(err, "trust chain");
	cc.ca_file = tls_file("ca.crt");
	cc.key_file = tls_file("client.key");
	MG_EXPECT_EQ_INT(mg_tls_client_new(&c, &cc, err, sizeof(err)), -EINVAL);
	MG_EXPECT_CONTAINS(err, "go together");
	/* No SNI and no SAN list: nothing to check the server's name against. */
	cc.key_file = NULL;
	MG_ASSERT_EQ_INT(mg_tls_client_new(&c, &cc, err, sizeof(err)), 0);
	{
		struct tls_pair *p = tls_pair_new();

		MG_EXPECT(!tls_pair_start(p, NULL, c, NULL));
		MG_EXPECT(!tls_pair_start(p, NULL, c, "bad name!"));
		tls_pair_free(p);
	}
	mg_tls_client_free(c);
}
