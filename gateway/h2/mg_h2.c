/*
 * The HTTP/2 server side.  See mg_h2.h.
 *
 * Per connection: one nghttp2 server session over the client's mg_conn (and TLS).  Per
 * stream: a virtual connection (mg_vconn_new) whose peer methods are below, attached to a
 * proxy session (mg_proxy_attach).
 *
 *   request:  HEADERS -> HTTP/1.1 head text in st->in; DATA -> raw body bytes after it.
 *             The session reads the head, then the body: as is when the client gave a
 *             Content-Length, else with chunked framing generated while it reads.  The
 *             stream's receive window reopens only for bytes the session read, so a stream
 *             never holds more than MG_H2_STREAM_WINDOW body bytes.
 *   response: the session writes HTTP/1.1 into st->out; the head is parsed (mg_h1) and
 *             submitted as HEADERS; body bytes are de-framed in place (chunked decoded) into
 *             the front of st->out, where the DATA source reads them; a chunked trailer
 *             section becomes trailing HEADERS.
 *
 * Events for the sessions (readable, writable, closed) are never delivered from inside an
 * nghttp2 callback or a peer method: streams are marked and put on their connection's
 * pending list, which run() drains once nghttp2 has returned.  A peer method that queued
 * output sends it at once when the connection is not already being run, and schedules a run
 * (an lwIP timeout of 0 ms) for the events it may have caused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>

#include <nghttp2/nghttp2.h>

#include "gateway/core/mg_pool.h"
#include "gateway/h2/mg_h2.h"
#include "gateway/h2/mg_h2_mem.h"
#include "gateway/http/mg_chunked.h"
#include "gateway/http/mg_h1.h"
#include "gateway/http/mg_http_util.h"
#include "gateway/net/mg_conn.h"
#include "gateway/obs/mg_obs.h"
#include "gateway/proxy/mg_proxy.h"
#include "gateway/tls/mg_tls.h"
#include "lwip/timeouts.h"

#define RESP_FIELDS  256
#define MAX_TRAILERS 64
#define FRAMING_MAX  24 /* "<16 hex digits>\r\n" and the CRLF before it */

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* Stream buffers come in two sizes: small ones (most heads, small bodies) and large ones
 * (a head up to the listener's limit plus a window of body), taken when a small one is too
 * small: thousands of concurrent small requests then hold little memory. */
#define SMALL_BUF 4096

struct h2buf {
	uint32_t len;
	uint32_t cap;
	char data[];
};

enum { P_READ = 1, P_WRITE = 2, P_CLOSED = 4 };

struct h2conn;

struct stream {
	struct h2conn *hc;
	int32_t id;
	struct mg_conn *vc; /* NULL before attaching and once the session let go of it */
	LIST_ENTRY(stream) link;
	TAILQ_ENTRY(stream) plink; /* the connection's pending list, or h2.waiting */
	uint8_t pend;
	bool on_pending, waiting;
	bool ng_closed;  /* nghttp2 closed the stream */
	bool owner_gone; /* the session closed or aborted the virtual connection */
	bool reset_by_client;
	/* ---- request ---- */
	struct h2buf *in;
	uint32_t in_pos;       /* next byte the session reads */
	uint32_t head_left;    /* bytes of the head among in[in_pos ..] */
	uint32_t cookie_top;   /* cookie crumbs stored from the end of in, downward */
	uint32_t pseudo[4][2]; /* :method :scheme :authority :path: offset, length in in */
	uint32_t hdr_bytes;    /* decoded header bytes of the request (bomb defence) */
	bool head_done, head_failed, too_large;
	bool req_end;     /* END_STREAM received */
	bool req_chunked; /* the body goes to the session chunked */
	bool has_cl;      /* the client gave a Content-Length */
	bool end_sent;    /* the last-chunk went to the session */
	bool has_host;
	bool crlf_due;       /* a chunk's CRLF is due before the next size line */
	bool detaching;      /* attach() is dropping a virtual connection no session took */
	bool server_reset;   /* the gateway reset the stream */
	uint64_t chunk_left; /* chunked: data bytes of the current chunk still to give */
	/* Request trailers (trailing HEADERS), as "name: value\r\n" lines, for a chunked body;
	 * from the connection's allocator, at most MG_CHUNKED_DEFAULT_MAX_TRAILER bytes. */
	char *rtr;
	uint32_t rtr_len, rtr_off;
	bool rtr_final; /* the trailer section's closing CRLF went out */
	char frm[FRAMING_MAX];
	uint8_t frm_len, frm_off;
	/* ---- response ---- */
	struct h2buf *out;
	uint32_t dlen; /* out[0 .. dlen): body bytes ready for DATA */
	uint32_t roff; /* out[roff .. len): bytes written by the session, not yet processed */
	enum mg_h1_method method;
	bool resp_submitted, resp_end, resp_failed, data_deferred, resp_no_body;
	uint8_t resp_body; /* enum mg_h1_body */
	uint64_t resp_left;
	struct mg_chunked ch;
	char *trailers; /* "name\0value\0" pairs, from the connection's allocator */
	uint32_t trailers_len;
	uint16_t ntrailers;
};

struct h2conn {
	const struct mg_proxy_listener_conf *lc;
	struct mg_conn *c;
	struct mg_tls_conn *tls;
	nghttp2_session *ng;
	LIST_ENTRY(h2conn) link;
	LIST_HEAD(, stream) streams;
	TAILQ_HEAD(, stream) pending;
	uint32_t nstreams;
	struct mg_h2_mem mem; /* what nghttp2 holds for it */
	uint64_t opened, early_resets, control_frames;
	bool running;   /* inside run(): peer methods only mark */
	bool scheduled; /* on h2.dirty */
	bool dead;      /* being freed */
	bool progress;  /* stream bytes moved (or a stream opened) since the deadline was armed;
	                 * PINGs and SETTINGS do not count */
	bool goaway;
	uint8_t why; /* enum mg_h2_goaway of the GOAWAY sent, if any */
	LIST_ENTRY(h2conn) dlink;
};

static struct {
	struct mg_pool conn_pool, stream_pool, bufs, small;
	uint32_t buf_size;
	LIST_HEAD(, h2conn) conns;
	LIST_HEAD(, h2conn) dirty;
	TAILQ_HEAD(, stream) waiting; /* streams not yet attached to a session */
	bool timer_armed, retry_armed;
	struct mg_h2_stats st;
	char rbuf[16384];
	struct mg_h1_field fields[RESP_FIELDS];
	struct mg_h1_field trailers[MAX_TRAILERS];
	nghttp2_nv nv[RESP_FIELDS + 1];
	char status[4];
} h2;

static const char *const goaway_names[MG_H2_GA_MAX] = {
    [MG_H2_GA_NONE] = "none",
    [MG_H2_GA_PROTOCOL] = "protocol_error",
    [MG_H2_GA_FLOOD] = "flood",
    [MG_H2_GA_RAPID_RESET] = "rapid_reset",
    [MG_H2_GA_CONTINUATION] = "continuation_flood",
    [MG_H2_GA_HEADERS] = "header_bomb",
    [MG_H2_GA_MEMORY] = "memory",
    [MG_H2_GA_IDLE] = "idle",
    [MG_H2_GA_STALL] = "stall",
    [MG_H2_GA_SHUTDOWN] = "shutdown",
};

const char *
mg_h2_goaway_name(enum mg_h2_goaway r)
{
	return (unsigned int)r < MG_H2_GA_MAX ? goaway_names[r] : "unknown";
}

const struct mg_h2_stats *
mg_h2_stats(void)
{
	return &h2.st;
}

uint32_t
mg_h2_buf_size(uint32_t max_head)
{
	return max_head + MG_H2_STREAM_WINDOW + 1024;
}

int
mg_h2_init(uint32_t max_conns, uint32_t max_streams, uint32_t n_bufs, uint32_t buf_size)
{
	int rc;

	LIST_INIT(&h2.conns);
	LIST_INIT(&h2.dirty);
	TAILQ_INIT(&h2.waiting);
	h2.buf_size = buf_size;
	rc = mg_pool_init(&h2.conn_pool, "h2_conn", sizeof(struct h2conn), max_conns);
	if (rc != 0)
		return rc;
	rc = mg_pool_init(&h2.stream_pool, "h2_stream", sizeof(struct stream), max_streams);
	if (rc == 0)
		rc = mg_pool_init(&h2.bufs, "h2_buf", sizeof(struct h2buf) + buf_size, n_bufs);
	if (rc == 0)
		rc = mg_pool_init(&h2.small, "h2_small_buf", sizeof(struct h2buf) + SMALL_BUF,
		                  4 * n_bufs);
	if (rc != 0) {
		if (h2.bufs.mem != NULL)
			mg_pool_destroy(&h2.bufs);
		mg_pool_destroy(&h2.conn_pool);
		if (h2.stream_pool.mem != NULL)
			mg_pool_destroy(&h2.stream_pool);
	}
	return rc;
}

int
mg_h2_preface(const void *p, size_t n)
{
	size_t k = n < sizeof(preface) - 1 ? n : sizeof(preface) - 1;

	if (memcmp(p, preface, k) != 0)
		return 0;
	return k == sizeof(preface) - 1 ? 1 : -1;
}

/* ---- buffers ------------------------------------------------------------------------ */

/* A buffer of at least <need> bytes (a small one when it fits), empty; NULL when none. */
static struct h2buf *
buf_get(uint32_t need)
{
	struct h2buf *b = NULL;

	if (need <= SMALL_BUF) {
		b = mg_pool_get_head(&h2.small, sizeof(struct h2buf));
		if (b != NULL)
			b->cap = SMALL_BUF;
	}
	if (b == NULL && need <= h2.buf_size) {
		b = mg_pool_get_head(&h2.bufs, sizeof(struct h2buf));
		if (b != NULL)
			b->cap = h2.buf_size;
	}
	if (b != NULL)
		b->len = 0;
	return b;
}

static void
buf_put(struct h2buf **b)
{
	if (*b != NULL)
		mg_pool_put((*b)->cap == SMALL_BUF ? &h2.small : &h2.bufs, *b);
	*b = NULL;
}

/* Moves a small buffer's bytes [0, len) and its tail [<tail>, cap) into a large one; <tail>
 * is updated.  Returns false when <*b> is already large or no large buffer is free. */
static bool
buf_grow(struct h2buf **b, uint32_t *tail)
{
	struct h2buf *n;
	uint32_t t = tail != NULL ? *tail : (*b)->cap;

	if ((*b)->cap != SMALL_BUF)
		return false;
	n = mg_pool_get_head(&h2.bufs, sizeof(struct h2buf));
	if (n == NULL)
		return false;
	n->cap = h2.buf_size;
	n->len = (*b)->len;
	memcpy(n->data, (*b)->data, (*b)->len);
	memcpy(n->data + n->cap - ((*b)->cap - t), (*b)->data + t, (*b)->cap - t);
	if (tail != NULL)
		*tail = n->cap - ((*b)->cap - t);
	buf_put(b);
	*b = n;
	return true;
}

/* ---- scheduling --------------------------------------------------------------------- */

static void run(struct h2conn *hc);
static void conn_send(struct h2conn *hc);

static void
mark(struct stream *st, uint8_t what)
{
	struct h2conn *hc = st->hc;

	st->pend |= what;
	if (!st->on_pending && !st->waiting) {
		st->on_pending = true;
		TAILQ_INSERT_TAIL(&hc->pending, st, plink);
	}
}

static void
deferred(void *arg)
{
	struct h2conn *hc;

	(void)arg;
	h2.timer_armed = false;
	while ((hc = LIST_FIRST(&h2.dirty)) != NULL) {
		LIST_REMOVE(hc, dlink);
		hc->scheduled = false;
		run(hc);
	}
}

/* Runs <hc> soon (from lwIP's timers, within a millisecond), outside any caller's stack. */
static void
schedule(struct h2conn *hc)
{
	if (hc->dead || hc->running || hc->scheduled)
		return;
	hc->scheduled = true;
	LIST_INSERT_HEAD(&h2.dirty, hc, dlink);
	if (!h2.timer_armed) {
		h2.timer_armed = true;
		sys_timeout(0, deferred, NULL);
	}
}

/* A peer method queued output for <hc>: send it now unless <hc> is being run (run() sends
 * before it returns), and run <hc> soon for the events the sending may cause. */
static void
kick(struct h2conn *hc)
{
	if (hc->dead || hc->running)
		return;
	conn_send(hc);
	schedule(hc);
}

/* ---- streams ------------------------------------------------------------------------- */

static void
stream_free(struct stream *st)
{
	struct h2conn *hc = st->hc;

	if (st->on_pending)
		TAILQ_REMOVE(&hc->pending, st, plink);
	if (st->waiting) {
		TAILQ_REMOVE(&h2.waiting, st, plink);
		h2.st.waiting_streams--;
	}
	LIST_REMOVE(st, link);
	buf_put(&st->in);
	buf_put(&st->out);
	if (st->trailers != NULL)
		mg_h2_mem_free(st->trailers, &hc->mem);
	if (st->rtr != NULL)
		mg_h2_mem_free(st->rtr, &hc->mem);
	hc->nstreams--;
	h2.st.active_streams--;
	if (hc->nstreams == 0)
		mg_conn_set_deadline(hc->c, hc->lc->idle_timeout_ms); /* idle from now */
	mg_pool_put(&h2.stream_pool, st);
}

/* Frees <st> once both nghttp2 and the session are done with it. */
static void
stream_maybe_free(struct stream *st)
{
	if (st->ng_closed && st->vc == NULL && !(st->pend & P_CLOSED))
		stream_free(st);
}

static void
stream_reset(struct stream *st, uint32_t code)
{
	st->server_reset = true;
	if (!st->ng_closed)
		nghttp2_submit_rst_stream(st->hc->ng, NGHTTP2_FLAG_NONE, st->id, code);
}

/* Answers <status> with an empty body on a stream no session took (a request the HTTP/2
 * layer itself refused). */
static void
stream_answer(struct stream *st, int status)
{
	char s[4];
	nghttp2_nv nv[2] = {
	    {(uint8_t *)":status", (uint8_t *)s, 7, 3, NGHTTP2_NV_FLAG_NONE},
	    {(uint8_t *)"content-length", (uint8_t *)"0", 14, 1, NGHTTP2_NV_FLAG_NONE},
	};

	snprintf(s, sizeof(s), "%03d", status);
	st->resp_submitted = true;
	st->resp_end = true;
	if (nghttp2_submit_response(st->hc->ng, st->id, nv, 2, NULL) != 0)
		stream_reset(st, NGHTTP2_INTERNAL_ERROR);
}

/* ---- the virtual connection's peer methods ----------------------------------------- */

/* Fills st->frm with the framing the session must read next; returns false when nothing
 * more can be given now. */
static bool
next_framing(struct stream *st, uint32_t body_avail)
{
	int n;

	if (st->frm_off < st->frm_len)
		return true;
	st->frm_off = st->frm_len = 0;
	if (!st->req_chunked || st->chunk_left > 0)
		return false;
	if (body_avail > 0) {
		n = snprintf(st->frm, sizeof(st->frm), "%s%x\r\n", st->crlf_due ? "\r\n" : "",
		             body_avail);
		st->frm_len = (uint8_t)n;
		st->chunk_left = body_avail;
		st->crlf_due = true;
		return true;
	}
	if (st->end_sent && st->rtr_len > 0) {
		/* The trailer section, a framing buffer at a time, then its closing CRLF. */
		if (st->rtr_off < st->rtr_len) {
			n = (int)(st->rtr_len - st->rtr_off < FRAMING_MAX
			              ? st->rtr_len - st->rtr_off
			              : FRAMING_MAX);
			memcpy(st->frm, st->rtr + st->rtr_off, (size_t)n);
			st->rtr_off += (uint32_t)n;
			st->frm_len = (uint8_t)n;
			return true;
		}
		if (!st->rtr_final) {
			memcpy(st->frm, "\r\n", 2);
			st->frm_len = 2;
			st->rtr_final = true;
			return true;
		}
		return false;
	}
	if (st->req_end && !st->end_sent) {
		n = snprintf(st->frm, sizeof(st->frm), "%s0\r\n%s", st->crlf_due ? "\r\n" : "",
		             st->rtr_len > 0 ? "" : "\r\n");
		st->frm_len = (uint8_t)n;
		st->end_sent = true;
		return true;
	}
	return false;
}

static uint32_t
in_avail(const struct stream *st)
{
	return st->in != NULL ? st->in->len - st->in_pos : 0;
}

static int
v_read(void *arg, void *buf, size_t len, bool peek)
{
	struct stream *st = arg;
	char *o = buf;
	size_t done = 0, n;
	uint32_t consumed_body = 0;

	if (peek) {
		n = st->head_left < len ? st->head_left : len;
		if (n > 0)
			memcpy(o, st->in->data + st->in_pos, n);
		return n > 0 ? (int)n : MG_CONN_AGAIN;
	}
	while (done < len) {
		uint32_t avail = in_avail(st);

		if (st->head_left > 0) {
			n = st->head_left < len - done ? st->head_left : len - done;
			memcpy(o + done, st->in->data + st->in_pos, n);
			st->in_pos += (uint32_t)n;
			st->head_left -= (uint32_t)n;
			done += n;
			continue;
		}
		if (!st->head_done)
			break;
		if (next_framing(st, avail)) {
			n = (size_t)(st->frm_len - st->frm_off);
			if (n > len - done)
				n = len - done;
			memcpy(o + done, st->frm + st->frm_off, n);
			st->frm_off += (uint8_t)n;
			done += n;
			continue;
		}
		if (avail == 0)
			break;
		n = avail < len - done ? avail : len - done;
		if (st->req_chunked && n > st->chunk_left)
			n = (size_t)st->chunk_left;
		memcpy(o + done, st->in->data + st->in_pos, n);
		st->in_pos += (uint32_t)n;
		if (st->req_chunked)
			st->chunk_left -= n;
		consumed_body += (uint32_t)n;
		done += n;
	}
	if (st->in != NULL && st->in_pos == st->in->len) {
		st->in_pos = 0;
		st->in->len = 0;
		if (st->req_end || st->head_left == 0)
			buf_put(&st->in); /* taken again when more DATA comes */
	}
	if (consumed_body > 0 && !st->ng_closed) {
		nghttp2_session_consume(st->hc->ng, st->id, consumed_body);
		kick(st->hc); /* WINDOW_UPDATE */
	}
	return done > 0 ? (int)done : MG_CONN_AGAIN;
}

static size_t
v_rx_avail(void *arg)
{
	struct stream *st = arg;

	if (st->head_left > 0)
		return st->head_left;
	if (!st->head_done)
		return 0;
	if (st->frm_off < st->frm_len)
		return (size_t)(st->frm_len - st->frm_off);
	if (st->end_sent && st->rtr_len > 0 && !st->rtr_final)
		return st->rtr_len - st->rtr_off + 2;
	if (in_avail(st) > 0)
		return in_avail(st) + (st->req_chunked ? FRAMING_MAX : 0);
	return st->req_chunked && st->req_end && !st->end_sent ? 5 : 0;
}

static bool
v_rx_eof(void *arg)
{
	(void)arg;
	return false; /* the end of a request is its framing; a reset is `closed' */
}

static size_t
v_send_space(void *arg)
{
	struct stream *st = arg;

	if (st->resp_failed || st->ng_closed)
		return 0;
	if (st->out == NULL)
		return h2.bufs.in_use < h2.bufs.capacity ? h2.buf_size : 0;
	if (st->out->cap == SMALL_BUF && h2.bufs.in_use < h2.bufs.capacity)
		return h2.buf_size - st->out->len; /* it grows on demand */
	return st->out->cap - st->out->len;
}

static size_t
v_unsent(void *arg)
{
	struct stream *st = arg;

	return st->out != NULL ? st->out->len : 0;
}

static void process_response(struct stream *st);

static int
v_write(void *arg, const void *buf, size_t len, bool more)
{
	struct stream *st = arg;
	size_t n;

	(void)more;
	if (st->ng_closed || st->resp_failed)
		return -EPIPE;
	if (len == 0)
		return 0;
	if (st->out == NULL) {
		st->out = buf_get((uint32_t)(len < h2.buf_size ? len : h2.buf_size));
		if (st->out == NULL)
			return MG_CONN_AGAIN;
		st->dlen = st->roff = 0;
	}
	if (st->out->len + len > st->out->cap)
		buf_grow(&st->out, NULL);
	n = st->out->cap - st->out->len;
	if (n == 0)
		return MG_CONN_AGAIN;
	if (n > len)
		n = len;
	memcpy(st->out->data + st->out->len, buf, n);
	st->out->len += (uint32_t)n;
	process_response(st);
	kick(st->hc);
	return (int)n;
}

static void
v_shutdown_write(void *arg)
{
	struct stream *st = arg;

	/* Only a close-delimited body can end this way. */
	if (st->resp_submitted && st->resp_body == MG_H1_BODY_EOF) {
		st->resp_end = true;
		if (st->data_deferred && !st->ng_closed) {
			st->data_deferred = false;
			nghttp2_session_resume_data(st->hc->ng, st->id);
		}
		kick(st->hc);
	}
}

static void
v_gone(void *arg, bool abort)
{
	struct stream *st = arg;
	struct h2conn *hc = st->hc;

	st->vc = NULL;
	if (st->detaching)
		return;
	st->owner_gone = true;
	st->pend = 0;
	if (!abort && st->resp_submitted && st->resp_body == MG_H1_BODY_EOF)
		st->resp_end = true;
	if (abort || !st->resp_submitted || (!st->resp_end && st->resp_body != MG_H1_BODY_EOF)) {
		/* The exchange did not end cleanly: the client must not take a truncated
		 * response for a complete one. */
		stream_reset(st, NGHTTP2_INTERNAL_ERROR);
	} else if (st->data_deferred && !st->ng_closed) {
		st->data_deferred = false;
		nghttp2_session_resume_data(hc->ng, st->id);
	}
	/* Sending now could close the stream inside nghttp2 and free it under us: free it
	 * here if nghttp2 is already done with it, and let the connection send soon. */
	stream_maybe_free(st);
	schedule(hc);
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

/* ---- response: HTTP/1.1 from the session to HTTP/2 ------------------------------------ */

static ssize_t
data_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
          nghttp2_data_source *src, void *ud)
{
	struct stream *st = src->ptr;
	struct h2conn *hc = ud;
	size_t n;

	(void)ng;
	(void)id;
	n = st->dlen < length ? st->dlen : length;
	if (n > 0) {
		memcpy(buf, st->out->data, n);
		memmove(st->out->data, st->out->data + n, st->out->len - n);
		st->out->len -= (uint32_t)n;
		st->dlen -= (uint32_t)n;
		st->roff -= (uint32_t)n;
		if (st->vc != NULL)
			mark(st, P_WRITE);
		hc->progress = true;
	}
	if (st->dlen == 0 && st->resp_end) {
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
			if (nghttp2_submit_trailer(hc->ng, st->id, nv, st->ntrailers) == 0)
				*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
		}
		if (st->out != NULL && st->out->len == 0)
			buf_put(&st->out);
		return (ssize_t)n;
	}
	if (n == 0) {
		st->data_deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	return (ssize_t)n;
}

static bool
lower_in_place(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (char)(p[i] - 'A' + 'a');
	return true;
}

/* The session's response failed to translate: reset the stream (the session's write fails
 * from now on, and it ends). */
static void
resp_fail(struct stream *st)
{
	st->resp_failed = true;
	stream_reset(st, NGHTTP2_INTERNAL_ERROR);
}

/* Parses the response head at out[roff ..]; submits it.  Returns false while incomplete. */
static bool
response_head(struct stream *st)
{
	struct mg_h1_response r;
	char *base = st->out->data + st->roff;
	size_t len = st->out->len - st->roff;
	nghttp2_data_provider dp = {.source.ptr = st, .read_callback = data_read};
	unsigned int i, k = 0;
	int n;

	mg_h1_response_init(&r, h2.fields, RESP_FIELDS, NULL, st->method);
	n = mg_h1_response_parse(&r, base, len);
	if (n == MG_H1_INCOMPLETE) {
		if (st->out->len == st->out->cap && !buf_grow(&st->out, NULL))
			resp_fail(st);
		return false;
	}
	if (n < 0 || r.head.body == MG_H1_BODY_TUNNEL) {
		resp_fail(st);
		return false;
	}
	if (r.interim) {
		st->roff += (uint32_t)n; /* 100 Continue and the like: HTTP/2 clients need none */
		return true;
	}
	snprintf(h2.status, sizeof(h2.status), "%03d", r.status);
	h2.nv[k++] =
	    (nghttp2_nv){(uint8_t *)":status", (uint8_t *)h2.status, 7, 3, NGHTTP2_NV_FLAG_NONE};
	for (i = 0; i < r.head.nfields; i++) {
		struct mg_h1_field *f = &h2.fields[i];

		if (mg_http_is_hop_by_hop(f->name.p, f->name.len, &r.head))
			continue;
		if (r.head.body != MG_H1_BODY_LENGTH && f->name.len == 14 &&
		    strncasecmp(f->name.p, "content-length", 14) == 0)
			continue;
		lower_in_place((char *)f->name.p, f->name.len);
		h2.nv[k++] = (nghttp2_nv){(uint8_t *)f->name.p, (uint8_t *)f->value.p, f->name.len,
		                          f->value.len, NGHTTP2_NV_FLAG_NONE};
	}
	st->resp_body = (uint8_t)r.head.body;
	st->resp_left = r.head.content_length;
	st->resp_no_body = r.head.body == MG_H1_BODY_NONE ||
	                   (r.head.body == MG_H1_BODY_LENGTH && r.head.content_length == 0);
	if (r.head.body == MG_H1_BODY_CHUNKED)
		mg_chunked_init(&st->ch, NULL, h2.trailers, MAX_TRAILERS);
	st->resp_submitted = true;
	if (st->resp_no_body)
		st->resp_end = true;
	if (nghttp2_submit_response(st->hc->ng, st->id, h2.nv, k, st->resp_no_body ? NULL : &dp) !=
	    0) {
		resp_fail(st);
		return false;
	}
	st->roff += (uint32_t)n;
	return true;
}

/* Keeps the trailer fields of a chunked response for the trailing HEADERS. */
static void
keep_trailers(struct stream *st)
{
	size_t need = 0, i;
	unsigned int k = 0;
	char *p;

	for (i = 0; i < st->ch.ntrailers; i++)
		if (mg_http_trailer_allowed(h2.trailers[i].name.p, h2.trailers[i].name.len))
			need += h2.trailers[i].name.len + h2.trailers[i].value.len + 2;
	if (need == 0)
		return;
	st->trailers = mg_h2_mem_malloc(need, &st->hc->mem);
	if (st->trailers == NULL)
		return;
	p = st->trailers;
	for (i = 0; i < st->ch.ntrailers; i++) {
		const struct mg_h1_field *f = &h2.trailers[i];

		if (!mg_http_trailer_allowed(f->name.p, f->name.len))
			continue;
		memcpy(p, f->name.p, f->name.len);
		lower_in_place(p, f->name.len);
		p[f->name.len] = '\0';
		p += f->name.len + 1;
		memcpy(p, f->value.p, f->value.len);
		p[f->value.len] = '\0';
		p += f->value.len + 1;
		k++;
	}
	st->trailers_len = (uint32_t)need;
	st->ntrailers = (uint16_t)k;
}

/* Moves the body bytes at out[roff ..] to out[dlen ..], de-framed. */
static void
response_body(struct stream *st)
{
	char *o = st->out->data;

	while (!st->resp_end && st->roff < st->out->len) {
		uint32_t raw = st->out->len - st->roff;

		if (st->resp_body == MG_H1_BODY_CHUNKED) {
			struct mg_chunked_span sp;
			ssize_t n = mg_chunked_decode(&st->ch, o + st->roff, raw, &sp);

			if (n < 0) {
				resp_fail(st);
				return;
			}
			if (sp.data_len > 0) {
				memmove(o + st->dlen, sp.data, sp.data_len);
				st->dlen += (uint32_t)sp.data_len;
			}
			if (mg_chunked_done(&st->ch)) {
				keep_trailers(st);
				st->resp_end = true;
			}
			st->roff += (uint32_t)n;
			if (n == 0)
				break;
		} else {
			uint32_t n = raw;

			if (st->resp_body == MG_H1_BODY_LENGTH && n > st->resp_left)
				n = (uint32_t)st->resp_left;
			memmove(o + st->dlen, o + st->roff, n);
			st->dlen += n;
			st->roff += n;
			if (st->resp_body == MG_H1_BODY_LENGTH) {
				st->resp_left -= n;
				if (st->resp_left == 0)
					st->resp_end = true;
			}
		}
	}
	if (st->resp_end && st->roff < st->out->len)
		st->roff = st->out->len; /* bytes after the response: ignored */
	/* Compact: out = [body ready][unprocessed]. */
	if (st->roff > st->dlen) {
		memmove(o + st->dlen, o + st->roff, st->out->len - st->roff);
		st->out->len -= st->roff - st->dlen;
		st->roff = st->dlen;
	}
}

static void
process_response(struct stream *st)
{
	while (!st->resp_submitted && !st->resp_failed && st->roff < st->out->len)
		if (!response_head(st))
			return;
	if (!st->resp_submitted || st->resp_failed)
		return;
	if (st->resp_no_body) {
		st->out->len = st->dlen = st->roff = 0;
		return;
	}
	response_body(st);
	if ((st->dlen > 0 || st->resp_end) && st->data_deferred && !st->ng_closed) {
		st->data_deferred = false;
		nghttp2_session_resume_data(st->hc->ng, st->id);
	}
}

/* ---- request: HTTP/2 to HTTP/1.1 for the session -------------------------------------- */

static bool
in_put(struct stream *st, const void *p, size_t n)
{
	if (st->in->len + n > st->cookie_top && !buf_grow(&st->in, &st->cookie_top))
		return false;
	if (st->in->len + n > st->cookie_top)
		return false;
	memcpy(st->in->data + st->in->len, p, n);
	st->in->len += (uint32_t)n;
	return true;
}

static void
reverse(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n / 2; i++) {
		char t = p[i];

		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

static bool
name_is(const uint8_t *name, size_t len, const char *lit)
{
	return len == strlen(lit) && memcmp(name, lit, len) == 0;
}

/*
 * Completes the head: "<method> <path> HTTP/1.1", Host from :authority, the regular fields
 * already in place, the joined Cookie field, the framing the session must expect, and
 * "Connection: close" (one exchange per stream).
 */
static bool
finish_head(struct stream *st, bool end_stream)
{
	char *d;
	uint32_t(*ps)[2] = st->pseudo;
	uint32_t fields_at = 0, fields_len, i;
	char line[64];
	size_t pre;
	int n;

	/* Room for everything below at once (the buffer must not move while <d> is used). */
	pre = ps[0][1] + 1 + ps[3][1] + 11 + 6 + ps[2][1] + 2;
	if (st->in->len + pre + 2 * (st->in->cap - st->cookie_top) + 128 > st->cookie_top)
		buf_grow(&st->in, &st->cookie_top);
	d = st->in->data;

	if (ps[0][1] == 0 || (ps[3][1] == 0) || ps[1][1] == 0)
		return false; /* nghttp2 checked them; CONNECT (no :path) is not served */
	for (i = 0; i < 4; i++)
		if (ps[i][1] > 0 && ps[i][0] + ps[i][1] > fields_at)
			fields_at = ps[i][0] + ps[i][1];
	fields_len = st->in->len - fields_at;
	/* Request line and Host go first: build them after the fields, then rotate. */
	pre = ps[0][1] + 1 + ps[3][1] + 11;
	if (ps[2][1] > 0)
		pre += 6 + ps[2][1] + 2;
	if (st->in->len + pre > st->cookie_top)
		return false;
	{
		char *w = d + st->in->len;

		memcpy(w, d + ps[0][0], ps[0][1]);
		w += ps[0][1];
		*w++ = ' ';
		memcpy(w, d + ps[3][0], ps[3][1]);
		w += ps[3][1];
		memcpy(w, " HTTP/1.1\r\n", 11);
		w += 11;
		if (ps[2][1] > 0) {
			memcpy(w, "Host: ", 6);
			w += 6;
			memcpy(w, d + ps[2][0], ps[2][1]);
			w += ps[2][1];
			memcpy(w, "\r\n", 2);
		}
		/* [pseudo values][fields][prefix] -> [prefix][fields]: rotate, then move down. */
		reverse(d + fields_at, fields_len);
		reverse(d + st->in->len, pre);
		reverse(d + fields_at, fields_len + pre);
		memmove(d, d + fields_at, fields_len + pre);
	}
	st->in->len = (uint32_t)(pre + fields_len);
	/* Cookie crumbs, first received first (stored downward from the end). */
	if (st->cookie_top < st->in->cap) {
		uint32_t pos = st->in->cap;
		bool first = true;

		if (!in_put(st, "Cookie: ", 8))
			return false;
		while (pos > st->cookie_top) {
			uint16_t cl;

			memcpy(&cl, d + pos - 2, 2);
			/* Appending moves len toward cookie_top: copy through a bounce. */
			if (st->in->len + cl + 2 > st->cookie_top - 0)
				return false;
			if (!first && !in_put(st, "; ", 2))
				return false;
			memmove(d + st->in->len, d + pos - 2 - cl, cl);
			st->in->len += cl;
			pos -= 2 + cl;
			first = false;
		}
		if (!in_put(st, "\r\n", 2))
			return false;
		st->cookie_top = st->in->cap;
	}
	if (!end_stream && !st->has_cl) {
		/* no Content-Length from the client: the body goes chunked */
		st->req_chunked = true;
		if (!in_put(st, "Transfer-Encoding: chunked\r\n", 28))
			return false;
	} else if (end_stream && !st->has_cl &&
	           ((ps[0][1] == 4 && memcmp(d, "POST", 4) == 0) ||
	            (ps[0][1] == 3 && memcmp(d, "PUT", 3) == 0) ||
	            (ps[0][1] == 5 && memcmp(d, "PATCH", 5) == 0))) {
		if (!in_put(st, "Content-Length: 0\r\n", 19))
			return false;
	}
	n = snprintf(line, sizeof(line), "Connection: close\r\n\r\n");
	if (!in_put(st, line, (size_t)n))
		return false;
	st->method = mg_h1_method_lookup(d, ps[0][1]); /* HEAD: a response without a body */
	st->head_left = st->in->len;
	st->in_pos = 0;
	st->head_done = true;
	return true;
}

/* ---- nghttp2 callbacks -------------------------------------------------------------- */

static int
on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
	struct h2conn *hc = ud;
	struct stream *st;

	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	h2.st.streams++;
	hc->opened++;
	hc->progress = true;
	st = mg_pool_get(&h2.stream_pool);
	if (st == NULL) {
		h2.st.streams_refused++;
		nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, f->hd.stream_id,
		                          NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	st->hc = hc;
	st->id = f->hd.stream_id;
	LIST_INSERT_HEAD(&hc->streams, st, link);
	hc->nstreams++;
	h2.st.active_streams++;
	st->in = buf_get(SMALL_BUF);
	if (st->in == NULL) {
		h2.st.streams_refused++;
		st->head_failed = true;
		nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_REFUSED_STREAM);
	} else {
		st->cookie_top = st->in->cap;
	}
	nghttp2_session_set_stream_user_data(ng, st->id, st);
	return 0;
}

static int
on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
          const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
	struct h2conn *hc = ud;
	struct stream *st = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
	static const char *const pseudo[4] = {":method", ":scheme", ":authority", ":path"};
	unsigned int i;

	(void)flags;
	if (st == NULL)
		return 0;
	st->hdr_bytes += (uint32_t)(nlen + vlen + 32);
	if (st->hdr_bytes > 4 * h2.buf_size + 4 * SMALL_BUF) {
		/* An HPACK bomb: tiny on the wire, huge decoded.  Nobody honest gets here. */
		hc->why = MG_H2_GA_HEADERS;
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	if (st->head_failed || st->too_large)
		return 0;
	if (f->headers.cat != NGHTTP2_HCAT_REQUEST) {
		/* Request trailers: passed on in the chunked body's trailer section (a body with
		 * a Content-Length has none in HTTP/1.1: dropped then). */
		size_t need = nlen + vlen + 4;
		char *p;

		if (!st->req_chunked || !st->head_done || st->end_sent ||
		    st->rtr_len + need > MG_CHUNKED_DEFAULT_MAX_TRAILER - 2)
			return 0;
		p = mg_h2_mem_realloc(st->rtr, st->rtr_len + need, &hc->mem);
		if (p == NULL)
			return 0;
		st->rtr = p;
		memcpy(p + st->rtr_len, name, nlen);
		memcpy(p + st->rtr_len + nlen, ": ", 2);
		memcpy(p + st->rtr_len + nlen + 2, value, vlen);
		memcpy(p + st->rtr_len + nlen + 2 + vlen, "\r\n", 2);
		st->rtr_len += (uint32_t)need;
		return 0;
	}
	if (nlen > 0 && name[0] == ':') {
		for (i = 0; i < 4; i++) {
			if (name_is(name, nlen, pseudo[i])) {
				st->pseudo[i][0] = st->in->len;
				st->pseudo[i][1] = (uint32_t)vlen;
				if (!in_put(st, value, vlen))
					st->too_large = true;
			}
		}
		return 0;
	}
	if (name_is(name, nlen, "cookie")) {
		uint16_t cl = (uint16_t)vlen;

		if (vlen > 0xffff || st->in->len + vlen + 2 > st->cookie_top) {
			st->too_large = true;
			return 0;
		}
		st->cookie_top -= 2;
		memcpy(st->in->data + st->cookie_top, &cl, 2);
		st->cookie_top -= (uint32_t)vlen;
		memcpy(st->in->data + st->cookie_top, value, vlen);
		return 0;
	}
	if (name_is(name, nlen, "host")) {
		if (st->pseudo[2][1] > 0)
			return 0; /* :authority wins (RFC 9113 section 8.3.1) */
		st->has_host = true;
	}
	if (name_is(name, nlen, "content-length")) {
		st->has_cl = true;
	}
	if (name_is(name, nlen, "te"))
		return 0; /* "trailers" is all HTTP/2 allows; it means nothing to HTTP/1.1 */
	if (!in_put(st, name, nlen) || !in_put(st, ": ", 2) || !in_put(st, value, vlen) ||
	    !in_put(st, "\r\n", 2))
		st->too_large = true;
	return 0;
}

static void attach(struct stream *st);

/* Attaches streams that waited for a session, oldest first, while sessions are free. */
static void
retry_waiting(void *arg)
{
	struct stream *st;

	(void)arg;
	h2.retry_armed = false;
	while ((st = TAILQ_FIRST(&h2.waiting)) != NULL) {
		TAILQ_REMOVE(&h2.waiting, st, plink);
		h2.st.waiting_streams--;
		st->waiting = false;
		attach(st); /* back on the list (and the timer armed) if still nothing is free */
		if (st->waiting)
			return;
		schedule(st->hc);
	}
}

static void
attach(struct stream *st)
{
	struct h2conn *hc = st->hc;
	uint32_t paddr, laddr;
	uint16_t pport, lport;

	mg_conn_peer(hc->c, &paddr, &pport);
	mg_conn_local(hc->c, &laddr, &lport);
	st->vc = mg_vconn_new(&peer_ops, st, paddr, pport, laddr, lport, NULL, NULL);
	if (st->vc == NULL || !mg_proxy_attach(hc->lc, st->vc, hc->tls != NULL)) {
		if (st->vc != NULL) {
			st->detaching = true;
			mg_conn_abort(st->vc);
			st->detaching = false;
			st->vc = NULL;
		}
		/* Wait for a session or connection to free up (retried every millisecond). */
		st->waiting = true;
		h2.st.waiting_streams++;
		TAILQ_INSERT_TAIL(&h2.waiting, st, plink);
		if (!h2.retry_armed) {
			h2.retry_armed = true;
			sys_timeout(1, retry_waiting, NULL);
		}
		return;
	}
	mark(st, P_READ);
}

static int
on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
	struct stream *st = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
	struct h2conn *hc = ud;

	/* Control frames a client may send without limit while it reads the replies (PING,
	 * SETTINGS, PRIORITY, WINDOW_UPDATE on the connection): a budget that grows with the
	 * streams it opens, past which it is a flood (CVE-2019-9512/9515 done politely). */
	if (f->hd.stream_id == 0 || f->hd.type == NGHTTP2_PRIORITY) {
		hc->control_frames++;
		if (hc->control_frames > MG_H2_CONTROL_BUDGET + 100 * hc->opened) {
			/* Fail the session: conn_recv() sends GOAWAY if it can and resets. */
			hc->why = MG_H2_GA_FLOOD;
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		}
	}
	if (st == NULL)
		return 0;
	switch (f->hd.type) {
	case NGHTTP2_HEADERS:
		if (f->headers.cat == NGHTTP2_HCAT_REQUEST) {
			bool end = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;

			if (st->head_failed)
				return 0;
			if (end)
				st->req_end = true;
			if (st->too_large || !finish_head(st, end)) {
				h2.st.bad_requests++;
				st->head_failed = true;
				buf_put(&st->in);
				stream_answer(st, 431);
				return 0;
			}
			attach(st);
		} else if (f->hd.flags & NGHTTP2_FLAG_END_STREAM) {
			st->req_end = true; /* request trailers: the body ends here */
			if (st->vc != NULL)
				mark(st, P_READ);
		}
		break;
	case NGHTTP2_DATA:
		if (f->hd.flags & NGHTTP2_FLAG_END_STREAM) {
			st->req_end = true;
			if (st->vc != NULL)
				mark(st, P_READ);
		}
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
	struct h2conn *hc = ud;
	struct stream *st = nghttp2_session_get_stream_user_data(ng, id);

	(void)flags;
	hc->progress = true;
	if (st == NULL || st->head_failed) {
		nghttp2_session_consume(ng, id, len);
		return 0;
	}
	if (st->in == NULL) {
		st->in = buf_get((uint32_t)len);
		if (st->in == NULL) {
			nghttp2_session_consume(ng, id, len);
			stream_reset(st, NGHTTP2_INTERNAL_ERROR);
			return 0;
		}
		st->cookie_top = st->in->cap;
		st->in_pos = 0;
	}
	if (st->in->len + len > st->cookie_top && st->in_pos > 0) {
		memmove(st->in->data, st->in->data + st->in_pos, st->in->len - st->in_pos);
		st->in->len -= st->in_pos;
		st->in_pos = 0;
	}
	if (st->in->len + len > st->cookie_top)
		buf_grow(&st->in, &st->cookie_top);
	/* The stream window keeps what a client may send within the buffer. */
	if (st->in->len + len > st->cookie_top) {
		nghttp2_session_consume(ng, id, len);
		stream_reset(st, NGHTTP2_FLOW_CONTROL_ERROR);
		return 0;
	}
	memcpy(st->in->data + st->in->len, data, len);
	st->in->len += (uint32_t)len;
	if (st->vc != NULL)
		mark(st, P_READ);
	return 0;
}

static int
on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
	struct h2conn *hc = ud;
	struct stream *st = nghttp2_session_get_stream_user_data(ng, id);

	if (st == NULL)
		return 0;
	st->ng_closed = true;
	if (!st->resp_end || code != NGHTTP2_NO_ERROR) {
		if (!st->server_reset && (!st->resp_submitted || !st->resp_end)) {
			st->reset_by_client = true;
			h2.st.client_resets++;
			if (!st->resp_submitted)
				hc->early_resets++;
		}
		if (st->vc != NULL)
			mark(st, P_CLOSED);
	}
	if (st->waiting) {
		TAILQ_REMOVE(&h2.waiting, st, plink);
		h2.st.waiting_streams--;
		st->waiting = false;
	}
	if (hc->early_resets > MG_H2_RESET_BURST &&
	    hc->early_resets * 100 > hc->opened * MG_H2_RESET_PERCENT && !hc->goaway) {
		hc->goaway = true;
		hc->why = MG_H2_GA_RAPID_RESET;
		h2.st.goaway[MG_H2_GA_RAPID_RESET]++;
		nghttp2_session_terminate_session(ng, NGHTTP2_ENHANCE_YOUR_CALM);
	}
	stream_maybe_free(st);
	return 0;
}

