/*
 * Helpers of the TLS unit tests: certificates, standard contexts, and in-memory pipes joining
 * a server connection to a client connection.  See tests/tls/mg_tls_test.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tls/mg_tls_test.h"
#include "tests/unit/mgtest.h"

static char cert_dir[64];

static void
remove_cert_dir(void)
{
	char cmd[128];

	if (cert_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cert_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", cert_dir);
	}
}

static bool
make_certs(void)
{
	char cmd[256];

	if (cert_dir[0] != '\0')
		return true;
	if (access("tests/tls/make-certs.sh", X_OK) != 0)
		return mg_test_fail(
		    __FILE__, __LINE__,
		    "tests/tls/make-certs.sh not found: run from the repository root");
	strcpy(cert_dir, "/tmp/mg-tls-test-XXXXXX");
	if (mkdtemp(cert_dir) == NULL) {
		cert_dir[0] = '\0';
		return mg_test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
	}
	atexit(remove_cert_dir);
	snprintf(cmd, sizeof(cmd), "tests/tls/make-certs.sh '%s' >/dev/null", cert_dir);
	if (system(cmd) != 0)
		return mg_test_fail(__FILE__, __LINE__, "tests/tls/make-certs.sh failed");
	return true;
}

bool
tls_test_setup(void)
{
	char err[256];
	int ret;

	if (!make_certs())
		return false;
	ret = mg_tls_global_init(NULL, err, sizeof(err));
	if (ret != 0 && ret != -EALREADY)
		return mg_test_fail(__FILE__, __LINE__, "mg_tls_global_init: %s", err);
	return true;
}

const char *
tls_file(const char *name)
{
	static char paths[64][128];
	static unsigned int next;
	char *p = paths[next++ % 64];

	snprintf(p, sizeof(paths[0]), "%s/%s", cert_dir, name);
	return p;
}

struct mg_tls_server *
tls_std_server(struct mg_tls_server_conf *conf)
{
	static struct mg_tls_cert_conf certs[5];
	struct mg_tls_server_conf local = {0};
	struct mg_tls_server *s;
	char err[256];

	if (conf == NULL)
		conf = &local;
	certs[0] = (struct mg_tls_cert_conf){tls_file("dflt.crt"), tls_file("dflt.key")};
	certs[1] = (struct mg_tls_cert_conf){tls_file("ec.crt"), tls_file("ec.key")};
	certs[2] = (struct mg_tls_cert_conf){tls_file("rsa-chain.crt"), tls_file("rsa.key")};
	certs[3] = (struct mg_tls_cert_conf){tls_file("ec-b.crt"), tls_file("ec-b.key")};
	certs[4] = (struct mg_tls_cert_conf){tls_file("cn.crt"), tls_file("cn.key")};
	conf->certs = certs;
	conf->ncerts = 5;
	if (mg_tls_server_new(&s, conf, err, sizeof(err)) != 0) {
		mg_test_fail(__FILE__, __LINE__, "mg_tls_server_new: %s", err);
		return NULL;
	}
	return s;
}

struct mg_tls_client *
tls_std_client(struct mg_tls_client_conf *conf)
{
	struct mg_tls_client_conf local = {0};
	struct mg_tls_client *c;
	char err[256];

	if (conf == NULL)
		conf = &local;
	if (conf->ca_file == NULL)
		conf->ca_file = tls_file("ca.crt");
	if (mg_tls_client_new(&c, conf, err, sizeof(err)) != 0) {
		mg_test_fail(__FILE__, __LINE__, "mg_tls_client_new: %s", err);
		return NULL;
	}
	return c;
}

/* ---- pipes -------------------------------------------------------------------------------------
 */

static int
pipe_recv(void *arg, unsigned char *buf, size_t len)
{
	struct tls_pipe *p = ((struct tls_end *)arg)->in;
	size_t n = p->w - p->r;

	if (p->reset)
		return -ECONNRESET;
	if (p->stutter && (p->rcalls++ & 1) == 0)
		return MG_TLS_WANT;
	if (n == 0)
		return p->eof ? 0 : MG_TLS_WANT;
	if (n > len)
		n = len;
	if (p->max_per_call != 0 && n > p->max_per_call)
		n = p->max_per_call;
	memcpy(buf, p->buf + p->r, n);
	p->r += n;
	p->consumed += n;
	if (p->r == p->w)
		p->r = p->w = 0;
	return (int)n;
}

