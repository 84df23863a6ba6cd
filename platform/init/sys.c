/*
 * meshgate-init: file systems, hugepages, kernel modules, NIC binding and the config
 * partition.  Everything here runs once, during boot, before the gateway starts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/input.h>

#include "platform/init/init.h"

static int
mount_one(const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, flags, data) != 0 && errno != EBUSY) {
		mg_init_log("mount %s on %s: %s", type, dst, strerror(errno));
		return -errno;
	}
	return 0;
}

int
mg_sys_mount(void)
{
	int rc = 0;

	rc |= mount_one("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	rc |= mount_one("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	rc |= mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	rc |= mount_one("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620");
	rc |= mount_one("hugetlbfs", "/dev/hugepages", "hugetlbfs", MS_NOSUID | MS_NODEV, NULL);
	rc |= mount_one("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64m");
	rc |= mount_one("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m");
	mkdir("/var", 0755);
	/* DPDK's EAL writes its runtime directory under /var/run. */
	if (symlink("/run", "/var/run") != 0 && errno != EEXIST)
		rc |= -errno;
	return rc;
}

static long
read_long(const char *path)
{
	char buf[64];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL)
		v = strtol(buf, NULL, 0);
	fclose(f);
	return v;
}

static int
write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

void
mg_sys_hugepages(long want)
{
	const char *p = "/proc/sys/vm/nr_hugepages";
	char buf[32];
	long have = read_long(p);

	if (want > have) {
		snprintf(buf, sizeof(buf), "%ld", want);
		write_str(p, buf);
		have = read_long(p);
	}
	mg_init_log("hugepages: %ld x 2 MiB reserved%s", have,
	            have < want ? " (fewer than asked: memory is short)" : "");
}

/* ---- NICs ---- */

static int
nic_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mg_nic *)a)->addr, ((const struct mg_nic *)b)->addr);
}

static int
module_present(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s.ko", MG_INIT_MODULES_DIR, name);
	return access(path, R_OK) == 0;
}

/*
 * Points <nic> at its DPDK driver: driver_override, unbind from any kernel driver, probe.
 * Before the modules are loaded the probe finds no driver; loading it binds the NIC.
 */
static int
bind_dpdk(struct mg_nic *nic)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", nic->addr);
	if (write_str(path, nic->driver) != 0) {
		mg_init_log("nics: %s: cannot set driver_override", nic->addr);
		nic->driver = NULL;
		return -EIO;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", nic->addr);
	write_str(path, nic->addr);
	write_str("/sys/bus/pci/drivers_probe", nic->addr);
	return 0;
}

int
mg_sys_nic_handover(struct mg_nic *nic)
{
	char path[256], link[256];
	ssize_t n;
	int rc;

	if (!nic->handover)
		return 0;
	rc = bind_dpdk(nic);
	nic->mgmt = 0;
	nic->handover = 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", nic->addr);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (rc != 0 || strstr(link, nic->driver) == NULL) {
		mg_init_log("nics: %s: handover to %s failed", nic->addr, nic->driver);
		return -EIO;
	}
	mg_init_log("nics: %s handed over: data (DPDK via %s)", nic->addr, nic->driver);
	return 0;
}

int
mg_sys_nics_plan(struct mg_nic *nics, int max)
{
	const char *mgmt = mg_init_param("mgmt", "");
	char path[512];
	struct dirent *de;
	DIR *d = opendir("/sys/bus/pci/devices");
	int n = 0, i, chosen = -1;

	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL && n < max) {
		long cls;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", de->d_name);
		cls = read_long(path);
		if (cls < 0 || (cls >> 16) != 0x02)
			continue;
		memset(&nics[n], 0, sizeof(nics[n]));
		snprintf(nics[n].addr, sizeof(nics[n].addr), "%.15s", de->d_name);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", de->d_name);
		nics[n].vendor = (unsigned)read_long(path);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", de->d_name);
		nics[n].device = (unsigned)read_long(path);
		n++;
	}
	closedir(d);
	qsort(nics, (size_t)n, sizeof(nics[0]), nic_cmp);
	if (strcmp(mgmt, "none") != 0) {
		for (i = 0; i < n; i++)
			if (mgmt[0] == '\0' || strcmp(mgmt, nics[i].addr) == 0) {
				chosen = i;
				break;
			}
		if (chosen < 0 && mgmt[0] != '\0')
			mg_init_log("nics: meshgate.mgmt=%s names no network device", mgmt);
	}
	for (i = 0; i < n; i++) {
		struct mg_nic *nic = &nics[i];

		/* ENA needs write-combining and MSI-X: igb_uio, not uio_pci_generic. */
		if (nic->vendor == 0x1d0f)
			nic->driver = module_present("igb_uio") ? "igb_uio" : NULL;
		else
			nic->driver = "uio_pci_generic";
		if (i == chosen) {
			/* The only NIC: the data path needs it more than management does. */
			nic->handover = n == 1 && mgmt[0] == '\0' && nic->driver != NULL;
			nic->mgmt = 1;
			mg_init_log("nics: %s [%04x:%04x] management (kernel driver)%s", nic->addr,
			            nic->vendor, nic->device,
			            nic->handover ? ", then data once the config is chosen" : "");
			if (!nic->handover)
				nic->driver = NULL;
			continue;
		}
		if (nic->driver == NULL) {
			mg_init_log("nics: %s [%04x:%04x] ENA data NIC but this image has no "
			            "igb_uio: left to the kernel",
			            nic->addr, nic->vendor, nic->device);
			continue;
		}
		if (bind_dpdk(nic) != 0)
			continue;
		mg_init_log("nics: %s [%04x:%04x] data (DPDK via %s)", nic->addr, nic->vendor,
		            nic->device, nic->driver);
	}
	return n;
}

