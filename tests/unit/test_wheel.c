/*
 * The connection timing wheel (gateway/net/mg_wheel.c): deadlines fire in the pass that
 * reaches them, never one revolution (MG_WHEEL_SLOTS * MG_WHEEL_MS, about 4.1 s) late.
 *
 * wheel_rearm_after_pass and wheel_subtick_deadline failed on the wheel mg_conn.c had before
 * (slot chosen from the deadline alone; a deadline later within the swept tick left behind
 * the cursor): the deadline fired 4096 ms late, the cause of the intermittent 2-4 s stalls.
 */
#include <stdint.h>
#include <string.h>

#include "gateway/net/mg_wheel.h"
#include "tests/unit/mgtest.h"

static struct mg_wheel wh;

/* Runs passes every <step> ms from <from> up to <until>; returns the time of the first pass
 * that expired <e>, or 0 if none did. */
static uint32_t
run_until(struct mg_wheel_entry *e, uint32_t from, uint32_t until, uint32_t step)
{
	struct mg_wheel_list due;
	struct mg_wheel_entry *x;
	uint32_t t, fired = 0;

	for (t = from; (int32_t)(until - t) >= 0; t += step) {
		LIST_INIT(&due);
		mg_wheel_expire(&wh, t, &due);
		while ((x = LIST_FIRST(&due)) != NULL) {
			mg_wheel_remove(&wh, x);
			if (x == e && fired == 0)
				fired = t;
		}
		if (fired != 0)
			return fired;
	}
	return 0;
}

MG_TEST(wheel_fires_on_time)
{
	struct mg_wheel_entry e;
	uint32_t ms[] = {1, 3, 4, 5, 100, 500, 4095, 4096, 4100, 15000, 300000};
	unsigned int i;

	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		MG_CASE("deadline +%u ms", ms[i]);
		memset(&e, 0, sizeof(e));
		mg_wheel_init(&wh, 1000);
		mg_wheel_add(&wh, &e, 1000 + ms[i]);
		uint32_t f = run_until(&e, 1000, 1000 + ms[i] + 10 * MG_WHEEL_MS, 1);
		MG_EXPECT(f != 0);
		MG_EXPECT((int32_t)(f - (1000 + ms[i])) >= 0);
		MG_EXPECT((int32_t)(f - (1000 + ms[i])) <= MG_WHEEL_MS);
	}
}

/* A pass at t swept t's tick; a short deadline armed after it lands in that tick. */
MG_TEST(wheel_rearm_after_pass)
{
	struct mg_wheel_entry e;
	struct mg_wheel_list due;
	uint32_t f;

	memset(&e, 0, sizeof(e));
	mg_wheel_init(&wh, 1000);
	LIST_INIT(&due);
	mg_wheel_expire(&wh, 1000, &due); /* swept tick 250 */
	mg_wheel_add(&wh, &e, 1001);      /* tick 250 again */
	f = run_until(&e, 1004, 1000 + 2 * MG_WHEEL_SLOTS * MG_WHEEL_MS, MG_WHEEL_MS);
	MG_EXPECT_EQ_UINT(f, 1004);
	/* A deadline already past when armed fires at the next pass too. */
	memset(&e, 0, sizeof(e));
	mg_wheel_add(&wh, &e, 900);
	f = run_until(&e, 1008, 1000 + 2 * MG_WHEEL_SLOTS * MG_WHEEL_MS, MG_WHEEL_MS);
	MG_EXPECT_EQ_UINT(f, 1008);
}

/* Passes run at times that are not multiples of MG_WHEEL_MS (the poll loop is late). */
MG_TEST(wheel_subtick_deadline)
{
	struct mg_wheel_entry e;
	uint32_t f;

	memset(&e, 0, sizeof(e));
	mg_wheel_init(&wh, 1000);
	mg_wheel_add(&wh, &e, 1502); /* tick 375 */
	f = run_until(&e, 1000, 1000 + 2 * MG_WHEEL_SLOTS * MG_WHEEL_MS, 5);
	MG_EXPECT(f >= 1502);
	MG_EXPECT(f <= 1502 + 5);
}

/* A pass late by more than a revolution still fires everything due, and only that. */
MG_TEST(wheel_late_pass_and_remove)
{
	struct mg_wheel_entry a, b, c;
	struct mg_wheel_list due;
	struct mg_wheel_entry *x;
	unsigned int n = 0;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	mg_wheel_init(&wh, 0);
	mg_wheel_add(&wh, &a, 10);
	mg_wheel_add(&wh, &b, 6000);
	mg_wheel_add(&wh, &c, 20000);
	mg_wheel_add(&wh, &b, 7000); /* moved */
	LIST_INIT(&due);
	MG_EXPECT_EQ_UINT(mg_wheel_expire(&wh, 9000, &due), 2);
	LIST_FOREACH(x, &due, link)
	{
		MG_EXPECT(x == &a || x == &b);
		n++;
	}
	MG_EXPECT_EQ_UINT(n, 2);
	mg_wheel_remove(&wh, &b); /* taken off the due list by another callback */
	mg_wheel_remove(&wh, &a);
	MG_EXPECT(LIST_EMPTY(&due));
	mg_wheel_remove(&wh, &c);
	MG_EXPECT(!c.linked);
	LIST_INIT(&due);
	MG_EXPECT_EQ_UINT(mg_wheel_expire(&wh, 30000, &due), 0);
}
