/*
 * Keep-alive connection pools to upstream endpoints.
 *
 * An endpoint (address and port of one upstream server) keeps its idle
 * keep-alive connections in a LIFO list (the most recently used first: its
 * congestion window is warm and the server has not timed it out), up to
 * <max_idle>, each for at most <idle_timeout_ms>.  mg_upool_acquire() hands
 * out an idle connection or opens a new one, within <max_conns> connections
 * per endpoint (0 = no limit); mg_upool_release() takes a connection back
 * when the exchange on it ended cleanly, or closes it.
 *
 * While idle, a connection is owned by the pool: data or EOF from the server
 * (it closed, or broke the protocol) and errors remove it.  Whoever acquires
 * a connection owns it (its ops and owner are set) until it releases it.
 *
 * TLS origination: an endpoint with a TLS client context (<tls>) opens
 * every connection with a TLS client connection over it, sending <sni>.
 * The pool hands both out together and keeps them together while idle;
 * records a server sends on an idle connection (TLS 1.3 session tickets,
 * key updates) are processed there, while application data, close_notify
 * or EOF end the connection.  Closing an idle TLS connection sends
 * close_notify first.
 *
 * Not thread-safe: endpoints belong to one worker.
 */
#ifndef MG_UPOOL_H
#define MG_UPOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "gateway/net/mg_conn.h"

struct mg_upool_idle;
struct mg_h2c_conn;
struct mg_tls_client;
struct mg_tls_conn;

/*
 * A request waiting for a connection to an endpoint at its max_conns (mg_upool_wait()):
 * <wake> is called, first come first served, when a connection becomes idle or one closes;
 * the waiter then calls mg_upool_acquire() again.  Embedded in the waiter's own object.
 */
struct mg_upool_waiter {
	TAILQ_ENTRY(mg_upool_waiter) link;
	void (*wake)(struct mg_upool_waiter *w);
	bool queued;
};

struct mg_endpoint {
	uint32_t addr;      /* network byte order */
	uint16_t port;      /* host byte order */
	uint32_t max_conns; /* open connections, idle or busy; 0 = unlimited */
	uint32_t max_idle;  /* idle connections kept */
	uint32_t idle_timeout_ms;
	struct mg_tls_client *tls; /* TLS origination: the client context, or NULL */
	const char *sni;           /* server name sent under <tls> (outlives <ep>), or NULL */
	uint32_t open;             /* connections open now (idle + busy) */
	uint32_t idle;             /* of which idle (HTTP/2: carrying no stream) */
	/* HTTP/2 (gateway/h2/mg_h2c.h): the endpoint speaks h2 (h2c, or h2 by ALPN under
	 * <tls>); its connections and the exchanges (streams) handed out on them. */
	bool h2;
	uint32_t h2_streams;
	LIST_HEAD(, mg_h2c_conn) h2_conns;
	LIST_HEAD(, mg_upool_idle) idle_list;  /* most recently used first */
	TAILQ_HEAD(, mg_upool_waiter) waiters; /* requests waiting for a connection, FIFO */
	uint32_t n_waiting;
	/* counters */
	uint64_t connects, reuses, overflows, idle_closed;
	uint64_t tls_refused; /* connections not opened: no TLS connection object or memory */
	/*
	 * Health, from two sources (docs/RESILIENCE.md): active health checks set <hc_state>
	 * (MG_EP_HC_*); outlier detection ejects the endpoint until <ejected_until_ms> (clock of
	 * sys_now()) after <consecutive_errors> reached its threshold, <times_ejected> so far.
	 * mg_endpoint_usable() combines them.
	 */
	uint8_t hc_state;
	bool hc_busy;                    /* a probe is in flight (gateway/upstream/mg_hc.c) */
	uint32_t hc_ok_run, hc_fail_run; /* consecutive probe outcomes */
	uint32_t hc_next;                /* sys_now() of the next probe */
	uint64_t hc_probes, hc_failures;
	uint32_t consecutive_errors, times_ejected;
	uint64_t ejected_until_ms;
	uint64_t ejections;
	/* Shared endpoints (mg_endpoint_get()): references and the registry link. */
	uint32_t refs;
	LIST_ENTRY(mg_endpoint) reg;
	char sni_buf[254];
};

/* Active health-check states of an endpoint. */
enum {
	MG_EP_HC_NONE = 0,  /* not checked: healthy as far as checks go */
	MG_EP_HC_PENDING,   /* checked, no result yet: gets no traffic (as Envoy's new hosts) */
	MG_EP_HC_HEALTHY,   /* passed healthy_threshold checks (one for a new endpoint) */
	MG_EP_HC_UNHEALTHY, /* failed unhealthy_threshold checks in a row */
};

/* mg_endpoint_usable() tells whether <ep> may get new requests at <now_ms> (sys_now()): not
 * failing its active health checks and not ejected by outlier detection. */
static inline bool
mg_endpoint_usable(const struct mg_endpoint *ep, uint64_t now_ms)
{
	return ep->hc_state != MG_EP_HC_PENDING && ep->hc_state != MG_EP_HC_UNHEALTHY &&
	       ep->ejected_until_ms <= now_ms;
}

/*
 * mg_upool_init() creates the pool of idle-list entries (<capacity>).
 * Returns 0 or a negative errno.
 */
int mg_upool_init(uint32_t capacity);

