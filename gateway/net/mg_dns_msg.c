/*
 * DNS query building and strict response parsing.  See mg_dns_msg.h.
 */
#include "gateway/net/mg_dns_msg.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define HDR_LEN     12
#define TYPE_A      1
#define TYPE_CNAME  5
#define TYPE_OPT    41
#define CLASS_IN    1
#define MAX_RECORDS 256 /* records of a section looked at */

static const char *const labels[MG_DNS_E_COUNT] = {
    [MG_DNS_OK] = "ok",
    [MG_DNS_E_FORMAT] = "format",
    [MG_DNS_E_ID] = "mismatch",
    [MG_DNS_E_TRUNCATED] = "truncated",
    [MG_DNS_E_NXDOMAIN] = "nxdomain",
    [MG_DNS_E_SERVER] = "server_error",
    [MG_DNS_E_NO_ADDRESS] = "no_address",
};

const char *
mg_dns_error_label(enum mg_dns_error e)
{
	return e < MG_DNS_E_COUNT ? labels[e] : "unknown";
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- queries ------------------------------------------------------------------------------ */

int
mg_dns_query_build(uint8_t *buf, size_t cap, uint16_t id, const char *name)
{
	size_t len = strlen(name), o = HDR_LEN, i, start;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return -EINVAL;
	/* header + name (len + 2) + qtype/qclass + OPT (11) */
	if (cap < HDR_LEN + len + 2 + 4 + 11)
		return -ENOSPC;
	memset(buf, 0, HDR_LEN);
	put16(buf, id);
	buf[2] = 0x01; /* RD */
	put16(buf + 4, 1);
	put16(buf + 10, 1); /* ARCOUNT: the OPT record */
	for (start = 0; start <= len; start = i + 1) {
		for (i = start; i < len && name[i] != '.'; i++) {
			char c = name[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return -EINVAL;
		}
		if (i == start || i - start > 63)
			return -EINVAL;
		buf[o++] = (uint8_t)(i - start);
		memcpy(buf + o, name + start, i - start);
		o += i - start;
	}
	buf[o++] = 0;
	put16(buf + o, TYPE_A);
	put16(buf + o + 2, CLASS_IN);
	o += 4;
	/* OPT: root name, type 41, class = UDP payload size, TTL 0, no options. */
	buf[o++] = 0;
	put16(buf + o, TYPE_OPT);
	put16(buf + o + 2, MG_DNS_UDP_SIZE);
	memset(buf + o + 4, 0, 6);
	o += 10;
	return (int)o;
}

/* ---- responses ---------------------------------------------------------------------------- */

/*
 * Reads the (possibly compressed) name at *<off> into <out> (lower case, dot-separated, no
 * final dot; "" for the root) and moves *<off> past it in the message.  Returns false when it
 * is malformed.
 */
static bool
read_name(const uint8_t *msg, size_t len, size_t *off, char *out)
{
	size_t p = *off, o = 0, end = 0, limit = *off;
	bool jumped = false;
	int jumps = 0;

	for (;;) {
		uint8_t l;

		if (p >= len)
			return false;
		l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (p + 1 >= len || ++jumps > 64)
				return false;
			to = (size_t)(l & 0x3f) << 8 | msg[p + 1];
			/* Only backwards, strictly before where this name (or jump) started. */
			if (to >= limit)
				return false;
			if (!jumped)
				end = p + 2;
			jumped = true;
			limit = to;
			p = to;
			continue;
		}
		if ((l & 0xc0) != 0)
			return false; /* the 0x40 and 0x80 label types are not in use */
		if (l == 0) {
			if (!jumped)
				end = p + 1;
			break;
		}
		if (p + 1 + l > len || o + l + 1 > MG_DNS_NAME_MAX)
			return false;
		if (o > 0)
			out[o++] = '.';
		for (size_t k = 0; k < l; k++) {
			char c = (char)msg[p + 1 + k];

			out[o++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		p += 1 + l;
	}
	out[o] = '\0';
	*off = end;
	return true;
}

/* <a> equals the host name <b> (any case, an optional final dot). */
static bool
name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;

	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	if (la != lb)
		return false;
	for (i = 0; i < la; i++) {
		char c = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] + 32) : b[i];

		if (a[i] != c)
			return false;
	}
	return true;
}

