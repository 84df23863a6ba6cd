/*
 * Keep-alive connection pools to upstream endpoints.  See mg_upool.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "gateway/core/mg_pool.h"
#include "gateway/h2/mg_h2c.h"
#include "gateway/tls/mg_tls.h"
#include "gateway/upstream/mg_upool.h"

struct mg_upool_idle {
	LIST_ENTRY(mg_upool_idle) link;
	struct mg_endpoint *ep;
	struct mg_conn *conn;
	struct mg_tls_conn *tls;
};

static struct mg_pool idle_pool;
static LIST_HEAD(, mg_endpoint) registry = LIST_HEAD_INITIALIZER(registry);
static unsigned int n_registered;

int
mg_upool_init(uint32_t capacity)
{
	return mg_pool_init(&idle_pool, "upstream_idle", sizeof(struct mg_upool_idle), capacity);
}

void
mg_endpoint_init(struct mg_endpoint *ep, uint32_t addr, uint16_t port, uint32_t max_conns,
                 uint32_t max_idle, uint32_t idle_timeout_ms)
{
	*ep = (struct mg_endpoint){
	    .addr = addr,
	    .port = port,
	    .max_conns = max_conns,
	    .max_idle = max_idle,
	    .idle_timeout_ms = idle_timeout_ms,
	};
}

void
mg_endpoint_set_h2(struct mg_endpoint *ep, bool h2)
{
	ep->h2 = h2;
}

void
mg_endpoint_set_tls(struct mg_endpoint *ep, struct mg_tls_client *tls, const char *sni)
{
	ep->tls = tls;
	ep->sni = sni;
}

/* ---- requests waiting for a connection -------------------------------------------- */

static void
waiters_init(struct mg_endpoint *ep)
{
	if (ep->waiters.tqh_last == NULL)
		TAILQ_INIT(&ep->waiters);
}

void
mg_upool_wait(struct mg_endpoint *ep, struct mg_upool_waiter *w)
{
	waiters_init(ep);
	if (w->queued)
		return;
	TAILQ_INSERT_TAIL(&ep->waiters, w, link);
	w->queued = true;
	ep->n_waiting++;
}

void
mg_upool_cancel(struct mg_endpoint *ep, struct mg_upool_waiter *w)
{
	if (!w->queued)
		return;
	TAILQ_REMOVE(&ep->waiters, w, link);
	w->queued = false;
	ep->n_waiting--;
}

/* A connection became idle or one closed: the first waiter may have it. */
static void
wake_one(struct mg_endpoint *ep)
{
	struct mg_upool_waiter *w;

	if (ep->n_waiting == 0)
		return;
	if (ep->h2 ? !mg_h2c_has_room(ep)
	           : (ep->idle == 0 && ep->max_conns != 0 && ep->open >= ep->max_conns))
		return;
	w = TAILQ_FIRST(&ep->waiters);
	mg_upool_cancel(ep, w);
	w->wake(w);
}

/* Closes <c> and frees its TLS side <t> (NULL: none), after close_notify when it can. */
static void
conn_close(struct mg_conn *c, struct mg_tls_conn *t)
{
	if (t != NULL) {
		if (mg_tls_conn_handshake_done(t) && mg_tls_conn_failure(t) == MG_TLS_FAIL_NONE)
			(void)mg_tls_close_notify(t);
		mg_tls_conn_free(t);
	}
	mg_conn_close(c);
}

/*
 * Whether an idle TLS connection is still clean: records the server sent since (session
 * tickets, key updates) are processed, and nothing else may have come.  A byte of
 * application data, close_notify, EOF or an error all end it.
 */
static bool
tls_idle_clean(struct mg_tls_conn *t)
{
	unsigned char b;

	return mg_tls_read(t, &b, 1) == MG_TLS_WANT_READ;
}

static void
idle_unlink(struct mg_upool_idle *e)
{
	struct mg_endpoint *ep = e->ep;

	LIST_REMOVE(e, link);
	ep->idle--;
	mg_pool_put(&idle_pool, e);
}

static void wake_one(struct mg_endpoint *ep);

/* An idle connection is gone or unusable: drop it from its endpoint. */
static void
idle_drop(struct mg_upool_idle *e, bool close)
{
	struct mg_endpoint *ep = e->ep;
	struct mg_conn *c = e->conn;
	struct mg_tls_conn *t = e->tls;

	idle_unlink(e);
	ep->open--;
	ep->idle_closed++;
	if (close) {
		conn_close(c, t);
	} else if (t != NULL) {
		mg_tls_conn_abort(t, MG_TLS_FAIL_PEER_CLOSED);
		mg_tls_conn_free(t);
	}
	wake_one(ep);
}

static void
idle_readable(struct mg_conn *c)
{
	struct mg_upool_idle *e = mg_conn_owner(c);

	/* A server says nothing on an idle connection unless it is closing
	 * it (EOF) or misbehaving: either way the connection is done.  Under
	 * TLS it may also send records that carry no data (tickets). */
	if (e->tls != NULL && !mg_conn_rx_eof(c) && tls_idle_clean(e->tls))
		return;
	idle_drop(e, true);
}

static void
idle_timeout(struct mg_conn *c)
{
	idle_drop(mg_conn_owner(c), true);
}

static void
idle_closed(struct mg_conn *c, enum mg_conn_reason why)
{
	(void)why;
	idle_drop(mg_conn_owner(c), false);
}

static const struct mg_conn_ops idle_ops = {
    .readable = idle_readable,
    .timeout = idle_timeout,
    .closed = idle_closed,
};

