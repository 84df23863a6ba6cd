/*
 * Connections: the non-blocking drive of one mbedTLS context over the caller's I/O callbacks,
 * failure classification, and what was negotiated.  See mg_tls.h.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <mbedtls/error.h>

#include "gateway/tls/mg_tls_int.h"

/* What bio_recv/bio_send hand mbedTLS for a transport error (any value mbedTLS passes up). */
#define MG_TLS_ERR_TRANSPORT (-0x0050) /* MBEDTLS_ERR_NET_CONN_RESET */

/* TLS alert numbers (RFC 8446 section 6, RFC 7301, RFC 5246). */
enum {
	ALERT_UNEXPECTED_MESSAGE = 10,
	ALERT_BAD_RECORD_MAC = 20,
	ALERT_RECORD_OVERFLOW = 22,
	ALERT_HANDSHAKE_FAILURE = 40,
	ALERT_BAD_CERTIFICATE = 42,
	ALERT_UNSUPPORTED_CERTIFICATE = 43,
	ALERT_CERTIFICATE_REVOKED = 44,
	ALERT_CERTIFICATE_EXPIRED = 45,
	ALERT_CERTIFICATE_UNKNOWN = 46,
	ALERT_ILLEGAL_PARAMETER = 47,
	ALERT_UNKNOWN_CA = 48,
	ALERT_ACCESS_DENIED = 49,
	ALERT_DECODE_ERROR = 50,
	ALERT_DECRYPT_ERROR = 51,
	ALERT_PROTOCOL_VERSION = 70,
	ALERT_INSUFFICIENT_SECURITY = 71,
	ALERT_MISSING_EXTENSION = 109,
	ALERT_UNSUPPORTED_EXTENSION = 110,
	ALERT_CERTIFICATE_REQUIRED = 116,
	ALERT_NO_APPLICATION_PROTOCOL = 120,
};

static const char *const failure_labels[MG_TLS_FAIL_COUNT] = {
    [MG_TLS_FAIL_NONE] = "none",
    [MG_TLS_FAIL_NO_SHARED_CIPHER] = "no_shared_cipher",
    [MG_TLS_FAIL_PROTOCOL_VERSION] = "protocol_version",
    [MG_TLS_FAIL_BAD_CERTIFICATE] = "bad_certificate",
    [MG_TLS_FAIL_UNKNOWN_CA] = "unknown_ca",
    [MG_TLS_FAIL_CERT_EXPIRED] = "cert_expired",
    [MG_TLS_FAIL_SAN_MISMATCH] = "san_mismatch",
    [MG_TLS_FAIL_NO_CLIENT_CERT] = "no_client_cert",
    [MG_TLS_FAIL_ALPN_MISMATCH] = "alpn_mismatch",
    [MG_TLS_FAIL_HANDSHAKE_TIMEOUT] = "handshake_timeout",
    [MG_TLS_FAIL_ALLOC_FAILED] = "alloc_failed",
    [MG_TLS_FAIL_PEER_CLOSED] = "peer_closed",
    [MG_TLS_FAIL_DECODE_ERROR] = "decode_error",
    [MG_TLS_FAIL_OTHER] = "other",
};

const char *
mg_tls_failure_label(enum mg_tls_failure f)
{
	return (unsigned int)f < MG_TLS_FAIL_COUNT ? failure_labels[f] : "other";
}

static struct mg_tls_stats *
conn_stats(struct mg_tls_conn *t)
{
	return t->srv != NULL ? &t->srv->stats : &t->cli->stats;
}

/* ---- transport ---------------------------------------------------------------------------------
 */

static int
bio_send(void *arg, const unsigned char *buf, size_t len)
{
	struct mg_tls_conn *t = arg;
	int n;

	n = t->io.send(t->io.arg, buf, len > INT_MAX ? INT_MAX : len);
	if (n == MG_TLS_WANT) {
		t->tx_pending = true;
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	}
	if (n <= 0 || (size_t)n > len) {
		t->io_error = true;
		return MG_TLS_ERR_TRANSPORT;
	}
	/* mbedTLS calls again at once for the rest of a partial send. */
	t->tx_pending = (size_t)n < len;
	return n;
}

