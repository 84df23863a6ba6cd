/*
 * Telling TLS from plaintext on the first bytes of a connection (App Mesh PERMISSIVE mode).
 * See mg_tls.h.
 *
 * A TLS connection starts with a TLSPlaintext record: content type 22 (handshake), then the
 * record version 3.x (3.1 for a TLS 1.0-1.3 ClientHello, 3.0 from old stacks; RFC 8446 5.1
 * says 3.1 or 3.3).  No HTTP request can start with byte 0x16, so three bytes decide.  An
 * SSLv2-format hello (first byte 0x80) is not TLS we speak and is reported as plaintext,
 * which the HTTP parser then rejects.
 */
#include "gateway/tls/mg_tls.h"

#define TLS_RECORD_HANDSHAKE 0x16

enum mg_tls_sniff_result
mg_tls_sniff(const unsigned char *first_bytes, size_t n)
{
	if (n == 0)
		return MG_TLS_SNIFF_NEED_MORE;
	if (first_bytes[0] != TLS_RECORD_HANDSHAKE)
		return MG_TLS_SNIFF_PLAINTEXT;
	if (n < 2)
		return MG_TLS_SNIFF_NEED_MORE;
	if (first_bytes[1] != 0x03)
		return MG_TLS_SNIFF_PLAINTEXT;
	if (n < 3)
		return MG_TLS_SNIFF_NEED_MORE;
	return first_bytes[2] <= 0x04 ? MG_TLS_SNIFF_TLS : MG_TLS_SNIFF_PLAINTEXT;
}
