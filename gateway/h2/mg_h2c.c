/*
 * HTTP/2 toward upstreams.  See mg_h2c.h.
 *
 * Per endpoint: a list of connections (struct mg_h2c_conn), each one nghttp2 client session
 * over an mg_conn (and a TLS client connection).  Per exchange: a stream whose virtual
 * connection's peer methods are below.
 *
 *   request:  the session writes HTTP/1.1 into st->out; the head is parsed and submitted;
 *             body bytes are de-framed in place to the front of st->out, where the DATA
 *             source reads them.
 *   response: HEADERS become an HTTP/1.1 head in st->in, DATA raw bytes after it; the session
 *             reads the head, then the body with chunked framing generated while it reads,
 *             then the end ("0\r\n", the trailers, "\r\n") kept after the body.
 *
 * As in mg_h2.c, events for the sessions are never delivered from inside an nghttp2 callback
 * or a peer method: streams are marked and queued on their connection's pending list, which
 * run() drains once nghttp2 has returned (a peer method schedules a run from lwIP's timers).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <nghttp2/nghttp2.h>

#include "gateway/core/mg_pool.h"
#include "gateway/h2/mg_grpc.h"
#include "gateway/h2/mg_h2_mem.h"
#include "gateway/h2/mg_h2c.h"
#include "gateway/http/mg_chunked.h"
#include "gateway/http/mg_h1.h"
#include "gateway/http/mg_http_util.h"
#include "gateway/net/mg_conn.h"
#include "gateway/tls/mg_tls.h"
#include "gateway/upstream/mg_upool.h"
#include "lwip/timeouts.h"

#define REQ_FIELDS   256
#define MAX_TRAILERS 64
#define FRAMING_MAX  24 /* "\r\n<16 hex digits>\r\n" */
#define STATUS_ROOM  64 /* room before the response fields for the status line */
#define NO_END       UINT32_MAX

struct h2cbuf {
	uint32_t len;
	char data[MG_H2C_BUF];
};

enum { P_READ = 1, P_WRITE = 2, P_CLOSED = 4, P_CONNECTED = 8 };

struct stream {
	struct mg_h2c_conn *hc;
	int32_t id; /* -1 until the request is submitted */
	struct mg_conn *vc;
	LIST_ENTRY(stream) link;
	TAILQ_ENTRY(stream) plink;
	uint8_t pend;
	bool on_pending;
	bool ng_closed; /* nghttp2 closed the stream (or it was never submitted and is done) */
	bool failed;    /* reset: the session's I/O fails */
	/* ---- request (session -> upstream) ---- */
	struct h2cbuf *out;
	uint32_t dlen; /* out[0 .. dlen): body bytes ready for DATA */
	uint32_t roff; /* out[roff .. len): written by the session, not yet processed */
	bool req_submitted, req_end, data_deferred;
	uint8_t req_body; /* enum mg_h1_body */
	uint64_t req_left;
	enum mg_h1_method method;
	struct mg_chunked ch;
	char *trailers; /* request trailers: "name\0value\0" pairs (malloc) */
	uint16_t ntrailers;
	/* ---- response (upstream -> session) ---- */
	struct h2cbuf *in;
	uint32_t in_pos;    /* next byte the session reads */
	uint32_t head_left; /* bytes of the head at in_pos */
	uint32_t body_end;  /* end of the body bytes in <in> once the response ended; NO_END */
	uint32_t hdr_bytes; /* decoded bytes of the header block being received */
	int status;
	bool head_ready;  /* the final response head is in <in> */
	bool chunked;     /* the body goes to the session chunked */
	bool resp_end;    /* END_STREAM received (the end is in <in>) */
	bool in_trailers; /* receiving the trailing HEADERS */
	bool crlf_due;    /* a chunk's CRLF is due before the next framing */
	bool has_cl;      /* the response head carries Content-Length ... */
	uint8_t cl_len;   /* ... <cl>: kept out of the head, which decides its framing */
	char cl[20];
	uint64_t chunk_left;
	uint32_t unconsumed; /* DATA bytes stored, not yet read by the session */
	char frm[FRAMING_MAX];
	uint8_t frm_len, frm_off;
};

struct mg_h2c_conn {
	struct mg_endpoint *ep;
	struct mg_conn *c;
	struct mg_tls_conn *tls;
	nghttp2_session *ng;
	LIST_ENTRY(mg_h2c_conn) link; /* ep->h2_conns */
	LIST_HEAD(, stream) streams;
	TAILQ_HEAD(, stream) pending;
	uint32_t nstreams;
	struct mg_h2_mem mem; /* what nghttp2 holds for it */
	bool ready;           /* TCP (and TLS with ALPN h2) up */
	bool goaway;          /* no new streams */
	bool running;         /* inside run() */
	bool scheduled, dead, idle, freed_stream;
	LIST_ENTRY(mg_h2c_conn) dlink;
};

static struct {
	struct mg_pool streams, bufs;
	LIST_HEAD(, mg_h2c_conn) dirty;
	bool timer_armed;
	struct mg_h2c_stats st;
	char rbuf[16384];
	struct mg_h1_field fields[REQ_FIELDS];
	struct mg_h1_field trailers[MAX_TRAILERS];
	nghttp2_nv nv[REQ_FIELDS + 8];
} h2c;

static mg_h2c_connect_fn *connect_fn = mg_conn_connect;

void
mg_h2c_set_connect(mg_h2c_connect_fn *fn)
{
	connect_fn = fn != NULL ? fn : mg_conn_connect;
}

const struct mg_h2c_stats *
mg_h2c_stats(void)
{
	return &h2c.st;
}

int
mg_h2c_init(uint32_t max_streams, uint32_t n_bufs)
{
	int rc;

	LIST_INIT(&h2c.dirty);
	rc = mg_pool_init(&h2c.streams, "h2c_stream", sizeof(struct stream), max_streams);
	if (rc != 0)
		return rc;
	rc = mg_pool_init(&h2c.bufs, "h2c_buf", sizeof(struct h2cbuf), n_bufs);
	if (rc != 0)
		mg_pool_destroy(&h2c.streams);
	return rc;
}

/* ---- scheduling --------------------------------------------------------------------- */

static bool run(struct mg_h2c_conn *hc);
static void conn_send(struct mg_h2c_conn *hc);

