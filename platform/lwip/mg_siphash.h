/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit PRF for short
 * inputs.  Used for TCP initial sequence numbers (RFC 6528) and, later, for
 * hash-table keys that a remote peer can influence.
 */
#ifndef MG_SIPHASH_H
#define MG_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* mg_siphash24() hashes <len> bytes at <data> under the 16-byte <key>. */
uint64_t mg_siphash24(const uint8_t key[16], const void *data, size_t len);

#endif /* MG_SIPHASH_H */