static ssize_t
on_send(nghttp2_session *ng, const uint8_t *data, size_t len, int flags, void *ud)
{
	struct h2conn *hc = ud;
	size_t space;
	int n;

	(void)ng;
	(void)flags;
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

static int
on_invalid_frame(nghttp2_session *ng, const nghttp2_frame *f, int code, void *ud)
{
	(void)ng;
	(void)f;
	(void)code;
	(void)ud;
	return 0;
}

/* ---- the connection ------------------------------------------------------------------ */

static const struct mg_conn_ops conn_ops;

static void
conn_free(struct h2conn *hc)
{
	struct stream *st;

	hc->dead = true;
	if (hc->scheduled) {
		LIST_REMOVE(hc, dlink);
		hc->scheduled = false;
	}
	/* Streams still with a session: tell it (the client is gone). */
	while ((st = LIST_FIRST(&hc->streams)) != NULL) {
		st->ng_closed = true;
		if (st->vc != NULL) {
			struct mg_conn *vc = st->vc;

			st->vc = NULL;
			st->pend = 0;
			mg_vconn_closed(vc, MG_CONN_RESET);
		}
		stream_free(st);
	}
	nghttp2_session_del(hc->ng);
	LIST_REMOVE(hc, link);
	h2.st.active_connections--;
	mg_obs_conn_close(hc->lc->port);
	mg_proxy_conn_gone();
	mg_tls_conn_free(hc->tls);
	mg_pool_put(&h2.conn_pool, hc);
}

/* Closes the connection: gracefully (what is queued goes first) or with a reset. */
static void
conn_close(struct h2conn *hc, bool reset)
{
	struct mg_conn *c = hc->c;

	if (reset) {
		if (hc->tls != NULL)
			mg_tls_conn_abort(hc->tls, MG_TLS_FAIL_OTHER);
		mg_conn_abort(c);
	} else {
		if (hc->tls != NULL)
			mg_tls_close_notify(hc->tls);
		mg_conn_close(c);
	}
	conn_free(hc);
}

static void
conn_send(struct h2conn *hc)
{
	int rc;

	if (hc->tls != NULL && mg_tls_want_flush(hc->tls) && mg_tls_flush(hc->tls) == MG_TLS_ERR)
		return;
	rc = nghttp2_session_send(hc->ng);
	if (rc != 0 && hc->why == MG_H2_GA_NONE)
		hc->why = MG_H2_GA_PROTOCOL;
}

/* Reads what the client sent into nghttp2.  Returns false when the connection must end. */
static bool
conn_recv(struct h2conn *hc)
{
	for (;;) {
		ssize_t rc;
		int n;

		if (hc->tls != NULL) {
			n = mg_tls_read(hc->tls, h2.rbuf, sizeof(h2.rbuf));
			if (n == MG_TLS_WANT_READ || n == MG_TLS_WANT_WRITE)
				return true;
			if (n < 0)
				return false; /* TLS failure or the peer's close */
		} else {
			n = mg_conn_read(hc->c, h2.rbuf, sizeof(h2.rbuf));
			if (n == MG_CONN_AGAIN)
				return true;
		}
		if (n == 0)
			return false;
		rc = nghttp2_session_mem_recv(hc->ng, (const uint8_t *)h2.rbuf, (size_t)n);
		if (rc < 0) {
			enum mg_h2_goaway why = MG_H2_GA_PROTOCOL;
			uint32_t code = NGHTTP2_PROTOCOL_ERROR;

			if (rc == NGHTTP2_ERR_FLOODED) {
				why = MG_H2_GA_FLOOD;
				code = NGHTTP2_ENHANCE_YOUR_CALM;
			} else if (rc == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
				why = MG_H2_GA_CONTINUATION;
				code = NGHTTP2_ENHANCE_YOUR_CALM;
			} else if (rc == NGHTTP2_ERR_NOMEM) {
				why = MG_H2_GA_MEMORY;
				code = NGHTTP2_ENHANCE_YOUR_CALM;
			} else if (rc == NGHTTP2_ERR_CALLBACK_FAILURE &&
			           (hc->why == MG_H2_GA_HEADERS || hc->why == MG_H2_GA_FLOOD)) {
				why = (enum mg_h2_goaway)hc->why;
				code = NGHTTP2_ENHANCE_YOUR_CALM;
			}
			hc->why = (uint8_t)why;
			if (!hc->goaway) {
				hc->goaway = true;
				h2.st.goaway[why]++;
				nghttp2_session_terminate_session(hc->ng, code);
				conn_send(hc);
			}
			return false;
		}
	}
}

/* Delivers the pending stream events; returns once none is left. */
static void
flush_pending(struct h2conn *hc)
{
	struct stream *st;

	while ((st = TAILQ_FIRST(&hc->pending)) != NULL) {
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
			mg_vconn_closed(vc, MG_CONN_RESET);
			stream_maybe_free(st);
			continue;
		}
		if (p & P_READ)
			mg_vconn_readable(vc);
		if ((p & P_WRITE) && st->vc != NULL)
			mg_vconn_writable(vc);
	}
}

