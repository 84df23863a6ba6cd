/*
 * gateway/jwt: strict base64url, strict JSON, the RFC 7515 examples, requirements on
 * requests (token locations, any-of / all-of, allow-missing, claims, header edits), the
 * verified-token cache and the kid-miss refresh signal.  Tokens from independent
 * implementations are in test_jwt_interop.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/jwt/mg_b64url.h"
#include "gateway/jwt/mg_jwt.h"
#include "gateway/jwt/mg_jwt_int.h"
#include "gateway/jwt/mg_jwt_json.h"
#include "mgtest.h"

/* ---- base64url ----------------------------------------------------------------------------- */

MG_TEST(jwt_b64url_roundtrip)
{
	uint8_t in[64], dec[64];
	char enc[128];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(in); n++) {
		long e = mg_b64url_encode(in, n, enc, sizeof(enc));
		long d;

		MG_CASE("n=%zu", n);
		MG_EXPECT_EQ_INT(e, (long)MG_B64URL_ENCODED_LEN(n));
		d = mg_b64url_decode(enc, (size_t)e, dec, sizeof(dec));
		MG_EXPECT_EQ_INT(d, (long)n);
		MG_EXPECT(memcmp(in, dec, n) == 0);
	}
}

MG_TEST(jwt_b64url_strict)
{
	static const struct {
		const char *in;
		long len; /* -1: refused */
	} cases[] = {
	    {"", 0},      {"QQ", 1},    {"QUE", 2},    {"QUFB", 3},
	    {"QR", -1},   /* nonzero spare bits (canonical is QQ) */
	    {"QUF", -1},  /* spare bits (canonical is QUE) */
	    {"QQ==", -1}, /* padding */
	    {"Q", -1},    /* length 1 mod 4 */
	    {"QU+B", -1}, /* standard alphabet */
	    {"QU/B", -1}, {"QU B", -1}, {"QU\nB", -1}, {"-_-_", 3},
	};
	uint8_t out[8];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		MG_CASE("%s", cases[i].in);
		MG_EXPECT_EQ_INT(
		    mg_b64url_decode(cases[i].in, strlen(cases[i].in), out, sizeof(out)),
		    cases[i].len);
	}
	MG_EXPECT_EQ_INT(mg_b64url_decode("QUFBQUFB", 8, out, 5), -1); /* does not fit */
}

/* ---- strict JSON ---------------------------------------------------------------------------- */

MG_TEST(jwt_json_strict)
{
	static const struct {
		const char *in;
		enum mg_jj_err err;
	} cases[] = {
	    {"{}", MG_JJ_OK},
	    {" {\"a\" : [1, -0.5e+3, true, false, null, \"x\"] } ", MG_JJ_OK},
	    {"{\"a\":{\"b\":{\"c\":1}}}", MG_JJ_OK},
	    {"{\"a\":\"\\u00e9\\ud83d\\ude00\"}", MG_JJ_OK},
	    {"[]", MG_JJ_E_SYNTAX},
	    {"{\"a\":1,}", MG_JJ_E_SYNTAX},
	    {"{\"a\":1 \"b\":2}", MG_JJ_E_SYNTAX},
	    {"{\"a\" \"b\"}", MG_JJ_E_SYNTAX},
	    {"{\"a\":[1 2]}", MG_JJ_E_SYNTAX},
	    {"{\"a\":[1,]}", MG_JJ_E_SYNTAX},
	    {"{\"a\":01}", MG_JJ_E_SYNTAX},
	    {"{\"a\":1.}", MG_JJ_E_SYNTAX},
	    {"{\"a\":tru}", MG_JJ_E_SYNTAX},
	    {"{\"a\":1}x", MG_JJ_E_SYNTAX},
	    {"{\"a\":1}{}", MG_JJ_E_SYNTAX},
	    {"{\"a\":1,\"a\":2}", MG_JJ_E_DUP_KEY},
	    {"{\"a\":1,\"\\u0061\":2}", MG_JJ_E_DUP_KEY},
	    {"{\"o\":{\"k\":1,\"k\":1}}", MG_JJ_E_DUP_KEY},
	    {"{\"a\":{\"a\":1}}", MG_JJ_OK},
	    {"{\"a\":\"\\ud83d\"}", MG_JJ_E_STRING},
	    {"{\"a\":\"\\x\"}", MG_JJ_E_SYNTAX}, /* jsmn refuses it first */
	    {"{\"a\":\"\xc0\xaf\"}", MG_JJ_E_STRING},
	    {"{\"a\":\"\xed\xa0\x80\"}", MG_JJ_E_STRING},
	    {"{\"a\":\"tab\there\"}", MG_JJ_E_STRING},
	    {"{\"a\":[[[[[[[[1]]]]]]]]}", MG_JJ_E_DEPTH},
	    {"{\"a\":[[[[[[1]]]]]]}", MG_JJ_OK},
	};
	struct mg_jj_tok toks[64];
	struct mg_jj_doc doc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		MG_CASE("%s", cases[i].in);
		MG_EXPECT_EQ_INT(mg_jj_parse(&doc, cases[i].in, strlen(cases[i].in), toks, 64, 8),
		                 cases[i].err);
	}
	MG_EXPECT_EQ_INT(mg_jj_parse(&doc, "{\"a\":[1,2,3,4]}", 15, toks, 4, 8), MG_JJ_E_TOO_MANY);
}

