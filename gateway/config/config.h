/*
 * The Meshgate configuration: one JSON file, read once at boot.
 *
 * The top level is an object whose members are the sections below: `appliance` (interfaces,
 * admin listener, diagnostics, dataplane sizing, HTTP proxy settings) and `virtualGateway`
 * (the AWS App Mesh VirtualGateway exactly as `aws appmesh describe-virtual-gateway` prints
 * it), and the other App Mesh resources of the mesh: `mesh`, `gatewayRoutes`,
 * `virtualServices`, `virtualRouters`, `routes` and `virtualNodes`, each resource exactly as the
 * matching `aws appmesh describe-*` command prints it. Field names are camelCase as in the App
 * Mesh JSON.
 * docs/CONFIG.md is the user reference; the C structs below are what the rest of the gateway
 * reads.
 *
 * Loading never stops at the first problem: every error is collected with its file, line,
 * column and JSON path, and mg_cfg_errors_print() shows them in document order.
 *
 * Memory: a parsed configuration owns heap memory (the mesh resources and all their strings).
 * Every struct mg_config filled by mg_config_parse() or mg_config_load_file(), whether the call
 * succeeded or failed, must be released with mg_config_free() before it is parsed into again
 * or goes out of scope. Nothing in it is ever shared with another configuration, so a
 * generation compiled from it may keep borrowed pointers only as long as the configuration
 * lives.
 */
#ifndef MG_CONFIG_CONFIG_H
#define MG_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

#define MG_CFG_MAX_IFACES     8
#define MG_CFG_IFACE_NAME_MAX 16  /* bytes, NUL included */
#define MG_CFG_DEVICE_MAX     256 /* bytes, NUL included */
#define MG_CFG_MAX_FILE_SIZE  (16u << 20)

/* What kind of DPDK device an interface names. */
enum mg_cfg_dev_kind {
	MG_CFG_DEV_NONE = 0, /* no device given: the Nth port EAL finds */
	MG_CFG_DEV_VDEV,     /* a virtual device: "net_<driver><n>[,key=value...]" */
	MG_CFG_DEV_PCI,      /* a PCI address: "DDDD:BB:DD.F[,key=value...]" */
};

/*
 * One interface. Addresses are IPv4 in host byte order. <device> is "" when absent, and
 * <device_kind> says which form it has. <gateway> is 0 when absent.
 */
struct mg_cfg_iface {
	char name[MG_CFG_IFACE_NAME_MAX];
	char device[MG_CFG_DEVICE_MAX];
	uint32_t addr, netmask, gateway;
	uint8_t prefix;
	uint16_t mtu;
	uint8_t device_kind; /* enum mg_cfg_dev_kind */
};

/*
 * The admin listener: <iface> indexes appliance.ifaces (the interface named <iface_name>).
 * After a failed parse <iface> may be -1.
 */
struct mg_cfg_admin {
	int iface;
	uint16_t port;
	char iface_name[MG_CFG_IFACE_NAME_MAX];
	/* Bearer token every admin request must carry ("" with token_file "": none). */
	char token[257];      /* 16..256 bytes */
	char token_file[256]; /* read at boot; its first line is the token */
};

/* Diagnostic listeners (RFC 862 echo, RFC 863 discard) on every interface; 0 = off. */
struct mg_cfg_diag {
	uint16_t echo_port, discard_port;
};

/* Packet buffer and queue sizing. */
struct mg_cfg_dataplane {
	uint32_t mbufs;
	uint16_t rx_desc, tx_desc, burst;
	/* Shared-nothing worker processes, each with its own lwIP, queue and pools
	 * (docs/PERFORMANCE.md, "Multi-core"); 1 = the single worker of old. */
	uint16_t workers;
};

/* ------------------------------------------------------------------------------------------ */
/* TLS material and the App Mesh VirtualGateway                                               */

#define MG_CFG_PATH_MAX         256  /* a file path (App Mesh FilePath, 1..255 bytes) + NUL */
#define MG_CFG_MAX_SAN          16   /* subjectAlternativeNames.match.exact entries */
#define MG_CFG_MAX_EXTRA_CERTS  15   /* appliance.proxy.additionalCertificates */
#define MG_CFG_MAX_FAIL_CLOSED  64   /* appliance.failClosed virtual node names */
#define MG_CFG_MAX_SERVER_NAMES 16   /* serverNames of one additional certificate */
#define MG_CFG_MAX_CLIENT_PORTS 16   /* backendDefaults.clientPolicy.tls.ports */
#define MG_CFG_MAX_LOG_JSON     64   /* logging.accessLog.file.format.json pairs */
#define MG_CFG_LOG_KEY_MAX      101  /* a json format key or value (1..100 bytes) + NUL */
#define MG_CFG_LOG_TEXT_MAX     1001 /* a text format (1..1000 bytes) + NUL */

/* App Mesh port protocols; the values are the JSON names' order (http, http2, grpc). */
enum mg_cfg_protocol {
	MG_CFG_PROTO_HTTP,
	MG_CFG_PROTO_HTTP2,
	MG_CFG_PROTO_GRPC,
};

/* A listener's tls.mode. */
enum mg_cfg_tls_mode {
	MG_CFG_TLS_NONE, /* no tls object: plaintext only */
	MG_CFG_TLS_STRICT,
	MG_CFG_TLS_PERMISSIVE,
	MG_CFG_TLS_DISABLED,
};

/* Which connectionPool alternative a listener has. */
enum mg_cfg_pool_kind {
	MG_CFG_POOL_NONE,
	MG_CFG_POOL_HTTP,
	MG_CFG_POOL_HTTP2,
	MG_CFG_POOL_GRPC,
};