/* One round for <hc>: sends, delivers events, sends what they produced; ends the connection
 * when nghttp2 wants neither to read nor to write. */
static void
run(struct h2conn *hc)
{
	int rounds = 0;

	if (hc->dead)
		return;
	hc->running = true;
	do {
		flush_pending(hc);
		conn_send(hc);
	} while (!TAILQ_EMPTY(&hc->pending) && ++rounds < 64);
	hc->running = false;
	if (!TAILQ_EMPTY(&hc->pending))
		schedule(hc);
	if (hc->why != MG_H2_GA_NONE && hc->why != MG_H2_GA_RAPID_RESET && !hc->goaway) {
		/* nghttp2 failed on its own (a send error): count it */
		hc->goaway = true;
		h2.st.goaway[hc->why]++;
	}
	if (!nghttp2_session_want_read(hc->ng) && !nghttp2_session_want_write(hc->ng))
		conn_close(hc, false);
}

static void
c_readable(struct mg_conn *c)
{
	struct h2conn *hc = mg_conn_owner(c);
	bool ok;

	hc->running = true;
	ok = conn_recv(hc);
	hc->running = false;
	if (!ok) {
		/* Deliver what the received frames caused, send the GOAWAY, then end. */
		hc->running = true;
		flush_pending(hc);
		conn_send(hc);
		hc->running = false;
		/* A protocol error or an attack: the GOAWAY goes if the socket takes it now,
		 * then the connection is reset, so that a client that stopped reading holds
		 * nothing of the gateway's (its unsent data, its pcb) for minutes. */
		conn_close(hc, hc->why != MG_H2_GA_NONE);
		return;
	}
	run(hc);
}

