/*
 * The top-level `virtualGateway` section: the AWS App Mesh VirtualGateway exactly as
 * `aws appmesh describe-virtual-gateway` prints it under "virtualGateway" (see
 * docs/CONFIG.md and the VirtualGatewaySpec shapes of the App Mesh API 2019-01-25).
 *
 * The JSON tree is walked into private structs that mirror it member for member (struct vgw
 * and below), with the names, required flags, ranges and unions of the App Mesh API, so that a
 * spec copied from App Mesh is accepted unchanged. Then:
 *   - what App Mesh allows but an appliance cannot honour (ACM certificates and ACM Private CA
 *     trust, SDS secrets, HTTP/2 and gRPC listeners, more than one listener) is accepted by
 *     the tables and rejected by their validators with a message that says what to use
 *     instead, at the path of the offending member;
 *   - rules across the listener's members are checked (validate_listener());
 *   - the result is copied into the flat struct mg_cfg_virtual_gateway (flatten()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define REQ MG_SCHEMA_F_REQUIRED

/*
 * Storage for ARNs and SDS secret names, which App Mesh leaves unbounded and Meshgate reads only
 * to reject them: 2047 bytes is the longest ARN AWS documents.
 */
#define OPAQUE_MAX 2048

/* Alternatives of the certificate and trust unions (the tags stored in their <kind>). */
enum {
	SRC_ACM = 1,
	SRC_FILE,
	SRC_SDS,
};

/* logging.accessLog (one alternative) and its format. */
enum {
	LOG_FILE = 1,
};
enum {
	FMT_JSON = 1,
	FMT_TEXT,
};

/* ------------------------------------------------------------------------------------------ */
/* The mirror of the JSON tree                                                                */

struct vgw_acm_cert {
	char arn[OPAQUE_MAX];
};

struct vgw_sds {
	char secret[OPAQUE_MAX];
};

struct vgw_acm_trust {
	int n;
	char arns[3][OPAQUE_MAX];
};

struct vgw_file_trust {
	char chain[MG_CFG_PATH_MAX];
};

/* A certificate union: the listener's (acm | file | sds) or the client's (file | sds). */
struct vgw_cert {
	int kind; /* 0 or SRC_* */
	struct vgw_acm_cert acm;
	struct mg_cfg_cert file;
	struct vgw_sds sds;
};

/* A trust union: the listener's (file | sds) or the client's (acm | file | sds). */
struct vgw_trust {
	int kind; /* 0 or SRC_* */
	struct vgw_acm_trust acm;
	struct vgw_file_trust file;
	struct vgw_sds sds;
};

/* A validation context; <present> is set by its validator. */
struct vgw_validation {
	bool present;
	struct vgw_trust trust;
	struct mg_cfg_san_list san; /* subjectAlternativeNames.match.exact */
};

struct vgw_port_mapping {
	uint16_t port;
	int protocol; /* enum mg_cfg_protocol */
};

struct vgw_listener_tls {
	bool present;
	int mode; /* index in tls_mode_names */
	struct vgw_cert cert;
	struct vgw_validation validation;
};

struct vgw_http_pool {
	uint32_t max_connections, max_pending_requests;
};

struct vgw_req_pool {
	uint32_t max_requests;
};

/* connectionPool; the tags are the enum mg_cfg_pool_kind values. */
struct vgw_pool {
	int kind;
	struct vgw_http_pool http;
	struct vgw_req_pool http2, grpc;
};

struct vgw_health {
	bool present;
	uint32_t healthy_threshold, unhealthy_threshold, interval_ms, timeout_ms;
	uint16_t port;
	int protocol; /* enum mg_cfg_protocol */
	char path[MG_CFG_PATH_MAX];
};

struct vgw_listener {
	struct vgw_port_mapping port_mapping;
	struct vgw_listener_tls tls;
	struct vgw_pool pool;
	struct vgw_health health;
};

/* backendDefaults.clientPolicy.tls; backendDefaults and clientPolicy are laid over it. */
struct vgw_client_tls {
	bool present;
	bool enforce;
	int n_ports;
	uint16_t ports[MG_CFG_MAX_CLIENT_PORTS];
	struct vgw_cert cert;
	struct vgw_validation validation;
};

struct vgw_format {
	int kind; /* 0 or FMT_* */
	int n_json;
	struct mg_cfg_log_json_field json[MG_CFG_MAX_LOG_JSON];
	char text[MG_CFG_LOG_TEXT_MAX];
};

struct vgw_file_log {
	char path[MG_CFG_PATH_MAX];
	struct vgw_format format;
};

/* logging.accessLog; logging is laid over it. */
struct vgw_access_log {
	int kind; /* 0 or LOG_FILE */
	struct vgw_file_log file;
};

