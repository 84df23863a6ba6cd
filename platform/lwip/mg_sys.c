/*
 * lwIP's system layer for NO_SYS=1: time, randomness, diagnostics.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_random.h>

#include "lwip/init.h"
#include "lwip/sys.h"

#include "mg_isn.h"
#include "mg_lwip_hooks.h"
#include "mg_lwip_port.h"

static uint64_t clock_tsc0;
static uint64_t clock_cycles_per_ms;
static uint64_t clock_cycles_per_us;
static uint32_t clock_now_ms;

int
mg_lwip_port_init(uint64_t tsc_hz)
{
	uint8_t secret[16];
	size_t got = 0;
	ssize_t n;

	if (tsc_hz < 1000000)
		return -EINVAL;
	clock_tsc0 = rte_rdtsc();
	clock_cycles_per_ms = tsc_hz / 1000;
	clock_cycles_per_us = tsc_hz / 1000000;
	clock_now_ms = 0;

	while (got < sizeof(secret)) {
		n = getrandom(secret + got, sizeof(secret) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	mg_isn_init(secret);
	lwip_init();
	return 0;
}

void
mg_lwip_clock_tick(uint64_t tsc)
{
	clock_now_ms = (uint32_t)((tsc - clock_tsc0) / clock_cycles_per_ms);
}

uint64_t
mg_lwip_clock_usec(void)
{
	return (rte_rdtsc() - clock_tsc0) / clock_cycles_per_us;
}

u32_t
sys_now(void)
{
	return clock_now_ms;
}

uint32_t
mg_lwip_rand(void)
{
	/* DPDK's generator is seeded from the kernel at EAL start and makes no
	 * system call per draw. */
	return (uint32_t)rte_rand();
}

void
mg_lwip_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void
mg_lwip_assert(const char *msg, const char *file, int line)
{
	fprintf(stderr, "lwip: assertion \"%s\" failed at %s:%d\n", msg, file, line);
	fflush(stderr);
	abort();
}

u32_t
mg_lwip_tcp_isn(const ip_addr_t *lip, u16_t lport, const ip_addr_t *rip, u16_t rport)
{
	return mg_isn_compute(ip4_addr_get_u32(ip_2_ip4(lip)), lport,
	                      ip4_addr_get_u32(ip_2_ip4(rip)), rport, mg_lwip_clock_usec());
}
