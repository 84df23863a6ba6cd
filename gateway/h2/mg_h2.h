/*
 * The HTTP/2 server side of the gateway (RFC 9113), on Debian's libnghttp2 (framing, HPACK,
 * flow control, the protocol's own checks).
 *
 * A client connection that negotiates "h2" by ALPN (TLS listeners) or opens with the
 * prior-knowledge preface (plaintext listeners) is handed here by the proxy
 * (gateway/proxy/mg_proxy.c) after its TLS handshake.  Each request stream becomes one
 * HTTP/1.1 exchange on a virtual connection (gateway/net/mg_conn.h) attached to an ordinary
 * proxy session (mg_proxy_attach()), so routing, JWT checks, retries, timeouts, circuit
 * breaking, metrics and access logs apply unchanged: the stream's request is written to the
 * session as an HTTP/1.1 head (":authority" becomes Host, cookies are joined) followed by its
 * body (Content-Length when the client gave one, else chunked, with the request trailers), and
 * the session's HTTP/1.1 response is parsed back (the same strict parser) and sent as HEADERS,
 * DATA and trailing HEADERS (the chunked trailer section: gRPC's grpc-status).
 *
 * Limits (docs/HTTP2.md): SETTINGS_MAX_CONCURRENT_STREAMS, an initial stream window of
 * MG_H2_STREAM_WINDOW, SETTINGS_MAX_HEADER_LIST_SIZE from the listener's head limit, 16 KiB
 * frames; memory nghttp2 holds per connection is capped (MG_H2_MEM_CAP, a counting
 * allocator); each active stream holds at most two buffers of the pool given to mg_h2_init().
 * Defences, each counted: rapid reset (CVE-2023-44487), CONTINUATION floods, HPACK bombs,
 * PING / SETTINGS floods, zero-window stalls, idle connections.
 *
 * Not thread-safe: connections belong to one worker.
 */
#ifndef MG_H2_H
#define MG_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_conn;
struct mg_tls_conn;
struct mg_proxy_listener_conf;

#define MG_H2_MAX_STREAMS   100         /* SETTINGS_MAX_CONCURRENT_STREAMS */
#define MG_H2_STREAM_WINDOW (64 * 1024) /* initial stream receive window */
#define MG_H2_CONN_WINDOW   (1 << 20)   /* connection receive window */
#define MG_H2_MEM_CAP       (8u << 20)  /* bytes nghttp2 may hold per connection */
/* Rapid reset: a client whose streams it reset before their response started exceed this
 * count and this share of its streams gets GOAWAY ENHANCE_YOUR_CALM. */
/* Control frames (PING, SETTINGS, PRIORITY, connection WINDOW_UPDATE) a client may send: this
 * many plus 100 per stream it opened; past that, GOAWAY ENHANCE_YOUR_CALM ("flood"). */
#define MG_H2_CONTROL_BUDGET 10000
#define MG_H2_RESET_BURST    200
#define MG_H2_RESET_PERCENT  20

/* Why the gateway sent GOAWAY (or closed) a connection; labels: mg_h2_goaway_name(). */
enum mg_h2_goaway {
	MG_H2_GA_NONE = 0,     /* client closed, or GOAWAY from the client */
	MG_H2_GA_PROTOCOL,     /* protocol error (bad frame, bad header, bad preface) */
	MG_H2_GA_FLOOD,        /* PING / SETTINGS / other frames flooding (queued replies) */
	MG_H2_GA_RAPID_RESET,  /* CVE-2023-44487 */
	MG_H2_GA_CONTINUATION, /* too many CONTINUATION frames */
	MG_H2_GA_HEADERS,      /* an HPACK bomb: a header block decoding far past the limit */
	MG_H2_GA_MEMORY,       /* the connection's nghttp2 memory cap */
	MG_H2_GA_IDLE,         /* no stream for the idle timeout */
	MG_H2_GA_STALL,        /* the client's windows stayed closed for the idle timeout */
	MG_H2_GA_SHUTDOWN,     /* the gateway is stopping */
	MG_H2_GA_MAX
};

struct mg_h2_stats {
	uint64_t connections;     /* connections served as HTTP/2 */
	uint64_t prior_knowledge; /* of which h2c with the prior-knowledge preface */
	uint64_t streams;         /* request streams opened by clients */
	uint64_t streams_refused; /* refused (REFUSED_STREAM): no session, connection or buffer */
	uint64_t client_resets;   /* streams the client reset before their response completed */
	uint64_t bad_requests;    /* requests that could not be translated (RST or 4xx) */
	uint64_t goaway[MG_H2_GA_MAX];
	uint64_t mem_refused; /* nghttp2 allocations refused by the per-connection cap */
	uint32_t active_connections, active_streams;
	uint32_t waiting_streams; /* complete requests waiting for a free proxy session */
	uint64_t mem;             /* bytes nghttp2 holds now, all connections */
};

/*
 * mg_h2_init() creates the pools: <max_conns> HTTP/2 connections, <max_streams> streams,
 * <n_bufs> stream buffers of <buf_size> bytes (mg_h2_buf_size()).  Returns 0 or a negative
 * errno.
 */
int mg_h2_init(uint32_t max_conns, uint32_t max_streams, uint32_t n_bufs, uint32_t buf_size);

/* mg_h2_buf_size() is the buffer size to give mg_h2_init() for a head limit <max_head>. */
uint32_t mg_h2_buf_size(uint32_t max_head);

/*
 * mg_h2_preface() looks at the first <n> bytes a plaintext client sent: 1 when they are
 * the HTTP/2 connection preface, 0 when they cannot be, -1 while they are a prefix of it.
 */
int mg_h2_preface(const void *p, size_t n);

/*
 * mg_h2_serve() takes over client connection <c> (and its TLS side <tls>, NULL for h2c):
 * from now on the HTTP/2 layer owns both and frees them.  Returns 0, or a negative errno
 * (nothing was taken: the caller still owns them).
 */
int mg_h2_serve(const struct mg_proxy_listener_conf *lc, struct mg_conn *c, struct mg_tls_conn *tls,
                bool prior_knowledge);

/* mg_h2_stop() closes every HTTP/2 connection (GOAWAY first, best effort). */
void mg_h2_stop(void);

const struct mg_h2_stats *mg_h2_stats(void);
const char *mg_h2_goaway_name(enum mg_h2_goaway r);

#endif /* MG_H2_H */
