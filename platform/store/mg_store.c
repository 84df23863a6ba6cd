/*
 * The persistent config store: see mg_store.h for the layout and the write order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/store/mg_store.h"

/* The on-disk header, little-endian, at the start of each slot's header block. */
#define HDR_MAGIC_OFF   0  /* 8 bytes */
#define HDR_VERSION_OFF 8  /* u32 */
#define HDR_LEN_OFF     12 /* u32: bytes covered by hdr_crc, i.e. HDR_SIZE - 4 */
#define HDR_GEN_OFF     16 /* u64 */
#define HDR_PLEN_OFF    24 /* u32 */
#define HDR_PCRC_OFF    28 /* u32 */
#define HDR_FLAGS_OFF   32 /* u32, 0 */
#define HDR_CRC_OFF     36 /* u32: CRC32C of bytes 0..35 */
#define HDR_SIZE        40

static uint32_t crc32c_table[256];

static void
crc32c_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc32c_table[i] = c;
	}
}

uint32_t
mg_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (crc32c_table[1] == 0)
		crc32c_init();
	crc = ~crc;
	while (len-- > 0)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
slot_size(const struct mg_store_dev *dev)
{
	/* Slots start on header-block boundaries. */
	return (dev->size / 2) / MG_STORE_HDR_BLOCK * MG_STORE_HDR_BLOCK;
}

static uint64_t
slot_off(const struct mg_store_dev *dev, int slot)
{
	return (uint64_t)slot * slot_size(dev);
}

uint32_t
mg_store_capacity(const struct mg_store_dev *dev)
{
	uint64_t cap;

	if (dev->size < MG_STORE_MIN_SIZE)
		return 0;
	cap = slot_size(dev) - MG_STORE_HDR_BLOCK;
	return cap > MG_STORE_PAYLOAD_MAX ? MG_STORE_PAYLOAD_MAX : (uint32_t)cap;
}

/*
 * Reads slot <slot>'s header into <info>; sets info->valid only when the header checks out.
 * The payload CRC is returned in <pcrc> for the caller to check.  Errors of the device are
 * returned; a bad header is not an error.
 */
static int
read_header(const struct mg_store_dev *dev, int slot, struct mg_store_slot_info *info,
            uint32_t *pcrc)
{
	uint8_t h[HDR_SIZE];
	long rc;

	memset(info, 0, sizeof(*info));
	rc = dev->pread(dev->ctx, h, sizeof(h), slot_off(dev, slot));
	if (rc < 0)
		return (int)rc;
	if (memcmp(h + HDR_MAGIC_OFF, MG_STORE_MAGIC, 8) != 0 ||
	    get32(h + HDR_VERSION_OFF) != MG_STORE_VERSION ||
	    get32(h + HDR_LEN_OFF) != HDR_CRC_OFF || get32(h + HDR_FLAGS_OFF) != 0 ||
	    get32(h + HDR_CRC_OFF) != mg_crc32c(0, h, HDR_CRC_OFF))
		return 0;
	info->generation = (uint64_t)get32(h + HDR_GEN_OFF) | (uint64_t)get32(h + HDR_GEN_OFF + 4)
	                                                          << 32;
	info->length = get32(h + HDR_PLEN_OFF);
	*pcrc = get32(h + HDR_PCRC_OFF);
	if (info->length > mg_store_capacity(dev))
		return 0;
	info->valid = 1;
	return 0;
}

/* Checks slot <slot>'s payload against <crc>, reading it into <buf> (<len> bytes). */
static int
payload_ok(const struct mg_store_dev *dev, int slot, uint32_t len, uint32_t crc, uint8_t *buf)
{
	long rc;

	if (len == 0)
		return crc == mg_crc32c(0, NULL, 0);
	rc = dev->pread(dev->ctx, buf, len, slot_off(dev, slot) + MG_STORE_HDR_BLOCK);
	if (rc < 0)
		return (int)rc;
	return mg_crc32c(0, buf, len) == crc;
}

/* Judges both slots; rec->slot is the winner.  <scratch> holds the winner's payload. */
static int
judge(const struct mg_store_dev *dev, struct mg_store_record *rec, uint8_t **scratch)
{
	uint32_t crc[2] = {0, 0};
	uint8_t *buf[2] = {NULL, NULL};
	int s, rc, best = MG_STORE_SLOT_NONE;

	memset(rec, 0, sizeof(*rec));
	rec->slot = MG_STORE_SLOT_NONE;
	if (dev->size < MG_STORE_MIN_SIZE)
		return -EINVAL;
	for (s = 0; s < 2; s++) {
		rc = read_header(dev, s, &rec->slots[s], &crc[s]);
		if (rc < 0)
			goto bad;
		if (!rec->slots[s].valid)
			continue;
		buf[s] = malloc(rec->slots[s].length > 0 ? rec->slots[s].length : 1);
		if (buf[s] == NULL) {
			rc = -ENOMEM;
			goto bad;
		}
		rc = payload_ok(dev, s, rec->slots[s].length, crc[s], buf[s]);
		if (rc < 0)
			goto bad;
		rec->slots[s].valid = rc;
		if (rc && (best == MG_STORE_SLOT_NONE ||
		           rec->slots[s].generation > rec->slots[best].generation))
			best = s;
	}
	if (best != MG_STORE_SLOT_NONE) {
		rec->slot = best;
		rec->generation = rec->slots[best].generation;
		rec->length = rec->slots[best].length;
		*scratch = buf[best];
		buf[best] = NULL;
	}
	rc = 0;
bad:
	free(buf[0]);
	free(buf[1]);
	return rc;
}

