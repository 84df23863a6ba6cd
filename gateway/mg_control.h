/*
 * The gateway's control operations, as main.c implements them, for the admin API.
 * All run on the worker, between two polls (the admin service's callbacks run there).
 */
#ifndef MG_CONTROL_H
#define MG_CONTROL_H

#include <stddef.h>

/*
 * mg_control_reload() reloads the configuration as SIGHUP does and writes the outcome (one
 * line: the new generation, or why the running one stays) into <msg>.  Returns 0 when a new
 * generation is in service, or a negative errno.
 */
int mg_control_reload(char *msg, size_t cap);

/* mg_control_unhealthy() is NULL when the gateway can serve, else why it cannot. */
const char *mg_control_unhealthy(void);

/*
 * mg_control_config() gives the text of the running configuration file as it was read when
 * its generation went into service (NULL with --demo before any reload: the embedded demo),
 * its path and generation.
 */
const char *mg_control_config(const char **path, unsigned int *generation, size_t *len);

#endif /* MG_CONTROL_H */
