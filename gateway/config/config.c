/*
 * The Meshgate configuration: schema tables, value parsers and cross-field rules of the
 * top level and the `appliance` section, and loading. The `virtualGateway` section is in
 * vgw.c, the other App Mesh sections, appliance.endpoints and the rules across resources in
 * mesh.c. See config.h for the API and docs/CONFIG.md for the user reference.
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

#include "config_int.h"
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

/* "staticUpstream.address": a unicast IPv4 address; fills upstream_addr of the proxy. */
static int
parse_upstream_address(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                       void *base)
{
	struct mg_cfg_proxy *px = base;
	char buf[ADDR_TEXT_MAX], ex[MG_JSON_EXCERPT_MAX];
	const char *why;
	uint32_t a;
	int n;

	(void)f;
	n = addr_text(ctx, tok, buf, sizeof(buf), "10.0.0.10");
	if (n < 0)
		return -EINVAL;
	if (mg_cfg_parse_ipv4(buf, (size_t)n, &a) < 0) {
		mg_json_error(ctx->doc, tok, "'%s' is not an IPv4 address like 10.0.0.10",
		              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)));
		return -EINVAL;
	}
	why = unicast_error(a);
	if (why != NULL) {
		mg_json_error(ctx->doc, tok, "upstream %s %s", buf, why);
		return -EINVAL;
	}
	px->upstream_addr = a;
	return 0;
}

int
mg_cfg_server_name_check(const char *s, char *why, size_t size)
{
	size_t len = strlen(s), i, label = 0;
	uint32_t a;

	if (s[0] == '*') {
		if (s[1] != '.') {
			snprintf(why, size,
			         "a wildcard is a whole first label '*' followed by '.'");
			return -EINVAL;
		}
		s += 2;
		len -= 2;
		if (strchr(s, '.') == NULL) {
			snprintf(why, size, "a wildcard needs at least two labels after '*.'");
			return -EINVAL;
		}
	}
	if (len == 0) {
		snprintf(why, size, "the name is empty");
		return -EINVAL;
	}
	if (mg_cfg_parse_ipv4(s, len, &a) == 0) {
		snprintf(why, size,
		         "an IP address is not a server name (SNI carries DNS names only)");
		return -EINVAL;
	}
	for (i = 0; i <= len; i++) {
		char c = s[i];

		if (i == len || c == '.') {
			if (label == 0) {
				snprintf(why, size,
				         "empty label (a leading, trailing or double '.')");
				return -EINVAL;
			}
			if (s[i - 1] == '-') {
				snprintf(why, size, "a label ends with '-'");
				return -EINVAL;
			}
			label = 0;
			continue;
		}
		if (c == '*') {
			snprintf(why, size, "'*' is only allowed as the whole first label");
			return -EINVAL;
		}
		if (!(is_dec(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) {
			snprintf(why, size, "labels are made of letters, digits and '-'");
			return -EINVAL;
		}
		if (label == 0 && c == '-') {
			snprintf(why, size, "a label starts with '-'");
			return -EINVAL;
		}
		if (++label > 63) {
			snprintf(why, size, "a label is longer than 63 characters");
			return -EINVAL;
		}
	}
	return 0;
}

/* additionalCertificates[].serverNames[]: a DNS name or wildcard, stored in lower case. */
static int
check_server_name(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	char *s = (char *)base + f->offset;
	char why[128], ex[MG_JSON_EXCERPT_MAX];
	size_t i;

	if (mg_cfg_server_name_check(s, why, sizeof(why)) < 0) {
		mg_json_error(ctx->doc, tok,
		              "'%s' is not a DNS name or a wildcard like *.example.com: %s",
		              mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)), why);
		return -EINVAL;
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	}
	return 0;
}

/* staticUpstream.serverName: an exact DNS name (SNI carries no wildcards), lower-cased. */
static int
check_upstream_sni(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	const char *s = (const char *)base + f->offset;
	char ex[MG_JSON_EXCERPT_MAX];

	if (s[0] == '*') {
		mg_json_error(
		    ctx->doc, tok,
		    "'%s': the name sent to the upstream (SNI) is one exact DNS name, not a "
		    "wildcard",
		    mg_json_excerpt(ctx->doc, tok, ex, sizeof(ex)));
		return -EINVAL;
	}
	return check_server_name(ctx, f, tok, base);
}

/*
 * "alpn": a non-empty array of distinct protocol names; sets alpn_http11 / alpn_h2 of the
 * proxy ("h2" needs a listener whose portMapping.protocol is http2 or grpc: checked at start).
 */
