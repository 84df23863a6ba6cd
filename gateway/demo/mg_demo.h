/*
 * The embedded demo configuration (gateway/demo/meshgate-demo.json).
 */
#ifndef MG_DEMO_H
#define MG_DEMO_H

#include <stddef.h>

extern const char mg_demo_config[]; /* not NUL-terminated */
extern const size_t mg_demo_config_len;

#endif /* MG_DEMO_H */
