/*
 * TLS for the gateway: termination on listeners and origination to upstreams, over mbedTLS 3.6,
 * independent of the transport.
 *
 * The caller (the lwIP glue of a listener or an upstream cluster) owns the TCP connection and
 * hands this layer two callbacks that move ciphertext (struct mg_tls_io).  Every function here
 * is non-blocking and runs to completion: when the transport cannot move bytes, the call
 * returns MG_TLS_WANT_READ or MG_TLS_WANT_WRITE and the caller calls again once it can.  There
 * are no timers or threads inside, and no system calls on the data path: PEM files are read
 * only when a context is created, the random generator is reseeded from mg_tls_tick(), and
 * mbedTLS reads the clock (certificate dates, ticket ages) through the vDSO.  The caller
 * drives time through mg_tls_tick() and mg_tls_server_tick(), and enforces handshake
 * deadlines itself (mg_tls_conn_started_at(), mg_tls_conn_abort()).
 *
 * Objects:
 *   struct mg_tls_server  one per listener; immutable after creation except for its ticket keys
 *                         (rotated by mg_tls_server_tick()) and counters.
 *   struct mg_tls_client  one per upstream cluster or JWKS provider; caches one session.
 *   struct mg_tls_conn    one per connection, from a pool capped at mg_tls_global_init().
 * A server or client must outlive its connections.
 *
 * Memory: every byte mbedTLS allocates goes through a capped allocator (mg_tls_mem_stats());
 * a connection that cannot get memory fails with MG_TLS_FAIL_ALLOC_FAILED instead of the
 * process growing.  docs/TLS.md has the measured figures per connection.
 *
 * Return convention: 0 or a positive count on success; MG_TLS_WANT_READ / MG_TLS_WANT_WRITE
 * (negative, outside the errno range) for "call again"; MG_TLS_ERR on a failure of the
 * connection, whose reason mg_tls_conn_failure() gives; a negative errno from constructors.
 *
 * Not thread-safe: one worker process owns all of it (see docs/ARCHITECTURE.md).
 */
#ifndef MG_TLS_H
#define MG_TLS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_tls_server;
struct mg_tls_client;
struct mg_tls_conn;

/* ---- return codes ------------------------------------------------------------------------------
 */

/* What an I/O callback returns when it can move no byte now (not an error). */
#define MG_TLS_WANT (-EAGAIN)
/* Call again when the transport has more bytes to read / room to write. */
#define MG_TLS_WANT_READ  (-1001)
#define MG_TLS_WANT_WRITE (-1002)
/* The connection failed (or was aborted); mg_tls_conn_failure() says why.  It is unusable. */
#define MG_TLS_ERR (-1003)

/*
 * The transport under one connection.
 *
 * recv() copies up to <len> received bytes into <buf> and returns how many (> 0), 0 at a clean
 * end of stream of the transport (TCP FIN), MG_TLS_WANT when nothing is available now, or any
 * other negative value for a transport error (reset).  send() queues up to <len> bytes and
 * returns how many it took (> 0), MG_TLS_WANT when it can take nothing now, or another negative
 * value on error.  Both are called only from inside the mg_tls_* call that drives the
 * connection, with <arg>.
 */
struct mg_tls_io {
	int (*recv)(void *arg, unsigned char *buf, size_t len);
	int (*send)(void *arg, const unsigned char *buf, size_t len);
	void *arg;
};

/* ---- failure reasons ---------------------------------------------------------------------------
 */

/*
 * Why a connection failed, one-to-one with the metric label mg_tls_failure_label() returns.
 * Reasons are classified the same way whether this side detected the problem or the peer
 * reported it with an alert (mg_tls_conn_alert() tells which).
 */
