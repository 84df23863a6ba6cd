/*
 * Remote key sets over HTTPS, the fetcher itself (connections, TLS, schedule): see
 * gateway/jwt/mg_jwt_fetch.h.  The parsers it uses are in gateway/jwt/mg_jwt_fetch.c (unit
 * tested and fuzzed without the network stack).
 */
#include "gateway/jwt/mg_jwt_fetch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/core/mg_evlog.h"
#include "gateway/net/mg_conn.h"
#include "gateway/net/mg_dns.h"
#include "gateway/tls/mg_tls.h"

/* Debian's ca-certificates bundle, when a provider names no caBundle. */
#define MG_JWT_DEFAULT_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/* ---- the fetcher --------------------------------------------------------------------------- */

enum fstate { F_IDLE, F_RESOLVING, F_CONNECTING, F_TLS, F_DONE };

struct fetcher {
	struct mg_jwt_provider *p;
	char name[MG_JWT_NAME_MAX];
	bool discovery;
	char doc_uri[MG_CFG_JWT_STR_MAX]; /* the discovery document or the JWKS */
	char jwks_uri[1024];              /* from discovery */
	uint32_t cache_s, timeout_ms;
	struct mg_tls_client *tls;
	/* The fetch in progress. */
	enum fstate st;
	bool stage_jwks; /* discovery done, fetching jwks_uri */
	struct mg_jwt_url url;
	struct mg_dns_watch *dns;
	uint32_t addr; /* network byte order, 0: unresolved */
	struct mg_conn *c;
	struct mg_tls_conn *t;
	size_t sent, req_len;
	char req[1400];
	char *rx, *body;
	size_t rx_len;
	/* Schedule. */
	bool settled;     /* the first fetch finished */
	uint64_t begun_s; /* when the fetch in progress began (a DNS answer is waited for) */
	/* The last key set installed (a copy of the JWKS document), handed to the next
	 * configuration generation's provider of the same name and URI at a reload. */
	char *last;
	size_t last_len;
	char ca_bundle[MG_CFG_PATH_MAX];
	uint64_t next_s, retry_s;
};

static struct {
	struct fetcher *f;
	unsigned int n;
	uint64_t now_s;
	struct mg_jwt_fetch_stats st;
	char unsettled[160];
} fx;

static void f_begin(struct fetcher *f);

static void
f_release(struct fetcher *f)
{
	if (f->t != NULL) {
		mg_tls_conn_free(f->t);
		f->t = NULL;
	}
	if (f->c != NULL) {
		mg_conn_abort(f->c);
		f->c = NULL;
	}
	if (f->dns != NULL) {
		mg_dns_unwatch(f->dns);
		f->dns = NULL;
	}
	free(f->rx);
	free(f->body);
	f->rx = f->body = NULL;
	f->rx_len = 0;
	f->st = F_IDLE;
}

static void
f_fail(struct fetcher *f, const char *why)
{
	mg_evlog("jwt: provider %s: fetching %s failed: %s; %s", f->name,
	         f->stage_jwks ? f->jwks_uri : f->doc_uri, why,
	         mg_jwt_provider_keys_generation(f->p) > 0 ? "the last good key set stays in use"
	                                                   : "no keys yet");
	fx.st.failures++;
	f_release(f);
	f->stage_jwks = false;
	f->settled = true;
	f->retry_s = f->retry_s == 0 ? MG_JWT_FETCH_RETRY_MIN : f->retry_s * 2;
	if (f->retry_s > f->cache_s)
		f->retry_s = f->cache_s;
	f->next_s = fx.now_s + f->retry_s;
}

