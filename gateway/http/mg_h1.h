/*
 * HTTP/1.1 message heads: a strict, incremental, zero-copy parser for
 * request heads (client side of the proxy) and response heads (upstream
 * side), per RFC 9112 and RFC 9110.
 *
 * No I/O and no allocation: the parser reads a (pointer, length) view of the
 * caller's buffer and fills caller-owned structures with views into that
 * buffer.  docs/HTTP.md lists every rule, limit and rejection reason.
 *
 * Contract (picohttpparser's, made incremental):
 *
 *   mg_h1_request_init(&req, fields, nfields, limits);
 *   for (;;) {
 *           append received bytes to buf;     // buf[0] is the head's first byte
 *           rc = mg_h1_request_parse(&req, buf, len);
 *           if (rc > 0)                       // rc bytes are the complete head;
 *                   break;                    // the body (if any) starts at buf + rc
 *           if (rc == MG_H1_ERROR)            // answer req.head.err_status, close
 *                   ...;
 *           // MG_H1_INCOMPLETE: read more and call again
 *   }
 *
 * Between calls for one message the caller passes the same first byte and
 * only appends: bytes already passed must not change.  The parser keeps a
 * resume offset (the start of the first incomplete line and how far that line
 * was scanned), so a head delivered one byte at a time costs O(n) in total:
 * every byte is examined once by the line scanner and once more when its line
 * is complete.  If the buffer moves between calls (the caller reallocated or
 * compacted it), the parser notices the new address and starts over from the
 * first byte, which is correct and costs one more pass.
 *
 * Views (fields, method, target, host, ...) point into the buffer of the last
 * call and are valid while the caller keeps those bytes in place.
 */
#ifndef MG_H1_H
#define MG_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_H1_INCOMPLETE (-2) /* a valid prefix: call again with more bytes */
#define MG_H1_ERROR      (-1) /* invalid: head.err_status / err_reason say why */

/* Defaults of struct mg_h1_limits. */
#define MG_H1_DEFAULT_MAX_START_LINE 8192  /* request line without CRLF -> 414 */
#define MG_H1_DEFAULT_MAX_HEAD       32768 /* whole head incl. final CRLF -> 431 */
#define MG_H1_DEFAULT_MAX_FIELDS     100   /* field lines -> 431 */
/* Limits are clamped to this, so that a byte count always fits in an int. */
#define MG_H1_LIMIT_CAP (1u << 20)
/* Connection tokens remembered per message; more is rejected (400). */
#define MG_H1_MAX_CONN_TOKENS 16
/* The largest Content-Length accepted (fits in int64_t / off_t). */
#define MG_H1_MAX_CONTENT_LENGTH INT64_MAX

/* A view of bytes in the caller's buffer; p is NULL when the item is absent. */
struct mg_h1_view {
	const char *p;
	size_t len;
};

/* One field line: name as received (case preserved), value without surrounding OWS. */
struct mg_h1_field {
	struct mg_h1_view name;
	struct mg_h1_view value;
};

/*
 * Limits of one parser.  A zero member means "use the default" (for
 * max_body: no limit).  Values above MG_H1_LIMIT_CAP are clamped.
 */
struct mg_h1_limits {
	uint32_t max_start_line; /* request/status line, without CRLF */
	uint32_t max_head;       /* from the first byte to the end of the empty line */
	uint32_t max_fields;     /* field lines */
	uint64_t max_body;       /* requests: a larger Content-Length gets 413; 0: none */
};

/*
 * Why a head was rejected; one value per distinct defence, stable for metric
 * labels (mg_h1_reason_name()).  The comment gives the status a request
 * gets; a rejected response always yields 502.
 */