enum mg_tls_failure {
	MG_TLS_FAIL_NONE = 0,
	MG_TLS_FAIL_NO_SHARED_CIPHER, /* no common suite, group, signature algorithm or cert type */
	MG_TLS_FAIL_PROTOCOL_VERSION, /* no common TLS version (1.0/1.1/SSLv3 offered only) */
	MG_TLS_FAIL_BAD_CERTIFICATE,  /* malformed, wrong key usage, revoked, weak key/hash */
	MG_TLS_FAIL_UNKNOWN_CA,       /* chain does not lead to a trusted CA */
	MG_TLS_FAIL_CERT_EXPIRED,     /* expired or not yet valid */
	MG_TLS_FAIL_SAN_MISMATCH,     /* verified, but no SAN matches the configured names / host */
	MG_TLS_FAIL_NO_CLIENT_CERT,   /* a client certificate is required and none was sent */
	MG_TLS_FAIL_ALPN_MISMATCH,    /* the peer offered ALPN protocols and none is configured */
	MG_TLS_FAIL_HANDSHAKE_TIMEOUT, /* set by the caller with mg_tls_conn_abort() */
	MG_TLS_FAIL_ALLOC_FAILED,      /* the capped allocator refused memory */
	MG_TLS_FAIL_PEER_CLOSED,       /* transport closed or reset, or close_notify, mid-handshake;
	                                * or transport closed without close_notify afterwards */
	MG_TLS_FAIL_DECODE_ERROR,      /* malformed or unexpected message, bad record MAC */
	MG_TLS_FAIL_OTHER,
	MG_TLS_FAIL_COUNT
};

/* mg_tls_failure_label() returns the metric label of <f> ("no_shared_cipher", ...; "none"). */
const char *mg_tls_failure_label(enum mg_tls_failure f);

/* ---- process-wide setup ---------------------------------------------------------------------- */

struct mg_tls_global_conf {
	uint32_t max_conns; /* connections (server and client) at once; 0: 4096 */
	size_t mem_cap;     /* bytes mbedTLS may hold in all; 0: 256 MiB */
	/* Monotonic milliseconds for mg_tls_conn_started_at(); NULL: CLOCK_MONOTONIC. */
	uint64_t (*clock_ms)(void);
};

/*
 * mg_tls_global_init() installs the capped allocator, initialises PSA crypto (which seeds its
 * CTR_DRBG from the kernel through getrandom()) and creates the connection pool.  Call it once
 * at boot, before any other mg_tls_* function (and before anything else uses mbedTLS).
 * Returns 0, -EALREADY if already initialised, -ENOMEM, or -EIO (PSA failed; <err> says why).
 */
int mg_tls_global_init(const struct mg_tls_global_conf *c, char *err, size_t errlen);

/*
 * mg_tls_global_free() releases PSA and the pool.  Every server, client and connection must
 * have been freed; then mg_tls_mem_stats() reports 0 bytes in use.  mg_tls_global_init() may
 * be called again afterwards.
 */
void mg_tls_global_free(void);

/*
 * mg_tls_tick() gives the layer the time, in seconds of any monotonic clock; call it about once
 * a second from the poll loop.  It reseeds the random generator from the kernel every
 * MG_TLS_RESEED_INTERVAL seconds (one getrandom(), on the control path).
 */
#define MG_TLS_RESEED_INTERVAL 300
void mg_tls_tick(uint64_t now_s);

/* The capped allocator's counters. */
struct mg_tls_mem_stats {
	size_t in_use;          /* bytes held by mbedTLS now (with a 16-byte header per block) */
	size_t high_water;      /* most ever held */
	size_t cap;             /* limit */
	uint64_t allocs;        /* successful allocations */
	uint64_t failures;      /* allocations refused (cap reached, or libc out of memory) */
	uint32_t conns;         /* connections in use */
	uint32_t conns_max;     /* pool capacity */
	uint64_t conns_refused; /* mg_tls_accept()/mg_tls_connect() that found the pool empty */
	size_t reuse_bytes;     /* freed record buffers kept for the next handshakes (not in_use) */
	uint64_t reuse_hits;    /* allocations served from them */
	uint64_t trims;         /* malloc_trim() calls after large releases */
	uint64_t trim_us;       /* how long the last one took */
};
void mg_tls_mem_stats(struct mg_tls_mem_stats *out);

/* mg_tls_mem_set_cap() changes the cap (bytes; 0: the default).  Held memory is not released. */
void mg_tls_mem_set_cap(size_t cap);

