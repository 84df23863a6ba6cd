/*
 * The run-to-completion poll loop.  See mg_worker.h.
 */
#include <rte_cycles.h>
#include <rte_prefetch.h>

#include "lwip/timeouts.h"

#include "gateway/mg_worker.h"
#include "platform/lwip/mg_lwip_port.h"

/* lwIP's timers have a 250 ms granularity at best; checking them every
 * millisecond keeps their jitter far below that at negligible cost. */
#define TIMER_PERIOD_MS 1
#define LINK_PERIOD_MS  1000

int
mg_worker_run(struct mg_worker *w, volatile sig_atomic_t *stop)
{
	const uint64_t timer_period = w->tsc_hz / 1000 * TIMER_PERIOD_MS;
	const uint64_t link_period = w->tsc_hz / 1000 * LINK_PERIOD_MS;
	const uint64_t publish_period =
	    w->tsc_hz / 1000 * (w->publish_ms > 0 ? w->publish_ms : 1000);
	uint64_t now = rte_rdtsc(), next_timer = now, next_link = now + link_period;
	uint64_t next_publish = now;
	unsigned int work;
	int i;

	w->started_tsc = now;
	while (!*stop) {
		/* One TSC read per iteration: this iteration starts where the previous one was
		 * charged up to, so busy + idle cycles add up to the whole run (two reads left
		 * the step between them, ~20 % of an idle iteration here, charged to neither). */
		uint64_t start = now;

		work = 0;
		mg_lwip_clock_tick(start);
		for (i = 0; i < w->n_ifaces; i++)
			work += mg_netif_poll(&w->netifs[i]);

		if (start >= next_timer) {
			sys_check_timeouts();
			next_timer = start + timer_period;
			if (w->control_flag != NULL && *w->control_flag)
				w->control();
			if (w->publish != NULL && start >= next_publish) {
				w->publish(w);
				next_publish = start + publish_period;
			}
			if (start >= next_link) {
				for (i = 0; i < w->n_ifaces; i++)
					if (mg_port_link_poll(&w->ports[i]))
						mg_netif_link_update(&w->netifs[i]);
				next_link = start + link_period;
				if (w->tick != NULL)
					w->tick((start - w->started_tsc) / w->tsc_hz);
			}
		}
		for (i = 0; i < w->n_ifaces; i++)
			work += mg_netif_flush(&w->netifs[i]);

		now = rte_rdtsc();
		if (work > 0)
			w->busy_cycles += now - start;
		else
			w->idle_cycles += now - start;
		w->loops++;
	}
	return 0;
}