static void
mark(struct stream *st, uint8_t what)
{
	struct mg_h2c_conn *hc = st->hc;

	st->pend |= what;
	if (!st->on_pending) {
		st->on_pending = true;
		TAILQ_INSERT_TAIL(&hc->pending, st, plink);
	}
}

static void
deferred(void *arg)
{
	struct mg_h2c_conn *hc;

	(void)arg;
	h2c.timer_armed = false;
	while ((hc = LIST_FIRST(&h2c.dirty)) != NULL) {
		LIST_REMOVE(hc, dlink);
		hc->scheduled = false;
		(void)run(hc);
	}
}

static void
schedule(struct mg_h2c_conn *hc)
{
	if (hc->dead || hc->running || hc->scheduled)
		return;
	hc->scheduled = true;
	LIST_INSERT_HEAD(&h2c.dirty, hc, dlink);
	if (!h2c.timer_armed) {
		h2c.timer_armed = true;
		sys_timeout(0, deferred, NULL);
	}
}

/* A peer method queued output: send it unless inside run(), and run soon. */
static void
kick(struct mg_h2c_conn *hc)
{
	if (hc->dead || hc->running)
		return;
	if (hc->ready)
		conn_send(hc);
	schedule(hc);
}

/* ---- buffers and streams --------------------------------------------------------------- */

static struct h2cbuf *
buf_get(void)
{
	struct h2cbuf *b = mg_pool_get_head(&h2c.bufs, sizeof(uint32_t));

	if (b != NULL)
		b->len = 0;
	return b;
}

static void
buf_put(struct h2cbuf **b)
{
	if (*b != NULL)
		mg_pool_put(&h2c.bufs, *b);
	*b = NULL;
}

static uint32_t
conn_limit(const struct mg_h2c_conn *hc)
{
	uint32_t m =
	    nghttp2_session_get_remote_settings(hc->ng, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);

	return m < MG_H2C_MAX_STREAMS ? m : MG_H2C_MAX_STREAMS;
}

static void
stream_free(struct stream *st)
{
	struct mg_h2c_conn *hc = st->hc;

	if (st->on_pending)
		TAILQ_REMOVE(&hc->pending, st, plink);
	LIST_REMOVE(st, link);
	buf_put(&st->in);
	buf_put(&st->out);
	free(st->trailers);
	if (st->id >= 0 && !hc->dead)
		nghttp2_session_set_stream_user_data(hc->ng, st->id, NULL);
	/* DATA nobody will read still count against the connection window: give it back */
	if (st->unconsumed > 0 && !hc->dead)
		nghttp2_session_consume_connection(hc->ng, st->unconsumed);
	hc->nstreams--;
	h2c.st.active_streams--;
	hc->freed_stream = true;
	if (hc->nstreams == 0 && !hc->dead && !hc->idle) {
		hc->idle = true;
		hc->ep->idle++;
		mg_conn_set_deadline(hc->c,
		                     hc->ep->idle_timeout_ms > 0 ? hc->ep->idle_timeout_ms : 60000);
	}
	mg_pool_put(&h2c.streams, st);
}

/* Frees <st> once both nghttp2 and the session are done with it. */
static void
stream_maybe_free(struct stream *st)
{
	if (st->ng_closed && st->vc == NULL && !(st->pend & P_CLOSED))
		stream_free(st);
}

/* Ends the stream for its session: reset toward the server, `closed' for the session. */
static void
stream_fail(struct stream *st, uint32_t code)
{
	st->failed = true;
	if (st->id >= 0 && !st->ng_closed)
		nghttp2_submit_rst_stream(st->hc->ng, NGHTTP2_FLAG_NONE, st->id, code);
	else if (st->id < 0)
		st->ng_closed = true;
	if (st->vc != NULL)
		mark(st, P_CLOSED);
}

/* ---- request: HTTP/1.1 from the session to HTTP/2 ----------------------------------- */

