/*
 * What servers and clients share: the protocol profile (versions, groups, signature
 * algorithms, X.509 profile), loading certificates and keys, and name matching.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/psa_util.h>

#include "gateway/tls/mg_tls_int.h"

/* Key exchange groups, most preferred first: X25519 (Everest) is ~7x faster than P-256 here. */
const uint16_t mg_tls_groups[] = {
    MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_NONE,
};

/*
 * Signature algorithms offered and accepted for handshake signatures (TLS 1.3 code points,
 * which TLS 1.2 shares).  PKCS#1 v1.5 is used by TLS 1.2 only; TLS 1.3 skips it for
 * CertificateVerify by itself.  No SHA-1, no P-521.
 */
const uint16_t mg_tls_sig_algs[] = {
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,
    MBEDTLS_TLS1_3_SIG_NONE,
};

/* Certificates in peer chains: SHA-256+, RSA >= 2048 bits, ECDSA on P-256/384/521. */
const mbedtls_x509_crt_profile mg_tls_x509_profile = {
    .allowed_mds = MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256) |
                   MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA384) |
                   MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA512),
    .allowed_pks = MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_RSA) | MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECDSA) |
                   MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECKEY) |
                   MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_RSASSA_PSS),
    .allowed_curves = MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP256R1) |
                      MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP384R1) |
                      MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP521R1),
    .rsa_min_bitlen = 2048,
};

void
mg_tls_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
mg_tls_strerror(int ret, char *buf, size_t len)
{
	mbedtls_strerror(ret, buf, len);
}

static int
version_code(enum mg_tls_version v, int dflt)
{
	switch (v) {
	case MG_TLS_VERSION_1_2:
		return MBEDTLS_SSL_VERSION_TLS1_2;
	case MG_TLS_VERSION_1_3:
		return MBEDTLS_SSL_VERSION_TLS1_3;
	default:
		return dflt;
	}
}

/*
 * mg_tls_conf_common() sets what every server and client configuration shares on <conf>
 * (initialised, not yet set up): stream transport, versions <min>..<max>, groups, signature
 * algorithms, X.509 profile, PSA's random generator, and the TLS 1.3 key exchange modes
 * (certificate and PSK with (EC)DHE; never PSK alone, which has no forward secrecy).
 */
int
mg_tls_conf_common(mbedtls_ssl_config *conf, int endpoint, enum mg_tls_version min,
                   enum mg_tls_version max, char *err, size_t errlen)
{
	int vmin = version_code(min, MBEDTLS_SSL_VERSION_TLS1_2);
	int vmax = version_code(max, MBEDTLS_SSL_VERSION_TLS1_3);
	int ret;