static void
f_success(struct fetcher *f, const char *body, size_t len)
{
	char err[160] = "";
	int rc;

	if (f->discovery && !f->stage_jwks) {
		struct mg_jwt_url u;

		if (mg_jwt_discovery_jwks_uri(body, len, f->jwks_uri, sizeof(f->jwks_uri)) != 0 ||
		    mg_jwt_url_parse(f->jwks_uri, strlen(f->jwks_uri), &u) != 0) {
			f_fail(f, "the discovery document has no https jwks_uri");
			return;
		}
		f_release(f);
		f->stage_jwks = true;
		f_begin(f);
		return;
	}
	rc = mg_jwt_provider_set_keys(f->p, body, len, err, sizeof(err));
	if (rc < 0) {
		char why[200];

		snprintf(why, sizeof(why), "key set refused (%s)", err);
		f_fail(f, why);
		return;
	}
	free(f->last);
	f->last = malloc(len);
	f->last_len = f->last != NULL ? len : 0;
	if (f->last != NULL)
		memcpy(f->last, body, len);
	mg_evlog("jwt: provider %s: %d key(s) from %s (generation %u)", f->name, rc,
	         f->stage_jwks ? f->jwks_uri : f->doc_uri, mg_jwt_provider_keys_generation(f->p));
	fx.st.successes++;
	f_release(f);
	f->stage_jwks = false;
	f->settled = true;
	f->retry_s = 0;
	f->next_s = fx.now_s + f->cache_s;
}

/* Moves the TLS exchange on: handshake, request, response. */
static void
f_drive(struct fetcher *f)
{
	int rc;

	rc = mg_tls_handshake(f->t);
	if (rc == MG_TLS_ERR) {
		char why[96];

		snprintf(why, sizeof(why), "TLS handshake (%s)",
		         mg_tls_failure_label(mg_tls_conn_failure(f->t)));
		f_fail(f, why);
		return;
	}
	if (rc != 0)
		return;
	while (f->sent < f->req_len) {
		rc = mg_tls_write(f->t, f->req + f->sent, f->req_len - f->sent);
		if (rc == MG_TLS_WANT_WRITE || rc == MG_TLS_WANT_READ)
			return;
		if (rc < 0) {
			f_fail(f, "TLS write");
			return;
		}
		f->sent += (size_t)rc;
	}
	if (mg_tls_flush(f->t) == MG_TLS_ERR) {
		f_fail(f, "TLS write");
		return;
	}
	for (;;) {
		size_t blen;
		int status;
		bool eof;

		if (f->rx_len == MG_JWT_FETCH_MAX_RESPONSE) {
			f_fail(f, "response too large");
			return;
		}
		rc = mg_tls_read(f->t, f->rx + f->rx_len, MG_JWT_FETCH_MAX_RESPONSE - f->rx_len);
		if (rc > 0) {
			f->rx_len += (size_t)rc;
			continue; /* until WANT_READ: TLS may hold decrypted bytes */
		}
		eof = rc != MG_TLS_WANT_READ && rc != MG_TLS_WANT_WRITE;
		if (rc == MG_TLS_ERR && mg_tls_conn_failure(f->t) != MG_TLS_FAIL_PEER_CLOSED) {
			f_fail(f, "TLS read");
			return;
		}
		/* A close without close_notify is fine when the framing says the body ended. */
		rc = mg_jwt_http_response(f->rx, f->rx_len, eof, f->body, MG_JWT_FETCH_MAX_RESPONSE,
		                          &blen, &status);
		if (rc == 1) {
			f_success(f, f->body, blen);
			return;
		}
		if (rc < 0) {
			char why[64];

			if (rc == -EBADMSG)
				snprintf(why, sizeof(why), "HTTP status %d", status);
			else
				snprintf(why, sizeof(why), "%s",
				         rc == -EFBIG ? "response too large"
				                      : "malformed HTTP response");
			f_fail(f, why);
			return;
		}
		return; /* more bytes to come */
	}
}

static void
on_readable(struct mg_conn *c)
{
	struct fetcher *f = mg_conn_owner(c);

	if (f->t != NULL)
		f_drive(f);
}

static void
on_connected(struct mg_conn *c)
{
	struct fetcher *f = mg_conn_owner(c);
	struct mg_tls_io io = {.recv = mg_conn_io_recv, .send = mg_conn_io_send, .arg = c};

	f->t = mg_tls_connect(f->tls, &io, f->url.host);
	if (f->t == NULL) {
		f_fail(f, "no TLS connection available");
		return;
	}
	f->st = F_TLS;
	f_drive(f);
}

static void
on_timeout(struct mg_conn *c)
{
	f_fail(mg_conn_owner(c), "timed out");
}

