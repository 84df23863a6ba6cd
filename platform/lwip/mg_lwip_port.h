/*
 * The lwIP port's services to the rest of Meshgate: the stack's clock, its
 * random numbers and its one-time initialisation.
 *
 * lwIP runs with NO_SYS=1 inside a worker's poll loop.  Its notion of time
 * (sys_now(), used by its timers and TCP timestamps) is a millisecond counter
 * that the loop advances from the TSC with mg_lwip_clock_tick(), so that
 * reading the time never makes a system call.
 */
#ifndef MG_LWIP_PORT_H
#define MG_LWIP_PORT_H

#include <stdint.h>

/*
 * mg_lwip_port_init() initialises lwIP, the clock (from <tsc_hz>, the TSC
 * frequency) and the ISN secret (from the kernel's random source).  Returns 0
 * or a negative errno.  Called once per process, before any netif is added.
 */
int mg_lwip_port_init(uint64_t tsc_hz);

/* mg_lwip_clock_tick() advances sys_now() to the time of TSC value <tsc>. */
void mg_lwip_clock_tick(uint64_t tsc);

/* mg_lwip_clock_usec() reads the TSC: microseconds since mg_lwip_port_init(). */
uint64_t mg_lwip_clock_usec(void);

#endif /* MG_LWIP_PORT_H */