/*
 * A certificate and its private key, as PEM file paths. The paths are stored, not opened:
 * the TLS layer loads them and reports what is wrong with the files. Both are non-empty,
 * NUL-free and at most 255 bytes, or both "" where no certificate is configured.
 */
struct mg_cfg_cert {
	char chain[MG_CFG_PATH_MAX];
	char key[MG_CFG_PATH_MAX];
};

/* subjectAlternativeNames.match.exact: <n> names, each 1..254 bytes, in the order given. */
struct mg_cfg_san_list {
	int n;
	char names[MG_CFG_MAX_SAN][255];
};

/*
 * The virtual gateway's listener (spec.listeners[0]).
 *
 * <tls_mode> is MG_CFG_TLS_NONE without a tls object; otherwise <cert> holds the `file`
 * certificate (ACM and SDS certificates are rejected while loading, so a loaded configuration
 * always has one). <has_validation> asks for client certificates verified against the PEM
 * bundle <trust_chain> and, if <validation_san>.n > 0, one of those SANs.
 *
 * <pool_kind> is the connectionPool alternative; it always equals the protocol's kind when
 * set. Limits App Mesh leaves unset are 2147483647 (App Mesh's "effectively unlimited"
 * default): for MG_CFG_POOL_HTTP, <max_connections> and <max_pending_requests> come from the
 * spec and <max_requests> is 2147483647; for HTTP2 and GRPC, <max_requests> comes from the
 * spec and the other two are 2147483647.
 *
 * <health_check> is meaningful when <has_health_check>: <port> is portMapping.port when the
 * spec leaves it out, <path> is "/" when the spec leaves it out (it is ignored for grpc).
 */
struct mg_cfg_listener {
	uint16_t port;
	enum mg_cfg_protocol protocol;
	enum mg_cfg_tls_mode tls_mode;
	struct mg_cfg_cert cert;
	bool has_validation;
	char trust_chain[MG_CFG_PATH_MAX];
	struct mg_cfg_san_list validation_san;
	enum mg_cfg_pool_kind pool_kind;
	uint32_t max_connections, max_pending_requests, max_requests;
	bool has_health_check;
	struct {
		uint32_t healthy_threshold, unhealthy_threshold, interval_ms, timeout_ms;
		uint16_t port;
		enum mg_cfg_protocol protocol;
		char path[MG_CFG_PATH_MAX];
	} health_check;
};

/*
 * backendDefaults.clientPolicy.tls: TLS origination toward backends. <present> is false when
 * the spec has no such object (then everything else is zero). <enforce> defaults to true.
 * <ports> lists the backend ports the policy applies to (<n_ports> 0: every port). The client
 * certificate is optional (<has_client_cert>); <trust_chain> is the PEM bundle that verifies
 * the backends (a loaded configuration always has one), <san> the accepted SANs (n 0: any).
 */
struct mg_cfg_client_tls {
	bool present;
	bool enforce;
	int n_ports;
	uint16_t ports[MG_CFG_MAX_CLIENT_PORTS];
	bool has_client_cert;
	struct mg_cfg_cert client_cert;
	char trust_chain[MG_CFG_PATH_MAX];
	struct mg_cfg_san_list san;
};

/* One key/value pair of a json access log format, both 1..100 bytes, in the order given. */
struct mg_cfg_log_json_field {
	char key[MG_CFG_LOG_KEY_MAX];
	char value[MG_CFG_LOG_KEY_MAX];
};

/*
 * The App Mesh VirtualGateway (top-level `virtualGateway`): its name, its one listener, the
 * TLS defaults toward backends and the access log.
 *
 * Access log: when <has_access_log>, entries go to <access_log_path> ("/dev/stdout" is
 * common). The format is, in order: json when <access_log_json> (the <n_access_log_json>
 * pairs of <access_log_json_fields>, possibly none); else the Envoy-style format string
 * <access_log_text> when not ""; else the default format. Format strings and values are stored
 * raw (Envoy %COMMAND% syntax); the access log writer interprets them.
 */
struct mg_cfg_virtual_gateway {
	char name[256];
	struct mg_cfg_listener listener;
	struct mg_cfg_client_tls backend_tls;
	bool has_access_log;
	char access_log_path[MG_CFG_PATH_MAX];
	bool access_log_json;
	char access_log_text[MG_CFG_LOG_TEXT_MAX];
	int n_access_log_json;
	struct mg_cfg_log_json_field access_log_json_fields[MG_CFG_MAX_LOG_JSON];
};

/* ------------------------------------------------------------------------------------------ */
/* Meshgate's own HTTP proxy settings (appliance.proxy)                                       */

/*
 * An extra certificate served by the listener beside its own, picked by SNI. <names> are
 * <n_names> lower-case DNS names ("www.example.com") or wildcards ("*.example.com"); with
 * <n_names> 0 the TLS layer takes the names from the certificate itself.
 */
struct mg_cfg_extra_cert {
	struct mg_cfg_cert cert;
	int n_names;
	char names[MG_CFG_MAX_SERVER_NAMES][254];
};

/*
 * appliance.proxy. Every member has its default when the object or the member is absent (see
 * the MG_CFG_DEFAULT_* values below and docs/CONFIG.md).
 *
 * <has_upstream>, <upstream_addr> (IPv4, host byte order like the interfaces) and
 * <upstream_port> are staticUpstream: where every request goes until gateway routes exist.
 * ALPN: the protocols listed in appliance.proxy.alpn; <alpn_default> when none was listed
 * (then "h2" and "http/1.1" on an http2 or grpc listener, "http/1.1" on an http one).
 * <max_request_body_bytes> 0 means unlimited; <https_redirect_port> 0 means off.
 * <max_idle_per_endpoint> is at most <max_conns_per_endpoint>.
 */
