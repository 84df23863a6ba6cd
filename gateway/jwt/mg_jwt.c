/*
 * JWT verification, claims, the verified-token cache and per-route requirements: see
 * mg_jwt.h for the contract and docs/JWT.md for the rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/constant_time.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "gateway/route/mg_match.h"
#include "mg_b64url.h"
#include "mg_jwt_int.h"

#define MAX_PROVIDERS    64
#define MAX_TOKEN_CAP    (64u << 10) /* the largest max_token_bytes accepted */
#define CACHE_WAYS       4
#define CACHE_NO_EXP_TTL 300 /* seconds a token without exp stays cached */
#define MAX_FOUND        (MG_JWT_MAX_LOCATIONS * 2)

struct mg_jwt_provider {
	struct mg_jwt_provider_cfg cfg;
	struct mg_jwt_ctx *ctx;
	int index;
	struct mg_jwks *keys; /* NULL until the first set is installed */
	uint32_t gen;
	bool refresh_wanted;
	bool signalled;
	uint64_t last_signal_s;
	uint64_t kid_misses, signals;
	uint64_t ecdsa_second; /* the second ecdsa_used counts in */
	uint32_t ecdsa_used;
};

struct mg_jwt_requirement {
	struct mg_jwt_requirement_cfg cfg;
};

struct cache_entry {
	uint8_t hash[32];
	uint64_t exp; /* 0: empty */
	uint32_t gen;
	int32_t provider;
};

struct mg_jwt_ctx {
	char realm[128];
	struct mg_jwt_provider *prov[MAX_PROVIDERS];
	int n_prov;
	struct mg_jwt_requirement **req;
	int n_req, cap_req;
	struct cache_entry *cache;
	unsigned int cache_sets; /* a power of two */
	/* Scratch for one token: decoded header, payload and signature, JSON tokens. */
	size_t scratch_cap;
	uint8_t *hdr, *pay, *sig;
	struct mg_jj_tok htoks[MG_JWT_JSON_TOKENS], ptoks[MG_JWT_JSON_TOKENS];
	struct mg_jj_doc pdoc; /* the payload of the last token that verified */
	struct mg_jwt_stats stats;
};

/* ---- names -------------------------------------------------------------------------------- */

static const char *const alg_names[MG_JWT_ALG_COUNT] = {
    [MG_JWT_RS256] = "RS256", [MG_JWT_RS384] = "RS384", [MG_JWT_RS512] = "RS512",
    [MG_JWT_PS256] = "PS256", [MG_JWT_PS384] = "PS384", [MG_JWT_PS512] = "PS512",
    [MG_JWT_ES256] = "ES256", [MG_JWT_ES384] = "ES384", [MG_JWT_ES512] = "ES512",
    [MG_JWT_HS256] = "HS256", [MG_JWT_HS384] = "HS384", [MG_JWT_HS512] = "HS512",
};

enum mg_jwt_alg
mg_jwt_alg_from_name(const char *s, size_t len)
{
	for (int a = 1; a < MG_JWT_ALG_COUNT; a++) {
		if (len == 5 && memcmp(s, alg_names[a], 5) == 0)
			return (enum mg_jwt_alg)a;
	}
	return MG_JWT_ALG_INVALID;
}

const char *
mg_jwt_alg_name(enum mg_jwt_alg alg)
{
	return alg > 0 && alg < MG_JWT_ALG_COUNT ? alg_names[alg] : "invalid";
}

static const struct {
	const char *label;
	const char *text;
	int status;
} reasons[MG_JWT_REASON_COUNT] = {
    [MG_JWT_OK] = {"allowed", "Jwt verification passed", 200},
    [MG_JWT_R_MISSING] = {"missing", "Jwt is missing", 401},
    [MG_JWT_R_TOO_LARGE] = {"too_large", "Jwt is too large", 401},
    [MG_JWT_R_MALFORMED] = {"malformed", "Jwt is not in the form of Header.Payload.Signature", 401},
    [MG_JWT_R_BASE64] = {"base64", "Jwt is not canonical base64url", 401},
    [MG_JWT_R_HEADER_JSON] = {"header_json", "Jwt header is an invalid JSON", 401},
    [MG_JWT_R_PAYLOAD_JSON] = {"payload_json", "Jwt payload is an invalid JSON", 401},
    [MG_JWT_R_ALG_NONE] = {"alg_none", "Jwt algorithm none is not allowed", 401},
    [MG_JWT_R_ALG_UNSUPPORTED] = {"alg_unsupported", "Jwt algorithm is not supported", 401},
    [MG_JWT_R_HEADER_INVALID] = {"header_invalid", "Jwt header is invalid", 401},
    [MG_JWT_R_NO_KEYS] = {"no_keys", "Jwks is not available", 401},
    [MG_JWT_R_KID_UNKNOWN] = {"kid_unknown", "Jwks doesn't have key to match kid or alg from Jwt",
                              401},
    [MG_JWT_R_KEY_MISMATCH] = {"key_mismatch", "Jwks doesn't have key to match kid or alg from Jwt",
                               401},
    [MG_JWT_R_SIG_FORMAT] = {"signature_format", "Jwt signature is malformed", 401},
    [MG_JWT_R_SIG_INVALID] = {"signature_invalid", "Jwt verification fails", 401},
    [MG_JWT_R_CLAIM_TYPE] = {"claim_type", "Jwt has an invalid registered claim", 401},
    [MG_JWT_R_EXP_MISSING] = {"exp_missing", "Jwt has no expiration", 401},
    [MG_JWT_R_EXPIRED] = {"expired", "Jwt is expired", 401},
    [MG_JWT_R_NOT_YET_VALID] = {"not_yet_valid", "Jwt not yet valid", 401},
    [MG_JWT_R_IAT_FUTURE] = {"iat_future", "Jwt issued in the future", 401},
    [MG_JWT_R_ISSUER] = {"issuer", "Jwt issuer is not configured", 401},
    [MG_JWT_R_AUDIENCE] = {"audience", "Audiences in Jwt are not allowed", 403},
    [MG_JWT_R_CLAIM_MISMATCH] = {"claim_mismatch", "Jwt lacks a required claim", 403},
    [MG_JWT_R_REQUEST] = {"request", "Jwt location is ambiguous", 401},
    [MG_JWT_R_BUSY] = {"busy", "Jwt verification is busy, retry later", 503},
};

