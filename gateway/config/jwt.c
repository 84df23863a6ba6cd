/*
 * appliance.jwt: JWT providers and the requirements of gateway routes, as schema tables (see
 * schema.h), plus the names resolved across sections.  The gateway turns the result into a
 * verifier with mg_jwt_ctx_from_config() (gateway/jwt/mg_jwt_config.c), which also reads the
 * key files; docs/CONFIG.md is the user reference.
 *
 *   "jwt": {
 *     "realm": "meshgate", "cacheEntries": 1024,
 *     "providers": { "<name>": { "issuer": ..., "audiences": [...],
 *                                "jwks": {"file": ...} | {"inline": "..."} |
 *                                        {"remote": {"uri": "https://..."}} |
 *                                        {"discovery": {"uri": "https://..."}}, ... } },
 *     "routes": { "<gateway route name>": { "providers": [...], "match": "any" | "all",
 *                                           "allowMissing": false, "audiences": [...],
 *                                           "claims": [{"name": ..., "value": ...}] } }
 *   }
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define REQ MG_SCHEMA_F_REQUIRED

/* ---- value checks ------------------------------------------------------------------------- */

/* A field name: token characters only (RFC 9110 5.1). */
static bool
is_field_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", c) != NULL))
			return false;
	}
	return true;
}

/* Printable ASCII without '"' and '\\' (values quoted in WWW-Authenticate, prefixes). */
static bool
is_plain(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return false;
	}
	return true;
}

static int
check_field_name(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *s = (const char *)base + f->offset;

	if (*s != '\0' && !is_field_name(s)) {
		mg_json_error(ctx->doc, tok, "'%s' is not a valid HTTP field name", s);
		return -EINVAL;
	}
	return 0;
}

static int
check_plain(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *s = (const char *)base + f->offset;

	if (!is_plain(s)) {
		mg_json_error(ctx->doc, tok,
		              "only printable ASCII without '\"' and '\\\\' is allowed");
		return -EINVAL;
	}
	return 0;
}

static int
check_https(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *s = (const char *)base + f->offset;

	if (strncmp(s, "https://", 8) != 0 || s[8] == '\0' || !is_plain(s)) {
		mg_json_error(ctx->doc, tok, "expected an https:// URI");
		return -EINVAL;
	}
	return 0;
}

/* jwks.inline: the JWKS document as a JSON string, kept on the heap. */
static int
parse_inline(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	char **out = (char **)((char *)base + f->offset);
	size_t len = 0;
	char *buf;

	if (mg_json_type(ctx->doc, tok) != MG_JSON_STRING) {
		mg_json_error(ctx->doc, tok, "expected the JWKS document as a string, got %s",
		              mg_json_type_name(mg_json_type(ctx->doc, tok)));
		return -EINVAL;
	}
	(void)mg_json_str_decode(ctx->doc, tok, NULL, 0, &len);
	if (len == 0 || len > MG_CFG_JWT_INLINE_MAX) {
		mg_json_error(ctx->doc, tok, "must hold 1..%u bytes", MG_CFG_JWT_INLINE_MAX);
		return -EINVAL;
	}
	buf = malloc(len + 1);
	if (buf == NULL) {
		mg_json_error(ctx->doc, tok, "out of memory");
		return -ENOMEM;
	}
	if (mg_json_str_decode(ctx->doc, tok, buf, len + 1, NULL) < 0) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	return 0;
}

/* ---- tables --------------------------------------------------------------------------------- */

static const struct mg_schema_field remote_fields[] = {
    {.name = "uri",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_remote, uri),
     .min = 9,
     .check = check_https},
    {.name = "cacheDurationSeconds",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_remote, cache_duration_s),
     .min = 1,
     .max = 86400 * 7,
     .def = 600},
    {.name = "caBundle",
     .type = MG_SCHEMA_STRING,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_remote, ca_bundle),
     .min = 1},
    {.name = "timeoutMs",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_remote, timeout_ms),
     .min = 100,
     .max = 60000,
     .def = 5000},
};

static const struct mg_schema_object remote_obj = {
    .name = "remote",
    .size = sizeof(struct mg_cfg_jwt_remote),
    .fields = remote_fields,
    .n_fields = MG_SCHEMA_COUNT(remote_fields),
};

