/*
 * libFuzzer target: arbitrary bytes from an HTTP/2 client into the gateway's HTTP/2 server
 * (gateway/h2/mg_h2.c: nghttp2 session, request translation, stream buffers, response
 * translation, defences).
 *
 * The client connection is itself a virtual connection whose peer serves the input: the
 * first byte picks how the input is cut into reads, the rest is what the client sent
 * (prefixed with the connection preface unless the input's second byte is odd, so that most
 * inputs reach the frame layer).  Each stream is answered by a stand-in for the proxy
 * session (mg_proxy_attach below) with one of several HTTP/1.1 responses picked from the
 * stream's request bytes: Content-Length, chunked with trailers, close-delimited, an interim
 * 100 first, a malformed one, or an abort.  After the input, the client closes; every stream,
 * buffer and connection must be back in its pool (a leak aborts).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/timeouts.h"

#include "gateway/core/mg_pool.h"
#include "gateway/h2/mg_h2.h"
#include "gateway/net/mg_conn.h"
#include "gateway/proxy/mg_proxy.h"
#include "gateway/tls/mg_tls.h"
#include "platform/lwip/mg_lwip_hooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "tests/lwip/mg_lwip_stubs.h"

/* ---- what the gateway's other modules provide ---------------------------------------- */

void
mg_obs_conn_close(uint16_t port)
{
	(void)port;
}

void
mg_proxy_conn_gone(void)
{
}

/* TLS is never used (h2c); these only satisfy the linker. */
int
mg_tls_read(struct mg_tls_conn *t, void *buf, size_t len)
{
	(void)t;
	(void)buf;
	(void)len;
	abort();
}

int
mg_tls_write(struct mg_tls_conn *t, const void *buf, size_t len)
{
	(void)t;
	(void)buf;
	(void)len;
	abort();
}

int
mg_tls_flush(struct mg_tls_conn *t)
{
	(void)t;
	abort();
}

bool
mg_tls_want_flush(const struct mg_tls_conn *t)
{
	(void)t;
	abort();
}

int
mg_tls_close_notify(struct mg_tls_conn *t)
{
	(void)t;
	abort();
}

void
mg_tls_conn_abort(struct mg_tls_conn *t, enum mg_tls_failure why)
{
	(void)t;
	(void)why;
	abort();
}

void
mg_tls_conn_free(struct mg_tls_conn *t)
{
	if (t != NULL)
		abort();
}

/* ---- the stand-in proxy session -------------------------------------------------------- */

#define MAX_SESSIONS 32

struct fsession {
	bool used;
	struct mg_conn *c;
	char head[512];
	size_t hlen;
	unsigned int kind;
	bool answered, later;
};

static struct fsession sessions[MAX_SESSIONS];
static unsigned int n_sessions, n_later; /* sessions, of which with an answer timer */

static const char *const responses[] = {
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/grpc\r\n\r\n"
    "5\r\nhello\r\n0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\ngrpc-status: 14\r\n\r\n",
    "HTTP/1.1 abc\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
};

static void fs_answer_later(void *arg);

static void
fs_free(struct fsession *s)
{
	if (s->later) {
		sys_untimeout(fs_answer_later, s);
		s->later = false;
		n_later--;
	}
	s->used = false;
	n_sessions--;
}

static void fs_answer(struct fsession *s);

static void
fs_answer_later(void *arg)
{
	struct fsession *s = arg;

	s->later = false;
	n_later--;
	if (s->used && s->answered)
		fs_answer(s);
}

static void
fs_readable(struct mg_conn *c)
{
	struct fsession *s = mg_conn_owner(c);
	char buf[1024];
	int n;

	while ((n = mg_conn_read(c, buf, sizeof(buf))) > 0) {
		size_t k =
		    (size_t)n < sizeof(s->head) - s->hlen ? (size_t)n : sizeof(s->head) - s->hlen;

		memcpy(s->head + s->hlen, buf, k);
		s->hlen += k;
	}
	if (s->answered || memmem(s->head, s->hlen, "\r\n\r\n", 4) == NULL)
		return;
	s->answered = true;
	s->kind = (unsigned int)(s->hlen + (unsigned char)s->head[s->hlen / 2]) % 18;
	if (s->kind >= 9 && n_later < 4) {
		/* Answer later, outside the HTTP/2 layer's own call (as an upstream's answer
		 * comes): what the layer sends at once may then close streams under it. */
		s->kind -= 9;
		s->later = true;
		n_later++;
		sys_timeout(1, fs_answer_later, s);
		return;
	}
	s->kind %= 9;
	fs_answer(s);
}

static void
fs_answer(struct fsession *s)
{
	struct mg_conn *c = s->c;
	const char *r;

	if (s->kind == 7) {
		mg_conn_abort(c);
		fs_free(s);
		return;
	}
	if (s->kind == 8)
		return; /* never answers: the client's reset or the connection's end ends it */
	r = responses[s->kind];
	mg_conn_write(c, r, strlen(r), false);
	if (s->kind == 3)
		mg_conn_shutdown_write(c);
	mg_conn_close(c);
	fs_free(s);
}

static void
fs_writable(struct mg_conn *c)
{
	(void)c;
}

static void
fs_timeout(struct mg_conn *c)
{
	struct fsession *s = mg_conn_owner(c);

	mg_conn_abort(c);
	fs_free(s);
}

