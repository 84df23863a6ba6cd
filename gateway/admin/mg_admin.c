/*
 * Admin HTTP service on lwIP's raw TCP API.  See mg_admin.h.
 *
 * Each connection has a fixed input buffer (one request head) and output
 * buffer (one response); a response is drained as lwIP's send buffer allows,
 * from the `sent' callback.  Pipelined requests are answered in order: the
 * next request is parsed only when the previous response has been queued.
 * Received pbufs are copied into the input buffer and freed at once, so a
 * connection never holds the port's mbufs.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lwip/ip4_addr.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"

#include "gateway/admin/mg_admin.h"
#include "gateway/admin/mg_admin_http.h"
#include "gateway/admin/mg_stats.h"
#include "gateway/core/mg_log.h"
#include "gateway/core/mg_pool.h"

#define ADMIN_OUT_MAX	16384
/*
 * A connection must deliver a complete request head within this time of
 * being accepted or of its previous request, and a response must make
 * progress within it; otherwise the connection is reset.  Partial input does
 * not extend it, so trickling bytes cannot hold a pool slot.
 */
#define ADMIN_DEADLINE_MS	10000
/* lwIP calls the poll callback every N * 500 ms. */
#define ADMIN_POLL_TICKS	2

struct admin_conn {
	struct tcp_pcb *pcb;
	struct admin_conn *next, *prev;	/* open connections, for shutdown */
	uint16_t in_len;
	uint32_t out_len, out_off;
	bool closing;			/* close once the output is sent */
	u32_t deadline;			/* sys_now() after which the connection is reset */
	char in[MG_AHTTP_MAX_HEAD];
	char out[ADMIN_OUT_MAX];
};

static struct {
	struct tcp_pcb *listener;
	struct mg_pool pool;
	struct admin_conn *open;
	struct mg_worker *worker;
	uint64_t refused;
	uint64_t timeouts;
} admin;

static void admin_close(struct admin_conn *c, bool abort);

static void
conn_link(struct admin_conn *c)
{
	c->next = admin.open;
	if (admin.open != NULL)
		admin.open->prev = c;
	admin.open = c;
}

static void
conn_unlink(struct admin_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		admin.open = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
}

/* Queues as much of the output as lwIP's send buffer takes. */
static void
admin_drain(struct admin_conn *c)
{
	uint32_t left = c->out_len - c->out_off;
	u16_t room = tcp_sndbuf(c->pcb);
	u16_t n;

	if (left > 0 && room > 0) {
		n = (u16_t)(left < room ? left : room);
		if (tcp_write(c->pcb, c->out + c->out_off, n, TCP_WRITE_FLAG_COPY) == ERR_OK) {
			c->out_off += n;
			tcp_output(c->pcb);
		}
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
}

/* Closes <c> if it is closing and its output is all queued.  Returns true
 * if <c> was closed (and must not be touched again). */
static bool
admin_maybe_close(struct admin_conn *c)
{
	if (!c->closing || c->out_len != 0)
		return false;
	admin_close(c, false);
	return true;
}

static void
respond(struct admin_conn *c, int status, const char *reason, const char *ctype, const char *body,
	size_t body_len, bool head_only, const char *extra)
{
	int n = snprintf(c->out + c->out_len, ADMIN_OUT_MAX - c->out_len,
			 "HTTP/1.1 %d %s\r\nServer: meshgate\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nCache-Control: no-store\r\n%sConnection: %s\r\n\r\n",
			 status, reason, ctype, body_len, extra != NULL ? extra : "",
			 c->closing ? "close" : "keep-alive");

	if (n < 0 || (size_t)n + body_len > ADMIN_OUT_MAX - c->out_len) {
		c->closing = true;
		return;
	}
	c->out_len += (uint32_t)n;
	if (!head_only) {
		memcpy(c->out + c->out_len, body, body_len);
		c->out_len += (uint32_t)body_len;
	}
}

static void
respond_error(struct admin_conn *c, int status)
{
	static const struct {
		int status;
		const char *reason;
	} reasons[] = {
		{ 400, "Bad Request" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 414, "URI Too Long" },
		{ 431, "Request Header Fields Too Large" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 505, "HTTP Version Not Supported" },
	};
	const char *reason = "Error";
	char body[64];
	size_t i;
	int n;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			reason = reasons[i].reason;
	n = snprintf(body, sizeof(body), "%d %s\n", status, reason);
	respond(c, status, reason, "text/plain", body, (size_t)n, false,
		status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
}

static bool
path_is(const struct mg_ahttp_req *r, const char *lit)
{
	return r->path_len == strlen(lit) && memcmp(r->path, lit, r->path_len) == 0;
}

/* Serves one parsed request. */
static void
serve(struct admin_conn *c, const struct mg_ahttp_req *r)
{
	bool get = r->method_len == 3 && memcmp(r->method, "GET", 3) == 0;
	bool head = r->method_len == 4 && memcmp(r->method, "HEAD", 4) == 0;
	char body[ADMIN_OUT_MAX - 512];
	int n;

	if (!r->keep_alive)
		c->closing = true;
	if (r->has_body) {
		/* No admin endpoint takes a body; reading past it is not worth
		 * the risk of desynchronising. */
		c->closing = true;
		respond_error(c, 400);
		return;
	}
	if (!path_is(r, "/ready") && !path_is(r, "/stats")) {
		respond_error(c, 404);
		return;
	}
	if (!get && !head) {
		respond_error(c, 405);
		return;
	}
	if (path_is(r, "/ready")) {
		respond(c, 200, "OK", "text/plain", "ready\n", 6, head, NULL);
		return;
	}
	n = mg_stats_json(admin.worker, body, sizeof(body));
	if (n < 0) {
		respond_error(c, 500);
		return;
	}
	respond(c, 200, "OK", "application/json", body, (size_t)n, head, NULL);
}

/* Parses and answers every complete request in the input buffer, in order,
 * as long as the previous response is fully queued.  May close <c>. */
static void
process(struct admin_conn *c)
{
	struct mg_ahttp_req r;
	int used;

	while (!c->closing && c->out_len == 0 && c->in_len > 0) {
		used = mg_ahttp_parse(c->in, c->in_len, &r);
		if (used == MG_AHTTP_INCOMPLETE)
			break;
		if (used == MG_AHTTP_ERROR) {
			c->closing = true;
			respond_error(c, r.status);
		} else {
			serve(c, &r);
			c->deadline = sys_now() + ADMIN_DEADLINE_MS;
			memmove(c->in, c->in + used, c->in_len - (size_t)used);
			c->in_len = (uint16_t)(c->in_len - used);
		}
		admin_drain(c);
	}
	admin_maybe_close(c);
}

static err_t
on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct admin_conn *c = arg;
	u16_t take;

	(void)err;
	if (c == NULL) {
		if (p != NULL)
			pbuf_free(p);
		return ERR_OK;
	}
	if (p == NULL) { /* peer closed its side: finish what is queued */
		c->closing = true;
		admin_maybe_close(c);
		return ERR_OK;
	}
	tcp_recved(pcb, p->tot_len);
	if (c->closing) { /* ignore anything after a response that closes */
		pbuf_free(p);
		return ERR_OK;
	}
	take = (u16_t)(sizeof(c->in) - c->in_len);
	if (p->tot_len > take) {
		/* More than one head's worth buffered: the parser reports 431
		 * or 414 on the full buffer. */
		pbuf_copy_partial(p, c->in + c->in_len, take, 0);
		c->in_len = (uint16_t)sizeof(c->in);
	} else {
		pbuf_copy_partial(p, c->in + c->in_len, p->tot_len, 0);
		c->in_len = (uint16_t)(c->in_len + p->tot_len);
	}
	pbuf_free(p);
	process(c);
	return ERR_OK;
}

static err_t
on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct admin_conn *c = arg;

	(void)pcb;
	(void)len;
	if (c == NULL)
		return ERR_OK;
	c->deadline = sys_now() + ADMIN_DEADLINE_MS;
	admin_drain(c);
	process(c);
	return ERR_OK;
}

