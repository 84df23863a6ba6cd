/*
 * The HTTP/1.1 reverse proxy.  See mg_proxy.h.
 *
 * A session is one client connection.  It runs one exchange at a time
 * (pipelined requests wait, unread, until the previous response is done):
 *
 *   request side   RQ_IDLE -> RQ_HEAD -> RQ_CONNECT -> RQ_BODY -> RQ_DONE
 *   response side            RS_NONE ->  RS_WAIT  -> RS_BODY -> RS_DONE
 *
 * When both sides are done, the upstream connection goes back to its pool
 * (if it may be reused) and the session waits for the next request, or
 * closes.  Every pump function moves as much as the receiving side takes
 * and returns; the mg_conn callbacks call the pumps again when more data or
 * more room arrives.
 *
 * Heads are parsed twice: once without a fields array to learn whether the
 * head is complete (the parser keeps its place, so this is linear as bytes
 * trickle in), then once more into a per-worker scratch array to rewrite it.
 * This keeps the per-session state small (no field array per session).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_random.h>

#include "gateway/core/mg_evlog.h"
#include "gateway/core/mg_log.h"
#include "gateway/core/mg_pool.h"
#include "gateway/h2/mg_grpc.h"
#include "gateway/h2/mg_h2.h"
#include "gateway/http/mg_chunked.h"
#include "gateway/http/mg_http_lex.h"
#include "gateway/http/mg_http_util.h"
#include "gateway/net/mg_conn.h"
#include "gateway/obs/mg_obs.h"
#include "gateway/obs/mg_trace.h"
#include "gateway/proxy/mg_proxy.h"
#include "gateway/jwt/mg_jwt.h"
#include "gateway/route/mg_route.h"
#include "gateway/tls/mg_tls.h"
#include "lwip/sys.h"

#define MAX_LISTENERS  4
#define SCRATCH_FIELDS 256
#define MAX_TRAILERS   64
#define OUT_SLACK      64 /* room kept for chunk framing around a data run */
/* Room a chunked body's end needs on the receiving side: the last-chunk, the trailer section
 * (at most MG_CHUNKED_DEFAULT_MAX_TRAILER bytes as received) and the final CRLF.  A chunked
 * body moves only while this much room is free, so that its end always fits at once. */
#define END_ROOM (MG_CHUNKED_DEFAULT_MAX_TRAILER + 16)

/* RQ_QUEUED: waiting for the circuit breaker; RQ_BACKOFF: waiting to retry. */
enum req_state { RQ_IDLE, RQ_HEAD, RQ_QUEUED, RQ_CONNECT, RQ_BODY, RQ_DONE, RQ_TUNNEL, RQ_BACKOFF };
enum resp_state { RS_NONE, RS_WAIT, RS_BODY, RS_DONE, RS_TUNNEL };

struct buf {
	uint32_t len;
	char data[];
};

struct session {
	const struct mg_proxy_listener_conf *lc;
	struct mg_conn *down, *up;
	struct mg_tls_conn *tls;    /* client side over TLS; NULL: plaintext */
	struct mg_tls_conn *up_tls; /* upstream side over TLS; NULL: plaintext */
	bool sniffing; /* PERMISSIVE listener: TLS or not is decided by the first byte */
	bool virt;     /* the client side is an HTTP/2 stream (mg_proxy_attach) */
	bool virt_tls; /* ... of a connection over TLS */
	bool h2_known; /* an HTTP/2 listener's connection was found to speak HTTP/1.1 */
	struct mg_endpoint *ep;
	LIST_ENTRY(session) link; /* open sessions, for shutdown */
	struct buf *din, *uin;    /* unparsed input from the client, the upstream */
	struct buf *hout;         /* the request head to forward, kept until the response head */
	struct buf *replay;       /* request body bytes as sent upstream, for a retry */
	bool replayable;          /* <replay> holds every body byte sent so far */
	/* The exchange's routing (App Mesh): its cluster (holding a reference on the routing
	 * table), timeouts and retries, and its place in the circuit breaker. */
	struct mg_route_cluster *cluster;
	struct mg_route_policy pol;
	struct mg_route_waiter waiter;
	struct mg_upool_waiter upw; /* waiting for a connection to <ep> (its max_conns) */
	bool admitted, in_retry;
	bool head_sent;     /* the first attempt sent the head: din's head is consumed */
	bool up_reused;     /* the attempt's upstream connection came from the idle pool */
	bool stale_retried; /* the keep-alive race was already retried once */
	uint32_t attempts;
	uint32_t drain_len; /* a retriable response ends this many bytes into uin: keep the
	                     * connection instead of resetting it (0: reset it) */
	uint32_t deadline;  /* sys_now() by which the response head must come; 0: none */
	uint8_t rq, rs;
	bool down_close; /* close the client connection after this exchange */
	bool up_reusable;
	bool resp_started; /* bytes of the response reached the client */
	bool upgrade;      /* the request asked for a protocol upgrade (WebSocket) */
	bool grpc;     /* a gRPC request: gateway errors answer as gRPC (gateway/h2/mg_grpc.h) */
	bool down_eof; /* tunnel: the client half-closed, FIN passed on */
	bool up_eof;   /* tunnel: the upstream half-closed, FIN passed on */
	enum mg_h1_method method;
	uint32_t head_len; /* of the request head at the start of din */
	uint64_t req_left, resp_left;
	uint8_t req_body, resp_body; /* enum mg_h1_body */
	struct mg_h1_request req;    /* completeness scan of the request head */
	struct mg_h1_response resp;  /* completeness scan of the response head */
	struct mg_chunked req_ch, resp_ch;
	struct mg_obs_x obs; /* observability: metrics and access log of the exchange */
};

static struct {
	struct mg_pool sessions, bufs;
	uint32_t buf_size;
	struct mg_proxy_listener_conf listeners[MAX_LISTENERS];
	struct tcp_pcb *listener_pcbs[MAX_LISTENERS];
	unsigned int n_listeners;
	uint32_t n_virt; /* sessions serving HTTP/2 streams */
	LIST_HEAD(, session) open;
	struct mg_proxy_stats st;
	/* Per-worker scratch: used within one call, never across calls. */
	struct mg_h1_field fields[SCRATCH_FIELDS];
	struct mg_h1_field trailers[MAX_TRAILERS];
	char out[65536 + 4096];
} px;

static void pump_down(struct session *s);
static bool forward_request_body(struct session *s);
static void pump_tunnel(struct session *s);
static void pump_up(struct session *s);
static const struct mg_conn_ops down_ops, up_ops;

/* ---- buffers ----------------------------------------------------------------- */

static struct buf *
buf_get(void)
{
	return mg_pool_get_head(&px.bufs, sizeof(struct buf)); /* data[] is tracked by len */
}

/* Releases <*b> once it holds nothing. */
static void
buf_trim(struct buf **b)
{
	if (*b != NULL && (*b)->len == 0) {
		mg_pool_put(&px.bufs, *b);
		*b = NULL;
	}
}

static void
buf_consume(struct buf *b, size_t n)
{
	memmove(b->data, b->data + n, b->len - n);
	b->len -= (uint32_t)n;
}

/* ---- the two sides: plaintext or TLS ------------------------------------------------ */

/*
 * Each side of a session is a TCP connection <c> with, when it speaks TLS, a TLS connection
 * <t> over it (the client side: termination; the upstream side: origination).  The io_*
 * functions move plaintext on either kind, with mg_conn's conventions.
 */

/* Reads plaintext: as mg_conn_read(), and -EIO when TLS failed.  A TCP FIN without
 * close_notify after the handshake counts as the end of the stream, as browsers, curl and
 * many servers commonly end that way (HAProxy and Envoy accept it too). */
static int
io_read(struct mg_conn *c, struct mg_tls_conn *t, void *buf, size_t len)
{
	int n;

	if (t == NULL)
		return mg_conn_read(c, buf, len);
	n = mg_tls_read(t, buf, len);
	if (n >= 0)
		return n;
	if (n == MG_TLS_WANT_READ || n == MG_TLS_WANT_WRITE)
		return MG_CONN_AGAIN;
	if (mg_tls_conn_failure(t) == MG_TLS_FAIL_PEER_CLOSED && mg_tls_conn_handshake_done(t))
		return 0;
	return -EIO;
}