static int
pipe_send(void *arg, const unsigned char *buf, size_t len)
{
	struct tls_pipe *p = ((struct tls_end *)arg)->out;
	size_t limit = p->limit != 0 ? p->limit : TLS_PIPE_SIZE;
	size_t n;

	if (p->reset)
		return -ECONNRESET;
	if (p->stutter && (p->wcalls++ & 1) == 0)
		return MG_TLS_WANT;
	if (p->r > 0) {
		memmove(p->buf, p->buf + p->r, p->w - p->r);
		p->w -= p->r;
		p->r = 0;
	}
	n = p->w < limit ? limit - p->w : 0;
	if (n > len)
		n = len;
	if (p->max_per_call != 0 && n > p->max_per_call)
		n = p->max_per_call;
	if (n == 0)
		return MG_TLS_WANT;
	memcpy(p->buf + p->w, buf, n);
	p->w += n;
	p->total += n;
	return (int)n;
}

struct tls_pair *
tls_pair_new(void)
{
	struct tls_pair *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->srv_end.in = &p->c2s;
	p->srv_end.out = &p->s2c;
	p->cli_end.in = &p->s2c;
	p->cli_end.out = &p->c2s;
	return p;
}

void
tls_pair_free(struct tls_pair *p)
{
	if (p == NULL)
		return;
	mg_tls_conn_free(p->srv);
	mg_tls_conn_free(p->cli);
	free(p);
}

bool
tls_pair_start(struct tls_pair *p, struct mg_tls_server *s, struct mg_tls_client *c,
               const char *sni)
{
	struct mg_tls_io sio = {pipe_recv, pipe_send, &p->srv_end};
	struct mg_tls_io cio = {pipe_recv, pipe_send, &p->cli_end};

	p->srv = s != NULL ? mg_tls_accept(s, &sio) : NULL;
	p->cli = c != NULL ? mg_tls_connect(c, &cio, sni) : NULL;
	p->srv_ret = p->cli_ret = MG_TLS_WANT_READ;
	return (s == NULL || p->srv != NULL) && (c == NULL || p->cli != NULL);
}

static bool
hs_final(int r)
{
	return r == 0 || r == MG_TLS_ERR;
}

/* Reads on a connection whose handshake is done; no application data is expected. */
static void
read_nothing(struct mg_tls_conn *t, int *ret)
{
	unsigned char buf[256];
	int r = mg_tls_read(t, buf, sizeof(buf));

	if (r == MG_TLS_ERR)
		*ret = MG_TLS_ERR;
	else if (r >= 0)
		mg_test_fail(__FILE__, __LINE__, "unexpected read result %d during handshake", r);
}

