/*
 * Prometheus text exposition.  See mg_metrics.h.
 *
 * Each family is written once, with its HELP and TYPE lines, then all its samples.  Counters
 * that are plain fields of a stats structure are listed in tables: a new counter is one table
 * line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "lwip/memp.h"
#include "lwip/stats.h"

#include "gateway/admin/mg_admin.h"
#include "gateway/authn/mg_authn.h"
#include "gateway/jwt/mg_jwt_fetch.h"
#include "gateway/admin/mg_stats.h"
#include "gateway/core/mg_evlog.h"
#include "gateway/core/mg_pool.h"
#include "gateway/mg_worker.h"
#include "gateway/net/mg_conn.h"
#include "gateway/net/mg_dns.h"
#include "gateway/obs/mg_alog.h"
#include "gateway/obs/mg_metrics.h"
#include "gateway/obs/mg_obs.h"
#include "gateway/upstream/mg_hc.h"
#include "gateway/obs/mg_syslog.h"
#include "gateway/h2/mg_h2.h"
#include "gateway/h2/mg_h2c.h"
#include "gateway/proxy/mg_proxy.h"
#include "gateway/route/mg_route.h"
#include "gateway/tls/mg_tls.h"
#include "gateway/upstream/mg_upool.h"

#define P "meshgate_"

struct out {
	char *buf;
	size_t cap, len;
	bool overflow;
};

static void pr(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
pr(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->overflow = true;
	else
		o->len += (size_t)n;
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	pr(o, "# HELP " P "%s %s\n# TYPE " P "%s %s\n", name, help, name, type);
}

/* A label value, escaped as the format wants (backslash, double quote, newline). */
static void
label_value(struct out *o, const char *v)
{
	char b[2 * MG_OBS_NAME_MAX + 2];
	size_t n = 0;

	for (; *v != '\0' && n < sizeof(b) - 3; v++) {
		if (*v == '\\' || *v == '"') {
			b[n++] = '\\';
			b[n++] = *v;
		} else if (*v == '\n') {
			b[n++] = '\\';
			b[n++] = 'n';
		} else {
			b[n++] = *v;
		}
	}
	b[n] = '\0';
	pr(o, "%s", b);
}

static void
sample_u(struct out *o, const char *name, const char *labels, uint64_t v)
{
	pr(o, P "%s%s%s%s %" PRIu64 "\n", name, labels[0] != '\0' ? "{" : "", labels,
	   labels[0] != '\0' ? "}" : "", v);
}

/* ---- tables of plain counters -------------------------------------------------------- */

struct field {
	const char *name, *type, *help;
	size_t off;
	bool u32;
};

#define PX(f, n, h)                                                                                \
	{                                                                                          \
		n, "counter", h, offsetof(struct mg_proxy_stats, f), false                         \
	}
#define PXG(f, n, h)                                                                               \
	{                                                                                          \
		n, "gauge", h, offsetof(struct mg_proxy_stats, f), true                            \
	}