static ssize_t
data_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
          nghttp2_data_source *src, void *ud)
{
	struct stream *st = src->ptr;
	size_t n;

	(void)ng;
	(void)id;
	(void)ud;
	if (st == NULL || st->out == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	n = st->dlen < length ? st->dlen : length;
	if (n > 0) {
		memcpy(buf, st->out->data, n);
		memmove(st->out->data, st->out->data + n, st->out->len - n);
		st->out->len -= (uint32_t)n;
		st->dlen -= (uint32_t)n;
		st->roff -= (uint32_t)n;
		if (st->vc != NULL)
			mark(st, P_WRITE);
	}
	if (st->dlen == 0 && st->req_end) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		if (st->ntrailers > 0) {
			nghttp2_nv nv[MAX_TRAILERS];
			const char *p = st->trailers;
			unsigned int i;

			for (i = 0; i < st->ntrailers; i++) {
				size_t nl = strlen(p), vl = strlen(p + nl + 1);

				nv[i] = (nghttp2_nv){(uint8_t *)p, (uint8_t *)p + nl + 1, nl, vl,
				                     NGHTTP2_NV_FLAG_NONE};
				p += nl + vl + 2;
			}
			if (nghttp2_submit_trailer(st->hc->ng, st->id, nv, st->ntrailers) == 0)
				*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
		}
		return (ssize_t)n;
	}
	if (n == 0) {
		st->data_deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	return (ssize_t)n;
}

static void
lower(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (char)(p[i] - 'A' + 'a');
}

static bool
view_is(const struct mg_h1_view *v, const char *lit)
{
	size_t n = strlen(lit);

	return v->len == n && strncasecmp(v->p, lit, n) == 0;
}

#define NV(n, nl, v, vl)                                                                           \
	((nghttp2_nv){(uint8_t *)(n), (uint8_t *)(v), (nl), (vl), NGHTTP2_NV_FLAG_NONE})

/* Parses the request head at out[0 ..] and submits it.  Returns false while incomplete or
 * when the stream failed. */
static bool
request_head(struct stream *st)
{
	struct mg_h1_request r;
	struct mg_endpoint *ep = st->hc->ep;
	nghttp2_data_provider dp = {.source.ptr = st, .read_callback = data_read};
	struct mg_h1_view auth = {NULL, 0};
	bool grpc = false, body;
	unsigned int i, k = 0;
	int n;
	int32_t id;

	mg_h1_request_init(&r, h2c.fields, REQ_FIELDS, NULL);
	n = mg_h1_request_parse(&r, st->out->data, st->out->len);
	if (n == MG_H1_INCOMPLETE) {
		if (st->out->len == MG_H2C_BUF)
			stream_fail(st, NGHTTP2_INTERNAL_ERROR);
		return false;
	}
	if (n < 0 || r.method_id == MG_H1_M_CONNECT || r.head.body == MG_H1_BODY_TUNNEL) {
		stream_fail(st, NGHTTP2_INTERNAL_ERROR);
		return false;
	}
	st->method = r.method_id;
	auth = r.host.len > 0 ? r.host : r.authority;
	h2c.nv[k++] = NV(":method", 7, r.method.p, r.method.len);
	h2c.nv[k++] = NV(":scheme", 7, ep->tls != NULL ? "https" : "http", ep->tls != NULL ? 5 : 4);
	if (auth.len > 0)
		h2c.nv[k++] = NV(":authority", 10, auth.p, auth.len);
	if (r.form == MG_H1_FORM_ORIGIN || r.path.len == 0)
		h2c.nv[k++] = NV(":path", 5, r.target.p, r.target.len);
	else
		h2c.nv[k++] =
		    NV(":path", 5, r.path.p,
		       r.query.len > 0 ? (size_t)(r.query.p + r.query.len - r.path.p) : r.path.len);
	for (i = 0; i < r.head.nfields && k < REQ_FIELDS + 4; i++) {
		struct mg_h1_field *f = &h2c.fields[i];

		if (mg_http_is_hop_by_hop(f->name.p, f->name.len, &r.head) ||
		    view_is(&f->name, "host") || view_is(&f->name, "te") ||
		    view_is(&f->name, "transfer-encoding") || view_is(&f->name, "connection") ||
		    view_is(&f->name, "keep-alive") || view_is(&f->name, "proxy-connection") ||
		    view_is(&f->name, "upgrade"))
			continue;
		if (r.head.body != MG_H1_BODY_LENGTH && view_is(&f->name, "content-length"))
			continue;
		if (view_is(&f->name, "content-type") && mg_grpc_is_grpc(f->value.p, f->value.len))
			grpc = true;
		lower((char *)f->name.p, f->name.len);
		h2c.nv[k++] = NV(f->name.p, f->name.len, f->value.p, f->value.len);
	}
	if (grpc)
		h2c.nv[k++] = NV("te", 2, "trailers", 8);
	st->req_body = (uint8_t)r.head.body;
	st->req_left = r.head.content_length;
	body = !(r.head.body == MG_H1_BODY_NONE ||
	         (r.head.body == MG_H1_BODY_LENGTH && r.head.content_length == 0));
	if (r.head.body == MG_H1_BODY_CHUNKED)
		mg_chunked_init(&st->ch, NULL, h2c.trailers, MAX_TRAILERS);
	id = nghttp2_submit_request(st->hc->ng, NULL, h2c.nv, k, body ? &dp : NULL, st);
	if (id < 0) {
		stream_fail(st, NGHTTP2_INTERNAL_ERROR);
		return false;
	}
	st->id = id;
	st->req_submitted = true;
	st->req_end = !body;
	st->roff = (uint32_t)n;
	st->dlen = 0;
	return true;
}

/* Keeps the trailer fields of a chunked request for the trailing HEADERS. */
static void
keep_trailers(struct stream *st)
{
	size_t need = 0, i;
	unsigned int k = 0;
	char *p;

	for (i = 0; i < st->ch.ntrailers; i++)
		if (mg_http_trailer_allowed(h2c.trailers[i].name.p, h2c.trailers[i].name.len))
			need += h2c.trailers[i].name.len + h2c.trailers[i].value.len + 2;
	if (need == 0)
		return;
	st->trailers = malloc(need);
	if (st->trailers == NULL)
		return;
	p = st->trailers;
	for (i = 0; i < st->ch.ntrailers; i++) {
		const struct mg_h1_field *f = &h2c.trailers[i];

		if (!mg_http_trailer_allowed(f->name.p, f->name.len))
			continue;
		memcpy(p, f->name.p, f->name.len);
		lower(p, f->name.len);
		p[f->name.len] = '\0';
		p += f->name.len + 1;
		memcpy(p, f->value.p, f->value.len);
		p[f->value.len] = '\0';
		p += f->value.len + 1;
		k++;
	}
	st->ntrailers = (uint16_t)k;
}

/* Moves the body bytes at out[roff ..] to out[dlen ..], de-framed. */
static void
request_body(struct stream *st)
{
	char *o = st->out->data;

	while (!st->req_end && st->roff < st->out->len) {
		uint32_t raw = st->out->len - st->roff;

		if (st->req_body == MG_H1_BODY_CHUNKED) {
			struct mg_chunked_span sp;
			ssize_t n = mg_chunked_decode(&st->ch, o + st->roff, raw, &sp);

			if (n < 0) {
				stream_fail(st, NGHTTP2_INTERNAL_ERROR);
				return;
			}
			if (sp.data_len > 0) {
				memmove(o + st->dlen, sp.data, sp.data_len);
				st->dlen += (uint32_t)sp.data_len;
			}
			if (mg_chunked_done(&st->ch)) {
				keep_trailers(st);
				st->req_end = true;
			}
			st->roff += (uint32_t)n;
			if (n == 0)
				break;
		} else {
			uint32_t n = raw;

			if (n > st->req_left)
				n = (uint32_t)st->req_left;
			memmove(o + st->dlen, o + st->roff, n);
			st->dlen += n;
			st->roff += n;
			st->req_left -= n;
			if (st->req_left == 0)
				st->req_end = true;
		}
	}
	if (st->req_end && st->roff < st->out->len)
		st->roff = st->out->len; /* bytes after the request: ignored */
	if (st->roff > st->dlen) {
		memmove(o + st->dlen, o + st->roff, st->out->len - st->roff);
		st->out->len -= st->roff - st->dlen;
		st->roff = st->dlen;
	}
}

static void
process_request(struct stream *st)
{
	if (!st->req_submitted && !request_head(st))
		return;
	if (st->failed)
		return;
	request_body(st);
	if ((st->dlen > 0 || st->req_end) && st->data_deferred && !st->ng_closed) {
		st->data_deferred = false;
		nghttp2_session_resume_data(st->hc->ng, st->id);
	}
}

/* ---- the virtual connection's peer methods ----------------------------------------- */

static uint32_t
body_avail(const struct stream *st)
{
	uint32_t end = st->body_end != NO_END ? st->body_end : st->in->len;

	return end > st->in_pos ? end - st->in_pos : 0;
}

/* The framing the session must read next, in st->frm; false when none now. */
static bool
next_framing(struct stream *st)
{
	uint32_t avail = body_avail(st);
	int n;

	if (st->frm_off < st->frm_len)
		return true;
	st->frm_off = st->frm_len = 0;
	if (!st->chunked || st->chunk_left > 0)
		return false;
	if (avail > 0) {
		n = snprintf(st->frm, sizeof(st->frm), "%s%x\r\n", st->crlf_due ? "\r\n" : "",
		             avail);
		st->frm_len = (uint8_t)n;
		st->chunk_left = avail;
		st->crlf_due = true;
		return true;
	}
	if (st->body_end != NO_END && st->crlf_due) {
		memcpy(st->frm, "\r\n", 2);
		st->frm_len = 2;
		st->crlf_due = false;
		return true;
	}
	return false;
}

static int
v_read(void *arg, void *buf, size_t len, bool peek)
{
	struct stream *st = arg;
	char *o = buf;
	size_t done = 0, n;
	uint32_t consumed = 0;

	if (st->failed)
		return 0;
	if (st->in == NULL)
		return MG_CONN_AGAIN;
	if (peek) {
		n = st->head_left < len ? st->head_left : len;
		if (n > 0)
			memcpy(o, st->in->data + st->in_pos, n);
		return n > 0 ? (int)n : MG_CONN_AGAIN;
	}
	while (done < len) {
		if (st->head_left > 0) {
			n = st->head_left < len - done ? st->head_left : len - done;
			memcpy(o + done, st->in->data + st->in_pos, n);
			st->in_pos += (uint32_t)n;
			st->head_left -= (uint32_t)n;
			done += n;
			continue;
		}
		if (!st->head_ready || !st->chunked)
			break;
		if (next_framing(st)) {
			n = (size_t)(st->frm_len - st->frm_off);
			if (n > len - done)
				n = len - done;
			memcpy(o + done, st->frm + st->frm_off, n);
			st->frm_off += (uint8_t)n;
			done += n;
			continue;
		}
		if (st->chunk_left > 0 && body_avail(st) > 0) {
			n = body_avail(st);
			if (n > st->chunk_left)
				n = (size_t)st->chunk_left;
			if (n > len - done)
				n = len - done;
			memcpy(o + done, st->in->data + st->in_pos, n);
			st->in_pos += (uint32_t)n;
			st->chunk_left -= n;
			consumed += (uint32_t)n;
			done += n;
			continue;
		}
		if (st->body_end != NO_END && st->in_pos >= st->body_end &&
		    st->in_pos < st->in->len) {
			/* the end: last-chunk, trailers, CRLF */
			n = st->in->len - st->in_pos;
			if (n > len - done)
				n = len - done;
			memcpy(o + done, st->in->data + st->in_pos, n);
			st->in_pos += (uint32_t)n;
			done += n;
			continue;
		}
		break;
	}
	if (consumed > 0) {
		st->unconsumed -= consumed;
		/* the stream's window, and the connection's (only that once the stream closed) */
		if (st->id >= 0 && !st->ng_closed)
			nghttp2_session_consume(st->hc->ng, st->id, consumed);
		else
			nghttp2_session_consume_connection(st->hc->ng, consumed);
		kick(st->hc); /* WINDOW_UPDATE */
	}
	return done > 0 ? (int)done : MG_CONN_AGAIN;
}

static size_t
v_rx_avail(void *arg)
{
	struct stream *st = arg;

	if (st->in == NULL)
		return 0;
	if (st->head_left > 0)
		return st->head_left;
	if (!st->head_ready || !st->chunked)
		return 0;
	if (st->frm_off < st->frm_len)
		return (size_t)(st->frm_len - st->frm_off);
	if (body_avail(st) > 0)
		return body_avail(st) + FRAMING_MAX;
	if (st->body_end != NO_END)
		return (st->in->len - (st->in_pos > st->body_end ? st->in_pos : st->body_end)) +
		       (st->crlf_due ? 2 : 0);
	return 0;
}

static bool
v_rx_eof(void *arg)
{
	struct stream *st = arg;

	return st->failed;
}

static size_t
v_send_space(void *arg)
{
	struct stream *st = arg;

	if (st->failed || st->ng_closed || st->out == NULL || st->req_end)
		return 0;
	return MG_H2C_BUF - st->out->len;
}

static size_t
v_unsent(void *arg)
{
	struct stream *st = arg;

	return st->out != NULL ? st->out->len : 0;
}

static int
v_write(void *arg, const void *buf, size_t len, bool more)
{
	struct stream *st = arg;
	size_t n;

	(void)more;
	if (st->failed || st->ng_closed || st->out == NULL)
		return -EPIPE;
	if (len == 0)
		return 0;
	if (st->req_end)
		return (int)len; /* bytes after the request: ignored */
	n = MG_H2C_BUF - st->out->len;
	if (n == 0)
		return MG_CONN_AGAIN;
	if (n > len)
		n = len;
	memcpy(st->out->data + st->out->len, buf, n);
	st->out->len += (uint32_t)n;
	process_request(st);
	kick(st->hc);
	return (int)n;
}

static void
v_shutdown_write(void *arg)
{
	(void)arg; /* a request ends by its framing */
}

static void
v_gone(void *arg, bool abort)
{
	struct stream *st = arg;
	struct mg_h2c_conn *hc = st->hc;

	st->vc = NULL;
	st->pend &= (uint8_t)~P_CLOSED;
	if (st->id < 0)
		st->ng_closed = true;
	if (st->ng_closed) {
		stream_maybe_free(st);
		kick(hc);
		return;
	}
	if (abort || !st->resp_end || !st->req_end) {
		/* The exchange did not complete: the server need not go on. */
		nghttp2_submit_rst_stream(hc->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
	}
	/* Sending may close the stream in nghttp2, which frees it (its session is gone): <st>
	 * must not be used after this. */
	kick(hc);
}

static const struct mg_vconn_peer peer_ops = {
    .read = v_read,
    .rx_avail = v_rx_avail,
    .rx_eof = v_rx_eof,
    .write = v_write,
    .send_space = v_send_space,
    .unsent = v_unsent,
    .shutdown_write = v_shutdown_write,
    .gone = v_gone,
};

/* ---- response: HTTP/2 to HTTP/1.1 for the session ------------------------------------ */

/* Makes room for <n> more bytes in st->in (moving out what the session has read). */
static bool
in_room(struct stream *st, size_t n)
{
	struct h2cbuf *b = st->in;

	if (b->len + n <= MG_H2C_BUF)
		return true;
	if (st->in_pos > STATUS_ROOM && st->head_ready) {
		memmove(b->data, b->data + st->in_pos, b->len - st->in_pos);
		b->len -= st->in_pos;
		if (st->body_end != NO_END)
			st->body_end -= st->in_pos;
		st->in_pos = 0;
	}
	return b->len + n <= MG_H2C_BUF;
}

static bool
in_put(struct stream *st, const void *p, size_t n)
{
	if (!in_room(st, n))
		return false;
	memcpy(st->in->data + st->in->len, p, n);
	st->in->len += (uint32_t)n;
	return true;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "Status";
	}
}

/* The final response's HEADERS are complete: the status line goes before the fields. */
static bool
finish_head(struct stream *st, bool end_stream)
{
	char line[STATUS_ROOM];
	bool no_body = st->method == MG_H1_M_HEAD || st->status == 204 || st->status == 304;
	int n;

	if (no_body) {
		/* HEAD, 204, 304: the server's Content-Length is information only */
		if (st->has_cl && (!in_put(st, "Content-Length: ", 16) ||
		                   !in_put(st, st->cl, st->cl_len) || !in_put(st, "\r\n", 2)))
			return false;
	} else if (end_stream) {
		if (!in_put(st, "Content-Length: 0\r\n", 19))
			return false;
	} else {
		if (!in_put(st, "Transfer-Encoding: chunked\r\n", 28))
			return false;
		st->chunked = true;
	}
	if (!in_put(st, "\r\n", 2))
		return false;
	n = snprintf(line, sizeof(line), "HTTP/1.1 %03d %s\r\n", st->status, reason(st->status));
	memcpy(st->in->data + STATUS_ROOM - n, line, (size_t)n);
	st->in_pos = STATUS_ROOM - (uint32_t)n;
	st->head_left = st->in->len - st->in_pos;
	st->head_ready = true;
	return true;
}

/* ---- nghttp2 callbacks -------------------------------------------------------------- */

static struct stream *
stream_of(nghttp2_session *ng, int32_t id)
{
	return id > 0 ? nghttp2_session_get_stream_user_data(ng, id) : NULL;
}

static int
on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
	struct stream *st = stream_of(ng, f->hd.stream_id);

	(void)ud;
	if (st == NULL || st->failed || f->hd.type != NGHTTP2_HEADERS)
		return 0;
	st->hdr_bytes = 0;
	if (f->headers.cat == NGHTTP2_HCAT_RESPONSE && !st->head_ready) {
		/* a (new) response head: a 1xx before it is dropped */
		st->in->len = STATUS_ROOM;
		st->has_cl = false;
		st->status = 0;
	} else if (f->headers.cat == NGHTTP2_HCAT_HEADERS && st->head_ready && st->chunked) {
		st->in_trailers = true;
		st->body_end = st->in->len;
		if (!in_put(st, "0\r\n", 3))
			stream_fail(st, NGHTTP2_INTERNAL_ERROR);
	}
	return 0;
}

