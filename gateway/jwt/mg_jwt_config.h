/*
 * From a loaded configuration (appliance.jwt) to a verifier (mg_jwt.h), on the control path.
 */
#ifndef MG_JWT_CONFIG_H
#define MG_JWT_CONFIG_H

#include <stddef.h>

#include "gateway/config/config.h"
#include "mg_jwt.h"

/*
 * Builds a context for <cfg>: one provider per appliance.jwt provider, at the same index (so
 * the key fetcher finds a remote provider's `jwks.remote` / `jwks.discovery` settings at
 * cfg->appliance.jwt.providers[i] for mg_jwt_provider_get(ctx, i)), and one requirement per
 * rule.  Key sets from `file` and `inline` are installed now; remote and discovery providers
 * start without keys (their tokens are refused with no_keys until the fetcher calls
 * mg_jwt_provider_set_keys()) and want a refresh at once.  <route_req> (cfg->n_gateway_routes
 * entries) receives, per gateway route index, its requirement index or -1 (no requirement:
 * the route passes untouched).  Returns the context, or NULL with a message in <err>
 * (<errlen> bytes) naming the provider and the problem (unreadable file, invalid JWKS or
 * secret).  Returns NULL with an empty <err> when cfg has no appliance.jwt.
 */
struct mg_jwt_ctx *mg_jwt_ctx_from_config(const struct mg_config *cfg, int *route_req, char *err,
                                          size_t errlen);

#endif /* MG_JWT_CONFIG_H */
