/*
 * meshgate-init: the appliance's PID 1.
 *
 * Boot sequence, logged step by step on the serial console:
 *   1. mount /proc, /sys, /dev, /dev/pts, /dev/hugepages, /run (/var/run), /tmp;
 *   2. reserve hugepages: the kernel's hugepages=N, raised to meshgate.hugepages=N if given;
 *   3. plan the NICs: the first one (meshgate.mgmt=ADDR|none) stays with the kernel for
 *      management, the others get driver_override to a DPDK-usable driver (a single NIC is
 *      used for management until step 6, then handed over to DPDK);
 *   4. load the modules listed in /lib/modules/modules.load (uio, uio_pci_generic, virtio,
 *      ENA, ...), which binds every NIC to its planned driver;
 *   5. management path: DHCP on the management NIC, then EC2 user-data over IMDSv2
 *      (meshgate.imds=ADDR:PORT|off), and the wall clock by SNTP from then on (ntp.c;
 *      meshgate.ntp=ADDR[:PORT]|off, the Amazon Time Sync Service 169.254.169.123 by default);
 *   6. choose the configuration (cfg.c: user-data > config partition > embedded default);
 *   7. start the gateway and keep it running: restart with exponential back-off (1 s doubling
 *      to 60 s, reset after 60 s of good running);
 *   8. then serve signals, the power button and the console until shutdown.
 *
 * Signals: SIGINT (Ctrl-Alt-Del, enabled through reboot(RB_DISABLE_CAD)) and SIGTERM reboot;
 * SIGUSR1 halts; SIGUSR2 and SIGPWR and the ACPI power button power off.  Shutdown stops the
 * gateway (SIGTERM, then SIGKILL after 10 s), syncs and calls reboot(2).  Orphans are reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/init/init.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define STOP_GRACE_MS  10000

static char cmdline[4096];
static struct mg_ntp ntp;

uint64_t
mg_init_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
mg_init_log(const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	va_list ap;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "[%5ld.%03ld] meshgate-init: ", (long)ts.tv_sec,
	             ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

const char *
mg_init_param(const char *key, const char *def)
{
	static char val[256];
	char want[80];
	const char *p = cmdline;
	size_t klen;

	klen = (size_t)snprintf(want, sizeof(want), "meshgate.%s=", key);
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (strncmp(p, want, klen) == 0) {
			size_t n = strcspn(p + klen, " \n");

			snprintf(val, sizeof(val), "%.*s", (int)n, p + klen);
			return val;
		}
		p += strcspn(p, " ");
	}
	return def;
}

static void
read_cmdline(void)
{
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof(cmdline) - 1) : -1;

	cmdline[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

static void
console_stdio(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	/* The gateway and its children read nothing: stdin is /dev/null for them. */
}

/* ---- the gateway under supervision ---- */

static struct {
	pid_t pid;
	uint64_t started_ms, restart_at_ms;
	int backoff_ms, restarts, last_status;
	int stopping; /* shutting down: no restart */
	char source[64];
} gw = {.backoff_ms = BACKOFF_MIN_MS};

static void
gateway_start(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		mg_init_log("gateway: fork: %s", strerror(errno));
		gw.restart_at_ms = mg_init_now_ms() + (uint64_t)gw.backoff_ms;
		return;
	}
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDONLY);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		setsid();
		execl(MG_INIT_GATEWAY, MG_INIT_GATEWAY, "--config",
		      MG_INIT_CONFIG_DIR "/meshgate.json", (char *)NULL);
		_exit(127);
	}
	gw.pid = pid;
	gw.started_ms = mg_init_now_ms();
	gw.restart_at_ms = 0;
	mg_init_log("gateway: started (pid %d, config from %s)", (int)pid, gw.source);
}

static void
gateway_exited(int status)
{
	uint64_t ran = mg_init_now_ms() - gw.started_ms;

	gw.pid = 0;
	gw.last_status = status;
	if (gw.stopping) {
		mg_init_log("gateway: stopped (%s %d after %llu ms)",
		            WIFEXITED(status) ? "exit status" : "signal",
		            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		            (unsigned long long)ran);
		return;
	}
	if (ran >= BACKOFF_MAX_MS)
		gw.backoff_ms = BACKOFF_MIN_MS;
	if (WIFEXITED(status))
		mg_init_log("gateway: exited with status %d after %llu ms; restart in %d ms",
		            WEXITSTATUS(status), (unsigned long long)ran, gw.backoff_ms);
	else
		mg_init_log("gateway: killed by signal %d after %llu ms; restart in %d ms",
		            WTERMSIG(status), (unsigned long long)ran, gw.backoff_ms);
	gw.restart_at_ms = mg_init_now_ms() + (uint64_t)gw.backoff_ms;
	gw.restarts++;
	gw.backoff_ms = gw.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : gw.backoff_ms * 2;
}

