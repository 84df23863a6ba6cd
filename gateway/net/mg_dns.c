/*
 * The DNS resolver on lwIP UDP.  See mg_dns.h.
 */
#include "gateway/net/mg_dns.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"

#define DNS_PORT        53
#define MIN_TTL_S       1
#define BACKOFF_FIRST   250   /* ms before the first retry */
#define BACKOFF_MAX     30000 /* ms */
#define PORT_ATTEMPTS   8     /* random source ports tried per query */
#define EPHEMERAL_FIRST 49152

struct mg_dns_watch {
	LIST_ENTRY(mg_dns_watch) link;
	struct dns_name *name;
	mg_dns_fn *fn;
	void *arg;
};

struct dns_name {
	LIST_ENTRY(dns_name) link;
	LIST_HEAD(, mg_dns_watch) watchers;
	char name[MG_DNS_NAME_MAX + 1];
	uint32_t addrs[MG_DNS_MAX_ADDRS];
	unsigned int n;
	bool known;
	/* the query in flight */
	struct udp_pcb *pcb;
	uint16_t id;
	unsigned int server;
	unsigned int failures;
};

static struct {
	bool ready;
	uint32_t servers[MG_DNS_MAX_SERVERS];
	unsigned int n_servers;
	uint32_t timeout_ms;
	LIST_HEAD(, dns_name) names;
	struct mg_dns_stats st;
} dns;

static void query(void *arg);

const struct mg_dns_stats *
mg_dns_stats(void)
{
	return &dns.st;
}

int
mg_dns_init(const uint32_t *servers, unsigned int n, uint32_t timeout_ms)
{
	if (n == 0 || n > MG_DNS_MAX_SERVERS)
		return -EINVAL;
	memcpy(dns.servers, servers, n * sizeof(*servers));
	dns.n_servers = n;
	dns.timeout_ms = timeout_ms != 0 ? timeout_ms : 5000;
	LIST_INIT(&dns.names);
	dns.ready = true;
	return 0;
}

/* Ends the query in flight of <d>, if any. */
static void
end_query(struct dns_name *d)
{
	if (d->pcb == NULL)
		return;
	udp_remove(d->pcb);
	d->pcb = NULL;
}

static void on_timeout(void *arg);

static void
forget(struct dns_name *d)
{
	sys_untimeout(query, d);
	sys_untimeout(on_timeout, d);
	end_query(d);
	LIST_REMOVE(d, link);
	dns.st.names--;
	free(d);
}

void
mg_dns_stop(void)
{
	while (!LIST_EMPTY(&dns.names)) {
		struct dns_name *d = LIST_FIRST(&dns.names);

		while (!LIST_EMPTY(&d->watchers)) {
			struct mg_dns_watch *w = LIST_FIRST(&d->watchers);

			LIST_REMOVE(w, link);
			free(w);
		}
		forget(d);
	}
	dns.ready = false;
}

/* Schedules the next query of <d> in <ms>. */
static void
schedule(struct dns_name *d, uint32_t ms)
{
	sys_untimeout(query, d);
	sys_timeout(ms, query, d);
}

/* A query failed: the next server, after a back-off that doubles up to BACKOFF_MAX. */
static void
failed(struct dns_name *d)
{
	uint32_t delay = BACKOFF_FIRST;
	unsigned int i;

	end_query(d);
	d->failures++;
	d->server = (d->server + 1) % dns.n_servers;
	for (i = 1; i < d->failures && delay < BACKOFF_MAX; i++)
		delay *= 2;
	schedule(d, delay < BACKOFF_MAX ? delay : BACKOFF_MAX);
}

static void
on_timeout(void *arg)
{
	dns.st.timeouts++;
	failed(arg);
}

/* New addresses for <d>: tell the watchers if they changed. */
static void
update(struct dns_name *d, const struct mg_dns_answer *a)
{
	struct mg_dns_watch *w, *next;

	if (d->known && d->n == a->n && memcmp(d->addrs, a->addrs, a->n * sizeof(a->addrs[0])) == 0)
		return;
	memcpy(d->addrs, a->addrs, a->n * sizeof(a->addrs[0]));
	d->n = a->n;
	d->known = true;
	dns.st.changes++;
	for (w = LIST_FIRST(&d->watchers); w != NULL; w = next) {
		next = LIST_NEXT(w, link);
		w->fn(w->arg, d->name, d->addrs, d->n);
	}
}