static int
on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
          const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
	struct stream *st = stream_of(ng, f->hd.stream_id);
	size_t i;

	(void)flags;
	(void)ud;
	if (st == NULL || st->failed || f->hd.type != NGHTTP2_HEADERS)
		return 0;
	st->hdr_bytes += (uint32_t)(nlen + vlen + 32);
	if (st->hdr_bytes > MG_H2C_HEAD_MAX) {
		stream_fail(st, NGHTTP2_INTERNAL_ERROR);
		return 0;
	}
	if (f->headers.cat == NGHTTP2_HCAT_RESPONSE && !st->head_ready) {
		if (nlen == 7 && memcmp(name, ":status", 7) == 0) {
			int s = 0;

			for (i = 0; i < vlen && i < 3; i++)
				s = s * 10 + (value[i] - '0');
			st->status = s;
			return 0;
		}
		if (nlen > 0 && name[0] == ':')
			return 0;
		if (nlen == 14 && memcmp(name, "content-length", 14) == 0) {
			if (vlen > sizeof(st->cl) || st->has_cl) {
				stream_fail(st, NGHTTP2_PROTOCOL_ERROR);
				return 0;
			}
			st->has_cl = true;
			st->cl_len = (uint8_t)vlen;
			memcpy(st->cl, value, vlen);
			return 0;
		}
	} else if (!st->in_trailers) {
		return 0; /* trailers of a response without a chunked body: dropped */
	} else if (!mg_http_trailer_allowed((const char *)name, nlen)) {
		return 0;
	}
	for (i = 0; i < vlen; i++)
		if (value[i] == '\r' || value[i] == '\n' || value[i] == '\0')
			return 0; /* nghttp2 rejects these already; never forward them */
	if (!in_put(st, name, nlen) || !in_put(st, ": ", 2) || !in_put(st, value, vlen) ||
	    !in_put(st, "\r\n", 2))
		stream_fail(st, NGHTTP2_INTERNAL_ERROR);
	return 0;
}

