/*
 * Observability of the data path: per-request accounting for /metrics and the access log.
 *
 * The proxy calls four hooks per exchange (one request and its response), each O(1), without
 * allocation or system calls:
 *
 *   mg_obs_begin()    the request head is complete (start time, listener, client)
 *   mg_obs_routed()   the routing decision (gateway route, virtual service, node, endpoint)
 *   mg_obs_upstream_sent() / mg_obs_first_byte()   request head sent / response head received
 *   mg_obs_status()   the status the client gets (proxied or generated)
 *   mg_obs_end()      the exchange is over (completed, or the session ended)
 *
 * Series are keyed by name (a listener's port, a gateway route's name, ...) in fixed tables
 * that live for the whole process: a name that persists across a reload keeps its counters,
 * a name that disappears keeps its last values (Prometheus counters never go backwards).
 *
 * Not thread-safe: one worker owns it.
 */
#ifndef MG_OBS_H
#define MG_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_h1_request;
struct mg_alog_req;
struct mg_conn;

enum mg_obs_kind {
	MG_OBS_LISTENER,
	MG_OBS_GATEWAY_ROUTE,
	MG_OBS_VIRTUAL_SERVICE,
	MG_OBS_VIRTUAL_NODE,
	MG_OBS_ENDPOINT,
	MG_OBS_KIND_COUNT
};

#define MG_OBS_NONE     0xffff
#define MG_OBS_MAX_KEYS 1024 /* per kind; beyond, new names share the "_other" series */
#define MG_OBS_NAME_MAX 96
#define MG_OBS_BUCKETS  14 /* finite histogram buckets; +Inf is implicit */

extern const double mg_obs_bucket_le[MG_OBS_BUCKETS];

struct mg_obs_hist {
	uint64_t bucket[MG_OBS_BUCKETS]; /* not cumulative: rendered cumulatively */
	uint64_t count;
	uint64_t sum_us;
};

struct mg_obs_series {
	char name[MG_OBS_NAME_MAX];
	uint64_t status_class[6]; /* [0]: no response (client gone, reset) */
	struct mg_obs_hist duration;
	struct mg_obs_hist ttfb;
	uint64_t overflows; /* requests refused at the connection limit (MG_OBS_F_UO) */
	uint64_t conns_total;
	uint32_t conns_active;
};

/* One exchange, embedded in the proxy's session. */
struct mg_obs_x {
	bool active;
	bool routed;
	uint16_t status;
	uint16_t key[MG_OBS_KIND_COUNT];
	uint8_t reason;               /* enum mg_route_reason, when routed */
	uint8_t flags;                /* MG_OBS_F_* */
	uint64_t t0, t_sent, t_first; /* TSC */
	uint64_t rx_bytes, tx_bytes;
	uint32_t up_addr; /* network byte order */
	uint16_t up_port;
	struct mg_alog_req *log; /* captured request fields, when access logging is on */
};

/* What happened to an exchange beyond its status (Envoy's response flags). */
#define MG_OBS_F_UO   0x01 /* upstream overflow: connection limit (circuit breaker) */
#define MG_OBS_F_UAEX 0x02 /* unauthorized: the JWT check refused the request */

/* What the route callback tells about a decision (names may be NULL). */
struct mg_obs_route {
	const char *gateway_route, *virtual_service, *virtual_node, *route;
	int reason;
};

void mg_obs_init(uint64_t tsc_hz);

void mg_obs_conn_open(uint16_t listener_port);
void mg_obs_conn_close(uint16_t listener_port);

/* <r> may be NULL (a head the parser refused). */
void mg_obs_begin(struct mg_obs_x *x, uint16_t listener_port, const struct mg_h1_request *r,
                  uint32_t peer_addr, uint16_t peer_port);
/* mg_obs_begin() with the client's address taken from connection <c>. */
void mg_obs_begin_conn(struct mg_obs_x *x, uint16_t listener_port, const struct mg_h1_request *r,
                       struct mg_conn *c);
/* The gateway answers <status> itself: begins a bare exchange if none is open (a head the
 * parser refused), then records the status. */
void mg_obs_fail(struct mg_obs_x *x, uint16_t listener_port, struct mg_conn *c, int status);
void mg_obs_routed(struct mg_obs_x *x, const struct mg_obs_route *rt, uint32_t up_addr,
                   uint16_t up_port);
void mg_obs_unrouted(struct mg_obs_x *x, const struct mg_obs_route *rt);
void mg_obs_upstream_sent(struct mg_obs_x *x);
void mg_obs_first_byte(struct mg_obs_x *x);
void mg_obs_status(struct mg_obs_x *x, int status);
void mg_obs_flag(struct mg_obs_x *x, uint8_t flag);
/* The X-Request-Id the gateway generated for the exchange (the access log shows it). */
void mg_obs_request_id(struct mg_obs_x *x, const char *id, size_t len);
void mg_obs_end(struct mg_obs_x *x);

/* Series of a kind, for /metrics: *n is set to the count. */
const struct mg_obs_series *mg_obs_series(enum mg_obs_kind k, unsigned int *n);
const char *mg_obs_kind_label(enum mg_obs_kind k);
/* Routing decisions by reason since start (MG_ROUTE_REASON_COUNT entries). */
const uint64_t *mg_obs_route_decisions(void);

/* The decision the route callback left for the exchange being started (set and taken on the
 * same call stack). */
void mg_obs_note_route(const struct mg_obs_route *rt);
const struct mg_obs_route *mg_obs_take_route(void);

#endif /* MG_OBS_H */
