/*
 * libFuzzer target: reading the config store (platform/store/mg_store.c) from arbitrary disk
 * contents, then writing to it.
 *
 * The input is the store area (zero-padded to the minimum size).  Beyond not crashing: a
 * record the reader returns has a payload whose CRC32C matches, and a write on top of any
 * contents is read back exactly, one generation higher, in the other slot.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform/store/mg_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	uint8_t *p;
	size_t size;
};

static long
mem_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct mem *m = ctx;

	if (off > m->size || len > m->size - off)
		return -EIO;
	memcpy(buf, m->p + off, len);
	return (long)len;
}

static long
mem_pwrite(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct mem *m = ctx;

	if (off > m->size || len > m->size - off)
		return -EIO;
	memcpy(m->p + off, buf, len);
	return (long)len;
}

static int
mem_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t payload[] = "{\"appliance\":{}}";
	struct mem m;
	struct mg_store_dev dev = {&m, 0, mem_pread, mem_pwrite, mem_flush};
	struct mg_store_record rec, after;
	uint8_t *buf;
	int rc;

	if (size > (1u << 20))
		return 0;
	m.size = size < MG_STORE_MIN_SIZE ? MG_STORE_MIN_SIZE : size;
	m.p = calloc(1, m.size);
	buf = malloc(m.size);
	if (m.p == NULL || buf == NULL)
		abort();
	memcpy(m.p, data, size);
	dev.size = m.size;
	rc = mg_store_read(&dev, &rec, buf, m.size);
	if (rc != 0)
		abort();
	if (rec.slot != MG_STORE_SLOT_NONE &&
	    (rec.length > mg_store_capacity(&dev) || !rec.slots[rec.slot].valid))
		abort();
	if (mg_store_write(&dev, payload, sizeof(payload), NULL) != 0)
		abort();
	if (mg_store_read(&dev, &after, buf, m.size) != 0 || after.length != sizeof(payload) ||
	    memcmp(buf, payload, sizeof(payload)) != 0 ||
	    after.generation != (rec.slot == MG_STORE_SLOT_NONE ? 1 : rec.generation + 1) ||
	    (rec.slot != MG_STORE_SLOT_NONE && after.slot == rec.slot))
		abort();
	free(m.p);
	free(buf);
	return 0;
}
