/*
 * Strict base64url (RFC 4648 section 5) as JWS compact serialization uses it (RFC 7515
 * section 2): the URL-safe alphabet, no padding, no whitespace, and canonical encodings only.
 *
 * "Canonical" means the unused low bits of the last character are zero, so every byte string
 * has exactly one accepted encoding: a token cannot be altered into a different string that
 * decodes to the same bytes (which would defeat a cache keyed by the token text, or a
 * signature check made on a re-encoding).  A length of 1 modulo 4 is never valid.
 *
 * No allocation; (pointer, length) views throughout.
 */
#ifndef MG_JWT_B64URL_H
#define MG_JWT_B64URL_H

#include <stddef.h>
#include <stdint.h>

/* Bytes that mg_b64url_decode() writes for <n> input characters (an upper bound). */
#define MG_B64URL_DECODED_MAX(n) (((n) / 4) * 3 + 2)
/* Characters that mg_b64url_encode() writes for <n> bytes (exact). */
#define MG_B64URL_ENCODED_LEN(n) (((n) / 3) * 4 + ((n) % 3 == 0 ? 0 : (n) % 3 + 1))

/*
 * Decodes the <len> characters at <in> into <out> (<cap> bytes).  Returns the number of bytes
 * written, or -1 if the input is not canonical unpadded base64url (a character outside the
 * alphabet, '=' padding, a length of 1 modulo 4, nonzero trailing bits) or does not fit.
 */
long mg_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/*
 * Encodes <len> bytes at <in> as unpadded base64url into <out> (<cap> bytes, no NUL added).
 * Returns the number of characters written, or -1 if they do not fit.
 */
long mg_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);

#endif /* MG_JWT_B64URL_H */