const char *
mg_jwt_reason_label(enum mg_jwt_reason r)
{
	return (unsigned int)r < MG_JWT_REASON_COUNT ? reasons[r].label : "unknown";
}

const char *
mg_jwt_reason_text(enum mg_jwt_reason r)
{
	return (unsigned int)r < MG_JWT_REASON_COUNT ? reasons[r].text : "Jwt verification fails";
}

int
mg_jwt_reason_status(enum mg_jwt_reason r)
{
	return (unsigned int)r < MG_JWT_REASON_COUNT ? reasons[r].status : 401;
}

/* ---- context, providers, requirements ------------------------------------------------------ */

struct mg_jwt_ctx *
mg_jwt_ctx_new(unsigned int cache_entries, const char *realm)
{
	struct mg_jwt_ctx *ctx = calloc(1, sizeof(*ctx));
	unsigned int sets = 1;

	if (ctx == NULL)
		return NULL;
	snprintf(ctx->realm, sizeof(ctx->realm), "%s", realm != NULL ? realm : "meshgate");
	if (cache_entries == 0)
		cache_entries = MG_JWT_DEFAULT_CACHE;
	while (sets * CACHE_WAYS < cache_entries && sets < (1u << 20))
		sets <<= 1;
	ctx->cache_sets = sets;
	ctx->cache = calloc((size_t)sets * CACHE_WAYS, sizeof(*ctx->cache));
	if (ctx->cache == NULL) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

void
mg_jwt_ctx_free(struct mg_jwt_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (int i = 0; i < ctx->n_prov; i++) {
		if (ctx->prov[i]->keys != NULL) {
			mg_jwks_free(ctx->prov[i]->keys);
			free(ctx->prov[i]->keys);
		}
		free(ctx->prov[i]);
	}
	for (int i = 0; i < ctx->n_req; i++)
		free(ctx->req[i]);
	free(ctx->req);
	free(ctx->cache);
	free(ctx->hdr);
	free(ctx->pay);
	free(ctx->sig);
	free(ctx);
}

/* True for a field name made of token characters, lower case. */
static bool
valid_header_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", c)))
			return false;
	}
	return true;
}

