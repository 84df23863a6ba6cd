/*
 * libFuzzer target: strict base64url (gateway/jwt/mg_b64url.c).
 *
 * Checks the property that makes the decoder strict: whatever it accepts re-encodes to exactly
 * the input (one encoding per byte string), and every byte string round-trips.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/jwt/mg_b64url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size ? size : 1), *enc = malloc(MG_B64URL_ENCODED_LEN(size) + 1);
	uint8_t *dec = malloc(size + MG_B64URL_DECODED_MAX(size) + 1);
	long d, e;

	memcpy(in, data, size);
	d = mg_b64url_decode(in, size, dec, MG_B64URL_DECODED_MAX(size));
	if (d >= 0) {
		e = mg_b64url_encode(dec, (size_t)d, enc, MG_B64URL_ENCODED_LEN(size) + 1);
		if (e != (long)size || memcmp(enc, in, size) != 0)
			abort(); /* accepted a non-canonical encoding */
	}
	e = mg_b64url_encode(data, size, enc, MG_B64URL_ENCODED_LEN(size));
	if (e != (long)MG_B64URL_ENCODED_LEN(size))
		abort();
	d = mg_b64url_decode(enc, (size_t)e, dec, size + MG_B64URL_DECODED_MAX(size) + 1);
	if (d != (long)size || memcmp(dec, data, size) != 0)
		abort();
	free(in);
	free(enc);
	free(dec);
	return 0;
}
