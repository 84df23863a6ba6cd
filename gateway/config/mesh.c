/*
 * The App Mesh resources of the mesh: the top-level `mesh`, `gatewayRoutes`,
 * `virtualServices`, `virtualRouters`, `routes` and `virtualNodes` sections, each resource
 * exactly as the matching `aws appmesh describe-*` command prints it (see docs/CONFIG.md and
 * the spec shapes of the App Mesh API 2019-01-25).
 *
 * As in vgw.c, each resource is walked by the schema tables into a private mirror of its JSON
 * tree (struct m_* below: fixed-size members, with the names, required flags, ranges and unions
 * of the App Mesh API), then converted into the heap-allocated public structs of config.h
 * (convert_*()). Lists whose length App Mesh leaves open (the resources themselves, a virtual
 * node's listeners and backends) are walked one element at a time through a scratch mirror
 * (parse_list()), so the mirrors stay small whatever the size of the mesh.
 *
 * Rules within one resource run in the tables' validators; rules across resources (references
 * by name, duplicate names, ports and protocols that must agree, the appliance's endpoints and
 * DNS) run once everything is parsed, in mg_cfg_mesh_resolve().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "config_int.h"

#define REQ    MG_SCHEMA_F_REQUIRED
#define SHARED MG_SCHEMA_F_SHARED

/* Storage of ARNs and SDS secret names, which are validated and not used (see vgw.c). */
#define OPAQUE_MAX 2048
/* Caps on lists App Mesh leaves unbounded, per object (documented in docs/CONFIG.md). */
#define MAX_LISTENERS 64
#define MAX_SANS      MG_CFG_MAX_SAN
#define MAX_PORTS     MG_CFG_MAX_CLIENT_PORTS
#define MAX_LOG_JSON  MG_CFG_MAX_LOG_JSON
#define MAX_ATTRS     10

#define NAME_SIZE (MG_CFG_NAME_MAX + 1)
#define TEXT_SIZE (MG_CFG_TEXT_MAX + 1)

/* Field helpers: the tables below are long, these keep each line to one field. */
#define F_STR(n, T, m, lo, fl)                                                                     \
	{                                                                                          \
		.name = n, .type = MG_SCHEMA_STRING, .flags = fl, MG_SCHEMA_MEMBER(T, m),          \
		.min = lo                                                                          \
	}
#define F_STRC(n, T, m, lo, fl, chk)                                                               \
	{                                                                                          \
		.name = n, .type = MG_SCHEMA_STRING, .flags = fl, MG_SCHEMA_MEMBER(T, m),          \
		.min = lo, .check = chk                                                            \
	}
#define F_INT(n, T, m, lo, hi, fl)                                                                 \
	{                                                                                          \
		.name = n, .type = MG_SCHEMA_INT, .flags = fl, MG_SCHEMA_MEMBER(T, m), .min = lo,  \
		.max = hi                                                                          \
	}
#define F_BOOL(n, T, m, d)                                                                         \
	{                                                                                          \
		.name = n, .type = MG_SCHEMA_BOOL, MG_SCHEMA_MEMBER(T, m), .def = d                \
	}
/* An enum whose int is 0 when absent and 1 + the index of the name when present. */
#define F_OPT_ENUM(n, T, m, names, fl)                                                             \
	{                                                                                          \
		.name = n, .type = MG_SCHEMA_ENUM, .flags = fl, MG_SCHEMA_MEMBER(T, m),            \
		.enum_names = names, .check = enum_plus_one                                        \
	}
#define F_OBJ(n, T, m, o, fl)                                                                      \
	{                                                                                          \
		.name = n, .type = MG_SCHEMA_OBJECT, .flags = fl, MG_SCHEMA_MEMBER(T, m),          \
		.object = o                                                                        \
	}
#define F_ALT(n, T, m, o, t)                                                                       \
	{                                                                                          \
		.name = n, .type = MG_SCHEMA_OBJECT, .tag = t, MG_SCHEMA_MEMBER(T, m), .object = o \
	}
#define F_ARR(n, T, m, cnt, lo, hi, e, fl)                                                         \
	{                                                                                          \
		.name = n, .type = MG_SCHEMA_ARRAY, .flags = fl, MG_SCHEMA_MEMBER(T, m),           \
		.min = lo, .max = hi, .elem = e, .count_offset = offsetof(T, cnt)                  \
	}
#define F_IGNORED(n)                                                                               \
	{                                                                                          \
		.name = n, .type = MG_SCHEMA_CUSTOM, .parse = parse_ignored                        \
	}
#define OBJ(nm, T, f, v)                                                                           \
	{                                                                                          \
		.name = nm, .size = sizeof(T), .fields = f, .n_fields = MG_SCHEMA_COUNT(f),        \
		.validate = v                                                                      \
	}
#define UNION(nm, T, f, v)                                                                         \
	{                                                                                          \
		.name = nm, .kind = MG_SCHEMA_UNION, .size = sizeof(T),                            \
		.tag_offset = offsetof(T, kind), .fields = f, .n_fields = MG_SCHEMA_COUNT(f),      \
		.validate = v                                                                      \
	}

/* ------------------------------------------------------------------------------------------ */
/* The mirrors of the JSON trees                                                              */

/* An optional integer of 16 bits and whether it was given (set by mark_opt16()). */
struct m_opt16 {
	uint16_t v;
	bool set;
};

/* Duration; unit is 0 (absent), 1 (s) or 2 (ms). */
struct m_duration {
	bool present;
	int unit;
	int64_t value;
};

struct m_range {
	int64_t start, end;
};

/* A string match union; its tags are enum mg_cfg_match_kind. Alternatives share <value>. */
struct m_smatch {
	int kind;
	char value[256];
	struct m_range range;
};

struct m_header {
	char name[51];
	bool invert;
	struct m_smatch match;
};

struct m_qmatch {
	bool has_exact;
	char exact[TEXT_SIZE];
};

struct m_query {
	char name[TEXT_SIZE];
	struct m_qmatch match;
};

/* HttpRouteMatch and HttpGatewayRouteMatch (hostname: gateway routes; scheme: routes). */
struct m_http_match {
	char prefix[TEXT_SIZE];
	struct m_smatch path;
	struct m_smatch hostname;
	int method; /* enum mg_cfg_http_method */
	int scheme; /* 0, 1 http, 2 https */
	uint16_t port;
	int n_headers;
	struct m_header headers[10];
	int n_query;
	struct m_query query[10];
};

/* GrpcRouteMatch and GrpcGatewayRouteMatch (hostname: gateway routes; methodName: routes). */
struct m_grpc_match {
	char service_name[TEXT_SIZE];
	char method_name[51];
	struct m_smatch hostname;
	uint16_t port;
	int n_metadata;
	struct m_header metadata[10];
};

struct m_name {
	char name[NAME_SIZE];
};

struct m_gw_target {
	uint16_t port;
	struct m_name vs;
};

struct m_prefix_rw {
	bool present;
	int def; /* enum mg_cfg_rewrite_default */
	char value[256];
};

struct m_path_rw {
	bool present;
	char exact[256];
};

struct m_gw_rewrite {
	int hostname_def; /* enum mg_cfg_rewrite_default */
	struct m_prefix_rw prefix;
	struct m_path_rw path;
};

struct m_gw_action {
	struct m_gw_target target;
	struct m_gw_rewrite rewrite;
};

struct m_gw_http {
	struct m_http_match match;
	struct m_gw_action action;
};

struct m_gw_grpc {
	struct m_grpc_match match;
	struct m_gw_action action;
};

/* GatewayRouteSpec; tags are enum mg_cfg_route_kind + 1 (http and http2 share <http>). */
struct m_gw_spec {
	int kind;
	struct m_opt16 priority;
	struct m_gw_http http;
	struct m_gw_grpc grpc;
};

struct m_gw_route {
	char name[NAME_SIZE];
	struct m_gw_spec spec;
};

struct m_wt {
	uint16_t port;
	char node[NAME_SIZE];
	uint8_t weight;
};

struct m_action {
	int n;
	struct m_wt targets[10];
};

struct m_retry {
	bool present;
	int64_t max_retries;
	struct m_duration per_retry;
	int n_http, n_tcp, n_grpc;
	int http[25];
	int tcp[1];
	int grpc[5];
};

struct m_timeout {
	struct m_duration idle, per_request;
};

struct m_route_http {
	struct m_http_match match;
	struct m_action action;
	struct m_retry retry;
	struct m_timeout timeout;
};

struct m_route_grpc {
	struct m_grpc_match match;
	struct m_action action;
	struct m_retry retry;
	struct m_timeout timeout;
};

struct m_tcp_match {
	uint16_t port;
};

struct m_route_tcp {
	struct m_tcp_match match;
	struct m_action action;
	struct m_timeout timeout;
};

/* RouteSpec; tags are enum mg_cfg_route_kind + 1 (http and http2 share <http>). */
struct m_route_spec {
	int kind;
	struct m_opt16 priority;
	struct m_route_http http;
	struct m_route_grpc grpc;
	struct m_route_tcp tcp;
};

struct m_route {
	char name[NAME_SIZE];
	char router[NAME_SIZE];
	struct m_route_spec spec;
};

/* VirtualServiceProvider; tags are enum mg_cfg_provider_kind (both alternatives share name). */
struct m_provider {
	int kind;
	struct m_name ref;
};

struct m_vservice {
	char name[NAME_SIZE];
	struct m_provider spec;
};

struct m_pm {
	uint16_t port;
	int protocol; /* enum mg_cfg_port_protocol */
};

struct m_router_spec {
	int n;
	struct m_pm listeners[MAX_LISTENERS];
};

struct m_router {
	char name[NAME_SIZE];
	struct m_router_spec spec;
};

/* Certificates and trust of a node (validated, not stored). Tags: 1 acm, 2 file, 3 sds. */
struct m_file_cert {
	char chain[MG_CFG_PATH_MAX];
	char key[MG_CFG_PATH_MAX];
};

struct m_opaque {
	char s[OPAQUE_MAX];
};

struct m_cert {
	int kind;
	struct m_opaque opaque; /* acm certificateArn, sds secretName */
	struct m_file_cert file;
};

struct m_acm_trust {
	int n;
	char arns[3][OPAQUE_MAX];
};

struct m_file_trust {
	char chain[MG_CFG_PATH_MAX];
};

struct m_trust {
	int kind;
	struct m_acm_trust acm;
	struct m_file_trust file;
	struct m_opaque sds;
};

struct m_san {
	int n;
	char names[MAX_SANS][255];
};

struct m_validation {
	struct m_trust trust;
	struct m_san san;
};

struct m_listener_tls {
	bool present;
	int mode; /* 0 STRICT, 1 PERMISSIVE, 2 DISABLED */
	struct m_cert cert;
	struct m_validation validation;
};

struct m_pool {
	int kind; /* enum mg_cfg_node_pool_kind */
	uint32_t max_connections, max_pending_requests, max_requests;
};

struct m_health {
	bool present;
	uint32_t healthy, unhealthy, interval, timeout;
	uint16_t port;
	int protocol;
	char path[TEXT_SIZE];
};

struct m_outlier {
	bool present;
	struct m_duration base, interval;
	uint32_t max_percent;
	int64_t max_errors;
};

/* ListenerTimeout; tags are enum mg_cfg_port_protocol + 1; all share <t>. */
struct m_ltimeout {
	int kind;
	struct m_timeout t;
};

struct m_node_listener {
	struct m_pm pm;
	struct m_listener_tls tls;
	struct m_pool pool;
	struct m_health health;
	struct m_outlier outlier;
	struct m_ltimeout timeout;
};

struct m_client_tls {
	bool present;
	bool enforce;
	int n_ports;
	uint16_t ports[MAX_PORTS];
	struct m_cert cert;
	struct m_validation validation;
};

struct m_vs_backend {
	struct m_client_tls policy;
	char name[NAME_SIZE];
};

struct m_backend {
	int kind; /* 1: virtualService */
	struct m_vs_backend vs;
};

struct m_format {
	int kind; /* 1 json, 2 text */
	int n_json;
	struct mg_cfg_log_json_field json[MAX_LOG_JSON];
	char text[MG_CFG_LOG_TEXT_MAX];
};

struct m_file_log {
	char path[MG_CFG_PATH_MAX];
	struct m_format format;
};

struct m_access_log {
	int kind; /* 1: file */
	struct m_file_log file;
};

struct m_attr {
	char key[256];
	char value[1025];
};

struct m_cloud_map {
	int n_attrs;
	struct m_attr attrs[MAX_ATTRS];
	int ip;
	char ns[1025];
	char service[1025];
};

struct m_dns {
	char hostname[254];
	int ip;       /* enum mg_cfg_ip_preference */
	int response; /* 0 absent, 1 LOADBALANCER, 2 ENDPOINTS */
};

/* ServiceDiscovery; tags: 1 awsCloudMap, 2 dns. */
struct m_discovery {
	int kind;
	struct m_cloud_map cloud_map;
	struct m_dns dns;
};

/*
 * VirtualNodeSpec. listeners and backends are parsed by parse_list() straight into heap arrays
 * that the conversion moves into the public struct.
 */
struct m_node_spec {
	struct m_client_tls backend_defaults;
	struct m_access_log log;
	struct m_discovery discovery;
	int n_listeners;
	struct mg_cfg_node_listener *listeners;
	int n_backends;
	char **backends;
};

struct m_node {
	char name[NAME_SIZE];
	struct m_node_spec spec;
};

struct m_mesh_spec {
	int egress; /* 0 absent, 1 ALLOW_ALL, 2 DROP_ALL */
	int ip;     /* enum mg_cfg_ip_preference */
};

struct m_mesh {
	char name[NAME_SIZE];
	struct m_mesh_spec spec;
};

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                      */

static const char *const pp_names[] = {"http", "tcp", "http2", "grpc", NULL};
static const char *const tls_mode_names[] = {"STRICT", "PERMISSIVE", "DISABLED", NULL};
static const char *const unit_names[] = {"s", "ms", NULL};
static const char *const method_names[] = {"GET",     "HEAD",    "POST",  "PUT",   "DELETE",
                                           "CONNECT", "OPTIONS", "TRACE", "PATCH", NULL};
static const char *const scheme_names[] = {"http", "https", NULL};
static const char *const ip_names[] = {"IPv6_PREFERRED", "IPv4_PREFERRED", "IPv4_ONLY", "IPv6_ONLY",
                                       NULL};
static const char *const rewrite_names[] = {"ENABLED", "DISABLED", NULL};
static const char *const egress_names[] = {"ALLOW_ALL", "DROP_ALL", NULL};
static const char *const dns_response_names[] = {"LOADBALANCER", "ENDPOINTS", NULL};
static const char *const http_event_names[] = {"server-error", "gateway-error", "client-error",
                                               "stream-error", NULL};
static const char *const tcp_event_names[] = {"connection-error", NULL};
static const char *const grpc_event_names[] = {
    "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable", NULL};
/* The JSON member of each route kind (enum mg_cfg_route_kind). */
static const char *const route_kind_names[] = {"httpRoute", "http2Route", "grpcRoute", "tcpRoute"};

/* ------------------------------------------------------------------------------------------ */
/* Callbacks                                                                                  */

