/*
 * The HTTP/1.1 reverse proxy: client connections on a listener, requests
 * parsed strictly (gateway/http), routed to an upstream endpoint, forwarded
 * over keep-alive upstream connections (gateway/upstream), responses
 * streamed back.
 *
 * Streaming and backpressure: bodies are never buffered whole.  Each
 * direction moves bytes only as far as the receiving side's send buffer
 * has room, so a slow reader stops its writer through TCP's window: per
 * session the gateway holds at most one head-sized buffer per direction
 * plus what lwIP holds (one receive window, one send buffer).
 *
 * Framing: request and response bodies keep their framing type
 * (Content-Length, chunked); chunked bodies are decoded and re-encoded, never
 * passed through verbatim, so the upstream only ever sees framing the
 * gateway wrote.  A close-delimited response makes the client connection
 * close after it.
 *
 * Upstream failures get the statuses Envoy (App Mesh's data plane) gives:
 * connect failure or pool overflow 503, reset or a malformed response before
 * the response head 502, no response head within the response timeout 504;
 * each with a short plain body and a log-free counter (mg_proxy_stats).
 *
 * Not thread-safe: sessions belong to one worker.
 */
#ifndef MG_PROXY_H
#define MG_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/http/mg_h1.h"
#include "gateway/route/mg_route.h"
#include "gateway/upstream/mg_upool.h"

struct mg_proxy_listener;
struct mg_jwt_outcome;
struct mg_tls_server;
struct mg_tls_server;

/*
 * A listener's routing decision for one parsed request (<req>, received on listener port
 * <port>): the endpoint to send it to and how to rewrite it, or no endpoint and the status
 * to answer.  App Mesh gateway routes plug in here (gateway/route).  The strings must stay
 * valid until the call that asked returns (the head is built at once).
 */
struct mg_proxy_route {
	struct mg_endpoint *ep; /* NULL: answer <status> (0: 404) with <detail> */
	int status;
	const char *detail;
	const char *host; /* the Host to send, or NULL: the client's */
	size_t host_len;
	const char *target; /* the origin-form target to send, or NULL: the client's */
	size_t target_len;
	/* App Mesh routing: the node listener (cluster) chosen, whose circuit breaker, outlier
	 * detection and retry budget apply, and the route's timeouts and retries; NULL for a
	 * static upstream (default response timeout, no retries). */
	struct mg_route_cluster *cluster;
	struct mg_route_policy policy;
	/* JWT authentication (gateway/authn).  Denied: <ep> NULL, <authn_denied> set and
	 * <extra> the response's extra field lines (WWW-Authenticate).  Allowed: <authn> (NULL
	 * for an unchecked route) lists the fields to drop from and add to the forwarded head. */
	bool authn_denied;
	const char *extra;
	const struct mg_jwt_outcome *authn;
};

typedef void mg_proxy_route_fn(void *arg, const struct mg_h1_request *req, uint16_t port,
                               bool https, struct mg_proxy_route *out);

struct mg_proxy_listener_conf {
	uint32_t addr; /* network byte order; 0 = every address */
	uint16_t port;
	bool https; /* for X-Forwarded-Proto */
	/* TLS termination: NULL for plaintext.  PERMISSIVE also serves plaintext clients,
	 * told apart by their first byte. */
	struct mg_tls_server *tls;
	bool tls_permissive;
	uint32_t handshake_timeout_ms;
	/* Nonzero: this is a plaintext redirect listener; every request gets 308 to https on
	 * this port. */
	uint16_t redirect_port;
	mg_proxy_route_fn *route;
	void *route_arg;
	uint32_t header_timeout_ms;   /* a request head must arrive within this */
	uint32_t idle_timeout_ms;     /* keep-alive idle, and inactivity on a stream */
	uint32_t connect_timeout_ms;  /* upstream connect */
	uint32_t response_timeout_ms; /* request sent -> response head */
	struct mg_h1_limits limits;   /* request head limits, max body */
	/* HTTP/2 (gateway/h2/mg_h2.h): served when TLS negotiates "h2" by ALPN, or when a
	 * plaintext client opens with the prior-knowledge preface; HTTP/1.1 otherwise. */
	bool h2;
};

struct mg_proxy_stats {
	uint64_t sessions, requests, responses;
	uint64_t status_class[6]; /* responses sent by class: [1]..[5] = 1xx..5xx */
	uint64_t bad_requests;    /* rejected by the parser */
	uint64_t upstream_connect_failures, upstream_resets, upstream_bad_responses;
	uint64_t upstream_timeouts, upstream_overflows, header_timeouts, idle_timeouts;
	uint64_t client_aborts;         /* client went away mid-exchange */
	uint64_t handshake_timeouts;    /* TLS handshake (or PERMISSIVE sniff) not done in time */
	uint64_t tls_refused;           /* no TLS connection object or memory at accept */
	uint64_t upstream_tls_failures; /* TLS handshakes toward upstreams that failed (503) */
	uint64_t unrouted;      /* requests answered without an upstream (404, 503 from routing) */
	uint64_t retries;       /* retry attempts started */
	uint64_t stale_retries; /* requests re-sent after a pooled connection closed under them */
	uint64_t ejections;     /* endpoints ejected by outlier detection */
	uint32_t active_sessions;
};

/*
 * mg_proxy_init() creates the session and buffer pools: <max_sessions>
 * client connections, <n_buffers> head-sized buffers of <buf_size> bytes
 * (a session holds up to two while it has unparsed bytes; none when idle).
 * Returns 0 or a negative errno.
 */
int mg_proxy_init(uint32_t max_sessions, uint32_t n_buffers, uint32_t buf_size);

/*
 * mg_proxy_listen() starts a listener.  <conf> is copied.  Returns 0 or a
 * negative errno.
 */
int mg_proxy_listen(const struct mg_proxy_listener_conf *conf);

/*
 * mg_proxy_attach() serves the HTTP/1.1 exchanges arriving on virtual connection <c> (an
 * HTTP/2 stream: gateway/h2) as a session of listener <lc>, exactly as a client connection's;
 * <https>: the HTTP/2 connection is over TLS.
 * Returns false (<c> untouched) when no session is free.
 */
bool mg_proxy_attach(const struct mg_proxy_listener_conf *lc, struct mg_conn *c, bool https);

/* mg_proxy_conn_gone() tells the proxy that a client connection it handed to gateway/h2
 * ended (for the downstream_connections_active gauge). */
void mg_proxy_conn_gone(void);

/* mg_proxy_stop() resets every session and closes the listeners. */
void mg_proxy_stop(void);

const struct mg_proxy_stats *mg_proxy_stats(void);

/* mg_proxy_tls_server() is the TLS context of the first TLS listener, or NULL. */
const struct mg_tls_server *mg_proxy_tls_server(void);

#endif /* MG_PROXY_H */
