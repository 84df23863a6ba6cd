/*
 * Tokens minted by independent implementations (python3-jwt and python3-jwcrypto) for every
 * supported algorithm, and the attack corpus built on them, verified against the expected
 * reason; the kid-miss refresh signal; and a timing printout of cached and uncached
 * verification (not an assertion).
 *
 * tests/jwt/make-tokens.py writes the fixtures (fresh keys each time) into build/jwt/ before
 * `make test-unit` runs this binary; MG_JWT_FIXTURES names another directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/jwt/mg_jwt.h"
#include "gateway/jwt/mg_jwt_int.h"
#include "mgtest.h"

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf != NULL) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

static const char *
fixture_dir(void)
{
	const char *d = getenv("MG_JWT_FIXTURES");

	return d != NULL ? d : "build/jwt";
}

/* Builds providers "main" and "hs" (index 0 and 1) from the fixtures. */
static struct mg_jwt_ctx *
interop_ctx(unsigned int cache, char **tokens)
{
	struct mg_jwt_provider_cfg cfg = {.name = "main",
	                                  .issuer = "https://issuer.example",
	                                  .n_audiences = 1,
	                                  .audiences = {"api"}};
	size_t jlen, slen, tlen;
	char *jwks = slurp(fixture_dir(), "jwks.json", &jlen);
	char *secret = slurp(fixture_dir(), "secret.hex", &slen);
	struct mg_jwt_ctx *ctx = NULL;

	*tokens = slurp(fixture_dir(), "tokens.txt", &tlen);
	if (jwks == NULL || secret == NULL || *tokens == NULL)
		goto out;
	ctx = mg_jwt_ctx_new(cache, NULL);
	if (ctx == NULL || mg_jwt_provider_add(ctx, &cfg) != 0)
		goto out;
	strcpy(cfg.name, "hs");
	for (size_t i = 0; i + 1 < slen && i / 2 < sizeof(cfg.secret); i += 2) {
		unsigned int b;

		if (sscanf(secret + i, "%2x", &b) != 1)
			break;
		cfg.secret[cfg.secret_len++] = (uint8_t)b;
	}
	if (mg_jwt_provider_add(ctx, &cfg) != 1)
		goto out;
	/* Requirements 0 and 1: the provider of the same index, alone. */
	for (int i = 0; i < 2; i++) {
		struct mg_jwt_requirement_cfg r = {.n_providers = 1, .providers = {i}};

		if (mg_jwt_requirement_add(ctx, &r) != i)
			goto out;
	}
	/* 4 usable keys: the oct key is skipped. */
	if (mg_jwt_provider_set_keys(mg_jwt_provider_get(ctx, 0), jwks, jlen, NULL, 0) != 4 ||
	    mg_jwt_provider_set_keys(mg_jwt_provider_get(ctx, 1), jwks, jlen, NULL, 0) != 4) {
		mg_jwt_ctx_free(ctx);
		ctx = NULL;
	}
out:
	free(jwks);
	free(secret);
	return ctx;
}