/*
 * track_records() follows the record framing of received bytes during the handshake and
 * remembers a complete unencrypted fatal alert (type 21, length 2).  mbedTLS parses such an
 * alert only while it expects plaintext; a TLS 1.3 peer that rejects our certificate sends it
 * unencrypted although we already expect protected records (mbedTLS and OpenSSL clients
 * switch their write key only for their second flight), and mbedTLS then reports a bad MAC.
 */
static void
track_records(struct mg_tls_conn *t, const unsigned char *p, size_t n)
{
	while (n > 0) {
		if (t->rx_left == 0) {
			t->rx_hdr[t->rx_nhdr++] = *p++;
			n--;
			if (t->rx_nhdr < sizeof(t->rx_hdr))
				continue;
			t->rx_nhdr = 0;
			t->rx_left = (uint16_t)(t->rx_hdr[3] << 8 | t->rx_hdr[4]);
			t->rx_is_alert = t->rx_hdr[0] == 21 && t->rx_left == 2;
			continue;
		}
		if (t->rx_is_alert)
			t->rx_alert[2 - t->rx_left] = *p;
		p++;
		n--;
		if (--t->rx_left == 0 && t->rx_is_alert && t->rx_alert[0] == 2)
			t->plain_alert = t->rx_alert[1];
	}
}

static int
bio_recv(void *arg, unsigned char *buf, size_t len)
{
	struct mg_tls_conn *t = arg;
	int n;

	n = t->io.recv(t->io.arg, buf, len > INT_MAX ? INT_MAX : len);
	if (n == MG_TLS_WANT) {
		t->rx_blocked = true;
		return MBEDTLS_ERR_SSL_WANT_READ;
	}
	if (n == 0) {
		t->transport_eof = true;
		return 0;
	}
	if (n < 0 || (size_t)n > len) {
		t->io_error = true;
		return MG_TLS_ERR_TRANSPORT;
	}
	if (!t->hs_done)
		track_records(t, buf, (size_t)n);
	return n;
}

/*
 * The per-connection verification callback (mbedtls_ssl_set_verify), called for each
 * certificate of the peer's chain with the flags found so far.  On the leaf, a configured SAN
 * list replaces the host name check: the SNI-vs-certificate result is cleared, and a leaf
 * without a listed SAN gets MBEDTLS_X509_BADCERT_OTHER (sent as access_denied).
 */
static int
verify_cb(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct mg_tls_conn *t = arg;
	const struct mg_tls_strv *sans = t->srv != NULL ? &t->srv->client_san : &t->cli->san;

	t->verify_called = true;
	if (depth != 0 || sans->n == 0)
		return 0;
	*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
	if (!mg_tls_san_match(crt, sans)) {
		*flags |= MBEDTLS_X509_BADCERT_OTHER;
		t->san_mismatch = true;
	}
	return 0;
}

struct mg_tls_conn *
mg_tls_conn_new(mbedtls_ssl_config *conf, struct mg_tls_server *s, struct mg_tls_client *c,
                const struct mg_tls_io *io)
{
	struct mg_tls_conn *t, *prev;
	int ret;

	t = mg_tls_conn_get();
	if (t == NULL)
		return NULL;
	t->srv = s;
	t->cli = c;
	t->io = *io;
	t->alert = -1;
	t->plain_alert = -1;
	t->state = MG_TLS_ST_HANDSHAKE;
	t->started_at = mg_tls_now_ms();
	mbedtls_ssl_init(&t->ssl);
	prev = mg_tls_cur;
	mg_tls_cur = t;
	ret = mbedtls_ssl_setup(&t->ssl, conf);
	mg_tls_cur = prev;
	if (ret != 0) {
		conn_stats(t)->failures[MG_TLS_FAIL_ALLOC_FAILED]++;
		mg_tls_conn_free(t);
		return NULL;
	}
	mbedtls_ssl_set_user_data_p(&t->ssl, t);
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	mbedtls_ssl_set_verify(&t->ssl, verify_cb, t);
	return t;
}

