/*
 * appliance.jwt: providers and gateway-route requirements parsed from the configuration,
 * errors with JSON paths, and the verifier built from them (mg_jwt_ctx_from_config()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgtest.h"
#include "gateway/config/config_int.h"
#include "gateway/jwt/mg_jwt_config.h"
#include "mgtest.h"

#define APPL_X(x)                                                                                  \
	"\"appliance\":{\"interfaces\":[{\"name\":\"data0\",\"address\":\"10.99.0.2/24\"}],"       \
	"\"admin\":{\"interface\":\"data0\",\"port\":9901},"                                       \
	"\"endpoints\":{\"vn\":[{\"address\":\"10.0.0.5\"}]}" x "}"
#define REST                                                                                       \
	"\"virtualGateway\":{\"virtualGatewayName\":\"gw\",\"spec\":{\"listeners\":[{"             \
	"\"portMapping\":{\"port\":8080,\"protocol\":\"http\"}}]}},"                               \
	"\"gatewayRoutes\":[{\"gatewayRouteName\":\"api\",\"spec\":{\"httpRoute\":{\"match\":{"    \
	"\"prefix\":\"/api\"},\"action\":{\"target\":{\"virtualService\":{"                        \
	"\"virtualServiceName\":\"svc\"}}}}}},"                                                    \
	"{\"gatewayRouteName\":\"open\",\"spec\":{\"httpRoute\":{\"match\":{"                      \
	"\"prefix\":\"/\"},\"action\":{\"target\":{\"virtualService\":{"                           \
	"\"virtualServiceName\":\"svc\"}}}}}}],"                                                   \
	"\"virtualServices\":[{\"virtualServiceName\":\"svc\",\"spec\":{\"provider\":{"            \
	"\"virtualNode\":{\"virtualNodeName\":\"vn\"}}}}],"                                        \
	"\"virtualNodes\":[{\"virtualNodeName\":\"vn\",\"spec\":{\"listeners\":[{"                 \
	"\"portMapping\":{\"port\":8080,\"protocol\":\"http\"}}]}}]"
#define DOC(jwt) "{" APPL_X(",\"jwt\":" jwt) "," REST "}"

#define RFC_EC_JWKS                                                                                \
	"{\\\"keys\\\":[{\\\"kty\\\":\\\"EC\\\",\\\"crv\\\":\\\"P-256\\\","                        \
	"\\\"x\\\":\\\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\\\","                           \
	"\\\"y\\\":\\\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\\\"}]}"

static const char good[] = DOC(
    "{\"realm\":\"shop\",\"cacheEntries\":64,"
    "\"providers\":{"
    "\"corp\":{\"issuer\":\"joe\",\"audiences\":[\"api\"],\"jwks\":{\"inline\":\"" RFC_EC_JWKS
    "\"},"
    "\"fromHeaders\":[{\"name\":\"Authorization\",\"valuePrefix\":\"Bearer \"},"
    "{\"name\":\"x-jwt\"}],\"fromCookies\":[\"session\"],"
    "\"forwardPayloadHeader\":\"X-Jwt-Payload\","
    "\"claimToHeaders\":[{\"headerName\":\"x-sub\",\"claimName\":\"sub\"}],"
    "\"clockSkewSeconds\":30},"
    "\"idp\":{\"jwks\":{\"discovery\":{\"uri\":\"https://idp.example/.well-known/"
    "openid-configuration\"}},\"sharedSecret\":{\"base64url\":"
    "\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}}},"
    "\"routes\":{\"api\":{\"providers\":[\"corp\",\"idp\"],\"match\":\"all\","
    "\"allowMissing\":true,\"claims\":[{\"name\":\"scope\",\"value\":\"write\"}]}}}");

MG_TEST(config_jwt_valid)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	char buf[4096], err[256];
	const struct mg_cfg_jwt *j;
	struct mg_jwt_ctx *ctx;
	int route_req[2];

	if (mg_cfgtest_parse(&cfg, good, &errs) != 0) {
		mg_test_fail(__FILE__, __LINE__, "%s", mg_cfgtest_errors(&errs, buf, sizeof(buf)));
		return;
	}
	j = &cfg.appliance.jwt;
	MG_EXPECT(j->present);
	MG_EXPECT_STR(j->realm, "shop");
	MG_EXPECT_EQ_INT(j->n_providers, 2);
	MG_EXPECT_STR(j->providers[0].name, "corp");
	MG_EXPECT_EQ_INT(j->providers[0].jwks.kind, MG_CFG_JWKS_INLINE);
	MG_EXPECT_EQ_INT(j->providers[0].n_from_headers, 2);
	MG_EXPECT_EQ_INT(j->providers[0].clock_skew_s, 30);
	MG_EXPECT(j->providers[0].require_expiration);
	MG_EXPECT_EQ_INT(j->providers[0].max_token_bytes, 8192);
	MG_EXPECT_EQ_INT(j->providers[1].jwks.kind, MG_CFG_JWKS_DISCOVERY);
	MG_EXPECT_EQ_INT(j->providers[1].jwks.discovery.cache_duration_s, 600);
	MG_EXPECT_EQ_INT(j->n_rules, 1);
	MG_EXPECT_STR(j->rules[0].gateway_route, "api");
	MG_EXPECT_EQ_INT(j->rules[0].gateway_route_index, 0);
	MG_EXPECT_EQ_INT(j->rules[0].provider_index[1], 1);
	MG_EXPECT_EQ_INT(j->rules[0].match, MG_CFG_JWT_ALL);

	ctx = mg_jwt_ctx_from_config(&cfg, route_req, err, sizeof(err));
	MG_EXPECT_STR(err, "");
	MG_ASSERT(ctx != NULL);
	MG_EXPECT_EQ_INT(route_req[0], 0);
	MG_EXPECT_EQ_INT(route_req[1], -1); /* "open" has no requirement */
	MG_EXPECT_EQ_UINT(mg_jwt_provider_keys_generation(mg_jwt_provider_get(ctx, 0)), 1);
	MG_EXPECT_EQ_UINT(mg_jwt_provider_keys_generation(mg_jwt_provider_get(ctx, 1)), 0);
	/* The discovery provider wants its first key set at once, and only it. */
	MG_EXPECT(!mg_jwt_provider_refresh_wanted(mg_jwt_provider_get(ctx, 0)));
	MG_EXPECT(mg_jwt_provider_refresh_wanted(mg_jwt_provider_get(ctx, 1)));
	mg_jwt_ctx_free(ctx);
	mg_config_free(&cfg);
}

