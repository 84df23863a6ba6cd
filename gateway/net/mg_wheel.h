/*
 * mg_wheel: a hashed timing wheel for connection deadlines.
 *
 * MG_WHEEL_SLOTS slots of MG_WHEEL_MS each.  Time is the caller's millisecond clock (sys_now()
 * in the gateway), compared modulo 2^32.  Arming, moving and disarming a deadline is O(1); an
 * expiry pass looks only at the slots whose time came.  A deadline further away than one
 * revolution stays in its slot and is skipped until the revolution it belongs to.
 *
 * The invariant that makes a deadline fire on time: an entry is never linked into a slot the
 * cursor already swept.  A deadline whose tick is behind the cursor (its time already came, or
 * it falls in the tick being swept) goes into the cursor's slot, the next one looked at, so it
 * fires at the next pass instead of one revolution (MG_WHEEL_SLOTS * MG_WHEEL_MS) late.  For
 * the same reason a pass that finds a deadline later within the tick it sweeps (the pass ran
 * at 100 ms, the deadline is 102 ms) moves it to the next tick's slot instead of leaving it
 * behind the cursor.
 * A deadline fires at most MG_WHEEL_MS after its time plus the caller's lateness in calling
 * mg_wheel_expire().
 */
#ifndef MG_GATEWAY_NET_MG_WHEEL_H
#define MG_GATEWAY_NET_MG_WHEEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#define MG_WHEEL_MS    4
#define MG_WHEEL_SLOTS 1024

/* One deadline, embedded in its owner (container-of by offsetof). */
struct mg_wheel_entry {
	LIST_ENTRY(mg_wheel_entry) link;
	uint32_t deadline; /* caller's clock, ms */
	bool linked;       /* in a slot, or in a list returned by mg_wheel_expire() */
};

LIST_HEAD(mg_wheel_list, mg_wheel_entry);

struct mg_wheel {
	struct mg_wheel_list slots[MG_WHEEL_SLOTS];
	uint32_t cursor; /* the next tick (time / MG_WHEEL_MS) to sweep */
};

/* Empties <w> and sets its cursor to the tick of <now>. */
void mg_wheel_init(struct mg_wheel *w, uint32_t now);

/* Arms (or moves) <e> to fire at <deadline>.  <e> must be zeroed or previously used on <w>. */
void mg_wheel_add(struct mg_wheel *w, struct mg_wheel_entry *e, uint32_t deadline);

/* Disarms <e> (no-op when it is not linked); also unlinks it from an expired list. */
void mg_wheel_remove(struct mg_wheel *w, struct mg_wheel_entry *e);

/*
 * Moves every entry whose deadline is at or before <now> onto <due> (which the caller
 * initialised empty) and advances the cursor past <now>'s tick.  Entries on <due> stay
 * `linked` until the caller takes them off with mg_wheel_remove() (which is how a callback
 * fired for one entry may safely disarm another still on <due>).  Returns the number moved.
 */
unsigned int mg_wheel_expire(struct mg_wheel *w, uint32_t now, struct mg_wheel_list *due);

#endif
