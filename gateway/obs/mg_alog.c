/*
 * The access log.  See mg_alog.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/config/config.h"
#include "gateway/core/mg_pool.h"
#include "gateway/http/mg_h1.h"
#include "gateway/http/mg_http_util.h"
#include "gateway/obs/mg_alog.h"
#include "gateway/obs/mg_obs.h"
#include "gateway/route/mg_route.h"

#define MAX_OPS      128
#define MAX_CAPS     24   /* distinct REQ(...) fields a format may use */
#define CAP_BYTES    1536 /* captured request field bytes per request */
#define HDR_NAME_MAX 64

enum op_kind {
	OP_LIT,
	OP_START_TIME,
	OP_REQ,
	OP_RESP, /* response headers are not captured: "-" */
	OP_PROTOCOL,
	OP_RESPONSE_CODE,
	OP_RESPONSE_FLAGS,
	OP_BYTES_RECEIVED,
	OP_BYTES_SENT,
	OP_DURATION,
	OP_RESPONSE_DURATION,
	OP_UPSTREAM_HOST,
	OP_DOWNSTREAM_REMOTE_ADDRESS,
	OP_DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT,
	OP_DOWNSTREAM_LOCAL_PORT,
	OP_UPSTREAM_CLUSTER,
	OP_ROUTE_NAME,
	OP_VIRTUAL_SERVICE,
	OP_ROUTING_REASON,
	OP_HOSTNAME,
	OP_KEY, /* JSON: the start of a key ("key": written by the compiler as a literal) */
};

struct op {
	uint8_t kind;
	uint8_t cap;      /* OP_REQ: capture index */
	uint16_t max_len; /* OP_REQ: truncate to this many bytes (0: no limit) */
	uint16_t lit_off; /* OP_LIT: into fmt.lits */
	uint16_t lit_len;
	bool json_num;   /* JSON: the value is this operator alone and numeric */
	bool json_first; /* JSON: first operator of a value (opens the string) */
	bool json_last;  /* JSON: last operator of a value (closes the string) */
	bool in_value;   /* JSON: part of a value (escaped), not of the key/value syntax */
};

/* A request field to capture: a pseudo-header or a header, with an alternative. */
struct cap {
	char name[2][HDR_NAME_MAX]; /* lower case; [1] "" when no alternative */
};

static const struct {
	const char *name;
	enum op_kind kind;
	bool numeric;
} operators[] = {
    {"START_TIME", OP_START_TIME, false},
    {"PROTOCOL", OP_PROTOCOL, false},
    {"RESPONSE_CODE", OP_RESPONSE_CODE, true},
    {"RESPONSE_FLAGS", OP_RESPONSE_FLAGS, false},
    {"BYTES_RECEIVED", OP_BYTES_RECEIVED, true},
    {"BYTES_SENT", OP_BYTES_SENT, true},
    {"DURATION", OP_DURATION, true},
    {"RESPONSE_DURATION", OP_RESPONSE_DURATION, true},
    {"UPSTREAM_HOST", OP_UPSTREAM_HOST, false},
    {"DOWNSTREAM_REMOTE_ADDRESS", OP_DOWNSTREAM_REMOTE_ADDRESS, false},
    {"DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", OP_DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT, false},
    {"DOWNSTREAM_DIRECT_REMOTE_ADDRESS", OP_DOWNSTREAM_REMOTE_ADDRESS, false},
    {"DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT", OP_DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT,
     false},
    {"DOWNSTREAM_LOCAL_PORT", OP_DOWNSTREAM_LOCAL_PORT, true},
    {"UPSTREAM_CLUSTER", OP_UPSTREAM_CLUSTER, false},
    {"ROUTE_NAME", OP_ROUTE_NAME, false},
    {"VIRTUAL_SERVICE", OP_VIRTUAL_SERVICE, false},
    {"ROUTING_REASON", OP_ROUTING_REASON, false},
    {"HOSTNAME", OP_HOSTNAME, false},
};

/* App Mesh's (Envoy's) default text format. */
static const char default_format[] =
    "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" "
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% "
    "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" "
    "\"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\"\n";

