/*
 * Steering on net_tap: priming the kernel's flow table.  See mg_steer.h.
 *
 * The kernel's multi-queue TAP sends a flow's packets to the queue that last wrote packets of
 * that flow, but it records the writer only after the written packet has been through its
 * stack, and a SYN is answered (SYN-ACK) within that same write: the SYN-ACK goes to the queue
 * the hash alone picks, often another worker's, which resets the connection.  A RST written
 * first for the same 4-tuple records the flow beforehand; Linux discards it silently whether
 * a listener, a TIME-WAIT socket or nothing holds the tuple (it never answers a RST).
 *
 * The kernel forgets a flow 3 s after its last write (TUN_FLOW_EXPIRE); after that the hash
 * alone picks the queue again, and a FIN or a late response from an upstream could reach
 * another worker, which would reset the connection.  TCP keepalive probes every 1.5 s of
 * silence from the upstream keep the flow's entry fresh for as long as the connection lives
 * (one small segment and its ACK per idle pooled connection per 1.5 s).
 */
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "gateway/net/mg_steer.h"

#define TAP_KEEPALIVE_MS 1500 /* well inside the kernel's 3 s, with lwIP's 500 ms timer */

void
mg_steer_tap_prime(void *arg, struct tcp_pcb *pcb, uint32_t addr, uint16_t port)
{
	ip_addr_t remote, local;
	struct netif *nif;

	(void)arg;
	ip_set_option(pcb, SOF_KEEPALIVE);
	pcb->keep_idle = TAP_KEEPALIVE_MS;
	pcb->keep_intvl = TAP_KEEPALIVE_MS;
	pcb->keep_cnt = 9;
	ip_addr_set_ip4_u32(&remote, addr);
	nif = ip4_route(ip_2_ip4(&remote));
	if (nif == NULL)
		return;
	ip_addr_set_ip4_u32(&local, ip4_addr_get_u32(netif_ip4_addr(nif)));
	tcp_rst_netif(nif, (u32_t)LWIP_RAND(), 0, &local, &remote, pcb->local_port, port);
}