/* mg_endpoint_init() sets up <ep> for <addr>:<port> with the given limits. */
void mg_endpoint_init(struct mg_endpoint *ep, uint32_t addr, uint16_t port, uint32_t max_conns,
                      uint32_t max_idle, uint32_t idle_timeout_ms);

/* mg_endpoint_set_h2() makes <ep> speak HTTP/2 (mg_h2c_open() serves its exchanges). */
void mg_endpoint_set_h2(struct mg_endpoint *ep, bool h2);

/* mg_endpoint_set_tls() makes <ep> originate TLS with <tls>, sending <sni> (may be NULL). */
void mg_endpoint_set_tls(struct mg_endpoint *ep, struct mg_tls_client *tls, const char *sni);

/*
 * mg_upool_acquire() returns a connection to <ep> owned by <owner> with
 * <ops>: an idle one (*<fresh> false; ready to write), or a new one being
 * opened (*<fresh> true; `connected' or `closed' follows).  For a TLS
 * endpoint *<tls> is the connection's TLS client side (its handshake done
 * when reused; not started when fresh: the owner drives it once
 * `connected'); otherwise NULL.  Returns NULL when <ep> is at max_conns
 * (counted as an overflow, <errno_out> -EBUSY) or no connection could be
 * opened (-ENOMEM, also when no TLS connection object was free).
 *
 * An HTTP/2 endpoint (<h2>) gives a virtual connection carrying one stream of a multiplexed
 * connection (gateway/h2/mg_h2c.h): *<fresh> is true (`connected' follows once the stream can
 * be written), *<tls> NULL; -EBUSY when every connection is full and max_conns are open.
 * Its <open> and <idle> count HTTP/2 connections (idle: carrying no stream), <h2_streams>
 * the exchanges handed out.
 */
struct mg_conn *mg_upool_acquire(struct mg_endpoint *ep, const struct mg_conn_ops *ops, void *owner,
                                 bool *fresh, struct mg_tls_conn **tls, int *errno_out);

/*
 * mg_upool_release() ends the owner's use of <c> and its TLS side <tls>
 * (NULL without TLS).  If <reusable> (the last response was complete and
 * allowed keep-alive, nothing unread), it becomes idle; otherwise it is
 * closed (after close_notify under TLS).  Neither may be touched afterwards.  On an HTTP/2
 * endpoint the virtual connection is closed (<reusable>: the stream ended cleanly) or aborted
 * (the stream is reset); the HTTP/2 connection stays.
 */
void mg_upool_release(struct mg_endpoint *ep, struct mg_conn *c, struct mg_tls_conn *tls,
                      bool reusable);

/*
 * mg_upool_wait() queues <w> until <ep> can give a connection (after mg_upool_acquire()
 * failed with -EBUSY); mg_upool_cancel() takes it off the queue (no-op when not queued).
 * Waiting is how Envoy's pending requests and HAProxy's server queues behave: the
 * request's own timeout bounds it.
 */
void mg_upool_wait(struct mg_endpoint *ep, struct mg_upool_waiter *w);
void mg_upool_cancel(struct mg_endpoint *ep, struct mg_upool_waiter *w);

/*
 * mg_upool_forget() tells <ep> that a connection it counted as open is gone
 * (the owner saw `closed', or aborted it).
 */
void mg_upool_forget(struct mg_endpoint *ep);

/* mg_upool_kick() lets the first waiter of <ep> retry if a connection (HTTP/2: a stream) may
 * be had now.  For gateway/h2/mg_h2c.c, outside any nghttp2 callback. */
void mg_upool_kick(struct mg_endpoint *ep);

/*
 * Shared endpoints.  Routing tables name the same upstream (address, port, TLS context and
 * server name) across configuration generations, and its keep-alive pool must survive a
 * reload: mg_endpoint_get() returns the registered endpoint for that key with one more
 * reference, creating it (with <max_conns>, <max_idle> and <idle_timeout_ms>, which also
 * update an existing one) if needed; <sni> is copied.  Returns NULL when out of memory.
 * Whoever uses an endpoint for an exchange holds a reference too (mg_endpoint_ref()), so an
 * endpoint is freed, its idle connections closed, only when the last generation and the
 * last exchange are done with it (mg_endpoint_unref()).  Configuration time only for get.
 */
struct mg_endpoint *mg_endpoint_get(uint32_t addr, uint16_t port, struct mg_tls_client *tls,
                                    const char *sni, uint32_t max_conns, uint32_t max_idle,
                                    uint32_t idle_timeout_ms);
/* mg_endpoint_get_h2() is mg_endpoint_get() for an HTTP/2 endpoint (<h2>: part of the key). */
struct mg_endpoint *mg_endpoint_get_h2(uint32_t addr, uint16_t port, struct mg_tls_client *tls,
                                       const char *sni, bool h2, uint32_t max_conns,
                                       uint32_t max_idle, uint32_t idle_timeout_ms);
void mg_endpoint_ref(struct mg_endpoint *ep);
void mg_endpoint_unref(struct mg_endpoint *ep);

/* mg_endpoint_count() is the number of shared endpoints registered (for /stats and tests). */
unsigned int mg_endpoint_count(void);

/* mg_endpoint_drain() closes every idle connection of <ep>. */
void mg_endpoint_drain(struct mg_endpoint *ep);

#endif /* MG_UPOOL_H */