struct mg_alog_req {
	struct timespec start;
	uint32_t peer_addr; /* network byte order */
	uint16_t peer_port, listener_port;
	uint8_t minor; /* HTTP/1.<minor>; 0xff: unknown */
	uint16_t off[MAX_CAPS], len[MAX_CAPS];
	uint16_t used;
	char buf[CAP_BYTES];
};

static struct {
	bool enabled, json;
	struct op ops[MAX_OPS];
	unsigned int n_ops;
	struct cap caps[MAX_CAPS];
	unsigned int n_caps;
	int rid_cap; /* the capture of x-request-id, -1: none */
	char lits[8192];
	size_t lits_used;
	struct mg_pool pool;
	int fd;
	bool own_fd;
	volatile sig_atomic_t *kick;
	char ring[MG_ALOG_RING_BYTES];
	size_t used;
	size_t remote_off; /* ring bytes already sent to the remote sink */
	bool (*remote)(const char *msg, size_t len);
	uint64_t lines, dropped;
	char hostname[64];
} al = {.fd = -1, .rid_cap = -1};

/* ---- compiling ------------------------------------------------------------------------ */

static int
add_op(const struct op *o, char *err, size_t errlen)
{
	if (al.n_ops == MAX_OPS) {
		snprintf(err, errlen, "access log format: more than %d parts", MAX_OPS);
		return -EINVAL;
	}
	al.ops[al.n_ops++] = *o;
	return 0;
}

static int
add_lit(const char *p, size_t n, char *err, size_t errlen)
{
	struct op o = {.kind = OP_LIT};

	if (n == 0)
		return 0;
	if (al.lits_used + n > sizeof(al.lits)) {
		snprintf(err, errlen, "access log format too long");
		return -EINVAL;
	}
	memcpy(al.lits + al.lits_used, p, n);
	o.lit_off = (uint16_t)al.lits_used;
	o.lit_len = (uint16_t)n;
	al.lits_used += n;
	return add_op(&o, err, errlen);
}

static void
lower_copy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32 : src[i]);
	dst[n] = '\0';
}

/* The capture index of REQ(<spec>) ("name" or "name?alt"). */
static int
cap_of(const char *spec, size_t n, char *err, size_t errlen)
{
	const char *q = memchr(spec, '?', n);
	size_t n0 = q != NULL ? (size_t)(q - spec) : n, n1 = q != NULL ? n - n0 - 1 : 0;
	struct cap c;
	unsigned int i;

	if (n0 == 0 || n0 >= HDR_NAME_MAX || n1 >= HDR_NAME_MAX || (q != NULL && n1 == 0)) {
		snprintf(err, errlen, "access log format: bad header name in REQ(%.*s)", (int)n,
		         spec);
		return -EINVAL;
	}
	memset(&c, 0, sizeof(c));
	lower_copy(c.name[0], spec, n0);
	if (q != NULL)
		lower_copy(c.name[1], q + 1, n1);
	for (i = 0; i < al.n_caps; i++)
		if (memcmp(&al.caps[i], &c, sizeof(c)) == 0)
			return (int)i;
	if (al.n_caps == MAX_CAPS) {
		snprintf(err, errlen, "access log format: more than %d distinct REQ() fields",
		         MAX_CAPS);
		return -EINVAL;
	}
	al.caps[al.n_caps] = c;
	if (strcmp(c.name[0], "x-request-id") == 0 && c.name[1][0] == '\0')
		al.rid_cap = (int)al.n_caps;
	return (int)al.n_caps++;
}

/* Parses "%...%" at <p> (<end> bounds it): appends the operator.  Returns the bytes used, or
 * 0 when it is not an operator (the '%' is then literal), or -EINVAL. */