/* Writes plaintext; as mg_conn_write(). */
static int
io_write(struct mg_conn *c, struct mg_tls_conn *t, const void *buf, size_t len, bool more)
{
	size_t done = 0;
	int n;

	if (t == NULL)
		return mg_conn_write(c, buf, len, more);
	while (done < len) {
		n = mg_tls_write(t, (const char *)buf + done, len - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done == 0)
		return len == 0 ? 0 : MG_CONN_AGAIN;
	return (int)done;
}

/* Plaintext bytes a side takes now: under TLS, the send buffer less the records' framing (at
 * most 64 bytes per 8 KiB record, plus a margin), and nothing while an earlier record is
 * still queued inside the TLS layer. */
static size_t
io_space(const struct mg_conn *c, const struct mg_tls_conn *t)
{
	size_t space = mg_conn_send_space(c), framing;

	if (t == NULL)
		return space;
	framing = 512 + (space / 8192 + 1) * 64;
	if (mg_tls_want_flush(t) || space <= framing)
		return 0;
	return space - framing;
}

/* Reads from a side into <*b> (taking a buffer if needed).  Returns bytes read, 0 at EOF
 * with nothing buffered, MG_CONN_AGAIN, -ENOMEM, or -EIO (TLS failed).  Under TLS the read
 * is always tried: plaintext may wait inside the TLS layer with nothing in TCP. */
static int
io_fill(struct buf **b, struct mg_conn *c, struct mg_tls_conn *t)
{
	int n;

	if (*b == NULL) {
		if (t == NULL && mg_conn_rx_avail(c) == 0)
			return mg_conn_rx_eof(c) ? 0 : MG_CONN_AGAIN;
		*b = buf_get();
		if (*b == NULL)
			return -ENOMEM;
		(*b)->len = 0;
	}
	if ((*b)->len == px.buf_size)
		return MG_CONN_AGAIN;
	n = io_read(c, t, (*b)->data + (*b)->len, px.buf_size - (*b)->len);
	if (n > 0)
		(*b)->len += (uint32_t)n;
	else
		buf_trim(b);
	return n;
}

static int
down_write(struct session *s, const void *buf, size_t len, bool more)
{
	if (s->rs == RS_BODY || s->rs == RS_TUNNEL)
		s->obs.tx_bytes += len; /* obs: body bytes sent */
	return io_write(s->down, s->tls, buf, len, more);
}

static size_t
down_space(const struct session *s)
{
	return io_space(s->down, s->tls);
}

/* Whether reading the client side may yield something (plaintext may wait inside TLS). */
static bool
down_maybe_readable(const struct session *s)
{
	return s->tls != NULL || mg_conn_rx_avail(s->down) > 0 || mg_conn_rx_eof(s->down);
}

static int
down_fill(struct session *s)
{
	return io_fill(&s->din, s->down, s->tls);
}

static int
up_write(struct session *s, const void *buf, size_t len, bool more)
{
	if (s->rq == RQ_BODY || s->rq == RQ_TUNNEL)
		s->obs.rx_bytes += len; /* obs: body bytes received */
	return io_write(s->up, s->up_tls, buf, len, more);
}

static size_t
up_space(const struct session *s)
{
	return io_space(s->up, s->up_tls);
}

/* io_fill() for the upstream side; 0 (EOF) when the session has no upstream connection. */
static int
up_fill(struct session *s)
{
	return s->up != NULL ? io_fill(&s->uin, s->up, s->up_tls) : 0;
}

/* ---- session lifetime ----------------------------------------------------------- */

/*
 * Ends the exchange's hold on what routing lent it: its place in the circuit breaker (which
 * may let a waiting exchange go), the retry budget, its endpoint and the routing table, and
 * the kept head and replay buffers.
 */
static void
exchange_release(struct session *s)
{
	if (s->cluster != NULL) {
		struct mg_route_cluster *c = s->cluster;

		s->cluster = NULL;
		mg_route_cluster_cancel(c, &s->waiter);
		if (s->in_retry)
			mg_route_cluster_retry_end(c);
		s->in_retry = false;
		if (s->admitted)
			mg_route_cluster_done(c);
		s->admitted = false;
		mg_route_table_unref(mg_route_cluster_table(c));
	}
	if (s->hout != NULL)
		mg_pool_put(&px.bufs, s->hout);
	s->hout = NULL;
	if (s->replay != NULL)
		mg_pool_put(&px.bufs, s->replay);
	s->replay = NULL;
	if (s->ep != NULL) {
		mg_upool_cancel(s->ep, &s->upw);
		mg_endpoint_unref(s->ep);
	}
	s->ep = NULL;
}

static void
session_free(struct session *s)
{
	LIST_REMOVE(s, link);
	mg_obs_end(&s->obs);
	if (!s->virt)
		mg_obs_conn_close(s->lc->port);
	if (s->din != NULL)
		mg_pool_put(&px.bufs, s->din);
	if (s->uin != NULL)
		mg_pool_put(&px.bufs, s->uin);
	exchange_release(s);
	mg_tls_conn_free(s->tls);
	if (!s->virt)
		px.st.active_sessions--; /* client connections: HTTP/2 streams are not */
	else
		px.n_virt--;
	mg_pool_put(&px.sessions, s);
}

/* Drops the upstream connection: back to the pool when it may be reused. */
static void
up_release(struct session *s, bool reusable)
{
	if (s->up == NULL)
		return;
	if (s->uin != NULL && s->uin->len > 0)
		reusable = false; /* the upstream sent more than the response */
	mg_upool_release(s->ep, s->up, s->up_tls, reusable);
	s->up = NULL;
	s->up_tls = NULL;
	if (s->uin != NULL)
		s->uin->len = 0;
	buf_trim(&s->uin);
}

/* Frees the upstream side's TLS connection (the TCP one is gone or going), counting <why>
 * as the handshake's failure if it had not completed. */
static void
up_tls_drop(struct session *s, enum mg_tls_failure why)
{
	if (s->up_tls == NULL)
		return;
	mg_tls_conn_abort(s->up_tls, why);
	mg_tls_conn_free(s->up_tls);
	s->up_tls = NULL;
}

/* Resets the upstream connection. */
static void
up_abort(struct session *s)
{
	if (s->up == NULL)
		return;
	up_tls_drop(s, MG_TLS_FAIL_OTHER);
	mg_conn_abort(s->up);
	mg_upool_forget(s->ep);
	s->up = NULL;
}

/* Ends the session: the client connection is closed (after queued output)
 * or reset. */
static void
session_end(struct session *s, bool reset)
{
	up_abort(s);
	if (reset) {
		if (s->tls != NULL)
			mg_tls_conn_abort(s->tls, MG_TLS_FAIL_OTHER);
		mg_conn_abort(s->down);
	} else {
		if (s->tls != NULL && mg_tls_conn_handshake_done(s->tls))
			mg_tls_close_notify(s->tls); /* best effort, queued before the FIN */
		mg_conn_close(s->down);
	}
	session_free(s);
}

static void
count_status(int status)
{
	px.st.responses++;
	if (status >= 100 && status < 600)
		px.st.status_class[status / 100]++;
}

/*
 * Records why the gateway answered <status> (5xx) in the event log: the client, the upstream
 * endpoint if one was chosen, and <detail>.
 */
static void
log_failure(const struct session *s, int status, const char *detail)
{
	char cip[INET_ADDRSTRLEN], uip[INET_ADDRSTRLEN];
	uint32_t addr;
	uint16_t port;

	mg_conn_peer(s->down, &addr, &port);
	inet_ntop(AF_INET, &addr, cip, sizeof(cip));
	if (s->ep == NULL) {
		mg_evlog("%d to client %s:%u: %s", status, cip, port, detail);
		return;
	}
	inet_ntop(AF_INET, &s->ep->addr, uip, sizeof(uip));
	mg_evlog("%d to client %s:%u: %s (upstream %s:%u%s)", status, cip, port, detail, uip,
	         s->ep->port, s->ep->tls != NULL ? ", TLS" : "");
}

/*
 * Answers the client with a gateway-generated error and ends the session
 * once it is sent.  If part of a response already went out, the client
 * connection is reset instead (a truncated response must not look whole).
 */
static void
session_fail_extra(struct session *s, int status, const char *detail, const char *extra)
{
	ssize_t n;

	mg_obs_fail(&s->obs, s->lc->port, s->down, status);
	if (status >= 500)
		log_failure(s, status, detail);
	if (s->resp_started) {
		session_end(s, true);
		return;
	}
	if (s->grpc)
		n = mg_grpc_write_error(px.out, sizeof(px.out), status, detail, strlen(detail),
		                        extra, extra != NULL ? strlen(extra) : 0);
	else
		n = mg_http_write_error(px.out, sizeof(px.out), status, detail, strlen(detail),
		                        extra, extra != NULL ? strlen(extra) : 0,
		                        s->method == MG_H1_M_HEAD);
	if (n > 0) {
		/* BYTES_SENT counts the body, also of the gateway's own answers. */
		const char *eoh = memmem(px.out, (size_t)n, "\r\n\r\n", 4);

		if (eoh != NULL)
			s->obs.tx_bytes += (uint64_t)(px.out + n - (eoh + 4));
		down_write(s, px.out, (size_t)n, false);
	}
	count_status(status);
	session_end(s, false);
}

static void
session_fail(struct session *s, int status, const char *detail)
{
	session_fail_extra(s, status, detail, NULL);
}

/* ---- request side ------------------------------------------------------------------ */

static bool
field_is(const struct mg_h1_field *f, const char *name)
{
	return mg_http_ieq(f->name.p, f->name.len, name);
}

/*
 * Writes the request head to forward into px.out: request line in
 * origin-form as HTTP/1.1, the client's fields minus hop-by-hop ones and
 * those the gateway sets itself, then Host (if the client sent none), the
 * framing field, X-Forwarded-For/-Proto/-Port, X-Request-Id and traceparent
 * (gateway/obs/mg_trace.h).  Returns the length, or -ENOSPC.
 */
static ssize_t
build_request_head(struct session *s, const struct mg_h1_request *r,
                   const struct mg_proxy_route *rt)
{
	const struct mg_h1_head *h = &r->head;
	char *o = px.out, *end = px.out + sizeof(px.out);
	char ip[INET_ADDRSTRLEN], rid[MG_HTTP_UUID_LEN];
	const struct mg_h1_field *f;
	bool have_rid = false;
	/* W3C trace context: continue a valid trace with the gateway's span, else start one. */
	char tp[MG_TRACEPARENT_LEN];
	const uint64_t trnd[3] = {rte_rand(), rte_rand(), rte_rand()};
	bool keep_ts = mg_trace_propagate(h->fields, h->nfields, trnd, tp);
	uint32_t addr;
	uint16_t port;
	size_t target_len;
	ssize_t n;
	unsigned int i;

#define PUT(p, l)                                                                                  \
	do {                                                                                       \
		if ((size_t)(end - o) < (l))                                                       \
			return -ENOSPC;                                                            \
		memcpy(o, (p), (l));                                                               \
		o += (l);                                                                          \
	} while (0)
#define PUTS(lit) PUT(lit, sizeof(lit) - 1)
#define ADD(call)                                                                                  \
	do {                                                                                       \
		n = (call);                                                                        \
		if (n < 0)                                                                         \
			return -ENOSPC;                                                            \
		o += n;                                                                            \
	} while (0)

	PUT(r->method.p, r->method.len);
	PUTS(" ");
	if (rt->target != NULL) {
		PUT(rt->target, rt->target_len);
	} else if (r->form == MG_H1_FORM_ORIGIN || r->form == MG_H1_FORM_ABSOLUTE) {
		target_len = r->query.p != NULL ? (size_t)(r->query.p + r->query.len - r->path.p)
		                                : r->path.len;
		if (r->path.len == 0)
			PUTS("/");
		PUT(r->path.p, target_len);
	} else {
		PUT(r->target.p, r->target.len);
	}
	PUTS(" HTTP/1.1\r\n");

	for (i = 0; i < h->nfields; i++) {
		f = &h->fields[i];
		if (mg_http_is_hop_by_hop(f->name.p, f->name.len, h) ||
		    field_is(f, "content-length") || field_is(f, "x-forwarded-for") ||
		    field_is(f, "x-forwarded-proto") || field_is(f, "x-forwarded-port") ||
		    (rt->host != NULL && field_is(f, "host")) || field_is(f, "traceparent") ||
		    (!keep_ts && field_is(f, "tracestate")))
			continue;
		if (rt->authn != NULL && mg_jwt_outcome_drops(rt->authn, i))
			continue; /* the token, or a spoofed claim header */
		if (field_is(f, "x-request-id")) {
			if (have_rid || !mg_http_request_id_valid(f->value.p, f->value.len))
				continue;
			have_rid = true;
		}
		ADD(mg_http_write_field(o, (size_t)(end - o), f->name.p, f->name.len, f->value.p,
		                        f->value.len));
	}
	for (i = 0; rt->authn != NULL && i < rt->authn->n_add; i++)
		ADD(mg_http_write_field(o, (size_t)(end - o), rt->authn->add[i].name.p,
		                        rt->authn->add[i].name.len, rt->authn->add[i].value.p,
		                        rt->authn->add[i].value.len));
	if (rt->host != NULL) {
		/* Rewritten by the route (App Mesh: the target virtual service's name). */
		ADD(mg_http_write_field(o, (size_t)(end - o), "Host", 4, rt->host, rt->host_len));
	} else if (r->host.p == NULL) {
		/* HTTP/1.0 without Host: name the upstream. */
		struct in_addr a = {.s_addr = s->ep->addr};
		char hv[32];
		int hl = snprintf(hv, sizeof(hv), "%s:%u", inet_ntoa(a), s->ep->port);

		ADD(mg_http_write_field(o, (size_t)(end - o), "Host", 4, hv, (size_t)hl));
	} else if (mg_http_field_find(h->fields, h->nfields, "host", NULL) == NULL) {
		ADD(mg_http_write_field(o, (size_t)(end - o), "Host", 4, r->host.p, r->host.len));
	}
	if (h->body == MG_H1_BODY_LENGTH)
		ADD(mg_http_write_content_length(o, (size_t)(end - o), h->content_length));
	else if (h->body == MG_H1_BODY_CHUNKED)
		PUTS("Transfer-Encoding: chunked\r\n");
	if (h->upgrade) {
		/* The hop-by-hop pair that asks the upstream to switch. */
		PUTS("Connection: Upgrade\r\n");
		ADD(mg_http_write_field(o, (size_t)(end - o), "Upgrade", 7, h->upgrade_value.p,
		                        h->upgrade_value.len));
	}
	mg_conn_peer(s->down, &addr, &port);
	ADD(mg_http_write_xff(o, (size_t)(end - o), h->fields, h->nfields, ip,
	                      mg_http_ip4(addr, ip)));
	ADD(mg_http_write_xfproto(o, (size_t)(end - o), s->lc->https));
	ADD(mg_http_write_xfport(o, (size_t)(end - o), s->lc->port));
	if (!have_rid) {
		uint64_t rnd[2] = {rte_rand(), rte_rand()};

		mg_http_uuid_v4((const uint8_t *)rnd, rid);
		mg_obs_request_id(&s->obs, rid, sizeof(rid));
		ADD(mg_http_write_field(o, (size_t)(end - o), "X-Request-Id", 12, rid,
		                        sizeof(rid)));
	}
	ADD(mg_http_write_field(o, (size_t)(end - o), "traceparent", 11, tp, sizeof(tp)));
	PUTS("\r\n");
	return o - px.out;
}

/* Re-parses the complete request head at the start of din into the scratch
 * fields.  Cannot fail: the scan already accepted these bytes. */
static void
reparse_request(struct session *s, struct mg_h1_request *r)
{
	mg_h1_request_init(r, px.fields, SCRATCH_FIELDS, &s->lc->limits);
	mg_h1_request_parse(r, s->din->data, s->head_len);
}

/* ---- exchanges: attempts, deadlines, retries ---------------------------------------- */

/* Milliseconds left before the response head is due (UINT32_MAX: no deadline); 0: late. */
static uint32_t
left_ms(const struct session *s)
{
	int32_t d;

	if (s->deadline == 0)
		return UINT32_MAX;
	d = (int32_t)(s->deadline - sys_now());
	return d > 0 ? (uint32_t)d : 0;
}

/* The request is complete: the per-request time starts (Envoy's route timeout runs from the
 * end of the request, so a slow upload is not cut by it). */
static void
arm_deadline(struct session *s)
{
	if (s->deadline != 0 || s->pol.per_request_ms == 0)
		return;
	s->deadline = sys_now() + s->pol.per_request_ms;
	if (s->deadline == 0)
		s->deadline = 1;
}

/* The deadline for the response head of this attempt: the per-try timeout, within what is
 * left of the per-request one. */
static uint32_t
wait_ms(const struct session *s)
{
	uint32_t left = left_ms(s), t = s->pol.per_try_ms;

	if (t == 0 || t > left)
		t = left;
	return t == UINT32_MAX ? 0 : (t > 0 ? t : 1);
}

static void attempt(struct session *s);

/*
 * Whether the failed attempt may be retried, and if so schedules it: the condition is in the
 * route's retry events, retries are left, the request is complete and its body is in the
 * replay buffer, nothing reached the client, time is left and the retry budget allows.  The
 * attempt's upstream connection is dropped; the retry waits a fully jittered exponential
 * back-off (25 ms base, 250 ms cap, as Envoy) on the client connection's timer, then goes to
 * another endpoint when there is one.  Returns true when a retry is scheduled.
 */
static bool
maybe_retry(struct session *s, uint32_t cond)
{
	uint32_t cap = 25, delay;

	/* Replayable: nothing was sent yet (a connection failure), or the whole request was and
	 * its body is kept. */
	if (s->cluster == NULL || s->attempts > s->pol.max_retries || !(s->pol.retry_on & cond) ||
	    (s->head_sent && (s->rq != RQ_DONE || !s->replayable)) || s->resp_started ||
	    left_ms(s) == 0)
		return false;
	if (!s->in_retry) {
		if (!mg_route_cluster_retry_begin(s->cluster))
			return false;
		s->in_retry = true;
	}
	if (s->drain_len != 0 && s->up != NULL && s->uin != NULL && s->uin->len >= s->drain_len) {
		/* The whole refused response is here: the connection stays usable. */
		buf_consume(s->uin, s->drain_len);
		up_release(s, s->up_reusable);
	} else {
		up_abort(s);
	}
	s->drain_len = 0;
	if (s->uin != NULL)
		s->uin->len = 0;
	buf_trim(&s->uin);
	s->rs = RS_NONE;
	s->rq = RQ_BACKOFF;
	/* 25 ms doubled per earlier retry, at most 250 ms. */
	if (s->attempts > 1)
		cap = s->attempts >= 5 ? 250 : 25u << (s->attempts - 1);
	if (cap > 250)
		cap = 250;
	delay = 1 + (uint32_t)(rte_rand() % cap);
	if (delay > left_ms(s))
		delay = left_ms(s) > 0 ? left_ms(s) : 1;
	px.st.retries++;
	mg_conn_set_deadline(s->down, delay);
	return true;
}

/* The back-off is over: the next attempt, on another endpoint when there is one. */
static void
retry_now(struct session *s)
{
	/* A static upstream (no cluster) retries only the keep-alive race, on itself. */
	struct mg_endpoint *ep =
	    s->cluster != NULL ? mg_route_cluster_pick(s->cluster, s->ep) : s->ep;

	mg_conn_set_deadline(s->down, 0);
	if (ep == NULL) {
		session_fail(s, 503, "no healthy upstream");
		return;
	}
	if (ep != s->ep) {
		mg_endpoint_ref(ep);
		mg_endpoint_unref(s->ep);
		s->ep = ep;
	}
	attempt(s);
}

/* Reports the attempt's outcome to outlier detection (routed exchanges only). */
static void
report(struct session *s, bool failed)
{
	if (s->cluster != NULL && s->ep != NULL &&
	    mg_route_cluster_report(s->cluster, s->ep, failed)) {
		char ip[INET_ADDRSTRLEN];

		px.st.ejections++;

		inet_ntop(AF_INET, &s->ep->addr, ip, sizeof(ip));
		mg_evlog("outlier detection: endpoint %s:%u of virtual node %s ejected (%u "
		         "time(s))",
		         ip, s->ep->port, mg_route_cluster_node(s->cluster), s->ep->times_ejected);
	}
}

/* An attempt could not reach the upstream (refused, unreachable, connect or TLS timeout,
 * TLS handshake failure): retry, or 503. */
static void
connect_failed(struct session *s, const char *detail)
{
	report(s, true);
	if (maybe_retry(s, MG_RETRY_CONNECT | MG_RETRY_SERVER_ERROR))
		return;
	session_fail(s, 503, detail);
}

/* The upstream connection is ready: send the request head kept in hout, then, on the first
 * attempt, as much of the body as fits; on a retry, the body bytes kept in replay.  Returns
 * false if the session ended. */
static bool
send_request_head(struct session *s)
{
	size_t n = s->hout->len, extra = s->head_sent && s->replay != NULL ? s->replay->len : 0;

	if (up_space(s) < n + extra) {
		session_fail(s, 431, "request head too large to forward");
		return false;
	}
	up_write(s, s->hout->data, n, s->req_body != MG_H1_BODY_NONE || extra > 0);
	mg_obs_upstream_sent(&s->obs);
	if (!s->head_sent) {
		s->head_sent = true;
		buf_consume(s->din, s->head_len);
		s->head_len = 0;
		if (s->req_body == MG_H1_BODY_CHUNKED)
			mg_chunked_init(&s->req_ch, NULL, px.trailers, MAX_TRAILERS);
		s->rq = s->req_body == MG_H1_BODY_NONE ||
		                (s->req_body == MG_H1_BODY_LENGTH && s->req_left == 0)
		            ? RQ_DONE
		            : RQ_BODY;
		if (s->rq == RQ_DONE)
			arm_deadline(s);
	} else {
		if (extra > 0)
			up_write(s, s->replay->data, extra, false);
		s->rq = RQ_DONE;
	}
	s->rs = RS_WAIT;
	mg_h1_response_init(&s->resp, NULL, 0, NULL, s->method);
	/* As Envoy's route timeout, the response head is due from the end of the request;
	 * while the body flows, the stream idle timeout applies. */
	mg_conn_set_deadline(s->up, s->rq == RQ_DONE ? wait_ms(s) : s->lc->idle_timeout_ms);
	mg_conn_set_deadline(s->down, 0);
	return s->rq != RQ_BODY || forward_request_body(s);
}

/* The endpoint can give a connection to an exchange that waited for one. */
static void
upool_wake(struct mg_upool_waiter *w)
{
	struct session *s = (struct session *)((char *)w - offsetof(struct session, upw));

	if (s->rq == RQ_QUEUED)
		attempt(s);
}

/* The circuit breaker has room again for a queued exchange. */
static void
waiter_wake(struct mg_route_waiter *w)
{
	struct session *s = (struct session *)((char *)w - offsetof(struct session, waiter));

	if (s->rq == RQ_QUEUED)
		attempt(s);
}

/*
 * One attempt of the exchange: through the cluster's circuit breaker (first attempt only: a
 * retry is already counted), then an upstream connection from the endpoint's pool.
 */
static void
attempt(struct session *s)
{
	bool fresh;
	int err = 0;

	if (s->cluster != NULL && !s->admitted) {
		switch (mg_route_cluster_admit(s->cluster, s->ep, &s->waiter)) {
		case MG_ADMIT_GO:
			s->admitted = true;
			break;
		case MG_ADMIT_WAIT:
			s->rq = RQ_QUEUED;
			mg_conn_set_deadline(s->down,
			                     s->deadline != 0 ? wait_ms(s) : s->pol.per_request_ms);
			return;
		case MG_ADMIT_OVERFLOW:
			px.st.upstream_overflows++;
			mg_obs_flag(&s->obs, MG_OBS_F_UO);
			/* As Envoy: at once, never retried, and marked for the client. */
			session_fail_extra(s, 503, "upstream overflow: the circuit breaker is open",
			                   "x-envoy-overloaded: true\r\n");
			return;
		}
	}
	s->attempts++;
	s->up = mg_upool_acquire(s->ep, &up_ops, s, &fresh, &s->up_tls, &err);
	if (s->up == NULL) {
		if (err == -EBUSY) {
			/* maxConnectionsPerEndpoint: wait for a connection, within the request's
			 * timeout (504 when none frees up), as Envoy's pending requests do. */
			s->attempts--;
			s->rq = RQ_QUEUED;
			mg_upool_wait(s->ep, &s->upw);
			mg_conn_set_deadline(s->down, s->deadline != 0 ? wait_ms(s)
			                              : s->pol.per_request_ms != 0
			                                  ? s->pol.per_request_ms
			                                  : s->lc->idle_timeout_ms);
		} else {
			px.st.upstream_connect_failures++;
			connect_failed(s, "upstream connect failed");
		}
		return;
	}
	s->up_reusable = true;
	s->resp_started = false;
	s->up_reused = !fresh;
	if (!fresh) {
		send_request_head(s);
		return;
	}
	s->rq = RQ_CONNECT;
	mg_conn_set_deadline(s->down, 0);
	mg_conn_set_deadline(s->up, s->lc->connect_timeout_ms < left_ms(s)
	                                ? s->lc->connect_timeout_ms
	                                : (left_ms(s) > 0 ? left_ms(s) : 1));
}

/*
 * An HTTPS-redirect listener answers every request with 308 Permanent Redirect (method and
 * body kept by the client) to the same host, path and query on the TLS listener's port, and
 * closes: a body the client may be sending is not read.
 */
static void
redirect_to_https(struct session *s, const struct mg_h1_request *r)
{
	size_t hlen = r->host.len, plen;
	int n;

	if (r->host.p == NULL) {
		session_fail(s, 400, "a redirect needs a Host");
		return;
	}
	/* The host without its port ("[v6]:port" keeps the brackets). */
	while (hlen > 0 && r->host.p[hlen - 1] >= '0' && r->host.p[hlen - 1] <= '9')
		hlen--;
	if (hlen > 0 && hlen < r->host.len && r->host.p[hlen - 1] == ':')
		hlen--;
	else
		hlen = r->host.len;
	plen = r->query.p != NULL ? (size_t)(r->query.p + r->query.len - r->path.p) : r->path.len;
	if (hlen + plen > 8192) {
		session_fail(s, 414, "target too long to redirect");
		return;
	}
	n = snprintf(px.out, sizeof(px.out),
	             "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://%.*s:%u%.*s%s\r\n"
	             "Content-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	             (int)hlen, r->host.p, s->lc->redirect_port, (int)plen, r->path.p,
	             plen == 0 ? "/" : "");
	s->down_close = true;
	if (n > 0 && (size_t)n < sizeof(px.out))
		down_write(s, px.out, (size_t)n, false);
	count_status(308);
	mg_obs_status(&s->obs, 308);
	session_end(s, false);
}

/*
 * Marks a gRPC request (Content-Type application/grpc*) and returns its grpc-timeout in ms,
 * UINT64_MAX when it has none (or an invalid one, which gRPC servers ignore too).
 */
static uint64_t
grpc_begin(struct session *s, const struct mg_h1_request *r)
{
	uint64_t ms = UINT64_MAX, v;
	unsigned int i;

	s->grpc = false;
	for (i = 0; i < r->head.nfields; i++) {
		const struct mg_h1_field *f = &r->head.fields[i];

		if (field_is(f, "content-type"))
			s->grpc = mg_grpc_is_grpc(f->value.p, f->value.len);
		else if (field_is(f, "grpc-timeout") &&
		         mg_grpc_timeout_parse(f->value.p, f->value.len, &v) == 0)
			ms = v;
	}
	return s->grpc ? ms : UINT64_MAX;
}

/*
 * The grpcRetryEvents a gRPC response head carries: its grpc-status (a Trailers-Only answer,
 * or a status in the headers).  A grpc-status in trailers comes after the response has
 * started and is not retried (as Envoy).
 */
static uint32_t
grpc_status_cond(const struct mg_h1_field *f)
{
	if (f == NULL)
		return 0;
	if (f->value.len == 1 && f->value.p[0] == '1')
		return MG_RETRY_GRPC_CANCELLED;
	if (f->value.len == 1 && f->value.p[0] == '4')
		return MG_RETRY_GRPC_DEADLINE_EXCEEDED;
	if (f->value.len == 1 && f->value.p[0] == '8')
		return MG_RETRY_GRPC_RESOURCE_EXHAUSTED;
	if (f->value.len == 2 && memcmp(f->value.p, "13", 2) == 0)
		return MG_RETRY_GRPC_INTERNAL;
	if (f->value.len == 2 && memcmp(f->value.p, "14", 2) == 0)
		return MG_RETRY_GRPC_UNAVAILABLE;
	return 0;
}

static uint32_t
grpc_retry_cond(const struct mg_h1_response *r)
{
	if (r->status != 200)
		return 0;
	return grpc_status_cond(
	    mg_http_field_find(r->head.fields, r->head.nfields, "grpc-status", NULL));
}

#define MG_RETRY_GRPC_ANY                                                                          \
	(MG_RETRY_GRPC_CANCELLED | MG_RETRY_GRPC_DEADLINE_EXCEEDED |                               \
	 MG_RETRY_GRPC_RESOURCE_EXHAUSTED | MG_RETRY_GRPC_INTERNAL | MG_RETRY_GRPC_UNAVAILABLE)

/*
 * grpc-status in the trailers.  A gRPC response that starts (HTTP 200, no grpc-status in the
 * head) and fails later carries its status in the trailers: while nothing of it has reached
 * the client it can still be retried.  With a route that retries on gRPC events and a retry
 * left, the gateway holds such a response back until its trailers are in, if it fits in one
 * buffer (unary calls; a stream that fills the buffer is passed on and no longer retried).
 * <head_len> is the response head's length at the start of uin.  Returns 1 with *<cond> (the
 * trailers' retry condition) and *<total> (the response's length) when the whole response is
 * here, 0 to wait for more, -1 when it is not held.
 */
static int
grpc_trailer_cond(struct session *s, const struct mg_h1_response *r, uint32_t head_len,
                  uint32_t *cond, uint32_t *total)
{
	struct mg_chunked_span sp;
	struct mg_chunked d;
	size_t off = head_len;

	if (!s->grpc || r->status != 200 || r->head.body != MG_H1_BODY_CHUNKED ||
	    !(s->pol.retry_on & MG_RETRY_GRPC_ANY) || s->attempts > s->pol.max_retries ||
	    s->cluster == NULL || left_ms(s) == 0 ||
	    mg_http_field_find(r->head.fields, r->head.nfields, "grpc-status", NULL) != NULL)
		return -1;
	mg_chunked_init(&d, NULL, px.trailers, MAX_TRAILERS);
	while (!mg_chunked_done(&d) && off < s->uin->len) {
		ssize_t n = mg_chunked_decode(&d, s->uin->data + off, s->uin->len - off, &sp);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (!mg_chunked_done(&d)) {
		if (d.reason != MG_CHUNKED_OK || s->uin->len == px.buf_size || s->up == NULL ||
		    (s->up_tls == NULL && mg_conn_rx_eof(s->up)))
			return -1; /* malformed (the body path reports it), too big, or ending */
		return 0;
	}
	*cond = grpc_status_cond(mg_http_field_find(px.trailers, d.ntrailers, "grpc-status", NULL));
	*total = (uint32_t)off;
	return 1;
}

/* A request head is complete in din: route it, build the head to forward, and make the
 * first attempt. */
static void
start_exchange(struct session *s)
{
	struct mg_proxy_route rt = {0};
	struct mg_h1_request r;
	uint64_t grpc_ms;
	ssize_t n;

	px.st.requests++;
	reparse_request(s, &r);
	grpc_ms = grpc_begin(s, &r);
	mg_obs_begin_conn(&s->obs, s->lc->port, &r, s->down);
	s->method = r.method_id;
	if (!r.head.keep_alive)
		s->down_close = true;
	if (r.method_id == MG_H1_M_CONNECT) {
		session_fail(s, 501, "CONNECT is not supported by a gateway");
		return;
	}
	s->upgrade = r.head.upgrade;
	if (s->lc->redirect_port != 0) {
		redirect_to_https(s, &r);
		return;
	}
	s->lc->route(s->lc->route_arg, &r, s->lc->port, s->tls != NULL || s->virt_tls, &rt);
	if (rt.ep == NULL) {
		mg_obs_unrouted(&s->obs, mg_obs_take_route());
		if (rt.authn_denied)
			mg_obs_flag(&s->obs, MG_OBS_F_UAEX);
		else
			px.st.unrouted++;
		session_fail_extra(s, rt.status != 0 ? rt.status : 404,
		                   rt.detail != NULL ? rt.detail : "no route for this request",
		                   rt.extra);
		return;
	}
	s->ep = rt.ep;
	mg_obs_routed(&s->obs, mg_obs_take_route(), rt.ep->addr, rt.ep->port);
	mg_endpoint_ref(s->ep);
	s->attempts = 0;
	s->stale_retried = false;
	s->deadline = 0;
	if (rt.cluster != NULL) {
		s->cluster = rt.cluster;
		mg_route_table_ref(mg_route_cluster_table(rt.cluster));
		s->pol = rt.policy;
	} else {
		/* The static upstream: the default response timeout, no retries. */
		memset(&s->pol, 0, sizeof(s->pol));
		s->pol.per_request_ms = s->lc->response_timeout_ms;
	}
	/* grpc-timeout shortens the route's timeout, never lengthens it (0m: already expired). */
	if (grpc_ms != UINT64_MAX &&
	    (s->pol.per_request_ms == 0 || grpc_ms < s->pol.per_request_ms))
		s->pol.per_request_ms = grpc_ms == 0 ? 1 : (uint32_t)grpc_ms;
	s->head_sent = false;
	s->req_body = (uint8_t)r.head.body;
	s->req_left = r.head.content_length;
	/* A body can be replayed to a retry when it fits in one buffer (docs/RESILIENCE.md). */
	s->replayable = s->cluster != NULL && s->pol.max_retries > 0;
	n = build_request_head(s, &r, &rt);
	if (n < 0 || (size_t)n > px.buf_size) {
		session_fail(s, 431, "request head too large to forward");
		return;
	}
	s->hout = buf_get();
	if (s->hout == NULL) {
		session_fail(s, 503, "out of buffers");
		return;
	}
	memcpy(s->hout->data, px.out, (size_t)n);
	s->hout->len = (uint32_t)n;
	s->up_reusable = true;
	s->resp_started = false;
	if (r.expect_100_continue) {
		/* Routed: the body may come.  The upstream's own 100 is swallowed (see
		 * pump_up). */
		down_write(s, "HTTP/1.1 100 Continue\r\n\r\n", 25, false);
	}
	attempt(s);
}

/*
 * Compacts <t>[0 .. <n> - 1] to the trailer fields that may be forwarded and returns their
 * count: those mg_http_trailer_allowed() accepts.  Fields that frame, route, authenticate or
 * control (Content-Length, Transfer-Encoding, Host, Authorization, the hop-by-hop ones, ...)
 * mean nothing in a trailer section and could fool a recipient that merges trailers into the
 * head (RFC 9110 section 6.5.1): they are dropped.
 */
static unsigned int
forwardable_trailers(struct mg_h1_field *t, unsigned int n)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++)
		if (mg_http_trailer_allowed(t[i].name.p, t[i].name.len))
			t[k++] = t[i];
	return k;
}

