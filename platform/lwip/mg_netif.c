/*
 * lwIP netif over a DPDK port.  See mg_netif.h.
 */
/* rte_ipv4_udptcp_cksum_mbuf_verify() is an inline marked experimental in 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#include "mg_netif.h"

/* lwIP and <netinet/ip.h> (through rte_ip.h) both define these. */
#undef IP_RF
#undef IP_DF
#undef IP_MF
#undef IP_OFFMASK

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>

static uint64_t rx_zc_in_use;

uint64_t
mg_netif_rx_zc_in_use(void)
{
	return rx_zc_in_use;
}

/* ---- receive ------------------------------------------------------------ */

/* The pbuf_custom sits in the mbuf's private area, right after the mbuf. */
static inline struct rte_mbuf *
pbuf_to_mbuf(struct pbuf *p)
{
	return (struct rte_mbuf *)(void *)((char *)p - sizeof(struct rte_mbuf));
}

static void
rx_pbuf_free(struct pbuf *p)
{
	rx_zc_in_use--;
	rte_pktmbuf_free_seg(pbuf_to_mbuf(p));
}

static inline bool
ipv4_is_fragment(const struct rte_ipv4_hdr *ip)
{
	return (ip->fragment_offset &
	        rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
}

/*
 * Checks what the PMD reported about checksums of an IPv4 frame, and verifies
 * in software what it could not.  Returns false if the frame must be dropped.
 * Frames that are not IPv4, or too short to hold the headers, pass: lwIP
 * checks them itself.
 */
static bool
rx_csum_ok(struct mg_netif *ni, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip;
	uint64_t ipf, l4f;
	uint16_t ihl, total;

	if (m->data_len < sizeof(*eth) + sizeof(*ip) ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return true;
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	ihl = (uint16_t)((ip->version_ihl & 0x0f) * 4);
	total = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || m->data_len < sizeof(*eth) + ihl ||
	    total < ihl || total > m->pkt_len - sizeof(*eth))
		return true; /* malformed: lwIP's ip4_input drops it */

	if (ni->rx_ip_csum) {
		ipf = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
		if (ipf == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		    (ipf == RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN && rte_raw_cksum(ip, ihl) != 0xffff))
			goto bad;
	}
	if (ni->rx_tcp_csum && ip->next_proto_id == IPPROTO_TCP) {
		if (ipv4_is_fragment(ip)) {
			ni->st.rx_tcp_fragments++;
			return false;
		}
		if (total < ihl + 20)
			return true;
		l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
		if (l4f == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
		    (l4f == RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN &&
		     rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, (uint16_t)(sizeof(*eth) + ihl)) != 0))
			goto bad;
	}
	return true;
bad:
	ni->st.rx_csum_bad++;
	return false;
}

/*
 * Wraps mbuf <m> (possibly a segment chain) as a pbuf chain without copying.
 * Each segment is detached from the chain first so that lwIP can free the
 * pbufs, and so the mbufs, one by one.
 */
static struct pbuf *
rx_wrap(struct mg_netif *ni, struct rte_mbuf *m)
{
	struct pbuf *head = NULL, *p;
	struct rte_mbuf *next;

	for (; m != NULL; m = next) {
		struct pbuf_custom *pc = rte_mbuf_to_priv(m);

		next = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		pc->custom_free_function = rx_pbuf_free;
		p = pbuf_alloced_custom(PBUF_RAW, m->data_len, PBUF_REF, pc,
		                        rte_pktmbuf_mtod(m, void *), m->data_len);
		if (p == NULL) { /* cannot happen with PBUF_RAW; keep the books right */
			ni->st.rx_oversize++;
			rte_pktmbuf_free_seg(m);
			rte_pktmbuf_free(next);
			if (head != NULL)
				pbuf_free(head);
			return NULL;
		}
		rx_zc_in_use++;
		if (head == NULL)
			head = p;
		else
			pbuf_cat(head, p);
	}
	return head;
}

void
mg_netif_share(struct mg_netif *ni, struct rte_ring *in, struct rte_ring *const *out,
               unsigned int n)
{
	unsigned int i;

	ni->share_in = in;
	ni->n_share_out = 0;
	for (i = 0; i < n && i < MG_NETIF_SHARE_MAX; i++)
		if (out[i] != NULL)
			ni->share_out[ni->n_share_out++] = out[i];
}

#define ARP_OP_OFF (RTE_ETHER_HDR_LEN + 6)

