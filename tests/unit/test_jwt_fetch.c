/*
 * The parsers of the remote key-set fetcher (gateway/jwt/mg_jwt_fetch.c): https URLs, HTTP
 * responses (framing, status, size, completeness) and OIDC discovery documents.
 */
#include <errno.h>
#include <string.h>

#include "gateway/jwt/mg_jwt_fetch.h"
#include "mgtest.h"

#define URL_OK(s) (mg_jwt_url_parse((s), strlen(s), &u) == 0)

MG_TEST(jwt_fetch_url)
{
	struct mg_jwt_url u;

	MG_EXPECT(URL_OK("https://idp.example/.well-known/openid-configuration"));
	MG_EXPECT_STR(u.host, "idp.example");
	MG_EXPECT_EQ_INT(u.port, 443);
	MG_EXPECT_STR(u.path, "/.well-known/openid-configuration");
	MG_EXPECT(URL_OK("https://10.0.0.1:8443"));
	MG_EXPECT_EQ_INT(u.port, 8443);
	MG_EXPECT_STR(u.path, "/");
	MG_EXPECT(URL_OK("https://h?x=1"));
	MG_EXPECT_STR(u.path, "/?x=1");
	MG_EXPECT(!URL_OK("http://idp.example/jwks"));       /* keys only over TLS */
	MG_EXPECT(!URL_OK("https://user@idp.example/jwks")); /* userinfo */
	MG_EXPECT(!URL_OK("https://idp.example/jwks#frag"));
	MG_EXPECT(!URL_OK("https://idp.example:0/"));
	MG_EXPECT(!URL_OK("https://idp.example:65536/"));
	MG_EXPECT(!URL_OK("https://idp.example:/"));
	MG_EXPECT(!URL_OK("https://[::1]/"));
	MG_EXPECT(!URL_OK("https:///jwks"));
	MG_EXPECT(!URL_OK("https://idp example/"));
	MG_EXPECT(!URL_OK("https://idp.example/a b"));
}

static int
resp(const char *s, bool eof, char *body, size_t cap, size_t *blen, int *status)
{
	return mg_jwt_http_response(s, strlen(s), eof, body, cap, blen, status);
}

MG_TEST(jwt_fetch_http_response)
{
	char body[64];
	size_t bl;
	int st;

	MG_EXPECT_EQ_INT(
	    resp("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{}", false, body, 64, &bl, &st),
	    0); /* 2 of 4 bytes */
	MG_EXPECT_EQ_INT(
	    resp("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{}", true, body, 64, &bl, &st),
	    -EPROTO); /* closed early */
	MG_EXPECT_EQ_INT(
	    resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", false, body, 64, &bl, &st), 1);
	MG_EXPECT_EQ_INT(bl, 2);
	MG_EXPECT_EQ_INT(
	    resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}x", false, body, 64, &bl, &st),
	    -EPROTO); /* bytes after the body */
	MG_EXPECT_EQ_INT(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                      "2\r\n{}\r\n0\r\n\r\n",
	                      false, body, 64, &bl, &st),
	                 1);
	MG_EXPECT(bl == 2 && memcmp(body, "{}", 2) == 0);
	MG_EXPECT_EQ_INT(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n",
	                      false, body, 64, &bl, &st),
	                 0);
	MG_EXPECT_EQ_INT(resp("HTTP/1.0 200 OK\r\n\r\n{\"keys\":[]}", false, body, 64, &bl, &st),
	                 0);
	MG_EXPECT_EQ_INT(resp("HTTP/1.0 200 OK\r\n\r\n{\"keys\":[]}", true, body, 64, &bl, &st), 1);
	MG_EXPECT_EQ_INT(bl, 11);
	MG_EXPECT_EQ_INT(resp("HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\n\r\n", false, body,
	                      64, &bl, &st),
	                 -EBADMSG);
	MG_EXPECT_EQ_INT(st, 503);
	MG_EXPECT_EQ_INT(
	    resp("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", false, body, 64, &bl, &st),
	    -EFBIG);
	MG_EXPECT_EQ_INT(resp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	                      false, body, 64, &bl, &st),
	                 -EPROTO);
	MG_EXPECT_EQ_INT(resp("garbage\r\n\r\n", false, body, 64, &bl, &st), -EPROTO);
}

MG_TEST(jwt_fetch_discovery)
{
	char out[64];
	const char *d1 = "{\"issuer\":\"https://i\",\"jwks_uri\":\"https://i/k\",\"x\":[1,{}]}";
	const char *d2 = "{\"jwks_uri\":\"https://a\",\"jwks_uri\":\"https://b\"}";
	const char *d3 = "{\"jwks_uri\":\"https://a\\u0000b\"}";

	MG_EXPECT_EQ_INT(mg_jwt_discovery_jwks_uri(d1, strlen(d1), out, sizeof(out)), 0);
	MG_EXPECT_STR(out, "https://i/k");
	MG_EXPECT_EQ_INT(mg_jwt_discovery_jwks_uri(d2, strlen(d2), out, sizeof(out)), -EINVAL);
	MG_EXPECT_EQ_INT(mg_jwt_discovery_jwks_uri(d3, strlen(d3), out, sizeof(out)), -EINVAL);
	MG_EXPECT_EQ_INT(mg_jwt_discovery_jwks_uri("{}", 2, out, sizeof(out)), -EINVAL);
	MG_EXPECT_EQ_INT(mg_jwt_discovery_jwks_uri("{\"jwks_uri\":1}", 14, out, sizeof(out)),
	                 -EINVAL);
	MG_EXPECT_EQ_INT(mg_jwt_discovery_jwks_uri(d1, strlen(d1), out, 8), -EINVAL);
}