/* Writes request body bytes (with the gateway's framing) upstream, keeping a copy for a
 * retry while the whole body fits in one buffer. */
static void
body_write(struct session *s, const void *p, size_t n, bool more)
{
	up_write(s, p, n, more);
	if (!s->replayable)
		return;
	if (s->replay == NULL) {
		s->replay = buf_get();
		if (s->replay == NULL) {
			s->replayable = false;
			return;
		}
		s->replay->len = 0;
	}
	if (s->replay->len + n > px.buf_size) {
		s->replayable = false;
		mg_pool_put(&px.bufs, s->replay);
		s->replay = NULL;
		return;
	}
	memcpy(s->replay->data + s->replay->len, p, n);
	s->replay->len += (uint32_t)n;
}

/* Forwards request body bytes from din / the client to the upstream. */
static bool
forward_request_body(struct session *s)
{
	struct mg_chunked_span sp;
	char line[MG_CHUNKED_SIZE_LINE_MAX];
	size_t space, take;
	ssize_t used;
	int n;

	for (;;) {
		space = up_space(s);
		if (space <= OUT_SLACK ||
		    (s->req_body == MG_H1_BODY_CHUNKED && space < END_ROOM + OUT_SLACK))
			return true; /* `writable' on the upstream resumes */
		if (s->din == NULL || s->din->len == 0) {
			n = down_fill(s);
			if (n == MG_CONN_AGAIN)
				return true;
			if (n == 0) {
				/* Client closed mid-body: the request is incomplete. */
				px.st.client_aborts++;
				session_end(s, true);
				return false;
			}
			if (n < 0) {
				session_fail(s, 503, "out of buffers");
				return false;
			}
		}
		if (s->rs == RS_WAIT)
			mg_conn_set_deadline(s->up, s->lc->idle_timeout_ms); /* progress */
		if (s->req_body == MG_H1_BODY_LENGTH) {
			take = s->din->len;
			if (take > s->req_left)
				take = (size_t)s->req_left;
			if (take > space)
				take = space;
			body_write(s, s->din->data, take, take < s->req_left);
			buf_consume(s->din, take);
			s->req_left -= take;
			if (s->req_left == 0)
				break;
			continue;
		}
		/* Chunked: decode, then write each data run with our own framing. */
		used = mg_chunked_decode(
		    &s->req_ch, s->din->data,
		    s->din->len < space - OUT_SLACK ? s->din->len : space - OUT_SLACK, &sp);
		if (used < 0) {
			px.st.bad_requests++;
			session_fail(s, mg_chunked_reason_status(s->req_ch.reason),
			             mg_chunked_reason_name(s->req_ch.reason));
			return false;
		}
		if (sp.data_len > 0) {
			n = mg_chunked_write_size(line, sizeof(line), sp.data_len);
			body_write(s, line, (size_t)n, true);
			body_write(s, sp.data, sp.data_len, true);
			body_write(s, "\r\n", 2, true);
		}
		if (mg_chunked_done(&s->req_ch)) {
			ssize_t e = mg_chunked_write_end(
			    px.out, sizeof(px.out), px.trailers,
			    forwardable_trailers(px.trailers, s->req_ch.ntrailers));

			if (e < 0 || up_space(s) < (size_t)e) { /* cannot happen: END_ROOM */
				session_fail(s, 400, "chunked trailer section too large");
				return false;
			}
			body_write(s, px.out, (size_t)e, false);
			buf_consume(s->din, (size_t)used);
			break;
		}
		buf_consume(s->din, (size_t)used);
		if (used == 0 && s->din->len == px.buf_size) {
			session_fail(s, 400, "chunked trailer section too large");
			return false;
		}
		if (used == 0) {
			/* Needs more bytes than din holds. */
			n = down_fill(s);
			if (n == MG_CONN_AGAIN)
				return true;
			if (n == 0) {
				px.st.client_aborts++;
				session_end(s, true);
				return false;
			}
		}
	}
	s->rq = RQ_DONE;
	arm_deadline(s);
	if (s->rs == RS_WAIT)
		mg_conn_set_deadline(s->up, wait_ms(s));
	return true;
}