/* ---- contexts ----------------------------------------------------------------------------------
 */

enum mg_tls_version {
	MG_TLS_VERSION_DEFAULT = 0, /* min: TLS 1.2, max: TLS 1.3 */
	MG_TLS_VERSION_1_2,
	MG_TLS_VERSION_1_3,
};

/* One certificate of a listener: App Mesh's `file` certificate. */
struct mg_tls_cert_conf {
	const char *chain_file; /* PEM: the leaf first, then intermediates (no root needed) */
	const char *key_file;   /* PEM or DER private key of the leaf (unencrypted), EC or RSA */
	/*
	 * Names this certificate serves (SNI), exact ("a.example.com") or wildcard
	 * ("*.example.com"); NULL/0: the leaf's SAN dNSNames, or its CN if it has no SAN.
	 */
	const char *const *names;
	unsigned int nnames;
};

/* Counters of a server or client context (only ever increase). */
struct mg_tls_stats {
	uint64_t handshakes;                  /* completed */
	uint64_t resumed;                     /* of which resumed a session */
	uint64_t tls13;                       /* of which negotiated TLS 1.3 */
	uint64_t failures[MG_TLS_FAIL_COUNT]; /* handshakes that failed, by reason */
	uint64_t sni_default;          /* server: no SNI or no match, default certificate used */
	uint64_t tickets_issued;       /* server: tickets written */
	uint64_t tickets_expired;      /* server: tickets refused for age */
	uint64_t tickets_unknown_key;  /* server: tickets under a key no longer (or never) held,
	                                * or made for the other TLS version */
	uint64_t ticket_key_rotations; /* server */
};

struct mg_tls_server_conf {
	const struct mg_tls_cert_conf *certs; /* at least one */
	unsigned int ncerts;
	unsigned int default_cert; /* index in certs[] for no SNI or no match */
	const char *const *alpn;   /* protocols, most preferred first; NULL/0: no ALPN */
	unsigned int nalpn;
	enum mg_tls_version min_version, max_version;
	/* Client certificates (App Mesh listener tls.validation); NULL: none requested. */
	const char *client_ca_file;    /* PEM trust chain */
	const char *const *client_san; /* exact SANs accepted (DNS or URI); NULL/0: any */
	unsigned int nclient_san;
	/* Session resumption (tickets, TLS 1.2 and 1.3). */
	bool no_tickets;
	uint32_t ticket_lifetime;     /* seconds a ticket is accepted; 0: 7200; at most 604800 */
	uint32_t ticket_key_rotation; /* seconds a key encrypts; 0: ticket_lifetime; at least
	                               * ticket_lifetime / 7 */
};

/*
 * mg_tls_server_new() loads the certificates, keys and trust chain (file I/O: boot or reload
 * only) and creates a server context with its first ticket key.  Every certificate's key must
 * match it, be EC P-256/P-384 or RSA >= 2048 bits, and its chain must fit in one handshake
 * message.  Returns 0 and sets *out, or a negative errno with a message in <err>.
 */
int mg_tls_server_new(struct mg_tls_server **out, const struct mg_tls_server_conf *c, char *err,
                      size_t errlen);

/* mg_tls_server_free() frees <s> (NULL is fine); its connections must be freed first. */
void mg_tls_server_free(struct mg_tls_server *s);

/*
 * mg_tls_server_tick() drives ticket-key rotation, with <now_s> the time of any monotonic
 * clock in seconds (the first call anchors the schedule).  A key encrypts new tickets for
 * ticket_key_rotation seconds and then only decrypts, for ticket_lifetime more seconds, so
 * that every ticket it issued stays usable for its whole lifetime; tickets older than
 * ticket_lifetime are refused.  Ticket ages are measured in this clock, so call it at least
 * once a second.
 */
void mg_tls_server_tick(struct mg_tls_server *s, uint64_t now_s);

