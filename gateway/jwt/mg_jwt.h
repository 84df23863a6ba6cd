/*
 * OIDC JWT authentication at the gateway: the verification core.
 *
 * Objects:
 *   struct mg_jwt_ctx          one per configuration generation: providers, requirements, the
 *                              verified-token cache and per-call scratch.  Built at boot or
 *                              reload (mg_jwt_ctx_new(), mg_jwt_provider_add(),
 *                              mg_jwt_requirement_add()), then used by one worker.
 *   struct mg_jwt_provider     an issuer: audiences, its key set (replaceable at run time with
 *                              mg_jwt_provider_set_keys()), token locations, claim headers.
 *   struct mg_jwt_requirement  what one gateway route requires (any-of / all-of providers,
 *                              allow-missing, audience override, required claims).
 *
 * The data path calls mg_jwt_check() once per request of a route that has a requirement.  It
 * never allocates (mbedTLS's bignum arithmetic allocates through the capped allocator of
 * gateway/tls), blocks or reads the clock: the caller passes the wall-clock time in seconds.
 *
 * Semantics follow Envoy's jwt_authn (docs/JWT.md lists every difference): the token is
 * looked for in the provider's locations (default `Authorization: Bearer` and the
 * `access_token` query parameter); signature with a key whose kty / alg / use / crv agree with
 * the token's alg; exp required (unless turned off), nbf, iat, clock skew; iss exact; aud any
 * of; the token removed from the forwarded request unless `forward`; claim headers added and
 * incoming copies of them always removed.
 *
 * Not thread-safe: one worker owns a context.
 */
#ifndef MG_JWT_H
#define MG_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/http/mg_h1.h"

/* ---- limits ------------------------------------------------------------------------------- */
#define MG_JWT_NAME_MAX            64  /* provider name, header names (+ NUL) */
#define MG_JWT_STR_MAX             256 /* issuer, audience, claim values (+ NUL) */
#define MG_JWT_MAX_AUDIENCES       8
#define MG_JWT_MAX_LOCATIONS       8    /* token locations per provider */
#define MG_JWT_MAX_CLAIM_HDRS      8    /* claim_to_headers per provider */
#define MG_JWT_MAX_REQ_PROV        8    /* providers per requirement */
#define MG_JWT_MAX_REQ_CLAIMS      8    /* required claims per requirement */
#define MG_JWT_MAX_KEYS            16   /* keys in one JWKS */
#define MG_JWT_MAX_SECRET          512  /* HMAC shared secret bytes */
#define MG_JWT_MAX_FIELDS          1024 /* request fields an outcome can mark for dropping */
#define MG_JWT_MAX_ADD             (MG_JWT_MAX_REQ_PROV * (MG_JWT_MAX_CLAIM_HDRS + 1))
#define MG_JWT_DEFAULT_MAX_TOKEN   8192 /* bytes of compact serialization */
#define MG_JWT_DEFAULT_SKEW        60   /* seconds */
#define MG_JWT_DEFAULT_CACHE       1024 /* verified tokens, per context */
#define MG_JWT_DEFAULT_REFRESH_MIN 30   /* seconds between two kid-miss refresh signals */
#define MG_JWT_JSON_DEPTH          8    /* nesting accepted in a header or payload */
#define MG_JWT_JSON_TOKENS         256  /* JSON values in a header or payload */

/* ---- algorithms -------------------------------------------------------------------------- */
enum mg_jwt_alg {
	MG_JWT_ALG_INVALID = 0,
	MG_JWT_RS256,
	MG_JWT_RS384,
	MG_JWT_RS512,
	MG_JWT_PS256,
	MG_JWT_PS384,
	MG_JWT_PS512,
	MG_JWT_ES256,
	MG_JWT_ES384,
	MG_JWT_ES512,
	MG_JWT_HS256,
	MG_JWT_HS384,
	MG_JWT_HS512,
	MG_JWT_ALG_COUNT
};

/* The alg for its JOSE name ("RS256"); MG_JWT_ALG_INVALID for others, "none" included. */
enum mg_jwt_alg mg_jwt_alg_from_name(const char *s, size_t len);
const char *mg_jwt_alg_name(enum mg_jwt_alg alg);

/* ---- results ------------------------------------------------------------------------------ */

/*
 * Why a request was refused, one-to-one with metric labels (mg_jwt_reason_label()) and with
 * the error_description sent to the client (mg_jwt_reason_text()).  The comment gives the
 * status.
 */
