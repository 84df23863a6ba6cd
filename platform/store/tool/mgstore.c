/*
 * mgstore: the config store from the build host, on a disk image or a partition.
 *
 *   mgstore pack OUT FILE...          bundle FILEs (by base name) into OUT
 *   mgstore write IMAGE BUNDLE        store BUNDLE as the new current config
 *   mgstore read IMAGE [DIR]          print the current record; unpack it into DIR
 *   mgstore reset IMAGE               factory reset (an empty record)
 *   mgstore stress IMAGE              write stress generations until killed
 *   mgstore verify-stress IMAGE       check the current record is a whole stress generation
 *
 * IMAGE is a GPT disk image (the partition named "meshgate-config" is used) or, with
 * IMAGE@OFFSET:SIZE, any byte range of a file.  Exit status 0 on success, 1 on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/store/mg_bundle.h"
#include "platform/store/mg_store.h"

static int
die(const char *what, int err)
{
	fprintf(stderr, "mgstore: %s: %s\n", what, strerror(err));
	return 1;
}

static uint64_t
le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* Finds the GPT partition named "meshgate-config" in <fd>. */
static int
gpt_find(int fd, uint64_t *off, uint64_t *size)
{
	uint8_t hdr[512], e[128];
	uint64_t lba;
	uint32_t n, esz, i, j;

	if (pread(fd, hdr, sizeof(hdr), 512) != 512 || memcmp(hdr, "EFI PART", 8) != 0)
		return -EINVAL;
	lba = le(hdr + 72, 8);
	n = (uint32_t)le(hdr + 80, 4);
	esz = (uint32_t)le(hdr + 84, 4);
	if (esz < 128 || n > 1024)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		char name[37];

		if (pread(fd, e, sizeof(e), (off_t)(lba * 512 + (uint64_t)i * esz)) != 128)
			return -EIO;
		for (j = 0; j < 36; j++)
			name[j] = (char)e[56 + 2 * j];
		name[36] = '\0';
		if (strcmp(name, "meshgate-config") == 0) {
			*off = le(e + 32, 8) * 512;
			*size = (le(e + 40, 8) - le(e + 32, 8) + 1) * 512;
			return 0;
		}
	}
	return -ENOENT;
}

static int
open_store(const char *spec, struct mg_store_fd *f, struct mg_store_dev *dev)
{
	char path[4096];
	const char *at = strrchr(spec, '@');
	unsigned long long off = 0, size = 0;
	uint64_t o, s;
	int rc;

	snprintf(path, sizeof(path), "%.*s", at != NULL ? (int)(at - spec) : (int)strlen(spec),
	         spec);
	f->fd = open(path, O_RDWR);
	if (f->fd < 0)
		return -errno;
	if (at != NULL) {
		if (sscanf(at + 1, "%llu:%llu", &off, &size) != 2)
			return -EINVAL;
		o = off;
		s = size;
	} else if ((rc = gpt_find(f->fd, &o, &s)) != 0) {
		return rc;
	}
	f->off = o;
	mg_store_dev_fd(dev, f, s);
	return 0;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (buf != NULL && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static int
cmd_pack(int argc, char **argv)
{
	static uint8_t out[MG_STORE_PAYLOAD_MAX];
	size_t off = 0, len;
	int i, fd, rc;

	for (i = 1; i < argc; i++) {
		const char *base = strrchr(argv[i], '/');
		uint8_t *data = slurp(argv[i], &len);

		if (data == NULL)
			return die(argv[i], errno);
		rc = mg_bundle_put(out, sizeof(out), &off, base != NULL ? base + 1 : argv[i], data,
		                   len);
		free(data);
		if (rc != 0)
			return die(argv[i], -rc);
	}
	fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, out, off) != (ssize_t)off)
		return die(argv[0], errno);
	close(fd);
	return 0;
}