static int
parse_ignored(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	(void)ctx;
	(void)f;
	(void)tok;
	(void)base;
	return 0;
}

/* F_OPT_ENUM: turns the stored index into 1 + index, so that 0 means absent. */
static int
enum_plus_one(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	(void)ctx;
	(void)tok;
	*(int *)(void *)((char *)base + f->offset) += 1;
	return 0;
}

/* The check of a field stored in a struct m_opt16: it was given. */
static int
mark_opt16(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	(void)ctx;
	(void)tok;
	((struct m_opt16 *)(void *)((char *)base + f->offset))->set = true;
	return 0;
}

/* Validator of objects whose struct starts with `bool present`. */
static int
mark_present(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	(void)ctx;
	(void)o;
	(void)tok;
	*(bool *)base = true;
	return 0;
}

static int
mark_exact(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	(void)ctx;
	(void)f;
	(void)tok;
	((struct m_qmatch *)base)->has_exact = true;
	return 0;
}

/* A regular expression: it must compile with PCRE2 (UTF-8). */
static int
check_regex(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *re = (const char *)base + f->offset;
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	pcre2_code *code;
	int err;

	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &off, NULL);
	if (code != NULL) {
		pcre2_code_free(code);
		return 0;
	}
	if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", err);
	mg_json_error(ctx->doc, tok, "invalid regular expression: %s (at offset %zu)",
	              (const char *)msg, (size_t)off);
	return -EINVAL;
}

/* A path or a path prefix: it starts with '/'. */
static int
check_path(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *s = (const char *)base + f->offset;
	char ex[MG_JSON_EXCERPT_MAX];

	if (s[0] == '/')
		return 0;
	mg_json_error(ctx->doc, tok, "'%s' must start with '/'",
	              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)));
	return -EINVAL;
}

/* Returns true if <s> starts with <prefix>, ignoring ASCII case. */
static bool
starts_with_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* A gateway route's prefix: a path prefix, not one App Mesh reserves for itself. */
static int
check_gw_prefix(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *s = (const char *)base + f->offset;

	if (check_path(ctx, f, tok, base) < 0)
		return -EINVAL;
	if (starts_with_ci(s, "/aws-appmesh") || starts_with_ci(s, "/aws-app-mesh")) {
		mg_json_error(ctx->doc, tok,
		              "prefixes starting with /aws-appmesh or /aws-app-mesh are reserved "
		              "(App Mesh refuses them too)");
		return -EINVAL;
	}
	return 0;
}

/* A gateway route's gRPC service name: not one App Mesh reserves. */
static int
check_gw_service(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *s = (const char *)base + f->offset;

	if (starts_with_ci(s, "aws.appmesh") || starts_with_ci(s, "aws.app-mesh")) {
		mg_json_error(ctx->doc, tok,
		              "service names starting with aws.appmesh or aws.app-mesh are "
		              "reserved (App Mesh refuses them too)");
		return -EINVAL;
	}
	return 0;
}

/* An HTTP header name: an RFC 9110 token, or a pseudo-header such as ":authority". */
static int
check_header_name(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";
	const char *s = (const char *)base + f->offset;
	char ex[MG_JSON_EXCERPT_MAX];
	size_t i = s[0] == ':' ? 1 : 0;

	if (s[i] == '\0')
		goto bad;
	for (; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      strchr(tchar, c) != NULL))
			goto bad;
	}
	return 0;
bad:
	mg_json_error(ctx->doc, tok,
	              "'%s' is not an HTTP header name (letters, digits and !#$%%&'*+-.^_`|~)",
	              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)));
	return -EINVAL;
}

/* Host names (hostname matches, DNS service discovery): letters, digits, '-', '.', '_'. */
static int
check_host(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *s = (const char *)base + f->offset;
	char ex[MG_JSON_EXCERPT_MAX];
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '.' || c == '_')) {
			mg_json_error(ctx->doc, tok,
			              "'%s' is not a host name (letters, digits, '-', '.' and '_')",
			              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)));
			return -EINVAL;
		}
	}
	return 0;
}

/* DNS service discovery: a DNS name of labels of 1..63 characters, or an IPv4 address. */
static int
check_dns_hostname(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *s = (const char *)base + f->offset;
	size_t i, label = 0;

	if (check_host(ctx, f, tok, base) < 0)
		return -EINVAL;
	for (i = 0;; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			/* One trailing dot (a fully qualified name) is allowed. */
			if (label == 0 && !(s[i] == '\0' && i > 0 && s[i - 1] == '.')) {
				mg_json_error(ctx->doc, tok,
				              "has an empty label (a leading or double '.')");
				return -EINVAL;
			}
			if (label > 63) {
				mg_json_error(ctx->doc, tok,
				              "has a label longer than 63 characters");
				return -EINVAL;
			}
			label = 0;
			if (s[i] == '\0')
				return 0;
			continue;
		}
		label++;
	}
}

/* awsCloudMap attribute keys and values: printable ASCII (values may contain spaces). */
static int
check_printable(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *s = (const char *)base + f->offset;
	bool key = strcmp(f->name, "key") == 0;
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > '~' || c < ' ' || (c == ' ' && (key || i == 0 || i + 1 == n))) {
			mg_json_error(ctx->doc, tok,
			              key ? "must be printable ASCII without spaces"
			                  : "must be printable ASCII (spaces only inside)");
			return -EINVAL;
		}
	}
	return 0;
}

/* Duration: both members, and a value that fits in milliseconds. */
static int
validate_duration(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	struct m_duration *d = base;

	(void)o;
	d->present = true;
	if (d->unit == 1 && d->value > (int64_t)(UINT64_MAX / 1000 / 2)) {
		mg_json_error(ctx->doc, mg_json_obj_get(ctx->doc, tok, "value"),
		              "%" PRId64 " seconds is too long", d->value);
		d->present = false;
		return -EINVAL;
	}
	return 0;
}

/* MatchRange: start < end (Envoy's range is [start, end), so start == end matches nothing). */
static int
validate_range(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	int64_t s, e;

	(void)o;
	(void)base;
	if (mg_json_get_int(ctx->doc, mg_json_obj_get(ctx->doc, tok, "start"), INT64_MIN, INT64_MAX,
	                    &s) < 0 ||
	    mg_json_get_int(ctx->doc, mg_json_obj_get(ctx->doc, tok, "end"), INT64_MIN, INT64_MAX,
	                    &e) < 0)
		return 0; /* reported by the table */
	if (s < e)
		return 0;
	mg_json_error(ctx->doc, tok,
	              "start (%" PRId64 ") must be less than end (%" PRId64
	              "): the range is [start, end), it would match nothing",
	              s, e);
	return -EINVAL;
}

/* Reports at member <name> of object <tok>, or at <tok> if there is no such member. */
static int
member_or(struct mg_schema_ctx *ctx, int tok, const char *name)
{
	int t = mg_json_lookup(ctx->doc, tok, name);

	return t >= 0 ? t : tok;
}

/* HTTP matches: a prefix or a path, not both. */
static int
validate_http_match(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok,
                    void *base)
{
	struct m_http_match *m = base;

	(void)o;
	if (mg_json_obj_get(ctx->doc, tok, "prefix") >= 0 &&
	    mg_json_obj_get(ctx->doc, tok, "path") >= 0) {
		mg_json_error(ctx->doc, member_or(ctx, tok, "path"),
		              "'path' cannot be combined with 'prefix': match on one of them");
		m->path.kind = 0;
		return -EINVAL;
	}
	return 0;
}

/* A route's gRPC match: a method name needs a service name. */
static int
validate_grpc_route_match(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok,
                          void *base)
{
	(void)o;
	(void)base;
	if (mg_json_obj_get(ctx->doc, tok, "methodName") >= 0 &&
	    mg_json_obj_get(ctx->doc, tok, "serviceName") < 0) {
		mg_json_error(ctx->doc, member_or(ctx, tok, "methodName"),
		              "a methodName needs a serviceName");
		return -EINVAL;
	}
	return 0;
}

/* A prefix rewrite: the default or a value, not both. */
static int
validate_prefix_rewrite(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok,
                        void *base)
{
	struct m_prefix_rw *p = base;

	(void)o;
	p->present = true;
	if (mg_json_obj_get(ctx->doc, tok, "defaultPrefix") >= 0 &&
	    mg_json_obj_get(ctx->doc, tok, "value") >= 0) {
		mg_json_error(ctx->doc, member_or(ctx, tok, "value"),
		              "'value' cannot be combined with 'defaultPrefix': set one of them");
		return -EINVAL;
	}
	if (mg_json_size(ctx->doc, tok) == 0) {
		mg_json_error(ctx->doc, tok, "set 'defaultPrefix' or 'value'");
		return -EINVAL;
	}
	return 0;
}

/* An HTTP gateway route: rewrites that need a kind of match. */
static int
validate_gw_http(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	struct m_gw_http *r = base;
	int rc = 0;

	(void)o;
	if (r->action.rewrite.prefix.present && mg_json_lookup(ctx->doc, tok, "match.prefix") < 0) {
		mg_json_error(ctx->doc, member_or(ctx, tok, "action.rewrite.prefix"),
		              "a prefix rewrite needs a prefix match (match.prefix)");
		rc = -EINVAL;
	}
	if (r->action.rewrite.path.present && mg_json_lookup(ctx->doc, tok, "match.path") < 0) {
		mg_json_error(ctx->doc, member_or(ctx, tok, "action.rewrite.path"),
		              "a path rewrite needs a path match (match.path)");
		rc = -EINVAL;
	}
	return rc;
}

/* A retry policy: at least one list of events (those its table has). */
static int
validate_retry(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	struct m_retry *r = base;
	size_t i;

	r->present = true;
	for (i = 0; i < o->n_fields; i++) {
		const char *n = o->fields[i].name;

		if (strstr(n, "RetryEvents") != NULL && mg_json_obj_get(ctx->doc, tok, n) >= 0)
			return 0;
	}
	mg_json_error(ctx->doc, tok, "needs at least one of %s",
	              o->n_fields > 4 ? "'grpcRetryEvents', 'httpRetryEvents' or 'tcpRetryEvents'"
	                              : "'httpRetryEvents' or 'tcpRetryEvents'");
	return -EINVAL;
}

/* Weighted targets: the weights are relative, so they must not all be 0. */
static int
validate_action(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	struct m_action *a = base;
	int i, sum = 0, wtok = mg_json_obj_get(ctx->doc, tok, "weightedTargets");

	(void)o;
	for (i = 0; i < a->n; i++) {
		int w = mg_json_lookup(ctx->doc, mg_json_arr_get(ctx->doc, wtok, i), "weight");
		int64_t v;

		/* A weight that failed to parse counts as nonzero: no second error. */
		if (mg_json_get_int(ctx->doc, w, 0, 100, &v) < 0)
			return 0;
		sum += (int)v;
	}
	if (a->n > 0 && sum == 0) {
		mg_json_error(ctx->doc, wtok,
		              "every weight is 0, so no target would get any traffic");
		return -EINVAL;
	}
	return 0;
}

static int
reject_cloud_map(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	(void)o;
	(void)base;
	mg_json_error(ctx->doc, tok,
	              "AWS Cloud Map service discovery is not supported yet; use \"dns\" "
	              "{hostname} or list the node's addresses in appliance.endpoints");
	return -EINVAL;
}

/* A node listener: pool, timeout and health check agree with the port mapping. */
static int
validate_node_listener(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok,
                       void *base)
{
	struct m_node_listener *l = base;
	int ptok = mg_json_lookup(ctx->doc, tok, "portMapping.protocol");
	int proto = -1, i, rc = 0;

	(void)o;
	for (i = 0; pp_names[i] != NULL; i++) {
		if (mg_json_str_eq(ctx->doc, ptok, pp_names[i]))
			proto = i;
	}
	if (proto >= 0 && l->pool.kind != 0 && l->pool.kind != proto + 1) {
		mg_json_error(ctx->doc, member_or(ctx, tok, "connectionPool"),
		              "connectionPool '%s' does not match portMapping.protocol '%s' (App "
		              "Mesh requires the same protocol)",
		              pp_names[l->pool.kind - 1], pp_names[proto]);
		rc = -EINVAL;
	}
	if (proto >= 0 && l->timeout.kind != 0 && l->timeout.kind != proto + 1) {
		mg_json_error(ctx->doc, member_or(ctx, tok, "timeout"),
		              "timeout '%s' does not match portMapping.protocol '%s'",
		              pp_names[l->timeout.kind - 1], pp_names[proto]);
		rc = -EINVAL;
	}
	if (l->health.port != 0 && l->pm.port != 0 && l->health.port != l->pm.port) {
		mg_json_error(ctx->doc, member_or(ctx, tok, "healthCheck.port"),
		              "port %u must equal portMapping.port (%u): the health check probes "
		              "the listener's own port",
		              l->health.port, l->pm.port);
		rc = -EINVAL;
	}
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Tables: shared pieces                                                                      */

static const struct mg_schema_field duration_fields[] = {
    {.name = "unit",
     .type = MG_SCHEMA_ENUM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct m_duration, unit),
     .enum_names = unit_names,
     .check = enum_plus_one},
    F_INT("value", struct m_duration, value, 0, INT64_MAX, REQ),
};
static const struct mg_schema_object duration_obj =
    OBJ("duration", struct m_duration, duration_fields, validate_duration);

static const struct mg_schema_field range_fields[] = {
    F_INT("end", struct m_range, end, INT64_MIN, INT64_MAX, REQ),
    F_INT("start", struct m_range, start, INT64_MIN, INT64_MAX, REQ),
};
static const struct mg_schema_object range_obj =
    OBJ("range", struct m_range, range_fields, validate_range);

/* HeaderMatchMethod / GrpcRouteMetadataMatchMethod. */
static const struct mg_schema_field smatch_fields[] = {
    {.name = "exact",
     .type = MG_SCHEMA_STRING,
     .tag = MG_CFG_MATCH_EXACT,
     MG_SCHEMA_MEMBER(struct m_smatch, value),
     .min = 1},
    {.name = "prefix",
     .type = MG_SCHEMA_STRING,
     .tag = MG_CFG_MATCH_PREFIX,
     MG_SCHEMA_MEMBER(struct m_smatch, value),
     .min = 1},
    F_ALT("range", struct m_smatch, range, &range_obj, MG_CFG_MATCH_RANGE),
    {.name = "regex",
     .type = MG_SCHEMA_STRING,
     .tag = MG_CFG_MATCH_REGEX,
     MG_SCHEMA_MEMBER(struct m_smatch, value),
     .min = 1,
     .check = check_regex},
    {.name = "suffix",
     .type = MG_SCHEMA_STRING,
     .tag = MG_CFG_MATCH_SUFFIX,
     MG_SCHEMA_MEMBER(struct m_smatch, value),
     .min = 1},
};
static const struct mg_schema_object smatch_obj =
    UNION("match", struct m_smatch, smatch_fields, NULL);

static const struct mg_schema_field header_fields[] = {
    F_BOOL("invert", struct m_header, invert, false),
    F_OBJ("match", struct m_header, match, &smatch_obj, 0),
    F_STRC("name", struct m_header, name, 1, REQ, check_header_name),
};
static const struct mg_schema_object header_obj =
    OBJ("header", struct m_header, header_fields, NULL);
