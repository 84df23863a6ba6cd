/*
 * meshgate-init: choosing the configuration the gateway runs.
 *
 * Precedence, highest first: EC2 user-data, the config partition, the embedded default.  A
 * source that is absent is skipped; one whose configuration `gateway --check` refuses is
 * skipped with its errors on the console, so a bad user-data or a bad stored config never
 * leaves the appliance without a working gateway.  The chosen bundle is unpacked into
 * /etc/meshgate/ (meshgate.json plus the files it names).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/init/init.h"
#include "platform/store/mg_bundle.h"
#include "platform/store/mg_store.h"

static void
clear_dir(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	mkdir(dir, 0700);
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
}

static int
write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	const char *p = data;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	return 0;
}

/* Unpacks <buf>: a bundle, or (user-data only) a bare meshgate.json. */
static int
unpack(const uint8_t *buf, size_t len, int json_ok)
{
	struct mg_bundle_file files[MG_BUNDLE_FILES];
	int n, i, rc, has_config = 0;

	clear_dir(MG_INIT_CONFIG_DIR);
	if (!mg_bundle_is_bundle(buf, len)) {
		if (!json_ok)
			return -EINVAL;
		return write_file(MG_INIT_CONFIG_DIR, MG_BUNDLE_CONFIG, buf, len);
	}
	n = mg_bundle_parse(buf, len, files);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		rc = write_file(MG_INIT_CONFIG_DIR, files[i].name, files[i].data, files[i].len);
		if (rc < 0)
			return rc;
		has_config |= strcmp(files[i].name, MG_BUNDLE_CONFIG) == 0;
	}
	return has_config ? 0 : -ENOENT;
}

/* Copies the embedded default's files into /etc/meshgate. */
static int
unpack_default(void)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(MG_INIT_DEFAULT_DIR);
	int rc = 0;

	clear_dir(MG_INIT_CONFIG_DIR);
	if (d == NULL)
		return -errno;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		static uint8_t buf[1 << 20];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", MG_INIT_DEFAULT_DIR, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		close(fd);
		rc = n < 0 ? -EIO : write_file(MG_INIT_CONFIG_DIR, de->d_name, buf, (size_t)n);
	}
	closedir(d);
	return rc;
}

/* Runs `gateway --check /etc/meshgate/meshgate.json` (its messages go to the console). */
static int
check(void)
{
	pid_t pid = fork();
	uint64_t end = mg_init_now_ms() + 20000;
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl(MG_INIT_GATEWAY, MG_INIT_GATEWAY, "--check",
		      MG_INIT_CONFIG_DIR "/" MG_BUNDLE_CONFIG, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		struct timespec ts = {0, 20000000};

		if (r == pid)
			break;
		if (mg_init_now_ms() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EINVAL;
}

int
mg_cfg_choose(const uint8_t *ud, size_t ud_len, int store_fd, uint64_t store_size,
              struct mg_cfg_choice *out)
{
	struct mg_store_fd sf = {store_fd, 0};
	struct mg_store_dev dev;
	struct mg_store_record rec;
	uint8_t *buf = NULL;
	int rc;

	if (ud != NULL && ud_len > 0) {
		rc = unpack(ud, ud_len, 1);
		if (rc == 0 && check() == 0) {
			snprintf(out->source, sizeof(out->source), "EC2 user-data (%zu bytes)",
			         ud_len);
			return 0;
		}
		mg_init_log("config: user-data refused (%s), trying the config partition",
		            rc != 0 ? "not a bundle with meshgate.json" : "gateway --check failed");
	}
	if (store_fd >= 0) {
		mg_store_dev_fd(&dev, &sf, store_size);
		buf = malloc(MG_STORE_PAYLOAD_MAX);
		rc = buf == NULL ? -ENOMEM : mg_store_read(&dev, &rec, buf, MG_STORE_PAYLOAD_MAX);
		if (rc < 0) {
			mg_init_log("config: cannot read the config partition: %s", strerror(-rc));
		} else if (rec.slot == MG_STORE_SLOT_NONE || rec.length == 0) {
			mg_init_log("config: config partition holds no config%s",
			            rec.slot == MG_STORE_SLOT_NONE ? "" : " (factory reset)");
		} else {
			rc = unpack(buf, rec.length, 0);
			if (rc == 0 && check() == 0) {
				snprintf(out->source, sizeof(out->source),
				         "config partition slot %c generation %llu", 'A' + rec.slot,
				         (unsigned long long)rec.generation);
				free(buf);
				return 0;
			}
			mg_init_log("config: config partition slot %c generation %llu refused, "
			            "using the embedded default",
			            'A' + rec.slot, (unsigned long long)rec.generation);
		}
		free(buf);
	}
	rc = unpack_default();
	if (rc == 0 && check() == 0) {
		snprintf(out->source, sizeof(out->source), "embedded default");
		return 0;
	}
	mg_init_log("config: the embedded default does not pass --check either");
	return -EINVAL;
}

int
mg_cfg_stress_requested(int store_fd, uint64_t store_size)
{
	static uint8_t want[MG_STORE_STRESS_MAX];
	struct mg_bundle_file files[MG_BUNDLE_FILES];
	struct mg_store_fd sf = {store_fd, 0};
	struct mg_store_dev dev;
	struct mg_store_record rec;
	uint8_t *buf = malloc(MG_STORE_PAYLOAD_MAX);
	int n, i, yes = 0;

	mg_store_dev_fd(&dev, &sf, store_size);
	if (buf == NULL || mg_store_read(&dev, &rec, buf, MG_STORE_PAYLOAD_MAX) != 0 ||
	    rec.length == 0) {
		free(buf);
		return 0;
	}
	n = mg_bundle_parse(buf, rec.length, files);
	for (i = 0; i < n; i++)
		yes |= strcmp(files[i].name, "meshgate-store-stress") == 0;
	if (n < 0 && rec.length <= MG_STORE_STRESS_MAX &&
	    mg_store_stress_fill(rec.generation, want) == rec.length)
		yes = memcmp(buf, want, rec.length) == 0;
	free(buf);
	return yes;
}

void
mg_cfg_store_stress(int store_fd, uint64_t store_size)
{
	struct mg_store_fd sf = {store_fd, 0};
	struct mg_store_dev dev;
	struct mg_store_record rec;
	static uint8_t buf[MG_STORE_STRESS_MAX];
	size_t len;
	int rc;

	mg_store_dev_fd(&dev, &sf, store_size);
	rc = mg_store_read(&dev, &rec, NULL, 0);
	mg_init_log("stress: start at generation %llu",
	            rc == 0 ? (unsigned long long)rec.generation : 0ULL);
	for (;;) {
		rc = mg_store_read(&dev, &rec, NULL, 0);
		if (rc < 0)
			break;
		len = mg_store_stress_fill(rec.generation + 1, buf);
		mg_init_log("stress: writing generation %llu (%zu bytes)",
		            (unsigned long long)rec.generation + 1, len);
		rc = mg_store_write(&dev, buf, len, &rec);
		if (rc < 0)
			break;
		mg_init_log("stress: committed generation %llu",
		            (unsigned long long)rec.generation);
	}
	mg_init_log("stress: store error %s", strerror(-rc));
	for (;;)
		pause();
}
