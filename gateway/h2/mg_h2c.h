/*
 * HTTP/2 toward upstream servers (RFC 9113), on Debian's libnghttp2: the client side of the
 * gateway's upstream connections for endpoints that speak HTTP/2 (virtual node listeners with
 * portMapping.protocol http2 or grpc: struct mg_endpoint's <h2>).
 *
 * mg_upool_acquire() hands the proxy session (gateway/proxy/mg_proxy.c) a virtual connection
 * (gateway/net/mg_conn.h) per exchange, made by mg_h2c_open(): the session writes an HTTP/1.1
 * request into it and reads an HTTP/1.1 response from it, exactly as over TCP.  Here:
 *
 *   request:  the head is parsed (mg_h1) and submitted as HEADERS (:method, :scheme http or
 *             https, :authority from Host, :path; hop-by-hop fields dropped; "te: trailers"
 *             for gRPC); the body (Content-Length, or chunked: decoded) goes out as DATA, a
 *             chunked trailer section as trailing HEADERS.
 *   response: "HTTP/1.1 <status> <reason>" and the fields; HEADERS with END_STREAM (gRPC
 *             Trailers-Only) get "Content-Length: 0" (grpc-status stays in the head), any
 *             other response "Transfer-Encoding: chunked" with DATA as chunks and the
 *             trailing HEADERS as the chunked trailer section.  1xx responses are skipped.
 *
 * Multiplexing: an endpoint has HTTP/2 connections, each carrying up to
 * min(SETTINGS_MAX_CONCURRENT_STREAMS of the server, MG_H2C_MAX_STREAMS) streams; another
 * connection is opened when all are full, within the endpoint's max_conns (then -EBUSY: the
 * session waits, mg_upool_wait()).  TLS endpoints negotiate ALPN "h2" (a server that does not
 * select it fails the connection).  GOAWAY: no new streams on that connection; streams the
 * server did not process are reset (MG_CONN_RESET, retryable).  RST_STREAM from the server and
 * connection loss end the affected virtual connections with MG_CONN_RESET.
 *
 * Flow control and memory: the response window of a stream is MG_H2C_STREAM_WINDOW and is
 * reopened (WINDOW_UPDATE) only for body bytes the session has read, so a slow client stops
 * its upstream stream.  Each stream holds at most two buffers of MG_H2C_BUF bytes (one for
 * the request while it is being sent, one for the response while it is being read); the
 * connection window is MG_H2C_MAX_STREAMS windows, so a stalled stream never blocks the
 * others; nghttp2's own memory per connection is capped at MG_H2C_MEM_CAP.
 *
 * Not thread-safe: connections belong to one worker.
 */
#ifndef MG_H2C_H
#define MG_H2C_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/net/mg_conn.h"

struct mg_endpoint;

#define MG_H2C_MAX_STREAMS   100         /* per connection, at most */
#define MG_H2C_STREAM_WINDOW (64 * 1024) /* response bytes in flight per stream */
#define MG_H2C_HEAD_MAX      (16 * 1024) /* response head or trailers, decoded */
#define MG_H2C_BUF           (96 * 1024) /* a stream buffer */
#define MG_H2C_MEM_CAP       (4u << 20)  /* bytes nghttp2 may hold per connection */
#define MG_H2C_CONNECT_MS    10000       /* TCP + TLS connect of an h2 connection */

struct mg_h2c_stats {
	uint64_t connections;      /* HTTP/2 connections opened to upstreams */
	uint64_t connect_failures; /* ... that failed before becoming ready */
	uint64_t alpn_refused;     /* TLS servers that did not select "h2" */
	uint64_t streams;          /* streams (exchanges) opened */
	uint64_t resets_received;  /* streams the server reset (RST_STREAM, REFUSED_STREAM) */
	uint64_t goaway_received;
	uint64_t refused; /* mg_h2c_open() failures: no buffer, stream or connection */
	uint32_t active_connections, active_streams;
	uint64_t mem; /* bytes nghttp2 holds now, all connections */
};

/* mg_h2c_init() creates the pools: <max_streams> streams and <n_bufs> buffers of MG_H2C_BUF
 * bytes.  Returns 0 or a negative errno. */
int mg_h2c_init(uint32_t max_streams, uint32_t n_bufs);

/*
 * mg_h2c_open() returns a virtual connection for one exchange with <ep> (an HTTP/2 endpoint),
 * owned by <owner> with <ops>: `connected' follows once the stream can be written (the HTTP/2
 * connection is up), or `closed' (MG_CONN_RESET) if it cannot be.  NULL with *<errno_out>
 * -EBUSY when every connection is full and <ep> is at max_conns, -ENOMEM when out of memory.
 */
struct mg_conn *mg_h2c_open(struct mg_endpoint *ep, const struct mg_conn_ops *ops, void *owner,
                            int *errno_out);

/* mg_h2c_has_room() tells whether mg_h2c_open() would not fail with -EBUSY. */
bool mg_h2c_has_room(const struct mg_endpoint *ep);

/* mg_h2c_drain() closes <ep>'s connections that carry no stream (<all>: every connection,
 * failing its streams; for an endpoint being freed). */
void mg_h2c_drain(struct mg_endpoint *ep, bool all);

const struct mg_h2c_stats *mg_h2c_stats(void);

/* How connections are opened: mg_conn_connect() unless a test (tests/fuzz/fuzz_h2c.c) sets
 * another function (NULL: back to mg_conn_connect()). */
typedef struct mg_conn *mg_h2c_connect_fn(uint32_t addr, uint16_t port,
                                          const struct mg_conn_ops *ops, void *owner);
void mg_h2c_set_connect(mg_h2c_connect_fn *fn);

#endif /* MG_H2C_H */