/* Copies ARP frame <m> to the other workers (see mg_netif_share()). */
static void
share_arp(struct mg_netif *ni, const struct rte_mbuf *m)
{
	unsigned int i;

	for (i = 0; i < ni->n_share_out; i++) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, ni->port->pool, 0, UINT32_MAX);
		uint8_t *op;

		if (c == NULL || rte_pktmbuf_linearize(c) != 0) {
			rte_pktmbuf_free(c);
			ni->st.arp_share_drop++;
			continue;
		}
		/* A request becomes a reply: the other worker learns the sender and does not
		 * answer a second time. */
		op = rte_pktmbuf_mtod_offset(c, uint8_t *, ARP_OP_OFF);
		if (op[0] == 0 && op[1] == 1)
			op[1] = 2;
		if (rte_ring_enqueue(ni->share_out[i], c) != 0) {
			rte_pktmbuf_free(c);
			ni->st.arp_share_drop++;
			continue;
		}
		ni->st.arp_shared++;
	}
}

static inline bool
is_arp(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	return m->data_len >= ARP_OP_OFF + 2 &&
	       eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
}

unsigned int
mg_netif_poll(struct mg_netif *ni)
{
	struct rte_mbuf *pkts[MG_NETIF_BURST_MAX];
	struct pbuf *p;
	uint64_t t0;
	uint16_t n, i;

	if (ni->share_in != NULL) {
		n = (uint16_t)rte_ring_dequeue_burst(ni->share_in, (void **)pkts, ni->burst, NULL);
		for (i = 0; i < n; i++) {
			ni->st.arp_from_peers++;
			p = rx_wrap(ni, pkts[i]);
			if (p != NULL && ni->nif.input(p, &ni->nif) != ERR_OK)
				pbuf_free(p);
		}
	}
	n = mg_port_rx_burst(ni->port, pkts, ni->burst);
	if (n == 0)
		return 0;
	t0 = rte_rdtsc();
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		ni->st.rx_frames++;
		if (ni->n_share_out > 0 && is_arp(m))
			share_arp(ni, m);
		if ((ni->rx_ip_csum || ni->rx_tcp_csum) && !rx_csum_ok(ni, m)) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (m->pkt_len > 0xffff) {
			ni->st.rx_oversize++;
			rte_pktmbuf_free(m);
			continue;
		}
		p = rx_wrap(ni, m);
		if (p != NULL && ni->nif.input(p, &ni->nif) != ERR_OK)
			pbuf_free(p);
	}
	ni->st.rx_cycles += rte_rdtsc() - t0;
	return n;
}

/* ---- transmit ------------------------------------------------------------- */

/*
 * Sets the offload flags and the pseudo-header checksum an offloading PMD
 * needs for an IPv4 frame whose checksums lwIP left to us.
 */
