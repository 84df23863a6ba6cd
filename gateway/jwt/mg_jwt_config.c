/*
 * appliance.jwt into a verifier: see mg_jwt_config.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mg_b64url.h"
#include "mg_jwt_config.h"

#define JWKS_FILE_MAX (1u << 20)

/* Reads a whole file of at most <max> bytes; returns the heap buffer or NULL. */
static char *
read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = malloc(max + 1);
	if (buf == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n == 0 || n > max) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Fills <pc> from configuration provider <cp>; returns 0 or -1 with <err> set. */
static int
provider_cfg(const struct mg_cfg_jwt_provider *cp, struct mg_jwt_provider_cfg *pc, char *err,
             size_t errlen)
{
	unsigned int n = 0;

	memset(pc, 0, sizeof(*pc));
	snprintf(pc->name, sizeof(pc->name), "%s", cp->name);
	snprintf(pc->issuer, sizeof(pc->issuer), "%s", cp->issuer);
	pc->n_audiences = (unsigned int)cp->n_audiences;
	for (int i = 0; i < cp->n_audiences; i++)
		snprintf(pc->audiences[i], sizeof(pc->audiences[i]), "%s", cp->audiences[i]);
	for (int i = 0; i < cp->n_from_headers && n < MG_JWT_MAX_LOCATIONS; i++, n++) {
		pc->locations[n].kind = MG_JWT_LOC_HEADER;
		snprintf(pc->locations[n].name, sizeof(pc->locations[n].name), "%s",
		         cp->from_headers[i].name);
		snprintf(pc->locations[n].prefix, sizeof(pc->locations[n].prefix), "%s",
		         cp->from_headers[i].value_prefix);
	}
	for (int i = 0; i < cp->n_from_params && n < MG_JWT_MAX_LOCATIONS; i++, n++) {
		pc->locations[n].kind = MG_JWT_LOC_QUERY;
		snprintf(pc->locations[n].name, sizeof(pc->locations[n].name), "%s",
		         cp->from_params[i]);
	}
	for (int i = 0; i < cp->n_from_cookies && n < MG_JWT_MAX_LOCATIONS; i++, n++) {
		pc->locations[n].kind = MG_JWT_LOC_COOKIE;
		snprintf(pc->locations[n].name, sizeof(pc->locations[n].name), "%s",
		         cp->from_cookies[i]);
	}
	pc->n_locations = n;
	pc->forward = cp->forward;
	snprintf(pc->forward_payload_header, sizeof(pc->forward_payload_header), "%s",
	         cp->forward_payload_header);
	lower(pc->forward_payload_header);
	pc->n_claim_headers = (unsigned int)cp->n_claim_headers;
	for (int i = 0; i < cp->n_claim_headers; i++) {
		snprintf(pc->claim_headers[i].header, sizeof(pc->claim_headers[i].header), "%s",
		         cp->claim_headers[i].header_name);
		lower(pc->claim_headers[i].header);
		snprintf(pc->claim_headers[i].claim, sizeof(pc->claim_headers[i].claim), "%s",
		         cp->claim_headers[i].claim_name);
	}
	pc->exp_optional = !cp->require_expiration;
	pc->clock_skew_s = cp->clock_skew_s;
	pc->skew_set = true;
	pc->max_token_bytes = cp->max_token_bytes;
	pc->refresh_min_interval_s = cp->refresh_min_interval_s;
	pc->ecdsa_per_second = cp->ecdsa_per_second;
	if (cp->secret.kind == MG_CFG_JWT_SECRET_BASE64URL) {
		long l = mg_b64url_decode(cp->secret.base64url, strlen(cp->secret.base64url),
		                          pc->secret, sizeof(pc->secret));

		if (l < 32) {
			snprintf(
			    err, errlen,
			    "provider '%s': sharedSecret.base64url is not canonical base64url of "
			    "32..%d bytes",
			    cp->name, MG_JWT_MAX_SECRET);
			return -1;
		}
		pc->secret_len = (size_t)l;
	} else if (cp->secret.kind == MG_CFG_JWT_SECRET_FILE) {
		size_t l = 0;
		char *s = read_file(cp->secret.file, MG_JWT_MAX_SECRET, &l);

		if (s == NULL || l < 32) {
			snprintf(err, errlen,
			         "provider '%s': cannot read 32..%d bytes of secret from %s",
			         cp->name, MG_JWT_MAX_SECRET, cp->secret.file);
			free(s);
			return -1;
		}
		memcpy(pc->secret, s, l);
		pc->secret_len = l;
		free(s);
	}
	return 0;
}