struct rr {
	char owner[MG_DNS_NAME_MAX + 1];
	uint16_t type, class_;
	uint32_t ttl;
	size_t rdata, rdlen;
};

/* Reads the resource record at *<off>. */
static bool
read_rr(const uint8_t *msg, size_t len, size_t *off, struct rr *r)
{
	if (!read_name(msg, len, off, r->owner) || *off + 10 > len)
		return false;
	r->type = get16(msg + *off);
	r->class_ = get16(msg + *off + 2);
	r->ttl = get32(msg + *off + 4);
	r->rdlen = get16(msg + *off + 8);
	r->rdata = *off + 10;
	if (r->rdata + r->rdlen > len)
		return false;
	*off = r->rdata + r->rdlen;
	return true;
}

enum mg_dns_error
mg_dns_response_parse(const uint8_t *msg, size_t len, uint16_t id, const char *name,
                      struct mg_dns_answer *out)
{
	char qname[MG_DNS_NAME_MAX + 1], cur[MG_DNS_NAME_MAX + 1];
	size_t off = HDR_LEN, answers;
	unsigned int an, i, links = 0;
	uint32_t ttl = UINT32_MAX;
	struct rr r;
	bool moved;

	memset(out, 0, sizeof(*out));
	if (len < HDR_LEN)
		return MG_DNS_E_FORMAT;
	if (get16(msg) != id || !(msg[2] & 0x80))
		return MG_DNS_E_ID;
	if ((msg[2] & 0x78) != 0)
		return MG_DNS_E_FORMAT; /* opcode other than QUERY */
	if (msg[2] & 0x02)
		return MG_DNS_E_TRUNCATED;
	if (get16(msg + 4) != 1)
		return MG_DNS_E_ID;
	if (!read_name(msg, len, &off, qname) || off + 4 > len)
		return MG_DNS_E_FORMAT;
	if (!name_eq(qname, name) || get16(msg + off) != TYPE_A || get16(msg + off + 2) != CLASS_IN)
		return MG_DNS_E_ID;
	off += 4;
	switch (msg[3] & 0x0f) {
	case 0:
		break;
	case 3:
		return MG_DNS_E_NXDOMAIN;
	default:
		return MG_DNS_E_SERVER;
	}
	an = get16(msg + 6);
	if (an > MAX_RECORDS)
		return MG_DNS_E_FORMAT;
	answers = off;
	/* Every answer record must be well formed. */
	for (i = 0; i < an; i++)
		if (!read_rr(msg, len, &off, &r))
			return MG_DNS_E_FORMAT;

	/* Follow the CNAME chain from the question's name. */
	memcpy(cur, qname, sizeof(cur));
	do {
		moved = false;
		off = answers;
		for (i = 0; i < an && !moved; i++) {
			size_t t;

			read_rr(msg, len, &off, &r);
			if (r.type != TYPE_CNAME || r.class_ != CLASS_IN ||
			    strcmp(r.owner, cur) != 0)
				continue;
			t = r.rdata;
			if (!read_name(msg, r.rdata + r.rdlen, &t, cur) || t != r.rdata + r.rdlen)
				return MG_DNS_E_FORMAT;
			if (++links > MG_DNS_MAX_CNAMES)
				return MG_DNS_E_FORMAT;
			if (r.ttl < ttl)
				ttl = r.ttl;
			moved = true;
		}
	} while (moved);

	/* The A records of the chain's last name. */
	off = answers;
	for (i = 0; i < an; i++) {
		read_rr(msg, len, &off, &r);
		if (r.type != TYPE_A || r.class_ != CLASS_IN || strcmp(r.owner, cur) != 0)
			continue;
		if (r.rdlen != 4)
			return MG_DNS_E_FORMAT;
		if (out->n < MG_DNS_MAX_ADDRS)
			memcpy(&out->addrs[out->n++], msg + r.rdata, 4);
		if (r.ttl < ttl)
			ttl = r.ttl;
	}
	if (out->n == 0)
		return MG_DNS_E_NO_ADDRESS;
	/* RFC 2181 section 8: a TTL with the top bit set counts as 0. */
	out->ttl = ttl > 0x7fffffffu ? 0 : ttl;
	return MG_DNS_OK;
}