static int
parse_operator(const char *p, const char *end, struct op *o, bool *numeric, char *err,
               size_t errlen)
{
	const char *close = memchr(p + 1, '%', (size_t)(end - p - 1));
	const char *name = p + 1, *paren;
	size_t nlen, i;
	int c;

	if (close == NULL)
		return 0;
	nlen = (size_t)(close - name);
	memset(o, 0, sizeof(*o));
	*numeric = false;
	paren = memchr(name, '(', nlen);
	if (paren != NULL) {
		const char *rp = memchr(paren, ')', (size_t)(close - paren));
		size_t base = (size_t)(paren - name);

		if (rp == NULL) {
			snprintf(err, errlen, "access log format: unclosed '(' in %%%.*s%%",
			         (int)nlen, name);
			return -EINVAL;
		}
		if (rp + 1 < close) {
			/* ":N" truncation */
			const char *d = rp + 1;
			unsigned long v = 0;

			if (*d != ':' || d + 1 == close)
				goto unknown;
			for (d++; d < close; d++) {
				if (*d < '0' || *d > '9' || v > 65535)
					goto unknown;
				v = v * 10 + (unsigned long)(*d - '0');
			}
			o->max_len = (uint16_t)(v > 65535 ? 65535 : v);
		}
		if (base == 3 && memcmp(name, "REQ", 3) == 0) {
			c = cap_of(paren + 1, (size_t)(rp - paren - 1), err, errlen);
			if (c < 0)
				return c;
			o->kind = OP_REQ;
			o->cap = (uint8_t)c;
			return (int)(close + 1 - p);
		}
		if ((base == 4 && memcmp(name, "RESP", 4) == 0) ||
		    (base == 8 && memcmp(name, "TRAILER", 7) == 0)) {
			o->kind = OP_RESP;
			return (int)(close + 1 - p);
		}
		if (base == 10 && memcmp(name, "START_TIME", 10) == 0) {
			o->kind =
			    OP_START_TIME; /* the format argument is not supported: ISO 8601 */
			return (int)(close + 1 - p);
		}
		goto unknown;
	}
	for (i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
		if (strlen(operators[i].name) == nlen &&
		    memcmp(operators[i].name, name, nlen) == 0) {
			o->kind = (uint8_t)operators[i].kind;
			*numeric = operators[i].numeric;
			return (int)(close + 1 - p);
		}
unknown:
	snprintf(err, errlen, "access log format: unsupported operator %%%.*s%%", (int)nlen, name);
	return -EINVAL;
}

/* Compiles <s> (<n> bytes) as a text format, or as a JSON value (<json>: the value's
 * operators are marked so that the formatter quotes and escapes). */
static int
compile_part(const char *s, size_t n, bool json, char *err, size_t errlen)
{
	const char *p = s, *end = s + n, *lit = s;
	unsigned int first = al.n_ops;
	bool numeric = false, only_numeric = true;
	unsigned int n_parts = 0;
	struct op o;
	int rc, used;

	while (p < end) {
		if (*p != '%') {
			p++;
			continue;
		}
		if (p + 1 < end && p[1] == '%') { /* %% is a literal % */
			rc = add_lit(lit, (size_t)(p + 1 - lit), err, errlen);
			if (rc != 0)
				return rc;
			p += 2;
			lit = p;
			n_parts++;
			only_numeric = false;
			continue;
		}
		used = parse_operator(p, end, &o, &numeric, err, errlen);
		if (used < 0)
			return used;
		if (used == 0) {
			p++;
			continue;
		}
		if (p > lit) {
			rc = add_lit(lit, (size_t)(p - lit), err, errlen);
			if (rc != 0)
				return rc;
			n_parts++;
			only_numeric = false;
		}
		if (!numeric)
			only_numeric = false;
		p += used;
		rc = add_op(&o, err, errlen);
		if (rc != 0)
			return rc;
		n_parts++;
		lit = p;
	}
	if (p > lit) {
		rc = add_lit(lit, (size_t)(p - lit), err, errlen);
		if (rc != 0)
			return rc;
		n_parts++;
		only_numeric = false;
	}
	if (json) {
		if (al.n_ops == first) {
			/* an empty value: an empty string */
			o = (struct op){.kind = OP_LIT};
			rc = add_op(&o, err, errlen);
			if (rc != 0)
				return rc;
		}
		al.ops[first].json_first = true;
		al.ops[al.n_ops - 1].json_last = true;
		for (unsigned int i = first; i < al.n_ops; i++) {
			al.ops[i].in_value = true;
			al.ops[i].json_num = n_parts == 1 && only_numeric;
		}
	}
	return 0;
}

static void
reset_format(void)
{
	al.n_ops = 0;
	al.n_caps = 0;
	al.lits_used = 0;
	al.rid_cap = -1;
	al.json = false;
}

int
mg_alog_compile_text(const char *fmt, char *err, size_t errlen)
{
	size_t n;
	int rc;

	reset_format();
	if (fmt == NULL || fmt[0] == '\0')
		fmt = default_format;
	n = strlen(fmt);
	rc = compile_part(fmt, n, false, err, errlen);
	if (rc == 0 && fmt[n - 1] != '\n')
		rc = add_lit("\n", 1, err, errlen); /* App Mesh's formats end the line */
	return rc;
}

/* JSON: a key is a literal; the key strings are escaped here, once. */
static int
add_json_key(const char *key, bool first, char *err, size_t errlen)
{
	char b[6 * MG_CFG_LOG_KEY_MAX + 8];
	size_t n = 0;
	const char *k;

	if (!first)
		b[n++] = ',';
	b[n++] = '"';
	for (k = key; *k != '\0' && n < sizeof(b) - 10; k++) {
		unsigned char c = (unsigned char)*k;

		if (c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(b + n, 7, "\\u%04x", c);
			continue;
		}
		if (c == '"' || c == '\\')
			b[n++] = '\\';
		b[n++] = (char)c;
	}
	b[n++] = '"';
	b[n++] = ':';
	return add_lit(b, n, err, errlen);
}

int
mg_alog_compile_json(const char *const *keys, const char *const *values, unsigned int n, char *err,
                     size_t errlen)
{
	unsigned int i;
	int rc;

	reset_format();
	rc = add_lit("{", 1, err, errlen);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = add_json_key(keys[i], i == 0, err, errlen);
		if (rc != 0)
			break;
		rc = compile_part(values[i], strlen(values[i]), true, err, errlen);
	}
	if (rc == 0)
		rc = add_lit("}\n", 2, err, errlen);
	if (rc == 0)
		al.json = true;
	return rc;
}