/* Reaps every exited child; notes the gateway's exit. */
static void
reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == gw.pid)
			gateway_exited(status);
}

static void
shutdown_now(unsigned int how, const char *why)
{
	uint64_t end = mg_init_now_ms() + STOP_GRACE_MS;

	mg_init_log("shutdown: %s (%s)",
	            how == (unsigned int)RB_POWER_OFF     ? "power off"
	            : how == (unsigned int)RB_HALT_SYSTEM ? "halt"
	                                                  : "reboot",
	            why);
	gw.stopping = 1;
	if (gw.pid > 0) {
		kill(gw.pid, SIGTERM);
		while (gw.pid > 0 && mg_init_now_ms() < end) {
			struct timespec ts = {0, 50000000};

			reap();
			nanosleep(&ts, NULL);
		}
		if (gw.pid > 0) {
			mg_init_log("shutdown: gateway did not stop in %d ms: SIGKILL",
			            STOP_GRACE_MS);
			kill(gw.pid, SIGKILL);
		}
	}
	kill(-1, SIGKILL);
	sync();
	mg_init_log("shutdown: done");
	reboot((int)how);
	for (;;)
		pause();
}

static void
status_line(char *buf, size_t cap)
{
	size_t len;

	if (gw.pid > 0)
		snprintf(buf, cap,
		         "gateway running (pid %d, up %llu s, %d restarts), config from %s",
		         (int)gw.pid, (unsigned long long)(mg_init_now_ms() - gw.started_ms) / 1000,
		         gw.restarts, gw.source);
	else
		snprintf(buf, cap, "gateway stopped, restart in %lld ms, config from %s",
		         (long long)(gw.restart_at_ms - mg_init_now_ms()), gw.source);
	len = strlen(buf);
	if (len + 3 < cap) {
		memcpy(buf + len, "; ", 2);
		mg_ntp_status(&ntp, mg_init_now_ms(), buf + len + 2, cap - len - 2);
	}
}

/* ---- boot ---- */

static void
fetch_user_data(const struct mg_nic *nics, int n, uint8_t **ud, long *ud_len)
{
	const char *imds = mg_init_param("imds", "169.254.169.254:80");
	char ifname[32], host[64];
	int i, port = 80, rc;

	*ud = NULL;
	*ud_len = 0;
	for (i = 0; i < n && !nics[i].mgmt; i++)
		;
	if (i == n || strcmp(imds, "off") == 0) {
		mg_init_log("mgmt: %s: no EC2 user-data lookup",
		            i == n ? "no management NIC" : "meshgate.imds=off");
		return;
	}
	if (mg_sys_nic_ifname(&nics[i], ifname, sizeof(ifname), 3000) != 0) {
		mg_init_log("mgmt: %s has no kernel interface (no driver in this image?)",
		            nics[i].addr);
		return;
	}
	rc = mg_net_dhcp(ifname, 6000);
	if (rc != 0) {
		mg_init_log("mgmt: DHCP on %s: %s; no EC2 user-data lookup", ifname, strerror(-rc));
		return;
	}
	rc = mg_ntp_start(&ntp, mg_init_param("ntp", "169.254.169.123:123"), mg_init_now_ms());
	if (rc != 0 && rc != -ENOENT)
		mg_init_log("ntp: meshgate.ntp=%s: %s", mg_init_param("ntp", ""), strerror(-rc));
	mg_ntp_tick(&ntp, mg_init_now_ms()); /* the query flies while IMDS answers */
	if (sscanf(imds, "%63[^:]:%d", host, &port) < 1)
		return;
	*ud_len = mg_net_imds_user_data(host, port, 2000, ud);
	if (*ud_len < 0)
		mg_init_log("mgmt: no IMDS at %s:%d (%s): not on EC2", host, port,
		            strerror((int)-*ud_len));
	else if (*ud_len == 0)
		mg_init_log("mgmt: IMDS at %s:%d has no user-data", host, port);
	else
		mg_init_log("mgmt: EC2 user-data: %ld bytes", *ud_len);
	if (*ud_len < 0)
		*ud_len = 0;
}

