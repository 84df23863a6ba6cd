/*
 * TCP connections on lwIP's raw API.  See mg_conn.h.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/queue.h>

#include "lwip/ip4_addr.h"
#include "lwip/priv/tcp_priv.h" /* tcp_input_pcb */
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

#include "gateway/core/mg_pool.h"
#include "gateway/net/mg_conn.h"
#include "gateway/net/mg_wheel.h"

#define MG_CONN_LISTENERS_MAX 32
/*
 * Deadlines live in a hashed timing wheel (mg_wheel.h: 1024 slots of 4 ms), turned by an lwIP
 * timer every MG_WHEEL_MS.  Arming, moving and disarming a deadline is O(1); a turn looks only
 * at the slots whose time came.  A deadline never fires early and at most one tick late.
 */

enum {
	F_DEADLINE = 1 << 0,    /* deadline armed */
	F_RX_EOF = 1 << 1,      /* peer half-closed */
	F_CONNECTING = 1 << 2,  /* outbound, not yet established */
	F_NEED_OUTPUT = 1 << 3, /* tcp_output() due when the callback returns */
	F_DEAD = 1 << 4,        /* closed or gone: recycle when the callback returns */
	F_ABORTED = 1 << 5,     /* tcp_abort() called inside an lwIP callback */
	F_VIRTUAL = 1 << 6,     /* a virtual connection (mg_vconn_new) */
	F_SYN_LATER = 1 << 7,   /* on cn.syn_later: its SYN waits for the worker loop */
	F_OUT_LATER = 1 << 8,   /* on cn.out_later: tcp_output() when the callbacks return */
};

/*
 * Received data waits in lwIP's pbuf chains.  A chain's tot_len is 16 bits,
 * and with window scaling a connection can hold more than 64 KiB, so the
 * chains are kept in a short queue: a new delivery is appended to the last
 * chain while that stays under 64 KiB, else it starts a new entry.  Adjacent
 * entries then hold more than 64 KiB together, so a receive window of
 * TCP_WND needs at most 2 * TCP_WND / 64 KiB + 1 entries.
 */
#define RXQ_MAX (2 * (TCP_WND / 0x10000) + 2)

struct mg_conn {
	struct tcp_pcb *pcb;
	const struct mg_conn_ops *ops;
	void *owner;
	struct pbuf *rxq[RXQ_MAX]; /* received, not yet read, in order */
	uint32_t rx_bytes;
	uint8_t rxq_len;
	struct mg_wheel_node
	    wnode; /* the deadline: armed in cn.wheel, or on the list being fired */
	uint16_t flags;
	uint16_t depth; /* nesting of callbacks into the owner */
	/* A virtual connection (mg_vconn_new): its peer, and the addresses it reports. */
	const struct mg_vconn_peer *vp;
	void *varg;
	uint32_t v_paddr, v_laddr;
	uint16_t v_pport, v_lport;
	LIST_ENTRY(mg_conn) syn_link;
	LIST_ENTRY(mg_conn) out_link;
};

struct listener {
	struct tcp_pcb *pcb;
	mg_conn_accept_fn *accept;
	void *arg;
};

static struct {
	struct mg_pool pool;
	struct listener listeners[MG_CONN_LISTENERS_MAX];
	struct mg_conn_stats st;
	struct mg_wheel wheel;
	bool wheel_running;
	LIST_HEAD(, mg_conn) syn_later; /* connects whose SYN must still be sent */
	bool syn_timer;
	/* Output written to connections other than the one whose callback runs waits until the
	 * outermost callback returns (out_later), so what one event writes to a connection
	 * leaves in as few segments as it fits: a proxied response's TLS records, a request's
	 * head and body.  <active> is the nesting of callbacks over all connections. */
	uint32_t active;
	LIST_HEAD(, mg_conn) out_later;
} cn;

static const char *const reason_names[MG_CONN_REASON_MAX] = {
    [MG_CONN_CLOSED] = "closed", [MG_CONN_ABORTED] = "aborted",
    [MG_CONN_RESET] = "reset",   [MG_CONN_CONNECT_FAILED] = "connect_failed",
    [MG_CONN_ERROR] = "error",
};

const char *
mg_conn_reason_name(enum mg_conn_reason why)
{
	return (unsigned int)why < MG_CONN_REASON_MAX ? reason_names[why] : "unknown";
}