static const struct mg_schema_field header_elem = {.name = "header",
                                                   .type = MG_SCHEMA_OBJECT,
                                                   .size = sizeof(struct m_header),
                                                   .object = &header_obj};

/* HttpPathMatch: exact | regex. */
static const struct mg_schema_field path_fields[] = {
    {.name = "exact",
     .type = MG_SCHEMA_STRING,
     .tag = MG_CFG_MATCH_EXACT,
     MG_SCHEMA_MEMBER(struct m_smatch, value),
     .min = 1,
     .check = check_path},
    {.name = "regex",
     .type = MG_SCHEMA_STRING,
     .tag = MG_CFG_MATCH_REGEX,
     MG_SCHEMA_MEMBER(struct m_smatch, value),
     .min = 1,
     .check = check_regex},
};
static const struct mg_schema_object path_obj = UNION("path", struct m_smatch, path_fields, NULL);

/* GatewayRouteHostnameMatch: exact | suffix (1..253). */
static const struct mg_schema_field hostname_fields[] = {
    {.name = "exact",
     .type = MG_SCHEMA_STRING,
     .tag = MG_CFG_MATCH_EXACT,
     MG_SCHEMA_MEMBER(struct m_smatch, value),
     .min = 1,
     .max = 253,
     .check = check_host},
    {.name = "suffix",
     .type = MG_SCHEMA_STRING,
     .tag = MG_CFG_MATCH_SUFFIX,
     MG_SCHEMA_MEMBER(struct m_smatch, value),
     .min = 1,
     .max = 253,
     .check = check_host},
};
static const struct mg_schema_object hostname_obj =
    UNION("hostname", struct m_smatch, hostname_fields, NULL);

static const struct mg_schema_field qmatch_fields[] = {
    F_STRC("exact", struct m_qmatch, exact, 0, 0, mark_exact),
};
static const struct mg_schema_object qmatch_obj =
    OBJ("query parameter match", struct m_qmatch, qmatch_fields, NULL);
static const struct mg_schema_field query_fields[] = {
    F_OBJ("match", struct m_query, match, &qmatch_obj, 0),
    F_STR("name", struct m_query, name, 1, REQ),
};
static const struct mg_schema_object query_obj =
    OBJ("query parameter", struct m_query, query_fields, NULL);
static const struct mg_schema_field query_elem = {.name = "query parameter",
                                                  .type = MG_SCHEMA_OBJECT,
                                                  .size = sizeof(struct m_query),
                                                  .object = &query_obj};

/* ------------------------------------------------------------------------------------------ */
/* Tables: gateway routes                                                                     */

static const struct mg_schema_field gw_http_match_fields[] = {
    F_ARR("headers", struct m_http_match, headers, n_headers, 1, 10, &header_elem, 0),
    F_OBJ("hostname", struct m_http_match, hostname, &hostname_obj, 0),
    F_OPT_ENUM("method", struct m_http_match, method, method_names, 0),
    F_OBJ("path", struct m_http_match, path, &path_obj, 0),
    F_INT("port", struct m_http_match, port, 1, 65535, 0),
    F_STRC("prefix", struct m_http_match, prefix, 0, 0, check_gw_prefix),
    F_ARR("queryParameters", struct m_http_match, query, n_query, 1, 10, &query_elem, 0),
};
static const struct mg_schema_object gw_http_match_obj =
    OBJ("match", struct m_http_match, gw_http_match_fields, validate_http_match);

static const struct mg_schema_field gw_grpc_match_fields[] = {
    F_OBJ("hostname", struct m_grpc_match, hostname, &hostname_obj, 0),
    F_ARR("metadata", struct m_grpc_match, metadata, n_metadata, 1, 10, &header_elem, 0),
    F_INT("port", struct m_grpc_match, port, 1, 65535, 0),
    F_STRC("serviceName", struct m_grpc_match, service_name, 1, 0, check_gw_service),
};
static const struct mg_schema_object gw_grpc_match_obj =
    OBJ("match", struct m_grpc_match, gw_grpc_match_fields, NULL);

static const struct mg_schema_field vs_ref_fields[] = {
    F_STR("virtualServiceName", struct m_name, name, 1, REQ),
};
static const struct mg_schema_object vs_ref_obj =
    OBJ("virtualService", struct m_name, vs_ref_fields, NULL);

static const struct mg_schema_field gw_target_fields[] = {
    F_INT("port", struct m_gw_target, port, 1, 65535, 0),
    F_OBJ("virtualService", struct m_gw_target, vs, &vs_ref_obj, REQ),
};
static const struct mg_schema_object gw_target_obj =
    OBJ("target", struct m_gw_target, gw_target_fields, NULL);

static const struct mg_schema_field hostname_rw_fields[] = {
    F_OPT_ENUM("defaultTargetHostname", struct m_gw_rewrite, hostname_def, rewrite_names, 0),
};
/* Laid over struct m_gw_rewrite, whose hostname_def it fills. */
static const struct mg_schema_object hostname_rw_obj =
    OBJ("hostname", struct m_gw_rewrite, hostname_rw_fields, NULL);

static const struct mg_schema_field prefix_rw_fields[] = {
    F_OPT_ENUM("defaultPrefix", struct m_prefix_rw, def, rewrite_names, 0),
    F_STRC("value", struct m_prefix_rw, value, 1, 0, check_path),
};
static const struct mg_schema_object prefix_rw_obj =
    OBJ("prefix", struct m_prefix_rw, prefix_rw_fields, validate_prefix_rewrite);

static const struct mg_schema_field path_rw_fields[] = {
    F_STRC("exact", struct m_path_rw, exact, 1, 0, check_path),
};
static const struct mg_schema_object path_rw_obj =
    OBJ("path", struct m_path_rw, path_rw_fields, mark_present);

static const struct mg_schema_field http_rw_fields[] = {
    {.name = "hostname",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct m_gw_rewrite),
     .object = &hostname_rw_obj},
    F_OBJ("path", struct m_gw_rewrite, path, &path_rw_obj, 0),
    F_OBJ("prefix", struct m_gw_rewrite, prefix, &prefix_rw_obj, 0),
};
static const struct mg_schema_object http_rw_obj =
    OBJ("rewrite", struct m_gw_rewrite, http_rw_fields, NULL);

static const struct mg_schema_field grpc_rw_fields[] = {
    {.name = "hostname",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct m_gw_rewrite),
     .object = &hostname_rw_obj},
};
static const struct mg_schema_object grpc_rw_obj =
    OBJ("rewrite", struct m_gw_rewrite, grpc_rw_fields, NULL);

static const struct mg_schema_field gw_http_action_fields[] = {
    F_OBJ("rewrite", struct m_gw_action, rewrite, &http_rw_obj, 0),
    F_OBJ("target", struct m_gw_action, target, &gw_target_obj, REQ),
};
static const struct mg_schema_object gw_http_action_obj =
    OBJ("action", struct m_gw_action, gw_http_action_fields, NULL);

static const struct mg_schema_field gw_grpc_action_fields[] = {
    F_OBJ("rewrite", struct m_gw_action, rewrite, &grpc_rw_obj, 0),
    F_OBJ("target", struct m_gw_action, target, &gw_target_obj, REQ),
};
static const struct mg_schema_object gw_grpc_action_obj =
    OBJ("action", struct m_gw_action, gw_grpc_action_fields, NULL);

static const struct mg_schema_field gw_http_fields[] = {
    F_OBJ("action", struct m_gw_http, action, &gw_http_action_obj, REQ),
    F_OBJ("match", struct m_gw_http, match, &gw_http_match_obj, REQ),
};
static const struct mg_schema_object gw_http_obj =
    OBJ("httpRoute", struct m_gw_http, gw_http_fields, validate_gw_http);

static const struct mg_schema_field gw_grpc_fields[] = {
    F_OBJ("action", struct m_gw_grpc, action, &gw_grpc_action_obj, REQ),
    F_OBJ("match", struct m_gw_grpc, match, &gw_grpc_match_obj, REQ),
};
static const struct mg_schema_object gw_grpc_obj =
    OBJ("grpcRoute", struct m_gw_grpc, gw_grpc_fields, NULL);

static const struct mg_schema_field gw_spec_fields[] = {
    F_ALT("grpcRoute", struct m_gw_spec, grpc, &gw_grpc_obj, MG_CFG_ROUTE_GRPC + 1),
    F_ALT("http2Route", struct m_gw_spec, http, &gw_http_obj, MG_CFG_ROUTE_HTTP2 + 1),
    F_ALT("httpRoute", struct m_gw_spec, http, &gw_http_obj, MG_CFG_ROUTE_HTTP + 1),
    {.name = "priority",
     .type = MG_SCHEMA_INT,
     .flags = SHARED,
     MG_SCHEMA_MEMBER(struct m_gw_spec, priority.v),
     .min = 0,
     .max = 1000,
     .check = mark_opt16},
};
static const struct mg_schema_object gw_spec_obj =
    UNION("spec", struct m_gw_spec, gw_spec_fields, NULL);

/* GatewayRouteData, as describe-gateway-route prints it. */
static const struct mg_schema_field gw_route_fields[] = {
    F_STR("gatewayRouteName", struct m_gw_route, name, 1, REQ),
    F_IGNORED("meshName"),
    F_IGNORED("metadata"),
    F_OBJ("spec", struct m_gw_route, spec, &gw_spec_obj, REQ),
    F_IGNORED("status"),
    F_IGNORED("virtualGatewayName"),
};
static const struct mg_schema_object gw_route_obj =
    OBJ("gateway route", struct m_gw_route, gw_route_fields, NULL);

/* ------------------------------------------------------------------------------------------ */
/* Tables: routes                                                                             */

static const struct mg_schema_field wt_fields[] = {
    F_INT("port", struct m_wt, port, 1, 65535, 0),
    F_STR("virtualNode", struct m_wt, node, 1, REQ),
    F_INT("weight", struct m_wt, weight, 0, 100, REQ),
};
static const struct mg_schema_object wt_obj = OBJ("weighted target", struct m_wt, wt_fields, NULL);
static const struct mg_schema_field wt_elem = {.name = "weighted target",
                                               .type = MG_SCHEMA_OBJECT,
                                               .size = sizeof(struct m_wt),
                                               .object = &wt_obj};

static const struct mg_schema_field action_fields[] = {
    F_ARR("weightedTargets", struct m_action, targets, n, 1, 10, &wt_elem, REQ),
};
static const struct mg_schema_object action_obj =
    OBJ("action", struct m_action, action_fields, validate_action);

static const struct mg_schema_field http_event_elem = {.name = "httpRetryEvent",
                                                       .type = MG_SCHEMA_ENUM,
                                                       .size = sizeof(int),
                                                       .enum_names = http_event_names};
static const struct mg_schema_field tcp_event_elem = {.name = "tcpRetryEvent",
                                                      .type = MG_SCHEMA_ENUM,
                                                      .size = sizeof(int),
                                                      .enum_names = tcp_event_names};
static const struct mg_schema_field grpc_event_elem = {.name = "grpcRetryEvent",
                                                       .type = MG_SCHEMA_ENUM,
                                                       .size = sizeof(int),
                                                       .enum_names = grpc_event_names};

static const struct mg_schema_field http_retry_fields[] = {
    F_ARR("httpRetryEvents", struct m_retry, http, n_http, 1, 25, &http_event_elem, 0),
    F_INT("maxRetries", struct m_retry, max_retries, 0, INT64_MAX, REQ),
    F_OBJ("perRetryTimeout", struct m_retry, per_retry, &duration_obj, REQ),
    F_ARR("tcpRetryEvents", struct m_retry, tcp, n_tcp, 1, 1, &tcp_event_elem, 0),
};
static const struct mg_schema_object http_retry_obj =
    OBJ("retryPolicy", struct m_retry, http_retry_fields, validate_retry);

static const struct mg_schema_field grpc_retry_fields[] = {
    F_ARR("grpcRetryEvents", struct m_retry, grpc, n_grpc, 1, 5, &grpc_event_elem, 0),
    F_ARR("httpRetryEvents", struct m_retry, http, n_http, 1, 25, &http_event_elem, 0),
    F_INT("maxRetries", struct m_retry, max_retries, 0, INT64_MAX, REQ),
    F_OBJ("perRetryTimeout", struct m_retry, per_retry, &duration_obj, REQ),
    F_ARR("tcpRetryEvents", struct m_retry, tcp, n_tcp, 1, 1, &tcp_event_elem, 0),
};
static const struct mg_schema_object grpc_retry_obj =
    OBJ("retryPolicy", struct m_retry, grpc_retry_fields, validate_retry);

static const struct mg_schema_field timeout_fields[] = {
    F_OBJ("idle", struct m_timeout, idle, &duration_obj, 0),
    F_OBJ("perRequest", struct m_timeout, per_request, &duration_obj, 0),
};
static const struct mg_schema_object timeout_obj =
    OBJ("timeout", struct m_timeout, timeout_fields, NULL);

static const struct mg_schema_field tcp_timeout_fields[] = {
    F_OBJ("idle", struct m_timeout, idle, &duration_obj, 0),
};
static const struct mg_schema_object tcp_timeout_obj =
    OBJ("timeout", struct m_timeout, tcp_timeout_fields, NULL);

static const struct mg_schema_field http_match_fields[] = {
    F_ARR("headers", struct m_http_match, headers, n_headers, 1, 10, &header_elem, 0),
    F_OPT_ENUM("method", struct m_http_match, method, method_names, 0),
    F_OBJ("path", struct m_http_match, path, &path_obj, 0),
    F_INT("port", struct m_http_match, port, 1, 65535, 0),
    F_STRC("prefix", struct m_http_match, prefix, 0, 0, check_path),
    F_ARR("queryParameters", struct m_http_match, query, n_query, 1, 10, &query_elem, 0),
    F_OPT_ENUM("scheme", struct m_http_match, scheme, scheme_names, 0),
};
static const struct mg_schema_object http_match_obj =
    OBJ("match", struct m_http_match, http_match_fields, validate_http_match);

static const struct mg_schema_field grpc_match_fields[] = {
    F_ARR("metadata", struct m_grpc_match, metadata, n_metadata, 1, 10, &header_elem, 0),
    F_STR("methodName", struct m_grpc_match, method_name, 1, 0),
    F_INT("port", struct m_grpc_match, port, 1, 65535, 0),
    F_STR("serviceName", struct m_grpc_match, service_name, 1, 0),
};
static const struct mg_schema_object grpc_match_obj =
    OBJ("match", struct m_grpc_match, grpc_match_fields, validate_grpc_route_match);

static const struct mg_schema_field tcp_match_fields[] = {
    F_INT("port", struct m_tcp_match, port, 1, 65535, 0),
};
static const struct mg_schema_object tcp_match_obj =
    OBJ("match", struct m_tcp_match, tcp_match_fields, NULL);

static const struct mg_schema_field route_http_fields[] = {
    F_OBJ("action", struct m_route_http, action, &action_obj, REQ),
    F_OBJ("match", struct m_route_http, match, &http_match_obj, REQ),
    F_OBJ("retryPolicy", struct m_route_http, retry, &http_retry_obj, 0),
    F_OBJ("timeout", struct m_route_http, timeout, &timeout_obj, 0),
};
static const struct mg_schema_object route_http_obj =
    OBJ("httpRoute", struct m_route_http, route_http_fields, NULL);

