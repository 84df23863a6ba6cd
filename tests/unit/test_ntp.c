/*
 * The appliance's SNTP client (platform/init/ntp.c): the reply checks and the offset/delay
 * arithmetic, then the whole client state machine against a server socket on loopback (in
 * dry-run mode: the test never touches the machine's clock).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mgtest.h"
#include "platform/init/init.h"

static char last_log[512];

/* ntp.c logs through PID 1's logger; here it is captured for the assertions. */
void
mg_init_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
}

#define SEC (1ull << 32)

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A server reply to the query sent at <t1>, received at <t2>, sent back at <t3>. */
static void
reply(uint8_t *p, int li_vn_mode, int stratum, uint64_t t1, uint64_t t2, uint64_t t3)
{
	memset(p, 0, 48);
	p[0] = (uint8_t)li_vn_mode;
	p[1] = (uint8_t)stratum;
	put64(p + 24, t1);
	put64(p + 32, t2);
	put64(p + 40, t3);
}

#define OK_MODE (0 << 6 | 4 << 3 | 4)

MG_TEST(ntp_offset_and_delay)
{
	struct mg_ntp_sample s;
	uint8_t p[48];
	uint64_t t1 = 3900000000ull * SEC; /* 2023 */

	/* Server 5 s ahead, 10 ms each way, 1 ms of server processing. */
	reply(p, OK_MODE, 2, t1, t1 + 5 * SEC + SEC / 100, t1 + 5 * SEC + SEC / 100 + SEC / 1000);
	MG_ASSERT_EQ_INT(mg_ntp_parse(p, 48, t1, t1 + SEC / 50 + SEC / 1000, &s), 0);
	MG_EXPECT(s.offset_ns > 4999999000ll && s.offset_ns < 5000001000ll);
	MG_EXPECT(s.delay_ns > 19999000ll && s.delay_ns < 20001000ll);
	MG_EXPECT_EQ_INT(s.stratum, 2);

	/* Server 3 days behind (a clock far off after a dead RTC battery). */
	reply(p, 3 << 3 | 4, 1, t1, t1 - 259200 * SEC, t1 - 259200 * SEC);
	MG_ASSERT_EQ_INT(mg_ntp_parse(p, 48, t1, t1, &s), 0);
	MG_EXPECT(s.offset_ns < -259199999999000ll && s.offset_ns > -259200000001000ll);
	MG_EXPECT(s.delay_ns >= 0 && s.delay_ns < 1000);

	/* Across the NTP era boundary (2036): arithmetic is modulo 2^64. */
	t1 = 0xffffffffull * SEC;
	reply(p, OK_MODE, 3, t1, t1 + 2 * SEC, t1 + 2 * SEC);
	MG_ASSERT_EQ_INT(mg_ntp_parse(p, 48, t1, t1, &s), 0);
	MG_EXPECT(s.offset_ns > 1999999000ll && s.offset_ns < 2000001000ll);

	/* Extension fields or a MAC after the 48 bytes are ignored. */
	{
		uint8_t big[68];

		t1 = 3900000000ull * SEC;
		reply(big, OK_MODE, 2, t1, t1 + SEC, t1 + SEC);
		memset(big + 48, 0xab, 20);
		MG_EXPECT_EQ_INT(mg_ntp_parse(big, sizeof(big), t1, t1, &s), 0);
	}
}

MG_TEST(ntp_refusals)
{
	struct mg_ntp_sample s;
	uint8_t p[48];
	uint64_t t1 = 3900000000ull * SEC + 0x1234, t2 = t1 + SEC, t4 = t1 + SEC / 100;

	reply(p, OK_MODE, 2, t1, t2, t2);
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 47, t1, t4, &s), -EPROTO);     /* short */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1 + 1, t4, &s), -EPROTO); /* not our query */
	reply(p, 0 << 6 | 4 << 3 | 3, 2, t1, t2, t2);                   /* a client packet */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t4, &s), -EPROTO);
	reply(p, 0 << 6 | 4 << 3 | 5, 2, t1, t2, t2); /* broadcast */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t4, &s), -EPROTO);
	reply(p, 0 << 6 | 2 << 3 | 4, 2, t1, t2, t2); /* version 2 */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t4, &s), -EPROTO);
	reply(p, 0 << 6 | 5 << 3 | 4, 2, t1, t2, t2); /* version 5 */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t4, &s), -EPROTO);
	reply(p, OK_MODE, 0, t1, t2, t2); /* kiss-o'-death */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t4, &s), -EAGAIN);
	reply(p, 3 << 6 | 4 << 3 | 4, 2, t1, t2, t2); /* alarm: unsynchronised */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t4, &s), -ENOTSUP);
	reply(p, OK_MODE, 16, t1, t2, t2); /* stratum 16: unsynchronised */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t4, &s), -ENOTSUP);
	reply(p, OK_MODE, 2, t1, 0, t2); /* no receive timestamp */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t4, &s), -EPROTO);
	reply(p, OK_MODE, 2, t1, t2, 0); /* no transmit timestamp */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t4, &s), -EPROTO);
	reply(p, OK_MODE, 2, t1, t2 + SEC, t2); /* answered before it was asked */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t4, &s), -EPROTO);
	reply(p, OK_MODE, 2, t1, t2, t2 + SEC); /* server took longer than the round trip */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t4, &s), -ERANGE);
	reply(p, OK_MODE, 2, t1, t2, t2); /* a 3 s round trip */
	MG_EXPECT_EQ_INT(mg_ntp_parse(p, 48, t1, t1 + 3 * SEC, &s), -ERANGE);
}