const struct mg_conn_stats *
mg_conn_stats(void)
{
	cn.st.open = cn.pool.in_use;
	return &cn.st;
}

int
mg_conn_init(uint32_t capacity)
{
	return mg_pool_init(&cn.pool, "conn", sizeof(struct mg_conn), capacity);
}

/* ---- callback bracketing --------------------------------------------------- */

static void
rx_drop(struct mg_conn *c)
{
	unsigned int i;

	for (i = 0; i < c->rxq_len; i++)
		pbuf_free(c->rxq[i]);
	c->rxq_len = 0;
	c->rx_bytes = 0;
}

static void
wheel_remove(struct mg_conn *c)
{
	mg_wheel_disarm(&cn.wheel, &c->wnode);
}

static void
conn_release(struct mg_conn *c)
{
	if (c->flags & F_SYN_LATER)
		LIST_REMOVE(c, syn_link);
	if (c->flags & F_OUT_LATER)
		LIST_REMOVE(c, out_link);
	wheel_remove(c);
	rx_drop(c);
	mg_pool_put(&cn.pool, c);
}

static inline void
enter(struct mg_conn *c)
{
	c->depth++;
	cn.active++;
}

/* Sends what was written to the connections on cn.out_later. */
static void
out_later_flush(void)
{
	struct mg_conn *c;

	while ((c = LIST_FIRST(&cn.out_later)) != NULL) {
		LIST_REMOVE(c, out_link);
		c->flags &= (uint16_t)~F_OUT_LATER;
		if (c->pcb != NULL && !(c->flags & F_DEAD))
			tcp_output(c->pcb);
	}
}

/* Output is due on <c>: now, when its own callback returns, or when the outermost callback
 * returns (the owner of another connection wrote to it). */
static void
output_due(struct mg_conn *c)
{
	if (c->depth > 0) {
		c->flags |= F_NEED_OUTPUT;
	} else if (cn.active > 0) {
		if (!(c->flags & F_OUT_LATER)) {
			c->flags |= F_OUT_LATER;
			LIST_INSERT_HEAD(&cn.out_later, c, out_link);
		}
	} else {
		tcp_output(c->pcb);
	}
}

/* Leaves a callback: pushes output written during it, recycles a dead
 * connection.  Returns ERR_ABRT if the pcb was aborted meanwhile, which lwIP
 * requires from the callback that aborted it. */
static err_t
leave(struct mg_conn *c)
{
	err_t rc = (c->flags & F_ABORTED) ? ERR_ABRT : ERR_OK;

	cn.active--;
	if (--c->depth == 0) {
		if ((c->flags & (F_NEED_OUTPUT | F_DEAD)) == F_NEED_OUTPUT && c->pcb != NULL) {
			c->flags &= (uint16_t)~F_NEED_OUTPUT;
			tcp_output(c->pcb);
		}
		if (c->flags & F_DEAD)
			conn_release(c);
	}
	if (cn.active == 0)
		out_later_flush();
	return rc;
}

static void
detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
}

/* Marks <c> dead; recycled now, or when the current callback returns. */
static void
conn_kill(struct mg_conn *c)
{
	c->flags |= F_DEAD;
	c->pcb = NULL;
	if (c->depth == 0)
		conn_release(c);
}

/* ---- lwIP callbacks ---------------------------------------------------------- */

static err_t
on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct mg_conn *c = arg;

	(void)pcb;
	(void)err;
	if (p == NULL) {
		c->flags |= F_RX_EOF;
	} else if (c->rxq_len > 0 && c->rxq[c->rxq_len - 1]->tot_len + p->tot_len <= 0xffff) {
		pbuf_cat(c->rxq[c->rxq_len - 1], p);
		c->rx_bytes += p->tot_len;
	} else if (c->rxq_len < RXQ_MAX) {
		c->rxq[c->rxq_len++] = p;
		c->rx_bytes += p->tot_len;
	} else {
		return ERR_MEM; /* cannot happen within TCP_WND; lwIP keeps it */
	}
	enter(c);
	if (!(c->flags & F_DEAD) && c->ops->readable != NULL)
		c->ops->readable(c);
	return leave(c);
}

static err_t
on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct mg_conn *c = arg;

	(void)pcb;
	(void)len;
	enter(c);
	if (c->ops->writable != NULL)
		c->ops->writable(c);
	return leave(c);
}