static const struct mg_schema_field jwks_fields[] = {
    {.name = "file",
     .type = MG_SCHEMA_STRING,
     .tag = MG_CFG_JWKS_FILE,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwks, file),
     .min = 1},
    {.name = "inline",
     .type = MG_SCHEMA_CUSTOM,
     .tag = MG_CFG_JWKS_INLINE,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwks, inline_json),
     .parse = parse_inline},
    {.name = "remote",
     .type = MG_SCHEMA_OBJECT,
     .tag = MG_CFG_JWKS_REMOTE,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwks, remote),
     .object = &remote_obj},
    {.name = "discovery",
     .type = MG_SCHEMA_OBJECT,
     .tag = MG_CFG_JWKS_DISCOVERY,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwks, discovery),
     .object = &remote_obj},
};

static const struct mg_schema_object jwks_obj = {
    .name = "jwks",
    .kind = MG_SCHEMA_UNION,
    .size = sizeof(struct mg_cfg_jwks),
    .fields = jwks_fields,
    .n_fields = MG_SCHEMA_COUNT(jwks_fields),
    .tag_offset = offsetof(struct mg_cfg_jwks, kind),
};

static const struct mg_schema_field secret_fields[] = {
    {.name = "file",
     .type = MG_SCHEMA_STRING,
     .tag = MG_CFG_JWT_SECRET_FILE,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_secret, file),
     .min = 1},
    {.name = "base64url",
     .type = MG_SCHEMA_STRING,
     .tag = MG_CFG_JWT_SECRET_BASE64URL,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_secret, base64url),
     .min = 43}, /* 32 bytes, the least HS256 allows (RFC 7518 3.2) */
};

static const struct mg_schema_object secret_obj = {
    .name = "sharedSecret",
    .kind = MG_SCHEMA_UNION,
    .size = sizeof(struct mg_cfg_jwt_secret),
    .fields = secret_fields,
    .n_fields = MG_SCHEMA_COUNT(secret_fields),
    .tag_offset = offsetof(struct mg_cfg_jwt_secret, kind),
};

static const struct mg_schema_field header_loc_fields[] = {
    {.name = "name",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_header_loc, name),
     .min = 1,
     .check = check_field_name},
    {.name = "valuePrefix",
     .type = MG_SCHEMA_STRING,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_header_loc, value_prefix),
     .check = check_plain},
};

static const struct mg_schema_object header_loc_obj = {
    .name = "fromHeader",
    .size = sizeof(struct mg_cfg_jwt_header_loc),
    .fields = header_loc_fields,
    .n_fields = MG_SCHEMA_COUNT(header_loc_fields),
};

static const struct mg_schema_field header_loc_elem = {
    .name = "fromHeader",
    .type = MG_SCHEMA_OBJECT,
    .size = sizeof(struct mg_cfg_jwt_header_loc),
    .object = &header_loc_obj,
};

static const struct mg_schema_field name_elem = {
    .name = "name",
    .type = MG_SCHEMA_STRING,
    .size = MG_CFG_JWT_NAME_MAX,
    .min = 1,
    .check = check_field_name,
};

static const struct mg_schema_field str_elem = {
    .name = "string",
    .type = MG_SCHEMA_STRING,
    .size = MG_CFG_JWT_STR_MAX,
    .min = 1,
};

static const struct mg_schema_field claim_header_fields[] = {
    {.name = "headerName",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_claim_header, header_name),
     .min = 1,
     .check = check_field_name},
    {.name = "claimName",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_claim_header, claim_name),
     .min = 1},
};

static const struct mg_schema_object claim_header_obj = {
    .name = "claimToHeader",
    .size = sizeof(struct mg_cfg_jwt_claim_header),
    .fields = claim_header_fields,
    .n_fields = MG_SCHEMA_COUNT(claim_header_fields),
};

static const struct mg_schema_field claim_header_elem = {
    .name = "claimToHeader",
    .type = MG_SCHEMA_OBJECT,
    .size = sizeof(struct mg_cfg_jwt_claim_header),
    .object = &claim_header_obj,
};