MG_TEST(config_jwt_file_jwks)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	char path[] = "/tmp/mg-jwks-XXXXXX", doc[2048], err[256], buf[2048];
	int route_req[2], fd = mkstemp(path);
	struct mg_jwt_ctx *ctx;
	FILE *f;

	MG_ASSERT(fd >= 0);
	f = fdopen(fd, "w");
	fputs("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
	      "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	      "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}",
	      f);
	fclose(f);
	snprintf(doc, sizeof(doc),
	         DOC("{\"providers\":{\"p\":{\"jwks\":{\"file\":\"%s\"}}},"
	             "\"routes\":{\"open\":{\"providers\":[\"p\"]}}}"),
	         path);
	if (mg_cfgtest_parse(&cfg, doc, &errs) != 0) {
		mg_test_fail(__FILE__, __LINE__, "%s", mg_cfgtest_errors(&errs, buf, sizeof(buf)));
		unlink(path);
		return;
	}
	ctx = mg_jwt_ctx_from_config(&cfg, route_req, err, sizeof(err));
	MG_EXPECT(ctx != NULL);
	MG_EXPECT_EQ_INT(route_req[1], 0);
	mg_jwt_ctx_free(ctx);
	unlink(path);
	/* The file gone: refused when the verifier is built, with the reason. */
	ctx = mg_jwt_ctx_from_config(&cfg, route_req, err, sizeof(err));
	MG_EXPECT(ctx == NULL);
	MG_EXPECT_CONTAINS(err, "cannot read JWKS file");
	mg_config_free(&cfg);
}