static void
on_err(void *arg, err_t err)
{
	struct mg_conn *c = arg;
	enum mg_conn_reason why;

	/* lwIP has freed the pcb. */
	c->pcb = NULL;
	if (c->flags & F_CONNECTING) {
		why = MG_CONN_CONNECT_FAILED;
		cn.st.connect_failures++;
	} else if (err == ERR_RST) {
		why = MG_CONN_RESET;
		cn.st.resets++;
	} else {
		why = MG_CONN_ERROR;
	}
	enter(c);
	c->flags |= F_DEAD;
	if (c->ops->closed != NULL)
		c->ops->closed(c, why);
	leave(c);
}

static err_t
on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct mg_conn *c = arg;

	(void)pcb;
	(void)err; /* always ERR_OK in lwIP 2.x: failures come through on_err */
	c->flags &= (uint16_t)~F_CONNECTING;
	enter(c);
	if (c->ops->connected != NULL)
		c->ops->connected(c);
	return leave(c);
}

static struct mg_conn *
conn_new(struct tcp_pcb *pcb, const struct mg_conn_ops *ops, void *owner)
{
	struct mg_conn *c = mg_pool_get(&cn.pool);

	if (c == NULL)
		return NULL;
	c->pcb = pcb;
	c->ops = ops;
	c->owner = owner;
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_nagle_disable(pcb);
	return c;
}

static err_t
on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct listener *l = arg;
	const struct mg_conn_ops *ops = NULL;
	void *owner = NULL;
	struct mg_conn *c;

	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	c = conn_new(pcb, NULL, NULL);
	if (c == NULL) {
		cn.st.refused_pool_empty++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	cn.st.accepted++;
	enter(c);
	if (!l->accept(l->arg, c, &ops, &owner)) {
		detach(pcb);
		tcp_abort(pcb);
		c->flags |= F_ABORTED;
		conn_kill(c);
		leave(c);
		return ERR_ABRT;
	}
	c->ops = ops;
	c->owner = owner;
	return leave(c);
}

/* Tells a virtual connection's peer that the owner closed or aborted it, once. */
static void
vconn_detach(struct mg_conn *c, bool abort)
{
	const struct mg_vconn_peer *vp = c->vp;

	if (vp == NULL)
		return;
	c->vp = NULL;
	vp->gone(c->varg, abort);
}

/* ---- public functions -------------------------------------------------------- */

int
mg_conn_listen(uint32_t addr, uint16_t port, mg_conn_accept_fn *accept, void *arg,
               struct tcp_pcb **out)
{
	struct listener *l = NULL;
	struct tcp_pcb *pcb, *lp;
	ip_addr_t a;
	unsigned int i;

	for (i = 0; i < MG_CONN_LISTENERS_MAX && l == NULL; i++)
		if (cn.listeners[i].pcb == NULL)
			l = &cn.listeners[i];
	if (l == NULL)
		return -ENOSPC;
	pcb = tcp_new();
	if (pcb == NULL)
		return -ENOMEM;
	ip_addr_set_ip4_u32(&a, addr);
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, &a, port) != ERR_OK) {
		tcp_abort(pcb);
		return -EADDRINUSE;
	}
	lp = tcp_listen_with_backlog(pcb, TCP_DEFAULT_LISTEN_BACKLOG);
	if (lp == NULL) {
		tcp_abort(pcb);
		return -ENOMEM;
	}
	l->pcb = lp;
	l->accept = accept;
	l->arg = arg;
	tcp_arg(lp, l);
	tcp_accept(lp, on_accept);
	*out = lp;
	return 0;
}

void
mg_conn_unlisten(struct tcp_pcb *listener)
{
	unsigned int i;

	for (i = 0; i < MG_CONN_LISTENERS_MAX; i++) {
		if (cn.listeners[i].pcb == listener) {
			tcp_arg(listener, NULL);
			tcp_close(listener);
			memset(&cn.listeners[i], 0, sizeof(cn.listeners[i]));
		}
	}
}

/* Source ports for outbound connections (several workers); see mg_conn_set_source_ports(). */
static mg_conn_port_fn *source_port_fn;
static mg_conn_bound_fn *source_port_bound;
static void *source_port_arg;

void
mg_conn_set_source_ports(mg_conn_port_fn *fn, mg_conn_bound_fn *bound, void *arg)
{
	source_port_fn = fn;
	source_port_bound = bound;
	source_port_arg = arg;
}

