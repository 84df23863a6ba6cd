/*
 * libFuzzer target: the configuration loader (gateway/config: json.c, schema.c, config.c,
 * vgw.c, mesh.c).
 *
 * The input is copied to a heap buffer of exactly its size, without a NUL after it, so that
 * any read past the end is caught by AddressSanitizer. Beyond not crashing or leaking, the
 * contracts are checked:
 *   - mg_config_parse() returns 0 exactly when it reported no error, and otherwise -EINVAL
 *     (or -EFBIG / -ENOMEM);
 *   - a configuration it accepts satisfies every documented range and cross-reference (the
 *     mesh resources' indices point at the resources they name);
 *   - whatever the outcome, mg_config_free() releases everything (LeakSanitizer checks);
 *   - the error list is sorted by offset, with bounded, terminated texts and valid positions;
 *   - over a document that parses, every accessor works on every token: paths and excerpts are
 *     terminated, decoded strings are valid UTF-8 (NUL bytes aside) and never longer than
 *     their source, and integers read back within their range.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/config.h"
#include "gateway/config/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static FILE *sink;

static bool
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* Returns true if <s>[0..n) is valid UTF-8 (NUL bytes allowed). */
static bool
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len, k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

static void
check_errors(const struct mg_json_errors *errs, size_t size)
{
	int i;

	CHECK(errs->count >= 0 && errs->count <= MG_JSON_ERR_MAX);
	CHECK(terminated(errs->file, sizeof(errs->file)));
	for (i = 0; i < errs->count; i++) {
		const struct mg_json_error *e = &errs->list[i];

		CHECK(terminated(e->path, sizeof(e->path)));
		CHECK(terminated(e->msg, sizeof(e->msg)));
		CHECK(e->msg[0] != '\0');
		if (e->line == 0)
			continue;
		CHECK(e->col >= 1);
		CHECK(e->offset <= size);
		CHECK(e->line <= size + 1 && e->col <= size + 1);
		if (i > 0 && errs->list[i - 1].line != 0)
			CHECK(errs->list[i - 1].offset <= e->offset);
	}
	mg_json_errors_print(errs, sink);
}

static void
check_config(const struct mg_config *cfg)
{
	const struct mg_cfg_appliance *ap = &cfg->appliance;
	int i;

	CHECK(ap->n_ifaces >= 1 && ap->n_ifaces <= MG_CFG_MAX_IFACES);
	for (i = 0; i < ap->n_ifaces; i++) {
		const struct mg_cfg_iface *ifc = &ap->ifaces[i];

		CHECK(terminated(ifc->name, sizeof(ifc->name)) && ifc->name[0] != '\0');
		CHECK(terminated(ifc->device, sizeof(ifc->device)));
		CHECK((ifc->device[0] == '\0') == (ifc->device_kind == MG_CFG_DEV_NONE));
		CHECK(ifc->prefix >= 1 && ifc->prefix <= 32);
		CHECK(ifc->netmask == (0xFFFFFFFFu << (32 - ifc->prefix)));
		CHECK(ifc->mtu >= 576 && ifc->mtu <= 9000);
		CHECK(ifc->gateway == 0 ||
		      ((ifc->gateway & ifc->netmask) == (ifc->addr & ifc->netmask) &&
		       ifc->gateway != ifc->addr));
	}
	CHECK(ap->admin.iface >= 0 && ap->admin.iface < ap->n_ifaces);
	CHECK(strcmp(ap->ifaces[ap->admin.iface].name, ap->admin.iface_name) == 0);
	CHECK(ap->admin.port >= 1);
	CHECK(ap->diag.echo_port != ap->admin.port && ap->diag.discard_port != ap->admin.port);
	CHECK(ap->diag.echo_port == 0 || ap->diag.echo_port != ap->diag.discard_port);
	CHECK(ap->dataplane.mbufs >= 1024 && ap->dataplane.mbufs <= 1048576);
	CHECK(ap->dataplane.rx_desc >= 64 && ap->dataplane.rx_desc <= 4096);
	CHECK((ap->dataplane.rx_desc & (ap->dataplane.rx_desc - 1)) == 0);
	CHECK(ap->dataplane.tx_desc >= 64 && ap->dataplane.tx_desc <= 4096);
	CHECK((ap->dataplane.tx_desc & (ap->dataplane.tx_desc - 1)) == 0);
	CHECK(ap->dataplane.burst >= 1 && ap->dataplane.burst <= 64);
}