static int
validate_provider(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	const struct mg_cfg_jwt_provider *p = base;
	int n = p->n_from_headers + p->n_from_params + p->n_from_cookies;

	(void)o;
	if (n > MG_CFG_JWT_MAX_LIST) {
		mg_json_error(
		    ctx->doc, tok,
		    "%d token locations (fromHeaders, fromParams, fromCookies); at most %d", n,
		    MG_CFG_JWT_MAX_LIST);
		return -EINVAL;
	}
	return 0;
}

#define LIST(T, member, count, elem_)                                                              \
	.type = MG_SCHEMA_ARRAY, MG_SCHEMA_MEMBER(T, member), .min = 0,                            \
	.max = MG_CFG_JWT_MAX_LIST, .elem = elem_, .count_offset = offsetof(T, count)

static const struct mg_schema_field provider_fields[] = {
    {.name = "issuer",
     .type = MG_SCHEMA_STRING,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_provider, issuer)},
    {.name = "audiences", LIST(struct mg_cfg_jwt_provider, audiences, n_audiences, &str_elem)},
    {.name = "jwks",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_provider, jwks),
     .object = &jwks_obj},
    {.name = "sharedSecret",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_provider, secret),
     .object = &secret_obj},
    {.name = "fromHeaders",
     LIST(struct mg_cfg_jwt_provider, from_headers, n_from_headers, &header_loc_elem)},
    {.name = "fromParams",
     LIST(struct mg_cfg_jwt_provider, from_params, n_from_params, &name_elem)},
    {.name = "fromCookies",
     LIST(struct mg_cfg_jwt_provider, from_cookies, n_from_cookies, &name_elem)},
    {.name = "forward",
     .type = MG_SCHEMA_BOOL,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_provider, forward)},
    {.name = "forwardPayloadHeader",
     .type = MG_SCHEMA_STRING,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_provider, forward_payload_header),
     .check = check_field_name},
    {.name = "claimToHeaders",
     LIST(struct mg_cfg_jwt_provider, claim_headers, n_claim_headers, &claim_header_elem)},
    {.name = "requireExpiration",
     .type = MG_SCHEMA_BOOL,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_provider, require_expiration),
     .def = 1},
    {.name = "clockSkewSeconds",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_provider, clock_skew_s),
     .min = 0,
     .max = 3600,
     .def = 60},
    {.name = "maxTokenBytes",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_provider, max_token_bytes),
     .min = 256,
     .max = 65536,
     .def = 8192},
    {.name = "refreshMinIntervalSeconds",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_provider, refresh_min_interval_s),
     .min = 1,
     .max = 86400,
     .def = 30},
    {.name = "ecdsaVerificationsPerSecond",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_provider, ecdsa_per_second),
     .min = 0,
     .max = 1000000,
     .def = 0},
};

static const struct mg_schema_object provider_obj = {
    .name = "provider",
    .size = sizeof(struct mg_cfg_jwt_provider),
    .fields = provider_fields,
    .n_fields = MG_SCHEMA_COUNT(provider_fields),
    .validate = validate_provider,
};

static const struct mg_schema_field claim_fields[] = {
    {.name = "name",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_claim, name),
     .min = 1},
    {.name = "value",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_claim, value)},
};

static const struct mg_schema_object claim_obj = {
    .name = "claim",
    .size = sizeof(struct mg_cfg_jwt_claim),
    .fields = claim_fields,
    .n_fields = MG_SCHEMA_COUNT(claim_fields),
};

static const struct mg_schema_field claim_elem = {
    .name = "claim",
    .type = MG_SCHEMA_OBJECT,
    .size = sizeof(struct mg_cfg_jwt_claim),
    .object = &claim_obj,
};

static const struct mg_schema_field provider_name_elem = {
    .name = "provider",
    .type = MG_SCHEMA_STRING,
    .size = MG_CFG_JWT_NAME_MAX,
    .min = 1,
};

static const char *const match_names[] = {"any", "all", NULL};