MG_TEST(jwt_json_access)
{
	static const char s[] = "{\"a\":{\"b\":[1,{\"c\":\"x\"}],\"d\":\"\\u0041\\/\"},\"n\":12.5}";
	struct mg_jj_tok toks[32];
	struct mg_jj_doc doc;
	char buf[16];
	int64_t v;
	int t;

	MG_ASSERT(mg_jj_parse(&doc, s, strlen(s), toks, 32, 8) == MG_JJ_OK);
	t = mg_jj_path(&doc, 0, "a.d", 3);
	MG_EXPECT_EQ_INT(mg_jj_str(&doc, t, buf, sizeof(buf)), 2);
	MG_EXPECT(memcmp(buf, "A/", 2) == 0);
	MG_EXPECT(mg_jj_path(&doc, 0, "a.b.c", 5) < 0);
	MG_EXPECT_EQ_INT(mg_jj_numeric_date(&doc, mg_jj_get(&doc, 0, "n", 1), &v), 0);
	MG_EXPECT_EQ_INT(v, 12);
	MG_EXPECT(mg_jj_get(&doc, 0, "zz", 2) < 0);
}

/* ---- RFC 7515 appendix A ----------------------------------------------------------------------
 */

/* A.2 (RS256) and A.3 (ES256): the public keys and tokens of the RFC. */
static const char rfc_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a2\","
    "\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
    "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
    "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"
    "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
    "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"
    "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\",\"e\":\"AQAB\"},"
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"a3\","
    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"},"
    "{\"kty\":\"EC\",\"crv\":\"P-521\",\"kid\":\"a4\","
    "\"x\":\"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_"
    "NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk\","
    "\"y\":\"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDl"
    "y79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2\"}]}";

static const char rfc_a2[] = "eyJhbGciOiJSUzI1NiJ9."
                             "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
                             "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
                             "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
                             "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
                             "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
                             "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
                             "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
                             "p0igcN_IoypGlUPQGe77Rw";

static const char rfc_a3[] = "eyJhbGciOiJFUzI1NiJ9."
                             "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
                             "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
                             "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
                             "pmWQxfKTUJqPP3-Kg6NU1Q";

/* A.4 (ES512) signs the bytes "Payload", not a JSON claims set: checked at the key level. */
static const char rfc_a4_input[] = "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA";
static const char rfc_a4_sig[] = "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZq"
                                 "wqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8Kp"
                                 "EHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";

#define RFC_NOW 1300819000u /* before the examples' exp (1300819380) */