static const struct mg_schema_field route_grpc_fields[] = {
    F_OBJ("action", struct m_route_grpc, action, &action_obj, REQ),
    F_OBJ("match", struct m_route_grpc, match, &grpc_match_obj, REQ),
    F_OBJ("retryPolicy", struct m_route_grpc, retry, &grpc_retry_obj, 0),
    F_OBJ("timeout", struct m_route_grpc, timeout, &timeout_obj, 0),
};
static const struct mg_schema_object route_grpc_obj =
    OBJ("grpcRoute", struct m_route_grpc, route_grpc_fields, NULL);

static const struct mg_schema_field route_tcp_fields[] = {
    F_OBJ("action", struct m_route_tcp, action, &action_obj, REQ),
    F_OBJ("match", struct m_route_tcp, match, &tcp_match_obj, 0),
    F_OBJ("timeout", struct m_route_tcp, timeout, &tcp_timeout_obj, 0),
};
static const struct mg_schema_object route_tcp_obj =
    OBJ("tcpRoute", struct m_route_tcp, route_tcp_fields, NULL);

static const struct mg_schema_field route_spec_fields[] = {
    F_ALT("grpcRoute", struct m_route_spec, grpc, &route_grpc_obj, MG_CFG_ROUTE_GRPC + 1),
    F_ALT("http2Route", struct m_route_spec, http, &route_http_obj, MG_CFG_ROUTE_HTTP2 + 1),
    F_ALT("httpRoute", struct m_route_spec, http, &route_http_obj, MG_CFG_ROUTE_HTTP + 1),
    {.name = "priority",
     .type = MG_SCHEMA_INT,
     .flags = SHARED,
     MG_SCHEMA_MEMBER(struct m_route_spec, priority.v),
     .min = 0,
     .max = 1000,
     .check = mark_opt16},
    F_ALT("tcpRoute", struct m_route_spec, tcp, &route_tcp_obj, MG_CFG_ROUTE_TCP + 1),
};
static const struct mg_schema_object route_spec_obj =
    UNION("spec", struct m_route_spec, route_spec_fields, NULL);

/* RouteData, as describe-route prints it. */
static const struct mg_schema_field route_fields[] = {
    F_IGNORED("meshName"),
    F_IGNORED("metadata"),
    F_STR("routeName", struct m_route, name, 1, REQ),
    F_OBJ("spec", struct m_route, spec, &route_spec_obj, REQ),
    F_IGNORED("status"),
    F_STR("virtualRouterName", struct m_route, router, 1, REQ),
};
static const struct mg_schema_object route_obj = OBJ("route", struct m_route, route_fields, NULL);

/* ------------------------------------------------------------------------------------------ */
/* Tables: virtual services and virtual routers                                               */

static const struct mg_schema_field node_ref_fields[] = {
    F_STR("virtualNodeName", struct m_name, name, 1, REQ),
};
static const struct mg_schema_object node_ref_obj =
    OBJ("virtualNode", struct m_name, node_ref_fields, NULL);
static const struct mg_schema_field router_ref_fields[] = {
    F_STR("virtualRouterName", struct m_name, name, 1, REQ),
};
static const struct mg_schema_object router_ref_obj =
    OBJ("virtualRouter", struct m_name, router_ref_fields, NULL);

static const struct mg_schema_field provider_fields[] = {
    F_ALT("virtualNode", struct m_provider, ref, &node_ref_obj, MG_CFG_PROVIDER_NODE),
    F_ALT("virtualRouter", struct m_provider, ref, &router_ref_obj, MG_CFG_PROVIDER_ROUTER),
};
static const struct mg_schema_object provider_obj =
    UNION("provider", struct m_provider, provider_fields, NULL);

static const struct mg_schema_field vs_spec_fields[] = {
    {.name = "provider",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct m_provider),
     .object = &provider_obj},
};
static const struct mg_schema_object vs_spec_obj =
    OBJ("spec", struct m_provider, vs_spec_fields, NULL);

static const struct mg_schema_field vservice_fields[] = {
    F_IGNORED("meshName"),
    F_IGNORED("metadata"),
    F_OBJ("spec", struct m_vservice, spec, &vs_spec_obj, REQ),
    F_IGNORED("status"),
    F_STR("virtualServiceName", struct m_vservice, name, 1, REQ),
};
static const struct mg_schema_object vservice_obj =
    OBJ("virtual service", struct m_vservice, vservice_fields, NULL);

static const struct mg_schema_field pm_fields[] = {
    F_INT("port", struct m_pm, port, 1, 65535, REQ),
    {.name = "protocol",
     .type = MG_SCHEMA_ENUM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct m_pm, protocol),
     .enum_names = pp_names},
};
static const struct mg_schema_object pm_obj = OBJ("portMapping", struct m_pm, pm_fields, NULL);

static const struct mg_schema_field router_listener_fields[] = {
    {.name = "portMapping",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     .offset = 0,
     .size = sizeof(struct m_pm),
     .object = &pm_obj},
};
static const struct mg_schema_object router_listener_obj =
    OBJ("listener", struct m_pm, router_listener_fields, NULL);
static const struct mg_schema_field router_listener_elem = {.name = "listener",
                                                            .type = MG_SCHEMA_OBJECT,
                                                            .size = sizeof(struct m_pm),
                                                            .object = &router_listener_obj};

static const struct mg_schema_field router_spec_fields[] = {
    F_ARR("listeners", struct m_router_spec, listeners, n, 0, MAX_LISTENERS, &router_listener_elem,
          0),
};
static const struct mg_schema_object router_spec_obj =
    OBJ("spec", struct m_router_spec, router_spec_fields, NULL);

static const struct mg_schema_field router_fields[] = {
    F_IGNORED("meshName"),
    F_IGNORED("metadata"),
    F_OBJ("spec", struct m_router, spec, &router_spec_obj, REQ),
    F_IGNORED("status"),
    F_STR("virtualRouterName", struct m_router, name, 1, REQ),
};
static const struct mg_schema_object router_obj =
    OBJ("virtual router", struct m_router, router_fields, NULL);

/* ------------------------------------------------------------------------------------------ */
/* Tables: virtual nodes                                                                      */

static const struct mg_schema_field file_cert_fields[] = {
    F_STR("certificateChain", struct m_file_cert, chain, 1, REQ),
    F_STR("privateKey", struct m_file_cert, key, 1, REQ),
};
static const struct mg_schema_object file_cert_obj =
    OBJ("file", struct m_file_cert, file_cert_fields, NULL);
static const struct mg_schema_field acm_cert_fields[] = {
    F_STR("certificateArn", struct m_opaque, s, 1, REQ),
};
static const struct mg_schema_object acm_cert_obj =
    OBJ("acm", struct m_opaque, acm_cert_fields, NULL);
static const struct mg_schema_field sds_fields[] = {
    F_STR("secretName", struct m_opaque, s, 1, REQ),
};
static const struct mg_schema_object sds_obj = OBJ("sds", struct m_opaque, sds_fields, NULL);

/* ListenerTlsCertificate: acm | file | sds. */
static const struct mg_schema_field listener_cert_fields[] = {
    F_ALT("acm", struct m_cert, opaque, &acm_cert_obj, 1),
    F_ALT("file", struct m_cert, file, &file_cert_obj, 2),
    F_ALT("sds", struct m_cert, opaque, &sds_obj, 3),
};
static const struct mg_schema_object listener_cert_obj =
    UNION("certificate", struct m_cert, listener_cert_fields, NULL);

/* ClientTlsCertificate: file | sds. */
static const struct mg_schema_field client_cert_fields[] = {
    F_ALT("file", struct m_cert, file, &file_cert_obj, 2),
    F_ALT("sds", struct m_cert, opaque, &sds_obj, 3),
};
static const struct mg_schema_object client_cert_obj =
    UNION("certificate", struct m_cert, client_cert_fields, NULL);

static const struct mg_schema_field arn_elem = {
    .name = "certificateAuthorityArn", .type = MG_SCHEMA_STRING, .size = OPAQUE_MAX, .min = 1};
static const struct mg_schema_field acm_trust_fields[] = {
    F_ARR("certificateAuthorityArns", struct m_acm_trust, arns, n, 1, 3, &arn_elem, REQ),
};
static const struct mg_schema_object acm_trust_obj =
    OBJ("acm", struct m_acm_trust, acm_trust_fields, NULL);
static const struct mg_schema_field file_trust_fields[] = {
    F_STR("certificateChain", struct m_file_trust, chain, 1, REQ),
};
static const struct mg_schema_object file_trust_obj =
    OBJ("file", struct m_file_trust, file_trust_fields, NULL);

/* ListenerTlsValidationContextTrust: file | sds. */
static const struct mg_schema_field listener_trust_fields[] = {
    F_ALT("file", struct m_trust, file, &file_trust_obj, 2),
    F_ALT("sds", struct m_trust, sds, &sds_obj, 3),
};
static const struct mg_schema_object listener_trust_obj =
    UNION("trust", struct m_trust, listener_trust_fields, NULL);

/* TlsValidationContextTrust: acm | file | sds. */
static const struct mg_schema_field client_trust_fields[] = {
    F_ALT("acm", struct m_trust, acm, &acm_trust_obj, 1),
    F_ALT("file", struct m_trust, file, &file_trust_obj, 2),
    F_ALT("sds", struct m_trust, sds, &sds_obj, 3),
};
static const struct mg_schema_object client_trust_obj =
    UNION("trust", struct m_trust, client_trust_fields, NULL);

static const struct mg_schema_field san_elem = {
    .name = "subjectAlternativeName", .type = MG_SCHEMA_STRING, .size = 255, .min = 1};
static const struct mg_schema_field san_match_fields[] = {
    F_ARR("exact", struct m_san, names, n, 0, MAX_SANS, &san_elem, REQ),
};
static const struct mg_schema_object san_match_obj =
    OBJ("match", struct m_san, san_match_fields, NULL);
static const struct mg_schema_field sans_fields[] = {
    {.name = "match",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     .offset = 0,
     .size = sizeof(struct m_san),
     .object = &san_match_obj},
};
static const struct mg_schema_object sans_obj =
    OBJ("subjectAlternativeNames", struct m_san, sans_fields, NULL);

static const struct mg_schema_field listener_validation_fields[] = {
    F_OBJ("subjectAlternativeNames", struct m_validation, san, &sans_obj, 0),
    F_OBJ("trust", struct m_validation, trust, &listener_trust_obj, REQ),
};
static const struct mg_schema_object listener_validation_obj =
    OBJ("validation", struct m_validation, listener_validation_fields, NULL);
static const struct mg_schema_field client_validation_fields[] = {
    F_OBJ("subjectAlternativeNames", struct m_validation, san, &sans_obj, 0),
    F_OBJ("trust", struct m_validation, trust, &client_trust_obj, REQ),
};
static const struct mg_schema_object client_validation_obj =
    OBJ("validation", struct m_validation, client_validation_fields, NULL);

static const struct mg_schema_field listener_tls_fields[] = {
    F_OBJ("certificate", struct m_listener_tls, cert, &listener_cert_obj, REQ),
    {.name = "mode",
     .type = MG_SCHEMA_ENUM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct m_listener_tls, mode),
     .enum_names = tls_mode_names},
    F_OBJ("validation", struct m_listener_tls, validation, &listener_validation_obj, 0),
};
static const struct mg_schema_object listener_tls_obj =
    OBJ("tls", struct m_listener_tls, listener_tls_fields, mark_present);

static const struct mg_schema_field http_pool_fields[] = {
    F_INT("maxConnections", struct m_pool, max_connections, 1, INT32_MAX, REQ),
    F_INT("maxPendingRequests", struct m_pool, max_pending_requests, 1, INT32_MAX, 0),
};
static const struct mg_schema_object http_pool_obj =
    OBJ("http", struct m_pool, http_pool_fields, NULL);
static const struct mg_schema_field tcp_pool_fields[] = {
    F_INT("maxConnections", struct m_pool, max_connections, 1, INT32_MAX, REQ),
};
static const struct mg_schema_object tcp_pool_obj =
    OBJ("tcp", struct m_pool, tcp_pool_fields, NULL);
static const struct mg_schema_field req_pool_fields[] = {
    F_INT("maxRequests", struct m_pool, max_requests, 1, INT32_MAX, REQ),
};
static const struct mg_schema_object req_pool_obj =
    OBJ("connection pool", struct m_pool, req_pool_fields, NULL);

/* VirtualNodeConnectionPool: every alternative is laid over the whole struct m_pool. */
#define POOL_ALT(n, o, t)                                                                          \
	{                                                                                          \
		.name = n, .type = MG_SCHEMA_OBJECT, .tag = t, .offset = 0,                        \
		.size = sizeof(struct m_pool), .object = o                                         \
	}
static const struct mg_schema_field pool_fields[] = {
    POOL_ALT("grpc", &req_pool_obj, MG_CFG_NODE_POOL_GRPC),
    POOL_ALT("http", &http_pool_obj, MG_CFG_NODE_POOL_HTTP),
    POOL_ALT("http2", &req_pool_obj, MG_CFG_NODE_POOL_HTTP2),
    POOL_ALT("tcp", &tcp_pool_obj, MG_CFG_NODE_POOL_TCP),
};
static const struct mg_schema_object pool_obj =
    UNION("connectionPool", struct m_pool, pool_fields, NULL);

static const struct mg_schema_field health_fields[] = {
    F_INT("healthyThreshold", struct m_health, healthy, 2, 10, REQ),
    F_INT("intervalMillis", struct m_health, interval, 5000, 300000, REQ),
    F_STR("path", struct m_health, path, 1, 0),
    F_INT("port", struct m_health, port, 1, 65535, 0),
    {.name = "protocol",
     .type = MG_SCHEMA_ENUM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct m_health, protocol),
     .enum_names = pp_names},
    F_INT("timeoutMillis", struct m_health, timeout, 2000, 60000, REQ),
    F_INT("unhealthyThreshold", struct m_health, unhealthy, 2, 10, REQ),
};
static const struct mg_schema_object health_obj =
    OBJ("healthCheck", struct m_health, health_fields, mark_present);

static const struct mg_schema_field outlier_fields[] = {
    F_OBJ("baseEjectionDuration", struct m_outlier, base, &duration_obj, REQ),
    F_OBJ("interval", struct m_outlier, interval, &duration_obj, REQ),
    F_INT("maxEjectionPercent", struct m_outlier, max_percent, 0, 100, REQ),
    F_INT("maxServerErrors", struct m_outlier, max_errors, 1, INT64_MAX, REQ),
};
static const struct mg_schema_object outlier_obj =
    OBJ("outlierDetection", struct m_outlier, outlier_fields, mark_present);

/* ListenerTimeout: grpc | http | http2 | tcp, all stored in <t>. */
static const struct mg_schema_field ltimeout_fields[] = {
    F_ALT("grpc", struct m_ltimeout, t, &timeout_obj, MG_CFG_PP_GRPC + 1),
    F_ALT("http", struct m_ltimeout, t, &timeout_obj, MG_CFG_PP_HTTP + 1),
    F_ALT("http2", struct m_ltimeout, t, &timeout_obj, MG_CFG_PP_HTTP2 + 1),
    F_ALT("tcp", struct m_ltimeout, t, &tcp_timeout_obj, MG_CFG_PP_TCP + 1),
};
static const struct mg_schema_object ltimeout_obj =
    UNION("timeout", struct m_ltimeout, ltimeout_fields, NULL);

