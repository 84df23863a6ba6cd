/*
 * TCP connections on lwIP's raw API, shaped for a run-to-completion proxy.
 *
 * A struct mg_conn wraps one tcp_pcb, accepted from a listener or opened by
 * the gateway (to an upstream, a JWKS provider).  Its owner (a proxy
 * session, a TLS layer) sees a byte stream with non-blocking read and write
 * and is told, through a table of callbacks, when bytes arrived, when send
 * space freed up, when an outbound connect completed, when a deadline passed,
 * and when the connection is gone.
 *
 * Backpressure is TCP's own: received data stays in lwIP's pbufs (the port's
 * mbufs, not copied) until the owner reads it, and the receive window is only
 * reopened (tcp_recved) for bytes read.  An owner that stops reading makes
 * its peer stop sending after one window; nothing buffers without bound.
 * Writes are copied into lwIP's send buffer and accepted only as far as it
 * has room; MG_CONN_AGAIN tells the owner to wait for `writable'.
 *
 * Lifetime: connections come from a capped pool.  Callbacks may call
 * mg_conn_close() or mg_conn_abort() on the connection they were called for;
 * the object stays valid until that callback returns and is recycled then.
 * After `closed' (or after the owner closed or aborted it) the owner must not
 * touch the connection again.
 *
 * Not thread-safe: a connection belongs to the worker whose lwIP holds it.
 */
#ifndef MG_CONN_H
#define MG_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_CONN_AGAIN (-11) /* == -EAGAIN: try again after a callback */

struct mg_conn;
struct tcp_pcb;

/* Why a connection ended; each maps to a metric label (mg_conn_reason_name). */
enum mg_conn_reason {
	MG_CONN_CLOSED,         /* closed by us (mg_conn_close) */
	MG_CONN_ABORTED,        /* aborted by us (mg_conn_abort) */
	MG_CONN_RESET,          /* the peer sent RST */
	MG_CONN_CONNECT_FAILED, /* outbound connect refused or unreachable */
	MG_CONN_ERROR,          /* lwIP reported another error (out of memory, ...) */
	MG_CONN_REASON_MAX
};

struct mg_conn_ops {
	/* Bytes arrived, or the peer half-closed (mg_conn_rx_eof()). */
	void (*readable)(struct mg_conn *c);
	/* Send space freed up after a write returned MG_CONN_AGAIN, or data was
	 * acknowledged (for owners waiting for their output to drain). */
	void (*writable)(struct mg_conn *c);
	/* An outbound connection is established (mg_conn_connect only). */
	void (*connected)(struct mg_conn *c);
	/* The deadline set with mg_conn_set_deadline() passed (never early, at
	 * most one 4 ms wheel tick late: mg_wheel.h).  The deadline is disarmed
	 * before the call. */
	void (*timeout)(struct mg_conn *c);
	/* The connection is gone for <why> (never called for MG_CONN_CLOSED or
	 * MG_CONN_ABORTED, which the owner caused itself). */
	void (*closed)(struct mg_conn *c, enum mg_conn_reason why);
};

/* Counters, for /stats and /metrics. */
struct mg_conn_stats {
	uint64_t accepted, connects, connect_failures, resets, timeouts;
	uint64_t refused_pool_empty;
	uint32_t open;
};

/*
 * mg_conn_init() creates the connection pool (<capacity> connections).
 * Returns 0 or a negative errno.
 */
int mg_conn_init(uint32_t capacity);

/* <accept> is called with each new connection; it returns the owner's ops
 * and owner pointer, or false to refuse (the connection is reset). */
typedef bool mg_conn_accept_fn(void *listener_arg, struct mg_conn *c,
                               const struct mg_conn_ops **ops, void **owner);

/*
 * mg_conn_listen() listens on <addr>:<port> (network byte order address, 0
 * for all; host byte order port) and hands each accepted connection to
 * <accept>.  Returns the listening pcb in <out> (for mg_conn_unlisten), or
 * a negative errno.
 */
int mg_conn_listen(uint32_t addr, uint16_t port, mg_conn_accept_fn *accept, void *arg,
                   struct tcp_pcb **out);

/* mg_conn_unlisten() closes a listener from mg_conn_listen(). */
void mg_conn_unlisten(struct tcp_pcb *listener);

/*
 * mg_conn_set_source_ports() gives the function that chooses the local port of connections
 * mg_conn_connect() opens (several workers: the port decides which worker the replies reach;
 * gateway/net/mg_steer.h).  It is asked for candidate <attempt> = 0, 1, ... toward <addr>
 * (network byte order) : <port> until one is free; 0 means no more.  <bound>, if not NULL,
 * runs once the pcb is bound, just before the SYN is queued.  NULL (the default) leaves the
 * choice to lwIP.
 */
typedef uint16_t mg_conn_port_fn(void *arg, uint32_t addr, uint16_t port, unsigned int attempt);
typedef void mg_conn_bound_fn(void *arg, struct tcp_pcb *pcb, uint32_t addr, uint16_t port);
void mg_conn_set_source_ports(mg_conn_port_fn *fn, mg_conn_bound_fn *bound, void *arg);

/*
 * mg_conn_connect() opens a connection to <addr>:<port> (network byte order
 * address, host byte order port).  `connected' or `closed' (with
 * MG_CONN_CONNECT_FAILED) follows; the caller arms a deadline for the connect
 * timeout.  Returns the connection, or NULL if no connection or pcb was free.
 */
struct mg_conn *mg_conn_connect(uint32_t addr, uint16_t port, const struct mg_conn_ops *ops,
                                void *owner);

/*
 * mg_conn_read() copies up to <len> received bytes into <buf> and consumes
 * them.  Returns the count, 0 when the peer has half-closed and nothing is
 * left, or MG_CONN_AGAIN when nothing is buffered yet.
 */
