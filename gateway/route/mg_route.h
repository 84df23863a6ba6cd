/*
 * App Mesh routing: a routing table compiled from one configuration (one "generation"), and
 * the decision for one request, as an App Mesh virtual gateway takes it:
 *
 *   gateway routes -> virtual service -> provider: a virtual node, or a virtual router
 *   -> its routes -> weighted targets (virtual nodes) -> an endpoint of the chosen node.
 *
 * A table is immutable once built except for per-worker balancing state (the weighted split
 * of each route, the round-robin position of each endpoint list), which only the worker that
 * owns the table touches.  It borrows the configuration it was built from (names, strings),
 * which must outlive it, and holds a reference on every upstream endpoint it can route to
 * (gateway/upstream), so that keep-alive pools survive a reload that keeps an endpoint.
 *
 * Decisions do no allocation and no I/O; mg_route_decide() writes the rewritten path into
 * the caller's buffer.  docs/ROUTING.md describes the order of evaluation, the match rules and
 * the rewrites, with the App Mesh and Envoy behaviour each one follows.
 */
#ifndef MG_ROUTE_H
#define MG_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "gateway/config/config.h"
#include "gateway/http/mg_h1.h"
#include "gateway/route/mg_match.h"

struct mg_route_table;
struct mg_route_cluster;
struct mg_endpoint;
struct mg_tls_client;

/* Retry conditions (App Mesh retry events, as Envoy's retry_on), bits of retry_on. */
#define MG_RETRY_SERVER_ERROR  0x01 /* any 5xx, a reset or no response (Envoy "5xx") */
#define MG_RETRY_GATEWAY_ERROR 0x02 /* 502, 503, 504 */
#define MG_RETRY_CLIENT_ERROR  0x04 /* 409 */
#define MG_RETRY_STREAM_ERROR  0x08 /* refused stream (HTTP/2) */
#define MG_RETRY_CONNECT       0x10 /* connection-error: the connection could not be made */
#define MG_RETRY_RESET         0x20 /* reset or closed before the response head */
#define MG_RETRY_503           0x40 /* 503 only (App Mesh's default policy) */
/* grpcRetryEvents: grpc-status in the response head (Trailers-Only or headers) */
#define MG_RETRY_GRPC_CANCELLED          0x080 /* 1 CANCELLED */
#define MG_RETRY_GRPC_DEADLINE_EXCEEDED  0x100 /* 4 DEADLINE_EXCEEDED */
#define MG_RETRY_GRPC_RESOURCE_EXHAUSTED 0x200 /* 8 RESOURCE_EXHAUSTED */
#define MG_RETRY_GRPC_INTERNAL           0x400 /* 13 INTERNAL */
#define MG_RETRY_GRPC_UNAVAILABLE        0x800 /* 14 UNAVAILABLE */

/*
 * A decision's resilience settings, from its route (or App Mesh's defaults):
 * <per_request_ms> covers the whole exchange with its retries (0: none; default 15 s),
 * <idle_ms> the longest silence on a stream (default 300 s), <per_try_ms> one attempt (0:
 * none), <max_retries> retries on the conditions in <retry_on>.
 */
struct mg_route_policy {
	uint32_t per_request_ms, idle_ms, per_try_ms, max_retries, retry_on;
};

#define MG_ROUTE_DEFAULT_PER_REQUEST_MS 15000
#define MG_ROUTE_DEFAULT_IDLE_MS        300000

/* Counters of one cluster (virtual node listener), for /stats and /metrics. */
struct mg_route_cluster_stats {
	uint64_t requests, overflows, pending_overflows, retries, retry_overflows, ejections;
};

/*
 * Someone waiting for a circuit breaker's room (mg_route_cluster_admit() said WAIT): <wake>
 * is called from mg_route_cluster_done() of another exchange, after which the waiter asks
 * again.  Embedded in the waiter's own object.
 */
struct mg_route_waiter {
	LIST_ENTRY(mg_route_waiter) link;
	void (*wake)(struct mg_route_waiter *w);
	bool queued;
};

/*
 * Why a request was or was not routed; one-to-one with a metric label
 * (mg_route_reason_label()) and an HTTP status (mg_route_reason_status()).
 */
enum mg_route_reason {
	MG_ROUTE_OK,               /* forwarded to an endpoint */
	MG_ROUTE_BAD_PATH,         /* 400: malformed percent-encoding, or not an absolute path */
	MG_ROUTE_PATH_TOO_LONG,    /* 414: the rewritten target does not fit */
	MG_ROUTE_NO_GATEWAY_ROUTE, /* 404: no gateway route matches */
	MG_ROUTE_NO_PROVIDER,      /* 503: the virtual service has no provider */
	MG_ROUTE_NO_ROUTE,         /* 404: the virtual router has no matching route */
	MG_ROUTE_NO_TARGET,        /* 503: every weighted target has weight 0 */
	MG_ROUTE_NO_ENDPOINT,      /* 503: the chosen node has no endpoint (yet) */
	MG_ROUTE_REASON_COUNT
};