/*
 * The spec. listeners[0] goes to <listener>; later listeners are walked into <extra> (each
 * over the previous one) only to report their errors too.
 */
struct vgw_spec {
	int n_listeners;
	struct vgw_listener listener;
	struct vgw_listener extra;
	struct vgw_client_tls backend;
	struct vgw_access_log log;
};

struct vgw {
	char name[256];
	struct vgw_spec spec;
};

/* ------------------------------------------------------------------------------------------ */
/* Messages                                                                                   */

static const char *const protocol_names[] = {"http", "http2", "grpc", NULL};
static const char *const tls_mode_names[] = {"STRICT", "PERMISSIVE", "DISABLED", NULL};

#define ACM_CERT_MSG                                                                               \
	"ACM certificates are only available to App Mesh's managed Envoy; export the "             \
	"certificate and use \"file\" {certificateChain, privateKey}"
#define ACM_TRUST_MSG                                                                              \
	"ACM Private CA trust is only available to App Mesh's managed Envoy; export the CA "       \
	"certificates to a PEM file and use \"file\" {certificateChain}"
#define SDS_CERT_MSG                                                                               \
	"SDS secrets are not supported (Meshgate has no Secret Discovery Service agent); write "   \
	"the certificate and key to files and use \"file\" {certificateChain, privateKey}"
#define SDS_TRUST_MSG                                                                              \
	"SDS secrets are not supported (Meshgate has no Secret Discovery Service agent); write "   \
	"the CA certificates to a PEM file and use \"file\" {certificateChain}"

/* ------------------------------------------------------------------------------------------ */
/* Callbacks                                                                                  */

/* A member that is accepted and ignored: any JSON value (the JSON layer checked it). */
static int
parse_ignored(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	(void)ctx;
	(void)f;
	(void)tok;
	(void)base;
	return 0;
}

static int
reject_acm_cert(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	(void)o;
	(void)base;
	mg_json_error(ctx->doc, tok, ACM_CERT_MSG);
	return -EINVAL;
}

static int
reject_acm_trust(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	(void)o;
	(void)base;
	mg_json_error(ctx->doc, tok, ACM_TRUST_MSG);
	return -EINVAL;
}

static int
reject_sds_cert(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	(void)o;
	(void)base;
	mg_json_error(ctx->doc, tok, SDS_CERT_MSG);
	return -EINVAL;
}

static int
reject_sds_trust(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	(void)o;
	(void)base;
	mg_json_error(ctx->doc, tok, SDS_TRUST_MSG);
	return -EINVAL;
}

/*
 * Validators of optional objects whose struct starts with `bool present`: the object was
 * there (and was an object, or the validator would not run).
 */
static int
mark_present(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	(void)ctx;
	(void)o;
	(void)tok;
	*(bool *)base = true;
	return 0;
}

/* portMapping.protocol: http, http2 and grpc are all served (gateway/h2 for HTTP/2). */
static int
check_listener_protocol(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                        void *base)
{
	(void)ctx;
	(void)f;
	(void)tok;
	(void)base;
	return 0;
}

/*
 * Rules across one listener's members. Values that failed to parse are zero and are not
 * reported again.
 */
static int
validate_listener(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	struct vgw_listener *l = base;
	int ptok = mg_json_lookup(ctx->doc, tok, "portMapping.protocol");
	int proto = -1, i, rc = 0;

	(void)o;
	for (i = 0; protocol_names[i] != NULL; i++) {
		if (mg_json_str_eq(ctx->doc, ptok, protocol_names[i]))
			proto = i;
	}
	/* MG_CFG_POOL_{HTTP,HTTP2,GRPC} are MG_CFG_PROTO_{HTTP,HTTP2,GRPC} + 1. */
	if (proto >= 0 && l->pool.kind != MG_CFG_POOL_NONE && l->pool.kind != proto + 1) {
		const char *alt = protocol_names[l->pool.kind - 1];

		mg_json_error(
		    ctx->doc,
		    mg_json_obj_get(ctx->doc, mg_json_obj_get(ctx->doc, tok, "connectionPool"),
		                    alt),
		    "connectionPool '%s' does not match portMapping.protocol '%s' (App Mesh "
		    "requires the same protocol)",
		    alt, protocol_names[proto]);
		rc = -EINVAL;
	}
	if (l->health.port != 0 && l->port_mapping.port != 0 &&
	    l->health.port != l->port_mapping.port) {
		mg_json_error(
		    ctx->doc, mg_json_lookup(ctx->doc, tok, "healthCheck.port"),
		    "port %u must equal portMapping.port (%u): the health check probes the "
		    "listener's own port",
		    l->health.port, l->port_mapping.port);
		l->health.port = 0;
		rc = -EINVAL;
	}
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Tables: TLS                                                                                */

static const struct mg_schema_field file_cert_fields[] = {
    {.name = "certificateChain",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_cert, chain),
     .min = 1},
    {.name = "privateKey",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_cert, key),
     .min = 1},
};