static int
parse_alpn(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	struct mg_cfg_proxy *px = base;
	char ex[MG_JSON_EXCERPT_MAX];
	int e, rc = 0;

	(void)f;
	if (mg_json_type(ctx->doc, tok) != MG_JSON_ARRAY) {
		mg_json_error(ctx->doc, tok, "expected an array, got %s",
		              mg_json_type_name(mg_json_type(ctx->doc, tok)));
		return -EINVAL;
	}
	if (mg_json_size(ctx->doc, tok) == 0) {
		mg_json_error(ctx->doc, tok, "must not be empty (leave it out for [\"http/1.1\"])");
		return -EINVAL;
	}
	for (e = mg_json_elem_first(ctx->doc, tok); e >= 0; e = mg_json_elem_next(ctx->doc, e)) {
		if (mg_json_is_bad(ctx->doc, e))
			continue;
		if (mg_json_type(ctx->doc, e) != MG_JSON_STRING) {
			mg_json_error(ctx->doc, e, "expected a string, got %s",
			              mg_json_type_name(mg_json_type(ctx->doc, e)));
			rc = -EINVAL;
		} else if (mg_json_str_eq(ctx->doc, e, "http/1.1")) {
			if (px->alpn_http11) {
				mg_json_error(ctx->doc, e, "'http/1.1' is listed twice");
				rc = -EINVAL;
			}
			px->alpn_http11 = true;
		} else if (mg_json_str_eq(ctx->doc, e, "h2")) {
			if (px->alpn_h2) {
				mg_json_error(ctx->doc, e, "'h2' is listed twice");
				rc = -EINVAL;
			}
			px->alpn_h2 = true;
		} else {
			mg_json_error(ctx->doc, e, "'%s' is not valid (expected http/1.1 or h2)",
			              mg_json_excerpt(ctx->doc, e, ex, sizeof(ex)));
			rc = -EINVAL;
		}
	}
	return rc;
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

	/* The redirect listener is on every interface, like the diagnostics. */
	if (ap->proxy.https_redirect_port != 0) {
		static const char *const names[] = {"appliance.admin.port",
		                                    "appliance.diagnostics.echoPort",
		                                    "appliance.diagnostics.discardPort"};
		const uint16_t ports[] = {ap->admin.port, ap->diag.echo_port,
		                          ap->diag.discard_port};

		for (i = 0; i < 3; i++) {
			if (ports[i] != ap->proxy.https_redirect_port)
				continue;
			mg_json_error(ctx->doc, tok_at(ctx, tok, "proxy.httpsRedirectPort"),
			              "port %u is already used by %s", ports[i], names[i]);
			rc = -EINVAL;
			break;
		}
	}
	/* No protocol listed (the default, or an error already reported): HTTP/1.1, and h2
	 * first on an http2 or grpc listener (decided where the listener starts). */
	if (!ap->proxy.alpn_http11 && !ap->proxy.alpn_h2) {
		ap->proxy.alpn_http11 = true;
		ap->proxy.alpn_default = true;
	}
	return rc;
}

static int
validate_upstream(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	struct mg_cfg_proxy *px = base;

	(void)ctx;
	(void)o;
	(void)tok;
	px->has_upstream = true;
	return 0;
}

static int
validate_proxy(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	struct mg_cfg_proxy *px = base;
	char path[96];
	int i, j, k, l, rc = 0;

	(void)o;
	if (px->max_idle_per_endpoint > px->max_conns_per_endpoint) {
		mg_json_error(ctx->doc, tok_at(ctx, tok, "maxIdleConnectionsPerEndpoint"),
		              "%u is more than maxConnectionsPerEndpoint (%u)",
		              px->max_idle_per_endpoint, px->max_conns_per_endpoint);
		rc = -EINVAL;
	}
	/* A server name picks one certificate: no name may be listed twice. */
	for (i = 0; i < px->n_extra_certs; i++) {
		const struct mg_cfg_extra_cert *a = &px->extra_certs[i];

		for (j = 0; j < a->n_names; j++) {
			bool dup = false;

			if (a->names[j][0] == '\0')
				continue;
			for (k = 0; k <= i && !dup; k++) {
				const struct mg_cfg_extra_cert *b = &px->extra_certs[k];

				for (l = 0; l < (k == i ? j : b->n_names) && !dup; l++) {
					if (strcmp(a->names[j], b->names[l]) != 0)
						continue;
					snprintf(path, sizeof(path),
					         "additionalCertificates[%d].serverNames[%d]", i,
					         j);
					mg_json_error(ctx->doc, tok_at(ctx, tok, path),
					              "server name '%s' is already listed in "
					              "additionalCertificates[%d]",
					              a->names[j], k);
					dup = true;
					rc = -EINVAL;
				}
			}
		}
	}
	return rc;
}