struct mg_conn *
mg_upool_acquire(struct mg_endpoint *ep, const struct mg_conn_ops *ops, void *owner, bool *fresh,
                 struct mg_tls_conn **tls, int *errno_out)
{
	struct mg_upool_idle *e = LIST_FIRST(&ep->idle_list);
	struct mg_conn *c;

	*tls = NULL;
	if (ep->h2) {
		c = mg_h2c_open(ep, ops, owner, errno_out);
		if (c == NULL)
			return NULL;
		ep->h2_streams++;
		*fresh = true;
		return c;
	}
	if (e != NULL) {
		c = e->conn;
		*tls = e->tls;
		idle_unlink(e);
		mg_conn_set_deadline(c, 0);
		mg_conn_set_owner(c, ops, owner);
		ep->reuses++;
		*fresh = false;
		return c;
	}
	if (ep->max_conns != 0 && ep->open >= ep->max_conns) {
		ep->overflows++;
		*errno_out = -EBUSY;
		return NULL;
	}
	c = mg_conn_connect(ep->addr, ep->port, ops, owner);
	if (c == NULL) {
		*errno_out = -ENOMEM;
		return NULL;
	}
	if (ep->tls != NULL) {
		struct mg_tls_io io = {mg_conn_io_recv, mg_conn_io_send, c};

		*tls = mg_tls_connect(ep->tls, &io, ep->sni);
		if (*tls == NULL) {
			mg_conn_abort(c);
			ep->tls_refused++;
			*errno_out = -ENOMEM;
			return NULL;
		}
	}
	ep->open++;
	ep->connects++;
	*fresh = true;
	return c;
}

void
mg_upool_release(struct mg_endpoint *ep, struct mg_conn *c, struct mg_tls_conn *tls, bool reusable)
{
	struct mg_upool_idle *e = NULL;

	if (ep->h2) {
		ep->h2_streams--;
		if (reusable)
			mg_conn_close(c);
		else
			mg_conn_abort(c);
		wake_one(ep);
		return;
	}
	/* Under TLS, bytes in the receive buffer may be a record without data. */
	if (reusable && ep->idle < ep->max_idle && !mg_conn_rx_eof(c) &&
	    (tls != NULL ? tls_idle_clean(tls) : mg_conn_rx_avail(c) == 0))
		e = mg_pool_get(&idle_pool);
	if (e == NULL) {
		ep->open--;
		conn_close(c, tls);
		wake_one(ep);
		return;
	}
	e->ep = ep;
	e->conn = c;
	e->tls = tls;
	LIST_INSERT_HEAD(&ep->idle_list, e, link);
	ep->idle++;
	mg_conn_set_owner(c, &idle_ops, e);
	mg_conn_set_deadline(c, ep->idle_timeout_ms);
	wake_one(ep);
}

void
mg_upool_forget(struct mg_endpoint *ep)
{
	if (ep->h2)
		ep->h2_streams--;
	else
		ep->open--;
	wake_one(ep);
}

void
mg_upool_kick(struct mg_endpoint *ep)
{
	wake_one(ep);
}

void
mg_endpoint_drain(struct mg_endpoint *ep)
{
	while (!LIST_EMPTY(&ep->idle_list))
		idle_drop(LIST_FIRST(&ep->idle_list), true);
	if (ep->h2)
		mg_h2c_drain(ep, false);
}

struct mg_endpoint *
mg_endpoint_get(uint32_t addr, uint16_t port, struct mg_tls_client *tls, const char *sni,
                uint32_t max_conns, uint32_t max_idle, uint32_t idle_timeout_ms)
{
	return mg_endpoint_get_h2(addr, port, tls, sni, false, max_conns, max_idle,
	                          idle_timeout_ms);
}

struct mg_endpoint *
mg_endpoint_get_h2(uint32_t addr, uint16_t port, struct mg_tls_client *tls, const char *sni,
                   bool h2, uint32_t max_conns, uint32_t max_idle, uint32_t idle_timeout_ms)
{
	struct mg_endpoint *ep;

	if (sni == NULL)
		sni = "";
	LIST_FOREACH(ep, &registry, reg)
	{
		if (ep->addr == addr && ep->port == port && ep->tls == tls && ep->h2 == h2 &&
		    strcmp(ep->sni_buf, sni) == 0) {
			ep->refs++;
			ep->max_conns = max_conns;
			ep->max_idle = max_idle;
			ep->idle_timeout_ms = idle_timeout_ms;
			return ep;
		}
	}
	if (strlen(sni) >= sizeof(ep->sni_buf))
		return NULL;
	ep = malloc(sizeof(*ep));
	if (ep == NULL)
		return NULL;
	mg_endpoint_init(ep, addr, port, max_conns, max_idle, idle_timeout_ms);
	strcpy(ep->sni_buf, sni);
	ep->h2 = h2;
	if (tls != NULL)
		mg_endpoint_set_tls(ep, tls, ep->sni_buf[0] != '\0' ? ep->sni_buf : NULL);
	ep->refs = 1;
	LIST_INSERT_HEAD(&registry, ep, reg);
	n_registered++;
	return ep;
}

void
mg_endpoint_ref(struct mg_endpoint *ep)
{
	ep->refs++;
}

void
mg_endpoint_unref(struct mg_endpoint *ep)
{
	if (--ep->refs > 0)
		return;
	/* No generation routes to it and no exchange uses it: every connection left is idle. */
	mg_endpoint_drain(ep);
	if (ep->h2)
		mg_h2c_drain(ep, true);
	LIST_REMOVE(ep, reg);
	n_registered--;
	free(ep);
}

unsigned int
mg_endpoint_count(void)
{
	return n_registered;
}