static void
check_matches(const struct mg_cfg_header_match *h, int n)
{
	int i;

	CHECK(n >= 0 && n <= 10);
	for (i = 0; i < n; i++) {
		CHECK(h[i].name != NULL && h[i].name[0] != '\0' && strlen(h[i].name) <= 50);
		if (h[i].match.kind == MG_CFG_MATCH_RANGE)
			CHECK(h[i].match.range_start < h[i].match.range_end &&
			      h[i].match.value == NULL);
		else if (h[i].match.kind != MG_CFG_MATCH_NONE)
			CHECK(h[i].match.value != NULL && strlen(h[i].match.value) <= 255);
	}
}

/* The mesh resources of an accepted configuration: names set, every index valid. */
static void
check_mesh(const struct mg_config *cfg)
{
	int i, j, sum;

	for (i = 0; i < cfg->n_virtual_services; i++) {
		const struct mg_cfg_virtual_service *s = &cfg->virtual_services[i];

		CHECK(s->name != NULL);
		if (s->provider_kind == MG_CFG_PROVIDER_NODE)
			CHECK(s->provider_index >= 0 && s->provider_index < cfg->n_virtual_nodes &&
			      strcmp(cfg->virtual_nodes[s->provider_index].name,
			             s->provider_name) == 0);
		else if (s->provider_kind == MG_CFG_PROVIDER_ROUTER)
			CHECK(s->provider_index >= 0 &&
			      s->provider_index < cfg->n_virtual_routers &&
			      strcmp(cfg->virtual_routers[s->provider_index].name,
			             s->provider_name) == 0);
		else
			CHECK(s->provider_index == -1 && s->provider_name == NULL);
	}
	for (i = 0; i < cfg->n_gateway_routes; i++) {
		const struct mg_cfg_gateway_route *g = &cfg->gateway_routes[i];

		CHECK(cfg->has_virtual_gateway && g->name != NULL);
		CHECK(g->target_service_index >= 0 &&
		      g->target_service_index < cfg->n_virtual_services);
		CHECK(strcmp(cfg->virtual_services[g->target_service_index].name,
		             g->target_service) == 0);
		CHECK(!g->has_priority || g->priority <= 1000);
		CHECK(g->match.prefix == NULL || g->match.prefix[0] == '/');
		CHECK(g->match.prefix == NULL || g->match.path.kind == MG_CFG_MATCH_NONE);
		check_matches(g->match.headers, g->match.n_headers);
	}
	for (i = 0; i < cfg->n_routes; i++) {
		const struct mg_cfg_route *r = &cfg->routes[i];
		const struct mg_cfg_virtual_router *vr;
		bool listed = false;

		CHECK(r->name != NULL && r->router_index >= 0 &&
		      r->router_index < cfg->n_virtual_routers);
		vr = &cfg->virtual_routers[r->router_index];
		CHECK(strcmp(vr->name, r->router) == 0);
		for (j = 0; j < vr->n_routes; j++)
			listed |= vr->routes[j] == i;
		CHECK(listed);
		CHECK(r->n_targets >= 1 && r->n_targets <= 10);
		for (j = 0, sum = 0; j < r->n_targets; j++) {
			const struct mg_cfg_weighted_target *t = &r->targets[j];

			CHECK(t->node_index >= 0 && t->node_index < cfg->n_virtual_nodes);
			CHECK(strcmp(cfg->virtual_nodes[t->node_index].name, t->node) == 0);
			CHECK(cfg->virtual_nodes[t->node_index].n_listeners > 0);
			CHECK(t->weight <= 100);
			sum += t->weight;
		}
		CHECK(sum > 0);
		check_matches(r->match.headers, r->match.n_headers);
	}
	for (i = 0; i < cfg->n_virtual_nodes; i++) {
		const struct mg_cfg_virtual_node *n = &cfg->virtual_nodes[i];

		CHECK(n->name != NULL);
		CHECK(n->n_listeners == 0 || n->n_endpoints > 0 ||
		      (n->discovery == MG_CFG_DISCOVERY_DNS && n->dns_hostname != NULL &&
		       cfg->appliance.dns.present));
		for (j = 0; j < n->n_endpoints; j++)
			CHECK(n->endpoints[j].addr != 0);
	}
	for (i = 0; i < cfg->appliance.n_endpoint_sets; i++) {
		const struct mg_cfg_endpoint_set *s = &cfg->appliance.endpoint_sets[i];

		CHECK(s->node_index >= 0 && s->node_index < cfg->n_virtual_nodes);
		CHECK(s->n >= 1 && s->n <= MG_CFG_MAX_ENDPOINTS_PER_NODE);
	}
}