static void
print_record(const struct mg_store_record *r)
{
	int s;

	printf("current: %s", r->slot == MG_STORE_SLOT_NONE ? "none" : r->slot == 0 ? "A" : "B");
	if (r->slot != MG_STORE_SLOT_NONE)
		printf(" generation %llu length %u%s", (unsigned long long)r->generation, r->length,
		       r->length == 0 ? " (factory default)" : "");
	printf("\n");
	for (s = 0; s < 2; s++)
		printf("slot %c: %s generation %llu length %u\n", 'A' + s,
		       r->slots[s].valid ? "valid" : "invalid",
		       (unsigned long long)r->slots[s].generation, r->slots[s].length);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[MG_STORE_PAYLOAD_MAX];
	struct mg_store_fd f;
	struct mg_store_dev dev;
	struct mg_store_record rec;
	const char *cmd = argc > 1 ? argv[1] : "";
	size_t len;
	int rc;

	if (strcmp(cmd, "pack") == 0 && argc >= 4)
		return cmd_pack(argc - 2, argv + 2);
	if (argc < 3) {
		fprintf(stderr, "usage: mgstore pack OUT FILE... | write IMAGE BUNDLE | read IMAGE "
		                "[DIR] | reset IMAGE | stress IMAGE | verify-stress IMAGE\n"
		                "IMAGE: a GPT disk image, or FILE@OFFSET:SIZE\n");
		return 1;
	}
	rc = open_store(argv[2], &f, &dev);
	if (rc != 0)
		return die(argv[2], -rc);
	if (strcmp(cmd, "write") == 0 && argc == 4) {
		uint8_t *data = slurp(argv[3], &len);

		if (data == NULL)
			return die(argv[3], errno);
		rc = mg_store_write(&dev, data, len, &rec);
		free(data);
		if (rc != 0)
			return die("write", -rc);
		printf("wrote generation %llu to slot %c (%zu bytes)\n",
		       (unsigned long long)rec.generation, 'A' + rec.slot, len);
		return 0;
	}
	if (strcmp(cmd, "reset") == 0) {
		rc = mg_store_reset(&dev);
		return rc != 0 ? die("reset", -rc) : 0;
	}
	if (strcmp(cmd, "read") == 0) {
		struct mg_bundle_file files[MG_BUNDLE_FILES];
		char path[4200];
		int n, i, fd;

		rc = mg_store_read(&dev, &rec, buf, sizeof(buf));
		if (rc != 0)
			return die("read", -rc);
		print_record(&rec);
		if (argc < 4 || rec.length == 0)
			return 0;
		n = mg_bundle_parse(buf, rec.length, files);
		if (n < 0)
			return die("bundle", -n);
		mkdir(argv[3], 0755);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s", argv[3], files[i].name);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd < 0 ||
			    write(fd, files[i].data, files[i].len) != (ssize_t)files[i].len)
				return die(path, errno);
			close(fd);
		}
		return 0;
	}
	if (strcmp(cmd, "stress") == 0) {
		for (;;) {
			if ((rc = mg_store_read(&dev, &rec, NULL, 0)) != 0)
				return die("read", -rc);
			len = mg_store_stress_fill(rec.generation + 1, buf);
			if ((rc = mg_store_write(&dev, buf, len, &rec)) != 0)
				return die("write", -rc);
			printf("committed %llu\n", (unsigned long long)rec.generation);
			fflush(stdout);
		}
	}
	if (strcmp(cmd, "verify-stress") == 0) {
		static uint8_t want[MG_STORE_STRESS_MAX];

		rc = mg_store_read(&dev, &rec, buf, sizeof(buf));
		if (rc != 0)
			return die("read", -rc);
		if (rec.slot == MG_STORE_SLOT_NONE) {
			printf("generation 0 (empty store)\n");
			return 0;
		}
		len = mg_store_stress_fill(rec.generation, want);
		if (rec.length != len || memcmp(buf, want, len) != 0) {
			printf("BAD: generation %llu holds %u bytes that are not its payload\n",
			       (unsigned long long)rec.generation, rec.length);
			return 1;
		}
		printf("generation %llu intact (%zu bytes, slot %c)\n",
		       (unsigned long long)rec.generation, len, 'A' + rec.slot);
		return 0;
	}
	fprintf(stderr, "mgstore: unknown command '%s'\n", cmd);
	return 1;
}
