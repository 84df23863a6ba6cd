/*
 * The config store (platform/store/mg_store.c) and config bundles (mg_bundle.c).
 *
 * The power-cut tests run every write against a simulated device that stops applying writes
 * after a given number of bytes, at every byte offset of the write, optionally leaving the
 * rest of the sector being written as garbage (a torn sector), and check that a reader then
 * finds either the previous record or the new one, intact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mgtest.h"
#include "platform/store/mg_bundle.h"
#include "platform/store/mg_store.h"

#define SIM_SIZE (64u * 1024)

/* A device in memory that can "lose power" after <budget> written bytes. */
struct sim {
	uint8_t mem[SIM_SIZE];
	long budget; /* bytes still applied; < 0: unlimited */
	int garbage; /* on power loss, fill the rest of the torn 512-byte sector */
	int flushes;
};

static long
sim_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct sim *s = ctx;

	if (off + len > SIM_SIZE)
		return -EIO;
	memcpy(buf, s->mem + off, len);
	return (long)len;
}

static long
sim_pwrite(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct sim *s = ctx;
	size_t n = len, end;

	if (off + len > SIM_SIZE)
		return -EIO;
	if (s->budget >= 0 && (long)len > s->budget) {
		n = (size_t)s->budget;
		memcpy(s->mem + off, buf, n);
		if (s->garbage) {
			end = ((off + n) / 512 + 1) * 512;
			if (n < len && end > off + n)
				memset(s->mem + off + n, 0xa5,
				       (end > off + len ? off + len : end) - (off + n));
		}
		s->budget = 0;
		return -EIO; /* the machine is gone; the writer never sees success */
	}
	memcpy(s->mem + off, buf, len);
	if (s->budget >= 0)
		s->budget -= (long)len;
	return (long)len;
}

static int
sim_flush(void *ctx)
{
	struct sim *s = ctx;

	s->flushes++;
	return 0;
}

static void
sim_dev(struct mg_store_dev *dev, struct sim *s, uint64_t size)
{
	dev->ctx = s;
	dev->size = size;
	dev->pread = sim_pread;
	dev->pwrite = sim_pwrite;
	dev->flush = sim_flush;
	s->budget = -1;
}