/* ---- failures ----------------------------------------------------------------------------------
 */

static enum mg_tls_failure
from_alert(int alert)
{
	switch (alert) {
	case ALERT_HANDSHAKE_FAILURE:
	case ALERT_INSUFFICIENT_SECURITY:
		return MG_TLS_FAIL_NO_SHARED_CIPHER;
	case ALERT_PROTOCOL_VERSION:
		return MG_TLS_FAIL_PROTOCOL_VERSION;
	case ALERT_BAD_CERTIFICATE:
	case ALERT_UNSUPPORTED_CERTIFICATE:
	case ALERT_CERTIFICATE_REVOKED:
	case ALERT_CERTIFICATE_UNKNOWN:
		return MG_TLS_FAIL_BAD_CERTIFICATE;
	case ALERT_CERTIFICATE_EXPIRED:
		return MG_TLS_FAIL_CERT_EXPIRED;
	case ALERT_UNKNOWN_CA:
		return MG_TLS_FAIL_UNKNOWN_CA;
	case ALERT_ACCESS_DENIED:
		return MG_TLS_FAIL_SAN_MISMATCH;
	case ALERT_CERTIFICATE_REQUIRED:
		return MG_TLS_FAIL_NO_CLIENT_CERT;
	case ALERT_NO_APPLICATION_PROTOCOL:
		return MG_TLS_FAIL_ALPN_MISMATCH;
	case ALERT_UNEXPECTED_MESSAGE:
	case ALERT_BAD_RECORD_MAC:
	case ALERT_RECORD_OVERFLOW:
	case ALERT_ILLEGAL_PARAMETER:
	case ALERT_DECODE_ERROR:
	case ALERT_DECRYPT_ERROR:
	case ALERT_MISSING_EXTENSION:
	case ALERT_UNSUPPORTED_EXTENSION:
		return MG_TLS_FAIL_DECODE_ERROR;
	default:
		return MG_TLS_FAIL_OTHER;
	}
}

static enum mg_tls_failure
from_verify(const struct mg_tls_conn *t)
{
	uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);

	if (flags == (uint32_t)-1)
		return MG_TLS_FAIL_BAD_CERTIFICATE;
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return MG_TLS_FAIL_UNKNOWN_CA;
	if (flags & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE))
		return MG_TLS_FAIL_CERT_EXPIRED;
	if ((flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) || t->san_mismatch)
		return MG_TLS_FAIL_SAN_MISMATCH;
	return MG_TLS_FAIL_BAD_CERTIFICATE;
}

/* The alert mbedTLS sends for a certificate it rejects (mbedtls_ssl_verify_certificate()). */
static int
verify_alert(uint32_t flags)
{
	if (flags & MBEDTLS_X509_BADCERT_OTHER)
		return ALERT_ACCESS_DENIED;
	if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		return ALERT_BAD_CERTIFICATE;
	if (flags & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
	             MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY))
		return ALERT_UNSUPPORTED_CERTIFICATE;
	if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
		return ALERT_CERTIFICATE_EXPIRED;
	if (flags & MBEDTLS_X509_BADCERT_REVOKED)
		return ALERT_CERTIFICATE_REVOKED;
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return ALERT_UNKNOWN_CA;
	return ALERT_CERTIFICATE_UNKNOWN;
}

/*
 * The alert behind a failure.  mbedTLS 3.6 has no getter for either direction, so this reads
 * two private fields of the (public) context: the received alert stays in in_msg after
 * MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, and alert_type keeps the last fatal alert queued by
 * this side.  Pinned to the 3.6 LTS layout; a layout change fails to compile here.
 */
