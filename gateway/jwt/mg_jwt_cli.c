/*
 * `gateway jwt-test`: the offline JWT tester.  See mg_jwt_cli.h.
 */
#include "gateway/jwt/mg_jwt_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway/config/config.h"
#include "gateway/jwt/mg_jwt.h"
#include "gateway/jwt/mg_jwt_config.h"

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: gateway jwt-test --config FILE [--provider NAME] TOKEN\n"
	        "  Verifies TOKEN against the appliance.jwt providers of FILE (keys from file\n"
	        "  and inline JWKS; remote key sets are not fetched) and prints the outcome per\n"
	        "  provider.  Exit status: 0 accepted by a provider, 1 refused by all, 2 usage\n"
	        "  or configuration errors.\n");
}

int
mg_jwt_cli(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"provider", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct mg_config cfg;
	static int route_req[4096];
	const char *config_path = NULL, *only = NULL, *token;
	struct mg_cfg_errors errs;
	struct mg_jwt_ctx *ctx;
	char err[256] = "";
	int opt, i, shown = 0, ok = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'p':
			only = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1 || config_path == NULL) {
		usage(stderr);
		return 2;
	}
	token = argv[optind];
	if (mg_config_load_file(&cfg, config_path, &errs) != 0) {
		mg_cfg_errors_print(&errs, stderr);
		mg_cfg_errors_free(&errs);
		mg_config_free(&cfg);
		return 2;
	}
	mg_cfg_errors_free(&errs);
	if (!cfg.appliance.jwt.present || cfg.appliance.jwt.n_providers == 0 ||
	    cfg.n_gateway_routes > (int)(sizeof(route_req) / sizeof(route_req[0]))) {
		fprintf(stderr, "jwt-test: %s has no appliance.jwt providers\n", config_path);
		mg_config_free(&cfg);
		return 2;
	}
	ctx = mg_jwt_ctx_from_config(&cfg, route_req, err, sizeof(err));
	if (ctx == NULL) {
		fprintf(stderr, "jwt-test: %s\n", err[0] != '\0' ? err : "no JWT configuration");
		mg_config_free(&cfg);
		return 2;
	}
	for (i = 0; i < cfg.appliance.jwt.n_providers; i++) {
		const char *name = cfg.appliance.jwt.providers[i].name;
		enum mg_jwt_reason r;

		if (only != NULL && strcmp(only, name) != 0)
			continue;
		shown++;
		r = mg_jwt_verify_token(ctx, mg_jwt_provider_get(ctx, i), token, strlen(token),
		                        (uint64_t)time(NULL), NULL, 0);
		if (r == MG_JWT_OK) {
			printf("provider %s: ok\n", name);
			ok = 1;
		} else {
			printf("provider %s: %s (%s)\n", name, mg_jwt_reason_label(r),
			       mg_jwt_reason_text(r));
		}
	}
	if (shown == 0)
		fprintf(stderr, "jwt-test: no provider named '%s'\n", only);
	mg_jwt_ctx_free(ctx);
	mg_config_free(&cfg);
	return shown == 0 ? 2 : ok ? 0 : 1;
}
