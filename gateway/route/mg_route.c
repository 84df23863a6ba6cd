/*
 * The App Mesh routing table.  See mg_route.h and docs/ROUTING.md.
 */
#include "gateway/route/mg_route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/upstream/mg_upool.h"

/* Orders routes without a priority after every route with one (priorities are 0..1000). */
#define NO_PRIORITY 1001u

/* Specificity classes within one priority: the more specific first. */
enum { CLS_EXACT, CLS_PREFIX, CLS_REGEX, CLS_NONE };

struct rt_header {
	const char *name;
	size_t nlen;
	struct mg_match m;
};

struct rt_query {
	const char *name;
	size_t nlen;
	const char *exact; /* NULL: presence is enough */
	size_t elen;
};

/* The match of a gateway route or a route, compiled, with its place in the order. */
struct rt_match {
	const char *prefix; /* NULL: none */
	size_t prefix_len;
	bool has_path, has_host;
	struct mg_match path, host;
	const char *method; /* NULL: any */
	uint16_t port;      /* 0: any */
	uint8_t scheme;     /* routes' http2Route/httpRoute match.scheme: 0 any, 1 http, 2 https */
	unsigned int n_headers, n_query;
	struct rt_header *headers;
	struct rt_query *query;
	char *grpc_path; /* gRPC: "/service/" (prefix) or "/service/method" (exact); NULL: none */
	size_t grpc_len;
	bool grpc_exact;
	uint32_t pri;
	uint8_t cls;
	size_t spec_len;
	int doc;
};

struct rt_gwroute {
	const struct mg_cfg_gateway_route *c;
	struct rt_match m;
};

struct rt_route {
	const struct mg_cfg_route *c;
	struct rt_match m;
	struct mg_match_wrr wrr;
};

struct rt_router {
	unsigned int n;
	struct rt_route **routes; /* this router's routes in evaluation order */
};

/*
 * A cluster, as Envoy calls it: one virtual node listener (a node and a port) with its
 * endpoints, taken in turn.  For a node found through DNS, <watch> is its DNS watch and the
 * list follows the answers.  It carries the listener's circuit breaker (connectionPool), its
 * outlier detection and the retry budget; the counters are per generation.
 */
struct mg_route_cluster {
	uint16_t port;
	unsigned int n, next;
	struct mg_endpoint **eps;
	struct mg_route_table *t;
	const struct mg_cfg_virtual_node *v;
	const struct mg_cfg_node_listener *nl; /* NULL: no such listener (a target port) */
	void *watch;
	bool fail_closed; /* appliance.failClosed names the node */
	/* circuit breaker */
	uint32_t max_connections, max_pending, max_requests;
	uint32_t active, n_pending, retries_active;
	LIST_HEAD(, mg_route_waiter) pending;
	struct mg_route_cluster_stats st;
};

struct rt_node {
	unsigned int n_lists;
	struct mg_route_cluster *lists;
};

struct mg_route_table {
	uint32_t refs;
	const struct mg_config *cfg;
	struct mg_route_env env;
	enum mg_cfg_route_kind kind; /* the listener's protocol, as a route kind */
	unsigned int n_gw;
	struct rt_gwroute *gw; /* in evaluation order */
	struct rt_route *routes;
	struct rt_router *routers;
	struct rt_node *nodes;
	uint64_t counters[MG_ROUTE_REASON_COUNT];
	char scratch[8192]; /* joined header values, within one decision */
};

/* ---- reasons --------------------------------------------------------------------------- */

static const struct {
	const char *label;
	int status;
	const char *text;
} reasons[MG_ROUTE_REASON_COUNT] = {
    [MG_ROUTE_OK] = {"ok", 200, "routed"},
    [MG_ROUTE_BAD_PATH] = {"bad_path", 400, "the request path is malformed"},
    [MG_ROUTE_PATH_TOO_LONG] = {"path_too_long", 414, "the rewritten request target is too long"},
    [MG_ROUTE_NO_GATEWAY_ROUTE] = {"no_gateway_route", 404, "no gateway route matches the request"},
    [MG_ROUTE_NO_PROVIDER] = {"no_provider", 503, "the virtual service has no provider"},
    [MG_ROUTE_NO_ROUTE] = {"no_route", 404, "no route of the virtual router matches the request"},
    [MG_ROUTE_NO_TARGET] = {"no_target", 503, "every weighted target has weight 0"},
    [MG_ROUTE_NO_ENDPOINT] = {"no_endpoint", 503,
                              "no healthy upstream: the virtual node has no endpoint"},
};

const char *
mg_route_reason_text(enum mg_route_reason r)
{
	return r < MG_ROUTE_REASON_COUNT ? reasons[r].text : "unknown";
}

const char *
mg_route_reason_label(enum mg_route_reason r)
{
	return r < MG_ROUTE_REASON_COUNT ? reasons[r].label : "unknown";
}

int
mg_route_reason_status(enum mg_route_reason r)
{
	return r < MG_ROUTE_REASON_COUNT ? reasons[r].status : 500;
}

const uint64_t *
mg_route_table_counters(const struct mg_route_table *t)
{
	return t->counters;
}

/* ---- compiling ------------------------------------------------------------------------- */

static const char *const method_names[] = {
    [MG_CFG_METHOD_GET] = "GET",         [MG_CFG_METHOD_HEAD] = "HEAD",
    [MG_CFG_METHOD_POST] = "POST",       [MG_CFG_METHOD_PUT] = "PUT",
    [MG_CFG_METHOD_DELETE] = "DELETE",   [MG_CFG_METHOD_CONNECT] = "CONNECT",
    [MG_CFG_METHOD_OPTIONS] = "OPTIONS", [MG_CFG_METHOD_TRACE] = "TRACE",
    [MG_CFG_METHOD_PATCH] = "PATCH",
};

