/*
 * Certificate validation in gateway/tls: client certificates on listeners (App Mesh listener
 * tls.validation: trust chain and SAN exact match) and server certificates on origination
 * (clientPolicy.tls: trust chain, SAN list or SNI name), with distinguishable failure reasons on
 * both sides.
 */
#include <string.h>

#include "tests/tls/mg_tls_test.h"
#include "tests/unit/mgtest.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct vcase {
	const char *what;
	/* server */
	const char *srv_cert, *srv_key;
	const char *client_ca; /* NULL: no client certificates */
	const char *const *client_san;
	/* client */
	const char *ca; /* NULL: ca.crt */
	const char *cli_cert, *cli_key;
	const char *const *san;
	const char *sni;
	/* expected failures, MG_TLS_FAIL_NONE for success */
	enum mg_tls_failure srv_fail, cli_fail;
};

static unsigned int
count(const char *const *v)
{
	unsigned int n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

static void
run(const struct vcase *k, enum mg_tls_version max)
{
	struct mg_tls_cert_conf cert = {tls_file(k->srv_cert), tls_file(k->srv_key)};
	struct mg_tls_server_conf sc = {
	    .certs = &cert,
	    .ncerts = 1,
	    .client_ca_file = k->client_ca != NULL ? tls_file(k->client_ca) : NULL,
	    .client_san = k->client_san,
	    .nclient_san = count(k->client_san),
	};
	struct mg_tls_client_conf cc = {
	    .ca_file = tls_file(k->ca != NULL ? k->ca : "ca.crt"),
	    .cert_chain_file = k->cli_cert != NULL ? tls_file(k->cli_cert) : NULL,
	    .key_file = k->cli_key != NULL ? tls_file(k->cli_key) : NULL,
	    .san = k->san,
	    .nsan = count(k->san),
	    .max_version = max,
	};
	struct mg_tls_server *s;
	struct mg_tls_client *c;
	struct tls_pair *p = tls_pair_new();
	struct mg_tls_conn_info si, ci;
	char err[256];
	bool ok = k->srv_fail == MG_TLS_FAIL_NONE && k->cli_fail == MG_TLS_FAIL_NONE;
	enum mg_tls_failure cli_fail = k->cli_fail;

	MG_CASE("%s, %s", k->what, max == MG_TLS_VERSION_1_2 ? "TLS 1.2" : "TLS 1.3");
	if (mg_tls_server_new(&s, &sc, err, sizeof(err)) != 0) {
		mg_test_fail(__FILE__, __LINE__, "server: %s", err);
		return;
	}
	c = tls_std_client(&cc);
	if (c == NULL || p == NULL || !tls_pair_start(p, s, c, k->sni)) {
		mg_test_fail(__FILE__, __LINE__, "setup failed");
		goto done;
	}
	MG_EXPECT_EQ_INT(tls_pair_handshake(p), ok ? 0 : MG_TLS_ERR);
	if (ok) {
		/* Application data, so that a late verdict (TLS 1.3 client auth) would show. */
		MG_EXPECT(tls_transfer(p, true, 100) && tls_transfer(p, false, 100));
		mg_tls_conn_info(p->srv, &si);
		mg_tls_conn_info(p->cli, &ci);
		MG_EXPECT(ci.peer_verified);
		MG_EXPECT_EQ_INT(si.peer_cert, k->client_ca != NULL);
		MG_EXPECT_EQ_INT(si.peer_verified, k->client_ca != NULL);
	}
	MG_EXPECT_STR(mg_tls_failure_label(mg_tls_conn_failure(p->srv)),
	              mg_tls_failure_label(k->srv_fail));
	/*
	 * A TLS 1.3 client learns that its certificate was refused from an alert the mbedTLS
	 * server protects with its handshake key although it already sent its Finished (RFC
	 * 8446 wants the application key then; mbedTLS 3.6 switches only after the client's
	 * Finished): the client cannot open it and reports a bad record (decode_error).
	 */
	if (max != MG_TLS_VERSION_1_2 && k->client_ca != NULL && k->srv_fail != MG_TLS_FAIL_NONE)
		cli_fail = MG_TLS_FAIL_DECODE_ERROR;
	MG_EXPECT_STR(mg_tls_failure_label(mg_tls_conn_failure(p->cli)),
	              mg_tls_failure_label(cli_fail));
	if (k->srv_fail != MG_TLS_FAIL_NONE)
		MG_EXPECT_EQ_UINT(mg_tls_server_stats(s)->failures[k->srv_fail], 1);
	if (cli_fail != MG_TLS_FAIL_NONE && max == MG_TLS_VERSION_1_2)
		MG_EXPECT_EQ_UINT(mg_tls_client_stats(c)->failures[cli_fail], 1);
done:
	tls_pair_free(p);
	mg_tls_client_free(c);
	mg_tls_server_free(s);
}

static const char *const uri_web[] = {"spiffe://mesh.local/ns/default/sa/web", NULL};
static const char *const dns_web_upper[] = {"WEB.mesh.local", NULL};
static const char *const uri_web_upper[] = {"spiffe://mesh.local/ns/default/sa/WEB", NULL};
static const char *const others[] = {"spiffe://mesh.local/ns/default/sa/api", "api.mesh.local",
                                     NULL};
static const char *const cn_nosan[] = {"nosan", NULL};

MG_TEST(tls_client_certificate_validation)
{
	static const struct vcase cases[] = {
	    {"valid client certificate", "ec.crt", "ec.key", "ca.crt", NULL, NULL, "client.crt",
	     "client.key", NULL, "a.example.com", MG_TLS_FAIL_NONE, MG_TLS_FAIL_NONE},
	    {"no client certificate", "ec.crt", "ec.key", "ca.crt", NULL, NULL, NULL, NULL, NULL,
	     "a.example.com", MG_TLS_FAIL_NO_CLIENT_CERT, MG_TLS_FAIL_NO_CLIENT_CERT},
	    {"client certificate from another CA", "ec.crt", "ec.key", "ca.crt", NULL, NULL,
	     "client-other.crt", "client-other.key", NULL, "a.example.com", MG_TLS_FAIL_UNKNOWN_CA,
	     MG_TLS_FAIL_UNKNOWN_CA},
	    {"URI SAN listed", "ec.crt", "ec.key", "ca.crt", uri_web, NULL, "client.crt",
	     "client.key", NULL, "a.example.com", MG_TLS_FAIL_NONE, MG_TLS_FAIL_NONE},
	    {"DNS SAN listed, other case", "ec.crt", "ec.key", "ca.crt", dns_web_upper, NULL,
	     "client.crt", "client.key", NULL, "a.example.com", MG_TLS_FAIL_NONE, MG_TLS_FAIL_NONE},
	    {"URI SAN differs in case", "ec.crt", "ec.key", "ca.crt", uri_web_upper, NULL,
	     "client.crt", "client.key", NULL, "a.example.com", MG_TLS_FAIL_SAN_MISMATCH,
	     MG_TLS_FAIL_SAN_MISMATCH},
	    {"SANs not listed", "ec.crt", "ec.key", "ca.crt", others, NULL, "client.crt",
	     "client.key", NULL, "a.example.com", MG_TLS_FAIL_SAN_MISMATCH,
	     MG_TLS_FAIL_SAN_MISMATCH},
	    {"no SAN, CN not considered", "ec.crt", "ec.key", "ca.crt", cn_nosan, NULL,
	     "client-nosan.crt", "client-nosan.key", NULL, "a.example.com",
	     MG_TLS_FAIL_SAN_MISMATCH, MG_TLS_FAIL_SAN_MISMATCH},
	    {"certificate sent but not requested", "ec.crt", "ec.key", NULL, NULL, NULL,
	     "client.crt", "client.key", NULL, "a.example.com", MG_TLS_FAIL_NONE, MG_TLS_FAIL_NONE},
	};
	unsigned int i;

	MG_ASSERT(tls_test_setup());
	for (i = 0; i < N(cases); i++) {
		run(&cases[i], MG_TLS_VERSION_DEFAULT);
		run(&cases[i], MG_TLS_VERSION_1_2);
	}
}

static const char *const other_name[] = {"other.example.com", NULL};
static const char *const a_name[] = {"a.example.com", NULL};
static const char *const wild_name[] = {"x.wild.example.com", NULL};

MG_TEST(tls_server_certificate_validation)
{
	static const struct vcase cases[] = {
	    {"valid", "ec.crt", "ec.key", NULL, NULL, NULL, NULL, NULL, NULL, "a.example.com",
	     MG_TLS_FAIL_NONE, MG_TLS_FAIL_NONE},
	    {"unknown CA", "stranger.crt", "stranger.key", NULL, NULL, NULL, NULL, NULL, NULL,
	     "a.example.com", MG_TLS_FAIL_UNKNOWN_CA, MG_TLS_FAIL_UNKNOWN_CA},
	    {"trusting another CA", "ec.crt", "ec.key", NULL, NULL, "other-ca.crt", NULL, NULL,
	     NULL, "a.example.com", MG_TLS_FAIL_UNKNOWN_CA, MG_TLS_FAIL_UNKNOWN_CA},
	    {"expired", "expired.crt", "expired.key", NULL, NULL, NULL, NULL, NULL, NULL,
	     "a.example.com", MG_TLS_FAIL_CERT_EXPIRED, MG_TLS_FAIL_CERT_EXPIRED},
	    {"SAN list mismatch", "ec.crt", "ec.key", NULL, NULL, NULL, NULL, NULL, other_name,
	     "a.example.com", MG_TLS_FAIL_SAN_MISMATCH, MG_TLS_FAIL_SAN_MISMATCH},
	    {"SNI does not match", "ec.crt", "ec.key", NULL, NULL, NULL, NULL, NULL, NULL,
	     "zzz.example.org", MG_TLS_FAIL_BAD_CERTIFICATE, MG_TLS_FAIL_SAN_MISMATCH},
	    {"SAN list, no SNI", "ec.crt", "ec.key", NULL, NULL, NULL, NULL, NULL, a_name, NULL,
	     MG_TLS_FAIL_NONE, MG_TLS_FAIL_NONE},
	    {"SAN list instead of the SNI name", "ec.crt", "ec.key", NULL, NULL, NULL, NULL, NULL,
	     a_name, "zzz.example.org", MG_TLS_FAIL_NONE, MG_TLS_FAIL_NONE},
	    {"SAN list vs wildcard certificate", "ec.crt", "ec.key", NULL, NULL, NULL, NULL, NULL,
	     wild_name, "x.wild.example.com", MG_TLS_FAIL_NONE, MG_TLS_FAIL_NONE},
	    {"chain with intermediate", "rsa-chain.crt", "rsa.key", NULL, NULL, NULL, NULL, NULL,
	     NULL, "b.example.com", MG_TLS_FAIL_NONE, MG_TLS_FAIL_NONE},
	    {"intermediate missing", "rsa.crt", "rsa.key", NULL, NULL, NULL, NULL, NULL, NULL,
	     "b.example.com", MG_TLS_FAIL_UNKNOWN_CA, MG_TLS_FAIL_UNKNOWN_CA},
	};
	unsigned int i;

	MG_ASSERT(tls_test_setup());
	for (i = 0; i < N(cases); i++) {
		run(&cases[i], MG_TLS_VERSION_DEFAULT);
		run(&cases[i], MG_TLS_VERSION_1_2);
	}
}

MG_TEST(tls_client_auth_survives_resumption)
{
	struct mg_tls_cert_conf cert = {tls_file("ec.crt"), tls_file("ec.key")};
	struct mg_tls_server_conf sc = {.certs = &cert,
	                                .ncerts = 1,
	                                .client_ca_file = tls_file("ca.crt"),
	                                .client_san = uri_web,
	                                .nclient_san = 1};
	struct mg_tls_server *s;
	char err[256];
	int v, i;

	MG_ASSERT(tls_test_setup());
	MG_ASSERT_EQ_INT(mg_tls_server_new(&s, &sc, err, sizeof(err)), 0);
	for (v = 0; v < 2; v++) {
		struct mg_tls_client_conf cc = {.cert_chain_file = tls_file("client.crt"),
		                                .key_file = tls_file("client.key"),
		                                .max_version = v ? MG_TLS_VERSION_1_2
		                                                 : MG_TLS_VERSION_DEFAULT};
		struct mg_tls_client *c = tls_std_client(&cc);

		MG_ASSERT(c != NULL);
		for (i = 0; i < 2; i++) {
			struct tls_pair *p = tls_pair_new();
			struct mg_tls_conn_info si;

			MG_CASE("%s, connection %d", v ? "TLS 1.2" : "TLS 1.3", i);
			MG_ASSERT(tls_pair_start(p, s, c, "a.example.com"));
			MG_EXPECT_EQ_INT(tls_pair_handshake(p), 0);
			MG_EXPECT(tls_transfer(p, false, 100) && tls_transfer(p, true, 100));
			mg_tls_conn_info(p->srv, &si);
			MG_EXPECT_EQ_INT(si.resumed, i == 1);
			MG_EXPECT(si.peer_cert && si.peer_verified);
			tls_pair_free(p);
		}
		mg_tls_client_free(c);
	}
	mg_tls_server_free(s);
}