/* Binds <pcb> to the first free candidate port; without one, lwIP chooses in tcp_connect(). */
static void
bind_source_port(struct tcp_pcb *pcb, uint32_t addr, uint16_t port)
{
	unsigned int i;

	for (i = 0; source_port_fn != NULL && i < 256; i++) {
		uint16_t p = source_port_fn(source_port_arg, addr, port, i);

		if (p == 0)
			return;
		if (tcp_bind(pcb, IP4_ADDR_ANY, p) == ERR_OK) {
			if (source_port_bound != NULL)
				source_port_bound(source_port_arg, pcb, addr, port);
			return;
		}
	}
}

static void
send_syns(void *arg)
{
	struct mg_conn *c;

	(void)arg;
	cn.syn_timer = false;
	while ((c = LIST_FIRST(&cn.syn_later)) != NULL) {
		LIST_REMOVE(c, syn_link);
		c->flags &= (uint16_t)~F_SYN_LATER;
		if (c->pcb != NULL && !(c->flags & F_DEAD))
			tcp_output(c->pcb);
	}
}

struct mg_conn *
mg_conn_connect(uint32_t addr, uint16_t port, const struct mg_conn_ops *ops, void *owner)
{
	struct tcp_pcb *pcb = tcp_new();
	struct mg_conn *c;
	ip_addr_t a;

	if (pcb == NULL)
		return NULL;
	c = conn_new(pcb, ops, owner);
	if (c == NULL) {
		tcp_abort(pcb);
		return NULL;
	}
	ip_addr_set_ip4_u32(&a, addr);
	c->flags |= F_CONNECTING;
	cn.st.connects++;
	bind_source_port(pcb, addr, port);
	if (tcp_connect(pcb, &a, port, on_connected) != ERR_OK) {
		/* No route or no local port: fail like a refused connect, but
		 * synchronously, so the caller sees NULL. */
		detach(pcb);
		tcp_abort(pcb);
		cn.st.connect_failures++;
		conn_kill(c);
		return NULL;
	}
	/*
	 * Opened from inside lwIP's input processing of a connection that was just aborted: the
	 * new pcb may be that one's memory, and tcp_output() sends nothing for the pcb being
	 * processed ("tcp_input_pcb"), so the SYN would wait for lwIP's 250 ms timer.  Send it
	 * from the worker loop instead, within a millisecond.
	 */
	if (pcb == tcp_input_pcb) {
		c->flags |= F_SYN_LATER;
		LIST_INSERT_HEAD(&cn.syn_later, c, syn_link);
		if (!cn.syn_timer) {
			cn.syn_timer = true;
			sys_timeout(0, send_syns, NULL);
		}
	}
	return c;
}

int
mg_conn_read(struct mg_conn *c, void *buf, size_t len)
{
	size_t done = 0;

	if (c->vp != NULL)
		return c->vp->read(c->varg, buf, len, false);
	if (c->rx_bytes == 0)
		return (c->flags & F_RX_EOF) ? 0 : MG_CONN_AGAIN;
	if (len == 0)
		return MG_CONN_AGAIN;
	if (len > INT32_MAX)
		len = INT32_MAX;
	while (done < len && c->rxq_len > 0) {
		struct pbuf *p = c->rxq[0];
		u16_t n = (u16_t)(len - done < p->tot_len ? len - done : p->tot_len);

		pbuf_copy_partial(p, (char *)buf + done, n, 0);
		done += n;
		c->rxq[0] = pbuf_free_header(p, n);
		if (c->rxq[0] == NULL) {
			c->rxq_len--;
			memmove(&c->rxq[0], &c->rxq[1], c->rxq_len * sizeof(c->rxq[0]));
		}
		if (c->pcb != NULL)
			tcp_recved(c->pcb, n);
	}
	c->rx_bytes -= (uint32_t)done;
	return (int)done;
}

size_t
mg_conn_rx_avail(const struct mg_conn *c)
{
	if (c->vp != NULL)
		return c->vp->rx_avail(c->varg);
	return c->rx_bytes;
}

size_t
mg_conn_peek(const struct mg_conn *c, void *buf, size_t len)
{
	size_t done = 0;
	unsigned int i;

	if (c->vp != NULL) {
		int n = c->vp->read(c->varg, buf, len, true);

		return n > 0 ? (size_t)n : 0;
	}
	for (i = 0; i < c->rxq_len && done < len; i++) {
		struct pbuf *p = c->rxq[i];
		u16_t n = (u16_t)(len - done < p->tot_len ? len - done : p->tot_len);

		done += pbuf_copy_partial(p, (char *)buf + done, n, 0);
	}
	return done;
}

