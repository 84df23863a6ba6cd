/*
 * The gateway's own DNS resolver (App Mesh `serviceDiscovery.dns`), on lwIP's UDP raw API:
 * the data NICs belong to DPDK, so the kernel's resolver cannot reach the mesh's DNS servers.
 *
 * Names are watched, not looked up: mg_dns_watch() registers interest in a name, the resolver
 * queries the configured servers (A records; a random ID and a random source port per query,
 * the answer accepted only from the server asked), and calls every watcher with the address
 * set whenever it changes.  It queries again when the answer's TTL runs out (at least 1 s, at
 * most MG_DNS_MAX_TTL), so a changed record takes effect within TTL plus one round trip.  A
 * failed query (timeout, SERVFAIL, NXDOMAIN...) is retried on the next server with back-off;
 * the last good addresses stay in use meanwhile (as Envoy keeps its hosts), and a name that
 * never resolved has none.
 *
 * lwIP's own DNS client is not used: it keeps one address per name, while App Mesh's
 * responseType ENDPOINTS needs them all, and it hides TTLs.
 *
 * Not thread-safe: the worker owns it; callbacks run from its poll loop (lwIP timers and
 * UDP input).
 */
#ifndef MG_DNS_H
#define MG_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/net/mg_dns_msg.h"

#define MG_DNS_MAX_SERVERS 4
#define MG_DNS_MAX_TTL     300 /* seconds: re-resolve at least this often */

struct mg_dns_watch;

/*
 * Called with the current addresses of <name> (network byte order, <n> of them, in the
 * server's order) when they change, and at once from mg_dns_watch() when they are known.
 */
typedef void mg_dns_fn(void *arg, const char *name, const uint32_t *addrs, unsigned int n);

/*
 * mg_dns_init() sets the servers (IPv4, network byte order, in order of preference) and the
 * time one query may take.  Returns 0 or a negative errno (no UDP pcb).
 */
int mg_dns_init(const uint32_t *servers, unsigned int n, uint32_t timeout_ms);

/*
 * mg_dns_set_source_ports() makes queries use only the random source ports for which
 * <ok>(<arg>, server, 53, port) holds (several workers: the ones whose replies reach this
 * worker; gateway/net/mg_steer.h).  NULL (the default): any.
 */
typedef bool mg_dns_port_ok_fn(void *arg, uint32_t addr, uint16_t port, uint16_t local_port);
void mg_dns_set_source_ports(mg_dns_port_ok_fn *ok, void *arg);

/* mg_dns_stop() drops every name and watcher (they must not be used afterwards). */
void mg_dns_stop(void);

/*
 * mg_dns_watch() starts watching <name> for <fn>(<arg>) and returns the handle, or NULL when
 * out of memory or the resolver is not initialised.  A name watched by several watchers is
 * resolved once.
 */
struct mg_dns_watch *mg_dns_watch(const char *name, mg_dns_fn *fn, void *arg);

/* mg_dns_unwatch() stops <w>; a name nobody watches any more is forgotten. */
void mg_dns_unwatch(struct mg_dns_watch *w);

/*
 * mg_dns_unsettled() returns a name whose first query has not completed yet (neither
 * answered nor failed), or NULL when every watched name has settled.  Readiness waits on it.
 */
const char *mg_dns_unsettled(void);

struct mg_dns_stats {
	uint64_t queries, answers, timeouts, changes;
	uint64_t errors[MG_DNS_E_COUNT]; /* responses refused, by reason */
	uint32_t names;                  /* names watched now */
};
const struct mg_dns_stats *mg_dns_stats(void);

#endif /* MG_DNS_H */