struct mg_cfg_proxy {
	bool has_upstream;
	uint32_t upstream_addr;
	uint16_t upstream_port;
	char upstream_sni[254]; /* staticUpstream.serverName: sent as SNI and checked, or "" */
	int n_extra_certs;
	struct mg_cfg_extra_cert extra_certs[MG_CFG_MAX_EXTRA_CERTS];
	bool alpn_http11, alpn_h2, alpn_default;
	uint32_t session_ticket_lifetime_s, handshake_timeout_ms, request_header_timeout_ms,
	    idle_timeout_ms, connect_timeout_ms;
	uint32_t max_request_header_bytes;
	uint64_t max_request_body_bytes;
	uint16_t https_redirect_port;
	uint32_t max_conns_per_endpoint, max_idle_per_endpoint;
};

/* ------------------------------------------------------------------------------------------ */
/* Appliance extensions for the mesh: static endpoints and DNS                                */

#define MG_CFG_MAX_RESOLVERS          4
#define MG_CFG_DEFAULT_DNS_TIMEOUT_MS 5000
#define MG_CFG_MAX_ENDPOINTS_PER_NODE 256

/*
 * One static endpoint of a virtual node: IPv4 <addr> in host byte order and <port>. A <port>
 * of 0 means "the port of the node's listener the traffic is for" (the JSON left it out).
 */
struct mg_cfg_endpoint {
	uint32_t addr;
	uint16_t port;
};

/*
 * appliance.endpoints["<node>"]: the static endpoints of the virtual node named <node> (owned,
 * NUL-terminated), in the order given, <n> of them (1..MG_CFG_MAX_ENDPOINTS_PER_NODE).
 * <node_index> indexes mg_config.virtual_nodes once the configuration loaded (-1 before the
 * cross-references were resolved or when the name matched no node, which is an error).
 */
struct mg_cfg_endpoint_set {
	char *node;
	int node_index;
	int n;
	struct mg_cfg_endpoint *eps;
};

/*
 * appliance.dns: the resolvers that DNS service discovery queries, <n_resolvers> IPv4
 * addresses (host byte order, 1..MG_CFG_MAX_RESOLVERS) in the order of preference, and the
 * time one query may take, <timeout_ms>. <present> is false when the section is absent (then
 * <n_resolvers> is 0, and no virtual node may rely on DNS).
 */
struct mg_cfg_dns {
	bool present;
	int n_resolvers;
	uint32_t resolvers[MG_CFG_MAX_RESOLVERS];
	uint32_t timeout_ms;
};

/* ------------------------------------------------------------------------------------------ */
/* JWT authentication (appliance.jwt): providers and per-gateway-route requirements           */

#define MG_CFG_JWT_NAME_MAX   64   /* provider names, header, parameter and cookie names + NUL */
#define MG_CFG_JWT_STR_MAX    256  /* issuer, audiences, claim names and values, URIs + NUL */
#define MG_CFG_JWT_MAX_LIST   8    /* audiences, locations, claim headers, rule providers/claims */
#define MG_CFG_JWT_SECRET_MAX 1024 /* a base64url shared secret + NUL */
#define MG_CFG_JWT_INLINE_MAX (64u << 10)

/* Where a provider's key set comes from (the tag of the `jwks` union). */
enum mg_cfg_jwks_kind {
	MG_CFG_JWKS_NONE = 0,
	MG_CFG_JWKS_FILE,      /* a local JWKS file, read at load */
	MG_CFG_JWKS_INLINE,    /* the JWKS document inline, as a JSON string */
	MG_CFG_JWKS_REMOTE,    /* an https jwks_uri, fetched by the gateway */
	MG_CFG_JWKS_DISCOVERY, /* an OIDC discovery document (https), whose jwks_uri is fetched */
};

/* A remote key set: <uri>, re-fetched every <cache_duration_s>, each fetch within <timeout_ms>. */
struct mg_cfg_jwt_remote {
	char uri[MG_CFG_JWT_STR_MAX];
	char ca_bundle[MG_CFG_PATH_MAX]; /* PEM roots for the provider's certificate; "": system */
	uint32_t cache_duration_s;
	uint32_t timeout_ms;
};

struct mg_cfg_jwks {
	int kind; /* enum mg_cfg_jwks_kind */
	char file[MG_CFG_PATH_MAX];
	char *inline_json; /* owned; NULL unless kind is MG_CFG_JWKS_INLINE */
	struct mg_cfg_jwt_remote remote;
	struct mg_cfg_jwt_remote discovery;
};

/* The tag of sharedSecret: absent, a file of raw bytes, or base64url inline. */
enum mg_cfg_jwt_secret_kind {
	MG_CFG_JWT_SECRET_NONE = 0,
	MG_CFG_JWT_SECRET_FILE,
	MG_CFG_JWT_SECRET_BASE64URL,
};

struct mg_cfg_jwt_secret {
	int kind; /* enum mg_cfg_jwt_secret_kind */
	char file[MG_CFG_PATH_MAX];
	char base64url[MG_CFG_JWT_SECRET_MAX];
};

struct mg_cfg_jwt_header_loc {
	char name[MG_CFG_JWT_NAME_MAX];
	char value_prefix[MG_CFG_JWT_NAME_MAX];
};

struct mg_cfg_jwt_claim_header {
	char header_name[MG_CFG_JWT_NAME_MAX];
	char claim_name[MG_CFG_JWT_STR_MAX];
};

