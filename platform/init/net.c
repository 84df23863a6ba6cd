/*
 * meshgate-init: the management path on the kernel's own network stack.
 *
 * The data NICs belong to the gateway (DPDK); the management NIC stays with its kernel driver
 * so that PID 1 can fetch EC2 user-data before the gateway starts.  Two small clients:
 * DHCP (DISCOVER/OFFER/REQUEST/ACK with the broadcast flag, so no raw socket is needed) and
 * an IMDSv2 HTTP/1.0 client.  Every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform/init/init.h"

#define DHCP_MAGIC 0x63825363u

struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	uint8_t sname[64], file[128];
	uint32_t magic;
	uint8_t options[312];
} __attribute__((packed));

static int
if_set(int s, const char *ifname, unsigned long req, uint32_t addr)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	return ioctl(s, req, &ifr) == 0 ? 0 : -errno;
}

static int
if_up(int s, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &ifr) == 0 ? 0 : -errno;
}

static size_t
dhcp_build(struct dhcp_msg *m, const uint8_t *mac, uint32_t xid, int type,
           const struct mg_dhcp_lease *l)
{
	uint8_t *o = m->options;

	memset(m, 0, sizeof(*m));
	m->op = 1;
	m->htype = 1;
	m->hlen = 6;
	m->xid = xid;
	m->flags = htons(0x8000); /* answer by broadcast: we have no address yet */
	memcpy(m->chaddr, mac, 6);
	m->magic = htonl(DHCP_MAGIC);
	*o++ = 53, *o++ = 1, *o++ = (uint8_t)type;
	if (type == 3) {
		*o++ = 50, *o++ = 4;
		memcpy(o, &l->addr, 4), o += 4;
		*o++ = 54, *o++ = 4;
		memcpy(o, &l->server, 4), o += 4;
	}
	*o++ = 55, *o++ = 2, *o++ = 1, *o++ = 3; /* ask for netmask, router */
	*o++ = 255;
	return (size_t)(o - (uint8_t *)m);
}

int
mg_net_dhcp_parse(const void *msg, size_t len, uint32_t xid, struct mg_dhcp_lease *l)
{
	struct dhcp_msg copy, *m = &copy;
	const uint8_t *o, *end;
	int type = -1;

	if (len < offsetof(struct dhcp_msg, options) || len > sizeof(copy))
		return -1;
	memcpy(&copy, msg, len);
	o = m->options;
	end = (const uint8_t *)m + len;
	if (m->op != 2 || m->xid != xid || m->magic != htonl(DHCP_MAGIC))
		return -1;
	l->addr = m->yiaddr;
	while (o < end && *o != 255) {
		if (*o == 0) {
			o++;
			continue;
		}
		if (end - o < 2 || end - o - 2 < o[1])
			break;
		if (o[0] == 53 && o[1] >= 1)
			type = o[2];
		else if (o[0] == 1 && o[1] >= 4)
			memcpy(&l->mask, o + 2, 4);
		else if (o[0] == 3 && o[1] >= 4)
			memcpy(&l->router, o + 2, 4);
		else if (o[0] == 54 && o[1] >= 4)
			memcpy(&l->server, o + 2, 4);
		o += 2 + o[1];
	}
	return type;
}

/* Sends one message and waits up to <ms> for a reply of type <want>. */
static int
dhcp_exchange(int s, struct dhcp_msg *m, size_t len, uint32_t xid, int want, int ms,
              struct mg_dhcp_lease *l)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(67)};
	uint64_t end = mg_init_now_ms() + (uint64_t)ms;
	struct dhcp_msg r;

	to.sin_addr.s_addr = INADDR_BROADCAST;
	if (sendto(s, m, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	for (;;) {
		struct pollfd p = {s, POLLIN, 0};
		uint64_t now = mg_init_now_ms();
		ssize_t n;

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			return -ETIMEDOUT;
		n = recv(s, &r, sizeof(r), 0);
		if (n > 0) {
			int t = mg_net_dhcp_parse(&r, (size_t)n, xid, l);

			if (t == want)
				return 0;
			if (t == 6)
				return -ECONNREFUSED;
		}
	}
}

int
mg_net_dhcp(const char *ifname, int timeout_ms)
{
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(68)};
	struct mg_dhcp_lease lease;
	struct dhcp_msg m;
	struct ifreq ifr;
	struct rtentry rt;
	uint8_t mac[6];
	uint64_t end = mg_init_now_ms() + (uint64_t)timeout_ms;
	uint32_t xid;
	int s, one = 1, rc = -ETIMEDOUT;
	char a[16], g[16];

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if_up(s, "lo"); /* best effort: nothing in the image needs loopback yet */
	if ((rc = if_up(s, ifname)) != 0)
		goto out;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(s, SIOCGIFHWADDR, &ifr) != 0) {
		rc = -errno;
		goto out;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	xid = (uint32_t)mg_init_now_ms() ^ ((uint32_t)mac[4] << 8 | mac[5]) << 16;
	setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) != 0 ||
	    bind(s, (struct sockaddr *)&me, sizeof(me)) != 0) {
		rc = -errno;
		goto out;
	}
	rc = -ETIMEDOUT;
	while (mg_init_now_ms() < end) {
		int left = (int)(end - mg_init_now_ms());
		int step = left < 1500 ? left : 1500;

		memset(&lease, 0, sizeof(lease));
		if (dhcp_exchange(s, &m, dhcp_build(&m, mac, xid, 1, NULL), xid, 2, step, &lease))
			continue;
		rc =
		    dhcp_exchange(s, &m, dhcp_build(&m, mac, xid, 3, &lease), xid, 5, 1500, &lease);
		if (rc == 0)
			break;
	}
	if (rc != 0)
		goto out;
	if (lease.mask == 0)
		lease.mask = htonl(0xffffff00u);
	if ((rc = if_set(s, ifname, SIOCSIFADDR, lease.addr)) != 0 ||
	    (rc = if_set(s, ifname, SIOCSIFNETMASK, lease.mask)) != 0)
		goto out;
	if (lease.router != 0) {
		memset(&rt, 0, sizeof(rt));
		((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_gateway)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_gateway)->sin_addr.s_addr = lease.router;
		rt.rt_flags = RTF_UP | RTF_GATEWAY;
		rt.rt_dev = (char *)ifname;
		if (ioctl(s, SIOCADDRT, &rt) != 0 && errno != EEXIST)
			mg_init_log("mgmt: default route: %s", strerror(errno));
	}
	inet_ntop(AF_INET, &lease.addr, a, sizeof(a));
	inet_ntop(AF_INET, &lease.router, g, sizeof(g));
	mg_init_log("mgmt: %s %s/%d via %s (DHCP)", ifname, a,
	            __builtin_popcount(ntohl(lease.mask)), g);
