/*
 * lwIP's hashed PCB lookup (platform/lwip/patches/0004-tcp-pcb-hash.patch), driven through
 * lwIP's own API on a netif that drops what it sends:
 *
 * - upstream ports are chosen per 4-tuple: 16,383 connections (the whole ephemeral range) to
 *   one address and port, then the next connect to it fails, and as many again to a second
 *   address (unpatched lwIP gives every connection a port no other PCB uses: the second
 *   batch would get none);
 * - every active PCB is found by its 4-tuple, with short chains (keyed SipHash buckets);
 * - tcp_input() finds the PCB of an arriving segment through the hash: a RST+ACK for one
 *   connection among 32,766 aborts that one and no other, and takes it out of the hash;
 * - aborting everything empties the hash and the per-port counts;
 * - an upstream connect takes over the 4-tuple of one of our TIME-WAIT PCBs once it is 1 s
 *   old (TCP_TW_REUSE_CONNECT_MS), and not before, when every other port is taken.
 *
 * lwIP's globals make this a one-shot test: lwip_init() runs once per process.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwip/init.h"
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "mg_lwip_hooks.h"
#include "platform/lwip/mg_isn.h"
#include "tests/unit/mgtest.h"

#define RANGE 16383 /* TCP_LOCAL_PORT_RANGE_START .. _END - 1 */
#define N     (2 * RANGE)

/* ---- what mg_sys.c provides in the gateway ---------------------------------- */
#define MG_STUB_RAND 12345
#define MG_STUB_ISN_COMPUTE
#define MG_STUB_ASSERT_FAIL(msg, file, line) mg_test_fail(file, line, "lwIP assertion: %s", msg)
#include "tests/lwip/mg_lwip_stubs.h"

/* ---- a netif that drops everything ------------------------------------------ */
static struct netif nif;
static unsigned long sent;

static err_t
drop_output(struct netif *n, struct pbuf *p, const ip4_addr_t *dst)
{
	(void)n;
	(void)p;
	(void)dst;
	sent++;
	return ERR_OK;
}

static err_t
nif_init(struct netif *n)
{
	n->output = drop_output;
	n->mtu = 1500;
	n->flags = NETIF_FLAG_UP | NETIF_FLAG_LINK_UP;
	NETIF_SET_CHECKSUM_CTRL(n, NETIF_CHECKSUM_DISABLE_ALL);
	return ERR_OK;
}

static struct tcp_pcb *pcbs[N];
static int errs[N];

static void
on_err(void *arg, err_t err)
{
	uintptr_t i = (uintptr_t)arg;

	if (i < N)
		errs[i] = err == ERR_RST ? 1 : 2;
}

/* Feeds tcp_input() a segment from <pcb>'s peer, without options or data. */
static void
inject(const struct tcp_pcb *pcb, u8_t flags, u32_t seqno, u32_t ackno)
{
	struct pbuf *p = pbuf_alloc(PBUF_RAW, IP_HLEN + TCP_HLEN, PBUF_RAM);
	struct ip_hdr *ip;
	struct tcp_hdr *th;

	if (p == NULL)
		return;
	memset(p->payload, 0, p->len);
	ip = p->payload;
	IPH_VHL_SET(ip, 4, IP_HLEN / 4);
	IPH_LEN_SET(ip, lwip_htons(IP_HLEN + TCP_HLEN));
	IPH_TTL_SET(ip, 64);
	IPH_PROTO_SET(ip, IP_PROTO_TCP);
	ip4_addr_copy(ip->src, *ip_2_ip4(&pcb->remote_ip));
	ip4_addr_copy(ip->dest, *ip_2_ip4(&pcb->local_ip));
	th = (struct tcp_hdr *)(ip + 1);
	th->src = lwip_htons(pcb->remote_port);
	th->dest = lwip_htons(pcb->local_port);
	th->seqno = lwip_htonl(seqno);
	th->ackno = lwip_htonl(ackno);
	TCPH_HDRLEN_FLAGS_SET(th, TCP_HLEN / 4, flags);
	th->wnd = lwip_htons(1000);
	ip4_input(p, &nif);
}

