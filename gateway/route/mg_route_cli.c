/*
 * `gateway route-test`: the offline route tester.  See mg_route_cli.h.
 */
#include "gateway/route/mg_route_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/config.h"
#include "gateway/http/mg_h1.h"
#include "gateway/route/mg_route.h"

#define MAX_HEADERS 64
#define REQ_MAX     (64 * 1024)

static void
usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: gateway route-test --config FILE [--json] METHOD URL [-H 'name: value']...\n"
	    "  Prints the gateway route, virtual service, virtual router, route and weighted\n"
	    "  targets the gateway chooses for the request, with the Host and path it sends,\n"
	    "  or the status it answers itself.  URL is http[s]://host[:port]/path[?query];\n"
	    "  its port is the listener port the request arrives on (default: the virtual\n"
	    "  gateway listener's).  Exit status: 0 when a decision was printed, 2 for usage\n"
	    "  or configuration errors.\n");
}

/* Writes <s> (<n> bytes) as a JSON string. */
static void
json_str(FILE *out, const char *s, size_t n)
{
	size_t i;

	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void
json_name(FILE *out, const char *s)
{
	json_str(out, s, s != NULL ? strlen(s) : 0);
}

/* Splits <url> into its authority (host[:port]) and origin-form target; returns the port
 * given (0: none) or -1 when it is not an http(s) URL. */
static int
split_url(const char *url, const char **auth, size_t *auth_len, const char **target)
{
	const char *p, *slash, *colon;
	long port = 0;

	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return -1;
	slash = strpbrk(p, "/?");
	*auth = p;
	*auth_len = slash != NULL ? (size_t)(slash - p) : strlen(p);
	*target = slash != NULL ? slash : "/";
	if (*auth_len == 0)
		return -1;
	colon = memchr(p, ':', *auth_len);
	if (colon != NULL && p[0] != '[') {
		char *end;

		port = strtol(colon + 1, &end, 10);
		if (end != p + *auth_len || port < 1 || port > 65535)
			return -1;
	}
	return (int)port;
}

static void
print_text(const struct mg_route_decision *d, int status)
{
	unsigned int i;

	if (d->reason != MG_ROUTE_OK) {
		printf("status:          %d (%s)\n", status, mg_route_reason_label(d->reason));
	} else {
		printf("status:          forwarded\n");
	}
	if (d->gateway_route != NULL)
		printf("gateway route:   %s\n", d->gateway_route);
	if (d->virtual_service != NULL)
		printf("virtual service: %s\n", d->virtual_service);
	if (d->virtual_router != NULL)
		printf("virtual router:  %s\n", d->virtual_router);
	if (d->route != NULL)
		printf("route:           %s\n", d->route);
	for (i = 0; i < d->n_targets; i++)
		printf("target:          %s port %u weight %u%s\n", d->targets[i].virtual_node,
		       d->targets[i].port, d->targets[i].weight,
		       d->n_targets > 1 && (int)i == d->chosen ? " (this request)" : "");
	if (d->path != NULL) {
		printf("host:            %.*s\n", (int)d->host_len, d->host != NULL ? d->host : "");
		printf("path:            %.*s\n", (int)d->path_len, d->path);
	}
}

static void
print_json(const struct mg_route_decision *d, int status)
{
	unsigned int i;
	bool routed = d->path != NULL;

	printf("{\"status\": %d, \"gatewayRoute\": ", status);
	json_name(stdout, d->gateway_route);
	fputs(", \"virtualService\": ", stdout);
	json_name(stdout, d->virtual_service);
	fputs(", \"virtualRouter\": ", stdout);
	json_name(stdout, d->virtual_router);
	fputs(", \"route\": ", stdout);
	json_name(stdout, d->route);
	fputs(", \"targets\": [", stdout);
	for (i = 0; i < d->n_targets; i++) {
		fputs(i > 0 ? ", {\"virtualNode\": " : "{\"virtualNode\": ", stdout);
		json_name(stdout, d->targets[i].virtual_node);
		printf(", \"weight\": %u, \"port\": %u}", d->targets[i].weight, d->targets[i].port);
	}
	fputs("], \"host\": ", stdout);
	json_str(stdout, routed ? d->host : NULL, d->host_len);
	fputs(", \"path\": ", stdout);
	json_str(stdout, routed ? d->path : NULL, d->path_len);
	fputs("}\n", stdout);
}

int
mg_route_cli(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct mg_config cfg;
	static char req[REQ_MAX], path[MG_ROUTE_PATH_BUF];
	const char *config_path = NULL, *headers[MAX_HEADERS], *method, *url, *auth, *target;
	struct mg_h1_field fields[MAX_HEADERS + 1];
	struct mg_route_env env = {0};
	struct mg_route_table *table = NULL;
	struct mg_route_decision d;
	struct mg_cfg_errors errs;
	struct mg_h1_request r;
	struct mg_h1_limits lim = {0};
	char err[256];
	size_t auth_len, len = 0;
	bool json = false, has_host = false;
	int opt, n_headers = 0, port, i, rc, status = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:jhH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'H':
			if (n_headers == MAX_HEADERS) {
				fprintf(stderr, "route-test: at most %d headers\n", MAX_HEADERS);
				return 2;
			}
			headers[n_headers++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* Headers may also follow the URL: METHOD URL -H 'a: b' ... */
	if (argc - optind < 2 || config_path == NULL) {
		usage(stderr);
		return 2;
	}
	method = argv[optind];
	url = argv[optind + 1];
	for (i = optind + 2; i < argc; i++) {
		if (strcmp(argv[i], "-H") == 0 && i + 1 < argc && n_headers < MAX_HEADERS) {
			headers[n_headers++] = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			usage(stderr);
			return 2;
		}
	}
	port = split_url(url, &auth, &auth_len, &target);
	if (port < 0) {
		fprintf(stderr, "route-test: '%s' is not an http:// or https:// URL\n", url);
		return 2;
	}

	rc = mg_config_load_file(&cfg, config_path, &errs);
	if (rc != 0) {
		mg_cfg_errors_print(&errs, stderr);
		mg_cfg_errors_free(&errs);
		mg_config_free(&cfg);
		return 2;
	}
	mg_cfg_errors_free(&errs);
	if (!cfg.has_virtual_gateway) {
		fprintf(stderr, "route-test: %s has no virtualGateway: nothing listens\n",
		        config_path);
		mg_config_free(&cfg);
		return 2;
	}
	if (port == 0)
		port = cfg.virtual_gateway.listener.port;
	rc = mg_route_table_build(&table, &cfg, &env, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "route-test: %s\n", err);
		mg_config_free(&cfg);
		return 2;
	}

	/* The request as a client would send it, parsed by the gateway's own parser. */
	len += (size_t)snprintf(req + len, sizeof(req) - len, "%s %s HTTP/1.1\r\n", method, target);
	for (i = 0; i < n_headers && len < sizeof(req); i++) {
		if (strncasecmp(headers[i], "host:", 5) == 0)
			has_host = true;
		len += (size_t)snprintf(req + len, sizeof(req) - len, "%s\r\n", headers[i]);
	}
	if (!has_host && len < sizeof(req))
		len += (size_t)snprintf(req + len, sizeof(req) - len, "Host: %.*s\r\n",
		                        (int)auth_len, auth);
	if (len < sizeof(req))
		len += (size_t)snprintf(req + len, sizeof(req) - len, "\r\n");
	if (len >= sizeof(req)) {
		fprintf(stderr, "route-test: request too large\n");
		mg_route_table_free(table);
		mg_config_free(&cfg);
		return 2;
	}
	mg_h1_request_init(&r, fields, MAX_HEADERS + 1, &lim);
	rc = mg_h1_request_parse(&r, req, len);
	if (rc < 0) {
		status = rc == MG_H1_ERROR ? r.head.err_status : 400;
		memset(&d, 0, sizeof(d));
		d.chosen = -1;
		if (json) {
			print_json(&d, status);
		} else {
			printf("status:          %d (the request is malformed: %s)\n", status,
			       mg_h1_reason_text(r.head.err_reason));
		}
	} else {
		mg_route_decide(table, &r, (uint16_t)port, path, sizeof(path), &d);
		status = mg_route_reason_status(d.reason);
		if (json)
			print_json(&d, status);
		else
			print_text(&d, status);
	}
	mg_route_table_free(table);
	mg_config_free(&cfg);
	return 0;
}