/* ---- capture ---------------------------------------------------------------------------- */

static void
cap_put(struct mg_alog_req *q, unsigned int i, const char *p, size_t n)
{
	if (n > (size_t)CAP_BYTES - q->used)
		n = (size_t)CAP_BYTES - q->used;
	q->off[i] = q->used;
	q->len[i] = (uint16_t)n;
	memcpy(q->buf + q->used, p, n);
	q->used = (uint16_t)(q->used + n);
}

/* The value of capture name <name> in <r>: pseudo-headers, then fields.  False: absent. */
static bool
req_value(const struct mg_h1_request *r, const char *name, const char **p, size_t *n)
{
	const struct mg_h1_field *f;

	if (name[0] == ':') {
		if (strcmp(name, ":method") == 0) {
			*p = r->method.p;
			*n = r->method.len;
		} else if (strcmp(name, ":path") == 0) {
			if (r->path.p == NULL)
				return false;
			*p = r->path.p;
			*n = r->query.p != NULL ? (size_t)(r->query.p + r->query.len - r->path.p)
			                        : r->path.len;
			if (*n == 0) {
				*p = "/";
				*n = 1;
			}
		} else if (strcmp(name, ":authority") == 0) {
			*p = r->host.p;
			*n = r->host.len;
		} else if (strcmp(name, ":scheme") == 0) {
			*p = "http";
			*n = 4;
		} else {
			return false;
		}
		return *p != NULL;
	}
	f = mg_http_field_find(r->head.fields, r->head.nfields, name, NULL);
	if (f == NULL)
		return false;
	*p = f->value.p;
	*n = f->value.len;
	return true;
}

