/*
 * The admin listener: a small HTTP/1.1 service on the gateway's own stack.
 *
 *   GET /ready   200 "ready" once the data path runs
 *   GET /stats   200 JSON: ports, mempool, pbufs, TCP, pools, worker cycles
 *
 * It listens on one address and port of the management interface only, never
 * on a data listener.  Connections come from a capped pool; when it is empty
 * new connections are refused (RST) and counted.  A connection that does
 * not complete a request head within 10 s (of being accepted, or of its
 * previous request), or whose response stops moving for 10 s, is reset.  This grows into the full
 * admin API (metrics, config dump, reload) in later changes.
 */
#ifndef MG_ADMIN_H
#define MG_ADMIN_H

#include <stdint.h>

struct mg_worker;

#define MG_ADMIN_MAX_CONNS 256

/*
 * mg_admin_start() listens on <addr>:<port> (network byte order address,
 * host byte order port) in the worker's lwIP.  <w> is read for /stats.
 * Returns 0 or a negative errno.
 */
int mg_admin_start(struct mg_worker *w, uint32_t addr, uint16_t port);

/* mg_admin_counters() reports connections refused (pool empty) and reset
 * for missing their deadline. */
void mg_admin_counters(uint64_t *refused, uint64_t *timeouts);

/* mg_admin_stop() aborts open admin connections and closes the listener. */
void mg_admin_stop(void);

#endif /* MG_ADMIN_H */
