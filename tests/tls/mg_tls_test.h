/*
 * Helpers of the TLS unit tests (tests/unit/test_tls_*.c; implemented in test_tls_util.c).
 *
 * A tls_pair joins a server connection and a client connection through two in-memory pipes,
 * one per direction, so that whole handshakes and data transfers run in-process with no
 * network.  Each pipe can deliver at most N bytes per call and/or answer MG_TLS_WANT on every
 * other call, to exercise the non-blocking paths.
 *
 * The certificates come from tests/tls/make-certs.sh, run once per process into a temporary
 * directory that is removed at exit.
 */
#ifndef MG_TLS_TEST_H
#define MG_TLS_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/tls/mg_tls.h"

#define TLS_PIPE_SIZE (1 << 17)

struct tls_pipe {
	unsigned char buf[TLS_PIPE_SIZE];
	size_t r, w;
	size_t max_per_call; /* bytes per recv()/send() call, 0: no limit */
	size_t limit;        /* bytes the pipe holds before send() says MG_TLS_WANT, 0: size */
	bool stutter;        /* every other recv()/send() call returns MG_TLS_WANT */
	unsigned int rcalls, wcalls;
	bool eof;        /* the writer closed: recv() returns 0 once empty */
	bool reset;      /* recv() and send() fail */
	size_t total;    /* bytes ever written */
	size_t consumed; /* bytes ever read */
};

struct tls_end {
	struct tls_pipe *in, *out;
};

struct tls_pair {
	struct tls_pipe c2s, s2c;
	struct tls_end srv_end, cli_end;
	struct mg_tls_conn *srv, *cli;
	int srv_ret, cli_ret; /* last mg_tls_handshake() results */
};

/* Generates the certificates (once) and initialises the TLS layer (if needed); false (with a
 * failure reported) when that is impossible. */
bool tls_test_setup(void);

/* The path of file <name> in the certificate directory (static storage, 64 in rotation). */
const char *tls_file(const char *name);

/* A server with the standard certificates: dflt (default), ec, rsa-chain, ec-b, cn.  <conf>
 * may be NULL or pre-filled with other fields (its certs are replaced).  NULL on failure,
 * reported. */
struct mg_tls_server *tls_std_server(struct mg_tls_server_conf *conf);

/* A client trusting ca.crt (plus <conf>'s other fields if non-NULL); NULL on failure. */
struct mg_tls_client *tls_std_client(struct mg_tls_client_conf *conf);

/* A zeroed pair (heap); tls_pair_free() releases it and its connections. */
struct tls_pair *tls_pair_new(void);
void tls_pair_free(struct tls_pair *p);

/* Creates the connections (server first; either context may be NULL for a one-sided pair);
 * false if one could not be created. */
bool tls_pair_start(struct tls_pair *p, struct mg_tls_server *s, struct mg_tls_client *c,
                    const char *sni);

/*
 * Runs both handshakes until each is done or has failed (or nothing can move).  Returns 0 when
 * both completed, else MG_TLS_ERR; srv_ret and cli_ret hold each side's last result.
 */
int tls_pair_handshake(struct tls_pair *p);

/* Sends <n> bytes of a pattern from <from> to <to> and checks they arrive intact. */
bool tls_transfer(struct tls_pair *p, bool client_to_server, size_t n);

/* Reads from <t> until it fails or would block; returns the last result. */
int tls_drain(struct mg_tls_conn *t);

/* The bytes mbedTLS holds in the capped allocator now. */
size_t tls_mem_in_use(void);

#endif /* MG_TLS_TEST_H */
