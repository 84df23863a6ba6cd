/*
 * Hook prototypes lwIP's sources see through LWIP_HOOK_FILENAME.
 */
#ifndef MG_LWIP_HOOKS_H
#define MG_LWIP_HOOKS_H

#include "lwip/ip_addr.h"

/*
 * mg_lwip_tcp_isn() returns an RFC 6528 initial sequence number for the
 * connection <lip>:<lport> - <rip>:<rport>: a keyed hash (SipHash-2-4, key
 * drawn from the kernel at boot) of the 4-tuple plus a clock that advances
 * every 4 microseconds.  Ports are in host byte order.
 */
u32_t mg_lwip_tcp_isn(const ip_addr_t *lip, u16_t lport, const ip_addr_t *rip, u16_t rport);

/*
 * mg_isn_tuple_hash() (platform/lwip/mg_isn.c) keys lwIP's PCB hash tables (our patch
 * 0004): SipHash-2-4 of the 4-tuple under a key derived from the boot secret, so that a
 * peer cannot choose addresses and ports that fill one bucket.  Addresses in network byte
 * order, ports in host byte order.
 */
u32_t mg_isn_tuple_hash(u32_t laddr, u16_t lport, u32_t raddr, u16_t rport);

#endif /* MG_LWIP_HOOKS_H */
