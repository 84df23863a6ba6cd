/*
 * RFC 6528 TCP initial sequence numbers: ISN = M + F(4-tuple, secret), where
 * M is a clock ticking every 4 microseconds and F is SipHash-2-4 under a
 * 128-bit secret drawn at boot.  An off-path attacker can neither predict
 * the ISN of a new connection nor learn the secret from observed ISNs.
 */
#ifndef MG_ISN_H
#define MG_ISN_H

#include <stdint.h>

/* mg_isn_init() sets the secret; called once before the first connection. */
void mg_isn_init(const uint8_t secret[16]);

/*
 * mg_isn_compute() is the pure function behind the lwIP hook: addresses in
 * network byte order, ports in host byte order, <usec> a monotonic clock in
 * microseconds.
 */
uint32_t mg_isn_compute(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
                        uint64_t usec);

/*
 * mg_isn_tuple_hash() is the bucket key of lwIP's PCB hash tables (LWIP_HOOK_TCP_PCB_HASH):
 * SipHash-2-4 of the 4-tuple under a second key derived from the secret (so that the hash
 * tells nothing about the ISN's F).  Same byte orders as mg_isn_compute().
 */
uint32_t mg_isn_tuple_hash(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport);

#endif /* MG_ISN_H */