static const struct mg_schema_field rule_fields[] = {
    {.name = "providers",
     .type = MG_SCHEMA_ARRAY,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_rule, providers),
     .min = 1,
     .max = MG_CFG_JWT_MAX_LIST,
     .elem = &provider_name_elem,
     .count_offset = offsetof(struct mg_cfg_jwt_rule, n_providers)},
    {.name = "match",
     .type = MG_SCHEMA_ENUM,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_rule, match),
     .enum_names = match_names},
    {.name = "allowMissing",
     .type = MG_SCHEMA_BOOL,
     MG_SCHEMA_MEMBER(struct mg_cfg_jwt_rule, allow_missing)},
    {.name = "audiences", LIST(struct mg_cfg_jwt_rule, audiences, n_audiences, &str_elem)},
    {.name = "claims", LIST(struct mg_cfg_jwt_rule, claims, n_claims, &claim_elem)},
};

static const struct mg_schema_object rule_obj = {
    .name = "route",
    .size = sizeof(struct mg_cfg_jwt_rule),
    .fields = rule_fields,
    .n_fields = MG_SCHEMA_COUNT(rule_fields),
};

/* providers and routes are objects keyed by name: walked by parse_keyed(). */
struct jwt_top {
	char realm[128];
	uint32_t cache_entries;
	char providers, routes; /* placeholders: walked by parse_keyed() */
};

/* The keyed members are walked separately; the table only accepts their names. */
static int
skip_member(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	(void)ctx, (void)f, (void)tok, (void)base;
	return 0;
}

static const struct mg_schema_field top_fields[] = {
    {.name = "realm",
     .type = MG_SCHEMA_STRING,
     MG_SCHEMA_MEMBER(struct jwt_top, realm),
     .min = 1,
     .check = check_plain},
    {.name = "cacheEntries",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct jwt_top, cache_entries),
     .min = 0,
     .max = 1 << 20,
     .def = 1024},
    {.name = "providers",
     .type = MG_SCHEMA_CUSTOM,
     MG_SCHEMA_MEMBER(struct jwt_top, providers),
     .parse = skip_member},
    {.name = "routes",
     .type = MG_SCHEMA_CUSTOM,
     MG_SCHEMA_MEMBER(struct jwt_top, routes),
     .parse = skip_member},
};

static const struct mg_schema_object top_obj = {
    .name = "jwt",
    .size = sizeof(struct jwt_top),
    .fields = top_fields,
    .n_fields = MG_SCHEMA_COUNT(top_fields),
};

const struct mg_schema_object *const mg_config_jwt_schemas[] = {&provider_obj, &rule_obj, &top_obj,
                                                                NULL};

/* ---- walking ----------------------------------------------------------------------------------
 */

/*
 * Walks object <tok> keyed by name: each member is parsed with <obj> into element i of a heap
 * array of <size>-byte elements, its decoded key copied to the element's first <name_size>
 * bytes.  Returns the array (NULL when empty) and sets *<n>.
 */
static void *
parse_keyed(struct mg_schema_ctx *ctx, int tok, const struct mg_schema_object *obj,
            size_t name_size, const char *what, int *n, int **key_toks)
{
	int size = mg_json_size(ctx->doc, tok), key, i = 0;
	char *arr;

	*n = 0;
	*key_toks = NULL;
	if (mg_json_type(ctx->doc, tok) != MG_JSON_OBJECT) {
		mg_json_error(ctx->doc, tok, "expected an object keyed by %s name, got %s", what,
		              mg_json_type_name(mg_json_type(ctx->doc, tok)));
		return NULL;
	}
	if (size <= 0)
		return NULL;
	arr = calloc((size_t)size, obj->size);
	*key_toks = calloc((size_t)size, sizeof(int));
	if (arr == NULL || *key_toks == NULL) {
		free(arr);
		free(*key_toks);
		*key_toks = NULL;
		mg_json_error(ctx->doc, tok, "out of memory");
		return NULL;
	}
	for (key = mg_json_member_first(ctx->doc, tok); key >= 0;
	     key = mg_json_member_next(ctx->doc, key)) {
		char *el = arr + (size_t)i * obj->size;
		size_t len;

		if (mg_json_is_bad(ctx->doc, key))
			continue;
		if (mg_json_str_decode(ctx->doc, key, el, name_size, &len) < 0 || len == 0 ||
		    strlen(el) != len) {
			mg_json_error(ctx->doc, key, "not a %s name (1..%zu bytes)", what,
			              name_size - 1);
			el[0] = '\0';
		}
		/* The name is the element's first member, which no table field names. */
		mg_schema_parse(ctx, obj, key + 1, el);
		(*key_toks)[i] = key;
		i++;
	}
	*n = i;
	return arr;
}