static const struct mg_schema_field node_listener_fields[] = {
    F_OBJ("connectionPool", struct m_node_listener, pool, &pool_obj, 0),
    F_OBJ("healthCheck", struct m_node_listener, health, &health_obj, 0),
    F_OBJ("outlierDetection", struct m_node_listener, outlier, &outlier_obj, 0),
    F_OBJ("portMapping", struct m_node_listener, pm, &pm_obj, REQ),
    F_OBJ("timeout", struct m_node_listener, timeout, &ltimeout_obj, 0),
    F_OBJ("tls", struct m_node_listener, tls, &listener_tls_obj, 0),
};
static const struct mg_schema_object node_listener_obj =
    OBJ("listener", struct m_node_listener, node_listener_fields, validate_node_listener);

static const struct mg_schema_field port_elem = {
    .name = "port", .type = MG_SCHEMA_INT, .size = sizeof(uint16_t), .min = 1, .max = 65535};
static const struct mg_schema_field client_tls_fields[] = {
    F_OBJ("certificate", struct m_client_tls, cert, &client_cert_obj, 0),
    F_BOOL("enforce", struct m_client_tls, enforce, true),
    F_ARR("ports", struct m_client_tls, ports, n_ports, 0, MAX_PORTS, &port_elem, 0),
    F_OBJ("validation", struct m_client_tls, validation, &client_validation_obj, REQ),
};
static const struct mg_schema_object client_tls_obj =
    OBJ("tls", struct m_client_tls, client_tls_fields, mark_present);
static const struct mg_schema_field client_policy_fields[] = {
    {.name = "tls",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct m_client_tls),
     .object = &client_tls_obj},
};
static const struct mg_schema_object client_policy_obj =
    OBJ("clientPolicy", struct m_client_tls, client_policy_fields, NULL);
static const struct mg_schema_field backend_defaults_fields[] = {
    {.name = "clientPolicy",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct m_client_tls),
     .object = &client_policy_obj},
};
static const struct mg_schema_object backend_defaults_obj =
    OBJ("backendDefaults", struct m_client_tls, backend_defaults_fields, NULL);

static const struct mg_schema_field vs_backend_fields[] = {
    F_OBJ("clientPolicy", struct m_vs_backend, policy, &client_policy_obj, 0),
    F_STR("virtualServiceName", struct m_vs_backend, name, 1, REQ),
};
static const struct mg_schema_object vs_backend_obj =
    OBJ("virtualService", struct m_vs_backend, vs_backend_fields, NULL);
static const struct mg_schema_field backend_fields[] = {
    F_ALT("virtualService", struct m_backend, vs, &vs_backend_obj, 1),
};
static const struct mg_schema_object backend_obj =
    UNION("backend", struct m_backend, backend_fields, NULL);

static const struct mg_schema_field log_json_fields[] = {
    F_STR("key", struct mg_cfg_log_json_field, key, 1, REQ),
    F_STR("value", struct mg_cfg_log_json_field, value, 1, REQ),
};
static const struct mg_schema_object log_json_obj =
    OBJ("json format field", struct mg_cfg_log_json_field, log_json_fields, NULL);
static const struct mg_schema_field log_json_elem = {.name = "json format field",
                                                     .type = MG_SCHEMA_OBJECT,
                                                     .size = sizeof(struct mg_cfg_log_json_field),
                                                     .object = &log_json_obj};
static const struct mg_schema_field format_fields[] = {
    {.name = "json",
     .type = MG_SCHEMA_ARRAY,
     .tag = 1,
     MG_SCHEMA_MEMBER(struct m_format, json),
     .min = 0,
     .max = MAX_LOG_JSON,
     .elem = &log_json_elem,
     .count_offset = offsetof(struct m_format, n_json)},
    {.name = "text",
     .type = MG_SCHEMA_STRING,
     .tag = 2,
     MG_SCHEMA_MEMBER(struct m_format, text),
     .min = 1},
};
static const struct mg_schema_object format_obj =
    UNION("format", struct m_format, format_fields, NULL);
static const struct mg_schema_field file_log_fields[] = {
    F_OBJ("format", struct m_file_log, format, &format_obj, 0),
    F_STR("path", struct m_file_log, path, 1, REQ),
};
static const struct mg_schema_object file_log_obj =
    OBJ("file", struct m_file_log, file_log_fields, NULL);
static const struct mg_schema_field access_log_fields[] = {
    F_ALT("file", struct m_access_log, file, &file_log_obj, 1),
};
static const struct mg_schema_object access_log_obj =
    UNION("accessLog", struct m_access_log, access_log_fields, NULL);
static const struct mg_schema_field logging_fields[] = {
    {.name = "accessLog",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct m_access_log),
     .object = &access_log_obj},
};
static const struct mg_schema_object logging_obj =
    OBJ("logging", struct m_access_log, logging_fields, NULL);

static const struct mg_schema_field attr_fields[] = {
    F_STRC("key", struct m_attr, key, 1, REQ, check_printable),
    F_STRC("value", struct m_attr, value, 1, REQ, check_printable),
};
static const struct mg_schema_object attr_obj = OBJ("attribute", struct m_attr, attr_fields, NULL);
static const struct mg_schema_field attr_elem = {.name = "attribute",
                                                 .type = MG_SCHEMA_OBJECT,
                                                 .size = sizeof(struct m_attr),
                                                 .object = &attr_obj};
static const struct mg_schema_field cloud_map_fields[] = {
    F_ARR("attributes", struct m_cloud_map, attrs, n_attrs, 0, MAX_ATTRS, &attr_elem, 0),
    F_OPT_ENUM("ipPreference", struct m_cloud_map, ip, ip_names, 0),
    F_STR("namespaceName", struct m_cloud_map, ns, 1, REQ),
    F_STR("serviceName", struct m_cloud_map, service, 1, REQ),
};
static const struct mg_schema_object cloud_map_obj =
    OBJ("awsCloudMap", struct m_cloud_map, cloud_map_fields, reject_cloud_map);
static const struct mg_schema_field dns_fields[] = {
    F_STRC("hostname", struct m_dns, hostname, 1, REQ, check_dns_hostname),
    F_OPT_ENUM("ipPreference", struct m_dns, ip, ip_names, 0),
    F_OPT_ENUM("responseType", struct m_dns, response, dns_response_names, 0),
};
static const struct mg_schema_object dns_obj = OBJ("dns", struct m_dns, dns_fields, NULL);
static const struct mg_schema_field discovery_fields[] = {
    F_ALT("awsCloudMap", struct m_discovery, cloud_map, &cloud_map_obj, 1),
    F_ALT("dns", struct m_discovery, dns, &dns_obj, 2),
};
static const struct mg_schema_object discovery_obj =
    UNION("serviceDiscovery", struct m_discovery, discovery_fields, NULL);

static int parse_node_listeners(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                                void *base);
static int parse_node_backends(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                               void *base);

static const struct mg_schema_field node_spec_fields[] = {
    F_OBJ("backendDefaults", struct m_node_spec, backend_defaults, &backend_defaults_obj, 0),
    {.name = "backends",
     .type = MG_SCHEMA_CUSTOM,
     MG_SCHEMA_MEMBER(struct m_node_spec, backends),
     .parse = parse_node_backends},
    {.name = "listeners",
     .type = MG_SCHEMA_CUSTOM,
     MG_SCHEMA_MEMBER(struct m_node_spec, listeners),
     .parse = parse_node_listeners},
    F_OBJ("logging", struct m_node_spec, log, &logging_obj, 0),
    F_OBJ("serviceDiscovery", struct m_node_spec, discovery, &discovery_obj, 0),
};
static const struct mg_schema_object node_spec_obj =
    OBJ("spec", struct m_node_spec, node_spec_fields, NULL);

static const struct mg_schema_field node_fields[] = {
    F_IGNORED("meshName"),
    F_IGNORED("metadata"),
    F_OBJ("spec", struct m_node, spec, &node_spec_obj, REQ),
    F_IGNORED("status"),
    F_STR("virtualNodeName", struct m_node, name, 1, REQ),
};
static const struct mg_schema_object node_obj =
    OBJ("virtual node", struct m_node, node_fields, NULL);

/* ------------------------------------------------------------------------------------------ */
/* Tables: the mesh                                                                           */

static const struct mg_schema_field egress_fields[] = {
    F_OPT_ENUM("type", struct m_mesh_spec, egress, egress_names, REQ),
};
/* Laid over struct m_mesh_spec, like the next one. */
static const struct mg_schema_object egress_obj =
    OBJ("egressFilter", struct m_mesh_spec, egress_fields, NULL);
static const struct mg_schema_field mesh_sd_fields[] = {
    F_OPT_ENUM("ipPreference", struct m_mesh_spec, ip, ip_names, 0),
};
static const struct mg_schema_object mesh_sd_obj =
    OBJ("serviceDiscovery", struct m_mesh_spec, mesh_sd_fields, NULL);
static const struct mg_schema_field mesh_spec_fields[] = {
    {.name = "egressFilter",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct m_mesh_spec),
     .object = &egress_obj},
    {.name = "serviceDiscovery",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct m_mesh_spec),
     .object = &mesh_sd_obj},
};
static const struct mg_schema_object mesh_spec_obj =
    OBJ("spec", struct m_mesh_spec, mesh_spec_fields, NULL);

/* MeshData, as describe-mesh prints it. */
static const struct mg_schema_field mesh_fields[] = {
    F_STR("meshName", struct m_mesh, name, 1, REQ),
    F_IGNORED("metadata"),
    F_OBJ("spec", struct m_mesh, spec, &mesh_spec_obj, REQ),
    F_IGNORED("status"),
};
static const struct mg_schema_object mesh_obj = OBJ("mesh", struct m_mesh, mesh_fields, NULL);

const struct mg_schema_object *const mg_config_mesh_schemas[] = {
    &mesh_obj, &gw_route_obj, &vservice_obj, &router_obj, &route_obj, &node_obj, NULL};

/* ------------------------------------------------------------------------------------------ */
/* From the mirrors to the public structs                                                     */

/* Copies <s> into the heap; reports running out of memory at <tok>. */
static char *
dup_str(struct mg_schema_ctx *ctx, int tok, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		mg_json_error(ctx->doc, tok, "out of memory");
	return d;
}

/* Like dup_str(), but "" (absent, or failed and already reported) gives NULL. */
static char *
dup_opt(struct mg_schema_ctx *ctx, int tok, const char *s)
{
	return s[0] == '\0' ? NULL : dup_str(ctx, tok, s);
}

/* Zeroed heap memory for <n> elements of <size> bytes (NULL for none). */
static void *
alloc_array(struct mg_schema_ctx *ctx, int tok, size_t n, size_t size)
{
	void *p;

	if (n == 0)
		return NULL;
	p = calloc(n, size);
	if (p == NULL)
		mg_json_error(ctx->doc, tok, "out of memory");
	return p;
}

static struct mg_cfg_duration
to_duration(const struct m_duration *d)
{
	struct mg_cfg_duration out = {false, 0};

	if (d->present && d->unit != 0) {
		out.set = true;
		out.ms = d->unit == 1 ? (uint64_t)d->value * 1000 : (uint64_t)d->value;
	}
	return out;
}

static void
convert_smatch(struct mg_schema_ctx *ctx, int tok, const struct m_smatch *m,
               struct mg_cfg_string_match *out)
{
	out->kind = (enum mg_cfg_match_kind)m->kind;
	if (m->kind == MG_CFG_MATCH_RANGE) {
		out->range_start = m->range.start;
		out->range_end = m->range.end;
	} else if (m->kind != MG_CFG_MATCH_NONE) {
		out->value = dup_opt(ctx, tok, m->value);
	}
}

static void
convert_headers(struct mg_schema_ctx *ctx, int tok, const struct m_header *h, int n,
                struct mg_cfg_header_match **out, int *n_out)
{
	int i;

	*out = alloc_array(ctx, tok, (size_t)n, sizeof(**out));
	if (*out == NULL)
		return;
	*n_out = n;
	for (i = 0; i < n; i++) {
		(*out)[i].name = dup_opt(ctx, tok, h[i].name);
		(*out)[i].invert = h[i].invert;
		convert_smatch(ctx, tok, &h[i].match, &(*out)[i].match);
	}
}

static void
convert_query(struct mg_schema_ctx *ctx, int tok, const struct m_query *q, int n,
              struct mg_cfg_query_match **out, int *n_out)
{
	int i;

	*out = alloc_array(ctx, tok, (size_t)n, sizeof(**out));
	if (*out == NULL)
		return;
	*n_out = n;
	for (i = 0; i < n; i++) {
		(*out)[i].name = dup_opt(ctx, tok, q[i].name);
		if (q[i].match.has_exact)
			(*out)[i].exact = dup_str(ctx, tok, q[i].match.exact);
	}
}

static int
convert_gw_route(struct mg_schema_ctx *ctx, int tok, void *mirror, void *out)
{
	const struct m_gw_route *m = mirror;
	struct mg_cfg_gateway_route *r = out;
	struct mg_cfg_gateway_route_match *mm = &r->match;
	const struct m_gw_action *a;

	r->name = dup_opt(ctx, tok, m->name);
	r->has_priority = m->spec.priority.set;
	r->priority = m->spec.priority.v;
	r->target_service_index = -1;
	if (m->spec.kind == 0)
		return 0;
	r->kind = (enum mg_cfg_route_kind)(m->spec.kind - 1);
	if (r->kind == MG_CFG_ROUTE_GRPC) {
		const struct m_grpc_match *g = &m->spec.grpc.match;

		a = &m->spec.grpc.action;
		mm->service_name = dup_opt(ctx, tok, g->service_name);
		convert_smatch(ctx, tok, &g->hostname, &mm->hostname);
		mm->port = g->port;
		convert_headers(ctx, tok, g->metadata, g->n_metadata, &mm->headers, &mm->n_headers);
	} else {
		const struct m_http_match *h = &m->spec.http.match;

		a = &m->spec.http.action;
		mm->prefix = dup_opt(ctx, tok, h->prefix);
		convert_smatch(ctx, tok, &h->path, &mm->path);
		convert_smatch(ctx, tok, &h->hostname, &mm->hostname);
		mm->method = (enum mg_cfg_http_method)h->method;
		mm->port = h->port;
		convert_headers(ctx, tok, h->headers, h->n_headers, &mm->headers, &mm->n_headers);
		convert_query(ctx, tok, h->query, h->n_query, &mm->query, &mm->n_query);
		r->rewrite_prefix_default = (enum mg_cfg_rewrite_default)a->rewrite.prefix.def;
		r->rewrite_prefix_value = dup_opt(ctx, tok, a->rewrite.prefix.value);
		r->rewrite_path = dup_opt(ctx, tok, a->rewrite.path.exact);
	}
	r->target_service = dup_opt(ctx, tok, a->target.vs.name);
	r->target_port = a->target.port;
	r->rewrite_hostname = (enum mg_cfg_rewrite_default)a->rewrite.hostname_def;
	return 0;
}

