/*
 * meshgate-init: the appliance's wall clock, kept by SNTP (RFC 4330 client of an RFC 5905
 * server) over the management NIC.
 *
 * JWT checks compare token times with CLOCK_REALTIME, so the clock must be right to within the
 * 60 s skew.  At boot the kernel sets it from the RTC; this client then asks one NTP server —
 * by default the Amazon Time Sync Service at link-local 169.254.169.123, which every EC2
 * instance reaches without internet access (meshgate.ntp=ADDR[:PORT]|off) — and steps the
 * clock when it is off by more than MG_NTP_STEP_NS, or slews it with adjtime(2) otherwise.
 *
 * It is a state machine driven by PID 1's poll loop (one UDP socket, never blocking): a query
 * when due, retries after 1, 2, 4 … 64 s without an answer, and every 1024 s once synchronised.
 * Answers are checked strictly before they can touch the clock: they must come from the
 * server's address and port, be a version 3/4 server reply (mode 4) of stratum 1..15 that is not
 * "unsynchronised", echo our transmit timestamp exactly (whose low bits are random, so an
 * off-path sender cannot forge a reply) and give a round trip between 0 and 2 s.  A
 * kiss-o'-death (stratum 0) backs off to the longest interval.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "platform/init/init.h"

#define NTP_UNIX_EPOCH   2208988800ull /* seconds from 1900-01-01 to 1970-01-01 */
#define NTP_MAX_DELAY_NS 2000000000ll
#define NTP_RETRY_MIN_MS 1000u
#define NTP_RETRY_MAX_MS 64000u
#define NTP_POLL_MS      1024000u
#define NTP_WAIT_MS      1000u

static uint64_t
rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
wr64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

uint64_t
mg_ntp_from_timespec(const struct timespec *ts)
{
	uint64_t frac = ((uint64_t)ts->tv_nsec << 32) / 1000000000ull;

	return ((uint64_t)ts->tv_sec + NTP_UNIX_EPOCH) << 32 | frac;
}

/* A difference of two NTP timestamps (32.32, modulo 2^64: good for ±68 years) in ns. */
static int64_t
ntp_diff_ns(uint64_t a, uint64_t b)
{
	int64_t d = (int64_t)(a - b);
	int64_t sec = d >> 32; /* floor */
	uint64_t frac = (uint64_t)d & 0xffffffffu;

	return sec * 1000000000ll + (int64_t)((frac * 1000000000ull) >> 32);
}

int
mg_ntp_parse(const void *pkt, size_t len, uint64_t t1, uint64_t t4, struct mg_ntp_sample *s)
{
	const uint8_t *p = pkt;
	uint64_t t2, t3;
	int li, vn, mode;

	memset(s, 0, sizeof(*s));
	if (len < 48)
		return -EPROTO;
	li = p[0] >> 6;
	vn = (p[0] >> 3) & 7;
	mode = p[0] & 7;
	if (mode != 4 || (vn != 3 && vn != 4))
		return -EPROTO;
	if (rd64(p + 24) != t1)
		return -EPROTO; /* not the answer to our query */
	s->stratum = p[1];
	if (p[1] == 0)
		return -EAGAIN; /* kiss-o'-death: back off */
	if (li == 3 || p[1] > 15)
		return -ENOTSUP; /* the server's own clock is not synchronised */
	t2 = rd64(p + 32);
	t3 = rd64(p + 40);
	if (t2 == 0 || t3 == 0 || ntp_diff_ns(t3, t2) < 0)
		return -EPROTO;
	s->delay_ns = ntp_diff_ns(t4, t1) - ntp_diff_ns(t3, t2);
	if (s->delay_ns < 0 || s->delay_ns > NTP_MAX_DELAY_NS)
		return -ERANGE;
	/* ((t2 - t1) + (t3 - t4)) / 2, each half first so nothing overflows. */
	s->offset_ns = ntp_diff_ns(t2, t1) / 2 + ntp_diff_ns(t3, t4) / 2;
	return 0;
}

void
mg_ntp_init(struct mg_ntp *n)
{
	memset(n, 0, sizeof(*n));
	n->fd = -1;
}

int
mg_ntp_start(struct mg_ntp *n, const char *spec, uint64_t now_ms)
{
	char host[64];
	int port = 123;

	mg_ntp_init(n);
	if (spec == NULL || strcmp(spec, "off") == 0)
		return -ENOENT;
	if (sscanf(spec, "%63[^:]:%d", host, &port) < 1 || port <= 0 || port > 65535)
		return -EINVAL;
	n->server.sin_family = AF_INET;
	n->server.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &n->server.sin_addr) != 1)
		return -EINVAL;
	n->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		return -errno;
	/* connect(): the kernel drops datagrams from any other address or port. */
	if (connect(n->fd, (struct sockaddr *)&n->server, sizeof(n->server)) != 0) {
		int e = errno;

		close(n->fd);
		n->fd = -1;
		return -e;
	}
	snprintf(n->name, sizeof(n->name), "%s:%d", host, port);
	n->retry_ms = NTP_RETRY_MIN_MS;
	n->next_ms = now_ms;
	return 0;
}

int
mg_ntp_timeout(const struct mg_ntp *n, uint64_t now_ms)
{
	uint64_t at;

	if (n->fd < 0)
		return -1;
	at = n->t1 != 0 ? n->sent_ms + NTP_WAIT_MS : n->next_ms;
	return at > now_ms ? (int)(at - now_ms) : 0;
}

static void
schedule(struct mg_ntp *n, uint64_t now_ms, uint32_t after_ms)
{
	n->t1 = 0;
	n->next_ms = now_ms + after_ms;
}

