/*
 * A config bundle: the files of one appliance configuration in one byte string, as the config
 * store (mg_store.h) and EC2 user-data carry them.
 *
 *   "MGB1" then, for each file: u16 name length, u32 data length (both little-endian), the
 *   name, the data.
 *
 * Names are 1 to MG_BUNDLE_NAME_MAX characters from [A-Za-z0-9._-], not starting with '.',
 * unique in a bundle: plain file names, never paths.  The appliance unpacks a bundle into
 * /etc/meshgate/, where `meshgate.json` is the gateway's configuration and the other files
 * (certificates, keys) are named in it by absolute path (/etc/meshgate/NAME).
 */
#ifndef MG_BUNDLE_H
#define MG_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#define MG_BUNDLE_MAGIC    "MGB1"
#define MG_BUNDLE_NAME_MAX 64
#define MG_BUNDLE_FILES    32
#define MG_BUNDLE_CONFIG   "meshgate.json"

/* One file of a bundle: views into the bundle's bytes. */
struct mg_bundle_file {
	char name[MG_BUNDLE_NAME_MAX + 1];
	const uint8_t *data;
	size_t len;
};

/* True when <name> (<len> bytes) is an acceptable file name. */
int mg_bundle_name_ok(const char *name, size_t len);

/* True when <buf> starts with the bundle magic. */
int mg_bundle_is_bundle(const void *buf, size_t len);

/*
 * Parses the bundle <buf> (<len> bytes) into <files> (room for MG_BUNDLE_FILES).  Returns the
 * number of files, or -EINVAL for a malformed bundle (bad magic, truncated entry, bad or
 * duplicate name, trailing bytes) or -E2BIG for too many files.
 */
int mg_bundle_parse(const void *buf, size_t len, struct mg_bundle_file *files);

/*
 * Appends one file to the bundle being built in <buf> (<cap> bytes, <*off> used; an empty
 * buffer gets the magic first).  Returns 0, -EINVAL for a bad name, or -ENOSPC.
 */
int mg_bundle_put(uint8_t *buf, size_t cap, size_t *off, const char *name, const void *data,
                  size_t len);

#endif /* MG_BUNDLE_H */