static void
note_alert(struct mg_tls_conn *t, int ret)
{
	const mbedtls_ssl_context *ssl = &t->ssl;

	if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && ssl->MBEDTLS_PRIVATE(in_msg) != NULL) {
		t->alert = ssl->MBEDTLS_PRIVATE(in_msg)[1];
		t->alert_received = true;
	} else if (!t->hs_done && t->plain_alert >= 0) {
		t->alert = t->plain_alert; /* see track_records() */
		t->alert_received = true;
	} else if (ssl->MBEDTLS_PRIVATE(alert_type) != 0) {
		t->alert = ssl->MBEDTLS_PRIVATE(alert_type);
		t->alert_received = false;
	} else if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ||
	           ret == MBEDTLS_ERR_SSL_BAD_CERTIFICATE) {
		t->alert = verify_alert(mbedtls_ssl_get_verify_result(ssl));
		t->alert_received = false;
	}
}

static enum mg_tls_failure
classify(struct mg_tls_conn *t, int ret)
{
	if (t->alloc_failed)
		return MG_TLS_FAIL_ALLOC_FAILED;
	if (t->alert_received)
		return from_alert(t->alert);
	switch (ret) {
	case MG_TLS_ERR_TRANSPORT:
	case MBEDTLS_ERR_SSL_CONN_EOF:
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
		return MG_TLS_FAIL_PEER_CLOSED;
	case MBEDTLS_ERR_SSL_PK_TYPE_MISMATCH:
	case MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE:
		return MG_TLS_FAIL_NO_SHARED_CIPHER;
	case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
		return MG_TLS_FAIL_PROTOCOL_VERSION;
	case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE:
		return MG_TLS_FAIL_NO_CLIENT_CERT;
	case MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL:
		return MG_TLS_FAIL_ALPN_MISMATCH;
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
	case MBEDTLS_ERR_SSL_BAD_CERTIFICATE:
		return from_verify(t);
	case MBEDTLS_ERR_SSL_ALLOC_FAILED:
	case MBEDTLS_ERR_X509_ALLOC_FAILED:
	case MBEDTLS_ERR_PK_ALLOC_FAILED:
	case MBEDTLS_ERR_ECP_ALLOC_FAILED:
	case MBEDTLS_ERR_MPI_ALLOC_FAILED:
	case MBEDTLS_ERR_CIPHER_ALLOC_FAILED:
	case MBEDTLS_ERR_MD_ALLOC_FAILED:
	case MBEDTLS_ERR_ASN1_ALLOC_FAILED:
		return MG_TLS_FAIL_ALLOC_FAILED;
	case MBEDTLS_ERR_SSL_DECODE_ERROR:
	case MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER:
	case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
	case MBEDTLS_ERR_SSL_UNEXPECTED_RECORD:
	case MBEDTLS_ERR_SSL_INVALID_RECORD:
	case MBEDTLS_ERR_SSL_INVALID_MAC:
	case MBEDTLS_ERR_SSL_UNSUPPORTED_EXTENSION:
	case MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL:
		return MG_TLS_FAIL_DECODE_ERROR;
	default:
		break;
	}
	if (t->io_error || t->transport_eof)
		return MG_TLS_FAIL_PEER_CLOSED;
	/* X.509 parse errors of the peer's certificate. */
	if (ret <= -0x2000 && ret > -0x3000)
		return MG_TLS_FAIL_BAD_CERTIFICATE;
	return MG_TLS_FAIL_OTHER;
}

/* fail() records the first failure of <t> and counts it if the handshake was not done. */
static void
fail(struct mg_tls_conn *t, enum mg_tls_failure why)
{
	if (t->state == MG_TLS_ST_FAILED)
		return;
	t->failure = why;
	if (!t->hs_done)
		conn_stats(t)->failures[why]++;
	t->state = MG_TLS_ST_FAILED;
}

