/*
 * The gateway's control operations, as main.c implements them, for the admin API.
 * All run on the worker (the admin service's callbacks run there too).
 */
#ifndef MG_CONTROL_H
#define MG_CONTROL_H

#include <stddef.h>

/*
 * mg_control_request_reload() asks for the reload SIGHUP asks for.  It runs from the worker's
 * control path within a millisecond, outside lwIP's callbacks, and then calls
 * mg_admin_reload_done() with the outcome (one line: the new generation, or why the running
 * one stays).
 */
void mg_control_request_reload(void);

/* mg_control_unhealthy() is NULL when the gateway can serve, else why it cannot. */
const char *mg_control_unhealthy(void);

/*
 * mg_control_config() gives the text of the running configuration file as it was read when
 * its generation went into service (NULL with --demo before any reload: the embedded demo),
 * its path and generation.
 */
const char *mg_control_config(const char **path, unsigned int *generation, size_t *len);

#endif /* MG_CONTROL_H */
