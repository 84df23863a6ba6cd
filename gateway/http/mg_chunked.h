/*
 * The chunked transfer coding (RFC 9112 section 7.1): a streaming decoder
 * that never copies or buffers body bytes, and the encoder helpers a proxy
 * needs to re-chunk a body.
 *
 * Decoding contract:
 *
 *   mg_chunked_init(&d, NULL, trailers, ntrailers);
 *   while (!mg_chunked_done(&d)) {
 *           n = mg_chunked_decode(&d, buf + off, len - off, &span);
 *           if (n < 0)
 *                   fail with d.reason;              // 400 to a client, 502 for an upstream
 *           forward(span.data, span.data_len);       // body bytes, maybe none
 *           off += n;
 *           if (n == 0 && !mg_chunked_done(&d))      // nothing more in these bytes:
 *                   keep buf[off .. len), append more bytes, call again
 *   }
 *   // the message ended at buf + off; trailers[0 .. d.ntrailers - 1] hold the trailer fields
 *
 * Each call consumes framing bytes (size lines, extensions, CRLFs, the trailer
 * section) and at most one run of body data, and stops right after that run,
 * so the data is always the last span.data_len bytes of what it consumed:
 * consumed == span.framing + span.data_len.  Everything is consumed as it
 * arrives (the decoder keeps the little state it needs: the chunk size being
 * read, the position in an extension) except the trailer section: its
 * fields are returned as views, so it must be contiguous, and the decoder
 * leaves it unconsumed until its final CRLF is present (bounded by
 * limits.max_trailer).  Bytes a call did not consume must be presented again,
 * at the start of the next call's buffer, followed by new ones; the trailer
 * scan resumes where it stopped, so feeding one byte at a time stays O(n).
 */
#ifndef MG_CHUNKED_H
#define MG_CHUNKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mg_h1.h"

#define MG_CHUNKED_ERROR (-1)

/* chunk-size: at most this many hex digits (leading zeros included): 64 bits. */
#define MG_CHUNKED_MAX_SIZE_DIGITS 16
/* The longest size line the encoder writes: 16 hex digits and CRLF. */
#define MG_CHUNKED_SIZE_LINE_MAX 18

/* Defaults of struct mg_chunked_limits. */
#define MG_CHUNKED_DEFAULT_MAX_EXT            1024 /* bytes of extensions per size line */
#define MG_CHUNKED_DEFAULT_MAX_TRAILER        8192 /* trailer section incl. final CRLF */
#define MG_CHUNKED_DEFAULT_MAX_TRAILER_FIELDS 32

/* Limits of one decoder; zero members take the defaults (max_body 0: no limit). */
struct mg_chunked_limits {
	uint32_t max_ext;
	uint32_t max_trailer;
	uint32_t max_trailer_fields;
	uint64_t max_body; /* total of the chunk sizes; more is MG_CHUNKED_E_BODY_TOO_LARGE */
};

/* Why a chunked body was rejected (stable labels: mg_chunked_reason_name()). */
enum mg_chunked_reason {
	MG_CHUNKED_OK = 0,
	MG_CHUNKED_E_SIZE,              /* chunk-size empty or not hex ("0x10", "-1", " 1") */
	MG_CHUNKED_E_SIZE_TOO_LONG,     /* more than MG_CHUNKED_MAX_SIZE_DIGITS hex digits */
	MG_CHUNKED_E_EXT,               /* chunk-ext not ( ";" token [ "=" token/quoted ] )* */
	MG_CHUNKED_E_EXT_TOO_LONG,      /* extensions longer than limits.max_ext */
	MG_CHUNKED_E_BARE_CR,           /* CR not followed by LF */
	MG_CHUNKED_E_BARE_LF,           /* LF without CR ending a size or trailer line */
	MG_CHUNKED_E_DATA_CRLF,         /* chunk data not followed by exactly CRLF */
	MG_CHUNKED_E_BODY_TOO_LARGE,    /* the chunk sizes add up to more than max_body */
	MG_CHUNKED_E_TRAILER_FIELD,     /* invalid trailer field line (name, colon, fold, CTL) */
	MG_CHUNKED_E_TRAILER_TOO_LARGE, /* trailer section longer than max_trailer */
	MG_CHUNKED_E_TRAILER_TOO_MANY,  /* more trailer fields than allowed */
	MG_CHUNKED_REASON_COUNT
};