/* result() maps an mbedTLS return that is neither success nor data to the API's codes. */
static int
result(struct mg_tls_conn *t, int ret)
{
	if (ret == MBEDTLS_ERR_SSL_WANT_READ)
		return MG_TLS_WANT_READ;
	if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return MG_TLS_WANT_WRITE;
	note_alert(t, ret);
	fail(t, classify(t, ret));
	/* mbedTLS's TLS 1.2 server ends a handshake without a required client certificate
	 * silently; tell the client why, as TLS 1.3 does (the RFC 8446 alert, which TLS 1.2
	 * stacks know too). */
	if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE && t->alert < 0) {
		(void)mbedtls_ssl_send_alert_message(&t->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
		                                     ALERT_CERTIFICATE_REQUIRED);
		t->alert = ALERT_CERTIFICATE_REQUIRED;
	}
	return MG_TLS_ERR;
}

/* ---- driving -----------------------------------------------------------------------------------
 */

/* Saves the connection's session in its client context (owned there, not by <t>). */
static void
client_save_session(struct mg_tls_conn *t)
{
	struct mg_tls_client *cl = t->cli;
	struct mg_tls_conn *prev = mg_tls_cur;

	if (cl == NULL || !cl->resumption)
		return;
	mg_tls_cur = NULL;
	mbedtls_ssl_session_free(&cl->session);
	mbedtls_ssl_session_init(&cl->session);
	cl->session_valid = mbedtls_ssl_get_session(&t->ssl, &cl->session) == 0;
	if (cl->session_valid) {
		memcpy(cl->session_sni, t->has_sni ? t->sni : "", t->has_sni ? t->sni_len + 1 : 1);
	} else {
		mbedtls_ssl_session_free(&cl->session);
		mbedtls_ssl_session_init(&cl->session);
	}
	mg_tls_cur = prev;
}

/*
 * handshake_done() decides whether the session was resumed, from public behaviour only
 * (mbedTLS 3.6 keeps the flag in its private handshake state, freed by now):
 *   server, TLS 1.2: our ticket parser accepted a ticket (mbedTLS then always resumes);
 *   server, TLS 1.3: a ticket was accepted and exactly one new ticket was sent -- mbedTLS sends
 *     one after a resumption and MG_TLS_TICKETS_PER_HS (2) after a full handshake;
 *   client: a session was offered and no certificate was verified (a full handshake always
 *     verifies the server's).
 */
static void
handshake_done(struct mg_tls_conn *t)
{
	struct mg_tls_stats *st = conn_stats(t);
	bool tls13 = mbedtls_ssl_get_version_number(&t->ssl) == MBEDTLS_SSL_VERSION_TLS1_3;

	t->hs_done = true;
	t->state = MG_TLS_ST_OPEN;
	if (t->srv != NULL)
		t->resumed = t->ticket_accepted && (!tls13 || t->tickets_written == 1);
	else
		t->resumed = t->session_offered && !t->verify_called;
	st->handshakes++;
	if (t->resumed)
		st->resumed++;
	if (tls13)
		st->tls13++;
	if (t->srv != NULL && !t->sni_matched)
		st->sni_default++;
	if (t->cli != NULL && !tls13)
		client_save_session(t);
}

int
mg_tls_handshake(struct mg_tls_conn *t)
{
	struct mg_tls_conn *prev;
	int ret, rounds = 0;

	if (t->state == MG_TLS_ST_OPEN)
		return 0;
	if (t->state == MG_TLS_ST_FAILED)
		return MG_TLS_ERR;
	prev = mg_tls_cur;
	mg_tls_cur = t;
	do {
		t->rx_blocked = false;
		ret = mbedtls_ssl_handshake(&t->ssl);
		/* WANT_READ without the transport having said "nothing": progress was made. */
	} while (ret == MBEDTLS_ERR_SSL_WANT_READ && !t->rx_blocked && ++rounds < 64);
	mg_tls_cur = prev;
	if (ret == 0) {
		handshake_done(t);
		return 0;
	}
	return result(t, ret);
}