/* Finds the token of case <name> in the fixture text; copies it into <out>. */
static bool
find_case(const char *tokens, const char *name, char *out, size_t cap)
{
	char pat[128];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\n%s ", name);
	p = strstr(tokens, pat);
	if (p == NULL)
		return false;
	p = strchr(p + 1, ' ');
	p = strchr(p + 1, ' ');
	p = strchr(p + 1, ' ') + 1;
	e = strchr(p, '\n');
	if (e == NULL || (size_t)(e - p) >= cap)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

/*
 * The same token as a request (`Authorization: Bearer`): the status and WWW-Authenticate the
 * client gets.  Audience mismatches are 403 insufficient_scope, every other refusal 401
 * invalid_token.
 */
static void
check_request(struct mg_jwt_ctx *ctx, int rq, const char *tok, unsigned long long now,
              const char *expect)
{
	static char head[16384], buf[4096], www[512];
	static struct mg_h1_field fields[16];
	struct mg_h1_request req;
	struct mg_jwt_outcome out;
	int n = snprintf(head, sizeof(head),
	                 "GET /api HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\n\r\n", tok);
	bool allowed = strcmp(expect, "allowed") == 0;
	int status = strcmp(expect, "audience") == 0 ? 403 : 401;

	mg_h1_request_init(&req, fields, 16, NULL);
	if (!MG_EXPECT_EQ_INT(mg_h1_request_parse(&req, head, (size_t)n), n))
		return;
	mg_jwt_outcome_init(&out, buf, sizeof(buf));
	MG_EXPECT_EQ_INT(mg_jwt_check(ctx, mg_jwt_requirement_get(ctx, rq), &req, now, &out),
	                 allowed ? MG_JWT_ALLOW : MG_JWT_DENY);
	if (allowed) {
		MG_EXPECT(mg_jwt_outcome_drops(&out, 1)); /* the token is not forwarded */
		return;
	}
	MG_EXPECT_EQ_INT(out.status, status);
	MG_EXPECT_STR(mg_jwt_reason_label(out.reason), expect);
	snprintf(www, sizeof(www), "%.*s", (int)out.www_authenticate.len, out.www_authenticate.p);
	MG_EXPECT_CONTAINS(www, status == 403 ? "error=\"insufficient_scope\""
	                                      : "error=\"invalid_token\"");
}

MG_TEST(jwt_interop_corpus)
{
	char *tokens = NULL, *line, *save = NULL;
	struct mg_jwt_ctx *ctx = interop_ctx(0, &tokens);
	unsigned long long now = 0;
	unsigned int n = 0, valid = 0, attacks = 0;

	if (ctx == NULL) {
		mg_test_fail(__FILE__, __LINE__, "fixtures missing in %s: run make jwt-fixtures",
		             fixture_dir());
		free(tokens);
		return;
	}
	for (line = strtok_r(tokens, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64], prov[8], expect[32];
		int off = 0;
		enum mg_jwt_reason r;
		struct mg_jwt_provider *p;

		if (sscanf(line, "now %llu", &now) == 1)
			continue;
		if (sscanf(line, "%63s %7s %31s %n", name, prov, expect, &off) != 3 || off == 0)
			continue;
		p = mg_jwt_provider_get(ctx, strcmp(prov, "hs") == 0 ? 1 : 0);
		MG_CASE("%s", name);
		r = mg_jwt_verify_token(ctx, p, line + off, strlen(line + off), now, NULL, 0);
		MG_EXPECT_STR(mg_jwt_reason_label(r), expect);
		check_request(ctx, strcmp(prov, "hs") == 0 ? 1 : 0, line + off, now, expect);
		n++;
		if (strcmp(expect, "allowed") == 0)
			valid++;
		else
			attacks++;
	}
	MG_CASE("%s", "");
	printf("jwt interop: %u tokens (%u valid from python3-jwt/jwcrypto, %u refused)\n", n,
	       valid, attacks);
	MG_EXPECT(n >= 60);
	/* The corpus has one unknown kid: exactly one refresh signal. */
	MG_EXPECT_EQ_UINT(mg_jwt_provider_refresh_signals(mg_jwt_provider_get(ctx, 0)), 1);
	mg_jwt_ctx_free(ctx);
	free(tokens);
}

MG_TEST(jwt_interop_kid_refresh_rate_limited)
{
	char *tokens = NULL, tok[4096];
	struct mg_jwt_ctx *ctx = interop_ctx(0, &tokens);
	struct mg_jwt_provider *p;
	const uint64_t t0 = 1795000000;

	MG_ASSERT(ctx != NULL);
	p = mg_jwt_provider_get(ctx, 0);
	MG_ASSERT(find_case(tokens, "unknown-kid", tok, sizeof(tok)));
	for (int i = 0; i < 100; i++)
		MG_EXPECT_EQ_INT(
		    mg_jwt_verify_token(ctx, p, tok, strlen(tok), t0 + (uint64_t)i % 29, NULL, 0),
		    MG_JWT_R_KID_UNKNOWN);
	MG_EXPECT_EQ_UINT(mg_jwt_provider_kid_misses(p), 100);
	MG_EXPECT_EQ_UINT(mg_jwt_provider_refresh_signals(p), 1);
	MG_EXPECT(mg_jwt_provider_refresh_wanted(p));
	MG_EXPECT(!mg_jwt_provider_refresh_wanted(p)); /* consumed */
	/* After the minimum interval (30 s by default) the next miss signals again. */
	mg_jwt_verify_token(ctx, p, tok, strlen(tok), t0 + 30, NULL, 0);
	MG_EXPECT_EQ_UINT(mg_jwt_provider_refresh_signals(p), 2);
	MG_EXPECT(mg_jwt_provider_refresh_wanted(p));
	mg_jwt_ctx_free(ctx);
	free(tokens);
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

MG_TEST(jwt_interop_timing)
{
	static const char *const names[] = {"pyjwt-RS256", "pyjwt-PS256", "pyjwt-ES256",
	                                    "pyjwt-ES384", "pyjwt-HS256"};
	char *tokens = NULL, tok[4096];
	struct mg_jwt_ctx *ctx = interop_ctx(4, &tokens);
	unsigned long long now = 0;

	MG_ASSERT(ctx != NULL);
	MG_ASSERT(sscanf(tokens, "now %llu", &now) == 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct mg_jwt_provider *p =
		    mg_jwt_provider_get(ctx, strstr(names[i], "HS") ? 1 : 0);
		int iters = strstr(names[i], "ES") ? 200 : 1000;
		double t, uncached, cached;
		bool ok = true;

		MG_ASSERT(find_case(tokens, names[i], tok, sizeof(tok)));
		t = now_ns();
		for (int k = 0; k < iters; k++) {
			mg_jwt_cache_clear(ctx);
			ok = ok && mg_jwt_verify_token(ctx, p, tok, strlen(tok), now, NULL, 0) ==
			               MG_JWT_OK;
		}
		uncached = (now_ns() - t) / iters;
		t = now_ns();
		for (int k = 0; k < 20000; k++)
			ok = ok && mg_jwt_verify_token(ctx, p, tok, strlen(tok), now, NULL, 0) ==
			               MG_JWT_OK;
		cached = (now_ns() - t) / 20000;
		MG_EXPECT(ok);
		printf("jwt timing: %-12s %4zu-byte token: uncached %8.1f us, cached %5.2f us\n",
		       names[i] + 6, strlen(tok), uncached / 1000, cached / 1000);
	}
	mg_jwt_ctx_free(ctx);
	free(tokens);
}