static const struct mg_schema_object file_cert_obj = {
    .name = "file certificate",
    .size = sizeof(struct mg_cfg_cert),
    .fields = file_cert_fields,
    .n_fields = MG_SCHEMA_COUNT(file_cert_fields),
};

static const struct mg_schema_field acm_cert_fields[] = {
    {.name = "certificateArn",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_acm_cert, arn)},
};

static const struct mg_schema_object acm_cert_obj = {
    .name = "acm certificate",
    .size = sizeof(struct vgw_acm_cert),
    .fields = acm_cert_fields,
    .n_fields = MG_SCHEMA_COUNT(acm_cert_fields),
    .validate = reject_acm_cert,
};

static const struct mg_schema_field sds_fields[] = {
    {.name = "secretName",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_sds, secret)},
};

static const struct mg_schema_object sds_cert_obj = {
    .name = "sds certificate",
    .size = sizeof(struct vgw_sds),
    .fields = sds_fields,
    .n_fields = MG_SCHEMA_COUNT(sds_fields),
    .validate = reject_sds_cert,
};

static const struct mg_schema_object sds_trust_obj = {
    .name = "sds trust",
    .size = sizeof(struct vgw_sds),
    .fields = sds_fields,
    .n_fields = MG_SCHEMA_COUNT(sds_fields),
    .validate = reject_sds_trust,
};

static const struct mg_schema_field arn_elem = {
    .name = "certificateAuthorityArn",
    .type = MG_SCHEMA_STRING,
    .size = OPAQUE_MAX,
};

static const struct mg_schema_field acm_trust_fields[] = {
    {.name = "certificateAuthorityArns",
     .type = MG_SCHEMA_ARRAY,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_acm_trust, arns),
     .min = 1,
     .max = 3,
     .elem = &arn_elem,
     .count_offset = offsetof(struct vgw_acm_trust, n)},
};

static const struct mg_schema_object acm_trust_obj = {
    .name = "acm trust",
    .size = sizeof(struct vgw_acm_trust),
    .fields = acm_trust_fields,
    .n_fields = MG_SCHEMA_COUNT(acm_trust_fields),
    .validate = reject_acm_trust,
};

static const struct mg_schema_field file_trust_fields[] = {
    {.name = "certificateChain",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_file_trust, chain),
     .min = 1},
};

static const struct mg_schema_object file_trust_obj = {
    .name = "file trust",
    .size = sizeof(struct vgw_file_trust),
    .fields = file_trust_fields,
    .n_fields = MG_SCHEMA_COUNT(file_trust_fields),
};

/* VirtualGatewayListenerTlsCertificate: acm | file | sds. */
static const struct mg_schema_field listener_cert_fields[] = {
    {.name = "acm",
     .type = MG_SCHEMA_OBJECT,
     .tag = SRC_ACM,
     MG_SCHEMA_MEMBER(struct vgw_cert, acm),
     .object = &acm_cert_obj},
    {.name = "file",
     .type = MG_SCHEMA_OBJECT,
     .tag = SRC_FILE,
     MG_SCHEMA_MEMBER(struct vgw_cert, file),
     .object = &file_cert_obj},
    {.name = "sds",
     .type = MG_SCHEMA_OBJECT,
     .tag = SRC_SDS,
     MG_SCHEMA_MEMBER(struct vgw_cert, sds),
     .object = &sds_cert_obj},
};

static const struct mg_schema_object listener_cert_obj = {
    .name = "certificate",
    .kind = MG_SCHEMA_UNION,
    .size = sizeof(struct vgw_cert),
    .tag_offset = offsetof(struct vgw_cert, kind),
    .fields = listener_cert_fields,
    .n_fields = MG_SCHEMA_COUNT(listener_cert_fields),
};

/* VirtualGatewayClientTlsCertificate: file | sds (no acm). */
static const struct mg_schema_field client_cert_fields[] = {
    {.name = "file",
     .type = MG_SCHEMA_OBJECT,
     .tag = SRC_FILE,
     MG_SCHEMA_MEMBER(struct vgw_cert, file),
     .object = &file_cert_obj},
    {.name = "sds",
     .type = MG_SCHEMA_OBJECT,
     .tag = SRC_SDS,
     MG_SCHEMA_MEMBER(struct vgw_cert, sds),
     .object = &sds_cert_obj},
};