/*
 * Rules across the sections: the App Mesh resources' references (mesh.c), then the virtual
 * gateway's listener and the appliance's own listeners. Zero ports are absent or already
 * reported.
 */
static int
validate_config(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	const struct mg_config *cfg = base;
	const struct mg_cfg_appliance *ap = &cfg->appliance;
	const struct mg_cfg_listener *l = &cfg->virtual_gateway.listener;
	const struct mg_cfg_proxy *px = &ap->proxy;
	bool tls;
	int rc = 0;

	(void)o;
	if (mg_cfg_mesh_resolve(ctx, base) < 0)
		rc = -EINVAL;
	if (mg_cfg_jwt_resolve(ctx, base) < 0)
		rc = -EINVAL;
	if (!cfg->has_virtual_gateway)
		return rc;
	if (l->port != 0) {
		int ptok = tok_at(ctx, tok, MG_CFG_VGW_PORT_PATH);

		if (l->port == ap->admin.port) {
			mg_json_error(ctx->doc, ptok,
			              "port %u is already used by the admin listener "
			              "(appliance.admin.port, on interface '%s')",
			              l->port, ap->admin.iface_name);
			rc = -EINVAL;
		}
		if (l->port == ap->diag.echo_port) {
			mg_json_error(ctx->doc, ptok,
			              "port %u is already used by appliance.diagnostics.echoPort",
			              l->port);
			rc = -EINVAL;
		}
		if (l->port == ap->diag.discard_port) {
			mg_json_error(
			    ctx->doc, ptok,
			    "port %u is already used by appliance.diagnostics.discardPort",
			    l->port);
			rc = -EINVAL;
		}
		if (l->port == px->https_redirect_port) {
			mg_json_error(
			    ctx->doc, tok_at(ctx, tok, "appliance.proxy.httpsRedirectPort"),
			    "port %u is already used by the listener (" MG_CFG_VGW_PORT_PATH ")",
			    l->port);
			rc = -EINVAL;
		}
	}
	/* Only a listener that can speak TLS has a use for these. */
	tls = l->tls_mode == MG_CFG_TLS_STRICT || l->tls_mode == MG_CFG_TLS_PERMISSIVE;
	if (!tls && px->https_redirect_port != 0 && px->https_redirect_port != l->port) {
		mg_json_error(ctx->doc, tok_at(ctx, tok, "appliance.proxy.httpsRedirectPort"),
		              "redirects to https, but the listener does not terminate TLS (it "
		              "needs virtualGateway.spec.listeners[0].tls with mode STRICT or "
		              "PERMISSIVE)");
		rc = -EINVAL;
	}
	if (!tls && px->n_extra_certs > 0) {
		mg_json_error(
		    ctx->doc, tok_at(ctx, tok, "appliance.proxy.additionalCertificates"),
		    "additional certificates are served by a TLS listener, but the listener "
		    "does not terminate TLS (it needs virtualGateway.spec.listeners[0].tls "
		    "with mode STRICT or PERMISSIVE)");
		rc = -EINVAL;
	}
	if (px->has_upstream && mg_cfg_upstream_tls(cfg) != NULL &&
	    cfg->virtual_gateway.backend_tls.san.n == 0 && px->upstream_sni[0] == '\0') {
		mg_json_error(
		    ctx->doc, tok_at(ctx, tok, "appliance.proxy.staticUpstream"),
		    "TLS is originated to this upstream (virtualGateway.spec."
		    "backendDefaults.clientPolicy.tls), so its certificate must be checked "
		    "against a name: give staticUpstream.serverName, or the policy's "
		    "validation.subjectAlternativeNames");
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
    {.name = "token",
     .type = MG_SCHEMA_STRING,
     MG_SCHEMA_MEMBER(struct mg_cfg_admin, token),
     .min = 16},
    {.name = "tokenFile",
     .type = MG_SCHEMA_STRING,
     MG_SCHEMA_MEMBER(struct mg_cfg_admin, token_file),
     .min = 1},
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
    {.name = "workers",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_dataplane, workers),
     .min = 1,
     .max = MG_CFG_MAX_WORKERS,
     .def = 1},
};

