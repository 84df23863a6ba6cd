/*
 * Admin HTTP service, on the gateway's TCP connection layer (mg_conn).
 * See mg_admin.h.
 *
 * Each connection has a fixed input buffer (one request head) and output
 * buffer (one response); a response is drained as the send buffer allows,
 * from the `writable' callback.  Pipelined requests are answered in order:
 * the next request is parsed only when the previous response has been
 * queued, and input is only read while there is room for it, so a client
 * that sends without reading is held back by TCP's window.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include "gateway/jwt/mg_jwt_fetch.h"
#include "gateway/admin/mg_admin.h"
#include "gateway/admin/mg_admin_http.h"
#include "gateway/admin/mg_config_dump.h"
#include "gateway/admin/mg_stats.h"
#include "gateway/mg_control.h"
#include "gateway/obs/mg_metrics.h"
#include "gateway/mg_workers.h"
#include "gateway/net/mg_dns.h"
#include "gateway/core/mg_log.h"
#include "gateway/core/mg_pool.h"
#include "gateway/net/mg_conn.h"

#define ADMIN_OUT_MAX 16384
/*
 * A connection must deliver a complete request head within this time of
 * being accepted or of its previous request, and a response must make
 * progress within it; otherwise the connection is reset.  Partial input does
 * not extend it, so trickling bytes cannot hold a pool slot.
 */
#define ADMIN_DEADLINE_MS 10000
/* Large responses (/metrics, /config_dump) are rendered into one shared buffer that a single
 * connection holds until its response is queued; another one meanwhile gets 503. */
#define ADMIN_BIG_MAX (8u << 20)

struct admin_conn {
	struct mg_conn *conn;
	LIST_ENTRY(admin_conn) link; /* open connections, for shutdown */
	uint16_t in_len;
	uint32_t out_len, out_off;
	bool closing;              /* close once the output is queued */
	uint32_t ext_len, ext_off; /* a body in the shared big buffer, after out */
	bool waiting;              /* for the outcome of a reload it asked for */
	char in[MG_AHTTP_MAX_HEAD];
	char out[ADMIN_OUT_MAX];
};

static char big[ADMIN_BIG_MAX];

static struct {
	struct tcp_pcb *listener;
	struct mg_pool pool;
	LIST_HEAD(, admin_conn) open;
	struct mg_worker *worker;
	char token[512]; /* "" : no authentication */
	size_t token_len;
	struct admin_conn *big_owner;
	struct admin_conn *reload_waiter;
	uint64_t refused;
	uint64_t timeouts;
} admin;

static void
admin_free(struct admin_conn *c)
{
	if (admin.big_owner == c)
		admin.big_owner = NULL;
	if (admin.reload_waiter == c)
		admin.reload_waiter = NULL;
	LIST_REMOVE(c, link);
	mg_pool_put(&admin.pool, c);
}

static void
admin_close(struct admin_conn *c, bool abort)
{
	if (abort)
		mg_conn_abort(c->conn);
	else
		mg_conn_close(c->conn);
	admin_free(c);
}

