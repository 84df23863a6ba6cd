/*
 * DPDK port bring-up.  See mg_port.h.
 */
/* rte_eth_dev_conf_get() (a secondary reads the primary's port configuration). */
#define ALLOW_EXPERIMENTAL_API
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_pci.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "mg_port.h"

#define MG_PORT_POOL_CACHE 256
#define MG_PORT_VLAN_HLEN  4

static void port_log(const struct mg_port *port, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
port_log(const struct mg_port *port, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "port %s (%u, %s): ", port->name, port->port_id, port->driver);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
mg_port_lookup(const char *device, unsigned int index, uint16_t *port_id)
{
	char want[RTE_ETH_NAME_MAX_LEN];
	struct rte_pci_addr want_pci, pci;
	bool is_pci;
	uint16_t pid;
	unsigned int n = 0;
	size_t len;

	if (device == NULL || device[0] == '\0') {
		RTE_ETH_FOREACH_DEV (pid) {
			if (n++ == index) {
				*port_id = pid;
				return 0;
			}
		}
		return -ENODEV;
	}

	is_pci = rte_pci_addr_parse(device, &want_pci) == 0;
	len = strcspn(device, ",");
	if (len >= sizeof(want))
		return -ENODEV;
	memcpy(want, device, len);
	want[len] = '\0';

	RTE_ETH_FOREACH_DEV (pid) {
		char name[RTE_ETH_NAME_MAX_LEN];

		if (rte_eth_dev_get_name_by_port(pid, name) != 0)
			continue;
		if (is_pci ? rte_pci_addr_parse(name, &pci) == 0 &&
		                 rte_pci_addr_cmp(&pci, &want_pci) == 0
		           : strcmp(name, want) == 0) {
			*port_id = pid;
			return 0;
		}
	}
	return -ENODEV;
}

/*
 * Creates the port's mempool.  The minimum is what the rings can hold plus a
 * burst of slack per queue and the per-lcore caches; below that the port
 * cannot run.  Without hugepages EAL has only its -m memory, so a wanted
 * size that does not fit is halved until it does.
 */
static void
pool_name(char *buf, size_t cap, const struct mg_port *port, uint16_t q)
{
	if (port->n_queues > 1)
		snprintf(buf, cap, "mbuf_p%u_q%u", port->port_id, q);
	else
		snprintf(buf, cap, "mbuf_p%u", port->port_id);
}

static struct rte_mempool *
port_pool_create(struct mg_port *port, const struct mg_port_conf *conf, uint16_t data_room,
                 uint16_t q)
{
	char pname[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;
	uint32_t min = (uint32_t)conf->rx_desc + conf->tx_desc + 2 * 64 +
	               MG_PORT_POOL_CACHE * rte_lcore_count() + 1024;
	uint32_t n = conf->n_mbufs > min ? conf->n_mbufs : min;
	uint16_t priv = (uint16_t)RTE_ALIGN_CEIL(conf->priv_size, RTE_MBUF_PRIV_ALIGN);

	pool_name(pname, sizeof(pname), port, q);
	for (;;) {
		mp = rte_pktmbuf_pool_create(pname, n, MG_PORT_POOL_CACHE, priv,
		                             (uint16_t)(data_room + RTE_PKTMBUF_HEADROOM),
		                             rte_eth_dev_socket_id(port->port_id));
		if (mp != NULL)
			break;
		if (rte_errno != ENOMEM || n <= min) {
			port_log(port, "cannot create mempool %s of %u mbufs: %s", pname, n,
			         rte_strerror(rte_errno));
			return NULL;
		}
		n = n / 2 > min ? n / 2 : min;
	}
	if (n != conf->n_mbufs)
		port_log(port, "mempool %s holds %u mbufs (%u wanted; limited by memory)", pname, n,
		         conf->n_mbufs);
	if (q == port->queue)
		port->n_mbufs = n;
	return mp;
}

/* The pools of queues 0..<n>-1 (made by this process, the primary), last first. */
static void
port_pools_free(struct mg_port *port, uint16_t n)
{
	char pname[RTE_MEMPOOL_NAMESIZE];

	while (n-- > 0) {
		pool_name(pname, sizeof(pname), port, n);
		rte_mempool_free(rte_mempool_lookup(pname));
	}
	port->pool = NULL;
}

/* Reads back whether the port hashes receive over its queues (key and table readable). */
int
mg_port_rss_get(const struct mg_port *port, uint8_t key[40], uint16_t *reta, uint16_t cap,
                uint16_t *reta_size)
{
	struct rte_eth_rss_reta_entry64 conf[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_rss_conf rc;
	struct rte_eth_dev_info info;
	uint8_t k[64];
	uint16_t i, n;
	int r;

	memset(&rc, 0, sizeof(rc));
	rc.rss_key = k;
	rc.rss_key_len = sizeof(k);
	r = rte_eth_dev_rss_hash_conf_get(port->port_id, &rc);
	if (r != 0)
		return r;
	if (rc.rss_hf == 0 || rc.rss_key_len < 40)
		return -ENOTSUP;
	r = rte_eth_dev_info_get(port->port_id, &info);
	if (r != 0)
		return r;
	n = info.reta_size;
	if (n == 0 || n > RTE_ETH_RSS_RETA_SIZE_512 || n > cap)
		return -ENOTSUP;
	memset(conf, 0, sizeof(conf));
	for (i = 0; i < n / RTE_ETH_RETA_GROUP_SIZE + (n % RTE_ETH_RETA_GROUP_SIZE != 0); i++)
		conf[i].mask = ~0ULL;
	r = rte_eth_dev_rss_reta_query(port->port_id, conf, n);
	if (r != 0)
		return r;
	for (i = 0; i < n; i++)
		reta[i] = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	memcpy(key, k, 40);
	*reta_size = n;
	return 0;
}

/*
 * A secondary process: the primary configured and started the port and made every queue's
 * mempool; this process takes its queue's pool and the port's settings.
 */
static int
port_attach(struct mg_port *port, const struct mg_port_conf *conf)
{
	char pname[RTE_MEMPOOL_NAMESIZE];
	struct rte_eth_conf ec;
	uint16_t mtu = 0;
	int rc;

	pool_name(pname, sizeof(pname), port, port->queue);
	port->pool = rte_mempool_lookup(pname);
	if (port->pool == NULL) {
		port_log(port, "no mempool %s from the primary process", pname);
		return -ENOENT;
	}
	rc = rte_eth_dev_conf_get(port->port_id, &ec);
	if (rc != 0) {
		port_log(port, "cannot read the configuration: %s", strerror(-rc));
		return rc;
	}
	port->rx_offloads = ec.rxmode.offloads;
	port->tx_offloads = ec.txmode.offloads;
	if (ec.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS) {
		uint8_t key[40];
		uint16_t reta[RTE_ETH_RSS_RETA_SIZE_512], rs;

		port->rss = mg_port_rss_get(port, key, reta, RTE_ETH_RSS_RETA_SIZE_512, &rs) == 0;
	}
	port->n_mbufs = port->pool->size;
	port->data_room = (uint16_t)(rte_pktmbuf_data_room_size(port->pool) - RTE_PKTMBUF_HEADROOM);
	if (rte_eth_dev_get_mtu(port->port_id, &mtu) == 0 && mtu != 0 && mtu != conf->mtu)
		port_log(port, "MTU %u set by the primary (configuration says %u)", mtu, conf->mtu);
	port->mtu = mtu != 0 ? mtu : conf->mtu;
	port->max_frame = (uint16_t)(port->mtu + RTE_ETHER_HDR_LEN + MG_PORT_VLAN_HLEN);
	rc = rte_eth_macaddr_get(port->port_id, &port->mac);
	if (rc != 0) {
		port_log(port, "cannot read the MAC address: %s", strerror(-rc));
		port->pool = NULL;
		return rc;
	}
	port->secondary = true;
	port->started = true;
	/* The primary started the port before this process; its link state comes through
	 * link_shared once the caller sets it. */
	port->link_up = true;
	port_log(port,
	         "attached (secondary process): queue %u of %u, MAC " RTE_ETHER_ADDR_PRT_FMT
	         ", MTU %u, %u mbufs of %u bytes (%s), link %s",
	         port->queue, port->n_queues, RTE_ETHER_ADDR_BYTES(&port->mac), port->mtu,
	         port->n_mbufs, port->data_room, pname, "as the primary's");
	return 0;
}

/* 0x6d5a repeated: the symmetric Toeplitz key (both directions of a flow hash alike). */
static uint8_t symmetric_key[40] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

int
mg_port_init(struct mg_port *port, uint16_t port_id, const struct mg_port_conf *conf)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf ec;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t nb_rxd = conf->rx_desc, nb_txd = conf->tx_desc, nq, q;
	uint32_t frame;
	int rc;

	memset(port, 0, sizeof(*port));
	port->port_id = port_id;
	snprintf(port->name, sizeof(port->name), "%s", conf->name);
	nq = conf->n_queues > 1 ? conf->n_queues : 1;
	port->n_queues = nq;
	port->queue = conf->queue < nq ? conf->queue : 0;

	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0) {
		port_log(port, "cannot read device info: %s", strerror(-rc));
		return rc;
	}
	snprintf(port->driver, sizeof(port->driver), "%s", info.driver_name);
	if (conf->secondary)
		return port_attach(port, conf);

	/* Frame and buffer sizes: an mbuf holds a standard frame; jumbo frames
	 * are received scattered over several mbufs when the PMD can. */
	frame = (uint32_t)conf->mtu + RTE_ETHER_HDR_LEN + MG_PORT_VLAN_HLEN;
	if (frame > info.max_rx_pktlen) {
		port_log(port, "MTU %u exceeds the device's maximum frame of %u bytes", conf->mtu,
		         info.max_rx_pktlen);
		return -EINVAL;
	}
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		port_log(port, "%u queue pairs wanted (one per worker); the device has %u/%u", nq,
		         info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	port->max_frame = (uint16_t)frame;
	port->data_room = RTE_MBUF_DEFAULT_DATAROOM;

	memset(&ec, 0, sizeof(ec));
	ec.rxmode.mtu = conf->mtu;
	if (frame > port->data_room) {
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
			ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		else
			port->data_room = (uint16_t)RTE_ALIGN_CEIL(frame, 1024);
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		ec.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	else if (frame > port->data_room)
		port->data_room = (uint16_t)RTE_ALIGN_CEIL(frame, 1024);

	/* Checksum offloads where the PMD offers them; the netif checks the
	 * per-packet flags and falls back to software otherwise. */
	ec.rxmode.offloads |=
	    info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
	                            RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	ec.txmode.offloads |=
	    info.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM);

	/* Several queues: RSS on IPv4 TCP (and UDP where offered: the workers' DNS queries pick
	 * source ports whose replies hash to them), with the symmetric key where the key is
	 * settable. */
	if (nq > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_NONFRAG_IPV4_TCP) != 0) {
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_hf =
		    info.flow_type_rss_offloads &
		    (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP);
		if (info.hash_key_size == sizeof(symmetric_key)) {
			ec.rx_adv_conf.rss_conf.rss_key = symmetric_key;
			ec.rx_adv_conf.rss_conf.rss_key_len = sizeof(symmetric_key);
		}
	}
	rc = rte_eth_dev_configure(port_id, nq, nq, &ec);
	if (rc != 0 && ec.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS) {
		port_log(port, "configure with RSS failed (%s); trying without", strerror(-rc));
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		memset(&ec.rx_adv_conf.rss_conf, 0, sizeof(ec.rx_adv_conf.rss_conf));
		rc = rte_eth_dev_configure(port_id, nq, nq, &ec);
	}
	if (rc != 0) {
		port_log(port, "configure failed: %s", strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc != 0) {
		port_log(port, "cannot adjust ring sizes: %s", strerror(-rc));
		return rc;
	}
	port->rx_offloads = ec.rxmode.offloads;
	port->tx_offloads = ec.txmode.offloads;

	struct mg_port_conf pc = *conf;
	pc.rx_desc = nb_rxd;
	pc.tx_desc = nb_txd;
	rxc = info.default_rxconf;
	rxc.offloads = ec.rxmode.offloads;
	txc = info.default_txconf;
	txc.offloads = ec.txmode.offloads;
	/* One mempool per queue: each worker allocates from and frees into its own. */
	for (q = 0; q < nq; q++) {
		struct rte_mempool *mp = port_pool_create(port, &pc, port->data_room, q);

		if (mp == NULL) {
			rc = -(rte_errno != 0 ? rte_errno : ENOMEM);
			goto bad;
		}
		if (q == port->queue)
			port->pool = mp;
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, rte_eth_dev_socket_id(port_id),
		                            &rxc, mp);
		if (rc != 0) {
			port_log(port, "rx queue %u setup failed: %s", q, strerror(-rc));
			q++;
			goto bad;
		}
		rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, rte_eth_dev_socket_id(port_id),
		                            &txc);
		if (rc != 0) {
			port_log(port, "tx queue %u setup failed: %s", q, strerror(-rc));
			q++;
			goto bad;
		}
	}
	rc = rte_eth_macaddr_get(port_id, &port->mac);
	if (rc != 0) {
		port_log(port, "cannot read the MAC address: %s", strerror(-rc));
		goto bad;
	}
	rc = rte_eth_dev_start(port_id);
	if (rc != 0) {
		port_log(port, "start failed: %s", strerror(-rc));
		goto bad;
	}
	port->started = true;
	port->mtu = conf->mtu;
	if (nq > 1) {
		uint8_t key[40];
		uint16_t reta[RTE_ETH_RSS_RETA_SIZE_512], rs;

		port->rss = mg_port_rss_get(port, key, reta, RTE_ETH_RSS_RETA_SIZE_512, &rs) == 0;
		port_log(port, "%u queue pairs, RSS %s", nq,
		         port->rss ? (memcmp(key, symmetric_key, 40) == 0 ? "on (symmetric key)"
		                                                          : "on (the PMD's key)")
		                   : "not available (the device spreads flows itself)");
	}
	/* The gateway answers only for its own addresses; ARP and broadcast
	 * still arrive, and promiscuous mode is left as the PMD set it. */
	mg_port_link_poll(port);
	port_log(
	    port,
	    "started: MAC " RTE_ETHER_ADDR_PRT_FMT ", MTU %u, rings %u/%u, %u mbufs of %u bytes, "
	    "offloads rx 0x%" PRIx64 " tx 0x%" PRIx64 ", link %s",
	    RTE_ETHER_ADDR_BYTES(&port->mac), port->mtu, nb_rxd, nb_txd, port->n_mbufs,
	    port->data_room, port->rx_offloads, port->tx_offloads, port->link_up ? "up" : "down");
	return 0;
bad:
	port_pools_free(port, q < nq ? q + 1 : nq);
	return rc;
}

