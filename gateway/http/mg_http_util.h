/*
 * HTTP helpers for the proxy: which fields must not be forwarded, request
 * ids, X-Forwarded-* fields, reason phrases, and the responses the gateway
 * generates itself.
 *
 * Pure functions over views: no I/O, no allocation.  Writers fill a caller
 * buffer of <size> bytes and return the number of bytes written, or -ENOSPC
 * when it is too small (nothing useful is left in it then), or -EINVAL.
 * Nothing is NUL-terminated.
 */
#ifndef MG_HTTP_UTIL_H
#define MG_HTTP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mg_h1.h"

/* X-Request-Id values kept from clients: 1 to this many bytes of [A-Za-z0-9._:-]. */
#define MG_HTTP_REQUEST_ID_MAX 128
/* A UUID in its 8-4-4-4-12 text form. */
#define MG_HTTP_UUID_LEN 36
/* Bytes of detail text kept in a gateway-generated error body. */
#define MG_HTTP_ERROR_DETAIL_MAX 200
/* The longest client address mg_http_write_xff() accepts (an IPv6 text form). */
#define MG_HTTP_IP_MAX 45

/*
 * mg_http_is_hop_by_hop() returns true when the field named <name> (<len>
 * bytes, any case) must not be forwarded: Connection, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, HTTP2-Settings,
 * Proxy-Authenticate and Proxy-Authorization (credentials for a proxy, never
 * for the origin behind a gateway), and every name listed in <head>'s
 * Connection fields (<head> may be NULL) except Host and Content-Length,
 * which a client cannot make the gateway drop.  The proxy removes these
 * from what it forwards and then adds its own fields, so that a client
 * cannot name them in Connection to have them removed.
 */
bool mg_http_is_hop_by_hop(const char *name, size_t len, const struct mg_h1_head *head);

/*
 * mg_http_trailer_allowed() returns false for fields that must not be sent
 * or honoured as trailers (RFC 9110 section 6.5.1: framing, routing,
 * authentication, request modifiers, response control data, content
 * metadata) and for hop-by-hop fields; true for the rest (grpc-status,
 * checksums, ...).
 */
bool mg_http_trailer_allowed(const char *name, size_t len);

/*
 * mg_http_field_find() returns the first field at index >= *<idx> in
 * <fields>[0 .. <n> - 1] whose name equals <name> ignoring case, and sets
 * *<idx> past it so that a loop finds every occurrence; NULL when there is
 * none.  <idx> may be NULL to search from the start.
 */
const struct mg_h1_field *mg_http_field_find(const struct mg_h1_field *fields, unsigned int n,
                                             const char *name, unsigned int *idx);

/*
 * mg_http_request_id_valid() returns true when an X-Request-Id value from a
 * client is kept: 1 to MG_HTTP_REQUEST_ID_MAX bytes, each a letter, digit,
 * '.', '_', ':' or '-' (UUIDs, ULIDs, AWS/B3-style ids and most tracing ids
 * fit; anything that could confuse logs or downstream parsers does not).
 */
bool mg_http_request_id_valid(const char *v, size_t len);

/*
 * mg_http_uuid_v4() writes a random (version 4, RFC 9562) UUID made from the
 * 16 bytes at <rnd>, which the caller takes from its random source, as 36
 * lower-case characters at <out> (not NUL-terminated).
 */
void mg_http_uuid_v4(const uint8_t rnd[16], char out[MG_HTTP_UUID_LEN]);

/*
 * mg_http_ip4() writes IPv4 address <addr> (network byte order) in dotted
 * decimal, as inet_ntop() does but without its printf, to <out> (at least
 * 16 bytes; NUL-terminated) and returns its length.
 */
size_t mg_http_ip4(uint32_t addr, char out[16]);

/* mg_http_write_field() writes the field line "<name>: <value>\r\n". */
ssize_t mg_http_write_field(char *out, size_t size, const char *name, size_t name_len,
                            const char *value, size_t value_len);

/* mg_http_write_content_length() writes "Content-Length: <n>\r\n". */
ssize_t mg_http_write_content_length(char *out, size_t size, uint64_t n);

/*
 * mg_http_write_xff() writes the X-Forwarded-For line to forward: the values
 * of every X-Forwarded-For field in <fields>[0 .. <n> - 1], in order, joined
 * with ", ", followed by the client's address <ip> (<ip_len> bytes of
 * hex digits, '.' and ':'; -EINVAL otherwise).  The proxy drops the
 * client's X-Forwarded-For lines and sends this one instead.
 */
ssize_t mg_http_write_xff(char *out, size_t size, const struct mg_h1_field *fields, unsigned int n,
                          const char *ip, size_t ip_len);

/* mg_http_write_xfproto() writes "X-Forwarded-Proto: https\r\n" (or http). */
ssize_t mg_http_write_xfproto(char *out, size_t size, bool https);

/* mg_http_write_xfport() writes "X-Forwarded-Port: <port>\r\n". */
ssize_t mg_http_write_xfport(char *out, size_t size, uint16_t port);

/*
 * mg_http_status_reason() returns the reason phrase registered for <status>
 * ("Bad Gateway"), or "" when it has none (an empty reason is valid).
 */
const char *mg_http_status_reason(int status);

/*
 * mg_http_write_error() writes a complete response the gateway sends itself
 * for <status> (400-599; -EINVAL otherwise):
 *
 *   HTTP/1.1 502 Bad Gateway
 *   Content-Type: text/plain
 *   Content-Length: 41
 *   Connection: close
 *   <extra field lines>
 *
 *   502 Bad Gateway: upstream connect failed
 *
 * <detail> (<detail_len> bytes, may be NULL) follows the status in the body;
 * bytes outside printable ASCII become '?', and only the first
 * MG_HTTP_ERROR_DETAIL_MAX are kept.  <extra> holds zero or more complete
 * field lines each ending in CRLF ("WWW-Authenticate: Bearer\r\n"), copied
 * after Connection; -EINVAL when they are not well-formed.  With
 * <head_request> the body is left out (Content-Length still gives its size).
 */
ssize_t mg_http_write_error(char *out, size_t size, int status, const char *detail,
                            size_t detail_len, const char *extra, size_t extra_len,
                            bool head_request);

#endif /* MG_HTTP_UTIL_H */
