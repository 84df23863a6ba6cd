/*
 * W3C Trace Context.  See mg_trace.h.
 */
#include <string.h>

#include "gateway/http/mg_h1.h"
#include "gateway/http/mg_http_util.h"
#include "gateway/obs/mg_trace.h"

static bool
lhex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool
hex_run(const char *p, size_t n, bool nonzero)
{
	bool any = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!lhex(p[i]))
			return false;
		any |= p[i] != '0';
	}
	return !nonzero || any;
}

bool
mg_trace_parse(const char *v, size_t n, char trace_id[32], char flags[2])
{
	if (v == NULL || n < MG_TRACEPARENT_LEN)
		return false;
	if (!hex_run(v, 2, false) || (v[0] == 'f' && v[1] == 'f'))
		return false;
	if (v[0] == '0' && v[1] == '0' && n != MG_TRACEPARENT_LEN)
		return false;
	if (n > MG_TRACEPARENT_LEN && v[MG_TRACEPARENT_LEN] != '-')
		return false;
	if (v[2] != '-' || v[35] != '-' || v[52] != '-')
		return false;
	if (!hex_run(v + 3, 32, true) || !hex_run(v + 36, 16, true) || !hex_run(v + 53, 2, false))
		return false;
	memcpy(trace_id, v + 3, 32);
	memcpy(flags, v + 53, 2);
	return true;
}

static void
put_hex(char *o, uint64_t v, unsigned int digits)
{
	static const char hx[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < digits; i++)
		o[i] = hx[(v >> (4 * (digits - 1 - i))) & 0xf];
}

bool
mg_trace_next(const char *in, size_t n, const uint64_t rnd[3], char out[MG_TRACEPARENT_LEN])
{
	char trace_id[32], flags[2];
	bool valid = mg_trace_parse(in, n, trace_id, flags);

	if (!valid) {
		uint64_t hi = rnd[0], lo = rnd[1];

		if (hi == 0 && lo == 0)
			lo = 1;
		put_hex(trace_id, hi, 16);
		put_hex(trace_id + 16, lo, 16);
		flags[0] = '0';
		flags[1] = '0';
	}
	memcpy(out, "00-", 3);
	memcpy(out + 3, trace_id, 32);
	out[35] = '-';
	put_hex(out + 36, rnd[2] != 0 ? rnd[2] : 1, 16);
	out[52] = '-';
	memcpy(out + 53, flags, 2);
	return valid;
}

bool
mg_trace_propagate(const struct mg_h1_field *fields, unsigned int nfields, const uint64_t rnd[3],
                   char out[MG_TRACEPARENT_LEN])
{
	unsigned int idx = 0;
	const struct mg_h1_field *f = mg_http_field_find(fields, nfields, "traceparent", &idx);

	if (f != NULL && mg_http_field_find(fields, nfields, "traceparent", &idx) != NULL)
		f = NULL; /* more than one: invalid */
	return mg_trace_next(f != NULL ? f->value.p : NULL, f != NULL ? f->value.len : 0, rnd, out);
}
