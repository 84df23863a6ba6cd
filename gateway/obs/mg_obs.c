/*
 * Per-request accounting.  See mg_obs.h.
 */
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "gateway/http/mg_h1.h"
#include "gateway/net/mg_conn.h"
#include "gateway/obs/mg_alog.h"
#include "gateway/obs/mg_obs.h"
#include "gateway/route/mg_route.h"

/* Upper bounds of the latency buckets, in seconds (Prometheus' "le"). */
const double mg_obs_bucket_le[MG_OBS_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
static const uint64_t bucket_us[MG_OBS_BUCKETS] = {500,     1000,    2500,    5000,    10000,
                                                   25000,   50000,   100000,  250000,  500000,
                                                   1000000, 2500000, 5000000, 10000000};

#define HASH_SLOTS (2 * MG_OBS_MAX_KEYS)

struct kind_table {
	struct mg_obs_series s[MG_OBS_MAX_KEYS + 1]; /* the last one: "_other" */
	unsigned int n;
	uint16_t slot[HASH_SLOTS]; /* index + 1; 0: empty */
};

static struct {
	uint64_t tsc_hz;
	struct kind_table t[MG_OBS_KIND_COUNT];
	uint64_t decisions[MG_ROUTE_REASON_COUNT];
	struct mg_obs_route noted;
	bool have_noted;
	/* Per-request lookups without formatting: listener port -> key, endpoint -> key. */
	struct {
		uint16_t port, key;
	} port_cache[8];
	struct {
		uint32_t addr;
		uint16_t port, key;
	} ep_cache[256];
} obs;

static const char *const kind_labels[MG_OBS_KIND_COUNT] = {
    [MG_OBS_LISTENER] = "listener",
    [MG_OBS_GATEWAY_ROUTE] = "gateway_route",
    [MG_OBS_VIRTUAL_SERVICE] = "virtual_service",
    [MG_OBS_VIRTUAL_NODE] = "virtual_node",
    [MG_OBS_ENDPOINT] = "endpoint",
};

const char *
mg_obs_kind_label(enum mg_obs_kind k)
{
	return kind_labels[k];
}

void
mg_obs_init(uint64_t tsc_hz)
{
	obs.tsc_hz = tsc_hz != 0 ? tsc_hz : 1;
}

static uint32_t
hash_name(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (uint8_t)*p++) * 16777619u;
	return h;
}

/* The series of <name> (<len> bytes) in kind <k>, created on first use. */
static uint16_t
key_of(enum mg_obs_kind k, const char *name, size_t len)
{
	struct kind_table *t = &obs.t[k];
	uint32_t h, i;
	uint16_t idx;

	if (name == NULL)
		return MG_OBS_NONE;
	if (len >= MG_OBS_NAME_MAX)
		len = MG_OBS_NAME_MAX - 1;
	h = hash_name(name, len);
	for (i = 0; i < HASH_SLOTS; i++) {
		uint16_t v = t->slot[(h + i) % HASH_SLOTS];
		const char *sn;

		if (v == 0)
			break;
		sn = t->s[v - 1].name;
		if (strncmp(sn, name, len) == 0 && sn[len] == '\0')
			return (uint16_t)(v - 1);
	}
	if (t->n == MG_OBS_MAX_KEYS || i == HASH_SLOTS) {
		if (t->s[MG_OBS_MAX_KEYS].name[0] == '\0')
			strcpy(t->s[MG_OBS_MAX_KEYS].name, "_other");
		return MG_OBS_MAX_KEYS;
	}
	idx = (uint16_t)t->n++;
	memcpy(t->s[idx].name, name, len);
	t->s[idx].name[len] = '\0';
	t->slot[(h + i) % HASH_SLOTS] = (uint16_t)(idx + 1);
	return idx;
}

static uint16_t
key_str(enum mg_obs_kind k, const char *name)
{
	return name != NULL ? key_of(k, name, strlen(name)) : MG_OBS_NONE;
}