static const struct field proxy_fields[] = {
    PX(sessions, "downstream_connections_total", "Client connections accepted."),
    PXG(active_sessions, "downstream_connections_active", "Client connections open."),
    PX(requests, "requests_total", "Request heads received (all listeners)."),
    PX(bad_requests, "bad_requests_total", "Requests the HTTP parser refused (4xx)."),
    PX(unrouted, "unrouted_requests_total", "Requests answered without an upstream."),
    PX(upstream_connect_failures, "upstream_connect_failures_total",
       "Upstream connections that failed or timed out (503)."),
    PX(upstream_resets, "upstream_resets_total", "Upstream connections reset mid-exchange."),
    PX(upstream_bad_responses, "upstream_bad_responses_total",
       "Malformed upstream responses (502)."),
    PX(upstream_timeouts, "upstream_timeouts_total", "Upstream response timeouts (504)."),
    PX(upstream_overflows, "upstream_overflows_total",
       "Requests refused at an endpoint's connection limit (circuit breaker, 503)."),
    PX(upstream_tls_failures, "upstream_tls_handshake_failures_total",
       "TLS handshakes toward upstreams that failed."),
    PX(header_timeouts, "header_timeouts_total", "Request heads not received in time (408)."),
    PX(idle_timeouts, "idle_timeouts_total", "Connections closed for inactivity."),
    PX(client_aborts, "client_aborts_total", "Clients that went away mid-exchange."),
    PX(handshake_timeouts, "tls_handshake_timeouts_total",
       "Client TLS handshakes not done in time."),
    PX(tls_refused, "tls_refused_total", "Client connections refused for want of TLS memory."),
    PX(retries, "upstream_retries_total", "Retry attempts started (route retryPolicy)."),
    PX(stale_retries, "upstream_stale_connection_retries_total",
       "Bodiless idempotent requests sent again because the pooled connection they went out "
       "on was closed by the upstream before any response."),
    PX(ejections, "upstream_ejections_total", "Endpoints ejected by outlier detection."),
};
#undef PX
#undef PXG

#define CS(f, n, h)                                                                                \
	{                                                                                          \
		n, "counter", h, offsetof(struct mg_conn_stats, f), false                          \
	}
static const struct field conn_fields[] = {
    CS(accepted, "tcp_accepted_total", "TCP connections accepted (every listener)."),
    CS(connects, "tcp_connects_total", "TCP connections opened toward upstreams."),
    CS(connect_failures, "tcp_connect_failures_total", "TCP connects that failed."),
    CS(resets, "tcp_resets_total", "TCP connections reset."),
    CS(timeouts, "tcp_timeouts_total", "TCP connections that missed a deadline."),
    CS(refused_pool_empty, "tcp_refused_total", "TCP connections refused: pool empty."),
    {"tcp_open", "gauge", "TCP connections open.", offsetof(struct mg_conn_stats, open), true},
};
#undef CS

#define DS(f, n, h)                                                                                \
	{                                                                                          \
		n, "counter", h, offsetof(struct mg_dns_stats, f), false                           \
	}
static const struct field dns_fields[] = {
    DS(queries, "dns_queries_total", "DNS queries sent."),
    DS(answers, "dns_answers_total", "DNS answers accepted."),
    DS(timeouts, "dns_timeouts_total", "DNS queries that timed out."),
    DS(changes, "dns_changes_total", "DNS answers that changed a name's addresses."),
    {"dns_names", "gauge", "DNS names watched.", offsetof(struct mg_dns_stats, names), true},
};
#undef DS

#define H2(f, n, h)                                                                                \
	{                                                                                          \
		n, "counter", h, offsetof(struct mg_h2_stats, f), false                            \
	}
#define H2G(f, n, h)                                                                               \
	{                                                                                          \
		n, "gauge", h, offsetof(struct mg_h2_stats, f), true                               \
	}
static const struct field h2_fields[] = {
    H2(connections, "h2_connections_total", "Client connections served as HTTP/2."),
    H2(prior_knowledge, "h2_prior_knowledge_total",
       "HTTP/2 connections opened with the prior-knowledge preface (h2c)."),
    H2G(active_connections, "h2_connections_active", "HTTP/2 client connections open."),
    H2(streams, "h2_streams_total", "Request streams opened by HTTP/2 clients."),
    H2G(active_streams, "h2_streams_active", "HTTP/2 request streams open."),
    H2G(waiting_streams, "h2_streams_waiting", "HTTP/2 requests waiting for a free proxy session."),
    H2(streams_refused, "h2_streams_refused_total",
       "HTTP/2 streams refused (REFUSED_STREAM) for want of memory."),
    H2(client_resets, "h2_client_resets_total",
       "HTTP/2 streams the client reset before their response completed."),
    H2(bad_requests, "h2_bad_requests_total",
       "HTTP/2 requests the gateway could not translate (431)."),
    H2(mem_refused, "h2_mem_refused_total",
       "nghttp2 allocations refused by the per-connection memory cap."),
    {"h2_mem_bytes", "gauge", "Bytes nghttp2 holds, all connections.",
     offsetof(struct mg_h2_stats, mem), false},
};
#undef H2
#undef H2G