bool
mg_conn_rx_eof(const struct mg_conn *c)
{
	if (c->vp != NULL)
		return c->vp->rx_eof(c->varg);
	return (c->flags & F_RX_EOF) != 0;
}

int
mg_conn_io_recv(void *arg, unsigned char *buf, size_t len)
{
	return mg_conn_read(arg, buf, len);
}

int
mg_conn_io_send(void *arg, const unsigned char *buf, size_t len)
{
	return mg_conn_write(arg, buf, len, false);
}

size_t
mg_conn_send_space(const struct mg_conn *c)
{
	if (c->vp != NULL)
		return c->vp->send_space(c->varg);
	if (c->pcb == NULL || tcp_sndqueuelen(c->pcb) >= TCP_SND_QUEUELEN - 4)
		return 0;
	return tcp_sndbuf(c->pcb);
}

size_t
mg_conn_unsent(const struct mg_conn *c)
{
	if (c->vp != NULL)
		return c->vp->unsent(c->varg);
	return c->pcb != NULL ? (size_t)(TCP_SND_BUF - tcp_sndbuf(c->pcb)) : 0;
}

int
mg_conn_write(struct mg_conn *c, const void *buf, size_t len, bool more)
{
	size_t done = 0;

	if (c->vp != NULL)
		return c->vp->write(c->varg, buf, len, more);
	if (c->pcb == NULL)
		return -EPIPE;
	while (done < len) {
		size_t room = mg_conn_send_space(c);
		size_t want = len - done < room ? len - done : room;
		u16_t n = (u16_t)(want < 0xffff ? want : 0xffff);
		u8_t fl = TCP_WRITE_FLAG_COPY;

		if (n == 0)
			break;
		if (more || done + n < len)
			fl |= TCP_WRITE_FLAG_MORE;
		if (tcp_write(c->pcb, (const char *)buf + done, n, fl) != ERR_OK)
			break;
		done += n;
	}
	if (done == 0)
		return len == 0 ? 0 : MG_CONN_AGAIN;
	output_due(c);
	return (int)done;
}

void
mg_conn_shutdown_write(struct mg_conn *c)
{
	if (c->vp != NULL) {
		c->vp->shutdown_write(c->varg);
		return;
	}
	if (c->pcb == NULL)
		return;
	if (tcp_shutdown(c->pcb, 0, 1) == ERR_OK)
		output_due(c);
}

void
mg_conn_close(struct mg_conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	if (c->vp != NULL) {
		vconn_detach(c, false);
		conn_kill(c);
		return;
	}
	if (pcb == NULL) {
		conn_kill(c);
		return;
	}
	/* Discard unread input and reopen the window for it, so that lwIP ends
	 * with FIN rather than RST and a response just written survives. */
	while (c->rx_bytes > 0) {
		u16_t n = (u16_t)(c->rx_bytes < 0xffff ? c->rx_bytes : 0xffff);

		tcp_recved(pcb, n);
		c->rx_bytes -= n;
	}
	rx_drop(c);
	detach(pcb);
#if TCP_QUEUE_OOSEQ
	/* Nothing more will be read: segments held out of order (mbufs) go now, not when the
	 * closing pcb finally dies (FIN_WAIT can last minutes toward a peer that stopped). */
	tcp_free_ooseq(pcb);
#endif
	if (tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		if (c->depth > 0)
			c->flags |= F_ABORTED;
	}
	conn_kill(c);
}

void
mg_conn_abort(struct mg_conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	if (c->vp != NULL)
		vconn_detach(c, true);
	if (pcb != NULL) {
		detach(pcb);
		tcp_abort(pcb);
		if (c->depth > 0)
			c->flags |= F_ABORTED;
	}
	conn_kill(c);
}

static void wheel_turn(void *arg);

void
mg_conn_set_deadline(struct mg_conn *c, uint32_t ms)
{
	wheel_remove(c);
	if (ms == 0 || (c->flags & F_DEAD)) {
		c->flags &= (uint16_t)~F_DEADLINE;
		return;
	}
	if (!cn.wheel_running) {
		cn.wheel_running = true;
		mg_wheel_init(&cn.wheel, sys_now());
		sys_timeout(MG_WHEEL_MS, wheel_turn, NULL);
	}
	c->flags |= F_DEADLINE;
	mg_wheel_arm(&cn.wheel, &c->wnode, sys_now(), ms);
}