static const struct mg_schema_object client_cert_obj = {
    .name = "certificate",
    .kind = MG_SCHEMA_UNION,
    .size = sizeof(struct vgw_cert),
    .tag_offset = offsetof(struct vgw_cert, kind),
    .fields = client_cert_fields,
    .n_fields = MG_SCHEMA_COUNT(client_cert_fields),
};

/* VirtualGatewayListenerTlsValidationContextTrust: file | sds (no acm). */
static const struct mg_schema_field listener_trust_fields[] = {
    {.name = "file",
     .type = MG_SCHEMA_OBJECT,
     .tag = SRC_FILE,
     MG_SCHEMA_MEMBER(struct vgw_trust, file),
     .object = &file_trust_obj},
    {.name = "sds",
     .type = MG_SCHEMA_OBJECT,
     .tag = SRC_SDS,
     MG_SCHEMA_MEMBER(struct vgw_trust, sds),
     .object = &sds_trust_obj},
};

static const struct mg_schema_object listener_trust_obj = {
    .name = "trust",
    .kind = MG_SCHEMA_UNION,
    .size = sizeof(struct vgw_trust),
    .tag_offset = offsetof(struct vgw_trust, kind),
    .fields = listener_trust_fields,
    .n_fields = MG_SCHEMA_COUNT(listener_trust_fields),
};

/* VirtualGatewayTlsValidationContextTrust: acm | file | sds. */
static const struct mg_schema_field client_trust_fields[] = {
    {.name = "acm",
     .type = MG_SCHEMA_OBJECT,
     .tag = SRC_ACM,
     MG_SCHEMA_MEMBER(struct vgw_trust, acm),
     .object = &acm_trust_obj},
    {.name = "file",
     .type = MG_SCHEMA_OBJECT,
     .tag = SRC_FILE,
     MG_SCHEMA_MEMBER(struct vgw_trust, file),
     .object = &file_trust_obj},
    {.name = "sds",
     .type = MG_SCHEMA_OBJECT,
     .tag = SRC_SDS,
     MG_SCHEMA_MEMBER(struct vgw_trust, sds),
     .object = &sds_trust_obj},
};

static const struct mg_schema_object client_trust_obj = {
    .name = "trust",
    .kind = MG_SCHEMA_UNION,
    .size = sizeof(struct vgw_trust),
    .tag_offset = offsetof(struct vgw_trust, kind),
    .fields = client_trust_fields,
    .n_fields = MG_SCHEMA_COUNT(client_trust_fields),
};

/* subjectAlternativeNames { match { exact [...] } }, both levels laid over the SAN list. */
static const struct mg_schema_field san_elem = {
    .name = "subjectAlternativeName",
    .type = MG_SCHEMA_STRING,
    .size = MG_SCHEMA_SIZEOF(struct mg_cfg_san_list, names[0]),
    .min = 1,
};

static const struct mg_schema_field san_match_fields[] = {
    {.name = "exact",
     .type = MG_SCHEMA_ARRAY,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_san_list, names),
     .min = 0,
     .max = MG_CFG_MAX_SAN,
     .elem = &san_elem,
     .count_offset = offsetof(struct mg_cfg_san_list, n)},
};

static const struct mg_schema_object san_match_obj = {
    .name = "match",
    .size = sizeof(struct mg_cfg_san_list),
    .fields = san_match_fields,
    .n_fields = MG_SCHEMA_COUNT(san_match_fields),
};

static const struct mg_schema_field san_fields[] = {
    {.name = "match",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     .offset = 0,
     .size = sizeof(struct mg_cfg_san_list),
     .object = &san_match_obj},
};

static const struct mg_schema_object san_obj = {
    .name = "subjectAlternativeNames",
    .size = sizeof(struct mg_cfg_san_list),
    .fields = san_fields,
    .n_fields = MG_SCHEMA_COUNT(san_fields),
};

/* The two validation contexts differ only in their trust union. */
static const struct mg_schema_field listener_validation_fields[] = {
    {.name = "subjectAlternativeNames",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct vgw_validation, san),
     .object = &san_obj},
    {.name = "trust",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_validation, trust),
     .object = &listener_trust_obj},
};

static const struct mg_schema_object listener_validation_obj = {
    .name = "validation",
    .size = sizeof(struct vgw_validation),
    .fields = listener_validation_fields,
    .n_fields = MG_SCHEMA_COUNT(listener_validation_fields),
    .validate = mark_present,
};

static const struct mg_schema_field client_validation_fields[] = {
    {.name = "subjectAlternativeNames",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct vgw_validation, san),
     .object = &san_obj},
    {.name = "trust",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_validation, trust),
     .object = &client_trust_obj},
};

static const struct mg_schema_object client_validation_obj = {
    .name = "validation",
    .size = sizeof(struct vgw_validation),
    .fields = client_validation_fields,
    .n_fields = MG_SCHEMA_COUNT(client_validation_fields),
    .validate = mark_present,
};