/*
 * wake() marks <t> used and, if mg_tls_release_idle() shrank its record buffers, gives them
 * back their full size (call with mg_tls_cur == t: the allocation is the connection's).
 * 0, or MG_TLS_ERR when the memory cap refuses them (the connection fails).
 */
static int
wake(struct mg_tls_conn *t)
{
	t->io_recent = true;
	if (!t->bufs_released)
		return 0;
	if (mbedtls_ssl_restore_buffers(&t->ssl) != 0) {
		fail(t, MG_TLS_FAIL_ALLOC_FAILED);
		return MG_TLS_ERR;
	}
	t->bufs_released = false;
	return 0;
}

int
mg_tls_read(struct mg_tls_conn *t, void *buf, size_t len)
{
	struct mg_tls_conn *prev;
	int ret, rounds = 0;

	if (len == 0)
		return -EINVAL;
	if (t->state == MG_TLS_ST_HANDSHAKE) {
		ret = mg_tls_handshake(t);
		if (ret != 0)
			return ret;
	}
	if (t->state != MG_TLS_ST_OPEN)
		return MG_TLS_ERR;
	if (t->rx_closed)
		return 0;
	prev = mg_tls_cur;
	mg_tls_cur = t;
	if (wake(t) != 0) {
		mg_tls_cur = prev;
		return MG_TLS_ERR;
	}
	for (;;) {
		t->rx_blocked = false;
		ret = mbedtls_ssl_read(&t->ssl, buf, len > INT_MAX ? INT_MAX : len);
		if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			client_save_session(t);
			continue;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_READ && !t->rx_blocked && ++rounds < 64)
			continue;
		break;
	}
	mg_tls_cur = prev;
	if (ret > 0)
		return ret;
	if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
		t->rx_closed = true;
		return 0;
	}
	if (ret == 0) /* the transport ended without close_notify: possibly truncated */
		ret = MBEDTLS_ERR_SSL_CONN_EOF;
	return result(t, ret);
}

/* flush() sends queued ciphertext; 0 when none is left.  Call with mg_tls_cur == t. */
static int
flush(struct mg_tls_conn *t)
{
	static const unsigned char none[1];
	int ret;

	if (!t->tx_pending)
		return 0;
	/* With ciphertext queued, mbedtls_ssl_write() only flushes it (and takes no data). */
	ret = mbedtls_ssl_write(&t->ssl, none, 0);
	if (ret >= 0)
		return t->tx_pending ? MG_TLS_WANT_WRITE : 0;
	return result(t, ret);
}

int
mg_tls_write(struct mg_tls_conn *t, const void *buf, size_t len)
{
	struct mg_tls_conn *prev;
	size_t chunk;
	int ret;

	if (len == 0)
		return -EINVAL;
	if (t->state == MG_TLS_ST_HANDSHAKE) {
		ret = mg_tls_handshake(t);
		if (ret != 0)
			return ret;
	}
	if (t->state != MG_TLS_ST_OPEN)
		return MG_TLS_ERR;
	prev = mg_tls_cur;
	mg_tls_cur = t;
	ret = wake(t);
	if (ret == 0)
		ret = flush(t);
	if (ret == 0) {
		ret = mbedtls_ssl_get_max_out_record_payload(&t->ssl);
		if (ret > 0) {
			chunk = len < (size_t)ret ? len : (size_t)ret;
			ret = mbedtls_ssl_write(&t->ssl, buf, chunk);
			/* The record holding our bytes is built and partly queued: they are taken.
			 */
			if (ret == MBEDTLS_ERR_SSL_WANT_WRITE && t->tx_pending)
				ret = (int)chunk;
		}
		if (ret <= 0)
			ret = result(t, ret);
	}
	mg_tls_cur = prev;
	return ret;
}