int
tls_pair_handshake(struct tls_pair *p)
{
	size_t before;
	int i, idle = 0;

	for (i = 0; i < 1000000 && !(hs_final(p->srv_ret) && hs_final(p->cli_ret)); i++) {
		before = p->c2s.total + p->s2c.total + p->c2s.consumed + p->s2c.consumed;
		if (!hs_final(p->cli_ret))
			p->cli_ret = mg_tls_handshake(p->cli);
		if (!hs_final(p->srv_ret))
			p->srv_ret = mg_tls_handshake(p->srv);
		/* A side that is done reads on (as an application would), which takes in what
		 * the other still sends: TLS 1.3 tickets, or an alert. */
		if (p->cli_ret == 0 && !hs_final(p->srv_ret))
			read_nothing(p->cli, &p->cli_ret);
		if (p->srv_ret == 0 && !hs_final(p->cli_ret))
			read_nothing(p->srv, &p->srv_ret);
		/* Stop when nothing moved for a while (one side done or failed, the other
		 * waiting for bytes that will not come). */
		if (p->c2s.total + p->s2c.total + p->c2s.consumed + p->s2c.consumed == before &&
		    !p->c2s.stutter && !p->s2c.stutter) {
			if (++idle > 4)
				break;
		} else {
			idle = 0;
		}
		if (p->srv_ret == MG_TLS_ERR || p->cli_ret == MG_TLS_ERR) {
			/* Let the other side read the alert (as its handshake or, when that
			 * completed already, as its first read). */
			if (!hs_final(p->cli_ret))
				p->cli_ret = mg_tls_handshake(p->cli);
			else if (p->cli_ret == 0)
				read_nothing(p->cli, &p->cli_ret);
			if (!hs_final(p->srv_ret))
				p->srv_ret = mg_tls_handshake(p->srv);
			else if (p->srv_ret == 0)
				read_nothing(p->srv, &p->srv_ret);
			break;
		}
	}
	if ((p->srv_ret != 0 || p->cli_ret != 0) && getenv("TLS_TEST_DEBUG") != NULL) {
		bool rs = false, rc = false;
		int as = p->srv != NULL ? mg_tls_conn_alert(p->srv, &rs) : -1;
		int ac = p->cli != NULL ? mg_tls_conn_alert(p->cli, &rc) : -1;

		printf("handshake: server %d %s alert %d%s, client %d %s alert %d%s\n", p->srv_ret,
		       p->srv != NULL ? mg_tls_failure_label(mg_tls_conn_failure(p->srv)) : "-", as,
		       rs ? " received" : "", p->cli_ret,
		       p->cli != NULL ? mg_tls_failure_label(mg_tls_conn_failure(p->cli)) : "-", ac,
		       rc ? " received" : "");
	}
	return p->srv_ret == 0 && p->cli_ret == 0 ? 0 : MG_TLS_ERR;
}

int
tls_drain(struct mg_tls_conn *t)
{
	unsigned char buf[4096];
	int r;

	do
		r = mg_tls_read(t, buf, sizeof(buf));
	while (r > 0);
	return r;
}

bool
tls_transfer(struct tls_pair *p, bool client_to_server, size_t n)
{
	struct mg_tls_conn *from = client_to_server ? p->cli : p->srv;
	struct mg_tls_conn *to = client_to_server ? p->srv : p->cli;
	unsigned char *out = malloc(n), *in = malloc(n);
	size_t sent = 0, got = 0, i;
	int rounds = 0, r;
	bool ok = false;

	if (out == NULL || in == NULL)
		goto done;
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)(i * 7 + (i >> 8));
	while (got < n && rounds++ < 100000) {
		while (sent < n) {
			r = mg_tls_write(from, out + sent, n - sent);
			if (r == MG_TLS_WANT_WRITE || r == MG_TLS_WANT_READ)
				break;
			if (r <= 0) {
				mg_test_fail(__FILE__, __LINE__, "mg_tls_write: %d (%s)", r,
				             mg_tls_failure_label(mg_tls_conn_failure(from)));
				goto done;
			}
			sent += (size_t)r;
		}
		if (mg_tls_want_flush(from) && mg_tls_flush(from) == MG_TLS_ERR)
			goto done;
		for (;;) {
			r = mg_tls_read(to, in + got, n - got);
			if (r > 0) {
				got += (size_t)r;
				if (got == n)
					break;
				continue;
			}
			if (r == MG_TLS_WANT_READ || r == MG_TLS_WANT_WRITE)
				break;
			mg_test_fail(__FILE__, __LINE__, "mg_tls_read: %d (%s)", r,
			             mg_tls_failure_label(mg_tls_conn_failure(to)));
			goto done;
		}
	}
	if (got != n) {
		mg_test_fail(__FILE__, __LINE__, "transfer stalled at %zu of %zu bytes", got, n);
		goto done;
	}
	ok = memcmp(in, out, n) == 0;
	if (!ok)
		mg_test_fail(__FILE__, __LINE__, "transferred bytes differ");
done:
	free(out);
	free(in);
	return ok;
}

size_t
tls_mem_in_use(void)
{
	struct mg_tls_mem_stats st;

	mg_tls_mem_stats(&st);
	return st.in_use;
}