static void
retry_later(struct mg_ntp *n, uint64_t now_ms)
{
	schedule(n, now_ms, n->retry_ms);
	n->retry_ms = n->retry_ms * 2 > NTP_RETRY_MAX_MS ? NTP_RETRY_MAX_MS : n->retry_ms * 2;
}

void
mg_ntp_tick(struct mg_ntp *n, uint64_t now_ms)
{
	uint8_t q[48];
	struct timespec ts;
	uint32_t salt = 0;

	if (n->fd < 0)
		return;
	if (n->t1 != 0) {
		if (now_ms < n->sent_ms + NTP_WAIT_MS)
			return;
		n->timeouts++;
		if (n->timeouts == 1) /* once per outage: the console is the shell's too */
			mg_init_log("ntp: no answer from %s (retrying quietly)", n->name);
		retry_later(n, now_ms);
	}
	if (now_ms < n->next_ms)
		return;
	memset(q, 0, sizeof(q));
	q[0] = 0 << 6 | 4 << 3 | 3; /* LI 0, version 4, mode 3 (client) */
	clock_gettime(CLOCK_REALTIME, &ts);
	/* The low 16 bits of the fraction (15 µs) are random: the server echoes them back. */
	if (getrandom(&salt, sizeof(salt), GRND_NONBLOCK) != (ssize_t)sizeof(salt))
		salt = (uint32_t)ts.tv_nsec * 2654435761u;
	n->t1 = (mg_ntp_from_timespec(&ts) & ~(uint64_t)0xffff) | (salt & 0xffff);
	if (n->t1 == 0)
		n->t1 = 1;
	wr64(q + 40, n->t1);
	n->sent_ms = now_ms;
	n->queries++;
	if (send(n->fd, q, sizeof(q), 0) != (ssize_t)sizeof(q))
		retry_later(n, now_ms); /* no route yet: try again later */
}

/* Steps the clock by <off> ns, or slews it when the error is small. */
static int
apply(int64_t off, int *stepped)
{
	*stepped = off >= MG_NTP_STEP_NS || off <= -MG_NTP_STEP_NS;
	if (*stepped) {
		struct timespec ts;
		int64_t ns;

		clock_gettime(CLOCK_REALTIME, &ts);
		ns = (int64_t)ts.tv_nsec + off % 1000000000ll;
		ts.tv_sec += (time_t)(off / 1000000000ll);
		if (ns < 0) {
			ns += 1000000000ll;
			ts.tv_sec--;
		} else if (ns >= 1000000000ll) {
			ns -= 1000000000ll;
			ts.tv_sec++;
		}
		ts.tv_nsec = (long)ns;
		return clock_settime(CLOCK_REALTIME, &ts) == 0 ? 0 : -errno;
	} else {
		struct timeval tv = {.tv_sec = (time_t)(off / 1000000000ll),
		                     .tv_usec = (suseconds_t)(off % 1000000000ll / 1000)};

		return adjtime(&tv, NULL) == 0 ? 0 : -errno;
	}
}

int
mg_ntp_input(struct mg_ntp *n, uint64_t now_ms)
{
	uint8_t buf[512];
	struct timespec ts;
	ssize_t len;
	int rc = -EAGAIN, stepped = 0;

	while ((len = recv(n->fd, buf, sizeof(buf), 0)) >= 0) {
		struct mg_ntp_sample s;

		clock_gettime(CLOCK_REALTIME, &ts);
		if (n->t1 == 0)
			continue; /* nothing asked: a stray or late datagram */
		rc = mg_ntp_parse(buf, (size_t)len, n->t1, mg_ntp_from_timespec(&ts), &s);
		if (rc == -EPROTO)
			continue; /* not ours or malformed: keep waiting for the real answer */
		if (rc == -EAGAIN) {
			mg_init_log("ntp: %s sent a kiss-o'-death: backing off", n->name);
			n->retry_ms = NTP_RETRY_MAX_MS;
			retry_later(n, now_ms);
			return rc;
		}
		if (rc != 0) {
			mg_init_log("ntp: %s: %s", n->name,
			            rc == -ENOTSUP ? "server not synchronised"
			                           : "round trip out of range");
			retry_later(n, now_ms);
			return rc;
		}
		n->last = s;
		if (!n->dry_run) {
			rc = apply(s.offset_ns, &stepped);
			if (rc != 0) {
				mg_init_log("ntp: cannot set the clock: %s", strerror(-rc));
				retry_later(n, now_ms);
				return rc;
			}
		}
		if (n->synced_ms == 0 || stepped)
			mg_init_log(
			    "ntp: %s (stratum %d): offset %+.3f ms, delay %.3f ms, clock %s",
			    n->name, s.stratum, (double)s.offset_ns / 1e6, (double)s.delay_ns / 1e6,
			    n->dry_run ? "left alone"
			    : stepped  ? "stepped"
			               : "slewed");
		n->synced_ms = now_ms;
		n->syncs++;
		n->timeouts = 0;
		n->retry_ms = NTP_RETRY_MIN_MS;
		schedule(n, now_ms, NTP_POLL_MS);
		return 0;
	}
	return rc;
}

void
mg_ntp_status(const struct mg_ntp *n, uint64_t now_ms, char *buf, size_t cap)
{
	if (n->fd < 0)
		snprintf(buf, cap, "clock from the RTC (no NTP)");
	else if (n->synced_ms == 0)
		snprintf(buf, cap, "clock from the RTC, NTP %s not answering yet", n->name);
	else
		snprintf(buf, cap, "clock synced to %s %llu s ago (offset %+.3f ms)", n->name,
		         (unsigned long long)(now_ms - n->synced_ms) / 1000,
		         (double)n->last.offset_ns / 1e6);
}
