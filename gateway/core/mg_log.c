/*
 * Boot and control-plane logging.  See mg_log.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "mg_log.h"

static enum mg_log_level log_level = MG_LOG_INFO;
static const char *const level_names[] = {"error", "warning", "info", "debug"};
static int log_worker = -1;

void
mg_log_set_worker(int index)
{
	log_worker = index;
}

void
mg_log_set_level(enum mg_log_level level)
{
	log_level = level;
}

void
mg_log(enum mg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	fprintf(stderr, "meshgate: %s: ", level_names[level]);
	if (log_worker >= 0)
		fprintf(stderr, "[worker %d] ", log_worker);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