out:
	close(s);
	return rc;
}

int
mg_net_http_parse(const char *buf, size_t len, int *status, size_t *body_off)
{
	const char *p = buf, *end = buf + len;
	int code = 0, i;

	/* "HTTP/1.x NNN" then anything up to the blank line that ends the head. */
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
		return -EPROTO;
	for (i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EPROTO;
		code = code * 10 + (buf[i] - '0');
	}
	for (p = buf + 12; end - p >= 4; p++)
		if (memcmp(p, "\r\n\r\n", 4) == 0) {
			*status = code;
			*body_off = (size_t)(p + 4 - buf);
			return 0;
		}
	return -EPROTO;
}

/* One HTTP/1.0 request; returns the status and a malloc'd body in <*body>. */
static int
http(const char *host, int port, const char *req, uint64_t end, uint8_t **body, size_t *blen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	size_t cap = 4096, len = 0, sent = 0, rlen = strlen(req);
	char *buf = NULL;
	size_t body_off;
	int s, st, status = -EIO;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -EINVAL;
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS)
		goto out;
	buf = malloc(cap);
	if (buf == NULL)
		goto out;
	for (;;) {
		struct pollfd p = {s, sent < rlen ? POLLOUT : POLLIN, 0};
		uint64_t now = mg_init_now_ms();
		ssize_t n;

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0) {
			status = -ETIMEDOUT;
			goto out;
		}
		if (sent < rlen) {
			n = send(s, req + sent, rlen - sent, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN) {
				status = -errno;
				goto out;
			}
			sent += n > 0 ? (size_t)n : 0;
			continue;
		}
		if (len + 1 >= cap) {
			char *nb = cap >= (1u << 20) ? NULL : realloc(buf, cap * 2);

			if (nb == NULL)
				goto out;
			buf = nb;
			cap *= 2;
		}
		n = recv(s, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0) {
			status = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	st = mg_net_http_parse(buf, len, &status, &body_off);
	if (st != 0) {
		status = st;
		goto out;
	}
	*blen = len - body_off;
	*body = malloc(*blen + 1);
	if (*body == NULL) {
		status = -ENOMEM;
		goto out;
	}
	memcpy(*body, buf + body_off, *blen);
	(*body)[*blen] = '\0';
out:
	free(buf);
	close(s);
	return status;
}

long
mg_net_imds_user_data(const char *host, int port, int timeout_ms, uint8_t **out)
{
	uint64_t end = mg_init_now_ms() + (uint64_t)timeout_ms;
	uint8_t *token = NULL, *body = NULL;
	size_t tlen = 0, blen = 0;
	char req[512];
	int st;

	snprintf(req, sizeof(req),
	         "PUT /latest/api/token HTTP/1.0\r\nHost: %s\r\n"
	         "X-aws-ec2-metadata-token-ttl-seconds: 300\r\nContent-Length: 0\r\n\r\n",
	         host);
	st = http(host, port, req, end, &token, &tlen);
	if (st != 200) {
		free(token);
		return st < 0 ? st : -EPROTO;
	}
	while (tlen > 0 && (token[tlen - 1] == '\n' || token[tlen - 1] == '\r'))
		token[--tlen] = '\0';
	if (tlen == 0 || tlen > 200 || strpbrk((char *)token, "\r\n") != NULL) {
		free(token);
		return -EPROTO;
	}
	snprintf(req, sizeof(req),
	         "GET /latest/user-data HTTP/1.0\r\nHost: %s\r\n"
	         "X-aws-ec2-metadata-token: %s\r\n\r\n",
	         host, (char *)token);
	free(token);
	st = http(host, port, req, end, &body, &blen);
	if (st == 404) {
		free(body);
		*out = NULL;
		return 0;
	}
	if (st != 200) {
		free(body);
		return st < 0 ? st : -EPROTO;
	}
	*out = body;
	return (long)blen;
}