int
mg_cfg_jwt_parse(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	struct mg_cfg_jwt *jwt = &((struct mg_cfg_appliance *)base)->jwt;
	unsigned long before = mg_json_errors_total(ctx->doc->errs);
	struct jwt_top top = {0};
	int *keys = NULL, t;

	(void)f;
	jwt->present = true;
	mg_schema_parse(ctx, &top_obj, tok, &top);
	snprintf(jwt->realm, sizeof(jwt->realm), "%s",
	         top.realm[0] != '\0' ? top.realm : "meshgate");
	jwt->cache_entries = top.cache_entries;
	t = mg_json_obj_get(ctx->doc, tok, "providers");
	if (t >= 0) {
		jwt->providers = parse_keyed(ctx, t, &provider_obj, MG_CFG_JWT_NAME_MAX, "provider",
		                             &jwt->n_providers, &keys);
		free(keys);
	}
	t = mg_json_obj_get(ctx->doc, tok, "routes");
	if (t >= 0) {
		jwt->rules = parse_keyed(ctx, t, &rule_obj, sizeof(jwt->rules[0].gateway_route),
		                         "gateway route", &jwt->n_rules, &keys);
		for (int i = 0; i < jwt->n_rules; i++)
			jwt->rules[i].key_tok = keys[i];
		free(keys);
	}
	return mg_json_errors_total(ctx->doc->errs) == before ? 0 : -EINVAL;
}

int
mg_cfg_jwt_resolve(struct mg_schema_ctx *ctx, struct mg_config *cfg)
{
	struct mg_cfg_jwt *jwt = &cfg->appliance.jwt;
	int rc = 0;

	for (int i = 0; i < jwt->n_rules; i++) {
		struct mg_cfg_jwt_rule *r = &jwt->rules[i];
		int key = r->key_tok;

		r->gateway_route_index = -1;
		for (int g = 0; g < cfg->n_gateway_routes; g++) {
			if (cfg->gateway_routes[g].name != NULL &&
			    strcmp(cfg->gateway_routes[g].name, r->gateway_route) == 0)
				r->gateway_route_index = g;
		}
		if (r->gateway_route_index < 0 && r->gateway_route[0] != '\0') {
			mg_json_error(ctx->doc, key, "'%s' names no gateway route (gatewayRoutes)",
			              r->gateway_route);
			rc = -EINVAL;
		}
		for (int k = 0; k < r->n_providers; k++) {
			r->provider_index[k] = -1;
			for (int p = 0; p < jwt->n_providers; p++) {
				if (strcmp(jwt->providers[p].name, r->providers[k]) == 0)
					r->provider_index[k] = p;
			}
			for (int j = 0; j < k; j++) {
				if (strcmp(r->providers[j], r->providers[k]) == 0) {
					mg_json_error(ctx->doc, key,
					              "provider '%s' is listed twice",
					              r->providers[k]);
					rc = -EINVAL;
				}
			}
			if (r->provider_index[k] < 0 && r->providers[k][0] != '\0') {
				mg_json_error(ctx->doc, key,
				              "'%s' names no provider (appliance.jwt.providers)",
				              r->providers[k]);
				rc = -EINVAL;
			}
		}
	}
	return rc;
}

void
mg_cfg_jwt_free(struct mg_config *cfg)
{
	struct mg_cfg_jwt *jwt = &cfg->appliance.jwt;

	for (int i = 0; i < jwt->n_providers; i++)
		free(jwt->providers[i].jwks.inline_json);
	free(jwt->providers);
	free(jwt->rules);
	jwt->providers = NULL;
	jwt->rules = NULL;
	jwt->n_providers = jwt->n_rules = 0;
}