static void
response_ended(struct stream *st)
{
	st->resp_end = true;
	if (!st->head_ready)
		return;
	if (st->chunked) {
		if (!st->in_trailers) {
			st->body_end = st->in->len;
			if (!in_put(st, "0\r\n", 3)) {
				stream_fail(st, NGHTTP2_INTERNAL_ERROR);
				return;
			}
		}
		if (!in_put(st, "\r\n", 2)) {
			stream_fail(st, NGHTTP2_INTERNAL_ERROR);
			return;
		}
	} else {
		st->body_end = st->in->len;
	}
	if (st->vc != NULL)
		mark(st, P_READ);
}

static int
on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
	struct mg_h2c_conn *hc = ud;
	struct stream *st;
	bool end = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;

	if (f->hd.type == NGHTTP2_GOAWAY) {
		if (!hc->goaway)
			h2c.st.goaway_received++;
		hc->goaway = true;
		return 0;
	}
	if (f->hd.type == NGHTTP2_SETTINGS) {
		hc->freed_stream = true; /* the stream limit may have grown */
		return 0;
	}
	st = stream_of(ng, f->hd.stream_id);
	if (st == NULL || st->failed)
		return 0;
	switch (f->hd.type) {
	case NGHTTP2_HEADERS:
		if (f->headers.cat == NGHTTP2_HCAT_RESPONSE && !st->head_ready) {
			if (st->status >= 100 && st->status < 200) {
				st->in->len = STATUS_ROOM; /* interim: dropped */
				return 0;
			}
			if (st->status < 200 || st->status > 599 || !finish_head(st, end)) {
				stream_fail(st, NGHTTP2_PROTOCOL_ERROR);
				return 0;
			}
			if (st->vc != NULL)
				mark(st, P_READ);
		}
		if (end)
			response_ended(st);
		break;
	case NGHTTP2_DATA:
		if (end)
			response_ended(st);
		break;
	default:
		break;
	}
	return 0;
}