struct mg_jwt_ctx *
mg_jwt_ctx_from_config(const struct mg_config *cfg, int *route_req, char *err, size_t errlen)
{
	const struct mg_cfg_jwt *jwt = &cfg->appliance.jwt;
	struct mg_jwt_provider_cfg *pc = NULL;
	struct mg_jwt_requirement_cfg *rc = NULL;
	struct mg_jwt_ctx *ctx;

	err[0] = '\0';
	for (int g = 0; g < cfg->n_gateway_routes; g++)
		route_req[g] = -1;
	if (!jwt->present)
		return NULL;
	ctx = mg_jwt_ctx_new(jwt->cache_entries, jwt->realm);
	pc = malloc(sizeof(*pc));
	rc = malloc(sizeof(*rc));
	if (ctx == NULL || pc == NULL || rc == NULL) {
		snprintf(err, errlen, "out of memory");
		goto bad;
	}
	for (int i = 0; i < jwt->n_providers; i++) {
		const struct mg_cfg_jwt_provider *cp = &jwt->providers[i];
		struct mg_jwt_provider *p;
		char why[128] = "";
		char *doc = NULL;
		size_t len = 0;
		int n;

		if (provider_cfg(cp, pc, err, errlen) < 0)
			goto bad;
		if (mg_jwt_provider_add(ctx, pc) != i) {
			snprintf(err, errlen, "provider '%s': invalid settings", cp->name);
			goto bad;
		}
		p = mg_jwt_provider_get(ctx, i);
		switch (cp->jwks.kind) {
		case MG_CFG_JWKS_FILE:
			doc = read_file(cp->jwks.file, JWKS_FILE_MAX, &len);
			if (doc == NULL) {
				snprintf(err, errlen, "provider '%s': cannot read JWKS file %s",
				         cp->name, cp->jwks.file);
				goto bad;
			}
			n = mg_jwt_provider_set_keys(p, doc, len, why, sizeof(why));
			free(doc);
			break;
		case MG_CFG_JWKS_INLINE:
			n = mg_jwt_provider_set_keys(p, cp->jwks.inline_json,
			                             strlen(cp->jwks.inline_json), why,
			                             sizeof(why));
			break;
		default:
			/* Remote: the fetcher installs the first set, as soon as it can. */
			mg_jwt_provider_want_refresh(p);
			n = 1;
			break;
		}
		if (n < 0) {
			snprintf(err, errlen, "provider '%s': invalid JWKS: %s", cp->name, why);
			goto bad;
		}
	}
	for (int i = 0; i < jwt->n_rules; i++) {
		const struct mg_cfg_jwt_rule *r = &jwt->rules[i];
		int idx;

		memset(rc, 0, sizeof(*rc));
		snprintf(rc->route, sizeof(rc->route), "%s", r->gateway_route);
		rc->n_providers = (unsigned int)r->n_providers;
		for (int k = 0; k < r->n_providers; k++)
			rc->providers[k] = r->provider_index[k];
		rc->all_of = r->match == MG_CFG_JWT_ALL;
		rc->allow_missing = r->allow_missing;
		rc->n_audiences = (unsigned int)r->n_audiences;
		for (int k = 0; k < r->n_audiences; k++)
			snprintf(rc->audiences[k], sizeof(rc->audiences[k]), "%s", r->audiences[k]);
		rc->n_claims = (unsigned int)r->n_claims;
		for (int k = 0; k < r->n_claims; k++) {
			snprintf(rc->claims[k].claim, sizeof(rc->claims[k].claim), "%s",
			         r->claims[k].name);
			snprintf(rc->claims[k].value, sizeof(rc->claims[k].value), "%s",
			         r->claims[k].value);
		}
		idx = mg_jwt_requirement_add(ctx, rc);
		if (idx < 0 || r->gateway_route_index < 0 ||
		    r->gateway_route_index >= cfg->n_gateway_routes) {
			snprintf(err, errlen, "route '%s': invalid requirement", r->gateway_route);
			goto bad;
		}
		route_req[r->gateway_route_index] = idx;
	}
	free(pc);
	free(rc);
	return ctx;
bad:
	free(pc);
	free(rc);
	mg_jwt_ctx_free(ctx);
	for (int g = 0; g < cfg->n_gateway_routes; g++)
		route_req[g] = -1;
	return NULL;
}
