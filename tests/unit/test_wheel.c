/*
 * The timing wheel (gateway/net/mg_wheel.c) that times every connection deadline: never early,
 * at most one tick late, at every alignment of the arming time to the wheel's ticks and to
 * its turns; across the 32-bit millisecond wrap; more than a revolution behind; disarming
 * nodes of a due list while it is being fired.
 *
 * The wheel it replaced filed a deadline by (deadline / 4 ms) and, sweeping that slot at a
 * turn that came before the deadline's millisecond, passed it over for a whole revolution:
 * 4.1 s late.  wheel_fires_on_time checks both bounds at every alignment (a variant that
 * files deadlines by rounding down fires early and fails it).
 */
#include <stdint.h>

#include "gateway/net/mg_wheel.h"
#include "mgtest.h"

/* Arms one node at <t0> for <ms>, turns every <period> ms from <phase>; returns when it fired. */
static long
fire_time(uint32_t base, uint32_t t0, uint32_t ms, uint32_t period, uint32_t phase)
{
	struct mg_wheel w;
	struct mg_wheel_node n = {0}, *due = NULL;
	uint32_t t;

	mg_wheel_init(&w, base);
	/* Turns before the arming, so the cursor sits where a running wheel's would. */
	for (t = base + phase; (int32_t)(t - (base + t0)) <= 0; t += period)
		mg_wheel_expire(&w, t, &due);
	t -= period;
	mg_wheel_arm(&w, &n, base + t0, ms);
	for (t += period; (int32_t)(t - (base + t0 + ms + 10000)) < 0; t += period) {
		if (mg_wheel_expire(&w, t, &due) > 0) {
			if (mg_wheel_pop(&due) != &n || due != NULL || w.armed != 0)
				return -2;
			return (long)(uint32_t)(t - base - t0);
		}
	}
	return -1;
}

MG_TEST(wheel_fires_on_time)
{
	static const uint32_t mss[] = {0,   1,   2,    3,    4,    5,    7,    8,    9,    13,
	                               100, 500, 4095, 4096, 4097, 4100, 5000, 8191, 8192, 9000};
	static const uint32_t periods[] = {1, 3, 4, 5};
	int bad = 0;

	for (size_t i = 0; i < sizeof(mss) / sizeof(mss[0]); i++)
		for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++)
			for (uint32_t phase = 0; phase < periods[p]; phase++)
				for (uint32_t t0 = 20; t0 < 28; t0++) {
					long f = fire_time(1000, t0, mss[i], periods[p], phase);
					/* Never early; late by at most a tick plus one turn period.
					 */
					if (f < (long)mss[i] ||
					    f > (long)(mss[i] + MG_WHEEL_MS + periods[p])) {
						MG_CASE("ms %u period %u phase %u t0 %u: fired "
						        "after %ld",
						        mss[i], periods[p], phase, t0, f);
						(void)MG_EXPECT(0);
						if (++bad > 5)
							return;
					}
				}
}

MG_TEST(wheel_clock_wrap)
{
	/* sys_now() wraps every 49.7 days: deadlines across the wrap still fire on time. */
	for (uint32_t ms = 1; ms < 3000; ms += 97) {
		long f = fire_time(0xffffffffu - 1500, 1000, ms, 1, 0);

		MG_CASE("ms %u", ms);
		(void)MG_EXPECT(f >= (long)ms && f <= (long)ms + (long)MG_WHEEL_MS + 1);
	}
}

MG_TEST(wheel_far_behind_and_disarm_while_firing)
{
	struct mg_wheel w;
	struct mg_wheel_node n[10] = {{0}}, *due = NULL, *x;
	int popped = 0;

	mg_wheel_init(&w, 5);
	for (int i = 0; i < 10; i++)
		mg_wheel_arm(&w, &n[i], 5, (uint32_t)(i * 900)); /* 0 .. 8.1 s: two revolutions */
	MG_EXPECT_EQ_UINT(w.armed, 10);
	/* Re-arming moves, never duplicates. */
	mg_wheel_arm(&w, &n[9], 5, 8100);
	MG_EXPECT_EQ_UINT(w.armed, 10);
	/* Nothing for 4.5 s (a stalled loop): the five due are all out at once, the rest stay. */
	MG_EXPECT_EQ_UINT(mg_wheel_expire(&w, 4505, &due), 6); /* 0, 0.9 .. 4.5 s */
	MG_EXPECT_EQ_UINT(w.armed, 4);
	/* Firing one disarms another on the due list (a timeout closing a sibling). */
	x = mg_wheel_pop(&due);
	MG_ASSERT(x != NULL);
	popped++;
	mg_wheel_disarm(&w, due); /* the next one */
	MG_EXPECT_EQ_UINT(w.armed, 4);
	while ((x = mg_wheel_pop(&due)) != NULL) {
		MG_EXPECT(!mg_wheel_armed(x));
		popped++;
	}
	MG_EXPECT_EQ_INT(popped, 5);
	/* Disarming an armed node and an unlinked one. */
	mg_wheel_disarm(&w, &n[6]);
	mg_wheel_disarm(&w, &n[6]);
	MG_EXPECT_EQ_UINT(w.armed, 3);
	/* 20 s later: the three left fire, in one sweep of at most one revolution. */
	MG_EXPECT_EQ_UINT(mg_wheel_expire(&w, 24505, &due), 3);
	MG_EXPECT_EQ_UINT(w.armed, 0);
	while (mg_wheel_pop(&due) != NULL)
		;
	MG_EXPECT_EQ_UINT(mg_wheel_expire(&w, 30000, &due), 0);
}