const char *mg_route_reason_label(enum mg_route_reason r);
/* A sentence for the error body and log ("no gateway route matches the request", ...). */
const char *mg_route_reason_text(enum mg_route_reason r);
int mg_route_reason_status(enum mg_route_reason r);

/* A weighted target as a decision reports it. */
struct mg_route_target {
	const char *virtual_node;
	uint8_t weight;
	uint16_t port;
};

/*
 * One decision.  Names are NULL where they do not apply (a request no gateway route matched
 * has only <reason>).  <targets> are the candidate targets with their weights (one, weight
 * 100, for a virtual node provider) and <chosen> the one picked (-1 if none).  <ep> is the
 * endpoint to forward to, or NULL.  <host>/<host_len> is the Host to send upstream (the
 * virtual service name or the client's), <path>/<path_len> the origin-form target to send
 * (rewritten path and the original query), in the caller's buffer.
 */
struct mg_route_decision {
	enum mg_route_reason reason;
	const char *gateway_route, *virtual_service, *virtual_router, *route;
	unsigned int n_targets;
	struct mg_route_target targets[MG_MATCH_MAX_TARGETS];
	int chosen;
	struct mg_endpoint *ep;
	const char *host;
	size_t host_len;
	const char *path;
	size_t path_len;
	struct mg_route_cluster *cluster; /* the chosen node listener, when routed */
	struct mg_route_policy policy;
};

/*
 * What a table needs beyond the configuration: the endpoints it routes to.  ep_get() returns
 * a referenced endpoint for an address (network byte order), port, whether TLS is originated
 * to it (backendDefaults.clientPolicy.tls applies to that port) and the server name to send
 * and verify (NULL: none) and whether it speaks HTTP/2 (<h2>: the node listener's protocol is
 * http2 or grpc), or NULL when out of memory; ep_put() drops the reference.  The
 * gateway passes mg_endpoint_get()/mg_endpoint_unref() wrappers; with ep_get NULL no
 * endpoints are made and decisions stop at the node (route-test).
 */
struct mg_route_env {
	struct mg_endpoint *(*ep_get)(void *arg, uint32_t addr, uint16_t port, bool tls,
	                              const char *sni, bool h2);
	void (*ep_put)(void *arg, struct mg_endpoint *ep);
	/*
	 * DNS service discovery: dns_watch() starts watching <name>, calling <fn>(<cbarg>, ...)
	 * with its addresses (network byte order) now if known and whenever they change, and
	 * returns a handle for dns_unwatch() (NULL: failed).  NULL: DNS names get no endpoints.
	 */
	void *(*dns_watch)(void *arg, const char *name,
	                   void (*fn)(void *cbarg, const char *name, const uint32_t *addrs,
	                              unsigned int n),
	                   void *cbarg);
	void (*dns_unwatch)(void *arg, void *handle);
	/* Milliseconds of a monotonic clock (outlier ejections); NULL: always 0. */
	uint64_t (*now_ms)(void);
	void *arg;
	const struct mg_cfg_client_tls *tls_policy; /* NULL: no TLS to any backend */
};

/*
 * mg_route_table_build() compiles the gateway routes, virtual services, routers, routes and
 * nodes of <cfg> (a loaded, valid configuration that must outlive the table).  Regexes are
 * compiled here.  Returns 0 and sets *<out>, or a negative errno with a message in <err>.
 */
int mg_route_table_build(struct mg_route_table **out, const struct mg_config *cfg,
                         const struct mg_route_env *env, char *err, size_t errlen);

/*
 * mg_route_table_free() drops the builder's reference to <t> (NULL is fine).  A table lives
 * while exchanges routed by it hold references (mg_route_table_ref(); a decision's cluster
 * belongs to its table), so a reload can drop the old generation at once: it is freed, with
 * its endpoint references, when the last exchange using it ends.
 */
void mg_route_table_free(struct mg_route_table *t);
void mg_route_table_ref(struct mg_route_table *t);
void mg_route_table_unref(struct mg_route_table *t);
struct mg_route_table *mg_route_cluster_table(struct mg_route_cluster *c);

/* ---- resilience: circuit breaking, outlier detection, retries ---------------------------- */

enum mg_route_admit {
	MG_ADMIT_GO,       /* go ahead; call mg_route_cluster_done() when the exchange ends */
	MG_ADMIT_WAIT,     /* <w> is queued; its wake() says when to ask again */
	MG_ADMIT_OVERFLOW, /* the circuit breaker is open: answer 503 x-envoy-overloaded */
};