/* ---- modules ---- */

void
mg_sys_modules_load(void)
{
	char line[256], path[512];
	FILE *f = fopen(MG_INIT_MODULES_DIR "/modules.load", "r");
	int loaded = 0;

	if (f == NULL) {
		mg_init_log("modules: no %s/modules.load", MG_INIT_MODULES_DIR);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *name = strtok(line, " \t\n");
		char *params = strtok(NULL, "\n");
		int fd;

		if (name == NULL || name[0] == '#')
			continue;
		snprintf(path, sizeof(path), "%s/%s.ko", MG_INIT_MODULES_DIR, name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			mg_init_log("modules: %s: %s", path, strerror(errno));
			continue;
		}
		if (syscall(SYS_finit_module, fd, params != NULL ? params : "", 0) != 0 &&
		    errno != EEXIST)
			mg_init_log("modules: %s: %s", name, strerror(errno));
		else
			loaded++;
		close(fd);
	}
	fclose(f);
	mg_init_log("modules: %d loaded", loaded);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int
mg_sys_nic_ifname(const struct mg_nic *nic, char *name, size_t cap, int wait_ms)
{
	char path[256];
	uint64_t end = mg_init_now_ms() + (uint64_t)wait_ms;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", nic->addr);
	for (;;) {
		/* virtio puts the netdev under virtioN/net, others directly under net. */
		char p2[800];

		snprintf(p2, sizeof(p2), "%s/net", path);
		d = opendir(p2);
		if (d == NULL) {
			DIR *top = opendir(path);

			while (top != NULL && (de = readdir(top)) != NULL)
				if (strncmp(de->d_name, "virtio", 6) == 0) {
					snprintf(p2, sizeof(p2), "%s/%s/net", path, de->d_name);
					d = opendir(p2);
					break;
				}
			if (top != NULL)
				closedir(top);
		}
		while (d != NULL && (de = readdir(d)) != NULL)
			if (de->d_name[0] != '.') {
				snprintf(name, cap, "%s", de->d_name);
				closedir(d);
				return 0;
			}
		if (d != NULL)
			closedir(d);
		if (mg_init_now_ms() >= end)
			return -ENODEV;
		sleep_ms(50);
	}
}

/* ---- the config partition ---- */

static int
find_partition(char *dev, size_t cap)
{
	char path[512], line[256];
	struct dirent *de;
	DIR *d = opendir("/sys/class/block");
	int found = 0;

	if (d == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/uevent", de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strcmp(line, "PARTNAME=" MG_INIT_PARTNAME "\n") == 0) {
				snprintf(dev, cap, "/dev/%s", de->d_name);
				found = 1;
			}
		fclose(f);
	}
	closedir(d);
	return found;
}

int
mg_sys_config_partition(uint64_t *size, int wait_ms)
{
	char dev[300];
	uint64_t end = mg_init_now_ms() + (uint64_t)wait_ms;
	int fd;

	while (!find_partition(dev, sizeof(dev))) {
		if (mg_init_now_ms() >= end)
			return -ENOENT;
		sleep_ms(50);
	}
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, size) != 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	mg_init_log("store: config partition %s, %llu KiB", dev, (unsigned long long)(*size >> 10));
	return fd;
}

int
mg_sys_power_button(void)
{
	char path[512], name[128];
	struct dirent *de;
	DIR *d = opendir("/sys/class/input");
	int fd = -1;

	while (d != NULL && fd < 0 && (de = readdir(d)) != NULL) {
		FILE *f;

		if (strncmp(de->d_name, "event", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/input/%s/device/name", de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(name, sizeof(name), f) != NULL &&
		    strncmp(name, "Power Button", 12) == 0) {
			snprintf(path, sizeof(path), "/dev/input/%s", de->d_name);
			fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		}
		fclose(f);
	}
	if (d != NULL)
		closedir(d);
	return fd;
}
