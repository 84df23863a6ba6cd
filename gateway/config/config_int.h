/*
 * Internal interface between the configuration's source files (config.c: the top level, the
 * appliance and loading; vgw.c: the App Mesh VirtualGateway; mesh.c: the other App Mesh
 * resources, the appliance's endpoints and the cross-references). Not for the rest of the gateway,
 * which reads struct mg_config (config.h).
 */
#ifndef MG_CONFIG_CONFIG_INT_H
#define MG_CONFIG_CONFIG_INT_H

#include "config.h"
#include "schema.h"

/*
 * The parse callback (MG_SCHEMA_CUSTOM) of the top-level `virtualGateway` member: <base> is
 * the struct mg_config. Walks JSON value <tok> against mg_config_vgw_schema, reports every
 * problem (schema errors, App Mesh features Meshgate cannot honour, rules across the listener's
 * members) and, if <tok> is an object, fills cfg->virtual_gateway and sets
 * cfg->has_virtual_gateway (the result is only meaningful when no error was reported). Rules
 * that involve the appliance section are checked by the top-level validator in config.c.
 * Returns 0 or -EINVAL.
 */
int mg_cfg_vgw_parse(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                     void *base);

/*
 * The parse callback (MG_SCHEMA_CUSTOM) of the top-level `mesh`, `gatewayRoutes`,
 * `virtualServices`, `virtualRouters`, `routes` and `virtualNodes` members (told apart by
 * f->name): <base> is the struct mg_config. Walks <tok> against the section's tables, reports
 * every problem within each resource and stores the resources, allocated, in the config (also
 * after errors, for mg_config_free()). Returns 0 or -EINVAL.
 */
int mg_cfg_mesh_parse(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                      void *base);

/*
 * The parse callback of `appliance.endpoints`: <base> is the struct mg_cfg_appliance. Fills
 * endpoint_sets (names not resolved yet). Returns 0 or -EINVAL.
 */
int mg_cfg_endpoints_parse(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                           void *base);

/*
 * Resolves and checks every rule across resources once the whole document was walked (<ctx>'s
 * root is token 0): mesh names, duplicate names, references by name (stored as indices),
 * listener ports and protocols that must agree, static endpoints and DNS. Reports every
 * problem; returns 0 or -EINVAL.
 */
int mg_cfg_mesh_resolve(struct mg_schema_ctx *ctx, struct mg_config *cfg);

/* Frees the mesh resources and the appliance's endpoint sets of <cfg> (not zeroing it). */
void mg_cfg_mesh_free(struct mg_config *cfg);

/*
 * Reads JSON string <tok> as an IPv4 address a host may have (not 0/8, loopback, multicast or
 * reserved) into *<out> (host byte order); reports errors with <example> in the message.
 * Returns 0 or -EINVAL.
 */
int mg_cfg_parse_host_ipv4(struct mg_schema_ctx *ctx, int tok, uint32_t *out, const char *example);

/*
 * The parse callback of `appliance.jwt` (gateway/config/jwt.c): <base> is the struct
 * mg_cfg_appliance.  Fills appliance.jwt (names not resolved yet).  Returns 0 or -EINVAL.
 */
int mg_cfg_jwt_parse(struct mg_schema_ctx *ctx, const struct mg_schema_field *f, int tok,
                     void *base);

/*
 * Resolves appliance.jwt.routes' gateway route and provider names into indices, reporting
 * every name that matches nothing.  Returns 0 or -EINVAL.
 */
int mg_cfg_jwt_resolve(struct mg_schema_ctx *ctx, struct mg_config *cfg);

/* Frees what appliance.jwt owns (not zeroing it). */
void mg_cfg_jwt_free(struct mg_config *cfg);

/* The JWT tables, NULL-terminated, for table self-checks in tests. */
extern const struct mg_schema_object *const mg_config_jwt_schemas[];

/* The mesh sections' tables, NULL-terminated, for table self-checks in tests. */
extern const struct mg_schema_object *const mg_config_mesh_schemas[];

/* The JSON path of the listener's port, from the root object, for messages and lookups. */
#define MG_CFG_VGW_PORT_PATH "virtualGateway.spec.listeners[0].portMapping.port"

#endif /* MG_CONFIG_CONFIG_INT_H */
