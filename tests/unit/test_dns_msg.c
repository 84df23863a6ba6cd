/*
 * DNS messages: the A query, and the strict response parser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "gateway/net/mg_dns_msg.h"
#include "mgtest.h"

/* A response to the query "web.mesh.local" A IN with ID 0x1234: header, question, then the
 * answer records <rr> (<n> of them, <len> bytes); flags and rcode as given. */
static size_t
response(uint8_t *m, uint16_t flags, unsigned int n, const uint8_t *rr, size_t len)
{
	static const uint8_t q[] = {3,   'w', 'e', 'b', 4,   'm', 'e', 's', 'h', 5,
	                            'l', 'o', 'c', 'a', 'l', 0,   0,   1,   0,   1};
	uint8_t h[12] = {0x12, 0x34, (uint8_t)(flags >> 8), (uint8_t)flags, 0, 1, 0, (uint8_t)n};

	memcpy(m, h, 12);
	memcpy(m + 12, q, sizeof(q));
	if (len > 0)
		memcpy(m + 12 + sizeof(q), rr, len);
	return 12 + sizeof(q) + len;
}

#define A_RR(ttl, a, b, c, d) 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, ttl, 0, 4, a, b, c, d

MG_TEST(dns_query_is_well_formed)
{
	uint8_t q[300];
	int n = mg_dns_query_build(q, sizeof(q), 0xbeef, "web.mesh.local.");

	MG_ASSERT_EQ_INT(n, 12 + 16 + 4 + 11);
	MG_EXPECT(q[0] == 0xbe && q[1] == 0xef && q[2] == 0x01 && q[5] == 1 && q[11] == 1);
	MG_EXPECT_MEM(q + 12, "\3web\4mesh\5local\0", 16);
	MG_EXPECT_EQ_INT(mg_dns_query_build(q, sizeof(q), 1, "a..b"), -EINVAL);
	MG_EXPECT_EQ_INT(mg_dns_query_build(q, sizeof(q), 1, ""), -EINVAL);
	MG_EXPECT_EQ_INT(mg_dns_query_build(q, sizeof(q), 1, "a b"), -EINVAL);
	MG_EXPECT_EQ_INT(mg_dns_query_build(q, 20, 1, "web.mesh.local"), -ENOSPC);
}

MG_TEST(dns_response_addresses_and_ttl)
{
	static const uint8_t two[] = {A_RR(30, 10, 0, 0, 1), A_RR(5, 10, 0, 0, 2)};
	struct mg_dns_answer a;
	uint8_t m[512];
	size_t n = response(m, 0x8180, 2, two, sizeof(two));

	MG_ASSERT_EQ_INT(mg_dns_response_parse(m, n, 0x1234, "Web.Mesh.Local", &a), MG_DNS_OK);
	MG_EXPECT_EQ_UINT(a.n, 2);
	MG_EXPECT_EQ_UINT(a.addrs[0], htonl(0x0a000001));
	MG_EXPECT_EQ_UINT(a.addrs[1], htonl(0x0a000002));
	MG_EXPECT_EQ_UINT(a.ttl, 5);
	/* Another ID, another name, a cut message. */
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, n, 0x1235, "web.mesh.local", &a), MG_DNS_E_ID);
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, n, 0x1234, "api.mesh.local", &a), MG_DNS_E_ID);
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, n - 1, 0x1234, "web.mesh.local", &a),
	                 MG_DNS_E_FORMAT);
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, 11, 0x1234, "web.mesh.local", &a),
	                 MG_DNS_E_FORMAT);
}

MG_TEST(dns_response_errors)
{
	static const uint8_t bad_len[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 9, 0, 3, 1, 2, 3};
	static const uint8_t loop[] = {0xc0, 0x20, 0, 1, 0, 1, 0, 0, 0, 9, 0, 4, 1, 2, 3, 4};
	static const uint8_t fwd[] = {0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 9, 0, 2, 0xc0, 0x20};
	struct mg_dns_answer a;
	uint8_t m[512];
	size_t n;

	n = response(m, 0x8183, 0, NULL, 0);
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, n, 0x1234, "web.mesh.local", &a),
	                 MG_DNS_E_NXDOMAIN);
	n = response(m, 0x8182, 0, NULL, 0);
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, n, 0x1234, "web.mesh.local", &a),
	                 MG_DNS_E_SERVER);
	n = response(m, 0x8380, 0, NULL, 0);
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, n, 0x1234, "web.mesh.local", &a),
	                 MG_DNS_E_TRUNCATED);
	n = response(m, 0x0100, 0, NULL, 0); /* a query, not a response */
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, n, 0x1234, "web.mesh.local", &a), MG_DNS_E_ID);
	n = response(m, 0x8180, 0, NULL, 0);
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, n, 0x1234, "web.mesh.local", &a),
	                 MG_DNS_E_NO_ADDRESS);
	n = response(m, 0x8180, 1, bad_len, sizeof(bad_len));
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, n, 0x1234, "web.mesh.local", &a),
	                 MG_DNS_E_FORMAT);
	/* Compression pointers must point backwards: forward and self pointers are refused. */
	n = response(m, 0x8180, 1, loop, sizeof(loop));
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, n, 0x1234, "web.mesh.local", &a),
	                 MG_DNS_E_FORMAT);
	n = response(m, 0x8180, 1, fwd, sizeof(fwd));
	MG_EXPECT_EQ_INT(mg_dns_response_parse(m, n, 0x1234, "web.mesh.local", &a),
	                 MG_DNS_E_FORMAT);
}

MG_TEST(dns_response_follows_cnames)
{
	/* web.mesh.local CNAME lb.x ; lb.x A 10.0.0.9 ; other.x A 10.0.0.8 (ignored) */
	static const uint8_t rr[] = {
	    0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 2, 'l', 'b', 1, 'x', 0,
	    /* owner: pointer to "lb.x" at offset 32 + 12 = 44 */
	    0xc0, 44, 0, 1, 0, 1, 0, 0, 0, 20, 0, 4, 10, 0, 0, 9, 5, 'o', 't', 'h', 'e', 'r', 1,
	    'x', 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 10, 0, 0, 8};
	struct mg_dns_answer a;
	uint8_t m[512];
	size_t n = response(m, 0x8180, 3, rr, sizeof(rr));

	MG_ASSERT_EQ_INT(mg_dns_response_parse(m, n, 0x1234, "web.mesh.local", &a), MG_DNS_OK);
	MG_EXPECT_EQ_UINT(a.n, 1);
	MG_EXPECT_EQ_UINT(a.addrs[0], htonl(0x0a000009));
	MG_EXPECT_EQ_UINT(a.ttl, 20);
}