/* What one call of mg_chunked_decode() produced. */
struct mg_chunked_span {
	const char *data; /* body bytes to forward, inside the call's buffer; NULL if none */
	size_t data_len;
	size_t framing; /* bytes of framing consumed by the call */
};

/* One decoder per body.  Members marked private are the state machine's. */
struct mg_chunked {
	/* Set by mg_chunked_init(). */
	struct mg_chunked_limits limits;
	struct mg_h1_field *trailers; /* caller's array, or NULL to validate and skip */
	unsigned int max_trailers;    /* min(array size, limits.max_trailer_fields) */

	/* Results. */
	uint64_t body_len;             /* data bytes returned so far */
	unsigned int ntrailers;        /* once done: trailer fields stored */
	enum mg_chunked_reason reason; /* once MG_CHUNKED_ERROR was returned */
	size_t err_offset;             /* offset of the error in that call's buffer */

	/* Private. */
	uint8_t state;
	uint8_t digits;
	uint32_t ext_len;
	uint64_t chunk_left;
	uint32_t tr_scan;  /* trailer bytes already scanned */
	uint32_t tr_line;  /* start of the trailer line being scanned */
	uint64_t examined; /* trailer bytes looked at (tests check it is O(n)) */
};

/* The default limits. */
extern const struct mg_chunked_limits mg_chunked_limits_default;

/*
 * mg_chunked_init() prepares <d> to decode one chunked body.  <limits> is
 * copied (NULL: defaults).  <trailers> is an array of <ntrailers> entries
 * that receives the trailer fields (NULL: trailers are validated, counted
 * against the limits and skipped); it must outlive the decoding.
 */
void mg_chunked_init(struct mg_chunked *d, const struct mg_chunked_limits *limits,
                     struct mg_h1_field *trailers, unsigned int ntrailers);

/*
 * mg_chunked_decode() decodes from [<buf>, <buf> + <len>) (see the contract
 * above).  Returns the number of bytes consumed (0 to <len>) and fills <span>,
 * or MG_CHUNKED_ERROR with d->reason and d->err_offset set; after an error
 * every call fails, after the end of the body every call returns 0.  Trailer
 * views point into <buf> of the call that completed the body and are valid
 * while the caller keeps those bytes.
 */
ssize_t mg_chunked_decode(struct mg_chunked *d, const char *buf, size_t len,
                          struct mg_chunked_span *span);

/* mg_chunked_done() returns true once the last-chunk and the trailer section were consumed. */
bool mg_chunked_done(const struct mg_chunked *d);

/* mg_chunked_reason_name() returns the stable snake_case label of <r>, never NULL. */
const char *mg_chunked_reason_name(enum mg_chunked_reason r);

/* mg_chunked_reason_status() returns the status for a rejected request body: 400 or 413. */
int mg_chunked_reason_status(enum mg_chunked_reason r);

/*
 * mg_chunked_write_size() writes the size line of a chunk of <n> bytes,
 * "<lower-case hex>\r\n", to <out> (room for <size> bytes).  The chunk's
 * data and then "\r\n" follow it.  <n> must not be 0 (that is the last-chunk:
 * mg_chunked_write_end()).  Returns the bytes written (3 to
 * MG_CHUNKED_SIZE_LINE_MAX), -EINVAL for n == 0, or -ENOSPC.
 */
int mg_chunked_write_size(char *out, size_t size, uint64_t n);

/*
 * mg_chunked_write_end() writes the end of a chunked body: the last-chunk
 * "0\r\n", one "name: value\r\n" line per trailer field in
 * <trailers>[0 .. <n> - 1] (which must be valid field lines, as the decoder
 * returns them) and the final "\r\n".  Returns the bytes written or -ENOSPC.
 */
ssize_t mg_chunked_write_end(char *out, size_t size, const struct mg_h1_field *trailers,
                             unsigned int n);

#endif /* MG_CHUNKED_H */
