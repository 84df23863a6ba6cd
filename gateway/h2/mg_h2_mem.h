/*
 * The allocator the gateway gives each nghttp2 session (gateway/h2: client and upstream
 * connections): malloc counted per connection and capped, so that no peer can make one
 * connection hold more than its share, with the bytes of all connections in a stats field.
 */
#ifndef MG_H2_MEM_H
#define MG_H2_MEM_H

#include <stddef.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>

/* One connection's account. */
struct mg_h2_mem {
	size_t used, cap;
	uint64_t *total;   /* bytes of every connection (a stats field) */
	uint64_t *refused; /* allocations refused by <cap> (a stats field), or NULL */
};

/* mg_h2_mem_setup() starts the account <m> and fills <out> for nghttp2_session_*_new3(). */
void mg_h2_mem_setup(struct mg_h2_mem *m, nghttp2_mem *out, size_t cap, uint64_t *total,
                     uint64_t *refused);

/* For the connection's own allocations (trailers kept for later), on the same account. */
void *mg_h2_mem_malloc(size_t size, void *m);
void mg_h2_mem_free(void *p, void *m);
void *mg_h2_mem_realloc(void *p, size_t size, void *m);

#endif /* MG_H2_MEM_H */