static void finish_exchange(struct session *s);

/* Moves the client's side along. */
static void
pump_down(struct session *s)
{
	int n, rc;

	for (;;) {
		switch (s->rq) {
		case RQ_IDLE:
		case RQ_HEAD:
			n = down_fill(s);
			if (n == -ENOMEM) {
				session_fail(s, 503, "out of buffers");
				return;
			}
			if (s->din == NULL || s->din->len == 0) {
				if (n == 0)
					session_end(s, false); /* client done */
				return;
			}
			if (s->rq == RQ_IDLE) {
				s->rq = RQ_HEAD;
				mg_h1_request_init(&s->req, NULL, 0, &s->lc->limits);
				mg_conn_set_deadline(s->down, s->lc->header_timeout_ms);
			}
			rc = mg_h1_request_parse(&s->req, s->din->data, s->din->len);
			if (rc == MG_H1_INCOMPLETE) {
				if (n == 0 || (s->tls == NULL && mg_conn_rx_eof(s->down)))
					session_end(s, false); /* truncated head */
				return;
			}
			if (rc == MG_H1_ERROR) {
				px.st.bad_requests++;
				s->grpc = false;
				s->method = s->req.method_id;
				session_fail(s, s->req.head.err_status,
				             mg_h1_reason_text(s->req.head.err_reason));
				return;
			}
			s->head_len = (uint32_t)rc;
			start_exchange(s);
			return;
		case RQ_TUNNEL:
			pump_tunnel(s);
			return;
		case RQ_BODY:
			if (!forward_request_body(s))
				return;
			if (s->rq == RQ_DONE && s->rs == RS_DONE)
				finish_exchange(s);
			return;
		default:
			/* RQ_CONNECT waits for the upstream; RQ_DONE leaves
			 * pipelined bytes unread until the response is done. */
			return;
		}
	}
}

