/*
 * The access log: one line per request, as App Mesh's virtualGateway.spec.logging.accessLog
 * configures it (Envoy's text format with %OPERATOR%s, its default format when none is given,
 * or the JSON key/value form).  docs/OBSERVABILITY.md lists the operators.
 *
 * Never blocks the data path: at the start of a request the fields the format needs are
 * copied into a slot of a fixed pool (no malloc); at its end the line is formatted into a
 * bounded in-memory ring (1 MiB).  mg_alog_flush() writes the ring with one write() from the
 * control path (the once-a-second tick, or earlier when the ring is half full: the kick
 * flag).  When the ring is full, lines are dropped and counted.
 *
 * Not thread-safe: one worker owns it.
 */
#ifndef MG_ALOG_H
#define MG_ALOG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_h1_request;
struct mg_obs_x;
struct mg_cfg_virtual_gateway;

#define MG_ALOG_RING_BYTES (1u << 20)
#define MG_ALOG_LINE_MAX   4096

/*
 * mg_alog_compile_text() / mg_alog_compile_json() compile a format into the active one
 * (replacing any previous).  Return 0, or -EINVAL with a message in <err> (an unknown
 * operator, too many operators).  Exposed for unit tests; mg_alog_open() calls them.
 */
int mg_alog_compile_text(const char *fmt, char *err, size_t errlen);
int mg_alog_compile_json(const char *const *keys, const char *const *values, unsigned int n,
                         char *err, size_t errlen);

/*
 * mg_alog_open() sets up the access log of <vg> (nothing when it has none): the format, the
 * output (a path; /dev/stdout and /dev/stderr are the process' own), and <max_reqs> capture
 * slots (one per concurrent request).  <kick> is set to 1 when the ring wants flushing
 * before the next tick.  Returns 0 or a negative errno with a message in <err>.
 */
int mg_alog_open(const struct mg_cfg_virtual_gateway *vg, uint32_t max_reqs,
                 volatile sig_atomic_t *kick, char *err, size_t errlen);
void mg_alog_close(void);
bool mg_alog_enabled(void);

/* Hooks from mg_obs: capture at the start (<r> may be NULL), the request id the gateway
 * generated, the line at the end (durations in microseconds; UINT64_MAX: none). */
struct mg_alog_req *mg_alog_capture(const struct mg_h1_request *r, uint16_t listener_port,
                                    uint32_t peer_addr, uint16_t peer_port);
/* mg_alog_http2() marks the request as received over HTTP/2 (%PROTOCOL% says HTTP/2). */
void mg_alog_http2(struct mg_alog_req *q);
void mg_alog_request_id(struct mg_alog_req *q, const char *id, size_t len);
void mg_alog_emit(const struct mg_obs_x *x, uint64_t dur_us, uint64_t resp_us);

/*
 * mg_alog_format() formats the line of <x> into <buf> with the active format (for tests and
 * for mg_alog_emit()).  Returns its length (newline included) or 0 if it did not fit.
 */
size_t mg_alog_format(const struct mg_obs_x *x, uint64_t dur_us, uint64_t resp_us, char *buf,
                      size_t cap);

/* mg_alog_set_remote() also hands every line, at flush time, to <send> (one call per line,
 * without its newline): remote syslog (gateway/obs/mg_syslog.h).  NULL: none. */
void mg_alog_set_remote(bool (*send)(const char *msg, size_t len));

/* mg_alog_flush() writes pending lines with at most one write().  Returns bytes written. */
size_t mg_alog_flush(void);

uint64_t mg_alog_lines(void);
uint64_t mg_alog_dropped(void);

#endif /* MG_ALOG_H */
