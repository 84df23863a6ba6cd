/*
 * DNS messages for the gateway's resolver (RFC 1035): building an A query and parsing its
 * response strictly.  Pure functions over byte buffers, fuzzed (tests/fuzz/fuzz_dns.c).
 *
 * The parser accepts only the answer to the question asked: same ID, QR set, a successful
 * RCODE, not truncated, exactly one question equal to the one asked (name compared ASCII
 * case-insensitively, type A, class IN).  It follows a CNAME chain in the answer section
 * (at most MG_DNS_MAX_CNAMES links) and collects the A records of the chain's last name,
 * keeping the smallest TTL of the records it used.  Compression pointers must point backwards
 * (which also rules out loops); names are at most 255 bytes in labels of at most 63.
 */
#ifndef MG_DNS_MSG_H
#define MG_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

#define MG_DNS_MAX_ADDRS  32   /* A records kept from one answer */
#define MG_DNS_MAX_CNAMES 8    /* CNAME links followed */
#define MG_DNS_UDP_SIZE   1232 /* EDNS(0) payload size we advertise and accept */
#define MG_DNS_NAME_MAX   255  /* a domain name in text form, without the final dot */

/* Why a response was refused; one-to-one with mg_dns_error_label(). */
enum mg_dns_error {
	MG_DNS_OK = 0,
	MG_DNS_E_FORMAT,     /* malformed message */
	MG_DNS_E_ID,         /* not the answer to our query (ID or question differ) */
	MG_DNS_E_TRUNCATED,  /* TC set: the answer did not fit */
	MG_DNS_E_NXDOMAIN,   /* the name does not exist */
	MG_DNS_E_SERVER,     /* another RCODE (SERVFAIL, REFUSED, ...) */
	MG_DNS_E_NO_ADDRESS, /* the name exists but has no A record */
	MG_DNS_E_COUNT
};

const char *mg_dns_error_label(enum mg_dns_error e);

/* The addresses of one answer, in the order received; <ttl> in seconds. */
struct mg_dns_answer {
	uint32_t addrs[MG_DNS_MAX_ADDRS]; /* network byte order */
	unsigned int n;
	uint32_t ttl;
};

/*
 * mg_dns_query_build() writes an A/IN query for <name> (a host name, optionally ending in a
 * dot) with <id>, recursion desired and an EDNS(0) OPT record, into <buf> (<cap> bytes).
 * Returns its length, -EINVAL when <name> is not a valid host name, or -ENOSPC.
 */
int mg_dns_query_build(uint8_t *buf, size_t cap, uint16_t id, const char *name);

/*
 * mg_dns_response_parse() checks that <msg> (<len> bytes) answers the A query <id> for
 * <name> and fills <out>.  Returns MG_DNS_OK or the reason it was refused (then <out> is
 * undefined).
 */
enum mg_dns_error mg_dns_response_parse(const uint8_t *msg, size_t len, uint16_t id,
                                        const char *name, struct mg_dns_answer *out);

#endif /* MG_DNS_MSG_H */