int
mg_jwt_provider_add(struct mg_jwt_ctx *ctx, const struct mg_jwt_provider_cfg *cfg)
{
	struct mg_jwt_provider *p;
	size_t need;

	if (ctx->n_prov == MAX_PROVIDERS)
		return -ENOSPC;
	if (cfg->name[0] == '\0' || mg_jwt_provider_find(ctx, cfg->name) >= 0 ||
	    cfg->n_audiences > MG_JWT_MAX_AUDIENCES || cfg->n_locations > MG_JWT_MAX_LOCATIONS ||
	    cfg->n_claim_headers > MG_JWT_MAX_CLAIM_HDRS || cfg->secret_len > MG_JWT_MAX_SECRET ||
	    cfg->max_token_bytes > MAX_TOKEN_CAP)
		return -EINVAL;
	for (unsigned int i = 0; i < cfg->n_claim_headers; i++) {
		if (!valid_header_name(cfg->claim_headers[i].header) ||
		    cfg->claim_headers[i].claim[0] == '\0')
			return -EINVAL;
	}
	if (cfg->forward_payload_header[0] != '\0' &&
	    !valid_header_name(cfg->forward_payload_header))
		return -EINVAL;
	for (unsigned int i = 0; i < cfg->n_locations; i++) {
		if (cfg->locations[i].name[0] == '\0')
			return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->cfg = *cfg;
	if (!cfg->skew_set && p->cfg.clock_skew_s == 0)
		p->cfg.clock_skew_s = MG_JWT_DEFAULT_SKEW;
	if (p->cfg.max_token_bytes == 0)
		p->cfg.max_token_bytes = MG_JWT_DEFAULT_MAX_TOKEN;
	if (p->cfg.refresh_min_interval_s == 0)
		p->cfg.refresh_min_interval_s = MG_JWT_DEFAULT_REFRESH_MIN;
	if (p->cfg.n_locations == 0) {
		p->cfg.n_locations = 2;
		p->cfg.locations[0] = (struct mg_jwt_location){.kind = MG_JWT_LOC_HEADER};
		strcpy(p->cfg.locations[0].name, "authorization");
		strcpy(p->cfg.locations[0].prefix, "Bearer ");
		p->cfg.locations[1] = (struct mg_jwt_location){.kind = MG_JWT_LOC_QUERY};
		strcpy(p->cfg.locations[1].name, "access_token");
	}
	need = p->cfg.max_token_bytes;
	if (need > ctx->scratch_cap) {
		uint8_t *h = realloc(ctx->hdr, need), *y, *s;

		if (h != NULL)
			ctx->hdr = h;
		y = realloc(ctx->pay, need);
		if (y != NULL)
			ctx->pay = y;
		s = realloc(ctx->sig, need);
		if (s != NULL)
			ctx->sig = s;
		if (h == NULL || y == NULL || s == NULL) {
			free(p);
			return -ENOMEM;
		}
		ctx->scratch_cap = need;
	}
	p->ctx = ctx;
	p->index = ctx->n_prov;
	ctx->prov[ctx->n_prov++] = p;
	return p->index;
}

struct mg_jwt_provider *
mg_jwt_provider_get(struct mg_jwt_ctx *ctx, int index)
{
	return index >= 0 && index < ctx->n_prov ? ctx->prov[index] : NULL;
}

int
mg_jwt_provider_find(const struct mg_jwt_ctx *ctx, const char *name)
{
	for (int i = 0; i < ctx->n_prov; i++) {
		if (strcmp(ctx->prov[i]->cfg.name, name) == 0)
			return i;
	}
	return -1;
}

int
mg_jwt_provider_set_keys(struct mg_jwt_provider *p, const char *jwks_json, size_t len, char *err,
                         size_t errlen)
{
	struct mg_jwks *set = calloc(1, sizeof(*set));
	int n;

	if (set == NULL)
		return -ENOMEM;
	n = mg_jwks_parse(set, jwks_json, len, err, errlen);
	if (n < 0) {
		free(set);
		return n;
	}
	if (p->keys != NULL) {
		mg_jwks_free(p->keys);
		free(p->keys);
	}
	p->keys = set;
	/* Cache entries carry the generation they were verified with: bumping it drops them. */
	p->gen++;
	return n;
}

void
mg_jwt_provider_want_refresh(struct mg_jwt_provider *p)
{
	p->refresh_wanted = true;
}

bool
mg_jwt_provider_refresh_wanted(struct mg_jwt_provider *p)
{
	bool w = p->refresh_wanted;

	p->refresh_wanted = false;
	return w;
}

uint64_t
mg_jwt_provider_kid_misses(const struct mg_jwt_provider *p)
{
	return p->kid_misses;
}

uint64_t
mg_jwt_provider_refresh_signals(const struct mg_jwt_provider *p)
{
	return p->signals;
}

uint32_t
mg_jwt_provider_keys_generation(const struct mg_jwt_provider *p)
{
	return p->gen;
}

int
mg_jwt_requirement_add(struct mg_jwt_ctx *ctx, const struct mg_jwt_requirement_cfg *cfg)
{
	struct mg_jwt_requirement *r;

	if (cfg->n_providers == 0 || cfg->n_providers > MG_JWT_MAX_REQ_PROV ||
	    cfg->n_audiences > MG_JWT_MAX_AUDIENCES || cfg->n_claims > MG_JWT_MAX_REQ_CLAIMS)
		return -EINVAL;
	for (unsigned int i = 0; i < cfg->n_providers; i++) {
		if (cfg->providers[i] < 0 || cfg->providers[i] >= ctx->n_prov)
			return -EINVAL;
	}
	if (ctx->n_req == ctx->cap_req) {
		int cap = ctx->cap_req ? ctx->cap_req * 2 : 8;
		struct mg_jwt_requirement **a = realloc(ctx->req, (size_t)cap * sizeof(*a));

		if (a == NULL)
			return -ENOMEM;
		ctx->req = a;
		ctx->cap_req = cap;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->cfg = *cfg;
	ctx->req[ctx->n_req] = r;
	return ctx->n_req++;
}

const struct mg_jwt_requirement *
mg_jwt_requirement_get(const struct mg_jwt_ctx *ctx, int index)
{
	return index >= 0 && index < ctx->n_req ? ctx->req[index] : NULL;
}

const struct mg_jwt_stats *
mg_jwt_stats(const struct mg_jwt_ctx *ctx)
{
	return &ctx->stats;
}

/* ---- the cache ------------------------------------------------------------------------------ */

static struct cache_entry *
cache_set(struct mg_jwt_ctx *ctx, const uint8_t hash[32])
{
	uint32_t h;

	memcpy(&h, hash, sizeof(h));
	return &ctx->cache[(size_t)(h & (ctx->cache_sets - 1)) * CACHE_WAYS];
}

static bool
cache_lookup(struct mg_jwt_ctx *ctx, const struct mg_jwt_provider *p, const uint8_t hash[32],
             uint64_t now_s)
{
	struct cache_entry *set = cache_set(ctx, hash);

	for (int w = 0; w < CACHE_WAYS; w++) {
		struct cache_entry *e = &set[w];

		if (e->exp > now_s && e->provider == p->index && e->gen == p->gen &&
		    memcmp(e->hash, hash, 32) == 0)
			return true;
	}
	return false;
}

static void
cache_insert(struct mg_jwt_ctx *ctx, const struct mg_jwt_provider *p, const uint8_t hash[32],
             uint64_t exp, uint64_t now_s)
{
	struct cache_entry *set = cache_set(ctx, hash), *victim = &set[0];

	for (int w = 0; w < CACHE_WAYS; w++) {
		if (set[w].exp <= now_s) {
			victim = &set[w];
			break;
		}
		if (set[w].exp < victim->exp)
			victim = &set[w];
	}
	if (victim->exp > now_s)
		ctx->stats.cache_evictions++;
	memcpy(victim->hash, hash, 32);
	victim->exp = exp;
	victim->gen = p->gen;
	victim->provider = p->index;
	ctx->stats.cache_inserts++;
}

void
mg_jwt_cache_clear(struct mg_jwt_ctx *ctx)
{
	memset(ctx->cache, 0, (size_t)ctx->cache_sets * CACHE_WAYS * sizeof(*ctx->cache));
}

/* ---- claims -----------------------------------------------------------------------------------
 */

enum mg_jwt_reason
mg_jwt_claims_check(const struct mg_jwt_provider *p, const struct mg_jj_doc *doc, uint64_t now_s,
                    const char (*audiences)[MG_JWT_STR_MAX], unsigned int n_aud, uint64_t *exp_out)
{
	uint64_t skew = p->cfg.clock_skew_s;
	int64_t t;
	int v;

	*exp_out = 0;
	v = mg_jj_get(doc, 0, "exp", 3);
	if (v >= 0) {
		if (mg_jj_numeric_date(doc, v, &t) != 0)
			return MG_JWT_R_CLAIM_TYPE;
		*exp_out = (uint64_t)t;
		if ((uint64_t)t + skew <= now_s)
			return MG_JWT_R_EXPIRED;
	} else if (!p->cfg.exp_optional) {
		return MG_JWT_R_EXP_MISSING;
	}
	v = mg_jj_get(doc, 0, "nbf", 3);
	if (v >= 0) {
		if (mg_jj_numeric_date(doc, v, &t) != 0)
			return MG_JWT_R_CLAIM_TYPE;
		if ((uint64_t)t > now_s + skew)
			return MG_JWT_R_NOT_YET_VALID;
	}
	v = mg_jj_get(doc, 0, "iat", 3);
	if (v >= 0) {
		if (mg_jj_numeric_date(doc, v, &t) != 0)
			return MG_JWT_R_CLAIM_TYPE;
		if ((uint64_t)t > now_s + skew)
			return MG_JWT_R_IAT_FUTURE;
	}
	if (p->cfg.issuer[0] != '\0') {
		v = mg_jj_get(doc, 0, "iss", 3);
		if (v >= 0 && doc->toks[v].type != MG_JJ_STRING)
			return MG_JWT_R_CLAIM_TYPE;
		if (v < 0 || !mg_jj_str_eq(doc, v, p->cfg.issuer, strlen(p->cfg.issuer)))
			return MG_JWT_R_ISSUER;
	}
	if (n_aud == 0) {
		audiences = p->cfg.audiences;
		n_aud = p->cfg.n_audiences;
	}
	if (n_aud > 0) {
		bool found = false;

		v = mg_jj_get(doc, 0, "aud", 3);
		if (v < 0)
			return MG_JWT_R_AUDIENCE;
		if (doc->toks[v].type == MG_JJ_STRING) {
			for (unsigned int a = 0; a < n_aud && !found; a++)
				found = mg_jj_str_eq(doc, v, audiences[a], strlen(audiences[a]));
		} else if (doc->toks[v].type == MG_JJ_ARRAY) {
			int e = v + 1;

			for (int i = 0; i < doc->toks[v].size; i++, e = mg_jj_skip(doc, e)) {
				if (doc->toks[e].type != MG_JJ_STRING)
					return MG_JWT_R_CLAIM_TYPE;
				for (unsigned int a = 0; a < n_aud && !found; a++)
					found = mg_jj_str_eq(doc, e, audiences[a],
					                     strlen(audiences[a]));
			}
		} else {
			return MG_JWT_R_CLAIM_TYPE;
		}
		if (!found)
			return MG_JWT_R_AUDIENCE;
	}
	return MG_JWT_OK;
}

/* True when one JSON scalar <tok> matches <value> (strings unescaped, others as spelled). */
static bool
scalar_matches(const struct mg_jj_doc *doc, int tok, const char *value, size_t vlen)
{
	size_t n;
	const char *raw;

	if (doc->toks[tok].type == MG_JJ_STRING)
		return mg_jj_str_eq(doc, tok, value, vlen);
	if (doc->toks[tok].type != MG_JJ_PRIMITIVE || mg_jj_is_literal(doc, tok, "null"))
		return false;
	raw = mg_jj_raw(doc, tok, &n);
	return n == vlen && memcmp(raw, value, n) == 0;
}

bool
mg_jwt_claim_matches(const struct mg_jj_doc *doc, const struct mg_jwt_claim_req *c)
{
	size_t clen = strlen(c->claim), vlen = strlen(c->value);
	const char *last = strrchr(c->claim, '.');
	int v = mg_jj_path(doc, 0, c->claim, clen);

	last = last != NULL ? last + 1 : c->claim;
	if (v < 0)
		return false;
	if (doc->toks[v].type == MG_JJ_ARRAY) {
		int e = v + 1;

		for (int i = 0; i < doc->toks[v].size; i++, e = mg_jj_skip(doc, e)) {
			if (scalar_matches(doc, e, c->value, vlen))
				return true;
		}
		return false;
	}
	if (doc->toks[v].type == MG_JJ_STRING &&
	    (strcmp(last, "scope") == 0 || strcmp(last, "scp") == 0)) {
		char buf[2048];
		long n = mg_jj_str(doc, v, buf, sizeof(buf));
		long a = 0;

		if (n < 0)
			return false;
		while (a < n) {
			long b = a;

			while (b < n && buf[b] != ' ')
				b++;
			if ((size_t)(b - a) == vlen && memcmp(buf + a, c->value, vlen) == 0)
				return true;
			a = b + 1;
		}
		return false;
	}
	return scalar_matches(doc, v, c->value, vlen);
}

/* ---- one token ----------------------------------------------------------------------------------
 */

static bool
is_b64url_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Raises "refresh wanted", at most once per refresh_min_interval_s. */
static void
signal_refresh(struct mg_jwt_provider *p, uint64_t now_s)
{
	if (!p->signalled || now_s >= p->last_signal_s + p->cfg.refresh_min_interval_s) {
		p->signalled = true;
		p->last_signal_s = now_s;
		p->refresh_wanted = true;
		p->signals++;
	}
}

static mbedtls_md_type_t
hs_md(enum mg_jwt_alg alg)
{
	return alg == MG_JWT_HS256   ? MBEDTLS_MD_SHA256
	       : alg == MG_JWT_HS384 ? MBEDTLS_MD_SHA384
	                             : MBEDTLS_MD_SHA512;
}

/* Checks the signature of <signing_input> (header.payload) with <p>'s keys or secret. */
static enum mg_jwt_reason
check_signature(struct mg_jwt_ctx *ctx, struct mg_jwt_provider *p, const struct mg_jj_doc *hd,
                const char *signing_input, size_t in_len, const uint8_t *sig, size_t slen,
                uint64_t now_s)
{
	char name[16];
	int v = mg_jj_get(hd, 0, "alg", 3);
	long n;
	enum mg_jwt_alg alg;
	int kid;
	bool any_suits = false, any_format = false;

	if (v < 0 || hd->toks[v].type != MG_JJ_STRING)
		return MG_JWT_R_HEADER_INVALID;
	n = mg_jj_str(hd, v, name, sizeof(name));
	if (n == 4 && strncasecmp(name, "none", 4) == 0)
		return MG_JWT_R_ALG_NONE;
	alg = n > 0 ? mg_jwt_alg_from_name(name, (size_t)n) : MG_JWT_ALG_INVALID;
	if (alg == MG_JWT_ALG_INVALID)
		return MG_JWT_R_ALG_UNSUPPORTED;
	/* No extension is understood, so a token that marks one critical is refused (7515 4.1.11).
	 */
	if (mg_jj_get(hd, 0, "crit", 4) >= 0)
		return MG_JWT_R_HEADER_INVALID;
	v = mg_jj_get(hd, 0, "typ", 3);
	if (v >= 0 && hd->toks[v].type != MG_JJ_STRING)
		return MG_JWT_R_HEADER_INVALID;
	kid = mg_jj_get(hd, 0, "kid", 3);
	if (kid >= 0 && hd->toks[kid].type != MG_JJ_STRING)
		return MG_JWT_R_HEADER_INVALID;
	if (slen == 0)
		return MG_JWT_R_SIG_FORMAT;
	ctx->stats.sig_verifications++;

	if (alg >= MG_JWT_HS256) {
		/* Only with a secret configured for this provider: never with a JWKS key. */
		const mbedtls_md_info_t *info = mbedtls_md_info_from_type(hs_md(alg));
		uint8_t mac[64];

		if (p->cfg.secret_len == 0 || info == NULL)
			return MG_JWT_R_ALG_UNSUPPORTED;
		if (slen != mbedtls_md_get_size(info))
			return MG_JWT_R_SIG_FORMAT;
		if (mbedtls_md_hmac(info, p->cfg.secret, p->cfg.secret_len,
		                    (const unsigned char *)signing_input, in_len, mac) != 0)
			return MG_JWT_R_SIG_INVALID;
		return mbedtls_ct_memcmp(mac, sig, slen) == 0 ? MG_JWT_OK : MG_JWT_R_SIG_INVALID;
	}
	if (p->keys == NULL) {
		signal_refresh(p, now_s);
		return MG_JWT_R_NO_KEYS;
	}
	if (kid >= 0) {
		bool kid_found = false;

		for (unsigned int i = 0; i < p->keys->n; i++) {
			const struct mg_jwk *k = &p->keys->keys[i];

			kid_found =
			    kid_found || (k->has_kid && mg_jj_str_eq(hd, kid, k->kid, k->kid_len));
		}
		if (!kid_found) {
			p->kid_misses++;
			signal_refresh(p, now_s);
			return MG_JWT_R_KID_UNKNOWN;
		}
	}
	if (alg >= MG_JWT_ES256 && alg <= MG_JWT_ES512 && p->cfg.ecdsa_per_second != 0) {
		/* An ECDSA verification costs ~1 ms: a flood of distinct tokens is bounded. */
		if (p->ecdsa_second != now_s) {
			p->ecdsa_second = now_s;
			p->ecdsa_used = 0;
		}
		if (p->ecdsa_used >= p->cfg.ecdsa_per_second)
			return MG_JWT_R_BUSY;
		p->ecdsa_used++;
	}
	for (unsigned int i = 0; i < p->keys->n; i++) {
		const struct mg_jwk *k = &p->keys->keys[i];
		enum mg_jwt_reason r;

		if (kid >= 0 && !(k->has_kid && mg_jj_str_eq(hd, kid, k->kid, k->kid_len)))
			continue;
		if (!mg_jwk_suits(k, alg))
			continue;
		any_suits = true;
		r = mg_jwk_verify(k, alg, (const uint8_t *)signing_input, in_len, sig, slen);
		if (r == MG_JWT_OK)
			return MG_JWT_OK;
		any_format = any_format || r == MG_JWT_R_SIG_FORMAT;
	}
	if (!any_suits)
		return MG_JWT_R_KEY_MISMATCH;
	return any_format ? MG_JWT_R_SIG_FORMAT : MG_JWT_R_SIG_INVALID;
}

static enum mg_jwt_reason
verify_token(struct mg_jwt_ctx *ctx, struct mg_jwt_provider *p, const char *tok, size_t len,
             uint64_t now_s, const char (*audiences)[MG_JWT_STR_MAX], unsigned int n_aud, bool *hit)
{
	size_t d1 = 0, d2 = 0, ndots = 0;
	struct mg_jj_doc hd;
	uint8_t hash[32];
	long hl, pl, sl;
	uint64_t exp;
	enum mg_jwt_reason r;

	*hit = false;
	ctx->pdoc.n = 0;
	if (len > p->cfg.max_token_bytes)
		return MG_JWT_R_TOO_LARGE;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tok[i];

		if (c == '.') {
			if (++ndots == 1)
				d1 = i;
			else
				d2 = i;
		} else if (!is_b64url_char(c) && c != '=') {
			/* '=' reaches the decoder, which refuses padding as non-canonical. */
			return MG_JWT_R_MALFORMED;
		}
	}
	if (ndots != 2 || d1 == 0 || d2 == d1 + 1)
		return MG_JWT_R_MALFORMED;

	if (mbedtls_sha256((const unsigned char *)tok, len, hash, 0) != 0)
		return MG_JWT_R_SIG_INVALID;
	*hit = cache_lookup(ctx, p, hash, now_s);

	/* The payload is parsed first so a token of another issuer is told apart cheaply. */
	pl = mg_b64url_decode(tok + d1 + 1, d2 - d1 - 1, ctx->pay, ctx->scratch_cap);
	if (pl < 0)
		return MG_JWT_R_BASE64;
	if (mg_jj_parse(&ctx->pdoc, (const char *)ctx->pay, (size_t)pl, ctx->ptoks,
	                MG_JWT_JSON_TOKENS, MG_JWT_JSON_DEPTH) != MG_JJ_OK)
		return MG_JWT_R_PAYLOAD_JSON;
	if (p->cfg.issuer[0] != '\0') {
		int v = mg_jj_get(&ctx->pdoc, 0, "iss", 3);

		if (v < 0 || !mg_jj_str_eq(&ctx->pdoc, v, p->cfg.issuer, strlen(p->cfg.issuer))) {
			ctx->pdoc.n = 0;
			return v >= 0 && ctx->pdoc.toks[v].type != MG_JJ_STRING
			           ? MG_JWT_R_CLAIM_TYPE
			           : MG_JWT_R_ISSUER;
		}
	}
	if (*hit) {
		ctx->stats.cache_hits++;
	} else {
		ctx->stats.cache_misses++;
		hl = mg_b64url_decode(tok, d1, ctx->hdr, ctx->scratch_cap);
		if (hl < 0)
			goto bad_b64;
		if (mg_jj_parse(&hd, (const char *)ctx->hdr, (size_t)hl, ctx->htoks,
		                MG_JWT_JSON_TOKENS, MG_JWT_JSON_DEPTH) != MG_JJ_OK) {
			ctx->pdoc.n = 0;
			return MG_JWT_R_HEADER_JSON;
		}
		sl = mg_b64url_decode(tok + d2 + 1, len - d2 - 1, ctx->sig, ctx->scratch_cap);
		if (sl < 0)
			goto bad_b64;
		r = check_signature(ctx, p, &hd, tok, d2, ctx->sig, (size_t)sl, now_s);
		if (r != MG_JWT_OK) {
			ctx->pdoc.n = 0;
			return r;
		}
	}
	r = mg_jwt_claims_check(p, &ctx->pdoc, now_s, audiences, n_aud, &exp);
	if (r != MG_JWT_OK) {
		/* Audience mismatches keep the payload for nothing: drop it like every failure. */
		ctx->pdoc.n = 0;
		return r;
	}
	if (!*hit)
		cache_insert(ctx, p, hash, exp != 0 ? exp : now_s + CACHE_NO_EXP_TTL, now_s);
	return MG_JWT_OK;
bad_b64:
	ctx->pdoc.n = 0;
	return MG_JWT_R_BASE64;
}

enum mg_jwt_reason
mg_jwt_verify_token(struct mg_jwt_ctx *ctx, struct mg_jwt_provider *p, const char *token,
                    size_t len, uint64_t now_s, const char (*audiences)[MG_JWT_STR_MAX],
                    unsigned int n_audiences)
{
	bool hit;

	return verify_token(ctx, p, token, len, now_s, audiences, n_audiences, &hit);
}

/* ---- requests
 * ------------------------------------------------------------------------------------ */

void
mg_jwt_outcome_init(struct mg_jwt_outcome *out, char *buf, size_t cap)
{
	memset(out, 0, offsetof(struct mg_jwt_outcome, buf));
	out->provider = -1;
	out->buf = buf;
	out->cap = cap;
	out->used = 0;
}

static bool
name_is(const struct mg_h1_view *v, const char *name)
{
	size_t n = strlen(name);

	return v->len == n && strncasecmp(v->p, name, n) == 0;
}

static void
drop_field(struct mg_jwt_outcome *out, unsigned int i)
{
	out->drop[i / 64] |= (uint64_t)1 << (i % 64);
}

struct found_token {
	const char *p;
	size_t len;
	int field; /* header field index, -1 for query and cookie */
};

/*
 * Collects the tokens of <p>'s locations in <req>.  Returns MG_JWT_OK or MG_JWT_R_REQUEST
 * (one header location present twice).
 */
static enum mg_jwt_reason
find_tokens(const struct mg_jwt_provider *p, const struct mg_h1_request *req, struct found_token *f,
            unsigned int *nf)
{
	const struct mg_h1_field *fields = req->head.fields;
	unsigned int n = req->head.nfields;

	*nf = 0;
	for (unsigned int l = 0; l < p->cfg.n_locations; l++) {
		const struct mg_jwt_location *loc = &p->cfg.locations[l];

		if (loc->kind == MG_JWT_LOC_HEADER) {
			size_t plen = strlen(loc->prefix);
			int seen = 0;

			for (unsigned int i = 0; i < n && fields != NULL; i++) {
				const struct mg_h1_view *v = &fields[i].value;
				size_t a;

				if (!name_is(&fields[i].name, loc->name))
					continue;
				if (v->len < plen || strncasecmp(v->p, loc->prefix, plen) != 0)
					continue;
				if (++seen > 1)
					return MG_JWT_R_REQUEST;
				a = plen;
				while (a < v->len && v->p[a] == ' ')
					a++;
				f[*nf] = (struct found_token){v->p + a, v->len - a, (int)i};
				(*nf)++;
			}
		} else if (loc->kind == MG_JWT_LOC_QUERY) {
			const char *v;
			int len = mg_match_query_param(req->query.p, req->query.len, loc->name,
			                               strlen(loc->name), &v);

			if (len >= 0) {
				f[*nf] = (struct found_token){v, (size_t)len, -1};
				(*nf)++;
			}
		} else if (loc->kind == MG_JWT_LOC_COOKIE) {
			size_t nlen = strlen(loc->name);
			bool got = false;

			for (unsigned int i = 0; i < n && fields != NULL && !got; i++) {
				const struct mg_h1_view *v = &fields[i].value;
				size_t a = 0;

				if (!name_is(&fields[i].name, "cookie"))
					continue;
				while (a < v->len && !got) {
					size_t b = a, eq;

					while (b < v->len && v->p[b] != ';')
						b++;
					while (a < b && v->p[a] == ' ')
						a++;
					for (eq = a; eq < b && v->p[eq] != '='; eq++)
						;
					if (eq < b && eq - a == nlen &&
					    memcmp(v->p + a, loc->name, nlen) == 0) {
						size_t e = b;

						while (e > eq + 1 && v->p[e - 1] == ' ')
							e--;
						f[*nf] = (struct found_token){v->p + eq + 1,
						                              e - eq - 1, -1};
						(*nf)++;
						got = true;
					}
					a = b + 1;
				}
			}
		}
	}
	return MG_JWT_OK;
}

/* Copies <n> bytes into the outcome's buffer; NULL when they do not fit. */
static const char *
out_copy(struct mg_jwt_outcome *out, const char *s, size_t n)
{
	char *d;

	if (out->cap - out->used < n)
		return NULL;
	d = out->buf + out->used;
	memcpy(d, s, n);
	out->used += n;
	return d;
}

static void
out_add(struct mg_jwt_outcome *out, const char *name, const char *v, size_t vlen)
{
	if (out->n_add == MG_JWT_MAX_ADD)
		return;
	out->add[out->n_add++] = (struct mg_jwt_header){{name, strlen(name)}, {v, vlen}};
}

/* Adds <p>'s claim headers and payload header for the token that just verified. */
static void
add_claim_headers(struct mg_jwt_ctx *ctx, const struct mg_jwt_provider *p,
                  const struct found_token *t, struct mg_jwt_outcome *out)
{
	const struct mg_jj_doc *doc = &ctx->pdoc;

	for (unsigned int i = 0; i < p->cfg.n_claim_headers && doc->n > 0; i++) {
		const struct mg_jwt_claim_header *ch = &p->cfg.claim_headers[i];
		int v = mg_jj_path(doc, 0, ch->claim, strlen(ch->claim));
		const char *val = NULL;
		size_t n = 0;

		if (v < 0)
			continue;
		if (doc->toks[v].type == MG_JJ_STRING) {
			char tmp[MG_JWT_STR_MAX * 4];
			long l = mg_jj_str(doc, v, tmp, sizeof(tmp));
			bool clean = l >= 0;

			/* A value with a control character could split the header: left out. */
			for (long k = 0; k < l && clean; k++)
				clean = (unsigned char)tmp[k] >= 0x20 && tmp[k] != 0x7f;
			if (clean) {
				val = out_copy(out, tmp, (size_t)l);
				n = (size_t)l;
			}
		} else if (doc->toks[v].type == MG_JJ_PRIMITIVE &&
		           !mg_jj_is_literal(doc, v, "null")) {
			const char *raw = mg_jj_raw(doc, v, &n);

			val = out_copy(out, raw, n);
		}
		if (val != NULL)
			out_add(out, ch->header, val, n);
	}
	if (p->cfg.forward_payload_header[0] != '\0') {
		const char *d1 = memchr(t->p, '.', t->len);
		const char *d2 =
		    d1 != NULL ? memchr(d1 + 1, '.', t->len - (size_t)(d1 + 1 - t->p)) : NULL;

		if (d2 != NULL)
			out_add(out, p->cfg.forward_payload_header, d1 + 1, (size_t)(d2 - d1 - 1));
	}
}

static enum mg_jwt_result
deny(struct mg_jwt_ctx *ctx, struct mg_jwt_outcome *out, enum mg_jwt_reason r)
{
	int n;

	out->reason = r;
	out->status = mg_jwt_reason_status(r);
	out->n_add = 0;
	out->body.p = mg_jwt_reason_text(r);
	out->body.len = strlen(out->body.p);
	if (out->status == 503)
		n = 0; /* busy: not a credentials problem, no WWW-Authenticate */
	else if (r == MG_JWT_R_MISSING)
		n = snprintf(out->buf, out->cap, "Bearer realm=\"%s\"", ctx->realm);
	else
		n = snprintf(
		    out->buf, out->cap,
		    "Bearer realm=\"%s\", error=\"%s\", error_description=\"%s\"", ctx->realm,
		    out->status == 403 ? "insufficient_scope" : "invalid_token", out->body.p);
	if (n < 0 || (size_t)n >= out->cap)
		n = 0;
	out->www_authenticate.p = out->buf;
	out->www_authenticate.len = (size_t)n;
	out->used = (size_t)n;
	ctx->stats.by_reason[r]++;
	return MG_JWT_DENY;
}

enum mg_jwt_result
mg_jwt_check(struct mg_jwt_ctx *ctx, const struct mg_jwt_requirement *rq,
             const struct mg_h1_request *req, uint64_t now_s, struct mg_jwt_outcome *out)
{
	const struct mg_jwt_requirement_cfg *rc = &rq->cfg;
	const struct mg_h1_field *fields = req->head.fields;
	unsigned int nfields = fields != NULL ? req->head.nfields : 0;
	enum mg_jwt_reason first_fail = MG_JWT_OK;
	unsigned int n_ok = 0, n_present = 0;

	if (nfields > MG_JWT_MAX_FIELDS)
		return deny(ctx, out, MG_JWT_R_REQUEST);
	/* Incoming fields named like a claim or payload header could spoof one: always dropped. */
	for (unsigned int k = 0; k < rc->n_providers; k++) {
		const struct mg_jwt_provider *p = ctx->prov[rc->providers[k]];

		for (unsigned int i = 0; i < nfields; i++) {
			bool spoof = p->cfg.forward_payload_header[0] != '\0' &&
			             name_is(&fields[i].name, p->cfg.forward_payload_header);

			for (unsigned int h = 0; h < p->cfg.n_claim_headers && !spoof; h++)
				spoof = name_is(&fields[i].name, p->cfg.claim_headers[h].header);
			if (spoof)
				drop_field(out, i);
		}
	}
	for (unsigned int k = 0; k < rc->n_providers; k++) {
		struct mg_jwt_provider *p = ctx->prov[rc->providers[k]];
		struct found_token found[MAX_FOUND];
		unsigned int nf = 0;
		enum mg_jwt_reason r = find_tokens(p, req, found, &nf);
		unsigned int n_add = out->n_add;
		size_t used = out->used;
		bool hit = false;

		if (r == MG_JWT_OK && nf == 0)
			continue; /* missing for this provider */
		n_present++;
		for (unsigned int t = 0; t < nf && r == MG_JWT_OK; t++) {
			r = verify_token(ctx, p, found[t].p, found[t].len, now_s,
			                 rc->n_audiences ? rc->audiences : NULL, rc->n_audiences,
			                 &hit);
			out->cache_hit = hit;
			for (unsigned int c = 0; c < rc->n_claims && r == MG_JWT_OK; c++) {
				if (!mg_jwt_claim_matches(&ctx->pdoc, &rc->claims[c]))
					r = MG_JWT_R_CLAIM_MISMATCH;
			}
			if (r == MG_JWT_OK)
				add_claim_headers(ctx, p, &found[t], out);
		}
		if (r != MG_JWT_OK) {
			/* Headers of an earlier token of this provider are taken back. */
			out->n_add = n_add;
			out->used = used;
			if (first_fail == MG_JWT_OK)
				first_fail = r;
			if (rc->all_of)
				break;
			continue;
		}
		n_ok++;
		if (out->provider < 0)
			out->provider = p->index;
		if (!p->cfg.forward) {
			for (unsigned int t = 0; t < nf; t++) {
				if (found[t].field >= 0)
					drop_field(out, (unsigned int)found[t].field);
			}
		}
		if (!rc->all_of)
			break;
	}
	if (rc->all_of ? n_ok == rc->n_providers : n_ok > 0)
		goto allow;
	if (n_present == 0 && rc->allow_missing) {
		out->provider = -1;
		goto allow;
	}
	return deny(ctx, out, first_fail != MG_JWT_OK ? first_fail : MG_JWT_R_MISSING);
allow:
	out->reason = MG_JWT_OK;
	out->status = 200;
	ctx->stats.by_reason[MG_JWT_OK]++;
	return MG_JWT_ALLOW;
}