/* Queues as much of the output as the send buffer takes. */
static void
admin_drain(struct admin_conn *c)
{
	int n;

	if (c->out_off < c->out_len) {
		n = mg_conn_write(c->conn, c->out + c->out_off, c->out_len - c->out_off, false);
		if (n > 0)
			c->out_off += (uint32_t)n;
	}
	if (c->out_off == c->out_len && c->ext_len != 0) {
		if (c->ext_off < c->ext_len) {
			n = mg_conn_write(c->conn, big + c->ext_off, c->ext_len - c->ext_off,
			                  false);
			if (n > 0)
				c->ext_off += (uint32_t)n;
		}
		if (c->ext_off < c->ext_len)
			return;
		c->ext_off = c->ext_len = 0;
		if (admin.big_owner == c)
			admin.big_owner = NULL;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
}

/* Whether output is still to be queued. */
static bool
pending(const struct admin_conn *c)
{
	return c->out_len != 0 || c->ext_len != 0 || c->waiting;
}

/* Closes <c> if it is closing and its output is all queued.  Returns true
 * if <c> was closed (and must not be touched again). */
static bool
admin_maybe_close(struct admin_conn *c)
{
	if (!c->closing || pending(c))
		return false;
	admin_close(c, false);
	return true;
}

static void
respond(struct admin_conn *c, int status, const char *reason, const char *ctype, const char *body,
        size_t body_len, bool head_only, const char *extra)
{
	int n =
	    snprintf(c->out + c->out_len, ADMIN_OUT_MAX - c->out_len,
	             "HTTP/1.1 %d %s\r\nServer: meshgate\r\nContent-Type: %s\r\n"
	             "Content-Length: %zu\r\nCache-Control: no-store\r\n%sConnection: %s\r\n\r\n",
	             status, reason, ctype, body_len, extra != NULL ? extra : "",
	             c->closing ? "close" : "keep-alive");

	if (n < 0 || (size_t)n + (head_only ? 0 : body_len) > ADMIN_OUT_MAX - c->out_len) {
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
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {414, "URI Too Long"},
	    {431, "Request Header Fields Too Large"},
	    {500, "Internal Server Error"},
	    {501, "Not Implemented"},
	    {503, "Service Unavailable"},
	    {505, "HTTP Version Not Supported"},
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
	        status == 401 ? "WWW-Authenticate: Bearer realm=\"meshgate admin\"\r\n" : NULL);
}

/* The head of a response whose body (<len> bytes) is in the shared big buffer. */
static void
respond_big(struct admin_conn *c, const char *ctype, size_t len, bool head_only)
{
	respond(c, 200, "OK", ctype, "", len, true, NULL);
	if (!head_only && len > 0) {
		c->ext_len = (uint32_t)len;
		c->ext_off = 0;
	} else {
		admin.big_owner = NULL;
	}
}

/* Takes the big buffer for <c>; false (503 answered) when another connection holds it. */
static bool
take_big(struct admin_conn *c)
{
	if (admin.big_owner != NULL && admin.big_owner != c) {
		respond_error(c, 503);
		return false;
	}
	admin.big_owner = c;
	return true;
}

/* Constant-time comparison of the request's bearer token with the configured one. */
static bool
authorized(const struct mg_ahttp_req *r)
{
	static const char scheme[] = "Bearer ";
	const char *v = r->authorization;
	size_t n = r->authorization_len, i;
	unsigned char diff = 0;

	if (admin.token_len == 0)
		return true;
	if (v == NULL || n < sizeof(scheme) - 1 || strncasecmp(v, scheme, sizeof(scheme) - 1) != 0)
		return false;
	v += sizeof(scheme) - 1;
	n -= sizeof(scheme) - 1;
	/* Every byte of the configured token is compared, whatever the length sent. */
	for (i = 0; i < admin.token_len; i++)
		diff |= (unsigned char)(admin.token[i] ^ (i < n ? v[i] : 0));
	return diff == 0 && n == admin.token_len;
}

static void process(struct admin_conn *c);

void
mg_admin_reload_done(int rc, const char *msg)
{
	struct admin_conn *c = admin.reload_waiter;
	char body[600];
	int n;

	if (c == NULL)
		return;
	admin.reload_waiter = NULL;
	c->waiting = false;
	n = snprintf(body, sizeof(body), "%s\n", msg);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)strlen(body);
	if (rc == 0)
		respond(c, 200, "OK", "text/plain", body, (size_t)n, false, NULL);
	else
		respond(c, rc == -ENOENT ? 409 : 422,
		        rc == -ENOENT ? "Conflict" : "Unprocessable Content", "text/plain", body,
		        (size_t)n, false, NULL);
	mg_conn_set_deadline(c->conn, ADMIN_DEADLINE_MS);
	admin_drain(c);
	process(c); /* pipelined requests behind it; may close <c> */
}