/* ------------------------------------------------------------------------------------------ */
/* Tables: the listener                                                                       */

static const struct mg_schema_field port_mapping_fields[] = {
    {.name = "port",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_port_mapping, port),
     .min = 1,
     .max = 65535},
    {.name = "protocol",
     .type = MG_SCHEMA_ENUM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_port_mapping, protocol),
     .enum_names = protocol_names,
     .check = check_listener_protocol},
};

static const struct mg_schema_object port_mapping_obj = {
    .name = "portMapping",
    .size = sizeof(struct vgw_port_mapping),
    .fields = port_mapping_fields,
    .n_fields = MG_SCHEMA_COUNT(port_mapping_fields),
};

static const struct mg_schema_field listener_tls_fields[] = {
    {.name = "certificate",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_listener_tls, cert),
     .object = &listener_cert_obj},
    {.name = "mode",
     .type = MG_SCHEMA_ENUM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_listener_tls, mode),
     .enum_names = tls_mode_names},
    {.name = "validation",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct vgw_listener_tls, validation),
     .object = &listener_validation_obj},
};

static const struct mg_schema_object listener_tls_obj = {
    .name = "tls",
    .size = sizeof(struct vgw_listener_tls),
    .fields = listener_tls_fields,
    .n_fields = MG_SCHEMA_COUNT(listener_tls_fields),
    .validate = mark_present,
};

static const struct mg_schema_field http_pool_fields[] = {
    {.name = "maxConnections",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_http_pool, max_connections),
     .min = 1,
     .max = INT32_MAX},
    {.name = "maxPendingRequests",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct vgw_http_pool, max_pending_requests),
     .min = 1,
     .max = INT32_MAX,
     .def = MG_CFG_POOL_UNLIMITED},
};

static const struct mg_schema_object http_pool_obj = {
    .name = "http",
    .size = sizeof(struct vgw_http_pool),
    .fields = http_pool_fields,
    .n_fields = MG_SCHEMA_COUNT(http_pool_fields),
};

static const struct mg_schema_field req_pool_fields[] = {
    {.name = "maxRequests",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_req_pool, max_requests),
     .min = 1,
     .max = INT32_MAX},
};

static const struct mg_schema_object req_pool_obj = {
    .name = "maxRequests pool",
    .size = sizeof(struct vgw_req_pool),
    .fields = req_pool_fields,
    .n_fields = MG_SCHEMA_COUNT(req_pool_fields),
};

/* VirtualGatewayConnectionPool: grpc | http | http2. */
static const struct mg_schema_field pool_fields[] = {
    {.name = "grpc",
     .type = MG_SCHEMA_OBJECT,
     .tag = MG_CFG_POOL_GRPC,
     MG_SCHEMA_MEMBER(struct vgw_pool, grpc),
     .object = &req_pool_obj},
    {.name = "http",
     .type = MG_SCHEMA_OBJECT,
     .tag = MG_CFG_POOL_HTTP,
     MG_SCHEMA_MEMBER(struct vgw_pool, http),
     .object = &http_pool_obj},
    {.name = "http2",
     .type = MG_SCHEMA_OBJECT,
     .tag = MG_CFG_POOL_HTTP2,
     MG_SCHEMA_MEMBER(struct vgw_pool, http2),
     .object = &req_pool_obj},
};

static const struct mg_schema_object pool_obj = {
    .name = "connectionPool",
    .kind = MG_SCHEMA_UNION,
    .size = sizeof(struct vgw_pool),
    .tag_offset = offsetof(struct vgw_pool, kind),
    .fields = pool_fields,
    .n_fields = MG_SCHEMA_COUNT(pool_fields),
};

static const struct mg_schema_field health_fields[] = {
    {.name = "healthyThreshold",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_health, healthy_threshold),
     .min = 2,
     .max = 10},
    {.name = "intervalMillis",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_health, interval_ms),
     .min = 5000,
     .max = 300000},
    {.name = "path", .type = MG_SCHEMA_STRING, MG_SCHEMA_MEMBER(struct vgw_health, path), .min = 1},
    {.name = "port",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct vgw_health, port),
     .min = 1,
     .max = 65535},
    {.name = "protocol",
     .type = MG_SCHEMA_ENUM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_health, protocol),
     .enum_names = protocol_names},
    {.name = "timeoutMillis",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_health, timeout_ms),
     .min = 2000,
     .max = 60000},
    {.name = "unhealthyThreshold",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_health, unhealthy_threshold),
     .min = 2,
     .max = 10},
};