/*
 * mg_tls_release_idle() shrinks the record buffers (16 + 8 KiB) of every established
 * connection that was not used since the previous call and has nothing buffered, to 256 bytes
 * each (our mbedTLS patch 0002, like OpenSSL's SSL_MODE_RELEASE_BUFFERS); the next read, write
 * or flush gives them back first.  Call it about once a second: a connection idle for 1-2 s
 * then holds ~7 KB instead of ~31 KB.  Returns the number of connections shrunk.
 */
unsigned int mg_tls_release_idle(void);

const struct mg_tls_stats *mg_tls_server_stats(const struct mg_tls_server *s);

struct mg_tls_client_conf {
	const char *ca_file; /* PEM trust chain; required */
	/*
	 * Exact SANs accepted (DNS or URI; App Mesh clientPolicy.tls.validation
	 * .subjectAlternativeNames); NULL/0: the certificate must match the SNI name instead.
	 */
	const char *const *san;
	unsigned int nsan;
	const char *cert_chain_file; /* optional client certificate (PEM) */
	const char *key_file;        /* its key; both or neither */
	const char *const *alpn;     /* NULL/0: no ALPN */
	unsigned int nalpn;
	enum mg_tls_version min_version, max_version;
	bool no_resumption; /* do not cache and offer sessions */
};

/* mg_tls_client_new(): as mg_tls_server_new(), for origination. */
int mg_tls_client_new(struct mg_tls_client **out, const struct mg_tls_client_conf *c, char *err,
                      size_t errlen);
void mg_tls_client_free(struct mg_tls_client *c);
const struct mg_tls_stats *mg_tls_client_stats(const struct mg_tls_client *c);

/* ---- connections -------------------------------------------------------------------------------
 */

/*
 * mg_tls_accept() starts the server side of a connection on <io> (copied).  Returns NULL when
 * the pool is empty or mbedTLS cannot get the memory for its record buffers (both counted).
 */
struct mg_tls_conn *mg_tls_accept(struct mg_tls_server *s, const struct mg_tls_io *io);

/*
 * mg_tls_connect() starts the client side on <io>, sending <sni> (a host name, copied; NULL:
 * none).  The server certificate must match <sni> unless the client has a SAN list, so <sni>
 * is required without one.  Offers the client's cached session when it was made with the same
 * <sni>.  Returns NULL when the pool or memory is exhausted or <sni> is missing.
 */
struct mg_tls_conn *mg_tls_connect(struct mg_tls_client *c, const struct mg_tls_io *io,
                                   const char *sni);

/*
 * mg_tls_handshake() advances the handshake.  Returns 0 once it is complete (and on every
 * later call), MG_TLS_WANT_READ / MG_TLS_WANT_WRITE, or MG_TLS_ERR.  A failure has already
 * queued the fatal alert to the peer when the transport took it; counted once in the context's
 * stats.
 */
int mg_tls_handshake(struct mg_tls_conn *t);

/*
 * mg_tls_read() returns up to <len> bytes of application data in <buf> (> 0), 0 once the peer
 * has sent close_notify, MG_TLS_WANT_READ / MG_TLS_WANT_WRITE, or MG_TLS_ERR (a transport
 * end without close_notify is MG_TLS_ERR with MG_TLS_FAIL_PEER_CLOSED).  Completes the
 * handshake first if needed.  Call it until it returns MG_TLS_WANT_READ: decrypted data may
 * remain buffered after a return of <len> bytes, and no more transport data will announce it.
 */
int mg_tls_read(struct mg_tls_conn *t, void *buf, size_t len);

/*
 * mg_tls_write() encrypts up to one record of <buf> and returns how many bytes it took (> 0;
 * possibly fewer than <len>: call again with the rest), MG_TLS_WANT_WRITE when the transport
 * is still full with an earlier record, MG_TLS_WANT_READ (handshake not done), or MG_TLS_ERR.
 * Bytes taken are the layer's responsibility: if the transport could not take the whole
 * record, the rest stays queued inside and mg_tls_flush() (or the next write) sends it.
 */
int mg_tls_write(struct mg_tls_conn *t, const void *buf, size_t len);

