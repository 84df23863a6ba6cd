/*
 * Fixed-size object pools.  See mg_pool.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mg_pool.h"

static struct mg_pool *registry[MG_POOL_MAX];
static unsigned int registry_len;

int
mg_pool_init(struct mg_pool *pool, const char *name, size_t obj_size, uint32_t capacity)
{
	size_t size = (obj_size + 15) & ~(size_t)15;

	if (registry_len == MG_POOL_MAX)
		return -ENOSPC;
	memset(pool, 0, sizeof(*pool));
	if (size < sizeof(void *) || capacity == 0)
		return -EINVAL;
	pool->mem = aligned_alloc(64, ((size * capacity) + 63) & ~(size_t)63);
	if (pool->mem == NULL)
		return -ENOMEM;
	pool->name = name;
	pool->obj_size = size;
	pool->capacity = capacity;
	/* Objects never handed out are not threaded on the free list but taken in address order
	 * from <fresh>, so that a pool sized for 100,000 connections costs resident memory only
	 * for the objects used so far (the pages of the others are never touched). */
	pool->fresh = 0;
	registry[registry_len++] = pool;
	return 0;
}

void
mg_pool_destroy(struct mg_pool *pool)
{
	unsigned int i;

	for (i = 0; i < registry_len; i++) {
		if (registry[i] == pool) {
			registry[i] = registry[--registry_len];
			break;
		}
	}
	free(pool->mem);
	memset(pool, 0, sizeof(*pool));
}

void *
mg_pool_get_head(struct mg_pool *pool, size_t zero)
{
	void **obj = pool->free_list;

	if (obj != NULL) {
		pool->free_list = *obj;
	} else if (pool->fresh < pool->capacity) {
		obj = (void **)((char *)pool->mem + (size_t)pool->fresh++ * pool->obj_size);
	} else {
		pool->alloc_failures++;
		return NULL;
	}
	pool->in_use++;
	if (pool->in_use > pool->high_water)
		pool->high_water = pool->in_use;
	memset(obj, 0, zero < pool->obj_size ? zero : pool->obj_size);
	return obj;
}

void *
mg_pool_get(struct mg_pool *pool)
{
	return mg_pool_get_head(pool, pool->obj_size);
}

void
mg_pool_put(struct mg_pool *pool, void *obj)
{
	void **o = obj;

	*o = pool->free_list;
	pool->free_list = o;
	pool->in_use--;
}

unsigned int
mg_pool_count(void)
{
	return registry_len;
}

const struct mg_pool *
mg_pool_at(unsigned int i)
{
	return i < registry_len ? registry[i] : NULL;
}
