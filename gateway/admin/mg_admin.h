/*
 * The admin listener: a small HTTP/1.1 service on the gateway's own stack.
 *
 *   GET  /ready        200 "ready" once every DNS name settled, else 503
 *   GET  /health       200 "healthy", or 503 with why the gateway cannot serve
 *   GET  /stats        200 JSON: ports, mempool, pbufs, TCP, pools, worker cycles
 *   GET  /metrics      200 Prometheus text (docs/OBSERVABILITY.md)
 *   GET  /config_dump  200 JSON: the running configuration and its generation
 *   POST /reload       the SIGHUP reload; 200 with the outcome, 422 if refused
 *
 * With a token (appliance.admin.token or tokenFile) every request but /ready and /health
 * must carry "Authorization: Bearer <token>" (compared in constant time), else 401.
 *
 * It listens on one address and port of the management interface only, never
 * on a data listener.  Connections come from a capped pool; when it is empty
 * new connections are refused (RST) and counted.  A connection that does
 * not complete a request head within 10 s (of being accepted, or of its
 * previous request), or whose response stops moving for 10 s, is reset.
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

/* mg_admin_set_token() sets the bearer token requests must carry (NULL or "": none). */
void mg_admin_set_token(const char *token);

/* mg_admin_reload_done() answers the POST /reload waiting for the reload that just ran
 * (<rc> 0: a new generation; <msg> the outcome).  Called from the worker's control path. */
void mg_admin_reload_done(int rc, const char *msg);

/* mg_admin_counters() reports connections refused (pool empty) and reset
 * for missing their deadline. */
void mg_admin_counters(uint64_t *refused, uint64_t *timeouts);

/* mg_admin_stop() aborts open admin connections and closes the listener. */
void mg_admin_stop(void);

#endif /* MG_ADMIN_H */
