/*
 * W3C Trace Context propagation (https://www.w3.org/TR/trace-context/) for the proxy.
 *
 * The gateway is one hop of the trace: a valid incoming traceparent is forwarded with the
 * same trace-id and flags and a new parent-id (the gateway's span), and tracestate is kept;
 * an absent or invalid one (or more than one) starts a new trace, and tracestate is dropped,
 * as the specification requires.  X-Amzn-Trace-Id is not touched (passed through).
 */
#ifndef MG_TRACE_H
#define MG_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_h1_field;

#define MG_TRACEPARENT_LEN 55 /* "00-" 32 hex "-" 16 hex "-" 2 hex */

/*
 * mg_trace_parse() validates one traceparent value strictly: version two lowercase hex
 * digits other than "ff"; for version 00 exactly 55 characters; for a later version at least
 * 55 and, if longer, a '-' after the flags; trace-id 32 and parent-id 16 lowercase hex
 * digits, neither all zero.  On success copies the trace-id (32) and flags (2) out.
 */
bool mg_trace_parse(const char *v, size_t n, char trace_id[32], char flags[2]);

/*
 * mg_trace_next() writes the traceparent to forward into <out> (MG_TRACEPARENT_LEN bytes,
 * not NUL-terminated), given the incoming value <in> (<n> bytes; NULL: none) and random bits
 * <rnd> (new ids are drawn from them; an all-zero id is avoided).  Returns true when <in>
 * was valid (the trace continues; tracestate may be forwarded).
 */
bool mg_trace_next(const char *in, size_t n, const uint64_t rnd[3], char out[MG_TRACEPARENT_LEN]);

/* mg_trace_propagate() is mg_trace_next() on a request's fields: none, one, or several
 * traceparent fields (several are invalid). */
bool mg_trace_propagate(const struct mg_h1_field *fields, unsigned int nfields,
                        const uint64_t rnd[3], char out[MG_TRACEPARENT_LEN]);

#endif /* MG_TRACE_H */