/*
 * One provider (appliance.jwt.providers, keyed by name).  Locations: when none of
 * <from_headers>, <from_params>, <from_cookies> is given, `Authorization: Bearer ` and the
 * `access_token` parameter.  docs/CONFIG.md has the defaults.
 */
struct mg_cfg_jwt_provider {
	char name[MG_CFG_JWT_NAME_MAX];
	char issuer[MG_CFG_JWT_STR_MAX];
	int n_audiences;
	char audiences[MG_CFG_JWT_MAX_LIST][MG_CFG_JWT_STR_MAX];
	struct mg_cfg_jwks jwks;
	struct mg_cfg_jwt_secret secret;
	int n_from_headers, n_from_params, n_from_cookies;
	struct mg_cfg_jwt_header_loc from_headers[MG_CFG_JWT_MAX_LIST];
	char from_params[MG_CFG_JWT_MAX_LIST][MG_CFG_JWT_NAME_MAX];
	char from_cookies[MG_CFG_JWT_MAX_LIST][MG_CFG_JWT_NAME_MAX];
	bool forward;
	char forward_payload_header[MG_CFG_JWT_NAME_MAX];
	int n_claim_headers;
	struct mg_cfg_jwt_claim_header claim_headers[MG_CFG_JWT_MAX_LIST];
	bool require_expiration;
	uint32_t clock_skew_s;
	uint32_t max_token_bytes;
	uint32_t refresh_min_interval_s;
	uint32_t ecdsa_per_second; /* ecdsaVerificationsPerSecond, 0: no limit */
};

struct mg_cfg_jwt_claim {
	char name[MG_CFG_JWT_STR_MAX];
	char value[MG_CFG_JWT_STR_MAX];
};

/* How a rule combines its providers. */
enum mg_cfg_jwt_match {
	MG_CFG_JWT_ANY = 0,
	MG_CFG_JWT_ALL,
};

/*
 * What one gateway route requires (appliance.jwt.routes, keyed by gateway route name).  After
 * a successful load <gateway_route_index> indexes cfg->gateway_routes and <provider_index>
 * appliance.jwt.providers.  Gateway routes without a rule need no token.
 */
struct mg_cfg_jwt_rule {
	char gateway_route[256];
	int gateway_route_index;
	int key_tok; /* the JSON key, for messages */
	int n_providers;
	char providers[MG_CFG_JWT_MAX_LIST][MG_CFG_JWT_NAME_MAX];
	int provider_index[MG_CFG_JWT_MAX_LIST];
	int match; /* enum mg_cfg_jwt_match */
	bool allow_missing;
	int n_audiences;
	char audiences[MG_CFG_JWT_MAX_LIST][MG_CFG_JWT_STR_MAX];
	int n_claims;
	struct mg_cfg_jwt_claim claims[MG_CFG_JWT_MAX_LIST];
};

/* appliance.jwt; <present> is false without the section. Arrays are owned. */
struct mg_cfg_jwt {
	bool present;
	char realm[128];
	uint32_t cache_entries;
	int n_providers;
	struct mg_cfg_jwt_provider *providers;
	int n_rules;
	struct mg_cfg_jwt_rule *rules;
};

/*
 * appliance.syslog: access log lines also go, as RFC 5424 messages over UDP, to
 * <addr>:<port> (host byte order address) with <facility> (severity informational).
 * <present> is false when the section is absent.
 */
struct mg_cfg_syslog {
	bool present;
	uint32_t addr;
	uint16_t port;
	uint8_t facility;
};

struct mg_cfg_appliance {
	struct mg_cfg_iface ifaces[MG_CFG_MAX_IFACES];
	int n_ifaces;
	struct mg_cfg_admin admin;
	struct mg_cfg_syslog syslog;
	struct mg_cfg_diag diag;
	struct mg_cfg_dataplane dataplane;
	struct mg_cfg_proxy proxy;
	struct mg_cfg_dns dns;
	int n_endpoint_sets;
	struct mg_cfg_endpoint_set *endpoint_sets; /* owned; NULL when n_endpoint_sets is 0 */
	struct mg_cfg_jwt jwt;
	/* failClosed: virtual nodes that answer 503 at once when none of their endpoints is
	 * usable (the others fail open; docs/RESILIENCE.md). */
	int n_fail_closed;
	char fail_closed[MG_CFG_MAX_FAIL_CLOSED][256];
};

/* ------------------------------------------------------------------------------------------ */
/* The App Mesh resources of the mesh                                                         */
/*
 * Conventions of everything below, for the routing engine that compiles a configuration into an
 * immutable generation:
 *   - Every `char *` is owned by the configuration, NUL-terminated and free of NUL bytes; NULL
 *     means the JSON left the member out (a present string is never NULL, possibly never "").
 *   - Every array is a heap array of exactly its count of elements (NULL when the count is 0),
 *     kept in the order of the JSON document.
 *   - A reference to another resource is kept both as its name (as written) and as an index in
 *     the array of struct mg_config that holds that kind. After a successful load every index
 *     is valid; after a failed load an index may be -1 and must not be used.
 *   - Durations are milliseconds (App Mesh `{"unit": "s"|"ms", "value": N}`); a duration the
 *     JSON left out has <set> false, and the defaults App Mesh documents are the engine's to
 *     apply (see docs/CONFIG.md).
 *   - Members that are stored but not acted on yet say so ("stored, not implemented").
 */

/* Limits of strings App Mesh leaves unbounded (a String or ServiceName shape), in bytes. */
#define MG_CFG_NAME_MAX 255  /* every resource name, and a virtual service name */
#define MG_CFG_TEXT_MAX 1024 /* route prefixes, query parameters, gRPC service names */

