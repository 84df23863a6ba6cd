/*
 * The Meshgate configuration: one JSON file, read once at boot.
 *
 * The top level is an object whose members are the sections below. Today only `appliance`
 * exists (interfaces, admin listener, diagnostics, dataplane sizing); the AWS App Mesh
 * resources (`mesh`, `virtualGateway`, `gatewayRoutes`, `virtualServices`, `virtualRouters`,
 * `routes`, `virtualNodes`) come later. Field names are camelCase as in the App Mesh JSON.
 * docs/CONFIG.md is the user reference; the C structs below are what the rest of the gateway
 * reads.
 *
 * Loading never stops at the first problem: every error is collected with its file, line,
 * column and JSON path, and mg_cfg_errors_print() shows them in document order.
 */
#ifndef MG_CONFIG_CONFIG_H
#define MG_CONFIG_CONFIG_H

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

struct mg_cfg_appliance {
	struct mg_cfg_iface ifaces[MG_CFG_MAX_IFACES];
	int n_ifaces;
	struct mg_cfg_admin admin;
	struct mg_cfg_diag diag;
	struct mg_cfg_dataplane dataplane;
};

struct mg_config {
	struct mg_cfg_appliance appliance;
};

/* Defaults of the optional settings. */
#define MG_CFG_DEFAULT_MTU     1500
#define MG_CFG_DEFAULT_MBUFS   16384
#define MG_CFG_DEFAULT_RX_DESC 1024
#define MG_CFG_DEFAULT_TX_DESC 1024
#define MG_CFG_DEFAULT_BURST   32

/*
 * The errors of one load. Plain data (about 33 KiB), so it may live on the stack; the
 * functions below initialise it, the caller does not need to. <list> may be read directly
 * (see json.h): list.count kept errors in document order, list.dropped beyond the cap.
 */
struct mg_cfg_errors {
	struct mg_json_errors list;
};

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

#endif /* MG_CONFIG_CONFIG_H */
