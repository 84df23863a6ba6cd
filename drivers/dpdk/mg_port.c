/*
 * DPDK port bring-up.  See mg_port.h.
 */
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
static int
port_pool_create(struct mg_port *port, const struct mg_port_conf *conf, uint16_t data_room)
{
	char pname[RTE_MEMPOOL_NAMESIZE];
	uint32_t min = (uint32_t)conf->rx_desc + conf->tx_desc + 2 * 64 +
	               MG_PORT_POOL_CACHE * rte_lcore_count() + 1024;
	uint32_t n = conf->n_mbufs > min ? conf->n_mbufs : min;
	uint16_t priv = (uint16_t)RTE_ALIGN_CEIL(conf->priv_size, RTE_MBUF_PRIV_ALIGN);

	snprintf(pname, sizeof(pname), "mbuf_p%u", port->port_id);
	for (;;) {
		port->pool = rte_pktmbuf_pool_create(pname, n, MG_PORT_POOL_CACHE, priv,
		                                     (uint16_t)(data_room + RTE_PKTMBUF_HEADROOM),
		                                     rte_eth_dev_socket_id(port->port_id));
		if (port->pool != NULL)
			break;
		if (rte_errno != ENOMEM || n <= min) {
			port_log(port, "cannot create a mempool of %u mbufs: %s", n,
			         rte_strerror(rte_errno));
			return -(rte_errno != 0 ? rte_errno : ENOMEM);
		}
		n = n / 2 > min ? n / 2 : min;
	}
	if (n != conf->n_mbufs)
		port_log(port, "mempool holds %u mbufs (%u wanted; limited by memory)", n,
		         conf->n_mbufs);
	port->n_mbufs = n;
	return 0;
}

int
mg_port_init(struct mg_port *port, uint16_t port_id, const struct mg_port_conf *conf)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf ec;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t nb_rxd = conf->rx_desc, nb_txd = conf->tx_desc;
	uint32_t frame;
	int rc;

	memset(port, 0, sizeof(*port));
	port->port_id = port_id;
	snprintf(port->name, sizeof(port->name), "%s", conf->name);

	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0) {
		port_log(port, "cannot read device info: %s", strerror(-rc));
		return rc;
	}
	snprintf(port->driver, sizeof(port->driver), "%s", info.driver_name);

	/* Frame and buffer sizes: an mbuf holds a standard frame; jumbo frames
	 * are received scattered over several mbufs when the PMD can. */
	frame = (uint32_t)conf->mtu + RTE_ETHER_HDR_LEN + MG_PORT_VLAN_HLEN;
	if (frame > info.max_rx_pktlen) {
		port_log(port, "MTU %u exceeds the device's maximum frame of %u bytes", conf->mtu,
		         info.max_rx_pktlen);
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

	rc = rte_eth_dev_configure(port_id, 1, 1, &ec);
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
	rc = port_pool_create(port, &pc, port->data_room);
	if (rc != 0)
		return rc;

	rxc = info.default_rxconf;
	rxc.offloads = ec.rxmode.offloads;
	rc = rte_eth_rx_queue_setup(port_id, 0, nb_rxd, rte_eth_dev_socket_id(port_id), &rxc,
	                            port->pool);
	if (rc != 0) {
		port_log(port, "rx queue setup failed: %s", strerror(-rc));
		goto bad;
	}
	txc = info.default_txconf;
	txc.offloads = ec.txmode.offloads;
	rc = rte_eth_tx_queue_setup(port_id, 0, nb_txd, rte_eth_dev_socket_id(port_id), &txc);
	if (rc != 0) {
		port_log(port, "tx queue setup failed: %s", strerror(-rc));
		goto bad;
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
	rte_mempool_free(port->pool);
	port->pool = NULL;
	return rc;
}

void
mg_port_close(struct mg_port *port)
{
	if (port->started) {
		rte_eth_dev_stop(port->port_id);
		rte_eth_dev_close(port->port_id);
		port->started = false;
	}
	rte_mempool_free(port->pool);
	port->pool = NULL;
}

bool
mg_port_link_poll(struct mg_port *port)
{
	struct rte_eth_link link;
	bool was = port->link_up;

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(port->port_id, &link) != 0)
		return false;
	port->link_up = link.link_status == RTE_ETH_LINK_UP;
	port->link_speed = link.link_speed;
	return was != port->link_up;
}

void
mg_port_stats_get(const struct mg_port *port, struct mg_port_stats *st)
{
	struct rte_eth_stats es;

	memset(st, 0, sizeof(*st));
	if (rte_eth_stats_get(port->port_id, &es) == 0) {
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
