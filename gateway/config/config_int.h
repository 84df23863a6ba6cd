/*
 * Internal interface between the configuration's source files (config.c: the top level, the
 * appliance and loading; vgw.c: the App Mesh VirtualGateway). Not for the rest of the gateway,
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

/* The JSON path of the listener's port, from the root object, for messages and lookups. */
#define MG_CFG_VGW_PORT_PATH "virtualGateway.spec.listeners[0].portMapping.port"

#endif /* MG_CONFIG_CONFIG_INT_H */
