/*
 * Diagnostic TCP services on the gateway's stack, off unless configured
 * (appliance.diagnostics): echo (every byte back, RFC 862 style) and discard
 * (every byte swallowed, RFC 863 style).  They exercise the packet path end
 * to end without TLS or HTTP: the tests push 100 MiB each way through them.
 *
 * Echo applies backpressure: received bytes are acknowledged to the peer's
 * window (tcp_recved) only once they are queued for sending back, so a peer
 * that does not read makes its own sender stop, and a connection never holds
 * more than one receive window of mbufs.
 */
#ifndef MG_DIAG_H
#define MG_DIAG_H

#include <stdint.h>

#define MG_DIAG_MAX_CONNS 256

/*
 * mg_diag_start() listens on <addr> (network byte order) for echo on
 * <echo_port> and discard on <discard_port> (host byte order; 0 = off).
 * Returns 0 or a negative errno.
 */
int mg_diag_start(uint32_t addr, uint16_t echo_port, uint16_t discard_port);

/* mg_diag_stop() aborts open connections and closes the listeners. */
void mg_diag_stop(void);

#endif /* MG_DIAG_H */
