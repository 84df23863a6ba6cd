/*
 * mg_hc: active health checks of virtual node endpoints (a node listener's healthCheck).
 *
 * Every 100 ms the checker walks the routing table in service and probes each checked endpoint
 * whose interval came: tcp (and, until HTTP/2 exists, http2 and grpc) succeeds when the
 * connection is made; http when the response to `GET <path>` has status 200 within
 * timeoutMillis.  An endpoint starts PENDING (no traffic; one success makes it HEALTHY, as
 * Envoy's new hosts), turns UNHEALTHY after unhealthyThreshold failures in a row and HEALTHY
 * again after healthyThreshold successes in a row.  At most MG_HC_PROBES probes are in flight
 * (one per endpoint); each holds a reference on its endpoint.
 */
#ifndef MG_GATEWAY_UPSTREAM_MG_HC_H
#define MG_GATEWAY_UPSTREAM_MG_HC_H

#include <stdint.h>

struct mg_route_table;

#define MG_HC_PROBES 128

/* mg_hc_start() starts the checker on the table <*tablep> (read at every pass: a reload that
 * swaps it is followed; NULL: nothing to check). */
void mg_hc_start(struct mg_route_table *const *tablep);

struct mg_hc_stats {
	uint64_t probes, failures, transitions, skipped; /* skipped: no probe slot or connection */
};
const struct mg_hc_stats *mg_hc_stats(void);

#endif
