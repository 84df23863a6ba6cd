/*
 * The Meshgate configuration: schema tables, value parsers and cross-field rules.
 * See config.h for the API and docs/CONFIG.md for the user reference.
 *
 * Adding a top-level section is one line in root_fields[] plus its table; adding a field is
 * one line in its object's table.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema.h"

#define REQ MG_SCHEMA_F_REQUIRED

/* Long enough for any valid address text; longer strings are reported as invalid. */
#define ADDR_TEXT_MAX 32

/* ------------------------------------------------------------------------------------------ */
/* Value syntax                                                                               */

static bool
is_dec(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
hex_digit(char c)
{
	if (is_dec(c))
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

int
mg_cfg_parse_ipv4(const char *s, size_t len, uint32_t *addr)
{
	uint32_t a = 0;
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t start = i;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -EINVAL;
			start = ++i;
		}
		while (i < len && is_dec(s[i]) && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (i - start > 1 && s[start] == '0'))
			return -EINVAL;
		a = a << 8 | v;
	}
	if (i != len)
		return -EINVAL;
	*addr = a;
	return 0;
}

/* Formats host-order <a> as dotted quad into <buf> (at least 16 bytes). */
static const char *
ipv4_str(uint32_t a, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

static uint32_t
prefix_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : 0xFFFFFFFFu << (32 - prefix);
}

/* Returns why <a> cannot be a host's unicast address, or NULL if it can. */
static const char *
unicast_error(uint32_t a)
{
	unsigned first = a >> 24;

	if (first == 0)
		return "is in 0.0.0.0/8 (\"this network\")";
	if (first == 127)
		return "is a loopback address";
	if (first >= 224 && first < 240)
		return "is a multicast address";
	if (first >= 240)
		return "is a reserved or broadcast address";
	return NULL;
}