struct mg_alog_req *
mg_alog_capture(const struct mg_h1_request *r, uint16_t listener_port, uint32_t peer_addr,
                uint16_t peer_port)
{
	struct mg_alog_req *q;
	unsigned int i, a;

	if (!al.enabled)
		return NULL;
	q = mg_pool_get(&al.pool);
	if (q == NULL) {
		al.dropped++; /* no slot: this request's line is lost, counted */
		return NULL;
	}
	clock_gettime(CLOCK_REALTIME, &q->start); /* vDSO: no system call */
	q->peer_addr = peer_addr;
	q->peer_port = peer_port;
	q->listener_port = listener_port;
	q->minor = r != NULL ? (uint8_t)r->head.minor : 0xff;
	q->used = 0;
	for (i = 0; i < al.n_caps; i++) {
		const char *p = NULL;
		size_t n = 0;
		bool found = false;

		q->len[i] = UINT16_MAX; /* absent */
		for (a = 0; r != NULL && a < 2 && !found; a++)
			if (al.caps[i].name[a][0] != '\0')
				found = req_value(r, al.caps[i].name[a], &p, &n);
		if (found)
			cap_put(q, i, p, n);
	}
	return q;
}

void
mg_alog_http2(struct mg_alog_req *q)
{
	q->minor = 2;
}

void
mg_alog_request_id(struct mg_alog_req *q, const char *id, size_t len)
{
	if (q != NULL && al.rid_cap >= 0)
		cap_put(q, (unsigned int)al.rid_cap, id, len);
}

/* ---- formatting ------------------------------------------------------------------------- */

struct w {
	char *p, *end;
	bool full;
	bool esc; /* JSON string: escape */
};

static void
put(struct w *w, const char *s, size_t n)
{
	size_t i;

	if (!w->esc) {
		if ((size_t)(w->end - w->p) < n) {
			w->full = true;
			return;
		}
		memcpy(w->p, s, n);
		w->p += n;
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (w->end - w->p < 7) {
			w->full = true;
			return;
		}
		if (c == '"' || c == '\\') {
			*w->p++ = '\\';
			*w->p++ = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			w->p += snprintf(w->p, 7, "\\u%04x", c);
		} else {
			*w->p++ = (char)c;
		}
	}
}

static void
puts_(struct w *w, const char *s)
{
	put(w, s, strlen(s));
}

static void
putu(struct w *w, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	put(w, b, (size_t)n);
}

static void
put_addr(struct w *w, uint32_t addr, int port)
{
	const uint8_t *a = (const uint8_t *)&addr;
	char b[32];
	int n = port >= 0 ? snprintf(b, sizeof(b), "%u.%u.%u.%u:%d", a[0], a[1], a[2], a[3], port)
	                  : snprintf(b, sizeof(b), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);

	put(w, b, (size_t)n);
}

static const char *
series_name(const struct mg_obs_x *x, enum mg_obs_kind k)
{
	unsigned int n;
	const struct mg_obs_series *s = mg_obs_series(k, &n);

	return x->key[k] != MG_OBS_NONE ? s[x->key[k]].name : NULL;
}

/* Envoy's response flags for what happened to <x>. */
static const char *
response_flags(const struct mg_obs_x *x)
{
	if (x->flags & MG_OBS_F_UO)
		return "UO";
	if (x->flags & MG_OBS_F_UAEX)
		return "UAEX";
	if (x->routed) {
		switch (x->reason) {
		case MG_ROUTE_NO_GATEWAY_ROUTE:
		case MG_ROUTE_NO_ROUTE:
			return "NR";
		case MG_ROUTE_NO_PROVIDER:
		case MG_ROUTE_NO_TARGET:
		case MG_ROUTE_NO_ENDPOINT:
			return "UH";
		default:
			break;
		}
	}
	if (x->status == 0)
		return "DC";
	if (x->up_port != 0 && x->t_sent == 0 && x->status == 503)
		return "UF";
	if (x->status == 504 && x->t_first == 0 && x->t_sent != 0)
		return "UT";
	if (x->status == 502 && x->t_first == 0 && x->t_sent != 0)
		return "UC";
	return "-";
}

