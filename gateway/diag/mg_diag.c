/*
 * Echo and discard services.  See mg_diag.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lwip/tcp.h"

#include "gateway/core/mg_pool.h"
#include "gateway/diag/mg_diag.h"

struct diag_conn {
	struct tcp_pcb *pcb;
	struct diag_conn *next, *prev;
	struct pbuf *pending;	/* received, not yet queued back (echo) */
	bool echo;
	bool peer_closed;
};

static struct {
	struct tcp_pcb *listeners[2];
	struct mg_pool pool;
	struct diag_conn *open;
	bool started;
} diag;

static void
conn_release(struct diag_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		diag.open = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->pending != NULL)
		pbuf_free(c->pending);
	mg_pool_put(&diag.pool, c);
}

static void
conn_close(struct diag_conn *c, bool abort)
{
	struct tcp_pcb *pcb = c->pcb;

	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	conn_release(c);
	if (abort || tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

/* Echoes pending bytes as far as the send buffer allows.  Returns true if
 * the connection was closed. */
static bool
echo_drain(struct diag_conn *c)
{
	bool wrote = false;

	while (c->pending != NULL) {
		u16_t room = tcp_sndbuf(c->pcb);
		u16_t n = c->pending->len < room ? c->pending->len : room;

		if (n == 0)
			break;
		if (tcp_write(c->pcb, c->pending->payload, n, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break; /* queue full: the `sent' callback resumes */
		wrote = true;
		tcp_recved(c->pcb, n);
		c->pending = pbuf_free_header(c->pending, n);
	}
	if (wrote)
		tcp_output(c->pcb);
	if (c->pending == NULL && c->peer_closed) {
		conn_close(c, false);
		return true;
	}
	return false;
}

static err_t
on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct diag_conn *c = arg;

	(void)err;
	if (c == NULL) {
		if (p != NULL)
			pbuf_free(p);
		return ERR_OK;
	}
	if (p == NULL) {
		c->peer_closed = true;
		if (!c->echo)
			conn_close(c, false);
		else
			echo_drain(c);
		return ERR_OK;
	}
	if (!c->echo) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (c->pending == NULL)
		c->pending = p;
	else
		pbuf_cat(c->pending, p);
	echo_drain(c);
	return ERR_OK;
}

static err_t
on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct diag_conn *c = arg;

	(void)pcb;
	(void)len;
	if (c != NULL && c->echo)
		echo_drain(c);
	return ERR_OK;
}

static void
on_err(void *arg, err_t err)
{
	(void)err;
	if (arg != NULL)
		conn_release(arg);
}

static err_t
on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct diag_conn *c;

	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	c = mg_pool_get(&diag.pool);
	if (c == NULL) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	c->echo = arg != NULL;
	c->next = diag.open;
	if (diag.open != NULL)
		diag.open->prev = c;
	diag.open = c;
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	return ERR_OK;
}

static int
listen_on(uint32_t addr, uint16_t port, bool echo, struct tcp_pcb **out)
{
	struct tcp_pcb *pcb, *l;
	ip_addr_t a;

	pcb = tcp_new();
	if (pcb == NULL)
		return -ENOMEM;
	ip_addr_set_ip4_u32(&a, addr);
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, &a, port) != ERR_OK) {
		tcp_abort(pcb);
		return -EADDRINUSE;
	}
	l = tcp_listen_with_backlog(pcb, TCP_DEFAULT_LISTEN_BACKLOG);
	if (l == NULL) {
		tcp_abort(pcb);
		return -ENOMEM;
	}
	/* The listener's arg tells the accept callback which service it is. */
	tcp_arg(l, echo ? (void *)l : NULL);
	tcp_accept(l, on_accept);
	*out = l;
	return 0;
}

int
mg_diag_start(uint32_t addr, uint16_t echo_port, uint16_t discard_port)
{
	int rc;

	if (echo_port == 0 && discard_port == 0)
		return 0;
	rc = mg_pool_init(&diag.pool, "diag_conn", sizeof(struct diag_conn), MG_DIAG_MAX_CONNS);
	if (rc != 0)
		return rc;
	diag.started = true;
	if (echo_port != 0 && (rc = listen_on(addr, echo_port, true, &diag.listeners[0])) != 0)
		goto bad;
	if (discard_port != 0 &&
	    (rc = listen_on(addr, discard_port, false, &diag.listeners[1])) != 0)
		goto bad;
	return 0;
bad:
	mg_diag_stop();
	return rc;
}

void
mg_diag_stop(void)
{
	int i;

	if (!diag.started)
		return;
	while (diag.open != NULL)
		conn_close(diag.open, true);
	for (i = 0; i < 2; i++) {
		if (diag.listeners[i] != NULL) {
			tcp_close(diag.listeners[i]);
			diag.listeners[i] = NULL;
		}
	}
	mg_pool_destroy(&diag.pool);
	diag.started = false;
}