/* mg_tls_flush() sends queued ciphertext: 0 when none is left, MG_TLS_WANT_WRITE, MG_TLS_ERR. */
int mg_tls_flush(struct mg_tls_conn *t);

/* mg_tls_want_flush() tells whether ciphertext is queued inside waiting for the transport. */
bool mg_tls_want_flush(const struct mg_tls_conn *t);

/*
 * mg_tls_close_notify() sends close_notify (after queued data): 0 when sent,
 * MG_TLS_WANT_WRITE, or MG_TLS_ERR.  The caller then closes (or half-closes) the transport.
 */
int mg_tls_close_notify(struct mg_tls_conn *t);

/*
 * mg_tls_conn_abort() marks the connection failed with <why> (e.g. handshake_timeout, or
 * peer_closed when the transport was reset) and counts it if the handshake had not completed
 * and no failure was recorded yet.  No alert is sent.  The connection must then be freed.
 */
void mg_tls_conn_abort(struct mg_tls_conn *t, enum mg_tls_failure why);

/* mg_tls_conn_free() frees <t> (NULL is fine) and returns it to the pool.  Sends nothing. */
void mg_tls_conn_free(struct mg_tls_conn *t);

/* The reason of a failure, MG_TLS_FAIL_NONE while the connection is healthy. */
enum mg_tls_failure mg_tls_conn_failure(const struct mg_tls_conn *t);

/*
 * mg_tls_conn_alert() returns the TLS alert behind the failure (RFC 8446 section 6 numbers:
 * 40 handshake_failure, 48 unknown_ca, ...) and sets *received to whether the peer sent it
 * (true) or this side did (false); -1 when no alert is known.
 */
int mg_tls_conn_alert(const struct mg_tls_conn *t, bool *received);

/* mg_tls_conn_started_at() is the clock_ms time at which the connection was created. */
uint64_t mg_tls_conn_started_at(const struct mg_tls_conn *t);

/* mg_tls_conn_handshake_done() tells whether the handshake has completed. */
bool mg_tls_conn_handshake_done(const struct mg_tls_conn *t);

/* What was negotiated; valid once the handshake is done, strings live as long as <t>. */
struct mg_tls_conn_info {
	const char *version; /* "TLSv1.3" or "TLSv1.2" */
	const char *cipher;  /* IANA-style name, e.g. "TLS1-3-AES-128-GCM-SHA256" */
	uint16_t cipher_id;  /* IANA number */
	const char *alpn;    /* selected protocol, NULL if none */
	const char *sni;     /* server: name received (NULL if none); client: name sent */
	bool resumed;        /* an earlier session was resumed (no certificate exchanged) */
	bool peer_cert;      /* the peer presented a certificate ... */
	bool peer_verified;  /* ... and it was verified (chain, dates, SANs); on a resumed
	                      * session: when the session was made */
	size_t mem;          /* bytes this connection holds in the capped allocator now */
	size_t mem_peak;     /* most it ever held */
};

/* mg_tls_conn_info() fills <out>; returns 0, or -EAGAIN while the handshake is not done. */
int mg_tls_conn_info(const struct mg_tls_conn *t, struct mg_tls_conn_info *out);

/* ---- permissive mode ---------------------------------------------------------------------------
 */

enum mg_tls_sniff_result {
	MG_TLS_SNIFF_NEED_MORE, /* too few bytes to tell */
	MG_TLS_SNIFF_TLS,       /* a TLS handshake record: hand the bytes to a TLS connection */
	MG_TLS_SNIFF_PLAINTEXT, /* anything else: plaintext (HTTP) */
};

/*
 * mg_tls_sniff() classifies a connection from its first <n> received bytes (like Envoy's
 * tls_inspector, for App Mesh's PERMISSIVE mode): TLS when they start with a handshake record
 * (0x16) whose version is 3.x with x <= 4 (3 bytes decide).  It reads nothing else and consumes
 * nothing: the caller keeps the bytes and delivers them through the TLS connection's recv().
 */
enum mg_tls_sniff_result mg_tls_sniff(const unsigned char *first_bytes, size_t n);

#endif /* MG_TLS_H */
