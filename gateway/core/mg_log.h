/*
 * Logging for boot, shutdown and the control plane.
 *
 * The worker's fast path does not log: it counts, and the counters are
 * exported.  Lines go to stderr as "meshgate: <level>: <message>".
 */
#ifndef MG_LOG_H
#define MG_LOG_H

enum mg_log_level { MG_LOG_ERR, MG_LOG_WARN, MG_LOG_INFO, MG_LOG_DEBUG };

void mg_log(enum mg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mg_log_set_level(enum mg_log_level level);
/* With several workers: lines carry "[worker N] " after the level (-1: none, the default). */
void mg_log_set_worker(int index);

#define mg_err(...)   mg_log(MG_LOG_ERR, __VA_ARGS__)
#define mg_warn(...)  mg_log(MG_LOG_WARN, __VA_ARGS__)
#define mg_info(...)  mg_log(MG_LOG_INFO, __VA_ARGS__)
#define mg_debug(...) mg_log(MG_LOG_DEBUG, __VA_ARGS__)

#endif /* MG_LOG_H */