static int
compile_string(const struct mg_cfg_string_match *s, bool invert, bool icase, struct mg_match *m,
               char *err, size_t errlen)
{
	*m = (struct mg_match){.invert = invert, .ignore_case = icase};
	switch (s->kind) {
	case MG_CFG_MATCH_NONE:
		m->kind = MG_MATCH_PRESENT;
		return 0;
	case MG_CFG_MATCH_EXACT:
		m->kind = MG_MATCH_EXACT;
		break;
	case MG_CFG_MATCH_PREFIX:
		m->kind = MG_MATCH_PREFIX;
		break;
	case MG_CFG_MATCH_SUFFIX:
		m->kind = MG_MATCH_SUFFIX;
		break;
	case MG_CFG_MATCH_REGEX:
		m->kind = MG_MATCH_REGEX;
		m->s = s->value;
		m->len = strlen(s->value);
		return mg_match_regex_compile(s->value, &m->re, err, errlen);
	case MG_CFG_MATCH_RANGE:
		m->kind = MG_MATCH_RANGE;
		m->start = s->range_start;
		m->end = s->range_end;
		return 0;
	}
	m->s = s->value;
	m->len = strlen(s->value);
	return 0;
}

/* The parts gateway route and route matches have in common. */
struct match_src {
	const char *prefix;
	const struct mg_cfg_string_match *path, *host;
	enum mg_cfg_http_method method;
	uint16_t port;
	int n_headers, n_query;
	const struct mg_cfg_header_match *headers;
	const struct mg_cfg_query_match *query;
	const char *service, *grpc_method; /* gRPC serviceName / methodName, NULL: any */
	const char *scheme;                /* "http", "https" or NULL: any */
	bool has_priority;
	uint16_t priority;
	int doc;
};

