/*
 * Hashed timing wheel.  See mg_wheel.h.
 */
#include <stddef.h>

#include "gateway/net/mg_wheel.h"

void
mg_wheel_init(struct mg_wheel *w, uint32_t now)
{
	unsigned int i;

	for (i = 0; i < MG_WHEEL_SLOTS; i++)
		LIST_INIT(&w->slots[i]);
	w->cursor = now / MG_WHEEL_MS;
}

void
mg_wheel_remove(struct mg_wheel *w, struct mg_wheel_entry *e)
{
	(void)w;
	if (!e->linked)
		return;
	LIST_REMOVE(e, link);
	e->linked = false;
}

void
mg_wheel_add(struct mg_wheel *w, struct mg_wheel_entry *e, uint32_t deadline)
{
	uint32_t tick = deadline / MG_WHEEL_MS;

	mg_wheel_remove(w, e);
	/* Never a slot already swept: a tick behind the cursor goes to the cursor's slot. */
	if ((int32_t)(tick - w->cursor) < 0)
		tick = w->cursor;
	e->deadline = deadline;
	e->linked = true;
	LIST_INSERT_HEAD(&w->slots[tick % MG_WHEEL_SLOTS], e, link);
}

unsigned int
mg_wheel_expire(struct mg_wheel *w, uint32_t now, struct mg_wheel_list *due)
{
	uint32_t target = now / MG_WHEEL_MS, k;
	struct mg_wheel_entry *e, *next;
	unsigned int n = 0;

	/* At most one revolution: past that every slot has been looked at once. */
	for (k = 0; k < MG_WHEEL_SLOTS && (int32_t)(target - w->cursor) >= 0; k++, w->cursor++) {
		for (e = LIST_FIRST(&w->slots[w->cursor % MG_WHEEL_SLOTS]); e != NULL; e = next) {
			next = LIST_NEXT(e, link);
			if ((int32_t)(now - e->deadline) < 0) {
				/* Later in the tick being swept: on to the next tick's slot (not
				 * behind the cursor); else a later revolution, left where it is. */
				if ((int32_t)(e->deadline / MG_WHEEL_MS - target) <= 0) {
					LIST_REMOVE(e, link);
					LIST_INSERT_HEAD(&w->slots[(target + 1) % MG_WHEEL_SLOTS],
					                 e, link);
				}
				continue;
			}
			LIST_REMOVE(e, link);
			LIST_INSERT_HEAD(due, e, link);
			n++;
		}
	}
	if ((int32_t)(target + 1 - w->cursor) > 0)
		w->cursor = target + 1;
	return n;
}