static void
convert_targets(struct mg_schema_ctx *ctx, int tok, const struct m_action *a,
                struct mg_cfg_route *r)
{
	int i;

	r->targets = alloc_array(ctx, tok, (size_t)a->n, sizeof(*r->targets));
	if (r->targets == NULL)
		return;
	r->n_targets = a->n;
	for (i = 0; i < a->n; i++) {
		r->targets[i].node = dup_opt(ctx, tok, a->targets[i].node);
		r->targets[i].node_index = -1;
		r->targets[i].weight = a->targets[i].weight;
		r->targets[i].port = a->targets[i].port;
	}
}

static void
convert_retry(const struct m_retry *m, struct mg_cfg_retry_policy *out)
{
	int i;

	if (!m->present)
		return;
	out->present = true;
	out->max_retries = (uint64_t)m->max_retries;
	out->per_retry_timeout = to_duration(&m->per_retry);
	for (i = 0; i < m->n_http; i++)
		out->http_events |= 1u << m->http[i];
	for (i = 0; i < m->n_tcp; i++)
		out->tcp_events |= 1u << m->tcp[i];
	for (i = 0; i < m->n_grpc; i++)
		out->grpc_events |= 1u << m->grpc[i];
}

static int
convert_route(struct mg_schema_ctx *ctx, int tok, void *mirror, void *out)
{
	const struct m_route *m = mirror;
	struct mg_cfg_route *r = out;
	struct mg_cfg_route_match *mm = &r->match;

	r->name = dup_opt(ctx, tok, m->name);
	r->router = dup_opt(ctx, tok, m->router);
	r->router_index = -1;
	r->has_priority = m->spec.priority.set;
	r->priority = m->spec.priority.v;
	if (m->spec.kind == 0)
		return 0;
	r->kind = (enum mg_cfg_route_kind)(m->spec.kind - 1);
	switch (r->kind) {
	case MG_CFG_ROUTE_HTTP:
	case MG_CFG_ROUTE_HTTP2: {
		const struct m_route_http *h = &m->spec.http;

		mm->prefix = dup_opt(ctx, tok, h->match.prefix);
		convert_smatch(ctx, tok, &h->match.path, &mm->path);
		mm->method = (enum mg_cfg_http_method)h->match.method;
		if (h->match.scheme != 0)
			mm->scheme = dup_str(ctx, tok, scheme_names[h->match.scheme - 1]);
		mm->port = h->match.port;
		convert_headers(ctx, tok, h->match.headers, h->match.n_headers, &mm->headers,
		                &mm->n_headers);
		convert_query(ctx, tok, h->match.query, h->match.n_query, &mm->query, &mm->n_query);
		convert_targets(ctx, tok, &h->action, r);
		convert_retry(&h->retry, &r->retry);
		r->per_request = to_duration(&h->timeout.per_request);
		r->idle = to_duration(&h->timeout.idle);
		break;
	}
	case MG_CFG_ROUTE_GRPC: {
		const struct m_route_grpc *g = &m->spec.grpc;

		mm->service_name = dup_opt(ctx, tok, g->match.service_name);
		mm->method_name = dup_opt(ctx, tok, g->match.method_name);
		mm->port = g->match.port;
		convert_headers(ctx, tok, g->match.metadata, g->match.n_metadata, &mm->headers,
		                &mm->n_headers);
		convert_targets(ctx, tok, &g->action, r);
		convert_retry(&g->retry, &r->retry);
		r->per_request = to_duration(&g->timeout.per_request);
		r->idle = to_duration(&g->timeout.idle);
		break;
	}
	case MG_CFG_ROUTE_TCP:
		mm->port = m->spec.tcp.match.port;
		convert_targets(ctx, tok, &m->spec.tcp.action, r);
		r->idle = to_duration(&m->spec.tcp.timeout.idle);
		break;
	}
	return 0;
}

static int
convert_vservice(struct mg_schema_ctx *ctx, int tok, void *mirror, void *out)
{
	const struct m_vservice *m = mirror;
	struct mg_cfg_virtual_service *s = out;

	s->name = dup_opt(ctx, tok, m->name);
	s->provider_kind = (enum mg_cfg_provider_kind)m->spec.kind;
	s->provider_name =
	    s->provider_kind != MG_CFG_PROVIDER_NONE ? dup_opt(ctx, tok, m->spec.ref.name) : NULL;
	s->provider_index = -1;
	return 0;
}

static int
convert_router(struct mg_schema_ctx *ctx, int tok, void *mirror, void *out)
{
	const struct m_router *m = mirror;
	struct mg_cfg_virtual_router *r = out;
	int i;

	r->name = dup_opt(ctx, tok, m->name);
	r->listeners = alloc_array(ctx, tok, (size_t)m->spec.n, sizeof(*r->listeners));
	if (r->listeners == NULL)
		return 0;
	r->n_listeners = m->spec.n;
	for (i = 0; i < m->spec.n; i++) {
		r->listeners[i].port = m->spec.listeners[i].port;
		r->listeners[i].protocol = (enum mg_cfg_port_protocol)m->spec.listeners[i].protocol;
	}
	return 0;
}

static int
convert_node_listener(struct mg_schema_ctx *ctx, int tok, void *mirror, void *out)
{
	const struct m_node_listener *m = mirror;
	struct mg_cfg_node_listener *l = out;

	l->port = m->pm.port;
	l->protocol = (enum mg_cfg_port_protocol)m->pm.protocol;
	l->tls_mode = m->tls.present ? (enum mg_cfg_tls_mode)(MG_CFG_TLS_STRICT + m->tls.mode)
	                             : MG_CFG_TLS_NONE;
	l->pool_kind = (enum mg_cfg_node_pool_kind)m->pool.kind;
	l->max_connections = MG_CFG_POOL_UNLIMITED;
	l->max_pending_requests = MG_CFG_POOL_UNLIMITED;
	l->max_requests = MG_CFG_POOL_UNLIMITED;
	switch (l->pool_kind) {
	case MG_CFG_NODE_POOL_HTTP:
		l->max_connections = m->pool.max_connections;
		if (m->pool.max_pending_requests != 0)
			l->max_pending_requests = m->pool.max_pending_requests;
		break;
	case MG_CFG_NODE_POOL_TCP:
		l->max_connections = m->pool.max_connections;
		break;
	case MG_CFG_NODE_POOL_HTTP2:
	case MG_CFG_NODE_POOL_GRPC:
		l->max_requests = m->pool.max_requests;
		break;
	default:
		break;
	}
	if (m->health.present) {
		l->has_health_check = true;
		l->health_check.healthy_threshold = m->health.healthy;
		l->health_check.unhealthy_threshold = m->health.unhealthy;
		l->health_check.interval_ms = m->health.interval;
		l->health_check.timeout_ms = m->health.timeout;
		l->health_check.port = m->health.port != 0 ? m->health.port : m->pm.port;
		l->health_check.protocol = (enum mg_cfg_port_protocol)m->health.protocol;
		l->health_check.path = dup_opt(ctx, tok, m->health.path);
	}
	if (m->outlier.present) {
		l->has_outlier_detection = true;
		l->outlier_detection.max_server_errors = (uint64_t)m->outlier.max_errors;
		l->outlier_detection.max_ejection_percent = m->outlier.max_percent;
		l->outlier_detection.interval = to_duration(&m->outlier.interval);
		l->outlier_detection.base_ejection_duration = to_duration(&m->outlier.base);
	}
	l->per_request = to_duration(&m->timeout.t.per_request);
	l->idle = to_duration(&m->timeout.t.idle);
	return 0;
}

static int
convert_backend(struct mg_schema_ctx *ctx, int tok, void *mirror, void *out)
{
	const struct m_backend *m = mirror;

	*(char **)out = dup_opt(ctx, tok, m->vs.name);
	return 0;
}

static int
convert_node(struct mg_schema_ctx *ctx, int tok, void *mirror, void *out)
{
	struct m_node *m = mirror;
	struct mg_cfg_virtual_node *n = out;

	n->name = dup_opt(ctx, tok, m->name);
	/* The lists were parsed straight into the heap: move them. */
	n->listeners = m->spec.listeners;
	n->n_listeners = m->spec.n_listeners;
	n->backends = m->spec.backends;
	n->n_backends = m->spec.n_backends;
	m->spec.listeners = NULL;
	m->spec.backends = NULL;
	if (m->spec.discovery.kind == 2) {
		n->discovery = MG_CFG_DISCOVERY_DNS;
		n->dns_hostname = dup_opt(ctx, tok, m->spec.discovery.dns.hostname);
		n->dns_response = m->spec.discovery.dns.response == 2 ? MG_CFG_DNS_ENDPOINTS
		                                                      : MG_CFG_DNS_LOADBALANCER;
		n->ip_preference = (enum mg_cfg_ip_preference)m->spec.discovery.dns.ip;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Lists                                                                                      */

typedef int (*convert_fn)(struct mg_schema_ctx *ctx, int tok, void *mirror, void *out);

/*
 * Walks JSON array <tok> (at most <max> elements, 0: no limit but the document's) element by
 * element: each object is walked by <obj> into a zeroed scratch mirror of <mirror_size> bytes
 * and turned by <convert> into the next element of a zeroed heap array of <elem_size>-byte
 * elements, stored with its length in *<out> and *<n>. Elements that are not objects are
 * reported and leave their element zeroed. Returns 0 or -EINVAL.
 */
static int
parse_list(struct mg_schema_ctx *ctx, int tok, const struct mg_schema_object *obj,
           size_t mirror_size, convert_fn convert, void **out, int *n, size_t elem_size, int max)
{
	unsigned long before = mg_json_errors_total(ctx->doc->errs);
	int count = mg_json_size(ctx->doc, tok), e, i = 0;
	void *mirror;
	char *arr;

	if (mg_json_type(ctx->doc, tok) != MG_JSON_ARRAY) {
		mg_json_error(ctx->doc, tok, "expected an array, got %s",
		              mg_json_type_name(mg_json_type(ctx->doc, tok)));
		return -EINVAL;
	}
	if (max > 0 && count > max) {
		mg_json_error(ctx->doc, tok, "has %d elements, at most %d allowed", count, max);
		count = max;
	}
	if (count == 0)
		return 0;
	mirror = malloc(mirror_size);
	arr = alloc_array(ctx, tok, (size_t)count, elem_size);
	if (mirror == NULL || arr == NULL) {
		if (mirror == NULL && arr != NULL)
			mg_json_error(ctx->doc, tok, "out of memory");
		free(mirror);
		free(arr);
		return -ENOMEM;
	}
	*out = arr;
	*n = count;
	for (e = mg_json_elem_first(ctx->doc, tok); e >= 0 && i < count;
	     e = mg_json_elem_next(ctx->doc, e), i++) {
		if (mg_json_is_bad(ctx->doc, e))
			continue;
		memset(mirror, 0, mirror_size);
		mg_schema_parse(ctx, obj, e, mirror);
		if (mg_json_type(ctx->doc, e) == MG_JSON_OBJECT)
			convert(ctx, e, mirror, arr + (size_t)i * elem_size);
	}
	free(mirror);
	return mg_json_errors_total(ctx->doc->errs) == before ? 0 : -EINVAL;
}

static int
parse_node_listeners(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                     void *base)
{
	struct m_node_spec *s = base;

	(void)f;
	return parse_list(ctx, tok, &node_listener_obj, sizeof(struct m_node_listener),
	                  convert_node_listener, (void **)&s->listeners, &s->n_listeners,
	                  sizeof(*s->listeners), MAX_LISTENERS);
}

static int
parse_node_backends(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	struct m_node_spec *s = base;

	(void)f;
	return parse_list(ctx, tok, &backend_obj, sizeof(struct m_backend), convert_backend,
	                  (void **)&s->backends, &s->n_backends, sizeof(*s->backends), 0);
}

int
mg_cfg_mesh_parse(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	struct mg_config *cfg = base;

	if (strcmp(f->name, "mesh") == 0) {
		struct m_mesh m;
		int rc;

		memset(&m, 0, sizeof(m));
		rc = mg_schema_parse(ctx, &mesh_obj, tok, &m);
		if (mg_json_type(ctx->doc, tok) != MG_JSON_OBJECT)
			return rc;
		cfg->has_mesh = true;
		cfg->mesh.name = dup_opt(ctx, tok, m.name);
		cfg->mesh.egress =
		    m.spec.egress == 1 ? MG_CFG_EGRESS_ALLOW_ALL : MG_CFG_EGRESS_DROP_ALL;
		cfg->mesh.ip_preference = (enum mg_cfg_ip_preference)m.spec.ip;
		return rc;
	}
	if (strcmp(f->name, "gatewayRoutes") == 0)
		return parse_list(ctx, tok, &gw_route_obj, sizeof(struct m_gw_route),
		                  convert_gw_route, (void **)&cfg->gateway_routes,
		                  &cfg->n_gateway_routes, sizeof(*cfg->gateway_routes), 0);
	if (strcmp(f->name, "virtualServices") == 0)
		return parse_list(ctx, tok, &vservice_obj, sizeof(struct m_vservice),
		                  convert_vservice, (void **)&cfg->virtual_services,
		                  &cfg->n_virtual_services, sizeof(*cfg->virtual_services), 0);
	if (strcmp(f->name, "virtualRouters") == 0)
		return parse_list(ctx, tok, &router_obj, sizeof(struct m_router), convert_router,
		                  (void **)&cfg->virtual_routers, &cfg->n_virtual_routers,
		                  sizeof(*cfg->virtual_routers), 0);
	if (strcmp(f->name, "routes") == 0)
		return parse_list(ctx, tok, &route_obj, sizeof(struct m_route), convert_route,
		                  (void **)&cfg->routes, &cfg->n_routes, sizeof(*cfg->routes), 0);
	if (strcmp(f->name, "virtualNodes") == 0) {
		/*
		 * A node's lists are moved out of the mirror by convert_node(); a node that is
		 * not an object never reaches its lists, so nothing is left behind.
		 */
		return parse_list(ctx, tok, &node_obj, sizeof(struct m_node), convert_node,
		                  (void **)&cfg->virtual_nodes, &cfg->n_virtual_nodes,
		                  sizeof(*cfg->virtual_nodes), 0);
	}
	mg_json_error(ctx->doc, tok, "internal error: no parser for '%s'", f->name);
	return -EINVAL;
}

/* ------------------------------------------------------------------------------------------ */
/* appliance.endpoints                                                                        */

int
mg_cfg_parse_host_ipv4(struct mg_schema_ctx *ctx, int tok, uint32_t *out, const char *example)
{
	char buf[32], ex[MG_JSON_EXCERPT_MAX];
	unsigned first;
	uint32_t a;
	size_t n;

	if (mg_json_is_bad(ctx->doc, tok))
		return -EINVAL;
	if (mg_json_type(ctx->doc, tok) != MG_JSON_STRING) {
		mg_json_error(ctx->doc, tok, "expected a string like \"%s\", got %s", example,
		              mg_json_type_name(mg_json_type(ctx->doc, tok)));
		return -EINVAL;
	}
	if (mg_json_str_decode(ctx->doc, tok, buf, sizeof(buf), &n) < 0 || strlen(buf) != n ||
	    mg_cfg_parse_ipv4(buf, n, &a) < 0) {
		mg_json_error(ctx->doc, tok, "'%s' is not an IPv4 address like %s",
		              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)), example);
		return -EINVAL;
	}
	first = a >> 24;
	if (first == 0 || first == 127 || first >= 224) {
		mg_json_error(ctx->doc, tok, "%s is not a unicast address a host can have (%s)",
		              buf,
		              first == 0     ? "0.0.0.0/8 is \"this network\""
		              : first == 127 ? "loopback"
		              : first < 240  ? "multicast"
		                             : "reserved or broadcast");
		return -EINVAL;
	}
	*out = a;
	return 0;
}

