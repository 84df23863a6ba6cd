/*
 * mg_wheel: a hashed timing wheel for per-connection deadlines (see mg_wheel.h).
 */
#include "gateway/net/mg_wheel.h"

#include <string.h>

static void
advance(struct mg_wheel *w, uint32_t now_raw)
{
	w->now_ms += (uint32_t)(now_raw - w->last_raw); /* modulo 2^32: wrap-safe */
	w->last_raw = now_raw;
}

static void
link_head(struct mg_wheel_node **head, struct mg_wheel_node *n)
{
	n->next = *head;
	if (n->next != NULL)
		n->next->pprev = &n->next;
	*head = n;
	n->pprev = head;
}

static void
unlink_node(struct mg_wheel_node *n)
{
	*n->pprev = n->next;
	if (n->next != NULL)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
}

void
mg_wheel_init(struct mg_wheel *w, uint32_t now_raw)
{
	memset(w, 0, sizeof(*w));
	w->last_raw = now_raw;
}

void
mg_wheel_arm(struct mg_wheel *w, struct mg_wheel_node *n, uint32_t now_raw, uint32_t ms)
{
	uint64_t tick;

	mg_wheel_disarm(w, n);
	advance(w, now_raw);
	/* Round up: the tick's start is never before the deadline, so it never fires early. */
	tick = (w->now_ms + ms + MG_WHEEL_MS - 1) / MG_WHEEL_MS;
	/* A tick already swept goes to the next one to sweep (it is due at the next turn). */
	if (tick < w->cursor)
		tick = w->cursor;
	n->tick = tick;
	link_head(&w->slot[tick % MG_WHEEL_SLOTS], n);
	w->armed++;
}

void
mg_wheel_disarm(struct mg_wheel *w, struct mg_wheel_node *n)
{
	if (n->pprev == NULL)
		return;
	/* A node on a due list has tick UINT64_MAX (mg_wheel_expire) and is not counted. */
	if (n->tick != UINT64_MAX)
		w->armed--;
	unlink_node(n);
}

size_t
mg_wheel_expire(struct mg_wheel *w, uint32_t now_raw, struct mg_wheel_node **due)
{
	uint64_t target;
	size_t moved = 0, k;

	advance(w, now_raw);
	target = w->now_ms / MG_WHEEL_MS;
	for (k = 0; k < MG_WHEEL_SLOTS && w->cursor <= target; k++, w->cursor++) {
		struct mg_wheel_node **head = &w->slot[w->cursor % MG_WHEEL_SLOTS], *n, *next;

		for (n = *head; n != NULL; n = next) {
			next = n->next;
			if (n->tick > target)
				continue; /* a later revolution */
			unlink_node(n);
			w->armed--;
			n->tick = UINT64_MAX; /* on a due list */
			link_head(due, n);
			moved++;
		}
	}
	/* More than a revolution behind: every slot was swept once, all that is due is out. */
	if (w->cursor <= target)
		w->cursor = target + 1;
	return moved;
}

struct mg_wheel_node *
mg_wheel_pop(struct mg_wheel_node **due)
{
	struct mg_wheel_node *n = *due;

	if (n != NULL)
		unlink_node(n);
	return n;
}