	if (vmin > vmax) {
		mg_tls_errf(err, errlen, "minimum TLS version above the maximum");
		return -EINVAL;
	}
	ret = mbedtls_ssl_config_defaults(conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
	                                  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0) {
		mg_tls_errf(err, errlen, "mbedtls_ssl_config_defaults: -0x%04x",
		            (unsigned int)-ret);
		return ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? -ENOMEM : -EINVAL;
	}
	mbedtls_ssl_conf_min_tls_version(conf, (mbedtls_ssl_protocol_version)vmin);
	mbedtls_ssl_conf_max_tls_version(conf, (mbedtls_ssl_protocol_version)vmax);
	mbedtls_ssl_conf_groups(conf, mg_tls_groups);
	mbedtls_ssl_conf_sig_algs(conf, mg_tls_sig_algs);
	mbedtls_ssl_conf_cert_profile(conf, &mg_tls_x509_profile);
	mbedtls_ssl_conf_rng(conf, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_ssl_conf_tls13_key_exchange_modes(
	    conf, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL |
	              MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL);
	return 0;
}

/* Bytes the leaf and its chain take in a TLS 1.3 Certificate message (the larger of 1.2/1.3). */
static size_t
chain_msg_len(const mbedtls_x509_crt *chain)
{
	size_t n = 4 + 1 + 3; /* handshake header, context, list length */

	for (; chain != NULL && chain->raw.p != NULL; chain = chain->next)
		n += 3 + chain->raw.len + 2;
	return n;
}

int
mg_tls_cert_load(struct mg_tls_cert *c, const char *chain_file, const char *key_file, char *err,
                 size_t errlen)
{
	char msg[128];
	int ret;

	mbedtls_x509_crt_init(&c->chain);
	mbedtls_pk_init(&c->key);
	c->is_ec = false;
	if (chain_file == NULL || key_file == NULL) {
		mg_tls_errf(err, errlen,
		            "certificate chain and private key files are both required");
		return -EINVAL;
	}
	ret = mbedtls_x509_crt_parse_file(&c->chain, chain_file);
	if (ret != 0) {
		if (ret > 0)
			snprintf(msg, sizeof(msg), "%d certificate(s) could not be parsed", ret);
		else
			mg_tls_strerror(ret, msg, sizeof(msg));
		mg_tls_errf(err, errlen, "%s: %s", chain_file, msg);
		goto fail;
	}
	ret = mbedtls_pk_parse_keyfile(&c->key, key_file, NULL, mbedtls_psa_get_random,
	                               MBEDTLS_PSA_RANDOM_STATE);
	if (ret != 0) {
		mg_tls_strerror(ret, msg, sizeof(msg));
		mg_tls_errf(err, errlen, "%s: %s", key_file, msg);
		goto fail;
	}
	switch (mbedtls_pk_get_type(&c->key)) {
	case MBEDTLS_PK_ECKEY: {
		mbedtls_ecp_group_id id = mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(c->key));

		if (id != MBEDTLS_ECP_DP_SECP256R1 && id != MBEDTLS_ECP_DP_SECP384R1) {
			mg_tls_errf(err, errlen, "%s: EC keys must be on P-256 or P-384", key_file);
			goto fail;
		}
		c->is_ec = true;
		break;
	}
	case MBEDTLS_PK_RSA:
		if (mbedtls_pk_get_bitlen(&c->key) < 2048) {
			mg_tls_errf(err, errlen, "%s: RSA keys must have at least 2048 bits",
			            key_file);
			goto fail;
		}
		break;
	default:
		mg_tls_errf(err, errlen, "%s: only EC and RSA keys are supported", key_file);
		goto fail;
	}
	ret = mbedtls_pk_check_pair(&c->chain.pk, &c->key, mbedtls_psa_get_random,
	                            MBEDTLS_PSA_RANDOM_STATE);
	if (ret != 0) {
		mg_tls_errf(err, errlen, "%s does not match the first certificate of %s", key_file,
		            chain_file);
		goto fail;
	}
	if (chain_msg_len(&c->chain) > MBEDTLS_SSL_OUT_CONTENT_LEN - 64) {
		mg_tls_errf(err, errlen,
		            "%s: the chain needs %zu bytes in a handshake message, more than "
		            "MBEDTLS_SSL_OUT_CONTENT_LEN allows (%d): drop the root or "
		            "unneeded intermediates",
		            chain_file, chain_msg_len(&c->chain), MBEDTLS_SSL_OUT_CONTENT_LEN - 64);
		goto fail;
	}
	return 0;
fail:
	mg_tls_cert_free(c);
	return ret == MBEDTLS_ERR_PK_ALLOC_FAILED || ret == MBEDTLS_ERR_X509_ALLOC_FAILED ? -ENOMEM
	                                                                                  : -EINVAL;
}

void
mg_tls_cert_free(struct mg_tls_cert *c)
{
	mbedtls_x509_crt_free(&c->chain);
	mbedtls_pk_free(&c->key);
}

int
mg_tls_ca_load(mbedtls_x509_crt *ca, const char *file, char *err, size_t errlen)
{
	char msg[128];
	int ret;

	mbedtls_x509_crt_init(ca);
	ret = mbedtls_x509_crt_parse_file(ca, file);
	if (ret == 0)
		return 0;
	if (ret > 0)
		snprintf(msg, sizeof(msg), "%d certificate(s) could not be parsed", ret);
	else
		mg_tls_strerror(ret, msg, sizeof(msg));
	mg_tls_errf(err, errlen, "%s: %s", file, msg);
	mbedtls_x509_crt_free(ca);
	return ret == MBEDTLS_ERR_X509_ALLOC_FAILED ? -ENOMEM : -EINVAL;
}