static const struct mg_schema_object health_obj = {
    .name = "healthCheck",
    .size = sizeof(struct vgw_health),
    .fields = health_fields,
    .n_fields = MG_SCHEMA_COUNT(health_fields),
    .validate = mark_present,
};

static const struct mg_schema_field listener_fields[] = {
    {.name = "connectionPool",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct vgw_listener, pool),
     .object = &pool_obj},
    {.name = "healthCheck",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct vgw_listener, health),
     .object = &health_obj},
    {.name = "portMapping",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_listener, port_mapping),
     .object = &port_mapping_obj},
    {.name = "tls",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct vgw_listener, tls),
     .object = &listener_tls_obj},
};

static const struct mg_schema_object listener_obj = {
    .name = "listener",
    .size = sizeof(struct vgw_listener),
    .fields = listener_fields,
    .n_fields = MG_SCHEMA_COUNT(listener_fields),
    .validate = validate_listener,
};

/*
 * "listeners": App Mesh's docs allow one listener (later versions several); Meshgate serves
 * exactly one. Every element is walked so that all errors are reported, and a second one is
 * refused with an explanation.
 */
static int
parse_listeners(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	struct vgw_spec *spec = base;
	int e, n = 0, rc = 0;

	(void)f;
	if (mg_json_type(ctx->doc, tok) != MG_JSON_ARRAY) {
		mg_json_error(ctx->doc, tok, "expected an array, got %s",
		              mg_json_type_name(mg_json_type(ctx->doc, tok)));
		return -EINVAL;
	}
	if (mg_json_size(ctx->doc, tok) == 0) {
		mg_json_error(ctx->doc, tok,
		              "must not be empty (a virtual gateway has one listener)");
		return -EINVAL;
	}
	for (e = mg_json_elem_first(ctx->doc, tok); e >= 0; e = mg_json_elem_next(ctx->doc, e)) {
		struct vgw_listener *l = n == 0 ? &spec->listener : &spec->extra;

		memset(l, 0, sizeof(*l));
		if (n == 1) {
			mg_json_error(
			    ctx->doc, e,
			    "Meshgate serves one listener per virtual gateway, this spec has "
			    "%d; run one Meshgate per listener",
			    mg_json_size(ctx->doc, tok));
			rc = -EINVAL;
		}
		n++;
		/* A token with a lexical error was reported by the JSON layer. */
		if (!mg_json_is_bad(ctx->doc, e) && mg_schema_parse(ctx, &listener_obj, e, l) < 0)
			rc = -EINVAL;
	}
	spec->n_listeners = n;
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Tables: backend defaults                                                                   */

static const struct mg_schema_field client_port_elem = {
    .name = "port",
    .type = MG_SCHEMA_INT,
    .size = sizeof(uint16_t),
    .min = 1,
    .max = 65535,
};

static const struct mg_schema_field client_tls_fields[] = {
    {.name = "certificate",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct vgw_client_tls, cert),
     .object = &client_cert_obj},
    {.name = "enforce",
     .type = MG_SCHEMA_BOOL,
     MG_SCHEMA_MEMBER(struct vgw_client_tls, enforce),
     .def = true},
    {.name = "ports",
     .type = MG_SCHEMA_ARRAY,
     MG_SCHEMA_MEMBER(struct vgw_client_tls, ports),
     .min = 0,
     .max = MG_CFG_MAX_CLIENT_PORTS,
     .elem = &client_port_elem,
     .count_offset = offsetof(struct vgw_client_tls, n_ports)},
    {.name = "validation",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_client_tls, validation),
     .object = &client_validation_obj},
};

static const struct mg_schema_object client_tls_obj = {
    .name = "tls",
    .size = sizeof(struct vgw_client_tls),
    .fields = client_tls_fields,
    .n_fields = MG_SCHEMA_COUNT(client_tls_fields),
    .validate = mark_present,
};

static const struct mg_schema_field client_policy_fields[] = {
    {.name = "tls",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct vgw_client_tls),
     .object = &client_tls_obj},
};

static const struct mg_schema_object client_policy_obj = {
    .name = "clientPolicy",
    .size = sizeof(struct vgw_client_tls),
    .fields = client_policy_fields,
    .n_fields = MG_SCHEMA_COUNT(client_policy_fields),
};

static const struct mg_schema_field backend_defaults_fields[] = {
    {.name = "clientPolicy",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct vgw_client_tls),
     .object = &client_policy_obj},
};

static const struct mg_schema_object backend_defaults_obj = {
    .name = "backendDefaults",
    .size = sizeof(struct vgw_client_tls),
    .fields = backend_defaults_fields,
    .n_fields = MG_SCHEMA_COUNT(backend_defaults_fields),
};

/* ------------------------------------------------------------------------------------------ */
/* Tables: logging                                                                            */