/* Fires the deadlines whose time came. */
static void
wheel_turn(void *arg)
{
	struct mg_wheel_node *due = NULL, *n;

	(void)arg;
	mg_wheel_expire(&cn.wheel, sys_now(), &due);
	/* A timeout may arm deadlines again or close other connections of this list (which
	 * unlinks them from it): take one at a time. */
	while ((n = mg_wheel_pop(&due)) != NULL) {
		struct mg_conn *c = (struct mg_conn *)((char *)n - offsetof(struct mg_conn, wnode));

		c->flags &= (uint16_t)~F_DEADLINE;
		cn.st.timeouts++;
		enter(c);
		if (c->ops->timeout != NULL)
			c->ops->timeout(c);
		leave(c);
	}
	sys_timeout(MG_WHEEL_MS, wheel_turn, NULL);
}

void
mg_conn_set_owner(struct mg_conn *c, const struct mg_conn_ops *ops, void *owner)
{
	c->ops = ops;
	c->owner = owner;
}

void *
mg_conn_owner(const struct mg_conn *c)
{
	return c->owner;
}

void
mg_conn_peer(const struct mg_conn *c, uint32_t *addr, uint16_t *port)
{
	if (c->flags & F_VIRTUAL) {
		*addr = c->v_paddr;
		*port = c->v_pport;
		return;
	}
	*addr = c->pcb != NULL ? ip4_addr_get_u32(ip_2_ip4(&c->pcb->remote_ip)) : 0;
	*port = c->pcb != NULL ? c->pcb->remote_port : 0;
}

void
mg_conn_local(const struct mg_conn *c, uint32_t *addr, uint16_t *port)
{
	if (c->flags & F_VIRTUAL) {
		*addr = c->v_laddr;
		*port = c->v_lport;
		return;
	}
	*addr = c->pcb != NULL ? ip4_addr_get_u32(ip_2_ip4(&c->pcb->local_ip)) : 0;
	*port = c->pcb != NULL ? c->pcb->local_port : 0;
}

/* ---- virtual connections ----------------------------------------------------------- */

struct mg_conn *
mg_vconn_new(const struct mg_vconn_peer *peer, void *arg, uint32_t peer_addr, uint16_t peer_port,
             uint32_t local_addr, uint16_t local_port, const struct mg_conn_ops *ops, void *owner)
{
	struct mg_conn *c = mg_pool_get(&cn.pool);

	if (c == NULL) {
		cn.st.refused_pool_empty++;
		return NULL;
	}
	c->flags = F_VIRTUAL;
	c->vp = peer;
	c->varg = arg;
	c->v_paddr = peer_addr;
	c->v_pport = peer_port;
	c->v_laddr = local_addr;
	c->v_lport = local_port;
	c->ops = ops;
	c->owner = owner;
	return c;
}

bool
mg_conn_is_virtual(const struct mg_conn *c)
{
	return (c->flags & F_VIRTUAL) != 0;
}

void
mg_vconn_readable(struct mg_conn *c)
{
	enter(c);
	if (!(c->flags & F_DEAD) && c->ops != NULL && c->ops->readable != NULL)
		c->ops->readable(c);
	leave(c);
}

void
mg_vconn_writable(struct mg_conn *c)
{
	enter(c);
	if (!(c->flags & F_DEAD) && c->ops != NULL && c->ops->writable != NULL)
		c->ops->writable(c);
	leave(c);
}

void
mg_vconn_connected(struct mg_conn *c)
{
	enter(c);
	if (!(c->flags & F_DEAD) && c->ops != NULL && c->ops->connected != NULL)
		c->ops->connected(c);
	leave(c);
}

void
mg_vconn_closed(struct mg_conn *c, enum mg_conn_reason why)
{
	c->vp = NULL; /* the peer is gone: nothing may call it */
	if (why == MG_CONN_RESET)
		cn.st.resets++;
	enter(c);
	if (!(c->flags & F_DEAD)) {
		c->flags |= F_DEAD;
		if (c->ops != NULL && c->ops->closed != NULL)
			c->ops->closed(c, why);
	}
	leave(c);
}
