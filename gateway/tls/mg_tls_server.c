/*
 * Server contexts: certificates chosen by SNI, client-certificate validation, ALPN, and
 * session tickets under rotating keys.  See mg_tls.h and docs/TLS.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/oid.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/psa_util.h>

#include "gateway/tls/mg_tls_int.h"

#define TICKET_LIFETIME_DEFAULT 7200
#define TICKET_LIFETIME_MAX     604800 /* RFC 8446 4.6.1 */

/*
 * Ticket layout: key name (4) | IV (12) | issue time (8, big endian) | TLS version (1) |
 * encrypted session | tag (16).  The header is authenticated with the session.
 */
#define TICKET_NAME_LEN 4
#define TICKET_IV_LEN   12
#define TICKET_TIME_OFF (TICKET_NAME_LEN + TICKET_IV_LEN)
#define TICKET_VER_OFF  (TICKET_TIME_OFF + 8)
#define TICKET_HDR_LEN  (TICKET_VER_OFF + 1)
#define TICKET_TAG_LEN  16

/* ---- certificate names -------------------------------------------------------------------------
 */

static int
name_cmp(const void *a, const void *b)
{
	const struct mg_tls_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return (x->rank > y->rank) - (x->rank < y->rank);
}

static char *
lower_dup(const unsigned char *p, size_t len)
{
	char *s = malloc(len + 1);
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		s[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + ('a' - 'A') : p[i]);
	s[len] = '\0';
	return s;
}

static int
add_name(struct mg_tls_server *s, unsigned int *cap, const unsigned char *p, size_t len,
         unsigned int cert, char *err, size_t errlen)
{
	struct mg_tls_name *n;
	char *name;

	name = lower_dup(p, len);
	if (name == NULL)
		return -ENOMEM;
	if (!mg_tls_name_valid(name, true)) {
		mg_tls_errf(err, errlen, "certificate %u: \"%s\" is not a valid server name", cert,
		            name);
		free(name);
		return -EINVAL;
	}
	if (s->nnames == *cap) {
		unsigned int ncap = *cap != 0 ? *cap * 2 : 16;

		n = realloc(s->names, ncap * sizeof(*n));
		if (n == NULL) {
			free(name);
			return -ENOMEM;
		}
		s->names = n;
		*cap = ncap;
	}
	n = &s->names[s->nnames++];
	n->name = name;
	n->cert = cert;
	/* EC certificates sort before RSA ones for the same name: when a client accepts both,
	 * mbedTLS takes the first that fits its signature algorithms. */
	n->rank = (s->certs[cert].is_ec ? 0 : 0x10000) + cert;
	return 0;
}

/* The names a certificate serves: configured ones, else SAN dNSNames, else the subject CN. */
static int
cert_names(struct mg_tls_server *s, unsigned int *cap, unsigned int i,
           const struct mg_tls_cert_conf *cc, char *err, size_t errlen)
{
	const mbedtls_x509_crt *crt = &s->certs[i].chain;
	const mbedtls_x509_sequence *seq;
	const mbedtls_x509_name *dn;
	unsigned int j, before = s->nnames;
	int ret;

	if (cc->nnames > 0) {
		for (j = 0; j < cc->nnames; j++) {
			if (cc->names == NULL || cc->names[j] == NULL)
				return -EINVAL;
			ret = add_name(s, cap, (const unsigned char *)cc->names[j],
			               strlen(cc->names[j]), i, err, errlen);
			if (ret != 0)
				return ret;
		}
		return 0;
	}
	for (seq = &crt->subject_alt_names; seq != NULL; seq = seq->next) {
		if (seq->buf.p == NULL ||
		    seq->buf.tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME))
			continue;
		ret = add_name(s, cap, seq->buf.p, seq->buf.len, i, err, errlen);
		if (ret != 0)
			return ret;
	}
	if (s->nnames > before || crt->subject_alt_names.buf.p != NULL)
		return 0;
	for (dn = &crt->subject; dn != NULL; dn = dn->next) {
		if (dn->oid.p != NULL && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &dn->oid) == 0)
			return add_name(s, cap, dn->val.p, dn->val.len, i, err, errlen);
	}
	return 0;
}

