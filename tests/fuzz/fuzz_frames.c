/*
 * libFuzzer target: raw Ethernet frames into lwIP, built with Meshgate's
 * lwipopts.h (as lwIP's own test/fuzz does, but with our options and hooks).
 *
 * The input is a sequence of records: a 2-byte big-endian length, then that
 * many bytes of frame.  Frames go to a netif with the gateway's address; a
 * TCP listener on port 80 reads, writes and closes the way the gateway's
 * services do; each record also advances lwIP's clock (by the low bits of the
 * length) so that timers run.  After each input every connection is aborted
 * and the clock steps past the reassembly timeout, so that inputs stay
 * independent and pool leaks show up as failures.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include "platform/lwip/mg_isn.h"
#include "platform/lwip/mg_lwip_hooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct netif nif;
#define MG_STUB_ISN_COMPUTE
#include "tests/lwip/mg_lwip_stubs.h"

/* ---- a service like the gateway's ------------------------------------------ */
static err_t
on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg;
	(void)err;
	if (p == NULL) {
		if (tcp_close(pcb) != ERR_OK) {
			tcp_abort(pcb);
			return ERR_ABRT;
		}
		return ERR_OK;
	}
	tcp_recved(pcb, p->tot_len);
	if (p->len > 0 && tcp_sndbuf(pcb) >= p->len)
		tcp_write(pcb, p->payload, p->len, TCP_WRITE_FLAG_COPY);
	pbuf_free(p);
	tcp_output(pcb);
	return ERR_OK;
}

static err_t
on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	tcp_recv(pcb, on_recv);
	return ERR_OK;
}

static err_t
linkoutput(struct netif *n, struct pbuf *p)
{
	(void)n;
	(void)p;
	return ERR_OK;
}

static err_t
nif_init(struct netif *n)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 2};

	n->output = etharp_output;
	n->linkoutput = linkoutput;
	n->mtu = 1500;
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, mac, 6);
	n->flags =
	    NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

static void
setup(void)
{
	static const uint8_t secret[16] = {1};
	ip4_addr_t a, m, g;
	struct tcp_pcb *pcb;

	mg_isn_init(secret);
	lwip_init();
	IP4_ADDR(&a, 10, 0, 0, 2);
	IP4_ADDR(&m, 255, 255, 255, 0);
	IP4_ADDR(&g, 10, 0, 0, 1);
	netif_add(&nif, &a, &m, &g, NULL, nif_init, ethernet_input);
	netif_set_default(&nif);
	netif_set_up(&nif);
	pcb = tcp_new();
	tcp_bind(pcb, IP_ADDR_ANY, 80);
	pcb = tcp_listen(pcb);
	tcp_accept(pcb, on_accept);
}

static void
abort_all(void)
{
	while (tcp_active_pcbs != NULL)
		tcp_abort(tcp_active_pcbs);
	while (tcp_tw_pcbs != NULL)
		tcp_abort(tcp_tw_pcbs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	size_t off = 0;

	if (!ready) {
		setup();
		ready = 1;
	}
	while (off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		struct pbuf *p;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > 1514)
			len = 1514;
		now_ms += (uint32_t)(len & 0x3ff);
		p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
		if (p != NULL) {
			pbuf_take(p, data + off, (u16_t)len);
			if (nif.input(p, &nif) != ERR_OK)
				pbuf_free(p);
		}
		off += len;
		sys_check_timeouts();
	}
	abort_all();
	/* Let IP reassembly time out (IP_REASS_MAXAGE ticks of 1 s): lwIP's
	 * cyclic timers fire once per call, so step the clock. */
	for (int i = 0; i < 20; i++) {
		now_ms += 1000;
		sys_check_timeouts();
	}
	/* Everything a packet allocated must be back: pools leak otherwise. */
	if (lwip_stats.memp[MEMP_TCP_SEG]->used != 0 || lwip_stats.memp[MEMP_PBUF_POOL]->used != 0)
		abort();
	return 0;
}
