/*
 * /config_dump: the running configuration as JSON,
 *   {"generation": N, "path": "<file>", "config": <the file's JSON>}
 * with secrets redacted: the value of every "token" member becomes "[redacted]".  File paths
 * (certificate and key files, tokenFile) are shown; key material never is (it is in files
 * the configuration only names).
 */
#ifndef MG_CONFIG_DUMP_H
#define MG_CONFIG_DUMP_H

#include <stddef.h>

/* mg_config_redact() copies JSON <in> (<n> bytes) to <out> with "token" values redacted.
 * Returns the length, or -ENOSPC. */
int mg_config_redact(const char *in, size_t n, char *out, size_t cap);

/* mg_config_dump_json() writes the dump into <buf>.  Returns the length, or -ENOSPC. */
int mg_config_dump_json(char *buf, size_t cap);

#endif /* MG_CONFIG_DUMP_H */
