/*
 * Echo and discard services, on the gateway's TCP connection layer
 * (mg_conn).  See mg_diag.h.
 *
 * Echo reads only as much as it can send back at once (mg_conn_send_space),
 * so received data waits in lwIP, under TCP's flow control, rather than in a
 * buffer of ours; a short write (the lwIP heap running low) leaves a
 * remainder in a small carry buffer, and nothing more is read until it has
 * gone.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/queue.h>

#include "gateway/core/mg_pool.h"
#include "gateway/diag/mg_diag.h"
#include "gateway/net/mg_conn.h"

#define ECHO_CHUNK 16384

struct diag_conn {
	struct mg_conn *conn;
	LIST_ENTRY(diag_conn) link;
	bool echo;
	uint16_t carry_len, carry_off;
	unsigned char carry[ECHO_CHUNK];
};

static struct {
	struct tcp_pcb *listeners[2];
	struct mg_pool pool;
	LIST_HEAD(, diag_conn) open;
	bool started;
} diag;

static void
diag_free(struct diag_conn *c)
{
	LIST_REMOVE(c, link);
	mg_pool_put(&diag.pool, c);
}

/* Moves bytes from the peer back to it as far as the send buffer allows;
 * closes when the peer is done and everything went back. */
static void
echo_pump(struct diag_conn *c)
{
	unsigned char buf[ECHO_CHUNK];
	int n, w;

	for (;;) {
		if (c->carry_len > c->carry_off) {
			w = mg_conn_write(c->conn, c->carry + c->carry_off,
			                  (size_t)(c->carry_len - c->carry_off), false);
			if (w <= 0)
				return;
			c->carry_off = (uint16_t)(c->carry_off + w);
			if (c->carry_off < c->carry_len)
				return;
			c->carry_len = c->carry_off = 0;
		}
		size_t room = mg_conn_send_space(c->conn);

		if (room == 0)
			return;
		n = mg_conn_read(c->conn, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n == MG_CONN_AGAIN)
			return;
		if (n == 0) {
			mg_conn_close(c->conn);
			diag_free(c);
			return;
		}
		w = mg_conn_write(c->conn, buf, (size_t)n, false);
		if (w < 0)
			w = 0;
		if (w < n) {
			memcpy(c->carry, buf + w, (size_t)(n - w));
			c->carry_len = (uint16_t)(n - w);
			c->carry_off = 0;
			return;
		}
	}
}

static void
on_readable(struct mg_conn *conn)
{
	struct diag_conn *c = mg_conn_owner(conn);
	unsigned char buf[ECHO_CHUNK];
	int n;

	if (c->echo) {
		echo_pump(c);
		return;
	}
	while ((n = mg_conn_read(conn, buf, sizeof(buf))) > 0)
		;
	if (n == 0) {
		mg_conn_close(conn);
		diag_free(c);
	}
}

static void
on_writable(struct mg_conn *conn)
{
	struct diag_conn *c = mg_conn_owner(conn);

	if (c->echo)
		echo_pump(c);
}

static void
on_closed(struct mg_conn *conn, enum mg_conn_reason why)
{
	(void)why;
	diag_free(mg_conn_owner(conn));
}

static const struct mg_conn_ops diag_ops = {
    .readable = on_readable,
    .writable = on_writable,
    .closed = on_closed,
};

static bool
on_accept(void *arg, struct mg_conn *conn, const struct mg_conn_ops **ops, void **owner)
{
	struct diag_conn *c = mg_pool_get(&diag.pool);

	if (c == NULL)
		return false;
	c->conn = conn;
	c->echo = arg != NULL;
	LIST_INSERT_HEAD(&diag.open, c, link);
	*ops = &diag_ops;
	*owner = c;
	return true;
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
	/* The listener's argument tells the accept callback which service it is. */
	if (echo_port != 0 &&
	    (rc = mg_conn_listen(addr, echo_port, on_accept, &diag, &diag.listeners[0])) != 0)
		goto bad;
	if (discard_port != 0 &&
	    (rc = mg_conn_listen(addr, discard_port, on_accept, NULL, &diag.listeners[1])) != 0)
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
	while (!LIST_EMPTY(&diag.open)) {
		mg_conn_abort(LIST_FIRST(&diag.open)->conn);
		diag_free(LIST_FIRST(&diag.open));
	}
	for (i = 0; i < 2; i++) {
		if (diag.listeners[i] != NULL) {
			mg_conn_unlisten(diag.listeners[i]);
			diag.listeners[i] = NULL;
		}
	}
	mg_pool_destroy(&diag.pool);
	diag.started = false;
}