/* A duration in milliseconds; <set> is false when the JSON left it out. */
struct mg_cfg_duration {
	bool set;
	uint64_t ms;
};

/* The App Mesh PortProtocol of routers and nodes; the values follow its JSON order. */
enum mg_cfg_port_protocol {
	MG_CFG_PP_HTTP,
	MG_CFG_PP_TCP,
	MG_CFG_PP_HTTP2,
	MG_CFG_PP_GRPC,
};

/* IpPreference (mesh and DNS service discovery); NONE when the JSON left it out. */
enum mg_cfg_ip_preference {
	MG_CFG_IP_NONE,
	MG_CFG_IP_IPV6_PREFERRED,
	MG_CFG_IP_IPV4_PREFERRED,
	MG_CFG_IP_IPV4_ONLY,
	MG_CFG_IP_IPV6_ONLY,
};

/* HttpMethod; NONE when a match leaves the method out. */
enum mg_cfg_http_method {
	MG_CFG_METHOD_NONE,
	MG_CFG_METHOD_GET,
	MG_CFG_METHOD_HEAD,
	MG_CFG_METHOD_POST,
	MG_CFG_METHOD_PUT,
	MG_CFG_METHOD_DELETE,
	MG_CFG_METHOD_CONNECT,
	MG_CFG_METHOD_OPTIONS,
	MG_CFG_METHOD_TRACE,
	MG_CFG_METHOD_PATCH,
};

/*
 * How a string is matched. For a header or gRPC metadata match: the alternative of its
 * `match` union, or NONE when `match` is left out (App Mesh then matches on the header being
 * present). For a path: EXACT or REGEX (NONE: no path match). For a hostname: EXACT or SUFFIX.
 */
enum mg_cfg_match_kind {
	MG_CFG_MATCH_NONE,
	MG_CFG_MATCH_EXACT,
	MG_CFG_MATCH_PREFIX,
	MG_CFG_MATCH_SUFFIX,
	MG_CFG_MATCH_REGEX,
	MG_CFG_MATCH_RANGE,
};

/*
 * A value match. <value> is the string to compare with (EXACT, PREFIX, SUFFIX) or the
 * regular expression (REGEX; it compiled with PCRE2 when the configuration loaded, and is
 * matched against the whole value). For RANGE, <value> is NULL and the header value, read as a
 * decimal integer, must lie in [<range_start>, <range_end>) (half-open as in Envoy;
 * range_start < range_end is guaranteed).
 */
struct mg_cfg_string_match {
	enum mg_cfg_match_kind kind;
	char *value;
	int64_t range_start, range_end;
};

/*
 * One header (HTTP routes) or metadata entry (gRPC routes) match: the header <name> (1..50
 * bytes, compared case-insensitively), <match> (kind NONE: the header must be present) and
 * <invert> (true: the request matches when the header does not).
 */
struct mg_cfg_header_match {
	char *name;
	bool invert;
	struct mg_cfg_string_match match;
};

/*
 * One query parameter match: the parameter <name> must be present and, when <exact> is not
 * NULL, have exactly that (decoded) value.
 */
struct mg_cfg_query_match {
	char *name;
	char *exact;
};

/* ---- mesh ---------------------------------------------------------------------------------- */

/* The mesh's egressFilter.type. Stored, not implemented (egress is not a gateway concern). */
enum mg_cfg_egress {
	MG_CFG_EGRESS_DROP_ALL, /* App Mesh's default */
	MG_CFG_EGRESS_ALLOW_ALL,
};

/*
 * The top-level `mesh` (describe-mesh's "mesh"). <ip_preference> is the default of the DNS
 * service discovery of every virtual node that sets none.
 */
struct mg_cfg_mesh {
	char *name;
	enum mg_cfg_egress egress;
	enum mg_cfg_ip_preference ip_preference;
};

/* ---- gateway routes ------------------------------------------------------------------------ */

/* Which route object a gateway route or route has. */
enum mg_cfg_route_kind {
	MG_CFG_ROUTE_HTTP,  /* httpRoute */
	MG_CFG_ROUTE_HTTP2, /* http2Route */
	MG_CFG_ROUTE_GRPC,  /* grpcRoute */
	MG_CFG_ROUTE_TCP,   /* tcpRoute (routes only) */
};

/* A rewrite switch: UNSET when the JSON left it out (App Mesh's default applies: ENABLED). */
enum mg_cfg_rewrite_default {
	MG_CFG_REWRITE_UNSET,
	MG_CFG_REWRITE_ENABLED,
	MG_CFG_REWRITE_DISABLED,
};

/*
 * A gateway route's match. Every member that is set must match (AND); members left out match
 * everything.
 *   HTTP and HTTP2: <prefix> (starts with '/', never a reserved /aws-appmesh or /aws-app-mesh
 *   prefix) or <path> (EXACT or REGEX), never both; <hostname> (EXACT or SUFFIX, NONE: any);
 *   <method>; <port> (0: any; otherwise the virtual gateway's listener port); <headers> and
 *   <query> (1..10 each when present).
 *   GRPC: <service_name> (NULL: any; never "aws.appmesh*" or "aws.app-mesh*"), <hostname>,
 *   <port>, and the metadata entries in <headers>.
 */
struct mg_cfg_gateway_route_match {
	char *prefix;
	struct mg_cfg_string_match path;
	struct mg_cfg_string_match hostname;
	enum mg_cfg_http_method method;
	uint16_t port;
	char *service_name;
	int n_headers;
	struct mg_cfg_header_match *headers;
	int n_query;
	struct mg_cfg_query_match *query;
};