enum mg_h1_reason {
	MG_H1_OK = 0,
	MG_H1_E_BARE_CR,               /* 400: CR not followed by LF */
	MG_H1_E_BARE_LF,               /* 400: LF not preceded by CR */
	MG_H1_E_CTL,                   /* 400: NUL, other control byte or DEL in the head */
	MG_H1_E_METHOD,                /* 400: method empty or not a token */
	MG_H1_E_REQUEST_LINE,          /* 400: not "method SP target SP version" exactly */
	MG_H1_E_TARGET,                /* 400: invalid byte or syntax in the request-target */
	MG_H1_E_TARGET_FORM,           /* 400: target form not allowed for the method/scheme */
	MG_H1_E_START_LINE_TOO_LONG,   /* 414: request line over max_start_line */
	MG_H1_E_VERSION,               /* 400: not "HTTP/" DIGIT "." DIGIT */
	MG_H1_E_VERSION_UNSUPPORTED,   /* 505: a version other than 1.0 and 1.1 */
	MG_H1_E_STATUS_LINE,           /* 502: malformed status line */
	MG_H1_E_STATUS_CODE,           /* 502: status code not 100-599 */
	MG_H1_E_WS_BEFORE_FIRST_FIELD, /* 400: whitespace between start line and first field */
	MG_H1_E_OBS_FOLD,              /* 400: a field line continued on the next line */
	MG_H1_E_FIELD_NAME,            /* 400: empty or non-token field name, or no colon */
	MG_H1_E_WS_BEFORE_COLON,       /* 400: whitespace between field name and colon */
	MG_H1_E_HEAD_TOO_LARGE,        /* 431: head over max_head */
	MG_H1_E_TOO_MANY_FIELDS,       /* 431: more field lines than allowed */
	MG_H1_E_HOST_MISSING,          /* 400: HTTP/1.1 request without Host */
	MG_H1_E_HOST_DUPLICATE,        /* 400: more than one Host */
	MG_H1_E_HOST_INVALID,          /* 400: Host not uri-host [":" port] */
	MG_H1_E_HOST_MISMATCH,         /* 400: Host differs from the target's authority */
	MG_H1_E_CL_INVALID,            /* 400: Content-Length not 1*DIGIT */
	MG_H1_E_CL_LEADING_ZERO,       /* 400: Content-Length with a leading zero */
	MG_H1_E_CL_OVERFLOW,           /* 400: Content-Length above MG_H1_MAX_CONTENT_LENGTH */
	MG_H1_E_CL_CONFLICT,           /* 400: several Content-Length with different values */
	MG_H1_E_CL_TOO_LARGE,          /* 413: Content-Length above limits.max_body */
	MG_H1_E_CL_AND_TE,             /* 400: Content-Length and Transfer-Encoding together */
	MG_H1_E_CL_NOT_ALLOWED,        /* 502: nonzero Content-Length on a 1xx or 204 */
	MG_H1_E_TE_INVALID,            /* 400: empty Transfer-Encoding, or a coding not a token */
	MG_H1_E_TE_CHUNKED_TWICE,      /* 400: chunked applied more than once */
	MG_H1_E_TE_CHUNKED_NOT_LAST,   /* 400: chunked present but not the final coding */
	MG_H1_E_TE_UNSUPPORTED,        /* 501: a coding other than chunked */
	MG_H1_E_TE_HTTP10,             /* 400: Transfer-Encoding in an HTTP/1.0 message */
	MG_H1_E_TE_NOT_ALLOWED,        /* 502: Transfer-Encoding on a 1xx or 204 */
	MG_H1_E_CONNECTION_INVALID,    /* 400: a Connection element that is not a token */
	MG_H1_E_CONNECTION_TOO_MANY,   /* 400: more than MG_H1_MAX_CONN_TOKENS tokens */
	MG_H1_E_UPGRADE_INVALID,       /* 400: malformed or repeated Upgrade; 101 without one */
	MG_H1_E_EXPECT,                /* 417: an expectation other than 100-continue */
	MG_H1_REASON_COUNT
};

/* Methods the proxy treats specially; everything else is MG_H1_M_OTHER (methods are
 * case-sensitive). */
enum mg_h1_method {
	MG_H1_M_OTHER = 0,
	MG_H1_M_GET,
	MG_H1_M_HEAD,
	MG_H1_M_POST,
	MG_H1_M_PUT,
	MG_H1_M_DELETE,
	MG_H1_M_CONNECT,
	MG_H1_M_OPTIONS,
	MG_H1_M_TRACE,
	MG_H1_M_PATCH,
};