static void
fill(uint8_t *p, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

MG_TEST(store_crc32c_known_answer)
{
	MG_EXPECT_EQ_UINT(mg_crc32c(0, "123456789", 9), 0xe3069283u);
	MG_EXPECT_EQ_UINT(mg_crc32c(mg_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
	MG_EXPECT_EQ_UINT(mg_crc32c(0, NULL, 0), 0);
}

MG_TEST(store_empty_and_roundtrip)
{
	static struct sim s;
	struct mg_store_dev dev;
	struct mg_store_record rec;
	uint8_t in[3000], out[3000];
	int i;

	memset(&s, 0, sizeof(s));
	sim_dev(&dev, &s, SIM_SIZE);
	MG_EXPECT_EQ_INT(mg_store_read(&dev, &rec, NULL, 0), 0);
	MG_EXPECT_EQ_INT(rec.slot, MG_STORE_SLOT_NONE);
	MG_EXPECT_EQ_UINT(rec.length, 0);
	for (i = 1; i <= 5; i++) {
		fill(in, sizeof(in), (unsigned)i);
		MG_EXPECT_EQ_INT(mg_store_write(&dev, in, sizeof(in) - (size_t)i, &rec), 0);
		MG_EXPECT_EQ_UINT(rec.generation, (unsigned)i);
		MG_EXPECT_EQ_INT(rec.slot, (i - 1) % 2);
		memset(out, 0, sizeof(out));
		MG_EXPECT_EQ_INT(mg_store_read(&dev, &rec, out, sizeof(out)), 0);
		MG_EXPECT_EQ_INT(rec.slot, (i - 1) % 2);
		MG_EXPECT_EQ_UINT(rec.generation, (unsigned)i);
		MG_EXPECT_EQ_UINT(rec.length, sizeof(in) - (size_t)i);
		MG_EXPECT_MEM(out, in, sizeof(in) - (size_t)i);
	}
	/* Two flushes per write: after the payload, after the header. */
	MG_EXPECT_EQ_INT(s.flushes, 10);
	MG_EXPECT_EQ_INT(mg_store_read(&dev, &rec, out, 10), -ENOSPC);
	/* Factory reset: a newer, empty record. */
	MG_EXPECT_EQ_INT(mg_store_reset(&dev), 0);
	MG_EXPECT_EQ_INT(mg_store_read(&dev, &rec, out, sizeof(out)), 0);
	MG_EXPECT_EQ_UINT(rec.generation, 6);
	MG_EXPECT_EQ_UINT(rec.length, 0);
	MG_EXPECT(rec.slot != MG_STORE_SLOT_NONE);
}

MG_TEST(store_limits)
{
	static struct sim s;
	struct mg_store_dev dev;
	struct mg_store_record rec;
	static uint8_t big[SIM_SIZE];

	memset(&s, 0, sizeof(s));
	sim_dev(&dev, &s, SIM_SIZE);
	MG_EXPECT_EQ_UINT(mg_store_capacity(&dev), SIM_SIZE / 2 - MG_STORE_HDR_BLOCK);
	MG_EXPECT_EQ_INT(mg_store_write(&dev, big, SIM_SIZE / 2 - MG_STORE_HDR_BLOCK + 1, NULL),
	                 -EFBIG);
	MG_EXPECT_EQ_INT(mg_store_write(&dev, big, SIM_SIZE / 2 - MG_STORE_HDR_BLOCK, NULL), 0);
	sim_dev(&dev, &s, MG_STORE_MIN_SIZE - 1);
	MG_EXPECT_EQ_INT(mg_store_write(&dev, big, 1, NULL), -EINVAL);
	MG_EXPECT_EQ_INT(mg_store_read(&dev, &rec, NULL, 0), -EINVAL);
}

MG_TEST(store_bad_header_or_payload_falls_back)
{
	static struct sim s;
	struct mg_store_dev dev;
	struct mg_store_record rec;
	uint8_t in[100];
	uint64_t half = SIM_SIZE / 2;

	memset(&s, 0, sizeof(s));
	sim_dev(&dev, &s, SIM_SIZE);
	fill(in, sizeof(in), 1);
	MG_EXPECT_EQ_INT(mg_store_write(&dev, in, sizeof(in), NULL), 0); /* gen 1 in A */
	MG_EXPECT_EQ_INT(mg_store_write(&dev, in, sizeof(in), NULL), 0); /* gen 2 in B */
	s.mem[half + 20] ^= 1;                                           /* B's header */
	MG_EXPECT_EQ_INT(mg_store_read(&dev, &rec, NULL, 0), 0);
	MG_EXPECT_EQ_INT(rec.slot, 0);
	MG_EXPECT_EQ_UINT(rec.generation, 1);
	MG_EXPECT(!rec.slots[1].valid);
	s.mem[half + 20] ^= 1;
	s.mem[half + MG_STORE_HDR_BLOCK + 50] ^= 0x80; /* B's payload */
	MG_EXPECT_EQ_INT(mg_store_read(&dev, &rec, NULL, 0), 0);
	MG_EXPECT_EQ_INT(rec.slot, 0);
	/* The next write goes over the broken slot and wins. */
	MG_EXPECT_EQ_INT(mg_store_write(&dev, in, 10, &rec), 0);
	MG_EXPECT_EQ_INT(rec.slot, 1);
	MG_EXPECT_EQ_UINT(rec.generation, 2);
}

/*
 * Runs the write of generation <nth> (earlier ones complete) with power lost after every
 * possible number of bytes, and checks what a reader finds afterwards.
 */
static void
torn_write_every_offset(int nth, size_t len, int garbage)
{
	static struct sim s, base;
	struct mg_store_dev dev;
	struct mg_store_record rec;
	static uint8_t payload[8][4096], out[4096];
	long total, k;
	int i, bad = 0;

	memset(&base, 0, sizeof(base));
	sim_dev(&dev, &base, SIM_SIZE);
	for (i = 1; i <= nth; i++)
		fill(payload[i], len, (unsigned)i * 3);
	for (i = 1; i < nth; i++)
		if (mg_store_write(&dev, payload[i], len, NULL) != 0)
			bad++;
	total = (long)(len + MG_STORE_HDR_BLOCK);
	for (k = 0; k <= total; k++) {
		memcpy(&s, &base, sizeof(s));
		sim_dev(&dev, &s, SIM_SIZE);
		s.budget = k;
		s.garbage = garbage;
		(void)mg_store_write(&dev, payload[nth], len, NULL);
		s.budget = -1;
		memset(out, 0, sizeof(out));
		if (mg_store_read(&dev, &rec, out, sizeof(out)) != 0) {
			bad++;
			continue;
		}
		if (nth == 1 && rec.slot == MG_STORE_SLOT_NONE)
			continue; /* the old state: nothing stored */
		if (rec.generation == (uint64_t)nth - 1 && rec.length == len &&
		    memcmp(out, payload[nth - 1], len) == 0)
			continue; /* the old record */
		if (rec.generation == (uint64_t)nth && rec.length == len &&
		    memcmp(out, payload[nth], len) == 0) {
			/* The new record may only win once the header is complete. */
			if (k < (long)len + 40)
				bad++;
			continue;
		}
		if (bad++ < 5)
			mg_test_fail(__FILE__, __LINE__,
			             "write %d, power lost after %ld bytes: read slot %d gen %llu "
			             "len %u",
			             nth, k, rec.slot, (unsigned long long)rec.generation,
			             rec.length);
	}
	MG_EXPECT_EQ_INT(bad, 0);
	/* After the last k (everything written) the new record is there. */
	MG_EXPECT_EQ_UINT(rec.generation, (unsigned)nth);
}

MG_TEST(store_power_cut_at_every_byte)
{
	int nth, garbage;

	for (garbage = 0; garbage <= 1; garbage++)
		for (nth = 1; nth <= 4; nth++) {
			MG_CASE("write %d, torn sector garbage %d", nth, garbage);
			torn_write_every_offset(nth, 1500 + (size_t)nth * 333, garbage);
		}
	MG_CASE("%s", "");
}

MG_TEST(store_fd_backend_at_offset)
{
	char path[] = "/tmp/mg-store-test-XXXXXX";
	struct mg_store_fd f;
	struct mg_store_dev dev;
	struct mg_store_record rec;
	uint8_t in[777], out[777], outside[4096], zero[4096];
	int fd = mkstemp(path);

	MG_EXPECT(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	MG_EXPECT_EQ_INT(ftruncate(fd, 3 * 65536), 0);
	f.fd = fd;
	f.off = 65536;
	mg_store_dev_fd(&dev, &f, 65536);
	fill(in, sizeof(in), 9);
	MG_EXPECT_EQ_INT(mg_store_write(&dev, in, sizeof(in), NULL), 0);
	MG_EXPECT_EQ_INT(mg_store_write(&dev, in, sizeof(in) - 1, NULL), 0);
	MG_EXPECT_EQ_INT(mg_store_read(&dev, &rec, out, sizeof(out)), 0);
	MG_EXPECT_EQ_UINT(rec.generation, 2);
	MG_EXPECT_EQ_UINT(rec.length, sizeof(in) - 1);
	MG_EXPECT_MEM(out, in, sizeof(in) - 1);
	/* Nothing written outside [off, off + size). */
	memset(zero, 0, sizeof(zero));
	MG_EXPECT_EQ_INT(pread(fd, outside, sizeof(outside), 65536 - 4096), 4096);
	MG_EXPECT_MEM(outside, zero, sizeof(zero));
	MG_EXPECT_EQ_INT(pread(fd, outside, sizeof(outside), 2 * 65536), 4096);
	MG_EXPECT_MEM(outside, zero, sizeof(zero));
	close(fd);
}

MG_TEST(bundle_roundtrip)
{
	uint8_t buf[256];
	struct mg_bundle_file files[MG_BUNDLE_FILES];
	size_t off = 0;

	MG_EXPECT_EQ_INT(mg_bundle_put(buf, sizeof(buf), &off, "meshgate.json", "{}", 2), 0);
	MG_EXPECT_EQ_INT(mg_bundle_put(buf, sizeof(buf), &off, "tls-cert_1.pem", "PEM", 3), 0);
	MG_EXPECT_EQ_INT(mg_bundle_put(buf, sizeof(buf), &off, "empty", NULL, 0), 0);
	MG_EXPECT(mg_bundle_is_bundle(buf, off));
	MG_EXPECT_EQ_INT(mg_bundle_parse(buf, off, files), 3);
	MG_EXPECT_STR(files[0].name, "meshgate.json");
	MG_EXPECT_EQ_UINT(files[0].len, 2);
	MG_EXPECT_MEM(files[0].data, "{}", 2);
	MG_EXPECT_STR(files[1].name, "tls-cert_1.pem");
	MG_EXPECT_EQ_UINT(files[2].len, 0);
	/* Every truncation is refused, except at a file boundary. */
	for (size_t n = 0; n < off; n++) {
		int rc = mg_bundle_parse(buf, n, files);

		MG_CASE("truncated at %zu", n);
		if (n == 4 || n == 4 + 6 + 13 + 2 || n == 4 + 6 + 13 + 2 + 6 + 14 + 3)
			MG_EXPECT(rc >= 0);
		else
			MG_EXPECT_EQ_INT(rc, -EINVAL);
	}
	MG_CASE("%s", "");
	MG_EXPECT_EQ_INT(mg_bundle_put(buf, 20, &off, "x", "y", 1), -ENOSPC);
}

MG_TEST(bundle_rejects)
{
	static const char *bad_names[] = {
	    "",
	    ".hidden",
	    "../etc",
	    "a/b",
	    "sp ace",
	    "nul\x01",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	struct mg_bundle_file files[MG_BUNDLE_FILES];
	uint8_t buf[4096];
	size_t off = 0, i;
	char name[16];

	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		MG_CASE("name '%s'", bad_names[i]);
		off = 0;
		MG_EXPECT_EQ_INT(mg_bundle_put(buf, sizeof(buf), &off, bad_names[i], "x", 1),
		                 -EINVAL);
	}
	MG_CASE("%s", "");
	MG_EXPECT_EQ_INT(mg_bundle_parse("MGB2", 4, files), -EINVAL);
	MG_EXPECT_EQ_INT(mg_bundle_parse("{\"a\":1}", 7, files), -EINVAL);
	off = 0;
	MG_EXPECT_EQ_INT(mg_bundle_put(buf, sizeof(buf), &off, "a", "1", 1), 0);
	MG_EXPECT_EQ_INT(mg_bundle_put(buf, sizeof(buf), &off, "a", "2", 1), 0);
	MG_EXPECT_EQ_INT(mg_bundle_parse(buf, off, files), -EINVAL); /* duplicate */
	/* A name smuggled past put() is caught by parse(). */
	off = 0;
	MG_EXPECT_EQ_INT(mg_bundle_put(buf, sizeof(buf), &off, "ab", "1", 1), 0);
	buf[4 + 6] = '/';
	MG_EXPECT_EQ_INT(mg_bundle_parse(buf, off, files), -EINVAL);
	off = 0;
	for (i = 0; i <= MG_BUNDLE_FILES; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		MG_EXPECT_EQ_INT(mg_bundle_put(buf, sizeof(buf), &off, name, "x", 1), 0);
	}
	MG_EXPECT_EQ_INT(mg_bundle_parse(buf, off, files), -E2BIG);
}