enum mg_jwt_reason {
	MG_JWT_OK = 0,
	MG_JWT_R_MISSING,         /* 401: no token in any location (no error= per RFC 6750 3.1) */
	MG_JWT_R_TOO_LARGE,       /* 401: token over the provider's max_token_bytes */
	MG_JWT_R_MALFORMED,       /* 401: not three base64url segments of token characters */
	MG_JWT_R_BASE64,          /* 401: a segment is not canonical unpadded base64url */
	MG_JWT_R_HEADER_JSON,     /* 401: header not strict JSON (duplicate keys, depth, syntax) */
	MG_JWT_R_PAYLOAD_JSON,    /* 401: payload not strict JSON */
	MG_JWT_R_ALG_NONE,        /* 401: alg "none" */
	MG_JWT_R_ALG_UNSUPPORTED, /* 401: unknown alg, or HS* without a shared secret */
	MG_JWT_R_HEADER_INVALID,  /* 401: typ not JWT, crit present, kid not a string, ... */
	MG_JWT_R_NO_KEYS,         /* 401: the provider has no key set yet */
	MG_JWT_R_KID_UNKNOWN,     /* 401: no key with that kid (a key-set refresh is signalled) */
	MG_JWT_R_KEY_MISMATCH,    /* 401: no key whose kty/alg/use/crv suit the token's alg */
	MG_JWT_R_SIG_FORMAT,      /* 401: signature of the wrong length (e.g. DER ECDSA) */
	MG_JWT_R_SIG_INVALID,     /* 401: signature does not verify */
	MG_JWT_R_CLAIM_TYPE,      /* 401: exp/nbf/iat/iss/aud of the wrong type */
	MG_JWT_R_EXP_MISSING,     /* 401: no exp and the provider requires one */
	MG_JWT_R_EXPIRED,         /* 401: exp + skew <= now */
	MG_JWT_R_NOT_YET_VALID,   /* 401: nbf - skew > now */
	MG_JWT_R_IAT_FUTURE,      /* 401: iat - skew > now */
	MG_JWT_R_ISSUER,          /* 401: iss differs from the provider's issuer */
	MG_JWT_R_AUDIENCE,        /* 403: no aud among the allowed audiences */
	MG_JWT_R_CLAIM_MISMATCH,  /* 403: a required claim is absent or differs */
	MG_JWT_R_REQUEST,         /* 401: several token fields, or too many request fields */
	MG_JWT_R_BUSY,            /* 503: the provider's ECDSA verification budget is spent */
	MG_JWT_REASON_COUNT
};

const char *mg_jwt_reason_label(enum mg_jwt_reason r); /* "expired" */
const char *mg_jwt_reason_text(enum mg_jwt_reason r);  /* "Jwt is expired" */
int mg_jwt_reason_status(enum mg_jwt_reason r);        /* 200, 401 or 403 */

/* Return value of mg_jwt_check(). */
enum mg_jwt_result {
	MG_JWT_ALLOW = 0, /* forward, after applying out->drop and out->add */
	MG_JWT_DENY,      /* answer out->status with out->www_authenticate and out->body */
};

/* ---- configuration (built at boot or reload) ---------------------------------------------- */

/* Where a provider looks for its token. */
enum mg_jwt_loc_kind {
	MG_JWT_LOC_HEADER = 1, /* field <name>, value "<prefix><token>" (prefix case-insensitive) */
	MG_JWT_LOC_QUERY,      /* query parameter <name> */
	MG_JWT_LOC_COOKIE,     /* cookie <name> */
};

struct mg_jwt_location {
	enum mg_jwt_loc_kind kind;
	char name[MG_JWT_NAME_MAX];
	char prefix[MG_JWT_NAME_MAX];
};

struct mg_jwt_claim_header {
	char header[MG_JWT_NAME_MAX]; /* lower case */
	char claim[MG_JWT_STR_MAX];   /* dotted path */
};

/*
 * A provider's settings.  Zero values take the defaults noted.  <n_locations> 0 means
 * `Authorization: Bearer ` then the `access_token` query parameter (Envoy's default).
 */