static int
compile_match(const struct match_src *src, struct rt_match *m, char *err, size_t errlen)
{
	char why[200];
	int i, rc;

	memset(m, 0, sizeof(*m));
	m->prefix = src->prefix;
	m->prefix_len = src->prefix != NULL ? strlen(src->prefix) : 0;
	if (src->path != NULL && src->path->kind != MG_CFG_MATCH_NONE) {
		m->has_path = true;
		rc = compile_string(src->path, false, false, &m->path, why, sizeof(why));
		if (rc != 0) {
			snprintf(err, errlen, "path regex: %s", why);
			return rc;
		}
	}
	if (src->host != NULL && src->host->kind != MG_CFG_MATCH_NONE) {
		m->has_host = true;
		compile_string(src->host, false, true, &m->host, why, sizeof(why));
	}
	m->method = src->method != MG_CFG_METHOD_NONE ? method_names[src->method] : NULL;
	m->port = src->port;
	m->scheme = src->scheme == NULL ? 0 : strcmp(src->scheme, "https") == 0 ? 2 : 1;
	if (src->n_headers > 0) {
		m->headers = calloc((size_t)src->n_headers, sizeof(*m->headers));
		if (m->headers == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < src->n_headers; i++) {
		const struct mg_cfg_header_match *h = &src->headers[i];
		struct rt_header *rh = &m->headers[m->n_headers];

		rh->name = h->name;
		rh->nlen = strlen(h->name);
		rc = compile_string(&h->match, h->invert, false, &rh->m, why, sizeof(why));
		if (rc != 0) {
			snprintf(err, errlen, "header '%s': %s", h->name, why);
			return rc;
		}
		m->n_headers++;
	}
	if (src->n_query > 0) {
		m->query = calloc((size_t)src->n_query, sizeof(*m->query));
		if (m->query == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < src->n_query; i++) {
		struct rt_query *q = &m->query[i];

		q->name = src->query[i].name;
		q->nlen = strlen(q->name);
		q->exact = src->query[i].exact;
		q->elen = q->exact != NULL ? strlen(q->exact) : 0;
		m->n_query++;
	}
	/* A gRPC request's path is "/<service>/<method>" (the gRPC HTTP/2 protocol). */
	if (src->service != NULL) {
		size_t sl = strlen(src->service),
		       ml = src->grpc_method != NULL ? strlen(src->grpc_method) : 0;

		m->grpc_path = malloc(sl + ml + 3);
		if (m->grpc_path == NULL)
			return -ENOMEM;
		m->grpc_len = (size_t)snprintf(m->grpc_path, sl + ml + 3, "/%s/%s", src->service,
		                               src->grpc_method != NULL ? src->grpc_method : "");
		m->grpc_exact = src->grpc_method != NULL;
	}
	m->pri = src->has_priority ? src->priority : NO_PRIORITY;
	m->doc = src->doc;
	if ((m->has_path && src->path->kind == MG_CFG_MATCH_EXACT) ||
	    (m->grpc_path != NULL && m->grpc_exact)) {
		m->cls = CLS_EXACT;
	} else if (m->grpc_path != NULL) {
		m->cls = CLS_PREFIX;
		m->spec_len = m->grpc_len;
	} else if (m->prefix != NULL) {
		m->cls = CLS_PREFIX;
		m->spec_len = m->prefix_len;
	} else if (m->has_path) {
		m->cls = CLS_REGEX;
	} else {
		m->cls = CLS_NONE;
	}
	return 0;
}

static void
free_match(struct rt_match *m)
{
	unsigned int i;

	if (m->has_path)
		mg_match_regex_free(m->path.re);
	for (i = 0; i < m->n_headers; i++)
		mg_match_regex_free(m->headers[i].m.re);
	free(m->headers);
	free(m->query);
	free(m->grpc_path);
}

/* Evaluation order: priority, then specificity (exact path, longest prefix, regex, none),
 * then document order. */
static int
order(const struct rt_match *a, const struct rt_match *b)
{
	if (a->pri != b->pri)
		return a->pri < b->pri ? -1 : 1;
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	if (a->spec_len != b->spec_len)
		return a->spec_len > b->spec_len ? -1 : 1;
	return a->doc < b->doc ? -1 : a->doc > b->doc;
}

static int
cmp_gw(const void *a, const void *b)
{
	return order(&((const struct rt_gwroute *)a)->m, &((const struct rt_gwroute *)b)->m);
}

static int
cmp_route(const void *a, const void *b)
{
	return order(&(*(struct rt_route *const *)a)->m, &(*(struct rt_route *const *)b)->m);
}

static bool
tls_applies(const struct mg_route_env *env, uint16_t port)
{
	int i;

	if (env->tls_policy == NULL || !env->tls_policy->present || !env->tls_policy->enforce)
		return false;
	if (env->tls_policy->n_ports == 0)
		return true;
	for (i = 0; i < env->tls_policy->n_ports; i++)
		if (env->tls_policy->ports[i] == port)
			return true;
	return false;
}

/* Drops the endpoints of <l>. */
static void
put_eps(struct mg_route_table *t, struct mg_route_cluster *l)
{
	unsigned int k;

	for (k = 0; k < l->n; k++)
		t->env.ep_put(t->env.arg, l->eps[k]);
	free(l->eps);
	l->eps = NULL;
	l->n = 0;
	l->next = 0;
}

/* Whether a node listener's endpoints speak HTTP/2 (portMapping.protocol http2 or grpc). */
static bool
node_h2(const struct mg_cfg_node_listener *nl)
{
	return nl != NULL && (nl->protocol == MG_CFG_PP_HTTP2 || nl->protocol == MG_CFG_PP_GRPC);
}

/*
 * New DNS answer for the node of <arg> (a struct mg_route_cluster): responseType ENDPOINTS uses
 * every address, LOADBALANCER the first (the name is a load balancer).  Endpoints both answers name
 * keep their pools.  Out of memory keeps the previous list.
 */
static void
on_dns(void *arg, const char *name, const uint32_t *addrs, unsigned int n)
{
	struct mg_route_cluster *l = arg;
	struct mg_route_table *t = l->t;
	const struct mg_cfg_virtual_node *v = l->v;
	bool tls = tls_applies(&t->env, l->port);
	struct mg_endpoint **eps;
	unsigned int i, k = 0;

	(void)name;
	if (v->dns_response == MG_CFG_DNS_LOADBALANCER && n > 1)
		n = 1;
	eps = n > 0 ? calloc(n, sizeof(*eps)) : NULL;
	if (n > 0 && eps == NULL)
		return;
	for (i = 0; i < n; i++) {
		eps[k] = t->env.ep_get(t->env.arg, addrs[i], l->port, tls,
		                       tls ? v->dns_hostname : NULL, node_h2(l->nl));
		if (eps[k] != NULL)
			k++;
	}
	put_eps(t, l);
	l->eps = eps;
	l->n = k;
}

/*
 * The endpoints of node <v> for its listener port <lport>: its static endpoints (a port left
 * out is <lport>), its DNS hostname when that is an IPv4 literal, or the addresses DNS gives
 * for it (on_dns(); until the first answer the list is empty and decisions for the node
 * answer 503).
 */
static int
build_eplist(struct mg_route_table *t, const struct mg_cfg_virtual_node *v,
             const struct mg_cfg_node_listener *nl, struct mg_route_cluster *l)
{
	const struct mg_route_env *env = &t->env;
	uint16_t lport = nl->port;
	struct in_addr lit;
	int i, n = v->n_endpoints;
	bool literal = false;

	l->port = lport;
	l->t = t;
	l->v = v;
	l->nl = nl;
	for (i = 0; i < t->cfg->appliance.n_fail_closed; i++)
		if (strcmp(t->cfg->appliance.fail_closed[i], v->name) == 0)
			l->fail_closed = true;
	LIST_INIT(&l->pending);
	/* connectionPool: App Mesh leaves what is not given unlimited (2147483647). */
	l->max_connections = l->max_pending = l->max_requests = MG_CFG_POOL_UNLIMITED;
	if (nl->pool_kind == MG_CFG_NODE_POOL_HTTP) {
		l->max_connections = nl->max_connections;
		l->max_pending = nl->max_pending_requests;
	} else if (nl->pool_kind == MG_CFG_NODE_POOL_HTTP2 ||
	           nl->pool_kind == MG_CFG_NODE_POOL_GRPC) {
		/* As Envoy's HTTP/2 pools: past maxRequests a request overflows at once (503,
		 * x-envoy-overloaded); App Mesh has no pending limit for http2 and grpc. */
		l->max_requests = nl->max_requests;
		l->max_pending = 0;
	}
	if (env->ep_get == NULL)
		return 0;
	if (n == 0 && v->dns_hostname != NULL && inet_pton(AF_INET, v->dns_hostname, &lit) == 1) {
		literal = true;
		n = 1;
	} else if (n == 0 && v->dns_hostname != NULL && env->dns_watch != NULL) {
		l->watch = env->dns_watch(env->arg, v->dns_hostname, on_dns, l);
		return l->watch != NULL ? 0 : -ENOMEM;
	}
	if (n == 0)
		return 0;
	l->eps = calloc((size_t)n, sizeof(*l->eps));
	if (l->eps == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint32_t addr = literal ? lit.s_addr : htonl(v->endpoints[i].addr);
		uint16_t port = literal || v->endpoints[i].port == 0 ? lport : v->endpoints[i].port;
		bool tls = tls_applies(env, port);
		/* The name the endpoint's certificate must carry, and SNI: App Mesh's rule is the
		 * node's DNS hostname; static endpoints have none (the policy's SANs decide). */
		const char *sni =
		    tls && v->dns_hostname != NULL && !literal ? v->dns_hostname : NULL;

		l->eps[i] = env->ep_get(env->arg, addr, port, tls, sni, node_h2(nl));
		if (l->eps[i] == NULL)
			return -ENOMEM;
		l->n++;
	}
	return 0;
}

/* The route kind that serves a router listener's protocol. */
static enum mg_cfg_route_kind
port_kind(enum mg_cfg_port_protocol p)
{
	return p == MG_CFG_PP_HTTP2  ? MG_CFG_ROUTE_HTTP2
	       : p == MG_CFG_PP_GRPC ? MG_CFG_ROUTE_GRPC
	       : p == MG_CFG_PP_TCP  ? MG_CFG_ROUTE_TCP
	                             : MG_CFG_ROUTE_HTTP;
}

static enum mg_cfg_route_kind
listener_kind(enum mg_cfg_protocol p)
{
	return p == MG_CFG_PROTO_HTTP2  ? MG_CFG_ROUTE_HTTP2
	       : p == MG_CFG_PROTO_GRPC ? MG_CFG_ROUTE_GRPC
	                                : MG_CFG_ROUTE_HTTP;
}

int
mg_route_table_build(struct mg_route_table **out, const struct mg_config *cfg,
                     const struct mg_route_env *env, char *err, size_t errlen)
{
	struct mg_route_table *t = calloc(1, sizeof(*t));
	char why[256];
	int i, j, rc = -ENOMEM;

	*out = NULL;
	if (t == NULL)
		goto bad;
	t->refs = 1;
	t->cfg = cfg;
	t->env = *env;
	t->kind = listener_kind(cfg->virtual_gateway.listener.protocol);
	if (cfg->n_gateway_routes > 0 &&
	    (t->gw = calloc((size_t)cfg->n_gateway_routes, sizeof(*t->gw))) == NULL)
		goto bad;
	for (i = 0; i < cfg->n_gateway_routes; i++) {
		const struct mg_cfg_gateway_route *g = &cfg->gateway_routes[i];
		struct match_src src = {
		    .prefix = g->match.prefix,
		    .path = &g->match.path,
		    .host = &g->match.hostname,
		    .method = g->match.method,
		    .port = g->match.port,
		    .n_headers = g->match.n_headers,
		    .headers = g->match.headers,
		    .n_query = g->match.n_query,
		    .query = g->match.query,
		    .service = g->kind == MG_CFG_ROUTE_GRPC ? g->match.service_name : NULL,
		    .has_priority = g->has_priority,
		    .priority = g->priority,
		    .doc = i,
		};

		t->gw[t->n_gw].c = g;
		rc = compile_match(&src, &t->gw[t->n_gw].m, why, sizeof(why));
		t->n_gw++;
		if (rc != 0) {
			snprintf(err, errlen, "gateway route '%s': %s", g->name, why);
			goto bad;
		}
	}
	qsort(t->gw, t->n_gw, sizeof(*t->gw), cmp_gw);

	rc = -ENOMEM;
	if (cfg->n_routes > 0 &&
	    (t->routes = calloc((size_t)cfg->n_routes, sizeof(*t->routes))) == NULL)
		goto bad;
	for (i = 0; i < cfg->n_routes; i++) {
		const struct mg_cfg_route *r = &cfg->routes[i];
		struct match_src src = {
		    .prefix = r->match.prefix,
		    .path = &r->match.path,
		    .method = r->match.method,
		    .port = r->match.port,
		    .n_headers = r->match.n_headers,
		    .headers = r->match.headers,
		    .n_query = r->match.n_query,
		    .query = r->match.query,
		    .service = r->kind == MG_CFG_ROUTE_GRPC ? r->match.service_name : NULL,
		    .grpc_method = r->kind == MG_CFG_ROUTE_GRPC ? r->match.method_name : NULL,
		    .scheme = r->match.scheme,
		    .has_priority = r->has_priority,
		    .priority = r->priority,
		    .doc = i,
		};
		uint8_t w[MG_MATCH_MAX_TARGETS];

		t->routes[i].c = r;
		rc = compile_match(&src, &t->routes[i].m, why, sizeof(why));
		if (rc != 0) {
			snprintf(err, errlen, "route '%s' of virtual router '%s': %s", r->name,
			         r->router, why);
			goto bad;
		}
		for (j = 0; j < r->n_targets && j < MG_MATCH_MAX_TARGETS; j++)
			w[j] = r->targets[j].weight;
		mg_match_wrr_init(&t->routes[i].wrr, w, (unsigned int)j);
	}

	rc = -ENOMEM;
	if (cfg->n_virtual_routers > 0 &&
	    (t->routers = calloc((size_t)cfg->n_virtual_routers, sizeof(*t->routers))) == NULL)
		goto bad;
	for (i = 0; i < cfg->n_virtual_routers; i++) {
		const struct mg_cfg_virtual_router *vr = &cfg->virtual_routers[i];
		struct rt_router *rr = &t->routers[i];

		if (vr->n_routes > 0 &&
		    (rr->routes = calloc((size_t)vr->n_routes, sizeof(*rr->routes))) == NULL)
			goto bad;
		for (j = 0; j < vr->n_routes; j++)
			rr->routes[rr->n++] = &t->routes[vr->routes[j]];
		qsort(rr->routes, rr->n, sizeof(*rr->routes), cmp_route);
	}

	if (cfg->n_virtual_nodes > 0 &&
	    (t->nodes = calloc((size_t)cfg->n_virtual_nodes, sizeof(*t->nodes))) == NULL)
		goto bad;
	for (i = 0; i < cfg->n_virtual_nodes; i++) {
		const struct mg_cfg_virtual_node *v = &cfg->virtual_nodes[i];
		struct rt_node *n = &t->nodes[i];

		if (v->n_listeners > 0 &&
		    (n->lists = calloc((size_t)v->n_listeners, sizeof(*n->lists))) == NULL)
			goto bad;
		for (j = 0; j < v->n_listeners; j++) {
			rc = build_eplist(t, v, &v->listeners[j], &n->lists[j]);
			n->n_lists++;
			if (rc != 0) {
				snprintf(err, errlen, "virtual node '%s': out of memory", v->name);
				goto bad;
			}
		}
	}
	/* An endpoint no longer health-checked (a reload dropped its healthCheck) forgets its
	 * verdict: shared endpoints outlive tables.  One also checked elsewhere starts over. */
	for (i = 0; i < cfg->n_virtual_nodes; i++)
		for (j = 0; j < (int)t->nodes[i].n_lists; j++) {
			struct mg_route_cluster *l = &t->nodes[i].lists[j];
			unsigned int k;

			if (l->nl != NULL && l->nl->has_health_check)
				continue;
			for (k = 0; k < l->n; k++)
				if (!l->eps[k]->hc_busy)
					l->eps[k]->hc_state = MG_EP_HC_NONE;
		}
	*out = t;
	return 0;
bad:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory building the routing table");
	mg_route_table_free(t);
	return rc;
}

static void
table_destroy(struct mg_route_table *t)
{
	unsigned int i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->n_gw; i++)
		free_match(&t->gw[i].m);
	free(t->gw);
	for (i = 0; t->routes != NULL && i < (unsigned int)t->cfg->n_routes; i++)
		free_match(&t->routes[i].m);
	free(t->routes);
	for (i = 0; t->routers != NULL && i < (unsigned int)t->cfg->n_virtual_routers; i++)
		free(t->routers[i].routes);
	free(t->routers);
	for (i = 0; t->nodes != NULL && i < (unsigned int)t->cfg->n_virtual_nodes; i++) {
		for (j = 0; j < t->nodes[i].n_lists; j++) {
			struct mg_route_cluster *l = &t->nodes[i].lists[j];

			if (l->watch != NULL)
				t->env.dns_unwatch(t->env.arg, l->watch);
			put_eps(t, l);
		}
		free(t->nodes[i].lists);
	}
	free(t->nodes);
	free(t);
}

void
mg_route_table_ref(struct mg_route_table *t)
{
	t->refs++;
}

void
mg_route_table_unref(struct mg_route_table *t)
{
	if (t != NULL && --t->refs == 0)
		table_destroy(t);
}

void
mg_route_table_free(struct mg_route_table *t)
{
	mg_route_table_unref(t);
}

struct mg_route_table *
mg_route_cluster_table(struct mg_route_cluster *c)
{
	return c->t;
}

/* ---- deciding -------------------------------------------------------------------------- */

/* The request as the matchers see it: the normalised (or rewritten) path and the host. */
struct view {
	const char *path;
	size_t path_len;
	const char *host; /* without the port; NULL: none */
	size_t host_len;
	uint16_t port;
	bool https; /* the request's scheme (the client's connection is TLS) */
};

/*
 * A gRPC service (and method) match: the path is "/<service>/<method>"; a service match wants
 * a nonempty method with no further '/', a method match the exact path.
 */
static bool
grpc_path_match(const struct rt_match *m, const char *path, size_t len)
{
	if (len < m->grpc_len || memcmp(path, m->grpc_path, m->grpc_len) != 0)
		return false;
	if (m->grpc_exact)
		return len == m->grpc_len;
	return len > m->grpc_len && memchr(path + m->grpc_len, '/', len - m->grpc_len) == NULL;
}

static bool
match(struct mg_route_table *t, const struct rt_match *m, const struct mg_h1_request *r,
      const struct view *v)
{
	char dec[1024];
	unsigned int i;

	if (m->port != 0 && m->port != v->port)
		return false;
	if (m->scheme != 0 && (m->scheme == 2) != v->https)
		return false;
	if (m->prefix != NULL &&
	    (v->path_len < m->prefix_len || memcmp(v->path, m->prefix, m->prefix_len) != 0))
		return false;
	if (m->has_path && !mg_match_value(&m->path, v->path, v->path_len))
		return false;
	if (m->grpc_path != NULL && !grpc_path_match(m, v->path, v->path_len))
		return false;
	if (m->has_host && !mg_match_value(&m->host, v->host, v->host_len))
		return false;
	if (m->method != NULL && (r->method.len != strlen(m->method) ||
	                          memcmp(r->method.p, m->method, r->method.len) != 0))
		return false;
	for (i = 0; i < m->n_headers; i++) {
		const struct rt_header *h = &m->headers[i];
		const char *val;
		int n = mg_match_header(r->head.fields, r->head.nfields, h->name, h->nlen,
		                        t->scratch, sizeof(t->scratch), &val);

		if (!mg_match_value(&h->m, val, n < 0 ? 0 : (size_t)n))
			return false;
	}
	for (i = 0; i < m->n_query; i++) {
		const struct rt_query *q = &m->query[i];
		const char *val;
		int n = mg_match_query_param(r->query.p, r->query.len, q->name, q->nlen, &val), d;

		if (n < 0)
			return false;
		if (q->exact == NULL)
			continue;
		d = mg_match_pct_decode(val, (size_t)n, dec, sizeof(dec));
		if (d < 0 || (size_t)d != q->elen || memcmp(dec, q->exact, q->elen) != 0)
			return false;
	}
	return true;
}

/* Appends <s> (<n> bytes) at *<o> in <buf> (<cap>); false when it does not fit. */
static bool
put(char *buf, size_t cap, size_t *o, const char *s, size_t n)
{
	if (cap - *o < n)
		return false;
	memcpy(buf + *o, s, n);
	*o += n;
	return true;
}

/*
 * Replaces the matched prefix of <path> (<plen>) by <repl> into <out>: if <repl> ends with
 * '/' and the rest starts with one, one of the two goes ("/chapter" on "/chapter/1" with "/"
 * gives "/1", not "//1").
 */
static bool
replace_prefix(const char *path, size_t plen, size_t prefix_len, const char *repl, char *out,
               size_t cap, size_t *o)
{
	size_t rl = strlen(repl);
	const char *rest = path + prefix_len;
	size_t restl = plen - prefix_len;

	if (rl > 0 && repl[rl - 1] == '/' && restl > 0 && rest[0] == '/') {
		rest++;
		restl--;
	}
	if (!put(out, cap, o, repl, rl) || !put(out, cap, o, rest, restl))
		return false;
	if (*o == 0)
		return put(out, cap, o, "/", 1);
	return true;
}

static uint64_t
now_ms(const struct mg_route_table *t)
{
	return t->env.now_ms != NULL ? t->env.now_ms() : 0;
}

/* The cluster of node <node> for its listener port <port>, or NULL. */
static struct mg_route_cluster *
find_cluster(struct mg_route_table *t, int node, uint16_t port)
{
	struct rt_node *n = &t->nodes[node];
	unsigned int i;

	for (i = 0; i < n->n_lists; i++)
		if (n->lists[i].port == port)
			return &n->lists[i];
	return NULL;
}

struct mg_endpoint *
mg_route_cluster_pick(struct mg_route_cluster *c, const struct mg_endpoint *avoid)
{
	uint64_t now = now_ms(c->t);
	unsigned int i, usable = 0, pick = c->n;
	bool panic;

	if (c->n == 0)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (mg_endpoint_usable(c->eps[i], now))
			usable++;
	/* Fail-closed: none usable, none tried (503 at once). */
	if (usable == 0 && c->fail_closed)
		return NULL;
	/* Envoy's healthy panic threshold, 50 %: with fewer usable, every endpoint is a
	 * candidate (fail-open when none is). */
	panic = usable * 2 < c->n;
	for (i = 0; i < c->n; i++) {
		unsigned int k = (c->next + i) % c->n;
		struct mg_endpoint *ep = c->eps[k];

		if (!panic && !mg_endpoint_usable(ep, now))
			continue;
		if (ep == avoid && pick == c->n) {
			pick = k; /* only if nothing else */
			continue;
		}
		if (ep != avoid) {
			pick = k;
			break;
		}
	}
	if (pick == c->n)
		return NULL;
	c->next = (pick + 1) % c->n;
	return c->eps[pick];
}

enum mg_route_admit
mg_route_cluster_admit(struct mg_route_cluster *c, const struct mg_endpoint *ep,
                       struct mg_route_waiter *w)
{
	uint64_t open = 0;
	unsigned int i;

	if (c->active < c->max_requests) {
		if (ep != NULL && ep->idle > 0)
			goto go;
		for (i = 0; i < c->n; i++)
			open += c->eps[i]->open;
		if (open < c->max_connections)
			goto go;
	}
	if (w != NULL && c->n_pending < c->max_pending) {
		if (!w->queued) {
			LIST_INSERT_HEAD(&c->pending, w, link);
			w->queued = true;
			c->n_pending++;
		}
		return MG_ADMIT_WAIT;
	}
	if (w != NULL)
		mg_route_cluster_cancel(c, w);
	c->st.overflows++;
	return MG_ADMIT_OVERFLOW;
go:
	if (w != NULL)
		mg_route_cluster_cancel(c, w);
	c->active++;
	c->st.requests++;
	return MG_ADMIT_GO;
}

void
mg_route_cluster_cancel(struct mg_route_cluster *c, struct mg_route_waiter *w)
{
	if (!w->queued)
		return;
	LIST_REMOVE(w, link);
	w->queued = false;
	c->n_pending--;
}

void
mg_route_cluster_done(struct mg_route_cluster *c)
{
	struct mg_route_waiter *w, *last = NULL;

	c->active--;
	/* The oldest waiter (the list's tail) asks again. */
	LIST_FOREACH(w, &c->pending, link)
	last = w;
	if (last != NULL)
		last->wake(last);
}

bool
mg_route_cluster_report(struct mg_route_cluster *c, struct mg_endpoint *ep, bool failed)
{
	const struct mg_cfg_node_listener *nl = c->nl;
	uint64_t now, dur, interval;
	unsigned int i, ejected = 0, limit;

	if (!failed) {
		ep->consecutive_errors = 0;
		return false;
	}
	ep->consecutive_errors++;
	if (nl == NULL || !nl->has_outlier_detection ||
	    ep->consecutive_errors < nl->outlier_detection.max_server_errors)
		return false;
	now = now_ms(c->t);
	if (ep->ejected_until_ms > now)
		return false;
	for (i = 0; i < c->n; i++)
		if (c->eps[i]->ejected_until_ms > now)
			ejected++;
	limit = c->n * nl->outlier_detection.max_ejection_percent / 100;
	if (ejected >= (limit > 0 ? limit : 1))
		return false;
	ep->times_ejected++;
	dur = nl->outlier_detection.base_ejection_duration.ms * ep->times_ejected;
	if (dur > 300000)
		dur = 300000;
	/* Ejections end at a sweep: a multiple of the interval after they began. */
	interval = nl->outlier_detection.interval.ms;
	if (interval > 0)
		dur = (dur + interval - 1) / interval * interval;
	ep->ejected_until_ms = now + dur;
	ep->consecutive_errors = 0;
	ep->ejections++;
	c->st.ejections++;
	return true;
}

bool
mg_route_cluster_retry_begin(struct mg_route_cluster *c)
{
	uint32_t budget = c->active / 5 > 3 ? c->active / 5 : 3;

	if (c->retries_active >= budget) {
		c->st.retry_overflows++;
		return false;
	}
	c->retries_active++;
	c->st.retries++;
	return true;
}

void
mg_route_cluster_retry_end(struct mg_route_cluster *c)
{
	if (c->retries_active > 0)
		c->retries_active--;
}

int
mg_route_table_clusters_json(struct mg_route_table *t, char *buf, size_t cap)
{
	uint64_t now = now_ms(t);
	unsigned int i, j, k, usable;
	size_t len = 0;
	int n;

	if (cap < 3)
		return -1;
	buf[len++] = '[';
	for (i = 0; t->nodes != NULL && i < (unsigned int)t->cfg->n_virtual_nodes; i++)
		for (j = 0; j < t->nodes[i].n_lists; j++) {
			const struct mg_route_cluster *l = &t->nodes[i].lists[j];

			for (k = 0, usable = 0; k < l->n; k++)
				usable += mg_endpoint_usable(l->eps[k], now);
			/* Node names are checked resource names: no JSON escaping needed. */
			n = snprintf(
			    buf + len, cap - len,
			    "%s{\"virtual_node\":\"%s\",\"port\":%u,\"endpoints\":%u,"
			    "\"usable\":%u,\"fail_closed\":%s,\"active\":%u,\"pending\":%u,"
			    "\"requests\":%" PRIu64 ",\"overflows\":%" PRIu64
			    ",\"pending_overflows\":%" PRIu64 ",\"retries\":%" PRIu64
			    ",\"retry_overflows\":%" PRIu64 ",\"ejections\":%" PRIu64 "}",
			    len > 1 ? "," : "", t->cfg->virtual_nodes[i].name, l->port, l->n,
			    usable, l->fail_closed ? "true" : "false", l->active, l->n_pending,
			    l->st.requests, l->st.overflows, l->st.pending_overflows, l->st.retries,
			    l->st.retry_overflows, l->st.ejections);
			if (n < 0 || (size_t)n >= cap - len)
				return -1;
			len += (size_t)n;
		}
	if (cap - len < 2)
		return -1;
	buf[len++] = ']';
	buf[len] = '\0';
	return (int)len;
}

bool
mg_route_table_can_serve(struct mg_route_table *t)
{
	uint64_t now = now_ms(t);
	unsigned int i, j, k;

	for (i = 0; t->nodes != NULL && i < (unsigned int)t->cfg->n_virtual_nodes; i++)
		for (j = 0; j < t->nodes[i].n_lists; j++) {
			struct mg_route_cluster *l = &t->nodes[i].lists[j];

			if (l->n > 0 && !l->fail_closed)
				return true;
			for (k = 0; k < l->n; k++)
				if (mg_endpoint_usable(l->eps[k], now))
					return true;
		}
	return false;
}

void
mg_route_table_foreach_checked(struct mg_route_table *t,
                               void (*fn)(void *arg, struct mg_endpoint *ep,
                                          const struct mg_cfg_node_listener *nl),
                               void *arg)
{
	unsigned int i, j, k;

	for (i = 0; t->nodes != NULL && i < (unsigned int)t->cfg->n_virtual_nodes; i++)
		for (j = 0; j < t->nodes[i].n_lists; j++) {
			struct mg_route_cluster *l = &t->nodes[i].lists[j];

			if (l->nl == NULL || !l->nl->has_health_check)
				continue;
			for (k = 0; k < l->n; k++)
				fn(arg, l->eps[k], l->nl);
		}
}

const struct mg_route_cluster_stats *
mg_route_cluster_stats(const struct mg_route_cluster *c)
{
	return &c->st;
}

const char *
mg_route_cluster_node(const struct mg_route_cluster *c)
{
	return c->v->name;
}

static uint16_t
node_port(const struct mg_cfg_virtual_node *v, uint16_t want)
{
	if (want != 0)
		return want;
	return v->n_listeners > 0 ? v->listeners[0].port : 0;
}

/*
 * The decision's timeouts and retries: the route's (App Mesh defaults: perRequest 15 s, idle
 * 300 s), never longer than the node listener's own timeouts (its proxy would cut the
 * request there); without a retryPolicy, App Mesh's hidden default: 2 retries on a
 * connection failure, a reset before the response, or a 503.
 */
static void
set_policy(struct mg_route_decision *d, const struct mg_cfg_route *r,
           const struct mg_cfg_node_listener *nl)
{
	struct mg_route_policy *p = &d->policy;

	p->per_request_ms = MG_ROUTE_DEFAULT_PER_REQUEST_MS;
	p->idle_ms = MG_ROUTE_DEFAULT_IDLE_MS;
	p->max_retries = 2;
	p->per_try_ms = 0;
	p->retry_on = MG_RETRY_CONNECT | MG_RETRY_RESET | MG_RETRY_503;
	if (r != NULL) {
		if (r->per_request.set)
			p->per_request_ms =
			    (uint32_t)(r->per_request.ms < UINT32_MAX ? r->per_request.ms
			                                              : UINT32_MAX);
		if (r->idle.set)
			p->idle_ms = (uint32_t)(r->idle.ms < UINT32_MAX ? r->idle.ms : UINT32_MAX);
		if (r->retry.present) {
			p->max_retries = r->retry.max_retries;
			p->per_try_ms = (uint32_t)(r->retry.per_retry_timeout.ms < UINT32_MAX
			                               ? r->retry.per_retry_timeout.ms
			                               : UINT32_MAX);
			p->retry_on = 0;
			if (r->retry.http_events & MG_CFG_RETRY_HTTP_SERVER_ERROR)
				p->retry_on |= MG_RETRY_SERVER_ERROR | MG_RETRY_RESET;
			if (r->retry.http_events & MG_CFG_RETRY_HTTP_GATEWAY_ERROR)
				p->retry_on |= MG_RETRY_GATEWAY_ERROR;
			if (r->retry.http_events & MG_CFG_RETRY_HTTP_CLIENT_ERROR)
				p->retry_on |= MG_RETRY_CLIENT_ERROR;
			if (r->retry.http_events & MG_CFG_RETRY_HTTP_STREAM_ERROR)
				p->retry_on |= MG_RETRY_STREAM_ERROR;
			if (r->retry.tcp_events & MG_CFG_RETRY_TCP_CONNECTION_ERROR)
				p->retry_on |= MG_RETRY_CONNECT;
			if (r->retry.grpc_events & MG_CFG_RETRY_GRPC_CANCELLED)
				p->retry_on |= MG_RETRY_GRPC_CANCELLED;
			if (r->retry.grpc_events & MG_CFG_RETRY_GRPC_DEADLINE_EXCEEDED)
				p->retry_on |= MG_RETRY_GRPC_DEADLINE_EXCEEDED;
			if (r->retry.grpc_events & MG_CFG_RETRY_GRPC_INTERNAL)
				p->retry_on |= MG_RETRY_GRPC_INTERNAL;
			if (r->retry.grpc_events & MG_CFG_RETRY_GRPC_RESOURCE_EXHAUSTED)
				p->retry_on |= MG_RETRY_GRPC_RESOURCE_EXHAUSTED;
			if (r->retry.grpc_events & MG_CFG_RETRY_GRPC_UNAVAILABLE)
				p->retry_on |= MG_RETRY_GRPC_UNAVAILABLE;
		}
	}
	if (nl != NULL) {
		if (nl->per_request.set && nl->per_request.ms > 0 &&
		    (p->per_request_ms == 0 || nl->per_request.ms < p->per_request_ms))
			p->per_request_ms = (uint32_t)nl->per_request.ms;
		if (nl->idle.set && nl->idle.ms > 0 &&
		    (p->idle_ms == 0 || nl->idle.ms < p->idle_ms))
			p->idle_ms = (uint32_t)nl->idle.ms;
	}
}

static enum mg_route_reason
finish(struct mg_route_table *t, struct mg_route_decision *d, enum mg_route_reason why)
{
	d->reason = why;
	t->counters[why]++;
	return why;
}

enum mg_route_reason
mg_route_decide(struct mg_route_table *t, const struct mg_h1_request *r, uint16_t port, char *buf,
                size_t cap, struct mg_route_decision *d)
{
	return mg_route_decide_scheme(t, r, port, r->is_https, buf, cap, d);
}

enum mg_route_reason
mg_route_decide_scheme(struct mg_route_table *t, const struct mg_h1_request *r, uint16_t port,
                       bool https, char *buf, size_t cap, struct mg_route_decision *d)
{
	const struct mg_config *cfg = t->cfg;
	const struct mg_cfg_gateway_route *g = NULL;
	const struct mg_cfg_virtual_service *vs;
	char norm[MG_MATCH_PATH_MAX];
	const struct mg_cfg_route *rt_cfg = NULL;
	struct view v = {.port = port, .https = https};
	size_t o = 0;
	unsigned int i;
	int n, node = -1;
	uint16_t tport = 0;

	memset(d, 0, sizeof(*d));
	d->chosen = -1;
	if (r->form == MG_H1_FORM_ASTERISK || r->form == MG_H1_FORM_AUTHORITY)
		return finish(t, d, MG_ROUTE_BAD_PATH);
	if (r->path.len == 0) {
		n = 1;
		norm[0] = '/';
	} else {
		n = mg_match_path_normalize(r->path.p, r->path.len, norm, sizeof(norm));
		if (n == -ENOSPC)
			return finish(t, d, MG_ROUTE_PATH_TOO_LONG);
		if (n < 0)
			return finish(t, d, MG_ROUTE_BAD_PATH);
	}
	v.path = norm;
	v.path_len = (size_t)n;
	if (r->host.p != NULL) {
		v.host = r->host.p;
		v.host_len = mg_match_host_strip_port(r->host.p, r->host.len);
	}

	/* 1. The gateway route. */
	for (i = 0; i < t->n_gw; i++) {
		if (t->gw[i].c->kind == t->kind && match(t, &t->gw[i].m, r, &v)) {
			g = t->gw[i].c;
			break;
		}
	}
	if (g == NULL)
		return finish(t, d, MG_ROUTE_NO_GATEWAY_ROUTE);
	d->gateway_route = g->name;

	/* 2. Its rewrites: the path into buf, the Host. */
	if (g->match.prefix != NULL && g->rewrite_prefix_value != NULL) {
		if (!replace_prefix(norm, v.path_len, t->gw[i].m.prefix_len,
		                    g->rewrite_prefix_value, buf, cap, &o))
			return finish(t, d, MG_ROUTE_PATH_TOO_LONG);
	} else if (g->match.prefix != NULL &&
	           g->rewrite_prefix_default != MG_CFG_REWRITE_DISABLED) {
		if (!replace_prefix(norm, v.path_len, t->gw[i].m.prefix_len, "/", buf, cap, &o))
			return finish(t, d, MG_ROUTE_PATH_TOO_LONG);
	} else if (g->match.path.kind != MG_CFG_MATCH_NONE && g->rewrite_path != NULL) {
		if (!put(buf, cap, &o, g->rewrite_path, strlen(g->rewrite_path)))
			return finish(t, d, MG_ROUTE_PATH_TOO_LONG);
	} else if (!put(buf, cap, &o, norm, v.path_len)) {
		return finish(t, d, MG_ROUTE_PATH_TOO_LONG);
	}
	vs = &cfg->virtual_services[g->target_service_index];
	d->virtual_service = vs->name;
	if (g->rewrite_hostname != MG_CFG_REWRITE_DISABLED) {
		d->host = vs->name;
		d->host_len = strlen(vs->name);
	} else {
		d->host = r->host.p;
		d->host_len = r->host.len;
	}
	/* What the virtual router's routes see: the rewritten request. */
	v.path = buf;
	v.path_len = o;
	if (d->host != NULL) {
		v.host = d->host;
		v.host_len = mg_match_host_strip_port(d->host, d->host_len);
	}

	/* 3. The provider. */
	switch (vs->provider_kind) {
	case MG_CFG_PROVIDER_NONE:
		return finish(t, d, MG_ROUTE_NO_PROVIDER);
	case MG_CFG_PROVIDER_NODE:
		node = vs->provider_index;
		tport = node_port(&cfg->virtual_nodes[node], g->target_port);
		d->n_targets = 1;
		d->targets[0] = (struct mg_route_target){cfg->virtual_nodes[node].name, 100, tport};
		d->chosen = 0;
		break;
	case MG_CFG_PROVIDER_ROUTER: {
		const struct mg_cfg_virtual_router *vr = &cfg->virtual_routers[vs->provider_index];
		struct rt_router *rr = &t->routers[vs->provider_index];
		struct rt_route *rt = NULL;
		enum mg_cfg_route_kind kind = MG_CFG_ROUTE_HTTP;
		uint16_t lport = 0;
		int k;

		d->virtual_router = vr->name;
		for (k = 0; k < vr->n_listeners; k++) {
			if (g->target_port == 0 || vr->listeners[k].port == g->target_port) {
				lport = vr->listeners[k].port;
				kind = port_kind(vr->listeners[k].protocol);
				break;
			}
		}
		v.port = lport;
		for (i = 0; i < rr->n; i++) {
			if (rr->routes[i]->c->kind == kind && match(t, &rr->routes[i]->m, r, &v)) {
				rt = rr->routes[i];
				break;
			}
		}
		if (rt == NULL)
			return finish(t, d, MG_ROUTE_NO_ROUTE);
		d->route = rt->c->name;
		rt_cfg = rt->c;
		for (k = 0; k < rt->c->n_targets && k < MG_MATCH_MAX_TARGETS; k++) {
			const struct mg_cfg_weighted_target *wt = &rt->c->targets[k];

			d->targets[k] = (struct mg_route_target){
			    wt->node, wt->weight,
			    node_port(&cfg->virtual_nodes[wt->node_index], wt->port)};
		}
		d->n_targets = (unsigned int)k;
		d->chosen = mg_match_wrr_pick(&rt->wrr);
		if (d->chosen < 0)
			return finish(t, d, MG_ROUTE_NO_TARGET);
		node = rt->c->targets[d->chosen].node_index;
		tport = d->targets[d->chosen].port;
		break;
	}
	}

	/* 4. The target: the origin-form with the original query. */
	if (r->query.p != NULL &&
	    (!put(buf, cap, &o, "?", 1) || !put(buf, cap, &o, r->query.p, r->query.len)))
		return finish(t, d, MG_ROUTE_PATH_TOO_LONG);
	d->path = buf;
	d->path_len = o;
	d->cluster = find_cluster(t, node, tport);
	set_policy(d, rt_cfg, d->cluster != NULL ? d->cluster->nl : NULL);
	if (t->env.ep_get != NULL) {
		d->ep = d->cluster != NULL ? mg_route_cluster_pick(d->cluster, NULL) : NULL;
		if (d->ep == NULL)
			return finish(t, d, MG_ROUTE_NO_ENDPOINT);
	}
	return finish(t, d, MG_ROUTE_OK);
}