/*
 * One entry of `gatewayRoutes`. <priority> is 0..1000 (0 first) when <has_priority>; App Mesh
 * orders routes without priority by longest prefix. The target is the virtual service
 * <target_service> (index <target_service_index> in mg_config.virtual_services) and, when
 * nonzero, the listener port <target_port> of its provider.
 *
 * Rewrites (HTTP and HTTP2; GRPC has only the hostname one): <rewrite_hostname> is the
 * defaultTargetHostname switch (UNSET and ENABLED: the Host header becomes the target virtual
 * service name). With a prefix match, <rewrite_prefix_default> is defaultPrefix (UNSET and
 * ENABLED: the matched prefix becomes "/") and <rewrite_prefix_value>, when not NULL, is the
 * replacement of the matched prefix (then the default is not used). With a path match,
 * <rewrite_path>, when not NULL, replaces the whole path.
 */
struct mg_cfg_gateway_route {
	char *name;
	bool has_priority;
	uint16_t priority;
	enum mg_cfg_route_kind kind;
	struct mg_cfg_gateway_route_match match;
	char *target_service;
	int target_service_index;
	uint16_t target_port;
	enum mg_cfg_rewrite_default rewrite_hostname;
	enum mg_cfg_rewrite_default rewrite_prefix_default;
	char *rewrite_prefix_value;
	char *rewrite_path;
};

/* ---- virtual services ---------------------------------------------------------------------- */

enum mg_cfg_provider_kind {
	MG_CFG_PROVIDER_NONE, /* no provider: nothing can be routed to the service */
	MG_CFG_PROVIDER_NODE,
	MG_CFG_PROVIDER_ROUTER,
};

/*
 * One entry of `virtualServices`. The provider is the virtual node or virtual router named
 * <provider_name>, at <provider_index> in mg_config.virtual_nodes or mg_config.virtual_routers
 * according to <provider_kind> (NULL and -1 for MG_CFG_PROVIDER_NONE).
 */
struct mg_cfg_virtual_service {
	char *name;
	enum mg_cfg_provider_kind provider_kind;
	char *provider_name;
	int provider_index;
};

/* ---- virtual routers ----------------------------------------------------------------------- */

/* A router or node listener's portMapping. */
struct mg_cfg_port_mapping {
	uint16_t port;
	enum mg_cfg_port_protocol protocol;
};

/*
 * One entry of `virtualRouters`: its <n_listeners> listeners (port unique among them), and the
 * indices in mg_config.routes of the <n_routes> routes whose virtualRouterName names it, in
 * document order (the engine orders them by priority and match).
 */
struct mg_cfg_virtual_router {
	char *name;
	int n_listeners;
	struct mg_cfg_port_mapping *listeners;
	int n_routes;
	int *routes;
};

/* ---- routes -------------------------------------------------------------------------------- */

/*
 * One weighted target: the virtual node <node> (index <node_index> in mg_config.virtual_nodes),
 * its relative <weight> 0..100 (the weights of a route add up to more than 0) and, when
 * nonzero, the node listener <port> (one of the node's listener ports).
 */
struct mg_cfg_weighted_target {
	char *node;
	int node_index;
	uint8_t weight;
	uint16_t port;
};

/* Retry events, as bits of mg_cfg_retry_policy's masks. */
#define MG_CFG_RETRY_HTTP_SERVER_ERROR       0x01 /* server-error */
#define MG_CFG_RETRY_HTTP_GATEWAY_ERROR      0x02 /* gateway-error */
#define MG_CFG_RETRY_HTTP_CLIENT_ERROR       0x04 /* client-error */
#define MG_CFG_RETRY_HTTP_STREAM_ERROR       0x08 /* stream-error */
#define MG_CFG_RETRY_TCP_CONNECTION_ERROR    0x01 /* connection-error */
#define MG_CFG_RETRY_GRPC_CANCELLED          0x01 /* cancelled */
#define MG_CFG_RETRY_GRPC_DEADLINE_EXCEEDED  0x02 /* deadline-exceeded */
#define MG_CFG_RETRY_GRPC_INTERNAL           0x04 /* internal */
#define MG_CFG_RETRY_GRPC_RESOURCE_EXHAUSTED 0x08 /* resource-exhausted */
#define MG_CFG_RETRY_GRPC_UNAVAILABLE        0x10 /* unavailable */

/*
 * A route's retryPolicy (when <present>): <max_retries> retries, each given
 * <per_retry_timeout> (always set), on the events in the masks (MG_CFG_RETRY_*). Stored, not
 * implemented yet.
 */
struct mg_cfg_retry_policy {
	bool present;
	uint32_t max_retries;
	struct mg_cfg_duration per_retry_timeout;
	uint32_t http_events, tcp_events, grpc_events;
};

/*
 * A route's match. Like a gateway route's (HTTP/HTTP2: <prefix> or <path>, <method>,
 * <headers>, <query>; GRPC: <service_name>, <method_name> (needs <service_name>) and metadata
 * in <headers>; TCP: only <port>), without hostname, plus <scheme> for HTTP2 (NULL: any;
 * "http" or "https"). <port> is 0 or one of the router's listener ports; a router with more
 * than one listener requires it.
 */
struct mg_cfg_route_match {
	char *prefix;
	struct mg_cfg_string_match path;
	enum mg_cfg_http_method method;
	char *scheme;
	uint16_t port;
	char *service_name;
	char *method_name;
	int n_headers;
	struct mg_cfg_header_match *headers;
	int n_query;
	struct mg_cfg_query_match *query;
};