struct mg_jwt_provider_cfg {
	char name[MG_JWT_NAME_MAX];
	char issuer[MG_JWT_STR_MAX]; /* "" : iss not checked */
	unsigned int n_audiences;    /* 0: aud not checked */
	char audiences[MG_JWT_MAX_AUDIENCES][MG_JWT_STR_MAX];
	unsigned int n_locations;
	struct mg_jwt_location locations[MG_JWT_MAX_LOCATIONS];
	bool forward;                                 /* keep the token's field in the request */
	char forward_payload_header[MG_JWT_NAME_MAX]; /* "" : none; lower case */
	unsigned int n_claim_headers;
	struct mg_jwt_claim_header claim_headers[MG_JWT_MAX_CLAIM_HDRS];
	bool exp_optional;     /* default false: exp is required */
	uint32_t clock_skew_s; /* default MG_JWT_DEFAULT_SKEW (set skew_set for 0) */
	bool skew_set;
	uint32_t max_token_bytes;        /* default MG_JWT_DEFAULT_MAX_TOKEN */
	uint32_t refresh_min_interval_s; /* default MG_JWT_DEFAULT_REFRESH_MIN */
	/* Uncached ECDSA verifications allowed per second (0: no limit); tokens past it are
	 * refused with `busy` (503) before any signature work.  Cached tokens are not counted. */
	uint32_t ecdsa_per_second;
	/* HS256/384/512 are accepted only when a secret is set (raw bytes). */
	size_t secret_len;
	uint8_t secret[MG_JWT_MAX_SECRET];
};

/* One required claim: <claim> (dotted path) must hold <value> (see mg_jwt_requirement_cfg). */
struct mg_jwt_claim_req {
	char claim[MG_JWT_STR_MAX];
	char value[MG_JWT_STR_MAX];
};

/*
 * A route's requirement.  <providers> are indices returned by mg_jwt_provider_add().  With
 * <all_of> every provider must accept its token, else any one suffices.  <allow_missing>
 * passes a request that carries no token for any of them (an invalid token is still refused).
 * <n_audiences> > 0 replaces the providers' audiences.  A required claim matches when the
 * claim is a string equal to the value, a number or boolean spelled as the value, an array
 * with an element that matches, or (for the claims `scope` and `scp`) a space-delimited string
 * with a word equal to the value.
 */
struct mg_jwt_requirement_cfg {
	char route[MG_JWT_STR_MAX]; /* gateway route name, for logs */
	unsigned int n_providers;
	int providers[MG_JWT_MAX_REQ_PROV];
	bool all_of;
	bool allow_missing;
	unsigned int n_audiences;
	char audiences[MG_JWT_MAX_AUDIENCES][MG_JWT_STR_MAX];
	unsigned int n_claims;
	struct mg_jwt_claim_req claims[MG_JWT_MAX_REQ_CLAIMS];
};

struct mg_jwt_ctx;
struct mg_jwt_provider;
struct mg_jwt_requirement;

/*
 * Creates a context whose cache holds <cache_entries> verified tokens (0: the default) and
 * whose 401/403 answers name <realm> (NULL: "meshgate").  Returns NULL when out of memory.
 */
struct mg_jwt_ctx *mg_jwt_ctx_new(unsigned int cache_entries, const char *realm);
void mg_jwt_ctx_free(struct mg_jwt_ctx *ctx);

/* Adds a provider (copied); returns its index, or -EINVAL (bad settings) / -ENOMEM / -ENOSPC. */
int mg_jwt_provider_add(struct mg_jwt_ctx *ctx, const struct mg_jwt_provider_cfg *cfg);
struct mg_jwt_provider *mg_jwt_provider_get(struct mg_jwt_ctx *ctx, int index);
int mg_jwt_provider_find(const struct mg_jwt_ctx *ctx, const char *name);

/*
 * Installs the key set in the JWKS document <jwks_json> (<len> bytes; {"keys": [...]}) as
 * <p>'s keys, replacing the previous set and dropping cached verifications made with it.
 * Keys of unknown kty or crv, and `oct` keys, are skipped; a set without one usable key is
 * refused.  On refusal the previous set stays in use.  Returns the number of keys installed,
 * or -EINVAL / -ENOMEM; <err> (if not NULL, <errlen> bytes) gets a short reason.
 */
int mg_jwt_provider_set_keys(struct mg_jwt_provider *p, const char *jwks_json, size_t len,
                             char *err, size_t errlen);

/*
 * The fetcher's side of key rotation.  A token whose kid matches no key raises "refresh
 * wanted", at most once per refresh_min_interval_s (a flood of unknown kids yields one
 * signal per interval).  mg_jwt_provider_refresh_wanted() returns true once per signal and
 * clears it; the fetcher then fetches and calls mg_jwt_provider_set_keys().
 */
bool mg_jwt_provider_refresh_wanted(struct mg_jwt_provider *p);
/*
 * Raises "refresh wanted" now, outside the rate limit (the fetcher's first fetch, an
 * operator's request).  Tokens of a provider without keys (no_keys) also raise it, rate
 * limited like kid misses.
 */