static void
on_closed(struct mg_conn *c, enum mg_conn_reason why)
{
	struct fetcher *f = mg_conn_owner(c);

	f->c = NULL; /* gone: not to be closed again */
	f_fail(f, why == MG_CONN_CONNECT_FAILED ? "connection refused or unreachable"
	                                        : "connection reset");
}

static const struct mg_conn_ops fetch_ops = {
    .readable = on_readable,
    .writable = on_readable,
    .connected = on_connected,
    .timeout = on_timeout,
    .closed = on_closed,
};

static void
f_connect(struct fetcher *f)
{
	f->st = F_CONNECTING;
	f->c = mg_conn_connect(f->addr, f->url.port, &fetch_ops, f);
	if (f->c == NULL) {
		f_fail(f, "no connection available");
		return;
	}
	mg_conn_set_deadline(f->c, f->timeout_ms);
}

static void
on_dns(void *arg, const char *name, const uint32_t *addrs, unsigned int n)
{
	struct fetcher *f = arg;

	(void)name;
	if (f->st != F_RESOLVING || n == 0)
		return;
	f->addr = addrs[0];
	f_connect(f);
}

static void
f_begin(struct fetcher *f)
{
	const char *u = f->stage_jwks ? f->jwks_uri : f->doc_uri;
	struct in_addr a;
	int n;

	fx.st.fetches++;
	if (mg_jwt_url_parse(u, strlen(u), &f->url) != 0) {
		f_fail(f, "not an https URL");
		return;
	}
	n = snprintf(f->req, sizeof(f->req),
	             "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n"
	             "User-Agent: meshgate\r\nConnection: close\r\n\r\n",
	             f->url.path, f->url.host);
	if (n < 0 || (size_t)n >= sizeof(f->req)) {
		f_fail(f, "URL too long");
		return;
	}
	f->req_len = (size_t)n;
	f->sent = 0;
	f->rx = malloc(MG_JWT_FETCH_MAX_RESPONSE);
	f->body = malloc(MG_JWT_FETCH_MAX_RESPONSE);
	if (f->rx == NULL || f->body == NULL) {
		f_fail(f, "out of memory");
		return;
	}
	f->rx_len = 0;
	if (inet_pton(AF_INET, f->url.host, &a) == 1) {
		f->addr = a.s_addr;
		f_connect(f);
		return;
	}
	/* A DNS name: appliance.dns resolves it (the watch ends with the fetch). */
	f->st = F_RESOLVING;
	f->begun_s = fx.now_s;
	f->addr = 0;
	f->dns = mg_dns_watch(f->url.host, on_dns, f);
	if (f->dns != NULL && f->st == F_IDLE) {
		/* The address was known: the connect already failed inside the watch call. */
		mg_dns_unwatch(f->dns);
		f->dns = NULL;
		return;
	}
	if (f->dns == NULL) {
		f_fail(f, "cannot resolve the host name (no appliance.dns?)");
		return;
	}
}

/*
 * A reload: the previous generation's fetcher of the same provider (name, URI and CA bundle)
 * hands over its last key set and schedule, so tokens keep verifying across the reload.
 */
static void
carry_over(struct fetcher *f)
{
	unsigned int i;

	for (i = 0; i < fx.n; i++) {
		struct fetcher *o = &fx.f[i];

		if (strcmp(o->name, f->name) != 0 || strcmp(o->doc_uri, f->doc_uri) != 0 ||
		    strcmp(o->ca_bundle, f->ca_bundle) != 0 || o->discovery != f->discovery)
			continue;
		if (o->last != NULL &&
		    mg_jwt_provider_set_keys(f->p, o->last, o->last_len, NULL, 0) > 0) {
			f->last = o->last;
			f->last_len = o->last_len;
			o->last = NULL;
			f->settled = true;
			f->next_s = o->next_s;
			f->retry_s = o->retry_s;
		} else if (o->settled) {
			f->settled =
			    true; /* no keys to hand over, but /ready already waited once */
		}
		return;
	}
}