void
mg_admin_set_token(const char *token)
{
	size_t n = token != NULL ? strlen(token) : 0;

	if (n >= sizeof(admin.token))
		n = sizeof(admin.token) - 1;
	memcpy(admin.token, token != NULL ? token : "", n);
	admin.token[n] = '\0';
	admin.token_len = n;
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
	static const char *const get_paths[] = {"/ready", "/health", "/stats", "/metrics",
	                                        "/config_dump"};
	bool get = r->method_len == 3 && memcmp(r->method, "GET", 3) == 0;
	bool head = r->method_len == 4 && memcmp(r->method, "HEAD", 4) == 0;
	bool post = r->method_len == 4 && memcmp(r->method, "POST", 4) == 0;
	bool known_get = false;
	char body[ADMIN_OUT_MAX - 512];
	const char *why;
	size_t i;
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
	for (i = 0; i < sizeof(get_paths) / sizeof(get_paths[0]); i++)
		known_get |= path_is(r, get_paths[i]);
	if (!known_get && !path_is(r, "/reload")) {
		respond_error(c, 404);
		return;
	}
	/* Probes (/ready, /health) answer without the token: load balancers send none. */
	if (!path_is(r, "/ready") && !path_is(r, "/health") && !authorized(r)) {
		respond_error(c, 401);
		return;
	}
	if (path_is(r, "/reload")) {
		if (!post) {
			n = snprintf(body, sizeof(body), "405 Method Not Allowed\n");
			respond(c, 405, "Method Not Allowed", "text/plain", body, (size_t)n, head,
			        "Allow: POST\r\n");
			return;
		}
		/* The same reload as SIGHUP: it runs from the worker's control path (outside
		 * lwIP's callbacks), which answers through mg_admin_reload_done().  Until then
		 * this connection waits; one reload request at a time. */
		if (admin.reload_waiter != NULL) {
			respond_error(c, 503);
			return;
		}
		admin.reload_waiter = c;
		c->waiting = true;
		mg_control_request_reload();
		return;
	}
	if (!get && !head) {
		n = snprintf(body, sizeof(body), "405 Method Not Allowed\n");
		respond(c, 405, "Method Not Allowed", "text/plain", body, (size_t)n, false,
		        "Allow: GET, HEAD\r\n");
		return;
	}
	if (path_is(r, "/ready")) {
		/* As Envoy's initialisation: not ready until every DNS name of the configuration
		 * has been resolved (or failed) once. */
		const char *waiting = mg_dns_unsettled();

		if (waiting != NULL) {
			n = snprintf(body, sizeof(body), "waiting for DNS: %s\n", waiting);
			respond(c, 503, "Service Unavailable", "text/plain", body, (size_t)n, head,
			        NULL);
			return;
		}
		/* Nor until every worker is up (several workers: the later ones attach to the
		 * interfaces after the first is serving, and keep-alive clients that connect
		 * before would all stay on the first). */
		waiting = mg_workers_unready();
		if (waiting == NULL)
			waiting = mg_jwt_fetch_unsettled();
		if (waiting != NULL) {
			n = snprintf(body, sizeof(body), "waiting: %s\n", waiting);
			respond(c, 503, "Service Unavailable", "text/plain", body, (size_t)n, head,
			        NULL);
			return;
		}
		respond(c, 200, "OK", "text/plain", "ready\n", 6, head, NULL);
		return;
	}
	if (path_is(r, "/health")) {
		why = mg_control_unhealthy();
		if (why != NULL) {
			n = snprintf(body, sizeof(body), "unhealthy: %s\n", why);
			respond(c, 503, "Service Unavailable", "text/plain", body, (size_t)n, head,
			        NULL);
			return;
		}
		respond(c, 200, "OK", "text/plain", "healthy\n", 8, head, NULL);
		return;
	}
	if (path_is(r, "/metrics")) {
		if (!take_big(c))
			return;
		n = mg_workers_metrics(admin.worker, big, sizeof(big));
		if (n < 0) {
			admin.big_owner = NULL;
			respond_error(c, 500);
			return;
		}
		respond_big(c, "text/plain; version=0.0.4; charset=utf-8", (size_t)n, head);
		return;
	}
	if (path_is(r, "/config_dump")) {
		if (!take_big(c))
			return;
		n = mg_config_dump_json(big, sizeof(big));
		if (n < 0) {
			admin.big_owner = NULL;
			respond_error(c, 500);
			return;
		}
		respond_big(c, "application/json", (size_t)n, head);
		return;
	}
	n = mg_workers_stats(admin.worker, body, sizeof(body));
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
	int used, n;

	for (;;) {
		/* Take in what fits. */
		if (!c->closing && c->in_len < sizeof(c->in)) {
			n = mg_conn_read(c->conn, c->in + c->in_len, sizeof(c->in) - c->in_len);
			if (n > 0)
				c->in_len = (uint16_t)(c->in_len + n);
			else if (n == 0 && c->in_len == 0)
				c->closing = true; /* peer done, nothing left to answer */
		}
		if (c->closing || pending(c) || c->in_len == 0)
			break;
		used = mg_ahttp_parse(c->in, c->in_len, &r);
		if (used == MG_AHTTP_INCOMPLETE) {
			if (mg_conn_rx_eof(c->conn))
				c->closing = true; /* truncated request: nothing to answer */
			break;
		}
		if (used == MG_AHTTP_ERROR) {
			c->closing = true;
			respond_error(c, r.status);
		} else {
			serve(c, &r);
			memmove(c->in, c->in + used, c->in_len - (size_t)used);
			c->in_len = (uint16_t)(c->in_len - used);
			mg_conn_set_deadline(c->conn, ADMIN_DEADLINE_MS);
		}
		admin_drain(c);
	}
	admin_maybe_close(c);
}