static void
fs_closed(struct mg_conn *c, enum mg_conn_reason why)
{
	(void)why;
	fs_free(mg_conn_owner(c));
}

static const struct mg_conn_ops fs_ops = {
    .readable = fs_readable,
    .writable = fs_writable,
    .timeout = fs_timeout,
    .closed = fs_closed,
};

bool
mg_proxy_attach(const struct mg_proxy_listener_conf *lc, struct mg_conn *c, bool https)
{
	unsigned int i;

	(void)lc;
	(void)https;
	for (i = 0; i < MAX_SESSIONS; i++) {
		if (!sessions[i].used) {
			memset(&sessions[i], 0, sizeof(sessions[i]));
			sessions[i].used = true;
			sessions[i].c = c;
			n_sessions++;
			mg_conn_set_owner(c, &fs_ops, &sessions[i]);
			mg_conn_set_deadline(c, 5000);
			return true;
		}
	}
	return false;
}

/* ---- the client: a virtual connection serving the input ------------------------------- */

static struct {
	const uint8_t *p;
	size_t len, off, step;
	bool eof, gone;
	size_t written;
} cl;

static int
t_read(void *arg, void *buf, size_t len, bool peek)
{
	size_t n = cl.len - cl.off;

	(void)arg;
	if (n == 0)
		return cl.eof ? 0 : MG_CONN_AGAIN;
	if (n > cl.step)
		n = cl.step;
	if (n > len)
		n = len;
	memcpy(buf, cl.p + cl.off, n);
	if (!peek)
		cl.off += n;
	return (int)n;
}

static size_t
t_rx_avail(void *arg)
{
	(void)arg;
	return cl.len - cl.off;
}

static bool
t_rx_eof(void *arg)
{
	(void)arg;
	return cl.eof;
}

static int
t_write(void *arg, const void *buf, size_t len, bool more)
{
	(void)arg;
	(void)buf;
	(void)more;
	cl.written += len;
	return (int)len;
}

static size_t
t_send_space(void *arg)
{
	(void)arg;
	return 1 << 20;
}

static size_t
t_unsent(void *arg)
{
	(void)arg;
	return 0;
}

static void
t_shutdown(void *arg)
{
	(void)arg;
}

static void
t_gone(void *arg, bool abort_)
{
	(void)arg;
	(void)abort_;
	cl.gone = true;
}

static const struct mg_vconn_peer transport = {
    .read = t_read,
    .rx_avail = t_rx_avail,
    .rx_eof = t_rx_eof,
    .write = t_write,
    .send_space = t_send_space,
    .unsent = t_unsent,
    .shutdown_write = t_shutdown,
    .gone = t_gone,
};

static void
nop_readable(struct mg_conn *c)
{
	(void)c;
}

static const struct mg_conn_ops nop_ops = {.readable = nop_readable};

static void
settle(unsigned int rounds)
{
	while (rounds-- > 0) {
		now_ms += 5;
		sys_check_timeouts();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static struct mg_proxy_listener_conf lc;
	static uint8_t buf[1 << 16];
	static int ready;
	struct mg_conn *c;

	if (!ready) {
		lwip_init();
		if (mg_conn_init(256) != 0 || mg_h2_init(4, 64, 16, mg_h2_buf_size(8192)) != 0)
			abort();
		lc.port = 8080;
		lc.limits.max_head = 8192;
		lc.idle_timeout_ms = 60000;
		lc.header_timeout_ms = 10000;
		lc.h2 = true;
		ready = 1;
	}
	if (size < 2 || size > sizeof(buf) - sizeof(preface))
		return 0;
	memset(&cl, 0, sizeof(cl));
	cl.step = 1 + (size_t)(data[0] & 0x3f) * 64;
	if (data[1] & 1) {
		memcpy(buf, data + 2, size - 2);
		cl.len = size - 2;
	} else {
		memcpy(buf, preface, sizeof(preface) - 1);
		memcpy(buf + sizeof(preface) - 1, data + 2, size - 2);
		cl.len = sizeof(preface) - 1 + size - 2;
	}
	cl.p = buf;
	c = mg_vconn_new(&transport, NULL, 0x0100000a, 40000, 0x0200000a, 8080, &nop_ops, NULL);
	if (c == NULL)
		abort();
	if (mg_h2_serve(&lc, c, NULL, true) != 0)
		abort();
	while (!cl.gone && cl.off < cl.len) {
		mg_vconn_readable(c);
		settle(2);
	}
	settle(4);
	/* The client closes. */
	if (!cl.gone) {
		cl.eof = true;
		mg_vconn_readable(c);
		settle(4);
	}
	if (!cl.gone)
		mg_vconn_closed(c, MG_CONN_RESET);
	settle(4);
	{
		const struct mg_h2_stats *st = mg_h2_stats();

		unsigned int i;

		if (st->active_connections != 0 || st->active_streams != 0 || n_sessions != 0 ||
		    st->mem != 0 || st->waiting_streams != 0)
			abort();
		/* Every pool (h2 connections, streams, buffers; connections) is whole again: a
		 * double free would show as a count off by one. */
		for (i = 0; i < mg_pool_count(); i++)
			if (mg_pool_at(i)->in_use != 0)
				abort();
	}
	return 0;
}
