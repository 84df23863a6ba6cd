/*
 * libFuzzer target: mg_jwt_check() on HTTP/1.1 request heads (gateway/jwt/mg_jwt.c): token
 * locations (Authorization with a prefix, a named header, the access_token parameter,
 * cookies), any-of and all-of requirements, spoofed claim headers.
 *
 * The input is a request head, parsed by mg_h1 from an exact-size heap copy.  Checks: nothing
 * is allowed except through allow_missing without a token (no key can be forged); a denial has
 * a 401 or 403 and a WWW-Authenticate value that starts with "Bearer realm=" and fits the
 * buffer; an allowance drops every field named like a claim header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/jwt/mg_jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mg_jwt_ctx *ctx;
static int rq_any, rq_all, rq_opt;

static void
setup(void)
{
	struct mg_jwt_provider_cfg a = {.name = "a",
	                                .issuer = "joe",
	                                .n_claim_headers = 1,
	                                .forward_payload_header = "x-payload"};
	struct mg_jwt_provider_cfg b = {.name = "b", .n_locations = 3};
	struct mg_jwt_requirement_cfg r = {.n_providers = 2, .providers = {0, 1}};

	strcpy(a.claim_headers[0].header, "x-sub");
	strcpy(a.claim_headers[0].claim, "sub");
	memset(a.secret, 7, 32);
	a.secret_len = 32;
	b.locations[0] = (struct mg_jwt_location){.kind = MG_JWT_LOC_HEADER, .name = "x-token"};
	b.locations[1] = (struct mg_jwt_location){.kind = MG_JWT_LOC_COOKIE, .name = "session"};
	b.locations[2] = (struct mg_jwt_location){.kind = MG_JWT_LOC_QUERY, .name = "t"};
	ctx = mg_jwt_ctx_new(16, "fuzz");
	if (ctx == NULL || mg_jwt_provider_add(ctx, &a) != 0 || mg_jwt_provider_add(ctx, &b) != 1)
		abort();
	rq_any = mg_jwt_requirement_add(ctx, &r);
	r.all_of = true;
	rq_all = mg_jwt_requirement_add(ctx, &r);
	r.all_of = false;
	r.allow_missing = true;
	rq_opt = mg_jwt_requirement_add(ctx, &r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mg_h1_field fields[64];
	static char buf[4096];
	struct mg_h1_request req;
	struct mg_jwt_outcome out;
	char *head;
	const int rqs[3] = {rq_any, rq_all, rq_opt};

	if (ctx == NULL)
		setup();
	head = malloc(size ? size : 1);
	memcpy(head, data, size);
	mg_h1_request_init(&req, fields, 64, NULL);
	if (mg_h1_request_parse(&req, head, size) <= 0) {
		free(head);
		return 0;
	}
	for (int k = 0; k < 3; k++) {
		const struct mg_jwt_requirement *rq = mg_jwt_requirement_get(ctx, rqs[k]);
		enum mg_jwt_result res;

		mg_jwt_outcome_init(&out, buf, sizeof(buf));
		res = mg_jwt_check(ctx, rq, &req, 1300819000, &out);
		if (res == MG_JWT_ALLOW) {
			if (k != 2 || out.provider != -1 || out.n_add != 0)
				abort(); /* allowed with a token nobody could sign */
			for (unsigned int i = 0; i < req.head.nfields; i++) {
				if (fields[i].name.len == 5 &&
				    strncasecmp(fields[i].name.p, "x-sub", 5) == 0 &&
				    !mg_jwt_outcome_drops(&out, i))
					abort(); /* a spoofed claim header would reach the upstream
					          */
			}
		} else {
			if ((out.status != 401 && out.status != 403) ||
			    out.www_authenticate.len < 13 ||
			    out.www_authenticate.len >= sizeof(buf) ||
			    memcmp(out.www_authenticate.p, "Bearer realm=", 13) != 0)
				abort();
		}
	}
	free(head);
	return 0;
}