/* Checks the ",key=value..." tail of a device string at <s>[<i>..<len>). */
static int
device_args(const char *s, size_t i, size_t len, char *why, size_t size)
{
	while (i < len) {
		size_t k, v;
		int depth = 0;

		if (s[i] != ',') {
			snprintf(why, size,
			         "unexpected '%c' after the device name (arguments are "
			         "\",key=value\")",
			         s[i]);
			return -EINVAL;
		}
		for (k = ++i; i < len && (is_dec(s[i]) || (s[i] >= 'a' && s[i] <= 'z') ||
		                          (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_');
		     i++)
			;
		if (i == k) {
			snprintf(why, size, "empty or invalid argument name at character %zu",
			         k + 1);
			return -EINVAL;
		}
		if (i >= len || s[i] != '=') {
			snprintf(why, size, "argument '%.*s' needs a value (key=value)",
			         (int)(i - k), s + k);
			return -EINVAL;
		}
		/* A value is printable and without spaces; commas only inside [...] lists. */
		for (v = ++i; i < len && (depth > 0 || s[i] != ','); i++) {
			if (s[i] <= ' ' || s[i] >= 0x7f) {
				snprintf(why, size,
				         "argument '%.*s' has a space or unprintable "
				         "character in its value",
				         (int)(v - 1 - k), s + k);
				return -EINVAL;
			}
			if (s[i] == '[')
				depth++;
			else if (s[i] == ']' && --depth < 0)
				break;
		}
		if (i == v || depth != 0) {
			snprintf(why, size, "argument '%.*s' has an empty or unbalanced value",
			         (int)(v - 1 - k), s + k);
			return -EINVAL;
		}
	}
	return 0;
}

int
mg_cfg_device_kind(const char *s, size_t len, char *why, size_t size)
{
	size_t i;

	if (len >= 5 && is_hex(s[0]) && is_hex(s[1]) && is_hex(s[2]) && is_hex(s[3]) &&
	    s[4] == ':') {
		unsigned dev;

		if (len < 12 || !is_hex(s[5]) || !is_hex(s[6]) || s[7] != ':' || !is_hex(s[8]) ||
		    !is_hex(s[9]) || s[10] != '.' || !is_dec(s[11])) {
			snprintf(why, size,
			         "a PCI address has the form DDDD:BB:DD.F, like "
			         "0000:00:04.0");
			return -EINVAL;
		}
		dev = (unsigned)(hex_digit(s[8]) * 16 + hex_digit(s[9]));
		if (dev > 0x1f) {
			snprintf(why, size, "PCI device number %c%c is out of range 00..1f", s[8],
			         s[9]);
			return -EINVAL;
		}
		if (s[11] > '7') {
			snprintf(why, size, "PCI function %c is out of range 0..7", s[11]);
			return -EINVAL;
		}
		return device_args(s, 12, len, why, size) < 0 ? -EINVAL : MG_CFG_DEV_PCI;
	}
	if (len < 4 || memcmp(s, "net_", 4) != 0) {
		snprintf(why, size,
		         "expected a DPDK virtual device (net_<driver><n>[,key=value...], "
		         "like net_tap0,iface=mg0) or a PCI address (like 0000:00:04.0)");
		return -EINVAL;
	}
	for (i = 4; i < len && (is_dec(s[i]) || (s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'); i++)
		;
	if (i == 4 || !(s[4] >= 'a' && s[4] <= 'z')) {
		snprintf(why, size,
		         "a virtual device name is net_ followed by a driver name in "
		         "lower case, like net_tap0");
		return -EINVAL;
	}
	if (!is_dec(s[i - 1])) {
		snprintf(why, size,
		         "a virtual device name ends with its instance number, like "
		         "net_tap0");
		return -EINVAL;
	}
	return device_args(s, i, len, why, size) < 0 ? -EINVAL : MG_CFG_DEV_VDEV;
}

/* ------------------------------------------------------------------------------------------ */
/* Field callbacks                                                                            */

/* Interface names: [a-z0-9_-]{1,15}; the length is checked by the table. */
static int
check_iface_name(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *s = (const char *)base + f->offset;
	char ex[MG_JSON_EXCERPT_MAX];
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || is_dec(s[i]) || s[i] == '_' || s[i] == '-')) {
			/* The source text, not the decoded name, which may hold control bytes. */
			mg_json_error(ctx->doc, tok,
			              "'%s' is not a valid interface name (use a-z, "
			              "0-9, '_' and '-')",
			              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)));
			return -EINVAL;
		}
	}
	return 0;
}

static int
check_device(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	struct mg_cfg_iface *ifc = base;
	char why[200];
	int kind;

	(void)f;
	kind = mg_cfg_device_kind(ifc->device, strlen(ifc->device), why, sizeof(why));
	if (kind < 0) {
		mg_json_error(ctx->doc, tok, "%s", why);
		return -EINVAL;
	}
	ifc->device_kind = (uint8_t)kind;
	return 0;
}

/*
 * Decodes string <tok> into <buf> for an address parser; reports a wrong type or an overlong
 * text. Returns the length or -EINVAL.
 */
static int
addr_text(struct mg_schema_ctx *ctx, int tok, char *buf, size_t size, const char *example)
{
	char ex[MG_JSON_EXCERPT_MAX];
	size_t n;

	if (mg_json_is_bad(ctx->doc, tok))
		return -EINVAL;
	if (mg_json_type(ctx->doc, tok) != MG_JSON_STRING) {
		mg_json_error(ctx->doc, tok, "expected a string like \"%s\", got %s", example,
		              mg_json_type_name(mg_json_type(ctx->doc, tok)));
		return -EINVAL;
	}
	if (mg_json_str_decode(ctx->doc, tok, buf, size, &n) < 0 || strlen(buf) != n) {
		mg_json_error(ctx->doc, tok, "'%s' is not an IPv4 address like %s",
		              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)), example);
		return -EINVAL;
	}
	return (int)n;
}