static struct mg_jwt_ctx *
rfc_ctx(struct mg_jwt_provider **p)
{
	struct mg_jwt_provider_cfg cfg = {.name = "rfc", .issuer = "joe"};
	struct mg_jwt_ctx *ctx = mg_jwt_ctx_new(0, NULL);
	char err[128];
	int i;

	if (ctx == NULL)
		return NULL;
	i = mg_jwt_provider_add(ctx, &cfg);
	*p = mg_jwt_provider_get(ctx, i);
	if (*p == NULL ||
	    mg_jwt_provider_set_keys(*p, rfc_jwks, strlen(rfc_jwks), err, sizeof(err)) != 3) {
		mg_jwt_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

MG_TEST(jwt_rfc7515_examples)
{
	struct mg_jwt_provider *p;
	struct mg_jwt_ctx *ctx = rfc_ctx(&p);
	struct mg_jwks set = {0};
	uint8_t sig[160];
	long sl;

	MG_ASSERT(ctx != NULL);
	MG_EXPECT_STR(mg_jwt_reason_label(
	                  mg_jwt_verify_token(ctx, p, rfc_a2, strlen(rfc_a2), RFC_NOW, NULL, 0)),
	              "allowed");
	MG_EXPECT_STR(mg_jwt_reason_label(
	                  mg_jwt_verify_token(ctx, p, rfc_a3, strlen(rfc_a3), RFC_NOW, NULL, 0)),
	              "allowed");
	/* The same tokens once expired (exp 1300819380 + 60 s of skew). */
	MG_EXPECT_STR(mg_jwt_reason_label(
	                  mg_jwt_verify_token(ctx, p, rfc_a2, strlen(rfc_a2), 1300819440, NULL, 0)),
	              "expired");
	MG_EXPECT_STR(mg_jwt_reason_label(
	                  mg_jwt_verify_token(ctx, p, rfc_a3, strlen(rfc_a3), 1300819439, NULL, 0)),
	              "allowed");
	MG_ASSERT(mg_jwks_parse(&set, rfc_jwks, strlen(rfc_jwks), NULL, 0) == 3);
	sl = mg_b64url_decode(rfc_a4_sig, strlen(rfc_a4_sig), sig, sizeof(sig));
	MG_EXPECT_EQ_INT(sl, 132);
	MG_EXPECT_EQ_INT(mg_jwk_verify(&set.keys[2], MG_JWT_ES512, (const uint8_t *)rfc_a4_input,
	                               strlen(rfc_a4_input), sig, (size_t)sl),
	                 MG_JWT_OK);
	MG_EXPECT_EQ_INT(mg_jwk_verify(&set.keys[2], MG_JWT_ES512, (const uint8_t *)rfc_a4_input,
	                               strlen(rfc_a4_input) - 1, sig, (size_t)sl),
	                 MG_JWT_R_SIG_INVALID);
	/* The P-521 key with ES256 or the RSA key with ES512: the key must suit the alg. */
	MG_EXPECT(!mg_jwk_suits(&set.keys[2], MG_JWT_ES256));
	MG_EXPECT(!mg_jwk_suits(&set.keys[0], MG_JWT_ES512));
	MG_EXPECT(mg_jwk_suits(&set.keys[0], MG_JWT_PS384));
	mg_jwks_free(&set);
	mg_jwt_ctx_free(ctx);
}

MG_TEST(jwt_jwks_refused)
{
	static const char *const bad[] = {
	    "{\"keys\":[]}",
	    "{\"keys\":{}}",
	    "{\"nokeys\":[]}",
	    "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}", /* no usable key */
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}]}",
	    /* the point (x, x) of A.3 is not on the curve */
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	    "\"y\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\"}]}",
	    /* an RSA modulus of 1024 bits */
	    "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\""
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "A"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "E"
	    "\"}]}",
	    "{\"keys\":[{\"kty\":\"EC\",\"kty\":\"RSA\"}]}",
	};
	struct mg_jwt_provider *p;
	struct mg_jwt_ctx *ctx = rfc_ctx(&p);
	char err[128];

	MG_ASSERT(ctx != NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		MG_CASE("%zu", i);
		MG_EXPECT(mg_jwt_provider_set_keys(p, bad[i], strlen(bad[i]), err, sizeof(err)) <
		          0);
	}
	/* The last good set stays in use. */
	MG_EXPECT_EQ_INT(mg_jwt_provider_keys_generation(p), 1);
	MG_EXPECT_EQ_INT(mg_jwt_verify_token(ctx, p, rfc_a2, strlen(rfc_a2), RFC_NOW, NULL, 0),
	                 MG_JWT_OK);
	mg_jwt_ctx_free(ctx);
}

