/*
 * libFuzzer target: arbitrary bytes from an HTTP/2 server into the gateway's HTTP/2 client
 * (gateway/h2/mg_h2c.c: nghttp2 client session, request translation, response translation
 * into HTTP/1.1 with chunked framing and trailers, flow control, stream and connection ends).
 *
 * The upstream connection is a virtual connection (mg_h2c_set_connect) whose peer serves the
 * input: the first byte picks how the input is cut into reads and how many exchanges run, the
 * rest is what the server sent (prefixed with an empty SETTINGS frame unless the second byte
 * is odd, so most inputs get past the server preface).  Stand-in proxy sessions each write one
 * of several HTTP/1.1 requests (GET, a gRPC POST with Content-Length, a chunked POST with
 * trailers, HEAD) and read the response, one aborting half-way.  After the input the sessions
 * close, the endpoint drains its connections; every stream, buffer and connection must be back
 * in its pool and nghttp2's memory freed (a leak aborts).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/timeouts.h"

#include "gateway/core/mg_pool.h"
#include "gateway/h2/mg_h2c.h"
#include "gateway/net/mg_conn.h"
#include "gateway/tls/mg_tls.h"
#include "gateway/upstream/mg_upool.h"
#include "platform/lwip/mg_lwip_hooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "tests/lwip/mg_lwip_stubs.h"

/* ---- what the gateway's other modules provide ---------------------------------------- */

static unsigned int kicks;