/* "address": an IPv4 CIDR; fills addr, prefix and netmask of struct mg_cfg_iface. */
static int
parse_address(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	struct mg_cfg_iface *ifc = base;
	char buf[ADDR_TEXT_MAX], ex[MG_JSON_EXCERPT_MAX];
	const char *slash, *why;
	uint32_t a, mask;
	unsigned prefix = 0;
	size_t i;
	int n;

	(void)f;
	n = addr_text(ctx, tok, buf, sizeof(buf), "10.0.0.2/24");
	if (n < 0)
		return -EINVAL;
	slash = strchr(buf, '/');
	if (slash == NULL) {
		mg_json_error(ctx->doc, tok,
		              "'%s' has no prefix length (expected an address like "
		              "10.0.0.2/24)",
		              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)));
		return -EINVAL;
	}
	if (mg_cfg_parse_ipv4(buf, (size_t)(slash - buf), &a) < 0) {
		mg_json_error(ctx->doc, tok, "'%s' is not an IPv4 address like 10.0.0.2/24",
		              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)));
		return -EINVAL;
	}
	for (i = 1; is_dec(slash[i]) && i < 4; i++)
		prefix = prefix * 10 + (unsigned)(slash[i] - '0');
	if (i == 1 || slash[i] != '\0' || (i > 2 && slash[1] == '0')) {
		mg_json_error(ctx->doc, tok, "'%s' has an invalid prefix length (expected /1../32)",
		              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)));
		return -EINVAL;
	}
	if (prefix < 1 || prefix > 32) {
		mg_json_error(ctx->doc, tok, "prefix length /%u is out of range 1..32", prefix);
		return -EINVAL;
	}
	why = unicast_error(a);
	if (why != NULL) {
		mg_json_error(ctx->doc, tok, "address %.*s %s", (int)(slash - buf), buf, why);
		return -EINVAL;
	}
	mask = prefix_mask(prefix);
	if (prefix < 31 && (a & ~mask) == 0) {
		mg_json_error(ctx->doc, tok,
		              "%s is the network address of its subnet, not a host "
		              "address",
		              buf);
		return -EINVAL;
	}
	if (prefix < 31 && (a & ~mask) == ~mask) {
		mg_json_error(ctx->doc, tok,
		              "%s is the broadcast address of its subnet, not a host "
		              "address",
		              buf);
		return -EINVAL;
	}
	ifc->addr = a;
	ifc->prefix = (uint8_t)prefix;
	ifc->netmask = mask;
	return 0;
}

/* "gateway": a unicast IPv4 address; whether it is on the subnet is checked by the iface. */
static int
parse_gateway(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	struct mg_cfg_iface *ifc = base;
	char buf[ADDR_TEXT_MAX], ex[MG_JSON_EXCERPT_MAX];
	const char *why;
	uint32_t a;
	int n;

	(void)f;
	n = addr_text(ctx, tok, buf, sizeof(buf), "10.0.0.1");
	if (n < 0)
		return -EINVAL;
	if (mg_cfg_parse_ipv4(buf, (size_t)n, &a) < 0) {
		mg_json_error(ctx->doc, tok, "'%s' is not an IPv4 address like 10.0.0.1",
		              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)));
		return -EINVAL;
	}
	why = unicast_error(a);
	if (why != NULL) {
		mg_json_error(ctx->doc, tok, "gateway %s %s", buf, why);
		return -EINVAL;
	}
	ifc->gateway = a;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Cross-field rules                                                                          */

static int
validate_iface(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	struct mg_cfg_iface *ifc = base;
	char gw[16], net[16];
	uint32_t host;
	int gtok;

	(void)o;
	/* Zero means absent or already reported. */
	if (ifc->gateway == 0 || ifc->addr == 0)
		return 0;
	gtok = mg_json_obj_get(ctx->doc, tok, "gateway");
	ipv4_str(ifc->gateway, gw, sizeof(gw));
	if ((ifc->gateway & ifc->netmask) != (ifc->addr & ifc->netmask)) {
		mg_json_error(ctx->doc, gtok, "gateway %s is outside the interface's subnet %s/%u",
		              gw, ipv4_str(ifc->addr & ifc->netmask, net, sizeof(net)),
		              ifc->prefix);
		goto bad;
	}
	if (ifc->gateway == ifc->addr) {
		mg_json_error(ctx->doc, gtok, "gateway %s is the interface's own address", gw);
		goto bad;
	}
	host = ifc->gateway & ~ifc->netmask;
	if (ifc->prefix < 31 && (host == 0 || host == ~ifc->netmask)) {
		mg_json_error(ctx->doc, gtok, "gateway %s is the %s address of the subnet", gw,
		              host == 0 ? "network" : "broadcast");
		goto bad;
	}
	return 0;
bad:
	ifc->gateway = 0;
	return -EINVAL;
}

