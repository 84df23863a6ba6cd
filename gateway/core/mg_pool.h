/*
 * Named, capped pools of fixed-size objects.
 *
 * Runtime objects (connections, requests) come from pools allocated once at
 * boot, never from malloc on the data path.  A pool that runs dry returns
 * NULL and counts the failure; the caller refuses the work (closes the
 * connection, answers 503) instead of growing.  Every pool registers itself
 * so that /stats and /metrics can list them all, and tests check that each
 * returns to zero in use when the traffic stops.
 *
 * Not thread-safe: a pool belongs to one worker.
 */
#ifndef MG_POOL_H
#define MG_POOL_H

#include <stddef.h>
#include <stdint.h>

#define MG_POOL_MAX 32 /* registered pools per process */

struct mg_pool {
	const char *name;
	size_t obj_size;
	uint32_t capacity;
	uint32_t in_use;
	uint32_t high_water;
	uint64_t alloc_failures;
	void *mem;
	void *free_list;
	uint32_t fresh; /* objects [0, fresh) have been handed out at least once */
};

/*
 * mg_pool_init() allocates <capacity> objects of <obj_size> bytes (rounded
 * up to 16) for pool <name> (a string with static lifetime) and registers it.
 * Returns 0, -ENOMEM, or -ENOSPC when MG_POOL_MAX pools exist.
 */
int mg_pool_init(struct mg_pool *pool, const char *name, size_t obj_size, uint32_t capacity);

/* mg_pool_destroy() unregisters the pool and frees its memory. */
void mg_pool_destroy(struct mg_pool *pool);

/* mg_pool_get() returns a zeroed object, or NULL when the pool is empty. */
void *mg_pool_get(struct mg_pool *pool);

/* mg_pool_get_head() is mg_pool_get() that zeroes only the first <zero> bytes: for objects
 * that are mostly a buffer whose contents are tracked by a length (zeroing a 16 KiB proxy
 * buffer on every request was the gateway's largest user-space cost, docs/PERFORMANCE.md). */
void *mg_pool_get_head(struct mg_pool *pool, size_t zero);

/* mg_pool_put() returns <obj>, which must come from <pool>. */
void mg_pool_put(struct mg_pool *pool, void *obj);

/* mg_pool_count() and mg_pool_at() walk the registered pools. */
unsigned int mg_pool_count(void);
const struct mg_pool *mg_pool_at(unsigned int i);

#endif /* MG_POOL_H */