static void
on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
	struct dns_name *d = arg;
	uint8_t msg[MG_DNS_UDP_SIZE];
	struct mg_dns_answer a;
	enum mg_dns_error e;
	uint16_t len;
	uint32_t ttl;

	(void)pcb;
	/* Only the server asked, from its DNS port, may answer. */
	if (ip4_addr_get_u32(ip_2_ip4(addr)) != dns.servers[d->server] || port != DNS_PORT) {
		pbuf_free(p);
		return;
	}
	len = pbuf_copy_partial(p, msg, sizeof(msg), 0);
	pbuf_free(p);
	e = mg_dns_response_parse(msg, len, d->id, d->name, &a);
	if (e == MG_DNS_E_ID)
		return; /* not the answer to this query: keep waiting */
	sys_untimeout(on_timeout, d);
	if (e != MG_DNS_OK) {
		dns.st.errors[e]++;
		failed(d);
		return;
	}
	dns.st.answers++;
	end_query(d);
	d->failures = 0;
	ttl = a.ttl < MIN_TTL_S ? MIN_TTL_S : a.ttl > MG_DNS_MAX_TTL ? MG_DNS_MAX_TTL : a.ttl;
	schedule(d, ttl * 1000);
	update(d, &a);
}

static mg_dns_port_ok_fn *port_ok;
static void *port_ok_arg;

void
mg_dns_set_source_ports(mg_dns_port_ok_fn *ok, void *arg)
{
	port_ok = ok;
	port_ok_arg = arg;
}

/* Sends a query for <arg> (a struct dns_name) from a random source port. */
static void
query(void *arg)
{
	struct dns_name *d = arg;
	uint8_t buf[MG_DNS_NAME_MAX + 64];
	ip_addr_t server;
	struct pbuf *p;
	int len, i;

	end_query(d);
	d->id = (uint16_t)LWIP_RAND();
	len = mg_dns_query_build(buf, sizeof(buf), d->id, d->name);
	if (len < 0) {
		failed(d); /* cannot happen: names are checked when the configuration loads */
		return;
	}
	d->pcb = udp_new();
	if (d->pcb == NULL) {
		failed(d);
		return;
	}
	for (i = 0; i < PORT_ATTEMPTS; i++) {
		u16_t port = (u16_t)(EPHEMERAL_FIRST + LWIP_RAND() % (65536 - EPHEMERAL_FIRST));
		int tries;

		/* Several workers: a random port among those whose replies reach this one (about
		 * one in N; 256 draws miss with probability (1 - 1/N)^256, under 1e-7 for N = 16).
		 */
		for (tries = 0; port_ok != NULL && tries < 256 &&
		                !port_ok(port_ok_arg, dns.servers[d->server], DNS_PORT, port);
		     tries++)
			port = (u16_t)(EPHEMERAL_FIRST + LWIP_RAND() % (65536 - EPHEMERAL_FIRST));
		if (udp_bind(d->pcb, IP4_ADDR_ANY, port) == ERR_OK)
			break;
	}
	if (i == PORT_ATTEMPTS &&
	    (port_ok != NULL || udp_bind(d->pcb, IP4_ADDR_ANY, 0) != ERR_OK)) {
		failed(d);
		return;
	}
	udp_recv(d->pcb, on_recv, d);
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (p == NULL) {
		failed(d);
		return;
	}
	memcpy(p->payload, buf, (size_t)len);
	ip_addr_set_ip4_u32(&server, dns.servers[d->server]);
	udp_sendto(d->pcb, p, &server, DNS_PORT);
	pbuf_free(p);
	dns.st.queries++;
	sys_timeout(dns.timeout_ms, on_timeout, d);
}

const char *
mg_dns_unsettled(void)
{
	struct dns_name *d;

	if (!dns.ready)
		return NULL;
	LIST_FOREACH(d, &dns.names, link)
	{
		if (!d->known && d->failures == 0)
			return d->name;
	}
	return NULL;
}

struct mg_dns_watch *
mg_dns_watch(const char *name, mg_dns_fn *fn, void *arg)
{
	struct mg_dns_watch *w;
	struct dns_name *d;

	if (!dns.ready || strlen(name) > MG_DNS_NAME_MAX)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	LIST_FOREACH(d, &dns.names, link)
	{
		if (strcmp(d->name, name) == 0)
			break;
	}
	if (d == NULL) {
		d = calloc(1, sizeof(*d));
		if (d == NULL) {
			free(w);
			return NULL;
		}
		strcpy(d->name, name);
		LIST_INIT(&d->watchers);
		LIST_INSERT_HEAD(&dns.names, d, link);
		dns.st.names++;
		schedule(d, 0);
	}
	w->name = d;
	w->fn = fn;
	w->arg = arg;
	LIST_INSERT_HEAD(&d->watchers, w, link);
	if (d->known)
		fn(arg, d->name, d->addrs, d->n);
	return w;
}

void
mg_dns_unwatch(struct mg_dns_watch *w)
{
	struct dns_name *d;

	if (w == NULL)
		return;
	d = w->name;
	LIST_REMOVE(w, link);
	free(w);
	if (LIST_EMPTY(&d->watchers))
		forget(d);
}