/* Returns the token at <path> under appliance object <tok>, or <tok> itself if not found. */
static int
tok_at(struct mg_schema_ctx *ctx, int tok, const char *path)
{
	int t = mg_json_lookup(ctx->doc, tok, path);

	return t >= 0 ? t : tok;
}

static int
validate_appliance(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	struct mg_cfg_appliance *ap = base;
	char path[64], list[MG_CFG_MAX_IFACES * MG_CFG_IFACE_NAME_MAX + 16];
	char ex[MG_JSON_EXCERPT_MAX];
	int i, j, rc = 0;

	(void)o;
	for (i = 0; i < ap->n_ifaces; i++) {
		const struct mg_cfg_iface *a = &ap->ifaces[i];
		size_t alen = strcspn(a->device, ",");

		for (j = 0; j < i; j++) {
			const struct mg_cfg_iface *b = &ap->ifaces[j];

			if (a->name[0] != '\0' && strcmp(a->name, b->name) == 0) {
				snprintf(path, sizeof(path), "interfaces[%d].name", i);
				mg_json_error(
				    ctx->doc, tok_at(ctx, tok, path),
				    "interface name '%s' is already used by interfaces[%d]",
				    a->name, j);
				rc = -EINVAL;
			}
			if (a->device[0] != '\0' && alen == strcspn(b->device, ",") &&
			    memcmp(a->device, b->device, alen) == 0) {
				snprintf(path, sizeof(path), "interfaces[%d].device", i);
				mg_json_error(ctx->doc, tok_at(ctx, tok, path),
				              "device '%.*s' is already used by interface '%s'",
				              (int)alen, a->device, b->name);
				rc = -EINVAL;
			}
		}
	}

	ap->admin.iface = -1;
	if (ap->admin.iface_name[0] != '\0') {
		for (i = 0; i < ap->n_ifaces; i++) {
			if (strcmp(ap->ifaces[i].name, ap->admin.iface_name) == 0) {
				ap->admin.iface = i;
				break;
			}
		}
		if (ap->admin.iface < 0 && ap->n_ifaces > 0) {
			list[0] = '\0';
			for (i = 0; i < ap->n_ifaces; i++) {
				size_t n = strlen(list);

				/* Names that failed to parse are empty: leave them out. */
				if (ap->ifaces[i].name[0] != '\0')
					snprintf(list + n, sizeof(list) - n, "%s'%s'",
					         n > 0 ? ", " : "", ap->ifaces[i].name);
			}
			mg_json_error(ctx->doc, tok_at(ctx, tok, "admin.interface"),
			              "'%s' is not one of the interfaces (%s)",
			              mg_json_excerpt(ctx->doc, tok_at(ctx, tok, "admin.interface"),
			                              ex, sizeof(ex)),
			              list);
			rc = -EINVAL;
		}
	}

	if (ap->admin.port != 0 && ap->diag.echo_port == ap->admin.port) {
		mg_json_error(ctx->doc, tok_at(ctx, tok, "diagnostics.echoPort"),
		              "port %u is already used by the admin listener", ap->admin.port);
		rc = -EINVAL;
	}
	if (ap->admin.port != 0 && ap->diag.discard_port == ap->admin.port) {
		mg_json_error(ctx->doc, tok_at(ctx, tok, "diagnostics.discardPort"),
		              "port %u is already used by the admin listener", ap->admin.port);
		rc = -EINVAL;
	}
	if (ap->diag.echo_port != 0 && ap->diag.echo_port == ap->diag.discard_port) {
		mg_json_error(ctx->doc, tok_at(ctx, tok, "diagnostics.discardPort"),
		              "port %u is already used by echoPort", ap->diag.echo_port);
		rc = -EINVAL;
	}
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Tables                                                                                     */

static const struct mg_schema_field iface_fields[] = {
    {.name = "name",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_iface, name),
     .min = 1,
     .check = check_iface_name},
    {.name = "device",
     .type = MG_SCHEMA_STRING,
     MG_SCHEMA_MEMBER(struct mg_cfg_iface, device),
     .min = 1,
     .check = check_device},
    {.name = "address",
     .type = MG_SCHEMA_CUSTOM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_iface, addr),
     .parse = parse_address},
    {.name = "gateway",
     .type = MG_SCHEMA_CUSTOM,
     MG_SCHEMA_MEMBER(struct mg_cfg_iface, gateway),
     .parse = parse_gateway},
    {.name = "mtu",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_iface, mtu),
     .min = 576,
     .max = 9000,
     .def = MG_CFG_DEFAULT_MTU},
};