MG_TEST(jwt_cache_and_key_rotation)
{
	struct mg_jwt_provider *p;
	struct mg_jwt_ctx *ctx = rfc_ctx(&p);
	const struct mg_jwt_stats *st;
	uint64_t before;

	MG_ASSERT(ctx != NULL);
	st = mg_jwt_stats(ctx);
	MG_EXPECT_EQ_INT(mg_jwt_verify_token(ctx, p, rfc_a3, strlen(rfc_a3), RFC_NOW, NULL, 0),
	                 MG_JWT_OK);
	before = st->sig_verifications;
	MG_EXPECT_EQ_INT(mg_jwt_verify_token(ctx, p, rfc_a3, strlen(rfc_a3), RFC_NOW + 1, NULL, 0),
	                 MG_JWT_OK);
	MG_EXPECT_EQ_UINT(st->sig_verifications, before); /* served from the cache */
	MG_EXPECT(st->cache_hits >= 1);
	/* The cache never outlives exp. */
	MG_EXPECT_EQ_INT(mg_jwt_verify_token(ctx, p, rfc_a3, strlen(rfc_a3), 1300819441, NULL, 0),
	                 MG_JWT_R_EXPIRED);
	before = st->sig_verifications;
	/* A new key set drops what the old one verified. */
	MG_ASSERT(mg_jwt_provider_set_keys(p, rfc_jwks, strlen(rfc_jwks), NULL, 0) == 3);
	MG_EXPECT_EQ_INT(mg_jwt_verify_token(ctx, p, rfc_a3, strlen(rfc_a3), RFC_NOW, NULL, 0),
	                 MG_JWT_OK);
	MG_EXPECT_EQ_UINT(st->sig_verifications, before + 1);
	mg_jwt_ctx_free(ctx);
}

/* ---- requests -------------------------------------------------------------------------------- */

/* An HS256 provider makes tokens cheap to mint here (the RFC's A.1 example key). */
static const uint8_t a1_key[] = {3,   35,  53,  75,  43,  15,  165, 188, 131, 126, 6,   101, 119,
                                 123, 166, 143, 90,  179, 40,  230, 240, 84,  201, 40,  169, 15,
                                 132, 178, 210, 80,  46,  191, 211, 251, 90,  146, 210, 6,   71,
                                 239, 150, 138, 180, 195, 119, 98,  61,  34,  61,  46,  33,  114,
                                 5,   46,  79,  8,   192, 205, 154, 245, 103, 208, 128, 163};

#include <mbedtls/md.h>

/* Signs <payload> with HS256 and a1_key into <out>. */
static void
mint_hs256(const char *payload, char *out, size_t cap)
{
	static const char hdr[] = "eyJhbGciOiJIUzI1NiJ9"; /* {"alg":"HS256"} */
	uint8_t mac[32];
	size_t n = strlen(hdr);
	long k;

	memcpy(out, hdr, n);
	out[n++] = '.';
	k = mg_b64url_encode((const uint8_t *)payload, strlen(payload), out + n, cap - n);
	n += (size_t)k;
	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), a1_key, sizeof(a1_key),
	                (const uint8_t *)out, n, mac);
	out[n++] = '.';
	n += (size_t)mg_b64url_encode(mac, 32, out + n, cap - n);
	out[n] = '\0';
}

#define NOW 2000000000u

struct req_fixture {
	struct mg_jwt_ctx *ctx;
	int prov_a, prov_b;
	char raw[4096];
	struct mg_h1_field fields[32];
	struct mg_h1_request req;
	char buf[4096];
	struct mg_jwt_outcome out;
};

static bool
fixture_init(struct req_fixture *f)
{
	struct mg_jwt_provider_cfg a = {.name = "a",
	                                .issuer = "https://a",
	                                .n_audiences = 1,
	                                .audiences = {"api"},
	                                .n_claim_headers = 2,
	                                .forward_payload_header = "x-jwt-payload"};
	struct mg_jwt_provider_cfg b = {.name = "b", .issuer = "https://b", .n_locations = 2};

	strcpy(a.claim_headers[0].header, "x-sub");
	strcpy(a.claim_headers[0].claim, "sub");
	strcpy(a.claim_headers[1].header, "x-team");
	strcpy(a.claim_headers[1].claim, "org.team");
	memcpy(a.secret, a1_key, sizeof(a1_key));
	a.secret_len = sizeof(a1_key);
	b.locations[0] = (struct mg_jwt_location){.kind = MG_JWT_LOC_HEADER, .name = "x-token"};
	b.locations[1] = (struct mg_jwt_location){.kind = MG_JWT_LOC_COOKIE, .name = "session"};
	memcpy(b.secret, a1_key, sizeof(a1_key));
	b.secret_len = sizeof(a1_key);
	memset(f, 0, sizeof(*f));
	f->ctx = mg_jwt_ctx_new(16, "mesh");
	if (f->ctx == NULL)
		return false;
	f->prov_a = mg_jwt_provider_add(f->ctx, &a);
	f->prov_b = mg_jwt_provider_add(f->ctx, &b);
	return f->prov_a == 0 && f->prov_b == 1;
}