int
mg_store_read(const struct mg_store_dev *dev, struct mg_store_record *rec, void *buf, size_t cap)
{
	uint8_t *payload = NULL;
	int rc;

	rc = judge(dev, rec, &payload);
	if (rc == 0 && buf != NULL && rec->length > 0) {
		if (rec->length > cap)
			rc = -ENOSPC;
		else
			memcpy(buf, payload, rec->length);
	}
	free(payload);
	return rc;
}

static int
write_all(const struct mg_store_dev *dev, const void *buf, size_t len, uint64_t off)
{
	long rc = dev->pwrite(dev->ctx, buf, len, off);

	return rc < 0 ? (int)rc : 0;
}

int
mg_store_write(const struct mg_store_dev *dev, const void *payload, size_t len,
               struct mg_store_record *out)
{
	struct mg_store_record cur;
	uint8_t *scratch = NULL, *h = NULL;
	uint64_t gen;
	int target, rc;

	if (len > mg_store_capacity(dev))
		return dev->size < MG_STORE_MIN_SIZE ? -EINVAL : -EFBIG;
	rc = judge(dev, &cur, &scratch);
	free(scratch);
	if (rc < 0)
		return rc;
	/* The slot that does not hold the current record; A on an empty store. */
	target = cur.slot == MG_STORE_SLOT_NONE ? 0 : 1 - cur.slot;
	gen = cur.slot == MG_STORE_SLOT_NONE ? 1 : cur.generation + 1;
	/* A torn-but-still-valid-looking older record in <target> cannot win: its generation is
	 * below cur.generation, and its payload CRC fails as soon as the payload changes. */
	if (len > 0) {
		rc = write_all(dev, payload, len, slot_off(dev, target) + MG_STORE_HDR_BLOCK);
		if (rc < 0)
			return rc;
	}
	rc = dev->flush(dev->ctx);
	if (rc < 0)
		return rc;
	h = calloc(1, MG_STORE_HDR_BLOCK);
	if (h == NULL)
		return -ENOMEM;
	memcpy(h + HDR_MAGIC_OFF, MG_STORE_MAGIC, 8);
	put32(h + HDR_VERSION_OFF, MG_STORE_VERSION);
	put32(h + HDR_LEN_OFF, HDR_CRC_OFF);
	put32(h + HDR_GEN_OFF, (uint32_t)gen);
	put32(h + HDR_GEN_OFF + 4, (uint32_t)(gen >> 32));
	put32(h + HDR_PLEN_OFF, (uint32_t)len);
	put32(h + HDR_PCRC_OFF, mg_crc32c(0, payload, len));
	put32(h + HDR_FLAGS_OFF, 0);
	put32(h + HDR_CRC_OFF, mg_crc32c(0, h, HDR_CRC_OFF));
	rc = write_all(dev, h, MG_STORE_HDR_BLOCK, slot_off(dev, target));
	free(h);
	if (rc < 0)
		return rc;
	rc = dev->flush(dev->ctx);
	if (rc < 0)
		return rc;
	if (out != NULL) {
		*out = cur;
		out->slot = target;
		out->generation = gen;
		out->length = (uint32_t)len;
		out->slots[target].valid = 1;
		out->slots[target].generation = gen;
		out->slots[target].length = (uint32_t)len;
	}
	return 0;
}

int
mg_store_reset(const struct mg_store_dev *dev)
{
	return mg_store_write(dev, NULL, 0, NULL);
}

static long
fd_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct mg_store_fd *f = ctx;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(f->fd, (char *)buf + done, len - done, (off_t)(f->off + off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return (long)done;
}

static long
fd_pwrite(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct mg_store_fd *f = ctx;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pwrite(f->fd, (const char *)buf + done, len - done,
		           (off_t)(f->off + off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return (long)done;
}

static int
fd_flush(void *ctx)
{
	struct mg_store_fd *f = ctx;

	return fsync(f->fd) == 0 ? 0 : -errno;
}

void
mg_store_dev_fd(struct mg_store_dev *dev, struct mg_store_fd *f, uint64_t size)
{
	dev->ctx = f;
	dev->size = size;
	dev->pread = fd_pread;
	dev->pwrite = fd_pwrite;
	dev->flush = fd_flush;
}

size_t
mg_store_stress_fill(uint64_t gen, uint8_t *buf)
{
	size_t len = 64 + (size_t)((gen * 7919) % 200000), i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(gen * 31 + i * 7 + (i >> 9));
	for (i = 0; i < 8; i++)
		buf[i] = (uint8_t)(gen >> (8 * i));
	return len;
}