static int
parse_endpoint_address(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                       void *base)
{
	(void)f;
	return mg_cfg_parse_host_ipv4(ctx, tok, &((struct mg_cfg_endpoint *)base)->addr,
	                              "10.0.0.5");
}

static const struct mg_schema_field endpoint_fields[] = {
    {.name = "address",
     .type = MG_SCHEMA_CUSTOM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_endpoint, addr),
     .parse = parse_endpoint_address},
    F_INT("port", struct mg_cfg_endpoint, port, 1, 65535, 0),
};
static const struct mg_schema_object endpoint_obj =
    OBJ("endpoint", struct mg_cfg_endpoint, endpoint_fields, NULL);

/* One member of appliance.endpoints: "<node>": [ {address, port}, ... ]. */
static void
parse_endpoint_set(struct mg_schema_ctx *ctx, int key, struct mg_cfg_endpoint_set *set)
{
	int tok = key + 1, n = mg_json_size(ctx->doc, tok), e, i, j;
	char name[NAME_SIZE];
	size_t len;

	set->node_index = -1;
	if (mg_json_str_decode(ctx->doc, key, name, sizeof(name), &len) < 0 || len == 0 ||
	    strlen(name) != len) {
		mg_json_error(ctx->doc, key, "'%s' is not a virtual node name (1..255 bytes)",
		              mg_json_excerpt(ctx->doc, key, (char[MG_JSON_EXCERPT_MAX]){0},
		                              MG_JSON_EXCERPT_MAX));
		return;
	}
	set->node = dup_str(ctx, key, name);
	if (mg_json_is_bad(ctx->doc, tok))
		return;
	if (mg_json_type(ctx->doc, tok) != MG_JSON_ARRAY) {
		mg_json_error(ctx->doc, tok, "expected an array of endpoints, got %s",
		              mg_json_type_name(mg_json_type(ctx->doc, tok)));
		return;
	}
	if (n == 0) {
		mg_json_error(ctx->doc, tok, "must not be empty (leave the node out instead)");
		return;
	}
	if (n > MG_CFG_MAX_ENDPOINTS_PER_NODE) {
		mg_json_error(ctx->doc, tok, "has %d elements, at most %d allowed", n,
		              MG_CFG_MAX_ENDPOINTS_PER_NODE);
		n = MG_CFG_MAX_ENDPOINTS_PER_NODE;
	}
	set->eps = alloc_array(ctx, tok, (size_t)n, sizeof(*set->eps));
	if (set->eps == NULL)
		return;
	for (e = mg_json_elem_first(ctx->doc, tok), i = 0; e >= 0 && i < n;
	     e = mg_json_elem_next(ctx->doc, e), i++) {
		if (!mg_json_is_bad(ctx->doc, e))
			mg_schema_parse(ctx, &endpoint_obj, e, &set->eps[i]);
		for (j = 0; j < i && set->eps[i].addr != 0; j++) {
			char a[16];
			uint32_t v = set->eps[i].addr;

			if (set->eps[j].addr != v || set->eps[j].port != set->eps[i].port)
				continue;
			snprintf(a, sizeof(a), "%u.%u.%u.%u", v >> 24, (v >> 16) & 255,
			         (v >> 8) & 255, v & 255);
			mg_json_error(ctx->doc, e, "endpoint %s%s%.0u is listed twice (as [%d])", a,
			              set->eps[i].port != 0 ? ":" : "", set->eps[i].port, j);
			break;
		}
	}
	set->n = n;
}

int
mg_cfg_endpoints_parse(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                       void *base)
{
	struct mg_cfg_appliance *ap = base;
	unsigned long before = mg_json_errors_total(ctx->doc->errs);
	int key, n = 0;

	(void)f;
	if (mg_json_type(ctx->doc, tok) != MG_JSON_OBJECT) {
		mg_json_error(ctx->doc, tok,
		              "expected an object keyed by virtual node name, got %s",
		              mg_json_type_name(mg_json_type(ctx->doc, tok)));
		return -EINVAL;
	}
	ap->endpoint_sets =
	    alloc_array(ctx, tok, (size_t)mg_json_size(ctx->doc, tok), sizeof(*ap->endpoint_sets));
	if (ap->endpoint_sets == NULL)
		return mg_json_size(ctx->doc, tok) == 0 ? 0 : -ENOMEM;
	for (key = mg_json_member_first(ctx->doc, tok); key >= 0;
	     key = mg_json_member_next(ctx->doc, key)) {
		if (mg_json_is_bad(ctx->doc, key))
			continue;
		parse_endpoint_set(ctx, key, &ap->endpoint_sets[n++]);
	}
	ap->n_endpoint_sets = n;
	return mg_json_errors_total(ctx->doc->errs) == before ? 0 : -EINVAL;
}

/* ------------------------------------------------------------------------------------------ */
/* Cross-references                                                                           */

/*
 * Returns the token at the path formatted from <fmt> under the root, or the nearest ancestor
 * that exists (the root at worst), so that an error always has a position.
 */
static int __attribute__((format(printf, 2, 3))) at(struct mg_schema_ctx *ctx, const char *fmt, ...)
{
	char path[MG_JSON_PATH_MAX];
	va_list ap;
	int t;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	for (;;) {
		char *dot, *br;

		t = mg_json_lookup(ctx->doc, 0, path);
		if (t >= 0)
			return t;
		dot = strrchr(path, '.');
		br = strrchr(path, '[');
		if (dot == NULL && br == NULL)
			return 0;
		*(dot > br ? dot : br) = '\0';
	}
}

static int
find_node(const struct mg_config *cfg, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < cfg->n_virtual_nodes; i++) {
		if (cfg->virtual_nodes[i].name != NULL &&
		    strcmp(cfg->virtual_nodes[i].name, name) == 0)
			return i;
	}
	return -1;
}

static int
find_router(const struct mg_config *cfg, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < cfg->n_virtual_routers; i++) {
		if (cfg->virtual_routers[i].name != NULL &&
		    strcmp(cfg->virtual_routers[i].name, name) == 0)
			return i;
	}
	return -1;
}

static int
find_service(const struct mg_config *cfg, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < cfg->n_virtual_services; i++) {
		if (cfg->virtual_services[i].name != NULL &&
		    strcmp(cfg->virtual_services[i].name, name) == 0)
			return i;
	}
	return -1;
}

/*
 * Reports every name of section <sec> (its <n> names at <names>[i * <stride>]) that repeats an
 * earlier one. <scope>, when not NULL, gives each name a scope string (the router of a route):
 * names only clash within one scope.
 */
static int
check_duplicates(struct mg_schema_ctx *ctx, const char *sec, const char *field, const void *arr,
                 size_t stride, size_t name_off, size_t scope_off, int n)
{
	int i, j, rc = 0;

	for (i = 0; i < n; i++) {
		const char *a =
		    *(char *const *)(const void *)((const char *)arr + i * stride + name_off);
		const char *as =
		    scope_off != 0
		        ? *(char *const *)(const void *)((const char *)arr + i * stride + scope_off)
		        : NULL;

		for (j = 0; a != NULL && j < i; j++) {
			const char *b = *(char *const *)(const void *)((const char *)arr +
			                                               j * stride + name_off);
			const char *bs =
			    scope_off != 0 ? *(char *const *)(const void *)((const char *)arr +
			                                                    j * stride + scope_off)
			                   : NULL;

			if (b == NULL || strcmp(a, b) != 0)
				continue;
			if (scope_off != 0 && (as == NULL || bs == NULL || strcmp(as, bs) != 0))
				continue;
			if (scope_off != 0)
				mg_json_error(ctx->doc, at(ctx, "%s[%d].%s", sec, i, field),
				              "'%s' is already the name of %s[%d] (route names are "
				              "unique per virtual router)",
				              a, sec, j);
			else
				mg_json_error(ctx->doc, at(ctx, "%s[%d].%s", sec, i, field),
				              "'%s' is already the name of %s[%d]", a, sec, j);
			rc = -EINVAL;
			break;
		}
	}
	return rc;
}

/* Reports a resource (at path <res>) whose meshName is not the mesh's. */
static int
check_mesh_name(struct mg_schema_ctx *ctx, const struct mg_config *cfg, const char *res)
{
	int t = mg_json_obj_get(ctx->doc, mg_json_lookup(ctx->doc, 0, res), "meshName");
	char ex[MG_JSON_EXCERPT_MAX];

	if (!cfg->has_mesh || cfg->mesh.name == NULL ||
	    mg_json_type(ctx->doc, t) != MG_JSON_STRING ||
	    mg_json_str_eq(ctx->doc, t, cfg->mesh.name))
		return 0;
	mg_json_error(ctx->doc, t, "'%s' is not this configuration's mesh ('%s', mesh.meshName)",
	              mg_json_excerpt(ctx->doc, t, ex, sizeof(ex)), cfg->mesh.name);
	return -EINVAL;
}

static const char *
pp_name(enum mg_cfg_port_protocol p)
{
	return p <= MG_CFG_PP_GRPC ? pp_names[p] : "?";
}

/* The route kind that serves each listener protocol (enum mg_cfg_port_protocol). */
static const enum mg_cfg_route_kind kind_of_protocol[] = {MG_CFG_ROUTE_HTTP, MG_CFG_ROUTE_TCP,
                                                          MG_CFG_ROUTE_HTTP2, MG_CFG_ROUTE_GRPC};

/* Writes the ports of <n> port mappings into <buf> as "80, 8080". */
static const char *
port_list(const struct mg_cfg_port_mapping *pm, const struct mg_cfg_node_listener *nl, int n,
          char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && len + 8 < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u", i > 0 ? ", " : "",
		                        pm != NULL ? pm[i].port : nl[i].port);
	return buf;
}

/*
 * A target port (<port>, 0 when not given, at token <ptok>; the whole reference at <rtok>) of a
 * resource <what> '<name>' whose listeners are <pm> or <nl> (<n>): the port must be one of
 * them, and is required when there are several. Returns the listener's index, or -1 if
 * reported (or if there are no listeners, which the caller reports).
 */
static int
check_target_port(struct mg_schema_ctx *ctx, int ptok, int rtok, uint16_t port, const char *what,
                  const char *name, const struct mg_cfg_port_mapping *pm,
                  const struct mg_cfg_node_listener *nl, int n)
{
	char ports[128];
	int i;

	if (n == 0)
		return -1;
	if (port == 0) {
		if (n == 1)
			return 0;
		mg_json_error(ctx->doc, rtok,
		              "%s '%s' has %d listeners (ports %s): set the port to pick one", what,
		              name, n, port_list(pm, nl, n, ports, sizeof(ports)));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((pm != NULL ? pm[i].port : nl[i].port) == port)
			return i;
	}
	mg_json_error(ctx->doc, ptok, "port %u is not a listener port of %s '%s' (%s)", port, what,
	              name, port_list(pm, nl, n, ports, sizeof(ports)));
	return -1;
}

static int
resolve_services(struct mg_schema_ctx *ctx, struct mg_config *cfg)
{
	int i, rc = 0;

	for (i = 0; i < cfg->n_virtual_services; i++) {
		struct mg_cfg_virtual_service *s = &cfg->virtual_services[i];
		const char *kind =
		    s->provider_kind == MG_CFG_PROVIDER_NODE ? "virtualNode" : "virtualRouter";

		if (s->provider_name == NULL)
			continue;
		s->provider_index = s->provider_kind == MG_CFG_PROVIDER_NODE
		                        ? find_node(cfg, s->provider_name)
		                        : find_router(cfg, s->provider_name);
		if (s->provider_index >= 0)
			continue;
		mg_json_error(
		    ctx->doc, at(ctx, "virtualServices[%d].spec.provider.%s.%sName", i, kind, kind),
		    "there is no %s named '%s' (in %s)",
		    s->provider_kind == MG_CFG_PROVIDER_NODE ? "virtual node" : "virtual router",
		    s->provider_name,
		    s->provider_kind == MG_CFG_PROVIDER_NODE ? "virtualNodes" : "virtualRouters");
		rc = -EINVAL;
	}
	return rc;
}

static int
resolve_listener_ports(struct mg_schema_ctx *ctx, struct mg_config *cfg)
{
	int i, j, k, rc = 0;

	for (i = 0; i < cfg->n_virtual_routers; i++) {
		const struct mg_cfg_virtual_router *r = &cfg->virtual_routers[i];

		for (j = 0; j < r->n_listeners; j++) {
			for (k = 0; k < j && r->listeners[j].port != 0; k++) {
				if (r->listeners[k].port != r->listeners[j].port)
					continue;
				mg_json_error(
				    ctx->doc,
				    at(ctx,
				       "virtualRouters[%d].spec.listeners[%d].portMapping.port", i,
				       j),
				    "port %u is already used by listeners[%d]",
				    r->listeners[j].port, k);
				rc = -EINVAL;
				break;
			}
		}
	}
	for (i = 0; i < cfg->n_virtual_nodes; i++) {
		const struct mg_cfg_virtual_node *n = &cfg->virtual_nodes[i];

		for (j = 0; j < n->n_listeners; j++) {
			for (k = 0; k < j && n->listeners[j].port != 0; k++) {
				if (n->listeners[k].port != n->listeners[j].port)
					continue;
				mg_json_error(
				    ctx->doc,
				    at(ctx, "virtualNodes[%d].spec.listeners[%d].portMapping.port",
				       i, j),
				    "port %u is already used by listeners[%d]",
				    n->listeners[j].port, k);
				rc = -EINVAL;
				break;
			}
		}
	}
	return rc;
}