static int
connect_to(unsigned int i, const ip_addr_t *dst)
{
	struct tcp_pcb *pcb = tcp_new();

	if (pcb == NULL)
		return -1;
	tcp_arg(pcb, (void *)(uintptr_t)i);
	tcp_err(pcb, on_err);
	if (tcp_connect(pcb, dst, 80, NULL) != ERR_OK) {
		tcp_abort(pcb);
		return -1;
	}
	pcbs[i] = pcb;
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

MG_TEST(lwip_pcb_hash_ports_per_tuple_lookup_and_input)
{
	static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	struct tcp_pcb_hash_stats st;
	ip4_addr_t a, m, gw;
	ip_addr_t up1, up2;
	unsigned int i, ok = 0, found = 0, others_err = 0, p, busy_ports = 0;
	const unsigned int victim = RANGE + 1234;
	double t0;

	mg_isn_init(key);
	lwip_init();
	IP4_ADDR(&a, 10, 0, 0, 1);
	IP4_ADDR(&m, 255, 0, 0, 0);
	IP4_ADDR(&gw, 0, 0, 0, 0);
	MG_ASSERT(netif_add(&nif, &a, &m, &gw, NULL, nif_init, ip4_input) != NULL);
	netif_set_default(&nif);
	netif_set_up(&nif);
	netif_set_link_up(&nif);
	IP_ADDR4(&up1, 10, 0, 0, 2);
	IP_ADDR4(&up2, 10, 0, 0, 3);

	/* The whole ephemeral range toward one upstream, then no more... */
	for (i = 0; i < RANGE; i++)
		ok += connect_to(i, &up1) == 0;
	MG_EXPECT_EQ_UINT(ok, RANGE);
	MG_EXPECT(connect_to(N - 1, &up1) != 0);
	pcbs[N - 1] = NULL;
	errs[N - 1] = 0; /* its tcp_abort() reported ERR_ABRT */
	/* ...and the whole range again toward another. */
	t0 = now_s();
	for (ok = 0, i = RANGE; i < N; i++)
		ok += connect_to(i, &up2) == 0;
	mg_test_case("second %u connects (ports shared with the first upstream): %.1f us each",
	             RANGE, (now_s() - t0) / RANGE * 1e6);
	MG_EXPECT_EQ_UINT(ok, RANGE);
	MG_EXPECT(sent >= N); /* the SYNs went out */

	tcp_pcb_hash_get_stats(&st);
	MG_EXPECT_EQ_UINT(st.active, N);
	MG_EXPECT_EQ_UINT(st.tw, 0);
	t0 = now_s();
	for (i = 0; i < N; i++)
		found +=
		    tcp_pcb_hash_find(&tcp_active_pcbs, &pcbs[i]->local_ip, pcbs[i]->local_port,
		                      &pcbs[i]->remote_ip, pcbs[i]->remote_port) == pcbs[i];
	mg_test_case("lookup among %u PCBs: %.0f ns", N, (now_s() - t0) / N * 1e9);
	MG_EXPECT_EQ_UINT(found, N);
	/* MG_LWIP_HASH_REPORT=1: what the timers' walk of every PCB costs (docs/PERFORMANCE.md). */
	if (getenv("MG_LWIP_HASH_REPORT") != NULL) {
		double look = (now_s() - t0) / N * 1e9;

		t0 = now_s();
		for (i = 0; i < 100; i++)
			tcp_fasttmr();
		printf("lwip_pcb_hash: %u PCBs: lookup %.0f ns, tcp_fasttmr() %.0f us (%.1f ns per "
		       "PCB)\n",
		       N, look, (now_s() - t0) / 100 * 1e6, (now_s() - t0) / 100 / N * 1e9);
	}
	tcp_pcb_hash_get_stats(&st);
	mg_test_case("longest chain %u (%u PCBs in %u buckets)", st.max_chain, N,
	             TCP_PCB_HASH_SIZE);
	MG_EXPECT(st.max_chain >= 1 && st.max_chain <= 12);
	for (p = 0xc000; p < 0xffff; p++)
		busy_ports += tcp_port_users((u16_t)p) == 2;
	MG_EXPECT_EQ_UINT(busy_ports, RANGE); /* every port twice: once per upstream */

	/* A segment for one connection in the middle reaches that PCB and no other. */
	{
		ip_addr_t lip = pcbs[victim]->local_ip, rip = pcbs[victim]->remote_ip;
		u16_t lport = pcbs[victim]->local_port;

		inject(pcbs[victim], TCP_RST | TCP_ACK, 0, pcbs[victim]->snd_nxt);
		MG_EXPECT_EQ_INT(errs[victim], 1);
		MG_EXPECT(tcp_pcb_hash_find(&tcp_active_pcbs, &lip, lport, &rip, 80) == NULL);
		MG_EXPECT_EQ_UINT(tcp_port_users(lport), 1);
		pcbs[victim] = NULL;
	}
	for (i = 0; i < N; i++)
		others_err += i != victim && errs[i] != 0;
	MG_EXPECT_EQ_UINT(others_err, 0);
	tcp_pcb_hash_get_stats(&st);
	MG_EXPECT_EQ_UINT(st.active, N - 1);

	/* Now a port is free toward the second upstream: one more connect fits there. */
	MG_EXPECT_EQ_INT(connect_to(victim, &up2), 0);

	for (i = 0; i < N; i++)
		if (pcbs[i] != NULL)
			tcp_abort(pcbs[i]);
	tcp_pcb_hash_get_stats(&st);
	MG_EXPECT_EQ_UINT(st.active, 0);
	MG_EXPECT(tcp_active_pcbs == NULL);
	for (busy_ports = 0, p = 1; p < 0x10000; p++)
		busy_ports += tcp_port_users((u16_t)p) != 0;
	MG_EXPECT_EQ_UINT(busy_ports, 0);

	/* TIME-WAIT: one connection opened, then closed by us first (FIN, the peer's FIN+ACK). */
	{
		struct tcp_pcb *tw, *c;
		ip_addr_t lip;
		u16_t lport;

		memset(errs, 0, sizeof(errs));
		MG_ASSERT_EQ_INT(connect_to(0, &up1), 0);
		c = pcbs[0];
		inject(c, TCP_SYN | TCP_ACK, 1000, c->snd_nxt);
		MG_ASSERT_EQ_INT(c->state, ESTABLISHED);
		MG_ASSERT_EQ_INT(tcp_close(c), ERR_OK);
		inject(c, TCP_FIN | TCP_ACK, 1001, c->snd_nxt);
		MG_ASSERT_EQ_INT(c->state, TIME_WAIT);
		lip = c->local_ip;
		lport = c->local_port;
		tw = tcp_pcb_hash_find(&tcp_tw_pcbs, &lip, lport, &up1, 80);
		MG_ASSERT(tw == c);
		tcp_pcb_hash_get_stats(&st);
		MG_EXPECT_EQ_UINT(st.tw, 1);
		MG_EXPECT_EQ_UINT(st.active, 0);
		/* Every other port toward the same upstream taken. */
		for (ok = 0, i = 1; i < RANGE; i++)
			ok += connect_to(i, &up1) == 0;
		MG_EXPECT_EQ_UINT(ok, RANGE - 1);
		/* A young TIME-WAIT keeps its 4-tuple... */
		MG_EXPECT(connect_to(RANGE, &up1) != 0);
		MG_EXPECT(tcp_pcb_hash_find(&tcp_tw_pcbs, &lip, lport, &up1, 80) == tw);
		/* ...one 1 s old gives it to the new connection. */
		tw->tmr = tcp_ticks - TCP_TW_REUSE_CONNECT_MS / TCP_SLOW_INTERVAL;
		MG_EXPECT_EQ_INT(connect_to(RANGE, &up1), 0);
		MG_EXPECT_EQ_UINT(pcbs[RANGE]->local_port, lport);
		MG_EXPECT(tcp_pcb_hash_find(&tcp_tw_pcbs, &lip, lport, &up1, 80) == NULL);
		MG_EXPECT(tcp_pcb_hash_find(&tcp_active_pcbs, &lip, lport, &up1, 80) ==
		          pcbs[RANGE]);
		tcp_pcb_hash_get_stats(&st);
		MG_EXPECT_EQ_UINT(st.tw, 0);
		MG_EXPECT_EQ_UINT(st.active, RANGE);
		for (i = 1; i <= RANGE; i++)
			tcp_abort(pcbs[i]);
		tcp_pcb_hash_get_stats(&st);
		MG_EXPECT_EQ_UINT(st.active, 0);
	}
}
