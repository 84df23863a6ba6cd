/*
 * The persistent config store: two slots (A and B) on the appliance's config partition.
 *
 * Layout: the partition (or any file or byte range) is cut in two equal halves, slot A then
 * slot B.  Each slot is one 4 KiB header block followed by its payload.  The header holds a
 * magic, a format version, a generation counter, the payload length and the CRC32C of the
 * payload, and ends with the CRC32C of the header itself.  All integers are little-endian.
 *
 * Writing (mg_store_write) never touches the slot that holds the current config: it writes the
 * payload into the other slot, flushes, and only then writes that slot's header with a
 * generation one higher than the current one, and flushes again.  Reading (mg_store_read)
 * takes the valid slot (header CRC, magic, version, length and payload CRC all good) with the
 * highest generation.  A power cut at any moment therefore leaves either the previous config
 * (the new header never landed, or landed torn and fails its CRC) or the new one.
 *
 * A payload of length zero is a valid record meaning "no stored config": factory reset
 * (mg_store_reset) writes one, so a reset is as atomic as any other write and generations keep
 * growing.
 *
 * The payload is opaque here; the appliance stores a bundle of files in it (mg_bundle.h).
 * Every function returns 0 or a negative errno value.
 */
#ifndef MG_STORE_H
#define MG_STORE_H

#include <stddef.h>
#include <stdint.h>

#define MG_STORE_MAGIC     "MGCFGSLT"
#define MG_STORE_VERSION   1
#define MG_STORE_HDR_BLOCK 4096u
#define MG_STORE_MIN_SIZE  (4u * MG_STORE_HDR_BLOCK)
#define MG_STORE_SLOT_NONE (-1)
/* Largest payload the appliance writes, whatever the partition size. */
#define MG_STORE_PAYLOAD_MAX (4u << 20)

/*
 * The device the store lives on.  <pread>/<pwrite> return the bytes moved or a negative errno
 * value (short transfers are errors); <flush> makes every completed write durable.  Offsets
 * are relative to the start of the store area.
 */
struct mg_store_dev {
	void *ctx;
	uint64_t size; /* bytes in the store area; at least MG_STORE_MIN_SIZE */
	long (*pread)(void *ctx, void *buf, size_t len, uint64_t off);
	long (*pwrite)(void *ctx, const void *buf, size_t len, uint64_t off);
	int (*flush)(void *ctx);
};

/* What one slot holds, as the reader judged it. */
struct mg_store_slot_info {
	int valid;
	uint64_t generation;
	uint32_t length;
};

/* The result of a read: which slot won, its generation and payload. */
struct mg_store_record {
	int slot; /* 0 (A), 1 (B) or MG_STORE_SLOT_NONE when neither is valid */
	uint64_t generation;
	uint32_t length; /* 0: no stored config (never written, or factory reset) */
	struct mg_store_slot_info slots[2];
};

/* CRC32C (Castagnoli), as iSCSI and ext4 use it: crc32c(0, "123456789", 9) == 0xe3069283. */
uint32_t mg_crc32c(uint32_t crc, const void *buf, size_t len);

/* The largest payload <dev> can hold (half the area less the header block, capped). */
uint32_t mg_store_capacity(const struct mg_store_dev *dev);

/*
 * Reads the current record.  The payload is copied to <buf> (room for <cap> bytes) when
 * <buf> is not NULL; -ENOSPC when it does not fit (<rec> is filled in all the same).  Returns
 * 0 also when no slot is valid (rec->slot == MG_STORE_SLOT_NONE, length 0).
 */
int mg_store_read(const struct mg_store_dev *dev, struct mg_store_record *rec, void *buf,
                  size_t cap);

/*
 * Writes <payload> (<len> bytes, 0 allowed) as the new current record, following the order
 * described above.  On success <rec> (if not NULL) describes the new record.
 */
int mg_store_write(const struct mg_store_dev *dev, const void *payload, size_t len,
                   struct mg_store_record *rec);

/* Factory reset: a new empty record, so readers fall back to the embedded default. */
int mg_store_reset(const struct mg_store_dev *dev);

/* The context of a store on a file or block device. */
struct mg_store_fd {
	int fd;
	uint64_t off;
};

/*
 * A store on the file or block device <f>->fd, in the byte range [<f>->off, <f>->off +
 * <size>).  pread/pwrite loop over short transfers; flush is fsync(2).  <f> must outlive
 * <dev>.
 */
void mg_store_dev_fd(struct mg_store_dev *dev, struct mg_store_fd *f, uint64_t size);

/*
 * The power-cut tests' payload for generation <gen> (at most MG_STORE_STRESS_MAX bytes, into
 * <buf>): its length and bytes follow from <gen> alone, so a reader can tell a whole record
 * from a torn or misplaced one.  Returns the length.
 */
#define MG_STORE_STRESS_MAX (256u * 1024)
size_t mg_store_stress_fill(uint64_t gen, uint8_t *buf);

#endif /* MG_STORE_H */
