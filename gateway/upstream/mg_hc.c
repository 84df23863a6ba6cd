/*
 * Active health checks.  See mg_hc.h.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lwip/sys.h"
#include "lwip/timeouts.h"

#include "gateway/config/config.h"
#include "gateway/core/mg_evlog.h"
#include "gateway/h2/mg_h2c.h"
#include "gateway/http/mg_chunked.h"
#include "gateway/http/mg_h1.h"
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
	bool grpc; /* grpc.health.v1.Health/Check over HTTP/2 (gateway/h2/mg_h2c.h) */
	bool h2;   /* over the endpoint's HTTP/2 connections */
	uint16_t req_len, got;
	char resp[1024];
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

/* Field 1 (status) of a HealthCheckResponse message: 1 is SERVING. */
static bool
serving(const unsigned char *m, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned int tag = m[i++], wt = tag & 7;
		uint64_t v = 0;
		int shift = 0;

		if (tag & 0x80)
			return false; /* field numbers past 15: not in this message */
		if (wt == 0 || wt == 2) {
			do {
				if (i >= n || shift > 63)
					return false;
				v |= (uint64_t)(m[i] & 0x7f) << shift;
				shift += 7;
			} while (m[i++] & 0x80);
			if (wt == 0 && (tag >> 3) == 1)
				return v == 1;
			if (wt == 2) {
				if (v > n - i)
					return false;
				i += (size_t)v;
			}
		} else if (wt == 1 || wt == 5) {
			i += wt == 1 ? 8 : 4;
		} else {
			return false;
		}
	}
	return false; /* status left out: UNKNOWN (0) */
}

static const struct mg_h1_field *
find_field(const struct mg_h1_field *f, unsigned int n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (f[i].name.len == strlen(name) &&
		    strncasecmp(f[i].name.p, name, f[i].name.len) == 0)
			return &f[i];
	return NULL;
}

/*
 * The gRPC health check's answer so far: 1 healthy (HTTP 200, grpc-status 0, a response
 * message with status SERVING), 0 not healthy, -1 incomplete.
 */
static int
grpc_verdict(struct probe *p)
{
	static struct mg_h1_field fields[32], trailers[16];
	static unsigned char msg[64];
	const struct mg_h1_field *gs;
	struct mg_h1_response r;
	struct mg_chunked ch;
	struct mg_chunked_span sp;
	size_t off, mlen = 0;
	int n;

	mg_h1_response_init(&r, fields, 32, NULL, MG_H1_M_POST);
	n = mg_h1_response_parse(&r, p->resp, p->got);
	if (n == MG_H1_INCOMPLETE)
		return -1;
	if (n < 0 || r.status != 200)
		return 0;
	if (r.head.body != MG_H1_BODY_CHUNKED) {
		/* Trailers-Only: grpc-status in the head, no message */
		return 0;
	}
	mg_chunked_init(&ch, NULL, trailers, 16);
	off = (size_t)n;
	while (off < p->got && !mg_chunked_done(&ch)) {
		ssize_t k = mg_chunked_decode(&ch, p->resp + off, p->got - off, &sp);

		if (k < 0)
			return 0;
		if (sp.data_len > 0) {
			if (mlen + sp.data_len > sizeof(msg))
				return 0;
			memcpy(msg + mlen, sp.data, sp.data_len);
			mlen += sp.data_len;
		}
		off += (size_t)k;
		if (k == 0)
			break;
	}
	if (!mg_chunked_done(&ch))
		return -1;
	gs = find_field(trailers, ch.ntrailers, "grpc-status");
	if (gs == NULL || gs->value.len != 1 || gs->value.p[0] != '0')
		return 0;
	/* one uncompressed message: flag 0, 4-byte length */
	if (mlen < 5 || msg[0] != 0 ||
	    ((size_t)msg[1] << 24 | (size_t)msg[2] << 16 | (size_t)msg[3] << 8 | msg[4]) !=
	        mlen - 5)
		return 0;
	return serving(msg + 5, mlen - 5) ? 1 : 0;
}

static void
probe_readable(struct mg_conn *c)
{
	struct probe *p = mg_conn_owner(c);
	int n;

	if (p->grpc) {
		for (;;) {
			int v;

			n = mg_conn_read(c, p->resp + p->got, sizeof(p->resp) - p->got);
			if (n == MG_CONN_AGAIN)
				return;
			if (n <= 0) {
				probe_done(p, false, true);
				return;
			}
			p->got = (uint16_t)(p->got + n);
			v = grpc_verdict(p);
			if (v >= 0 || p->got == sizeof(p->resp)) {
				probe_done(p, v == 1, true);
				return;
			}
		}
	}

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
	p->http = nl->health_check.protocol == MG_CFG_PP_HTTP ||
	          (nl->health_check.protocol == MG_CFG_PP_HTTP2 && ep->h2);
	p->grpc = nl->health_check.protocol == MG_CFG_PP_GRPC && ep->h2;
	p->h2 = ep->h2 && (p->grpc || nl->health_check.protocol == MG_CFG_PP_HTTP2);
	if (p->grpc) {
		static const char body[5] = {0, 0, 0, 0, 0}; /* an empty HealthCheckRequest */

		inet_ntop(AF_INET, &ep->addr, ip, sizeof(ip));
		n = snprintf(
		    p->req, sizeof(p->req) - sizeof(body),
		    "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: %s:%u\r\n"
		    "User-Agent: meshgate-health-check\r\nContent-Type: application/grpc\r\n"
		    "TE: trailers\r\nContent-Length: 5\r\n\r\n",
		    ip, ep->port);
		memcpy(p->req + n, body, sizeof(body));
		p->req_len = (uint16_t)(n + (int)sizeof(body));
		p->http = true; /* the request is written once `connected' */
	} else if (p->http) {
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
	if (p->h2) {
		int err = 0;

		/* over the endpoint's own HTTP/2 connections (its port: healthCheck.port is not
		 * used for gRPC and HTTP/2 checks) */
		c = mg_h2c_open(ep, &probe_ops, p, &err);
	} else {
		c = mg_conn_connect(ep->addr, port, &probe_ops, p);
	}
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