void
mg_upool_kick(struct mg_endpoint *ep)
{
	(void)ep;
	kicks++;
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

struct mg_tls_conn *
mg_tls_connect(struct mg_tls_client *c, const struct mg_tls_io *io, const char *sni)
{
	(void)c;
	(void)io;
	(void)sni;
	abort();
}

int
mg_tls_handshake(struct mg_tls_conn *t)
{
	(void)t;
	abort();
}

int
mg_tls_conn_info(const struct mg_tls_conn *t, struct mg_tls_conn_info *out)
{
	(void)t;
	(void)out;
	abort();
}

bool
mg_tls_conn_handshake_done(const struct mg_tls_conn *t)
{
	(void)t;
	abort();
}

/* ---- the upstream server: a virtual connection serving the input ---------------------- */

static struct {
	const uint8_t *p;
	size_t len, off, step;
	bool eof, gone;
	size_t written;
	struct mg_conn *c;
	bool connect_due;
} sv;

static int
t_read(void *arg, void *buf, size_t len, bool peek)
{
	size_t n = sv.len - sv.off;

	(void)arg;
	if (n == 0)
		return sv.eof ? 0 : MG_CONN_AGAIN;
	if (n > sv.step)
		n = sv.step;
	if (n > len)
		n = len;
	memcpy(buf, sv.p + sv.off, n);
	if (!peek)
		sv.off += n;
	return (int)n;
}

static size_t
t_rx_avail(void *arg)
{
	(void)arg;
	return sv.len - sv.off;
}

static bool
t_rx_eof(void *arg)
{
	(void)arg;
	return sv.eof;
}

static int
t_write(void *arg, const void *buf, size_t len, bool more)
{
	(void)arg;
	(void)buf;
	(void)more;
	sv.written += len;
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
	sv.gone = true;
	sv.c = NULL;
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

static struct mg_conn *
fake_connect(uint32_t addr, uint16_t port, const struct mg_conn_ops *ops, void *owner)
{
	if (sv.c != NULL)
		return NULL; /* one upstream connection per input */
	sv.c = mg_vconn_new(&transport, NULL, addr, port, 0x0200000a, 40000, ops, owner);
	sv.connect_due = sv.c != NULL;
	return sv.c;
}

/* ---- the stand-in proxy sessions ---------------------------------------------------------- */

#define MAX_SESSIONS 6

struct fsession {
	bool used;
	struct mg_conn *c;
	unsigned int kind;
	size_t got;
};

static struct fsession sessions[MAX_SESSIONS];
static unsigned int n_sessions;

static const char *const requests[] = {
    "GET /a HTTP/1.1\r\nHost: up.local\r\nConnection: keep-alive\r\nX-A: b\r\n\r\n",
    "POST /helloworld.Greeter/SayHello HTTP/1.1\r\nHost: up.local\r\nContent-Type: "
    "application/grpc\r\nTE: trailers\r\nContent-Length: 5\r\n\r\n\0\0\0\0\0",
    "POST /c HTTP/1.1\r\nHost: up.local\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
    "x-t: 1\r\n\r\n",
    "HEAD /h HTTP/1.1\r\nHost: up.local\r\n\r\n",
};
static const size_t request_len[] = {0, 132, 0, 0};

static void
fs_free(struct fsession *s)
{
	s->used = false;
	s->c = NULL;
	n_sessions--;
}

static void
fs_connected(struct mg_conn *c)
{
	struct fsession *s = mg_conn_owner(c);
	const char *r = requests[s->kind % 4];
	size_t n = request_len[s->kind % 4] != 0 ? request_len[s->kind % 4] : strlen(r);

	if (mg_conn_write(c, r, n, false) != (int)n) {
		mg_conn_abort(c);
		fs_free(s);
	}
}

static void
fs_readable(struct mg_conn *c)
{
	struct fsession *s = mg_conn_owner(c);
	char buf[700];
	int n;

	while ((n = mg_conn_read(c, buf, sizeof(buf))) > 0) {
		s->got += (size_t)n;
		if (s->kind == 5 && s->got > 200) {
			mg_conn_abort(c); /* the client went away half-way */
			fs_free(s);
			return;
		}
	}
	if (n == 0) {
		mg_conn_close(c);
		fs_free(s);
	}
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
    .connected = fs_connected,
    .timeout = fs_timeout,
    .closed = fs_closed,
};

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
	static const uint8_t settings[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
	static struct mg_endpoint ep;
	static uint8_t buf[1 << 16];
	static int ready;
	unsigned int i, n;

	if (!ready) {
		lwip_init();
		if (mg_conn_init(64) != 0 || mg_h2c_init(8, 16) != 0)
			abort();
		mg_h2c_set_connect(fake_connect);
		ready = 1;
	}
	if (size < 2 || size > sizeof(buf) - sizeof(settings))
		return 0;
	memset(&sv, 0, sizeof(sv));
	memset(&ep, 0, sizeof(ep));
	ep.addr = 0x0100000a;
	ep.port = 9000;
	ep.max_conns = 1;
	ep.max_idle = 1;
	ep.idle_timeout_ms = 60000;
	ep.h2 = true;
	sv.step = 1 + (size_t)(data[0] & 0x1f) * 128;
	if (data[1] & 1) {
		memcpy(buf, data + 2, size - 2);
		sv.len = size - 2;
	} else {
		memcpy(buf, settings, sizeof(settings));
		memcpy(buf + sizeof(settings), data + 2, size - 2);
		sv.len = sizeof(settings) + size - 2;
	}
	sv.p = buf;
	/* 1 to 6 exchanges: kinds 0..3 by position, 5 aborts half-way */
	n = 1 + (data[0] >> 5) % MAX_SESSIONS;
	for (i = 0; i < n; i++) {
		struct fsession *s = &sessions[i];
		int err = 0;

		memset(s, 0, sizeof(*s));
		s->used = true;
		s->kind = i;
		n_sessions++;
		s->c = mg_h2c_open(&ep, &fs_ops, s, &err);
		if (s->c == NULL) {
			fs_free(s);
			continue;
		}
		mg_conn_set_deadline(s->c, 5000);
	}
	if (sv.connect_due && sv.c != NULL) {
		sv.connect_due = false;
		mg_vconn_connected(sv.c);
	}
	settle(2);
	while (!sv.gone && sv.c != NULL && sv.off < sv.len) {
		mg_vconn_readable(sv.c);
		settle(2);
	}
	settle(4);
	/* The sessions give up, then the endpoint is dropped (its connections closed). */
	for (i = 0; i < MAX_SESSIONS; i++) {
		if (sessions[i].used) {
			mg_conn_abort(sessions[i].c);
			fs_free(&sessions[i]);
		}
	}
	settle(4);
	mg_h2c_drain(&ep, true);
	settle(4);
	{
		const struct mg_h2c_stats *st = mg_h2c_stats();

		if (st->active_connections != 0 || st->active_streams != 0 || n_sessions != 0 ||
		    st->mem != 0 || ep.open != 0 || ep.idle != 0 || sv.c != NULL)
			abort();
		for (i = 0; i < mg_pool_count(); i++)
			if (mg_pool_at(i)->in_use != 0)
				abort();
	}
	return 0;
}