/* The form of a request-target (RFC 9112 section 3.2). */
enum mg_h1_form {
	MG_H1_FORM_ORIGIN = 0, /* "/path?query" */
	MG_H1_FORM_ABSOLUTE,   /* "http://authority/path?query" (http and https only) */
	MG_H1_FORM_AUTHORITY,  /* "host:port", CONNECT only */
	MG_H1_FORM_ASTERISK,   /* "*", OPTIONS only */
};

/* How the message body that follows the head is delimited. */
enum mg_h1_body {
	MG_H1_BODY_NONE = 0, /* no body: the next message starts right after the head */
	MG_H1_BODY_LENGTH,   /* exactly content_length bytes */
	MG_H1_BODY_CHUNKED,  /* chunked coding: feed it to mg_chunked_decode() */
	MG_H1_BODY_EOF,      /* responses only: until the upstream closes */
	MG_H1_BODY_TUNNEL,   /* responses only: 101 or 2xx to CONNECT, bytes flow both ways */
};

/* Parser progress kept between calls; private to mg_h1.c. */
struct mg_h1_state {
	const char *base; /* buffer of the previous call */
	uint32_t pos;     /* start of the first line not yet parsed */
	uint32_t scan;    /* bytes before this offset were scanned for the line's end */
	uint8_t stage;
	uint8_t te_chunked;   /* "chunked" codings seen */
	bool te_seen;         /* a Transfer-Encoding field line */
	bool te_last_chunked; /* the last coding seen is chunked */
	bool te_other;        /* a coding other than chunked */
	bool conn_close;
	bool conn_keep_alive;
	bool conn_upgrade;
	uint8_t host_count;
	uint8_t upgrade_count;
	int result;        /* the final return value, once stage is done or error */
	uint64_t examined; /* bytes looked at by the line scanner (tests check it is O(n)) */
};

/* What requests and responses have in common: fields, framing, connection facts, error. */
struct mg_h1_head {
	/* Set by the init functions. */
	struct mg_h1_field *fields; /* caller's array, or NULL to only count fields */
	unsigned int max_fields;    /* min(array size, limits.max_fields) */
	struct mg_h1_limits limits; /* a copy, defaults applied */

	/* Results, valid once the parser returned a byte count. */
	int minor;            /* HTTP/1.<minor>: 0 or 1 */
	unsigned int nfields; /* fields[0 .. nfields - 1] in arrival order */
	enum mg_h1_body body; /* how to read what follows the head */
	bool has_content_length;
	uint64_t content_length; /* when has_content_length; identical duplicates merged */
	bool chunked;            /* Transfer-Encoding is exactly "chunked" */
	/*
	 * The connection may carry another message after this one: HTTP/1.1
	 * without "Connection: close", or HTTP/1.0 with "Connection:
	 * keep-alive"; always false for close-delimited and tunnelled bodies.
	 */
	bool keep_alive;
	/*
	 * Requests: HTTP/1.1, "upgrade" among the Connection tokens and one
	 * Upgrade field (e.g. websocket).  Responses: status 101.  The offered
	 * or chosen protocols are in upgrade_value.
	 */
	bool upgrade;
	struct mg_h1_view upgrade_value;
	/*
	 * Every token of every Connection field, in order: with the fixed
	 * hop-by-hop names, these are the fields a proxy must not forward
	 * (mg_http_is_hop_by_hop()).
	 */
	struct mg_h1_view conn_tokens[MG_H1_MAX_CONN_TOKENS];
	unsigned int nconn_tokens;
	/* Some field name contains '_' (some backends read it as '-'): a policy hook. */
	bool underscore_in_names;

	/* Set when the parser returned MG_H1_ERROR. */
	int err_status;               /* 400, 413, 414, 417, 431, 501, 505; 502 for responses */
	enum mg_h1_reason err_reason; /* one value per defence */
	size_t err_offset;            /* offset in the buffer where the error was found */

	struct mg_h1_state st; /* private */
};