static const struct mg_schema_object dataplane_obj = {
    .name = "dataplane",
    .size = sizeof(struct mg_cfg_dataplane),
    .fields = dataplane_fields,
    .n_fields = MG_SCHEMA_COUNT(dataplane_fields),
};

static const struct mg_schema_field upstream_fields[] = {
    {.name = "address",
     .type = MG_SCHEMA_CUSTOM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, upstream_addr),
     .parse = parse_upstream_address},
    {.name = "port",
     .type = MG_SCHEMA_INT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, upstream_port),
     .min = 1,
     .max = 65535},
    {.name = "serverName",
     .type = MG_SCHEMA_STRING,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, upstream_sni),
     .min = 1,
     .check = check_upstream_sni},
};

/* Laid over struct mg_cfg_proxy, whose upstream members it fills. */
static const struct mg_schema_object upstream_obj = {
    .name = "staticUpstream",
    .size = sizeof(struct mg_cfg_proxy),
    .fields = upstream_fields,
    .n_fields = MG_SCHEMA_COUNT(upstream_fields),
    .validate = validate_upstream,
};

static const struct mg_schema_field server_name_elem = {
    .name = "serverName",
    .type = MG_SCHEMA_STRING,
    .size = MG_SCHEMA_SIZEOF(struct mg_cfg_extra_cert, names[0]),
    .min = 1,
    .check = check_server_name,
};

static const struct mg_schema_field extra_cert_fields[] = {
    {.name = "certificateChain",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_extra_cert, cert.chain),
     .min = 1},
    {.name = "privateKey",
     .type = MG_SCHEMA_STRING,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_extra_cert, cert.key),
     .min = 1},
    {.name = "serverNames",
     .type = MG_SCHEMA_ARRAY,
     MG_SCHEMA_MEMBER(struct mg_cfg_extra_cert, names),
     .min = 1,
     .max = MG_CFG_MAX_SERVER_NAMES,
     .elem = &server_name_elem,
     .count_offset = offsetof(struct mg_cfg_extra_cert, n_names)},
};

static const struct mg_schema_object extra_cert_obj = {
    .name = "additional certificate",
    .size = sizeof(struct mg_cfg_extra_cert),
    .fields = extra_cert_fields,
    .n_fields = MG_SCHEMA_COUNT(extra_cert_fields),
};

static const struct mg_schema_field extra_cert_elem = {
    .name = "additional certificate",
    .type = MG_SCHEMA_OBJECT,
    .size = sizeof(struct mg_cfg_extra_cert),
    .object = &extra_cert_obj,
};

static const struct mg_schema_field proxy_fields[] = {
    {.name = "staticUpstream",
     .type = MG_SCHEMA_OBJECT,
     .offset = 0,
     .size = sizeof(struct mg_cfg_proxy),
     .object = &upstream_obj},
    {.name = "additionalCertificates",
     .type = MG_SCHEMA_ARRAY,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, extra_certs),
     .min = 1,
     .max = MG_CFG_MAX_EXTRA_CERTS,
     .elem = &extra_cert_elem,
     .count_offset = offsetof(struct mg_cfg_proxy, n_extra_certs)},
    {.name = "alpn",
     .type = MG_SCHEMA_CUSTOM,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, alpn_http11),
     .parse = parse_alpn},
    {.name = "sessionTicketLifetimeSeconds",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, session_ticket_lifetime_s),
     .min = 60,
     .max = 86400,
     .def = MG_CFG_DEFAULT_TICKET_LIFETIME_S},
    {.name = "handshakeTimeoutMs",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, handshake_timeout_ms),
     .min = 1000,
     .max = 60000,
     .def = MG_CFG_DEFAULT_HANDSHAKE_TIMEOUT_MS},
    {.name = "requestHeaderTimeoutMs",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, request_header_timeout_ms),
     .min = 1000,
     .max = 300000,
     .def = MG_CFG_DEFAULT_HEADER_TIMEOUT_MS},
    {.name = "idleTimeoutMs",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, idle_timeout_ms),
     .min = 1000,
     .max = 3600000,
     .def = MG_CFG_DEFAULT_IDLE_TIMEOUT_MS},
    {.name = "connectTimeoutMs",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, connect_timeout_ms),
     .min = 100,
     .max = 60000,
     .def = MG_CFG_DEFAULT_CONNECT_TIMEOUT_MS},
    {.name = "maxRequestHeaderBytes",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, max_request_header_bytes),
     .min = 1024,
     .max = 1048576,
     .def = MG_CFG_DEFAULT_MAX_HEADER_BYTES},
    {.name = "maxRequestBodyBytes",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, max_request_body_bytes),
     .min = 0,
     .max = (int64_t)1 << 53},
    {.name = "httpsRedirectPort",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, https_redirect_port),
     .min = 1,
     .max = 65535},
    {.name = "maxConnectionsPerEndpoint",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, max_conns_per_endpoint),
     .min = 1,
     .max = 65535,
     .def = MG_CFG_DEFAULT_MAX_CONNS_PER_ENDPOINT},
    {.name = "maxIdleConnectionsPerEndpoint",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_proxy, max_idle_per_endpoint),
     .min = 0,
     .max = 65535,
     .def = MG_CFG_DEFAULT_MAX_IDLE_PER_ENDPOINT},
};