/*
 * find_names() returns the index of the first name entry equal to <name> (lower case) and sets
 * *count to how many consecutive entries share it; -1 if none.
 */
static int
find_names(const struct mg_tls_server *s, const char *name, unsigned int *count)
{
	unsigned int lo = 0, hi = s->nnames, end;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (strcmp(s->names[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->nnames || strcmp(s->names[lo].name, name) != 0)
		return -1;
	for (end = lo; end < s->nnames && strcmp(s->names[end].name, name) == 0; end++)
		;
	*count = end - lo;
	return (int)lo;
}

/*
 * The SNI callback (mbedtls_ssl_conf_sni): records the name and offers the certificates
 * registered for it (exact names first, then "*.<parent>"), best first.  No match leaves the
 * configuration's default certificate in place.  Never fails the handshake.
 */
static int
sni_cb(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	struct mg_tls_server *s = arg;
	struct mg_tls_conn *t = mbedtls_ssl_get_user_data_p(ssl);
	char key[MG_TLS_SNI_MAX + 3];
	unsigned int count = 0, i;
	const char *dot;
	int first;

	if (t == NULL || len == 0 || len > MG_TLS_SNI_MAX)
		return 0;
	memcpy(t->sni, name, len);
	t->sni[len] = '\0';
	t->sni_len = (uint16_t)len;
	t->has_sni = memchr(name, '\0', len) == NULL;
	if (!t->has_sni)
		return 0;
	for (i = 0; i < len; i++)
		key[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + ('a' - 'A') : name[i]);
	key[len] = '\0';
	first = find_names(s, key, &count);
	if (first < 0) {
		dot = strchr(key, '.');
		if (dot == NULL || dot == key || dot[1] == '\0')
			return 0;
		key[0] = '*';
		memmove(key + 1, dot, strlen(dot) + 1);
		first = find_names(s, key, &count);
		if (first < 0)
			return 0;
	}
	for (i = 0; i < count; i++) {
		struct mg_tls_cert *c = &s->certs[s->names[first + i].cert];

		if (mbedtls_ssl_set_hs_own_cert(ssl, &c->chain, &c->key) != 0)
			return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	}
	t->sni_matched = true;
	return 0;
}

/* ---- tickets -----------------------------------------------------------------------------------
 */

static void
put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t
get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
ticket_key_drop(struct mg_tls_ticket_key *k)
{
	if (k->live)
		mbedtls_gcm_free(&k->gcm);
	memset(k, 0, sizeof(*k));
}

/* ticket_key_new() makes <k> a fresh random key with a name no other live key has. */
static int
ticket_key_new(struct mg_tls_server *s, struct mg_tls_ticket_key *k, uint64_t now)
{
	unsigned char raw[32];
	unsigned int i;
	bool clash;
	int ret;

	ticket_key_drop(k);
	do {
		ret = mbedtls_psa_get_random(MBEDTLS_PSA_RANDOM_STATE, k->name, sizeof(k->name));
		if (ret != 0)
			return ret;
		clash = false;
		for (i = 0; i < MG_TLS_TICKET_KEYS_MAX; i++) {
			if (&s->keys[i] != k && s->keys[i].live &&
			    memcmp(s->keys[i].name, k->name, sizeof(k->name)) == 0)
				clash = true;
		}
	} while (clash);
	ret = mbedtls_psa_get_random(MBEDTLS_PSA_RANDOM_STATE, raw, sizeof(raw));
	if (ret == 0) {
		mbedtls_gcm_init(&k->gcm);
		ret = mbedtls_gcm_setkey(&k->gcm, MBEDTLS_CIPHER_ID_AES, raw, 256);
		if (ret != 0)
			mbedtls_gcm_free(&k->gcm);
	}
	mbedtls_platform_zeroize(raw, sizeof(raw));
	if (ret != 0)
		return ret;
	k->live = true;
	k->created = now;
	k->retired = 0;
	return 0;
}

/* The TLS version being negotiated on the connection being driven (0x0303 or 0x0304). */
static unsigned int
current_version(void)
{
	return mg_tls_cur != NULL ? (unsigned int)mbedtls_ssl_get_version_number(&mg_tls_cur->ssl)
	                          : 0;
}

/*
 * The ticket writer (mbedtls_ssl_ticket_write_t): serialises <session> and seals it under the
 * active key, with the issue time (server clock) and the TLS version authenticated in the
 * clear header.
 */
static int
ticket_write(void *arg, const mbedtls_ssl_session *session, unsigned char *start,
             const unsigned char *end, size_t *tlen, uint32_t *lifetime)
{
	struct mg_tls_server *s = arg;
	struct mg_tls_ticket_key *k = &s->keys[s->active_key];
	unsigned char *state = start + TICKET_HDR_LEN;
	size_t room, clear_len;
	int ret;

	*tlen = 0;
	if (!k->live || end - start < TICKET_HDR_LEN + TICKET_TAG_LEN)
		return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
	room = (size_t)(end - state) - TICKET_TAG_LEN;
	memcpy(start, k->name, TICKET_NAME_LEN);
	ret = mbedtls_psa_get_random(MBEDTLS_PSA_RANDOM_STATE, start + TICKET_NAME_LEN,
	                             TICKET_IV_LEN);
	if (ret != 0)
		return ret;
	put_be64(start + TICKET_TIME_OFF, s->now);
	start[TICKET_VER_OFF] = (unsigned char)current_version();
	ret = mbedtls_ssl_session_save(session, state, room, &clear_len);
	if (ret != 0)
		return ret;
	ret = mbedtls_gcm_crypt_and_tag(
	    &k->gcm, MBEDTLS_GCM_ENCRYPT, clear_len, start + TICKET_NAME_LEN, TICKET_IV_LEN, start,
	    TICKET_HDR_LEN, state, state, TICKET_TAG_LEN, state + clear_len);
	if (ret != 0)
		return ret;
	*tlen = TICKET_HDR_LEN + clear_len + TICKET_TAG_LEN;
	*lifetime = s->ticket_lifetime;
	s->stats.tickets_issued++;
	if (mg_tls_cur != NULL && mg_tls_cur->tickets_written < UINT8_MAX)
		mg_tls_cur->tickets_written++;
	return 0;
}

/*
 * The ticket parser (mbedtls_ssl_ticket_parse_t): finds the key by name, opens the ticket in
 * place, refuses it when older than the ticket lifetime or made under another TLS version, and
 * loads the session.  The version check is ours to do: mbedTLS's TLS 1.2 server takes whatever
 * session the parser returns, and a TLS 1.3 ticket (sent in clear in every TLS 1.3 resumption
 * ClientHello) replayed in a TLS 1.2 session_ticket extension would hand it a session without
 * a TLS 1.2 master secret (compare the HelloRetryRequest variant fixed in mbedTLS 3.6.6).
 */
static int
ticket_parse(void *arg, mbedtls_ssl_session *session, unsigned char *buf, size_t len)
{
	struct mg_tls_server *s = arg;
	struct mg_tls_ticket_key *k = NULL;
	unsigned char *state = buf + TICKET_HDR_LEN;
	uint64_t issued;
	size_t clen;
	unsigned int i;
	int ret;

	if (len < TICKET_HDR_LEN + TICKET_TAG_LEN)
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	for (i = 0; i < MG_TLS_TICKET_KEYS_MAX; i++) {
		if (s->keys[i].live && memcmp(s->keys[i].name, buf, TICKET_NAME_LEN) == 0)
			k = &s->keys[i];
	}
	if (k == NULL) {
		s->stats.tickets_unknown_key++;
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	}
	clen = len - TICKET_HDR_LEN - TICKET_TAG_LEN;
	ret = mbedtls_gcm_auth_decrypt(&k->gcm, clen, buf + TICKET_NAME_LEN, TICKET_IV_LEN, buf,
	                               TICKET_HDR_LEN, state + clen, TICKET_TAG_LEN, state, state);
	if (ret != 0)
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	if (buf[TICKET_VER_OFF] != (current_version() & 0xff)) {
		s->stats.tickets_unknown_key++;
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	}
	issued = get_be64(buf + TICKET_TIME_OFF);
	if (issued > s->now || s->now - issued > s->ticket_lifetime) {
		s->stats.tickets_expired++;
		return MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED;
	}
	ret = mbedtls_ssl_session_load(session, state, clen);
	if (ret != 0)
		return ret;
	if (mg_tls_cur != NULL)
		mg_tls_cur->ticket_accepted = true;
	return 0;
}

void
mg_tls_server_tick(struct mg_tls_server *s, uint64_t now_s)
{
	struct mg_tls_ticket_key *active;
	unsigned int i, slot;

	if (!s->clock_set) {
		for (i = 0; i < MG_TLS_TICKET_KEYS_MAX; i++) {
			if (s->keys[i].live)
				s->keys[i].created = now_s;
		}
		s->clock_set = true;
	}
	if (now_s < s->now)
		return; /* the clock is monotonic: ignore a caller's mistake */
	s->now = now_s;
	if (!s->tickets)
		return;
	active = &s->keys[s->active_key];
	if (now_s - active->created >= s->ticket_rotation) {
		slot = MG_TLS_TICKET_KEYS_MAX;
		for (i = 0; i < MG_TLS_TICKET_KEYS_MAX && slot == MG_TLS_TICKET_KEYS_MAX; i++) {
			if (!s->keys[i].live)
				slot = i;
		}
		if (slot == MG_TLS_TICKET_KEYS_MAX) {
			/* Cannot happen with rotation >= lifetime / 7; drop the oldest then. */
			slot = s->active_key == 0 ? 1 : 0;
			for (i = 0; i < MG_TLS_TICKET_KEYS_MAX; i++) {
				if (i != s->active_key &&
				    s->keys[i].retired < s->keys[slot].retired)
					slot = i;
			}
		}
		if (ticket_key_new(s, &s->keys[slot], now_s) == 0) {
			active->retired = now_s;
			s->active_key = slot;
			s->stats.ticket_key_rotations++;
		}
	}
	/* A retired key is kept while any ticket it sealed can still be within its lifetime. */
	for (i = 0; i < MG_TLS_TICKET_KEYS_MAX; i++) {
		struct mg_tls_ticket_key *k = &s->keys[i];

		if (k->live && i != s->active_key && now_s - k->retired > s->ticket_lifetime)
			ticket_key_drop(k);
	}
}

/* ---- the context -------------------------------------------------------------------------------
 */

int
mg_tls_server_new(struct mg_tls_server **out, const struct mg_tls_server_conf *c, char *err,
                  size_t errlen)
{
	struct mg_tls_server *s;
	unsigned int i, cap = 0;
	int ret;

	*out = NULL;
	if (!mg_tls_initialised()) {
		mg_tls_errf(err, errlen, "mg_tls_global_init() was not called");
		return -EINVAL;
	}
	if (c->ncerts == 0 || c->certs == NULL) {
		mg_tls_errf(err, errlen, "a TLS listener needs at least one certificate");
		return -EINVAL;
	}
	if (c->default_cert >= c->ncerts) {
		mg_tls_errf(err, errlen, "default certificate %u of %u", c->default_cert,
		            c->ncerts);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	mbedtls_ssl_config_init(&s->conf);
	mbedtls_x509_crt_init(&s->client_ca);
	s->certs = calloc(c->ncerts, sizeof(*s->certs));
	if (s->certs == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = mg_tls_conf_common(&s->conf, MBEDTLS_SSL_IS_SERVER, c->min_version, c->max_version,
	                         err, errlen);
	if (ret != 0)
		goto fail;

	for (i = 0; i < c->ncerts; i++) {
		ret = mg_tls_cert_load(&s->certs[i], c->certs[i].chain_file, c->certs[i].key_file,
		                       err, errlen);
		if (ret != 0)
			goto fail;
		s->ncerts++;
		ret = cert_names(s, &cap, i, &c->certs[i], err, errlen);
		if (ret != 0)
			goto fail;
	}
	qsort(s->names, s->nnames, sizeof(*s->names), name_cmp);
	s->default_cert = c->default_cert;
	ret = mbedtls_ssl_conf_own_cert(&s->conf, &s->certs[s->default_cert].chain,
	                                &s->certs[s->default_cert].key);
	if (ret != 0) {
		ret = -ENOMEM;
		goto fail;
	}
	mbedtls_ssl_conf_sni(&s->conf, sni_cb, s);

	ret = mg_tls_alpn_setup(&s->alpn, &s->alpn_list, c->alpn, c->nalpn, err, errlen);
	if (ret != 0)
		goto fail;
	if (s->alpn_list != NULL && mbedtls_ssl_conf_alpn_protocols(&s->conf, s->alpn_list) != 0) {
		ret = -EINVAL;
		goto fail;
	}

	if (c->client_ca_file != NULL) {
		ret = mg_tls_ca_load(&s->client_ca, c->client_ca_file, err, errlen);
		if (ret != 0)
			goto fail;
		s->client_auth = true;
		mbedtls_ssl_conf_ca_chain(&s->conf, &s->client_ca, NULL);
		mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
		ret = mg_tls_strv_copy(&s->client_san, c->client_san, c->nclient_san);
		if (ret != 0) {
			mg_tls_errf(err, errlen, "client SAN list: %s", strerror(-ret));
			goto fail;
		}
	} else {
		if (c->nclient_san > 0) {
			mg_tls_errf(err, errlen, "client SANs given without a client trust chain");
			ret = -EINVAL;
			goto fail;
		}
		mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_NONE);
	}

	s->tickets = !c->no_tickets;
	s->ticket_lifetime = c->ticket_lifetime != 0 ? c->ticket_lifetime : TICKET_LIFETIME_DEFAULT;
	s->ticket_rotation =
	    c->ticket_key_rotation != 0 ? c->ticket_key_rotation : s->ticket_lifetime;
	if (s->ticket_lifetime > TICKET_LIFETIME_MAX) {
		mg_tls_errf(err, errlen, "ticket lifetime above %d s", TICKET_LIFETIME_MAX);
		ret = -EINVAL;
		goto fail;
	}
	if ((uint64_t)s->ticket_rotation * (MG_TLS_TICKET_KEYS_MAX - 1) < s->ticket_lifetime) {
		mg_tls_errf(err, errlen, "ticket key rotation below lifetime / %d",
		            MG_TLS_TICKET_KEYS_MAX - 1);
		ret = -EINVAL;
		goto fail;
	}
	if (s->tickets) {
		ret = ticket_key_new(s, &s->keys[0], 0);
		if (ret != 0) {
			mg_tls_errf(err, errlen, "ticket key: -0x%04x", (unsigned int)-ret);
			ret = -EIO;
			goto fail;
		}
		s->active_key = 0;
		mbedtls_ssl_conf_session_tickets_cb(&s->conf, ticket_write, ticket_parse, s);
		mbedtls_ssl_conf_new_session_tickets(&s->conf, MG_TLS_TICKETS_PER_HS);
	} else {
		mbedtls_ssl_conf_new_session_tickets(&s->conf, 0);
	}
	*out = s;
	return 0;
fail:
	mg_tls_server_free(s);
	return ret;
}

void
mg_tls_server_free(struct mg_tls_server *s)
{
	unsigned int i;

	if (s == NULL)
		return;
	mbedtls_ssl_config_free(&s->conf);
	for (i = 0; i < s->ncerts; i++)
		mg_tls_cert_free(&s->certs[i]);
	free(s->certs);
	for (i = 0; i < s->nnames; i++)
		free(s->names[i].name);
	free(s->names);
	mbedtls_x509_crt_free(&s->client_ca);
	mg_tls_strv_free(&s->client_san);
	mg_tls_strv_free(&s->alpn);
	for (i = 0; i < MG_TLS_TICKET_KEYS_MAX; i++)
		ticket_key_drop(&s->keys[i]);
	free(s);
}

const struct mg_tls_stats *
mg_tls_server_stats(const struct mg_tls_server *s)
{
	return &s->stats;
}

struct mg_tls_conn *
mg_tls_accept(struct mg_tls_server *s, const struct mg_tls_io *io)
{
	return mg_tls_conn_new(&s->conf, s, NULL, io);
}