/* ---- response side ------------------------------------------------------------------ */

/*
 * Writes the response head to send to the client into px.out: status line
 * as HTTP/1.1, the upstream's fields minus hop-by-hop ones, the framing
 * field, and Connection: close when the client connection ends after it.
 */
static ssize_t
build_response_head(struct session *s, const struct mg_h1_response *r)
{
	const struct mg_h1_head *h = &r->head;
	char *o = px.out, *end = px.out + sizeof(px.out);
	ssize_t n;
	unsigned int i;

	/* The parser guarantees a three-digit status (100-999). */
	memcpy(o, "HTTP/1.1 ", 9);
	o[9] = (char)('0' + r->status / 100);
	o[10] = (char)('0' + r->status / 10 % 10);
	o[11] = (char)('0' + r->status % 10);
	o[12] = ' ';
	o += 13;
	PUT(r->reason.p, r->reason.len);
	PUTS("\r\n");
	for (i = 0; i < h->nfields; i++) {
		const struct mg_h1_field *f = &h->fields[i];

		if (mg_http_is_hop_by_hop(f->name.p, f->name.len, h) ||
		    field_is(f, "content-length"))
			continue;
		ADD(mg_http_write_field(o, (size_t)(end - o), f->name.p, f->name.len, f->value.p,
		                        f->value.len));
	}
	if (h->has_content_length &&
	    (h->body == MG_H1_BODY_LENGTH || s->method == MG_H1_M_HEAD || r->status == 304))
		ADD(mg_http_write_content_length(o, (size_t)(end - o), h->content_length));
	else if (h->body == MG_H1_BODY_CHUNKED)
		PUTS("Transfer-Encoding: chunked\r\n");
	if (h->body == MG_H1_BODY_TUNNEL) {
		PUTS("Connection: Upgrade\r\n");
		ADD(mg_http_write_field(o, (size_t)(end - o), "Upgrade", 7, h->upgrade_value.p,
		                        h->upgrade_value.len));
	} else if (s->down_close) {
		PUTS("Connection: close\r\n");
	}
	PUTS("\r\n");
	return o - px.out;
#undef PUT
#undef PUTS
#undef ADD
}

