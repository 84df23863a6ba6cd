/*
 * The Meshgate configuration: one JSON file, read once at boot.
 *
 * The top level is an object whose members are the sections below: `appliance` (interfaces,
 * admin listener, diagnostics, dataplane sizing, HTTP proxy settings) and `virtualGateway`
 * (the AWS App Mesh VirtualGateway exactly as `aws appmesh describe-virtual-gateway` prints
 * it). The other App Mesh resources (`mesh`, `gatewayRoutes`, `virtualServices`,
 * `virtualRouters`, `routes`, `virtualNodes`) come later. Field names are camelCase as in the
 * App Mesh JSON.
 * docs/CONFIG.md is the user reference; the C structs below are what the rest of the gateway
 * reads.
 *
 * Loading never stops at the first problem: every error is collected with its file, line,
 * column and JSON path, and mg_cfg_errors_print() shows them in document order.
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
};

/* Diagnostic listeners (RFC 862 echo, RFC 863 discard) on every interface; 0 = off. */
struct mg_cfg_diag {
	uint16_t echo_port, discard_port;
};

/* Packet buffer and queue sizing. */
struct mg_cfg_dataplane {
	uint32_t mbufs;
	uint16_t rx_desc, tx_desc, burst;
};

/* ------------------------------------------------------------------------------------------ */
/* TLS material and the App Mesh VirtualGateway                                               */

#define MG_CFG_PATH_MAX         256  /* a file path (App Mesh FilePath, 1..255 bytes) + NUL */
#define MG_CFG_MAX_SAN          16   /* subjectAlternativeNames.match.exact entries */
#define MG_CFG_MAX_EXTRA_CERTS  15   /* appliance.proxy.additionalCertificates */
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
 * ALPN: <alpn_http11> is true (the only protocol offered today) and <alpn_h2> false.
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
	bool alpn_http11, alpn_h2;
	uint32_t session_ticket_lifetime_s, handshake_timeout_ms, request_header_timeout_ms,
	    idle_timeout_ms, connect_timeout_ms;
	uint32_t max_request_header_bytes;
	uint64_t max_request_body_bytes;
	uint16_t https_redirect_port;
	uint32_t max_conns_per_endpoint, max_idle_per_endpoint;
};

struct mg_cfg_appliance {
	struct mg_cfg_iface ifaces[MG_CFG_MAX_IFACES];
	int n_ifaces;
	struct mg_cfg_admin admin;
	struct mg_cfg_diag diag;
	struct mg_cfg_dataplane dataplane;
	struct mg_cfg_proxy proxy;
};

/*
 * The whole configuration. <virtual_gateway> is meaningful when <has_virtual_gateway>; a
 * configuration without one has no HTTP listener.
 */
struct mg_config {
	struct mg_cfg_appliance appliance;
	bool has_virtual_gateway;
	struct mg_cfg_virtual_gateway virtual_gateway;
};

/* Defaults of the optional settings. */
#define MG_CFG_DEFAULT_MTU     1500
#define MG_CFG_DEFAULT_MBUFS   16384
#define MG_CFG_DEFAULT_RX_DESC 1024
#define MG_CFG_DEFAULT_TX_DESC 1024
#define MG_CFG_DEFAULT_BURST   32

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
 * that must not be used.
 */
int mg_config_parse(struct mg_config *cfg, const char *text, size_t len, const char *filename,
                    struct mg_cfg_errors *errs);

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