/*
 * One entry of `routes`: route <name> of the virtual router <router> (index <router_index> in
 * mg_config.virtual_routers; names are unique per router, as in App Mesh). <kind> says which
 * route object the spec has; its route kind matches the protocol of the router listener it
 * applies to. <targets> has 1..10 entries. <retry> and the timeouts <per_request> and <idle>
 * are applied by the proxy (docs/RESILIENCE.md; TCP routes have only <idle>).
 */
struct mg_cfg_route {
	char *name;
	char *router;
	int router_index;
	bool has_priority;
	uint16_t priority;
	enum mg_cfg_route_kind kind;
	struct mg_cfg_route_match match;
	int n_targets;
	struct mg_cfg_weighted_target *targets;
	struct mg_cfg_retry_policy retry;
	struct mg_cfg_duration per_request, idle;
};

/* ---- virtual nodes ------------------------------------------------------------------------- */

/* A node listener's connectionPool alternative; NONE when left out. */
enum mg_cfg_node_pool_kind {
	MG_CFG_NODE_POOL_NONE,
	MG_CFG_NODE_POOL_HTTP,
	MG_CFG_NODE_POOL_TCP,
	MG_CFG_NODE_POOL_HTTP2,
	MG_CFG_NODE_POOL_GRPC,
};

/*
 * One virtual node listener, that is one port the node's endpoints serve. <tls_mode> is the
 * listener's tls.mode (MG_CFG_TLS_NONE without tls): whether the endpoints expect TLS.
 *
 * Applied as docs/RESILIENCE.md says: the connection pool (<pool_kind>; limits the JSON leaves
 * out are MG_CFG_POOL_UNLIMITED, as in the virtual gateway's listener; the tcp pool is not
 * applied yet), the health check (when <has_health_check>; <port> defaults to the listener
 * port, <path> is NULL when left out), the outlier detection (when <has_outlier_detection>; all
 * four members set) and the timeouts of the protocol (<per_request> is never set for tcp).
 */
struct mg_cfg_node_listener {
	uint16_t port;
	enum mg_cfg_port_protocol protocol;
	enum mg_cfg_tls_mode tls_mode;
	enum mg_cfg_node_pool_kind pool_kind;
	uint32_t max_connections, max_pending_requests, max_requests;
	bool has_health_check;
	struct {
		uint32_t healthy_threshold, unhealthy_threshold, interval_ms, timeout_ms;
		uint16_t port;
		enum mg_cfg_port_protocol protocol;
		char *path;
	} health_check;
	bool has_outlier_detection;
	struct {
		uint32_t max_server_errors, max_ejection_percent;
		struct mg_cfg_duration interval, base_ejection_duration;
	} outlier_detection;
	struct mg_cfg_duration per_request, idle;
};

/* serviceDiscovery: NONE when left out; DNS the only one supported (awsCloudMap is refused). */
enum mg_cfg_discovery_kind {
	MG_CFG_DISCOVERY_NONE,
	MG_CFG_DISCOVERY_DNS,
};

/* DnsResponseType. */
enum mg_cfg_dns_response {
	MG_CFG_DNS_LOADBALANCER, /* App Mesh's default: one address, the resolver balances */
	MG_CFG_DNS_ENDPOINTS,    /* every address returned is an endpoint */
};

/*
 * One entry of `virtualNodes`.
 *
 * Where its traffic goes: the static endpoints <endpoints> (<n_endpoints>, borrowed from
 * appliance.endpoint_sets, which owns them) when appliance.endpoints names the node; otherwise
 * the addresses DNS returns for <dns_hostname> (a DNS name or IPv4 address) through
 * appliance.dns, with <dns_response> and <ip_preference> (the node's, else the mesh's, else
 * MG_CFG_IP_NONE). A loaded node with listeners always has one of the two.
 *
 * <backends> lists the virtual service names of spec.backends (for the node's own proxy;
 * stored, not used by the gateway). backendDefaults, the backends' client policies and logging
 * are validated and not stored: they configure the node's own proxy, not the gateway.
 */
struct mg_cfg_virtual_node {
	char *name;
	int n_listeners;
	struct mg_cfg_node_listener *listeners;
	enum mg_cfg_discovery_kind discovery;
	char *dns_hostname;
	enum mg_cfg_dns_response dns_response;
	enum mg_cfg_ip_preference ip_preference;
	int n_endpoints;
	const struct mg_cfg_endpoint *endpoints;
	int n_backends;
	char **backends;
};

/*
 * The whole configuration. <virtual_gateway> is meaningful when <has_virtual_gateway>; a
 * configuration without one has no HTTP listener. <mesh> is meaningful when <has_mesh>. The
 * resource arrays hold each top-level list in document order (NULL when empty); the indices
 * in the resources point into them.
 */
struct mg_config {
	struct mg_cfg_appliance appliance;
	bool has_virtual_gateway;
	struct mg_cfg_virtual_gateway virtual_gateway;
	bool has_mesh;
	struct mg_cfg_mesh mesh;
	int n_gateway_routes, n_virtual_services, n_virtual_routers, n_routes, n_virtual_nodes;
	struct mg_cfg_gateway_route *gateway_routes;
	struct mg_cfg_virtual_service *virtual_services;
	struct mg_cfg_virtual_router *virtual_routers;
	struct mg_cfg_route *routes;
	struct mg_cfg_virtual_node *virtual_nodes;
};

