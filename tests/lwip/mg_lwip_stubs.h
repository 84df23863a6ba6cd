/*
 * The platform functions the gateway's platform/lwip/mg_sys.c gives lwIP, for tests and fuzz
 * targets that run lwIP without DPDK: a clock the test moves (now_ms), a fixed "random"
 * number, no diagnostics, and an assertion that aborts.  Include it in exactly one file of a
 * program, after lwIP's headers and platform/lwip/mg_lwip_hooks.h.
 *
 * Choices, defined before the include:
 *   MG_STUB_RAND         what mg_lwip_rand() returns (default 4: reproducible runs)
 *   MG_STUB_ISN_COMPUTE  initial sequence numbers from mg_isn_compute() over now_ms (link
 *                        platform/lwip/mg_isn.c); without it every ISN is 1
 *   MG_STUB_ASSERT_FAIL(msg, file, line)  called before abort() on an lwIP assertion
 */
#ifndef MG_TESTS_LWIP_STUBS_H
#define MG_TESTS_LWIP_STUBS_H

#include <stdint.h>
#include <stdlib.h>

#ifndef MG_STUB_RAND
#define MG_STUB_RAND 4
#endif

static uint32_t now_ms;

u32_t
sys_now(void)
{
	return now_ms;
}

uint32_t
mg_lwip_rand(void)
{
	return MG_STUB_RAND;
}

void
mg_lwip_diag(const char *fmt, ...)
{
	(void)fmt;
}

void
mg_lwip_assert(const char *msg, const char *file, int line)
{
#ifdef MG_STUB_ASSERT_FAIL
	MG_STUB_ASSERT_FAIL(msg, file, line);
#else
	(void)msg;
	(void)file;
	(void)line;
#endif
	abort();
}

u32_t
mg_lwip_tcp_isn(const ip_addr_t *lip, u16_t lport, const ip_addr_t *rip, u16_t rport)
{
#ifdef MG_STUB_ISN_COMPUTE
	return mg_isn_compute(ip4_addr_get_u32(ip_2_ip4(lip)), lport,
	                      ip4_addr_get_u32(ip_2_ip4(rip)), rport, (uint64_t)now_ms * 1000);
#else
	(void)lip;
	(void)lport;
	(void)rip;
	(void)rport;
	return 1;
#endif
}

#endif /* MG_TESTS_LWIP_STUBS_H */
