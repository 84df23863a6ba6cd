/*
 * DPDK ports: bring-up and burst I/O for whichever ethdev EAL found
 * (net_tap and net_af_packet here, virtio-net under QEMU, ENA on EC2, Intel
 * NICs on bare metal).
 *
 * A port owns its packet mempool.  Each mbuf in it carries <priv_size> bytes
 * of private area right after struct rte_mbuf, which the lwIP netif uses to
 * hold the pbuf_custom that wraps the mbuf, so that receiving a frame into
 * the stack allocates nothing.
 *
 * One receive and one transmit queue per port, except with several workers
 * as DPDK processes (docs/PERFORMANCE.md, "Multi-core"): the primary then
 * configures <n_queues> queue pairs, one mempool per queue ("mbuf_p<port>_q<k>")
 * and, where the PMD offers it, RSS on IPv4 TCP with the symmetric key; each
 * process (the primary for queue 0, secondaries for the others) polls only its
 * own queue pair, and a secondary attaches to the port and its queue's mempool
 * without configuring anything.
 *
 * Return convention: 0 or a negative errno; burst functions return counts.
 */
#ifndef MG_PORT_H
#define MG_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define MG_PORT_NAME_MAX 16

struct mg_port_conf {
	const char *name;   /* the interface's name in the config, for logs */
	uint16_t mtu;       /* IP MTU */
	uint16_t rx_desc;   /* descriptors per receive ring (power of two) */
	uint16_t tx_desc;   /* descriptors per transmit ring (power of two) */
	uint32_t n_mbufs;   /* wanted mempool size; shrunk if memory is short */
	uint16_t priv_size; /* private bytes per mbuf for the consumer */
	uint16_t n_queues;  /* queue pairs (0 or 1: one, as before) */
	uint16_t queue;     /* this process's queue pair */
	bool secondary;     /* attach (DPDK secondary process), do not configure */
};

struct mg_port {
	uint16_t port_id;
	char name[MG_PORT_NAME_MAX];
	char driver[32];
	struct rte_mempool *pool;
	uint32_t n_mbufs;   /* actual mempool size */
	uint16_t data_room; /* bytes of data per mbuf (after headroom) */
	uint16_t mtu;
	uint16_t max_frame; /* largest frame the port accepts (L2, no FCS) */
	struct rte_ether_addr mac;
	uint64_t rx_offloads; /* enabled RTE_ETH_RX_OFFLOAD_* */
	uint64_t tx_offloads; /* enabled RTE_ETH_TX_OFFLOAD_* */
	bool link_up;
	uint32_t link_speed; /* Mbit/s */
	bool started;
	uint16_t queue;    /* the queue pair this process polls */
	uint16_t n_queues; /* queue pairs the port has */
	bool secondary;    /* attached, not configured, by this process */
	bool rss;          /* the port spreads receive over its queues by RSS */
	/* Several DPDK processes: the primary stores the link state it reads here, and a
	 * secondary reads it from here (a PMD's link query from a secondary may use the
	 * primary's descriptors, as net_tap's does, and write a wrong state into the port's
	 * shared data).  NULL: the PMD, as before. */
	volatile uint8_t *link_shared;
};

/* Counters for /stats and /metrics, from the PMD plus the port's mempool. */
struct mg_port_stats {
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_missed, rx_errors, tx_errors, rx_nombuf;
	uint32_t pool_size, pool_in_use, pool_available;
};

/*
 * mg_port_lookup() finds the ethdev for a config <device> string: a vdev
 * ("net_tap0,iface=x": matched by its name before the first comma), a PCI
 * address ("0000:00:04.0"), or NULL/"" for the <index>-th port EAL found.
 * Returns 0 and sets <port_id>, or -ENODEV.
 */
int mg_port_lookup(const char *device, unsigned int index, uint16_t *port_id);

/*
 * mg_port_init() configures and starts <port_id> with one queue pair, the
 * MTU, checksum offloads the PMD offers, and a mempool sized to <conf>:
 * when the wanted size does not fit the memory EAL has (no hugepages), it
 * is halved down to the minimum the rings need and the result is logged.
 */
int mg_port_init(struct mg_port *port, uint16_t port_id, const struct mg_port_conf *conf);

/*
 * mg_port_rss_get() reads back the port's RSS key (<key>, 40 bytes) and
 * redirection table (<reta>, up to <cap> entries; *<reta_size> set).
 * Returns 0, or a negative errno when the port has no readable RSS.
 */
int mg_port_rss_get(const struct mg_port *port, uint8_t key[40], uint16_t *reta, uint16_t cap,
                    uint16_t *reta_size);

/*
 * mg_port_close() stops and closes the port and frees its mempools (a
 * secondary leaves both to the primary).
 */
void mg_port_close(struct mg_port *port);

/* mg_port_link_poll() refreshes link_up/link_speed; true if the state changed. */
bool mg_port_link_poll(struct mg_port *port);

/* mg_port_stats_get() fills <st>; never fails (zeroes what the PMD lacks). */
void mg_port_stats_get(const struct mg_port *port, struct mg_port_stats *st);

static inline uint16_t
mg_port_rx_burst(const struct mg_port *port, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(port->port_id, port->queue, pkts, n);
}

static inline uint16_t
mg_port_tx_burst(const struct mg_port *port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t ok = rte_eth_tx_prepare(port->port_id, port->queue, pkts, n);

	return rte_eth_tx_burst(port->port_id, port->queue, pkts, ok);
}

#endif /* MG_PORT_H */
