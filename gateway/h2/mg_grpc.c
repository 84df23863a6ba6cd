/*
 * gRPC helpers: request detection, grpc-timeout, and the gateway's own gRPC error responses
 * (see mg_grpc.h).
 */
#include "gateway/h2/mg_grpc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway/http/mg_http_lex.h"
#include "gateway/http/mg_http_util.h"

bool
mg_grpc_is_grpc(const char *v, size_t n)
{
	static const char ct[] = "application/grpc";
	const size_t l = sizeof(ct) - 1;

	if (v == NULL || n < l || strncasecmp(v, ct, l) != 0)
		return false;
	return n == l || v[l] == '+' || v[l] == ';';
}

enum mg_grpc_status
mg_grpc_status_for_http(int status)
{
	switch (status) {
	case 400:
	case 414:
		return MG_GRPC_INTERNAL;
	case 401:
		return MG_GRPC_UNAUTHENTICATED;
	case 403:
		return MG_GRPC_PERMISSION_DENIED;
	case 404:
	case 501:
		return MG_GRPC_UNIMPLEMENTED;
	case 413:
	case 431:
		return MG_GRPC_RESOURCE_EXHAUSTED;
	case 429:
	case 502:
	case 503:
		return MG_GRPC_UNAVAILABLE;
	case 504:
		return MG_GRPC_DEADLINE_EXCEEDED;
	default:
		return status >= 500 ? MG_GRPC_INTERNAL : MG_GRPC_UNKNOWN;
	}
}

const char *
mg_grpc_status_name(int code)
{
	static const char *const names[] = {"OK",
	                                    "CANCELLED",
	                                    "UNKNOWN",
	                                    "INVALID_ARGUMENT",
	                                    "DEADLINE_EXCEEDED",
	                                    "NOT_FOUND",
	                                    "ALREADY_EXISTS",
	                                    "PERMISSION_DENIED",
	                                    "RESOURCE_EXHAUSTED",
	                                    "FAILED_PRECONDITION",
	                                    "ABORTED",
	                                    "OUT_OF_RANGE",
	                                    "UNIMPLEMENTED",
	                                    "INTERNAL",
	                                    "UNAVAILABLE",
	                                    "DATA_LOSS",
	                                    "UNAUTHENTICATED"};

	return code >= 0 && code < (int)(sizeof(names) / sizeof(names[0])) ? names[code]
	                                                                   : "UNKNOWN";
}

int
mg_grpc_timeout_parse(const char *v, size_t n, uint64_t *ms)
{
	uint64_t x = 0, r;
	size_t i;

	if (v == NULL || n < 2 || n > 9)
		return -EINVAL;
	for (i = 0; i + 1 < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	switch (v[n - 1]) {
	case 'H':
		r = x * 3600000;
		break;
	case 'M':
		r = x * 60000;
		break;
	case 'S':
		r = x * 1000;
		break;
	case 'm':
		r = x;
		break;
	case 'u':
		r = (x + 999) / 1000;
		break;
	case 'n':
		r = (x + 999999) / 1000000;
		break;
	default:
		return -EINVAL;
	}
	*ms = r > MG_GRPC_TIMEOUT_MAX_MS ? MG_GRPC_TIMEOUT_MAX_MS : r;
	return 0;
}

/* True when [p, p + n) is zero or more "name: value\r\n" lines (a token name, no CR/LF/NUL in
 * PLAIN value). */
static bool
lines_valid(const char *p, size_t n)
{
	const char *end = p + n, *cr, *q;

	while (p < end) {
		cr = memchr(p, '\r', (size_t)(end - p));
		if (cr == NULL || cr + 1 >= end || cr[1] != '\n')
			return false;
		for (q = p; q < cr && *q != ':'; q++)
			if (!mg_http_is((unsigned char)*q, MG_HTTP_C_TCHAR))
				return false;
		if (q == p || q == cr || !mg_http_all(q, (size_t)(cr - q), MG_HTTP_C_PLAIN))
			return false;
		p = cr + 2;
	}
	return true;
}

ssize_t
mg_grpc_write_error(char *out, size_t size, int status, const char *detail, size_t detail_len,
                    const char *extra, size_t extra_len)
{
	static const char hex[] = "0123456789ABCDEF";
	char msg[MG_GRPC_MESSAGE_MAX + 1], enc[3 * MG_GRPC_MESSAGE_MAX + 1];
	const char *reason = mg_http_status_reason(status);
	size_t i, m, e = 0;
	int k;

	if (status < 400 || status > 599)
		return -EINVAL;
	if (extra_len > 0 && (extra == NULL || !lines_valid(extra, extra_len)))
		return -EINVAL;
	k = snprintf(msg, sizeof(msg), "%d%s%s%s%.*s", status, reason[0] != '\0' ? " " : "", reason,
	             detail != NULL && detail_len > 0 ? ": " : "",
	             detail != NULL ? (int)(detail_len > MG_GRPC_MESSAGE_MAX ? MG_GRPC_MESSAGE_MAX
	                                                                     : detail_len)
	                            : 0,
	             detail != NULL ? detail : "");
	m = k < 0 ? 0 : (size_t)k >= sizeof(msg) ? sizeof(msg) - 1 : (size_t)k;
	for (i = 0; i < m; i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c < 0x20 || c > 0x7e || c == '%') {
			enc[e++] = '%';
			enc[e++] = hex[c >> 4];
			enc[e++] = hex[c & 15];
		} else {
			enc[e++] = (char)c;
		}
	}
	k = snprintf(out, size,
	             "HTTP/1.1 200 OK\r\nContent-Type: application/grpc\r\ngrpc-status: %d\r\n"
	             "grpc-message: %.*s\r\nContent-Length: 0\r\nConnection: close\r\n%.*s\r\n",
	             (int)mg_grpc_status_for_http(status), (int)e, enc, (int)extra_len,
	             extra != NULL ? extra : "");
	if (k < 0 || (size_t)k >= size)
		return -ENOSPC;
	return k;
}