/* A request head. */
struct mg_h1_request {
	struct mg_h1_view method; /* token, case-sensitive */
	enum mg_h1_method method_id;
	struct mg_h1_view target; /* the request-target as received */
	enum mg_h1_form form;
	/* absolute-form: the part after "scheme://"; authority-form: the whole target */
	struct mg_h1_view authority;
	/*
	 * path: origin-form: the target up to '?'; absolute-form: the part after
	 * the authority up to '?' (may be empty, meaning "/"); asterisk-form: "*".
	 * query: after '?', p NULL when there is no '?'.  Path, '?' and query are
	 * contiguous, so path.p .. query end is the origin-form to forward.
	 */
	struct mg_h1_view path;
	struct mg_h1_view query;
	/*
	 * The request's authority: the Host field value or, for an HTTP/1.0
	 * request without Host, the target's authority; p NULL when neither.
	 */
	struct mg_h1_view host;
	bool is_https;            /* absolute-form with scheme https */
	bool expect_100_continue; /* HTTP/1.1 and "Expect: 100-continue" */
	struct mg_h1_head head;
};

/* A response head. */
struct mg_h1_response {
	enum mg_h1_method
	    req_method;           /* the request's method, set by init: HEAD and CONNECT matter */
	int status;               /* 100-599 */
	struct mg_h1_view reason; /* reason-phrase, possibly empty */
	bool interim;             /* 1xx other than 101: the final response follows */
	struct mg_h1_head head;
};

/* The default limits (values of the MG_H1_DEFAULT_* macros, no max_body). */
extern const struct mg_h1_limits mg_h1_limits_default;

/*
 * mg_h1_request_init() prepares <req> for a new request head.  <fields> is an
 * array of <nfields> entries the parser fills (or NULL to keep only the
 * count); it must outlive the parse.  <limits> is copied (NULL: defaults).
 */
void mg_h1_request_init(struct mg_h1_request *req, struct mg_h1_field *fields, unsigned int nfields,
                        const struct mg_h1_limits *limits);

/*
 * mg_h1_request_parse() parses the request head at the start of
 * [<buf>, <buf> + <len>).  Returns the head's length in bytes (> 0) when it is
 * complete and valid, MG_H1_INCOMPLETE when <buf> is a valid prefix, or
 * MG_H1_ERROR with req->head.err_status, err_reason and err_offset set.  Once
 * it has returned a length or MG_H1_ERROR, later calls with the same buffer
 * return the same.  Leading empty lines (CRLF) before the request line are
 * skipped and counted in the length (RFC 9112 section 2.2).
 */
int mg_h1_request_parse(struct mg_h1_request *req, const char *buf, size_t len);

/*
 * mg_h1_response_init() prepares <resp> for the head of the response to a
 * request with method <req_method>; <fields>, <nfields> and <limits> as for
 * mg_h1_request_init() (limits.max_body is ignored).  After an interim (1xx)
 * response, init again and parse the bytes that follow it.
 */
void mg_h1_response_init(struct mg_h1_response *resp, struct mg_h1_field *fields,
                         unsigned int nfields, const struct mg_h1_limits *limits,
                         enum mg_h1_method req_method);

/*
 * mg_h1_response_parse() is mg_h1_request_parse() for a response head.  On
 * MG_H1_ERROR, head.err_status is 502 (the status the proxy answers its
 * client with) and the upstream connection must not be reused.
 */
int mg_h1_response_parse(struct mg_h1_response *resp, const char *buf, size_t len);

/* mg_h1_reason_name() returns the stable snake_case label of <r> ("cl_and_te"), never NULL. */
const char *mg_h1_reason_name(enum mg_h1_reason r);

/* mg_h1_reason_text() returns a short English description of <r> for logs and error bodies. */
const char *mg_h1_reason_text(enum mg_h1_reason r);

/* mg_h1_reason_status() returns the status a request rejected for <r> gets (0 for MG_H1_OK). */
int mg_h1_reason_status(enum mg_h1_reason r);

/* mg_h1_method_lookup() maps a method token to its id (MG_H1_M_OTHER when unknown). */
enum mg_h1_method mg_h1_method_lookup(const char *p, size_t len);

#endif /* MG_H1_H */