#define HC(f, n, h)                                                                                \
	{                                                                                          \
		n, "counter", h, offsetof(struct mg_h2c_stats, f), false                           \
	}
static const struct field h2c_fields[] = {
    HC(connections, "h2_upstream_connections_total", "HTTP/2 connections opened to upstreams."),
    HC(connect_failures, "h2_upstream_connect_failures_total",
       "HTTP/2 upstream connections that failed before becoming ready."),
    HC(alpn_refused, "h2_upstream_alpn_refused_total",
       "TLS upstreams of HTTP/2 endpoints that did not select ALPN h2."),
    HC(streams, "h2_upstream_streams_total", "Exchanges sent to upstreams as HTTP/2 streams."),
    HC(resets_received, "h2_upstream_resets_received_total",
       "HTTP/2 upstream streams the server reset or refused."),
    HC(goaway_received, "h2_upstream_goaway_received_total",
       "GOAWAY frames received from HTTP/2 upstreams."),
    HC(refused, "h2_upstream_refused_total",
       "HTTP/2 upstream streams not opened for want of memory (a stream, buffer or connection)."),
    {"h2_upstream_connections_active", "gauge", "HTTP/2 upstream connections open.",
     offsetof(struct mg_h2c_stats, active_connections), true},
    {"h2_upstream_streams_active", "gauge", "HTTP/2 upstream streams open.",
     offsetof(struct mg_h2c_stats, active_streams), true},
    {"h2_upstream_mem_bytes", "gauge", "Bytes nghttp2 holds, all upstream connections.",
     offsetof(struct mg_h2c_stats, mem), false},
};
#undef HC

static void
fields(struct out *o, const struct field *f, size_t n, const void *base)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t v = f[i].u32 ? *(const uint32_t *)((const char *)base + f[i].off)
		                      : *(const uint64_t *)((const char *)base + f[i].off);

		family(o, f[i].name, f[i].type, f[i].help);
		sample_u(o, f[i].name, "", v);
	}
}

/* ---- per-name series ------------------------------------------------------------------ */

static const char *const class_label[6] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

static void
hist(struct out *o, const char *name, enum mg_obs_kind k, const char *key,
     const struct mg_obs_hist *h)
{
	uint64_t cum = 0;
	unsigned int b;

	for (b = 0; b < MG_OBS_BUCKETS; b++) {
		cum += h->bucket[b];
		pr(o, P "%s_bucket{%s=\"", name, mg_obs_kind_label(k));
		label_value(o, key);
		pr(o, "\",le=\"%g\"} %" PRIu64 "\n", mg_obs_bucket_le[b], cum);
	}
	pr(o, P "%s_bucket{%s=\"", name, mg_obs_kind_label(k));
	label_value(o, key);
	pr(o, "\",le=\"+Inf\"} %" PRIu64 "\n", h->count);
	pr(o, P "%s_sum{%s=\"", name, mg_obs_kind_label(k));
	label_value(o, key);
	pr(o, "\"} %.6f\n", (double)h->sum_us / 1e6);
	pr(o, P "%s_count{%s=\"", name, mg_obs_kind_label(k));
	label_value(o, key);
	pr(o, "\"} %" PRIu64 "\n", h->count);
}

