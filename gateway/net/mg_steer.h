/*
 * Source ports for the connections a worker opens, chosen so that the replies reach the
 * worker that opened them (several shared-nothing workers; docs/PERFORMANCE.md, "Multi-core").
 *
 * Two policies:
 *  - partition (what runs on net_tap here): worker k of n uses the ephemeral ports p with
 *    (p - 49152) % n == k.  The ports of different workers never collide (they share one IP
 *    address), and steering is left to the device: the kernel's multi-queue TAP sends a
 *    flow's packets to the queue that last wrote packets of that flow (primed before the
 *    SYN by mg_steer_tap_prime()).
 *  - RSS (for NICs hashing with a Toeplitz key onto n queues through a redirection table
 *    of <reta_size> entries, round robin unless mg_steer_set_reta() gives the port's own): ports
 * whose reverse-direction hash (upstream -> gateway, rte_softrss over the 4-tuple) selects queue k.
 * With a symmetric key (mg_steer_symmetric_key) the forward direction hashes the same.
 *
 * Ports are host byte order, addresses network byte order (as lwIP and mg_conn keep them).
 */
#ifndef MG_STEER_H
#define MG_STEER_H

#include <stdbool.h>
#include <stdint.h>

#define MG_STEER_PORT_MIN 49152u
#define MG_STEER_PORTS    16384u

struct mg_steer {
	unsigned int n, k; /* workers (queues) and this one */
	uint32_t cursor;   /* where the next search starts */
	bool rss;
	uint16_t reta_size;
	uint32_t local_addr; /* this side's address (network order), for the RSS hash */
	uint8_t key[40];
	bool have_reta; /* <reta> holds the port's table; else entry i is queue i % n */
	uint16_t reta[512];
};

/* 0x6d5a repeated: the Toeplitz key that hashes both directions of a flow alike. */
extern const uint8_t mg_steer_symmetric_key[40];

/* mg_steer_init() sets the partition policy for worker <k> of <n>, starting at <seed>. */
void mg_steer_init(struct mg_steer *s, unsigned int n, unsigned int k, uint32_t seed);

/* mg_steer_set_rss() switches to the RSS policy with <key> (40 bytes). */
void mg_steer_set_rss(struct mg_steer *s, const uint8_t *key, uint16_t reta_size,
                      uint32_t local_addr);

/* mg_steer_set_reta() gives the port's redirection table (<size> entries, at most 512). */
void mg_steer_set_reta(struct mg_steer *s, const uint16_t *reta, uint16_t size);

/* The queue RSS picks for a packet from <src>:<sport> to <dst>:<dport>. */
unsigned int mg_steer_rss_queue(const struct mg_steer *s, uint32_t src, uint32_t dst,
                                uint16_t sport, uint16_t dport);

/*
 * mg_steer_port() is an mg_conn_port_fn (arg: a struct mg_steer): candidate <attempt> of the
 * source ports toward <addr>:<port> that belong to this worker; 0 when there is none.
 */
uint16_t mg_steer_port(void *arg, uint32_t addr, uint16_t port, unsigned int attempt);

/*
 * mg_steer_port_ok() is an mg_dns_port_ok_fn (arg: a struct mg_steer): whether this worker
 * owns <local_port> toward <addr>:<port> (UDP too: RSS hashes IPv4 UDP by its 4-tuple).
 */
bool mg_steer_port_ok(void *arg, uint32_t addr, uint16_t port, uint16_t local_port);

/*
 * mg_steer_tap_prime() is an mg_conn_bound_fn for net_tap (gateway/net/mg_steer_tap.c): it
 * sends a RST for the new connection's 4-tuple ahead of its SYN, so that the kernel's TAP
 * knows which queue the flow belongs to before it answers the SYN.
 */
struct tcp_pcb;
void mg_steer_tap_prime(void *arg, struct tcp_pcb *pcb, uint32_t addr, uint16_t port);

#endif /* MG_STEER_H */