static int
resolve_routes(struct mg_schema_ctx *ctx, struct mg_config *cfg)
{
	int i, j, rc = 0;

	for (i = 0; i < cfg->n_routes; i++) {
		struct mg_cfg_route *r = &cfg->routes[i];
		const char *kn = route_kind_names[r->kind];
		struct mg_cfg_virtual_router *vr;
		int l;

		if (r->router != NULL) {
			r->router_index = find_router(cfg, r->router);
			if (r->router_index < 0) {
				mg_json_error(ctx->doc, at(ctx, "routes[%d].virtualRouterName", i),
				              "there is no virtual router named '%s' (in "
				              "virtualRouters)",
				              r->router);
				rc = -EINVAL;
			}
		}
		if (r->n_targets == 0)
			continue; /* no route object, or it failed: already reported */
		for (j = 0; j < r->n_targets; j++) {
			struct mg_cfg_weighted_target *t = &r->targets[j];
			const struct mg_cfg_virtual_node *n;
			int ttok =
			    at(ctx, "routes[%d].spec.%s.action.weightedTargets[%d]", i, kn, j);

			if (t->node == NULL)
				continue;
			t->node_index = find_node(cfg, t->node);
			if (t->node_index < 0) {
				mg_json_error(
				    ctx->doc, member_or(ctx, ttok, "virtualNode"),
				    "there is no virtual node named '%s' (in virtualNodes)",
				    t->node);
				rc = -EINVAL;
				continue;
			}
			n = &cfg->virtual_nodes[t->node_index];
			if (n->n_listeners == 0) {
				mg_json_error(
				    ctx->doc, member_or(ctx, ttok, "virtualNode"),
				    "virtual node '%s' has no listeners, so it cannot receive "
				    "traffic",
				    t->node);
				rc = -EINVAL;
			} else if (check_target_port(ctx, member_or(ctx, ttok, "port"), ttok,
			                             t->port, "virtual node", t->node, NULL,
			                             n->listeners, n->n_listeners) < 0) {
				rc = -EINVAL;
			}
		}
		if (r->router_index < 0)
			continue;
		vr = &cfg->virtual_routers[r->router_index];
		l = check_target_port(ctx, at(ctx, "routes[%d].spec.%s.match.port", i, kn),
		                      at(ctx, "routes[%d].spec.%s.match", i, kn), r->match.port,
		                      "virtual router", vr->name, vr->listeners, NULL,
		                      vr->n_listeners);
		if (l < 0) {
			if (vr->n_listeners > 0)
				rc = -EINVAL;
			continue;
		}
		if (kind_of_protocol[vr->listeners[l].protocol] != r->kind) {
			mg_json_error(
			    ctx->doc, at(ctx, "routes[%d].spec.%s", i, kn),
			    "a %s cannot serve the %s listener (port %u) of virtual router "
			    "'%s': its routes must be %s",
			    kn, pp_name(vr->listeners[l].protocol), vr->listeners[l].port, vr->name,
			    route_kind_names[kind_of_protocol[vr->listeners[l].protocol]]);
			rc = -EINVAL;
		}
	}
	/* Each router's routes, in document order. */
	for (i = 0; i < cfg->n_routes; i++) {
		if (cfg->routes[i].router_index >= 0)
			cfg->virtual_routers[cfg->routes[i].router_index].n_routes++;
	}
	for (i = 0; i < cfg->n_virtual_routers; i++) {
		struct mg_cfg_virtual_router *vr = &cfg->virtual_routers[i];
		int n = vr->n_routes;

		vr->n_routes = 0;
		vr->routes = alloc_array(ctx, at(ctx, "virtualRouters[%d]", i), (size_t)n,
		                         sizeof(*vr->routes));
	}
	for (i = 0; i < cfg->n_routes; i++) {
		struct mg_cfg_virtual_router *vr;

		if (cfg->routes[i].router_index < 0)
			continue;
		vr = &cfg->virtual_routers[cfg->routes[i].router_index];
		if (vr->routes != NULL)
			vr->routes[vr->n_routes++] = i;
	}
	return rc;
}

static int
resolve_gateway_routes(struct mg_schema_ctx *ctx, struct mg_config *cfg)
{
	const struct mg_cfg_listener *gl = &cfg->virtual_gateway.listener;
	static const char *const vgw_protocols[] = {"http", "http2", "grpc"};
	int i, rc = 0;

	if (cfg->n_gateway_routes > 0 && !cfg->has_virtual_gateway) {
		mg_json_error(ctx->doc, at(ctx, "gatewayRoutes"),
		              "gateway routes need the virtualGateway they belong to");
		return -EINVAL;
	}
	for (i = 0; i < cfg->n_gateway_routes; i++) {
		struct mg_cfg_gateway_route *g = &cfg->gateway_routes[i];
		const struct mg_cfg_virtual_service *vs;
		const char *kn = route_kind_names[g->kind];
		int t = at(ctx, "gatewayRoutes[%d].virtualGatewayName", i);
		char ex[MG_JSON_EXCERPT_MAX];

		if (mg_json_type(ctx->doc, t) == MG_JSON_STRING &&
		    mg_json_obj_get(ctx->doc, at(ctx, "gatewayRoutes[%d]", i),
		                    "virtualGatewayName") >= 0 &&
		    !mg_json_str_eq(ctx->doc, t, cfg->virtual_gateway.name)) {
			mg_json_error(ctx->doc, t,
			              "this gateway route belongs to virtual gateway '%s', not to "
			              "'%s' (virtualGateway.virtualGatewayName)",
			              mg_json_excerpt(ctx->doc, t, ex, sizeof(ex)),
			              cfg->virtual_gateway.name);
			rc = -EINVAL;
		}
		if (g->target_service == NULL)
			continue; /* no route object, or it failed: already reported */
		if (gl->port != 0 && (int)g->kind != (int)gl->protocol) {
			mg_json_error(ctx->doc, at(ctx, "gatewayRoutes[%d].spec.%s", i, kn),
			              "a %s cannot serve the virtual gateway's %s listener: its "
			              "gateway routes must be %s",
			              kn, vgw_protocols[gl->protocol],
			              route_kind_names[gl->protocol]);
			rc = -EINVAL;
		}
		if (gl->port != 0 && g->match.port != 0 && g->match.port != gl->port) {
			mg_json_error(ctx->doc,
			              at(ctx, "gatewayRoutes[%d].spec.%s.match.port", i, kn),
			              "port %u is not the virtual gateway's listener port (%u)",
			              g->match.port, gl->port);
			rc = -EINVAL;
		}
		t = at(ctx, "gatewayRoutes[%d].spec.%s.action.target", i, kn);
		g->target_service_index = find_service(cfg, g->target_service);
		if (g->target_service_index < 0) {
			mg_json_error(ctx->doc,
			              at(ctx,
			                 "gatewayRoutes[%d].spec.%s.action.target."
			                 "virtualService.virtualServiceName",
			                 i, kn),
			              "there is no virtual service named '%s' (in virtualServices)",
			              g->target_service);
			rc = -EINVAL;
			continue;
		}
		vs = &cfg->virtual_services[g->target_service_index];
		if (vs->provider_index < 0)
			continue; /* no provider (nothing to check), or reported */
		if (vs->provider_kind == MG_CFG_PROVIDER_ROUTER) {
			const struct mg_cfg_virtual_router *vr =
			    &cfg->virtual_routers[vs->provider_index];

			if (check_target_port(ctx, member_or(ctx, t, "port"), t, g->target_port,
			                      "virtual router", vr->name, vr->listeners, NULL,
			                      vr->n_listeners) < 0 &&
			    vr->n_listeners > 0)
				rc = -EINVAL;
		} else {
			const struct mg_cfg_virtual_node *n =
			    &cfg->virtual_nodes[vs->provider_index];

			if (check_target_port(ctx, member_or(ctx, t, "port"), t, g->target_port,
			                      "virtual node", n->name, NULL, n->listeners,
			                      n->n_listeners) < 0 &&
			    n->n_listeners > 0)
				rc = -EINVAL;
		}
	}
	return rc;
}

static int
resolve_endpoints(struct mg_schema_ctx *ctx, struct mg_config *cfg)
{
	struct mg_cfg_appliance *ap = &cfg->appliance;
	int eobj = at(ctx, "appliance.endpoints");
	int i, rc = 0;

	for (i = 0; i < ap->n_endpoint_sets; i++) {
		struct mg_cfg_endpoint_set *s = &ap->endpoint_sets[i];
		struct mg_cfg_virtual_node *n;

		if (s->node == NULL)
			continue;
		s->node_index = find_node(cfg, s->node);
		if (s->node_index < 0) {
			int v = mg_json_obj_get(ctx->doc, eobj, s->node);

			mg_json_error(ctx->doc, v >= 0 ? v - 1 : eobj,
			              "there is no virtual node named '%s' (in virtualNodes)",
			              s->node);
			rc = -EINVAL;
			continue;
		}
		n = &cfg->virtual_nodes[s->node_index];
		n->endpoints = s->eps;
		n->n_endpoints = s->n;
	}
	for (i = 0; i < cfg->n_virtual_nodes; i++) {
		struct mg_cfg_virtual_node *n = &cfg->virtual_nodes[i];

		if (n->ip_preference == MG_CFG_IP_NONE && cfg->has_mesh)
			n->ip_preference = cfg->mesh.ip_preference;
		/* Nodes without a name, or whose name repeats an earlier one, were reported. */
		if (n->name == NULL || find_node(cfg, n->name) != i || n->n_listeners == 0 ||
		    n->n_endpoints > 0)
			continue;
		if (n->discovery == MG_CFG_DISCOVERY_NONE) {
			/* Only nodes that are not refused for awsCloudMap already. */
			if (mg_json_lookup(ctx->doc, at(ctx, "virtualNodes[%d]", i),
			                   "spec.serviceDiscovery") >= 0)
				continue;
			mg_json_error(
			    ctx->doc, at(ctx, "virtualNodes[%d].spec", i),
			    "virtual node '%s' has listeners but no way to reach them: give "
			    "it serviceDiscovery.dns, or its addresses in "
			    "appliance.endpoints[\"%s\"]",
			    n->name, n->name);
			rc = -EINVAL;
		} else if (!ap->dns.present) {
			mg_json_error(ctx->doc,
			              at(ctx, "virtualNodes[%d].spec.serviceDiscovery.dns", i),
			              "DNS service discovery needs resolvers: add appliance.dns "
			              "{\"resolvers\": [...]}, or list the node's addresses in "
			              "appliance.endpoints");
			rc = -EINVAL;
		}
	}
	return rc;
}

int
mg_cfg_mesh_resolve(struct mg_schema_ctx *ctx, struct mg_config *cfg)
{
	static const char *const sections[] = {"gatewayRoutes", "virtualServices", "virtualRouters",
	                                       "routes", "virtualNodes"};
	const int counts[] = {cfg->n_gateway_routes, cfg->n_virtual_services,
	                      cfg->n_virtual_routers, cfg->n_routes, cfg->n_virtual_nodes};
	char res[64];
	int rc = 0, s, i;

	if (cfg->has_virtual_gateway && check_mesh_name(ctx, cfg, "virtualGateway") < 0)
		rc = -EINVAL;
	for (s = 0; s < 5; s++) {
		for (i = 0; i < counts[s]; i++) {
			snprintf(res, sizeof(res), "%s[%d]", sections[s], i);
			if (check_mesh_name(ctx, cfg, res) < 0)
				rc = -EINVAL;
		}
	}
	rc |=
	    check_duplicates(ctx, "gatewayRoutes", "gatewayRouteName", cfg->gateway_routes,
	                     sizeof(*cfg->gateway_routes),
	                     offsetof(struct mg_cfg_gateway_route, name), 0, cfg->n_gateway_routes);
	rc |= check_duplicates(ctx, "virtualServices", "virtualServiceName", cfg->virtual_services,
	                       sizeof(*cfg->virtual_services),
	                       offsetof(struct mg_cfg_virtual_service, name), 0,
	                       cfg->n_virtual_services);
	rc |= check_duplicates(ctx, "virtualRouters", "virtualRouterName", cfg->virtual_routers,
	                       sizeof(*cfg->virtual_routers),
	                       offsetof(struct mg_cfg_virtual_router, name), 0,
	                       cfg->n_virtual_routers);
	rc |= check_duplicates(ctx, "routes", "routeName", cfg->routes, sizeof(*cfg->routes),
	                       offsetof(struct mg_cfg_route, name),
	                       offsetof(struct mg_cfg_route, router), cfg->n_routes);
	rc |= check_duplicates(ctx, "virtualNodes", "virtualNodeName", cfg->virtual_nodes,
	                       sizeof(*cfg->virtual_nodes),
	                       offsetof(struct mg_cfg_virtual_node, name), 0, cfg->n_virtual_nodes);
	rc |= resolve_listener_ports(ctx, cfg);
	rc |= resolve_services(ctx, cfg);
	rc |= resolve_routes(ctx, cfg);
	rc |= resolve_gateway_routes(ctx, cfg);
	rc |= resolve_endpoints(ctx, cfg);
	return rc < 0 ? -EINVAL : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Freeing                                                                                    */

static void
free_strings(char **s, int n)
{
	int i;

	for (i = 0; s != NULL && i < n; i++)
		free(s[i]);
	free(s);
}

static void
free_headers(struct mg_cfg_header_match *h, int n)
{
	int i;

	for (i = 0; h != NULL && i < n; i++) {
		free(h[i].name);
		free(h[i].match.value);
	}
	free(h);
}

static void
free_query(struct mg_cfg_query_match *q, int n)
{
	int i;

	for (i = 0; q != NULL && i < n; i++) {
		free(q[i].name);
		free(q[i].exact);
	}
	free(q);
}

static void
free_node_listeners(struct mg_cfg_node_listener *l, int n)
{
	int i;

	for (i = 0; l != NULL && i < n; i++)
		free(l[i].health_check.path);
	free(l);
}

void
mg_cfg_mesh_free(struct mg_config *cfg)
{
	int i, j;

	free(cfg->mesh.name);
	for (i = 0; i < cfg->n_gateway_routes; i++) {
		struct mg_cfg_gateway_route *g = &cfg->gateway_routes[i];

		free(g->name);
		free(g->match.prefix);
		free(g->match.path.value);
		free(g->match.hostname.value);
		free(g->match.service_name);
		free_headers(g->match.headers, g->match.n_headers);
		free_query(g->match.query, g->match.n_query);
		free(g->target_service);
		free(g->rewrite_prefix_value);
		free(g->rewrite_path);
	}
	free(cfg->gateway_routes);
	for (i = 0; i < cfg->n_virtual_services; i++) {
		free(cfg->virtual_services[i].name);
		free(cfg->virtual_services[i].provider_name);
	}
	free(cfg->virtual_services);
	for (i = 0; i < cfg->n_virtual_routers; i++) {
		free(cfg->virtual_routers[i].name);
		free(cfg->virtual_routers[i].listeners);
		free(cfg->virtual_routers[i].routes);
	}
	free(cfg->virtual_routers);
	for (i = 0; i < cfg->n_routes; i++) {
		struct mg_cfg_route *r = &cfg->routes[i];

		free(r->name);
		free(r->router);
		free(r->match.prefix);
		free(r->match.path.value);
		free(r->match.scheme);
		free(r->match.service_name);
		free(r->match.method_name);
		free_headers(r->match.headers, r->match.n_headers);
		free_query(r->match.query, r->match.n_query);
		for (j = 0; r->targets != NULL && j < r->n_targets; j++)
			free(r->targets[j].node);
		free(r->targets);
	}
	free(cfg->routes);
	for (i = 0; i < cfg->n_virtual_nodes; i++) {
		struct mg_cfg_virtual_node *n = &cfg->virtual_nodes[i];

		free(n->name);
		free_node_listeners(n->listeners, n->n_listeners);
		free(n->dns_hostname);
		free_strings(n->backends, n->n_backends);
	}
	free(cfg->virtual_nodes);
	for (i = 0; i < cfg->appliance.n_endpoint_sets; i++) {
		free(cfg->appliance.endpoint_sets[i].node);
		free(cfg->appliance.endpoint_sets[i].eps);
	}
	free(cfg->appliance.endpoint_sets);
}