static int
on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
              void *ud)
{
	struct stream *st = stream_of(ng, id);

	(void)flags;
	(void)ud;
	if (st == NULL || st->failed || !st->head_ready || !st->chunked) {
		nghttp2_session_consume(ng, id, len);
		return 0;
	}
	/* The stream window keeps what a server may send within the buffer. */
	if (!in_put(st, data, len)) {
		nghttp2_session_consume(ng, id, len);
		stream_fail(st, NGHTTP2_FLOW_CONTROL_ERROR);
		return 0;
	}
	st->unconsumed += (uint32_t)len;
	if (st->vc != NULL)
		mark(st, P_READ);
	return 0;
}

static int
on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
	struct stream *st = stream_of(ng, id);

	(void)ud;
	if (st == NULL)
		return 0;
	st->ng_closed = true;
	if (!st->resp_end || code != NGHTTP2_NO_ERROR) {
		if (!st->failed)
			h2c.st.resets_received++;
		st->failed = true;
		if (st->vc != NULL)
			mark(st, P_CLOSED);
	}
	if (!st->req_end && st->vc != NULL)
		mark(st, P_WRITE); /* writes fail from now on */
	nghttp2_session_set_stream_user_data(ng, id, NULL);
	st->id = -1;
	stream_maybe_free(st);
	return 0;
}