int mg_conn_read(struct mg_conn *c, void *buf, size_t len);

/* mg_conn_rx_avail() is the number of received bytes not yet read. */
size_t mg_conn_rx_avail(const struct mg_conn *c);

/* mg_conn_peek() copies up to <len> bytes without consuming them. */
size_t mg_conn_peek(const struct mg_conn *c, void *buf, size_t len);

/* mg_conn_rx_eof() is true once the peer has half-closed its side. */
bool mg_conn_rx_eof(const struct mg_conn *c);

/*
 * mg_conn_write() queues up to <len> bytes for sending (copied).  Returns
 * the count accepted (possibly short), or MG_CONN_AGAIN when the send buffer
 * is full; `writable' follows when it drains.  <more> says more data follows
 * at once (no PSH, better segment packing).  Data is pushed to the wire at
 * the latest when the current callback returns.
 */
int mg_conn_write(struct mg_conn *c, const void *buf, size_t len, bool more);

/* mg_conn_send_space() is how many bytes mg_conn_write() would take now. */
size_t mg_conn_send_space(const struct mg_conn *c);

/* mg_conn_unsent() is the number of bytes written but not yet acknowledged. */
size_t mg_conn_unsent(const struct mg_conn *c);

/* mg_conn_shutdown_write() sends FIN after the queued data. */
void mg_conn_shutdown_write(struct mg_conn *c);

/* mg_conn_close() closes gracefully: queued data is still sent, then FIN.
 * Unread received data makes lwIP answer with RST, as RFC 1122 asks. */
void mg_conn_close(struct mg_conn *c);

/* mg_conn_abort() resets the connection at once (RST). */
void mg_conn_abort(struct mg_conn *c);

/* mg_conn_set_deadline() arms the timeout <ms> from now (0 disarms). */
void mg_conn_set_deadline(struct mg_conn *c, uint32_t ms);

/* mg_conn_set_owner() hands the connection to another owner. */
void mg_conn_set_owner(struct mg_conn *c, const struct mg_conn_ops *ops, void *owner);

void *mg_conn_owner(const struct mg_conn *c);

/* Addresses in network byte order, ports in host byte order. */
void mg_conn_peer(const struct mg_conn *c, uint32_t *addr, uint16_t *port);
void mg_conn_local(const struct mg_conn *c, uint32_t *addr, uint16_t *port);

/*
 * mg_conn_io_recv() and mg_conn_io_send() are mg_conn_read() and mg_conn_write() with the
 * signatures of a byte-stream transport vtable (struct mg_tls_io): <arg> is the connection,
 * "nothing now" is -EAGAIN (MG_CONN_AGAIN), and writes are pushed without `more'.
 */
int mg_conn_io_recv(void *arg, unsigned char *buf, size_t len);
int mg_conn_io_send(void *arg, const unsigned char *buf, size_t len);

/*
 * Virtual connections.  A virtual connection is an mg_conn with no TCP connection behind
 * it: its bytes come from and go to a peer inside the gateway (an HTTP/2 stream carries one
 * HTTP/1.1 exchange this way: gateway/h2/mg_h2.h).  Its owner uses it exactly as a TCP
 * connection (mg_conn_read/peek/write, rx_avail/eof, send_space, deadlines, close, abort,
 * peer and local addresses); the peer implements struct mg_vconn_peer and reports events
 * with mg_vconn_*().  The peer must not report events from inside one of its own methods
 * (the owner may be in the middle of a call into it): it records them and reports them
 * once the call that caused them has returned.
 */
struct mg_vconn_peer {
	/* Copies up to <len> received bytes (consumes them unless <peek>): as mg_conn_read. */
	int (*read)(void *arg, void *buf, size_t len, bool peek);
	size_t (*rx_avail)(void *arg);
	bool (*rx_eof)(void *arg);
	/* Takes up to <len> bytes: the count, or MG_CONN_AGAIN (then mg_vconn_writable()
	 * follows when room frees up). */
	int (*write)(void *arg, const void *buf, size_t len, bool more);
	size_t (*send_space)(void *arg);
	size_t (*unsent)(void *arg);
	void (*shutdown_write)(void *arg);
	/* The owner closed (<abort> false: what was written is complete) or aborted the
	 * connection.  The peer must not use the connection again. */
	void (*gone)(void *arg, bool abort);
};

/*
 * mg_vconn_new() creates a virtual connection served by <peer> (<arg>), reporting the
 * given peer and local addresses (network byte order) and ports, owned by <owner> with
 * <ops> (which may be set later with mg_conn_set_owner()).  Returns NULL when the
 * connection pool is empty.
 */
struct mg_conn *mg_vconn_new(const struct mg_vconn_peer *peer, void *arg, uint32_t peer_addr,
                             uint16_t peer_port, uint32_t local_addr, uint16_t local_port,
                             const struct mg_conn_ops *ops, void *owner);

/* Events from the peer to the owner, with the meaning of struct mg_conn_ops. */
void mg_vconn_readable(struct mg_conn *c);
void mg_vconn_writable(struct mg_conn *c);
void mg_vconn_connected(struct mg_conn *c);
/* The peer is gone (<why>: MG_CONN_RESET or MG_CONN_ERROR): the owner's `closed' is called
 * and the connection is recycled; the peer must not use it again. */
void mg_vconn_closed(struct mg_conn *c, enum mg_conn_reason why);

/* mg_conn_is_virtual() tells a virtual connection from a TCP one. */
bool mg_conn_is_virtual(const struct mg_conn *c);

const struct mg_conn_stats *mg_conn_stats(void);
const char *mg_conn_reason_name(enum mg_conn_reason why);

#endif /* MG_CONN_H */