/* A response head is complete at the start of uin (<len> bytes). */
static bool
send_response_head(struct session *s, uint32_t len)
{
	struct mg_h1_response r;
	size_t body_now = 0;
	ssize_t n;

	mg_h1_response_init(&r, px.fields, SCRATCH_FIELDS, NULL, s->method);
	mg_h1_response_parse(&r, s->uin->data, len);
	if (r.interim) {
		/* 1xx: the client already has our 100 Continue if it asked;
		 * others (102, 103) are dropped.  The final response follows. */
		buf_consume(s->uin, len);
		mg_h1_response_init(&s->resp, NULL, 0, NULL, s->method);
		return true;
	}
	if (r.head.body == MG_H1_BODY_TUNNEL && !s->upgrade) {
		px.st.upstream_bad_responses++;
		session_fail(s, 502, "upstream switched protocols unasked");
		return false;
	}
	if (!r.head.keep_alive)
		s->up_reusable = false;
	if (r.head.body == MG_H1_BODY_EOF)
		s->down_close = true; /* the client can only see its end by a close */
	n = build_response_head(s, &r);
	if (n < 0) {
		px.st.upstream_bad_responses++;
		session_fail(s, 502, "response head too large");
		return false;
	}
	if (down_space(s) < (size_t)n)
		return false; /* wait for room: `writable' on the client resumes */
	/* The attempt's outcome: outlier detection counts 5xx; a retriable status is retried
	 * unless the upstream says it is overloaded (Envoy's rule). */
	report(s, r.status >= 500);
	if (mg_http_field_find(r.head.fields, r.head.nfields, "x-envoy-overloaded", NULL) == NULL) {
		uint32_t cond = 0;

		if (r.status >= 500)
			cond |= MG_RETRY_SERVER_ERROR;
		if (r.status == 502 || r.status == 503 || r.status == 504)
			cond |= MG_RETRY_GATEWAY_ERROR;
		if (r.status == 503)
			cond |= MG_RETRY_503;
		if (r.status == 409)
			cond |= MG_RETRY_CLIENT_ERROR;
		if (s->grpc)
			cond |= grpc_retry_cond(&r);
		s->drain_len = 0;
		if (r.head.keep_alive && (r.head.body == MG_H1_BODY_NONE ||
		                          (r.head.body == MG_H1_BODY_LENGTH &&
		                           r.head.content_length <= s->uin->len - len)))
			s->drain_len =
			    len +
			    (r.head.body == MG_H1_BODY_NONE ? 0 : (uint32_t)r.head.content_length);
		if (cond == 0) {
			uint32_t tcond = 0, total = 0;

			switch (grpc_trailer_cond(s, &r, len, &tcond, &total)) {
			case 0:
				return false; /* hold it: more of the response comes (pump_up) */
			case 1:
				cond |= tcond;
				if (r.head.keep_alive)
					s->drain_len = total;
				break;
			default:
				break;
			}
		}
		if (cond != 0 && maybe_retry(s, cond))
			return false;
		s->drain_len = 0;
	}
	/* From here nothing is retried: the kept request is not needed any more. */
	if (s->hout != NULL)
		mg_pool_put(&px.bufs, s->hout);
	s->hout = NULL;
	if (s->replay != NULL)
		mg_pool_put(&px.bufs, s->replay);
	s->replay = NULL;
	s->replayable = false;
	/* Under TLS the head and as much of a length-delimited body as is here go out as one
	 * write: each write is a record of its own (its framing, tag and cipher set-up).  Without
	 * TLS the writes coalesce into the same segments anyway (mg_conn's deferred output), so
	 * the copy would buy nothing. */
	if (s->tls != NULL && r.head.body == MG_H1_BODY_LENGTH && r.head.content_length > 0) {
		size_t room = down_space(s) - (size_t)n;

		body_now = s->uin->len - len;
		if (body_now > r.head.content_length)
			body_now = (size_t)r.head.content_length;
		if (body_now > room)
			body_now = room;
		if (body_now > sizeof(px.out) - (size_t)n)
			body_now = sizeof(px.out) - (size_t)n;
		memcpy(px.out + n, s->uin->data + len, body_now);
		s->obs.tx_bytes += body_now; /* obs: body bytes sent */
	}
	down_write(s, px.out, (size_t)n + body_now,
	           r.head.body != MG_H1_BODY_NONE &&
	               (r.head.body != MG_H1_BODY_LENGTH || body_now < r.head.content_length));
	count_status(r.status);
	mg_obs_first_byte(&s->obs);
	mg_obs_status(&s->obs, r.status);
	s->resp_started = true;
	buf_consume(s->uin, len + body_now);
	s->resp_body = (uint8_t)r.head.body;
	s->resp_left = r.head.content_length - body_now;
	if (r.head.body == MG_H1_BODY_TUNNEL) {
		/* 101: from here on, bytes flow both ways until both sides close. */
		s->rq = RQ_TUNNEL;
		s->rs = RS_TUNNEL;
		s->up_reusable = false;
		s->down_close = true;
		mg_conn_set_deadline(s->up, s->lc->idle_timeout_ms);
		mg_conn_set_deadline(s->down, s->lc->idle_timeout_ms);
		return true;
	}
	if (r.head.body == MG_H1_BODY_CHUNKED)
		mg_chunked_init(&s->resp_ch, NULL, px.trailers, MAX_TRAILERS);
	s->rs = r.head.body == MG_H1_BODY_NONE ||
	                (r.head.body == MG_H1_BODY_LENGTH && s->resp_left == 0)
	            ? RS_DONE
	            : RS_BODY;
	mg_conn_set_deadline(s->up, s->lc->idle_timeout_ms);
	return true;
}

/* Forwards response body bytes from uin / the upstream to the client.
 * Returns false if the session ended. */
static bool
forward_response_body(struct session *s)
{
	struct mg_chunked_span sp;
	char line[MG_CHUNKED_SIZE_LINE_MAX];
	size_t space, take;
	ssize_t used;
	int n;

	for (;;) {
		space = down_space(s);
		if (space <= OUT_SLACK ||
		    (s->resp_body == MG_H1_BODY_CHUNKED && space < END_ROOM + OUT_SLACK))
			return true;
		if (s->uin == NULL || s->uin->len == 0) {
			n = up_fill(s);
			if (n == MG_CONN_AGAIN)
				return true;
			if (n == 0) {
				if (s->resp_body == MG_H1_BODY_EOF) {
					up_release(s, false);
					s->rs = RS_DONE;
					return true;
				}
				px.st.upstream_resets++;
				session_end(s, true); /* truncated response */
				return false;
			}
			if (n < 0) {
				session_end(s, true);
				return false;
			}
		}
		if (s->resp_body != MG_H1_BODY_CHUNKED) {
			take = s->uin->len;
			if (s->resp_body == MG_H1_BODY_LENGTH && take > s->resp_left)
				take = (size_t)s->resp_left;
			if (take > space)
				take = space;
			down_write(s, s->uin->data, take, false);
			buf_consume(s->uin, take);
			if (s->resp_body == MG_H1_BODY_LENGTH) {
				s->resp_left -= take;
				if (s->resp_left == 0)
					break;
			}
			continue;
		}
		used = mg_chunked_decode(
		    &s->resp_ch, s->uin->data,
		    s->uin->len < space - OUT_SLACK ? s->uin->len : space - OUT_SLACK, &sp);
		if (used < 0) {
			px.st.upstream_bad_responses++;
			session_end(s, true);
			return false;
		}
		/* Under TLS the chunk's size line, data and CRLF, and the last chunk if it ends
		 * here, go out as one write: each write is a record of its own.  Without TLS the
		 * three writes coalesce in TCP anyway. */
		size_t o = 0;
		if (sp.data_len > 0) {
			n = mg_chunked_write_size(line, sizeof(line), sp.data_len);
			if (s->tls != NULL && (size_t)n + sp.data_len + 2 <= sizeof(px.out)) {
				memcpy(px.out, line, (size_t)n);
				memcpy(px.out + n, sp.data, sp.data_len);
				memcpy(px.out + (size_t)n + sp.data_len, "\r\n", 2);
				o = (size_t)n + sp.data_len + 2;
			} else {
				down_write(s, line, (size_t)n, true);
				down_write(s, sp.data, sp.data_len, true);
				down_write(s, "\r\n", 2, true);
			}
		}
		if (mg_chunked_done(&s->resp_ch)) {
			ssize_t e = mg_chunked_write_end(
			    px.out + o, sizeof(px.out) - o, px.trailers,
			    forwardable_trailers(px.trailers, s->resp_ch.ntrailers));
			if (e < 0 || down_space(s) < o + (size_t)e) {
				session_end(s, true);
				return false;
			}
			down_write(s, px.out, o + (size_t)e, false);
			buf_consume(s->uin, (size_t)used);
			break;
		}
		if (o > 0)
			down_write(s, px.out, o, true);
		buf_consume(s->uin, (size_t)used);
		if (used == 0) {
			if (s->uin->len == px.buf_size) {
				px.st.upstream_bad_responses++;
				session_end(s, true);
				return false;
			}
			n = up_fill(s);
			if (n == MG_CONN_AGAIN)
				return true;
			if (n <= 0) {
				px.st.upstream_resets++;
				session_end(s, true);
				return false;
			}
		}
	}
	s->rs = RS_DONE;
	return true;
}

