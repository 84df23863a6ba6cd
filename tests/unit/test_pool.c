/*
 * Fixed-size object pools: capacity, exhaustion counting, reuse, registry.
 */
#include <stdint.h>

#include "gateway/core/mg_pool.h"
#include "tests/unit/mgtest.h"

MG_TEST(pool_caps_counts_and_reuses)
{
	struct mg_pool p;
	void *objs[4];
	unsigned int i, before = mg_pool_count();
	char *o;

	MG_ASSERT_EQ_INT(mg_pool_init(&p, "test", 40, 4), 0);
	MG_EXPECT_EQ_UINT(mg_pool_count(), before + 1);
	MG_EXPECT_EQ_UINT(p.obj_size, 48);
	for (i = 0; i < 4; i++) {
		objs[i] = mg_pool_get(&p);
		MG_ASSERT(objs[i] != NULL);
		MG_EXPECT_EQ_UINT((uintptr_t)objs[i] % 16, 0);
	}
	MG_EXPECT(mg_pool_get(&p) == NULL);
	MG_EXPECT_EQ_UINT(p.alloc_failures, 1);
	MG_EXPECT_EQ_UINT(p.in_use, 4);
	MG_EXPECT_EQ_UINT(p.high_water, 4);

	o = objs[2];
	o[0] = 'x';
	mg_pool_put(&p, objs[2]);
	MG_EXPECT_EQ_UINT(p.in_use, 3);
	o = mg_pool_get(&p);
	MG_EXPECT(o == objs[2]);
	MG_EXPECT_EQ_INT(o[0], 0); /* handed out zeroed */
	for (i = 0; i < 4; i++)
		mg_pool_put(&p, objs[i]);
	MG_EXPECT_EQ_UINT(p.in_use, 0);
	mg_pool_destroy(&p);
	MG_EXPECT_EQ_UINT(mg_pool_count(), before);
}
