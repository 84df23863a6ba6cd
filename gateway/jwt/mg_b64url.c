/*
 * Strict base64url: see mg_b64url.h for the contract.
 */
#include "mg_b64url.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of character <c>, or -1 outside the alphabet. */
static int
b64url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long
mg_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t i, o = 0, rem = len % 4, full = len - rem;
	int v[4];

	if (rem == 1)
		return -1;
	if (full / 4 * 3 + (rem ? rem - 1 : 0) > cap)
		return -1;
	for (i = 0; i < full; i += 4) {
		for (int k = 0; k < 4; k++) {
			v[k] = b64url_val((unsigned char)in[i + k]);
			if (v[k] < 0)
				return -1;
		}
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		out[o++] = (uint8_t)((v[1] & 0xf) << 4 | v[2] >> 2);
		out[o++] = (uint8_t)((v[2] & 0x3) << 6 | v[3]);
	}
	if (rem == 0)
		return (long)o;
	for (size_t k = 0; k < rem; k++) {
		v[k] = b64url_val((unsigned char)in[full + k]);
		if (v[k] < 0)
			return -1;
	}
	out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
	if (rem == 2) {
		/* 12 bits carry 8: the low 4 bits of the second character must be zero. */
		if ((v[1] & 0xf) != 0)
			return -1;
	} else {
		out[o++] = (uint8_t)((v[1] & 0xf) << 4 | v[2] >> 2);
		/* 18 bits carry 16: the low 2 bits of the third character must be zero. */
		if ((v[2] & 0x3) != 0)
			return -1;
	}
	return (long)o;
}

long
mg_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;

	if (MG_B64URL_ENCODED_LEN(len) > cap)
		return -1;
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64url_alphabet[w >> 18];
		out[o++] = b64url_alphabet[(w >> 12) & 63];
		out[o++] = b64url_alphabet[(w >> 6) & 63];
		out[o++] = b64url_alphabet[w & 63];
	}
	if (len - i == 1) {
		out[o++] = b64url_alphabet[in[i] >> 2];
		out[o++] = b64url_alphabet[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		uint32_t w = (uint32_t)in[i] << 8 | in[i + 1];

		out[o++] = b64url_alphabet[w >> 10];
		out[o++] = b64url_alphabet[(w >> 4) & 63];
		out[o++] = b64url_alphabet[(w & 15) << 2];
	}
	return (long)o;
}
