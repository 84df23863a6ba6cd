/*
 * The event log: what the data path wants an operator to read (a 5xx the gateway answered and
 * why, an upstream that failed), without system calls on the data path.
 *
 * mg_evlog() formats one line into a fixed ring (64 KiB) in memory; mg_evlog_flush(), called by
 * the control plane about once a second (the worker's tick), writes every pending line with one
 * write to stderr, as "meshgate: event: <UTC time> <message>".  When the ring is full new lines
 * are dropped and counted, and the next flush says how many: a flood of failures costs a
 * bounded amount of memory and output.  The access log (one line per request) is separate.
 *
 * Not thread-safe: one worker owns it.
 */
#ifndef MG_EVLOG_H
#define MG_EVLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MG_EVLOG_RING_BYTES 65536
#define MG_EVLOG_LINE_MAX   512 /* longer messages are cut */

/* mg_evlog() records one line (no trailing newline needed).  Never blocks. */
void mg_evlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* mg_evlog_flush() writes the pending lines to <out> and empties the ring.  Returns the
 * number of lines written. */
size_t mg_evlog_flush(FILE *out);

/* Lines recorded and lines dropped (ring full) since start. */
uint64_t mg_evlog_recorded(void);
uint64_t mg_evlog_dropped(void);

#endif /* MG_EVLOG_H */