static void
on_readable(struct mg_conn *conn)
{
	process(mg_conn_owner(conn));
}

static void
on_writable(struct mg_conn *conn)
{
	struct admin_conn *c = mg_conn_owner(conn);

	if (!pending(c))
		return;
	mg_conn_set_deadline(conn, ADMIN_DEADLINE_MS);
	admin_drain(c);
	process(c);
}

static void
on_timeout(struct mg_conn *conn)
{
	admin.timeouts++;
	admin_close(mg_conn_owner(conn), true);
}

static void
on_closed(struct mg_conn *conn, enum mg_conn_reason why)
{
	(void)why;
	admin_free(mg_conn_owner(conn));
}

static const struct mg_conn_ops admin_ops = {
    .readable = on_readable,
    .writable = on_writable,
    .timeout = on_timeout,
    .closed = on_closed,
};

static bool
on_accept(void *arg, struct mg_conn *conn, const struct mg_conn_ops **ops, void **owner)
{
	struct admin_conn *c;

	(void)arg;
	c = mg_pool_get(&admin.pool);
	if (c == NULL) {
		admin.refused++;
		return false;
	}
	c->conn = conn;
	LIST_INSERT_HEAD(&admin.open, c, link);
	mg_conn_set_deadline(conn, ADMIN_DEADLINE_MS);
	*ops = &admin_ops;
	*owner = c;
	return true;
}

int
mg_admin_start(struct mg_worker *w, uint32_t addr, uint16_t port)
{
	int rc;

	admin.worker = w;
	rc = mg_pool_init(&admin.pool, "admin_conn", sizeof(struct admin_conn), MG_ADMIN_MAX_CONNS);
	if (rc != 0)
		return rc;
	rc = mg_conn_listen(addr, port, on_accept, NULL, &admin.listener);
	if (rc != 0)
		mg_pool_destroy(&admin.pool);
	return rc;
}

void
mg_admin_stop(void)
{
	while (!LIST_EMPTY(&admin.open))
		admin_close(LIST_FIRST(&admin.open), true);
	if (admin.listener != NULL) {
		mg_conn_unlisten(admin.listener);
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