static const struct mg_schema_object proxy_obj = {
    .name = "proxy",
    .size = sizeof(struct mg_cfg_proxy),
    .fields = proxy_fields,
    .n_fields = MG_SCHEMA_COUNT(proxy_fields),
    .validate = validate_proxy,
};

/* appliance.dns.resolvers[]: an element is the uint32_t it fills. */
static int
parse_resolver(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	(void)f;
	return mg_cfg_parse_host_ipv4(ctx, tok, base, "10.0.0.2");
}

static int
validate_dns(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	struct mg_cfg_dns *dns = base;
	char path[32];
	int i, j, rc = 0;

	(void)o;
	dns->present = true;
	for (i = 0; i < dns->n_resolvers; i++) {
		for (j = 0; j < i && dns->resolvers[i] != 0; j++) {
			if (dns->resolvers[j] != dns->resolvers[i])
				continue;
			snprintf(path, sizeof(path), "resolvers[%d]", i);
			mg_json_error(ctx->doc, tok_at(ctx, tok, path),
			              "this resolver is already listed (resolvers[%d])", j);
			rc = -EINVAL;
			break;
		}
	}
	return rc;
}

static const struct mg_schema_field resolver_elem = {
    .name = "resolver",
    .type = MG_SCHEMA_CUSTOM,
    .size = sizeof(uint32_t),
    .parse = parse_resolver,
};

static const struct mg_schema_field dns_fields[] = {
    {.name = "resolvers",
     .type = MG_SCHEMA_ARRAY,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_dns, resolvers),
     .min = 1,
     .max = MG_CFG_MAX_RESOLVERS,
     .elem = &resolver_elem,
     .count_offset = offsetof(struct mg_cfg_dns, n_resolvers)},
    {.name = "timeoutMs",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_dns, timeout_ms),
     .min = 100,
     .max = 60000,
     .def = MG_CFG_DEFAULT_DNS_TIMEOUT_MS},
};

static const struct mg_schema_object dns_obj = {
    .name = "dns",
    .size = sizeof(struct mg_cfg_dns),
    .fields = dns_fields,
    .n_fields = MG_SCHEMA_COUNT(dns_fields),
    .validate = validate_dns,
};

/* appliance.syslog */
static int
parse_syslog_addr(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok, void *base)
{
	/* <base> is the syslog object; the address is at the field's offset. */
	return mg_cfg_parse_host_ipv4(ctx, tok, (uint32_t *)((char *)base + f->offset), "10.0.0.5");
}

static int
validate_syslog(struct mg_schema_ctx *ctx, const struct mg_schema_object *o, int tok, void *base)
{
	(void)ctx;
	(void)o;
	(void)tok;
	struct mg_cfg_syslog *sl = base;

	/* Defaults here, not in the table: an absent section stays all zero. */
	sl->present = true;
	if (sl->port == 0)
		sl->port = 514;
	if (sl->facility == 0)
		sl->facility = 16; /* local0 (0, kernel messages, is not allowed) */
	return 0;
}

static const struct mg_schema_field syslog_fields[] = {
    {.name = "address",
     .type = MG_SCHEMA_CUSTOM,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_cfg_syslog, addr),
     .parse = parse_syslog_addr},
    {.name = "port",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_syslog, port),
     .min = 1,
     .max = 65535},
    {.name = "facility",
     .type = MG_SCHEMA_INT,
     MG_SCHEMA_MEMBER(struct mg_cfg_syslog, facility),
     .min = 1,
     .max = 23},
};