void mg_jwt_provider_want_refresh(struct mg_jwt_provider *p);
/* kid misses seen and signals raised, for metrics and tests. */
uint64_t mg_jwt_provider_kid_misses(const struct mg_jwt_provider *p);
uint64_t mg_jwt_provider_refresh_signals(const struct mg_jwt_provider *p);
/* The key-set generation (0: none installed yet; +1 on each accepted set). */
uint32_t mg_jwt_provider_keys_generation(const struct mg_jwt_provider *p);

/* Adds a requirement (copied); returns its index, or a negative errno. */
int mg_jwt_requirement_add(struct mg_jwt_ctx *ctx, const struct mg_jwt_requirement_cfg *cfg);
const struct mg_jwt_requirement *mg_jwt_requirement_get(const struct mg_jwt_ctx *ctx, int index);

/* ---- the data path ---------------------------------------------------------------------- */

/*
 * A field to add to the forwarded request.  The name points into the context's configuration;
 * the value into the outcome's buffer (claims) or the request's own buffer (the payload
 * header, a slice of the token): valid while the context, the outcome and the request head are.
 */
struct mg_jwt_header {
	struct mg_h1_view name;
	struct mg_h1_view value;
};

/*
 * What to do with a request.  The caller provides <buf> (<cap> bytes; 4 KiB is ample for the
 * WWW-Authenticate value and claim values; claims that do not fit are not added) with
 * mg_jwt_outcome_init().
 *
 * DENY: answer <status> with the header `WWW-Authenticate: <www_authenticate>` and the text
 * body <body> (static); <reason> is the metric label.
 * ALLOW: forward without the request fields whose bit is set in <drop> (the token's field
 * unless `forward`; every incoming field named like a claim or payload header), and with
 * the <n_add> fields of <add> appended.  <provider> is the provider that accepted the token
 * (-1 when allowed because the token was missing and allow_missing is set).
 */
struct mg_jwt_outcome {
	enum mg_jwt_reason reason;
	int status;
	int provider;
	struct mg_h1_view www_authenticate;
	struct mg_h1_view body;
	uint64_t drop[MG_JWT_MAX_FIELDS / 64];
	unsigned int n_add;
	struct mg_jwt_header add[MG_JWT_MAX_ADD];
	bool cache_hit; /* the signature check was skipped thanks to the cache */
	char *buf;
	size_t cap, used;
};

void mg_jwt_outcome_init(struct mg_jwt_outcome *out, char *buf, size_t cap);

static inline bool
mg_jwt_outcome_drops(const struct mg_jwt_outcome *out, unsigned int field)
{
	return field < MG_JWT_MAX_FIELDS && (out->drop[field / 64] >> (field % 64) & 1);
}

/*
 * Checks request <req> (a parsed head) against requirement <rq> (not NULL: a route without
 * requirement is not checked at all) at wall-clock time <now_s> (seconds since the Unix epoch)
 * and fills <out>, initialised by mg_jwt_outcome_init().  Returns MG_JWT_ALLOW or MG_JWT_DENY.
 * A request with more than MG_JWT_MAX_FIELDS fields is denied (reason `request`).
 */
enum mg_jwt_result mg_jwt_check(struct mg_jwt_ctx *ctx, const struct mg_jwt_requirement *rq,
                                const struct mg_h1_request *req, uint64_t now_s,
                                struct mg_jwt_outcome *out);

/*
 * The verification of one token against one provider, without a request: what
 * mg_jwt_check() does per token (cache included), for tests, fuzzing and tools.
 * <audiences> (n > 0) replaces the provider's.  Returns MG_JWT_OK or the reason.
 */
enum mg_jwt_reason mg_jwt_verify_token(struct mg_jwt_ctx *ctx, struct mg_jwt_provider *p,
                                       const char *token, size_t len, uint64_t now_s,
                                       const char (*audiences)[MG_JWT_STR_MAX],
                                       unsigned int n_audiences);

/* Counters per reason (index MG_JWT_OK counts allowed requests), and cache counters. */
struct mg_jwt_stats {
	uint64_t by_reason[MG_JWT_REASON_COUNT];
	uint64_t cache_hits, cache_misses, cache_inserts, cache_evictions;
	uint64_t sig_verifications;
};
const struct mg_jwt_stats *mg_jwt_stats(const struct mg_jwt_ctx *ctx);

#endif /* MG_JWT_H */