/* Defaults of the optional settings. */
#define MG_CFG_DEFAULT_MTU     1500
#define MG_CFG_DEFAULT_MBUFS   16384
#define MG_CFG_DEFAULT_RX_DESC 1024
#define MG_CFG_DEFAULT_TX_DESC 1024
#define MG_CFG_DEFAULT_BURST   32
#define MG_CFG_MAX_WORKERS     16

#define MG_CFG_DEFAULT_TICKET_LIFETIME_S      3600
#define MG_CFG_DEFAULT_HANDSHAKE_TIMEOUT_MS   10000
#define MG_CFG_DEFAULT_HEADER_TIMEOUT_MS      10000
#define MG_CFG_DEFAULT_IDLE_TIMEOUT_MS        300000 /* App Mesh's default idle timeout */
#define MG_CFG_DEFAULT_CONNECT_TIMEOUT_MS     5000
#define MG_CFG_DEFAULT_MAX_HEADER_BYTES       32768
#define MG_CFG_DEFAULT_MAX_CONNS_PER_ENDPOINT 1024
#define MG_CFG_DEFAULT_MAX_IDLE_PER_ENDPOINT  64
/* App Mesh's value for connection-pool limits the spec leaves out. */
#define MG_CFG_POOL_UNLIMITED 2147483647u

/*
 * The errors of one load. Plain data (about 33 KiB), so it may live on the stack; the
 * functions below initialise it, the caller does not need to. <list> may be read directly
 * (see json.h): list.count kept errors in document order, list.dropped beyond the cap.
 */
struct mg_cfg_errors {
	struct mg_json_errors list;
};

/*
 * mg_cfg_upstream_tls() is the TLS origination policy that applies to
 * appliance.proxy.staticUpstream: virtualGateway.spec.backendDefaults.clientPolicy.tls when
 * it is present, enforced and its ports are empty or name the upstream's port; else NULL.
 */
const struct mg_cfg_client_tls *mg_cfg_upstream_tls(const struct mg_config *cfg);

/*
 * Parses the configuration in <text> (<len> bytes, no NUL terminator needed) into <cfg>.
 * <filename> is only used in messages (NULL prints "<input>"). <errs> is initialised and then
 * receives every error found. On success all defaults are applied and 0 is returned; otherwise
 * -EINVAL (or -EFBIG / -ENOMEM, also reported in <errs>), and <cfg> holds a partial result
 * that must not be used. <cfg> is taken as uninitialised (whatever it held is not freed) and
 * must be released with mg_config_free() in every case.
 */
int mg_config_parse(struct mg_config *cfg, const char *text, size_t len, const char *filename,
                    struct mg_cfg_errors *errs);

/*
 * Releases everything <cfg> owns and zeroes it. Safe on a zeroed configuration and after a
 * failed parse; <cfg> may be parsed into again afterwards.
 */
void mg_config_free(struct mg_config *cfg);

/*
 * Reads the file at <path> (at most MG_CFG_MAX_FILE_SIZE bytes) and parses it as
 * mg_config_parse() does, with <path> as the name in messages. Returns 0, -EINVAL for an
 * invalid configuration, or a negative errno for an I/O error (-EFBIG for a file that is too
 * large), with a message in <errs> in every failing case.
 */
int mg_config_load_file(struct mg_config *cfg, const char *path, struct mg_cfg_errors *errs);

/* Returns the number of errors reported, those beyond the cap included. */
unsigned long mg_cfg_errors_count(const struct mg_cfg_errors *errs);

/*
 * Prints the errors to <out>, one per line, in document order, as
 * `FILE:LINE:COL: PATH: message`.
 */
void mg_cfg_errors_print(const struct mg_cfg_errors *errs, FILE *out);

/*
 * Releases what <errs> holds. It holds no memory today, but callers should call this once
 * they are done so that a future heap-backed list does not leak.
 */
void mg_cfg_errors_free(struct mg_cfg_errors *errs);

/*
 * The schema table of the whole file (schema.h), for tests that check tables and for tools
 * that document them.
 */
struct mg_schema_object;
extern const struct mg_schema_object mg_config_schema;

/*
 * The schema table of the `virtualGateway` object. The top-level table reaches it through a
 * custom field (the JSON tree is walked into a private mirror and then checked and copied into
 * struct mg_cfg_virtual_gateway), so mg_schema_check() must be run on it separately.
 */
extern const struct mg_schema_object mg_config_vgw_schema;

/* Returns the name of interface <i> of <cfg>, or "" if out of range. */
const char *mg_cfg_iface_name(const struct mg_config *cfg, int i);

/*
 * Parses a dotted-quad IPv4 address in <s> (<len> bytes, no NUL needed) into *<addr> in host
 * byte order. Each of the 4 parts is a decimal 0..255 without leading zeros. Returns 0 or
 * -EINVAL.
 */
int mg_cfg_parse_ipv4(const char *s, size_t len, uint32_t *addr);

/*
 * Returns the device kind of <s> (<len> bytes), or -EINVAL with a reason in <why> (<size>
 * bytes) if it is neither a DPDK virtual device string nor a PCI address.
 */
int mg_cfg_device_kind(const char *s, size_t len, char *why, size_t size);

/*
 * Checks that NUL-terminated <s> is a server name a certificate may be picked by (SNI): a DNS
 * name of labels of 1 to 63 letters, digits and '-' (not at either end of a label) joined by
 * single dots, or a wildcard "*." followed by such a name of at least two labels. IPv4
 * addresses are refused (SNI carries no addresses). The overall length is the caller's (253 at
 * most). Returns 0, or -EINVAL with the reason in <why> (<size> bytes).
 */
int mg_cfg_server_name_check(const char *s, char *why, size_t size);

#endif /* MG_CONFIG_CONFIG_H */