/*
 * Moves tunnel bytes from <from> (after those already in <*b>) to <to> as far
 * as <to> takes them; at EOF passes the half-close on.  Returns false if the
 * session ended.
 */
static bool
tunnel_move(struct session *s, bool upward)
{
	struct buf **b = upward ? &s->din : &s->uin;
	bool *eof = upward ? &s->down_eof : &s->up_eof;
	size_t space, take;
	int n;

	while (!*eof) {
		space = upward ? up_space(s) : down_space(s);
		if (space == 0)
			return true;
		if (*b == NULL || (*b)->len == 0) {
			n = upward ? down_fill(s) : up_fill(s);
			if (n == MG_CONN_AGAIN)
				break;
			if (n == 0) {
				*eof = true;
				if (upward ? s->up_tls != NULL : s->tls != NULL)
					mg_tls_close_notify(upward ? s->up_tls : s->tls);
				mg_conn_shutdown_write(upward ? s->up : s->down);
				break;
			}
			if (n < 0) {
				session_end(s, true);
				return false;
			}
		}
		take = (*b)->len < space ? (*b)->len : space;
		if (upward)
			up_write(s, (*b)->data, take, false);
		else
			down_write(s, (*b)->data, take, false);
		buf_consume(*b, take);
	}
	buf_trim(b);
	mg_conn_set_deadline(s->down, s->lc->idle_timeout_ms);
	mg_conn_set_deadline(s->up, s->lc->idle_timeout_ms);
	if (s->down_eof && s->up_eof) {
		session_end(s, false);
		return false;
	}
	return true;
}

static void
pump_tunnel(struct session *s)
{
	if (tunnel_move(s, true))
		tunnel_move(s, false);
}

/* The upstream went away before a complete response head: retry, or 502. */
static void
reset_before_head(struct session *s, const char *detail)
{
	/*
	 * The keep-alive race: a pooled connection the upstream closed just as the request went
	 * out, with nothing of a response.  A request without a body and with an idempotent
	 * method goes once more, at once, on another connection (nginx and HAProxy do the
	 * same); this is not the upstream failing, so outlier detection does not count it.
	 */
	if (s->up_reused && !s->stale_retried && !s->resp_started && s->rq == RQ_DONE &&
	    s->req_body == MG_H1_BODY_NONE &&
	    (s->method == MG_H1_M_GET || s->method == MG_H1_M_HEAD ||
	     s->method == MG_H1_M_OPTIONS || s->method == MG_H1_M_DELETE ||
	     s->method == MG_H1_M_TRACE) &&
	    (s->uin == NULL || s->uin->len == 0)) {
		s->stale_retried = true;
		px.st.stale_retries++;
		up_abort(s);
		buf_trim(&s->uin);
		s->rs = RS_NONE;
		s->attempts--;
		attempt(s);
		return;
	}
	report(s, true);
	if (maybe_retry(s, MG_RETRY_RESET | MG_RETRY_SERVER_ERROR))
		return;
	session_fail(s, 502, detail);
}

/* Moves the upstream's side along. */
static void
pump_up(struct session *s)
{
	int n, rc;

	if (s->rs == RS_TUNNEL) {
		pump_tunnel(s);
		return;
	}
	if (s->rs == RS_WAIT) {
		for (;;) {
			n = up_fill(s);
			if (n == -ENOMEM) {
				session_fail(s, 503, "out of buffers");
				return;
			}
			if (n == -EIO) {
				px.st.upstream_resets++;
				reset_before_head(s, "upstream TLS error");
				return;
			}
			if (s->uin == NULL || s->uin->len == 0) {
				if (n == 0) {
					px.st.upstream_resets++;
					reset_before_head(s, "upstream closed before responding");
				}
				return;
			}
			rc = mg_h1_response_parse(&s->resp, s->uin->data, s->uin->len);
			if (rc == MG_H1_INCOMPLETE) {
				if (n == 0 ||
				    (s->up != NULL && s->up_tls == NULL && mg_conn_rx_eof(s->up))) {
					px.st.upstream_resets++;
					reset_before_head(s, "upstream closed mid-response head");
				}
				return;
			}
			if (rc == MG_H1_ERROR) {
				px.st.upstream_bad_responses++;
				report(s, true);
				session_fail(s, 502, mg_h1_reason_text(s->resp.head.err_reason));
				return;
			}
			if (!send_response_head(s, (uint32_t)rc))
				return;
			if (s->rs != RS_WAIT)
				break; /* else an interim response: parse on */
		}
	}
	if (s->rs == RS_BODY && !forward_response_body(s))
		return;
	if (s->rs == RS_DONE && s->rq == RQ_DONE)
		finish_exchange(s);
}

/* Both directions are done: recycle the upstream connection and wait for the
 * next request, or close. */
static void
finish_exchange(struct session *s)
{
	mg_obs_end(&s->obs);
	up_release(s, s->up_reusable);
	exchange_release(s);
	s->rq = RQ_IDLE;
	s->rs = RS_NONE;
	s->method = MG_H1_M_OTHER;
	s->upgrade = false;
	if (s->down_close) {
		session_end(s, false);
		return;
	}
	buf_trim(&s->din);
	mg_conn_set_deadline(s->down, s->lc->idle_timeout_ms);
	if (s->din != NULL || down_maybe_readable(s))
		pump_down(s); /* a pipelined request, or the client's FIN */
}

/* ---- callbacks ----------------------------------------------------------------------- */

/*
 * Advances the TLS handshake on the client side.  Returns true once it is complete (the
 * request head deadline then starts), false while it waits or if it failed (the session
 * ended; the TLS layer counted the reason).
 */
static bool
tls_handshake_step(struct session *s)
{
	int rc = mg_tls_handshake(s->tls);

	if (rc == 0) {
		mg_conn_set_deadline(s->down, s->lc->header_timeout_ms);
		return true;
	}
	if (rc == MG_TLS_WANT_READ || rc == MG_TLS_WANT_WRITE)
		return false;
	session_end(s, true);
	return false;
}

/* PERMISSIVE listeners: the first byte says whether the client speaks TLS.  Returns false
 * while undecided or if the session ended. */
static bool
sniff(struct session *s)
{
	unsigned char first[8];
	size_t n = mg_conn_peek(s->down, first, sizeof(first));
	struct mg_tls_io io = {mg_conn_io_recv, mg_conn_io_send, s->down};

	switch (mg_tls_sniff(first, n)) {
	case MG_TLS_SNIFF_NEED_MORE:
		if (mg_conn_rx_eof(s->down))
			session_end(s, false);
		return false;
	case MG_TLS_SNIFF_TLS:
		s->sniffing = false;
		s->tls = mg_tls_accept(s->lc->tls, &io);
		if (s->tls == NULL) {
			session_end(s, true);
			return false;
		}
		return true;
	default:
		s->sniffing = false;
		return true;
	}
}

/*
 * HTTP/2 listeners: hands the connection to gateway/h2 when TLS negotiated "h2", or when a
 * plaintext client opened with the prior-knowledge preface.  Returns true when the session is
 * gone (handed over, or ended), false to serve HTTP/1.1 (or to wait for more bytes).
 */
static bool
h2_takeover(struct session *s)
{
	bool pk = false;
	int rc;

	if (!s->lc->h2 || s->h2_known || s->virt)
		return false;
	if (s->tls != NULL) {
		struct mg_tls_conn_info ti;

		if (mg_tls_conn_info(s->tls, &ti) != 0 || ti.alpn == NULL ||
		    strcmp(ti.alpn, "h2") != 0) {
			s->h2_known = true;
			return false;
		}
	} else {
		char first[24];
		size_t n = mg_conn_peek(s->down, first, sizeof(first));

		rc = mg_h2_preface(first, n);
		if (rc < 0 && !mg_conn_rx_eof(s->down))
			return true; /* a prefix of the preface: wait for more */
		if (rc <= 0) {
			s->h2_known = true;
			return false;
		}
		pk = true;
	}
	rc = mg_h2_serve(s->lc, s->down, s->tls, pk);
	if (rc != 0) {
		session_end(s, true);
		return true;
	}
	/* The connection and its TLS side belong to gateway/h2 now (it counts the close). */
	s->tls = NULL;
	s->down = NULL;
	LIST_REMOVE(s, link);
	mg_obs_end(&s->obs);
	mg_pool_put(&px.sessions, s); /* still counted active: mg_proxy_conn_gone() */
	return true;
}

static void
down_readable(struct mg_conn *c)
{
	struct session *s = mg_conn_owner(c);

	if (s->sniffing && !sniff(s))
		return;
	if (s->tls != NULL && !mg_tls_conn_handshake_done(s->tls) && !tls_handshake_step(s))
		return;
	if (h2_takeover(s))
		return;
	pump_down(s);
}

static void
down_writable(struct mg_conn *c)
{
	struct session *s = mg_conn_owner(c);

	if (s->tls != NULL) {
		if (!mg_tls_conn_handshake_done(s->tls)) {
			if (tls_handshake_step(s) && !h2_takeover(s))
				pump_down(s);
			return;
		}
		if (mg_tls_want_flush(s->tls) && mg_tls_flush(s->tls) == MG_TLS_ERR) {
			session_end(s, true);
			return;
		}
	}
	if (s->rs == RS_WAIT || s->rs == RS_BODY || s->rs == RS_TUNNEL)
		pump_up(s);
}

static void
down_timeout(struct mg_conn *c)
{
	struct session *s = mg_conn_owner(c);

	if (s->sniffing || (s->tls != NULL && !mg_tls_conn_handshake_done(s->tls))) {
		if (s->tls != NULL)
			mg_tls_conn_abort(s->tls, MG_TLS_FAIL_HANDSHAKE_TIMEOUT);
		px.st.handshake_timeouts++;
		session_end(s, true);
		return;
	}
	if (s->rq == RQ_HEAD) {
		px.st.header_timeouts++;
		session_fail(s, 408, "request head not received in time");
	} else if (s->rq == RQ_BACKOFF) {
		retry_now(s);
	} else if (s->rq == RQ_QUEUED) {
		/* The per-request time ran out waiting for the circuit breaker. */
		px.st.upstream_timeouts++;
		session_fail(s, 504, "upstream request timeout (waiting for a connection)");
	} else {
		px.st.idle_timeouts++;
		session_end(s, false);
	}
}

