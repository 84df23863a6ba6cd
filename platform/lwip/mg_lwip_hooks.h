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

#endif /* MG_LWIP_HOOKS_H */
