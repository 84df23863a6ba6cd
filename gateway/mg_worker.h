/*
 * The worker: one lcore's run-to-completion poll loop.
 *
 * Each iteration receives a burst from every port into lwIP (which runs the
 * TCP state machines and the services' callbacks to completion), runs lwIP's
 * timers when due, and flushes the frames lwIP queued for transmit.  Nothing
 * in the loop blocks, locks, allocates from the system, or makes a system
 * call other than those a PMD makes.
 *
 * The worker accounts the TSC cycles of iterations that did work (busy) and
 * of those that found nothing to do (idle); the ratio is the real load.
 *
 * With several workers (gateway/mg_workers.h), each is a process of its own
 * with its own lwIP and one of these loops; <index> tells them apart.
 */
#ifndef MG_WORKER_H
#define MG_WORKER_H

#include <signal.h>
#include <stdint.h>

#include "drivers/dpdk/mg_port.h"
#include "gateway/config/config.h"
#include "platform/lwip/mg_netif.h"

struct mg_worker {
	int n_ifaces;
	struct mg_port ports[MG_CFG_MAX_IFACES];
	struct mg_netif netifs[MG_CFG_MAX_IFACES];
	const struct mg_config *cfg;
	unsigned int index; /* 0 .. workers - 1 */
	uint64_t tsc_hz;
	uint64_t loops;
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	uint64_t started_tsc;
	/* Called about once a second from the loop (control-path work: key rotation, ...). */
	void (*tick)(uint64_t now_s);
	/* Called every <publish_ms> when set (several workers: counter snapshots). */
	void (*publish)(const struct mg_worker *w);
	unsigned int publish_ms;
	/* Control requests (a reload): when *control_flag is set, control() runs from the loop
	 * within a millisecond, between two polls; it clears the flag. */
	volatile sig_atomic_t *control_flag;
	void (*control)(void);
};

/*
 * mg_worker_run() polls until *<stop> becomes nonzero (set from a signal
 * handler).  Returns 0.
 */
int mg_worker_run(struct mg_worker *w, volatile sig_atomic_t *stop);

#endif /* MG_WORKER_H */