static err_t
on_poll(void *arg, struct tcp_pcb *pcb)
{
	struct admin_conn *c = arg;

	(void)pcb;
	if (c == NULL || (s32_t)(sys_now() - c->deadline) < 0)
		return ERR_OK;
	admin.timeouts++;
	admin_close(c, true);
	return ERR_ABRT;
}

static void
on_err(void *arg, err_t err)
{
	struct admin_conn *c = arg;

	(void)err;
	/* lwIP has freed the pcb already. */
	if (c != NULL) {
		conn_unlink(c);
		mg_pool_put(&admin.pool, c);
	}
}

static void
admin_close(struct admin_conn *c, bool abort)
{
	struct tcp_pcb *pcb = c->pcb;

	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	conn_unlink(c);
	mg_pool_put(&admin.pool, c);
	if (abort || tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

static err_t
on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct admin_conn *c;

	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	c = mg_pool_get(&admin.pool);
	if (c == NULL) {
		admin.refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	conn_link(c);
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_poll(pcb, on_poll, ADMIN_POLL_TICKS);
	tcp_nagle_disable(pcb);
	c->deadline = sys_now() + ADMIN_DEADLINE_MS;
	return ERR_OK;
}

int
mg_admin_start(struct mg_worker *w, uint32_t addr, uint16_t port)
{
	struct tcp_pcb *pcb, *lpcb;
	ip_addr_t a;
	int rc;

	admin.worker = w;
	rc = mg_pool_init(&admin.pool, "admin_conn", sizeof(struct admin_conn), MG_ADMIN_MAX_CONNS);
	if (rc != 0)
		return rc;
	pcb = tcp_new();
	if (pcb == NULL)
		goto nomem;
	ip_addr_set_ip4_u32(&a, addr);
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, &a, port) != ERR_OK) {
		tcp_abort(pcb);
		mg_pool_destroy(&admin.pool);
		return -EADDRINUSE;
	}
	lpcb = tcp_listen_with_backlog(pcb, TCP_DEFAULT_LISTEN_BACKLOG);
	if (lpcb == NULL) {
		tcp_abort(pcb);
		goto nomem;
	}
	admin.listener = lpcb;
	tcp_accept(lpcb, on_accept);
	return 0;
nomem:
	mg_pool_destroy(&admin.pool);
	return -ENOMEM;
}

void
mg_admin_stop(void)
{
	while (admin.open != NULL)
		admin_close(admin.open, true);
	if (admin.listener != NULL) {
		tcp_close(admin.listener);
		admin.listener = NULL;
	}
	mg_pool_destroy(&admin.pool);
}

void
mg_admin_counters(uint64_t *refused, uint64_t *timeouts)
{
	*refused = admin.refused;
	*timeouts = admin.timeouts;
}