static int
add_req(struct req_fixture *f, bool all_of, bool allow_missing, const char *claim,
        const char *value, int n_prov)
{
	struct mg_jwt_requirement_cfg r = {.n_providers = (unsigned int)n_prov,
	                                   .providers = {0, 1},
	                                   .all_of = all_of,
	                                   .allow_missing = allow_missing};

	if (claim != NULL) {
		r.n_claims = 1;
		strcpy(r.claims[0].claim, claim);
		strcpy(r.claims[0].value, value);
	}
	return mg_jwt_requirement_add(f->ctx, &r);
}

static enum mg_jwt_result
run(struct req_fixture *f, int rq, const char *head)
{
	size_t n = strlen(head);

	memcpy(f->raw, head, n);
	mg_h1_request_init(&f->req, f->fields, 32, NULL);
	if (mg_h1_request_parse(&f->req, f->raw, n) != (int)n)
		return (enum mg_jwt_result) - 1;
	mg_jwt_outcome_init(&f->out, f->buf, sizeof(f->buf));
	return mg_jwt_check(f->ctx, mg_jwt_requirement_get(f->ctx, rq), &f->req, NOW, &f->out);
}

static const char *
added(const struct mg_jwt_outcome *o, const char *name, char *tmp, size_t cap)
{
	for (unsigned int i = 0; i < o->n_add; i++) {
		if (o->add[i].name.len == strlen(name) &&
		    memcmp(o->add[i].name.p, name, o->add[i].name.len) == 0) {
			snprintf(tmp, cap, "%.*s", (int)o->add[i].value.len, o->add[i].value.p);
			return tmp;
		}
	}
	return "(absent)";
}

