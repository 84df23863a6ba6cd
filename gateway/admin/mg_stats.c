/*
 * /stats JSON.  See mg_stats.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include <rte_cycles.h>

#include "lwip/memp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"

#include "gateway/admin/mg_admin.h"
#include "gateway/admin/mg_stats.h"
#include "gateway/core/mg_pool.h"
#include "gateway/mg_worker.h"
#include "gateway/net/mg_conn.h"
#include "gateway/h2/mg_h2.h"
#include "gateway/h2/mg_h2c.h"
#include "gateway/proxy/mg_proxy.h"
#include "gateway/net/mg_dns.h"
#include "gateway/route/mg_route.h"
#include "gateway/tls/mg_tls.h"

struct out {
	char *buf;
	size_t cap, len;
	bool overflow;
};

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
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

static unsigned int
pcb_list_len(const struct tcp_pcb *p)
{
	unsigned int n = 0;

	for (; p != NULL; p = p->next)
		n++;
	return n;
}

static unsigned int
memp_used(memp_t t)
{
	return lwip_stats.memp[t] != NULL ? lwip_stats.memp[t]->used : 0;
}

static const struct mg_tls_client *stats_upstream_tls;
static const uint64_t *(*stats_routing)(unsigned int *generation);

static int (*stats_clusters)(char *buf, size_t cap);

void
mg_stats_set_clusters(int (*fn)(char *buf, size_t cap))
{
	stats_clusters = fn;
}

void
mg_stats_set_routing(const uint64_t *(*fn)(unsigned int *generation))
{
	stats_routing = fn;
}

void
mg_stats_set_upstream_tls(const struct mg_tls_client *c)
{
	stats_upstream_tls = c;
}

const struct mg_tls_client *
mg_stats_upstream_tls(void)
{
	return stats_upstream_tls;
}

void
mg_stats_routing_generation(unsigned int *generation)
{
	*generation = 0;
	if (stats_routing != NULL)
		stats_routing(generation);
}

int
mg_stats_json(const struct mg_worker *w, char *buf, size_t cap)
{
	struct out o = {.buf = buf, .cap = cap};
	uint64_t pool_size = 0, pool_in_use = 0, pool_avail = 0;
	uint64_t admin_refused, admin_timeouts;
	struct tcp_pcb_hash_stats hs;
	const struct mg_conn_stats *cs;
	const struct mg_proxy_stats *ps_;
	const struct mg_tls_server *tls;
	struct mg_port_stats ps;
	unsigned int i;
	int k;

	out_printf(&o, "{\"ports\":[");
	for (k = 0; k < w->n_ifaces; k++) {
		const struct mg_port *p = &w->ports[k];
		const struct mg_netif_stats *ns = &w->netifs[k].st;

		mg_port_stats_get(p, &ps);
		pool_size += ps.pool_size;
		pool_in_use += ps.pool_in_use;
		pool_avail += ps.pool_available;
		out_printf(
		    &o,
		    "%s{\"name\":\"%s\",\"port\":%u,\"driver\":\"%s\",\"link_up\":%s,"
		    "\"rx_packets\":%" PRIu64 ",\"tx_packets\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
		    ",\"tx_bytes\":%" PRIu64 ",\"rx_missed\":%" PRIu64 ",\"rx_errors\":%" PRIu64
		    ",\"tx_errors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 ",\"rx_csum_bad\":%" PRIu64
		    ",\"tx_nombuf\":%" PRIu64 ",\"tx_dropped\":%" PRIu64 ",\"arp_shared\":%" PRIu64
		    ",\"arp_from_workers\":%" PRIu64 ",\"rx_cycles\":%" PRIu64
		    ",\"tx_cycles\":%" PRIu64 "}",
		    k > 0 ? "," : "", p->name, p->port_id, p->driver, p->link_up ? "true" : "false",
		    ps.rx_packets, ps.tx_packets, ps.rx_bytes, ps.tx_bytes, ps.rx_missed,
		    ps.rx_errors, ps.tx_errors, ps.rx_nombuf, ns->rx_csum_bad, ns->tx_nombuf,
		    ns->tx_dropped, ns->arp_shared, ns->arp_from_peers, ns->rx_cycles,
		    ns->tx_cycles);
	}
	out_printf(&o,
	           "],\"mempool\":{\"size\":%" PRIu64 ",\"in_use\":%" PRIu64
	           ",\"available\":%" PRIu64 "}",
	           pool_size, pool_in_use, pool_avail);
	out_printf(&o,
	           ",\"pbuf\":{\"rx_zero_copy_in_use\":%" PRIu64
	           ",\"pool_used\":%u,\"ref_used\":%u,"
	           "\"heap_used_bytes\":%lu}",
	           mg_netif_rx_zc_in_use(), memp_used(MEMP_PBUF_POOL), memp_used(MEMP_PBUF),
	           (unsigned long)lwip_stats.mem.used);
	tcp_pcb_hash_get_stats(&hs); /* counts kept by lwIP patch 0004: no walk of 100k PCBs */
	out_printf(&o,
	           ",\"tcp\":{\"pcb_used\":%u,\"listen_pcb_used\":%u,\"seg_used\":%u,"
	           "\"active\":%u,\"listen\":%u,\"time_wait\":%u,\"hash_max_chain\":%u}",
	           memp_used(MEMP_TCP_PCB), memp_used(MEMP_TCP_PCB_LISTEN), memp_used(MEMP_TCP_SEG),
	           (unsigned int)hs.active,
	           pcb_list_len((const struct tcp_pcb *)tcp_listen_pcbs.listen_pcbs),
	           (unsigned int)hs.tw, (unsigned int)hs.max_chain);
	cs = mg_conn_stats();
	out_printf(&o,
	           ",\"conns\":{\"open\":%u,\"accepted\":%" PRIu64 ",\"connects\":%" PRIu64
	           ",\"connect_failures\":%" PRIu64 ",\"resets\":%" PRIu64 ",\"timeouts\":%" PRIu64
	           ",\"refused_pool_empty\":%" PRIu64 "}",
	           cs->open, cs->accepted, cs->connects, cs->connect_failures, cs->resets,
	           cs->timeouts, cs->refused_pool_empty);
	ps_ = mg_proxy_stats();
	out_printf(
	    &o,
	    ",\"proxy\":{\"sessions\":%" PRIu64 ",\"active_sessions\":%u,\"requests\":%" PRIu64
	    ",\"responses\":%" PRIu64 ",\"1xx\":%" PRIu64 ",\"2xx\":%" PRIu64 ",\"3xx\":%" PRIu64
	    ",\"4xx\":%" PRIu64 ",\"5xx\":%" PRIu64 ",\"bad_requests\":%" PRIu64
	    ",\"upstream_connect_failures\":%" PRIu64 ",\"upstream_resets\":%" PRIu64
	    ",\"upstream_bad_responses\":%" PRIu64 ",\"upstream_timeouts\":%" PRIu64
	    ",\"upstream_overflows\":%" PRIu64 ",\"header_timeouts\":%" PRIu64
	    ",\"idle_timeouts\":%" PRIu64 ",\"client_aborts\":%" PRIu64
	    ",\"upstream_tls_failures\":%" PRIu64 "}",
	    ps_->sessions, ps_->active_sessions, ps_->requests, ps_->responses,
	    ps_->status_class[1], ps_->status_class[2], ps_->status_class[3], ps_->status_class[4],
	    ps_->status_class[5], ps_->bad_requests, ps_->upstream_connect_failures,
	    ps_->upstream_resets, ps_->upstream_bad_responses, ps_->upstream_timeouts,
	    ps_->upstream_overflows, ps_->header_timeouts, ps_->idle_timeouts, ps_->client_aborts,
	    ps_->upstream_tls_failures);
	{
		const struct mg_h2_stats *h = mg_h2_stats();
		int g;

		out_printf(
		    &o,
		    ",\"h2\":{\"connections\":%" PRIu64 ",\"prior_knowledge\":%" PRIu64
		    ",\"active_connections\":%u,\"streams\":%" PRIu64
		    ",\"active_streams\":%u,\"waiting_streams\":%u,\"streams_refused\":%" PRIu64
		    ",\"client_resets\":%" PRIu64 ",\"bad_requests\":%" PRIu64
		    ",\"mem_bytes\":%" PRIu64 ",\"mem_refused\":%" PRIu64 ",\"goaway\":{",
		    h->connections, h->prior_knowledge, h->active_connections, h->streams,
		    h->active_streams, h->waiting_streams, h->streams_refused, h->client_resets,
		    h->bad_requests, h->mem, h->mem_refused);
		for (g = 1; g < MG_H2_GA_MAX; g++)
			out_printf(&o, "%s\"%s\":%" PRIu64, g > 1 ? "," : "",
			           mg_h2_goaway_name((enum mg_h2_goaway)g), h->goaway[g]);
		out_printf(&o, "}}");
	}
	{
		const struct mg_h2c_stats *h = mg_h2c_stats();

		out_printf(&o,
		           ",\"h2_upstream\":{\"connections\":%" PRIu64
		           ",\"connect_failures\":%" PRIu64 ",\"alpn_refused\":%" PRIu64
		           ",\"active_connections\":%u,\"streams\":%" PRIu64
		           ",\"active_streams\":%u,\"resets_received\":%" PRIu64
		           ",\"goaway_received\":%" PRIu64 ",\"refused\":%" PRIu64
		           ",\"mem_bytes\":%" PRIu64 "}",
		           h->connections, h->connect_failures, h->alpn_refused,
		           h->active_connections, h->streams, h->active_streams, h->resets_received,
		           h->goaway_received, h->refused, h->mem);
	}
	tls = mg_proxy_tls_server();
	if (tls != NULL) {
		const struct mg_tls_stats *ts = mg_tls_server_stats(tls);
		struct mg_tls_mem_stats tm;
		int f;

		mg_tls_mem_stats(&tm);
		out_printf(&o,
		           ",\"tls\":{\"handshakes\":%" PRIu64 ",\"resumed\":%" PRIu64
		           ",\"tls13\":%" PRIu64 ",\"sni_default\":%" PRIu64
		           ",\"tickets_issued\":%" PRIu64 ",\"handshake_timeouts\":%" PRIu64
		           ",\"mem_in_use\":%zu,\"mem_high_water\":%zu,\"mem_cap\":%zu"
		           ",\"mem_reuse_kept\":%zu,\"mem_reuse_hits\":%" PRIu64
		           ",\"mem_trims\":%" PRIu64 ",\"mem_trim_us\":%" PRIu64
		           ",\"alloc_failures\":%" PRIu64 ",\"conns\":%u,\"failures\":{",
		           ts->handshakes, ts->resumed, ts->tls13, ts->sni_default,
		           ts->tickets_issued, ps_->handshake_timeouts, tm.in_use, tm.high_water,
		           tm.cap, tm.reuse_bytes, tm.reuse_hits, tm.trims, tm.trim_us, tm.failures,
		           tm.conns);
		for (f = 1; f < MG_TLS_FAIL_COUNT; f++)
			out_printf(&o, "%s\"%s\":%" PRIu64, f > 1 ? "," : "",
			           mg_tls_failure_label((enum mg_tls_failure)f), ts->failures[f]);
		out_printf(&o, "}}");
	}
	if (stats_upstream_tls != NULL) {
		const struct mg_tls_stats *ts = mg_tls_client_stats(stats_upstream_tls);
		int f;

		out_printf(&o,
		           ",\"upstream_tls\":{\"handshakes\":%" PRIu64 ",\"resumed\":%" PRIu64
		           ",\"tls13\":%" PRIu64 ",\"failures\":{",
		           ts->handshakes, ts->resumed, ts->tls13);
		for (f = 1; f < MG_TLS_FAIL_COUNT; f++)
			out_printf(&o, "%s\"%s\":%" PRIu64, f > 1 ? "," : "",
			           mg_tls_failure_label((enum mg_tls_failure)f), ts->failures[f]);
		out_printf(&o, "}}");
	}
	if (stats_routing != NULL) {
		unsigned int gen = 0;
		const uint64_t *rc = stats_routing(&gen);
		int r;

		out_printf(&o, ",\"routing\":{\"generation\":%u", gen);
		for (r = 0; rc != NULL && r < MG_ROUTE_REASON_COUNT; r++)
			out_printf(&o, ",\"%s\":%" PRIu64,
			           mg_route_reason_label((enum mg_route_reason)r), rc[r]);
		out_printf(&o, "}");
	}
	if (stats_clusters != NULL) {
		int n;

		out_printf(&o, ",\"clusters\":");
		n = o.overflow ? -1 : stats_clusters(o.buf + o.len, o.cap - o.len);
		if (n < 0)
			o.overflow = true;
		else
			o.len += (size_t)n;
	}
	{
		const struct mg_dns_stats *ds = mg_dns_stats();
		int e;

		out_printf(&o,
		           ",\"dns\":{\"names\":%u,\"queries\":%" PRIu64 ",\"answers\":%" PRIu64
		           ",\"timeouts\":%" PRIu64 ",\"changes\":%" PRIu64 ",\"errors\":{",
		           ds->names, ds->queries, ds->answers, ds->timeouts, ds->changes);
		for (e = 1; e < MG_DNS_E_COUNT; e++)
			out_printf(&o, "%s\"%s\":%" PRIu64, e > 1 ? "," : "",
			           mg_dns_error_label((enum mg_dns_error)e), ds->errors[e]);
		out_printf(&o, "}}");
	}
	mg_admin_counters(&admin_refused, &admin_timeouts);
	out_printf(&o, ",\"admin\":{\"refused\":%" PRIu64 ",\"timeouts\":%" PRIu64 "}",
	           admin_refused, admin_timeouts);
	out_printf(&o, ",\"pools\":{");
	for (i = 0; i < mg_pool_count(); i++) {
		const struct mg_pool *p = mg_pool_at(i);

		out_printf(&o,
		           "%s\"%s\":{\"capacity\":%u,\"in_use\":%u,\"high_water\":%u,"
		           "\"alloc_failures\":%" PRIu64 "}",
		           i > 0 ? "," : "", p->name, p->capacity, p->in_use, p->high_water,
		           p->alloc_failures);
	}
	out_printf(&o,
	           "},\"worker\":{\"index\":%u,\"requests\":%" PRIu64 ",\"loops\":%" PRIu64
	           ",\"busy_cycles\":%" PRIu64 ",\"idle_cycles\":%" PRIu64 ",\"tsc_hz\":%" PRIu64
	           ",\"uptime_ms\":%" PRIu64 "}}\n",
	           w->index, mg_proxy_stats()->requests, w->loops, w->busy_cycles, w->idle_cycles,
	           w->tsc_hz, (rte_rdtsc() - w->started_tsc) / (w->tsc_hz / 1000));
	if (o.overflow)
		return -ENOSPC;
	return (int)o.len;
}
