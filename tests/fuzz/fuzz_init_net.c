/*
 * libFuzzer target: what PID 1 parses from the management network before anything else
 * runs: DHCP replies and IMDS's HTTP response heads (platform/init/net.c), and NTP replies
 * (platform/init/ntp.c), which set the wall clock that JWT checks trust.
 *
 * The first input byte picks the parser.  Beyond not crashing: a parsed HTTP head leaves the
 * body offset inside the input and a three-digit status; a DHCP reply of the right
 * transaction has a known message type or -1; an accepted NTP reply echoes the query's
 * timestamp and has a round trip between 0 and 2 s.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "platform/init/init.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* net.c's dependencies on the rest of PID 1. */
uint64_t
mg_init_now_ms(void)
{
	return 0;
}

void
mg_init_log(const char *fmt, ...)
{
	(void)fmt;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_dhcp_lease lease;
	uint8_t *buf;
	size_t off;
	int status, rc;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 > 0 ? size - 1 : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	if ((data[0] & 3) == 2) {
		struct mg_ntp_sample s;
		uint64_t t1 = 0, t4 = 0;

		for (size_t i = 0; i < 8 && 24 + i < size - 1; i++)
			t1 =
			    t1 << 8 | buf[24 + i]; /* often the echo: accepted paths get explored */
		for (size_t i = 0; i < 8 && 48 + i < size - 1; i++)
			t4 = t4 << 8 | buf[48 + i];
		rc = mg_ntp_parse(buf, size - 1, t1, t4, &s);
		if (rc == 0 && (s.delay_ns < 0 || s.delay_ns > 2000000000ll || s.stratum < 1 ||
		                s.stratum > 15))
			abort();
		if (rc != 0 && rc != -EPROTO && rc != -EAGAIN && rc != -ENOTSUP && rc != -ERANGE)
			abort();
	} else if (data[0] & 1) {
		rc = mg_net_http_parse((const char *)buf, size - 1, &status, &off);
		if (rc == 0 && (off > size - 1 || status < 0 || status > 999))
			abort();
	} else {
		uint32_t xid;

		memset(&lease, 0, sizeof(lease));
		memcpy(&xid, size - 1 >= 8 ? buf + 4 : (const uint8_t *)"\0\0\0\0", 4);
		rc = mg_net_dhcp_parse(buf, size - 1, xid, &lease);
		if (rc < -1 || rc > 255)
			abort();
	}
	free(buf);
	return 0;
}
