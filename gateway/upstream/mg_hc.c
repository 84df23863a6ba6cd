/*
 * Active health checks.  See mg_hc.h.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lwip/sys.h"
#include "lwip/timeouts.h"

#include "gateway/config/config.h"
#include "gateway/core/mg_evlog.h"
#include "gateway/net/mg_conn.h"
#include "gateway/route/mg_route.h"
#include "gateway/upstream/mg_hc.h"
#include "gateway/upstream/mg_upool.h"

#define HC_TICK_MS 100

struct probe {
	struct mg_conn *c;
	struct mg_endpoint *ep; /* NULL: slot free */
	uint32_t healthy_threshold, unhealthy_threshold;
	bool http;
	uint16_t req_len, got;
	char resp[16];
	char req[320];
};

static struct {
	struct mg_route_table *const *tablep;
	struct probe probes[MG_HC_PROBES];
	struct mg_hc_stats st;
} hc;

static const char *const state_names[] = {"none", "pending", "healthy", "unhealthy"};

const struct mg_hc_stats *
mg_hc_stats(void)
{
	return &hc.st;
}

static void
set_state(struct mg_endpoint *ep, uint8_t state)
{
	char ip[INET_ADDRSTRLEN];

	if (ep->hc_state == state)
		return;
	hc.st.transitions++;
	inet_ntop(AF_INET, &ep->addr, ip, sizeof(ip));
	mg_evlog("health check: endpoint %s:%u %s -> %s", ip, ep->port, state_names[ep->hc_state],
	         state_names[state]);
	ep->hc_state = state;
}

/* The probe's outcome: updates its endpoint's state, frees the slot.  <close>: the connection
 * is still ours to close. */
static void
probe_done(struct probe *p, bool ok, bool close)
{
	struct mg_endpoint *ep = p->ep;

	if (close && p->c != NULL)
		mg_conn_abort(p->c);
	p->c = NULL;
	p->ep = NULL;
	ep->hc_busy = false;
	if (ok) {
		ep->hc_fail_run = 0;
		ep->hc_ok_run++;
		if (ep->hc_state == MG_EP_HC_PENDING ||
		    (ep->hc_state == MG_EP_HC_UNHEALTHY && ep->hc_ok_run >= p->healthy_threshold))
			set_state(ep, MG_EP_HC_HEALTHY);
	} else {
		hc.st.failures++;
		ep->hc_failures++;
		ep->hc_ok_run = 0;
		ep->hc_fail_run++;
		if (ep->hc_state != MG_EP_HC_UNHEALTHY && ep->hc_fail_run >= p->unhealthy_threshold)
			set_state(ep, MG_EP_HC_UNHEALTHY);
	}
	mg_endpoint_unref(ep);
}

static void
probe_connected(struct mg_conn *c)
{
	struct probe *p = mg_conn_owner(c);

	if (!p->http) {
		probe_done(p, true, true);
		return;
	}
	if (mg_conn_write(c, p->req, p->req_len, false) != (int)p->req_len)
		probe_done(p, false, true);
}

static void
probe_readable(struct mg_conn *c)
{
	struct probe *p = mg_conn_owner(c);
	int n;

	while (p->got < 12) {
		n = mg_conn_read(c, p->resp + p->got, 12u - p->got);
		if (n == MG_CONN_AGAIN)
			return;
		if (n <= 0) {
			probe_done(p, false, true); /* closed before a status line */
			return;
		}
		p->got = (uint16_t)(p->got + n);
	}
	/* "HTTP/1.x 200": Envoy's HTTP health check wants 200. */
	probe_done(p, memcmp(p->resp, "HTTP/1.", 7) == 0 && memcmp(p->resp + 8, " 200", 4) == 0,
	           true);
}

static void
probe_timeout(struct mg_conn *c)
{
	probe_done(mg_conn_owner(c), false, true);
}

static void
probe_closed(struct mg_conn *c, enum mg_conn_reason why)
{
	(void)why;
	probe_done(mg_conn_owner(c), false, false);
}

static const struct mg_conn_ops probe_ops = {
    .readable = probe_readable,
    .connected = probe_connected,
    .timeout = probe_timeout,
    .closed = probe_closed,
};

static void
visit(void *arg, struct mg_endpoint *ep, const struct mg_cfg_node_listener *nl)
{
	uint32_t now = *(uint32_t *)arg;
	struct probe *p = NULL;
	unsigned int i;
	char ip[INET_ADDRSTRLEN];
	struct mg_conn *c;
	uint16_t port;
	int n;

	if (ep->hc_state == MG_EP_HC_NONE) {
		ep->hc_state = MG_EP_HC_PENDING; /* no traffic before its first success */
		ep->hc_next = now;
		ep->hc_ok_run = ep->hc_fail_run = 0;
	}
	if (ep->hc_busy || (int32_t)(now - ep->hc_next) < 0)
		return;
	for (i = 0; i < MG_HC_PROBES && p == NULL; i++)
		if (hc.probes[i].ep == NULL)
			p = &hc.probes[i];
	if (p == NULL) {
		hc.st.skipped++;
		return;
	}
	ep->hc_next =
	    now + (nl->health_check.interval_ms > 0 ? nl->health_check.interval_ms : 5000);
	memset(p, 0, sizeof(*p));
	p->ep = ep;
	p->healthy_threshold = nl->health_check.healthy_threshold;
	p->unhealthy_threshold = nl->health_check.unhealthy_threshold;
	p->http = nl->health_check.protocol == MG_CFG_PP_HTTP;
	if (p->http) {
		inet_ntop(AF_INET, &ep->addr, ip, sizeof(ip));
		n = snprintf(
		    p->req, sizeof(p->req),
		    "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: meshgate-health-check\r\n"
		    "Connection: close\r\n\r\n",
		    nl->health_check.path != NULL ? nl->health_check.path : "/", ip,
		    nl->health_check.port != nl->port ? nl->health_check.port : ep->port);
		if (n < 0 || (size_t)n >= sizeof(p->req))
			n = snprintf(p->req, sizeof(p->req), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
			             ip);
		p->req_len = (uint16_t)n;
	}
	/* The node listener's port is where its endpoints serve; an endpoint with a port of its
	 * own (appliance.endpoints) is checked there unless healthCheck.port says otherwise. */
	port = nl->health_check.port != nl->port ? nl->health_check.port : ep->port;
	ep->hc_busy = true;
	mg_endpoint_ref(ep);
	hc.st.probes++;
	ep->hc_probes++;
	c = mg_conn_connect(ep->addr, port, &probe_ops, p);
	if (c == NULL) {
		hc.st.skipped++;
		ep->hc_busy = false;
		p->ep = NULL;
		mg_endpoint_unref(ep);
		return;
	}
	if (p->ep == NULL)
		return; /* already over (failed inside mg_conn_connect) */
	p->c = c;
	mg_conn_set_deadline(c,
	                     nl->health_check.timeout_ms > 0 ? nl->health_check.timeout_ms : 2000);
}

static void
tick(void *arg)
{
	uint32_t now = sys_now();

	(void)arg;
	if (hc.tablep != NULL && *hc.tablep != NULL)
		mg_route_table_foreach_checked(*hc.tablep, visit, &now);
	sys_timeout(HC_TICK_MS, tick, NULL);
}

void
mg_hc_start(struct mg_route_table *const *tablep)
{
	hc.tablep = tablep;
	sys_timeout(HC_TICK_MS, tick, NULL);
}
