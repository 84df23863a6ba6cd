/*
 * lwIP architecture glue for Meshgate (x86-64 Linux user space, also the
 * appliance's PID-1 environment).  Diagnostics go through the gateway's
 * logger; a failed lwIP assertion aborts, since it means a broken invariant
 * inside the stack, never bad input.
 */
#ifndef MG_LWIP_ARCH_CC_H
#define MG_LWIP_ARCH_CC_H

#include <stdint.h>
#include <stdlib.h>

#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_TIMEVAL_PRIVATE  0
#define LWIP_NO_CTYPE_H       0

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

void mg_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mg_lwip_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
uint32_t mg_lwip_rand(void);

#define LWIP_PLATFORM_DIAG(x)                                                                      \
	do {                                                                                       \
		mg_lwip_diag x;                                                                    \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x) mg_lwip_assert((x), __FILE__, __LINE__)
#define LWIP_RAND()             (mg_lwip_rand())

#endif /* MG_LWIP_ARCH_CC_H */