static const struct {
	const char *doc;
	const char *needle;
} bad_cases[] = {
    {DOC("{\"providers\":{\"p\":{\"jwks\":{\"file\":\"/k\"}}},\"routes\":{\"nope\":{"
         "\"providers\":[\"p\"]}}}"),
     "'nope' names no gateway route"},
    {DOC("{\"providers\":{\"p\":{\"jwks\":{\"file\":\"/k\"}}},\"routes\":{\"api\":{"
         "\"providers\":[\"q\"]}}}"),
     "'q' names no provider"},
    {DOC("{\"providers\":{\"p\":{\"jwks\":{\"remote\":{\"uri\":\"http://x/jwks\"}}}}}"),
     "expected an https:// URI"},
    {DOC("{\"providers\":{\"p\":{}}}"), "missing required field 'jwks'"},
    {DOC("{\"providers\":{\"p\":{\"jwks\":{\"file\":\"/k\",\"inline\":\"{}\"}}}}"), "jwks"},
    {DOC("{\"providers\":{\"p\":{\"jwks\":{\"file\":\"/k\"},\"fromHeaders\":[{\"name\":\"a "
         "b\"}]}}}"),
     "not a valid HTTP field name"},
    {DOC("{\"providers\":{\"p\":{\"jwks\":{\"file\":\"/k\"},\"sharedSecret\":{\"base64url\":"
         "\"short\"}}}}"),
     "sharedSecret.base64url"},
    {DOC("{\"realm\":\"a\\\"b\"}"), "realm"},
    {DOC("{\"providers\":{\"p\":{\"jwks\":{\"file\":\"/k\"},\"clockSkewSeconds\":-1}}}"),
     "clockSkewSeconds"},
    {DOC("{\"routes\":{\"api\":{\"providers\":[]}}}"), "providers"},
    {DOC("{\"routes\":{\"api\":{\"providers\":[\"p\"],\"match\":\"some\"}}}"), "match"},
    {DOC("{\"providers\":[]}"), "expected an object keyed by provider name"},
    {DOC("{\"unknown\":1}"), "unknown field 'unknown'"},
    {DOC("{\"providers\":{\"p\":{\"jwks\":{\"file\":\"/k\"},"
         "\"ecdsaVerificationsPerSecond\":-1}}}"),
     "ecdsaVerificationsPerSecond"},
    {DOC("{\"providers\":{\"p\":{\"jwks\":{\"remote\":{\"uri\":\"https://x/jwks\","
         "\"caBundle\":\"\"}}}}}"),
     "caBundle"},
};

MG_TEST(config_jwt_remote_fields)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	char buf[8192];
	static const char doc[] =
	    DOC("{\"providers\":{\"p\":{\"jwks\":{\"discovery\":{\"uri\":\"https://idp/.well-known/"
	        "openid-configuration\",\"caBundle\":\"/etc/idp-ca.pem\"}},"
	        "\"ecdsaVerificationsPerSecond\":200}}}");

	if (mg_cfgtest_parse(&cfg, doc, &errs) != 0) {
		mg_test_fail(__FILE__, __LINE__, "%s", mg_cfgtest_errors(&errs, buf, sizeof(buf)));
		return;
	}
	MG_EXPECT_STR(cfg.appliance.jwt.providers[0].jwks.discovery.ca_bundle, "/etc/idp-ca.pem");
	MG_EXPECT_EQ_INT(cfg.appliance.jwt.providers[0].ecdsa_per_second, 200);
	mg_config_free(&cfg);
}

MG_TEST(config_jwt_errors)
{
	static struct mg_config cfg;
	struct mg_cfg_errors errs;
	char buf[8192];

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		MG_CASE("%zu: %s", i, bad_cases[i].needle);
		MG_EXPECT(mg_cfgtest_parse(&cfg, bad_cases[i].doc, &errs) != 0);
		MG_EXPECT_CONTAINS(mg_cfgtest_errors(&errs, buf, sizeof(buf)), bad_cases[i].needle);
	}
	mg_config_free(&cfg);
}

MG_TEST(config_jwt_tables)
{
	char why[256];

	for (int i = 0; mg_config_jwt_schemas[i] != NULL; i++) {
		MG_CASE("%s", mg_config_jwt_schemas[i]->name);
		MG_EXPECT_EQ_INT(mg_schema_check(mg_config_jwt_schemas[i], why, sizeof(why)), 0);
	}
}