static uint16_t
key_port(uint16_t port)
{
	unsigned int i = port % 8;
	char b[8];
	int n;

	if (obs.port_cache[i].port == port && port != 0)
		return obs.port_cache[i].key;
	n = snprintf(b, sizeof(b), "%u", port);
	obs.port_cache[i].port = port;
	obs.port_cache[i].key = key_of(MG_OBS_LISTENER, b, (size_t)n);
	return obs.port_cache[i].key;
}

/* The key of endpoint <addr> (network byte order):<port>, named "a.b.c.d:port". */
static uint16_t
key_endpoint(uint32_t addr, uint16_t port)
{
	unsigned int i = (hash_name((const char *)&addr, 4) ^ port) % 256;
	const uint8_t *a = (const uint8_t *)&addr;
	char b[32];
	int n;

	if (obs.ep_cache[i].port == port && obs.ep_cache[i].addr == addr && port != 0)
		return obs.ep_cache[i].key;
	n = snprintf(b, sizeof(b), "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], port);
	obs.ep_cache[i].addr = addr;
	obs.ep_cache[i].port = port;
	obs.ep_cache[i].key = key_of(MG_OBS_ENDPOINT, b, (size_t)n);
	return obs.ep_cache[i].key;
}

static struct mg_obs_series *
series(enum mg_obs_kind k, uint16_t key)
{
	return key == MG_OBS_NONE ? NULL : &obs.t[k].s[key];
}

const struct mg_obs_series *
mg_obs_series(enum mg_obs_kind k, unsigned int *n)
{
	/* "_other" (the last entry) is only used once every other one is. */
	*n = obs.t[k].n + (obs.t[k].s[MG_OBS_MAX_KEYS].name[0] != '\0' ? 1 : 0);
	return obs.t[k].s;
}

const uint64_t *
mg_obs_route_decisions(void)
{
	return obs.decisions;
}

void
mg_obs_conn_open(uint16_t listener_port)
{
	struct mg_obs_series *s = series(MG_OBS_LISTENER, key_port(listener_port));

	s->conns_total++;
	s->conns_active++;
}

void
mg_obs_conn_close(uint16_t listener_port)
{
	struct mg_obs_series *s = series(MG_OBS_LISTENER, key_port(listener_port));

	if (s->conns_active > 0)
		s->conns_active--;
}

void
mg_obs_note_route(const struct mg_obs_route *rt)
{
	obs.noted = *rt;
	obs.have_noted = true;
}

const struct mg_obs_route *
mg_obs_take_route(void)
{
	if (!obs.have_noted)
		return NULL;
	obs.have_noted = false;
	return &obs.noted;
}

void
mg_obs_begin(struct mg_obs_x *x, uint16_t listener_port, const struct mg_h1_request *r,
             uint32_t peer_addr, uint16_t peer_port)
{
	unsigned int k;

	if (x->active)
		mg_obs_end(x);
	memset(x, 0, sizeof(*x));
	x->active = true;
	for (k = 0; k < MG_OBS_KIND_COUNT; k++)
		x->key[k] = MG_OBS_NONE;
	x->key[MG_OBS_LISTENER] = key_port(listener_port);
	x->t0 = rte_rdtsc();
	x->log = mg_alog_capture(r, listener_port, peer_addr, peer_port);
	obs.have_noted = false;
}

void
mg_obs_begin_conn(struct mg_obs_x *x, uint16_t listener_port, const struct mg_h1_request *r,
                  struct mg_conn *c)
{
	uint32_t addr = 0;
	uint16_t port = 0;

	mg_conn_peer(c, &addr, &port);
	mg_obs_begin(x, listener_port, r, addr, port);
	if (x->log != NULL && r != NULL && mg_conn_is_virtual(c))
		mg_alog_http2(x->log); /* an HTTP/2 stream (gateway/h2) */
}

void
mg_obs_fail(struct mg_obs_x *x, uint16_t listener_port, struct mg_conn *c, int status)
{
	if (!x->active)
		mg_obs_begin_conn(x, listener_port, NULL, c);
	mg_obs_status(x, status);
}

static void
route_keys(struct mg_obs_x *x, const struct mg_obs_route *rt)
{
	x->routed = true;
	x->reason = (uint8_t)rt->reason;
	if (rt->reason >= 0 && rt->reason < MG_ROUTE_REASON_COUNT)
		obs.decisions[rt->reason]++;
	x->key[MG_OBS_GATEWAY_ROUTE] = key_str(MG_OBS_GATEWAY_ROUTE, rt->gateway_route);
	x->key[MG_OBS_VIRTUAL_SERVICE] = key_str(MG_OBS_VIRTUAL_SERVICE, rt->virtual_service);
	x->key[MG_OBS_VIRTUAL_NODE] = key_str(MG_OBS_VIRTUAL_NODE, rt->virtual_node);
}

void
mg_obs_routed(struct mg_obs_x *x, const struct mg_obs_route *rt, uint32_t up_addr, uint16_t up_port)
{
	if (!x->active)
		return;
	if (rt != NULL)
		route_keys(x, rt);
	x->up_addr = up_addr;
	x->up_port = up_port;
	x->key[MG_OBS_ENDPOINT] = key_endpoint(up_addr, up_port);
}

void
mg_obs_unrouted(struct mg_obs_x *x, const struct mg_obs_route *rt)
{
	if (x->active && rt != NULL)
		route_keys(x, rt);
}

void
mg_obs_upstream_sent(struct mg_obs_x *x)
{
	if (x->active)
		x->t_sent = rte_rdtsc();
}

void
mg_obs_first_byte(struct mg_obs_x *x)
{
	if (x->active && x->t_first == 0)
		x->t_first = rte_rdtsc();
}

void
mg_obs_status(struct mg_obs_x *x, int status)
{
	if (x->active && x->status == 0 && status >= 100 && status < 600)
		x->status = (uint16_t)status;
}

void
mg_obs_flag(struct mg_obs_x *x, uint8_t flag)
{
	if (x->active)
		x->flags |= flag;
}

void
mg_obs_request_id(struct mg_obs_x *x, const char *id, size_t len)
{
	if (x->active)
		mg_alog_request_id(x->log, id, len);
}

static uint64_t
tsc_us(uint64_t d)
{
	return d / (obs.tsc_hz / 1000000 != 0 ? obs.tsc_hz / 1000000 : 1);
}

static void
hist_add(struct mg_obs_hist *h, uint64_t us)
{
	unsigned int i;

	for (i = 0; i < MG_OBS_BUCKETS; i++)
		if (us <= bucket_us[i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum_us += us;
}

void
mg_obs_end(struct mg_obs_x *x)
{
	uint64_t now, dur_us, ttfb_us = 0;
	unsigned int k, cls;

	if (!x->active)
		return;
	x->active = false;
	now = rte_rdtsc();
	dur_us = tsc_us(now - x->t0);
	if (x->t_first != 0 && x->t_sent != 0)
		ttfb_us = tsc_us(x->t_first - x->t_sent);
	cls = x->status / 100;
	for (k = 0; k < MG_OBS_KIND_COUNT; k++) {
		struct mg_obs_series *s = series((enum mg_obs_kind)k, x->key[k]);

		if (s == NULL)
			continue;
		s->status_class[cls]++;
		if (x->flags & MG_OBS_F_UO)
			s->overflows++;
		hist_add(&s->duration, dur_us);
		if (x->t_first != 0 && x->t_sent != 0)
			hist_add(&s->ttfb, ttfb_us);
	}
	if (x->log != NULL) {
		mg_alog_emit(x, dur_us, x->t_first != 0 ? tsc_us(x->t_first - x->t0) : UINT64_MAX);
		x->log = NULL;
	}
}