static void
c_writable(struct mg_conn *c)
{
	run(mg_conn_owner(c));
}

static void
c_timeout(struct mg_conn *c)
{
	struct h2conn *hc = mg_conn_owner(c);
	struct stream *st;
	bool stalled = false;

	LIST_FOREACH(st, &hc->streams, link)
	if (st->dlen > 0)
		stalled = true;
	if (hc->nstreams == 0 || (stalled && !hc->progress)) {
		/* No stream for the idle timeout (re-armed when the last one ended), or the
		 * client let its windows stay closed on pending data for as long. */
		enum mg_h2_goaway why = hc->nstreams == 0 ? MG_H2_GA_IDLE : MG_H2_GA_STALL;

		h2.st.goaway[why]++;
		hc->goaway = true;
		hc->why = (uint8_t)why;
		nghttp2_session_terminate_session(hc->ng, NGHTTP2_NO_ERROR);
		conn_send(hc);
		conn_close(hc, why == MG_H2_GA_STALL);
		return;
	}
	hc->progress = false;
	mg_conn_set_deadline(c, hc->lc->idle_timeout_ms);
}

static void
c_closed(struct mg_conn *c, enum mg_conn_reason why)
{
	struct h2conn *hc = mg_conn_owner(c);

	(void)why;
	if (hc->tls != NULL)
		mg_tls_conn_abort(hc->tls, MG_TLS_FAIL_PEER_CLOSED);
	conn_free(hc);
}

