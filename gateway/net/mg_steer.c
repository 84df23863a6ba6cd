/*
 * Source-port steering.  See mg_steer.h.
 */
#include <arpa/inet.h>
#include <string.h>

#include <rte_thash.h>

#include "gateway/net/mg_steer.h"

const uint8_t mg_steer_symmetric_key[40] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

void
mg_steer_init(struct mg_steer *s, unsigned int n, unsigned int k, uint32_t seed)
{
	memset(s, 0, sizeof(*s));
	s->n = n > 0 ? n : 1;
	s->k = k % s->n;
	s->cursor = seed;
}

void
mg_steer_set_rss(struct mg_steer *s, const uint8_t *key, uint16_t reta_size, uint32_t local_addr)
{
	s->rss = true;
	memcpy(s->key, key, sizeof(s->key));
	s->reta_size = reta_size > 0 ? reta_size : 128;
	s->local_addr = local_addr;
}

void
mg_steer_set_reta(struct mg_steer *s, const uint16_t *reta, uint16_t size)
{
	if (size == 0 || size > sizeof(s->reta) / sizeof(s->reta[0]))
		return;
	memcpy(s->reta, reta, size * sizeof(reta[0]));
	s->reta_size = size;
	s->have_reta = true;
}

unsigned int
mg_steer_rss_queue(const struct mg_steer *s, uint32_t src, uint32_t dst, uint16_t sport,
                   uint16_t dport)
{
	struct rte_ipv4_tuple t;
	uint32_t h;

	memset(&t, 0, sizeof(t));
	t.src_addr = ntohl(src);
	t.dst_addr = ntohl(dst);
	t.sport = sport;
	t.dport = dport;
	h = rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, s->key);
	/* NICs index the table with the hash's low bits (the table size is a power of 2). */
	if (s->have_reta)
		return s->reta[h % s->reta_size];
	/* A round-robin redirection table: entry i sends to queue i % n. */
	return (h % s->reta_size) % s->n;
}

uint16_t
mg_steer_port(void *arg, uint32_t addr, uint16_t port, unsigned int attempt)
{
	struct mg_steer *s = arg;
	uint32_t slots = MG_STEER_PORTS / s->n, i;

	(void)attempt;
	if (!s->rss) {
		/* The next of this worker's ports, round robin over its share. */
		i = s->cursor++ % slots;
		return (uint16_t)(MG_STEER_PORT_MIN + i * s->n + s->k);
	}
	/* The next port whose reply (upstream -> us) hashes to this worker's queue: about one
	 * candidate in n does, so a bounded search finds one. */
	for (i = 0; i < 64 * s->n; i++) {
		uint16_t p = (uint16_t)(MG_STEER_PORT_MIN + s->cursor++ % MG_STEER_PORTS);

		if (mg_steer_rss_queue(s, addr, s->local_addr, port, p) == s->k)
			return p;
	}
	return 0;
}

bool
mg_steer_port_ok(void *arg, uint32_t addr, uint16_t port, uint16_t local_port)
{
	const struct mg_steer *s = arg;

	if (local_port < MG_STEER_PORT_MIN)
		return false;
	if (!s->rss)
		return (local_port - MG_STEER_PORT_MIN) % s->n == s->k;
	return mg_steer_rss_queue(s, addr, s->local_addr, port, local_port) == s->k;
}