static void
per_name(struct out *o, enum mg_obs_kind k, bool ttfb, bool conns)
{
	const char *kl = mg_obs_kind_label(k);
	const struct mg_obs_series *s;
	unsigned int n, i, c;
	char name[96], help[160];

	s = mg_obs_series(k, &n);
	snprintf(name, sizeof(name), "%s_requests_total", kl);
	snprintf(help, sizeof(help),
	         "Requests by %s and status class of the response (none: no response).", kl);
	family(o, name, "counter", help);
	for (i = 0; i < n; i++)
		for (c = 0; c < 6; c++) {
			pr(o, P "%s{%s=\"", name, kl);
			label_value(o, s[i].name);
			pr(o, "\",code_class=\"%s\"} %" PRIu64 "\n", class_label[c],
			   s[i].status_class[c]);
		}
	snprintf(name, sizeof(name), "%s_request_duration_seconds", kl);
	snprintf(help, sizeof(help),
	         "Downstream request time, from the complete request head to the response's "
	         "end, by %s.",
	         kl);
	family(o, name, "histogram", help);
	for (i = 0; i < n; i++)
		hist(o, name, k, s[i].name, &s[i].duration);
	if (ttfb) {
		snprintf(name, sizeof(name), "%s_upstream_ttfb_seconds", kl);
		snprintf(help, sizeof(help),
		         "Upstream time to first byte: request head sent to response head "
		         "received, by %s.",
		         kl);
		family(o, name, "histogram", help);
		for (i = 0; i < n; i++)
			hist(o, name, k, s[i].name, &s[i].ttfb);
		snprintf(name, sizeof(name), "%s_upstream_overflows_total", kl);
		snprintf(help, sizeof(help),
		         "Requests refused at the connection limit (circuit breaker), by %s.", kl);
		family(o, name, "counter", help);
		for (i = 0; i < n; i++) {
			pr(o, P "%s{%s=\"", name, kl);
			label_value(o, s[i].name);
			pr(o, "\"} %" PRIu64 "\n", s[i].overflows);
		}
	}
	if (conns) {
		snprintf(name, sizeof(name), "%s_connections_total", kl);
		family(o, name, "counter", "Client connections accepted, by listener.");
		for (i = 0; i < n; i++) {
			pr(o, P "%s{%s=\"", name, kl);
			label_value(o, s[i].name);
			pr(o, "\"} %" PRIu64 "\n", s[i].conns_total);
		}
		snprintf(name, sizeof(name), "%s_connections_active", kl);
		family(o, name, "gauge", "Client connections open, by listener.");
		for (i = 0; i < n; i++) {
			pr(o, P "%s{%s=\"", name, kl);
			label_value(o, s[i].name);
			pr(o, "\"} %u\n", s[i].conns_active);
		}
	}
}

/* ---- TLS -------------------------------------------------------------------------------- */

static void
tls_family(struct out *o, const char *side, const struct mg_tls_stats *ts, bool first)
{
	if (first) {
		family(o, "tls_handshakes_total", "counter",
		       "Completed TLS handshakes by side (downstream: listener, upstream: to "
		       "backends) and protocol version.");
	}
	pr(o, P "tls_handshakes_total{side=\"%s\",version=\"TLSv1.2\"} %" PRIu64 "\n", side,
	   ts->handshakes - ts->tls13);
	pr(o, P "tls_handshakes_total{side=\"%s\",version=\"TLSv1.3\"} %" PRIu64 "\n", side,
	   ts->tls13);
}

static void
tls_failures(struct out *o, const char *side, const struct mg_tls_stats *ts)
{
	int f;

	for (f = 1; f < MG_TLS_FAIL_COUNT; f++)
		pr(o, P "tls_handshake_failures_total{side=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
		   side, mg_tls_failure_label((enum mg_tls_failure)f), ts->failures[f]);
}

static unsigned int
memp_used(memp_t t)
{
	return lwip_stats.memp[t] != NULL ? lwip_stats.memp[t]->used : 0;
}

static unsigned int
memp_avail(memp_t t)
{
	return lwip_stats.memp[t] != NULL ? lwip_stats.memp[t]->avail : 0;
}