size_t
mg_alog_format(const struct mg_obs_x *x, uint64_t dur_us, uint64_t resp_us, char *buf, size_t cap)
{
	const struct mg_alog_req *q = x->log;
	struct w w = {.p = buf, .end = buf + cap};
	unsigned int i;

	for (i = 0; i < al.n_ops; i++) {
		const struct op *o = &al.ops[i];
		const char *s = NULL;
		bool dash = false;

		w.esc = false;
		if (al.json && o->json_first && !o->json_num)
			put(&w, "\"", 1);
		w.esc = al.json && o->in_value && !o->json_num;
		switch (o->kind) {
		case OP_LIT:
			put(&w, al.lits + o->lit_off, o->lit_len);
			break;
		case OP_START_TIME: {
			struct tm tm;
			char b[40];
			size_t n;

			gmtime_r(&q->start.tv_sec, &tm);
			n = strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
			n += (size_t)snprintf(b + n, sizeof(b) - n, ".%03ldZ",
			                      q->start.tv_nsec / 1000000);
			put(&w, b, n);
			break;
		}
		case OP_REQ:
			if (q->len[o->cap] == UINT16_MAX) {
				dash = true;
				break;
			}
			put(&w, q->buf + q->off[o->cap],
			    o->max_len != 0 && o->max_len < q->len[o->cap] ? o->max_len
			                                                   : q->len[o->cap]);
			break;
		case OP_PROTOCOL:
			if (q->minor == 0xff)
				dash = true;
			else
				puts_(&w, q->minor == 0   ? "HTTP/1.0"
				          : q->minor == 2 ? "HTTP/2"
				                          : "HTTP/1.1");
			break;
		case OP_RESPONSE_CODE:
			putu(&w, x->status);
			break;
		case OP_RESPONSE_FLAGS:
			puts_(&w, response_flags(x));
			break;
		case OP_BYTES_RECEIVED:
			putu(&w, x->rx_bytes);
			break;
		case OP_BYTES_SENT:
			putu(&w, x->tx_bytes);
			break;
		case OP_DURATION:
			putu(&w, dur_us / 1000);
			break;
		case OP_RESPONSE_DURATION:
			if (resp_us == UINT64_MAX)
				dash = true;
			else
				putu(&w, resp_us / 1000);
			break;
		case OP_UPSTREAM_HOST:
			if (x->up_port == 0)
				dash = true;
			else
				put_addr(&w, x->up_addr, x->up_port);
			break;
		case OP_DOWNSTREAM_REMOTE_ADDRESS:
			put_addr(&w, q->peer_addr, q->peer_port);
			break;
		case OP_DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT:
			put_addr(&w, q->peer_addr, -1);
			break;
		case OP_DOWNSTREAM_LOCAL_PORT:
			putu(&w, q->listener_port);
			break;
		case OP_UPSTREAM_CLUSTER:
			s = series_name(x, MG_OBS_VIRTUAL_NODE);
			break;
		case OP_ROUTE_NAME:
			s = series_name(x, MG_OBS_GATEWAY_ROUTE);
			break;
		case OP_VIRTUAL_SERVICE:
			s = series_name(x, MG_OBS_VIRTUAL_SERVICE);
			break;
		case OP_ROUTING_REASON:
			s = x->routed ? mg_route_reason_label((enum mg_route_reason)x->reason)
			              : NULL;
			break;
		case OP_HOSTNAME:
			s = al.hostname;
			break;
		case OP_RESP:
		default:
			dash = true;
			break;
		}
		if (s != NULL)
			puts_(&w, s);
		else if (dash || (o->kind >= OP_UPSTREAM_CLUSTER && o->kind <= OP_ROUTING_REASON))
			puts_(&w, al.json && o->json_num ? "null" : "-");
		w.esc = false;
		if (al.json && o->json_last && !o->json_num)
			put(&w, "\"", 1);
	}
	return w.full ? 0 : (size_t)(w.p - buf);
}

void
mg_alog_emit(const struct mg_obs_x *x, uint64_t dur_us, uint64_t resp_us)
{
	static char line[MG_ALOG_LINE_MAX];
	size_t n = mg_alog_format(x, dur_us, resp_us, line, sizeof(line));

	if (x->log != NULL)
		mg_pool_put(&al.pool, x->log);
	if (n == 0 || al.used + n > sizeof(al.ring)) {
		al.dropped++;
		return;
	}
	memcpy(al.ring + al.used, line, n);
	al.used += n;
	al.lines++;
	if (al.used > sizeof(al.ring) / 2 && al.kick != NULL)
		*al.kick = 1;
}

/* ---- output --------------------------------------------------------------------------- */

