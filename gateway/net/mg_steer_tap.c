/*
 * Steering on net_tap: priming the kernel's flow table.  See mg_steer.h.
 *
 * The kernel's multi-queue TAP sends a flow's packets to the queue that last wrote packets of
 * that flow, but it records the writer only after the written packet has been through its
 * stack, and a SYN is answered (SYN-ACK) within that same write: the SYN-ACK goes to the queue
 * the hash alone picks, often another worker's, which resets the connection.  A RST written
 * first for the same 4-tuple records the flow beforehand; Linux discards it silently whether
 * a listener, a TIME-WAIT socket or nothing holds the tuple (it never answers a RST).
 */
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "gateway/net/mg_steer.h"

void
mg_steer_tap_prime(void *arg, struct tcp_pcb *pcb, uint32_t addr, uint16_t port)
{
	ip_addr_t remote, local;
	struct netif *nif;

	(void)arg;
	ip_addr_set_ip4_u32(&remote, addr);
	nif = ip4_route(ip_2_ip4(&remote));
	if (nif == NULL)
		return;
	ip_addr_set_ip4_u32(&local, ip4_addr_get_u32(netif_ip4_addr(nif)));
	tcp_rst_netif(nif, (u32_t)LWIP_RAND(), 0, &local, &remote, pcb->local_port, port);
}