static void
down_closed(struct mg_conn *c, enum mg_conn_reason why)
{
	struct session *s = mg_conn_owner(c);
	(void)why;
	if (s->rq != RQ_IDLE)
		px.st.client_aborts++;
	if (s->tls != NULL)
		mg_tls_conn_abort(s->tls, MG_TLS_FAIL_PEER_CLOSED);
	up_abort(s);
	session_free(s);
}

/*
 * Advances the TLS handshake toward the upstream (RQ_CONNECT); sends the request once it is
 * complete.  A failed handshake is a connection failure: 503, as Envoy answers (its
 * "upstream connect error or disconnect/reset before headers"), with the reason in the log.
 */
static void
up_handshake_step(struct session *s)
{
	char detail[96];
	int rc = mg_tls_handshake(s->up_tls);

	if (rc == 0) {
		send_request_head(s);
		return;
	}
	if (rc == MG_TLS_WANT_READ || rc == MG_TLS_WANT_WRITE)
		return;
	px.st.upstream_tls_failures++;
	snprintf(detail, sizeof(detail), "upstream TLS handshake failed: %s",
	         mg_tls_failure_label(mg_tls_conn_failure(s->up_tls)));
	up_abort(s);
	connect_failed(s, detail);
}

/* Whether the upstream side is still in its TLS handshake (which owns its I/O events). */
static bool
up_handshaking(const struct session *s)
{
	return s->rq == RQ_CONNECT && s->up_tls != NULL;
}

static void
up_connected(struct mg_conn *c)
{
	struct session *s = mg_conn_owner(c);

	if (s->rq != RQ_CONNECT)
		return;
	if (s->up_tls != NULL)
		up_handshake_step(s);
	else
		send_request_head(s);
}

static void
up_readable(struct mg_conn *c)
{
	struct session *s = mg_conn_owner(c);

	if (up_handshaking(s)) {
		up_handshake_step(s);
		return;
	}
	if (s->rs == RS_WAIT || s->rs == RS_BODY || s->rs == RS_TUNNEL) {
		pump_up(s);
		return;
	}
	/* Bytes or EOF before the request went out: the connection is bad. */
	up_abort(s);
	if (s->rq == RQ_CONNECT || s->rq == RQ_BODY || s->rq == RQ_DONE)
		session_fail(s, 502, "upstream sent data before the request");
}

static void
up_writable(struct mg_conn *c)
{
	struct session *s = mg_conn_owner(c);

	if (up_handshaking(s)) {
		up_handshake_step(s);
		return;
	}
	if (s->up_tls != NULL && mg_tls_want_flush(s->up_tls) &&
	    mg_tls_flush(s->up_tls) == MG_TLS_ERR) {
		px.st.upstream_resets++;
		session_fail(s, 502, "upstream TLS error");
		return;
	}
	if (s->rq == RQ_BODY || s->rq == RQ_TUNNEL)
		pump_down(s);
}

static void
up_timeout(struct mg_conn *c)
{
	struct session *s = mg_conn_owner(c);

	if (s->rq == RQ_CONNECT) {
		px.st.upstream_connect_failures++;
		up_tls_drop(s, MG_TLS_FAIL_HANDSHAKE_TIMEOUT);
		up_abort(s);
		if (left_ms(s) == 0) {
			report(s, true);
			session_fail(s, 504, "upstream request timeout");
		} else {
			connect_failed(s, "upstream connect timeout");
		}
	} else if (s->rq == RQ_BODY && s->rs == RS_WAIT) {
		/* The client stopped sending its body for the idle timeout. */
		px.st.idle_timeouts++;
		up_abort(s);
		session_fail(s, 408, "request body not received in time");
	} else if (s->rs == RS_WAIT) {
		/* The per-try timeout (retried as a 504 would be) or the per-request one (final).
		 */
		px.st.upstream_timeouts++;
		report(s, true);
		if (left_ms(s) > 0 &&
		    maybe_retry(s, MG_RETRY_SERVER_ERROR | MG_RETRY_GATEWAY_ERROR))
			return;
		up_abort(s);
		session_fail(s, 504, "upstream request timeout");
	} else {
		px.st.upstream_timeouts++;
		session_end(s, true);
	}
}

static void
up_closed(struct mg_conn *c, enum mg_conn_reason why)
{
	struct session *s = mg_conn_owner(c);

	s->up = NULL;
	up_tls_drop(s, MG_TLS_FAIL_PEER_CLOSED);
	mg_upool_forget(s->ep);
	if (why == MG_CONN_CONNECT_FAILED) {
		px.st.upstream_connect_failures++;
		connect_failed(s, "upstream connect failed");
		return;
	}
	px.st.upstream_resets++;
	if (s->rs == RS_BODY && s->resp_body == MG_H1_BODY_EOF && s->uin == NULL) {
		/* A reset ends a close-delimited body ambiguously: treat as
		 * truncated. */
		session_end(s, true);
		return;
	}
	if (s->rq == RQ_CONNECT) {
		connect_failed(s, "upstream reset the connection during the TLS handshake");
		return;
	}
	if (s->rs == RS_WAIT) {
		reset_before_head(s, "upstream connection reset");
		return;
	}
	session_fail(s, 502, "upstream connection reset");
}

static const struct mg_conn_ops down_ops = {
    .readable = down_readable,
    .writable = down_writable,
    .timeout = down_timeout,
    .closed = down_closed,
};

static const struct mg_conn_ops up_ops = {
    .readable = up_readable,
    .writable = up_writable,
    .connected = up_connected,
    .timeout = up_timeout,
    .closed = up_closed,
};

static bool
on_accept(void *arg, struct mg_conn *c, const struct mg_conn_ops **ops, void **owner)
{
	struct session *s = mg_pool_get(&px.sessions);

	if (s == NULL)
		return false;
	s->lc = arg;
	s->down = c;
	s->waiter.wake = waiter_wake;
	s->upw.wake = upool_wake;
	if (s->lc->tls != NULL && s->lc->tls_permissive) {
		s->sniffing = true;
	} else if (s->lc->tls != NULL) {
		struct mg_tls_io io = {mg_conn_io_recv, mg_conn_io_send, c};

		s->tls = mg_tls_accept(s->lc->tls, &io);
		if (s->tls == NULL) {
			px.st.tls_refused++;
			mg_pool_put(&px.sessions, s);
			return false;
		}
	}
	LIST_INSERT_HEAD(&px.open, s, link);
	mg_obs_conn_open(s->lc->port);
	px.st.sessions++;
	px.st.active_sessions++;
	mg_conn_set_deadline(c, s->lc->tls != NULL ? s->lc->handshake_timeout_ms
	                                           : s->lc->header_timeout_ms);
	*ops = &down_ops;
	*owner = s;
	return true;
}

void
mg_proxy_conn_gone(void)
{
	px.st.active_sessions--;
}

bool
mg_proxy_attach(const struct mg_proxy_listener_conf *lc, struct mg_conn *c, bool https)
{
	struct session *s;

	/* A session holds up to two buffers while its request waits: keep an eighth of them
	 * (and of the sessions) for client connections, so that a burst of streams waits in
	 * gateway/h2 (a small buffer each) instead of starving everyone. */
	if (px.n_virt >= px.bufs.capacity * 3 / 8 ||
	    px.bufs.capacity - px.bufs.in_use < 2 + px.bufs.capacity / 8 ||
	    px.sessions.capacity - px.sessions.in_use < 1 + px.sessions.capacity / 8)
		return false;
	s = mg_pool_get(&px.sessions);
	if (s == NULL)
		return false;
	s->lc = lc;
	s->down = c;
	s->virt = true;
	s->virt_tls = https;
	px.n_virt++;
	s->waiter.wake = waiter_wake;
	s->upw.wake = upool_wake;
	LIST_INSERT_HEAD(&px.open, s, link);
	mg_conn_set_owner(c, &down_ops, s);
	mg_conn_set_deadline(c, lc->header_timeout_ms);
	return true;
}

/* ---- set-up ------------------------------------------------------------------------- */

int
mg_proxy_init(uint32_t max_sessions, uint32_t n_buffers, uint32_t buf_size)
{
	int rc;

	px.buf_size = buf_size;
	rc = mg_pool_init(&px.sessions, "proxy_session", sizeof(struct session), max_sessions);
	if (rc != 0)
		return rc;
	rc = mg_pool_init(&px.bufs, "proxy_buf", sizeof(struct buf) + buf_size, n_buffers);
	if (rc != 0)
		mg_pool_destroy(&px.sessions);
	return rc;
}

int
mg_proxy_listen(const struct mg_proxy_listener_conf *conf)
{
	struct mg_proxy_listener_conf *lc;
	int rc;

	if (px.n_listeners == MAX_LISTENERS)
		return -ENOSPC;
	if (conf->limits.max_head > px.buf_size)
		return -EINVAL;
	lc = &px.listeners[px.n_listeners];
	*lc = *conf;
	rc = mg_conn_listen(conf->addr, conf->port, on_accept, lc,
	                    &px.listener_pcbs[px.n_listeners]);
	if (rc == 0)
		px.n_listeners++;
	return rc;
}

void
mg_proxy_stop(void)
{
	unsigned int i;

	mg_h2_stop();
	while (!LIST_EMPTY(&px.open))
		session_end(LIST_FIRST(&px.open), true);
	for (i = 0; i < px.n_listeners; i++)
		mg_conn_unlisten(px.listener_pcbs[i]);
	px.n_listeners = 0;
	if (px.bufs.mem != NULL)
		mg_pool_destroy(&px.bufs);
	if (px.sessions.mem != NULL)
		mg_pool_destroy(&px.sessions);
}

const struct mg_proxy_stats *
mg_proxy_stats(void)
{
	return &px.st;
}

const struct mg_tls_server *
mg_proxy_tls_server(void)
{
	unsigned int i;

	for (i = 0; i < px.n_listeners; i++)
		if (px.listeners[i].tls != NULL)
			return px.listeners[i].tls;
	return NULL;
}