int
mg_tls_strv_copy(struct mg_tls_strv *sv, const char *const *v, unsigned int n)
{
	unsigned int i;

	sv->v = NULL;
	sv->n = 0;
	if (n == 0 || v == NULL)
		return 0;
	sv->v = calloc(n + 1, sizeof(*sv->v));
	if (sv->v == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (v[i] == NULL)
			return -EINVAL;
		sv->v[i] = strdup(v[i]);
		if (sv->v[i] == NULL)
			return -ENOMEM;
		sv->n++;
	}
	return 0;
}

void
mg_tls_strv_free(struct mg_tls_strv *sv)
{
	unsigned int i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

/*
 * mg_tls_alpn_setup() copies the ALPN protocol ids <v>[<n>] into <sv> and points *<list> at a
 * NULL-terminated array of them (what mbedtls_ssl_conf_alpn_protocols() keeps a pointer to).
 */
int
mg_tls_alpn_setup(struct mg_tls_strv *sv, const char ***list, const char *const *v, unsigned int n,
                  char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	*list = NULL;
	for (i = 0; i < n; i++) {
		size_t len = v != NULL && v[i] != NULL ? strlen(v[i]) : 0;

		if (len == 0 || len > 255) {
			mg_tls_errf(err, errlen, "ALPN protocol %u: must be 1 to 255 bytes", i);
			return -EINVAL;
		}
	}
	ret = mg_tls_strv_copy(sv, v, n);
	if (ret != 0) {
		mg_tls_errf(err, errlen, "out of memory");
		return ret;
	}
	*list = (const char **)sv->v; /* sv->v has n + 1 entries, the last NULL */
	return 0;
}

/*
 * mg_tls_name_valid() accepts a DNS name (1..253 bytes of letters, digits, '-', '_', '.'; no
 * empty label), and with <allow_wildcard> also "*." followed by such a name.
 */
bool
mg_tls_name_valid(const char *name, bool allow_wildcard)
{
	size_t len, i, label = 0;

	if (allow_wildcard && name[0] == '*' && name[1] == '.')
		name += 2;
	len = strlen(name);
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if (ch == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return label != 0;
}

static int
lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

static bool
ieq(const unsigned char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (lower(a[i]) != lower((unsigned char)b[i]))
			return false;
	}
	return true;
}

/*
 * mg_tls_dns_match() matches host name <name> against a certificate's dNSName <pattern>
 * (<plen> bytes, not NUL-terminated), ignoring ASCII case.  A pattern "*.rest" matches exactly
 * one non-empty leftmost label followed by ".rest".
 */
bool
mg_tls_dns_match(const unsigned char *pattern, size_t plen, const char *name)
{
	size_t nlen = strlen(name);
	const char *dot;

	if (plen == nlen && ieq(pattern, name, nlen))
		return true;
	if (plen < 3 || pattern[0] != '*' || pattern[1] != '.')
		return false;
	dot = strchr(name, '.');
	if (dot == NULL || dot == name)
		return false;
	/* Compare ".rest" of both. */
	return (size_t)(name + nlen - dot) == plen - 1 && ieq(pattern + 1, dot, plen - 1);
}

/*
 * mg_tls_san_match() tells whether one of <crt>'s subjectAltName entries equals one of <sans>:
 * DNS names ignoring case (a wildcard dNSName in the certificate covers one label), URIs
 * byte for byte.  App Mesh's subjectAlternativeNames.match.exact.
 */
bool
mg_tls_san_match(const mbedtls_x509_crt *crt, const struct mg_tls_strv *sans)
{
	const mbedtls_x509_sequence *seq;
	unsigned int i;

	for (seq = &crt->subject_alt_names; seq != NULL; seq = seq->next) {
		const unsigned char *p = seq->buf.p;
		size_t len = seq->buf.len;

		if (p == NULL)
			continue;
		for (i = 0; i < sans->n; i++) {
			const char *want = sans->v[i];

			if (seq->buf.tag ==
			    (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME)) {
				if (mg_tls_dns_match(p, len, want))
					return true;
			} else if (seq->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC |
			                            MBEDTLS_X509_SAN_UNIFORM_RESOURCE_IDENTIFIER)) {
				if (len == strlen(want) && memcmp(p, want, len) == 0)
					return true;
			}
		}
	}
	return false;
}