int
mg_jwt_fetch_start(struct mg_jwt_ctx *ctx, const struct mg_config *cfg, char *err, size_t errlen)
{
	const struct mg_cfg_jwt *j = &cfg->appliance.jwt;
	struct fetcher *fs;
	unsigned int n = 0;
	int i, rc;

	if (ctx == NULL || !j->present) {
		mg_jwt_fetch_stop();
		return 0;
	}
	fs = calloc((size_t)j->n_providers + 1, sizeof(*fs));
	if (fs == NULL)
		return -ENOMEM;
	for (i = 0; i < j->n_providers; i++) {
		const struct mg_cfg_jwt_provider *cp = &j->providers[i];
		const struct mg_cfg_jwt_remote *r;
		struct fetcher *f = &fs[n];
		struct mg_tls_client_conf cc = {0};
		struct mg_jwt_url u;

		if (cp->jwks.kind == MG_CFG_JWKS_REMOTE)
			r = &cp->jwks.remote;
		else if (cp->jwks.kind == MG_CFG_JWKS_DISCOVERY)
			r = &cp->jwks.discovery;
		else
			continue;
		f->p = mg_jwt_provider_get(ctx, i);
		snprintf(f->name, sizeof(f->name), "%s", cp->name);
		f->discovery = cp->jwks.kind == MG_CFG_JWKS_DISCOVERY;
		snprintf(f->doc_uri, sizeof(f->doc_uri), "%s", r->uri);
		f->cache_s = r->cache_duration_s != 0 ? r->cache_duration_s : 600;
		f->timeout_ms = r->timeout_ms != 0 ? r->timeout_ms : 5000;
		if (mg_jwt_url_parse(r->uri, strlen(r->uri), &u) != 0) {
			snprintf(err, errlen, "appliance.jwt provider '%s': %s is not an https URL",
			         cp->name, r->uri);
			rc = -EINVAL;
			goto fail;
		}
		cc.ca_file = r->ca_bundle[0] != '\0' ? r->ca_bundle : MG_JWT_DEFAULT_CA_BUNDLE;
		rc = mg_tls_client_new(&f->tls, &cc, err, errlen);
		if (rc != 0) {
			char m[256];

			snprintf(m, sizeof(m), "%s", err);
			snprintf(err, errlen, "appliance.jwt provider '%s': caBundle: %s", cp->name,
			         m);
			goto fail;
		}
		f->next_s = 0; /* at the first tick */
		snprintf(f->ca_bundle, sizeof(f->ca_bundle), "%s", cc.ca_file);
		carry_over(f);
		n++;
	}
	mg_jwt_fetch_stop(); /* the previous context's, now that this one is complete */
	fx.f = fs;
	fx.n = n;
	return 0;
fail:
	while (n > 0)
		mg_tls_client_free(fs[--n].tls);
	mg_tls_client_free(fs[n].tls);
	free(fs);
	return rc;
}

void
mg_jwt_fetch_stop(void)
{
	unsigned int i;

	for (i = 0; i < fx.n; i++) {
		f_release(&fx.f[i]);
		mg_tls_client_free(fx.f[i].tls);
		free(fx.f[i].last);
	}
	free(fx.f);
	fx.f = NULL;
	fx.n = 0;
}

void
mg_jwt_fetch_tick(uint64_t now_s)
{
	unsigned int i;

	fx.now_s = now_s;
	for (i = 0; i < fx.n; i++) {
		struct fetcher *f = &fx.f[i];
		bool wanted;

		if (f->st == F_RESOLVING && now_s > f->begun_s + f->timeout_ms / 1000 + 1) {
			f_fail(f, "the host name did not resolve in time");
			continue;
		}
		if (f->st != F_IDLE)
			continue;
		wanted = mg_jwt_provider_refresh_wanted(f->p);
		if (wanted && f->settled)
			fx.st.kid_refreshes++;
		if (wanted || now_s >= f->next_s)
			f_begin(f);
	}
}

const char *
mg_jwt_fetch_unsettled(void)
{
	unsigned int i;

	for (i = 0; i < fx.n; i++) {
		if (!fx.f[i].settled) {
			snprintf(fx.unsettled, sizeof(fx.unsettled),
			         "JWT key set of provider %s not fetched yet", fx.f[i].name);
			return fx.unsettled;
		}
	}
	return NULL;
}

const struct mg_jwt_fetch_stats *
mg_jwt_fetch_stats(void)
{
	return &fx.st;
}