void
mg_alog_set_remote(bool (*send)(const char *msg, size_t len))
{
	al.remote = send;
	al.remote_off = al.used;
}

/* Sends the lines not yet sent to the remote sink, one message each (no newline). */
static void
flush_remote(void)
{
	size_t i, start = al.remote_off;

	for (i = al.remote_off; i < al.used; i++) {
		if (al.ring[i] != '\n')
			continue;
		al.remote(al.ring + start, i - start);
		start = i + 1;
	}
	al.remote_off = start;
}

size_t
mg_alog_flush(void)
{
	ssize_t n;

	if (al.remote != NULL)
		flush_remote();
	if (al.used == 0 || al.fd < 0)
		return 0;
	n = write(al.fd, al.ring, al.used);
	if (n <= 0) {
		size_t i;

		/* A full pipe: the lines wait in the ring (which drops, counted, when full). */
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		/* The output is gone: these lines are lost, counted. */
		for (i = 0; i < al.used; i++)
			al.dropped += al.ring[i] == '\n';
		al.used = 0;
		al.remote_off = 0;
		return 0;
	}
	if ((size_t)n < al.used)
		memmove(al.ring, al.ring + n, al.used - (size_t)n);
	al.used -= (size_t)n;
	al.remote_off = al.remote_off > (size_t)n ? al.remote_off - (size_t)n : 0;
	return (size_t)n;
}

int
mg_alog_open(const struct mg_cfg_virtual_gateway *vg, uint32_t max_reqs,
             volatile sig_atomic_t *kick, char *err, size_t errlen)
{
	int rc;

	if (!vg->has_access_log)
		return 0;
	if (vg->access_log_json) {
		const char *keys[MG_CFG_MAX_LOG_JSON], *values[MG_CFG_MAX_LOG_JSON];
		int i;

		for (i = 0; i < vg->n_access_log_json; i++) {
			keys[i] = vg->access_log_json_fields[i].key;
			values[i] = vg->access_log_json_fields[i].value;
		}
		rc = mg_alog_compile_json(keys, values, (unsigned int)vg->n_access_log_json, err,
		                          errlen);
	} else {
		rc = mg_alog_compile_text(vg->access_log_text, err, errlen);
	}
	if (rc != 0)
		return rc;
	if (strcmp(vg->access_log_path, "/dev/stdout") == 0) {
		al.fd = STDOUT_FILENO;
	} else if (strcmp(vg->access_log_path, "/dev/stderr") == 0) {
		al.fd = STDERR_FILENO;
	} else {
		al.fd = open(vg->access_log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (al.fd < 0) {
			snprintf(err, errlen, "access log %s: %s", vg->access_log_path,
			         strerror(errno));
			return -errno;
		}
		al.own_fd = true;
	}
	{
		/* A pipe or socket (a log collector reading stdout) that stops reading must not
		 * stall the worker: writes to it do not block (pending lines stay in the ring). */
		struct stat st;
		int fl;

		if (fstat(al.fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) &&
		    (fl = fcntl(al.fd, F_GETFL)) >= 0)
			(void)fcntl(al.fd, F_SETFL, fl | O_NONBLOCK);
	}
	rc = mg_pool_init(&al.pool, "access_log_req", sizeof(struct mg_alog_req), max_reqs);
	if (rc != 0) {
		snprintf(err, errlen, "access log: %s", strerror(-rc));
		mg_alog_close();
		return rc;
	}
	if (gethostname(al.hostname, sizeof(al.hostname) - 1) != 0)
		strcpy(al.hostname, "-");
	al.kick = kick;
	al.enabled = true;
	return 0;
}

void
mg_alog_close(void)
{
	mg_alog_flush();
	if (al.own_fd && al.fd >= 0)
		close(al.fd);
	al.fd = -1;
	al.own_fd = false;
	if (al.enabled)
		mg_pool_destroy(&al.pool);
	al.enabled = false;
}

bool
mg_alog_enabled(void)
{
	return al.enabled;
}

uint64_t
mg_alog_lines(void)
{
	return al.lines;
}

uint64_t
mg_alog_dropped(void)
{
	return al.dropped;
}