static const struct mg_schema_field log_json_fields[] = {
    {.name = "key",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_log_json_field, key),
     .min = 1},
    {.name = "value",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_log_json_field, value),
     .min = 1},
};

static const struct mg_schema_object log_json_obj = {
    .name = "json format field",
    .size = sizeof(struct mg_cfg_log_json_field),
    .fields = log_json_fields,
    .n_fields = MG_SCHEMA_COUNT(log_json_fields),
};

static const struct mg_schema_field log_json_elem = {
    .name = "json format field",
    .type = MG_SCHEMA_OBJECT,
    .size = sizeof(struct mg_cfg_log_json_field),
    .object = &log_json_obj,
};

/* LoggingFormat: json | text. */
static const struct mg_schema_field format_fields[] = {
    {.name = "json",
     .type = MG_SCHEMA_ARRAY,
     .tag = FMT_JSON,
     MG_SCHEMA_MEMBER(struct vgw_format, json),
     .min = 0,
     .max = MG_CFG_MAX_LOG_JSON,
     .elem = &log_json_elem,
     .count_offset = offsetof(struct vgw_format, n_json)},
    {.name = "text",
     .type = MG_SCHEMA_STRING,
     .tag = FMT_TEXT,
     MG_SCHEMA_MEMBER(struct vgw_format, text),
     .min = 1},
};

static const struct mg_schema_object format_obj = {
    .name = "format",
    .kind = MG_SCHEMA_UNION,
    .size = sizeof(struct vgw_format),
    .tag_offset = offsetof(struct vgw_format, kind),
    .fields = format_fields,
    .n_fields = MG_SCHEMA_COUNT(format_fields),
};

static const struct mg_schema_field file_log_fields[] = {
    {.name = "format",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct vgw_file_log, format),
     .object = &format_obj},
    {.name = "path",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_file_log, path),
     .min = 1},
};

static const struct mg_schema_object file_log_obj = {
    .name = "file",
    .size = sizeof(struct vgw_file_log),
    .fields = file_log_fields,
    .n_fields = MG_SCHEMA_COUNT(file_log_fields),
};

/* VirtualGatewayAccessLog: file (its only alternative). */
static const struct mg_schema_field access_log_fields[] = {
    {.name = "file",
     .type = MG_SCHEMA_OBJECT,
     .tag = LOG_FILE,
     MG_SCHEMA_MEMBER(struct vgw_access_log, file),
     .object = &file_log_obj},
};

static const struct mg_schema_object access_log_obj = {
    .name = "accessLog",
    .kind = MG_SCHEMA_UNION,
    .size = sizeof(struct vgw_access_log),
    .tag_offset = offsetof(struct vgw_access_log, kind),
    .fields = access_log_fields,
    .n_fields = MG_SCHEMA_COUNT(access_log_fields),
};

static const struct mg_schema_field logging_fields[] = {
    {.name = "accessLog",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct vgw_access_log),
     .object = &access_log_obj},
};

static const struct mg_schema_object logging_obj = {
    .name = "logging",
    .size = sizeof(struct vgw_access_log),
    .fields = logging_fields,
    .n_fields = MG_SCHEMA_COUNT(logging_fields),
};

/* ------------------------------------------------------------------------------------------ */
/* Tables: the spec and the resource                                                          */

static const struct mg_schema_field spec_fields[] = {
    {.name = "backendDefaults",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct vgw_spec, backend),
     .object = &backend_defaults_obj},
    {.name = "listeners",
     .type = MG_SCHEMA_CUSTOM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw_spec, n_listeners),
     .parse = parse_listeners},
    {.name = "logging",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct vgw_spec, log),
     .object = &logging_obj},
};

static const struct mg_schema_object spec_obj = {
    .name = "spec",
    .size = sizeof(struct vgw_spec),
    .fields = spec_fields,
    .n_fields = MG_SCHEMA_COUNT(spec_fields),
};

/* VirtualGatewayData, as describe-virtual-gateway prints it. */
static const struct mg_schema_field vgw_fields[] = {
    {.name = "meshName", .type = MG_SCHEMA_CUSTOM, .parse = parse_ignored},
    {.name = "metadata", .type = MG_SCHEMA_CUSTOM, .parse = parse_ignored},
    {.name = "spec",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw, spec),
     .object = &spec_obj},
    {.name = "status", .type = MG_SCHEMA_CUSTOM, .parse = parse_ignored},
    {.name = "virtualGatewayName",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct vgw, name),
     .min = 1},
};

const struct mg_schema_object mg_config_vgw_schema = {
    .name = "virtualGateway",
    .size = sizeof(struct vgw),
    .fields = vgw_fields,
    .n_fields = MG_SCHEMA_COUNT(vgw_fields),
};

