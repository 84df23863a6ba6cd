/*
 * Fixed-size object pools: capacity, exhaustion counting, reuse, registry.
 */
#include <stdint.h>
#include <string.h>

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

MG_TEST(pool_get_head_zeroes_only_the_head)
{
	struct mg_pool p;
	unsigned char *o, *o2;
	size_t i;
	bool rest_kept = true;

	MG_ASSERT(mg_pool_init(&p, "head_test", 256, 1) == 0);
	o = mg_pool_get_head(&p, 16);
	MG_ASSERT(o != NULL);
	for (i = 0; i < 16; i++)
		MG_EXPECT(o[i] == 0);
	memset(o, 0xab, 256);
	mg_pool_put(&p, o);
	o2 = mg_pool_get_head(&p, 16);
	MG_ASSERT(o2 == o);
	for (i = 0; i < 16; i++)
		MG_EXPECT(o2[i] == 0);
	for (i = 16; i < 256; i++)
		rest_kept &= o2[i] == 0xab;
	MG_EXPECT(rest_kept); /* not zeroed: that is the point */
	MG_EXPECT(mg_pool_get_head(&p, 16) == NULL);
	MG_EXPECT_EQ_UINT(p.alloc_failures, 1);
	mg_pool_put(&p, o2);
	o = mg_pool_get(&p); /* mg_pool_get() still zeroes everything */
	for (i = 0; i < 256; i++)
		rest_kept &= o[i] == 0;
	MG_EXPECT(rest_kept);
	mg_pool_put(&p, o);
	mg_pool_destroy(&p);
}