static const struct mg_schema_object iface_obj = {
    .name = "interface",
    .size = sizeof(struct mg_cfg_iface),
    .fields = iface_fields,
    .n_fields = MG_SCHEMA_COUNT(iface_fields),
    .validate = validate_iface,
};

static const struct mg_schema_field iface_elem = {
    .name = "interface",
    .type = MG_SCHEMA_OBJECT,
    .size = sizeof(struct mg_cfg_iface),
    .object = &iface_obj,
};

static const struct mg_schema_field admin_fields[] = {
    {.name = "interface",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_admin, iface_name),
     .min = 1},
    {.name = "port",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_admin, port),
     .min = 1,
     .max = 65535},
};

static const struct mg_schema_object admin_obj = {
    .name = "admin",
    .size = sizeof(struct mg_cfg_admin),
    .fields = admin_fields,
    .n_fields = MG_SCHEMA_COUNT(admin_fields),
};

static const struct mg_schema_field diag_fields[] = {
    {.name = "echoPort",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_diag, echo_port),
     .min = 1,
     .max = 65535},
    {.name = "discardPort",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_diag, discard_port),
     .min = 1,
     .max = 65535},
};

static const struct mg_schema_object diag_obj = {
    .name = "diagnostics",
    .size = sizeof(struct mg_cfg_diag),
    .fields = diag_fields,
    .n_fields = MG_SCHEMA_COUNT(diag_fields),
};

static const struct mg_schema_field dataplane_fields[] = {
    {.name = "mbufs",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_dataplane, mbufs),
     .min = 1024,
     .max = 1048576,
     .def = MG_CFG_DEFAULT_MBUFS},
    {.name = "rxDescriptors",
     .type = MG_SCHEMA_INT,
     .flags = MG_SCHEMA_F_POW2,
     MG_SCHEMA_MEMBER(struct mg_cfg_dataplane, rx_desc),
     .min = 64,
     .max = 4096,
     .def = MG_CFG_DEFAULT_RX_DESC},
    {.name = "txDescriptors",
     .type = MG_SCHEMA_INT,
     .flags = MG_SCHEMA_F_POW2,
     MG_SCHEMA_MEMBER(struct mg_cfg_dataplane, tx_desc),
     .min = 64,
     .max = 4096,
     .def = MG_CFG_DEFAULT_TX_DESC},
    {.name = "burst",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_dataplane, burst),
     .min = 1,
     .max = 64,
     .def = MG_CFG_DEFAULT_BURST},
};

static const struct mg_schema_object dataplane_obj = {
    .name = "dataplane",
    .size = sizeof(struct mg_cfg_dataplane),
    .fields = dataplane_fields,
    .n_fields = MG_SCHEMA_COUNT(dataplane_fields),
};

static const struct mg_schema_field appliance_fields[] = {
    {.name = "interfaces",
     .type = MG_SCHEMA_ARRAY,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_appliance, ifaces),
     .min = 1,
     .max = MG_CFG_MAX_IFACES,
     .elem = &iface_elem,
     .count_offset = offsetof(struct mg_cfg_appliance, n_ifaces)},
    {.name = "admin",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_appliance, admin),
     .object = &admin_obj},
    {.name = "diagnostics",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct mg_cfg_appliance, diag),
     .object = &diag_obj},
    {.name = "dataplane",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct mg_cfg_appliance, dataplane),
     .object = &dataplane_obj},
};

