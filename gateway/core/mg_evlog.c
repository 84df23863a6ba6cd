/*
 * The event log ring.  See mg_evlog.h.
 */
#include "gateway/core/mg_evlog.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

static struct {
	char ring[MG_EVLOG_RING_BYTES];
	size_t used;            /* bytes of complete lines in ring[0..used) */
	uint64_t recorded;      /* lines ever recorded */
	uint64_t dropped;       /* lines ever dropped */
	uint64_t dropped_shown; /* of which reported by a flush */
} ev;

void
mg_evlog(const char *fmt, ...)
{
	char line[MG_EVLOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	/* CLOCK_REALTIME is read through the vDSO: no system call. */
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ldZ ", ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (ev.used + (size_t)n > sizeof(ev.ring)) {
		ev.dropped++;
		return;
	}
	memcpy(ev.ring + ev.used, line, (size_t)n);
	ev.used += (size_t)n;
	ev.recorded++;
}

size_t
mg_evlog_flush(FILE *out)
{
	static const char prefix[] = "meshgate: event: ";
	/* The shortest line is a time stamp and a newline, so prefixes at most double it. */
	static char buf[2 * MG_EVLOG_RING_BYTES + 128];
	size_t lines = 0, i, start = 0, len = 0;

	for (i = 0; i < ev.used; i++) {
		if (ev.ring[i] != '\n')
			continue;
		memcpy(buf + len, prefix, sizeof(prefix) - 1);
		len += sizeof(prefix) - 1;
		memcpy(buf + len, ev.ring + start, i + 1 - start);
		len += i + 1 - start;
		start = i + 1;
		lines++;
	}
	if (ev.dropped > ev.dropped_shown) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		                        "%s%llu more events dropped (event log full)\n", prefix,
		                        (unsigned long long)(ev.dropped - ev.dropped_shown));
		ev.dropped_shown = ev.dropped;
	}
	ev.used = 0;
	if (len > 0) {
		fwrite(buf, 1, len, out); /* stderr is unbuffered: one write */
		fflush(out);
	}
	return lines;
}

uint64_t
mg_evlog_recorded(void)
{
	return ev.recorded;
}

uint64_t
mg_evlog_dropped(void)
{
	return ev.dropped;
}