void
mg_port_close(struct mg_port *port)
{
	if (port->secondary) {
		/* The primary owns the port and the mempools. */
		port->started = false;
		port->pool = NULL;
		return;
	}
	if (port->started) {
		rte_eth_dev_stop(port->port_id);
		rte_eth_dev_close(port->port_id);
		port->started = false;
	}
	port_pools_free(port, port->n_queues > 1 ? port->n_queues : 1);
}

bool
mg_port_link_poll(struct mg_port *port)
{
	struct rte_eth_link link;
	bool was = port->link_up;

	if (port->secondary) {
		if (port->link_shared != NULL)
			port->link_up = __atomic_load_n(port->link_shared, __ATOMIC_ACQUIRE) != 0;
		return was != port->link_up;
	}
	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(port->port_id, &link) != 0)
		return false;
	port->link_up = link.link_status == RTE_ETH_LINK_UP;
	port->link_speed = link.link_speed;
	if (port->link_shared != NULL)
		__atomic_store_n(port->link_shared, port->link_up ? 1 : 0, __ATOMIC_RELEASE);
	return was != port->link_up;
}

void
mg_port_stats_get(const struct mg_port *port, struct mg_port_stats *st)
{
	struct rte_eth_stats es;

	memset(st, 0, sizeof(*st));
	if (rte_eth_stats_get(port->port_id, &es) == 0 && port->n_queues > 1 &&
	    port->queue < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
		/* Several workers share the port: each reports its own queue pair, and the
		 * port-wide error counters are worker 0's, so that the workers' sums are right. */
		st->rx_packets = es.q_ipackets[port->queue];
		st->tx_packets = es.q_opackets[port->queue];
		st->rx_bytes = es.q_ibytes[port->queue];
		st->tx_bytes = es.q_obytes[port->queue];
		if (port->queue == 0) {
			st->rx_missed = es.imissed;
			st->rx_errors = es.ierrors;
			st->tx_errors = es.oerrors;
			st->rx_nombuf = es.rx_nombuf;
		}
	} else if (port->n_queues <= 1 && rte_eth_stats_get(port->port_id, &es) == 0) {
		st->rx_packets = es.ipackets;
		st->tx_packets = es.opackets;
		st->rx_bytes = es.ibytes;
		st->tx_bytes = es.obytes;
		st->rx_missed = es.imissed;
		st->rx_errors = es.ierrors;
		st->tx_errors = es.oerrors;
		st->rx_nombuf = es.rx_nombuf;
	}
	if (port->pool != NULL) {
		st->pool_size = port->pool->size;
		st->pool_in_use = rte_mempool_in_use_count(port->pool);
		st->pool_available = rte_mempool_avail_count(port->pool);
	}
}