static const struct mg_schema_object appliance_obj = {
    .name = "appliance",
    .size = sizeof(struct mg_cfg_appliance),
    .fields = appliance_fields,
    .n_fields = MG_SCHEMA_COUNT(appliance_fields),
    .validate = validate_appliance,
};

/*
 * The top level. The App Mesh sections (mesh, virtualGateway, gatewayRoutes, virtualServices,
 * virtualRouters, routes, virtualNodes) will each be one more line here.
 */
static const struct mg_schema_field root_fields[] = {
    {.name = "appliance",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_config, appliance),
     .object = &appliance_obj},
};

const struct mg_schema_object mg_config_schema = {
    .name = "configuration",
    .size = sizeof(struct mg_config),
    .fields = root_fields,
    .n_fields = MG_SCHEMA_COUNT(root_fields),
};

/* ------------------------------------------------------------------------------------------ */
/* Loading                                                                                    */

int
mg_config_parse(struct mg_config *cfg, const char *text, size_t len, const char *filename,
                struct mg_cfg_errors *errs)
{
	struct mg_json_doc doc;
	struct mg_schema_ctx ctx = {&doc, cfg};
	int rc;

	mg_json_errors_init(&errs->list, filename);
	memset(cfg, 0, sizeof(*cfg));
	rc = mg_json_parse(&doc, text, len, &errs->list);
	if (doc.n_toks > 0)
		mg_schema_parse(&ctx, &mg_config_schema, 0, cfg);
	mg_json_doc_free(&doc);
	if (rc == -EFBIG || rc == -ENOMEM)
		return rc;
	return mg_json_errors_total(&errs->list) == 0 ? 0 : -EINVAL;
}

int
mg_config_load_file(struct mg_config *cfg, const char *path, struct mg_cfg_errors *errs)
{
	size_t cap = 64 * 1024, len = 0;
	char *buf = NULL, *nb;
	struct stat st;
	ssize_t r;
	int fd, rc;

	mg_json_errors_init(&errs->list, path);
	memset(cfg, 0, sizeof(*cfg));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		mg_json_errors_add(&errs->list, "cannot open: %s", strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
	    (uint64_t)st.st_size < MG_CFG_MAX_FILE_SIZE)
		cap = (size_t)st.st_size + 1;
	for (;;) {
		if (len == cap || buf == NULL) {
			if (buf != NULL)
				cap = cap * 2 > MG_CFG_MAX_FILE_SIZE + 1 ? MG_CFG_MAX_FILE_SIZE + 1
				                                         : cap * 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				rc = -ENOMEM;
				mg_json_errors_add(&errs->list, "out of memory reading the file");
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			mg_json_errors_add(&errs->list, "cannot read: %s", strerror(-rc));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > MG_CFG_MAX_FILE_SIZE) {
			rc = -EFBIG;
			mg_json_errors_add(&errs->list, "file is larger than %u MiB",
			                   MG_CFG_MAX_FILE_SIZE >> 20);
			goto out;
		}
	}
	rc = mg_config_parse(cfg, buf, len, path, errs);
out:
	free(buf);
	close(fd);
	return rc;
}

unsigned long
mg_cfg_errors_count(const struct mg_cfg_errors *errs)
{
	return mg_json_errors_total(&errs->list);
}

void
mg_cfg_errors_print(const struct mg_cfg_errors *errs, FILE *out)
{
	mg_json_errors_print(&errs->list, out);
}

void
mg_cfg_errors_free(struct mg_cfg_errors *errs)
{
	errs->list.count = 0;
	errs->list.dropped = 0;
}

const char *
mg_cfg_iface_name(const struct mg_config *cfg, int i)
{
	if (i < 0 || i >= cfg->appliance.n_ifaces)
		return "";
	return cfg->appliance.ifaces[i].name;
}
