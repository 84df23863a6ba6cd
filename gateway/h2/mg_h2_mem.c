/*
 * nghttp2's allocations, counted and capped per connection.  See mg_h2_mem.h.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/h2/mg_h2_mem.h"

struct memhdr {
	size_t size;
	size_t pad; /* keeps what follows 16-byte aligned */
};

void *
mg_h2_mem_malloc(size_t size, void *arg)
{
	struct mg_h2_mem *m = arg;
	struct memhdr *h;

	if (size > m->cap || m->used + size > m->cap) {
		if (m->refused != NULL)
			(*m->refused)++;
		return NULL;
	}
	h = malloc(sizeof(*h) + size);
	if (h == NULL)
		return NULL;
	h->size = size;
	m->used += size;
	*m->total += size;
	return h + 1;
}

void
mg_h2_mem_free(void *p, void *arg)
{
	struct mg_h2_mem *m = arg;
	struct memhdr *h;

	if (p == NULL)
		return;
	h = (struct memhdr *)p - 1;
	m->used -= h->size;
	*m->total -= h->size;
	free(h);
}

static void *
mem_calloc(size_t n, size_t size, void *arg)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	p = mg_h2_mem_malloc(n * size, arg);
	if (p != NULL)
		memset(p, 0, n * size);
	return p;
}

void *
mg_h2_mem_realloc(void *p, size_t size, void *arg)
{
	struct memhdr *h;
	void *q;

	if (p == NULL)
		return mg_h2_mem_malloc(size, arg);
	h = (struct memhdr *)p - 1;
	q = mg_h2_mem_malloc(size, arg);
	if (q == NULL)
		return NULL;
	memcpy(q, p, h->size < size ? h->size : size);
	mg_h2_mem_free(p, arg);
	return q;
}

void
mg_h2_mem_setup(struct mg_h2_mem *m, nghttp2_mem *out, size_t cap, uint64_t *total,
                uint64_t *refused)
{
	*m = (struct mg_h2_mem){.cap = cap, .total = total, .refused = refused};
	*out = (nghttp2_mem){m, mg_h2_mem_malloc, mg_h2_mem_free, mem_calloc, mg_h2_mem_realloc};
}
