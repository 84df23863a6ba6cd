/*
 * An lwIP netif over a DPDK port.
 *
 * Receive is zero-copy: each received mbuf is wrapped, in place, as a
 * pbuf_custom that lives in the mbuf's private area (MG_NETIF_MBUF_PRIV
 * bytes, reserved by the port's mempool), and handed to lwIP; when lwIP frees
 * the pbuf, the mbuf goes back to its mempool.  A scattered (multi-segment)
 * mbuf becomes a pbuf chain, one pbuf per segment.
 *
 * Transmit copies lwIP's pbuf chain into mbufs from the same mempool and
 * queues them; mg_netif_flush() sends the queue in bursts.  Frames the PMD
 * does not take stay queued for the next flush; only when the queue is full
 * is a frame dropped (counted; TCP retransmits).
 *
 * Checksums: where the PMD offers IPv4 and TCP checksum offload, lwIP's own
 * checks and generation are switched off for this netif and the netif sets
 * and checks the mbuf flags instead (verifying in software when a PMD
 * reports "unknown").  TCP inside IPv4 fragments is dropped on such ports,
 * since its checksum could not be verified after reassembly; Linux and every
 * mainstream TCP stack send TCP with DF set.
 *
 * Not thread-safe: a netif belongs to the worker that polls it.
 */
#ifndef MG_NETIF_H
#define MG_NETIF_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/netif.h"
#include "lwip/pbuf.h"

#include "drivers/dpdk/mg_port.h"

#define MG_NETIF_MBUF_PRIV ((uint16_t)sizeof(struct pbuf_custom))
#define MG_NETIF_TXQ_MAX   1024
#define MG_NETIF_BURST_MAX 64
#define MG_NETIF_SHARE_MAX 16

struct rte_ring;

struct mg_netif_stats {
	uint64_t rx_frames;
	uint64_t rx_csum_bad;      /* IPv4 header or TCP checksum wrong */
	uint64_t rx_tcp_fragments; /* TCP in IPv4 fragments, dropped (see above) */
	uint64_t rx_oversize;      /* frames lwIP cannot represent */
	uint64_t tx_frames;
	uint64_t tx_nombuf;      /* no mbuf for a frame lwIP sent */
	uint64_t tx_dropped;     /* transmit queue full */
	uint64_t tx_too_big;     /* frame larger than the port takes */
	uint64_t arp_shared;     /* ARP frames copied to the other workers */
	uint64_t arp_share_drop; /* copies lost: no mbuf or the other's ring full */
	uint64_t arp_from_peers; /* ARP frames other workers copied to this one */
	uint64_t rx_cycles;      /* TSC cycles processing received bursts: lwIP and the
	                          * application callbacks it runs (not the PMD's receive) */
	uint64_t tx_cycles;      /* TSC cycles inside the PMD's transmit calls (for
	                          * net_af_packet / net_tap: the kernel's sendto/write) */
};

struct mg_netif {
	struct netif nif;
	struct mg_port *port;
	uint16_t burst;
	bool rx_ip_csum, rx_tcp_csum; /* offloaded receive checks */
	bool tx_ip_csum, tx_tcp_csum; /* offloaded transmit checksums */
	uint16_t txq_head, txq_len;   /* ring of frames waiting for the PMD */
	struct rte_mbuf *txq[MG_NETIF_TXQ_MAX];
	struct mg_netif_stats st;
	/* Several workers on one port (DPDK processes): ARP frames this worker receives are
	 * copied to the others' rings, and it takes the copies they send from <share_in>. */
	struct rte_ring *share_in;
	struct rte_ring *share_out[MG_NETIF_SHARE_MAX];
	uint16_t n_share_out;
};

/*
 * mg_netif_add() adds <ni> to lwIP over the started <port>, with IPv4
 * <addr>/<netmask> and <gw> (all in network byte order; <gw> may be 0), and
 * brings it up.  <burst> is the receive burst size (1..MG_NETIF_BURST_MAX).
 * If <is_default>, it becomes lwIP's default route.  Returns 0 or -errno.
 */
int mg_netif_add(struct mg_netif *ni, struct mg_port *port, uint32_t addr, uint32_t netmask,
                 uint32_t gw, uint16_t burst, bool is_default);

/*
 * mg_netif_share() makes <ni> copy every ARP frame it receives to the <n> rings <out> (the
 * other workers of the port; requests are handed over as replies, so that only the worker
 * that received a request answers it, and every worker learns the sender's address) and
 * take frames from <in> on each poll.  The rings carry mbufs (multi-producer, single
 * consumer).
 */
void mg_netif_share(struct mg_netif *ni, struct rte_ring *in, struct rte_ring *const *out,
                    unsigned int n);

/* mg_netif_remove() takes <ni> out of lwIP and frees queued frames. */
void mg_netif_remove(struct mg_netif *ni);

/*
 * mg_netif_poll() receives one burst from the port into lwIP.  Returns the
 * number of frames received (0 when idle).
 */
unsigned int mg_netif_poll(struct mg_netif *ni);

/* mg_netif_flush() hands queued frames to the PMD.  Returns frames sent. */
unsigned int mg_netif_flush(struct mg_netif *ni);

/* mg_netif_link_update() mirrors the port's link state into lwIP. */
void mg_netif_link_update(struct mg_netif *ni);

/*
 * mg_netif_rx_zc_in_use() is the number of received mbufs that lwIP (or the
 * application, through pbufs) holds right now, over all netifs.
 */
uint64_t mg_netif_rx_zc_in_use(void);

#endif /* MG_NETIF_H */
