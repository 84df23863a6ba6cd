/*
 * Process-wide TLS state: the capped allocator under mbedTLS, PSA and its random generator,
 * the connection pool, and the clock.  See mg_tls.h.
 *
 * Every block mbedTLS allocates carries a 16-byte header with its size and, when it was
 * allocated while a connection was being driven (mg_tls_cur), that connection's pool slot and
 * generation.  Freeing a block charges it back to the connection only if the slot still holds
 * the same generation, so blocks that outlive their connection (PSA key-store slices grown
 * during its handshake) cannot corrupt the accounting of a later connection in that slot.
 *
 * Freed blocks of the few large sizes mbedTLS asks for again and again (the 16 KiB input and
 * 8 KiB output record buffers of every handshake) are kept, by exact size, for the next
 * handshake (up to MG_TLS_REUSE_BYTES in all).  Given back to malloc, they were split by the
 * small allocations that follow (an idle connection's 256-byte buffers after
 * mbedtls_ssl_release_buffers(), handshake state), so the next handshake's record buffers
 * extended the heap instead.
 *
 * Memory freed stays in the process until malloc returns it: when a pass of
 * mg_tls_release_idle() gave back MG_TLS_TRIM_BYTES or more, it calls malloc_trim(0), which
 * hands the free pages inside the heap back to the kernel (madvise).  Without it, RSS stayed
 * at the peak of the handshakes: about 28 KB per idle connection after 2,000 connections were
 * opened at once, although mbedTLS held 6.8 KB for each (docs/PERFORMANCE.md).  At most once
 * every 2 s (a trim takes about a millisecond), from the worker's tick, never per packet;
 * HAProxy trims its pools the same way.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/build_info.h>
#include <mbedtls/platform.h>
#include <psa/crypto.h>

#include "gateway/core/mg_pool.h"
#include "gateway/tls/mg_tls_int.h"
#include "platform/mbedtls/mg_p256.h"
#include "platform/mbedtls/mg_x25519.h"

#define MG_TLS_MAX_CONNS_DEFAULT 4096
#define MG_TLS_MEM_CAP_DEFAULT   ((size_t)256 << 20)
#define MG_TLS_REUSE_MIN         4096              /* blocks this large (header included) */
#define MG_TLS_REUSE_CLASSES     8                 /* distinct sizes kept */
#define MG_TLS_REUSE_BYTES       ((size_t)4 << 20) /* at most this much kept in all */
/* Release passes that gave back at least this much since the last trim ask malloc to return
 * free pages, at most every MG_TLS_TRIM_MIN_MS. */
#define MG_TLS_TRIM_BYTES  ((size_t)1 << 20)
#define MG_TLS_TRIM_MIN_MS 2000

/* The header in front of every block; 16 bytes keeps the block 16-byte aligned. */
struct mg_tls_blk {
	size_t size;   /* bytes including this header */
	uint32_t slot; /* pool slot + 1 of the owning connection, 0: none */
	uint32_t gen;  /* that connection's generation */
};

_Static_assert(sizeof(struct mg_tls_blk) == 16, "block header must keep 16-byte alignment");

struct mg_tls_conn *mg_tls_cur;

/* Freed large blocks of one exact size, linked through their first bytes. */
struct reuse_class {
	size_t size;
	void *head;
	uint32_t n;
};

static struct {
	struct reuse_class c[MG_TLS_REUSE_CLASSES];
	size_t bytes;
	uint64_t hits;
	uint64_t trims;
	uint64_t trim_ns; /* the last trim's duration */
	size_t untrimmed; /* bytes release passes gave back since the last trim */
	uint64_t trim_at_ms;
} reuse;

static struct reuse_class *
reuse_class(size_t bytes, bool make)
{
	unsigned int i;

	for (i = 0; i < MG_TLS_REUSE_CLASSES; i++)
		if (reuse.c[i].size == bytes)
			return &reuse.c[i];
	if (!make)
		return NULL;
	for (i = 0; i < MG_TLS_REUSE_CLASSES; i++)
		if (reuse.c[i].n == 0) { /* unused, or a size nobody freed lately */
			reuse.c[i].size = bytes;
			return &reuse.c[i];
		}
	return NULL;
}

/* A zeroed block of <bytes>: a kept one, else from calloc(). */
static void *
block_alloc(size_t bytes)
{
	struct reuse_class *rc;
	void *b;

	if (bytes >= MG_TLS_REUSE_MIN && (rc = reuse_class(bytes, false)) != NULL &&
	    rc->head != NULL) {
		b = rc->head;
		rc->head = *(void **)b;
		rc->n--;
		reuse.bytes -= bytes;
		reuse.hits++;
		memset(b, 0, bytes);
		return b;
	}
	return calloc(1, bytes);
}