MG_TEST(jwt_check_requests)
{
	static struct req_fixture f;
	char tok_a[1024], tok_b[1024], tok_noaud[1024], head[4096], tmp[256];
	int any, all, opt, scope;

	MG_ASSERT(fixture_init(&f));
	any = add_req(&f, false, false, NULL, NULL, 2);
	all = add_req(&f, true, false, NULL, NULL, 2);
	opt = add_req(&f, false, true, NULL, NULL, 1);
	scope = add_req(&f, false, false, "scope", "write", 1);
	mint_hs256("{\"iss\":\"https://a\",\"aud\":\"api\",\"exp\":2000000100,\"sub\":\"alice\","
	           "\"org\":{\"team\":\"edge\"},\"scope\":\"read write\"}",
	           tok_a, sizeof(tok_a));
	mint_hs256("{\"iss\":\"https://b\",\"exp\":2000000100,\"sub\":\"bob\"}", tok_b,
	           sizeof(tok_b));
	mint_hs256("{\"iss\":\"https://a\",\"aud\":\"web\",\"exp\":2000000100,\"scope\":\"read\"}",
	           tok_noaud, sizeof(tok_noaud));

	/* Missing: 401 without an error attribute (RFC 6750 3.1). */
	MG_EXPECT_EQ_INT(run(&f, any, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"), MG_JWT_DENY);
	MG_EXPECT_EQ_INT(f.out.status, 401);
	MG_EXPECT_STR(mg_jwt_reason_label(f.out.reason), "missing");
	snprintf(tmp, sizeof(tmp), "%.*s", (int)f.out.www_authenticate.len,
	         f.out.www_authenticate.p);
	MG_EXPECT_STR(tmp, "Bearer realm=\"mesh\"");

	/* A valid bearer token: allowed, token and spoofed claim headers dropped, claims added. */
	snprintf(head, sizeof(head),
	         "GET /x HTTP/1.1\r\nHost: h\r\nX-Sub: mallory\r\nAuthorization: Bearer %s\r\n"
	         "x-team: spoof\r\n\r\n",
	         tok_a);
	MG_EXPECT_EQ_INT(run(&f, any, head), MG_JWT_ALLOW);
	MG_EXPECT_EQ_INT(f.out.provider, 0);
	MG_EXPECT(mg_jwt_outcome_drops(&f.out, 1));  /* X-Sub */
	MG_EXPECT(mg_jwt_outcome_drops(&f.out, 2));  /* Authorization */
	MG_EXPECT(mg_jwt_outcome_drops(&f.out, 3));  /* x-team */
	MG_EXPECT(!mg_jwt_outcome_drops(&f.out, 0)); /* Host */
	MG_EXPECT_STR(added(&f.out, "x-sub", tmp, sizeof(tmp)), "alice");
	MG_EXPECT_STR(added(&f.out, "x-team", tmp, sizeof(tmp)), "edge");
	MG_EXPECT(strcmp(added(&f.out, "x-jwt-payload", tmp, sizeof(tmp)), "(absent)") != 0);

	/* The access_token query parameter (a default location). */
	snprintf(head, sizeof(head), "GET /x?a=1&access_token=%s HTTP/1.1\r\nHost: h\r\n\r\n",
	         tok_a);
	MG_EXPECT_EQ_INT(run(&f, any, head), MG_JWT_ALLOW);

	/* Audience mismatch: 403 insufficient_scope. */
	snprintf(head, sizeof(head),
	         "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\n\r\n", tok_noaud);
	MG_EXPECT_EQ_INT(run(&f, any, head), MG_JWT_DENY);
	MG_EXPECT_EQ_INT(f.out.status, 403);
	snprintf(tmp, sizeof(tmp), "%.*s", (int)f.out.www_authenticate.len,
	         f.out.www_authenticate.p);
	MG_EXPECT_CONTAINS(tmp, "error=\"insufficient_scope\"");

	/* Provider b: a named header without prefix, or a cookie. */
	snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: h\r\nX-Token: %s\r\n\r\n", tok_b);
	MG_EXPECT_EQ_INT(run(&f, any, head), MG_JWT_ALLOW);
	MG_EXPECT_EQ_INT(f.out.provider, 1);
	snprintf(head, sizeof(head),
	         "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=b; session=%s; c=d\r\n\r\n", tok_b);
	MG_EXPECT_EQ_INT(run(&f, any, head), MG_JWT_ALLOW);

	/* all-of: both tokens needed. */
	snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: h\r\nX-Token: %s\r\n\r\n", tok_b);
	MG_EXPECT_EQ_INT(run(&f, all, head), MG_JWT_DENY);
	MG_EXPECT_STR(mg_jwt_reason_label(f.out.reason), "missing");
	snprintf(head, sizeof(head),
	         "GET / HTTP/1.1\r\nHost: h\r\nX-Token: %s\r\nAuthorization: Bearer %s\r\n\r\n",
	         tok_b, tok_a);
	MG_EXPECT_EQ_INT(run(&f, all, head), MG_JWT_ALLOW);

	/* allow_missing: no token passes, an invalid one does not. */
	MG_EXPECT_EQ_INT(run(&f, opt, "GET / HTTP/1.1\r\nHost: h\r\nX-Sub: x\r\n\r\n"),
	                 MG_JWT_ALLOW);
	MG_EXPECT_EQ_INT(f.out.provider, -1);
	MG_EXPECT(mg_jwt_outcome_drops(&f.out, 1)); /* the spoofed claim header still goes */
	MG_EXPECT_EQ_INT(
	    run(&f, opt, "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer a.b.c\r\n\r\n"),
	    MG_JWT_DENY);
	/* Another scheme in Authorization is no token for a Bearer location. */
	MG_EXPECT_EQ_INT(
	    run(&f, opt, "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic eHg6eXk=\r\n\r\n"),
	    MG_JWT_ALLOW);

	/* Required claims: scope contains "write". */
	snprintf(head, sizeof(head),
	         "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\n\r\n", tok_a);
	MG_EXPECT_EQ_INT(run(&f, scope, head), MG_JWT_ALLOW);
	{
		struct mg_jwt_requirement_cfg r = {.n_providers = 1,
		                                   .providers = {0},
		                                   .n_claims = 1,
		                                   .n_audiences = 1,
		                                   .audiences = {"web"}};
		int rq;

		strcpy(r.claims[0].claim, "scope");
		strcpy(r.claims[0].value, "write");
		rq = mg_jwt_requirement_add(f.ctx, &r);
		/* The audience override admits tok_noaud, whose scope lacks "write": 403. */
		snprintf(head, sizeof(head),
		         "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\n\r\n",
		         tok_noaud);
		MG_EXPECT_EQ_INT(run(&f, rq, head), MG_JWT_DENY);
		MG_EXPECT_STR(mg_jwt_reason_label(f.out.reason), "claim_mismatch");
		MG_EXPECT_EQ_INT(f.out.status, 403);
	}
	/* Two Authorization fields with tokens: ambiguous. */
	snprintf(head, sizeof(head),
	         "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\nAuthorization: Bearer "
	         "%s\r\n\r\n",
	         tok_a, tok_a);
	MG_EXPECT_EQ_INT(run(&f, any, head), MG_JWT_DENY);
	MG_EXPECT_STR(mg_jwt_reason_label(f.out.reason), "request");
	mg_jwt_ctx_free(f.ctx);
}

MG_TEST(jwt_claim_matching)
{
	static const char pl[] = "{\"scope\":\"read write\",\"groups\":[\"eng\",7,true],"
	                         "\"n\":42,\"b\":false,\"o\":{\"scp\":\"a b\"}}";
	static const struct {
		const char *claim, *value;
		bool match;
	} cases[] = {
	    {"scope", "read", true},  {"scope", "wri", false}, {"scope", "read write", false},
	    {"groups", "eng", true},  {"groups", "7", true},   {"groups", "true", true},
	    {"groups", "ops", false}, {"n", "42", true},       {"n", "4", false},
	    {"b", "false", true},     {"o.scp", "b", true},    {"o.x", "b", false},
	    {"missing", "x", false},
	};
	struct mg_jj_tok toks[64];
	struct mg_jj_doc doc;

	MG_ASSERT(mg_jj_parse(&doc, pl, strlen(pl), toks, 64, 8) == MG_JJ_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_jwt_claim_req c = {0};

		strcpy(c.claim, cases[i].claim);
		strcpy(c.value, cases[i].value);
		MG_CASE("%s=%s", cases[i].claim, cases[i].value);
		MG_EXPECT_EQ_INT(mg_jwt_claim_matches(&doc, &c), cases[i].match);
	}
}

MG_TEST(jwt_reason_tables)
{
	for (int r = 0; r < MG_JWT_REASON_COUNT; r++) {
		MG_CASE("%d", r);
		MG_EXPECT(strcmp(mg_jwt_reason_label((enum mg_jwt_reason)r), "unknown") != 0);
		MG_EXPECT(mg_jwt_reason_text((enum mg_jwt_reason)r) != NULL);
		for (int s = 0; s < r; s++)
			MG_EXPECT(strcmp(mg_jwt_reason_label((enum mg_jwt_reason)r),
			                 mg_jwt_reason_label((enum mg_jwt_reason)s)) != 0);
		/* No text leaks a quote into the WWW-Authenticate value. */
		MG_EXPECT(strchr(mg_jwt_reason_text((enum mg_jwt_reason)r), '"') == NULL);
	}
}

MG_TEST(jwt_forward_and_no_keys)
{
	static struct req_fixture f;
	struct mg_jwt_provider_cfg c = {.name = "fwd", .forward = true};
	struct mg_jwt_requirement_cfg r = {.n_providers = 1};
	struct mg_jwt_provider *nokeys;
	char tok[1024], head[2048];
	int rq, pi;

	MG_ASSERT(fixture_init(&f));
	memcpy(c.secret, a1_key, sizeof(a1_key));
	c.secret_len = sizeof(a1_key);
	pi = mg_jwt_provider_add(f.ctx, &c);
	MG_ASSERT(pi == 2);
	r.providers[0] = pi;
	rq = mg_jwt_requirement_add(f.ctx, &r);
	mint_hs256("{\"exp\":2000000100}", tok, sizeof(tok));
	snprintf(head, sizeof(head),
	         "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: bearer %s\r\n\r\n", tok);
	MG_EXPECT_EQ_INT(run(&f, rq, head), MG_JWT_ALLOW);
	MG_EXPECT(!mg_jwt_outcome_drops(&f.out, 1)); /* forward: the token stays */
	/* A second identical request is a cache hit. */
	MG_EXPECT_EQ_INT(run(&f, rq, head), MG_JWT_ALLOW);
	MG_EXPECT(f.out.cache_hit);

	/* A provider whose keys have not arrived: no_keys, and one refresh signal per interval. */
	nokeys = mg_jwt_provider_get(f.ctx, 1);
	MG_EXPECT(!mg_jwt_provider_refresh_wanted(nokeys));
	MG_EXPECT_EQ_INT(mg_jwt_verify_token(f.ctx, nokeys, rfc_a2, strlen(rfc_a2), NOW, NULL, 0),
	                 MG_JWT_R_ISSUER); /* iss "joe" is not provider b's */
	{
		struct mg_jwt_provider_cfg d = {.name = "empty", .issuer = "joe"};
		struct mg_jwt_provider *e =
		    mg_jwt_provider_get(f.ctx, mg_jwt_provider_add(f.ctx, &d));

		MG_ASSERT(e != NULL);
		for (int i = 0; i < 5; i++)
			MG_EXPECT_EQ_INT(
			    mg_jwt_verify_token(f.ctx, e, rfc_a2, strlen(rfc_a2), RFC_NOW, NULL, 0),
			    MG_JWT_R_NO_KEYS);
		MG_EXPECT_EQ_UINT(mg_jwt_provider_refresh_signals(e), 1);
		MG_EXPECT(mg_jwt_provider_refresh_wanted(e));
	}
	mg_jwt_ctx_free(f.ctx);
}

/* ecdsaVerificationsPerSecond: uncached ECDSA verifications past the budget are `busy`
 * (503) before any signature work; cached tokens and RSA do not count. */
MG_TEST(jwt_ecdsa_budget)
{
	struct mg_jwt_provider_cfg cfg = {.name = "rfc", .issuer = "joe", .ecdsa_per_second = 2};
	struct mg_jwt_ctx *ctx = mg_jwt_ctx_new(0, NULL);
	struct mg_jwt_provider *p;
	char bad[3][sizeof(rfc_a3)];
	const char *sig;
	int i;

	MG_ASSERT(ctx != NULL);
	p = mg_jwt_provider_get(ctx, mg_jwt_provider_add(ctx, &cfg));
	MG_ASSERT(p != NULL);
	MG_ASSERT(mg_jwt_provider_set_keys(p, rfc_jwks, strlen(rfc_jwks), NULL, 0) == 3);
	sig = strrchr(rfc_a3, '.') + 1;
	for (i = 0; i < 3; i++) {
		memcpy(bad[i], rfc_a3, sizeof(rfc_a3));
		bad[i][sig - rfc_a3] = (char)('E' + i); /* 'D' in the original: still canonical */
	}
#define V(tok, now) mg_jwt_verify_token(ctx, p, (tok), strlen(tok), (now), NULL, 0)
	MG_EXPECT_EQ_INT(V(bad[0], RFC_NOW), MG_JWT_R_SIG_INVALID);
	MG_EXPECT_EQ_INT(V(bad[1], RFC_NOW), MG_JWT_R_SIG_INVALID);
	MG_EXPECT_EQ_INT(V(bad[2], RFC_NOW), MG_JWT_R_BUSY);
	MG_EXPECT_EQ_INT(V(rfc_a3, RFC_NOW), MG_JWT_R_BUSY);
	MG_EXPECT_EQ_INT(V(rfc_a2, RFC_NOW), MG_JWT_OK);     /* RSA is not budgeted */
	MG_EXPECT_EQ_INT(V(rfc_a3, RFC_NOW + 1), MG_JWT_OK); /* a new second */
	MG_EXPECT_EQ_INT(V(rfc_a3, RFC_NOW + 1), MG_JWT_OK); /* cached: free */
	MG_EXPECT_EQ_INT(V(bad[0], RFC_NOW + 1), MG_JWT_R_SIG_INVALID);
	MG_EXPECT_EQ_INT(V(bad[1], RFC_NOW + 1), MG_JWT_R_BUSY);
	MG_EXPECT_EQ_INT(mg_jwt_reason_status(MG_JWT_R_BUSY), 503);
#undef V
	mg_jwt_ctx_free(ctx);
}