MG_TEST(ntp_from_timespec)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 500000000};

	MG_EXPECT_EQ_UINT(mg_ntp_from_timespec(&ts), 2208988800ull << 32 | 0x80000000u);
	ts.tv_sec = 1700000000;
	ts.tv_nsec = 0;
	MG_EXPECT_EQ_UINT(mg_ntp_from_timespec(&ts) >> 32, 1700000000ull + 2208988800ull);
}

static void
read_u64(const uint8_t *p, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < 8; i++)
		*v = *v << 8 | p[i];
}

MG_TEST(ntp_client_against_loopback_server)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	struct mg_ntp n;
	uint8_t q[128], p[48];
	uint64_t t1;
	char spec[64], status[256];
	ssize_t len;
	int srv;

	srv = socket(AF_INET, SOCK_DGRAM, 0);
	MG_ASSERT(srv >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	MG_ASSERT(bind(srv, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	MG_ASSERT(getsockname(srv, (struct sockaddr *)&sa, &sl) == 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", ntohs(sa.sin_port));

	MG_EXPECT_EQ_INT(mg_ntp_start(&n, "off", 0), -ENOENT);
	MG_EXPECT_EQ_INT(mg_ntp_timeout(&n, 0), -1);
	MG_EXPECT_EQ_INT(mg_ntp_start(&n, "not-an-address", 0), -EINVAL);
	MG_EXPECT_EQ_INT(mg_ntp_start(&n, "127.0.0.1:99999", 0), -EINVAL);
	MG_ASSERT_EQ_INT(mg_ntp_start(&n, spec, 1000), 0);
	n.dry_run = 1;
	MG_EXPECT_EQ_INT(mg_ntp_timeout(&n, 1000), 0);

	/* The first query: a version 4 client packet carrying its transmit timestamp. */
	mg_ntp_tick(&n, 1000);
	MG_EXPECT_EQ_INT(mg_ntp_timeout(&n, 1000), 1000);
	sl = sizeof(sa);
	len = recvfrom(srv, q, sizeof(q), 0, (struct sockaddr *)&sa, &sl);
	MG_ASSERT_EQ_INT(len, 48);
	MG_EXPECT_EQ_INT(q[0], 0 << 6 | 4 << 3 | 3);
	read_u64(q + 40, &t1);
	MG_EXPECT_EQ_UINT(t1, n.t1);

	/* Unanswered for a second: noticed, logged, retried after 1 s, then 2 s. */
	mg_ntp_tick(&n, 2000);
	MG_EXPECT_CONTAINS(last_log, "no answer from 127.0.0.1");
	MG_EXPECT_EQ_INT(mg_ntp_timeout(&n, 2000), 1000);
	mg_ntp_tick(&n, 3000);
	len = recvfrom(srv, q, sizeof(q), 0, (struct sockaddr *)&sa, &sl);
	MG_ASSERT_EQ_INT(len, 48);
	read_u64(q + 40, &t1);

	/* A forged answer (wrong originate) is ignored; the real one, 42 s ahead, is taken. */
	reply(p, OK_MODE, 1, t1 + 1, t1 + 42 * SEC, t1 + 42 * SEC);
	MG_ASSERT(sendto(srv, p, 48, 0, (struct sockaddr *)&sa, sl) == 48);
	reply(p, OK_MODE, 1, t1, t1 + 42 * SEC, t1 + 42 * SEC);
	MG_ASSERT(sendto(srv, p, 48, 0, (struct sockaddr *)&sa, sl) == 48);
	usleep(20000);
	MG_ASSERT_EQ_INT(mg_ntp_input(&n, 3010), 0);
	MG_EXPECT(n.last.offset_ns > 41 * 1000000000ll && n.last.offset_ns < 43 * 1000000000ll);
	MG_EXPECT_CONTAINS(last_log, "stratum 1");
	MG_EXPECT_CONTAINS(last_log, "left alone");
	MG_EXPECT_EQ_UINT(n.syncs, 1);
	/* Next query in 1024 s. */
	MG_EXPECT_EQ_INT(mg_ntp_timeout(&n, 3010), 1024000);
	mg_ntp_status(&n, 13010, status, sizeof(status));
	MG_EXPECT_CONTAINS(status, "synced to 127.0.0.1");
	MG_EXPECT_CONTAINS(status, "10 s ago");

	/* A late duplicate of the answer, with no query in flight, is dropped. */
	MG_ASSERT(sendto(srv, p, 48, 0, (struct sockaddr *)&sa, sl) == 48);
	usleep(20000);
	MG_EXPECT_EQ_INT(mg_ntp_input(&n, 3020), -EAGAIN);
	MG_EXPECT_EQ_UINT(n.syncs, 1);

	close(n.fd);
	close(srv);
}