int
mg_metrics_render(const struct mg_worker *w, char *buf, size_t cap)
{
	struct out o = {.buf = buf, .cap = cap};
	const struct mg_proxy_stats *ps = mg_proxy_stats();
	const struct mg_tls_server *tls = mg_proxy_tls_server();
	const struct mg_tls_client *utls = mg_stats_upstream_tls();
	const uint64_t *dec = mg_obs_route_decisions();
	struct mg_port_stats pst[MG_CFG_MAX_IFACES];
	unsigned int i, gen = 0;
	uint64_t refused, timeouts;
	int k, c;

	family(&o, "build_info", "gauge", "The gateway's version.");
	pr(&o, P "build_info{version=\"%s\"} 1\n", MG_VERSION);
	family(&o, "config_generation", "gauge",
	       "Generation of the routing configuration in service (1 at boot, +1 per reload).");
	mg_stats_routing_generation(&gen);
	sample_u(&o, "config_generation", "", gen);
	family(&o, "uptime_seconds", "gauge", "Seconds since the data path started.");
	pr(&o, P "uptime_seconds %.3f\n",
	   (double)(rte_rdtsc() - w->started_tsc) / (double)(w->tsc_hz != 0 ? w->tsc_hz : 1));

	/* The proxy, all listeners together. */
	family(&o, "responses_total", "counter",
	       "Responses sent to clients by status class (all listeners).");
	for (c = 1; c < 6; c++)
		pr(&o, P "responses_total{code_class=\"%s\"} %" PRIu64 "\n", class_label[c],
		   ps->status_class[c]);
	fields(&o, proxy_fields, sizeof(proxy_fields) / sizeof(proxy_fields[0]), ps);

	/* Per listener, gateway route, virtual service, virtual node, endpoint. */
	per_name(&o, MG_OBS_LISTENER, false, true);
	per_name(&o, MG_OBS_GATEWAY_ROUTE, false, false);
	per_name(&o, MG_OBS_VIRTUAL_SERVICE, false, false);
	per_name(&o, MG_OBS_VIRTUAL_NODE, true, false);
	per_name(&o, MG_OBS_ENDPOINT, true, false);

	family(&o, "routing_decisions_total", "counter",
	       "Routing decisions by reason (ok: forwarded; others: why not), since start.");
	for (k = 0; k < MG_ROUTE_REASON_COUNT; k++)
		pr(&o, P "routing_decisions_total{reason=\"%s\"} %" PRIu64 "\n",
		   mg_route_reason_label((enum mg_route_reason)k), dec[k]);
	if (mg_authn_ctx() != NULL) {
		/* JWT authentication (appliance.jwt); counted per configuration generation. */
		const struct mg_jwt_stats *js = mg_jwt_stats(mg_authn_ctx());

		family(&o, "jwt_requests_total", "counter",
		       "Requests of routes with JWT requirements, by outcome: allowed, or the "
		       "failure reason.");
		for (k = 0; k < MG_JWT_REASON_COUNT; k++)
			pr(&o, P "jwt_requests_total{reason=\"%s\"} %" PRIu64 "\n",
			   mg_jwt_reason_label((enum mg_jwt_reason)k), js->by_reason[k]);
		family(&o, "jwt_cache_total", "counter", "Verified-token cache events.");
		pr(&o, P "jwt_cache_total{event=\"hit\"} %" PRIu64 "\n", js->cache_hits);
		pr(&o, P "jwt_cache_total{event=\"miss\"} %" PRIu64 "\n", js->cache_misses);
		pr(&o, P "jwt_cache_total{event=\"insert\"} %" PRIu64 "\n", js->cache_inserts);
		pr(&o, P "jwt_cache_total{event=\"eviction\"} %" PRIu64 "\n", js->cache_evictions);
		family(&o, "jwt_signature_verifications_total", "counter",
		       "Token signatures verified (cache misses that reached the key).");
		sample_u(&o, "jwt_signature_verifications_total", "", js->sig_verifications);
	}
	{
		/* Remote key sets (gateway/authn/mg_jwks_fetch.c), since start. */
		const struct mg_jwt_fetch_stats *fs = mg_jwt_fetch_stats();

		family(&o, "jwks_fetches_total", "counter",
		       "Remote JWT key-set fetches finished, by result (a discovery and its JWKS "
		       "count once).");
		sample_u(&o, "jwks_fetches_total", "result=\"success\"", fs->successes);
		sample_u(&o, "jwks_fetches_total", "result=\"failure\"", fs->failures);
		family(&o, "jwks_kid_refreshes_total", "counter",
		       "Key-set fetches started early because a token named an unknown kid.");
		sample_u(&o, "jwks_kid_refreshes_total", "", fs->kid_refreshes);
	}
	family(&o, "upstream_endpoints", "gauge", "Upstream endpoints registered.");
	sample_u(&o, "upstream_endpoints", "", mg_endpoint_count());
	family(&o, "upstream_health_checks_total", "counter",
	       "Active health-check probes started.");
	sample_u(&o, "upstream_health_checks_total", "", mg_hc_stats()->probes);
	family(&o, "upstream_health_check_failures_total", "counter",
	       "Active health-check probes that failed (refused, timed out, not 200).");
	sample_u(&o, "upstream_health_check_failures_total", "", mg_hc_stats()->failures);
	family(&o, "upstream_health_check_transitions_total", "counter",
	       "Endpoint health-check state changes (pending, healthy, unhealthy).");
	sample_u(&o, "upstream_health_check_transitions_total", "", mg_hc_stats()->transitions);

	/* TLS. */
	if (tls != NULL || utls != NULL) {
		if (tls != NULL)
			tls_family(&o, "downstream", mg_tls_server_stats(tls), true);
		if (utls != NULL)
			tls_family(&o, "upstream", mg_tls_client_stats(utls), tls == NULL);
		family(&o, "tls_resumed_total", "counter",
		       "TLS handshakes that resumed a session, by side.");
		if (tls != NULL)
			sample_u(&o, "tls_resumed_total", "side=\"downstream\"",
			         mg_tls_server_stats(tls)->resumed);
		if (utls != NULL)
			sample_u(&o, "tls_resumed_total", "side=\"upstream\"",
			         mg_tls_client_stats(utls)->resumed);
		family(&o, "tls_handshake_failures_total", "counter",
		       "TLS handshakes that failed, by side and reason.");
		if (tls != NULL)
			tls_failures(&o, "downstream", mg_tls_server_stats(tls));
		if (utls != NULL)
			tls_failures(&o, "upstream", mg_tls_client_stats(utls));
	}

	/* HTTP/2 on the listener, its defences. */
	fields(&o, h2_fields, sizeof(h2_fields) / sizeof(h2_fields[0]), mg_h2_stats());
	family(&o, "h2_goaway_total", "counter",
	       "HTTP/2 connections the gateway ended (GOAWAY or close), by reason.");
	for (k = 1; k < MG_H2_GA_MAX; k++)
		pr(&o, P "h2_goaway_total{reason=\"%s\"} %" PRIu64 "\n",
		   mg_h2_goaway_name((enum mg_h2_goaway)k), mg_h2_stats()->goaway[k]);

	/* HTTP/2 toward upstreams. */
	fields(&o, h2c_fields, sizeof(h2c_fields) / sizeof(h2c_fields[0]), mg_h2c_stats());

	/* TCP connections, DNS. */
	fields(&o, conn_fields, sizeof(conn_fields) / sizeof(conn_fields[0]), mg_conn_stats());
	fields(&o, dns_fields, sizeof(dns_fields) / sizeof(dns_fields[0]), mg_dns_stats());
	family(&o, "dns_errors_total", "counter", "DNS responses refused, by reason.");
	for (k = 1; k < MG_DNS_E_COUNT; k++)
		pr(&o, P "dns_errors_total{reason=\"%s\"} %" PRIu64 "\n",
		   mg_dns_error_label((enum mg_dns_error)k), mg_dns_stats()->errors[k]);

	/* DPDK ports and their mempools. */
	for (k = 0; k < w->n_ifaces; k++)
		mg_port_stats_get(&w->ports[k], &pst[k]);
#define PORT_FAMILY(fname, type, help, expr)                                                       \
	do {                                                                                       \
		family(&o, fname, type, help);                                                     \
		for (k = 0; k < w->n_ifaces; k++)                                                  \
			pr(&o, P fname "{interface=\"%s\"} %" PRIu64 "\n", w->ports[k].name,       \
			   (uint64_t)(expr));                                                      \
	} while (0)
	PORT_FAMILY("port_rx_packets_total", "counter", "Packets received by the port.",
	            pst[k].rx_packets);
	PORT_FAMILY("port_tx_packets_total", "counter", "Packets sent by the port.",
	            pst[k].tx_packets);
	PORT_FAMILY("port_rx_bytes_total", "counter", "Bytes received by the port.",
	            pst[k].rx_bytes);
	PORT_FAMILY("port_tx_bytes_total", "counter", "Bytes sent by the port.", pst[k].tx_bytes);
	PORT_FAMILY("port_rx_missed_total", "counter",
	            "Packets the NIC dropped: receive ring full.", pst[k].rx_missed);
	PORT_FAMILY("port_rx_errors_total", "counter", "Receive errors.", pst[k].rx_errors);
	PORT_FAMILY("port_tx_errors_total", "counter", "Transmit errors.", pst[k].tx_errors);
	PORT_FAMILY("port_rx_nombuf_total", "counter",
	            "Receive mbuf allocation failures (no mbuf).", pst[k].rx_nombuf);
	PORT_FAMILY("port_tx_nombuf_total", "counter", "Transmit mbuf allocation failures.",
	            w->netifs[k].st.tx_nombuf);
	PORT_FAMILY("port_tx_dropped_total", "counter", "Frames dropped: transmit ring full.",
	            w->netifs[k].st.tx_dropped);
	PORT_FAMILY("port_arp_shared_total", "counter",
	            "ARP frames this worker copied to the other workers (DPDK processes).",
	            w->netifs[k].st.arp_shared);
	PORT_FAMILY("port_arp_share_dropped_total", "counter",
	            "ARP copies lost: no mbuf, or the other worker's ring full.",
	            w->netifs[k].st.arp_share_drop);
	PORT_FAMILY("port_link_up", "gauge", "1 when the port's link is up.", w->ports[k].link_up);
	PORT_FAMILY("mempool_size", "gauge", "Mbufs in the port's mempool.", pst[k].pool_size);
	PORT_FAMILY("mempool_in_use", "gauge", "Mbufs of the port's mempool in use.",
	            pst[k].pool_in_use);
#undef PORT_FAMILY

	/* lwIP memory pools and the gateway's own pools. */
	family(&o, "lwip_pool_used", "gauge", "lwIP memory pool entries in use.");
	pr(&o, P "lwip_pool_used{pool=\"pbuf_pool\"} %u\n", memp_used(MEMP_PBUF_POOL));
	pr(&o, P "lwip_pool_used{pool=\"pbuf_ref\"} %u\n", memp_used(MEMP_PBUF));
	pr(&o, P "lwip_pool_used{pool=\"tcp_pcb\"} %u\n", memp_used(MEMP_TCP_PCB));
	pr(&o, P "lwip_pool_used{pool=\"tcp_pcb_listen\"} %u\n", memp_used(MEMP_TCP_PCB_LISTEN));
	pr(&o, P "lwip_pool_used{pool=\"tcp_seg\"} %u\n", memp_used(MEMP_TCP_SEG));
	family(&o, "lwip_pool_size", "gauge", "lwIP memory pool capacity.");
	pr(&o, P "lwip_pool_size{pool=\"pbuf_pool\"} %u\n", memp_avail(MEMP_PBUF_POOL));
	pr(&o, P "lwip_pool_size{pool=\"pbuf_ref\"} %u\n", memp_avail(MEMP_PBUF));
	pr(&o, P "lwip_pool_size{pool=\"tcp_pcb\"} %u\n", memp_avail(MEMP_TCP_PCB));
	pr(&o, P "lwip_pool_size{pool=\"tcp_pcb_listen\"} %u\n", memp_avail(MEMP_TCP_PCB_LISTEN));
	pr(&o, P "lwip_pool_size{pool=\"tcp_seg\"} %u\n", memp_avail(MEMP_TCP_SEG));
	family(&o, "lwip_heap_used_bytes", "gauge", "lwIP heap bytes in use.");
	sample_u(&o, "lwip_heap_used_bytes", "", (uint64_t)lwip_stats.mem.used);
	family(&o, "pool_capacity", "gauge", "Objects a gateway pool holds.");
	for (i = 0; i < mg_pool_count(); i++)
		pr(&o, P "pool_capacity{pool=\"%s\"} %u\n", mg_pool_at(i)->name,
		   mg_pool_at(i)->capacity);
	family(&o, "pool_in_use", "gauge", "Objects of a gateway pool in use.");
	for (i = 0; i < mg_pool_count(); i++)
		pr(&o, P "pool_in_use{pool=\"%s\"} %u\n", mg_pool_at(i)->name,
		   mg_pool_at(i)->in_use);
	family(&o, "pool_alloc_failures_total", "counter",
	       "Allocations a gateway pool refused (empty).");
	for (i = 0; i < mg_pool_count(); i++)
		pr(&o, P "pool_alloc_failures_total{pool=\"%s\"} %" PRIu64 "\n",
		   mg_pool_at(i)->name, mg_pool_at(i)->alloc_failures);

	/* The worker. */
	family(&o, "worker_cycles_total", "counter",
	       "TSC cycles of the worker loop: busy (iterations that did work) or idle.");
	pr(&o, P "worker_cycles_total{worker=\"%u\",state=\"busy\"} %" PRIu64 "\n", w->index,
	   w->busy_cycles);
	pr(&o, P "worker_cycles_total{worker=\"%u\",state=\"idle\"} %" PRIu64 "\n", w->index,
	   w->idle_cycles);
	family(&o, "worker_loops_total", "counter", "Worker loop iterations.");
	pr(&o, P "worker_loops_total{worker=\"%u\"} %" PRIu64 "\n", w->index, w->loops);
	family(&o, "worker_requests_total", "counter",
	       "HTTP requests the worker received from clients (all listeners).");
	pr(&o, P "worker_requests_total{worker=\"%u\"} %" PRIu64 "\n", w->index, ps->requests);
	family(&o, "worker_tsc_hz", "gauge", "TSC frequency (cycles per second).");
	sample_u(&o, "worker_tsc_hz", "", w->tsc_hz);

	/* Logs and the admin listener. */
	family(&o, "access_log_lines_total", "counter", "Access log lines written to the ring.");
	sample_u(&o, "access_log_lines_total", "", mg_alog_lines());
	family(&o, "access_log_dropped_total", "counter",
	       "Access log lines dropped: ring full (output too slow) or line too long.");
	sample_u(&o, "access_log_dropped_total", "", mg_alog_dropped());
	family(&o, "access_log_syslog_messages_total", "counter",
	       "Access log lines sent to remote syslog (appliance.syslog).");
	sample_u(&o, "access_log_syslog_messages_total", "", mg_syslog_sent());
	family(&o, "access_log_syslog_failures_total", "counter",
	       "Access log lines that could not be sent to remote syslog (no buffer, send error).");
	sample_u(&o, "access_log_syslog_failures_total", "", mg_syslog_failed());
	family(&o, "event_log_dropped_total", "counter", "Event log lines dropped: ring full.");
	sample_u(&o, "event_log_dropped_total", "", mg_evlog_dropped());
	mg_admin_counters(&refused, &timeouts);
	family(&o, "admin_refused_total", "counter", "Admin connections refused: pool empty.");
	sample_u(&o, "admin_refused_total", "", refused);
	family(&o, "admin_timeouts_total", "counter", "Admin connections reset: deadline missed.");
	sample_u(&o, "admin_timeouts_total", "", timeouts);
	if (o.overflow)
		return -ENOSPC;
	return (int)o.len;
}
