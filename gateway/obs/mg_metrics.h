/*
 * /metrics: the gateway's counters in the Prometheus text exposition format 0.0.4.
 * docs/OBSERVABILITY.md lists every metric and label.
 */
#ifndef MG_METRICS_H
#define MG_METRICS_H

#include <stddef.h>

struct mg_worker;

/* mg_metrics_render() writes the exposition into <buf> (<cap> bytes).  Returns the length,
 * or -ENOSPC if it did not fit. */
int mg_metrics_render(const struct mg_worker *w, char *buf, size_t cap);

#endif /* MG_METRICS_H */