static void
block_free(void *b, size_t bytes)
{
	struct reuse_class *rc;

	if (bytes >= MG_TLS_REUSE_MIN && reuse.bytes + bytes <= MG_TLS_REUSE_BYTES &&
	    (rc = reuse_class(bytes, true)) != NULL) {
		*(void **)b = rc->head;
		rc->head = b;
		rc->n++;
		reuse.bytes += bytes;
		return;
	}
	free(b);
}

static void
reuse_drop(void)
{
	unsigned int i;

	for (i = 0; i < MG_TLS_REUSE_CLASSES; i++) {
		while (reuse.c[i].head != NULL) {
			void *b = reuse.c[i].head;

			reuse.c[i].head = *(void **)b;
			free(b);
		}
		reuse.c[i].n = 0;
		reuse.c[i].size = 0;
	}
	reuse.bytes = 0;
}

static struct {
	bool init;
	bool pool_live;
	size_t in_use;
	size_t high_water;
	size_t cap;
	uint64_t allocs;
	uint64_t failures;
	uint64_t conns_refused;
	uint32_t next_gen;
	struct mg_pool pool;
	uint64_t (*clock_ms)(void);
	bool reseed_set;
	uint64_t last_reseed;
} g = {.cap = MG_TLS_MEM_CAP_DEFAULT};

static struct mg_tls_conn *
slot_conn(uint32_t slot)
{
	return (struct mg_tls_conn *)((char *)g.pool.mem + (size_t)slot * g.pool.obj_size);
}

static uint32_t
conn_slot(const struct mg_tls_conn *t)
{
	return (uint32_t)(((const char *)t - (const char *)g.pool.mem) / g.pool.obj_size);
}

static void *
mg_tls_calloc(size_t n, size_t size)
{
	struct mg_tls_conn *owner = mg_tls_cur;
	struct mg_tls_blk *b;
	size_t bytes;

	if (size != 0 && n > (SIZE_MAX - sizeof(*b)) / size)
		goto fail;
	bytes = n * size + sizeof(*b);
	if (bytes > g.cap || g.in_use > g.cap - bytes)
		goto fail;
	b = block_alloc(bytes);
	if (b == NULL)
		goto fail;
	b->size = bytes;
	b->slot = 0;
	b->gen = 0;
	if (owner != NULL && g.pool_live) {
		b->slot = conn_slot(owner) + 1;
		b->gen = owner->gen;
		owner->mem += bytes;
		if (owner->mem > owner->mem_peak)
			owner->mem_peak = owner->mem;
	}
	g.in_use += bytes;
	if (g.in_use > g.high_water)
		g.high_water = g.in_use;
	g.allocs++;
	return b + 1;
fail:
	g.failures++;
	if (owner != NULL)
		owner->alloc_failed = true;
	return NULL;
}

static void
mg_tls_free(void *p)
{
	struct mg_tls_blk *b;

	if (p == NULL)
		return;
	b = (struct mg_tls_blk *)p - 1;
	g.in_use -= b->size;
	if (b->slot != 0 && g.pool_live && b->slot <= g.pool.capacity) {
		struct mg_tls_conn *t = slot_conn(b->slot - 1);

		if (t->gen == b->gen && t->mem >= b->size)
			t->mem -= b->size;
	}
	block_free(b, b->size);
}

static uint64_t
default_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
mg_tls_global_init(const struct mg_tls_global_conf *c, char *err, size_t errlen)
{
	uint32_t max_conns =
	    c != NULL && c->max_conns != 0 ? c->max_conns : MG_TLS_MAX_CONNS_DEFAULT;
	psa_status_t st;
	int ret;

	if (g.init) {
		mg_tls_errf(err, errlen, "TLS already initialised");
		return -EALREADY;
	}
	/* Installed once and never removed: a block must be freed by the allocator that made it. */
	mbedtls_platform_set_calloc_free(mg_tls_calloc, mg_tls_free);
	g.cap = c != NULL && c->mem_cap != 0 ? c->mem_cap : MG_TLS_MEM_CAP_DEFAULT;
	g.clock_ms = c != NULL && c->clock_ms != NULL ? c->clock_ms : default_clock_ms;
	g.reseed_set = false;
	ret = mg_pool_init(&g.pool, "tls_conn", sizeof(struct mg_tls_conn), max_conns);
	if (ret != 0) {
		mg_tls_errf(err, errlen, "TLS connection pool (%u): %s", max_conns, strerror(-ret));
		return ret;
	}
	g.pool_live = true;
	st = psa_crypto_init();
	if (st != PSA_SUCCESS) {
		mg_tls_errf(err, errlen, "psa_crypto_init: PSA status %d", (int)st);
		g.pool_live = false;
		mg_pool_destroy(&g.pool);
		mbedtls_psa_crypto_free();
		return st == PSA_ERROR_INSUFFICIENT_MEMORY ? -ENOMEM : -EIO;
	}
	/* The P-256 signer's table of multiples of G (≈ 150 KB, a few ms, once per process), made
	 * here rather than in the first handshake, and its MG_P256_GENERIC switch read now. */
	mg_p256_init();
	(void)mg_p256_enabled();
	/* The same for the X25519 key-share table (32 KiB, under a millisecond). */
	mg_x25519_init();
	g.init = true;
	return 0;
}

