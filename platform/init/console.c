/*
 * meshgate-init: the serial console and its config shell (platform/shell/mg_shell.h).
 *
 * PID 1 owns the console: the kernel, PID 1 and the gateway log to it, and PID 1 is the only
 * reader of its input, which goes to the config shell.  There is no general-purpose shell in
 * the image: the only programs ever started are the gateway's own subcommands.
 *
 * The console password is kept as "salt:hash" (hex; the hash is SHA-256 iterated 20000 times
 * over salt and password) in the file console.pw of the stored bundle, so it survives reboots
 * and travels with the configuration; a user-data bundle may carry console.pw, or a
 * console-password file with the password in clear, which is hashed and removed at boot.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "platform/init/init.h"
#include "platform/shell/mg_shell.h"
#include "platform/store/mg_bundle.h"
#include "platform/store/mg_store.h"

#define CFG      MG_INIT_CONFIG_DIR "/" MG_BUNDLE_CONFIG
#define CAND     MG_INIT_CONFIG_DIR "/.candidate.json"
#define PW_FILE  "console.pw"
#define PW_CLEAR "console-password"

/* ---- SHA-256 (FIPS 180-4), for the password hash only ---- */

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

void
mg_init_sha256(const void *data, size_t len, uint8_t out[32])
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	const uint8_t *p = data;
	uint8_t last[128] = {0};
	size_t i, rest = len % 64, tail = rest < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8;

	for (i = 0; i + 64 <= len; i += 64)
		sha256_block(h, p + i);
	memcpy(last, p + i, rest);
	last[rest] = 0x80;
	for (i = 0; i < 8; i++)
		last[tail - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha256_block(h, last);
	if (tail == 128)
		sha256_block(h, last + 64);
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* "salthex:hashhex" for <pw> with <salt> (16 bytes). */
static void
pw_hash(const uint8_t salt[16], const char *pw, char out[16 * 2 + 1 + 64 + 1])
{
	uint8_t buf[32 + 16 + MG_SHELL_LINE_MAX], d[32];
	size_t plen = strlen(pw) < MG_SHELL_LINE_MAX ? strlen(pw) : MG_SHELL_LINE_MAX;
	int i;

	memset(d, 0, sizeof(d));
	for (i = 0; i < 20000; i++) {
		memcpy(buf, d, 32);
		memcpy(buf + 32, salt, 16);
		memcpy(buf + 48, pw, plen);
		mg_init_sha256(buf, 48 + plen, d);
	}
	hex(salt, 16, out);
	out[32] = ':';
	hex(d, 32, out + 33);
}

/* ---- files of /etc/meshgate ---- */

static char *
slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *b = NULL;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size <= MG_SHELL_TEXT_MAX &&
	    (b = malloc((size_t)st.st_size + 1)) != NULL) {
		ssize_t n = read(fd, b, (size_t)st.st_size);

		if (n != st.st_size) {
			free(b);
			b = NULL;
		} else {
			b[n] = '\0';
			*len = (size_t)n;
		}
	}
	close(fd);
	return b;
}