int
main(void)
{
	struct mg_nic nics[MG_INIT_MAX_NICS];
	struct mg_cfg_choice choice;
	struct signalfd_siginfo si;
	sigset_t set;
	uint8_t *ud;
	long ud_len;
	uint64_t store_size = 0, t0;
	int sfd, cfd, pfd, store_fd, n, i;

	mg_ntp_init(&ntp);
	if (getpid() != 1) {
		fprintf(stderr, "meshgate-init: must run as PID 1 (the appliance's init)\n");
		return 2;
	}
	umask(022);
	/* Ctrl-Alt-Del becomes SIGINT to us instead of an immediate reboot. */
	reboot(RB_DISABLE_CAD);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGPWR);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	mg_sys_mount();
	console_stdio();
	read_cmdline();
	t0 = mg_init_now_ms();
	mg_init_log("meshgate appliance %s starting", MG_VERSION);
	mg_sys_hugepages(strtol(mg_init_param("hugepages", "0"), NULL, 10));
	n = mg_sys_nics_plan(nics, MG_INIT_MAX_NICS);
	mg_sys_modules_load();

	store_fd = mg_sys_config_partition(&store_size, 3000);
	if (store_fd < 0)
		mg_init_log("store: no config partition (%s): stored config unavailable",
		            strerror(-store_fd));
	if (store_fd >= 0 && (strcmp(mg_init_param("store_stress", "0"), "1") == 0 ||
	                      mg_cfg_stress_requested(store_fd, store_size)))
		mg_cfg_store_stress(store_fd, store_size);

	fetch_user_data(nics, n > 0 ? n : 0, &ud, &ud_len);
	if (mg_cfg_choose(ud, (size_t)ud_len, store_fd, store_size, &choice) != 0)
		snprintf(choice.source, sizeof(choice.source), "nothing valid");
	free(ud);
	for (i = 0; i < n; i++)
		mg_sys_nic_handover(&nics[i]);
	snprintf(gw.source, sizeof(gw.source), "%s", choice.source);
	mg_init_log("config: %s (boot steps took %llu ms)", choice.source,
	            (unsigned long long)(mg_init_now_ms() - t0));
	if (store_fd >= 0)
		close(store_fd);

	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	cfd = mg_console_open();
	pfd = mg_sys_power_button();
	gateway_start();

	for (;;) {
		struct pollfd p[4] = {
		    {sfd, POLLIN, 0}, {cfd, POLLIN, 0}, {pfd, POLLIN, 0}, {ntp.fd, POLLIN, 0}};
		int timeout = mg_ntp_timeout(&ntp, mg_init_now_ms());

		if (gw.pid == 0 && gw.restart_at_ms != 0) {
			uint64_t now = mg_init_now_ms();
			int t = gw.restart_at_ms > now ? (int)(gw.restart_at_ms - now) : 0;

			timeout = timeout < 0 || t < timeout ? t : timeout;
		}
		if (poll(p, 4, timeout) < 0 && errno != EINTR)
			continue;
		if (p[3].revents & POLLIN)
			mg_ntp_input(&ntp, mg_init_now_ms());
		mg_ntp_tick(&ntp, mg_init_now_ms());
		if (gw.pid == 0 && gw.restart_at_ms != 0 && mg_init_now_ms() >= gw.restart_at_ms)
			gateway_start();
		if (p[0].revents & POLLIN) {
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				switch (si.ssi_signo) {
				case SIGCHLD:
					reap();
					break;
				case SIGINT:
					shutdown_now(RB_AUTOBOOT, "Ctrl-Alt-Del");
					break;
				case SIGTERM:
					shutdown_now(RB_AUTOBOOT, "SIGTERM");
					break;
				case SIGUSR1:
					shutdown_now(RB_HALT_SYSTEM, "SIGUSR1");
					break;
				case SIGUSR2:
				case SIGPWR:
					shutdown_now(RB_POWER_OFF,
					             si.ssi_signo == SIGPWR ? "SIGPWR" : "SIGUSR2");
					break;
				default:
					break;
				}
			}
		}
		if (p[1].revents & POLLIN) {
			char status[512];

			status_line(status, sizeof(status));
			mg_console_input(cfd, status);
		}
		if (p[2].revents & POLLIN) {
			struct input_event ev;

			while (read(pfd, &ev, sizeof(ev)) == sizeof(ev))
				if (ev.type == EV_KEY && ev.code == KEY_POWER && ev.value == 1)
					shutdown_now(RB_POWER_OFF, "power button");
		}
	}
}