void
mg_tls_global_free(void)
{
	if (!g.init)
		return;
	mbedtls_psa_crypto_free();
	g.pool_live = false;
	mg_pool_destroy(&g.pool);
	reuse_drop();
	g.init = false;
}

bool
mg_tls_initialised(void)
{
	return g.init;
}

void
mg_tls_tick(uint64_t now_s)
{
	if (!g.init)
		return;
	if (!g.reseed_set) {
		g.reseed_set = true;
		g.last_reseed = now_s;
		return;
	}
	if (now_s - g.last_reseed >= MG_TLS_RESEED_INTERVAL) {
#if MBEDTLS_VERSION_NUMBER >= 0x03060600 /* psa_random_reseed() is new in 3.6.6 */
		/* On failure the generator stays usable and we simply try again next interval. */
		(void)psa_random_reseed(NULL, 0);
#endif
		g.last_reseed = now_s;
	}
}

void
mg_tls_mem_stats(struct mg_tls_mem_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->in_use = g.in_use;
	out->high_water = g.high_water;
	out->cap = g.cap;
	out->allocs = g.allocs;
	out->failures = g.failures;
	out->conns_refused = g.conns_refused;
	out->reuse_bytes = reuse.bytes;
	out->reuse_hits = reuse.hits;
	out->trims = reuse.trims;
	out->trim_us = reuse.trim_ns / 1000;
	if (g.pool_live) {
		out->conns = g.pool.in_use;
		out->conns_max = g.pool.capacity;
	}
}

void
mg_tls_mem_set_cap(size_t cap)
{
	g.cap = cap != 0 ? cap : MG_TLS_MEM_CAP_DEFAULT;
}

struct mg_tls_conn *
mg_tls_conn_get(void)
{
	struct mg_tls_conn *t;

	if (!g.pool_live || (t = mg_pool_get(&g.pool)) == NULL) {
		g.conns_refused++;
		return NULL;
	}
	if (++g.next_gen == 0)
		g.next_gen = 1;
	t->gen = g.next_gen;
	return t;
}

void
mg_tls_conn_put(struct mg_tls_conn *t)
{
	t->gen = 0;
	mg_pool_put(&g.pool, t);
}

unsigned int
mg_tls_release_idle(void)
{
	struct mg_tls_conn *t, *prev;
	unsigned int i, n = 0;
	size_t before = g.in_use;
	int rc;

	if (!g.pool_live)
		return 0;
	for (i = 0; i < g.pool.fresh; i++) { /* slots past fresh were never used */
		t = slot_conn(i);
		if (t->gen == 0 || t->state != MG_TLS_ST_OPEN || t->bufs_released || t->tx_pending)
			continue;
		if (t->io_recent) {
			t->io_recent =
			    false; /* idle from now on, unless used before the next pass */
			continue;
		}
		prev = mg_tls_cur;
		mg_tls_cur = t;
		rc = mbedtls_ssl_release_buffers(&t->ssl);
		mg_tls_cur = prev;
		if (rc == 0)
			n++;
		if (rc != MBEDTLS_ERR_SSL_BAD_INPUT_DATA)
			t->bufs_released =
			    true; /* also half done (alloc refused): restore checks */
	}
	if (before > g.in_use)
		reuse.untrimmed += before - g.in_use;
	if (reuse.untrimmed >= MG_TLS_TRIM_BYTES &&
	    (reuse.trims == 0 || mg_tls_now_ms() - reuse.trim_at_ms >= MG_TLS_TRIM_MIN_MS)) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		reuse_drop(); /* the busy spell is over: the kept record buffers go too */
		malloc_trim(0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		reuse.trims++;
		reuse.untrimmed = 0;
		reuse.trim_at_ms = mg_tls_now_ms();
		reuse.trim_ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u +
		                (uint64_t)b.tv_nsec - (uint64_t)a.tv_nsec;
	}
	return n;
}

uint64_t
mg_tls_now_ms(void)
{
	return g.clock_ms != NULL ? g.clock_ms() : default_clock_ms();
}
