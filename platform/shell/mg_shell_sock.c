/*
 * meshgate-shell: the config shell for a gateway that runs as a process (not the appliance).
 *
 *   meshgate-shell --config FILE --pid PID [--gateway PATH] --socket PATH
 *
 * Serves the shell (mg_shell.h) on a local UNIX socket, one connection at a time (connect
 * with `socat -,raw,echo=0 UNIX-CONNECT:PATH` or `nc -U PATH`).  The socket is created mode
 * 0600: who may connect may configure, there is no password on this front end.  `commit`
 * validates the candidate with `gateway --check`, replaces FILE atomically (write, fsync,
 * rename) and sends SIGHUP to PID (the gateway's hot reload; a change outside the reload set
 * is stored and takes effect at the gateway's next start).  route-test and jwt-test run the
 * gateway's subcommands; reboot, poweroff, ping and factory-reset belong to the appliance.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/shell/mg_shell.h"

static const char *config_path, *gateway_path = "gateway";
static pid_t gateway_pid;
static int conn = -1;

static void
s_out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	while (n > 0 && conn >= 0) {
		ssize_t w = send(conn, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    n <= MG_SHELL_TEXT_MAX && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n + 1)) != NULL) {
		if (fread(b, 1, (size_t)n, f) != (size_t)n) {
			free(b);
			b = NULL;
		} else {
			b[n] = '\0';
			*len = (size_t)n;
		}
	}
	if (f != NULL)
		fclose(f);
	return b;
}

static int
s_running(void *ctx, char **text, size_t *len)
{
	(void)ctx;
	*text = slurp(config_path, len);
	return *text != NULL ? 0 : -ENOENT;
}

/* Runs the gateway with <argv>, its output and errors to the connection; its exit status. */
static int
run(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(conn, STDOUT_FILENO);
		dup2(conn, STDERR_FILENO);
		execvp(gateway_path, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -ECHILD;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int
s_commit(void *ctx, const char *text, size_t len, char *msg, size_t cap)
{
	char tmp[4096];
	char *argv[] = {(char *)gateway_path, "--check", tmp, NULL};
	int fd, rc;

	(void)ctx;
	snprintf(tmp, sizeof(tmp), "%s.candidate", config_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(msg, cap, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	close(fd);
	rc = run(argv);
	if (rc != 0) {
		unlink(tmp);
		snprintf(msg, cap, "validation failed (the errors are above)");
		return -EINVAL;
	}
	if (rename(tmp, config_path) != 0) {
		snprintf(msg, cap, "cannot replace %s: %s", config_path, strerror(errno));
		return -errno;
	}
	if (gateway_pid > 0 && kill(gateway_pid, SIGHUP) != 0) {
		snprintf(msg, cap, "%s written; SIGHUP to pid %d failed: %s", config_path,
		         (int)gateway_pid, strerror(errno));
		return 0;
	}
	snprintf(msg, cap, "%s written; hot reload asked of pid %d (its log says what applied)",
	         config_path, (int)gateway_pid);
	return 0;
}

static int
s_pw_check(void *ctx, const char *pw)
{
	(void)ctx;
	(void)pw;
	return 1;
}

static int
s_pw_set(void *ctx, const char *pw, char *msg, size_t cap)
{
	(void)ctx;
	(void)pw;
	snprintf(msg, cap, "the socket's permissions guard this shell; no password");
	return -ENOTSUP;
}

static int
s_action(void *ctx, const char *name, int argc, char **argv)
{
	char *gargv[MG_SHELL_ARGS + 6];
	int i, k = 0;

	(void)ctx;
	if (strcmp(name, "route-test") == 0 || strcmp(name, "jwt-test") == 0) {
		gargv[k++] = (char *)gateway_path;
		gargv[k++] = (char *)name;
		gargv[k++] = "--config";
		gargv[k++] = (char *)config_path;
		for (i = 0; i < argc; i++)
			gargv[k++] = argv[i];
		gargv[k] = NULL;
		return run(gargv) == 0 ? 0 : -EINVAL;
	}
	if (strcmp(name, "show-version") == 0) {
		char *v[] = {(char *)gateway_path, "--version", NULL};

		return run(v) == 0 ? 0 : -EINVAL;
	}
	if (strcmp(name, "show-stats") == 0) {
		char line[160];
		int n = snprintf(
		    line, sizeof(line),
		    "gateway pid %d %s; live counters: GET /stats on the admin listener\r\n",
		    (int)gateway_pid,
		    gateway_pid > 0 && kill(gateway_pid, 0) == 0 ? "running" : "not running");

		s_out(NULL, line, (size_t)n);
		return 0;
	}
	{
		char line[160];
		int n = snprintf(line, sizeof(line),
		                 "error: %s is an appliance command (not on the process shell)\r\n",
		                 name);

		s_out(NULL, line, (size_t)n);
	}
	return -ENOTSUP;
}

static const struct mg_shell_ops sock_ops = {s_out,      s_running, s_commit,
                                             s_pw_check, s_pw_set,  s_action};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"pid", required_argument, NULL, 'p'},
	    {"gateway", required_argument, NULL, 'g'},
	    {"socket", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *sock_path = NULL;
	int opt, lfd;

	while ((opt = getopt_long(argc, argv, "c:p:g:s:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'p':
			gateway_pid = (pid_t)strtol(optarg, NULL, 10);
			break;
		case 'g':
			gateway_path = optarg;
			break;
		case 's':
			sock_path = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (config_path == NULL || sock_path == NULL || strlen(sock_path) >= sizeof(sa.sun_path))
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	unlink(sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	umask(077);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(sock_path, 0600) != 0 || listen(lfd, 4) != 0) {
		fprintf(stderr, "meshgate-shell: %s: %s\n", sock_path, strerror(errno));
		return 1;
	}
	fprintf(stderr, "meshgate-shell: listening on %s\n", sock_path);
	for (;;) {
		struct mg_shell *sh;
		char buf[512];
		ssize_t n;

		conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0)
			continue;
		sh = mg_shell_new(&sock_ops, NULL);
		if (sh != NULL) {
			mg_shell_input(sh, "\r", 1);
			while ((n = recv(conn, buf, sizeof(buf), 0)) > 0)
				mg_shell_input(sh, buf, (size_t)n);
		}
		mg_shell_free(sh);
		close(conn);
		conn = -1;
	}
usage:
	fprintf(stderr, "usage: meshgate-shell --config FILE --pid PID [--gateway PATH] "
	                "--socket PATH\n");
	return 2;
}