static ssize_t
on_send(nghttp2_session *ng, const uint8_t *data, size_t len, int flags, void *ud)
{
	struct mg_h2c_conn *hc = ud;
	size_t space;
	int n;

	(void)ng;
	(void)flags;
	if (!hc->ready)
		return NGHTTP2_ERR_WOULDBLOCK;
	if (hc->tls != NULL) {
		space = mg_conn_send_space(hc->c);
		if (mg_tls_want_flush(hc->tls) || space <= 1024)
			return NGHTTP2_ERR_WOULDBLOCK;
		space -= 512 + (space / 8192 + 1) * 64;
		if (len > space)
			len = space;
		n = mg_tls_write(hc->tls, data, len);
		if (n == MG_TLS_WANT_WRITE || n == MG_TLS_WANT_READ || n == 0)
			return NGHTTP2_ERR_WOULDBLOCK;
		if (n < 0)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
	} else {
		n = mg_conn_write(hc->c, data, len, true);
		if (n == MG_CONN_AGAIN)
			return NGHTTP2_ERR_WOULDBLOCK;
		if (n < 0)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	return n;
}

/* ---- the connection ------------------------------------------------------------------ */

static const struct mg_conn_ops conn_ops;

/* Frees what is left of a dead connection (after the run that killed it). */
static void
conn_final(struct mg_h2c_conn *hc)
{
	nghttp2_session_del(hc->ng);
	if (hc->tls != NULL)
		mg_tls_conn_free(hc->tls);
	free(hc);
}

/* Frees <hc>: its streams still with a session see `closed' (MG_CONN_RESET). */
static void
conn_free(struct mg_h2c_conn *hc)
{
	struct mg_endpoint *ep = hc->ep;
	struct stream *st;

	hc->dead = true;
	if (hc->scheduled) {
		LIST_REMOVE(hc, dlink);
		hc->scheduled = false;
	}
	LIST_REMOVE(hc, link); /* no new streams from here on */
	ep->open--;
	if (hc->idle)
		ep->idle--;
	h2c.st.active_connections--;
	while ((st = LIST_FIRST(&hc->streams)) != NULL) {
		struct mg_conn *vc = st->vc;

		st->vc = NULL;
		st->pend = 0;
		st->ng_closed = true;
		stream_free(st);
		if (vc != NULL)
			mg_vconn_closed(vc, MG_CONN_RESET);
	}
	mg_upool_kick(ep);
	if (!hc->running)
		conn_final(hc);
}

static void
conn_close(struct mg_h2c_conn *hc, bool reset)
{
	struct mg_conn *c = hc->c;

	if (reset || !hc->ready) {
		if (hc->tls != NULL)
			mg_tls_conn_abort(hc->tls, MG_TLS_FAIL_OTHER);
		mg_conn_abort(c);
	} else {
		if (hc->tls != NULL && mg_tls_conn_handshake_done(hc->tls))
			mg_tls_close_notify(hc->tls);
		mg_conn_close(c);
	}
	conn_free(hc);
}

static void
conn_send(struct mg_h2c_conn *hc)
{
	if (hc->tls != NULL && mg_tls_want_flush(hc->tls) && mg_tls_flush(hc->tls) == MG_TLS_ERR)
		return;
	(void)nghttp2_session_send(hc->ng);
}

/* Feeds what the server sent to nghttp2.  Returns false when the connection must end. */
static bool
conn_recv(struct mg_h2c_conn *hc)
{
	for (;;) {
		ssize_t rc;
		int n;

		if (hc->tls != NULL) {
			n = mg_tls_read(hc->tls, h2c.rbuf, sizeof(h2c.rbuf));
			if (n == MG_TLS_WANT_READ || n == MG_TLS_WANT_WRITE)
				return true;
			if (n < 0)
				return false;
		} else {
			n = mg_conn_read(hc->c, h2c.rbuf, sizeof(h2c.rbuf));
			if (n == MG_CONN_AGAIN)
				return true;
		}
		if (n == 0)
			return false;
		rc = nghttp2_session_mem_recv(hc->ng, (const uint8_t *)h2c.rbuf, (size_t)n);
		if (rc < 0) {
			nghttp2_session_terminate_session(hc->ng, NGHTTP2_PROTOCOL_ERROR);
			return false;
		}
	}
}

static void
flush_pending(struct mg_h2c_conn *hc)
{
	struct stream *st;

	while ((st = TAILQ_FIRST(&hc->pending)) != NULL && !hc->dead) {
		uint8_t p = st->pend;
		struct mg_conn *vc = st->vc;

		TAILQ_REMOVE(&hc->pending, st, plink);
		st->on_pending = false;
		st->pend = 0;
		if (vc == NULL) {
			stream_maybe_free(st);
			continue;
		}
		if (p & P_CLOSED) {
			st->vc = NULL;
			stream_maybe_free(st);
			mg_vconn_closed(vc, MG_CONN_RESET);
			continue;
		}
		if (p & P_CONNECTED)
			mg_vconn_connected(vc);
		if ((p & P_READ) && st->vc != NULL)
			mg_vconn_readable(vc);
		if ((p & P_WRITE) && st->vc != NULL)
			mg_vconn_writable(vc);
	}
}

/* Streams that never got a stream id on a connection that takes none any more fail. */
static void
fail_unsubmitted(struct mg_h2c_conn *hc)
{
	struct stream *st;

	LIST_FOREACH(st, &hc->streams, link)
	if (st->id < 0 && !st->req_submitted && !st->failed)
		stream_fail(st, NGHTTP2_REFUSED_STREAM);
}

/* One round for <hc>: delivers events, sends; closes the connection when it is done.
 * Returns false when <hc> is gone. */
static bool
run(struct mg_h2c_conn *hc)
{
	struct mg_endpoint *ep = hc->ep;
	int rounds = 0;

	if (hc->dead)
		return false;
	hc->running = true;
	if (hc->goaway)
		fail_unsubmitted(hc);
	do {
		flush_pending(hc);
		if (hc->dead) {
			conn_final(hc);
			return false;
		}
		if (hc->ready)
			conn_send(hc);
	} while (!TAILQ_EMPTY(&hc->pending) && ++rounds < 64);
	hc->running = false;
	if (!TAILQ_EMPTY(&hc->pending))
		schedule(hc);
	if (hc->ready &&
	    ((!nghttp2_session_want_read(hc->ng) && !nghttp2_session_want_write(hc->ng)) ||
	     (hc->goaway && hc->nstreams == 0) || (hc->idle && ep->idle > ep->max_idle))) {
		conn_close(hc, false);
		return false;
	}
	if (hc->freed_stream) {
		hc->freed_stream = false;
		mg_upool_kick(ep); /* may open streams on <hc>: never closes it */
	}
	return true;
}

/* The connection is up (TCP, and TLS with ALPN h2): its streams may write. */
static bool
conn_ready(struct mg_h2c_conn *hc)
{
	struct stream *st;

	hc->ready = true;
	mg_conn_set_deadline(hc->c,
	                     hc->nstreams == 0
	                         ? (hc->ep->idle_timeout_ms > 0 ? hc->ep->idle_timeout_ms : 60000)
	                         : 0);
	LIST_FOREACH(st, &hc->streams, link)
	if (st->vc != NULL && !st->failed)
		mark(st, P_CONNECTED);
	return run(hc);
}

/* Fails a connection that never became ready. */
static void
conn_failed(struct mg_h2c_conn *hc)
{
	h2c.st.connect_failures++;
	conn_close(hc, true);
}

/* Advances the TLS handshake; returns false when the connection ended. */
static bool
tls_step(struct mg_h2c_conn *hc)
{
	struct mg_tls_conn_info info;
	int rc = mg_tls_handshake(hc->tls);

	if (rc == MG_TLS_WANT_READ || rc == MG_TLS_WANT_WRITE)
		return true;
	if (rc != 0) {
		conn_failed(hc);
		return false;
	}
	if (mg_tls_conn_info(hc->tls, &info) != 0 || info.alpn == NULL ||
	    strcmp(info.alpn, "h2") != 0) {
		h2c.st.alpn_refused++;
		conn_failed(hc);
		return false;
	}
	return conn_ready(hc);
}

static void
c_connected(struct mg_conn *c)
{
	struct mg_h2c_conn *hc = mg_conn_owner(c);

	if (hc->tls != NULL) {
		tls_step(hc);
		return;
	}
	(void)conn_ready(hc);
}

static void
c_readable(struct mg_conn *c)
{
	struct mg_h2c_conn *hc = mg_conn_owner(c);
	bool ok;

	if (!hc->ready) {
		if (hc->tls == NULL || !tls_step(hc) || !hc->ready)
			return;
	}
	hc->running = true;
	ok = conn_recv(hc);
	hc->running = false;
	if (!ok) {
		/* Deliver what the received frames caused, send GOAWAY, then end. */
		hc->running = true;
		flush_pending(hc);
		if (hc->dead) {
			conn_final(hc);
			return;
		}
		conn_send(hc);
		hc->running = false;
		conn_close(hc, false);
		return;
	}
	(void)run(hc);
}

static void
c_writable(struct mg_conn *c)
{
	struct mg_h2c_conn *hc = mg_conn_owner(c);

	if (!hc->ready) {
		if (hc->tls != NULL)
			tls_step(hc);
		return;
	}
	(void)run(hc);
}

static void
c_timeout(struct mg_conn *c)
{
	struct mg_h2c_conn *hc = mg_conn_owner(c);

	if (!hc->ready) {
		conn_failed(hc);
		return;
	}
	if (hc->nstreams == 0) {
		nghttp2_session_terminate_session(hc->ng, NGHTTP2_NO_ERROR);
		conn_send(hc);
		conn_close(hc, false);
	}
}

static void
c_closed(struct mg_conn *c, enum mg_conn_reason why)
{
	struct mg_h2c_conn *hc = mg_conn_owner(c);

	(void)why;
	if (!hc->ready)
		h2c.st.connect_failures++;
	if (hc->tls != NULL)
		mg_tls_conn_abort(hc->tls, MG_TLS_FAIL_PEER_CLOSED);
	conn_free(hc);
}

static const struct mg_conn_ops conn_ops = {
    .readable = c_readable,
    .writable = c_writable,
    .connected = c_connected,
    .timeout = c_timeout,
    .closed = c_closed,
};

static struct mg_h2c_conn *
conn_new(struct mg_endpoint *ep)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	struct mg_h2c_conn *hc;
	nghttp2_settings_entry iv[4];
	nghttp2_mem mem;
	int rc;

	hc = calloc(1, sizeof(*hc));
	if (hc == NULL)
		return NULL;
	mg_h2_mem_setup(&hc->mem, &mem, MG_H2C_MEM_CAP, &h2c.st.mem, NULL);
	if (nghttp2_session_callbacks_new(&cb) != 0) {
		free(hc);
		return NULL;
	}
	nghttp2_session_callbacks_set_send_callback(cb, on_send);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	if (nghttp2_option_new(&opt) != 0) {
		nghttp2_session_callbacks_del(cb);
		free(hc);
		return NULL;
	}
	nghttp2_option_set_no_auto_window_update(opt, 1);
	nghttp2_option_set_no_closed_streams(opt, 1);
	nghttp2_option_set_max_outbound_ack(opt, 1000);
	nghttp2_option_set_max_settings(opt, 32);
	nghttp2_option_set_max_continuations(opt, 8);
	nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
	nghttp2_option_set_peer_max_concurrent_streams(opt, MG_H2C_MAX_STREAMS);
	rc = nghttp2_session_client_new3(&hc->ng, cb, hc, opt, &mem);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	if (rc != 0) {
		free(hc);
		return NULL;
	}
	iv[0] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_ENABLE_PUSH, 0};
	iv[1] =
	    (nghttp2_settings_entry){NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, MG_H2C_STREAM_WINDOW};
	iv[2] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, MG_H2C_HEAD_MAX};
	iv[3] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 4096};
	if (nghttp2_submit_settings(hc->ng, NGHTTP2_FLAG_NONE, iv, 4) != 0 ||
	    nghttp2_session_set_local_window_size(hc->ng, NGHTTP2_FLAG_NONE, 0,
	                                          MG_H2C_MAX_STREAMS * MG_H2C_STREAM_WINDOW) != 0) {
		nghttp2_session_del(hc->ng);
		free(hc);
		return NULL;
	}
	hc->ep = ep;
	LIST_INIT(&hc->streams);
	TAILQ_INIT(&hc->pending);
	return hc;
}