/* ------------------------------------------------------------------------------------------ */
/* From the mirror to struct mg_cfg_virtual_gateway                                           */

static void
flatten_listener(const struct vgw_listener *l, struct mg_cfg_listener *out)
{
	out->port = l->port_mapping.port;
	out->protocol = (enum mg_cfg_protocol)l->port_mapping.protocol;
	if (l->tls.present) {
		out->tls_mode = (enum mg_cfg_tls_mode)(MG_CFG_TLS_STRICT + l->tls.mode);
		if (l->tls.cert.kind == SRC_FILE)
			out->cert = l->tls.cert.file;
		if (l->tls.validation.present) {
			out->has_validation = true;
			if (l->tls.validation.trust.kind == SRC_FILE)
				memcpy(out->trust_chain, l->tls.validation.trust.file.chain,
				       sizeof(out->trust_chain));
			out->validation_san = l->tls.validation.san;
		}
	}
	out->pool_kind = (enum mg_cfg_pool_kind)l->pool.kind;
	out->max_connections = MG_CFG_POOL_UNLIMITED;
	out->max_pending_requests = MG_CFG_POOL_UNLIMITED;
	out->max_requests = MG_CFG_POOL_UNLIMITED;
	switch (l->pool.kind) {
	case MG_CFG_POOL_HTTP:
		out->max_connections = l->pool.http.max_connections;
		out->max_pending_requests = l->pool.http.max_pending_requests;
		break;
	case MG_CFG_POOL_HTTP2:
		out->max_requests = l->pool.http2.max_requests;
		break;
	case MG_CFG_POOL_GRPC:
		out->max_requests = l->pool.grpc.max_requests;
		break;
	default:
		break;
	}
	if (l->health.present) {
		out->has_health_check = true;
		out->health_check.healthy_threshold = l->health.healthy_threshold;
		out->health_check.unhealthy_threshold = l->health.unhealthy_threshold;
		out->health_check.interval_ms = l->health.interval_ms;
		out->health_check.timeout_ms = l->health.timeout_ms;
		out->health_check.port =
		    l->health.port != 0 ? l->health.port : l->port_mapping.port;
		out->health_check.protocol = (enum mg_cfg_protocol)l->health.protocol;
		if (l->health.path[0] != '\0')
			memcpy(out->health_check.path, l->health.path,
			       sizeof(out->health_check.path));
		else
			strcpy(out->health_check.path, "/");
	}
}

static void
flatten_client_tls(const struct vgw_client_tls *c, struct mg_cfg_client_tls *out)
{
	if (!c->present)
		return;
	out->present = true;
	out->enforce = c->enforce;
	out->n_ports = c->n_ports;
	memcpy(out->ports, c->ports, sizeof(out->ports));
	if (c->cert.kind == SRC_FILE) {
		out->has_client_cert = true;
		out->client_cert = c->cert.file;
	}
	if (c->validation.trust.kind == SRC_FILE)
		memcpy(out->trust_chain, c->validation.trust.file.chain, sizeof(out->trust_chain));
	out->san = c->validation.san;
}

static void
flatten(const struct vgw *v, struct mg_cfg_virtual_gateway *out)
{
	const struct vgw_access_log *log = &v->spec.log;

	memset(out, 0, sizeof(*out));
	memcpy(out->name, v->name, sizeof(out->name));
	flatten_listener(&v->spec.listener, &out->listener);
	flatten_client_tls(&v->spec.backend, &out->backend_tls);
	if (log->kind == LOG_FILE) {
		out->has_access_log = true;
		memcpy(out->access_log_path, log->file.path, sizeof(out->access_log_path));
		if (log->file.format.kind == FMT_JSON) {
			out->access_log_json = true;
			out->n_access_log_json = log->file.format.n_json;
			memcpy(out->access_log_json_fields, log->file.format.json,
			       sizeof(out->access_log_json_fields));
		} else if (log->file.format.kind == FMT_TEXT) {
			memcpy(out->access_log_text, log->file.format.text,
			       sizeof(out->access_log_text));
		}
	}
}

int
mg_cfg_vgw_parse(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	struct mg_config *cfg = base;
	struct vgw *v;
	int rc;

	(void)f;
	/* About 65 KiB (two listeners, ARN buffers): kept off the stack. */
	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		mg_json_error(ctx->doc, tok, "out of memory");
		return -ENOMEM;
	}
	rc = mg_schema_parse(ctx, &mg_config_vgw_schema, tok, v);
	if (mg_json_type(ctx->doc, tok) == MG_JSON_OBJECT) {
		flatten(v, &cfg->virtual_gateway);
		cfg->has_virtual_gateway = true;
	}
	free(v);
	return rc;
}