/* Runs every accessor over every token of a document that parsed into a tree. */
static void
walk_doc(const char *buf, size_t size)
{
	static struct mg_json_errors errs;
	struct mg_json_doc doc;
	char path[MG_JSON_PATH_MAX], ex[MG_JSON_EXCERPT_MAX], *dec;
	int i;

	mg_json_errors_init(&errs, "fuzz");
	mg_json_parse(&doc, buf, size, &errs);
	check_errors(&errs, size);
	dec = malloc(size + 1);
	CHECK(dec != NULL);
	for (i = 0; i < doc.n_toks; i++) {
		enum mg_json_type t = mg_json_type(&doc, i);
		size_t n;
		int64_t v;
		bool b;
		int k, count;

		CHECK(t != MG_JSON_INVALID);
		mg_json_path(&doc, i, path, sizeof(path));
		CHECK(terminated(path, sizeof(path)));
		mg_json_excerpt(&doc, i, ex, sizeof(ex));
		CHECK(terminated(ex, sizeof(ex)));
		switch (t) {
		case MG_JSON_STRING:
			if (mg_json_str_decode(&doc, i, dec, size + 1, &n) == 0) {
				CHECK(n <= size);
				CHECK(utf8_ok((const unsigned char *)dec, n));
				if (strlen(dec) == n && (doc.toks[i].flags & MG_JSON_TOK_KEY))
					CHECK(mg_json_obj_get(&doc, doc.toks[i].parent, dec) >= 0);
			} else {
				CHECK(mg_json_is_bad(&doc, i));
			}
			break;
		case MG_JSON_NUMBER:
			if (mg_json_get_int(&doc, i, -1000, 1000, &v) == 0)
				CHECK(v >= -1000 && v <= 1000);
			break;
		case MG_JSON_TRUE:
		case MG_JSON_FALSE:
			CHECK(mg_json_get_bool(&doc, i, &b) == 0 || mg_json_is_bad(&doc, i));
			break;
		case MG_JSON_OBJECT:
			count = 0;
			for (k = mg_json_member_first(&doc, i); k >= 0;
			     k = mg_json_member_next(&doc, k))
				CHECK(++count <= mg_json_size(&doc, i));
			break;
		case MG_JSON_ARRAY:
			count = 0;
			for (k = mg_json_elem_first(&doc, i); k >= 0;
			     k = mg_json_elem_next(&doc, k))
				count++;
			CHECK(count == mg_json_size(&doc, i));
			break;
		default:
			break;
		}
	}
	free(dec);
	mg_json_doc_free(&doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mg_config cfg;
	static struct mg_cfg_errors errs;
	char *buf;
	int rc;

	if (sink == NULL) {
		sink = fopen("/dev/null", "w");
		CHECK(sink != NULL);
	}
	buf = malloc(size > 0 ? size : 1);
	CHECK(buf != NULL);
	memcpy(buf, data, size);

	rc = mg_config_parse(&cfg, buf, size, "fuzz.json", &errs);
	CHECK(rc == 0 || rc == -EINVAL || rc == -EFBIG || rc == -ENOMEM);
	CHECK((rc == 0) == (mg_cfg_errors_count(&errs) == 0));
	check_errors(&errs.list, size);
	if (rc == 0) {
		check_config(&cfg);
		check_mesh(&cfg);
	}
	mg_cfg_errors_free(&errs);
	mg_config_free(&cfg);

	walk_doc(buf, size);
	free(buf);
	return 0;
}