/* Opens a new connection to <ep>; NULL when out of memory. */
static struct mg_h2c_conn *
conn_open(struct mg_endpoint *ep)
{
	struct mg_h2c_conn *hc = conn_new(ep);

	if (hc == NULL)
		return NULL;
	hc->c = connect_fn(ep->addr, ep->port, &conn_ops, hc);
	if (hc->c == NULL) {
		nghttp2_session_del(hc->ng);
		free(hc);
		return NULL;
	}
	if (ep->tls != NULL) {
		struct mg_tls_io io = {mg_conn_io_recv, mg_conn_io_send, hc->c};

		hc->tls = mg_tls_connect(ep->tls, &io, ep->sni);
		if (hc->tls == NULL) {
			mg_conn_abort(hc->c);
			nghttp2_session_del(hc->ng);
			free(hc);
			ep->tls_refused++;
			return NULL;
		}
	}
	mg_conn_set_deadline(hc->c, MG_H2C_CONNECT_MS);
	LIST_INSERT_HEAD(&ep->h2_conns, hc, link);
	ep->open++;
	ep->connects++;
	h2c.st.connections++;
	h2c.st.active_connections++;
	return hc;
}

static bool
conn_has_room(const struct mg_h2c_conn *hc)
{
	return !hc->goaway && !hc->dead && hc->nstreams < conn_limit(hc);
}

bool
mg_h2c_has_room(const struct mg_endpoint *ep)
{
	const struct mg_h2c_conn *hc;

	LIST_FOREACH(hc, &ep->h2_conns, link)
	if (conn_has_room(hc))
		return true;
	return ep->max_conns == 0 || ep->open < ep->max_conns;
}

struct mg_conn *
mg_h2c_open(struct mg_endpoint *ep, const struct mg_conn_ops *ops, void *owner, int *errno_out)
{
	struct mg_h2c_conn *hc, *best = NULL;
	struct stream *st;

	LIST_FOREACH(hc, &ep->h2_conns, link)
	{
		/* the busiest connection with room: idle ones can time out */
		if (conn_has_room(hc) && (best == NULL || hc->nstreams > best->nstreams))
			best = hc;
	}
	if (best == NULL) {
		if (ep->max_conns != 0 && ep->open >= ep->max_conns) {
			ep->overflows++;
			*errno_out = -EBUSY;
			return NULL;
		}
	}
	st = mg_pool_get(&h2c.streams);
	if (st == NULL) {
		h2c.st.refused++;
		*errno_out = -ENOMEM;
		return NULL;
	}
	st->out = buf_get();
	st->in = buf_get();
	if (st->out == NULL || st->in == NULL) {
		buf_put(&st->out);
		buf_put(&st->in);
		mg_pool_put(&h2c.streams, st);
		h2c.st.refused++;
		*errno_out = -ENOMEM;
		return NULL;
	}
	if (best == NULL) {
		best = conn_open(ep);
		if (best == NULL) {
			buf_put(&st->out);
			buf_put(&st->in);
			mg_pool_put(&h2c.streams, st);
			h2c.st.refused++;
			*errno_out = -ENOMEM;
			return NULL;
		}
	} else {
		ep->reuses++;
	}
	st->hc = best;
	st->id = -1;
	st->body_end = NO_END;
	st->in->len = STATUS_ROOM;
	st->vc = mg_vconn_new(&peer_ops, st, ep->addr, ep->port, 0, 0, ops, owner);
	if (st->vc == NULL) {
		buf_put(&st->out);
		buf_put(&st->in);
		mg_pool_put(&h2c.streams, st);
		h2c.st.refused++;
		*errno_out = -ENOMEM;
		if (best->nstreams == 0 && best->ready)
			schedule(best);
		return NULL;
	}
	LIST_INSERT_HEAD(&best->streams, st, link);
	if (best->idle) {
		best->idle = false;
		ep->idle--;
	}
	best->nstreams++;
	h2c.st.streams++;
	h2c.st.active_streams++;
	if (best->ready) {
		mg_conn_set_deadline(best->c, 0);
		mark(st, P_CONNECTED);
		schedule(best);
	}
	return st->vc;
}

void
mg_h2c_drain(struct mg_endpoint *ep, bool all)
{
	struct mg_h2c_conn *hc, *next;

	for (hc = LIST_FIRST(&ep->h2_conns); hc != NULL; hc = next) {
		next = LIST_NEXT(hc, link);
		if (all || hc->nstreams == 0) {
			if (hc->ready) {
				nghttp2_session_terminate_session(hc->ng, NGHTTP2_NO_ERROR);
				conn_send(hc);
			}
			conn_close(hc, false);
			next = LIST_FIRST(&ep->h2_conns); /* closing may have changed the list */
		}
	}
}
