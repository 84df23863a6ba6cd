/*
 * mg_wheel: a hashed timing wheel for per-connection deadlines.
 *
 * MG_WHEEL_SLOTS slots of MG_WHEEL_MS each.  Arming and disarming are O(1); a turn sweeps only
 * the slots whose tick came since the last turn (a deadline more than one revolution away
 * stays in its slot and is passed over until its own revolution).  Guarantees, which
 * tests/unit/test_wheel.c checks at every alignment:
 *   - a deadline never fires early: a node armed for <ms> fires at a turn at which at least
 *     <ms> have passed;
 *   - and at most MG_WHEEL_MS late after the first turn at or past it, whatever the alignment
 *     of the arming time to the tick (the bug this replaced: a deadline that fell into the
 *     tick being swept, or one already swept, waited a whole revolution — 4.1 s);
 *   - the millisecond clock wraps (lwIP's sys_now() is 32 bits: every 49.7 days) without
 *     effect: the wheel keeps its own 64-bit time.
 * Single-threaded (the worker's poll loop); nodes are intrusive, no allocation.
 */
#ifndef MG_WHEEL_H
#define MG_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_WHEEL_MS    4u
#define MG_WHEEL_SLOTS 1024u

struct mg_wheel_node {
	struct mg_wheel_node *next, **pprev; /* pprev == NULL: not linked */
	uint64_t tick;                       /* the wheel tick at which it is due */
};

struct mg_wheel {
	struct mg_wheel_node *slot[MG_WHEEL_SLOTS];
	uint64_t now_ms;   /* the wheel's own 64-bit clock */
	uint32_t last_raw; /* the raw 32-bit clock when now_ms was last advanced */
	uint64_t cursor;   /* the next tick to sweep */
	size_t armed;      /* nodes in slots (not counting a due list) */
};

/* Starts an empty wheel at the raw 32-bit millisecond time <now_raw>. */
void mg_wheel_init(struct mg_wheel *w, uint32_t now_raw);

/* Arms <n> (unlinking it first if it was armed) to fire <ms> after <now_raw>. */
void mg_wheel_arm(struct mg_wheel *w, struct mg_wheel_node *n, uint32_t now_raw, uint32_t ms);

/* Unlinks <n> from its slot or from a due list; harmless when not linked. */
void mg_wheel_disarm(struct mg_wheel *w, struct mg_wheel_node *n);

static inline bool
mg_wheel_armed(const struct mg_wheel_node *n)
{
	return n->pprev != NULL;
}

/*
 * Moves every node due at <now_raw> onto the list <*due> (which the caller empties by popping
 * with mg_wheel_pop(); a node on it can still be disarmed, by the callbacks of others).
 * Returns how many were moved.
 */
size_t mg_wheel_expire(struct mg_wheel *w, uint32_t now_raw, struct mg_wheel_node **due);

/* Takes the first node off the due list <*due> (NULL when empty); it is then unlinked. */
struct mg_wheel_node *mg_wheel_pop(struct mg_wheel_node **due);

#endif /* MG_WHEEL_H */