static const struct mg_schema_object syslog_obj = {
    .name = "syslog",
    .size = sizeof(struct mg_cfg_syslog),
    .fields = syslog_fields,
    .n_fields = MG_SCHEMA_COUNT(syslog_fields),
    .validate = validate_syslog,
};

static const struct mg_schema_field fail_closed_elem = {
    .name = "virtualNodeName",
    .type = MG_SCHEMA_STRING,
    .size = MG_SCHEMA_SIZEOF(struct mg_cfg_appliance, fail_closed[0]),
    .min = 1,
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
    {.name = "proxy",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct mg_cfg_appliance, proxy),
     .object = &proxy_obj},
    {.name = "dns",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct mg_cfg_appliance, dns),
     .object = &dns_obj},
    {.name = "syslog",
     .type = MG_SCHEMA_OBJECT,
     MG_SCHEMA_MEMBER(struct mg_cfg_appliance, syslog),
     .object = &syslog_obj},
    {.name = "endpoints",
     .type = MG_SCHEMA_CUSTOM,
     MG_SCHEMA_MEMBER(struct mg_cfg_appliance, endpoint_sets),
     .parse = mg_cfg_endpoints_parse},
    {.name = "jwt",
     .type = MG_SCHEMA_CUSTOM,
     MG_SCHEMA_MEMBER(struct mg_cfg_appliance, jwt),
     .parse = mg_cfg_jwt_parse},
    {.name = "failClosed",
     .type = MG_SCHEMA_ARRAY,
     MG_SCHEMA_MEMBER(struct mg_cfg_appliance, fail_closed),
     .min = 0,
     .max = MG_CFG_MAX_FAIL_CLOSED,
     .elem = &fail_closed_elem,
     .count_offset = offsetof(struct mg_cfg_appliance, n_fail_closed)},
};

static const struct mg_schema_object appliance_obj = {
    .name = "appliance",
    .size = sizeof(struct mg_cfg_appliance),
    .fields = appliance_fields,
    .n_fields = MG_SCHEMA_COUNT(appliance_fields),
    .validate = validate_appliance,
};

/* A top-level App Mesh section parsed by mesh.c. */
#define MESH_SECTION(n, member)                                                                    \
	{                                                                                          \
		.name = n, .type = MG_SCHEMA_CUSTOM, MG_SCHEMA_MEMBER(struct mg_config, member),   \
		.parse = mg_cfg_mesh_parse                                                         \
	}

/* The top level. */
static const struct mg_schema_field root_fields[] = {
    {.name = "appliance",
     .type = MG_SCHEMA_OBJECT,
     .flags = REQ,
     MG_SCHEMA_MEMBER(struct mg_config, appliance),
     .object = &appliance_obj},
    {.name = "virtualGateway",
     .type = MG_SCHEMA_CUSTOM,
     MG_SCHEMA_MEMBER(struct mg_config, virtual_gateway),
     .parse = mg_cfg_vgw_parse},
    MESH_SECTION("mesh", mesh),
    MESH_SECTION("gatewayRoutes", gateway_routes),
    MESH_SECTION("virtualServices", virtual_services),
    MESH_SECTION("virtualRouters", virtual_routers),
    MESH_SECTION("routes", routes),
    MESH_SECTION("virtualNodes", virtual_nodes),
};

const struct mg_schema_object mg_config_schema = {
    .name = "configuration",
    .size = sizeof(struct mg_config),
    .fields = root_fields,
    .n_fields = MG_SCHEMA_COUNT(root_fields),
    .validate = validate_config,
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

void
mg_config_free(struct mg_config *cfg)
{
	mg_cfg_mesh_free(cfg);
	mg_cfg_jwt_free(cfg);
	memset(cfg, 0, sizeof(*cfg));
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

const struct mg_cfg_client_tls *
mg_cfg_upstream_tls(const struct mg_config *cfg)
{
	const struct mg_cfg_client_tls *t = &cfg->virtual_gateway.backend_tls;
	int i;

	if (!cfg->has_virtual_gateway || !t->present || !t->enforce)
		return NULL;
	if (t->n_ports == 0)
		return t;
	for (i = 0; i < t->n_ports; i++)
		if (t->ports[i] == cfg->appliance.proxy.upstream_port)
			return t;
	return NULL;
}

const char *
mg_cfg_iface_name(const struct mg_config *cfg, int i)
{
	if (i < 0 || i >= cfg->appliance.n_ifaces)
		return "";
	return cfg->appliance.ifaces[i].name;
}
