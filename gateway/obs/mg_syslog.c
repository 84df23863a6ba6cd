/*
 * RFC 5424 over UDP.  See mg_syslog.h.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME meshgate PROCID access - MSG
 *
 * PRI is facility * 8 + 6 (informational); TIMESTAMP is when the line was flushed (within a
 * second of the request's end; the line carries its own START_TIME if the format has it).
 * A message is cut to fit one unfragmented datagram on a 1500-byte MTU.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lwip/pbuf.h"
#include "lwip/udp.h"

#include "gateway/obs/mg_syslog.h"

#define MSG_MAX 1472 /* 1500 - IPv4 - UDP headers */

static struct {
	struct udp_pcb *pcb;
	ip_addr_t to;
	uint16_t port;
	unsigned int pri;
	char host[64];
	long pid;
	uint64_t sent, failed;
} sl;

int
mg_syslog_open(uint32_t addr, uint16_t port, uint8_t facility)
{
	sl.pcb = udp_new();
	if (sl.pcb == NULL)
		return -ENOMEM;
	if (udp_bind(sl.pcb, IP4_ADDR_ANY, 0) != ERR_OK) {
		udp_remove(sl.pcb);
		sl.pcb = NULL;
		return -EADDRINUSE;
	}
	ip_addr_set_ip4_u32(&sl.to, addr);
	sl.port = port;
	sl.pri = (unsigned int)facility * 8 + 6;
	if (gethostname(sl.host, sizeof(sl.host) - 1) != 0 || sl.host[0] == '\0')
		strcpy(sl.host, "-");
	sl.pid = (long)getpid();
	return 0;
}

void
mg_syslog_close(void)
{
	if (sl.pcb != NULL)
		udp_remove(sl.pcb);
	sl.pcb = NULL;
}

bool
mg_syslog_send(const char *msg, size_t len)
{
	char head[160];
	struct timespec ts;
	struct tm tm;
	struct pbuf *p;
	size_t hn;

	if (sl.pcb == NULL)
		return false;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	hn = (size_t)snprintf(head, sizeof(head), "<%u>1 ", sl.pri);
	hn += strftime(head + hn, sizeof(head) - hn, "%Y-%m-%dT%H:%M:%S", &tm);
	hn += (size_t)snprintf(head + hn, sizeof(head) - hn, ".%03ldZ %s meshgate %ld access - ",
	                       ts.tv_nsec / 1000000, sl.host, sl.pid);
	if (hn >= sizeof(head))
		hn = sizeof(head) - 1;
	if (hn + len > MSG_MAX)
		len = MSG_MAX - hn;
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)(hn + len), PBUF_RAM);
	if (p == NULL) {
		sl.failed++;
		return false;
	}
	memcpy(p->payload, head, hn);
	memcpy((char *)p->payload + hn, msg, len);
	if (udp_sendto(sl.pcb, p, &sl.to, sl.port) != ERR_OK) {
		pbuf_free(p);
		sl.failed++;
		return false;
	}
	pbuf_free(p);
	sl.sent++;
	return true;
}

uint64_t
mg_syslog_sent(void)
{
	return sl.sent;
}

uint64_t
mg_syslog_failed(void)
{
	return sl.failed;
}