/*
 * mg_route_cluster_admit() applies the node listener's connectionPool (App Mesh http:
 * maxConnections, maxPendingRequests; http2/grpc: maxRequests) to an exchange that would use
 * <ep>: it may go when <ep> has an idle connection or the cluster has fewer than
 * maxConnections open (and fewer than maxRequests exchanges); else it waits while fewer than
 * maxPendingRequests wait; else it overflows.  <w> NULL: never wait.
 */
enum mg_route_admit mg_route_cluster_admit(struct mg_route_cluster *c, const struct mg_endpoint *ep,
                                           struct mg_route_waiter *w);
void mg_route_cluster_cancel(struct mg_route_cluster *c, struct mg_route_waiter *w);
void mg_route_cluster_done(struct mg_route_cluster *c);

/*
 * mg_route_cluster_pick() picks an endpoint of <c> in turn among the usable ones (not failing
 * health checks, not ejected), avoiding <avoid> when another is usable (a retry goes
 * elsewhere).  When fewer than half are usable, all are candidates (Envoy's panic mode:
 * better some errors than overloading the few left).  NULL when <c> has none.
 */
struct mg_endpoint *mg_route_cluster_pick(struct mg_route_cluster *c,
                                          const struct mg_endpoint *avoid);

/*
 * mg_route_cluster_report() tells outlier detection how an exchange on <ep> ended: <failed>
 * for a 5xx or a connection failure.  maxServerErrors consecutive failures eject <ep> for
 * baseEjectionDuration times the number of times it was ejected (at most 300 s, rounded up
 * to the sweep interval), unless maxEjectionPercent of the endpoints are ejected already
 * (one may always be).  Returns true when this report ejected <ep>.
 */
bool mg_route_cluster_report(struct mg_route_cluster *c, struct mg_endpoint *ep, bool failed);

/* The retry budget: a retry may start while fewer than max(3, 20% of the cluster's active
 * exchanges) retries are in progress (Envoy's default budget).  begin() returns false when
 * the budget is spent (counted); end() when the retry attempt is over. */
bool mg_route_cluster_retry_begin(struct mg_route_cluster *c);
void mg_route_cluster_retry_end(struct mg_route_cluster *c);

const struct mg_route_cluster_stats *mg_route_cluster_stats(const struct mg_route_cluster *c);

/* mg_route_table_can_serve() tells whether some cluster of <t> can take a request: it has an
 * endpoint, and a usable one or fails open (docs/RESILIENCE.md).  For /health. */
bool mg_route_table_can_serve(struct mg_route_table *t);

/* mg_route_table_clusters_json() writes a JSON array, one object per cluster (virtual node
 * listener) of <t> with its endpoints, usable ones and counters, into <buf> (<cap> bytes,
 * NUL-terminated).  Returns the length, or -1 when it does not fit.  For /stats. */
int mg_route_table_clusters_json(struct mg_route_table *t, char *buf, size_t cap);

/* Calls <fn> for every endpoint of every cluster of <t> whose virtual node listener has a
 * healthCheck (an endpoint in several such clusters is visited once per cluster). */
void mg_route_table_foreach_checked(struct mg_route_table *t,
                                    void (*fn)(void *arg, struct mg_endpoint *ep,
                                               const struct mg_cfg_node_listener *nl),
                                    void *arg);
const char *mg_route_cluster_node(const struct mg_route_cluster *c);

/* Buffer size mg_route_decide() needs for any target it can produce. */
#define MG_ROUTE_PATH_BUF (MG_MATCH_PATH_MAX + 2048)

/*
 * mg_route_decide() routes request <r>, received on the listener port <port>, and fills <d>.
 * <buf> (<cap> bytes, at least MG_ROUTE_PATH_BUF) receives the target to forward.  Advances
 * the balancing state of the route and node chosen.  Returns d->reason.
 */
enum mg_route_reason mg_route_decide(struct mg_route_table *t, const struct mg_h1_request *r,
                                     uint16_t port, char *buf, size_t cap,
                                     struct mg_route_decision *d);

/* mg_route_decide_scheme() is mg_route_decide() for a request whose scheme is known from its
 * connection: <https> when the client spoke TLS (routes' match.scheme; mg_route_decide() takes
 * it from an absolute-form target). */
enum mg_route_reason mg_route_decide_scheme(struct mg_route_table *t, const struct mg_h1_request *r,
                                            uint16_t port, bool https, char *buf, size_t cap,
                                            struct mg_route_decision *d);

/* Decisions counted by reason since the table was built. */
const uint64_t *mg_route_table_counters(const struct mg_route_table *t);

#endif /* MG_ROUTE_H */
