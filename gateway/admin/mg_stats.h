/*
 * /stats: a JSON snapshot of the data path's counters.
 *
 * Shape (keys are stable; tests and tools read them):
 *   { "ports":   [ { "name", "port", "driver", "link_up", "rx_packets", "tx_packets",
 *                    "rx_bytes", "tx_bytes", "rx_missed", "rx_errors", "tx_errors",
 *                    "rx_nombuf", "rx_csum_bad", "tx_nombuf", "tx_dropped" } ],
 *     "mempool": { "size", "in_use", "available" }            (all ports' pools summed)
 *     "pbuf":    { "rx_zero_copy_in_use", "pool_used", "ref_used", "heap_used_bytes" },
 *     "tcp":     { "pcb_used", "listen_pcb_used", "seg_used", "active", "listen",
 *                  "time_wait" },
 *     "proxy":   { "sessions", ..., "upstream_tls_failures" },
 *     "tls":     { listener handshakes, ..., "mem_in_use", "mem_high_water", "mem_cap",
 *                  "mem_reuse_kept", "mem_reuse_hits", "mem_trims", "mem_trim_us", ... }
 *                                                            (with a TLS listener; the
 *                  mem_* fields: docs/TLS.md, memory)
 *     "upstream_tls": { "handshakes", "resumed", "tls13", "failures": { "<reason>": n } }
 *                                                              (with TLS to the upstream)
 *     "routing": { "generation", "<reason>": n, ... }           (decisions by reason)
 *     "dns":     { "names", "queries", "answers", "timeouts", "changes", "errors": {...} }
 *     "pools":   { "<name>": { "capacity", "in_use", "high_water", "alloc_failures" } },
 *     "worker":  { "loops", "busy_cycles", "idle_cycles", "tsc_hz", "uptime_ms" } }
 */
#ifndef MG_STATS_H
#define MG_STATS_H

#include <stddef.h>

struct mg_worker;
struct mg_tls_client;

/* mg_stats_set_upstream_tls() names the TLS client context whose counters "upstream_tls"
 * shows (NULL: none). */
void mg_stats_set_upstream_tls(const struct mg_tls_client *c);

/* mg_stats_set_routing() gives the function that returns the routing table's counters (by
 * reason, NULL without a table) and sets *generation; NULL: no "routing" object. */
void mg_stats_set_routing(const uint64_t *(*fn)(unsigned int *generation));

/* mg_stats_set_clusters() gives the function that writes the "clusters" JSON array (see
 * mg_route_table_clusters_json(); returns the length or -1 when it does not fit). */
void mg_stats_set_clusters(int (*fn)(char *buf, size_t cap));

/* What the setters above set (for /metrics and /config_dump). */
const struct mg_tls_client *mg_stats_upstream_tls(void);
void mg_stats_routing_generation(unsigned int *generation);

/*
 * mg_stats_json() writes the snapshot into <buf> (<cap> bytes).  Returns the
 * length written (no NUL counted), or -ENOSPC if it did not fit.
 */
int mg_stats_json(const struct mg_worker *w, char *buf, size_t cap);

#endif /* MG_STATS_H */