int
mg_tls_flush(struct mg_tls_conn *t)
{
	struct mg_tls_conn *prev;
	int ret;

	if (t->state == MG_TLS_ST_FAILED)
		return MG_TLS_ERR;
	prev = mg_tls_cur;
	mg_tls_cur = t;
	if (t->state == MG_TLS_ST_HANDSHAKE)
		ret = t->tx_pending ? MG_TLS_WANT_WRITE : 0; /* mg_tls_handshake() flushes */
	else if ((ret = wake(t)) == 0)
		ret = flush(t);
	mg_tls_cur = prev;
	return ret;
}

bool
mg_tls_want_flush(const struct mg_tls_conn *t)
{
	return t->tx_pending;
}

int
mg_tls_close_notify(struct mg_tls_conn *t)
{
	struct mg_tls_conn *prev;
	int ret;

	if (t->state == MG_TLS_ST_FAILED)
		return MG_TLS_ERR;
	prev = mg_tls_cur;
	mg_tls_cur = t;
	ret = t->state == MG_TLS_ST_OPEN ? wake(t) : 0;
	if (ret == 0)
		ret = flush(t);
	if (ret == 0 && !t->close_sent && t->hs_done) {
		ret = mbedtls_ssl_close_notify(&t->ssl);
		if (ret == 0 || (ret == MBEDTLS_ERR_SSL_WANT_WRITE && t->tx_pending)) {
			t->close_sent = true; /* queued; flush() on the next call */
			ret = t->tx_pending ? MG_TLS_WANT_WRITE : 0;
		} else {
			ret = result(t, ret);
		}
	}
	mg_tls_cur = prev;
	return ret;
}

void
mg_tls_conn_abort(struct mg_tls_conn *t, enum mg_tls_failure why)
{
	if ((unsigned int)why >= MG_TLS_FAIL_COUNT || why == MG_TLS_FAIL_NONE)
		why = MG_TLS_FAIL_OTHER;
	fail(t, why);
}

void
mg_tls_conn_free(struct mg_tls_conn *t)
{
	struct mg_tls_conn *prev;

	if (t == NULL)
		return;
	prev = mg_tls_cur;
	mg_tls_cur = t;
	mbedtls_ssl_free(&t->ssl);
	mg_tls_cur = prev;
	mg_tls_conn_put(t);
}

enum mg_tls_failure
mg_tls_conn_failure(const struct mg_tls_conn *t)
{
	return t->failure;
}

int
mg_tls_conn_alert(const struct mg_tls_conn *t, bool *received)
{
	if (received != NULL)
		*received = t->alert_received;
	return t->alert;
}

uint64_t
mg_tls_conn_started_at(const struct mg_tls_conn *t)
{
	return t->started_at;
}

bool
mg_tls_conn_handshake_done(const struct mg_tls_conn *t)
{
	return t->hs_done;
}

int
mg_tls_conn_info(const struct mg_tls_conn *t, struct mg_tls_conn_info *out)
{
	const mbedtls_x509_crt *peer;

	memset(out, 0, sizeof(*out));
	out->mem = t->mem;
	out->mem_peak = t->mem_peak;
	if (!t->hs_done)
		return -EAGAIN;
	out->version = mbedtls_ssl_get_version(&t->ssl);
	out->cipher = mbedtls_ssl_get_ciphersuite(&t->ssl);
	out->cipher_id = (uint16_t)mbedtls_ssl_get_ciphersuite_id_from_ssl(&t->ssl);
	out->alpn = mbedtls_ssl_get_alpn_protocol(&t->ssl);
	out->sni = t->has_sni ? t->sni : NULL;
	out->resumed = t->resumed;
	if (t->resumed) {
		/* Verified when the session was made, under this same context (tickets and
		 * cached sessions never cross contexts); the certificate itself may not have
		 * been kept in the ticket. */
		out->peer_cert = out->peer_verified = t->cli != NULL || t->srv->client_auth;
	} else {
		peer = mbedtls_ssl_get_peer_cert(&t->ssl);
		out->peer_cert = peer != NULL;
		out->peer_verified = peer != NULL && mbedtls_ssl_get_verify_result(&t->ssl) == 0;
	}
	return 0;
}
