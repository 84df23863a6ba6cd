/*
 * gateway/tls: telling TLS from plaintext on a connection's first bytes (PERMISSIVE mode), and
 * the failure-reason labels.
 */
#include <string.h>

#include "gateway/tls/mg_tls.h"
#include "tests/unit/mgtest.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

MG_TEST(tls_sniff_table)
{
	static const struct {
		const char *what;
		const unsigned char *bytes;
		size_t n;
		enum mg_tls_sniff_result want;
	} cases[] = {
	    {"nothing yet", (const unsigned char *)"", 0, MG_TLS_SNIFF_NEED_MORE},
	    {"handshake byte only", (const unsigned char *)"\x16", 1, MG_TLS_SNIFF_NEED_MORE},
	    {"handshake, major 3", (const unsigned char *)"\x16\x03", 2, MG_TLS_SNIFF_NEED_MORE},
	    {"TLS 1.0 record (any ClientHello)", (const unsigned char *)"\x16\x03\x01", 3,
	     MG_TLS_SNIFF_TLS},
	    {"TLS 1.2 record", (const unsigned char *)"\x16\x03\x03\x00\xc8\x01", 6,
	     MG_TLS_SNIFF_TLS},
	    {"SSL 3.0 record", (const unsigned char *)"\x16\x03\x00", 3, MG_TLS_SNIFF_TLS},
	    {"record version 3.4", (const unsigned char *)"\x16\x03\x04", 3, MG_TLS_SNIFF_TLS},
	    {"record version 3.9", (const unsigned char *)"\x16\x03\x09", 3,
	     MG_TLS_SNIFF_PLAINTEXT},
	    {"handshake byte, major 2", (const unsigned char *)"\x16\x02\x00", 3,
	     MG_TLS_SNIFF_PLAINTEXT},
	    {"SSLv2 hello", (const unsigned char *)"\x80\x2e\x01\x03\x01", 5,
	     MG_TLS_SNIFF_PLAINTEXT},
	    {"alert record", (const unsigned char *)"\x15\x03\x03", 3, MG_TLS_SNIFF_PLAINTEXT},
	    {"HTTP/1.1 GET", (const unsigned char *)"GET / HTTP/1.1\r\n", 16,
	     MG_TLS_SNIFF_PLAINTEXT},
	    {"HTTP one byte", (const unsigned char *)"P", 1, MG_TLS_SNIFF_PLAINTEXT},
	    {"HTTP/2 preface", (const unsigned char *)"PRI * HTTP/2.0\r\n", 16,
	     MG_TLS_SNIFF_PLAINTEXT},
	    {"zero byte", (const unsigned char *)"\x00\x03\x01", 3, MG_TLS_SNIFF_PLAINTEXT},
	};
	unsigned int i;

	for (i = 0; i < N(cases); i++) {
		MG_CASE("%s", cases[i].what);
		MG_EXPECT_EQ_INT(mg_tls_sniff(cases[i].bytes, cases[i].n), cases[i].want);
	}
}

MG_TEST(tls_failure_labels_are_unique_metric_labels)
{
	unsigned int i, j;
	const char *l;

	MG_EXPECT_STR(mg_tls_failure_label(MG_TLS_FAIL_NONE), "none");
	MG_EXPECT_STR(mg_tls_failure_label(MG_TLS_FAIL_NO_SHARED_CIPHER), "no_shared_cipher");
	MG_EXPECT_STR(mg_tls_failure_label(MG_TLS_FAIL_HANDSHAKE_TIMEOUT), "handshake_timeout");
	MG_EXPECT_STR(mg_tls_failure_label(MG_TLS_FAIL_COUNT), "other");
	for (i = 0; i < MG_TLS_FAIL_COUNT; i++) {
		MG_CASE("reason %u", i);
		l = mg_tls_failure_label((enum mg_tls_failure)i);
		MG_ASSERT(l != NULL && l[0] != '\0');
		MG_EXPECT(strspn(l, "abcdefghijklmnopqrstuvwxyz_") == strlen(l));
		for (j = 0; j < i; j++)
			MG_EXPECT(strcmp(l, mg_tls_failure_label((enum mg_tls_failure)j)) != 0);
	}
}
