/*
 * libFuzzer target: the DNS response parser (gateway/net/mg_dns_msg.c).
 *
 * The input is a response to the query "web.mesh.local" with ID 0x1234 (seeds are real
 * answers to that query), copied to an exact-size heap buffer so that any over-read shows.
 * Checks: an accepted answer has 1..MG_DNS_MAX_ADDRS addresses and a TTL that fits 31 bits;
 * parsing is deterministic; a parse of the same bytes under another ID is refused as a
 * mismatch; the query builder's output for that name is a message the parser recognises
 * as not-an-answer (QR clear).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/net/mg_dns_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_dns_answer a, b;
	enum mg_dns_error e, e2;
	uint8_t *msg = malloc(size ? size : 1), q[512];
	int n;

	memcpy(msg, data, size);
	e = mg_dns_response_parse(msg, size, 0x1234, "web.mesh.local", &a);
	e2 = mg_dns_response_parse(msg, size, 0x1234, "WEB.mesh.local.", &b);
	if (e != e2 || (e == MG_DNS_OK && (a.n != b.n || memcmp(a.addrs, b.addrs, a.n * 4) != 0)))
		abort();
	if (e == MG_DNS_OK) {
		if (a.n == 0 || a.n > MG_DNS_MAX_ADDRS || a.ttl > 0x7fffffffu)
			abort();
		if (mg_dns_response_parse(msg, size, 0x4321, "web.mesh.local", &b) != MG_DNS_E_ID)
			abort();
	}
	free(msg);
	n = mg_dns_query_build(q, sizeof(q), 0x1234, "web.mesh.local");
	if (n <= 0 ||
	    mg_dns_response_parse(q, (size_t)n, 0x1234, "web.mesh.local", &a) != MG_DNS_E_ID)
		abort();
	return 0;
}