static void
tx_offload_prepare(struct mg_netif *ni, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;
	uint16_t ihl;

	if (m->data_len < sizeof(*eth) + sizeof(*ip) ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ihl = (uint16_t)((ip->version_ihl & 0x0f) * 4);
	m->l2_len = sizeof(*eth);
	m->l3_len = ihl;
	m->ol_flags |= RTE_MBUF_F_TX_IPV4;
	if (ni->tx_ip_csum) {
		ip->hdr_checksum = 0;
		m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	}
	if (ni->tx_tcp_csum && ip->next_proto_id == IPPROTO_TCP &&
	    m->data_len >= sizeof(*eth) + ihl + sizeof(*tcp)) {
		tcp = (struct rte_tcp_hdr *)((char *)ip + ihl);
		m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
		tcp->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
	}
}

static inline void
txq_push(struct mg_netif *ni, struct rte_mbuf *m)
{
	if (ni->txq_len == MG_NETIF_TXQ_MAX) {
		ni->st.tx_dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	ni->txq[(ni->txq_head + ni->txq_len) % MG_NETIF_TXQ_MAX] = m;
	ni->txq_len++;
}

/* lwIP's linkoutput: copies the frame <p> into mbufs and queues it. */
static err_t
netif_linkoutput(struct netif *nif, struct pbuf *p)
{
	struct mg_netif *ni = (struct mg_netif *)nif;
	struct rte_mempool *mp = ni->port->pool;
	struct rte_mbuf *head, *m, *prev;
	uint16_t off = 0, room = ni->port->data_room, take;

	if (p->tot_len > ni->port->max_frame) {
		ni->st.tx_too_big++;
		return ERR_IF;
	}
	head = rte_pktmbuf_alloc(mp);
	if (head == NULL)
		goto nombuf;
	m = head;
	for (;;) {
		take = (uint16_t)RTE_MIN((uint16_t)(p->tot_len - off), room);
		pbuf_copy_partial(p, rte_pktmbuf_mtod(m, void *), take, off);
		m->data_len = take;
		off = (uint16_t)(off + take);
		if (off == p->tot_len)
			break;
		prev = m;
		m = rte_pktmbuf_alloc(mp);
		if (m == NULL) {
			rte_pktmbuf_free(head);
			goto nombuf;
		}
		prev->next = m;
		head->nb_segs++;
	}
	head->pkt_len = p->tot_len;
	if (ni->tx_ip_csum || ni->tx_tcp_csum)
		tx_offload_prepare(ni, head);
	ni->st.tx_frames++;
	txq_push(ni, head);
	if (ni->txq_len >= ni->burst)
		mg_netif_flush(ni);
	return ERR_OK;
nombuf:
	ni->st.tx_nombuf++;
	return ERR_MEM;
}

unsigned int
mg_netif_flush(struct mg_netif *ni)
{
	unsigned int sent = 0;

	while (ni->txq_len > 0) {
		uint16_t run = (uint16_t)RTE_MIN(ni->txq_len, MG_NETIF_TXQ_MAX - ni->txq_head);
		uint64_t t0 = rte_rdtsc();
		uint16_t n = mg_port_tx_burst(ni->port, &ni->txq[ni->txq_head], run);

		ni->st.tx_cycles += rte_rdtsc() - t0;

		sent += n;
		ni->txq_head = (uint16_t)((ni->txq_head + n) % MG_NETIF_TXQ_MAX);
		ni->txq_len = (uint16_t)(ni->txq_len - n);
		if (n < run)
			break; /* the PMD's ring is full: retry on the next loop */
	}
	return sent;
}

/* ---- set-up ----------------------------------------------------------------- */

static err_t
netif_init_cb(struct netif *nif)
{
	struct mg_netif *ni = (struct mg_netif *)nif;

	nif->name[0] = 'd';
	nif->name[1] = 'p';
	nif->output = etharp_output;
	nif->linkoutput = netif_linkoutput;
	nif->mtu = ni->port->mtu;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, ni->port->mac.addr_bytes, ETH_HWADDR_LEN);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

int
mg_netif_add(struct mg_netif *ni, struct mg_port *port, uint32_t addr, uint32_t netmask,
             uint32_t gw, uint16_t burst, bool is_default)
{
	ip4_addr_t a, m, g;
	u16_t csum = NETIF_CHECKSUM_ENABLE_ALL;

	memset(ni, 0, sizeof(*ni));
	if (burst == 0 || burst > MG_NETIF_BURST_MAX)
		return -EINVAL;
	ni->port = port;
	ni->burst = burst;
	ni->rx_ip_csum = (port->rx_offloads & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0;
	ni->rx_tcp_csum = (port->rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) != 0;
	ni->tx_ip_csum = (port->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
	ni->tx_tcp_csum = (port->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) != 0;

	ip4_addr_set_u32(&a, addr);
	ip4_addr_set_u32(&m, netmask);
	ip4_addr_set_u32(&g, gw);
	if (netif_add(&ni->nif, &a, &m, &g, ni, netif_init_cb, ethernet_input) == NULL)
		return -EINVAL;

	if (ni->rx_ip_csum)
		csum &= (u16_t)~NETIF_CHECKSUM_CHECK_IP;
	if (ni->rx_tcp_csum)
		csum &= (u16_t)~NETIF_CHECKSUM_CHECK_TCP;
	if (ni->tx_ip_csum)
		csum &= (u16_t)~NETIF_CHECKSUM_GEN_IP;
	if (ni->tx_tcp_csum)
		csum &= (u16_t)~NETIF_CHECKSUM_GEN_TCP;
	NETIF_SET_CHECKSUM_CTRL(&ni->nif, csum);

	if (is_default)
		netif_set_default(&ni->nif);
	netif_set_up(&ni->nif);
	mg_netif_link_update(ni);
	return 0;
}

void
mg_netif_link_update(struct mg_netif *ni)
{
	if (ni->port->link_up && !netif_is_link_up(&ni->nif))
		netif_set_link_up(&ni->nif);
	else if (!ni->port->link_up && netif_is_link_up(&ni->nif))
		netif_set_link_down(&ni->nif);
}

void
mg_netif_remove(struct mg_netif *ni)
{
	netif_remove(&ni->nif);
	while (ni->txq_len > 0) {
		rte_pktmbuf_free(ni->txq[ni->txq_head]);
		ni->txq_head = (uint16_t)((ni->txq_head + 1) % MG_NETIF_TXQ_MAX);
		ni->txq_len--;
	}
}