static const struct mg_conn_ops conn_ops = {
    .readable = c_readable,
    .writable = c_writable,
    .timeout = c_timeout,
    .closed = c_closed,
};

int
mg_h2_serve(const struct mg_proxy_listener_conf *lc, struct mg_conn *c, struct mg_tls_conn *tls,
            bool prior_knowledge)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	struct h2conn *hc;
	nghttp2_settings_entry iv[5];
	nghttp2_mem mem;
	int rc;

	if (h2.bufs.mem == NULL)
		return -ENOTSUP;
	hc = mg_pool_get(&h2.conn_pool);
	if (hc == NULL)
		return -ENOMEM;
	mg_h2_mem_setup(&hc->mem, &mem, MG_H2_MEM_CAP, &h2.st.mem, &h2.st.mem_refused);
	if (nghttp2_session_callbacks_new(&cb) != 0) {
		free(hc);
		return -ENOMEM;
	}
	nghttp2_session_callbacks_set_send_callback(cb, on_send);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, on_invalid_frame);
	if (nghttp2_option_new(&opt) != 0) {
		nghttp2_session_callbacks_del(cb);
		mg_pool_put(&h2.conn_pool, hc);
		return -ENOMEM;
	}
	nghttp2_option_set_no_auto_window_update(opt, 1);
	nghttp2_option_set_no_closed_streams(opt, 1);
	nghttp2_option_set_max_outbound_ack(opt, 1000);
	nghttp2_option_set_max_settings(opt, 32);
	nghttp2_option_set_max_continuations(opt, 8);
	nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
	nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
	rc = nghttp2_session_server_new3(&hc->ng, cb, hc, opt, &mem);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	if (rc != 0) {
		mg_pool_put(&h2.conn_pool, hc);
		return -ENOMEM;
	}
	iv[0] =
	    (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MG_H2_MAX_STREAMS};
	iv[1] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, MG_H2_STREAM_WINDOW};
	iv[2] =
	    (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, lc->limits.max_head};
	iv[3] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_FRAME_SIZE, 16384};
	iv[4] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 4096};
	if (nghttp2_submit_settings(hc->ng, NGHTTP2_FLAG_NONE, iv, 5) != 0 ||
	    nghttp2_session_set_local_window_size(hc->ng, NGHTTP2_FLAG_NONE, 0,
	                                          MG_H2_CONN_WINDOW) != 0) {
		nghttp2_session_del(hc->ng);
		mg_pool_put(&h2.conn_pool, hc);
		return -ENOMEM;
	}
	hc->lc = lc;
	hc->c = c;
	hc->tls = tls;
	LIST_INIT(&hc->streams);
	TAILQ_INIT(&hc->pending);
	LIST_INSERT_HEAD(&h2.conns, hc, link);
	h2.st.connections++;
	if (prior_knowledge)
		h2.st.prior_knowledge++;
	h2.st.active_connections++;
	mg_conn_set_owner(c, &conn_ops, hc);
	mg_conn_set_deadline(c, lc->idle_timeout_ms);
	/* The client may have sent its preface and frames already. */
	c_readable(c);
	return 0;
}

void
mg_h2_stop(void)
{
	struct h2conn *hc;

	while ((hc = LIST_FIRST(&h2.conns)) != NULL) {
		h2.st.goaway[MG_H2_GA_SHUTDOWN]++;
		nghttp2_session_terminate_session(hc->ng, NGHTTP2_NO_ERROR);
		conn_send(hc);
		conn_close(hc, false);
	}
	if (h2.bufs.mem != NULL) {
		mg_pool_destroy(&h2.bufs);
		mg_pool_destroy(&h2.small);
		mg_pool_destroy(&h2.stream_pool);
		mg_pool_destroy(&h2.conn_pool);
	}
}
