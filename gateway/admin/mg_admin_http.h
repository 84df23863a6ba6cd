/*
 * A small, strict HTTP/1.1 request-head parser for the admin listener.
 *
 * The admin surface takes only bodiless requests (GET, HEAD; later the
 * reload call brings its own), so this parser reads the request line and
 * header fields, checks them against RFC 9112's grammar, and reports the few
 * facts the admin service needs.  The data listeners get the full streaming
 * parser of the HTTP/1.1 proxy.
 *
 * Contract (as picohttpparser's): the input is a (pointer, length) view, not
 * NUL-terminated; the result is the number of bytes of the complete head
 * (request line + fields + empty line), MG_AHTTP_INCOMPLETE if more bytes
 * are needed, or MG_AHTTP_ERROR with <req->status> set to the status the
 * client should get (400, 414, 431, 501, 505).
 */
#ifndef MG_ADMIN_HTTP_H
#define MG_ADMIN_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define MG_AHTTP_INCOMPLETE (-2)
#define MG_AHTTP_ERROR      (-1)
#define MG_AHTTP_MAX_HEAD   4096 /* request line + fields */
#define MG_AHTTP_MAX_TARGET 1024
#define MG_AHTTP_MAX_FIELDS 64

struct mg_ahttp_req {
	const char *method; /* view into the input */
	size_t method_len;
	const char *path; /* target up to '?' */
	size_t path_len;
	const char *query; /* after '?', or NULL */
	size_t query_len;
	int minor;                 /* HTTP/1.<minor> */
	bool keep_alive;           /* after this request, per version and Connection */
	bool has_body;             /* Content-Length > 0 or Transfer-Encoding present */
	const char *authorization; /* the Authorization field value, or NULL */
	size_t authorization_len;
	int status; /* on MG_AHTTP_ERROR: the status to answer */
};

int mg_ahttp_parse(const char *buf, size_t len, struct mg_ahttp_req *req);

#endif /* MG_ADMIN_HTTP_H */