static int
spit(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	fsync(fd);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/*
 * Packs /etc/meshgate into a bundle, meshgate.json taken from <config> (or the file when
 * NULL), and writes it to the config partition as the next generation.
 */
static int
persist(const char *config, size_t clen, char *msg, size_t cap)
{
	struct mg_store_record rec;
	struct mg_store_dev dev;
	struct mg_store_fd sf;
	uint64_t size;
	struct dirent *de;
	uint8_t *b = malloc(MG_STORE_PAYLOAD_MAX);
	size_t off = 0;
	DIR *d;
	int rc = 0, fd;

	if (b == NULL)
		return -ENOMEM;
	d = opendir(MG_INIT_CONFIG_DIR);
	while (rc == 0 && d != NULL && (de = readdir(d)) != NULL) {
		char path[512];
		size_t n = 0;
		char *f;

		if (de->d_name[0] == '.' || strcmp(de->d_name, PW_CLEAR) == 0)
			continue;
		if (config != NULL && strcmp(de->d_name, MG_BUNDLE_CONFIG) == 0) {
			rc = mg_bundle_put(b, MG_STORE_PAYLOAD_MAX, &off, de->d_name, config, clen);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", MG_INIT_CONFIG_DIR, de->d_name);
		f = slurp(path, &n);
		rc = f == NULL ? -EIO
		               : mg_bundle_put(b, MG_STORE_PAYLOAD_MAX, &off, de->d_name, f, n);
		free(f);
	}
	if (d != NULL)
		closedir(d);
	if (rc != 0) {
		snprintf(msg, cap, "cannot pack the bundle: %s", strerror(-rc));
		free(b);
		return rc;
	}
	fd = mg_sys_config_partition(&size, 0);
	if (fd < 0) {
		snprintf(msg, cap, "no config partition: %s", strerror(-fd));
		free(b);
		return fd;
	}
	sf.fd = fd;
	sf.off = 0;
	mg_store_dev_fd(&dev, &sf, size);
	rc = mg_store_write(&dev, b, off, &rec);
	close(fd);
	free(b);
	if (rc != 0)
		snprintf(msg, cap, "store write failed: %s", strerror(-rc));
	else
		snprintf(msg, cap, "stored as slot %c generation %llu", 'A' + rec.slot,
		         (unsigned long long)rec.generation);
	return rc;
}

/* ---- running gateway subcommands ---- */

/* Runs the gateway with <argv> (its output on the console), up to <ms>; its exit status. */
static int
run_gateway(char *const argv[], int ms)
{
	uint64_t end = mg_init_now_ms() + (uint64_t)ms;
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDONLY);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		execv(MG_INIT_GATEWAY, argv);
		_exit(127);
	}
	for (;;) {
		struct timespec ts = {0, 20000000};

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (mg_init_now_ms() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- the shell's operations ---- */

static void
c_out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static int
c_running(void *ctx, char **text, size_t *len)
{
	(void)ctx;
	*text = slurp(CFG, len);
	return *text != NULL ? 0 : -ENOENT;
}

/* True when the leaves outside the hot-reload set differ (mg_shell flattening). */
struct restart_probe {
	char **v;
	int n;
};

static void
probe_line(void *ctx, const char *line)
{
	struct restart_probe *p = ctx;
	char **v;

	if (strncmp(line, "appliance.endpoints", 19) == 0)
		return;
	if (strncmp(line, "appliance", 9) != 0 && strncmp(line, "virtualGateway", 14) != 0)
		return;
	v = realloc(p->v, (size_t)(p->n + 1) * sizeof(*v));
	if (v == NULL)
		return;
	p->v = v;
	if ((v[p->n] = strdup(line)) != NULL)
		p->n++;
}

static int
needs_restart(const char *a, size_t alen, const char *b, size_t blen)
{
	struct restart_probe pa = {0}, pb = {0};
	int i, diff;

	mg_shell_json_flatten(a, alen, "", probe_line, &pa);
	mg_shell_json_flatten(b, blen, "", probe_line, &pb);
	diff = pa.n != pb.n;
	for (i = 0; i < pa.n; i++) {
		if (!diff && strcmp(pa.v[i], pb.v[i]) != 0)
			diff = 1;
		free(pa.v[i]);
	}
	for (i = 0; i < pb.n; i++)
		free(pb.v[i]);
	free(pa.v);
	free(pb.v);
	return diff;
}

static int
c_commit(void *ctx, const char *text, size_t len, char *msg, size_t cap)
{
	char *argv[] = {MG_INIT_GATEWAY, "--check", CAND, NULL};
	char stored[160];
	char *old;
	size_t olen = 0;
	int rc, restart;

	(void)ctx;
	rc = spit(CAND, text, len);
	if (rc != 0) {
		snprintf(msg, cap, "cannot write the candidate: %s", strerror(-rc));
		return rc;
	}
	rc = run_gateway(argv, 20000);
	if (rc != 0) {
		unlink(CAND);
		snprintf(msg, cap, "validation failed (the errors are above)");
		return -EINVAL;
	}
	rc = persist(text, len, stored, sizeof(stored));
	if (rc != 0) {
		unlink(CAND);
		snprintf(msg, cap, "%s", stored);
		return rc;
	}
	old = slurp(CFG, &olen);
	restart = old == NULL || needs_restart(old, olen, text, len);
	free(old);
	if (rename(CAND, CFG) != 0) {
		snprintf(msg, cap, "stored, but cannot replace %s: %s", CFG, strerror(errno));
		return -errno;
	}
	mg_init_gateway_apply(restart);
	snprintf(msg, cap, "%s; %s", stored,
	         restart ? "gateway restarted (a change outside the hot-reload set)"
	                 : "applied by hot reload");
	mg_init_log("shell: commit %s", msg);
	return 0;
}

static int
c_password_check(void *ctx, const char *pw)
{
	char want[128], got[128];
	uint8_t salt[16];
	size_t n = 0, i;
	char *f = slurp(MG_INIT_CONFIG_DIR "/" PW_FILE, &n);
	unsigned v;
	int ok;

	(void)ctx;
	if (f == NULL || n < 33 + 64) {
		free(f);
		return -1;
	}
	snprintf(want, sizeof(want), "%.*s", 97, f);
	free(f);
	for (i = 0; i < 16; i++) {
		if (sscanf(want + 2 * i, "%2x", &v) != 1)
			return -1;
		salt[i] = (uint8_t)v;
	}
	if (*pw == '\0')
		return 0;
	pw_hash(salt, pw, got);
	ok = 1;
	for (i = 0; i < 97; i++)
		ok &= want[i] == got[i];
	return ok;
}

static int
c_password_set(void *ctx, const char *pw, char *msg, size_t cap)
{
	char h[128];
	uint8_t salt[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC), rc;

	(void)ctx;
	if (fd < 0 || read(fd, salt, sizeof(salt)) != (ssize_t)sizeof(salt)) {
		if (fd >= 0)
			close(fd);
		snprintf(msg, cap, "no random source");
		return -EIO;
	}
	close(fd);
	pw_hash(salt, pw, h);
	strcat(h, "\n");
	rc = spit(MG_INIT_CONFIG_DIR "/" PW_FILE, h, strlen(h));
	if (rc != 0) {
		snprintf(msg, cap, "cannot write it: %s", strerror(-rc));
		return rc;
	}
	rc = persist(NULL, 0, msg, cap);
	mg_init_log("shell: console password set (%s)", msg);
	return rc == -ENOENT || rc == -ENODEV ? 0 : rc;
}

static void
show_interfaces(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;

	printf("PCI network devices (driver: uio_pci_generic/igb_uio = DPDK data NIC, else kernel "
	       "management NIC):\r\n");
	while (d != NULL && (de = readdir(d)) != NULL) {
		char path[512], link[256], cls[32] = "";
		size_t n = 0;
		char *c;
		ssize_t l;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", de->d_name);
		c = slurp(path, &n);
		if (c != NULL)
			snprintf(cls, sizeof(cls), "%s", c);
		free(c);
		if (strncmp(cls, "0x02", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", de->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		link[l > 0 ? l : 0] = '\0';
		printf("  %s  driver %s\r\n", de->d_name,
		       l > 0 ? (strrchr(link, '/') ? strrchr(link, '/') + 1 : link) : "(none)");
	}
	if (d != NULL)
		closedir(d);
	fflush(stdout);
}

static int
ping(const char *addr)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	int fd, i, ok = 0;

	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		printf("error: %s: not an IPv4 address\r\n", addr);
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0) {
		printf("error: socket: %s\r\n", strerror(errno));
		return -errno;
	}
	for (i = 0; i < 3; i++) {
		struct icmphdr h = {.type = ICMP_ECHO};
		uint16_t *w = (uint16_t *)&h;
		uint32_t sum = 0;
		uint64_t t0 = mg_init_now_ms();
		struct pollfd p = {fd, POLLIN, 0};
		unsigned j;

		h.un.echo.id = htons(0x4d47);
		h.un.echo.sequence = htons((uint16_t)i);
		for (j = 0; j < sizeof(h) / 2; j++)
			sum += w[j];
		sum = (sum >> 16) + (sum & 0xffff);
		h.checksum = (uint16_t) ~(sum + (sum >> 16));
		if (sendto(fd, &h, sizeof(h), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			printf("error: %s: %s\r\n", addr, strerror(errno));
			break;
		}
		while (poll(&p, 1, 1000) == 1) {
			uint8_t buf[256];
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			size_t ihl = n > 0 ? (size_t)(buf[0] & 15) * 4 : 0;
			struct icmphdr r;

			if (n < (ssize_t)(ihl + sizeof(r)))
				continue;
			memcpy(&r, buf + ihl, sizeof(r));
			if (r.type == ICMP_ECHOREPLY && r.un.echo.id == htons(0x4d47) &&
			    r.un.echo.sequence == htons((uint16_t)i)) {
				printf("reply from %s: seq %d time %llu ms\r\n", addr, i,
				       (unsigned long long)(mg_init_now_ms() - t0));
				ok++;
				break;
			}
		}
		if (ok <= i)
			printf("no reply from %s: seq %d\r\n", addr, i);
		fflush(stdout);
	}
	close(fd);
	printf("%d of 3 answered (from the management NIC; the data plane answers ICMP "
	       "itself)\r\n",
	       ok);
	fflush(stdout);
	return ok > 0 ? 0 : -EHOSTUNREACH;
}

static int
c_action(void *ctx, const char *name, int argc, char **argv)
{
	char *gargv[MG_SHELL_ARGS + 6];
	int i, k = 0, rc;

	(void)ctx;
	if (strcmp(name, "show-interfaces") == 0) {
		show_interfaces();
		return 0;
	}
	if (strcmp(name, "show-stats") == 0 || strcmp(name, "show-version") == 0) {
		char status[512];
		struct utsname u;

		mg_init_status(status, sizeof(status));
		uname(&u);
		printf("appliance %s, kernel %s\r\n%s\r\n", MG_VERSION, u.release, status);
		fflush(stdout);
		if (strcmp(name, "show-version") == 0) {
			char *v[] = {MG_INIT_GATEWAY, "--version", NULL};

			run_gateway(v, 5000);
		} else {
			printf("live counters: GET /stats or /metrics on the admin listener\r\n");
			fflush(stdout);
		}
		return 0;
	}
	if (strcmp(name, "show-log") == 0) {
		mg_init_log_dump();
		return 0;
	}
	if (strcmp(name, "route-test") == 0 || strcmp(name, "jwt-test") == 0) {
		gargv[k++] = MG_INIT_GATEWAY;
		gargv[k++] = (char *)name;
		gargv[k++] = "--config";
		gargv[k++] = CFG;
		for (i = 0; i < argc; i++)
			gargv[k++] = argv[i];
		gargv[k] = NULL;
		rc = run_gateway(gargv, 10000);
		return rc == 0 ? 0 : -EINVAL;
	}
	if (strcmp(name, "ping") == 0)
		return ping(argv[0]);
	if (strcmp(name, "reboot") == 0)
		mg_init_shutdown(RB_AUTOBOOT, "config shell");
	if (strcmp(name, "poweroff") == 0)
		mg_init_shutdown(RB_POWER_OFF, "config shell");
	if (strcmp(name, "factory-reset") == 0) {
		struct mg_store_dev dev;
		struct mg_store_fd sf;
		uint64_t size;
		int fd = mg_sys_config_partition(&size, 0);

		if (fd < 0) {
			printf("error: no config partition\r\n");
			return fd;
		}
		sf.fd = fd;
		sf.off = 0;
		mg_store_dev_fd(&dev, &sf, size);
		rc = mg_store_reset(&dev);
		close(fd);
		if (rc != 0) {
			printf("error: factory reset failed: %s\r\n", strerror(-rc));
			return rc;
		}
		mg_init_log("shell: factory reset");
		mg_init_shutdown(RB_AUTOBOOT, "factory reset");
	}
	return -ENOSYS;
}

static const struct mg_shell_ops console_ops = {
    c_out, c_running, c_commit, c_password_check, c_password_set, c_action,
};

static struct mg_shell *shell;

int
mg_console_open(void)
{
	size_t n = 0;
	char *clear = slurp(MG_INIT_CONFIG_DIR "/" PW_CLEAR, &n);
	struct termios t;
	int fd;

	/* A clear-text password from user-data becomes a hash at once. */
	if (clear != NULL) {
		char h[128];
		uint8_t salt[16];

		fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		clear[strcspn(clear, "\r\n")] = '\0';
		if (fd >= 0 && read(fd, salt, sizeof(salt)) == (ssize_t)sizeof(salt)) {
			pw_hash(salt, clear, h);
			strcat(h, "\n");
			spit(MG_INIT_CONFIG_DIR "/" PW_FILE, h, strlen(h));
			mg_init_log("console: password from the configuration's %s", PW_CLEAR);
		}
		if (fd >= 0)
			close(fd);
		memset(clear, 0, n);
		free(clear);
		unlink(MG_INIT_CONFIG_DIR "/" PW_CLEAR);
	}
	shell = mg_shell_new(&console_ops, NULL);
	fd = open("/dev/console", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	/* Raw input (the shell edits the line and echoes), cooked output (LF -> CR LF). */
	if (fd >= 0 && tcgetattr(fd, &t) == 0) {
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | ISIG | IEXTEN);
		t.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IGNCR | IXON | ISTRIP);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

void
mg_console_input(int fd)
{
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0 || shell == NULL)
		return;
	mg_shell_input(shell, buf, (size_t)n);
}
